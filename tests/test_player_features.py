"""The web player's keep-it features in Debian's headless Chromium (Playwright):
the 390 px phone layout, share links, favourites and the last mix in localStorage,
per-scene artwork, Media Session, and the download button.

Needs the `playwright` Python package and /usr/bin/chromium; skipped without them.
Screenshots go to pytest's tmp_path (the path is printed).
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from test_browser_player import ARGS, CHROMIUM, _wait

from test_server_support import ROOT, ServerProcess, tiny_scene

sync_api = pytest.importorskip("playwright.sync_api")
pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"no {CHROMIUM}")

SHIPPED = sorted(p.stem for p in (ROOT / "scenes").glob("*.toml"))
LONG = "x" * 64  # the longest layer name a scene may have, with nowhere to break
STRESS = tiny_scene("stress").replace('name = "hum"', f'name = "{LONG}"').replace(
    'title = "Tiny stress"',
    'title = "A scene whose title goes on and on well past any phone width"\n'
    'tags = ["one", "two", "three", "four", "five", "six", "seven", "eight"]')

# every element's box against the viewport, and the touch targets that are too small
LAYOUT = """() => {
  const W = document.documentElement.clientWidth, out = [], small = [];
  for (const e of document.querySelectorAll('body *')) {
    const r = e.getBoundingClientRect();
    if (!r.width || getComputedStyle(e).visibility === 'hidden') continue;
    if (r.right > W + 0.5 || r.left < -0.5)
      out.push(`${e.tagName}#${e.id}.${e.className} ${Math.round(r.left)}..${Math.round(r.right)}`);
    if (e.matches('button, select, input[type=text], input[type=number], input[type=range], label.mute')
        && r.height < 43.5) small.push(`${e.tagName}#${e.id}.${e.className} h=${r.height}`);
  }
  return {scrollWidth: document.documentElement.scrollWidth, width: W, outside: out, small};
}"""


@pytest.fixture
def server(tmp_path: Path) -> Iterator[ServerProcess]:
    scenes = tmp_path / "scenes"
    scenes.mkdir()
    (scenes / "tiny.toml").write_text(
        tiny_scene().replace("description =", 'tags = ["rain", "test"]\ndescription =', 1))
    (scenes / "other.toml").write_text(tiny_scene("other", seed=2))
    srv = ServerProcess(scenes, tmp_path / "bank")
    try:
        srv.wait_ready(["tiny", "other"])
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


def _page(browser, url: str, errors: list[str], **context):
    ctx = browser.new_context(**context)
    page = ctx.new_page()
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(url)
    _wait(page, "document.querySelectorAll('#scenes [data-scene]').length >= 1", 15)
    return page


def _slide(page, layer: str, db: int) -> None:
    page.fill(f"#g-{layer}", str(db))
    page.dispatch_event(f"#g-{layer}", "input")


def _mix_heard(page, srv: ServerProcess, want: dict, timeout: float = 15) -> None:
    """The restored mix plays: mixed on the page from the stems (the default once a
    layer differs from the scene) with no server-side personal mix, or else by the
    server as a personal mix with these values."""
    if page.evaluate("window.soundscape.mixMode") != "stems":
        _personal(srv, want, timeout)
        return
    _wait(page, "window.soundscape.stems !== null && window.soundscape.played >= 2", timeout)
    status = srv.get("/api/status")
    channel = next(c for c in status["channels"] if c["scene"] == want.get("scene", "tiny"))
    assert channel["stem_listeners"] >= 1 and status["personal_mixes"] == 0, status
    assert sorted(page.evaluate("window.soundscape.stems.names")) == ["hiss", "hum"]


def _personal(srv: ServerProcess, want: dict, timeout: float = 10) -> dict:
    deadline = time.monotonic() + timeout
    personal: list = []
    while time.monotonic() < deadline:
        personal = srv.get("/api/status?detail=1")["personal"]
        if personal and all(personal[0].get(k) == v for k, v in want.items()):
            return personal[0]
        time.sleep(0.2)
    pytest.fail(f"server never had the personal mix {want}: {personal}")


def test_phone_layout_390_no_overflow_and_desktop_1280(tmp_path, browser):
    scenes = tmp_path / "scenes"
    scenes.mkdir()
    for name in SHIPPED:
        shutil.copy(ROOT / "scenes" / f"{name}.toml", scenes)
    (scenes / "zz-stress.toml").write_text(STRESS)
    srv = ServerProcess(scenes, tmp_path / "bank")  # the layout needs the list, not the audio
    try:
        errors: list[str] = []
        for width, height in ((390, 844), (1280, 900)):
            page = _page(browser, srv.http + "/", errors,
                         viewport={"width": width, "height": height}, has_touch=width < 500)
            _wait(page, f"document.querySelectorAll('#scenes [data-scene]').length === "
                        f"{len(SHIPPED) + 1}", 15)
            for scene in (SHIPPED[0], "zz-stress"):  # a real scene, then the worst case
                page.click(f"[data-scene='{scene}']")
                page.click("#share")  # the share box (a long URL) is part of the layout
                _wait(page, "document.getElementById('share-url').value.length > 0", 5)
                shot = tmp_path / f"player-{width}-{scene}.png"
                page.screenshot(path=str(shot), full_page=True)
                print(f"screenshot: {shot}")
                layout = page.evaluate(LAYOUT)
                assert layout["width"] == width
                assert layout["scrollWidth"] <= width, layout
                assert layout["outside"] == [], layout
                rows = page.evaluate("""() => [...document.querySelectorAll('.layer')].map(r => {
                    const n = r.querySelector('.name').getBoundingClientRect(),
                          s = r.querySelector('input[type=range]').getBoundingClientRect();
                    return {slider_below: s.top >= n.bottom - 1, slider_w: s.width,
                            top: Math.round(r.getBoundingClientRect().top)};})""")
                assert rows, "no layer rows"
                # a card per sound: its name over a slider
                assert all(r["slider_below"] for r in rows), rows
                if width == 390:
                    assert layout["small"] == [], layout  # 44 px touch targets
                    assert all(r["slider_w"] > 300 for r in rows), rows  # one card a row
                elif len(rows) > 1:  # desktop: cards side by side
                    assert len({r["top"] for r in rows}) < len(rows), rows
            page.context.close()
        assert not errors, errors
    finally:
        srv.stop()


def test_share_link_restores_the_mix_and_hostile_links_are_harmless(server, browser):
    errors: list[str] = []
    page = _page(browser, server.http + "/", errors,
                 permissions=["clipboard-read", "clipboard-write"])
    page.click("[data-scene='tiny']")
    _slide(page, "hiss", -12)
    page.check("[data-mute=hum]")
    page.fill("#volume", "0.5")
    page.dispatch_event("#volume", "input")
    page.click("#share")
    _wait(page, "window.soundscape.shareCopied !== null", 5)
    url = page.evaluate("window.soundscape.lastShare")
    assert page.evaluate("window.soundscape.shareCopied") is True
    assert page.evaluate("navigator.clipboard.readText()") == url
    assert page.input_value("#share-url") == url
    query = parse_qs(urlsplit(url).query)
    assert query == {"scene": ["tiny"], "gains": ["hiss:-12"], "mute": ["hum"],
                     "volume": ["0.5"]}, query
    assert "token" not in url

    # a fresh browser (no storage) opening the link gets exactly that mix
    other = _page(browser, url, errors)
    _wait(other, "window.soundscape.restoredFrom === 'link'", 5)
    assert other.evaluate("window.soundscape.scene") == "tiny"
    assert other.input_value("#g-hiss") == "-12"
    assert other.is_checked("[data-mute=hum]")
    assert other.input_value("#volume") == "0.5"
    assert other.get_attribute("[data-scene='tiny']", "aria-pressed") == "true"
    assert urlsplit(other.url).query == ""  # a reload now restores the last mix instead
    other.click("#play")
    _wait(other, "window.soundscape.state === 'playing'", 15)
    _mix_heard(other, server, {"scene": "tiny", "gains": {"hiss": -12}, "muted": ["hum"]})
    print(f"time to first audio: {other.evaluate('window.soundscape.firstAudioMs')} ms")

    # hostile links: unknown layers ignored, gains clamped, junk ignored, no error
    junk = ",".join(["a:1"] * 300)  # the whole request line stays under websockets' 8 KiB
    for query, want in [
        ("scene=tiny&gains=hiss:999,nope:3,%25ZZ:1,hum:abc,:4,hiss&mute=,,nobody&volume=NaN",
         {"hiss": "12", "hum": "0", "volume": "0.8", "muted": False}),
        ("scene=tiny&gains=hiss:-1e9&volume=7", {"hiss": "-40", "volume": "1", "muted": False}),
        (f"scene=tiny&gains={junk}&mute={'hum,' * 1100}",  # mute= over 4096 characters: ignored
         {"hiss": "0", "muted": False}),
        ("scene=%3Cscript%3E&gains=hiss:-5", {"scene": "other", "hiss": "0"}),
        ("scene=tiny&gains=hiss:-7.6&mute=hum&volume=0.333",
         {"hiss": "-8", "volume": "0.33", "muted": True}),
    ]:
        bad = _page(browser, f"{server.http}/?{query}", errors)
        _wait(bad, "window.soundscape.restoredFrom !== null", 5)
        got = {"scene": bad.evaluate("window.soundscape.scene"),
               "hiss": bad.input_value("#g-hiss"), "hum": bad.input_value("#g-hum"),
               "volume": bad.input_value("#volume"), "muted": bad.is_checked("[data-mute=hum]")}
        assert {k: got[k] for k in want} == want, (query[:80], got)
        bad.context.close()
    assert not errors, errors


def test_favourites_and_last_mix_survive_a_reload_and_bad_storage(server, browser):
    errors: list[str] = []
    page = _page(browser, server.http + "/", errors)
    page.click("[data-scene='tiny']")
    _slide(page, "hum", 6)
    page.click("#fav-save")
    _wait(page, "document.querySelectorAll('#favs li').length === 1", 5)
    page.fill(".fav-name", "Night hum")
    page.dispatch_event(".fav-name", "change")
    page.click("[data-scene='other']")
    _slide(page, "hiss", -20)
    page.wait_for_function("""() => { const m = JSON.parse(localStorage.getItem('soundscape.last')) || {layers: {}};
        return m.scene === 'other' && m.layers.hiss && m.layers.hiss.gain_db === -20; }""",
                           timeout=5000)
    page.reload()
    _wait(page, "window.soundscape.restoredFrom === 'last'", 10)
    assert page.evaluate("window.soundscape.scene") == "other"
    assert page.input_value("#g-hiss") == "-20"
    favs = page.evaluate("window.soundscape.favourites")
    assert [(f["name"], f["scene"], f["layers"]) for f in favs] == \
        [("Night hum", "tiny", {"hum": {"gain_db": 6, "muted": False}})]
    # play the favourite: its scene and gains come back and reach the server
    page.click(".fav-play")
    _wait(page, "window.soundscape.state === 'playing'", 15)
    assert page.evaluate("window.soundscape.scene") == "tiny"
    assert page.input_value("#g-hum") == "6"
    _mix_heard(page, server, {"scene": "tiny", "gains": {"hum": 6}})
    page.click(".fav-remove")
    _wait(page, "document.querySelectorAll('#favs li').length === 0", 5)
    assert page.evaluate("localStorage.getItem('soundscape.favourites')") == "[]"
    page.context.close()

    # corrupt JSON, wrong shapes: ignored, the page starts clean
    bad = _page(browser, server.http + "/", errors)
    _wait(bad, "localStorage.getItem('soundscape.last') !== null", 5)  # its own save is done
    bad.evaluate("""() => { localStorage.setItem('soundscape.last', '{not json');
        localStorage.setItem('soundscape.favourites', JSON.stringify([null, 7, {scene: 5},
          {scene: 'tiny', name: 'ok', layers: {hiss: {gain_db: 'loud'}, nope: {}}, volume: 'x'}]));}""")
    bad.reload()
    _wait(bad, "window.soundscape.restoredFrom === 'none'", 10)
    favs = bad.evaluate("window.soundscape.favourites")
    assert [f["name"] for f in favs] == ["ok"]
    bad.click(".fav-play")
    _wait(bad, "window.soundscape.state === 'playing'", 15)
    assert bad.input_value("#g-hiss") == "0"
    bad.context.close()

    # storage that throws (quota full, or switched off): everything still works
    for script in (
        "Storage.prototype.setItem = function () { throw new DOMException('full', "
        "'QuotaExceededError'); };",
        "Object.defineProperty(window, 'localStorage', { get() { throw new DOMException("
        "'denied', 'SecurityError'); } });",
    ):
        ctx = browser.new_context()
        ctx.add_init_script(script)
        off = ctx.new_page()
        off.on("pageerror", lambda e: errors.append(str(e)))
        off.goto(server.http + "/?scene=tiny&gains=hiss:-3")
        _wait(off, "window.soundscape.restoredFrom === 'link'", 10)
        off.click("#fav-save")
        _wait(off, "window.soundscape.storageError !== null", 5)
        assert off.evaluate("window.soundscape.storageError") in ("QuotaExceededError",
                                                                  "SecurityError")
        assert "cannot be saved" in off.text_content("#fav-empty")
        assert off.evaluate("window.soundscape.favourites.length") == 1  # for this visit
        ctx.close()
    assert not errors, errors


def test_artwork_and_media_session(server, browser):
    errors: list[str] = []
    page = _page(browser, server.http + "/", errors)
    keys = page.evaluate("""async (names) => { const m = await import('/icons.js');
        return {shipped: names.map(n => m.iconKey({name: n, tags: []})),
                byTag: m.iconKey({name: 'mine', tags: ['Cozy', 'rain']}),
                none: m.iconKey({name: 'mine', tags: ['x']}), missing: m.iconKey(null)}; }""",
                         SHIPPED)
    assert len(set(keys["shipped"])) == len(SHIPPED) >= 16 and "generic" not in keys["shipped"]
    assert (keys["byTag"], keys["none"], keys["missing"]) == ("fire", "generic", "generic")
    srcs = page.eval_on_selector_all("#scenes img", "els => els.map(e => e.src)")
    assert len(srcs) == 2 and all(s.startswith("data:image/svg+xml") for s in srcs)
    assert page.evaluate("() => [...document.images].every(i => i.complete && i.naturalWidth > 0)")
    page.click("[data-scene='tiny']")
    assert page.get_attribute("#art", "src") == srcs[1]  # sorted: other, tiny (tag rain)
    assert srcs[0] != srcs[1]

    page.click("#play")
    _wait(page, "window.soundscape.state === 'playing'", 15)
    _wait(page, "navigator.mediaSession.metadata.artwork.some(a => a.type === 'image/png')", 10)
    meta = page.evaluate("""() => { const m = navigator.mediaSession.metadata;
        return {title: m.title, artist: m.artist, state: navigator.mediaSession.playbackState,
                art: m.artwork.map(a => [a.sizes, a.type, a.src.slice(0, 14)])}; }""")
    assert meta["title"] == "Tiny tiny" and meta["artist"] == "soundscape"
    assert meta["state"] == "playing"
    assert ["512x512", "image/png", "data:image/png"] in meta["art"]
    assert ["512x512", "image/svg+xml", "data:image/svg"] in meta["art"]
    assert sorted(page.evaluate("Object.keys(window.soundscape.mediaActions)")) == \
        ["nexttrack", "pause", "play", "previoustrack", "stop"]

    # the lock screen's pause pauses the stream (socket closed, worklet stopped)
    page.evaluate("window.soundscape.mediaActions.pause()")
    _wait(page, "window.soundscape.state === 'idle'", 5)
    assert page.evaluate("navigator.mediaSession.playbackState") == "paused"
    assert page.text_content("#play") == "Play"
    _wait(page, "window.soundscape.fill === 0", 5)
    deadline = time.monotonic() + 10
    while server.get("/api/status")["listeners"] != 0:
        assert time.monotonic() < deadline, "the stream stayed open after pause"
        time.sleep(0.2)
    page.evaluate("window.soundscape.mediaActions.play()")
    _wait(page, "window.soundscape.state === 'playing'", 15)
    page.evaluate("window.soundscape.mediaActions.nexttrack()")
    _wait(page, "navigator.mediaSession.metadata.title === 'Tiny other'", 10)
    assert page.evaluate("window.soundscape.scene") == "other"
    page.evaluate("window.soundscape.mediaActions.stop()")
    _wait(page, "window.soundscape.state === 'idle'", 5)
    assert not errors, errors


def test_download_button_renders_the_mix(server, browser, tmp_path):
    sf = pytest.importorskip("soundfile")
    errors: list[str] = []
    page = _page(browser, server.http + "/", errors, accept_downloads=True)
    page.click("[data-scene='tiny']")
    _slide(page, "hiss", -6)
    page.select_option("#dl-format", "flac")
    assert page.evaluate("document.querySelector('#dl-duration option[value=\"28800\"]')"
                         ".disabled") is True  # FLAC is capped at 1 h
    page.select_option("#dl-duration", "600")
    with page.expect_download(timeout=300_000) as info:
        page.click("#dl-start")
        _wait(page, "['unavailable', 'error', 'rendering', 'done']"
                    ".includes(window.soundscape.download.state)", 15)
        state = page.evaluate("window.soundscape.download")
        # 'unavailable' is the player's answer to a 404 from /api/download: a regression
        assert state["state"] not in ("unavailable", "error"), state
        _wait(page, "window.soundscape.download.state === 'done'", 300)
    out = tmp_path / info.value.suggested_filename
    info.value.save_as(out)
    assert out.name == "tiny-10m.flac"
    assert sf.info(str(out)).frames == 600 * 48000
    assert page.evaluate("document.getElementById('dl-progress').value") == 1
    assert not errors, errors
