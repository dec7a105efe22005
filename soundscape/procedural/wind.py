"""Wind: noise through a slowly wandering resonant band-pass, shaped by gusts.

After Farnell's wind design: wind itself is silent; what we hear is turbulence at
obstacles. A broad low "body" (pink noise through a low-Q band-pass whose centre
rises with wind speed), a brown-noise rumble, and narrow whistles (high-Q band-pass)
that only sing in the stronger gusts. One control signal, the wind speed, drives the
level and the band centres together, which is what makes gusts sound like gusts. On
top, turbulence flutters the highs (above 1.5 kHz) at 6-40 Hz, more in a strong wind:
real wind keeps a fifth of its high-band envelope variance there, not only in slow
gusts.
"""

from __future__ import annotations

import numpy as np

from soundscape.procedural import _dsp

HOP = 1024  # frames between the spectra of the wandering bands (21 ms at 48 kHz)
BODY_LOWPASS_HZ = 5000.0  # gentle (6 dB/octave) top of the body
BODY_Q = 0.5  # a broad body (real wind slopes about -9 dB/octave, not -12)
RUMBLE = 0.9  # brown rumble below 140 Hz, re the body
FLUTTER = 0.1  # fast (4 Hz) wobble of the wind speed
GUST_DB = 3.0  # level change (dB) per unit of wind speed
GUST_SLOW = 0.2  # weight of the slowest (0.12 Hz) gusts in the wind speed (was 0.55)
GUST_MID = 0.45  # weight of the 0.5 Hz gusts (was 0.35)
CENTRE_OCT = 0.6  # (v5: 0.9) octaves the body's centre moves per unit of wind speed
WHISTLES = ((2.6, 14.0), (4.1, 18.0))  # (pitch re the body's base, Q)
TURBULENCE = 1.0  # log-amplitude depth of the 6-40 Hz flutter of the highs at strength 1 ...
PEAK_CEILING = 8.0  # peaks re the RMS, held by a smooth gain (0.8 at -20 dBFS)
TURBULENCE_HZ = 1500.0  # ... of what lies above this
TURBULENCE_GUSTS = 0.3  # ... times (1 - this * gustiness): wind that gusts hard
# flutters fast too (real wind keeps 3-20 % of its high-band envelope variance at
# 6-64 Hz; a bed made of slow gusts alone put 45-60 % below 0.5 Hz)


def _bandpass_gain(f: np.ndarray, centre: np.ndarray, q: float) -> np.ndarray:
    """|H| (frames, bins) of a constant-peak band-pass (RBJ) at ``centre`` (frames,) Hz,
    evaluated at ``f`` (bins,): 1 / sqrt(1 + q**2 (f / c - c / f)**2)."""
    ratio = f[None, :] / centre[:, None]
    d = ratio - 1.0 / np.maximum(ratio, 1e-9)
    return 1.0 / np.sqrt(1.0 + (q * q) * d * d)


def _layers(rng: np.random.Generator, n: int, sr: int, strength: float,
            speed: np.ndarray) -> np.ndarray:
    """Wind sound (2, n) for a wind-speed control ``speed`` (n // HOP + 2,), one value
    every HOP frames, about -1..1.5.

    The body (pink noise through a broad band-pass whose centre rises with the wind
    speed, gently low-passed) and the whistles (narrow bands that sing only in the
    gusts) are one noise whose spectrum follows the speed frame by frame
    (:func:`_dsp.stft_noise`); the rumble (brown, below 140 Hz) does not move.
    """
    r_body, r_rumble = rng.spawn(2)
    hop = HOP
    f = np.arange(hop + 1) * (sr / (2.0 * hop))
    nyq_ok = (f <= 0.45 * sr).astype(float)
    centre = np.clip((220.0 + 380.0 * strength) * 2.0 ** (CENTRE_OCT * speed), 5.0, 0.45 * sr)
    body = (_bandpass_gain(f, centre, BODY_Q) * _dsp.pink_gain(f, 1.0)[None, :]
            * _dsp.butter_gain("lowpass", BODY_LOWPASS_HZ, sr, 1, f)[None, :] * nyq_ok)
    power = body**2
    # the body at unit RMS on average (what the whistles and rumble are set against)
    body_ms = float(np.mean(np.sum(power, axis=1)))
    whistle_gain = 0.12 * strength**1.5 * np.clip(speed + 0.3, 0.0, None) ** 2
    for ratio, q in WHISTLES:
        fw = np.clip((300.0 + 350.0 * strength) * ratio * 2.0 ** (0.6 * speed), 5.0, 0.45 * sr)
        w = _bandpass_gain(f, fw, q) * nyq_ok
        w2 = w**2
        w2 /= np.sum(w2, axis=1, keepdims=True) + 1e-30
        power += (whistle_gain**2 * body_ms)[:, None] * w2
    # stft_noise: rows of ones (sum of squares hop + 1) give unit variance
    sound = _dsp.stft_noise(r_body, n, np.sqrt(power * ((hop + 1) / body_ms)), hop, channels=2)
    fr = _dsp.rfft_freqs(n, sr)
    rumble = _dsp.spectral_noise(r_rumble, n, _dsp.pink_gain(fr, 2.0)
                                 * _dsp.butter_gain("lowpass", 140.0, sr, 2, fr), channels=2)
    return sound + RUMBLE * rumble


def _speed_frames(speed: np.ndarray, n: int) -> np.ndarray:
    """The control curve (m,) at HOP-frame spacing, for :func:`_layers`."""
    idx = np.minimum(np.arange(n // HOP + 2) * HOP, len(speed) - 1)
    return speed[idx]


def wind(p: dict[str, float | str], n: int, sr: int, rng: np.random.Generator) -> np.ndarray:
    """Wind bed (2, n). ``strength`` 0..1, ``gustiness`` 0..1 (gust depth).

    The wind speed (slow gusts and a 4 Hz wobble) moves the bands and the level; on
    top, turbulence at the obstacles flutters the body and whistles at 6-40 Hz, more
    in a strong wind.
    """
    strength = float(p["strength"])
    gustiness = float(p["gustiness"])
    r_ctrl, r_sound = rng.spawn(2)
    m, rate = _dsp.control_points(n), _dsp.control_rate(sr)
    slow = _dsp.smooth_noise(r_ctrl, m, rate, 0.12)
    mid = _dsp.smooth_noise(r_ctrl, m, rate, 0.5)
    wobble = _dsp.smooth_noise(r_ctrl, m, rate, 4.0)
    speed = gustiness * (GUST_SLOW * slow + GUST_MID * mid) + FLUTTER * wobble
    turb = _dsp.smooth_noise(r_ctrl, m, rate, 25.0) + 0.8 * _dsp.smooth_noise(r_ctrl, m, rate, 70.0)
    # unit std, its rare excursions beyond 2 std bent back (a control curve, not audio):
    # the highs flutter by at most e**(2 depth), never in a burst that towers
    turb = 2.0 * np.tanh(turb / (2.0 * np.std(turb) + 1e-12))
    turb *= TURBULENCE * strength * (1.0 - TURBULENCE_GUSTS * gustiness)
    speed_full = _dsp.expand(speed, n)
    sound = _layers(r_sound, n, sr, strength, _speed_frames(speed_full, n))
    # turbulence flutters what the obstacles add above TURBULENCE_HZ, not the body's
    # low roar (which would make the whole wind pump)
    high = _dsp.filt(sound, "highpass", TURBULENCE_HZ, sr)
    # exp(t - var): a log-normal gain of mean square 1, so the highs keep their level
    sound += high * _dsp.expand(np.expm1(turb - np.var(turb)), n)
    sound *= _dsp.expand(10 ** (GUST_DB * speed / 20.0), n)
    return _dsp.bound_peaks(sound, sr, PEAK_CEILING)


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
    return _layers(r_sound, n, sr, strength, _speed_frames(speed, n)) * env  # decorrelated L/R
