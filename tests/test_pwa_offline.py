"""The installable player and its offline and lock-screen paths (issue 17 parts 3-4).

* A loop download (``loop=1``, soundscape/mixdown.py) joins end to start within the
  signal's own sample-to-sample range (no click), where a plain render does not.
* In Debian's headless Chromium (Playwright): the manifest with name and icons, the
  service worker registered and controlling the page, a kept mix played in a loop
  for more than two passes with no silent quantum and no step at the join larger than
  the file's own, the page opening again with the server gone (offline), and the
  media-element path playing the server's HLS with Media Session metadata and working
  play/pause/stop handlers.

Needs playwright and chromium for the browser test; skipped without them.
"""

from __future__ import annotations

import json
import re
import shutil
import urllib.request
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from soundscape.mixdown import LoopFold, MixRequest, parse_mix_query, render_mix
from soundscape.scene import load_scene
from test_server_support import ROOT, ServerProcess, tiny_scene

WEB = ROOT / "soundscape" / "web"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--autoplay-policy=no-user-gesture-required"]


def _join_and_steps(x: np.ndarray, start: int, frames: int) -> tuple[np.ndarray, np.ndarray]:
    """The step across the loop's join (last frame -> first) and the largest step
    inside the loop, per channel."""
    loop = x[start:start + frames]
    return np.abs(loop[0] - loop[-1]), np.abs(np.diff(loop, axis=0)).max(axis=0)


def _blend(x: np.ndarray, start: int, frames: int) -> np.ndarray:
    """offline.js seamless(): the loop's last pad frames blended into the frames just
    before its start (a lossy codec's repeat is not bit-identical)."""
    x = x.copy()
    pad = min(start, frames // 8)
    w = ((np.arange(pad) + 0.5) / pad)[:, None]
    end = start + frames
    x[end - pad:end] = x[end - pad:end] * (1 - w) + x[start - pad:start] * w
    return x


@pytest.fixture
def brown(tmp_path: Path):
    """A scene whose sound is brown noise only: small steps from sample to sample, so
    a jump at a join stands out (pink noise would hide one)."""
    path = tmp_path / "tiny.toml"
    path.write_text(tiny_scene())
    return load_scene(path)


@pytest.mark.parametrize("fmt", ["flac", "opus"])
def test_a_loop_download_joins_without_a_click(tmp_path, brown, bank, fmt):
    request = parse_mix_query({"scene": "tiny", "duration": "10s", "format": fmt,
                               "mute": "hiss", "loop": "1"})
    assert request.loop and request.filename() == f"tiny-10s-loop.{fmt}"
    out = tmp_path / request.filename()
    frames = render_mix(brown, request, out, bank)
    x, rate = sf.read(str(out), dtype="float64")
    pad, total = request.loop_pad(rate), request.total_frames(rate)
    assert (pad, total) == (4800, 480000) and frames == len(x) == total + 2 * pad
    if fmt == "flac":  # exact: the fold itself joins, read straight from the file
        join, steps = _join_and_steps(x, pad, total)
        assert (join <= steps).all(), (join, steps)
        # the pad after the loop repeats the loop's start (any window of `total` frames
        # that starts in the first 2 * pad frames is the same loop)
        assert np.abs(x[total:total + 2 * pad] - x[:2 * pad]).max() < 1e-4
    # any decoder offset within the pads still joins once blended as the player does
    for start in (pad, pad - 312, pad + 312, 1, 2 * pad):
        join, steps = _join_and_steps(_blend(x, start, total), start, total)
        assert (join <= steps).all(), (fmt, start, join, steps)
    # the same render without loop=1 does click: the check has teeth
    plain = tmp_path / f"plain.{fmt}"
    render_mix(brown, MixRequest("tiny", 10.0, fmt, muted=frozenset({"hiss"})), plain, bank)
    y, _ = sf.read(str(plain), dtype="float64")
    join, steps = _join_and_steps(y, 0, len(y))
    assert (join > steps).any(), (join, steps)


def test_loop_fold_is_block_size_independent():
    rng = np.random.default_rng(1)
    signal = rng.standard_normal((2, 3000)).astype(np.float32)

    def source():
        at = [0]

        def pull(n: int) -> np.ndarray:
            a = at[0]
            at[0] += n
            return signal[:, a:a + n].copy()
        return pull

    outs = []
    for block in (1, 7, 256, 2600):
        fold = LoopFold(source(), 2000, 400, 100)
        parts, done = [], 0
        while done < 2200:
            n = min(block, 2200 - done)
            parts.append(fold.pull(n))
            done += n
        outs.append(np.concatenate(parts, axis=1))
    for out in outs[1:]:
        np.testing.assert_array_equal(out, outs[0])
    out = outs[0]
    np.testing.assert_array_equal(out[:, :1600], signal[:, 400:2000])  # before the fold
    np.testing.assert_array_equal(out[:, 2000:], out[:, :200])  # the pad repeats the start
    with pytest.raises(ValueError, match="do not fit"):
        LoopFold(source(), 100, 50, 30)


def test_bad_loop_value_is_named():
    from soundscape.mixdown import DownloadError
    with pytest.raises(DownloadError, match="loop: 'yes' is not 0 or 1"):
        parse_mix_query({"scene": "tiny", "duration": "10s", "loop": "yes"})


def test_the_service_worker_caches_every_module_the_page_loads():
    """sw.js's SHELL lists every ES module reachable from app.js, the worklets the
    modules load and the files index.html and the manifest name."""
    shell = set(re.findall(r"'([^']+)'", re.search(r"const SHELL = \[(.*?)\];",
                                                   (WEB / "sw.js").read_text(), re.S).group(1)))
    wanted, todo = {"index.html", "app.js"}, ["app.js"]
    while todo:
        text = (WEB / todo.pop()).read_text()
        for name in re.findall(r"""(?:from|import)\s*\(?\s*['"]\./([\w.-]+\.js)['"]""", text):
            if name not in wanted:
                wanted.add(name)
                todo.append(name)
        wanted.update(re.findall(r"""addModule\(\s*['"]\.?/?([\w.-]+\.js)['"]""", text))
        wanted.update(re.findall(r"""['"](vendor/[\w.-]+\.js)['"]""", text))
    html = (WEB / "index.html").read_text()
    wanted.update(re.findall(r'(?:href|src)="([\w.-]+\.(?:css|js|svg|webmanifest))"', html))
    manifest = json.loads((WEB / "manifest.webmanifest").read_text())
    wanted.update(icon["src"] for icon in manifest["icons"])
    assert wanted <= shell, f"missing from SHELL in sw.js: {sorted(wanted - shell)}"
    assert all((WEB / name).is_file() for name in shell - {"./"}), shell


def _get(url: str) -> tuple[dict[str, str], bytes]:
    with urllib.request.urlopen(url, timeout=10) as r:
        return dict(r.headers), r.read()


@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"no {CHROMIUM}")
@pytest.mark.parametrize("size", [(1280, 800), (390, 844)], ids=lambda s: f"{s[0]}x{s[1]}")
def test_installable_offline_and_lock_screen_paths(tmp_path, size):
    sync_api = pytest.importorskip("playwright.sync_api")
    from test_player_features import LAYOUT  # needs playwright too
    scenes = tmp_path / "scenes"
    scenes.mkdir()
    (scenes / "tiny.toml").write_text(tiny_scene())
    srv = ServerProcess(scenes, tmp_path / "bank", "--hls", str(tmp_path / "hls"),
                        "--hls-segment", "2s")
    try:
        srv.wait_ready(["tiny"])
        # the manifest and the worker, as the server sends them
        headers, body = _get(srv.http + "/manifest.webmanifest")
        manifest = json.loads(body)
        assert headers["Content-Type"] == "application/manifest+json"
        assert manifest["name"] == "soundscape" and manifest["display"] == "standalone"
        sizes = {icon["sizes"] for icon in manifest["icons"]}
        assert {"192x192", "512x512"} <= sizes
        for icon in manifest["icons"]:
            h, data = _get(srv.http + "/" + icon["src"])
            if icon["type"] == "image/png":
                assert data[:8] == b"\x89PNG\r\n\x1a\n" and h["Content-Type"] == "image/png"
                w, hgt = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
                assert f"{w}x{hgt}" == icon["sizes"]
        headers, _ = _get(srv.http + "/sw.js")
        assert headers["Service-Worker-Allowed"] == "/" and "no-cache" in headers["Cache-Control"]
        assert _get(srv.http + "/vendor/hls.min.js")[1][:200]

        with sync_api.sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            try:
                context = browser.new_context(viewport={"width": size[0], "height": size[1]},
                                              has_touch=size[0] < 500)
                page = context.new_page()
                errors: list[str] = []
                page.on("pageerror", lambda e: errors.append(str(e)))
                page.goto(srv.http + "/")
                page.wait_for_function("document.querySelectorAll('#scenes [data-scene]').length"
                                       " >= 1 && window.soundscape.app", timeout=15_000)
                assert page.evaluate("window.soundscape.app.state") == "registered"
                page.wait_for_function("navigator.serviceWorker.controller !== null"
                                       " && navigator.serviceWorker.controller.state"
                                       " === 'activated'", timeout=15_000)
                assert page.evaluate("document.querySelector('link[rel=manifest]').href") \
                    .endswith("/manifest.webmanifest")

                # the media-element path: HLS through <audio>, Media Session actions
                # the option sits in the Advanced panel (a <details>) where the page has one
                page.evaluate("document.getElementById('advanced') &&"
                              " (document.getElementById('advanced').open = true)")
                page.select_option("#media-path", "on")
                page.click("[data-scene='tiny']")
                for _ in range(300):  # the live stream lists its first segments
                    if (tmp_path / "hls" / "tiny" / "master.m3u8").exists():
                        break
                    page.wait_for_timeout(200)
                page.click("#play")
                page.wait_for_function("window.soundscape.media.state === 'playing'"
                                       " && window.soundscape.media.currentTime > 2",
                                       timeout=60_000)
                media = page.evaluate("""() => ({engine: window.soundscape.media.engine,
                    title: navigator.mediaSession.metadata.title,
                    art: navigator.mediaSession.metadata.artwork.length,
                    session: navigator.mediaSession.playbackState,
                    stream: window.soundscape.state})""")
                assert media == {"engine": "hls.js", "title": "Tiny tiny", "art": 2,
                                 "session": "playing", "stream": "idle"}, media
                assert page.get_attribute("#play", "aria-pressed") == "true"
                page.evaluate("window.soundscape.media.actions.pause()")
                page.wait_for_function("window.soundscape.media.state === 'paused'"
                                       " && navigator.mediaSession.playbackState === 'paused'",
                                       timeout=5_000)
                paused_at = page.evaluate("window.soundscape.media.currentTime")
                page.wait_for_timeout(1000)
                assert page.evaluate("window.soundscape.media.currentTime") == paused_at
                page.evaluate("window.soundscape.media.actions.play()")
                page.wait_for_function(f"window.soundscape.media.state === 'playing' &&"
                                       f" window.soundscape.media.currentTime > {paused_at}",
                                       timeout=20_000)
                page.evaluate("window.soundscape.media.actions.stop()")
                page.wait_for_function("window.soundscape.media.state === 'idle'", timeout=5_000)
                assert page.get_attribute("#play", "aria-pressed") == "false"
                page.select_option("#media-path", "off")

                # keep a 10 s loop of the mix and play it: more than two passes, no
                # silent quantum, no step heard larger than the file's own
                # (brown noise alone: its small steps would show any click at the join)
                page.evaluate("window.soundscape.offline.keep(10, 'scene=tiny&mute=hiss')")
                page.wait_for_function("window.soundscape.offline.kept.length === 1",
                                       timeout=120_000)
                kept = page.evaluate("window.soundscape.offline.kept[0]")
                assert kept["title"] == "Tiny tiny" and kept["seconds"] == 10, kept
                assert (kept["loopStart"], kept["loopFrames"], kept["rate"]) == (4800, 480000,
                                                                                  48000)

                # offline: the server is gone; the page opens from the worker's cache
                srv.stop()
                context.set_offline(True)
                page.reload()
                page.wait_for_function("window.soundscape && window.soundscape.offline"
                                       " && window.soundscape.offline.kept.length === 1",
                                       timeout=15_000)
                assert page.is_visible("#play") and page.is_visible("#offline-panel")
                page.click("[data-kept-play]")
                page.wait_for_function("window.soundscape.offline.player.stats.passes >= 2.2",
                                       timeout=60_000)
                stats = page.evaluate("({...window.soundscape.offline.player.stats})")
                assert stats["silent"] == 0 and stats["ended"] == 0, stats
                assert stats["error"] is None, stats
                assert stats["loopFrames"] == 480000 and stats["rate"] == 48000, stats
                # the largest step heard (joins included) is no larger than the largest
                # inside the file, at the page's volume
                volume = page.evaluate("window.soundscape.currentMix().volume")
                assert 0 < stats["maxStep"] <= stats["fileMaxStep"] * volume * 1.01, stats
                print("kept loop in Chromium:", stats)
                assert page.get_attribute("[data-kept-play]", "aria-pressed") == "true"
                assert page.evaluate("[navigator.mediaSession.metadata.title,"
                                     " navigator.mediaSession.metadata.album]") \
                    == ["Tiny tiny", "kept for offline"]
                # the page's volume and sleep timer hold: the gain follows the slider,
                # and a 2 s timer fades it out and stops the loop
                page.fill("#volume", "0.4")
                page.dispatch_event("#volume", "input")
                page.wait_for_function("Math.abs(window.soundscape.offline.player.gain.gain"
                                       ".value - 0.4) < 0.01", timeout=5_000)
                page.evaluate("window.soundscape.sleep(2, 1)")
                page.wait_for_function("window.soundscape.offline.player.playing === null",
                                       timeout=10_000)
                assert page.evaluate("window.soundscape.sleepLeft") is None
                assert page.get_attribute("[data-kept-play]", "aria-pressed") == "false"
                # played again, and stopped by its button; on a phone the panel fits and
                # axe-core finds nothing serious (the option open in Advanced too)
                page.click("[data-kept-play]")
                page.wait_for_function("window.soundscape.offline.player.playing !== null",
                                       timeout=10_000)
                page.set_viewport_size({"width": 390, "height": 844})
                page.evaluate("document.getElementById('advanced') &&"
                              " (document.getElementById('advanced').open = true)")
                layout = page.evaluate(LAYOUT)
                panel = [e for e in layout["outside"] + layout["small"]
                         if re.search(r"keep|kept|media-path|offline", e)]
                assert not panel, layout
                try:
                    from axe_playwright_python.sync_playwright import Axe
                except ImportError:
                    Axe = None
                if Axe is not None:
                    found = [(v["id"], v["impact"], v["nodes"][0]["target"])
                             for v in Axe().run(page).response["violations"]
                             if v["impact"] in ("serious", "critical")]
                    assert not found, found
                page.click("[data-kept-play]")
                page.wait_for_function("window.soundscape.offline.player.playing === null",
                                       timeout=5_000)
                assert not errors, errors
            finally:
                browser.close()
    finally:
        srv.stop()
