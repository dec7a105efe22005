"""Writing the scene: planned layers -> a commented tomlkit document.

The same TOML library the studio edits scenes with builds the file, so values are
quoted and escaped by it, never by hand. Comments say which words asked for each
layer and what to tweak; they are placed as tomlkit places them when it reads a file
(comments before a table header belong to the table above), so the document can be
read back and edited keeping them. Numbers are rounded to 2 decimals; durations are
strings such as ``"25s"``. Pure: no I/O.
"""

from __future__ import annotations

import json
import textwrap
from collections.abc import Iterable, Sequence
from typing import Any

import tomlkit
from tomlkit.items import AoT, Comment, Table, Trivia

from ..scene.labels import derived_icon, derived_label
from ..scenefields import MASTER_FIELDS, MAX_EVENTS_PER_MIN, fields_for
from .levels import Plan
from .reading import Reading

SCHEMA_LINE = "#:schema ./scene.schema.json"  # editors: completion and inline errors
COMMENT_CHARS = 86  # a comment line's text; with "# " at most 88 characters
# the phase cycle evolution words ask for: name, duration, ramp, toward the peak
CYCLE = (("building", "10m", "10m", True), ("peak", "5m", "1m", True),
         ("settling", "10m", "8m", False))


def shown(text: str) -> str:
    """``text`` in double quotes, escaped, for a comment or a message."""
    return json.dumps(text, ensure_ascii=False).replace("\x7f", "\\u007f")


def number(x: float) -> float:
    """``x`` rounded to 2 decimals, never -0.0."""
    x = round(float(x), 2)
    return 0.0 if x == 0 else x


def words_list(words: Sequence[str], limit: int = 30) -> str:
    shown_words = ", ".join(words[:limit])
    more = len(words) - limit
    return shown_words + (f" ... and {more} more" if more > 0 else "")


def comments(text: str) -> list[Comment]:
    """``text`` as comment lines of at most 88 characters."""
    return [tomlkit.comment(line)
            for line in textwrap.wrap(text, COMMENT_CHARS, break_on_hyphens=False) or [""]]


def _add_comments(container: Any, lines: Iterable[Comment]) -> None:
    for line in lines:
        container.add(line)


def _with_comment(value: Any, text: str) -> Any:
    item = tomlkit.item(value)
    item.comment(text)
    return item


def _inline(values: dict[str, Any]) -> Any:
    table = tomlkit.inline_table()
    table.update(values)
    return table


def _value(v: float | str) -> float | str:
    return v if isinstance(v, str) else number(v)


def _asked(layer: Plan) -> str:
    if not layer.words:
        return layer.reason or "no word"
    words = ", ".join(f"'{w}'" for w in layer.words)
    mods = sorted(set(layer.mods))
    why = f": {layer.reason}" if layer.reason else ""  # a place's layer says why
    return words + (f" ({', '.join(mods)})" if mods else "") + why


def _place_adds(r: Reading, word: str) -> str:
    added = [k for k, m in r.mentions.items() if m.words == [word] and m.reason]
    return ", ".join(added) or "nothing the words did not name already"


def header(text: str, r: Reading, beds: list[Plan], notes: Sequence[str]) -> list[Comment]:
    """The file's opening comments: the words, how to check and audition the file,
    what was not understood, settings, extra notes."""
    out = [Comment(Trivia(comment_ws="", comment=SCHEMA_LINE)),
           tomlkit.comment("Written by `soundscape new` from these words:"),
           tomlkit.comment(f"  {shown(text[:300] + ('...' if len(text) > 300 else ''))}"),
           tomlkit.comment("Each layer below says which words asked for it and what to "
                           "tweak. Check it with"),
           tomlkit.comment("`soundscape validate FILE`, audition a layer with "
                           "`soundscape render FILE -d 60s"),
           tomlkit.comment("-o /tmp/x.flac --only NAME`, and see docs/scenes.md for "
                           "every key.")]
    if r.unknown:
        out += comments(f"not understood: {words_list(r.unknown)}")
    if r.unmakeable:
        out += comments(f"no recipe can make: {words_list(r.unmakeable)} (left out)")
    if r.negations:
        out += comments(f"note: negation is not understood (ignored: "
                        f"{', '.join(r.negations)}); remove any layer you did not want")
    settings = list(r.settings)
    places = [word for word, _ in r.places]
    if (r.surface is not None and r.surface[0] not in places
            and not any(x.sound.recipe in ("rain", "tent-rain", "hail") for x in beds)):
        settings.append(r.surface[0])  # a surface with nothing falling on it
    if r.places:
        out += comments("place: " + "; ".join(
            f"{word} (adds {_place_adds(r, word)})" for word, _ in r.places))
    if settings:
        out += comments(f"setting (no layer of its own): {', '.join(settings)}")
    for note in notes:
        out += comments(note)
    return out


def master_table(seed: int) -> Table:
    defaults = fields_for(MASTER_FIELDS)
    table = tomlkit.table()
    table.add("sample_rate", defaults["sample_rate"].default)
    table.add("loudness_lufs", _with_comment(defaults["loudness_lufs"].default,
                                             "EBU R128; -20 for a busier, louder file"))
    table.add("seed", _with_comment(seed, "another seed, another arrangement"))
    table.add("fade_in", "4s")
    table.add(tomlkit.nl())
    return table


def _layer_table(layer: Plan) -> Table:
    """A layer's table with the keys every layer starts with: name, type, the label
    and icon the player shows, source."""
    t = tomlkit.table()
    t.add("name", layer.sound.key)
    t.add("type", layer.sound.kind)
    # what the player shows: the same words and picture it would derive, written out so
    # that they are there to edit
    t.add("label", derived_label(layer.sound.key, layer.sound.recipe, layer.prompt))
    t.add("icon", derived_icon(layer.sound.key, layer.sound.recipe, layer.prompt))
    t.add("prompt", layer.prompt)
    t.add("recipe", layer.sound.recipe)
    if layer.params:
        t.add("params", _inline({k: _value(v) for k, v in layer.params.items()}))
    return t


def bed_table(b: Plan, *, main: bool) -> tuple[list[Comment], Table]:
    """A bed's comments (to go before its header) and its table."""
    s = b.sound
    lines = comments(f"{s.what}; from {_asked(b)}.")
    if main:
        lines += comments("The main bed: the level every other layer is set against.")
    for note in b.notes:
        lines += comments(note)
    lines += comments(f"Tweak: {s.tweak}; gain_db for the balance.")
    t = _layer_table(b)
    t.add("gain_db", number(b.levels.gain[0]))
    if s.pan[0]:
        t.add("pan", number(s.pan[0]))
    t.add("width", number(b.levels.width))
    t.add("variants", s.variants)
    t.add("crossfade", s.crossfade)
    if s.lowcut_hz is not None:
        t.add("lowcut_hz", number(s.lowcut_hz))
    if b.levels.highcut is not None:
        t.add("highcut_hz", number(b.levels.highcut))
    depth, p0, p1 = s.breathing
    if depth:
        breathing = _inline({"depth_db": number(depth), "period": [p0, p1]})
        breathing.comment("slow level drift")
        t.add("breathing", breathing)
    return lines, t


def event_table(e: Plan) -> tuple[list[Comment], Table]:
    """An event's comments (to go before its header) and its table."""
    s = e.sound
    lines = comments(f"{s.what}; from {_asked(e)}.")
    every = 60.0 / e.levels.rate if e.levels.rate > 0 else 0.0
    lines += comments(f"About {e.levels.rate:.2g} a minute (one every {every:.0f} s on average), "
                      f"never closer than {s.min_gap:g} s.")
    for note in e.notes:
        lines += comments(note)
    lines += comments(f"Tweak: {s.tweak}.")
    t = _layer_table(e)
    if s.seconds is not None:
        generator = _inline({"seconds": number(s.seconds)})
        generator.comment("length of a generated one-shot")
        t.add("generator", generator)
    t.add("rate_per_min", number(e.levels.rate))
    t.add("min_gap", f"{s.min_gap:g}s")
    t.add("gain_db", _with_comment([number(g) for g in e.levels.gain], "drawn per event"))
    t.add("pan", [number(p) for p in s.pan])
    t.add("distance", _with_comment([number(d) for d in e.levels.distance],
                                    "per event: 12 dB quieter and duller at 1"))
    t.add("variants", s.variants)
    if s.lowcut_hz is not None:
        t.add("lowcut_hz", number(s.lowcut_hz))
    return lines, t


def phase_tables(beds: list[Plan], events: list[Plan]) -> list[Table]:
    """A 25-minute loop: building (10 m), peak (5 m), settling back home (10 m)."""
    busier = [e for e in events if e.levels.rate > 0]
    secondary = beds[1:]
    out = []
    for name, duration, ramp, up in CYCLE:
        t = tomlkit.table()
        t.add("name", name)
        t.add("duration", duration)
        t.add("ramp", ramp)
        if not up:
            t.add(tomlkit.comment("home: every offset back to 0, every rate back to the "
                                  "layer's own"))
        for b in secondary:
            t.add(tomlkit.key(["layers", b.sound.key, "level_db"]), number(4.0 if up else 0.0))
        for e in busier:
            rate = min(e.levels.rate * (2.5 if up else 1.0), MAX_EVENTS_PER_MIN)
            t.add(tomlkit.key(["layers", e.sound.key, "rate_per_min"]), number(rate))
        if not secondary and not busier:
            t.add(tomlkit.key(["layers", beds[0].sound.key, "level_db"]),
                  number(2.0 if up else 0.0))
        out.append(t)
    return out


def scene_document(text: str, title: str, seed: int, r: Reading, beds: list[Plan],
                   events: list[Plan], notes: Sequence[str] = ()) -> tomlkit.TOMLDocument:
    """The scene file for the planned ``beds`` and ``events`` as a tomlkit document."""
    doc = tomlkit.document()
    _add_comments(doc, header(text, r, beds, notes))
    doc.add(tomlkit.nl())
    doc.add("title", title)
    doc.add("description", text)
    doc.add("tags", sorted({x.sound.key.split("-")[0] for x in beds + events}
                           | {word for word, _ in r.places}))
    doc.add(tomlkit.nl())
    doc.add("master", master_table(seed))
    generator = tomlkit.table()
    generator.comment("used by `soundscape generate` (GPU, optional)")
    generator.add("quality_prefix", "high quality field recording of")
    generator.add(tomlkit.nl())
    generator.add(tomlkit.comment("-- beds: continuous textures; the loudest at 0 dB, the "
                                  "others within 12 dB ----"))
    doc.add("generator", generator)
    # arrays added empty and filled as parsed ones: tomlkit puts no blank line of its
    # own between a table's comments and its header
    layers = AoT([], parsed=True)
    doc.add("layers", layers)
    tail: Any = generator  # comments before a header go at the end of the table above
    for i, layer in enumerate(beds + events):
        if events and layer is events[0]:
            tail.add(tomlkit.nl())
            tail.add(tomlkit.comment("-- events: one-shots at random times (Poisson, after "
                                     "a rest of min_gap) ----"))
        lines, table = (bed_table(layer, main=i == 0) if layer.sound.kind == "bed"
                        else event_table(layer))
        tail.add(tomlkit.nl())
        _add_comments(tail, lines)
        layers.append(table)
        tail = table
    if r.evolution:
        tail.add(tomlkit.nl())
        _add_comments(tail, comments(
            f"-- phases: {', '.join(repr(w) for w in r.evolution)} -> a 25-minute loop "
            "that builds, peaks and settles. The master keeps the loudness steady, so "
            "the build is heard as density (more events, the secondary beds up), not "
            "volume. The last phase returns every layer to its own values: the loop "
            "starts where it ends."))
        phases = AoT([], parsed=True)
        doc.add("phases", phases)
        for table in phase_tables(beds, events):
            tail.add(tomlkit.nl())
            phases.append(table)
            tail = table
    return doc
