"""The scene model: what a ``scenes/*.toml`` file describes, validated.

``load_scene(path)`` returns a :class:`Scene` or raises one :class:`SceneError`
that lists every problem in the file, each naming its line, its TOML path with the
layer's name (``scene.toml:31: layers[2] "cups".gain_db``), the bad value and what is
allowed; ``SceneError.issues`` holds the same as structured :class:`Problem` values.
``scene_from_text(text, path)`` does the same for text held in memory. The fields
themselves (types, ranges, defaults, descriptions) are the tables of
:mod:`soundscape.scenefields`, which also make the JSON Schema; the format is
documented in ``docs/scenes.md``.

Messages do not cascade: a key with a bad value is reported once, and rules that
depend on it (an event needs ``rate_per_min`` or ``interval``, a layer needs a source,
phases name existing layers) are only checked when the keys they need are present.
Values are quoted as TOML writes them (``true``, ``'text'``, ``[1, 2]``), shortened.

Total: whatever the file holds (any bytes, huge numbers, deep nesting, long strings,
10,000 layers), loading ends quickly in a Scene or a SceneError, never another
exception. Every value, string and count is bounded (the ``MAX_*`` limits, listed in
the docs' "Limits" table), and values are quoted shortened (:func:`quote`).

Pure: no audio is made here. Durations are stored in seconds (floats) because
that is what the file says; the mixer converts them to integer frames once.
"""

from __future__ import annotations

import difflib
import errno
import json
import math
import re
import stat
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import Problem, SceneError
from .scenefields import (
    BREATHING_FIELDS,
    GENERATOR_FIELDS,
    LAYER_FIELDS,
    LAYER_TYPES,
    MASTER_FIELDS,
    MAX_EVENTS_PER_MIN,
    MAX_FILES,
    MAX_LAYERS,
    MAX_NAME_CHARS,
    MAX_PATH_CHARS,
    MAX_PHASES,
    MAX_SCENE_BYTES,
    MAX_TAGS,
    MAX_TEXT_CHARS,
    MAX_TITLE_CHARS,
    MIN_INTERVAL_S,
    NAME_HELP,
    PHASE_FIELDS,
    SAMPLE_RATES,
    SCENE_FIELDS,
    TARGET_FIELDS,
    Field,
    fields_for,
    span,
)
from .units import DURATION_HELP, parse_duration

__all__ = [
    "INTERNAL_ERROR", "MAX_FILES", "MAX_LAYERS", "MAX_NAME_CHARS", "MAX_PATH_CHARS",
    "MAX_PHASES", "MAX_SCENE_BYTES", "MAX_TAGS", "MAX_TEXT_CHARS", "MAX_TITLE_CHARS",
    "SAMPLE_RATES", "Bed", "Breathing", "Event", "Layer", "Master", "Phase", "Problem",
    "Scene", "SceneError", "key_lines", "load_scene", "parse_scene", "quote",
    "scene_from_text",
]

# Layer files: any format libsndfile or ffmpeg decodes is accepted (these are the
# usual ones); only names that are plainly not audio are refused up front. A file
# that cannot be decoded is reported, naming it, by ``soundscape validate`` and
# before a render (soundscape/probe.py).
AUDIO_EXTENSIONS = (
    ".wav", ".flac", ".ogg", ".oga", ".mp3", ".opus", ".aiff", ".aif", ".aifc", ".caf",
    ".w64", ".rf64", ".au", ".m4a", ".aac", ".mp4", ".m4b", ".alac", ".wma", ".webm",
    ".mka", ".mkv", ".wv", ".ape", ".ac3", ".amr", ".3gp", ".mov", ".spx", ".tta",
)
NOT_AUDIO_EXTENSIONS = frozenset((
    ".txt", ".md", ".rst", ".toml", ".json", ".yaml", ".yml", ".ini", ".csv", ".tsv",
    ".xml", ".html", ".htm", ".pdf", ".doc", ".docx", ".odt", ".rtf", ".py", ".js",
    ".sh", ".jpg", ".jpeg", ".png", ".gif", ".svg", ".webp", ".bmp", ".tif", ".tiff",
    ".zip", ".tar", ".gz", ".bz2", ".xz", ".7z", ".rar", ".exe", ".mid", ".midi",
))
MAX_PROBLEMS = 50  # listed in one SceneError; the rest are counted
QUOTE_CHARS = 40  # a quoted value longer than this is cut, with "..."
# the marker of an unexpected exception turned into a SceneError (a bug to report)
INTERNAL_ERROR = "internal error while checking the scene (please report it)"
_NAME = re.compile(r"[\w-]+")


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
        pairs = [f"{_key(k)} = {_toml(v, depth - 1)}" for k, v in list(value.items())[:4]]
        return "{ " + ", ".join(pairs + (["..."] if len(value) > 4 else [])) + " }"
    if hasattr(value, "isoformat"):  # TOML dates and times
        return str(value.isoformat())
    return f"a {type(value).__name__}"


def _key(key: Any) -> str:
    """A table key as it appears in a TOML path: bare if it can be, else quoted."""
    text = str(key)
    if 0 < len(text) <= QUOTE_CHARS and all(c.isascii() and (c.isalnum() or c in "-_")
                                            for c in text):
        return text
    return quote(text)


def _where(path: str, key: Any) -> str:
    return f"{path}.{_key(key)}" if path else _key(key)


def _suggest(word: Any, options: Iterable[str], allowed: bool = True) -> str:
    """`` (did you mean 'x'?)`` for a near miss; else the options (when ``allowed``)."""
    options = sorted(options)
    if isinstance(word, str) and len(word) <= 100:
        close = difflib.get_close_matches(word, options, n=1, cutoff=0.6)
        if close:
            return f" (did you mean {quote(close[0])}?)"
    if not allowed:
        return ""
    return f" (allowed: {', '.join(options)})" if options else " (none allowed)"


@dataclass(frozen=True)
class Breathing:
    """Slow level modulation: +-depth_db/2 around the layer gain, periods in seconds."""

    depth_db: float
    period: tuple[float, float]


@dataclass(frozen=True)
class Layer:
    """Fields shared by beds and events. Sources: files, then prompt (bank), then recipe."""

    name: str
    index: int
    prompt: str | None
    recipe: str | None
    params: dict[str, Any]
    files: tuple[Path, ...]
    variants: int
    lowcut_hz: float | None
    highcut_hz: float | None
    generator: dict[str, Any]

    @property
    def kind(self) -> str:
        raise NotImplementedError


@dataclass(frozen=True)
class Bed(Layer):
    """A continuous texture made of crossfaded segments."""

    gain_db: float = 0.0
    pan: float = 0.0
    width: float = 1.0
    crossfade: float = 3.0
    breathing: Breathing | None = None

    @property
    def kind(self) -> str:
        return "bed"


@dataclass(frozen=True)
class Event(Layer):
    """Sporadic one-shots placed by a Poisson process with a minimum gap."""

    rate_per_min: float | None = None
    interval: tuple[float, float] | None = None
    min_gap: float = 0.0
    gain_db: tuple[float, float] = (0.0, 0.0)
    pan: tuple[float, float] = (0.0, 0.0)
    distance: tuple[float, float] | None = None

    @property
    def kind(self) -> str:
        return "event"

    @property
    def base_rate(self) -> float:
        """Events per second without automation (an interval range's mean rate)."""
        if self.interval is not None:
            return 2.0 / (self.interval[0] + self.interval[1])
        return (self.rate_per_min or 0.0) / 60.0


@dataclass(frozen=True)
class Phase:
    """A stretch of the timeline; ``targets[layer][param]`` reached after ``ramp``."""

    name: str
    duration: float
    ramp: float
    targets: dict[str, dict[str, float]]


@dataclass(frozen=True)
class Master:
    sample_rate: int = 48000
    loudness_lufs: float = -23.0
    seed: int = 0
    fade_in: float = 3.0
    segment_seconds: float = 10.0
    loop_phases: bool = True
    ceiling_dbtp: float = -1.0
    steady_loudness: bool = True


@dataclass(frozen=True)
class Scene:
    path: Path
    name: str
    title: str
    description: str
    tags: tuple[str, ...]
    master: Master
    layers: tuple[Layer, ...]
    phases: tuple[Phase, ...] = ()
    generator: dict[str, Any] = field(default_factory=dict)

    def layer(self, name: str) -> Layer:
        for layer in self.layers:
            if layer.name == name:
                return layer
        raise KeyError(name)

    @property
    def beds(self) -> list[Bed]:
        return [layer for layer in self.layers if isinstance(layer, Bed)]

    @property
    def events(self) -> list[Event]:
        return [layer for layer in self.layers if isinstance(layer, Event)]

    @property
    def cycle_seconds(self) -> float:
        return sum(p.duration for p in self.phases)


# ----------------------------------------------------------------------------------
class _Checker:
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
                self.problem(_where(path, key), f"{quote(key)} {elsewhere[key]}", at=path)
            elif len(self.found) >= MAX_PROBLEMS:  # only counted: spare the suggestions
                self.problem(_where(path, key), "unknown key", at=path)
            else:
                self.problem(_where(path, key),
                             f"unknown key {quote(key)}{_suggest(key, allowed)}", at=path)

    def missing(self, path: str, f: Field) -> None:
        self.problem(_where(path, f.name), f"missing key {quote(f.name)} ({f.hint()})",
                     at=path)

    def value(self, table: dict[str, Any], f: Field, path: str) -> Any:
        """The value of ``f`` in ``table`` checked; None when absent or bad (a problem
        noted when bad, and when absent but required)."""
        if f.name not in table:
            if f.required:
                self.missing(path, f)
            return None
        where = _where(path, f.name)
        raw = table[f.name]
        if f.kind == "string":
            return self._string(where, raw, f)
        if f.kind == "number":
            return self._number(where, raw, f)
        if f.kind == "bool":
            if not isinstance(raw, bool):
                self.problem(where, f"{quote(raw)} is not true or false")
                return None
            return raw
        if f.kind == "choice":
            if not any(type(raw) is type(c) and raw == c for c in f.choices):
                hint = _suggest(raw, [str(c) for c in f.choices], allowed=False)
                self.problem(where, f"{quote(raw)} is not {f.hint()}{hint}")
                return None
            return raw
        if f.kind == "duration":
            return self._duration(where, raw, f)
        if f.kind in ("range", "duration_range"):
            return self._pair(where, raw, f)
        raise ValueError(f"field kind {f.kind!r} is read by its caller")  # a bug here

    def _string(self, where: str, value: Any, f: Field) -> str | None:
        if not isinstance(value, str):
            self.problem(where, f"{quote(value)} is not a string")
            return None
        if f.required and not value.strip():
            self.problem(where, "must not be empty")
            return None
        limit = f.max_chars or MAX_TEXT_CHARS
        if len(value) > limit:
            self.problem(where, f"{quote(value)} is {len(value)} characters long "
                                f"(at most {limit})")
            return None
        if f.pattern is not None and not _NAME.fullmatch(value):
            self.problem(where, f"{quote(value)} may hold only {NAME_HELP}")
            return None
        return value

    def _number(self, where: str, value: Any, f: Field) -> float | int | None:
        kind = "an integer" if f.integer else "a number"
        if (isinstance(value, bool) or not isinstance(value, (int, float))
                or (f.integer and not isinstance(value, int))):
            self.problem(where, f"{quote(value)} is not {kind}")
            return None
        # an int is compared exactly (no float conversion: 10**400 would overflow)
        if isinstance(value, float) and not math.isfinite(value):
            self.problem(where, f"{quote(value)} is not a finite number")
            return None
        if (f.low is not None and value < f.low) or (f.high is not None and value > f.high):
            self.problem(where, f"{quote(value)} is out of range {span(f)}")
            return None
        return value

    def _seconds(self, where: str, value: Any) -> float | None:
        """``parse_duration(value)``, finite; None (a problem noted) when it is not."""
        try:
            seconds = parse_duration(value)
        except (ValueError, OverflowError) as exc:  # OverflowError: float(10**400)
            if "repeats the unit" in str(exc):
                self.problem(where, f"{quote(value)} is not a duration (it repeats a unit)")
                return None
            seconds = math.nan
        if not math.isfinite(seconds):
            self.problem(where, f"{quote(value)} is not a duration ({DURATION_HELP})")
            return None
        return seconds

    def _duration(self, where: str, value: Any, f: Field) -> float | None:
        seconds = self._seconds(where, value)
        if seconds is None:
            return None
        if (f.low is not None and seconds < f.low) or (f.high is not None and seconds > f.high):
            self.problem(where, f"{quote(value)} is out of range {span(f, 's')}")
            return None
        return seconds

    def _pair(self, where: str, raw: Any, f: Field) -> tuple[float, float] | None:
        """A [low, high] range; a single number (or duration) means [x, x]."""
        items = raw if isinstance(raw, list) else [raw, raw]
        if len(items) != 2:
            self.problem(where, f"{quote(raw)} must be a [low, high] pair")
            return None
        low = -math.inf if f.low is None else f.low
        high = math.inf if f.high is None else f.high
        suffix = "s" if f.kind == "duration_range" else ""
        values = []
        for item in items:
            if f.kind == "duration_range":
                seconds = self._seconds(where, item)
                if seconds is None:
                    return None
                values.append(seconds)
            elif (isinstance(item, bool) or not isinstance(item, (int, float))
                  or (isinstance(item, float) and not math.isfinite(item))):
                self.problem(where, f"{quote(item)} is not a finite number")
                return None
            elif not low <= item <= high:  # exact for ints: float(10**400) overflows
                self.problem(where, f"{quote(raw)} is out of range {span(f)}")
                return None
            else:
                values.append(float(item))
        a, b = values
        if a > b:
            self.problem(where, f"{quote(raw)}: low is above high")
            return None
        if a < low or b > high:
            self.problem(where, f"{quote(raw)} is out of range {span(f, suffix)}")
            return None
        return (a, b)


def _fmt(value: float | None) -> str:
    if value is None:
        return ""
    return f"{value:g}"


_LAYER = {layer_type: fields_for(LAYER_FIELDS, layer_type) for layer_type in LAYER_TYPES}
_MASTER = fields_for(MASTER_FIELDS)
_GENERATOR = fields_for(GENERATOR_FIELDS)
_BREATHING = fields_for(BREATHING_FIELDS)
_PHASE = fields_for(PHASE_FIELDS)
_SCENE = fields_for(SCENE_FIELDS)


def _other_type(kind: str) -> dict[str, str]:
    """Keys of the other layer type, with a note: 'rate_per_min' is for event layers."""
    other = "event" if kind == "bed" else "bed"
    article = "an" if kind == "event" else "a"
    return {name: f"is for {other} layers; this layer is {article} {kind}"
            for name in _LAYER[other] if name not in _LAYER[kind]}


def _parse_table(c: _Checker, raw: Any, path: str, fields: dict[str, Field]
                 ) -> dict[str, Any]:
    """The plain fields of a table (master, generator, breathing): name -> value, for
    the keys present with a good value."""
    if not isinstance(raw, dict):
        c.problem(path, f"{quote(raw)} is not a table")
        return {}
    c.unknown_keys(raw, path, fields)
    out = {}
    for name, f in fields.items():
        value = c.value(raw, f, path)
        if value is not None:
            out[name] = value
    return out


def _parse_params(c: _Checker, params: dict[str, Any], recipe: str, path: str) -> None:
    """Check ``params`` against the parameters of ``recipe`` (a known recipe)."""
    from . import procedural

    specs = procedural.RECIPES[recipe].params
    for key, value in params.items():
        where = _where(path, key)
        spec = specs.get(key)
        if spec is None:
            known = ", ".join(sorted(specs)) or "none"
            hint = _suggest(key, specs, allowed=False) or f" (known: {known})"
            c.problem(where, f"unknown param {quote(key)} for recipe {quote(recipe)}{hint}",
                      at=path)
        elif spec.choices is not None:
            if not isinstance(value, str) or value not in spec.choices:
                hint = _suggest(value, spec.choices, allowed=False)
                c.problem(where, f"{quote(value)} is not one of "
                                 f"{', '.join(spec.choices)}{hint}")
        else:
            c.value(params, Field(key, "number", spec.doc, low=spec.low, high=spec.high),
                    path)


def _parse_layer(c: _Checker, raw: Any, index: int, base: Path) -> Layer | None:
    path = f"layers[{index}]"
    if not isinstance(raw, dict):
        c.problem(path, f"{quote(raw)} is not a table")
        return None
    kind = c.value(raw, _LAYER["bed"]["type"], path)
    if kind is None:  # the other keys depend on the type: nothing more to say
        return None
    fields = _LAYER[kind]
    c.unknown_keys(raw, path, fields, _other_type(kind))
    name = c.value(raw, fields["name"], path)
    prompt = c.value(raw, fields["prompt"], path)
    recipe = None
    if "recipe" in raw:
        recipe = _parse_recipe(c, raw["recipe"], kind, f"{path}.recipe")
    params = raw.get("params", {})
    if not isinstance(params, dict):
        c.problem(f"{path}.params", f"{quote(params)} is not a table")
        params = {}
    elif "params" in raw and "recipe" not in raw:
        c.problem(f"{path}.params", "params given without a recipe")
    elif recipe is not None:
        _parse_params(c, params, recipe, f"{path}.params")
    raw_files = raw.get("files", [])
    if isinstance(raw_files, str):
        raw_files = [raw_files]
    if not isinstance(raw_files, list):
        c.problem(f"{path}.files", f"{quote(raw_files)} is not a list of paths")
        raw_files = []
    if len(raw_files) > MAX_FILES:
        c.problem(f"{path}.files", f"{len(raw_files)} files; a layer takes at most {MAX_FILES}")
        raw_files = raw_files[:MAX_FILES]
    files = [f for i, item in enumerate(raw_files)
             if (f := _layer_file(c, item, f"{path}.files[{i}]", base)) is not None]
    if "prompt" not in raw and "recipe" not in raw and not raw.get("files"):
        c.problem(path, "needs a source: 'recipe', 'files' or 'prompt'")
    variants = c.value(raw, fields["variants"], path)
    lowcut = c.value(raw, fields["lowcut_hz"], path)
    highcut = c.value(raw, fields["highcut_hz"], path)
    if lowcut is not None and highcut is not None and lowcut >= highcut:
        c.problem(f"{path}.lowcut_hz", f"{_fmt(lowcut)} is not below highcut_hz "
                                       f"{_fmt(highcut)}")
    generator = {}
    if "generator" in raw:
        generator = _parse_table(c, raw["generator"], f"{path}.generator", _GENERATOR)
    common: dict[str, Any] = dict(
        name=name if name is not None else f"#{index}",
        index=index,
        prompt=prompt,
        recipe=recipe,
        params=dict(params),
        files=tuple(files),
        variants=int(6 if variants is None else variants),
        lowcut_hz=lowcut,
        highcut_hz=highcut,
        generator=generator,
    )

    def get(key: str) -> Any:
        value = c.value(raw, fields[key], path)
        return fields[key].default if value is None else value

    if kind == "bed":
        breathing = None
        if "breathing" in raw:
            b = _parse_table(c, raw["breathing"], f"{path}.breathing", _BREATHING)
            breathing = Breathing(float(b.get("depth_db", 3.0)), b.get("period", (20.0, 60.0)))
        return Bed(**common, gain_db=float(get("gain_db")), pan=float(get("pan")),
                   width=float(get("width")), crossfade=float(get("crossfade")),
                   breathing=breathing)
    rate = c.value(raw, fields["rate_per_min"], path)
    interval = c.value(raw, fields["interval"], path)
    if interval is not None and interval[0] < MIN_INTERVAL_S:
        c.problem(f"{path}.interval",
                  f"{quote(raw['interval'])}: gaps under {MIN_INTERVAL_S:g} s would play more "
                  f"than {MAX_EVENTS_PER_MIN:g} events per minute (the cap)")
        interval = None
    if "rate_per_min" not in raw and "interval" not in raw:
        c.problem(path, "an event needs 'rate_per_min' or 'interval'")
    if "rate_per_min" in raw and "interval" in raw:
        c.problem(path, "give either 'rate_per_min' or 'interval', not both")
    return Event(**common, rate_per_min=rate, interval=interval,
                 min_gap=float(get("min_gap")), gain_db=get("gain_db"), pan=get("pan"),
                 distance=c.value(raw, fields["distance"], path))


def _parse_recipe(c: _Checker, value: Any, kind: str, where: str) -> str | None:
    """The recipe name if it is a known recipe for a ``kind`` layer; else None."""
    from . import procedural

    if not isinstance(value, str):
        c.problem(where, f"{quote(value)} is not a string")
        return None
    known = procedural.RECIPES.get(value)
    if known is None:
        hint = _suggest(value, procedural.RECIPES, allowed=False)
        c.problem(where, f"unknown recipe {quote(value)}"
                         f"{hint or ' (see soundscape recipes)'}")
        return None
    if known.kind != kind:
        article = "an" if kind == "event" else "a"
        c.problem(where, f"{quote(value)} is a {known.kind} recipe, but this layer is "
                         f"{article} {kind}")
    return value


def _parse_phase(c: _Checker, raw: Any, index: int, layers: dict[str, Layer],
                 raw_names: set[str]) -> Phase | None:
    """Phase ``index``; ``layers`` are the valid layers, ``raw_names`` every name a
    layer table gives (targets of an invalid layer are not reported again)."""
    path = f"phases[{index}]"
    if not isinstance(raw, dict):
        c.problem(path, f"{quote(raw)} is not a table")
        return None
    c.unknown_keys(raw, path, _PHASE)
    name = c.value(raw, _PHASE["name"], path) or f"phase {index + 1}"
    duration = c.value(raw, _PHASE["duration"], path)
    ramp = c.value(raw, _PHASE["ramp"], path)
    if duration is not None and ramp is not None and ramp > duration:
        c.problem(f"{path}.ramp", f"{quote(raw['ramp'])} is longer than the phase's duration")
        ramp = duration
    if duration is None:
        duration = 60.0
    if ramp is None:
        ramp = min(30.0, duration)
    targets: dict[str, dict[str, float]] = {}
    raw_layers = raw.get("layers", {})
    if not isinstance(raw_layers, dict):
        c.problem(f"{path}.layers", f"{quote(raw_layers)} is not a table")
        raw_layers = {}
    for lname, values in raw_layers.items():
        lpath = _where(f"{path}.layers", lname)
        layer = layers.get(lname)
        if layer is None:
            if lname not in raw_names:
                hint = _suggest(lname, raw_names, allowed=False)
                known = f" (layers: {', '.join(sorted(raw_names))})" if raw_names else ""
                c.problem(lpath, f"no layer named {quote(lname)}{hint or known}")
            continue
        if not isinstance(values, dict):
            c.problem(lpath, f"{quote(values)} is not a table")
            continue
        allowed = fields_for(TARGET_FIELDS, layer.kind)
        c.unknown_keys(values, lpath, allowed,
                       {"rate_per_min": f"is for event layers; {quote(lname)} is a bed"})
        targets[lname] = {}
        for param, f in allowed.items():
            v = c.value(values, f, lpath)
            if v is not None:
                targets[lname][param] = float(v)
    return Phase(str(name), float(duration), float(ramp), targets)


def parse_scene(data: dict[str, Any], path: Path, text: str | None = None) -> Scene:
    """Validate parsed TOML ``data`` of the file at ``path``; raises SceneError.

    ``text``, the file's text, gives the problems their line numbers.
    """
    c = _Checker()
    c.unknown_keys(data, "", _SCENE)
    title = c.value(data, _SCENE["title"], "")
    old_title = c.value(data, _SCENE["name"], "")
    description = c.value(data, _SCENE["description"], "") or ""
    tags = data.get("tags", [])
    if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
        c.problem("tags", f"{quote(tags)} is not a list of strings")
        tags = []
    elif len(tags) > MAX_TAGS or any(len(t) > MAX_NAME_CHARS for t in tags):
        c.problem("tags", f"{quote(tags)}: at most {MAX_TAGS} tags of at most "
                          f"{MAX_NAME_CHARS} characters")
        tags = []
    raw_master = data.get("master", {})
    m = _parse_table(c, raw_master, "master", _MASTER)
    given: dict[str, Any] = {k: (float(v) if isinstance(_MASTER[k].default, float) else v)
                             for k, v in m.items()}
    master = Master(**given)
    generator = {}
    if "generator" in data:
        generator = _parse_table(c, data["generator"], "generator", _GENERATOR)
    raw_layers = data.get("layers")
    layers: list[Layer] = []
    if not isinstance(raw_layers, list) or not raw_layers:
        if "layers" in data and not isinstance(raw_layers, list):
            c.problem("layers", f"{quote(raw_layers)} is not a list of [[layers]] tables")
        else:
            c.problem("layers", "a scene needs at least one [[layers]] table")
        raw_layers = []
    if len(raw_layers) > MAX_LAYERS:
        c.problem("layers", f"{len(raw_layers)} layers; a scene has at most {MAX_LAYERS} "
                            f"(only the first {MAX_LAYERS} were checked)")
        raw_layers = raw_layers[:MAX_LAYERS]
    raw_names = {r["name"] for r in raw_layers
                 if isinstance(r, dict) and isinstance(r.get("name"), str)}
    seen: dict[str, int] = {}
    for i, raw in enumerate(raw_layers):
        layer = _parse_layer(c, raw, i, path.parent)
        if layer is None:
            continue
        if layer.name in seen:
            c.problem(f"layers[{i}].name",
                      f"{quote(layer.name)} is already used by layers[{seen[layer.name]}]")
            continue
        seen[layer.name] = i
        layers.append(layer)
    bad = {found[0] for found in c.found}
    if "master.segment_seconds" not in bad:  # else it is reported already
        for layer in layers:
            where = f"layers[{layer.index}].crossfade"
            if (isinstance(layer, Bed) and where not in bad
                    and layer.crossfade * 2 >= master.segment_seconds):
                c.problem(where, f"{layer.crossfade:g}s must be under half of "
                                 f"master.segment_seconds ({master.segment_seconds:g}s)")
    raw_phases = data.get("phases", [])
    phases: list[Phase] = []
    if not isinstance(raw_phases, list):
        c.problem("phases", f"{quote(raw_phases)} is not a list of [[phases]] tables")
        raw_phases = []
    if len(raw_phases) > MAX_PHASES:
        c.problem("phases", f"{len(raw_phases)} phases; a scene has at most {MAX_PHASES} "
                            f"(only the first {MAX_PHASES} were checked)")
        raw_phases = raw_phases[:MAX_PHASES]
    by_name = {layer.name: layer for layer in layers}
    for i, raw in enumerate(raw_phases):
        phase = _parse_phase(c, raw, i, by_name, raw_names)
        if phase is not None:
            phases.append(phase)
    if c.found:
        raise SceneError(_short_path(path), _problems(c, raw_layers, raw_phases, text))
    return Scene(
        path=path,
        name=path.stem,
        title=title or old_title or path.stem,
        description=description,
        tags=tuple(tags),
        master=master,
        layers=tuple(layers),
        phases=tuple(phases),
        generator=generator,
    )


_INDEXED = re.compile(r"(layers|phases)\[(\d+)\]")


def _problems(c: _Checker, raw_layers: list[Any], raw_phases: list[Any], text: str | None
              ) -> list[Problem]:
    """The checker's findings as Problems: line numbers, layers and phases named."""
    names: dict[tuple[str, int], str] = {}
    for table, items in (("layers", raw_layers), ("phases", raw_phases)):
        for i, raw in enumerate(items):
            name = raw.get("name") if isinstance(raw, dict) else None
            if (isinstance(name, str) and 0 < len(name) <= MAX_NAME_CHARS
                    and name.isprintable() and '"' not in name
                    and (table == "phases" or _NAME.fullmatch(name))):
                names[(table, i)] = name  # a layer's only when valid; a phase's may hold spaces

    def label(path: str) -> str:
        match = _INDEXED.match(path)
        if match is None:
            return path
        name = names.get((match.group(1), int(match.group(2))))
        return path if name is None else f'{match.group(0)} "{name}"{path[match.end():]}'

    lines = key_lines(text) if text is not None else {}
    out = [Problem(path, _line_of(lines, path), message, label(path if at is None else at))
           for path, message, at in c.found[:MAX_PROBLEMS]]
    out.sort(key=lambda p: (p.line is None, p.line or 0))  # in file order; stable
    if len(c.found) > MAX_PROBLEMS:
        out.append(Problem("", None, f"... and {len(c.found) - MAX_PROBLEMS} more problems"))
    return out


# -- line numbers ----------------------------------------------------------------------
_PART_RE = r"""(?:[A-Za-z0-9_-]+|"(?:[^"\\]|\\.)*"|'[^']*')"""
_KEY_RE = rf"{_PART_RE}(?:[ \t]*\.[ \t]*{_PART_RE})*"
_HEADER = re.compile(rf"[ \t]*(\[\[?)[ \t]*({_KEY_RE})[ \t]*\]")
_ASSIGN = re.compile(rf"[ \t]*({_KEY_RE})[ \t]*=")


def _parts(key: str) -> list[str]:
    out = []
    for part in re.findall(_PART_RE, key):
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
            path = ""
            parts = _parts(header.group(2))
            for j, part in enumerate(parts):
                path = _where(path, part)
                lines.setdefault(path, number)  # an array of tables: its first table
                if header.group(1) == "[[" and j == len(parts) - 1:
                    counts[path] = counts.get(path, 0) + 1
                if path in counts:
                    path = f"{path}[{counts[path] - 1}]"
                lines.setdefault(path, number)
            prefix = path
            continue
        assign = _ASSIGN.match(line)
        if assign is None:
            continue
        path = prefix
        for part in _parts(assign.group(1)):
            path = _where(path, part)
            lines.setdefault(path, number)
        rest = line[assign.end():]
        for delimiter in ('"""', "'''"):
            if rest.count(delimiter) % 2 == 1:
                in_string = delimiter
                break
    return lines


def _line_of(lines: dict[str, int], path: str) -> int | None:
    """The line of ``path`` or of the nearest table holding it."""
    while path:
        if path in lines:
            return lines[path]
        cut = max(path.rfind("."), path.rfind("["))
        path = path[:cut] if cut > 0 else ""
    return None


def _layer_file(c: _Checker, item: Any, where: str, base: Path) -> Path | None:
    """The path of one ``files`` entry (``~`` expanded, relative to ``base``) if it
    names an existing file; else None, with the problem noted."""
    if not isinstance(item, str):
        c.problem(where, f"{quote(item)} is not a path")
        return None
    if not item.strip() or len(item) > MAX_PATH_CHARS or "\0" in item:
        c.problem(where, f"{quote(item)} is not a usable path (empty, over "
                         f"{MAX_PATH_CHARS} characters, or holding a NUL)")
        return None
    try:
        given = Path(item).expanduser()
    except RuntimeError as exc:  # ~user with no such user
        c.problem(where, f"{quote(item)}: cannot expand '~' ({exc})")
        return None
    file = given if given.is_absolute() else base / given
    if file.suffix.lower() in NOT_AUDIO_EXTENSIONS:
        c.problem(where, f"{quote(item)} is not an audio file (any format ffmpeg reads: "
                         f"{', '.join(AUDIO_EXTENSIONS[:12])}, ...)")
        return None
    try:
        mode = file.stat().st_mode
    except OSError as exc:
        if exc.errno in (errno.ENOENT, errno.ENOTDIR):
            c.problem(where, f"{quote(item)} does not exist (looked for {_short_path(file)})")
        else:  # ENAMETOOLONG, EACCES, ELOOP...
            c.problem(where, f"{quote(item)} cannot be read: {exc.strerror or exc}")
        return None
    if not stat.S_ISREG(mode):
        c.problem(where, f"{quote(item)} is not a file (looked for {_short_path(file)})")
        return None
    return file


def _short_path(path: Path) -> str:
    text = str(path)
    return text if len(text) <= 200 else f"{text[:100]}...{text[-60:]}"


def load_scene(path: str | Path) -> Scene:
    """Read and validate a scene file; raises SceneError naming every problem.

    Never raises anything else: a file that is too big, not UTF-8, not TOML (or TOML
    that Python cannot hold: numbers over 4,300 digits, nesting deeper than the
    recursion limit) is a SceneError, and so, as a last resort marked
    ``INTERNAL_ERROR``, is any unexpected exception while checking it.
    """
    path = Path(path)
    name = _short_path(path)
    try:
        with path.open("rb") as f:
            raw = f.read(MAX_SCENE_BYTES + 1)
    except FileNotFoundError:
        raise SceneError(name, ["file not found"]) from None
    except (OSError, ValueError) as exc:  # ValueError: a NUL in the path
        raise SceneError(name, [f"cannot read: {getattr(exc, 'strerror', None) or exc}"]
                         ) from None
    if len(raw) > MAX_SCENE_BYTES:
        raise SceneError(name, [f"the file is over {MAX_SCENE_BYTES} bytes; a scene file "
                                f"is at most {MAX_SCENE_BYTES >> 10} KiB"])
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise SceneError(name, [Problem("", line, f"cannot read: not UTF-8 text "
                                                  f"({exc.reason} at byte {exc.start})")]
                         ) from None
    return scene_from_text(text, path)


_TOML_AT = re.compile(r" \(at line (\d+), column \d+\)$")


def scene_from_text(text: str, path: Path) -> Scene:
    """Validate scene ``text`` held in memory as if it were the file at ``path``.

    Relative ``files`` resolve beside ``path`` (which need not exist); messages name
    ``path``. Raises SceneError, never anything else, exactly like :func:`load_scene`.
    """
    path = Path(path)
    name = _short_path(path)
    if not isinstance(text, str):
        raise SceneError(name, [f"the scene is {type(text).__name__}, not text"])
    if len(text.encode("utf-8", "surrogatepass")) > MAX_SCENE_BYTES:
        raise SceneError(name, [f"the text is over {MAX_SCENE_BYTES} bytes; a scene file "
                                f"is at most {MAX_SCENE_BYTES >> 10} KiB"])
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        at = _TOML_AT.search(message)
        line = int(at.group(1)) if at else None
        raise SceneError(name, [Problem("", line, f"not valid TOML: {message}")]) from None
    except ValueError as exc:  # int(): "Exceeds the limit (4300 digits) ..."
        raise SceneError(name, [f"not valid TOML: a number has too many digits ({exc})"
                                [:200]]) from None
    except RecursionError:
        raise SceneError(name, ["not valid TOML: arrays or tables nested too deeply"]
                         ) from None
    try:
        return parse_scene(data, path, text)
    except SceneError:
        raise
    except Exception as exc:  # a bug here must still not be a traceback for the user
        raise SceneError(name, [f"{INTERNAL_ERROR}: {type(exc).__name__}: {quote(str(exc))}"]
                         ) from exc
