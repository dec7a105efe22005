"""The word tables of ``soundscape new``: immutable data, read by the reader.

* :data:`SOUNDS` -- every layer a description can ask for (one per procedural recipe
  use): bed or event, recipe and params, generator prompt, level, event rate and gap,
  pan and width, the recipe param that "heavy"/"light" move, and what to tweak.
* :data:`WORDS` -- words and short phrases (synonyms) -> the sounds they add, with
  the modifiers they imply ("drizzle" is light rain, "downpour" heavy rain).
* :data:`MODIFIERS` -- "distant", "close", "heavy", "light", "frequent", "occasional"
  and their synonyms, and what each does to a bed and to an event.
* :data:`SURFACES` -- what the rain falls on. The ``rain`` recipe knows ``window``,
  ``leaves`` and ``roof``; a tent, a tarp, an umbrella (the fly) and a car or a tin
  roof (steel) have the ``tent-rain`` recipe of their own; hail falls on a roof or
  the ground.
* :data:`PLACES` -- place and setting words ("cafe", "forest", "train") -> the layers
  the place has, each with the reason its comment gives, some only at night, by day,
  when rain is named or when nothing else is; the surface rain falls on there; whether
  the place's own sound leads (a room) and what rain named there becomes (outside).
  :data:`COVERS` -- a named sound that stands for a place's layer of another recipe.
* :data:`SETTINGS` -- words that shape the scene without a layer of their own
  ("night", "dawn"); :data:`EVOLUTION` -- words that ask for a change over time
  ("rolling in", "building"), which add a simple 25-minute phase cycle;
  :data:`UNMAKEABLE` -- sounds we recognise but no recipe can make (dogs, music),
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
    # -- beds of the palette: places ---------------------------------------------
    Sound("murmur", "bed", "murmur", {"crowd": 0.5},
          "a cafe's murmur of many people talking at tables, no words understood",
          "murmur: unintelligible talkers at tables near and far in a room",
          "params.crowd (0 a few tables .. 1 a packed room)",
          (-4.0, -4.0), amount="crowd", width=1.2, crossfade="3s",
          breathing=(2.0, "30s", "90s"), lowcut_hz=80),
    Sound("room-tone", "bed", "room-tone", {"hum": 0.2},
          "quiet room tone, soft ventilation air, very faint hum, no voices",
          "room tone: a quiet room's ventilation air and a faint mains hum",
          "params.hum (0 air only .. 1 an audible hum)",
          (-12.0, -12.0), amount="hum", width=1.2, crossfade="3s",
          breathing=(1.0, "40s", "120s"), lowcut_hz=30),
    Sound("traffic", "bed", "traffic", {"density": 12.0},
          "city traffic, cars passing by on a street, distant rumble",
          "traffic: a far rumble and cars passing by (Doppler)",
          "params.density (cars per minute, 1..60)",
          (-4.0, -4.0), amount="density", width=1.2, crossfade="3s",
          breathing=(2.0, "30s", "90s"), lowcut_hz=30),
    Sound("train", "bed", "train", {"speed": 100.0},
          "inside a train carriage, the clickety-clack of the rails over a low rumble",
          "train: the rumble of a carriage and the wheel-rail rhythm at each joint",
          "params.speed (40..160 km/h: the clickety-clack comes every 20 m of rail)",
          (-3.0, -3.0), amount="speed", width=1.0, crossfade="3s",
          breathing=(1.5, "30s", "90s"), lowcut_hz=25),
    Sound("cabin", "bed", "cabin", {},
          "inside an airplane cabin in flight, steady engine and air noise",
          "cabin: an airliner cabin's broadband roar with faint engine tones",
          "gain_db; highcut_hz for a duller, quieter seat",
          (-3.0, -3.0), width=1.2, crossfade="4s", breathing=(1.0, "40s", "120s"),
          lowcut_hz=30),
    Sound("rain-on-tent", "bed", "tent-rain", {"intensity": 0.5, "surface": "tent"},
          "rain drumming on a tent fly, heard from inside the tent",
          "rain on a tent: drops drumming on the fly (its own recipe, surface tent)",
          "params.intensity (0 drizzle .. 1 downpour)",
          (-4.0, -4.0), amount="intensity", width=1.2, crossfade="3s",
          breathing=(2.0, "30s", "90s"), lowcut_hz=60),
    Sound("rain-on-car", "bed", "tent-rain", {"intensity": 0.5, "surface": "car"},
          "rain drumming on a car roof, heard from inside the car",
          "rain on a car: drops ringing the steel roof (the tent-rain recipe, surface car)",
          "params.intensity (0 drizzle .. 1 downpour)",
          (-6.0, -6.0), amount="intensity", width=1.0, crossfade="3s",
          breathing=(2.0, "30s", "90s"), lowcut_hz=80),
    # -- beds of the palette: things ---------------------------------------------
    Sound("clock", "bed", "clock", {"rate": 2.0, "size": 0.3},
          "a clock ticking in a quiet room, tick and tock, wooden case",
          "clock: tick and tock of a mechanical clock",
          "params.rate (1 a longcase clock .. 5 a desk clock), params.size (0 small .. 1 "
          "grandfather clock); master.segment_seconds = 60 joins the beat less often "
          "(library.toml)",
          (-8.0, -8.0), amount="size", width=0.7, crossfade="150ms",
          breathing=(0.0, "30s", "90s"), pan=(0.4, 0.4), lowcut_hz=60),
    Sound("typing", "bed", "typing", {"speed": 50.0},
          "someone typing on a keyboard nearby, soft key clicks",
          "typing: key clicks in words and bursts, a deeper space bar",
          "params.speed (20..90 words per minute)",
          (-6.0, -6.0), amount="speed", width=0.8, crossfade="150ms",
          breathing=(1.0, "30s", "90s"), pan=(-0.3, -0.3), lowcut_hz=80),
    Sound("fan", "bed", "hum", {"kind": "fan", "speed": 0.5},
          "an electric fan humming steadily in a room, soft airflow",
          "fan: airflow with blade-pass tones and a faint mains hum",
          "params.speed (0 low .. 1 high setting), params.kind (fan, aircon)",
          (-8.0, -8.0), amount="speed", width=1.0, crossfade="3s",
          breathing=(0.5, "40s", "120s"), lowcut_hz=40),
    Sound("aircon", "bed", "hum", {"kind": "aircon", "speed": 0.4},
          "an air conditioner humming steadily, airflow through a grille",
          "air conditioner: a cross-flow fan, compressor hum and grille hiss",
          "params.speed (0 low .. 1 high setting), params.kind (fan, aircon)",
          (-8.0, -8.0), amount="speed", width=1.0, crossfade="3s",
          breathing=(0.5, "40s", "120s"), lowcut_hz=40),
    Sound("purr", "bed", "purr", {"rate": 26.0},
          "a cat purring contentedly, close, in a quiet room",
          "purr: a cat's purr, exhaled and inhaled phases",
          "params.rate (20..30 pulses per second); width (a cat on your lap is narrow)",
          (-4.0, -4.0), width=0.6, crossfade="3s", breathing=(1.5, "20s", "60s"),
          lowcut_hz=20),
    # -- beds of the palette: creatures -------------------------------------------
    Sound("frogs", "bed", "frogs", {"density": 0.5},
          "a chorus of frogs croaking at a pond at dusk",
          "frogs: a pond chorus of gunks and creaks, a far bullfrog now and then",
          "params.density (0 a few frogs .. 1 a busy pond)",
          (-3.0, -3.0), amount="density", width=1.3, crossfade="3s",
          breathing=(2.0, "30s", "90s"), lowcut_hz=60),
    Sound("peepers", "bed", "peepers", {"density": 0.5, "temperature_c": 15.0},
          "spring peepers calling at a pond at night, rising whistles",
          "peepers: spring peepers' rising whistles from many distances",
          "params.density (0 a few .. 1 a deafening chorus), params.temperature_c (4..26)",
          (-5.0, -5.0), amount="density", width=1.4, crossfade="3s",
          breathing=(2.0, "30s", "90s"), lowcut_hz=150),
    # -- beds of the palette: water and weather -------------------------------------
    Sound("waterfall", "bed", "waterfall", {"height": 0.5},
          "a waterfall roaring into a plunge pool, steady, spacious",
          "waterfall: the steady roar of the plunge pool with a low thunder",
          "params.height (0 a small cascade .. 1 a big fall)",
          (-2.0, -2.0), amount="height", width=1.5, crossfade="4s",
          breathing=(1.5, "40s", "120s"), lowcut_hz=30),
    Sound("rapids", "bed", "rapids", {"flow": 0.5},
          "a river rushing over rapids, white water, turbulent",
          "rapids: large bubbles and a turbulent wash surging every few seconds",
          "params.flow (0 gentle riffle .. 1 white water)",
          (-4.0, -4.0), amount="flow", width=1.2, crossfade="4s",
          breathing=(2.0, "30s", "90s"), lowcut_hz=60),
    Sound("lapping", "bed", "lapping", {},
          "water lapping gently against a boat's hull by a wooden pier",
          "lapping: small slaps of water against a hull or a pier, gurgles between",
          "gain_db; width",
          (-4.0, -4.0), width=1.2, crossfade="3s", breathing=(2.0, "30s", "90s"),
          lowcut_hz=40),
    Sound("underwater", "bed", "underwater", {},
          "heard underwater, a muffled deep rumble and rising bubbles",
          "underwater: a muffled rumble, slow pressure swells, bubble streams",
          "gain_db; lowcut_hz",
          (-2.0, -2.0), width=1.2, crossfade="4s", breathing=(2.0, "30s", "90s"),
          lowcut_hz=20),
    Sound("snow-wind", "bed", "snow-wind", {"strength": 0.4},
          "soft wind through snow-covered woods, muffled and dark, snowfall",
          "snow wind: a soft, dark wind muffled by snow, gentle gusts",
          "params.strength (0 still air .. 1 a strong wind)",
          (-6.0, -6.0), amount="strength", width=1.6, crossfade="4s",
          breathing=(3.0, "20s", "60s"), lowcut_hz=40),
    Sound("hail", "bed", "hail", {"intensity": 0.5, "surface": "roof"},
          "hailstones clattering on a roof, hard sharp impacts",
          "hail: hard impacts of hailstones, bigger ones louder and lower",
          "params.intensity (0 a few stones .. 1 a dense storm), params.surface (roof, "
          "ground)",
          (-3.0, -3.0), amount="intensity", width=1.3, crossfade="3s",
          breathing=(2.0, "20s", "60s"), lowcut_hz=40),
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
    # -- events of the palette ---------------------------------------------------
    Sound("cups", "event", "cutlery", {},
          "cups and saucers clinking, a spoon against china, in a cafe",
          "cups: cups, saucers and spoons clinking at the tables",
          "rate_per_min, gain_db, distance",
          (-15.0, -5.0), rate_per_min=8.0, min_gap=0.7, pan=(-0.8, 0.8),
          distance=(0.2, 0.9), seconds=2.0, variants=8),
    Sound("pages", "event", "pages", {},
          "a single page of a book being turned, paper rustle, close",
          "pages: a page turned, a swish of paper and a soft flap",
          "rate_per_min, gain_db, distance",
          (-10.0, -3.0), rate_per_min=2.0, min_gap=5.0, pan=(-0.7, 0.7),
          distance=(0.0, 0.6), seconds=2.0, variants=8),
    Sound("chimes", "event", "chimes", {"size": 0.5},
          "wind chimes tinkling in a breeze on a porch, ringing metal tubes",
          "chimes: a cluster of pentatonic tubes struck by the wind, ringing",
          "rate_per_min, gain_db, params.size (0 small high chimes .. 1 big low ones)",
          (-5.0, 1.0), rate_per_min=5.0, min_gap=3.0, pan=(-0.6, 0.6),
          distance=(0.1, 0.4), seconds=12.0, variants=8),
    Sound("bowl", "event", "bowl", {"pitch": 220.0},
          "a singing bowl struck once, a long shimmering ring, quiet room",
          "bowl: a singing bowl struck, ringing 10-20 s with slow beats",
          "rate_per_min (keep it rare: each rings long), gain_db, params.pitch (150..600 Hz)",
          (-4.0, 0.0), rate_per_min=1.0, min_gap=20.0, pan=(-0.3, 0.3),
          distance=(0.0, 0.3), seconds=15.0, variants=5),
    Sound("bullfrog", "event", "bullfrog", {},
          "a bullfrog calling jug-o-rum at a pond, deep croaks",
          "bullfrog: a series of deep harmonic croaks",
          "rate_per_min, gain_db, distance",
          (-9.0, -3.0), rate_per_min=1.2, min_gap=15.0, pan=(-0.8, 0.8),
          distance=(0.1, 0.7), seconds=16.0, lowcut_hz=40, variants=6),
    Sound("woodpecker", "event", "woodpecker", {"species": "great-spotted"},
          "a woodpecker drumming on a dead branch in a forest",
          "woodpecker: a roll of hollow knocks on a dead branch",
          "rate_per_min, gain_db, params.species (great-spotted, black, lesser-spotted)",
          (-9.0, -3.0), rate_per_min=1.5, min_gap=10.0, pan=(-0.9, 0.9),
          distance=(0.1, 0.7), seconds=4.0, lowcut_hz=150, variants=6),
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
                     "plenty", "plenty of", "repeated"], _OFTEN),
    **dict.fromkeys(["busy", "bustling", "crowded", "packed", "noisy", "hectic"],
                    Modifier(amount=1, rate=2.0)),
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
    **dict.fromkeys(["gale", "gales", "hurricane"], (("wind", ("heavy",)), ("gusts", ()),)),
    **dict.fromkeys(["gust", "gusts", "gusty", "gusting", "whoosh", "whooshing"],
                    (("gusts", ()),)),
    **dict.fromkeys(["surf", "ocean", "sea", "tide", "tides"], (("surf", ()),)),
    **dict.fromkeys(["waves", "wave", "breakers", "breaking waves", "crashing waves"],
                    (("surf", ()), ("waves", ()),)),
    **dict.fromkeys(["brook", "stream", "creek", "babbling", "burbling", "gurgling",
                     "water", "spring water", "fountain", "fountains"], (("brook", ()),)),
    **dict.fromkeys(["trickle", "trickling", "rill"], (("brook", ("light",)),)),
    **dict.fromkeys(["fire", "fireplace", "campfire", "bonfire", "hearth", "fireside",
                     "stove", "wood stove", "burning", "flames", "logs"],
                    (("fire", ()), ("crackles", ()),)),
    **dict.fromkeys(["embers"], (("fire", ("light",)),)),
    **dict.fromkeys(["crackling", "crackle", "crackles", "pops", "popping", "snaps",
                     "crackling fire"], (("fire", ()), ("crackles", ()),)),
    **dict.fromkeys(["crickets", "cricket", "katydids", "grasshoppers", "chirping crickets"],
                    (("crickets", ()),)),
    **dict.fromkeys(["insects", "bugs", "night insects", "buzzing"], (("insects", ()),)),
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
    **dict.fromkeys(["noise", "white noise", "static", "pink noise", "brown noise",
                     "brownian noise", "red noise"], (("noise", ()),)),
    # -- places: people and things --
    **dict.fromkeys(["talking", "talk", "chatter", "chatting", "people", "voices",
                     "conversation", "conversations", "murmur", "murmuring", "babble",
                     "chit-chat", "chitchat", "people talking", "background chatter",
                     "crowd noise", "walla"], (("murmur", ()),)),
    **dict.fromkeys(["crowd", "crowds", "crowded room", "busy crowd"],
                    (("murmur", ("heavy",)),)),
    **dict.fromkeys(["cups", "cup", "dishes", "cutlery", "clinking", "clink", "china",
                     "spoons", "spoon", "saucers", "plates", "crockery", "silverware",
                     "teacups", "mugs", "glasses clinking", "coffee", "espresso", "tea"],
                    (("cups", ()),)),
    **dict.fromkeys(["room tone", "quiet room", "ambience", "ambiance", "hvac",
                     "air handling"], (("room-tone", ()),)),
    **dict.fromkeys(["traffic", "cars", "car traffic", "passing cars", "vehicles",
                     "road noise", "rush hour"], (("traffic", ()),)),
    **dict.fromkeys(["highway", "motorway", "freeway", "busy road"],
                    (("traffic", ("heavy",)),)),
    **dict.fromkeys(["rail", "rails", "clickety-clack", "clickety clack", "locomotive",
                     "wheels on rails"], (("train", ()),)),
    **dict.fromkeys(["cabin noise", "cabin hum", "cabin roar", "engine drone"],
                    (("cabin", ()),)),
    # -- things --
    **dict.fromkeys(["clock", "clocks", "ticking", "tick", "tock", "tick-tock",
                     "tick tock", "ticking clock", "wall clock", "pendulum"],
                    (("clock", ()),)),
    **dict.fromkeys(["grandfather clock", "longcase clock", "old clock"],
                    (("clock", ("big",)),)),
    **dict.fromkeys(["typing", "keyboard", "keys", "keystrokes", "typist", "typewriter",
                     "laptop", "keyboard typing", "mechanical keyboard", "clacking"],
                    (("typing", ()),)),
    **dict.fromkeys(["pages", "page", "book", "books", "reading", "page turning",
                     "turning pages", "newspaper", "paper rustling", "rustling paper"],
                    (("pages", ()),)),
    **dict.fromkeys(["chimes", "chime", "wind chimes", "wind chime", "windchimes",
                     "windchime", "wind bells", "tinkling", "chiming"], (("chimes", ()),)),
    **dict.fromkeys(["singing bowl", "singing bowls", "bowl", "bowls", "tibetan bowl",
                     "tibetan bowls", "tibetan singing bowl", "meditation bowl",
                     "sound bowl", "gong"], (("bowl", ()),)),
    **dict.fromkeys(["fan", "fans", "ceiling fan", "desk fan", "electric fan", "hum",
                     "humming", "whir", "whirring", "ventilation", "ventilator",
                     "extractor", "extractor fan", "fridge", "refrigerator", "computer fan",
                     "server room"], (("fan", ()),)),
    **dict.fromkeys(["air conditioner", "air conditioning", "aircon", "air con", "ac",
                     "air-conditioning", "air-conditioner", "heat pump"],
                    (("aircon", ()),)),
    **dict.fromkeys(["cat", "cats", "kitten", "kitty", "purring", "purr", "purrs",
                     "purring cat"], (("purr", ()),)),
    # -- creatures --
    **dict.fromkeys(["frogs", "frog", "toads", "toad", "croaking", "croak", "croaks",
                     "ribbit", "tree frogs", "treefrogs", "frog chorus", "amphibians"],
                    (("frogs", ()),)),
    **dict.fromkeys(["peepers", "peeper", "spring peepers", "chorus frogs"],
                    (("peepers", ()),)),
    **dict.fromkeys(["bullfrog", "bullfrogs", "bull frog", "jug-o-rum"],
                    (("bullfrog", ()),)),
    **dict.fromkeys(["woodpecker", "woodpeckers", "pecking", "woodpecker drumming",
                     "drumming on a tree", "drumming on wood", "drumming on a branch",
                     "knocking on wood"], (("woodpecker", ()),)),
    # -- water and weather --
    **dict.fromkeys(["waterfall", "waterfalls", "cascade", "cascades", "cascading",
                     "the falls", "plunge pool"], (("waterfall", ()),)),
    **dict.fromkeys(["rapids", "river", "rivers", "whitewater", "white water", "torrent",
                     "rushing river", "rushing water", "mountain river"],
                    (("rapids", ()),)),
    **dict.fromkeys(["lapping", "lapping water", "lap", "laps", "hull", "sloshing"],
                    (("lapping", ()),)),
    **dict.fromkeys(["underwater", "under water", "submarine", "diving", "scuba",
                     "snorkelling", "snorkeling", "under the sea", "beneath the waves", "dive",
                     "deep sea", "aquarium"], (("underwater", ()),)),
    **dict.fromkeys(["snow", "snowfall", "snowing", "snowy", "snowflakes", "falling snow",
                     "winter wind", "snow wind"], (("snow-wind", ()),)),
    **dict.fromkeys(["blizzard", "snowstorm", "snow storm", "whiteout"],
                    (("snow-wind", ("heavy",)),)),
    **dict.fromkeys(["hail", "hailstorm", "hailstones", "hailstone", "hailing", "sleet"],
                    (("hail", ()),)),
})

# noise colours named by the words
NOISE_COLOR: Mapping[str, str] = MappingProxyType({
    "white noise": "white", "static": "white", "pink noise": "pink", "brown noise": "brown",
    "brownian noise": "brown", "red noise": "brown"})


@dataclass(frozen=True)
class Surface:
    """What the rain falls on: the recipe's surface and the words for the prompt.

    ``rank`` orders surfaces named together: a thing the rain hits (2: a window, a
    tent) wins over an area (1: a forest, a porch), which wins over a place's usual
    surface (0: rain on a train's window). ``own`` names a sound with a recipe of its
    own for this surface (a tent's fly, a car's roof: the ``tent-rain`` recipe), used
    instead of ``rain``; ``hail`` is the ``hail`` recipe's surface (roof, ground).
    """

    surface: str  # window, leaves or roof
    phrase: str  # for the prompt: "on a tent"
    closest: bool = False  # True when the recipe has no such surface (roof stands in)
    rank: int = 2
    own: str | None = None  # a SOUNDS key with its own recipe for this surface
    hail: str = "roof"


SURFACES: Mapping[str, Surface] = MappingProxyType({
    "tarp": Surface("roof", "pattering on a tarp", True, own="rain-on-tent"),
    "umbrella": Surface("roof", "pattering on an umbrella", True, own="rain-on-tent"),
    "roof": Surface("roof", "on a roof, heard from under it"),
    "rooftop": Surface("roof", "on a rooftop"),
    "tin roof": Surface("roof", "drumming on a tin roof", True, own="rain-on-car"),
    "metal roof": Surface("roof", "drumming on a metal roof", True, own="rain-on-car"),
    "attic": Surface("roof", "on the roof, heard from the attic"),
    "window": Surface("window", "pattering on a window"),
    "windows": Surface("window", "pattering on the windows"),
    "windowpane": Surface("window", "on a windowpane"),
    "glass": Surface("window", "on glass"),
    "skylight": Surface("window", "on a skylight", True),
    "leaves": Surface("leaves", "falling on leaves and wet ground", hail="ground"),
    "grass": Surface("leaves", "falling on grass", True, rank=1, hail="ground"),
    "ground": Surface("leaves", "falling on the ground", True, rank=1, hail="ground"),
})


@dataclass(frozen=True)
class PlaceLayer:
    """A layer a place has: a :data:`SOUNDS` key, the modifiers it implies, why it is
    there (the layer's comment) and when: always (``""``), ``"night"`` (night, dusk or
    evening named), ``"day"`` (no night named), ``"rain"`` (rain named) or ``"alone"``
    (no sound named at all, only places)."""

    sound: str
    why: str
    mods: tuple[str, ...] = ()
    when: str = ""


@dataclass(frozen=True)
class Place:
    """A place or setting word: the layers the place has and the surface rain falls
    on there (None: the rain's own default)."""

    layers: tuple[PlaceLayer, ...]
    surface: Surface | None = None
    leads: bool = False  # its first layer is the main bed (a room: its own sound leads)
    rain_mods: tuple[str, ...] = ()  # what rain named here becomes (outside: distant)


def _p(*layers: PlaceLayer, surface: Surface | None = None, leads: bool = False,
       rain_mods: tuple[str, ...] = ()) -> Place:
    return Place(tuple(layers), surface, leads, rain_mods)


_OUTSIDE = ("distant",)  # rain heard from inside a room: lower and duller


_L = PlaceLayer
_CAFE = _p(_L("murmur", "a cafe has talk at its tables"),
           _L("cups", "and cups, saucers and spoons"),
           _L("room-tone", "the room's own air under the voices"),
           surface=Surface("window", "pattering on the cafe's windows", rank=0),
           leads=True, rain_mods=_OUTSIDE)
_TRAIN = _p(_L("train", "a train has the rail rhythm over its rumble"),
            _L("room-tone", "and the carriage's ventilation", ("light",)),
            _L("cups", "a cup rattling on the table now and then", ("occasional", "quiet")),
            surface=Surface("window", "streaking on the train's window", rank=0),
            leads=True, rain_mods=_OUTSIDE)
_PLANE = _p(_L("cabin", "a plane has its cabin's roar"),
            _L("murmur", "passengers talking quietly", ("quiet", "distant")),
            _L("cups", "the drinks trolley now and then", ("occasional",)), leads=True)
_LIBRARY = _p(_L("room-tone", "a library has its quiet room tone"),
              _L("clock", "a clock ticking on the wall"),
              _L("pages", "pages turning at the tables"),
              surface=Surface("window", "pattering on the library's tall windows", rank=0),
              leads=True, rain_mods=_OUTSIDE)
_OFFICE = _p(_L("room-tone", "an office has its room tone"),
             _L("typing", "someone typing nearby"),
             _L("fan", "a fan or the ventilation humming", ("light",)),
             surface=Surface("window", "pattering on the office windows", rank=0),
             leads=True, rain_mods=_OUTSIDE)
_FOREST = _p(_L("wind", "a forest has wind in its leaves", ("light",)),
             _L("birds", "birds in the trees", (), "day"),
             _L("woodpecker", "a woodpecker drumming now and then", ("occasional",), "day"),
             _L("owl", "an owl at night", (), "night"),
             _L("insects", "night insects in the undergrowth", ("light",), "night"),
             surface=Surface("leaves", "falling in a forest, on leaves", rank=1))
_BAMBOO = _p(_L("wind", "a bamboo forest has wind in its leaves"),
             _L("birds", "birds in the canes", ("light",), "day"),
             _L("insects", "night insects", ("light",), "night"),
             surface=Surface("leaves", "falling on bamboo leaves", True, rank=1))
_JUNGLE = _p(_L("birds", "a jungle is full of birds", ("heavy",), "day"),
             _L("cicadas", "and cicadas", (), "day"),
             _L("insects", "night insects", (), "night"),
             _L("wind", "a breeze in the canopy", ("light",)),
             surface=Surface("leaves", "falling on a jungle canopy", True, rank=1))
_POND = _p(_L("frogs", "a pond has frogs"),
           _L("crickets", "crickets on the banks at dusk", ("light",), "night"),
           _L("peepers", "spring peepers after dark", ("light",), "night"),
           _L("wind", "a breeze over the water", ("light",), "day"),
           _L("song", "birds in the reeds", (), "day"))
_MARSH = _p(_L("frogs", "a marsh has frogs"),
            _L("insects", "and insects", ("light",)),
            _L("peepers", "spring peepers after dark", (), "night"),
            _L("wind", "a breeze over the reeds", ("light",), "day"))
_CITY = _p(_L("traffic", "a city has traffic"),
           _L("murmur", "people on the pavements", ("distant",)),
           _L("rain-on-car", "rain drumming on the parked cars", ("light",), "rain"))
_BEACH = _p(_L("surf", "a beach has surf"),
            _L("gulls", "gulls over the water", (), "day"),
            _L("wind", "a sea breeze", ("light",)))
_HARBOUR = _p(_L("lapping", "water laps at the hulls and the pier"),
              _L("gulls", "gulls over the harbour", (), "day"),
              _L("wind", "a sea breeze", ("light",)))
_BOAT = _p(_L("lapping", "water laps at the boat's hull"),
           _L("wind", "a breeze over the water", ("light",)))
_LAKE = _p(_L("lapping", "a lake laps at its shore", ("light",)),
           _L("wind", "a breeze over the water", ("light",)),
           _L("birds", "birds on the shore", ("light",), "day"),
           _L("crickets", "crickets on the shore at night", ("light",), "night"))
_RIVERSIDE = _p(_L("rapids", "a river running by", ("light",)),
                _L("birds", "birds on the bank", ("light",), "day"),
                _L("crickets", "crickets on the bank at night", ("light",), "night"))
_MEADOW = _p(_L("crickets", "a meadow has insects in the grass", ("light",)),
             _L("birds", "birds over the grass", (), "day"),
             _L("wind", "a breeze through the grass", ("light",)),
             _L("insects", "night insects", (), "night"))
_COUNTRY = _p(_L("birds", "birds in the hedges", (), "day"),
              _L("wind", "a breeze", ("light",)),
              _L("crickets", "crickets at night", (), "night"),
              _L("owl", "an owl at night", ("occasional",), "night"))
_GARDEN = _p(_L("birds", "a garden has birds", ("light",), "day"),
             _L("wind", "a breeze in the leaves", ("light",)),
             _L("crickets", "crickets at night", ("light",), "night"),
             surface=Surface("leaves", "falling on a garden", rank=1))
_MOUNTAIN = _p(_L("wind", "a mountain has wind"),
               _L("gusts", "and gusts over the ridge"))
_VALLEY = _p(_L("wind", "a breeze down the valley", ("light",)),
             _L("brook", "a stream in the valley floor", ("distant",)),
             _L("birds", "birds on the slopes", ("light",), "day"),
             _L("crickets", "crickets at night", ("light",), "night"))
_PORCH = _p(_L("chimes", "a porch has wind chimes"),
            _L("wind", "and a breeze to ring them", ("light",)),
            _L("birds", "birds in the yard", ("light", "distant"), "day"),
            _L("crickets", "crickets in the yard at night", ("light",), "night"),
            surface=Surface("roof", "on a porch roof", rank=1))
_CAMP = _p(_L("fire", "a camp has its fire"),
           _L("crickets", "crickets around the camp", ("light",)),
           _L("owl", "an owl in the trees at night", ("occasional",), "night"),
           surface=Surface("roof", "pattering on a tent, heard from inside", True, rank=0,
                           own="rain-on-tent"))
_TENT = _p(_L("rain", "a tent's own sound: rain on the fly", ("light",), "alone"),
           _L("wind", "a breeze on the fly", ("light",)),
           surface=Surface("roof", "pattering on a tent, heard from inside", True,
                           own="rain-on-tent"))
_CAR = _p(_L("traffic", "traffic passing outside the car", ("distant",)),
          _L("fan", "the car's ventilation fan", ("light",), "alone"),
          surface=Surface("roof", "drumming on a car roof, heard from inside", True,
                          own="rain-on-car"))
_CABIN = _p(_L("fire", "a cabin has a fire in the stove"),
            _L("wind", "the wind outside", ("distant",)),
            surface=Surface("roof", "on a cabin roof, heard from inside", rank=1))
_KITCHEN = _p(_L("cups", "a kitchen has cups and dishes", ("occasional",)),
              _L("fan", "the fridge or the extractor humming", ("light",)),
              _L("room-tone", "the room's air"), rain_mods=_OUTSIDE)
_MEDITATION = _p(_L("bowl", "a singing bowl"),
                 _L("room-tone", "a quiet room"),
                 _L("chimes", "distant chimes now and then", ("occasional", "distant")))
_WINTER = _p(_L("snow-wind", "a winter wind muffled by snow"),
             _L("gusts", "now and then a gust", ("occasional", "light")))

# a named sound that stands for a place's layer of another recipe (snow-muffled wind
# is the wind of a snowy forest, not a second wind)
COVERS: Mapping[str, tuple[str, ...]] = MappingProxyType({
    "snow-wind": ("wind",), "rain-on-tent": ("rain",), "rain-on-car": ("rain",),
    "waterfall": ("rapids",), "underwater": ("surf", "lapping", "wind"),
})

# a sound named alone -> one more layer that belongs with it, so that "traffic" or "a
# purring cat" is a scene, not a single texture (the old sounds, rain or a brook or
# noise, are asked for alone on purpose and get none)
COMPANIONS: Mapping[str, PlaceLayer] = MappingProxyType({
    "murmur": PlaceLayer("cups", "talk at tables comes with cups and spoons"),
    "traffic": PlaceLayer("murmur", "people on the pavements", ("distant",)),
    "cabin": PlaceLayer("murmur", "passengers talking quietly", ("quiet", "distant")),
    "train": PlaceLayer("room-tone", "the carriage's ventilation", ("light",)),
    "clock": PlaceLayer("room-tone", "the quiet room the clock ticks in"),
    "typing": PlaceLayer("room-tone", "the room the typist works in"),
    "fan": PlaceLayer("room-tone", "the room the fan cools"),
    "aircon": PlaceLayer("room-tone", "the room it cools"),
    "purr": PlaceLayer("room-tone", "the quiet room the cat is in"),
    "frogs": PlaceLayer("crickets", "crickets on the banks", ("light",)),
    "peepers": PlaceLayer("crickets", "crickets at the pond", ("light",)),
    "waterfall": PlaceLayer("rapids", "the river below the falls", ("distant",)),
    "rapids": PlaceLayer("wind", "a breeze along the river", ("light",)),
    "lapping": PlaceLayer("wind", "a breeze over the water", ("light",)),
    "underwater": PlaceLayer("surf", "waves breaking far above", ("distant",)),
    "snow-wind": PlaceLayer("gusts", "now and then a gust in the snow", ("occasional",
                                                                         "light")),
    "hail": PlaceLayer("wind", "the storm's wind"),
    "rain-on-tent": PlaceLayer("wind", "a breeze on the fly", ("light",)),
    "rain-on-car": PlaceLayer("traffic", "traffic passing outside", ("distant",)),
})

# an event asked for alone -> the bed that goes under it (and its modifiers)
CARRIERS: Mapping[str, tuple[str, tuple[str, ...]]] = MappingProxyType({
    "gull": ("surf", ()), "wave": ("surf", ()), "crackle": ("fire", ()),
    "thunder": ("rain", ()), "gust": ("wind", ()), "owl": ("insects", ()),
    "bird": ("birds", ()), "drip": ("brook", ()), "cutlery": ("murmur", ()),
    "pages": ("room-tone", ()), "chimes": ("wind", ("light",)), "bowl": ("room-tone", ()),
    "bullfrog": ("frogs", ()), "woodpecker": ("birds", ()),
})

# a place or setting word -> the layers it has (each with its reason)
PLACES: Mapping[str, Place] = MappingProxyType({
    **dict.fromkeys(["cafe", "café", "coffee shop", "coffeeshop", "coffee house",
                     "coffeehouse", "coffee bar", "diner", "restaurant", "bistro",
                     "brasserie", "canteen", "cafeteria", "tea room", "tearoom", "teahouse",
                     "pub", "bar", "bakery", "food court"], _CAFE),
    **dict.fromkeys(["train", "trains", "railway", "railroad", "carriage", "night train",
                     "sleeper train", "train ride", "train journey", "subway", "metro",
                     "train carriage", "train car", "compartment", "sleeper", "sleeper car",
                     "tram"], _TRAIN),
    **dict.fromkeys(["airplane", "aeroplane", "plane", "flight", "airliner", "aircraft",
                     "jet", "flying", "airplane cabin", "plane cabin", "aircraft cabin",
                     "in flight", "in-flight", "long-haul flight", "overnight flight",
                     "red-eye"], _PLANE),
    **dict.fromkeys(["library", "libraries", "reading room", "study", "archive",
                     "bookshop", "bookstore", "study hall"], _LIBRARY),
    **dict.fromkeys(["office", "offices", "workplace", "workspace", "coworking",
                     "cubicle", "desk", "classroom", "focus room"], _OFFICE),
    **dict.fromkeys(["forest", "woods", "woodland", "woodlands", "wood", "grove",
                     "pine forest", "trees", "pines", "pine trees", "oaks", "firs",
                     "birch", "birches", "beeches", "treetops"], _FOREST),
    **dict.fromkeys(["bamboo forest", "bamboo grove", "bamboo", "bamboo garden"], _BAMBOO),
    **dict.fromkeys(["jungle", "rainforest", "rain forest", "tropics", "tropical"], _JUNGLE),
    **dict.fromkeys(["pond", "ponds", "millpond", "lily pond"], _POND),
    **dict.fromkeys(["swamp", "marsh", "marshes", "bog", "wetland", "wetlands", "bayou"],
                    _MARSH),
    **dict.fromkeys(["city", "street", "streets", "downtown", "town", "urban",
                     "city street", "avenue", "sidewalk", "pavement"], _CITY),
    **dict.fromkeys(["beach", "shore", "seaside", "coast", "seashore", "shoreline",
                     "coastline", "bay", "cove"], _BEACH),
    **dict.fromkeys(["harbour", "harbor", "pier", "dock", "docks", "jetty", "marina",
                     "quay", "wharf", "port"], _HARBOUR),
    **dict.fromkeys(["boat", "boats", "rowboat", "canoe", "kayak", "sailboat", "yacht",
                     "houseboat", "ship"], _BOAT),
    **dict.fromkeys(["lake", "lakeside", "lakeshore", "loch"], _LAKE),
    **dict.fromkeys(["riverside", "riverbank", "river bank"], _RIVERSIDE),
    **dict.fromkeys(["meadow", "meadows", "field", "fields", "grassland", "prairie",
                     "savanna", "savannah"], _MEADOW),
    **dict.fromkeys(["countryside", "farm", "village", "park", "orchard", "hills",
                     "outdoors"], _COUNTRY),
    **dict.fromkeys(["garden", "backyard", "yard"], _GARDEN),
    **dict.fromkeys(["mountain", "mountains", "mountaintop", "summit", "ridge", "peak",
                     "cliff", "cliffs"], _MOUNTAIN),
    **dict.fromkeys(["valley", "canyon", "gorge", "glen"], _VALLEY),
    **dict.fromkeys(["porch", "veranda", "verandah", "front porch", "balcony", "patio",
                     "deck"], _PORCH),
    **dict.fromkeys(["camp", "camping", "campsite", "campground", "camping trip"], _CAMP),
    **dict.fromkeys(["tent", "tents"], _TENT),
    **dict.fromkeys(["car", "caravan", "van", "parked car"], _CAR),
    **dict.fromkeys(["cabin", "log cabin", "hut", "chalet", "lodge", "cottage",
                     "mountain hut"], _CABIN),
    **dict.fromkeys(["kitchen"], _KITCHEN),
    **dict.fromkeys(["meditation", "meditating", "zen", "yoga", "temple", "monastery"],
                    _MEDITATION),
    **dict.fromkeys(["winter", "wintry", "frozen"], _WINTER),
})

# words that shape the scene without a layer of their own: word -> what it does
SETTINGS: Mapping[str, str] = MappingProxyType({
    **dict.fromkeys(["night", "evening", "midnight", "nighttime", "dusk", "dark",
                     "twilight", "sunset", "nightfall"], "night"),
    **dict.fromkeys(["dawn", "morning", "sunrise", "daybreak"], "dawn"),
    **dict.fromkeys(["summer", "hot", "afternoon", "day", "daytime", "spring"], "summer"),
    **dict.fromkeys(["sleep", "sleeping", "relaxing", "cozy", "cosy", "indoors", "inside",
                     "bed", "home", "house", "room", "bedroom", "living room", "focus",
                     "studying", "working"], "place"),
})

EVOLUTION: frozenset[str] = frozenset([
    "rolling in", "rolls in", "roll in", "coming in", "building", "builds", "build",
    "approaching", "approaches", "gathering", "growing", "grows", "intensifying",
    "coming closer", "comes closer", "passing", "passes", "comes and goes",
    "coming and going", "swelling", "swells",
])

# sounds people ask for that no recipe can make (listed in the file, not guessed at)
UNMAKEABLE: frozenset[str] = frozenset([
    "music", "piano", "guitar", "singing voice", "dog", "dogs", "barking",
    "footsteps", "bells", "bell", "church bells", "voice", "whale", "whales", "dolphins",
    "ice", "cows", "sheep", "horse", "horses", "wolf", "wolves", "engine", "market",
    "children", "kids", "laughter", "laughing", "rooster", "ducks", "geese", "bees",
    "heartbeat", "radio", "siren", "sirens", "helicopter", "construction", "vacuum",
    "washing machine", "applause", "clapping", "airport", "horn", "horns",
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
next wooden sitting walking lying listening watching somewhere
""".split())

SEPARATOR_WORDS = frozenset(["and", "with", "plus", "while", "but", "then", "&", "or",
                              "also", "whilst"])
MAX_PHRASE = 4  # words in the longest phrase ("drumming on a branch")


def _phrases() -> dict[str, str]:
    """Every phrase of the tables -> its table ("sound", "modifier", ...)."""
    out: dict[str, str] = {}
    for table, name in ((UNMAKEABLE, "unmakeable"), (SETTINGS, "setting"),
                        (EVOLUTION, "evolution"), (SURFACES, "surface"), (PLACES, "place"),
                        (MODIFIERS, "modifier"), (WORDS, "sound")):
        for phrase in table:
            out[phrase] = name  # later tables win: a sound word beats a setting
    return out


PHRASES: Mapping[str, str] = MappingProxyType(_phrases())


# one or two words per sound, for the "nothing recognised" message
HEADWORDS: tuple[str, ...] = (
    "rain", "drizzle", "downpour", "thunder", "storm", "wind", "breeze", "gusts", "surf",
    "waves", "brook", "river", "waterfall", "lapping", "underwater", "snow", "hail", "fire",
    "crackling", "crickets", "insects", "cicadas", "birds", "dawn chorus", "owl", "gulls",
    "frogs", "peepers", "bullfrog", "woodpecker", "drips", "talking", "cups", "traffic",
    "clock", "typing", "pages", "chimes", "singing bowl", "fan", "air conditioner", "cat",
    "white/pink/brown noise", "and places: cafe, train, plane, library, office, forest, "
    "pond, city, beach, meadow, porch, camp, tent",
)


def understood_words() -> list[str]:
    """Every sound word and phrase of the table, sorted (for docs and tests)."""
    return sorted(WORDS)
