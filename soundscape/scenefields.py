"""The scene format as one table of fields, and the JSON Schema made from it.

Every key a scene file may hold is a :class:`Field` here: its name, kind (what values
it takes), range and unit, default, one-line description, the layer types it applies
to and whether it is required. :mod:`soundscape.scene` checks scene files against
these tables (its dataclass defaults are read from them), :func:`json_schema` turns
them into a JSON Schema (draft-07, for taplo / Even Better TOML and any other editor),
and ``soundscape recipes`` and the docs read them: one source of truth, so the
validator, the model, the schema and the docs cannot disagree.

Rules that involve several fields (a layer needs a source; an event needs a rate or
an interval, not both; lowcut below highcut; a bed's crossfade under half the segment
length; a phase's ramp within its duration; unique layer names; phase targets naming
existing layers; files that exist) are checked in ``soundscape/scene/parse.py``. The
schema states the ones a schema can; it is never stricter than the validator, only
sometimes looser.

Pure data and pure functions: no I/O.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .units import DURATION_HELP, DURATION_PATTERN

SAMPLE_RATES = (16000, 22050, 24000, 32000, 44100, 48000, 88200, 96000)
LAYER_TYPES = ("bed", "event")
# The icons a layer may name (`icon`): the drawings the player has (soundscape/web).
# soundscape/scene/labels.py derives one when a layer gives none.
ICONS = (
    "rain", "wind", "waves", "fire", "bird", "cricket", "frog", "thunder", "leaves",
    "water", "cafe", "cup", "train", "city", "clock", "keyboard", "chimes", "bowl",
    "fan", "cat", "night", "snow", "book", "noise",
)

# Limits (documented in docs/scenes.md, "Limits"). They keep loading, preparing and
# rendering a scene bounded in time and memory whatever the file says.
MAX_SCENE_BYTES = 1 << 20  # a scene file
MAX_LAYERS = 64
MAX_PHASES = 64
MAX_FILES = 256  # per layer
MAX_TAGS = 32
MAX_NAME_CHARS = 64  # layer, phase and tag names, recipe names
MAX_TITLE_CHARS = 200
MAX_LABEL_CHARS = 40  # a layer's label: a few plain words
MAX_TEXT_CHARS = 2000  # description, prompt, quality_prefix, negative_prompt
MAX_PATH_CHARS = 4096  # one entry of `files`
MAX_EVENTS_PER_MIN = 600.0  # rate_per_min, and 60 / the shortest interval gap
MIN_INTERVAL_S = 60.0 / MAX_EVENTS_PER_MIN
DAY_S = 86400.0
DEFAULT_RAMP_S = 30.0  # a phase without `ramp` reaches its targets after min(this, duration)
# The schema's patterns end with (?![\s\S]) ("no character follows"), not "$": in
# Python's re (jsonschema) "$" also matches before a final newline, so "rain\n" passed
NAME_PATTERN = r"^[\w-]+(?![\s\S])"  # \w: Unicode letters and digits, and '_'
NAME_HELP = "letters, digits, '-' and '_'"
# one line of text: no control characters, something other than spaces (`one_line`)
LINE_PATTERN = (r"^[^\u0000-\u001f\u007f]*[^\s\u0000-\u001f\u007f]"
                r"[^\u0000-\u001f\u007f]*(?![\s\S])")

# Field kinds:
#   string    a string of at most max_chars characters (`pattern`: NAME_PATTERN;
#             `one_line`: one line of text, not blank)
#   number    a finite number in low..high; integer: an integer in low..high
#   bool      true or false
#   choice    one of `choices`
#   duration  seconds as a number, or a string like "90s", "10m", "1h30m", "500ms"
#   range     a [low, high] pair of numbers in low..high, or one number (x = [x, x])
#   duration_range   the same with durations
#   table     a table of `fields`
#   tables    an array of tables of `fields` ([[layers]], [[phases]])
#   files     a path or a list of paths (relative to the scene file)
#   strings   a list of strings (tags)
#   params    the recipe's parameters (see `soundscape recipes`)
#   targets   phase targets: layer name -> table of `fields`


@dataclass(frozen=True)
class Field:
    """One key of a scene table."""

    name: str
    kind: str
    doc: str
    default: Any = None
    low: float | None = None
    high: float | None = None
    unit: str = ""
    integer: bool = False
    choices: tuple[Any, ...] = ()
    max_chars: int | None = None
    max_items: int | None = None
    pattern: str | None = None
    one_line: bool = False  # a string: one line, no control characters, not blank
    noun: str = ""  # a choice: what its values are ("an icon"), for messages
    required: bool = False
    layers: tuple[str, ...] = LAYER_TYPES  # layer fields: the types that take it
    fields: tuple[Field, ...] = ()

    def hint(self) -> str:
        """What the field takes, in a few words (for 'missing key' messages)."""
        if self.kind == "choice":
            return "one of " + ", ".join(map(str, self.choices))
        if self.kind == "string" and self.one_line:
            return f"one line of at most {self.max_chars} characters"
        if self.kind == "duration":
            return DURATION_HELP
        if self.kind == "string" and self.pattern == NAME_PATTERN:
            return NAME_HELP
        if self.kind == "number":
            return f"{'an integer' if self.integer else 'a number'} in {span(self)}"
        if self.kind == "tables":
            return f"at least one [[{self.name}]] table"
        return self.kind


def span(f: Field, suffix: str = "") -> str:
    """``low..high`` of a field, e.g. ``-80..24``; an open side is left empty."""
    low = "" if f.low is None else f"{_num(f.low)}{suffix}"
    high = "" if f.high is None else f"{_num(f.high)}{suffix}"
    return f"{low}..{high}"


def _num(value: float) -> str:
    """A limit as people write it: 4294967295 (not 4.29497e+09), 0.05, -80."""
    if float(value).is_integer() and abs(value) < 1e15:
        return str(int(value))
    return f"{value:g}"


GENERATOR_FIELDS = (
    Field("model", "string", "Text-to-audio model (audioldm2, audioldm2-large, "
          "stable-audio-open, or a Hugging Face id).", max_chars=MAX_TITLE_CHARS),
    Field("quality_prefix", "string", "Text put before every prompt.",
          max_chars=MAX_TEXT_CHARS),
    Field("negative_prompt", "string", "What the model should avoid.",
          max_chars=MAX_TEXT_CHARS),
    Field("guidance", "number", "Classifier-free guidance scale.", low=0, high=30),
    Field("steps", "number", "Diffusion steps per candidate.", low=1, high=1000, integer=True),
    Field("candidates", "number", "Candidates generated per segment; the best is kept.",
          low=1, high=1000, integer=True),
    Field("seconds", "number", "Length of a generated event clip.", low=1, high=47,
          unit="s"),
    Field("scheduler", "string", "Diffusion scheduler (default, ddim, dpm).",
          max_chars=MAX_NAME_CHARS),
    Field("high_band", "bool", "Restore the band above 8 kHz of 16 kHz models."),
)

MASTER_FIELDS = (
    Field("sample_rate", "choice", "Output sample rate.", default=48000,
          choices=SAMPLE_RATES, unit="Hz"),
    Field("loudness_lufs", "number", "Target integrated loudness (EBU R128).",
          default=-23.0, low=-60, high=-5, unit="LUFS"),
    Field("seed", "number", "Seed of every random choice: same seed, same render.",
          default=0, low=0, high=2**32 - 1, integer=True),
    Field("fade_in", "duration", "Fade-in at the start of a render or stream.",
          default=3.0, low=0, high=600),
    Field("segment_seconds", "duration", "Length of each bed segment.", default=10.0,
          low=2, high=60),
    Field("loop_phases", "bool", "Repeat the phases forever (false: stay in the last).",
          default=True),
    Field("ceiling_dbtp", "number", "True-peak ceiling of the limiter.", default=-1.0,
          low=-20, high=0, unit="dBTP"),
    Field("steady_loudness", "bool", "Keep the mix at loudness_lufs while phases change.",
          default=True),
)

BREATHING_FIELDS = (
    Field("depth_db", "number", "Peak-to-peak depth of the slow level change.",
          default=3.0, low=0, high=24, unit="dB"),
    Field("period", "duration_range", "Range of the modulation period.",
          default=(20.0, 60.0), low=1, high=3600),
)

LAYER_FIELDS = (
    Field("name", "string", "Layer name, unique in the scene (phases refer to it).",
          required=True, max_chars=MAX_NAME_CHARS, pattern=NAME_PATTERN),
    Field("type", "choice", "bed: a continuous texture; event: sporadic one-shots.",
          required=True, choices=LAYER_TYPES),
    Field("label", "string", "What the player calls the layer, in plain words "
          "(\"Rain on the roof\"); derived from the name, recipe or prompt when not given.",
          max_chars=MAX_LABEL_CHARS, one_line=True),
    Field("icon", "choice", "The player's picture for the layer; derived from the "
          "recipe, name or prompt when not given.", choices=ICONS, noun="an icon"),
    Field("prompt", "string", "Text prompt for the generator (the bank's segments).",
          max_chars=MAX_TEXT_CHARS),
    Field("recipe", "choice", "Procedural recipe (see `soundscape recipes`).",
          max_chars=MAX_NAME_CHARS),  # choices: the recipe names, filled in lazily
    Field("params", "params", "Recipe parameters (see `soundscape recipes NAME`)."),
    Field("files", "files", "Audio files (any format ffmpeg reads), relative to the "
          "scene file; they take precedence over prompt and recipe.",
          max_items=MAX_FILES, max_chars=MAX_PATH_CHARS),
    Field("variants", "number", "Number of different segments or one-shots prepared.",
          default=6, low=1, high=64, integer=True),
    Field("lowcut_hz", "number", "High-pass filter frequency.", low=10, high=20000,
          unit="Hz"),
    Field("highcut_hz", "number", "Low-pass filter frequency.", low=100, high=24000,
          unit="Hz"),
    Field("generator", "table", "Generator settings for this layer (override [generator]).",
          fields=GENERATOR_FIELDS),
    Field("gain_db", "number", "Level of the bed.", default=0.0, low=-80, high=24,
          unit="dB", layers=("bed",)),
    Field("pan", "number", "Stereo position, -1 left .. 1 right.", default=0.0, low=-1,
          high=1, layers=("bed",)),
    Field("width", "number", "Stereo width: 0 mono, 1 as recorded, 2 wider.", default=1.0,
          low=0, high=2, layers=("bed",)),
    Field("crossfade", "duration", "Equal-power crossfade between segments (under half "
          "of master.segment_seconds).", default=3.0, low=0.05, high=30, layers=("bed",)),
    Field("breathing", "table", "Slow random level modulation.", fields=BREATHING_FIELDS,
          layers=("bed",)),
    Field("rate_per_min", "number", "Mean events per minute (or give interval).",
          low=0, high=MAX_EVENTS_PER_MIN, layers=("event",)),
    Field("interval", "duration_range", "Range of the gap between events (or give "
          "rate_per_min); gaps under 0.1 s are refused.", low=0, high=DAY_S,
          layers=("event",)),
    Field("min_gap", "duration", "Rest after each event before the next may start.",
          default=0.0, low=0, high=DAY_S, layers=("event",)),
    Field("gain_db", "range", "Random level of each event, [low, high].",
          default=(0.0, 0.0), low=-80, high=24, unit="dB", layers=("event",)),
    Field("pan", "range", "Random stereo position of each event, [low, high].",
          default=(0.0, 0.0), low=-1, high=1, layers=("event",)),
    Field("distance", "range", "Random distance of each event, 0 near .. 1 far "
          "(quieter, duller, more reverb).", low=0, high=1, layers=("event",)),
)

TARGET_FIELDS = (
    Field("level_db", "number", "Level offset from the layer's gain_db.", low=-80, high=24,
          unit="dB"),
    Field("rate_per_min", "number", "Events per minute (event layers only).", low=0,
          high=MAX_EVENTS_PER_MIN, layers=("event",)),
)

PHASE_FIELDS = (
    Field("name", "string", "Phase name (shown by the player).", max_chars=MAX_NAME_CHARS),
    Field("duration", "duration", "How long the phase lasts.", required=True, low=1,
          high=7 * DAY_S),
    Field("ramp", "duration", "Time to reach the phase's targets (default: the duration, "
          f"at most {DEFAULT_RAMP_S:g} s).", low=0, high=7 * DAY_S),
    Field("layers", "targets", "Targets per layer: layers.NAME.level_db, "
          "layers.NAME.rate_per_min.", fields=TARGET_FIELDS),
)

SCENE_FIELDS = (
    Field("title", "string", "Title shown in lists and the player.",
          max_chars=MAX_TITLE_CHARS),
    Field("name", "string", "Older spelling of title.", max_chars=MAX_TITLE_CHARS),
    Field("description", "string", "One or two sentences about the scene.", default="",
          max_chars=MAX_TEXT_CHARS),
    Field("tags", "strings", "Keywords for search.", max_items=MAX_TAGS,
          max_chars=MAX_NAME_CHARS),
    Field("master", "table", "Output settings.", fields=MASTER_FIELDS),
    Field("generator", "table", "Generator settings for every layer.",
          fields=GENERATOR_FIELDS),
    Field("layers", "tables", "The layers: beds and events.", required=True,
          max_items=MAX_LAYERS, fields=LAYER_FIELDS),
    Field("phases", "tables", "The timeline: phases played in order.", max_items=MAX_PHASES,
          fields=PHASE_FIELDS),
)


def fields_for(fields: tuple[Field, ...], layer_type: str | None = None) -> dict[str, Field]:
    """``fields`` by name; for layer fields, those of ``layer_type`` (bed or event)."""
    return {f.name: f for f in fields if layer_type is None or layer_type in f.layers}


def recipe_names() -> tuple[str, ...]:
    from . import procedural

    return tuple(sorted(procedural.RECIPES))


def markdown_table(fields: tuple[Field, ...], layer_type: str | None = None) -> str:
    """A Markdown table of ``fields`` (key, type, default, range, meaning) for the docs;
    for layer fields, those of ``layer_type`` only when given."""
    rows = ["| key | type | default | range | meaning |", "|---|---|---|---|---|"]
    for f in fields:
        if layer_type is not None and layer_type not in f.layers:
            continue
        kind = {"number": "integer" if f.integer else "number",
                "duration_range": "[duration, duration]", "range": "[number, number]",
                "strings": "list of strings", "files": "path or list of paths",
                "tables": f"[[{f.name}]] tables", "targets": "table of tables",
                "choice": (" / ".join(map(str, f.choices)) if len(f.choices) <= 8
                           else "name")}.get(f.kind, f.kind)
        default = f.default
        if isinstance(default, bool):
            default = str(default).lower()
        elif isinstance(default, tuple):
            default = "[" + ", ".join(f"{v:g}" for v in default) + "]"
        elif default is None or default == "":
            default = "required" if f.required else "-"
        suffix = "s" if f.kind in ("duration", "duration_range") else ""
        limits = span(f, suffix) if f.low is not None or f.high is not None else ""
        if f.max_chars is not None and f.kind in ("string", "strings", "files"):
            limits = f"at most {f.max_chars} characters"
        if f.unit:
            limits = f"{limits} {f.unit}".strip()
        only = f" ({' and '.join(f.layers)} only)" if layer_type is None and len(
            f.layers) == 1 else ""
        rows.append(f"| `{f.name}` | {kind} | {default} | {limits} | {f.doc}{only} |")
    return "\n".join(rows) + "\n"


# -- JSON Schema ---------------------------------------------------------------------
def _describe(f: Field) -> str:
    parts = [f.doc]
    if f.kind in ("number", "range") and (f.low is not None or f.high is not None):
        parts.append(f"Range {span(f)}{' ' + f.unit if f.unit else ''}.")
    elif f.kind in ("duration", "duration_range"):
        parts.append(f"Range {span(f, 's')}; {DURATION_HELP}.")
    elif f.unit:
        parts.append(f"Unit: {f.unit}.")
    if f.default is not None and f.default != "":
        default = f.default
        if isinstance(default, bool):
            default = str(default).lower()
        elif isinstance(default, tuple):
            default = "[" + ", ".join(f"{v:g}" for v in default) + "]"
        parts.append(f"Default: {default}.")
    if f.required:
        parts.append("Required.")
    return " ".join(parts)


def _number(f: Field) -> dict[str, Any]:
    out: dict[str, Any] = {"type": "integer" if f.integer else "number"}
    if f.low is not None:
        out["minimum"] = f.low
    if f.high is not None:
        out["maximum"] = f.high
    return out


def _duration(f: Field) -> dict[str, Any]:
    return {"anyOf": [_number(f), {"type": "string", "pattern": DURATION_PATTERN}]}


def _string_schema(f: Field, layer_type: str | None) -> dict[str, Any]:
    out: dict[str, Any] = {"type": "string"}
    if f.max_chars is not None:
        out["maxLength"] = f.max_chars
    if f.pattern:
        out["pattern"] = f.pattern
    if f.one_line:
        out["pattern"] = LINE_PATTERN
    if f.required or f.one_line:
        out["minLength"] = 1
    return out


def _choice_schema(f: Field, layer_type: str | None) -> dict[str, Any]:
    if f.name != "recipe":
        return {"enum": list(f.choices)}
    choices = f.choices or recipe_names()  # the recipes: known only once loaded
    if layer_type is not None:
        from . import procedural

        choices = tuple(n for n in choices if procedural.RECIPES[n].kind == layer_type)
    return {"enum": list(choices)}


def _range_schema(f: Field, layer_type: str | None) -> dict[str, Any]:
    item = _number(f) if f.kind == "range" else _duration(f)
    return {"anyOf": [item, {"type": "array", "items": item, "minItems": 2, "maxItems": 2}]}


def _tables_schema(f: Field, layer_type: str | None) -> dict[str, Any]:
    item = _layer_schema() if f.name == "layers" else _table_schema(f.fields)
    out: dict[str, Any] = {"type": "array", "items": item}
    if f.required:
        out["minItems"] = 1
    if f.max_items is not None:
        out["maxItems"] = f.max_items
    return out


def _list_schema(f: Field, layer_type: str | None) -> dict[str, Any]:
    """``files`` (a path or a list of paths) and ``strings`` (a list of strings)."""
    item: dict[str, Any] = {"type": "string", "maxLength": f.max_chars}
    if f.kind == "files":
        item["minLength"] = 1
    array = {"type": "array", "items": item, "maxItems": f.max_items}
    return {"anyOf": [item, array]} if f.kind == "files" else array


def _targets_schema(f: Field, layer_type: str | None) -> dict[str, Any]:
    return {"type": "object",
            "propertyNames": {"maxLength": MAX_NAME_CHARS, "pattern": NAME_PATTERN},
            "additionalProperties": _table_schema(f.fields)}


# field kind -> the schema of its value (without the description)
_SCHEMAS: dict[str, Callable[[Field, str | None], dict[str, Any]]] = {
    "string": _string_schema,
    "number": lambda f, _: _number(f),
    "bool": lambda f, _: {"type": "boolean"},
    "choice": _choice_schema,
    "duration": lambda f, _: _duration(f),
    "range": _range_schema,
    "duration_range": _range_schema,
    "table": lambda f, _: _table_schema(f.fields),
    "tables": _tables_schema,
    "files": _list_schema,
    "strings": _list_schema,
    "params": lambda f, _: {"type": "object"},
    "targets": _targets_schema,
}


def _field_schema(f: Field, layer_type: str | None = None) -> dict[str, Any]:
    """The schema of one field's value (its description included); ``layer_type``
    narrows the recipe choices of a layer to that type's recipes."""
    make = _SCHEMAS.get(f.kind)
    if make is None:  # pragma: no cover - a field kind without a schema is a bug here
        raise ValueError(f"no schema for field kind {f.kind!r}")
    return {"description": _describe(f), **make(f, layer_type)}


def _table_schema(fields: tuple[Field, ...]) -> dict[str, Any]:
    out: dict[str, Any] = {
        "type": "object",
        "properties": {f.name: _field_schema(f) for f in fields},
        "additionalProperties": False,
    }
    required = [f.name for f in fields if f.required]
    if required:
        out["required"] = required
    return out


def _param_schema(spec: Any) -> dict[str, Any]:
    """The schema of one recipe parameter (a procedural ParamSpec)."""
    if spec.choices is not None:
        return {"description": f"{spec.doc}. Default: {spec.default}.",
                "enum": list(spec.choices)}
    field = Field("", "number", spec.doc, default=spec.default, low=spec.low, high=spec.high)
    return {"description": f"{spec.doc}. Range {span(field)}; default: {spec.default:g}.",
            **_number(field)}


def _layer_schema() -> dict[str, Any]:
    """A layer: every key described (for completion), narrowed by type and recipe."""
    from . import procedural

    properties: dict[str, Any] = {}
    for f in LAYER_FIELDS:
        schema = _field_schema(f)
        if f.name in properties:  # gain_db, pan: a number (bed) or a range (event)
            first = properties[f.name]
            schema = {"description": f"Bed: {first['description']} Event: "
                                     f"{schema['description']}",
                      "anyOf": [{k: v for k, v in first.items() if k != "description"},
                                {k: v for k, v in schema.items() if k != "description"}]}
        properties[f.name] = schema
    by_type = []
    for layer_type in LAYER_TYPES:
        own = fields_for(LAYER_FIELDS, layer_type)
        then: dict[str, Any] = {
            "properties": {name: _field_schema(f, layer_type) for name, f in own.items()},
            "propertyNames": {"enum": list(own)},
        }
        if layer_type == "bed":
            then["anyOf"] = [{"required": [k]} for k in ("recipe", "files", "prompt")]
        else:  # an event: rate_per_min or interval, not both; and a source
            then["allOf"] = [
                {"anyOf": [{"required": [k]} for k in ("recipe", "files", "prompt")]},
                {"oneOf": [{"required": ["rate_per_min"]}, {"required": ["interval"]}]},
            ]
        by_type.append({"if": {"properties": {"type": {"const": layer_type}},
                               "required": ["type"]}, "then": then})
    by_recipe = []
    for name, recipe in sorted(procedural.RECIPES.items()):
        params = {key: _param_schema(spec) for key, spec in recipe.params.items()}
        by_recipe.append({
            "if": {"properties": {"recipe": {"const": name}}, "required": ["recipe"]},
            "then": {"properties": {"params": {
                "description": f"Parameters of the {recipe.kind} recipe {name!r}.",
                "type": "object", "properties": params, "additionalProperties": False,
            }}},
        })
    return {
        "type": "object",
        "required": [f.name for f in LAYER_FIELDS if f.required],
        "properties": properties,
        "additionalProperties": False,
        "dependencies": {"params": ["recipe"]},
        "allOf": by_type + by_recipe,
    }


def json_schema() -> dict[str, Any]:
    """The JSON Schema (draft-07) of a scene file, as parsed from TOML.

    Made from the field tables above; ``soundscape schema`` prints it, and
    ``scenes/scene.schema.json`` is this, written by :func:`schema_text`.
    """
    top = _table_schema(SCENE_FIELDS)
    return {
        "$schema": "http://json-schema.org/draft-07/schema#",
        "title": "soundscape scene",
        "description": "A soundscape scene file (scenes/*.toml): layered beds and events "
                       "and a timeline of phases. Made by `soundscape schema`.",
        **top,
    }


def schema_text() -> str:
    """:func:`json_schema` as the JSON text that ``soundscape schema`` writes."""
    import json

    return json.dumps(json_schema(), indent=2, ensure_ascii=False) + "\n"
