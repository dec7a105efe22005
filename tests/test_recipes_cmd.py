"""``soundscape recipes`` and ``soundscape schema``: what they print and write."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from soundscape.cli import main
from soundscape.procedural import RECIPES
from soundscape.scenefields import json_schema, schema_text


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def test_recipes_lists_every_recipe_with_its_parameters(
        capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["recipes"], capsys)
    assert code == 0
    lines = out.splitlines()
    heads = [line for line in lines if not line.startswith("    ")]
    assert len(heads) == len(RECIPES) >= 40  # the palette (issue 16)
    for name, recipe in RECIPES.items():
        head = next(line for line in heads if line.split()[0] == name)
        assert head.split()[1] == recipe.kind and head.endswith(recipe.doc)
    # beds first, then events, each alphabetical
    kinds = [line.split()[1] for line in heads]
    assert kinds == sorted(kinds)
    assert "    intensity = 0.5  (0..1)  0 light drizzle .. 1 downpour (drop rate and size)" in lines
    assert "    surface = window  (one of window, leaves, roof)  what the drops hit" in lines
    assert "    period = 9  (6..14)  mean seconds between waves of one breaker" in lines
    params = [line for line in lines if line.startswith("    ") and "(no parameters)" not in line]
    assert len(params) == sum(len(r.params) for r in RECIPES.values())


def test_recipes_json_and_one_name(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["recipes", "--json"], capsys)
    assert code == 0
    table = json.loads(out)
    assert {r["name"] for r in table} == set(RECIPES)
    rain = next(r for r in table if r["name"] == "rain")
    assert rain["kind"] == "bed"
    assert rain["params"]["intensity"] == {
        "default": 0.5, "low": 0.0, "high": 1.0, "choices": None,
        "doc": "0 light drizzle .. 1 downpour (drop rate and size)"}
    assert rain["params"]["surface"]["choices"] == ["window", "leaves", "roof"]
    code, out, _ = run(["recipes", "thunder"], capsys)
    assert code == 0
    assert out.splitlines() == [
        f"thunder    event  {RECIPES['thunder'].doc}",
        "    distance = 0.5  (0..1)  0 close crack .. 1 distant rumble",
    ]


def test_an_unknown_recipe_suggests_the_nearest(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(["recipes", "thundr"], capsys)
    assert code == 2 and out == ""
    assert err == "soundscape: error: unknown recipe 'thundr' (did you mean 'thunder'?)\n"
    code, _, err = run(["recipes", "zzz"], capsys)
    assert code == 2 and "known: bird, birds, bowl, brook," in err


def test_schema_prints_and_writes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["schema"], capsys)
    assert code == 0 and out == schema_text()
    assert json.loads(out) == json_schema()
    target = tmp_path / "scene.schema.json"
    code, out, err = run(["schema", "-o", str(target)], capsys)
    assert code == 0 and out == "" and err == f"wrote {target}\n"
    assert target.read_text(encoding="utf-8") == schema_text()
    assert target.stat().st_mode & 0o777 == 0o644
    code, _, err = run(["schema", "-o", str(tmp_path / "no" / "such" / "x.json")], capsys)
    assert code == 2 and "cannot write: No such file or directory" in err
    assert [p.name for p in tmp_path.iterdir()] == ["scene.schema.json"]  # no temporary left


def test_the_docs_list_every_recipe() -> None:
    """docs/scenes.md's table and docs/procedural.md's families name every recipe."""
    docs = Path(__file__).resolve().parent.parent / "docs"
    for page in ("scenes.md", "procedural.md"):
        text = (docs / page).read_text(encoding="utf-8")
        assert [n for n in RECIPES if f"`{n}`" not in text] == [], page
