"""A layer's label and icon: the fields (validator and schema agree), the names and
pictures derived when a file gives none, and the shipped scenes' own."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from soundscape import procedural
from soundscape.errors import SceneError
from soundscape.scene import ICONS, layer_icon, layer_label, load_scene, parse_scene
from soundscape.scene.labels import RECIPE_FACES, icon_of_text
from soundscape.scenefields import MAX_LABEL_CHARS, json_schema
from soundscape.server.hub import layer_info, scene_info

SCENES = Path(__file__).resolve().parent.parent / "scenes"
SHIPPED = sorted(SCENES.glob("*.toml"))
SCHEMA = jsonschema.Draft7Validator(json_schema())
CONTROL = {chr(c) for c in (*range(0x20), 0x7F)}


def _layer(**more: Any) -> dict[str, Any]:
    return {"name": "rain", "type": "bed", "recipe": "rain", **more}


def _parse(layer: dict[str, Any]) -> Any:
    return parse_scene({"layers": [layer]}, Path("scenes/x.toml"))


def _problems(layer: dict[str, Any]) -> list[str]:
    try:
        _parse(layer)
    except SceneError as exc:
        return [f"{p.label}: {p.message}" for p in exc.issues]
    return []


# -- the fields ------------------------------------------------------------------------
def test_a_layer_keeps_the_label_and_icon_its_file_gives() -> None:
    layer = _parse(_layer(label="Rain on the roof", icon="rain")).layers[0]
    assert (layer.label, layer.icon) == ("Rain on the roof", "rain")
    assert (layer_label(layer), layer_icon(layer)) == ("Rain on the roof", "rain")
    event = _parse({"name": "t", "type": "event", "recipe": "thunder", "rate_per_min": 1,
                    "label": "Far thunder", "icon": "thunder"}).layers[0]
    assert (event.label, event.icon) == ("Far thunder", "thunder")


@pytest.mark.parametrize(("given_", "expected"), [
    ({"icon": "dragon"}, 'layers[0] "rain".icon: \'dragon\' is not an icon'),
    ({"icon": "Rain"}, "is not an icon (did you mean 'rain'?); choose one of rain, wind,"),
    ({"icon": 3}, "layers[0] \"rain\".icon: 3 is not an icon"),
    ({"label": ""}, 'layers[0] "rain".label: must not be empty'),
    ({"label": "   "}, "layers[0] \"rain\".label: '   ' is empty"),
    ({"label": "x" * 41}, "is 41 characters long (at most 40)"),
    ({"label": "Rain\non the roof"}, "must be one line of text"),
    ({"label": "Rain\ton the roof"}, "must be one line of text"),
    ({"label": 5}, 'layers[0] "rain".label: 5 is not a string'),
    ({"label": ["Rain"]}, "['Rain'] is not a string"),
])
def test_a_bad_label_or_icon_is_one_line_naming_the_layer_and_value(given_: dict[str, Any],
                                                                   expected: str) -> None:
    found = _problems(_layer(**given_))
    assert len(found) == 1 and expected in found[0], found
    data = {"layers": [_layer(**given_)]}
    assert not SCHEMA.is_valid(data)  # the schema refuses it too


def test_a_bad_icon_in_a_file_names_the_file_line_and_choices(tmp_path: Path) -> None:
    path = tmp_path / "x.toml"
    path.write_text('[[layers]]\nname = "rain"\ntype = "bed"\nrecipe = "rain"\n'
                    'icon = "dragon"\n')
    with pytest.raises(SceneError) as caught:
        load_scene(path)
    text = str(caught.value)
    assert f"{path}:5: layers[0] \"rain\".icon: 'dragon' is not an icon" in text
    assert "choose one of " + ", ".join(ICONS) in text


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=60))
@example("0\n")  # a final newline: Python's "$" matched before it (the schema took it)
@example("Rain\r")
def test_any_label_the_validator_takes_the_schema_takes_and_none_else(label: str) -> None:
    good = (0 < len(label) <= MAX_LABEL_CHARS and bool(label.strip())
            and not CONTROL & set(label))
    found = _problems(_layer(label=label))
    assert (not found) == good, (label, found)
    assert SCHEMA.is_valid({"layers": [_layer(label=label)]}) == good
    if good:
        assert layer_label(_parse(_layer(label=label)).layers[0]) == label


@settings(max_examples=100, deadline=None)
@given(st.one_of(st.sampled_from(ICONS), st.text(max_size=12), st.integers()))
def test_an_icon_is_one_of_the_icons(icon: Any) -> None:
    good = isinstance(icon, str) and icon in ICONS
    assert (not _problems(_layer(icon=icon))) == good
    assert SCHEMA.is_valid({"layers": [_layer(icon=icon)]}) == good


# -- derived ---------------------------------------------------------------------------
def test_every_recipe_has_an_icon_and_a_friendly_name() -> None:
    assert set(RECIPE_FACES) == set(procedural.RECIPES)
    for recipe, (icon, name) in RECIPE_FACES.items():
        assert icon in ICONS, recipe
        assert 0 < len(name) <= MAX_LABEL_CHARS and name[0].isupper(), recipe


@pytest.mark.parametrize(("layer", "label", "icon"), [
    (_layer(name="rain-outside"), "Rain outside", "rain"),
    (_layer(name="window_wind", recipe="wind"), "Window wind", "wind"),
    (_layer(name="l1", recipe="crackle", type="event", rate_per_min=1), "Crackling fire",
     "fire"),
    ({"name": "x2", "type": "bed", "prompt": "an owl hooting far off, at night"},
     "An owl hooting far off", "bird"),
    ({"name": "owl", "type": "bed", "prompt": "something"}, "Owl", "bird"),
    ({"name": "b7", "type": "bed", "prompt": "crickets chirping, then frogs"}, "Crickets chirping",
     "cricket"),
    ({"name": "a", "type": "bed", "prompt": "!!!"}, "Sound 1", "noise"),
    ({"name": "s", "type": "bed", "prompt": "a very long prompt about a gentle breeze that goes "
                                            "on and on over the hills"},
     "A very long prompt about a gentle breeze", "wind"),
])
def test_labels_and_icons_are_derived_when_a_file_gives_none(layer: dict[str, Any], label: str,
                                                             icon: str) -> None:
    parsed = _parse(layer).layers[0]
    assert parsed.label is None and parsed.icon is None
    assert (layer_label(parsed), layer_icon(parsed)) == (label, icon)


def test_icons_from_words() -> None:
    assert icon_of_text("light rain on a cafe window") == "rain"
    assert icon_of_text("a spoon clinking in a china cup") == "cup"
    assert icon_of_text("crackling logs") == "fire"
    assert icon_of_text("leaves rustling") == "leaves"
    assert icon_of_text("chimes") == "chimes"
    assert icon_of_text("inside a train carriage") == "train"  # not 'car'
    assert icon_of_text("zzz 123") is None


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_derived_labels_of_every_shipped_layer_are_words_not_ids(path: Path) -> None:
    for layer in load_scene(path).layers:
        bare = dataclasses.replace(layer, label=None, icon=None)
        label = layer_label(bare)
        assert label and label != layer.name and len(label) <= MAX_LABEL_CHARS, label
        assert "-" not in label and "_" not in label and label[0].isupper(), label
        assert layer_icon(bare) in ICONS


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_every_shipped_layer_gives_its_own_label_and_icon(path: Path) -> None:
    scene = load_scene(path)
    labels = [layer.label for layer in scene.layers]
    assert all(labels) and len(set(labels)) == len(labels), labels  # each its own
    for layer in scene.layers:
        assert layer.label is not None and layer.icon in ICONS
        assert layer.label != layer.name and not set("-_") & set(layer.label), layer.label
        assert layer.label[0].isupper() and not layer.label.endswith("."), layer.label


def test_every_listing_gives_each_layer_name_kind_label_and_icon() -> None:
    scene = load_scene(SCENES / "rainy-night.toml")
    assert layer_info(scene)[:3] == [
        {"name": "rain", "kind": "bed", "label": "Rain on the window", "icon": "rain"},
        {"name": "downpour", "kind": "bed", "label": "Heavy rain", "icon": "rain"},
        {"name": "thunder", "kind": "event", "label": "Distant thunder", "icon": "thunder"},
    ]
    bare = _parse({"name": "rain-outside", "type": "bed", "recipe": "rain"})
    assert scene_info(bare)["layers"] == [
        {"name": "rain-outside", "kind": "bed", "label": "Rain outside", "icon": "rain"}]
    json.dumps(scene_info(scene))  # plain JSON
