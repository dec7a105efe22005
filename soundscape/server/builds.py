"""Scene builds on a few daemon threads, the most wanted first.

``BuildQueue.submit(key, fn)`` returns a :class:`concurrent.futures.Future`; jobs run
on ``workers`` threads in priority order (``bump(key)`` makes a waiting job urgent:
a listener is waiting for that scene), then in submission order. A newer job for
the same key replaces one still waiting.

With several workers, the first is kept for urgent jobs and the others run the
rest at a lower OS priority (nice +5, where the OS allows it), and no other job
starts while an urgent one runs: on a small machine the scene a listener waits for
is built with as little competition as possible (builds are CPU-bound).

A job takes values and returns its result through its future; the queue's own
state is touched only under its condition (the one lock here).

The threads are daemons and nothing ever joins them: a build that wedges (a
pathological file, a hung read) occupies one worker but can neither block the
other builds nor keep the process from exiting. (A ``ThreadPoolExecutor`` would:
the interpreter joins its threads at exit.)
"""

from __future__ import annotations

import contextlib
import heapq
import itertools
import logging
import os
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

log = logging.getLogger(__name__)

URGENT = 0
NORMAL = 1
BACKGROUND_NICE = 5


class BuildQueue:
    def __init__(self, workers: int, name: str = "scene-build"):
        self._cond = threading.Condition()
        self._heap: list[tuple[int, int, str]] = []
        self._jobs: dict[str, tuple[Callable[[], Any], Future[Any]]] = {}
        self._order = itertools.count()
        self._closed = False
        self._urgent_running = 0
        workers = max(1, workers)
        self.split = workers > 1  # an urgent worker, and background ones
        for i in range(workers):
            reserved = workers > 1 and i == 0  # this one only builds urgent jobs
            threading.Thread(target=self._work, args=(reserved,), name=f"{name}-{i}",
                             daemon=True).start()

    def submit(self, key: str, fn: Callable[[], Any], urgent: bool = False) -> Future[Any]:
        """Queue ``fn()`` under ``key``; a job still waiting under ``key`` is cancelled."""
        future: Future[Any] = Future()
        with self._cond:
            if self._closed:
                future.cancel()
                return future
            old = self._jobs.pop(key, None)
            if old is not None:
                old[1].cancel()
            self._jobs[key] = (fn, future)
            heapq.heappush(self._heap, (URGENT if urgent else NORMAL, next(self._order), key))
            self._cond.notify_all()  # the reserved worker may decline it
        return future

    def bump(self, key: str) -> None:
        """Build ``key`` next, if it is still waiting."""
        with self._cond:
            if key in self._jobs:
                heapq.heappush(self._heap, (URGENT, next(self._order), key))
                self._cond.notify_all()  # the reserved worker may decline it

    def close(self) -> None:
        """Cancel waiting jobs; running ones are abandoned (their threads are daemons)."""
        with self._cond:
            self._closed = True
            for _fn, future in self._jobs.values():
                future.cancel()
            self._jobs.clear()
            self._heap.clear()
            self._cond.notify_all()

    def _next(self, reserved: bool) -> tuple[str, Callable[[], Any], Future[Any], bool] | None:
        with self._cond:
            while True:
                if self._closed:
                    return None
                while self._heap and self._heap[0][2] not in self._jobs:
                    heapq.heappop(self._heap)  # stale: replaced, bumped or taken
                if self._heap:
                    urgent = self._heap[0][0] == URGENT
                    if (urgent and (reserved or not self.split)) or (
                            not urgent and not reserved and not self._urgent_running):
                        _prio, _order, key = heapq.heappop(self._heap)
                        fn, future = self._jobs.pop(key)
                        self._urgent_running += urgent
                        return key, fn, future, urgent
                self._cond.wait()

    def _work(self, reserved: bool) -> None:
        if self.split and not reserved:
            with contextlib.suppress(AttributeError, OSError):  # Linux: per-thread nice
                os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), BACKGROUND_NICE)
        while True:
            job = self._next(reserved)
            if job is None:
                return
            self._run(*job)
            # an idle worker holds nothing of its last job: a build's result (a scene's
            # graph, 40-100 MB of audio) or a hot reload's template lived on in this
            # frame until the next job came, after the channel had let it go
            del job

    def _run(self, key: str, fn: Callable[[], Any], future: Future[Any], urgent: bool) -> None:
        try:
            if not future.set_running_or_notify_cancel():
                return
            try:
                result = fn()
            except BaseException as exc:  # handed to whoever awaits the future
                future.set_exception(exc)
            else:
                future.set_result(result)
        finally:
            if urgent:
                with self._cond:
                    self._urgent_running -= 1
                    self._cond.notify_all()
