"""A starting scene from words: ``"rain on a tent with distant thunder"`` -> scene TOML.

Pure: no I/O. :func:`scene_text_from_words` reads a short description through one
transparent table and returns the text of a complete, commented scene file that
:func:`soundscape.scene.load_scene` accepts. The package, one step per module:

* :mod:`~soundscape.wordscene.words` -- the tables (:data:`SOUNDS`, :data:`WORDS`,
  :data:`MODIFIERS`, :data:`SURFACES`, :data:`PLACES`, :data:`SETTINGS`, ...),
  immutable data;
* :mod:`~soundscape.wordscene.reading` -- the words read: tokenise, clauses,
  mentions, modifiers, the other words;
* :mod:`~soundscape.wordscene.levels` -- each mention made a planned layer: modifier
  totals, levels, params and prompt; the beds balanced;
* :mod:`~soundscape.wordscene.document` -- the planned layers written as a commented
  tomlkit document.

How the words are read (simple on purpose, and said in the file's header):

1. The text is lower-cased and split into clauses at punctuation and at "and",
   "with", "plus", "while", "but", "then"; within a clause the longest phrase of the
   tables wins ("dawn chorus" before "chorus").
2. A modifier applies to every sound of its clause ("distant thunder", "thunder far
   away"); a clause with modifiers and no sound passes them to the sounds of the
   clause before ("rain, soft").
3. A sound named twice is one layer; its modifiers add up. Thunder is far unless a
   "close"/"near"/"overhead" modifier makes it near (:data:`SOUNDS`' ``close_key``).
   A place ("cafe", "forest", "train") adds the layers it has that the words did not
   name (:data:`PLACES`: murmur and cups, wind in the leaves and birds, the rail
   rhythm), each commented with the reason, with the modifiers of its clause.
4. Words in no table (and not common little words) are listed at the top of the
   file as ``# not understood: ...``. Negation is out of scope: "no thunder" still
   adds thunder, and the file says that a negation word was ignored.

Nothing recognised (only unknown words, or only settings: a place alone is a scene)
is an error listing the sound words that are understood: a default bed the user did
not ask for would hide the miss. An empty description, or one over
:data:`MAX_DESCRIPTION_CHARS`, is an error too. Every error is a
:class:`soundscape.errors.UsageError`.

Levels follow the shipped scenes: the loudest bed at 0 dB, other beds within 12 dB
of it (each sound's ``gain_db`` is its level as a secondary bed), events at gains
that stand a few dB over the beds (thunder, owls and gulls are accents, see
docs/scenes.md "What 0 dB means"). Event rates are somewhat busier than in the
shipped sleep scenes, so that what was asked for is heard within the first minute
or two.
Limits (title length, seed range, events per minute) are the scene format's, read
from :mod:`soundscape.scenefields`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace

import tomlkit

from ..errors import UsageError
from ..scenefields import MASTER_FIELDS, MAX_TITLE_CHARS, fields_for
from .document import scene_document, shown, words_list
from .levels import Plan, balance, carrier_for, plan
from .reading import Mention, Reading, clean, read
from .words import (
    EVOLUTION,
    HEADWORDS,
    MODIFIERS,
    PLACES,
    SETTINGS,
    SOUNDS,
    SURFACES,
    UNMAKEABLE,
    WORDS,
    Sound,
    understood_words,
)

__all__ = [
    "EVOLUTION", "HEADWORDS", "MAX_DESCRIPTION_CHARS", "MODIFIERS", "PLACES", "SETTINGS",
    "SOUNDS",
    "SURFACES", "UNMAKEABLE", "WORDS", "Sound", "not_understood", "scene_text_from_words",
    "sounds_asked_for", "understood_words",
]

MAX_DESCRIPTION_CHARS = 1000  # a sentence or two (the description's limit is MAX_TEXT_CHARS)
MAX_SEED = int(fields_for(MASTER_FIELDS)["seed"].high or 0)
TITLE_WORDS_CHARS = 60  # a default title: the description's start, cut at a word


def _default_title(description: str) -> str:
    title = ""
    for w in description.split():
        if len(title) + len(w) + 1 > TITLE_WORDS_CHARS:
            title += " ..."
            break
        title = f"{title} {w}" if title else w
    if not title or title == " ...":  # a first word of over 60 characters
        title = description[:TITLE_WORDS_CHARS - 3] + "..."
    return title[:1].upper() + title[1:]


def _check_inputs(description: object, title: object, seed: object) -> tuple[str, str | None]:
    if not isinstance(description, str):
        raise UsageError(f"description: {type(description).__name__} is not text")
    if len(description) > MAX_DESCRIPTION_CHARS:
        raise UsageError(f"description: {len(description)} characters is too long "
                         f"(at most {MAX_DESCRIPTION_CHARS}); describe the scene in a "
                         "sentence or two")
    text = clean(description)
    if not text:
        raise UsageError("description: it is empty; say what the scene should sound "
                         "like, e.g. \"rain on a tent with distant thunder and an owl\"")
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed <= MAX_SEED:
        raise UsageError(f"seed: {seed!r} is not an integer in 0..{MAX_SEED}")
    clean_title = None
    if title is not None:
        if not isinstance(title, str):
            raise UsageError(f"title: {type(title).__name__} is not text")
        clean_title = clean(title)
        if not clean_title:
            raise UsageError("title: it is empty")
        if len(clean_title) > MAX_TITLE_CHARS:
            raise UsageError(f"title: {len(clean_title)} characters is too long "
                             f"(at most {MAX_TITLE_CHARS})")
    return text, clean_title


def not_understood(description: str) -> list[str]:
    """The words of ``description`` in no table (what ``# not understood:`` lists), in
    order; UsageError for an empty or too long description. For the CLAP ranking."""
    text, _ = _check_inputs(description, None, 0)
    return read(text).unknown


def sounds_asked_for(description: str) -> list[str]:
    """The :data:`SOUNDS` keys the words of ``description`` ask for, in order (before
    "close" turns far thunder near or a tent turns rain into rain on a tent), the
    layers of the places it names and a lone sound's companion included; UsageError
    as :func:`not_understood`."""
    text, _ = _check_inputs(description, None, 0)
    return list(read(text).mentions)


def scene_document_from_words(description: str, *, title: str | None = None, seed: int = 0,
                              extra_sounds: Mapping[str, str] | None = None,
                              extra_notes: Sequence[str] = ()) -> tomlkit.TOMLDocument:
    """:func:`scene_text_from_words` as a tomlkit document (to edit before writing)."""
    text, clean_title = _check_inputs(description, title, seed)
    r = read(text)
    for key, reason in (extra_sounds or {}).items():
        if key not in SOUNDS:
            raise UsageError(f"extra_sounds: {key!r} is not a sound "
                             f"(known: {', '.join(SOUNDS)})")
        if key not in r.mentions:
            r.mentions[key] = Mention(key, reason=clean(reason)[:200])
    if not r.mentions:
        also = ""
        if r.unmakeable:
            also = f" ({words_list(r.unmakeable)}: no recipe can make that)"
        raise UsageError(
            f"description: no sound recognised in "
            f"{shown(text[:80] + ('...' if len(text) > 80 else ''))}"
            f"{also}; sounds understood: {', '.join(HEADWORDS)} (and their synonyms, "
            f"{len(WORDS)} words in all, listed in soundscape/wordscene/words.py), with "
            f"modifiers such as distant, close, heavy, light, occasional")
    beds, events = _layers(r)
    notes = [clean(n)[:300] for n in extra_notes]
    return scene_document(text, clean_title or _default_title(text), seed, r, beds, events,
                          notes)


def _layers(r: Reading) -> tuple[list[Plan], list[Plan]]:
    """One layer per sound (far and near thunder may both be asked for), beds balanced;
    events alone get a bed under them (else silence between them)."""
    layers: dict[str, Plan] = {}
    for m in r.mentions.values():
        layer = plan(m, r)
        key = layer.sound.key
        if key in layers:  # "distant thunder and close thunder" -> both; merge repeats
            old = layers[key]
            layers[key] = replace(old, words=old.words + tuple(
                w for w in layer.words if w not in old.words))
            continue
        layers[key] = layer
    beds = [x for x in layers.values() if x.sound.kind == "bed"]
    events = [x for x in layers.values() if x.sound.kind == "event"]
    if not beds:
        reason = "no word: added because events alone leave silence between them"
        key, mods = carrier_for(events)
        beds.append(plan(Mention(key, mods=list(mods), reason=reason), r))
    return balance(beds), events


def scene_text_from_words(description: str, *, title: str | None = None, seed: int = 0,
                          extra_sounds: Mapping[str, str] | None = None,
                          extra_notes: Sequence[str] = ()) -> str:
    """The text of a complete, commented scene file made from ``description``.

    ``title`` defaults to the start of the description; ``seed`` is the scene's
    ``master.seed`` (0 .. 2**32-1). ``extra_sounds`` adds sounds the words did not
    ask for (:data:`SOUNDS` key -> the reason, written in the layer's comment; the
    CLAP ranking of :mod:`soundscape.clapmatch` uses it), ``extra_notes`` adds
    header comment lines. The result loads with
    :func:`soundscape.scene.load_scene`. Raises UsageError (message naming the
    field and value) for an empty description, one over
    :data:`MAX_DESCRIPTION_CHARS` characters, one in which no sound is recognised
    (the message lists the sound words understood), a bad title or seed.
    """
    return tomlkit.dumps(scene_document_from_words(
        description, title=title, seed=seed, extra_sounds=extra_sounds,
        extra_notes=extra_notes))
