"""The herring gull (Larus argentatus): its long call and its single "kyow".

The long call (Tinbergen, The Herring Gull's World, 1953; Mierauskas & Greimas 1992,
Bioacoustics 4: 8-14 elements in coastal Baltic birds) is sung with a head toss:
long, loud "kee-ow" notes as the head is thrown back, then a run of shorter "ha"
notes ("laughing") that fade away. The "kyow" (yeow) call is one such long note alone, a
clear, sharp note of descending pitch, given singly or repeated (The 'Yeow' Call,
Appledore gull study notes, 2012).

Voice: harsh and harmonic. The fundamental leaps from about half its peak to the
peak (1500-1650 Hz) in the first 12 % of a note and falls to 0.68 of it ("kyow"); 3
partials under a broad vocal-tract resonance near 1.7 kHz put the energy at 0.8-4
kHz (a first version peaking at 600-1000 Hz was never heard as a gull by BirdNET;
these figures were found by a search against its herring-gull score, issue 14);
nonlinear roughness comes from period doubling (a subharmonic at f0 / 2, amplitude
modulation of the tone by half its own phase), pitch jitter and shimmer, and a
little breath noise that follows the amplitude.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.signal

from soundscape.procedural.creatures import place

CALLS = ("mixed", "long", "kyow")
F0_HZ = (1500.0, 1650.0)  # Hz, an individual's fundamental at its notes' peak
PARTIALS = 3
TILT = 0.8  # partial h has amplitude h**-TILT before the resonance
FORMANT_HZ = 1700.0  # Hz, centre of the vocal-tract resonance
FORMANT_WIDTH_HZ = 1000.0
FORMANT_GAIN = 3.8  # the resonance's peak gain above 1
JITTER = 0.005  # pitch jitter (relative, about 40 Hz)
SHIMMER = 0.03  # level shimmer (relative, about 60 Hz)
BREATH = 0.2  # breath noise RMS re the tone
BREATH_HZ = (1000.0, 6000.0)
ATTACK_S = 0.012  # s, the shortest rise of a note (no click)
TAIL_S = 0.3  # s, the open-air tail (a beach: few reflections)
WET = 0.04  # its level re the call


@dataclass(frozen=True)
class Note:
    """One gull note: ``dur_s`` s; its pitch, relative to the individual's f0, goes
    ``start`` -> ``peak`` (at ``peak_at`` of the note) -> ``end`` ("kee-ow"); ``level``
    linear; ``rough`` is the depth of the subharmonic (period doubling)."""

    dur_s: float
    start: float
    peak: float
    end: float
    peak_at: float
    level: float
    rough: float


CALL_NOTES = (7, 9)  # notes of one long call (inclusive)
NOTE_S = (0.32, 0.4)  # s, each note's length
GAP_S = (0.04, 0.055)  # s, the breath between notes
CALL_FALL = 0.995  # each note's pitch re the one before: the series sinks a little
CALL_FADE = 0.97  # and its level: it fades
SHAPE = (0.51, 0.12, 0.68)  # a note's pitch at its start, where it peaks, at its end (re peak)
ROUGH = 0.14  # subharmonic depth of the long call's notes
KYOW_NOTES = (2, 3)  # notes of one kyow call (inclusive): a single note is rarely named


def long_call(rng: np.random.Generator) -> list[tuple[float, Note]]:
    """(onset s, note) of one long call: CALL_NOTES loud "kyow" notes in a series
    (about 2.3 per second, 8-14 elements in coastal herring gulls), each rising
    steeply to its peak and falling (SHAPE), the series sinking and fading a little.

    The textbook long call opens with longer notes and runs into shorter "ha" notes;
    a version with 0.15-0.3 s "ha" notes was named a herring gull by BirdNET in
    0-38 % of calls, the even series of 0.32-0.4 s notes in 58-75 % (issue 14)."""
    start, peak_at, end = SHAPE
    notes: list[tuple[float, Note]] = []
    t = 0.0
    for i in range(int(rng.integers(CALL_NOTES[0], CALL_NOTES[1] + 1))):
        d = float(rng.uniform(*NOTE_S))
        fall = CALL_FALL**i
        notes.append((t, Note(d, start * fall, fall, end * fall, peak_at, CALL_FADE**i, ROUGH)))
        t += d + float(rng.uniform(*GAP_S))
    return notes


def kyow_call(rng: np.random.Generator) -> list[tuple[float, Note]]:
    """(onset s, note) of KYOW_NOTES "kyow" notes, 0.5-1.2 s apart: each a long note of
    the long call's shape (SHAPE) and roughness, its start, peak time and end drawn
    around it.

    BirdNET names a herring gull in 2 of 8 single notes against 20 of 28 pairs and
    triples, and in 43-45 of 48 calls of 2-3 notes at the long call's roughness
    against 33-38 of 48 of 1-3 notes at 1-2x that roughness (issue 14)."""
    start, peak_at, end = SHAPE
    notes: list[tuple[float, Note]] = []
    t = 0.0
    for i in range(int(rng.integers(KYOW_NOTES[0], KYOW_NOTES[1] + 1))):
        d = float(rng.uniform(0.28, 0.42))
        notes.append((t, Note(d, start * float(rng.uniform(0.95, 1.05)), 1.0,
                              end * float(rng.uniform(0.92, 1.05)),
                              peak_at * float(rng.uniform(0.8, 1.3)), 1.0 - 0.1 * i, ROUGH)))
        t += d + float(rng.uniform(0.5, 1.2))
    return notes


def _partial_gains(f_mean: float, sr: int, f_max: float) -> np.ndarray:
    """Amplitudes of partials 1..PARTIALS of a note at mean pitch ``f_mean``: a 1/h**0.5
    tilt times the resonance near FORMANT_HZ; partials that could pass 0.45 * sr at
    the note's highest pitch ``f_max`` are zero (no aliasing)."""
    h = np.arange(1, PARTIALS + 1)
    res = 1.0 + FORMANT_GAIN * np.exp(-(((h * f_mean) - FORMANT_HZ) / FORMANT_WIDTH_HZ) ** 2)
    return np.where(h * f_max < 0.45 * sr, h**-TILT * res, 0.0)


def render_notes(notes: list[tuple[float, Note]], f0: float, sr: int,
                 rng: np.random.Generator) -> np.ndarray:
    """Mono (m,) of the placed notes at fundamental ``f0`` Hz.

    Like :func:`soundscape.procedural.birds.render_song`: only the sounding samples are
    synthesised (notes laid end to end), partial h as T_h(cos(phase)). Roughness:
    pitch jitter (~1.5 %, 40 Hz), shimmer (~12 %, 60 Hz), the tone multiplied by
    ``1 + rough * cos(phase / 2)`` (a subharmonic: period doubling), and breath noise
    at 1.5-5 kHz following the envelope.
    """
    att = max(2, int(ATTACK_S * sr))
    starts = np.array([int(t * sr) for t, _ in notes])
    lens = np.array([max(2 * att + 2, int(n.dur_s * sr)) for _, n in notes])
    total = int(lens.sum())
    m = int(starts[-1] + lens[-1]) + 1
    freq = np.empty(total)
    env = np.empty(total)
    rough = np.empty(total)
    gains = np.zeros((PARTIALS, total))
    o = 0
    for (_, note), k in zip(notes, lens, strict=True):
        u = np.arange(k) / k
        f = f0 * np.interp(u, [0.0, note.peak_at, 1.0], [note.start, note.peak, note.end])
        # A fast attack (the call bursts out), a held body and a longer fall.
        e = np.minimum(1.0, u * k / att) * np.clip((1.0 - u) / 0.4, 0.0, 1.0) ** 1.3
        e[:att] = 0.5 - 0.5 * np.cos(np.pi * np.arange(att) / att)
        freq[o:o + k] = f
        env[o:o + k] = e * note.level
        rough[o:o + k] = note.rough
        fmax = f0 * max(note.start, note.peak, note.end) * 1.03
        gains[:, o:o + k] = _partial_gains(float(np.mean(f)), sr, fmax)[:, None]
        o += k
    jitter = np.interp(np.arange(total), np.linspace(0, total, total // max(1, sr // 40) + 2),
                       rng.normal(0.0, JITTER, total // max(1, sr // 40) + 2))
    shimmer = np.interp(np.arange(total), np.linspace(0, total, total // max(1, sr // 60) + 2),
                        rng.normal(0.0, SHIMMER, total // max(1, sr // 60) + 2))
    phase = (2 * np.pi / sr) * np.cumsum(freq * (1.0 + jitter))
    c = np.cos(phase)
    tone = gains[0] * c
    t_prev, t_cur = np.ones(total), c
    for h in range(1, PARTIALS):
        t_prev, t_cur = t_cur, 2.0 * c * t_cur - t_prev
        tone += gains[h] * t_cur
    tone *= 1.0 + rough * np.cos(0.5 * phase + rng.uniform(0, 2 * np.pi))
    tone /= float(np.sqrt(np.mean(tone**2))) + 1e-12
    sos = scipy.signal.butter(2, [BREATH_HZ[0], min(BREATH_HZ[1], 0.45 * sr)], "bandpass", fs=sr,
                              output="sos")
    breath = scipy.signal.sosfilt(sos, rng.standard_normal(total))
    breath /= float(np.sqrt(np.mean(breath**2))) + 1e-12
    out = np.zeros(m)
    idx = np.arange(total) + np.repeat(starts - (np.cumsum(lens) - lens), lens)
    out[idx] = (tone + BREATH * breath) * env * (1.0 + shimmer)
    return out


def gull(p: dict[str, float | str], max_n: int, sr: int, rng: np.random.Generator) -> np.ndarray:
    """A herring gull (2, m): its long call (3-4 s) or 2-3 "kyow" notes, per ``call``
    ("mixed": the long call 60 % of the time), with a short open-air tail."""
    call = str(p["call"])
    if call == "mixed":
        call = "long" if rng.random() < 0.6 else "kyow"
    f0 = float(rng.uniform(*F0_HZ))  # the notes' peak pitch
    notes = long_call(rng) if call == "long" else kyow_call(rng)
    x = render_notes(notes, f0, sr, rng)[:max_n]
    return place(rng, x, sr, TAIL_S, WET)
