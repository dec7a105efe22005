"""Planning and running generation into the segment bank. No torch here.

Vocabulary: a *take* is one item of a model call (one seed, one waveform); a take
holds ``pieces`` segments (1 for AudioLDM2; several for Stable Audio beds, whose
every call computes ~47.5 s whatever is asked); a *variant* is one finished segment
in the bank, chosen among ``candidates`` pieces after the quality gates and CLAP.

``plan(...)`` lists :class:`VariantJob` s with their bank keys (no model needed);
``BankGenerator.run(jobs)`` skips what the bank holds, batches every missing take of
every layer that shares a model and call settings into calls of up to
``backend.max_batch`` items, and writes each variant as soon as its candidates exist.
A failing call raises GeneratorError; variants written before it stay whole (bank
writes are atomic), nothing half-made is written.
"""

from __future__ import annotations

import logging
import math
import os
import sys
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from ..bank import SegmentBank
from ..scene import Bed, Layer, Scene
from ..segment import Segment, digest
from ..sources import prompt_group
from . import post, quality
from .models import ModelRef
from .settings import GENERATOR_VERSION, GenSettings, take_seed, variant_key

POST_WORKERS = max(1, min(8, (os.cpu_count() or 2) - 1))  # CPU threads for post-processing

log = logging.getLogger(__name__)

#: Extra audio generated around each bed segment and trimmed off (onset/offset).
MARGIN_SECONDS = 0.12


class Backend(Protocol):
    """What the engine needs from a model (see ``diffusion.DiffusersBackend``)."""

    ref: ModelRef
    max_batch: int

    def generate(self, prompts: list[str], negatives: list[str], seeds: list[int], *,
                 steps: int, guidance: float, seconds: float,
                 scheduler: str = "default") -> list[np.ndarray]: ...

    def clap_scores(self, texts: list[str], audios: list[np.ndarray]) -> list[float] | None: ...


@dataclass(frozen=True)
class Layout:
    """How takes are cut: ``call_seconds`` per take, ``pieces`` windows of ``window_seconds``."""

    call_seconds: float
    pieces: int
    window_seconds: float


def layout(settings: GenSettings, ref: ModelRef) -> Layout:
    """Take length and cutting for one layer's settings on one model."""
    bed = settings.kind == "bed"
    window = settings.seconds + (2 * MARGIN_SECONDS if bed else 0.0)
    if ref.max_seconds is None:
        return Layout(window, 1, window)
    if bed and ref.max_seconds >= window:
        return Layout(ref.max_seconds, int(ref.max_seconds // window), window)
    seconds = min(window, ref.max_seconds)
    return Layout(seconds, 1, seconds)


@dataclass
class VariantJob:
    """One variant to make: its candidates' (take, piece) slots and seeds, and its key."""

    scene: Scene
    layer: Layer
    settings: GenSettings
    ref: ModelRef
    layout: Layout
    variant: int
    slots: list[tuple[int, int]]
    seeds: list[int]
    key: dict[str, Any]

    @property
    def group(self) -> str:
        return prompt_group(self.layer)


def plan(scene: Scene, layer: Layer, settings: GenSettings, ref: ModelRef,
         variants: Iterable[int]) -> list[VariantJob]:
    """Jobs for ``variants`` of ``layer``: candidates fill consecutive take slots."""
    lay = layout(settings, ref)
    cands = settings.candidates
    jobs = []
    for v in variants:
        slots = [divmod(v * cands + c, lay.pieces) for c in range(cands)]
        seeds = [take_seed(scene.master.seed, layer, t) for t, _ in slots]
        key = variant_key(settings, ref.model_id, ref.family, seeds, slots, v,
                          scene.master.sample_rate)
        jobs.append(VariantJob(scene, layer, settings, ref, lay, v, slots, seeds, key))
    return jobs


# (`duplicates` pairs this field list with probe.FileReport by shape only: counters)
@dataclass
class Report:
    """What a run did. ``audio_seconds`` counts finished segments; ``model_seconds`` calls."""

    written: int = 0
    in_bank: int = 0
    takes: int = 0
    calls: int = 0
    audio_seconds: float = 0.0
    model_seconds: float = 0.0
    wall_seconds: float = 0.0
    failed_gates: int = 0
    keys: list[str] = field(default_factory=list)


def _cut(take: np.ndarray, rate: int, lay: Layout, piece: int) -> np.ndarray:
    if lay.pieces == 1:
        return take
    win = round(lay.window_seconds * rate)
    spare = max(0, take.shape[1] - lay.pieces * win)
    start = spare // 2 + piece * win
    return take[:, start : start + win]


def _rank(qualities: list[quality.Quality], clap: list[float] | None) -> list[int]:
    """Candidate indices, best first: passing gates, then CLAP, then smaller penalty."""
    def score(i: int) -> tuple[float, float, float]:
        c = clap[i] if clap is not None else 0.0
        return (0.0 if qualities[i].passed else 1.0, -c, qualities[i].penalty)

    return sorted(range(len(qualities)), key=score)


class BankGenerator:
    """Runs jobs against backends made on demand by ``backend_for(ref)`` (one per model)."""

    def __init__(
        self,
        bank: SegmentBank,
        backend_for: Callable[[ModelRef], Backend],
        progress: bool = True,
        force: bool = False,
    ) -> None:
        self.bank = bank
        self.backend_for = backend_for
        self.progress = progress
        self.force = force
        self._backends: dict[str, Backend] = {}
        self._lock = threading.Lock()

    def backend(self, ref: ModelRef) -> Backend:
        if ref.model_id not in self._backends:
            self._backends[ref.model_id] = self.backend_for(ref)
        return self._backends[ref.model_id]

    def missing(self, jobs: list[VariantJob]) -> list[VariantJob]:
        """The jobs whose key the bank does not hold (all of them with ``force``)."""
        return list(jobs) if self.force else [j for j in jobs if not self.bank.contains(j.key)]

    def run(self, jobs: list[VariantJob]) -> Report:
        """Make every missing variant; see the module docstring."""
        from tqdm import tqdm

        started = time.perf_counter()
        report = Report()
        todo = self.missing(jobs)
        report.in_bank = len(jobs) - len(todo)
        if not todo:
            report.wall_seconds = time.perf_counter() - started
            return report
        bar = tqdm(total=len(todo), unit="segment", desc="generating", file=sys.stderr,
                   disable=not self.progress, leave=False)
        # post-processing and bank writes run on CPU threads (numpy, scipy and soxr
        # release the GIL) while the next model call keeps the GPU busy
        pool = ThreadPoolExecutor(max_workers=POST_WORKERS, thread_name_prefix="post")
        self._pool = pool
        self._futures: list[Future[None]] = []
        try:
            by_model: dict[str, list[VariantJob]] = {}
            for job in todo:
                by_model.setdefault(job.ref.model_id, []).append(job)
            for model_jobs in by_model.values():
                self._run_model(model_jobs, report, bar)
            for future in self._futures:
                future.result()  # re-raise the first post-processing error, if any
        finally:
            pool.shutdown(wait=True)  # what was generated before a failure is still kept
            self._pool = None
            bar.close()
        report.wall_seconds = time.perf_counter() - started
        return report

    _pool: ThreadPoolExecutor | None = None

    def _run_model(self, jobs: list[VariantJob], report: Report, bar: Any) -> None:
        backend = self.backend(jobs[0].ref)
        # every take each job needs, grouped by what must be equal within one call
        TakeId = tuple[str, int]
        needs: dict[TakeId, tuple[VariantJob, int]] = {}
        for job in jobs:
            for (take, _piece), seed in zip(job.slots, job.seeds):
                needs.setdefault((job.layer.name, take), (job, seed))
        calls: dict[tuple[Any, ...], list[TakeId]] = {}
        for tid, (job, _seed) in needs.items():
            s = job.settings
            sig = (s.steps, s.guidance, round(job.layout.call_seconds, 4), s.scheduler)
            calls.setdefault(sig, []).append(tid)
        takes: dict[TakeId, np.ndarray] = {}
        take_cost: dict[TakeId, float] = {}
        pending = list(jobs)
        for sig, tids in calls.items():
            steps, guidance, seconds, scheduler = sig
            for i in range(0, len(tids), backend.max_batch):
                chunk = tids[i : i + backend.max_batch]
                items = [needs[t] for t in chunk]
                t0 = time.perf_counter()
                audios = backend.generate(
                    [j.settings.prompt for j, _ in items],
                    [j.settings.negative_prompt for j, _ in items],
                    [seed for _, seed in items],
                    steps=steps, guidance=guidance, seconds=seconds, scheduler=scheduler,
                )
                cost = time.perf_counter() - t0
                report.calls += 1
                report.takes += len(chunk)
                report.model_seconds += cost
                for tid, audio in zip(chunk, audios):
                    takes[tid] = audio
                    take_cost[tid] = cost / len(chunk)
                still = []
                for job in pending:
                    if all((job.layer.name, t) in takes for t, _ in job.slots):
                        self._finish(job, backend, takes, take_cost, len(chunk), report, bar)
                    else:
                        still.append(job)
                pending = still
                used = {(j.layer.name, t) for j in pending for t, _ in j.slots}
                for tid in [t for t in takes if t not in used]:
                    del takes[tid]  # keep memory to what unfinished variants still need

    def _finish(self, job: VariantJob, backend: Backend, takes: dict[Any, np.ndarray],
                take_cost: dict[Any, float], batch: int, report: Report, bar: Any) -> None:
        """Rank the job's candidates here (CLAP runs on the model's device), then hand
        post-processing and the bank write to the CPU pool."""
        t0 = time.perf_counter()
        rate = job.ref.sample_rate
        bed = isinstance(job.layer, Bed)
        pieces = [_cut(takes[(job.layer.name, t)], rate, job.layout, p) for t, p in job.slots]
        qualities = [quality.assess(p, rate, bed) for p in pieces]
        clap = backend.clap_scores([job.settings.prompt] * len(pieces), pieces)
        order = _rank(qualities, clap)
        generate_s = sum(take_cost[(job.layer.name, t)] / max(1, job.layout.pieces)
                         for t, _ in job.slots)
        args = (job, rate, bed, pieces, qualities, clap, order, generate_s, batch, t0,
                report, bar)
        if self._pool is None:
            self._write(*args)
        else:
            self._futures.append(self._pool.submit(self._write, *args))

    def _write(self, job: VariantJob, rate: int, bed: bool, pieces: list[np.ndarray],
               qualities: list[quality.Quality], clap: list[float] | None, order: list[int],
               generate_s: float, batch: int, t0: float, report: Report, bar: Any) -> None:
        best = order[0]
        chosen = qualities[best]
        seed = job.seeds[best]
        rng = np.random.default_rng(seed)
        audio, done = post.finish(
            pieces[best], rate, job.scene.master.sample_rate, bed, job.settings.seconds, rng,
            high_band=job.settings.high_band and job.ref.family == "audioldm2" and bed,
        )
        if not chosen.passed:
            with self._lock:
                report.failed_gates += 1
            log.warning(
                "layer %r variant %d: no candidate of %d passed the quality gates; kept the "
                "closest (failed: %s)", job.layer.name, job.variant, len(pieces),
                ", ".join(chosen.failed),
            )
        key_digest = digest(job.key)
        s = job.settings
        meta: dict[str, Any] = {
            "source": "generated",
            "generator_version": GENERATOR_VERSION,
            "key": key_digest,
            "created": time.time(),
            "layer": job.layer.name,
            "kind": s.kind,
            "variant": job.variant,
            "model": job.ref.model_id,
            "model_name": job.ref.name,
            "family": job.ref.family,
            "model_sample_rate": rate,
            "prompt": s.prompt,
            "layer_prompt": job.layer.prompt,
            "negative_prompt": s.negative_prompt,
            "steps": s.steps,
            "guidance": s.guidance,
            "scheduler": s.scheduler,
            "seconds": s.seconds,
            "high_band": s.high_band,
            "seed": seed,
            "take": job.slots[best][0],
            "piece": job.slots[best][1],
            "candidates": len(pieces),
            "scores": {
                "clap": None if clap is None else round(clap[best], 5),
                "ranked_by": "clap" if clap is not None else "quality",
                "quality": chosen.as_dict(),
                "candidates": [
                    {
                        "seed": job.seeds[i],
                        "take": job.slots[i][0],
                        "piece": job.slots[i][1],
                        "clap": None if clap is None else round(clap[i], 5),
                        "passed": qualities[i].passed,
                        "failed": qualities[i].failed,
                        "rank": order.index(i),
                    }
                    for i in range(len(pieces))
                ],
            },
            "post": done,
        }
        segment = Segment(audio, job.scene.master.sample_rate, meta)
        meta["timings"] = {
            "generate_s": round(generate_s, 4),
            "post_s": round(time.perf_counter() - t0, 4),
            "batch_size": batch,
        }
        self.bank.put(job.key, segment, group=job.group)
        with self._lock:
            report.written += 1
            report.audio_seconds += segment.seconds
            report.keys.append(key_digest)
            bar.update(1)


def realtime_factor(report: Report) -> float:
    """Seconds of finished audio per second of wall time (0 when nothing was made)."""
    if report.wall_seconds <= 0 or report.written == 0:
        return 0.0
    return report.audio_seconds / report.wall_seconds if math.isfinite(report.wall_seconds) else 0.0
