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


class SoundscapeError(Exception):
    """Base class of every error soundscape reports to a user."""


class SceneError(SoundscapeError):
    """A scene file is invalid. ``problems`` lists every problem found."""

    def __init__(self, path: str, problems: list[str]):
        self.path = path
        self.problems = list(problems)
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
