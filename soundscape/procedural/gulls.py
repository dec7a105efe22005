"""The herring gull (Larus argentatus): its long call and its single "kyow".

The long call (Tinbergen, The Herring Gull's World, 1953; Mierauskas & Greimas 1992,
Bioacoustics 4: 8-14 elements in coastal Baltic birds) is sung with a head toss: "The
gull starts calling with the neck pointing down, the calls well spaced, then the
calling becomes faster in a staccato and the gull stretches its neck and points up and
then the call dies in intensity" (therattlingcrow.blogspot.com, "Herring Gull pair long
call duetting", 2020, with a sonogram). Modelled (v12): two long, drawn-out notes (a
quick rise, a long level/falling top, a fall) well spaced, then a run of shorter notes
whose gaps close up, sinking and fading: 7-9 notes (mostly 8) in 3.7-4.1 s. The "kyow" (yeow)
call is one such note alone, a clear, sharp note of descending pitch, given singly or
repeated (The 'Yeow' Call, Appledore gull study notes, 2012).

Voice: harsh and harmonic. A note's fundamental rises to its peak (1570-1720 Hz; a
kyow leaps from about half of it, a long-call note from 0.5-0.8 of it) and falls; 3
partials under a broad vocal-tract resonance near 2.2 kHz put the energy at 0.8-4
kHz; nonlinear roughness comes from period doubling (a subharmonic at f0 / 2,
amplitude modulation of the tone by half its own phase), pitch jitter and shimmer, a
noisy amplitude modulation (150 Hz wide: the harsh "yelping" edge) and a little
breath noise that follows the amplitude.

Tuned against BirdNET V2.4 (issue 14), and said plainly: the pitch, resonance, tilt,
harshness, breath and the long call's timing and note shapes (constants marked *)
were found by random and local searches against BirdNET's gull scores, inside the
published structure above. A first version peaking at 600-1000 Hz was never named a
gull; the v7-v11 long call, an even series of 7-9 notes 0.04-0.055 s apart, was named
a gull in 29 % of calls and "Siren" in 61 % of its chunks (an even train of up-down
sweeps). The v12 long call is named a herring gull in 17 of 24 calls (seeds 0-23)
and 18 of 24 (seeds 2000-2023), never "Siren"; the kyow in 24 of 24 on both (3 s
chunks, top label at >= 0.25). A search for any gull (Larus) alone gave a call named
a Caspian gull in 18-21 of 24, and herring gull in none: the figures here come from
a second search for the herring gull's own margin.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.signal

from soundscape.procedural.creatures import place

CALLS = ("mixed", "long", "kyow")
F0_HZ = (1570.0, 1720.0)  # * Hz, an individual's fundamental at its notes' peak
PARTIALS = 3
TILT = 0.89  # * partial h has amplitude h**-TILT before the resonance
FORMANT_HZ = 2230.0  # * Hz, centre of the vocal-tract resonance
FORMANT_WIDTH_HZ = 1000.0
FORMANT_GAIN = 1.04  # * the resonance's peak gain above 1
JITTER = 0.005  # pitch jitter (relative, about 40 Hz)
JITTER_HZ = 40.0
HARSH = 0.18  # * depth of noisy amplitude modulation (the tone times 1 + HARSH * noise)
HARSH_HZ = 150.0  # its bandwidth
SHIMMER = 0.03  # level shimmer (relative, about 60 Hz)
BREATH = 0.05  # * breath noise RMS re the tone
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
    hold_at: float = 0.0  # where the level/falling top ends (0: no held top)
    hold: float = 1.0  # the pitch there (re f0)


# The long call. Published structure: "The gull starts calling with the neck pointing
# down, the calls well spaced, then the calling becomes faster in a staccato and the
# gull stretches its neck and points up and then the call dies in intensity" (a Filey
# pair and their sonogram, therattlingcrow.blogspot.com, "Herring Gull pair long call
# duetting", 2020; the head toss after Tinbergen 1953). So: OPEN_NOTES long, drawn-out
# notes, well spaced, then a faster run of shorter notes whose gaps close up, the series
# sinking and fading. The figures below (marked *) were found by a random then local
# search against BirdNET V2.4's gull scores (issue 14: 10 calls per point, seeds
# 100-109), inside ranges that keep that structure; see the long_call docstring.
OPEN_NOTES = 2  # well-spaced opening notes ("kyaa", neck down)
OPEN_NOTE_S = 0.417  # * s, each (x U(0.9, 1.1))
OPEN_GAP_S = 0.4  # * s, the pause after each (x U(0.8, 1.2))
# * an opening note's pitch re f0: start, rise to the peak at PEAK_AT of the note, a
# long level/falling top to HOLD (re peak) at HOLD_AT, then down to END (re peak)
OPEN_SHAPE = (0.474, 0.35, 0.85, 0.834, 0.689)  # start, peak at, hold at, hold, end
OPEN_PITCH = 0.961  # * the opening notes' peak re the run's first
RUN_NOTES = 7  # staccato notes drawn ("kya-kya", neck up); those past CALL_MAX_S are dropped
RUN_NOTE_S = 0.267  # * s, the first run note (x U(0.9, 1.1))
RUN_SHORTEN = 0.286  # * the last run note is this much shorter: the run speeds up
RUN_GAP_S = 0.174  # * s, the first gap of the run (x U(0.8, 1.2))
RUN_GAP_SHRINK = 0.238  # * and the last gap this much shorter
RUN_SHAPE = (0.793, 0.195, 0.739)  # * a run note's pitch at its start, where it peaks, its end
NOTE_VARY = 0.1  # * each note's start and end pitch x U(1 -+ NOTE_VARY): no two alike
CALL_FALL = 0.972  # * each note's pitch re the one before: the series sinks
CALL_FADE = 0.947  # * and its level: it dies away
LONG_ROUGH = 0.1475  # * subharmonic depth of the long call's notes (a kyow's: 0.14)
CALL_MAX_S = 4.1  # s, notes ending later are dropped (the event, tail included, <= 4.5 s)
SHAPE = (0.51, 0.12, 0.68)  # a kyow note's pitch at its start, where it peaks, at its end
ROUGH = 0.14  # subharmonic depth of the kyow's notes
KYOW_NOTES = (2, 3)  # notes of one kyow call (inclusive): a single note is rarely named


def long_call(rng: np.random.Generator) -> list[tuple[float, Note]]:
    """(onset s, note) of one long call: OPEN_NOTES long notes (0.45-0.55 s) with a
    quick rise, a long level/falling top and a fall, well spaced (0.29-0.44 s pauses),
    then a run of shorter notes (0.3 s, shortening) whose gaps close up (0.2 s,
    shrinking), each note softer (CALL_FADE) than the one before and the run sinking
    (CALL_FALL); notes past CALL_MAX_S are dropped: 7-8 notes in 3.7-4.1 s.

    Tuned against BirdNET V2.4 (issue 14): the figures marked * in the constants were
    found by a random then a local search (about 500 points, 10 calls each, seeds
    100-109) of BirdNET's margin of its gull labels over every other label, inside
    ranges that keep the published structure (2-4 well-spaced opening notes of
    0.3-0.5 s, 3-8 run notes of 0.15-0.32 s with shrinking gaps), then a local search
    (160 points) of the herring gull's own margin. Named a herring gull in 17-18 of 24
    calls (module docstring)."""
    op_start, op_peak_at, op_hold_at, op_hold, op_end = OPEN_SHAPE
    run_start, run_peak_at, run_end = RUN_SHAPE

    def vary() -> float:
        return float(rng.uniform(1.0 - NOTE_VARY, 1.0 + NOTE_VARY))

    notes: list[tuple[float, Note]] = []
    t = 0.0
    for i in range(OPEN_NOTES):
        d = OPEN_NOTE_S * float(rng.uniform(0.9, 1.1))
        pk = OPEN_PITCH * CALL_FALL**i
        notes.append((t, Note(d, op_start * pk * vary(), pk, op_end * pk * vary(), op_peak_at,
                              CALL_FADE**i, LONG_ROUGH, hold_at=op_hold_at, hold=op_hold * pk)))
        t += d + OPEN_GAP_S * float(rng.uniform(0.8, 1.2))
    for j in range(RUN_NOTES):
        i = OPEN_NOTES + j
        u = j / max(1, RUN_NOTES - 1)
        pk = CALL_FALL**i
        d = RUN_NOTE_S * (1.0 - RUN_SHORTEN * u) * float(rng.uniform(0.9, 1.1))
        notes.append((t, Note(d, run_start * pk * vary(), pk, run_end * pk * vary(), run_peak_at,
                              CALL_FADE**i, LONG_ROUGH)))
        t += d + RUN_GAP_S * (1.0 - RUN_GAP_SHRINK * u) * float(rng.uniform(0.8, 1.2))
    while len(notes) > OPEN_NOTES + 1 and notes[-1][0] + notes[-1][1].dur_s > CALL_MAX_S:
        notes.pop()
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
    ``1 + rough * cos(phase / 2)`` (a subharmonic: period doubling) and by ``1 + HARSH *
    noise`` (noise low-passed at HARSH_HZ: each partial spread into a band), and breath noise
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
        if note.hold_at > note.peak_at:
            f = f0 * np.interp(u, [0.0, note.peak_at, note.hold_at, 1.0],
                                [note.start, note.peak, note.hold, note.end])
        else:
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
    nj = total // max(1, int(sr // JITTER_HZ)) + 2
    jitter = np.interp(np.arange(total), np.linspace(0, total, nj), rng.normal(0.0, JITTER, nj))
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
    if HARSH > 0:
        hs = scipy.signal.butter(2, HARSH_HZ, "lowpass", fs=sr, output="sos")
        hn = scipy.signal.sosfilt(hs, rng.standard_normal(total))
        tone *= 1.0 + HARSH * hn / (float(np.sqrt(np.mean(hn**2))) + 1e-12)
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
