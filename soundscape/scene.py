"""The scene model: what a ``scenes/*.toml`` file describes, validated.

``load_scene(path)`` returns a :class:`Scene` or raises one :class:`SceneError`
that lists every problem in the file, each naming its TOML path (``layers[2].gain_db``),
the bad value and what is allowed. The format is documented in ``docs/scenes.md``.

Pure: no audio is made here. Durations are stored in seconds (floats) because
that is what the file says; the mixer converts them to integer frames once.
"""

from __future__ import annotations

import math
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
                where = f"{path}.{key}" if path else key
                self.problem(where, f"unknown key (allowed: {', '.join(sorted(allowed))})")

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
        where = f"{path}.{key}" if path else key
        if key not in table:
            if required:
                self.problem(where, "is required")
            return default
        value = table[key]
        kind = "an integer" if integer else "a number"
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            self.problem(where, f"{value!r} is not {kind}")
            return default
        if integer and not isinstance(value, int):
            self.problem(where, f"{value!r} is not {kind}")
            return default
        if not math.isfinite(value):
            self.problem(where, f"{value!r} is not a finite number")
            return default
        if (low is not None and value < low) or (high is not None and value > high):
            self.problem(where, f"{value!r} is out of range {_fmt(low)}..{_fmt(high)}")
            return default
        return value

    def string(
        self, table: dict[str, Any], key: str, path: str, default: str | None, required=False
    ) -> str | None:
        where = f"{path}.{key}" if path else key
        if key not in table:
            if required:
                self.problem(where, "is required")
            return default
        value = table[key]
        if not isinstance(value, str):
            self.problem(where, f"{value!r} is not a string")
            return default
        if required and not value.strip():
            self.problem(where, "must not be empty")
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
        where = f"{path}.{key}" if path else key
        if key not in table:
            return default
        try:
            seconds = parse_duration(table[key])
        except ValueError as exc:
            self.problem(where, str(exc))
            return default
        if seconds < low or (high is not None and seconds > high):
            self.problem(
                where, f"{table[key]!r} is out of range {_fmt(low)}s..{_fmt(high)}s"
            )
            return default
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
        where = f"{path}.{key}" if path else key
        if key not in table:
            return default
        raw = table[key]
        items = raw if isinstance(raw, list) else [raw, raw]
        if len(items) != 2:
            self.problem(where, f"{raw!r} must be a [low, high] pair")
            return default
        values = []
        for item in items:
            try:
                if durations:
                    values.append(parse_duration(item))
                elif isinstance(item, bool) or not isinstance(item, (int, float)):
                    raise ValueError(f"{item!r} is not a number")
                else:
                    values.append(float(item))
            except ValueError as exc:
                self.problem(where, str(exc))
                return default
        a, b = values
        if a > b:
            self.problem(where, f"{raw!r}: low is above high")
            return default
        if a < low or b > high:
            self.problem(where, f"{raw!r} is out of range {_fmt(low)}..{_fmt(high)}")
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
        c.problem(path, f"{raw!r} is not a table")
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
            c.problem(f"{path}.{key}", f"{value!r} is not {'a ' + kind.__name__}")
            continue
        if key in ("steps", "candidates") and not 1 <= value <= 1000:
            c.problem(f"{path}.{key}", f"{value!r} is out of range 1..1000")
            continue
        if key == "guidance" and not 0 <= value <= 30:
            c.problem(f"{path}.{key}", f"{value!r} is out of range 0..30")
            continue
        if key == "seconds" and not 1 <= value <= 47:
            c.problem(f"{path}.{key}", f"{value!r} is out of range 1..47")
            continue
        out[key] = value
    return out


def _parse_layer(c: _Checker, raw: Any, index: int, base: Path) -> Layer | None:
    path = f"layers[{index}]"
    if not isinstance(raw, dict):
        c.problem(path, f"{raw!r} is not a table")
        return None
    kind = raw.get("type")
    if kind not in ("bed", "event"):
        c.problem(f"{path}.type", f"{kind!r} is not one of 'bed', 'event'")
        return None
    c.unknown_keys(raw, path, _BED_KEYS if kind == "bed" else _EVENT_KEYS)
    name = c.string(raw, "name", path, None, required=True) or f"#{index}"
    if name and not all(ch.isalnum() or ch in "-_" for ch in name):
        c.problem(f"{path}.name", f"{name!r} may hold only letters, digits, '-' and '_'")
    prompt = c.string(raw, "prompt", path, None)
    recipe = c.string(raw, "recipe", path, None)
    params = raw.get("params", {})
    if not isinstance(params, dict):
        c.problem(f"{path}.params", f"{params!r} is not a table")
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
    files: list[Path] = []
    raw_files = raw.get("files", [])
    if isinstance(raw_files, str):
        raw_files = [raw_files]
    if not isinstance(raw_files, list):
        c.problem(f"{path}.files", f"{raw_files!r} is not a list of paths")
        raw_files = []
    for i, item in enumerate(raw_files):
        where = f"{path}.files[{i}]"
        if not isinstance(item, str):
            c.problem(where, f"{item!r} is not a path")
            continue
        file = (base / item).expanduser() if not Path(item).is_absolute() else Path(item)
        if file.suffix.lower() in NOT_AUDIO_EXTENSIONS:
            c.problem(where, f"{item!r} is not an audio file (any format ffmpeg reads: "
                             f"{', '.join(AUDIO_EXTENSIONS[:12])}, ...)")
        elif not file.is_file():
            c.problem(where, f"{item!r} does not exist (looked for {file})")
        else:
            files.append(file)
    if prompt is None and recipe is None and not raw_files:
        c.problem(path, "needs a source: 'recipe', 'files' or 'prompt'")
    variants = c.number(raw, "variants", path, 6 if kind == "bed" else 6, 1, 64, integer=True)
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
                c.problem(bpath, f"{b!r} is not a table")
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
    rate = c.number(raw, "rate_per_min", path, None, 0.0, 600.0)
    interval = c.pair(raw, "interval", path, None, 0.05, 86400.0, durations=True)
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
        c.problem(path, f"{raw!r} is not a table")
        return None
    c.unknown_keys(raw, path, {"name", "duration", "ramp", "layers"})
    name = c.string(raw, "name", path, f"phase {index + 1}") or f"phase {index + 1}"
    if "duration" not in raw:
        c.problem(f"{path}.duration", "is required")
    duration = c.duration(raw, "duration", path, None, 1.0, 7 * 86400.0)
    known_duration = duration is not None
    duration = duration or 60.0
    ramp = c.duration(raw, "ramp", path, min(30.0, duration), 0.0, 7 * 86400.0)
    if known_duration and ramp is not None and ramp > duration:
        c.problem(f"{path}.ramp", f"{raw['ramp']!r} is longer than the phase's duration")
        ramp = duration
    targets: dict[str, dict[str, float]] = {}
    raw_layers = raw.get("layers", {})
    if not isinstance(raw_layers, dict):
        c.problem(f"{path}.layers", f"{raw_layers!r} is not a table")
        raw_layers = {}
    for lname, values in raw_layers.items():
        lpath = f"{path}.layers.{lname}"
        if lname not in layers:
            c.problem(lpath, f"no layer named {lname!r} (layers: {', '.join(layers)})")
            continue
        if not isinstance(values, dict):
            c.problem(lpath, f"{values!r} is not a table")
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
    title = c.string(data, "title", "", None) or c.string(data, "name", "", None)
    description = c.string(data, "description", "", "") or ""
    tags = data.get("tags", [])
    if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
        c.problem("tags", f"{tags!r} is not a list of strings")
        tags = []
    raw_master = data.get("master", {})
    if not isinstance(raw_master, dict):
        c.problem("master", f"{raw_master!r} is not a table")
        raw_master = {}
    c.unknown_keys(
        raw_master,
        "master",
        {"sample_rate", "loudness_lufs", "seed", "fade_in", "segment_seconds", "loop_phases",
         "ceiling_dbtp", "steady_loudness"},
    )
    rate = raw_master.get("sample_rate", 48000)
    if rate not in SAMPLE_RATES or isinstance(rate, bool):
        allowed = ", ".join(map(str, SAMPLE_RATES))
        c.problem("master.sample_rate", f"{rate!r} is not one of {allowed}")
        rate = 48000
    loop = raw_master.get("loop_phases", True)
    if not isinstance(loop, bool):
        c.problem("master.loop_phases", f"{loop!r} is not true or false")
        loop = True
    steady = raw_master.get("steady_loudness", True)
    if not isinstance(steady, bool):
        c.problem("master.steady_loudness", f"{steady!r} is not true or false")
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
        c.problem("phases", f"{raw_phases!r} is not a list of [[phases]] tables")
        raw_phases = []
    by_name = {layer.name: layer for layer in layers}
    for i, raw in enumerate(raw_phases):
        phase = _parse_phase(c, raw, i, by_name)
        if phase is not None:
            phases.append(phase)
    if c.problems:
        raise SceneError(str(path), c.problems)
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


def load_scene(path: str | Path) -> Scene:
    """Read and validate a scene file; raises SceneError naming every problem."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SceneError(str(path), ["file not found"]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise SceneError(str(path), [f"cannot read: {exc}"]) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SceneError(str(path), [f"not valid TOML: {exc}"]) from None
    return parse_scene(data, path)
