"""The part every output shares: its own thread, fed by a bounded queue of messages.

An output is driven only by messages: ``push(block)`` puts a float32 (2, n) block on
its queue and returns at once; ``close()`` puts a stop message. The output's thread
is the only one that touches its encoder, socket or files. A full queue means the
output fell behind: the block is dropped and counted (``dropped``), and the mixer
never waits. What the output has to say (connected, reconnecting, failed, dropped)
goes on its ``events`` queue as :class:`OutputEvent` messages for whoever drives the
station to print or log.

``delivered`` counts the frames that reached the output's destination (a socket, a
muxer); it is written by the output thread only, so read it after ``close()``: an
output that never delivered anything says so to ``broadcast``.
"""

from __future__ import annotations

import enum
import logging
import queue
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np

from ..live import LIVE_RATE
from ..threads import Stopped

log = logging.getLogger(__name__)

QUEUE_BLOCKS = 50  # 5 s of 100 ms blocks: an output this far behind drops
DROP_REPORT_SECONDS = 10.0


class Level(enum.Enum):
    INFO = "info"
    WARNING = "warning"
    ERROR = "error"  # the output gave up: it will not produce again


@dataclass(frozen=True)
class OutputEvent:
    output: str  # the output's name, e.g. "icecast opus 127.0.0.1:8000/rain.opus"
    level: Level
    message: str
    at: float = field(default_factory=time.time)

    def __str__(self) -> str:
        return f"{self.output}: {self.message}"


class _Stop:
    pass


STOP = _Stop()


class ThreadedOutput:
    """Base class: subclasses implement ``_run_output()`` which loops over ``_next()``.

    ``_next(timeout)`` returns the next block, None on timeout, or raises
    :class:`~soundscape.threads.Stopped` after ``close()``. Subclasses report with
    ``_report`` and add to ``delivered`` what reached their destination.
    """

    kind = "output"

    def __init__(self, name: str, rate: int = LIVE_RATE, queue_blocks: int = QUEUE_BLOCKS):
        self.name = name
        self.rate = rate
        self.events: queue.SimpleQueue[OutputEvent] = queue.SimpleQueue()
        self.dropped = 0  # blocks dropped because the queue was full (producer side)
        self.frames_in = 0  # frames taken off the queue (output thread)
        self.failed = False  # set by the output thread when it gives up
        self.delivered = 0  # frames that reached the destination (output thread)
        # set by close(): a subclass waiting on a socket polls it (never blocks a stop)
        self.closing = threading.Event()
        self._queue: queue.Queue[np.ndarray | _Stop] = queue.Queue(maxsize=queue_blocks)
        self._thread = threading.Thread(target=self._main, name=f"output-{name}", daemon=True)
        self._last_drop_report = 0.0
        self._started = False

    # -- producer side (the mixer thread) --------------------------------------------
    def start(self) -> None:
        if not self._started:
            self._started = True
            self._thread.start()

    def push(self, block: np.ndarray) -> bool:
        """Queue one float32 (2, n) block; False (and counted) if the output is behind."""
        if self.failed:
            return False
        try:
            self._queue.put_nowait(block)
            return True
        except queue.Full:
            self.dropped += 1
            now = time.monotonic()
            if now - self._last_drop_report >= DROP_REPORT_SECONDS:
                self._last_drop_report = now
                self._report(Level.WARNING, f"falling behind: {self.dropped} blocks dropped "
                                            "so far (the mixer does not wait for outputs)")
            return False

    def close(self, timeout: float = 10.0) -> None:
        """Ask the output to finish (flush, close files and sockets) and wait for it."""
        if not self._started:
            return
        self.closing.set()
        while True:
            try:
                self._queue.put(STOP, timeout=0.1)
                break
            except queue.Full:  # make room: the stop message must get through
                try:
                    self._queue.get_nowait()
                except queue.Empty:
                    pass
        self._thread.join(timeout)

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()

    # -- output thread -----------------------------------------------------------------
    def _report(self, level: Level, message: str) -> None:
        event = OutputEvent(self.name, level, message)
        self.events.put(event)
        log.debug("%s", event)  # whoever drives the station prints the events

    def _next(self, timeout: float | None = None) -> np.ndarray | None:
        try:
            item = self._queue.get(timeout=timeout)
        except queue.Empty:
            return None
        if isinstance(item, _Stop):
            raise Stopped
        self.frames_in += item.shape[1]
        return item

    def _main(self) -> None:
        try:
            self._run_output()
        except Stopped:
            pass
        except Exception as exc:  # an output's bug must not take the station down
            log.exception("%s failed", self.name)
            self.failed = True
            self._report(Level.ERROR, f"stopped: {type(exc).__name__}: {exc}")
        finally:
            try:
                self._finish()
            except Exception:
                log.exception("%s: cleanup failed", self.name)

    def _run_output(self) -> None:
        raise NotImplementedError

    def _finish(self) -> None:
        """Flush and release what the output holds (output thread, once, at the end)."""


def drain_events(outputs: Iterable[ThreadedOutput]) -> list[OutputEvent]:
    """Every event ``outputs`` reported since the last call, output by output (any
    thread: the events queues are the messages)."""
    found = []
    for output in outputs:
        while True:
            try:
                found.append(output.events.get_nowait())
            except queue.Empty:
                break
    return found
