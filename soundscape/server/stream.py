"""A Stream: one mix chain pulled block by block and encoded into audio messages.

Threading rule (enforced, not just documented): a Stream belongs to one mixer thread
(engine.py). Only that thread calls its methods or reads its graph; every change
from elsewhere is a message: ``Engine.call(fn)`` or ``Stream.request(fn)``, run on
the mixer thread at the next block boundary.

The stream itself holds no time-varying behaviour: its output is a chain of graph
nodes (soundscape/graph/switch.py)::

    Level(Fallback(primary, [last good version, safe bed]))

A hot reload makes ``primary`` a ``Crossfade`` into the new version; volume and the
sleep timer are the ``Level`` node; a graph that raises or goes non-finite is
replaced by the ``Fallback``. Once the crossfade is over (the new version played
through it), the "last good version" becomes a fresh copy of the version now
playing, made from its template: a stream holds one version's material, never the
old one's for good (a channel's memory then stays at one size across reloads).
A personal mix is a fork: a deep copy of the whole chain (same state, same
position, so no seam; a fork made mid-crossfade continues the crossfade), with its
own gains and one encoder.

Every stream is named by a :class:`StreamKey`: its kind (a channel, a personal mix, a
studio session) and its owner, typed, so the hub routes a block by ``key.kind``
without reading prefixes of a string. (The key is also the plain string
``"kind:owner"`` the mixer files it under and the logs show.)
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

import numpy as np

from ..clock import AudioClock
from ..graph import SceneGraph
from ..graph.core import Node
from ..graph.switch import Crossfade, Fallback, Level, PinkBed, copy_chain, graphs_in
from .codec import FRAME_SIZE, Encoder, make_encoder
from .protocol import encode_audio
from .stems import Stems, switch_taps

log = logging.getLogger(__name__)


class Kind(Enum):
    CHANNEL = "channel"  # a scene's broadcast mix (hub.Channel)
    PERSONAL = "personal"  # one listener's own mix, a fork of a channel
    STUDIO = "studio"  # a studio session's stream


class StreamKey(str):
    """A stream's name: ``kind`` and ``owner`` (a scene name, a listener or session
    id), typed; as a string ``"kind:owner"`` (what the mixer files it under)."""

    kind: Kind
    owner: str

    def __new__(cls, kind: Kind, owner: str | int) -> StreamKey:
        key = super().__new__(cls, f"{kind.value}:{owner}")
        key.kind = kind
        key.owner = str(owner)
        return key

    def __reduce__(self) -> tuple[Any, ...]:  # copies keep their kind
        return (StreamKey, (self.kind, self.owner))

    @classmethod
    def of(cls, key: str) -> StreamKey:
        """``key`` as a StreamKey; a plain ``"kind:owner"`` string (tests, tools) is
        read once here."""
        if isinstance(key, StreamKey):
            return key
        kind, _, owner = key.partition(":")
        return cls(Kind(kind), owner)


def fork_graph(graph: SceneGraph) -> SceneGraph:
    """A deep copy of ``graph`` that shares the read-only segment audio (cheap).

    The copy continues from exactly the same position and random state, so its
    output equals the original's until the two are given different gains.
    """
    copied: SceneGraph = copy_chain(graph)
    return copied


@dataclass
class Produced:
    """One block's output: ``messages[codec]``, events for the hub, what is playing."""

    seq: int
    position: int
    messages: dict[str, bytes]
    events: list[dict[str, Any]] = field(default_factory=list)
    playing: str = "primary"  # or "backup" / "safe bed" after a failure (Fallback)
    reloads: int = 0
    stems: dict[str, bytes] = field(default_factory=dict)  # codec -> stems message
    stem_names: tuple[str, ...] = ()  # the layers in ``stems``, in order
    late_blocks: int = 0  # the stream's blocks skipped so far (the mixer fell behind)
    scene_frame: int | None = None  # the newest graph's frame after the block (None: safe bed)


class Stream:
    """Produces consecutive blocks of ``frames_per_message`` x 20 ms of one chain.

    ``template`` graphs handed to ``reload`` are copied here, on the mixer thread,
    and never pulled themselves, so one built graph can feed a channel and all its
    personal mixes without two threads touching the same state.
    """

    def __init__(
        self,
        key: str,
        graph: SceneGraph | None,
        codecs: dict[str, Encoder],
        clock: AudioClock,
        start_index: int,
        frames_per_message: int,
        output: Level | None = None,
    ):
        typed = StreamKey.of(key)
        self.key: str = typed  # what the mixer files it under
        self.kind: Kind = typed.kind  # how the hub routes its blocks
        self.owner: str = typed.owner  # the scene, listener or session it belongs to
        self.encoders = codecs
        self.clock = clock
        self.index = start_index
        self.frames_per_message = frames_per_message
        self.rate = clock.rate
        self.stopped = False  # set on the mixer thread (Engine.remove); the mixer drops it
        self.paused = False  # an idle channel: the mixer skips it until someone joins
        self.late_blocks = 0  # blocks skipped because the mixer fell behind
        self.last_block: np.ndarray | None = None
        # where each output block also goes (a channel's Icecast/HLS outputs); must not
        # block: ChannelOutputs.push only queues. Set on the mixer thread (a request).
        self.sink: Callable[[np.ndarray], None] | None = None
        self.version = 0
        self.stems: Stems | None = None  # only while someone listens to the stems
        self._sleep_reported = False
        self._spare_from: SceneGraph | None = None  # a reload's template, until its fade ends
        # a reload ahead of the playhead: (template, seconds, then), applied once reached
        self._waiting: tuple[SceneGraph, float, Callable[[Stream], None] | None] | None = None
        self._requests: list[Callable[[Stream], None]] = []
        self._lock = threading.Lock()
        if output is None:
            if graph is None:
                raise ValueError(f"stream {key}: give a graph or an output chain")
            output = Level(Fallback(graph, [PinkBed(graph.seed)]))
        self.output = output

    @property
    def fallback(self) -> Fallback:
        node = self.output.source
        assert isinstance(node, Fallback)
        return node

    @property
    def graph(self) -> SceneGraph | None:
        """The newest scene graph this stream plays; None while on the safe bed."""
        return next(graphs_in(self.fallback.primary), None)

    @property
    def graphs(self) -> list[SceneGraph]:
        """Every graph being pulled now (two or more during a crossfade)."""
        return list(graphs_in(self.fallback.primary))

    @property
    def volume(self) -> float:
        return self.output.volume

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
    def reload(self, template: SceneGraph, seconds: float, catch_up: bool = False,
               then: Callable[[Stream], None] | None = None) -> None:
        """Crossfade over ``seconds`` into a copy of ``template``.

        The running chain (which may itself be mid-crossfade) is the fade's old side,
        so reloads compose; the current newest graph becomes the fallback's "last
        good version".

        ``catch_up`` (a channel's hot reload): the new version continues at the
        playhead, the scene frame the newest graph plays now, as if it had played
        from the start (``SceneGraph.seek``), so its phases go on where they were and
        the layers the edit left alone carry on with the same samples. A template
        built or sought behind the playhead is moved up here (cheap when the gap is
        small: the director seeks it on a worker first); one ahead of it (this
        stream fell behind) waits until the playhead reaches it. ``then(self)`` runs
        once the new version is in (a personal mix's own gains).
        """
        fallback = self.fallback
        current = fallback.primary
        last_good = next(graphs_in(current), None)
        if catch_up and last_good is not None and last_good.position < template.position:
            self._waiting = (template, seconds, then)
            return
        self._waiting = None
        graph = fork_graph(template)
        if catch_up and last_good is not None and last_good.position > graph.position:
            graph.seek(last_good.position)
        backups: list[Node] = [b for b in fallback.backups if isinstance(b, PinkBed)]
        if last_good is not None:
            backups.insert(0, last_good)
        if not backups:
            backups.append(PinkBed(graph.seed))  # it was playing the bed: a fresh one
        fallback.replace(Crossfade(current, graph, int(seconds * self.rate)), backups)
        self._spare_from = template
        self.version += 1
        if then is not None:
            then(self)

    @property
    def scene_frame(self) -> int | None:
        """The scene frame the newest graph plays next; None while on the safe bed."""
        graph = self.graph
        return None if graph is None else graph.position

    def _take_spare(self) -> None:
        """The crossfade into the newest version is over: a fresh copy of it (from its
        template, never pulled) becomes the backup, and the old version is let go."""
        template, self._spare_from = self._spare_from, None
        fallback = self.fallback
        if template is None or fallback.playing != "primary":
            return
        spare = fork_graph(template)
        fallback.replace(fallback.primary,
                         [spare, *(b for b in fallback.backups if isinstance(b, PinkBed))])

    def set_volume(self, volume: float) -> None:
        """Listener volume, linear 0..1 (glides; a running sleep fade scales it)."""
        self.output.set_volume(volume)

    def set_sleep(self, after: float | None, fade: float) -> None:
        """Fade to silence over ``fade`` s ending ``after`` s from now; None cancels."""
        self._sleep_reported = False
        if after is None:
            self.output.sleep(None, 0)
        else:
            self.output.sleep(int(after * self.rate), int(fade * self.rate))

    def set_layer_gain_db(self, name: str, db: float) -> None:
        """A layer's live gain offset in every graph being pulled (glides)."""
        for graph in self.graphs:
            if name in graph.strips:
                graph.set_layer_gain_db(name, db)

    def set_codecs(self, codecs: frozenset[str], bitrate: int) -> None:
        """Encode exactly ``codecs`` from the next block on (mixer thread).

        A channel encodes a codec only while someone listens in it: Opus costs about
        0.7 ms per 20 ms frame. A codec taken up again gets a fresh encoder, warmed
        on the last block so its first packet joins cleanly.
        """
        for codec in set(self.encoders) - codecs:
            del self.encoders[codec]
        for codec in sorted(codecs - set(self.encoders)):
            self.encoders[codec] = self._warm(make_encoder(codec, bitrate))

    def set_stem_codecs(self, codecs: frozenset[str], bitrate: int) -> None:
        """Make stems in exactly ``codecs`` from the next block on; none: no stems at
        all (the graphs' taps off, nothing copied or encoded). Mixer thread."""
        if not codecs:
            if self.stems is not None:
                switch_taps(self.output, False)
            self.stems = None
            return
        if self.stems is None:
            self.stems = Stems(codecs, bitrate)
            return
        for codec in set(self.stems.encoders) - codecs:
            del self.stems.encoders[codec]
        for codec in codecs - set(self.stems.encoders):
            self.stems.encoders[codec] = {}
        self.stems.codecs = codecs

    def _warm(self, encoder: Encoder) -> Encoder:
        if self.last_block is not None:
            for i in range(0, self.last_block.shape[1], FRAME_SIZE):
                encoder.encode(self.last_block[:, i : i + FRAME_SIZE])
        return encoder

    def fork(self, key: str, codec: str, bitrate: int) -> Stream:
        """A personal copy of this stream, continuing at the same block (mixer thread)."""
        encoder = self._warm(make_encoder(codec, bitrate))
        output = copy_chain(self.output)
        switch_taps(output, False)  # a personal mix makes no stems
        twin = Stream(key, None, {codec: encoder}, self.clock, self.index,
                      self.frames_per_message, output=output)
        twin.version = self.version
        twin._waiting = self._waiting
        return twin

    # -- production ------------------------------------------------------------------
    def produce(self) -> Produced:
        """Pull, encode and number the block at ``self.index``; advance by one."""
        self._apply_requests()
        if self._waiting is not None:
            template, seconds, then = self._waiting
            self.reload(template, seconds, catch_up=True, then=then)
        frames = self.block_frames
        stems = self.stems
        parts = stems.plan(self.output, frames) if stems is not None else None
        block = self.output.pull(frames)
        if self._spare_from is not None and len(self.graphs) <= 1:
            self._take_spare()
        events: list[dict[str, Any]] = []
        if self.output.finished and not self._sleep_reported:
            self._sleep_reported = True
            events.append({"type": "sleep", "state": "done"})
        self.last_block = block
        if self.sink is not None:
            self.sink(block)
        messages: dict[str, bytes] = {}
        position = self.clock.position(self.index)
        for codec, encoder in self.encoders.items():
            packets = [encoder.encode(block[:, i : i + FRAME_SIZE])
                       for i in range(0, frames, FRAME_SIZE)]
            messages[codec] = encode_audio(self.index, position, packets)
        produced = Produced(self.index, position, messages, events,
                            self.fallback.playing, self.version,
                            late_blocks=self.late_blocks, scene_frame=self.scene_frame)
        if stems is not None and parts is not None:
            layers = stems.collect(parts, frames)
            if layers is not None:  # None: the first block after switching on
                produced.stems = stems.encode(layers, self.index, position)
                produced.stem_names = tuple(layers)
        self.index += 1
        return produced
