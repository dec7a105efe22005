"""``soundscape scenes [DIR]``: list the scenes in a folder."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..errors import SceneError
from ..scene import load_scene


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("scenes", help="list scenes in a folder")
    p.add_argument("folder", nargs="?", type=Path, default=Path("scenes"))
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    files = sorted(args.folder.glob("*.toml"))
    if not files:
        print(f"no scenes in {args.folder}", file=sys.stderr)
        return 1
    for path in files:
        try:
            scene = load_scene(path)
        except SceneError as exc:
            print(f"{path.name}: invalid ({len(exc.problems)} problems)", file=sys.stderr)
            continue
        layers = ", ".join(layer.name for layer in scene.layers)
        print(f"{path.stem:20} {scene.title}: {scene.description}  [{layers}]")
    return 0
