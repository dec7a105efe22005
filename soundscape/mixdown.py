"""Personal-mix downloads: the mix a listener hears, rendered to a file with progress.

Three parts, from pure to edge:

* ``parse_mix_query(query)`` turns the query parameters of a download (or a share
  link: the same names) into a ``MixRequest``; every bad value is a ``DownloadError``
  naming the parameter and the value.
* ``render_mix(scene, request, out)`` renders it through the CLI's render path
  (``build_graph`` + ``render.render_file``: block by block, atomic temporary file,
  exact length), with the layer gains, mutes and volume applied from the first
  sample, and reports ``progress(done_frames, total_frames)``.
* ``Downloads`` is the bounded job table a server needs: one render at a time per
  client, ``max_jobs`` at once in all, each in its own process (a render runs at
  many times real time and must never hold the GIL the mixer threads need), files in
  a cache folder removed when fetched-and-expired, cancelled or at close. The HTTP
  edge only maps calls to routes (see ``Downloads``).

Query parameters (all strings, as in a URL)::

    scene=rainy-night            scene name (required)
    gains=rain:-6,wind:3.5       layer gain offsets in dB, -80..12 (names percent-encoded)
    mute=thunder,birds           muted layers (names percent-encoded)
    volume=0.8                   master volume, linear 0..1 (default 1)
    duration=1h                  1 s .. the format's maximum (90, 90s, 10m, 1h30m)
    format=opus                  opus | mp3 | flac (default opus)
    seed=7                       arrangement seed, 0..2^32-1 (default: the scene's)
    loop=1                       a file that loops seamlessly (0 or 1, default 0)

A loop (``loop=1``, the player's "Keep for offline") starts without the scene's
fade-in and ends where it starts: the render runs ``overlap`` frames past the loop's
length and those frames are crossfaded (equal power) into its last ``overlap``
frames (see ``LoopFold``); layers are uncorrelated noise-like sound, so equal power
keeps the level. Codecs are not exact at a file's first and last few milliseconds
(Opus pre-skip, MP3 encoder delay, a padded last frame), so the file holds the loop
between two pads of ``LOOP_PAD_S``: the loop's start, the loop, its start again
(``loop_pad`` frames before the loop, 2 * ``loop_pad`` frames after its start in
all). A player loops frames ``pad .. pad + total`` (Web Audio: ``loopStart``,
``loopEnd``); any window of ``total`` frames that starts within the first
``2 * pad`` frames is the same loop, so a decoder that keeps or drops a few frames
at the start still loops seamlessly. The job's status gives ``loop_start`` and
``loop_frames``.
"""

from __future__ import annotations

import logging
import math
import multiprocessing
import re
import secrets
import shutil
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote

import numpy as np

from .bank import SegmentBank
from .errors import SoundscapeError, UsageError
from .graph import build_graph
from .graph.switch import Level
from .render import for_output, render_file
from .scene import Scene
from .thresholds import GAIN_MAX_DB, GAIN_MIN_DB, gain_of_db
from .units import parse_duration

log = logging.getLogger(__name__)

MIN_SECONDS = 1.0
LOOP_OVERLAP_S = 3.0  # the crossfade folded onto a loop's join, at most a quarter of it
LOOP_PAD_S = 0.1  # codec slack on each side of a loop (Opus: 20 ms frames, 6.5 ms pre-skip)
MAX_LAYERS = 64  # entries in gains= or mute=
MAX_PARAM_CHARS = 4096
ID_PATTERN = re.compile(r"dl-[0-9a-f]{16}")


@dataclass(frozen=True)
class DownloadFormat:
    extension: str
    content_type: str
    max_seconds: float
    bytes_per_second: int  # a generous estimate, for the free-space check


# FLAC of noise hardly compresses (about 1 MB per 5 s): capped shorter than the codecs
FORMATS = {
    "opus": DownloadFormat(".opus", "audio/ogg", 10 * 3600.0, 20_000),  # ~15 kB/s measured
    "mp3": DownloadFormat(".mp3", "audio/mpeg", 8 * 3600.0, 24_000),
    # the server holds a finished file in memory while it sends it: FLAC stops at 1 h
    "flac": DownloadFormat(".flac", "audio/flac", 3600.0, 200_000),
}


class DownloadError(UsageError):
    """A download cannot start or be found. ``status`` is the HTTP status to answer
    with, ``code`` the JSON error code (as the websocket errors in docs/protocol.md)."""

    def __init__(self, message: str, code: str = "bad_value", status: int = 400):
        super().__init__(message)
        self.code = code
        self.status = status


def _cut(value: str, limit: int = 40) -> str:
    return repr(value if len(value) <= limit else value[:limit] + "...")


@dataclass(frozen=True)
class MixRequest:
    """One personal mix to render: which scene, how long, in which format, and the
    listener's layer gain offsets (dB), mutes and volume (linear)."""

    scene: str
    seconds: float
    format: str = "opus"
    gains: Mapping[str, float] = field(default_factory=dict)
    muted: frozenset[str] = frozenset()
    volume: float = 1.0
    seed: int | None = None
    loop: bool = False

    def total_frames(self, rate: int) -> int:
        """The mix's length in frames (a loop's length, without its pads)."""
        return int(round(self.seconds * rate))

    def loop_pad(self, rate: int) -> int:
        """Frames of codec slack before a loop (0 unless ``loop``)."""
        return min(int(LOOP_PAD_S * rate), self.total_frames(rate) // 8) if self.loop else 0

    def file_frames(self, rate: int) -> int:
        """The frames in the file: the mix, and a loop's pads."""
        return self.total_frames(rate) + 2 * self.loop_pad(rate)

    def filename(self) -> str:
        """``rainy-night-1h.opus``: safe for a Content-Disposition header."""
        s = round(self.seconds)
        label = (f"{s // 3600}h" if s % 3600 == 0 else f"{s // 60}m" if s % 60 == 0
                 else f"{s}s")
        safe = re.sub(r"[^A-Za-z0-9._-]+", "_", self.scene).lstrip(".")[:64] or "mix"
        kind = "-loop" if self.loop else ""
        return f"{safe}-{label}{kind}{FORMATS[self.format].extension}"

    def query(self) -> str:
        """The query string that ``parse_mix_query`` reads back to this request."""
        parts = [("scene", self.scene), ("duration", f"{self.seconds:g}"),
                 ("format", self.format), ("volume", f"{self.volume:g}")]
        if self.gains:
            parts.append(("gains", ",".join(f"{quote(n, safe='')}:{db:g}"
                                             for n, db in self.gains.items())))
        if self.muted:
            parts.append(("mute", ",".join(quote(n, safe="") for n in sorted(self.muted))))
        if self.seed is not None:
            parts.append(("seed", str(self.seed)))
        if self.loop:
            parts.append(("loop", "1"))
        return "&".join(f"{k}={quote(v, safe=':,')}" for k, v in parts)


def _number(name: str, text: str, low: float, high: float) -> float:
    try:
        value = float(text)
    except ValueError:
        raise DownloadError(f"{name}: {_cut(text)} is not a number") from None
    if not math.isfinite(value) or not low <= value <= high:
        raise DownloadError(f"{name}: {_cut(text)} is out of range {low:g}..{high:g}")
    return value


def _names(name: str, text: str) -> list[str]:
    items = [item for item in text.split(",") if item]
    if len(items) > MAX_LAYERS:
        raise DownloadError(f"{name}: {len(items)} layers (at most {MAX_LAYERS})")
    return items


def parse_mix_query(query: Mapping[str, str]) -> MixRequest:
    """A MixRequest from query parameters (first values, still percent-encoded inside
    ``gains`` and ``mute``). DownloadError names the parameter and the value."""
    for key, value in query.items():
        if len(value) > MAX_PARAM_CHARS:
            raise DownloadError(f"{key}: longer than {MAX_PARAM_CHARS} characters")
    scene = query.get("scene", "")
    if not 1 <= len(scene) <= 200:
        raise DownloadError("scene: missing" if not scene else f"scene: {_cut(scene)} is too long")
    fmt = query.get("format", "opus").lower()
    if fmt not in FORMATS:
        raise DownloadError(f"format: {_cut(fmt)} is not one of {', '.join(FORMATS)}")
    if "duration" not in query:
        raise DownloadError("duration: missing (e.g. duration=1h)")
    try:
        seconds = parse_duration(query["duration"])
    except ValueError as exc:
        raise DownloadError(f"duration: {exc}") from None
    limit = FORMATS[fmt].max_seconds
    if not math.isfinite(seconds) or not MIN_SECONDS <= seconds <= limit:
        raise DownloadError(f"duration: {_cut(query['duration'])} is out of range "
                            f"{MIN_SECONDS:g} s..{limit / 3600:g} h for {fmt}")
    gains: dict[str, float] = {}
    for item in _names("gains", query.get("gains", "")):
        layer, sep, db = item.rpartition(":")
        if not sep or not layer:
            raise DownloadError(f"gains: {_cut(item)} is not LAYER:DB")
        gains[unquote(layer)] = _number(f"gains ({unquote(layer)[:40]})", db,
                                        GAIN_MIN_DB, GAIN_MAX_DB)
    muted = frozenset(unquote(n) for n in _names("mute", query.get("mute", "")))
    volume = _number("volume", query["volume"], 0.0, 1.0) if "volume" in query else 1.0
    seed = None
    if query.get("seed", "") != "":
        text = query["seed"]
        if not re.fullmatch(r"\d{1,10}", text) or int(text) >= 2**32:
            raise DownloadError(f"seed: {_cut(text)} is not an integer 0..{2**32 - 1}")
        seed = int(text)
    loop = query.get("loop", "0")
    if loop not in ("0", "1"):
        raise DownloadError(f"loop: {_cut(loop)} is not 0 or 1")
    return MixRequest(scene, seconds, fmt, gains, muted, volume, seed, loop == "1")


def check_layers(request: MixRequest, scene: Scene) -> None:
    """DownloadError naming the first layer of ``request`` that ``scene`` lacks."""
    names = [layer.name for layer in scene.layers]
    for param, asked in (("gains", list(request.gains)), ("mute", sorted(request.muted))):
        for name in asked:
            if name not in names:
                raise DownloadError(f"{param}: no layer named {_cut(name)} in scene "
                                    f"{request.scene!r} (layers: {', '.join(names)})",
                                    code="unknown_layer")


def render_mix(
    scene: Scene,
    request: MixRequest,
    out: Path,
    bank: SegmentBank | None = None,
    progress: Callable[[int, int], None] | None = None,
    force: bool = True,
) -> int:
    """Render ``request`` of ``scene`` to ``out`` (the extension picks the format);
    returns the frames written (exactly ``request.total_frames(rate)``).

    The graph is the CLI's (``build_graph``, the scene's own fade-in) and the file is
    written by ``render_file``; the mix's gains, mutes and volume hold from the first
    sample (no glide from unity). ``progress(done, total)`` follows every block.
    ``request.loop``: no fade-in, the end folded onto the start and the pads
    (``LoopFold``); the file then has ``request.file_frames(rate)`` frames.
    Raises DownloadError for a layer the scene lacks, RenderError if the file cannot
    be written (nothing is left under ``out`` then). Returns the frames written.
    """
    check_layers(request, scene)
    scene = for_output(scene, Path(out))  # lossy: more headroom
    rate = scene.master.sample_rate
    total = request.total_frames(rate)
    overlap = loop_overlap(total, rate) if request.loop else 0
    if request.loop:  # a loop never starts from silence
        scene = replace(scene, master=replace(scene.master, fade_in=0.0))
    graph = build_graph(scene, bank, seed=request.seed, total_frames=total + overlap)
    for name, strip in graph.strips.items():
        gain = 0.0 if name in request.muted else gain_of_db(request.gains.get(name, 0.0))
        strip.set_user_gain(gain, glide=False)  # from the first sample: no glide from unity
    output = Level(graph, request.volume)  # the player's volume, as a stream applies it

    frames = request.file_frames(rate)

    def step(done: int) -> None:
        if progress is not None:
            progress(done, frames)

    pull = output.pull
    if request.loop:
        pull = LoopFold(output.pull, total, overlap, request.loop_pad(rate)).pull
    render_file(pull, frames, rate, Path(out), force=force, progress=step)
    return frames


def loop_overlap(total: int, rate: int) -> int:
    """The frames a loop of ``total`` frames crossfades across its join."""
    return max(1, min(int(LOOP_OVERLAP_S * rate), total // 4))


class LoopFold:
    """``pull`` for a loop of ``total`` frames with ``pad`` frames of slack on each
    side (``total + 2 * pad`` frames in all), from a source r pulled for
    ``total + overlap`` frames.

    The loop L is r[overlap : total + overlap], except that its last ``overlap``
    frames are r[total + k] * cos(u) + r[k] * sin(u), u = pi/2 * (k + 0.5) / overlap:
    the render's own start fades in under its end. L's last frame is about
    r[overlap - 1] and its first is r[overlap], neighbours in the render, so L joins
    end to start as smoothly as any other pair of frames. The output is L followed by
    L[0 : 2 * pad] (so frames pad .. pad + total are L turned by pad, and every
    window of ``total`` frames starting in 1 .. 2 * pad is L turned). Only the first
    ``overlap`` frames of r and the first ``2 * pad`` of L are held.
    """

    def __init__(self, source: Callable[[int], np.ndarray], total: int, overlap: int,
                 pad: int = 0):
        if not 0 < overlap <= total or not 0 <= 2 * pad <= total - overlap:
            raise ValueError(f"overlap {overlap} and pad {pad} do not fit {total} frames")
        self.source = source
        self.total = total
        self.overlap = overlap
        self.pad = pad
        self.position = 0  # frames given out
        self.head: np.ndarray | None = None  # r[0 : overlap]
        self.start = np.zeros((2, 2 * pad), dtype=np.float32)  # L[0 : 2 * pad]

    def pull(self, frames: int) -> np.ndarray:
        a, b = self.position, self.position + frames
        if a < self.total < b:  # the loop's end and the pad after it
            return np.concatenate([self.pull(self.total - a), self.pull(b - self.total)],
                                  axis=1)
        self.position = b
        if a >= self.total:  # the pad after the loop
            return self.start[:, a - self.total:b - self.total].copy()
        if self.head is None:
            self.head = np.array(self.source(self.overlap), dtype=np.float32, copy=True)
        out = np.array(self.source(frames), dtype=np.float32, copy=True)
        fold = self.total - self.overlap  # where the fold begins
        if b > fold:
            lo = max(a, fold)
            k = np.arange(lo - fold, b - fold)
            u = (k + 0.5) * (np.pi / 2 / self.overlap)
            out[:, lo - a:] = (out[:, lo - a:] * np.cos(u).astype(np.float32)
                               + self.head[:, k] * np.sin(u).astype(np.float32))
        if a < 2 * self.pad:
            n = min(b, 2 * self.pad) - a
            self.start[:, a:a + n] = out[:, :n]
        return out


# ---- the job table -----------------------------------------------------------------

def _job_main(scene: Scene, request: MixRequest, out: str, bank_root: str | None,
              done: Any, conn: Connection) -> None:
    """Body of a render process: progress into the shared ``done`` counter, then one
    message on ``conn``: ``("ok", frames)`` or ``("error", message)``."""
    def progress(frames: int, total: int) -> None:
        done.value = frames

    try:
        bank = SegmentBank(bank_root) if bank_root else SegmentBank()
        frames = render_mix(scene, request, Path(out), bank, progress)
        conn.send(("ok", frames))
    except SoundscapeError as exc:
        conn.send(("error", str(exc)))
    except BaseException as exc:  # noqa: BLE001 -- reported to the job table, not lost
        conn.send(("error", f"the render failed: {type(exc).__name__}: {exc}"))
    finally:
        conn.close()


@dataclass(eq=False)
class Job:
    id: str
    client: str
    request: MixRequest
    folder: Path
    path: Path
    total_frames: int
    started: float
    process: Any = None  # multiprocessing.Process
    done: Any = None  # multiprocessing.Value('q')
    conn: Connection | None = None
    state: str = "rendering"  # rendering | done | failed | cancelled
    error: str | None = None
    finished: float | None = None
    loop_pad: int = 0  # frames before a loop (``loop=1``)


class Downloads:
    """Render jobs for a server. All methods are quick (no rendering on the caller's
    thread) and meant to be called from one thread (the event loop).

    HTTP wiring (the edge maps each call to a route; DownloadError -> its
    ``status`` with ``{"code": e.code, "message": str(e)}``):

    * ``GET /api/download?scene=&gains=&mute=&volume=&duration=&format=&seed=``
      -> ``start(client_address, query)``: 202 with the status object below.
    * ``GET /api/download/status?id=`` -> ``status(id, client_address)``: 200,
      ``{"id", "state": "rendering"|"done"|"failed"|"cancelled", "progress": 0..1,
      "done_frames", "total_frames" (the file's), "seconds", "format", "filename",
      "bytes", "error", "loop", "loop_start", "loop_frames"}`` (a loop plays frames
      ``loop_start .. loop_start + loop_frames`` over and over).
    * ``GET /api/download/file?id=`` -> ``file(id, client_address)``: the path,
      filename and content type of a finished render, to send with
      ``Content-Disposition: attachment; filename="..."``.
    * ``GET /api/download/cancel?id=`` -> ``cancel(id, client_address)``.
    * ``sweep()`` every few seconds (reaps processes, expires old files), ``close()``
      at shutdown.
    """

    def __init__(self, folder: Path, scenes: Callable[[str], Scene | None],
                 bank_root: Path | None = None, max_jobs: int = 1, keep_s: float = 900.0,
                 clock: Callable[[], float] = time.monotonic):
        self.folder = Path(folder)
        self.scenes = scenes
        self.bank_root = bank_root
        self.max_jobs = max_jobs
        self.keep_s = keep_s
        self.clock = clock
        self.jobs: dict[str, Job] = {}
        self._mp = multiprocessing.get_context("spawn")
        self.folder.mkdir(parents=True, exist_ok=True)
        for item in self.folder.iterdir():  # left by an earlier run of the server
            if ID_PATTERN.fullmatch(item.name) and item.is_dir():
                shutil.rmtree(item, ignore_errors=True)

    def start(self, client: str, query: Mapping[str, str]) -> dict[str, Any]:
        """Check the request and start its render; DownloadError if it is bad
        (400/404), the client already has one running (409 ``busy``), the server runs
        ``max_jobs`` (503 ``download_limit``) or the disk is too full (507 ``no_space``)."""
        self.sweep()
        request = parse_mix_query(query)
        scene = self.scenes(request.scene)
        if scene is None:
            raise DownloadError(f"scene: no scene named {_cut(request.scene)}",
                                code="unknown_scene", status=404)
        check_layers(request, scene)
        running = [j for j in self.jobs.values() if j.state == "rendering"]
        if any(j.client == client for j in running):
            raise DownloadError("a download of yours is still rendering: wait for it or "
                                "cancel it", code="busy", status=409)
        if len(running) >= self.max_jobs:
            raise DownloadError(f"the server renders {self.max_jobs} download(s) at a time; "
                                "try again in a minute", code="download_limit", status=503)
        fmt = FORMATS[request.format]
        need = request.seconds * fmt.bytes_per_second + 64 * 2**20
        free = shutil.disk_usage(self.folder).free
        if free < need:
            raise DownloadError(f"not enough disk space for {request.filename()} "
                                f"({need / 2**20:.0f} MB needed, {free / 2**20:.0f} MB free)",
                                code="no_space", status=507)
        for old in [j for j in self.jobs.values() if j.client == client]:
            self._drop(old)  # one download per client: a new one replaces the finished one
        job_id = f"dl-{secrets.token_hex(8)}"
        folder = self.folder / job_id
        folder.mkdir()
        rate = scene.master.sample_rate
        job = Job(job_id, client, request, folder, folder / request.filename(),
                  request.file_frames(rate), self.clock(), loop_pad=request.loop_pad(rate))
        parent, child = self._mp.Pipe(duplex=False)
        job.done = self._mp.Value("q", 0, lock=False)
        job.conn = parent
        job.process = self._mp.Process(
            target=_job_main, name=f"soundscape-{job_id}", daemon=True,
            args=(scene, request, str(job.path),
                  str(self.bank_root) if self.bank_root else None, job.done, child))
        job.process.start()
        child.close()
        self.jobs[job_id] = job
        log.info("download %s: %s for %s (%s, %g s)", job_id, request.scene, client,
                 request.format, request.seconds)
        return self._status(job)

    def _get(self, job_id: str, client: str | None) -> Job:
        job = self.jobs.get(job_id)
        if job is None or (client is not None and job.client != client):
            raise DownloadError(f"id: no download {_cut(job_id)}", code="unknown_download",
                                status=404)
        return job

    def status(self, job_id: str, client: str | None = None) -> dict[str, Any]:
        self.sweep()
        return self._status(self._get(job_id, client))

    def file(self, job_id: str, client: str | None = None) -> tuple[Path, str, str]:
        """(path, filename, content type) of a finished download; DownloadError 409
        ``not_ready`` while it renders, 404 if unknown, failed or cancelled."""
        job = self._get(job_id, client)
        self._poll(job)
        if job.state == "rendering":
            raise DownloadError(f"id: download {job_id} is still rendering", code="not_ready",
                                status=409)
        if job.state != "done":
            raise DownloadError(f"id: download {job_id} {job.state}: {job.error or ''}".rstrip(),
                                code="unknown_download", status=404)
        return job.path, job.path.name, FORMATS[job.request.format].content_type

    def cancel(self, job_id: str, client: str | None = None) -> dict[str, Any]:
        job = self._get(job_id, client)
        self._poll(job)
        if job.state == "rendering":
            self._stop(job)
            job.state, job.finished = "cancelled", self.clock()
            shutil.rmtree(job.folder, ignore_errors=True)
        return self._status(job)

    def sweep(self) -> None:
        """Reap finished renders and forget jobs finished more than ``keep_s`` ago
        (their files go with them)."""
        now = self.clock()
        for job in list(self.jobs.values()):
            self._poll(job)
            if job.finished is not None and now - job.finished > self.keep_s:
                self._drop(job)

    def close(self) -> None:
        for job in list(self.jobs.values()):
            self._drop(job)

    # -- internals ----------------------------------------------------------------

    def _poll(self, job: Job) -> None:
        if job.state != "rendering":
            return
        message = None
        if job.conn is not None and job.conn.poll():
            try:
                message = job.conn.recv()
            except (EOFError, OSError):
                message = None
        if message is None and job.process.is_alive():
            return
        if message is None:  # died without a word (killed, out of memory)
            message = ("error", f"the render process ended with code {job.process.exitcode}")
        job.process.join(5)
        if job.conn is not None:
            job.conn.close()
            job.conn = None
        job.finished = self.clock()
        if message[0] == "ok" and job.path.is_file():
            job.state = "done"
            job.done.value = job.total_frames
            log.info("download %s: done (%d bytes)", job.id, job.path.stat().st_size)
        else:
            job.state, job.error = "failed", str(message[1])
            log.warning("download %s failed: %s", job.id, job.error)
            shutil.rmtree(job.folder, ignore_errors=True)

    def _stop(self, job: Job) -> None:
        if job.process is not None and job.process.is_alive():
            job.process.terminate()
            job.process.join(5)
            if job.process.is_alive():
                job.process.kill()
                job.process.join(5)
        if job.conn is not None:
            job.conn.close()
            job.conn = None

    def _drop(self, job: Job) -> None:
        self._stop(job)
        shutil.rmtree(job.folder, ignore_errors=True)
        self.jobs.pop(job.id, None)

    def _status(self, job: Job) -> dict[str, Any]:
        self._poll(job)
        done = int(job.done.value) if job.done is not None else 0
        size = None
        if job.state == "done":
            try:
                size = job.path.stat().st_size
            except OSError:
                size = None
        return {"id": job.id, "state": job.state,
                "progress": round(done / job.total_frames, 4) if job.total_frames else 1.0,
                "done_frames": done, "total_frames": job.total_frames,
                "seconds": job.request.seconds, "format": job.request.format,
                "filename": job.path.name, "bytes": size, "error": job.error,
                "loop": job.request.loop, "loop_start": job.loop_pad,
                "loop_frames": job.total_frames - 2 * job.loop_pad}

