"""The studio's I/O edge: one websocket client editing one scene file while it plays.

A :class:`StudioSession` runs on the event loop. It owns its :class:`StudioDoc`
and its audition overrides; its :class:`StudioStream` lives on a mixer thread and
is changed only through ``Stream.request`` (see stream.py). Validation runs on a
worker thread, graph builds and fast-forwards on the server's build threads (the
newest edit wins), file reads and writes on worker threads. What the page gets:
see docs/protocol.md, "Studio".

A session sees the server only through a :class:`StudioContext`: the bank, the
build queue, the clock and the config, ``spawn`` for its background tasks, the
studio folder's scene files, the register of open sessions, and a mixer placed by
the hub's accounting (``place``/``release``), never one picked by reading mixer
threads' state. The context, like the sessions, belongs to the event loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from websockets.asyncio.server import ServerConnection
from websockets.exceptions import ConnectionClosed

from ..bank import SegmentBank
from ..clock import AudioClock
from ..errors import Problem, SceneError, SoundscapeError
from ..graph import SceneGraph, build_graph
from ..graph.switch import copy_chain
from ..live import live_scene
from ..probe import check_scene_files
from ..scene import Scene
from .builds import BuildQueue
from .codec import FRAME_SIZE, make_encoder
from .config import ServerConfig
from .engine import Engine
from .protocol import PROTOCOL_VERSION, ProtocolError, dumps, error
from .stream import Kind, Produced, Stream, StreamKey
from .studio_doc import (
    DiskStamp,
    SaveConflict,
    StudioDoc,
    problem_dict,
    problems_of,
    validate,
)
from .studio_edits import Places, add_file_layer, set_value, written_layers
from .studio_live import apply_live, is_live
from .studio_messages import layer_strip, parse_studio
from .studio_stream import (
    EDIT_CROSSFADE_S,
    SEEK_CROSSFADE_S,
    Overrides,
    StudioStream,
    advance,
    apply_overrides,
)
from .studio_upload import MAX_UPLOAD_BYTES, store_upload, upload_name

log = logging.getLogger(__name__)

CODEC = "pcm16"  # loopback: no encoder latency, exact levels for the meters and tests
MAX_QUEUED = 40  # messages waiting for the socket; audio beyond this is dropped
DISK_POLL_S = 0.5
START_BURST = 3  # blocks made at once for a fresh stream
MAX_CATCH_UP_S = 10.0  # an edit's graph is caught up to the playhead on the mixer thread
_ids = itertools.count(1)


@dataclass(eq=False)
class StudioContext:
    """What a studio session may use of the server (event loop only).

    ``spawn(coro)`` runs a background task the server cancels when it stops;
    ``place()`` gives the mixer the hub's accounting picks (counted), ``release``
    gives it back; ``folder`` holds the scene files, ``first`` is the one opened
    first (None: the page lists them).
    """

    folder: Path
    first: str | None
    bank: SegmentBank
    builds: BuildQueue
    clock: AudioClock
    config: ServerConfig
    spawn: Callable[[Coroutine[Any, Any, Any]], None]
    place: Callable[[], Engine]
    release: Callable[[Engine], None]
    sessions: dict[str, StudioSession] = field(default_factory=dict)  # by stream key

    def scenes(self) -> list[str]:
        """The scene files the studio may open: plain ``*.toml`` names in its folder."""
        try:
            return sorted(p.name for p in self.folder.iterdir()
                          if p.suffix == ".toml" and p.is_file() and not p.name.startswith("."))
        except OSError:
            return []

    def file(self, name: str) -> Path | None:
        """The folder's file called ``name``: only a listed name, never a path built
        from user input."""
        return self.folder / name if name in self.scenes() else None

    def register(self, session: StudioSession) -> None:
        self.sessions[session.key] = session

    def unregister(self, session: StudioSession) -> None:
        self.sessions.pop(session.key, None)

    def on_produced(self, stream: Stream, produced: Produced) -> None:
        """(event loop) A block of a studio stream, for the session it belongs to."""
        session = self.sessions.get(stream.key)
        if session is not None:
            session.on_produced(stream, produced)


def _strips(scene: Scene, text: str) -> list[dict[str, Any]]:
    """The page's strips, each with its values as the text writes them."""
    written = written_layers(text)
    return [layer_strip(layer, written[i] if i < len(written) else {})
            for i, layer in enumerate(scene.layers)]


class StudioSession:
    def __init__(self, ctx: StudioContext, ws: ServerConnection, path: Path):
        self.ctx = ctx
        self.ws = ws
        self.id = next(_ids)
        self.key = StreamKey(Kind.STUDIO, self.id)
        self.doc = StudioDoc(path)
        self.overrides = Overrides()
        self.stream: StudioStream | None = None
        self.engine: Engine | None = None  # placed by the hub while the session runs
        self.pristine: SceneGraph | None = None  # the good version, built, never pulled
        self.built: Scene | None = None  # the scene ``pristine`` was built from
        self.builds = 0  # graphs built for this session (live edits build none)
        self.places: Places = {}  # where the form's cleared keys stood (studio_edits)
        self.edit_version = 0
        self.switch_ticket = 0
        self.position = 0.0  # scene seconds at the last meters message
        self.client_underruns = 0
        self.dropped = 0
        self.upload: dict[str, Any] | None = None
        self.notified_disk: str | None = None
        self._queue: asyncio.Queue[str | bytes] = asyncio.Queue()
        self._wake = asyncio.Event()

    # -- outgoing ---------------------------------------------------------------------
    def send(self, message: dict[str, Any]) -> None:
        self._queue.put_nowait(dumps(message))

    def on_produced(self, stream: Stream, produced: Produced) -> None:
        """(event loop) A block of our stream: its audio and its events to the page."""
        if stream is not self.stream:
            return
        if self._queue.qsize() < MAX_QUEUED:
            self._queue.put_nowait(produced.messages[CODEC])
        else:
            self.dropped += 1
        for event in produced.events:
            if event.get("type") == "meters":
                self.position = float(event["position"])
            elif event.get("type") == "heard":
                log.info("studio %d: version %s heard %.1f ms after it arrived", self.id,
                         event["version"], event["latency_ms"])
            self._queue.put_nowait(dumps(event))

    async def _send_loop(self) -> None:
        with contextlib.suppress(ConnectionClosed):
            while True:
                await self.ws.send(await self._queue.get())

    # -- life cycle -------------------------------------------------------------------
    async def run(self) -> None:
        try:
            await self.doc.load()
        except SceneError as exc:
            await self.ws.close(1011, str(exc)[:120])
            return
        engine = self.engine = self.ctx.place()
        self.ctx.register(self)
        self.send(self._hello())
        sender = asyncio.create_task(self._send_loop())
        watcher = asyncio.create_task(self._watch_disk())
        first = asyncio.create_task(self.apply_text(self.doc.text, time.perf_counter()))
        log.info("studio %d: editing %s", self.id, self.doc.path)
        try:
            await self._receive_loop()
        finally:
            for task in (sender, watcher, first):
                task.cancel()
            self.ctx.unregister(self)
            if self.stream is not None:
                engine.remove(self.key)
            self.ctx.release(engine)
            log.info("studio %d: closed (%d audio messages dropped)", self.id, self.dropped)

    def _hello(self) -> dict[str, Any]:
        ctx = self.ctx
        return {
            "type": "studio", "protocol": PROTOCOL_VERSION, "file": self.doc.path.name,
            "path": str(self.doc.path), "text": self.doc.text, "codec": CODEC,
            "sample_rate": ctx.clock.rate, "channels": 2, "frame_size": FRAME_SIZE,
            "frames_per_message": ctx.config.frames_per_message,
            "scenes": ctx.scenes(), "max_upload_bytes": MAX_UPLOAD_BYTES,
        }

    async def _receive_loop(self) -> None:
        try:
            async for message in self.ws:
                try:
                    if isinstance(message, bytes) and self.upload is not None:
                        await self._upload_chunk(message)
                        continue
                    await self.handle(parse_studio(message), time.perf_counter())
                except ProtocolError as exc:
                    self._queue.put_nowait(error(exc.code, exc.message))
                except Exception:  # a bug: keep the session, say so
                    log.exception("studio %d: a message failed", self.id)
                    self._queue.put_nowait(error("internal", "the studio could not apply "
                                                             "this message (see its log)"))
        except ConnectionClosed:
            return

    # -- messages ---------------------------------------------------------------------
    async def handle(self, msg: dict[str, Any], received: float) -> None:
        kind = msg["type"]
        if kind == "edit":
            self.doc.text = msg["text"]  # now: a reload from disk must see the edit
            self._spawn(self.apply_text(msg["text"], received))
        elif kind == "set":
            text = self.doc.text = set_value(self.doc.text, msg["path"], msg["value"],
                                             self.places)
            self.send({"type": "text", "text": text, "reason": "set", "path": msg["path"]})
            self._spawn(self.apply_text(text, received))
        elif kind == "override":
            self._override(msg)
        elif kind == "trigger":
            self._trigger(msg["layer"])
        elif kind == "seek":
            self._spawn(self._switch(received, at=float(msg["time"])))
        elif kind == "save":
            await self._save(bool(msg["force"]))
        elif kind == "reload":
            await self._reload_from_disk("reload")
        elif kind == "ping":
            self.send({"type": "pong", "id": msg["id"], "server_time": time.time()})
        elif kind == "stats":
            self.client_underruns = int(msg["underruns"])
        elif kind == "upload":
            self._start_upload(msg["name"], int(msg["size"]))

    def _spawn(self, coro: Coroutine[Any, Any, Any]) -> None:
        self.ctx.spawn(coro)

    def _layer_names(self) -> list[str]:
        scene = self.doc.scene
        return [layer.name for layer in scene.layers] if scene is not None else []

    def _check_layer(self, name: str) -> None:
        names = self._layer_names()
        if name not in names:
            raise ProtocolError("unknown_layer",
                                f"no layer {name!r} (layers: {', '.join(names)})")

    def _override(self, msg: dict[str, Any]) -> None:
        name = msg["layer"]
        self._check_layer(name)
        o = self.overrides
        if "gain_db" in msg:
            o.gains[name] = float(msg["gain_db"])
        for key, chosen in (("mute", o.muted), ("solo", o.solo)):
            if key in msg:
                if msg[key]:
                    chosen.add(name)
                else:
                    chosen.discard(name)
        snapshot = o.copy()

        def apply(s: Stream) -> None:
            for graph in s.graphs:
                apply_overrides(graph, snapshot)

        if self.stream is not None:
            self.stream.request(apply)
        self.send({"type": "overrides", "gains": o.gains, "muted": sorted(o.muted),
                   "solo": sorted(o.solo)})

    def _trigger(self, name: str) -> None:
        self._check_layer(name)
        scene = self.doc.scene
        assert scene is not None
        if scene.layer(name).kind != "event":
            raise ProtocolError("not_event", f"trigger: {name!r} is a bed; only event "
                                             "layers can be triggered")
        stream = self.stream
        if stream is None:
            raise ProtocolError("not_ready", "trigger: the scene is still being prepared")
        loop = asyncio.get_running_loop()

        def trigger(s: Stream) -> None:
            graph = s.graph
            if graph is None or name not in graph.strips:
                return
            player = graph.strips[name].source
            placed = player.trigger()  # type: ignore[attr-defined]
            at = round(placed.start / s.rate, 3)
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(self.send, {"type": "triggered", "layer": name,
                                                      "time": at})

        stream.request(trigger)

    # -- edits, seeks -----------------------------------------------------------------
    def _build(self, scene: Scene) -> SceneGraph:
        """(build thread) The scene's graph as live outputs play it (``live_scene``:
        no fade-in), with per-layer taps."""
        check_scene_files(scene)
        return build_graph(live_scene(scene), self.ctx.bank, taps=True)

    async def apply_text(self, text: str, received: float) -> None:
        """Validate ``text``; if good, play it: by live changes to the running graph
        when only live values changed (studio_live.py), else by building it and
        crossfading to it at the playhead (the old version plays meanwhile); if not,
        send its problems (the last good version keeps playing)."""
        self.doc.text = text
        self.edit_version += 1
        version = self.edit_version
        validated = started = time.perf_counter()
        try:
            scene = await asyncio.to_thread(validate, text, self.doc.path)
            validated = started = time.perf_counter()
            if version != self.edit_version:
                return  # superseded while it was checked
            if self.built is not None and self.stream is not None and is_live(self.built,
                                                                                scene):
                self._apply_live(scene, text, version, received, validated)
                return
            self.builds += 1
            future = self.ctx.builds.submit(self.key, partial(self._build, scene),
                                            urgent=True)
            try:
                graph = await asyncio.wrap_future(future)
            except asyncio.CancelledError:
                if future.cancelled():
                    return  # a newer edit replaced it
                raise
        except SceneError as exc:
            problems = problems_of(exc, text)
        except SoundscapeError as exc:  # an unusable audio file, a recipe failing
            problems = [Problem("", None, str(exc))]
        else:
            problems = []
        if version != self.edit_version:
            return  # superseded while it was checked
        self.doc.problems = problems
        if problems:
            self.send({"type": "problems", "version": version,
                       "problems": [problem_dict(p) for p in problems]})
            return
        self.doc.scene, self.doc.good_text = scene, text
        self.pristine, self.built = graph, scene
        self.send({"type": "applied", "version": version, "live": False,
                   "validate_ms": round((validated - received) * 1000, 1),
                   "build_ms": round((time.perf_counter() - started) * 1000, 1),
                   "layers": _strips(scene, text),
                   "dirty": self.doc.dirty})
        await self._switch(received, at=None, version=version)

    def _apply_live(self, scene: Scene, text: str, version: int, received: float,
                    validated: float) -> None:
        """Play a validated ``scene`` that differs from the built one only in live
        values: a message to the mixer thread sets them on every graph it pulls
        (gliding); the first block made after that says ``heard``."""
        self.doc.problems = []
        self.doc.scene, self.doc.good_text = scene, text
        self.send({"type": "applied", "version": version, "live": True,
                   "validate_ms": round((validated - received) * 1000, 1), "build_ms": 0.0,
                   "layers": _strips(scene, text),
                   "dirty": self.doc.dirty})

        def live(s: Stream) -> None:
            for graph in s.graphs:
                apply_live(graph, scene)
            assert isinstance(s, StudioStream)
            s.heard = (version, received)

        assert self.stream is not None
        self.stream.request(live)

    def _prepared(self, pristine: SceneGraph, frames: int, overrides: Overrides,
                  scene: Scene | None) -> SceneGraph:
        """(build thread) A copy of the built graph, at scene frame ``frames``, playing
        ``scene``'s live values."""
        graph: SceneGraph = copy_chain(pristine)
        if scene is not None:
            apply_live(graph, scene, glide=False)
        advance(graph, frames)
        apply_overrides(graph, overrides, glide=False)
        return graph

    async def _switch(self, received: float, at: float | None, version: int = 0) -> None:
        """Crossfade to the good version at scene time ``at`` (None: the playhead)."""
        pristine = self.pristine
        if pristine is None:
            raise ProtocolError("not_ready", "the scene is still being prepared")
        self.switch_ticket += 1
        ticket = self.switch_ticket
        rate = self.ctx.clock.rate
        frames = int(round((self.position if at is None else at) * rate))
        future = self.ctx.builds.submit(
            f"{self.key}:seek", partial(self._prepared, pristine, frames, self.overrides.copy(),
                                        self.doc.scene), urgent=True)
        try:
            graph = await asyncio.wrap_future(future)
        except asyncio.CancelledError:
            if future.cancelled():
                return
            raise
        if ticket != self.switch_ticket:
            return
        overrides = self.overrides.copy()
        scene = self.doc.scene  # live edits made while it was prepared are kept
        if at is not None:
            self.position = at
        if self.stream is None:
            clock = self.ctx.clock
            stream = StudioStream(self.key, graph, {CODEC: make_encoder(CODEC)}, clock,
                                  max(0, clock.due() - START_BURST + 1),
                                  self.ctx.config.frames_per_message)
            stream.heard = (version, received)
            self.stream = stream
            assert self.engine is not None  # placed in run() before any edit
            self.engine.add(stream)
            return
        keep_playhead = at is None
        crossfade = EDIT_CROSSFADE_S if keep_playhead else SEEK_CROSSFADE_S

        def reload(s: Stream) -> None:
            old = s.graph
            if keep_playhead and old is not None:  # the playhead moved on meanwhile
                gap = old.position - graph.position
                if 0 < gap <= MAX_CATCH_UP_S * s.rate:
                    advance(graph, gap)
            if scene is not None:
                apply_live(graph, scene, glide=False)
            apply_overrides(graph, overrides, glide=False)
            s.reload(graph, crossfade)
            assert isinstance(s, StudioStream)
            s.heard = (version, received)

        self.stream.request(reload)

    # -- files (the doc's disk work: studio_doc.py) -------------------------------------
    async def _save(self, force: bool) -> None:
        try:
            saved = await self.doc.save(force)
        except SaveConflict as exc:
            self._queue.put_nowait(error("changed_on_disk", str(exc)))
            return
        except SceneError as exc:
            self._queue.put_nowait(error("invalid", exc.problems[0] if exc.problems
                                         else str(exc)))
            return
        except OSError as exc:
            self._queue.put_nowait(error("save_failed", f"cannot write {self.doc.path}: "
                                                        f"{exc.strerror or exc}"))
            return
        self.notified_disk = None
        log.info("studio %d: saved %s (%d bytes)", self.id, self.doc.path, saved.size)
        self.send({"type": "saved", "path": str(self.doc.path), "bytes": saved.size})

    def _kept_edits(self, stamp: DiskStamp) -> None:
        """Another editor's change arrived while the author has unsaved edits: they
        are kept (a save now conflicts until forced); say so once per change."""
        if stamp.digest != self.notified_disk:
            self.notified_disk = stamp.digest
            self.send({"type": "disk_changed", "message":
                       f"{self.doc.path.name} changed on disk and you have unsaved "
                       "edits: reload to take the file, or save to overwrite it"})

    def _took_file(self, reason: str) -> None:
        """The doc took the file's text: to the page, and applied like an edit (in
        the background: messages keep flowing while it is validated and built)."""
        self.notified_disk = None
        self.send({"type": "text", "text": self.doc.text, "reason": reason})
        self._spawn(self.apply_text(self.doc.text, time.perf_counter()))

    async def _reload_from_disk(self, reason: str) -> None:
        """The author asked for the file as it is on disk (their edits dropped), unless
        an edit arrived while it was read: then that edit is kept and they are told."""
        try:
            taken = await self.doc.reload()
        except SceneError as exc:
            self._queue.put_nowait(error("cannot_read", str(exc.problems[0])))
            return
        if taken:
            self._took_file(reason)
        else:
            self.send({"type": "disk_changed", "message":
                       f"{self.doc.path.name} was not reloaded: an edit arrived while it "
                       "was read; reload again to take the file"})

    async def _watch_disk(self) -> None:
        """Pick up another editor's changes: taken when the studio has no unsaved
        edits, else announced and the edits kept (the page offers to reload or
        overwrite)."""
        trouble = ""
        while True:
            await asyncio.sleep(DISK_POLL_S)
            try:
                polled = await self.doc.poll_disk()
            except SceneError as exc:  # gone, unreadable, not text: said once
                if str(exc) != trouble:
                    trouble = str(exc)
                    log.warning("studio %d: cannot check %s: %s", self.id, self.doc.path,
                                exc.problems[0])
                continue
            trouble = ""
            if polled is None:
                continue
            if polled.taken:
                log.info("studio %d: %s changed on disk; reloaded", self.id, self.doc.path)
                self._took_file("disk")
            else:
                self._kept_edits(polled.stamp)

    def _start_upload(self, name: str, size: int) -> None:
        folder = self.doc.path.parent
        safe = upload_name(name, folder)  # raises bad_type before any byte is taken
        self.upload = {"name": safe, "size": size, "chunks": [], "received": 0}
        self.send({"type": "upload_ready", "name": safe, "size": size})

    async def _upload_chunk(self, data: bytes) -> None:
        up = self.upload
        assert up is not None
        up["received"] += len(data)
        if up["received"] > up["size"]:
            self.upload = None
            raise ProtocolError("too_big", f"upload: more than the announced {up['size']} "
                                           "bytes")
        up["chunks"].append(bytes(data))
        if up["received"] < up["size"]:
            return
        self.upload = None
        # a worker stores the bytes (atomic, never over another file) and says where
        stored = await asyncio.to_thread(store_upload, self.doc.path.parent, up["name"],
                                         b"".join(up["chunks"]))
        stem = Path(stored).stem
        layer = stem
        names = set(self._layer_names())
        n = 2
        while layer in names:
            layer = f"{stem}-{n}"
            n += 1
        seconds = self.doc.scene.master.segment_seconds if self.doc.scene else 10.0
        text = add_file_layer(self.doc.text, layer, stored, seconds)
        self.send({"type": "uploaded", "name": stored, "layer": layer})
        self.send({"type": "text", "text": text, "reason": "upload"})
        self.doc.text = text  # now, as for an edit; built in the background
        self._spawn(self.apply_text(text, time.perf_counter()))
