"""An idle backup graph lets go of the audio it made ahead (graph/switch.Fallback)."""

import numpy as np

from soundscape.graph.bed import BedPlayer
from soundscape.graph.pool import SegmentPool
from soundscape.graph.switch import Crossfade, Fallback

RATE = 48000


def make(index: int) -> np.ndarray:
    rng = np.random.default_rng(index)
    return (0.1 * rng.standard_normal((2, 2 * RATE))).astype(np.float32)


def player(seed: int = 5) -> BedPlayer:
    pool = SegmentPool([make(0), make(1)], make, 2 * RATE)
    return BedPlayer(pool, RATE // 10, seed, uses=2)


def test_a_rested_bed_plays_the_same_samples_as_one_that_never_rested() -> None:
    steady, rested = player(), player()
    a = [steady.pull(4800) for _ in range(60)]
    b = [rested.pull(4800) for _ in range(60)]
    np.testing.assert_array_equal(np.concatenate(a, 1), np.concatenate(b, 1))
    rested.rest()
    assert rested._rendered == {} and rested.pool._made == {}
    a = [steady.pull(4800) for _ in range(120)]
    b = [rested.pull(4800) for _ in range(120)]
    np.testing.assert_array_equal(np.concatenate(a, 1), np.concatenate(b, 1))


class Graph:
    """The part of a SceneGraph a Fallback sees: pull and rest."""

    def __init__(self) -> None:
        self.bed = player()
        self.rested = 0

    def pull(self, frames: int) -> np.ndarray:
        return self.bed.pull(frames)

    def rest(self) -> None:
        self.rested += 1
        self.bed.rest()


def test_the_old_version_rests_once_its_crossfade_is_over(monkeypatch) -> None:
    import soundscape.graph.switch as switch

    monkeypatch.setattr(switch, "SceneGraph", Graph)  # graphs_in/replace recognise it
    old, new = Graph(), Graph()
    fallback = Fallback(old)
    for _ in range(10):
        fallback.pull(4800)
    fallback.replace(Crossfade(old, new, 3 * 4800), [old])
    for _ in range(2):  # still the old side of the fade: kept as it is
        fallback.pull(4800)
        assert old.rested == 0
    fallback.pull(4800)  # the fade ends with this pull: idle from now on
    assert old.rested == 1 and new.rested == 0
    assert old.bed._rendered == {} and old.bed.pool._made == {}
    for _ in range(5):
        fallback.pull(4800)
    assert old.rested == 1  # once


def test_after_a_reload_the_backup_is_a_fresh_copy_of_the_new_version(tmp_path) -> None:
    """Once the crossfade is over the old version is let go (nothing holds it), and
    the backup is a copy of the version playing, made from its template."""
    import gc
    import weakref

    from soundscape.bank import SegmentBank
    from soundscape.clock import AudioClock
    from soundscape.graph import build_graph
    from soundscape.graph.switch import PinkBed
    from soundscape.live import live_scene
    from soundscape.scene import load_scene
    from soundscape.server.stream import Stream
    from test_server_support import tiny_scene

    path = tmp_path / "tiny.toml"
    path.write_text(tiny_scene())
    scene = live_scene(load_scene(path))
    bank = SegmentBank(tmp_path / "bank")
    second = build_graph(scene, bank)
    stream = Stream("channel:tiny", build_graph(scene, bank), {}, AudioClock(RATE, 4800), 0, 5)
    for _ in range(5):
        stream.produce()
    old = weakref.ref(stream.graph)
    stream.reload(second, 0.3)  # three blocks of 0.1 s
    stream.produce()
    assert stream.fallback.backups[0] is old()  # during the fade: the old version
    for _ in range(3):
        stream.produce()
    backups = stream.fallback.backups
    assert len(backups) == 2 and isinstance(backups[1], PinkBed)
    spare = backups[0]
    assert spare is not second and spare is not stream.graph and spare.position == 0
    assert spare.scene is second.scene
    gc.collect()
    assert old() is None  # the old version is gone
    before = stream.graph.position
    for _ in range(5):
        stream.produce()
    assert stream.graph.position == before + 5 * 4800 and stream.fallback.playing == "primary"
