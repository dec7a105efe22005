"""A hot reload continues at the playhead, and its crossfade neither swells nor dips.

Before: a reload started the new version at scene frame 0, so the phases restarted and
the opening of every layer the edit left alone was heard again, verbatim, after
each edit. Now the new version plays on from the frame the old one plays
(``Stream.reload(catch_up=True)``; the director seeks it on a worker first), and the
crossfade follows how alike the two sides are: the layers an edit left alone are the
same samples on both sides, where an equal-power fade would swell by 3 dB.
"""

from __future__ import annotations

import asyncio

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as hst

from soundscape.bank import SegmentBank
from soundscape.clock import AudioClock
from soundscape.dsp.fades import equal_power, matched_power
from soundscape.graph import SceneGraph, build_graph
from soundscape.graph.switch import Crossfade
from soundscape.scene import load_scene
from soundscape.server.codec import make_encoder
from soundscape.server.director import at_playhead
from soundscape.server.stream import Stream, fork_graph
from test_server_support import FakeClock, tiny_scene

BLOCK = 4800  # 100 ms, five 20 ms frames


@settings(max_examples=300, deadline=None)
@given(hst.floats(0.0, 1.0), hst.floats(0.0, 1.0))
def test_matched_power_keeps_the_mix_at_unit_power(a: float, rho: float) -> None:
    b = float(matched_power(np.array([a]), rho)[0])
    assert 0.0 <= b <= 1.0 + 1e-12
    assert a * a + b * b + 2 * a * b * rho == pytest.approx(1.0, abs=1e-9)


def test_matched_power_is_equal_power_for_unrelated_and_linear_for_identical_sides() -> None:
    a = np.cos(np.linspace(0, np.pi / 2, 101))
    assert np.allclose(matched_power(a, 0.0), equal_power(np.linspace(0, 1, 101))[1])
    assert np.allclose(matched_power(a, 1.0), 1.0 - a)


class Noise:
    """A node playing one fixed array (2, n) from its start; pull contract."""

    def __init__(self, audio: np.ndarray):
        self.audio = audio
        self.position = 0

    def pull(self, frames: int) -> np.ndarray:
        out = self.audio[:, self.position : self.position + frames]
        self.position += frames
        return out.copy()


def windowed_db(x: np.ndarray, window: int = 2400) -> np.ndarray:
    n = x.shape[1] // window
    rms = np.sqrt(np.mean(x[:, : n * window].reshape(2, n, window) ** 2, axis=(0, 2)))
    return 20 * np.log10(rms)


def faded(old: np.ndarray, new: np.ndarray, frames: int) -> np.ndarray:
    fade = Crossfade(Noise(old), Noise(new), frames)
    return np.concatenate([fade.pull(BLOCK) for _ in range(old.shape[1] // BLOCK)], axis=1)


def test_a_crossfade_of_a_signal_with_itself_is_the_signal() -> None:
    x = np.random.default_rng(1).normal(0, 0.1, (2, 12 * BLOCK)).astype(np.float32)
    out = faded(x, x.copy(), 10 * BLOCK)
    # an equal-power fade of x with itself is x * (cos + sin): up to +3.0 dB mid-fade
    assert np.max(np.abs(out - x)) < 1e-5
    assert np.max(np.abs(windowed_db(out) - windowed_db(x))) < 0.01


def test_a_crossfade_of_unrelated_signals_keeps_their_power() -> None:
    rng = np.random.default_rng(2)
    x, y = (rng.normal(0, 0.1, (2, 12 * BLOCK)).astype(np.float32) for _ in range(2))
    out = windowed_db(faded(x, y, 10 * BLOCK))
    assert np.max(np.abs(out - 20 * np.log10(0.1))) < 0.6  # 50 ms windows of noise


def test_a_crossfade_of_mostly_alike_sides_keeps_the_level() -> None:
    """An edit that changes one quiet layer: the sides are 90 % alike in power."""
    rng = np.random.default_rng(3)
    shared = rng.normal(0, 0.3, (2, 24 * BLOCK)).astype(np.float32)
    old = shared + rng.normal(0, 0.1, shared.shape).astype(np.float32)
    new = shared + rng.normal(0, 0.1, shared.shape).astype(np.float32)
    out = windowed_db(faded(old, new, 20 * BLOCK), 4800)
    level = windowed_db(old, 4800)
    assert np.max(np.abs(out - level)) < 0.5
    assert np.max(out - level) < 0.3  # no swell (equal power: about +2.6 dB mid-fade)


@pytest.fixture(scope="module")
def versions(tmp_path_factory):
    root = tmp_path_factory.mktemp("playhead")
    bank = SegmentBank(root / "bank")
    graphs = []
    for i, db in enumerate((0.0, -12.0)):
        path = root / f"v{i}" / "tiny.toml"
        path.parent.mkdir()
        path.write_text(tiny_scene("tiny", 1, hiss_db=db))
        graphs.append(build_graph(load_scene(path), bank))
    return graphs


def channel(graph: SceneGraph) -> Stream:
    clock = AudioClock(48000, BLOCK, now=FakeClock())
    return Stream("channel:tiny", fork_graph(graph), {"pcm16": make_encoder("pcm16", 96000)},
                  clock, 0, 5)


def played(stream: Stream, blocks: int) -> np.ndarray:
    out = []
    for _ in range(blocks):
        stream.produce()
        assert stream.last_block is not None
        out.append(stream.last_block)
    return np.concatenate(out, axis=1)


def test_a_reload_of_the_same_scene_plays_on_sample_for_sample(versions) -> None:
    v0, _ = versions
    stream = channel(v0)
    reference = fork_graph(v0)
    before = played(stream, 40)  # 4 s in
    stream.request(lambda s: s.reload(v0, 1.0, catch_up=True))  # a template at frame 0
    after = played(stream, 20)
    expected = np.concatenate([reference.pull(BLOCK) for _ in range(60)], axis=1)
    assert stream.version == 1 and len(stream.graphs) == 1
    assert stream.graph is not None and stream.graph.position == 60 * BLOCK
    played_all = np.concatenate([before, after], axis=1)
    assert np.max(np.abs(played_all - expected)) < 1e-5  # no restart, no swell


def test_a_reload_that_changes_a_layer_goes_on_from_the_playhead(versions) -> None:
    v0, v1 = versions
    stream = channel(v0)
    played(stream, 40)
    stream.request(lambda s: s.reload(v1, 0.5, catch_up=True))
    after = played(stream, 30)
    target = fork_graph(v1)
    target.seek(40 * BLOCK)  # where v1 plays had it played from the start
    expected = np.concatenate([target.pull(BLOCK) for _ in range(30)], axis=1)
    assert np.max(np.abs(after[:, 5 * BLOCK :] - expected[:, 5 * BLOCK :])) < 1e-5
    steps = np.abs(np.diff(after, axis=1))
    assert np.max(steps) < 4 * np.percentile(steps, 99.9)  # no click at the joins


def test_without_catch_up_a_reload_starts_its_template_where_it_is(versions) -> None:
    """The studio's seek: a version at a chosen frame, even behind the playhead."""
    v0, _ = versions
    stream = channel(v0)
    played(stream, 20)
    stream.request(lambda s: s.reload(v0, 0.3))
    played(stream, 5)
    assert stream.graph is not None and stream.graph.position == 5 * BLOCK


def test_a_template_ahead_of_the_playhead_waits_for_it(versions) -> None:
    v0, _ = versions
    stream = channel(v0)
    played(stream, 10)
    ahead = fork_graph(v0)
    ahead.seek(13 * BLOCK)
    gained: list[int] = []
    stream.request(lambda s: s.reload(ahead, 0.3, catch_up=True,
                                      then=lambda s: gained.append(s.version)))
    played(stream, 3)
    assert stream.version == 0 and not gained  # 13 blocks played: it starts at the next
    played(stream, 1)
    assert stream.version == 1 and gained == [1]
    assert stream.graph is not None and stream.graph.position == 14 * BLOCK


def test_the_director_moves_a_template_to_the_playhead_on_a_worker(versions) -> None:
    v0, _ = versions
    template = fork_graph(v0)
    moved = asyncio.run(asyncio.to_thread(at_playhead, template, 50 * BLOCK))
    assert moved is template and moved.position > 50 * BLOCK
    stream = channel(v0)
    reference = fork_graph(v0)
    played(stream, 55)
    stream.request(lambda s: s.reload(moved, 0.5, catch_up=True))
    after = played(stream, 10)
    reference.seek(55 * BLOCK)
    expected = np.concatenate([reference.pull(BLOCK) for _ in range(10)], axis=1)
    assert np.max(np.abs(after - expected)) < 1e-5


def test_versions_share_the_material_of_the_layers_an_edit_left_alone(versions, tmp_path) -> None:
    """Only hiss's gain changed between the versions, which is not its material: every
    layer has one store, so its fresh segments are made and held once while both
    versions play (the crossfade). A change of what hiss is made of (its colour) gives
    it a store of its own."""
    v0, v1 = versions
    pools = [{name: strip.source.pool for name, strip in g.strips.items()} for g in (v0, v1)]
    assert pools[0]["hum"].shared is pools[1]["hum"].shared
    assert pools[0]["hiss"].shared is pools[1]["hiss"].shared
    path = tmp_path / "tiny.toml"
    path.write_text(tiny_scene("tiny", 1).replace('color = "pink"', 'color = "white"'))
    v2 = build_graph(load_scene(path), SegmentBank(tmp_path / "bank"))
    assert v2.strips["hiss"].source.pool.shared is not pools[0]["hiss"].shared
    assert v2.strips["hum"].source.pool.shared is pools[0]["hum"].shared
    old, new = fork_graph(v0), fork_graph(v1)
    old.seek(30 * BLOCK)
    old.pull(BLOCK)
    hum = pools[0]["hum"].shared
    made = len(hum)
    new.seek(30 * BLOCK)
    new.pull(BLOCK)
    assert len(hum) == made  # the new version found every job it wanted there
