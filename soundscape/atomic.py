"""The one way soundscape writes a file: whole or not at all.

``atomic_path(path)`` yields a temporary path in the same folder; when the block
ends normally the temporary file is flushed to disk (fsync), put in place with one
rename (or, with ``no_clobber``, a hard link that fails if ``path`` appeared
meanwhile) and the folder is synced, so a crash or a full disk never leaves a
half-written file under the real name. On any error the temporary file is removed
and the old file, if any, is untouched. ``write_atomically`` is the common case of
text or bytes. Every writer in soundscape goes through these two.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path


def _umask() -> int:
    """The process's umask, read without changing it (Linux); 0o022 elsewhere."""
    try:
        with open("/proc/self/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    return 0o022


def _fsync_file(path: str) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_folder(folder: Path) -> None:
    with contextlib.suppress(OSError):  # not every file system lets a folder be opened
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike[str], *, no_clobber: bool = False,
                keep_mode: bool = True, fsync: bool = True) -> Iterator[Path]:
    """Yield a temporary path beside ``path`` (same suffix, so writers that infer a
    format from it still work); on success put it in place as described above.

    ``no_clobber``: raise FileExistsError rather than replace an existing ``path``
    (checked by ``os.link``, which is atomic; on a file system without hard links
    the check and the rename are two steps). ``keep_mode``: an existing file's
    permission bits carry over (a new file gets the usual 0o666 less the umask, not
    the temporary file's private 0o600). ``fsync``: flush the data before the rename (turn
    off only for caches whose loss is harmless).
    """
    target = Path(path)
    folder = target.parent if str(target.parent) else Path(".")
    mode = 0o666 & ~_umask()
    if keep_mode:
        with contextlib.suppress(OSError):
            mode = target.stat().st_mode & 0o777
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=f".tmp{target.suffix}",
                               dir=folder)
    os.close(fd)
    try:
        yield Path(tmp)
        if fsync:
            _fsync_file(tmp)
        os.chmod(tmp, mode)
        if no_clobber:
            try:
                os.link(tmp, target)
            except FileExistsError:
                raise
            except OSError:  # no hard links here: check, then rename
                if target.exists():
                    raise FileExistsError(17, "File exists", str(target)) from None
                os.replace(tmp, target)
        else:
            os.replace(tmp, target)
    finally:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
    if fsync:
        _fsync_folder(folder)


def write_atomically(path: str | os.PathLike[str], data: str | bytes, *,
                     no_clobber: bool = False, keep_mode: bool = True,
                     fsync: bool = True) -> None:
    """Write ``data`` (text is UTF-8) to ``path`` through ``atomic_path``."""
    blob = data.encode("utf-8") if isinstance(data, str) else data
    with atomic_path(path, no_clobber=no_clobber, keep_mode=keep_mode, fsync=fsync) as tmp:
        tmp.write_bytes(blob)
