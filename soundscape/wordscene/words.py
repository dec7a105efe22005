"""The word tables of ``soundscape new``: immutable data, read by the reader.

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

Every table is read-only: mappings are ``MappingProxyType``, sequences tuples, sets
frozensets and the records frozen dataclasses (a :class:`Sound`'s params too), so no
caller can change what the next description reads. Pure data: no I/O.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType


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
    params: Mapping[str, float | str]  # read-only (a MappingProxyType)
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

    def __post_init__(self) -> None:
        object.__setattr__(self, "params", MappingProxyType(dict(self.params)))


# One row per sound. (`duplicates` pairs these rows by shape: they are data, not logic.)
_SOUND_LIST: tuple[Sound, ...] = (
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
)

SOUNDS: Mapping[str, Sound] = MappingProxyType({s.key: s for s in _SOUND_LIST})


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

MODIFIERS: Mapping[str, Modifier] = MappingProxyType({
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
})

# word -> [(sound key, implied modifier words)]
WORDS: Mapping[str, tuple[tuple[str, tuple[str, ...]], ...]] = MappingProxyType({
    **dict.fromkeys(["rain", "raining", "rainfall", "rainy", "rains", "showers",
                     "shower", "rainstorm", "raindrops"], (("rain", ()),)),
    **dict.fromkeys(["drizzle", "drizzling", "sprinkle", "sprinkling"],
                    (("rain", ("light",)),)),
    **dict.fromkeys(["downpour", "pouring", "torrential", "deluge", "cloudburst",
                     "pouring rain", "monsoon"], (("rain", ("heavy",)),)),
    **dict.fromkeys(["thunder", "thunderclap", "thunderclaps", "lightning", "rumble",
                     "rumbling", "thunders", "rolling thunder"], (("thunder-far", ()),)),
    **dict.fromkeys(["storm", "thunderstorm", "storms", "stormy", "tempest"],
                    (("rain", ("heavy",)), ("thunder-far", ()), ("wind", ()),)),
    **dict.fromkeys(["wind", "winds", "windy", "blowing"], (("wind", ()),)),
    **dict.fromkeys(["breeze", "breezy", "draught", "draft"], (("wind", ("light",)),)),
    **dict.fromkeys(["gale", "gales", "blizzard", "hurricane"], (("wind", ("heavy",)),
                                                                  ("gusts", ()),)),
    **dict.fromkeys(["gust", "gusts", "gusty", "gusting", "whoosh", "whooshing"],
                    (("gusts", ()),)),
    **dict.fromkeys(["surf", "ocean", "sea", "beach", "shore", "seaside", "coast",
                     "seashore", "tide", "tides"], (("surf", ()),)),
    **dict.fromkeys(["waves", "wave", "breakers", "breaking waves", "crashing waves"],
                    (("surf", ()), ("waves", ()),)),
    **dict.fromkeys(["brook", "stream", "creek", "river", "babbling", "burbling",
                     "gurgling", "water"], (("brook", ()),)),
    **dict.fromkeys(["trickle", "trickling", "rill"], (("brook", ("light",)),)),
    **dict.fromkeys(["rapids", "waterfall", "torrent", "cascade"], (("brook", ("heavy",)),)),
    **dict.fromkeys(["fire", "fireplace", "campfire", "bonfire", "hearth", "fireside",
                     "stove", "wood stove", "burning", "flames", "logs"],
                    (("fire", ()), ("crackles", ()),)),
    **dict.fromkeys(["embers"], (("fire", ("light",)),)),
    **dict.fromkeys(["crackling", "crackle", "crackles", "pops", "popping", "snaps",
                     "crackling fire"], (("fire", ()), ("crackles", ()),)),
    **dict.fromkeys(["crickets", "cricket", "katydids", "grasshoppers", "chirping crickets"],
                    (("crickets", ()),)),
    **dict.fromkeys(["insects", "bugs", "night insects", "buzzing", "hum", "humming"],
                    (("insects", ()),)),
    **dict.fromkeys(["cicadas", "cicada"], (("cicadas", ()),)),
    **dict.fromkeys(["birds", "birdsong", "songbirds", "birdcalls", "tweeting",
                     "warbling"], (("birds", ()), ("song", ()),)),
    **dict.fromkeys(["bird", "songbird", "blackbird", "robin", "thrush", "wren",
                     "bird call", "bird song"], (("song", ()),)),
    **dict.fromkeys(["dawn chorus", "chorus", "birdsong chorus"],
                    (("birds", ("heavy",)), ("song", ()),)),
    **dict.fromkeys(["owl", "owls", "hooting", "hoot", "hoots", "tawny owl"], (("owl", ()),)),
    **dict.fromkeys(["gulls", "gull", "seagulls", "seagull", "seabirds"], (("gulls", ()),)),
    **dict.fromkeys(["drips", "drip", "dripping", "drops", "droplets", "drop", "gutter",
                     "puddle", "puddles", "leak", "leaking", "cave"], (("drips", ()),)),
    **dict.fromkeys(["noise", "white noise", "static"], (("noise", ()),)),
    **dict.fromkeys(["pink noise"], (("noise", ()),)),
    **dict.fromkeys(["brown noise", "brownian noise", "red noise"], (("noise", ()),)),
})

# noise colours named by the words
NOISE_COLOR: Mapping[str, str] = MappingProxyType({
    "white noise": "white", "static": "white", "pink noise": "pink", "brown noise": "brown",
    "brownian noise": "brown", "red noise": "brown"})


@dataclass(frozen=True)
class Surface:
    """What the rain falls on: the recipe's surface and the words for the prompt."""

    surface: str  # window, leaves or roof
    phrase: str  # for the prompt: "on a tent"
    closest: bool = False  # True when the recipe has no such surface (roof stands in)


SURFACES: Mapping[str, Surface] = MappingProxyType({
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
})

# words that shape the scene without a layer of their own: word -> what it does
SETTINGS: Mapping[str, str] = MappingProxyType({
    **dict.fromkeys(["night", "evening", "midnight", "nighttime", "dusk", "dark"], "night"),
    **dict.fromkeys(["dawn", "morning", "sunrise", "daybreak"], "dawn"),
    **dict.fromkeys(["summer", "hot", "afternoon"], "summer"),
    **dict.fromkeys(["sleep", "sleeping", "relaxing", "cozy", "cosy", "meadow", "field",
                     "valley", "mountain", "countryside", "outdoors", "indoors", "inside",
                     "camping", "bed", "home", "house", "room", "lake", "pond"], "place"),
})

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

SEPARATOR_WORDS = frozenset(["and", "with", "plus", "while", "but", "then", "&", "or",
                              "also", "whilst"])
MAX_PHRASE = 4


def _phrases() -> dict[str, str]:
    """Every phrase of the tables -> its table ("sound", "modifier", ...)."""
    out: dict[str, str] = {}
    for table, name in ((UNMAKEABLE, "unmakeable"), (SETTINGS, "setting"),
                        (EVOLUTION, "evolution"), (SURFACES, "surface"),
                        (MODIFIERS, "modifier"), (WORDS, "sound")):
        for phrase in table:
            out[phrase] = name  # later tables win: a sound word beats a setting
    return out


PHRASES: Mapping[str, str] = MappingProxyType(_phrases())


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
