"""Rendering files: exact lengths, formats, loudness, atomic writes, the CLI."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from soundscape.dsp.loudness import integrated_lufs, true_peak_db
from soundscape.errors import RenderError
from soundscape.render import render_file

ROOT = Path(__file__).resolve().parent.parent
RATE = 48000


def cli(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    res = subprocess.run([sys.executable, "-m", "soundscape.cli", *args],
                         capture_output=True, text=True, cwd=ROOT, env=os.environ.copy())
    if check:
        assert res.returncode == 0, res.stderr
    return res


@pytest.mark.parametrize(
    "duration, ext, frames",
    [("1.5s", "wav", 72000), ("2s", "flac", 96000), ("1s", "ogg", 48000),
     ("1s", "mp3", 48000), ("1s", "opus", 48000), ("500ms", "flac", 24000)],
)
def test_formats_and_exact_length(tmp_path, small_scene, bank, duration, ext, frames):
    out = tmp_path / f"out.{ext}"
    cli("render", str(small_scene), "-d", duration, "-o", str(out), "-q")
    info = sf.info(str(out))
    assert info.samplerate == RATE and info.channels == 2
    if ext in ("wav", "flac"):
        assert info.frames == frames  # lossless formats: exact to the sample
    else:
        data, _ = sf.read(str(out))
        assert abs(data.shape[0] - frames) <= 2048  # codec framing/priming
    assert not list(tmp_path.glob(".*"))  # no temporary file left


def test_two_minute_render_meets_loudness_and_peak(tmp_path, bank):
    out = tmp_path / "night.flac"
    cli("render", "scenes/rainy-night.toml", "-d", "2m", "-o", str(out), "-q",
        "--bit-depth", "24")
    data, rate = sf.read(str(out), dtype="float32")
    assert data.shape == (120 * RATE, 2)
    assert abs(integrated_lufs(data.T, rate) - (-23.0)) <= 0.5
    assert true_peak_db(data.T) <= -1.0


def test_existing_file_needs_force(tmp_path, small_scene, bank):
    out = tmp_path / "keep.wav"
    out.write_bytes(b"precious")
    res = cli("render", str(small_scene), "-d", "1s", "-o", str(out), check=False)
    assert res.returncode != 0 and "already exists (use --force" in res.stderr
    assert out.read_bytes() == b"precious"
    cli("render", str(small_scene), "-d", "1s", "-o", str(out), "-q", "--force")
    assert sf.info(str(out)).frames == RATE


@pytest.mark.parametrize(
    "args, message",
    [(["-d", "ten minutes"], "--duration: 'ten minutes' is not a duration"),
     (["-d", "0s"], "--duration: '0s' must be longer than zero"),
     (["-d", "1s", "--fade-out", "2s"], "--fade-out: '2s' is longer than --duration"),
     (["-d", "1s", "--only", "snow"], "no layer named 'snow'"),
     (["-d", "1s", "-o", "x.aac"], "unsupported output format '.aac'")],
)
def test_bad_arguments_are_clear(tmp_path, small_scene, bank, args, message):
    if "-o" not in args:
        args = args + ["-o", str(tmp_path / "x.wav")]
    res = cli("render", str(small_scene), *args, check=False)
    assert res.returncode == 2
    assert message in res.stderr
    assert "Traceback" not in res.stderr


def test_bad_scene_gives_no_traceback(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("[[layers]]\nname='a'\ntype='bed'\nrecipe='rain'\ngain_db=100\n")
    res = cli("render", str(bad), "-d", "1s", "-o", str(tmp_path / "x.wav"), check=False)
    assert res.returncode == 2
    assert 'layers[0] "a".gain_db: 100 is out of range' in res.stderr
    assert "Traceback" not in res.stderr


def test_failed_render_leaves_nothing_and_keeps_old_file(tmp_path):
    out = tmp_path / "old.flac"
    sf.write(str(out), np.zeros((100, 2)), RATE)
    before = out.read_bytes()
    calls = [0]

    def pull(n):
        calls[0] += 1
        if calls[0] == 3:
            raise OSError(28, "No space left on device")
        return np.zeros((2, n), dtype=np.float32)

    with pytest.raises(OSError):
        render_file(pull, 10 * RATE, RATE, out, force=True)
    assert out.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["old.flac"]


def test_short_block_is_an_error_not_a_short_file(tmp_path):
    out = tmp_path / "x.wav"

    def pull(n):
        return np.full((2, n), np.nan, dtype=np.float32)[:, : n // 2]  # wrong shape

    with pytest.raises(RenderError, match=r"gave \(2, 96000\) for a block of 192000"):
        render_file(pull, 4 * RATE, RATE, out, block=4 * RATE)
    assert list(tmp_path.iterdir()) == []


def test_interrupted_render_leaves_nothing(tmp_path, bank):
    out = tmp_path / "long.flac"
    proc = subprocess.Popen(
        [sys.executable, "-m", "soundscape.cli", "render", "scenes/rainy-night.toml",
         "-d", "2h", "-o", str(out)],
        cwd=ROOT, stderr=subprocess.PIPE, text=True, env=os.environ.copy(),
        # Ctrl-C's default action even when pytest was started in the background (a
        # shell's background job ignores SIGINT, and its children inherit that)
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    deadline = time.time() + 120
    partial = []
    while time.time() < deadline and not partial:
        partial = list(tmp_path.glob(".long.flac.*.tmp.flac"))
        time.sleep(0.2)
    assert partial, "the render never started writing"
    time.sleep(1.0)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 130, err
    assert "interrupted" in err
    assert list(tmp_path.iterdir()) == []


def test_disk_full_while_encoding_leaves_nothing(tmp_path, monkeypatch):
    out = tmp_path / "night.flac"
    writes = [0]
    real_write = sf.SoundFile.write

    def failing_write(self, data):
        writes[0] += 1
        if writes[0] == 3:
            raise OSError(28, "No space left on device")
        return real_write(self, data)

    monkeypatch.setattr(sf.SoundFile, "write", failing_write)
    with pytest.raises(RenderError, match="writing failed: .*No space left on device"):
        render_file(lambda n: np.zeros((2, n), np.float32), 20 * RATE, RATE, out)
    assert list(tmp_path.iterdir()) == []


def test_scene_sample_rate_is_the_output_rate(tmp_path, small_scene, bank):
    text = small_scene.read_text().replace("[master]\n", "[master]\nsample_rate = 44100\n")
    scene = tmp_path / "cd.toml"
    scene.write_text(text)
    out = tmp_path / "cd.wav"
    cli("render", str(scene), "-d", "2s", "-o", str(out), "-q")
    info = sf.info(str(out))
    assert info.samplerate == 44100 and info.frames == 88200
    res = cli("render", str(scene), "-d", "1s", "-o", str(tmp_path / "x.opus"), check=False)
    assert res.returncode == 2 and "Opus needs a sample rate of" in res.stderr
