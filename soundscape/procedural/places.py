"""Places: a cafe's murmur and cups, room tone, traffic, a train,
an airplane cabin, rain on a tent or car.

Each recipe is registered in :data:`RECIPES` (collected by
:mod:`soundscape.procedural`). The models, their published figures and sources:

* ``murmur`` (bed): a crowd of unintelligible talkers, source-filter speech
  (Fant 1960; Klatt 1980): a glottal pulse train (f0 95-240 Hz, -12 dB/oct source
  tilt, +6 dB/oct lip radiation) or a fricative noise through a cascade of five
  vowel formants (F1 300-850 Hz, F2 900-2400 Hz, F3 2.4-3 kHz; Peterson & Barney
  1952), syllables at 4-5 per second per talker (Greenberg 1999; the speech
  envelope's modulation peak near 4 Hz, Houtgast & Steeneken 1985), phrases of 3-12
  syllables, pauses and turns; talkers at 1.5-14 m (direct sound ~ 1/d) in a room
  whose reverberation (RT60 0.6-0.8 s, typical of a cafe) blurs the far ones.
  Syllables are random formant and pitch sets, never words: no speech can emerge.
* ``cutlery`` (event): china and metal struck together, modal synthesis (Farnell,
  Designing Sound, ch. on "Bells"/"Striking"): a few inharmonic partials per object
  (a cup's ring modes n(n^2 - 1)/sqrt(n^2 + 1): 1, 2.7, 5.2, 8.4; a spoon's
  free-free bar 1, 2.76, 5.40, 8.93; a saucer's plate 1, 1.73, 2.33, 3.0) between
  1 and 8 kHz, decaying in 50-400 ms; one to three contacts per event.
* ``room-tone`` (bed): ventilation noise with the "neutral" room spectrum of the RC
  curves (Blazier 1981, ASHRAE: octave band levels falling 5 dB/oct from 31.5 Hz to
  4 kHz; quiet offices and libraries RC 25-35), a low-frequency tilt,
  and at ``hum`` > 0 faint mains harmonics (50 or 60 Hz and their multiples, the
  100/120 Hz transformer hum strongest) and a fan's blade-pass tone.
* ``traffic`` (bed): a far rumble with the EN 1793-3 normalised road traffic
  spectrum (peak near 1 kHz A-weighted, broad and falling unweighted) and passing
  cars (Farnell, "Cars"): engine firing harmonics 30-380 Hz and tyre noise 0.3-3
  kHz (peak near 1 kHz) from a point source moving at 30-60 km/h past the listener
  at 4-22 m, each pass-by lasting 3-8 s above -10 dB, heard
  through the propagation delay (Doppler f' = f c / (c - v_r)), 1/r spreading;
  ``density`` cars per minute.
* ``train`` (bed): inside a carriage on jointed track (Farnell, "Trains"): a rumble
  of 20-200 Hz (rail roughness through the bogies), each rail joint struck by the
  two axles of the near bogie (2.5 m apart) and, quieter, of the far one (17.5 m
  on): a "di-dum" every RAIL_LENGTH / v seconds (20 m rails at 100 km/h: 0.72 s),
  over a faint rattle of fittings.
* ``cabin`` (bed): an airliner cabin in cruise: turbulent boundary-layer noise,
  broadband with a broad hump at 200-500 Hz and falling ~6 dB/oct above 1 kHz
  (published cabin spectra, 75-85 dBA: Wilby 1996; Pennig et al. 2012), slow
  gentle level drift, and the faint, beating tonals of two engines (fan shaft
  harmonics about 1 Hz apart).
* ``tent-rain`` (bed): drops hitting a taut membrane (modal: a circular membrane's
  Bessel ratios 1, 1.59, 2.14, 2.30, 2.65, 2.92 with a fundamental of 100-400 Hz
  for a tent fly) or a steel panel (plate modes at 300-1500 Hz ringing longer),
  each drop's sizes and rate from Marshall-Palmer (as in ``rain``), over the wash of
  the unresolved smallest drops filtered by the same surface.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from typing import NamedTuple

import numpy as np
import scipy.fft
import scipy.signal

from soundscape.procedural import _dsp
from soundscape.procedural._spec import ParamSpec, Recipe, make

Rng = np.random.Generator
SPEED_OF_SOUND = 343.0  # m/s at 20 C
PEAK_CEILING = 9.0  # largest bed peak re its RMS (0.9 at -20 dBFS), held by a smooth gain


def _unit(default: float, doc: str) -> ParamSpec:
    return ParamSpec(default, 0.0, 1.0, doc=doc)


def _bounded(x: np.ndarray, sr: int) -> np.ndarray:
    """Peaks held at PEAK_CEILING x the RMS by a smooth gain (``_dsp.bound_peaks``),
    twice: taking a sparse texture's loudest drops down lowers its RMS, so the
    first pass's ceiling, measured against the old RMS, may sit above the new one's."""
    return _dsp.bound_peaks(_dsp.bound_peaks(x, sr, PEAK_CEILING), sr, PEAK_CEILING)


def _norm(x: np.ndarray) -> np.ndarray:
    return x / (np.sqrt(np.mean(x**2)) + 1e-30)


# --- murmur ---------------------------------------------------------------------

# (F1, F2, F3) Hz of vowels, men's values of Peterson & Barney (1952); women's and
# children's are scaled up with their shorter vocal tracts (VOICES)
VOWELS = np.array([
    (270, 2290, 3010), (390, 1990, 2550), (530, 1840, 2480), (660, 1720, 2410),
    (730, 1090, 2440), (570, 840, 2410), (440, 1020, 2240), (300, 870, 2240),
    (640, 1190, 2390), (490, 1350, 1690 + 800),
], dtype=float)
FORMANT_BW = (80.0, 100.0, 150.0, 250.0, 300.0)  # Hz, bandwidths of F1..F5 (Klatt 1980)
HIGH_FORMANTS = (3500.0, 4500.0)  # Hz, F4 and F5 (fixed, they only shape the top)
# (f0 Hz, formant scale): four men, three women, one high voice
VOICES = ((100.0, 1.0), (115.0, 1.0), (125.0, 1.02), (140.0, 1.04),
          (195.0, 1.15), (215.0, 1.17), (235.0, 1.2), (250.0, 1.22))
SYLLABLES_PER_VOICE = 28
SYLLABLE_S = (0.1, 0.22)  # s, syllable (consonant and vowel nucleus) length: shorter
# than the 0.2-0.25 s between onsets, so syllables are separated by closures
SYLLABLE_RATE = (4.0, 5.0)  # syllables per second while a talker speaks
PHRASE_SYLLABLES = (3, 12)
PHRASE_PAUSE_S = (0.15, 0.7)  # s, between phrases of one turn
LISTEN_S = (1.5, 7.0)  # s, a talker listening between turns
TURN_PHRASES = (1, 4)
TALKERS = (5, 40)  # talkers at crowd 0 and 1
NEAR_TALKERS = 3  # the nearest talkers sit at 1.5-4 m, the rest 4-14 m
REVERB_RT60 = (0.6, 0.8)  # s, a cafe's reverberation time
REVERB_SEND = 0.35  # reverberant level per talker re direct at 1 m
MURMUR_WASH = (0.2, 0.5)  # far speech-shaped wash re the talkers at crowd 0 and 1


def _formant_gain(f: np.ndarray, formants: np.ndarray) -> np.ndarray:
    """|H(f)| (rows, bins) of a Klatt cascade of resonators at ``formants`` (rows, 5),
    each with unit gain at DC: F^2 / sqrt((F^2 - f^2)^2 + (B f)^2)."""
    g = np.ones((formants.shape[0], len(f)))
    for i, bw in enumerate(FORMANT_BW):
        fi = formants[:, i:i + 1]
        g *= fi**2 / np.sqrt((fi**2 - f[None, :] ** 2) ** 2 + (bw * f[None, :]) ** 2)
    return g


@lru_cache(maxsize=4)
def _syllable_bank(sr: int) -> tuple[tuple[np.ndarray, ...], ...]:
    """Syllables per voice: ``bank[v][k]`` is mono float32, unit peak.

    Each is a vowel (a glottal pulse train at the voice's f0 with a rise-fall pitch
    contour and 1 % jitter, through the formant cascade of a random vowel, the
    formants scaled by the voice) preceded in two of three by a consonant (a 20-70 ms
    noise burst, fricative or plosive, whose band sits at 2-7 kHz). Built once per
    sample rate from a fixed seed and shared: what a segment draws afresh is who
    says which syllable when, how loud and where.
    """
    rng = np.random.default_rng(np.random.SeedSequence([0x6D75726D, sr]))
    count = len(VOICES) * SYLLABLES_PER_VOICE
    length = int((SYLLABLE_S[1] + 0.1) * sr)
    dur = rng.uniform(*SYLLABLE_S, count)
    cons = rng.random(count) < 0.67
    cons_s = np.where(cons, rng.uniform(0.02, 0.07, count), 0.0)
    voice = np.repeat(np.arange(len(VOICES)), SYLLABLES_PER_VOICE)
    f0 = np.array([VOICES[v][0] for v in voice]) * rng.uniform(0.9, 1.12, count)
    scale = np.array([VOICES[v][1] for v in voice])
    vowel = VOWELS[rng.integers(0, len(VOWELS), count)] * scale[:, None]
    vowel *= rng.uniform(0.94, 1.06, (count, 3))
    formants = np.concatenate([vowel, np.tile(HIGH_FORMANTS, (count, 1)) * scale[:, None]],
                              axis=1)
    t = np.arange(length) / sr
    voiced = np.zeros((count, length))
    noise = np.zeros((count, length))
    for i in range(count):
        start = cons_s[i]
        v_len = dur[i] - start
        # pitch: a small rise and fall over the nucleus, jittered period to period
        u = np.clip((t - start) / v_len, 0.0, 1.0)
        pitch = f0[i] * (1.0 + rng.uniform(-0.06, 0.1) * np.sin(np.pi * u) - 0.05 * u)
        phase = np.cumsum(pitch) / sr
        marks = np.flatnonzero(np.diff(np.floor(phase)) > 0)
        marks = marks[(marks >= int(start * sr)) & (marks < int(dur[i] * sr))]
        marks = marks + rng.integers(-1, 2, len(marks)) * (rng.random(len(marks)) < 0.3)
        # the nucleus's amplitude: a rise and fall over the whole vowel (a syllable's
        # energy peaks in its nucleus and falls to the next closure)
        env = np.sin(np.pi * u) ** 0.8 * (t >= start)
        voiced[i, np.clip(marks, 0, length - 1)] = env[np.clip(marks, 0, length - 1)]
        if cons[i]:
            m = int(cons_s[i] * sr)
            w = np.sin(np.pi * np.arange(m) / m) ** (0.5 if rng.random() < 0.5 else 3.0)
            noise[i, :m] = rng.standard_normal(m) * w
    f = _dsp.rfft_freqs(length, sr)
    # source tilt: -12 dB/oct glottal (above f0) +6 dB/oct radiation = -6 dB/oct
    tilt = 1.0 / np.sqrt(1.0 + (f / 300.0) ** 2)
    vspec = scipy.fft.rfft(voiced, axis=1) * (_formant_gain(f, formants) * tilt[None, :])
    lo = rng.uniform(2000.0, 4000.0, count)
    fric = np.stack([_dsp.butter_gain("bandpass", (lo[i], min(2.2 * lo[i], 9000.0)), sr, 2, f)
                     for i in range(count)])
    nspec = scipy.fft.rfft(noise, axis=1) * fric
    vs = scipy.fft.irfft(vspec, length, axis=1)
    ns = scipy.fft.irfft(nspec, length, axis=1)
    vs /= np.sqrt(np.mean(vs**2, axis=1, keepdims=True)) + 1e-12
    ns /= np.sqrt(np.mean(ns**2, axis=1, keepdims=True)) + 1e-12
    ns *= (0.4 * rng.uniform(0.5, 1.0, count) * cons)[:, None]
    sy = vs + ns
    # a syllable ends within its length (the formant ring is a few ms): fade its last
    # 10 ms so nothing is cut
    ends = (dur * sr).astype(int) + int(0.02 * sr)
    bank: list[list[np.ndarray]] = [[] for _ in VOICES]
    for i in range(count):
        e = min(length, ends[i])
        g = sy[i, :e].copy()
        fade = int(0.01 * sr)
        g[e - fade:] *= np.linspace(1.0, 0.0, fade)
        g *= _dsp.soft_onset(e, sr, 0.002)
        g /= np.max(np.abs(g)) + 1e-12
        bank[voice[i]].append(g.astype(np.float32))
    return tuple(tuple(b) for b in bank)


def _talker_onsets(rng: Rng, start: float, stop: float) -> tuple[np.ndarray, np.ndarray]:
    """(onset times s, stress gains) of one talker's syllables between ``start`` and
    ``stop``: turns of 1-4 phrases of 3-12 syllables at 4-5 per second (jittered),
    phrases falling in level (declination), listening 1-6 s between turns."""
    times: list[float] = []
    gains: list[float] = []
    rate = rng.uniform(*SYLLABLE_RATE)
    t = start + rng.uniform(-LISTEN_S[1], 0.0)
    while t < stop:
        for _ in range(int(rng.integers(TURN_PHRASES[0], TURN_PHRASES[1] + 1))):
            k = int(rng.integers(PHRASE_SYLLABLES[0], PHRASE_SYLLABLES[1] + 1))
            ioi = rng.gamma(20.0, 1.0 / (20.0 * rate), k)
            on = t + np.concatenate([[0.0], np.cumsum(ioi[:-1])])
            g = (1.0 - 0.4 * np.arange(k) / (k - 1)) * rng.uniform(0.7, 1.0, k)
            times.extend(on.tolist())
            gains.extend(g.tolist())
            t = float(on[-1] + ioi[-1] + rng.uniform(*PHRASE_PAUSE_S))
        t += rng.uniform(*LISTEN_S)
    return np.array(times), np.array(gains)


ROOM_RATE = 12000.0  # Hz, the room's reverberation is made at >= this rate


def _room_factor(sr: int) -> int:
    return max(1, int(sr // ROOM_RATE))


@lru_cache(maxsize=4)
def _low_bank(sr: int, q: int) -> tuple[tuple[np.ndarray, ...], ...]:
    """:func:`_syllable_bank` at sr / q (what feeds the room)."""
    if q == 1:
        return _syllable_bank(sr)
    return tuple(tuple(scipy.signal.resample_poly(g, 1, q) for g in voice)
                 for voice in _syllable_bank(sr))


def _room_ir(rng: Rng, sr: int, rt60: float) -> np.ndarray:
    """A diffuse reverberation tail (2, m): decaying noise (60 dB in ``rt60``), its
    highs decaying faster (low-passed at 5 kHz), a 10 ms onset gap, unit energy."""
    m = int(rt60 * sr)
    t = np.arange(m) / sr
    ir = rng.standard_normal((2, m)) * np.exp(-6.9 * t / rt60)
    ir = _dsp.filt(ir, "lowpass", 5000.0, sr)
    ir[:, : int(0.01 * sr)] *= np.linspace(0.0, 1.0, int(0.01 * sr))
    return ir / np.sqrt(np.sum(ir**2, axis=1, keepdims=True))


def speech_gain(f: np.ndarray) -> np.ndarray:
    """Amplitude spectrum of speech-shaped noise: the long-term average speech spectrum
    (Byrne et al. 1994), flat up to 500 Hz in 1/3-octave levels and falling about
    5 dB per octave above (about -10 dB at 2 kHz, -15 dB at 4 kHz re 500 Hz), with
    little below 100 Hz. As a density (per Hz), one octave band is f wide: -3 dB/oct
    more."""
    f = np.maximum(np.asarray(f, dtype=float), 1.0)
    band = 1.0 / np.sqrt(1.0 + (f / 500.0) ** (5.0 / 3.0))  # -5 dB/oct in band levels
    low = (f / 120.0) ** 2 / (1.0 + (f / 120.0) ** 2)
    return band * low / np.sqrt(f / 500.0)


def murmur(p: dict[str, float | str], n: int, sr: int, rng: Rng) -> np.ndarray:
    """A cafe's murmur (2, n): ``crowd`` 0 (two tables) .. 1 (a packed room).

    Talkers: the NEAR_TALKERS nearest at 1.5-4 m, the rest at 4-14 m; each has a
    voice (its syllable set), a place in the image and a distance. Their direct
    sound (~1/d) is panned; every talker also feeds the room (REVERB_SEND), so the far
    ones are mostly reverberant blur. A far wash of speech-shaped noise (the rest of
    the room) rises with ``crowd``.
    """
    crowd = float(p["crowd"])
    r_talk, r_room, r_wash = rng.spawn(3)
    bank = _syllable_bank(sr)
    q = _room_factor(sr)
    low = _low_bank(sr, q)
    count = int(round(TALKERS[0] + (TALKERS[1] - TALKERS[0]) * crowd))
    pre = q * (int(REVERB_RT60[1] * sr) // q + 1)  # pre-roll: the room already rings
    total = n + pre
    direct = np.zeros((2, total))
    room = np.zeros(total // q + 1)
    for k in range(count):
        d = r_talk.uniform(1.5, 4.0) if k < NEAR_TALKERS else r_talk.uniform(4.0, 14.0)
        v = int(r_talk.integers(0, len(bank)))
        on, g = _talker_onsets(r_talk, 0.0, total / sr)
        offs = (on * sr).astype(int)
        which = r_talk.integers(0, len(bank[v]), len(offs))
        gl, gr = _dsp.pan_minus3db_centre(r_talk.uniform(-0.8, 0.8))
        _dsp.scatter_stereo(direct, list(bank[v]), which, offs, g * (gl / d), g * (gr / d))
        _dsp.add_grains(room, list(low[v]), which, offs // q, g * REVERB_SEND)
    # the room's tail is dark (low-passed at 5 kHz): it rings at sr / q, one forward
    # transform for both ears' responses, and is brought back up to sr
    rate_r = sr // q
    ir = _room_ir(r_room, rate_r, r_room.uniform(*REVERB_RT60))
    size = scipy.fft.next_fast_len(len(room) + ir.shape[1])
    spec = scipy.fft.rfft(room, size)
    wet_low = scipy.fft.irfft(scipy.fft.rfft(ir, size, axis=1) * spec[None, :], size,
                              axis=1)[:, :len(room)]
    wet = scipy.signal.resample_poly(wet_low, q, 1, axis=1) if q > 1 else wet_low
    wet = wet[:, :total]
    if wet.shape[1] < total:
        wet = np.pad(wet, ((0, 0), (0, total - wet.shape[1])))
    out = (direct + wet)[:, pre:]
    f = _dsp.rfft_freqs(n, sr)
    wash = _dsp.spectral_noise(r_wash, n, speech_gain(f), channels=2)
    m, rate_c = _dsp.control_points(n), _dsp.control_rate(sr)
    wash *= _dsp.expand(np.exp(0.25 * _dsp.smooth_noise(r_wash, m, rate_c, 3.0)), n)
    level = np.sqrt(np.mean(out**2)) + 1e-12
    out += wash * level * (MURMUR_WASH[0] + (MURMUR_WASH[1] - MURMUR_WASH[0]) * crowd)
    out = _dsp.filt(out, "highpass", 70.0, sr)
    return _bounded(out, sr)


# --- cutlery --------------------------------------------------------------------


class Body(NamedTuple):
    """A struck object: its lowest partial's range and its modal ratios."""

    f1: tuple[float, float]  # Hz
    ratios: tuple[float, ...]
    decay: tuple[float, float]  # s, 1/e decay of the lowest partial (x 2.3: -20 dB)


BODIES: dict[str, Body] = {
    # a china cup: ring (n, 0) modes of a thin shell, n = 2..5
    "cup": Body((1100.0, 2200.0), (1.0, 2.70, 5.17, 8.37), (0.04, 0.17)),
    # a teaspoon: free-free bar (Euler-Bernoulli)
    "spoon": Body((1400.0, 2600.0), (1.0, 2.756, 5.404, 8.933), (0.022, 0.07)),
    # a saucer: a shallow plate
    "saucer": Body((900.0, 1600.0), (1.0, 1.73, 2.33, 3.01, 4.2), (0.05, 0.17)),
}
CONTACT_PAIRS = (("spoon", "cup"), ("cup", "saucer"), ("spoon", "saucer"), ("cup", "cup"))


def _strike(rng: Rng, sr: int, n: int, body: Body, force: float) -> np.ndarray:
    """One body struck (n,): damped partials at f1 x ratios (mistuned 2 %) up to
    8 kHz, each with a random strength, higher ones decaying faster (tau ~ 1/sqrt(f))."""
    f1 = rng.uniform(*body.f1)
    tau1 = rng.uniform(*body.decay)
    t = np.arange(n) / sr
    out = np.zeros(n)
    for r in body.ratios:
        f = f1 * r * rng.uniform(0.98, 1.02)
        if f > min(8500.0, 0.45 * sr):
            continue
        tau = tau1 / np.sqrt(r)
        amp = force * rng.uniform(0.3, 1.0) / r**0.3
        out += amp * np.sin(2 * np.pi * f * t + rng.uniform(0, 2 * np.pi)) * np.exp(-t / tau)
    return out


def cutlery(p: dict[str, float | str], max_n: int, sr: int, rng: Rng) -> np.ndarray:
    """One to three clinks (2, m) of china and metal: each contact strikes two bodies
    (a spoon on a cup, a cup on its saucer) with a 0.3 ms noise tick; later contacts
    (a bounce, a stir) follow 40-300 ms apart, softer. The event lasts until the
    slowest partial has decayed by 50 dB (6 x its 1/e time after the last contact),
    its last 30 % faded by a half cosine so the end is a decay, not a cut."""
    contacts = int(rng.integers(1, 4))
    gaps = (rng.uniform(0.04, 0.3, contacts) * sr).astype(int)
    starts = np.concatenate([[0], np.cumsum(gaps[:-1])])
    pair = CONTACT_PAIRS[int(rng.integers(0, len(CONTACT_PAIRS)))]
    slowest = max(BODIES[b].decay[1] for b in pair)
    n = min(max_n, int(starts[-1] + 6.0 * slowest * sr))
    x = np.zeros(n)
    for c, at in enumerate(starts.tolist()):
        force = 1.0 if c == 0 else rng.uniform(0.3, 0.8)
        m = n - at
        if m <= int(0.05 * sr):
            break
        ring = np.sum([_strike(rng, sr, m, BODIES[b], force * (1.0 if i == 0 else 0.6))
                       for i, b in enumerate(pair)], axis=0)
        tick_n = int(0.003 * sr)
        tick = (rng.standard_normal(tick_n) * _dsp.exp_decay(tick_n, sr, 0.0003)
                * force * 0.5)
        ring[:tick_n] += _dsp.filt(tick, "highpass", 2000.0, sr)
        x[at:] += ring * _dsp.soft_onset(m, sr, 0.0003)
    fade = int(0.3 * n)
    x[n - fade:] *= 0.5 + 0.5 * np.cos(np.pi * np.arange(fade) / fade)
    return _dsp.stereo_spread(x, rng, sr, width=0.3, diffuse_s=0.015)


# --- room tone ------------------------------------------------------------------

RC_SLOPE_DB_OCT = -5.0  # RC 'neutral' room spectrum: octave band levels fall 5 dB/oct
MAINS_HZ = (50.0, 60.0)


def room_tone(p: dict[str, float | str], n: int, sr: int, rng: Rng) -> np.ndarray:
    """A quiet room (2, n): ventilation noise falling RC_SLOPE_DB_OCT per octave band (a
    low-frequency tilt: the fans' and ducts' rumble), almost steady (+-0.5 dB over 5-20 s), and
    with ``hum`` > 0 faint mains harmonics (50 or 60 Hz; 100/120 Hz strongest) and a
    fan's blade-pass tone wobbling slightly."""
    hum = float(p["hum"])
    r_air, r_hum = rng.spawn(2)
    f = _dsp.rfft_freqs(n, sr)
    # octave band levels falling RC_SLOPE_DB_OCT: a density falling 3 dB/oct more
    gain = _dsp.pink_gain(f, (3.0103 - RC_SLOPE_DB_OCT) / 3.0103, floor_hz=50.0)
    gain *= _dsp.butter_gain("highpass", 25.0, sr, 2, f)
    gain *= _dsp.butter_gain("lowpass", 9000.0, sr, 2, f)
    air = _dsp.spectral_noise(r_air, n, gain, channels=2)
    m, rate_c = _dsp.control_points(n), _dsp.control_rate(sr)
    air *= _dsp.expand(np.exp(0.06 * _dsp.smooth_noise(r_air, m, rate_c, 0.1)), n)
    t = np.arange(n) / sr
    mains = MAINS_HZ[int(r_hum.integers(0, 2))]
    tone = np.zeros(n)
    for h, a in ((1, 0.4), (2, 1.0), (3, 0.3), (4, 0.25), (6, 0.1)):
        tone += a * np.sin(2 * np.pi * mains * h * t + r_hum.uniform(0, 2 * np.pi))
    fan = r_hum.uniform(90.0, 160.0)
    wob = _dsp.expand(0.004 * _dsp.smooth_noise(r_hum, m, rate_c, 0.3), n)
    fan_phase = 2 * np.pi * fan * np.cumsum(1.0 + wob) / sr
    tone += 0.5 * np.sin(fan_phase) + 0.15 * np.sin(2 * fan_phase + 1.0)
    tone = _norm(tone) * (0.02 + 0.5 * hum)
    gl, gr = _dsp.pan_minus3db_centre(r_hum.uniform(-0.3, 0.3))
    out = air + np.stack([gl * tone, gr * tone]) * np.sqrt(2.0)
    return _bounded(out, sr)


# --- traffic --------------------------------------------------------------------

# EN 1793-3 normalised road traffic noise spectrum: A-weighted 1/3-octave levels
# (dB re total) from 100 Hz to 5 kHz, here unweighted (+ the A-weighting removed)
EN1793_HZ = np.array([100, 125, 160, 200, 250, 315, 400, 500, 630, 800, 1000, 1250, 1600,
                      2000, 2500, 3150, 4000, 5000], dtype=float)
EN1793_DBA = np.array([-20, -20, -18, -16, -15, -14, -13, -12, -11, -9, -8, -9, -10, -11,
                       -13, -15, -16, -18], dtype=float)
A_WEIGHT_DB = np.array([-19.1, -16.1, -13.4, -10.9, -8.6, -6.6, -4.8, -3.2, -1.9, -0.8, 0.0,
                        0.6, 1.0, 1.2, 1.3, 1.2, 1.0, 0.5])
CAR_SPEED_KMH = (30.0, 60.0)
PASS_BY_S = (3.0, 8.0)  # s, a pass-by's -10 dB duration: 6 x closest distance / speed
# (1/r is 10 dB down at x = +-3 d), so a car's closest distance is drawn from it
MIN_CLOSEST_M = 4.0  # m, the nearest lane
ENGINE_FIRING_HZ = (28.0, 55.0)  # Hz, 4 cylinders at 850-1650 rpm
ENGINE_HARMONICS = 7  # up to ~200-380 Hz
ENGINE_RATE = 1500.0  # Hz, the engines (< 450 Hz) are made at >= this and resampled
CAR_SPAN_S = 8.0  # s either side of a car's closest approach that are rendered (-20 dB)
TYRE_BAND = (550.0, 1300.0)  # Hz: tyre/road noise peaks at 800-1250 Hz (Sandberg &
# Ejsmont 2002), 2nd order either side: its skirts reach 0.3-3 kHz


def traffic_gain(f: np.ndarray) -> np.ndarray:
    """Amplitude spectral density of the EN 1793-3 traffic spectrum (unweighted),
    interpolated in log frequency, falling 12 dB/oct past its ends."""
    band_db = EN1793_DBA - A_WEIGHT_DB
    lf = np.log2(np.maximum(np.asarray(f, dtype=float), 1.0))
    db = np.interp(lf, np.log2(EN1793_HZ), band_db)
    db -= 12.0 * np.maximum(0.0, np.log2(EN1793_HZ[0]) - lf)
    db -= 12.0 * np.maximum(0.0, lf - np.log2(EN1793_HZ[-1]))
    density = 10 ** (db / 20.0) / np.sqrt(np.maximum(f, 1.0))  # 1/3-oct bands are ~f wide
    return np.asarray(density)


def pass_by(rng: Rng, n: int, rate: float, t0: float, speed: float, closest: float,
            firing: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One car passing at ``speed`` m/s, closest (``closest`` m) at ``t0`` s: (engine
    (n,) at ``rate`` Hz, 1/r gain (n,), lateral position x / r (n,)) at the listener.

    The car at time tau is at x = speed (tau - t0); its sound arrives at tau + r / c.
    The received engine is the emitted one (firing harmonics with a slight rpm
    wander) read at the emission time, so its pitch is shifted by the Doppler factor
    c / (c - v_r) exactly: up while it comes, down as it goes.
    """
    t = np.arange(n) / rate
    # emission time tau(t): t = tau + r(tau) / c, solved on a tau grid and inverted
    tau_grid = np.linspace(t[0] - 1.0, t[-1], n + int(rate))
    r_grid = np.hypot(closest, speed * (tau_grid - t0))
    arrive = tau_grid + r_grid / SPEED_OF_SOUND
    tau = np.interp(t, arrive, tau_grid)
    r = np.hypot(closest, speed * (tau - t0))
    # the engine's own clock read at the emission time (its rpm wanders 1 % at 0.2-0.5 Hz)
    wf = rng.uniform(0.2, 0.5)
    phase_tau = 2 * np.pi * firing * (tau + 0.01 / (2 * np.pi * wf)
                                      * np.sin(2 * np.pi * wf * tau + rng.uniform(0, 6.3)))
    eng = np.zeros(n)
    for h in range(1, ENGINE_HARMONICS + 1):
        amp = rng.uniform(0.4, 1.0) / h**0.7
        eng += amp * np.cos(h * phase_tau + rng.uniform(0, 2 * np.pi))
    return eng, 1.0 / r, speed * (tau - t0) / r


def traffic(p: dict[str, float | str], n: int, sr: int, rng: Rng) -> np.ndarray:
    """City traffic (2, n): a far rumble (EN 1793-3 spectrum, slowly swelling) and
    ``density`` cars a minute passing (Poisson), each its engine (with Doppler) made
    at ENGINE_RATE and its tyre noise (TYRE_BAND, rising with speed) following its
    1/r gain and moving across the image."""
    density = float(p["density"])
    r_far, r_car = rng.spawn(2)
    f = _dsp.rfft_freqs(n, sr)
    far = _dsp.spectral_noise(r_far, n, traffic_gain(f), channels=2)
    m, rate_c = _dsp.control_points(n), _dsp.control_rate(sr)
    far *= _dsp.expand(np.exp(0.2 * _dsp.smooth_noise(r_far, m, rate_c, 0.15)), n)
    q = max(1, int(sr // ENGINE_RATE))
    lo_rate = sr / q
    lo_n = -(-n // q)
    span = CAR_SPAN_S
    k = int(r_car.poisson(density / 60.0 * (n / sr + 2 * span)))
    t0s = r_car.uniform(-span, n / sr + span, k)
    eng = np.zeros((2, lo_n))
    tyre_env = np.zeros((2, m))
    tc = np.arange(m) / rate_c
    for t0 in t0s.tolist():
        speed = r_car.uniform(*CAR_SPEED_KMH) / 3.6
        closest = max(MIN_CLOSEST_M, speed * r_car.uniform(*PASS_BY_S) / 6.0)
        side = 1.0 if r_car.random() < 0.5 else -1.0
        a = max(0, int((t0 - span) * lo_rate))
        b = min(lo_n, int((t0 + span) * lo_rate))
        if b - a < 16:
            continue
        e, g, x = pass_by(r_car, b - a, lo_rate, t0 - a / lo_rate, speed, closest,
                          r_car.uniform(*ENGINE_FIRING_HZ))
        # the window's edges are faded over 1 s (the car is 8 s away: 20 dB down or more)
        w = np.minimum(1.0, np.minimum(np.arange(b - a), np.arange(b - a)[::-1]) / lo_rate)
        gl, gr = _dsp.pan_minus3db_centre(side * x * 0.8)
        eng[0, a:b] += e * g * gl * w
        eng[1, a:b] += e * g * gr * w
        # tyres: louder than the engine above 40 km/h (Sandberg & Ejsmont 2002)
        tg = np.interp(tc, a / lo_rate + np.arange(b - a) / lo_rate, g * w, left=0.0, right=0.0)
        tx = np.interp(tc, a / lo_rate + np.arange(b - a) / lo_rate, x, left=0.0, right=0.0)
        tl, tr = _dsp.pan_minus3db_centre(side * tx * 0.8)
        level = 2.5 * (speed / 14.0) ** 2
        tyre_env[0] += level * tg * tl
        tyre_env[1] += level * tg * tr
    engines = scipy.signal.resample_poly(eng, q, 1, axis=1)[:, :n] if q > 1 else eng[:, :n]
    tyre_noise = _dsp.spectral_noise(r_car, n, _dsp.butter_gain("bandpass", TYRE_BAND, sr, 2, f))
    tyres = tyre_noise[None, :] * np.stack([_dsp.expand(tyre_env[c], n) for c in range(2)])
    # the far rumble's level: a car at 15 m
    # the far rumble: as loud as a car at 15 m at 12 cars a minute, rising with density
    out = far * (1.6 / 15.0) * np.sqrt(density / 12.0) + engines * 0.7 + tyres
    # a near car may still swell 10 dB over the rest: take 40 % of the slow level's
    # deviation away, so segments crossfade without pumping and the pass-by is kept
    out = _dsp.steady_level(out, sr, 1.0, 0.4, block=256)
    return _bounded(out, sr)


# --- train ----------------------------------------------------------------------

RAIL_LENGTH_M = 20.0  # m between rail joints (jointed track: 18.3-25 m)
AXLE_SPACING_M = 2.5  # m between the two axles of a bogie
BOGIE_SPACING_M = 17.5  # m between the bogie centres of a carriage
FAR_BOGIE = 0.35  # the far bogie's clicks re the near one's


def _wheel_click(rng: Rng, sr: int) -> np.ndarray:
    """A wheel striking a rail joint as heard inside (mono, unit peak): a short strike
    on the car body's low modes (70-400 Hz, 20-60 ms) and a duller knock (0.6-1.6 kHz)
    through the floor."""
    n = int(0.2 * sr)
    burst = rng.standard_normal(n) * _dsp.exp_decay(n, sr, 0.0015) * _dsp.soft_onset(n, sr, 0.001)
    body = np.sum([_dsp.resonator(burst, rng.uniform(lo, hi), rng.uniform(0.02, 0.06), sr) * w
                   for lo, hi, w in ((70.0, 110.0, 1.0), (150.0, 230.0, 0.7), (300.0, 420.0, 0.4))],
                  axis=0)
    knock = _dsp.filt(burst, "bandpass", (600.0, 1600.0), sr)
    g = _norm(body) + 0.5 * _norm(knock)
    fade = int(0.05 * sr)
    g[-fade:] *= np.linspace(1.0, 0.0, fade)
    return g / (np.max(np.abs(g)) + 1e-12)


def _rail_cycle(p: Mapping[str, object]) -> float:
    """Seconds between rail joints at the train's speed."""
    speed = p["speed"]
    assert isinstance(speed, (int, float))
    return RAIL_LENGTH_M / (speed / 3.6)


def train(p: dict[str, float | str], n: int, sr: int, rng: Rng) -> np.ndarray:
    """A train interior (2, n) at ``speed`` km/h: the rumble (20-200 Hz, rising with
    speed), the wheel-rail clicks (each joint under the near bogie: two clicks
    AXLE_SPACING_M / v apart, then the far bogie's, quieter, BOGIE_SPACING_M / v
    later), the pattern repeating every RAIL_LENGTH_M / v, and a faint rattle."""
    v = float(p["speed"]) / 3.6
    r_rum, r_clk, r_rat = rng.spawn(3)
    f = _dsp.rfft_freqs(n, sr)
    rumble_g = (_dsp.pink_gain(f, 1.6, floor_hz=20.0) * _dsp.butter_gain("bandpass", (22.0, 200.0),
                                                                        sr, 2, f))
    hiss_g = _dsp.butter_gain("bandpass", (400.0, 2500.0), sr, 1, f)
    rumble = _dsp.spectral_noise(r_rum, n, rumble_g, channels=2)
    hiss = _dsp.spectral_noise(r_rum, n, hiss_g, channels=2)
    m, rate_c = _dsp.control_points(n), _dsp.control_rate(sr)
    rumble *= _dsp.expand(np.exp(0.15 * _dsp.smooth_noise(r_rum, m, rate_c, 0.5)), n)
    # joints: every rail length (laid within +-0.2 m), struck by four axles
    period = RAIL_LENGTH_M / v
    start = -BOGIE_SPACING_M / v - 1.0
    # every segment at the same phase of the joint cycle: the bed joins its plays on
    # the cycle (Recipe.period), so the rhythm never jumps at a join
    joints = np.arange(start, n / sr + period, period)
    r_clk.uniform(0, period)  # the phase it once drew: kept, so the later draws stay put
    joints += r_clk.normal(0.0, 0.2 / v, len(joints))
    offs = np.array([0.0, AXLE_SPACING_M, BOGIE_SPACING_M, BOGIE_SPACING_M + AXLE_SPACING_M]) / v
    amps = np.array([1.0, 0.85, FAR_BOGIE, FAR_BOGIE * 0.85])
    times = (joints[:, None] + offs[None, :]).ravel()
    gains = (np.tile(amps, len(joints)) * r_clk.uniform(0.75, 1.0, len(times)))
    bank = [_wheel_click(r_clk, sr) for _ in range(8)]
    clicks = np.zeros((2, n))
    pan = np.tile([0.2, 0.2, -0.25, -0.25], len(joints))
    gl, gr = _dsp.pan_minus3db_centre(pan)
    _dsp.scatter_stereo(clicks, bank, r_clk.integers(0, len(bank), len(times)),
                        (times * sr).astype(int), gains * gl, gains * gr)
    # rattle: fittings knocking, sparse ticks at 1-4 kHz
    k = int(r_rat.poisson(6.0 * n / sr))
    tick_n = int(0.01 * sr)
    tb = [_dsp.filt(r_rat.standard_normal(tick_n) * _dsp.exp_decay(tick_n, sr, 0.001)
                    * _dsp.soft_onset(tick_n, sr, 0.0005), "bandpass", (1000.0, 4000.0), sr)
          for _ in range(6)]
    rat = np.zeros((2, n))
    amp = 10 ** (-r_rat.uniform(0, 20, k) / 20.0)
    tl, tr = _dsp.pan_minus3db_centre(r_rat.uniform(-0.8, 0.8, k))
    _dsp.scatter_stereo(rat, tb, r_rat.integers(0, len(tb), k), r_rat.integers(0, n, k),
                        amp * tl, amp * tr)
    speed_k = v / 27.8
    out = (rumble * 1.0 + hiss * 0.06 * speed_k + clicks * (0.9 / np.sqrt(np.mean(clicks**2)
                                                                         + 1e-12)) * 0.35
           + _norm(rat) * 0.02)
    out = _dsp.filt(out, "highpass", 18.0, sr)
    return _bounded(out, sr)


# --- cabin ----------------------------------------------------------------------


def cabin(p: dict[str, float | str], n: int, sr: int, rng: Rng) -> np.ndarray:
    """An airliner cabin in cruise (2, n): boundary-layer noise with a broad hump at
    200-500 Hz (a resonance-free band-pass of 100-1000 Hz on a gentle tilt), falling
    about 6 dB/oct above 1 kHz more; a slow drift of +-1 dB over 10-30 s; two
    engines' shaft tonals (60-90 Hz and harmonics) about 1 Hz apart, beating faintly."""
    r_air, r_eng = rng.spawn(2)
    f = _dsp.rfft_freqs(n, sr)
    gain = (_dsp.butter_gain("bandpass", (90.0, 600.0), sr, 1, f)
            * _dsp.butter_gain("lowpass", 1500.0, sr, 1, f)
            * _dsp.butter_gain("highpass", 30.0, sr, 2, f)) + 0.12 * _dsp.pink_gain(f, 1.0, 200.0) \
        * _dsp.butter_gain("highpass", 60.0, sr, 2, f) * (200.0 ** 0.5)
    air = _dsp.spectral_noise(r_air, n, gain, channels=2)
    m, rate_c = _dsp.control_points(n), _dsp.control_rate(sr)
    air *= _dsp.expand(np.exp(0.1 * _dsp.smooth_noise(r_air, m, rate_c, 0.05)), n)
    t = np.arange(n) / sr
    shaft = r_eng.uniform(60.0, 90.0)
    tone = np.zeros((2, n))
    for c, detune in enumerate((0.0, r_eng.uniform(0.5, 1.5))):
        for h, a in ((1, 1.0), (2, 0.5), (3, 0.3)):
            tone[c] += a * np.sin(2 * np.pi * (shaft + detune) * h * t + r_eng.uniform(0, 6.3))
    mix = 0.6 * tone + 0.4 * tone[::-1]
    out = air + _norm(mix) * 0.12
    return _bounded(out, sr)


# --- tent-rain ------------------------------------------------------------------


class Skin(NamedTuple):
    """A surface the drops drum on."""

    f1: tuple[float, float]  # Hz, range of its lowest mode (varies over the surface)
    ratios: tuple[float, ...]
    decay: tuple[float, float]  # s, 1/e decay of the lowest mode
    tick: tuple[float, float]  # Hz, band of the impact tick
    wash: tuple[float, float]  # Hz, band of the unresolved drops
    drops_per_s: tuple[float, float]  # at intensity 0 and 1


SKINS: dict[str, Skin] = {
    # a tent fly: a taut nylon membrane, heavily damped (circular membrane modes)
    "tent": Skin((100.0, 400.0), (1.0, 1.59, 2.14, 2.30, 2.65, 2.92), (0.012, 0.035),
                 (1500.0, 6000.0), (120.0, 3000.0), (25.0, 400.0)),
    # a car roof: a steel panel, less damped (plate modes)
    "car": Skin((300.0, 1500.0), (1.0, 1.58, 2.45, 2.96, 3.6), (0.02, 0.07),
                (2000.0, 8000.0), (250.0, 5000.0), (25.0, 400.0)),
}
SKIN_GRAINS = 48


@lru_cache(maxsize=8)
def _skin_bank(surface: str, sr: int) -> tuple[np.ndarray, ...]:
    """SKIN_GRAINS drop impacts on ``surface`` (mono float32, unit peak), each a tick
    and the modes a drop at a random spot excites (random strengths)."""
    skin = SKINS[surface]
    rng = np.random.default_rng(np.random.SeedSequence([0x74656E74, sr, len(surface)]))
    out = []
    for _ in range(SKIN_GRAINS):
        tau1 = rng.uniform(*skin.decay)
        n = int(6 * tau1 * sr) + int(0.004 * sr)
        t = np.arange(n) / sr
        f1 = np.exp(rng.uniform(np.log(skin.f1[0]), np.log(skin.f1[1])))
        g = np.zeros(n)
        for r in skin.ratios:
            f = f1 * r * rng.uniform(0.97, 1.03)
            if f > 0.45 * sr:
                continue
            g += rng.uniform(0.2, 1.0) * np.sin(2 * np.pi * f * t) * np.exp(-t * np.sqrt(r) / tau1)
        tick_n = int(0.004 * sr)
        tick = rng.standard_normal(tick_n) * _dsp.exp_decay(tick_n, sr, 0.0004)
        g = _norm(g)
        tk = _dsp.filt(tick, "bandpass", skin.tick, sr, 2)
        g[:tick_n] += 1.5 * tk / (np.max(np.abs(tk)) + 1e-12)
        g *= _dsp.soft_onset(n, sr, 0.0003)
        fade = n // 4
        g[n - fade:] *= np.linspace(1.0, 0.0, fade)
        out.append((g / (np.max(np.abs(g)) + 1e-12)).astype(np.float32))
    return tuple(out)


def tent_rain(p: dict[str, float | str], n: int, sr: int, rng: Rng) -> np.ndarray:
    """Rain on a tent fly or a car roof (2, n): drops (``intensity`` sets the rate,
    25-400 per second, and their sizes, Marshall-Palmer) drumming on the surface's
    modes, levels ~ drop mass (d^3 spread over 30 dB), over the wash of the unresolved
    smaller drops filtered by the surface."""
    intensity = float(p["intensity"])
    skin = SKINS[str(p["surface"])]
    r_drop, r_wash = rng.spawn(2)
    bank = _skin_bank(str(p["surface"]), sr)
    rate = skin.drops_per_s[0] + (skin.drops_per_s[1] - skin.drops_per_s[0]) * intensity
    k = int(r_drop.poisson(rate * n / sr))
    rain_mm_h = 0.5 * 100.0 ** intensity
    lam = 4.1 * rain_mm_h**-0.21
    diam = np.minimum(0.3 + r_drop.exponential(1.0 / lam, k), 5.5)
    amp = (diam / 5.5) ** 1.5
    amp = np.maximum(amp, 10 ** (-30 / 20))
    gl, gr = _dsp.pan_minus3db_centre(r_drop.uniform(-0.85, 0.85, k))
    drops = np.zeros((2, n))
    offsets = r_drop.integers(-int(0.2 * sr), n, k)
    _dsp.scatter_stereo(drops, list(bank), r_drop.integers(0, len(bank), k), offsets,
                        amp * gl, amp * gr)
    f = _dsp.rfft_freqs(n, sr)
    wash_g = (_dsp.pink_gain(f, 0.8) * _dsp.butter_gain("bandpass", skin.wash, sr, 2, f))
    wash = _dsp.spectral_noise(r_wash, n, wash_g, channels=2)
    m, rate_c = _dsp.control_points(n), _dsp.control_rate(sr)
    wash *= _dsp.expand(np.exp(0.15 * _dsp.smooth_noise(r_wash, m, rate_c, 0.3)), n)
    d_rms = np.sqrt(np.mean(drops**2)) + 1e-12
    out = drops / d_rms + wash * (0.35 + 0.6 * intensity)
    return _bounded(out, sr)


RECIPES: list[Recipe] = [
    make("murmur", "bed", {
        "crowd": _unit(0.5, "0 a few tables (5 talkers) .. 1 a packed room (40)"),
    }, "A cafe's crowd murmur: unintelligible talkers (glottal pulses through vowel "
       "formants, 4-5 syllables/s, phrases and pauses) at 1.5-14 m in a reverberant "
       "room.", murmur, reuse=6),
    make("room-tone", "bed", {
        "hum": _unit(0.2, "0 air only .. 1 an audible mains and fan hum"),
    }, "A quiet library or office: ventilation noise (RC neutral, -5 dB/oct), "
       "faint 50/60 Hz harmonics and a fan tone.", room_tone),
    make("traffic", "bed", {
        "density": ParamSpec(12.0, 1.0, 60.0, doc="cars passing per minute"),
    }, "City traffic: a far rumble (EN 1793-3 spectrum) and cars passing with Doppler "
       "(engine harmonics 30-380 Hz, tyre noise 0.3-3 kHz, peak ~1 kHz).", traffic, reuse=4),
    make("train", "bed", {
        "speed": ParamSpec(100.0, 40.0, 160.0, doc="km/h: the clickety-clack comes every "
                                                   "20 m of rail"),
    }, "A train interior: a 20-200 Hz rumble, wheel-rail clicks in bogie pairs at each "
       "rail joint, a faint rattle.", train, reuse=1, period=_rail_cycle),
    make("cabin", "bed", {}, "An airliner cabin: broadband noise with a 200-500 Hz hump, "
                             "slow drift, faint beating engine tonals.", cabin),
    make("tent-rain", "bed", {
        "intensity": _unit(0.5, "0 drizzle .. 1 downpour (drop rate and size)"),
        "surface": ParamSpec("tent", choices=tuple(SKINS), doc="tent: a drumming fly "
                             "(100-400 Hz); car: a steel roof ringing (300-1500 Hz)"),
    }, "Rain drumming on a tent fly or a car roof: modal drop impacts over a wash.",
         tent_rain),
    make("cutlery", "event", {}, "Cups, saucers and spoons clinking: one to three "
                                 "contacts of china and metal (modal partials 1-8 kHz).",
         cutlery),
]
