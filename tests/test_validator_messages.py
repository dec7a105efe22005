"""The validator's messages, word for word: line numbers, layer names, did-you-mean,
no cascades, values as TOML writes them (never Python's None, True or datetime(...)).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from soundscape.cli import main
from soundscape.errors import Problem, SceneError
from soundscape.scene import key_lines, load_scene, scene_from_text

MIXED = """\
title = "Test"

[[layers]]
name = "rain"
type = "bed"
recipe = "rian"
gain = 3
params = { intensty = 0.5 }

[[layers]]
name = "cups"
type = "event"
recipe = "drip"
rate_per_min = "often"
gain_db = [0, 99]
crossfade = "3s"

[[layers]]
name = "x"
recipe = "rain"

[[phases]]
name = "calm"
duration = "2 m"
ramp = "1 x"
layers.x.level_db = 3
layers.cup.level_db = 3
"""


def problems(tmp_path: Path, text: str, name: str = "scene.toml") -> list[str]:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    with pytest.raises(SceneError) as info:
        load_scene(path)
    prefix = f"{tmp_path}/"
    return [p.replace(prefix, "") for p in info.value.problems]


def only(tmp_path: Path, text: str) -> str:
    found = problems(tmp_path, text)
    assert len(found) == 1, found
    return found[0]


def test_every_problem_with_file_line_and_layer_name(tmp_path: Path) -> None:
    assert problems(tmp_path, MIXED) == [
        "scene.toml:6: layers[0] \"rain\".recipe: unknown recipe 'rian' (did you mean 'rain'?)",
        "scene.toml:7: layers[0] \"rain\": unknown key 'gain' (did you mean 'gain_db'?)",
        "scene.toml:14: layers[1] \"cups\".rate_per_min: 'often' is not a number",
        "scene.toml:15: layers[1] \"cups\".gain_db: [0, 99] is out of range -80..24",
        "scene.toml:16: layers[1] \"cups\": 'crossfade' is for bed layers; this layer is an "
        "event",
        "scene.toml:18: layers[2] \"x\": missing key 'type' (one of bed, event)",
        "scene.toml:25: phases[0] \"calm\".ramp: '1 x' is not a duration (a number of "
        "seconds or e.g. 90s, 10m, 1h30m, 2h, 500ms)",
        "scene.toml:27: phases[0] \"calm\".layers.cup: no layer named 'cup' (did you mean "
        "'cups'?)",
    ]


def test_structured_issues(tmp_path: Path) -> None:
    path = tmp_path / "scene.toml"
    path.write_text(MIXED, encoding="utf-8")
    with pytest.raises(SceneError) as info:
        load_scene(path)
    issues = info.value.issues
    assert issues[1] == Problem("layers[0].gain", 7, "unknown key 'gain' (did you mean "
                                "'gain_db'?)", 'layers[0] "rain"')
    assert issues[3] == Problem("layers[1].gain_db", 15, "[0, 99] is out of range -80..24",
                                'layers[1] "cups".gain_db')
    assert issues[5] == Problem("layers[2].type", 18, "missing key 'type' (one of bed, event)",
                                'layers[2] "x"')
    assert len(info.value.problems) == len(issues) == 8
    assert str(info.value).startswith(f"{path}: 8 problems:\n  - {path}:6: layers[0]")


def test_no_cascade_from_a_bad_rate(tmp_path: Path) -> None:
    text = "[[layers]]\nname='t'\ntype='event'\nrecipe='thunder'\nrate_per_min='often'\n"
    assert only(tmp_path, text) == (
        "scene.toml:5: layers[0] \"t\".rate_per_min: 'often' is not a number")


def test_no_cascade_from_a_bad_source_or_segment_length(tmp_path: Path) -> None:
    assert only(tmp_path, "[[layers]]\nname='b'\ntype='bed'\nprompt=3\n") == (
        "scene.toml:4: layers[0] \"b\".prompt: 3 is not a string")
    # a bad segment length is not compared with the crossfade
    text = "[master]\nsegment_seconds='2x'\n[[layers]]\nname='b'\ntype='bed'\nrecipe='rain'\n"
    assert only(tmp_path, text) == (
        "scene.toml:2: master.segment_seconds: '2x' is not a duration (a number of seconds "
        "or e.g. 90s, 10m, 1h30m, 2h, 500ms)")


def test_no_cascade_from_an_invalid_layer_to_the_phases(tmp_path: Path) -> None:
    text = ("[[layers]]\nname='x'\ntype='loop'\nrecipe='rain'\n"
            "[[phases]]\nduration='1m'\nlayers.x.level_db=-3\n")
    assert only(tmp_path, text) == (
        "scene.toml:3: layers[0] \"x\".type: 'loop' is not one of bed, event")


def test_unknown_params_and_choices_suggest(tmp_path: Path) -> None:
    text = ("[[layers]]\nname='r'\ntype='bed'\nrecipe='rain'\n"
            "params = { intensty = 0.5, surface = 'roff' }\n")
    assert problems(tmp_path, text) == [
        "scene.toml:5: layers[0] \"r\".params: unknown param 'intensty' for recipe 'rain' "
        "(did you mean 'intensity'?)",
        "scene.toml:5: layers[0] \"r\".params.surface: 'roff' is not one of window, leaves, "
        "roof (did you mean 'roof'?)",
    ]


def test_no_python_values_in_messages(tmp_path: Path) -> None:
    text = ("title = 1979-05-27\ntags = [1, true]\n[master]\nseed = true\nloop_phases = 1\n"
            "[[layers]]\nname='b'\ntype='bed'\nrecipe='rain'\ngain_db = { a = 1 }\n"
            "pan = 'it''s'\n")
    text = text.replace("pan = 'it''s'", 'pan = "it\'s"')
    found = problems(tmp_path, text)
    assert found == [
        "scene.toml:1: title: 1979-05-27 is not a string",
        "scene.toml:2: tags: [1, true] is not a list of strings",
        "scene.toml:4: master.seed: true is not an integer",
        "scene.toml:5: master.loop_phases: 1 is not true or false",
        "scene.toml:10: layers[0] \"b\".gain_db: { a = 1 } is not a number",
        "scene.toml:11: layers[0] \"b\".pan: \"it's\" is not a number",
    ]
    for word in ("None", "True", "datetime", "{'"):
        assert not any(word in line for line in found), word


def test_a_missing_type_or_name_says_the_key_is_missing(tmp_path: Path) -> None:
    assert only(tmp_path, "[[layers]]\nname='x'\nrecipe='rain'\n") == (
        "scene.toml:1: layers[0] \"x\": missing key 'type' (one of bed, event)")
    assert only(tmp_path, "[[layers]]\ntype='bed'\nrecipe='rain'\n") == (
        "scene.toml:1: layers[0]: missing key 'name' (letters, digits, '-' and '_')")
    assert only(tmp_path, "[[layers]]\nname='a b'\ntype='bed'\nrecipe='rain'\n") == (
        "scene.toml:2: layers[0].name: 'a b' may hold only letters, digits, '-' and '_'")


def test_durations_with_spaces_are_accepted_and_others_explained(tmp_path: Path) -> None:
    text = ("[[layers]]\nname='b'\ntype='bed'\nrecipe='rain'\ncrossfade='2 s'\n"
            "[[phases]]\nduration='1h 30 m'\nramp = '2 M'\n")
    scene = scene_from_text(text, tmp_path / "scene.toml")
    assert scene.layers[0].crossfade == 2.0  # type: ignore[attr-defined]
    assert (scene.phases[0].duration, scene.phases[0].ramp) == (5400.0, 120.0)
    text = "[[layers]]\nname='b'\ntype='bed'\nrecipe='rain'\ncrossfade='2 sec'\n"
    assert only(tmp_path, text) == (
        "scene.toml:5: layers[0] \"b\".crossfade: '2 sec' is not a duration (a number of "
        "seconds or e.g. 90s, 10m, 1h30m, 2h, 500ms)")


def test_event_keys_on_a_bed_and_bed_targets(tmp_path: Path) -> None:
    text = ("[[layers]]\nname='b'\ntype='bed'\nrecipe='rain'\nrate_per_min=2\n"
            "[[phases]]\nduration='1m'\nlayers.b.rate_per_min = 3\n")
    assert problems(tmp_path, text) == [
        "scene.toml:5: layers[0] \"b\": 'rate_per_min' is for event layers; this layer is "
        "a bed",
        "scene.toml:8: phases[0].layers.b: 'rate_per_min' is for event layers; 'b' is a bed",
    ]


def test_toml_syntax_errors_give_the_line(tmp_path: Path) -> None:
    found = only(tmp_path, "title = 'x'\n[[layers]]\nname = \n")
    assert found.startswith("scene.toml:3: not valid TOML: Invalid value (at line 3")


def test_key_lines_follows_tables_dotted_keys_and_strings() -> None:
    text = ('a = """\nname = 1\n"""\n[master]\nseed = 1\n[[layers]]\nname = "x"\n'
            '[[layers]]\n"gain_db" = 1\n[layers.breathing]\ndepth_db = 2\n'
            '[[phases]]\nlayers.x.level_db = 1\n')
    lines = key_lines(text)
    assert "name" not in lines  # inside a multi-line string
    assert lines["master.seed"] == 5
    assert lines["layers[0].name"] == 7
    assert lines["layers[1]"] == 8 and lines["layers[1].gain_db"] == 9
    assert lines["layers[1].breathing.depth_db"] == 11
    assert lines["phases[0].layers.x.level_db"] == 13


def test_scene_from_text_gives_lines_too(tmp_path: Path) -> None:
    with pytest.raises(SceneError) as info:
        scene_from_text("\n\n[[layers]]\nname='b'\ntype='bed'\nrecipe='rain'\nwidth=9\n",
                        tmp_path / "draft.toml")
    assert info.value.issues == [Problem("layers[0].width", 7, "9 is out of range 0..2",
                                         'layers[0] "b".width')]
    assert info.value.problems == [f"{tmp_path}/draft.toml:7: layers[0] \"b\".width: 9 is out "
                                   f"of range 0..2"]


def test_validate_names_an_audio_file_that_does_not_decode(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "garbage.wav").write_bytes(np.random.default_rng(1).bytes(5000))
    sf.write(tmp_path / "good.wav", np.full((48000, 2), 0.1, dtype=np.float32), 48000)
    path = tmp_path / "scene.toml"
    path.write_text("[[layers]]\nname='hiss'\ntype='bed'\nfiles=['good.wav', 'garbage.wav']\n")
    assert main(["validate", str(path)]) == 1
    err = capsys.readouterr().err
    assert f"{path}: 1 unusable audio file:" in err
    assert 'layers[0] "hiss".files[1]: ' in err
    assert f"{tmp_path / 'garbage.wav'}: not a readable audio file" in err
    assert "good.wav:" not in err and "Traceback" not in err
    assert main(["validate", "--no-audio", str(path)]) == 0


def test_ranges_are_written_in_full_and_phases_named(tmp_path: Path) -> None:
    text = ("[master]\nseed = 4294967296\n[[layers]]\nname='b'\ntype='bed'\nrecipe='rain'\n"
            "[[phases]]\nname = 'storm peak'\nduration = 0.5\n")
    assert problems(tmp_path, text) == [
        "scene.toml:2: master.seed: 4294967296 is out of range 0..4294967295",
        "scene.toml:9: phases[0] \"storm peak\".duration: 0.5 is out of range 1s..604800s",
    ]


def test_the_docs_table_lists_every_field() -> None:
    from soundscape.scenefields import LAYER_FIELDS, MASTER_FIELDS, markdown_table

    table = markdown_table(LAYER_FIELDS).splitlines()
    assert len(table) == 2 + len(LAYER_FIELDS)
    assert ("| `crossfade` | duration | 3.0 | 0.05s..30s | Equal-power crossfade between "
            "segments (under half of master.segment_seconds). (bed only) |") in table
    bed = markdown_table(LAYER_FIELDS, "bed")
    assert "rate_per_min" not in bed and "(bed only)" not in bed
    assert ("| `seed` | integer | 0 | 0..4294967295 | Seed of every random choice: same seed, "
            "same render. |") in markdown_table(MASTER_FIELDS)


def _leaf_paths(tree: dict, prefix: str = "") -> list[tuple[str, str]]:
    """(path as the validator spells it, last key) for every key under tables and
    arrays of tables (not inside inline tables' values)."""
    out = []
    for key, value in tree.items():
        path = f"{prefix}.{key}" if prefix else key
        out.append((path, key))
        if isinstance(value, dict):
            out += _leaf_paths(value, path)
        elif isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            for i, item in enumerate(value):
                out += _leaf_paths(item, f"{path}[{i}]")
    return out


SHIPPED = sorted((Path(__file__).resolve().parent.parent / "scenes").glob("*.toml"))


@pytest.mark.parametrize("path", SHIPPED, ids=[p.stem for p in SHIPPED])
def test_key_lines_finds_every_key_of_the_shipped_scenes(path: Path) -> None:
    import tomllib

    text = path.read_text(encoding="utf-8")
    lines = key_lines(text)
    source = text.splitlines()
    for key_path, key in _leaf_paths(tomllib.loads(text)):
        if key_path not in lines:  # a key inside an inline table: its holder's line
            holder = key_path.rsplit(".", 1)[0]
            assert holder in lines, key_path
            continue
        line = source[lines[key_path] - 1]
        assert key in line, (key_path, line)
