"""EventPlayer: sporadic one-shots placed by a seeded random process.

Timing is a renewal process with a refractory period. After each onset nothing
happens for ``min_gap`` seconds; then the *excess* part of the gap is drawn:
exponential (a Poisson process) or, for an interval range, uniform. The excess runs
at a corrected rate (see :func:`excess_rate`) so the long-run mean rate is still the
layer's rate: mean gap = ``1/rate`` = ``min_gap`` + mean excess. When ``min_gap``
leaves no room for that (``min_gap >= 1/rate`` or close), the excess keeps a mean of
``EXCESS_FLOOR * min_gap`` and the rate is capped at ``1 / ((1 + EXCESS_FLOOR) *
min_gap)``. So ``min_gap`` never clamps draws onto one value: gaps spread out
continuously above it, as in nature, instead of piling up at exactly ``min_gap``.

When phases automate the rate, the excess is drawn in *operational time*: a draw is
a number of expected events, and the next onset is where the integral of the
(corrected) rate since the end of the refractory period reaches it, so a rate that
ramps up from zero brings events in as it rises.

Each event draws a variant, a gain, a pan and a distance (level drop plus low-pass).
A renewable pool (a procedural layer) plays a freshly synthesised segment for every
event instead of the drawn variant, made on a worker thread while the previous event
plays, so no two events are the same sound (see :mod:`soundscape.graph.pool`); an
event from finite material (files, generated) is given ``speeds`` (the beds' 0.97-1.03)
and plays at one of them, drawn per event.
Events are rendered whole when scheduled and mixed as time passes, so none is ever
cut off; they may overlap. With ``keep_history`` every scheduled event is also
recorded as a :class:`Placed` (no audio) for cue sheets; take them with
:meth:`EventPlayer.drain_history`.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ..dsp.convert import at_speed
from ..dsp.fades import pan_unity_centre
from ..dsp.filters import lowpass
from ..filesource import EVENT_MAX_SECONDS
from ..seeds import generator
from .pool import SegmentPool, as_pool, copy_sharing

SPEED_EDGE = 48  # frames faded at each end of a resampled event (exact zeros again)


def edged_at_speed(audio: np.ndarray, speed: float) -> np.ndarray:
    """An event (2, n) played ``speed`` times as fast, still starting and ending at
    exactly zero (the resampler's ringing is faded over SPEED_EDGE frames)."""
    out = at_speed(audio, speed)
    edge = min(SPEED_EDGE, out.shape[1] // 2)
    if edge > 0:
        ramp = np.arange(edge, dtype=np.float32) / edge
        out[:, :edge] *= ramp
        out[:, -edge:] *= ramp[::-1]
    return out

DISTANCE_DROP_DB = 12.0  # level drop at distance 1.0
DISTANCE_MIN_CUTOFF_HZ = 1200.0  # low-pass corner at distance 1.0 (20 kHz at 0.0)
RATE_STEP_SECONDS = 0.25  # resolution of the rate integral
RATE_HORIZON_SECONDS = 7 * 86400.0  # a rate of zero for longer than this ends the layer
EXCESS_FLOOR = 0.25  # the random part of a gap averages at least this times min_gap
HISTORY_LIMIT = 100_000  # newest records kept when history is never drained


def excess_rate(rate: np.ndarray | float, min_gap: float) -> np.ndarray:
    """Rate (1/s) of the random part of a gap that follows ``min_gap`` seconds of rest.

    ``rate / (1 - rate * min_gap)``: its mean, ``1/rate - min_gap``, plus the
    refractory period gives a mean gap of ``1/rate``. The mean excess never drops
    below ``EXCESS_FLOOR * min_gap``, which caps the layer's rate (see module
    docstring). A rate of 0 stays 0.
    """
    r = np.maximum(np.asarray(rate, dtype=np.float64), 0.0)
    return r / np.maximum(1.0 - r * min_gap, EXCESS_FLOOR * r * min_gap)


def mean_gap(rate: np.ndarray | float, min_gap: float) -> np.ndarray:
    """Mean seconds between onsets at ``rate`` events/s: ``max(1/rate, (1+floor)*min_gap)``."""
    r = np.maximum(np.asarray(rate, dtype=np.float64), 1e-12)
    return np.maximum(1.0 / r, (1.0 + EXCESS_FLOOR) * min_gap)


@dataclass(frozen=True)
class EventPlan:
    """How one layer's events are drawn; rates in events per second."""

    rate: Callable[[np.ndarray], np.ndarray]  # events/second at times t (seconds)
    interval: tuple[float, float] | None  # seconds, when given instead of a rate
    base_rate: float  # events/second without automation (the interval range's)
    constant: bool  # True when no phase changes the rate
    min_gap: float  # refractory period after each onset, seconds
    gain_db: tuple[float, float]
    pan: tuple[float, float]
    distance: tuple[float, float] | None


@dataclass(frozen=True)
class Placed:
    """One scheduled event: onset and length in absolute frames, and what was drawn.

    ``gain_db`` is the drawn event gain (before the distance drop and the layer's phase
    level); ``pan`` is -1..1; ``distance`` is 0..1 (0 when the layer has no range).
    """

    start: int
    frames: int
    variant: int
    gain_db: float
    pan: float
    distance: float

    @property
    def end(self) -> int:
        return self.start + self.frames


class EventPlayer:
    """``pull(frames)`` -> float32 (2, frames): the layer's events mixed over time."""

    def __init__(self, variants: SegmentPool | list[np.ndarray], plan: EventPlan, rate: int,
                 seed: int, speeds: tuple[float, ...] = (1.0,)):
        self.pool = as_pool(variants)
        self._placed = 0  # events scheduled so far (a renewable pool's fresh index)
        self.speeds = speeds  # finite pools: each event plays at one of these
        # its own salt, not yet in seeds.SALTS (kept so file events play the same speeds)
        self._speeds = generator(seed, "event-speed")
        self._speed = 1.0
        self.plan = plan
        self.sample_rate = rate
        self.seed = seed
        self.rng = generator(seed, "events")
        self.pending: list[tuple[int, np.ndarray]] = []  # (start frame, audio) sounding
        self.position = 0
        self._last_variant = -1
        self._excess = self._excess_shape()
        self._next_time = self._first_time()
        self._gap_start = 0.0  # seconds: where the random part of the current gap began
        self.history: list[Placed] = []  # newest HISTORY_LIMIT, when keep_history
        self.keep_history = False
        self._trigger_rng: np.random.Generator | None = None  # auditions (trigger)

    def __deepcopy__(self, memo: dict[int, object]) -> EventPlayer:
        """A copy (``copy_chain``) that shares the audio of the events sounding."""
        twin: EventPlayer = copy_sharing(self, memo, [audio for _, audio in self.pending])
        return twin

    def drain_history(self) -> list[Placed]:
        """The events recorded since the last drain, oldest first; clears the record."""
        taken, self.history = self.history, []
        return taken

    def _excess_shape(self) -> tuple[float, float] | None:
        """For an interval range: the excess draw's bounds in units of its mean.

        At the base rate the excess is uniform on [max(lo - min_gap, 0), b] with ``b``
        chosen to keep the mean; with ``min_gap <= lo`` that is exactly the interval
        range shifted down by ``min_gap``, so gaps stay uniform on [lo, hi].
        """
        plan = self.plan
        if plan.interval is None:
            return None
        lo, hi = plan.interval
        mean = 1.0 / float(excess_rate(2.0 / (lo + hi), plan.min_gap))
        a = max(lo - plan.min_gap, 0.0)
        return a / mean, (2.0 * mean - a) / mean

    def _draw(self) -> float:
        """One excess in expected events of the excess rate (mean 1)."""
        if self._excess is not None:
            return float(self.rng.uniform(*self._excess))
        return float(self.rng.exponential(1.0))

    def _advance(self, t: float, amount: float) -> float:
        """The time after ``t`` where the integral of the excess rate reaches ``amount``."""
        plan = self.plan
        if plan.constant:
            r = float(excess_rate(plan.base_rate, plan.min_gap))
            return t + amount / r if r > 0 else float("inf")
        step, chunk = RATE_STEP_SECONDS, 480
        start, done = t, 0.0
        while start < t + RATE_HORIZON_SECONDS:
            grid = start + step * np.arange(chunk)
            inc = excess_rate(plan.rate(grid), plan.min_gap) * step
            cum = done + np.cumsum(inc)
            i = int(np.searchsorted(cum, amount))
            if i < chunk:
                before = cum[i - 1] if i > 0 else done
                return float(grid[i] + step * (amount - before) / inc[i])
            done = float(cum[-1])
            start += step * chunk
        return float("inf")

    def _next_after(self, t: float) -> float:
        # refractory period first, then the excess: never clamped onto min_gap
        return self._advance(t + self.plan.min_gap, self._draw())

    def _first_time(self) -> float:
        # start mid-process: the first onset is a random fraction of an excess away
        return self._advance(0.0, self._draw() * float(self.rng.uniform(0.2, 1.0)))

    def _pick(self, fresh: bool = True) -> int:
        """The next event's pool index. The draws are the same whether or not the pool
        is renewable (so timing, gains and pans do not depend on it); a renewable pool
        then plays a fresh segment, one per event, instead of the drawn fixed one."""
        n = self.pool.count
        variant = int(self.rng.integers(0, n))
        if n > 1 and variant == self._last_variant:
            variant = (variant + 1 + int(self.rng.integers(0, n - 1))) % n
        self._last_variant = variant
        if fresh and self.pool.renewable:
            variant = n + self._placed
        if fresh:
            self._placed += 1
        # finite material (files, generated) can't be made again: each event plays its
        # variant at a speed of its own (own generator: timing and gains stay the same)
        self._speed = 1.0
        if fresh and not self.pool.renewable and len(self.speeds) > 1:
            self._speed = self.speeds[int(self._speeds.integers(0, len(self.speeds)))]
        return variant

    def _place(self, start_s: float, fresh: bool = True) -> tuple[int, np.ndarray]:
        plan, rng = self.plan, self.rng
        variant = self._pick(fresh)
        gain_db = float(rng.uniform(*plan.gain_db))
        pan = float(rng.uniform(*plan.pan))
        distance = float(rng.uniform(*plan.distance)) if plan.distance else 0.0
        audio = self.pool.get(variant)
        if self._speed != 1.0:
            audio = edged_at_speed(audio, self._speed)
        if fresh and self.pool.renewable:
            # the next event's segment is made on a worker thread while this one plays
            self.pool.retain({variant + 1})
            self.pool.prefetch(variant + 1)
        if distance > 0:
            cutoff = 20000.0 * (DISTANCE_MIN_CUTOFF_HZ / 20000.0) ** distance
            audio = lowpass(audio, self.sample_rate, cutoff)
        gl, gr = pan_unity_centre(pan)
        level = 10 ** ((gain_db - DISTANCE_DROP_DB * distance) / 20)
        audio = audio * np.array([[gl * level], [gr * level]], dtype=np.float32)
        start = int(round(start_s * self.sample_rate))
        if self.keep_history:
            self.history.append(Placed(start, audio.shape[1], variant, gain_db, pan, distance))
            if len(self.history) > HISTORY_LIMIT + HISTORY_LIMIT // 10:
                del self.history[: len(self.history) - HISTORY_LIMIT]
        return start, np.asarray(audio, dtype=np.float32)

    def trigger(self) -> Placed:
        """Play one event now (the studio's audition of a rare one-shot).

        Its variant, gain, pan and distance come from a generator of their own, so
        the layer's scheduled events (and every later sample of them) stay exactly
        those of a render: an audition adds an event, it never moves one.
        """
        if self._trigger_rng is None:
            self._trigger_rng = generator(self.seed, "event-trigger")
        main, self.rng = self.rng, self._trigger_rng
        keep, last = self.keep_history, self._last_variant
        self.keep_history = False
        try:
            start, audio = self._place(self.position / self.sample_rate, fresh=False)
        finally:
            self.rng, self.keep_history, self._last_variant = main, keep, last
        start = self.position  # exactly the next frame pulled
        self.pending.append((start, audio))
        return Placed(start, audio.shape[1], -1, 0.0, 0.0, 0.0)

    def _amount(self, start: float, end: float) -> float:
        """The integral of the plan's excess rate from ``start`` to ``end`` seconds
        (expected events of the excess: what a draw measures)."""
        plan = self.plan
        if end <= start:
            return 0.0
        if plan.constant:
            return float(excess_rate(plan.base_rate, plan.min_gap)) * (end - start)
        steps = max(1, int(np.ceil((end - start) / RATE_STEP_SECONDS)))
        grid = np.linspace(start, end, steps + 1)
        values = excess_rate(plan.rate(grid), plan.min_gap)
        return float(np.trapezoid(values, grid))

    def replan(self, plan: EventPlan) -> None:
        """Follow ``plan`` from the current position on (the studio's live edit of an
        event layer's rate, interval, gains or pans).

        Events already sounding play on as they were drawn; each later event draws
        its gain and pan from the new ranges (the same random draws in the same
        order, so the schedule is not moved by a gain or pan edit). The gap under
        way keeps the share of its random part not yet run, now run at the new rate:
        a faster rate brings the next event sooner, as a phase's rate change would.
        """
        old = self.plan
        now = self.position / self.sample_rate
        if (plan.base_rate, plan.min_gap, plan.interval) == (old.base_rate, old.min_gap,
                                                             old.interval):
            self.plan = plan  # the same timing (phases are not live): gains, pans only
            return
        start = max(now, self._gap_start)
        left = (self._amount(start, self._next_time) if np.isfinite(self._next_time)
                else None)
        self.plan = plan
        self._excess = self._excess_shape()
        if left is None:
            left = self._draw()  # the old rate was zero: a fresh gap
        gap_start = self._gap_start - old.min_gap + plan.min_gap
        self._next_time = self._advance(max(now, gap_start), left)

    def _skip_draws(self) -> int:
        """The random draws of one :meth:`_place`, in its order, without making audio;
        returns the variant."""
        plan, rng = self.plan, self.rng
        variant = self._pick()
        rng.uniform(*plan.gain_db)
        rng.uniform(*plan.pan)
        if plan.distance:
            rng.uniform(*plan.distance)
        return variant

    def seek(self, frame: int) -> None:
        """Go forward to ``frame``: every event before it is drawn (same draws, same
        order as when pulled) but only those still sounding at ``frame`` are made."""
        if frame < self.position:
            raise ValueError(f"an event layer seeks forward only ({frame} < {self.position})")
        rate = self.sample_rate
        self.pending = [(s, a) for s, a in self.pending if s + a.shape[1] > frame]
        # a fresh (procedural) event lasts at most EVENT_MAX_SECONDS
        longest = max(max(self.pool.frames(i) for i in range(self.pool.count)),
                      int(EVENT_MAX_SECONDS * rate))
        while self._next_time * rate < frame:
            t = self._next_time
            state, last, placed = self.rng.bit_generator.state, self._last_variant, self._placed
            speeds = self._speeds.bit_generator.state
            variant = self._skip_draws()
            # a fresh segment's length is known only once made: make those that may sound
            length = longest if variant >= self.pool.count else \
                int(self.pool.frames(variant) / min(self.speeds)) + 1
            if int(round(t * rate)) + length > frame:
                self.rng.bit_generator.state, self._last_variant = state, last
                self._placed = placed
                self._speeds.bit_generator.state = speeds
                self.pending.append(self._place(t))  # still sounding: make it
            self._next_time = self._next_after(t)
            self._gap_start = t + self.plan.min_gap
        self.position = frame

    def upcoming(self, until: int, limit: int = 200) -> list[int]:
        """Onsets (absolute frames) the scheduler will place from the current position
        up to frame ``until``, at most ``limit``: drawn on a copy of its random state,
        so the player itself is not changed and plays exactly these."""
        rng = copy.deepcopy(self.rng)
        saved = self.rng, self._last_variant, self._placed, self._speeds
        self.rng = rng
        self._speeds = copy.deepcopy(self._speeds)
        out: list[int] = []
        t = self._next_time
        try:
            while t * self.sample_rate < until and len(out) < limit:
                out.append(int(round(t * self.sample_rate)))
                self._skip_draws()
                t = self._next_after(t)
        finally:
            self.rng, self._last_variant, self._placed, self._speeds = saved
        return out

    def pull(self, frames: int) -> np.ndarray:
        a, b = self.position, self.position + frames
        self.position = b
        while self._next_time * self.sample_rate < b:
            t = self._next_time
            self.pending.append(self._place(t))
            self._next_time = self._next_after(t)
            self._gap_start = t + self.plan.min_gap
        out = np.zeros((2, frames), dtype=np.float32)
        keep = []
        for start, audio in self.pending:
            end = start + audio.shape[1]
            lo, hi = max(a, start), min(b, end)
            if lo < hi:
                out[:, lo - a : hi - a] += audio[:, lo - start : hi - start]
            if end > b:
                keep.append((start, audio))
        self.pending = keep
        return out
