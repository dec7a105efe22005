"""``soundscape analyze SCENE``: measure a scene as an author would, without a browser.

The scene is rendered in memory (nothing is written but what is asked for) for
``--duration`` (default: one full phase cycle or 5 minutes, whichever is longer, at
most an hour) and measured (:mod:`soundscape.analyze`): per-layer loudness in the
mix, inaudible / dominant / never-firing layers, LRA and short-term range, event
counts and gaps, clicks, repetition (of the mix, and the share of each bed's 5 s
windows that replay earlier output: :mod:`soundscape.repetition`).

Output: the text report on stdout; ``--json FILE`` writes the analysis as JSON
(``--json -`` prints it on stdout instead of the text report); ``--plot FILE.png``
draws loudness over time per layer with phases and events (also .svg or .pdf).
Warnings go to the report (and to stderr with ``--quiet``).

Exit status: 0 when the scene was analysed, warnings or not; 1 with ``--strict``
when there is any warning (for CI); 2 for an error (bad scene, duration or path).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from tqdm import tqdm

from ..analyze import MAX_SECONDS, analyze, default_seconds, format_analysis
from ..bank import SegmentBank, default_bank_dir
from ..errors import UsageError
from ..probe import check_scene_files
from ..render import write_text_atomically
from ..scene import load_scene
from ..units import format_duration
from ._cli import Preparing, check_seed, duration

PLOT_FORMATS = (".png", ".svg", ".pdf")


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "analyze",
        help="measure a scene: loudness per layer, events, clicks, repetition",
        description="Render SCENE in memory and report per-layer loudness in the mix, "
                    "inaudible or dominant layers, loudness range, event counts and "
                    "gaps, clicks and repetition (the mix's, and the share of each "
                    "bed's 5 s windows that replay earlier output). Exit 0 when "
                    "analysed (1 with --strict and any warning, 2 on an error).",
    )
    p.add_argument("scene", type=Path, help="scene file (.toml)")
    p.add_argument("--duration", "-d", default=None,
                   help="length to analyse: 90s, 10m, 1h (default: one phase cycle or "
                        f"5 minutes, whichever is longer, at most {MAX_SECONDS / 3600:g} h)")
    p.add_argument("--seed", type=int, default=None, help="arrangement seed (default: scene's)")
    p.add_argument("--json", default=None, metavar="FILE",
                   help="write the analysis as JSON to FILE ('-': to stdout, instead of "
                        "the text report)")
    p.add_argument("--plot", type=Path, default=None, metavar="FILE.png",
                   help="draw loudness over time per layer, phases and events (.png, "
                        ".svg or .pdf)")
    p.add_argument("--strict", action="store_true", help="exit 1 when there is any warning")
    p.add_argument("--bank", type=Path, default=None,
                   help=f"segment bank folder (default {default_bank_dir()})")
    p.add_argument("--quiet", "-q", action="store_true",
                   help="no progress bar or report (warnings still go to stderr)")
    p.set_defaults(func=run)


def _seconds(text: str | None, scene_default: float) -> float:
    if text is None:
        return scene_default
    seconds = duration(text, "--duration")
    if seconds < 1:
        raise UsageError(f"--duration: {text!r} is too short (at least 1s)")
    if seconds > MAX_SECONDS:
        raise UsageError(f"--duration: {text!r} is longer than the most analyse takes "
                         f"({format_duration(MAX_SECONDS)})")
    return seconds


def _check_writable(flag: str, path: Path) -> None:
    """Fail before any synthesis when ``path`` cannot be written."""
    parent = path.parent if str(path.parent) else Path(".")
    if path.is_dir() or not parent.is_dir():
        raise UsageError(f"{flag}: cannot write {path} (no such folder, or a folder)")


def run(args: argparse.Namespace) -> int:
    check_seed(args.seed)
    if args.plot is not None:
        if args.plot.suffix.lower() not in PLOT_FORMATS:
            raise UsageError(f"--plot: {str(args.plot)!r} must end in "
                             f"{', '.join(PLOT_FORMATS)}")
        _check_writable("--plot", args.plot)
    json_path = None if args.json in (None, "-") else Path(args.json)
    if json_path is not None:
        _check_writable("--json", json_path)
    scene = load_scene(args.scene)
    seconds = _seconds(args.duration, default_seconds(scene))
    check_scene_files(scene)  # unusable audio files: fail before any synthesis
    rate = scene.master.sample_rate
    bank = SegmentBank(args.bank) if args.bank else SegmentBank()
    quiet = args.quiet
    prep = Preparing(len(scene.layers), quiet)
    bar: tqdm | None = None
    last = [0]

    def progress(done: int) -> None:
        nonlocal bar
        if quiet:
            return
        if bar is None:
            prep.close()
            bar = tqdm(total=round(seconds), unit="s", desc=f"analysing {scene.name}",
                       file=sys.stderr, mininterval=0.5, leave=False,
                       bar_format="{l_bar}{bar}| {n:.0f}/{total:.0f} s of audio "
                                  "[{elapsed}<{remaining}]")
        bar.update((done - last[0]) / rate)
        last[0] = done

    try:
        analysis = analyze(scene, seconds, bank, seed=args.seed, progress=progress,
                           prepare=prep.step)
    finally:
        prep.close()
        if bar is not None:
            bar.close()
    if args.plot is not None:
        from ..analyzeplot import save_plot  # matplotlib only when a plot is asked for

        save_plot(analysis, args.plot)
    text = json.dumps(analysis, indent=1) + "\n"
    if json_path is not None:
        write_text_atomically(json_path, text, "the analysis")
    if args.json == "-":
        sys.stdout.write(text)
    elif not quiet:
        print(format_analysis(analysis))
    if quiet or args.json == "-":
        for line in analysis["warnings"]:
            print(f"warning: {line}", file=sys.stderr)
    return 1 if args.strict and analysis["warnings"] else 0
