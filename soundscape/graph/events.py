"""EventPlayer: sporadic one-shots placed by a seeded random process.

Inter-onset times are exponential (a Poisson process at the layer's rate) or uniform
within the layer's interval range, and never shorter than the minimum gap. When
phases automate the rate, gaps are drawn in *operational time*: a draw is a number of
expected events, and the next onset is where the integral of the rate since the last
one reaches it, so a rate that ramps up from zero brings events in as it rises.
Each event draws a variant, a gain, a pan and a distance (level drop plus low-pass).
Events are rendered whole when scheduled and mixed as time passes, so none is ever
cut off; they may overlap.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ..dsp.fades import pan_gains
from ..dsp.filters import lowpass

DISTANCE_DROP_DB = 12.0  # level drop at distance 1.0
DISTANCE_MIN_CUTOFF_HZ = 1200.0  # low-pass corner at distance 1.0 (20 kHz at 0.0)
RATE_STEP_SECONDS = 0.25  # resolution of the rate integral
RATE_HORIZON_SECONDS = 7 * 86400.0  # a rate of zero for longer than this ends the layer


@dataclass(frozen=True)
class EventPlan:
    """How one layer's events are drawn; rates in events per second."""

    rate: Callable[[np.ndarray], np.ndarray]  # events/second at times t (seconds)
    interval: tuple[float, float] | None  # seconds, when given instead of a rate
    base_rate: float  # events/second without automation (the interval range's)
    constant: bool  # True when no phase changes the rate
    min_gap: float
    gain_db: tuple[float, float]
    pan: tuple[float, float]
    distance: tuple[float, float] | None


@dataclass
class Placed:
    start: int
    audio: np.ndarray
    variant: int
    gain_db: float
    pan: float
    distance: float

    @property
    def end(self) -> int:
        return self.start + self.audio.shape[1]


class EventPlayer:
    def __init__(self, variants: list[np.ndarray], plan: EventPlan, rate: int, seed: int):
        if not variants:
            raise ValueError("an event layer needs at least one variant")
        self.variants = variants
        self.plan = plan
        self.sample_rate = rate
        self.rng = np.random.default_rng([seed, 0xE7E])
        self.pending: list[Placed] = []
        self.position = 0
        self._next_time = self._first_time()
        self._last_variant = -1
        self.history: list[Placed] = []
        self.keep_history = False

    def _draw(self) -> float:
        """One gap in expected events (operational time)."""
        plan = self.plan
        if plan.interval is not None:
            return float(self.rng.uniform(*plan.interval)) * plan.base_rate
        return float(self.rng.exponential(1.0))

    def _advance(self, t: float, amount: float) -> float:
        """The time after ``t`` where the integral of the rate reaches ``amount``."""
        plan = self.plan
        if plan.constant:
            return t + amount / plan.base_rate if plan.base_rate > 0 else float("inf")
        step, chunk = RATE_STEP_SECONDS, 480
        start, done = t, 0.0
        while start < t + RATE_HORIZON_SECONDS:
            grid = start + step * np.arange(chunk)
            inc = np.maximum(plan.rate(grid), 0.0) * step
            cum = done + np.cumsum(inc)
            i = int(np.searchsorted(cum, amount))
            if i < chunk:
                before = cum[i - 1] if i > 0 else done
                return float(grid[i] + step * (amount - before) / inc[i])
            done = float(cum[-1])
            start += step * chunk
        return float("inf")

    def _next_after(self, t: float) -> float:
        return max(t + self.plan.min_gap, self._advance(t, self._draw()))

    def _first_time(self) -> float:
        # start mid-process: the first onset is a random fraction of a gap away
        return self._advance(0.0, self._draw() * float(self.rng.uniform(0.2, 1.0)))

    def _place(self, start_s: float) -> Placed:
        plan, rng = self.plan, self.rng
        n = len(self.variants)
        variant = int(rng.integers(0, n))
        if n > 1 and variant == self._last_variant:
            variant = (variant + 1 + int(rng.integers(0, n - 1))) % n
        self._last_variant = variant
        gain_db = float(rng.uniform(*plan.gain_db))
        pan = float(rng.uniform(*plan.pan))
        distance = float(rng.uniform(*plan.distance)) if plan.distance else 0.0
        audio = self.variants[variant]
        if distance > 0:
            cutoff = 20000.0 * (DISTANCE_MIN_CUTOFF_HZ / 20000.0) ** distance
            audio = lowpass(audio, self.sample_rate, cutoff)
        gl, gr = pan_gains(pan)
        level = 10 ** ((gain_db - DISTANCE_DROP_DB * distance) / 20)
        audio = audio * np.array([[gl * level], [gr * level]], dtype=np.float32)
        start = int(round(start_s * self.sample_rate))
        placed = Placed(start, audio.astype(np.float32), variant, gain_db, pan, distance)
        if self.keep_history:
            self.history.append(placed)
        return placed

    def pull(self, frames: int) -> np.ndarray:
        a, b = self.position, self.position + frames
        self.position = b
        while self._next_time * self.sample_rate < b:
            t = self._next_time
            self.pending.append(self._place(t))
            self._next_time = self._next_after(t)
        out = np.zeros((2, frames), dtype=np.float32)
        keep = []
        for ev in self.pending:
            lo, hi = max(a, ev.start), min(b, ev.end)
            if lo < hi:
                out[:, lo - a : hi - a] += ev.audio[:, lo - ev.start : hi - ev.start]
            if ev.end > b:
                keep.append(ev)
        self.pending = keep
        return out
