"""``soundscape render SCENE --duration DUR -o OUT``: an hour-long file, streamed."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
from tqdm import tqdm

from ..bank import SegmentBank, default_bank_dir
from ..errors import UsageError
from ..graph import build_graph
from ..graph.meter import OutputMeter, sample_stride
from ..probe import check_scene_files
from ..render import (
    Speedometer,
    for_output,
    output_format,
    prepare_output,
    render_file,
    write_text_atomically,
)
from ..report import build_report, format_report
from ..scene import load_scene
from ..timeline import Timeline
from ._cli import Preparing, check_seed, duration


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "render",
        help="render a scene to an audio file",
        description="Render SCENE to OUT (wav, flac, ogg, opus or mp3) for exactly DUR.",
    )
    p.add_argument("scene", type=Path, help="scene file (.toml)")
    p.add_argument("--duration", "-d", required=True, help="length: 90s, 10m, 1h30m, 2h")
    p.add_argument("-o", "--output", required=True, type=Path, help="output file")
    p.add_argument("--seed", type=int, default=None, help="arrangement seed (default: scene's)")
    p.add_argument("--fade-out", default="0s", help="fade at the end, e.g. 30s (default none)")
    p.add_argument("--only", default=None, help="render just these layers: rain,thunder")
    p.add_argument("--bit-depth", type=int, choices=(16, 24, 32), default=None,
                   help="wav/flac sample format (default: flac 16, wav 24)")
    p.add_argument("--bank", type=Path, default=None,
                   help=f"segment bank folder (default {default_bank_dir()})")
    p.add_argument("--force", action="store_true", help="overwrite OUT if it exists")
    p.add_argument("--report", type=Path, default=None, metavar="FILE",
                   help="also write the render report (sources, loudness, warnings) as JSON")
    p.add_argument("--events", type=Path, default=None, metavar="FILE",
                   help="write every event and phase boundary as JSON lines (a cue sheet)")
    p.add_argument("--quiet", "-q", action="store_true",
                   help="no progress bar or report (warnings are still printed)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    seconds = duration(args.duration, "--duration")
    if seconds <= 0:
        raise UsageError(f"--duration: {args.duration!r} must be longer than zero")
    fade_out = duration(args.fade_out, "--fade-out")
    if fade_out > seconds:
        raise UsageError(f"--fade-out: {args.fade_out!r} is longer than --duration")
    check_seed(args.seed)
    scene = for_output(load_scene(args.scene), args.output)  # lossy: more headroom
    check_scene_files(scene)  # unusable audio files: fail before any synthesis
    rate = scene.master.sample_rate
    output_format(args.output, rate, args.bit_depth)  # fail before any synthesis
    if args.output.exists() and not args.force:
        raise UsageError(f"{args.output} already exists (use --force to overwrite it)")
    prepare_output(args.output)  # an unwritable folder fails now, not after synthesis
    only = [n.strip() for n in args.only.split(",") if n.strip()] if args.only else None
    total = int(round(seconds * rate))
    bank = SegmentBank(args.bank) if args.bank else SegmentBank()
    quiet = args.quiet
    prep = Preparing(len(scene.layers), quiet)
    for flag, path in (("--report", args.report), ("--events", args.events)):
        if path is not None and (path.is_dir() or not (path.parent or Path(".")).is_dir()):
            raise UsageError(f"{flag}: cannot write {path} (no such folder, or a folder)")
    graph = build_graph(scene, bank, seed=args.seed, only=only, total_frames=total,
                        fade_out=fade_out, progress=prep.step, meter=True)
    timeline = Timeline(graph, total)
    out_meter = OutputMeter(rate)
    out_meter.stride = sample_stride(-(-total // rate))  # blocks of `rate` frames
    for layer_meter in graph.meters.values():
        layer_meter.stride = out_meter.stride

    def pull(frames: int) -> np.ndarray:
        block = graph.pull(frames)
        out_meter.feed(block)
        timeline.collect()
        return block

    prep.close()
    speed = Speedometer(rate)
    bar = None if quiet else tqdm(
        total=round(seconds), unit="s", desc=f"rendering {args.output.name}", file=sys.stderr,
        bar_format=(
            "{l_bar}{bar}| {n:.0f}/{total:.0f} s of audio [{elapsed}<{remaining}{postfix}]"
        ),
        mininterval=0.5,
    )

    last = [0.0]

    def progress(done: int) -> None:
        if bar is not None:
            bar.set_postfix_str(f"{speed.ratio(done):.0f}x realtime", refresh=False)
            bar.update(done / rate - last[0])
            last[0] = done / rate

    try:
        render_file(pull, total, rate, args.output, force=args.force,
                    bit_depth=args.bit_depth, progress=progress)
    except KeyboardInterrupt:
        if bar is not None:
            bar.close()
            bar = None
        print(f"soundscape: interrupted; nothing was written to {args.output}", file=sys.stderr)
        raise
    finally:
        if bar is not None:
            bar.close()
    report = build_report(graph, out_meter, str(args.output), seconds, only,
                          events=timeline.counts())
    if args.events is not None:
        timeline.write_jsonl(args.events)
    if args.report is not None:
        write_text_atomically(args.report, json.dumps(report, indent=1) + "\n", "the report")
    if not args.quiet:
        print(format_report(report), file=sys.stderr)
    else:
        for line in report["warnings"]:
            print(f"warning: {line}", file=sys.stderr)
    if not report["ok"]:
        print(f"soundscape: {args.output} was written but is silent: nothing in it can "
              "be heard (see the warnings above)", file=sys.stderr)
        return 3
    if not args.quiet:
        print(
            f"wrote {args.output} ({seconds:g} s, {rate} Hz stereo, "
            f"{speed.ratio(total):.0f}x realtime)",
            file=sys.stderr,
        )
    return 0
