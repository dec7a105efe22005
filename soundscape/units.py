"""Parsing of user-facing quantities: durations like ``90s``, ``10m``, ``1h30m``."""

from __future__ import annotations

import re

_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|h|m|s)")


def parse_duration(value: object) -> float:
    """Seconds from ``90``, ``90s``, ``2.5s``, ``500ms``, ``10m``, ``1h30m``, ``2h``.

    Raises ValueError with a message that quotes the value.
    """
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not a duration")
    if isinstance(value, (int, float)):
        seconds = float(value)
    elif isinstance(value, str):
        text = value.strip().lower().replace(" ", "")
        if re.fullmatch(r"\d+(\.\d+)?", text):
            seconds = float(text)
        else:
            pos = 0
            seconds = 0.0
            units_seen: list[str] = []
            for match in _PART.finditer(text):
                if match.start() != pos:
                    break
                number, unit = match.groups()
                if unit in units_seen:
                    raise ValueError(f"{value!r} repeats the unit '{unit}'")
                units_seen.append(unit)
                scale = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 0.001}[unit]
                seconds += float(number) * scale
                pos = match.end()
            if pos != len(text) or not text:
                raise ValueError(
                    f"{value!r} is not a duration (use e.g. 90s, 10m, 1h30m, 2h, 500ms)"
                )
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
