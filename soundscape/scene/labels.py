"""Friendly names and icons of layers: what the player shows a listener.

A layer's ``label`` ("Rain on the roof") and ``icon`` (one of :data:`ICONS`) come from
the scene file when it gives them; otherwise :func:`layer_label` and
:func:`layer_icon` derive them, never empty:

* the label: the layer's name in words (``rain-outside`` -> "Rain outside") when the
  name is made of words; else the recipe's friendly name ("Crackling fire"); else the
  prompt's first phrase; else "Sound N";
* the icon: the recipe's icon; else the first word of the layer's name, then of its
  prompt, that names one (``thunder``, ``owl`` -> ``bird``); else ``noise``.

:data:`ICONS` (stated in :mod:`soundscape.scenefields`, whose ``icon`` field takes
them) is the set the player draws (soundscape/web): a new icon needs a drawing there
too. :data:`RECIPE_FACES` gives every procedural recipe its icon and friendly
name (tests/test_layer_labels.py keeps it in step with the recipes).

:func:`derived_label` and :func:`derived_icon` do the same from the parts alone, for
tools that write scene files (``soundscape new``).

Pure: no I/O; works on any :class:`~soundscape.scene.model.Layer`.
"""

from __future__ import annotations

import re

from ..scenefields import ICONS, MAX_LABEL_CHARS
from .model import Layer

__all__ = ["DEFAULT_ICON", "ICONS", "MAX_LABEL_CHARS", "RECIPE_FACES", "derived_icon",
           "derived_label", "icon_of_text", "layer_icon", "layer_label"]

DEFAULT_ICON = "noise"

# procedural recipe -> (icon, friendly name)
RECIPE_FACES: dict[str, tuple[str, str]] = {
    "bird": ("bird", "Bird song"),
    "birds": ("bird", "Birds"),
    "bowl": ("bowl", "Singing bowl"),
    "brook": ("water", "Brook"),
    "bullfrog": ("frog", "Bullfrog"),
    "cabin": ("noise", "Aeroplane cabin"),
    "chimes": ("chimes", "Wind chimes"),
    "clock": ("clock", "Ticking clock"),
    "crackle": ("fire", "Crackling fire"),
    "crickets": ("cricket", "Crickets"),
    "cutlery": ("cup", "Cups and spoons"),
    "drip": ("water", "Drips"),
    "fire": ("fire", "Fire"),
    "frogs": ("frog", "Frogs"),
    "gull": ("bird", "Gulls"),
    "gust": ("wind", "Gusts of wind"),
    "hail": ("rain", "Hail"),
    "hum": ("fan", "Soft hum"),
    "insects": ("cricket", "Night insects"),
    "lapping": ("water", "Lapping water"),
    "murmur": ("cafe", "Voices"),
    "noise": ("noise", "Soft noise"),
    "owl": ("bird", "Owl"),
    "pages": ("book", "Turning pages"),
    "peepers": ("frog", "Spring peepers"),
    "purr": ("cat", "Purring cat"),
    "rain": ("rain", "Rain"),
    "rapids": ("water", "Rapids"),
    "room-tone": ("fan", "Quiet room"),
    "snow-wind": ("snow", "Wind in the snow"),
    "surf": ("waves", "Surf"),
    "tent-rain": ("rain", "Rain on a tent"),
    "thunder": ("thunder", "Thunder"),
    "traffic": ("city", "Traffic"),
    "train": ("train", "Train"),
    "typing": ("keyboard", "Typing"),
    "underwater": ("water", "Underwater"),
    "wave": ("waves", "Waves"),
    "waterfall": ("water", "Waterfall"),
    "wind": ("wind", "Wind"),
    "woodpecker": ("bird", "Woodpecker"),
}

# word -> icon, for names and prompts (a plural matches too: 'crickets', 'chimes')
_WORDS = {
    "thunder": "thunder", "lightning": "thunder", "storm": "thunder",
    "rain": "rain", "drizzle": "rain", "downpour": "rain", "shower": "rain", "hail": "rain",
    "wave": "waves", "surf": "waves", "ocean": "waves", "sea": "waves", "shore": "waves",
    "tide": "waves", "beach": "waves",
    "fire": "fire", "ember": "fire", "flame": "fire", "crackle": "fire", "hearth": "fire",
    "log": "fire", "fireplace": "fire", "stove": "fire",
    "cricket": "cricket", "katydid": "cricket", "insect": "cricket", "cicada": "cricket",
    "frog": "frog", "peeper": "frog", "toad": "frog", "bullfrog": "frog",
    "bird": "bird", "song": "bird", "songbird": "bird", "chorus": "bird", "owl": "bird",
    "gull": "bird", "woodpecker": "bird", "blackbird": "bird", "robin": "bird", "dove": "bird",
    "wind": "wind", "breeze": "wind", "gust": "wind", "gale": "wind", "howl": "wind",
    "leaf": "leaves", "leaves": "leaves", "tree": "leaves", "forest": "leaves",
    "water": "water", "brook": "water", "stream": "water", "river": "water",
    "drip": "water", "drop": "water", "rapid": "water", "falls": "water",
    "waterfall": "water", "creek": "water", "pond": "water", "bubble": "water",
    "cafe": "cafe", "café": "cafe", "coffee": "cafe", "murmur": "cafe", "chatter": "cafe",
    "crowd": "cafe", "voices": "cafe",
    "cup": "cup", "spoon": "cup", "cutlery": "cup", "saucer": "cup", "dish": "cup",
    "train": "train", "rail": "train",
    "city": "city", "traffic": "city", "car": "city", "street": "city", "bus": "city",
    "clock": "clock", "tick": "clock",
    "keyboard": "keyboard", "typing": "keyboard", "laptop": "keyboard",
    "chime": "chimes", "bell": "chimes",
    "bowl": "bowl",
    "fan": "fan", "hum": "fan", "aircon": "fan", "ventilation": "fan",
    "cat": "cat", "purr": "cat",
    "snow": "snow", "winter": "snow", "blizzard": "snow",
    "book": "book", "page": "book", "paper": "book", "library": "book",
    "night": "night",
    "noise": "noise", "hiss": "noise", "hush": "noise",
}
# word beginnings -> icon ('crackling', 'rustling', 'drizzly')
_STEMS = {"crackl": "fire", "rustl": "leaves", "drizzl": "rain", "chirp": "cricket",
          "babbl": "water", "gurgl": "water", "purr": "cat", "ventil": "fan"}
_WORD = re.compile(r"[^\W\d_]+")
_PHRASE_END = re.compile(r"[,;:.(]")


def layer_icon(layer: Layer) -> str:
    """The icon the player shows for ``layer``: its ``icon``, else one derived from
    its recipe, name or prompt (in that order); always one of :data:`ICONS`."""
    return layer.icon or derived_icon(layer.name, layer.recipe, layer.prompt)


def derived_icon(name: str, recipe: str | None, prompt: str | None) -> str:
    """The icon of a layer that gives none: its recipe's, else the first word of its
    name, then of its prompt, that names one, else :data:`DEFAULT_ICON`."""
    if recipe in RECIPE_FACES:
        return RECIPE_FACES[recipe][0]
    for text in (name, prompt or ""):
        icon = icon_of_text(text)
        if icon is not None:
            return icon
    return DEFAULT_ICON


def icon_of_text(text: str) -> str | None:
    """The icon named by the first word of ``text`` that names one, or None."""
    for word in _WORD.findall(text.lower()):
        for form in (word, word[:-1] if word.endswith("s") else "",
                     word[:-2] if word.endswith("es") else ""):
            if form in _WORDS:
                return _WORDS[form]
        for stem, icon in _STEMS.items():
            if word.startswith(stem):
                return icon
    return None


def layer_label(layer: Layer) -> str:
    """The plain words the player shows for ``layer``: its ``label``, else one derived
    (:func:`derived_label`); never empty, at most MAX_LABEL_CHARS characters."""
    return layer.label or derived_label(layer.name, layer.recipe, layer.prompt,
                                        layer.index)


def derived_label(name: str, recipe: str | None, prompt: str | None, index: int = 0
                  ) -> str:
    """The label of a layer that gives none: its name in words, else its recipe's
    friendly name, else its prompt's first phrase, else "Sound N" (N = index + 1)."""
    face = RECIPE_FACES.get(recipe or "")
    for text in (_name_in_words(name), face[1] if face else None, _phrase(prompt)):
        if text:
            return _fit(text)
    return f"Sound {index + 1}"


def _name_in_words(name: str) -> str | None:
    """``rain-outside`` -> "Rain outside"; None when the name is not made of words
    (digits, or a part shorter than two letters: ``l1``, ``x``, ``layer_2``)."""
    parts = [p for p in re.split(r"[-_\s]+", name) if p]
    if not parts or not all(_WORD.fullmatch(p) and len(p) >= 2 for p in parts):
        return None
    if len(parts) == 1 and len(parts[0]) < 3:
        return None
    text = " ".join(parts).lower()
    return text[0].upper() + text[1:]


def _phrase(prompt: str | None) -> str | None:
    """A prompt's first phrase, capitalised: "a single songbird calling from a tree,
    distant" -> "A single songbird calling from a tree"."""
    if not prompt:
        return None
    text = " ".join(_PHRASE_END.split(prompt, 1)[0].split())
    if not _WORD.search(text):
        return None
    return text[0].upper() + text[1:]


def _fit(text: str) -> str:
    """``text`` cut at a word to at most MAX_LABEL_CHARS characters."""
    if len(text) <= MAX_LABEL_CHARS:
        return text
    cut = text[:MAX_LABEL_CHARS + 1].rsplit(" ", 1)[0]
    return (cut if cut else text)[:MAX_LABEL_CHARS].rstrip()
