"""HTTP edge, Origin/Host/token checks and the listener limit, against real servers."""

from __future__ import annotations

import asyncio
import json
import logging
import socket
import subprocess
import time
from functools import partial
from unittest import mock

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from soundscape.server.gate import Gate, RateLimitedLog, listener_limit
from test_server_support import ServerProcess, http_request, raw_http, tiny_scene, wait_for_log


def _scenes(root):
    scenes = root / "scenes"
    scenes.mkdir()
    (scenes / "tiny.toml").write_text(tiny_scene("tiny", 5))
    return scenes


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    root = tmp_path_factory.mktemp("sec")
    srv = ServerProcess(_scenes(root), root / "bank", "--max-listeners", "3")
    try:
        srv.wait_ready(["tiny"])
        yield srv
    finally:
        srv.stop()


async def _status_of_upgrade(url: str, **kw) -> int:
    try:
        async with connect(url, **kw) as ws:
            await ws.recv()
            return 101
    except InvalidStatus as exc:
        return exc.response.status_code


# -- HTTP --------------------------------------------------------------------------
@pytest.mark.parametrize("method", ["DELETE", "OPTIONS", "PUT", "FROB"])
def test_other_methods_get_405(server, method):
    status, headers, body = http_request(server.port, method, "/")
    assert status == 405 and headers["allow"] == "GET, HEAD"
    assert json.loads(body)["code"] == "bad_method"


def test_head_sends_headers_without_body(server):
    status, headers, body = http_request(server.port, "GET", "/")
    answer = raw_http(server.port, b"HEAD / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    head, _, rest = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200")
    assert f"Content-Length: {len(body)}".encode() in head and len(body) > 100
    assert rest == b""  # no body follows
    answer = raw_http(server.port, b"HEAD /api/status HTTP/1.1\r\nHost: localhost\r\n\r\n")
    assert answer.startswith(b"HTTP/1.1 200") and answer.endswith(b"\r\n\r\n")


@pytest.mark.parametrize("path", ["/%00", "/" + "a" * 5000, "/%2e%2e/pyproject.toml",
                                  "/..%2fpyproject.toml", "/%2Fetc%2Fpasswd", "/app.js%00.html",
                                  "/web/app.js", "/%ff%fe", "/nope?<script>", "/a/" * 300])
def test_odd_paths_get_404_without_echo(server, path):
    status, _, body = http_request(server.port, "GET", path)
    assert status == 404, (path, body[:200])
    answer = json.loads(body)
    assert answer["code"] == "not_found" and "nope" not in answer["message"]
    assert "pyproject" not in answer["message"] and "aaaa" not in answer["message"]


def test_stream_refusals(server):
    for query, status, code in [("?codec=", 400, "bad_codec"), ("?codec=mp3", 400, "bad_codec"),
                                ("?codec=" + "x" * 3000, 400, "bad_codec")]:
        got, _, body = http_request(server.port, "GET", "/stream/tiny" + query)
        assert got == status and json.loads(body)["code"] == code, (query, body)
        assert len(body) < 400
    # a plain GET (no Upgrade): websockets' own 426; any token is ignored without one set
    assert http_request(server.port, "GET", "/stream/tiny?token=x")[0] == 426
    got, _, body = http_request(server.port, "GET", "/stream/%00")
    assert got == 404 and json.loads(body)["code"] == "unknown_scene"
    assert b"Traceback" not in body
    log = "".join(server.log)
    assert "Traceback" not in log and "process_request failed" not in log


# -- Host and Origin ---------------------------------------------------------------
def test_wrong_host_is_refused_everywhere(server):
    for path in ("/", "/api/status", "/api/scenes", "/stream/tiny"):
        status, _, body = http_request(server.port, "GET", path, {"Host": "evil.example"})
        assert status == 403 and json.loads(body)["code"] == "bad_host", path
    for host in (f"localhost:{server.port}", f"[::1]:{server.port}", "127.0.0.1", "LOCALHOST."):
        assert http_request(server.port, "GET", "/api/scenes", {"Host": host})[0] == 200, host


def test_foreign_origin_is_refused_own_origin_accepted(server):
    url = f"{server.ws}/stream/tiny"

    async def main():
        foreign = [await _status_of_upgrade(url, origin=o) for o in
                   ("http://evil.example", "null", f"http://evil.example:{server.port}",
                    "http://127.0.0.1:1")]
        own = [await _status_of_upgrade(url, origin=o) for o in
               (f"http://127.0.0.1:{server.port}", f"http://localhost:{server.port}",
                f"http://[::1]:{server.port}")]
        return foreign, own

    foreign, own = asyncio.run(main())
    assert foreign == [403, 403, 403, 403]
    assert own == [101, 101, 101]
    status, _, body = http_request(server.port, "GET", "/api/status",
                                   {"Origin": "http://evil.example"})
    assert status == 403 and json.loads(body)["code"] == "bad_origin"


def test_status_hides_mixes_unless_asked_locally(server):
    assert "personal" not in server.get("/api/status")
    assert "personal" in server.get("/api/status?detail=1")


# -- limits --------------------------------------------------------------------------
def test_listener_limit_refuses_politely_and_stays_responsive(server):
    url = f"{server.ws}/stream/tiny"

    async def main():
        for _ in range(50):  # earlier tests' connections are gone
            if server.get("/api/status")["listeners"] == 0:
                break
            await asyncio.sleep(0.1)
        socks = [await connect(url) for _ in range(3)]
        for ws in socks:
            assert json.loads(await ws.recv())["type"] == "hello"
        refused = []
        for _ in range(5):
            with pytest.raises(InvalidStatus) as e:
                await connect(url)
            refused.append(e.value.response)
        status = server.get("/api/status")
        await socks[0].close()
        await asyncio.sleep(0.3)
        again = await connect(url)  # a place is free again
        hello = json.loads(await again.recv())
        for ws in (*socks[1:], again):
            await ws.close()
        return refused, status, hello

    refused, status, hello = asyncio.run(main())
    assert all(r.status_code == 503 for r in refused)
    assert refused[0].headers["Retry-After"] == "60"
    assert json.loads(refused[0].body)["code"] == "listener_limit"
    assert status["listeners"] == 3 and status["limits"]["listeners"] == 3
    assert hello["type"] == "hello"
    lines = [line for line in server.log if "listener limit" in line]
    assert len(lines) == 1, lines  # logged once a minute at most


def test_listener_limit_fits_the_open_file_limit():
    resource = pytest.importorskip("resource")
    limit = listener_limit(10**7)
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    assert soft == hard or hard == resource.RLIM_INFINITY  # raised as far as allowed
    assert 1 <= limit <= soft - 64
    assert listener_limit(3) == 3


def test_rate_limited_log_holds_back_repeats(caplog):
    now = [0.0]
    logger = logging.getLogger("test.ratelimit")
    rl = RateLimitedLog(logger, 60.0, clock=lambda: now[0])
    with caplog.at_level(logging.WARNING, "test.ratelimit"):
        assert rl(logging.WARNING, "full %d", 1)
        for _ in range(100):
            assert not rl(logging.WARNING, "full %d", 1)
        now[0] = 61.0
        assert rl(logging.WARNING, "full %d", 1)
    assert [r.getMessage() for r in caplog.records] == [
        "full 1", "full 1 (100 more like this since the last one)"]


# -- the policy alone ----------------------------------------------------------------
def test_gate_origin_and_host_rules():
    gate = Gate("127.0.0.1", ["https://player.example"])
    assert gate.token is None and gate.token_ok(None)
    assert gate.check("127.0.0.1:8000", "http://localhost:8000", 8000) is None
    assert gate.check("localhost:8000", "http://127.0.0.1:8000", 8000) is None
    assert gate.check(None, "http://[::1]:8000", 8000) is None
    assert gate.check("player.example", "https://player.example", 8000) is None
    assert gate.check(None, None, 8000) is None  # curl
    assert gate.check("127.0.0.1:8000", "http://localhost:9999", 8000).code == "bad_origin"
    assert gate.check("127.0.0.1:8000", "http://evil.example:8000", 8000).code == "bad_origin"
    assert gate.check("evil.example:8000", None, 8000).code == "bad_host"
    assert gate.check("10.0.0.7:8000", None, 8000).code == "bad_host"  # not a wildcard bind
    assert gate.check("a@127.0.0.1", None, 8000).code == "bad_host"
    wild = Gate("0.0.0.0", token="sesame", own_names=["box"])
    assert wild.check("10.0.0.7:8000", "http://10.0.0.7:8000", 8000) is None
    assert wild.check("box:8000", "http://box:8000", 8000) is None
    assert wild.check("10.0.0.7:8000", "http://203.0.113.9:8000", 8000).code == "bad_origin"
    assert wild.check("rebind.evil.example:8000", None, 8000).code == "bad_host"
    assert not wild.token_ok(None) and not wild.token_ok("sesam") and wild.token_ok("sesame")
    assert Gate.for_server("0.0.0.0").token and Gate.for_server("::1").token is None
    with pytest.raises(ValueError):
        Gate("127.0.0.1", ["player.example"])


# -- token when bound beyond loopback --------------------------------------------------
def test_token_required_for_control_when_bound_to_all_interfaces(tmp_path):
    srv = ServerProcess(_scenes(tmp_path), tmp_path / "bank", "--host", "0.0.0.0",
                        "--allow-origin", "https://player.example")
    try:
        srv.wait_ready(["tiny"])
        token = wait_for_log(srv, r"/\?token=(\S+) ").group(1)
        gain = json.dumps({"type": "gain", "layer": "hiss", "db": -6})

        async def reply(url: str, message: str, **kw) -> dict:
            async with connect(url, **kw) as ws:
                assert json.loads(await ws.recv())["type"] == "hello"
                await ws.send(message)
                while True:
                    msg = await ws.recv()
                    if isinstance(msg, str):
                        return json.loads(msg)

        async def main():
            base = f"{srv.ws}/stream/tiny?codec=opus"
            return (await reply(base, gain),
                    await reply(base, json.dumps({"type": "ping", "id": 1})),
                    await reply(base + "&token=" + token, gain,
                                origin="https://player.example"),
                    await _status_of_upgrade(base + "&token=wrong-token"),
                    await _status_of_upgrade(base, origin="https://other.example"))

        no_token, ping, with_token, wrong, other = asyncio.run(main())
        assert no_token["type"] == "error" and no_token["code"] == "token_required"
        assert ping["type"] == "pong"  # listening and pings need no token
        assert with_token["type"] == "mix" and with_token["mode"] == "personal"
        assert wrong == 403 and other == 403
        assert http_request(srv.port, "GET", "/api/status?detail=1")[0] == 403
        status, _, body = http_request(srv.port, "GET", f"/api/status?detail=1&token={token}")
        assert status == 200 and "personal" in json.loads(body)
        assert http_request(srv.port, "GET", "/api/scenes",
                            {"Host": "player.example"})[0] == 200
    finally:
        srv.stop()


def test_out_of_file_descriptors_logs_rarely_and_keeps_answering(tmp_path):
    """With 150 descriptors, 200 idle TCP connections exhaust them: accept() fails
    (asyncio reports each failure, thousands a second) but the log stays small and
    the server answers again once they are gone."""
    resource = pytest.importorskip("resource")

    def small_limit() -> None:
        resource.setrlimit(resource.RLIMIT_NOFILE, (150, 150))

    with mock.patch.object(subprocess, "Popen", partial(subprocess.Popen, preexec_fn=small_limit)):
        srv = ServerProcess(_scenes(tmp_path), tmp_path / "bank")
    try:
        srv.wait_ready(["tiny"])
        assert srv.get("/api/status")["limits"]["listeners"] == 150 - 64
        socks = []
        try:
            for _ in range(200):
                socks.append(socket.create_connection(("127.0.0.1", srv.port), timeout=5))
            time.sleep(1.0)
            before = sum(map(len, srv.log))
            time.sleep(2.0)
            grown = sum(map(len, srv.log)) - before
        finally:
            for sock in socks:
                sock.close()
        time.sleep(1.5)  # asyncio retries accept() after 1 s
        # answers again (srv.get's own 10 s timeout is the hang guard)
        assert srv.get("/api/scenes")[0]["name"] == "tiny"
        log = "".join(srv.log)
        assert grown < 2000, log[-2000:]
        assert log.count("cannot accept connections") == 1, log[-2000:]
    finally:
        srv.stop()
