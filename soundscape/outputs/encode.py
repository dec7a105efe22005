"""Live encoders for the outputs: float32 (2, n) blocks in, container bytes out.

One PyAV (FFmpeg) muxer per connection writes into a memory sink; ``write(block)``
returns the bytes the muxer has produced so far (possibly none: Ogg pages and MP3
frames are emitted when complete). Blocks of any length are accepted: PyAV re-frames
them into the codec's frame size (960 for Opus, 1152 for MP3, 1024 for AAC).
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..live import LIVE_RATE


@dataclass(frozen=True)
class Codec:
    name: str  # our name: opus, mp3, aac
    av_codec: str  # FFmpeg encoder
    container: str  # FFmpeg muxer for a live byte stream
    content_type: str
    bitrate: int
    options: tuple[tuple[str, str], ...] = ()
    container_options: tuple[tuple[str, str], ...] = ()


CODECS = {
    "opus": Codec("opus", "libopus", "ogg", "audio/ogg", 128000,
                  (("frame_duration", "20"), ("application", "audio")),
                  (("page_duration", "200000"),)),  # ~200 ms Ogg pages: low latency
    # no ID3 tag or Xing header: a live stream has no start a player could seek from
    "mp3": Codec("mp3", "libmp3lame", "mp3", "audio/mpeg", 128000, (),
                 (("id3v2_version", "0"), ("write_xing", "0"))),
}


class _Sink(io.RawIOBase):
    def __init__(self) -> None:
        self.chunks: list[bytes] = []

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        self.chunks.append(bytes(data))
        return len(data)

    def take(self) -> bytes:
        out = b"".join(self.chunks)
        self.chunks.clear()
        return out


def audio_frame(block: np.ndarray, rate: int, pts: int) -> Any:
    """A packed float32 stereo PyAV frame of ``block`` (2, n)."""
    import av

    frame = av.AudioFrame.from_ndarray(
        np.ascontiguousarray(block.T, dtype=np.float32).reshape(1, -1),
        format="flt", layout="stereo")
    frame.sample_rate = rate
    frame.pts = pts
    return frame


class LiveEncoder:
    """``codec`` in its live container, with ``title``/``description`` in its tags."""

    def __init__(self, codec: Codec, rate: int = LIVE_RATE, title: str = "",
                 description: str = "", bitrate: int | None = None):
        import av

        self.codec = codec
        self.rate = rate
        self._sink = _Sink()
        self._container: Any = av.open(self._sink, "w", format=codec.container,
                                       options=dict(codec.container_options))
        if title:
            self._container.metadata["title"] = title
        if description:
            self._container.metadata["comment"] = description
        stream: Any = self._container.add_stream(codec.av_codec, rate=rate, layout="stereo")
        stream.bit_rate = bitrate or codec.bitrate
        if codec.options:
            stream.options = dict(codec.options)
        self._stream = stream
        self._pts = 0
        self._closed = False

    def write(self, block: np.ndarray) -> bytes:
        for packet in self._stream.encode(audio_frame(block, self.rate, self._pts)):
            self._container.mux(packet)
        self._pts += block.shape[1]
        return self._sink.take()

    def close(self) -> bytes:
        """Flush the encoder and the muxer; the last bytes of the stream."""
        if self._closed:
            return b""
        self._closed = True
        for packet in self._stream.encode(None):
            self._container.mux(packet)
        self._container.close()
        return self._sink.take()
