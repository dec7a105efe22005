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
6. :func:`note_words` -- the rest: surface, settings, evolution words, sounds no
   recipe can make, negations (not understood: "no thunder" still adds thunder) and
   unknown words (little words in STOPWORDS are never reported).

:func:`read` runs them in that order. Pure: no I/O.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from .words import (
    MAX_PHRASE,
    NEGATIONS,
    NOISE_COLOR,
    PHRASES,
    SEPARATOR_WORDS,
    SETTINGS,
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
    surface: tuple[str, Surface] | None = None
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
            r.surface = (phrase, SURFACES[phrase])
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
    return r
