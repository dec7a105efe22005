"""A real-time station: pull a scene's master on the audio clock, fan blocks out.

The station's thread (the caller's) is the mixer: it pulls ``block`` frames when
each block is due (:class:`~soundscape.clock.AudioClock`, absolute schedule)
and hands the same float32 (2, block) array to every output's ``push``, which never
blocks. Outputs run on their own threads; what they report comes back as
:class:`~soundscape.outputs.base.OutputEvent` messages, handed to ``on_event``.

A station that falls more than ``max_late`` blocks behind (a starved CPU) re-anchors
its clock instead of bursting: the audio stays continuous, it is just later.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Sequence

import numpy as np

from ..clock import AudioClock
from .base import OutputEvent, ThreadedOutput

log = logging.getLogger(__name__)

BLOCK = 4800  # 100 ms at 48 kHz


class Station:
    """``pull(frames) -> float32 (2, frames)`` played in real time into ``outputs``."""

    def __init__(self, pull: Callable[[int], np.ndarray], rate: int,
                 outputs: Sequence[ThreadedOutput], block: int = BLOCK,
                 now: Callable[[], float] = time.monotonic, max_late: int = 20):
        self.pull = pull
        self.rate = rate
        self.outputs = list(outputs)
        self.block = block
        self.now = now
        self.max_late = max_late
        self.frames = 0  # frames produced so far
        self.reanchors = 0  # times the station fell behind and restarted its clock
        self.busy_seconds = 0.0  # time spent pulling the graph

    def events(self) -> list[OutputEvent]:
        """Every event the outputs reported since the last call (any thread)."""
        out = []
        for output in self.outputs:
            while True:
                try:
                    out.append(output.events.get_nowait())
                except queue.Empty:
                    break
        return out

    def run(self, frames: int | None = None, stop: threading.Event | None = None,
            on_event: Callable[[OutputEvent], None] | None = None,
            on_block: Callable[[int], None] | None = None) -> int:
        """Play until ``frames`` are produced (None: until ``stop`` is set) or every
        output has failed; returns the frames produced. Starts the outputs; does not
        close them (``close``)."""
        stop = stop or threading.Event()
        for output in self.outputs:
            output.start()
        clock = AudioClock(self.rate, self.block, now=self.now)
        index = 0
        while not stop.is_set():
            if frames is not None and self.frames >= frames:
                break
            due = clock.due()
            if index < due - self.max_late:
                log.warning("station fell %d blocks behind; re-anchoring its clock",
                            due - index)
                self.reanchors += 1
                clock = AudioClock(self.rate, self.block, now=self.now)
                index, due = 0, 0
            while index <= due and not stop.is_set():
                n = self.block if frames is None else min(self.block, frames - self.frames)
                if n <= 0:
                    break
                started = time.perf_counter()
                audio = self.pull(n)
                self.busy_seconds += time.perf_counter() - started
                for output in self.outputs:
                    output.push(audio)
                self.frames += n
                index += 1
                if on_block is not None:
                    on_block(self.frames)
            for event in self.events():
                if on_event is not None:
                    on_event(event)
            if self.outputs and all(o.failed for o in self.outputs):
                break
            wait = clock.time_of(index) - self.now()
            if wait > 0:
                stop.wait(wait)
        return self.frames

    def close(self, timeout: float = 10.0) -> None:
        """Stop every output (flush encoders, close sockets and playlists)."""
        for output in self.outputs:
            output.close(timeout)
