"""From a mention to a planned layer: modifiers summed, levels, params and prompt.

Named steps, each testable alone:

1. :func:`totals` -- the modifier words summed: amount (+1 heavy / -1 light, within
   -2..2), distance (+1 distant / -1 close, within -1..1), a rate factor (0.25..4);
2. :func:`near_variant` -- "close" turns a sound with a ``close_key`` into that sound
   (far thunder -> near thunder), which is close already;
3. :func:`heavier` -- "heavy"/"light" move the recipe param named by ``amount``;
4. :func:`bed_levels` / :func:`event_levels` -- gain, distance, filter, width and
   rate from the totals;
5. :func:`prompt_for` -- the surface, noise colour, dawn and summer settings, and the
   adjectives the modifiers gave, into params and the generator prompt.

:func:`plan` runs them; :func:`balance` then sets the beds against each other (the
loudest at 0 dB, the others within 12 dB of it) and :func:`carrier_for` picks the bed
that goes under events asked for alone (:data:`~soundscape.wordscene.words.CARRIERS`).
Levels follow the shipped scenes (see docs/scenes.md "What 0 dB means"). Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from types import MappingProxyType

from .reading import Mention, Reading
from .words import CARRIERS, MODIFIERS, SOUNDS, Sound

BED_SPREAD_DB = 12.0  # every bed within this of the loudest


@dataclass(frozen=True)
class Totals:
    """What a mention's modifier words add up to."""

    amount: int = 0  # -2 (very light) .. 2 (very heavy)
    distance: int = 0  # -1 close, 0, 1 distant
    rate: float = 1.0  # a factor on an event's rate, 0.25..4


@dataclass(frozen=True)
class Levels:
    """A layer's levels: a bed uses gain[0], highcut and width; an event the rest."""

    gain: tuple[float, float]
    rate: float
    distance: tuple[float, float]
    highcut: float | None
    width: float
    notes: tuple[str, ...] = ()
    adjectives: tuple[str, ...] = ()


@dataclass(frozen=True)
class Plan:
    """One layer of the scene to write: the sound and everything the words changed."""

    sound: Sound
    words: tuple[str, ...]
    mods: tuple[str, ...]
    params: Mapping[str, float | str]
    levels: Levels
    notes: tuple[str, ...] = ()  # what the words changed, for the layer's comment
    prompt: str = ""
    reason: str = ""


def _clip(x: float, low: float, high: float) -> float:
    return min(high, max(low, x))


def totals(mods: list[str] | tuple[str, ...]) -> Totals:
    """The modifier words ``mods`` summed and bounded."""
    rate = 1.0
    for w in mods:
        rate *= MODIFIERS[w].rate
    return Totals(amount=max(-2, min(2, sum(MODIFIERS[w].amount for w in mods))),
                  distance=max(-1, min(1, sum(MODIFIERS[w].distance for w in mods))),
                  rate=_clip(rate, 0.25, 4.0))


def near_variant(sound: Sound, t: Totals) -> tuple[Sound, Totals]:
    """The near variant of ``sound`` when the words say close (then at distance 0)."""
    if t.distance < 0 and sound.close_key is not None:
        return SOUNDS[sound.close_key], replace(t, distance=0)
    return sound, t


def heavier(sound: Sound, amount: int, params: dict[str, float | str]
            ) -> tuple[list[str], list[str]]:
    """Move ``params[sound.amount]`` by ``amount`` within the recipe's range (in
    place); the notes and prompt adjectives that says."""
    if sound.amount is None or not amount:
        return [], []
    from ..procedural import RECIPES

    spec = RECIPES[sound.recipe].params[sound.amount]
    low = 0.0 if spec.low is None else spec.low
    high = 1.0 if spec.high is None else spec.high
    span = high - low  # steps are shares of the range (cars a minute: 1..60)
    value = float(params[sound.amount])
    step = (0.3 if amount > 0 else 0.25) * span
    params[sound.amount] = round(_clip(value + step * amount, low + 0.1 * span,
                                       high - 0.05 * span), 2)
    return ([f"{'heavier' if amount > 0 else 'lighter'}: "
             f"{sound.amount} {value:g} -> {params[sound.amount]:g}"],
            ["heavy" if amount > 0 else "light"])


def bed_levels(sound: Sound, t: Totals) -> Levels:
    """A bed: louder or softer when no param moves, distant = lower, duller, wider."""
    gain = sound.gain_db[0]
    highcut, width = sound.highcut_hz, sound.width
    notes: list[str] = []
    adjectives: list[str] = []
    if t.amount and sound.amount is None:
        gain += 3.0 * t.amount
    if t.distance > 0:
        gain -= 6.0
        highcut = 3000.0
        width = min(2.0, width + 0.3)
        adjectives.append("distant")
        notes.append("distant: 6 dB down, high cut at 3 kHz, wider")
    elif t.distance < 0:
        gain += 3.0
        adjectives.append("close")
        notes.append("close: 3 dB up")
    return Levels((gain, gain), sound.rate_per_min * t.rate, sound.distance, highcut, width,
                  tuple(notes), tuple(adjectives))


def event_levels(sound: Sound, t: Totals) -> Levels:
    """An event: gain shifted by the amount and distance, drawn nearer or farther,
    more or less often."""
    shift = 3.0 * t.amount if sound.amount is None else 1.5 * t.amount
    distance = sound.distance
    notes: list[str] = []
    adjectives: list[str] = []
    if t.distance > 0:
        shift -= 2.0
        distance = (0.4, 0.9)
        adjectives.append("distant")
        notes.append("distant: 2 dB down, drawn at distance 0.4..0.9 (duller)")
    elif t.distance < 0:
        shift += 3.0
        distance = (0.0, 0.25)
        adjectives.append("close")
        notes.append("close: 3 dB up, distance 0..0.25")
    if shift and sound.amount is None and t.amount:
        notes.append(f"{'louder' if t.amount > 0 else 'softer'}: {3.0 * t.amount:+g} dB")
    if t.rate != 1.0:
        notes.append(f"{'more often' if t.rate > 1 else 'less often'}: rate x{t.rate:g}")
    low, high = sound.gain_db
    return Levels((low + shift, high + shift), sound.rate_per_min * t.rate, distance,
                  sound.highcut_hz, sound.width, tuple(notes), tuple(adjectives))


def prompt_for(sound: Sound, r: Reading, params: dict[str, float | str],
               adjectives: list[str]) -> tuple[str, list[str]]:
    """The generator prompt of ``sound`` (``params`` set in place from the settings)
    and the notes that says."""
    notes: list[str] = []
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
    if sound.key in ("rain-on-tent", "rain-on-car") and r.surface is not None:
        word, surf = r.surface
        notes.append(f"'{word}': rain {surf.phrase} (the {sound.recipe} recipe, surface "
                     f"{params['surface']})")
    if sound.key == "hail" and r.surface is not None:
        params["surface"] = r.surface[1].hail
        notes.append(f"'{r.surface[0]}': hail on the {params['surface']}")
    if sound.key == "noise" and r.noise_color is not None:
        params["color"] = r.noise_color
        prompt = f"steady soft {r.noise_color} noise, even and smooth"
    settings = set(r.settings.values())
    if sound.key == "birds" and "dawn" in settings:
        params["density"] = round(_clip(float(params["density"]) + 0.3, 0.1, 0.95), 2)
        notes.append("dawn: a fuller chorus")
    if sound.key == "insects" and "summer" in settings and "night" not in settings:
        params["kind"] = "cicada"
        notes.append("summer day: cicadas")
    for adjective in adjectives:
        if adjective in prompt:
            continue
        if prompt.split(" ", 1)[0] in ("a", "an", "inside", "heard"):
            prompt = f"{prompt}, {adjective}"  # not "heavy a cafe's murmur"
        else:
            prompt = f"{adjective} {prompt}"
    if "night" in settings and "night" not in prompt:
        prompt = f"{prompt}, at night"
    return prompt, notes


def own_surface(sound: Sound, r: Reading) -> Sound:
    """Rain on a surface with a recipe of its own (a tent, a car) -> that sound."""
    if sound.key == "rain" and r.surface is not None and r.surface[1].own is not None:
        return SOUNDS[r.surface[1].own]
    return sound


def plan(m: Mention, r: Reading) -> Plan:
    """The layer that mention ``m`` asks for, in the setting ``r`` read."""
    sound, t = near_variant(own_surface(SOUNDS[m.sound], r), totals(m.mods))
    params = dict(sound.params)
    notes, adjectives = heavier(sound, t.amount, params)
    levels = bed_levels(sound, t) if sound.kind == "bed" else event_levels(sound, t)
    notes += levels.notes
    adjectives += levels.adjectives
    prompt, more = prompt_for(sound, r, params, adjectives)
    return Plan(sound, tuple(m.words), tuple(m.mods), MappingProxyType(params), levels,
                tuple(notes + more), prompt, m.reason)


def balance(beds: list[Plan]) -> list[Plan]:
    """The first bed is the main one (0 dB, before its own modifiers); the loudest bed
    ends at 0 dB and every other within BED_SPREAD_DB of it (beds near each other)."""
    if not beds:
        return []
    main = beds[0]
    own = main.levels.gain[0] - main.sound.gain_db[0]  # what its modifiers did
    gains = [own] + [b.levels.gain[0] for b in beds[1:]]
    top = max(gains)
    out = []
    for b, gain in zip(beds, gains, strict=True):
        g = round(max(gain - top, -BED_SPREAD_DB), 1)
        out.append(replace(b, levels=replace(b.levels, gain=(g, g))))
    return out


def carrier_for(events: list[Plan]) -> tuple[str, tuple[str, ...]]:
    """A bed that belongs with these events (owls -> night insects, gulls -> surf...)
    and its modifiers (chimes -> a light breeze); noise when none does."""
    recipes = [e.sound.recipe for e in events]
    for recipe, carrier in CARRIERS.items():
        if recipe in recipes:
            return carrier
    return "noise", ()
