"""``soundscape validate FILE...``: exit 0 when every scene file is valid.

A scene is valid when the file is (every field checked by ``load_scene``) and every
audio file it names can be played: decoded once, block by block, and checked for
length, channels, sample rate and damage (``probe.probe_scene_files``).
``--no-audio`` skips that decoding. Warnings (bed files too short to play as they
are) go to stderr and do not change the exit status.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..errors import SceneError
from ..filesource import short_clip_warnings
from ..probe import probe_scene_files
from ..scene import load_scene


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("validate", help="check scene files",
                              description="Check scene files and the audio files they "
                                          "name; list every problem found.")
    p.add_argument("files", nargs="+", type=Path, help="scene files (.toml)")
    p.add_argument("--quiet", "-q", action="store_true", help="print problems only")
    p.add_argument("--no-audio", action="store_true",
                   help="check the scene files only, without decoding their audio files")
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
        problems = [] if args.no_audio else probe_scene_files(scene)
        if problems:
            bad += 1
            noun = "file" if len(problems) == 1 else "files"
            print(f"{path}: {len(problems)} unusable audio {noun}:", file=sys.stderr)
            for line in problems:
                print(f"  - {line}", file=sys.stderr)
            continue
        for line in short_clip_warnings(scene):
            print(f"warning: {line}", file=sys.stderr)
        if not args.quiet:
            print(f"{path}: ok ({len(scene.layers)} layers, {len(scene.phases)} phases)")
    return 1 if bad else 0
