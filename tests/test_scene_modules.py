"""The scene package's modules on their own: the value checker, one table's parser,
and the line scanner, without a whole file (soundscape/scene/)."""

from __future__ import annotations

from pathlib import Path

import soundscape.scene as scene
from soundscape.scene import Bed, Event, Master
from soundscape.scene.check import Checker
from soundscape.scene.lines import key_lines, line_of, quote, where
from soundscape.scene.parse import parse_layer, parse_master, parse_phase
from soundscape.scenefields import MASTER_FIELDS, fields_for


def test_the_package_keeps_the_old_module_names() -> None:
    for name in scene.__all__:
        assert hasattr(scene, name), name
    assert {"load_scene", "scene_from_text", "parse_scene", "key_lines", "quote",
            "INTERNAL_ERROR", "MAX_SCENE_BYTES", "Bed", "Event", "Layer", "Master",
            "Phase", "Scene", "SceneError", "Problem"} <= set(scene.__all__)


def test_the_checker_notes_a_bad_value_once_and_reads_it_as_none() -> None:
    c = Checker()
    fields = fields_for(MASTER_FIELDS)
    table = {"seed": -1, "fade_in": "2m", "loop_phases": "yes"}
    assert c.value(table, fields["seed"], "master") is None
    assert c.value(table, fields["fade_in"], "master") == 120.0
    assert c.value(table, fields["loop_phases"], "master") is None
    assert c.value(table, fields["sample_rate"], "master") is None  # absent, not required
    assert [(path, text) for path, text, _ in c.found] == [
        ("master.seed", "-1 is out of range 0..4294967295"),
        ("master.loop_phases", "'yes' is not true or false")]


def test_master_is_the_table_defaults_overlaid() -> None:
    c = Checker()
    master = parse_master(c, {"seed": 3, "loudness_lufs": -18, "fade_in": "bad"})
    assert master == Master(seed=3, loudness_lufs=-18.0)  # the bad fade_in: the default
    assert [path for path, *_ in c.found] == ["master.fade_in"]


def test_one_layer_parses_alone(tmp_path: Path) -> None:
    c = Checker()
    bed = parse_layer(c, {"name": "b", "type": "bed", "recipe": "noise", "gain_db": -3},
                      0, tmp_path)
    event = parse_layer(c, {"name": "e", "type": "event", "recipe": "drip",
                            "interval": ["1s", "3s"]}, 1, tmp_path)
    assert c.found == []
    assert isinstance(bed, Bed) and bed.gain_db == -3.0 and bed.variants == 6
    assert isinstance(event, Event) and event.interval == (1.0, 3.0)
    assert parse_layer(c, {"name": "x", "type": "cloud"}, 2, tmp_path) is None
    assert c.found[0][0] == "layers[2].type"


def test_a_phase_without_a_good_duration_is_none_but_its_targets_are_checked() -> None:
    c = Checker()
    phase = parse_phase(c, {"duration": "soon", "layers": {"nope": {}}}, 0, {}, set())
    assert phase is None
    assert [path for path, *_ in c.found] == ["phases[0].duration", "phases[0].layers.nope"]


def test_lines_and_quotes() -> None:
    text = "title = 'x'\n[[layers]]\nname = 'a'\n[[layers]]\n'gain db' = 1\n"
    lines = key_lines(text)
    assert lines["layers[1]"] == 4 and lines[where("layers[1]", "gain db")] == 5
    assert line_of(lines, "layers[1].params.x") == 4
    assert quote("it's") == '"it\'s"' and quote([1, 2, 3, 4, 5]) == "[1, 2, 3, 4, ...]"
    assert quote(10**5000).startswith("an integer of about")
