"""A procedural bed lets go of the bank's segments once its players have retired them.

A renewable pool given ``remake`` keeps its fixed segments in the shared store, so a
live channel holds its fresh window only (not the bank's segments as well), and a
reload's new version, which starts on the bank's segments, holds about as much as the
version it replaces (issue 15's soak: RSS swung with each reload).
"""

import copy
import gc

import numpy as np

from soundscape.bank import SegmentBank
from soundscape.graph import build_graph
from soundscape.graph.bed import BANK_USES, BedPlayer
from soundscape.graph.pool import SegmentPool
from soundscape.scene.load import scene_from_text

RATE = 48000


def fixed(index: int) -> np.ndarray:
    rng = np.random.default_rng(100 + index)
    return (0.1 * rng.standard_normal((2, RATE))).astype(np.float32)


def fresh(index: int) -> np.ndarray:
    rng = np.random.default_rng(index)
    return (0.1 * rng.standard_normal((2, 2 * RATE))).astype(np.float32)


def player(remake: bool) -> BedPlayer:
    pool = SegmentPool([fixed(0), fixed(1), fixed(2)], fresh, 2 * RATE,
                       remake=fixed if remake else None)
    return BedPlayer(pool, RATE // 10, 7, uses=2)


def fixed_keys(p: BedPlayer) -> set[int]:
    gc.collect()
    with p.pool.shared._lock:
        p.pool.shared._sweep()
        return {k[1] for k in p.pool.shared._entries if k[0] == "fixed"}


def pull(p: BedPlayer, blocks: int) -> np.ndarray:
    return np.concatenate([p.pull(4800) for _ in range(blocks)], axis=1)


def test_retired_fixed_segments_are_let_go_and_the_samples_do_not_change() -> None:
    kept, released = player(False), player(True)
    assert fixed_keys(released) == {0, 1, 2}  # the pool was built holding them
    np.testing.assert_array_equal(pull(kept, 400), pull(released, 400))  # 40 s
    # every fixed segment has had its BANK_USES plays by now: none is held
    assert not [v for v in released._window if v < released.pool.count]
    assert fixed_keys(released) == set()
    assert kept.pool.segments is not None and released.pool.segments is None
    np.testing.assert_array_equal(pull(kept, 200), pull(released, 200))


def test_a_copy_that_needs_a_let_go_segment_makes_it_again() -> None:
    """A backup copied at the start (the reload's spare) rests while the playing copy
    retires the fixed segments; promoted later, it plays them, made again, exactly."""
    steady = player(False)
    playing = player(True)
    spare = copy.deepcopy(playing)  # as Stream._take_spare forks the template
    spare.rest()
    pull(playing, 400)
    assert fixed_keys(playing) == set()  # the spare rests, the player retired them
    np.testing.assert_array_equal(pull(steady, 300), pull(spare, 300))


def test_a_procedural_bed_in_a_built_graph_releases_its_bank_segments(tmp_path) -> None:
    scene = scene_from_text("""
[master]
seed = 11
[[layers]]
name = "rain"
type = "bed"
recipe = "rain"
variants = 3
crossfade = "1s"
""", tmp_path / "rain.toml")
    bank = SegmentBank(tmp_path / "bank")
    graph = build_graph(scene, bank)
    pool = graph.strips["rain"].source.pool
    assert pool.remake is not None and pool.segments is None
    # made again, a fixed segment is the very one the graph was built with
    for i in range(pool.count):
        np.testing.assert_array_equal(pool.remake(i), pool.get(i))
    held = build_graph(scene, bank)
    keep = copy.deepcopy(held)  # never pulled: holds every fixed segment of ``held``
    for _ in range(BANK_USES * 3 * 10 + 30):  # seconds: every fixed segment retires
        np.testing.assert_array_equal(graph.pull(RATE), held.pull(RATE))
    assert fixed_keys(held.strips["rain"].source) == {0, 1, 2}
    del keep
    player = graph.strips["rain"].source
    assert not [v for v in player._window if v < pool.count]
    assert fixed_keys(player) == set()
