"""Live edits: the values a running graph can change without a rebuild.

A studio edit whose scene differs from the one the playing graph was built from
only in *live fields* is played by changing that graph (gliding, no click) instead
of building a new one:

* what is shown and never heard: the scene's title, description and tags, a layer's
  label and icon (nothing to change);
* a bed's ``gain_db`` (the strip's trim), ``pan`` and ``width`` (the strip's stereo
  matrix: the built pan and width undone, the new ones applied; exact, since both
  are linear and memoryless);
* an event layer's ``gain_db`` and ``pan`` ranges (drawn for each later event) and
  its rate (``rate_per_min`` or ``interval``: the gap under way is re-timed, see
  ``EventPlayer.replan``).

* a layer's cut filters (``lowcut_hz``, ``highcut_hz``) moved: a correction filter on
  the strip glides to the new cutoff (graph/live_cut.py: the render's magnitude
  exactly, a causal phase).

Anything else is *structural* and rebuilds: a bed whose built width is 0 or pan
is hard left/right (its stereo cannot be undone), a cut filter added or removed,
``min_gap``, ``distance``, sources, phases, master settings.

A live edit does not re-run the loudness calibration: the mix moves as the layer
does, as on a mixing desk; the next rebuild (a structural edit) normalises it again.

Pure functions: :func:`is_live` (event loop), :func:`apply_live` (whichever thread
holds the graph: the mixer thread for the playing one, a build thread for a copy).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from ..dsp.fades import pan_unity_centre
from ..graph import SceneGraph
from ..graph.events import EventPlayer
from ..graph.layers import event_plan
from ..graph.live_cut import LiveCut
from ..scene import Bed, Event, Layer, Scene
from ..thresholds import MUTE_DB, gain_of_db

SILENT_LAYER_FIELDS = ("label", "icon")  # shown, never heard
SILENT_SCENE_FIELDS = ("name", "title", "description", "tags")
CUT_FIELDS = ("lowcut_hz", "highcut_hz")
LIVE_FIELDS: dict[type, tuple[str, ...]] = {
    Bed: ("gain_db", "pan", "width", *CUT_FIELDS, *SILENT_LAYER_FIELDS),
    Event: ("gain_db", "pan", "rate_per_min", "interval", *CUT_FIELDS, *SILENT_LAYER_FIELDS),
}


def _invertible(built: Bed, new: Bed) -> bool:
    """``built``'s gain, width and pan can be undone where ``new`` changes them (a
    muted gain, a width of 0, a pan hard to one side cannot)."""
    if new.gain_db != built.gain_db and built.gain_db <= MUTE_DB:
        return False
    return (new.pan, new.width) == (built.pan, built.width) or (
        built.width != 0 and abs(built.pan) < 1)


def _live_layer(built: Layer, new: Layer, rate: int) -> bool:
    """``new`` is ``built`` but for live fields that ``built``'s graph can change."""
    if type(new) is not type(built):
        return False
    fields = LIVE_FIELDS[type(built)]
    same = replace(new, **{name: getattr(built, name) for name in fields})  # type: ignore[type-var]
    if same != built:
        return False
    if not all(LiveCut.can_reach(rate, getattr(built, f), getattr(new, f)) for f in CUT_FIELDS):
        return False
    if isinstance(built, Bed) and isinstance(new, Bed):
        return _invertible(built, new)
    return True


def is_live(built: Scene, new: Scene) -> bool:
    """True when the graph built from ``built`` can play ``new`` by live changes
    alone (the same layers in the same order, differing only in live fields)."""
    if len(built.layers) != len(new.layers):
        return False
    if replace(new, layers=built.layers,
               **{name: getattr(built, name) for name in SILENT_SCENE_FIELDS}) != built:
        return False
    rate = built.master.sample_rate
    return all(_live_layer(b, n, rate) for b, n in zip(built.layers, new.layers, strict=True))


def _width_matrix(width: float) -> np.ndarray:
    """Mid/side width as a 2x2 matrix on (left, right) (see ``dsp.filters.width_pan``)."""
    return np.array([[1 + width, 1 - width], [1 - width, 1 + width]]) * 0.5


def stereo_matrix(built: Bed, new: Bed) -> np.ndarray | None:
    """The matrix that turns ``built``'s width and pan into ``new``'s (None: the same)."""
    if (new.width, new.pan) == (built.width, built.pan):
        return None
    gl, gr = pan_unity_centre(built.pan)
    undo = np.diag([1 / gl, 1 / gr])
    nl, nr = pan_unity_centre(new.pan)
    # width_pan: pan after width; W(w)^-1 = W(1/w)
    return np.diag([nl, nr]) @ _width_matrix(new.width) @ _width_matrix(1 / built.width) @ undo


def apply_live(graph: SceneGraph, scene: Scene, glide: bool = True) -> list[str]:
    """Make ``graph`` play ``scene``'s live values (gliding, or at once for a graph
    that has not played); returns the layers whose values differ from the built ones.
    Layers that ``graph`` cannot change live (another version's graph, mid-crossfade)
    are left as they are."""
    built = {layer.name: layer for layer in graph.scene.layers}
    rate = graph.scene.master.sample_rate
    changed = []
    for layer in scene.layers:
        strip = graph.strips.get(layer.name)
        old = built.get(layer.name)
        if strip is None or old is None or not _live_layer(old, layer, rate):
            continue
        if layer != old:
            changed.append(layer.name)
        cuts = (layer.lowcut_hz, layer.highcut_hz)
        if strip.cut is not None or cuts != (old.lowcut_hz, old.highcut_hz):
            if not isinstance(strip.cut, LiveCut):
                strip.cut = LiveCut(rate, old.lowcut_hz, old.highcut_hz)
            strip.cut.set(*cuts, glide=glide)
        if isinstance(layer, Bed) and isinstance(old, Bed):
            strip.set_trim(gain_of_db(layer.gain_db - old.gain_db), glide)
            strip.set_stereo(stereo_matrix(old, layer), glide)
        elif isinstance(layer, Event) and isinstance(strip.source, EventPlayer):
            strip.source.replan(event_plan(graph.scene, layer))
    return changed
