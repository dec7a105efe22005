"""The server's owners without sockets: typed stream keys, the catalog's snapshots,
the director applying what its jobs return, and the studio's mixer placement.

(The life cycle, the HTTP routes and the websocket loops are tested through real
processes in test_server_core/protocol/extras/security/failures.)
"""

from __future__ import annotations

import asyncio
import copy
import gc
import time
import weakref
from types import MappingProxyType

import numpy as np
import pytest

from soundscape.bank import SegmentBank
from soundscape.clock import AudioClock
from soundscape.graph import build_graph
from soundscape.live import live_scene
from soundscape.outputs import ChannelOutputs
from soundscape.scene import load_scene
from soundscape.server import director as director_module
from soundscape.server.builds import BuildQueue
from soundscape.server.catalog import Catalog
from soundscape.server.config import ServerConfig
from soundscape.server.director import Built, Director
from soundscape.server.engine import Engine
from soundscape.server.hub import Hub
from soundscape.server.stream import Kind, StreamKey
from soundscape.server.studio_session import StudioContext
from test_server_support import tiny_scene


def test_a_stream_key_is_typed_and_still_the_mixers_string():
    key = StreamKey(Kind.PERSONAL, 7)
    assert (key.kind, key.owner, str(key)) == (Kind.PERSONAL, "7", "personal:7")
    assert {key: 1}["personal:7"] == 1  # the mixer files it under the plain string
    twin = copy.deepcopy(key)
    assert (twin.kind, twin.owner) == (Kind.PERSONAL, "7")
    read = StreamKey.of("channel:rain:night")  # only the first colon separates
    assert (read.kind, read.owner) == (Kind.CHANNEL, "rain:night")
    with pytest.raises(ValueError):
        StreamKey.of("radio:1")


def test_a_catalog_scan_returns_a_snapshot_that_later_scans_leave_alone(tmp_path):
    (tmp_path / "a.toml").write_text(tiny_scene("a"))
    catalog = Catalog(tmp_path)
    first = catalog.scan()
    assert isinstance(first.scenes, MappingProxyType) and list(first.scenes) == ["a"]
    (tmp_path / "b.toml").write_text(tiny_scene("b", 2))
    second = catalog.scan()
    assert list(first.scenes) == ["a"]  # what the loop holds did not change under it
    assert sorted(second.scenes) == ["a", "b"] and [s.name for s in second.loaded] == ["b"]
    with pytest.raises(TypeError):
        second.scenes["c"] = second.scenes["a"]  # type: ignore[index]


def _hub(engines: int = 1) -> Hub:
    clock = AudioClock(48000, 4800)
    mixers: list[Engine] = []
    hub = Hub(ServerConfig(idle_pause_s=0), clock, mixers)
    mixers.extend(Engine(str(i), clock, lambda stream, produced: None) for i in range(engines))
    return hub


def test_the_director_applies_what_its_build_jobs_return(tmp_path, monkeypatch):
    scenes = tmp_path / "scenes"
    scenes.mkdir()
    (scenes / "tiny.toml").write_text(tiny_scene())
    (scenes / "slow.toml").write_text(tiny_scene("slow", 2).replace(
        "[master]", "[master]\nsample_rate = 44100"))
    built = []

    def build_channel(scene, bank):  # (build thread) returns, never writes back
        result = Built(graph=_graph_of(scene, bank), signature=(3,))
        built.append(scene.name)
        return result

    monkeypatch.setattr(director_module, "build_channel", build_channel)
    hub = _hub()
    builds, files = BuildQueue(1), BuildQueue(1, "scan")

    async def main() -> Director:
        tasks: set[asyncio.Task] = set()
        director = Director(ServerConfig(scenes=scenes), hub, SegmentBank(tmp_path / "bank"),
                            builds, files, ChannelOutputs(), lambda c: tasks.add(
                                asyncio.ensure_future(c)))
        await director.scan()
        await asyncio.wait_for(director.ready["tiny"].wait(), 120)
        await asyncio.gather(*tasks)
        return director

    try:
        director = asyncio.run(main())
    finally:
        builds.close()
        files.close()
    assert built == ["tiny"]  # a 44.1 kHz scene is refused before any build
    assert sorted(director.scenes) == ["slow", "tiny"]
    assert director._signatures == {"tiny": (3,)}  # applied on the loop
    assert "tiny" in hub.channels and director.known("tiny")
    assert "sample_rate = 48000, not 44100" in hub.scene_errors["slow"]
    assert [s["name"] for s in director.listing()] == ["slow", "tiny"]
    assert [s["ready"] for s in director.listing()] == [False, True]


def _graph_of(scene, bank):
    return build_graph(live_scene(scene), bank)


def test_studio_sessions_take_their_mixer_through_the_hubs_placement(tmp_path):
    hub = _hub(engines=2)
    (tmp_path / "a.toml").write_text(tiny_scene("a"))
    (tmp_path / ".hidden.toml").write_text(tiny_scene("h"))
    context = StudioContext(tmp_path, "a.toml", SegmentBank(tmp_path / "bank"), BuildQueue(1),
                            hub.clock, ServerConfig(), lambda c: None, hub.place, hub.release)
    first, second = context.place(), context.place()
    assert {first.name, second.name} == {"0", "1"}  # spread, counted by the hub
    assert hub.load == {"0": 1, "1": 1}
    context.release(first)
    assert hub.load[first.name] == 0 and context.place() is first
    assert context.scenes() == ["a.toml"] and context.file("a.toml") == tmp_path / "a.toml"
    assert context.file("../a.toml") is None and context.file(".hidden.toml") is None
    context.builds.close()


def test_a_channel_is_built_from_the_live_scene(tmp_path):
    path = tmp_path / "tiny.toml"
    path.write_text(tiny_scene().replace('fade_in = "0s"', 'fade_in = "3s"'))
    scene = load_scene(path)
    bank = SegmentBank(tmp_path / "bank")
    built = director_module.build_channel(scene, bank)
    live = live_scene(scene)
    assert built.graph.scene is scene  # the listing shows the file's scene
    assert built.signature == ()  # no prompt layers
    assert live.master.fade_in == 0 and scene.master.fade_in == 3
    assert built.graph.limiter.ceiling == pytest.approx(10 ** (live.master.ceiling_dbtp / 20))
    assert live.master.ceiling_dbtp < scene.master.ceiling_dbtp  # lossy headroom
    first = built.graph.pull(4800)
    reference = build_graph(live, bank).pull(4800)
    assert np.array_equal(first, reference)  # no fade-in: same samples as the live scene


class Result:
    """A build job's result, big in real life (a scene's graph)."""


@pytest.mark.parametrize("fails", [False, True])
def test_an_idle_build_worker_lets_its_last_job_go(fails):
    """A worker waiting for its next job held the last one's result and function (a
    scene's graph, a hot reload's template: 40-100 MB each) until that next job came,
    after everyone else had let them go: a server's RSS stepped up after each reload."""
    queue = BuildQueue(1)
    box = [Result()]  # the only reference outside the queue

    def job() -> Result:
        if fails:
            raise RuntimeError(box[0])
        return box[0]

    future = queue.submit("scene", job)
    if fails:
        with pytest.raises(RuntimeError):
            future.result(timeout=30)
    else:
        assert future.result(timeout=30) is box[0]
    gone = weakref.ref(box[0])
    box.clear()
    del future
    deadline = time.monotonic() + 30
    while gone() is not None and time.monotonic() < deadline:
        gc.collect()
        time.sleep(0.05)
    assert gone() is None, "the idle worker still holds its last job"
    queue.close()
