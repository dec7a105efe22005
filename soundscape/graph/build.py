"""Build a scene's mixer graph: layers -> strips -> mix -> master gain -> limiter.

The same graph serves ``soundscape render`` (pulled as fast as possible) and the
streaming server (pulled against an audio clock).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass, field, fields
from functools import partial

import numpy as np

from ..bank import SegmentBank
from ..dsp.filters import cut_filters, width_pan
from ..errors import SourceError, UsageError
from ..filesource import FileSource
from ..guard import check_segment
from ..procedural import PROCEDURAL_VERSION
from ..scene import Bed, Layer, Scene
from ..sources import LayerMaterial, fresh_segment, layer_material, remade_segment
from ..thresholds import gain_of_db
from .bed import AHEAD_PLAYS
from .core import Mix, Node, Strip, seek_node
from .events import EventPlayer
from .layers import layer_node
from .loudness import GainCurve, calibration, gain_for
from .master import Limiter, MasterGain
from .meter import LayerMeter, MomentaryTap
from .pool import Make, Shared, store_for

EDGE_FADE_SECONDS = 0.005
# build_graph's last ``progress`` call: every layer is prepared and the mix's level is
# being set (the loudness calibration, seconds on a cold bank). Never a layer's name.
BALANCING = "balancing the sounds"


def prepare_layer(scene: Scene, layer: Layer, bank: SegmentBank) -> list[np.ndarray]:
    """The layer's segments with its static processing applied (filters, width, pan)."""
    return prepare_material(scene, layer, layer_material(scene, layer, bank))


def prepare_material(scene: Scene, layer: Layer, material: LayerMaterial) -> list[np.ndarray]:
    """``material``'s checked segments with the layer's static processing applied."""
    return [prepare_audio(scene, layer, seg.audio) for seg in material.segments]


def _prepared(scene: Scene, layer: Layer, bank: SegmentBank
              ) -> tuple[list[np.ndarray], LayerMaterial]:
    """The layer's prepared segments, and where they came from without their raw
    audio (for the report): the raw copy is freed before the next layer loads."""
    material = layer_material(scene, layer, bank)
    raw, material.segments = material.segments, []
    if material.source == "procedural":
        material.seeds = [(int(s.meta["variant"]), int(s.meta["seed"])) for s in raw]
    raw.reverse()
    prepared = []
    while raw:  # each raw segment is freed once prepared: one copy of the layer at a time
        prepared.append(prepare_audio(scene, layer, raw.pop().audio))
    return prepared, material


def prepare_audio(scene: Scene, layer: Layer, audio: np.ndarray) -> np.ndarray:
    """One segment with the layer's static processing: its cut filters, then width and
    pan for a bed, or 5 ms edge fades for an event."""
    rate = scene.master.sample_rate
    audio = cut_filters(audio, rate, layer.lowcut_hz, layer.highcut_hz)
    if isinstance(layer, Bed):
        audio = width_pan(audio, layer.width, layer.pan)
    else:
        audio = _edge_faded(audio, rate)
    return np.ascontiguousarray(audio, dtype=np.float32)


def remaking(scene: Scene, layer: Layer, material: LayerMaterial) -> Make | None:
    """``remake(i)`` for a procedural bed's pool: its fixed segment ``i`` made again and
    prepared, the very samples it was built with (None when it cannot be)."""
    seeds = list(material.seeds)
    if material.source != "procedural" or not seeds or not isinstance(layer, Bed):
        return None

    def remake(index: int) -> np.ndarray:
        variant, seed = seeds[index]
        return prepare_audio(scene, layer, remade_segment(scene, layer, variant, seed).audio)

    return remake


def renewal(scene: Scene, layer: Layer) -> Make:
    """``make(index)`` for a procedural layer's pool: fresh segment ``index``, checked
    and prepared, or None when its recipe gave nothing playable."""

    def make(index: int) -> np.ndarray | None:
        seg = fresh_segment(scene, layer, index)
        return None if seg is None else prepare_audio(scene, layer, seg.audio)

    return make


# a layer's fields that only set how loud it plays or how it is shown, never what its
# segments are: an edit of these keeps the layer's material (and its shared store)
NOT_MATERIAL = frozenset({"gain_db", "breathing", "label", "icon"})


def material_key(scene: Scene, layer: Layer, material: LayerMaterial) -> Hashable | None:
    """What a procedural layer's material is made from, for ``pool.store_for``: the
    recipes' version, the scene's rate, segment length and seed, the layer as written
    (but for NOT_MATERIAL) and its bank variants' seeds. Two graphs (a hot reload's old
    and new version) that agree on it make the same samples for every segment index;
    None for material that is not made (files, generated)."""
    if material.source != "procedural":
        return None
    master = scene.master
    written = [(f.name, getattr(layer, f.name)) for f in fields(layer)
               if f.name not in NOT_MATERIAL]
    return ("procedural", PROCEDURAL_VERSION, master.sample_rate, master.segment_seconds,
            master.seed, type(layer).__name__, repr(written), tuple(material.seeds))


def shared_store(scene: Scene, layer: Layer, material: LayerMaterial) -> Shared | None:
    """The store a procedural layer's pool shares with every pool of the same material
    (``material_key``); None (a store of its own) for any other."""
    key = material_key(scene, layer, material)
    return None if key is None else store_for(key)


def _edge_faded(audio: np.ndarray, rate: int) -> np.ndarray:
    """Events start and end at exactly zero (5 ms fades), whatever their source."""
    n = min(int(EDGE_FADE_SECONDS * rate), audio.shape[1] // 2)
    if n <= 0:
        return audio
    audio = audio.copy()
    ramp = (np.arange(n, dtype=np.float32) / n)
    audio[:, :n] *= ramp
    audio[:, -n:] *= ramp[::-1]
    return audio


def texture_clips(scene: Scene, layer: Layer) -> list[np.ndarray] | None:
    """A file bed made only of short clips: the clips (checked, filtered, panned) for an
    endless granular texture; None for any other layer or when a clip is unusable
    (the layer's synthesised segments are played instead)."""
    if not isinstance(layer, Bed) or not layer.files:
        return None
    rate = scene.master.sample_rate
    try:
        clips = FileSource(rate, scene.master.segment_seconds).texture_clips(layer)
    except SourceError:
        return None
    if clips is None or any(check_segment(c, rate, "bed") for c in clips):
        return None
    return [np.ascontiguousarray(width_pan(cut_filters(c, rate, layer.lowcut_hz,
                                                       layer.highcut_hz),
                                           layer.width, layer.pan), dtype=np.float32)
            for c in clips]


def master_db(gain_db: float | GainCurve, frame: int) -> float:
    """The master gain in dB at absolute ``frame``."""
    if callable(gain_db):
        return float(gain_db(np.array([frame], dtype=np.int64))[0])
    return float(gain_db)


@dataclass
class SceneGraph:
    """A running scene: ``pull(frames)`` gives the master output (2, frames) float32.

    Its level is the scene's: a listener's volume and sleep fade, and a download's
    volume, are one mechanism outside it (``switch.Level`` around the graph).
    """

    scene: Scene
    seed: int
    strips: dict[str, Strip]
    master: MasterGain
    limiter: Limiter
    gain_db: float | GainCurve
    materials: dict[str, LayerMaterial] = field(default_factory=dict)
    meters: dict[str, LayerMeter] = field(default_factory=dict)
    taps: dict[str, MomentaryTap] = field(default_factory=dict)

    def pull(self, frames: int) -> np.ndarray:
        return self.limiter.pull(frames)

    @property
    def position(self) -> int:
        return self.limiter.position

    def seek(self, frame: int) -> None:
        """Go forward to absolute ``frame`` without making the audio in between
        (see :func:`~soundscape.graph.core.seek_node`)."""
        seek_node(self.limiter, frame)

    def rest(self) -> None:
        """Let go of the audio its layers made ahead (an idle backup: ``switch.Fallback``);
        pulled again it makes what it needs, the same samples as without the rest."""
        for strip in self.strips.values():
            rest = getattr(strip.source, "rest", None)
            if callable(rest):
                rest()

    def set_layer_gain_db(self, name: str, db: float) -> None:
        """Live gain offset of one layer (glides; MUTE_DB or below is silence)."""
        self.strips[name].set_user_gain(gain_of_db(db))


def build_graph(
    scene: Scene,
    bank: SegmentBank | None = None,
    seed: int | None = None,
    only: Iterable[str] | None = None,
    total_frames: int | None = None,
    fade_out: float = 0.0,
    progress: Callable[[str], None] | None = None,
    meter: bool = False,
    taps: bool = False,
) -> SceneGraph:
    """Prepare every layer (from the bank, synthesising what is missing) and wire the graph.

    ``only`` keeps just the named layers, at the level they have in the full mix.
    ``total_frames`` with ``fade_out`` (seconds) fades the end of a finite render.
    ``meter`` puts a LayerMeter after every layer (the render report); ``taps`` a
    MomentaryTap (the studio's live per-layer meters). Both pass audio unchanged.
    ``progress(name)`` is called before each layer is prepared, then once with
    :data:`BALANCING` before the level is measured.
    """
    bank = bank if bank is not None else SegmentBank()
    seed = scene.master.seed if seed is None else seed
    names = [layer.name for layer in scene.layers]
    if only is not None:
        only = list(only)
        unknown = [n for n in only if n not in names]
        if unknown:
            raise UsageError(
                f"--only: no layer named {', '.join(map(repr, unknown))} in {scene.path} "
                f"(layers: {', '.join(names)})"
            )
    prepared: dict[str, list[np.ndarray]] = {}
    materials: dict[str, LayerMaterial] = {}
    for layer in scene.layers:
        if progress is not None:
            progress(layer.name)
        prepared[layer.name], materials[layer.name] = _prepared(scene, layer, bank)
    if progress is not None:
        progress(BALANCING)
    lufs = calibration(scene, prepared, seed, bank)
    gain_db = gain_for(scene, prepared, seed, lufs)
    chosen = [layer for layer in scene.layers if only is None or layer.name in only]
    strips = {layer.name: layer_node(scene, layer, prepared.pop(layer.name), seed,
                                     texture_clips(scene, layer), materials[layer.name].source,
                                     renewal(scene, layer) if materials[layer.name].source
                                     == "procedural" else None,
                                     # a render runs far ahead of real time: draw further
                                     AHEAD_PLAYS if total_frames is not None else 1,
                                     release=True,
                                     remake=remaking(scene, layer, materials[layer.name]),
                                     shared=shared_store(scene, layer, materials[layer.name]))
              for layer in chosen}
    del prepared
    meters: dict[str, LayerMeter] = {}
    if meter:
        meters = {name: LayerMeter(strip, scene.master.sample_rate, partial(master_db, gain_db),
                                   sparse=isinstance(strip.source, EventPlayer))
                  for name, strip in strips.items()}
    inputs: list[Node] = list(meters.values()) if meter else list(strips.values())
    tapped: dict[str, MomentaryTap] = {}
    if taps:
        tapped = {name: MomentaryTap(node, scene.master.sample_rate, partial(master_db, gain_db))
                  for name, node in zip(strips, inputs, strict=True)}
        inputs = list(tapped.values())
    master = MasterGain(Mix(inputs), gain_db, scene.master.sample_rate,
                        scene.master.fade_in, total_frames, fade_out)
    limiter = Limiter(master, scene.master.ceiling_dbtp)
    return SceneGraph(scene, seed, strips, master, limiter, gain_db,
                      materials, meters, tapped)
