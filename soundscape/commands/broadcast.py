"""``soundscape broadcast SCENE``: play one scene in real time into Icecast and/or HLS.

One mixer and one encoder per format serve any number of listeners: Icecast relays
and CDNs in front of the HLS folder do the fan-out. Runs until Ctrl-C or SIGTERM (or
for ``--duration``), printing what each output does; an output that fails is
named, and the command exits with status 2 when every output has failed.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from pathlib import Path
from types import FrameType

from tqdm import tqdm

from ..bank import SegmentBank, default_bank_dir
from ..errors import SoundscapeError, UsageError
from ..graph import build_graph
from ..graph.switch import Fallback, PinkBed
from ..outputs import ICECAST_FORMATS, Level, OutputEvent, Station, make_outputs
from ..outputs.icecast import IcecastTarget, parse_icecast_url
from ..probe import check_scene_files
from ..render import lossy_headroom
from ..scene import load_scene
from ..units import parse_duration


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "broadcast", help="stream one scene live to Icecast and/or as HLS",
        description="Play SCENE in real time as a live source for Icecast 2.4 (Ogg/Opus "
                    "and MP3 mounts) and/or a rolling HLS stream (AAC and Opus in fMP4) "
                    "that any static web server or CDN can serve.",
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
    segment = _duration(args.hls_segment, "--hls-segment")
    if not 2 <= segment <= 6:
        raise UsageError(f"--hls-segment: {args.hls_segment!r} is out of range 2s..6s")
    return targets, formats, segment


def _duration(text: str, flag: str) -> float:
    try:
        return parse_duration(text)
    except ValueError as exc:
        raise UsageError(f"{flag}: {exc}") from None


def run(args: argparse.Namespace) -> int:
    targets, formats, segment = output_flags(args)
    if not targets and args.hls is None:
        raise UsageError("give at least one output: --icecast URL and/or --hls DIR")
    seconds = None if args.duration is None else _duration(args.duration, "--duration")
    if seconds is not None and seconds <= 0:
        raise UsageError(f"--duration: {args.duration!r} must be longer than zero")
    if args.seed is not None and not 0 <= args.seed < 2**32:
        raise UsageError(f"--seed: {args.seed} is out of range 0..{2**32 - 1}")
    if args.bitrate is not None and not 32000 <= args.bitrate <= 320000:
        raise UsageError(f"--bitrate: {args.bitrate} is out of range 32000..320000")
    scene = load_scene(args.scene)
    check_scene_files(scene)
    rate = scene.master.sample_rate
    if rate != 48000:
        raise UsageError(f"{args.scene}: broadcasting needs master.sample_rate = 48000, "
                         f"not {rate}")
    outputs = make_outputs(scene, targets, formats, args.hls, segment, args.bitrate)
    bank = SegmentBank(args.bank) if args.bank else SegmentBank()
    prep = None if args.quiet else tqdm(total=len(scene.layers), desc="preparing",
                                        unit="layer", file=sys.stderr, leave=False)

    def step(name: str) -> None:
        if prep is not None:
            prep.set_postfix_str(name)
            prep.update(0 if prep.n >= prep.total else 1)

    # every output is lossy (Opus, MP3, AAC): more limiter headroom, as render gives them
    graph = build_graph(lossy_headroom(scene), bank, seed=args.seed, progress=step)
    if prep is not None:
        prep.close()
    chain = Fallback(graph, [PinkBed(graph.seed)])  # as the server plays a channel
    station = Station(chain.pull, rate, outputs)
    for output in outputs:
        print(f"broadcast {scene.name}: {output.name}", file=sys.stderr)
    stop = threading.Event()
    previous = _on_sigterm(stop)
    bar = None if args.quiet else tqdm(
        total=None if seconds is None else round(seconds), unit="s", file=sys.stderr,
        desc=f"broadcasting {scene.name}", mininterval=1.0,
        bar_format="{desc}: {n:.0f} s of audio [{elapsed}]" if seconds is None else None)
    shown = [0]
    failures: list[OutputEvent] = []

    def on_event(event: OutputEvent) -> None:
        if event.level is Level.ERROR:
            failures.append(event)
        line = f"{event.level.value}: {event}" if event.level is not Level.INFO else str(event)
        if bar is not None:
            bar.write(line, file=sys.stderr)
        else:
            print(line, file=sys.stderr, flush=True)

    def on_block(frames: int) -> None:
        if bar is not None and frames // rate > shown[0]:
            bar.update(frames // rate - shown[0])
            shown[0] = frames // rate

    total = None if seconds is None else int(round(seconds * rate))
    try:
        station.run(total, stop, on_event, on_block)
    except KeyboardInterrupt:
        pass
    finally:
        if bar is not None:
            bar.close()
        station.close()
        for event in station.events():
            on_event(event)
        _restore_sigterm(previous)
    done = station.frames / rate
    print(f"broadcast {scene.name}: {done:.1f} s of audio", file=sys.stderr)
    if outputs and all(o.failed for o in outputs):
        raise SoundscapeError("every output failed: " + "; ".join(str(e) for e in failures))
    return 0


def _on_sigterm(stop: threading.Event) -> object:
    def handler(signum: int, frame: FrameType | None) -> None:
        stop.set()

    try:
        return signal.signal(signal.SIGTERM, handler)
    except ValueError:  # not the main thread (tests calling run() from a thread)
        return None


def _restore_sigterm(previous: object) -> None:
    if previous is None:
        return
    try:
        signal.signal(signal.SIGTERM, previous)  # type: ignore[arg-type]
    except (ValueError, TypeError):
        pass
