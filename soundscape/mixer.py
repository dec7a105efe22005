"""The one real-time loop: mixer threads that produce streams' blocks on the audio clock.

Every live output runs here: the server's channels, personal mixes and studio
streams (:class:`soundscape.server.engine.Engine`) and ``broadcast``'s station
(:class:`soundscape.outputs.station.Station`). A :class:`Mixer` owns a set of
streams: only its thread touches them. Other threads change them only through
messages (``call``, ``add``, ``remove``, ``pause``, ``resume``), run at the next
block boundary. ``step(now)`` does one round: run the messages, then produce every
stream's blocks due at ``now`` (streams for which ``first`` holds go first), handing
each result to ``publish`` (which must be thread-safe or only queue). The thread
calls ``step`` at each block's due time (absolute schedule from
:class:`~soundscape.clock.AudioClock`); tests call it with a fake clock.

Falling behind, the one rule: a stream more than ``max_late`` blocks behind the
clock skips ahead to the block now due. The skipped blocks are never made, so
nothing bursts stale audio and the stream's graph goes on where it stopped (the
audio stays continuous, only later than planned); the skipped count goes to
``late_blocks`` (the stream's and the mixer's) and the log. A stream's block index
never moves backwards.

A stream is anything with the :class:`Producer` attributes; it is changed only on
its mixer's thread.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from typing import Any, Generic, Protocol, TypeVar

from .clock import AudioClock

log = logging.getLogger(__name__)

MAX_LATE = 10  # blocks a stream may fall behind before it skips ahead


class Producer(Protocol):
    """What a mixer needs of a stream (all changed on the mixer's thread only)."""

    key: str  # unique within a mixer
    index: int  # the next block to produce (AudioClock block index)
    paused: bool  # skipped until resumed
    stopped: bool  # dropped by the mixer at its next round
    late_blocks: int  # blocks skipped because the mixer fell behind

    def produce(self) -> Any:
        """Make block ``index``, advance ``index`` by one and return the result."""
        ...


S = TypeVar("S", bound=Producer)


class Mixer(Generic[S]):
    """One mixer thread over streams ``S``. Every public method except ``step`` is
    thread-safe."""

    def __init__(self, name: str, clock: AudioClock, publish: Callable[[S, Any], None],
                 max_late: int = MAX_LATE, first: Callable[[S], bool] | None = None):
        self.name = name
        self.clock = clock
        self.publish = publish
        self.max_late = max_late
        self.first = first
        self.streams: dict[str, S] = {}  # mixer thread only
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
        """Stop the thread after its current block (waits up to ``timeout`` s)."""
        self._stop.set()
        self._wake.set()
        if self._thread.is_alive():
            self._thread.join(timeout)

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()

    # -- messages (any thread) -------------------------------------------------------
    def call(self, fn: Callable[[], None]) -> None:
        """Run ``fn()`` on this mixer thread before its next blocks."""
        self._commands.put(fn)
        self._wake.set()

    def add(self, stream: S) -> None:
        def add() -> None:
            self.streams[stream.key] = stream
        self.call(add)

    def remove(self, key: str) -> None:
        """Stop producing stream ``key`` and forget it."""
        def remove() -> None:
            stream = self.streams.pop(key, None)
            if stream is not None:
                stream.stopped = True

        self.call(remove)

    def pause(self, key: str) -> None:
        """Skip stream ``key`` (an idle channel) until ``resume``."""
        def pause() -> None:
            if key in self.streams:
                self.streams[key].paused = True

        self.call(pause)

    def resume(self, key: str, burst: int) -> None:
        """Wake a paused stream: its graph goes on where it stopped, and up to ``burst``
        blocks are made at once so a new listener starts without waiting. The index
        never moves backwards: a sequence number is never produced twice."""
        def resume() -> None:
            stream = self.streams.get(key)
            if stream is None or not stream.paused:
                return
            stream.index = max(stream.index, self.clock.due() - max(0, burst - 1))
            stream.paused = False

        self.call(resume)

    # -- the mixer thread ------------------------------------------------------------
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

    def step(self, now: float | None = None) -> int:
        """Run pending messages, then produce every block due at ``now`` (clock time;
        default: the clock's now). Returns how many blocks were produced. Call from
        the thread that owns this mixer (its own, or a test's)."""
        self._run_commands()
        due = self.clock.due(now)
        made = 0
        streams = list(self.streams.values())
        if self.first is not None:
            first = self.first
            streams.sort(key=lambda s: not first(s))
        for stream in streams:
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
            while stream.index <= due and not stream.stopped and not self._stop.is_set():
                try:
                    produced = stream.produce()
                except Exception:  # a graph has its Fallback: this is an encoder bug
                    log.exception("mixer %s: stream %s failed; removing it",
                                  self.name, stream.key)
                    self.streams.pop(stream.key, None)
                    stream.stopped = True
                    break
                made += 1
                self.publish(stream, produced)
        return made

    def _run(self) -> None:
        clock = self.clock
        while not self._stop.is_set():
            started = time.perf_counter()
            self.step()
            self.busy_seconds += time.perf_counter() - started
            wait = clock.time_of(clock.due() + 1) - clock.now()
            if wait > 0:
                self._wake.wait(wait)
                self._wake.clear()
