"""soundscape/web/wire.js and transport.js in headless Chromium (Playwright, no download).

wire.js is the page's one reader of binary audio messages: these tests feed it messages
written by the server's own writer (soundscape/server/protocol.py) and the same bytes
with a wrong version byte or cut short, then play a wrong-version message into the
player page and check that it says so in plain words and stops. transport.js runs with
a fake socket and fake timers to check its backoff. The pages come from a small static
file server over soundscape/web (ES modules need http, not file://).
Needs the `playwright` Python package and /usr/bin/chromium; skipped without them.
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import json
import os
import threading
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from soundscape.server.protocol import PROTOCOL_VERSION, encode_audio, encode_stems

sync_api = pytest.importorskip("playwright.sync_api")
CHROMIUM = os.environ.get("SOUNDSCAPE_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--autoplay-policy=no-user-gesture-required"]
WEB = Path(__file__).resolve().parent.parent / "soundscape" / "web"
pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"no {CHROMIUM}")

READ = """async ([kind, bytes]) => {
  const wire = await import('/wire.js');
  try {
    const m = kind === 'stems' ? wire.readStems(new Uint8Array(bytes).buffer)
                               : wire.readAudio(new Uint8Array(bytes).buffer);
    const list = (frames) => frames.map((f) => [...f]);
    return {seq: m.seq, position: m.position,
            frames: m.frames ? list(m.frames) : null, stems: m.stems ? m.stems.map(list) : null};
  } catch (e) { return {error: e.name, code: e.code, message: e.message}; }
}"""


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 (stdlib name)
        pass


@pytest.fixture(scope="module")
def page() -> Iterator[object]:
    handler = functools.partial(_Quiet, directory=str(WEB))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        with sync_api.sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            pg = browser.new_page()
            pg.base = f"http://127.0.0.1:{httpd.server_address[1]}"  # type: ignore[attr-defined]
            pg.goto(pg.base + "/studio.css")  # any page of this origin: modules import from it
            yield pg
            browser.close()
    finally:
        httpd.shutdown()
        thread.join(10)


def _read(page, kind: str, data: bytes) -> dict:
    return page.evaluate(READ, [kind, list(data)])


def test_a_good_audio_message_reads_as_the_server_wrote_it(page):
    data = encode_audio(7, 2**40 + 3, [b"\x01\x02\x03", b"", b"\xff" * 300])
    got = _read(page, "audio", data)
    assert got == {"seq": 7, "position": 2**40 + 3, "stems": None,
                   "frames": [[1, 2, 3], [], [255] * 300]}


def test_a_good_stems_message_reads_each_stem_in_turn(page):
    data = encode_stems(4_000_000_000, 960, [[b"a", b"bc"], [b"d", b""]])
    got = _read(page, "stems", data)
    assert got == {"seq": 4_000_000_000, "position": 960, "frames": None,
                   "stems": [[[97], [98, 99]], [[100], []]]}


def test_a_wrong_version_byte_is_a_plain_error_not_audio(page):
    good = encode_audio(1, 0, [b"\x00\x01"])
    bad = bytes([PROTOCOL_VERSION + 1]) + good[1:]
    for kind in ("audio", "stems"):
        got = _read(page, kind, bad)
        assert got["error"] == "WireError" and got["code"] == "bad_audio", got
        assert got["message"] == (f"the server sends audio in protocol version {PROTOCOL_VERSION + 1}, "
                                  f"this page reads version {PROTOCOL_VERSION}: reload the page")
    assert _read(page, "audio", good)["frames"] == [[0, 1]]  # the reader keeps no state


def test_short_and_cut_messages_are_plain_errors(page):
    data = encode_audio(1, 0, [b"\x00" * 10])
    assert _read(page, "audio", data[:15])["message"] == (
        "an audio message of 15 bytes is too short (the header alone is 16)")
    assert _read(page, "audio", data[:17])["message"] == "an audio message ends inside a frame length"
    assert _read(page, "audio", data[:-1])["message"] == "an audio message ends inside a frame"


def test_pcm16_frames_become_planar_floats(page):
    got = page.evaluate("""async () => {
      const wire = await import('/wire.js');
      const frame = new Uint8Array(new Int16Array([32767, -32767, 0, 16384]).buffer);
      return wire.pcm16Channels(frame).map((c) => [...c]);
    }""")
    assert got == [[1.0, 0.0], [-1.0, float(np.float32(16384 / 32767))]]  # stored as float32


def test_transport_backs_off_and_starts_over(page):
    got = page.evaluate("""async () => {
      const { Transport, BACKOFF_MS } = await import('/transport.js');
      const sockets = [], timers = [], statuses = [];
      let clock = 0;
      const fake = (url) => {
        const s = { url, readyState: 0, sent: [], close(code) { this.readyState = 3; this.closedWith = code; },
                    send(text) { this.sent.push(text); } };
        sockets.push(s); return s;
      };
      const t = new Transport({
        url: () => `ws://x/${sockets.length}`, onText: () => {}, onBinary: () => {},
        onStatus: (s, d) => statuses.push([s, d]),
        onClose: (e) => e.code !== 4002,
        timers: { set: (f, ms) => { timers.push({ f, ms }); return timers.length; }, clear: () => {} },
        random: () => 0.5, now: () => clock, socket: fake,
      });
      const drop = (code = 1006) => { const s = sockets[sockets.length - 1]; s.readyState = 3; s.onclose({ code }); };
      const open = () => { const s = sockets[sockets.length - 1]; s.readyState = 1; s.onopen(); };
      t.start();
      for (let i = 0; i < 7; i++) { drop(); timers[timers.length - 1].f(); }
      const delays = timers.map((x) => x.ms);
      open(); clock = 6000; t.flowing();               // healthy for 6 s: backoff starts over
      const sent = t.send({ type: 'stats' });
      drop();
      const after = timers[timers.length - 1].ms;
      timers[timers.length - 1].f(); open();
      drop(4002);                                      // the server ended it: no retry
      const ended = t.status, nTimers = timers.length;
      t.start(); open(); t.stop();
      return { delays, after, ended, nTimers, sent, text: sockets[7].sent, last: t.status,
               backoff: BACKOFF_MS, sockets: sockets.length, reconnects: t.reconnects,
               stoppedWith: sockets[sockets.length - 1].closedWith };
    }""")
    assert got["delays"] == got["backoff"] + [got["backoff"][-1]]  # random 0.5: no jitter
    assert got["after"] == got["backoff"][0]
    assert got["sent"] is True and got["text"] == [json.dumps({"type": "stats"}, separators=(",", ":"))]
    assert got["ended"] == "idle" and got["nTimers"] == 8
    assert got["last"] == "idle" and got["stoppedWith"] == 1000
    assert got["sockets"] == 10 and got["reconnects"] == 8


RATE, FRAME_SIZE = 44100, 441  # a fake server's rate (the real one runs at 48 kHz)
LAYERS = [{"name": "hiss", "kind": "bed"}, {"name": "hum", "kind": "bed"}]
SCENES = [{"name": "tiny", "title": "Tiny", "description": "", "tags": [], "layers": LAYERS,
           "ready": True}]


def _hello(mode: str) -> str:
    return json.dumps({"type": "hello", "protocol": PROTOCOL_VERSION, "scene": "tiny",
                       "title": "Tiny", "mode": mode, "codec": "pcm16", "sample_rate": RATE,
                       "channels": 2, "frame_size": FRAME_SIZE, "frames_per_message": 1,
                       "layers": LAYERS})


@contextlib.contextmanager
def _player(page, query: str, on_socket) -> Iterator[object]:
    """The player page (pcm16) against a fake server: /api/scenes answers SCENES, every
    websocket goes to on_socket(ws); play is pressed. No page error may happen."""
    ctx = page.context.browser.new_context()
    player = ctx.new_page()
    errors: list[str] = []
    player.on("pageerror", lambda e: errors.append(str(e)))
    player.route("**/api/scenes", lambda route: route.fulfill(json=SCENES))
    player.route_web_socket("**/stream/**", on_socket)
    player.route_web_socket("**/stems/**", on_socket)
    player.goto(page.base + f"/index.html?codec=pcm16&{query}")
    player.wait_for_function("window.soundscape && window.soundscape.scene === 'tiny'", timeout=10_000)
    player.evaluate("window.soundscape.play()")
    try:
        yield player
        assert not errors, errors
    finally:
        ctx.close()


def _silence(seq: int, version: int = PROTOCOL_VERSION) -> bytes:
    data = encode_audio(seq, seq * FRAME_SIZE, [b"\x00\x00" * 2 * FRAME_SIZE])
    return bytes([version]) + data[1:]


def test_the_player_says_a_wrong_version_in_plain_words_and_stops(page):
    """The player page against a fake server whose audio is of another version."""
    connections: list[str] = []

    def on_socket(ws) -> None:
        connections.append(ws.url)
        for message in (_hello("broadcast"), _silence(0), _silence(1, PROTOCOL_VERSION + 1)):
            ws.send(message)

    with _player(page, "mix=server", on_socket) as player:
        player.wait_for_function("window.soundscape.state === 'error'", timeout=10_000)
        expected = (f"the server sends audio in protocol version {PROTOCOL_VERSION + 1}, "
                    f"this page reads version {PROTOCOL_VERSION}: reload the page")
        assert player.text_content("#state") == expected
        assert player.evaluate("window.soundscape.errors") == [{"code": "bad_audio", "message": expected}]
        assert player.get_attribute("#play", "aria-pressed") == "false"   # stopped, no retry loop
        assert player.evaluate("window.soundscape.hello.sample_rate") == RATE
        assert player.evaluate("window.soundscape.gaps") == 0   # the good message was read first
        assert player.evaluate("window.soundscape.reconnects") == 0 and len(connections) == 1


def _tone(frames: int, start: int) -> bytes:
    """pcm16 stereo at RATE: a 441 Hz tone at -20 dBFS peak, from stream frame `start`."""
    t = np.arange(start, start + frames) / RATE
    mono = np.round(0.1 * 32767 * np.sin(2 * np.pi * 441 * t)).astype("<i2")
    return np.repeat(mono, 2).tobytes()


@pytest.mark.parametrize("mode", ["server", "stems"])
def test_the_player_plays_at_the_rate_hello_names(page, mode):
    """A fake 44.1 kHz server: the page runs its audio graph at the hello's rate and frame
    size, for the broadcast and for stems alike (headless Chromium's own rate is 44.1
    kHz too, so the real 48 kHz server's tests cover the rebuild for another rate)."""
    count = 150  # 1.5 s of audio, sent at once

    def on_socket(ws) -> None:
        ws.send(_hello("stems" if mode == "stems" else "broadcast"))
        if mode == "stems":
            ws.send(json.dumps({"type": "stems", "stems": ["hiss", "hum"], "layers": LAYERS}))
        for seq in range(count):
            frame = _tone(FRAME_SIZE, seq * FRAME_SIZE)
            if mode == "stems":
                ws.send(encode_stems(seq, seq * FRAME_SIZE, [[frame], [frame]]))
            else:
                ws.send(encode_audio(seq, seq * FRAME_SIZE, [frame]))

    with _player(page, f"mix={mode}&sink=direct", on_socket) as player:
        player.wait_for_function("window.soundscape.played >= 1.0", timeout=30_000)
        state = player.evaluate("({...window.soundscape, hello: null, mediaActions: null})")
        assert state["gaps"] == 0 and state["errors"] == [], state
        assert state["firstAudioMs"] is not None and state["state"] in ("playing", "buffering"), state
        # the tone at -23 dBFS RMS per channel (two stems: +6 dB), at volume 0.8
        expected = -23.0 + (6.0 if mode == "stems" else 0.0) + 20 * np.log10(0.8)
        assert abs(state["levelDb"] - expected) < 1.5, (state["levelDb"], expected)
        if mode == "stems":
            assert sorted(state["stems"]["names"]) == ["hiss", "hum"]
            assert round(state["stems"]["frames"] / state["played"]) == RATE  # the worklet's rate
        # all of it played, at the hello's rate: 1.5 s (at 48 kHz it would last 1.378 s)
        player.wait_for_function("window.soundscape.underruns >= 1", timeout=30_000)
        assert abs(player.evaluate("window.soundscape.played") - count * FRAME_SIZE / RATE) < 0.005


def test_the_player_reconnects_after_the_server_drops_it(page):
    """The first connection is dropped after some audio: the page opens a second one
    to the same url (after the first backoff step) and plays on."""
    connections: list[str] = []

    def on_socket(ws) -> None:
        connections.append(ws.url)
        ws.send(_hello("broadcast"))
        for seq in range(60):
            ws.send(encode_audio(seq, seq * FRAME_SIZE, [_tone(FRAME_SIZE, seq * FRAME_SIZE)]))
        if len(connections) == 1:
            ws.close(code=1011, reason="gone")

    with _player(page, "mix=server&sink=direct", on_socket) as player:
        player.wait_for_function("window.soundscape.reconnects === 1", timeout=10_000)
        player.wait_for_function("window.soundscape.played >= 1.0", timeout=30_000)
        assert len(connections) == 2 and connections[0] == connections[1], connections
        assert player.evaluate("window.soundscape.errors") == []
        assert player.evaluate("window.soundscape.state") in ("playing", "buffering")


def test_the_studio_says_a_wrong_version_in_plain_words(page):
    """studio.js reads audio with wire.js too: a wrong version is a notice, not noise."""
    studio_hello = {"type": "studio", "protocol": PROTOCOL_VERSION, "file": "tiny.toml",
                    "scenes": ["tiny.toml"], "text": "", "sample_rate": RATE, "channels": 2,
                    "frame_size": FRAME_SIZE, "max_upload_bytes": 1}
    sockets: list = []

    def on_socket(ws) -> None:
        sockets.append(ws)
        ws.on_message(lambda message: None)   # the page's stats: not answered
        ws.send(json.dumps(studio_hello))

    ctx = page.context.browser.new_context()
    studio = ctx.new_page()
    errors: list[str] = []
    studio.on("pageerror", lambda e: errors.append(str(e)))
    studio.route_web_socket("**/studio/ws**", on_socket)
    try:
        studio.goto(page.base + "/studio.html")
        studio.wait_for_function("window.studio && window.studio.hello !== null", timeout=10_000)
        studio.click("#play")
        # audio before the page's player exists is dropped: send until it is read
        for seq in range(300):
            sockets[0].send(_silence(seq, PROTOCOL_VERSION + 1))
            if studio.evaluate("window.studio.errors.length") > 0:
                break
            studio.wait_for_timeout(50)
        expected = (f"the server sends audio in protocol version {PROTOCOL_VERSION + 1}, "
                    f"this page reads version {PROTOCOL_VERSION}: reload the page")
        assert studio.evaluate("window.studio.errors") == [{"code": "bad_audio", "message": expected}]
        assert studio.text_content("#notice") == expected
        assert studio.text_content("#state") == "error"
        sockets[0].send(_silence(999, PROTOCOL_VERSION + 1))   # said once, not per message
        sockets[0].send(json.dumps({"type": "text", "text": "# read after it"}))
        studio.wait_for_function("window.studio.text === '# read after it'", timeout=10_000)
        assert len(studio.evaluate("window.studio.errors")) == 1
        assert len(studio.evaluate("window.studio.notices")) == 1
        assert not errors, errors
    finally:
        ctx.close()
