"""The I/O edge: websockets server, HTTP routes, the /stream handler, signals.

Everything here only moves data between sockets and the pure parts: the hub decides,
the mixer threads mix and encode, this module sends and receives.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import signal
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from http import HTTPStatus
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.datastructures import Headers
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response

from ..bank import SegmentBank
from ..errors import SoundscapeError
from ..graph import SceneGraph, build_graph
from ..scene import Scene
from ..sources import prompt_group
from .catalog import Catalog
from .clock import AudioClock
from .codec import FRAME_SIZE
from .config import ServerConfig
from .engine import Engine
from .hub import Hub, Listener, scene_info
from .protocol import CODECS, ProtocolError, error, parse_control
from .stream import Produced, Stream

log = logging.getLogger(__name__)

WEB_DIR = Path(__file__).resolve().parent.parent / "web"
CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8", ".svg": "image/svg+xml", ".png": "image/png",
    ".ico": "image/x-icon", ".json": "application/json",
}
WS_MAX_SIZE = 1 << 20  # frames above this close the connection (1009); see docs
CHANNEL_WAIT_S = 120.0  # a listener may wait this long for a scene still being prepared


def _response(status: HTTPStatus, body: bytes, content_type: str) -> Response:
    headers = Headers([("Content-Type", content_type), ("Content-Length", str(len(body))),
                       ("Cache-Control", "no-cache")])
    return Response(status.value, status.phrase, headers, body)


def _json(status: HTTPStatus, data: Any) -> Response:
    return _response(status, json.dumps(data, indent=1).encode(), "application/json")


class StreamServer:
    """One running server: catalog, clock, mixer threads, hub and websockets."""

    def __init__(self, config: ServerConfig):
        self.config = config
        self.catalog = Catalog(config.scenes)
        self.bank = SegmentBank(config.bank) if config.bank else SegmentBank()
        self.clock = AudioClock(48000, FRAME_SIZE * config.frames_per_message)
        self.engines: list[Engine] = []
        self.hub = Hub(config, self.clock, self.engines)
        self.ready: dict[str, asyncio.Event] = {}
        self.server: Server | None = None
        self._builder = ThreadPoolExecutor(1, thread_name_prefix="scene-build")
        self._tasks: set[asyncio.Task[Any]] = set()
        self._stopping = asyncio.Event()
        self.port = config.port
        self._bank_state: dict[str, tuple[int, ...]] = {}  # generated variants per scene
        self.refreshers: list[Any] = []

    # -- life cycle ----------------------------------------------------------------
    async def start(self) -> None:
        loop = asyncio.get_running_loop()

        def publish(stream: Stream, produced: Produced) -> None:
            with contextlib.suppress(RuntimeError):  # loop closed during shutdown
                loop.call_soon_threadsafe(self.hub.on_produced, stream, produced)

        for i in range(max(1, self.config.mixers)):
            engine = Engine(str(i), self.clock, publish)
            self.engines.append(engine)
            engine.start()
        self.server = await serve(
            self._handler, self.config.host, self.config.port,
            process_request=self._process_request, compression=None,
            max_size=WS_MAX_SIZE, close_timeout=1.0, server_header="soundscape",
        )
        sock = next(iter(self.server.sockets))
        self.port = sock.getsockname()[1]
        log.info("serving http://%s:%d/ (scenes from %s)", self.config.host, self.port,
                 self.config.scenes)
        await self._scan()
        self._spawn(self._reload_loop())
        if self.config.refresh_model is not None:
            self._start_refreshers()

    async def stop(self) -> None:
        """Close every listener with 1001 and stop the mixers (bounded: about 1.5 s)."""
        self._stopping.set()
        for task in list(self._tasks):
            task.cancel()
        if self.server is not None:
            self.server.close(close_connections=True)
            try:
                await asyncio.wait_for(self.server.wait_closed(), 1.2)
            except TimeoutError:
                log.warning("some connections did not close in time; aborting them")
        for refresher in self.refreshers:
            refresher.stop(timeout=0.2)
        for engine in self.engines:
            engine.stop(0.2)
        self._builder.shutdown(wait=False, cancel_futures=True)
        log.info("server stopped")

    def _spawn(self, coro: Any) -> None:
        task = asyncio.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # -- scenes --------------------------------------------------------------------
    def _start_refreshers(self) -> None:
        """One background generator per scene with prompts; the mixers never wait."""
        from ..generators import BankGenerator, BankRefresher, make_backend_factory

        generator = BankGenerator(self.bank, make_backend_factory(), progress=False)
        for scene in self.catalog.scenes.values():
            if not any(layer.prompt and not layer.files for layer in scene.layers):
                continue
            refresher = BankRefresher(
                scene, self.bank, generator, interval_s=self.config.refresh_interval_s,
                max_variants=self.config.refresh_max_variants,
                overrides={"model": self.config.refresh_model},
            )
            self.refreshers.append(refresher.start())
            log.info("channel %s: refreshing its bank with %s every %gs", scene.name,
                     self.config.refresh_model, self.config.refresh_interval_s)

    def _bank_signature(self, scene: Scene) -> tuple[int, ...]:
        """How many generated variants the bank holds for each prompt layer."""
        return tuple(self.bank.group_size(prompt_group(layer)) for layer in scene.layers
                     if layer.prompt is not None and not layer.files)

    async def _pick_up_bank_changes(self) -> None:
        """Rebuild (crossfading) channels whose generated segments changed in the bank,
        e.g. by ``soundscape generate`` or a refresher, while they play."""
        loop = asyncio.get_running_loop()
        for name, channel in list(self.hub.channels.items()):
            state = await loop.run_in_executor(None, self._bank_signature, channel.scene)
            if name in self._bank_state and state != self._bank_state[name]:
                log.info("channel %s: new generated segments in the bank; crossfading", name)
                self._bank_state[name] = state
                self._spawn(self._prepare(channel.scene))

    def _build(self, scene: Scene) -> SceneGraph:
        # channels start silent-free: nobody should hear the scene's fade-in on join
        quiet = replace(scene, master=replace(scene.master, fade_in=0.0))
        self._bank_state[scene.name] = self._bank_signature(scene)
        graph = build_graph(quiet, self.bank)
        graph.scene = scene
        for name, material in graph.materials.items():
            log.info("channel %s: layer %s plays %s: %s", scene.name, name, material.source,
                     material.detail)
            for warning in material.warnings:
                log.warning("channel %s: %s", scene.name, warning)
        return graph

    async def _scan(self) -> None:
        loop = asyncio.get_running_loop()
        changes = await loop.run_in_executor(None, self.catalog.scan)
        for name, message in changes.failed.items():
            self.hub.reload_failed(name, message)
        for name in changes.removed:
            self.hub.scene_removed(name)
        for scene in changes.loaded:
            self.ready.setdefault(scene.name, asyncio.Event())
            self._spawn(self._prepare(scene))

    async def _prepare(self, scene: Scene) -> None:
        loop = asyncio.get_running_loop()
        if scene.master.sample_rate != self.clock.rate:
            message = (f"{scene.path}: master.sample_rate {scene.master.sample_rate} is not "
                       f"{self.clock.rate} (the stream runs at 48 kHz)")
            self.hub.reload_failed(scene.name, message)
            return
        try:
            graph = await loop.run_in_executor(self._builder, self._build, scene)
        except SoundscapeError as exc:
            self.hub.reload_failed(scene.name, str(exc))
            return
        except Exception as exc:  # a broken scene never takes the server down
            log.exception("scene %s: cannot build its graph", scene.name)
            self.hub.reload_failed(scene.name, f"{scene.path}: {exc}")
            return
        self.hub.scene_errors.pop(scene.name, None)
        self.hub.add_channel(scene, graph)
        self.ready[scene.name].set()

    async def _reload_loop(self) -> None:
        interval = self.config.reload_interval_s
        if interval <= 0:
            return
        while not self._stopping.is_set():
            await asyncio.sleep(interval)
            try:
                await self._scan()
                await self._pick_up_bank_changes()
            except Exception:
                log.exception("scene reload scan failed")

    # -- HTTP ----------------------------------------------------------------------
    def _scenes(self) -> list[dict[str, Any]]:
        out = []
        for name, scene in sorted(self.catalog.scenes.items()):
            channel = self.hub.channels.get(name)
            if channel is not None and channel.removed:
                continue
            info = scene_info(channel.scene if channel else scene)
            info["ready"] = channel is not None
            out.append(info)
        return out

    def _process_request(self, connection: ServerConnection, request: Request) -> Response | None:
        url = urlsplit(request.path)
        path = unquote(url.path)
        if path.startswith("/stream/"):
            name = path[len("/stream/"):]
            codec = parse_qs(url.query).get("codec", ["opus"])[0]
            if codec not in CODECS:
                return _json(HTTPStatus.BAD_REQUEST, {
                    "code": "bad_codec",
                    "message": f"codec {codec!r} is not one of {', '.join(CODECS)}"})
            if name not in self.ready or (name in self.hub.channels
                                          and self.hub.channels[name].removed):
                return _json(HTTPStatus.NOT_FOUND, {
                    "code": "unknown_scene",
                    "message": f"no scene {name!r} in {self.config.scenes}"})
            if len(self.hub.listeners) >= self.config.max_listeners:
                return _json(HTTPStatus.SERVICE_UNAVAILABLE, {
                    "code": "listener_limit",
                    "message": f"all {self.config.max_listeners} listener places are taken"})
            return None  # go on with the websocket handshake
        if path == "/api/scenes":
            return _json(HTTPStatus.OK, self._scenes())
        if path == "/api/status":
            return _json(HTTPStatus.OK, self.hub.status())
        file = "index.html" if path in ("/", "/index.html") else path.lstrip("/")
        target = (WEB_DIR / file).resolve()
        if (target.parent == WEB_DIR and target.is_file()
                and target.suffix in CONTENT_TYPES):
            return _response(HTTPStatus.OK, target.read_bytes(), CONTENT_TYPES[target.suffix])
        return _json(HTTPStatus.NOT_FOUND, {"code": "not_found", "message": f"no page {path!r}"})

    # -- websocket -----------------------------------------------------------------
    async def _handler(self, ws: ServerConnection) -> None:
        url = urlsplit(ws.request.path if ws.request else "/")
        name = unquote(url.path)[len("/stream/"):]
        codec = parse_qs(url.query).get("codec", ["opus"])[0]
        ready = self.ready.get(name)
        if ready is None:
            await ws.close(1008, f"no scene {name!r}")
            return
        try:
            await asyncio.wait_for(ready.wait(), CHANNEL_WAIT_S)
        except TimeoutError:
            await ws.close(1011, f"scene {name!r} is not ready")
            return
        wake = asyncio.Event()

        def close(code: int, reason: str) -> None:
            self._spawn(ws.close(code, reason))

        listener = self.hub.new_listener(codec, close)
        listener.queue.wake = wake.set
        try:
            self.hub.join(listener, name)
        except Exception:
            self.hub.leave(listener)
            raise
        log.info("listener %d: joined %s (%s) from %s", listener.id, name, codec,
                 ws.remote_address)
        sender = asyncio.create_task(self._send_loop(ws, listener, wake))
        try:
            await self._receive_loop(ws, listener)
        finally:
            sender.cancel()
            with contextlib.suppress(asyncio.CancelledError, ConnectionClosed):
                await sender
            self.hub.leave(listener)
            log.info("listener %d: left %s (code %s)", listener.id, listener.scene,
                     ws.close_code)

    async def _send_loop(self, ws: ServerConnection, listener: Listener,
                         wake: asyncio.Event) -> None:
        queue = listener.queue
        try:
            while True:
                item = queue.pop()
                if item is None:
                    if listener.closing:
                        await ws.close(listener.close_code, listener.close_reason)
                        return
                    wake.clear()
                    await wake.wait()
                    continue
                await ws.send(item)
        except ConnectionClosed:
            return

    async def _receive_loop(self, ws: ServerConnection, listener: Listener) -> None:
        limit = self.config.max_message_bytes
        try:
            async for message in ws:
                try:
                    self.hub.handle(listener, parse_control(message, limit))
                except ProtocolError as exc:
                    listener.queue.offer_text(error(exc.code, exc.message))
        except ConnectionClosed:
            return


async def serve_until_stopped(config: ServerConfig,
                              started: asyncio.Future[StreamServer] | None = None) -> int:
    """Run the server until SIGINT/SIGTERM (or cancellation); returns an exit status."""
    server = StreamServer(config)
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            loop.add_signal_handler(sig, stop.set)
    await server.start()
    if started is not None:
        started.set_result(server)
    try:
        await stop.wait()
        log.info("shutting down")
    finally:
        await server.stop()
    return 0


def run(config: ServerConfig) -> int:
    logging.getLogger("websockets").setLevel(logging.WARNING)
    return asyncio.run(serve_until_stopped(config))
