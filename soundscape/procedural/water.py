"""Water: bubbles (brook, drip) and breaking waves (surf, wave).

Bubbles follow the Minnaert / van den Doel model: a bubble of radius r rings at
f0 = 3.26 / r Hz (r in m), decays at d = 0.043 f0 + 0.0014 f0**1.5 per second and
its pitch rises as f(t) = f0 (1 + xi d t) while it nears the surface (xi = 0.1).
A brook is many such bubbles, arriving in clusters (babble), over a band-passed
noise wash. A wave is a surge of low noise that builds to a broadband crash and
leaves a long hiss of fizzing foam; surf overlaps breakers along the beach.
"""

from __future__ import annotations

import numpy as np

from soundscape.procedural import _dsp

BUBBLE_ONSET_S = 0.00015  # s, linear onset of a bubble (v5: 0.5 ms)


def bubble(f0: float, sr: int, amp_jitter: float = 0.0) -> np.ndarray:
    """One bubble grain (mono, peak ~1) at Minnaert frequency ``f0`` Hz."""
    f0 = min(f0, 0.4 * sr)
    d = 0.043 * f0 + 0.0014 * f0**1.5
    n = max(8, int(min(6.9 / d, 0.3) * sr))
    t = np.arange(n) / sr
    f = f0 * (1.0 + 0.1 * d * t)
    phase = 2 * np.pi * np.cumsum(np.minimum(f, 0.45 * sr)) / sr
    # a 0.15 ms onset ramp: settled before the first crest, whose lobe would otherwise
    # be bent flat by the rising envelope (stats.flat_tops)
    env = np.exp(-d * t) * np.minimum(1.0, t / BUBBLE_ONSET_S)
    return np.sin(phase) * env * (1.0 + amp_jitter)


BROOK_RADII_MM = (0.5, 2.2)  # bubble radii, log-uniform: Minnaert 1.5-6.5 kHz
BROOK_WASH_BAND = (500.0, 3500.0)  # Hz, the unresolved splashing
# Level design against chance flat crests (stats.flat_tops): a 1.1-2 kHz bubble crest
# carried 3-7 kHz wash wiggles of 5-50 % of its height, which flattened 7 crests in
# 150 ten-second segments (before: radii to 3 mm, wash to 7 kHz); bubbles from 1.5 kHz
# over a wash below 3.5 kHz: 0 in 150.
BROOK_WASH_LEVEL = 1.0  # wash RMS re the bubbles at flow 0.5
BROOK_BABBLE = 0.2  # depth of the wash's 10 Hz level babble


def brook(p: dict[str, float | str], n: int, sr: int, rng: np.random.Generator) -> np.ndarray:
    """Babbling brook (2, n); ``flow`` 0..1 sets the bubble rate and wash level."""
    flow = float(p["flow"])
    r_bank, r_sched, r_wash = rng.spawn(3)
    radii_mm = np.exp(r_bank.uniform(np.log(BROOK_RADII_MM[0]), np.log(BROOK_RADII_MM[1]), 64))
    bank = [bubble(3.26 / (r * 1e-3), sr) for r in radii_mm]
    rate = 40.0 + 500.0 * flow
    clusters = r_sched.poisson(rate / 4.0 * n / sr)
    centres = r_sched.integers(-int(0.2 * sr), n, clusters)
    sizes = r_sched.poisson(4.0, clusters) + 1
    offsets = np.repeat(centres, sizes) + (r_sched.normal(0, 0.03, sizes.sum()) * sr).astype(int)
    k = len(offsets)
    which = r_sched.integers(0, len(bank), k)
    # Bigger bubbles are louder; distance spreads levels over ~20 dB.
    amp = (radii_mm[which] / 3.0) ** 0.8 * 10 ** (-20.0 * r_sched.random(k) ** 0.7 / 20.0)
    cluster_pan = np.repeat(r_sched.uniform(-0.9, 0.9, clusters), sizes)
    gl, gr = _dsp.pan_minus3db_centre(np.clip(cluster_pan + r_sched.normal(0, 0.15, k), -1, 1))
    bubbles = np.zeros((2, n))
    _dsp.scatter_stereo(bubbles, bank, which, offsets, amp * gl, amp * gr)

    f = _dsp.rfft_freqs(n, sr)
    wash = _dsp.spectral_noise(r_wash, n, _dsp.pink_gain(f, 1.0)
                               * _dsp.butter_gain("bandpass", BROOK_WASH_BAND, sr, 2, f),
                               channels=2)
    m, rate = _dsp.control_points(n), _dsp.control_rate(sr)
    babble = np.clip(1.0 + BROOK_BABBLE * _dsp.smooth_noise(r_wash, m, rate, 10.0), 0.1, None)
    wash *= _dsp.expand(babble, n)
    b_rms = np.sqrt(np.mean(bubbles**2)) + 1e-12
    w_rms = np.sqrt(np.mean(wash**2)) + 1e-12
    out = bubbles + wash * (BROOK_WASH_LEVEL * (0.6 + 0.8 * flow) * b_rms / w_rms)
    # a pile-up of loud bubbles is scaled down by a smooth gain below full scale,
    # never clipped or bent into a flat top
    return _dsp.bound_peaks(out, sr, 9.0)


def drip(p: dict[str, float | str], max_n: int, sr: int, rng: np.random.Generator) -> np.ndarray:
    """A drop into water (2, m): impact tick, a rising bubble 'plink', faint room echoes."""
    f0 = rng.uniform(900.0, 1900.0)
    b = bubble(f0, sr)
    n = min(max_n, len(b) + int(0.25 * sr))
    x = np.zeros(n)
    tick = rng.standard_normal(int(0.002 * sr)) * _dsp.exp_decay(int(0.002 * sr), sr, 0.0003)
    x[: len(tick)] += 0.3 * _dsp.filt(tick, "highpass", 2000.0, sr)
    start = int(rng.uniform(0.001, 0.004) * sr)
    m = min(len(b), n - start)
    x[start:start + m] += b[:m]
    out = x.copy()
    for delay, gain in ((rng.uniform(0.017, 0.03), 0.22), (rng.uniform(0.04, 0.07), 0.1)):
        d = int(delay * sr)
        if d < n:
            out[d:] += gain * _dsp.filt(x[: n - d], "lowpass", 4000.0, sr)
    return _dsp.stereo_spread(out, rng, sr)


ENV_STEP = 32  # frames between computed envelope points of a wave


def _wave_envs(rng: np.random.Generator, sr: int, seconds: float) -> np.ndarray:
    """Swell, crash and backwash envelopes (3, k) of one wave lasting ``seconds``, one
    point every ENV_STEP frames; they start and end at zero.

    The swell (low surge) builds for 0.13-0.25 of the wave as it rises, the crash
    (broadband) bursts in 0.1-0.25 s and dies in about a second, and the backwash
    (foam and sand hiss as the water runs back) rises after the crash and fades with
    a time constant of 0.17-0.3 of the wave (longer waves run farther up the beach).
    """
    k = int(seconds * sr) // ENV_STEP + 2
    tk = np.arange(k) * ENV_STEP / sr
    rise = rng.uniform(0.13, 0.25) * seconds
    tc = min(rise, 0.45 * seconds)  # crash time
    attack = rng.uniform(0.1, 0.25)
    up = np.clip(tk / tc, 0.0, 1.0)
    after = np.clip(tk - tc, 0.0, None)
    swell = np.where(tk < tc, up**2, np.exp(-after / rng.uniform(0.5, 0.9)))
    burst = np.clip((tk - tc + attack) / attack, 0.0, 1.0) ** 2
    crash = burst * np.exp(-after / rng.uniform(0.6, 1.1))
    wash_t = tk - tc - 0.15
    wash = np.where(wash_t < 0, np.clip(1 + wash_t / 0.5, 0, 1) ** 2,
                    np.exp(-wash_t / (rng.uniform(0.17, 0.3) * seconds)))
    tail = np.clip((seconds - tk) / min(1.5, 0.25 * seconds), 0.0, 1.0)  # reach zero
    amp = rng.uniform(0.6, 1.0)
    return amp * tail * np.stack([swell, 1.3 * crash, 0.35 * wash])


def _wave_bands(rng: np.random.Generator, sr: int, n: int,
                channels: int | None = None) -> np.ndarray:
    """Swell, crash and backwash noise (3, n) or (3, channels, n), unit RMS each: one
    noise source split into bands, since the same water makes all three sounds."""
    w = _dsp.uniform_white(rng, n, channels)  # every band below is filtered: Gaussian
    swell = _dsp.filt(w, "lowpass", 400.0, sr, order=3)
    crash = _dsp.filt(_dsp.filt(w, "bandpass", (150.0, 7000.0), sr), "lowpass", 900.0, sr,
                      order=1)
    fizz = _dsp.filt(w, "bandpass", (1500.0, 7000.0), sr)
    # Popping foam and rolling sand: the hiss flickers at ~60 Hz.
    coarse = np.exp(0.6 * rng.standard_normal(n // 400 + 2))
    fizz *= _dsp.expand(coarse, n, 400)
    out = np.stack([swell, crash, fizz])
    axes = tuple(range(1, out.ndim))
    return out / (np.sqrt(np.mean(out**2, axis=axes, keepdims=True)) + 1e-12)


def _apply_envs(bands: np.ndarray, envs: np.ndarray) -> np.ndarray:
    """sum_i bands[i] * envs[i] with the coarse envelopes interpolated to each frame."""
    n = bands.shape[-1]
    out = bands[0] * _dsp.expand(envs[0], n, ENV_STEP)
    for i in (1, 2):
        out += bands[i] * _dsp.expand(envs[i], n, ENV_STEP)
    return out


def _wave_shape(rng: np.random.Generator, sr: int, seconds: float) -> np.ndarray:
    """One breaking wave, mono (n,) with n = seconds * sr; starts and ends quiet."""
    envs = _wave_envs(rng, sr, seconds)
    return _apply_envs(_wave_bands(rng, sr, int(seconds * sr)), envs)


def _breaker(rng: np.random.Generator, n: int, sr: int, period: float) -> np.ndarray:
    """Summed wave envelopes (3, k) of one breaker: a wave every ``period`` *
    U(0.8, 1.25) s, each lasting 1.1-1.5 periods (its backwash runs under the next
    swell), starting at a random phase."""
    k = n // ENV_STEP + 2
    acc = np.zeros((3, k))
    t = -rng.uniform(0.2, 1.2) * period
    while t < n / sr:
        envs = _wave_envs(rng, sr, period * rng.uniform(1.1, 1.5))
        o = int(round(t * sr / ENV_STEP))
        a, b = max(0, -o), min(envs.shape[1], k - o)
        if b > a:
            acc[:, o + a:o + b] += envs[:, a:b]
        t += period * rng.uniform(0.8, 1.25)
    return acc


SURF_FAR_GAIN = 0.3  # two breakers farther along the beach (-10 dB), one each side
SURF_FAR_PANS = (-0.7, 0.7)
SURF_ROAR = (0.15, 0.1, 0.02)  # constant distant roar in each band, re a wave's peak
SURF_PEAK = 6.0  # limit of the surf's peaks, re its RMS (crashes are noisy bursts)


def surf(p: dict[str, float | str], n: int, sr: int, rng: np.random.Generator) -> np.ndarray:
    """Ocean surf (2, n): a near breaker with a wave every ``period`` * U(0.8, 1.25) s
    (swell, crash, backwash hiss) across the stereo field, two breakers farther
    along the beach at -10 dB, one each side, with their own timing, over a faint
    roar.

    A 10 s segment holds one or two waves at a random phase; the 50 ms level moves by
    4-6 dB (std) between the crash and the lull, as real surf does (3.2-7.1 dB). All
    of it shares one stereo set of noise bands: each channel's bands are shaped by
    the near envelopes, its shares of the far ones and the constant roar.
    """
    period = float(p["period"])
    r_near, r_far, r_bands = rng.spawn(3)
    near = _breaker(r_near, n, sr, period)
    distance = np.array([1.0, 0.7, 0.3])[:, None]  # a far breaker's highs are lost
    fars = [_breaker(r_far, n, sr, period) * distance for _ in SURF_FAR_PANS]
    roar = np.array(SURF_ROAR)[:, None]
    bands = _wave_bands(r_bands, sr, n, 2)
    out = np.empty((2, n))
    gains = [_dsp.pan_minus3db_centre(pan) for pan in SURF_FAR_PANS]
    for c in range(2):
        env = near + roar
        for far, g in zip(fars, gains, strict=True):
            env = env + SURF_FAR_GAIN * np.sqrt(2.0) * g[c] * far
        out[c] = _apply_envs(bands[:, c], env)
    # Crashes are loud noise bursts: their rare highest peaks are scaled down by a
    # smooth gain (never bent sample by sample), so the bed contract's knee is never
    # reached.
    return _dsp.bound_peaks(out, sr, SURF_PEAK)


def wave(p: dict[str, float | str], max_n: int, sr: int, rng: np.random.Generator) -> np.ndarray:
    """One wave crash (2, m), 5-9 s, with slightly decorrelated channels."""
    seconds = min(rng.uniform(5.0, 9.0), max_n / sr)
    return _dsp.stereo_spread(_wave_shape(rng.spawn(1)[0], sr, seconds), rng, sr, 0.7, 0.05)
