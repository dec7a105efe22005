"""The scene studio in Debian's headless Chromium, driven by Playwright.

Measures the audio the page really plays (an AnalyserNode on its output, sampled by
the page into ``window.studio.outputDb``) and the server's per-layer meters. Needs
the `playwright` package and /usr/bin/chromium; skipped without them.
"""

from __future__ import annotations

import math
import os
import statistics
import time
from pathlib import Path

import pytest
from studio_support import STUDIO_SCENE, StudioProcess, comment_lines

sync_api = pytest.importorskip("playwright.sync_api")
CHROMIUM = os.environ.get("SOUNDSCAPE_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--autoplay-policy=no-user-gesture-required"]
pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"no {CHROMIUM}")
SILENT = -119.0  # a meter at its floor reads -120 LUFS


def _wait(page, expr: str, timeout: float = 20, arg=None) -> None:
    page.wait_for_function(expr, arg=arg, timeout=timeout * 1000)


def _played(page) -> float:
    return float(page.evaluate("window.studio.played"))


def _level(page, seconds: float = 1.5) -> float:
    """Mean output level (dBFS) over ``seconds`` of audio the page played (power mean
    of the page's 500 ms readings, one per 250 ms of playback)."""
    readings = []
    start = _played(page)
    last = start
    deadline = time.monotonic() + 60
    while _played(page) - start < seconds:
        if time.monotonic() > deadline:
            pytest.fail("the page stopped playing")
        now = _played(page)
        if now - last >= 0.25:
            readings.append(page.evaluate("window.studio.outputDb"))
            last = now
        time.sleep(0.05)
    powers = [10 ** (r / 10) for r in readings if r is not None and math.isfinite(r)]
    assert powers, readings
    return 10 * math.log10(statistics.fmean(powers))


def _meter_history(page, seconds: float) -> dict[str, list[float]]:
    """Every meters message the page gets over ``seconds`` of playback, per layer."""
    page.evaluate("""() => { window.studio.history = [];
        window.studio.__hist = setInterval(() => window.studio.history.push(
            {...window.studio.meters}), 100); }""")
    start = _played(page)
    _wait(page, "(s) => window.studio.played >= s", 30, start + seconds)
    history = page.evaluate("() => { clearInterval(window.studio.__hist); "
                            "return window.studio.history; }")
    names = history[0].keys()
    return {n: [h[n] for h in history] for n in names}


def test_studio_solo_gain_trigger_invalid_save(tmp_path):
    folder = tmp_path / "scenes"
    folder.mkdir()
    scene = folder / "studio.toml"
    scene.write_text(STUDIO_SCENE)
    studio = StudioProcess(scene, tmp_path / "bank")
    try:
        with sync_api.sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            page = browser.new_page()
            errors: list[str] = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(studio.url)
            _wait(page, "window.studio.heard >= 1", 90)  # built and on air
            page.click("#play")
            _wait(page, "window.studio.state === 'playing' && window.studio.played > 1", 30)
            # every layer is a strip: kind and source shown, the event can be triggered
            assert page.text_content("[data-layer=hiss] .kind") == "bed"
            assert page.text_content("[data-layer=drip] .kind") == "event"
            assert "noise" in page.text_content("[data-layer=hum] .source")
            assert page.is_visible("[data-trigger=drip]")
            assert page.input_value("[data-path='layers[1].gain_db']") == "-6"
            # both beds sound in the mix; the event layer sits at its floor
            _wait(page, "window.studio.meters.hiss > -40 && window.studio.meters.hum > -60")
            assert page.evaluate("window.studio.meters.drip") <= SILENT

            # solo the hum: only its meter moves, the others sit at their floor
            page.click("[data-solo=hum]")
            _wait(page, "window.studio.meters.hiss <= -119")
            history = _meter_history(page, 2.0)
            assert all(v <= SILENT for v in history["hiss"]), history["hiss"]
            assert all(v <= SILENT for v in history["drip"]), history["drip"]
            assert all(v > -60 for v in history["hum"]), history["hum"]
            assert max(history["hum"]) - min(history["hum"]) > 0.05, history["hum"]  # moves
            assert page.get_attribute("[data-solo=hum]", "aria-pressed") == "true"

            # an audition gain of -10 dB on the soloed layer: the output drops by ~10 dB
            before = _level(page)
            assert -60 < before < -10, before
            page.fill("[data-audition=hum]", "-10")
            page.dispatch_event("[data-audition=hum]", "input")
            _wait(page, "window.studio.overrides.gains.hum === -10")
            _wait(page, "(b) => window.studio.outputDb < b - 7", 20, before)
            lower = _level(page)
            assert abs((lower - before) - -10) < 2.5, (before, lower)
            page.fill("[data-audition=hum]", "0")
            page.dispatch_event("[data-audition=hum]", "input")
            _wait(page, "(b) => window.studio.outputDb > b - 3", 20, before)
            back = _level(page)
            assert abs((back - lower) - 10) < 2.5, (lower, back)

            # solo the event layer (silence), trigger it: it is in the audio at once
            page.click("[data-solo=hum]")
            page.click("[data-solo=drip]")
            _wait(page, "window.studio.meters.hum <= -119 && window.studio.outputDb < -80")
            page.click("[data-trigger=drip]")
            _wait(page, "window.studio.triggered.length === 1", 10)
            _wait(page, "window.studio.meters.drip > -70", 10)
            _wait(page, "window.studio.outputDb > -70", 10)
            page.click("[data-solo=drip]")
            _wait(page, "window.studio.meters.hiss > -40")

            # an invalid value: the message by the field, the last good version plays on
            underruns = page.evaluate("window.studio.underruns")
            page.fill("[data-path='layers[1].gain_db']", "loud")
            page.dispatch_event("[data-path='layers[1].gain_db']", "change")
            problem = "[data-problem='layers[1].gain_db']"
            _wait(page, f"document.querySelector(\"{problem}\").textContent.length > 0")
            assert "layers[1].gain_db" in page.text_content(problem)
            assert "not a number" in page.text_content(problem)
            assert "gain_db = \"loud\"" in page.input_value("#toml")
            playing = _level(page, 2.0)
            assert playing > -40, playing
            assert page.evaluate("window.studio.underruns") == underruns

            # fix it through the form, save: the value on disk, every comment kept
            version = page.evaluate("window.studio.version")
            page.fill("[data-path='layers[1].gain_db']", "-9.5")
            page.dispatch_event("[data-path='layers[1].gain_db']", "change")
            _wait(page, "(v) => window.studio.version > v && !window.studio.problems.length",
                  30, version)
            assert page.text_content(problem) == ""
            page.click("#save")
            _wait(page, "window.studio.saves === 1", 10)
            saved = scene.read_text()
            assert "gain_db = -9.5  # under the hiss" in saved
            assert comment_lines(saved) == comment_lines(STUDIO_SCENE)
            assert saved == STUDIO_SCENE.replace("gain_db = -6.0  #", "gain_db = -9.5  #")
            final = page.evaluate("({...window.studio})")
            assert final["underruns"] == underruns, final["underruns"]
            assert not errors, errors
            browser.close()
    finally:
        studio.stop()


# -- the studio as an instrument (issue 17) ----------------------------------------------
INTERVAL_SCENE = STUDIO_SCENE.replace("rate_per_min = 0.0", 'interval = ["20s", "90s"]')
SIZES = [(390, 844), (1280, 800)]


@pytest.fixture(scope="module")
def instrument(tmp_path_factory):
    """A studio on a scene whose event layer has a duration range; the browser."""
    tmp = tmp_path_factory.mktemp("instrument")
    folder = tmp / "scenes"
    folder.mkdir()
    scene = folder / "studio.toml"
    scene.write_text(INTERVAL_SCENE)
    studio = StudioProcess(scene, tmp / "bank")
    try:
        with sync_api.sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            yield studio, scene, browser
            browser.close()
    finally:
        studio.stop()


def _studio_page(browser, url: str, size: tuple[int, int], problems: list[str]):
    page = browser.new_page(viewport={"width": size[0], "height": size[1]})
    page.on("pageerror", lambda e: problems.append(f"pageerror: {e}"))
    page.on("console", lambda m: problems.append(f"console {m.type}: {m.text}")
            if m.type == "error" else None)
    page.on("response", lambda r: problems.append(f"{r.status} {r.url}")
            if r.status >= 400 else None)
    page.goto(url)
    _wait(page, "window.studio.heard >= 1 && window.studio.layers.length === 3", 90)
    return page


def _in_view(page, selector: str) -> bool:
    return bool(page.evaluate("""(sel) => { const r = document.querySelector(sel)
        .getBoundingClientRect(); return r.height > 0 && r.top >= 0 &&
        r.bottom <= window.innerHeight; }""", selector))


def test_fields_apply_as_you_type_keep_units_order_and_show_problems(instrument):
    studio, scene, browser = instrument
    problems: list[str] = []
    page = _studio_page(browser, studio.url, (1280, 800), problems)
    assert page.get_attribute("link[rel=icon]", "href") == "favicon.svg"
    # durations keep their units; the rule is stated once, at the top
    assert page.input_value("[data-path='layers[2].interval']") == "20s, 90s"
    assert page.locator("text=apply as you type").count() == 1
    # as you type: no Enter, no change event; a live edit, heard
    version = page.evaluate("window.studio.version")
    page.fill("[data-path='layers[2].interval']", "10s, 45s")
    _wait(page, "(v) => window.studio.version > v", 20, version)
    _wait(page, "window.studio.heard === window.studio.version", 20)
    assert 'interval = ["10s", "45s"]' in page.input_value("#toml")
    assert page.input_value("[data-path='layers[2].interval']") == "10s, 45s"
    # a bad value: by its field, and in the summary at the top, in view while the
    # page is scrolled to its end
    page.fill("[data-path='layers[0].gain_db']", "loud")
    _wait(page, "window.studio.problems.length > 0", 20)
    page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
    assert _in_view(page, "#summary") and page.is_visible("#summary")
    assert "layers[0].gain_db" in page.text_content("#problems")
    assert "not a number" in page.text_content("[data-problem='layers[0].gain_db']")
    assert page.get_attribute("[data-path='layers[0].gain_db']", "aria-invalid") == "true"
    # cleared, then typed again: the key keeps its place in its table
    page.fill("[data-path='layers[0].gain_db']", "")
    _wait(page, "!document.querySelector('#toml').value.includes('gain_db = \"loud\"')", 20)
    _wait(page, "window.studio.problems.length === 0", 20)
    page.fill("[data-path='layers[0].gain_db']", "-4")
    _wait(page, "document.querySelector('#toml').value.includes('gain_db = -4')", 20)
    text = page.input_value("#toml")
    hiss = text[text.index('name = "hiss"'):text.index('name = "hum"')]
    assert hiss.index("crossfade") < hiss.index("gain_db = -4") < hiss.index("# a darker"), hiss
    assert page.is_hidden("#summary")
    assert scene.read_text() == INTERVAL_SCENE  # nothing saved
    assert not problems, problems
    page.close()


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_axe_finds_no_serious_or_critical_problem_in_the_studio(instrument, size):
    axe_sync = pytest.importorskip("axe_playwright_python.sync_playwright")
    studio, _, browser = instrument
    problems: list[str] = []
    page = _studio_page(browser, studio.url, size, problems)
    found = {}
    for step in ("loaded", "with a problem"):
        if step != "loaded":
            page.fill("[data-path='layers[1].pan']", "left")
            _wait(page, "window.studio.problems.length > 0", 20)
        result = axe_sync.Axe().run(page)
        found[step] = [(v["id"], v["impact"], len(v["nodes"]), v["nodes"][0]["target"])
                       for v in result.response["violations"]
                       if v["impact"] in ("serious", "critical")]
    page.fill("[data-path='layers[1].pan']", "0")
    _wait(page, "window.studio.problems.length === 0", 20)
    assert found == {k: [] for k in found}, found
    # no unstyled system widgets: every control takes the page's dark field colours
    looks = page.evaluate("""() => [...document.querySelectorAll('button, input, select, textarea')]
        .filter((el) => el.offsetParent !== null).map((el) => [el.id || el.dataset.path ||
        el.tagName, getComputedStyle(el).colorScheme, getComputedStyle(el).backgroundColor])""")
    light = [x for x in looks if x[2] in ("rgb(255, 255, 255)", "rgb(239, 239, 239)",
                                          "rgb(240, 240, 240)")]
    assert not light, light
    assert not problems, problems
    page.close()
