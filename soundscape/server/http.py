"""The HTTP edge: a table of small route handlers, and the vetting of websocket upgrades.

Ownership: a :class:`Site` runs on the event loop and holds no state but the set of
upgrades it let through (the listener cap). It reads the hub, the director's scene
snapshot and the studio context, all loop-owned; file reads that may be large (HLS
segments, finished downloads) go to worker threads.

Every request: GET or HEAD only (405 otherwise), Host and Origin checked first, then
the first route that matches its path; nothing a client sends reaches the file
system as a path, and a failing handler answers 500 without a traceback.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from http import HTTPStatus
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from websockets.asyncio.server import ServerConnection
from websockets.datastructures import Headers
from websockets.http11 import Request, Response
from websockets.protocol import State

from ..mixdown import DownloadError, Downloads
from .builds import BuildQueue
from .config import ServerConfig
from .director import Director
from .gate import Gate, RateLimitedLog, Refusal
from .hub import Hub
from .protocol import CODECS
from .studio_session import StudioContext

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
    ".webmanifest": "application/manifest+json",
}
VENDOR = ("hls.min.js",)  # web/vendor files the player loads (media.js: HLS where MSE plays it)
METHODS = ("GET", "HEAD")
Extra = tuple[tuple[str, str], ...]
Reply = Response | None | Awaitable[Response]  # None: go on with the websocket upgrade


def response(status: HTTPStatus, body: bytes, content_type: str, extra: Extra = ()) -> Response:
    cache = () if any(k == "Cache-Control" for k, _ in extra) else (("Cache-Control", "no-cache"),)
    headers = Headers([("Content-Type", content_type), ("Content-Length", str(len(body))),
                       *cache, ("X-Content-Type-Options", "nosniff"), *extra])
    return Response(status.value, status.phrase, headers, body)


def json_response(status: HTTPStatus, data: Any, extra: Extra = ()) -> Response:
    body = json.dumps(data, indent=1, allow_nan=False).encode()
    return response(status, body, "application/json", extra)


def refuse(refusal: Refusal, extra: Extra = ()) -> Response:
    return json_response(refusal.status, {"code": refusal.code, "message": refusal.message},
                         extra)


def not_found(what: str = "no such page") -> Response:
    return json_response(HTTPStatus.NOT_FOUND, {"code": "not_found", "message": what})


def web_file(path: str) -> Path | None:
    """The player file named by ``path``: a plain name listed in WEB_DIR, never a
    path built from user input (no traversal, no NUL, no over-long names)."""
    name = "index.html" if path in ("/", "/index.html") else path[1:]
    if not name or "/" in name or "\\" in name or len(name) > 100:
        return None
    for file in WEB_DIR.iterdir():
        if file.name == name and file.suffix in CONTENT_TYPES and file.is_file():
            return file
    return None


def worker_headers(file: Path) -> Extra:
    """The service worker (sw.js) controls the whole site and is checked for a new
    version on every load: never cached by HTTP."""
    if file.name != "sw.js" or file.parent != WEB_DIR:
        return ()
    return (("Service-Worker-Allowed", "/"), ("Cache-Control", "no-cache, max-age=0"))


def query_of(url_query: str) -> dict[str, str]:
    """First value of each query parameter, blanks kept (``?codec=`` is an empty codec)."""
    return {k: v[0] for k, v in parse_qs(url_query, keep_blank_values=True).items()}


def peer_host(connection: ServerConnection) -> str | None:
    address = connection.remote_address
    return str(address[0]) if isinstance(address, tuple) and address else None


@dataclass(frozen=True)
class Ask:
    """One request as a route handler sees it: the path after the route's prefix."""

    connection: ServerConnection
    rest: str
    query: dict[str, str]


@dataclass(frozen=True)
class Parts:
    """What the HTTP and websocket edges read of the server (all loop-owned)."""

    config: ServerConfig
    gate: Gate
    hub: Hub
    director: Director
    builds: BuildQueue
    downloads: Downloads
    studio: StudioContext | None  # studio mode only
    log_refusal: RateLimitedLog
    log_failure: RateLimitedLog


class Site:
    """The route table and its handlers (see the module docstring)."""

    def __init__(self, parts: Parts):
        self.parts = parts
        config, director, studio = parts.config, parts.director, parts.studio
        self.port = config.port  # the bound port, once known (the Host check needs it)
        self._admitted: set[ServerConnection] = set()  # upgrades let through, not yet gone
        # exact paths, then prefixes (the rest of the path goes to the handler)
        self.exact: dict[str, Callable[[Ask], Reply]] = {
            "/api/scenes": lambda ask: json_response(HTTPStatus.OK, director.listing()),
            "/api/status": self._status,
            "/api/download": self._download,
        }
        self.prefixes: list[tuple[str, Callable[[Ask], Reply]]] = [
            ("/stream/", self._vet_upgrade), ("/stems/", self._vet_upgrade),
            ("/api/download/", self._download),
        ]
        if studio is not None:
            self.exact.update({"/studio/ws": self._vet_studio, "/studio": self._studio_page,
                               "/api/studio": self._studio_list})
        if config.hls is not None:
            self.prefixes.append(("/hls/", self._hls_file))

    async def process_request(self, connection: ServerConnection,
                              request: Request) -> Response | None:
        """Answer HTTP requests and vet websocket upgrades (None: go on with the upgrade)."""
        try:
            if request.method not in METHODS:
                return json_response(HTTPStatus.METHOD_NOT_ALLOWED, {
                    "code": "bad_method", "message": "only GET and HEAD are served"},
                    (("Allow", ", ".join(METHODS)),))
            routed = self._route(connection, request)
            answer = await routed if inspect.isawaitable(routed) else routed
        except Exception:  # a bug: log it (rate-limited), answer without a traceback
            self.parts.log_failure(logging.ERROR, "HTTP request failed", exc_info=True)
            answer = json_response(HTTPStatus.INTERNAL_SERVER_ERROR, {
                "code": "internal", "message": "the server failed (see its log)"})
        if request.method == "HEAD":
            if answer is None:  # no upgrade on HEAD: say what GET would need
                answer = json_response(HTTPStatus.UPGRADE_REQUIRED, {
                    "code": "upgrade_required", "message": "GET with Upgrade: websocket"})
            return Response(answer.status_code, answer.reason_phrase, answer.headers, b"")
        return answer

    def _route(self, connection: ServerConnection, request: Request) -> Reply:
        headers = request.headers
        refusal = self.parts.gate.check(headers.get("Host"), headers.get("Origin"), self.port)
        if refusal is not None:
            self.parts.log_refusal(logging.WARNING, "refused %s from %s: %s", request.method,
                              peer_host(connection), refusal.code)
            return refuse(refusal)
        url = urlsplit(request.path)
        path = unquote(url.path)
        query = query_of(url.query)
        handler = self.exact.get(path)
        if handler is not None:
            return handler(Ask(connection, path, query))
        for prefix, handler in self.prefixes:
            if path.startswith(prefix):
                return handler(Ask(connection, path[len(prefix):], query))
        file = web_file(path)
        if file is None and path.startswith("/vendor/") and path[8:] in VENDOR:
            file = WEB_DIR / "vendor" / path[8:]
        if file is not None:
            return response(HTTPStatus.OK, file.read_bytes(), CONTENT_TYPES[file.suffix],
                            worker_headers(file))
        return not_found()

    # -- pages and JSON -----------------------------------------------------------------
    def _status(self, ask: Ask) -> Response:
        status = self.parts.hub.status()
        token = ask.query.get("token")
        if ask.query.get("detail", "0") not in ("", "0"):
            if not self.parts.gate.may_see_detail(peer_host(ask.connection), token):
                return refuse(Refusal(
                    HTTPStatus.FORBIDDEN, "forbidden",
                    "detail=1 is for loopback clients (with ?token= when the server has one)"))
        else:  # nobody else's mix unless asked locally
            status.pop("personal", None)
        return json_response(HTTPStatus.OK, status)

    def _studio_page(self, ask: Ask) -> Response:
        page = (WEB_DIR / "studio.html").read_bytes()
        return response(HTTPStatus.OK, page, CONTENT_TYPES[".html"])

    def _studio_list(self, ask: Ask) -> Response:
        assert self.parts.studio is not None
        return json_response(HTTPStatus.OK, {"scenes": self.parts.studio.scenes(),
                                             "file": self.parts.studio.first})

    # -- files --------------------------------------------------------------------------
    def _hls_file(self, ask: Ask) -> Reply:
        """A file of the --hls folder: SCENE/master.m3u8, SCENE/aac/..., plain names
        only (no traversal), playlists never cached, segments cacheable."""
        parts = ask.rest.split("/")
        folder = self.parts.config.hls
        if (folder is None or not 2 <= len(parts) <= 3
                or not all(HLS_NAME.fullmatch(part) for part in parts)
                or Path(parts[-1]).suffix not in HLS_TYPES):
            return not_found("no such file")
        return self._send_hls(folder.joinpath(*parts))

    async def _send_hls(self, file: Path) -> Response:
        try:
            body = await asyncio.to_thread(file.read_bytes)
        except OSError:
            return not_found("no such file")
        extra: Extra = (("Access-Control-Allow-Origin", "*"),)
        if file.suffix != ".m3u8":  # a segment never changes once written
            extra += (("Cache-Control", "max-age=60"),)
        return response(HTTPStatus.OK, body, HLS_TYPES[file.suffix], extra)

    def _download(self, ask: Ask) -> Reply:
        """The player's download button (mixdown.Downloads): start, status, cancel, file.
        Controls like the mix ones: a server with a token wants it."""
        query = ask.query
        if self.parts.gate.token is not None and not self.parts.gate.token_ok(query.get("token")):
            return refuse(Refusal(HTTPStatus.FORBIDDEN, "token_required",
                                  "this server needs its token for downloads (?token=)"))
        client = peer_host(ask.connection) or "?"
        job = query.get("id", "")
        try:
            if ask.rest == "/api/download":
                return json_response(HTTPStatus.ACCEPTED, self.parts.downloads.start(client, query))
            if ask.rest == "status":
                return json_response(HTTPStatus.OK, self.parts.downloads.status(job, client))
            if ask.rest == "cancel":
                return json_response(HTTPStatus.OK, self.parts.downloads.cancel(job, client))
            if ask.rest == "file":
                return self._download_file(*self.parts.downloads.file(job, client))
        except DownloadError as exc:
            return json_response(HTTPStatus(exc.status), {"code": exc.code, "message": str(exc)})
        return not_found()

    async def _download_file(self, path: Path, filename: str, content_type: str) -> Response:
        """A finished render, read off the event loop (the mixers' fan-out goes on).
        websockets answers HTTP with a whole body, so the file is held in memory while
        it is sent: mixdown.FORMATS caps each format's length to keep that bounded."""
        body = await asyncio.to_thread(path.read_bytes)
        safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in filename)
        return response(HTTPStatus.OK, body, content_type, (
            ("Content-Disposition", f'attachment; filename="{safe}"'),))

    # -- websocket upgrades -------------------------------------------------------------
    def _vet_upgrade(self, ask: Ask) -> Response | None:
        """Refuse a /stream/ or /stems/ upgrade before the handshake, or None to let it
        through."""
        name, query = ask.rest, ask.query
        token = query.get("token")
        if token is not None and not self.parts.gate.token_ok(token):
            return refuse(Refusal(HTTPStatus.FORBIDDEN, "bad_token",
                                  "wrong token (listening needs none: leave it out)"))
        codec = query.get("codec", "opus")
        if codec not in CODECS:
            return refuse(Refusal(HTTPStatus.BAD_REQUEST, "bad_codec",
                                  f"codec {codec[:40]!r} is not one of {', '.join(CODECS)}"))
        if not self.parts.director.known(name):
            return refuse(Refusal(HTTPStatus.NOT_FOUND, "unknown_scene",
                                  f"no scene {name[:100]!r}"))
        # count connections let through, including those still waiting for their
        # channel (the hub does not know them yet); closed ones drop out here
        self._admitted = {c for c in self._admitted
                          if c.state is not State.CLOSED and not c.transport.is_closing()}
        limit = self.parts.config.max_listeners
        if len(self._admitted) >= limit:
            self.parts.log_refusal(logging.WARNING, "listener limit %d reached; refusing "
                              "connections (HTTP 503)", limit)
            return refuse(Refusal(HTTPStatus.SERVICE_UNAVAILABLE, "listener_limit",
                                  f"all {limit} listener places are taken; try again later"),
                          (("Retry-After", "60"),))
        self._admitted.add(ask.connection)
        return None  # go on with the websocket handshake

    def _vet_studio(self, ask: Ask) -> Response | None:
        """The studio's websocket: it edits files, so it always needs the token when the
        server has one; ``scene`` must be one of the folder's scene files."""
        assert self.parts.studio is not None
        if not self.parts.gate.token_ok(ask.query.get("token")):
            return refuse(Refusal(HTTPStatus.FORBIDDEN, "bad_token",
                                  "the studio needs the server's token (?token=)"))
        name = ask.query.get("scene") or self.parts.studio.first or ""
        if self.parts.studio.file(name) is None:
            return refuse(Refusal(HTTPStatus.NOT_FOUND, "unknown_scene",
                                  f"no scene file {name[:100]!r} in the studio's folder"))
        return None
