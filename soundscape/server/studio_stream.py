"""What the studio plays: its stream, the meters and timeline it reports, and the
graph hooks the session uses (audition overrides, moving a graph forward).

* :class:`StudioStream`: a :class:`Stream` whose graph has per-layer momentary
  loudness taps. On its mixer thread it adds, to each block's events, the meters
  (every layer as heard in the mix, the mix, and ``badges``), and once a second the
  timeline (upcoming events from the EventPlayers' own scheduler, phase starts,
  playhead).
* :func:`badges`: the level warnings, by the thresholds the render report and
  ``analyze`` use (soundscape.thresholds).
* :class:`Overrides` / :func:`apply_overrides`: audition-only gains, mutes, solos.
* :func:`advance`: a graph moved to a later scene time without making the audio in
  between (seek, and edits that keep the playhead).

Threads: the StudioStream belongs to one mixer thread and is changed only by
``Stream.request`` messages, like every stream; ``apply_overrides`` and ``advance``
run on whichever thread holds the graph (a build thread for a graph nobody else has).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from ..graph import SceneGraph
from ..graph.events import EventPlayer
from ..graph.meter import MomentaryLoudness
from ..thresholds import DOMINANT_SHARE, INAUDIBLE_LU, MUTE_DB, SILENT_LUFS, gain_of_db
from .stream import Produced, Stream

HORIZON_S = 300.0  # the timeline shows this far ahead
TIMELINE_EVERY = 10  # blocks between timeline messages (1 s at 100 ms blocks)
METER_EVERY = 1  # blocks between meter messages (10 a second at 100 ms blocks)
EDIT_CROSSFADE_S = 0.5
SEEK_CROSSFADE_S = 0.3


# -- meters ---------------------------------------------------------------------------
def badges(layers: dict[str, float], mix: float) -> dict[str, str]:
    """Per-layer warning from momentary loudness (LUFS): "inaudible" more than
    INAUDIBLE_LU under the mix; "dominates" when it carries more than DOMINANT_SHARE
    of the sounding layers' summed energy (with another layer sounding). A layer at
    or under SILENT_LUFS (muted, an event between strikes) gets none, nor does any
    layer while the mix itself is that quiet."""
    out: dict[str, str] = {}
    if mix <= SILENT_LUFS:
        return out
    sounding = {name: value for name, value in layers.items() if value > SILENT_LUFS}
    energy = {name: 10 ** (value / 10) for name, value in sounding.items()}
    total = sum(energy.values())
    for name, value in sounding.items():
        if value < mix - INAUDIBLE_LU:
            out[name] = "inaudible"
        elif len(sounding) > 1 and energy[name] > DOMINANT_SHARE * total:
            out[name] = "dominates"
    return out


# -- the timeline ---------------------------------------------------------------------
def _phases(graph: SceneGraph, now: int, until: int) -> list[dict[str, Any]]:
    scene = graph.scene
    rate = scene.master.sample_rate
    phases: list[dict[str, Any]] = []
    if not scene.phases or scene.cycle_seconds <= 0:
        return phases
    t0, t1 = now / rate, until / rate
    cycle = int(t0 // scene.cycle_seconds) if scene.master.loop_phases else 0
    while len(phases) < 200:
        start = cycle * scene.cycle_seconds
        if start > t1:
            break
        for phase in scene.phases:
            if start + phase.duration >= t0 and start <= t1:
                phases.append({"name": phase.name, "time": round(start, 3),
                               "duration": round(phase.duration, 3)})
            start += phase.duration
        if not scene.master.loop_phases:
            break
        cycle += 1
    return phases


def timeline(graph: SceneGraph, horizon_s: float = HORIZON_S) -> dict[str, Any]:
    """Upcoming events (the players' own scheduler, on a copy of its random state) and
    phase starts from the playhead to ``horizon_s`` later; times in scene seconds."""
    rate = graph.scene.master.sample_rate
    now = graph.position
    until = now + int(horizon_s * rate)
    events: list[dict[str, Any]] = []
    for name, strip in graph.strips.items():
        player = strip.source
        if isinstance(player, EventPlayer):
            for onset in player.upcoming(until, limit=100):
                if onset >= now:
                    events.append({"layer": name, "time": round(onset / rate, 3)})
    events.sort(key=lambda e: float(e["time"]))
    return {"type": "timeline", "position": round(now / rate, 3), "horizon": horizon_s,
            "events": events[:400], "phases": _phases(graph, now, until)}


# -- graph hooks -----------------------------------------------------------------------
@dataclass
class Overrides:
    """Audition-only changes (never written): per-layer gain, mutes and solos."""

    gains: dict[str, float] = field(default_factory=dict)
    muted: set[str] = field(default_factory=set)
    solo: set[str] = field(default_factory=set)

    def gain_db(self, name: str) -> float:
        """The layer's audition gain in dB (MUTE_DB: silent)."""
        if name in self.muted or (self.solo and name not in self.solo):
            return MUTE_DB
        return self.gains.get(name, 0.0)

    def copy(self) -> Overrides:
        return Overrides(dict(self.gains), set(self.muted), set(self.solo))


def apply_overrides(graph: SceneGraph, overrides: Overrides, glide: bool = True) -> None:
    """Set every layer's live gain from ``overrides`` (gliding, or at once on a graph
    that has not played yet)."""
    for name, strip in graph.strips.items():
        strip.set_user_gain(gain_of_db(overrides.gain_db(name)), glide=glide)


def advance(graph: SceneGraph, frames: int) -> None:
    """Move the graph ``frames`` forward without making that audio (``SceneGraph.seek``:
    beds draw their plays, event layers their schedule, only what still sounds is
    made), so it plays on from there as a render pulled all the way would."""
    if frames > 0:
        graph.seek(graph.position + frames)


# -- the stream ------------------------------------------------------------------------
class StudioStream(Stream):
    """A Stream that also reports meters and the timeline in its blocks' events.

    ``heard``: (version, receipt time) of an edit or seek whose graph was handed to
    ``reload``; the first block made after it carries a "heard" event with the
    latency from receipt (perf_counter) to that block.
    """

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.mix_meter = MomentaryLoudness(self.rate)
        self.blocks = 0
        self.heard: tuple[int, float] | None = None

    def produce(self) -> Produced:
        produced = super().produce()
        self.blocks += 1
        if self.last_block is not None:
            self.mix_meter.feed(self.last_block)
        graph = self.graph
        if self.heard is not None:
            version, since = self.heard
            self.heard = None
            produced.events.append({"type": "heard", "version": version,
                                    "latency_ms": round((time.perf_counter() - since) * 1000, 1)})
        if graph is None:
            return produced
        if self.blocks % METER_EVERY == 0:
            layers = {name: round(tap.lufs(), 1) for name, tap in graph.taps.items()}
            mix = round(self.mix_meter.lufs(), 1)
            produced.events.append({
                "type": "meters", "position": round(graph.position / self.rate, 3),
                "mix": mix, "layers": layers, "badges": badges(layers, mix),
                "playing": self.fallback.playing,
            })
        if self.blocks % TIMELINE_EVERY == 1:
            produced.events.append(timeline(graph))
        return produced

