"""Stems mixed in Debian's headless Chromium (Playwright, no browser download).

The player (``?mix=stems``) takes /stems/<scene> and mixes the layers in its
AudioWorklet (stems-worklet.js). Levels are measured on the worklet's output: it
reports cumulative output energy and each stem's energy, so a window's level is a
difference of two snapshots. Skipped without playwright or /usr/bin/chromium.
"""

from __future__ import annotations

import contextlib
import math
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from test_browser_player import ARGS, CHROMIUM, _wait

from test_server_support import ServerProcess, tiny_scene

sync_api = pytest.importorskip("playwright.sync_api")
pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"no {CHROMIUM}")


@contextlib.contextmanager
def _tiny_server(tmp_path: Path, *args: str) -> Iterator[tuple[ServerProcess, Any, Path]]:
    """A server on the tiny test scene (``args`` added) and a Chromium; yields the
    server, the browser and the scene file (tests edit it to hot-reload)."""
    scenes = tmp_path / "scenes"
    scenes.mkdir()
    scene = scenes / "tiny.toml"
    scene.write_text(tiny_scene())
    srv = ServerProcess(scenes, tmp_path / "bank", *args)
    try:
        srv.wait_ready(["tiny"])
        with sync_api.sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            yield srv, browser, scene
            browser.close()
    finally:
        srv.stop()


def _open(browser: Any, url: str, errors: list[str]) -> Any:
    """A page at ``url``, its script errors going to ``errors``, the scene's tile
    shown, Play clicked."""
    page = browser.new_page()
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(url)
    _wait(page, "document.querySelectorAll('#scenes [data-scene]').length === 1", 10)
    page.click("#play")
    return page


def _snapshot(page) -> dict:
    return page.evaluate("JSON.parse(JSON.stringify(window.soundscape.stems))")


def _window(page, seconds: float) -> tuple[float, dict[str, float]]:
    """Output level (dB, mean power of L and R) and each stem's power over ``seconds``."""
    a = _snapshot(page)
    time.sleep(seconds)
    b = _snapshot(page)
    frames = b["frames"] - a["frames"]
    assert frames > 0.8 * seconds * 48000, (a, b)
    level = 10 * math.log10((b["energy"] - a["energy"]) / frames)
    stems = {name: (b["stemEnergy"][name] - a["stemEnergy"][name]) / frames
             for name in b["stemEnergy"]}
    return level, stems


def _meter_level(page, seconds: float) -> float:
    """Mean power of the player's level readings (S.levelDb: after the volume, as the
    meter shows it; both players' worklets measure it alike), dB over ``seconds``."""
    powers = []
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        powers.append(10 ** (page.evaluate("window.soundscape.levelDb") / 10))
        time.sleep(0.1)
    return 10 * math.log10(sum(powers) / len(powers))


def test_player_mixes_stems_gain_change_limiter_and_sleep(tmp_path):
    with _tiny_server(tmp_path) as (srv, browser, _):
        errors: list[str] = []
        # the server mix first: the reference level
        ref = _open(browser, srv.http + "/", errors)
        _wait(ref, "window.soundscape.played >= 2", 20)
        server_db = _meter_level(ref, 4.0)
        ref.click("#play")  # pause
        ref.close()

        page = _open(browser, srv.http + "/?mix=stems", errors)
        _wait(page, "window.soundscape.state === 'playing'", 10)
        _wait(page, "window.soundscape.played >= 2 && window.soundscape.stems", 20)
        assert page.text_content("#mode") == "mixed on this device"
        status = srv.get("/api/status")
        channel = status["channels"][0]
        assert channel["stem_listeners"] == 1 and channel["stems"] == ["opus"], channel
        stems_db = _meter_level(page, 4.0)
        print(f"\nmeter level: server mix {server_db:.2f} dB, stems mixed in the browser "
              f"{stems_db:.2f} dB")
        assert abs(stems_db - server_db) < 1.0, (stems_db, server_db)
        before, stems = _window(page, 4.0)
        assert sorted(stems) == ["hiss", "hum"]

        # -12 dB on hiss: applied in the worklet, no message to the server
        page.evaluate("window.soundscape.setLayerGain('hiss', -12)")
        time.sleep(0.5)  # the 20 ms glide, and the jitter buffer already mixed
        after, stems2 = _window(page, 4.0)
        g = 10 ** (-12 / 20)
        predicted = 10 * math.log10((stems2["hiss"] * g * g + stems2["hum"])
                                    / (stems2["hiss"] + stems2["hum"]))
        print(f"hiss -12 dB: output {after - before:+.2f} dB, predicted from the stems "
              f"{predicted:+.2f} dB")
        assert predicted < -3.0, predicted  # hiss dominates: the change is audible
        assert abs((after - before) - predicted) < 0.5, (before, after, predicted)
        status = srv.get("/api/status")
        assert status["personal_mixes"] == 0, status

        # both layers +12 dB: the worklet's limiter holds -1 dBFS (sample peak)
        page.evaluate("window.soundscape.setLayerGain('hiss', 12)")
        page.evaluate("window.soundscape.setLayerGain('hum', 12)")
        time.sleep(3.0)
        st = _snapshot(page)
        print(f"+12 dB on both: peak {st['peakAllDb']:.2f} dBFS, limiting "
              f"{st['limited']:.2f} s")
        assert st["limited"] > 0, st  # the sum passed the ceiling: it acted
        assert st["peakAllDb"] <= -1.0 + 1e-3, st

        # the sleep fade runs here (the master gain) and ends in 'sleeping'
        page.evaluate("window.soundscape.sleep(3, 2)")
        _wait(page, "window.soundscape.state === 'sleeping'", 10)
        final = page.evaluate("({...window.soundscape})")
        assert final["underruns"] == 0 and final["gaps"] == 0, final
        assert final["codec"] == "opus"
        assert not final["errors"], final["errors"]
        assert not errors, errors


@pytest.mark.parametrize("codec", ["opus", "pcm16"])
def test_player_falls_back_to_stems_when_no_personal_mix_is_left(tmp_path, codec):
    """--max-personal 0: a slider move gets personal_limit; the player reconnects to
    /stems/ and applies the gain itself, with no underrun (Opus, and PCM16 for a
    browser without WebCodecs)."""
    with _tiny_server(tmp_path, "--max-personal", "0") as (srv, browser, _):
        errors: list[str] = []
        page = _open(browser, srv.http + f"/?codec={codec}&mix=server", errors)
        _wait(page, "window.soundscape.played >= 1", 20)
        assert page.evaluate("window.soundscape.mixMode") == "server"
        page.evaluate("window.soundscape.setLayerGain('hiss', -12)")
        _wait(page, "window.soundscape.mixMode === 'stems'", 10)
        _wait(page, "window.soundscape.stems && window.soundscape.played >= 2", 20)
        channel = srv.get("/api/status")["channels"][0]
        assert channel["stem_listeners"] == 1 and channel["personal_mixes"] == 0, channel
        assert channel["stems"] == [codec], channel
        _, stems = _window(page, 2.0)
        assert sorted(stems) == ["hiss", "hum"]
        state = page.evaluate("({...window.soundscape})")
        assert state["underruns"] == 0 and state["state"] == "playing", state
        assert [e["code"] for e in state["errors"]] == ["personal_limit"], state["errors"]
        assert page.text_content("#mode") == "mixed on this device"
        assert not errors, errors


THIRD_LAYER = """
[[layers]]
name = "rumble"
type = "bed"
recipe = "noise"
params = { color = "brown" }
variants = 2
crossfade = "0.5s"
gain_db = -3.0
"""


def test_hot_reloads_that_add_and_remove_a_layer_keep_the_stems_playing(tmp_path):
    """A reload that adds a layer gives the player a third stem (mixed from its first
    frame), one that removes it plays it out and drops it; no underrun, no gap."""
    with _tiny_server(tmp_path) as (srv, browser, scene):
        errors: list[str] = []
        page = _open(browser, srv.http + "/?mix=stems", errors)
        _wait(page, "window.soundscape.stems && window.soundscape.played >= 1", 20)
        page.evaluate("window.soundscape.setLayerGain('rumble', -6)")  # not there yet
        scene.write_text(tiny_scene() + THIRD_LAYER)
        _wait(page, "window.soundscape.stems.names.length === 3", 60)
        assert page.evaluate("window.soundscape.stems.names") == ["hiss", "hum", "rumble"]
        assert page.evaluate(
            "[...document.querySelectorAll('#layers [data-layer]')].map(e => e.dataset.layer)"
        ) == ["hiss", "hum", "rumble"]
        _, stems = _window(page, 2.0)
        assert stems["rumble"] > 1e-5, stems  # it sounds
        scene.write_text(tiny_scene())
        _wait(page, "window.soundscape.stems.names.length === 2", 60)
        _, stems = _window(page, 1.0)
        assert sorted(stems) == ["hiss", "hum"]
        state = page.evaluate("({...window.soundscape})")
        assert state["underruns"] == 0 and state["gaps"] == 0, state
        assert state["state"] == "playing" and not state["errors"], state
        assert not errors, errors


def test_the_default_player_mixes_stems_once_a_layer_changes(tmp_path):
    """No ?mix=: the broadcast mix until a slider moves, then stems mixed on the page;
    the server runs no personal mix and the player never gets personal_limit."""
    with _tiny_server(tmp_path) as (srv, browser, _):
        errors: list[str] = []
        page = _open(browser, srv.http + "/", errors)
        _wait(page, "window.soundscape.played >= 1", 20)
        assert page.evaluate("window.soundscape.mixMode") == "auto"
        assert srv.get("/api/status")["channels"][0]["stem_listeners"] == 0
        page.evaluate("window.soundscape.setLayerGain('hiss', -12)")
        _wait(page, "window.soundscape.mixMode === 'stems'", 10)
        _wait(page, "window.soundscape.stems && window.soundscape.played >= 2", 20)
        status = srv.get("/api/status")
        channel = status["channels"][0]
        assert channel["stem_listeners"] == 1 and status["personal_mixes"] == 0, status
        state = page.evaluate("({...window.soundscape})")
        assert state["underruns"] == 0 and state["state"] == "playing", state
        assert state["errors"] == [], state["errors"]
        assert not errors, errors
