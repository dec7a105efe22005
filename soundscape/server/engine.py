"""Mixer threads: every stream is pulled and encoded here, on the audio clock.

Each :class:`Engine` owns a set of streams and wakes at the due time of the next
block (absolute schedule from :class:`AudioClock`). It produces every stream's due
blocks, hands each result to ``publish`` (which must be thread-safe: the server
passes a ``call_soon_threadsafe`` wrapper), and sleeps again. A mixer that fell more
than ``max_late`` blocks behind skips ahead rather than bursting stale audio.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable

from .clock import AudioClock
from .stream import Produced, Stream

log = logging.getLogger(__name__)

Publish = Callable[[Stream, Produced], None]


class Engine:
    """One mixer thread. ``add``/``remove``/``call`` are thread-safe."""

    def __init__(self, name: str, clock: AudioClock, publish: Publish, max_late: int = 10):
        self.name = name
        self.clock = clock
        self.publish = publish
        self.max_late = max_late
        self.streams: dict[str, Stream] = {}
        self.late_blocks = 0
        self.busy_seconds = 0.0  # time spent producing (load = busy / uptime)
        self._commands: queue.SimpleQueue[Callable[[], None]] = queue.SimpleQueue()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"mixer-{name}", daemon=True)

    def __len__(self) -> int:
        return len(self.streams)

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 1.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread.is_alive():
            self._thread.join(timeout)

    def call(self, fn: Callable[[], None]) -> None:
        """Run ``fn()`` on this mixer thread before its next blocks."""
        self._commands.put(fn)
        self._wake.set()

    def add(self, stream: Stream) -> None:
        def add() -> None:
            self.streams[stream.key] = stream
        self.call(add)

    def remove(self, key: str) -> None:
        def remove() -> None:
            self.streams.pop(key, None)

        self.call(remove)

    def resume(self, stream: Stream, burst: int) -> None:
        """Wake a paused stream: its graph goes on where it stopped, and the first
        ``burst`` blocks are made at once so a new listener starts without waiting."""
        def resume() -> None:
            stream.index = self.clock.due() - max(0, burst - 1)
            stream.paused = False

        self.call(resume)

    def _run_commands(self) -> None:
        while True:
            try:
                fn = self._commands.get_nowait()
            except queue.Empty:
                return
            try:
                fn()
            except Exception:
                log.exception("mixer %s: command failed", self.name)

    def _run(self) -> None:
        clock = self.clock
        while not self._stop.is_set():
            self._run_commands()
            due = clock.due()
            started = time.perf_counter()
            for stream in list(self.streams.values()):
                if stream.stopped:
                    self.streams.pop(stream.key, None)
                    continue
                if stream.paused:
                    continue
                if stream.index < due - self.max_late:
                    skipped = due - stream.index
                    stream.late_blocks += skipped
                    self.late_blocks += skipped
                    log.warning("mixer %s: stream %s fell %d blocks behind; skipping ahead",
                                self.name, stream.key, skipped)
                    stream.index = due
                while stream.index <= due and not self._stop.is_set():
                    try:
                        produced = stream.produce()
                    except Exception:
                        log.exception("mixer %s: stream %s failed; removing it",
                                      self.name, stream.key)
                        stream.stopped = True
                        break
                    self.publish(stream, produced)
            self.busy_seconds += time.perf_counter() - started
            wait = clock.time_of(due + 1) - clock.now()
            if wait > 0:
                self._wake.wait(wait)
                self._wake.clear()
