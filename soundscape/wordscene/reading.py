"""Reading a description: text -> a :class:`Reading` of what the words ask for.

Named steps, each testable alone (simple on purpose; the file's header says so):

1. :func:`clean` -- control characters out, whitespace collapsed;
2. :func:`tokenise` -- lower-cased words and clause marks (``,``);
3. :func:`clauses` -- tokens grouped into the tables' phrases (the longest wins:
   "dawn chorus" before "chorus") and split into clauses at punctuation and at
   "and", "with", "plus", "while", "but", "then";
4. :func:`mentions` -- the sounds a clause names (a sound named twice is one
   mention; its words and implied modifiers add up);
5. :func:`modifiers` -- the modifier words of a clause; they apply to every sound of
   their clause, and a clause with modifiers and no sound passes them to the sounds
   of the clause before ("rain, soft");
6. :func:`note_words` -- the rest: places, surface, settings, evolution words,
   sounds no recipe can make, negations (not understood: "no thunder" still adds
   thunder) and unknown words (little words in STOPWORDS are never reported);
7. :func:`place_layers` -- once every clause is read, each place named adds the
   layers it has (:data:`~soundscape.wordscene.words.PLACES`) that the words did not
   name already, with the modifiers of the place's clause and the reason for the
   layer's comment; a room (a cafe, a train) leads: its own sound is the main bed,
   and rain named there is outside (distant);
8. :func:`companion` -- a sound named alone, with no place, gets the layer that
   belongs with it ("traffic" -> people on the pavements, a cat's purr -> its room).

:func:`read` runs them in that order. Pure: no I/O.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from .words import (
    COMPANIONS,
    COVERS,
    MAX_PHRASE,
    NEGATIONS,
    NOISE_COLOR,
    PHRASES,
    PLACES,
    SEPARATOR_WORDS,
    SETTINGS,
    SOUNDS,
    STOPWORDS,
    SURFACES,
    WORDS,
    Surface,
)


@dataclass
class Mention:
    """A sound the words ask for: the words that asked, the modifiers that apply."""

    sound: str
    words: list[str] = field(default_factory=list)
    mods: list[str] = field(default_factory=list)
    reason: str = ""  # why, when no word asked for it


@dataclass
class Reading:
    """Everything read from a description, in the order the words came."""

    mentions: dict[str, Mention] = field(default_factory=dict)
    surface: tuple[str, Surface] | None = None  # the highest-ranked surface named
    places: list[tuple[str, list[str]]] = field(default_factory=list)  # word, clause mods
    settings: dict[str, str] = field(default_factory=dict)
    evolution: list[str] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)
    unmakeable: list[str] = field(default_factory=list)
    negations: list[str] = field(default_factory=list)
    noise_color: str | None = None


def clean(text: str) -> str:
    """Control characters and lone surrogates -> spaces; whitespace collapsed."""
    kept = "".join(" " if unicodedata.category(ch) in ("Cc", "Cs", "Cf", "Zl", "Zp")
                   else ch for ch in text)
    return " ".join(kept.split())


def tokenise(text: str) -> list[str]:
    """Lower-cased word tokens and clause marks (","), apostrophes kept in words."""
    out: list[str] = []
    for m in re.finditer(r"[^\W_]+(?:['\u2019-][^\W_]+)*|[,;.!?:&/()]", text.casefold()):
        tok = m.group(0).replace("\u2019", "'")
        out.append("," if tok in ",;.!?:/()" else tok)
    return out


def clauses(tokens: list[str]) -> list[list[str]]:
    """Tokens grouped into phrases (longest table match first) and split into clauses."""
    out: list[list[str]] = [[]]
    i = 0
    while i < len(tokens):
        for n in range(min(MAX_PHRASE, len(tokens) - i), 0, -1):
            phrase = " ".join(tokens[i:i + n])
            if n == 1 or phrase in PHRASES:
                break
        if phrase == "," or phrase in SEPARATOR_WORDS:
            if out[-1]:
                out.append([])
        else:
            out[-1].append(phrase)
        i += n
    return [c for c in out if c]


def mentions(r: Reading, clause: list[str]) -> list[Mention]:
    """The sounds ``clause`` names, as mentions of ``r`` (made or added to), in order."""
    here: list[Mention] = []
    for phrase in clause:
        if PHRASES.get(phrase) != "sound":
            continue
        if phrase in NOISE_COLOR:
            r.noise_color = NOISE_COLOR[phrase]
        for key, implied in WORDS[phrase]:
            m = r.mentions.setdefault(key, Mention(key))
            if phrase not in m.words:
                m.words.append(phrase)
            m.mods.extend(implied)
            if m not in here:
                here.append(m)
    return here


def modifiers(clause: list[str]) -> list[str]:
    """The modifier words of ``clause``, in order."""
    return [phrase for phrase in clause if PHRASES.get(phrase) == "modifier"]


def note_words(r: Reading, clause: list[str]) -> None:
    """Note in ``r`` every word of ``clause`` that is neither a sound nor a modifier."""
    for phrase in clause:
        kind = PHRASES.get(phrase)
        if kind in ("sound", "modifier"):
            continue
        if kind == "surface":
            _surface(r, phrase, SURFACES[phrase])
        elif kind == "place":
            if all(word != phrase for word, _ in r.places):
                r.places.append((phrase, modifiers(clause)))
            surface = PLACES[phrase].surface
            if surface is not None:
                _surface(r, phrase, surface)
        elif kind == "setting":
            r.settings[phrase] = SETTINGS[phrase]
        elif kind == "evolution":
            r.evolution.append(phrase)
        elif kind == "unmakeable":
            _add_once(r.unmakeable, phrase)
        elif phrase in NEGATIONS:
            _add_once(r.negations, phrase)
        elif phrase not in STOPWORDS and not phrase.isdigit():
            _add_once(r.unknown, phrase)


def _surface(r: Reading, phrase: str, surface: Surface) -> None:
    """Keep the surface of the higher rank (a tent over a forest), the first of equals."""
    if r.surface is None or surface.rank > r.surface[1].rank:
        r.surface = (phrase, surface)


def place_layers(r: Reading) -> None:
    """Add to ``r`` the layers of the places it names (see the module's step 7)."""
    named = list(r.mentions)
    covered = {SOUNDS[k].recipe for k in named}
    covered.update(SOUNDS[c].recipe for k in named for c in COVERS.get(k, ()))
    night = "night" in r.settings.values()
    lead: str | None = None
    for word, mods in r.places:
        place = PLACES[word]
        for layer in place.layers:
            when = {"": True, "night": night, "day": not night, "rain": "rain" in named,
                    "alone": not named}[layer.when]
            if not when or layer.sound in r.mentions or SOUNDS[layer.sound].recipe in covered:
                continue
            r.mentions[layer.sound] = Mention(layer.sound, [word], [*layer.mods, *mods],
                                              reason=layer.why)
        first = place.layers[0].sound
        if (lead is None and place.leads and SOUNDS[first].kind == "bed"
                and first in r.mentions):
            lead = first
        if "rain" in r.mentions and place.rain_mods:
            r.mentions["rain"].mods.extend(m for m in place.rain_mods
                                           if m not in r.mentions["rain"].mods)
    if lead is not None:
        r.mentions = {lead: r.mentions[lead],
                      **{k: m for k, m in r.mentions.items() if k != lead}}


def companion(r: Reading, surface_sound: str | None = None) -> None:
    """One sound named alone, and no place: add the layer that belongs with it
    (:data:`~soundscape.wordscene.words.COMPANIONS`), with its reason. ``surface_sound``
    is the sound rain becomes on the surface named (rain on a tent)."""
    if r.places or len(r.mentions) != 1:
        return
    (key, m), = r.mentions.items()
    layer = COMPANIONS.get(surface_sound if key == "rain" and surface_sound else key)
    if layer is not None and layer.sound not in r.mentions:
        r.mentions[layer.sound] = Mention(layer.sound, [], [*layer.mods],
                                          reason=f"with {', '.join(repr(w) for w in m.words)}"
                                                 f": {layer.why}")


def _add_once(items: list[str], phrase: str) -> None:
    if phrase not in items:
        items.append(phrase)


def read(text: str) -> Reading:
    """What the cleaned ``text`` asks for (see the module's steps)."""
    r = Reading()
    previous: list[Mention] = []
    for clause in clauses(tokenise(text)):
        here = mentions(r, clause)
        note_words(r, clause)
        for m in here or previous:
            m.mods.extend(modifiers(clause))
        if here:
            previous = here
    place_layers(r)
    companion(r, r.surface[1].own if r.surface is not None else None)
    return r
