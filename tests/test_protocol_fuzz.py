"""Fuzzing the control protocol: the parser alone (hypothesis), then a real websocket.

The parser's contract: whatever arrives, it returns a Control whose numbers are
finite and in range, or raises ProtocolError; nothing else escapes. The server's:
a bad message gets one error reply, every reply is strict JSON, and the connection
keeps streaming.
"""

from __future__ import annotations

import asyncio
import json
import math
import os
import random
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from websockets.asyncio.client import connect

from soundscape.server.protocol import (
    CONTROL_TYPES,
    MAX_GAIN_DB,
    MAX_SLEEP_S,
    MIN_GAIN_DB,
    Control,
    ProtocolError,
    dumps,
    parse_control,
)
from test_server_support import ServerProcess, tiny_scene

LIMIT = 4096


def strict_json(text: str):
    """json.loads that refuses NaN and Infinity (not JSON, though Python writes them)."""

    def refuse(name: str):
        raise ValueError(f"{name} is not JSON")

    return json.loads(text, parse_constant=refuse)


def check(raw: str | bytes) -> Control | ProtocolError:
    try:
        control = parse_control(raw, LIMIT)
    except ProtocolError as exc:
        assert exc.code and exc.message and len(exc.message) < 400
        strict_json(dumps({"type": "error", "code": exc.code, "message": exc.message}))
        return exc
    assert control.type in CONTROL_TYPES
    for value in (control.db, control.after, control.value, control.fade):
        assert value is None or (isinstance(value, float) and math.isfinite(value))
    if control.db is not None:
        assert MIN_GAIN_DB <= control.db <= MAX_GAIN_DB
    if control.after is not None:
        assert 0 <= control.fade <= control.after <= MAX_SLEEP_S
    if control.value is not None:
        assert 0 <= control.value <= 1
    if control.underruns is not None:
        assert 0 <= control.underruns <= 2**31
    strict_json(dumps({"type": "pong", "id": control.id}))  # an echoed id is valid JSON
    return control


huge_ints = st.sampled_from([10**400, -(10**400), 2**64, -(2**63), 2**53 + 1, 10**4000])
numbers = (st.integers() | huge_ints
           | st.floats(allow_nan=True, allow_infinity=True) | st.booleans() | st.none())
json_values = st.recursive(
    numbers | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner,
                                                                 max_size=4),
    max_leaves=12,
)
fields = st.sampled_from(["layer", "db", "muted", "after", "fade", "scene", "value", "id",
                          "underruns", "type"])
messages = st.builds(
    lambda kind, extra: {**extra, "type": kind},
    st.sampled_from(CONTROL_TYPES) | st.text(max_size=10),
    st.dictionaries(fields, json_values | st.sampled_from(["hiss", "tiny", ""]), max_size=4),
)


@settings(max_examples=600, deadline=None)
@given(messages)
def test_parser_takes_any_message_object(msg):
    check(json.dumps(msg))  # Python writes NaN/Infinity and huge ints as they are


@settings(max_examples=300, deadline=None)
@given(json_values)
def test_parser_takes_any_json_value(value):
    check(json.dumps(value))


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=6000) | st.text(max_size=3000))
def test_parser_takes_any_bytes_or_text(raw):
    check(raw)


def test_parser_names_the_field_and_value():
    exc = check('{"type": "gain", "layer": "hiss", "db": ' + str(10**400) + "}")
    assert isinstance(exc, ProtocolError) and exc.code == "bad_value"
    assert "'db'" in exc.message and "10000000" in exc.message and len(exc.message) < 200
    for raw, field in [('{"type": "volume", "value": NaN}', "'value'"),
                       ('{"type": "sleep", "after": Infinity}', "'after'"),
                       ('{"type": "sleep", "after": 60, "fade": -1e999}', "'fade'"),
                       ('{"type": "stats", "underruns": 1e400}', "'underruns'"),
                       ('{"type": "ping", "id": NaN}', "'id'"),
                       ('{"type": "ping", "id": ' + str(2**60) + "}", "'id'")]:
        exc = check(raw)
        assert isinstance(exc, ProtocolError) and exc.code == "bad_value", raw
        assert field in exc.message, (raw, exc.message)


def test_limit_counts_utf8_bytes_not_characters():
    text = json.dumps({"type": "ping", "id": "é" * 2040}, ensure_ascii=False)
    assert len(text) < LIMIT < len(text.encode())
    exc = check(text)
    assert isinstance(exc, ProtocolError) and exc.code == "too_big"
    assert str(len(text.encode())) in exc.message
    assert isinstance(check(json.dumps({"type": "ping", "id": "é" * 100},
                                       ensure_ascii=False)), Control)


def test_replies_never_carry_nan():
    with pytest.raises(ValueError):
        dumps({"type": "pong", "id": float("nan")})


# -- end to end --------------------------------------------------------------------
WEIRD_NUMBERS = ["NaN", "Infinity", "-Infinity", "1e999", "-1e999", str(10**400),
                 str(-(10**400)), "1" * 4000, "1e-400", "0", "-0.0", "12", "12.0001", "-80",
                 "-80.5", "0.5", "1", "2", str(2**53 + 1), str(2**31), "true", "null",
                 '"3"', "[]", "{}"]
NAMES = ['"hiss"', '"hum"', '"nope"', '""', '"tiny"', json.dumps("é" * 300), "7", "null"]


def fuzz_message(rng: random.Random) -> str | bytes:
    """One random client message: mostly near-valid objects with weird values."""
    pick = rng.random()
    if pick < 0.08:
        return rng.randbytes(rng.randrange(0, 64))  # a binary frame
    if pick < 0.14:
        return "".join(chr(rng.randrange(1, 0xD7FF)) for _ in range(rng.randrange(0, 40)))
    if pick < 0.18:
        return rng.choice(["[" * 3000, "[" * 900 + "]" * 900, '{"type": ', "x" * 5000,
                           json.dumps({"type": "ping", "id": "é" * 2100}, ensure_ascii=False),
                           "[1, 2]", '"ping"', "3", '{"type": 5}', ""])
    kind = rng.choice([*CONTROL_TYPES, "dance", "GAIN", ""])
    fields = [f'"type": "{kind}"']
    keys = {"gain": ["layer", "db"], "mute": ["layer", "muted"], "volume": ["value"],
            "sleep": ["after", "fade"], "switch": ["scene"], "ping": ["id"],
            "stats": ["underruns"]}.get(kind, ["db", "value"])
    for key in keys + rng.sample(["db", "value", "after", "id", "pad"], 1):
        if key in ("layer", "scene"):
            value = rng.choice(NAMES)
        elif key == "after":  # a valid timer is long: the stream must not end under test
            value = rng.choice(["3600", "86400", "86401", "-1", "NaN", "1e999", str(10**400),
                                '"soon"', "null"])
        elif key == "muted":
            value = rng.choice(["true", "false", "1", "null", '"yes"'])
        else:
            value = rng.choice(WEIRD_NUMBERS)
        fields.append(f'"{key}": {value}')
    return "{" + ", ".join(fields) + "}"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    root = tmp_path_factory.mktemp("fuzz")
    scenes = root / "scenes"
    scenes.mkdir()
    (scenes / "tiny.toml").write_text(tiny_scene("tiny", 4))
    srv = ServerProcess(scenes, root / "bank")
    try:
        srv.wait_ready(["tiny"])
        yield srv
    finally:
        srv.stop()


def test_fuzzed_messages_over_a_real_websocket(server):
    """300 random messages on one connection (SOUNDSCAPE_FUZZ_MESSAGES for a long run):
    it stays open, keeps streaming, every reply is strict JSON; no traceback is logged."""
    rng = random.Random(8)
    count = int(os.environ.get("SOUNDSCAPE_FUZZ_MESSAGES", "300"))
    sent = [fuzz_message(rng) for _ in range(count)]

    async def main():
        replies: list[dict] = []
        audio = 0
        async with connect(f"{server.ws}/stream/tiny?codec=pcm16", max_size=2**22) as ws:

            async def read(until: float) -> None:
                nonlocal audio
                while time.monotonic() < until:
                    try:
                        msg = await asyncio.wait_for(ws.recv(), until - time.monotonic())
                    except TimeoutError:
                        return
                    if isinstance(msg, bytes):
                        audio += 1
                        continue
                    replies.append(strict_json(msg))
                    if replies[-1].get("id") == "end":
                        return

            reader = asyncio.create_task(read(time.monotonic() + 60 + 0.02 * count))
            for msg in sent:
                await ws.send(msg)
                await asyncio.sleep(0.003)
            await ws.send(json.dumps({"type": "ping", "id": "end"}))
            await reader
            audio_before = audio
            await read(time.monotonic() + 1.0)  # still streaming afterwards
            return replies, audio_before, audio, ws.close_code

    replies, audio_before, audio, close_code = asyncio.run(main())
    assert close_code is None  # never closed
    assert replies[-1]["type"] == "pong" and replies[-1]["id"] == "end"
    errors = [r for r in replies if r["type"] == "error"]
    assert all(r["code"] != "internal" for r in errors), errors
    assert len(errors) > 150  # most fuzzed messages are bad
    assert all(r["message"] and len(r["message"]) < 400 for r in errors)
    assert audio > audio_before + 5  # audio kept coming
    log = "".join(server.log)
    assert "Traceback" not in log, log[-3000:]
    print(f"fuzz: {len(sent)} messages, {len(replies)} replies, {len(errors)} errors, "
          "0 tracebacks, 0 closes")
