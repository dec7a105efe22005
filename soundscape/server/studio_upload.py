"""Audio files dropped onto the studio page, stored beside the scene.

``upload_name`` makes a safe new name from the one the browser gives; ``store_upload``
(worker thread: plain values in, the stored name out) writes the bytes whole or not
at all and never replaces a file: the temporary file is probed as audio, then linked
in place with ``atomic_path(..., no_clobber=True)``. Two uploads of one name, in one
session or two, get two files (``rain.wav``, ``rain-2.wav``).
"""

from __future__ import annotations

import re
from pathlib import Path

from ..atomic import atomic_path
from ..probe import probe_file
from .protocol import ProtocolError, show

MAX_UPLOAD_BYTES = 100 * 1024 * 1024  # an audio file dropped onto the page
UPLOAD_TYPES = (".wav", ".flac", ".ogg", ".opus", ".mp3", ".aiff", ".aif", ".m4a", ".wv")
MAX_NAME_TRIES = 1000  # "-2" ... before a folder is called full


def upload_name(name: str, folder: Path) -> str:
    """A safe, new file name in ``folder`` for an uploaded ``name``: its base name only
    (no folders, no traversal), letters, digits, ``-_.`` kept, a known audio suffix,
    and ``-2``, ``-3``... added rather than overwrite a file. ProtocolError if the
    type is not an audio type. (A name free now may be taken before the file is
    stored; ``store_upload`` then takes the next one.)"""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    stem, dot, suffix = base.rpartition(".")
    suffix = f".{suffix.lower()}" if dot else ""
    if suffix not in UPLOAD_TYPES:
        raise ProtocolError("bad_type", f"upload: {show(base)} is not one of "
                                        f"{', '.join(UPLOAD_TYPES)}")
    stem = re.sub(r"[^A-Za-z0-9_-]+", "-", stem).strip("-.")[:80] or "sound"
    candidate = f"{stem}{suffix}"
    n = 2
    while (folder / candidate).exists():
        if n > MAX_NAME_TRIES:
            raise ProtocolError("bad_name", f"upload: {MAX_NAME_TRIES} files named like "
                                            f"{show(base)} already")
        candidate = f"{stem}-{n}{suffix}"
        n += 1
    return candidate


def store_upload(folder: Path, name: str, data: bytes) -> str:
    """(worker) Store ``data`` in ``folder`` under ``name`` or, if that name was taken
    meanwhile, the next free one; returns the name used. ProtocolError ``bad_audio``
    (nothing stored) if the bytes are not audio soundscape can play."""
    wanted = name
    for _ in range(MAX_NAME_TRIES):
        target = folder / name
        try:
            with atomic_path(target, no_clobber=True) as tmp:
                tmp.write_bytes(data)
                report = probe_file(tmp)
                if report.error or report.frames == 0:
                    raise ProtocolError("bad_audio", f"upload: {wanted}: "
                                                     f"{report.error or 'no audio in it'}")
        except FileExistsError:  # another upload took the name first
            name = upload_name(wanted, folder)
            continue
        return name
    raise ProtocolError("bad_name", f"upload: no free name for {show(wanted)}")
