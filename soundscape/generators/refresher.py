"""A background worker that keeps adding fresh variants to a scene's bank.

``BankRefresher(scene, bank, generator, interval_s).start()`` starts a daemon
thread; every ``interval_s`` it makes ``per_round`` new variants for each layer with a
prompt (new variant indices, so new seeds) and, when ``max_variants`` is set, drops
the oldest generated segments from the layer's bank group beyond that count (the
files stay cached; only the group index forgets them). ``stop()`` asks it to end
and waits for the current model call.

The mixer never waits for it: writes are atomic, so a reader of the group sees the
old set or the new one. Errors are logged and retried after ``backoff_s``; the thread
never takes the stream down.

Model pipelines are not thread-safe, so a refresher never calls the generator
itself: one :class:`GenerationWorker` thread owns a :class:`BankGenerator` (and with
it every pipeline it loads), and refreshers send it requests. Several scenes'
refreshers share one worker (the server makes one); a refresher given a bare
``BankGenerator`` makes its own.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

from ..bank import SegmentBank
from ..errors import SoundscapeError
from ..scene import Layer, Scene
from ..threads import Stopped  # the refresher was stopped while it waited for the worker
from .engine import BankGenerator, Report, VariantJob, plan
from .models import ModelRef, resolve_model
from .settings import resolve_settings

log = logging.getLogger(__name__)


class GenerationWorker:
    """The one thread that runs ``generator`` (and so owns its model pipelines).

    ``submit(jobs)`` queues a request and returns a Future of its :class:`Report`;
    requests run one at a time, in order. Thread-safe.
    """

    def __init__(self, generator: BankGenerator, name: str = "generation") -> None:
        self.generator = generator
        self.name = name
        self._requests: queue.SimpleQueue[tuple[list[VariantJob], Future[Report]] | None] = (
            queue.SimpleQueue())
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self.busy = 0  # requests running now (never more than one)
        self.most_busy = 0

    def submit(self, jobs: list[VariantJob]) -> Future[Report]:
        future: Future[Report] = Future()
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._loop, name=self.name, daemon=True)
                self._thread.start()
        self._requests.put((list(jobs), future))
        return future

    def run(self, jobs: list[VariantJob], stop: threading.Event | None = None) -> Report:
        """Submit ``jobs`` and wait for the report (raises what the generator raised;
        :class:`Stopped` if ``stop`` is set first: the request is then cancelled, or
        finishes unobserved if it had begun)."""
        future = self.submit(jobs)
        while True:
            if stop is not None and stop.is_set():
                future.cancel()
                raise Stopped
            try:
                return future.result(timeout=0.1)
            except TimeoutError:
                continue

    def stop(self, timeout: float | None = None) -> None:
        self._requests.put(None)
        if self._thread is not None:
            self._thread.join(timeout)

    def _loop(self) -> None:
        while True:
            item = self._requests.get()
            if item is None:
                return
            jobs, future = item
            if not future.set_running_or_notify_cancel():
                continue
            self.busy += 1
            self.most_busy = max(self.most_busy, self.busy)
            try:
                future.set_result(self.generator.run(jobs))
            except BaseException as exc:  # handed to the refresher that asked
                future.set_exception(exc)
            finally:
                self.busy -= 1


class BankRefresher:
    """Refills and refreshes a scene's generated segments from a background thread."""

    def __init__(
        self,
        scene: Scene,
        bank: SegmentBank,
        generator: BankGenerator | GenerationWorker,
        interval_s: float = 60.0,
        per_round: int = 1,
        max_variants: int | None = None,
        overrides: dict[str, Any] | None = None,
        backoff_s: float = 300.0,
        resolve: Callable[[str], ModelRef] = resolve_model,
    ) -> None:
        self.scene = scene
        self.bank = bank
        self._own_worker = not isinstance(generator, GenerationWorker)
        self.worker = (generator if isinstance(generator, GenerationWorker)
                       else GenerationWorker(generator, f"generation-{scene.name}"))
        self.interval_s = float(interval_s)
        self.per_round = int(per_round)
        self.max_variants = max_variants
        self.overrides = dict(overrides or {})
        self.backoff_s = float(backoff_s)
        self.resolve = resolve
        self.rounds = 0
        self.written = 0
        self.last_error: str | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._cursor: dict[str, int] = {}

    def layers(self) -> list[Layer]:
        return [
            layer for layer in self.scene.layers if layer.prompt is not None and not layer.files
        ]

    def start(self) -> BankRefresher:
        """Start the thread (once); returns self."""
        if self._thread is None or not self._thread.is_alive():
            self._stop.clear()
            self._thread = threading.Thread(target=self._loop, name="bank-refresher", daemon=True)
            self._thread.start()
        return self

    def stop(self, timeout: float | None = None) -> None:
        """Ask the thread to end after its current call; wait up to ``timeout`` seconds."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
        if self._own_worker:
            self.worker.stop(timeout)

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def _loop(self) -> None:
        while not self._stop.is_set():
            wait = self.interval_s
            try:
                self.refresh_once()
                self.last_error = None
            except Stopped:
                return
            except SoundscapeError as exc:
                self.last_error = str(exc)
                log.warning("bank refresher: %s (retrying in %gs)", exc, self.backoff_s)
                wait = max(wait, self.backoff_s)
            except Exception as exc:  # the stream must outlive any generator bug
                self.last_error = f"{type(exc).__name__}: {exc}"
                log.exception("bank refresher failed (retrying in %gs)", self.backoff_s)
                wait = max(wait, self.backoff_s)
            self._stop.wait(wait)

    def refresh_once(self) -> int:
        """One round: new variants for every prompt layer, then pruning. Returns segments made."""
        made = 0
        for layer in self.layers():
            if self._stop.is_set():
                break
            settings = resolve_settings(self.scene, layer, self.overrides)
            ref = self.resolve(settings.model)
            new: list[int] = []
            v = self._cursor.get(layer.name, layer.variants)
            while len(new) < self.per_round:
                job = plan(self.scene, layer, settings, ref, [v])[0]
                if not self.bank.contains(job.key):
                    new.append(v)
                v += 1
            self._cursor[layer.name] = v
            report = self.worker.run(plan(self.scene, layer, settings, ref, new), self._stop)
            made += report.written
            if self.max_variants is not None:
                self._prune(layer)
        self.rounds += 1
        self.written += made
        return made

    def _prune(self, layer: Layer) -> None:
        from ..sources import prompt_group

        group = prompt_group(layer)
        found = [s.meta for s in self.bank.group(group) if s.meta.get("key")]
        assert self.max_variants is not None
        excess = len(found) - self.max_variants
        if excess <= 0:
            return
        found.sort(key=lambda m: float(m.get("created", 0.0)))
        for meta in found[:excess]:
            self.bank.ungroup(group, str(meta["key"]))
