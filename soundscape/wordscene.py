"""A starting scene from words: ``"rain on a tent with distant thunder"`` -> scene TOML.

Pure: no I/O. :func:`scene_text_from_words` reads a short description through one
transparent table and returns the text of a complete, commented scene file that
:func:`soundscape.scene.load_scene` accepts. The table is data, below:

* :data:`SOUNDS` -- every layer a description can ask for (one per procedural recipe
  use): bed or event, recipe and params, generator prompt, level, event rate and gap,
  pan and width, the recipe param that "heavy"/"light" move, and what to tweak.
* :data:`WORDS` -- words and short phrases (synonyms) -> the sounds they add, with
  the modifiers they imply ("drizzle" is light rain, "downpour" heavy rain).
* :data:`MODIFIERS` -- "distant", "close", "heavy", "light", "frequent", "occasional"
  and their synonyms, and what each does to a bed and to an event.
* :data:`SURFACES` -- what the rain falls on. The ``rain`` recipe knows only
  ``window``, ``leaves`` and ``roof``; a tent, an umbrella or a car is closest to a
  roof heard from under it, and the prompt keeps the word ("rain on a tent").
* :data:`SETTINGS` -- words that shape the scene without a layer of their own
  ("night", "dawn"); :data:`EVOLUTION` -- words that ask for a change over time
  ("rolling in", "building"), which add a simple 25-minute phase cycle;
  :data:`UNMAKEABLE` -- sounds we recognise but no recipe can make (frogs, a cafe),
  listed in the file instead of silently dropped.

How the words are read (simple on purpose, and said in the file's header):

1. The text is lower-cased and split into clauses at punctuation and at "and",
   "with", "plus", "while", "but", "then"; within a clause the longest phrase of the
   tables wins ("dawn chorus" before "chorus").
2. A modifier applies to every sound of its clause ("distant thunder", "thunder far
   away"); a clause with modifiers and no sound passes them to the sounds of the
   clause before ("rain, soft").
3. A sound named twice is one layer; its modifiers add up. Thunder is far unless a
   "close"/"near"/"overhead" modifier makes it near (:data:`SOUNDS`' ``close_key``).
4. Words in no table (and not common little words) are listed at the top of the
   file as ``# not understood: ...``. Negation is out of scope: "no thunder" still
   adds thunder, and the file says that a negation word was ignored.

Nothing recognised (only unknown words, or only settings) is an error listing the
sound words that are understood: a default bed the user did not ask for would hide
the miss. An empty description, or one over :data:`MAX_DESCRIPTION_CHARS`, is an
error too. Every error is a :class:`soundscape.errors.UsageError`.

Levels follow the shipped scenes: the loudest bed at 0 dB, other beds within 12 dB
of it (each sound's ``gain_db`` is its level as a secondary bed), events at gains
that stand a few dB over the beds (thunder, owls and gulls are accents, see
docs/scenes.md "What 0 dB means"). Event rates are somewhat busier than in the
shipped sleep scenes, so that what was asked for is heard within the first minute
or two.
"""

from __future__ import annotations

import json
import re
import textwrap
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from .errors import UsageError

__all__ = [
    "EVOLUTION", "HEADWORDS", "MAX_DESCRIPTION_CHARS", "MODIFIERS", "SETTINGS", "SOUNDS",
    "SURFACES", "UNMAKEABLE", "WORDS", "Sound", "not_understood", "scene_text_from_words",
    "sounds_asked_for", "understood_words",
]

MAX_DESCRIPTION_CHARS = 1000
MAX_TITLE_CHARS = 200  # the scene format's limit
MAX_SEED = 2**32 - 1


@dataclass(frozen=True)
class Sound:
    """One layer a description can ask for.

    ``gain_db`` is the level as a *secondary* bed (the loudest bed is moved to 0 dB)
    or an event's gain range; ``amount`` names the recipe param that "heavy" raises
    and "light" lowers (None: the modifiers change the level only). ``close_key``
    is the sound used instead when the words say close/near (far thunder -> near).
    """

    key: str  # the layer's name in the scene
    kind: str  # "bed" or "event"
    recipe: str
    params: dict[str, float | str]
    prompt: str
    what: str  # one line for the layer's comment
    tweak: str  # what to change, for the layer's comment
    gain_db: tuple[float, float]  # a bed uses the first value
    amount: str | None = None
    width: float = 1.3  # beds
    crossfade: str = "4s"  # beds
    breathing: tuple[float, str, str] = (3.0, "30s", "90s")  # beds: depth, period range
    rate_per_min: float = 0.0  # events
    min_gap: float = 0.0  # events, seconds
    pan: tuple[float, float] = (0.0, 0.0)  # events: range; beds: first value
    distance: tuple[float, float] = (0.0, 0.5)  # events
    seconds: float | None = None  # events: generator.seconds
    lowcut_hz: float | None = None
    highcut_hz: float | None = None
    variants: int = 6
    close_key: str | None = None


_SOUND_LIST: list[Sound] = [
    # -- beds ---------------------------------------------------------------------
    Sound("rain", "bed", "rain", {"intensity": 0.5, "surface": "leaves"},
          "steady rain {surface}, no thunder",
          "rain: drop impacts on a surface over a wash",
          "params.intensity (0 drizzle .. 1 downpour), params.surface (window, leaves, roof)",
          (-4.0, -4.0), amount="intensity", width=1.3, crossfade="3s",
          breathing=(2.0, "30s", "90s"), lowcut_hz=40),
    Sound("wind", "bed", "wind", {"strength": 0.4, "gustiness": 0.5},
          "wind blowing outdoors, whooshing, no rain",
          "wind: noise through a wandering band-pass, with gusts",
          "params.strength (0 breeze .. 1 gale), params.gustiness (0 steady .. 1 gusty)",
          (-9.0, -9.0), amount="strength", width=1.4, breathing=(4.0, "15s", "50s"),
          lowcut_hz=60),
    Sound("surf", "bed", "surf", {"period": 10.0},
          "ocean waves breaking on a sandy beach, foam hissing, calm sea",
          "surf: breakers that swell, crash and hiss back",
          "params.period (6..14 s between waves); highcut_hz for a far sea",
          (-4.0, -4.0), width=1.3, breathing=(2.0, "40s", "120s"), lowcut_hz=30),
    Sound("brook", "bed", "brook", {"flow": 0.5},
          "small brook babbling over stones, clear water, no rain",
          "brook: clustered bubbles over a bright wash",
          "params.flow (0 trickle .. 1 rushing stream)",
          (-6.0, -6.0), amount="flow", width=1.3, crossfade="3s",
          breathing=(2.0, "25s", "80s"), lowcut_hz=50),
    Sound("fire", "bed", "fire", {"intensity": 0.55},
          "wood fire burning, soft roar of flames, gentle crackling",
          "fire: a soft roar and hiss with sparse crackles",
          "params.intensity (0 embers .. 1 roaring fire); width (a fire in front is narrow)",
          (-4.0, -4.0), amount="intensity", width=0.8, crossfade="3s",
          breathing=(2.5, "15s", "45s"), lowcut_hz=40),
    Sound("crickets", "bed", "crickets", {"density": 0.45},
          "crickets chirping in tall grass on a warm night, calm",
          "crickets: chirps and trills at 2.5-6 kHz from many singers",
          "params.density (0 a few .. 1 a dense chorus); these measure loud, keep them low",
          (-9.0, -9.0), amount="density", width=1.3, crossfade="3s",
          breathing=(2.5, "20s", "60s"), lowcut_hz=800),
    Sound("insects", "bed", "insects", {"kind": "night", "density": 0.5},
          "soft drone of many insects, distant, steady",
          "insects: a night-insect drone (kind = \"cicada\" for a cicada buzz)",
          "params.kind (night, cicada), params.density (0..1)",
          (-10.0, -10.0), amount="density", width=1.4, breathing=(2.0, "30s", "90s")),
    Sound("cicadas", "bed", "insects", {"kind": "cicada", "density": 0.5},
          "cicadas buzzing in the trees on a hot afternoon",
          "cicadas: a dense pulsed buzz (the insects recipe, kind cicada)",
          "params.density (0..1)",
          (-10.0, -10.0), amount="density", width=1.4, breathing=(2.0, "30s", "90s")),
    Sound("birds", "bed", "birds", {"density": 0.35},
          "songbirds calling in a quiet forest, spacious, natural reverb",
          "birds: calls and short songs scattered in stereo",
          "params.density (0 an occasional call .. 1 a dawn chorus)",
          (-6.0, -6.0), amount="density", width=1.5, breathing=(3.0, "30s", "90s"),
          lowcut_hz=300),
    Sound("noise", "bed", "noise", {"color": "pink"},
          "steady soft noise, even and smooth",
          "noise: independent left/right coloured noise",
          "params.color (white, pink, brown)",
          (-6.0, -6.0), width=1.0, breathing=(0.0, "30s", "90s")),
    # -- events -------------------------------------------------------------------
    Sound("thunder-far", "event", "thunder", {"distance": 0.85},
          "distant thunder rolling and rumbling far away, low and long",
          "far thunder: a rumble rolling in from miles away",
          "rate_per_min (how often), gain_db (how loud), params.distance (0 crack .. 1 rumble)",
          (1.0, 7.0), rate_per_min=0.8, min_gap=25.0, pan=(-0.8, 0.8),
          distance=(0.2, 0.7), seconds=10.0, lowcut_hz=25, variants=8,
          close_key="thunder-near"),
    Sound("thunder-near", "event", "thunder", {"distance": 0.15},
          "close thunder clap, sharp crack followed by a deep rolling boom",
          "near thunder: a sharp crack and a deep boom (the limiter takes the crack)",
          "rate_per_min, gain_db (these stand well above the beds on purpose)",
          (8.0, 13.0), rate_per_min=0.6, min_gap=30.0, pan=(-0.6, 0.6),
          distance=(0.0, 0.25), seconds=10.0, lowcut_hz=25, variants=6),
    Sound("gusts", "event", "gust", {"strength": 0.6},
          "a single strong gust of wind rushing past, rising and falling, outdoors",
          "gusts: single gusts that swell and die away, 3-8 s",
          "rate_per_min, gain_db, params.strength (0..1)",
          (-10.0, -4.0), amount="strength", rate_per_min=2.5, min_gap=6.0,
          pan=(-0.8, 0.8), distance=(0.0, 0.5), seconds=8.0, lowcut_hz=60, variants=8),
    Sound("waves", "event", "wave", {},
          "a single ocean wave rolling in, crashing and washing up the sand, then receding",
          "waves: single close breakers on top of the surf",
          "rate_per_min, gain_db, distance",
          (-5.0, 1.0), rate_per_min=3.0, min_gap=8.0, pan=(-0.6, 0.6),
          distance=(0.0, 0.5), seconds=10.0, lowcut_hz=30, variants=8),
    Sound("crackles", "event", "crackle", {},
          "a loud pop of burning wood with a short sizzle, close",
          "crackles: pops and snaps of the burning wood",
          "rate_per_min, gain_db, pan (keep it narrow: the fire is in front)",
          (-12.0, -4.0), rate_per_min=8.0, min_gap=0.6, pan=(-0.4, 0.4),
          distance=(0.0, 0.4), seconds=3.0, variants=8),
    Sound("song", "event", "bird", {},
          "a single songbird singing a short phrase in a forest, clear, with reverb",
          "song: single birds singing from near and far",
          "rate_per_min, gain_db, distance",
          (-14.0, -6.0), rate_per_min=4.0, min_gap=5.0, pan=(-0.9, 0.9),
          distance=(0.0, 0.7), seconds=5.0, lowcut_hz=300, variants=8),
    Sound("owl", "event", "owl", {},
          "an owl hooting in a forest at night, with natural reverb",
          "owl: a long hoot, a pause, two or three short hoots",
          "rate_per_min (an owl is rare; 0.3 is one every 3 minutes), gain_db, distance",
          (-6.0, 0.0), rate_per_min=1.0, min_gap=30.0, pan=(-0.9, 0.9),
          distance=(0.2, 0.6), seconds=6.0, lowcut_hz=150, variants=5),
    Sound("gulls", "event", "gull", {},
          "a herring gull calling over the sea, laughing kyow calls, open air",
          "gulls: a herring gull's long calls or its laughing call",
          "rate_per_min, gain_db, distance",
          (-8.0, -2.0), rate_per_min=1.2, min_gap=20.0, pan=(-0.9, 0.9),
          distance=(0.3, 0.9), seconds=5.0, lowcut_hz=300, variants=8),
    Sound("drips", "event", "drip", {},
          "a single water drop falling into a puddle, clear plop, close",
          "drips: single drops falling into water",
          "rate_per_min, gain_db, pan",
          (-11.0, -4.0), rate_per_min=10.0, min_gap=1.0, pan=(-0.9, 0.9),
          distance=(0.0, 0.4), seconds=2.0, variants=6),
]

SOUNDS: dict[str, Sound] = {s.key: s for s in _SOUND_LIST}


@dataclass(frozen=True)
class Modifier:
    """What a modifier word does. ``amount``: +1 heavy / -1 light; ``distance``: +1
    distant / -1 close; ``rate``: a factor on an event's rate."""

    amount: int = 0
    distance: int = 0
    rate: float = 1.0


_HEAVY, _LIGHT = Modifier(amount=1), Modifier(amount=-1)
_FAR, _CLOSE = Modifier(distance=1), Modifier(distance=-1)
_OFTEN, _RARE = Modifier(rate=2.0), Modifier(rate=0.5)

MODIFIERS: dict[str, Modifier] = {
    **dict.fromkeys(["distant", "far", "far away", "faraway", "far off", "far-off",
                     "in the distance", "remote", "muffled", "outside", "away"], _FAR),
    **dict.fromkeys(["close", "near", "nearby", "close by", "overhead", "closer",
                     "right here", "up close", "above"], _CLOSE),
    **dict.fromkeys(["heavy", "heavier", "strong", "stronger", "loud", "intense", "hard",
                     "pounding", "big", "roaring", "raging", "howling", "fierce",
                     "violent", "lively", "rushing", "dense", "thick", "full"], _HEAVY),
    **dict.fromkeys(["light", "lighter", "gentle", "soft", "softer", "quiet", "faint",
                     "calm", "little", "small", "slight", "mild", "soothing", "low",
                     "sparse", "thin", "weak", "tiny", "peaceful", "lazy"], _LIGHT),
    **dict.fromkeys(["frequent", "many", "lots", "lots of", "constant", "often",
                     "busy", "plenty", "plenty of", "repeated"], _OFTEN),
    **dict.fromkeys(["occasional", "rare", "sometimes", "sporadic", "now and then",
                     "every now and then", "from time to time", "odd", "lone", "single",
                     "few", "a few", "once in a while"], _RARE),
}

# word -> [(sound key, implied modifier words)]
WORDS: dict[str, list[tuple[str, tuple[str, ...]]]] = {
    **dict.fromkeys(["rain", "raining", "rainfall", "rainy", "rains", "showers",
                     "shower", "rainstorm", "raindrops"], [("rain", ())]),
    **dict.fromkeys(["drizzle", "drizzling", "sprinkle", "sprinkling"],
                    [("rain", ("light",))]),
    **dict.fromkeys(["downpour", "pouring", "torrential", "deluge", "cloudburst",
                     "pouring rain", "monsoon"], [("rain", ("heavy",))]),
    **dict.fromkeys(["thunder", "thunderclap", "thunderclaps", "lightning", "rumble",
                     "rumbling", "thunders", "rolling thunder"], [("thunder-far", ())]),
    **dict.fromkeys(["storm", "thunderstorm", "storms", "stormy", "tempest"],
                    [("rain", ("heavy",)), ("thunder-far", ()), ("wind", ())]),
    **dict.fromkeys(["wind", "winds", "windy", "blowing"], [("wind", ())]),
    **dict.fromkeys(["breeze", "breezy", "draught", "draft"], [("wind", ("light",))]),
    **dict.fromkeys(["gale", "gales", "blizzard", "hurricane"], [("wind", ("heavy",)),
                                                                  ("gusts", ())]),
    **dict.fromkeys(["gust", "gusts", "gusty", "gusting", "whoosh", "whooshing"],
                    [("gusts", ())]),
    **dict.fromkeys(["surf", "ocean", "sea", "beach", "shore", "seaside", "coast",
                     "seashore", "tide", "tides"], [("surf", ())]),
    **dict.fromkeys(["waves", "wave", "breakers", "breaking waves", "crashing waves"],
                    [("surf", ()), ("waves", ())]),
    **dict.fromkeys(["brook", "stream", "creek", "river", "babbling", "burbling",
                     "gurgling", "water"], [("brook", ())]),
    **dict.fromkeys(["trickle", "trickling", "rill"], [("brook", ("light",))]),
    **dict.fromkeys(["rapids", "waterfall", "torrent", "cascade"], [("brook", ("heavy",))]),
    **dict.fromkeys(["fire", "fireplace", "campfire", "bonfire", "hearth", "fireside",
                     "stove", "wood stove", "burning", "flames", "logs"],
                    [("fire", ()), ("crackles", ())]),
    **dict.fromkeys(["embers"], [("fire", ("light",))]),
    **dict.fromkeys(["crackling", "crackle", "crackles", "pops", "popping", "snaps",
                     "crackling fire"], [("fire", ()), ("crackles", ())]),
    **dict.fromkeys(["crickets", "cricket", "katydids", "grasshoppers", "chirping crickets"],
                    [("crickets", ())]),
    **dict.fromkeys(["insects", "bugs", "night insects", "buzzing", "hum", "humming"],
                    [("insects", ())]),
    **dict.fromkeys(["cicadas", "cicada"], [("cicadas", ())]),
    **dict.fromkeys(["birds", "birdsong", "songbirds", "birdcalls", "tweeting",
                     "warbling"], [("birds", ()), ("song", ())]),
    **dict.fromkeys(["bird", "songbird", "blackbird", "robin", "thrush", "wren",
                     "bird call", "bird song"], [("song", ())]),
    **dict.fromkeys(["dawn chorus", "chorus", "birdsong chorus"],
                    [("birds", ("heavy",)), ("song", ())]),
    **dict.fromkeys(["owl", "owls", "hooting", "hoot", "hoots", "tawny owl"], [("owl", ())]),
    **dict.fromkeys(["gulls", "gull", "seagulls", "seagull", "seabirds"], [("gulls", ())]),
    **dict.fromkeys(["drips", "drip", "dripping", "drops", "droplets", "drop", "gutter",
                     "puddle", "puddles", "leak", "leaking", "cave"], [("drips", ())]),
    **dict.fromkeys(["noise", "white noise", "static"], [("noise", ())]),
    **dict.fromkeys(["pink noise"], [("noise", ())]),
    **dict.fromkeys(["brown noise", "brownian noise", "red noise"], [("noise", ())]),
}

# noise colours named by the words
_NOISE_COLOR = {"white noise": "white", "static": "white", "pink noise": "pink",
                "brown noise": "brown", "brownian noise": "brown", "red noise": "brown"}


@dataclass(frozen=True)
class Surface:
    """What the rain falls on: the recipe's surface and the words for the prompt."""

    surface: str  # window, leaves or roof
    phrase: str  # for the prompt: "on a tent"
    closest: bool = False  # True when the recipe has no such surface (roof stands in)


SURFACES: dict[str, Surface] = {
    "tent": Surface("roof", "pattering on a tent, heard from inside", True),
    "tarp": Surface("roof", "pattering on a tarp", True),
    "umbrella": Surface("roof", "pattering on an umbrella", True),
    "car": Surface("roof", "drumming on a car roof, heard from inside", True),
    "caravan": Surface("roof", "drumming on a caravan roof, heard from inside", True),
    "roof": Surface("roof", "on a roof, heard from under it"),
    "rooftop": Surface("roof", "on a rooftop"),
    "tin roof": Surface("roof", "drumming on a tin roof", True),
    "attic": Surface("roof", "on the roof, heard from the attic"),
    "porch": Surface("roof", "on a porch roof"),
    "cabin": Surface("roof", "on a cabin roof, heard from inside"),
    "window": Surface("window", "pattering on a window"),
    "windows": Surface("window", "pattering on the windows"),
    "windowpane": Surface("window", "on a windowpane"),
    "glass": Surface("window", "on glass"),
    "skylight": Surface("window", "on a skylight", True),
    "leaves": Surface("leaves", "falling on leaves and wet ground"),
    "trees": Surface("leaves", "falling through the trees"),
    "forest": Surface("leaves", "falling in a forest, on leaves"),
    "woods": Surface("leaves", "falling in the woods"),
    "garden": Surface("leaves", "falling on a garden"),
    "jungle": Surface("leaves", "falling in a jungle", True),
    "grass": Surface("leaves", "falling on grass", True),
}

# words that shape the scene without a layer of their own: word -> what it does
SETTINGS: dict[str, str] = {
    **dict.fromkeys(["night", "evening", "midnight", "nighttime", "dusk", "dark"], "night"),
    **dict.fromkeys(["dawn", "morning", "sunrise", "daybreak"], "dawn"),
    **dict.fromkeys(["summer", "hot", "afternoon"], "summer"),
    **dict.fromkeys(["sleep", "sleeping", "relaxing", "cozy", "cosy", "meadow", "field",
                     "valley", "mountain", "countryside", "outdoors", "indoors", "inside",
                     "camping", "bed", "home", "house", "room", "lake", "pond"], "place"),
}

EVOLUTION: frozenset[str] = frozenset([
    "rolling in", "rolls in", "roll in", "coming in", "building", "builds", "build",
    "approaching", "approaches", "gathering", "growing", "grows", "intensifying",
    "coming closer", "comes closer", "passing", "passes", "comes and goes",
    "coming and going", "swelling", "swells",
])

# sounds people ask for that no recipe can make (listed in the file, not guessed at)
UNMAKEABLE: frozenset[str] = frozenset([
    "frog", "frogs", "toad", "toads", "cafe", "café", "coffee", "cups", "cup", "dishes",
    "people", "voices", "voice", "chatter", "crowd", "talking", "traffic", "cars", "city",
    "street", "train", "trains", "music", "piano", "guitar", "dog", "dogs", "barking",
    "cat", "cats", "purring", "clock", "ticking", "fan", "footsteps", "bells", "bell",
    "chimes", "wind chimes", "boat", "whale", "whales", "keyboard", "typing", "library",
    "snow", "ice", "cows", "sheep", "horse", "horses", "wolf", "wolves", "airplane",
    "plane", "engine", "ship", "harbour", "harbor", "market", "children", "kids",
    "laughter", "office", "rooster", "ducks", "geese", "bees", "heartbeat", "radio",
])

NEGATIONS: frozenset[str] = frozenset(["no", "not", "without", "never", "none", "nor",
                                       "minus", "except"])

# little words that carry no sound: never reported as "not understood"
STOPWORDS: frozenset[str] = frozenset("""
a an the of on in at to by from into onto over under through across around against
along among behind below beneath beside between beyond near off out up down upon
within about after before during for as like than so very too quite rather somewhat
some any all each every both either this that these those there here it its it's
is are was were be been being am has have had do does did i me my we our you your
he she they them their his her one two three while whilst where when which who what
how just also still only more most much even again ever yet s t
falling falls fall pattering pattering tapping hitting drumming sound sounds noises
time times then chirping chirp singing sings calling calls call crashing breaking
""".split())

_SEPARATOR_WORDS = frozenset(["and", "with", "plus", "while", "but", "then", "&", "or",
                              "also", "whilst"])
_MAX_PHRASE = 4


def _phrases() -> dict[str, str]:
    """Every phrase of the tables -> its table ("sound", "modifier", ...)."""
    out: dict[str, str] = {}
    for table, name in ((UNMAKEABLE, "unmakeable"), (SETTINGS, "setting"),
                        (EVOLUTION, "evolution"), (SURFACES, "surface"),
                        (MODIFIERS, "modifier"), (WORDS, "sound")):
        for phrase in table:
            out[phrase] = name  # later tables win: a sound word beats a setting
    return out


_PHRASES = _phrases()


# one or two words per sound, for the "nothing recognised" message
HEADWORDS: tuple[str, ...] = (
    "rain", "drizzle", "downpour", "thunder", "storm", "wind", "breeze", "gusts", "surf",
    "waves", "brook", "stream", "river", "fire", "campfire", "crackling", "crickets",
    "insects", "cicadas", "birds", "dawn chorus", "owl", "gulls", "drips",
    "white/pink/brown noise",
)


def understood_words() -> list[str]:
    """Every sound word and phrase of the table, sorted (for docs and tests)."""
    return sorted(WORDS)


# -- reading ------------------------------------------------------------------------

@dataclass
class _Mention:
    sound: str
    words: list[str] = field(default_factory=list)  # the words that asked for it
    mods: list[str] = field(default_factory=list)  # modifier words that apply
    reason: str = ""  # why, when no word asked for it


@dataclass
class _Reading:
    mentions: dict[str, _Mention] = field(default_factory=dict)
    surface: tuple[str, Surface] | None = None
    settings: dict[str, str] = field(default_factory=dict)
    evolution: list[str] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)
    unmakeable: list[str] = field(default_factory=list)
    negations: list[str] = field(default_factory=list)
    noise_color: str | None = None
    notes: list[str] = field(default_factory=list)


def _clean(text: str) -> str:
    """Control characters and lone surrogates -> spaces; whitespace collapsed."""
    kept = "".join(" " if unicodedata.category(ch) in ("Cc", "Cs", "Cf", "Zl", "Zp")
                   else ch for ch in text)
    return " ".join(kept.split())


def _tokens(text: str) -> list[str]:
    """Lower-cased word tokens and clause marks (","), apostrophes kept in words."""
    out: list[str] = []
    for m in re.finditer(r"[^\W_]+(?:['\u2019-][^\W_]+)*|[,;.!?:&/()]", text.casefold()):
        tok = m.group(0).replace("\u2019", "'")
        out.append("," if tok in ",;.!?:/()" else tok)
    return out


def _clauses(tokens: list[str]) -> list[list[str]]:
    """Tokens grouped into phrases (longest table match first) and split into clauses."""
    clauses: list[list[str]] = [[]]
    i = 0
    while i < len(tokens):
        for n in range(min(_MAX_PHRASE, len(tokens) - i), 0, -1):
            phrase = " ".join(tokens[i:i + n])
            if n == 1 or phrase in _PHRASES:
                break
        if phrase == "," or phrase in _SEPARATOR_WORDS:
            if clauses[-1]:
                clauses.append([])
        else:
            clauses[-1].append(phrase)
        i += n
    return [c for c in clauses if c]


def _read(description: str) -> _Reading:
    r = _Reading()
    previous: list[_Mention] = []
    for clause in _clauses(_tokens(description)):
        here: list[_Mention] = []
        mods: list[str] = []
        for phrase in clause:
            kind = _PHRASES.get(phrase)
            if kind == "sound":
                if phrase in _NOISE_COLOR:
                    r.noise_color = _NOISE_COLOR[phrase]
                for key, implied in WORDS[phrase]:
                    m = r.mentions.setdefault(key, _Mention(key))
                    if phrase not in m.words:
                        m.words.append(phrase)
                    m.mods.extend(implied)
                    if m not in here:
                        here.append(m)
            elif kind == "modifier":
                mods.append(phrase)
            elif kind == "surface":
                r.surface = (phrase, SURFACES[phrase])
            elif kind == "setting":
                r.settings[phrase] = SETTINGS[phrase]
            elif kind == "evolution":
                r.evolution.append(phrase)
            elif kind == "unmakeable":
                if phrase not in r.unmakeable:
                    r.unmakeable.append(phrase)
            elif phrase in NEGATIONS:
                if phrase not in r.negations:
                    r.negations.append(phrase)
            elif phrase not in STOPWORDS and not phrase.isdigit():
                if phrase not in r.unknown:
                    r.unknown.append(phrase)
        targets = here or previous
        for m in targets:
            m.mods.extend(mods)
        if here:
            previous = here
    return r


# -- building -----------------------------------------------------------------------

@dataclass
class _Layer:
    sound: Sound
    words: list[str]
    mods: list[str]
    params: dict[str, float | str]
    gain: tuple[float, float]
    rate: float
    distance: tuple[float, float]
    highcut: float | None
    width: float
    notes: list[str] = field(default_factory=list)
    prompt: str = ""
    reason: str = ""


def _clip(x: float, low: float, high: float) -> float:
    return min(high, max(low, x))


def _layer(m: _Mention, r: _Reading) -> _Layer:
    sound = SOUNDS[m.sound]
    amount = sum(MODIFIERS[w].amount for w in m.mods)
    distance = sum(MODIFIERS[w].distance for w in m.mods)
    rate_factor = 1.0
    for w in m.mods:
        rate_factor *= MODIFIERS[w].rate
    if distance < 0 and sound.close_key is not None:
        sound = SOUNDS[sound.close_key]
        distance = 0  # the near variant is close already
    amount = max(-2, min(2, amount))
    distance = max(-1, min(1, distance))
    params = dict(sound.params)
    notes: list[str] = []
    adjectives: list[str] = []
    if sound.amount is not None and amount:
        from .procedural import RECIPES

        spec = RECIPES[sound.recipe].params[sound.amount]
        low = 0.0 if spec.low is None else spec.low
        high = 1.0 if spec.high is None else spec.high
        value = float(params[sound.amount])
        step = 0.3 if amount > 0 else 0.25
        params[sound.amount] = round(_clip(value + step * amount, low + 0.1, high - 0.05), 2)
        adjectives.append("heavy" if amount > 0 else "light")
        notes.append(f"{'heavier' if amount > 0 else 'lighter'}: "
                     f"{sound.amount} {value:g} -> {params[sound.amount]:g}")
    gain_lo, gain_hi = sound.gain_db
    rate_factor = _clip(rate_factor, 0.25, 4.0)
    rate = sound.rate_per_min * rate_factor
    dist_range = sound.distance
    highcut = sound.highcut_hz
    width = sound.width
    if sound.kind == "bed":
        if amount and sound.amount is None:
            gain_lo += 3.0 * amount
        if distance > 0:
            gain_lo -= 6.0
            highcut = 3000.0
            width = min(2.0, width + 0.3)
            adjectives.append("distant")
            notes.append("distant: 6 dB down, high cut at 3 kHz, wider")
        elif distance < 0:
            gain_lo += 3.0
            adjectives.append("close")
            notes.append("close: 3 dB up")
        gain_hi = gain_lo
    else:
        shift = 3.0 * amount if sound.amount is None else 1.5 * amount
        if distance > 0:
            shift -= 2.0
            dist_range = (0.4, 0.9)
            adjectives.append("distant")
            notes.append("distant: 2 dB down, drawn at distance 0.4..0.9 (duller)")
        elif distance < 0:
            shift += 3.0
            dist_range = (0.0, 0.25)
            adjectives.append("close")
            notes.append("close: 3 dB up, distance 0..0.25")
        if shift and sound.amount is None and amount:
            notes.append(f"{'louder' if amount > 0 else 'softer'}: {3.0 * amount:+g} dB")
        gain_lo, gain_hi = gain_lo + shift, gain_hi + shift
        if rate_factor != 1.0:
            notes.append(f"{'more often' if rate_factor > 1 else 'less often'}: "
                         f"rate x{rate_factor:g}")
    prompt = sound.prompt
    if sound.key == "rain":
        if r.surface is not None:
            word, surf = r.surface
            params["surface"] = surf.surface
            prompt = prompt.replace("{surface}", surf.phrase)
            if surf.closest:
                notes.append(f"'{word}': the rain recipe has no {word} surface; "
                             f"{surf.surface} is the closest (the prompt keeps '{word}')")
            else:
                notes.append(f"'{word}': surface {surf.surface}")
        else:
            prompt = prompt.replace("{surface}", "falling on leaves and wet ground")
    if sound.key == "noise" and r.noise_color is not None:
        params["color"] = r.noise_color
        prompt = f"steady soft {r.noise_color} noise, even and smooth"
    if sound.key == "birds" and "dawn" in r.settings.values():
        params["density"] = round(_clip(float(params["density"]) + 0.3, 0.1, 0.95), 2)
        notes.append("dawn: a fuller chorus")
    if sound.key == "insects" and "summer" in r.settings.values() \
            and "night" not in r.settings.values():
        params["kind"] = "cicada"
        notes.append("summer day: cicadas")
    for adjective in adjectives:
        if adjective not in prompt:
            prompt = f"{adjective} {prompt}"
    if "night" in r.settings.values() and "night" not in prompt:
        prompt = f"{prompt}, at night"
    return _Layer(sound, list(m.words), list(m.mods), params, (gain_lo, gain_hi),
                  rate, dist_range, highcut, width, notes, prompt, m.reason)


def _balance(beds: list[_Layer]) -> None:
    """The first bed is the main one (0 dB, before its own modifiers); the loudest bed
    ends at 0 dB and every other within 12 dB of it (beds near each other)."""
    if not beds:
        return
    main = beds[0]
    own = main.gain[0] - main.sound.gain_db[0]  # what its modifiers did
    main.gain = (own, own)
    top = max(b.gain[0] for b in beds)
    for b in beds:
        g = round(max(b.gain[0] - top, -12.0), 1)
        b.gain = (g, g)


# -- writing ------------------------------------------------------------------------

def _s(text: str) -> str:
    """A TOML basic string (JSON's escapes are TOML's; DEL must be escaped too)."""
    return json.dumps(text, ensure_ascii=False).replace("\x7f", "\\u007f")


def _n(x: float) -> str:
    x = round(float(x), 2)
    return repr(0.0 if x == 0 else x)


def _dur(seconds: float) -> str:
    return _s(f"{seconds:g}s")


def _value(v: float | str) -> str:
    return _s(v) if isinstance(v, str) else _n(v)


def _words_list(words: Sequence[str], limit: int = 30) -> str:
    shown = ", ".join(words[:limit])
    return shown + (f" ... and {len(words) - limit} more" if len(words) > limit else "")


def _default_title(description: str) -> str:
    words = description.split()
    title = ""
    for w in words:
        if len(title) + len(w) + 1 > 60:
            title += " ..."
            break
        title = f"{title} {w}" if title else w
    if not title or title == " ...":  # a first word of over 60 characters
        title = description[:57] + "..."
    return title[:1].upper() + title[1:]


def _check_inputs(description: object, title: object, seed: object) -> tuple[str, str | None]:
    if not isinstance(description, str):
        raise UsageError(f"description: {type(description).__name__} is not text")
    if len(description) > MAX_DESCRIPTION_CHARS:
        raise UsageError(f"description: {len(description)} characters is too long "
                         f"(at most {MAX_DESCRIPTION_CHARS}); describe the scene in a "
                         "sentence or two")
    text = _clean(description)
    if not text:
        raise UsageError("description: it is empty; say what the scene should sound "
                         "like, e.g. \"rain on a tent with distant thunder and an owl\"")
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed <= MAX_SEED:
        raise UsageError(f"seed: {seed!r} is not an integer in 0..{MAX_SEED}")
    clean_title = None
    if title is not None:
        if not isinstance(title, str):
            raise UsageError(f"title: {type(title).__name__} is not text")
        clean_title = _clean(title)
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
    return _read(text).unknown


def sounds_asked_for(description: str) -> list[str]:
    """The :data:`SOUNDS` keys the words of ``description`` ask for, in order (before
    "close" turns far thunder near); UsageError as :func:`not_understood`."""
    text, _ = _check_inputs(description, None, 0)
    return list(_read(text).mentions)


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
    text, clean_title = _check_inputs(description, title, seed)
    r = _read(text)
    for key, reason in (extra_sounds or {}).items():
        if key not in SOUNDS:
            raise UsageError(f"extra_sounds: {key!r} is not a sound "
                             f"(known: {', '.join(SOUNDS)})")
        if key not in r.mentions:
            r.mentions[key] = _Mention(key, reason=_clean(reason)[:200])
    r.notes = [_clean(n)[:300] for n in extra_notes]
    if not r.mentions:
        also = ""
        if r.unmakeable:
            also = f" ({_words_list(r.unmakeable)}: no recipe can make that)"
        shown = _s(text[:80] + ("..." if len(text) > 80 else ""))
        raise UsageError(
            f"description: no sound recognised in {shown}"
            f"{also}; sounds understood: {', '.join(HEADWORDS)} (and their synonyms, "
            f"{len(WORDS)} words in all, listed in soundscape/wordscene.py), with "
            f"modifiers such as distant, close, heavy, light, occasional")
    # one layer per sound; far and near thunder may both be asked for
    layers: dict[str, _Layer] = {}
    for m in r.mentions.values():
        layer = _layer(m, r)
        key = layer.sound.key
        if key in layers:  # "distant thunder and close thunder" -> both; merge repeats
            layers[key].words += [w for w in layer.words if w not in layers[key].words]
            continue
        layers[key] = layer
    ordered = [layers[k] for k in layers]
    beds = [x for x in ordered if x.sound.kind == "bed"]
    events = [x for x in ordered if x.sound.kind == "event"]
    if not beds:
        # events alone would leave silence between them: add the quietest fitting bed
        carrier = _carrier_for(events)
        beds.append(_layer(_Mention(carrier, reason="no word: added because events "
                                             "alone leave silence between them"), r))
    _balance(beds)
    scene_title = clean_title or _default_title(text)
    return _write(text, scene_title, seed, r, beds, events)


def _carrier_for(events: list[_Layer]) -> str:
    """A bed that belongs with these events (owls -> night insects, gulls -> surf...)."""
    recipes = {e.sound.recipe for e in events}
    for recipe, bed in (("gull", "surf"), ("wave", "surf"), ("crackle", "fire"),
                        ("thunder", "rain"), ("gust", "wind"), ("owl", "insects"),
                        ("bird", "birds"), ("drip", "brook")):
        if recipe in recipes:
            return bed
    return "noise"


def _write(text: str, title: str, seed: int, r: _Reading, beds: list[_Layer],
           events: list[_Layer]) -> str:
    out: list[str] = []
    add = out.append
    add("#:schema ./scene.schema.json")  # editors: completion, inline errors (soundscape schema)
    add("# Written by `soundscape new` from these words:")
    add(f"#   {_s(text[:300] + ('...' if len(text) > 300 else ''))}")
    add("# Each layer below says which words asked for it and what to tweak. Check it with")
    add("# `soundscape validate FILE`, audition a layer with `soundscape render FILE -d 60s")
    add("# -o /tmp/x.flac --only NAME`, and see docs/scenes.md for every key.")
    if r.unknown:
        _comment(add, f"not understood: {_words_list(r.unknown)}")
    if r.unmakeable:
        _comment(add, f"no recipe can make: {_words_list(r.unmakeable)} (left out)")
    if r.negations:
        _comment(add, f"note: negation is not understood (ignored: "
                      f"{', '.join(r.negations)}); remove any layer you did not want")
    settings = list(r.settings)
    if r.surface is not None and not any(x.sound.key == "rain" for x in beds):
        settings.append(r.surface[0])  # a surface with no rain on it
    if settings:
        _comment(add, f"setting (no layer of its own): {', '.join(settings)}")
    for note in r.notes:
        _comment(add, note)
    add("")
    add(f"title = {_s(title)}")
    add(f"description = {_s(text)}")
    tags = sorted({x.sound.key.split('-')[0] for x in beds + events})
    add(f"tags = [{', '.join(_s(t) for t in tags)}]")
    add("")
    add("[master]")
    add("sample_rate = 48000")
    add("loudness_lufs = -23.0          # EBU R128; -20 for a busier, louder file")
    add(f"seed = {seed}".ljust(31) + "# another seed, another arrangement")
    add('fade_in = "4s"')
    add("")
    add("[generator]                    # used by `soundscape generate` (GPU, optional)")
    add('quality_prefix = "high quality field recording of"')
    add("")
    add("# -- beds: continuous textures; the loudest at 0 dB, the others within 12 dB ----")
    for i, b in enumerate(beds):
        _write_bed(add, b, main=(i == 0))
    if events:
        add("")
        add("# -- events: one-shots at random times (Poisson, after a rest of min_gap) ----")
        for e in events:
            _write_event(add, e)
    if r.evolution:
        _write_phases(add, r, beds, events)
    return "\n".join(out) + "\n"


def _comment(add: Callable[[str], None], text: str) -> None:
    """``text`` as comment lines of at most 88 characters."""
    for line in textwrap.wrap(text, 86, break_on_hyphens=False) or [""]:
        add(f"# {line}")


def _asked(layer: _Layer) -> str:
    if not layer.words:
        return layer.reason or "no word"
    words = ", ".join(f"'{w}'" for w in layer.words)
    mods = sorted(set(layer.mods))
    return words + (f" ({', '.join(mods)})" if mods else "")


def _write_bed(add: Callable[[str], None], b: _Layer, *, main: bool) -> None:
    s = b.sound
    add("")
    _comment(add, f"{s.what}; from {_asked(b)}.")
    if main:
        _comment(add, "The main bed: the level every other layer is set against.")
    for note in b.notes:
        _comment(add, note)
    _comment(add, f"Tweak: {s.tweak}; gain_db for the balance.")
    add("[[layers]]")
    add(f"name = {_s(s.key)}")
    add('type = "bed"')
    add(f"prompt = {_s(b.prompt)}")
    add(f"recipe = {_s(s.recipe)}")
    if b.params:
        add("params = { " + ", ".join(f"{k} = {_value(v)}" for k, v in b.params.items()) + " }")
    add(f"gain_db = {_n(b.gain[0])}")
    if s.pan[0]:
        add(f"pan = {_n(s.pan[0])}")
    add(f"width = {_n(b.width)}")
    add(f"variants = {s.variants}")
    add(f"crossfade = {_s(s.crossfade)}")
    if s.lowcut_hz is not None:
        add(f"lowcut_hz = {_n(s.lowcut_hz)}")
    if b.highcut is not None:
        add(f"highcut_hz = {_n(b.highcut)}")
    depth, p0, p1 = s.breathing
    if depth:
        add(f"breathing = {{ depth_db = {_n(depth)}, period = [{_s(p0)}, {_s(p1)}] }}"
            "   # slow level drift")


def _write_event(add: Callable[[str], None], e: _Layer) -> None:
    s = e.sound
    add("")
    _comment(add, f"{s.what}; from {_asked(e)}.")
    every = 60.0 / e.rate if e.rate > 0 else 0.0
    _comment(add, f"About {e.rate:.2g} a minute (one every {every:.0f} s on average), "
                  f"never closer than {s.min_gap:g} s.")
    for note in e.notes:
        _comment(add, note)
    _comment(add, f"Tweak: {s.tweak}.")
    add("[[layers]]")
    add(f"name = {_s(s.key)}")
    add('type = "event"')
    add(f"prompt = {_s(e.prompt)}")
    add(f"recipe = {_s(s.recipe)}")
    if e.params:
        add("params = { " + ", ".join(f"{k} = {_value(v)}" for k, v in e.params.items()) + " }")
    if s.seconds is not None:
        add(f"generator = {{ seconds = {_n(s.seconds)} }}   # length of a generated one-shot")
    add(f"rate_per_min = {_n(e.rate)}")
    add(f"min_gap = {_dur(s.min_gap)}")
    add(f"gain_db = [{_n(e.gain[0])}, {_n(e.gain[1])}]          # drawn per event")
    add(f"pan = [{_n(s.pan[0])}, {_n(s.pan[1])}]")
    add(f"distance = [{_n(e.distance[0])}, {_n(e.distance[1])}]"
        "           # per event: 12 dB quieter and duller at 1")
    add(f"variants = {s.variants}")
    if s.lowcut_hz is not None:
        add(f"lowcut_hz = {_n(s.lowcut_hz)}")


def _write_phases(add: Callable[[str], None], r: _Reading, beds: list[_Layer],
                  events: list[_Layer]) -> None:
    """A 25-minute loop: building (10 m), peak (5 m), settling back home (10 m)."""
    add("")
    add(f"# -- phases: {', '.join(repr(w) for w in r.evolution)} -> a 25-minute loop that "
        "builds,")
    add("# peaks and settles. The master keeps the loudness steady, so the build is heard")
    add("# as density (more events, the secondary beds up), not volume. The last phase")
    add("# returns every layer to its own values: the loop starts where it ends.")
    busier = [e for e in events if e.rate > 0]
    secondary = beds[1:]
    for name, duration, ramp, up in (("building", "10m", "10m", True),
                                     ("peak", "5m", "1m", True),
                                     ("settling", "10m", "8m", False)):
        add("")
        add("[[phases]]")
        add(f"name = {_s(name)}")
        add(f"duration = {_s(duration)}")
        add(f"ramp = {_s(ramp)}")
        if name == "settling":
            add("# home: every offset back to 0, every rate back to the layer's own")
        for b in secondary:
            add(f"layers.{b.sound.key}.level_db = {_n(4.0 if up else 0.0)}")
        for e in busier:
            rate = min(e.rate * (2.5 if up else 1.0), 600.0)
            add(f"layers.{e.sound.key}.rate_per_min = {_n(rate)}")
        if not secondary and not busier:
            add(f"layers.{beds[0].sound.key}.level_db = {_n(2.0 if up else 0.0)}")

