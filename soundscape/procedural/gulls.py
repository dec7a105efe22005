"""The herring gull (Larus argentatus): its long call and its single "kyow".

The long call (Tinbergen, The Herring Gull's World, 1953; Mierauskas & Greimas 1992,
Bioacoustics 4: 8-14 elements in coastal Baltic birds) is sung with a head toss:
long, loud "kee-ow" notes as the head is thrown back, then a run of shorter "ha"
notes ("laughing") that fade away. The "kyow" (yeow) call is one such long note alone, a
clear, sharp note of descending pitch, given singly or repeated (The 'Yeow' Call,
Appledore gull study notes, 2012).

Voice: harsh and harmonic-rich. The fundamental rises to 900-1300 Hz at a note's
peak and spans about 650-1300 Hz over the note (a first version peaking at 600-1000
Hz was never heard as a gull by BirdNET; at these pitches it names the herring gull
or its relatives), with 14 partials shaped by a broad vocal-tract resonance near
2-3 kHz, so the energy lies at 1-4 kHz; nonlinear roughness comes from period
doubling (a subharmonic at f0 / 2, amplitude modulation of the tone by half its own
phase), pitch jitter and shimmer, and a little breath noise that follows the
amplitude.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.signal

from soundscape.procedural.creatures import place

CALLS = ("mixed", "long", "kyow")
F0_HZ = (900.0, 1300.0)  # Hz, an individual's fundamental at its notes' peak
PARTIALS = 14
FORMANT_HZ = 2300.0  # Hz, centre of the vocal-tract resonance
FORMANT_WIDTH_HZ = 1100.0
ATTACK_S = 0.012  # s, the shortest rise of a note (no click)


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


def long_call(rng: np.random.Generator) -> list[tuple[float, Note]]:
    """(onset s, note) of one long call, 8-11 elements: 3-4 long "kee-ow" notes
    (0.25-0.35 s, 0.15 s apart) as the head is thrown back, then 5-7 shorter "ha"
    notes (0.15-0.2 s, 0.1 s apart) that fade and fall slightly in pitch: about
    3.5 notes per second throughout, as in coastal herring gulls (8-14 elements)."""
    notes: list[tuple[float, Note]] = []
    t = 0.0
    for _ in range(int(rng.integers(3, 5))):
        d = float(rng.uniform(0.25, 0.35))
        notes.append((t, Note(d, 0.8, 1.15, 0.8, 0.15, 1.0, 0.15)))
        t += d + 0.15
    for i in range(int(rng.integers(5, 8))):
        d = float(rng.uniform(0.15, 0.2))
        fall = 0.99**i
        notes.append((t, Note(d, 0.85 * fall, 1.1 * fall, 0.85 * fall, 0.2, 0.95**i, 0.15)))
        t += d + 0.1
    return notes


def kyow_call(rng: np.random.Generator) -> list[tuple[float, Note]]:
    """(onset s, note) of 1-3 single "kyow" notes, 0.5-1.2 s apart."""
    notes: list[tuple[float, Note]] = []
    t = 0.0
    for i in range(int(rng.integers(1, 4))):
        d = float(rng.uniform(0.28, 0.42))
        notes.append((t, Note(d, float(rng.uniform(0.85, 0.95)), float(rng.uniform(1.12, 1.25)),
                              float(rng.uniform(0.68, 0.78)), float(rng.uniform(0.15, 0.3)),
                              1.0 - 0.1 * i, float(rng.uniform(0.2, 0.4)))))
        t += d + float(rng.uniform(0.5, 1.2))
    return notes


def _partial_gains(f_mean: float, sr: int, f_max: float) -> np.ndarray:
    """Amplitudes of partials 1..PARTIALS of a note at mean pitch ``f_mean``: a 1/h**0.5
    tilt times the resonance near FORMANT_HZ; partials that could pass 0.45 * sr at
    the note's highest pitch ``f_max`` are zero (no aliasing)."""
    h = np.arange(1, PARTIALS + 1)
    res = 1.0 + 2.5 * np.exp(-(((h * f_mean) - FORMANT_HZ) / FORMANT_WIDTH_HZ) ** 2)
    return np.where(h * f_max < 0.45 * sr, h**-0.5 * res, 0.0)


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
        gains[:, o:o + k] = _partial_gains(f0 * note.peak * 0.95, sr, fmax)[:, None]
        o += k
    jitter = np.interp(np.arange(total), np.linspace(0, total, total // max(1, sr // 40) + 2),
                       rng.normal(0.0, 0.015, total // max(1, sr // 40) + 2))
    shimmer = np.interp(np.arange(total), np.linspace(0, total, total // max(1, sr // 60) + 2),
                        rng.normal(0.0, 0.12, total // max(1, sr // 60) + 2))
    phase = (2 * np.pi / sr) * np.cumsum(freq * (1.0 + jitter))
    c = np.cos(phase)
    tone = gains[0] * c
    t_prev, t_cur = np.ones(total), c
    for h in range(1, PARTIALS):
        t_prev, t_cur = t_cur, 2.0 * c * t_cur - t_prev
        tone += gains[h] * t_cur
    tone *= 1.0 + rough * np.cos(0.5 * phase + rng.uniform(0, 2 * np.pi))
    tone /= float(np.sqrt(np.mean(tone**2))) + 1e-12
    sos = scipy.signal.butter(2, [1500.0, min(5000.0, 0.45 * sr)], "bandpass", fs=sr,
                              output="sos")
    breath = scipy.signal.sosfilt(sos, rng.standard_normal(total))
    breath /= float(np.sqrt(np.mean(breath**2))) + 1e-12
    out = np.zeros(m)
    idx = np.arange(total) + np.repeat(starts - (np.cumsum(lens) - lens), lens)
    out[idx] = (tone + 0.15 * breath) * env * (1.0 + shimmer)
    return out


def gull(p: dict[str, float | str], max_n: int, sr: int, rng: np.random.Generator) -> np.ndarray:
    """A herring gull (2, m): its long call (3-4 s) or 1-3 "kyow" notes, per ``call``
    ("mixed": the long call 60 % of the time), with a short open-air tail."""
    call = str(p["call"])
    if call == "mixed":
        call = "long" if rng.random() < 0.6 else "kyow"
    f0 = float(rng.uniform(*F0_HZ)) / 1.15  # F0_HZ is the note peak; the contour peaks ~1.15
    notes = long_call(rng) if call == "long" else kyow_call(rng)
    x = render_notes(notes, f0, sr, rng)[:max_n]
    return place(rng, x, sr, 0.5, 0.12)
