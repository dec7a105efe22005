"""Water and weather: a waterfall, river rapids, water lapping at a boat,
underwater, snow-muffled wind, hail.

Each recipe is registered in :data:`RECIPES` (collected by
:mod:`soundscape.procedural`).

The water recipes build on the house bubble (:func:`water.bubble`: Minnaert's
f0 = 3.26 / r Hz, van den Doel's damping and rising pitch) and the house noise
primitives (:mod:`_dsp`): a sound made of very many small events (a plunge pool's
impacts, a river's bubbles) is heard as noise whose level flickers, so the densest
part of each texture is drawn as shaped noise (one inverse FFT) with a fast
log-normal flicker, and only the events the ear resolves are drawn one by one.

Sources: A. Farnell, *Designing Sound* (MIT Press 2010), the water and wind
chapters; M. Minnaert, "On musical air-bubbles and the sounds of running water",
Phil. Mag. 16 (1933); K. van den Doel, "Physically based models for liquid
sounds", ACM Trans. Appl. Percept. 2 (2005); L. Galbrun and T. T. Ali, "Acoustical
and perceptual assessment of water sounds and their use over road traffic noise",
JASA 133 (2013) (water features: broadband spectra, roughly flat octave bands over
the mid range, more low-frequency energy from bigger falls); M. Albert, "Acoustic
absorption of snow" (fresh snow absorbs most sound above ~500 Hz; absorption
coefficients 0.6-0.9 there); the hailstone sizes (5-50 mm, an exponential size
distribution N(D) ~ exp(-D / 5 mm) after Cheng and English 1983) and terminal
speeds v ~ 9 sqrt(D / 1 cm) m/s (Knight and Heymsfield 1983).
"""

from __future__ import annotations

import numpy as np

from soundscape.procedural import _dsp, water, wind
from soundscape.procedural._spec import ParamSpec, Recipe, make

Params = dict[str, float | str]
Rng = np.random.Generator


def _unit(default: float, doc: str) -> ParamSpec:
    return ParamSpec(default, 0.0, 1.0, doc=doc)


def _flicker_points(rng: Rng, n: int, sr: int, rate_hz: float, depth: float) -> np.ndarray:
    """A fast log-normal gain of mean square 1 at the control rate (one point every
    ``_dsp.CONTROL_STEP`` frames, for :func:`_dsp.expand`): the level of a noise that
    is really a crowd of small events wavers at about ``rate_hz``; ``depth`` is the
    std of its natural log."""
    m, cr = _dsp.control_points(n), _dsp.control_rate(sr)
    g = depth * _dsp.smooth_noise(rng, m, cr, rate_hz)
    return np.exp(g - depth * depth)


def _flicker(rng: Rng, n: int, sr: int, rate_hz: float, depth: float) -> np.ndarray:
    """:func:`_flicker_points` expanded to (n,) frames."""
    return _dsp.expand(_flicker_points(rng, n, sr, rate_hz, depth), n)


def _slow(rng: Rng, n: int, sr: int, rate_hz: float) -> np.ndarray:
    """A slow unit-std control curve (n,) wandering at about ``rate_hz``."""
    m, cr = _dsp.control_points(n), _dsp.control_rate(sr)
    return _dsp.expand(_dsp.smooth_noise(rng, m, cr, rate_hz), n)


BUBBLE_KEEP = 4.6  # decay time constants a bubble grain is kept for (-40 dB) ...
BUBBLE_TAPER = 0.3  # ... its last part faded by a half cosine


def _bubble_grain(radius_mm: float, sr: int) -> np.ndarray:
    """:func:`water.bubble` of this radius, cut at -40 dB with a faded tail: in a
    dense texture the last 20 dB of each ring are masked, and the shorter grains
    halve the cost of scattering hundreds of big (long-ringing) bubbles a second."""
    f0 = 3.26 / (radius_mm * 1e-3)
    g = water.bubble(f0, sr)
    d = 0.043 * f0 + 0.0014 * f0**1.5
    m = max(16, min(len(g), int(BUBBLE_KEEP / d * sr)))
    g = g[:m].copy()
    k = max(2, int(BUBBLE_TAPER * m))
    g[m - k:] *= 0.5 + 0.5 * np.cos(np.pi * np.arange(1, k + 1) / k)
    return g


def _bubbles(rng: Rng, n: int, sr: int, radii_mm: tuple[float, float], rate: float,
             cluster: float, spread_s: float, rate_gain: np.ndarray | None = None,
             bank_size: int = 48, size_exp: float = 0.8,
             spectrum: float = 0.0) -> np.ndarray:
    """Minnaert bubbles (2, n): ``rate`` per second in clusters of about ``cluster``
    spread over ``spread_s``, radii log-uniform in ``radii_mm``; bigger ones louder
    (amplitude ~ radius ** ``size_exp``), levels spread over ~20 dB by distance.
    ``rate_gain`` (a control curve, one point every ``_dsp.CONTROL_STEP`` frames)
    thins the clusters (values 0..1 re the peak rate) where the flow slackens.
    ``spectrum`` > 0 draws the radii with a number density per unit log-radius
    ~ r ** -spectrum (0: log-uniform)."""
    r_bank, r_sched = rng.spawn(2)
    u = (np.arange(bank_size) + r_bank.random(bank_size)) / bank_size  # stratified
    if spectrum > 0:
        a0, a1 = radii_mm[0] ** -spectrum, radii_mm[1] ** -spectrum
        radii = (a0 + u * (a1 - a0)) ** (-1.0 / spectrum)
    else:
        radii = radii_mm[0] * (radii_mm[1] / radii_mm[0]) ** u
    bank = [_bubble_grain(r, sr) for r in radii]
    clusters = r_sched.poisson(rate / cluster * (n / sr + 0.3))
    centres = r_sched.integers(-int(0.3 * sr), n, clusters)
    if rate_gain is not None:
        at = np.clip(centres // _dsp.CONTROL_STEP, 0, len(rate_gain) - 1)
        centres = centres[r_sched.random(clusters) < rate_gain[at]]
        clusters = len(centres)
    sizes = r_sched.poisson(cluster - 1.0, clusters) + 1
    k = int(sizes.sum())
    offsets = np.repeat(centres, sizes) + (r_sched.normal(0, spread_s, k) * sr).astype(int)
    which = r_sched.integers(0, bank_size, k)
    amp = (radii[which] / 3.0) ** size_exp * 10 ** (-20.0 * r_sched.random(k) ** 0.7 / 20.0)
    pan = np.repeat(r_sched.uniform(-0.9, 0.9, clusters), sizes)
    gl, gr = _dsp.pan_minus3db_centre(np.clip(pan + r_sched.normal(0, 0.15, k), -1, 1))
    out = np.zeros((2, n))
    _dsp.scatter_stereo(out, bank, which, offsets, amp * gl, amp * gr)
    return out


def _rms(x: np.ndarray) -> float:
    return float(np.sqrt(np.mean(x * x))) + 1e-12


def _hold_crest(x: np.ndarray, sr: int, ceiling: float = 8.0, passes: int = 5,
                hold_s: float = 0.01) -> np.ndarray:
    """:func:`_dsp.bound_peaks` repeated until the crest is at most ``ceiling`` x the
    RMS: in a sparse bed (slaps, hailstones) the loud hits carry most of the energy,
    so taming them lowers the RMS too and one pass leaves the crest above it (as
    ``things._hold_crest``). The gain is held ``hold_s`` (10 ms, not the house
    2 ms) around each loud crest: a slower gain ramp cannot square off the crest of
    a neighbouring stone or slap that it passes over (stats.flat_tops)."""
    for _ in range(passes):
        if float(np.max(np.abs(x))) <= 1.02 * ceiling * _rms(x):
            break
        x = _dsp.bound_peaks(x, sr, ceiling=ceiling, hold_s=hold_s)
    return x


# --- waterfall ----------------------------------------------------------------------

FALL_BAND = (150.0, 10000.0)  # Hz, the plunge's splash roar (1st-order edges)
FALL_EXPONENT = (0.7, 1.15)  # power-law exponent of the roar, height 0 .. 1 (pink = 1)
FALL_THUNDER_HZ = 200.0  # the plunge's low thunder lies below this
FALL_SPLIT_HZ = 1000.0  # Hz, above this the impacts flicker
FALL_RADII_MM = (1.0, 4.0)  # resolved splash bubbles: Minnaert 0.8-3.3 kHz
FALL_THUNDER = (0.2, 0.9)  # thunder RMS re the roar, height 0 .. 1
FALL_FLICKER = (300.0, 0.45)  # Hz and log depth of the impacts' level flicker above 1 kHz
FALL_BUBBLES = (0.3, 0.15)  # resolved splashes' RMS re the roar, height 0 .. 1
FALL_SURGE_DB = 1.0  # std of the slow (0.1-0.3 Hz) surges in dB
FALL_PEAK = 6.0  # peaks re RMS (a dense roar has no big transients)


def waterfall(p: Params, n: int, sr: int, rng: Rng) -> np.ndarray:
    """Waterfall (2, n). ``height`` 0 (a small cascade, brighter) .. 1 (a big fall,
    more low roar).

    The plunge pool is hit by so many drops and entrained bubbles per second that
    they merge: a power-law noise over 150 Hz-10 kHz (flat to slightly falling
    octave bands, steeper for a big fall) whose level above 1 kHz flickers at
    ~300 Hz (the impacts), a brown thunder below 200 Hz that swells with the slow
    surges of the falling mass, and 80-180 resolved splash bubbles per
    second (Minnaert, 0.8-3.3 kHz). Very steady: slow surges of ~1 dB.

    The roar is drawn as two independent noises split at 1 kHz by complementary
    1st-order Butterworth gains (their powers sum to the whole spectrum), so only
    the upper one flickers and no filter pass is needed.
    """
    h = float(p["height"])
    r_low, r_high, r_flick, r_bub, r_slow = rng.spawn(5)
    f = _dsp.rfft_freqs(n, sr)
    expo = FALL_EXPONENT[0] + (FALL_EXPONENT[1] - FALL_EXPONENT[0]) * h
    shape = _dsp.pink_gain(f, expo, 100.0) * _dsp.butter_gain("bandpass", FALL_BAND, sr, 1, f)
    thunder = (_dsp.pink_gain(f, 2.0, 25.0) * _dsp.butter_gain("lowpass", FALL_THUNDER_HZ, sr, 2, f)
               * _dsp.butter_gain("highpass", 25.0, sr, 2, f))
    lp = _dsp.butter_gain("lowpass", FALL_SPLIT_HZ, sr, 1, f)
    hp = _dsp.butter_gain("highpass", FALL_SPLIT_HZ, sr, 1, f)
    # unit-RMS references so the thunder's share is set re the whole roar
    roar_ms = float(np.sum(shape**2))
    thunder *= np.sqrt(roar_ms / float(np.sum(thunder**2)))
    t_gain = FALL_THUNDER[0] + (FALL_THUNDER[1] - FALL_THUNDER[0]) * h
    low_gain = np.sqrt((shape * lp) ** 2 + (t_gain * thunder) ** 2)
    low_ms, high_ms = float(np.sum(low_gain**2)), float(np.sum((shape * hp) ** 2))
    low = _dsp.spectral_noise(r_low, n, low_gain, channels=2) * np.sqrt(low_ms / roar_ms)
    high = _dsp.spectral_noise(r_high, n, shape * hp, channels=2) * np.sqrt(high_ms / roar_ms)
    bub = _bubbles(r_bub, n, sr, FALL_RADII_MM, 80.0 + 100.0 * (1.0 - h), 3.0, 0.02,
                   bank_size=32)
    bub *= (FALL_BUBBLES[0] + (FALL_BUBBLES[1] - FALL_BUBBLES[0]) * h) / _rms(bub)
    # slow surges at the control rate; the low thunder swells more than the splash
    m, cr = _dsp.control_points(n), _dsp.control_rate(sr)
    surge = (_dsp.smooth_noise(r_slow, m, cr, 0.15)
             + 0.5 * _dsp.smooth_noise(r_slow, m, cr, 0.4))
    low *= _dsp.expand(10 ** (1.4 * FALL_SURGE_DB * surge / 20.0), n)
    high *= _dsp.expand(_flicker_points(r_flick, n, sr, FALL_FLICKER[0], FALL_FLICKER[1]), n)
    high += bub
    high *= _dsp.expand(10 ** (0.8 * FALL_SURGE_DB * surge / 20.0), n)
    low += high
    return _dsp.bound_peaks(low, sr, FALL_PEAK)


# --- rapids -------------------------------------------------------------------------

RAPIDS_RADII_MM = (1.1, 11.0)  # Minnaert 300 Hz .. 3 kHz: bigger bubbles than a brook's
RAPIDS_WASH_BAND = (300.0, 6000.0)  # Hz, the turbulent wash
RAPIDS_UNDERTOW = 0.2  # brown 30-250 Hz undertow re the wash
# bubbles above the Hinze scale (~1 mm) in breaking water: number density ~ r**(-10/3)
# per unit radius (Deane and Stokes, Nature 418, 2002), i.e. r**(-7/3) per log-radius
RAPIDS_SIZE_SPECTRUM = 7.0 / 3.0
RAPIDS_SURGE_DB = 1.6  # how far the wash swells with the standing waves
RAPIDS_SURGE_S = (1.8, 4.0)  # s, period of the standing waves' surges
RAPIDS_PEAK = 7.0


def rapids(p: Params, n: int, sr: int, rng: Rng) -> np.ndarray:
    """River rapids (2, n); ``flow`` 0..1.

    Brook-like clustered Minnaert bubbles, but denser (150-600 a second) and larger
    (radii 1.1-11 mm: 300 Hz-3 kHz), over a turbulent broadband wash (300 Hz-6 kHz
    with a brown undertow) that flickers as the water breaks. Standing waves over
    the rocks surge with a period of 1.8-4 s that wanders by ~10 %: the wash
    swells by ~2 dB and the bubbles crowd into the surge.
    """
    flow = float(p["flow"])
    r_surge, r_bub, r_wash, r_flick = rng.spawn(4)
    # the surge at the control rate (it moves at well under 1 Hz)
    m, cr = _dsp.control_points(n), _dsp.control_rate(sr)
    period = r_surge.uniform(*RAPIDS_SURGE_S)
    wander = 0.1 * _dsp.smooth_noise(r_surge, m, cr, 0.2)
    phase = 2 * np.pi * np.cumsum((1.0 + wander) / period) / cr + r_surge.uniform(0, 2 * np.pi)
    surge = 0.7 * np.sin(phase) + 0.3 * _dsp.smooth_noise(r_surge, m, cr, 0.7)
    bub = _bubbles(r_bub, n, sr, RAPIDS_RADII_MM, 150.0 + 450.0 * flow, 5.0, 0.04,
                   rate_gain=0.6 + 0.4 * np.clip(surge, -1.0, 1.0), size_exp=0.8,
                   spectrum=RAPIDS_SIZE_SPECTRUM)
    # wash and undertow as one noise: their shapes at unit power each, summed in power
    f = _dsp.rfft_freqs(n, sr)
    wash_g = _dsp.pink_gain(f, 1.0) * _dsp.butter_gain("bandpass", RAPIDS_WASH_BAND, sr, 1, f)
    under_g = (_dsp.pink_gain(f, 2.0, 30.0)
               * _dsp.butter_gain("bandpass", (30.0, 250.0), sr, 2, f))
    gain = np.sqrt(wash_g**2 / np.sum(wash_g**2)
                   + RAPIDS_UNDERTOW**2 * under_g**2 / np.sum(under_g**2))
    wash = _dsp.spectral_noise(r_wash, n, gain, channels=2)
    wash *= _dsp.expand(_flicker_points(r_flick, n, sr, 40.0, 0.25)
                        * 10 ** (RAPIDS_SURGE_DB * surge / 20.0), n)
    out = bub + wash * ((0.7 + 0.9 * flow) * _rms(bub) / _rms(wash))
    return _dsp.bound_peaks(out, sr, RAPIDS_PEAK)


# --- snow-muffled wind ------------------------------------------------------------------

SNOW_TOP_HZ = 1400.0  # 2nd-order low-pass (Hz, +600 at strength 1): fresh snow swallows the highs
SNOW_WHISTLE = 0.35  # share of the wind's strength left for its whistles


def snow_wind(p: Params, n: int, sr: int, rng: Rng) -> np.ndarray:
    """Wind through snow-covered woods (2, n); ``strength`` 0..1.

    The house wind (:func:`wind.wind`: a band of pink noise whose centre and level
    follow the gusts, a brown rumble, whistles) with gentle gusts, its whistles
    weakened, heard where the snow on the ground and the branches absorbs what
    lies above ~500 Hz: a 2nd-order low-pass at 1.4-2 kHz leaves little above
    2 kHz (the wind's own spectrum already falls ~9 dB an octave).
    """
    s = float(p["strength"])
    raw = wind.wind({"strength": SNOW_WHISTLE * s + 0.1, "gustiness": 0.25 + 0.35 * s},
                    n, sr, rng)
    dark = _dsp.filt(raw, "lowpass", SNOW_TOP_HZ + 600.0 * s, sr, order=2)
    return _dsp.bound_peaks(dark, sr, 7.0)


# --- underwater ---------------------------------------------------------------------

UNDER_SWELL_DB = 2.0  # slow pressure swells (0.2-0.5 Hz), std in dB
UNDER_LOWPASS_HZ = 450.0  # a head underwater hears mostly by bone conduction: dark
UNDER_STREAM_EVERY_S = (2.0, 7.0)  # s between bubble streams
UNDER_STREAM_BUBBLES = (6, 20)  # bubbles in one stream
UNDER_BUBBLE_TOP_HZ = 1500.0  # 2nd-order low-pass of the bubbles
UNDER_CHIRP = 0.9  # octaves a stream bubble rises over its life


def _chirp_bubble(f0: float, sr: int, rise_oct: float) -> np.ndarray:
    """A rising bubble (mono, peak ~1): Minnaert pitch ``f0`` gliding up ``rise_oct``
    octaves over its ring as it nears the surface, with a 1 ms onset."""
    d = 0.043 * f0 + 0.0014 * f0**1.5
    m = max(8, int(min(6.9 / d, 0.25) * sr))
    t = np.arange(m) / sr
    f = f0 * 2.0 ** (rise_oct * t / t[-1])
    phase = 2 * np.pi * np.cumsum(np.minimum(f, 0.45 * sr)) / sr
    b = np.sin(phase) * np.exp(-d * t) * _dsp.soft_onset(m, sr, 0.001)
    # heard through water and bone: low-passed at 1.5 kHz (per grain: cheaper than
    # filtering the whole bed)
    return _dsp.filt(b, "lowpass", UNDER_BUBBLE_TOP_HZ, sr)


def underwater(p: Params, n: int, sr: int, rng: Rng) -> np.ndarray:
    """Heard underwater (2, n): a muffled brown rumble below ~450 Hz with slow
    pressure swells (0.2-0.5 Hz, ~2 dB), and now and then a stream of 6-20 bubbles
    (Minnaert 250-1200 Hz, each rising ~0.9 octave) over 0.5-1.5 s, low-passed at
    1.5 kHz: no high hiss.
    """
    r_noise, r_swell, r_streams = rng.spawn(3)
    f = _dsp.rfft_freqs(n, sr)
    rumble = _dsp.spectral_noise(r_noise, n, _dsp.pink_gain(f, 1.6, 30.0)
                                 * _dsp.butter_gain("lowpass", UNDER_LOWPASS_HZ, sr, 3, f)
                                 * _dsp.butter_gain("highpass", 20.0, sr, 2, f), channels=2)
    swell = _slow(r_swell, n, sr, 0.2) + 0.5 * _slow(r_swell, n, sr, 0.5)
    rumble *= 10 ** (UNDER_SWELL_DB * swell / 20.0)
    bubbles = np.zeros((2, n))
    t = -r_streams.uniform(0.0, 3.0)
    while t < n / sr:
        count = int(r_streams.integers(*UNDER_STREAM_BUBBLES))
        span = r_streams.uniform(0.5, 1.5)
        base = r_streams.uniform(250.0, 700.0)
        pan = r_streams.uniform(-0.7, 0.7)
        level = 10 ** (r_streams.uniform(-10.0, 0.0) / 20.0)
        times = t + np.sort(r_streams.uniform(0.0, span, count))
        for when in times:
            f0 = base * 2.0 ** r_streams.uniform(0.0, 1.2)
            b = _chirp_bubble(f0, sr, UNDER_CHIRP * r_streams.uniform(0.6, 1.2))
            o = int(when * sr)
            a, z = max(0, -o), min(len(b), n - o)
            if z > a:
                g = level * r_streams.uniform(0.3, 1.0)
                gl, gr = _dsp.pan_minus3db_centre(np.clip(pan + r_streams.normal(0, 0.1), -1, 1))
                bubbles[0, o + a:o + z] += g * float(gl) * b[a:z]
                bubbles[1, o + a:o + z] += g * float(gr) * b[a:z]
        t += span + r_streams.uniform(*UNDER_STREAM_EVERY_S)
    b_rms = float(np.sqrt(np.mean(bubbles**2))) + 1e-3 * _rms(rumble)
    out = rumble + bubbles * (0.5 * _rms(rumble) / b_rms)
    # the slow level pulled half-way to the segment's: swells and streams stay, but
    # crossfaded segments do not pump
    out = _dsp.steady_level(out, sr, 1.0, 0.5, max_db=6.0, block=256)
    return _dsp.bound_peaks(out, sr, 7.0)


# --- lapping ------------------------------------------------------------------------

LAP_EVERY_S = (1.0, 4.0)  # s between slaps (small wind waves and wakes, 1-4 s periods)
LAP_HULL_HZ = (150.0, 400.0)  # Hz, the hollow hull's (or pier's) resonances
LAP_HULL_DECAY_S = (0.03, 0.09)  # s, 1/e decay of a hull resonance
LAP_RISE_S = 0.0008  # s, the slap's raised-cosine rise (no step: guard.find_clicks)
LAP_SLAP_S = (0.004, 0.012)  # s, decay of the slap's splash noise
LAP_BUBBLE_RISE_S = 0.0005  # s, gurgles and drips fade in (a dark floor shows any edge)
LAP_FLOOR = 0.25  # the water's murmur between slaps, RMS re the slaps
LAP_FIZZ = 0.15  # the fizz's RMS re the murmur's
LAP_FIZZ_BAND = (2000.0, 8000.0)  # Hz
LAP_WIDTH = 0.6  # share of a slap's diffuse (decorrelated) reflections
LAP_STEADY = 0.7  # how far the 1 s level is pulled to the segment's (_dsp.steady_level)


def _slap(rng: Rng, sr: int, hull: np.ndarray) -> np.ndarray:
    """One wavelet against the hull (mono): the water surging up (a swell of low
    noise, 0.15-0.4 s), the slap (a splash-noise burst with a 0.8 ms rise that rings
    the hull's modes ``hull`` Hz), then gurgles (2-6 bubbles of 400-1500 Hz as the
    water falls back) and a drip or two."""
    pre = rng.uniform(0.15, 0.4)
    n = int((pre + 1.6) * sr)
    out = np.zeros(n)
    k = int(pre * sr)
    # the surge rises until the slap and ebbs after it (no edge at either end)
    j = k + int(0.4 * sr)
    env = np.concatenate([np.linspace(0.0, 1.0, k) ** 2,
                          np.cos(np.linspace(0.0, np.pi / 2, j - k)) ** 2])
    out[:j] += 0.25 * _dsp.filt(rng.standard_normal(j), "lowpass", 500.0, sr) * env
    m = int(0.6 * sr)  # the ring has decayed 60 dB and more by then; faded to be sure
    burst = _dsp.filt(rng.standard_normal(m), "bandpass", (120.0, 3500.0), sr)
    burst *= _dsp.exp_decay(m, sr, rng.uniform(*LAP_SLAP_S)) * _dsp.soft_onset(m, sr, LAP_RISE_S)
    ring = np.zeros(m)
    for f0 in hull:
        ring += _dsp.resonator(burst, float(f0 * rng.uniform(0.97, 1.03)),
                               rng.uniform(*LAP_HULL_DECAY_S), sr)
    slap = burst / _rms(burst) + 0.7 * ring / _rms(ring)
    slap[m // 2:] *= np.cos(np.linspace(0.0, np.pi / 2, m - m // 2)) ** 2
    out[k:k + m] += slap / np.max(np.abs(slap))
    for lo_hz, hi_hz, count, when, level in ((400.0, 1500.0, (2, 7), (0.05, 0.6), (0.05, 0.25)),
                                             (1000.0, 2500.0, (0, 3), (0.4, 1.4), (0.05, 0.15))):
        for _ in range(int(rng.integers(*count))):
            b = water.bubble(rng.uniform(lo_hz, hi_hz), sr)
            b = b * _dsp.soft_onset(len(b), sr, LAP_BUBBLE_RISE_S)
            o = k + int(rng.uniform(*when) * sr)
            z = min(len(b), n - o)
            out[o:o + z] += rng.uniform(*level) * b[:z]
    return out


def lapping(p: Params, n: int, sr: int, rng: Rng) -> np.ndarray:
    """Water lapping against a boat's hull or a pier (2, n).

    Small waves arrive every 1-4 s, each a slap: a short broadband splash
    (bandpassed noise, 4-12 ms decay, 0.8 ms rise) that rings the hollow hull's
    resonances at 150-400 Hz (two or three modes, 30-90 ms decay; Farnell's
    "hollow body" treatment of struck containers), preceded by the water surging
    up and followed by gurgling bubbles and a drip or two, over the water's faint
    low murmur. Each wave meets the hull at its own place: level (-8..0 dB) and
    image change from slap to slap, and each has its own decorrelated reflections.
    The 1 s level is pulled towards the segment's so crossfades do not pump.
    """
    r_hull, r_waves, r_floor = rng.spawn(3)
    hull = np.sort(r_hull.uniform(*LAP_HULL_HZ, 3))
    out = np.zeros((2, n))
    t = -r_waves.uniform(0.0, 2.0)
    while t < n / sr:
        # each slap with its own reflections off the water and the hull (a diffuse,
        # decorrelated copy per channel), placed where it meets the hull
        x = _dsp.stereo_spread(_slap(r_waves, sr, hull), r_waves, sr, LAP_WIDTH, 0.03)
        gain = 10 ** (r_waves.uniform(-8.0, 0.0) / 20.0)
        gl, gr = _dsp.pan_minus3db_centre(r_waves.uniform(-0.5, 0.5))
        o = int(t * sr)
        a, z = max(0, -o), min(x.shape[1], n - o)
        if z > a:
            out[0, o + a:o + z] += gain * float(gl) * x[0, a:z]
            out[1, o + a:o + z] += gain * float(gr) * x[1, a:z]
        t += r_waves.uniform(*LAP_EVERY_S)
    f = _dsp.rfft_freqs(n, sr)
    # the water's low murmur and a faint fizz of tiny bubbles at the hull (2-8 kHz):
    # without it the floor's second difference is so small that a slap's splash reads
    # as a click (guard.find_clicks), as rain's patter keeps its drops from it
    murmur = _dsp.pink_gain(f, 1.5) * _dsp.butter_gain("bandpass", (80.0, 2500.0), sr, 2, f)
    fizz = _dsp.butter_gain("bandpass", LAP_FIZZ_BAND, sr, 2, f)
    shape = np.sqrt(murmur**2 / np.sum(murmur**2) + LAP_FIZZ**2 * fizz**2 / np.sum(fizz**2))
    floor = _dsp.spectral_noise(r_floor, n, shape, channels=2)
    floor *= 10 ** (3.0 * _slow(r_floor, n, sr, 0.4) / 20.0)
    out += floor * (LAP_FLOOR * max(_rms(out), 1e-3))
    # a second without a slap must not drop far below one with two: the slow level
    # is pulled towards the whole segment's (crossfaded segments do not pump)
    out = _dsp.steady_level(out, sr, 1.0, LAP_STEADY, max_db=8.0, block=256)
    return _hold_crest(out, sr)


# --- hail ---------------------------------------------------------------------------

HAIL_SIZE_MM = (5.0, 50.0)  # stone diameters
HAIL_RATE = (3.0, 60.0)  # impacts per second heard, intensity 0 .. 1
HAIL_RISE_S = (0.0005, 0.001)  # s, an impact's 10-90 % rise (guard.find_clicks)
HAIL_BANK = 40  # impact grains per segment, stratified over the size distribution
HAIL_CRACK_HZ = 6000.0  # a 10 mm stone's crack; ~ D**-0.25, held in 4-7 kHz (see _hail_grain)
HAIL_PEAK = 5.5  # loudest stone re the bed's RMS (the bed contract holds 8)
HAIL_GRAIN_S = (0.15, 0.08)  # s, a roof's and the ground's impact grain (faded out)
HAIL_FLOOR = 0.1  # the far hail's hiss, RMS re the impacts
HAIL_FLOOR_TOP_HZ = 4000.0


def _hail_grain(rng: Rng, d_mm: float, sr: int, roof: bool) -> np.ndarray:
    """One stone's impact (mono, peak ~1): a sharp crack (a contact mode with a
    weaker overtone) whose pitch falls and whose decay
    lengthens with the stone's size (fc ~ 6 kHz (10 mm / D)**0.25), then a ring of
    the roof panel's modes (roof) or a dull knock and thud of the ground (ground),
    lower for bigger stones.

    The crack stays in 4-7 kHz, above everything else in the bed: a loud crest with
    a higher-pitched sound riding on it is now and then squared off by the rider
    (stats.flat_tops; the brook's bubbles were moved above their wash for the same
    reason), while a lower one only tilts it."""
    size = d_mm / 10.0
    m = int((HAIL_GRAIN_S[0] if roof else HAIL_GRAIN_S[1]) * sr)
    fc = float(np.clip(HAIL_CRACK_HZ * size**-0.25, 4000.0, min(7000.0, 0.4 * sr)))
    tau = rng.uniform(0.001, 0.0016) * size**0.25
    t = np.arange(m) / sr
    # the crack: a contact mode at fc with a weaker overtone (a rounded, sine-like
    # crest: summed noise or equal modes now and then square a crest off by chance,
    # stats.flat_tops), computed over the 15 decay times it lasts
    mc = min(m, int(15 * 1.5 * tau * sr))
    tc = t[:mc]
    crack = np.zeros(mc)
    for ratio, level in ((1.0, 1.0), (rng.uniform(1.3, 1.6), rng.uniform(0.2, 0.35))):
        crack += level * np.sin(2 * np.pi * min(fc * ratio, 0.45 * sr) * tc
                                + rng.uniform(0, 2 * np.pi))
    crack *= np.exp(-tc / (1.5 * tau))
    hit = np.zeros(m)
    hit[:mc] = crack / (np.max(np.abs(crack)) + 1e-12)
    if roof:
        ring = np.zeros(m)
        for _ in range(5):
            f = rng.uniform(300.0, 3000.0) * (0.8 + 0.4 / size**0.3)
            ring += rng.uniform(0.3, 1.0) * np.sin(2 * np.pi * min(f, 0.45 * sr) * t
                                                   + rng.uniform(0, 2 * np.pi)) * np.exp(
                -t / rng.uniform(0.02, 0.06))
        hit += 0.3 * ring / (np.max(np.abs(ring)) + 1e-12)
    else:
        # the ground gives under the stone: a dull knock (two modes at 300-1200 Hz,
        # 8-20 ms) and, for the bigger ones, a thud below 250 Hz
        knock = np.zeros(m)
        for _ in range(2):
            knock += np.sin(2 * np.pi * rng.uniform(300.0, 1200.0) * size**-0.3 * t
                            + rng.uniform(0, 2 * np.pi))
        knock *= _dsp.exp_decay(m, sr, rng.uniform(0.008, 0.02) * size**0.3)
        thud = _dsp.filt(rng.standard_normal(m), "lowpass", 250.0, sr)
        thud *= _dsp.exp_decay(m, sr, 0.004 * size**0.5)
        hit += 0.35 * knock / (np.max(np.abs(knock)) + 1e-12)
        hit += 0.25 * min(1.0, size / 2.0) * thud / (np.max(np.abs(thud)) + 1e-12)
    # a smooth rise (1 - exp(-t / tr))**2: 10-90 % in ~0.5-1 ms with no corner where
    # it meets the decay (a raised-cosine ramp ending at the first crest bends that
    # crest flat: stats.flat_tops), and no step at the start (guard.find_clicks)
    tr = rng.uniform(*HAIL_RISE_S) / 2.5
    hit *= (1.0 - np.exp(-t / tr)) ** 2
    # the ring or knock may still sound at the grain's end: fade its last 40 %
    k = int(0.4 * m)
    hit[m - k:] *= np.cos(np.linspace(0.0, np.pi / 2, k)) ** 2
    return hit / (np.max(np.abs(hit)) + 1e-12)


def hail(p: Params, n: int, sr: int, rng: Rng) -> np.ndarray:
    """Hail (2, n) on a ``surface`` (roof or ground); ``intensity`` 0..1.

    3-60 impacts a second (Poisson) of stones 5-50 mm drawn from an exponential size
    distribution whose mean grows with the intensity (Cheng and English: N(D) ~
    exp(-D / D0), D0 ~ 3-8 mm here). A stone's energy grows as D**3 v**2 with its
    terminal speed v ~ sqrt(D), so bigger stones hit louder (amplitude ~ D**1.5)
    and lower; each impact is a short sharp modal crack (4-7 kHz) rising over
    0.5-1 ms and a roof panel's modal ring (roof) or a dull knock and thud
    (ground), and a third of the stones bounce once or twice (0.06-0.3 s later,
    8-16 dB down). A faint hiss of far stones (below 4 kHz) lies under it all.
    """
    i = float(p["intensity"])
    roof = p["surface"] == "roof"
    r_bank, r_sched, r_floor = rng.spawn(3)
    d0 = 3.0 + 5.0 * i
    # the size distribution, stratified over the bank, truncated to 5-50 mm
    u = (np.arange(HAIL_BANK) + r_bank.random(HAIL_BANK)) / HAIL_BANK
    lo, hi = HAIL_SIZE_MM
    sizes = lo - d0 * np.log(1.0 - u * (1.0 - np.exp(-(hi - lo) / d0)))
    bank = [_hail_grain(r_bank, float(d), sr, roof) for d in sizes]
    rate = HAIL_RATE[0] + (HAIL_RATE[1] - HAIL_RATE[0]) * i**1.5
    k = r_sched.poisson(rate * (n / sr + 0.3))
    starts = r_sched.integers(-int(0.3 * sr), n, k)
    which = r_sched.integers(0, HAIL_BANK, k)
    amp = (sizes[which] / 10.0) ** 1.5 * 10 ** (-18.0 * r_sched.random(k) ** 0.7 / 20.0)
    pan = r_sched.uniform(-0.9, 0.9, k)
    # bounces: a third of the stones, once or twice
    bouncing = r_sched.random(k) < 0.33
    b_idx = np.flatnonzero(bouncing)
    b_starts = starts[b_idx] + (r_sched.uniform(0.06, 0.3, len(b_idx)) * sr).astype(int)
    b_amp = amp[b_idx] * 10 ** (-r_sched.uniform(8.0, 16.0, len(b_idx)) / 20.0)
    twice = r_sched.random(len(b_idx)) < 0.4
    b2_starts = b_starts[twice] + (r_sched.uniform(0.04, 0.15, int(twice.sum())) * sr).astype(int)
    b2_amp = b_amp[twice] * 0.35
    all_starts = np.concatenate([starts, b_starts, b2_starts])
    all_which = np.concatenate([which, which[b_idx], which[b_idx][twice]])
    all_amp = np.concatenate([amp, b_amp, b2_amp])
    all_pan = np.concatenate([pan, pan[b_idx], pan[b_idx][twice]])
    gl, gr = _dsp.pan_minus3db_centre(all_pan)
    # grain energies by einsum: ``g @ g`` goes to BLAS, whose threads spin on a busy machine
    energy = np.array([float(np.einsum("i,i->", g, g)) for g in bank])[all_which]
    all_amp = _tame_stones(all_amp, np.maximum(gl, gr), energy, np.hypot(gl, gr), 2 * n)
    out = np.zeros((2, n))
    _dsp.scatter_stereo(out, bank, all_which, all_starts, all_amp * gl, all_amp * gr)
    f = _dsp.rfft_freqs(n, sr)
    # the far stones' hiss, kept below 4 kHz: above, its sample-to-sample wiggle
    # would lift the samples beside a loud stone's crest level with it (flat_tops)
    band = _dsp.butter_gain("bandpass", (400.0, HAIL_FLOOR_TOP_HZ), sr, 2, f)
    floor = _dsp.spectral_noise(r_floor, n, _dsp.pink_gain(f, 0.5) * band, channels=2)
    out += floor * (HAIL_FLOOR * max(_rms(out), 1e-6))
    return _hold_crest(out, sr)


def _tame_stones(amp: np.ndarray, pan_peak: np.ndarray, energy: np.ndarray,
                 pan_norm: np.ndarray, samples: int) -> np.ndarray:
    """Stone gains whose loudest peaks stay under HAIL_PEAK x the bed's RMS, set
    stone by stone (never by bending samples, and rarely left to the smooth peak
    hold, whose gain ramps can square off a crest: stats.flat_tops).

    The bed's mean square is predicted from the gains, each grain's energy and its
    pan (independent grains add in power, the floor adds HAIL_FLOOR**2); a stone
    whose peak would pass 0.7 of the limit is brought under it by a soft knee on its
    gain, which keeps bigger stones louder. Three rounds: taming lowers the RMS."""
    a = amp.copy()
    for _ in range(3):
        ms = float(np.sum((a * pan_norm) ** 2 * energy)) / max(samples, 1)
        limit = HAIL_PEAK * np.sqrt(ms * (1.0 + HAIL_FLOOR**2))
        if limit <= 0:
            break
        r = amp * pan_peak / limit
        knee = 0.7
        tamed = np.where(r > knee, knee + (1.0 - knee) * np.tanh((r - knee) / (1.0 - knee)), r)
        a = amp * tamed / np.maximum(r, 1e-12)
    return a


RECIPES: list[Recipe] = [
    make("waterfall", "bed", {
        "height": _unit(0.5, "0 a small cascade (brighter, lighter) .. 1 a big fall "
                             "(more low roar)"),
    }, "A waterfall: the plunge pool's countless impacts merged into a steady broadband "
       "roar (150 Hz-10 kHz) with a low thunder below 200 Hz and slow small surges.",
         waterfall),
    make("rapids", "bed", {
        "flow": _unit(0.5, "0 gentle riffle .. 1 white water (bubble rate, wash level)"),
    }, "River rapids: dense, large Minnaert bubbles (300 Hz-3 kHz) over a turbulent "
       "wash that surges with the standing waves every 2-4 s.", rapids, reuse=6),
    make("snow-wind", "bed", {
        "strength": _unit(0.4, "0 still air .. 1 a strong wind (level, gusts)"),
    }, "Wind in snow-covered woods: soft and dark (snow absorbs the highs: little above "
       "2 kHz), gentle gusts, a barely heard whistle.", snow_wind, reuse=6),
    make("underwater", "bed", {}, "Heard underwater: a muffled rumble below 500 Hz, slow "
         "pressure swells and now and then a stream of rising bubbles.", underwater,
         reuse=6),
    make("lapping", "bed", {}, "Water lapping against a boat's hull or a pier: a small "
         "slap every 1-4 s (a broadband splash ringing the hollow hull at 150-400 Hz), "
         "gurgles and drips between them.", lapping, reuse=4),
    make("hail", "bed", {
        "intensity": _unit(0.5, "0 a few stones .. 1 a dense storm of bigger stones"),
        "surface": ParamSpec("roof", choices=("roof", "ground"), doc="what the stones hit"),
    }, "Hail: hard, sharp impacts of 5-50 mm stones (bigger ones louder and lower) on a "
       "roof (ringing panel) or the ground (dull thud), some bouncing.", hail, reuse=6),
]
