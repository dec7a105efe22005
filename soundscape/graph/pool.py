"""SegmentPool: the audio a bed or event player draws from, endless where it can be.

A pool holds ``count`` prepared segments (float32 (2, frames), the layer's filters,
width and pan applied) that are always there: the bank's variants. A *renewable*
pool (a procedural layer) also has ``make(index)``, which synthesises a fresh,
checked and prepared segment for any ``index >= count``; the players ask for fresh
indices as they go, so the material is renewed for as long as the layer plays.
``make`` is a pure function of ``index`` (the seed comes from the layer and the
index), so which thread made a segment, and when, never changes a sample.

Fresh segments are made ahead of need on a shared pool of worker threads
(``prefetch``); ``get`` waits only when a segment was not asked for in time. When
``make`` returns None (every seed it tried failed the segment guard) the pool plays
one of its fixed segments instead, ``index % count``, so a bad seed never silences
a layer.

Ownership: one player owns a pool and calls it from its own (pulling) thread only;
the worker threads only run ``make`` and hand back the result through a future.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor

import numpy as np

Make = Callable[[int], "np.ndarray | None"]

_EXECUTOR: ThreadPoolExecutor | None = None
_EXECUTOR_LOCK = threading.Lock()


def executor() -> ThreadPoolExecutor:
    """The process-wide synthesis threads (numpy and scipy release the GIL in their
    heavy loops, so these run beside the mixer on another core)."""
    global _EXECUTOR
    with _EXECUTOR_LOCK:
        if _EXECUTOR is None:
            workers = max(1, min(4, (os.cpu_count() or 2)))
            _EXECUTOR = ThreadPoolExecutor(workers, thread_name_prefix="soundscape-synth")
        return _EXECUTOR


class SegmentPool:
    """``count`` fixed segments, plus fresh ones from ``make`` for indices >= count."""

    def __init__(self, segments: list[np.ndarray], make: Make | None = None,
                 fresh_frames: int | None = None):
        if not segments:
            raise ValueError("a pool needs at least one segment")
        self.segments = segments
        self.count = len(segments)
        self.make = make
        # frames in every fresh segment (a bed's players draw lengths before it is made)
        self.fresh_frames = fresh_frames or self.shortest()
        self._made: dict[int, Future[np.ndarray | None]] = {}
        self.fresh = 0  # fresh segments asked for (for tests and the bench)
        self.fallbacks = 0  # fresh segments that failed and were replaced by a fixed one

    @property
    def renewable(self) -> bool:
        return self.make is not None

    def shortest(self) -> int:
        """Frames in the shortest fixed segment (fresh ones have the same length)."""
        return min(s.shape[1] for s in self.segments)

    def prefetch(self, index: int) -> None:
        """Start making fresh segment ``index`` on a worker thread (no-op for a fixed one)."""
        if self.make is None or index < self.count or index in self._made:
            return
        self.fresh += 1
        self._made[index] = executor().submit(self.make, index)

    def frames(self, index: int) -> int:
        """Frames in segment ``index`` (known before a fresh one is made)."""
        if self.make is None or index < self.count:
            return int(self.segments[index % self.count].shape[1])
        return self.fresh_frames

    def future(self, index: int) -> Future[np.ndarray]:
        """Segment ``index`` as a future, for work queued behind it on the worker threads
        (a fresh segment that failed becomes its fixed replacement)."""
        if self.make is None or index < self.count:
            done: Future[np.ndarray] = Future()
            done.set_result(self.segments[index % self.count])
            return done
        self.prefetch(index)
        fallback = self.segments[index % self.count]
        made = self._made[index]
        out: Future[np.ndarray] = Future()

        def settle(f: Future[np.ndarray | None]) -> None:
            try:
                audio = f.result()
            except BaseException as exc:  # noqa: BLE001 - handed to whoever waits
                out.set_exception(exc)
                return
            out.set_result(fallback if audio is None else audio)

        made.add_done_callback(settle)
        return out

    def get(self, index: int) -> np.ndarray:
        """Segment ``index``: fixed for ``index < count`` (or any index of a pool that is
        not renewable: ``index % count``), else fresh (made now if not prefetched)."""
        if self.make is None or index < self.count:
            return self.segments[index % self.count]
        self.prefetch(index)
        audio = self._made[index].result()
        if audio is None:
            self.fallbacks += 1
            return self.segments[index % self.count]
        return audio

    def settle(self) -> None:
        """Wait until every fresh segment asked for is made (tests, benchmarks)."""
        for future in list(self._made.values()):
            future.result()

    def retain(self, indices: Iterable[int]) -> None:
        """Forget every fresh segment not in ``indices`` (the player no longer needs it)."""
        keep = set(indices)
        for index in [i for i in self._made if i not in keep]:
            self._made.pop(index).cancel()

    def __deepcopy__(self, memo: dict[int, object]) -> SegmentPool:
        """A copy of a player's pool (``copy_chain``): the same fixed segments and
        ``make``, nothing made yet. Fresh segments are a pure function of their index,
        so the copy plays the same samples; it only makes them again."""
        twin = SegmentPool(self.segments, self.make, self.fresh_frames)
        memo[id(self)] = twin
        return twin


def as_pool(material: SegmentPool | list[np.ndarray]) -> SegmentPool:
    """A list of segments becomes a fixed pool; a pool is returned as it is."""
    return material if isinstance(material, SegmentPool) else SegmentPool(list(material))
