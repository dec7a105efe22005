"""Wire format of ``/stream/<scene>`` (documented in docs/protocol.md). Pure: no I/O.

Server to client: text messages are JSON objects with a ``type`` (``hello`` first,
then ``mix``, ``pong``, ``sleep``, ``scene_updated``, ``error``); binary messages are
audio::

    offset size  field
    0      1     version (1)
    1      1     n: frames in this message
    2      2     reserved (0)
    4      4     seq: u32, the message's block index on the server clock
    8      8     position: u64, audio frame (sample_rate) of the first sample
    16     ...   n times: u16 length, then that many bytes (one Opus packet, or
                 frame_size * channels little-endian int16 samples, interleaved)

All integers are big-endian except PCM samples. Consecutive messages of one stream
have consecutive ``seq``; a gap means the listener skipped ahead (it was too slow).

``/stems/<scene>`` sends the same header with ``reserved`` = the number of stems S,
then S times n frames (each stem's frames in turn, stems in the order of the last
``stems`` text message): ``encode_stems``/``decode_stems``.
"""

from __future__ import annotations

import itertools
import json
import math
import struct
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

PROTOCOL_VERSION = 1
AUDIO_HEADER = struct.Struct(">BBHIQ")
FRAME_LENGTH = struct.Struct(">H")
CODECS = ("opus", "pcm16")
MAX_GAIN_DB = 12.0
MIN_GAIN_DB = -80.0
MAX_SLEEP_S = 24 * 3600.0


class ProtocolError(Exception):
    """A client message that cannot be applied; ``code`` is machine-readable."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


# -- binary audio ------------------------------------------------------------------
def _pack(count: int, nstems: int, seq: int, position: int, frames: Iterable[bytes]) -> bytes:
    """The audio header, then every frame as (u16 length, packet)."""
    parts = [AUDIO_HEADER.pack(PROTOCOL_VERSION, count, nstems, seq & 0xFFFFFFFF, position)]
    for frame in frames:
        parts.append(FRAME_LENGTH.pack(len(frame)))
        parts.append(frame)
    return b"".join(parts)


def _header(data: bytes, what: str) -> tuple[int, int, int, int]:
    """(count, reserved, seq, position) of a binary message; ProtocolError if bad."""
    if len(data) < AUDIO_HEADER.size:
        raise ProtocolError("bad_audio", f"{what} message of {len(data)} bytes is too short")
    version, count, reserved, seq, position = AUDIO_HEADER.unpack_from(data)
    if version != PROTOCOL_VERSION:
        raise ProtocolError("bad_audio", f"{what} message version {version} is not 1")
    return count, reserved, seq, position


def _frames(data: bytes, at: int, count: int, what: str) -> tuple[list[bytes], int]:
    """``count`` frames read from ``at``, and where they end."""
    frames = []
    for _ in range(count):
        if at + 2 > len(data):
            raise ProtocolError("bad_audio", f"{what} message ends inside a frame length")
        (length,) = FRAME_LENGTH.unpack_from(data, at)
        at += 2
        if at + length > len(data):
            raise ProtocolError("bad_audio", f"{what} message ends inside a frame")
        frames.append(bytes(data[at : at + length]))
        at += length
    return frames, at


def encode_audio(seq: int, position: int, frames: Sequence[bytes]) -> bytes:
    """One binary audio message carrying ``frames`` (encoded packets, in order)."""
    return _pack(len(frames), 0, seq, position, frames)


@dataclass(frozen=True)
class AudioMessage:
    seq: int
    position: int
    frames: list[bytes]


def decode_audio(data: bytes) -> AudioMessage:
    """Parse a binary audio message; ProtocolError('bad_audio') if malformed."""
    count, _, seq, position = _header(data, "audio")
    frames, _ = _frames(data, AUDIO_HEADER.size, count, "audio")
    return AudioMessage(seq, position, frames)


# -- binary stems (/stems/<scene>) ---------------------------------------------------
def encode_stems(seq: int, position: int, stems: Sequence[Sequence[bytes]]) -> bytes:
    """One block of every stem: the audio header with ``n`` = frames per stem and the
    reserved field = the number of stems, then each stem's ``n`` frames (u16 length,
    packet), stems in the order of the last ``stems`` text message."""
    count = len(stems[0]) if stems else 0
    if any(len(frames) != count for frames in stems):
        raise ValueError("every stem of a block has the same number of frames")
    return _pack(count, len(stems), seq, position, itertools.chain.from_iterable(stems))


@dataclass(frozen=True)
class StemsMessage:
    seq: int
    position: int
    stems: list[list[bytes]]


def decode_stems(data: bytes) -> StemsMessage:
    """Parse a binary stems message; ProtocolError('bad_audio') if malformed."""
    count, nstems, seq, position = _header(data, "stems")
    stems: list[list[bytes]] = []
    at = AUDIO_HEADER.size
    for _ in range(nstems):
        frames, at = _frames(data, at, count, "stems")
        stems.append(frames)
    return StemsMessage(seq, position, stems)


# -- JSON, server to client --------------------------------------------------------
def dumps(message: dict[str, Any]) -> str:
    """Compact JSON; ValueError rather than emitting NaN/Infinity (not valid JSON)."""
    return json.dumps(message, separators=(",", ":"), allow_nan=False)


def error(code: str, message: str) -> str:
    return dumps({"type": "error", "code": code, "message": message})


# -- JSON, client to server --------------------------------------------------------
# show, bounded_number, bounded_name and ping_id are shared with the studio's
# messages (studio_messages.py): one rule for a bad value, quoted one way.
@dataclass(frozen=True)
class Control:
    """One parsed client message. Fields unused by a ``type`` keep their defaults."""

    type: str
    layer: str | None = None
    db: float | None = None
    muted: bool | None = None
    after: float | None = None
    fade: float = 60.0
    scene: str | None = None
    value: float | None = None
    id: Any = None
    underruns: int | None = None


CONTROL_TYPES = ("gain", "mute", "sleep", "switch", "ping", "volume", "stats")
MIX_TYPES = ("gain", "mute", "volume", "sleep")  # change the mix: need the token, if any
MAX_NAME = 200  # characters in a layer or scene name
MAX_ID = 2**53  # |ping id|: exact in JavaScript
SHOWN = 40  # characters of a bad value quoted in an error message


def show(value: Any) -> str:
    """A bad value as quoted in an error: repr, cut to SHOWN characters."""
    try:
        text = repr(value)
    except ValueError:  # an int too long for repr()
        text = "<an integer too large>"
    return text if len(text) <= SHOWN else text[: SHOWN - 3] + "..."


def bounded_number(msg: dict[str, Any], key: str, low: float, high: float, what: str) -> float:
    """``msg[key]``, a finite number in ``low..high``; never overflows on huge ints."""
    value = msg.get(key)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ProtocolError("bad_value", f"{what}: '{key}' must be a number, got {show(value)}")
    if isinstance(value, float) and not math.isfinite(value):
        raise ProtocolError(
            "bad_value", f"{what}: '{key}' must be a finite number, got {show(value)}")
    if not low <= value <= high:  # exact for ints of any size: no float() before this
        raise ProtocolError(
            "bad_value", f"{what}: '{key}' {show(value)} is out of range {low:g}..{high:g}")
    return float(value)


def bounded_name(msg: dict[str, Any], key: str, what: str) -> str:
    """``msg[key]``, a string of 1..MAX_NAME characters (a layer, scene or file name)."""
    value = msg.get(key)
    if not isinstance(value, str) or not value or len(value) > MAX_NAME:
        raise ProtocolError(
            "bad_value", f"{what}: '{key}' must be a string of 1..{MAX_NAME} characters, "
                         f"got {show(value)}")
    return value


def ping_id(msg: dict[str, Any]) -> int | float | str | None:
    """A ping's ``id`` (echoed in the pong): None, a string, or a number exact in JS."""
    ident = msg.get("id")
    if ident is None:
        return None
    if isinstance(ident, str) and len(ident) <= MAX_NAME:
        return ident
    if (isinstance(ident, (int, float)) and not isinstance(ident, bool)
            and (isinstance(ident, int) or math.isfinite(ident)) and -MAX_ID <= ident <= MAX_ID):
        return ident
    raise ProtocolError(
        "bad_value", f"ping: 'id' must be a finite number within +-2**53 or a string of at "
                     f"most {MAX_NAME} characters, got {show(ident)}")


def utf8_length(raw: str) -> int:
    """Bytes of ``raw`` as UTF-8 (what a client sent on the wire)."""
    return len(raw.encode("utf-8", "surrogatepass"))


def parse_control(raw: str | bytes, max_bytes: int) -> Control:
    """Validate one client message; raises ProtocolError naming the field and value.

    ``max_bytes`` bounds the UTF-8 length. Every number is finite and in range;
    nothing but ProtocolError escapes, whatever ``raw`` holds. Codes: ``too_big``
    (over ``max_bytes``), ``binary`` (binary message), ``bad_json``, ``bad_message``
    (not an object / no type), ``unknown_type``, ``bad_value``.
    """
    if isinstance(raw, (bytes, bytearray, memoryview)):
        if len(raw) > max_bytes:
            raise ProtocolError(
                "too_big", f"message of {len(raw)} bytes is over the {max_bytes}-byte limit")
        raise ProtocolError("binary", "control messages are JSON text, not binary")
    size = utf8_length(raw)  # websockets caps a frame at 1 MiB: cheap to count
    if size > max_bytes:
        raise ProtocolError(
            "too_big", f"message of {size} bytes is over the {max_bytes}-byte limit")
    try:
        msg = json.loads(raw)
    except (ValueError, RecursionError) as exc:  # JSONDecodeError, over-long ints, nesting
        raise ProtocolError("bad_json", f"not valid JSON: {_cut(str(exc))}") from None
    if not isinstance(msg, dict) or not isinstance(msg.get("type"), str):
        raise ProtocolError("bad_message", "a control message is a JSON object with a 'type'")
    kind = msg["type"]
    if kind == "gain":
        return Control(kind, layer=bounded_name(msg, "layer", kind),
                       db=bounded_number(msg, "db", MIN_GAIN_DB, MAX_GAIN_DB, kind))
    if kind == "mute":
        muted = msg.get("muted", True)
        if not isinstance(muted, bool):
            raise ProtocolError(
                "bad_value", f"mute: 'muted' must be true or false, got {show(muted)}")
        return Control(kind, layer=bounded_name(msg, "layer", kind), muted=muted)
    if kind == "sleep":
        if msg.get("after") is None:
            return Control(kind, after=None)
        after = bounded_number(msg, "after", 0.0, MAX_SLEEP_S, kind)
        fade = bounded_number(msg, "fade", 0.0, MAX_SLEEP_S, kind) if "fade" in msg else 60.0
        return Control(kind, after=after, fade=min(fade, after))
    if kind == "switch":
        return Control(kind, scene=bounded_name(msg, "scene", kind))
    if kind == "ping":
        return Control(kind, id=ping_id(msg))
    if kind == "volume":
        return Control(kind, value=bounded_number(msg, "value", 0.0, 1.0, kind))
    if kind == "stats":
        return Control(kind, underruns=int(bounded_number(msg, "underruns", 0, 2**31, kind)))
    raise ProtocolError(
        "unknown_type",
        f"unknown message type {show(kind)} (known: {', '.join(CONTROL_TYPES)})")


def _cut(text: str) -> str:
    return text if len(text) <= 120 else text[:117] + "..."
