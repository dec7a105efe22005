"""``soundscape schema [-o FILE]``: the JSON Schema of scene files.

Made from the same field tables the validator checks with
(:mod:`soundscape.scenefields`), so the two cannot disagree. Editors that read JSON
Schemas for TOML (taplo, VS Code's Even Better TOML) give completion, descriptions and
inline errors for a scene whose first line is ``#:schema ./scene.schema.json``; the
shipped copy is ``scenes/scene.schema.json``.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from ..atomic import atomic_path
from ..errors import RenderError
from ..scenefields import schema_text


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "schema", help="print the JSON Schema of scene files",
        description="Print (or write) the JSON Schema (draft-07) of scene files, for "
                    "editor completion and inline errors: put '#:schema ./scene.schema.json' "
                    "on the first line of a scene.")
    p.add_argument("-o", "--output", type=Path, metavar="FILE",
                   help="write the schema to FILE instead of printing it")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    text = schema_text()
    if args.output is None:
        sys.stdout.write(text)
        return 0
    write_text(args.output, text)
    print(f"wrote {args.output}", file=sys.stderr)
    return 0


def write_text(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` atomically (:mod:`soundscape.atomic`); RenderError
    naming the file when it cannot be written."""
    try:
        with atomic_path(path) as tmp:
            tmp.write_text(text, encoding="utf-8")
            os.chmod(tmp, 0o644)  # the temporary file is private; a schema is for everyone
    except OSError as exc:
        raise RenderError(f"{path}: cannot write: {exc.strerror or exc}") from None
