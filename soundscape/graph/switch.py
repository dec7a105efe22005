"""Nodes that change a running mix over time: crossfade, output level, fallback.

A stream is a chain of these around its scene graphs::

    Level(Fallback(primary, [last good version, safe bed]))

where ``primary`` is a :class:`~soundscape.graph.build.SceneGraph`, or, during a hot
reload, ``Crossfade(previous primary, new graph, frames)``. Reloads compose: a second
reload during a crossfade wraps the running crossfade (it fades out of the current
mix, never restarts or overwrites the first fade). A personal-mix fork is a deep copy
of the whole chain (:func:`copy_chain`), so a fork made mid-crossfade or mid-fade
continues it sample for sample.

Every node follows the graph contract: ``pull(frames)`` -> float32 (2, frames),
exactly ``frames`` long. Positions are frames counted by each node, never seconds.
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np
from scipy import signal

from ..dsp.fades import equal_power, matched_power
from ..seeds import generator
from .build import SceneGraph
from .core import Node

log = logging.getLogger(__name__)

FALLBACK_FADE = 2400  # frames (50 ms at 48 kHz): the join when a source fails
GLIDE = 2400  # frames: level changes glide over this, so they never click


class Crossfade:
    """A crossfade from ``old`` to ``new`` over ``frames`` frames, then ``new``.

    The old side fades out on a cosine; the new side's gain keeps the mix's power
    constant for how alike the two sides are (``fades.matched_power``): equal-power
    for unrelated sides, linear for identical ones. A hot reload continues at the
    playhead, so every layer it did not change plays the same samples on both sides,
    where an equal-power fade would swell the mix by up to 3 dB. The likeness (the
    correlation of the two sides, 0..1) is measured on every pulled block, smoothed
    (RHO_SMOOTHING) and glided across the block, so the gains never step.

    Both inputs are pulled during the fade; afterwards ``old`` is dropped (no longer
    pulled or referenced) and the node passes ``new`` through. ``applied`` holds the
    (old, new) gains of the last pulled block (for whoever follows the graphs inside:
    the stems).
    """

    RHO_SMOOTHING = 0.5  # share of a block's measured correlation taken at once

    def __init__(self, old: Node, new: Node, frames: int):
        self.old: Node | None = old
        self.new = new
        self.length = max(1, int(frames))
        self.done = 0
        self.rho: float | None = None  # smoothed correlation of the sides so far
        self.applied: tuple[np.ndarray, np.ndarray] | None = None

    @property
    def fading(self) -> bool:
        return self.old is not None

    def _likeness(self, old: np.ndarray, new: np.ndarray) -> float:
        """This block's correlation of the two sides, smoothed; the last value when
        either side is silent (nothing to compare)."""
        a, b = old.astype(np.float64), new.astype(np.float64)
        power = float(np.sum(a * a) * np.sum(b * b))
        previous = 0.0 if self.rho is None else self.rho
        if power <= 1e-18:
            return previous
        measured = float(np.clip(np.sum(a * b) / np.sqrt(power), 0, 1))
        if self.rho is None:
            return measured
        return previous + self.RHO_SMOOTHING * (measured - previous)

    def pull(self, frames: int) -> np.ndarray:
        block = self.new.pull(frames)
        if self.old is None:
            return block
        before = self.old.pull(frames)
        start = self.rho
        rho = self._likeness(before, block)
        self.rho = rho
        t = (self.done + 0.5 + np.arange(frames)) / self.length
        out_gain = equal_power(t)[0]
        glide = (np.arange(frames) + 1.0) / frames
        likeness = rho if start is None else start + (rho - start) * glide
        in_gain = matched_power(out_gain, likeness)
        weights = out_gain.astype(np.float32), in_gain.astype(np.float32)
        self.applied = weights
        block = block * weights[1] + before * weights[0]
        self.done += frames
        if self.done >= self.length:
            self.old = None
        return block


class Level:
    """The stream's output level: listener volume times an optional sleep fade.

    ``set_volume(v)`` glides to ``v`` (linear 0..1). ``sleep(after, fade)`` fades to
    silence over ``fade`` frames ending ``after`` frames from the current position
    (cosine-squared: reads as natural); ``sleep(None, 0)`` cancels. Every change
    glides from the level actually playing, so a timer cancelled or pushed later
    mid-fade comes back up smoothly. ``finished`` turns true once the fade has ended
    (the stream reports it once).
    """

    def __init__(self, source: Node, volume: float = 1.0):
        self.source = source
        self.position = 0
        self.volume = float(volume)
        self.sleep_end: int | None = None
        self.sleep_fade = 1
        self.finished = False
        self._last = float(volume)  # the gain of the last frame played
        self._offset = 0.0  # glide: (played - target) at _glide_from, decaying to 0
        self._glide_from = 0

    def _target(self, n: np.ndarray) -> np.ndarray:
        gain = np.full(n.shape, self.volume, dtype=np.float64)
        if self.sleep_end is not None:
            left = (self.sleep_end - n) / self.sleep_fade
            gain *= np.sin(np.clip(left, 0.0, 1.0) * np.pi / 2) ** 2
        return gain

    def _glide(self) -> None:
        n = np.array([self.position])
        self._offset = self._last - float(self._target(n)[0])
        self._glide_from = self.position

    def set_volume(self, volume: float) -> None:
        self.volume = float(volume)
        self._glide()

    def sleep(self, after: int | None, fade: int) -> None:
        if after is None:
            self.sleep_end = None
        else:
            self.sleep_end = self.position + max(0, int(after))
            self.sleep_fade = max(1, int(fade))
        self.finished = False
        self._glide()

    def pull(self, frames: int) -> np.ndarray:
        out = self.source.pull(frames)
        n = np.arange(self.position, self.position + frames)
        gain = self._target(n)
        if self._offset:
            decay = np.clip(1.0 - (n + 1 - self._glide_from) / GLIDE, 0.0, 1.0)
            gain = gain + self._offset * decay
            if decay[-1] == 0.0:
                self._offset = 0.0
        self.position += frames
        self._last = float(gain[-1])
        if self.sleep_end is not None and self.position >= self.sleep_end:
            self.finished = True
        if np.all(gain == 1.0):
            return out
        return out * gain.astype(np.float32)


class PinkBed:
    """The safe bed of last resort: soft, seeded pink noise (about -30 dBFS RMS).

    It cannot fail, so a :class:`Fallback` ends here rather than in silence.
    """

    # Julius O. Smith's 1/f approximation (CCRMA): three poles and zeros, +-0.3 dB
    B = np.array([0.049922035, -0.095993537, 0.050612699, -0.004408786])
    A = np.array([1.0, -2.494956002, 2.017265875, -0.522189400])

    def __init__(self, seed: int = 0, level: float = 0.35):
        self.rng = generator(seed, "pink-bed")
        self.level = level
        self.state = np.zeros((2, 3))

    def pull(self, frames: int) -> np.ndarray:
        white = self.rng.standard_normal((2, frames))
        out, self.state = signal.lfilter(self.B, self.A, white, axis=1, zi=self.state)
        return (out * self.level).astype(np.float32)


class Fallback:
    """Plays ``primary``; when it raises or returns non-finite samples, switches to the
    first backup that works (the last good version, then a safe bed), never to silence.

    The failed source is dropped (its state is unknown). The join is a short
    equal-power crossfade from a mirror image of the last good block's tail (so the
    first sample continues the last one) into the backup. ``failures`` counts
    switches; ``playing`` names the source now heard.

    A backup graph no longer pulled (the old side of a finished crossfade) rests: it
    lets go of the audio it made ahead (``SceneGraph.rest``), so a stream holds one
    version's fresh material, not two; promoted, it makes what it plays again.
    """

    def __init__(self, primary: Node, backups: Sequence[Node] = (), fade: int = FALLBACK_FADE):
        self.primary = primary
        self.backups = list(backups)
        self.fade = fade
        self.failures = 0
        self.playing = "primary"
        self._tail = np.zeros((2, 0), dtype=np.float32)
        self.last_error: str | None = None
        self._to_rest: list[SceneGraph] = []

    def replace(self, primary: Node, backups: Sequence[Node]) -> None:
        """A new primary (e.g. a crossfade into a new version) and backups."""
        self.primary = primary
        self.backups = list(backups)
        self.playing = "primary"
        self._to_rest = [b for b in self.backups if isinstance(b, SceneGraph)]

    def _rest_idle_backups(self) -> None:
        pulled = {id(g) for g in graphs_in(self.primary)}
        for graph in [g for g in self._to_rest if id(g) not in pulled]:
            graph.rest()
            self._to_rest.remove(graph)

    def _try(self, node: Node, frames: int) -> np.ndarray | None:
        try:
            block = node.pull(frames)
        except Exception as exc:  # any bug in a source: switch, never stop the stream
            self.last_error = f"{type(exc).__name__}: {exc}"
            log.exception("fallback: source failed; switching to a backup")
            return None
        if block.shape != (2, frames) or not np.isfinite(block).all():
            self.last_error = "non-finite or misshapen block"
            log.error("fallback: source returned a bad block; switching to a backup")
            return None
        return np.asarray(block, dtype=np.float32)

    def pull(self, frames: int) -> np.ndarray:
        block = self._try(self.primary, frames)
        failed = block is None
        while block is None:
            self.failures += 1
            if not self.backups:  # only reached if the bed itself fails
                self.primary, self.playing = PinkBed(self.failures), "safe bed"
            else:
                self.primary = self.backups.pop(0)
                self.playing = "safe bed" if isinstance(self.primary, PinkBed) else "backup"
            block = self._try(self.primary, frames)
        if failed:
            block = self._join(block)
            self._to_rest = [g for g in self._to_rest if g is not self.primary]
        if self._to_rest:
            self._rest_idle_backups()
        keep = min(self.fade, frames)
        self._tail = block[:, frames - keep:].copy()
        return block

    def _join(self, block: np.ndarray) -> np.ndarray:
        tail = self._tail[:, ::-1]
        n = min(tail.shape[1], block.shape[1])
        if n == 0:
            return block
        t = (np.arange(n) + 0.5) / n
        out_gain, in_gain = (g.astype(np.float32) for g in equal_power(t))
        block = block.copy()
        block[:, :n] = block[:, :n] * in_gain + tail[:, :n] * out_gain
        return block


def graphs_in(node: Any) -> Iterator[SceneGraph]:
    """Every SceneGraph a chain currently pulls (newest first), not its idle backups."""
    if isinstance(node, SceneGraph):
        yield node
    elif isinstance(node, Crossfade):
        yield from graphs_in(node.new)
        if node.old is not None:
            yield from graphs_in(node.old)
    elif isinstance(node, Level):
        yield from graphs_in(node.source)
    elif isinstance(node, Fallback):
        yield from graphs_in(node.primary)


def all_graphs(node: Any) -> Iterator[SceneGraph]:
    """Every graph of a chain: those pulled now (``graphs_in``) and the backups of its
    fallback."""
    yield from graphs_in(node)
    while isinstance(node, Level):
        node = node.source
    if isinstance(node, Fallback):
        for backup in node.backups:
            yield from graphs_in(backup)


def copy_chain(node: Any) -> Any:
    """A deep copy of ``node`` (a graph or a chain of the nodes above) that shares the
    read-only parts: scene, segment audio, gain curves. Cheap; the copy continues from
    exactly the same state, so it plays the same samples until given other gains."""
    memo: dict[int, Any] = {}
    for graph in all_graphs(node):
        memo[id(graph.scene)] = graph.scene
        for strip in graph.strips.values():
            for attr in ("segments", "variants"):
                shared = getattr(strip.source, attr, None)
                if shared is not None:
                    memo[id(shared)] = shared
        if callable(graph.gain_db):
            memo[id(graph.gain_db)] = graph.gain_db
    return copy.deepcopy(node, memo)
