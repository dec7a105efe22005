"""Fire: a low flickering roar, a hiss, crackles and pops (after Farnell's fire).

The roar is the turbulent combustion: pink noise below ~700 Hz whose level flickers
at 1-5 Hz and flutters at 6-30 Hz (a lick of flame lifts the 200-800 Hz bands
together, as in real fires). The hiss is escaping gas: band-passed noise
(2.5-10 kHz) that flutters at 6-30 Hz but never stops. Crackles are tiny bursts of
wood resin, sparse (12-72 per second) and sharp: each a short decaying ring
(0.2-1.5 ms at 2.5-4.5 kHz) with a rounded onset, levels spread over 30 dB, set
against the hiss so the high band is
impulsive (kurtosis above 2 kHz 30-50, real fires 10-195) at every intensity; pops
are rarer, louder clicks that excite a low resonance (a splitting log).
"""

from __future__ import annotations

import numpy as np

from soundscape.procedural import _dsp

CRACKLE_RATE = (12.0, 60.0)  # crackles per second at intensity 0 and added at 1
CRACKLE_DB_SPREAD = 30.0
CRACKLE_LEVEL = 1.4  # crackle RMS re the hiss (x HISS_LEVEL: 2.8, as loud as before: 0.8 x 3.5)
POP_LEVEL = 0.5  # pop peak re the roar RMS (times U(0.15, 0.5))
HISS_LEVEL = 2.0
# Level design against chance flat crests (stats.flat_tops): a crackle crest 4x the
# local RMS carried hiss wiggles of 5-10 % of its height and a roar offset, which
# flattened 1.5-2 kHz crests (12-sample lobes) in 7 of 120 ten-second segments (before:
# hiss 3.5, crackle 0.8, rings from 1.5 kHz band-passed from 800 Hz). Rings at
# 2.5-4.5 kHz band-passed from 1.5 kHz, over a hiss 4.9 dB lower: 0 in 120.
HISS_BAND = (2500.0, 10000.0)  # Hz
CRACKLE_BAND = (2500.0, 4500.0)  # Hz, ring frequencies of the crackles
CRACKLE_RING = (0.0002, 0.0015)  # s, 1/e decay of a crackle's ring
FLICKER = 0.12  # depth of the roar's 4 Hz flicker (log amplitude)
FLAME_FLUTTER = 0.25  # depth of the roar's and lapping's 6-30 Hz flutter (log amplitude)
HISS_FLUTTER = 0.35  # depth of the hiss's 6-30 Hz flutter (log amplitude)
LAP_LEVEL = 0.25  # lapping (80-700 Hz) RMS re the roar
PEAK_CEILING = 9.0  # largest peak re the bed RMS (0.9 at -20 dBFS), held by a smooth gain


def _crackle_bank(rng: np.random.Generator, sr: int, count: int) -> list[np.ndarray]:
    """``count`` crackles (mono, unit peak): a splinter of resin bursting is a short
    decaying oscillation (a ring of 0.2-1.5 ms at 2.5-4.5 kHz) struck by a 0.1 ms
    noise burst with a rounded onset, not a one-sample step. The strikes are drawn
    and band-passed as one matrix; only the rings (one resonance each) are looped."""
    n = int(0.012 * sr)
    fc = np.exp(rng.uniform(np.log(CRACKLE_BAND[0]), np.log(CRACKLE_BAND[1]), count))
    decay = np.exp(rng.uniform(np.log(CRACKLE_RING[0]), np.log(CRACKLE_RING[1]), count))
    strike = (rng.standard_normal((count, n)) * _dsp.exp_decay(n, sr, 0.0001)
              * _dsp.soft_onset(n, sr, 0.0001))
    rings = np.stack([_dsp.resonator(strike[i], fc[i], decay[i], sr) for i in range(count)])
    g = _dsp.filt(rings, "bandpass", (1500.0, 6000.0), sr)
    g /= np.max(np.abs(g), axis=1, keepdims=True) + 1e-12
    return list(g)


def _pop(rng: np.random.Generator, sr: int) -> np.ndarray:
    n = int(0.12 * sr)
    click = rng.standard_normal(n) * _dsp.exp_decay(n, sr, 0.0008) * _dsp.soft_onset(n, sr)
    body = _dsp.resonator(click, rng.uniform(180.0, 650.0), rng.uniform(0.012, 0.035), sr)
    snap = _dsp.filt(click, "highpass", 1500.0, sr)
    g = body / (np.max(np.abs(body)) + 1e-12) + 0.7 * snap / (np.max(np.abs(snap)) + 1e-12)
    return g / np.max(np.abs(g))


def _flutter(rng: np.random.Generator, m: int, rate: float) -> np.ndarray:
    """A fast random control (m,) at ``rate`` points per second, zero mean, unit std,
    its power spread up to about 30 Hz: gas escaping in fits, flames licking. Two
    smooth random curves with knots every 1/20 and 1/50 s."""
    fast = _dsp.smooth_noise(rng, m, rate, 20.0) + 0.8 * _dsp.smooth_noise(rng, m, rate, 50.0)
    return fast / np.std(fast)


def fire(p: dict[str, float | str], n: int, sr: int, rng: np.random.Generator) -> np.ndarray:
    """Fire bed (2, n); ``intensity`` 0..1 raises the roar and the crackle rate.

    Every noise layer is drawn as a shaped spectrum (:func:`_dsp.spectral_noise`, the
    Butterworth bands of v5 as exact magnitudes). The roar and its lapping share one
    envelope that flickers slowly (1-5 Hz) and flutters fast (6-30 Hz, FLAME_FLUTTER):
    a lick of flame lifts the 80-700 Hz bands together (their envelopes correlate, as
    in real fires). The hiss flutters faster and deeper (HISS_FLUTTER), so the top
    bands' envelopes move at 6-30 Hz as a real fire's do instead of sitting still.
    """
    intensity = float(p["intensity"])
    r_roar, r_hiss, r_crk, r_pop = rng.spawn(4)
    f = _dsp.rfft_freqs(n, sr)
    pink = _dsp.pink_gain(f, 1.0)
    roar_g = pink * _dsp.butter_gain("bandpass", (35.0, 180.0), sr, 2, f)
    lap_g = pink * _dsp.butter_gain("bandpass", (80.0, 700.0), sr, 2, f)
    roar_g /= np.sqrt(np.mean(roar_g**2)) + 1e-30
    lap_g *= LAP_LEVEL / (np.sqrt(np.mean(lap_g**2)) + 1e-30)
    roar = _dsp.spectral_noise(r_roar, n, np.sqrt(roar_g**2 + lap_g**2), channels=2)
    # controls at 1.5 kHz, expanded once: they move at most a few tens of Hz
    m, rate_c = _dsp.control_points(n), _dsp.control_rate(sr)
    flicker = np.exp(FLICKER * _dsp.smooth_noise(r_roar, m, rate_c, 4.0)
                     + 0.08 * _dsp.smooth_noise(r_roar, m, rate_c, 0.7)
                     + FLAME_FLUTTER * _flutter(r_roar, m, rate_c))
    roar *= _dsp.expand(flicker, n)
    hiss = _dsp.spectral_noise(r_hiss, n, _dsp.butter_gain("bandpass", HISS_BAND, sr, 2, f),
                               channels=2)
    # Gas escaping in fits, never quite stopping: a slow surge and a fast flutter.
    hiss *= _dsp.expand(np.exp(0.3 * _dsp.smooth_noise(r_hiss, m, rate_c, 6.0)
                               + HISS_FLUTTER * _flutter(r_hiss, m, rate_c)), n)

    bank = _crackle_bank(r_crk, sr, 48)
    rate = CRACKLE_RATE[0] + CRACKLE_RATE[1] * intensity
    clusters = r_crk.poisson(rate / 3.0 * n / sr)
    centres = r_crk.integers(-int(0.2 * sr), max(1, n), clusters)
    sizes = r_crk.poisson(2.0, clusters) + 1
    offsets = np.repeat(centres, sizes) + (r_crk.exponential(0.04, sizes.sum()) * sr).astype(int)
    k = len(offsets)
    # Sparse crackling: levels spread evenly over CRACKLE_DB_SPREAD; the loudest stand
    # out of the hiss (high-band kurtosis of real fires 10-195) without towering.
    amp = 10 ** (-CRACKLE_DB_SPREAD * r_crk.random(k) / 20.0)
    gl, gr = _dsp.pan_minus3db_centre(np.repeat(r_crk.uniform(-0.7, 0.7, clusters), sizes))
    crk = np.zeros((2, n))
    _dsp.scatter_stereo(crk, bank, r_crk.integers(0, len(bank), k), offsets, amp * gl, amp * gr)

    pops = [_pop(r_pop, sr) for _ in range(6)]
    kp = r_pop.poisson((0.3 + 1.2 * intensity) * n / sr)
    gl, gr = _dsp.pan_minus3db_centre(r_pop.uniform(-0.6, 0.6, kp))
    amp = r_pop.uniform(0.15, 0.5, kp)
    pop = np.zeros((2, n))
    _dsp.scatter_stereo(pop, pops, r_pop.integers(0, len(pops), kp), r_pop.integers(0, n, kp),
                        amp * gl, amp * gr)

    roar_rms = np.sqrt(np.mean(roar**2)) + 1e-12
    crk_rms = np.sqrt(np.mean(crk**2)) + 1e-12
    hiss_rms = np.sqrt(np.mean(hiss**2)) + 1e-12
    roar_gain = 0.85 + 0.85 * intensity
    hiss_gain = (0.04 + 0.06 * intensity) * HISS_LEVEL
    # crackles ride on the hiss: their level is set against it, so the high band
    # stays equally impulsive at every intensity (the rate changes, not the contrast)
    out = (roar * (roar_gain / roar_rms) + crk * (CRACKLE_LEVEL * hiss_gain / crk_rms)
           + hiss * (hiss_gain / hiss_rms) + pop * POP_LEVEL)
    return _dsp.bound_peaks(_dsp.steady_level(out, sr, 1.0, 0.5, block=256), sr, PEAK_CEILING)


def crackle(p: dict[str, float | str], max_n: int, sr: int, rng: np.random.Generator) -> np.ndarray:
    """One loud pop (2, m) followed by a few quieter crackles over ~0.3 s."""
    n = min(max_n, int(0.5 * sr))
    x = np.zeros(n)
    pop = _pop(rng, sr)
    x[: min(n, len(pop))] += pop[:n]
    bank = _crackle_bank(rng, sr, 8)
    k = rng.integers(3, 9)
    offsets = (rng.exponential(0.08, k) * sr).astype(int) + int(0.01 * sr)
    amp = rng.uniform(0.05, 0.35, k)
    _dsp.add_grains(x, bank, rng.integers(0, len(bank), k), offsets, amp)
    x *= np.clip(1.0 - np.arange(n) / n, 0.0, 1.0) ** 0.5
    return _dsp.stereo_spread(x, rng, sr)
