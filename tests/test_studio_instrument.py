"""The studio as an instrument: live edits glide on the running graph (no rebuild, no
click) and are heard; structural edits still rebuild; the form keeps key order.

Graph-level tests pull graphs directly; the session tests run the studio server in
this process (``StreamServer`` in studio mode) so they can count its builds.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from studio_support import STUDIO_SCENE

from soundscape.graph import build_graph
from soundscape.graph.core import Strip
from soundscape.graph.events import EventPlayer
from soundscape.graph.layers import event_plan
from soundscape.graph.switch import copy_chain
from soundscape.scene import Bed, Event, scene_from_text
from soundscape.server.studio_edits import set_value
from soundscape.server.studio_live import apply_live, is_live

RAMP = 2400  # Strip's default glide


def _scene(tmp_path: Path, text: str = STUDIO_SCENE):
    path = tmp_path / "s.toml"
    path.write_text(text)
    return scene_from_text(text, path)


def _edited(tmp_path: Path, *edits: tuple[str, Any]):
    text = STUDIO_SCENE
    for path, value in edits:
        text = set_value(text, path, value)
    return _scene(tmp_path, text)


# -- what is live --------------------------------------------------------------------------
@pytest.mark.parametrize(("edits", "live"), [
    ([("layers[0].gain_db", -3.0)], True),
    ([("layers[0].pan", 0.4), ("layers[1].width", 0.3)], True),
    ([("layers[2].rate_per_min", 12.0), ("layers[2].gain_db", [-6.0, 0.0])], True),
    ([("layers[2].pan", [-0.5, 0.5])], True),
    ([("title", "Renamed"), ("layers[0].label", "Soft hiss")], True),
    ([("layers[0].name", "hush")], False),
    ([("layers[0].lowcut_hz", 200), ("layers[1].highcut_hz", 3000)], False),  # added
    ([("layers[0].crossfade", "1s")], False),
    ([("layers[0].params.color", "white")], False),
    ([("layers[2].min_gap", "2s")], False),
    ([("master.seed", 4)], False),
])
def test_live_fields_and_structural_ones(tmp_path, edits, live):
    built = _scene(tmp_path)
    assert is_live(built, _edited(tmp_path, *edits)) is live
    assert is_live(built, built)  # a comment-only edit builds nothing


def test_a_cut_filter_moves_live_but_is_not_added_or_removed_live(tmp_path):
    cut = _edited(tmp_path, ("layers[0].lowcut_hz", 80), ("layers[1].highcut_hz", 5000))
    for path in ("layers[0].lowcut_hz", "layers[1].highcut_hz"):
        text = set_value(set_value(set_value(STUDIO_SCENE, "layers[0].lowcut_hz", 80),
                                   "layers[1].highcut_hz", 5000), path, None)
        assert not is_live(cut, _scene(tmp_path, text))
    assert is_live(cut, _edited(tmp_path, ("layers[0].lowcut_hz", 30),
                                ("layers[1].highcut_hz", 12000)))


def test_a_stereo_that_cannot_be_undone_rebuilds(tmp_path):
    mono = _edited(tmp_path, ("layers[0].width", 0.0))
    hard = _edited(tmp_path, ("layers[0].pan", 1.0))
    assert not is_live(mono, replace(mono, layers=(replace(mono.layers[0], width=1.0),
                                                   *mono.layers[1:])))
    assert not is_live(hard, replace(hard, layers=(replace(hard.layers[0], pan=0.0),
                                                   *hard.layers[1:])))
    assert is_live(mono, replace(mono, layers=(replace(mono.layers[0], gain_db=-2.0),
                                               *mono.layers[1:])))


# -- live values sound as a rebuild would -------------------------------------------------
def test_live_bed_gain_pan_width_match_a_rebuild(tmp_path):
    built = _scene(tmp_path)
    edited = _edited(tmp_path, ("layers[0].gain_db", -4.5), ("layers[0].pan", 0.35),
                     ("layers[0].width", 0.6), ("layers[1].pan", -0.8))
    live = build_graph(built, bank=None)
    assert apply_live(live, edited, glide=False) == ["hiss", "hum"]
    rebuilt = build_graph(edited, bank=None)
    for name in ("hiss", "hum"):
        a, b = live.strips[name].pull(9600), rebuilt.strips[name].pull(9600)
        assert np.max(np.abs(b)) > 0.01
        np.testing.assert_allclose(a, b, atol=2e-5)
    back = build_graph(built, bank=None)
    apply_live(live, built, glide=False)  # back to the built values: as built
    np.testing.assert_allclose(live.strips["hiss"].pull(4800),
                               _pulled_from(back, "hiss", 9600, 4800), atol=2e-5)


def _pulled_from(graph, name: str, skip: int, frames: int) -> np.ndarray:
    strip = graph.strips[name]
    strip.pull(skip)
    return strip.pull(frames)


def _db_spectrum(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    from scipy import signal

    f, p = signal.welch(x.astype(np.float64), 48000, nperseg=8192, axis=-1)
    return f, 10 * np.log10(np.sum(p, axis=0) + 1e-30)


@pytest.mark.parametrize("edits", [
    [("layers[0].lowcut_hz", 1000), ("layers[0].highcut_hz", 2000)],  # narrower
    [("layers[0].lowcut_hz", 100), ("layers[0].highcut_hz", 8000)],  # wider
])
def test_live_cut_filters_have_a_rebuilds_magnitude(tmp_path, edits):
    """The live correction of the built cuts gives the rebuilt graph's spectrum."""
    base = _edited(tmp_path, ("layers[0].lowcut_hz", 400), ("layers[0].highcut_hz", 3000))
    edited = _edited(tmp_path, *edits)
    assert is_live(base, edited)
    live = build_graph(base, bank=None)
    apply_live(live, edited, glide=False)
    rebuilt = build_graph(edited, bank=None)
    f, a = _db_spectrum(_pulled_from(live, "hiss", 4800, 48000 * 4))
    _, b = _db_spectrum(_pulled_from(rebuilt, "hiss", 4800, 48000 * 4))
    band = (f > 60) & (f < 16000) & (b > b.max() - 40)  # where the rebuilt one sounds
    assert np.max(np.abs(a[band] - b[band])) < 1.0, np.max(np.abs(a[band] - b[band]))


# -- the glide never clicks ------------------------------------------------------------------
class Ones:
    """Full-scale DC on both channels: every change of the strip shows in its output."""

    def pull(self, frames: int) -> np.ndarray:
        return np.ones((2, frames), np.float32)


def test_gain_and_stereo_glide_without_a_jump():
    strip = Strip(Ones(), None)  # type: ignore[arg-type]
    strip.pull(1000)
    strip.set_trim(0.1)  # -20 dB
    edit = np.concatenate([strip.pull(n) for n in (7, 480, 4800)], axis=1)
    jumps = np.max(np.abs(np.diff(edit, axis=1)))
    assert jumps <= 0.9 / RAMP + 1e-6, jumps  # a straight glide: never a step
    assert edit[0, -1] == pytest.approx(0.1) and edit[0, 0] > 0.99
    strip.set_stereo(np.array([[0.2, 0.0], [0.9, 1.2]]))  # width and pan, both channels
    out = np.concatenate([strip.pull(n) for n in (100, 5000)], axis=1)
    assert np.max(np.abs(np.diff(out, axis=1))) <= 0.12 / RAMP + 1e-6
    np.testing.assert_allclose(out[:, -1], [0.02, 0.21], atol=1e-6)


def test_a_live_edit_on_a_playing_graph_leaves_no_step(tmp_path):
    """The real scene: a copy pulled without the edit is the reference; the edited
    output over it (the gain actually applied, sample by sample) moves from 1 to the
    new gain in a straight glide, never by a step."""
    built = _scene(tmp_path)
    edited = _edited(tmp_path, ("layers[0].gain_db", -18.0))
    graph = build_graph(built, bank=None)
    graph.pull(24000)
    plain = copy_chain(graph)
    apply_live(graph, edited)  # glides, as on the mixer thread
    a = np.concatenate([graph.strips["hiss"].pull(n) for n in (480, 480, 4800)], axis=1)[0]
    b = np.concatenate([plain.strips["hiss"].pull(n) for n in (480, 480, 4800)], axis=1)[0]
    at = np.flatnonzero(np.abs(b) > 0.05 * np.max(np.abs(b)))
    ratio = a[at].astype(np.float64) / b[at]
    slope = np.abs(np.diff(ratio)) / np.diff(at)
    assert ratio[0] > 0.99 and ratio[-1] == pytest.approx(10 ** (-18 / 20), abs=1e-4)
    assert np.max(slope) <= (1 - 10 ** (-18 / 20)) / RAMP * 1.01 + 1e-4, np.max(slope)


def _swept(glide: bool) -> np.ndarray:
    """A 1 kHz sine (amplitude 0.5) while the low cut sweeps up past it, then down
    while the high cut sweeps down just under it."""
    from soundscape.graph.live_cut import LiveCut

    t = np.arange(48000 * 2) / 48000
    sine = np.tile(0.5 * np.sin(2 * np.pi * 1000 * t), (2, 1)).astype(np.float32)
    cut = LiveCut(48000, 40.0, 16000.0)
    blocks = [cut.process(sine[:, i:i + 480]) for i in range(0, 24000, 480)]
    cut.set(2000.0, 16000.0, glide)
    blocks += [cut.process(sine[:, i:i + 4800]) for i in range(24000, 48000, 4800)]
    cut.set(400.0, 900.0, glide)
    blocks += [cut.process(sine[:, i:i + 4800]) for i in range(48000, 96000, 4800)]
    return np.concatenate(blocks, axis=1)[0]


def test_a_cut_filter_glide_does_not_click():
    """A click is broadband: over 4 kHz, a pure 1 kHz tone has (almost) nothing, so
    what the glide leaves there is its click. It stays 40 dB under the tone, and far
    under what switching the filter at once leaves."""
    from scipy import signal

    over = signal.butter(8, 4000, "highpass", fs=48000, output="sos")
    glided, switched = (np.abs(signal.sosfilt(over, _swept(g))[23500:]).max()
                        for g in (True, False))
    assert glided < 0.5 * 10 ** (-40 / 20), glided
    assert glided < 0.2 * switched, (glided, switched)
    out = _swept(True)
    assert np.max(np.abs(out[40000:47000])) < 0.5 * 10 ** (-10 / 20)  # the low cut took
    assert np.max(np.abs(out[-9600:])) < 0.5 * 10 ** (-1 / 20)  # the high cut too


# -- live event edits ----------------------------------------------------------------------
def _event_graph(tmp_path, rate: float):
    scene = _edited(tmp_path, ("layers[2].rate_per_min", rate))
    return scene, build_graph(scene, bank=None)


def test_an_event_gain_or_pan_edit_keeps_the_schedule(tmp_path):
    scene, graph = _event_graph(tmp_path, 6.0)
    player = graph.strips["drip"].source
    assert isinstance(player, EventPlayer)
    graph.pull(48000 * 20)
    before = player.upcoming(player.position + 48000 * 300)
    layer = scene.layer("drip")
    assert isinstance(layer, Event)
    player.replan(event_plan(scene, replace(layer, gain_db=(-12.0, -6.0), pan=(0.5, 0.9))))
    assert player.upcoming(player.position + 48000 * 300) == before
    player.keep_history = True
    player.pull(48000 * 300)
    placed = player.drain_history()
    assert placed and all(-12 <= p.gain_db <= -6 and 0.5 <= p.pan <= 0.9 for p in placed)


def test_a_rate_edit_retimes_from_the_playhead(tmp_path):
    scene, graph = _event_graph(tmp_path, 1.0)
    player = graph.strips["drip"].source
    assert isinstance(player, EventPlayer)
    graph.pull(48000 * 10)
    now = player.position
    slow = player.upcoming(now + 48000 * 3600, limit=1000)
    layer = scene.layer("drip")
    assert isinstance(layer, Event)
    player.replan(event_plan(scene, replace(layer, rate_per_min=60.0)))
    fast = player.upcoming(now + 48000 * 3600, limit=5000)
    assert fast[0] >= now and fast[0] - now <= slow[0] - now
    assert 3000 < len(fast) < 4200 and 30 < len(slow) < 100, (len(fast), len(slow))
    player.replan(event_plan(scene, replace(layer, rate_per_min=0.0)))
    assert player.upcoming(now + 48000 * 3600) == []


# -- the session: live edits build nothing and are heard -----------------------------------
class Client:
    def __init__(self, ws: Any):
        self.ws = ws
        self.messages: list[dict[str, Any]] = []

    async def send(self, **msg: Any) -> None:
        await self.ws.send(json.dumps(msg))

    async def meters(self, seconds: float) -> dict[str, float]:
        """Each layer's mean meter reading (LUFS, power mean) over the next ``seconds``
        of scene time, from the next block on (those already received are dropped)."""
        self.messages = [m for m in self.messages if m["type"] != "meters"]
        first = await self.until("meters")
        readings = [first]
        while readings[-1]["position"] < first["position"] + seconds:
            readings.append(await self.until("meters"))
        return {name: 10 * float(np.log10(np.mean([10 ** (m["layers"][name] / 10)
                                                    for m in readings])))
                for name in first["layers"]}

    async def until(self, kind: str, timeout: float = 60.0, **fields: Any) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        seen = 0
        while True:
            for m in self.messages[seen:]:
                if m["type"] == kind and all(m.get(k) == v for k, v in fields.items()):
                    self.messages.remove(m)
                    return m
            seen = len(self.messages)
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"no {kind} {fields}; last: {self.messages[-5:]}")
            raw = await asyncio.wait_for(self.ws.recv(), left)
            if isinstance(raw, str):
                self.messages.append(json.loads(raw))


def test_live_edits_build_nothing_and_are_heard(tmp_path):
    from websockets.asyncio.client import connect

    from soundscape.commands.studio import config_from_args
    from soundscape.server.app import StreamServer

    path = tmp_path / "studio.toml"
    path.write_text(STUDIO_SCENE)
    args = argparse.Namespace(port=0, scene=path, from_words=None, token=None,
                              bank=tmp_path / "bank")

    async def run() -> None:
        server = StreamServer(config_from_args(args))
        await server.start()
        try:
            url = f"ws://127.0.0.1:{server.port}/studio/ws?scene=studio.toml"
            async with connect(url, max_size=None) as ws:
                c = Client(ws)
                await c.until("applied", 120, version=1)
                await c.until("heard", version=1)
                assert server.studio is not None
                (session,) = server.studio.sessions.values()
                assert session.builds == 1
                stream = session.stream
                assert stream is not None
                before = await c.meters(1.0)
                await c.send(type="set", path="layers[0].gain_db", value=-12.0)
                applied = await c.until("applied", version=2)
                assert applied["live"] is True and applied["build_ms"] == 0
                heard = await c.until("heard", version=2)
                assert heard["latency_ms"] > 0
                await c.meters(0.6)  # the momentary window (400 ms) past the edit
                after = await c.meters(1.0)
                # the hiss as heard in the mix: 12 dB down; the hum as it was
                assert before["hiss"] - after["hiss"] == pytest.approx(12, abs=1.0)
                assert before["hum"] - after["hum"] == pytest.approx(0, abs=1.0)
                await c.send(type="set", path="layers[1].pan", value=-0.5)
                await c.until("heard", version=3)
                await c.send(type="set", path="layers[2].rate_per_min", value=30.0)
                await c.until("heard", version=4)
                assert session.builds == 1  # three live edits, no build
                assert "gain_db = -12.0" in session.doc.text and session.doc.dirty
                # a seek keeps the live values (built from the doc's scene)
                await c.send(type="seek", time=60)
                await c.until("heard", version=0)
                graph = stream.graphs[-1]
                assert graph.strips["hiss"].user_gain == pytest.approx(10 ** (-12 / 20))
                # a structural edit rebuilds, in the background
                await c.send(type="set", path="layers[0].lowcut_hz", value=120)
                applied = await c.until("applied", 120, version=5)
                assert applied["live"] is False
                await c.until("heard", version=5)
                assert session.builds == 2
                await c.send(type="save")
                await c.until("saved")
                saved = scene_from_text(path.read_text(), path)
                assert isinstance(saved.layers[0], Bed) and saved.layers[0].gain_db == -12.0
        finally:
            await server.stop()

    asyncio.run(run())


# -- the form: key order and units ---------------------------------------------------------
def test_a_cleared_and_retyped_key_keeps_its_place():
    places: dict = {}
    for path, old, new in (("layers[1].gain_db", "gain_db = -6.0  # under the hiss",
                            "gain_db = -7.5"),  # the last key of its table
                           ("layers[0].variants", "variants = 2", "variants = 3")):
        cleared = set_value(STUDIO_SCENE, path, None, places)
        assert cleared.count(old) == STUDIO_SCENE.count(old) - 1
        again = set_value(cleared, path, float(new.split("= ")[1]) if "." in new
                          else int(new.split("= ")[1]), places)
        assert again == STUDIO_SCENE.replace(old, new, 1), again
    assert places == {}
    # without the remembered place it would go to the end of the table
    assert set_value(set_value(STUDIO_SCENE, "layers[0].variants", None),
                     "layers[0].variants", 3) != STUDIO_SCENE.replace("variants = 2",
                                                                       "variants = 3", 1)


def test_the_form_gets_durations_with_their_units():
    from soundscape.server.studio_edits import written_layers

    text = set_value(set_value(STUDIO_SCENE, "layers[2].rate_per_min", None),
                     "layers[2].interval", ["2s", "9s"])
    written = written_layers(text)
    assert written[2]["interval"] == ["2s", "9s"] and written[0]["crossfade"] == "0.5s"
    assert written[1]["gain_db"] == -6.0
    assert written_layers("not = [toml") == []
