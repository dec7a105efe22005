"""BedPlayer: an endless texture from crossfaded segments.

The timeline is a chain of *plays*. Play k takes variant ``v_k`` from offset
``o_k`` for ``L_k`` frames and starts at absolute frame ``T_k``; the next play starts
``X`` (crossfade) frames before this one ends, so every join is an equal-power
crossfade of two different stretches of material. Variants come in shuffled bags
without an immediate repeat, and lengths and offsets are random, so nothing recurs
at a fixed period. Plays are drawn lazily from a seeded generator: the chain, and
therefore every sample, depends only on the seed, not on block sizes.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import numpy as np

from ..dsp.fades import equal_power, fade_position


@dataclass(frozen=True)
class Play:
    variant: int
    offset: int  # frames into the segment
    length: int  # frames, fades included
    start: int  # absolute frame of its first sample

    @property
    def end(self) -> int:
        return self.start + self.length


class BedPlayer:
    """Pull-based player over ``segments`` (float32 (2, frames) arrays at one rate)."""

    def __init__(self, segments: list[np.ndarray], crossfade: int, seed: int,
                 min_body: int | None = None):
        if not segments:
            raise ValueError("a bed needs at least one segment")
        self.segments = segments
        shortest = min(s.shape[1] for s in segments)
        self.crossfade = max(1, min(crossfade, shortest // 3))
        body = min_body if min_body is not None else self.crossfade // 4
        # a play lasts between half a segment and a whole one, at least 2 fades + body
        self.min_length = min(shortest, max(2 * self.crossfade + body, shortest // 2))
        self.rng = np.random.default_rng([seed, 0xBED])
        self.plays: deque[Play] = deque()
        self._bag: list[int] = []
        self._last_variant = -1
        self._next_start = -self.crossfade  # the first play is faded in before frame 0
        self.position = 0
        self.history: list[Play] = []  # every play drawn (for tests and inspection)
        self.keep_history = False
        # one equal-power curve for every join: fade-in rises along it, fade-out
        # reads it backwards (sin/cos of mirrored positions), so in**2 + out**2 == 1
        x = self.crossfade
        _, rise = equal_power(fade_position(np.arange(x), 0, x))
        self._rise = rise.astype(np.float32)
        self._fall = np.ascontiguousarray(self._rise[::-1])

    def _next_variant(self) -> int:
        n = len(self.segments)
        if not self._bag:
            bag = list(self.rng.permutation(n))
            if n > 1 and bag[0] == self._last_variant:
                bag[0], bag[-1] = bag[-1], bag[0]
            self._bag = bag
        v = int(self._bag.pop(0))
        self._last_variant = v
        return v

    def _draw(self) -> Play:
        variant = self._next_variant()
        size = self.segments[variant].shape[1]
        low = min(self.min_length, size)
        length = int(self.rng.integers(low, size + 1))
        offset = int(self.rng.integers(0, size - length + 1))
        play = Play(variant, offset, length, self._next_start)
        self._next_start = play.end - self.crossfade
        if self.keep_history:
            self.history.append(play)
        return play

    def seek(self, frame: int) -> None:
        """Go forward to ``frame``: the plays up to there are drawn (no audio made), so
        the chain, and every later sample, is the one a full pull would give."""
        if frame < self.position:
            raise ValueError(f"a bed seeks forward only ({frame} < {self.position})")
        while not self.plays or self.plays[-1].end - self.crossfade < frame:
            self.plays.append(self._draw())
            while len(self.plays) > 1 and self.plays[0].end <= frame:
                self.plays.popleft()
        while self.plays and self.plays[0].end <= frame:
            self.plays.popleft()
        self.position = frame

    def pull(self, frames: int) -> np.ndarray:
        a, b = self.position, self.position + frames
        self.position = b
        while not self.plays or self.plays[-1].end - self.crossfade < b:
            self.plays.append(self._draw())
        while self.plays and self.plays[0].end <= a:
            self.plays.popleft()
        out = np.zeros((2, frames), dtype=np.float32)
        x = self.crossfade
        for play in self.plays:
            lo, hi = max(a, play.start), min(b, play.end)
            if lo >= hi:
                continue
            src = self.segments[play.variant]
            s0 = play.offset + (lo - play.start)
            chunk = src[:, s0 : s0 + (hi - lo)]
            fade_in_end = play.start + x
            fade_out_start = play.end - x
            if lo >= fade_in_end and hi <= fade_out_start:
                out[:, lo - a : hi - a] += chunk
                continue
            gain = np.ones(hi - lo, dtype=np.float32)
            if lo < fade_in_end:
                k = min(hi, fade_in_end)
                gain[: k - lo] *= self._rise[lo - play.start : k - play.start]
            if hi > fade_out_start:
                k = max(lo, fade_out_start)
                gain[k - lo :] *= self._fall[k - fade_out_start : hi - fade_out_start]
            out[:, lo - a : hi - a] += chunk * gain
        return out
