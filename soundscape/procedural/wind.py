"""Wind: noise through a slowly wandering resonant band-pass, shaped by gusts.

After Farnell's wind design: wind itself is silent; what we hear is turbulence at
obstacles. A broad low "body" (pink noise through a low-Q band-pass whose centre
rises with wind speed), a brown-noise rumble, and narrow whistles (high-Q band-pass)
that only sing in the stronger gusts. One control signal, the wind speed, drives the
level and the band centres together, which is what makes gusts sound like gusts.
"""

from __future__ import annotations

import numpy as np

from soundscape.procedural import _dsp

BLOCK = 1024  # frames between coefficient updates of the wandering band-passes
BODY_LOWPASS_HZ = 5000.0  # gentle (6 dB/octave) top of the body
BODY_Q = 0.5  # a broad body (real wind slopes about -9 dB/octave, not -12)
RUMBLE = 0.9  # brown rumble below 140 Hz, re the body
FLUTTER = 0.1  # fast (4 Hz) wobble of the wind speed
GUST_DB = 3.0  # level change (dB) per unit of wind speed


def _layers(rng: np.random.Generator, n: int, sr: int, strength: float,
            speed: np.ndarray) -> np.ndarray:
    """Wind sound (2, n) for a wind-speed control ``speed`` (n,), about -1..1.5."""
    r_body, r_rumble, r_whistle = rng.spawn(3)
    centre = (220.0 + 380.0 * strength) * 2.0 ** (0.9 * speed)
    # coefficients every 1024 frames (21 ms at 48 kHz): the centre moves at a few Hz
    body = _dsp.varying_bandpass(_dsp.colored(r_body, n, 1.0, channels=2), centre, BODY_Q, sr,
                                 BLOCK)
    body = _dsp.filt(body, "lowpass", BODY_LOWPASS_HZ, sr, 1)
    rumble = _dsp.filt(_dsp.colored(r_rumble, n, 2.0, channels=2), "lowpass", 140.0, sr)
    whistle = np.zeros((2, n))
    for ratio, q in ((2.6, 14.0), (4.1, 18.0)):
        f = (300.0 + 350.0 * strength) * ratio * 2.0 ** (0.6 * speed)
        w = _dsp.varying_bandpass(_dsp.white(r_whistle, n, 2), f, q, sr, BLOCK)
        whistle += w / (np.sqrt(np.mean(w**2)) + 1e-12)
    whistle_gain = 0.12 * strength**1.5 * np.clip(speed + 0.3, 0.0, None) ** 2
    body /= np.sqrt(np.mean(body**2)) + 1e-12
    rumble /= np.sqrt(np.mean(rumble**2)) + 1e-12
    return body + RUMBLE * rumble + whistle * whistle_gain


def wind(p: dict[str, float | str], n: int, sr: int, rng: np.random.Generator) -> np.ndarray:
    """Wind bed (2, n). ``strength`` 0..1, ``gustiness`` 0..1 (gust depth, +-~2 dB)."""
    strength = float(p["strength"])
    gustiness = float(p["gustiness"])
    r_ctrl, r_sound = rng.spawn(2)
    slow = _dsp.smooth_noise(r_ctrl, n, sr, 0.12)
    mid = _dsp.smooth_noise(r_ctrl, n, sr, 0.5)
    flutter = _dsp.smooth_noise(r_ctrl, n, sr, 4.0)
    speed = gustiness * (0.55 * slow + 0.35 * mid) + FLUTTER * flutter
    level_db = GUST_DB * speed
    return _layers(r_sound, n, sr, strength, speed) * 10 ** (level_db / 20.0)


def gust(p: dict[str, float | str], max_n: int, sr: int, rng: np.random.Generator) -> np.ndarray:
    """A single gust (2, m): swell over ~40 % of 3-8 s, then a longer die-away."""
    strength = float(p["strength"])
    r_ctrl, r_sound = rng.spawn(2)
    seconds = (3.0 + 3.0 * strength) * r_ctrl.uniform(0.8, 1.33)
    n = min(max_n, int(seconds * sr))
    t = np.linspace(0.0, 1.0, n)
    peak = r_ctrl.uniform(0.3, 0.5)
    env = np.where(t < peak, np.sin(0.5 * np.pi * t / peak) ** 2,
                   np.clip(np.cos(0.5 * np.pi * (t - peak) / (1 - peak)), 0.0, None) ** 1.5)
    env = env * (1.0 + 0.15 * _dsp.smooth_noise(r_ctrl, n, sr, 3.0))
    env = np.clip(env, 0.0, None)
    speed = 2.0 * env - 0.8
    return _layers(r_sound, n, sr, strength, speed) * env  # already decorrelated L/R
