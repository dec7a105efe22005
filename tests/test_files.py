"""Your own recordings: loudness matching, whole files, any format, short clips.

Test audio is synthetic (seeded noise written with soundfile to tmp_path).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from scipy import signal

from audio_helpers import pull_all
from soundscape.bank import SegmentBank
from soundscape.dsp.loudness import integrated_lufs, short_window_lufs
from soundscape.dsp.texture import GrainTexture, TextureStream
from soundscape.errors import SceneError, SourceError
from soundscape.filesource import (
    MAX_GAIN_DB,
    TARGET_LUFS,
    FileSource,
    short_clip_warnings,
)
from soundscape.graph import build_graph
from soundscape.scene import load_scene

ROOT = Path(__file__).resolve().parent.parent
FFMPEG = shutil.which("ffmpeg")


def noise(seconds: float, rate: int, rms_db: float, seed: int, cutoff: float = 1500.0
          ) -> np.ndarray:
    """Low-passed stereo noise, (frames, 2) float32 at ``rms_db`` dBFS RMS."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((int(seconds * rate), 2))
    x = signal.lfilter(*signal.butter(2, cutoff / (rate / 2)), x, axis=0)
    # a slow swell, so the clip has an envelope to keep
    x *= (1 + 0.5 * np.sin(2 * np.pi * 0.7 * np.arange(len(x)) / rate))[:, None]
    return (x * (10 ** (rms_db / 20) / np.sqrt(np.mean(x**2)))).astype(np.float32)


def bed_scene(folder: Path, files: list[str], rate: int = 48000, crossfade: str = "3s",
              extra: str = "") -> Path:
    path = folder / "scene.toml"
    names = ", ".join(f'"{f}"' for f in files)
    path.write_text(f"""
[master]
seed = 1
sample_rate = {rate}
fade_in = "3s"
[[layers]]
name = "wind"
type = "bed"
files = [{names}]
crossfade = "{crossfade}"
{extra}""")
    return path


def short_term(audio: np.ndarray, rate: int, skip: float) -> np.ndarray:
    """BS.1770 short-term loudness (3 s windows, 1 s apart) after ``skip`` seconds."""
    win = 3 * rate
    starts = range(int(skip * rate), audio.shape[1] - win + 1, rate)
    return np.array([short_window_lufs(audio, rate, s, win) for s in starts])


def max_repeat(audio: np.ndarray, rate: int, low_rate: int = 250) -> float:
    """The highest normalised correlation of any 1 s window with earlier material.

    Every lag is tried (FFT cross-correlation) on a mono copy decimated to
    ``low_rate``: an exact repeat correlates 1 in every band, and unrelated noise
    stays near sqrt(2 ln(lags) / window) (about 0.45 here).
    """
    x = signal.resample_poly(audio.mean(axis=0).astype(np.float64), low_rate, rate)
    w = low_rate
    size = 1 << int(np.ceil(np.log2(x.size + w)))
    spectrum = np.fft.rfft(x, size)
    energy = np.concatenate([[0.0], np.cumsum(x * x)])
    worst = 0.0
    for s in range(w, x.size - w + 1, w):
        win = x[s : s + w]
        corr = np.fft.irfft(np.conj(np.fft.rfft(win, size)) * spectrum, size)[: s - w + 1]
        norm = np.sqrt(energy[w : s + 1] - energy[: s - w + 1]) * np.sqrt(np.sum(win * win))
        worst = max(worst, float(np.max(corr / np.maximum(norm, 1e-12))))
    return worst


@pytest.fixture
def own_bank(tmp_path: Path) -> SegmentBank:
    return SegmentBank(tmp_path / "bank")


# -- loudness ------------------------------------------------------------------

def test_recordings_30_db_apart_play_at_one_level(tmp_path, own_bank):
    rate = 48000
    sf.write(tmp_path / "loud.flac", noise(25, rate, -15, 1), rate)
    sf.write(tmp_path / "quiet.wav", noise(33, rate, -45, 2), rate)
    scene = load_scene(bed_scene(tmp_path, ["loud.flac", "quiet.wav"],
                                 extra="variants = 6\n"))
    audio = pull_all(build_graph(scene, own_bank), 150 * rate, 4800)
    st = short_term(audio, rate, skip=scene.master.fade_in)
    assert np.std(st) <= 1.5, (np.std(st), st.min(), st.max())
    assert st.min() > -30


def test_every_piece_is_matched_and_gain_is_capped(tmp_path):
    rate = 16000
    sf.write(tmp_path / "a.wav", noise(12, rate, -12, 3), rate)
    sf.write(tmp_path / "b.wav", noise(12, rate, -60, 4), rate)
    scene = load_scene(bed_scene(tmp_path, ["a.wav", "b.wav"], rate=rate))
    src = FileSource(rate, 10.0)
    layer = scene.layers[0]
    a, b = (src.segment(layer, v, 0).audio for v in range(2))
    assert abs(integrated_lufs(a, rate) - TARGET_LUFS) < 0.1
    # -60 dBFS needs ~+40 dB: capped at +30 dB, so the noise floor is not pulled up
    assert integrated_lufs(b, rate) < TARGET_LUFS - 5
    raw, _ = sf.read(tmp_path / "b.wav", dtype="float32")
    gain_db = 20 * np.log10(np.std(b) / np.std(raw))
    assert gain_db == pytest.approx(MAX_GAIN_DB, abs=0.1)


def test_silent_file_is_an_error_naming_it(tmp_path, own_bank):
    rate = 16000
    sf.write(tmp_path / "empty-room.wav", np.zeros((12 * rate, 2), np.float32), rate)
    scene = load_scene(bed_scene(tmp_path, ["empty-room.wav"], rate=rate))
    with pytest.raises(SourceError, match=r"empty-room\.wav: the file is silent"):
        build_graph(scene, own_bank)


# -- whole files ---------------------------------------------------------------

def test_whole_file_is_used_tail_included(tmp_path):
    rate = 16000
    data = noise(27.3, rate, -20, 5)
    sf.write(tmp_path / "long.wav", data, rate, subtype="FLOAT")
    scene = load_scene(bed_scene(tmp_path, ["long.wav"], rate=rate))
    src = FileSource(rate, 10.0)
    layer = scene.layers[0]
    cuts = src.cuts(layer)
    assert len(cuts) == 2  # 27.3 s -> two pieces of 13.65 s, none under a segment
    pieces = [src.segment(layer, v, 0).audio for v in range(len(cuts))]
    assert [p.shape[1] for p in pieces] == [len(data) // 2, len(data) - len(data) // 2]
    start = 0
    for piece in pieces:  # each piece is the file's own audio at its own matched gain
        raw = data.T[:, start : start + piece.shape[1]]
        gain = np.std(piece[0]) / np.std(raw[0])
        np.testing.assert_allclose(piece, raw * gain, atol=1e-5)
        start += piece.shape[1]
    assert start == len(data)  # the tail plays too


# -- formats -------------------------------------------------------------------

@pytest.mark.skipif(FFMPEG is None, reason="ffmpeg is not installed")
def test_m4a_is_accepted_and_decoded_once(tmp_path, own_bank):
    rate = 48000
    sf.write(tmp_path / "src.wav", noise(32, rate, -30, 6), rate)
    subprocess.run([FFMPEG, "-v", "error", "-i", str(tmp_path / "src.wav"), "-c:a", "aac",
                    "-b:a", "128k", str(tmp_path / "rain.m4a")], check=True)
    scene = load_scene(bed_scene(tmp_path, ["rain.m4a"]))
    layer = scene.layers[0]
    src = FileSource(rate, 10.0)
    cuts = src.cuts(layer)
    assert len(cuts) == 3
    segs = [src.segment(layer, v, 0) for v in range(len(cuts))]
    assert src.decodes == 1  # one decode for every cut
    for seg in segs:
        assert abs(integrated_lufs(seg.audio, rate) - TARGET_LUFS) < 0.5
    audio = pull_all(build_graph(scene, own_bank), 20 * rate, 48000)
    assert np.all(np.isfinite(audio)) and np.std(audio[:, 5 * rate :]) > 0.01


def test_missing_file_is_a_clear_scene_error(tmp_path):
    path = bed_scene(tmp_path, ["sounds/rain.wv"])
    with pytest.raises(SceneError) as info:
        load_scene(path)
    assert 'layers[0] "wind".files[0]: \'sounds/rain.wv\' does not exist' in str(info.value)


def test_undecodable_file_names_the_file(tmp_path, own_bank):
    (tmp_path / "broken.webm").write_bytes(b"not audio at all" * 100)
    scene = load_scene(bed_scene(tmp_path, ["broken.webm"]))
    with pytest.raises(SourceError, match=r"broken\.webm"):
        build_graph(scene, own_bank)


# -- short clips ---------------------------------------------------------------

def test_validate_warns_about_a_short_clip(tmp_path):
    sf.write(tmp_path / "gust.wav", noise(5, 16000, -25, 7), 16000)
    path = bed_scene(tmp_path, ["gust.wav"], rate=16000)
    lines = short_clip_warnings(load_scene(path))
    assert len(lines) == 1
    assert 'layers[0] "wind".files[0]: gust.wav is 5.0 s' in lines[0]
    assert "crossfade 3 s" in lines[0] and "texture synthesis" in lines[0]
    res = subprocess.run([sys.executable, "-m", "soundscape.cli", "validate", str(path)],
                         capture_output=True, text=True, cwd=ROOT, env=os.environ.copy())
    assert res.returncode == 0
    assert "warning:" in res.stderr and "gust.wav is 5.0 s" in res.stderr


def test_short_clip_crossfade_is_never_clamped(tmp_path, own_bank):
    rate = 16000
    sf.write(tmp_path / "gust.wav", noise(5, rate, -25, 7), rate)
    outputs = []
    for crossfade in (3.0, 4.9):
        scene = load_scene(bed_scene(tmp_path, ["gust.wav"], rate=rate,
                                     crossfade=f"{crossfade}s"))
        layer = scene.layers[0]
        seg = FileSource(rate, scene.master.segment_seconds).segment(layer, 0, 123)
        assert seg.meta["texture"]
        assert seg.frames >= scene.master.segment_seconds * rate
        assert seg.frames > 3 * crossfade * rate  # a third of it still exceeds the fade
        assert abs(integrated_lufs(seg.audio, rate) - TARGET_LUFS) < 0.5
        graph = build_graph(scene, own_bank)
        player = graph.strips["wind"].source
        assert getattr(player, "crossfade", round(crossfade * rate)) == round(crossfade * rate)
        outputs.append(pull_all(graph, 30 * rate, 4800))
    assert not np.allclose(outputs[0], outputs[1])


def test_texture_keeps_level_and_is_block_size_independent():
    rate = 16000
    clip = noise(5, rate, -25, 8).T
    texture = GrainTexture(clip, rate, seed=9)
    ref = texture.render(0, 6 * rate)
    assert np.all(np.isfinite(ref))
    level = 20 * np.log10(np.std(ref) / np.std(clip))
    assert abs(level) < 1.0
    for block in (1, 7, 256, 4800):
        stream = TextureStream(GrainTexture(clip, rate, seed=9))
        frames = 2 * rate if block < 10 else 6 * rate
        got = pull_all(stream, frames, block)
        np.testing.assert_array_equal(got, ref[:, :frames])
    other = GrainTexture(clip, rate, seed=10).render(0, 6 * rate)
    assert abs(np.corrcoef(other[0], ref[0])[0, 1]) < 0.1


def test_texture_stream_never_repeats_in_ten_minutes(tmp_path):
    rate = 16000
    sf.write(tmp_path / "gust.wav", noise(5, rate, -25, 7), rate)
    layer = load_scene(bed_scene(tmp_path, ["gust.wav"], rate=rate)).layers[0]
    clips = FileSource(rate, 10.0).texture_clips(layer)
    assert clips is not None and len(clips) == 1
    stream = TextureStream(GrainTexture(clips, rate, seed=1))
    audio = pull_all(stream, 600 * rate, 48000)
    assert max_repeat(audio, rate) < 0.9
    st = short_term(audio, rate, skip=0)
    assert abs(np.median(st) - TARGET_LUFS) < 1.0 and np.std(st) < 1.0


def test_short_clip_bed_never_repeats_in_ten_minutes(tmp_path, own_bank):
    rate = 16000
    sf.write(tmp_path / "gust.wav", noise(5, rate, -25, 7), rate)
    scene = load_scene(bed_scene(tmp_path, ["gust.wav"], rate=rate))
    audio = pull_all(build_graph(scene, own_bank), 600 * rate, 48000)
    assert max_repeat(audio[:, 3 * rate :], rate) < 0.9
