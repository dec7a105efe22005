"""The steps of ``soundscape new`` one by one (soundscape/wordscene/): the tables are
read-only, the reader's steps (tokenise, clauses, mentions, modifiers, other words),
the layer steps (totals, near variant, heavier, levels, prompt, balance), and the
tomlkit document (limits from scenefields, comments kept on a round trip)."""

from __future__ import annotations

import dataclasses
import tomllib
from pathlib import Path

import pytest
import tomlkit

from soundscape.scene import Bed, Event, scene_from_text
from soundscape.scenefields import MAX_EVENTS_PER_MIN, MAX_TEXT_CHARS, MAX_TITLE_CHARS
from soundscape.wordscene import (
    MAX_DESCRIPTION_CHARS,
    MODIFIERS,
    SETTINGS,
    SOUNDS,
    SURFACES,
    WORDS,
    levels,
    reading,
    scene_text_from_words,
)
from soundscape.wordscene.document import phase_tables
from soundscape.wordscene.levels import Totals


# -- the tables ---------------------------------------------------------------------
def test_the_tables_cannot_be_changed() -> None:
    for table in (SOUNDS, WORDS, MODIFIERS, SURFACES, SETTINGS):
        with pytest.raises(TypeError):
            table["x"] = None  # type: ignore[index]
    with pytest.raises(TypeError):
        SOUNDS["rain"].params["intensity"] = 1.0  # type: ignore[index]
    with pytest.raises(dataclasses.FrozenInstanceError):
        SOUNDS["rain"].gain_db = (0.0, 0.0)  # type: ignore[misc]
    for word, sounds in WORDS.items():  # tuples all the way down: nothing shared to mutate
        assert isinstance(sounds, tuple), word
        assert all(isinstance(s, tuple) and isinstance(s[1], tuple) for s in sounds), word


def test_limits_are_the_scene_formats() -> None:
    assert MAX_DESCRIPTION_CHARS <= MAX_TEXT_CHARS  # the description is stored whole
    scene_text_from_words("rain", title="t" * MAX_TITLE_CHARS)
    with pytest.raises(Exception, match=f"at most {MAX_TITLE_CHARS}"):
        scene_text_from_words("rain", title="t" * (MAX_TITLE_CHARS + 1))


# -- reading ------------------------------------------------------------------------
def test_tokenise_lowers_and_marks_clauses() -> None:
    assert reading.tokenise("Rain; Owl’s HOOT (far-off)!") == [
        "rain", ",", "owl's", "hoot", ",", "far-off", ",", ","]
    assert reading.clean("a\tb\x00c\u2028d  e") == "a b c d e"


def test_clauses_take_the_longest_phrase_and_split_at_and_with() -> None:
    tokens = reading.tokenise("a dawn chorus with rain, far away and the thunder")
    assert reading.clauses(tokens) == [["a", "dawn chorus"], ["rain"], ["far away"],
                                       ["the", "thunder"]]


def test_mentions_merge_words_and_implied_modifiers() -> None:
    r = reading.Reading()
    here = reading.mentions(r, ["storm", "drizzle", "pink noise"])
    assert [m.sound for m in here] == ["rain", "thunder-far", "wind", "noise"]
    assert r.mentions["rain"].words == ["storm", "drizzle"]
    assert r.mentions["rain"].mods == ["heavy", "light"]
    assert r.noise_color == "pink"


def test_modifiers_and_the_other_words() -> None:
    clause = ["distant", "tent", "night", "rolling in", "dogs", "no", "zorblax", "the", "3"]
    assert reading.modifiers(clause) == ["distant"]
    r = reading.Reading()
    reading.note_words(r, clause)
    assert r.surface is not None and r.surface[0] == "tent"
    assert r.places == [("tent", ["distant"])]  # a place, with its clause's modifiers
    assert r.settings == {"night": "night"} and r.evolution == ["rolling in"]
    assert (r.unmakeable, r.negations, r.unknown) == (["dogs"], ["no"], ["zorblax"])


def test_a_clause_of_modifiers_passes_them_to_the_clause_before() -> None:
    r = reading.read("rain, soft")
    assert r.mentions["rain"].mods == ["soft"]
    r = reading.read("soft, rain")  # nothing before: the modifiers are lost
    assert r.mentions["rain"].mods == []


# -- levels -------------------------------------------------------------------------
def test_totals_are_bounded() -> None:
    assert levels.totals(["heavy"] * 5 + ["distant"] * 3 + ["frequent"] * 4) == Totals(
        amount=2, distance=1, rate=4.0)
    assert levels.totals(["light", "close", "occasional"]) == Totals(-1, -1, 0.5)


def test_close_makes_far_thunder_near() -> None:
    sound, t = levels.near_variant(SOUNDS["thunder-far"], Totals(distance=-1))
    assert sound.key == "thunder-near" and t.distance == 0
    sound, t = levels.near_variant(SOUNDS["rain"], Totals(distance=-1))
    assert sound.key == "rain" and t.distance == -1


def test_heavier_moves_the_recipe_param_within_its_range() -> None:
    params = dict(SOUNDS["rain"].params)
    notes, adjectives = levels.heavier(SOUNDS["rain"], 2, params)
    assert params["intensity"] == 0.95  # 0.5 + 0.6, kept under the top
    assert notes == ["heavier: intensity 0.5 -> 0.95"] and adjectives == ["heavy"]
    assert levels.heavier(SOUNDS["waves"], 1, {}) == ([], [])  # no amount param


def test_bed_and_event_levels() -> None:
    bed = levels.bed_levels(SOUNDS["brook"], Totals(distance=1))
    assert bed.gain == (-12.0, -12.0) and bed.highcut == 3000.0 and bed.width == 1.6
    event = levels.event_levels(SOUNDS["drips"], Totals(distance=-1, rate=2.0))
    assert event.gain == (-8.0, -1.0) and event.distance == (0.0, 0.25)
    assert event.rate == 20.0 and "more often: rate x2" in event.notes


def test_prompt_takes_the_surface_and_the_night() -> None:
    r = reading.read("rain on a tent at night")
    params = dict(SOUNDS["rain"].params)
    prompt, notes = levels.prompt_for(SOUNDS["rain"], r, params, ["light"])
    assert prompt == "light steady rain pattering on a tent, heard from inside, no thunder, " \
                     "at night"
    assert params["surface"] == "roof" and "no tent surface" in notes[0]


def test_balance_puts_the_loudest_bed_at_zero_and_the_rest_within_12_db() -> None:
    r = reading.read("fire, distant brook, noise")
    beds = levels.balance([levels.plan(m, r) for m in r.mentions.values()
                           if SOUNDS[m.sound].kind == "bed"])
    assert [(b.sound.key, b.levels.gain) for b in beds] == [
        ("fire", (0.0, 0.0)), ("brook", (-12.0, -12.0)), ("noise", (-6.0, -6.0))]


# -- the document -------------------------------------------------------------------
def test_phase_rates_are_capped_by_the_scene_format() -> None:
    r = reading.read("drips building")
    drips = levels.plan(r.mentions["drips"], r)
    busy = dataclasses.replace(drips, levels=dataclasses.replace(drips.levels,
                                                                 rate=MAX_EVENTS_PER_MIN))
    bed = levels.plan(reading.Mention("brook"), r)
    peak = phase_tables([bed], [busy])[1]
    assert peak["layers"]["drips"]["rate_per_min"] == MAX_EVENTS_PER_MIN


def test_the_document_round_trips_through_tomlkit_with_its_comments(tmp_path: Path) -> None:
    text = scene_text_from_words("a storm rolling in with an owl, \"quoted\" \\ words")
    doc = tomlkit.parse(text)
    assert tomlkit.dumps(doc) == text
    doc["layers"][0]["gain_db"] = -2.0  # the studio's kind of edit keeps every comment
    edited = tomlkit.dumps(doc)
    assert [line for line in edited.splitlines() if line.startswith("#")] == [
        line for line in text.splitlines() if line.startswith("#")]
    data = tomllib.loads(edited)
    assert data["description"] == "a storm rolling in with an owl, \"quoted\" \\ words"
    scene = scene_from_text(edited, tmp_path / "s.toml")
    assert isinstance(scene.layers[0], Bed) and scene.layers[0].gain_db == -2.0
    assert isinstance(scene.layers[-1], Event) and len(scene.phases) == 3


def test_each_layers_comments_sit_right_above_its_header() -> None:
    lines = scene_text_from_words("rain on a tent with distant thunder").splitlines()
    for i, line in enumerate(lines):
        if line == "[[layers]]":
            assert lines[i - 1].startswith("# Tweak:") or lines[i - 2].startswith("# Tweak:")
    assert lines[0] == "#:schema ./scene.schema.json"
