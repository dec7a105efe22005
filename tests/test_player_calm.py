"""The calm player (issue 17) in Debian's headless Chromium, driven by Playwright.

At 390x844 and 1280x800: the default view speaks plain words (no dB, codecs, buffers,
bed/event) while the Advanced panel keeps every figure; the sleep timer shows only
what can be used now; a cold scene says "Preparing <title>: N of M sounds" within a
second of pressing play; the wake-up alarm fades in from silence to its volume over
its minutes on a fake clock (read from the page's master gain); axe-core finds no
serious or critical problem. Skipped without playwright or /usr/bin/chromium.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from test_browser_player import ARGS, CHROMIUM, _wait

from test_server_support import ServerProcess, tiny_scene

sync_api = pytest.importorskip("playwright.sync_api")
pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"no {CHROMIUM}")

SIZES = [(390, 844), (1280, 800)]
# engineering vocabulary the default view must not show (whole words, any case)
FORBIDDEN = ["dB", "dBFS", "LUFS", "RMS", "opus", "pcm", "pcm16", "buffer", "underrun", "underruns",
             "bed", "beds", "event", "events", "broadcast", "codec", "ms", "Hz", "kHz", "peak",
             "gaps", "stems", "stem", "jitter", "websocket", "idle", "personal mix",
             "mixed on this device"]
FORBIDDEN_RE = re.compile(r"\b(" + "|".join(re.escape(w) for w in FORBIDDEN) + r")\b", re.I)
# what the Advanced panel still shows once opened (while playing)
ADVANCED = ["dB", "bed", "buffer", "underruns", "opus", "Mix:", "hiss", "rain-outside"]
# the scene: a layer with a name to derive a label from; a description without "beds"
SCENE = tiny_scene().replace('name = "hum"', 'name = "rain-outside"').replace(
    "Two noise beds for tests.", "Two soft noises.")
# a scene that takes seconds to prepare on a fresh bank: long segments, many variants
COLD = SCENE.replace('segment_seconds = "4s"', 'segment_seconds = "60s"').replace(
    "variants = 2", "variants = 5")

FAKE_CLOCK = """() => {
  const c = window.fakeClock = { t: Date.parse('2026-03-02T06:58:30'), fns: new Map(), n: 0,
    now() { return this.t; },
    every(ms, fn) { this.n += 1; this.fns.set(this.n, fn); return this.n; },
    stop(h) { this.fns.delete(h); },
    advance(ms) { this.t += ms; for (const f of [...this.fns.values()]) f(); } };
  window.soundscape.useClock(c);
}"""


@pytest.fixture
def server(tmp_path: Path) -> Iterator[ServerProcess]:
    scenes = tmp_path / "scenes"
    scenes.mkdir()
    (scenes / "tiny.toml").write_text(SCENE)
    srv = ServerProcess(scenes, tmp_path / "bank")
    try:
        srv.wait_ready(["tiny"])
        yield srv
    finally:
        srv.stop()


@pytest.fixture
def browser() -> Iterator[object]:
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            yield b
        finally:
            b.close()


def _page(browser, url: str, errors: list[str], size=(1280, 800)):
    ctx = browser.new_context(viewport={"width": size[0], "height": size[1]},
                              has_touch=size[0] < 500)
    page = ctx.new_page()
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(url)
    _wait(page, "document.querySelectorAll('#layers [data-layer]').length === 2", 15)
    return page


def _visible_text(page) -> str:
    return page.evaluate("document.body.innerText")


def _visible(page, selector: str) -> bool:
    return page.is_visible(selector)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_default_view_speaks_plain_words_and_advanced_keeps_the_figures(server, browser, size):
    errors: list[str] = []
    page = _page(browser, server.http + "/", errors, size)
    # the sounds: friendly names and icons, one slider each
    cards = page.eval_on_selector_all(".sound", """els => els.map(e => ({
        name: e.querySelector('.name').textContent, icon: e.querySelector('svg').dataset.icon,
        sliders: e.querySelectorAll('input[type=range]').length}))""")
    assert [c["name"] for c in cards] == ["Hiss", "Rain outside"], cards
    assert all(c["sliders"] == 1 and c["icon"] for c in cards), cards
    # the page's own names and icons where a server gives none (contract 1's fallback)
    derived = page.evaluate("""async () => { const m = await import('/sound-icons.js');
        return [m.soundLabel({name: 'rain-outside'}), m.soundIcon({name: 'rain-outside'}),
                m.soundLabel({name: 'bird_call', label: ' Birdsong '}), m.soundIcon({name: 'x', icon: 'owl?'}),
                m.soundIcon({name: 'far-surf'}), m.soundIcon({name: 'x', icon: 'cat'})]; }""")
    assert derived == ["Rain outside", "rain", "Birdsong", "generic", "waves", "cat"]

    page.click("#play")
    _wait(page, "window.soundscape.state === 'playing'", 20)
    _wait(page, "document.getElementById('stats').textContent.includes('underruns')", 10)
    assert page.text_content("#state") == "Playing"
    page.click("[data-sleep='30']")  # a sleep timer running and an alarm set: plain words too
    page.click("#alarm-open")
    page.click("#alarm-set")
    assert page.text_content("#alarm-status").startswith("Wakes you at 07:00 with Tiny tiny")
    text = _visible_text(page)
    found = sorted({m.group(0) for m in FORBIDDEN_RE.finditer(text)})
    assert found == [], (found, text)
    assert not page.is_visible("#level") and not page.is_visible("#stats")

    # the Advanced panel, opened by keyboard: every figure of before is still there
    page.focus("#advanced summary")
    page.keyboard.press("Enter")
    _wait(page, "document.getElementById('advanced').open", 5)
    advanced = page.inner_text("#advanced")
    assert [w for w in ADVANCED if w not in advanced] == [], advanced
    assert page.is_visible("#level") and page.is_visible("[data-layer-row=hiss] .kind")
    # the server's sleep timer runs on a personal mix of ours
    assert page.text_content("#mode") in ("broadcast mix", "personal mix", "mixed on this device")
    # moving a sound's slider moves its figure in the panel, not in the default view
    page.fill("#g-hiss", "-12")
    page.dispatch_event("#g-hiss", "input")
    assert page.text_content("[data-layer-row=hiss] .db") == "-12 dB"
    assert page.get_attribute("#g-hiss", "aria-valuetext") == "softer, 54 %"
    assert not errors, errors


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_sleep_timer_shows_only_what_can_be_used_now(server, browser, size):
    errors: list[str] = []
    page = _page(browser, server.http + "/", errors, size)
    disabled = "[...document.querySelectorAll('button:disabled')].filter(b => b.offsetParent).length"
    # off: the choices, nothing about a timer that does not run
    assert _visible(page, "[data-sleep='30']") and _visible(page, "#sleep-custom")
    assert not _visible(page, "#sleep-left") and not _visible(page, "#sleep-cancel")
    assert page.evaluate(disabled) == 0
    # running: the time left in words, and Cancel / -5 / +5
    page.click("[data-sleep='60']")
    assert page.text_content("#sleep-left") == "1 hour left"
    assert not _visible(page, "[data-sleep='30']")
    assert all(_visible(page, s) for s in ("#sleep-left", "#sleep-less", "#sleep-more", "#sleep-cancel"))
    page.click("#sleep-more")
    assert page.text_content("#sleep-left") == "1 hour 5 minutes left"
    assert page.evaluate(disabled) == 0
    # under the shortest step: no "-5 min" to press
    page.evaluate("window.soundscape.sleep(50, 60)")
    assert re.fullmatch(r"Fading out, less than a minute left", page.text_content("#sleep-left"))
    assert not _visible(page, "#sleep-less") and _visible(page, "#sleep-more")
    # cancelled: back to the choices, by keyboard, the focus still in the timer
    page.focus("#sleep-cancel")
    page.keyboard.press("Enter")
    assert page.evaluate("window.soundscape.sleepLeft") is None
    assert _visible(page, "[data-sleep='30']") and not _visible(page, "#sleep-left")
    assert page.evaluate("document.activeElement.dataset.sleep") == "15"
    page.keyboard.press("Enter")  # 15 min, and the focus goes on to what can be done now
    assert page.text_content("#sleep-left") == "15 minutes left"
    assert page.evaluate("document.activeElement.id") == "sleep-more"
    page.click("#sleep-cancel")
    # the custom time, typed and started with Enter
    page.fill("#sleep-custom", "25")
    page.press("#sleep-custom", "Enter")
    assert page.text_content("#sleep-left") == "25 minutes left"
    assert not errors, errors


def test_preparing_message_within_a_second_of_play_on_a_cold_bank(tmp_path, browser):
    scenes = tmp_path / "scenes"
    scenes.mkdir()
    (scenes / "tiny.toml").write_text(COLD)
    srv = ServerProcess(scenes, tmp_path / "bank")
    try:
        errors: list[str] = []
        ctx = browser.new_context(viewport={"width": 390, "height": 844})
        # when play was pressed, and every text the status line showed, with its time
        ctx.add_init_script("""
            window.seen = []; window.clickAt = null;
            document.addEventListener('click', (e) => {
              if (window.clickAt === null && e.target.closest('#play')) window.clickAt = performance.now();
            }, true);
            document.addEventListener('DOMContentLoaded', () => {
              const out = document.getElementById('state');
              new MutationObserver(() => window.seen.push([performance.now(), out.textContent]))
                .observe(out, {childList: true, characterData: true, subtree: true});
            });""")
        page = ctx.new_page()
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(srv.http + "/")
        _wait(page, "document.querySelectorAll('#scenes [data-scene]').length === 1", 15)
        assert [s["ready"] for s in srv.get("/api/scenes")] == [False], \
            "the scene was ready before play: make COLD slower to prepare"
        page.click("#play")
        _wait(page, "window.seen.some(([, t]) => t.startsWith('Preparing'))", 10)
        click, seen = page.evaluate("[window.clickAt, window.seen]")
        first = next((t, text) for t, text in seen if t >= click)
        assert first[1] == "Connecting…", seen  # at once, from the press of play
        at, text = next((t, x) for t, x in seen if x.startswith("Preparing"))
        assert re.fullmatch(r"Preparing Tiny tiny: [0-2] of 2 sounds", text), seen
        print(f"\npreparing shown {at - click:.0f} ms after play; {seen}")
        assert at - click < 1000, seen
        _wait(page, "window.soundscape.state === 'playing'", 120)
        shown = [x for t, x in page.evaluate("window.seen") if t >= click]
        assert "Playing" in shown and not any(x.startswith("Reconnecting") for x in shown), shown
        # the counts only go up
        counts = [int(m.group(1)) for x in shown if (m := re.match(r"Preparing .*: (\d) of", x))]
        assert counts == sorted(counts), shown
        assert not errors, errors
    finally:
        srv.stop()


def test_reconnecting_is_said_after_a_drop(server, browser):
    errors: list[str] = []
    page = _page(browser, server.http + "/", errors)
    page.click("#play")
    _wait(page, "window.soundscape.state === 'playing'", 20)
    page.evaluate("""() => { window.seen = [];
        const out = document.getElementById('state');
        new MutationObserver(() => window.seen.push(out.textContent))
          .observe(out, {childList: true, characterData: true, subtree: true}); }""")
    server.stop()  # the network goes: the page says it is reconnecting, never "connecting"
    _wait(page, "window.seen.includes('Reconnecting…')", 15)
    assert "Connecting…" not in page.evaluate("window.seen")
    assert page.text_content("#status-detail").startswith("reconnecting: next try in")


def test_alarm_fades_in_from_silence_to_its_volume_on_a_fake_clock(server, browser):
    errors: list[str] = []
    page = _page(browser, server.http + "/", errors, (390, 844))
    # the alarm's arithmetic: local times of day, the next one after now
    plain = page.evaluate("""async () => { const m = await import('/alarm.js');
        const at = (t) => Date.parse(t), a = new m.Alarm({show() {}}, {now: () => at('2026-03-02T23:30:00'),
          every: () => 1, stop() {}});
        return [m.parseTime('7:05'), m.parseTime('24:00'), m.parseTime('7h'),
                m.nextAt('07:00', at('2026-03-02T23:30:00')) === at('2026-03-03T07:00:00'),
                m.nextAt('07:00', at('2026-03-02T07:00:00')) === at('2026-03-03T07:00:00'),
                m.nextAt('23:45', at('2026-03-02T23:30:00')) === at('2026-03-02T23:45:00'),
                m.fadeLevel(0.5, 60000, 15000), m.fadeLevel(0.5, 0, 0),
                a.set({time: '25:00', target: 'scene:x', volume: 0.5, fadeMinutes: 5}),
                a.set({time: '07:00', target: 'scene:x', volume: 0, fadeMinutes: 5}),
                a.set({time: '07:00', target: '', volume: 0.5, fadeMinutes: 5}),
                a.phase, a.set({time: '07:00', target: 'scene:x', volume: 0.5, fadeMinutes: 5}),
                a.left()]; }""")
    assert plain == [[7, 5], None, None, True, True, True, 0.125, 0.5,
                     False, False, False, "off", True, 7.5 * 3600_000]
    page.click("#alarm-open")
    page.fill("#alarm-time", "")
    page.click("#alarm-set")  # no time: said, and nothing set
    assert page.text_content("#alarm-status") == "Choose a time and a sound to wake up to."
    assert page.evaluate("window.soundscape.alarm.phase") == "off"
    page.click("#alarm-open")  # closed again
    page.evaluate(FAKE_CLOCK)
    assert page.text_content("#alarm-status") == "Choose a time and a sound to wake up to."
    page.click("#alarm-open")
    assert page.get_attribute("#alarm-open", "aria-expanded") == "true"
    page.fill("#alarm-time", "07:00")
    page.select_option("#alarm-sound", "scene:tiny")
    page.select_option("#alarm-fade", "5")
    page.fill("#alarm-volume", "0.6")
    page.click("#alarm-set")
    # shown, and cancellable, in the main view
    assert page.text_content("#alarm-status") == \
        "Wakes you at 07:00 with Tiny tiny, fading in over 5 minutes."
    assert page.is_visible("#alarm-cancel") and not page.is_visible("#alarm-form")
    assert page.evaluate("window.soundscape.alarm.left") == 90_000
    page.evaluate("window.fakeClock.advance(60_000)")  # 06:59:30: not yet
    assert page.evaluate("window.soundscape.alarm.phase") == "set"
    assert page.evaluate("window.soundscape.state") == "idle"

    page.evaluate("window.fakeClock.advance(30_000)")  # 07:00: it wakes, from silence
    assert page.evaluate("window.soundscape.alarm.phase") == "waking"
    assert page.text_content("#alarm-cancel") == "Stop"
    _wait(page, "window.soundscape.state === 'playing'", 20)
    assert page.evaluate("window.soundscape.gain") < 0.005
    levels = []
    for minute in range(1, 6):  # one minute at a time: a fifth of the way each
        page.evaluate("window.fakeClock.advance(60_000)")
        want = 0.6 * minute / 5
        if minute < 5:  # the alarm's own level on its clock: exact
            assert page.evaluate("window.soundscape.alarm.level") == pytest.approx(want, abs=1e-9)
        # the master gain glides there (a 0.25 s time constant on the audio clock)
        _wait(page, f"Math.abs(window.soundscape.gain - {want}) < 0.0005", 10)
        levels.append(page.evaluate("window.soundscape.gain"))
    assert levels == pytest.approx([0.12, 0.24, 0.36, 0.48, 0.6], abs=0.001), levels
    # faded in: the alarm is over, the volume is the alarm's
    assert page.evaluate("window.soundscape.alarm.phase") == "off"
    assert page.text_content("#alarm-status") == "No alarm set."
    assert page.input_value("#volume") == "0.6"
    assert page.evaluate("window.soundscape.state") == "playing"

    # a saved mix as the alarm's sound: its layer settings come back with it
    page.click("#play")  # pause
    page.fill("#g-hiss", "-20")
    page.dispatch_event("#g-hiss", "input")
    page.click("#fav-save")
    _wait(page, "window.soundscape.favourites.length === 1", 5)
    fav = page.evaluate("window.soundscape.favourites[0]")
    page.fill("#g-hiss", "0")
    page.dispatch_event("#g-hiss", "input")
    page.click("#alarm-open")
    page.fill("#alarm-time", "07:10")
    page.select_option("#alarm-sound", f"fav:{fav['id']}")
    page.select_option("#alarm-fade", "1")
    page.click("#alarm-set")
    assert page.text_content("#alarm-status") == \
        f"Wakes you at 07:10 with {fav['name']}, fading in over 1 minute."
    page.evaluate("window.fakeClock.advance(300_000)")
    assert page.evaluate("window.soundscape.alarm.phase") == "waking"
    assert page.input_value("#g-hiss") == "-20"
    _wait(page, "window.soundscape.state === 'playing'", 20)
    page.evaluate("window.fakeClock.advance(60_000)")
    _wait(page, "Math.abs(window.soundscape.gain - 0.6) < 0.0005", 10)
    assert page.evaluate("window.soundscape.alarm.phase") == "off"

    # another, cancelled from the main view: nothing happens at its time
    page.click("#play")  # pause
    page.click("#alarm-open")
    page.fill("#alarm-time", "07:30")
    page.click("#alarm-set")
    assert page.text_content("#alarm-status").startswith("Wakes you at 07:30")
    page.reload()  # a reload keeps it (on the page's own clock now)
    _wait(page, "window.soundscape.alarm.phase === 'set'", 10)
    assert page.text_content("#alarm-status").startswith("Wakes you at 07:30")
    page.evaluate(FAKE_CLOCK)
    page.click("#alarm-cancel")
    page.reload()
    _wait(page, "document.querySelectorAll('#layers [data-layer]').length === 2", 15)
    assert page.text_content("#alarm-status") == "No alarm set."
    page.evaluate(FAKE_CLOCK)
    page.evaluate("window.fakeClock.advance(3_600_000)")
    assert page.evaluate("window.soundscape.alarm.phase") == "off"
    assert page.evaluate("window.soundscape.state") == "idle"
    assert not errors, errors


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_axe_finds_no_serious_or_critical_problem(server, browser, size):
    axe_sync = pytest.importorskip("axe_playwright_python.sync_playwright")
    errors: list[str] = []
    page = _page(browser, server.http + "/", errors, size)
    axe = axe_sync.Axe()
    found = {}
    for step in ("idle", "playing, sleep timer on, alarm form and Advanced open"):
        if step != "idle":
            page.click("#play")
            _wait(page, "window.soundscape.state === 'playing'", 20)
            page.click("[data-sleep='30']")
            page.click("#alarm-open")
            page.click("#advanced summary")
            page.click("#fav-save")
            page.click("#share")
        result = axe.run(page)
        found[step] = [(v["id"], v["impact"], len(v["nodes"]), v["nodes"][0]["target"])
                       for v in result.response["violations"]
                       if v["impact"] in ("serious", "critical")]
    assert found == {k: [] for k in found}, found
    # the focus order follows the page: play first, then the volume, then the sounds
    page.focus("#play")
    order = []
    for _ in range(3):
        page.keyboard.press("Tab")
        order.append(page.evaluate("document.activeElement.id"))
    assert order == ["volume", "share", "fav-save"], order
    assert not errors, errors
