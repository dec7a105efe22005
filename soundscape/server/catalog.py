"""The scenes folder: which scenes load, which fail and why, and what changed.

``scan()`` is called at start-up and then periodically (hot reload); it reads only
files whose modification time or size changed since the last scan.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import SceneError
from ..scene import Scene, load_scene

log = logging.getLogger(__name__)


@dataclass
class Changes:
    loaded: list[Scene] = field(default_factory=list)  # new or edited, valid
    failed: dict[str, str] = field(default_factory=dict)  # name -> error message
    removed: list[str] = field(default_factory=list)


class Catalog:
    """Scene files in ``folder`` (``*.toml``), keyed by file stem."""

    def __init__(self, folder: Path):
        self.folder = Path(folder)
        self.scenes: dict[str, Scene] = {}
        self.errors: dict[str, str] = {}
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
            except OSError:
                continue
            stamp = (st.st_mtime, st.st_size)
            if self._stamps.get(name) == stamp:
                continue
            self._stamps[name] = stamp
            try:
                scene = load_scene(path)
            except SceneError as exc:
                self.errors[name] = str(exc)
                changes.failed[name] = str(exc)
                log.error("scene %s skipped: %s", name, exc)
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
        return changes
