"""Helpers for the server and browser tests: tiny scenes and a server subprocess.

(No tests here; the name keeps it next to the tests that use it.)
"""

from __future__ import annotations

import json
import re
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from child_process import ROOT, Child

TINY_SCENE = """\
title = "Tiny {name}"
description = "Two noise beds for tests."
[master]
segment_seconds = "4s"
fade_in = "0s"
seed = {seed}
[[layers]]
name = "hiss"
type = "bed"
recipe = "noise"
params = {{ color = "pink" }}
variants = 2
crossfade = "0.5s"
gain_db = {hiss_db}
[[layers]]
name = "hum"
type = "bed"
recipe = "noise"
params = {{ color = "brown" }}
variants = 2
crossfade = "0.5s"
gain_db = -6.0
"""


def tiny_scene(name: str = "tiny", seed: int = 1, hiss_db: float = 0.0) -> str:
    return TINY_SCENE.format(name=name, seed=seed, hiss_db=hiss_db)


class ServerProcess(Child):
    """``python server.py`` on a free port, with its own bank; ``stop()`` sends SIGTERM."""

    def __init__(self, scenes: Path, bank: Path, *args: str):
        super().__init__(
            [sys.executable, str(ROOT / "server.py"), "--host", "127.0.0.1", "--port", "0",
             "--scenes", str(scenes), "--bank", str(bank), *args],
            env={"SOUNDSCAPE_BANK": str(bank)}, what="server")
        try:
            self.port = int(self.wait_for_line(r"serving http://[\d.]+:(\d+)/", 60).group(1))
        except BaseException:
            self.stop()
            raise
        self.scenes = scenes
        self.http = f"http://127.0.0.1:{self.port}"
        self.ws = f"ws://127.0.0.1:{self.port}"

    def get(self, path: str) -> Any:
        with urllib.request.urlopen(self.http + path, timeout=10) as r:
            return json.loads(r.read())

    def wait_ready(self, names: list[str], timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            ready = {s["name"] for s in self.get("/api/scenes") if s["ready"]}
            if set(names) <= ready:
                return
            time.sleep(0.2)
        raise TimeoutError(f"scenes {names} not ready:\n" + self.text)


@pytest.fixture
def serve(tmp_path: Path) -> Iterator[Callable[..., ServerProcess]]:
    """The server preamble of many tests: ``serve(*ARGS, scenes={"tiny": TOML})``
    writes each scene to ``tmp_path/scenes/NAME.toml``, starts ``server.py ARGS`` on
    it with the bank ``tmp_path/bank``, waits until the scenes named in ``ready``
    (default: all of them) are ready, and returns the ServerProcess. Every server
    it started is stopped after the test (a test may stop one itself, to check how
    it exits)."""
    started: list[ServerProcess] = []

    def start(*args: str, scenes: dict[str, str] | None = None,
              ready: list[str] | None = None, timeout: float = 90) -> ServerProcess:
        folder = tmp_path / "scenes"
        folder.mkdir(exist_ok=True)
        scenes = {"tiny": tiny_scene()} if scenes is None else scenes
        for name, text in scenes.items():
            (folder / f"{name}.toml").write_text(text)
        srv = ServerProcess(folder, tmp_path / "bank", *args)
        started.append(srv)
        srv.wait_ready(list(scenes) if ready is None else ready, timeout)
        return srv

    try:
        yield start
    finally:
        for srv in started:
            srv.stop()


def wait_for_log(srv: ServerProcess, pattern: str, timeout: float = 10) -> re.Match[str]:
    """The first line of the server's output matching ``pattern`` (waits for it)."""
    return srv.wait_for_line(pattern, timeout)


def http_request(port: int, method: str, path: str,
                 headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    """One request with http.client (which lets any method, path and Host through)."""
    import http.client

    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        names = {k.lower() for k in (headers or {})}
        conn.putrequest(method, path, skip_host="host" in names, skip_accept_encoding=True)
        for key, value in (headers or {}).items():
            conn.putheader(key, value)
        conn.endheaders()
        r = conn.getresponse()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
    finally:
        conn.close()


def raw_http(port: int, request: bytes, timeout: float = 5) -> bytes:
    """Send ``request`` as is and return every byte the server answers until it closes."""
    import socket

    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(request)
        chunks = []
        try:
            while chunk := sock.recv(65536):
                chunks.append(chunk)
        except TimeoutError:
            pass
        return b"".join(chunks)


class FakeClock:
    """A clock the test moves by hand (``clock.t += 0.1``)."""

    def __init__(self) -> None:
        self.t = 0.0

    def __call__(self) -> float:
        return self.t


def hub_on_fake_clock(scene, template, block: int = 4800):
    """A hub with one mixer on a FakeClock and ``scene``'s channel (a copy of
    ``template``). Returns (hub, channel, run): ``run(n)`` steps n blocks and returns
    every Produced the mixer published meanwhile."""
    from soundscape.clock import AudioClock
    from soundscape.server.config import ServerConfig
    from soundscape.server.engine import Engine
    from soundscape.server.hub import Hub
    from soundscape.server.stream import fork_graph

    fake = FakeClock()
    clock = AudioClock(48000, block, now=fake)
    engines: list = []
    hub = Hub(ServerConfig(idle_pause_s=0), clock, engines)
    produced: list = []

    def publish(stream, block) -> None:
        produced.append(block)
        hub.on_produced(stream, block)

    engines.append(Engine("0", clock, publish))
    hub.load["0"] = 0
    channel = hub.add_channel(scene, fork_graph(template))

    def run(blocks: int) -> list:
        start = len(produced)
        for _ in range(blocks):
            fake.t += 0.1
            engines[0].step(fake.t)
        return produced[start:]

    return hub, channel, run
