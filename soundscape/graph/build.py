"""Build a scene's mixer graph: layers -> strips -> mix -> master gain -> limiter.

The same graph serves ``soundscape render`` (pulled as fast as possible) and the
streaming server (pulled against an audio clock).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np

from ..bank import SegmentBank
from ..dsp.filters import cut_filters, width_pan
from ..dsp.loudness import StreamingLoudness
from ..errors import UsageError
from ..scene import Bed, Event, Layer, Scene
from ..segment import digest
from ..sources import layer_segments
from .automation import PhaseTimeline, level_curve
from .bed import BedPlayer
from .core import Mix, Node, Strip
from .events import EventPlan, EventPlayer
from .master import Limiter, MasterGain

CALIBRATION_SECONDS = 120.0
EDGE_FADE_SECONDS = 0.005


def _arrangement_seed(seed: int, layer: Layer) -> int:
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
    if layer.interval is not None:
        base = 2.0 / (layer.interval[0] + layer.interval[1])
    else:
        base = (layer.rate_per_min or 0.0) / 60.0
    timeline = PhaseTimeline(
        scene.phases, layer.name, "rate_per_min", base * 60.0, scene.master.loop_phases,
        scene.master.sample_rate,
    )
    rate = scene.master.sample_rate

    def rate_at(t: float) -> float:
        return float(timeline(np.array([int(t * rate)]))[0]) / 60.0

    return EventPlan(
        rate=rate_at,
        interval=layer.interval,
        base_rate=base,
        min_gap=layer.min_gap,
        gain_db=layer.gain_db,
        pan=layer.pan,
        distance=layer.distance,
    )


def layer_node(scene: Scene, layer: Layer, segments: list[np.ndarray], seed: int) -> Strip:
    """The layer's player wrapped in its gain strip."""
    rate = scene.master.sample_rate
    aseed = _arrangement_seed(seed, layer)
    player: Node
    if isinstance(layer, Bed):
        player = BedPlayer(segments, int(round(layer.crossfade * rate)), aseed)
    else:
        assert isinstance(layer, Event)
        player = EventPlayer(segments, event_plan(scene, layer), rate, aseed)
    return Strip(player, level_curve(scene, layer, aseed))


def _power_weight(scene: Scene, layer: Layer, seed: int) -> Callable[[np.ndarray], np.ndarray]:
    """Relative power of a layer per absolute frame: phase level squared, times the
    event rate for events (breathing is left out: it is meant to be heard)."""
    curve = level_curve(scene, layer, _arrangement_seed(seed, layer), breathing=False)
    rate_tl = None
    if isinstance(layer, Event):
        base = (2.0 / sum(layer.interval) if layer.interval else (layer.rate_per_min or 0) / 60)
        rate_tl = PhaseTimeline(scene.phases, layer.name, "rate_per_min", base * 60.0,
                                scene.master.loop_phases, scene.master.sample_rate)

    def weight(frames: np.ndarray) -> np.ndarray:
        if callable(curve):
            w = curve(frames) ** 2
        else:
            w = np.full(frames.shape, 1.0 if curve is None else curve**2)
        if rate_tl is not None:
            w = w * rate_tl(frames)
        return w

    return weight


GainCurve = Callable[[np.ndarray], np.ndarray]


def measure(
    scene: Scene, prepared: dict[str, list[np.ndarray]], seed: int
) -> tuple[float, dict[str, float]]:
    """(LUFS of the mix, mean power of each layer) over the first CALIBRATION_SECONDS.

    Streams block by block, so memory stays flat whatever the window.
    """
    rate = scene.master.sample_rate
    nodes = {layer.name: layer_node(scene, layer, prepared[layer.name], seed)
             for layer in scene.layers}
    meter = StreamingLoudness(rate)
    sums = dict.fromkeys(nodes, 0.0)
    blocks = int(CALIBRATION_SECONDS)
    for _ in range(blocks):
        mix = np.zeros((2, rate), dtype=np.float32)
        for name, node in nodes.items():
            audio = node.pull(rate)
            sums[name] += float(np.mean(audio.astype(np.float64) ** 2))
            mix += audio
        meter.feed(mix)
    return meter.integrated(), {name: total / blocks for name, total in sums.items()}


def gain_for(
    scene: Scene, seed: int, measured: float, powers: dict[str, float]
) -> float | GainCurve:
    """Master gain in dB (or a curve of it over absolute frames) for the scene's target.

    Without phases, one constant gain. With phases each layer's measured power is
    scaled by how its phase level (and event rate) at time t compares with the
    calibration window, which predicts the loudness at t: with ``steady_loudness``
    the master gain follows that prediction so the scene holds its target while it
    evolves; without, one gain fits the whole phase cycle.
    """
    if not np.isfinite(measured) or measured < -150:  # silence: nothing to normalise
        return 0.0
    rate = scene.master.sample_rate
    base_gain = scene.master.loudness_lufs - measured
    if not scene.phases or scene.cycle_seconds <= 0:
        return float(np.clip(base_gain, -60.0, 40.0))
    window = np.arange(0, int(CALIBRATION_SECONDS * rate), rate // 10, dtype=np.int64)
    shares = []
    for layer in scene.layers:
        weight = _power_weight(scene, layer, seed)
        mean = float(np.mean(weight(window)))
        if powers.get(layer.name, 0.0) > 0 and mean > 0:
            shares.append((powers[layer.name] / mean, weight))
    total = sum(powers.values())

    def predicted_db(at: np.ndarray) -> np.ndarray:
        p = sum(share * weight(at) for share, weight in shares)
        return 10 * np.log10(np.maximum(p, 1e-12) / total)

    if scene.master.steady_loudness:
        def gain_curve(at: np.ndarray) -> np.ndarray:
            return np.clip(base_gain - predicted_db(at), -60.0, 40.0)

        return gain_curve
    cycle = np.arange(0, int(scene.cycle_seconds * rate), rate, dtype=np.int64)
    mean_db = 10 * np.log10(np.mean(10 ** (predicted_db(cycle) / 10)))
    return float(np.clip(base_gain - mean_db, -60.0, 40.0))


def calibration(
    scene: Scene, prepared: dict[str, list[np.ndarray]], seed: int, bank: SegmentBank
) -> tuple[float, dict[str, float]]:
    """``measure`` cached in the bank under everything that determines it."""
    key = digest({
        "calibration": 2, "seconds": CALIBRATION_SECONDS, "seed": seed,
        "layers": repr(scene.layers), "phases": repr(scene.phases),
        "master": repr(scene.master),
        "segments": [[float(np.sum(s[:, ::997].astype(np.float64) ** 2)), s.shape[1]]
                     for layer in scene.layers for s in prepared[layer.name]],
    })
    path = bank.root / "calibration" / f"{key}.json"
    try:
        data = json.loads(path.read_text())
        return float(data["lufs"]), {k: float(v) for k, v in data["powers"].items()}
    except (OSError, ValueError, KeyError, TypeError):
        pass
    lufs, powers = measure(scene, prepared, seed)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps({"lufs": lufs if np.isfinite(lufs) else -200.0,
                                   "powers": powers}))
        os.replace(tmp, path)
    except OSError:
        pass  # a read-only bank only costs the measurement next time
    return lufs, powers


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
    lufs, powers = calibration(scene, prepared, seed, bank)
    gain_db = gain_for(scene, seed, lufs, powers)
    chosen = [layer for layer in scene.layers if only is None or layer.name in only]
    strips = {layer.name: layer_node(scene, layer, prepared[layer.name], seed)
              for layer in chosen}
    master = MasterGain(Mix(list(strips.values())), gain_db, scene.master.sample_rate,
                        scene.master.fade_in, total_frames, fade_out)
    limiter = Limiter(master, scene.master.ceiling_dbtp)
    return SceneGraph(scene, seed, strips, master, limiter, gain_db, Strip(limiter, None))
