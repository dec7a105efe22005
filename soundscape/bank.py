"""The segment bank: an on-disk cache of rendered segments.

Each segment is stored under the digest of its key (everything that determines the
audio: source, parameters, seed, sample rate, generator version) as a float32 WAV
(lossless, so a warm bank gives the very samples a cold one did) plus a JSON sidecar
with the key, the segment's metadata and a checksum: the SHA-256 of the sample rate,
shape and float32 samples as the WAV holds them (interleaved). Loading verifies it,
so a file damaged in place (garbage bytes, NaN, absurd values, a mono file slipped
in) is caught even when it decodes to plausible noise; entries written before
checksums existed load unverified (the guard still checks what they hold).

Writes are atomic (``soundscape.atomic``): each file goes to a unique temporary name
in the same folder and is renamed into place, metadata first, audio last, so a reader
sees a segment only once both are whole. They are not fsynced: the bank is a cache,
and an entry a crash left short or empty fails its checksum and is made again. Two
writers of one key write the same samples (so the same checksum); the last rename
wins. A half-written, truncated or damaged entry is
treated as missing and made again; a damaged member of a group is dropped from the
group and deleted with a warning (logger ``soundscape.bank``) naming its key digest
and path.

Groups index segments by what a layer asks for (for example the digest of a prompt),
so the mixer can find every generated variant of a layer without knowing which model
made them.

Size: the bank keeps itself under ``max_bytes`` (default 2 GB, ``$SOUNDSCAPE_BANK_MAX``
such as ``500MB``; 0 for no cap) by evicting the least recently used entries. Loading
an entry touches its sidecar, so the sidecar's mtime is its last use. Eviction is
amortised: a put adds its bytes to a running estimate, and the folder is scanned
only on the first put, every SCAN_EVERY puts, or when the estimate passes the cap;
it then evicts down to LOW_WATER of the cap. It never evicts what this bank object
loaded or stored (the current run's segments), what any process used in the last
RECENT_SECONDS, or calibration files written since this object was made. An entry is
removed sidecar first, so a reader never sees half of one. Calibration files
(``calibration/``) count towards the size.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import os
import re
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import soundfile as sf

from .atomic import atomic_path, write_atomically
from .errors import BankError
from .segment import Segment, digest

log = logging.getLogger("soundscape.bank")

DEFAULT_MAX_BYTES = 2 * 10**9
SCAN_EVERY = 64  # puts between two scans of the folder (other processes write too)
LOW_WATER = 0.9  # eviction goes down to this fraction of the cap
RECENT_SECONDS = 60.0  # used this recently by any process: never evicted
STALE_TMP_SECONDS = 3600.0  # a temporary file this old belongs to a dead writer
CHECKSUM = "sha256"
ABSURD_PEAK = 1000.0  # verify: no stored segment is 60 dB over full scale

_SIZE = re.compile(r"(\d+(?:\.\d+)?)\s*([kmgt]i?b?|b)?", re.IGNORECASE)
_UNITS = {"": 1, "b": 1, "k": 10**3, "m": 10**6, "g": 10**9, "t": 10**12,
          "ki": 2**10, "mi": 2**20, "gi": 2**30, "ti": 2**40}


def parse_size(text: str | int) -> int:
    """Bytes from ``500MB``, ``2GB``, ``1.5G``, ``800MiB``, ``123456``; 0 from
    ``0``/``none``/``off``/``unlimited`` (no cap). ValueError quotes a bad value."""
    if isinstance(text, int):
        if text < 0:
            raise ValueError(f"{text!r} is not a size")
        return text
    value = str(text).strip()
    if value.lower() in ("none", "off", "unlimited", "0"):
        return 0
    match = _SIZE.fullmatch(value)
    if not match:
        raise ValueError(f"{text!r} is not a size (use e.g. 500MB, 2GB, 800MiB)")
    number, unit = match.groups()
    unit = (unit or "").lower().removesuffix("b")
    return int(float(number) * _UNITS[unit])


def format_size(size: float) -> str:
    """``1.23 GB``, ``456 MB``, ``12 kB``, ``7 B`` (powers of 1000)."""
    for unit, scale in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if size >= scale:
            value = size / scale
            return f"{value:.2f} {unit}" if value < 10 else f"{value:.0f} {unit}"
    return f"{size:.0f} B"


def default_bank_dir() -> Path:
    """``$SOUNDSCAPE_BANK``, else ``$XDG_CACHE_HOME/soundscape/bank``."""
    env = os.environ.get("SOUNDSCAPE_BANK")
    if env:
        return Path(env).expanduser()
    cache = os.environ.get("XDG_CACHE_HOME") or os.path.join(Path.home(), ".cache")
    return Path(cache) / "soundscape" / "bank"


def default_max_bytes() -> int:
    """``$SOUNDSCAPE_BANK_MAX`` (``500MB``, ``2GB``, ``0`` for no cap), else 2 GB."""
    env = os.environ.get("SOUNDSCAPE_BANK_MAX")
    if not env:
        return DEFAULT_MAX_BYTES
    try:
        return parse_size(env)
    except ValueError as exc:
        raise BankError(f"SOUNDSCAPE_BANK_MAX: {exc}") from None


def checksum(samples: np.ndarray, rate: int) -> str:
    """``sha256:HEX`` of the rate, shape and bytes of float32 (frames, channels) samples."""
    data = np.ascontiguousarray(samples, dtype=np.float32)
    h = hashlib.sha256(f"{rate}:{data.shape[0]}:{data.shape[1]}:".encode())
    h.update(data.data)
    return f"{CHECKSUM}:{h.hexdigest()}"


def _unlink(path: Path) -> int:
    """Remove ``path``; the bytes freed (0 when it was already gone)."""
    try:
        size = path.stat().st_size
        path.unlink()
    except FileNotFoundError:
        return 0
    return size


class Damaged(Exception):
    """An entry exists but cannot be trusted (internal: ``_read`` to its callers)."""


@dataclass
class Entry:
    """One unit of eviction: a segment (audio, sidecar, rejection marker), a
    calibration file or a leftover temporary file. ``used`` is the last use (epoch s)."""

    name: str  # key digest, or the file name for calibration and leftovers
    kind: str  # segment | calibration | leftover
    files: list[Path]
    size: int
    used: float


@dataclass
class BankScan:
    """What ``SegmentBank.scan`` found: every entry and the group index."""

    entries: list[Entry]
    groups: dict[str, list[str]]  # group -> key digests indexed there

    @property
    def total_bytes(self) -> int:
        return sum(e.size for e in self.entries)

    def of_kind(self, kind: str) -> list[Entry]:
        return [e for e in self.entries if e.kind == kind]


@dataclass
class PruneResult:
    """What a prune removed (or, with ``dry_run``, would remove) and what is left."""

    removed: list[Entry] = field(default_factory=list)
    kept_in_use: int = 0  # entries that would have gone but are in use
    remaining_bytes: int = 0

    @property
    def freed_bytes(self) -> int:
        return sum(e.size for e in self.removed)


class SegmentBank:
    """A folder of cached segments. See the module docstring for the layout.

    ``max_bytes``: the size cap in bytes or as text (``"500MB"``); 0 for none; None
    for ``$SOUNDSCAPE_BANK_MAX`` or 2 GB.

    Threads: one bank is shared by the server's build threads, its files thread, the
    studio's builds and the generation worker. What the object itself remembers (the
    ``hits``/``misses``/``evicted`` counters, the pinned keys, the damage notes and
    the eviction estimate) changes only inside its methods, under ``_lock``; the
    counters are read-only properties. The files are safe without it (atomic writes;
    a reader sees an entry whole or not at all). One put at a time scans and evicts;
    puts meanwhile only add to the estimate.
    """

    def __init__(self, root: str | os.PathLike[str] | None = None,
                 max_bytes: int | str | None = None):
        self.root = Path(root) if root is not None else default_bank_dir()
        if max_bytes is None:
            self.max_bytes = default_max_bytes()
        else:
            try:
                self.max_bytes = parse_size(max_bytes)
            except ValueError as exc:
                raise BankError(f"bank size cap: {exc}") from None
        self.opened = time.time()
        self._lock = threading.Lock()  # guards every field below (see the docstring)
        self._hits = 0
        self._misses = 0
        self._evicted = 0
        self._pinned: set[str] = set()  # key digests loaded or stored by this object
        self._damage: dict[str, str] = {}  # key digest -> why its copy could not be used
        self._estimate: int | None = None  # bytes, from the last scan plus puts since
        self._puts_since_scan = 0
        self._scan_above = 0  # the estimate that triggers the next scan
        self._evicting = False  # a put is scanning and evicting now

    @property
    def hits(self) -> int:
        """Segments ``get`` found in the bank (this object's lifetime)."""
        return self._hits

    @property
    def misses(self) -> int:
        """Segments ``get`` did not find (made by the caller, or by ``get_or_make``)."""
        return self._misses

    @property
    def evicted(self) -> int:
        """Entries this object evicted (for tests and reports)."""
        return self._evicted

    # -- paths -----------------------------------------------------------------
    def _paths(self, key_digest: str) -> tuple[Path, Path]:
        folder = self.root / "segments" / key_digest[:2]
        return folder / f"{key_digest}.wav", folder / f"{key_digest}.json"

    def _group_dir(self, group: str) -> Path:
        return self.root / "groups" / group

    # -- reading ----------------------------------------------------------------
    def get(self, key: dict[str, Any]) -> Segment | None:
        """The cached segment for ``key``, or None when absent, unreadable or damaged
        (``damaged(key)`` then says why)."""
        key_digest = digest(key)
        try:
            found = self._load(key_digest)
        except Damaged as exc:
            log.info("bank entry %s (%s) is damaged: %s; it will be made again",
                     key_digest, self._paths(key_digest)[0], exc)
            found = None
        with self._lock:
            if found is None:
                self._misses += 1
            else:
                self._hits += 1
        return found

    def damaged(self, key: dict[str, Any]) -> str | None:
        """Why the bank's copy of ``key`` was unusable when this object last loaded it
        (checksum mismatch, truncation, undecodable), or None."""
        with self._lock:
            return self._damage.get(digest(key))

    def _load(self, key_digest: str) -> Segment | None:
        """The segment, None when absent; raises Damaged when it cannot be trusted."""
        audio_path, meta_path = self._paths(key_digest)
        try:
            segment = self._read(audio_path, meta_path)
        except Damaged as exc:
            with self._lock:
                self._damage[key_digest] = str(exc)
            raise
        if segment is not None:
            with self._lock:
                self._pinned.add(key_digest)
            try:  # the sidecar's mtime is the entry's last use (LRU eviction)
                os.utime(meta_path)
            except OSError:
                pass  # a read-only bank: recency is only a hint
        return segment

    @staticmethod
    def _read(audio_path: Path, meta_path: Path) -> Segment | None:
        try:
            text = meta_path.read_text()
            raw = audio_path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise Damaged(f"unreadable: {exc.strerror or exc}") from None
        try:
            meta = json.loads(text)
            if not isinstance(meta, dict):
                raise ValueError("not an object")
        except ValueError:
            raise Damaged("sidecar is not valid JSON") from None
        try:
            data, rate = sf.read(io.BytesIO(raw), dtype="float32", always_2d=True)
        except (ValueError, RuntimeError, sf.LibsndfileError) as exc:
            raise Damaged(f"audio does not decode ({exc})") from None
        frames = meta.get("frames")
        if frames is not None and data.shape[0] != frames:
            raise Damaged(f"{data.shape[0]} frames where the sidecar says {frames}")
        expected = meta.get("checksum")
        if expected is not None and checksum(data, int(rate)) != expected:
            raise Damaged("checksum mismatch: the audio changed after it was stored")
        return Segment(np.ascontiguousarray(data.T), int(rate), meta.get("meta", {}))

    def contains(self, key: dict[str, Any]) -> bool:
        audio_path, meta_path = self._paths(digest(key))
        return audio_path.exists() and meta_path.exists()

    def verify(self, key_digest: str) -> tuple[str | None, bool]:
        """``(problem, checked)``: why the entry ``key_digest`` is damaged (decode,
        length, checksum, NaN or infinite samples) or None when it is sound, and
        whether a checksum was there to verify. Does not touch its recency."""
        from .guard import check_segment, describe  # scipy: only needed here

        audio_path, meta_path = self._paths(key_digest)
        if not meta_path.exists():
            return "no sidecar (an unfinished write)", False
        if not audio_path.exists():
            return "no audio (an unfinished write)", False
        try:
            checked = "checksum" in json.loads(meta_path.read_text())
            segment = self._read(audio_path, meta_path)
        except (Damaged, OSError, ValueError, TypeError) as exc:
            return (str(exc) if isinstance(exc, Damaged) else "sidecar is not valid JSON"), False
        if segment is None:
            return "vanished while being read", False
        if not np.isfinite(segment.audio).all():  # the guard says where and how many
            return describe(check_segment(segment.audio, segment.sample_rate)), checked
        peak = float(np.max(np.abs(segment.audio), initial=0.0))
        if peak > ABSURD_PEAK:
            return f"samples of {peak:.3g} full scale", checked
        return None, checked

    # -- writing ----------------------------------------------------------------
    def put(self, key: dict[str, Any], segment: Segment, group: str | None = None) -> Segment:
        """Store ``segment`` under ``key`` (atomically); returns it as stored."""
        key_digest = digest(key)
        audio_path, meta_path = self._paths(key_digest)
        interleaved = np.ascontiguousarray(segment.audio.T)
        record = {
            "key": key,
            "frames": segment.frames,
            "channels": segment.channels,
            "sample_rate": segment.sample_rate,
            "checksum": checksum(interleaved, segment.sample_rate),
            "meta": segment.meta,
        }
        text = json.dumps(record, indent=1, sort_keys=True, default=str)
        with self._lock:
            self._pinned.add(key_digest)
        try:
            audio_path.parent.mkdir(parents=True, exist_ok=True)
            write_atomically(meta_path, text, fsync=False)
            with atomic_path(audio_path, fsync=False) as tmp:
                sf.write(str(tmp), interleaved, segment.sample_rate, subtype="FLOAT",
                         format="WAV")
            if group is not None:
                gdir = self._group_dir(group)
                gdir.mkdir(parents=True, exist_ok=True)
                write_atomically(gdir / key_digest, key_digest, fsync=False)
        except OSError as exc:
            raise BankError(f"cannot write segment to bank {self.root}: {exc}") from exc
        with self._lock:
            self._damage.pop(key_digest, None)
        # the WAV is its samples plus a header of well under a kilobyte
        self._after_put(interleaved.nbytes + len(text) + 1024)
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
            return found
        return self.put(key, make(), group=group)

    # -- rejections -------------------------------------------------------------
    def reject(self, key: dict[str, Any], reason: str) -> None:
        """Remember that the segment for ``key`` failed its checks (so it is not made
        again on every run). Best effort: a read-only bank only costs the work."""
        audio_path, _ = self._paths(digest(key))
        try:
            audio_path.parent.mkdir(parents=True, exist_ok=True)
            marker = audio_path.with_suffix(".rejected")
            write_atomically(marker, reason, fsync=False)
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
        """Every sound segment indexed under ``group``, in a stable order.

        A damaged member is dropped from the group and deleted with a warning (so
        ``soundscape generate`` makes it again); a member that is gone (evicted,
        deleted) is dropped quietly.
        """
        gdir = self._group_dir(group)
        if not gdir.is_dir():
            return []
        found = []
        for entry in sorted(p.name for p in gdir.iterdir() if not p.name.startswith(".")):
            try:
                seg = self._load(entry)
            except Damaged as exc:
                audio_path, meta_path = self._paths(entry)
                log.warning("bank entry %s (%s) rejected: %s; dropped from group %s and "
                            "deleted (generate makes it again)", entry, audio_path, exc, group)
                self._drop_link(group, entry)
                for path in (meta_path, audio_path):  # sidecar first: never half an entry
                    try:
                        _unlink(path)
                    except OSError:
                        pass  # a read-only bank: rejected again next time
                continue
            if seg is None:
                self._drop_link(group, entry)
            else:
                found.append(seg)
        return found

    def _drop_link(self, group: str, key_digest: str) -> None:
        try:
            self.ungroup(group, key_digest)
        except BankError:
            pass  # a read-only bank: skipped again next time

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

    # -- size -------------------------------------------------------------------
    def scan(self) -> BankScan:
        """Every entry with its size and last use, and the group index (stats only)."""
        entries: list[Entry] = []
        segments: dict[str, Entry] = {}
        sidecar_used: dict[str, float] = {}
        for path, st in _files(self.root / "segments", depth=2):
            if path.name.startswith("."):  # a temporary file of a writer
                entries.append(Entry(path.name, "leftover", [path], st.st_size, st.st_mtime))
                continue
            stem, _, suffix = path.name.partition(".")
            entry = segments.setdefault(stem, Entry(stem, "segment", [], 0, 0.0))
            entry.files.append(path)
            entry.size += st.st_size
            if suffix == "json":
                sidecar_used[stem] = st.st_mtime
            entry.used = max(entry.used, st.st_mtime)
        for stem, entry in segments.items():
            # last use: the sidecar's mtime (touched on load); without one, the newest file's
            entry.used = sidecar_used.get(stem, entry.used)
        entries.extend(segments.values())
        for path, st in _files(self.root / "calibration", depth=1):
            kind = "leftover" if path.name.startswith(".") else "calibration"
            entries.append(Entry(path.name, kind, [path], st.st_size, st.st_mtime))
        groups: dict[str, list[str]] = {}
        gdir = self.root / "groups"
        if gdir.is_dir():
            for g in sorted(gdir.iterdir()):
                if g.is_dir():
                    groups[g.name] = sorted(p.name for p in g.iterdir()
                                            if not p.name.startswith("."))
        return BankScan(entries, groups)

    def in_use(self, entry: Entry, now: float | None = None) -> bool:
        """Whether eviction must keep ``entry``: this object's segments, anything used
        in the last RECENT_SECONDS (other processes at work), calibration files written
        since this object was made, temporary files younger than STALE_TMP_SECONDS."""
        now = time.time() if now is None else now
        if entry.kind == "leftover":
            return now - entry.used < STALE_TMP_SECONDS
        if now - entry.used < RECENT_SECONDS:
            return True
        if entry.kind == "calibration":
            return entry.used >= self.opened - 1.0
        with self._lock:
            return entry.name in self._pinned

    def prune(self, max_bytes: int | None = None, older_than: float | None = None,
              dry_run: bool = False) -> PruneResult:
        """Evict least recently used entries until the bank holds at most ``max_bytes``
        (default: this bank's cap; 0: no size limit) and every entry unused for more
        than ``older_than`` seconds; leftover temporary files of dead writers go too.
        Entries in use (see ``in_use``) stay. With ``dry_run`` nothing is removed."""
        limit = self.max_bytes if max_bytes is None else max_bytes
        return self._prune(self.scan(), limit, older_than, dry_run)

    def _prune(self, scan: BankScan, limit: int, older_than: float | None,
               dry_run: bool) -> PruneResult:
        now = time.time()
        total = scan.total_bytes
        result = PruneResult()
        member_of: dict[str, list[str]] = {}
        for g, members in scan.groups.items():
            for m in members:
                member_of.setdefault(m, []).append(g)
        for entry in sorted(scan.entries, key=lambda e: e.used):
            stale = entry.kind == "leftover" or (
                older_than is not None and now - entry.used > older_than)
            if not (stale or (limit and total > limit)):
                continue
            if self.in_use(entry, now):
                result.kept_in_use += entry.kind != "leftover"
                continue
            if not dry_run:
                self.remove(entry, member_of.get(entry.name, []))
            result.removed.append(entry)
            total -= entry.size
        result.remaining_bytes = total
        return result

    def remove(self, entry: Entry, groups: list[str]) -> None:
        """Delete one entry: its group links, then the sidecar (so no reader sees it
        any longer), then the audio and any rejection marker."""
        for path in ([self._group_dir(g) / entry.name for g in groups]
                     + sorted(entry.files, key=lambda p: p.suffix != ".json")):
            try:
                _unlink(path)
            except OSError as exc:
                log.debug("cannot remove %s: %s", path, exc)
        with self._lock:
            self._evicted += 1

    def _after_put(self, added: int) -> None:
        """Amortised cap enforcement (see the module docstring)."""
        if not self.max_bytes:
            return
        with self._lock:
            self._puts_since_scan += 1
            if self._estimate is not None:
                self._estimate += added
                if self._estimate <= self._scan_above and self._puts_since_scan < SCAN_EVERY:
                    return
            if self._evicting:  # another thread is at it; its scan sees these bytes
                return
            self._evicting = True
            estimate = self._estimate
        total = estimate or 0
        try:
            scan = self.scan()
            total = scan.total_bytes
            if total > self.max_bytes:
                result = self._prune(scan, int(self.max_bytes * LOW_WATER), None, False)
                total = result.remaining_bytes
                log.debug("bank %s: evicted %d entries (%s), %s left", self.root,
                          len(result.removed), format_size(result.freed_bytes),
                          format_size(total))
        except OSError as exc:  # a bank we cannot list or clean only grows
            log.debug("bank %s: eviction failed: %s", self.root, exc)
        finally:
            with self._lock:
                self._evicting = False
                self._estimate = total
                self._puts_since_scan = 0
                # when what is in use alone passes the cap, scan again only after a
                # tenth more
                self._scan_above = max(self.max_bytes, total + self.max_bytes // 10)


def _files(folder: Path, depth: int) -> Iterator[tuple[Path, os.stat_result]]:
    """Regular files ``depth`` levels below ``folder`` with their stat (races: skipped)."""
    try:
        items = list(os.scandir(folder))
    except (FileNotFoundError, NotADirectoryError):
        return
    for item in items:
        try:
            if depth > 1:
                if item.is_dir(follow_symlinks=False):
                    yield from _files(Path(item.path), depth - 1)
            elif item.is_file(follow_symlinks=False):
                yield Path(item.path), item.stat(follow_symlinks=False)
        except FileNotFoundError:
            continue
