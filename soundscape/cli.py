"""The ``soundscape`` command. User errors print one clear message, never a traceback."""

from __future__ import annotations

import argparse
import importlib
import logging
import sys

from . import __version__
from .errors import SoundscapeError

COMMANDS = ("render", "validate", "analyze", "scenes", "new", "studio", "schema", "recipes",
            "generate", "serve", "broadcast", "bank")


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="soundscape", description="Endless, seamless ambient sound."
    )
    p.add_argument("--version", action="version", version=f"soundscape {__version__}")
    p.add_argument("--verbose", "-v", action="store_true", help="debug logging")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for name in COMMANDS:
        try:
            module = importlib.import_module(f".commands.{name}", __package__)
        except ModuleNotFoundError as exc:
            if exc.name and exc.name.startswith("soundscape.commands"):
                continue  # command not part of this build
            raise
        module.add_parser(sub)
    return p


def main(argv: list[str] | None = None) -> int:
    try:  # importing the commands takes a moment: Ctrl-C then is no traceback either
        args = parser().parse_args(argv)
    except KeyboardInterrupt:
        print("soundscape: interrupted", file=sys.stderr)
        return 130
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    try:
        return int(args.func(args) or 0)
    except SoundscapeError as exc:
        print(f"soundscape: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("soundscape: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 1


if __name__ == "__main__":
    sys.exit(main())
