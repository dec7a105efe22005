"""Icecast output: push a live stream to an Icecast 2.4 server as a source client.

The source protocol is HTTP PUT with Basic auth and ``ice-*`` headers, then the
stream as a plain (not chunked: Icecast 2.4.4 does not de-chunk) body that never
ends. ``Expect: 100-continue`` makes Icecast answer before any audio is sent, so a
wrong password (401) or a mount already in use (403 "Mountpoint in use") is known at
once. The protocol's text is built and parsed by pure functions
(``source_request``, ``parse_reply``); :class:`IcecastOutput` owns the socket on its
own thread.

URL form (``--icecast``)::

    icecast://source:PASSWORD@HOST[:PORT]/MOUNT     (port 8000 by default)
    http://source:PASSWORD@HOST[:PORT]/MOUNT        (the same)

The user defaults to ``source``. MOUNT names the stream with or without an
extension: ``/rain``, ``/rain.opus`` and ``/rain.mp3`` all mean Ogg/Opus at
``/rain.opus`` and MP3 at ``/rain.mp3``. Without a MOUNT (``/``) the scene's name is
used, which is how ``serve`` gives each channel its own pair of mounts.

Reconnection: a refused, reset or dropped connection and a busy mount are retried
after 1, 2, 4, 8, 16 then every 30 s (each attempt reported); a wrong password is
reported once and the output stops: retrying cannot fix it.
"""

from __future__ import annotations

import base64
import enum
import socket
import time
import urllib.parse
from dataclasses import dataclass, replace

import numpy as np

from ..errors import UsageError
from ..live import LIVE_RATE
from ..threads import Stopped
from .base import Level, ThreadedOutput
from .encode import CODECS, Codec, LiveEncoder

DEFAULT_PORT = 8000
BACKOFF = (1.0, 2.0, 4.0, 8.0, 16.0, 30.0)
CONNECT_TIMEOUT = 5.0
REPLY_TIMEOUT = 10.0
POLL_SECONDS = 0.2  # while waiting for Icecast's answer, how often close() is noticed
SEND_TIMEOUT = 10.0
STREAM_EXTENSIONS = (".opus", ".ogg", ".oga", ".mp3")


@dataclass(frozen=True)
class IcecastTarget:
    host: str
    port: int
    user: str
    password: str
    mount: str  # "/stem" (no extension) or "" to use the scene name

    def for_scene(self, scene_name: str) -> IcecastTarget:
        """This target with the scene's name as mount when the URL gave none."""
        return self if self.mount else replace(self, mount=f"/{scene_name}")

    def mount_for(self, codec: str) -> str:
        return f"{self.mount}.{codec}"

    def url(self, codec: str) -> str:
        """The listener URL of ``codec``'s mount (no password)."""
        return f"http://{self.host}:{self.port}{self.mount_for(codec)}"


def parse_icecast_url(url: str, flag: str = "--icecast") -> IcecastTarget:
    """``icecast://source:pw@host:port/mount`` -> IcecastTarget; UsageError quotes the
    URL and what is wrong with it."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("icecast", "http"):
        raise UsageError(f"{flag}: {url!r}: use icecast://source:PASSWORD@HOST:PORT/MOUNT "
                         f"(or http://...), not {parts.scheme or 'no scheme'}")
    if not parts.hostname:
        raise UsageError(f"{flag}: {url!r} has no host")
    if parts.password is None:
        raise UsageError(f"{flag}: {url!r} has no source password "
                         "(icecast://source:PASSWORD@HOST:PORT/MOUNT)")
    try:
        port = parts.port or DEFAULT_PORT
    except ValueError:
        raise UsageError(f"{flag}: {url!r} has an invalid port") from None
    if parts.query or parts.fragment:
        raise UsageError(f"{flag}: {url!r}: a mount cannot have a query or fragment")
    path = urllib.parse.unquote(parts.path).rstrip("/")
    for ext in STREAM_EXTENSIONS:
        if path.lower().endswith(ext):
            path = path[: -len(ext)]
            break
    if path and not all(c.isalnum() or c in "/-_." for c in path):
        raise UsageError(f"{flag}: {url!r}: mount {path!r} may hold letters, digits, "
                         "'-', '_', '.' and '/' only")
    return IcecastTarget(parts.hostname, port, urllib.parse.unquote(parts.username or "source"),
                         urllib.parse.unquote(parts.password), path)


def source_request(target: IcecastTarget, codec: Codec, name: str, description: str,
                   bitrate: int, rate: int = LIVE_RATE) -> bytes:
    """The PUT request that opens ``codec``'s mount as a source (headers only)."""
    auth = base64.b64encode(f"{target.user}:{target.password}".encode()).decode()

    def clean(text: str) -> str:  # one header line: no CR/LF from a scene's title
        return " ".join(text.split())[:200]

    lines = [
        f"PUT {urllib.parse.quote(target.mount_for(codec.name))} HTTP/1.1",
        f"Host: {target.host}:{target.port}",
        f"Authorization: Basic {auth}",
        "User-Agent: soundscape",
        f"Content-Type: {codec.content_type}",
        "Ice-Public: 0",
        f"Ice-Name: {clean(name)}",
        f"Ice-Description: {clean(description)}",
        f"Ice-Audio-Info: samplerate={rate};channels=2;bitrate={bitrate // 1000}",
        f"Ice-Bitrate: {bitrate // 1000}",
        "Expect: 100-continue",
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("utf-8")


class Reply(enum.Enum):
    OK = "ok"  # 100 Continue or 200: send the stream
    BAD_PASSWORD = "bad password"  # 401: give up
    MOUNT_IN_USE = "mount in use"  # 403 Mountpoint in use: retry later
    REFUSED = "refused"  # any other answer: retry later


def parse_reply(head: bytes) -> tuple[Reply, str]:
    """Icecast's answer to ``source_request`` (its status line and headers) ->
    (outcome, status text for messages)."""
    line = head.split(b"\r\n", 1)[0].decode("latin-1").strip()
    parts = line.split(" ", 2)
    if len(parts) < 2 or not parts[0].startswith("HTTP/") or not parts[1].isdigit():
        return Reply.REFUSED, f"not an HTTP answer: {line[:80]!r}"
    code = int(parts[1])
    if code in (100, 200):
        return Reply.OK, line
    if code == 401:
        return Reply.BAD_PASSWORD, line
    if code == 403 and b"in use" in head.lower():
        return Reply.MOUNT_IN_USE, line
    return Reply.REFUSED, line


def backoff(attempt: int) -> float:
    """Seconds to wait before retry ``attempt`` (0-based): 1, 2, 4, 8, 16, 30, 30..."""
    return BACKOFF[min(attempt, len(BACKOFF) - 1)]


class SourceRefused(Exception):
    def __init__(self, reply: Reply, status: str):
        super().__init__(status)
        self.reply = reply
        self.status = status


class IcecastOutput(ThreadedOutput):
    """One mount (Ogg/Opus or MP3) of one channel, fed with float32 (2, n) blocks.

    ``connects`` counts successful connections (1 + reconnections); ``bytes_sent``
    what reached the socket. While disconnected, blocks are discarded (a live
    stream does not catch up) and a reconnection starts a fresh Ogg/MP3 stream.
    """

    kind = "icecast"

    def __init__(self, target: IcecastTarget, codec: str, title: str, description: str = "",
                 rate: int = LIVE_RATE, bitrate: int | None = None):
        self.target = target
        self.codec = CODECS[codec]
        self.bitrate = bitrate or self.codec.bitrate
        self.title = title
        self.description = description
        super().__init__(f"icecast {codec} {target.host}:{target.port}"
                         f"{target.mount_for(codec)}", rate)
        self.connects = 0
        self.bytes_sent = 0
        self._sock: socket.socket | None = None
        self._encoder: LiveEncoder | None = None

    # -- output thread -----------------------------------------------------------------
    def _connect(self) -> None:
        sock = socket.create_connection((self.target.host, self.target.port),
                                        timeout=CONNECT_TIMEOUT)
        try:
            sock.settimeout(REPLY_TIMEOUT)
            sock.sendall(source_request(self.target, self.codec, self.title,
                                        self.description, self.bitrate, self.rate))
            head = self._read_reply(sock)
            reply, status = parse_reply(head) if head else (Reply.REFUSED, "connection closed")
            if reply is not Reply.OK:
                raise SourceRefused(reply, status)
            sock.settimeout(SEND_TIMEOUT)
        except BaseException:
            sock.close()
            raise
        self._sock = sock
        self._encoder = LiveEncoder(self.codec, self.rate, self.title, self.description,
                                    self.bitrate)
        self.connects += 1

    def _read_reply(self, sock: socket.socket) -> bytes:
        """Icecast's status line and headers; raises Stopped as soon as ``close()`` is
        called, socket.timeout after REPLY_TIMEOUT s of silence."""
        sock.settimeout(POLL_SECONDS)
        deadline = time.monotonic() + REPLY_TIMEOUT
        head = b""
        while b"\r\n\r\n" not in head and len(head) < 8192:
            if self.closing.is_set():
                raise Stopped
            try:
                chunk = sock.recv(4096)
            except TimeoutError:
                if time.monotonic() >= deadline:
                    raise
                continue
            if not chunk:
                break
            head += chunk
        return head

    def _disconnect(self) -> None:
        if self._sock is not None:
            try:
                self._sock.close()
            except OSError:
                pass
        self._sock = None
        self._encoder = None

    def _send(self, block: np.ndarray) -> None:
        assert self._sock is not None and self._encoder is not None
        data = self._encoder.write(block)
        if data:
            self._sock.sendall(data)
            self.bytes_sent += len(data)
        self.delivered += block.shape[1]

    def _run_output(self) -> None:
        attempt = 0
        next_try = time.monotonic()
        while True:
            if self._sock is None and time.monotonic() >= next_try:
                where = f"{self.target.host}:{self.target.port}"
                try:
                    self._connect()
                except SourceRefused as exc:
                    if exc.reply is Reply.BAD_PASSWORD:
                        self.failed = True
                        self._report(Level.ERROR,
                                     f"wrong source password for {where} ({exc.status}); "
                                     "check the password in the --icecast URL")
                        return
                    wait = backoff(attempt)
                    what = (f"mount {self.target.mount_for(self.codec.name)} is in use by "
                            "another source" if exc.reply is Reply.MOUNT_IN_USE
                            else f"refused: {exc.status}")
                    self._report(Level.WARNING, f"{what}; retrying in {wait:g} s")
                    attempt += 1
                    next_try = time.monotonic() + wait
                except OSError as exc:
                    wait = backoff(attempt)
                    self._report(Level.WARNING, f"cannot connect to {where} "
                                                f"({exc.strerror or exc}); retrying in {wait:g} s")
                    attempt += 1
                    next_try = time.monotonic() + wait
                else:
                    attempt = 0
                    self._report(Level.INFO, f"streaming to {self.target.url(self.codec.name)}"
                                 + (" (reconnected)" if self.connects > 1 else ""))
            block = self._next(timeout=0.2)
            if block is None or self._sock is None:
                continue  # disconnected: a live stream drops what it cannot send
            try:
                self._send(block)
            except OSError as exc:
                self._disconnect()
                wait = backoff(attempt)
                attempt += 1
                next_try = time.monotonic() + wait
                self._report(Level.WARNING, f"connection lost ({exc.strerror or exc}); "
                                            f"reconnecting in {wait:g} s")

    def _finish(self) -> None:
        if self._sock is not None and self._encoder is not None:
            try:
                self._sock.sendall(self._encoder.close())
            except OSError:
                pass
        self._disconnect()
