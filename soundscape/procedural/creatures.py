"""Creatures: crickets and insects, the owl, and helpers shared by the creature modules.

Crickets (after Farnell): a stridulating wing makes a pure-ish carrier at 4-5 kHz,
gated into pulses (~15 ms, ~30 per second) grouped in chirps, each individual at
its own rate, pitch, distance and pan. Cicadas buzz: noise and tone near 5-7 kHz
pulsed at 150-250 Hz by the tymbals, in long swelling phrases. The owl is a few
breathy harmonic hoots near 350 Hz. Bird song lives in :mod:`.birds`, the herring
gull in :mod:`.gulls`; both use :func:`place` (tail and stereo image) and
:func:`level_and_limit` from here.
"""

from __future__ import annotations

import numpy as np
import scipy.fft
import scipy.ndimage
import scipy.signal

from soundscape.procedural import _dsp


def _tone(freq: np.ndarray, sr: int, harmonics: tuple[float, ...] = (1.0,)) -> np.ndarray:
    """Sum of harmonics with instantaneous fundamental ``freq`` (n,) Hz; those above
    0.45 * sr are left out so nothing aliases."""
    phase = 2 * np.pi * np.cumsum(freq) / sr
    out = np.zeros(len(freq))
    for h, a in enumerate(harmonics, start=1):
        if a and h * float(np.max(freq, initial=0.0)) < 0.45 * sr:
            out += a * np.sin(h * phase)
    return out


FLOOR_BAND = (120.0, 1800.0)  # Hz, the night's faint background under a chorus
DECIM = 16  # frames per point of the slow control signals


def _chirp(rng: np.random.Generator, sr: int, carrier_hz: float, pulse_period: float,
           pulses: int, duty: float) -> np.ndarray:
    """One chirp or trill (m,): ``pulses`` sin**2-gated pulses of a near-pure carrier.

    Each pulse is one closing stroke of the wing: its timing and level jitter a
    little, and its pitch falls by about 2 % (the file's tooth spacing narrows).
    Every pulse starts and ends at zero, so a chirp cut anywhere has no step.
    """
    width = duty * pulse_period
    m = int((pulse_period * (pulses - 1) * 1.03 + width) * sr) + 2
    t = np.arange(m) / sr
    gate = np.zeros(m)
    fall = np.zeros(m)
    start = 0.0
    for _ in range(pulses):
        a, b = int(start * sr), min(m, int((start + width) * sr) + 1)
        u = (t[a:b] - start) / width
        gate[a:b] += np.sin(np.pi * np.clip(u, 0.0, 1.0)) ** 2 * rng.uniform(0.75, 1.0)
        fall[a:b] = np.clip(u, 0.0, 1.0)
        start += pulse_period * rng.uniform(0.96, 1.04)
    freq = carrier_hz * (1.0 - 0.02 * fall) * rng.uniform(0.995, 1.005)
    return gate * _tone(freq, sr, (1.0, 0.18, 0.06))


def _singer(rng: np.random.Generator, n: int, sr: int, carrier_hz: float) -> np.ndarray:
    """One cricket's song over n frames (n,): chirps (3-6 pulses) or trills (1-2.5 s),
    repeated with natural jitter in the interval (5-10 %) and a slow tempo drift."""
    trill = rng.random() < 0.3
    pulse_period = rng.uniform(0.014, 0.025) if trill else rng.uniform(0.025, 0.045)
    duty = rng.uniform(0.55, 0.8)
    if trill:
        lengths = [int(rng.uniform(1.0, 2.5) / pulse_period) for _ in range(3)]
        interval = rng.uniform(0.25, 1.0)  # gap after a trill
    else:
        base = int(rng.integers(3, 7))
        lengths = [max(2, base + int(rng.integers(-1, 2))) for _ in range(3)]
        interval = rng.uniform(0.3, 0.9)  # chirp to chirp
    bank = [_chirp(rng, sr, carrier_hz, pulse_period, k, duty) for k in lengths]
    offsets, which = [], []
    jitter = rng.uniform(0.05, 0.1)
    drift = 1.0 + 0.08 * _dsp.smooth_noise(rng, n // 480 + 2, sr // 480, 0.1)
    t = -rng.uniform(0.0, 3.0)
    while t < n / sr:
        k = int(rng.integers(0, len(bank)))
        offsets.append(int(t * sr))
        which.append(k)
        step = interval * float(np.exp(rng.normal(0.0, jitter)))
        step *= float(drift[min(len(drift) - 1, max(0, int(t * 100)))])
        t += step + (len(bank[k]) / sr if trill else 0.0)
    out = np.zeros(n)
    gains = rng.uniform(0.8, 1.0, len(offsets))
    _dsp.add_grains(out, bank, np.asarray(which, int), np.asarray(offsets, int), gains)
    return out


def _band_chorus(rng: np.random.Generator, n: int, sr: int, band: tuple[float, float],
                 rates: tuple[float, float], voices: int) -> np.ndarray:
    """Unresolved far singers (2, n): band noise whose level flickers with ``voices``
    soft pulse trains at ``rates`` Hz (a shimmer, never silent)."""
    x = _dsp.filt(_dsp.white(rng, n, 2), "bandpass", band, sr)
    # The flicker is computed at 1/DECIM of the rate (pulse rates are below 100 Hz).
    k = n // DECIM + 2
    flicker = np.zeros(k)
    for _ in range(voices):
        rate = rng.uniform(*rates) * (1.0 + 0.03 * _dsp.smooth_noise(rng, k, sr // DECIM, 0.5))
        flicker += np.sin(np.pi * (np.cumsum(rate) * DECIM / sr + rng.random())) ** 2
    return x * _upsample(0.6 + 0.8 * flicker / voices, n)


def _upsample(env: np.ndarray, n: int) -> np.ndarray:
    """A control signal sampled every DECIM frames, linearly interpolated to n frames."""
    return np.interp(np.arange(n) / DECIM, np.arange(len(env)), env)


def _floor(rng: np.random.Generator, n: int, sr: int) -> np.ndarray:
    """The night's faint background (2, n): pink noise in FLOOR_BAND, unit RMS."""
    x = _dsp.filt(_dsp.colored(rng, n, 1.0, channels=2), "bandpass", FLOOR_BAND, sr)
    return x / (np.sqrt(np.mean(x**2)) + 1e-12)


def _rms(x: np.ndarray) -> float:
    return float(np.sqrt(np.mean(x**2))) + 1e-12


PEAK_RATIO = 7.0  # peaks are held below this many times the RMS
LIMIT_S = 0.01  # s, the limiter's hold (its gain moves over about this time)


def limit_peaks(x: np.ndarray, sr: int, ratio: float = PEAK_RATIO) -> np.ndarray:
    """Hold the peaks of a bed (2, n) below ``ratio`` times its RMS with a smooth gain.

    The bed contract soft-limits samples above 0.95 with a knee; a tone bent at the
    knee (a loud near call) gets a kink that the click detector hears, and so would
    any sample-wise curve. Here the gain follows a peak envelope instead: a 2*LIMIT_S
    running maximum of |x| averaged over LIMIT_S, which is never below |x|, so the
    output stays under the limit while each waveform keeps its shape. Two passes
    make up for the RMS the first one takes away.
    """
    hold = max(2, int(LIMIT_S * sr))
    for _ in range(2):
        limit = ratio * _rms(x)
        peak = scipy.ndimage.maximum_filter1d(np.max(np.abs(x), axis=0), 2 * hold + 1)
        env = scipy.ndimage.uniform_filter1d(peak, hold)
        if env.max() <= limit:
            break
        x = x * np.minimum(1.0, limit / np.maximum(env, 1e-12))
    return x


LEVEL_BLOCK_S = 0.01  # s, block of level_and_limit's gain curve


def level_and_limit(x: np.ndarray, sr: int, amount: float, ratio: float,
                    window_s: float = 1.0, max_db: float = 8.0) -> np.ndarray:
    """Pull the slow level of a bed (2, n) towards its mean and hold its peaks below
    ``ratio`` times its RMS, with one smooth gain curve computed on 10 ms blocks.

    The cheap block-rate equivalent of ``_dsp.steady_level`` followed by
    :func:`limit_peaks`: the power of each block, averaged over a centred
    ``window_s`` box, gives a gain of ``amount`` times its deviation from the mean
    (at most ``max_db``); each block's peak, maximised over its neighbours, gives the
    limiter's gain. The curve is interpolated linearly between block centres; since
    every centre's value already allows for the loudest sample of the blocks on
    either side, the output stays under the limit while each waveform keeps its shape
    (no sample-wise curve, nothing for the click detector to hear).
    """
    n = x.shape[-1]
    b = max(1, int(LEVEL_BLOCK_S * sr))
    k = n // b
    if k < 3:
        return limit_peaks(x, sr, ratio)
    body = x[:, : k * b].reshape(2, k, b)
    power = np.einsum("ckb,ckb->k", body, body) / (2 * b)
    peak = np.maximum(body.max(axis=(0, 2)), -body.min(axis=(0, 2)))
    if n > k * b:  # the remainder belongs to the last block
        power[-1] = max(power[-1], float(np.mean(x[:, k * b:] ** 2)))
        peak[-1] = max(peak[-1], float(np.max(np.abs(x[:, k * b:]))))
    total = float(np.mean(power))
    if total <= 0:
        return x
    w = max(1, min(k, int(window_s / LEVEL_BLOCK_S)))
    local = scipy.ndimage.uniform_filter1d(power, w, mode="nearest")
    dev_db = 10.0 * np.log10((local + 1e-12 * total) / total)
    gain = 10 ** (-np.clip(amount * dev_db, -max_db, max_db) / 20.0)
    for _ in range(2):  # a second pass makes up for the RMS the first takes away
        rms = float(np.sqrt(np.mean(power * gain**2)))
        env = scipy.ndimage.maximum_filter1d(peak * gain, 3, mode="nearest")
        over = env > ratio * rms
        if not over.any():
            break
        gain = gain * np.minimum(1.0, ratio * rms / np.maximum(env, 1e-30))
    # Each centre's gain already suits its neighbours' peaks: take the smaller of
    # the two centres around any sample so the interpolation never exceeds either.
    gain = np.minimum(gain, scipy.ndimage.minimum_filter1d(gain, 3, mode="nearest"))
    centres = (np.arange(k) + 0.5) * b
    return x * np.interp(np.arange(n), centres, gain)


CRICKET_CHORUS = 0.9  # far chorus RMS re the individuals
CRICKET_FLOOR = 0.08  # background RMS re the individuals


def crickets(p: dict[str, float | str], n: int, sr: int, rng: np.random.Generator) -> np.ndarray:
    """Cricket chorus (2, n); ``density`` 0..1 -> 8..30 singers over a far chorus.

    Singers chirp or trill at carriers spread log-uniformly over 2.8-6.5 kHz (field,
    bush and tree crickets), each at its own place and distance (0-18 dB); the far
    chorus is band noise over 1.8-8 kHz that shimmers with many unresolved pulse
    trains, and a faint background lies below. So many overlap that the 50 ms level
    moves by only about 1.2 dB (real crickets 1.1-1.35 dB): a steady shimmer.
    """
    density = float(p["density"])
    r_ind, r_far, r_floor = rng.spawn(3)
    near = np.zeros((2, n))
    far = np.zeros((2, n))
    for _ in range(8 + round(22 * density)):
        carrier = float(np.exp(r_ind.uniform(np.log(2500.0), np.log(6000.0))))
        dist_db = r_ind.uniform(0.0, 18.0)
        gl, gr = _dsp.pan_gains(r_ind.uniform(-0.9, 0.9))
        c = _singer(r_ind, n, sr, carrier) * 10 ** (-dist_db / 20.0)
        dest = far if dist_db > 9.0 else near
        dest[0] += gl * c
        dest[1] += gr * c
    # Distance softens the far singers' highs.
    out = near + _dsp.filt(far, "lowpass", 5000.0, sr)
    level = _rms(out)
    chorus = _band_chorus(r_far, n, sr, (1200.0, 7000.0), (15.0, 60.0), 8)
    # Many singers already overlap in a dense field: less of it needs to be unresolved.
    out += chorus * (CRICKET_CHORUS * (1.3 - 0.7 * density) * level / _rms(chorus))
    return limit_peaks(out + _floor(r_floor, n, sr) * (CRICKET_FLOOR * level), sr)


def insects(p: dict[str, float | str], n: int, sr: int, rng: np.random.Generator) -> np.ndarray:
    """Cicada buzz or night-insect drone (2, n); ``density`` sets how many insects.

    cicada: each insect is noise over a broad band (its centre at 3-6 kHz) with a
    tone at the centre, pulsed at 150-250 Hz by the tymbals, swelling over 4-12 s;
    many overlap into a dense, Gaussian-like buzz (real cicadas: high-band kurtosis
    3.2, 50 ms level std 1.1 dB). night: a soft drone of many distant insects, gated
    tones at 2.5-7 kHz at 5-60 pulses/s over a shimmering band of unresolved ones.
    """
    density = float(p["density"])
    r_ins, r_far, r_floor = rng.spawn(3)
    out = np.zeros((2, n))
    t = np.arange(n) / sr
    if p["kind"] == "cicada":
        k = n // DECIM + 2
        tk = np.arange(k) * DECIM / sr
        for _ in range(3 + round(6 * density)):
            centre = float(np.exp(r_ins.uniform(np.log(2200.0), np.log(4500.0))))
            buzz = _dsp.filt(r_ins.standard_normal(n), "bandpass", (centre / 1.8, centre * 1.5),
                             sr, order=1)
            buzz *= 1.0 / _rms(buzz)
            buzz += 0.5 * np.sin(2 * np.pi * centre * t + r_ins.uniform(0, 6.3))
            # Long phrases: each cicada swells and fades over 4-12 s, never quite silent,
            # and its buzz flutters in strength from one burst of pulses to the next.
            phrase = 0.4 + 0.6 * (0.5 + 0.5 * np.sin(2 * np.pi * tk / r_ins.uniform(4.0, 12.0)
                                                     + r_ins.uniform(0, 6.3)))
            phrase *= np.exp(0.3 * _dsp.smooth_noise(r_ins, k, sr // DECIM,
                                                      r_ins.uniform(6.0, 14.0)))
            phrase *= 10 ** (-r_ins.uniform(0, 10) / 20.0)
            # Tymbal pulses at 150-250 Hz.
            pulse = 0.6 + 0.4 * np.sin(2 * np.pi * r_ins.uniform(150.0, 250.0) * t)
            buzz *= pulse * _upsample(phrase, n)
            gl, gr = _dsp.pan_gains(r_ins.uniform(-0.8, 0.8))
            out[0] += gl * buzz
            out[1] += gr * buzz
        level = _rms(out)
        out += _floor(r_floor, n, sr) * (0.06 * level)
    else:
        for _ in range(8 + round(16 * density)):
            carrier = float(np.exp(r_ins.uniform(np.log(2500.0), np.log(7000.0))))
            period = 1.0 / float(np.exp(r_ins.uniform(np.log(5.0), np.log(60.0))))
            width = r_ins.uniform(0.3, 0.8) * period
            m = max(8, int(width * sr))
            u = np.arange(m) / m
            bank = [np.sin(np.pi * u) ** 2 * np.sin(2 * np.pi * carrier * f * u * width
                                                    + r_ins.uniform(0, 6.3))
                    for f in r_ins.uniform(0.99, 1.01, 3)]
            # Pulse to pulse the interval jitters by ~3 %.
            count = int(n / sr / period) + 3
            times = np.cumsum(period * np.exp(r_ins.normal(0.0, 0.03, count)))
            times -= r_ins.uniform(0.0, period)
            gl, gr = _dsp.pan_gains(r_ins.uniform(-1.0, 1.0))
            g = 10 ** (-r_ins.uniform(0, 20) / 20.0) * r_ins.uniform(0.8, 1.0, count)
            _dsp.add_grains(out, bank, r_ins.integers(0, 3, count), (times * sr).astype(int),
                            np.stack([g * gl, g * gr], axis=1))
        level = _rms(out)
        drone = _band_chorus(r_far, n, sr, (1500.0, 8000.0), (5.0, 40.0), 6)
        out += drone * (0.5 * level / _rms(drone))
        out += _floor(r_floor, n, sr) * (0.1 * level)
    # A few cicadas swelling together would pump the level: keep the seconds even.
    return limit_peaks(_dsp.steady_level(out, sr, 1.0, 0.6), sr)


def reverb(rng: np.random.Generator, x: np.ndarray, sr: int, seconds: float,
            wet: float) -> np.ndarray:
    """A short diffuse tail: ``x`` convolved with decaying noise, mixed at ``wet``."""
    m = int(seconds * sr)
    ir = rng.standard_normal(m) * _dsp.exp_decay(m, sr, seconds / 6.9)
    ir = scipy.signal.sosfilt(scipy.signal.butter(2, min(3000.0, 0.45 * sr), "lowpass", fs=sr,
                                                  output="sos"), ir)
    ir /= np.sqrt(np.sum(ir**2)) + 1e-12
    y = np.concatenate([x, np.zeros(m)])
    wet_part = scipy.signal.fftconvolve(x, ir)
    y[: len(wet_part)] += wet * wet_part
    return y


def place(rng: np.random.Generator, x: np.ndarray, sr: int, tail_s: float, wet: float,
          width: float = 0.35, diffuse_s: float = 0.02) -> np.ndarray:
    """:func:`reverb` then ``_dsp.stereo_spread`` in one pass (2, len(x) + tail).

    The same random draws and the same result up to rounding, but computed as one
    forward FFT of ``x`` and one inverse per channel: the spectrum of ``x`` times
    (1 + wet * tail) times (dry + width * diffuse copy of that channel), which for a
    long event (a cuckoo's bout) is a third of the cost of three convolutions.
    """
    m = int(tail_s * sr)
    ir = rng.standard_normal(m) * _dsp.exp_decay(m, sr, tail_s / 6.9)
    ir = scipy.signal.sosfilt(scipy.signal.butter(2, min(3000.0, 0.45 * sr), "lowpass", fs=sr,
                                                  output="sos"), ir)
    ir /= np.sqrt(np.sum(ir**2)) + 1e-12
    d = max(4, int(diffuse_s * sr))
    length = len(x) + m
    nfft = scipy.fft.next_fast_len(length + d, real=True)
    spec = scipy.fft.rfft(x, nfft) * (1.0 + wet * scipy.fft.rfft(ir, nfft))
    out = np.empty((2, length))
    for c in range(2):
        h = rng.standard_normal(d) * _dsp.exp_decay(d, sr, diffuse_s / 4.0)
        h /= np.sqrt(np.sum(h**2)) + 1e-12
        side = np.sqrt(1 - width**2) + width * scipy.fft.rfft(h, nfft)
        out[c] = scipy.fft.irfft(spec * side, nfft)[:length]
    return out


def owl(p: dict[str, float | str], max_n: int, sr: int, rng: np.random.Generator) -> np.ndarray:
    """An owl (2, m): one long hoot, a pause, then two to three short ones."""
    f0 = rng.uniform(300.0, 420.0)
    hoots = [rng.uniform(0.45, 0.7)] + [rng.uniform(0.18, 0.3) for _ in range(rng.integers(2, 4))]
    gaps = [rng.uniform(0.7, 1.2)] + [rng.uniform(0.12, 0.22) for _ in hoots[1:]]
    parts = []
    for i, (dur, gap) in enumerate(zip(hoots, gaps, strict=True)):
        m = int(dur * sr)
        u = np.linspace(0.0, 1.0, m)
        contour = f0 * (1.0 + 0.06 * np.sin(np.pi * u) - 0.03 * u) * (1.0 - 0.02 * i)
        tone = _tone(contour, sr, (1.0, 0.3, 0.1, 0.04))
        breath = _dsp.filt(rng.standard_normal(m), "bandpass", (f0, 4 * f0), sr)
        env = np.minimum(1.0, u / 0.25) * np.minimum(1.0, (1.0 - u) / 0.35)
        parts.append((tone + 0.08 * breath) * env**1.5 * (1.0 if i == 0 else 0.85))
        parts.append(np.zeros(int(gap * sr)))
    x = _dsp.filt(np.concatenate(parts), "bandpass", (200.0, 2500.0), sr)
    return _dsp.stereo_spread(reverb(rng, x, sr, 0.9, 0.25), rng, sr)
