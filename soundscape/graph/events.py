"""EventPlayer: sporadic one-shots placed by a seeded random process.

Inter-onset times are exponential (a Poisson process at the layer's rate, which
phases may automate) or uniform within the layer's interval range, and never shorter
than the minimum gap. Each event draws a variant, a gain, a pan and a distance
(level drop plus low-pass). Events are rendered whole when scheduled and mixed as
time passes, so none is ever cut off; they may overlap.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ..dsp.fades import pan_gains
from ..dsp.filters import lowpass

DISTANCE_DROP_DB = 12.0  # level drop at distance 1.0
DISTANCE_MIN_CUTOFF_HZ = 1200.0  # low-pass corner at distance 1.0 (20 kHz at 0.0)
IDLE_POLL_SECONDS = 1.0  # re-check an automated rate of zero this often


@dataclass(frozen=True)
class EventPlan:
    """How one layer's events are drawn; rates in events per second."""

    rate: Callable[[float], float]  # events/second at time t (seconds)
    interval: tuple[float, float] | None  # seconds, when given instead of a rate
    base_rate: float  # events/second the interval range implies (for automation)
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

    def _gap(self, t: float) -> float | None:
        """Seconds to the next onset after time t; None when the rate is zero."""
        plan = self.plan
        rate = plan.rate(t)
        if rate <= 0:
            return None
        if plan.interval is not None:
            draw = self.rng.uniform(*plan.interval) * (plan.base_rate / rate)
        else:
            draw = self.rng.exponential(1.0 / rate)
        return max(plan.min_gap, draw)

    def _first_time(self) -> float:
        # start mid-process: the first onset is a random fraction of a gap away
        t = 0.0
        while True:
            gap = self._gap(t)
            if gap is not None:
                return t + gap * self.rng.uniform(0.2, 1.0)
            t += IDLE_POLL_SECONDS

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
            gap = self._gap(t)
            while gap is None:
                t += IDLE_POLL_SECONDS
                gap = self._gap(t)
            self._next_time = t + gap
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
