"""The event timeline of a render: every event and phase boundary, as a cue sheet.

:class:`Timeline` collects what the scene's event players scheduled while a render
runs (``collect`` after each block drains their history, so memory holds only small
records) and adds the phase boundaries that fall inside the render. ``records()``
returns them sorted by time; ``write_jsonl`` writes one JSON object per line:

    {"time": 12.5, "type": "phase", "phase": "build", "cycle": 0}
    {"time": 47.213, "type": "event", "layer": "thunder-far", "variant": 3,
     "gain_db": 2.41, "pan": -0.37, "distance": 0.52}

``time`` is seconds from the start of the file (3 decimals: 1 ms, well inside a
video frame); the file is written atomically.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .graph.build import SceneGraph
from .graph.events import EventPlayer
from .render import write_text_atomically


class Timeline:
    """Events and phases of one render of ``graph`` lasting ``total_frames``."""

    def __init__(self, graph: SceneGraph, total_frames: int):
        self.graph = graph
        self.rate = graph.scene.master.sample_rate
        self.total = total_frames
        self.players: dict[str, EventPlayer] = {}
        for name, strip in graph.strips.items():
            if isinstance(strip.source, EventPlayer):
                strip.source.keep_history = True
                self.players[name] = strip.source
        self.events: list[dict[str, Any]] = []

    def collect(self) -> None:
        """Take what the players scheduled since the last call (call after each block)."""
        for name, player in self.players.items():
            for ev in player.drain_history():
                if ev.start >= self.total:
                    continue
                self.events.append({
                    "time": round(ev.start / self.rate, 3), "type": "event", "layer": name,
                    "variant": ev.variant, "seconds": round(ev.frames / self.rate, 3),
                    "gain_db": round(ev.gain_db, 2),
                    "pan": round(ev.pan, 3), "distance": round(ev.distance, 3),
                })

    def counts(self) -> dict[str, int]:
        """Events per event layer so far."""
        out = dict.fromkeys(self.players, 0)
        for e in self.events:
            out[e["layer"]] += 1
        return out

    def phases(self) -> list[dict[str, Any]]:
        """Every phase start inside the render (each cycle when phases loop)."""
        scene = self.graph.scene
        if not scene.phases or scene.cycle_seconds <= 0:
            return []
        seconds = self.total / self.rate
        out: list[dict[str, Any]] = []
        cycle = 0
        while True:
            start = cycle * scene.cycle_seconds
            for phase in scene.phases:
                if start >= seconds:
                    return out
                out.append({"time": round(start, 3), "type": "phase", "phase": phase.name,
                            "cycle": cycle})
                start += phase.duration
            if not scene.master.loop_phases:
                return out
            cycle += 1

    def records(self) -> list[dict[str, Any]]:
        """Phases and events, by time (a phase before an event at the same time)."""
        return sorted(self.phases() + self.events,
                      key=lambda r: (r["time"], r["type"] != "phase"))

    def write_jsonl(self, path: Path) -> None:
        """Write ``records()`` as JSON lines, atomically (RenderError on failure)."""
        text = "".join(json.dumps(record) + "\n" for record in self.records())
        write_text_atomically(path, text, "the event timeline")
