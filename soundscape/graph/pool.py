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
Copies of a pool (a channel's chain forked for a personal mix, ``copy_chain``) share
one :class:`Made` store, so a fresh segment is synthesised and held once however
many copies play it; the store is the one object several mixer threads touch, and
its lock guards it.
"""

from __future__ import annotations

import itertools
import os
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor

import numpy as np

Make = Callable[[int], "np.ndarray | None"]

_EXECUTOR: ThreadPoolExecutor | None = None
_EXECUTOR_LOCK = threading.Lock()
_HOLDERS = itertools.count()  # a token per pool (never reused, unlike id())


def executor() -> ThreadPoolExecutor:
    """The process-wide synthesis threads (numpy and scipy release the GIL in their
    heavy loops, so these run beside the mixer on another core)."""
    global _EXECUTOR
    with _EXECUTOR_LOCK:
        if _EXECUTOR is None:
            workers = max(1, min(4, (os.cpu_count() or 2)))
            _EXECUTOR = ThreadPoolExecutor(workers, thread_name_prefix="soundscape-synth")
        return _EXECUTOR


class Made:
    """Fresh segments being made or made, shared by a pool and its copies.

    Each entry is a future and the set of pools that still want it; an entry no
    pool wants is dropped (and cancelled if not yet started). Thread-safe: copies
    of one pool may be pulled by different mixer threads.
    """

    def __init__(self, make: Make):
        self.make = make
        self._lock = threading.Lock()
        self._entries: dict[int, tuple[Future[np.ndarray | None], set[int]]] = {}
        self._gone: list[int] = []  # pools collected since (appended without the lock)

    def release(self, holder: int) -> None:
        """``holder`` is gone (its ``__del__``): forgotten at the next call. Takes no
        lock, so it is safe from a garbage collection that runs inside one."""
        self._gone.append(holder)

    def _sweep(self) -> None:  # with the lock held
        while self._gone:
            holder = self._gone.pop()
            for index in list(self._entries):
                future, holders = self._entries[index]
                holders.discard(holder)
                if not holders:
                    del self._entries[index]
                    future.cancel()

    def want(self, index: int, holder: int) -> tuple[Future[np.ndarray | None], bool]:
        """The future of segment ``index`` for pool ``holder`` (started if nobody had
        asked yet) and whether this call started it."""
        with self._lock:
            self._sweep()
            entry = self._entries.get(index)
            if entry is None:
                entry = (executor().submit(self.make, index), set())
                self._entries[index] = entry
                started = True
            else:
                started = False
            entry[1].add(holder)
            return entry[0], started

    def wanted(self, holder: int) -> list[Future[np.ndarray | None]]:
        with self._lock:
            return [f for f, holders in self._entries.values() if holder in holders]

    def keep(self, holder: int, indices: set[int]) -> None:
        """``holder`` wants only ``indices`` now; entries nobody wants are dropped."""
        with self._lock:
            self._sweep()
            for index in list(self._entries):
                future, holders = self._entries[index]
                if index not in indices:
                    holders.discard(holder)
                if not holders:
                    del self._entries[index]
                    future.cancel()

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)


class SegmentPool:
    """``count`` fixed segments, plus fresh ones from ``make`` for indices >= count."""

    def __init__(self, segments: list[np.ndarray], make: Make | None = None,
                 fresh_frames: int | None = None, made: Made | None = None):
        if not segments:
            raise ValueError("a pool needs at least one segment")
        self.segments = segments
        self.count = len(segments)
        self.make = make
        # frames in every fresh segment (a bed's players draw lengths before it is made)
        self.fresh_frames = fresh_frames or self.shortest()
        self._store = made if made is not None else (Made(make) if make else None)
        self._made: dict[int, Future[np.ndarray | None]] = {}  # what this pool wants
        self._holder = next(_HOLDERS)
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
        if self._store is None or index < self.count or index in self._made:
            return
        self.fresh += 1
        self._made[index], _ = self._store.want(index, self._holder)

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
            del self._made[index]
        if self._store is not None:
            self._store.keep(self._holder, keep)

    def __del__(self) -> None:
        store = getattr(self, "_store", None)
        if store is not None:
            store.release(self._holder)

    def __deepcopy__(self, memo: dict[int, object]) -> SegmentPool:
        """A copy of a player's pool (``copy_chain``): the same fixed segments, ``make``
        and store of fresh segments. Fresh segments are a pure function of their index,
        so the copy plays the same samples, and what one copy made the other reuses."""
        twin = SegmentPool(self.segments, self.make, self.fresh_frames, self._store)
        memo[id(self)] = twin
        return twin


def as_pool(material: SegmentPool | list[np.ndarray]) -> SegmentPool:
    """A list of segments becomes a fixed pool; a pool is returned as it is."""
    return material if isinstance(material, SegmentPool) else SegmentPool(list(material))
