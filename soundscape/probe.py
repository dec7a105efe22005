"""Checking a scene's audio files before anything is made from them.

``load_scene`` only checks that each file exists (it stays fast and touches no audio).
``probe_scene_files(scene)`` opens every file of every layer and decodes it once,
block by block, so a two-hour file costs one block of memory (``BLOCK_FRAMES``
frames), and returns one line per problem, naming the scene, the layer and the file:

* it cannot be decoded (by libsndfile, or ffmpeg for the formats libsndfile lacks);
* it has no frames, or is too short: a bed file under ``MIN_BED_SECONDS``, an event
  file under ``MIN_EVENT_SECONDS``;
* it has more than ``MAX_CHANNELS`` channels, or a sample rate outside
  ``MIN_RATE``..``MAX_RATE``;
* it holds NaN or infinite samples (a damaged float file), or only zeros.

Called by ``soundscape validate`` and, before any synthesis, by ``soundscape render``.
Pure except for reading the files; no audio is kept.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf

from .errors import SourceError
from .scene import Bed, Layer, Scene

BLOCK_FRAMES = 1 << 16
MIN_BED_SECONDS = 0.5  # shorter bed files cannot make a texture worth hearing
MIN_EVENT_SECONDS = 0.005  # a few milliseconds: a click is the shortest event
MAX_CHANNELS = 8
MIN_RATE, MAX_RATE = 8000, 384000


@dataclass
class FileReport:
    """What a probe found in one file: its shape and its damage."""

    frames: int = 0
    rate: int = 0
    channels: int = 0
    nonfinite: int = 0
    peak: float = 0.0
    error: str | None = None  # cannot be opened or decoded: why

    @property
    def seconds(self) -> float:
        return self.frames / self.rate if self.rate > 0 else 0.0


def probe_file(path: Path) -> FileReport:
    """Open and decode ``path`` block by block; never raises for a bad file."""
    report = FileReport()
    try:
        f = sf.SoundFile(str(path))
    except (sf.LibsndfileError, RuntimeError, TypeError, OSError):
        return _probe_ffmpeg(path, report)
    with f:
        report.rate, report.channels = int(f.samplerate), int(f.channels)
        if not _shape_ok(report):
            return report
        buf = np.empty((BLOCK_FRAMES, report.channels), dtype=np.float32)
        try:
            while True:
                block = f.read(BLOCK_FRAMES, dtype="float32", always_2d=True, out=buf)
                if len(block) == 0:
                    break
                _feed(report, block)
        except (sf.LibsndfileError, RuntimeError) as exc:
            report.error = f"cannot decode it after {report.frames} frames ({exc})"
    return report


def _shape_ok(report: FileReport) -> bool:
    if not 1 <= report.channels <= MAX_CHANNELS:
        report.error = f"{report.channels} channels (1 to {MAX_CHANNELS} are allowed)"
    elif not MIN_RATE <= report.rate <= MAX_RATE:
        report.error = f"sample rate {report.rate} Hz (allowed {MIN_RATE}..{MAX_RATE} Hz)"
    return report.error is None


def _feed(report: FileReport, block: np.ndarray) -> None:
    finite = np.isfinite(block)
    bad = block.size - int(np.count_nonzero(finite))
    report.nonfinite += bad
    if block.size:
        peak = float(np.max(np.abs(block if bad == 0 else np.where(finite, block, 0.0))))
        report.peak = max(report.peak, peak)
    report.frames += len(block)


def _probe_ffmpeg(path: Path, report: FileReport) -> FileReport:
    """Formats libsndfile lacks: ffprobe for the shape, ffmpeg streams float samples."""
    ffprobe, ffmpeg = shutil.which("ffprobe"), shutil.which("ffmpeg")
    if ffprobe is None or ffmpeg is None:
        report.error = "libsndfile cannot decode it and ffmpeg is not installed"
        return report
    try:
        res = subprocess.run(
            [ffprobe, "-v", "error", "-select_streams", "a:0", "-show_entries",
             "stream=channels,sample_rate", "-of", "csv=p=0", str(path)],
            capture_output=True, text=True, timeout=60, check=False)
        fields = res.stdout.strip().splitlines()[0].split(",") if res.stdout.strip() else []
        report.rate, report.channels = int(fields[0]), int(fields[1])
    except (OSError, subprocess.SubprocessError, ValueError, IndexError):
        report.error = "not a readable audio file (no audio stream found)"
        return report
    if not _shape_ok(report):
        return report
    cmd = [ffmpeg, "-v", "error", "-nostdin", "-i", str(path), "-map", "0:a:0",
           "-f", "f32le", "-acodec", "pcm_f32le", "-"]
    # stderr goes to a file: a pipe nobody reads could fill and stall ffmpeg
    with tempfile.TemporaryFile() as errors:
        try:
            proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=errors)
        except OSError as exc:
            report.error = f"cannot run ffmpeg ({exc})"
            return report
        frame_bytes = 4 * report.channels
        assert proc.stdout is not None
        with proc:
            tail = b""
            while chunk := proc.stdout.read(BLOCK_FRAMES * frame_bytes):
                chunk = tail + chunk
                usable = len(chunk) - len(chunk) % frame_bytes
                tail = chunk[usable:]
                _feed(report, np.frombuffer(chunk[:usable], dtype="<f4")
                      .reshape(-1, report.channels))
        if proc.returncode != 0:
            errors.seek(0)
            last = errors.read().decode(errors="replace").strip().splitlines()
            report.error = f"cannot decode it ({last[-1][:200] if last else 'ffmpeg failed'})"
    return report


def file_problem(report: FileReport, layer: Layer) -> str | None:
    """What is wrong with a probed file for ``layer`` (a bed or an event), or None."""
    if report.error is not None:
        return report.error
    if report.frames == 0:
        return "the file holds no audio"
    if report.nonfinite:
        return f"{report.nonfinite} NaN or infinite samples: the file is damaged"
    if report.peak == 0.0:
        return "the file is silent (every sample is 0)"
    low = MIN_BED_SECONDS if isinstance(layer, Bed) else MIN_EVENT_SECONDS
    if report.seconds < low:
        return (f"{report.seconds * 1000:.1f} ms is too short for {layer.kind} "
                f"(at least {low * 1000:g} ms)")
    return None


def probe_scene_files(scene: Scene) -> list[str]:
    """One line per unusable file of ``scene``, naming scene, layer and file; [] when
    every file is usable. Each file is decoded once even if several layers use it."""
    seen: dict[Path, FileReport] = {}
    lines = []
    for layer in scene.layers:
        for j, path in enumerate(layer.files):
            report = seen.get(path)
            if report is None:
                report = seen[path] = probe_file(path)
            problem = file_problem(report, layer)
            if problem is not None:
                lines.append(f'{scene.path}: layers[{layer.index}] "{layer.name}".files[{j}]: '
                             f"{path}: {problem}")
    return lines


def check_scene_files(scene: Scene) -> None:
    """Raise SourceError listing every unusable audio file of ``scene`` (see
    :func:`probe_scene_files`); return quietly when there is none."""
    lines = probe_scene_files(scene)
    if lines:
        noun = "file" if len(lines) == 1 else "files"
        raise SourceError(f"{len(lines)} unusable audio {noun}:\n"
                          + "\n".join(f"  - {line}" for line in lines))
