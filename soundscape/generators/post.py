"""Post-processing of raw model audio into mixer segments. Pure numpy/scipy/soxr.

Shapes: float32 (channels, frames). Every function returns a new array.

``finish(audio, rate, out_rate, bed, seconds, ...)`` runs the whole chain:
DC removal (mean and a 20 Hz high-pass), resampling to ``out_rate`` (soxr), an
optional high-band extension (mono band-limited models), stereo (decorrelated for
mono beds, duplicated for mono events), trimming (beds: onset/offset margins off and
cut to exactly ``seconds``; events: leading silence and the decayed tail off),
level normalisation (beds by RMS, events by peak, gain capped), and for beds edges
whose level matches the middle, so the mixer's crossfades neither dip nor swell.
"""

from __future__ import annotations

import numpy as np
from scipy import signal

from ..dsp.convert import to_stereo_rate

BED_RMS_DB = -20.0
EVENT_PEAK_DB = -3.0
CEILING_DB = -1.0
MAX_GAIN_DB = 40.0
EDGE_SECONDS = 1.0
TAPER_SECONDS = 0.005
EVENT_ONSET_DB = -40.0
EVENT_TAIL_DB = -50.0
HIGH_BAND_DB = -6.0


def remove_dc(audio: np.ndarray, rate: int) -> np.ndarray:
    """Subtract each channel's mean, then high-pass at 20 Hz (zero phase)."""
    out = audio - audio.mean(axis=1, keepdims=True)
    if out.shape[1] > 64 and rate > 100:
        sos = signal.butter(2, 20.0, "highpass", fs=rate, output="sos")
        pad = min(out.shape[1] - 1, int(rate * 0.1))
        out = signal.sosfiltfilt(sos, out, axis=1, padlen=pad)
    return np.ascontiguousarray(out, dtype=np.float32)


def decorrelate(mono: np.ndarray, rng: np.random.Generator, width: float = 0.5) -> np.ndarray:
    """(2, frames) stereo from a mono texture: mid plus a random-phase all-pass side.

    The side signal has the mono's magnitude spectrum with random phases (a 1024-tap
    FIR), so left and right correlate at (1 - width^2) / (1 + width^2) and their sum
    keeps the mono's spectrum.
    """
    taps = 1024
    phases = rng.uniform(-np.pi, np.pi, taps // 2 + 1)
    phases[0] = 0.0
    phases[-1] = 0.0
    fir = np.fft.irfft(np.exp(1j * phases), taps)
    side = signal.fftconvolve(mono, fir, mode="full")[: mono.size]
    mid_gain = 1.0 / np.sqrt(1.0 + width * width)
    left = (mono + width * side) * mid_gain
    right = (mono - width * side) * mid_gain
    return np.stack([left, right]).astype(np.float32)


def extend_high_band(audio: np.ndarray, rate: int, rng: np.random.Generator,
                     cutoff: float = 8000.0, level_db: float = HIGH_BAND_DB) -> np.ndarray:
    """Add noise above ``cutoff`` that follows the envelope of the band just below.

    For band-limited models (AudioLDM2 stops at 8 kHz): the 4-8 kHz envelope
    (rectified, smoothed at 40 Hz) modulates white noise high-passed at ``cutoff``,
    scaled to ``level_db`` relative to the 4-8 kHz band. Rain and fire gain air;
    the added band is noise, so tonal detail above 8 kHz is invented, not recovered.
    """
    if rate <= 2 * cutoff * 1.05 or audio.shape[1] < rate // 10:
        return audio
    band = signal.butter(4, [cutoff / 2, cutoff], "bandpass", fs=rate, output="sos")
    smooth = signal.butter(2, 40.0, "lowpass", fs=rate, output="sos")
    high = signal.butter(6, cutoff, "highpass", fs=rate, output="sos")
    out = audio.copy()
    for ch in range(audio.shape[0]):
        ref = signal.sosfilt(band, audio[ch])
        env = np.maximum(signal.sosfiltfilt(smooth, np.abs(ref)), 0.0)
        noise = signal.sosfilt(high, rng.standard_normal(audio.shape[1]))
        shaped = noise * env
        ref_rms = np.sqrt(np.mean(ref**2)) + 1e-12
        shaped_rms = np.sqrt(np.mean(shaped**2)) + 1e-12
        out[ch] += (shaped * (ref_rms / shaped_rms) * 10 ** (level_db / 20)).astype(np.float32)
    return out


def _taper(audio: np.ndarray, rate: int, fade_in: float, fade_out: float) -> np.ndarray:
    out = audio.copy()
    n_in = min(out.shape[1] // 2, int(rate * fade_in))
    n_out = min(out.shape[1] // 2, int(rate * fade_out))
    if n_in > 0:
        out[:, :n_in] *= np.sin(0.5 * np.pi * np.linspace(0, 1, n_in, endpoint=False)) ** 2
    if n_out > 0:
        out[:, -n_out:] *= np.cos(0.5 * np.pi * np.linspace(0, 1, n_out)) ** 2
    return out


def trim_bed(audio: np.ndarray, rate: int, seconds: float) -> np.ndarray:
    """The centred ``seconds`` of ``audio`` (margins with onset/offset transients off)."""
    want = round(seconds * rate)
    total = audio.shape[1]
    if total <= want:
        return audio
    start = (total - want) // 2
    return audio[:, start : start + want]


def trim_event(audio: np.ndarray, rate: int) -> np.ndarray:
    """From just before the onset to where the tail decays below EVENT_TAIL_DB."""
    mono = np.abs(audio).max(axis=0)
    peak = float(mono.max()) if mono.size else 0.0
    if peak <= 0:
        return audio
    above = np.flatnonzero(mono >= peak * 10 ** (EVENT_ONSET_DB / 20))
    start = max(0, int(above[0]) - int(0.01 * rate))
    hop = max(1, int(0.02 * rate))
    env = np.array([mono[i : i + hop].max() for i in range(0, mono.size, hop)])
    alive = np.flatnonzero(env >= peak * 10 ** (EVENT_TAIL_DB / 20))
    end = min(mono.size, (int(alive[-1]) + 1) * hop) if alive.size else mono.size
    return audio[:, start:max(end, start + 1)]


def flatten_edges(audio: np.ndarray, rate: int, edge_seconds: float = EDGE_SECONDS,
                  limit_db: float = 6.0, window_seconds: float = 0.05) -> np.ndarray:
    """Correct the level of each edge region, window by window, to the middle's.

    Diffusion output often fades in or out at the ends of a clip; a bed crossfaded
    from such segments dips. The gain follows the 50 ms RMS envelope (clamped to
    +-``limit_db``, interpolated per sample) and blends back to 1 over the innermost
    quarter of each edge region, so the middle is untouched.
    """
    n = int(edge_seconds * rate)
    hop = max(1, int(window_seconds * rate))
    frames = audio.shape[1]
    if frames < 4 * n or n < 4 * hop:
        return audio
    mono = audio.mean(axis=0).astype(np.float64)
    middle_db = 10 * np.log10(np.mean(mono[n:-n] ** 2) + 1e-24)
    count = n // hop
    blend = np.clip((n - np.arange(n)) / (0.25 * n), 0.0, 1.0)  # 1 outside, 0 at inner end
    out = audio.copy()
    for forward in (True, False):
        region = mono[:n] if forward else mono[::-1][:n]
        env_db = 10 * np.log10(np.mean(region[: count * hop].reshape(count, hop) ** 2, axis=1)
                               + 1e-24)
        gain_db = np.clip(middle_db - env_db, -limit_db, limit_db)
        centres = (np.arange(count) + 0.5) * hop
        curve = np.interp(np.arange(n), centres, gain_db) * blend
        gain = (10 ** (curve / 20)).astype(np.float32)
        if forward:
            out[:, :n] *= gain
        else:
            out[:, frames - n :] *= gain[::-1]
    return out


def normalise(audio: np.ndarray, bed: bool) -> tuple[np.ndarray, float]:
    """Beds to BED_RMS_DB RMS, events to EVENT_PEAK_DB peak; ceiling and gain capped.

    Returns the audio and the gain applied in dB.
    """
    peak = float(np.max(np.abs(audio))) if audio.size else 0.0
    if peak <= 0:
        return audio, 0.0
    if bed:
        rms = float(np.sqrt(np.mean(audio.astype(np.float64) ** 2)))
        gain_db = BED_RMS_DB - 20 * np.log10(rms)
    else:
        gain_db = EVENT_PEAK_DB - 20 * np.log10(peak)
    gain_db = min(gain_db, CEILING_DB - 20 * np.log10(peak), MAX_GAIN_DB)
    return (audio * np.float32(10 ** (gain_db / 20))).astype(np.float32), float(gain_db)


def finish(
    audio: np.ndarray,
    rate: int,
    out_rate: int,
    bed: bool,
    seconds: float,
    rng: np.random.Generator,
    high_band: bool = False,
) -> tuple[np.ndarray, dict[str, float]]:
    """Raw (channels, frames) at ``rate`` to a finished (2, frames) segment at ``out_rate``.

    Returns the audio and a dict of what was done (gain_db, frames).
    """
    audio = remove_dc(np.asarray(audio, dtype=np.float32), rate)
    mono_in = audio.shape[0] == 1
    if rate != out_rate:
        audio = np.stack([to_stereo_rate(ch[None, :], rate, out_rate)[0] for ch in audio])
    if high_band:
        audio = extend_high_band(audio, out_rate, rng)
    if mono_in:
        audio = decorrelate(audio[0], rng) if bed else np.repeat(audio, 2, axis=0)
    elif audio.shape[0] > 2:
        audio = to_stereo_rate(audio, out_rate, out_rate)
    if bed:
        audio = trim_bed(audio, out_rate, seconds)
        audio = flatten_edges(audio, out_rate)
        audio, gain_db = normalise(audio, bed=True)
        audio = _taper(audio, out_rate, TAPER_SECONDS, TAPER_SECONDS)
    else:
        audio = trim_event(audio, out_rate)
        audio = audio[:, : int(seconds * out_rate)]
        audio, gain_db = normalise(audio, bed=False)
        audio = _taper(audio, out_rate, 0.002, 0.05)
    audio = np.ascontiguousarray(audio, dtype=np.float32)
    return audio, {"gain_db": round(gain_db, 2), "frames": int(audio.shape[1])}
