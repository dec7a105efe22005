"""What real recordings of each kind of bed measure, and which recipes must match them.

:data:`REFERENCE_RANGES` maps a bed *category* (rain, wind, surf, stream, fire,
crickets, insects, birds) to inclusive ``(low, high)`` ranges of four statistics from
:mod:`soundscape.procedural.stats`:

* ``mod_depth_db``: std of the 50 ms level (dB) of the mono mix;
* ``centroid_hz``: spectral centroid (Hz);
* ``slope_db_oct``: PSD slope between 200 Hz and 6 kHz (dB per octave);
* ``high_kurtosis``: waveform kurtosis above 2 kHz (only where it tells the sound
  apart: impulsive rain and fire, Gaussian-like cicadas).

:data:`CASES` says which recipe and params belong to which category: every bed
recipe at every params a shipped scene (``scenes/*.toml``) uses, and at its
defaults (see :func:`covers`). ``tests/test_realism.py`` renders each case (10 s,
48 kHz, median over three seeds) and checks it against its category;
``bench/texture_stats.py`` prints the same comparison.

Where the numbers come from (be honest about how thin the evidence is):

* "issue" figures are the measured ranges of several real recordings per category
  quoted in issue 7 (rain centroid 1280-2700 Hz, stream centroid 1370-3030 Hz, fire
  high-band kurtosis 10-195, surf modulation depth 3.2-7.1 dB, crickets slope
  -1.4..+6.6 dB/octave and modulation depth 1.1-1.35 dB). They are used as given,
  widened only where noted.
* "ref" figures are our own reference recordings (``../shared/reference-recordings``,
  not part of the project), measured with the same functions: rain_04 (mod 1.06 dB,
  hk 206, centroid 1761 Hz, slope -4.0), wind_02 (1.65, 3.6, 426, -8.7), water_02
  stream (1.70, 8.6, 1761, -3.8), fire_02 (1.64, 10.2, 361, -1.4), crickets_02
  dense cicadas (1.09, 3.2, 3881, +2.1), birds_02 (5.96, 61, 1590, -0.4) and
  forest_03 (5.99, 36.9, 5399, +2.2).
* Where one recording is all we know, it is widened by a stated tolerance:
  TOL_MOD (x/ 2 for modulation depth), TOL_CENTROID (x/ 2, an octave, for the
  centroid), TOL_SLOPE (+-4 dB/octave). These are judgement, not measurement: a
  single recording is one instance of its category.
* Surf has no recording of ours and the issue gives only its modulation depth; its
  centroid and slope ranges are broad plausibility bounds (a low roar between pink
  and brown noise, as in published surf spectra), not measurements.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

Range = tuple[float, float]

TOL_MOD = 2.0  # factor either way on one recording's modulation depth
TOL_CENTROID = 2.0  # factor either way on one recording's centroid
TOL_SLOPE = 4.0  # dB/octave either way on one recording's slope
INF = float("inf")


def _around(value: float, factor: float) -> Range:
    return (round(value / factor, 2), round(value * factor, 2))


def _plus_minus(value: float, delta: float) -> Range:
    return (round(value - delta, 2), round(value + delta, 2))


REFERENCE_RANGES: dict[str, dict[str, Range]] = {
    "rain": {
        "mod_depth_db": _around(1.06, TOL_MOD),  # ref rain_04 only
        "centroid_hz": (1280.0, 2700.0),  # issue
        "slope_db_oct": _plus_minus(-4.02, TOL_SLOPE),  # ref rain_04 only
        # ref rain_04: 206, dominated by the loudest drops; a factor of 10 below it
        # still tells drops from a wash (noise: 3).
        "high_kurtosis": (20.0, INF),
    },
    "wind": {
        "mod_depth_db": _around(1.65, TOL_MOD),  # ref wind_02 only
        "centroid_hz": _around(426.0, TOL_CENTROID),  # ref wind_02 only
        "slope_db_oct": _plus_minus(-8.67, TOL_SLOPE),  # ref wind_02 only
    },
    "surf": {
        "mod_depth_db": (3.2, 7.1),  # issue
        "centroid_hz": (250.0, 1600.0),  # plausibility bound, no recording
        "slope_db_oct": (-10.0, -2.0),  # plausibility bound, no recording
    },
    "stream": {
        "mod_depth_db": _around(1.70, TOL_MOD),  # ref water_02 only
        "centroid_hz": (1370.0, 3030.0),  # issue
        "slope_db_oct": _plus_minus(-3.76, TOL_SLOPE),  # ref water_02 only
    },
    "fire": {
        "mod_depth_db": _around(1.64, TOL_MOD),  # ref fire_02 only
        "centroid_hz": _around(361.0, TOL_CENTROID),  # ref fire_02 only
        "slope_db_oct": _plus_minus(-1.35, TOL_SLOPE),  # ref fire_02 only
        "high_kurtosis": (10.0, 195.0),  # issue
    },
    "crickets": {
        # issue 1.1-1.35 dB, widened by 0.1 below and 0.15 above: a 10 s render of a
        # few individuals scatters more than a long recording of a field.
        "mod_depth_db": (1.0, 1.5),
        "centroid_hz": (2500.0, 6000.0),  # ref crickets_02 3881 x/ 1.5 (carriers 2-8 kHz)
        "slope_db_oct": (-1.4, 6.6),  # issue
    },
    "insects": {
        # ref crickets_02 (dense cicadas, 1.09 dB); the issue's crickets range
        # 1.1-1.35 agrees; widened to 0.7..1.6 for a single recording.
        "mod_depth_db": (0.7, 1.6),
        "centroid_hz": (2500.0, 6000.0),  # ref crickets_02 3881 x/ 1.5
        "slope_db_oct": (-1.4, 6.6),  # issue (crickets), ref crickets_02 +2.1 inside
        # ref crickets_02 3.2: a dense buzz, not clicks
        "high_kurtosis": (2.5, 8.0),
    },
    "birds": {
        # birds_02 5.96, forest_03 5.99 (sparse calls over near-silence). A bed that
        # must be level-stationary at 1 s cannot be that sparse; widened down to 2.5.
        "mod_depth_db": (2.5, 8.0),
        "centroid_hz": (1590.0 / 1.25, 5399.0 * 1.1),  # ref birds_02 .. forest_03, widened
        "slope_db_oct": (-0.35 - TOL_SLOPE, 2.23 + TOL_SLOPE),  # ref birds_02 .. forest_03
    },
}


@dataclass(frozen=True)
class Case:
    """One recipe at one set of params, measured against ``category`` (None: no
    real counterpart, e.g. plain noise). ``where`` names the scene layers that use it."""

    recipe: str
    params: dict[str, object] = field(default_factory=dict)
    category: str | None = None
    where: str = "defaults"

    @property
    def label(self) -> str:
        """``recipe key=value ...`` for tables and test ids."""
        parts = [f"{k}={v}" for k, v in sorted(self.params.items())]
        return " ".join([self.recipe, *parts])


# Every bed recipe at the params of every shipped scene layer; defaults (and scene
# params) within COVER_TOL of a listed case are covered by it and not repeated, to
# keep the test's render time down.
COVER_TOL = 0.1
CASES: tuple[Case, ...] = (
    Case("rain", {"intensity": 0.45, "surface": "window"}, "rain",
         "rainy-night rain; defaults (0.5, window)"),
    Case("rain", {"intensity": 0.85, "surface": "roof"}, "rain", "rainy-night downpour"),
    Case("rain", {"intensity": 0.35, "surface": "roof"}, "rain", "fireplace-cabin rain-outside"),
    Case("rain", {"intensity": 0.55, "surface": "leaves"}, "rain", "thunderstorm rain"),
    Case("rain", {"intensity": 0.95, "surface": "roof"}, "rain", "thunderstorm downpour"),
    Case("wind", {"strength": 0.15, "gustiness": 0.5}, "wind",
         "summer-night breeze; forest-dawn leaves (0.15, 0.45)"),
    Case("wind", {"strength": 0.3, "gustiness": 0.4}, "wind", "ocean-shore sea-wind"),
    Case("wind", {"strength": 0.35, "gustiness": 0.7}, "wind", "fireplace-cabin window-wind"),
    Case("wind", {"strength": 0.5, "gustiness": 0.6}, "wind",
         "mountain-wind wind; defaults (0.5, 0.5)"),
    Case("wind", {"strength": 0.65, "gustiness": 0.8}, "wind", "thunderstorm wind"),
    Case("wind", {"strength": 0.85, "gustiness": 0.85}, "wind", "mountain-wind howl"),
    Case("surf", {"period": 9.0}, "surf", "defaults"),
    Case("surf", {"period": 10.0}, "surf", "ocean-shore surf"),
    Case("surf", {"period": 13.0}, "surf", "ocean-shore far-surf"),
    Case("brook", {"flow": 0.5}, "stream", "brook brook; defaults"),
    Case("brook", {"flow": 0.35}, "stream", "forest-dawn brook"),
    Case("brook", {"flow": 0.85}, "stream", "brook rapids"),
    Case("fire", {"intensity": 0.55}, "fire", "fireplace-cabin fire; defaults (0.5)"),
    Case("fire", {"intensity": 0.15}, "fire", "fireplace-cabin embers"),
    Case("crickets", {"density": 0.45}, "crickets", "summer-night crickets; defaults (0.5)"),
    Case("crickets", {"density": 0.95}, "crickets", "summer-night chorus"),
    Case("insects", {"kind": "cicada", "density": 0.5}, "insects", "defaults (cicada)"),
    Case("insects", {"kind": "night", "density": 0.5}, "insects", "summer-night insects"),
    Case("birds", {"density": 0.5}, "birds", "defaults"),
    Case("birds", {"density": 0.25}, "birds", "brook birds"),
    Case("birds", {"density": 0.35}, "birds", "forest-dawn birds"),
    Case("birds", {"density": 0.9}, "birds", "forest-dawn chorus"),
    # frogs family: no frog recording among ours, so no real range yet (category None);
    # the tests in tests/test_palette_frogs.py hold them to published call figures
    Case("peepers", {"density": 0.5, "temperature_c": 15.0}, None, "pond-dusk peepers; defaults"),
    Case("frogs", {"density": 0.5}, None, "pond-dusk frogs; defaults"),
    Case("noise", {"color": "pink"}, None, "defaults"),
    Case("noise", {"color": "brown"}, None, "mountain-wind valley"),
    # things (no reference recordings of these; their models are held to published
    # figures in tests/test_palette_things.py instead)
    Case("clock", {}, None, "defaults"),
    Case("clock", {"rate": 1.0, "size": 0.8}, None, "library clock"),
    Case("typing", {}, None, "defaults; focus-room typing"),
    Case("hum", {}, None, "defaults"),
    Case("hum", {"kind": "aircon", "speed": 0.4}, None, "focus-room aircon"),
    Case("purr", {}, None, "defaults"),
    # waterworks: the waterfall and the rapids are running water like water_02 (a
    # river loop) and are held to the stream ranges at the params shipped; a big fall
    # (height 1) is darker (centroid ~1.2 kHz) by design and not in the table.
    # Lapping, underwater, snow-muffled wind and hail have no recording of ours (category
    # None); tests/test_palette_waterworks.py holds them to their published figures.
    Case("waterfall", {"height": 0.5}, "stream", "defaults; waterfall-valley falls (0.55)"),
    Case("rapids", {"flow": 0.5}, "stream", "defaults; waterfall-valley rapids (0.55)"),
    Case("lapping", {}, None, "defaults"),
    Case("underwater", {}, None, "defaults"),
    Case("snow-wind", {"strength": 0.4}, None, "defaults"),
    Case("hail", {"intensity": 0.5, "surface": "roof"}, None, "defaults"),
    # places (no reference recording of a cafe's talk alone, traffic, a train, a
    # cabin, a quiet room or rain on a tent: city_01 is a restaurant dominated by
    # dishes; tests/test_palette_places.py holds them to their published figures)
    Case("murmur", {"crowd": 0.5}, None, "defaults; coffee-shop murmur"),
    Case("murmur", {"crowd": 0.95}, None, "coffee-shop crowd"),
    Case("room-tone", {"hum": 0.2}, None, "defaults"),
    Case("room-tone", {"hum": 0.4}, None, "coffee-shop room"),
    Case("room-tone", {"hum": 0.3}, None, "night-train ventilation"),
    Case("traffic", {"density": 12.0}, None, "defaults; city-rain traffic"),
    Case("traffic", {"density": 40.0}, None, "city-rain rush"),
    Case("train", {"speed": 100.0}, None, "defaults; night-train train"),
    Case("train", {"speed": 55.0}, None, "night-train slow-train"),
    Case("cabin", {}, None, "defaults"),
    Case("tent-rain", {"intensity": 0.5, "surface": "tent"}, None, "defaults"),
    Case("tent-rain", {"intensity": 0.5, "surface": "car"}, None, "city-rain on-cars"),
)


def covers(case: Case, recipe: str, params: Mapping[str, object],
           tol: float = COVER_TOL) -> bool:
    """Whether ``case`` stands for ``recipe`` at ``params``: same recipe, same choices
    and every number within ``tol``. Params missing on either side take the recipe's
    defaults."""
    if case.recipe != recipe:
        return False
    from soundscape.procedural import RECIPES  # late: this module is imported by it

    specs = RECIPES[recipe].params
    for key, spec in specs.items():
        a, b = case.params.get(key, spec.default), params.get(key, spec.default)
        if isinstance(a, str) or isinstance(b, str):
            if a != b:
                return False
        elif abs(float(a) - float(b)) > tol:  # type: ignore[arg-type]
            return False
    return True


def case_for(recipe: str, params: Mapping[str, object]) -> Case | None:
    """The first case that covers ``recipe`` at ``params`` (None: not in the table)."""
    return next((c for c in CASES if covers(c, recipe, params)), None)


def cases_for(category: str) -> list[Case]:
    """The cases measured against ``category``."""
    return [c for c in CASES if c.category == category]


def inside(value: float, rng: Range) -> bool:
    """Whether ``value`` lies in the inclusive range ``rng``."""
    return rng[0] <= value <= rng[1]


# --- cochlear-band envelope statistics (flutter) and thunder onsets ----------------
# Measured with soundscape.procedural.stats (1-ERB bands, Hilbert envelopes at 3 kHz,
# see stats.erb_envelopes). Two sources, and they do not agree in absolute terms:
#
# * "indep": an independent analysis of several real recordings per category, quoted
#   in issue 14, with its own envelope computation: fires put 10-19 % of their
#   2-10 kHz envelope variance at 6-28 Hz, have top-octave envelope kurtosis 4.3-12.9
#   and mid-band (200-800 Hz) envelope correlation 0.23-0.57; wind puts about 3-20 %
#   of its high-band envelope variance at 6-64 Hz; thunder's first 0.5 s has a
#   centroid of 314-781 Hz and real cracks rise (10-90 %) in 0.14-0.28 s.
# * "ref": our reference recordings measured with the functions here: fire_02
#   flutter 0.215 (6-28 Hz), top-octave kurtosis 17.7, mid-band r 0.136; wind_02
#   0.225 at 6-64 Hz and 0.161 below 0.5 Hz; thunder_02 (a near strike over rain)
#   rise 0.19 s, first-0.5 s centroid 351 Hz. For scale: white or pink noise 0.086
#   (6-28 Hz), 0.22 (6-64 Hz), 0.002 (below 0.5 Hz), kurtosis 3.3, r 0.0.
#
# Our measure reads steady noise at 8.6 % (6-28 Hz), so its ranges are placed around
# our recordings, and the independent analysis sets how wide they are (how much
# real recordings differ from one another), not where they sit.

FLUTTER_RANGES: dict[str, dict[str, Range]] = {
    "fire": {
        # ref fire_02 0.215; indep spread a factor 1.9 (10-19 %): / 1.4 .. x 1.6.
        # Noise 0.086 and the v5 fire 0.13 (a hiss that never fluttered) fall below.
        "flutter_6_28": (0.15, 0.35),
        # ref fire_02 17.7 x/ 2 (TOL_MOD): crackles over a fluttering hiss; a smooth
        # top octave (noise 3.3) falls below
        "top_kurtosis": _around(17.7, 2.0),
        # ref fire_02 0.136 at the low end, indep 0.57 at the top; noise 0.0, v5 0.05
        "mid_correlation": (0.1, 0.6),
    },
    "wind": {
        # ref wind_02 0.225 / 1.5 .. x 1.5 (indep: 3-20 %, in its own terms); the v5
        # storm and howl 0.10-0.11, their variance piled into slow gusts
        "flutter_6_64": (0.15, 0.34),
        # up to about twice wind_02's 0.161; the v5 storm and howl measured 0.42-0.50
        "slow_share": (0.0, 0.35),
    },
}

# Which recipe cases the flutter ranges are for: the shipped fires and strong winds.
FLUTTER_CASES: tuple[Case, ...] = (
    Case("fire", {"intensity": 0.55}, "fire", "fireplace-cabin fire; defaults (0.5)"),
    Case("fire", {"intensity": 0.15}, "fire", "fireplace-cabin embers"),
    Case("wind", {"strength": 0.65, "gustiness": 0.8}, "wind", "thunderstorm wind"),
    Case("wind", {"strength": 0.85, "gustiness": 0.85}, "wind", "mountain-wind howl"),
)

THUNDER_LIMITS: dict[str, float] = {
    # every near strike (distance 0.15) rises 10-90 % within this (s): indep real
    # cracks 0.14-0.28, ref thunder_02 0.19; the v5 recipe took 0.7 (median), up to 4.6
    "near_rise_max_s": 0.3,
    # every far strike (distance 0.85 and 1.0) keeps its first 0.5 s above this (Hz):
    # a phone plays little below 200 Hz; indep real 314-781, ref thunder_02 351; v5 56-275
    "far_onset_centroid_min_hz": 250.0,
}
