"""The server's life cycle: start (mixers, bind, scan, serve), stop, signals.

A :class:`StreamServer` owns the parts and nothing else: the hub decides (hub.py),
the director scans, builds and puts scenes on air (director.py), the mixer threads
mix and encode (engine.py), the HTTP routes answer (http.py), the websocket loops
send and receive (ws.py), a studio session edits (studio_session.py). Everything it
holds is the event loop's; other threads reach the loop only through
``publish`` (``call_soon_threadsafe``) and the futures of their jobs.

A port that cannot be bound is a UsageError naming it (one line from the CLI, exit
2); SIGINT and SIGTERM stop the server cleanly at any point, starting included
(exit 0).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import shutil
import signal
import socket
import tempfile
from collections.abc import Callable, Coroutine
from dataclasses import replace
from pathlib import Path
from typing import Any
from urllib.parse import quote

from websockets.asyncio.server import Server, serve

from ..bank import SegmentBank
from ..clock import AudioClock
from ..errors import UsageError
from ..live import LIVE_RATE
from ..memory import return_freed_audio
from ..mixdown import Downloads
from ..outputs import ChannelOutputs, Level
from .builds import BuildQueue
from .codec import FRAME_SIZE
from .config import ServerConfig
from .director import Director
from .engine import Engine
from .gate import Gate, RateLimitedLog, listener_limit
from .http import Parts, Site
from .hub import Hub
from .stream import Kind, Produced, Stream
from .studio_session import StudioContext
from .ws import WS_MAX_SIZE, Sockets

log = logging.getLogger(__name__)

BUILD_WORKERS = max(3, min(4, os.cpu_count() or 2))  # scene builds (one kept for urgent)
DOWNLOAD_SWEEP_S = 5.0  # how often finished download renders are reaped


def _address(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def _reason(exc: OSError) -> str:
    """Why a bind failed, in a few words ("address already in use")."""
    if isinstance(exc, socket.gaierror) or not exc.errno:
        return str(exc.strerror or exc)
    return os.strerror(exc.errno).lower()


class StreamServer:
    """One running server: its parts, started and stopped in order."""

    def __init__(self, config: ServerConfig):
        # access checks and the listener cap that fits the open-file limit (gate.py)
        config = replace(config, max_listeners=listener_limit(config.max_listeners))
        self.config = config
        self.gate = Gate.for_server(config.host, config.allow_origins, config.token)
        self._log_refusal = RateLimitedLog(log)
        log_failure = RateLimitedLog(log)
        self.bank = SegmentBank(config.bank) if config.bank else SegmentBank()
        self.clock = AudioClock(LIVE_RATE, FRAME_SIZE * config.frames_per_message)
        self.engines: list[Engine] = []
        self.hub = Hub(config, self.clock, self.engines)
        self.outputs = ChannelOutputs()  # --icecast / --hls: fed by the channels' mixers
        # scenes are built in parallel, a waited-for one first; daemon threads, never
        # joined, so a wedged build cannot block reloads or shutdown (builds.py)
        self.builds = BuildQueue(BUILD_WORKERS)
        self._files = BuildQueue(1, "scene-scan")  # folder scans and bank checks, likewise
        self._tasks: set[asyncio.Task[Any]] = set()
        self._stopping = asyncio.Event()
        self.director = Director(config, self.hub, self.bank, self.builds, self._files,
                                 self.outputs, self.spawn)
        # the player's download button: renders in their own processes (mixdown.py)
        self._download_dir = Path(tempfile.mkdtemp(prefix="soundscape-downloads-"))
        self.downloads = Downloads(self._download_dir, self.director.scene, self.bank.root)
        # studio mode (soundscape studio): the folder of scene files, the one opened first
        self.studio: StudioContext | None = None
        if config.studio is not None:
            target = config.studio
            self.studio = StudioContext(
                folder=target if target.is_dir() else target.parent,
                first=None if target.is_dir() else target.name, bank=self.bank,
                builds=self.builds, clock=self.clock, config=config, spawn=self.spawn,
                place=self.hub.place, release=self.hub.release)
        parts = Parts(config, self.gate, self.hub, self.director, self.builds,
                      self.downloads, self.studio, self._log_refusal, log_failure)
        self.site = Site(parts)
        self.sockets = Sockets(parts)
        self.server: Server | None = None
        self.port = config.port
        self._served = False

    # -- life cycle ----------------------------------------------------------------
    async def start(self) -> None:
        """Start the mixers, bind the port (UsageError naming it if that fails), know
        the scenes, then serve."""
        loop = asyncio.get_running_loop()
        loop.set_exception_handler(self._loop_exception)  # accept() failures: rate-limited
        studio = self.studio

        def publish(stream: Stream, produced: Produced) -> None:
            target = studio.on_produced if studio is not None and \
                stream.kind is Kind.STUDIO else self.hub.on_produced
            with contextlib.suppress(RuntimeError):  # loop closed during shutdown
                loop.call_soon_threadsafe(target, stream, produced)

        for i in range(max(1, self.config.mixers)):
            engine = Engine(str(i), self.clock, publish)
            self.engines.append(engine)
            self.hub.load.setdefault(engine.name, 0)
            engine.start()
        host, port = self.config.host, self.config.port
        try:
            self.server = await serve(
                self.sockets.handler, host, port, process_request=self.site.process_request,
                compression=None, max_size=WS_MAX_SIZE, close_timeout=1.0,
                server_header="soundscape", start_serving=False)
        except OSError as exc:  # taken, not ours to bind, or no such address
            flag = "--host" if isinstance(exc, socket.gaierror) else "--port"
            raise UsageError(f"{flag}: cannot listen on {_address(host, port)}: "
                             f"{_reason(exc)}") from None
        self.port = self.site.port = next(iter(self.server.sockets)).getsockname()[1]
        # know the scenes (and start building them) before serving, so an early
        # listener finds its scene waiting to be built, not unknown
        if studio is None:  # the studio builds only the scene it edits
            await self.director.scan()
        await self.server.start_serving()
        self._served = True
        log.info("serving http://%s:%d/ (scenes from %s)", host, self.port, self.config.scenes)
        if self.gate.token is not None:
            shown = "localhost" if self.gate.wildcard else host
            log.info("player with control: http://%s:%d/?token=%s (listening needs no token)",
                     f"[{shown}]" if ":" in shown else shown, self.port,
                     quote(self.gate.token, safe=""))
        if studio is not None:
            log.info("studio: http://%s:%d/studio%s", host, self.port, self.studio_query())
        else:
            self.spawn(self.director.reload_loop(self._stopping))
        self.spawn(self._sweep_downloads())
        if self.config.refresh_model is not None:
            self.director.start_refreshers()

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
        self.director.stop_refreshers()
        for engine in self.engines:
            engine.stop(0.2)
        self.builds.close()  # a running (even wedged) build is abandoned, not joined
        self._files.close()
        self.downloads.close()  # stops running renders, removes their files
        await asyncio.to_thread(self.outputs.close, 2.0)  # HLS ends its playlists
        self._log_output_events()
        shutil.rmtree(self._download_dir, ignore_errors=True)
        if self._served:
            log.info("server stopped")

    def spawn(self, coro: Coroutine[Any, Any, Any]) -> None:
        """Run ``coro`` as a task that ``stop`` cancels."""
        task = asyncio.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def studio_query(self) -> str:
        """The query string of the studio's URL (the file opened first, the token)."""
        parts = []
        if self.studio is not None and self.studio.first is not None:
            parts.append(f"scene={quote(self.studio.first, safe='')}")
        if self.gate.token is not None:
            parts.append(f"token={quote(self.gate.token, safe='')}")
        return "?" + "&".join(parts) if parts else ""

    # -- housekeeping --------------------------------------------------------------
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

    def _loop_exception(self, loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        """Out of file descriptors, asyncio reports every failed accept() (thousands a
        second, with a traceback each): log that once a minute; the rest as usual."""
        if context.get("message") == "socket.accept() out of system resource":
            self._log_refusal(logging.ERROR, "cannot accept connections: %s (raise the "
                              "open-file limit, ulimit -n, or lower --max-listeners)",
                              context.get("exception"))
            return
        loop.default_exception_handler(context)


async def serve_until_stopped(config: ServerConfig,
                              on_started: Callable[[StreamServer], None] | None = None) -> int:
    """Run the server until SIGINT/SIGTERM (or cancellation); returns an exit status.

    A signal is taken in every state: while the server starts (the start is
    abandoned), while scenes build, while it serves. ``on_started(server)`` runs once
    it serves. A start that fails (a taken port: UsageError) stops what was started
    and raises.
    """
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            loop.add_signal_handler(sig, stop.set)
    server = StreamServer(config)
    starting = asyncio.create_task(server.start())
    stopped = asyncio.create_task(stop.wait())
    try:
        await asyncio.wait({starting, stopped}, return_when=asyncio.FIRST_COMPLETED)
        if starting.done():
            starting.result()  # a failed start raises here
            if on_started is not None:
                on_started(server)
            await stopped
        log.info("shutting down")
    finally:
        for task in (starting, stopped):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        await server.stop()
    return 0


def run(config: ServerConfig, on_started: Callable[[StreamServer], None] | None = None) -> int:
    logging.getLogger("websockets").setLevel(logging.WARNING)
    return_freed_audio()  # runs for days: freed audio buffers go back to the system
    return asyncio.run(serve_until_stopped(config, on_started))
