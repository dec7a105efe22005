"""Build a scene's mixer graph: layers -> strips -> mix -> master gain -> limiter.

The same graph serves ``soundscape render`` (pulled as fast as possible) and the
streaming server (pulled against an audio clock).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np

from ..bank import SegmentBank
from ..dsp.filters import cut_filters, width_pan
from ..errors import UsageError
from ..scene import Bed, Event, Layer, Scene
from ..segment import digest
from ..sources import layer_segments
from .automation import level_curve, rate_timeline
from .bed import BedPlayer
from .core import Mix, Node, Strip
from .events import EventPlan, EventPlayer
from .loudness import GainCurve, calibration, gain_for
from .master import Limiter, MasterGain

EDGE_FADE_SECONDS = 0.005


def arrangement_seed(seed: int, layer: Layer) -> int:
    """The seed of a layer's arrangement (variant order, offsets, events)."""
    return int(digest({"arrange": seed, "layer": layer.name})[:8], 16)


def prepare_layer(scene: Scene, layer: Layer, bank: SegmentBank) -> list[np.ndarray]:
    """The layer's segments with its static processing applied (filters, width, pan)."""
    rate = scene.master.sample_rate
    out = []
    for seg in layer_segments(scene, layer, bank):
        audio = cut_filters(seg.audio, rate, layer.lowcut_hz, layer.highcut_hz)
        if isinstance(layer, Bed):
            audio = width_pan(audio, layer.width, layer.pan)
        else:
            audio = _edge_faded(audio, rate)
        out.append(np.ascontiguousarray(audio, dtype=np.float32))
    return out


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


def layer_node(scene: Scene, layer: Layer, segments: list[np.ndarray], seed: int) -> Strip:
    """The layer's player wrapped in its gain strip."""
    rate = scene.master.sample_rate
    aseed = arrangement_seed(seed, layer)
    player: Node
    if isinstance(layer, Bed):
        player = BedPlayer(segments, int(round(layer.crossfade * rate)), aseed)
    else:
        assert isinstance(layer, Event)
        player = EventPlayer(segments, event_plan(scene, layer), rate, aseed)
    return Strip(player, level_curve(scene, layer, aseed))


@dataclass
class SceneGraph:
    """A running scene: ``pull(frames)`` gives the master output (2, frames) float32."""

    scene: Scene
    seed: int
    strips: dict[str, Strip]
    master: MasterGain
    limiter: Limiter
    gain_db: float | GainCurve
    output: Strip  # live master volume (sleep timers, personal mixes)

    def pull(self, frames: int) -> np.ndarray:
        return self.output.pull(frames)

    @property
    def position(self) -> int:
        return self.output.position

    def set_layer_gain_db(self, name: str, db: float) -> None:
        """Live gain offset of one layer (glides; -80 dB or below is silence)."""
        self.strips[name].set_user_gain(0.0 if db <= -80 else 10 ** (db / 20))

    def set_volume(self, gain: float) -> None:
        """Live master volume, linear 0..1 (glides)."""
        self.output.set_user_gain(gain)


def build_graph(
    scene: Scene,
    bank: SegmentBank | None = None,
    seed: int | None = None,
    only: Iterable[str] | None = None,
    total_frames: int | None = None,
    fade_out: float = 0.0,
    progress: Callable[[str], None] | None = None,
) -> SceneGraph:
    """Prepare every layer (from the bank, synthesising what is missing) and wire the graph.

    ``only`` keeps just the named layers, at the level they have in the full mix.
    ``total_frames`` with ``fade_out`` (seconds) fades the end of a finite render.
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
    for layer in scene.layers:
        if progress is not None:
            progress(layer.name)
        prepared[layer.name] = prepare_layer(scene, layer, bank)
    lufs = calibration(scene, prepared, seed, bank)
    gain_db = gain_for(scene, prepared, seed, lufs)
    chosen = [layer for layer in scene.layers if only is None or layer.name in only]
    strips = {layer.name: layer_node(scene, layer, prepared[layer.name], seed)
              for layer in chosen}
    master = MasterGain(Mix(list(strips.values())), gain_db, scene.master.sample_rate,
                        scene.master.fade_in, total_frames, fade_out)
    limiter = Limiter(master, scene.master.ceiling_dbtp)
    return SceneGraph(scene, seed, strips, master, limiter, gain_db, Strip(limiter, None))
