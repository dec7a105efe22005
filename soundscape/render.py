"""Rendering a scene graph to a file: streamed block by block, written atomically.

The audio goes to a temporary file in the target folder (so the final rename never
crosses file systems) and is renamed over the target only when complete: Ctrl-C, a
full disk or an error leave nothing under the target name, and an existing file is
replaced only with ``force``. Encoding runs on a writer thread (libsndfile releases
the GIL) while the mixer computes the next blocks.
"""

from __future__ import annotations

import os
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf

from .errors import RenderError

# extension -> (libsndfile format, default subtype)
FORMATS = {
    ".wav": ("WAV", "PCM_24"),
    ".flac": ("FLAC", "PCM_16"),
    ".ogg": ("OGG", "VORBIS"),
    ".oga": ("OGG", "VORBIS"),
    ".opus": ("OGG", "OPUS"),
    ".mp3": ("MP3", "MPEG_LAYER_III"),
}
OPUS_RATES = (8000, 12000, 16000, 24000, 48000)


@dataclass(frozen=True)
class OutputFormat:
    format: str
    subtype: str


def output_format(path: Path, rate: int, bit_depth: int | None = None) -> OutputFormat:
    """The libsndfile format for ``path``'s extension; RenderError if unsupported."""
    ext = path.suffix.lower()
    if ext not in FORMATS:
        raise RenderError(
            f"{path}: unsupported output format '{ext or '(none)'}' "
            f"(use one of {', '.join(FORMATS)})"
        )
    fmt, subtype = FORMATS[ext]
    if bit_depth is not None:
        if fmt not in ("WAV", "FLAC"):
            raise RenderError(f"{path}: --bit-depth applies to wav and flac only")
        if bit_depth == 32 and fmt == "FLAC":
            raise RenderError(f"{path}: FLAC supports 16 or 24 bits, not 32")
        subtype = {16: "PCM_16", 24: "PCM_24", 32: "FLOAT"}[bit_depth]
    if ext == ".opus" and rate not in OPUS_RATES:
        raise RenderError(
            f"{path}: Opus needs a sample rate of {', '.join(map(str, OPUS_RATES))}; "
            f"the scene runs at {rate}"
        )
    return OutputFormat(fmt, subtype)


def render_file(
    pull: Callable[[int], np.ndarray],
    total_frames: int,
    rate: int,
    out: Path,
    force: bool = False,
    bit_depth: int | None = None,
    block: int | None = None,
    progress: Callable[[int], None] | None = None,
) -> None:
    """Write ``total_frames`` of ``pull(frames)`` output to ``out`` (exact length).

    ``progress(frames_done)`` is called after each block. Raises RenderError on any
    failure, after removing the temporary file.
    """
    out = Path(out)
    fmt = output_format(out, rate, bit_depth)
    if out.exists() and not force:
        raise RenderError(f"{out} already exists (use --force to overwrite it)")
    if out.is_dir():
        raise RenderError(f"{out} is a folder")
    folder = out.parent if str(out.parent) else Path(".")
    if not folder.is_dir():
        raise RenderError(f"{out}: the folder {folder} does not exist")
    block = block or rate
    tmp = folder / f".{out.name}.{os.getpid()}.partial"
    blocks: queue.Queue[np.ndarray | None] = queue.Queue(maxsize=4)
    failure: list[BaseException] = []

    def writer(handle: sf.SoundFile) -> None:
        try:
            while True:
                item = blocks.get()
                if item is None:
                    return
                handle.write(item)
        except BaseException as exc:  # reported on the main thread
            failure.append(exc)
            while blocks.get() is not None:  # drain so the producer never blocks
                pass

    try:
        handle = sf.SoundFile(str(tmp), "w", rate, 2, subtype=fmt.subtype, format=fmt.format)
    except (sf.LibsndfileError, RuntimeError, OSError) as exc:
        _remove(tmp)
        raise RenderError(f"{out}: cannot create output: {exc}") from None
    thread = threading.Thread(target=writer, args=(handle,), daemon=True)
    thread.start()
    done = 0
    finished = False
    try:
        while done < total_frames:
            n = min(block, total_frames - done)
            audio = pull(n)
            if audio.shape != (2, n):
                raise RenderError(f"{out}: the mixer gave {audio.shape} for a block of {n} frames")
            if not np.isfinite(audio).all():  # never hand an encoder a NaN (libsndfile's
                audio = np.nan_to_num(audio, nan=0.0, posinf=0.0, neginf=0.0)  # MP3 aborts)
            if failure:
                break
            blocks.put(np.ascontiguousarray(audio.T))
            done += n
            if progress is not None:
                progress(done)
        finished = True
    finally:
        blocks.put(None)
        thread.join()
        try:
            handle.close()
        except (sf.LibsndfileError, RuntimeError, OSError) as exc:
            failure.append(exc)
        if not finished or failure:
            _remove(tmp)
    if failure:
        reason = str(failure[0]).strip() or type(failure[0]).__name__
        raise RenderError(f"{out}: writing failed: {reason}")
    try:
        os.replace(tmp, out)
    except OSError as exc:
        _remove(tmp)
        raise RenderError(f"{out}: cannot move the finished file into place: {exc}") from None


def _remove(path: Path) -> None:
    try:
        path.unlink()
    except FileNotFoundError:
        pass


class Speedometer:
    """x-realtime figures for progress bars: audio seconds per wall second."""

    def __init__(self, rate: int):
        self.rate = rate
        self.started = time.perf_counter()

    def ratio(self, frames: int) -> float:
        elapsed = time.perf_counter() - self.started
        return frames / self.rate / elapsed if elapsed > 0 else 0.0
