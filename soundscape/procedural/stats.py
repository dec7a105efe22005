"""Texture statistics (McDermott & Simoncelli 2011, simplified).

Shared by the tests and ``bench/texture_stats.py`` so that numbers hard-coded in the
tests mean the same thing as the numbers in ``docs/procedural.md``.

Every function takes ``audio`` as a float array shaped (frames,) or
(channels, frames) (channels are averaged to mono first) and ``sample_rate`` in Hz.
Frequencies are in Hz, levels in dB.

The band envelopes are Hilbert envelopes of eight log-spaced bands between 100 Hz
and 8 kHz (top edge clipped to 0.45 * sample_rate), block-averaged to a 400 Hz
envelope rate. On Gaussian noise the envelope kurtosis is about 3 and the
coefficient of variation about 0.5; impulsive textures (rain drops, crackles,
chirps) have much larger values.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import scipy.fft
import scipy.ndimage
import scipy.signal

ENV_RATE = 400.0  # Hz, envelope sample rate
BAND_LOW = 100.0
BAND_HIGH = 8000.0
N_BANDS = 8


def to_mono(audio: np.ndarray) -> np.ndarray:
    """Average channels: (channels, frames) or (frames,) -> float64 (frames,)."""
    x = np.asarray(audio, dtype=np.float64)
    if x.ndim == 2:
        x = x.mean(axis=0)
    return x


def band_edges(sample_rate: int) -> np.ndarray:
    """The N_BANDS + 1 log-spaced band edges in Hz, top clipped below Nyquist."""
    edges = np.geomspace(BAND_LOW, BAND_HIGH, N_BANDS + 1)
    return np.minimum(edges, 0.45 * sample_rate)


def welch_psd(audio: np.ndarray, sample_rate: int) -> tuple[np.ndarray, np.ndarray]:
    """(freqs Hz, power spectral density) of the mono mix, 4096-point Welch."""
    x = to_mono(audio)
    nper = min(4096, len(x))
    return scipy.signal.welch(x, fs=sample_rate, nperseg=nper)


def spectral_centroid(audio: np.ndarray, sample_rate: int) -> float:
    """Power-weighted mean frequency in Hz (20 Hz .. Nyquist)."""
    f, p = welch_psd(audio, sample_rate)
    keep = f >= 20.0
    total = p[keep].sum()
    return float((f[keep] * p[keep]).sum() / total) if total > 0 else 0.0


def spectral_slope(audio: np.ndarray, sample_rate: int) -> float:
    """Least-squares slope of the PSD in dB per octave between 200 Hz and 6 kHz."""
    f, p = welch_psd(audio, sample_rate)
    keep = (f >= 200.0) & (f <= min(6000.0, 0.45 * sample_rate))
    db = 10.0 * np.log10(p[keep] + 1e-30)
    return float(np.polyfit(np.log2(f[keep]), db, 1)[0])


def band_energy_fraction(audio: np.ndarray, sample_rate: int, low: float, high: float) -> float:
    """Fraction (0..1) of the power above 20 Hz that lies between ``low`` and ``high`` Hz."""
    f, p = welch_psd(audio, sample_rate)
    total = p[f >= 20.0].sum()
    part = p[(f >= low) & (f < high)].sum()
    return float(part / total) if total > 0 else 0.0


def band_envelopes(audio: np.ndarray, sample_rate: int) -> np.ndarray:
    """Hilbert envelopes of the N_BANDS bands at ENV_RATE: shape (N_BANDS, env_frames).

    Bands are brick-wall in the frequency domain; the analytic signal of each band
    comes from one inverse FFT, so this costs one FFT per band.
    """
    x = to_mono(audio)
    n = len(x)
    nfft = scipy.fft.next_fast_len(n)
    spec = scipy.fft.fft(x, nfft)
    freqs = scipy.fft.fftfreq(nfft, 1.0 / sample_rate)
    edges = band_edges(sample_rate)
    hop = max(1, round(sample_rate / ENV_RATE))
    m = n // hop
    envs = np.empty((N_BANDS, m))
    for b in range(N_BANDS):
        mask = (freqs >= edges[b]) & (freqs < edges[b + 1])
        analytic = scipy.fft.ifft(np.where(mask, 2.0 * spec, 0.0))[:n]
        env = np.abs(analytic)
        envs[b] = env[: m * hop].reshape(m, hop).mean(axis=1)
    return envs


def _kurtosis(e: np.ndarray) -> float:
    c = e - e.mean()
    var = (c**2).mean()
    return float((c**4).mean() / var**2) if var > 0 else 0.0


def envelope_stats(audio: np.ndarray, sample_rate: int) -> dict[str, float]:
    """Band-envelope statistics averaged over the bands (weighted equally).

    Returns ``env_cv`` (std / mean of the envelope), ``env_kurtosis`` (Pearson, 3 for
    a Gaussian), ``mod_slow`` and ``mod_fast``: envelope RMS in the 0.5-4 Hz and
    4-32 Hz modulation bands divided by the envelope mean (DC), so 0 means steady;
    ``env_kurtosis_max`` is the kurtosis of the most impulsive band.
    """
    envs = band_envelopes(audio, sample_rate)
    m = envs.shape[1]
    mfreq = np.fft.rfftfreq(m, 1.0 / ENV_RATE)
    cvs, kurts, slow, fast = [], [], [], []
    for e in envs:
        mean = e.mean()
        if mean <= 0:
            continue
        cvs.append(e.std() / mean)
        kurts.append(_kurtosis(e))
        # Parseval: power of a modulation band relative to DC power.
        spec = np.abs(np.fft.rfft(e - mean)) ** 2 * 2.0 / m**2
        slow.append(np.sqrt(spec[(mfreq >= 0.5) & (mfreq < 4.0)].sum()) / mean)
        fast.append(np.sqrt(spec[(mfreq >= 4.0) & (mfreq < 32.0)].sum()) / mean)
    return {
        "env_cv": float(np.mean(cvs)) if cvs else 0.0,
        "env_kurtosis": float(np.mean(kurts)) if kurts else 0.0,
        "env_kurtosis_max": float(np.max(kurts)) if kurts else 0.0,
        "mod_slow": float(np.mean(slow)) if slow else 0.0,
        "mod_fast": float(np.mean(fast)) if fast else 0.0,
    }


MOD_WINDOW_S = 0.05  # s, window of mod_depth_db
HIGH_KURTOSIS_HZ = 2000.0  # Hz, high-pass corner of high_kurtosis


def mod_depth_db(audio: np.ndarray, sample_rate: int, window_s: float = MOD_WINDOW_S) -> float:
    """Std in dB of the level of the mono mix in non-overlapping ``window_s`` windows.

    Each window's level is ``20 * log10(rms + 1e-10)``; the remainder after the last
    whole window is ignored. Steady noise measures only its sampling scatter: white
    0.1 dB, pink 0.7 dB, brown 2.3 dB (slow low frequencies); real crickets
    1.1-1.35 dB, real surf 3.2-7.1 dB.
    """
    x = to_mono(audio)
    w = max(1, int(round(window_s * sample_rate)))
    m = len(x) // w
    if m < 2:
        return 0.0
    rms = np.sqrt(np.mean(x[: m * w].reshape(m, w) ** 2, axis=1))
    return float(np.std(20.0 * np.log10(rms + 1e-10)))


def high_kurtosis(audio: np.ndarray, sample_rate: int,
                  cutoff_hz: float = HIGH_KURTOSIS_HZ) -> float:
    """Pearson kurtosis of the mono waveform after a 4th-order Butterworth high-pass.

    3 for Gaussian noise; impulsive highs (crackles, drop clicks) score far higher
    (real fire 10-195, rain 206).
    """
    x = to_mono(audio)
    if len(x) < 16:
        return 0.0
    sos = scipy.signal.butter(4, min(cutoff_hz, 0.45 * sample_rate), btype="highpass",
                              fs=sample_rate, output="sos")
    return _kurtosis(scipy.signal.sosfilt(sos, x))


def crest_factor_db(audio: np.ndarray) -> float:
    """Peak over RMS of the mono mix, in dB."""
    x = to_mono(audio)
    rms = np.sqrt(np.mean(x**2))
    return float(20.0 * np.log10(np.max(np.abs(x)) / rms)) if rms > 0 else 0.0


def rms_db(audio: np.ndarray) -> float:
    """RMS level over all channels and frames, in dBFS (-inf for silence)."""
    x = np.asarray(audio, dtype=np.float64)
    r = np.sqrt(np.mean(x**2))
    return float(20.0 * np.log10(r)) if r > 0 else float("-inf")


@dataclass(frozen=True)
class TextureStats:
    """One row of the texture-statistics table. Units in the field comments."""

    centroid_hz: float  # Hz
    slope_db_oct: float  # dB per octave, 200 Hz..6 kHz
    low_frac: float  # power fraction below 500 Hz
    mid_frac: float  # 500 Hz..3 kHz
    high_frac: float  # 3 kHz..8 kHz
    env_cv: float
    env_kurtosis: float  # mean over bands; 3 for Gaussian noise
    env_kurtosis_max: float  # the most impulsive band
    mod_slow: float  # 0.5-4 Hz modulation / DC
    mod_fast: float  # 4-32 Hz modulation / DC
    crest_db: float  # dB
    mod_depth_db: float  # dB, std of the 50 ms level
    high_kurtosis: float  # waveform kurtosis above 2 kHz; 3 for Gaussian noise

    def as_dict(self) -> dict[str, float]:
        """Field name -> value."""
        return asdict(self)


def texture_stats(audio: np.ndarray, sample_rate: int) -> TextureStats:
    """All statistics of ``audio`` (frames,) or (channels, frames) at ``sample_rate``."""
    env = envelope_stats(audio, sample_rate)
    return TextureStats(
        centroid_hz=spectral_centroid(audio, sample_rate),
        slope_db_oct=spectral_slope(audio, sample_rate),
        low_frac=band_energy_fraction(audio, sample_rate, 20.0, 500.0),
        mid_frac=band_energy_fraction(audio, sample_rate, 500.0, 3000.0),
        high_frac=band_energy_fraction(audio, sample_rate, 3000.0, 8000.0),
        env_cv=env["env_cv"],
        env_kurtosis=env["env_kurtosis"],
        env_kurtosis_max=env["env_kurtosis_max"],
        mod_slow=env["mod_slow"],
        mod_fast=env["mod_fast"],
        crest_db=crest_factor_db(audio),
        mod_depth_db=mod_depth_db(audio, sample_rate),
        high_kurtosis=high_kurtosis(audio, sample_rate),
    )


# --- flat tops -------------------------------------------------------------------

FLAT_REL = 0.015  # a sample within this fraction of its crest counts as "at the crest"
FLAT_RUN = 3  # this many consecutive samples at the crest make it a flat top
CREST_SPAN_S = 0.0025  # s, a transient's crest is the largest |x| within +-this
CREST_CONTEXT_S = 0.05  # s, the local RMS is taken over +-this
CREST_RATIO = 4.0  # a transient's crest stands this many local RMS above its context
CREST_HIGHPASS_HZ = 2000.0  # ... and so does its high band (a sharp event, not a slow swell)
SHARP_SPAN_S = 0.0005  # s, ... within +-this of the crest
_MAX_RUN = 32  # samples either side examined around a crest
_MAX_LOBE = 192  # samples either side searched for the zero crossings around a crest
FLAT_SLACK = 1.5  # a crest is flat when its run is this many times a sine lobe's (and >= run)


def transient_crests(audio: np.ndarray, sample_rate: int = 48000, rel: float = FLAT_REL,
                     ratio: float = CREST_RATIO) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(crest indices, run lengths, lobe widths) of the transients of every channel,
    concatenated (indices per channel).

    A transient's crest is a sample whose |x| is the largest within +-CREST_SPAN_S and
    at least ``ratio`` times the channel's RMS over +-CREST_CONTEXT_S (it stands out
    of its surroundings: a drop, a crackle, a crack; Gaussian noise has few), where
    the channel above CREST_HIGHPASS_HZ (4th-order Butterworth) also peaks at least
    ``ratio`` times its own local RMS within +-SHARP_SPAN_S: a sharp event, not the
    slow crest of a wind swell or a rumble (which is broad by nature). Its run
    is the number of consecutive samples, the crest included and of the crest's sign,
    whose |x| is within ``rel`` of the crest (capped at 2 * 32 + 1); its lobe width is
    the number of consecutive samples of the crest's sign around it (zero crossing to
    zero crossing, capped at 2 * 192 + 1). A bandlimited transient rounds its crest
    (above ~1.3 kHz at 48 kHz its neighbours already fall more than 1.5 % below it);
    a clipped or saturated one keeps several samples there.
    """
    x = np.asarray(audio, dtype=np.float64)
    if x.ndim == 1:
        x = x[None, :]
    span = max(1, int(round(CREST_SPAN_S * sample_rate)))
    ctx = max(span, int(round(CREST_CONTEXT_S * sample_rate)))
    sharp_span = max(1, int(round(SHARP_SPAN_S * sample_rate)))
    idx_all: list[np.ndarray] = []
    runs_all: list[np.ndarray] = []
    widths_all: list[np.ndarray] = []
    sos = scipy.signal.butter(4, min(CREST_HIGHPASS_HZ, 0.45 * sample_rate), btype="highpass",
                              fs=sample_rate, output="sos")

    def stands_out(v: np.ndarray) -> np.ndarray:
        local = scipy.ndimage.uniform_filter1d(v**2, 2 * ctx + 1, mode="nearest")
        return np.abs(v) > ratio * np.sqrt(np.clip(local, 0.0, None))

    for ch in x:
        n = len(ch)
        if n < 3:
            continue
        a = np.abs(ch)
        is_max = a >= scipy.ndimage.maximum_filter1d(a, 2 * span + 1, mode="nearest")
        sharp = scipy.ndimage.maximum_filter1d(stands_out(scipy.signal.sosfilt(sos, ch)),
                                               2 * sharp_span + 1, mode="nearest")
        crest = np.flatnonzero(is_max & stands_out(ch) & sharp & (a > 0))
        if crest.size == 0:
            continue
        # several equal samples (a clipped run) give several "maxima": keep the first
        crest = crest[np.concatenate([[True], np.diff(crest) > span])]
        offs = np.arange(-_MAX_RUN, _MAX_RUN + 1)
        pos = np.clip(crest[:, None] + offs[None, :], 0, n - 1)
        inside = (np.abs(ch[pos]) >= (1.0 - rel) * a[crest, None]) & (
            np.sign(ch[pos]) == np.sign(ch[crest, None]))
        inside &= (crest[:, None] + offs[None, :] >= 0) & (crest[:, None] + offs[None, :] < n)
        # the run through the centre: count until the first sample outside on each side
        right = np.argmin(np.concatenate([inside[:, _MAX_RUN:], np.zeros((len(crest), 1),
                                                                          bool)], axis=1), axis=1)
        left = np.argmin(np.concatenate([inside[:, _MAX_RUN::-1], np.zeros((len(crest), 1),
                                                                           bool)], axis=1), axis=1)
        lobe = np.arange(-_MAX_LOBE, _MAX_LOBE + 1)
        lpos = crest[:, None] + lobe[None, :]
        same = (np.sign(ch[np.clip(lpos, 0, n - 1)]) == np.sign(ch[crest, None])) & (
            lpos >= 0) & (lpos < n)
        stop = np.zeros((len(crest), 1), bool)
        lobe_r = np.argmin(np.concatenate([same[:, _MAX_LOBE:], stop], axis=1), axis=1)
        lobe_l = np.argmin(np.concatenate([same[:, _MAX_LOBE::-1], stop], axis=1), axis=1)
        idx_all.append(crest)
        runs_all.append(left + right - 1)
        widths_all.append(lobe_l + lobe_r - 1)
    if not idx_all:
        empty = np.zeros(0, dtype=int)
        return empty, empty, empty
    return np.concatenate(idx_all), np.concatenate(runs_all), np.concatenate(widths_all)


def sine_run(width: np.ndarray | float, rel: float = FLAT_REL) -> np.ndarray:
    """Samples within ``rel`` of the crest in a sine lobe ``width`` samples wide (zero
    crossing to zero crossing): width * (2 / pi) * acos(1 - rel), at least 1."""
    return np.maximum(1.0, np.asarray(width, dtype=float) * 2.0 / np.pi * np.arccos(1.0 - rel))


def flat_tops(audio: np.ndarray, rel: float = FLAT_REL, run: int = FLAT_RUN,
              sample_rate: int = 48000, ratio: float = CREST_RATIO) -> int:
    """How many transient crests (see :func:`transient_crests`) are flat: ``run`` or more
    consecutive samples within ``rel`` of the crest, and more than one sample over
    FLAT_SLACK times as many as a sine lobe of the crest's own width would have
    (:func:`sine_run`; the one sample is the sampling phase).

    The second condition spares a low resonance's natural crest (a 600 Hz tock is
    40 samples wide at 48 kHz: a sine keeps 4-5 samples within 1.5 % of its top)
    while a squared-off one (tanh, clipping) keeps far more; for a crest narrower
    than 12 samples (above 2 kHz) only the first applies. Real recordings: rain_04,
    fire_02, wind_02, thunder_02 count 0 (rain_04: 0 of ~200 transients); a
    tanh-limited or clipped drop counts 1.

    ``audio`` is (frames,) or (channels, frames); channels are checked separately.
    """
    _, runs, widths = transient_crests(audio, sample_rate, rel, ratio)
    flat = (runs >= run) & (runs > FLAT_SLACK * sine_run(widths, rel) + 1.0)
    return int(np.count_nonzero(flat))


# --- cochlear-band envelope statistics (flutter) --------------------------------
# After McDermott & Simoncelli (2011): the signal is split into bands one ERB wide
# (Glasberg & Moore 1990), each band's Hilbert envelope is taken (at ENV_RATE), and
# the statistics are of those envelopes: how their variance spreads over modulation
# frequency, how peaky they are, and how the bands move together.

FLUTTER_BAND = (2000.0, 10000.0)  # Hz, the bands whose flutter is measured
FLUTTER_MOD = (6.0, 28.0)  # Hz, "flutter": fast envelope movement (fire 10-19 % here)
TOP_OCTAVE = (5000.0, 10000.0)  # Hz, where envelope kurtosis tells crackle from hiss
MID_BAND = (200.0, 800.0)  # Hz, where a fire's lapping moves the bands together
ERB_ENV_RATE = 3000.0  # Hz: above twice the widest band here (1.1 kHz at 10 kHz), so an
# envelope keeps its whole modulation spectrum (at ENV_RATE, 400 Hz, the block average
# would cut a noise band's fast fluctuation and inflate every low-frequency share)


def erb_number(f: np.ndarray | float) -> np.ndarray:
    """Glasberg & Moore's ERB-rate scale: 21.4 log10(1 + 0.00437 f), f in Hz."""
    return 21.4 * np.log10(1.0 + 0.00437 * np.asarray(f, dtype=float))


def erb_edges(low: float, high: float, sample_rate: int) -> np.ndarray:
    """Edges (Hz) of consecutive bands one ERB wide from ``low`` up to ``high``
    (clipped below 0.45 * sample_rate); at least one band."""
    high = min(high, 0.45 * sample_rate)
    e_lo, e_hi = float(erb_number(low)), float(erb_number(high))
    count = max(1, int(round(e_hi - e_lo)))
    e = np.linspace(e_lo, e_hi, count + 1)
    return (10 ** (e / 21.4) - 1.0) / 0.00437


def erb_envelopes(audio: np.ndarray, sample_rate: int, low: float, high: float) -> np.ndarray:
    """Hilbert envelopes (bands, frames) at ERB_ENV_RATE of the 1-ERB bands between
    ``low`` and ``high`` Hz (brick-wall in the frequency domain, one FFT for all),
    averaged over blocks of round(sample_rate / ERB_ENV_RATE) frames. Mono mix."""
    x = to_mono(audio)
    n = len(x)
    nfft = scipy.fft.next_fast_len(n)
    spec = scipy.fft.rfft(x, nfft)
    freqs = scipy.fft.rfftfreq(nfft, 1.0 / sample_rate)
    edges = erb_edges(low, high, sample_rate)
    hop = max(1, round(sample_rate / ERB_ENV_RATE))
    m = n // hop
    envs = np.empty((len(edges) - 1, m))
    for b in range(len(edges) - 1):
        band = np.zeros(nfft, dtype=complex)
        keep = (freqs >= edges[b]) & (freqs < edges[b + 1])
        band[: len(freqs)][keep] = 2.0 * spec[keep]  # analytic: positive frequencies only
        env = np.abs(scipy.fft.ifft(band)[:n])
        envs[b] = env[: m * hop].reshape(m, hop).mean(axis=1)
    return envs


def modulation_share(envs: np.ndarray, low_hz: float, high_hz: float,
                     rate: float = ERB_ENV_RATE) -> float:
    """Mean over bands of the fraction (0..1) of each envelope's variance that lies at
    modulation frequencies ``low_hz``..``high_hz`` (periodogram of the envelope, DC
    excluded, Parseval). ``envs`` is (bands, frames) at ``rate`` Hz."""
    m = envs.shape[1]
    if m < 4:
        return 0.0
    mfreq = np.fft.rfftfreq(m, 1.0 / rate)
    power = np.abs(np.fft.rfft(envs - envs.mean(axis=1, keepdims=True), axis=1)) ** 2
    total = power[:, 1:].sum(axis=1)
    part = power[:, (mfreq >= low_hz) & (mfreq < high_hz)].sum(axis=1)
    ok = total > 0
    return float(np.mean(part[ok] / total[ok])) if ok.any() else 0.0


def flutter_share(audio: np.ndarray, sample_rate: int, mod: tuple[float, float] = FLUTTER_MOD,
                  band: tuple[float, float] = FLUTTER_BAND) -> float:
    """Fraction (0..1) of the envelope variance of the 1-ERB bands in ``band`` (Hz) that
    lies at modulation frequencies ``mod`` (Hz), averaged over the bands.

    Real fires: 10-19 % at 6-28 Hz in 2-10 kHz (independent analysis); real wind
    about 3-20 % at 6-64 Hz. Steady noise spreads its envelope variance evenly up
    to the band width (1-ERB bands at 2-10 kHz are 240-1100 Hz wide), so only a few
    percent fall at 6-28 Hz; a slow swell piles it below 1 Hz.
    """
    return modulation_share(erb_envelopes(audio, sample_rate, *band), *mod)


def band_envelope_kurtosis(audio: np.ndarray, sample_rate: int,
                           band: tuple[float, float] = TOP_OCTAVE) -> float:
    """Mean Pearson kurtosis of the 1-ERB band envelopes in ``band`` (Hz); 3 would be a
    Gaussian envelope, steady noise measures about 3 too (a Rayleigh envelope averaged
    over 2.5 ms); crackles over a quiet band measure far more (real fires 4.3-12.9
    in the top octave)."""
    envs = erb_envelopes(audio, sample_rate, *band)
    return float(np.mean([_kurtosis(e) for e in envs]))


def band_envelope_correlation(audio: np.ndarray, sample_rate: int,
                              band: tuple[float, float] = MID_BAND) -> float:
    """Mean pairwise Pearson correlation of the 1-ERB band envelopes in ``band`` (Hz):
    about 0 for stationary noise (bands fluctuate independently), higher when
    something broadband (a lick of flame, a gust) moves them together (real fires
    0.23-0.57 at 200-800 Hz)."""
    envs = erb_envelopes(audio, sample_rate, *band)
    if envs.shape[0] < 2:
        return 0.0
    r = np.corrcoef(envs)
    upper = r[np.triu_indices(len(r), k=1)]
    return float(np.nanmean(upper))


# --- strike onsets (thunder) -------------------------------------------------------

ONSET_FRAME_S = 0.01  # s, frames of the RMS envelope
ONSET_LEVEL = 0.1  # the onset is the first frame at or above this fraction of the peak
RISE_TOP = 0.9  # the rise ends at the first frame at or above this fraction of the peak
ONSET_WINDOW_S = 0.5  # s, what "the start of the strike" means for its centroid


def rms_envelope(audio: np.ndarray, sample_rate: int, frame_s: float = ONSET_FRAME_S) -> np.ndarray:
    """RMS of the mono mix in consecutive non-overlapping ``frame_s`` frames (the last
    partial frame dropped): shape (frames,)."""
    x = to_mono(audio)
    w = max(1, int(round(frame_s * sample_rate)))
    m = len(x) // w
    return np.sqrt(np.mean(x[: m * w].reshape(m, w) ** 2, axis=1)) if m else np.zeros(0)


def onset_time(audio: np.ndarray, sample_rate: int) -> float:
    """Seconds to the strike's onset: the start of the first 10 ms RMS frame at or above
    ONSET_LEVEL (10 %) of the envelope's peak. 0 for silence."""
    env = rms_envelope(audio, sample_rate)
    if env.size == 0 or env.max() <= 0:
        return 0.0
    return float(np.argmax(env >= ONSET_LEVEL * env.max())) * ONSET_FRAME_S


def rise_time(audio: np.ndarray, sample_rate: int) -> float:
    """Seconds from the onset (first 10 ms RMS frame >= 10 % of the peak) to the first
    frame >= 90 % of the peak: how sudden a strike is. Real cracks 0.14-0.28 s
    (independent analysis); a far rumble that swells takes a second or more."""
    env = rms_envelope(audio, sample_rate)
    if env.size == 0 or env.max() <= 0:
        return 0.0
    peak = env.max()
    start = int(np.argmax(env >= ONSET_LEVEL * peak))
    top = int(np.argmax(env >= RISE_TOP * peak))
    return float(top - start) * ONSET_FRAME_S


def onset_centroid(audio: np.ndarray, sample_rate: int,
                   window_s: float = ONSET_WINDOW_S) -> float:
    """Spectral centroid (Hz, :func:`spectral_centroid`) of the ``window_s`` seconds from
    the strike's onset (:func:`onset_time`): what carries of its first half second.
    Real thunder 314-781 Hz (independent analysis); below ~200 Hz a phone speaker
    plays next to nothing."""
    x = np.asarray(audio, dtype=np.float64)
    start = int(round(onset_time(x, sample_rate) * sample_rate))
    stop = start + max(16, int(round(window_s * sample_rate)))
    return spectral_centroid(x[..., start:stop], sample_rate)


def beat_hz(audio: np.ndarray, sample_rate: int, lo: float, hi: float) -> float:
    """The strongest rate (Hz) in ``lo..hi`` of the 2-8 kHz envelope of ``audio``
    ((2, n) or (n,)): a cricket chorus's chirp rate, a katydid's rasp rhythm. The
    envelope is averaged in 5 ms hops, so rates up to 100 Hz can be read."""
    sos = scipy.signal.butter(4, [2000, 8000], "bandpass", fs=sample_rate, output="sos")
    env = np.abs(scipy.signal.sosfilt(sos, to_mono(audio)))
    hop = sample_rate // 200
    env = env[: len(env) // hop * hop].reshape(-1, hop).mean(axis=1)
    spec = np.abs(np.fft.rfft(env - env.mean()))
    f = np.fft.rfftfreq(len(env), 1 / 200)
    keep = (f >= lo) & (f <= hi)
    return float(f[keep][np.argmax(spec[keep])])
