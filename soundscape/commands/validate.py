"""``soundscape validate FILE...``: exit 0 when every scene file is valid.

Warnings (bed files too short to play as they are) go to stderr and do not change
the exit status.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..errors import SceneError
from ..filesource import short_clip_warnings
from ..scene import load_scene


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("validate", help="check scene files",
                              description="Check scene files; list every problem found.")
    p.add_argument("files", nargs="+", type=Path, help="scene files (.toml)")
    p.add_argument("--quiet", "-q", action="store_true", help="print problems only")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    bad = 0
    for path in args.files:
        try:
            scene = load_scene(path)
        except SceneError as exc:
            bad += 1
            print(str(exc), file=sys.stderr)
            continue
        for line in short_clip_warnings(scene):
            print(f"warning: {line}", file=sys.stderr)
        if not args.quiet:
            print(f"{path}: ok ({len(scene.layers)} layers, {len(scene.phases)} phases)")
    return 1 if bad else 0
