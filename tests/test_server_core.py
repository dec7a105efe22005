"""The server core: one owner per stream, graph nodes for crossfade/fade/fallback,
fair placement of personal mixes, fast start, bounded shutdown, slow listeners.

Engines are driven with ``Engine.step(now)`` on a fake clock where possible; the
server-process tests wait on events with generous timeouts and print the figures
(bench/startup.py measures them properly), never assert wall-clock times.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import time

import numpy as np
import pytest

from soundscape.bank import SegmentBank
from soundscape.clock import AudioClock
from soundscape.graph import SceneGraph, build_graph
from soundscape.graph.switch import Crossfade, Fallback, Level, PinkBed
from soundscape.scene import load_scene
from soundscape.server.codec import Decoder, make_encoder
from soundscape.server.config import ServerConfig
from soundscape.server.engine import Engine
from soundscape.server.hub import Hub, seq_of
from soundscape.server.protocol import ProtocolError, decode_audio, parse_control
from soundscape.server.stream import Produced, Stream
from test_server_support import ROOT, FakeClock, ServerProcess, hub_on_fake_clock, tiny_scene

BLOCK = 4800  # 100 ms


@pytest.fixture(scope="module")
def scenes(tmp_path_factory):
    """Three versions of one tiny scene, built once (a shared bank)."""
    root = tmp_path_factory.mktemp("core")
    bank = SegmentBank(root / "bank")
    out = []
    for i, db in enumerate((0.0, -20.0, -8.0)):
        path = root / f"v{i}" / "tiny.toml"
        path.parent.mkdir()
        path.write_text(tiny_scene("tiny", 1, hiss_db=db))
        scene = load_scene(path)
        out.append((scene, build_graph(scene, bank)))
    return out


def fresh(graph: SceneGraph) -> SceneGraph:
    from soundscape.server.stream import fork_graph

    return fork_graph(graph)


def pcm_stream(graph: SceneGraph, clock: AudioClock) -> Stream:
    return Stream("channel:tiny", graph, {"pcm16": make_encoder("pcm16", 96000)}, clock, 0, 5)


def decoded(produced: list[Produced]) -> np.ndarray:
    dec = Decoder("pcm16")
    return np.concatenate([np.concatenate([dec.decode(f) for f in
                                           decode_audio(p.messages["pcm16"]).frames], axis=1)
                           for p in produced], axis=1)


def longest_silence_ms(audio: np.ndarray) -> float:
    """The longest run of 20 ms frames whose RMS is zero, in ms."""
    frames = audio[:, : audio.shape[1] // 960 * 960].reshape(2, -1, 960)
    silent = np.sqrt(np.mean(frames.astype(np.float64) ** 2, axis=(0, 2))) == 0.0
    best = run = 0
    for s in silent:
        run = run + 1 if s else 0
        best = max(best, run)
    return best * 20.0


def step_size(audio: np.ndarray, at: int) -> float:
    """The sample-to-sample step across frame ``at`` (largest over channels)."""
    return float(np.max(np.abs(audio[:, at] - audio[:, at - 1])))


def typical_step(audio: np.ndarray) -> float:
    return float(np.percentile(np.abs(np.diff(audio, axis=1)), 99.9))


def run_engine(engine: Engine, clock: FakeClock, blocks: int) -> None:
    for _ in range(blocks):
        clock.t += 0.1
        engine.step(clock.t)


# -- graph nodes ------------------------------------------------------------------------

def test_fallback_node_catches_exceptions_and_non_finite_blocks():
    class Flaky:
        def __init__(self, bad):
            self.bad, self.n = bad, 0

        def pull(self, frames):
            self.n += 1
            if self.n == 3:
                if self.bad == "raise":
                    raise RuntimeError("boom")
                return np.full((2, frames), np.nan, dtype=np.float32)
            return np.full((2, frames), 0.5, dtype=np.float32)

    for bad in ("raise", "nan"):
        node = Fallback(Flaky(bad), [PinkBed(1)])
        out = np.concatenate([node.pull(1000) for _ in range(6)], axis=1)
        assert np.isfinite(out).all() and node.failures == 1 and node.playing == "safe bed"
        assert abs(out[0, 2000] - 0.5) < 0.01  # the join starts where the source stopped
        assert np.sqrt(np.mean(out[:, 3000:] ** 2)) > 0.005  # a bed, not silence


def test_level_sleep_fade_and_cancel_glide():
    class One:
        def pull(self, frames):
            return np.ones((2, frames), dtype=np.float32)

    level = Level(One())
    level.sleep(10_000, 5_000)
    out = np.concatenate([level.pull(1000) for _ in range(12)], axis=1)[0]
    assert out[4_000] == pytest.approx(1.0) and out[9_999] < 1e-3 and level.finished
    assert out[7_500] == pytest.approx(0.5, abs=0.01)
    level.sleep(None, 0)  # cancelled after the end: comes back up, gliding
    back = np.concatenate([level.pull(1000) for _ in range(4)], axis=1)[0]
    assert back[0] < 0.01 and back[-1] == pytest.approx(1.0)
    assert np.max(np.abs(np.diff(back))) < 0.001


# -- streams: reloads, forks, fallback --------------------------------------------------

def test_graph_that_raises_mid_stream_falls_back_without_silence(scenes):
    (scene, v0), (_, v1), _ = scenes
    fake = FakeClock()
    clock = AudioClock(48000, BLOCK, now=fake)
    out: list[Produced] = []
    engine = Engine("0", clock, lambda s, p: out.append(p))
    stream = pcm_stream(fresh(v0), clock)
    engine.add(stream)
    run_engine(engine, fake, 10)
    stream.request(lambda s: s.reload(v1, 0.5))
    run_engine(engine, fake, 10)  # v1 plays, v0 is the last good version

    def broken(frames):
        raise RuntimeError("a generator bug")

    stream.request(lambda s: setattr(s.graph, "pull", broken))
    run_engine(engine, fake, 10)
    assert [p.playing for p in out[-3:]] == ["backup"] * 3
    audio = decoded(out)
    silence = longest_silence_ms(audio)
    print(f"longest silence through the fallback: {silence:.0f} ms")
    assert silence <= 1000 * 0.05  # at most the fallback's crossfade (50 ms): here none
    boundary = 21 * BLOCK  # the first block after the failure
    assert step_size(audio, boundary) < 4 * typical_step(audio[:, : boundary - 1])

    stream.request(lambda s: setattr(s.graph, "pull", broken))  # the backup fails too
    run_engine(engine, fake, 10)
    assert out[-1].playing == "safe bed"
    assert longest_silence_ms(decoded(out)) <= 50
    assert [p.seq for p in out] == list(range(len(out)))


def test_fork_during_a_reload_crossfade_continues_it(scenes):
    (scene, v0), (_, v1), _ = scenes
    clock = AudioClock(48000, BLOCK, now=FakeClock())
    stream = pcm_stream(fresh(v0), clock)
    before = [stream.produce() for _ in range(5)]
    stream.request(lambda s: s.reload(v1, 1.0))
    before += [stream.produce() for _ in range(4)]  # 0.4 s into a 1 s crossfade
    assert len(stream.graphs) == 2
    twin = stream.fork("personal:1", "pcm16", 96000)
    assert isinstance(twin.fallback.primary, Crossfade) and len(twin.graphs) == 2
    a = decoded(before + [stream.produce() for _ in range(10)])
    b = decoded(before + [twin.produce() for _ in range(10)])
    assert np.array_equal(a, b)  # the same samples: the fork continued the crossfade
    at = 9 * BLOCK
    assert step_size(b, at) < 4 * typical_step(b[:, : at - 1])
    assert len(twin.graphs) == 1  # the crossfade ended in the fork too


def test_two_reloads_compose(scenes):
    (scene, v0), (_, v1), (_, v2) = scenes
    clock = AudioClock(48000, BLOCK, now=FakeClock())
    stream = pcm_stream(fresh(v0), clock)
    blocks = [stream.produce() for _ in range(5)]
    stream.request(lambda s: s.reload(v1, 1.0))
    blocks += [stream.produce() for _ in range(5)]
    stream.request(lambda s: s.reload(v2, 1.0))  # mid-fade: fades out of the current mix
    blocks.append(stream.produce())
    primary = stream.fallback.primary
    assert isinstance(primary, Crossfade) and isinstance(primary.old, Crossfade)
    assert len(stream.graphs) == 3
    blocks += [stream.produce() for _ in range(15)]
    assert len(stream.graphs) == 1 and stream.version == 2
    audio = decoded(blocks)
    typical = typical_step(audio)
    for at in (5 * BLOCK, 10 * BLOCK):
        assert step_size(audio, at) < 4 * typical
    # the sleep fade is a node too: a reload during it keeps fading
    stream.set_sleep(1.0, 1.0)
    stream.request(lambda s: s.reload(v0, 0.5))
    tail = decoded([stream.produce() for _ in range(12)])
    assert np.max(np.abs(tail[:, -BLOCK:])) == 0.0


def test_resume_never_moves_a_stream_back(scenes):
    (scene, v0), _, _ = scenes
    fake = FakeClock()
    clock = AudioClock(48000, BLOCK, now=fake)
    seqs: list[int] = []
    engine = Engine("0", clock, lambda s, p: seqs.append(p.seq))
    stream = pcm_stream(fresh(v0), clock)
    engine.add(stream)
    run_engine(engine, fake, 5)
    engine.pause(stream.key)
    engine.resume(stream.key, burst=3)  # at once: burst would reach back before index
    run_engine(engine, fake, 3)
    engine.pause(stream.key)
    run_engine(engine, fake, 5)
    engine.resume(stream.key, burst=3)
    run_engine(engine, fake, 2)
    assert len(seqs) == len(set(seqs)) and seqs == sorted(seqs)


# -- the hub: fair placement, the per-client cap -----------------------------------------

def test_forty_personal_mixes_from_one_client_cost_a_broadcast_listener_nothing(scenes):
    (scene, v0), _, _ = scenes
    fake = FakeClock()
    clock = AudioClock(48000, BLOCK, now=fake)
    engines: list[Engine] = []
    config = ServerConfig(max_personal=64, max_personal_per_client=40)
    hub = Hub(config, clock, engines)
    for i in range(2):
        engines.append(Engine(str(i), clock, hub.on_produced))
        hub.load[str(i)] = 0
    channel = hub.add_channel(scene, fresh(v0))
    broadcast = hub.new_listener("opus", lambda c, r: None, client="10.0.0.2")
    hub.join(broadcast, scene.name)
    crowd = [hub.new_listener("opus", lambda c, r: None, client="10.0.0.1") for _ in range(41)]
    for i, listener in enumerate(crowd):
        hub.join(listener, scene.name)
        message = parse_control('{"type": "gain", "layer": "hum", "db": -6}', 4096)
        if i < 40:
            hub.handle(listener, message)
        else:
            with pytest.raises(ProtocolError) as refused:
                hub.handle(listener, message)
            assert refused.value.code == "personal_limit" and "client" in refused.value.message
    got: list[int] = []
    for _ in range(40):
        fake.t += 0.1
        for engine in engines:
            engine.step(fake.t)
        while (item := broadcast.queue.pop()) is not None:
            if isinstance(item, bytes):
                got.append(seq_of(item))
        for listener in crowd:  # everyone reads
            while listener.queue.pop() is not None:
                pass
    assert sum(1 for lst in crowd if lst.personal is not None) == 40
    counts = [len(e.streams) for e in engines]
    print(f"streams per mixer: {counts}")
    assert abs(counts[0] - counts[1]) <= 1  # 41 streams over 2 mixers
    assert got == list(range(got[0], got[0] + len(got))) and len(got) >= 38
    assert broadcast.queue.skipped == 0 and channel.skipped == 0
    hub.leave(crowd[0])
    assert sum(hub.load.values()) == 40  # 39 personal mixes and the channel


# -- whole server: start-up, shutdown, slow listeners ------------------------------------

def _ws_first_audio(url: str, timeout: float) -> float:
    from websockets.asyncio.client import connect

    async def main() -> float:
        started = time.monotonic()
        async with asyncio.timeout(timeout):
            while True:
                try:
                    async with connect(url) as ws:
                        while True:
                            if isinstance(await ws.recv(), bytes):
                                return time.monotonic() - started
                except OSError:
                    await asyncio.sleep(0.05)

    return asyncio.run(main())


def test_warm_start_plays_a_requested_scene_and_builds_the_rest(tmp_path):
    scenes = tmp_path / "scenes"
    scenes.mkdir()
    for i in range(6):
        (scenes / f"s{i}.toml").write_text(tiny_scene(f"s{i}", 10 + i))
    bank = tmp_path / "bank"
    warm = ServerProcess(scenes, bank)  # fills the bank and its calibration cache
    try:
        warm.wait_ready([f"s{i}" for i in range(6)], timeout=240)
    finally:
        warm.stop()
    srv = ServerProcess(scenes, bank)
    try:
        took = _ws_first_audio(f"{srv.ws}/stream/s5?codec=pcm16", timeout=60)
        print(f"warm start: first audio of the last scene {took:.2f} s after 'serving'")
        srv.wait_ready([f"s{i}" for i in range(6)], timeout=120)
    finally:
        assert srv.stop() == 0


WEDGE = """\
import sys, threading
from soundscape.server import director

built = director.build_channel
def build_channel(scene, bank):
    if scene.name == "wedged":
        print("wedged build started", flush=True)
        threading.Event().wait()  # never returns
    return built(scene, bank)
director.build_channel = build_channel
from soundscape.cli import main
sys.exit(main(["serve", *sys.argv[1:]]))
"""


def test_sigterm_exits_without_hanging_with_a_wedged_build(tmp_path):
    scenes = tmp_path / "scenes"
    scenes.mkdir()
    (scenes / "tiny.toml").write_text(tiny_scene())
    (scenes / "wedged.toml").write_text(tiny_scene("wedged", 2))
    bank = tmp_path / "bank"
    env = dict(os.environ, SOUNDSCAPE_BANK=str(bank), PYTHONUNBUFFERED="1")
    proc = subprocess.Popen(
        [sys.executable, "-c", WEDGE, "--host", "127.0.0.1", "--port", "0",
         "--scenes", str(scenes), "--bank", str(bank)],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines = []
    try:
        assert proc.stdout is not None
        deadline = time.monotonic() + 120
        seen = {"wedged": False, "tiny": False}
        while not all(seen.values()) and time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            lines.append(line)
            seen["wedged"] |= "wedged build started" in line
            seen["tiny"] |= "channel tiny: on air" in line
        assert all(seen.values()), "".join(lines)
        started = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=60)  # a hang guard: it exits in about 1.5 s (printed below)
        took = time.monotonic() - started
        print(f"SIGTERM with a wedged build: exited in {took:.2f} s")
        assert proc.returncode == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


@pytest.mark.parametrize("codec", ["opus", "pcm16"])
def test_a_stalled_listener_gets_4001(tmp_path, codec):
    from websockets.asyncio.client import connect
    from websockets.exceptions import ConnectionClosed

    scenes = tmp_path / "scenes"
    scenes.mkdir()
    (scenes / "tiny.toml").write_text(tiny_scene())
    srv = ServerProcess(scenes, tmp_path / "bank")
    try:
        srv.wait_ready(["tiny"])

        async def main():
            sock = socket.socket()
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # a small window
            sock.connect(("127.0.0.1", srv.port))
            ws = await connect(f"{srv.ws}/stream/tiny?codec={codec}", sock=sock, max_queue=2)
            started = time.monotonic()
            loop = asyncio.get_running_loop()
            # the client stalls (reads nothing) until the server gives up on it
            while True:
                status = await loop.run_in_executor(None, srv.get, "/api/status")
                if status["dropped_slow"]:
                    break
                assert time.monotonic() - started < 90, "never dropped"
                await asyncio.sleep(0.25)
            print(f"{codec}: a stalled listener dropped after {time.monotonic() - started:.1f} s")
            try:
                while True:
                    await asyncio.wait_for(ws.recv(), 15)
            except ConnectionClosed as exc:
                return exc.rcvd

        rcvd = asyncio.run(main())
        assert rcvd is not None, "no close frame reached the client"
        assert (rcvd.code, rcvd.reason) == (4001, "listener too slow")
    finally:
        srv.stop()


def test_status_shows_placement_and_fallback_state(tmp_path):
    scenes = tmp_path / "scenes"
    scenes.mkdir()
    (scenes / "tiny.toml").write_text(tiny_scene())
    srv = ServerProcess(scenes, tmp_path / "bank")
    try:
        srv.wait_ready(["tiny"])
        deadline = time.monotonic() + 30  # ready means built; the first block may lag
        while True:
            status = srv.get("/api/status")
            channel = status["channels"][0]
            if channel["seq"] >= 0 or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        assert channel["playing"] == "primary" and channel["seq"] >= 0
        assert sum(m["streams"] for m in status["mixers"]) == 1
        # strict JSON (no NaN or Infinity) that round-trips unchanged
        assert json.loads(json.dumps(status, allow_nan=False)) == status
    finally:
        srv.stop()


def test_build_queue_runs_the_bumped_job_first():
    import threading

    from soundscape.server.builds import BuildQueue

    gate = threading.Event()
    order: list[str] = []
    queue = BuildQueue(1, "test-build")
    first = queue.submit("blocker", gate.wait)
    futures = [queue.submit(name, lambda name=name: order.append(name))
               for name in ("a", "b", "c")]
    queue.bump("c")
    stale = queue.submit("b", lambda: order.append("b2"))  # replaces the waiting "b"
    gate.set()
    first.result(5)
    stale.result(5)
    futures[0].result(5)
    assert futures[1].cancelled()
    assert order == ["c", "a", "b2"]
    queue.close()
    assert queue.submit("late", lambda: None).cancelled()


def test_refreshers_share_one_generation_worker(tmp_path):
    """Four scenes' refreshers send requests to one worker: the (not thread-safe)
    pipeline never runs two ``generate()`` calls at once."""
    import threading

    from test_generate import FakeBackend, fake_ref, write_scene

    from soundscape.generators import BankGenerator, BankRefresher
    from soundscape.generators.refresher import GenerationWorker

    backend = FakeBackend(fake_ref())
    inside, most = [0], [0]
    lock = threading.Lock()
    plain = backend.generate

    def generate(*args, **kwargs):
        with lock:
            inside[0] += 1
            most[0] = max(most[0], inside[0])
        time.sleep(0.005)
        try:
            return plain(*args, **kwargs)
        finally:
            with lock:
                inside[0] -= 1

    backend.generate = generate
    bank = SegmentBank(tmp_path / "bank")
    worker = GenerationWorker(BankGenerator(bank, lambda ref: backend, progress=False))
    refreshers = []
    for i in range(4):
        folder = tmp_path / f"s{i}"
        folder.mkdir()
        scene = load_scene(write_scene(folder))
        refreshers.append(BankRefresher(scene, bank, worker, interval_s=0.01,
                                        resolve=lambda name: backend.ref).start())
    deadline = time.monotonic() + 30
    while len(backend.calls) < 12 and time.monotonic() < deadline:
        time.sleep(0.02)
    for refresher in refreshers:
        refresher.stop(timeout=10)
    worker.stop(timeout=10)
    print(f"{len(backend.calls)} generate() calls from 4 refreshers, at most {most[0]} at once")
    assert len(backend.calls) >= 12 and most[0] == 1 and worker.most_busy == 1
    assert all(r.last_error is None for r in refreshers)


def test_build_queue_with_an_urgent_worker_runs_every_job():
    """Three workers: one kept for urgent builds; ordinary ones still all run (a
    wake-up that reached only the urgent worker once starved them)."""
    import threading

    from soundscape.server.builds import BuildQueue

    queue = BuildQueue(3, "test-split")
    assert [queue.submit(k, lambda k=k: k).result(10) for k in "abcd"] == list("abcd")
    gate = threading.Event()
    slow = queue.submit("slow", gate.wait)
    urgent = queue.submit("wanted", lambda: "first", urgent=True)
    assert urgent.result(10) == "first"  # not stuck behind the ordinary build
    gate.set()
    slow.result(10)
    queue.close()


def test_a_channel_encodes_only_the_codecs_its_listeners_take(scenes):
    (scene, v0), _, _ = scenes
    hub, channel, run = hub_on_fake_clock(scene, v0, BLOCK)
    assert all(p.messages == {} for p in run(3))  # nobody listens: nothing is encoded
    pcm = hub.new_listener("pcm16", lambda c, r: None)
    hub.join(pcm, scene.name)
    assert {tuple(p.messages) for p in run(3)} == {("pcm16",)}
    opus = hub.new_listener("opus", lambda c, r: None)
    hub.join(opus, scene.name)
    assert {tuple(sorted(p.messages)) for p in run(3)} == {("opus", "pcm16")}
    hub.leave(pcm)
    assert {tuple(p.messages) for p in run(3)} == {("opus",)}
    got = []
    while (item := opus.queue.pop()) is not None:
        if isinstance(item, bytes):
            got.append(seq_of(item))
    assert got == list(range(got[0], got[0] + 6))  # the opus listener missed nothing
    assert hub.status()["channels"][0]["encoding"] == ["opus"]
    hub.leave(opus)
    assert all(p.messages == {} for p in run(3))
    assert channel.codecs == frozenset()
