"""Procedural CPU synthesizer: physically informed recipes for beds and events.

Contract (stated once): :func:`render` returns float32 audio shaped (2, frames),
finite, peak <= 1, deterministic in (recipe, params, seconds, sample_rate, seed).

* Beds are exactly ``round(seconds * sample_rate)`` frames of stationary texture with
  no fades (the mixer crossfades), normalised to about -20 dBFS RMS.
* Events are one-shots of the recipe's natural length (at most ``seconds`` and at
  most 20 s), starting at zero, peaking at about -3 dBFS and ending with a 5 ms fade
  to exactly zero.

Works at any sample rate from 16 kHz to 96 kHz (designed at 48 kHz; bands above
0.45 * sample_rate are dropped). Randomness comes only from
``numpy.random.default_rng`` seeded from (seed, recipe name).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from soundscape.procedural import (
    birds,
    creatures,
    fire,
    frogs,
    gulls,
    insects,
    noise,
    places,
    rain,
    things,
    thunder,
    water,
    waterworks,
    wind,
)
from soundscape.procedural._spec import ParamSpec, Recipe, make, problems

__all__ = ["PROCEDURAL_VERSION", "RECIPES", "ParamSpec", "Recipe", "render", "validate_params"]

# 7: issue 14 creatures (birds floor, gull calls); 8: tawny owl; 9: kyow 2-3 notes;
# 10: the mixed cricket field (snowy tree crickets lead over a far chorus with a gap);
# 11: the night insects' near trillers; 12: the gull's long call (drawn-out opening
# notes, then a faster run); 13: the birds bed fills chorus-wide silences, new weights;
# 14: a dense birds chorus takes turns (birds.avoid_overlap); 15: robin, blackbird,
# song thrush, chiffchaff and wood pigeon songs reworked from published descriptions;
# 16: the birds bed's songs reverberate in the wood (birds.wood_tail), a bird event's
# tail is longer and brighter (birds.EVENT_TAIL); 17: chiffchaff, wood pigeon and robin
# songs retuned (BirdNET names them)
PROCEDURAL_VERSION: str = "17"


def _unit(default: float, doc: str) -> ParamSpec:
    return ParamSpec(default, 0.0, 1.0, doc=doc)


_RECIPE_LIST: list[Recipe] = [
    # beds
    make("rain", "bed", {
        "intensity": _unit(0.5, "0 light drizzle .. 1 downpour (drop rate and size)"),
        "surface": ParamSpec("window", choices=tuple(rain.SURFACES), doc="what the drops hit"),
    }, "Drop impacts (Marshall-Palmer sizes) on a surface over a dark wash.", rain.rain),
    make("wind", "bed", {
        "strength": _unit(0.5, "0 breeze .. 1 gale (level of the whistle, band centre)"),
        "gustiness": _unit(0.5, "0 steady .. 1 strong slow gusts"),
    }, "Pink noise through a wandering broad band-pass, rumble and whistles, gusts.", wind.wind,
         reuse=6),
    make("surf", "bed", {
        "period": ParamSpec(9.0, 6.0, 14.0, doc="mean seconds between waves of one breaker"),
    }, "Ocean surf: waves that swell, crash and hiss back (a near and a far breaker) on a "
       "faint roar; one or two waves per 10 s.", water.surf, reuse=4),
    make("brook", "bed", {
        "flow": _unit(0.5, "0 trickle .. 1 rushing stream (bubble rate, wash level)"),
    }, "Babbling water: clustered Minnaert bubbles (1-6.5 kHz) over a bright wash.", water.brook),
    make("fire", "bed", {
        "intensity": _unit(0.5, "0 embers .. 1 roaring fire (roar level, crackle rate)"),
    }, "Soft roar and hiss with sparse, sharp crackles and occasional pops.", fire.fire,
         reuse=6),
    make("crickets", "bed", {
        "density": _unit(0.5, "0 a few individuals .. 1 a dense chorus"),
        "species": ParamSpec("mixed", choices=insects.CRICKET_SPECIES,
                             doc="field: 3-5 pulse chirps at 4.5-5 kHz; tree: snowy tree "
                                 "crickets chirping together; trill: trilling tree "
                                 "crickets; mixed: snowy tree crickets with a few field "
                                 "crickets far behind"),
        "temperature_c": ParamSpec(22.0, 10.0, 35.0,
                                   doc="air temperature in C: chirp rates follow it "
                                       "(Dolbear's law)"),
    }, "A cricket chorus: snowy tree crickets chirping in synchrony and field crickets' "
       "chirps at temperature-set rates, from 8-30 singers over a shimmering far "
       "chorus.", insects.crickets),
    make("insects", "bed", {
        "kind": ParamSpec("cicada", choices=insects.INSECT_KINDS,
                          doc="cicada: dense pulsed buzz; night: soft drone of many "
                              "insects; katydid: rasping 'ka-ty-did' groups"),
        "density": _unit(0.5, "number of insects"),
    }, "Cicada buzz (broad 2-8 kHz), a night-insect drone, or katydids, over a faint "
       "night floor.", insects.insects),
    make("birds", "bed", {
        "density": _unit(0.5, "0 a few singers .. 1 a dawn chorus (mixed: 2..10 birds; "
                              "one species: 1..4)"),
        "species": ParamSpec("mixed", choices=birds.CHOICES,
                             doc="one species, or mixed: a European wood"),
    }, "Bird chorus: species songs in bouts, neighbours countersinging, at several "
       "distances, over faint air and leaf hiss.", birds.birds),
    make("noise", "bed", {
        "color": ParamSpec("pink", choices=tuple(noise.EXPONENTS), doc="spectral colour"),
    }, "Independent L/R coloured noise.", noise.noise),
    # events
    make("thunder", "event", {
        "distance": _unit(0.5, "0 close crack .. 1 distant rumble"),
    }, "Thunder: N-waves from a tortuous channel, arriving over seconds.", thunder.thunder),
    make("bird", "event", {
        "species": ParamSpec("mixed", choices=birds.CHOICES,
                             doc="who sings; mixed: a European woodland bird"),
    }, "One bird singing its species' song (a cuckoo or pigeon its phrase series).",
         birds.bird),
    make("owl", "event", {}, "An owl hooting: 'hoo ... hoo-hoo'.", creatures.owl),
    make("crackle", "event", {}, "One loud fire pop with a short sizzle.", fire.crackle),
    make("gust", "event", {
        "strength": _unit(0.5, "how strong the gust is (brightness, length)"),
    }, "A single wind gust swelling and dying away, 3-8 s.", wind.gust),
    make("wave", "event", {}, "A single wave: swell, crash and backwash hiss.", water.wave),
    make("drip", "event", {}, "A water drop falling into water.", water.drip),
    make("gull", "event", {
        "call": ParamSpec("mixed", choices=gulls.CALLS,
                          doc="long: the laughing long call; kyow: 1-3 single notes"),
    }, "A herring gull: its long call (head-toss 'kee-ow' then laughing 'ha' notes) or "
       "single 'kyow' notes; harsh, harmonic, rough.", gulls.gull),
]

# the palette's families register their recipes in their own modules
_RECIPE_LIST += [*places.RECIPES, *things.RECIPES, *frogs.RECIPES, *waterworks.RECIPES]

RECIPES: dict[str, Recipe] = {r.name: r for r in _RECIPE_LIST}
assert len(RECIPES) == len(_RECIPE_LIST), "two recipes share a name"



def validate_params(recipe: str, params: Mapping[str, object]) -> list[str]:
    """Every problem with ``params`` for ``recipe`` as short messages; [] when valid."""
    r = RECIPES.get(recipe)
    if r is None:
        return [f"unknown recipe {recipe!r} (known: {', '.join(sorted(RECIPES))})"]
    return problems(recipe, r.params, params)


def render(recipe: str, params: Mapping[str, object], *, seconds: float, sample_rate: int,
           seed: int) -> np.ndarray:
    """Render ``recipe`` as float32 (2, frames); see the module docstring for the contract.

    Raises ValueError listing every problem when the recipe or params are invalid.
    """
    bad = validate_params(recipe, params)
    if bad:
        raise ValueError("; ".join(bad))
    return RECIPES[recipe].render(params, seconds=seconds, sample_rate=sample_rate, seed=seed)
