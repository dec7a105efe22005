"""A Stream: one scene graph pulled block by block and encoded into audio messages.

Runs on a mixer thread only (engine.py); other threads talk to it through
``request(fn)``, applied at the next block boundary, so a graph is never touched by
two threads. Broadcast channels encode each block once per codec; a personal mix
is a fork of its channel's graph (same state, same position: the listener hears no
seam) with its own gains and one encoder.
"""

from __future__ import annotations

import copy
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..dsp.fades import equal_power
from ..graph import SceneGraph
from .clock import AudioClock
from .codec import FRAME_SIZE, Encoder, make_encoder
from .protocol import encode_audio

log = logging.getLogger(__name__)


def fork_graph(graph: SceneGraph) -> SceneGraph:
    """A deep copy of ``graph`` that shares the read-only segment audio (cheap).

    The copy continues from exactly the same position and random state, so its
    output equals the original's until the two are given different gains.
    """
    memo: dict[int, Any] = {id(graph.scene): graph.scene}
    for strip in graph.strips.values():
        for attr in ("segments", "variants"):
            shared = getattr(strip.source, attr, None)
            if shared is not None:
                memo[id(shared)] = shared
    if callable(graph.gain_db):
        memo[id(graph.gain_db)] = graph.gain_db
    return copy.deepcopy(graph, memo)


@dataclass
class Produced:
    """One block's output: ``messages[codec]`` and events for the hub."""

    seq: int
    position: int
    messages: dict[str, bytes]
    events: list[dict[str, Any]] = field(default_factory=list)


class Stream:
    """Produces consecutive blocks of ``frames_per_message`` x 20 ms of one graph."""

    def __init__(
        self,
        key: str,
        graph: SceneGraph,
        codecs: dict[str, Encoder],
        clock: AudioClock,
        start_index: int,
        frames_per_message: int,
    ):
        self.key = key
        self.graph = graph
        self.encoders = codecs
        self.clock = clock
        self.index = start_index
        self.frames_per_message = frames_per_message
        self.stopped = False
        self.paused = False  # an idle channel: the mixer skips it until someone joins
        self.late_blocks = 0  # blocks skipped because the mixer fell behind
        self.last_block: np.ndarray | None = None
        self._fade_from: SceneGraph | None = None
        self._fade_pos = 0
        self._fade_len = 0
        self._sleep_end: int | None = None  # audio position where the sleep fade ends
        self._sleep_fade = 0
        self._sleep_done = False
        self._requests: list[Callable[[Stream], None]] = []
        self._lock = threading.Lock()
        self.version = 0
        self.volume = 1.0

    @property
    def block_frames(self) -> int:
        return FRAME_SIZE * self.frames_per_message

    # -- cross-thread requests -------------------------------------------------------
    def request(self, fn: Callable[[Stream], None]) -> None:
        """Run ``fn(self)`` on the mixer thread before the next block (thread-safe)."""
        with self._lock:
            self._requests.append(fn)

    def _apply_requests(self) -> None:
        with self._lock:
            pending, self._requests = self._requests, []
        for fn in pending:
            try:
                fn(self)
            except Exception:  # a bad request must not stop the stream
                log.exception("stream %s: request failed", self.key)

    # -- operations (mixer thread) ---------------------------------------------------
    def crossfade_to(self, graph: SceneGraph, seconds: float) -> None:
        """Replace the graph, crossfading equal-power over ``seconds``."""
        rate = self.graph.scene.master.sample_rate
        self._fade_from = self.graph
        self.graph = graph
        self._fade_pos = 0
        self._fade_len = max(1, int(seconds * rate))
        self.version += 1
        graph.set_volume(0.0 if self._sleep_done else self.volume)  # carry the volume over

    def set_volume(self, volume: float) -> None:
        """Listener volume, linear 0..1 (a running sleep fade scales it further)."""
        self.volume = volume
        if self._sleep_end is None:
            self.graph.set_volume(volume)

    def set_sleep(self, after: float | None, fade: float) -> None:
        """Fade to silence over ``fade`` s ending ``after`` s from now; None cancels."""
        rate = self.graph.scene.master.sample_rate
        if after is None:
            self._sleep_end = None
            self._sleep_done = False
            self.graph.set_volume(self.volume)
            return
        now = self.clock.position(self.index)
        self._sleep_end = now + int(after * rate)
        self._sleep_fade = max(1, int(fade * rate))
        self._sleep_done = False
        if self._sleep_end - now > self._sleep_fade:
            # a timer pushed later while it was fading: back up to full volume (the
            # strip glides), until the new fade begins
            self.graph.set_volume(self.volume)

    def fork(self, key: str, codec: str, bitrate: int) -> Stream:
        """A personal copy of this stream, continuing at the same block (mixer thread)."""
        encoder = make_encoder(codec, bitrate)
        if self.last_block is not None:  # warm the encoder so its first packet joins cleanly
            for i in range(0, self.last_block.shape[1], FRAME_SIZE):
                encoder.encode(self.last_block[:, i : i + FRAME_SIZE])
        graph = fork_graph(self.graph)
        twin = Stream(key, graph, {codec: encoder}, self.clock, self.index,
                      self.frames_per_message)
        return twin

    # -- production ------------------------------------------------------------------
    def _pull(self, frames: int) -> np.ndarray:
        block = self.graph.pull(frames)
        if self._fade_from is not None:
            t = (self._fade_pos + np.arange(frames)) / self._fade_len
            out_gain, in_gain = (g.astype(np.float32) for g in equal_power(t))
            block = block * in_gain + self._fade_from.pull(frames) * out_gain
            self._fade_pos += frames
            if self._fade_pos >= self._fade_len:
                self._fade_from = None
        return block

    def _sleep_step(self, events: list[dict[str, Any]]) -> None:
        if self._sleep_end is None or self._sleep_done:
            return
        pos = self.clock.position(self.index)
        left = self._sleep_end - pos
        if left <= 0:
            self.graph.set_volume(0.0)
            self._sleep_done = True
            events.append({"type": "sleep", "state": "done"})
            return
        if left <= self._sleep_fade:
            # equal-loudness-ish curve: linear in dB would linger; cosine reads natural
            x = left / self._sleep_fade
            self.graph.set_volume(self.volume * float(np.sin(x * np.pi / 2) ** 2))

    def produce(self) -> Produced:
        """Pull, encode and number the block at ``self.index``; advance by one."""
        self._apply_requests()
        events: list[dict[str, Any]] = []
        self._sleep_step(events)
        frames = self.block_frames
        block = self._pull(frames)
        self.last_block = block
        messages: dict[str, bytes] = {}
        position = self.clock.position(self.index)
        for codec, encoder in self.encoders.items():
            packets = [encoder.encode(block[:, i : i + FRAME_SIZE])
                       for i in range(0, frames, FRAME_SIZE)]
            messages[codec] = encode_audio(self.index, position, packets)
        produced = Produced(self.index, position, messages, events)
        self.index += 1
        return produced
