"""Honest waiting: while a scene is prepared, a listener is told how far it has come.

A build reports how many of the scene's layers have their material ready, then that it
balances them (sets the mix's level), in messages to the loop; ``/api/scenes`` shows it
as ``progress`` and the stream websocket sends ``preparing`` messages until the audio
starts (docs/protocol.md, "Waiting for a scene"). A build that fails is told to a
waiting listener at once (a ``scene_failed`` error, close 4003), and the player says so
in plain words. The server tests hold the build at each step until a gate file exists,
so what a listener sees while it waits is checked without racing the build; the
failures are real (a prompt layer with nothing generated, a file gone mid-build).
"""

from __future__ import annotations

import asyncio
import contextvars
import json
import shutil
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
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
    job.run(BUILD_PROGRESS.set, lambda done, total, step: reports.append((done, total, step)))
    built = job.run(director_module.build_channel, scene, bank)
    assert reports == [(0, 2, None), (1, 2, None), (2, 2, "balancing")]
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
        report(1, 2, None)
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


def test_a_failed_build_leaves_a_short_reason_for_the_listener(tmp_path: Path) -> None:
    path = tmp_path / "tiny.toml"
    path.write_text(tiny_scene())
    scene = load_scene(path)
    assert director_module.short_reason(scene, f"{scene.path}: layer 'hum' is gone\nmore") \
        == "layer 'hum' is gone"
    assert director_module.short_reason(scene, f"{tmp_path / 'hum.wav'}: file not found") \
        == "hum.wav: file not found"  # a file beside the scene: by its name
    long = director_module.short_reason(scene, "x" * 500)
    assert len(long) == director_module.REASON_CHARS and long.endswith("…")
    assert director_module.short_reason(scene, "  ") == "unknown error"


def test_a_scene_at_another_rate_is_a_failure_its_listeners_are_told(tmp_path: Path) -> None:
    scenes = tmp_path / "scenes"
    scenes.mkdir()
    (scenes / "slow.toml").write_text(tiny_scene("slow").replace(
        "[master]", "[master]\nsample_rate = 44100"))
    clock = AudioClock(48000, 4800)
    hub = Hub(ServerConfig(idle_pause_s=0), clock, [Engine("0", clock, lambda s, p: None)])
    builds, files = BuildQueue(1), BuildQueue(1, "scan")

    async def main() -> Director:
        tasks: set[asyncio.Task] = set()
        director = Director(ServerConfig(scenes=scenes), hub, SegmentBank(tmp_path / "bank"),
                            builds, files, ChannelOutputs(),
                            lambda c: tasks.add(asyncio.ensure_future(c)))
        await director.scan()
        await asyncio.gather(*tasks)
        return director

    try:
        director = asyncio.run(main())
    finally:
        builds.close()
        files.close()
    reason = director.failure("slow")
    assert reason is not None and "sample_rate = 48000, not 44100" in reason, reason
    assert not reason.startswith(str(scenes))
    assert director.failure("tiny") is None and not director.ready["slow"].is_set()


# ``serve`` whose builds stop after their n-th progress report (n >= 1: the second
# layer has been reported as next, or BALANCING) until the file GATES/n exists
GATED = """\
import sys, time
from pathlib import Path
from soundscape.server import director

gates = Path(sys.argv[1])
real = director.build_graph
def build_graph(scene, bank, progress=None, **kw):
    calls = []
    def held(name):
        if progress is not None:
            progress(name)
        calls.append(name)
        n = len(calls) - 1
        if n:
            print(f"build held {n}", flush=True)
            for _ in range(2400):
                if (gates / str(n)).exists():
                    break
                time.sleep(0.05)
    return real(scene, bank, progress=held, **kw)
director.build_graph = build_graph
from soundscape.cli import main
sys.exit(main(["serve", *sys.argv[2:]]))
"""


def _gated_server(tmp_path: Path, scenes: Path) -> tuple[Child, Path, str]:
    gates, bank = tmp_path / "gates", tmp_path / "bank"  # a cold bank
    gates.mkdir()
    server = Child([sys.executable, "-c", GATED, str(gates), "--host", "127.0.0.1", "--port",
                    "0", "--scenes", str(scenes), "--bank", str(bank)],
                   env={"SOUNDSCAPE_BANK": str(bank)}, what="server")
    try:
        port = server.wait_for_line(r"serving http://[\d.]+:(\d+)/", WAIT_S).group(1)
    except BaseException:
        server.stop()
        raise
    return server, gates, f"127.0.0.1:{port}"


def _open_gates(gates: Path) -> None:
    for n in range(1, 6):
        (gates / str(n)).touch()


class Listening:
    """A stream connection read in the background: every message up to and with its
    first audio message, then how it was closed."""

    def __init__(self, url: str):
        self.got: list[str | bytes] = []
        self.close: tuple[int | None, str | None] = (None, None)
        self.task = asyncio.create_task(self._run(url))

    async def _run(self, url: str) -> None:
        from websockets.asyncio.client import connect
        from websockets.exceptions import ConnectionClosed

        async with connect(url) as ws:
            try:
                while not self.got or isinstance(self.got[-1], str):
                    self.got.append(await asyncio.wait_for(ws.recv(), WAIT_S))
            except ConnectionClosed:
                pass
            self.close = (ws.close_code, ws.close_reason)

    def texts(self) -> list[dict]:
        return [json.loads(m) for m in self.got if isinstance(m, str)]

    async def until(self, test) -> dict:
        """The first text message that passes ``test``, waiting for it."""
        for _ in range(WAIT_S * 20):
            found = [m for m in self.texts() if test(m)]
            if found:
                return found[0]
            if self.task.done():
                break
            await asyncio.sleep(0.05)
        raise AssertionError(f"no such message in {self.texts()}")


@pytest.mark.parametrize("path", ["stream", "stems"])
def test_a_listener_who_waits_is_told_how_far_the_scene_has_come(tmp_path: Path,
                                                                  path: str) -> None:
    scenes = tmp_path / "scenes"
    scenes.mkdir()
    (scenes / "tiny.toml").write_text(tiny_scene())
    server, gates, base = _gated_server(tmp_path, scenes)
    try:
        async def main() -> tuple[Listening, dict, dict, dict]:
            from websockets.asyncio.client import connect

            listening = Listening(f"ws://{base}/{path}/tiny?codec=pcm16")
            async with connect(f"ws://{base}/stream/tiny?codec=pcm16") as ws:
                first = json.loads(await asyncio.wait_for(ws.recv(), WAIT_S))
            # held with "hum" next: one sound of two is ready
            await asyncio.to_thread(server.wait_for_line, "build held 1", WAIT_S)
            await listening.until(lambda m: m.get("done") == 1)
            (gates / "1").touch()
            # held while balancing: every sound made, the level being set
            await asyncio.to_thread(server.wait_for_line, "build held 2", WAIT_S)
            await listening.until(lambda m: m.get("step") == "balancing")
            listing = await asyncio.to_thread(_get, f"http://{base}/api/scenes")
            (gates / "2").touch()
            await asyncio.wait_for(listening.task, WAIT_S)
            return listening, first, listing[0], await asyncio.to_thread(
                _get, f"http://{base}/api/scenes")

        listening, first, balancing, ready = asyncio.run(main())
    finally:
        _open_gates(gates)
        server.stop()
    assert first == {"type": "preparing", "scene": "tiny", "title": "Tiny tiny", "done": 0,
                     "total": 2}
    assert balancing["ready"] is False
    assert balancing["progress"] == {"done": 2, "total": 2, "step": "balancing"}
    assert ready[0]["ready"] is True and "progress" not in ready[0]
    got = listening.got
    texts = listening.texts()
    assert isinstance(got[-1], bytes) and len(texts) == len(got) - 1  # the audio comes last
    preparing = [m for m in texts if m["type"] == "preparing"]
    base_fields = {"type": "preparing", "scene": "tiny", "title": "Tiny tiny", "total": 2}
    # each step once, in order; the balancing one is the last: no "2 of 2" after it
    assert preparing == [{**base_fields, "done": 0}, {**base_fields, "done": 1},
                         {**base_fields, "done": 2, "step": "balancing"}]
    assert texts[:3] == preparing
    hello = texts[3]
    assert hello["type"] == "hello"  # after the last preparing message, before the audio
    assert hello["layers"] == [
        {"name": "hiss", "kind": "bed", "label": "Hiss", "icon": "noise"},
        {"name": "hum", "kind": "bed", "label": "Hum", "icon": "noise"}]  # recipe 'noise'


# a scene whose second layer cannot be made: a prompt with nothing generated for it and
# no recipe, or a file that is gone by the time the build reads it
FAILING = """\
title = "Rainy night"
[master]
segment_seconds = "4s"
fade_in = "0s"
seed = 1
[[layers]]
name = "hiss"
type = "bed"
recipe = "noise"
variants = 1
crossfade = "0.5s"
[[layers]]
name = "rain"
type = "bed"
{source}
crossfade = "0.5s"
"""
SOURCES = {"prompt": 'prompt = "rain on a tin roof at night"\nvariants = 1',
           "file": 'files = ["rain.wav"]'}
REASONS = {"prompt": "layer 'rain' has only a prompt and the bank",
           "file": "rain.wav: file not found"}


def _failing_scene(scenes: Path, how: str) -> Path:
    (scenes / "rainy.toml").write_text(FAILING.format(source=SOURCES[how]))
    wav = scenes / "rain.wav"
    noise = np.random.default_rng(1).standard_normal((48000 * 10, 2)) * 0.05
    sf.write(wav, noise.astype(np.float32), 48000, subtype="PCM_16")
    return wav


@pytest.mark.parametrize("how", ["prompt", "file"])
def test_a_build_that_fails_is_told_to_waiting_listeners_at_once(tmp_path: Path,
                                                                 how: str) -> None:
    scenes = tmp_path / "scenes"
    scenes.mkdir()
    wav = _failing_scene(scenes, how)
    server, gates, base = _gated_server(tmp_path, scenes)
    try:
        async def main() -> tuple[Listening, float, Listening, dict]:
            waiting = Listening(f"ws://{base}/stream/rainy?codec=pcm16")
            # held with "rain" next: pull its file away, then let the build go on
            await asyncio.to_thread(server.wait_for_line, "build held 1", WAIT_S)
            await waiting.until(lambda m: m.get("done") == 1)
            wav.unlink()
            (gates / "1").touch()
            opened = time.monotonic()
            await asyncio.wait_for(waiting.task, WAIT_S)
            told_s = time.monotonic() - opened
            later = Listening(f"ws://{base}/stems/rainy?codec=pcm16")  # after the failure
            await asyncio.wait_for(later.task, WAIT_S)
            status = await asyncio.to_thread(_get, f"http://{base}/api/status")
            listing = await asyncio.to_thread(_get, f"http://{base}/api/scenes")
            return waiting, told_s, later, status, listing

        waiting, told_s, later, status, listing = asyncio.run(main())
    finally:
        _open_gates(gates)
        server.stop()
    print(f"\n{how}: told {told_s:.2f} s after the build went on (includes the build)")
    *preparing, error = waiting.texts()
    assert [m["type"] for m in preparing] == ["preparing"] * len(preparing)
    assert [m["done"] for m in preparing] == [0, 1]
    assert set(error) == {"type", "code", "scene", "title", "message"}
    assert (error["type"], error["code"], error["scene"], error["title"]) == (
        "error", "scene_failed", "rainy", "Rainy night")
    assert error["message"].startswith(REASONS[how]), error
    assert str(scenes) not in error["message"].split(" (")[0]  # no path in front
    assert len(error["message"]) <= 200 and "\n" not in error["message"]
    assert waiting.close == (4003, "Rainy night could not be prepared")
    # one who comes later is told at once, with no preparing message first
    assert later.texts() == [error] and later.close == waiting.close
    assert "rainy" in status["scene_errors"]
    # /api/scenes names the failure too (a page that lists scenes can say so)
    (rainy,) = [s for s in listing if s["name"] == "rainy"]
    assert rainy["ready"] is False and rainy["error"] == error["message"]


def test_the_player_says_a_scene_could_not_be_prepared_and_stays_stopped(tmp_path: Path
                                                                         ) -> None:
    sync_api = pytest.importorskip("playwright.sync_api")
    chromium = shutil.which("chromium")
    if chromium is None:
        pytest.skip("no chromium")
    from test_server_support import ServerProcess

    scenes = tmp_path / "scenes"
    scenes.mkdir()
    _failing_scene(scenes, "prompt")
    srv = ServerProcess(scenes, tmp_path / "bank")
    args = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
            "--autoplay-policy=no-user-gesture-required"]
    try:
        with sync_api.sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium, args=args)
            try:
                page = browser.new_page(viewport={"width": 390, "height": 844})
                errors: list[str] = []
                page.on("pageerror", lambda e: errors.append(str(e)))
                page.goto(srv.http + "/")
                page.wait_for_function(
                    "document.querySelectorAll('#scenes [data-scene]').length === 1",
                    timeout=WAIT_S * 1000)
                page.click("#play")
                page.wait_for_function("window.soundscape.state === 'error'",
                                       timeout=WAIT_S * 1000)
                text = page.text_content("#state")
                page.wait_for_timeout(1500)  # longer than the first reconnect's backoff
                after = page.evaluate("""[window.soundscape.state, window.soundscape.reconnects,
                    document.getElementById('state').textContent,
                    document.getElementById('play').getAttribute('aria-pressed')]""")
            finally:
                browser.close()
    finally:
        srv.stop()
    assert text.startswith("Rainy night could not be prepared: layer 'rain' has only a "
                           "prompt"), text
    assert after == ["error", 0, text, "false"]
    assert not errors, errors


def _get(url: str) -> list[dict]:
    import urllib.request

    with urllib.request.urlopen(url, timeout=10) as r:
        return json.loads(r.read())
