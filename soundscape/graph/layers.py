"""A layer's node: the player its material calls for, in its gain strip.

The graph builder (``build``) wires these nodes into a scene's graph, and the
loudness calibration (``loudness``) plays them on their own to measure the mix, so
both import them from here (neither imports the other's internals).
"""

from __future__ import annotations

import numpy as np

from ..dsp.texture import GrainTexture, TextureStream
from ..procedural import RECIPES
from ..scene import Bed, Event, Layer, Scene
from ..seeds import derive
from ..sources import fresh_frames
from .automation import level_curve, rate_timeline
from .bed import RATES, USES, BedPlayer, SplitBed
from .core import Node, Strip
from .events import EventPlan, EventPlayer
from .pool import Make, SegmentPool, Shared

FINITE_SOURCES = ("files", "generated")  # material that cannot be made again


def arrangement_seed(seed: int, layer: Layer) -> int:
    """The seed of a layer's arrangement (variant order, offsets, events)."""
    return derive(arrange=seed, layer=layer.name)


def event_plan(scene: Scene, layer: Event) -> EventPlan:
    """The event layer's random process, with its rate automated by phases."""
    timeline = rate_timeline(scene, layer)
    rate = scene.master.sample_rate

    def rate_at(t: np.ndarray) -> np.ndarray:
        return timeline((np.asarray(t) * rate).astype(np.int64)) / 60.0

    return EventPlan(
        rate=rate_at,
        interval=layer.interval,
        base_rate=layer.base_rate,
        constant=not timeline.active,
        min_gap=layer.min_gap,
        gain_db=layer.gain_db,
        pan=layer.pan,
        distance=layer.distance,
    )


def layer_node(scene: Scene, layer: Layer, segments: list[np.ndarray], seed: int,
               clips: list[np.ndarray] | None = None, source: str = "procedural",
               make: Make | None = None, ahead: int = 1, release: bool = False,
               remake: Make | None = None, shared: Shared | None = None) -> Strip:
    """The layer's player wrapped in its gain strip.

    A bed given ``clips`` plays an endless granular texture of them; a bed of finite
    material (``source`` "files" or "generated") plays its segments as two band
    chains (:class:`~soundscape.graph.bed.SplitBed`); any other bed, and every event
    layer, plays from a pool that ``make`` (when given) renews for as long as it plays.
    ``ahead``: plays a bed draws (and resamples on the workers) ahead of need at least.
    ``release``: ``segments`` are handed over (a split bed frees each once split).
    ``remake(i)``: a renewable bed's fixed segment ``i`` made again, so its pool can let
    the bank's segments go once its players have retired them (``SegmentPool``).
    ``shared``: the store of jobs its pool uses (``pool.store_for``: one per material).
    """
    rate = scene.master.sample_rate
    aseed = arrangement_seed(seed, layer)
    player: Node
    if isinstance(layer, Bed) and clips:
        player = TextureStream(GrainTexture(clips, rate, aseed))
    elif isinstance(layer, Bed) and source in FINITE_SOURCES:
        player = SplitBed(segments, int(round(layer.crossfade * rate)), aseed, rate, release)
    elif isinstance(layer, Bed):
        pool = SegmentPool(segments, make, fresh_frames(scene), remake=remake, shared=shared)
        recipe = RECIPES.get(layer.recipe or "")
        period = None
        if recipe is not None and recipe.period is not None:
            given = {k: layer.params.get(k, spec.default) for k, spec in recipe.params.items()}
            period = int(round(recipe.period(given) * rate))
        player = BedPlayer(pool, int(round(layer.crossfade * rate)), aseed,
                           uses=recipe.reuse if recipe is not None else USES, ahead=ahead,
                           period=period)
    else:
        assert isinstance(layer, Event)
        player = EventPlayer(SegmentPool(segments, make, shared=shared),
                             event_plan(scene, layer), rate, aseed,
                             RATES if source in FINITE_SOURCES else (1.0,))
    return Strip(player, level_curve(scene, layer, aseed))
