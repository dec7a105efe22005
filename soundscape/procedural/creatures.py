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


def _pulse_train(n: int, sr: int, times: np.ndarray, width_s: float) -> np.ndarray:
    """Gate (n,) with a sin**2 pulse of ``width_s`` at each time in ``times`` (s)."""
    w = max(2, int(width_s * sr))
    shape = np.sin(np.linspace(0, np.pi, w)) ** 2
    gate = np.zeros(n)
    _dsp.add_grains(gate, [shape], np.zeros(len(times), int), (times * sr).astype(int),
                    np.ones(len(times)))
    return np.minimum(gate, 1.0)


def _cricket(rng: np.random.Generator, n: int, sr: int) -> np.ndarray:
    carrier_hz = rng.uniform(4000.0, 5000.0)
    pulse_period = rng.uniform(0.028, 0.045)
    pulses = int(rng.integers(3, 6))
    chirp_period = rng.uniform(0.35, 1.1)
    times: list[float] = []
    t = -rng.uniform(0, chirp_period)
    while t < n / sr:
        times.extend(t + pulse_period * np.arange(pulses))
        t += chirp_period * rng.uniform(0.93, 1.07)
    gate = _pulse_train(n, sr, np.asarray(times), pulse_period * 0.55)
    freq = carrier_hz * (1.0 + 0.004 * _dsp.smooth_noise(rng, n, sr, 2.0))
    return gate * _tone(freq, sr, (1.0, 0.12, 0.04))


def crickets(p: dict[str, float | str], n: int, sr: int, rng: np.random.Generator) -> np.ndarray:
    """Cricket chorus (2, n); ``density`` 0..1 -> 3..12 individuals plus a far chorus."""
    density = float(p["density"])
    r_ind, r_far = rng.spawn(2)
    out = np.zeros((2, n))
    for _ in range(3 + round(9 * density)):
        gl, gr = _dsp.pan_gains(r_ind.uniform(-0.9, 0.9))
        gain = 10 ** (-r_ind.uniform(0.0, 14.0) / 20.0)
        c = _cricket(r_ind, n, sr) * gain
        out[0] += gl * c
        out[1] += gr * c
    far = _dsp.filt(_dsp.white(r_far, n, 2), "bandpass", (3800.0, 5200.0), sr)
    far *= 0.5 + 0.5 * np.sin(2 * np.pi * 32.0 * np.arange(n) / sr)
    o_rms = np.sqrt(np.mean(out**2)) + 1e-12
    return out + far * (0.5 * o_rms / (np.sqrt(np.mean(far**2)) + 1e-12))


def insects(p: dict[str, float | str], n: int, sr: int, rng: np.random.Generator) -> np.ndarray:
    """Cicada buzz or night-insect drone (2, n); ``density`` sets how many insects."""
    density = float(p["density"])
    out = np.zeros((2, n))
    t = np.arange(n) / sr
    if p["kind"] == "cicada":
        for _ in range(2 + round(5 * density)):
            centre = rng.uniform(3500.0, 5500.0)
            buzz = _dsp.filt(rng.standard_normal(n), "bandpass", (centre / 1.25, centre * 1.25), sr)
            buzz = buzz / (np.sqrt(np.mean(buzz**2)) + 1e-12)
            buzz += 0.6 * np.sin(2 * np.pi * centre * t + rng.uniform(0, 6.3))
            pulse_hz = rng.uniform(150.0, 250.0)
            buzz *= 0.55 + 0.45 * np.sin(2 * np.pi * pulse_hz * t)
            # Long phrases: each cicada swells and fades over 4-12 s, never quite silent.
            phrase = 0.35 + 0.65 * (0.5 + 0.5 * np.sin(2 * np.pi * t / rng.uniform(4.0, 12.0)
                                                       + rng.uniform(0, 6.3)))
            gl, gr = _dsp.pan_gains(rng.uniform(-0.8, 0.8))
            g = 10 ** (-rng.uniform(0, 10) / 20.0)
            out[0] += gl * g * buzz * phrase
            out[1] += gr * g * buzz * phrase
    else:
        for _ in range(6 + round(14 * density)):
            carrier = rng.uniform(3000.0, 9000.0)
            rate = np.exp(rng.uniform(np.log(5.0), np.log(60.0)))
            duty = rng.uniform(0.2, 0.7)
            phase = (t * rate + rng.random()) % 1.0
            gate = np.where(phase < duty, np.sin(np.pi * phase / duty) ** 2, 0.0)
            tone = gate * _tone(np.full(n, carrier), sr)
            gl, gr = _dsp.pan_gains(rng.uniform(-1.0, 1.0))
            g = 10 ** (-rng.uniform(0, 20) / 20.0)
            out[0] += gl * g * tone
            out[1] += gr * g * tone
        bed = _dsp.filt(_dsp.white(rng, n, 2), "bandpass", (2500.0, 8000.0), sr)
        o_rms = np.sqrt(np.mean(out**2)) + 1e-12
        out += bed * (0.3 * o_rms / (np.sqrt(np.mean(bed**2)) + 1e-12))
    # A few cicadas swelling together would pump the level: keep the seconds even.
    return _dsp.steady_level(out, sr, 1.0, 0.6)


AIR_LEVEL = 0.35  # air bed RMS re the calls


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
    # Calls are sparse and their loudness depends on who is singing: level the
    # 1 s scale so a segment's first and last second sound like its middle.
    return _dsp.steady_level(out, sr, 1.0, 0.8)


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
