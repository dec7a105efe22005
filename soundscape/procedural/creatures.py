"""Creatures: crickets, insects, birds and owls.

Crickets (after Farnell): a stridulating wing makes a pure-ish carrier at 4-5 kHz,
gated into pulses (~15 ms, ~30 per second) grouped in chirps, each individual at
its own rate, pitch, distance and pan. Cicadas buzz: noise and tone near 5-7 kHz
pulsed at 150-250 Hz by the tymbals, in long swelling phrases. Birds: each species
is a template of frequency-swept notes (up, down, chevron, trill), sung with small
variations; the chorus scatters calls of several species in stereo. The owl is a
few breathy harmonic hoots near 350 Hz. The herring gull is a raspy, harmonic-rich
voice near 550-850 Hz whose notes rise and fall in pitch ("kyow"), sung as a few
long calls or as the laughing call.
"""

from __future__ import annotations

import numpy as np
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


AIR_LEVEL = 0.35  # air bed RMS re the calls
HISS_LEVEL = 0.06  # leaf hiss RMS re the calls (-24 dB)
BIRD_PEAK_RATIO = 8.0  # a near call may stand 18 dB above the bed's RMS


def _species(rng: np.random.Generator) -> dict[str, float]:
    return {
        "base": float(np.exp(rng.uniform(np.log(1100.0), np.log(4500.0)))),
        "notes": float(rng.integers(1, 8)),
        "dur": rng.uniform(0.04, 0.18),
        "gap": rng.uniform(0.02, 0.09),
        "sweep": float(rng.integers(0, 4)),  # 0 up, 1 down, 2 chevron, 3 trill
        "depth": rng.uniform(0.15, 0.5),
        "h2": rng.uniform(0.05, 0.5),
        "h3": rng.uniform(0.0, 0.2),
    }


def _call(rng: np.random.Generator, sr: int, sp: dict[str, float]) -> np.ndarray:
    """One phrase of species ``sp``: mono (m,)."""
    notes = max(1, int(sp["notes"]) + int(rng.integers(-1, 2)))
    parts = []
    base = sp["base"] * rng.uniform(0.95, 1.05)
    for i in range(notes):
        dur = sp["dur"] * rng.uniform(0.85, 1.15)
        m = int(dur * sr)
        u = np.linspace(0.0, 1.0, m)
        drift = 1.0 + 0.08 * np.sin(np.pi * i / max(1, notes - 1)) if notes > 1 else 1.0
        f0 = base * drift
        kind = int(sp["sweep"])
        depth = sp["depth"]
        if kind == 0:
            f = f0 * (1 - depth / 2 + depth * u)
        elif kind == 1:
            f = f0 * (1 + depth / 2 - depth * u)
        elif kind == 2:
            f = f0 * (1 - depth / 2 + depth * np.sin(np.pi * u))
        else:
            f = f0 * (1 + 0.5 * depth * np.sin(2 * np.pi * rng.uniform(25, 60) * u * dur))
        env = np.sin(np.pi * u) ** 1.5 * (1.0 - 0.4 * u)
        parts.append(_tone(f, sr, (1.0, sp["h2"], sp.get("h3", 0.0))) * env)
        parts.append(np.zeros(int(sp["gap"] * rng.uniform(0.8, 1.2) * sr)))
    return np.concatenate(parts)


def birds(p: dict[str, float | str], n: int, sr: int, rng: np.random.Generator) -> np.ndarray:
    """Bird chorus (2, n): calls of 3-7 species at 0.6-6 calls/s over a soft air bed."""
    density = float(p["density"])
    r_sp, r_call, r_air = rng.spawn(3)
    species = [_species(r_sp) for _ in range(3 + round(4 * density))]
    # Each species has one or two singers at fixed places (pan, distance).
    singers = [(s, r_sp.uniform(-0.9, 0.9), r_sp.uniform(0.0, 24.0))
               for s in species for _ in range(int(r_sp.integers(1, 3)))]
    out = np.zeros((2, n))
    calls = r_call.poisson((0.6 + 5.4 * density) * n / sr)
    for _ in range(calls):
        sp, pan, dist_db = singers[int(r_call.integers(0, len(singers)))]
        c = _call(r_call, sr, sp)
        if dist_db > 8.0:  # far singers lose their highs
            c = _dsp.filt(c, "lowpass", 5000.0 if dist_db < 16.0 else 3000.0, sr)
        gl, gr = _dsp.pan_gains(pan)
        g = 10 ** (-(dist_db + r_call.uniform(0, 4)) / 20.0)
        _dsp.add_grains(out, [c], np.zeros(1, int), r_call.integers(-len(c), n, 1),
                        np.array([[g * gl, g * gr]]))
    air = _dsp.filt(_dsp.colored(r_air, n, 1.0, channels=2), "bandpass", (80.0, 2500.0), sr)
    air *= 1.0 + 0.1 * _dsp.smooth_noise(r_air, n, sr, 0.3)
    o_rms = np.sqrt(np.mean(out**2)) + 1e-12
    out = out + air * (AIR_LEVEL * o_rms / (np.sqrt(np.mean(air**2)) + 1e-12))
    # A faint leaf hiss, as every real recording has: without it a short loud call
    # stands over a floor with nothing above 2.5 kHz and reads as a click.
    hiss = _dsp.filt(_dsp.white(r_air, n, 2), "bandpass", (2500.0, 10000.0), sr)
    out += hiss * (HISS_LEVEL * o_rms / _rms(hiss))
    # Calls are sparse and their loudness depends on who is singing: level the
    # 1 s scale so a segment's first and last second sound like its middle.
    return limit_peaks(_dsp.steady_level(out, sr, 1.0, 0.8), sr, BIRD_PEAK_RATIO)


def bird(p: dict[str, float | str], max_n: int, sr: int, rng: np.random.Generator) -> np.ndarray:
    """One bird call or short song (2, m): a phrase sung once to three times."""
    sp = _species(rng)
    reps = int(rng.integers(1, 4))
    parts = []
    for _ in range(reps):
        parts.append(_call(rng, sr, sp))
        parts.append(np.zeros(int(rng.uniform(0.1, 0.4) * sr)))
    x = np.concatenate(parts + [np.zeros(int(0.05 * sr))])
    return _dsp.stereo_spread(_reverb(rng, x, sr, 0.35, 0.08), rng, sr)


def _reverb(rng: np.random.Generator, x: np.ndarray, sr: int, seconds: float,
            wet: float) -> np.ndarray:
    """A short diffuse tail: ``x`` convolved with decaying noise, mixed at ``wet``."""
    m = int(seconds * sr)
    ir = rng.standard_normal(m) * _dsp.exp_decay(m, sr, seconds / 6.9)
    ir = _dsp.filt(ir, "lowpass", 3000.0, sr)
    ir /= np.sqrt(np.sum(ir**2)) + 1e-12
    y = np.concatenate([x, np.zeros(m)])
    wet_part = scipy.signal.fftconvolve(x, ir)
    y[: len(wet_part)] += wet * wet_part
    return y


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
    return _dsp.stereo_spread(_reverb(rng, x, sr, 0.9, 0.25), rng, sr)


def _gull_note(rng: np.random.Generator, sr: int, f0: float, dur: float,
               contour: tuple[float, float, float], peak_at: float) -> np.ndarray:
    """One gull note (m,): a nasal, harmonic-rich tone whose pitch rises to a peak at
    ``peak_at`` (0..1 of the note) and falls ("kyow"); ``contour`` is the pitch
    factor at the start, the peak and the end."""
    m = int(dur * sr)
    u = np.linspace(0.0, 1.0, m)
    f = f0 * np.interp(u, [0.0, peak_at, 1.0], contour)
    f *= 1.0 + 0.012 * np.sin(2 * np.pi * rng.uniform(18.0, 30.0) * u * dur)
    harmonics = tuple(h ** -0.6 for h in range(1, 13))
    tone = _tone(f, sr, harmonics)
    # A raspy voice: amplitude roughness at half the fundamental (a subharmonic).
    half = np.sin(np.pi * np.cumsum(f) / sr + rng.uniform(0, 6.3))
    tone *= 1.0 + rng.uniform(0.15, 0.4) * half
    breath = _dsp.filt(rng.standard_normal(m), "bandpass", (1500.0, 5000.0), sr)
    breath /= np.sqrt(np.mean(breath**2)) + 1e-12
    x = tone / (np.sqrt(np.mean(tone**2)) + 1e-12) + 0.12 * breath
    # The syrinx and beak shape the harmonics: a formant region near 1-3.5 kHz.
    x = _dsp.filt(x, "bandpass", (800.0, 4000.0), sr) + 0.3 * x
    attack = min(1.0, 0.03 / dur)
    env = np.minimum(1.0, u / attack) * np.clip((1.0 - u) / 0.35, 0.0, 1.0) ** 1.3
    return x * env


def gull(p: dict[str, float | str], max_n: int, sr: int, rng: np.random.Generator) -> np.ndarray:
    """A herring gull (2, m), 1-4 s: a few long "kyow" calls, or the laughing call
    (one or two long notes, then a run of short "ha" notes falling in pitch and level).
    Fundamental 550-850 Hz with a dozen harmonics, a short open-air tail."""
    f0 = rng.uniform(550.0, 850.0)
    parts: list[np.ndarray] = []
    laugh = rng.random() < 0.5
    longs = int(rng.integers(1, 3)) if laugh else int(rng.integers(2, 5))
    for i in range(longs):
        dur = rng.uniform(0.28, 0.45)
        note = _gull_note(rng, sr, f0 * (1.0 - 0.03 * i), dur,
                          (rng.uniform(0.8, 0.9), rng.uniform(1.1, 1.25), rng.uniform(0.7, 0.8)),
                          rng.uniform(0.2, 0.35))
        parts += [note * rng.uniform(0.8, 1.0), np.zeros(int(rng.uniform(0.12, 0.35) * sr))]
    if laugh:
        shorts = int(rng.integers(5, 10))
        for i in range(shorts):
            dur = rng.uniform(0.09, 0.14)
            note = _gull_note(rng, sr, f0 * (1.0 - 0.025 * i), dur,
                              (0.92, rng.uniform(1.02, 1.08), 0.85), 0.35)
            parts += [note * 0.9 * 0.93**i, np.zeros(int(rng.uniform(0.05, 0.09) * sr))]
    x = np.concatenate(parts + [np.zeros(int(0.05 * sr))])
    return _dsp.stereo_spread(_reverb(rng, x, sr, 0.5, 0.12), rng, sr)
