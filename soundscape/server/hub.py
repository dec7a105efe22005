"""Channels and listeners: fan-out, personal mixes, control messages, status.

Runs on the event-loop thread only (the mixer threads reach it through the
thread-safe ``publish`` hook), so it needs no locks. It never touches a stream's
state: every change (reload, gains, sleep, pause, resume, stop) is a message to the
mixer thread that owns the stream (``Engine.call``/``Stream.request``); what it shows
in the status comes from the blocks the mixers publish (only a mixer's own totals,
``late_blocks`` and ``busy_seconds``, are read as they stand: single counters). It
does no I/O: a listener's audio goes into its :class:`ListenerQueue`, and closing a
connection goes through the ``close`` callback the I/O edge gives each listener.

Personal mixes go to the least-loaded mixer (the hub counts the streams it placed,
so a burst of forks spreads at once), at most ``max_personal`` in all and
``max_personal_per_client`` per client address. Studio sessions take their mixer
through the same accounting (``place``/``release``).

Blocks are routed by their stream's typed key (``StreamKey.kind``): a channel's to
its listeners, a personal mix's to its one listener.
"""

from __future__ import annotations

import itertools
import logging
import math
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..clock import AudioClock
from ..graph import SceneGraph
from ..scene import Bed, Scene, layer_icon, layer_label
from ..thresholds import MUTE_DB
from .codec import FRAME_SIZE
from .config import ServerConfig
from .engine import Engine
from .listener import ListenerQueue, Offer
from .protocol import AUDIO_HEADER, PROTOCOL_VERSION, Control, ProtocolError, dumps
from .stems import install_taps
from .stream import Kind, Produced, Stream, StreamKey

log = logging.getLogger(__name__)

CLOSE_NORMAL = 1000
CLOSE_TOO_SLOW = 4001  # the listener could not keep up and was dropped
CLOSE_SLEEP = 4002  # the sleep timer ran out
FORKS_PER_BLOCK = 2  # personal mixes started per channel block, at most


def seq_of(message: bytes) -> int:
    return int(AUDIO_HEADER.unpack_from(message)[3])


def layer_info(scene: Scene) -> list[dict[str, Any]]:
    """The scene's layers as every JSON listing gives them: ``name`` (the id that
    control messages use), ``kind``, and what a listener is shown: ``label`` and
    ``icon`` (the file's, or derived: never empty)."""
    return [{"name": layer.name, "kind": "bed" if isinstance(layer, Bed) else "event",
             "label": layer_label(layer), "icon": layer_icon(layer)}
            for layer in scene.layers]


def scene_info(scene: Scene) -> dict[str, Any]:
    return {"name": scene.name, "title": scene.title, "description": scene.description,
            "tags": list(scene.tags), "layers": layer_info(scene)}


@dataclass(eq=False)
class Listener:
    """One connection. ``close(code, reason)`` is provided by the I/O edge."""

    id: int
    codec: str
    queue: ListenerQueue
    close: Callable[[int, str], None]
    scene: str = ""
    personal: Stream | None = None
    personal_key: StreamKey | None = None
    gains: dict[str, float] = field(default_factory=dict)
    muted: set[str] = field(default_factory=set)
    volume: float = 1.0
    sleep: dict[str, Any] | None = None
    last_seq: int = -1
    closing: bool = False  # close once the queue has drained
    close_code: int = CLOSE_NORMAL
    close_reason: str = ""
    client_underruns: int = 0
    connected_at: float = field(default_factory=time.monotonic)
    client: str = ""  # the client's address: personal mixes are capped per client
    stems: bool = False  # a /stems/ listener: it mixes the layers itself
    stem_names: tuple[str, ...] | None = None  # the stem layout it was last told

    @property
    def mode(self) -> str:
        if self.stems:
            return "stems"
        return "personal" if self.personal_key is not None else "broadcast"


@dataclass(eq=False)
class Channel:
    name: str
    scene: Scene
    stream: Stream
    engine: Engine
    ring: deque[Produced]
    listeners: set[Listener] = field(default_factory=set)
    personal: set[Listener] = field(default_factory=set)
    reload_error: str | None = None
    removed: bool = False
    skipped: int = 0
    dropped: int = 0
    pending_forks: deque[tuple[int, Callable[[Stream], None]]] = field(default_factory=deque)
    idle_since: float | None = None  # monotonic time the last broadcast listener left
    paused: bool = False  # asked its mixer to pause it (idle)
    seq: int = -1  # the last block published
    reloads: int = 0
    playing: str = "primary"  # what the stream's fallback plays
    codecs: frozenset[str] = frozenset()  # what its stream encodes: its listeners' codecs
    on_air: bool = False  # it feeds Icecast/HLS outputs: never paused when idle
    stem_listeners: set[Listener] = field(default_factory=set)
    stem_codecs: frozenset[str] = frozenset()  # what its stream makes stems in
    late_blocks: int = 0  # its stream's skipped blocks, as its last block reported
    scene_frame: int | None = None  # the scene frame after its last block (None: safe bed)


def stop_stream(stream: Stream) -> None:
    """(mixer thread) Mark a stream stopped; its mixer drops it before the next block."""
    stream.stopped = True


def apply_mix(stream: Stream, gains: dict[str, float], muted: set[str], volume: float) -> None:
    """Set a personal stream's layer gains, mutes and volume (mixer thread)."""
    names = {name for graph in stream.graphs for name in graph.strips}
    for name in names:
        stream.set_layer_gain_db(name, MUTE_DB if name in muted else gains.get(name, 0.0))
    stream.set_volume(volume)


class Hub:
    def __init__(self, config: ServerConfig, clock: AudioClock, engines: list[Engine]):
        self.config = config
        self.clock = clock
        self.engines = engines
        self.channels: dict[str, Channel] = {}
        self.listeners: dict[int, Listener] = {}
        self.started = time.monotonic()
        self.scene_errors: dict[str, str] = {}
        self._ids = itertools.count(1)
        self.dropped_slow = 0
        self.load: dict[str, int] = {e.name: 0 for e in engines}  # streams placed per mixer
        self.placed: dict[StreamKey, Engine] = {}  # personal stream key -> its mixer
        block_ms = 1000 * clock.block / clock.rate
        self.burst_blocks = max(1, math.ceil(config.burst_ms / block_ms))
        self.queue_blocks = max(self.burst_blocks + 1, math.ceil(config.queue_ms / block_ms))

    # -- channels ------------------------------------------------------------------
    def place(self) -> Engine:
        """The mixer with the fewest streams placed (counted here, not read from the
        mixer threads: forks still on their way count too), now counting one more.
        Give it back with ``release`` when that stream goes."""
        engine = min(self.engines, key=lambda e: self.load.get(e.name, 0))
        self.load[engine.name] = self.load.get(engine.name, 0) + 1
        return engine

    def release(self, engine: Engine) -> None:
        """A stream ``place`` put on ``engine`` is gone."""
        self.load[engine.name] = max(0, self.load.get(engine.name, 0) - 1)

    def add_channel(self, scene: Scene, graph: SceneGraph) -> Channel:
        install_taps(graph)  # stems: off until someone listens to them (stems.py)
        if scene.name in self.channels:
            self.replace_scene(scene, graph)
            return self.channels[scene.name]
        # no encoder until someone listens (_sync_codecs): outputs take the raw blocks
        stream = Stream(StreamKey(Kind.CHANNEL, scene.name), graph, {}, self.clock,
                        self.clock.due() + 1, self.config.frames_per_message)
        engine = self.place()
        ring: deque[Produced] = deque(maxlen=self.burst_blocks)
        channel = Channel(scene.name, scene, stream, engine, ring)
        self.channels[scene.name] = channel
        engine.add(stream)
        log.info("channel %s: on air (%s, layers: %s)", scene.name, engine.name,
                 ", ".join(layer.name for layer in scene.layers))
        return channel

    def replace_scene(self, scene: Scene, graph: SceneGraph) -> None:
        """Hot reload: crossfade the running channel, and every personal mix of it, into
        ``graph``; nobody disconnects and personal gains, mutes and volume carry over.

        ``graph`` is a template nobody pulls: each stream copies it on its own mixer
        thread (``Stream.reload``), and the crossfade starts from whatever that stream
        plays now (a reload during a reload's crossfade composes)."""
        channel = self.channels[scene.name]
        install_taps(graph)
        seconds = self.config.crossfade_s
        for listener in channel.personal:
            if listener.personal is None:
                continue
            gains, muted, volume = dict(listener.gains), set(listener.muted), listener.volume

            def switch(s: Stream, gains: dict[str, float] = gains,
                       muted: set[str] = muted, volume: float = volume) -> None:
                s.reload(graph, seconds, catch_up=True,
                         then=lambda s: apply_mix(s, gains, muted, volume))

            listener.personal.request(switch)
        channel.stream.request(lambda s: s.reload(graph, seconds, catch_up=True))
        layers_changed = layer_info(channel.scene) != layer_info(scene)
        channel.scene = scene
        channel.reload_error = None
        channel.removed = False
        log.info("channel %s: reloaded, crossfading over %gs", scene.name, seconds)
        if layers_changed:
            note = dumps({"type": "scene_updated", "scene": scene.name,
                          "layers": layer_info(scene)})
            for listener in channel.listeners | channel.personal:
                listener.queue.offer_text(note)

    def reload_failed(self, name: str, message: str) -> None:
        self.scene_errors[name] = message
        if name in self.channels:
            self.channels[name].reload_error = message
            log.error("channel %s: edit rejected, the previous version keeps playing", name)

    def scene_removed(self, name: str) -> None:
        self.scene_errors.pop(name, None)  # a deleted file's old error is no news
        if name in self.channels:
            self.channels[name].removed = True
            log.warning("channel %s: scene file removed; current listeners keep it", name)

    def listed(self) -> list[Channel]:
        return [c for c in self.channels.values() if not c.removed]

    def _sync_codecs(self, channel: Channel) -> None:
        """Encode a codec only while a listener of the broadcast mix takes it (a
        personal mix encodes its own); tell the mixer when that set changes."""
        wanted = frozenset(member.codec for member in channel.listeners)
        if wanted != channel.codecs:
            channel.codecs = wanted
            bitrate = self.config.bitrate
            channel.stream.request(lambda s: s.set_codecs(wanted, bitrate))
            log.info("channel %s: encoding %s", channel.name, ", ".join(sorted(wanted)) or
                     "nothing (no listener)")

    # (`duplicates` pairs this with _sync_codecs by shape: two sets of listeners, two
    # stream requests; one helper taking both would need four callables to say less)
    def _sync_stems(self, channel: Channel) -> None:
        """Make stems only while someone listens to them, in the codecs they take."""
        wanted = frozenset(member.codec for member in channel.stem_listeners)
        if wanted != channel.stem_codecs:
            channel.stem_codecs = wanted
            bitrate = self.config.stem_bitrate
            channel.stream.request(lambda s: s.set_stem_codecs(wanted, bitrate))
            log.info("channel %s: stems %s", channel.name, ", ".join(sorted(wanted)) or
                     "off (no stem listener)")

    def _offer_stems(self, channel: Channel, listener: Listener, produced: Produced) -> None:
        """A block of stems; a new layout (first block, a reload) is announced first."""
        message = produced.stems.get(listener.codec)
        if message is None:
            return
        if produced.stem_names != listener.stem_names:
            listener.stem_names = produced.stem_names
            listener.queue.offer_text(dumps({
                "type": "stems", "scene": channel.name, "seq": produced.seq,
                "stems": list(produced.stem_names), "layers": layer_info(channel.scene)}))
        self._offer(channel, listener, message, produced.seq)

    # -- audio from the mixers (loop thread) ------------------------------------------
    def on_produced(self, stream: Stream, produced: Produced) -> None:
        key = stream.key
        if stream.kind is Kind.CHANNEL:
            channel = self.channels.get(stream.owner)
            if channel is None or channel.stream is not stream:
                return
            if produced.seq <= channel.seq:  # never fan out a sequence number twice
                log.error("channel %s: block %d repeated; dropped", channel.name, produced.seq)
                return
            channel.seq = produced.seq
            channel.reloads = produced.reloads
            channel.late_blocks = produced.late_blocks
            channel.scene_frame = produced.scene_frame
            if produced.playing != channel.playing:
                log.warning("channel %s: now playing its %s", channel.name, produced.playing)
                channel.playing = produced.playing
            channel.ring.append(produced)
            self._pause_if_idle(channel)
            # forks cost a deep copy each: spread a crowd of them over several blocks
            for _ in range(min(FORKS_PER_BLOCK, len(channel.pending_forks))):
                stream.request(channel.pending_forks.popleft()[1])
            for member in list(channel.listeners):
                message = produced.messages.get(member.codec)
                if message is not None:  # None: its encoder starts with the next block
                    self._offer(channel, member, message, produced.seq)
            for member in list(channel.stem_listeners):
                self._offer_stems(channel, member, produced)
            return
        listener = (self.listeners.get(int(stream.owner)) if stream.kind is Kind.PERSONAL
                    else None)
        if listener is None or listener.personal_key != key:
            stream.request(stop_stream)  # orphan: its listener left or switched
            return
        channel = self.channels[listener.scene]
        if listener.personal is None:  # first block of a fresh fork: take over
            listener.personal = stream
            channel.listeners.discard(listener)
            channel.personal.add(listener)
            self._sync_codecs(channel)
            listener.queue.discard_audio(lambda m: seq_of(m) < produced.seq)
            # the personal stream carries on after the last block the listener has or
            # still has queued: a slow listener's discarded broadcast blocks must be
            # replaced, not skipped (that left a gap in the sequence)
            queued = [seq_of(m) for m in listener.queue.items if isinstance(m, bytes)]
            popped = listener.queue.last_popped
            listener.last_seq = max([-1, *queued] + ([seq_of(popped)] if popped else []))
            gains, muted, volume = dict(listener.gains), set(listener.muted), listener.volume
            stream.request(lambda s: apply_mix(s, gains, muted, volume))
            if listener.sleep is not None:
                left = max(0.0, listener.sleep["ends_at_unix"] - time.time())
                fade = min(listener.sleep["fade"], left)
                stream.request(lambda s: s.set_sleep(left, fade))
            log.info("listener %d: personal mix of %s from block %d",
                     listener.id, listener.scene, produced.seq)
        for event in produced.events:
            listener.queue.offer_text(dumps(event))
            if event.get("type") == "sleep" and event.get("state") == "done":
                listener.sleep = None
                self._close_after_drain(listener, CLOSE_SLEEP, "sleep timer ended")
        if produced.seq > listener.last_seq and not listener.closing:
            self._offer(channel, listener, produced.messages[listener.codec], produced.seq)

    def _pause_if_idle(self, channel: Channel) -> None:
        """Stop mixing a channel nobody has listened to for ``idle_pause_s``: eight idle
        scenes would otherwise cost about a quarter of a core. ``join`` wakes it."""
        limit = self.config.idle_pause_s
        if (limit <= 0 or channel.listeners or channel.stem_listeners or channel.pending_forks
                or channel.on_air):
            channel.idle_since = None
            return
        now = time.monotonic()
        if channel.idle_since is None:
            channel.idle_since = now
        elif now - channel.idle_since >= limit:
            channel.paused = True
            channel.engine.pause(channel.stream.key)
            channel.ring.clear()  # stale audio must not greet the next listener
            channel.idle_since = None
            log.info("channel %s: idle, paused until a listener joins", channel.name)

    def _offer(self, channel: Channel, listener: Listener, message: bytes, seq: int) -> None:
        if listener.closing:
            return
        outcome = listener.queue.offer(message)
        listener.last_seq = seq
        if outcome is Offer.SKIPPED:
            channel.skipped += 1
        elif outcome is Offer.DROP_LISTENER:
            channel.dropped += 1
            self.dropped_slow += 1
            log.warning("listener %d on %s: too slow (%d skips), disconnecting",
                        listener.id, channel.name, listener.queue.skipped)
            # close now, not after the backlog: the close frame goes out next
            listener.queue.discard_audio(lambda m: False)
            listener.queue.items.clear()
            self._close_after_drain(listener, CLOSE_TOO_SLOW, "listener too slow")
            listener.close(CLOSE_TOO_SLOW, "listener too slow")

    def _close_after_drain(self, listener: Listener, code: int, reason: str) -> None:
        listener.closing = True
        listener.close_code = code
        listener.close_reason = reason
        listener.queue.wake()

    # -- listeners -----------------------------------------------------------------
    def new_listener(self, codec: str, close: Callable[[int, str], None],
                     client: str = "") -> Listener:
        queue = ListenerQueue(self.queue_blocks, self.config.max_skips, self.config.skip_window_s)
        listener = Listener(next(self._ids), codec, queue, close, client=client)
        self.listeners[listener.id] = listener
        return listener

    def hello(self, listener: Listener, channel: Channel) -> str:
        return dumps({
            "type": "hello", "protocol": PROTOCOL_VERSION, "scene": channel.name,
            "title": channel.scene.title, "description": channel.scene.description,
            "codec": listener.codec, "sample_rate": self.clock.rate, "channels": 2,
            "frame_size": FRAME_SIZE, "frames_per_message": self.config.frames_per_message,
            "clock_epoch_unix": self.clock.epoch_unix, "mode": listener.mode,
            "layers": layer_info(channel.scene),
        })

    def _enter(self, listener: Listener, name: str, who: str) -> Channel:
        """What every join starts with: wake channel ``name`` if it idles, say hello."""
        channel = self.channels[name]
        listener.scene = name
        listener.last_seq = -1
        channel.idle_since = None
        if channel.paused:
            channel.paused = False
            channel.ring.clear()
            channel.engine.resume(channel.stream.key, self.burst_blocks)
            log.info("channel %s: %s joined, resuming", channel.name, who)
        listener.queue.offer_text(self.hello(listener, channel))
        return channel

    def join(self, listener: Listener, name: str) -> None:
        """Subscribe to channel ``name``: hello, then the ring (fast start), then live."""
        channel = self._enter(listener, name, "listener")
        for produced in channel.ring:
            message = produced.messages.get(listener.codec)
            if message is not None:  # a codec nobody took yet starts with the next block
                listener.queue.offer(message)
                listener.last_seq = produced.seq
        channel.listeners.add(listener)
        self._sync_codecs(channel)

    def join_stems(self, listener: Listener, name: str) -> None:
        """Subscribe to channel ``name``'s stems: hello, the ring's blocks that carry
        stems in the listener's codec, then live (stems start within two blocks)."""
        listener.stems = True
        listener.stem_names = None
        channel = self._enter(listener, name, "stem listener")
        for produced in channel.ring:
            self._offer_stems(channel, listener, produced)
        channel.stem_listeners.add(listener)
        self._sync_stems(channel)

    def _leave_channel(self, listener: Listener) -> None:
        channel = self.channels.get(listener.scene)
        if channel is not None:
            channel.listeners.discard(listener)
            channel.personal.discard(listener)
            channel.stem_listeners.discard(listener)
            channel.pending_forks = deque(f for f in channel.pending_forks
                                          if f[0] != listener.id)
            self._sync_codecs(channel)
            self._sync_stems(channel)
        key = listener.personal_key
        if key is not None:
            engine = self.placed.pop(key, None)
            if engine is not None:
                self.release(engine)
                engine.remove(key)  # a fork still on its way is stopped as an orphan
        listener.personal = None
        listener.personal_key = None

    def leave(self, listener: Listener) -> None:
        self._leave_channel(listener)
        self.listeners.pop(listener.id, None)

    @property
    def personal_count(self) -> int:
        return sum(1 for lst in self.listeners.values() if lst.personal_key is not None)

    def _ensure_personal(self, listener: Listener) -> None:
        if listener.personal_key is not None:
            return
        if self.personal_count >= self.config.max_personal:
            raise ProtocolError(
                "personal_limit",
                f"all {self.config.max_personal} personal mixes are in use; "
                "this connection keeps the broadcast mix",
            )
        cap = self.config.max_personal_per_client
        mine = sum(1 for lst in self.listeners.values()
                   if lst.personal_key is not None and lst.client == listener.client)
        if mine >= cap:
            raise ProtocolError(
                "personal_limit",
                f"this client already has {cap} personal mixes (the most one client may "
                "have); this connection keeps the broadcast mix",
            )
        channel = self.channels[listener.scene]
        key = StreamKey(Kind.PERSONAL, listener.id)
        listener.personal_key = key
        target = self.place()
        self.placed[key] = target
        codec, bitrate = listener.codec, self.config.bitrate
        gains, muted, volume = dict(listener.gains), set(listener.muted), listener.volume

        def fork(s: Stream) -> None:
            twin = s.fork(key, codec, bitrate)
            apply_mix(twin, gains, muted, volume)
            target.add(twin)

        channel.pending_forks.append((listener.id, fork))

    def _push_mix(self, listener: Listener) -> None:
        if listener.personal is not None:
            gains, muted, volume = dict(listener.gains), set(listener.muted), listener.volume
            listener.personal.request(lambda s: apply_mix(s, gains, muted, volume))

    def mix_state(self, listener: Listener) -> str:
        channel = self.channels[listener.scene]
        return dumps({
            "type": "mix", "scene": listener.scene, "mode": listener.mode,
            "volume": listener.volume, "sleep": listener.sleep,
            "layers": {layer.name: {"gain_db": listener.gains.get(layer.name, 0.0),
                                    "muted": layer.name in listener.muted}
                       for layer in channel.scene.layers},
        })

    def _check_layer(self, listener: Listener, name: str | None) -> str:
        scene = self.channels[listener.scene].scene
        names = [layer.name for layer in scene.layers]
        if name not in names:
            raise ProtocolError(
                "unknown_layer",
                f"scene {listener.scene!r} has no layer {name!r} (layers: {', '.join(names)})",
            )
        return name

    def handle(self, listener: Listener, control: Control) -> None:
        """Apply one control message; replies go into the listener's queue.

        Raises ProtocolError (unknown layer or scene, personal-mix limit); the
        connection and its stream carry on either way.
        """
        kind = control.type
        if kind == "ping":
            listener.queue.offer_text(dumps({"type": "pong", "id": control.id,
                                             "seq": listener.last_seq,
                                             "server_time": time.time()}))
            return
        if kind == "stats":
            listener.client_underruns = int(control.underruns or 0)
            return
        if kind == "switch":
            name = control.scene or ""
            if name not in self.channels or self.channels[name].removed:
                known = ", ".join(sorted(c.name for c in self.listed()))
                raise ProtocolError("unknown_scene", f"no scene {name!r} (scenes: {known})")
            self._leave_channel(listener)
            listener.gains.clear()
            listener.muted.clear()
            listener.volume = 1.0
            listener.sleep = None
            listener.queue.discard_audio(lambda m: False)
            if listener.stems:
                self.join_stems(listener, name)
            else:
                self.join(listener, name)
            log.info("listener %d: switched to %s", listener.id, name)
            return
        if listener.stems:  # gain, mute, volume, sleep: the player does them itself
            raise ProtocolError(
                "stems_mix_local", f"{kind}: a stems connection is mixed by the player "
                "(apply gains, volume and the sleep fade locally; /stream/ mixes on the "
                "server)")
        if kind in ("gain", "mute"):
            name = self._check_layer(listener, control.layer)
            self._ensure_personal(listener)
            if kind == "gain":
                listener.gains[name] = float(control.db or 0.0)
            elif control.muted:
                listener.muted.add(name)
            else:
                listener.muted.discard(name)
        elif kind == "volume":
            self._ensure_personal(listener)
            listener.volume = float(control.value if control.value is not None else 1.0)
        elif kind == "sleep":
            self._ensure_personal(listener)
            after, fade = control.after, control.fade
            listener.sleep = None if after is None else {
                "after": after, "fade": fade, "ends_at_unix": time.time() + after}
            self._sleep_request(listener, after, fade)
        self._push_mix(listener)
        listener.queue.offer_text(self.mix_state(listener))

    def _sleep_request(self, listener: Listener, after: float | None, fade: float) -> None:
        """Pass the sleep timer to the personal stream; a pending fork gets it on takeover."""
        if listener.personal is not None:
            listener.personal.request(lambda s: s.set_sleep(after, fade))

    # -- status --------------------------------------------------------------------
    def status(self) -> dict[str, Any]:
        uptime = time.monotonic() - self.started
        channels = []
        for c in self.channels.values():
            everyone = c.listeners | c.personal | c.stem_listeners
            channels.append({
                "scene": c.name, "title": c.scene.title, "listeners": len(everyone),
                "personal_mixes": len(c.personal), "seq": c.seq,
                "server_underruns": c.late_blocks, "skipped_messages": c.skipped,
                "dropped_slow": c.dropped, "reloads": c.reloads,
                "reload_error": c.reload_error, "removed": c.removed,
                "paused": c.paused, "playing": c.playing, "encoding": sorted(c.codecs),
                "stem_listeners": len(c.stem_listeners), "stems": sorted(c.stem_codecs),
                "client_underruns": sum(lst.client_underruns for lst in everyone),
                # where the scene is (its phases): a hot reload goes on from here
                "scene_s": (None if c.scene_frame is None
                            else round(c.scene_frame / self.clock.rate, 1)),
            })
        personal = [{"listener": lst.id, "scene": lst.scene, "gains": lst.gains,
                     "muted": sorted(lst.muted), "volume": lst.volume, "sleep": lst.sleep}
                    for lst in self.listeners.values() if lst.personal_key is not None]
        return {
            "uptime_s": round(uptime, 3),
            "listeners": len(self.listeners),
            "personal_mixes": len(personal),
            "limits": {"listeners": self.config.max_listeners,
                       "personal_mixes": self.config.max_personal},
            "underruns": {
                "server": sum(e.late_blocks for e in self.engines),
                "clients": sum(lst.client_underruns for lst in self.listeners.values()),
            },
            "dropped_slow": self.dropped_slow,
            "mixers": [{"name": e.name, "streams": self.load.get(e.name, 0),
                        "load": round(e.busy_seconds / max(uptime, 1e-9), 4)}
                       for e in self.engines],
            "channels": channels,
            "personal": personal,
            "scene_errors": self.scene_errors,
        }
