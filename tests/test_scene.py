"""Scene validation: every problem collected, each naming file, TOML path and value."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from soundscape.errors import SceneError
from soundscape.scene import Bed, Event, load_scene

GOOD_LAYER = """
[[layers]]
name = "rain"
type = "bed"
recipe = "rain"
"""

# (scene text, substrings that must appear in the message)
BROKEN = [
    ("[[layers]]\nname='a'\ntype='bed'\nrecipe='rain'\ngain_db='loud'\n",
     ['broken.toml:5: layers[0] "a".gain_db: \'loud\' is not a number']),
    (GOOD_LAYER + "gain_db = 99\n", ['broken.toml:6: layers[0] "rain".gain_db: 99 is out of range -80..24']),
    (GOOD_LAYER + "colour = 1\n", ['broken.toml:6: layers[0] "rain": unknown key \'colour\' (allowed: breathing,']),
    (GOOD_LAYER + GOOD_LAYER, ['broken.toml:8: layers[1] "rain".name: \'rain\' is already used by layers[0]']),
    ("[[layers]]\nname='x'\ntype='loop'\n", ['broken.toml:3: layers[0] "x".type: \'loop\' is not one of bed, event']),
    ("[[layers]]\nname='x'\ntype='bed'\n", ['broken.toml:1: layers[0] "x": needs a source']),
    ("[[layers]]\nname='x'\ntype='bed'\nrecipe='rian'\n", ['layers[0] "x".recipe: unknown recipe \'rian\' (did you mean \'rain\'?)']),
    (GOOD_LAYER + "params = { intensity = 3.0 }\n", ['broken.toml:6: layers[0] "rain".params.intensity: 3.0 is out of range 0..1']),
    (GOOD_LAYER + "files = ['nowhere.wav']\n", ['layers[0] "rain".files[0]: \'nowhere.wav\' does not exist']),
    (GOOD_LAYER + "files = ['notes.txt']\n", ['layers[0] "rain".files[0]: \'notes.txt\' is not an audio file']),
    (GOOD_LAYER + "crossfade = 'soon'\n", ['layers[0] "rain".crossfade: \'soon\' is not a duration (a number of seconds or e.g. 90s']),
    (GOOD_LAYER + "crossfade = '8s'\n", ['broken.toml:6: layers[0] "rain".crossfade: 8s must be under half']),
    ("[[layers]]\nname='t'\ntype='event'\nrecipe='thunder'\n",
     ['broken.toml:1: layers[0] "t": an event needs \'rate_per_min\' or \'interval\'']),
    ("[[layers]]\nname='t'\ntype='event'\nrecipe='thunder'\ninterval=[30, 10]\n",
     ['layers[0] "t".interval: [30, 10]: low is above high']),
    ("[[layers]]\nname='t'\ntype='event'\nrecipe='rain'\nrate_per_min=1\n",
     ['layers[0] "t".recipe: \'rain\' is a bed recipe, but this layer is an event']),
    ("[master]\nsample_rate = 44000\n" + GOOD_LAYER,
     ["master.sample_rate: 44000 is not one of"]),
    ("[master]\nloudness_lufs = 3\n" + GOOD_LAYER, ["master.loudness_lufs: 3 is out of range -60..-5"]),
    ("title = 'x'\n", ["layers: a scene needs at least one [[layers]] table"]),
    ("title = 'x\n", ["not valid TOML"]),
    (GOOD_LAYER + "[[phases]]\nduration='1m'\nlayers.snow.level_db = -3\n",
     ["phases[0].layers.snow: no layer named 'snow'"]),
    (GOOD_LAYER + "[[phases]]\nlayers.rain.level_db = -3\n", ["broken.toml:6: phases[0]: missing key 'duration' (a number of seconds or e.g. 90s"]),
    (GOOD_LAYER + "[[phases]]\nduration='1m'\nlayers.rain.rate_per_min = 3\n",
     ["broken.toml:8: phases[0].layers.rain: 'rate_per_min' is for event layers; 'rain' is a bed"]),
    (GOOD_LAYER + "[generator]\nsteps = 0\n", ["generator.steps: 0 is out of range 1..1000"]),
    # bounds: huge numbers, NaN, long strings and counts name the field and quote shortly
    (GOOD_LAYER + "gain_db = " + "9" * 400 + "\n",
     ['layers[0] "rain".gain_db: an integer of about 400 digits is out of range -80..24']),
    (GOOD_LAYER + "crossfade = " + "9" * 400 + "\n", ['layers[0] "rain".crossfade: an integer of']),
    (GOOD_LAYER + "params = { intensity = " + "9" * 400 + " }\n",
     ['layers[0] "rain".params.intensity: an integer of about 400 digits is out of '
      'range 0..1']),
    ("[[layers]]\nname='t'\ntype='event'\nrecipe='drip'\nrate_per_min=1\npan=[nan, 0]\n",
     ['broken.toml:6: layers[0] "t".pan: nan is not a finite number']),
    (GOOD_LAYER + "prompt = '" + "x" * 3000 + "'\n",
     ['layers[0] "rain".prompt: \'' + "x" * 39 + "... is 3000 characters long (at most 2000)"]),
    (GOOD_LAYER + "[[phases]]\nduration = '1m'\n" * 65, ["phases: 65 phases; a scene has at most 64"]),
    (GOOD_LAYER + "x" * 100 + " = 1\n", ['layers[0] "rain": unknown key \'' + "x" * 39 + "... (allowed:"]),
]


@pytest.mark.parametrize("text, expected", BROKEN)
def test_broken_scene_messages(tmp_path: Path, text: str, expected: list[str]):
    path = tmp_path / "broken.toml"
    path.write_text(text)
    with pytest.raises(SceneError) as info:
        load_scene(path)
    message = str(info.value)
    assert str(path) in message
    for part in expected:
        assert part in message, message


def test_all_problems_collected(tmp_path: Path):
    path = tmp_path / "many.toml"
    path.write_text(GOOD_LAYER + "gain_db = 99\npan = 7\nwidth = -1\nvariants = 0\n")
    with pytest.raises(SceneError) as info:
        load_scene(path)
    assert len(info.value.problems) == 4
    assert "4 problems" in str(info.value)


def test_missing_file(tmp_path: Path):
    with pytest.raises(SceneError, match="file not found"):
        load_scene(tmp_path / "absent.toml")


def test_relative_files_resolve_against_scene_folder(tmp_path: Path):
    import numpy as np
    import soundfile as sf

    (tmp_path / "sub").mkdir()
    sf.write(tmp_path / "sub" / "rec.wav", np.zeros((4800, 1)), 48000)
    scene_path = tmp_path / "s.toml"
    scene_path.write_text("[[layers]]\nname='r'\ntype='bed'\nfiles=['sub/rec.wav']\n")
    scene = load_scene(scene_path)
    assert scene.layers[0].files == (tmp_path / "sub" / "rec.wav",)


def test_parsed_values(small_scene: Path):
    scene = load_scene(small_scene)
    hiss, rumble, drops = scene.layers
    assert isinstance(hiss, Bed) and isinstance(drops, Event)
    assert hiss.crossfade == 1.0 and hiss.breathing is not None
    assert hiss.breathing.period == (5.0, 9.0)
    assert rumble.pan == -0.3 and rumble.gain_db == -6
    assert drops.gain_db == (-12.0, -3.0) and drops.min_gap == 0.5
    assert scene.master.segment_seconds == 4


def test_validate_command_exit_codes(tmp_path: Path, small_scene: Path):
    bad = tmp_path / "bad.toml"
    bad.write_text(GOOD_LAYER + "gain_db = 99\n")
    cmd = [sys.executable, "-m", "soundscape.cli", "validate"]
    ok = subprocess.run(cmd + [str(small_scene)], capture_output=True, text=True)
    assert ok.returncode == 0, ok.stderr
    res = subprocess.run(cmd + [str(small_scene), str(bad)], capture_output=True, text=True)
    assert res.returncode != 0
    assert "bad.toml:6: layers[0] \"rain\".gain_db: 99 is out of range" in res.stderr
    assert "Traceback" not in res.stderr


def test_scene_from_text_resolves_files_beside_path(tmp_path: Path):
    import numpy as np
    import soundfile as sf

    from soundscape.scene import scene_from_text

    sf.write(tmp_path / "rec.wav", np.zeros((4800, 1)), 48000)
    text = "[[layers]]\nname='r'\ntype='bed'\nfiles=['rec.wav']\n"
    scene = scene_from_text(text, tmp_path / "unsaved.toml")  # the file need not exist
    assert scene.name == "unsaved"
    assert scene.layers[0].files == (tmp_path / "rec.wav",)
    with pytest.raises(SceneError) as info:
        scene_from_text(text + "gain_db = 99\n", tmp_path / "unsaved.toml")
    assert str(tmp_path / "unsaved.toml") in str(info.value)
    assert "layers[0]" in str(info.value) and "99" in str(info.value)
    with pytest.raises(SceneError, match="not valid TOML"):
        scene_from_text("title = 'x\n", tmp_path / "unsaved.toml")
