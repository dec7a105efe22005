"""The scene studio, server side: document edits and saves, messages, graph hooks, and
a real ``soundscape studio`` process driven over its websocket."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import soundfile as sf
from studio_support import STUDIO_SCENE, StudioProcess, comment_lines

from soundscape.dsp.loudness import integrated_lufs
from soundscape.errors import SceneError
from soundscape.graph import build_graph
from soundscape.graph.events import EventPlayer
from soundscape.graph.layers import event_plan
from soundscape.graph.meter import MomentaryLoudness
from soundscape.scene import Event, scene_from_text
from soundscape.server.protocol import ProtocolError
from soundscape.server.studio import (
    Overrides,
    add_file_layer,
    badges,
    parse_studio,
    problems_of,
    set_value,
    timeline,
    upload_name,
)
from soundscape.thresholds import METER_FLOOR_LUFS, MUTE_DB

HUM_GAIN_LINE = STUDIO_SCENE.splitlines().index("gain_db = -6.0  # under the hiss") + 1


# -- the document -----------------------------------------------------------------------
def test_set_value_changes_only_that_value():
    text = set_value(STUDIO_SCENE, "layers[1].gain_db", -9.5)
    assert text == STUDIO_SCENE.replace("gain_db = -6.0  #", "gain_db = -9.5  #")
    text = set_value(STUDIO_SCENE, "layers[0].params.color", "white")
    assert 'params = { color = "white" }' in text
    assert comment_lines(text) == comment_lines(STUDIO_SCENE)
    added = set_value(STUDIO_SCENE, "layers[0].width", 0.5)
    assert scene_from_text(added, Path("/x/s.toml")).layers[0].width == 0.5
    removed = set_value(STUDIO_SCENE, "layers[2].rate_per_min", None)
    assert "rate_per_min" not in removed
    assert comment_lines(removed) == comment_lines(STUDIO_SCENE)


@pytest.mark.parametrize(("text", "path", "code"), [
    (STUDIO_SCENE, "layers[7].gain_db", "bad_path"),
    (STUDIO_SCENE, "layers[0].gain_db.x", "bad_path"),
    (STUDIO_SCENE, "layers[0]..gain_db", "bad_value"),
    (STUDIO_SCENE, "layers[0].gain db", "bad_value"),
    ("title = [", "title", "bad_toml"),
])
def test_set_value_refuses(text, path, code):
    with pytest.raises(ProtocolError) as exc:
        set_value(text, path, 1.0)
    assert exc.value.code == code


def test_problems_name_path_line_and_message():
    text = STUDIO_SCENE.replace("gain_db = -6.0", 'gain_db = "loud"')
    with pytest.raises(SceneError) as exc:
        scene_from_text(text, Path("/x/s.toml"))
    problems = problems_of(exc.value, text)
    assert [(p.path, p.line) for p in problems] == [("layers[1].gain_db", HUM_GAIN_LINE)]
    assert "'loud' is not a number" in problems[0].message
    broken = STUDIO_SCENE.replace("[master]", "[master")
    with pytest.raises(SceneError) as exc:
        scene_from_text(broken, Path("/x/s.toml"))
    (problem,) = problems_of(exc.value, broken)
    assert problem.path == "" and problem.line == 5, problem


# saves, reloads and their races with edits: tests/test_studio_doc.py


def test_upload_names_are_safe_and_new(tmp_path):
    assert upload_name("../../etc/rain.WAV", tmp_path) == "rain.wav"
    assert upload_name("C:\\x\\my rain (1).flac", tmp_path) == "my-rain-1.flac"
    (tmp_path / "rain.wav").write_bytes(b"x")
    (tmp_path / "rain-2.wav").write_bytes(b"x")
    assert upload_name("rain.wav", tmp_path) == "rain-3.wav"
    assert upload_name("....wav", tmp_path) == "sound.wav"
    for bad in ("rain.exe", "rain", "scene.toml", "x.wav.sh"):
        with pytest.raises(ProtocolError) as exc:
            upload_name(bad, tmp_path)
        assert exc.value.code == "bad_type"
    text = add_file_layer(STUDIO_SCENE, "rain", "rain.wav", 4.0)
    assert text.startswith(STUDIO_SCENE)
    assert comment_lines(text) == comment_lines(STUDIO_SCENE)
    (tmp_path / "s.toml").write_text(text)
    scene = scene_from_text(text, tmp_path / "s.toml")
    assert scene.layers[-1].files == (tmp_path / "rain.wav",)


@pytest.mark.parametrize(("raw", "code"), [
    (b"{}", "binary"),
    ("nope", "bad_json"),
    ("[1]", "bad_message"),
    ('{"type": "format_disk"}', "unknown_type"),
    ('{"type": "edit"}', "bad_value"),
    ('{"type": "set", "path": "layers[0].gain_db", "value": {"a": 1}}', "bad_value"),
    ('{"type": "set", "path": "../x", "value": 1}', "bad_value"),
    ('{"type": "override", "layer": "hiss", "gain_db": 1e9}', "bad_value"),
    ('{"type": "override", "layer": "hiss", "solo": "yes"}', "bad_value"),
    ('{"type": "override", "layer": ""}', "bad_value"),
    ('{"type": "seek", "time": -1}', "bad_value"),
    ('{"type": "seek", "time": true}', "bad_value"),
    ('{"type": "save", "force": 1}', "bad_value"),
    ('{"type": "upload", "name": "a.wav", "size": 200000000}', "bad_value"),
])
def test_bad_messages_are_named(raw, code):
    with pytest.raises(ProtocolError) as exc:
        parse_studio(raw)
    assert exc.value.code == code


def test_good_messages_parse():
    assert parse_studio('{"type": "override", "layer": "hiss", "gain_db": -10, "solo": true}') \
        == {"type": "override", "layer": "hiss", "gain_db": -10.0, "solo": True}
    assert parse_studio('{"type": "seek", "time": 720}') == {"type": "seek", "time": 720.0}
    assert parse_studio('{"type": "set", "path": "layers[2].gain_db", "value": [-3, 0]}')[
        "value"] == [-3, 0]
    with pytest.raises(ProtocolError) as exc:
        parse_studio("x" * 100, max_bytes=50)
    assert exc.value.code == "too_big"


def test_badges_and_overrides():
    assert badges({"a": -23.0, "b": -50.0, "c": METER_FLOOR_LUFS}, -23.0) == {
        "a": "dominates", "b": "inaudible"}
    assert badges({"a": -23.0}, -23.0) == {}  # alone: not "dominating"
    # muted is soundscape.thresholds.MUTE_DB (-80, exactly silent), no longer -120:
    # one mute level for the studio, the player and downloads (test_studio_doc.py
    # pins the badge thresholds)
    o = Overrides(gains={"a": -10.0}, muted={"b"}, solo=set())
    assert (o.gain_db("a"), o.gain_db("b"), o.gain_db("c")) == (-10.0, MUTE_DB, 0.0)
    o.solo.add("c")
    assert (o.gain_db("a"), o.gain_db("c")) == (MUTE_DB, 0.0)


# -- graph hooks --------------------------------------------------------------------------
def _scene(tmp_path: Path, text: str = STUDIO_SCENE):
    path = tmp_path / "s.toml"
    path.write_text(text)
    return scene_from_text(text, path)


def test_taps_change_no_sample_and_meter_each_layer(tmp_path):
    scene = _scene(tmp_path)
    plain = build_graph(scene, bank=None)
    tapped = build_graph(scene, bank=None, taps=True)
    for size in (4800, 7, 12000):
        assert np.array_equal(plain.pull(size), tapped.pull(size))
    assert set(tapped.taps) == {"hiss", "hum", "drip"}
    hiss, hum = tapped.taps["hiss"].lufs(), tapped.taps["hum"].lufs()
    assert -35 < hiss < -15 and hum < hiss - 3, (hiss, hum)
    assert tapped.taps["drip"].lufs() == METER_FLOOR_LUFS  # rate 0: never sounds on its own


def test_momentary_loudness_is_block_size_independent():
    rng = np.random.default_rng(5)
    x = (rng.standard_normal((2, 48000)) * 0.05).astype(np.float32)
    readings = []
    for size in (1, 7, 4800, 48000):
        meter = MomentaryLoudness(48000)
        for i in range(0, x.shape[1], size):
            meter.feed(x[:, i : i + size])
        readings.append(meter.lufs())
    assert max(readings) - min(readings) < 1e-6, readings
    assert abs(readings[0] - integrated_lufs(x[:, -19200:], 48000)) < 0.3
    quiet = MomentaryLoudness(48000)
    quiet.feed(np.zeros((2, 100), np.float32))
    assert quiet.lufs() == METER_FLOOR_LUFS


def _drip_player(scene, seed=11, rate=None) -> EventPlayer:
    graph = build_graph(scene, bank=None)
    player = graph.strips["drip"].source
    assert isinstance(player, EventPlayer)
    layer = scene.layer("drip")
    assert isinstance(layer, Event)
    if rate is not None:
        from dataclasses import replace

        layer = replace(layer, rate_per_min=rate)
    assert player.pool.segments is not None  # an event pool keeps its variants
    return EventPlayer(player.pool.segments, event_plan(scene, layer), 48000, seed)


def test_trigger_adds_an_event_and_moves_none(tmp_path):
    scene = _scene(tmp_path)
    a, b = _drip_player(scene, rate=6.0), _drip_player(scene, rate=6.0)
    a.keep_history = b.keep_history = True
    a.pull(48000)
    b.pull(48000)
    placed = a.trigger()
    assert placed.start == 48000 and placed.frames > 0
    out_a = np.concatenate([a.pull(4800) for _ in range(200)], axis=1)
    out_b = np.concatenate([b.pull(4800) for _ in range(200)], axis=1)
    assert a.drain_history() == b.drain_history()  # the schedule is untouched
    diff = np.abs(out_a - out_b).max(axis=0)
    sounding = np.flatnonzero(diff > 0)
    assert sounding.size and sounding[0] < 480 and sounding[-1] < placed.frames
    # triggers are seeded too: the same audition in the same place is the same sound
    c = _drip_player(scene, rate=6.0)
    c.pull(48000)
    c.trigger()
    assert np.array_equal(np.concatenate([c.pull(4800) for _ in range(200)], axis=1), out_a)


def test_upcoming_is_what_the_player_then_plays(tmp_path):
    scene = _scene(tmp_path)
    player = _drip_player(scene, rate=20.0)
    player.pull(100_000)
    until = player.position + 48000 * 120
    expected = player.upcoming(until)
    assert len(expected) > 10
    player.keep_history = True
    while player.position < until:
        player.pull(48000)
    played = [p.start for p in player.drain_history() if p.start < until]
    assert played == expected


@pytest.mark.parametrize("frame", [0, 4799, 48000 * 200 + 123])
def test_seek_lands_where_a_full_pull_would(tmp_path, frame):
    from soundscape.graph.switch import copy_chain

    text = STUDIO_SCENE.replace("rate_per_min = 0.0", "rate_per_min = 30.0") + """
[[phases]]
name = "calm"
duration = "40s"
[[phases]]
name = "busy"
duration = "50s"
layers = { drip = { rate_per_min = 90.0 }, hum = { level_db = -2.0 } }
"""
    graph = build_graph(_scene(tmp_path, text), bank=None, taps=True)
    pulled, seeked = copy_chain(graph), copy_chain(graph)
    while pulled.position < frame:
        pulled.pull(min(48000, frame - pulled.position))
    seeked.seek(frame)
    assert seeked.position == frame
    a = np.concatenate([pulled.pull(4800) for _ in range(50)], axis=1)
    b = np.concatenate([seeked.pull(7) for _ in range(4800 * 50 // 7)]
                       + [seeked.pull(4800 * 50 % 7)], axis=1)
    assert np.abs(a).max() > 0.01
    assert np.array_equal(a, b)
    with pytest.raises(ValueError, match="forward only"):
        seeked.seek(frame)


def test_timeline_lists_events_and_phases(tmp_path):
    text = STUDIO_SCENE.replace("rate_per_min = 0.0", "rate_per_min = 4.0") + """
[[phases]]
name = "calm"
duration = "60s"
[[phases]]
name = "storm"
duration = "120s"
layers = { drip = { rate_per_min = 30.0 } }
"""
    scene = _scene(tmp_path, text)
    graph = build_graph(scene, bank=None)
    graph.pull(48000 * 30)
    t = timeline(graph, horizon_s=300)
    assert t["position"] == 30.0
    assert [(p["name"], p["time"]) for p in t["phases"]] == [
        ("calm", 0.0), ("storm", 60.0), ("calm", 180.0), ("storm", 240.0)]
    times = [e["time"] for e in t["events"]]
    assert times == sorted(times) and all(30 <= x <= 330 for x in times)
    storm = sum(1 for x in times if 60 <= x < 180)
    calm = sum(1 for x in times if 30 <= x < 60)
    assert storm > 4 * calm, (storm, calm)  # the phase rate drives the scheduler


# -- a real studio over its websocket ----------------------------------------------------
class Client:
    """Collects a studio socket's JSON messages; counts audio messages."""

    def __init__(self, ws: Any):
        self.ws = ws
        self.messages: list[dict[str, Any]] = []
        self.audio = 0

    def position(self) -> float:
        """The newest playhead received so far."""
        return max((m["position"] for m in self.messages if m["type"] == "meters"),
                   default=0.0)

    async def send(self, **msg: Any) -> None:
        await self.ws.send(json.dumps(msg))

    async def until(self, pred, timeout: float = 60.0) -> dict[str, Any]:
        """The first message (already received or next) for which ``pred`` holds."""
        seen = 0
        deadline = time.monotonic() + timeout
        while True:
            for m in self.messages[seen:]:
                if pred(m):
                    self.messages.remove(m)
                    return m
            seen = len(self.messages)
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"no such message; last: {self.messages[-5:]}")
            raw = await asyncio.wait_for(self.ws.recv(), left)
            if isinstance(raw, bytes):
                self.audio += 1
            else:
                self.messages.append(json.loads(raw))


def _kind(kind: str, **fields: Any):
    return lambda m: m["type"] == kind and all(m.get(k) == v for k, v in fields.items())


def test_studio_session_end_to_end(tmp_path):
    from websockets.asyncio.client import connect

    folder = tmp_path / "scenes"
    folder.mkdir()
    scene = folder / "studio.toml"
    scene.write_text(STUDIO_SCENE)
    (folder / "other.toml").write_text(STUDIO_SCENE)
    # a warm bank: the first build can finish within the clock's first block (a
    # stream started there once got a negative block index)
    from soundscape.bank import SegmentBank

    build_graph(scene_from_text(STUDIO_SCENE, scene), SegmentBank(tmp_path / "bank"))
    studio = StudioProcess(scene, tmp_path / "bank")

    async def run() -> dict[str, float]:
        async with connect(studio.ws + "?scene=studio.toml", max_size=None) as ws:
            c = Client(ws)
            hello = await c.until(_kind("studio"))
            assert hello["text"] == STUDIO_SCENE and hello["codec"] == "pcm16"
            assert hello["scenes"] == ["other.toml", "studio.toml"]
            applied = await c.until(_kind("applied", version=1), 120)
            assert [la["name"] for la in applied["layers"]] == ["hiss", "hum", "drip"]
            first = await c.until(_kind("heard", version=1))
            meters = await c.until(_kind("meters"))
            assert set(meters["layers"]) == {"hiss", "hum", "drip"}
            assert meters["mix"] > -40
            # an invalid edit: its problems, and the audio goes on
            await c.send(type="set", path="layers[1].gain_db", value="loud")
            text = await c.until(_kind("text"))
            assert 'gain_db = "loud"  # under the hiss' in text["text"]
            problems = await c.until(_kind("problems"))
            assert problems["problems"][0]["path"] == "layers[1].gain_db"
            assert problems["problems"][0]["line"] == HUM_GAIN_LINE
            before, seen = c.audio, c.position()
            await c.until(lambda m: m["type"] == "meters" and m["position"] > seen + 2)
            assert c.audio >= before + 15  # 2 s of 100 ms blocks, minus what was in flight
            await c.send(type="save")
            refused = await c.until(_kind("error"))
            assert refused["code"] == "invalid" and "loud" not in scene.read_text()
            # a good edit: applied, heard (crossfaded), the playhead kept
            await c.send(type="set", path="layers[1].gain_db", value=-9.5)
            await c.until(_kind("applied", version=3))
            playhead = (await c.until(_kind("meters")))["position"]
            edit = await c.until(_kind("heard", version=3))
            after = (await c.until(_kind("meters")))["position"]
            assert playhead <= after < playhead + 5, (playhead, after)
            # seek to minute 12
            await c.send(type="seek", time=720)
            seek = await c.until(_kind("heard", version=0), 60)
            at = (await c.until(lambda m: m["type"] == "meters" and m["position"] > 700))
            assert 720 <= at["position"] < 730, at
            # triggers and overrides are checked
            await c.send(type="trigger", layer="hiss")
            assert (await c.until(_kind("error")))["code"] == "not_event"
            await c.send(type="override", layer="nope", mute=True)
            assert (await c.until(_kind("error")))["code"] == "unknown_layer"
            await c.send(type="trigger", layer="drip")
            trig = await c.until(_kind("triggered", layer="drip"))
            assert trig["time"] >= 720
            await c.until(lambda m: m["type"] == "meters" and m["layers"]["drip"] > -80, 10)
            # mute: the layer's meter falls to its floor
            await c.send(type="override", layer="hiss", mute=True)
            await c.until(lambda m: m["type"] == "meters" and m["layers"]["hiss"] <= -119)
            # save: the value on disk, comments kept
            await c.send(type="save")
            await c.until(_kind("saved"))
            saved = scene.read_text()
            assert saved == STUDIO_SCENE.replace("gain_db = -6.0  #", "gain_db = -9.5  #")
            # another editor changes the file: picked up (no unsaved edits here)
            edited = saved.replace("gain_db = 0.0   #", "gain_db = -2.0   #")
            scene.write_text(edited)
            assert (await c.until(_kind("text", reason="disk"), 20))["text"] == edited
            await c.until(_kind("applied", version=4), 60)
            # with unsaved edits, an external change is announced and a save refused
            await c.send(type="set", path="layers[0].gain_db", value=-3.0)
            await c.until(_kind("applied", version=5), 60)
            scene.write_text(edited + "# elsewhere\n")
            await c.until(_kind("disk_changed"), 20)
            await c.send(type="save")
            assert (await c.until(_kind("error")))["code"] == "changed_on_disk"
            assert scene.read_text().endswith("# elsewhere\n")
            await c.send(type="save", force=True)
            await c.until(_kind("saved"))
            assert "gain_db = -3.0   #" in scene.read_text()
            # drop a file: stored beside the scene, added as a bed layer
            wav = tmp_path / "up.wav"
            rng = np.random.default_rng(1)
            sf.write(wav, (rng.standard_normal((48000 * 6, 2)) * 0.1).astype(np.float32), 48000)
            data = wav.read_bytes()
            await c.send(type="upload", name="../My Rain.wav", size=len(data))
            ready = await c.until(_kind("upload_ready"))
            assert ready["name"] == "My-Rain.wav"
            for i in range(0, len(data), 256 * 1024):
                await ws.send(data[i : i + 256 * 1024])
            up = await c.until(_kind("uploaded"), 30)
            assert up == {"type": "uploaded", "name": "My-Rain.wav", "layer": "My-Rain"}
            assert (folder / "My-Rain.wav").read_bytes() == data
            added = await c.until(_kind("applied", version=6), 60)
            assert added["layers"][-1]["source"] == {"kind": "files", "files": ["My-Rain.wav"]}
            await c.send(type="upload", name="evil.sh", size=10)
            assert (await c.until(_kind("error")))["code"] == "bad_type"
            return {"first_ms": first["latency_ms"], "edit_ms": edit["latency_ms"],
                    "seek_ms": seek["latency_ms"]}

    try:
        figures = asyncio.run(run())
        print("studio latencies:", figures)
        assert all(v > 0 for v in figures.values())
    finally:
        studio.stop()
        print("".join(studio.log[-20:]))


def test_studio_command_creates_a_new_scene_and_refuses_other_files(tmp_path):
    from soundscape.cli import main

    bad = tmp_path / "notes.txt"
    bad.write_text("x")
    assert main(["studio", str(bad), "--no-browser"]) == 2
    assert main(["studio", str(tmp_path / "missing" / "new.toml"), "--no-browser"]) == 2
    from soundscape.commands.studio import TEMPLATE, _target

    target = _target(tmp_path / "rainy-night.toml")
    assert target.read_text() == TEMPLATE.format(title="Rainy night")
    scene_from_text(target.read_text(), target)  # the template is a valid scene
    target.write_text("# mine\n")
    assert _target(target).read_text() == "# mine\n"  # never overwritten
    worded = _target(tmp_path / "tent.toml", "rain on a tent, distant thunder")
    scene = scene_from_text(worded.read_text(), worded)
    assert scene.title == "Tent" and len(scene.layers) >= 2
    assert any(line.lstrip().startswith("#") for line in worded.read_text().splitlines())
