"""Stems: per-layer signals from the channel's own graph, shared by every stem listener.

Engines are driven with ``Engine.step(now)`` on a fake clock; the endpoint tests use a
server process (the same gate as /stream/).
"""

from __future__ import annotations

import asyncio
import json

import numpy as np
import pytest

from soundscape.bank import SegmentBank
from soundscape.clock import AudioClock
from soundscape.graph import build_graph
from soundscape.scene import load_scene
from soundscape.server import stems as stems_module
from soundscape.server.codec import Decoder, Pcm16Encoder
from soundscape.server.config import ServerConfig
from soundscape.server.hub import Listener
from soundscape.server.protocol import ProtocolError, decode_stems, encode_stems, parse_control
from soundscape.server.stems import install_taps
from soundscape.server.stream import Stream, fork_graph
from test_server_support import (
    FakeClock,
    ServerProcess,
    http_request,
    hub_on_fake_clock,
    tiny_scene,
)

BLOCK = 4800  # 100 ms: 5 frames of 20 ms
THIRD_LAYER = """
[[layers]]
name = "rumble"
type = "bed"
recipe = "noise"
params = { color = "brown" }
variants = 2
crossfade = "0.5s"
gain_db = -12.0
"""


@pytest.fixture(scope="module")
def scenes(tmp_path_factory):
    """The tiny scene (hiss, hum) and a version with a third layer, built once."""
    root = tmp_path_factory.mktemp("stems")
    bank = SegmentBank(root / "bank")
    out = []
    for i, extra in enumerate(("", THIRD_LAYER)):
        path = root / f"v{i}" / "tiny.toml"
        path.parent.mkdir()
        path.write_text(tiny_scene("tiny", 1, hiss_db=-3.0) + extra)
        scene = load_scene(path)
        out.append((scene, build_graph(scene, bank)))
    return out


class BusRecorder:
    """Pass-through between the master gain and the limiter: the bus by graph frame."""

    def __init__(self, source):
        self.source = source
        self.kept = np.zeros((2, 0), dtype=np.float32)

    def pull(self, frames: int) -> np.ndarray:
        out = self.source.pull(frames)
        self.kept = np.concatenate([self.kept, out], axis=1)
        return out


def test_stems_sum_to_the_master_bus_before_the_limiter(scenes):
    scene, template = scenes[0]
    clock = AudioClock(48000, BLOCK, now=FakeClock())
    graph = install_taps(fork_graph(template))
    recorder = BusRecorder(graph.limiter.source)
    graph.limiter.source = recorder
    stream = Stream("channel:tiny", graph, {}, clock, 0, 5)
    stream.set_stem_codecs(frozenset({"pcm16"}), 96000)
    assert stream.stems is not None
    caught: list[dict[str, np.ndarray]] = []
    encode = stream.stems.encode

    def spy(layers: dict[str, np.ndarray], seq: int, position: int) -> dict[str, bytes]:
        caught.append({name: audio.copy() for name, audio in layers.items()})
        return encode(layers, seq, position)

    stream.stems.encode = spy  # type: ignore[method-assign]
    produced = [stream.produce() for _ in range(30)]
    assert [tuple(p.stems) for p in produced] == [("pcm16",)] * 30  # on from the start
    assert all(p.stem_names == ("hiss", "hum") for p in produced)
    stems_sum = np.concatenate([sum(c.values()) for c in caught], axis=1)
    bus = recorder.kept[:, : 30 * BLOCK]
    rms = float(np.sqrt(np.mean(bus ** 2)))
    err = float(np.sqrt(np.mean((stems_sum - bus) ** 2)))
    assert rms > 0.01, rms  # the scene is audible
    assert err < 1e-4, err
    # each stem is its layer alone: not the whole bus, not silence
    for name in ("hiss", "hum"):
        level = float(np.sqrt(np.mean(np.concatenate([c[name] for c in caught], axis=1) ** 2)))
        assert 0.001 < level < rms, (name, level, rms)
    # and the pcm16 message carries those stems, sample for sample (16-bit)
    message = decode_stems(produced[7].stems["pcm16"])
    assert message.seq == 7 and message.position == clock.position(7)
    dec = Decoder("pcm16")
    for i, name in enumerate(("hiss", "hum")):
        audio = np.concatenate([dec.decode(f) for f in message.stems[i]], axis=1)
        assert np.max(np.abs(audio - caught[7][name])) < 1.0 / 32767 + 1e-6


def test_stems_switched_on_mid_stream_start_at_the_next_whole_block(scenes):
    scene, template = scenes[0]
    clock = AudioClock(48000, BLOCK, now=FakeClock())
    stream = Stream("channel:tiny", install_taps(fork_graph(template)), {}, clock, 0, 5)
    first = [stream.produce() for _ in range(3)]
    assert all(p.stems == {} for p in first)
    stream.set_stem_codecs(frozenset({"opus"}), 64000)
    later = [stream.produce() for _ in range(3)]
    # the limiter reads ahead: the taps missed the start of block 3, so 4 is the first
    assert [bool(p.stems) for p in later] == [False, True, True]
    stream.set_stem_codecs(frozenset(), 64000)
    assert all(p.stems == {} for p in (stream.produce(), stream.produce()))
    taps = stems_module.taps_of(stream.graphs[0])
    assert [t.on for t in taps] == [False, False] and all(t.buf.shape[1] == 0 for t in taps)


class CountingEncoder(Pcm16Encoder):
    calls = 0

    def encode(self, block: np.ndarray) -> bytes:
        CountingEncoder.calls += 1
        return super().encode(block)


def drain(listener: Listener) -> tuple[list[dict], list[bytes]]:
    texts, audio = [], []
    while (item := listener.queue.pop()) is not None:
        if isinstance(item, bytes):
            audio.append(item)
        else:
            texts.append(json.loads(item))
    return texts, audio


@pytest.mark.parametrize("count", [1, 7])
def test_one_encode_per_stem_per_frame_whatever_the_listener_count(scenes, monkeypatch, count):
    scene, template = scenes[0]
    monkeypatch.setattr(stems_module, "make_encoder", lambda codec, bitrate: CountingEncoder())
    CountingEncoder.calls = 0
    hub, channel, run = hub_on_fake_clock(scene, template)
    assert all(p.stems == {} for p in run(3))  # no stem listener: no stems at all
    assert CountingEncoder.calls == 0
    listeners = [hub.new_listener("pcm16", lambda c, r: None) for _ in range(count)]
    for listener in listeners:
        hub.join_stems(listener, scene.name)
    blocks = run(10)
    made = [p for p in blocks if p.stems]
    assert len(made) >= 8
    # 2 stems x 5 frames per block, for 1 listener or 7
    assert CountingEncoder.calls == 2 * 5 * len(made)
    got = [drain(listener) for listener in listeners]
    for texts, audio in got:
        assert texts[0]["type"] == "hello" and texts[0]["mode"] == "stems"
        assert texts[1] == {"type": "stems", "scene": "tiny", "seq": made[0].seq,
                            "stems": ["hiss", "hum"], "layers": texts[0]["layers"]}
        assert [decode_stems(m).seq for m in audio] == [p.seq for p in made]
    # every listener got the very same bytes objects (one message, fanned out)
    for i in range(len(made)):
        assert all(audio[i] is made[i].stems["pcm16"] for _, audio in got)
    status = hub.status()["channels"][0]
    assert status["stem_listeners"] == count and status["stems"] == ["pcm16"]
    assert status["encoding"] == []  # the master mix is not encoded for stem listeners
    for listener in listeners:
        hub.leave(listener)
    run(1)  # the request reaches the mixer at the next block
    before = CountingEncoder.calls
    assert all(p.stems == {} for p in run(3))
    assert CountingEncoder.calls == before and channel.stem_codecs == frozenset()


def test_a_reload_that_changes_the_layers_announces_the_new_stems(scenes):
    (scene, v0), (scene3, v1) = scenes
    hub, channel, run = hub_on_fake_clock(scene, v0)
    listener = hub.new_listener("pcm16", lambda c, r: None)
    hub.join_stems(listener, scene.name)
    run(3)
    hub.config = ServerConfig(idle_pause_s=0, crossfade_s=0.25)
    hub.replace_scene(scene3, fork_graph(v1))
    blocks = run(8)
    texts, audio = drain(listener)
    layouts = [(t["seq"], t["stems"]) for t in texts if t["type"] == "stems"]
    # hiss+hum, then the crossfade (new version first, its layers), then the new scene
    assert [names for _, names in layouts] == [["hiss", "hum"], ["hiss", "hum", "rumble"]]
    changed = layouts[1][0]
    assert [decode_stems(m).seq for m in audio] == sorted(decode_stems(m).seq for m in audio)
    for message in audio:
        decoded = decode_stems(message)
        assert len(decoded.stems) == (3 if decoded.seq >= changed else 2)
    last = [t for t in texts if t["type"] == "stems"][-1]
    assert [layer["name"] for layer in last["layers"]] == ["hiss", "hum", "rumble"]
    assert len(blocks) == 8
    # a stems listener cannot ask the server to mix: it is told to mix locally
    with pytest.raises(ProtocolError) as info:
        hub.handle(listener, parse_control('{"type":"gain","layer":"hum","db":-6}', 4096))
    assert info.value.code == "stems_mix_local"


def test_stems_message_round_trip_and_errors():
    stems = [[b"ab", b"c"], [b"", b"defg"], [b"x", b"y"]]
    message = encode_stems(9, 123456, stems)
    decoded = decode_stems(message)
    assert (decoded.seq, decoded.position, decoded.stems) == (9, 123456, stems)
    with pytest.raises(ProtocolError, match="ends inside a frame"):
        decode_stems(message[:-1])
    with pytest.raises(ValueError, match="same number of frames"):
        encode_stems(0, 0, [[b"a"], [b"a", b"b"]])


def test_stems_endpoint_is_gated_like_stream(tmp_path):
    """Bad codec and unknown scene refused before the handshake (as /stream/); a real
    stems connection gets hello, the layout and stems of every layer."""
    from websockets.asyncio.client import connect

    scenes = tmp_path / "scenes"
    scenes.mkdir()
    (scenes / "tiny.toml").write_text(tiny_scene())
    srv = ServerProcess(scenes, tmp_path / "bank")
    try:
        srv.wait_ready(["tiny"])
        for path, status, code in (("/stems/tiny?codec=mp3", 400, "bad_codec"),
                                   ("/stems/nope", 404, "unknown_scene"),
                                   ("/stream/nope", 404, "unknown_scene")):
            got, _, body = http_request(srv.port, "GET", path, {
                "Connection": "Upgrade", "Upgrade": "websocket", "Sec-WebSocket-Version": "13",
                "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ=="})
            assert got == status and json.loads(body)["code"] == code, (path, got, body)

        async def listen() -> tuple[list[dict], list[bytes]]:
            texts: list[dict] = []
            audio: list[bytes] = []
            async with connect(f"ws://127.0.0.1:{srv.port}/stems/tiny?codec=opus") as ws:
                while len(audio) < 10:
                    message = await asyncio.wait_for(ws.recv(), 10)
                    if isinstance(message, bytes):
                        audio.append(message)
                    else:
                        texts.append(json.loads(message))
                await ws.send('{"type":"volume","value":0.5}')
                while True:
                    message = await asyncio.wait_for(ws.recv(), 10)
                    if isinstance(message, str):
                        texts.append(json.loads(message))
                        break
                status = srv.get("/api/status")["channels"][0]
                assert status["stem_listeners"] == 1 and status["stems"] == ["opus"], status
            return texts, audio

        texts, audio = asyncio.run(listen())
        assert texts[0]["type"] == "hello" and texts[0]["mode"] == "stems"
        assert texts[1]["type"] == "stems" and texts[1]["stems"] == ["hiss", "hum"]
        assert texts[-1]["code"] == "stems_mix_local"
        seqs = [decode_stems(m).seq for m in audio]
        assert seqs == list(range(seqs[0], seqs[0] + 10))
        dec = [Decoder("opus"), Decoder("opus")]
        for message in audio:
            for i, frames in enumerate(decode_stems(message).stems):
                assert len(frames) == 5
                assert sum(dec[i].decode(f).shape[1] for f in frames) == BLOCK
    finally:
        srv.stop()
