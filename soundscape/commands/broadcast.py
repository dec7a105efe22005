"""``soundscape broadcast SCENE``: play one scene in real time into Icecast and/or HLS.

One mixer and one encoder per format serve any number of listeners: Icecast relays
and CDNs in front of the HLS folder do the fan-out. The scene plays as every live
output plays it (:func:`soundscape.live.live_scene`), on the project's one real-time
loop (:class:`~soundscape.outputs.station.Station` on a
:class:`~soundscape.mixer.Mixer`). Runs for ``--duration``, or until SIGINT (Ctrl-C)
or SIGTERM, printing what each output does. A signal stops it cleanly in every state
(preparing layers, connecting, streaming): outputs are flushed and closed, no
traceback. At the end, every output that never delivered audio (an unreachable
Icecast server, say) is named on a line of its own.

Exit status:
  0    it played (for --duration, or until a signal) and at least one output
       delivered audio (an output that did not is still named)
  2    an error before the start (bad flags, scene, HLS folder), or every output
       failed for good (e.g. a wrong Icecast password: retrying cannot fix it)
  3    no output delivered any audio, though some kept trying (an unreachable
       Icecast server, a busy mount): each is named with its last problem
  130  SIGINT while preparing layers, before any output started (143: SIGTERM)
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from pathlib import Path
from types import FrameType, TracebackType
from typing import Any

from tqdm import tqdm

from ..bank import SegmentBank, default_bank_dir
from ..errors import SoundscapeError, UsageError
from ..graph import build_graph
from ..graph.switch import Fallback, PinkBed
from ..live import live_scene
from ..memory import return_freed_audio
from ..outputs import ICECAST_FORMATS, Level, OutputEvent, Station, make_outputs
from ..outputs.icecast import IcecastTarget, parse_icecast_url
from ..probe import check_scene_files
from ..scene import load_scene
from ._cli import Preparing, check_seed, duration

NOTHING_DELIVERED = 3  # the exit status when no output delivered any audio


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "broadcast", help="stream one scene live to Icecast and/or as HLS",
        description="Play SCENE in real time as a live source for Icecast 2.4 (Ogg/Opus "
                    "and MP3 mounts) and/or a rolling HLS stream (AAC and Opus in fMP4) "
                    "that any static web server or CDN can serve. Exit status: 0 when "
                    "at least one output delivered audio, 3 when none did (each is "
                    "named), 2 on an error; Ctrl-C and SIGTERM stop it cleanly (130 or "
                    "143 if that happens while the layers are being prepared).",
    )
    p.add_argument("scene", type=Path, help="scene file (.toml)")
    add_output_flags(p, "MOUNT.opus and MP3 to MOUNT.mp3 (no MOUNT: the scene's name)")
    p.add_argument("--seed", type=int, default=None, help="arrangement seed (default: scene's)")
    p.add_argument("--duration", "-d", default=None,
                   help="stop after this long, e.g. 1h (default: until Ctrl-C)")
    p.add_argument("--bitrate", type=int, default=None,
                   help="Icecast bit rate in bit/s (default 128000)")
    p.add_argument("--bank", type=Path, default=None,
                   help=f"segment bank folder (default {default_bank_dir()})")
    p.add_argument("--quiet", "-q", action="store_true", help="no progress line")
    p.set_defaults(func=run)


def add_output_flags(p: argparse.ArgumentParser, mounts: str) -> None:
    """--icecast, --icecast-formats, --hls, --hls-segment (broadcast and serve)."""
    p.add_argument("--icecast", action="append", default=[], metavar="URL",
                   help="icecast://source:PASSWORD@HOST:PORT/MOUNT (repeatable); Opus goes "
                        f"to {mounts}")
    p.add_argument("--icecast-formats", default=",".join(ICECAST_FORMATS),
                   help="formats sent to each Icecast server (default opus,mp3)")
    p.add_argument("--hls", type=Path, default=None, metavar="DIR",
                   help="write a live HLS stream to DIR/SCENE/master.m3u8")
    p.add_argument("--hls-segment", default="4s",
                   help="HLS segment duration, 2s to 6s (default 4s)")


def output_flags(args: argparse.Namespace) -> tuple[list[IcecastTarget], list[str], float]:
    """The checked --icecast targets, --icecast-formats and --hls-segment seconds."""
    targets = [parse_icecast_url(url) for url in args.icecast]
    formats = [f.strip() for f in args.icecast_formats.split(",") if f.strip()]
    unknown = [f for f in formats if f not in ICECAST_FORMATS]
    if unknown or not formats:
        raise UsageError(f"--icecast-formats: {args.icecast_formats!r}: use opus, mp3 or "
                         "opus,mp3")
    segment = duration(args.hls_segment, "--hls-segment")
    if not 2 <= segment <= 6:
        raise UsageError(f"--hls-segment: {args.hls_segment!r} is out of range 2s..6s")
    return targets, formats, segment


class Interrupted(BaseException):
    """SIGINT or SIGTERM arrived while the layers were being prepared."""

    def __init__(self, signum: int):
        super().__init__(signum)
        self.signum = signum


class Signals:
    """SIGINT and SIGTERM while broadcasting (a context manager; main thread only).

    The first signal sets ``stop`` and records ``received``; while ``raising`` (the
    layers are being prepared on this thread) it also raises :class:`Interrupted`
    so the preparation ends at once. Later signals only set ``stop``, so the clean-up
    (closing the outputs) is never cut short. Outside the main thread (tests that call
    ``run`` from a thread) nothing is installed.
    """

    SIGNALS = (signal.SIGINT, signal.SIGTERM)

    def __init__(self) -> None:
        self.stop = threading.Event()
        self.received: int | None = None
        self.raising = False
        self._previous: dict[int, Any] = {}

    def _handler(self, signum: int, frame: FrameType | None) -> None:
        first = self.received is None
        if first:
            self.received = signum
        self.stop.set()
        if first and self.raising:
            raise Interrupted(signum)

    def __enter__(self) -> Signals:
        if threading.current_thread() is threading.main_thread():
            for sig in self.SIGNALS:
                self._previous[sig] = signal.signal(sig, self._handler)
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        for sig, previous in self._previous.items():
            signal.signal(sig, previous)


def run(args: argparse.Namespace) -> int:
    return_freed_audio()  # runs for days: freed audio buffers go back to the system
    targets, formats, segment = output_flags(args)
    if not targets and args.hls is None:
        raise UsageError("give at least one output: --icecast URL and/or --hls DIR")
    seconds = None if args.duration is None else duration(args.duration, "--duration")
    if seconds is not None and seconds <= 0:
        raise UsageError(f"--duration: {args.duration!r} must be longer than zero")
    check_seed(args.seed)
    if args.bitrate is not None and not 32000 <= args.bitrate <= 320000:
        raise UsageError(f"--bitrate: {args.bitrate} is out of range 32000..320000")
    scene = live_scene(load_scene(args.scene))  # the live rate, lossy headroom, no fade-in
    check_scene_files(scene)
    rate = scene.master.sample_rate
    with Signals() as signals:
        outputs = make_outputs(scene, targets, formats, args.hls, segment, args.bitrate)
        prep = Preparing(len(scene.layers), args.quiet)
        try:
            signals.raising = True
            if signals.received is not None:  # it came before ``raising`` was set
                raise Interrupted(signals.received)
            bank = SegmentBank(args.bank) if args.bank else SegmentBank()
            graph = build_graph(scene, bank, seed=args.seed, progress=prep.step)
            signals.raising = False
        except Interrupted as exc:
            prep.close()
            name = signal.Signals(exc.signum).name
            print(f"soundscape: broadcast {scene.name}: stopped by {name} while preparing "
                  "layers; nothing was sent", file=sys.stderr)
            return 128 + exc.signum
        finally:
            signals.raising = False
            prep.close()
        total = None if seconds is None else int(round(seconds * rate))
        station = Station(Fallback(graph, [PinkBed(graph.seed)]).pull, rate, outputs,
                          frames=total)  # the chain a server channel plays
        return _play(scene.name, station, signals, seconds, args.quiet)


def _play(name: str, station: Station, signals: Signals, seconds: float | None,
          quiet: bool) -> int:
    """Play ``station`` until its end or a signal; name every output that never
    delivered audio; the exit status."""
    rate = station.rate
    for output in station.outputs:
        print(f"broadcast {name}: {output.name}", file=sys.stderr)
    bar = None if quiet else tqdm(
        total=None if seconds is None else round(seconds), unit="s", file=sys.stderr,
        desc=f"broadcasting {name}", mininterval=1.0,
        bar_format="{desc}: {n:.0f} s of audio [{elapsed}]" if seconds is None else None)
    shown = [0]
    last: dict[str, OutputEvent] = {}  # each output's last warning or error

    def on_event(event: OutputEvent) -> None:
        if event.level is not Level.INFO:
            last[event.output] = event
        line = f"{event.level.value}: {event}" if event.level is not Level.INFO else str(event)
        if bar is not None:
            bar.write(line, file=sys.stderr)
        else:
            print(line, file=sys.stderr, flush=True)

    def on_tick(frames: int) -> None:
        if bar is not None and frames // rate > shown[0]:
            bar.update(frames // rate - shown[0])
            shown[0] = frames // rate

    try:
        station.play(signals.stop, on_event, on_tick)
    finally:
        if bar is not None:
            bar.close()
        station.close()
        for event in station.events():
            on_event(event)
    how = "" if signals.received is None else \
        f" (stopped by {signal.Signals(signals.received).name})"
    print(f"broadcast {name}: {station.frames / rate:.1f} s of audio{how}", file=sys.stderr)
    silent = [o for o in station.outputs if o.delivered == 0]
    for output in silent:
        problem = last.get(output.name)
        print(f"soundscape: broadcast {name}: {output.name} never delivered audio"
              + (f" (last: {problem.message})" if problem else ""), file=sys.stderr)
    if all(o.failed for o in station.outputs):  # for good: e.g. a wrong password
        raise SoundscapeError("every output failed: " + "; ".join(
            str(last[o.name]) for o in station.outputs if o.name in last))
    if len(silent) == len(station.outputs):
        print(f"soundscape: broadcast {name}: no output delivered any audio",
              file=sys.stderr)
        return NOTHING_DELIVERED
    return 0
