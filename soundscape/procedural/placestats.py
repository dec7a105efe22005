"""Measures for the places recipes (murmur, traffic, train), shared by
tests/test_palette_places.py and bench/palette_places.py so their numbers agree.

Every function takes ``audio`` as (frames,) or (channels, frames) (mixed to mono)
and ``sample_rate`` in Hz.

* :func:`modulation_spectrum`: the speech envelope spectrum of Houtgast & Steeneken
  (1985): the intensity envelope of the 250-4000 Hz band, normalised by its mean, in
  1/3-octave modulation bands 0.5-16 Hz. Running speech peaks at 3-5 Hz (the
  syllable rate); steady noise is flat and low.
* :func:`third_octave_db`: 1/3-octave band levels (dB, any reference), to compare a
  long-term spectrum with the LTASS of Byrne et al. (1994).
* :func:`rhythm_period`: the shortest lag (s) with a near-highest peak of the
  envelope's autocorrelation in a range: a train's wheel-rail period.
* :func:`peak_frequency`: the frequency of the strongest spectral peak in a band,
  refined by parabolic interpolation: a car's engine harmonic before and after it
  passes (its Doppler shift).
* :func:`line_prominence_db`: how far a hum's line stands over the noise around it.
"""

from __future__ import annotations

import numpy as np
import scipy.signal

from soundscape.procedural.stats import to_mono

ENV_RATE = 200.0  # Hz, envelope rate of the modulation and rhythm measures
MOD_BANDS = 2.0 ** (np.arange(-3, 13) / 3.0)  # 0.5 .. 16 Hz, 1/3-octave centres


def _envelope(x: np.ndarray, sr: int, band: tuple[float, float]) -> np.ndarray:
    """Intensity envelope of ``band`` at ENV_RATE (squared band signal, box-averaged)."""
    sos = scipy.signal.butter(4, (band[0], min(band[1], 0.45 * sr)), "bandpass", fs=sr,
                              output="sos")
    y = scipy.signal.sosfilt(sos, x) ** 2
    hop = max(1, int(round(sr / ENV_RATE)))
    m = len(y) // hop
    return np.asarray(y[: m * hop].reshape(m, hop).mean(axis=1))


def modulation_spectrum(audio: np.ndarray, sample_rate: int,
                        band: tuple[float, float] = (250.0, 4000.0)) -> tuple[np.ndarray,
                                                                             np.ndarray]:
    """(centres Hz, modulation index per 1/3-octave band) of the band's envelope."""
    env = _envelope(to_mono(audio), sample_rate, band)
    env = env / (env.mean() + 1e-30)
    m = len(env)
    win = np.hanning(m)
    spec = np.abs(np.fft.rfft((env - 1.0) * win)) ** 2 / np.sum(win**2)
    mf = np.fft.rfftfreq(m, 1.0 / ENV_RATE)
    out = np.zeros(len(MOD_BANDS))
    for i, c in enumerate(MOD_BANDS):
        sel = (mf >= c * 2 ** (-1 / 6)) & (mf < c * 2 ** (1 / 6))
        # modulation index of the band: sqrt(2 x its share of power) (a sine of depth
        # m modulating the intensity puts m^2 / 2 there)
        out[i] = np.sqrt(2.0 * spec[sel].sum() / m) if sel.any() else 0.0
    return MOD_BANDS.copy(), out


def modulation_peak_hz(audio: np.ndarray, sample_rate: int, low: float = 0.0) -> float:
    """The 1/3-octave modulation band (Hz) at or above ``low`` with the largest index."""
    c, m = modulation_spectrum(audio, sample_rate)
    keep = c >= low
    return float(c[keep][int(np.argmax(m[keep]))])


def third_octave_db(audio: np.ndarray, sample_rate: int, centres: np.ndarray) -> np.ndarray:
    """Levels in dB of 1/3-octave bands at ``centres`` Hz (Welch power summed per band)."""
    x = to_mono(audio)
    f, p = scipy.signal.welch(x, fs=sample_rate, nperseg=min(8192, len(x)))
    out = np.empty(len(centres))
    for i, c in enumerate(np.asarray(centres, dtype=float)):
        sel = (f >= c * 2 ** (-1 / 6)) & (f < c * 2 ** (1 / 6))
        out[i] = 10.0 * np.log10(p[sel].sum() + 1e-30)
    return out


def rhythm_period(audio: np.ndarray, sample_rate: int, low_s: float, high_s: float,
                  band: tuple[float, float] = (40.0, 2000.0)) -> float:
    """The rhythm's period (s) from the envelope's autocorrelation between ``low_s`` and
    ``high_s``: the shortest lag whose peak reaches 80 % of the highest there (a
    rhythm correlates as well at twice its period, never better), refined by a
    parabola through the peak and its neighbours. The envelope is smoothed over
    25 ms so that a few ms of timing jitter does not split the peaks."""
    env = _envelope(to_mono(audio), sample_rate, band)
    env = np.convolve(env, np.hanning(7) / np.hanning(7).sum(), "same")
    env = env - env.mean()
    ac = np.correlate(env, env, "full")[len(env) - 1:]
    ac /= ac[0] + 1e-30
    lo, hi = max(1, int(low_s * ENV_RATE)), min(len(ac) - 2, int(high_s * ENV_RATE))
    seg = ac[lo:hi + 1]
    peaks = np.flatnonzero((seg[1:-1] >= seg[:-2]) & (seg[1:-1] > seg[2:])) + 1
    if peaks.size == 0:
        return float(lo + int(np.argmax(seg))) / ENV_RATE
    best = seg[peaks].max()
    k = lo + int(peaks[np.flatnonzero(seg[peaks] >= 0.8 * best)[0]])
    a, b, c = ac[k - 1], ac[k], ac[k + 1]
    shift = 0.5 * (a - c) / (a - 2 * b + c) if (a - 2 * b + c) != 0 else 0.0
    return float((k + shift) / ENV_RATE)


def peak_frequency(x: np.ndarray, rate: float, low: float, high: float) -> float:
    """Frequency (Hz) of the strongest peak of mono ``x`` between ``low`` and ``high``:
    a Hann-windowed FFT zero-padded 8 times, parabolic interpolation in log power."""
    x = np.asarray(x, dtype=float)
    nfft = 8 * len(x)
    spec = np.abs(np.fft.rfft(x * np.hanning(len(x)), nfft)) ** 2
    f = np.fft.rfftfreq(nfft, 1.0 / rate)
    sel = np.flatnonzero((f >= low) & (f <= high))
    k = int(sel[np.argmax(spec[sel])])
    a, b, c = np.log(spec[k - 1 : k + 2] + 1e-30)
    shift = 0.5 * (a - c) / (a - 2 * b + c) if (a - 2 * b + c) != 0 else 0.0
    return float(f[k] + shift * (f[1] - f[0]))


def line_prominence_db(audio: np.ndarray, sample_rate: int, hz: float) -> float:
    """How far (dB) a spectral line at ``hz`` stands over the noise around it: the
    highest bin within +-2 Hz of a 1 Hz resolution Welch spectrum over the median
    of the bins 5-20 Hz either side (a mains or fan hum over a room's floor)."""
    x = to_mono(audio)
    f, p = scipy.signal.welch(x, fs=sample_rate, nperseg=min(len(x), int(sample_rate)))
    line = p[np.abs(f - hz) <= 2.0].max()
    off = np.abs(f - hz)
    floor = np.median(p[(off >= 5.0) & (off <= 20.0)])
    return float(10.0 * np.log10(line / floor))
