"""Mixer graph invariants: block-size independence, seams, determinism, events."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from audio_helpers import SMALL_SCENE, pull_all
from soundscape.dsp.fades import equal_power, fade_position
from soundscape.dsp.loudness import short_window_lufs
from soundscape.graph import build_graph
from soundscape.graph.bed import BedPlayer
from soundscape.graph.core import control_curve
from soundscape.graph.events import EventPlan, EventPlayer
from soundscape.graph.master import Limiter
from soundscape.scene import load_scene

RATE = 48000


@pytest.fixture(scope="module")
def reference(tmp_path_factory, bank):
    path = tmp_path_factory.mktemp("scene") / "small.toml"
    path.write_text(SMALL_SCENE)
    scene = load_scene(path)
    total = 6 * RATE + 123
    audio = pull_all(build_graph(scene, bank), total, 48000)
    return scene, total, audio


@pytest.mark.parametrize("block", [1, 7, 256, 4800, 48000])
def test_same_samples_at_any_block_size(reference, bank, block):
    scene, total, expected = reference
    frames = total if block >= 256 else 2 * RATE + 17  # block 1 is slow in Python
    got = pull_all(build_graph(scene, bank), frames, block)
    np.testing.assert_array_equal(got, expected[:, :frames])


def test_output_is_sound(reference):
    _, _, audio = reference
    assert np.isfinite(audio).all()
    assert np.abs(audio).max() > 0.01


def test_same_seed_same_output_and_seeds_differ(reference, bank):
    scene, total, expected = reference
    again = pull_all(build_graph(scene, bank, seed=scene.master.seed), total, 4800)
    np.testing.assert_array_equal(again, expected)
    other = pull_all(build_graph(scene, bank, seed=scene.master.seed + 1), total, 4800)
    assert np.abs(other - expected).mean() > 1e-3


@given(st.floats(0.0, 1.0))
def test_equal_power_gains_sum_to_one(u):
    fade_out, fade_in = equal_power(np.array([u]))
    assert fade_out[0] ** 2 + fade_in[0] ** 2 == pytest.approx(1.0, abs=1e-12)


def _noise_segments(n: int, seconds: float, seed: int = 0) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [(rng.standard_normal((2, int(seconds * RATE))) * 0.1).astype(np.float32)
            for _ in range(n)]


def test_bed_joins_have_no_clicks_or_dips():
    segments = _noise_segments(4, 4.0)
    # make every segment start and end with a jump, as real cut material may
    for s in segments:
        s[:, :10] += 0.3
        s[:, -10:] -= 0.3
    player = BedPlayer(segments, crossfade=RATE, seed=5)
    player.keep_history = True
    audio = pull_all(player, 40 * RATE, 4800)
    own_jump = max(np.abs(np.diff(s[:, 20:-20], axis=1)).max() for s in segments)
    assert np.abs(np.diff(audio, axis=1)).max() <= own_jump * 1.05
    joins = [p.start for p in player.history[1:] if 2 * RATE < p.start < 38 * RATE]
    assert len(joins) >= 5
    win = int(0.4 * RATE)
    for j in joins:
        mid = j + player.crossfade // 2 - win // 2  # centre of the crossfade
        around = short_window_lufs(audio, RATE, mid, win)
        before = short_window_lufs(audio, RATE, j - 2 * win, win)
        assert abs(around - before) < 1.0, (j, around, before)


def test_bed_never_repeats_variant_immediately_and_offsets_vary():
    player = BedPlayer(_noise_segments(3, 4.0), crossfade=RATE // 2, seed=1)
    player.keep_history = True
    pull_all(player, 120 * RATE, 48000)
    plays = player.history
    assert all(a.variant != b.variant for a, b in zip(plays, plays[1:]))
    assert len({p.offset for p in plays}) > len(plays) * 0.8
    periods = {b.start - a.start for a, b in zip(plays, plays[1:])}
    assert len(periods) > len(plays) * 0.8  # no fixed period


def _plan(rate_per_s: float, min_gap: float) -> EventPlan:
    return EventPlan(rate=lambda t: np.full(np.shape(t), rate_per_s), interval=None,
                     base_rate=rate_per_s, min_gap=min_gap, gain_db=(-6, 0), pan=(-1, 1),
                     distance=(0, 1), constant=True)


def test_events_respect_min_gap_and_rate():
    shot = np.zeros((2, RATE // 2), dtype=np.float32)
    shot[:, 100:200] = 0.5
    player = EventPlayer([shot], _plan(0.5, 1.0), RATE, seed=2)
    player.keep_history = True
    pull_all(player, 600 * RATE, 48000)
    starts = np.array([e.start for e in player.history]) / RATE
    assert np.diff(starts).min() >= 1.0 - 1e-6
    # mean gap = min_gap + mean * exp(-min_gap / mean) for max(min_gap, Exp)
    expected_gap = 1.0 + 2.0 * np.exp(-0.5)
    assert np.diff(starts).mean() == pytest.approx(expected_gap, rel=0.15)


def test_events_are_never_cut_off():
    shot = np.ones((2, RATE), dtype=np.float32) * 0.25  # 1 s events, hard edges
    player = EventPlayer([shot], _plan(2.0, 0.0), RATE, seed=3)
    player.keep_history = True
    audio = pull_all(player, 30 * RATE, 777)
    for ev in player.history:
        if ev.end <= audio.shape[1]:
            seg = audio[:, ev.start : ev.end]
            assert np.all(np.abs(seg) > 0), "an event was cut short"


def test_limiter_holds_true_peak_ceiling():
    rng = np.random.default_rng(0)
    loud = (rng.standard_normal((2, 5 * RATE)) * 0.6).astype(np.float32)
    loud[:, RATE : RATE + 50] = 3.0  # a hard spike

    class Src:
        pos = 0

        def pull(self, n):
            out = loud[:, self.pos : self.pos + n]
            self.pos += n
            return np.pad(out, ((0, 0), (0, n - out.shape[1])))

    from soundscape.dsp.loudness import true_peak_db

    out = pull_all(Limiter(Src(), -1.0), 5 * RATE, 4800)
    assert true_peak_db(out) <= -1.0 + 0.05
    # quiet passages are untouched
    quiet = Limiter(type("Q", (), {"pull": lambda self, n: np.full((2, n), 0.1, np.float32)})())
    np.testing.assert_array_equal(quiet.pull(1000), np.full((2, 1000), 0.1, np.float32))


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 10**7), st.integers(1, 5000))
def test_control_curve_depends_only_on_absolute_position(start, frames):
    func = lambda n: np.sin(n / 7919.0)  # noqa: E731
    whole = control_curve(func, start, frames)
    cut = max(1, frames // 3)
    parts = np.concatenate([control_curve(func, start, cut),
                            control_curve(func, start + cut, frames - cut)])
    np.testing.assert_array_equal(whole, parts)


def test_fade_positions_mirror():
    n = np.arange(100)
    u = fade_position(n, 0, 100)
    assert u[0] == pytest.approx(0.005) and u[-1] == pytest.approx(0.995)
    np.testing.assert_allclose(u, 1 - u[::-1])


def test_only_keeps_layer_level(reference, bank):
    scene, total, full = reference
    alone = pull_all(build_graph(scene, bank, only=["rumble"]), total, 48000)
    others = pull_all(build_graph(scene, bank, only=["hiss", "drops"]), total, 48000)
    # the parts add up to the whole wherever the limiter is idle
    np.testing.assert_allclose(alone + others, full, atol=2e-6)


def test_only_unknown_layer_is_a_clear_error(reference, bank):
    from soundscape.errors import UsageError

    scene, _, _ = reference
    with pytest.raises(UsageError, match="no layer named 'snow'.*layers: hiss, rumble, drops"):
        build_graph(scene, bank, only=["snow"])


def test_live_gain_change_glides(reference, bank):
    scene, _, _ = reference
    graph = build_graph(scene, bank)
    graph.pull(2 * RATE)
    graph.set_layer_gain_db("hiss", -80)
    graph.set_layer_gain_db("rumble", -80)
    graph.set_layer_gain_db("drops", -80)
    out = graph.pull(RATE)
    assert np.abs(np.diff(out, axis=1)).max() < 0.2
    assert np.abs(out[:, RATE // 10 :]).max() == 0.0


def test_endless_graph_runs_in_flat_memory(reference, bank):
    import tracemalloc

    scene, _, _ = reference
    graph = build_graph(scene, bank)
    pools = [strip.source.pool for strip in graph.strips.values()]

    def traced_after(seconds: int) -> int:
        for _ in range(seconds):
            graph.pull(48000)
        for pool in pools:  # no synthesis in flight on a worker thread
            pool.settle()
        return tracemalloc.get_traced_memory()[0]

    # the pools renew their material: once every bank segment has been retired (a few
    # minutes) they hold fresh segments in its place, and never more than that
    graph.seek(10 * 60 * 48000)
    traced_after(60)
    tracemalloc.start()
    first = max(traced_after(60) for _ in range(10))
    later = max(traced_after(60) for _ in range(10))  # ten minutes more
    tracemalloc.stop()
    # no growth with time played. A pool holds 2-3 fresh segments and a player 2-4
    # resampled plays at any moment, so one minute's sample may hold two or three more
    # than another's (20-35 MB here); a leak of a segment a minute is 10 more by the end
    segment = max(pool.fresh_frames for pool in pools) * 2 * 4
    assert later - first <= 3 * segment


def test_event_rate_ramping_up_from_zero_brings_events_in():
    shot = np.zeros((2, 1000), dtype=np.float32)
    shot[:, 10:20] = 0.5

    def ramp(t):  # silent for 60 s, then 1 event/s reached linearly by 120 s
        return np.clip((np.asarray(t) - 60.0) / 60.0, 0.0, 1.0)

    plan = EventPlan(rate=ramp, interval=None, base_rate=0.0, min_gap=0.0, gain_db=(0, 0),
                     pan=(0, 0), distance=None, constant=False)
    player = EventPlayer([shot], plan, RATE, seed=4)
    player.keep_history = True
    pull_all(player, 300 * RATE, 48000)
    starts = np.array([e.start for e in player.history]) / RATE
    assert starts.min() > 60.0
    # expected count: integral of the rate = 30 (ramp) + 180 (full) = 210
    assert 150 < len(starts) < 270  # +-4 sigma of a Poisson count
    assert (starts < 120).sum() < (starts > 240).sum()
