"""The studio's edits of a scene's TOML text, made in place with tomlkit.

Pure functions of text: a form edit sets one value (``set_value``; a cleared key set
again goes back to its place), a dropped file appends a bed layer
(``add_file_layer``); every comment and the layout are kept. ``written_layers``: the
layers' values as written (durations with their units), for the page's form.
(Where a TOML path is written is soundscape.scene.lines' job: ``key_lines``.)
Form paths look like ``layers[1].gain_db``; a malformed one is a ProtocolError.
"""

from __future__ import annotations

import re
from typing import Any

import tomlkit
import tomlkit.exceptions
from tomlkit.container import Container

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


# a removed key's path -> (a neighbour in its table, 0: it stood before it, 1: after it)
Places = dict[str, tuple[str, int]]


def _parsed(text: str) -> tomlkit.TOMLDocument:
    try:
        return tomlkit.parse(text)
    except tomlkit.exceptions.ParseError as exc:
        raise ProtocolError("bad_toml", f"the text is not valid TOML ({exc}); fix it in the "
                                        "raw editor first") from None


def _insert_by(node: Any, place: tuple[str, int], key: str, value: Any) -> bool:
    """Put ``key = value`` just before (``place[1]`` 0) or after (1) the key
    ``place[0]`` in the table ``node`` (tomlkit's container insert: comments and
    layout kept); False when that cannot be done."""
    neighbour, after = place
    body: Any = node if isinstance(node, Container) else getattr(node, "value", None)
    try:
        index = body._map[neighbour]
        if not isinstance(index, int):
            return False  # a table split over several places: appended instead
        body._insert_at(index + after, key, value)
    except (AttributeError, KeyError, TypeError, ValueError):
        return False
    return True


def set_value(text: str, path: str, value: Any, places: Places | None = None) -> str:
    """``text`` with the value at ``path`` replaced (or added) through tomlkit: every
    comment and the layout are kept, only that value changes. ``value`` None removes
    the key. ProtocolError if ``text`` is not TOML or the path does not exist.

    ``places`` (kept by the caller between edits): a removed key's place is noted
    there, and a key set again goes back to it (a field cleared and retyped keeps
    its place in its table) instead of the end of the table."""
    parts = path_parts(path)
    doc = _parsed(text)
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
            if places is not None:
                keys = list(node.keys())
                at = keys.index(last)
                if at + 1 < len(keys):
                    places[path] = (keys[at + 1], 0)
                elif at > 0:
                    places[path] = (keys[at - 1], 1)
                else:
                    places.pop(path, None)  # alone in its table
            del node[last]
        return tomlkit.dumps(doc)
    place = places.pop(path, None) if places is not None else None
    if last in node or place is None or place[0] not in node or not _insert_by(
            node, place, last, value):
        node[last] = value
    return tomlkit.dumps(doc)


def written_layers(text: str) -> list[dict[str, Any]]:
    """Each ``[[layers]]`` table's values as the file writes them (a duration keeps its
    unit: ``interval = ["2s", "9s"]`` stays ["2s", "9s"]); [] when ``text`` is not
    TOML. For the page's form, which shows what the author wrote."""
    try:
        doc = tomlkit.parse(text)
    except tomlkit.exceptions.ParseError:
        return []
    layers = doc.get("layers")
    if not isinstance(layers, list):
        return []
    out: list[dict[str, Any]] = []
    for table in layers:
        plain = table.unwrap() if hasattr(table, "unwrap") else {}
        out.append({k: v for k, v in plain.items() if isinstance(v, (str, int, float, list))}
                   if isinstance(plain, dict) else {})
    return out


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
