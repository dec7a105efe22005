"""The channels' director: which scenes there are, which are built, which are on air.

Ownership: a :class:`Director` lives on the event loop, and it alone changes what it
holds (the scene snapshot, the ready events, the build tickets, the bank
signatures). Work off the loop is done by jobs that take values and return values,
which the director applies when they come back, on the loop:

- a folder scan (the "files" thread): ``Catalog.scan`` -> ``Changes``, with an
  immutable snapshot of every scene loaded;
- a bank check (the "files" thread): ``bank_signature`` -> how many generated
  variants each prompt layer has;
- a build (the build threads): ``build_channel`` -> :class:`Built`, the template
  graph and the bank signature it was built with. On the way it reports how many of
  the scene's layers have their material ready (segments from the bank, or made and
  banked), then that it is balancing them (setting the mix's level): messages to the
  loop (``call_soon_threadsafe``), kept as the scene's ``progress`` until its channel
  is on (``/api/scenes`` and the ``preparing`` messages of a listener who waits,
  ws.py). A build that fails leaves the scene's ``failure`` (a short reason), which
  a waiting listener is told at once, until the scene file's next edit is built.

No job writes to the director or reads what it holds, so nothing here is shared
between threads. The channels themselves are the hub's (hub.py); their outputs
(Icecast, HLS) are fed by the channels' mixers through ``ChannelOutputs``.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import itertools
import logging
import os
from collections.abc import Callable, Coroutine, Mapping
from dataclasses import dataclass, replace
from functools import partial
from typing import Any

from ..bank import SegmentBank
from ..errors import SoundscapeError
from ..graph import SceneGraph, build_graph
from ..graph.build import BALANCING
from ..live import check_live_rate, live_scene
from ..outputs import ChannelOutputs, make_outputs
from ..probe import check_scene_files
from ..scene import Scene
from ..sources import prompt_group
from .builds import BuildQueue
from .catalog import Catalog
from .config import ServerConfig
from .hub import Hub, scene_info
from .stems import install_taps
from .stream import Stream

log = logging.getLogger(__name__)

Spawn = Callable[[Coroutine[Any, Any, Any]], None]


@dataclass(frozen=True)
class Built:
    """What a build job returns: the channel's template graph (never pulled: each
    stream copies it on its mixer thread) and the bank signature it was built with."""

    graph: SceneGraph
    signature: tuple[int, ...]


def bank_signature(bank: SegmentBank, scene: Scene) -> tuple[int, ...]:
    """(worker thread) How many generated variants the bank holds for each prompt layer."""
    return tuple(bank.group_size(prompt_group(layer)) for layer in scene.layers
                 if layer.prompt is not None and not layer.files)


# (build thread) where build_channel reports its progress: ``report(done, total, step)``,
# ``step`` None while sounds are made, else STEP_BALANCING. Set per build job by the
# director (the job runs in its own context), so that build_channel keeps the plain
# (scene, bank) signature that tools and tests wrap.
Report = Callable[[int, int, str | None], None]
BUILD_PROGRESS: contextvars.ContextVar[Report | None] = (
    contextvars.ContextVar("build_progress", default=None))
STEP_BALANCING = "balancing"  # every sound is made; the mix's level is being set
REASON_CHARS = 200  # a failed build's reason, as a waiting listener is told it


def build_channel(scene: Scene, bank: SegmentBank) -> Built:
    """(build thread) ``scene`` as a channel plays it (``live_scene``: no fade-in,
    lossy headroom), with the bank signature read just before the build.

    Reports ``(done, total, None)`` to :data:`BUILD_PROGRESS`, if set, as each layer's
    material is ready (``done`` of the scene's ``total`` layers), then
    ``(total, total, STEP_BALANCING)`` while the mix's level is measured."""
    check_scene_files(scene)  # a damaged or hostile audio file: a reported error
    signature = bank_signature(bank, scene)
    report = BUILD_PROGRESS.get()
    total, ready = len(scene.layers), itertools.count()

    def layer_next(name: str) -> None:
        """build_graph calls this before it prepares each layer (those before are
        ready), then with BALANCING once all are."""
        if report is None:
            return
        if name == BALANCING:
            report(total, total, STEP_BALANCING)
        else:
            report(next(ready), total, None)

    graph = build_graph(live_scene(scene), bank, progress=layer_next)
    graph.scene = scene
    for name, material in graph.materials.items():
        log.info("channel %s: layer %s plays %s: %s", scene.name, name, material.source,
                 material.detail)
        for warning in material.warnings:
            log.warning("channel %s: %s", scene.name, warning)
    return Built(graph, signature)


WARM_FRAMES = 960  # a sought template's first 20 ms, made on the worker (its segments)


def at_playhead(graph: SceneGraph, frame: int) -> SceneGraph:
    """(build thread) A hot reload's template moved to scene frame ``frame``, where the
    channel plays, as if it had played from the start, and its first 20 ms made, so
    the mixer thread only has the last few blocks to catch up (``Stream.reload``)."""
    install_taps(graph)  # before the seek: the taps count graph frames from it
    graph.seek(frame)
    graph.pull(WARM_FRAMES)
    return graph


def short_reason(scene: Scene, message: str) -> str:
    """What a listener is told of a failed build: the error's first line without the
    scene file's path in front, files in the scene's folder by their names, at most
    REASON_CHARS characters."""
    lines = message.strip().splitlines()
    text = lines[0].strip() if lines else "unknown error"
    prefix = f"{scene.path}: "
    if text.startswith(prefix) and len(text) > len(prefix):
        text = text[len(prefix):]
    text = text.replace(f"{scene.path.parent}{os.sep}", "")
    return text if len(text) <= REASON_CHARS else text[:REASON_CHARS - 1] + "…"


class Director:
    """Scans the scenes folder, builds its scenes (newest edit wins), puts new
    channels on the hub and on air, follows the bank, runs the bank refreshers."""

    def __init__(self, config: ServerConfig, hub: Hub, bank: SegmentBank,
                 builds: BuildQueue, files: BuildQueue, outputs: ChannelOutputs,
                 spawn: Spawn):
        self.config = config
        self.hub = hub
        self.bank = bank
        self.builds = builds
        self.files = files  # the one "files" thread: scans and bank checks
        self.outputs = outputs
        self.spawn = spawn
        self._catalog = Catalog(config.scenes)  # the files thread's, never read here
        self.scenes: Mapping[str, Scene] = {}  # the last scan's snapshot
        self.ready: dict[str, asyncio.Event] = {}  # set once a scene's channel is on
        # scene -> (layers ready, layers, step) of its newest build, until its channel is on
        self._progress: dict[str, tuple[int, int, str | None]] = {}
        # scene -> why its newest build failed (short_reason), while it has no channel
        self._failed: dict[str, str] = {}
        self._wanted: dict[str, int] = {}  # scene -> newest build asked for
        self._signatures: dict[str, tuple[int, ...]] = {}  # generated variants per scene
        self.refreshers: list[Any] = []

    # -- what the HTTP and websocket edges ask ----------------------------------------
    def scene(self, name: str) -> Scene | None:
        return self.scenes.get(name)

    def known(self, name: str) -> bool:
        """A scene listeners may ask for: scanned, and its file not removed."""
        channel = self.hub.channels.get(name)
        return name in self.ready and not (channel is not None and channel.removed)

    def progress(self, name: str) -> dict[str, int | str]:
        """How far scene ``name`` is prepared: ``{"done": n, "total": m}``, its layers
        whose material is ready (all of them once its channel is on), with
        ``"step": "balancing"`` while every sound is made and the level is being set."""
        scene = self.scenes.get(name)
        channel = self.hub.channels.get(name)
        if channel is not None:
            scene = channel.scene
        total = len(scene.layers) if scene is not None else 0
        if channel is not None:
            return {"done": total, "total": total}
        done, total, step = self._progress.get(name, (0, total, None))
        out: dict[str, int | str] = {"done": done, "total": total}
        if step is not None:
            out["step"] = step
        return out

    def failure(self, name: str) -> str | None:
        """Why scene ``name`` cannot be prepared (its newest build failed and it has no
        channel): a short reason, or None."""
        return None if name in self.hub.channels else self._failed.get(name)

    def listing(self) -> list[dict[str, Any]]:
        """``/api/scenes``: every scene not removed, with whether it plays yet (and,
        while it does not, ``progress``, and ``error`` once its build failed)."""
        out = []
        for name, scene in sorted(self.scenes.items()):
            channel = self.hub.channels.get(name)
            if channel is not None and channel.removed:
                continue
            info = scene_info(channel.scene if channel else scene)
            info["ready"] = channel is not None
            if channel is None:
                info["progress"] = self.progress(name)
                failure = self.failure(name)
                if failure is not None:
                    info["error"] = failure
            out.append(info)
        return out

    def _progressed(self, name: str, ticket: int, done: int, total: int,
                    step: str | None) -> None:
        """(loop) A build's report: kept if it is the newest build of a scene that is
        not on yet."""
        if self._wanted.get(name) == ticket and name not in self.hub.channels:
            self._progress[name] = (done, total, step)

    def _build_failed(self, scene: Scene, message: str, ticket: int | None = None) -> None:
        """(loop) ``scene``'s build failed: reported to the hub (``/api/status``) and,
        if it is the newest build, kept as the scene's ``failure`` for its listeners."""
        self.hub.reload_failed(scene.name, message)
        if ticket is None or self._wanted.get(scene.name) == ticket:
            self._failed[scene.name] = short_reason(scene, message)
            if scene.name not in self.hub.channels:  # else the hub logs the rejected edit
                log.error("scene %s: cannot be prepared: %s", scene.name, message)

    # -- scans and builds ---------------------------------------------------------------
    async def scan(self) -> None:
        changes = await asyncio.wrap_future(self.files.submit("scan", self._catalog.scan))
        self.scenes = changes.scenes
        for name, message in changes.failed.items():
            self.hub.reload_failed(name, message)
        for name in changes.removed:
            self.hub.scene_removed(name)
        for scene in changes.loaded:
            self.ready.setdefault(scene.name, asyncio.Event())
            self.spawn(self.prepare(scene))

    async def pick_up_bank_changes(self) -> None:
        """Rebuild (crossfading) channels whose generated segments changed in the bank,
        e.g. by ``soundscape generate`` or a refresher, while they play."""
        for name, channel in list(self.hub.channels.items()):
            scene = channel.scene
            state = await asyncio.wrap_future(
                self.files.submit(f"bank:{name}", partial(bank_signature, self.bank, scene)))
            if name in self._signatures and state != self._signatures[name]:
                log.info("channel %s: new generated segments in the bank; crossfading", name)
                self._signatures[name] = state
                self.spawn(self.prepare(scene))

    async def prepare(self, scene: Scene) -> None:
        """Build ``scene`` on the build threads, then put it on air (or crossfade the
        running channel into it). Of several builds of one scene, only the newest
        asked for is applied, whatever order they finish in."""
        self._failed.pop(scene.name, None)  # a new edit: the old failure is no news
        try:
            check_live_rate(scene)
        except SoundscapeError as exc:
            self._build_failed(scene, str(exc))
            return
        ticket = self._wanted.get(scene.name, 0) + 1
        self._wanted[scene.name] = ticket
        # someone hears (or waits for) this scene: build it ahead of the idle ones
        heard = any(lst.scene == scene.name for lst in self.hub.listeners.values())
        if scene.name not in self.hub.channels:
            self._progress[scene.name] = (0, len(scene.layers), None)
        job = contextvars.copy_context()  # the build's own: its progress reports
        job.run(BUILD_PROGRESS.set, self._reporter(scene.name, ticket))
        future = self.builds.submit(
            scene.name, partial(job.run, build_channel, scene, self.bank), urgent=heard)
        try:
            built: Built = await asyncio.wrap_future(future)
        except asyncio.CancelledError:
            if future.cancelled():  # superseded by a newer build of the scene
                return
            raise
        except SoundscapeError as exc:
            self._build_failed(scene, str(exc), ticket)
            return
        except Exception as exc:  # a broken scene never takes the server down
            log.exception("scene %s: cannot build its graph", scene.name)
            self._build_failed(scene, f"{scene.path}: {exc}", ticket)
            return
        if self._wanted.get(scene.name) != ticket:
            return  # a newer edit is being built; it will be applied instead
        running = self.hub.channels.get(scene.name)
        if running is not None and running.scene_frame:
            future = self.builds.submit(
                f"{scene.name}:playhead",
                partial(at_playhead, built.graph, running.scene_frame), urgent=True)
            try:
                await asyncio.wrap_future(future)
            except asyncio.CancelledError:
                if future.cancelled():
                    return
                raise
            except Exception as exc:  # it would fail where it plays: the old one stays
                log.exception("scene %s: cannot move the new version to the playhead",
                              scene.name)
                self._build_failed(scene, f"{scene.path}: {exc}", ticket)
                return
            if self._wanted.get(scene.name) != ticket:
                return
        self._signatures[scene.name] = built.signature
        self.hub.scene_errors.pop(scene.name, None)
        fresh = scene.name not in self.hub.channels
        channel = self.hub.add_channel(scene, built.graph)
        if fresh and (self.config.icecast or self.config.hls is not None):
            self._put_on_air(channel.name, scene, channel.stream)
            channel.on_air = True
        self._progress.pop(scene.name, None)
        self._failed.pop(scene.name, None)
        self.ready.setdefault(scene.name, asyncio.Event()).set()

    def _reporter(self, name: str, ticket: int) -> Report:
        """A build's ``report(done, total, step)``: posts the numbers to the loop."""
        loop = asyncio.get_running_loop()

        def report(done: int, total: int, step: str | None) -> None:  # (build thread)
            with contextlib.suppress(RuntimeError):  # the loop closed: nobody waits
                loop.call_soon_threadsafe(self._progressed, name, ticket, done, total, step)

        return report

    def _put_on_air(self, name: str, scene: Scene, stream: Stream) -> None:
        """Feed a new channel's blocks to its Icecast mounts (MOUNT/NAME.opus, .mp3)
        and its HLS folder (DIR/NAME); an output that cannot start is logged by name
        and the channel plays on for its websocket listeners."""
        config = self.config
        targets = [replace(t, mount=f"{t.mount}/{name}") for t in config.icecast]
        try:
            outputs = make_outputs(scene, targets, config.icecast_formats, config.hls,
                                   config.hls_segment_s, config.icecast_bitrate)
        except SoundscapeError as exc:
            log.error("channel %s: no Icecast/HLS output: %s", name, exc)
            return
        self.outputs.add(name, outputs)
        sink = partial(self.outputs.push, name)
        stream.request(lambda s: setattr(s, "sink", sink))
        for output in outputs:
            log.info("channel %s: on air at %s", name, output.name)

    async def reload_loop(self, stopping: asyncio.Event) -> None:
        """Hot reload: rescan the folder and recheck the bank every reload_interval_s."""
        interval = self.config.reload_interval_s
        if interval <= 0:
            return
        while not stopping.is_set():
            await asyncio.sleep(interval)
            try:
                await self.scan()
                await self.pick_up_bank_changes()
            except Exception:
                log.exception("scene reload scan failed")

    # -- bank refreshers ----------------------------------------------------------------
    def start_refreshers(self) -> None:
        """One background generator per scene with prompts; the mixers never wait."""
        from ..generators import BankGenerator, BankRefresher, make_backend_factory
        from ..generators.refresher import GenerationWorker

        # one worker thread owns the generator and its (not thread-safe) pipelines;
        # every scene's refresher sends it requests
        generator = GenerationWorker(
            BankGenerator(self.bank, make_backend_factory(), progress=False))
        for scene in self.scenes.values():
            if not any(layer.prompt and not layer.files for layer in scene.layers):
                continue
            refresher = BankRefresher(
                scene, self.bank, generator, interval_s=self.config.refresh_interval_s,
                max_variants=self.config.refresh_max_variants,
                overrides={"model": self.config.refresh_model},
            )
            self.refreshers.append(refresher.start())
            log.info("channel %s: refreshing its bank with %s every %gs", scene.name,
                     self.config.refresh_model, self.config.refresh_interval_s)

    def stop_refreshers(self) -> None:
        for refresher in self.refreshers:
            refresher.stop(timeout=0.2)
        if self.refreshers:
            self.refreshers[0].worker.stop(timeout=0.2)  # the shared generation worker
