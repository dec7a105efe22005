"""Small DSP building blocks shared by the recipes.

Conventions: mono signals are float64 (frames,), stereo (2, frames); frequencies in
Hz, times in seconds only at the edges of a function (converted to integer frames
inside). Every random draw comes from the ``numpy.random.Generator`` passed in.
"""

from __future__ import annotations

import numpy as np
import scipy.fft
import scipy.signal

Rng = np.random.Generator

BED_RMS_DBFS = -20.0
EVENT_PEAK_DBFS = -3.0
EVENT_FADE_OUT_S = 0.005
EVENT_FADE_IN_S = 0.001
MAX_EVENT_S = 20.0


def _clip_freq(freq: float, sr: int) -> float:
    return float(min(max(freq, 5.0), 0.45 * sr))


def butter(kind: str, freq: float | tuple[float, float], sr: int, order: int = 2) -> np.ndarray:
    """Butterworth SOS; ``kind`` is 'lowpass', 'highpass' or 'bandpass' (freq = (lo, hi)).

    Cutoffs are clipped into 5 Hz .. 0.45 * sr so a design made at 48 kHz still works
    at 16 kHz (the band just ends lower).
    """
    if kind == "bandpass":
        lo, hi = freq  # type: ignore[misc]
        lo = _clip_freq(lo, sr)
        hi = _clip_freq(hi, sr)
        if hi <= lo * 1.05:
            lo = hi / 1.5
        wn: float | list[float] = [lo, hi]
    else:
        wn = _clip_freq(float(freq), sr)  # type: ignore[arg-type]
    return scipy.signal.butter(order, wn, btype=kind, fs=sr, output="sos")


def filt(x: np.ndarray, kind: str, freq: float | tuple[float, float], sr: int,
         order: int = 2) -> np.ndarray:
    """Filter along the last axis with :func:`butter`."""
    return scipy.signal.sosfilt(butter(kind, freq, sr, order), x, axis=-1)


def white(rng: Rng, n: int, channels: int | None = None) -> np.ndarray:
    """Unit-variance Gaussian noise, (n,) or (channels, n)."""
    shape = (n,) if channels is None else (channels, n)
    return rng.standard_normal(shape)


def colored(rng: Rng, n: int, exponent: float, channels: int | None = None) -> np.ndarray:
    """Noise with power spectrum ~ 1/f**exponent (0 white, 1 pink, 2 brown), unit RMS.

    Shaped in the frequency domain (below 20 Hz the slope is flat) and DC-free.
    """
    x = white(rng, n, channels)
    if n < 4 or exponent == 0:
        return x
    nfft = scipy.fft.next_fast_len(n)
    spec = scipy.fft.rfft(x, nfft, axis=-1)
    f = np.fft.rfftfreq(nfft, 1.0)  # cycles/sample; scale does not matter
    fmin = 20.0 / 48000.0
    shape = np.maximum(f, fmin) ** (-exponent / 2.0)
    shape[0] = 0.0
    y = scipy.fft.irfft(spec * shape, nfft, axis=-1)[..., :n]
    return y / (np.sqrt(np.mean(y**2, axis=-1, keepdims=True)) + 1e-12)


def smooth_noise(rng: Rng, n: int, sr: int, rate_hz: float) -> np.ndarray:
    """Slowly wandering control signal (n,), zero mean, unit std, bandwidth ~rate_hz.

    Random knots every 1/rate_hz seconds joined by cubic interpolation, so it has
    no periodic structure and costs O(n).
    """
    step = max(1, int(sr / rate_hz))
    k = n // step + 4
    knots = rng.standard_normal(k)
    t = np.arange(n) / step + 1.0
    i = np.floor(t).astype(int)
    u = t - i
    p0, p1, p2, p3 = knots[i - 1], knots[i], knots[i + 1], knots[i + 2]
    # Catmull-Rom spline through the knots.
    y = 0.5 * (2 * p1 + (-p0 + p2) * u + (2 * p0 - 5 * p1 + 4 * p2 - p3) * u**2
               + (-p0 + 3 * p1 - 3 * p2 + p3) * u**3)
    s = y.std()
    return (y - y.mean()) / s if s > 0 else y


def varying_bandpass(x: np.ndarray, centre: np.ndarray, q: float, sr: int,
                     block: int = 256) -> np.ndarray:
    """Resonant band-pass (RBJ, constant peak gain) whose centre follows ``centre`` (Hz).

    ``x`` is (n,) or (channels, n); ``centre`` is (n,). The coefficients change every
    ``block`` frames with the filter state carried over, which is smooth enough for
    centres that move at a few Hz.
    """
    n = x.shape[-1]
    y = np.empty_like(x)
    chans = 1 if x.ndim == 1 else x.shape[0]
    zi = np.zeros((chans, 2))
    xs = x.reshape(chans, n)
    ys = y.reshape(chans, n)
    for start in range(0, n, block):
        stop = min(n, start + block)
        f0 = _clip_freq(float(centre[start]), sr)
        w0 = 2 * np.pi * f0 / sr
        alpha = np.sin(w0) / (2 * q)
        b = np.array([alpha, 0.0, -alpha])
        a = np.array([1 + alpha, -2 * np.cos(w0), 1 - alpha])
        b, a = b / a[0], a / a[0]
        for c in range(chans):
            ys[c, start:stop], zi[c] = scipy.signal.lfilter(b, a, xs[c, start:stop], zi=zi[c])
    return y


def resonator(x: np.ndarray, freq: float, decay_s: float, sr: int) -> np.ndarray:
    """Two-pole resonator: rings at ``freq`` Hz with 1/e amplitude decay in ``decay_s``."""
    r = np.exp(-1.0 / (max(decay_s, 1e-4) * sr))
    w = 2 * np.pi * _clip_freq(freq, sr) / sr
    a = [1.0, -2 * r * np.cos(w), r * r]
    return scipy.signal.lfilter([1.0 - r], a, x, axis=-1)


def exp_decay(n: int, sr: int, tau_s: float) -> np.ndarray:
    """exp(-t / tau) for n frames."""
    return np.exp(-np.arange(n) / (max(tau_s, 1e-5) * sr))


def pan_gains(pan: float | np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Equal-power gains for pan in -1 (left) .. 1 (right)."""
    theta = (np.asarray(pan, dtype=float) + 1.0) * np.pi / 4.0
    return np.cos(theta), np.sin(theta)


def add_grains(out: np.ndarray, bank: list[np.ndarray], which: np.ndarray,
               offsets: np.ndarray, gains: np.ndarray) -> None:
    """Add ``gains[k] * bank[which[k]]`` into ``out`` at frame ``offsets[k]``, in place.

    ``out`` is (n,) or (channels, n); ``gains`` is (k,) or (k, channels). Grains that
    run past the end are cut; negative offsets start the grain part-way through,
    so a bed can begin in the middle of a sound that started before it.
    """
    n = out.shape[-1]
    for k in range(len(offsets)):
        g = bank[int(which[k])]
        o = int(offsets[k])
        a = max(0, -o)
        b = min(len(g), n - o)
        if b <= a:
            continue
        if out.ndim == 1:
            out[o + a:o + b] += gains[k] * g[a:b]
        else:
            out[:, o + a:o + b] += np.asarray(gains[k])[:, None] * g[a:b]


def stereo_spread(x: np.ndarray, rng: Rng, sr: int, width: float = 0.35,
                  diffuse_s: float = 0.02) -> np.ndarray:
    """A natural, mono-compatible stereo image (2, n) from mono ``x`` (n,).

    Both channels carry the dry sound; each adds its own diffuse copy (``x``
    convolved with an independent ``diffuse_s`` noise burst of unit energy), so the
    image is centred but wide, like a source heard with its nearby reflections.
    """
    m = max(4, int(diffuse_s * sr))
    out = np.empty((2, len(x)))
    for c in range(2):
        ir = rng.standard_normal(m) * exp_decay(m, sr, diffuse_s / 4.0)
        ir /= np.sqrt(np.sum(ir**2)) + 1e-12
        out[c] = np.sqrt(1 - width**2) * x + width * scipy.signal.fftconvolve(x, ir)[: len(x)]
    return out


def steady_level(x: np.ndarray, sr: int, window_s: float = 1.0, amount: float = 0.7,
                 max_db: float = 8.0) -> np.ndarray:
    """Pull the slow level of a bed (2, n) towards its overall RMS.

    The power is averaged over a centred ``window_s`` box (truncated at the edges) and
    a gain of ``amount`` times the level deviation (at most ``max_db``) is taken away,
    so loud and quiet stretches of a sparse texture (a close bird, a burst of waves)
    differ less than they would by chance. Faster detail (calls, crackles, waves
    within the window) is untouched, and the result stays stationary across seeds:
    segments can be crossfaded without pumping.
    """
    n = x.shape[-1]
    w = max(1, min(n, int(window_s * sr)))
    power = np.mean(np.asarray(x) ** 2, axis=0) if x.ndim == 2 else np.asarray(x) ** 2
    c = np.concatenate([[0.0], np.cumsum(power)])
    i = np.arange(n)
    lo = np.clip(i - w // 2, 0, n)
    hi = np.clip(i + w - w // 2, 0, n)
    local = (c[hi] - c[lo]) / (hi - lo)
    total = c[-1] / n
    if total <= 0:
        return x
    dev_db = 10.0 * np.log10((local + 1e-12 * total) / total)
    gain_db = -np.clip(amount * dev_db, -max_db, max_db)
    return x * 10 ** (gain_db / 20.0)


def bound_peaks(x: np.ndarray, ceiling: float = 9.0, knee: float = 6.0) -> np.ndarray:
    """Soft-saturate the rare samples beyond ``knee`` x RMS so none passes ``ceiling`` x RMS.

    ``x`` is (n,) or (channels, n), RMS taken over all of it. Above the knee the
    magnitude follows ``knee + (ceiling - knee) * tanh((a - knee) / (ceiling - knee))``
    (in RMS units), which meets the straight line with equal slope and curvature, so
    a loud drop or crackle is rounded off smoothly instead of clipped into a flat top.
    A bed normalised by :func:`finish_bed` to -20 dBFS (RMS 0.1) then peaks below
    ``ceiling / 10`` (0.9 by default): under full scale by design, not by clipping.
    """
    x = np.asarray(x, dtype=np.float64)
    rms = float(np.sqrt(np.mean(x**2))) if x.size else 0.0
    if rms <= 0 or ceiling <= knee:
        return x
    a = np.abs(x) / rms
    over = a > knee
    if not over.any():
        return x
    y = x.copy()
    span = ceiling - knee
    y[over] = np.sign(x[over]) * rms * (knee + span * np.tanh((a[over] - knee) / span))
    return y


def soft_onset(n: int, sr: int, attack_s: float = 0.0002) -> np.ndarray:
    """Gain (n,) rising over ``attack_s`` as a raised cosine, then 1: a grain that starts
    at full amplitude is a step (a click by the guard's detector); this rounds it off."""
    a = max(1, min(n, int(round(attack_s * sr))))
    g = np.ones(n)
    g[:a] = 0.5 - 0.5 * np.cos(np.pi * (np.arange(a) + 0.5) / a)
    return g


def finish_bed(x: np.ndarray) -> np.ndarray:
    """Bed contract: float32 (2, n), DC-free-ish, RMS at BED_RMS_DBFS, peak <= 1, no fades.

    Peaks that would pass 0.95 are soft-limited with tanh (only the rare loudest drop
    or crackle is touched).
    """
    x = np.asarray(x, dtype=np.float64)
    x = x - x.mean(axis=-1, keepdims=True)
    rms = np.sqrt(np.mean(x**2)) if x.size else 0.0
    if rms > 0:
        x = x * (10 ** (BED_RMS_DBFS / 20.0) / rms)
    knee = 0.95
    over = np.abs(x) > knee
    if over.any():
        x[over] = np.sign(x[over]) * (knee + (1 - knee) * np.tanh((np.abs(x[over]) - knee)
                                                                 / (1 - knee)))
    return np.clip(x, -1.0, 1.0).astype(np.float32)


def finish_event(x: np.ndarray, sr: int, max_frames: int) -> np.ndarray:
    """Event contract: float32 (2, m), m <= max_frames, peak at EVENT_PEAK_DBFS,
    first sample 0 (1 ms fade-in), trailing silence (< -70 dB re peak) trimmed and
    the last 5 ms faded to exactly 0.
    """
    x = np.asarray(x, dtype=np.float64)
    if x.ndim == 1:
        x = np.stack([x, x])
    x = x[:, :max_frames]
    peak = np.max(np.abs(x)) if x.size else 0.0
    if peak > 0:
        loud = np.nonzero(np.max(np.abs(x), axis=0) > peak * 10 ** (-70 / 20))[0]
        end = min(x.shape[1], int(loud[-1]) + 1 + int(0.01 * sr))
        x = x[:, :end] * (10 ** (EVENT_PEAK_DBFS / 20.0) / peak)
    m = x.shape[1]
    fi = min(m, max(2, int(EVENT_FADE_IN_S * sr)))
    x[:, :fi] *= np.linspace(0.0, 1.0, fi)
    fo = min(m, max(2, int(EVENT_FADE_OUT_S * sr)))
    x[:, m - fo:] *= np.linspace(1.0, 0.0, fo)
    return np.clip(x, -1.0, 1.0).astype(np.float32)
