"""Base blocks: the Node contract, a mixer and a per-layer gain strip."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol

import numpy as np

CONTROL_STEP = 480  # frames between control points (10 ms at 48 kHz)


class Node(Protocol):
    """``pull(frames)`` -> float32 (2, frames), exactly ``frames`` long."""

    def pull(self, frames: int) -> np.ndarray: ...


def seek_node(node: Node, frame: int) -> None:
    """Move ``node`` forward to absolute ``frame`` without making the audio in between
    (the studio's "jump to minute 12"). Every node that can do it has a
    ``seek(frame)`` method and passes it on to its sources.
    The next ``pull`` gives what a graph pulled all the way there would give (the
    limiter's gain excepted for its first ~40 ms, see ``Limiter.seek``)."""
    seek = getattr(node, "seek", None)
    if callable(seek):
        seek(frame)
        return
    raise TypeError(f"{type(node).__name__} cannot seek")


class Mix:
    """Sum of its inputs."""

    def __init__(self, inputs: Sequence[Node]):
        self.inputs = list(inputs)

    def seek(self, frame: int) -> None:
        for node in self.inputs:
            seek_node(node, frame)

    def pull(self, frames: int) -> np.ndarray:
        if not self.inputs:
            return np.zeros((2, frames), dtype=np.float32)
        out = self.inputs[0].pull(frames)
        for node in self.inputs[1:]:
            out += node.pull(frames)
        return out


def control_curve(
    func: Callable[[np.ndarray], np.ndarray], start: int, frames: int, step: int = CONTROL_STEP
) -> np.ndarray:
    """Per-frame values of ``func`` (seconds-free: it takes absolute frame indices).

    ``func`` is evaluated on the fixed grid of multiples of ``step`` and linearly
    interpolated, so the result depends only on absolute positions, never on how the
    timeline is cut into blocks.
    """
    first = (start // step) * step
    last = ((start + frames) // step + 1) * step
    grid = np.arange(first, last + 1, step, dtype=np.int64)
    values = func(grid)
    n = np.arange(start, start + frames, dtype=np.int64)
    return np.interp(n, grid, values)


class Strip:
    """A layer's gain: automation (phases, breathing) times a live user gain.

    ``automation(frames_idx) -> linear gain`` is a pure function of absolute frames.
    The user gain (personal mixes, muting) changes at run time and glides over
    ``ramp`` frames so a change never clicks.
    """

    def __init__(
        self,
        source: Node,
        automation: Callable[[np.ndarray], np.ndarray] | float | None,
        ramp: int = 2400,
    ):
        self.source = source
        self.automation = automation
        self.ramp = ramp
        self.position = 0
        self.user_gain = 1.0
        self._target = 1.0
        self._ramp_left = 0

    def seek(self, frame: int) -> None:
        self.position = frame
        seek_node(self.source, frame)

    def set_user_gain(self, gain: float, glide: bool = True) -> None:
        """Set the live gain to ``gain`` (linear): gliding over the ramp, or with
        ``glide=False`` at once (for a graph that has not played yet, or a render)."""
        self._target = float(gain)
        if glide:
            self._ramp_left = self.ramp
        else:
            self.user_gain = self._target
            self._ramp_left = 0

    def pull(self, frames: int) -> np.ndarray:
        out = self.source.pull(frames)
        start = self.position
        self.position += frames
        gain: np.ndarray | float | None
        if callable(self.automation):
            gain = control_curve(self.automation, start, frames)
        elif self.automation is not None and self.automation != 1.0:
            gain = float(self.automation)
        else:
            gain = None
        if self._ramp_left > 0:
            steps = np.arange(1, frames + 1, dtype=np.float64)
            frac = np.minimum(steps / self._ramp_left, 1.0)
            live = self.user_gain + (self._target - self.user_gain) * frac
            if frames >= self._ramp_left:
                self.user_gain = self._target
                self._ramp_left = 0
            else:
                self.user_gain = float(live[-1])
                self._ramp_left -= frames
            gain = live if gain is None else gain * live
        elif self.user_gain != 1.0:
            gain = self.user_gain if gain is None else gain * self.user_gain
        if gain is None:
            return out
        if isinstance(gain, np.ndarray):
            out *= gain.astype(np.float32)
        else:
            out *= np.float32(gain)
        return out
