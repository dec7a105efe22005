"""One exception tree for everything a user can get wrong.

    SoundscapeError
     +-- SceneError        a scene file is invalid (names file, TOML path, value)
     +-- SourceError       an audio file or procedural recipe cannot give a segment
     +-- BankError         the segment bank cannot be read or written
     +-- GeneratorError    text-to-audio generation failed or is unavailable
     +-- RenderError       an output file cannot be written
     +-- UsageError        bad command-line values (durations, layer names, ...)

Messages are short and exact; the CLI prints them without a traceback.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


class SoundscapeError(Exception):
    """Base class of every error soundscape reports to a user."""


@dataclass(frozen=True)
class Problem:
    """One problem in a scene file.

    ``path`` is the TOML path of the key it is about (``layers[2].gain_db``; ``""`` for
    the whole file), ``line`` its 1-based line in the file (None when unknown),
    ``message`` what is wrong (``99 is out of range -80..24``), and ``label`` the place
    as shown to people (``layers[2] "cups".gain_db``; the path when empty).
    """

    path: str
    line: int | None
    message: str
    label: str = ""

    def __str__(self) -> str:
        where = self.label or self.path
        return f"{where}: {self.message}" if where else self.message


class SceneError(SoundscapeError):
    """A scene file is invalid.

    ``issues`` lists every problem found as :class:`Problem`; ``problems`` the same as
    the lines printed (``FILE:LINE: layers[2] "cups".gain_db: ...``, ``FILE: ...`` when
    the line is unknown). Plain strings given as problems become issues without a path.
    """

    def __init__(self, path: str, problems: Sequence[str | Problem]):
        self.path = path
        self.issues = [p if isinstance(p, Problem) else Problem("", None, p) for p in problems]
        self.problems = [
            f"{path}:{p.line}: {p}" if p.line is not None and path else str(p)
            for p in self.issues
        ]
        lines = "\n".join(f"  - {p}" for p in self.problems)
        count = len(self.problems)
        noun = "problem" if count == 1 else "problems"
        super().__init__(f"{path}: {count} {noun}:\n{lines}")


class SourceError(SoundscapeError):
    """A segment source (audio file, recipe) cannot produce audio."""


class BankError(SoundscapeError):
    """The segment bank cannot be read or written."""


class GeneratorError(SoundscapeError):
    """Text-to-audio generation failed or is not installed."""


class RenderError(SoundscapeError):
    """An output file cannot be written."""


class UsageError(SoundscapeError):
    """A command-line value is invalid."""
