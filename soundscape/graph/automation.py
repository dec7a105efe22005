"""Layer automation as pure functions of absolute frame index.

* Phases: each phase ramps a layer's parameters (``level_db``, ``rate_per_min``)
  from their value at the end of the previous phase to its targets over ``ramp``;
  unnamed parameters hold. With ``loop_phases`` the timeline repeats, ramping from
  the last phase's values into the first.
* Breathing: a slow, smooth level drift from three incommensurate sines whose
  periods are drawn (seeded) from the layer's period range.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ..scene import Bed, Event, Layer, Phase, Scene
from ..seeds import generator
from ..thresholds import MUTE_DB


class PhaseTimeline:
    """Values of one layer parameter along the scene's phases."""

    def __init__(self, phases: tuple[Phase, ...], layer: str, param: str, base: float,
                 loop: bool, rate: int):
        self.loop = loop
        self.rate = rate
        self.starts = np.cumsum([0.0] + [p.duration for p in phases])  # seconds
        self.cycle = float(self.starts[-1])
        self.ramps = np.array([max(p.ramp, 1e-9) for p in phases])
        ends = []
        value = base
        for p in phases:
            value = p.targets.get(layer, {}).get(param, value)
            ends.append(value)
        self.ends = np.array(ends, dtype=np.float64)
        self.base = base
        self.active = bool(phases) and any(
            param in p.targets.get(layer, {}) for p in phases
        )

    def __call__(self, frames: np.ndarray) -> np.ndarray:
        t = frames.astype(np.float64) / self.rate
        if not self.active:
            return np.full(t.shape, self.base)
        if self.loop:
            cycle_index = np.floor(t / self.cycle)
            local = t - cycle_index * self.cycle
        else:
            cycle_index = np.zeros_like(t)
            local = np.minimum(t, self.cycle - 1e-9)
        i = np.clip(np.searchsorted(self.starts, local, side="right") - 1, 0, len(self.ends) - 1)
        before_first = np.where(cycle_index > 0, self.ends[-1], self.base)
        prev = np.where(i > 0, self.ends[i - 1], before_first)
        elapsed = local - self.starts[i]
        frac = np.clip(elapsed / self.ramps[i], 0.0, 1.0)
        values = prev + (self.ends[i] - prev) * frac
        if not self.loop:
            values = np.where(t >= self.cycle, self.ends[-1], values)
        return values


def rate_timeline(scene: Scene, layer: Event) -> PhaseTimeline:
    """An event layer's rate in events per minute along the phases."""
    return PhaseTimeline(scene.phases, layer.name, "rate_per_min", layer.base_rate * 60.0,
                         scene.master.loop_phases, scene.master.sample_rate)


def breathing_db(layer: Bed, seed: int, rate: int) -> Callable[[np.ndarray], np.ndarray] | None:
    """Level offset in dB (within +-depth/2) as a function of absolute frames."""
    if layer.breathing is None or layer.breathing.depth_db <= 0:
        return None
    rng = generator(seed, "breathing")
    low, high = layer.breathing.period
    periods = rng.uniform(low, high, size=3)
    phases = rng.uniform(0, 2 * np.pi, size=3)
    amplitude = layer.breathing.depth_db / 2 / 3

    def curve(frames: np.ndarray) -> np.ndarray:
        t = frames.astype(np.float64) / rate
        return amplitude * np.sum(
            np.sin(2 * np.pi * t[None, :] / periods[:, None] + phases[:, None]), axis=0
        )

    return curve


def level_curve(
    scene: Scene, layer: Layer, seed: int, breathing: bool = True
) -> Callable[[np.ndarray], np.ndarray] | float | None:
    """Linear gain of a layer (base gain, phase level and breathing) per absolute frame.

    For events the per-event gain range is applied at each event; this curve carries
    only phase levels. A constant gain comes back as a float (None for 1.0).
    """
    rate = scene.master.sample_rate
    base_db = layer.gain_db if isinstance(layer, Bed) else 0.0
    phase = PhaseTimeline(scene.phases, layer.name, "level_db", 0.0, scene.master.loop_phases, rate)
    breath = breathing_db(layer, seed, rate) if isinstance(layer, Bed) and breathing else None
    if not phase.active and breath is None:
        return None if base_db == 0.0 else float(10 ** (base_db / 20))

    def curve(frames: np.ndarray) -> np.ndarray:
        db = base_db + phase(frames)
        if breath is not None:
            db = db + breath(frames)
        gain = np.power(10.0, db / 20.0)
        return np.where(db <= MUTE_DB, 0.0, gain)

    return curve
