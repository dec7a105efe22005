"""The studio's edits of a scene's TOML text, made in place with tomlkit.

Pure functions of text: a form edit sets one value (``set_value``), a dropped file
appends a bed layer (``add_file_layer``); every comment and the layout are kept.
(Where a TOML path is written is soundscape.scene.lines' job: ``key_lines``.)
Form paths look like ``layers[1].gain_db``; a malformed one is a ProtocolError.
"""

from __future__ import annotations

import re
from typing import Any

import tomlkit
import tomlkit.exceptions

from .protocol import ProtocolError, show

MAX_PATH = 200  # characters of a form field's path
PATH_PART = re.compile(r"([A-Za-z_][A-Za-z0-9_-]*)(?:\[(\d{1,4})\])?")


def path_parts(path: str) -> list[str | int]:
    """``layers[1].gain_db`` -> ["layers", 1, "gain_db"]; ProtocolError if malformed."""
    if not path or len(path) > MAX_PATH:
        raise ProtocolError("bad_value", f"set: 'path' must be 1..{MAX_PATH} characters")
    parts: list[str | int] = []
    for piece in path.split("."):
        m = PATH_PART.fullmatch(piece)
        if m is None:
            raise ProtocolError("bad_value", f"set: path {show(path)} is not like "
                                             "'layers[1].gain_db'")
        parts.append(m.group(1))
        if m.group(2) is not None:
            parts.append(int(m.group(2)))
    return parts


def set_value(text: str, path: str, value: Any) -> str:
    """``text`` with the value at ``path`` replaced (or added) through tomlkit: every
    comment and the layout are kept, only that value changes. ``value`` None removes
    the key. ProtocolError if ``text`` is not TOML or the path does not exist."""
    parts = path_parts(path)
    try:
        doc = tomlkit.parse(text)
    except tomlkit.exceptions.ParseError as exc:
        raise ProtocolError("bad_toml", f"the text is not valid TOML ({exc}); fix it in the "
                                        "raw editor first") from None
    node: Any = doc
    for part in parts[:-1]:
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            raise ProtocolError("bad_path", f"set: no {show(path)} in the scene") from None
    last = parts[-1]
    if isinstance(last, int) or not hasattr(node, "__setitem__"):
        raise ProtocolError("bad_path", f"set: {show(path)} is not a key of a table")
    if value is None:
        if last in node:
            del node[last]
    else:
        node[last] = value
    return tomlkit.dumps(doc)


def add_file_layer(text: str, layer_name: str, file_name: str,
                   segment_seconds: float = 10.0) -> str:
    """``text`` with a bed layer playing ``file_name`` appended (tomlkit: the author's
    comments and layout are kept); its crossfade fits the scene's segment length."""
    doc = tomlkit.parse(text)
    layers = doc.get("layers")
    if layers is None:
        layers = tomlkit.aot()
        doc["layers"] = layers
    table = tomlkit.table()
    table["name"] = layer_name
    table["type"] = "bed"
    table["files"] = [file_name]
    table["gain_db"] = -6.0
    crossfade = min(3.0, round(segment_seconds * 0.4, 2))
    table["crossfade"] = f"{crossfade:g}s"
    layers.append(table)
    return tomlkit.dumps(doc)
