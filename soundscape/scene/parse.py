"""The per-table rules: parsed TOML data -> a :class:`~soundscape.scene.model.Scene`,
or one :class:`~soundscape.errors.SceneError` listing every problem.

Each table has its parser (``[master]``, ``[generator]``, a layer, a phase), built on
the value checks of :class:`~soundscape.scene.check.Checker`; :func:`parse_scene`
runs them in file order and adds the rules that span tables (unique layer names, a
bed's crossfade under half the segment, phase targets naming layers). The fields and
their defaults are the tables of :mod:`soundscape.scenefields`; nothing is restated
here. Messages do not cascade: a rule is checked only when the keys it needs are good.
"""

from __future__ import annotations

import errno
import re
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import Problem, SceneError
from ..scenefields import (
    DEFAULT_RAMP_S,
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
    MAX_TAGS,
    MIN_INTERVAL_S,
    PHASE_FIELDS,
    SCENE_FIELDS,
    TARGET_FIELDS,
    Field,
    fields_for,
)
from .check import MAX_PROBLEMS, NAME, Checker, short_path, suggest
from .lines import key_lines, line_of, quote, where
from .model import (
    BREATHING_DEFAULTS,
    MASTER_DEFAULTS,
    Bed,
    Breathing,
    Event,
    Layer,
    Master,
    Phase,
    Scene,
)

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

_LAYER = {layer_type: fields_for(LAYER_FIELDS, layer_type) for layer_type in LAYER_TYPES}
_MASTER = fields_for(MASTER_FIELDS)
_GENERATOR = fields_for(GENERATOR_FIELDS)
_PHASE = fields_for(PHASE_FIELDS)
_SCENE = fields_for(SCENE_FIELDS)


def _fmt(value: float | None) -> str:
    return "" if value is None else f"{value:g}"


def _other_type(kind: str) -> dict[str, str]:
    """Keys of the other layer type, with a note: 'rate_per_min' is for event layers."""
    other = "event" if kind == "bed" else "bed"
    article = "an" if kind == "event" else "a"
    return {name: f"is for {other} layers; this layer is {article} {kind}"
            for name in _LAYER[other] if name not in _LAYER[kind]}


def parse_table(c: Checker, raw: Any, path: str, fields: dict[str, Field]) -> dict[str, Any]:
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


def parse_master(c: Checker, raw: Any) -> Master:
    """``[master]``: the table's defaults overlaid with the good values given."""
    given = parse_table(c, raw, "master", _MASTER)
    values: dict[str, Any] = {**MASTER_DEFAULTS, **given}
    for name, default in MASTER_DEFAULTS.items():
        if isinstance(default, float):  # an integer given where the field is a float
            values[name] = float(values[name])
    return Master(**values)


def parse_params(c: Checker, params: dict[str, Any], recipe: str, path: str) -> None:
    """Check ``params`` against the parameters of ``recipe`` (a known recipe)."""
    from .. import procedural

    specs = procedural.RECIPES[recipe].params
    for name, value in params.items():
        at = where(path, name)
        spec = specs.get(name)
        if spec is None:
            known = ", ".join(sorted(specs)) or "none"
            hint = suggest(name, specs, allowed=False) or f" (known: {known})"
            c.problem(at, f"unknown param {quote(name)} for recipe {quote(recipe)}{hint}",
                      at=path)
        elif spec.choices is not None:
            if not isinstance(value, str) or value not in spec.choices:
                hint = suggest(value, spec.choices, allowed=False)
                c.problem(at, f"{quote(value)} is not one of "
                              f"{', '.join(spec.choices)}{hint}")
        else:
            c.value(params, Field(name, "number", spec.doc, low=spec.low, high=spec.high),
                    path)


def parse_recipe(c: Checker, value: Any, kind: str, at: str) -> str | None:
    """The recipe name if it is a known recipe for a ``kind`` layer; else None."""
    from .. import procedural

    if not isinstance(value, str):
        c.problem(at, f"{quote(value)} is not a string")
        return None
    known = procedural.RECIPES.get(value)
    if known is None:
        hint = suggest(value, procedural.RECIPES, allowed=False)
        c.problem(at, f"unknown recipe {quote(value)}{hint or ' (see soundscape recipes)'}")
        return None
    if known.kind != kind:
        article = "an" if kind == "event" else "a"
        c.problem(at, f"{quote(value)} is a {known.kind} recipe, but this layer is "
                      f"{article} {kind}")
    return value


def layer_file(c: Checker, item: Any, at: str, base: Path) -> Path | None:
    """The path of one ``files`` entry (``~`` expanded, relative to ``base``) if it
    names an existing file; else None, with the problem noted."""
    if not isinstance(item, str):
        c.problem(at, f"{quote(item)} is not a path")
        return None
    if not item.strip() or len(item) > MAX_PATH_CHARS or "\0" in item:
        c.problem(at, f"{quote(item)} is not a usable path (empty, over "
                      f"{MAX_PATH_CHARS} characters, or holding a NUL)")
        return None
    try:
        given = Path(item).expanduser()
    except RuntimeError as exc:  # ~user with no such user
        c.problem(at, f"{quote(item)}: cannot expand '~' ({exc})")
        return None
    file = given if given.is_absolute() else base / given
    if file.suffix.lower() in NOT_AUDIO_EXTENSIONS:
        c.problem(at, f"{quote(item)} is not an audio file (any format ffmpeg reads: "
                      f"{', '.join(AUDIO_EXTENSIONS[:12])}, ...)")
        return None
    try:
        mode = file.stat().st_mode
    except OSError as exc:
        if exc.errno in (errno.ENOENT, errno.ENOTDIR):
            c.problem(at, f"{quote(item)} does not exist (looked for {short_path(file)})")
        else:  # ENAMETOOLONG, EACCES, ELOOP...
            c.problem(at, f"{quote(item)} cannot be read: {exc.strerror or exc}")
        return None
    if not stat.S_ISREG(mode):
        c.problem(at, f"{quote(item)} is not a file (looked for {short_path(file)})")
        return None
    return file


# -- layers ----------------------------------------------------------------------------
def _layer_source(c: Checker, raw: dict[str, Any], kind: str, path: str, base: Path
                  ) -> dict[str, Any]:
    """Where a layer's sound comes from: prompt, recipe and params, files."""
    fields = _LAYER[kind]
    recipe = None
    if "recipe" in raw:
        recipe = parse_recipe(c, raw["recipe"], kind, f"{path}.recipe")
    params = raw.get("params", {})
    if not isinstance(params, dict):
        c.problem(f"{path}.params", f"{quote(params)} is not a table")
        params = {}
    elif "params" in raw and "recipe" not in raw:
        c.problem(f"{path}.params", "params given without a recipe")
    elif recipe is not None:
        parse_params(c, params, recipe, f"{path}.params")
    files = _layer_files(c, raw.get("files", []), path, base)
    if "prompt" not in raw and "recipe" not in raw and not raw.get("files"):
        c.problem(path, "needs a source: 'recipe', 'files' or 'prompt'")
    return {"prompt": c.value(raw, fields["prompt"], path), "recipe": recipe,
            "params": dict(params), "files": files}


def _layer_files(c: Checker, raw_files: Any, path: str, base: Path) -> tuple[Path, ...]:
    """The ``files`` of a layer: one path or a list, each an existing file."""
    if isinstance(raw_files, str):
        raw_files = [raw_files]
    if not isinstance(raw_files, list):
        c.problem(f"{path}.files", f"{quote(raw_files)} is not a list of paths")
        raw_files = []
    if len(raw_files) > MAX_FILES:
        c.problem(f"{path}.files", f"{len(raw_files)} files; a layer takes at most {MAX_FILES}")
        raw_files = raw_files[:MAX_FILES]
    return tuple(f for i, item in enumerate(raw_files)
                 if (f := layer_file(c, item, f"{path}.files[{i}]", base)) is not None)


def _layer_sound(c: Checker, raw: dict[str, Any], kind: str, path: str) -> dict[str, Any]:
    """How a layer's sound is shaped whatever its type: variants, filters, generator."""
    fields = _LAYER[kind]
    variants = c.value(raw, fields["variants"], path)
    lowcut = c.value(raw, fields["lowcut_hz"], path)
    highcut = c.value(raw, fields["highcut_hz"], path)
    if lowcut is not None and highcut is not None and lowcut >= highcut:
        c.problem(f"{path}.lowcut_hz", f"{_fmt(lowcut)} is not below highcut_hz "
                                       f"{_fmt(highcut)}")
    generator = {}
    if "generator" in raw:
        generator = parse_table(c, raw["generator"], f"{path}.generator", _GENERATOR)
    return {"variants": int(fields["variants"].default if variants is None else variants),
            "lowcut_hz": lowcut, "highcut_hz": highcut, "generator": generator}


def _given(c: Checker, raw: dict[str, Any], f: Field, path: str) -> Any:
    """The good value of ``f`` in ``raw``, or the field's default."""
    value = c.value(raw, f, path)
    return f.default if value is None else value


def _bed(c: Checker, raw: dict[str, Any], path: str, common: dict[str, Any]) -> Bed:
    fields = _LAYER["bed"]
    breathing = None
    if "breathing" in raw:
        values = {**BREATHING_DEFAULTS, **parse_table(c, raw["breathing"], f"{path}.breathing",
                                                      fields_for(fields["breathing"].fields))}
        breathing = Breathing(float(values["depth_db"]), tuple(values["period"]))
    return Bed(**common, gain_db=float(_given(c, raw, fields["gain_db"], path)),
               pan=float(_given(c, raw, fields["pan"], path)),
               width=float(_given(c, raw, fields["width"], path)),
               crossfade=float(_given(c, raw, fields["crossfade"], path)),
               breathing=breathing)


def _event(c: Checker, raw: dict[str, Any], path: str, common: dict[str, Any]) -> Event:
    fields = _LAYER["event"]
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
                 min_gap=float(_given(c, raw, fields["min_gap"], path)),
                 gain_db=_given(c, raw, fields["gain_db"], path),
                 pan=_given(c, raw, fields["pan"], path),
                 distance=c.value(raw, fields["distance"], path))


def parse_layer(c: Checker, raw: Any, index: int, base: Path) -> Layer | None:
    """Layer ``index`` (``files`` relative to ``base``); None when it is not a table or
    its type is bad (its other keys depend on the type: nothing more is said)."""
    path = f"layers[{index}]"
    if not isinstance(raw, dict):
        c.problem(path, f"{quote(raw)} is not a table")
        return None
    kind = c.value(raw, _LAYER["bed"]["type"], path)
    if kind is None:
        return None
    c.unknown_keys(raw, path, _LAYER[kind], _other_type(kind))
    name = c.value(raw, _LAYER[kind]["name"], path)
    common: dict[str, Any] = {"name": name if name is not None else f"#{index}",
                              "index": index,
                              "label": c.value(raw, _LAYER[kind]["label"], path),
                              "icon": c.value(raw, _LAYER[kind]["icon"], path),
                              **_layer_source(c, raw, kind, path, base),
                              **_layer_sound(c, raw, kind, path)}
    return _bed(c, raw, path, common) if kind == "bed" else _event(c, raw, path, common)


# -- phases ----------------------------------------------------------------------------
def _targets(c: Checker, raw_layers: Any, path: str, layers: dict[str, Layer],
             raw_names: set[str]) -> dict[str, dict[str, float]]:
    """A phase's ``layers`` table: layer name -> parameter -> target value."""
    targets: dict[str, dict[str, float]] = {}
    if not isinstance(raw_layers, dict):
        c.problem(f"{path}.layers", f"{quote(raw_layers)} is not a table")
        return targets
    for lname, values in raw_layers.items():
        lpath = where(f"{path}.layers", lname)
        layer = layers.get(lname)
        if layer is None:
            if lname not in raw_names:
                hint = suggest(lname, raw_names, allowed=False)
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
    return targets


def parse_phase(c: Checker, raw: Any, index: int, layers: dict[str, Layer],
                raw_names: set[str]) -> Phase | None:
    """Phase ``index``; ``layers`` are the valid layers, ``raw_names`` every name a
    layer table gives (targets of an invalid layer are not reported again). None
    when it is not a table or has no good duration (a problem is noted)."""
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
    targets = _targets(c, raw.get("layers", {}), path, layers, raw_names)
    if duration is None:  # required: noted as missing or bad
        return None
    if ramp is None:
        ramp = min(DEFAULT_RAMP_S, duration)
    return Phase(str(name), float(duration), float(ramp), targets)


# -- the scene -------------------------------------------------------------------------
@dataclass(frozen=True)
class _Head:
    title: str | None
    description: str
    tags: tuple[str, ...]


def _head(c: Checker, data: dict[str, Any]) -> _Head:
    """The scene's own keys: title (or the older name), description, tags."""
    c.unknown_keys(data, "", _SCENE)
    title = c.value(data, _SCENE["title"], "")
    old_title = c.value(data, _SCENE["name"], "")
    description = c.value(data, _SCENE["description"], "")
    tags = data.get("tags", [])
    if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
        c.problem("tags", f"{quote(tags)} is not a list of strings")
        tags = []
    elif len(tags) > MAX_TAGS or any(len(t) > MAX_NAME_CHARS for t in tags):
        c.problem("tags", f"{quote(tags)}: at most {MAX_TAGS} tags of at most "
                          f"{MAX_NAME_CHARS} characters")
        tags = []
    return _Head(title or old_title,
                 description or _SCENE["description"].default, tuple(tags))


def _tables(c: Checker, data: dict[str, Any], key: str, most: int,
            required: bool = False) -> list[Any]:
    """The ``[[key]]`` tables of the scene, at most ``most`` of them checked."""
    raw = data.get(key)
    if key in data and not isinstance(raw, list):
        c.problem(key, f"{quote(raw)} is not a list of [[{key}]] tables")
        return []
    if not raw:
        if required:
            c.problem(key, f"a scene needs at least one [[{key}]] table")
        return []
    if len(raw) > most:
        c.problem(key, f"{len(raw)} {key}; a scene has at most {most} "
                       f"(only the first {most} were checked)")
        return raw[:most]
    return raw


def _layers(c: Checker, raw_layers: list[Any], base: Path) -> list[Layer]:
    """Every good layer, names unique (a repeated name is reported, its layer dropped)."""
    layers: list[Layer] = []
    seen: dict[str, int] = {}
    for i, raw in enumerate(raw_layers):
        layer = parse_layer(c, raw, i, base)
        if layer is None:
            continue
        if layer.name in seen:
            c.problem(f"layers[{i}].name",
                      f"{quote(layer.name)} is already used by layers[{seen[layer.name]}]")
            continue
        seen[layer.name] = i
        layers.append(layer)
    return layers


def _crossfades(c: Checker, layers: list[Layer], master: Master) -> None:
    """A bed's crossfade must be under half the segment (when both are good)."""
    bad = {found[0] for found in c.found}
    if "master.segment_seconds" in bad:  # reported already
        return
    for layer in layers:
        at = f"layers[{layer.index}].crossfade"
        if (isinstance(layer, Bed) and at not in bad
                and layer.crossfade * 2 >= master.segment_seconds):
            c.problem(at, f"{layer.crossfade:g}s must be under half of "
                          f"master.segment_seconds ({master.segment_seconds:g}s)")


def parse_scene(data: dict[str, Any], path: Path, text: str | None = None) -> Scene:
    """Validate parsed TOML ``data`` of the file at ``path``; raises SceneError.

    ``text``, the file's text, gives the problems their line numbers.
    """
    c = Checker()
    head = _head(c, data)
    master = parse_master(c, data.get("master", {}))
    generator = {}
    if "generator" in data:
        generator = parse_table(c, data["generator"], "generator", _GENERATOR)
    raw_layers = _tables(c, data, "layers", MAX_LAYERS, required=True)
    layers = _layers(c, raw_layers, path.parent)
    _crossfades(c, layers, master)
    raw_names = {r["name"] for r in raw_layers
                 if isinstance(r, dict) and isinstance(r.get("name"), str)}
    raw_phases = _tables(c, data, "phases", MAX_PHASES)
    by_name = {layer.name: layer for layer in layers}
    phases = [p for i, raw in enumerate(raw_phases)
              if (p := parse_phase(c, raw, i, by_name, raw_names)) is not None]
    if c.found:
        raise SceneError(short_path(path), problems(c, raw_layers, raw_phases, text))
    return Scene(path=path, name=path.stem, title=head.title or path.stem,
                 description=head.description, tags=head.tags, master=master,
                 layers=tuple(layers), phases=tuple(phases), generator=generator)


_INDEXED = re.compile(r"(layers|phases)\[(\d+)\]")


def problems(c: Checker, raw_layers: list[Any], raw_phases: list[Any], text: str | None
             ) -> list[Problem]:
    """The checker's findings as Problems: line numbers, layers and phases named."""
    names: dict[tuple[str, int], str] = {}
    for table, items in (("layers", raw_layers), ("phases", raw_phases)):
        for i, raw in enumerate(items):
            name = raw.get("name") if isinstance(raw, dict) else None
            if (isinstance(name, str) and 0 < len(name) <= MAX_NAME_CHARS
                    and name.isprintable() and '"' not in name
                    and (table == "phases" or NAME.fullmatch(name))):
                names[(table, i)] = name  # a layer's only when valid; a phase's may hold spaces

    def label(path: str) -> str:
        match = _INDEXED.match(path)
        if match is None:
            return path
        name = names.get((match.group(1), int(match.group(2))))
        return path if name is None else f'{match.group(0)} "{name}"{path[match.end():]}'

    lines = key_lines(text) if text is not None else {}
    out = [Problem(path, line_of(lines, path), message, label(path if at is None else at))
           for path, message, at in c.found[:MAX_PROBLEMS]]
    out.sort(key=lambda p: (p.line is None, p.line or 0))  # in file order; stable
    if len(c.found) > MAX_PROBLEMS:
        out.append(Problem("", None, f"... and {len(c.found) - MAX_PROBLEMS} more problems"))
    return out
