"""Rain on a surface: individual drop impacts over a noise wash.

Drop diameters follow a Marshall-Palmer distribution N(D) ~ exp(-Lambda D) with
Lambda = 4.1 R**-0.21 per mm for a rain rate R in mm/h (intensity 0..1 maps to
R = 0.5..50 mm/h), so there are many small drops and a few large ones. Each impact
is a short band-passed noise click plus a surface resonance (a glass "tick", a leaf
flutter, a roof "tock"); its pitch follows the drop size. Far drops are many,
spread over 30 dB and low-passed by distance; a few near drops per second keep
their full bright click and stand out. The wash is the unresolved sum of still
farther drops: noise between white and pink that stops steeply below 2 kHz, well
above the far drops. Real rain measures Gaussian-like below 2.7 kHz and impulsive
above (see docs/procedural.md), and so does this recipe.

Peaks are limited by design, never by bending samples: each near drop's level is set
from the peak it will have (its grain, its pan), within NEAR_DB_SPREAD of the
loudest, which stands NEAR_PEAK times the bed's RMS above it; what overlapping drops
still add beyond PEAK_CEILING is taken off by a smooth gain (``_dsp.bound_peaks``).
A v5 bed squared off 11-22 % of its drops with tanh (``stats.flat_tops``).
"""

from __future__ import annotations

from functools import lru_cache
from typing import NamedTuple

import numpy as np
import scipy.signal

from soundscape.procedural import _dsp


class Surface(NamedTuple):
    """How one surface sounds under rain."""

    click: tuple[float, float]  # Hz, band of the impact click
    resonance: tuple[float, float]  # Hz, ring pitch of a big .. a small drop
    ring: float  # s, ring decay of a small drop
    wash: tuple[float, float]  # Hz, band of the unresolved far rain (steep above)
    wash_level: float  # wash RMS re the far drops (at intensity 0.5: x 1.0)
    near_level: float  # near-drop RMS re the far drops (unless NEAR_PEAK binds first)
    patter: float  # RMS of the finest drops' hiss above PATTER_HZ, re the far drops


SURFACES: dict[str, Surface] = {
    # glass: bright ticks over a smooth wash that stops below 2 kHz, so above it the
    # drops stand out (limited by level, they cannot tower; see NEAR_PEAK); the patter
    # hiss keeps the sharp ticks from reading as digital clicks (guard's detector)
    "window": Surface((2500.0, 9000.0), (1600.0, 5000.0), 0.004, (150.0, 1900.0), 6.4, 1.6, 1.0),
    "leaves": Surface((1500.0, 8000.0), (900.0, 3500.0), 0.008, (150.0, 1900.0), 4.0, 2.0, 0.5),
    # a roof: duller tocks, but heard from close under it, still a bright patter
    "roof": Surface((1500.0, 6500.0), (600.0, 2500.0), 0.006, (300.0, 1900.0), 5.0, 2.4, 0.6),
}
N_GRAINS = 320  # enough distinct impacts that no resonance pitch is heard repeating
DIST_DB = 30.0  # level spread of the far drops (uniform in dB)
DIST_EXP = 1.0
FAR_LOWPASS_HZ = 2000.0  # air and foliage absorb the highs of the far drops
FAR_ORDER = 4
NEAR_PER_S = 4.0  # near drops per second at intensity 0.5 ...
NEAR_SCALE = (0.2, 1.6)  # ... x (a + b * intensity): a drizzle's few drops each stand out
NEAR_DB_SPREAD = 10.0  # peak spread of the near drops (v5: 12 dB in level, tanh-squashed)
NEAR_WIDTH = 0.3  # near drops hit the pane in front of the listener: pans within +-this
NEAR_SIZE_DB = 0.7  # a big near drop spreads over (1 - this) of NEAR_DB_SPREAD (v5: level ~ d**1.5)
WASH_EXPONENT = 0.6  # between white and pink, up to the band's steep top (v5: pink)
WASH_ORDER = 8  # Butterworth order of the top of the wash: above it the drops alone
WASH_SCALE = (0.6, 0.8)  # wash level re the far drops x (a + b * intensity)
PATTER_HZ = 5000.0  # the finest, unresolved drops: a hiss above this ...
PATTER_SCALE = (1.0, 0.6)  # ... x (a + b * intensity): a downpour has more of them
NEAR_PEAK = 9.0  # the loudest near drop's peak re the bed RMS (by level, not by limiting)
PEAK_CEILING = 9.0  # largest peak re the bed RMS (0.9 at -20 dBFS), held by a smooth gain


def _drop_diameters(rng: np.random.Generator, count: int, rate_mm_h: float) -> np.ndarray:
    lam = 4.1 * rate_mm_h**-0.21  # per mm (Marshall & Palmer 1948)
    d = 0.3 + rng.exponential(1.0 / lam, count)
    return np.minimum(d, 5.5)


STRIKE_TAUS = 10.0  # a strike's noise burst lasts this many click time constants
RING_TAUS = 5.0  # a grain ends this many resonance decays after its strike (-43 dB) ...
RING_FADE = 0.3  # ... its last 30 % faded out by a half cosine, so the cut is silent
CLICK_TAIL_S = 0.003  # s, room for the click band-pass to ring out
CLICK_ORDER = 4  # Butterworth order of the click band-pass
RING_WEIGHT = 0.6  # peak of a grain's resonance re its click


@lru_cache(maxsize=64)
def _fades(m: int) -> np.ndarray:
    """A half-cosine fade from 1 (exclusive) to 0 over ``m`` frames."""
    return 0.5 + 0.5 * np.cos(np.pi * np.arange(1, m + 1) / max(m, 1))


def _grain_bank(rng: np.random.Generator, sr: int, surface: str,
                diam: np.ndarray) -> list[np.ndarray]:
    """One grain per diameter in ``diam`` (mm): mono float64, peak about 1.6.

    Each grain is a noise burst (decaying over 0.3-1.5 ms with a 0.1 ms raised-cosine
    onset: a drop's first sample is not a step) heard twice: band-passed as the click
    and through a two-pole resonance at the surface's pitch for that size. The bursts
    are drawn and band-passed as one matrix (one filter design, one pass); only the
    resonances, whose coefficients differ per grain, are filtered one by one, and
    each grain stops once its ring has decayed by 43 dB (faded out, no step).
    """
    click_band, (f_big, f_small), ring = SURFACES[surface][:3]
    k = len(diam)
    size = (np.asarray(diam) - 0.3) / 5.2  # 0 small .. 1 big
    t_click = 0.0003 + 0.0012 * size
    f_res = f_small * (f_big / f_small) ** size * rng.uniform(0.85, 1.15, k)
    decay = ring * (0.6 + 1.2 * size)
    ls = int(STRIKE_TAUS * t_click.max() * sr) + 2
    t = np.arange(ls) / sr
    strike = (rng.standard_normal((k, ls)) * np.exp(-t[None, :] / t_click[:, None])
              * _dsp.soft_onset(ls, sr, 0.0001)[None, :])
    lc = ls + int(CLICK_TAIL_S * sr)
    # 4th order: steep above the band, so a click has little energy near Nyquist (what
    # the guard's second-difference click detector hears) and can stand out of a
    # quiet high band
    click = _dsp.filt(np.pad(strike, ((0, 0), (0, lc - ls))), "bandpass", click_band, sr,
                      CLICK_ORDER)
    click /= np.max(np.abs(click), axis=1, keepdims=True) + 1e-12
    lengths = np.maximum(lc, (RING_TAUS * decay * sr).astype(int) + ls)
    buf = np.zeros(int(lengths.max()))
    bank = []
    for i in range(k):
        r = np.exp(-1.0 / (decay[i] * sr))
        w = 2 * np.pi * min(f_res[i], 0.45 * sr) / sr
        buf[:ls] = strike[i]
        g = scipy.signal.lfilter([1.0 - r], [1.0, -2 * r * np.cos(w), r * r], buf[:lengths[i]])
        g *= RING_WEIGHT / (np.abs(g).max() + 1e-12)
        g[:lc] += click[i]
        fade = int(RING_FADE * (lengths[i] - ls))
        g[len(g) - fade:] *= _fades(fade)
        bank.append(g)
    return bank


def _wash_gain(f: np.ndarray, sr: int, surf: Surface, level: float,
               patter_level: float) -> np.ndarray:
    """Amplitude spectrum of the wash plus the patter hiss, for :func:`_dsp.spectral_noise`.

    The wash is a little-darker-than-pink noise in ``surf.wash`` (2nd-order below, 4th
    above: the highs of real rain are its drops, not a hiss) at ``level``; the patter
    is white above PATTER_HZ (2nd order) at ``patter_level``. Both relative to the far
    drops' RMS; as independent noises their powers add, so the one spectrum carries
    sqrt(wash**2 + patter**2).
    """
    wash = (_dsp.pink_gain(f, WASH_EXPONENT) * _dsp.butter_gain("highpass", surf.wash[0], sr, 2, f)
            * _dsp.butter_gain("lowpass", surf.wash[1], sr, WASH_ORDER, f))
    patter = _dsp.butter_gain("highpass", PATTER_HZ, sr, 2, f)
    body = slice(1, None) if len(f) > 1 else slice(None)  # the DC bin carries nothing
    wash *= level / (np.sqrt(np.mean(wash[body] ** 2)) + 1e-30)
    patter *= patter_level / (np.sqrt(np.mean(patter[body] ** 2)) + 1e-30)
    return np.sqrt(wash**2 + patter**2)


def rain(p: dict[str, float | str], n: int, sr: int, rng: np.random.Generator) -> np.ndarray:
    """Rain bed (2, n). ``intensity`` 0..1 light to heavy; ``surface`` window|leaves|roof."""
    intensity = float(p["intensity"])
    surface = str(p["surface"])
    r_grain, r_drop, r_wash, r_near = rng.spawn(4)
    rate_mm_h = 0.5 * 100.0**intensity
    drops_per_s = 30.0 + 700.0 * intensity**1.3

    bank_d = np.sort(_drop_diameters(r_grain, N_GRAINS, rate_mm_h))
    bank = _grain_bank(r_grain, sr, surface, bank_d)
    bank_peak = np.array([np.abs(g).max() for g in bank])

    def place(r: np.random.Generator, diam: np.ndarray,
              width: float) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        # (grain, offset, left gain, right gain) per drop. A random grain of about the
        # right size: the loud drops (few, large) would otherwise all reuse the same
        # handful of grains and ring at the same pitches.
        count = len(diam)
        jitter = r.uniform(0.8, 1.25, count)
        which = np.clip(np.searchsorted(bank_d, diam * jitter), 0, N_GRAINS - 1)
        gl, gr = _dsp.pan_gains(r.uniform(-width, width, count))
        offsets = r.integers(-int(0.05 * sr), n, count)
        return which, offsets, gl, gr

    def scatter(where: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray],
                amp: np.ndarray) -> np.ndarray:
        which, offsets, gl, gr = where
        out = np.zeros((2, n))
        _dsp.scatter_stereo(out, bank, which, offsets, amp * gl, amp * gr)
        return out

    # Far drops: the many unresolved impacts, levels spread over DIST_DB, their highs
    # absorbed by distance (a darker patter).
    count = r_drop.poisson(drops_per_s * n / sr)
    diam = _drop_diameters(r_drop, count, rate_mm_h)
    amp = (diam / 2.0) ** 1.5 * 10 ** (-DIST_DB * r_drop.random(count) ** DIST_EXP / 20.0)
    far = _dsp.filt(scatter(place(r_drop, diam, 1.0), amp), "lowpass", FAR_LOWPASS_HZ, sr,
                    FAR_ORDER)
    # Near drops: a few per second, close, with their full bright click. Limited by
    # design: each drop's level is set by the *peak* it will have (its grain's peak
    # and its pan known), spread over NEAR_DB_SPREAD below the loudest with bigger
    # drops nearer the top, so no drop towers over the others and none needs
    # squashing to fit under full scale.
    k_near = r_near.poisson(NEAR_PER_S * (NEAR_SCALE[0] + NEAR_SCALE[1] * intensity) * n / sr)
    d_near = _drop_diameters(r_near, k_near, rate_mm_h)
    where = place(r_near, d_near, NEAR_WIDTH)
    size = np.clip((d_near - 0.3) / 5.2, 0.0, 1.0)
    peak_db = -NEAR_DB_SPREAD * r_near.random(k_near) * (1.0 - NEAR_SIZE_DB * size)
    near_peaks = 10 ** (peak_db / 20.0)
    near = scatter(where, near_peaks / (bank_peak[where[0]] * np.maximum(where[2], where[3])))

    surf = SURFACES[surface]
    level = surf.wash_level * (WASH_SCALE[0] + WASH_SCALE[1] * intensity)
    patter_level = surf.patter * (PATTER_SCALE[0] + PATTER_SCALE[1] * intensity)
    far_rms = np.sqrt(np.mean(far**2)) + 1e-12
    # The wash (unresolved farther drops) and the patter hiss, drawn as one shaped
    # spectrum, with a little slow swell (gusts carrying the rain), +-1 dB.
    wash = _dsp.spectral_noise(r_wash, n, _wash_gain(_dsp.rfft_freqs(n, sr), sr, surf, level,
                                                      patter_level),
                               channels=2)
    wash *= (np.sqrt(level**2 + patter_level**2) * far_rms
             * 10 ** (_dsp.smooth_noise(r_wash, n, sr, 0.3) * 1.0 / 20.0))
    # The near drops' level: ``near_level`` times the far drops' RMS, but never so loud
    # that the loudest stands more than NEAR_PEAK times the bed's RMS above it.
    base = far + wash
    base_ms = float(np.einsum("ij,ij->", base, base)) / base.size
    near_ms = float(np.einsum("ij,ij->", near, near)) / near.size + 1e-24
    near_gain = surf.near_level * far_rms / np.sqrt(near_ms)
    if near_peaks.size:
        # g * peak <= NEAR_PEAK * sqrt(base_ms + g**2 near_ms), the drops uncorrelated
        # with the rest, solved for the largest g
        excess = near_peaks.max() ** 2 - NEAR_PEAK**2 * near_ms
        if excess > 0:
            near_gain = min(near_gain, NEAR_PEAK * np.sqrt(base_ms / excess))
    out = base + near * near_gain
    # The loudest near drops are scaled down as a whole by a smooth gain a little
    # below full scale: never bent sample by sample into a flat top.
    return _dsp.bound_peaks(out, sr, PEAK_CEILING)
