"""The scene model: what a ``scenes/*.toml`` file describes, validated.

``load_scene(path)`` returns a :class:`Scene` or raises one :class:`SceneError`
that lists every problem in the file, each naming its TOML path (``layers[2].gain_db``),
the bad value and what is allowed. The format is documented in ``docs/scenes.md``.

Total: whatever the file holds (any bytes, huge numbers, deep nesting, long strings,
10,000 layers), loading ends quickly in a Scene or a SceneError, never another
exception. Every value, string and count is bounded (the ``MAX_*`` limits below,
listed in the docs' "Limits" table), and values are quoted shortened (:func:`quote`).

Pure: no audio is made here. Durations are stored in seconds (floats) because
that is what the file says; the mixer converts them to integer frames once.
"""

from __future__ import annotations

import errno
import math
import reprlib
import stat
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import SceneError
from .units import parse_duration

# Layer files: any format libsndfile or ffmpeg decodes is accepted (these are the
# usual ones); only names that are plainly not audio are refused up front. A file
# that cannot be decoded is reported, naming it, when its segments are made.
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
SAMPLE_RATES = (16000, 22050, 24000, 32000, 44100, 48000, 88200, 96000)
GENERATOR_KEYS = {
    "model": str,
    "quality_prefix": str,
    "negative_prompt": str,
    "guidance": float,
    "steps": int,
    "candidates": int,
    "seconds": float,
    "scheduler": str,
    "high_band": bool,
}
PHASE_PARAMS = {"level_db": (-80.0, 24.0), "rate_per_min": (0.0, 600.0)}

# Limits (documented in docs/scenes.md, "Limits"). They keep loading, preparing and
# rendering a scene bounded in time and memory whatever the file says.
MAX_SCENE_BYTES = 1 << 20  # a scene file
MAX_LAYERS = 64
MAX_PHASES = 64
MAX_FILES = 256  # per layer
MAX_TAGS = 32
MAX_NAME_CHARS = 64  # layer, phase and tag names, recipe names
MAX_TITLE_CHARS = 200
MAX_TEXT_CHARS = 2000  # description, prompt, quality_prefix, negative_prompt
MAX_PATH_CHARS = 4096  # one entry of `files`
MAX_EVENTS_PER_MIN = 600.0  # rate_per_min, and 60 / the shortest interval gap
MIN_INTERVAL_S = 60.0 / MAX_EVENTS_PER_MIN
MAX_PROBLEMS = 50  # listed in one SceneError; the rest are counted
QUOTE_CHARS = 40  # a quoted value longer than this is cut, with "..."
GENERATOR_TEXT_CHARS = {"model": MAX_TITLE_CHARS, "quality_prefix": MAX_TEXT_CHARS,
                        "negative_prompt": MAX_TEXT_CHARS, "scheduler": MAX_NAME_CHARS}
# the marker of an unexpected exception turned into a SceneError (a bug to report)
INTERNAL_ERROR = "internal error while checking the scene (please report it)"

_REPR = reprlib.Repr()
_REPR.maxlevel = 2
_REPR.maxstring = _REPR.maxother = _REPR.maxlong = QUOTE_CHARS + 8
_REPR.maxlist = _REPR.maxdict = _REPR.maxtuple = 4


def quote(value: Any) -> str:
    """``repr(value)`` bounded: at most QUOTE_CHARS characters and ``...``.

    Never raises: integers too long to print (over 4,300 digits) are described by
    their length, deep nesting is cut by level.
    """
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 256:
        digits = int((value.bit_length() - 1) * math.log10(2)) + 1
        return f"{'-' if value < 0 else ''}an integer of about {digits} digits"
    try:  # a long string: its start, not reprlib's start...end
        text = repr(value[: QUOTE_CHARS + 1]) if isinstance(value, str) else _REPR.repr(value)
    except (ValueError, RecursionError):  # a long integer inside a list
        text = f"<a {type(value).__name__}>"
    return text if len(text) <= QUOTE_CHARS else text[:QUOTE_CHARS] + "..."


def _key(key: Any) -> str:
    """A table key as it appears in a TOML path: bare if it can be, else quoted."""
    text = str(key)
    if 0 < len(text) <= QUOTE_CHARS and all(c.isascii() and (c.isalnum() or c in "-_")
                                            for c in text):
        return text
    return quote(text)


def _where(path: str, key: Any) -> str:
    return f"{path}.{_key(key)}" if path else _key(key)


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
    """Reads typed values out of TOML tables, collecting problems instead of raising."""

    def __init__(self) -> None:
        self.problems: list[str] = []

    def problem(self, path: str, text: str) -> None:
        self.problems.append(f"{path}: {text}" if path else text)

    def unknown_keys(self, table: dict[str, Any], path: str, allowed: set[str]) -> None:
        for key in table:
            if key not in allowed:
                self.problem(_where(path, key),
                             f"unknown key (allowed: {', '.join(sorted(allowed))})")

    def number(
        self,
        table: dict[str, Any],
        key: str,
        path: str,
        default: float | None,
        low: float | None = None,
        high: float | None = None,
        integer: bool = False,
        required: bool = False,
    ) -> float | None:
        where = _where(path, key)
        if key not in table:
            if required:
                self.problem(where, "is required")
            return default
        value = table[key]
        kind = "an integer" if integer else "a number"
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            self.problem(where, f"{quote(value)} is not {kind}")
            return default
        if integer and not isinstance(value, int):
            self.problem(where, f"{quote(value)} is not {kind}")
            return default
        # an int is compared exactly (no float conversion: 10**400 would overflow)
        if isinstance(value, float) and not math.isfinite(value):
            self.problem(where, f"{quote(value)} is not a finite number")
            return default
        if (low is not None and value < low) or (high is not None and value > high):
            self.problem(where, f"{quote(value)} is out of range {_fmt(low)}..{_fmt(high)}")
            return default
        return value

    def string(
        self,
        table: dict[str, Any],
        key: str,
        path: str,
        default: str | None,
        required: bool = False,
        max_chars: int = MAX_TEXT_CHARS,
    ) -> str | None:
        where = _where(path, key)
        if key not in table:
            if required:
                self.problem(where, "is required")
            return default
        value = table[key]
        if not isinstance(value, str):
            self.problem(where, f"{quote(value)} is not a string")
            return default
        if required and not value.strip():
            self.problem(where, "must not be empty")
            return default
        if len(value) > max_chars:
            self.problem(where, f"{quote(value)} is {len(value)} characters long "
                                f"(at most {max_chars})")
            return default
        return value

    def duration(
        self,
        table: dict[str, Any],
        key: str,
        path: str,
        default: float | None,
        low: float = 0.0,
        high: float | None = None,
    ) -> float | None:
        where = _where(path, key)
        if key not in table:
            return default
        seconds = self._seconds(where, table[key])
        if seconds is None:
            return default
        if seconds < low or (high is not None and seconds > high):
            self.problem(
                where, f"{quote(table[key])} is out of range {_fmt(low)}s..{_fmt(high)}s"
            )
            return default
        return seconds

    def _seconds(self, where: str, value: Any) -> float | None:
        """``parse_duration(value)``, finite; None (a problem noted) when it is not."""
        try:
            seconds = parse_duration(value)
        except (ValueError, OverflowError):  # OverflowError: float(10**400)
            seconds = math.nan
        if not math.isfinite(seconds):
            self.problem(where, f"{quote(value)} is not a duration (use e.g. 90s, 10m, "
                                f"1h30m, 2h, 500ms)")
            return None
        return seconds

    def pair(
        self,
        table: dict[str, Any],
        key: str,
        path: str,
        default: tuple[float, float] | None,
        low: float,
        high: float,
        durations: bool = False,
    ) -> tuple[float, float] | None:
        """A [low, high] range; a single number means [x, x]."""
        where = _where(path, key)
        if key not in table:
            return default
        raw = table[key]
        items = raw if isinstance(raw, list) else [raw, raw]
        if len(items) != 2:
            self.problem(where, f"{quote(raw)} must be a [low, high] pair")
            return default
        values = []
        for item in items:
            if durations:
                seconds = self._seconds(where, item)
                if seconds is None:
                    return default
                values.append(seconds)
            elif (isinstance(item, bool) or not isinstance(item, (int, float))
                  or (isinstance(item, float) and not math.isfinite(item))):
                self.problem(where, f"{quote(item)} is not a finite number")
                return default
            elif not low <= item <= high:  # exact for ints: float(10**400) overflows
                self.problem(where, f"{quote(raw)} is out of range {_fmt(low)}..{_fmt(high)}")
                return default
            else:
                values.append(float(item))
        a, b = values
        if a > b:
            self.problem(where, f"{quote(raw)}: low is above high")
            return default
        if a < low or b > high:
            self.problem(where, f"{quote(raw)} is out of range {_fmt(low)}..{_fmt(high)}")
            return default
        return (a, b)


def _fmt(value: float | None) -> str:
    if value is None:
        return ""
    return f"{value:g}"


_COMMON_LAYER_KEYS = {
    "name", "type", "prompt", "recipe", "params", "files", "variants",
    "lowcut_hz", "highcut_hz", "generator", "gain_db", "pan",
}
_BED_KEYS = _COMMON_LAYER_KEYS | {"width", "crossfade", "breathing"}
_EVENT_KEYS = _COMMON_LAYER_KEYS | {"rate_per_min", "interval", "min_gap", "distance"}


def _parse_generator(c: _Checker, raw: Any, path: str) -> dict[str, Any]:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        c.problem(path, f"{quote(raw)} is not a table")
        return {}
    c.unknown_keys(raw, path, set(GENERATOR_KEYS))
    out: dict[str, Any] = {}
    for key, kind in GENERATOR_KEYS.items():
        if key not in raw:
            continue
        value = raw[key]
        ok = (
            isinstance(value, bool)
            if kind is bool
            else isinstance(value, kind) and not isinstance(value, bool)
            or (kind is float and isinstance(value, int) and not isinstance(value, bool))
        )
        if not ok:
            c.problem(f"{path}.{key}", f"{quote(value)} is not {'a ' + kind.__name__}")
            continue
        if key in ("steps", "candidates") and not 1 <= value <= 1000:
            c.problem(f"{path}.{key}", f"{quote(value)} is out of range 1..1000")
            continue
        if key == "guidance" and not 0 <= value <= 30:
            c.problem(f"{path}.{key}", f"{quote(value)} is out of range 0..30")
            continue
        if key == "seconds" and not 1 <= value <= 47:
            c.problem(f"{path}.{key}", f"{quote(value)} is out of range 1..47")
            continue
        limit = GENERATOR_TEXT_CHARS.get(key)
        if limit is not None and len(value) > limit:
            c.problem(f"{path}.{key}",
                      f"{quote(value)} is {len(value)} characters long (at most {limit})")
            continue
        out[key] = value
    return out


def _parse_layer(c: _Checker, raw: Any, index: int, base: Path) -> Layer | None:
    path = f"layers[{index}]"
    if not isinstance(raw, dict):
        c.problem(path, f"{quote(raw)} is not a table")
        return None
    kind = raw.get("type")
    if not isinstance(kind, str) or kind not in ("bed", "event"):
        c.problem(f"{path}.type", f"{quote(kind)} is not one of 'bed', 'event'")
        return None
    c.unknown_keys(raw, path, _BED_KEYS if kind == "bed" else _EVENT_KEYS)
    name = c.string(raw, "name", path, None, required=True, max_chars=MAX_NAME_CHARS)
    if name is None:
        name = f"#{index}"
    elif not all(ch.isalnum() or ch in "-_" for ch in name):
        c.problem(f"{path}.name",
                  f"{quote(name)} may hold only letters, digits, '-' and '_'")
    prompt = c.string(raw, "prompt", path, None)
    recipe = c.string(raw, "recipe", path, None, max_chars=MAX_NAME_CHARS)
    params = raw.get("params", {})
    if not isinstance(params, dict):
        c.problem(f"{path}.params", f"{quote(params)} is not a table")
        params = {}
    if recipe is not None:
        from . import procedural

        for text in procedural.validate_params(recipe, params):
            where = f"{path}.recipe" if text.startswith("unknown recipe") else f"{path}.params"
            c.problem(where, text)
        known = procedural.RECIPES.get(recipe)
        if known is not None and known.kind != kind:
            article = "an" if kind == "event" else "a"
            c.problem(
                f"{path}.recipe",
                f"{recipe!r} is a {known.kind} recipe, but this layer is {article} {kind}",
            )
    elif params:
        c.problem(f"{path}.params", "params given without a recipe")
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
    if prompt is None and recipe is None and not raw_files:
        c.problem(path, "needs a source: 'recipe', 'files' or 'prompt'")
    variants = c.number(raw, "variants", path, 6, 1, 64, integer=True)
    lowcut = c.number(raw, "lowcut_hz", path, None, 10.0, 20000.0)
    highcut = c.number(raw, "highcut_hz", path, None, 100.0, 24000.0)
    if lowcut is not None and highcut is not None and lowcut >= highcut:
        c.problem(f"{path}.lowcut_hz", f"{lowcut!r} is not below highcut_hz {highcut!r}")
    generator = _parse_generator(c, raw.get("generator"), f"{path}.generator")
    common: dict[str, Any] = dict(
        name=name,
        index=index,
        prompt=prompt,
        recipe=recipe,
        params=dict(params),
        files=tuple(files),
        variants=int(variants or 1),
        lowcut_hz=lowcut,
        highcut_hz=highcut,
        generator=generator,
    )
    if kind == "bed":
        gain = c.number(raw, "gain_db", path, 0.0, -80.0, 24.0)
        pan = c.number(raw, "pan", path, 0.0, -1.0, 1.0)
        width = c.number(raw, "width", path, 1.0, 0.0, 2.0)
        crossfade = c.duration(raw, "crossfade", path, 3.0, 0.05, 30.0)
        breathing = None
        if "breathing" in raw:
            b = raw["breathing"]
            bpath = f"{path}.breathing"
            if not isinstance(b, dict):
                c.problem(bpath, f"{quote(b)} is not a table")
            else:
                c.unknown_keys(b, bpath, {"depth_db", "period"})
                depth = c.number(b, "depth_db", bpath, 3.0, 0.0, 24.0)
                period = c.pair(b, "period", bpath, (20.0, 60.0), 1.0, 3600.0, durations=True)
                breathing = Breathing(float(depth or 0.0), period or (20.0, 60.0))
        return Bed(
            **common,
            gain_db=float(gain or 0.0),
            pan=float(pan or 0.0),
            width=float(1.0 if width is None else width),
            crossfade=float(crossfade or 3.0),
            breathing=breathing,
        )
    rate = c.number(raw, "rate_per_min", path, None, 0.0, MAX_EVENTS_PER_MIN)
    interval = c.pair(raw, "interval", path, None, 0.0, 86400.0, durations=True)
    if interval is not None and interval[0] < MIN_INTERVAL_S:
        c.problem(f"{path}.interval",
                  f"{quote(raw['interval'])}: gaps under {MIN_INTERVAL_S:g} s would play more "
                  f"than {MAX_EVENTS_PER_MIN:g} events per minute (the cap)")
        interval = None
    if rate is None and interval is None:
        c.problem(path, "an event needs 'rate_per_min' or 'interval'")
    if rate is not None and interval is not None:
        c.problem(path, "give either 'rate_per_min' or 'interval', not both")
    min_gap = c.duration(raw, "min_gap", path, 0.0, 0.0, 86400.0)
    gain_range = c.pair(raw, "gain_db", path, (0.0, 0.0), -80.0, 24.0)
    pan_range = c.pair(raw, "pan", path, (0.0, 0.0), -1.0, 1.0)
    distance = c.pair(raw, "distance", path, None, 0.0, 1.0)
    return Event(
        **common,
        rate_per_min=rate,
        interval=interval,
        min_gap=float(min_gap or 0.0),
        gain_db=gain_range or (0.0, 0.0),
        pan=pan_range or (0.0, 0.0),
        distance=distance,
    )


def _parse_phase(c: _Checker, raw: Any, index: int, layers: dict[str, Layer]) -> Phase | None:
    path = f"phases[{index}]"
    if not isinstance(raw, dict):
        c.problem(path, f"{quote(raw)} is not a table")
        return None
    c.unknown_keys(raw, path, {"name", "duration", "ramp", "layers"})
    name = (c.string(raw, "name", path, None, max_chars=MAX_NAME_CHARS)
            or f"phase {index + 1}")
    if "duration" not in raw:
        c.problem(f"{path}.duration", "is required")
    duration = c.duration(raw, "duration", path, None, 1.0, 7 * 86400.0)
    known_duration = duration is not None
    duration = duration or 60.0
    ramp = c.duration(raw, "ramp", path, min(30.0, duration), 0.0, 7 * 86400.0)
    if known_duration and ramp is not None and ramp > duration:
        c.problem(f"{path}.ramp", f"{quote(raw['ramp'])} is longer than the phase's duration")
        ramp = duration
    targets: dict[str, dict[str, float]] = {}
    raw_layers = raw.get("layers", {})
    if not isinstance(raw_layers, dict):
        c.problem(f"{path}.layers", f"{quote(raw_layers)} is not a table")
        raw_layers = {}
    for lname, values in raw_layers.items():
        lpath = _where(f"{path}.layers", lname)
        if lname not in layers:
            known = ", ".join(layers)
            c.problem(lpath, f"no layer named {quote(lname)} (layers: {known})")
            continue
        if not isinstance(values, dict):
            c.problem(lpath, f"{quote(values)} is not a table")
            continue
        allowed = set(PHASE_PARAMS)
        if isinstance(layers[lname], Bed):
            allowed.discard("rate_per_min")
        c.unknown_keys(values, lpath, allowed)
        targets[lname] = {}
        for param in sorted(allowed & set(values)):
            low, high = PHASE_PARAMS[param]
            v = c.number(values, param, lpath, None, low, high)
            if v is not None:
                targets[lname][param] = float(v)
    return Phase(name, float(duration), float(ramp or 0.0), targets)


def parse_scene(data: dict[str, Any], path: Path) -> Scene:
    """Validate parsed TOML ``data`` of the file at ``path``; raises SceneError."""
    c = _Checker()
    c.unknown_keys(
        data,
        "",
        {"name", "title", "description", "tags", "master", "generator", "layers", "phases"},
    )
    title = (c.string(data, "title", "", None, max_chars=MAX_TITLE_CHARS)
             or c.string(data, "name", "", None, max_chars=MAX_TITLE_CHARS))
    description = c.string(data, "description", "", "") or ""
    tags = data.get("tags", [])
    if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
        c.problem("tags", f"{quote(tags)} is not a list of strings")
        tags = []
    elif len(tags) > MAX_TAGS or any(len(t) > MAX_NAME_CHARS for t in tags):
        c.problem("tags", f"{quote(tags)}: at most {MAX_TAGS} tags of at most "
                          f"{MAX_NAME_CHARS} characters")
        tags = []
    raw_master = data.get("master", {})
    if not isinstance(raw_master, dict):
        c.problem("master", f"{quote(raw_master)} is not a table")
        raw_master = {}
    c.unknown_keys(
        raw_master,
        "master",
        {"sample_rate", "loudness_lufs", "seed", "fade_in", "segment_seconds", "loop_phases",
         "ceiling_dbtp", "steady_loudness"},
    )
    rate = raw_master.get("sample_rate", 48000)
    if not isinstance(rate, int) or isinstance(rate, bool) or rate not in SAMPLE_RATES:
        allowed = ", ".join(map(str, SAMPLE_RATES))
        c.problem("master.sample_rate", f"{quote(rate)} is not one of {allowed}")
        rate = 48000
    loop = raw_master.get("loop_phases", True)
    if not isinstance(loop, bool):
        c.problem("master.loop_phases", f"{quote(loop)} is not true or false")
        loop = True
    steady = raw_master.get("steady_loudness", True)
    if not isinstance(steady, bool):
        c.problem("master.steady_loudness", f"{quote(steady)} is not true or false")
        steady = True
    def given(value: float | None, default: float) -> float:
        return default if value is None else float(value)

    master = Master(
        sample_rate=int(rate),
        loudness_lufs=given(
            c.number(raw_master, "loudness_lufs", "master", -23.0, -60.0, -5.0), -23.0
        ),
        seed=int(given(
            c.number(raw_master, "seed", "master", 0, 0, 2**32 - 1, integer=True), 0
        )),
        fade_in=given(c.duration(raw_master, "fade_in", "master", 3.0, 0.0, 600.0), 3.0),
        segment_seconds=given(
            c.duration(raw_master, "segment_seconds", "master", 10.0, 2.0, 60.0), 10.0
        ),
        loop_phases=loop,
        ceiling_dbtp=given(
            c.number(raw_master, "ceiling_dbtp", "master", -1.0, -20.0, 0.0), -1.0
        ),
        steady_loudness=steady,
    )
    generator = _parse_generator(c, data.get("generator"), "generator")
    raw_layers = data.get("layers")
    layers: list[Layer] = []
    if not isinstance(raw_layers, list) or not raw_layers:
        c.problem("layers", "a scene needs at least one [[layers]] table")
        raw_layers = []
    if len(raw_layers) > MAX_LAYERS:
        c.problem("layers", f"{len(raw_layers)} layers; a scene has at most {MAX_LAYERS} "
                            f"(only the first {MAX_LAYERS} were checked)")
        raw_layers = raw_layers[:MAX_LAYERS]
    seen: dict[str, int] = {}
    for i, raw in enumerate(raw_layers):
        layer = _parse_layer(c, raw, i, path.parent)
        if layer is None:
            continue
        if layer.name in seen:
            c.problem(
                f"layers[{i}].name",
                f"{layer.name!r} is already used by layers[{seen[layer.name]}]",
            )
            continue
        seen[layer.name] = i
        layers.append(layer)
    for layer in layers:
        if isinstance(layer, Bed) and layer.crossfade * 2 >= master.segment_seconds:
            c.problem(
                f"layers[{layer.index}].crossfade",
                f"{layer.crossfade:g}s must be under half of master.segment_seconds "
                f"({master.segment_seconds:g}s)",
            )
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
        phase = _parse_phase(c, raw, i, by_name)
        if phase is not None:
            phases.append(phase)
    if c.problems:
        raise SceneError(_short_path(path), _capped(c.problems))
    return Scene(
        path=path,
        name=path.stem,
        title=title or path.stem,
        description=description,
        tags=tuple(tags),
        master=master,
        layers=tuple(layers),
        phases=tuple(phases),
        generator=generator,
    )


def _capped(problems: list[str]) -> list[str]:
    if len(problems) <= MAX_PROBLEMS:
        return problems
    return problems[:MAX_PROBLEMS] + [f"... and {len(problems) - MAX_PROBLEMS} more problems"]


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
        raise SceneError(name, [f"cannot read: not UTF-8 text ({exc.reason} at byte "
                                f"{exc.start})"]) from None
    return scene_from_text(text, path)


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
        raise SceneError(name, [f"not valid TOML: {exc}"]) from None
    except ValueError as exc:  # int(): "Exceeds the limit (4300 digits) ..."
        raise SceneError(name, [f"not valid TOML: a number has too many digits ({exc})"
                                [:200]]) from None
    except RecursionError:
        raise SceneError(name, ["not valid TOML: arrays or tables nested too deeply"]
                         ) from None
    try:
        return parse_scene(data, path)
    except SceneError:
        raise
    except Exception as exc:  # a bug here must still not be a traceback for the user
        raise SceneError(name, [f"{INTERNAL_ERROR}: {type(exc).__name__}: {quote(str(exc))}"]
                         ) from exc
