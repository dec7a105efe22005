"""Rendering a scene graph to a file: streamed block by block, written atomically.

The audio goes to a temporary file in the target folder (``soundscape.atomic``, so
the final rename never crosses file systems) and is flushed to disk and renamed over
the target only when complete: Ctrl-C, a full disk or an error leave nothing under
the target name, and an existing file is replaced only with ``force``. Encoding runs
on a writer thread (libsndfile releases the GIL) while the mixer computes the next
blocks.

The temporary file is ``.NAME.XXXXXXXX.tmp.EXT`` (``atomic_path``'s name). One left
by a process that was killed (SIGKILL, a power cut) is removed when a later render
starts in that folder, once nothing has written to it for STALE_TEMP_SECONDS (a live
render writes every block); so is a ``.NAME.PID.partial`` of an older version whose
process is gone. Faults of the file system become one RenderError each: a read-only,
missing or forbidden folder ("cannot write to FOLDER: read-only file system") and a
full disk ("no space left on FOLDER (N MB free): nothing was written to OUT";
libsndfile itself says only "System error.").
"""

from __future__ import annotations

import errno
import logging
import os
import queue
import re
import shutil
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import soundfile as sf

from .atomic import atomic_path
from .errors import RenderError
from .scene import Scene

log = logging.getLogger(__name__)

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
# Lossy encoders overshoot the limiter: a scene held at -1 dBTP decoded at +0.3 (mp3),
# +0.6 (opus) and +0.2 dBTP (vorbis), so these formats get a lower ceiling.
LOSSY = frozenset({"VORBIS", "OPUS", "MPEG_LAYER_III"})
LOSSY_HEADROOM_DB = 2.0
PARTIAL = re.compile(r"\..+\.(\d+)\.partial")  # .NAME.PID.partial (older versions, probes)
STALE_PARTIAL_SECONDS = 60.0
# atomic_path's temporary file for an output NAME.EXT: .NAME.EXT.XXXXXXXX.tmp.EXT
TEMP = re.compile(r"\..+(\.[A-Za-z0-9]+)\.[A-Za-z0-9_]{8}\.tmp\1")
STALE_TEMP_SECONDS = 3600.0  # unwritten this long: its render was killed
# libsndfile reports a full disk as "System error."; with less free space than this
# after one, a full disk is what it was
LOW_SPACE_BYTES = 16 * 2**20
_REASONS = {
    errno.EROFS: "read-only file system",
    errno.EACCES: "permission denied",
    errno.EPERM: "permission denied",
    errno.ENOENT: "no such folder",
    errno.ENOTDIR: "not a folder",
}
_NO_SPACE = (errno.ENOSPC, errno.EDQUOT)


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


def for_output(scene: Scene, path: Path) -> Scene:
    """``scene`` with its true-peak ceiling lowered by LOSSY_HEADROOM_DB when ``path``
    is a lossy format, so the decoded file still stays under the scene's ceiling."""
    subtype = FORMATS.get(Path(path).suffix.lower(), ("", ""))[1]
    return lossy_headroom(scene) if subtype in LOSSY else scene


def lossy_headroom(scene: Scene) -> Scene:
    """``scene`` with a ceiling LOSSY_HEADROOM_DB lower: what a stream encoded to Opus,
    MP3 or AAC (the server, ``broadcast``) plays."""
    ceiling = scene.master.ceiling_dbtp - LOSSY_HEADROOM_DB
    return replace(scene, master=replace(scene.master, ceiling_dbtp=ceiling))


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
    prepare_output(out)
    folder = out.parent if str(out.parent) else Path(".")
    stage = "create"  # an OSError from the mixer itself (stage "encode") passes through
    try:
        with atomic_path(out) as tmp:
            stage = "encode"
            _encode(pull, total_frames, rate, tmp, fmt, block or rate, progress, out)
            stage = "place"
    except OSError as exc:
        if stage == "create":
            raise _write_error(exc, folder, out) from None
        if stage == "place":
            raise _write_error(exc, folder, out, f"{out}: cannot move the finished file "
                                                  f"into place: {exc.strerror or exc}") from None
        raise


def _encode(pull: Callable[[int], np.ndarray], total_frames: int, rate: int, tmp: Path,
            fmt: OutputFormat, block: int, progress: Callable[[int], None] | None,
            out: Path) -> None:
    """Encode the blocks into ``tmp`` on a writer thread; RenderError naming ``out`` on
    any failure (the caller removes ``tmp``)."""
    folder = tmp.parent
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
    except OSError as exc:
        raise _write_error(exc, folder, out) from None
    except (sf.LibsndfileError, RuntimeError) as exc:
        raise _write_error(exc, folder, out, f"{out}: cannot create output: {exc}") from None
    thread = threading.Thread(target=writer, args=(handle,), daemon=True)
    thread.start()
    done = 0
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
    finally:
        blocks.put(None)
        thread.join()
        try:
            handle.close()
        except (sf.LibsndfileError, RuntimeError, OSError) as exc:
            failure.append(exc)
    if failure:
        reason = str(failure[0]).strip() or type(failure[0]).__name__
        raise _write_error(failure[0], folder, out, f"{out}: writing failed: {reason}")


def prepare_output(out: Path) -> None:
    """Check that ``out`` can be written and clear its folder of stale temporary files
    (see ``remove_stale_partials``). RenderError names the folder and the reason
    (read-only, missing, forbidden, full)."""
    out = Path(out)
    if out.is_dir():
        raise RenderError(f"{out} is a folder")
    folder = out.parent if str(out.parent) else Path(".")
    if not folder.is_dir():
        raise RenderError(f"cannot write to {folder}: "
                          + ("not a folder" if folder.exists() else "no such folder"))
    remove_stale_partials(folder)
    probe = folder / f".{out.name}.{os.getpid()}.partial"
    try:  # a read-only or forbidden folder fails here, before any synthesis
        _create(probe)
    except OSError as exc:
        _remove(probe)
        raise _write_error(exc, folder, out) from None
    _remove(probe)


def remove_stale_partials(folder: Path, now: float | None = None) -> list[Path]:
    """Remove the temporary files of killed renders in ``folder``; returns them.

    An ``atomic_path`` temporary file of an audio output (``.NAME.EXT.XXXXXXXX.tmp.EXT``)
    goes once it is STALE_TEMP_SECONDS old; a ``.NAME.PID.partial`` once its process is
    gone and it is STALE_PARTIAL_SECONDS old. Best effort: what cannot be removed stays.
    """
    now = time.time() if now is None else now
    removed: list[Path] = []
    try:
        items = list(os.scandir(folder))
    except OSError:
        return removed
    for item in items:
        partial = PARTIAL.fullmatch(item.name)
        temp = TEMP.fullmatch(item.name)
        if (partial is None and temp is None) or (
                temp is not None and temp.group(1).lower() not in FORMATS):
            continue
        try:
            st = item.stat(follow_symlinks=False)
            age = now - st.st_mtime
            if (not item.is_file(follow_symlinks=False)
                    or (partial is not None and (age < STALE_PARTIAL_SECONDS
                                                 or _alive(int(partial.group(1)))))
                    or (partial is None and age < STALE_TEMP_SECONDS)):
                continue
            os.unlink(item.path)
        except OSError:
            continue
        log.info("removed %s, left by a render that was killed", item.path)
        removed.append(Path(item.path))
    return removed


def _alive(pid: int) -> bool:
    """Whether process ``pid`` exists (or might: anything but a clear no is a yes)."""
    if pid == os.getpid():
        return True
    if not 0 < pid < 2**31:
        return True  # not a pid we could have written: leave the file alone
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # EPERM: someone else's process
        return True
    return True


def _create(path: Path) -> None:
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644))


def _free_mb(folder: Path) -> str:
    try:
        return f"{shutil.disk_usage(folder).free / 2**20:.0f}"
    except OSError:
        return "?"


def _write_error(exc: BaseException, folder: Path, out: Path,
                 otherwise: str | None = None) -> RenderError:
    """The one message for a failed write: no space, an unwritable folder, or
    ``otherwise`` (default: the OS's own words)."""
    code = exc.errno if isinstance(exc, OSError) else None
    full = code in _NO_SPACE
    if not full and isinstance(exc, RuntimeError) and "system error" in str(exc).lower():
        try:  # libsndfile's word for a full disk, among other things
            full = shutil.disk_usage(folder).free < LOW_SPACE_BYTES
        except OSError:
            pass
    if full:
        said = f" (writing failed: {exc.strerror})" if isinstance(exc, OSError) and \
            exc.strerror else ""
        return RenderError(f"no space left on {folder} ({_free_mb(folder)} MB free): "
                           f"nothing was written to {out}{said}")
    if code in _REASONS:
        return RenderError(f"cannot write to {folder}: {_REASONS[code]}")
    if otherwise is not None:
        return RenderError(otherwise)
    reason = (exc.strerror if isinstance(exc, OSError) else None) or str(exc)
    return RenderError(f"cannot write to {folder}: {reason}")


def _remove(path: Path) -> None:
    """Best effort: on a read-only or vanished folder the cleanup must not hide the
    error that needed it."""
    try:
        path.unlink()
    except FileNotFoundError:
        pass
    except OSError as exc:
        log.debug("cannot remove %s: %s", path, exc)


class Speedometer:
    """x-realtime figures for progress bars: audio seconds per wall second."""

    def __init__(self, rate: int):
        self.rate = rate
        self.started = time.perf_counter()

    def ratio(self, frames: int) -> float:
        elapsed = time.perf_counter() - self.started
        return frames / self.rate / elapsed if elapsed > 0 else 0.0


def write_text_atomically(path: Path, text: str, what: str) -> None:
    """Write ``text`` to ``path`` whole or not at all (``soundscape.atomic``), so a
    failure leaves the old file (or none); RenderError names ``what`` and why."""
    try:
        with atomic_path(path) as tmp:
            tmp.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise RenderError(f"{path}: cannot write {what}: {exc.strerror or exc}") from None
