"""The studio page's messages: what it sends, checked; what a layer looks like to it.

``parse_studio`` turns one client message into a checked dict, bounded and quoted
like the player's (protocol.py's ``bounded_number``, ``bounded_name``, ``show``):
a ProtocolError naming the field and value otherwise, never anything else. Each
message type has one small reader in ``READERS``. ``layer_strip`` is a layer as the
page's mixer strip shows it. The wire is documented in docs/protocol.md, "Studio".
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from typing import Any

from ..scene import MAX_SCENE_BYTES, Bed, Event, Layer
from ..thresholds import GAIN_MIN_DB
from .protocol import (
    ProtocolError,
    bounded_name,
    bounded_number,
    ping_id,
    show,
    utf8_length,
)
from .studio_edits import path_parts
from .studio_upload import MAX_UPLOAD_BYTES

MAX_STUDIO_MESSAGE = MAX_SCENE_BYTES + 8192  # an edit carries the whole text
MAX_SEEK_S = 24 * 3600.0
OVERRIDE_MAX_DB = 24.0  # an audition may lift a layer further than a listener's mix
MAX_LIST = 256  # values in a form field's list
MAX_STRING = 4096  # characters of a form field's string

Message = dict[str, Any]


def _edit(msg: Message) -> Message:
    if not isinstance(msg.get("text"), str):
        raise ProtocolError("bad_value", "edit: 'text' must be the scene's TOML text")
    return {"text": msg["text"]}


def _scalar(value: Any) -> bool:
    if isinstance(value, float):
        return math.isfinite(value)
    return isinstance(value, (bool, int, str)) and (not isinstance(value, str)
                                                     or len(value) <= MAX_STRING)


def _set(msg: Message) -> Message:
    path = msg.get("path")
    if not isinstance(path, str):
        raise ProtocolError("bad_value", f"set: 'path' must be a string, got {show(path)}")
    path_parts(path)
    value = msg.get("value")
    ok = value is None or _scalar(value) or (
        isinstance(value, list) and len(value) <= MAX_LIST and all(_scalar(v) for v in value))
    if not ok:
        raise ProtocolError("bad_value", f"set: 'value' must be a number, string, bool, "
                                         f"a list of them or null, got {show(value)}")
    return {"path": path, "value": value}


def _flag(msg: Message, key: str, what: str) -> bool:
    value = msg.get(key, False)
    if not isinstance(value, bool):
        raise ProtocolError("bad_value", f"{what}: '{key}' must be true or false, "
                                         f"got {show(value)}")
    return value


def _override(msg: Message) -> Message:
    out: Message = {"layer": bounded_name(msg, "layer", "override")}
    if "gain_db" in msg:
        out["gain_db"] = bounded_number(msg, "gain_db", GAIN_MIN_DB, OVERRIDE_MAX_DB,
                                        "override")
    for key in ("mute", "solo"):
        if key in msg:
            out[key] = _flag(msg, key, "override")
    return out


def _trigger(msg: Message) -> Message:
    return {"layer": bounded_name(msg, "layer", "trigger")}


def _seek(msg: Message) -> Message:
    return {"time": bounded_number(msg, "time", 0.0, MAX_SEEK_S, "seek")}


def _save(msg: Message) -> Message:
    return {"force": _flag(msg, "force", "save")}


def _reload(msg: Message) -> Message:
    return {}


def _ping(msg: Message) -> Message:
    return {"id": ping_id(msg)}


def _stats(msg: Message) -> Message:
    return {"underruns": int(bounded_number(msg, "underruns", 0, 2**31, "stats"))}


def _upload(msg: Message) -> Message:
    return {"name": bounded_name(msg, "name", "upload"),
            "size": int(bounded_number(msg, "size", 1, MAX_UPLOAD_BYTES, "upload"))}


READERS: dict[str, Callable[[Message], Message]] = {
    "edit": _edit,          # {text}
    "set": _set,            # {path, value: number, string, bool, a list of them, or null}
    "override": _override,  # {layer, gain_db?, mute?, solo?}
    "seek": _seek,          # {time}
    "trigger": _trigger,    # {layer}
    "save": _save,          # {force?}
    "reload": _reload,      # {}
    "ping": _ping,          # {id?}
    "stats": _stats,        # {underruns}
    "upload": _upload,      # {name, size}: the file follows as binary messages
}
STUDIO_TYPES = tuple(READERS)


def parse_studio(raw: str | bytes, max_bytes: int = MAX_STUDIO_MESSAGE) -> Message:
    """One studio message as a checked dict with its ``type`` and the fields its
    reader in ``READERS`` returns; ProtocolError naming field and value."""
    if isinstance(raw, (bytes, bytearray, memoryview)):
        raise ProtocolError("binary", "binary messages are only accepted during an upload")
    size = utf8_length(raw)
    if size > max_bytes:
        raise ProtocolError("too_big", f"message of {size} bytes is over the "
                                       f"{max_bytes}-byte limit")
    try:
        msg = json.loads(raw)
    except (ValueError, RecursionError):
        raise ProtocolError("bad_json", "not valid JSON") from None
    if not isinstance(msg, dict) or not isinstance(msg.get("type"), str):
        raise ProtocolError("bad_message", "a studio message is a JSON object with a 'type'")
    kind = msg["type"]
    reader = READERS.get(kind)
    if reader is None:
        raise ProtocolError("unknown_type", f"unknown message type {show(kind)} "
                                            f"(known: {', '.join(STUDIO_TYPES)})")
    return {"type": kind, **reader(msg)}


def layer_strip(layer: Layer, written: dict[str, Any] | None = None) -> dict[str, Any]:
    """What a layer's strip on the page shows (kind, source, the common fields, and
    ``written``: the layer's values as its TOML writes them, durations with units)."""
    source: dict[str, Any]
    if layer.files:
        source = {"kind": "files", "files": [p.name for p in layer.files]}
    elif layer.prompt:
        source = {"kind": "prompt", "prompt": layer.prompt, "recipe": layer.recipe}
    else:
        source = {"kind": "recipe", "recipe": layer.recipe}
    info: dict[str, Any] = {"name": layer.name, "source": source,
                            "written": dict(written or {})}
    if isinstance(layer, Bed):
        info.update(kind="bed", gain_db=layer.gain_db, pan=layer.pan, width=layer.width)
    else:
        assert isinstance(layer, Event)
        info.update(kind="event", gain_db=list(layer.gain_db), pan=list(layer.pan),
                    rate_per_min=layer.rate_per_min,
                    interval=list(layer.interval) if layer.interval else None)
    return info
