"""``soundscape analyze``: the objective report a scene author needs, without a browser.

:func:`analyze` renders a scene in memory (the same graph as ``render``, nothing is
written) and returns one JSON-serialisable dict. It builds on the render report
(:func:`soundscape.report.build_report`: per-layer loudness in the mix, the inaudible,
target and silence warnings) and adds:

* ``mix``: integrated LUFS vs the target, loudness range (LRA, EBU Tech 3342: 3 s
  windows every 100 ms, -70 LUFS absolute and -20 LU relative gates, 95th minus
  10th percentile), the short-term loudness (3 s windows, 1 s hop) min / p10 /
  median / p90 / max after the fade-in, and the true peak (dBTP, 4x oversampled;
  only blocks whose sample peak is within TRUE_PEAK_MARGIN_DB of the highest true
  peak so far are oversampled: a true peak is never more than ~3 dB above its
  sample peak in real audio).
* ``layers[i]``: the render report's entry plus ``share`` (the layer's share of the
  summed K-weighted energy of all layers over the span) and, for event layers,
  ``event_stats``: count, rate per minute vs the expected rate (the scene's rate and
  phases, capped by min_gap exactly as the event player does), gaps between onsets
  (min / median / max seconds, share of gaps within 1 ms of min_gap), expected count
  per phase cycle (per hour without phases).
* ``curves``: short-term loudness (3 s windows, 1 s hop; LUFS, None for silence) of
  the mix and of each layer as heard in the mix, at ``curves.times`` (window ends,
  seconds); ``events``: every onset per layer (seconds); ``phases``: every phase
  start (as the cue sheet's records).
* ``clicks``: the guard's discontinuity detector (:func:`soundscape.guard.find_clicks`)
  run over the whole mix in 1 s blocks with CLICK_CONTEXT_SECONDS of the previous
  block as context: count, per minute, the first CLICK_LIST_LIMIT times. A click
  while an event sounds (between its onset and the end of its variant) is counted
  in ``during_events`` with the layer's name and is not a warning: the guard exempts
  events too (a near thunder crack is meant to be a step). The rest, ``seam``, are
  discontinuities in the beds' texture.
* ``repetition``: whether the mix audibly repeats. The mix (mono) is cut into 200 ms
  Hann frames every 100 ms; each frame's energy in REPEAT_BANDS log-spaced bands
  (100 Hz - 12 kHz) is taken in dB and its 3 s moving average removed (so level
  drifts, phase ramps and breathing do not count, only the texture's own pattern). Non-overlapping
  REPEAT_WINDOW_SECONDS windows (every 10 s) are then compared, by normalised
  correlation of the flattened (frames x bands) sequences, with every window
  starting at any frame at least REPEAT_APART_SECONDS after the query window ends;
  the best pair is reported (``score`` 0..1 and both start times). Independent
  textures score about 0.1-0.2; a literal replay of 10 s of the mix scores near 1.
  ``repetition.waveform`` is the stricter ruler of :mod:`soundscape.repetition` run
  on the mix: the share of 5 s windows whose waveform a stretch of earlier output
  (at any shift) matches with a correlation of at least 0.9, their lags and the
  first REPEAT_LIST_LIMIT repeats.
* ``layers[i].repetition`` (beds only): the same ruler on the bed as heard in the
  mix (after its level automation, before the master gain): a bed that replays its
  own material shows it here even when the other layers hide it in the mix.

Warnings (``warnings``, each naming the layer; besides the render report's):

* ``inaudible``: more than INAUDIBLE_LU below the mix (the render report's rule;
  the level table is ``soundscape.thresholds``).
* ``dominant``: a layer carrying more than DOMINANT_SHARE of the layers' summed
  energy while other layers exist: everything else adds less than
  10*log10(1/DOMINANT_SHARE) dB to the mix, so the other layers are decoration at
  best. (A main bed with accents and a second bed 10 dB down is about 90 %, a
  normal design; 97 % means the rest together is 15 LU under it.)
* ``never fires``: an event layer with no event in the span whose expected count
  over a whole phase cycle (an hour without phases) is below one (its rate or its
  phases keep it silent), or whose expected count in the span was at least
  NEVER_FIRED_EXPECTED (something kept it from firing). An event layer that simply
  had no event in a span too short for its rate gets a note instead.
* ``clicks``: any discontinuity in the mix while no event sounds.
* ``repetition``: a best match above REPEAT_WARN.

A bed whose share of repeating 5 s windows is above REPEAT_SHARE_WARN gets a note
(``notes``), not yet a warning: until the bed player stops replaying its segments
(issue 14) every shipped bed would warn within minutes.

Pure: no I/O (the segment bank aside). Deterministic for a scene, seed and duration.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from .bank import SegmentBank
from .dsp.loudness import StreamingLoudness, true_peak_db
from .graph import build_graph
from .graph.automation import rate_timeline
from .graph.build import SceneGraph
from .graph.events import mean_gap
from .graph.meter import OutputMeter
from .guard import find_clicks
from .repetition import RepetitionScanner
from .report import build_report
from .scene import Bed, Event, Scene
from .thresholds import DOMINANT_SHARE, INAUDIBLE_LU
from .timeline import Timeline

DEFAULT_MIN_SECONDS = 300.0  # at least 5 minutes, or one phase cycle if longer
MAX_SECONDS = 3600.0
SHORT_TERM_BLOCKS = 3  # 3 s windows of 1 s blocks
LRA_WINDOW_STEPS = 30  # 3 s of 100 ms steps
LRA_ABSOLUTE_GATE = -70.0
LRA_RELATIVE_GATE = -20.0
NEVER_FIRED_EXPECTED = 5.0  # Poisson: P(no event) = e**-5, under 1 %
GAP_TOLERANCE_SECONDS = 0.001
TRUE_PEAK_MARGIN_DB = 6.0
CLICK_CONTEXT_SECONDS = 0.2
CLICK_LIST_LIMIT = 20
REPEAT_FRAME_SECONDS = 0.2
REPEAT_HOP_SECONDS = 0.05
REPEAT_DETREND_SECONDS = 3.0
REPEAT_BANDS = 16
REPEAT_LOW_HZ, REPEAT_HIGH_HZ = 100.0, 12000.0
REPEAT_WINDOW_SECONDS = 10.0
REPEAT_APART_SECONDS = 10.0
REPEAT_WARN = 0.9
REPEAT_SHARE_WARN = 0.1  # a bed replaying more than 1 in 10 of its 5 s windows
REPEAT_LIST_LIMIT = 5


def default_seconds(scene: Scene) -> float:
    """One full phase cycle or DEFAULT_MIN_SECONDS, whichever is longer, at most
    MAX_SECONDS."""
    return min(max(scene.cycle_seconds, DEFAULT_MIN_SECONDS), MAX_SECONDS)


def _lufs(power: float) -> float:
    return -0.691 + 10 * math.log10(power) if power > 0 else float("-inf")


def _num(x: float, digits: int = 2) -> float | None:
    return round(float(x), digits) if math.isfinite(x) else None


class _StepTap:
    """Per-block K-weighted power read from a StreamingLoudness's 100 ms steps: the
    mean over the steps the last block added, 0 when it added none (an event meter
    skips silent blocks)."""

    def __init__(self, loudness: StreamingLoudness):
        self.loudness = loudness
        self.seen = 0

    def take(self) -> float:
        steps = self.loudness.steps
        new = steps[self.seen:]
        self.seen = len(steps)
        if not new:
            return 0.0
        return float(np.mean([float(np.sum(s)) for s in new]))


class _ClickScan:
    """find_clicks over a long signal, block by block, with a little context."""

    def __init__(self, rate: int):
        self.rate = rate
        self.context = int(CLICK_CONTEXT_SECONDS * rate)
        self.tail = np.zeros((2, 0), dtype=np.float32)
        self.position = 0  # absolute frame of the next block
        self.times: list[float] = []

    def feed(self, block: np.ndarray) -> None:
        audio = np.concatenate([self.tail, block], axis=1)
        offset = self.tail.shape[1]
        start = self.position - offset
        for t in find_clicks(audio, self.rate, limit=10**9):
            frame = int(round(t * self.rate))
            if frame >= offset:  # clicks in the context were counted with their block
                self.times.append((start + frame) / self.rate)
        self.tail = audio[:, -self.context:] if self.context else audio[:, :0]
        self.position += block.shape[1]


class _EnvelopeScan:
    """Band energies (dB) of the mono mix: REPEAT_FRAME_SECONDS Hann frames every
    REPEAT_HOP_SECONDS, for the repetition measure."""

    def __init__(self, rate: int):
        self.rate = rate
        self.frame = int(round(REPEAT_FRAME_SECONDS * rate))
        self.hop = int(round(REPEAT_HOP_SECONDS * rate))
        self.window = np.hanning(self.frame).astype(np.float32)
        freqs = np.fft.rfftfreq(self.frame, 1.0 / rate)
        edges = np.geomspace(REPEAT_LOW_HZ, min(REPEAT_HIGH_HZ, rate / 2), REPEAT_BANDS + 1)
        band = np.searchsorted(edges, freqs, side="right") - 1  # -1 / BANDS: outside
        self.bins = [np.flatnonzero(band == b) for b in range(REPEAT_BANDS)]
        self.pending = np.zeros(0, dtype=np.float32)
        self.rows: list[np.ndarray] = []

    def feed(self, block: np.ndarray) -> None:
        mono = np.concatenate([self.pending, block.mean(axis=0)])
        if mono.shape[0] < self.frame:
            self.pending = mono
            return
        n = (mono.shape[0] - self.frame) // self.hop + 1
        self.pending = mono[n * self.hop:]
        frames = np.lib.stride_tricks.sliding_window_view(mono, self.frame)[:: self.hop][:n]
        power = np.abs(np.fft.rfft(frames * self.window, axis=1)) ** 2
        bands = np.stack([power[:, idx].sum(axis=1) for idx in self.bins], axis=1)
        self.rows.append(10 * np.log10(bands + 1e-12))

    def envelope(self) -> np.ndarray:
        """(frames, REPEAT_BANDS) dB, one frame every REPEAT_HOP_SECONDS."""
        if not self.rows:
            return np.zeros((0, REPEAT_BANDS))
        return np.concatenate(self.rows, axis=0)


class _RepeatTap:
    """Pass-through node: hands every block of ``source`` to a RepetitionScanner as
    it goes by (before the mix adds other layers into the same array)."""

    def __init__(self, source: Any, scanner: RepetitionScanner):
        self.source = source
        self.scanner = scanner

    def pull(self, frames: int) -> np.ndarray:
        out: np.ndarray = self.source.pull(frames)
        self.scanner.feed(out)  # copies what it keeps
        return out


def _detrended(envelope: np.ndarray, span: int) -> np.ndarray:
    """``envelope`` minus its centred moving average over ``span`` frames (per band):
    slow level changes removed, the texture's own ups and downs kept."""
    c = np.concatenate([np.zeros((1, envelope.shape[1])), np.cumsum(envelope, axis=0)])
    n = envelope.shape[0]
    i = np.arange(n)
    lo = np.clip(i - span // 2, 0, n)
    hi = np.clip(i + span // 2 + 1, 0, n)
    return envelope - (c[hi] - c[lo]) / (hi - lo)[:, None]


def repetition(envelope: np.ndarray, hop: float = REPEAT_HOP_SECONDS) -> dict[str, Any]:
    """The best-matching pair of windows of an envelope (see the module docstring).

    ``envelope`` is (frames, bands) dB every ``hop`` seconds. Returns ``{"score",
    "first", "second", "window_seconds", "apart_seconds", "method"}``; ``score`` is
    None when the span is too short for two windows that far apart.
    """
    out: dict[str, Any] = {"score": None, "first": None, "second": None,
                           "window_seconds": REPEAT_WINDOW_SECONDS,
                           "apart_seconds": REPEAT_APART_SECONDS,
                           "method": "normalised correlation of detrended band envelopes"}
    w = int(round(REPEAT_WINDOW_SECONDS / hop))
    apart = int(round(REPEAT_APART_SECONDS / hop))
    n = envelope.shape[0]
    if n < 2 * w + apart:
        return out
    d = _detrended(np.asarray(envelope, dtype=np.float64),
                   int(round(REPEAT_DETREND_SECONDS / hop)))
    # norms of every window of w frames (all start positions)
    energy = np.concatenate([[0.0], np.cumsum(np.sum(d**2, axis=1))])
    norms = np.sqrt(np.maximum(energy[w:] - energy[:-w], 0.0))  # len n - w + 1
    # cross-correlations by FFT in chunks of starts (overlap-save): each chunk holds
    # `step` window starts and the w - 1 frames after them
    size = 1 << int(math.ceil(math.log2(4 * w)))
    step = size - w + 1
    starts = n - w + 1  # windows that fit
    chunks = -(-starts // step)
    padded = np.zeros((chunks * step + w - 1, d.shape[1]))
    padded[:n] = d
    pieces = np.stack([padded[c * step : c * step + step + w - 1] for c in range(chunks)])
    spectra = np.fft.rfft(pieces, n=size, axis=1)  # (chunks, bins, bands)
    best, best_q, best_k = -1.0, 0, 0
    for q in range(0, n - 2 * w - apart + 1, w):
        query = d[q : q + w]
        qn = float(np.sqrt(np.sum(query**2)))
        if qn <= 0:
            continue
        qf = np.fft.rfft(query[::-1], n=size, axis=0)  # (bins, bands)
        full = np.fft.irfft(np.einsum("cfb,fb->cf", spectra, qf), n=size, axis=1)
        corr = full[:, w - 1 : w - 1 + step].reshape(-1)[:starts]  # corr[k]: start k
        first = q + w + apart
        with np.errstate(divide="ignore", invalid="ignore"):
            scores = corr[first:] / (qn * norms[first:])
        scores = np.where(norms[first:] > 0, scores, -1.0)
        if scores.size == 0:
            continue
        k = int(np.argmax(scores))
        if scores[k] > best:
            best, best_q, best_k = float(scores[k]), q, first + k
    if best < -0.5:
        return out
    out.update(score=round(best, 3), first=round(best_q * hop, 1),
               second=round(best_k * hop, 1))
    return out


def short_term(power: np.ndarray, blocks: int = SHORT_TERM_BLOCKS) -> np.ndarray:
    """LUFS of the mean of every ``blocks`` consecutive block powers (hop one block)."""
    if power.shape[0] < blocks:
        return np.zeros(0)
    c = np.concatenate([[0.0], np.cumsum(power)])
    mean = (c[blocks:] - c[:-blocks]) / blocks
    with np.errstate(divide="ignore"):
        return np.where(mean > 0, -0.691 + 10 * np.log10(np.maximum(mean, 1e-30)), -np.inf)


def loudness_range(steps: list[np.ndarray]) -> float | None:
    """LRA in LU (EBU Tech 3342) from 100 ms per-channel mean squares; None if too short
    or everything is gated away."""
    if len(steps) < LRA_WINDOW_STEPS:
        return None
    power = np.array(steps).sum(axis=1)
    st = short_term(power, LRA_WINDOW_STEPS)
    st = st[st > LRA_ABSOLUTE_GATE]
    if st.size == 0:
        return None
    relative = _lufs(float(np.mean(10 ** ((st + 0.691) / 10)))) + LRA_RELATIVE_GATE
    st = st[st > relative]
    if st.size == 0:
        return None
    return round(float(np.percentile(st, 95) - np.percentile(st, 10)), 2)


def _expected_events(scene: Scene, layer: Event, seconds: float) -> float:
    """Expected onsets in the first ``seconds``: the phase-automated rate, capped by
    min_gap as the event player caps it (``events.mean_gap``), on a 1 s grid."""
    rate = scene.master.sample_rate
    grid = (np.arange(0, int(math.ceil(seconds))) + 0.5) * rate
    per_s = rate_timeline(scene, layer)(grid.astype(np.int64)) / 60.0
    dt = np.minimum(1.0, seconds - np.arange(0, grid.shape[0]))
    per_event = np.where(per_s > 0, 1.0 / mean_gap(per_s, layer.min_gap), 0.0)
    return float(np.sum(per_event * dt))


def _rate_text(scene: Scene, layer: Event) -> str:
    """What the scene says about a layer's rate: base rate and phase targets."""
    if layer.interval is not None:
        text = f"interval {layer.interval[0]:g}-{layer.interval[1]:g} s"
    else:
        text = f"rate_per_min {layer.rate_per_min or 0.0:g}"
    set_by = [f"{p.name} {p.targets[layer.name]['rate_per_min']:g}" for p in scene.phases
              if "rate_per_min" in p.targets.get(layer.name, {})]
    if set_by:
        text += f", phases' rate_per_min: {', '.join(set_by)}"
    if layer.min_gap > 0:
        text += f", min_gap {layer.min_gap:g} s"
    return text


def _event_stats(scene: Scene, layer: Event, times: list[float],
                 seconds: float) -> dict[str, Any]:
    minutes = seconds / 60.0
    expected = _expected_events(scene, layer, seconds)
    span = scene.cycle_seconds if scene.phases else 3600.0
    gaps = np.diff(np.asarray(times)) if len(times) > 1 else np.zeros(0)
    at_min = (float(np.mean(np.abs(gaps - layer.min_gap) <= GAP_TOLERANCE_SECONDS))
              if gaps.size else None)
    return {
        "count": len(times),
        "per_min": round(len(times) / minutes, 3) if minutes > 0 else None,
        "expected": round(expected, 2),
        "expected_per_min": round(expected / minutes, 3) if minutes > 0 else None,
        "expected_per_cycle": round(_expected_events(scene, layer, span), 2),
        "cycle_seconds": span,
        "cycle": "phase cycle" if scene.phases else "hour",
        "gap_min": _num(float(gaps.min()), 3) if gaps.size else None,
        "gap_median": _num(float(np.median(gaps)), 3) if gaps.size else None,
        "gap_max": _num(float(gaps.max()), 3) if gaps.size else None,
        "gaps_at_min_gap": round(at_min, 4) if at_min is not None else None,
        "min_gap": layer.min_gap,
        "rate": _rate_text(scene, layer),
    }


def _never_fired(name: str, stats: dict[str, Any], seconds: float) -> tuple[str, bool]:
    """The line for an event layer with no event, and whether it is a warning."""
    per = stats["cycle"]
    if stats["expected_per_cycle"] < 1.0:
        return (f"layer {name!r} never fires: {stats['rate']} give it "
                f"{stats['expected_per_cycle']:g} expected events per {per} "
                f"(none in these {seconds:g} s)", True)
    if stats["expected"] >= NEVER_FIRED_EXPECTED:
        return (f"layer {name!r} never fired in these {seconds:g} s although "
                f"{stats['expected']:g} events were expected ({stats['rate']})", True)
    return (f"layer {name!r} had no event in these {seconds:g} s ({stats['expected']:g} "
            f"expected; {stats['expected_per_cycle']:g} per {per}): analyse a longer "
            "--duration to hear it", False)


def analyze(scene: Scene, seconds: float, bank: SegmentBank | None = None,
            seed: int | None = None, progress: Callable[[int], None] | None = None,
            prepare: Callable[[str], None] | None = None) -> dict[str, Any]:
    """Render ``seconds`` of ``scene`` in memory and measure it (see the module docstring).

    ``progress(frames_done)`` is called after every 1 s block; ``prepare(layer_name)``
    while layers are made (as ``build_graph``'s ``progress``). Returns the analysis
    dict: the render report's fields (``output`` is the scene path) plus ``mix``,
    ``curves``, ``events``, ``phases``, ``clicks``, ``repetition`` and ``notes``.
    """
    rate = scene.master.sample_rate
    total = int(round(seconds * rate))
    graph = build_graph(scene, bank, seed=seed, total_frames=total, progress=prepare,
                        meter=True)
    timeline = Timeline(graph, total)
    out = OutputMeter(rate)  # stride 1: every block is metered
    mix_tap = _StepTap(out.loudness)
    taps = {name: _StepTap(m.loudness) for name, m in graph.meters.items()}
    mix_power: list[float] = []
    layer_power: dict[str, list[float]] = {name: [] for name in taps}
    clicks = _ClickScan(rate)
    envelope = _EnvelopeScan(rate)
    mix_repeats = RepetitionScanner(rate)
    bed_repeats: dict[str, RepetitionScanner] = {}
    for name, meter in graph.meters.items():
        if isinstance(scene.layer(name), Bed):
            bed_repeats[name] = RepetitionScanner(rate)
            meter.source = _RepeatTap(meter.source, bed_repeats[name])
    true_peak = float("-inf")
    done = 0
    while done < total:
        n = min(rate, total - done)
        block = graph.pull(n)
        out.feed(block)
        timeline.collect()
        mix_power.append(mix_tap.take())
        for name, tap in taps.items():
            layer_power[name].append(tap.take())
        clicks.feed(block)
        envelope.feed(block)
        mix_repeats.feed(block)
        peak = float(np.max(np.abs(block))) if block.size else 0.0
        if peak > 0 and 20 * math.log10(peak) > true_peak - TRUE_PEAK_MARGIN_DB:
            true_peak = max(true_peak, true_peak_db(block))
        done += n
        if progress is not None:
            progress(done)
    repeats = {name: r.result().as_dict(REPEAT_LIST_LIMIT) for name, r in bed_repeats.items()}
    return _assemble(graph, out, timeline, seconds, np.array(mix_power),
                     {k: np.array(v) for k, v in layer_power.items()}, clicks.times,
                     envelope.envelope(), true_peak, repeats,
                     mix_repeats.result().as_dict(REPEAT_LIST_LIMIT))


def _event_spans(graph: SceneGraph, timeline: Timeline) -> list[tuple[str, float, float]]:
    """(layer, start, end) seconds of every event of the analysis."""
    spans = []
    for ev in timeline.events:
        spans.append((ev["layer"], ev["time"], ev["time"] + ev["seconds"]))
    return spans


def split_clicks(times: list[float], spans: list[tuple[str, float, float]]
                 ) -> tuple[list[float], list[dict[str, Any]]]:
    """Click ``times`` (seconds) split into seam clicks (no event sounding) and clicks
    while an event sounds (``{"time", "layer"}``; ``spans`` as ``(layer, start, end)``)."""
    seam: list[float] = []
    during: list[dict[str, Any]] = []
    for t in times:
        by = next((name for name, start, end in spans if start <= t < end), None)
        if by is None:
            seam.append(t)
        else:
            during.append({"time": round(t, 3), "layer": by})
    return seam, during


def _assemble(graph: SceneGraph, out: OutputMeter, timeline: Timeline, seconds: float,
              mix_power: np.ndarray, layer_power: dict[str, np.ndarray],
              click_times: list[float], envelope: np.ndarray,
              true_peak: float, repeats: dict[str, dict[str, Any]],
              mix_repeat: dict[str, Any]) -> dict[str, Any]:
    """The analysis dict from what the render measured; ``repeats`` holds the
    repetition ruler's dict per bed layer, ``mix_repeat`` the mix's."""
    scene = graph.scene
    counts = timeline.counts()
    report = build_report(graph, out, str(scene.path), seconds, events=counts)
    notes: list[str] = []
    # the render report's "played no events" line is replaced by a more precise one
    quiet = [f"layer {name!r} played no events" for name, c in counts.items() if c == 0]
    warnings = [w for w in report["warnings"] if not any(w.startswith(q) for q in quiet)]
    onsets: dict[str, list[float]] = {name: [] for name in counts}
    for ev in timeline.events:
        onsets[ev["layer"]].append(ev["time"])
    mean_power = {name: float(np.mean(p)) if p.size else 0.0
                  for name, p in layer_power.items()}
    total_power = sum(mean_power.values())
    for entry in report["layers"]:
        name = entry["name"]
        share = mean_power.get(name, 0.0) / total_power if total_power > 0 else 0.0
        entry["share"] = round(share, 4)
        layer = scene.layer(name)
        if isinstance(layer, Event):
            stats = _event_stats(scene, layer, onsets[name], seconds)
            entry["event_stats"] = stats
            if stats["count"] == 0:
                line, is_warning = _never_fired(name, stats, seconds)
                (warnings if is_warning else notes).append(line)
        if name in repeats:
            r = entry["repetition"] = repeats[name]
            if r["share"] > REPEAT_SHARE_WARN:
                notes.append(f"layer {name!r} repeats itself: {100 * r['share']:.0f} % "
                             f"of its {r['window_seconds']:g} s windows replay earlier "
                             f"output (shortest lag {r['smallest_lag']:.1f} s)")
        if (len(scene.layers) > 1 and share > DOMINANT_SHARE
                and not report["silent"]):
            warnings.append(f"layer {name!r} is dominant: {100 * share:.1f} % of the "
                            f"layers' energy (the others together are "
                            f"{-10 * math.log10(max(1 - share, 1e-12)):.1f} LU under it)")
    # short-term loudness curves and mix statistics
    st_mix = short_term(mix_power)
    times = np.arange(SHORT_TERM_BLOCKS, SHORT_TERM_BLOCKS + st_mix.shape[0], dtype=float)
    times = np.minimum(times, seconds)
    settled = st_mix[times >= scene.master.fade_in + SHORT_TERM_BLOCKS]
    settled = settled[np.isfinite(settled)]
    spread: dict[str, float | None] = {}
    for key, q in (("min", 0), ("p10", 10), ("median", 50), ("p90", 90), ("max", 100)):
        spread[key] = _num(float(np.percentile(settled, q))) if settled.size else None
    mix = report["integrated_lufs"]
    target = scene.master.loudness_lufs
    mix_entry = {
        "integrated_lufs": mix,
        "target_lufs": target,
        "vs_target_lu": round(mix - target, 2) if mix is not None else None,
        "lra_lu": loudness_range(out.loudness.steps),
        "short_term": spread,
        "true_peak_dbtp": _num(true_peak),
        "sample_peak_dbfs": report["sample_peak_dbfs"],
    }
    curves = {
        "times": [float(t) for t in times],
        "window_seconds": float(SHORT_TERM_BLOCKS),
        "mix": [_num(float(v)) for v in st_mix],
        "layers": {name: [_num(float(v)) for v in short_term(p)]
                   for name, p in layer_power.items()},
    }
    minutes = seconds / 60.0
    seam, during = split_clicks(click_times, _event_spans(graph, timeline))
    clicks = {
        "count": len(click_times),
        "per_min": round(len(click_times) / minutes, 3) if minutes > 0 else None,
        "seam": len(seam),
        "seam_per_min": round(len(seam) / minutes, 3) if minutes > 0 else None,
        "times": [round(t, 3) for t in seam[:CLICK_LIST_LIMIT]],
        "during_events": during[:CLICK_LIST_LIMIT],
    }
    if seam:
        shown = ", ".join(f"{t:.2f}" for t in seam[:5])
        warnings.append(f"{len(seam)} clicks in the mix where no event sounds "
                        f"({clicks['seam_per_min']:g} per minute), first at {shown} s")
    repeat = repetition(envelope)
    repeat["waveform"] = mix_repeat
    if repeat["score"] is not None and repeat["score"] > REPEAT_WARN:
        warnings.append(f"the mix repeats: {repeat['window_seconds']:g} s at "
                        f"{repeat['first']:g} s and at {repeat['second']:g} s match "
                        f"(score {repeat['score']:.2f})")
    report.update(
        mix=mix_entry,
        curves=curves,
        events=onsets,
        phases=timeline.phases(),
        clicks=clicks,
        repetition=repeat,
        inaudible_lu=INAUDIBLE_LU,
        dominant_share=DOMINANT_SHARE,
        notes=notes,
        warnings=warnings,
    )
    return report


def _fmt(x: float | None, spec: str = ".1f") -> str:
    return "-inf" if x is None else format(x, spec)


def _clock(seconds: float | None) -> str:
    if seconds is None:
        return "?"
    m, s = divmod(seconds, 60.0)
    return f"{int(m)}:{s:04.1f}"


def _repeat_text(r: dict[str, Any]) -> str:
    """One line for a repetition ruler's dict (soundscape.repetition.as_dict)."""
    if not r["windows"]:
        return f"repeats: span too short for a {r['window_seconds']:g} s window"
    text = (f"repeats: {r['repeating']} of {r['windows']} {r['window_seconds']:g} s windows "
            f"({100 * r['share']:.1f} %) replay earlier output")
    if r["repeating"]:
        text += (f", lag shortest {r['smallest_lag']:.1f} s, median "
                 f"{r['median_lag']:.1f} s")
    return text


def format_analysis(a: dict[str, Any]) -> str:
    """The analysis as lines for the terminal: mix, one line per layer, events,
    clicks, repetition, then notes and warnings."""
    mix = a["mix"]
    st = mix["short_term"]
    lines = [
        f"{a['scene']}: {a['seconds']:g} s analysed, seed {a['seed']}",
        f"  mix  {_fmt(mix['integrated_lufs'])} LUFS (target {mix['target_lufs']:g}, "
        f"{_fmt(mix['vs_target_lu'], '+.1f')} LU), LRA {_fmt(mix['lra_lu'])} LU, "
        f"true peak {_fmt(mix['true_peak_dbtp'])} dBTP",
        f"  short-term (3 s) after the fade-in: min {_fmt(st['min'])}, p10 {_fmt(st['p10'])}, "
        f"median {_fmt(st['median'])}, p90 {_fmt(st['p90'])}, max {_fmt(st['max'])} LUFS",
    ]
    width = max((len(e["name"]) for e in a["layers"]), default=4)
    lines.append(f"  {'layer':<{width}}  in mix      vs mix   energy")
    for e in a["layers"]:
        below = e["below_mix_lu"]
        vs = f"{-below:+6.1f} LU" if below is not None else "      -  "
        lines.append(f"  {e['name']:<{width}}  {_fmt(e['lufs_in_mix']):>6} LUFS  {vs}  "
                     f"{100 * e['share']:5.1f} %  {e['source']}: {e['detail']}")
        s = e.get("event_stats")
        if s is not None:
            gaps = ("no gaps" if s["gap_min"] is None else
                    f"gaps {s['gap_min']:.1f} / {s['gap_median']:.1f} / {s['gap_max']:.1f} s "
                    f"(min / median / max), {100 * s['gaps_at_min_gap']:.0f} % at min_gap")
            lines.append(f"  {'':<{width}}  {s['count']} events, {_fmt(s['per_min'], '.2f')}/min "
                         f"(expected {_fmt(s['expected_per_min'], '.2f')}), {gaps}")
        r = e.get("repetition")
        if r is not None:
            lines.append(f"  {'':<{width}}  {_repeat_text(r)}")
    c = a["clicks"]
    extra = ""
    if c["during_events"]:
        layers = sorted({d["layer"] for d in c["during_events"]})
        extra = f"; {c['count'] - c['seam']} more while events sound ({', '.join(layers)})"
    lines.append(f"  clicks: {c['seam']} where no event sounds ({c['seam_per_min']:g} per "
                 f"minute){extra}")
    r = a["repetition"]
    if r["score"] is None:
        lines.append("  repetition: span too short to compare")
    else:
        lines.append(f"  repetition: best match {r['score']:.2f} between "
                     f"{_clock(r['first'])} and {_clock(r['second'])} "
                     f"({r['window_seconds']:g} s windows)")
    if r.get("waveform") is not None:
        lines.append(f"  mix {_repeat_text(r['waveform'])}")
    for n in a["notes"]:
        lines.append(f"note: {n}")
    for w in a["warnings"]:
        lines.append(f"warning: {w}")
    return "\n".join(lines)
