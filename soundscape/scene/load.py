"""Reading a scene: a file or text in memory -> a Scene, or one SceneError.

Total: whatever the file holds (any bytes, huge numbers, deep nesting, long strings,
10,000 layers), loading ends quickly in a Scene or a SceneError, never another
exception. Size, encoding and TOML syntax are checked here; the fields by
:func:`soundscape.scene.parse.parse_scene`.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from ..errors import Problem, SceneError
from ..scenefields import MAX_SCENE_BYTES
from .check import short_path
from .lines import quote
from .model import Scene
from .parse import parse_scene

# the marker of an unexpected exception turned into a SceneError (a bug to report)
INTERNAL_ERROR = "internal error while checking the scene (please report it)"


def load_scene(path: str | Path) -> Scene:
    """Read and validate a scene file; raises SceneError naming every problem.

    Never raises anything else: a file that is too big, not UTF-8, not TOML (or TOML
    that Python cannot hold: numbers over 4,300 digits, nesting deeper than the
    recursion limit) is a SceneError, and so, as a last resort marked
    ``INTERNAL_ERROR``, is any unexpected exception while checking it.
    """
    path = Path(path)
    name = short_path(path)
    try:
        with path.open("rb") as f:
            raw = f.read(MAX_SCENE_BYTES + 1)
    except FileNotFoundError:
        raise SceneError(name, ["file not found"]) from None
    except (OSError, ValueError) as exc:  # ValueError: a NUL in the path
        raise SceneError(name, [f"cannot read: {getattr(exc, 'strerror', None) or exc}"]
                         ) from None
    if len(raw) > MAX_SCENE_BYTES:
        raise SceneError(name, [f"the file is over {MAX_SCENE_BYTES} bytes; a scene file "
                                f"is at most {MAX_SCENE_BYTES >> 10} KiB"])
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise SceneError(name, [Problem("", line, f"cannot read: not UTF-8 text "
                                                  f"({exc.reason} at byte {exc.start})")]
                         ) from None
    return scene_from_text(text, path)


_TOML_AT = re.compile(r" \(at line (\d+), column \d+\)$")


def scene_from_text(text: str, path: Path) -> Scene:
    """Validate scene ``text`` held in memory as if it were the file at ``path``.

    Relative ``files`` resolve beside ``path`` (which need not exist); messages name
    ``path``. Raises SceneError, never anything else, exactly like :func:`load_scene`.
    """
    path = Path(path)
    name = short_path(path)
    if not isinstance(text, str):
        raise SceneError(name, [f"the scene is {type(text).__name__}, not text"])
    if len(text.encode("utf-8", "surrogatepass")) > MAX_SCENE_BYTES:
        raise SceneError(name, [f"the text is over {MAX_SCENE_BYTES} bytes; a scene file "
                                f"is at most {MAX_SCENE_BYTES >> 10} KiB"])
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        at = _TOML_AT.search(message)
        line = int(at.group(1)) if at else None
        raise SceneError(name, [Problem("", line, f"not valid TOML: {message}")]) from None
    except ValueError as exc:  # int(): "Exceeds the limit (4300 digits) ..."
        raise SceneError(name, [f"not valid TOML: a number has too many digits ({exc})"
                                [:200]]) from None
    except RecursionError:
        raise SceneError(name, ["not valid TOML: arrays or tables nested too deeply"]
                         ) from None
    try:
        return parse_scene(data, path, text)
    except SceneError:
        raise
    except Exception as exc:  # a bug here must still not be a traceback for the user
        raise SceneError(name, [f"{INTERNAL_ERROR}: {type(exc).__name__}: {quote(str(exc))}"]
                         ) from exc
