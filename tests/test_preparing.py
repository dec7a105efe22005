"""Honest waiting: while a scene is prepared, a listener is told how far it has come.

A build reports how many of the scene's layers have their material ready (messages to
the loop); ``/api/scenes`` shows it as ``progress`` and the stream websocket sends
``preparing`` messages until the audio starts (docs/protocol.md, "Waiting for a scene").
The server test holds the build after its first layer (a gate file), so what a
listener sees while it waits is checked without racing the build.
"""

from __future__ import annotations

import asyncio
import contextvars
import json
import sys
import threading
from pathlib import Path

import pytest
from child_process import Child

from soundscape.bank import SegmentBank
from soundscape.clock import AudioClock
from soundscape.outputs import ChannelOutputs
from soundscape.scene import load_scene
from soundscape.server import director as director_module
from soundscape.server.builds import BuildQueue
from soundscape.server.config import ServerConfig
from soundscape.server.director import BUILD_PROGRESS, Director
from soundscape.server.engine import Engine
from soundscape.server.hub import Hub
from test_server_support import tiny_scene

WAIT_S = 60  # generous: the machine may be busy


def test_a_build_reports_each_layer_as_its_material_is_ready(tmp_path: Path) -> None:
    path = tmp_path / "tiny.toml"
    path.write_text(tiny_scene())
    scene, bank = load_scene(path), SegmentBank(tmp_path / "bank")  # a cold bank
    reports: list[tuple[int, int]] = []
    job = contextvars.copy_context()
    job.run(BUILD_PROGRESS.set, lambda done, total: reports.append((done, total)))
    built = job.run(director_module.build_channel, scene, bank)
    assert reports == [(0, 2), (1, 2), (2, 2)]
    assert sorted(built.graph.strips) == ["hiss", "hum"]
    assert director_module.build_channel(scene, bank).graph.scene is scene  # no reporter


def test_the_director_lists_progress_until_the_channel_is_on(tmp_path: Path,
                                                             monkeypatch) -> None:
    scenes = tmp_path / "scenes"
    scenes.mkdir()
    (scenes / "tiny.toml").write_text(tiny_scene())
    real = director_module.build_channel
    halfway, go = threading.Event(), threading.Event()

    def build_channel(scene, bank):  # (build thread) reports one layer, then waits
        report = BUILD_PROGRESS.get()
        assert report is not None
        report(1, 2)
        halfway.set()
        assert go.wait(WAIT_S)
        return real(scene, bank)

    monkeypatch.setattr(director_module, "build_channel", build_channel)
    clock = AudioClock(48000, 4800)
    hub = Hub(ServerConfig(idle_pause_s=0), clock, [Engine("0", clock, lambda s, p: None)])
    builds, files = BuildQueue(1), BuildQueue(1, "scan")

    async def main() -> list[list[dict]]:
        tasks: set[asyncio.Task] = set()
        director = Director(ServerConfig(scenes=scenes), hub, SegmentBank(tmp_path / "bank"),
                            builds, files, ChannelOutputs(),
                            lambda c: tasks.add(asyncio.ensure_future(c)))
        await director.scan()
        seen = [director.listing()]
        await asyncio.wait_for(asyncio.to_thread(halfway.wait, WAIT_S), WAIT_S)
        for _ in range(WAIT_S * 20):  # until the report has reached the loop
            if director.progress("tiny")["done"] == 1:
                break
            await asyncio.sleep(0.05)
        seen.append(director.listing())
        go.set()
        await asyncio.wait_for(director.ready["tiny"].wait(), WAIT_S)
        await asyncio.gather(*tasks)
        seen.append(director.listing())
        assert director.progress("tiny") == {"done": 2, "total": 2}
        return seen

    try:
        before, halfway_there, after = asyncio.run(main())
    finally:
        go.set()
        builds.close()
        files.close()
    assert before[0]["ready"] is False and before[0]["progress"] == {"done": 0, "total": 2}
    assert halfway_there[0]["progress"] == {"done": 1, "total": 2}
    assert after[0]["ready"] is True and "progress" not in after[0]
    assert [layer["label"] for layer in after[0]["layers"]] == ["Hiss", "Hum"]


# the scene's build is held before its second layer until the file GATE exists
GATED = """\
import sys, time
from pathlib import Path
from soundscape.server import director

gate = Path(sys.argv[1])
real = director.build_graph
def build_graph(scene, bank, progress=None, **kw):
    calls = []
    def held(name):
        if calls:
            print("build held", flush=True)
            for _ in range(1200):
                if gate.exists():
                    break
                time.sleep(0.05)
        calls.append(name)
        if progress is not None:
            progress(name)
    return real(scene, bank, progress=held, **kw)
director.build_graph = build_graph
from soundscape.cli import main
sys.exit(main(["serve", *sys.argv[2:]]))
"""


async def _listen(url: str) -> list[str | bytes]:
    """Every message of a stream up to and with its first audio message."""
    from websockets.asyncio.client import connect

    got: list[str | bytes] = []
    async with connect(url) as ws:
        while not got or isinstance(got[-1], str):
            got.append(await asyncio.wait_for(ws.recv(), WAIT_S))
    return got


@pytest.mark.parametrize("path", ["stream", "stems"])
def test_a_listener_who_waits_is_told_how_far_the_scene_has_come(tmp_path: Path,
                                                                  path: str) -> None:
    scenes = tmp_path / "scenes"
    scenes.mkdir()
    (scenes / "tiny.toml").write_text(tiny_scene())
    gate, bank = tmp_path / "gate", tmp_path / "bank"  # a cold bank
    server = Child([sys.executable, "-c", GATED, str(gate), "--host", "127.0.0.1", "--port",
                    "0", "--scenes", str(scenes), "--bank", str(bank)],
                   env={"SOUNDSCAPE_BANK": str(bank)}, what="server")
    try:
        port = server.wait_for_line(r"serving http://[\d.]+:(\d+)/", WAIT_S).group(1)
        base = f"127.0.0.1:{port}"

        async def main() -> tuple[list[str | bytes], dict, dict]:
            from websockets.asyncio.client import connect

            listening = asyncio.create_task(_listen(f"ws://{base}/{path}/tiny?codec=pcm16"))
            async with connect(f"ws://{base}/stream/tiny?codec=pcm16") as ws:
                first = json.loads(await asyncio.wait_for(ws.recv(), WAIT_S))
            await asyncio.to_thread(server.wait_for_line, "build held", WAIT_S)
            listing = await asyncio.to_thread(_get, f"http://{base}/api/scenes")
            gate.touch()
            return await listening, first, listing[0]

        got, first, listed = asyncio.run(main())
    finally:
        gate.touch()
        server.stop()
    assert first == {"type": "preparing", "scene": "tiny", "title": "Tiny tiny", "done": 0,
                     "total": 2}
    assert listed["ready"] is False and listed["progress"]["total"] == 2
    assert listed["progress"]["done"] in (0, 1)
    texts = [json.loads(m) for m in got[:-1]]
    assert isinstance(got[-1], bytes)  # the audio comes last
    preparing = [m for m in texts if m["type"] == "preparing"]
    assert texts[0] == preparing[0] and preparing[0]["done"] == 0
    done = [m["done"] for m in preparing]
    assert done == sorted(done) and done[-1] == 2 and len(set(done)) == len(done)
    assert all(m["total"] == 2 and m["title"] == "Tiny tiny" for m in preparing)
    hello = texts[len(preparing)]
    assert hello["type"] == "hello"  # after the last preparing message, before the audio
    assert hello["layers"] == [
        {"name": "hiss", "kind": "bed", "label": "Hiss", "icon": "noise"},
        {"name": "hum", "kind": "bed", "label": "Hum", "icon": "noise"}]  # recipe 'noise'


def _get(url: str) -> list[dict]:
    import urllib.request

    with urllib.request.urlopen(url, timeout=10) as r:
        return json.loads(r.read())
