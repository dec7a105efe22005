"""The scene file open in the studio, and the only code that reads or writes it.

Ownership: a :class:`StudioDoc` belongs to the event loop of its studio session.
Only loop code reads or changes its fields. Disk work runs on worker threads
through three pure functions that take plain values and return results:

* ``read_scene(path)``: the text and its :class:`DiskStamp`.
* ``read_if_changed(path, known)``: the same, or None while the file is still ``known``
  (``disk_changed`` tells which).
* ``write_scene(job)``: a :class:`SaveJob` written, or a :class:`SaveConflict`.

(The async methods take these as arguments, so a test can put a slow disk there.)

The doc's async methods (``save``, ``reload``, ``poll_disk``) take a snapshot on the
loop, await one of these on a thread, and apply the result on the loop, one disk job
at a time. Two promises follow from that:

* An invalid scene is never written. A save writes the text that was validated
  when the save began; an edit arriving meanwhile changes ``text``, not the job.
* An edit is never lost to a reload. If the text changed while the file was read,
  or there are unsaved edits when another editor's change arrives, the edits are
  kept and the caller is told (``Polled.taken`` False).
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ..atomic import write_atomically
from ..errors import Problem, SceneError, SoundscapeError
from ..scene import Scene, scene_from_text
from ..scene.lines import key_lines, line_of


@dataclass(frozen=True)
class DiskStamp:
    """The file as it was read or written: to tell another editor's change from ours."""

    mtime_ns: int
    size: int
    digest: str


class SaveConflict(SoundscapeError):
    """The file changed on disk since the studio loaded it."""


@dataclass(frozen=True)
class Loaded:
    """A scene file as read: its text and the stamp of exactly those bytes."""

    text: str
    stamp: DiskStamp


@dataclass(frozen=True)
class SaveJob:
    """What a worker writes: ``text`` (validated) to ``path``, provided the file is
    still ``expect`` (None: whatever is there, a forced save)."""

    path: Path
    text: str
    expect: DiskStamp | None
    force: bool


@dataclass(frozen=True)
class Saved:
    """A save done: the text written, the file's new stamp and the bytes written."""

    text: str
    stamp: DiskStamp | None
    size: int


@dataclass(frozen=True)
class Polled:
    """Another editor changed the file: ``taken`` if the studio took its text (it had
    no unsaved edits), else the edits were kept; ``stamp`` the file as it is now."""

    taken: bool
    stamp: DiskStamp


# -- worker side: plain values in, results out ----------------------------------------
def _read(path: Path) -> tuple[bytes, DiskStamp]:
    """The bytes of ``path`` and the stamp of those bytes (one open, so one file)."""
    with open(path, "rb") as f:
        st = os.fstat(f.fileno())
        data = f.read()
    return data, DiskStamp(st.st_mtime_ns, st.st_size, hashlib.sha256(data).hexdigest())


def stamp_of(path: Path) -> DiskStamp | None:
    """``path``'s stamp now; None if it cannot be read."""
    try:
        return _read(path)[1]
    except OSError:
        return None


def disk_changed(path: Path, known: DiskStamp | None) -> bool:
    """(worker) Whether ``path`` is no longer the file ``known`` stamps, by content:
    a touch that changes no byte is no change, and a change is seen even when it
    keeps the size within one tick of the file system's clock. (A scene is at most
    MAX_SCENE_BYTES, so hashing it at every poll is cheap.)"""
    now = stamp_of(path)
    if now is None or known is None:
        return now != known
    return now.digest != known.digest


def read_scene(path: Path) -> Loaded:
    """(worker) The file's text and stamp; SceneError if it cannot be read as text."""
    try:
        data, stamp = _read(path)
    except OSError as exc:
        raise SceneError(str(path), [f"cannot read: {exc.strerror or exc}"]) from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise SceneError(str(path), ["cannot read: not UTF-8 text"]) from None
    return Loaded(text, stamp)


def read_if_changed(path: Path, known: DiskStamp | None) -> Loaded | None:
    """(worker) ``read_scene(path)`` if the file is no longer ``known``, else None."""
    return read_scene(path) if disk_changed(path, known) else None


def write_scene(job: SaveJob) -> Saved:
    """(worker) Write ``job.text`` atomically (fsync, rename, the file's mode kept).
    SaveConflict, and nothing written, if the file is no longer ``job.expect``."""
    if not job.force and disk_changed(job.path, job.expect):
        raise SaveConflict(f"{job.path} changed on disk since the studio loaded it "
                           "(another editor?): reload it, or save again to overwrite")
    write_atomically(job.path, job.text)
    return Saved(job.text, stamp_of(job.path), len(job.text.encode("utf-8")))


def validate(text: str, path: Path) -> Scene:
    """(any thread) The scene ``text`` describes, validated as if it were ``path``."""
    return scene_from_text(text, path)


# -- problems as the page shows them --------------------------------------------------
_PATH_MESSAGE = re.compile(r"^((?:[A-Za-z_][A-Za-z0-9_-]*(?:\[\d+\])?)(?:\.[A-Za-z_][A-Za-z0-9_-]*"
                           r"(?:\[\d+\])?)*): (.*)$", re.S)
_TOML_LINE = re.compile(r"at line (\d+)")


def problems_of(exc: SceneError, text: str) -> list[Problem]:
    """``exc``'s problems, each with a TOML path and line where one can be found: a
    problem without a path is parsed from its message ("layers[1].gain_db: 'loud' is
    not a number"), a missing line found in ``text`` (the key's, or its table's)."""
    out = []
    lines: dict[str, int] | None = None
    for problem in exc.issues:
        path, line, message = problem.path, problem.line, problem.message
        if not path:
            m = _PATH_MESSAGE.match(message)
            if m:
                path, message = m.group(1), m.group(2)
            elif line is None and (found := _TOML_LINE.search(message)):
                line = int(found.group(1))
        if path and line is None:
            lines = key_lines(text) if lines is None else lines
            line = line_of(lines, path)
        out.append(Problem(path, line, message, problem.label))
    return out


def problem_dict(problem: Problem) -> dict[str, object]:
    """A problem as the page gets it: path, line (null when unknown) and message."""
    return {"path": problem.path, "line": problem.line, "message": problem.message}


# -- the document, on the loop ---------------------------------------------------------
@dataclass
class StudioDoc:
    """One scene file open in the studio (event loop only; see the module docstring).

    ``text`` is what the author has now (maybe invalid); ``good_text``/``scene`` the
    last version that validated (the one playing); ``saved_text`` and ``disk`` the
    file as last loaded or saved (to tell an external edit from our own).
    """

    path: Path
    text: str = ""
    good_text: str = ""
    saved_text: str = ""
    scene: Scene | None = None
    problems: list[Problem] = field(default_factory=list)
    disk: DiskStamp | None = None
    _disk_job: asyncio.Lock = field(default_factory=asyncio.Lock, init=False, repr=False,
                                    compare=False)  # one disk job at a time

    @property
    def dirty(self) -> bool:
        return self.text != self.saved_text

    def take(self, loaded: Loaded) -> None:
        """The file as read becomes the text (unsaved edits are dropped)."""
        self.text = self.saved_text = loaded.text
        self.disk = loaded.stamp

    def savable_text(self) -> str:
        """The text a save asked for now writes; SceneError if it has not validated
        (an invalid scene is never written)."""
        if self.scene is None or self.text != self.good_text:
            shown = "; ".join(p.message if not p.path else f"{p.path}: {p.message}"
                              for p in self.problems[:3]) or "not validated yet"
            raise SceneError(str(self.path), [f"not saved: the scene has problems ({shown})"])
        return self.good_text

    def saved(self, result: Saved) -> None:
        """A save's result: what is on disk now."""
        self.saved_text = result.text
        self.disk = result.stamp

    async def load(self, read: Callable[[Path], Loaded] = read_scene) -> None:
        """Read the file (on a thread) and take it; SceneError if it cannot be read."""
        async with self._disk_job:
            self.take(await asyncio.to_thread(read, self.path))

    async def save(self, force: bool = False,
                   write: Callable[[SaveJob], Saved] = write_scene) -> Saved:
        """Write the text as it is now (on a thread, after any disk job in flight);
        SceneError if it has not validated, SaveConflict if the file changed on disk
        since it was loaded or saved (unless ``force``), OSError if it cannot be
        written. Edits arriving meanwhile change ``text``, never what is written."""
        text = self.savable_text()
        async with self._disk_job:
            job = SaveJob(self.path, text, None if force else self.disk, force)
            result = await asyncio.to_thread(write, job)
            self.saved(result)
            return result

    async def reload(self, read: Callable[[Path], Loaded] = read_scene) -> bool:
        """Take the file as it is on disk, dropping unsaved edits, as the author asked:
        True if taken; False if an edit arrived while the file was read (kept)."""
        async with self._disk_job:
            before = self.text
            loaded = await asyncio.to_thread(read, self.path)
            if self.text != before:
                return False
            self.take(loaded)
            return True

    async def poll_disk(
            self, read: Callable[[Path, DiskStamp | None], Loaded | None] = read_if_changed,
    ) -> Polled | None:
        """Look for another editor's change (on a thread): None if there is none; else
        it is taken when there are no unsaved edits (judged once the file is read),
        and otherwise the edits are kept (a save then conflicts until forced)."""
        async with self._disk_job:
            loaded = await asyncio.to_thread(read, self.path, self.disk)
            if loaded is None:
                return None
            if self.dirty:
                return Polled(False, loaded.stamp)
            self.take(loaded)
            return Polled(True, loaded.stamp)
