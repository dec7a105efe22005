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
one :class:`Shared` store of jobs (fresh segments, and the players' resampled
plays), so each is made and held once however many copies play it; the store is
the one object several mixer threads touch, and its lock guards it. A player that
needs a job no worker has started runs it itself (:class:`Job`), so a busy queue
never makes a mixer wait.
"""

from __future__ import annotations

import copy
import itertools
import logging
import os
import threading
import time
import weakref
from collections.abc import Callable, Hashable, Iterable
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import Any

import numpy as np

Make = Callable[[int], "np.ndarray | None"]
SLOW_INLINE_S = 0.25  # a job run by its player that took this long is logged
log = logging.getLogger(__name__)

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


class Job:
    """Work that runs once, on a worker thread or on the thread that needs it first.

    A player that needs a result before a busy worker got to it runs the job itself
    (``result``) instead of waiting behind the queue; the worker then finds it done.
    Immutable once done, so copies of a player share it (``__deepcopy__``).
    """

    def __init__(self, fn: Callable[[], Any]):
        self._fn: Callable[[], Any] | None = fn
        self._lock = threading.Lock()
        self._done = False
        self._dropped = False
        self._value: Any = None
        self._error: BaseException | None = None

    def _run(self, worker: bool) -> Any:
        with self._lock:
            if not self._done and not (worker and self._dropped):
                fn, self._fn = self._fn, None
                assert fn is not None
                started = time.perf_counter()
                try:
                    self._value = fn()
                except BaseException as exc:  # noqa: BLE001 - handed to whoever asks
                    self._error = exc
                self._done = True
                took = time.perf_counter() - started
                if not worker and took > SLOW_INLINE_S:  # the workers were behind
                    log.warning("a synthesis job ran on the playing thread for %.2f s "
                                "(no worker had started it)", took)
        if self._error is not None:
            raise self._error
        return self._value

    def result(self) -> Any:
        """The job's value: made now on this thread if no worker has started it."""
        return self._run(worker=False)

    def drop(self) -> None:
        """Nobody is expected to need it: a worker that has not started it skips it."""
        self._dropped = True

    def __deepcopy__(self, memo: dict[int, object]) -> Job:
        return self


def copy_sharing(obj: Any, memo: dict[int, Any], audio: Iterable[np.ndarray]) -> Any:
    """A deep copy of ``obj`` (for its ``__deepcopy__``) that shares ``audio``, arrays
    nobody writes to once made (a player's fades, its resampled plays, its placed
    events), with the original instead of copying them: a channel and its personal
    mixes and backups are a dozen copies of one graph, each of which held 13-23 MB
    of such copies (rainy-night, thunderstorm)."""
    for array in audio:
        memo[id(array)] = array
    twin = object.__new__(type(obj))
    memo[id(obj)] = twin
    twin.__dict__.update(copy.deepcopy(obj.__dict__, memo))
    return twin


class Shared:
    """Jobs (fresh segments, resampled plays) shared by a pool, its players and their
    copies, keyed by what they make, each with the set of holders that want it.

    A job is started on the worker threads when first wanted and dropped when no
    holder wants it. The one object several mixer threads touch (copies of a chain
    may be pulled by different mixers): its lock guards it.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: dict[Hashable, tuple[Job, set[int]]] = {}
        self._gone: list[int] = []  # holders collected since (appended without the lock)

    def want(self, key: Hashable, holder: int, fn: Callable[[], Any]) -> Job:
        """The job for ``key`` for ``holder``: started on a worker if nobody had it."""
        with self._lock:
            self._sweep()
            entry = self._entries.get(key)
            if entry is None:
                job = Job(fn)
                executor().submit(job._run, True)
                entry = (job, set())
                self._entries[key] = entry
            entry[1].add(holder)
            return entry[0]

    def keep(self, holder: int, keys: set[Hashable]) -> None:
        """``holder`` wants only ``keys`` now; jobs nobody wants are dropped."""
        with self._lock:
            self._sweep()
            self._discard(holder, keys)

    def put(self, key: Hashable, holder: int, value: Any) -> None:
        """A job already done (audio the pool was built with), wanted by ``holder``."""
        job = Job(lambda: value)
        job._run(True)
        with self._lock:
            self._sweep()
            entry = self._entries.setdefault(key, (job, set()))
            entry[1].add(holder)

    def adopt(self, holder: int, like: int) -> None:
        """``holder`` (a new copy) wants whatever ``like`` (its original) wants now."""
        with self._lock:
            self._sweep()
            for _, holders in self._entries.values():
                if like in holders:
                    holders.add(holder)

    def release(self, holder: int) -> None:
        """``holder`` is gone (a ``__del__``): forgotten at the next call. Takes no
        lock, so it is safe from a garbage collection that runs inside one."""
        self._gone.append(holder)

    def _sweep(self) -> None:  # with the lock held
        while self._gone:
            self._discard(self._gone.pop(), set())

    def _discard(self, holder: int, keys: set[Hashable]) -> None:  # with the lock held
        for key in list(self._entries):
            job, holders = self._entries[key]
            if key not in keys:
                holders.discard(holder)
            if not holders:
                del self._entries[key]
                job.drop()

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)


_STORES: weakref.WeakValueDictionary[Hashable, Shared] = weakref.WeakValueDictionary()
_STORES_LOCK = threading.Lock()


def store_for(material: Hashable) -> Shared:
    """The one shared store of the pools that play ``material`` (a key that names
    everything their segments are made from), for as long as any pool holds it.

    A hot reload builds a new version of a scene while the old one plays, and it
    goes on at the playhead: each layer the edit left alone asks for the very
    fresh segments (and plays) the old version holds. Through one store they are made
    and held once, for both versions and all their copies."""
    with _STORES_LOCK:
        store = _STORES.get(material)
        if store is None:
            store = Shared()
            _STORES[material] = store
        return store


class Holder:
    """A token a pool or player wants jobs under; a copy (``copy_chain``) gets its own."""

    def __init__(self) -> None:
        self.value = next(_HOLDERS)

    def __deepcopy__(self, memo: dict[int, object]) -> Holder:
        return Holder()


class SegmentPool:
    """``count`` fixed segments, plus fresh ones from ``make`` for indices >= count.

    A renewable pool given ``remake`` (a procedural bed: ``remake(i)`` makes fixed
    segment ``i`` again, the very samples it was built with) keeps its fixed segments
    in the shared store too, so they are let go once no copy's player wants them (a
    bed retires them after BANK_USES plays) and made again only if a copy ever needs
    one later (a resting backup promoted, a failed fresh segment's stand-in). A live
    channel then holds its fresh window, not the bank's segments as well.
    """

    def __init__(self, segments: list[np.ndarray], make: Make | None = None,
                 fresh_frames: int | None = None, shared: Shared | None = None,
                 remake: Make | None = None):
        if not segments:
            raise ValueError("a pool needs at least one segment")
        self.count = len(segments)
        self.make = make
        self.remake = remake if make is not None else None
        self._frames = [int(s.shape[1]) for s in segments]
        # frames in every fresh segment (a bed's players draw lengths before it is made)
        self.fresh_frames = fresh_frames or min(self._frames)
        self.shared = shared if shared is not None else Shared()
        self._made: dict[int, Job] = {}  # the fresh segments this pool wants
        self._holder = Holder()
        # the fixed segments themselves, unless the shared store keeps them (remake)
        self.segments: list[np.ndarray] | None = None
        if self.remake is None:
            self.segments = segments
        else:
            for i, seg in enumerate(segments):
                self.shared.put(("fixed", i), self._holder.value, seg)
        self.fresh = 0  # fresh segments asked for (for tests and the bench)
        self.fallbacks = 0  # fresh segments that failed and were replaced by a fixed one

    @property
    def renewable(self) -> bool:
        return self.make is not None

    def shortest(self) -> int:
        """Frames in the shortest fixed segment (fresh ones have the same length)."""
        return min(self._frames)

    def _fixed(self, index: int) -> Callable[[], np.ndarray]:
        """Fixed segment ``index % count`` as a function any thread may call (wanted
        from the shared store, made again on a worker if every copy had let it go)."""
        i = index % self.count
        if self.segments is not None:
            seg = self.segments[i]
            return lambda: seg
        assert self.remake is not None
        job = self.shared.want(("fixed", i), self._holder.value, partial(self.remake, i))
        return job.result

    def prefetch(self, index: int) -> None:
        """Start making fresh segment ``index`` on a worker thread (no-op for a fixed one)."""
        if self.make is None or index < self.count or index in self._made:
            return
        self.fresh += 1
        self._made[index] = self.shared.want(("segment", index), self._holder.value,
                                             partial(self.make, index))

    def frames(self, index: int) -> int:
        """Frames in segment ``index`` (known before a fresh one is made)."""
        if self.make is None or index < self.count:
            return self._frames[index % self.count]
        return self.fresh_frames

    def source(self, index: int) -> Callable[[], np.ndarray]:
        """Segment ``index`` as a function any thread may call, for work queued behind
        it on the worker threads (a fresh segment that failed becomes its fixed
        replacement)."""
        if self.make is None or index < self.count:
            return self._fixed(index)
        self.prefetch(index)
        job = self._made[index]

        def segment() -> np.ndarray:
            audio = job.result()
            return self._fixed(index)() if audio is None else audio

        return segment

    def get(self, index: int) -> np.ndarray:
        """Segment ``index``: fixed for ``index < count`` (or any index of a pool that is
        not renewable: ``index % count``), else fresh (made now, on this thread, if no
        worker has started it)."""
        if self.make is None or index < self.count:
            return self._fixed(index)()
        self.prefetch(index)
        audio = self._made[index].result()
        if audio is None:
            self.fallbacks += 1
            return self._fixed(index)()
        return audio

    def settle(self) -> None:
        """Wait until every fresh segment asked for is made (tests, benchmarks)."""
        for job in list(self._made.values()):
            job.result()

    def retain(self, indices: Iterable[int]) -> None:
        """Forget every fresh segment not in ``indices`` (the player no longer needs it),
        and every fixed one too when the shared store keeps them (``remake``)."""
        keep = set(indices)
        for index in [i for i in self._made if i not in keep]:
            del self._made[index]
        keys: set[Hashable] = {("segment", i) for i in keep if i >= self.count}
        if self.remake is not None:
            keys |= {("fixed", i) for i in keep if i < self.count}
        self.shared.keep(self._holder.value, keys)

    def __del__(self) -> None:
        shared = getattr(self, "shared", None)
        if shared is not None:
            shared.release(self._holder.value)

    def __deepcopy__(self, memo: dict[int, object]) -> SegmentPool:
        """A copy of a player's pool (``copy_chain``): the same fixed segments, ``make``
        and shared jobs. Fresh segments are a pure function of their index, so the
        copy plays the same samples, and what one copy made the other reuses."""
        twin = copy.copy(self)
        twin._made = dict(self._made)
        twin._holder = Holder()
        self.shared.adopt(twin._holder.value, self._holder.value)
        memo[id(self)] = twin
        return twin


def as_pool(material: SegmentPool | list[np.ndarray]) -> SegmentPool:
    """A list of segments becomes a fixed pool; a pool is returned as it is."""
    return material if isinstance(material, SegmentPool) else SegmentPool(list(material))
