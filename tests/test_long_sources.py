"""Long recordings as sources: memory must not grow with a file's length.

A two-hour FLAC used as both a bed and an event layer once peaked at 5.6 GB for a
30 s render (the event read the whole file to keep its first 20 s). The render runs
in a child process, so its peak RSS is measured alone (RUSAGE_CHILDREN).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from scipy import signal

from soundscape.filesource import EVENT_MAX_SECONDS, FileSource

ROOT = Path(__file__).resolve().parent.parent
RATE = 48000
LONG_SECONDS = 2 * 3600
PEAK_LIMIT_MB = 600


def _write_long_flac(path: Path, seconds: int) -> None:
    """``seconds`` of quiet low-passed noise, mono 16-bit FLAC, written a minute at a
    time (one minute of noise repeated: content does not matter, length does)."""
    minute = signal.lfilter(*signal.butter(2, 1500 / (RATE / 2)),
                            np.random.default_rng(1).standard_normal(RATE * 60))
    minute = (minute * (0.004 / np.std(minute))).astype(np.float32)
    with sf.SoundFile(str(path), "w", RATE, 1, "PCM_16", format="FLAC") as f:
        for _ in range(seconds // 60):
            f.write(minute)


@pytest.fixture(scope="module")
def long_flac(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("long") / "two-hours.flac"
    _write_long_flac(path, LONG_SECONDS)
    return path


def test_event_reads_only_its_head(tmp_path):
    path = tmp_path / "five-minutes.flac"
    _write_long_flac(path, 300)
    audio, length = FileSource(RATE, 10.0)._head(path, EVENT_MAX_SECONDS)
    assert audio.shape == (2, int(EVENT_MAX_SECONDS * RATE))
    assert length == pytest.approx(300.0)
    short, length = FileSource(RATE, 10.0)._head(path, 400.0)
    assert short.shape == (2, 300 * RATE) and length is None


@pytest.mark.slow
def test_two_hour_file_as_bed_and_event_renders_in_bounded_memory(tmp_path, long_flac):
    scene = tmp_path / "scene.toml"
    scene.write_text(f"""
[master]
seed = 1
sample_rate = {RATE}
[[layers]]
name = "room"
type = "bed"
files = ["{long_flac}"]
[[layers]]
name = "knocks"
type = "event"
files = ["{long_flac}"]
rate_per_min = 6
""")
    out = tmp_path / "out.wav"
    render = ["-m", "soundscape.cli", "render", str(scene), "-d", "30s", "-o", str(out),
              "-q", "--bank", str(tmp_path / "bank")]
    # a fresh parent, so RUSAGE_CHILDREN is this render's peak and no earlier child's
    measure = ("import resource, subprocess, sys\n"
               "code = subprocess.run([sys.executable, *sys.argv[1:]]).returncode\n"
               "print(code, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")
    res = subprocess.run([sys.executable, "-c", measure, *render], cwd=ROOT,
                         capture_output=True, text=True, timeout=900)
    code, peak_kb = map(int, res.stdout.split())
    assert code == 0, res.stderr
    peak_mb = peak_kb / 1024
    assert peak_mb < PEAK_LIMIT_MB, f"render peaked at {peak_mb:.0f} MB"
    assert sf.info(str(out)).frames == 30 * RATE
    # the event plays the file's first 20 s, and says so once, naming file and cap
    warnings = [line for line in res.stderr.splitlines() if "plays only its first" in line]
    assert len(warnings) == 1
    assert str(long_flac) in warnings[0] and f"{EVENT_MAX_SECONDS:g} s" in warnings[0]
    assert "7200 s long" in warnings[0]
