"""``soundscape new DESCRIPTION -o FILE``: a starting scene from words.

The scene text comes from :func:`soundscape.wordscene.scene_text_from_words` (a
keyword/synonym table). With ``--clap`` and the ``[gen]`` extra, a CLAP text model
found offline (:mod:`soundscape.clapmatch`) adds recipes for words the table misses.
The file is written through :func:`soundscape.atomic.atomic_path` (a temporary file
beside it, flushed, then linked into place without ``--force``), so an existing file
is never replaced without ``--force`` (not even by a race) and a failure leaves
nothing half-written; then it is loaded back as any scene is.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from ..atomic import atomic_path
from ..errors import RenderError, SceneError, UsageError
from ..scene import load_scene
from ..wordscene import scene_text_from_words


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "new",
        help="write a starting scene from a description in words",
        description=(
            "Write a commented scene file from DESCRIPTION, e.g. \"rain on a tent with "
            "distant thunder and an owl\". Words it does not understand are listed at "
            "the top of the file; negation (\"no thunder\") is not understood."
        ),
    )
    p.add_argument("description", help="what the scene should sound like (in quotes)")
    p.add_argument("-o", "--output", type=Path, default=None,
                   help="scene file to write (.toml); required unless --print")
    p.add_argument("--title", default=None, help="the scene's title (default: the words)")
    p.add_argument("--seed", type=int, default=0, help="the scene's master.seed (default 0)")
    p.add_argument("--force", action="store_true", help="overwrite FILE if it exists")
    p.add_argument("--print", dest="print_", action="store_true",
                   help="print the scene to stdout (as well as writing it, with -o)")
    p.add_argument("--clap", action="store_true",
                   help="also rank recipes with a CLAP text model (the [gen] extra; a "
                        "local model from $SOUNDSCAPE_CLAP_MODEL or the Hugging Face "
                        "cache, never downloaded)")
    p.set_defaults(func=run)


def write_new_file(path: Path, text: str, *, force: bool) -> None:
    """Write ``text`` to ``path`` atomically (:mod:`soundscape.atomic`); without
    ``force`` an existing file is an error and is never replaced, not even one that
    appears while writing. RenderError/UsageError name the file."""
    exists = UsageError(f"{path} already exists (use --force to overwrite it)")
    if path.is_dir():
        raise UsageError(f"{path}: is a folder; give a file name such as {path / 'new.toml'}")
    if not force and path.exists():
        raise exists
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise RenderError(f"{path}: cannot write the scene: no such folder {folder}")
    try:
        with atomic_path(path, no_clobber=not force) as tmp:
            tmp.write_text(text, encoding="utf-8")
            os.chmod(tmp, _new_file_mode())  # a scene is the user's file, as any other
    except FileExistsError:
        raise exists from None
    except OSError as exc:
        raise RenderError(f"{path}: cannot write the scene: {exc.strerror or exc}") from None


def _new_file_mode() -> int:
    """The mode a new file gets here (0o666 less the umask): the temporary file the
    atomic writer makes is private, the scene should not be. (Reading the umask sets
    it for a moment: fine in this single-threaded command.)"""
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def run(args: argparse.Namespace) -> int:
    if args.output is None and not args.print_:
        raise UsageError("-o/--output: give the scene file to write (or --print)")
    if args.output is not None and args.output.suffix.lower() != ".toml":
        raise UsageError(f"-o/--output: {args.output} should end in .toml (a scene file)")
    extra: dict[str, str] = {}
    notes: list[str] = []
    if args.clap:
        from ..clapmatch import suggest_sounds

        extra, notes = suggest_sounds(args.description)
    text = scene_text_from_words(args.description, title=args.title, seed=args.seed,
                                 extra_sounds=extra, extra_notes=notes)
    if args.print_:
        sys.stdout.write(text)
    if args.output is None:
        return 0
    write_new_file(args.output, text, force=args.force)
    try:
        scene = load_scene(args.output)
    except SceneError as exc:  # a bug in the table: say so, keep the file to look at
        raise SceneError(exc.path, [*exc.problems, "(written by `soundscape new`: "
                                    "please report this description)"]) from None
    def count(n: int, noun: str) -> str:
        return f"{n} {noun}{'' if n == 1 else 's'}"

    kinds = [layer.kind for layer in scene.layers]
    phases = f", {count(len(scene.phases), 'phase')}" if scene.phases else ""
    print(f"wrote {args.output}: {count(kinds.count('bed'), 'bed')}, "
          f"{count(kinds.count('event'), 'event')}{phases} "
          f"({', '.join(layer.name for layer in scene.layers)})", file=sys.stderr)
    print(f"listen: soundscape render {args.output} -d 60s -o /tmp/{args.output.stem}.flac",
          file=sys.stderr)
    return 0
