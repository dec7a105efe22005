"""Parsing of user-facing quantities: durations like ``90s``, ``10m``, ``1h30m``.

The duration grammar is stated once, as :data:`DURATION_PATTERN` (a regular
expression that the JSON Schema of scenes uses too): a plain number of seconds
(``90``, ``2.5``), or one or more ``<number><unit>`` parts with the units ``h``, ``m``,
``s`` and ``ms`` (``1h30m``, ``500ms``). Units are case-insensitive, and spaces are
allowed around the whole value, between parts and between a number and its unit
(``"2 m"``, ``"1h 30m"``); a space inside a number (``"1 0s"``) is not. Each unit
appears at most once.
"""

from __future__ import annotations

import re

_NUMBER = r"[0-9]+(?:\.[0-9]+)?"
_UNIT = r"(?:[mM][sS]|[hHmMsS])"
# spelled without flags or \d so that it means the same in Python, ECMAScript and Rust
DURATION_PATTERN = (rf"^ *(?:{_NUMBER}|(?:{_NUMBER} *{_UNIT} *)+)$")
DURATION_HELP = "a number of seconds or e.g. 90s, 10m, 1h30m, 2h, 500ms"
_DURATION = re.compile(DURATION_PATTERN.replace("$", r"\Z"))
_PART = re.compile(rf"({_NUMBER}) *({_UNIT})")
_SCALE = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 0.001}


def parse_duration(value: object) -> float:
    """Seconds from ``90``, ``90s``, ``2.5s``, ``500ms``, ``10m``, ``2 m``, ``1h30m``.

    Raises ValueError with a message that quotes the value and says what is accepted.
    """
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not a duration")
    if isinstance(value, (int, float)):
        seconds = float(value)
    elif isinstance(value, str):
        text = value.strip(" ")
        if not _DURATION.match(value):
            raise ValueError(f"{value!r} is not a duration ({DURATION_HELP})")
        try:
            seconds = float(text)
        except ValueError:
            seconds = 0.0
            units_seen: list[str] = []
            for match in _PART.finditer(text):
                number, unit = match.group(1), match.group(2).lower()
                if unit in units_seen:
                    raise ValueError(f"{value!r} repeats the unit '{unit}'") from None
                units_seen.append(unit)
                seconds += float(number) * _SCALE[unit]
    else:
        raise ValueError(f"{value!r} is not a duration")
    if seconds != seconds or seconds < 0:
        raise ValueError(f"{value!r} is not a non-negative duration")
    return seconds


def format_duration(seconds: float) -> str:
    """``3725.0`` -> ``1h02m05s``; short values keep one decimal."""
    if seconds < 60:
        return f"{seconds:.1f}s"
    total = int(round(seconds))
    h, rest = divmod(total, 3600)
    m, s = divmod(rest, 60)
    return f"{h}h{m:02d}m{s:02d}s" if h else f"{m}m{s:02d}s"
