"""Endless material: beds whose output never comes back verbatim, events never twice alike.

Small pools of short noise segments make the players reuse their material quickly,
so minutes of output exercise what an hour of a shipped scene does: renewal of a
procedural pool, speed changes on reuse, the band split of finite material, one
fresh segment per event, and the invariants that must survive all of it (same
samples at any block size, seek lands where a full pull would).
"""

from __future__ import annotations

import copy
import hashlib

import numpy as np
import pytest
from scipy import signal

from audio_helpers import pull_all
from soundscape.graph.bed import RATES, USES, BedPlayer, SplitBed, split_bands
from soundscape.graph.events import EventPlan, EventPlayer
from soundscape.graph.pool import SegmentPool

RATE = 48000
SEGMENT = RATE // 2  # half-second segments: many plays per minute
CROSSFADE = RATE // 10


def _noise(seed: int, frames: int = SEGMENT) -> np.ndarray:
    rng = np.random.default_rng([seed, 77])
    return (rng.standard_normal((2, frames)) * 0.1).astype(np.float32)


def _make(index: int) -> np.ndarray | None:
    """A fresh segment per index, as a recipe would make it (pure in ``index``)."""
    return _noise(1000 + index)


def _pool(count: int = 3, renewable: bool = True) -> SegmentPool:
    return SegmentPool([_noise(i) for i in range(count)], _make if renewable else None)


def _bed(renewable: bool = True, seed: int = 4) -> BedPlayer:
    return BedPlayer(_pool(renewable=renewable), CROSSFADE, seed)


def _worst_repeat(audio: np.ndarray, window: int) -> float:
    """Largest normalised cross-correlation (any lag) of a window of the mono mix with
    everything before it: 1.0 for a verbatim copy, about 0 for fresh noise."""
    mono = audio.mean(axis=0).astype(np.float64)
    worst = 0.0
    for start in range(window, mono.size - window + 1, window):
        w = mono[start : start + window]
        past = mono[:start]
        corr = signal.correlate(past, w, mode="valid", method="fft")
        cum = np.concatenate([[0.0], np.cumsum(past**2)])
        energy = cum[window:] - cum[:-window]
        norm = np.sqrt(np.maximum(energy, 1e-20) * np.sum(w**2))
        worst = max(worst, float(np.max(np.abs(corr) / norm)))
    return worst


def test_renewable_bed_never_plays_a_segment_twice_at_one_speed():
    player = _bed()
    player.keep_history = True
    pull_all(player, 120 * RATE, RATE)
    seen: dict[int, list[float]] = {}
    for play in player.history:
        seen.setdefault(play.variant, []).append(play.rate)
    assert all(len(rates) == len(set(rates)) for rates in seen.values())
    assert max(len(rates) for rates in seen.values()) == USES
    fresh = [v for v in seen if v >= 3]
    assert len(fresh) >= len(player.history) // USES - 3  # renewed all along
    assert len({p.rate for p in player.history}) == len(RATES)


def test_renewable_bed_output_never_repeats_but_a_plain_loop_does(monkeypatch):
    audio = pull_all(_bed(), 20 * RATE, 4800)
    assert _worst_repeat(audio, RATE // 4) < 0.35
    # the ruler works: the same player with one speed and no renewal loops
    import soundscape.graph.bed as bed

    monkeypatch.setattr(bed, "RATES", (1.0,))
    plain = pull_all(_bed(renewable=False), 20 * RATE, 4800)
    assert _worst_repeat(plain, RATE // 4) > 0.99


def test_split_bed_of_finite_material_never_repeats():
    # darker than white noise, as real textures are: the power median is a few kHz up
    sos = signal.butter(1, 2000, "lowpass", fs=RATE, output="sos")
    segments = [signal.sosfilt(sos, _noise(i) * 3).astype(np.float32) for i in range(3)]
    audio = pull_all(SplitBed(segments, CROSSFADE, 9, RATE), 20 * RATE, 4800)
    assert _worst_repeat(audio, RATE // 4) < 0.8  # at most one band recurs at a time
    low, high = split_bands(segments, RATE)
    for s, lo, hi in zip(segments, low, high, strict=True):
        np.testing.assert_allclose(lo + hi, s, atol=1e-6)  # the bands add up exactly
    shares = [float(np.sum(lo**2) / np.sum(s**2)) for s, lo in zip(segments, low, strict=True)]
    assert all(0.3 < share < 0.7 for share in shares)  # split near the power median


@pytest.mark.parametrize("block", [1, 7, 4800, 48000])
def test_renewing_bed_same_samples_at_any_block_size(block):
    frames = 3 * RATE + 11 if block < 256 else 40 * RATE + 11
    expected = pull_all(_bed(), frames, 12345)
    got = pull_all(_bed(), frames, block)
    np.testing.assert_array_equal(got, expected)


def test_renewing_bed_seek_lands_where_a_full_pull_would():
    full = pull_all(_bed(), 50 * RATE, 4800)
    for at in (7 * RATE + 3, 31 * RATE):
        player = _bed()
        player.seek(at)
        np.testing.assert_array_equal(player.pull(5 * RATE), full[:, at : at + 5 * RATE])


def test_failed_fresh_segment_falls_back_to_a_fixed_one():
    pool = SegmentPool([_noise(i) for i in range(2)], lambda index: None)
    player = BedPlayer(pool, CROSSFADE, 3)
    audio = pull_all(player, 30 * RATE, RATE)
    assert np.isfinite(audio).all() and np.abs(audio).max() > 0.05
    assert pool.fallbacks >= 1


def _event_plan() -> EventPlan:
    return EventPlan(rate=lambda t: np.full(np.shape(t), 2.0), interval=None, base_rate=2.0,
                     constant=True, min_gap=0.1, gain_db=(0, 0), pan=(0, 0), distance=None)


def _shot(index: int) -> np.ndarray | None:
    rng = np.random.default_rng([index, 5])
    n = int(RATE * rng.uniform(0.1, 0.3))
    return (rng.standard_normal((2, n)) * np.hanning(n)).astype(np.float32)


def _events(renewable: bool = True) -> EventPlayer:
    fixed = [_shot(i) for i in range(4)]
    pool = SegmentPool(fixed, _shot if renewable else None)  # type: ignore[arg-type]
    return EventPlayer(pool, _event_plan(), RATE, seed=8, speeds=RATES)


def _event_sounds(player: EventPlayer, seconds: int) -> list[str]:
    """A digest of every event's audio, as placed (blocks shorter than any event, so
    each is still pending at the end of the block it starts in)."""
    sounds: dict[int, str] = {}
    block = RATE // 20
    for _ in range(seconds * 20):
        player.pull(block)
        for start, audio in player.pending:
            sounds.setdefault(start, hashlib.sha1(audio.tobytes()).hexdigest())
    return list(sounds.values())


def test_procedural_events_are_each_made_fresh():
    sounds = _event_sounds(_events(), 120)
    assert len(sounds) > 150
    assert len(set(sounds)) == len(sounds)  # no two events alike
    # finite material can't be made again: each event picks one of the speeds
    fixed = _event_sounds(_events(renewable=False), 120)
    assert 4 < len(set(fixed)) <= 4 * len(RATES)


def test_fresh_events_keep_their_timing_block_size_and_seek():
    fresh, fixed = _events(), _events(renewable=False)
    fresh.keep_history = fixed.keep_history = True
    a = pull_all(fresh, 60 * RATE, 4800)
    pull_all(fixed, 60 * RATE, 4800)
    assert [e.start for e in fresh.history] == [e.start for e in fixed.history]
    np.testing.assert_array_equal(pull_all(_events(), 60 * RATE, 7777), a)
    player = _events()
    player.seek(33 * RATE + 5)
    np.testing.assert_array_equal(player.pull(4 * RATE), a[:, 33 * RATE + 5 : 37 * RATE + 5])


GENERATED_SCENE = """
[master]
sample_rate = 48000
segment_seconds = 4
seed = 3

[[layers]]
name = "hiss"
type = "bed"
prompt = "soft hiss"
variants = 6
crossfade = "1s"
"""


def test_a_generated_bed_of_six_segments_plays_as_band_chains_and_never_repeats(tmp_path):
    from soundscape.bank import SegmentBank
    from soundscape.graph.build import build_graph
    from soundscape.scene import load_scene
    from soundscape.segment import Segment
    from soundscape.sources import prompt_group

    path = tmp_path / "s.toml"
    path.write_text(GENERATED_SCENE)
    scene = load_scene(path)
    bank = SegmentBank(tmp_path / "bank")
    sos = signal.butter(1, 2000, "lowpass", fs=RATE, output="sos")
    for i in range(6):  # what `soundscape generate` leaves in the bank
        audio = signal.sosfilt(sos, _noise(50 + i, 4 * RATE) * 3).astype(np.float32)
        bank.put({"gen": i}, Segment(audio, RATE, {"model": "audioldm2", "variant": i}),
                 group=prompt_group(scene.layers[0]))
    graph = build_graph(scene, bank)
    assert graph.materials["hiss"].source == "generated"
    assert isinstance(graph.strips["hiss"].source, SplitBed)
    audio = pull_all(graph, 20 * RATE, 4800)
    assert np.isfinite(audio).all() and np.abs(audio).max() > 0.01
    assert _worst_repeat(audio, RATE // 2) < 0.8


def test_copies_of_a_pool_make_each_fresh_segment_once():
    """A channel forked for personal mixes (copy_chain) shares its fresh segments: one
    synthesis per index, the same samples, and a segment no copy wants is let go."""
    calls: list[int] = []

    def make(index: int) -> np.ndarray:
        calls.append(index)
        return _noise(index)

    pool = SegmentPool([_noise(i) for i in range(2)], make)
    twins = [copy.deepcopy(pool) for _ in range(3)]
    for p in [pool, *twins]:
        p.prefetch(5)
    assert all(np.array_equal(pool.get(5), t.get(5)) for t in twins)
    assert calls == [5]
    for p in [pool, *twins[:2]]:
        p.retain(set())
    assert len(pool.shared) == 1  # the last twin still wants it
    twins[2].retain({7})
    assert len(pool.shared) == 0


def test_a_strict_rhythm_keeps_its_cycle_across_joins():
    """A clock's plays join on its tick-tock cycle at speed 1: one beat a second for
    three minutes, never a jump at a join (plays from random offsets jumped)."""
    from soundscape.procedural import render
    sr, params = 48000, {"rate": 1.0, "size": 0.8}
    pool = SegmentPool([render("clock", params, seconds=10, sample_rate=sr, seed=s)
                        for s in range(3)],
                       lambda i: render("clock", params, seconds=20, sample_rate=sr,
                                        seed=100 + i), fresh_frames=20 * sr)
    bed = BedPlayer(pool, int(0.15 * sr), 7, uses=1, period=2 * sr)
    level = np.abs(pull_all(bed, 180 * sr, 4800)).max(0)
    loud = np.flatnonzero(level > 0.25 * level.max())
    beats = loud[np.r_[True, np.diff(loud) > 0.3 * sr]]
    gaps = np.diff(beats) / sr
    assert len(beats) >= 178
    assert np.all(np.abs(gaps - 1.0) < 0.03), gaps[np.abs(gaps - 1.0) >= 0.03]
    assert bed.pool.fresh > 5  # renewed all along, never replayed
