"""Thin entry point: ``python server.py [flags]`` is ``soundscape serve [flags]``."""

import sys

from soundscape.cli import main

if __name__ == "__main__":
    sys.exit(main(["serve", *sys.argv[1:]]))
