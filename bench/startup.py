"""Start-up, fairness and shutdown figures for ``soundscape serve`` (not a test).

Prints, for the scenes folder given (the shipped scenes by default):

* first audio: seconds from the server's "serving" line to the first audio message
  of ``--scene`` for a listener who connects at once (goal: within 3 s with a warm
  bank), and when every scene is ready;
* fairness: blocks a broadcast listener loses while one client runs ``--personal``
  personal mixes of the same scene for ``--duration`` seconds (goal: none);
* shutdown: seconds from SIGTERM to exit while one scene's build is wedged (goal:
  within 2 s).

Run it twice to see a warm start (the first run fills the bank):

    python bench/startup.py --bank /tmp/bank
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HEADER = struct.Struct(">BBHIQ")

WEDGE = """\
import sys, threading
from soundscape.server import director

built = director.build_channel
def build_channel(scene, bank):
    if scene.name == "wedged":
        print("wedged build started", flush=True)
        threading.Event().wait()
    return built(scene, bank)
director.build_channel = build_channel
from soundscape.cli import main
sys.exit(main(["serve", *sys.argv[1:]]))
"""


class Server:
    def __init__(self, scenes: Path, bank: Path, *args: str, code: str | None = None):
        env = dict(os.environ, SOUNDSCAPE_BANK=str(bank), PYTHONUNBUFFERED="1")
        head = [sys.executable, "-c", code] if code else [sys.executable, str(ROOT / "server.py")]
        self.proc = subprocess.Popen(
            [*head, "--host", "127.0.0.1", "--port", "0", "--scenes", str(scenes),
             "--bank", str(bank), *args],
            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self.lines: list[str] = []
        assert self.proc.stdout is not None
        while True:
            line = self.proc.stdout.readline()
            if not line:
                raise RuntimeError("server exited:\n" + "".join(self.lines))
            self.lines.append(line)
            m = re.search(r"serving http://[\d.]+:(\d+)/", line)
            if m:
                self.serving = time.monotonic()
                self.port = int(m.group(1))
                break

    def wait_for_line(self, text: str, timeout: float) -> None:
        assert self.proc.stdout is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline()
            self.lines.append(line)
            if text in line:
                return
        raise TimeoutError(text)

    def get(self, path: str) -> object:
        with urllib.request.urlopen(f"http://127.0.0.1:{self.port}{path}", timeout=10) as r:
            return json.loads(r.read())

    def stop(self) -> float:
        started = time.monotonic()
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            return float("inf")
        return time.monotonic() - started


async def _first_audio(url: str) -> float:
    from websockets.asyncio.client import connect

    async with connect(url) as ws:
        while not isinstance(await ws.recv(), bytes):
            pass
    return time.monotonic()


def first_audio(scenes: Path, bank: Path, scene: str) -> None:
    srv = Server(scenes, bank)
    try:
        got = asyncio.run(_first_audio(f"ws://127.0.0.1:{srv.port}/stream/{scene}?codec=opus"))
        print(f"first audio of {scene}: {got - srv.serving:.2f} s after 'serving'")
        names = {p.stem for p in scenes.glob("*.toml")}
        while True:
            ready = {s["name"] for s in srv.get("/api/scenes") if s["ready"]}  # type: ignore
            if names <= ready:
                break
            time.sleep(0.1)
        print(f"all {len(names)} scenes ready: {time.monotonic() - srv.serving:.2f} s")
    finally:
        srv.stop()


async def _fairness(port: int, scene: str, personal: int, seconds: float) -> tuple[int, int]:
    from websockets.asyncio.client import connect

    url = f"ws://127.0.0.1:{port}/stream/{scene}?codec=opus"
    seqs: list[int] = []

    async def broadcast() -> None:
        async with connect(url) as ws:
            deadline = time.monotonic() + seconds
            while time.monotonic() < deadline:
                msg = await asyncio.wait_for(ws.recv(), 5)
                if isinstance(msg, bytes):
                    seqs.append(HEADER.unpack_from(msg)[3])

    async def mix(i: int) -> None:
        async with connect(url) as ws:
            await ws.send(json.dumps({"type": "volume", "value": 0.5 + i / (4 * personal)}))
            deadline = time.monotonic() + seconds
            while time.monotonic() < deadline:
                await asyncio.wait_for(ws.recv(), 5)

    await asyncio.gather(broadcast(), *(mix(i) for i in range(personal)))
    lost = sum(b - a - 1 for a, b in zip(seqs, seqs[1:], strict=False))
    return lost, len(seqs)


def fairness(scenes: Path, bank: Path, scene: str, personal: int, seconds: float) -> None:
    srv = Server(scenes, bank, "--max-personal-per-client", str(personal))
    try:
        while not any(s["ready"] and s["name"] == scene
                      for s in srv.get("/api/scenes")):  # type: ignore
            time.sleep(0.2)
        lost, got = asyncio.run(_fairness(srv.port, scene, personal, seconds))
        status = srv.get("/api/status")
        mixers = [(m["name"], m["streams"], m["load"]) for m in status["mixers"]]  # type: ignore
        print(f"{personal} personal mixes from one client for {seconds:g} s: the broadcast "
              f"listener lost {lost} of {got + lost} blocks; mixers (name, streams, load): "
              f"{mixers}")
    finally:
        srv.stop()


def shutdown(bank: Path) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        scenes = Path(tmp)
        shutil.copy(ROOT / "scenes" / "brook.toml", scenes / "brook.toml")
        shutil.copy(ROOT / "scenes" / "brook.toml", scenes / "wedged.toml")
        srv = Server(scenes, bank, code=WEDGE)
        srv.wait_for_line("wedged build started", 120)
        srv.wait_for_line("channel brook: on air", 120)
        print(f"SIGTERM with a wedged build: exited in {srv.stop():.2f} s")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--scenes", type=Path, default=ROOT / "scenes")
    p.add_argument("--scene", default="thunderstorm", help="the scene a listener asks for")
    p.add_argument("--bank", type=Path, required=True, help="segment bank (warm it first)")
    p.add_argument("--personal", type=int, default=40)
    p.add_argument("--duration", type=float, default=40.0)
    p.add_argument("--only", choices=("first-audio", "fairness", "shutdown"))
    args = p.parse_args()
    if args.only in (None, "first-audio"):
        first_audio(args.scenes, args.bank, args.scene)
    if args.only in (None, "fairness"):
        fairness(args.scenes, args.bank, args.scene, args.personal, args.duration)
    if args.only in (None, "shutdown"):
        shutdown(args.bank)


if __name__ == "__main__":
    main()
