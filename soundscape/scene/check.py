"""Checks of single values: a :class:`Checker` reads typed values out of TOML tables
by their :class:`~soundscape.scenefields.Field`, collecting problems instead of raising.

A bad value is reported once (naming its TOML path, the value quoted as TOML writes
it and what is allowed) and read as None, so the rules that depend on it are skipped
instead of cascading. The per-table rules are in :mod:`soundscape.scene.parse`.
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from ..scenefields import MAX_TEXT_CHARS, NAME_HELP, Field, span
from ..units import DURATION_HELP, parse_duration
from .lines import quote, where

MAX_PROBLEMS = 50  # listed in one SceneError; the rest are counted
NAME = re.compile(r"[\w-]+")


def suggest(word: Any, options: Iterable[str], allowed: bool = True) -> str:
    """`` (did you mean 'x'?)`` for a near miss; else the options (when ``allowed``)."""
    options = sorted(options)
    if isinstance(word, str) and len(word) <= 100:
        close = difflib.get_close_matches(word, options, n=1, cutoff=0.6)
        if close:
            return f" (did you mean {quote(close[0])}?)"
    if not allowed:
        return ""
    return f" (allowed: {', '.join(options)})" if options else " (none allowed)"


def short_path(path: Path) -> str:
    """``path`` for a message: cut in the middle when over 200 characters."""
    text = str(path)
    return text if len(text) <= 200 else f"{text[:100]}...{text[-60:]}"


class Checker:
    """Reads typed values out of TOML tables by their :class:`Field`, collecting
    problems instead of raising. A bad value is reported once and read as None."""

    def __init__(self) -> None:
        # (TOML path, message, path of the table to show instead when not None)
        self.found: list[tuple[str, str, str | None]] = []

    def problem(self, path: str, text: str, at: str | None = None) -> None:
        self.found.append((path, text, at))

    def unknown_keys(self, table: dict[str, Any], path: str, allowed: Iterable[str],
                     elsewhere: dict[str, str] | None = None) -> None:
        """Every key of ``table`` not in ``allowed``; ``elsewhere`` maps keys that belong
        to another kind of table to a note saying so."""
        allowed = set(allowed)
        for key in table:
            if key in allowed:
                continue
            if elsewhere and key in elsewhere:
                self.problem(where(path, key), f"{quote(key)} {elsewhere[key]}", at=path)
            elif len(self.found) >= MAX_PROBLEMS:  # only counted: spare the suggestions
                self.problem(where(path, key), "unknown key", at=path)
            else:
                self.problem(where(path, key),
                             f"unknown key {quote(key)}{suggest(key, allowed)}", at=path)

    def missing(self, path: str, f: Field) -> None:
        self.problem(where(path, f.name), f"missing key {quote(f.name)} ({f.hint()})",
                     at=path)

    def value(self, table: dict[str, Any], f: Field, path: str) -> Any:
        """The value of ``f`` in ``table`` checked; None when absent or bad (a problem
        noted when bad, and when absent but required)."""
        if f.name not in table:
            if f.required:
                self.missing(path, f)
            return None
        loc = where(path, f.name)
        raw = table[f.name]
        if f.kind == "string":
            return self._string(loc, raw, f)
        if f.kind == "number":
            return self._number(loc, raw, f)
        if f.kind == "bool":
            if not isinstance(raw, bool):
                self.problem(loc, f"{quote(raw)} is not true or false")
                return None
            return raw
        if f.kind == "choice":
            if not any(type(raw) is type(c) and raw == c for c in f.choices):
                hint = suggest(raw, [str(c) for c in f.choices], allowed=False)
                if f.noun:  # 'dragon' is not an icon; choose one of rain, wind, ...
                    self.problem(loc, f"{quote(raw)} is not {f.noun}{hint}; choose "
                                      f"{f.hint()}")
                else:
                    self.problem(loc, f"{quote(raw)} is not {f.hint()}{hint}")
                return None
            return raw
        if f.kind == "duration":
            return self._duration(loc, raw, f)
        if f.kind in ("range", "duration_range"):
            return self._pair(loc, raw, f)
        raise ValueError(f"field kind {f.kind!r} is read by its caller")  # a bug here

    def _string(self, loc: str, value: Any, f: Field) -> str | None:
        if not isinstance(value, str):
            self.problem(loc, f"{quote(value)} is not a string")
            return None
        if (f.required or f.one_line) and not value.strip():
            self.problem(loc, f"{quote(value)} is empty" if value else "must not be empty")
            return None
        if f.one_line and any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in value):
            self.problem(loc, f"{quote(value)} must be one line of text (no line breaks, "
                              f"tabs or control characters)")
            return None
        limit = f.max_chars or MAX_TEXT_CHARS
        if len(value) > limit:
            self.problem(loc, f"{quote(value)} is {len(value)} characters long "
                                f"(at most {limit})")
            return None
        if f.pattern is not None and not NAME.fullmatch(value):
            self.problem(loc, f"{quote(value)} may hold only {NAME_HELP}")
            return None
        return value

    def _number(self, loc: str, value: Any, f: Field) -> float | int | None:
        kind = "an integer" if f.integer else "a number"
        if (isinstance(value, bool) or not isinstance(value, (int, float))
                or (f.integer and not isinstance(value, int))):
            self.problem(loc, f"{quote(value)} is not {kind}")
            return None
        # an int is compared exactly (no float conversion: 10**400 would overflow)
        if isinstance(value, float) and not math.isfinite(value):
            self.problem(loc, f"{quote(value)} is not a finite number")
            return None
        if (f.low is not None and value < f.low) or (f.high is not None and value > f.high):
            self.problem(loc, f"{quote(value)} is out of range {span(f)}")
            return None
        return value

    def _seconds(self, loc: str, value: Any) -> float | None:
        """``parse_duration(value)``, finite; None (a problem noted) when it is not."""
        try:
            seconds = parse_duration(value)
        except (ValueError, OverflowError) as exc:  # OverflowError: float(10**400)
            if "repeats the unit" in str(exc):
                self.problem(loc, f"{quote(value)} is not a duration (it repeats a unit)")
                return None
            seconds = math.nan
        if not math.isfinite(seconds):
            self.problem(loc, f"{quote(value)} is not a duration ({DURATION_HELP})")
            return None
        return seconds

    def _duration(self, loc: str, value: Any, f: Field) -> float | None:
        seconds = self._seconds(loc, value)
        if seconds is None:
            return None
        if (f.low is not None and seconds < f.low) or (f.high is not None and seconds > f.high):
            self.problem(loc, f"{quote(value)} is out of range {span(f, 's')}")
            return None
        return seconds

    def _pair(self, loc: str, raw: Any, f: Field) -> tuple[float, float] | None:
        """A [low, high] range; a single number (or duration) means [x, x]."""
        items = raw if isinstance(raw, list) else [raw, raw]
        if len(items) != 2:
            self.problem(loc, f"{quote(raw)} must be a [low, high] pair")
            return None
        low = -math.inf if f.low is None else f.low
        high = math.inf if f.high is None else f.high
        suffix = "s" if f.kind == "duration_range" else ""
        values = []
        for item in items:
            if f.kind == "duration_range":
                seconds = self._seconds(loc, item)
                if seconds is None:
                    return None
                values.append(seconds)
            elif (isinstance(item, bool) or not isinstance(item, (int, float))
                  or (isinstance(item, float) and not math.isfinite(item))):
                self.problem(loc, f"{quote(item)} is not a finite number")
                return None
            elif not low <= item <= high:  # exact for ints: float(10**400) overflows
                self.problem(loc, f"{quote(raw)} is out of range {span(f)}")
                return None
            else:
                values.append(float(item))
        a, b = values
        if a > b:
            self.problem(loc, f"{quote(raw)}: low is above high")
            return None
        if a < low or b > high:
            self.problem(loc, f"{quote(raw)} is out of range {span(f, suffix)}")
            return None
        return (a, b)
