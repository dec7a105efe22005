"""The scene studio: one websocket client edits one scene file while it plays.

Pure parts (no sockets, no asyncio), used by the I/O edge in app.py:

* :class:`StudioDoc`: the file being edited. Its text (maybe invalid), the last
  valid text, form edits applied to the TOML document with tomlkit (comments and
  layout kept), atomic saves that refuse to overwrite a file changed on disk since
  it was loaded (unless forced), and detection of such external edits.
* :func:`parse_studio`: the client's JSON messages, bounded and checked like the
  player's (protocol.py); ProtocolError naming the field and value otherwise.
* :class:`StudioStream`: a :class:`Stream` whose graph has per-layer momentary
  loudness taps. On its mixer thread it adds, to each block's events, the meters
  (every layer as heard in the mix, and the mix), and once a second the timeline
  (upcoming events from the EventPlayers' own scheduler, phase starts, playhead).
* :func:`advance`: a graph moved to a later scene time without making the audio in
  between (seek, and edits that keep the playhead).

Threads: the session (app.py) runs on the event loop; builds and fast-forwards run
on the build threads on graphs nobody else holds; the StudioStream belongs to one
mixer thread and is changed only by ``Stream.request`` messages, like every stream.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import os
import re
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import tomlkit
import tomlkit.exceptions
import tomlkit.items

from ..errors import SceneError, SoundscapeError
from ..graph import SceneGraph
from ..graph.events import EventPlayer
from ..graph.meter import SILENT_LUFS, MomentaryLoudness
from ..scene import MAX_SCENE_BYTES, Bed, Event, Layer, Scene, scene_from_text
from .protocol import ProtocolError, _show
from .stream import Produced, Stream

STUDIO_TYPES = ("edit", "set", "override", "seek", "trigger", "save", "reload", "ping",
                "stats", "upload")
MAX_STUDIO_MESSAGE = MAX_SCENE_BYTES + 8192  # an edit carries the whole text
MAX_UPLOAD_BYTES = 100 * 1024 * 1024  # an audio file dropped onto the page
UPLOAD_TYPES = (".wav", ".flac", ".ogg", ".opus", ".mp3", ".aiff", ".aif", ".m4a", ".wv")
MAX_PATH = 200  # characters of a form field's path
MAX_SEEK_S = 24 * 3600.0
HORIZON_S = 300.0  # the timeline shows this far ahead
TIMELINE_EVERY = 10  # blocks between timeline messages (1 s at 100 ms blocks)
METER_EVERY = 1  # blocks between meter messages (10 a second at 100 ms blocks)
INAUDIBLE_LU = 20.0  # a layer this far below the mix is flagged inaudible
DOMINANT_LU = 1.0  # ... and one within this of the mix (with others sounding) dominates
EDIT_CROSSFADE_S = 0.5
SEEK_CROSSFADE_S = 0.3
PATH_PART = re.compile(r"([A-Za-z_][A-Za-z0-9_-]*)(?:\[(\d{1,4})\])?")


# -- the document ---------------------------------------------------------------------
@dataclass(frozen=True)
class Problem:
    """One validation problem: TOML path (``layers[1].gain_db``; "" for the file),
    line (1-based, None when unknown) and message."""

    path: str
    line: int | None
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"path": self.path, "line": self.line, "message": self.message}


_PATH_MESSAGE = re.compile(r"^((?:[A-Za-z_][A-Za-z0-9_-]*(?:\[\d+\])?)(?:\.[A-Za-z_][A-Za-z0-9_-]*"
                           r"(?:\[\d+\])?)*): (.*)$", re.S)
_TOML_LINE = re.compile(r"at line (\d+)")


def problems_of(exc: SceneError, text: str) -> list[Problem]:
    """The structured problems of ``exc``: its ``issues`` (path, line, message) when the
    scene loader gives them; a problem without a path is parsed from its message
    ("layers[1].gain_db: 'loud' is not a number"), a missing line found in ``text``."""
    raw: list[tuple[str, int | None, str]] = []
    issues = getattr(exc, "issues", None)
    if issues:
        raw = [(str(getattr(i, "path", "") or ""), getattr(i, "line", None),
                str(getattr(i, "message", i))) for i in issues]
    else:
        raw = [("", None, message) for message in exc.problems]
    out = []
    for path, line, message in raw:
        if not path:
            m = _PATH_MESSAGE.match(message)
            if m:
                path, message = m.group(1), m.group(2)
            elif line is None and (found := _TOML_LINE.search(message)):
                line = int(found.group(1))
        if path and line is None:
            line = line_of(text, path)
        out.append(Problem(path, line, message))
    return out


def _parts(path: str) -> list[str | int]:
    """``layers[1].gain_db`` -> ["layers", 1, "gain_db"]; ProtocolError if malformed."""
    if not path or len(path) > MAX_PATH:
        raise ProtocolError("bad_value", f"set: 'path' must be 1..{MAX_PATH} characters")
    parts: list[str | int] = []
    for piece in path.split("."):
        m = PATH_PART.fullmatch(piece)
        if m is None:
            raise ProtocolError("bad_value", f"set: path {_show(path)} is not like "
                                             "'layers[1].gain_db'")
        parts.append(m.group(1))
        if m.group(2) is not None:
            parts.append(int(m.group(2)))
    return parts


def line_of(text: str, path: str) -> int | None:
    """The 1-based line where ``path``'s key is written in ``text`` (None if not found)."""
    try:
        parts = _parts(path)
    except ProtocolError:
        return None
    lines = text.splitlines()
    # walk the array-of-tables headers: the n-th [[layers]] then the key below it
    at = 0
    i = 0
    while i < len(parts):
        part = parts[i]
        index = parts[i + 1] if i + 1 < len(parts) and isinstance(parts[i + 1], int) else None
        if isinstance(part, str) and index is not None:
            header = re.compile(rf"^\s*\[\[\s*{re.escape(part)}\s*\]\]")
            seen = -1
            for n in range(at, len(lines)):
                if header.match(lines[n]):
                    seen += 1
                    if seen == index:
                        at = n + 1
                        break
            else:
                return None
            i += 2
            continue
        if isinstance(part, str):
            key = re.compile(rf"^\s*{re.escape(part)}\s*=")
            for n in range(at, len(lines)):
                if lines[n].lstrip().startswith("["):
                    break
                if key.match(lines[n]):
                    return n + 1
            return None
        i += 1
    return None


def set_value(text: str, path: str, value: Any) -> str:
    """``text`` with the value at ``path`` replaced (or added) through tomlkit: every
    comment and the layout are kept, only that value changes. ``value`` None removes
    the key. ProtocolError if ``text`` is not TOML or the path does not exist."""
    parts = _parts(path)
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
            raise ProtocolError("bad_path", f"set: no {_show(path)} in the scene") from None
    last = parts[-1]
    if isinstance(last, int) or not hasattr(node, "__setitem__"):
        raise ProtocolError("bad_path", f"set: {_show(path)} is not a key of a table")
    if value is None:
        if last in node:
            del node[last]
    else:
        node[last] = value
    return tomlkit.dumps(doc)


@dataclass(frozen=True)
class DiskStamp:
    mtime_ns: int
    size: int
    digest: str


def stamp_of(path: Path) -> DiskStamp | None:
    try:
        data = path.read_bytes()
        st = path.stat()
    except OSError:
        return None
    return DiskStamp(st.st_mtime_ns, st.st_size, hashlib.sha256(data).hexdigest())


class SaveConflict(SoundscapeError):
    """The file changed on disk since the studio loaded it."""


def write_atomically(path: Path, text: str) -> None:
    """Write ``text`` to ``path``: a temporary file in the same folder, fsync, rename
    over, fsync the folder. The old file stays whole until the rename; a failure
    leaves it untouched and removes the temporary file. Keeps the file's mode."""
    folder = path.parent
    data = text.encode("utf-8")
    mode = None
    with contextlib.suppress(OSError):
        mode = path.stat().st_mode & 0o777
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        if mode is not None:
            os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    with contextlib.suppress(OSError):  # the rename itself survives a crash
        dirfd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(dirfd)
        finally:
            os.close(dirfd)


@dataclass
class StudioDoc:
    """One scene file open in the studio.

    ``text`` is what the author has now (maybe invalid); ``good_text``/``scene`` the
    last version that validated (the one playing); ``disk`` the file as last loaded
    or saved (to tell an external edit from our own).
    """

    path: Path
    text: str = ""
    good_text: str = ""
    saved_text: str = ""
    scene: Scene | None = None
    problems: list[Problem] = field(default_factory=list)
    disk: DiskStamp | None = None

    def load(self) -> None:
        """(Re)read the file; SceneError if it cannot be read as text."""
        try:
            raw = self.path.read_bytes()
        except OSError as exc:
            raise SceneError(str(self.path), [f"cannot read: {exc.strerror or exc}"]) from None
        try:
            self.text = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise SceneError(str(self.path), ["cannot read: not UTF-8 text"]) from None
        self.saved_text = self.text
        self.disk = stamp_of(self.path)

    def validate(self, text: str) -> Scene:
        """The scene ``text`` describes, validated as if it were this file."""
        return scene_from_text(text, self.path)

    @property
    def dirty(self) -> bool:
        return self.text != self.saved_text

    def changed_on_disk(self) -> bool:
        """True if the file on disk is not the one loaded or saved last."""
        now = stamp_of(self.path)
        if now is None or self.disk is None:
            return now != self.disk
        if (now.mtime_ns, now.size) == (self.disk.mtime_ns, self.disk.size):
            return False
        return now.digest != self.disk.digest

    def save(self, force: bool = False) -> int:
        """Write ``text`` atomically; returns bytes written. SaveConflict if the file
        changed on disk since it was loaded (unless ``force``); SceneError if the text
        does not validate (an invalid scene is never written)."""
        if self.scene is None or self.text != self.good_text:
            shown = "; ".join(p.message if not p.path else f"{p.path}: {p.message}"
                              for p in self.problems[:3]) or "not validated yet"
            raise SceneError(str(self.path), [f"not saved: the scene has problems ({shown})"])
        if not force and self.changed_on_disk():
            raise SaveConflict(f"{self.path} changed on disk since the studio loaded it "
                               "(another editor?): reload it, or save again to overwrite")
        write_atomically(self.path, self.text)
        self.saved_text = self.text
        self.disk = stamp_of(self.path)
        return len(self.text.encode("utf-8"))


# -- layers as the page shows them ------------------------------------------------------
def layer_strip(layer: Layer) -> dict[str, Any]:
    """What a layer's strip on the page shows (kind, source, the common fields)."""
    source: dict[str, Any]
    if layer.files:
        source = {"kind": "files", "files": [p.name for p in layer.files]}
    elif layer.prompt:
        source = {"kind": "prompt", "prompt": layer.prompt, "recipe": layer.recipe}
    else:
        source = {"kind": "recipe", "recipe": layer.recipe}
    info: dict[str, Any] = {"name": layer.name, "source": source}
    if isinstance(layer, Bed):
        info.update(kind="bed", gain_db=layer.gain_db, pan=layer.pan, width=layer.width)
    else:
        assert isinstance(layer, Event)
        info.update(kind="event", gain_db=list(layer.gain_db), pan=list(layer.pan),
                    rate_per_min=layer.rate_per_min,
                    interval=list(layer.interval) if layer.interval else None)
    return info


def badges(layers: dict[str, float], mix: float) -> dict[str, str]:
    """Per-layer warning: "inaudible" (more than INAUDIBLE_LU under the mix) or
    "dominates" (within DOMINANT_LU of the mix while other layers sound). Layers at
    the silent floor (muted, an event between strikes) get none."""
    out: dict[str, str] = {}
    if mix <= SILENT_LUFS + 1:
        return out
    sounding = [v for v in layers.values() if v > SILENT_LUFS + 1]
    for name, value in layers.items():
        if value <= SILENT_LUFS + 1:
            continue
        if value < mix - INAUDIBLE_LU:
            out[name] = "inaudible"
        elif len(sounding) > 1 and value > mix - DOMINANT_LU:
            out[name] = "dominates"
    return out


# -- client messages -------------------------------------------------------------------
def _number(msg: dict[str, Any], key: str, low: float, high: float, what: str) -> float:
    value = msg.get(key)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or (
            isinstance(value, float) and not math.isfinite(value)) or not low <= value <= high:
        raise ProtocolError("bad_value", f"{what}: '{key}' must be a number in "
                                         f"{low:g}..{high:g}, got {_show(value)}")
    return float(value)


def _scalar(value: Any) -> bool:
    if isinstance(value, float):
        return math.isfinite(value)
    return isinstance(value, (bool, int, str)) and (not isinstance(value, str)
                                                     or len(value) <= 4096)


def parse_studio(raw: str | bytes, max_bytes: int = MAX_STUDIO_MESSAGE) -> dict[str, Any]:
    """One studio message as a checked dict; ProtocolError naming field and value.

    ``edit`` {text}; ``set`` {path, value (number, string, bool, a list of them, or
    null to remove)}; ``override`` {layer, gain_db?, mute?, solo?}; ``seek`` {time};
    ``trigger`` {layer}; ``save`` {force?}; ``reload`` {}; ``ping`` {id?}; ``stats``
    {underruns}; ``upload`` {name, size} (the file follows as binary messages).
    """
    if isinstance(raw, (bytes, bytearray, memoryview)):
        raise ProtocolError("binary", "binary messages are only accepted during an upload")
    if len(raw) > max_bytes:
        raise ProtocolError("too_big", f"message over the {max_bytes}-byte limit")
    try:
        msg = json.loads(raw)
    except (ValueError, RecursionError):
        raise ProtocolError("bad_json", "not valid JSON") from None
    if not isinstance(msg, dict) or not isinstance(msg.get("type"), str):
        raise ProtocolError("bad_message", "a studio message is a JSON object with a 'type'")
    kind = msg["type"]
    if kind not in STUDIO_TYPES:
        raise ProtocolError("unknown_type", f"unknown message type {_show(kind)} "
                                            f"(known: {', '.join(STUDIO_TYPES)})")
    out: dict[str, Any] = {"type": kind}
    if kind == "edit":
        if not isinstance(msg.get("text"), str):
            raise ProtocolError("bad_value", "edit: 'text' must be the scene's TOML text")
        out["text"] = msg["text"]
    elif kind == "set":
        path = msg.get("path")
        if not isinstance(path, str):
            raise ProtocolError("bad_value", f"set: 'path' must be a string, got {_show(path)}")
        _parts(path)
        value = msg.get("value")
        ok = value is None or _scalar(value) or (
            isinstance(value, list) and len(value) <= 256 and all(_scalar(v) for v in value))
        if not ok:
            raise ProtocolError("bad_value", f"set: 'value' must be a number, string, bool, "
                                             f"a list of them or null, got {_show(value)}")
        out.update(path=path, value=value)
    elif kind in ("override", "trigger"):
        layer = msg.get("layer")
        if not isinstance(layer, str) or not 0 < len(layer) <= 200:
            raise ProtocolError("bad_value", f"{kind}: 'layer' must be a layer name, "
                                             f"got {_show(layer)}")
        out["layer"] = layer
        if kind == "override":
            if "gain_db" in msg:
                out["gain_db"] = _number(msg, "gain_db", -80.0, 24.0, kind)
            for key in ("mute", "solo"):
                if key in msg:
                    if not isinstance(msg[key], bool):
                        raise ProtocolError("bad_value", f"override: '{key}' must be true or "
                                                         f"false, got {_show(msg[key])}")
                    out[key] = msg[key]
    elif kind == "seek":
        out["time"] = _number(msg, "time", 0.0, MAX_SEEK_S, kind)
    elif kind == "save":
        force = msg.get("force", False)
        if not isinstance(force, bool):
            raise ProtocolError("bad_value", f"save: 'force' must be true or false, "
                                             f"got {_show(force)}")
        out["force"] = force
    elif kind == "ping":
        ident = msg.get("id")
        out["id"] = ident if isinstance(ident, (int, str)) and not isinstance(ident, bool) \
            and len(str(ident)) <= 64 else None
    elif kind == "stats":
        out["underruns"] = int(_number(msg, "underruns", 0, 2**31, kind))
    elif kind == "upload":
        name = msg.get("name")
        if not isinstance(name, str) or not 0 < len(name) <= 200:
            raise ProtocolError("bad_value", f"upload: 'name' must be a file name, "
                                             f"got {_show(name)}")
        out["name"] = name
        out["size"] = int(_number(msg, "size", 1, MAX_UPLOAD_BYTES, kind))
    return out


def upload_name(name: str, folder: Path) -> str:
    """A safe, new file name in ``folder`` for an uploaded ``name``: its base name only
    (no folders, no traversal), letters, digits, ``-_.`` kept, a known audio suffix,
    and ``-2``, ``-3``... added rather than overwrite a file. ProtocolError if the
    type is not an audio type."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    stem, dot, suffix = base.rpartition(".")
    suffix = f".{suffix.lower()}" if dot else ""
    if suffix not in UPLOAD_TYPES:
        raise ProtocolError("bad_type", f"upload: {_show(base)} is not one of "
                                        f"{', '.join(UPLOAD_TYPES)}")
    stem = re.sub(r"[^A-Za-z0-9_-]+", "-", stem).strip("-.")[:80] or "sound"
    candidate = f"{stem}{suffix}"
    n = 2
    while (folder / candidate).exists():
        candidate = f"{stem}-{n}{suffix}"
        n += 1
    return candidate


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


# -- graphs -----------------------------------------------------------------------------
@dataclass
class Overrides:
    """Audition-only changes (never written): per-layer gain, mutes and solos."""

    gains: dict[str, float] = field(default_factory=dict)
    muted: set[str] = field(default_factory=set)
    solo: set[str] = field(default_factory=set)

    def gain_db(self, name: str) -> float:
        if name in self.muted or (self.solo and name not in self.solo):
            return -120.0
        return self.gains.get(name, 0.0)

    def copy(self) -> Overrides:
        return Overrides(dict(self.gains), set(self.muted), set(self.solo))


def apply_overrides(graph: SceneGraph, overrides: Overrides, glide: bool = True) -> None:
    """Set every layer's live gain from ``overrides`` (gliding, or at once on a graph
    that has not played yet)."""
    for name, strip in graph.strips.items():
        db = overrides.gain_db(name)
        gain = 0.0 if db <= -80 else 10 ** (db / 20)
        if glide:
            strip.set_user_gain(gain)
        else:
            strip.user_gain = strip._target = gain
            strip._ramp_left = 0


def advance(graph: SceneGraph, frames: int) -> None:
    """Move the graph ``frames`` forward without making that audio (``SceneGraph.seek``:
    beds draw their plays, event layers their schedule, only what still sounds is
    made), so it plays on from there as a render pulled all the way would."""
    if frames > 0:
        graph.seek(graph.position + frames)


def timeline(graph: SceneGraph, horizon_s: float = HORIZON_S) -> dict[str, Any]:
    """Upcoming events (the players' own scheduler, on a copy of its random state) and
    phase starts from the playhead to ``horizon_s`` later; times in scene seconds."""
    scene = graph.scene
    rate = scene.master.sample_rate
    now = graph.position
    until = now + int(horizon_s * rate)
    events: list[dict[str, Any]] = []
    for name, strip in graph.strips.items():
        player = strip.source
        if isinstance(player, EventPlayer):
            for onset in player.upcoming(until, limit=100):
                if onset >= now:
                    events.append({"layer": name, "time": round(onset / rate, 3)})
    events.sort(key=lambda e: float(e["time"]))
    phases: list[dict[str, Any]] = []
    if scene.phases and scene.cycle_seconds > 0:
        t0, t1 = now / rate, until / rate
        cycle = int(t0 // scene.cycle_seconds) if scene.master.loop_phases else 0
        while len(phases) < 200:
            start = cycle * scene.cycle_seconds
            if start > t1:
                break
            for phase in scene.phases:
                if start + phase.duration >= t0 and start <= t1:
                    phases.append({"name": phase.name, "time": round(start, 3),
                                   "duration": round(phase.duration, 3)})
                start += phase.duration
            if not scene.master.loop_phases:
                break
            cycle += 1
    return {"type": "timeline", "position": round(now / rate, 3), "horizon": horizon_s,
            "events": events[:400], "phases": phases}


class StudioStream(Stream):
    """A Stream that also reports meters and the timeline in its blocks' events.

    ``heard``: (version, receipt time) of an edit or seek whose graph was handed to
    ``reload``; the first block made after it carries a "heard" event with the
    latency from receipt (perf_counter) to that block.
    """

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.mix_meter = MomentaryLoudness(self.rate)
        self.blocks = 0
        self.heard: tuple[int, float] | None = None
        self.meter_seconds = 0.0  # time spent in the per-layer taps' reading, for stats

    def produce(self) -> Produced:
        produced = super().produce()
        self.blocks += 1
        if self.last_block is not None:
            self.mix_meter.feed(self.last_block)
        graph = self.graph
        if self.heard is not None:
            version, since = self.heard
            self.heard = None
            produced.events.append({"type": "heard", "version": version,
                                    "latency_ms": round((time.perf_counter() - since) * 1000, 1)})
        if graph is None:
            return produced
        if self.blocks % METER_EVERY == 0:
            layers = {name: round(tap.lufs(), 1) for name, tap in graph.taps.items()}
            mix = round(self.mix_meter.lufs(), 1)
            produced.events.append({
                "type": "meters", "position": round(graph.position / self.rate, 3),
                "mix": mix, "layers": layers, "badges": badges(layers, mix),
                "playing": self.fallback.playing,
            })
        if self.blocks % TIMELINE_EVERY == 1:
            produced.events.append(timeline(graph))
        return produced


def block_level_db(block: np.ndarray) -> float:
    """RMS of a block in dBFS (for logs and tests)."""
    rms = float(np.sqrt(np.mean(block.astype(np.float64) ** 2)))
    return 20 * math.log10(rms) if rms > 0 else -math.inf
