"""Scene builds on a few daemon threads, the most wanted first.

``BuildQueue.submit(key, fn)`` returns a :class:`concurrent.futures.Future`; jobs run
on ``workers`` threads in priority order (``bump(key)`` moves a waiting job to the
front: a listener is waiting for that scene), then in submission order. A newer
job for the same key replaces one still waiting.

The threads are daemons and nothing ever joins them: a build that wedges (a
pathological file, a hung read) occupies one worker but can neither block the
other builds nor keep the process from exiting. (A ``ThreadPoolExecutor`` would:
the interpreter joins its threads at exit.)
"""

from __future__ import annotations

import heapq
import itertools
import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

log = logging.getLogger(__name__)

URGENT = 0
NORMAL = 1


class BuildQueue:
    def __init__(self, workers: int, name: str = "scene-build"):
        self._cond = threading.Condition()
        self._heap: list[tuple[int, int, str]] = []
        self._jobs: dict[str, tuple[Callable[[], Any], Future[Any]]] = {}
        self._order = itertools.count()
        self._closed = False
        self.running: dict[str, str] = {}  # thread name -> key being built
        for i in range(max(1, workers)):
            threading.Thread(target=self._work, name=f"{name}-{i}", daemon=True).start()

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
            self._cond.notify()
        return future

    def bump(self, key: str) -> None:
        """Build ``key`` next, if it is still waiting."""
        with self._cond:
            if key in self._jobs:
                heapq.heappush(self._heap, (URGENT, next(self._order), key))
                self._cond.notify()

    def close(self) -> None:
        """Cancel waiting jobs; running ones are abandoned (their threads are daemons)."""
        with self._cond:
            self._closed = True
            for _fn, future in self._jobs.values():
                future.cancel()
            self._jobs.clear()
            self._heap.clear()
            self._cond.notify_all()

    def _next(self) -> tuple[str, Callable[[], Any], Future[Any]] | None:
        with self._cond:
            while True:
                if self._closed:
                    return None
                while self._heap:
                    _prio, _order, key = heapq.heappop(self._heap)
                    job = self._jobs.pop(key, None)  # stale heap entries find nothing
                    if job is not None:
                        return key, job[0], job[1]
                self._cond.wait()

    def _work(self) -> None:
        me = threading.current_thread().name
        while True:
            job = self._next()
            if job is None:
                return
            key, fn, future = job
            if not future.set_running_or_notify_cancel():
                continue
            self.running[me] = key
            try:
                result = fn()
            except BaseException as exc:  # handed to whoever awaits the future
                future.set_exception(exc)
            else:
                future.set_result(result)
            finally:
                self.running.pop(me, None)
