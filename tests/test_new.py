"""``soundscape new``: a starting scene from words (soundscape/wordscene/).

The table's choices (recipes, params, kinds, levels), the file it writes (comments,
what was not understood, atomic writes, --force), its errors, a real 30 s render of
the issue's example with every layer audible and events firing, and a property test:
any text gives a loadable scene or the documented UsageError, never a traceback.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from soundscape.errors import UsageError
from soundscape.report import INAUDIBLE_LU
from soundscape.scene import Bed, Event, Scene, load_scene
from soundscape.wordscene import (
    MAX_DESCRIPTION_CHARS,
    MODIFIERS,
    SOUNDS,
    WORDS,
    scene_text_from_words,
)

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = "rain on a tent with distant thunder and an owl"
# a seed whose 30 s holds a far thunder roll and an owl (found once; the render is
# deterministic, so it stays so until the recipes or the scheduler change)
EXAMPLE_SEED = 4


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "soundscape.cli", *args],
                          capture_output=True, text=True, cwd=ROOT, env=os.environ.copy())


def scene_of(text: str, folder: Path, name: str = "words.toml") -> Scene:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return load_scene(path)


def test_example_gives_rain_far_thunder_and_owl(tmp_path: Path) -> None:
    text = scene_text_from_words(EXAMPLE)
    scene = scene_of(text, tmp_path)
    assert [(layer.name, layer.kind, layer.recipe) for layer in scene.layers] == [
        ("rain-on-tent", "bed", "tent-rain"), ("wind", "bed", "wind"),
        ("thunder-far", "event", "thunder"), ("owl", "event", "owl")]
    rain, breeze, thunder, owl = scene.layers
    assert isinstance(rain, Bed) and isinstance(thunder, Event) and isinstance(owl, Event)
    # rain on a tent has a recipe of its own; the tent (a place) adds a light breeze
    assert rain.params == {"intensity": 0.5, "surface": "tent"}
    assert rain.gain_db == 0.0 and "tent" in (rain.prompt or "")
    assert isinstance(breeze, Bed) and breeze.params["strength"] == 0.15
    assert -12.0 <= breeze.gain_db < 0.0
    assert thunder.params == {"distance": 0.85}  # a distant rumble, not a crack
    assert thunder.distance is not None and thunder.distance[0] >= 0.4  # "distant"
    assert thunder.rate_per_min is not None and 0.3 <= thunder.rate_per_min <= 1.5
    assert owl.rate_per_min is not None and 0.3 <= owl.rate_per_min <= 1.5
    assert thunder.min_gap >= 20 and owl.min_gap >= 20
    for layer in scene.layers:
        assert layer.prompt and layer.variants >= 4
    assert scene.title == "Rain on a tent with distant thunder and an owl"
    assert scene.description == EXAMPLE
    assert scene.master.loudness_lufs == -23.0 and scene.master.seed == 0
    assert not scene.phases
    # commented: a header, one comment block per layer, the tent note
    lines = text.splitlines()
    assert lines[0] == "#:schema ./scene.schema.json"
    assert lines[1].startswith("# Written by `soundscape new`")
    assert sum(line.startswith("#") for line in lines) >= 12
    assert "# not understood" not in text  # every word of the example is known
    assert "'tent': rain pattering on a tent, heard from inside (the tent-rain recipe" in text
    assert "# place: tent (adds wind)" in text
    for name in ("rain-on-tent", "wind", "thunder-far", "owl"):
        block = text.split(f'name = "{name}"')[0].rsplit("[[layers]]", 1)[0]
        comment = block.rstrip().split("\n\n")[-1].splitlines()
        assert all(line.startswith("# ") for line in comment), name
        assert any(line.startswith("# Tweak: ") for line in comment), name
    # pure and deterministic
    assert scene_text_from_words(EXAMPLE) == text
    assert scene_text_from_words(EXAMPLE, seed=9) != text


def test_example_renders_30s_with_every_layer_heard(tmp_path: Path, bank) -> None:
    scene = tmp_path / "tent.toml"
    res = cli("new", EXAMPLE, "-o", str(scene), "--seed", str(EXAMPLE_SEED))
    assert res.returncode == 0, res.stderr
    assert (f"wrote {scene}: 2 beds, 2 events (rain-on-tent, wind, thunder-far, owl)"
            in res.stderr)
    rep = tmp_path / "r.json"
    res = cli("render", str(scene), "-d", "30s", "-o", str(tmp_path / "o.flac"), "-q",
              "--report", str(rep))
    assert res.returncode == 0, res.stderr
    report = json.loads(rep.read_text())
    assert report["warnings"] == []
    assert abs(report["integrated_lufs"] - (-23.0)) < 1.5  # 30 s holds the fade-in
    layers = {e["name"]: e for e in report["layers"]}
    assert set(layers) == {"rain-on-tent", "wind", "thunder-far", "owl"}
    for e in layers.values():
        assert e["source"] == "procedural"
        assert e["below_mix_lu"] is not None and e["below_mix_lu"] < INAUDIBLE_LU, e
    assert layers["thunder-far"]["events"] >= 1 and layers["owl"]["events"] >= 1
    # events are heard but the rain carries the mix: thunder far under it, the owl over
    assert 5.0 < layers["thunder-far"]["below_mix_lu"] < 20.0
    assert abs(layers["rain-on-tent"]["below_mix_lu"]) < 1.5


@pytest.mark.parametrize("words", [
    "a crackling campfire at night with crickets and an owl",
    "ocean waves on a beach with seagulls and a light breeze",
    "a hushed reading room with rain outside",  # a place: room tone, clock, pages, rain
    "toads croaking by a lily pond in the evening",
])
def test_other_scenes_render_balanced(words: str, tmp_path: Path, bank) -> None:
    scene = tmp_path / "s.toml"
    scene.write_text(scene_text_from_words(words, seed=2), encoding="utf-8")
    rep = tmp_path / "r.json"
    res = cli("render", str(scene), "-d", "30s", "-o", str(tmp_path / "o.wav"), "-q",
              "--report", str(rep))
    assert res.returncode == 0, res.stderr
    report = json.loads(rep.read_text())
    assert abs(report["integrated_lufs"] - (-23.0)) < 1.5
    beds = [e for e in report["layers"] if e["kind"] == "bed"]
    for e in beds:  # beds near each other
        assert e["below_mix_lu"] < 12.0, e
    for e in report["layers"]:  # nothing buried (an event that did not fire is None)
        assert e["below_mix_lu"] is None or e["below_mix_lu"] < INAUDIBLE_LU, e
    assert not [w for w in report["warnings"] if "inaudible" in w]


def layers_of(words: str, tmp_path: Path) -> dict[str, Any]:
    return {layer.name: layer
            for layer in scene_of(scene_text_from_words(words), tmp_path).layers}


def test_modifiers_move_params_levels_and_distance(tmp_path: Path) -> None:
    heavy = layers_of("heavy rain", tmp_path)["rain"]
    light = layers_of("light rain", tmp_path)["rain"]
    assert heavy.params["intensity"] == 0.8 and light.params["intensity"] == 0.25
    assert layers_of("a downpour", tmp_path)["rain"].params["intensity"] == 0.8
    assert layers_of("drizzle", tmp_path)["rain"].params["intensity"] == 0.25
    # near thunder is another layer: a crack, close, well above the beds
    near = layers_of("rain with close thunder", tmp_path)
    assert "thunder-far" not in near
    assert near["thunder-near"].params == {"distance": 0.15}
    assert near["thunder-near"].distance == (0.0, 0.25)
    far = layers_of("rain with thunder far away", tmp_path)["thunder-far"]
    assert far.distance == (0.4, 0.9)  # a trailing modifier applies to its clause
    # a distant secondary bed: lower, duller, wider
    mix = layers_of("a fire, a brook", tmp_path)["brook"]
    distant = layers_of("a fire, a distant brook", tmp_path)["brook"]
    assert isinstance(mix, Bed) and isinstance(distant, Bed)
    assert (mix.gain_db, distant.gain_db) == (-6.0, -12.0)
    assert distant.highcut_hz == 3000.0 and mix.highcut_hz is None
    assert distant.width > mix.width
    # rate modifiers
    often = layers_of("rain with frequent drips", tmp_path)["drips"]
    rare = layers_of("rain with occasional drips", tmp_path)["drips"]
    assert isinstance(often, Event) and isinstance(rare, Event)
    assert often.rate_per_min == 4 * rare.rate_per_min  # type: ignore[operator]
    # surfaces
    assert layers_of("rain on the window", tmp_path)["rain"].params["surface"] == "window"
    assert layers_of("rain in the forest", tmp_path)["rain"].params["surface"] == "leaves"
    assert layers_of("pink noise", tmp_path)["noise"].params == {"color": "pink"}
    assert layers_of("cicadas", tmp_path)["cicadas"].params["kind"] == "cicada"


@pytest.mark.parametrize("words", [
    EXAMPLE, "a storm rolling in", "fireplace in a cabin with rain outside and wind",
    "ocean, gulls, waves", "brook birds crickets insects fire surf wind rain noise",
    "an owl",
])
def test_beds_are_balanced(words: str, tmp_path: Path) -> None:
    scene = scene_of(scene_text_from_words(words), tmp_path)
    gains = [layer.gain_db for layer in scene.beds]
    assert gains, "a scene always has a bed"
    assert max(gains) == 0.0 and min(gains) >= -12.0
    for event in scene.events:
        assert event.rate_per_min and event.rate_per_min > 0
        assert -20 <= event.gain_db[0] <= event.gain_db[1] <= 15


def test_events_alone_get_a_bed_under_them(tmp_path: Path) -> None:
    text = scene_text_from_words("an owl")
    scene = scene_of(text, tmp_path)
    assert [(x.name, x.kind) for x in scene.layers] == [("insects", "bed"), ("owl", "event")]
    assert ("added because events alone leave silence between them"
            in text.replace("\n# ", " "))


def test_evolution_words_add_a_looping_cycle(tmp_path: Path) -> None:
    scene = scene_of(scene_text_from_words("a storm rolling in"), tmp_path)
    assert [p.name for p in scene.phases] == ["building", "peak", "settling"]
    assert scene.cycle_seconds == 25 * 60
    assert {x.name for x in scene.layers} == {"rain", "wind", "thunder-far"}
    assert scene.layer("rain").params["intensity"] == 0.8  # a storm's rain is heavy
    text = scene_text_from_words("a storm rolling in")
    assert "layers.thunder-far.rate_per_min = 2.0" in text  # 2.5 x 0.8 while building
    assert "layers.thunder-far.rate_per_min = 0.8" in text  # home
    assert "[[phases]]" not in scene_text_from_words("a storm")


def test_unknown_unmakeable_and_negated_words_are_listed(tmp_path: Path) -> None:
    text = scene_text_from_words("Rain, zorblax and quibbly dogs, no thunder")
    lines = text.splitlines()
    assert "# not understood: zorblax, quibbly" in lines
    assert "# no recipe can make: dogs (left out)" in lines
    assert any(line.startswith("# note: negation is not understood (ignored: no)")
               for line in lines)
    scene = scene_of(text, tmp_path)  # negation out of scope: thunder is still there
    assert {x.name for x in scene.layers} == {"rain", "thunder-far"}


@pytest.mark.parametrize(("words", "message"), [
    ("", "description: it is empty"),
    (" \t\n ", "description: it is empty"),
    ("x" * (MAX_DESCRIPTION_CHARS + 1),
     f"description: {MAX_DESCRIPTION_CHARS + 1} characters is too long (at most 1000)"),
    ("the quiet hum of a cafe", None),  # a place alone makes a scene
    ("dogs at a market", 'description: no sound recognised in "dogs at a market" (dogs, '
                         "market: no recipe can make that); sounds understood: rain, "
                         "drizzle"),
    ("at night", 'no sound recognised in "at night"; sounds understood: rain'),
])
def test_clear_errors(words: str, message: str | None) -> None:
    if message is None:
        scene_text_from_words(words)
        return
    with pytest.raises(UsageError) as info:
        scene_text_from_words(words)
    assert message in str(info.value)


def test_title_and_seed_are_checked(tmp_path: Path) -> None:
    scene = scene_of(scene_text_from_words("rain", title='My "tent"\tnight', seed=2**32 - 1),
                     tmp_path)
    assert scene.title == 'My "tent" night' and scene.master.seed == 2**32 - 1
    with pytest.raises(UsageError, match=r"title: 201 characters is too long"):
        scene_text_from_words("rain", title="t" * 201)
    with pytest.raises(UsageError, match=r"title: it is empty"):
        scene_text_from_words("rain", title="  ")
    with pytest.raises(UsageError, match=r"seed: -1 is not an integer in 0..4294967295"):
        scene_text_from_words("rain", seed=-1)


def soundscape(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """The CLI in this process (the subprocess path is covered by the render tests)."""
    from soundscape.cli import main

    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_writes_atomically_and_only_with_force(tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "tent.toml"
    code, _, err = soundscape(capsys, "new", EXAMPLE, "-o", str(out))
    assert code == 0, err
    first = out.read_text()
    assert first == scene_text_from_words(EXAMPLE)
    assert f"listen: soundscape render {out}" in err
    # an existing file is kept without --force, and the error names it
    code, _, err = soundscape(capsys, "new", "crickets", "-o", str(out))
    assert code == 2
    assert err.strip() == f"soundscape: error: {out} already exists (use --force to overwrite it)"
    assert out.read_text() == first
    code, _, err = soundscape(capsys, "new", "crickets", "-o", str(out), "--force",
                              "--title", "Crickets")
    assert code == 0, err
    assert load_scene(out).title == "Crickets"
    assert [p.name for p in tmp_path.iterdir()] == ["tent.toml"]  # no temporary left
    # --print alone writes nothing; with -o both
    code, printed, _ = soundscape(capsys, "new", "crickets", "--print")
    assert code == 0 and printed == scene_text_from_words("crickets")
    # user errors: one line, status 2, nothing written
    for args, text in (
        (["", "-o", str(tmp_path / "a.toml")], "description: it is empty"),
        (["dogs", "-o", str(tmp_path / "b.toml")], "description: no sound recognised"),
        (["rain", "-o", str(tmp_path / "c.txt")], "should end in .toml"),
        (["rain"], "-o/--output: give the scene file to write"),
        (["rain", "-o", str(tmp_path / "no" / "d.toml")], "no such folder"),
        (["rain", "-o", str(tmp_path), "--force"], "should end in .toml"),
        (["rain", "-o", str(tmp_path / "dir.toml"), "--force"], "is a folder"),
    ):
        if args[-2:] == [str(tmp_path / "dir.toml"), "--force"]:
            (tmp_path / "dir.toml").mkdir()
        code, _, err = soundscape(capsys, "new", *args)
        assert code == 2, (args, err)
        assert err.startswith("soundscape: error: ") and text in err, err
        assert len(err.strip().splitlines()) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dir.toml", "tent.toml"]


def test_write_never_replaces_a_file_that_appears_meanwhile(tmp_path: Path,
                                                            monkeypatch) -> None:
    from soundscape.commands import new

    out = tmp_path / "race.toml"
    real_write = Path.write_text

    def write_then_race(self: Path, *args, **kwargs):  # type: ignore[no-untyped-def]
        n = real_write(self, *args, **kwargs)
        if self.name.startswith(".race.toml."):  # the atomic writer's temporary file
            real_write(out, "someone else's\n")  # appears after the exists() check
        return n

    monkeypatch.setattr(Path, "write_text", write_then_race)
    with pytest.raises(UsageError, match="race.toml already exists"):
        new.write_new_file(out, "rain\n", force=False)
    monkeypatch.undo()
    assert out.read_text() == "someone else's\n"
    assert [p.name for p in tmp_path.iterdir()] == ["race.toml"]


def test_a_new_file_is_not_private_and_force_keeps_the_mode(tmp_path: Path) -> None:
    from soundscape.commands import new

    out = tmp_path / "mode.toml"
    umask = os.umask(0o022)
    try:
        new.write_new_file(out, "rain\n", force=False)
        assert out.stat().st_mode & 0o777 == 0o644
        out.chmod(0o600)
        new.write_new_file(out, "wind\n", force=True)
    finally:
        os.umask(umask)
    assert out.read_text() == "wind\n" and out.stat().st_mode & 0o777 == 0o600


def test_every_table_entry_is_a_valid_layer(tmp_path: Path) -> None:
    from soundscape.procedural import RECIPES

    for sound in SOUNDS.values():
        recipe = RECIPES[sound.recipe]
        assert recipe.kind == sound.kind, sound.key
        if sound.amount is not None:
            assert sound.amount in recipe.params, sound.key
        if sound.close_key is not None:
            assert SOUNDS[sound.close_key].kind == sound.kind
    for word, sounds in WORDS.items():
        for key, implied in sounds:
            assert key in SOUNDS and all(m in MODIFIERS for m in implied), word
        # every word alone gives a scene that loads
        scene_of(scene_text_from_words(word), tmp_path)


_VOCABULARY = sorted(WORDS) + sorted(MODIFIERS) + [
    "and", "with", ",", "no", "tent", "roof", "night", "rolling in", "dogs", "zzz", "the",
    "cafe", "forest", "train", "pond", "library", "car", "camping"]


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(
    st.text(max_size=1200),
    st.lists(st.sampled_from(_VOCABULARY), max_size=40).map(" ".join),
    st.tuples(st.text(max_size=30), st.sampled_from(sorted(WORDS)), st.text(max_size=30))
      .map("".join),
))
def test_any_text_gives_a_scene_or_a_clear_error(words: str) -> None:
    try:
        text = scene_text_from_words(words)
    except UsageError as exc:
        message = str(exc)
        assert message.startswith("description: ")
        assert ("it is empty" in message or "is too long" in message
                or "no sound recognised" in message)
        return
    with tempfile.TemporaryDirectory() as folder:
        scene = scene_of(text, Path(folder))
    assert scene.beds and len(scene.layers) <= len(SOUNDS)
    assert max(b.gain_db for b in scene.beds) == 0.0
