"""Pure parts of the server: clock, wire format, control parsing, queues, forks."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as hst

from soundscape.bank import SegmentBank
from soundscape.clock import AudioClock
from soundscape.graph import build_graph
from soundscape.scene import load_scene
from soundscape.server.codec import FRAME_SIZE, Decoder, OpusEncoder, Pcm16Encoder
from soundscape.server.listener import ListenerQueue, Offer
from soundscape.server.protocol import (
    ProtocolError,
    decode_audio,
    decode_stems,
    encode_audio,
    encode_stems,
    parse_control,
)
from soundscape.server.stream import fork_graph
from test_server_support import tiny_scene


def test_clock_is_absolute():
    t = [100.0]
    clock = AudioClock(48000, 4800, now=lambda: t[0])
    assert clock.due() == 0
    t[0] = 100.0 + 0.1 * 36000  # an hour later: exactly block 36000, no drift
    assert clock.due() == 36000
    assert clock.time_of(36000) == pytest.approx(100.0 + 3600.0)
    assert clock.position(3) == 14400


def test_audio_message_round_trip():
    frames = [b"abc", b"", bytes(range(256)) * 3]
    msg = decode_audio(encode_audio(2**32 + 5, 123456789, frames))
    assert msg.seq == 5 and msg.position == 123456789 and msg.frames == frames
    with pytest.raises(ProtocolError) as e:
        decode_audio(encode_audio(1, 0, [b"xyz"])[:-1])
    assert e.value.code == "bad_audio"


@pytest.mark.parametrize("raw, code", [
    ("{bad", "bad_json"),
    ("[1, 2]", "bad_message"),
    ('{"type": "dance"}', "unknown_type"),
    ('{"type": "gain", "layer": "rain", "db": "loud"}', "bad_value"),
    ('{"type": "gain", "layer": "rain", "db": 40}', "bad_value"),
    ('{"type": "mute", "layer": "rain", "muted": "yes"}', "bad_value"),
    ('{"type": "sleep", "after": -1}', "bad_value"),
    ('{"type": "switch"}', "bad_value"),
    (b'{"type": "ping"}', "binary"),
    ('{"type": "ping", "pad": "' + "x" * 5000 + '"}', "too_big"),
])
def test_bad_control_messages(raw, code):
    with pytest.raises(ProtocolError) as e:
        parse_control(raw, 4096)
    assert e.value.code == code
    assert e.value.message


def test_good_control_messages():
    assert parse_control('{"type": "gain", "layer": "rain", "db": -6}', 4096).db == -6.0
    sleep = parse_control(json.dumps({"type": "sleep", "after": 30, "fade": 90}), 4096)
    assert sleep.after == 30 and sleep.fade == 30  # the fade ends when the timer does
    assert parse_control('{"type": "sleep", "after": null}', 4096).after is None
    assert parse_control('{"type": "ping", "id": 7}', 4096).id == 7


def test_queue_skips_then_drops():
    now = [0.0]
    q = ListenerQueue(3, max_skips=2, window_s=10, clock=lambda: now[0])
    q.offer_text("hello")
    assert [q.offer(bytes([i])) for i in range(3)] == [Offer.OK] * 3
    assert q.offer(b"\x03") is Offer.SKIPPED  # oldest audio goes, text stays
    assert list(q.items) == ["hello", b"\x01", b"\x02", b"\x03"]
    assert q.offer(b"\x04") is Offer.SKIPPED
    assert q.offer(b"\x05") is Offer.DROP_LISTENER
    now[0] = 100.0  # old skips age out of the window
    assert q.offer(b"\x06") is Offer.SKIPPED
    assert q.pop() == "hello" and q.audio == 3


def test_codecs_round_trip():
    t = np.arange(FRAME_SIZE * 10) / 48000
    tone = np.stack([np.sin(2 * np.pi * 440 * t), np.sin(2 * np.pi * 660 * t)]) * 0.3
    tone = tone.astype(np.float32)
    pcm = Pcm16Encoder()
    back = np.concatenate([Decoder("pcm16").decode(pcm.encode(tone[:, i:i + FRAME_SIZE]))
                           for i in range(0, tone.shape[1], FRAME_SIZE)], axis=1)
    assert np.max(np.abs(back - tone)) < 1e-4
    enc, dec = OpusEncoder(96000), Decoder("opus")
    out = np.concatenate([dec.decode(enc.encode(tone[:, i:i + FRAME_SIZE]))
                          for i in range(0, tone.shape[1], FRAME_SIZE)], axis=1)
    assert out.shape == tone.shape
    rms = np.sqrt(np.mean(out[:, 2000:] ** 2))
    assert rms == pytest.approx(0.3 / np.sqrt(2), rel=0.1)


def test_fork_continues_sample_for_sample(tmp_path):
    path = tmp_path / "tiny.toml"
    path.write_text(tiny_scene())
    graph = build_graph(load_scene(path), SegmentBank(tmp_path / "bank"))
    graph.pull(48000 + 123)
    twin = fork_graph(graph)
    a = np.concatenate([graph.pull(4800) for _ in range(20)], axis=1)
    b = np.concatenate([twin.pull(4800) for _ in range(20)], axis=1)
    assert np.array_equal(a, b)
    # the copy shares the audio (one store of the pool's segments, the same arrays)
    pool, twin_pool = graph.strips["hiss"].source.pool, twin.strips["hiss"].source.pool
    assert twin_pool.shared is pool.shared
    assert all(twin_pool.get(i) is pool.get(i) for i in range(pool.count))
    twin.set_layer_gain_db("hiss", -120)
    assert not np.array_equal(graph.pull(4800), twin.pull(4800))


def test_personal_takeover_of_a_slow_listener_leaves_no_gap(tmp_path):
    """A listener whose broadcast blocks are still queued when its personal mix starts
    gets every sequence number exactly once."""
    from soundscape.clock import AudioClock
    from soundscape.server.config import ServerConfig
    from soundscape.server.engine import Engine
    from soundscape.server.hub import Hub, seq_of
    from soundscape.server.protocol import parse_control

    path = tmp_path / "tiny.toml"
    path.write_text(tiny_scene())
    scene = load_scene(path)
    graph = build_graph(scene, SegmentBank(tmp_path / "bank"))
    t = [0.0]
    clock = AudioClock(48000, 4800, now=lambda: t[0])
    engine = Engine("0", clock, lambda stream, produced: None)  # driven by hand, not started
    hub = Hub(ServerConfig(), clock, [engine])
    channel = hub.add_channel(scene, graph)
    engine.step(t[0])
    listener = hub.new_listener("pcm16", lambda code, reason: None)
    hub.join(listener, scene.name)
    sent = []

    def send(count):
        for _ in range(count):
            item = listener.queue.pop()
            if isinstance(item, bytes):
                sent.append(seq_of(item))

    for _ in range(4):
        hub.on_produced(channel.stream, channel.stream.produce())
    send(3)  # the listener is slow: the fourth block is still queued
    hub.handle(listener, parse_control('{"type": "gain", "layer": "hum", "db": -6}', 4096))
    hub.on_produced(channel.stream, channel.stream.produce())  # queues the fork request
    hub.on_produced(channel.stream, channel.stream.produce())  # forks, then broadcasts
    engine.step(t[0])
    twin = engine.streams[f"personal:{listener.id}"]
    for _ in range(3):
        hub.on_produced(twin, twin.produce())
        hub.on_produced(channel.stream, channel.stream.produce())
    send(100)
    assert sent == list(range(sent[0], sent[0] + len(sent))), sent
    assert listener.personal is twin


def test_hot_reload_reaches_personal_mixes_with_their_gains(tmp_path):
    from soundscape.clock import AudioClock
    from soundscape.server.config import ServerConfig
    from soundscape.server.engine import Engine
    from soundscape.server.hub import Hub
    from soundscape.server.protocol import parse_control

    path = tmp_path / "tiny.toml"
    path.write_text(tiny_scene())
    scene = load_scene(path)
    bank = SegmentBank(tmp_path / "bank")
    t = [0.0]
    clock = AudioClock(48000, 4800, now=lambda: t[0])
    engine = Engine("0", clock, lambda stream, produced: None)  # driven by hand
    hub = Hub(ServerConfig(crossfade_s=0.2), clock, [engine])
    channel = hub.add_channel(scene, build_graph(scene, bank))
    engine.step(t[0])
    listener = hub.new_listener("pcm16", lambda code, reason: None)
    hub.join(listener, scene.name)
    hub.handle(listener, parse_control('{"type": "mute", "layer": "hiss", "muted": true}', 4096))
    for _ in range(2):
        hub.on_produced(channel.stream, channel.stream.produce())
    engine.step(t[0])
    twin = engine.streams[f"personal:{listener.id}"]
    hub.on_produced(twin, twin.produce())
    assert listener.personal is twin
    old_graph = twin.graph

    path.write_text(tiny_scene(hiss_db=-20.0))
    edited = load_scene(path)
    hub.replace_scene(edited, build_graph(edited, bank))
    for _ in range(5):  # 0.5 s: past the 0.2 s crossfade
        hub.on_produced(twin, twin.produce())
    assert twin.version == 1 and twin.graph is not old_graph
    assert len(twin.graphs) == 1  # the crossfade is over: the old version is let go
    assert twin.graph is not channel.stream.graph  # its own fork of the new version
    assert twin.graph.strips["hiss"].user_gain == 0.0  # the mute carried over
    assert twin.graph.strips["hum"].user_gain == 1.0


# -- binary messages: round trips, and any bytes either parse or are a ProtocolError --
_packet = hst.binary(max_size=300)


@settings(max_examples=200, deadline=None)
@given(hst.integers(0, 2**40), hst.integers(0, 2**63 - 1), hst.lists(_packet, max_size=8))
def test_audio_messages_round_trip(seq: int, position: int, frames: list[bytes]) -> None:
    msg = decode_audio(encode_audio(seq, position, frames))
    assert (msg.seq, msg.position, msg.frames) == (seq & 0xFFFFFFFF, position, frames)


@settings(max_examples=200, deadline=None)
@given(hst.integers(0, 2**32 - 1), hst.integers(0, 2**63 - 1),
       hst.integers(0, 5).flatmap(lambda n: hst.lists(hst.lists(_packet, min_size=n, max_size=n),
                                                       max_size=6)))
def test_stems_messages_round_trip(seq: int, position: int, stems: list[list[bytes]]) -> None:
    msg = decode_stems(encode_stems(seq, position, stems))
    assert (msg.seq, msg.position, msg.stems) == (seq, position, stems)


@settings(max_examples=300, deadline=None)
@given(hst.binary(max_size=200))
def test_any_bytes_parse_or_are_a_protocol_error(data: bytes) -> None:
    for decode in (decode_audio, decode_stems):
        try:
            decode(data)
        except ProtocolError as exc:
            assert exc.code == "bad_audio" and "message" in exc.message


TICKS = """\
[[layers]]
name = "tick"
type = "event"
recipe = "drip"
variants = 2
rate_per_min = 120
min_gap = "0.2s"
"""


def test_a_fork_shares_the_audio_its_players_made(tmp_path):
    """A channel's personal mixes and backups are copies of its graph: each used to
    hold its own copy of every resampled play, fade curve and sounding event (13-23 MB
    a copy for the soak's scenes). The copy shares them and still plays the same."""
    from soundscape.graph.bed import BedPlayer
    from soundscape.graph.events import EventPlayer

    path = tmp_path / "ticks.toml"
    path.write_text(tiny_scene() + TICKS)
    graph = build_graph(load_scene(path), SegmentBank(tmp_path / "bank"))
    bed, events = graph.strips["hiss"].source, graph.strips["tick"].source
    assert isinstance(bed, BedPlayer) and isinstance(events, EventPlayer)

    def made() -> dict:
        return {play: a for play, a in bed._rendered.items() if isinstance(a, np.ndarray)}

    for _ in range(300):  # until a resampled play and an event are sounding
        graph.pull(480)
        if made() and events.pending:
            break
    assert made() and events.pending, "no resampled play or event sounding in 3 s"
    twin = fork_graph(graph)
    twin_bed = twin.strips["hiss"].source
    assert isinstance(twin_bed, BedPlayer)
    assert twin_bed._rise is bed._rise and twin_bed._fall is bed._fall
    assert all(twin_bed._rendered[play] is a for play, a in made().items())
    assert twin_bed.rng is not bed.rng and twin_bed.plays is not bed.plays
    twin_events = twin.strips["tick"].source
    assert isinstance(twin_events, EventPlayer)
    assert [a is b for (_, a), (_, b) in zip(events.pending, twin_events.pending,
                                             strict=True)] == [True] * len(events.pending)
    assert twin_events.pending is not events.pending
    a = np.concatenate([graph.pull(4800) for _ in range(30)], axis=1)
    b = np.concatenate([twin.pull(4800) for _ in range(30)], axis=1)
    assert np.array_equal(a, b)
