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


class Processor(Protocol):
    """A stateful block process (2, n) -> (2, n) (a strip's live cut filters)."""

    def process(self, block: np.ndarray) -> np.ndarray: ...


class Strip:
    """A layer's gain: automation (phases, breathing) times a live gain, after an
    optional live stereo matrix and an optional live processor (``cut``: the studio's
    live edit of the layer's cut filters, graph/live_cut.py).

    ``automation(frames_idx) -> linear gain`` is a pure function of absolute frames.
    The live gain is the product of the user gain (personal mixes, muting, the
    studio's auditions) and a trim (the studio's live edit of the layer's gain_db);
    the stereo matrix (2x2, left/right in -> out; None: as built) is the studio's
    live edit of a bed's pan and width. Both change at run time and glide over
    ``ramp`` frames (sample by sample, linearly) so a change never clicks.
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
        self.user_gain = 1.0  # the live gain now (user gain times trim)
        self._user = 1.0
        self._trim = 1.0
        self._target = 1.0
        self._ramp_left = 0
        self.stereo: np.ndarray | None = None  # the live matrix now (None: identity)
        self._stereo_from = np.eye(2)
        self._stereo_to = np.eye(2)
        self._stereo_left = 0
        self.cut: Processor | None = None

    def seek(self, frame: int) -> None:
        self.position = frame
        seek_node(self.source, frame)

    def set_user_gain(self, gain: float, glide: bool = True) -> None:
        """Set the user gain to ``gain`` (linear): gliding over the ramp, or with
        ``glide=False`` at once (for a graph that has not played yet, or a render)."""
        self._user = float(gain)
        self._set_gain(glide)

    def set_trim(self, gain: float, glide: bool = True) -> None:
        """Set the trim to ``gain`` (linear), gliding as :meth:`set_user_gain`."""
        self._trim = float(gain)
        self._set_gain(glide)

    def _set_gain(self, glide: bool) -> None:
        self._target = self._user * self._trim
        if glide:
            self._ramp_left = self.ramp
        else:
            self.user_gain = self._target
            self._ramp_left = 0

    def set_stereo(self, matrix: np.ndarray | None, glide: bool = True) -> None:
        """Set the live stereo matrix (2x2: ``out = matrix @ [left, right]``; None:
        identity), gliding from the current one over the ramp, or at once."""
        target = np.eye(2) if matrix is None else np.asarray(matrix, dtype=np.float64)
        now = np.eye(2) if self.stereo is None else self.stereo
        if glide:
            self._stereo_from, self._stereo_left = now, self.ramp
        else:
            self._stereo_left = 0
        self._stereo_to = target
        if not glide:
            self.stereo = None if matrix is None else target

    def _apply_stereo(self, out: np.ndarray) -> np.ndarray:
        frames = out.shape[1]
        if self._stereo_left > 0:
            frac = np.minimum(np.arange(1, frames + 1, dtype=np.float64)
                              / self._stereo_left, 1.0)
            a, b = self._stereo_from, self._stereo_to
            m = a[:, :, None] + (b - a)[:, :, None] * frac  # (2, 2, frames)
            if frames >= self._stereo_left:
                self._stereo_left = 0
                self.stereo = None if np.array_equal(b, np.eye(2)) else b
            else:
                self._stereo_left -= frames
                self.stereo = self._stereo_from = m[:, :, -1].copy()
            left, right = out[0].astype(np.float64), out[1].astype(np.float64)
            return np.stack([m[0, 0] * left + m[0, 1] * right,
                             m[1, 0] * left + m[1, 1] * right]).astype(np.float32)
        if self.stereo is None:
            return out
        return (self.stereo @ out.astype(np.float64)).astype(np.float32)

    def pull(self, frames: int) -> np.ndarray:
        out = self.source.pull(frames)
        if self.cut is not None:
            out = self.cut.process(out)
        if self.stereo is not None or self._stereo_left > 0:
            out = self._apply_stereo(out)
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
