"""The websocket edge: a listener's send and receive loops, and the studio's door.

Ownership: runs on the event loop. A connection's :class:`Listener` belongs to the
hub (hub.py); this module only moves its queue to the socket and the socket's
messages to ``Hub.handle``. Before that, a listener to a scene still being prepared
gets ``preparing`` messages with the director's progress (docs/protocol.md, "Waiting
for a scene"), sent here directly: no listener exists yet; if the scene cannot be
prepared, a ``scene_failed`` error and a close (4003). A studio connection is handed
to a :class:`StudioSession` with the server's :class:`StudioContext`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import struct
from urllib.parse import unquote, urlsplit

from websockets.asyncio.server import ServerConnection
from websockets.exceptions import ConnectionClosed

from .http import Parts, peer_host, query_of
from .hub import CLOSE_TOO_SLOW, Listener
from .protocol import MIX_TYPES, ProtocolError, dumps, error, parse_control
from .studio_session import StudioSession

log = logging.getLogger(__name__)

WS_MAX_SIZE = 1 << 20  # frames above this close the connection (1009); see docs
MAX_PENDING_REPLIES = 32  # stop reading a client's messages while this many replies wait
CHANNEL_WAIT_S = 120.0  # a listener may wait this long for a scene still being prepared
PREPARING_POLL_S = 0.25  # how often a waiting listener's scene progress is looked at
CLOSE_NOT_PREPARED = 4003  # the scene's build failed: waiting longer would not help
CLOSE_REASON_BYTES = 123  # what a websocket close frame has room for
IN_FLIGHT_BLOCKS = 10  # audio messages a listener's socket may hold unsent/unacked (1 s)
MIN_IN_FLIGHT = 16384  # bytes, whatever the codec
SEND_POLL_S = 0.02  # how often a congested listener's socket is looked at again
SLOW_CLOSE_S = 10.0  # a listener closed for being slow gets this long to read the close


def in_flight(ws: ServerConnection) -> int:
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
    except (ImportError, AttributeError, OSError, ValueError):  # not Linux, no socket, or
        # a socket closed meanwhile (fileno -1): only what the transport holds counts
        return 0
    return int(struct.unpack("i", raw)[0])


class Sockets:
    """The websocket handler: /stream/NAME, /stems/NAME and /studio/ws."""

    def __init__(self, parts: Parts):
        self.parts = parts

    async def handler(self, ws: ServerConnection) -> None:
        url = urlsplit(ws.request.path if ws.request else "/")
        path = unquote(url.path)
        query = query_of(url.query)
        if path == "/studio/ws":
            await self._studio(ws, query.get("scene"))
            return
        stems = path.startswith("/stems/")
        name = path[len("/stems/" if stems else "/stream/"):]
        codec = query.get("codec", "opus")  # vetted in Site._vet_upgrade
        may_control = self.parts.gate.token_ok(query.get("token"))  # else listening only
        ready = self.parts.director.ready.get(name)
        if ready is None:
            await ws.close(1008, f"no scene {name!r}")
            return
        if not ready.is_set():
            self.parts.builds.bump(name)  # someone is waiting for this scene: build it next
            if not await self._wait_ready(ws, name, ready):
                return
        wake = asyncio.Event()

        def close(code: int, reason: str) -> None:
            wake.set()  # the send loop closes (hub set listener.closing and the code)

        listener = self.parts.hub.new_listener(codec, close, peer_host(ws) or "")
        listener.queue.wake = wake.set
        try:
            if stems:
                self.parts.hub.join_stems(listener, name)
            else:
                self.parts.hub.join(listener, name)
        except Exception:
            self.parts.hub.leave(listener)
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
            self.parts.hub.leave(listener)
            log.info("listener %d: left %s (code %s)", listener.id, listener.scene,
                     ws.close_code)

    async def _wait_ready(self, ws: ServerConnection, name: str, ready: asyncio.Event
                          ) -> bool:
        """Wait for scene ``name``'s channel, telling the client how far its preparation
        has come: a ``preparing`` message at once and whenever it changes, the last
        with ``done`` = ``total`` (balancing, or the channel on). False (the socket
        closed) when the client left, the scene's build failed (a ``scene_failed``
        error, then close 4003, at the next look), or it is not ready in
        CHANNEL_WAIT_S (1011)."""
        director = self.parts.director
        scene = director.scene(name)
        title = scene.title if scene is not None else name
        sent: dict[str, int | str] | None = None
        deadline = asyncio.get_running_loop().time() + CHANNEL_WAIT_S
        try:
            while True:
                progress = director.progress(name)
                if ready.is_set() and sent is not None and sent["done"] == sent["total"] \
                        == progress["total"]:
                    return True  # its last message said every sound was ready
                failure = None if ready.is_set() else director.failure(name)
                if failure is not None:
                    await self._not_prepared(ws, name, title, failure)
                    return False
                if progress != sent:
                    await ws.send(dumps({"type": "preparing", "scene": name, "title": title,
                                         **progress}))
                    sent = progress
                if ready.is_set():
                    return True
                if ws.close_code is not None:  # the client left while it waited
                    return False
                left = deadline - asyncio.get_running_loop().time()
                if left <= 0:
                    await ws.close(1011, f"scene {name!r} is not ready")
                    return False
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(ready.wait(), min(PREPARING_POLL_S, left))
        except ConnectionClosed:
            return False

    @staticmethod
    async def _not_prepared(ws: ServerConnection, name: str, title: str, reason: str
                            ) -> None:
        """Tell a waiting listener that scene ``name`` cannot be prepared, and why
        (docs/protocol.md, "Waiting for a scene"); then close (4003)."""
        await ws.send(dumps({"type": "error", "code": "scene_failed", "scene": name,
                             "title": title, "message": reason}))
        words = f"{title} could not be prepared".encode()[:CLOSE_REASON_BYTES]
        await ws.close(CLOSE_NOT_PREPARED, words.decode(errors="ignore"))

    async def _studio(self, ws: ServerConnection, scene: str | None) -> None:
        studio = self.parts.studio
        file = None if studio is None else studio.file(scene or studio.first or "")
        if studio is None or file is None:
            await ws.close(1008, "no such scene file")
            return
        await StudioSession(studio, ws, file).run()

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
                if not listener.closing and in_flight(ws) > budget:
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
        limit = self.parts.config.max_message_bytes
        queue = listener.queue
        try:
            async for message in ws:
                try:
                    control = parse_control(message, limit)
                    if control.type in MIX_TYPES and not may_control:
                        raise ProtocolError(
                            "token_required", f"{control.type}: this server needs its token "
                            "for mix and sleep changes (add ?token= to the stream URL)")
                    self.parts.hub.handle(listener, control)
                except ProtocolError as exc:
                    queue.offer_text(error(exc.code, exc.message))
                except Exception:  # a bug: keep the connection, say so, log (rate-limited)
                    self.parts.log_failure(logging.ERROR, "listener %d: a control message failed",
                                      listener.id, exc_info=True)
                    queue.offer_text(error("internal", "the server could not apply this "
                                                       "message (see its log)"))
                # a client that sends but never reads: stop reading (TCP backpressure)
                # rather than queue replies without bound
                while len(queue) - queue.audio > MAX_PENDING_REPLIES and not listener.closing:
                    await asyncio.sleep(0.05)
        except ConnectionClosed:
            return
