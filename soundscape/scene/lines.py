"""TOML text for messages: values quoted as TOML writes them, and key paths to lines.

:func:`quote` shows a value in a message (``true``, ``'text'``, ``[1, 2]``), bounded;
:func:`key_lines` finds the line of every key path in a file's text so a problem can
name its line; :func:`line_of` looks a path (or the nearest table holding it) up.
Paths are spelled as the validator spells them (``layers[2].gain_db``), by
:func:`where`.

Pure: text in, text or numbers out; never raises on any value or text.
"""

from __future__ import annotations

import json
import math
import re
import tomllib
from typing import Any

QUOTE_CHARS = 40  # a quoted value longer than this is cut, with "..."


def quote(value: Any) -> str:
    """``value`` as TOML writes it (``true``, ``'text'``, ``[1, 2]``, ``{ a = 1 }``),
    bounded: at most QUOTE_CHARS characters and ``...``.

    Never raises and never walks more than a few items: integers too long to print
    (over 4,300 digits) are described by their length, deep nesting is cut by level.
    """
    text = _toml(value, 2)
    return text if len(text) <= QUOTE_CHARS else text[:QUOTE_CHARS] + "..."


def _toml(value: Any, depth: int) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        if value.bit_length() > 256:
            digits = int((value.bit_length() - 1) * math.log10(2)) + 1
            return f"{'-' if value < 0 else ''}an integer of about {digits} digits"
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        return repr(value) if math.isfinite(value) else ("inf" if value > 0 else "-inf")
    if isinstance(value, str):
        start = value[: QUOTE_CHARS + 1]
        if "'" in start or any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in start):
            return json.dumps(start, ensure_ascii=False)
        return f"'{start}'"
    if isinstance(value, (list, tuple)):
        if depth <= 0:
            return "[...]"
        items = [_toml(v, depth - 1) for v in value[:4]]
        return "[" + ", ".join(items + (["..."] if len(value) > 4 else [])) + "]"
    if isinstance(value, dict):
        if depth <= 0:
            return "{...}"
        pairs = [f"{key(k)} = {_toml(v, depth - 1)}" for k, v in list(value.items())[:4]]
        return "{ " + ", ".join(pairs + (["..."] if len(value) > 4 else [])) + " }"
    if hasattr(value, "isoformat"):  # TOML dates and times
        return str(value.isoformat())
    return f"a {type(value).__name__}"


def key(name: Any) -> str:
    """A table key as it appears in a TOML path: bare if it can be, else quoted."""
    text = str(name)
    if 0 < len(text) <= QUOTE_CHARS and all(c.isascii() and (c.isalnum() or c in "-_")
                                            for c in text):
        return text
    return quote(text)


def where(path: str, name: Any) -> str:
    """The path of key ``name`` in the table at ``path`` (``""``: the top level)."""
    return f"{path}.{key(name)}" if path else key(name)


# -- line numbers ----------------------------------------------------------------------
_PART_RE = r"""(?:[A-Za-z0-9_-]+|"(?:[^"\\]|\\.)*"|'[^']*')"""
_KEY_RE = rf"{_PART_RE}(?:[ \t]*\.[ \t]*{_PART_RE})*"
_HEADER = re.compile(rf"[ \t]*(\[\[?)[ \t]*({_KEY_RE})[ \t]*\]")
_ASSIGN = re.compile(rf"[ \t]*({_KEY_RE})[ \t]*=")


def _parts(dotted: str) -> list[str]:
    out = []
    for part in re.findall(_PART_RE, dotted):
        if part[0] in "\"'":
            try:
                part = tomllib.loads(f"k = {part}")["k"]
            except (tomllib.TOMLDecodeError, ValueError):
                part = part[1:-1]
        out.append(part)
    return out


def key_lines(text: str) -> dict[str, int]:
    """The 1-based line of every key path in TOML ``text`` (``layers[2].gain_db`` ->
    31), where it is first given; table headers give the table's path.

    A small scanner, not a parser: multi-line strings are skipped, inline tables give
    the line of the key holding them. Paths are spelled as the validator spells them.
    """
    lines: dict[str, int] = {}
    counts: dict[str, int] = {}  # array of tables -> tables seen
    prefix = ""
    in_string: str | None = None
    for number, line in enumerate(text.splitlines(), 1):
        if in_string is not None:
            if line.count(in_string) % 2 == 1:
                in_string = None
            continue
        header = _HEADER.match(line)
        if header is not None:
            prefix = _header_path(header, number, lines, counts)
            continue
        assign = _ASSIGN.match(line)
        if assign is None:
            continue
        path = prefix
        for part in _parts(assign.group(1)):
            path = where(path, part)
            lines.setdefault(path, number)
        rest = line[assign.end():]
        for delimiter in ('"""', "'''"):
            if rest.count(delimiter) % 2 == 1:
                in_string = delimiter
                break
    return lines


def _header_path(header: re.Match[str], number: int, lines: dict[str, int],
                 counts: dict[str, int]) -> str:
    """The path of a ``[table]`` or ``[[array]]`` header on line ``number``, noting
    the lines of the tables it opens and counting the arrays' tables."""
    path = ""
    parts = _parts(header.group(2))
    for j, part in enumerate(parts):
        path = where(path, part)
        lines.setdefault(path, number)  # an array of tables: its first table
        if header.group(1) == "[[" and j == len(parts) - 1:
            counts[path] = counts.get(path, 0) + 1
        if path in counts:
            path = f"{path}[{counts[path] - 1}]"
        lines.setdefault(path, number)
    return path


def line_of(lines: dict[str, int], path: str) -> int | None:
    """The line of ``path`` or of the nearest table holding it."""
    while path:
        if path in lines:
            return lines[path]
        cut = max(path.rfind("."), path.rfind("["))
        path = path[:cut] if cut > 0 else ""
    return None
