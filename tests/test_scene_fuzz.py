"""Fuzzing the scene loader: ``load_scene`` returns a Scene or raises SceneError, nothing else.

Seeds are the shipped scenes and the TOML examples in ``docs/scenes.md``. Two kinds of
mutation: at the TOML-value level (a value replaced by a hostile one: huge integers,
NaN/inf, deep nesting, wrong types, unicode, very long strings, long lists; keys
deleted or added; lists multiplied) and at the byte level (random insertions, deletions
and hostile snippets: 5,000-digit numbers, 3,000 open brackets, invalid UTF-8).

Each test runs ``FUZZ_EXAMPLES`` examples (300 by default, about 10 s each). For a long
run outside CI: ``SOUNDSCAPE_FUZZ_EXAMPLES=10000 pytest tests/test_scene_fuzz.py``.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import tomllib
import traceback
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from soundscape.errors import SceneError
from soundscape.scene import INTERNAL_ERROR, load_scene

ROOT = Path(__file__).resolve().parent.parent
FUZZ_EXAMPLES = int(os.environ.get("SOUNDSCAPE_FUZZ_EXAMPLES", "300"))
MAX_MESSAGE = 64 * 1024  # a message quotes values shortened: it never grows with the input


def _seed_texts() -> list[str]:
    texts = [p.read_text() for p in sorted((ROOT / "scenes").glob("*.toml"))]
    docs = (ROOT / "docs" / "scenes.md").read_text()
    for block in re.findall(r"```toml\n(.*?)```", docs, flags=re.S):
        try:
            tomllib.loads(block)
        except tomllib.TOMLDecodeError:
            continue  # a fragment, e.g. a single [[phases]] table
        texts.append(block)
    return texts


SEED_TEXTS = _seed_texts()
SEED_DATA = [tomllib.loads(t) for t in SEED_TEXTS]


# -- a small TOML writer (everything inline, so any tree can be written) --------------
def _toml_string(text: str) -> str:
    out = []
    for ch in text:
        if ch in '"\\':
            out.append("\\" + ch)
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value != value:
            return "nan"
        if value in (float("inf"), float("-inf")):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, str):
        return _toml_string(value)
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_toml_string(k)} = {_toml_value(v)}"
                               for k, v in value.items()) + "}"
    raise TypeError(type(value))


def toml_text(data: dict[str, Any]) -> str:
    return "".join(f"{_toml_string(k)} = {_toml_value(v)}\n" for k, v in data.items())


# -- hostile values ------------------------------------------------------------------
def _nested(depth: int, leaf: Any, table: bool) -> Any:
    value = leaf
    for _ in range(depth):
        value = {"a": value} if table else [value]
    return value


LONG_STRINGS = st.sampled_from([
    "x" * 300, "x" * 5000, "é" * 20000, "a" * 100_000, "~/" + "d/" * 2000 + "f.wav",
    "a" * 300 + ".wav", "/" + "a" * 5000 + ".wav", "\x00.wav", "../" * 100 + "x.wav",
    "~nosuchuser/x.wav", "~/x.wav", "1" * 400 + "h", "9" * 5000 + "ms", "1h1h", "-5s",
    "50ms", "0s", "nan", "infs", "1e999", " ", "", "\U0001F600" * 100,
])
HUGE_INTS = st.sampled_from([
    2**31, 2**32, 2**63, 2**64, -(2**63) - 1, 10**308, 10**309, -(10**400), 10**4000,
])
SCALARS = st.one_of(
    st.integers(), HUGE_INTS,
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([float("nan"), float("inf"), float("-inf"), 1e308, -1e308, 5e-324]),
    st.booleans(),
    st.text(max_size=30),
    LONG_STRINGS,
    st.sampled_from([dt.date(1979, 5, 27), dt.time(7, 32),
                     dt.datetime(1979, 5, 27, 7, 32, tzinfo=dt.UTC)]),
)
SHORT = st.one_of(st.integers(), st.floats(), st.booleans(), st.text(max_size=10))
HOSTILE = st.one_of(
    SCALARS,
    st.lists(SCALARS, max_size=4),
    st.dictionaries(st.text(max_size=8), SCALARS, max_size=4),
    st.builds(_nested, st.integers(1, 400), SCALARS, st.booleans()),
    # long lists of short values only: the file stays around a megabyte at most
    st.builds(lambda v, n: [v] * n, SHORT, st.sampled_from([3, 100, 1000, 20000])),
)
MAX_TEXT = 2_000_000  # characters a mutation may grow the file to


def _slots(tree: Any, out: list[tuple[Any, Any]]) -> list[tuple[Any, Any]]:
    """Every (container, key) pair in ``tree``, depth first."""
    items = tree.items() if isinstance(tree, dict) else enumerate(tree)
    for key, value in list(items):
        out.append((tree, key))
        if isinstance(value, (dict, list)):
            _slots(value, out)
    return out


@st.composite
def value_mutations(draw: st.DrawFn) -> str:
    """A seed scene with 1-3 values replaced, deleted, added or multiplied, as TOML."""
    import copy

    data = copy.deepcopy(draw(st.sampled_from(SEED_DATA)))
    for _ in range(draw(st.integers(1, 3))):
        slots = _slots(data, [])
        action = draw(st.sampled_from(["replace", "replace", "delete", "add", "multiply"]))
        if action == "add" or not slots:
            tables = [data] + [c[k] for c, k in slots if isinstance(c[k], dict)]
            table = draw(st.sampled_from(tables))
            key = draw(st.one_of(st.text(max_size=12), st.sampled_from([
                "gain_db", "interval", "files", "rate_per_min", "phases", "layers", "seed",
                "prompt", "params", "breathing", "x" * 5000])))
            table[key] = draw(HOSTILE)
            continue
        container, key = slots[draw(st.integers(0, len(slots) - 1))]
        if action == "replace":
            container[key] = draw(HOSTILE)
        elif action == "delete":
            del container[key]
        else:  # multiply: the value's container, or the value itself, made long
            target = container[key]
            size = len(_toml_value(target)) + 2
            n = min(draw(st.sampled_from([2, 65, 300, 2000])), max(2, MAX_TEXT // size))
            if isinstance(target, list) and target:
                container[key] = (target * (n // len(target) + 1))[: max(n, len(target))]
            elif isinstance(container, list):
                container.extend([container[key]] * n)
            else:
                container[key] = [target] * n
    return toml_text(data)


SNIPPETS = [
    b"9" * 5000, b"[" * 3000, b"{a=" * 3000, b"nan", b"inf", b"-inf", b"1e999", b"\xff\xfe",
    b"\x00", "\u00e9".encode(), "\U0001F600".encode(), b'"' + b"s" * 50_000 + b'"', b"\n[[layers]]\n",
    b"\n[[phases]]\n", b"\n[master]\n", b"~/", b'"', b"'", b"=", b"]", b"\n",
    b"\ngain_db = 1" + b"0" * 4400 + b"\n", b"\nx = " + b"[" * 2000 + b"]" * 2000 + b"\n",
    b"\nseed = 99999999999999999999999999\n", b'\nfiles = ["' + b"a" * 300 + b'.wav"]\n',
    b'\ninterval = ["50ms", "50ms"]\n', b"\ngain_db = nan\n", b"\npan = [inf, -inf]\n",
]


@st.composite
def byte_mutations(draw: st.DrawFn) -> bytes:
    """A seed scene's bytes with 1-4 random insertions, deletions or hostile snippets."""
    text = bytearray(draw(st.sampled_from(SEED_TEXTS)).encode())
    for _ in range(draw(st.integers(1, 4))):
        pos = draw(st.integers(0, len(text)))
        action = draw(st.sampled_from(["insert", "delete", "snippet", "snippet", "line"]))
        if action == "insert":
            text[pos:pos] = draw(st.binary(min_size=1, max_size=8))
        elif action == "delete":
            text[pos : pos + draw(st.integers(1, 40))] = b""
        elif action == "snippet":
            text[pos:pos] = draw(st.sampled_from(SNIPPETS))
        else:  # a whole line `key = value` after a random line break
            nl = text.rfind(b"\n", 0, pos) + 1
            key = draw(st.sampled_from([b"gain_db", b"interval", b"files", b"rate_per_min",
                                        b"seed", b"pan", b"min_gap", b"variants", b"name"]))
            value = _toml_value(draw(HOSTILE)).encode()
            text[nl:nl] = key + b" = " + value + b"\n"
    return bytes(text)


# -- the property --------------------------------------------------------------------
def failure(path: Path) -> str | None:
    """None when ``load_scene(path)`` gives a Scene or a proper SceneError; else what
    went wrong (the exception type and where it was raised, or the bad message)."""
    try:
        load_scene(path)
    except SceneError as exc:
        message = str(exc)
        if INTERNAL_ERROR in message:
            return message[:2000]
        if len(message) > MAX_MESSAGE:
            return f"a {len(message)}-character message"
        return None
    except RecursionError:
        return "RecursionError"
    except Exception as exc:
        frame = traceback.extract_tb(exc.__traceback__)[-1]
        return f"{type(exc).__name__} at {Path(frame.filename).name}:{frame.lineno}: {exc}"[:500]
    return None


FUZZ = settings(max_examples=FUZZ_EXAMPLES, deadline=None, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                       HealthCheck.large_base_example])


@pytest.fixture(scope="module")
def scene_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # in scenes/-like folder next to nothing: relative files do not exist
    return tmp_path_factory.mktemp("fuzz") / "fuzzed.toml"


def test_the_seeds_are_valid_toml() -> None:
    assert len(SEED_TEXTS) >= 9  # 8 shipped scenes and the docs' complete example


@FUZZ
@given(text=value_mutations())
def test_value_mutations_give_a_scene_or_a_scene_error(scene_path: Path, text: str) -> None:
    scene_path.write_text(text, encoding="utf-8")
    assert failure(scene_path) is None


@FUZZ
@given(data=byte_mutations())
def test_byte_mutations_give_a_scene_or_a_scene_error(scene_path: Path, data: bytes) -> None:
    scene_path.write_bytes(data)
    assert failure(scene_path) is None


@pytest.mark.parametrize("text", [
    "x = " + "[" * 5000 + "]" * 5000,
    "x = " + "{a=" * 3000 + "1" + "}" * 3000,
    "[master]\nseed = " + "9" * 5000,
    "[[layers]]\nname='a'\ntype='bed'\nrecipe='rain'\ngain_db = " + "1" * 400,
    "[[layers]]\nname='a'\ntype='bed'\nrecipe='rain'\ncrossfade = " + "1" * 400,
    "[[layers]]\nname='a'\ntype='bed'\nrecipe='rain'\nparams = {intensity = " + "1" * 400 + "}",
    "[[layers]]\nname='e'\ntype='event'\nrecipe='drip'\ninterval = [1, " + "1" * 400 + "]",
    "[[layers]]\nname='a'\ntype='bed'\nfiles = ['" + "a" * 300 + ".wav']",
    "[[layers]]\nname='a'\ntype='bed'\nfiles = ['" + "a/" * 3000 + "x.wav']",
    "[[layers]]\nname='a'\ntype='bed'\nfiles = ['~nosuchuser12345/x.wav']",
    "[[layers]]\nname='a'\ntype='bed'\nfiles = ['\\u0000.wav']",
])
def test_known_crashes_are_scene_errors(tmp_path: Path, text: str) -> None:
    path = tmp_path / "s.toml"
    path.write_text(text)
    assert failure(path) is None
    with pytest.raises(SceneError):
        load_scene(path)


def test_a_too_long_scene_path_is_a_scene_error(tmp_path: Path) -> None:
    for name in ("a" * 300 + ".toml", "a/" * 3000 + "s.toml"):
        with pytest.raises(SceneError, match="cannot read"):
            load_scene(tmp_path / name)
