"""A station: one scene's master played in real time into outputs (``broadcast``).

A :class:`Station` is a stream of the project's one real-time loop
(:class:`soundscape.mixer.Mixer`, the loop the server's mixers run, with its one
rule for falling behind: skip ahead, never burst). Each block it pulls ``block``
frames of the master and hands the same float32 (2, block) array to every output's
``push``, which never blocks. Outputs run on their own threads; what they report
comes back as :class:`~soundscape.outputs.base.OutputEvent` messages (``events()``).

Ownership: ``produce`` runs on the mixer's thread only; ``frames`` and ``late_blocks``
are written there and may be read anywhere (single values, for progress lines);
``done`` is set there when the station stops by itself: ``frames`` reached, or every
output failed. ``play`` is the usual driver::

    station = Station(chain.pull, LIVE_RATE, outputs, frames=LIVE_RATE * 60)
    station.play(stop, on_event=print)   # returns when done or when stop is set
    station.close()
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence

import numpy as np

from ..clock import AudioClock
from ..live import LIVE_RATE
from ..mixer import MAX_LATE, Mixer
from .base import OutputEvent, ThreadedOutput, drain_events

log = logging.getLogger(__name__)

BLOCK = LIVE_RATE // 10  # 100 ms
POLL_SECONDS = 0.2  # how often ``play`` hands out the outputs' events


class Station:
    """``pull(frames) -> float32 (2, frames)`` played into ``outputs``, one block per
    ``produce`` (a :class:`~soundscape.mixer.Producer`), until ``frames`` frames
    (None: for ever) or every output failed."""

    key = "station"

    def __init__(self, pull: Callable[[int], np.ndarray], rate: int,
                 outputs: Sequence[ThreadedOutput], block: int = BLOCK,
                 frames: int | None = None):
        self.pull = pull
        self.rate = rate
        self.outputs = list(outputs)
        self.block = block
        self.limit = frames
        self.index = 0  # the next block (mixer thread)
        self.paused = False
        self.stopped = False
        self.late_blocks = 0  # blocks skipped because the mixer fell behind
        self.frames = 0  # frames produced so far (mixer thread)
        self.busy_seconds = 0.0  # time spent pulling the graph
        self.done = threading.Event()
        if frames is not None and frames <= 0:
            self._finish()

    # -- the mixer thread ----------------------------------------------------------------
    def produce(self) -> int:
        """Pull the next block, hand it to every output; returns its frame count."""
        n = self.block if self.limit is None else min(self.block, self.limit - self.frames)
        started = time.perf_counter()
        audio = self.pull(n)
        self.busy_seconds += time.perf_counter() - started
        for output in self.outputs:
            output.push(audio)
        self.frames += n
        self.index += 1
        if self.limit is not None and self.frames >= self.limit:
            self._finish()
        elif self.outputs and all(o.failed for o in self.outputs):
            self._finish()
        return n

    def _finish(self) -> None:
        self.stopped = True
        self.done.set()

    # -- any thread ----------------------------------------------------------------------
    def start(self) -> None:
        """Start the outputs (connecting, opening files) before the first block."""
        for output in self.outputs:
            output.start()

    def events(self) -> list[OutputEvent]:
        """Every event the outputs reported since the last call."""
        return drain_events(self.outputs)

    def play(self, stop: threading.Event | None = None,
             on_event: Callable[[OutputEvent], None] | None = None,
             on_tick: Callable[[int], None] | None = None,
             now: Callable[[], float] = time.monotonic, max_late: int = MAX_LATE) -> int:
        """Start the outputs and play on a mixer thread of its own until ``done`` or
        ``stop``; meanwhile the calling thread hands each output event to ``on_event``
        and, every POLL_SECONDS, the frames produced so far to ``on_tick``. Returns the
        frames produced. Does not close the outputs (``close``)."""
        stop = stop or threading.Event()
        self.start()
        mixer: Mixer[Station] = Mixer("station", AudioClock(self.rate, self.block, now=now),
                                      lambda station, frames: None, max_late)
        mixer.add(self)
        mixer.start()
        try:
            while not stop.is_set() and not self.done.wait(POLL_SECONDS):
                self._hand_out(on_event)
                if on_tick is not None:
                    on_tick(self.frames)
        finally:
            mixer.stop(timeout=5.0)
            self._hand_out(on_event)
        return self.frames

    def _hand_out(self, on_event: Callable[[OutputEvent], None] | None) -> None:
        for event in self.events():
            if on_event is not None:
                on_event(event)

    def close(self, timeout: float = 10.0) -> None:
        """Stop every output (flush encoders, close sockets and playlists)."""
        for output in self.outputs:
            output.close(timeout)
