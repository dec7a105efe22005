"""Segment integrity checks: what must never reach the ear.

:func:`check_segment` inspects one segment (float32 (channels, frames)) and returns
every :class:`Problem` it finds; an empty list means the segment may be played.

* ``nonfinite``: NaN or infinite samples.
* ``silent``: a bed whose RMS is below SILENT_RMS_DB, an event whose peak is below
  SILENT_PEAK_DB (a generator that produced nothing, a file of digital silence).
* ``dc``: a mean offset above DC_LIMIT (a step in the bias makes a thump at every
  crossfade).
* ``clipping``: flat-topped runs of CLIP_RUN or more samples at or above CLIP_LEVEL.
  With ``strict`` (procedural segments, which are never meant to clip) one run is a
  problem: a drop synthesised past full scale and clipped is a click. Otherwise more
  than CLIP_FRACTION of the samples must be in such runs (a distorted recording).
* ``click`` (beds only): a discontinuity. The second difference of each channel
  (a strong high-pass that turns a step or a one-sample spike into an isolated
  spike) is compared with its own local level, a running median of 5 ms RMS values
  over +-60 ms, which the click itself cannot raise. A click is where it is more
  than CLICK_RATIO times that level, or an *isolated* spike (ISOLATION times
  anything 3-24 samples around it: a step or a one-sample spike, where a natural
  transient rings for several samples) more than ISOLATED_RATIO times that level;
  either way above CLICK_FLOOR in absolute terms. Calibrated on the nine reference
  recordings: rain with loud near drops reaches a ratio of 124 (never isolated),
  fire 17, a stream 42, a forest 45; the most isolated spike anywhere is 19 times
  its level (a thunder crack); none fires.
  A sample over CLICK_RATIO that is not isolated may instead be a loud tonal syllable
  over a quiet floor (a bird's note, a cricket's pulse: its second difference is
  a tone, far above a dark floor's): it is no click when the +-2.7 ms around it are
  *tonal* (:func:`_tonal`), at least TONAL_SHARE of the second difference's energy
  within TONAL_BAND_HZ of its TONAL_PEAKS strongest peaks (a partial and its
  overtones, a sweep of under 1.5 kHz in that time). A click is broadband (a spike's
  or step's second difference spreads over the whole spectrum), so a spike, a step,
  or a tone switched on or off abruptly keeps well over 1 - TONAL_SHARE of its energy
  outside those bands and is still a click; a step inside a loud tone smaller than
  about a quarter of the tone's amplitude is not seen (the tone masks it).
  Events are exempt: a thunder crack is meant to be a step. In bright broadband
  noise a step or spike below ~15x its local level is masked and not flagged; in
  dark textures (surf, roar, wind, rain wash) a 0.05 full-scale step is.

Pure: no I/O. Callers decide what a problem costs: a procedural segment is made
again with another seed, a generated or file segment is rejected with a warning.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.ndimage import median_filter

SILENT_RMS_DB = -70.0
SILENT_PEAK_DB = -60.0
DC_LIMIT = 0.05
CLIP_LEVEL = 0.999
CLIP_RUN = 2
CLIP_FRACTION = 1e-4
CLICK_RATIO = 150.0
CLICK_FLOOR = 0.02
ISOLATED_RATIO = 20.0
ISOLATION = 4.0
ISOLATION_SPAN = 24  # samples either side (0.5 ms at 48 kHz)
CLICK_BLOCK_SECONDS = 0.005
CLICK_CONTEXT_BLOCKS = 25  # +-60 ms of 5 ms blocks
TONAL_WINDOW_S = 0.0053  # s, the window a hit's tonality is judged over (256 at 48 kHz)
TONAL_BAND_HZ = 750.0  # Hz either side of each peak
TONAL_PEAKS = 3
TONAL_SHARE = 0.97
TONAL_GROUP = 32  # samples: hits this close share one tonality test (at their largest)


@dataclass(frozen=True)
class Problem:
    """One reason a segment must not be played. ``at`` is seconds into it, if known."""

    kind: str  # nonfinite | silent | dc | clipping | click
    detail: str
    at: float | None = None

    def __str__(self) -> str:
        where = f" at {self.at:.3f} s" if self.at is not None else ""
        return f"{self.kind}{where}: {self.detail}"


def _db(x: float) -> float:
    return 20.0 * float(np.log10(x)) if x > 0 else float("-inf")


def find_clicks(audio: np.ndarray, rate: int, limit: int = 20) -> list[float]:
    """Times in seconds of discontinuities (see the module docstring), at most ``limit``."""
    x = np.asarray(audio, dtype=np.float64)
    if x.ndim == 1:
        x = x[None, :]
    block = max(8, int(round(CLICK_BLOCK_SECONDS * rate)))
    found: set[int] = set()
    for ch in x:
        e = np.abs(np.diff(ch, 2))
        nblocks = len(e) // block
        if nblocks < 3:
            continue
        rms = np.sqrt(np.mean(e[: nblocks * block].reshape(nblocks, block) ** 2, axis=1))
        local = median_filter(rms, size=2 * CLICK_CONTEXT_BLOCKS + 1, mode="nearest")
        level = np.repeat(local, block)
        level = np.concatenate([level, np.full(len(e) - len(level), local[-1])])
        # the neighbourhood test costs ISOLATION_SPAN passes over the signal, so it is
        # made only where a sample could be a click at all (a handful of places)
        cand = np.flatnonzero((e > min(CLICK_RATIO, ISOLATED_RATIO) * level)
                              & (e > CLICK_FLOOR))
        ec, lc = e[cand], level[cand]
        isolated = (ec > ISOLATED_RATIO * lc) & (ec > ISOLATION * _neighbourhood_max_at(e, cand))
        loud = (ec > CLICK_RATIO * lc) & ~isolated
        if loud.any():
            loud[loud] = ~_tonal(np.diff(ch, 2), e, cand[loud], rate)
        hits = cand[isolated | loud]
        # one click per 10 ms
        last = -(10**9)
        for i in hits:
            if i - last > rate // 100:
                found.add(int(i) + 1)
                last = int(i)
    times = sorted(found)
    merged: list[int] = []
    for t in times:
        if not merged or t - merged[-1] > rate // 100:
            merged.append(t)
    return [t / rate for t in merged[:limit]]


def _tonal(d2: np.ndarray, e: np.ndarray, idx: np.ndarray, rate: int) -> np.ndarray:
    """Whether each hit at ``idx`` (sorted) lies in a tone: the Hann-windowed second
    difference ``d2`` over TONAL_WINDOW_S around it has TONAL_SHARE of its energy
    within TONAL_BAND_HZ of its TONAL_PEAKS strongest peaks. Hits within TONAL_GROUP
    samples of each other are judged once, at the largest of them (``e = |d2|``)."""
    group = idx // TONAL_GROUP
    starts = np.flatnonzero(np.concatenate([[True], group[1:] != group[:-1]]))
    ends = np.append(starts[1:], len(idx))
    centres = np.array([idx[a + int(np.argmax(e[idx[a:b]]))] for a, b in zip(starts, ends,
                                                                         strict=True)])
    n = max(16, int(round(TONAL_WINDOW_S * rate)))
    half = n // 2
    pad = np.pad(d2, (half, n - half))
    frames = pad[centres[:, None] + np.arange(n)[None, :]] * np.hanning(n)
    power = np.abs(np.fft.rfft(frames, axis=1)) ** 2
    total = power.sum(axis=1) + 1e-300
    band = max(1, int(round(TONAL_BAND_HZ * n / rate)))
    taken = np.zeros(len(centres))
    for _ in range(TONAL_PEAKS):
        k = np.argmax(power, axis=1)
        lo, hi = np.maximum(k - band, 0), k + band + 1
        cols = np.arange(power.shape[1])[None, :]
        inside = (cols >= lo[:, None]) & (cols < hi[:, None])
        taken += np.where(inside, power, 0.0).sum(axis=1)
        power[inside] = 0.0
    tonal = taken / total >= TONAL_SHARE
    return np.repeat(tonal, ends - starts)


def _neighbourhood_max(e: np.ndarray) -> np.ndarray:
    """Largest value 3..ISOLATION_SPAN samples either side of each sample."""
    span = ISOLATION_SPAN
    pad = np.pad(e, (span, span))
    n = len(e)
    out = np.zeros_like(e)
    for k in range(3, span + 1):
        np.maximum(out, pad[span - k : span - k + n], out=out)
        np.maximum(out, pad[span + k : span + k + n], out=out)
    return out


def _neighbourhood_max_at(e: np.ndarray, idx: np.ndarray) -> np.ndarray:
    """``_neighbourhood_max(e)[idx]``, computed at ``idx`` only."""
    out = np.zeros(idx.size, dtype=e.dtype)
    n = len(e)
    for k in range(3, ISOLATION_SPAN + 1):
        for j in (idx - k, idx + k):
            inside = (j >= 0) & (j < n)
            np.maximum(out, np.where(inside, e[np.clip(j, 0, n - 1)], 0.0), out=out)
    return out


def _clipped_fraction(x: np.ndarray) -> float:
    over = np.abs(x) >= CLIP_LEVEL
    if not over.any():
        return 0.0
    total = 0
    for ch in over:
        padded = np.concatenate([[False], ch, [False]]).astype(np.int8)
        edges = np.diff(padded)
        starts, ends = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
        runs = ends - starts
        total += int(runs[runs >= CLIP_RUN].sum())
    return total / x.size


def check_segment(audio: np.ndarray, rate: int, kind: str = "bed",
                  strict: bool = False) -> list[Problem]:
    """Every problem of one segment; ``kind`` is "bed" or "event" (events skip clicks).

    ``strict`` (for synthesised segments) makes a single clipped run a problem.
    """
    x = np.asarray(audio)
    if x.ndim != 2 or x.shape[1] == 0:
        return [Problem("silent", f"no audio (shape {x.shape})")]
    finite = np.isfinite(x)
    if not finite.all():
        bad = int(x.size - np.count_nonzero(finite))
        first = int(np.flatnonzero(~finite.all(axis=0))[0])
        return [Problem("nonfinite", f"{bad} NaN or infinite samples", first / rate)]
    x64 = x.astype(np.float64)
    problems: list[Problem] = []
    if kind == "bed":
        level = _db(float(np.sqrt(np.mean(x64**2))))
        if level < SILENT_RMS_DB:
            problems.append(Problem("silent", f"RMS {level:.1f} dBFS"))
            return problems
    else:
        peak = _db(float(np.max(np.abs(x64))))
        if peak < SILENT_PEAK_DB:
            problems.append(Problem("silent", f"peak {peak:.1f} dBFS"))
            return problems
    dc = np.abs(x64.mean(axis=1))
    if dc.max() > DC_LIMIT:
        problems.append(Problem("dc", f"mean offset {dc.max():.3f} full scale"))
    clipped = _clipped_fraction(x64)
    if clipped > (0.0 if strict else CLIP_FRACTION):
        count = int(round(clipped * x64.size))
        problems.append(Problem("clipping", f"{count} samples in flat tops at full scale "
                                            f"({100 * clipped:.3f} %)"))
    if kind == "bed":
        clicks = find_clicks(x64, rate, limit=3)
        for t in clicks:
            problems.append(Problem("click", "discontinuity in the waveform", t))
    return problems


def describe(problems: list[Problem]) -> str:
    """One line for a warning: "click at 4.480 s: ...; dc: ..."."""
    return "; ".join(str(p) for p in problems)
