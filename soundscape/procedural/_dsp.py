"""Small DSP building blocks shared by the recipes.

Conventions: mono signals are float64 (frames,), stereo (2, frames); frequencies in
Hz, times in seconds only at the edges of a function (converted to integer frames
inside). Every random draw comes from the ``numpy.random.Generator`` passed in.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import scipy.fft
import scipy.ndimage
import scipy.signal

Rng = np.random.Generator

BED_RMS_DBFS = -20.0
EVENT_PEAK_DBFS = -3.0
EVENT_FADE_OUT_S = 0.005
EVENT_FADE_IN_S = 0.001
MAX_EVENT_S = 20.0


def _clip_freq(freq: float, sr: int) -> float:
    return float(min(max(freq, 5.0), 0.45 * sr))


def _cutoffs(kind: str, freq: float | tuple[float, float], sr: int) -> tuple[float, ...]:
    """The cutoff(s) of :func:`butter` after clipping into 5 Hz .. 0.45 * sr."""
    if kind == "bandpass":
        lo, hi = freq  # type: ignore[misc]
        lo = _clip_freq(float(lo), sr)
        hi = _clip_freq(float(hi), sr)
        if hi <= lo * 1.05:
            lo = hi / 1.5
        return (lo, hi)
    return (_clip_freq(float(freq), sr),)  # type: ignore[arg-type]


@lru_cache(maxsize=512)
def _butter_cached(kind: str, wn: tuple[float, ...], sr: int, order: int) -> np.ndarray:
    return scipy.signal.butter(order, wn if len(wn) > 1 else wn[0], btype=kind, fs=sr,
                               output="sos")


def butter(kind: str, freq: float | tuple[float, float], sr: int, order: int = 2) -> np.ndarray:
    """Butterworth SOS; ``kind`` is 'lowpass', 'highpass' or 'bandpass' (freq = (lo, hi)).

    Cutoffs are clipped into 5 Hz .. 0.45 * sr so a design made at 48 kHz still works
    at 16 kHz (the band just ends lower). Designs are cached: recipes ask for the same
    few filters thousands of times (a rain grain bank used to design 320).
    """
    # a copy: the cached design stays intact whatever a caller does with its array
    return _butter_cached(kind, _cutoffs(kind, freq, sr), int(sr), int(order)).copy()


def butter_gain(kind: str, freq: float | tuple[float, float], sr: int, order: int,
                f: np.ndarray) -> np.ndarray:
    """Magnitude response |H| at frequencies ``f`` (Hz) of exactly :func:`butter`'s filter.

    Evaluated in closed form: the digital Butterworth is the analog prototype after
    the bilinear transform, so |H(f)| is the analog magnitude at the pre-warped
    frequency 2 sr tan(pi f / sr), with pre-warped cutoffs. Used to shape noise in the
    frequency domain (same spectrum as ``sosfilt``, zero phase, no filter pass).
    """
    wn = _cutoffs(kind, freq, sr)
    w = _warped(np.asarray(f, dtype=np.float64), sr)
    c = [np.tan(np.pi * x / sr) for x in wn]
    if kind == "lowpass":
        r2 = (w / c[0]) ** 2
    elif kind == "highpass":
        r2 = (c[0] / np.maximum(w, 1e-12)) ** 2
    else:
        w0sq, bw = c[0] * c[1], c[1] - c[0]
        r2 = ((w * w - w0sq) / (np.maximum(w, 1e-12) * bw)) ** 2
    p = r2
    for _ in range(int(order) - 1):  # r**(2 order) by products: a float power is slow
        p = p * r2
    return 1.0 / np.sqrt(1.0 + p)


def _warped(f: np.ndarray, sr: int) -> np.ndarray:
    """tan(pi f / sr), the bilinear pre-warp (Nyquist held just below infinity); cached
    for the rfft grid of one length, which every layer of a recipe shares."""
    if f.ndim == 1 and len(f) > 2 and f[0] == 0.0:
        n_bins, df = len(f), float(f[1])
        if f[-1] == df * (n_bins - 1):
            return _warped_grid(n_bins, df, int(sr))
    return np.tan(np.pi * np.minimum(f, 0.4999 * sr) / sr)


@lru_cache(maxsize=8)
def _warped_grid(n_bins: int, df: float, sr: int) -> np.ndarray:
    w = np.tan(np.pi * np.minimum(np.arange(n_bins) * df, 0.4999 * sr) / sr)
    w.setflags(write=False)
    return w


def rfft_freqs(n: int, sr: int) -> np.ndarray:
    """Frequencies (Hz) of the rfft bins of an n-frame signal at ``sr``."""
    return np.arange(n // 2 + 1) * (sr / n)


def spectral_noise(rng: Rng, n: int, gain: np.ndarray, channels: int | None = None) -> np.ndarray:
    """Gaussian noise (n,) or (channels, n), float64 unit RMS, whose amplitude spectrum
    follows ``gain`` ((n // 2 + 1,) at :func:`rfft_freqs`; its DC bin is ignored).

    Drawn directly as a random spectrum and one inverse FFT: the statistics of white
    noise through a zero-phase filter of that magnitude, for one FFT instead of three
    (noise, forward, inverse) plus filter passes. The real and imaginary parts are
    uniform, not Gaussian (ten times cheaper to draw): every output sample sums
    thousands of them, so it is Gaussian all the same (central limit), and each
    bin's expected power is the same. The result is circular (its end runs into its
    start), which a bed never minds. Fewer than 4 frames: plain white noise.
    """
    if n < 4:
        return white(rng, n, channels)
    m = n // 2 + 1
    rows = 1 if channels is None else channels
    spec = rng.random((rows, 2 * m), dtype=np.float32)
    spec -= 0.5
    z = spec.view(np.complex64)
    z *= np.asarray(gain, dtype=np.float32)
    z[:, 0] = 0.0
    y = scipy.fft.irfft(z, n, axis=-1).astype(np.float64)
    power = np.einsum("ij,ij->i", y, y)[:, None] / n
    y /= np.sqrt(power) + 1e-30
    return y[0] if channels is None else y


def stft_noise(rng: Rng, n: int, gains: np.ndarray, hop: int,
               channels: int | None = None) -> np.ndarray:
    """Noise (n,) or (channels, n) whose amplitude spectrum changes over time: frame j
    (centred on frame j * hop of the output) has the spectrum ``gains[j]`` over the
    ``hop + 1`` bins of a 2 * hop point rfft; needs n // hop + 2 rows.

    Each frame is an independent random spectrum times its gains, inverse-transformed
    and windowed by a sine window 2 * hop long, and the frames overlap by half: sine
    squared plus cosine squared is 1, so a constant spectrum gives stationary noise,
    and a slowly moving one (a wind band following its gusts) glides without zipper
    or block edges. One batched inverse FFT for the whole signal, instead of a filter
    whose coefficients are updated block by block in a Python loop.

    Scale: a row of ones gives unit-variance noise (uniform real and imaginary parts,
    Gaussian by the central limit, as in :func:`spectral_noise`).
    """
    rows = 1 if channels is None else channels
    frames = n // hop + 2
    g = np.asarray(gains, dtype=np.float32)[:frames]
    bins = hop + 1
    spec = rng.random((rows, frames, 2 * bins), dtype=np.float32)
    spec -= 0.5
    z = spec.view(np.complex64)
    z *= g[None, :, :]
    z[..., 0] = 0.0
    # var of one frame: (2 / L**2) sum_k E|X_k|**2 g_k**2 with E|X|**2 = 1 / 6, L = 2 hop
    z *= np.float32(np.sqrt(3.0) * 2 * hop / np.sqrt(bins))
    seg = scipy.fft.irfft(z, 2 * hop, axis=-1)
    seg *= np.sin(np.pi * (np.arange(2 * hop) + 0.5) / (2 * hop)).astype(np.float32)
    out = np.zeros((rows, (frames + 1) * hop))
    out[:, : frames * hop] += seg[:, :, :hop].reshape(rows, -1)
    out[:, hop : (frames + 1) * hop] += seg[:, :, hop:].reshape(rows, -1)
    # frame j is centred on output frame j * hop: drop the first half frame
    y = out[:, hop : hop + n]
    return y[0] if channels is None else y


def pink_gain(f: np.ndarray, exponent: float, floor_hz: float = 20.0) -> np.ndarray:
    """Amplitude gain ~ 1/f**(exponent/2) (power 1/f**exponent), flat below ``floor_hz``."""
    return np.maximum(np.asarray(f, dtype=np.float64), floor_hz) ** (-exponent / 2.0)


def filt(x: np.ndarray, kind: str, freq: float | tuple[float, float], sr: int,
         order: int = 2) -> np.ndarray:
    """Filter along the last axis with :func:`butter`."""
    return scipy.signal.sosfilt(butter(kind, freq, sr, order), x, axis=-1)


def white(rng: Rng, n: int, channels: int | None = None) -> np.ndarray:
    """Unit-variance Gaussian noise, (n,) or (channels, n)."""
    shape = (n,) if channels is None else (channels, n)
    return rng.standard_normal(shape)


def uniform_white(rng: Rng, n: int, channels: int | None = None) -> np.ndarray:
    """Unit-variance white noise, (n,) or (channels, n), from uniform draws (ten times
    cheaper than Gaussian ones). Not Gaussian sample by sample (flat in -1.73..1.73),
    but any band-limiting filter sums many samples into each output sample, so what
    comes out of one is Gaussian (central limit): use it only where it is filtered."""
    shape = (n,) if channels is None else (channels, n)
    u = rng.random(shape)
    u -= 0.5
    u *= np.sqrt(12.0)
    return u


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


def smooth_noise(rng: Rng, n: int, sr: float, rate_hz: float) -> np.ndarray:
    """Slowly wandering control signal (n,), zero mean, unit std, bandwidth ~rate_hz.

    Random knots every 1/rate_hz seconds joined by cubic interpolation, so it has
    no periodic structure and costs O(n).
    """
    step = max(1, int(sr / rate_hz))
    k = n // step + 4
    knots = rng.standard_normal(k)
    # Catmull-Rom spline through the knots. Every knot interval holds the same
    # ``step`` positions u = j / step, so the curve is (intervals x 4 knots) @
    # (4 x step) basis values: one small matrix product instead of per-frame gathers.
    u = np.arange(step) / step
    u2 = u * u
    u3 = u2 * u
    basis = 0.5 * np.stack([-u + 2 * u2 - u3, 2 - 5 * u2 + 3 * u3,
                            u + 4 * u2 - 3 * u3, u3 - u2])
    segs = n // step + 1
    k4 = np.lib.stride_tricks.sliding_window_view(knots, 4)[:segs]  # knots i-1 .. i+2
    # four broadcast products, not ``@``: BLAS threads spin badly on a busy machine
    y = (k4[:, 0:1] * basis[0] + k4[:, 1:2] * basis[1] + k4[:, 2:3] * basis[2]
         + k4[:, 3:4] * basis[3]).reshape(-1)[:n]
    s = y.std()
    return (y - y.mean()) / s if s > 0 else y


CONTROL_STEP = 32  # frames between the points of a control curve (1.5 kHz at 48 kHz)


def control_rate(sr: int, step: int = CONTROL_STEP) -> float:
    """Points per second of a control curve with one point every ``step`` frames."""
    return sr / step


def control_points(n: int, step: int = CONTROL_STEP) -> int:
    """How many control points :func:`expand` needs to cover ``n`` frames."""
    return n // step + 2


def expand(ctl: np.ndarray, n: int, step: int = CONTROL_STEP) -> np.ndarray:
    """A control curve (m,) with one point every ``step`` frames, linearly interpolated
    to (n,) frames (point k sits at frame k * step); m >= n // step + 2.

    Gains and band centres that move at most a few tens of Hz need no per-frame
    evaluation: compute them at the control rate (cheap), expand once.
    """
    c = np.asarray(ctl, dtype=np.float64)
    u = np.arange(step) / step
    segs = n // step + 1
    if len(c) < segs + 1:  # hold the last point
        c = np.concatenate([c, np.full(segs + 1 - len(c), c[-1])])
    y = c[:segs, None] + (c[1:segs + 1] - c[:segs])[:, None] * u[None, :]
    return y.reshape(-1)[:n]


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


def pan_minus3db_centre(pan: float | np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Equal-power (left, right) gains for pan in -1 (left) .. 1 (right), -3 dB each at
    the centre (cos/sin: left**2 + right**2 = 1), for placing a mono source inside a
    recipe. The graph's pan of a finished stereo layer is ``dsp.fades.pan_unity_centre``."""
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


def scatter_stereo(out: np.ndarray, bank: list[np.ndarray], which: np.ndarray,
                   offsets: np.ndarray, gl: np.ndarray, gr: np.ndarray) -> None:
    """Add grain ``bank[which[k]]`` at frame ``offsets[k]`` with gains (gl[k], gr[k]) into
    stereo ``out`` (2, n), in place; grains running past either end are cut.

    Same result as :func:`add_grains` with (k, 2) gains, but a plain loop over python
    numbers (no numpy scalars, no (2, m) temporaries): a few thousand grains cost a
    few milliseconds.
    """
    n = out.shape[1]
    left, right = out[0], out[1]
    for w, o, a_l, a_r in zip(np.asarray(which).tolist(), np.asarray(offsets).tolist(),
                              np.asarray(gl).tolist(), np.asarray(gr).tolist(), strict=True):
        g = bank[w]
        a = -o if o < 0 else 0
        b = min(len(g), n - o)
        if b <= a:
            continue
        seg = g[a:b]
        left[o + a:o + b] += a_l * seg
        right[o + a:o + b] += a_r * seg


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
                 max_db: float = 8.0, block: int = 1) -> np.ndarray:
    """Pull the slow level of a bed (2, n) towards its overall RMS.

    The power is averaged over a centred ``window_s`` box (truncated at the edges) and
    a gain of ``amount`` times the level deviation (at most ``max_db``) is taken away,
    so loud and quiet stretches of a sparse texture (a close bird, a burst of waves)
    differ less than they would by chance. Faster detail (calls, crackles, waves
    within the window) is untouched, and the result stays stationary across seeds:
    segments can be crossfaded without pumping.

    ``block`` > 1 computes the gain once per ``block`` frames (power summed over the
    block) and interpolates it linearly: the same slow gain (the window is thousands
    of frames) at a fraction of the cost.
    """
    if block > 1 and x.shape[-1] >= 4 * block:
        return _steady_level_blocks(x, sr, window_s, amount, max_db, block)
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


def _steady_level_blocks(x: np.ndarray, sr: int, window_s: float, amount: float,
                         max_db: float, block: int) -> np.ndarray:
    """:func:`steady_level` with the gain computed per ``block`` frames."""
    n = x.shape[-1]
    flat = np.asarray(x).reshape(-1, n)
    m = n // block
    sq = np.einsum("ij,ij->j", flat, flat) / flat.shape[0]
    power = sq[: m * block].reshape(m, block).mean(axis=1)
    w = max(1, min(m, int(round(window_s * sr / block))))
    c = np.concatenate([[0.0], np.cumsum(power)])
    i = np.arange(m)
    lo = np.clip(i - w // 2, 0, m)
    hi = np.clip(i + w - w // 2, 0, m)
    local = (c[hi] - c[lo]) / (hi - lo)
    total = float(sq.mean())
    if total <= 0:
        return x
    dev_db = 10.0 * np.log10((local + 1e-12 * total) / total)
    gain_db = -np.clip(amount * dev_db, -max_db, max_db)
    centres = (i + 0.5) * block
    gain = np.interp(np.arange(n), centres, 10 ** (gain_db / 20.0))
    return x * gain


PEAK_HOLD_S = 0.002  # s, the smooth limiter's hold: longer than any drop or crackle crest


def bound_peaks(x: np.ndarray, sr: int, ceiling: float = 8.0,
                hold_s: float = PEAK_HOLD_S) -> np.ndarray:
    """Hold the peaks of ``x`` ((n,) or (channels, n)) at or below ``ceiling`` x its RMS
    with a smooth gain, never by bending samples.

    A sample-wise curve (tanh) squares off exactly the loudest crests: a drop's peak
    became three or more samples within 1.5 % of each other (``stats.flat_tops``).
    Here the gain is 1 / e, where e is the running maximum over +-``hold_s`` of
    max(1, |x| / limit), averaged over ``hold_s``: e is never below |x| / limit and is
    flat across each crest, so a loud transient is scaled as a whole and keeps its
    shape. All channels share the gain (the image does not move). Only the stretches
    around the few samples over the limit are touched, so the RMS barely moves (a
    bed renormalised afterwards peaks within a fraction of a percent of the
    ceiling). A bed normalised to -20 dBFS (RMS 0.1) then peaks near or below
    ``ceiling / 10``: under full scale by design. Returns float32 for float32 ``x``,
    else float64; ``x`` itself is never changed.
    """
    x = np.asarray(x)
    if x.dtype != np.float32:  # float32 stays float32: half the memory traffic
        x = x.astype(np.float64, copy=False)
    if x.size == 0:
        return x
    hold = max(2, int(hold_s * sr))
    reach = 2 * hold + 2  # how far an over-limit sample's gain dip extends
    flat = x.reshape(-1, x.shape[-1])
    rms = float(np.sqrt(np.einsum("ij,ij->", flat, flat) / x.size))
    if rms <= 0:
        return x
    limit = ceiling * rms
    mag = np.abs(flat[0])
    for row in flat[1:]:  # row by row: a max over axis 0 of (2, n) is three times slower
        np.maximum(mag, np.abs(row), out=mag)
    over = np.flatnonzero(mag > limit)
    if over.size == 0:
        return x
    x = x.copy()
    n = mag.shape[0]
    # overs closer than 2 * reach share one stretch
    breaks = np.flatnonzero(np.diff(over) > 2 * reach)
    firsts = np.concatenate([[over[0]], over[breaks + 1]])
    lasts = np.concatenate([over[breaks], [over[-1]]])
    for a, b in zip(firsts.tolist(), lasts.tolist(), strict=True):
        lo, hi = max(0, a - 2 * reach), min(n, b + 2 * reach + 1)
        r = np.maximum(mag[lo:hi] / limit, 1.0)
        env = scipy.ndimage.uniform_filter1d(
            scipy.ndimage.maximum_filter1d(r, 2 * hold + 1, mode="nearest"), hold, mode="nearest")
        x[..., lo:hi] /= env
    return x


def soft_onset(n: int, sr: int, attack_s: float = 0.0002) -> np.ndarray:
    """Gain (n,) rising over ``attack_s`` as a raised cosine, then 1: a grain that starts
    at full amplitude is a step (a click by the guard's detector); this rounds it off."""
    a = max(1, min(n, int(round(attack_s * sr))))
    g = np.ones(n)
    g[:a] = 0.5 - 0.5 * np.cos(np.pi * (np.arange(a) + 0.5) / a)
    return g


def finish_bed(x: np.ndarray) -> np.ndarray:
    """Bed contract: float32 (2, n), DC-free-ish, RMS at BED_RMS_DBFS, peak <= 1, no fades.

    Recipes hold their peaks below 0.9 by design (:func:`bound_peaks`); should one
    still pass 0.95, it is soft-limited with tanh above that knee (a last resort that
    no recipe in this package reaches).
    """
    x = np.asarray(x, dtype=np.float64)
    x = x - x.mean(axis=-1, keepdims=True)
    rms = np.sqrt(np.einsum("ij,ij->", x, x) / x.size) if x.size else 0.0
    if rms > 0:
        x *= 10 ** (BED_RMS_DBFS / 20.0) / rms
    knee = 0.95
    if x.size and max(float(x.max()), -float(x.min())) > knee:
        over = np.abs(x) > knee
        x[over] = np.sign(x[over]) * (knee + (1 - knee) * np.tanh((np.abs(x[over]) - knee)
                                                                 / (1 - knee)))
        np.clip(x, -1.0, 1.0, out=x)
    return x.astype(np.float32)


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
