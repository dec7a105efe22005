"""Loudness calibration: the master gain that puts a scene at its target.

The first CALIBRATION_SECONDS of the mix are rendered and measured (BS.1770,
streaming, constant memory); the result is cached in the bank. Without phases that
fixes one master gain, exact for the opening minutes and right on average after.

With phases, layers come and go, so the mix's loudness at time t is predicted from
each layer's *unit power* (its K-weighted power at its base level and rate, worked
out from its segments, gain range, distance range and gap statistics, so a layer
that is silent during calibration still counts) times its phase level squared (and
its event rate). With ``steady_loudness`` the master gain follows that prediction;
otherwise one gain fits the whole phase cycle.

Sparse event layers (*accents*: sounding less than ACCENT_DUTY of the time even at
their highest rate, e.g. thunder, an owl, a log's pop) are left out of that
prediction: they are meant to rise above the beds, so when their rate goes up the
master gain must not push the beds down to make room. Dense event layers (waves,
gusts) are part of the texture and count like beds.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable

import numpy as np
from scipy import signal

from ..atomic import write_atomically
from ..bank import SegmentBank
from ..dsp.loudness import StreamingLoudness, k_weighting_sos
from ..scene import Bed, Event, Layer, Scene
from ..segment import digest
from .automation import breathing_db, level_curve, rate_timeline
from .events import DISTANCE_DROP_DB, mean_gap
from .layers import arrangement_seed, layer_node

CALIBRATION_SECONDS = 120.0
ACCENT_DUTY = 0.25  # share of time an event layer sounds, below which it is an accent
GainCurve = Callable[[np.ndarray], np.ndarray]


def _k_power(audio: np.ndarray, rate: int) -> float:
    """Mean K-weighted power summed over channels (the BS.1770 sum before the log)."""
    y = signal.sosfilt(k_weighting_sos(rate), np.asarray(audio, dtype=np.float64), axis=-1)
    return float(np.sum(np.mean(y**2, axis=-1)))


def _mean_gap(min_gap: float, rate: np.ndarray | float) -> np.ndarray:
    """Mean seconds between events at ``rate`` events/s after the refractory ``min_gap``.

    The same process as the EventPlayer's (interval ranges included): ``1/rate``
    unless ``min_gap`` caps the rate (see ``events.mean_gap``).
    """
    return mean_gap(rate, min_gap)


def is_accent(scene: Scene, layer: Layer, segments: list[np.ndarray]) -> bool:
    """True for an event layer whose events sound less than ACCENT_DUTY of the time at
    its highest rate over the phase cycle (mean segment length times events/second)."""
    if not isinstance(layer, Event) or not segments:
        return False
    rate = scene.master.sample_rate
    length = float(np.mean([s.shape[1] for s in segments])) / rate
    span = max(scene.cycle_seconds, 1.0)
    grid = np.arange(0, int(span * rate), rate, dtype=np.int64)
    peak = float(np.max(rate_timeline(scene, layer)(grid))) / 60.0
    if peak <= 0:
        return True
    return length / float(_mean_gap(layer.min_gap, peak)) < ACCENT_DUTY


def unit_power(scene: Scene, layer: Layer, segments: list[np.ndarray], seed: int) -> float:
    """K-weighted power of a layer at its base level (phase level 0 dB, base rate)."""
    rate = scene.master.sample_rate
    if isinstance(layer, Bed):
        power = float(np.mean([_k_power(s, rate) for s in segments]))
        breath = breathing_db(layer, seed, rate)
        if breath is not None:
            grid = np.arange(0, 1800 * rate, rate, dtype=np.int64)
            power *= float(np.mean(10 ** (breath(grid) / 10)))
        return power  # base gain is part of the level curve
    assert isinstance(layer, Event)
    energy = float(np.mean([_k_power(s, rate) * s.shape[1] for s in segments])) / rate
    gains = np.linspace(*layer.gain_db, 33)
    energy *= float(np.mean(10 ** (gains / 10)))
    if layer.distance is not None:
        d = np.linspace(*layer.distance, 33)
        energy *= float(np.mean(10 ** (-DISTANCE_DROP_DB * d / 10)))
    return energy  # per event; times events per second gives power


def power_weight(scene: Scene, layer: Layer, seed: int) -> GainCurve:
    """Factor on a layer's unit power per absolute frame: phase level squared (base gain
    included), times events per second for events. Breathing is averaged into the unit
    power instead: it is meant to be heard, not normalised away."""
    curve = level_curve(scene, layer, seed, breathing=False)
    rate_tl = rate_timeline(scene, layer) if isinstance(layer, Event) else None

    def weight(frames: np.ndarray) -> np.ndarray:
        if callable(curve):
            w = curve(frames) ** 2
        else:
            w = np.full(frames.shape, 1.0 if curve is None else curve**2)
        if rate_tl is not None and isinstance(layer, Event):
            per_s = rate_tl(frames) / 60.0
            gap = _mean_gap(layer.min_gap, per_s)
            w = w * np.where(per_s > 0, 1.0 / gap, 0.0)
        return w

    return weight


def measure(scene: Scene, prepared: dict[str, list[np.ndarray]], seed: int) -> float:
    """LUFS of the whole mix over the first CALIBRATION_SECONDS (before master gain)."""
    rate = scene.master.sample_rate
    nodes = [layer_node(scene, layer, prepared[layer.name], seed) for layer in scene.layers]
    meter = StreamingLoudness(rate)
    for _ in range(int(CALIBRATION_SECONDS)):
        mix = np.zeros((2, rate), dtype=np.float32)
        for node in nodes:
            mix += node.pull(rate)
        meter.feed(mix)
    return meter.integrated()


def calibration(
    scene: Scene, prepared: dict[str, list[np.ndarray]], seed: int, bank: SegmentBank
) -> float:
    """``measure``, cached in the bank under everything that determines it."""
    key = digest({
        "calibration": 4, "seconds": CALIBRATION_SECONDS, "seed": seed,
        "layers": repr(scene.layers), "phases": repr(scene.phases),
        "master": repr(scene.master),
        "segments": [[float(np.sum(s[:, ::997].astype(np.float64) ** 2)), s.shape[1]]
                     for layer in scene.layers for s in prepared[layer.name]],
    })
    path = bank.root / "calibration" / f"{key}.json"
    try:
        lufs = float(json.loads(path.read_text())["lufs"])
        try:
            os.utime(path)  # recently used: the bank's LRU eviction keeps it
        except OSError:
            pass
        return lufs
    except (OSError, ValueError, KeyError, TypeError):
        pass
    lufs = measure(scene, prepared, seed)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomically(path, json.dumps({"lufs": lufs if np.isfinite(lufs) else -200.0}),
                         fsync=False)  # a cache: losing it costs one measurement
    except OSError:
        pass  # a read-only bank only costs the measurement next time
    return lufs


def gain_for(
    scene: Scene, prepared: dict[str, list[np.ndarray]], seed: int, measured: float
) -> float | GainCurve:
    """Master gain in dB, or a curve of it over absolute frames (see module docstring)."""
    if not np.isfinite(measured) or measured < -150:  # silence: nothing to normalise
        return 0.0
    rate = scene.master.sample_rate
    base_gain = scene.master.loudness_lufs - measured
    if not scene.phases or scene.cycle_seconds <= 0:
        return float(np.clip(base_gain, -60.0, 40.0))
    parts: list[tuple[float, GainCurve]] = []
    accents: list[tuple[float, GainCurve]] = []
    for layer in scene.layers:
        aseed = arrangement_seed(seed, layer)
        unit = unit_power(scene, layer, prepared[layer.name], aseed)
        if unit <= 0:
            continue
        # accents stand out: they do not steer the master gain from moment to moment,
        # but their average power over the cycle is budgeted into it (below)
        target = accents if is_accent(scene, layer, prepared[layer.name]) else parts
        target.append((unit, power_weight(scene, layer, aseed)))

    def predicted(at: np.ndarray) -> np.ndarray:
        return np.maximum(sum(unit * weight(at) for unit, weight in parts), 1e-20)

    def accent_power(at: np.ndarray) -> np.ndarray:
        return sum((unit * weight(at) for unit, weight in accents), np.zeros(at.shape))

    window = np.arange(0, int(CALIBRATION_SECONDS * rate), rate // 10, dtype=np.int64)
    reference = float(np.mean(predicted(window)))
    calibrated = reference + float(np.mean(accent_power(window)))  # what was measured
    cycle = np.arange(0, int(scene.cycle_seconds * rate), rate, dtype=np.int64)
    if scene.master.steady_loudness:
        # beds are held at `reference`; accents ride on top, scaled by the same gain
        beds = predicted(cycle)
        heard = reference + float(np.mean(accent_power(cycle) * reference / beds))
        offset = 10 * np.log10(heard / calibrated)

        def gain_curve(at: np.ndarray) -> np.ndarray:
            return np.clip(base_gain - offset - 10 * np.log10(predicted(at) / reference),
                           -60.0, 40.0)

        return gain_curve
    total = predicted(cycle) + accent_power(cycle)
    mean_db = 10 * np.log10(float(np.mean(total)) / calibrated)
    return float(np.clip(base_gain - mean_db, -60.0, 40.0))
