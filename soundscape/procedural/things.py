"""Things: a clock, keyboard typing, pages, wind chimes, a singing bowl,
a fan or air-conditioner hum, a purring cat.

Struck and resonant things are modal models (Farnell, *Designing Sound*, ch. on
modal synthesis and the clock, bells and keys): a sum of exponentially decaying
sinusoids at the object's mode frequencies, excited by a strike with a rounded
~1 ms onset. Air and friction noises are shaped noise. Each recipe's docstring
names the figures it follows.

What makes an object *that* object (a clock's tick and tock, a keyboard's keys, a
fan's blade count) is drawn from a generator seeded by the recipe's params only
(:func:`_identity`), never by the segment seed: a bed's segments are renewed with
new seeds while it plays, and the same clock must keep ticking with the same voice.
The seed draws what changes from moment to moment (timing, which key, small
variations of each strike).

Each recipe is registered in :data:`RECIPES` (collected by
:mod:`soundscape.procedural`).
"""

from __future__ import annotations

import zlib
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import scipy.fft
import scipy.ndimage
import scipy.signal

from soundscape.procedural import _dsp
from soundscape.procedural._spec import ParamSpec, Recipe, make

Params = dict[str, float | str]
Rng = np.random.Generator

# --- shared building blocks ---------------------------------------------------------

DECAY_TO_70DB = 8.06  # time constants for an exponential to fall 70 dB (ln(10**3.5))
STRIKE_RISE_S = 0.001  # s, the rounded onset of a struck thing (a tick, a key)
FLOOR_HIGHPASS_HZ = 60.0  # the quiet room floor under the sparse beds


def _identity(name: str, *parts: float | str) -> Rng:
    """A generator seeded by ``name`` and the params that define the object, never by
    the segment seed: every segment of one clock has the same tick."""
    key = "|".join([name, *(f"{p:.4f}" if isinstance(p, float) else str(p) for p in parts)])
    return np.random.default_rng(zlib.crc32(key.encode()))


MODE_BLOCK = 1024  # frames per row of the modal synthesis product


def _modes(freqs: np.ndarray, taus: np.ndarray, amps: np.ndarray, n: int, sr: int,
           phases: np.ndarray | None = None) -> np.ndarray:
    """Sum (n,) of decaying sinusoids a exp(-t / tau) sin(2 pi f t + phase); modes at
    or above 0.45 sr are dropped.

    Each mode is the imaginary part of c z**t with z = exp((-1 / tau + 2 pi i f) / sr).
    Writing t = MODE_BLOCK j + b, z**t = z**(MODE_BLOCK j) z**b: each mode is an outer
    product of its block steps and one block, two float32 multiply-adds per frame
    instead of an exp and a sin (several times faster for a bowl's ten modes). Plain
    broadcast products, not a matrix product: BLAS threads spin on a busy machine.
    """
    f = np.asarray(freqs, dtype=np.float64)
    a = np.where(f < 0.45 * sr, np.asarray(amps, dtype=np.float64), 0.0)
    ph = np.zeros(len(f)) if phases is None else np.asarray(phases, dtype=np.float64)
    if n == 0 or not a.any():
        return np.zeros(n)
    s = (-1.0 / np.asarray(taus, dtype=np.float64) + 2j * np.pi * f) / sr
    blocks = -(-n // MODE_BLOCK)
    base = np.exp(s[:, None] * np.arange(MODE_BLOCK)[None, :]).astype(np.complex64)
    steps = ((a * np.exp(1j * ph))[:, None] * np.exp(
        s[:, None] * (MODE_BLOCK * np.arange(blocks))[None, :])).astype(np.complex64)
    out = np.zeros((blocks, MODE_BLOCK), dtype=np.float32)
    tmp = np.empty_like(out)
    for k in np.flatnonzero(a):
        # a mode that has decayed 70 dB adds nothing: stop at that block
        live = min(blocks, int(DECAY_TO_70DB * float(taus[k]) * sr / MODE_BLOCK) + 1)
        o, t = out[:live], tmp[:live]
        np.multiply.outer(steps[k, :live].real, base[k].imag, out=t)
        o += t
        np.multiply.outer(steps[k, :live].imag, base[k].real, out=t)
        o += t
    return out.reshape(-1)[:n].astype(np.float64)


def _rise(n: int, sr: int, rise_s: float = STRIKE_RISE_S) -> np.ndarray:
    """Raised-cosine onset gain (n,): a strike that takes ``rise_s`` to reach full
    force (a pallet meeting a tooth, a finger pressing a key), not a step."""
    return _dsp.soft_onset(n, sr, rise_s)


def _room_ir(rng: Rng, sr: int, rt60_s: float, wet: float) -> np.ndarray:
    """A small room's stereo impulse response (2, m): the direct sound (a unit impulse
    in both channels) plus independent exponentially decaying noise tails (RT60
    ``rt60_s``) of energy ``wet`` re the direct sound, starting after 3 ms."""
    m = int(rt60_s * 1.2 * sr)
    start = int(0.003 * sr)
    tail = rng.standard_normal((2, m)) * _dsp.exp_decay(m, sr, rt60_s / 6.91)
    tail[:, :start] = 0.0
    tail = _dsp.filt(tail, "lowpass", 6000.0, sr)
    tail *= np.sqrt(wet / (np.sum(tail**2, axis=1, keepdims=True) + 1e-30))
    tail[:, 0] += 1.0
    return tail


def _in_room(grains: list[np.ndarray], ir: np.ndarray) -> list[np.ndarray]:
    """Mono grains (m_i,) heard in the room ``ir`` (2, k): each (2, m_i + k - 1). One
    batched FFT convolution for all of them."""
    k = ir.shape[1]
    longest = max(len(g) for g in grains)
    size = scipy.fft.next_fast_len(longest + k - 1, real=True)
    padded = np.zeros((len(grains), longest))
    for i, g in enumerate(grains):
        padded[i, :len(g)] = g
    spec = scipy.fft.rfft(padded, size, axis=-1)[:, None, :] * scipy.fft.rfft(ir, size)[None]
    out = scipy.fft.irfft(spec, size, axis=-1)
    return [out[i, :, :len(g) + k - 1] for i, g in enumerate(grains)]


# Paul Kellet's "economy" pinking filter: within 0.5 dB of -3 dB/octave from 40 Hz to
# 20 kHz at 44.1-48 kHz (three poles; Kellet 1999, music-dsp archive)
PINK_B = np.array([0.049922035, -0.095993537, 0.050612699, -0.004408786])
PINK_A = np.array([1.0, -2.494956002, 2.017265875, -0.522189400])


def _floor(rng: Rng, n: int, sr: int) -> np.ndarray:
    """A quiet room's floor (2, n), unit RMS: independent pink noise (about -3 dB per
    octave) high-passed at 60 Hz, the air and distant life of any indoor room.
    Filtered in the time domain (three poles): a 20 s floor costs a few milliseconds,
    where a shaped spectrum costs two long FFTs."""
    hp_b, hp_a = scipy.signal.butter(1, FLOOR_HIGHPASS_HZ, "highpass", fs=sr)
    b, a = np.convolve(PINK_B, hp_b), np.convolve(PINK_A, hp_a)
    white = _dsp.uniform_white(rng, n, 2).astype(np.float32)
    x = scipy.signal.lfilter(b.astype(np.float32), a.astype(np.float32), white, axis=-1)
    return x / (np.sqrt(np.mean(x.astype(np.float64) ** 2, axis=-1, keepdims=True)) + 1e-30)


def _hold_crest(x: np.ndarray, sr: int, ceiling: float = 8.5, passes: int = 4) -> np.ndarray:
    """Hold the peaks of a sparse bed (ticks, keys) at ``ceiling`` x its RMS with
    :func:`_dsp.bound_peaks`' smooth gain, repeated: where the strikes carry most of the
    energy, taming them lowers the RMS too, so one pass leaves the crest above the
    ceiling (a bed normalised to -20 dBFS must peak below full scale)."""
    for _ in range(passes):
        flat = x.reshape(-1)
        rms = float(np.sqrt(np.einsum("i,i->", flat, flat) / flat.size))
        if rms <= 0 or float(np.max(np.abs(x))) <= 1.02 * ceiling * rms:
            break
        x = _dsp.bound_peaks(x, sr, ceiling=ceiling)
    return x


def _scatter(out: np.ndarray, bank: list[np.ndarray], which: np.ndarray,
             starts: np.ndarray, gains: np.ndarray) -> None:
    """Add stereo grains ``bank[which[k]]`` (2, m) times ``gains[k]`` at frame
    ``starts[k]`` into ``out`` (2, n), cut at either end."""
    n = out.shape[1]
    for w, o, g in zip(np.asarray(which).tolist(), np.asarray(starts).tolist(),
                       np.asarray(gains).tolist(), strict=True):
        grain = bank[w]
        a = -o if o < 0 else 0
        b = min(grain.shape[1], n - o)
        if b > a:
            out[:, o + a:o + b] += g * grain[:, a:b]


# --- clock -----------------------------------------------------------------------

CLOCK_CLICK_BAND = (1000.0, 6000.0)  # Hz, the escapement's metal partials (small clock)
CLOCK_BODY_BAND = (200.0, 800.0)  # Hz, the wooden case's modes (small clock)
CLOCK_BEAT_ERROR = (0.004, 0.02)  # tick-to-tock vs tock-to-tick asymmetry, share of the beat
CLOCK_JITTER = 0.002  # random timing spread, share of the beat
CLOCK_FLOOR_DB = -30.0  # the room floor's RMS re the ticks' peak (small clock)


def _tick_voice(rng: Rng, size: float) -> dict[str, np.ndarray]:
    """The fixed voice of one tick (or tock) of a clock of ``size``: click partial
    frequencies, decays and amplitudes, case modes. A bigger clock sounds lower
    (larger parts), rings longer (heavier case, longer pendulum box)."""
    down = 1.0 - 0.45 * size  # frequency scale: a grandfather clock's parts are bigger
    lo, hi = CLOCK_CLICK_BAND
    click_f = np.sort(np.exp(rng.uniform(np.log(lo), np.log(hi), 5))) * down
    click_tau = rng.uniform(0.0015, 0.004, 5) * (1.0 + size)
    click_a = rng.uniform(0.3, 1.0, 5) / np.sqrt(np.arange(1, 6))
    lo, hi = CLOCK_BODY_BAND
    body_f = np.exp(rng.uniform(np.log(lo), np.log(hi), 3)) * (1.0 - 0.5 * size)
    body_tau = rng.uniform(0.008, 0.02, 3) * (1.0 + 0.5 * size)
    body_a = rng.uniform(0.4, 0.9, 3) * (0.9 + 0.6 * size)
    return {"f": np.concatenate([click_f, body_f]), "tau": np.concatenate([click_tau, body_tau]),
            "a": np.concatenate([click_a, body_a])}


def _strike(voice: dict[str, np.ndarray], rng: Rng, sr: int) -> np.ndarray:
    """One strike of ``voice`` (mono, unit peak), with the small differences between
    strikes: partials +-0.5 %, amplitudes +-20 %, random phases."""
    k = len(voice["f"])
    n = int(DECAY_TO_70DB * float(voice["tau"].max()) * sr) + 1
    f = voice["f"] * (1.0 + rng.uniform(-0.005, 0.005, k))
    a = voice["a"] * rng.uniform(0.8, 1.2, k)
    x = _modes(f, voice["tau"], a, n, sr, rng.uniform(0, 2 * np.pi, k)) * _rise(n, sr)
    return x / (np.max(np.abs(x)) + 1e-12)


def _clock_cycle(p: Mapping[str, object]) -> float:
    """Seconds of a clock's cycle: a tick and a tock."""
    rate = p["rate"]
    assert isinstance(rate, (int, float))
    return 2.0 / rate


def clock(p: Params, n: int, sr: int, rng: Rng) -> np.ndarray:
    """A mechanical clock ticking in a quiet room (2, n).

    Model (Farnell, *Designing Sound*, "Clock"; modal synthesis): each beat is the
    escape wheel's tooth striking a pallet, a sharp click of five inharmonic partials
    (1-6 kHz for a desk clock, decaying in 1.5-4 ms) that excites the wooden case's
    modes (200-800 Hz, 4-10 ms), with a rounded 1 ms onset (the strike takes time:
    a real tick is a resonant transient, not a step). The two pallets strike
    differently, so tick and tock have two voices; each strike varies a little. The
    beats are ``rate`` per second: a seconds pendulum (a longcase clock's 0.994 m)
    beats once a second, a quarter-metre wall-clock pendulum twice, a balance-wheel
    desk or alarm clock 4-5 times (14 400-18 000 beats per hour, the standard
    balance rates). A clock slightly "out of beat" alternates short and long beats:
    here 0.4-2 % asymmetry plus 0.2 % jitter (under 3 % in all). ``size`` lowers
    the partials (down to 0.55x) and case modes (0.5x) and lengthens the rings; a
    bigger clock also stands further above the room floor (louder). The room: RT60
    0.35-0.6 s, and a pink floor 30-34 dB below the ticks' peak (a quiet room of
    25-30 dBA under ticks of 55-60 dBA at arm's length).
    """
    rate, size = float(p["rate"]), float(p["size"])
    ident = _identity("clock", size)
    voices = [_tick_voice(ident, size), _tick_voice(ident, size)]
    tock_db = ident.uniform(-3.0, -1.0)
    beat_error = ident.uniform(*CLOCK_BEAT_ERROR)
    ir = _room_ir(ident, sr, 0.35 + 0.25 * size, 0.6)
    variants = 6  # strikes of each voice per segment
    bank = _in_room([_strike(voices[v // variants], rng, sr) for v in range(2 * variants)], ir)
    beat = 1.0 / rate
    count = int(n / sr * rate) + 3
    k = np.arange(-1, count)
    # every segment starts its tick-tock cycle at the same phase (the bed joins plays
    # on the cycle: Recipe.period), half a beat in
    times = (k + 0.5) * beat + np.where(k % 2 == 0, 0.5, -0.5) * beat_error * beat
    times += rng.normal(0.0, CLOCK_JITTER * beat, len(k))
    tock = (k % 2).astype(int)
    which = tock * variants + rng.integers(0, variants, len(k))
    gains = 10 ** ((rng.normal(0.0, 0.5, len(k)) + np.where(tock == 1, tock_db, 0.0)) / 20.0)
    out = np.zeros((2, n))
    _scatter(out, bank, which, np.round(times * sr).astype(int), gains)
    floor_db = CLOCK_FLOOR_DB - 4.0 * size
    out += _floor(rng, n, sr) * 10 ** (floor_db / 20.0)
    return _hold_crest(out, sr)


# --- typing ----------------------------------------------------------------------

KEY_COUNT = 12  # distinct keys of the keyboard's voice
KEY_TAKES = 3  # strikes of each key per segment (a finger never strikes alike twice)
SPACE_SLOWER = 1.3  # the interval before a space re one inside a word
WORD_LETTERS = 4.7  # mean letters per English word: 1 + Poisson(3.7), at most 14
PAUSE_CHANCE = 0.12  # chance of a thinking pause after a word
PAUSE_S = (0.3, 1.0)  # s, a thinking pause between bursts
DWELL_S = (0.07, 0.13)  # s, a key held down (press to release)
IKI_SPREAD = 0.35  # lognormal sigma of the inter-key interval
TYPING_FLOOR_DB = -30.0  # room floor RMS re the key presses' peak
TYPING_STEADY = 0.5  # share of the 1 s level swings taken away (_dsp.steady_level)


def _key_voice(rng: Rng, space: bool) -> dict[str, np.ndarray]:
    """The fixed voice of one key: the keycap bottoming out (plastic partials
    2-7 kHz, 1-3 ms, the loudest part), the plate (400-1500 Hz, 2-5 ms) and a low
    thock of the keyboard body (150-300 Hz, 3-6 ms). The space bar is longer and
    deeper: its modes sit lower (120-300 Hz and 300-900 Hz) and ring longer."""
    # (`duplicates` pairs the two branches by shape: they are two tables of modes)
    if space:
        f = np.concatenate([np.exp(rng.uniform(np.log(1500), np.log(5000), 3)),
                            rng.uniform(300, 900, 2), rng.uniform(120, 300, 2)])
        tau = np.concatenate([rng.uniform(0.0006, 0.002, 3), rng.uniform(0.005, 0.012, 2),
                              rng.uniform(0.008, 0.02, 2)])
        a = np.concatenate([rng.uniform(0.2, 0.5, 3), rng.uniform(0.5, 0.9, 2),
                            rng.uniform(0.7, 1.0, 2)])
    else:
        f = np.concatenate([np.exp(rng.uniform(np.log(2000), np.log(7000), 3)),
                            rng.uniform(400, 1500, 2), rng.uniform(150, 300, 1)])
        tau = np.concatenate([rng.uniform(0.001, 0.003, 3), rng.uniform(0.002, 0.005, 2),
                              rng.uniform(0.003, 0.006, 1)])
        a = np.concatenate([rng.uniform(0.6, 1.0, 3), rng.uniform(0.3, 0.6, 2),
                            rng.uniform(0.2, 0.4, 1)])
    return {"f": f, "tau": tau, "a": a}


def letter_interval(wpm: float) -> float:
    """The median interval (s) between two letters of a word that makes ``wpm`` words
    per minute in the long run, thinking pauses included: a word (WORD_LETTERS
    letters and a space, five characters of a standard word per 5 / (WORD_LETTERS + 1)
    words) takes (WORD_LETTERS + SPACE_SLOWER) intervals of mean e**(sigma**2 / 2) times
    the median, plus PAUSE_CHANCE mean pauses."""
    words_per_s = wpm / 60.0 * 5.0 / (WORD_LETTERS + 1.0)
    pause = PAUSE_CHANCE * sum(PAUSE_S) / 2.0
    spread = np.exp(IKI_SPREAD**2 / 2.0)
    return float((1.0 / words_per_s - pause) / ((WORD_LETTERS + SPACE_SLOWER) * spread))


def typing(p: Params, n: int, sr: int, rng: Rng) -> np.ndarray:
    """Someone typing on a keyboard in a quiet room (2, n).

    Model: each keystroke is two modal strikes with a rounded 1 ms onset (a finger
    takes time to press): the key bottoming out (keycap partials 2-7 kHz, plate
    400-1500 Hz, case 150-300 Hz) and, a dwell of 70-130 ms later, the softer,
    brighter release (key hold times average about 0.1 s; Dhakal et al. 2018,
    "Observations on typing from 136 million keystrokes", CHI). The space bar is
    deeper and longer and ends every word. Twelve keys are placed across the
    keyboard (+-0.25 in pan). Rhythm: ``speed`` words per minute of five characters
    in the long run, pauses included (Dhakal et al.: 52 wpm and 239 ms between keys
    on average): words of 1 + Poisson(3.7) letters (English averages 4.7) and a
    space; intervals lognormal (sigma 0.35, at least 50 ms), 1.3x longer before the
    space, and after 12 % of words a pause of 0.3-1 s. Every strike carries the same
    energy (level spread 1.5 dB) and half the 1 s level swings are smoothed away
    (at most 4 dB), so segments hold a steady level. Inside words that
    gives 0.52 s between letters at 20 wpm, 0.20 s at 50 and 0.11 s at 90
    (:func:`letter_interval`). The room: RT60 0.4 s, a pink floor 30 dB below the
    presses' peak (an office's 35 dBA under keystrokes of about 65 dBA close by).
    """
    wpm = float(p["speed"])
    ident = _identity("typing")
    voices = [_key_voice(ident, False) for _ in range(KEY_COUNT)] + [_key_voice(ident, True)]
    pans = np.concatenate([ident.uniform(-0.25, 0.25, KEY_COUNT), [0.0]])
    ir = _room_ir(ident, sr, 0.4, 0.35)
    dry = []
    for v in voices:  # each key's presses, then its releases (brighter, shorter)
        release = {"f": v["f"] * 1.15, "tau": v["tau"] * 0.7, "a": v["a"]}
        dry += [_strike(v, rng, sr) for _ in range(KEY_TAKES)]
        dry += [_strike(release, rng, sr) for _ in range(KEY_TAKES)]
    # every strike with the same energy: a long-ringing space bar at unit peak would
    # carry several keys' energy and make the level jump wherever one falls
    energy = np.array([np.sqrt(np.einsum("i,i->", g, g)) for g in dry])
    dry = [g * (float(np.median(energy)) / e) for g, e in zip(dry, energy.tolist(), strict=True)]
    bank = _in_room(dry, ir)
    gl, gr = _dsp.pan_minus3db_centre(np.repeat(pans, 2 * KEY_TAKES))
    for grain, a_l, a_r in zip(bank, gl.tolist(), gr.tolist(), strict=True):
        grain[0] *= a_l * np.sqrt(2.0)
        grain[1] *= a_r * np.sqrt(2.0)
    iki = letter_interval(wpm)
    # the keystroke sequence, from 3 s before the segment so it starts mid-flow
    times, keys = [], []
    t = -3.0 - rng.uniform(0.0, 2.0)
    end = n / sr
    while t < end:
        for _ in range(min(14, 1 + int(rng.poisson(WORD_LETTERS - 1.0)))):
            t += max(0.05, iki * rng.lognormal(0.0, IKI_SPREAD))
            times.append(t)
            keys.append(int(rng.integers(0, KEY_COUNT)))
        t += max(0.05, iki * SPACE_SLOWER * rng.lognormal(0.0, IKI_SPREAD))
        times.append(t)
        keys.append(KEY_COUNT)
        if rng.random() < PAUSE_CHANCE:
            t += rng.uniform(*PAUSE_S)
    press_t = np.asarray(times)
    key = np.asarray(keys)
    dwell = rng.uniform(*DWELL_S, len(key)) * np.where(key == KEY_COUNT, 1.2, 1.0)
    level = rng.normal(0.0, 1.5, len(key)) + np.where(key == KEY_COUNT, 2.0, 0.0)
    starts = np.round(np.concatenate([press_t, press_t + dwell]) * sr).astype(int)
    take = rng.integers(0, KEY_TAKES, (2, len(key)))
    which = np.concatenate([2 * KEY_TAKES * key + take[0],
                            2 * KEY_TAKES * key + KEY_TAKES + take[1]])
    gains = 10 ** (np.concatenate([level, level - rng.uniform(6.0, 10.0, len(key))]) / 20.0)
    out = np.zeros((2, n))
    _scatter(out, bank, which, starts, gains)
    out += _floor(rng, n, sr) * 10 ** (TYPING_FLOOR_DB / 20.0)
    # half the slow (1 s) level swings taken away, at most 4 dB: a second with two
    # keystrokes and one with eight differ less, so crossfaded segments do not pump
    out = _dsp.steady_level(out, sr, 1.0, TYPING_STEADY, 4.0, block=256)
    return _hold_crest(out, sr)


# --- pages -----------------------------------------------------------------------

PAGE_S = (0.4, 1.2)  # s, one page turned
RUSTLE_BAND = (1000.0, 8000.0)  # Hz, the paper's rustle
CRINKLE_RATE = 150.0  # crinkles per second at the fastest moment of the turn
FLAP_HZ = (90.0, 180.0)  # Hz, the soft body of the page landing


def pages(p: Params, n: int, sr: int, rng: Rng) -> np.ndarray:
    """One page turned (2, m), 0.4-1.2 s.

    Model (after Farnell's friction and crumpling textures): a turning page is a sheet
    bending and sliding, so its sound follows the page's speed, a bell over the turn
    that peaks past its middle. The swish is noise band-passed to 1-8 kHz (the paper
    rustle band) whose level and brightness follow that speed (a faster page is
    louder and brighter); crinkles are the sheet buckling, short bright bursts
    (0.3-2 ms, 2-10 kHz) at up to 150 per second, Poisson in time with a rate that
    follows the speed. At the end the page lands: a soft flap, a 15-35 ms low thump
    (90-180 Hz body, air pushed out below 600 Hz) at 0.25-0.45 of the swish's peak.
    """
    length = rng.uniform(*PAGE_S)
    m = min(n, int(length * sr))
    u = np.arange(m) / m
    peak_at = rng.uniform(0.45, 0.7)
    rising = np.sin(0.5 * np.pi * np.minimum(u / peak_at, 1.0)) ** 2
    falling = np.cos(0.5 * np.pi * np.clip((u - peak_at) / (1 - peak_at), 0.0, 1.0)) ** 1.5
    speed = np.where(u < peak_at, rising, falling)
    wobble = 1.0 + 0.25 * _dsp.smooth_noise(rng, m, sr, 18.0)
    level = speed * np.maximum(wobble, 0.3)
    f = _dsp.rfft_freqs(m, sr)
    low = _dsp.spectral_noise(rng, m, _dsp.butter_gain("bandpass", (RUSTLE_BAND[0], 3000.0),
                                                       sr, 2, f))
    high = _dsp.spectral_noise(rng, m, _dsp.butter_gain("bandpass", (3000.0, RUSTLE_BAND[1]),
                                                        sr, 2, f))
    swish = level * ((1.0 - 0.6 * speed) * low + (0.4 + 0.6 * speed) * high)
    # crinkles: Poisson times thinned by the speed
    count = rng.poisson(CRINKLE_RATE * length)
    at = rng.integers(0, m, count)
    keep = rng.random(count) < speed[at]
    at = at[keep]
    bank_n = int(0.004 * sr)
    kernels = (rng.standard_normal((8, bank_n)) * _dsp.exp_decay(bank_n, sr, 0.0006)
               * _dsp.soft_onset(bank_n, sr, 0.0002))
    kernels = _dsp.filt(kernels, "bandpass", (2000.0, 10000.0), sr)
    kernels /= np.max(np.abs(kernels), axis=1, keepdims=True) + 1e-12
    crinkle = np.zeros(m + bank_n)
    amp = 10 ** (rng.uniform(-14.0, 0.0, len(at)) / 20.0) * 2.5
    for k, (o, a) in enumerate(zip(at.tolist(), amp.tolist(), strict=True)):
        crinkle[o:o + bank_n] += a * kernels[k % 8]
    flap_n = int(0.12 * sr)
    flap_at = int(rng.uniform(0.85, 0.95) * m)
    hit = rng.standard_normal(flap_n) * _dsp.exp_decay(flap_n, sr, rng.uniform(0.005, 0.012))
    hit *= _dsp.soft_onset(flap_n, sr, 0.004)
    body = _dsp.resonator(hit, rng.uniform(*FLAP_HZ), rng.uniform(0.015, 0.035), sr)
    puff = _dsp.filt(hit, "lowpass", 600.0, sr)
    flap = body / (np.max(np.abs(body)) + 1e-12) + 0.6 * puff / (np.max(np.abs(puff)) + 1e-12)
    x = np.zeros(m + max(flap_n, bank_n))
    x[:m] += swish / (np.max(np.abs(swish)) + 1e-12)
    x[:m + bank_n] += 0.5 * crinkle
    x[flap_at:flap_at + flap_n] += rng.uniform(0.25, 0.45) * flap / np.max(np.abs(flap))
    return _dsp.stereo_spread(x[:n], rng, sr, width=0.3)


# --- wind chimes --------------------------------------------------------------------

CHIME_RATIOS = np.array([1.0, 2.756, 5.404, 8.933])  # free-free bar modes (Fletcher & Rossing)
PENTATONIC = np.array([0, 2, 4, 7, 9, 12, 14, 16, 19, 21])  # semitones, major pentatonic
CHIME_ROOT_HZ = (1100.0, 196.0)  # the lowest tube's first mode at size 0 .. 1
CHIME_T60_S = (2.0, 8.0)  # s, decay of the first mode at size 0 .. 1


def chimes(p: Params, n: int, sr: int, rng: Rng) -> np.ndarray:
    """Wind chimes swinging in a gust (2, m).

    Model: each tube is a free-free bar (a hanging tube rings like a bar free at both
    ends), whose bending modes sit at 1 : 2.756 : 5.404 : 8.933 (Fletcher & Rossing,
    *The Physics of Musical Instruments*, 2.14; tubular bells and chimes). The set is
    tuned to a major pentatonic scale (five or eight tubes from two octaves), the
    lowest tube's first mode at 1100 Hz for small chimes down to 196 Hz (G3) for big
    ones (``size``); its tuning is the set's, not the seed's. A gust swings the
    clapper into 3-8 tubes over 0.2-2 s, some twice; each strike's level and
    spectrum vary (where the clapper hits). Decays: T60 2 s (small) to 8 s (big) for
    the first mode, shorter for higher ones (T60 / ratio**0.7: radiation and
    internal losses grow with frequency). Each tube hangs at its own place (pan).
    """
    size = float(p["size"])
    root = CHIME_ROOT_HZ[0] * (CHIME_ROOT_HZ[1] / CHIME_ROOT_HZ[0]) ** size
    tubes = int(np.clip(round(5 + 3 * size), 5, 8))
    ident = _identity("chimes", size)
    steps = np.sort(ident.choice(PENTATONIC, tubes, replace=False))
    tube_f = root * 2.0 ** (steps / 12.0)
    tube_pan = ident.permutation(np.linspace(-0.6, 0.6, tubes))
    t60 = CHIME_T60_S[0] * (CHIME_T60_S[1] / CHIME_T60_S[0]) ** size
    struck = rng.choice(tubes, int(rng.integers(3, min(tubes, 8) + 1)), replace=False)
    hits = [(int(t), rng.uniform(0.0, 1.5)) for t in struck]
    hits += [(int(t), rng.uniform(0.3, 2.0)) for t in struck if rng.random() < 0.35]
    last = max(h[1] for h in hits)
    ring = t60 / 6.91  # time constant of the first mode
    m = min(n, int((last + DECAY_TO_70DB * ring * 0.85) * sr))
    sound = np.zeros((tubes, m))
    taus = ring * CHIME_RATIOS ** -0.7
    for tube, at in hits:
        o = int(at * sr)
        if o >= m:
            continue
        f = tube_f[tube] * CHIME_RATIOS * (1.0 + rng.uniform(-0.001, 0.001, 4))
        # the strike point sets the modes' amplitudes; a hard clapper, so upper modes
        # are strong at first and decay fast
        a = rng.uniform(0.4, 1.0, 4) * np.array([1.0, 0.8, 0.5, 0.3])
        a *= 10 ** (rng.uniform(-8.0, 0.0) / 20.0)
        tone = _modes(f, taus, a, m - o, sr, rng.uniform(0, 2 * np.pi, 4))
        rise = int(0.0005 * sr)
        tone[:rise] *= _rise(rise, sr, 0.0005)
        sound[tube, o:] += tone
    gl, gr = _dsp.pan_minus3db_centre(tube_pan)
    out = np.zeros((2, m))
    for tube in np.unique(struck).tolist():
        out[0] += float(gl[tube]) * sound[tube]
        out[1] += float(gr[tube]) * sound[tube]
    return out


# --- singing bowl -------------------------------------------------------------------

BOWL_MODES = 5  # (n, 0) shell modes n = 2..6
BOWL_T60_S = (10.0, 20.0)  # s, the fundamental's decay
BOWL_BEAT_HZ = (0.5, 3.0)  # Hz, beating of the fundamental's split pair


def bowl(p: Params, n: int, sr: int, rng: Rng) -> np.ndarray:
    """A singing bowl struck with a soft mallet (2, m), ringing 10-20 s.

    Model: the bowl's audible modes are the (n, 0) bending modes of a thin shell,
    n = 2..6, at frequencies proportional to n (n**2 - 1) / sqrt(n**2 + 1) (Rayleigh,
    *The Theory of Sound*, ring and bell modes: 1 : 2.83 : 5.42 : 8.77 : 12.9;
    measured Tibetan bowls sit close, 1 : 2.7-2.9 : 5.1-5.4; Inacio, Henrique &
    Antunes 2006, "The dynamics of Tibetan singing bowls", Acta Acustica).
    An imperfect bowl splits each mode into a pair a few Hz apart (the fundamental's
    pair 0.5-3 Hz, higher modes proportionally more): the pair beats, and as the two
    members radiate at right angles (cos and sin of n theta), two ears hear the beat in
    different phase. The fundamental (``pitch`` Hz) rings T60 10-20 s; higher modes
    die faster (T60 / ratio**0.8). A soft mallet excites upper modes weakly.
    """
    pitch = float(p["pitch"])
    k = np.arange(2, 2 + BOWL_MODES, dtype=float)
    ratios = k * (k * k - 1) / np.sqrt(k * k + 1)
    ratios /= ratios[0]
    ident = _identity("bowl", pitch)
    ratios *= 1.0 + ident.uniform(-0.02, 0.02, BOWL_MODES) * (np.arange(BOWL_MODES) > 0)
    beat = ident.uniform(*BOWL_BEAT_HZ) * ratios ** 0.5
    t60 = rng.uniform(*BOWL_T60_S)
    taus = t60 / 6.91 * ratios ** -0.8
    m = min(n, int(DECAY_TO_70DB * float(taus[0]) * sr * 0.9))
    hardness = rng.uniform(0.3, 0.7)
    amps = np.array([1.0, 0.6, 0.35, 0.2, 0.12]) ** (1.0 / hardness) * rng.uniform(0.8, 1.2, 5)
    f = pitch * ratios
    theta = rng.uniform(0, np.pi, 2)  # the strike's angle, then the ears' offset
    out = np.zeros((2, m))
    for c, ear in enumerate((0.0, rng.uniform(0.6, 1.2))):
        w1 = np.cos(k * (theta[0] + ear))
        w2 = np.sin(k * (theta[0] + ear))
        freqs = np.concatenate([f - beat / 2, f + beat / 2])
        weights = np.concatenate([amps * (0.6 + 0.4 * w1), amps * (0.6 + 0.4 * w2)])
        phases = np.concatenate([np.zeros(BOWL_MODES), np.full(BOWL_MODES, theta[1])])
        out[c] = _modes(freqs, np.concatenate([taus, taus]), weights, m, sr, phases)
    strike_n = int(0.03 * sr)
    strike = _dsp.filt(rng.standard_normal(strike_n) * _dsp.exp_decay(strike_n, sr, 0.004),
                       "bandpass", (pitch, 6 * pitch), sr)
    out[:, :strike_n] += 0.05 * strike / (np.max(np.abs(strike)) + 1e-12)
    return out * _rise(m, sr, 0.002)


# --- fan and air-conditioner hum ----------------------------------------------------

@dataclass(frozen=True)
class Blower:
    """A fan's blade count, its rpm at the lowest and highest setting, and the band of
    its broadband airflow noise (Hz)."""

    blades: int
    rpm: tuple[float, float]
    air_hz: tuple[float, float]


FAN = Blower(5, (700.0, 1600.0), (150.0, 2500.0))  # desk or ceiling fan
AIRCON = Blower(34, (600.0, 1100.0), (250.0, 5000.0))  # split unit's cross-flow fan
MAINS_HZ = 50.0  # Europe, Asia, Africa, Oceania; 60 Hz in the Americas
HARMONICS = 6  # blade-pass harmonics drawn


def hum(p: Params, n: int, sr: int, rng: Rng) -> np.ndarray:
    """A fan or an air-conditioner running (2, n).

    Model (fan acoustics: the blade-passing frequency BPF = blades x rpm / 60 and its
    harmonics over broadband turbulence; Farnell, *Designing Sound*, "Fans"): a desk
    or ceiling fan has 5 blades at 700-1600 rpm (BPF 58-133 Hz); a split
    air-conditioner's indoor unit blows through a cross-flow fan of about 34 blades
    at 600-1100 rpm (BPF 340-620 Hz) and adds the compressor's hum at twice the mains
    frequency (magnetostriction, 100 Hz here, mains 50 Hz) with harmonics. Broadband
    airflow is noise shaped as a broad hump (150-2500 Hz fan, 250-5000 Hz aircon: a
    grille hiss), rising in level and brightness with ``speed`` (fan laws: sound
    power grows as rpm**5, so the upper band gains). The tones are narrow bands of
    the same noise (0.5-1 % wide: the rpm wanders and the flow is turbulent), their
    harmonics falling 4 dB each; a faint 50 Hz mains hum sits under the fan.
    Drawn as one shaped spectrum per channel (:func:`_dsp.spectral_noise`).
    """
    kind, speed = str(p["kind"]), float(p["speed"])
    blower = AIRCON if kind == "aircon" else FAN
    rpm = blower.rpm[0] + (blower.rpm[1] - blower.rpm[0]) * speed
    bpf = blower.blades * rpm / 60.0
    f = _dsp.rfft_freqs(n, sr)
    lo, hi = blower.air_hz
    hi *= 1.0 + speed
    gain = _dsp.butter_gain("bandpass", (lo, hi), sr, 1, f) * _dsp.pink_gain(f, 0.6, 40.0)
    gain /= np.sqrt(np.mean(gain**2))
    power = gain**2
    df = sr / n

    def peak(centre: float, width_hz: float, level_db: float) -> None:
        if centre >= 0.45 * sr:
            return
        bw = max(width_hz, 2.0 * df)
        lo_bin, hi_bin = int((centre - 4 * bw) / df), int((centre + 4 * bw) / df) + 1
        sel = slice(max(lo_bin, 1), min(hi_bin, len(f)))
        # a Gaussian band holding the tone's power (level re the whole broadband)
        shape = np.exp(-0.5 * ((f[sel] - centre) / bw) ** 2)
        power[sel] += 10 ** (level_db / 10.0) * len(f) * shape / shape.sum()

    tone_db = -8.0 + 4.0 * speed if kind == "fan" else -12.0 + 3.0 * speed
    for h in range(1, HARMONICS + 1):
        peak(h * bpf, 0.006 * h * bpf, tone_db - 4.0 * (h - 1))
    if kind == "aircon":
        for h in range(1, 5):
            peak(2 * MAINS_HZ * h, 0.15, -10.0 - 6.0 * (h - 1))
    else:
        peak(MAINS_HZ, 0.1, -26.0)
        peak(2 * MAINS_HZ, 0.1, -24.0)
    return _dsp.spectral_noise(rng, n, np.sqrt(power), channels=2)


# --- purring cat --------------------------------------------------------------------

PURR_PHASE_S = {"out": (1.0, 2.0), "in": (0.8, 1.6)}  # s, exhaled and inhaled purring
PURR_GAP_S = (0.0, 0.03)  # s, the turn between breaths
PURR_IN_DB = -4.0  # inhaled purring re exhaled
PURR_IN_RATE = 0.93  # inhaled pulse rate re exhaled
PURR_BREATH = 0.08  # the breath's airflow noise re the purring (RMS)
PURR_ROOM = 0.03  # the room floor re the purring (RMS), -30 dB


def purr(p: Params, n: int, sr: int, rng: Rng) -> np.ndarray:
    """A cat purring close by (2, n).

    Model: purring is the laryngeal muscles closing and opening the glottis at a
    steady 25-30 times a second, driven by a neural oscillator, through both breathing
    phases (Remmers & Gautier 1972, "Neural and mechanical mechanisms of feline
    purring", Respiration Physiology: about 25 Hz in domestic cats; Peters 2002,
    "Purring and similar vocalizations in mammals", Mammal Review: published purr
    fundamentals 25-150 Hz across purring species, the domestic cat's at the low
    end). Each pulse is a glottal burst (the airflow released) through the body's
    low-passed resonance (chest and throat, 120-600 Hz; a little nasal hiss
    1-4 kHz). The pulse
    rate (``rate`` Hz, jitter 2 %) is slightly lower and the level 4 dB lower while
    inhaling; exhaled phases last 1-2 s, inhaled 0.8-1.6 s, with a short turn
    (0-30 ms) between them where the level dips but the pulses barely stop.
    """
    rate = float(p["rate"])
    ident = _identity("purr", rate)
    body_f = ident.uniform(120.0, 220.0)
    chest_f = ident.uniform(350.0, 600.0)
    # the breaths: alternating phases from 4 s before the segment
    t, out_phase = -4.0 - rng.uniform(0.0, 3.0), bool(rng.integers(0, 2))
    end = n / sr
    pulses, levels = [], []
    while t < end:
        lo, hi = PURR_PHASE_S["out" if out_phase else "in"]
        length = rng.uniform(lo, hi)
        r = rate * (1.0 if out_phase else PURR_IN_RATE)
        count = int(length * r)
        ts = t + (np.arange(count) + rng.normal(0.0, 0.02, count)) / r
        u = np.linspace(0.0, 1.0, count)
        swell = np.sin(np.pi * np.clip(u * 1.1, 0.0, 1.0)) ** 0.5 * 0.6 + 0.4
        lvl = swell * 10 ** (((0.0 if out_phase else PURR_IN_DB) + rng.normal(0, 1.0, count))
                             / 20.0)
        pulses.append(ts)
        levels.append(lvl)
        t += count / r + rng.uniform(*PURR_GAP_S)  # the next pulse, after the turn
        out_phase = not out_phase
    at = np.concatenate(pulses)
    amp = np.concatenate(levels)
    # pulse bank: glottal bursts through the body resonances, low-passed at 1.5 kHz,
    # heard close in a small room
    m = int(0.03 * sr)
    variants = 8
    burst = rng.standard_normal((variants, m)) * _dsp.exp_decay(m, sr, 0.003)
    burst *= _dsp.soft_onset(m, sr, 0.002)
    dry = []
    for v in range(variants):
        b = (_dsp.resonator(burst[v], body_f * rng.uniform(0.95, 1.05), 0.006, sr)
             + 0.6 * _dsp.resonator(burst[v], chest_f * rng.uniform(0.95, 1.05), 0.003, sr))
        b = _dsp.filt(b, "lowpass", 1500.0, sr) + 0.02 * _dsp.filt(
            burst[v], "bandpass", (1000.0, 4000.0), sr)
        dry.append(b / (np.max(np.abs(b)) + 1e-12))
    bank = _in_room(dry, _room_ir(ident, sr, 0.2, 0.3))
    out = np.zeros((2, n))
    starts = np.round(at * sr).astype(int)
    _scatter(out, bank, rng.integers(0, variants, len(at)), starts, amp)
    # breath: a faint airflow that follows the purring's level, and the room
    ctl = np.zeros(_dsp.control_points(n))
    inside = (starts >= 0) & (starts < n)
    ctl[starts[inside] // _dsp.CONTROL_STEP] = amp[inside]
    # pulse levels, one every ~40 ms, spread over 0.1 s: about the purring's envelope
    window = int(0.1 * _dsp.control_rate(sr)) + 1
    ctl = scipy.ndimage.uniform_filter1d(ctl, window) * window / (0.1 * rate)
    level = float(np.sqrt(np.mean(out**2)))
    # one noise for both: the room's floor and the breath riding on it
    out += _floor(rng, n, sr) * (_dsp.expand(ctl, n) * (PURR_BREATH * level)
                                 + PURR_ROOM * level)
    return _hold_crest(out, sr)


RECIPES: list[Recipe] = [
    make("clock", "bed", {
        "rate": ParamSpec(2.0, 1.0, 5.0, doc="beats (ticks and tocks) per second: 1 a "
                          "longcase clock's seconds pendulum, 2 a wall clock, 4-5 a "
                          "balance-wheel desk clock"),
        "size": ParamSpec(0.3, 0.0, 1.0, doc="0 small desk clock .. 1 grandfather clock "
                          "(lower, longer-ringing, further above the room)"),
    }, "A mechanical clock in a quiet room: tick and tock, each a modal click "
       "(escapement partials 1-6 kHz, wooden case 200-800 Hz) with a 1 ms onset.",
         clock, reuse=1, period=_clock_cycle),
    make("typing", "bed", {
        "speed": ParamSpec(50.0, 20.0, 90.0, doc="words per minute (five characters a word)"),
    }, "Keyboard typing: press and release clicks of a dozen keys and a deeper space "
       "bar, in words and bursts at a typist's rate.", typing),
    make("pages", "event", {}, "A page turned: a 0.4-1.2 s swish of paper rustle "
         "(1-8 kHz) with crinkles, ending in a soft flap.", pages),
    make("chimes", "event", {
        "size": ParamSpec(0.5, 0.0, 1.0, doc="0 small high chimes (1.1 kHz, T60 2 s) .. "
                          "1 big low ones (196 Hz, T60 8 s)"),
    }, "Wind chimes: 3-8 pentatonic tubes struck in a cluster, each ringing its "
       "free-free bar modes (1 : 2.756 : 5.404 : 8.933).", chimes),
    make("bowl", "event", {
        "pitch": ParamSpec(220.0, 150.0, 600.0, doc="the fundamental in Hz"),
    }, "A singing bowl struck: shell modes whose split pairs beat slowly, ringing "
       "10-20 s.", bowl),
    make("hum", "bed", {
        "kind": ParamSpec("fan", choices=("fan", "aircon"),
                          doc="fan: 5 blades (blade-pass 58-133 Hz) and faint mains hum; "
                              "aircon: cross-flow fan (340-620 Hz), compressor hum at "
                              "100 Hz, grille hiss"),
        "speed": ParamSpec(0.5, 0.0, 1.0, doc="0 low .. 1 high setting (rpm)"),
    }, "A fan or air-conditioner: airflow noise with blade-pass tones and mains hum.",
         hum),
    make("purr", "bed", {
        "rate": ParamSpec(26.0, 20.0, 30.0, doc="laryngeal pulses per second (exhaling)"),
    }, "A cat purring: glottal pulses at 25-30 Hz through the body's resonance, in "
       "alternating exhaled and inhaled phases.", purr),
]
