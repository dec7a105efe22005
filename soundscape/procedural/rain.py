"""Rain on a surface: individual drop impacts over a noise wash.

Drop diameters follow a Marshall-Palmer distribution N(D) ~ exp(-Lambda D) with
Lambda = 4.1 R**-0.21 per mm for a rain rate R in mm/h (intensity 0..1 maps to
R = 0.5..50 mm/h), so there are many small drops and a few large ones. Each impact
is a short band-passed noise click plus a surface resonance (a glass "tick", a leaf
flutter, a roof "tock"); its level and pitch follow the drop size. Far drops are
many, spread over 30 dB and low-passed by distance; a few near drops per second keep
their full bright click and stand out. The wash is the unresolved sum of still
farther drops: band-passed pink noise well above the far drops. Real rain measures
Gaussian-like below 2.7 kHz and impulsive above (see docs/procedural.md), and so
does this recipe.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from soundscape.procedural import _dsp


class Surface(NamedTuple):
    """How one surface sounds under rain."""

    click: tuple[float, float]  # Hz, band of the impact click
    resonance: tuple[float, float]  # Hz, ring pitch of a big .. a small drop
    ring: float  # s, ring decay of a small drop
    wash: tuple[float, float]  # Hz, band of the unresolved far rain (steep above)
    wash_level: float  # wash RMS re the far drops (at intensity 0.5: x 1.0)
    near_level: float  # near-drop RMS re the far drops
    patter: float  # RMS of the finest drops' hiss above PATTER_HZ, re the far drops


SURFACES: dict[str, Surface] = {
    # glass: bright ticks, a smooth wash; the hiss keeps the sharp ticks from reading
    # as digital clicks (guard's detector)
    "window": Surface((2500.0, 9000.0), (1600.0, 5000.0), 0.004, (150.0, 3300.0), 6.4, 2.2, 1.0),
    "leaves": Surface((1500.0, 8000.0), (900.0, 3500.0), 0.008, (150.0, 3600.0), 4.0, 1.6, 0.3),
    # a roof: duller tocks, but heard from close under it, still a bright patter
    "roof": Surface((1500.0, 6500.0), (600.0, 2500.0), 0.006, (300.0, 3300.0), 5.0, 2.4, 0.4),
}
N_GRAINS = 320  # enough distinct impacts that no resonance pitch is heard repeating
DIST_DB = 30.0  # level spread of the far drops (uniform in dB)
DIST_EXP = 1.0
FAR_LOWPASS_HZ = 2000.0  # air and foliage absorb the highs of the far drops
FAR_ORDER = 4
NEAR_PER_S = 1.5  # near drops per second at intensity 0.5 (scaled by 0.5 + intensity)
NEAR_DB_SPREAD = 12.0  # level spread of the near drops
WASH_EXPONENT = 1.0  # a little darker than pink
PATTER_HZ = 5000.0  # the finest, unresolved drops: a hiss above this
PEAK_CEILING = 9.0  # largest peak re the bed RMS (0.9 at -20 dBFS)
PEAK_KNEE = 6.0  # peaks above this many RMS are soft-saturated


def _drop_diameters(rng: np.random.Generator, count: int, rate_mm_h: float) -> np.ndarray:
    lam = 4.1 * rate_mm_h**-0.21  # per mm (Marshall & Palmer 1948)
    d = 0.3 + rng.exponential(1.0 / lam, count)
    return np.minimum(d, 5.5)


def _grain_bank(rng: np.random.Generator, sr: int, surface: str,
                diam: np.ndarray) -> list[np.ndarray]:
    """One grain per diameter in ``diam`` (mm), unit peak-ish, mono."""
    click_band, (f_big, f_small), ring = SURFACES[surface][:3]
    bank = []
    for d in diam:
        size = (d - 0.3) / 5.2  # 0 small .. 1 big
        n = int(sr * (ring * (1.0 + 3.0 * size) * 7.0 + 0.004))
        t_click = 0.0003 + 0.0012 * size
        # a raised-cosine onset of 0.1 ms: a drop's first sample is not a step
        noise = (rng.standard_normal(n) * _dsp.exp_decay(n, sr, t_click)
                 * _dsp.soft_onset(n, sr, 0.0001))
        click = _dsp.filt(noise, "bandpass", click_band, sr)
        f_res = f_small * (f_big / f_small) ** size * rng.uniform(0.85, 1.15)
        ring_part = _dsp.resonator(noise, f_res, ring * (0.6 + 1.2 * size), sr)
        g = click / (np.max(np.abs(click)) + 1e-12)
        g += 0.6 * ring_part / (np.max(np.abs(ring_part)) + 1e-12)
        bank.append(g)
    return bank


def rain(p: dict[str, float | str], n: int, sr: int, rng: np.random.Generator) -> np.ndarray:
    """Rain bed (2, n). ``intensity`` 0..1 light to heavy; ``surface`` window|leaves|roof."""
    intensity = float(p["intensity"])
    surface = str(p["surface"])
    r_grain, r_drop, r_wash, r_near = rng.spawn(4)
    rate_mm_h = 0.5 * 100.0**intensity
    drops_per_s = 30.0 + 700.0 * intensity**1.3

    bank_d = np.sort(_drop_diameters(r_grain, N_GRAINS, rate_mm_h))
    bank = _grain_bank(r_grain, sr, surface, bank_d)

    def scatter(r: np.random.Generator, count: int, gain_of: np.ndarray,
                diam: np.ndarray) -> np.ndarray:
        # a random grain of about the right size: the loud drops (few, large) would
        # otherwise all reuse the same handful of grains and ring at the same pitches
        jitter = r.uniform(0.8, 1.25, count)
        which = np.clip(np.searchsorted(bank_d, diam * jitter), 0, N_GRAINS - 1)
        gl, gr = _dsp.pan_gains(r.uniform(-1.0, 1.0, count))
        offsets = r.integers(-int(0.05 * sr), n, count)
        out = np.zeros((2, n))
        _dsp.add_grains(out, bank, which, offsets, gain_of[:, None] * np.stack([gl, gr], axis=1))
        return out

    # Far drops: the many unresolved impacts, levels spread over DIST_DB, their highs
    # absorbed by distance (a darker patter).
    count = r_drop.poisson(drops_per_s * n / sr)
    diam = _drop_diameters(r_drop, count, rate_mm_h)
    amp = (diam / 2.0) ** 1.5 * 10 ** (-DIST_DB * r_drop.random(count) ** DIST_EXP / 20.0)
    far = _dsp.filt(scatter(r_drop, count, amp, diam), "lowpass", FAR_LOWPASS_HZ, sr, FAR_ORDER)
    # Near drops: a few per second, close and loud, with their full bright click.
    k_near = r_near.poisson(NEAR_PER_S * (0.5 + intensity) * n / sr)
    d_near = _drop_diameters(r_near, k_near, rate_mm_h)
    a_near = (d_near / 2.0) ** 1.5 * 10 ** (-NEAR_DB_SPREAD * r_near.random(k_near) / 20.0)
    near = scatter(r_near, k_near, a_near, d_near)

    surf = SURFACES[surface]
    wash_band = surf.wash
    wash = _dsp.colored(r_wash, n, WASH_EXPONENT, channels=2)
    # steep above the band: the highs of real rain are its drops, not a hiss
    wash = _dsp.filt(_dsp.filt(wash, "highpass", wash_band[0], sr), "lowpass", wash_band[1], sr, 4)
    # A little slow swell in the wash (gusts carrying the rain), +-1 dB.
    wash *= 10 ** (_dsp.smooth_noise(r_wash, n, sr, 0.3) * 1.0 / 20.0)
    far_rms = np.sqrt(np.mean(far**2)) + 1e-12
    wash_rms = np.sqrt(np.mean(wash**2)) + 1e-12
    near_rms = np.sqrt(np.mean(near**2)) + 1e-12
    level = surf.wash_level * (0.6 + 0.8 * intensity)
    patter = _dsp.filt(_dsp.white(r_wash, n, 2), "highpass", PATTER_HZ, sr)
    patter *= surf.patter * far_rms / (np.sqrt(np.mean(patter**2)) + 1e-12)
    out = (far + wash * (level * far_rms / wash_rms) + near * (surf.near_level * far_rms / near_rms)
           + patter)
    # The loudest near drops are rounded off (tanh) a little below full scale, so
    # the bed never clips into a flat top.
    return _dsp.bound_peaks(out, PEAK_CEILING, PEAK_KNEE)
