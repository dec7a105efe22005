"""The scenes folder: which scenes load, which fail and why, and what changed.

``scan()`` is called at start-up and then periodically (hot reload); it reads only
files whose modification time or size changed since the last scan. It never raises
for a scene file: whatever goes wrong with one (a SceneError, or any other
exception) is kept as that scene's error text in ``errors`` (name -> message, what
``/api/status`` shows) and reported in ``Changes.failed``; the other scenes load.

Ownership: a Catalog belongs to the thread that runs ``scan`` (the server's one
"files" thread); nobody else reads its dicts. Each scan returns, in ``Changes``, an
immutable snapshot of every scene loaded (``Changes.scenes``) that the event loop
keeps and reads (server/director.py), so the loop never iterates a dict the files
thread is changing.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

from ..errors import SceneError
from ..scene import INTERNAL_ERROR, Scene, load_scene

log = logging.getLogger(__name__)


@dataclass
class Changes:
    loaded: list[Scene] = field(default_factory=list)  # new or edited, valid
    failed: dict[str, str] = field(default_factory=dict)  # name -> error message
    removed: list[str] = field(default_factory=list)
    scenes: Mapping[str, Scene] = field(default_factory=dict)  # all loaded: a snapshot


class Catalog:
    """Scene files in ``folder`` (``*.toml``), keyed by file stem."""

    def __init__(self, folder: Path):
        self.folder = Path(folder)
        self.scenes: dict[str, Scene] = {}
        self.errors: dict[str, str] = {}  # scene name -> why its file was refused
        self._stamps: dict[str, tuple[float, int]] = {}

    def scan(self) -> Changes:
        changes = Changes()
        try:
            paths = sorted(self.folder.glob("*.toml"))
        except OSError as exc:
            log.error("scenes folder %s cannot be read: %s", self.folder, exc)
            return changes
        seen = set()
        for path in paths:
            name = path.stem
            seen.add(name)
            try:
                st = path.stat()
            except OSError as exc:  # e.g. a dangling link, or a name too long
                self._fail(changes, name, f"{path}: cannot read: {exc.strerror or exc}")
                continue
            stamp = (st.st_mtime, st.st_size)
            if self._stamps.get(name) == stamp:
                continue
            self._stamps[name] = stamp
            try:
                scene = load_scene(path)
            except SceneError as exc:
                self._fail(changes, name, str(exc))
                continue
            except Exception as exc:  # load_scene is total; this is a last resort
                log.exception("scene %s: unexpected error", name)
                self._fail(changes, name, f"{path}: {INTERNAL_ERROR}: {type(exc).__name__}")
                continue
            self.errors.pop(name, None)
            self.scenes[name] = scene
            changes.loaded.append(scene)
        for name in list(self._stamps):
            if name not in seen:
                del self._stamps[name]
                self.errors.pop(name, None)
                if name in self.scenes:
                    changes.removed.append(name)
        changes.scenes = MappingProxyType(dict(self.scenes))  # Scene is frozen
        return changes

    def _fail(self, changes: Changes, name: str, message: str) -> None:
        if self.errors.get(name) != message:  # once, not at every scan
            log.error("scene %s skipped: %s", name, message)
        self.errors[name] = message
        changes.failed[name] = message
