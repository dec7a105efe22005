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

A bed synthesises fresh segments for as long as it plays, so the cost per segment
counts: the grain bank is built once per (surface, intensity, sample rate) and shared
by every segment (see ``_bank`` for what is shared and what stays per segment); the
far drops, low-passed at 2 kHz by distance, are scattered at sr / q (12-24 kHz,
nothing of theirs above 6 kHz is lost that lay within 38 dB of their pass band) and
join the wash's random spectrum, so one inverse FFT makes far drops, wash and patter.
The far drops and the wash are circular (their end runs into their start); the
near drops are not.
"""

from __future__ import annotations

import zlib
from functools import lru_cache
from typing import NamedTuple

import numpy as np
import scipy.fft
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


class _Bank(NamedTuple):
    """The grains of one (surface, intensity, sample rate), shared by every segment."""

    diam: np.ndarray  # (N_GRAINS,) mm, ascending
    near: list[np.ndarray]  # full-rate grains, float32
    near_peak: np.ndarray  # (N_GRAINS,) peak of each near grain
    far: list[np.ndarray]  # the same grains low-passed by distance, at sr / q, float32
    lead: int  # a far grain's drop instant is its sample ``lead`` (room for pre-ringing)
    q: int  # decimation of the far drops


FAR_RATE_HZ = 12000.0  # far drops are made at sr / q >= this: their highs end at 6 kHz
FAR_LEAD = 8  # decimated frames before a far grain's instant (its anti-alias pre-ringing)
FAR_TAIL_S = 0.005  # s, room for the distance low-pass to ring out
SWELL_STEP = 8  # decimated frames between the points of the wash's swell
UNIFORM_MAX = 32767  # the wash's random spectrum: int16 draws, half the cost of floats


def _far_factor(sr: int) -> int:
    return max(1, int(sr // FAR_RATE_HZ))


@lru_cache(maxsize=8)
def _bank(surface: str, intensity: float, sr: int) -> _Bank:
    """The grain bank for these params at ``sr``, built once and cached.

    Its random draws (the bank's diameters, bursts and pitches) come from a generator
    seeded from the recipe name and the params, not from the segment seed: every
    segment of one layer strikes the same N_GRAINS grains, and what is fresh per
    segment is which grain each drop uses, where, how loud and where in the image
    (and the wash). The far grains are the same grains through the distance low-pass
    (FAR_ORDER at FAR_LOWPASS_HZ), band-limited to sr / 2q (what is cut lies > 38 dB
    under their pass band) and decimated by q: the far drops are scattered at sr / q.
    """
    rng = np.random.default_rng(np.random.SeedSequence(
        [zlib.crc32(b"rain"), zlib.crc32(surface.encode()), int(round(intensity * 1e9))]))
    rate_mm_h = 0.5 * 100.0**intensity
    # stratified: one diameter from each of N_GRAINS equal-probability slices of the
    # Marshall-Palmer law (each still distributed as a drop's), so one shared bank
    # spans the sizes as evenly as any: the bank drawn at random per segment (v5)
    # varied the bed's statistics from segment to segment, a shared one would bias a
    # whole layer
    lam = 4.1 * rate_mm_h**-0.21
    u = (np.arange(N_GRAINS) + rng.random(N_GRAINS)) / N_GRAINS
    diam = np.minimum(0.3 - np.log1p(-u) / lam, 5.5)
    grains = _grain_bank(rng, sr, surface, diam)
    q = _far_factor(sr)
    lead = FAR_LEAD * q
    m_d = -(-(lead + max(len(g) for g in grains) + int(FAR_TAIL_S * sr)) // q) + FAR_LEAD
    full = np.zeros((len(grains), m_d * q))
    for i, g in enumerate(grains):
        full[i, lead:lead + len(g)] = g
    full = _dsp.filt(full, "lowpass", FAR_LOWPASS_HZ, sr, FAR_ORDER)
    if q > 1:  # ideal anti-alias and decimation in one: keep the bins below sr / 2q
        spec = scipy.fft.rfft(full, axis=-1)[:, : m_d // 2 + 1]
        if m_d % 2 == 0:
            spec[:, -1] = 0.0
        full = scipy.fft.irfft(spec, m_d, axis=-1) / q
    far = []
    for row in full:  # drop the silent end (below 1e-6 of the grain's peak)
        loud = np.flatnonzero(np.abs(row) > 1e-6 * np.abs(row).max())
        far.append(_frozen(row[: int(loud[-1]) + 1]))
    return _Bank(_frozen(diam), [_frozen(g) for g in grains],
                 _frozen(np.array([np.abs(g).max() for g in grains])), far, FAR_LEAD, q)


def _frozen(x: np.ndarray) -> np.ndarray:
    y = np.ascontiguousarray(x, dtype=np.float32)
    y.setflags(write=False)
    return y


@lru_cache(maxsize=8)
def _wash_spectrum(surface: str, intensity: float, n: int, sr: int) -> tuple[np.ndarray, float]:
    """:func:`_wash_gain` on the rfft grid of n frames (float32, DC and Nyquist bins 0)
    and the mean square of the noise it shapes from parts uniform in +-UNIFORM_MAX
    (Parseval: the DC and Nyquist bins are 0, every other bin counts twice)."""
    surf = SURFACES[surface]
    level = surf.wash_level * (WASH_SCALE[0] + WASH_SCALE[1] * intensity)
    patter_level = surf.patter * (PATTER_SCALE[0] + PATTER_SCALE[1] * intensity)
    g = _wash_gain(_dsp.rfft_freqs(n, sr), sr, surf, level, patter_level).astype(np.float32)
    g[0] = 0.0
    if n % 2 == 0:
        g[-1] = 0.0
    g.setflags(write=False)
    var = ((2 * UNIFORM_MAX + 1) ** 2 - 1) / 12.0  # of a real or an imaginary part
    return g, 2.0 * float(np.sum(g.astype(np.float64) ** 2)) * 2.0 * var / float(n) ** 2


def _scatter_far(bank: _Bank, which: np.ndarray, offsets: np.ndarray, gl: np.ndarray,
                 gr: np.ndarray, n_d: int) -> np.ndarray:
    """The far drops (2, n_d) at sr / q: grain ``which[k]`` with its instant at frame
    ``offsets[k]`` (0 <= offset < n_d) and gains (gl[k], gr[k]), circular (a grain
    running past the end goes on at the start, as the wash does).

    Drops are taken grain by grain: each grain's scaled copies are made in one product
    and each drop costs a single add, both channels at once as the real and imaginary
    parts of one complex64 buffer (a drop's python overhead, not its samples, is what
    a scatter of thousands of drops costs).
    """
    longest = max(len(g) for g in bank.far)
    buf = np.zeros(n_d + longest, dtype=np.complex64)
    order = np.argsort(which, kind="stable")
    kinds = which[order]
    starts = offsets[order].tolist()
    gains = (gl + 1j * gr).astype(np.complex64)[order]
    bounds = np.searchsorted(kinds, np.arange(len(bank.far) + 1)).tolist()
    add = np.add
    for w in np.unique(kinds).tolist():
        i0, i1 = bounds[w], bounds[w + 1]
        g = bank.far[w]
        size = len(g)
        for row, o in zip(list(gains[i0:i1, None] * g), starts[i0:i1], strict=True):
            s = buf[o:o + size]
            add(s, row, out=s)
    # buffer frame j is time j - lead: fold it onto the circle
    out = buf[:n_d].copy()
    for a in range(n_d, len(buf), n_d):
        part = buf[a:a + n_d]
        out[: len(part)] += part
    out = np.roll(out, -bank.lead)
    return np.stack([out.real, out.imag])


def _expand32(ctl: np.ndarray, n: int, step: int) -> np.ndarray:
    """:func:`_dsp.expand` in float32 (the swell needs no more)."""
    c = np.asarray(ctl, dtype=np.float32)
    segs = n // step + 1
    if len(c) < segs + 1:
        c = np.concatenate([c, np.full(segs + 1 - len(c), c[-1], dtype=np.float32)])
    u = np.arange(step, dtype=np.float32) / np.float32(step)
    return (c[:segs, None] + (c[1:segs + 1] - c[:segs])[:, None] * u).reshape(-1)[:n]


def _swell(rng: np.random.Generator, n: int, n_d: int, sr: int, q: int) -> tuple[np.ndarray,
                                                                                   np.ndarray]:
    """The wash's slow swell (+-1 dB, 0.3 Hz) at the full and the far rate, float32."""
    step = SWELL_STEP * q
    m = _dsp.control_points(n, step)
    ctl = 10 ** (_dsp.smooth_noise(rng, m, sr / step, 0.3) / 20.0)
    return _expand32(ctl, n, step), _expand32(ctl, n_d, SWELL_STEP)


def rain(p: dict[str, float | str], n: int, sr: int, rng: np.random.Generator) -> np.ndarray:
    """Rain bed (2, n). ``intensity`` 0..1 light to heavy; ``surface`` window|leaves|roof.

    The grain bank is shared by all segments of the same params (see :func:`_bank`);
    the drops (count, sizes, grains, times, levels, pans), the wash and its swell are
    drawn from ``rng``.
    """
    intensity = float(p["intensity"])
    surface = str(p["surface"])
    r_drop, r_wash, r_near = rng.spawn(3)
    rate_mm_h = 0.5 * 100.0**intensity
    drops_per_s = 30.0 + 700.0 * intensity**1.3
    bank = _bank(surface, intensity, sr)
    q = bank.q
    n_d = -(-n // q)

    def pick(r: np.random.Generator, diam: np.ndarray, width: float
             ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        # A random grain of about the right size: the loud drops (few, large) would
        # otherwise all reuse the same handful of grains and ring at the same pitches.
        count = len(diam)
        jitter = r.uniform(0.8, 1.25, count)
        which = np.clip(np.searchsorted(bank.diam, diam * jitter), 0, N_GRAINS - 1)
        gl, gr = _dsp.pan_minus3db_centre(r.uniform(-width, width, count))
        return which, gl, gr

    # Far drops: the many unresolved impacts, levels spread over DIST_DB, their highs
    # absorbed by distance (a darker patter); made at sr / q.
    count = r_drop.poisson(drops_per_s * n / sr)
    diam = _drop_diameters(r_drop, count, rate_mm_h)
    amp = (diam / 2.0) ** 1.5 * 10 ** (-DIST_DB * r_drop.random(count) ** DIST_EXP / 20.0)
    which, gl, gr = pick(r_drop, diam, 1.0)
    offsets = r_drop.integers(0, n_d, count)
    far = _scatter_far(bank, which, offsets, amp * gl, amp * gr, n_d)
    far_rms = float(np.sqrt(np.einsum("ij,ij->", far, far) / far.size)) + 1e-12
    # Near drops: a few per second, close, with their full bright click. Limited by
    # design: each drop's level is set by the *peak* it will have (its grain's peak
    # and its pan known), spread over NEAR_DB_SPREAD below the loudest with bigger
    # drops nearer the top, so no drop towers over the others and none needs
    # squashing to fit under full scale.
    k_near = r_near.poisson(NEAR_PER_S * (NEAR_SCALE[0] + NEAR_SCALE[1] * intensity) * n / sr)
    d_near = _drop_diameters(r_near, k_near, rate_mm_h)
    w_near, nl, nr = pick(r_near, d_near, NEAR_WIDTH)
    o_near = r_near.integers(-int(0.05 * sr), n, k_near)
    size = np.clip((d_near - 0.3) / 5.2, 0.0, 1.0)
    peak_db = -NEAR_DB_SPREAD * r_near.random(k_near) * (1.0 - NEAR_SIZE_DB * size)
    near_peaks = 10 ** (peak_db / 20.0)
    near_amp = near_peaks / (bank.near_peak[w_near] * np.maximum(nl, nr))
    near = np.zeros((2, n), dtype=np.float32)
    _dsp.scatter_stereo(near, bank.near, w_near, o_near, near_amp * nl, near_amp * nr)

    surf = SURFACES[surface]
    level = surf.wash_level * (WASH_SCALE[0] + WASH_SCALE[1] * intensity)
    patter_level = surf.patter * (PATTER_SCALE[0] + PATTER_SCALE[1] * intensity)
    # The wash (unresolved farther drops) and the patter hiss, drawn as one shaped
    # random spectrum (as _dsp.spectral_noise; its real and imaginary parts uniform
    # integers in +-UNIFORM_MAX, scaled to the noise's expected RMS by Parseval),
    # with a little slow swell (gusts carrying the rain), +-1 dB. The far drops join
    # the same spectrum (zero-padded from sr / q: band-limited interpolation) divided
    # by the swell, so one inverse FFT and one product give far + swell * wash.
    m = n // 2 + 1
    z = r_wash.integers(-UNIFORM_MAX, UNIFORM_MAX + 1, (2, 2 * m), dtype=np.int16).astype(
        np.float32).view(np.complex64)
    gain, gain_ms = _wash_spectrum(surface, intensity, n, sr)
    z *= gain * np.float32(np.sqrt(level**2 + patter_level**2) * far_rms
                           / (np.sqrt(gain_ms) + 1e-30))
    swell, swell_d = _swell(r_wash, n, n_d, sr, q)
    fz = scipy.fft.rfft(far / swell_d, axis=-1)
    fz *= np.float32(n / n_d)
    if n_d % 2 == 0 and n_d < n:
        fz[:, -1] *= 0.5  # the far Nyquist bin: half here, half its mirror
    top = min(fz.shape[1], m)
    z[:, :top] += fz[:, :top]
    base = scipy.fft.irfft(z, n, axis=-1)
    base *= swell
    # The near drops' level: ``near_level`` times the far drops' RMS, but never so loud
    # that the loudest stands more than NEAR_PEAK times the bed's RMS above it.
    base_ms = float(np.einsum("ij,ij->", base, base)) / base.size
    near_ms = float(np.einsum("ij,ij->", near, near)) / near.size + 1e-24
    near_gain = surf.near_level * far_rms / np.sqrt(near_ms)
    if near_peaks.size:
        # g * peak <= NEAR_PEAK * sqrt(base_ms + g**2 near_ms), the drops uncorrelated
        # with the rest, solved for the largest g
        excess = near_peaks.max() ** 2 - NEAR_PEAK**2 * near_ms
        if excess > 0:
            near_gain = min(near_gain, NEAR_PEAK * np.sqrt(base_ms / excess))
    _dsp.scatter_stereo(base, bank.near, w_near, o_near, near_gain * near_amp * nl,
                        near_gain * near_amp * nr)
    # The loudest near drops are scaled down as a whole by a smooth gain a little
    # below full scale: never bent sample by sample into a flat top.
    return _dsp.bound_peaks(base, sr, PEAK_CEILING)
