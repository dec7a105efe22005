"""Thin entry point: ``python server.py [flags]`` is ``soundscape serve [flags]``.

A taken port is one line naming it (exit 2); SIGINT and SIGTERM stop the server
cleanly (exit 0), and a Ctrl-C while Python is still importing exits 130 without a
traceback.
"""

import sys

if __name__ == "__main__":
    try:
        from soundscape.cli import main

        code = main(["serve", *sys.argv[1:]])
    except KeyboardInterrupt:
        print("soundscape: interrupted", file=sys.stderr)
        code = 130
    sys.exit(code)
