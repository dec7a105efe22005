"""A live HLS broadcast played in Debian's headless Chromium through the vendored hls.js.

The page loads the Opus rendition (fMP4) from a plain static web server, plays it in
an <audio> element routed through an AnalyserNode, and the test waits until the
element's clock has advanced by 6 s with audible output and no fatal hls.js error.
Needs playwright and /usr/bin/chromium; skipped without them.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from stream_check import Broadcast, StaticServer

from test_server_support import tiny_scene

sync_api = pytest.importorskip("playwright.sync_api")
CHROMIUM = os.environ.get("SOUNDSCAPE_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--autoplay-policy=no-user-gesture-required"]
HLS_JS = Path(__file__).resolve().parent.parent / "soundscape" / "web" / "vendor" / "hls.min.js"
pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"no {CHROMIUM}")

PAGE = """<!doctype html>
<meta charset="utf-8"><title>HLS test</title>
<audio id="a"></audio>
<script src="hls.min.js"></script>
<script>
const st = window.st = {error: null, started: null, time: 0, peakDb: -200, levelDb: -200,
                        opus: MediaSource.isTypeSupported('audio/mp4; codecs="opus"'),
                        aac: MediaSource.isTypeSupported('audio/mp4; codecs="mp4a.40.2"'),
                        level: null};
const a = document.getElementById("a");
const ctx = new AudioContext();
const analyser = ctx.createAnalyser();
ctx.createMediaElementSource(a).connect(analyser);
analyser.connect(ctx.destination);
const hls = new Hls({liveSyncDurationCount: 2});
hls.on(Hls.Events.ERROR, (e, d) => { if (d.fatal) st.error = d.type + ": " + d.details; });
hls.on(Hls.Events.LEVEL_LOADED, (e, d) => { st.level = d.details.targetduration; });
hls.on(Hls.Events.MANIFEST_PARSED, () => {
  ctx.resume();
  a.play().catch(err => { st.error = "play: " + err; });
});
hls.loadSource(SRC);
hls.attachMedia(a);
const buf = new Float32Array(analyser.fftSize);
setInterval(() => {
  if (st.started === null && a.currentTime > 0) st.started = a.currentTime;
  st.time = a.currentTime;
  analyser.getFloatTimeDomainData(buf);
  let sum = 0;
  for (const x of buf) sum += x * x;
  st.levelDb = 10 * Math.log10(sum / buf.length + 1e-20);
  if (a.currentTime > 0 && !a.paused) st.peakDb = Math.max(st.peakDb, st.levelDb);
}, 50);
</script>
"""


def test_chromium_plays_the_opus_rendition_with_hls_js(tmp_path, bank):
    scene = tmp_path / "tiny.toml"
    scene.write_text(tiny_scene())
    root = tmp_path / "site"
    root.mkdir()
    shutil.copy(HLS_JS, root / "hls.min.js")
    (root / "index.html").write_text(PAGE.replace("SRC", '"hls/tiny/opus/index.m3u8"'))
    cast = Broadcast(str(scene), "--hls", str(root / "hls"), "--hls-segment", "2s")
    web = StaticServer(root)
    try:
        cast.wait_for("writing ", 90)
        # a live stream needs a few segments before a player starts
        Broadcast.wait_until(lambda: len(list((root / "hls" / "tiny" / "opus")
                                              .glob("seg*.m4s"))) >= 3, 60)
        with sync_api.sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            try:
                page = browser.new_page()
                errors: list[str] = []
                page.on("pageerror", lambda e: errors.append(str(e)))
                page.goto(web.url + "/index.html")
                assert page.evaluate("Hls.isSupported() && window.st.opus")
                page.wait_for_function(
                    "window.st.error !== null || (window.st.started !== null"
                    " && window.st.time - window.st.started >= 6)", timeout=60_000)
                st = page.evaluate("({...window.st})")
            finally:
                browser.close()
    finally:
        web.close()
        code = cast.stop()
    assert st["error"] is None and not errors, (st, errors)
    assert st["level"] == 2  # the media playlist's target duration, seen by hls.js
    assert st["time"] - st["started"] >= 6
    assert -45 < st["peakDb"] < -3, st  # audible: the scene plays near -23 LUFS
    assert code == 0, cast.text
