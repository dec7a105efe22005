"""``soundscape studio [SCENE_OR_DIR]``: edit a scene in the browser while it plays.

One command: the streaming server in studio mode on loopback serves /studio (the
page), builds only the scene being edited, and opens the browser. A folder lists
its scene files to pick from; a file that does not exist yet starts from a
minimal template.

Exit status as ``serve``: 0 after SIGINT or SIGTERM at any point, 2 for a bad
argument or a taken ``--port`` (one line naming it).
"""

from __future__ import annotations

import argparse
import os
import webbrowser
from dataclasses import replace
from pathlib import Path

from ..bank import default_bank_dir
from ..errors import UsageError
from ..server.config import ServerConfig

TEMPLATE = """\
#:schema ./scene.schema.json
# {title}: a new scene (soundscape studio). See docs/scenes.md for every field.
title = "{title}"
description = ""

[master]
loudness_lufs = -23.0
seed = 0

# A continuous bed: the ground of the scene.
[[layers]]
name = "bed"
type = "bed"
recipe = "noise"
params = {{ color = "pink" }}
gain_db = 0.0
"""


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "studio", help="edit a scene in the browser while it plays",
        description="Open the scene studio: every layer as a strip with meters, solo and "
                    "mute, a spectrogram, the timeline of upcoming events, triggers, and "
                    "the TOML, applied live and saved back with its comments.",
    )
    p.add_argument("scene", nargs="?", type=Path, default=Path("scenes"),
                   help="a scene file (created from a template if missing) or a folder "
                        "of scenes (default scenes)")
    p.add_argument("--port", type=int, default=0, help="TCP port (default 0: any free one)")
    p.add_argument("--bank", type=Path, default=None,
                   help=f"segment bank folder (default {default_bank_dir()})")
    p.add_argument("--from-words", metavar="DESCRIPTION", default=None,
                   help="a new scene file starts from these words (as `soundscape new`) "
                        "instead of the minimal template, e.g. \"rain on a tent, distant "
                        "thunder\"")
    p.add_argument("--no-browser", action="store_true",
                   help="print the URL but do not open a browser")
    p.add_argument("--token", default=None,
                   help="token the page must give (default: $SOUNDSCAPE_TOKEN, else none; "
                        "the studio listens on loopback only)")
    p.set_defaults(func=run)


def _target(path: Path, words: str | None = None) -> Path:
    """The file or folder to open; a missing .toml file is created from ``words``
    (soundscape.wordscene) or else from TEMPLATE."""
    if path.is_dir():
        return path.resolve()
    if path.exists():
        if path.suffix != ".toml":
            raise UsageError(f"{path}: a scene file ends in .toml")
        return path.resolve()
    if path.suffix != ".toml":
        raise UsageError(f"{path}: no such folder or scene file (a new scene file ends "
                         "in .toml)")
    if not path.parent.is_dir():
        raise UsageError(f"{path}: the folder {path.parent} does not exist")
    title = path.stem.replace("-", " ").replace("_", " ").strip().capitalize() or "New scene"
    if words is not None:
        from ..wordscene import scene_text_from_words

        text = scene_text_from_words(words, title=title)
    else:
        text = TEMPLATE.format(title=title.replace('"', "'"))
    with open(path, "x", encoding="utf-8") as f:  # never overwrite
        f.write(text)
    print(f"created {path} from " + ("your words" if words is not None else "the template"))
    return path.resolve()


def config_from_args(args: argparse.Namespace) -> ServerConfig:
    if not 0 <= args.port <= 65535:
        raise UsageError(f"--port: {args.port} is out of range 0..65535")
    target = _target(args.scene, args.from_words)
    token = args.token if args.token is not None else os.environ.get("SOUNDSCAPE_TOKEN") or None
    if token is not None and not 8 <= len(token) <= 256:
        raise UsageError("--token: use 8 to 256 characters")
    folder = target if target.is_dir() else target.parent
    # loopback only, no idle pausing, one mixer: it serves one author
    return replace(ServerConfig(), host="127.0.0.1", port=args.port, scenes=folder,
                   bank=args.bank, studio=target, token=token, mixers=1,
                   reload_interval_s=0.0, idle_pause_s=0.0, max_listeners=64)


def run(args: argparse.Namespace) -> int:
    from ..server.app import StreamServer
    from ..server.app import run as run_server

    config = config_from_args(args)

    def started(server: StreamServer) -> None:
        url = f"http://127.0.0.1:{server.port}/studio{server.studio_query()}"
        print(f"studio: {url}", flush=True)
        if not args.no_browser:
            webbrowser.open(url)

    # a taken port is a UsageError naming it; SIGINT/SIGTERM stop it at any point
    return run_server(config, started)
