"""Segment bank and sources: lossless, atomic, concurrent-safe; files and procedural."""

from __future__ import annotations

import multiprocessing as mp
import subprocess
import threading

import numpy as np
import pytest
import soundfile as sf

from audio_helpers import pull_all
from soundscape import sources
from soundscape.bank import SegmentBank
from soundscape.errors import SourceError
from soundscape.graph import build_graph
from soundscape.scene import load_scene
from soundscape.segment import Segment


def _segment(seed: int = 0) -> Segment:
    rng = np.random.default_rng(seed)
    return Segment(rng.standard_normal((2, 4800)).astype(np.float32), 48000, {"seed": seed})


def test_one_bank_shared_by_threads_counts_and_pins_every_use(tmp_path):
    bank = SegmentBank(tmp_path, max_bytes="1MB")  # small: puts scan and evict too
    for k in range(4):
        bank.put({"k": k}, _segment(k))
    bank = SegmentBank(tmp_path, max_bytes="1MB")  # a fresh object: nothing counted yet
    per_thread = 200

    def work(t: int) -> None:
        for i in range(per_thread):
            assert bank.get({"k": i % 4}) is not None  # hits
            assert bank.get({"absent": t, "i": i}) is None  # misses
            if i % 50 == 0:
                bank.put({"new": t, "i": i}, _segment(i))

    threads = [threading.Thread(target=work, args=(t,)) for t in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads)
    assert (bank.hits, bank.misses) == (8 * per_thread, 8 * per_thread)  # none lost
    assert all(bank.get({"k": k}) is not None for k in range(4))  # pinned: not evicted
    with pytest.raises(AttributeError):
        bank.hits = 0  # type: ignore[misc]  # the bank's own counters, read-only


def test_put_get_is_lossless(tmp_path):
    bank = SegmentBank(tmp_path)
    seg = _segment()
    bank.put({"k": 1}, seg)
    got = bank.get({"k": 1})
    assert got is not None
    np.testing.assert_array_equal(got.audio, seg.audio)
    assert got.sample_rate == 48000 and got.meta == {"seed": 0}
    assert bank.get({"k": 2}) is None


def test_truncated_entry_counts_as_missing(tmp_path):
    bank = SegmentBank(tmp_path)
    bank.put({"k": 1}, _segment())
    wav = bank.segment_paths()[0]
    wav.write_bytes(wav.read_bytes()[:1000])
    assert bank.get({"k": 1}) is None
    calls = []
    bank.get_or_make({"k": 1}, lambda: calls.append(1) or _segment())
    assert calls == [1] and bank.get({"k": 1}) is not None


def _writer(root: str, seed: int) -> None:
    bank = SegmentBank(root)
    for _ in range(20):
        bank.put({"shared": True}, _segment(7), group="g")


def test_two_writers_at_once(tmp_path):
    procs = [mp.get_context("fork").Process(target=_writer, args=(str(tmp_path), i))
             for i in range(2)]
    for p in procs:
        p.start()
    for p in procs:
        p.join()
        assert p.exitcode == 0
    bank = SegmentBank(tmp_path)
    got = bank.get({"shared": True})
    assert got is not None
    np.testing.assert_array_equal(got.audio, _segment(7).audio)
    assert bank.group_size("g") == 1
    assert not [p for p in tmp_path.rglob("*") if p.name.endswith(".tmp")]


def test_warm_bank_does_no_synthesis(tmp_path, small_scene, monkeypatch):
    bank = SegmentBank(tmp_path)
    scene = load_scene(small_scene)
    first = pull_all(build_graph(scene, bank), 48000 * 3, 48000)
    assert bank.misses > 0

    def refuse(*args, **kwargs):
        raise AssertionError("synthesis with a warm bank")

    monkeypatch.setattr(sources.procedural, "render", refuse)
    warm = SegmentBank(tmp_path)
    graph = build_graph(scene, warm)  # the warm start: everything from the bank
    assert warm.misses == 0 and warm.hits == bank.misses
    # playing makes each procedural event afresh (never from the bank), as before
    monkeypatch.undo()
    again = pull_all(graph, 48000 * 3, 48000)
    np.testing.assert_array_equal(first, again)


@pytest.mark.parametrize("ext, rate, channels", [("wav", 44100, 1), ("flac", 48000, 2),
                                                 ("ogg", 22050, 2), ("mp3", 44100, 2)])
def test_file_layers_convert_to_mixer_format(tmp_path, ext, rate, channels):
    t = np.arange(int(rate * 6.5)) / rate
    tone = 0.3 * np.sin(2 * np.pi * 220 * t)
    data = np.stack([tone] * channels, axis=1)
    (tmp_path / "rec").mkdir()
    sf.write(tmp_path / "rec" / f"take.{ext}", data, rate)
    scene_path = tmp_path / "s.toml"
    scene_path.write_text(
        "[master]\nsegment_seconds = 3\n"
        f"[[layers]]\nname='mine'\ntype='bed'\nfiles=['rec/take.{ext}']\ncrossfade='1s'\n"
    )
    scene = load_scene(scene_path)
    segs = sources.layer_segments(scene, scene.layers[0], SegmentBank(tmp_path / "bank"))
    assert len(segs) == 2  # 6.5 s cut into two pieces, the whole file played
    assert sum(seg.frames for seg in segs) == pytest.approx(6.5 * 48000, abs=2)
    for seg in segs:
        assert seg.sample_rate == 48000 and abs(seg.audio.shape[1] - 156000) <= 1
        assert seg.audio.dtype == np.float32
        spectrum = np.abs(np.fft.rfft(seg.audio[0]))
        assert abs(np.argmax(spectrum) * 48000 / seg.frames - 220) < 2


def test_unreadable_file_is_a_clear_error(tmp_path):
    (tmp_path / "broken.wav").write_bytes(b"RIFF....WAVEjunk")
    scene_path = tmp_path / "s.toml"
    scene_path.write_text("[[layers]]\nname='x'\ntype='event'\nfiles=['broken.wav']\n"
                          "rate_per_min=1\n")
    scene = load_scene(scene_path)
    with pytest.raises(SourceError, match="broken.wav"):
        sources.layer_segments(scene, scene.layers[0], SegmentBank(tmp_path / "bank"))


def test_prompt_only_layer_without_bank_explains(tmp_path):
    scene_path = tmp_path / "p.toml"
    scene_path.write_text("[[layers]]\nname='x'\ntype='bed'\nprompt='rain on a tent'\n")
    scene = load_scene(scene_path)
    with pytest.raises(SourceError, match="run 'soundscape generate"):
        sources.layer_segments(scene, scene.layers[0], SegmentBank(tmp_path / "bank"))


def test_generated_segments_take_precedence(tmp_path):
    scene_path = tmp_path / "p.toml"
    scene_path.write_text("[[layers]]\nname='x'\ntype='bed'\nprompt='rain'\nrecipe='rain'\n")
    scene = load_scene(scene_path)
    bank = SegmentBank(tmp_path / "bank")
    tone = 0.25 * np.sin(2 * np.pi * 440 * np.arange(16000 * 4) / 16000)
    made = Segment(tone[None, :].astype(np.float32), 16000, {"model": "test"})
    bank.put({"gen": 1}, made, group=sources.prompt_group(scene.layers[0]))
    segs = sources.layer_segments(scene, scene.layers[0], bank)
    assert len(segs) == 1 and segs[0].sample_rate == 48000 and segs[0].audio.shape[0] == 2
    assert segs[0].meta == {"model": "test"}


def test_ffmpeg_fallback_for_other_containers(tmp_path):
    import shutil

    if shutil.which("ffmpeg") is None:
        pytest.skip("ffmpeg not installed")
    src = tmp_path / "a.wav"
    sf.write(src, np.zeros((48000, 2)) + 0.1, 48000)
    m4a = tmp_path / "a.m4a"
    subprocess.run(["ffmpeg", "-loglevel", "error", "-i", str(src), str(m4a)], check=True)
    audio, rate = sources.read_audio_file(m4a)
    assert rate == 48000 and audio.shape[0] == 2 and audio.shape[1] >= 48000
