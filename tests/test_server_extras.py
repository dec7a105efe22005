"""The server picks up generated segments that land in the bank while it plays, and
pauses a channel nobody hears until a listener joins."""

from __future__ import annotations

import time

import numpy as np

from soundscape.bank import SegmentBank
from soundscape.scene import load_scene
from soundscape.segment import Segment
from soundscape.sources import prompt_group
from test_server_support import serve, tiny_scene

__all__ = ["serve"]  # a fixture: the tests name it as an argument


def test_new_generated_segments_crossfade_in(tmp_path, serve):
    text = tiny_scene("gen", 5).replace('name = "hiss"', 'name = "hiss"\nprompt = "soft hiss"')
    srv = serve("--reload-interval", "0.3", scenes={"gen": text})

    def channel():
        return next(c for c in srv.get("/api/status")["channels"] if c["scene"] == "gen")

    assert channel()["reloads"] == 0
    layer = load_scene(srv.scenes / "gen.toml").layer("hiss")
    rng = np.random.default_rng(0)
    made = Segment((rng.standard_normal((2, 4 * 48000)) * 0.05).astype(np.float32), 48000,
                   {"model": "test"})
    SegmentBank(tmp_path / "bank").put({"generated": 1}, made, group=prompt_group(layer))
    deadline = time.monotonic() + 20
    while channel()["reloads"] == 0 and time.monotonic() < deadline:
        time.sleep(0.2)
    assert channel()["reloads"] == 1
    assert channel()["reload_error"] is None


def test_idle_channel_pauses_and_wakes_for_a_listener(serve):
    import asyncio

    from test_server_protocol import Client, _open

    srv = serve("--idle-pause", "1", scenes={"idle": tiny_scene("idle", 6)})

    def channel():
        return next(c for c in srv.get("/api/status")["channels"] if c["scene"] == "idle")

    deadline = time.monotonic() + 15
    while not channel()["paused"] and time.monotonic() < deadline:
        time.sleep(0.2)
    assert channel()["paused"]
    seq_before = channel()["seq"]
    time.sleep(1.0)
    assert channel()["seq"] == seq_before  # nothing is mixed while paused

    async def listen():
        started = time.monotonic()
        ws = await _open(srv, "idle", "pcm16")
        client = Client(ws, "pcm16")
        deadline = started + 60  # a hang guard: how soon is bench/startup.py's figure
        while client.audio_seconds() < 1.5 and time.monotonic() < deadline:
            await client.run(0.5, started)
        # while someone listens, the channel runs
        during = await asyncio.get_running_loop().run_in_executor(None, channel)
        await ws.close()
        return client, during

    client, during = asyncio.run(listen())
    assert client.first_audio is not None
    print(f"first audio from a paused channel: {client.first_audio:.2f} s")
    assert client.contiguous() and client.audio_seconds() >= 1.5
    assert not during["paused"] and during["listeners"] == 1
