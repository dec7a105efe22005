"""Stems: a channel's layers as separate signals, for players that mix them themselves.

A stem is one layer's signal as it enters the scene's mix, times the master gain at
that frame, so the stems of a block sum to the master bus before the limiter (the
browser applies its own gains, volume, limiter and sleep fade; docs/protocol.md,
"Stems"). They come from the channel's own graph, one render for master and stems:

* :class:`StemTap` sits between each layer's strip and the ``Mix`` (``install_taps``
  puts them into a built graph). Off, it only passes audio through; on, it also keeps
  a copy of what it passed, by graph frame.
* The limiter reads ahead of its output (look-ahead), so the taps run ahead of the
  block being produced. :class:`Stems` takes from each tap exactly the frames of the
  output block (``plan`` before the pull, ``collect`` after), times the master gain
  for those frames and the crossfade weight of its graph during a hot reload.
* ``encode`` makes one packet per 20 ms frame per stem with one encoder per stem and
  codec, and one binary message per codec for the block (protocol.encode_stems), the
  same bytes for every stem listener.

Mixer thread only, like the Stream that owns it. A stream has a ``Stems`` only while
someone listens to its stems: with none, the taps are off and nothing is copied,
gained or encoded.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ..graph import SceneGraph
from ..graph.core import Mix, Node, seek_node
from ..graph.switch import Crossfade, Fallback, Level, all_graphs
from .codec import FRAME_SIZE, Encoder, make_encoder
from .protocol import encode_stems

KEEP_FRAMES = 48000  # a tap never keeps more than this (a stream that stops taking)


class StemTap:
    """Pass-through node; while ``on`` it keeps a copy of every frame it passed."""

    def __init__(self, source: Node, name: str):
        self.source = source
        self.name = name
        self.position = 0  # graph frame of the next pull
        self.on = False
        self.buf = np.zeros((2, 0), dtype=np.float32)
        self.start = 0  # graph frame of buf[:, 0]

    def switch(self, on: bool) -> None:
        if on != self.on:
            self.on = on
            self.buf = np.zeros((2, 0), dtype=np.float32)
            self.start = self.position

    def seek(self, frame: int) -> None:
        seek_node(self.source, frame)
        self.position = frame
        self.buf = np.zeros((2, 0), dtype=np.float32)
        self.start = frame

    def pull(self, frames: int) -> np.ndarray:
        out = self.source.pull(frames)
        if self.on:  # a copy: Mix adds the other layers into its first input's block
            self.buf = np.concatenate([self.buf, out], axis=1)
            if self.buf.shape[1] > KEEP_FRAMES:
                cut = self.buf.shape[1] - KEEP_FRAMES
                self.buf = self.buf[:, cut:]
                self.start += cut
        self.position += frames
        return out

    def covers(self, a: int) -> bool:
        """Whether frames from ``a`` on were kept (not before the tap was switched on)."""
        return self.on and self.start <= a

    def take(self, a: int, frames: int) -> np.ndarray:
        """Frames ``a``..``a+frames`` as passed (must be covered and already pulled);
        everything before ``a + frames`` is forgotten."""
        s = a - self.start
        out = self.buf[:, s : s + frames]
        if out.shape[1] != frames:
            raise ValueError(f"stem {self.name}: frames {a}..{a + frames} not kept "
                             f"(kept {self.start}..{self.start + self.buf.shape[1]})")
        self.buf = self.buf[:, s + frames :]
        self.start = a + frames
        return out


def install_taps(graph: SceneGraph) -> SceneGraph:
    """Put a StemTap in front of each of ``graph``'s mix inputs (once); returns it."""
    mix = graph.master.source
    if not isinstance(mix, Mix):
        raise TypeError(f"scene {graph.scene.name}: the master's source is not a Mix")
    if not any(isinstance(node, StemTap) for node in mix.inputs):
        mix.inputs = [StemTap(node, name)
                      for name, node in zip(graph.strips, mix.inputs, strict=True)]
    return graph


def taps_of(graph: SceneGraph) -> list[StemTap]:
    mix = graph.master.source
    inputs = mix.inputs if isinstance(mix, Mix) else []
    return [node for node in inputs if isinstance(node, StemTap)]


def switch_taps(chain: Any, on: bool) -> None:
    """Switch the taps of every graph in ``chain`` (a stream's output) on or off."""
    for graph in all_graphs(chain):
        for tap in taps_of(graph):
            tap.switch(on)


@dataclass
class Part:
    """One graph heard in the next block, from graph frame ``start``, through the
    crossfades in ``fades`` (each with True for its new side): its weight per frame is
    the product of their gains, read after the pull (a crossfade's gains follow what
    it pulled)."""

    graph: SceneGraph
    start: int
    fades: tuple[tuple[Crossfade, bool], ...] = ()

    def weight(self) -> np.ndarray | None:
        """The crossfade gain per frame of the block just pulled; None: 1."""
        weight: np.ndarray | None = None
        for fade, new_side in self.fades:
            assert fade.applied is not None  # pulled while it was fading
            gain = fade.applied[1 if new_side else 0]
            weight = gain if weight is None else weight * gain
        return weight


def _parts(node: Any, frames: int) -> list[Part]:
    """The graphs ``node`` will pull for its next ``frames``, and through which fades."""
    if isinstance(node, SceneGraph):
        return [Part(node, node.limiter.position)]
    if isinstance(node, Level):
        return _parts(node.source, frames)
    if isinstance(node, Fallback):
        return _parts(node.primary, frames)
    if isinstance(node, Crossfade):
        new = _parts(node.new, frames)
        if node.old is None:
            return new
        old = _parts(node.old, frames)
        return ([Part(p.graph, p.start, ((node, True), *p.fades)) for p in new]
                + [Part(p.graph, p.start, ((node, False), *p.fades)) for p in old])
    return []  # the safe bed: no layers, no stems


class Stems:
    """A stream's stems in ``codecs`` (see the module doc). Mixer thread only."""

    def __init__(self, codecs: frozenset[str], bitrate: int):
        self.codecs = codecs
        self.bitrate = bitrate
        self.encoders: dict[str, dict[str, Encoder]] = {codec: {} for codec in codecs}
        self.encoded_blocks = 0  # blocks encoded (for tests and the bench)

    def plan(self, output: Any, frames: int) -> list[Part]:
        """Before the stream pulls its block: which graphs will be heard, from where.
        Switches on the taps of any graph that has them off (a new reload version)."""
        parts = _parts(output, frames)
        for part in parts:
            for tap in taps_of(part.graph):
                tap.switch(True)
        return parts

    def collect(self, parts: list[Part], frames: int) -> dict[str, np.ndarray] | None:
        """After the pull: each layer's stem for the block, newest graph's layers first;
        None when a tap did not keep the whole block (just switched on) or the graphs
        changed during the pull (a failure switched to a backup)."""
        stems: dict[str, np.ndarray] = {}
        for part in parts:
            if part.graph.limiter.position != part.start + frames:
                return None  # not pulled: the fallback dropped it
            taps = taps_of(part.graph)
            if not all(tap.covers(part.start) for tap in taps):
                for tap in taps:  # keep them in step for the next block
                    if tap.covers(part.start):
                        tap.take(part.start, frames)
                return None
            gain = part.graph.master.gain(part.start, frames)
            weight = part.weight()
            if weight is not None:
                gain = gain * weight
            for tap in taps:
                audio = tap.take(part.start, frames) * gain
                if tap.name in stems:
                    stems[tap.name] = stems[tap.name] + audio
                else:
                    stems[tap.name] = audio
        return stems

    def encode(self, stems: dict[str, np.ndarray], seq: int, position: int) -> dict[str, bytes]:
        """One message per codec carrying every stem's packets of the block."""
        messages: dict[str, bytes] = {}
        for codec, encoders in self.encoders.items():
            for name in list(encoders):
                if name not in stems:  # the layer left (a reload): its encoder goes too
                    del encoders[name]
            packets = []
            for name, audio in stems.items():
                encoder = encoders.get(name)
                if encoder is None:
                    encoder = encoders[name] = make_encoder(codec, self.bitrate)
                packets.append([encoder.encode(audio[:, i : i + FRAME_SIZE])
                                for i in range(0, audio.shape[1], FRAME_SIZE)])
            messages[codec] = encode_stems(seq, position, packets)
        self.encoded_blocks += 1
        return messages
