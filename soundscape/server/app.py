"""The I/O edge: websockets server, HTTP routes, the /stream handler, signals.

Everything here only moves data between sockets and the pure parts: the hub decides,
the mixer threads mix and encode, this module sends and receives.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import json
import logging
import os
import re
import shutil
import signal
import struct
import tempfile
from collections.abc import Awaitable
from dataclasses import replace
from functools import partial
from http import HTTPStatus
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, unquote, urlsplit

from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.datastructures import Headers
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response
from websockets.protocol import State

from ..bank import SegmentBank
from ..errors import SoundscapeError
from ..graph import SceneGraph, build_graph
from ..mixdown import DownloadError, Downloads
from ..outputs import ChannelOutputs, Level, make_outputs
from ..probe import check_scene_files
from ..render import lossy_headroom
from ..scene import Scene
from ..sources import prompt_group
from .builds import BuildQueue
from .catalog import Catalog
from ..clock import AudioClock
from .codec import FRAME_SIZE
from .config import ServerConfig
from .engine import Engine
from .gate import Gate, RateLimitedLog, Refusal, listener_limit
from .hub import CLOSE_TOO_SLOW, Hub, Listener, scene_info
from .protocol import CODECS, MIX_TYPES, ProtocolError, error, parse_control
from .stream import Produced, Stream
from .studio_session import StudioSession

log = logging.getLogger(__name__)

WEB_DIR = Path(__file__).resolve().parent.parent / "web"
HLS_TYPES = {  # what --hls writes, as HLS players expect it
    ".m3u8": "application/vnd.apple.mpegurl", ".m4s": "video/iso.segment", ".mp4": "audio/mp4",
}
HLS_NAME = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9_.-]{0,99}")
CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8", ".svg": "image/svg+xml", ".png": "image/png",
    ".ico": "image/x-icon", ".json": "application/json",
}
WS_MAX_SIZE = 1 << 20  # frames above this close the connection (1009); see docs
METHODS = ("GET", "HEAD")
MAX_PENDING_REPLIES = 32  # stop reading a client's messages while this many replies wait
CHANNEL_WAIT_S = 120.0  # a listener may wait this long for a scene still being prepared
BUILD_WORKERS = max(3, min(4, os.cpu_count() or 2))  # scene builds (one kept for urgent)
IN_FLIGHT_BLOCKS = 10  # audio messages a listener's socket may hold unsent/unacked (1 s)
MIN_IN_FLIGHT = 16384  # bytes, whatever the codec
SEND_POLL_S = 0.02  # how often a congested listener's socket is looked at again
SLOW_CLOSE_S = 10.0  # a listener closed for being slow gets this long to read the close
DOWNLOAD_SWEEP_S = 5.0  # how often finished download renders are reaped


def _in_flight(ws: ServerConnection) -> int:
    """Bytes written for ``ws`` and not yet acknowledged by the client: the transport's
    buffer plus, on Linux, the kernel's send queue (SIOCOUTQ)."""
    transport = ws.transport
    pending = transport.get_write_buffer_size()
    if pending:
        return 1 << 30  # the kernel is full: wait until the transport has handed it over
    sock = transport.get_extra_info("socket")
    try:
        import fcntl
        import termios

        raw = fcntl.ioctl(sock.fileno(), termios.TIOCOUTQ, b"\0\0\0\0")
    except (ImportError, AttributeError, OSError):  # not Linux, or no socket: transport only
        return 0
    return int(struct.unpack("i", raw)[0])


def _response(status: HTTPStatus, body: bytes, content_type: str,
              extra: tuple[tuple[str, str], ...] = ()) -> Response:
    cache = () if any(k == "Cache-Control" for k, _ in extra) else (("Cache-Control", "no-cache"),)
    headers = Headers([("Content-Type", content_type), ("Content-Length", str(len(body))),
                       *cache, ("X-Content-Type-Options", "nosniff"), *extra])
    return Response(status.value, status.phrase, headers, body)


def _json(status: HTTPStatus, data: Any, extra: tuple[tuple[str, str], ...] = ()) -> Response:
    body = json.dumps(data, indent=1, allow_nan=False).encode()
    return _response(status, body, "application/json", extra)


def _refuse(refusal: Refusal, extra: tuple[tuple[str, str], ...] = ()) -> Response:
    return _json(refusal.status, {"code": refusal.code, "message": refusal.message}, extra)


def _web_file(path: str) -> Path | None:
    """The player file named by ``path``: a plain name listed in WEB_DIR, never a
    path built from user input (no traversal, no NUL, no over-long names)."""
    name = "index.html" if path in ("/", "/index.html") else path[1:]
    if not name or "/" in name or "\\" in name or len(name) > 100:
        return None
    for file in WEB_DIR.iterdir():
        if file.name == name and file.suffix in CONTENT_TYPES and file.is_file():
            return file
    return None


def _query(url_query: str) -> dict[str, str]:
    """First value of each query parameter, blanks kept (``?codec=`` is an empty codec)."""
    return {k: v[0] for k, v in parse_qs(url_query, keep_blank_values=True).items()}


def _peer_host(connection: ServerConnection) -> str | None:
    address = connection.remote_address
    return str(address[0]) if isinstance(address, tuple) and address else None


class StreamServer:
    """One running server: catalog, clock, mixer threads, hub and websockets."""

    def __init__(self, config: ServerConfig):
        # access checks and the listener cap that fits the open-file limit (gate.py)
        config = replace(config, max_listeners=listener_limit(config.max_listeners))
        self.gate = Gate.for_server(config.host, config.allow_origins, config.token)
        self._admitted: set[ServerConnection] = set()  # upgrades let through, not yet gone
        self._log_refusal = RateLimitedLog(log)
        self._log_failure = RateLimitedLog(log)
        self.config = config
        self.catalog = Catalog(config.scenes)
        self.bank = SegmentBank(config.bank) if config.bank else SegmentBank()
        self.clock = AudioClock(48000, FRAME_SIZE * config.frames_per_message)
        self.engines: list[Engine] = []
        self.hub = Hub(config, self.clock, self.engines)
        self.ready: dict[str, asyncio.Event] = {}
        # the player's download button: renders in their own processes (mixdown.py)
        self._download_dir = Path(tempfile.mkdtemp(prefix="soundscape-downloads-"))
        self.downloads = Downloads(self._download_dir, self.catalog.scenes.get, self.bank.root)
        self.outputs = ChannelOutputs()  # --icecast / --hls: fed by the channels' mixers
        self.server: Server | None = None
        # scenes are built in parallel, a waited-for one first; daemon threads, never
        # joined, so a wedged build cannot block reloads or shutdown (builds.py)
        self.builds = BuildQueue(BUILD_WORKERS)
        self._files = BuildQueue(1, "scene-scan")  # folder scans and bank checks, likewise
        self._wanted: dict[str, int] = {}  # scene -> newest build asked for
        self._tasks: set[asyncio.Task[Any]] = set()
        self._stopping = asyncio.Event()
        self.port = config.port
        self._bank_state: dict[str, tuple[int, ...]] = {}  # generated variants per scene
        self.refreshers: list[Any] = []
        # studio mode (soundscape studio): the folder of scene files, the one opened first
        self.studios: dict[str, StudioSession] = {}
        self.studio_dir: Path | None = None
        self.studio_file: str | None = None
        if config.studio is not None:
            studio = config.studio
            self.studio_dir = studio if studio.is_dir() else studio.parent
            self.studio_file = None if studio.is_dir() else studio.name

    # -- life cycle ----------------------------------------------------------------
    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        loop.set_exception_handler(self._loop_exception)  # accept() failures: rate-limited

        def publish(stream: Stream, produced: Produced) -> None:
            target = self._studio_produced if stream.key.startswith("studio:") \
                else self.hub.on_produced
            with contextlib.suppress(RuntimeError):  # loop closed during shutdown
                loop.call_soon_threadsafe(target, stream, produced)

        for i in range(max(1, self.config.mixers)):
            engine = Engine(str(i), self.clock, publish)
            self.engines.append(engine)
            engine.start()
        # know the scenes (and start building them) before the port opens, so an early
        # listener finds its scene waiting to be built, not unknown
        if self.studio_dir is None:  # the studio builds only the scene it edits
            await self._scan()
        self.server = await serve(
            self._handler, self.config.host, self.config.port,
            process_request=self._process_request, compression=None,
            max_size=WS_MAX_SIZE, close_timeout=1.0, server_header="soundscape",
        )
        sock = next(iter(self.server.sockets))
        self.port = sock.getsockname()[1]
        log.info("serving http://%s:%d/ (scenes from %s)", self.config.host, self.port,
                 self.config.scenes)
        if self.gate.token is not None:
            shown = "localhost" if self.gate.wildcard else self.config.host
            log.info("player with control: http://%s:%d/?token=%s (listening needs no token)",
                     f"[{shown}]" if ":" in shown else shown, self.port,
                     quote(self.gate.token, safe=""))
        if self.studio_dir is not None:
            log.info("studio: http://%s:%d/studio%s", self.config.host, self.port,
                     self.studio_query())
        else:
            self._spawn(self._reload_loop())
        self._spawn(self._sweep_downloads())
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
        if self.refreshers:
            self.refreshers[0].worker.stop(timeout=0.2)  # the shared generation worker
        for engine in self.engines:
            engine.stop(0.2)
        self.builds.close()  # a running (even wedged) build is abandoned, not joined
        self._files.close()
        self.downloads.close()  # stops running renders, removes their files
        await asyncio.to_thread(self.outputs.close, 2.0)  # HLS ends its playlists
        self._log_output_events()
        shutil.rmtree(self._download_dir, ignore_errors=True)
        log.info("server stopped")

    def _spawn(self, coro: Any) -> None:
        task = asyncio.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # -- studio --------------------------------------------------------------------
    def studio_query(self) -> str:
        """The query string of the studio's URL (the file opened first, the token)."""
        parts = []
        if self.studio_file is not None:
            parts.append(f"scene={quote(self.studio_file, safe='')}")
        if self.gate.token is not None:
            parts.append(f"token={quote(self.gate.token, safe='')}")
        return "?" + "&".join(parts) if parts else ""

    def studio_scenes(self) -> list[str]:
        """The scene files the studio may open: plain ``*.toml`` names in its folder."""
        if self.studio_dir is None:
            return []
        try:
            return sorted(p.name for p in self.studio_dir.iterdir()
                          if p.suffix == ".toml" and p.is_file() and not p.name.startswith("."))
        except OSError:
            return []

    def _studio_file(self, name: str) -> Path | None:
        """The studio folder's file called ``name``: only a listed name, never a path
        built from user input."""
        if self.studio_dir is None or name not in self.studio_scenes():
            return None
        return self.studio_dir / name

    def _studio_produced(self, stream: Stream, produced: Produced) -> None:
        session = self.studios.get(stream.key)
        if session is not None:
            session.on_produced(stream, produced)

    # -- scenes --------------------------------------------------------------------
    def _start_refreshers(self) -> None:
        """One background generator per scene with prompts; the mixers never wait."""
        from ..generators import BankGenerator, BankRefresher, make_backend_factory
        from ..generators.refresher import GenerationWorker

        # one worker thread owns the generator and its (not thread-safe) pipelines;
        # every scene's refresher sends it requests
        generator = GenerationWorker(
            BankGenerator(self.bank, make_backend_factory(), progress=False))
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
        for name, channel in list(self.hub.channels.items()):
            state = await asyncio.wrap_future(
                self._files.submit(f"bank:{name}", partial(self._bank_signature, channel.scene)))
            if name in self._bank_state and state != self._bank_state[name]:
                log.info("channel %s: new generated segments in the bank; crossfading", name)
                self._bank_state[name] = state
                self._spawn(self._prepare(channel.scene))

    def _build(self, scene: Scene) -> SceneGraph:
        # channels start silent-free: nobody should hear the scene's fade-in on join
        check_scene_files(scene)  # a damaged or hostile audio file: a reported error
        # Opus, MP3 and AAC overshoot the limiter: a lossy stream gets more headroom
        quiet = replace(scene, master=replace(scene.master, fade_in=0.0,
                        ceiling_dbtp=lossy_headroom(scene).master.ceiling_dbtp))
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
        changes = await asyncio.wrap_future(self._files.submit("scan", self.catalog.scan))
        for name, message in changes.failed.items():
            self.hub.reload_failed(name, message)
        for name in changes.removed:
            self.hub.scene_removed(name)
        for scene in changes.loaded:
            self.ready.setdefault(scene.name, asyncio.Event())
            self._spawn(self._prepare(scene))

    async def _prepare(self, scene: Scene) -> None:
        """Build ``scene`` on the build threads, then put it on air (or crossfade the
        running channel into it). Of several builds of one scene, only the newest
        asked for is applied, whatever order they finish in."""
        if scene.master.sample_rate != self.clock.rate:
            message = (f"{scene.path}: master.sample_rate {scene.master.sample_rate} is not "
                       f"{self.clock.rate} (the stream runs at 48 kHz)")
            self.hub.reload_failed(scene.name, message)
            return
        ticket = self._wanted.get(scene.name, 0) + 1
        self._wanted[scene.name] = ticket
        # someone hears (or waits for) this scene: build it ahead of the idle ones
        heard = any(lst.scene == scene.name for lst in self.hub.listeners.values())
        future = self.builds.submit(scene.name, partial(self._build, scene), urgent=heard)
        try:
            graph = await asyncio.wrap_future(future)
        except asyncio.CancelledError:
            if future.cancelled():  # superseded by a newer build of the scene
                return
            raise
        except SoundscapeError as exc:
            self.hub.reload_failed(scene.name, str(exc))
            return
        except Exception as exc:  # a broken scene never takes the server down
            log.exception("scene %s: cannot build its graph", scene.name)
            self.hub.reload_failed(scene.name, f"{scene.path}: {exc}")
            return
        if self._wanted.get(scene.name) != ticket:
            return  # a newer edit is being built; it will be applied instead
        self.hub.scene_errors.pop(scene.name, None)
        fresh = scene.name not in self.hub.channels
        channel = self.hub.add_channel(scene, graph)
        if fresh and (self.config.icecast or self.config.hls is not None):
            self._put_on_air(channel.name, scene, channel.stream)
            channel.on_air = True
        self.ready[scene.name].set()

    def _put_on_air(self, name: str, scene: Scene, stream: Stream) -> None:
        """Feed a new channel's blocks to its Icecast mounts (MOUNT/NAME.opus, .mp3)
        and its HLS folder (DIR/NAME); an output that cannot start is logged by name
        and the channel plays on for its websocket listeners."""
        config = self.config
        targets = [replace(t, mount=f"{t.mount}/{name}") for t in config.icecast]
        try:
            outputs = make_outputs(scene, targets, config.icecast_formats, config.hls,
                                   config.hls_segment_s, config.icecast_bitrate)
        except SoundscapeError as exc:
            log.error("channel %s: no Icecast/HLS output: %s", name, exc)
            return
        self.outputs.add(name, outputs)
        sink = partial(self.outputs.push, name)
        stream.request(lambda s: setattr(s, "sink", sink))
        for output in outputs:
            log.info("channel %s: on air at %s", name, output.name)

    async def _sweep_downloads(self) -> None:
        while not self._stopping.is_set():
            await asyncio.sleep(DOWNLOAD_SWEEP_S)
            try:
                self.downloads.sweep()
            except Exception:
                log.exception("download sweep failed")
            self._log_output_events()

    def _log_output_events(self) -> None:
        levels = {Level.INFO: logging.INFO, Level.WARNING: logging.WARNING,
                  Level.ERROR: logging.ERROR}
        for event in self.outputs.events():
            log.log(levels.get(event.level, logging.WARNING), "output %s", event)

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
    def _loop_exception(self, loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        """Out of file descriptors, asyncio reports every failed accept() (thousands a
        second, with a traceback each): log that once a minute; the rest as usual."""
        if context.get("message") == "socket.accept() out of system resource":
            self._log_refusal(logging.ERROR, "cannot accept connections: %s (raise the "
                              "open-file limit, ulimit -n, or lower --max-listeners)",
                              context.get("exception"))
            return
        loop.default_exception_handler(context)

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

    async def _process_request(self, connection: ServerConnection,
                               request: Request) -> Response | None:
        """Answer HTTP requests and vet websocket upgrades (None: go on with the upgrade).

        GET and HEAD only (405 otherwise); Host and Origin are checked on every
        request; no request path ever reaches the file system or a 500 page.
        """
        try:
            if request.method not in METHODS:
                return _json(HTTPStatus.METHOD_NOT_ALLOWED, {
                    "code": "bad_method", "message": "only GET and HEAD are served"},
                    (("Allow", ", ".join(METHODS)),))
            routed = self._route(connection, request)
            response = await routed if inspect.isawaitable(routed) else routed
        except Exception:  # a bug: log it (rate-limited), answer without a traceback
            self._log_failure(logging.ERROR, "HTTP request failed", exc_info=True)
            response = _json(HTTPStatus.INTERNAL_SERVER_ERROR, {
                "code": "internal", "message": "the server failed (see its log)"})
        if request.method == "HEAD":
            if response is None:  # no upgrade on HEAD: say what GET would need
                response = _json(HTTPStatus.UPGRADE_REQUIRED, {
                    "code": "upgrade_required", "message": "GET with Upgrade: websocket"})
            return Response(response.status_code, response.reason_phrase, response.headers, b"")
        return response

    def _route(self, connection: ServerConnection,
               request: Request) -> Response | None | Awaitable[Response]:
        headers = request.headers
        refusal = self.gate.check(headers.get("Host"), headers.get("Origin"), self.port)
        if refusal is not None:
            self._log_refusal(logging.WARNING, "refused %s from %s: %s", request.method,
                              _peer_host(connection), refusal.code)
            return _refuse(refusal)
        url = urlsplit(request.path)
        path = unquote(url.path)
        query = _query(url.query)
        if path.startswith("/stream/"):
            return self._vet_upgrade(connection, path[len("/stream/"):], query)
        if path.startswith("/stems/"):  # the same gate, codecs and limits as /stream/
            return self._vet_upgrade(connection, path[len("/stems/"):], query)
        if self.studio_dir is not None:
            if path == "/studio/ws":
                return self._vet_studio(query)
            if path == "/studio":
                page = (WEB_DIR / "studio.html").read_bytes()
                return _response(HTTPStatus.OK, page, CONTENT_TYPES[".html"])
            if path == "/api/studio":
                return _json(HTTPStatus.OK, {"scenes": self.studio_scenes(),
                                             "file": self.studio_file})
        if path == "/api/scenes":
            return _json(HTTPStatus.OK, self._scenes())
        if path == "/api/status":
            status = self.hub.status()
            if query.get("detail", "0") not in ("", "0"):
                if not self.gate.may_see_detail(_peer_host(connection), query.get("token")):
                    return _refuse(Refusal(
                        HTTPStatus.FORBIDDEN, "forbidden",
                        "detail=1 is for loopback clients (with ?token= when the server "
                        "has one)"))
            else:  # nobody else's mix unless asked locally
                status.pop("personal", None)
            return _json(HTTPStatus.OK, status)
        if path.startswith("/hls/") and self.config.hls is not None:
            return self._hls_file(path[len("/hls/"):])
        if path == "/api/download" or path.startswith("/api/download/"):
            return self._download(connection, path, query)
        file = _web_file(path)
        if file is not None:
            return _response(HTTPStatus.OK, file.read_bytes(), CONTENT_TYPES[file.suffix])
        return _json(HTTPStatus.NOT_FOUND, {"code": "not_found", "message": "no such page"})

    def _download(self, connection: ServerConnection, path: str,
                  query: dict[str, str]) -> Response | Awaitable[Response]:
        """The player's download button (mixdown.Downloads): start, status, cancel, file.
        Controls like the mix ones: a server with a token wants it."""
        if self.gate.token is not None and not self.gate.token_ok(query.get("token")):
            return _refuse(Refusal(HTTPStatus.FORBIDDEN, "token_required",
                                   "this server needs its token for downloads (?token=)"))
        client = _peer_host(connection) or "?"
        job = query.get("id", "")
        try:
            if path == "/api/download":
                return _json(HTTPStatus.ACCEPTED, self.downloads.start(client, query))
            if path == "/api/download/status":
                return _json(HTTPStatus.OK, self.downloads.status(job, client))
            if path == "/api/download/cancel":
                return _json(HTTPStatus.OK, self.downloads.cancel(job, client))
            if path == "/api/download/file":
                return self._download_file(*self.downloads.file(job, client))
        except DownloadError as exc:
            return _json(HTTPStatus(exc.status), {"code": exc.code, "message": str(exc)})
        return _json(HTTPStatus.NOT_FOUND, {"code": "not_found", "message": "no such page"})

    def _hls_file(self, rest: str) -> Response | Awaitable[Response]:
        """A file of the --hls folder: SCENE/master.m3u8, SCENE/aac/..., plain names
        only (no traversal), playlists never cached, segments cacheable."""
        parts = rest.split("/")
        folder = self.config.hls
        if (folder is None or not 2 <= len(parts) <= 3
                or not all(HLS_NAME.fullmatch(part) for part in parts)
                or Path(parts[-1]).suffix not in HLS_TYPES):
            return _json(HTTPStatus.NOT_FOUND, {"code": "not_found", "message": "no such file"})
        file = folder.joinpath(*parts)
        return self._send_hls(file)

    async def _send_hls(self, file: Path) -> Response:
        try:
            body = await asyncio.to_thread(file.read_bytes)
        except OSError:
            return _json(HTTPStatus.NOT_FOUND, {"code": "not_found", "message": "no such file"})
        extra: tuple[tuple[str, str], ...] = (("Access-Control-Allow-Origin", "*"),)
        if file.suffix != ".m3u8":  # a segment never changes once written
            extra += (("Cache-Control", "max-age=60"),)
        return _response(HTTPStatus.OK, body, HLS_TYPES[file.suffix], extra)

    async def _download_file(self, path: Path, filename: str, content_type: str) -> Response:
        """A finished render, read off the event loop (the mixers' fan-out goes on).
        websockets answers HTTP with a whole body, so the file is held in memory while
        it is sent: mixdown.FORMATS caps each format's length to keep that bounded."""
        body = await asyncio.to_thread(path.read_bytes)
        safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in filename)
        return _response(HTTPStatus.OK, body, content_type, (
            ("Content-Disposition", f'attachment; filename="{safe}"'),))

    def _vet_upgrade(self, connection: ServerConnection, name: str,
                     query: dict[str, str]) -> Response | None:
        """Refuse a /stream/ upgrade before the handshake, or None to let it through."""
        token = query.get("token")
        if token is not None and not self.gate.token_ok(token):
            return _refuse(Refusal(HTTPStatus.FORBIDDEN, "bad_token",
                                   "wrong token (listening needs none: leave it out)"))
        codec = query.get("codec", "opus")
        if codec not in CODECS:
            return _refuse(Refusal(
                HTTPStatus.BAD_REQUEST, "bad_codec",
                f"codec {codec[:40]!r} is not one of {', '.join(CODECS)}"))
        if name not in self.ready or (name in self.hub.channels
                                      and self.hub.channels[name].removed):
            return _refuse(Refusal(HTTPStatus.NOT_FOUND, "unknown_scene",
                                   f"no scene {name[:100]!r}"))
        # count connections let through, including those still waiting for their
        # channel (the hub does not know them yet); closed ones drop out here
        self._admitted = {c for c in self._admitted
                          if c.state is not State.CLOSED and not c.transport.is_closing()}
        limit = self.config.max_listeners
        if len(self._admitted) >= limit:
            self._log_refusal(logging.WARNING, "listener limit %d reached; refusing "
                              "connections (HTTP 503)", limit)
            return _refuse(Refusal(HTTPStatus.SERVICE_UNAVAILABLE, "listener_limit",
                                   f"all {limit} listener places are taken; try again later"),
                           (("Retry-After", "60"),))
        self._admitted.add(connection)
        return None  # go on with the websocket handshake

    def _vet_studio(self, query: dict[str, str]) -> Response | None:
        """The studio's websocket: it edits files, so it always needs the token when the
        server has one; ``scene`` must be one of the folder's scene files."""
        if not self.gate.token_ok(query.get("token")):
            return _refuse(Refusal(HTTPStatus.FORBIDDEN, "bad_token",
                                   "the studio needs the server's token (?token=)"))
        name = query.get("scene") or self.studio_file or ""
        if self._studio_file(name) is None:
            return _refuse(Refusal(HTTPStatus.NOT_FOUND, "unknown_scene",
                                   f"no scene file {name[:100]!r} in the studio's folder"))
        return None

    # -- websocket -----------------------------------------------------------------
    async def _handler(self, ws: ServerConnection) -> None:
        url = urlsplit(ws.request.path if ws.request else "/")
        if unquote(url.path) == "/studio/ws":
            name = _query(url.query).get("scene") or self.studio_file or ""
            file = self._studio_file(name)
            if file is None:
                await ws.close(1008, "no such scene file")
                return
            await StudioSession(self, ws, file).run()
            return
        stems = unquote(url.path).startswith("/stems/")
        name = unquote(url.path)[len("/stems/" if stems else "/stream/"):]
        query = _query(url.query)
        codec = query.get("codec", "opus")  # vetted in _vet_upgrade
        may_control = self.gate.token_ok(query.get("token"))  # else listening only
        ready = self.ready.get(name)
        if ready is None:
            await ws.close(1008, f"no scene {name!r}")
            return
        if not ready.is_set():
            self.builds.bump(name)  # someone is waiting for this scene: build it next
        try:
            await asyncio.wait_for(ready.wait(), CHANNEL_WAIT_S)
        except TimeoutError:
            await ws.close(1011, f"scene {name!r} is not ready")
            return
        wake = asyncio.Event()

        def close(code: int, reason: str) -> None:
            wake.set()  # the send loop closes (hub set listener.closing and the code)

        listener = self.hub.new_listener(codec, close, _peer_host(ws) or "")
        listener.queue.wake = wake.set
        try:
            if stems:
                self.hub.join_stems(listener, name)
            else:
                self.hub.join(listener, name)
        except Exception:
            self.hub.leave(listener)
            raise
        log.info("listener %d: joined %s (%s%s) from %s", listener.id, name, codec,
                 ", stems" if stems else "", ws.remote_address)
        sender = asyncio.create_task(self._send_loop(ws, listener, wake))
        try:
            await self._receive_loop(ws, listener, may_control)
        finally:
            sender.cancel()
            with contextlib.suppress(asyncio.CancelledError, ConnectionClosed):
                await sender
            self.hub.leave(listener)
            log.info("listener %d: left %s (code %s)", listener.id, listener.scene,
                     ws.close_code)

    async def _send_loop(self, ws: ServerConnection, listener: Listener,
                         wake: asyncio.Event) -> None:
        """Move the listener's queue to the socket, keeping at most ``budget`` bytes in
        flight (about 1 s of audio in the kernel, nothing piling up in the transport).

        So the listener's queue is where a slow client's backlog sits, and the queue's
        rules apply (skip the oldest, then close with 4001), for Opus and PCM alike;
        and since the transport never fills, a close frame is never stuck behind
        unsent audio: it is written at once, and a client that resumes reading gets
        it (we wait ``SLOW_CLOSE_S`` for its answer, then drop the connection).
        """
        queue = listener.queue
        budget = MIN_IN_FLIGHT
        try:
            while True:
                if not listener.closing and _in_flight(ws) > budget:
                    wake.clear()
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(wake.wait(), SEND_POLL_S)
                    continue
                item = queue.pop()
                if item is None:
                    if listener.closing:
                        if listener.close_code == CLOSE_TOO_SLOW:
                            ws.close_timeout = SLOW_CLOSE_S
                        await ws.close(listener.close_code, listener.close_reason)
                        return
                    wake.clear()
                    await wake.wait()
                    continue
                await ws.send(item)
                if isinstance(item, bytes):
                    budget = max(MIN_IN_FLIGHT, IN_FLIGHT_BLOCKS * len(item))
        except ConnectionClosed:
            return

    async def _receive_loop(self, ws: ServerConnection, listener: Listener,
                            may_control: bool = True) -> None:
        """Apply control messages. A bad message gets an error reply and the stream
        goes on; nothing a client sends closes its connection (but a frame over
        WS_MAX_SIZE, which websockets closes with 1009)."""
        limit = self.config.max_message_bytes
        queue = listener.queue
        try:
            async for message in ws:
                try:
                    control = parse_control(message, limit)
                    if control.type in MIX_TYPES and not may_control:
                        raise ProtocolError(
                            "token_required", f"{control.type}: this server needs its token "
                            "for mix and sleep changes (add ?token= to the stream URL)")
                    self.hub.handle(listener, control)
                except ProtocolError as exc:
                    queue.offer_text(error(exc.code, exc.message))
                except Exception:  # a bug: keep the connection, say so, log (rate-limited)
                    self._log_failure(logging.ERROR, "listener %d: a control message failed",
                                      listener.id, exc_info=True)
                    queue.offer_text(error("internal", "the server could not apply this "
                                                       "message (see its log)"))
                # a client that sends but never reads: stop reading (TCP backpressure)
                # rather than queue replies without bound
                while len(queue) - queue.audio > MAX_PENDING_REPLIES and not listener.closing:
                    await asyncio.sleep(0.05)
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
