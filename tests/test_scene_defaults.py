"""Every default of the scene model is its field's default in soundscape/scenefields.py.

The field table is the one place a default is stated; the dataclasses, the parser's
fallbacks, the JSON Schema and the docs read it. These tests fail if a default is
restated anywhere and drifts.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest

from soundscape.scene import Bed, Breathing, Event, Master, scene_from_text
from soundscape.scenefields import (
    BREATHING_FIELDS,
    DEFAULT_RAMP_S,
    LAYER_FIELDS,
    MASTER_FIELDS,
    Field,
    fields_for,
)

MODELS: list[tuple[type, dict[str, Field]]] = [
    (Master, fields_for(MASTER_FIELDS)),
    (Breathing, fields_for(BREATHING_FIELDS)),
    (Bed, fields_for(LAYER_FIELDS, "bed")),
    (Event, fields_for(LAYER_FIELDS, "event")),
]


def _default(f: dataclasses.Field) -> Any:
    if f.default is not dataclasses.MISSING:
        return f.default
    if f.default_factory is not dataclasses.MISSING:
        return f.default_factory()
    return dataclasses.MISSING


@pytest.mark.parametrize(("model", "fields"), MODELS, ids=lambda x: getattr(x, "__name__", ""))
def test_every_dataclass_default_is_its_fields_default(model: type,
                                                       fields: dict[str, Field]) -> None:
    checked = 0
    for f in dataclasses.fields(model):
        default = _default(f)
        if default is dataclasses.MISSING:
            continue
        assert f.name in fields, f"{model.__name__}.{f.name} has a default but no Field"
        assert default == fields[f.name].default, f"{model.__name__}.{f.name}"
        assert type(default) is type(fields[f.name].default), f"{model.__name__}.{f.name}"
        checked += 1
    assert checked >= 2


@pytest.mark.parametrize(("model", "fields"), MODELS, ids=lambda x: getattr(x, "__name__", ""))
def test_every_field_default_reaches_the_model(model: type, fields: dict[str, Field]) -> None:
    """A field with a default is a dataclass field with that default (Layer's own
    fields, such as variants, have none in the dataclass: the parser fills them)."""
    own = {f.name: f for f in dataclasses.fields(model)}
    for name, field in fields.items():
        if field.default is None or name not in own:
            continue
        if _default(own[name]) is dataclasses.MISSING:
            continue  # a Layer field without a dataclass default: see the next test
        assert _default(own[name]) == field.default, f"{model.__name__}.{name}"


def scene(text: str, tmp: Path) -> Any:
    return scene_from_text(text, tmp / "s.toml")


def test_a_scene_that_gives_nothing_gets_the_table_defaults(tmp_path: Path) -> None:
    s = scene("""
[[layers]]
name = "b"
type = "bed"
recipe = "noise"
breathing = {}

[[layers]]
name = "e"
type = "event"
recipe = "drip"
rate_per_min = 1

[[phases]]
duration = "5m"

[[phases]]
duration = "10s"
""", tmp_path)
    layer_fields = {f.name: f for f in LAYER_FIELDS}
    master = fields_for(MASTER_FIELDS)
    for name, f in master.items():
        assert getattr(s.master, name) == f.default, name
    bed, event = s.layers
    assert isinstance(bed, Bed) and isinstance(event, Event)
    assert bed.variants == event.variants == layer_fields["variants"].default == 6
    for name, f in fields_for(LAYER_FIELDS, "bed").items():
        if f.default is not None:
            assert getattr(bed, name) == f.default, name
    for name, f in fields_for(LAYER_FIELDS, "event").items():
        if f.default is not None:
            assert getattr(event, name) == f.default, name
    breathing = fields_for(BREATHING_FIELDS)
    assert bed.breathing == Breathing(breathing["depth_db"].default,
                                      breathing["period"].default) == Breathing()
    assert bed.breathing.period == (20.0, 60.0) and bed.breathing.depth_db == 3.0
    # a phase without ramp reaches its targets after min(DEFAULT_RAMP_S, duration)
    assert [p.ramp for p in s.phases] == [DEFAULT_RAMP_S, 10.0]
    assert s.description == ""


def test_given_values_overlay_the_defaults(tmp_path: Path) -> None:
    s = scene("""
[master]
seed = 7
loudness_lufs = -20

[[layers]]
name = "b"
type = "bed"
recipe = "noise"
breathing = { depth_db = 5 }
""", tmp_path)
    assert s.master.seed == 7 and s.master.loudness_lufs == -20.0
    assert isinstance(s.master.loudness_lufs, float)
    assert s.master.sample_rate == fields_for(MASTER_FIELDS)["sample_rate"].default
    bed = s.layers[0]
    assert isinstance(bed, Bed) and bed.breathing is not None
    assert bed.breathing.depth_db == 5.0
    assert bed.breathing.period == fields_for(BREATHING_FIELDS)["period"].default
