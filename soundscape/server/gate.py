"""Who may connect: Host, Origin and token checks, and the listener limit.

The policy (documented in docs/protocol.md, "Access"):

* **Host** must name this server: ``localhost``, ``127.0.0.1``, ``::1``, the bound
  host, the hosts of ``--allow-origin``; on a wildcard bind (``0.0.0.0``, ``::``) also
  any IP literal and this machine's name. This defeats DNS rebinding, where a page
  at ``evil.example`` re-points its name at us: its requests carry
  ``Host: evil.example``.
* **Origin**, when a browser sends one, must be the player's own origin (the same
  host and port as the request's Host, with 127.0.0.1, localhost and [::1] counted
  as one) or one of ``--allow-origin``. Requests without Origin (curl, scripts, the
  tests) pass: they cannot be driven by a foreign web page.
* **Token**: a server bound beyond loopback has one (``--token``, SOUNDSCAPE_TOKEN, or
  random at start). Listening stays open; changing a mix or setting a sleep timer
  needs ``?token=`` on the stream URL, and so does ``/api/status?detail=1``.

Everything but :func:`listener_limit` (which reads and raises RLIMIT_NOFILE) is
pure: the I/O edge passes in header values and gets a :class:`Refusal` or None.
"""

from __future__ import annotations

import hmac
import ipaddress
import logging
import secrets
import socket
import time
from collections.abc import Iterable
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any
from urllib.parse import urlsplit

LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})
WILDCARD_HOSTS = frozenset({"", "0.0.0.0", "::"})
DEFAULT_PORTS = {"http": 80, "https": 443, "ws": 80, "wss": 443}
SPARE_FDS = 64  # descriptors kept for the bank, logs, HTTP requests and refusals
MAX_NOFILE = 1 << 20  # raise the soft limit at most this far when the hard one is unlimited


@dataclass(frozen=True)
class Refusal:
    """An HTTP refusal: ``status`` and a JSON body ``{"code", "message"}``."""

    status: HTTPStatus
    code: str
    message: str


def _ip(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


def normal_host(host: str) -> str:
    """Lower case, no brackets, no trailing dot: how names are compared."""
    return host.strip().lower().strip("[]").rstrip(".")


def is_loopback(host: str) -> bool:
    """True for localhost, 127.0.0.0/8 and ::1 (by name or literal)."""
    host = normal_host(host)
    ip = _ip(host)
    return host == "localhost" or (ip is not None and ip.is_loopback)


def split_host(value: str, default_port: int | None) -> tuple[str, int | None] | None:
    """``"Example.org:8000"`` -> ``("example.org", 8000)``; None if malformed."""
    try:
        parts = urlsplit("//" + value.strip())
        port = parts.port
    except ValueError:
        return None
    if not parts.hostname or parts.username is not None or parts.path or parts.query:
        return None
    return normal_host(parts.hostname), port if port is not None else default_port


def parse_origin(value: str) -> tuple[str, str, int] | None:
    """``"http://LOCALHOST:8000"`` -> ``("http", "localhost", 8000)``; None for
    ``null``, paths or anything else that is not ``scheme://host[:port]``."""
    try:
        parts = urlsplit(value.strip())
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if (scheme not in DEFAULT_PORTS or not parts.hostname or parts.path not in ("", "/")
            or parts.query or parts.fragment or parts.username is not None):
        return None
    return scheme, normal_host(parts.hostname), port if port is not None else DEFAULT_PORTS[scheme]


def machine_names() -> set[str]:
    """This machine's own names (no DNS lookups)."""
    name = normal_host(socket.gethostname())
    return {name, f"{name}.local"} if name else set()


def new_token() -> str:
    return secrets.token_urlsafe(18)


class Gate:
    """The Host/Origin/token policy of one server (see the module docstring)."""

    def __init__(self, bind_host: str, allow_origins: Iterable[str] = (),
                 token: str | None = None, own_names: Iterable[str] = ()):
        self.bind_host = normal_host(bind_host)
        self.loopback_bind = is_loopback(self.bind_host)
        self.wildcard = self.bind_host in WILDCARD_HOSTS
        self.allowed: set[tuple[str, str, int]] = set()
        for origin in allow_origins:
            parsed = parse_origin(origin)
            if parsed is None:
                raise ValueError(f"--allow-origin: {origin!r} is not scheme://host[:port]")
            self.allowed.add(parsed)
        self.names = set(LOOPBACK_NAMES) | {host for _, host, _ in self.allowed}
        if not self.wildcard:
            self.names.add(self.bind_host)
        self.names |= {normal_host(n) for n in own_names}
        self.token = token

    @classmethod
    def for_server(cls, host: str, allow_origins: Iterable[str] = (),
                   token: str | None = None) -> Gate:
        """The gate of a server bound to ``host``: a token is made up for non-loopback
        binds when none is given."""
        wildcard = normal_host(host) in WILDCARD_HOSTS
        if token is None and not is_loopback(host):
            token = new_token()
        return cls(host, allow_origins, token, machine_names() if wildcard else ())

    # -- checks --------------------------------------------------------------------
    def host_ok(self, host: str) -> bool:
        """Is ``host`` (a name, without port) one of this server's names?"""
        host = normal_host(host)
        if host in self.names or is_loopback(host):
            return True
        return self.wildcard and _ip(host) is not None

    def origin_ok(self, origin: str, host_header: str | None, port: int) -> bool:
        """Is ``origin`` the player's own origin or an allowed one?"""
        parsed = parse_origin(origin)
        if parsed is None:
            return False
        if parsed in self.allowed:
            return True
        scheme, host, origin_port = parsed
        if host_header:
            own = split_host(host_header, DEFAULT_PORTS[scheme])
            if own is not None and own[1] == origin_port and self.host_ok(own[0]) and (
                    own[0] == host or (is_loopback(own[0]) and is_loopback(host))):
                return True
        # the server's own specific names on its own port (no "any IP" here: an
        # attacker's page at http://203.0.113.9:<port> is not us)
        specific = host in self.names or is_loopback(host)
        return specific and origin_port == port

    def token_ok(self, given: str | None) -> bool:
        """True when no token is needed, or ``given`` is it (constant-time compare)."""
        if self.token is None:
            return True
        return given is not None and hmac.compare_digest(given.encode(), self.token.encode())

    def check(self, host_header: str | None, origin: str | None, port: int) -> Refusal | None:
        """Host and Origin checks of one request (HTTP or websocket upgrade)."""
        if host_header is not None:
            parsed = split_host(host_header, None)
            if parsed is None or not self.host_ok(parsed[0]):
                return Refusal(HTTPStatus.FORBIDDEN, "bad_host",
                               "the Host header does not name this server "
                               "(see --allow-origin)")
        if origin is not None and not self.origin_ok(origin, host_header, port):
            return Refusal(HTTPStatus.FORBIDDEN, "bad_origin",
                           "pages from this Origin may not use this server "
                           "(see --allow-origin)")
        return None

    def may_see_detail(self, peer_host: str | None, token: str | None) -> bool:
        """``/api/status?detail=1``: a loopback client, with the token if there is one."""
        return peer_host is not None and is_loopback(peer_host) and self.token_ok(token)


# -- limits ------------------------------------------------------------------------
def listener_limit(configured: int, spare: int = SPARE_FDS) -> int:
    """The listener cap this process can keep: ``configured``, lowered to fit in
    RLIMIT_NOFILE less ``spare`` descriptors. Raises the soft limit to the hard one
    first, where allowed. Never below 1."""
    try:
        import resource
    except ImportError:  # not on Unix: trust the configured value
        return configured
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = MAX_NOFILE if hard == resource.RLIM_INFINITY else hard
    if soft != resource.RLIM_INFINITY and soft < target:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
            soft = target
        except (ValueError, OSError):
            pass
    if soft == resource.RLIM_INFINITY:
        return configured
    return max(1, min(configured, soft - spare))


class RateLimitedLog:
    """Logs each message (told apart by its format string) at most once per
    ``interval_s``, saying how many like it were held back in between."""

    def __init__(self, logger: logging.Logger, interval_s: float = 60.0,
                 clock: Any = time.monotonic):
        self.logger = logger
        self.interval_s = interval_s
        self.clock = clock
        self.last: dict[str, float] = {}
        self.held: dict[str, int] = {}

    def __call__(self, level: int, msg: str, *args: Any, exc_info: bool = False) -> bool:
        """Log now (True) or count it as held back (False)."""
        now = self.clock()
        last = self.last.get(msg)
        if last is not None and now - last < self.interval_s:
            self.held[msg] = self.held.get(msg, 0) + 1
            return False
        held = self.held.pop(msg, 0)
        self.last[msg] = now
        if len(self.last) > 1000:  # format strings are few; never grow without bound
            self.last = {msg: now}
        note = f" ({held} more like this since the last one)" if held else ""
        self.logger.log(level, msg + note, *args, exc_info=exc_info)
        return True
