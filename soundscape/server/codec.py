"""Encoders from float32 (2, frame_size) blocks to packets, and matching decoders.

Opus runs through PyAV's libopus: one encoder per stream for its whole life, so
packets join without padding or gaps (the 312-sample pre-skip exists only at the
very start, which no listener hears: they join a running stream).
"""

from __future__ import annotations

from fractions import Fraction
from typing import Protocol

import numpy as np

from ..live import LIVE_RATE

FRAME_SIZE = LIVE_RATE // 50  # 20 ms (960 frames at 48 kHz)


class Encoder(Protocol):
    codec: str

    def encode(self, block: np.ndarray) -> bytes:
        """One packet for exactly one (2, FRAME_SIZE) float32 block."""
        ...


class Pcm16Encoder:
    codec = "pcm16"

    def encode(self, block: np.ndarray) -> bytes:
        pcm = np.clip(block.T, -1.0, 1.0) * 32767.0
        return np.rint(pcm).astype("<i2").tobytes()


class OpusEncoder:
    """libopus at ``bitrate`` bit/s, 20 ms frames, stereo at ``rate`` (the live rate),
    'audio' application."""

    codec = "opus"

    def __init__(self, bitrate: int = 96000, rate: int = LIVE_RATE):
        import av

        ctx = av.CodecContext.create("libopus", "w")
        ctx.sample_rate = rate
        ctx.layout = "stereo"
        ctx.format = "flt"
        ctx.bit_rate = bitrate
        ctx.time_base = Fraction(1, rate)
        ctx.options = {"frame_duration": "20", "application": "audio", "vbr": "on"}
        ctx.open()
        self._av = av
        self._ctx = ctx
        self._pts = 0
        self._pending: list[bytes] = []

    def encode(self, block: np.ndarray) -> bytes:
        av = self._av
        frame = av.AudioFrame.from_ndarray(
            np.ascontiguousarray(block.T, dtype=np.float32).reshape(1, -1),
            format="flt", layout="stereo",
        )
        frame.sample_rate = self._ctx.sample_rate
        frame.pts = self._pts
        self._pts += block.shape[1]
        self._pending.extend(bytes(p) for p in self._ctx.encode(frame))
        # libopus emits one packet per 20 ms frame with no look-ahead buffering
        return self._pending.pop(0) if self._pending else b""


def make_encoder(codec: str, bitrate: int = 96000) -> Encoder:
    if codec == "opus":
        return OpusEncoder(bitrate)
    if codec == "pcm16":
        return Pcm16Encoder()
    raise ValueError(f"unknown codec {codec!r} (known: opus, pcm16)")


class Decoder:
    """Packets back to float32 (2, n) (tests, benchmark, tools)."""

    def __init__(self, codec: str, channels: int = 2, rate: int = LIVE_RATE):
        self.codec = codec
        self.channels = channels
        self._ctx = None
        if codec == "opus":
            import av

            self._av = av
            ctx = av.CodecContext.create("libopus", "r")
            ctx.sample_rate = rate
            ctx.layout = "stereo"
            self._ctx = ctx

    def decode(self, packet: bytes) -> np.ndarray:
        if self._ctx is None:
            pcm = np.frombuffer(packet, dtype="<i2").reshape(-1, self.channels)
            return (pcm.T.astype(np.float32)) / 32767.0
        out = []
        for frame in self._ctx.decode(self._av.Packet(packet)):
            arr = frame.to_ndarray()
            if arr.dtype == np.int16:
                arr = arr.astype(np.float32) / 32768.0
            if arr.shape[0] == 1:  # packed: (1, n * channels)
                arr = arr.reshape(-1, self.channels).T
            out.append(arr.astype(np.float32))
        if not out:
            return np.zeros((self.channels, 0), dtype=np.float32)
        return np.concatenate(out, axis=1)
