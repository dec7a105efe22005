"""The web player in Debian's headless Chromium, driven by Playwright (no browser download).

Needs the `playwright` Python package and /usr/bin/chromium; skipped without them.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from test_server_support import ServerProcess, tiny_scene

sync_api = pytest.importorskip("playwright.sync_api")
CHROMIUM = os.environ.get("SOUNDSCAPE_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--autoplay-policy=no-user-gesture-required"]
pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"no {CHROMIUM}")


def _wait(page, expr: str, timeout: float) -> None:
    page.wait_for_function(expr, timeout=timeout * 1000)


def test_player_plays_mixes_and_sleeps(tmp_path):
    scenes = tmp_path / "scenes"
    scenes.mkdir()
    (scenes / "tiny.toml").write_text(
        tiny_scene().replace("description =", 'tags = ["test", "noise"]\ndescription =', 1))
    srv = ServerProcess(scenes, tmp_path / "bank")
    try:
        srv.wait_ready(["tiny"])
        with sync_api.sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            page = browser.new_page()
            errors: list[str] = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(srv.http + "/?mix=server")  # the server-side personal mix
            _wait(page, "document.querySelectorAll('#scenes [data-scene]').length === 1", 10)
            # tags shown; each sound by its friendly name (the layer's own name and kind
            # in the Advanced panel); controls labelled for keyboard / screen readers
            assert page.eval_on_selector_all("#tags li", "els => els.map(e => e.textContent)") \
                == ["test", "noise"]
            assert page.text_content("label[for=g-hiss]") == "Hiss"
            assert page.text_content("[data-layer-row=hiss] .raw-name") == "hiss"
            assert page.text_content("[data-layer-row=hiss] .kind") == "bed"
            assert page.get_attribute("[data-mute=hiss]", "aria-label") == "Mute Hiss"
            page.click("#play")
            _wait(page, "window.soundscape.state === 'playing'", 10)
            _wait(page, "window.soundscape.played >= 10.5", 30)
            state = page.evaluate("({...window.soundscape})")
            assert state["underruns"] == 0 and state["gaps"] == 0, state
            assert state["codec"] == "opus"
            assert -40 < state["levelDb"] < -6, state["levelDb"]
            assert page.text_content("#state") == "Playing"
            # level meter in dB with a peak-hold marker (the Advanced panel); media session
            # for lock screen/keys
            assert state["peakHoldDb"] >= state["levelDb"], state
            assert "dB" in page.text_content("#level")
            assert page.eval_on_selector("#meter-peak", "e => e.style.opacity") == "1"
            session = page.evaluate("""() => ({title: navigator.mediaSession.metadata.title,
                                              state: navigator.mediaSession.playbackState})""")
            assert session == {"title": "Tiny tiny", "state": "playing"}, session

            # move a layer slider: the server switches to a personal mix with that gain
            page.fill("#g-hiss", "-20")
            page.dispatch_event("#g-hiss", "input")
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                personal = srv.get("/api/status?detail=1")["personal"]
                if personal and personal[0]["gains"].get("hiss") == -20:
                    break
                time.sleep(0.2)
            else:
                pytest.fail(f"server never applied the slider: {personal}")
            _wait(page, "window.soundscape.mix && window.soundscape.mix.mode === 'personal'", 5)

            # sleep timer: 30 min, +5, -5, -5 -> 25 min left, on the page and on the server
            assert page.evaluate("window.soundscape.sleepLeft") is None
            page.click("[data-sleep='30']")
            page.click("#sleep-more")
            page.click("#sleep-less")
            page.click("#sleep-less")
            left = page.evaluate("window.soundscape.sleepLeft")
            assert abs(left - 1500) < 5, left
            assert page.text_content("#sleep-left").endswith(" left")
            deadline = time.monotonic() + 5
            while time.monotonic() < deadline:
                sleep = srv.get("/api/status?detail=1")["personal"][0]["sleep"]
                if sleep and abs(sleep["after"] - 1500) < 5:
                    break
                time.sleep(0.1)
            else:
                pytest.fail(f"server sleep timer is {sleep}, wanted about 1500 s")
            assert abs(sleep["ends_at_unix"] - time.time() - 1500) < 5, sleep
            assert sleep["fade"] >= 60, sleep

            # a short sleep timer fades to silence and the player goes to sleep
            page.evaluate("window.soundscape.sleep(3, 2)")
            _wait(page, "window.soundscape.state === 'sleeping'", 10)
            _wait(page, "!(window.soundscape.levelDb > -90)", 5)
            assert page.evaluate("window.soundscape.sleepLeft") is None
            final = page.evaluate("({...window.soundscape})")
            assert final["underruns"] == 0, final
            assert not errors, errors
            browser.close()
    finally:
        srv.stop()
