"""The /stream protocol against a real server process, with websockets clients."""

from __future__ import annotations

import asyncio
import json
import re
import time
import urllib.error
import urllib.request

import numpy as np
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from soundscape.server.codec import Decoder
from soundscape.server.protocol import decode_audio
from test_server_support import ServerProcess, serve, tiny_scene

__all__ = ["serve"]  # a fixture: the tests name it as an argument


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    root = tmp_path_factory.mktemp("serve")
    scenes = root / "scenes"
    scenes.mkdir()
    (scenes / "tiny.toml").write_text(tiny_scene("tiny", 1))
    (scenes / "other.toml").write_text(tiny_scene("other", 2))
    (scenes / "reload.toml").write_text(tiny_scene("reload", 3))
    (scenes / "broken.toml").write_text('title = 5\n[[layers]]\nname = "x"\n')
    srv = ServerProcess(scenes, root / "bank", "--max-personal", "2",
                        "--reload-interval", "0.5")
    try:
        srv.wait_ready(["tiny", "other", "reload"])
        yield srv
    finally:
        srv.stop()


class Client:
    """Collects one connection's messages: JSON replies and decoded audio blocks."""

    def __init__(self, ws, codec: str):
        self.ws = ws
        self.decoder = Decoder(codec)
        self.hello: dict | None = None
        self.json: list[dict] = []
        self.seqs: list[int] = []
        self.blocks: list[np.ndarray] = []
        self.first_audio: float | None = None

    async def run(self, seconds: float, started: float) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            try:
                msg = await asyncio.wait_for(self.ws.recv(), max(0.01, deadline - time.monotonic()))
            except TimeoutError:
                break
            if isinstance(msg, str):
                data = json.loads(msg)
                if data["type"] == "hello":
                    self.hello = data
                else:
                    self.json.append(data)
                continue
            if self.first_audio is None:
                self.first_audio = time.monotonic() - started
            audio = decode_audio(msg)
            self.seqs.append(audio.seq)
            self.blocks.append(np.concatenate([self.decoder.decode(f) for f in audio.frames],
                                              axis=1))

    def audio_seconds(self) -> float:
        return sum(b.shape[1] for b in self.blocks) / 48000

    def contiguous(self) -> bool:
        return all(b - a == 1 for a, b in zip(self.seqs, self.seqs[1:], strict=False))

    def rms_db(self, first: int, last: int | None = None) -> float:
        x = np.concatenate(self.blocks[first:last], axis=1)
        return 20 * np.log10(np.sqrt(np.mean(x.astype(np.float64) ** 2)) + 1e-12)


async def _open(server, scene: str, codec: str):
    return await connect(f"{server.ws}/stream/{scene}?codec={codec}", max_size=2**22)


def test_http_routes(server):
    scenes = server.get("/api/scenes")
    assert {s["name"] for s in scenes} == {"tiny", "other", "reload"}  # broken is skipped
    tiny = next(s for s in scenes if s["name"] == "tiny")
    assert tiny["title"] == "Tiny tiny" and [layer["name"] for layer in tiny["layers"]] == [
        "hiss", "hum"]
    status = server.get("/api/status")
    assert "broken" in status["scene_errors"] and "title" in status["scene_errors"]["broken"]
    assert {"uptime_s", "listeners", "channels", "underruns"} <= set(status)
    with urllib.request.urlopen(server.http + "/", timeout=10) as r:
        page, page_type = r.read(), r.headers["Content-Type"]
    # the player page: HTML that loads the player script (which starts the AudioWorklet)
    assert page_type.startswith("text/html") and b'<script type="module" src="app.js">' in page
    # app.js and the ES modules it imports (followed from the page's script) are served
    # as JavaScript, and one of them starts the AudioWorklet
    sources, todo = {}, ["app.js"]
    while todo:
        name = todo.pop()
        with urllib.request.urlopen(f"{server.http}/{name}", timeout=10) as r:
            assert "javascript" in r.headers["Content-Type"], name
            sources[name] = r.read().decode()
        todo += [m for m in re.findall(r"""from\s+['"]\./([\w.-]+\.js)['"]""", sources[name])
                 if m not in sources and m not in todo]
    assert any("audioWorklet" in text for text in sources.values()), sorted(sources)
    with urllib.request.urlopen(server.http + "/worklet.js", timeout=10) as r:
        assert "javascript" in r.headers["Content-Type"]
    with pytest.raises(urllib.error.HTTPError) as e:
        urllib.request.urlopen(server.http + "/../pyproject.toml", timeout=10)
    assert e.value.code == 404


def test_unknown_scene_and_codec_are_refused(server):
    async def main():
        with pytest.raises(InvalidStatus) as e:
            await _open(server, "nowhere", "opus")
        assert e.value.response.status_code == 404
        with pytest.raises(InvalidStatus) as e:
            await _open(server, "tiny", "mp3")
        assert e.value.response.status_code == 400

    asyncio.run(main())


def test_stream_continuity_personal_mute_and_errors(server):
    """Three clients at once for 6 s: an Opus listener (continuity), a PCM listener
    that mutes a layer (level drops), and one that sends garbage (errors, stream goes on)."""

    async def main():
        t0 = time.monotonic()
        ws_a, ws_b, ws_c = await asyncio.gather(
            _open(server, "tiny", "opus"), _open(server, "tiny", "pcm16"),
            _open(server, "tiny", "opus"))
        a, b, c = Client(ws_a, "opus"), Client(ws_b, "pcm16"), Client(ws_c, "opus")

        async def mute_after(delay: float) -> None:
            await asyncio.sleep(delay)
            await ws_b.send(json.dumps({"type": "mute", "layer": "hiss", "muted": True}))

        async def garbage_after(delay: float) -> None:
            await asyncio.sleep(delay)
            await ws_c.send("{not json")
            await ws_c.send(json.dumps({"type": "dance"}))
            await ws_c.send(json.dumps({"type": "ping", "pad": "x" * 20000}))
            await ws_c.send(json.dumps({"type": "gain", "layer": "nope", "db": -3}))
            await ws_c.send(json.dumps({"type": "ping", "id": 42}))

        await asyncio.gather(a.run(6.0, t0), b.run(6.0, t0), c.run(6.0, t0),
                             mute_after(3.0), garbage_after(1.5))
        for ws in (ws_a, ws_b, ws_c):
            await ws.close()
        return a, b, c

    a, b, c = asyncio.run(main())
    for client in (a, b, c):
        assert client.hello["protocol"] == 1 and client.hello["sample_rate"] == 48000
        assert client.first_audio is not None  # how soon: bench/startup.py, stream_load.py
        print(f"first audio: {client.first_audio:.2f} s")
        assert client.contiguous(), client.seqs
    assert a.audio_seconds() >= 5.0 and c.audio_seconds() >= 5.0
    assert a.hello["codec"] == "opus" and a.blocks[5].shape == (2, 4800)
    # the PCM listener's mix: muting 'hiss' (the louder bed) lowers its level
    mixes = [m for m in b.json if m["type"] == "mix"]
    assert mixes and mixes[-1]["mode"] == "personal" and mixes[-1]["layers"]["hiss"]["muted"]
    before, after = b.rms_db(5, 25), b.rms_db(-20)
    assert after < before - 3, (before, after)
    # the broadcast listener kept its level
    assert abs(a.rms_db(5, 25) - a.rms_db(-20)) < 3
    codes = [m["code"] for m in c.json if m["type"] == "error"]
    assert codes == ["bad_json", "unknown_type", "too_big", "unknown_layer"]
    assert all(m["message"] for m in c.json if m["type"] == "error")
    assert any(m["type"] == "pong" and m["id"] == 42 for m in c.json)


def test_personal_mix_limit_and_switch(server):
    async def main():
        socks = [await _open(server, "other", "opus") for _ in range(3)]
        clients = [Client(ws, "opus") for ws in socks]
        for ws in socks:
            await ws.send(json.dumps({"type": "gain", "layer": "hum", "db": -10}))
        await asyncio.gather(*(cl.run(1.5, time.monotonic()) for cl in clients))
        status = server.get("/api/status?detail=1")  # loopback: the mixes are shown
        public = server.get("/api/status")
        await socks[0].send(json.dumps({"type": "switch", "scene": "tiny"}))
        await socks[0].send(json.dumps({"type": "switch", "scene": "atlantis"}))
        await clients[0].run(1.0, time.monotonic())
        for ws in socks:
            await ws.close()
        return clients, status, public

    clients, status, public = asyncio.run(main())
    errors = [m for cl in clients for m in cl.json if m["type"] == "error"]
    assert sorted(e["code"] for e in errors) == ["personal_limit", "unknown_scene"]
    assert status["personal_mixes"] == 2 and public["personal_mixes"] == 2
    assert len(status["personal"]) == 2
    assert all(p["gains"] == {"hum": -10.0} for p in status["personal"])
    assert "personal" not in public  # nobody's mix without ?detail=1
    assert clients[0].hello["scene"] == "tiny"  # the switch sent a new hello
    assert all(cl.contiguous() for cl in clients[1:])


def test_hot_reload_crossfades_without_disconnecting(server):
    path = server.scenes / "reload.toml"

    def channel():
        status = server.get("/api/status")
        return next(c for c in status["channels"] if c["scene"] == "reload")

    async def main():
        ws = await _open(server, "reload", "pcm16")
        client = Client(ws, "pcm16")
        await client.run(2.0, time.monotonic())
        edited_at = (channel()["scene_s"], client.audio_seconds())
        path.write_text(tiny_scene("reload", 3, hiss_db=-30.0))  # hiss 30 dB down
        loop = asyncio.get_running_loop()
        deadline = time.monotonic() + 60  # a hang guard: a loaded machine builds slowly
        while (await loop.run_in_executor(None, channel))["reloads"] == 0:
            assert time.monotonic() < deadline, "the edit was never applied"
            await client.run(0.5, time.monotonic())
        await client.run(5.0, time.monotonic())  # past the 3 s crossfade
        assert channel()["reloads"] == 1 and channel()["reload_error"] is None
        # the new version went on from where the scene was, never back to its start
        # (before: scene_s restarted at 0 on the reload); every second the client got
        # since the edit was played by the scene on top of where it was
        went_on = client.audio_seconds() - edited_at[1]
        assert edited_at[0] >= 2.0 and channel()["scene_s"] >= edited_at[0] + went_on - 0.5
        path.write_text("title = 'oops'\n[[layers]]\nname = 3\n")
        await client.run(2.0, time.monotonic())
        bad = channel()
        await ws.close()
        return client, bad

    client, bad = asyncio.run(main())
    assert client.contiguous() and client.audio_seconds() > 8
    # the edit is heard (hiss down, re-normalised to the scene's loudness: RMS moves)
    assert abs(client.rms_db(-15) - client.rms_db(0, 8)) > 3
    assert bad["reload_error"] and "layers[0]" in bad["reload_error"]
    assert bad["reloads"] == 1  # the old version keeps playing


def test_sigterm_closes_listeners_and_exits_without_hanging(serve):
    srv = serve()

    async def main():
        ws = await _open(srv, "tiny", "opus")
        await ws.recv()
        await asyncio.sleep(0.5)
        t = time.monotonic()
        srv.proc.terminate()
        code = None
        try:
            while True:
                await ws.recv()
        except ConnectionClosed as exc:
            code = exc.rcvd.code if exc.rcvd else None
        # a hang guard, not a speed figure: it exits in about 1.5 s (printed below)
        await asyncio.get_running_loop().run_in_executor(None, srv.proc.wait, 60)
        return code, time.monotonic() - t

    code, took = asyncio.run(main())
    assert code == 1001
    assert srv.proc.returncode == 0
    print(f"SIGTERM to exit: {took:.2f} s")  # 2 s promised; a loaded machine varies
