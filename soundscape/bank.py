"""The segment bank: an on-disk cache of rendered segments.

Each segment is stored under the digest of its key (everything that determines the
audio: source, parameters, seed, sample rate, generator version) as a float32 WAV
(lossless, so a warm bank gives the very samples a cold one did) plus a JSON sidecar
with the key and the segment's metadata.

Writes are atomic: each file goes to a unique temporary name in the same folder and
is renamed into place, metadata first, audio last, so a reader sees a segment only
once both are whole. Two writers of one key write the same bytes; the last rename
wins. A half-written or corrupt entry is treated as missing and made again.

Groups index segments by what a layer asks for (for example the digest of a prompt),
so the mixer can find every generated variant of a layer without knowing which model
made them.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import soundfile as sf

from .errors import BankError
from .segment import Segment, digest


def default_bank_dir() -> Path:
    """``$SOUNDSCAPE_BANK``, else ``$XDG_CACHE_HOME/soundscape/bank``."""
    env = os.environ.get("SOUNDSCAPE_BANK")
    if env:
        return Path(env).expanduser()
    cache = os.environ.get("XDG_CACHE_HOME") or os.path.join(Path.home(), ".cache")
    return Path(cache) / "soundscape" / "bank"


def _atomic_write(path: Path, write: Callable[[str], object]) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        write(tmp)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


class SegmentBank:
    """A folder of cached segments. See the module docstring for the layout."""

    def __init__(self, root: str | os.PathLike[str] | None = None):
        self.root = Path(root) if root is not None else default_bank_dir()
        self.hits = 0
        self.misses = 0

    # -- paths -----------------------------------------------------------------
    def _paths(self, key_digest: str) -> tuple[Path, Path]:
        folder = self.root / "segments" / key_digest[:2]
        return folder / f"{key_digest}.wav", folder / f"{key_digest}.json"

    def _group_dir(self, group: str) -> Path:
        return self.root / "groups" / group

    # -- reading ----------------------------------------------------------------
    def get(self, key: dict[str, Any]) -> Segment | None:
        """The cached segment for ``key``, or None when absent or unreadable."""
        return self._load(digest(key))

    def _load(self, key_digest: str) -> Segment | None:
        audio_path, meta_path = self._paths(key_digest)
        if not audio_path.exists() or not meta_path.exists():
            return None
        try:
            meta = json.loads(meta_path.read_text())
            data, rate = sf.read(str(audio_path), dtype="float32", always_2d=True)
        except (OSError, ValueError, RuntimeError, sf.LibsndfileError):
            return None
        frames = meta.get("frames")
        if frames is not None and data.shape[0] != frames:
            return None  # truncated by something outside our control
        return Segment(np.ascontiguousarray(data.T), int(rate), meta.get("meta", {}))

    def contains(self, key: dict[str, Any]) -> bool:
        audio_path, meta_path = self._paths(digest(key))
        return audio_path.exists() and meta_path.exists()

    # -- writing ----------------------------------------------------------------
    def put(self, key: dict[str, Any], segment: Segment, group: str | None = None) -> Segment:
        """Store ``segment`` under ``key`` (atomically); returns it as stored."""
        key_digest = digest(key)
        audio_path, meta_path = self._paths(key_digest)
        try:
            audio_path.parent.mkdir(parents=True, exist_ok=True)
            record = {
                "key": key,
                "frames": segment.frames,
                "channels": segment.channels,
                "sample_rate": segment.sample_rate,
                "meta": segment.meta,
            }
            text = json.dumps(record, indent=1, sort_keys=True, default=str)
            _atomic_write(meta_path, lambda tmp: Path(tmp).write_text(text))
            _atomic_write(
                audio_path,
                lambda tmp: sf.write(
                    tmp, segment.audio.T, segment.sample_rate, subtype="FLOAT", format="WAV"
                ),
            )
            if group is not None:
                gdir = self._group_dir(group)
                gdir.mkdir(parents=True, exist_ok=True)
                _atomic_write(gdir / key_digest, lambda tmp: Path(tmp).write_text(key_digest))
        except OSError as exc:
            raise BankError(f"cannot write segment to bank {self.root}: {exc}") from exc
        return segment

    def get_or_make(
        self,
        key: dict[str, Any],
        make: Callable[[], Segment],
        group: str | None = None,
    ) -> Segment:
        """The cached segment for ``key``; made with ``make()`` and stored when absent."""
        found = self.get(key)
        if found is not None:
            self.hits += 1
            return found
        self.misses += 1
        return self.put(key, make(), group=group)

    # -- rejections -------------------------------------------------------------
    def reject(self, key: dict[str, Any], reason: str) -> None:
        """Remember that the segment for ``key`` failed its checks (so it is not made
        again on every run). Best effort: a read-only bank only costs the work."""
        audio_path, _ = self._paths(digest(key))
        try:
            audio_path.parent.mkdir(parents=True, exist_ok=True)
            marker = audio_path.with_suffix(".rejected")
            _atomic_write(marker, lambda tmp: Path(tmp).write_text(reason))
        except OSError:
            pass

    def rejected(self, key: dict[str, Any]) -> str | None:
        """Why the segment for ``key`` was rejected, or None."""
        audio_path, _ = self._paths(digest(key))
        try:
            return audio_path.with_suffix(".rejected").read_text()
        except OSError:
            return None

    # -- groups -----------------------------------------------------------------
    def group(self, group: str) -> list[Segment]:
        """Every readable segment indexed under ``group``, in a stable order."""
        gdir = self._group_dir(group)
        if not gdir.is_dir():
            return []
        found = []
        for entry in sorted(p.name for p in gdir.iterdir() if not p.name.startswith(".")):
            seg = self._load(entry)
            if seg is not None:
                found.append(seg)
        return found

    def group_size(self, group: str) -> int:
        gdir = self._group_dir(group)
        if not gdir.is_dir():
            return 0
        return sum(1 for p in gdir.iterdir() if not p.name.startswith("."))

    def ungroup(self, group: str, key_digest: str) -> bool:
        """Drop one segment (by key digest) from ``group``'s index; the segment stays cached.

        Returns whether it was indexed there.
        """
        try:
            (self._group_dir(group) / key_digest).unlink()
        except FileNotFoundError:
            return False
        except OSError as exc:
            raise BankError(f"cannot update group {group} in bank {self.root}: {exc}") from exc
        return True

    def segment_paths(self) -> list[Path]:
        """Every stored audio file (for tools that read the bank directly)."""
        return sorted((self.root / "segments").glob("*/*.wav"))
