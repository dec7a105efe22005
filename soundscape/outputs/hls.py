"""HLS output: a rolling live HLS stream per scene that any static web server can serve.

Layout under ``--hls DIR`` for a scene named NAME::

    DIR/NAME/master.m3u8        the two renditions with their CODECS
    DIR/NAME/aac/index.m3u8     AAC-LC in fMP4 (Safari, iOS, every HLS player)
    DIR/NAME/aac/init.mp4, seg<N>.m4s
    DIR/NAME/opus/index.m3u8    Opus in fMP4 (hls.js in Chromium/Firefox)
    DIR/NAME/opus/init.mp4, seg<N>.m4s

Segments last ``segment_seconds`` (4 s by default; cut at codec frame boundaries:
1024 samples for AAC, 960 for Opus at 48 kHz), each media playlist lists the newest
``list_size`` (6) and older segments are deleted. FFmpeg's ``hls`` muxer (through
PyAV) writes each segment to ``NAME.tmp`` and renames it into place, and rewrites the
playlist (through a temporary file too) only after the segment exists, so a web
server never serves half a file. Media sequence numbers start from the Unix time,
so a restarted broadcast never reuses a sequence number a player has seen.

Low-Latency HLS (``EXT-X-PART`` partial segments, blocking playlist reload, preload
hints) is not built: FFmpeg's hls muxer does not write it, so it needs a segmenter of
our own over fMP4 fragments and a server that holds playlist requests. Plain HLS
with 2 s segments gives about 6-10 s of latency, which ambient sound does not mind.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..atomic import write_atomically
from ..errors import RenderError
from ..live import LIVE_RATE
from .base import Level, ThreadedOutput
from .encode import audio_frame

SEGMENT_SECONDS = 4.0
LIST_SIZE = 6


@dataclass(frozen=True)
class Rendition:
    name: str  # folder name
    av_codec: str
    codecs: str  # the CODECS attribute (RFC 8216 / ISO BMFF sample entry)
    bitrate: int
    frame: int  # samples per codec frame at 48 kHz


RENDITIONS = {
    "aac": Rendition("aac", "aac", "mp4a.40.2", 128000, 1024),
    "opus": Rendition("opus", "libopus", "opus", 96000, 960),
}


def master_playlist(renditions: list[Rendition]) -> str:
    """The master playlist text listing ``renditions`` (first = default)."""
    lines = ["#EXTM3U", "#EXT-X-VERSION:7", "#EXT-X-INDEPENDENT-SEGMENTS"]
    for r in renditions:
        bandwidth = int(r.bitrate * 1.1)  # fMP4 boxes: ~10 % over the audio bit rate
        lines.append(f'#EXT-X-STREAM-INF:BANDWIDTH={bandwidth},AVERAGE-BANDWIDTH={r.bitrate},'
                     f'CODECS="{r.codecs}"')
        lines.append(f"{r.name}/index.m3u8")
    return "\n".join(lines) + "\n"


def prepare_folder(folder: Path, renditions: list[Rendition]) -> None:
    """Create ``folder`` and its rendition folders; remove segments and playlists left
    by an earlier run (ours only: *.m4s, init.mp4, *.m3u8, *.tmp). RenderError names
    the folder when it cannot be written."""
    try:
        for r in renditions:
            sub = folder / r.name
            sub.mkdir(parents=True, exist_ok=True)
            for item in sub.iterdir():
                if item.is_file() and (item.suffix in (".m4s", ".m3u8", ".tmp")
                                       or item.name == "init.mp4"):
                    item.unlink()
        # the master playlist appears once every rendition has a playlist (a player
        # handed it earlier got 404s for its renditions); until then there is none
        (folder / "master.m3u8").unlink(missing_ok=True)
        write_atomically(folder / ".probe.tmp", "", fsync=False)  # writable: fail now, not later
        (folder / ".probe.tmp").unlink()
    except OSError as exc:
        raise RenderError(f"--hls: cannot write to {folder}: {exc.strerror or exc}") from None


class HlsOutput(ThreadedOutput):
    """One scene's HLS renditions, fed with float32 (2, n) blocks at LIVE_RATE."""

    kind = "hls"

    def __init__(self, folder: Path, renditions: tuple[str, ...] = ("aac", "opus"),
                 segment_seconds: float = SEGMENT_SECONDS, list_size: int = LIST_SIZE,
                 rate: int = LIVE_RATE, title: str = ""):
        if rate != LIVE_RATE:
            raise RenderError(f"--hls: HLS output needs {LIVE_RATE} Hz scenes, not {rate}")
        self.folder = Path(folder)
        self.renditions = [RENDITIONS[r] for r in renditions]
        self.segment_seconds = segment_seconds
        self.list_size = list_size
        self.title = title
        super().__init__(f"hls {self.folder}", rate)
        prepare_folder(self.folder, self.renditions)  # fails now, in the caller's thread
        self._muxers: list[tuple[Any, Any]] = []
        self._pts = 0
        self._master_written = False

    def _open(self, r: Rendition) -> tuple[Any, Any]:
        import av

        sub = self.folder / r.name
        options = {
            "hls_time": f"{self.segment_seconds:g}",
            "hls_list_size": str(self.list_size),
            "hls_flags": "delete_segments+independent_segments+temp_file+program_date_time",
            "hls_segment_type": "fmp4",
            "hls_fmp4_init_filename": "init.mp4",
            "hls_segment_filename": str(sub / "seg%d.m4s"),
            "hls_start_number_source": "epoch",
        }
        container: Any = av.open(str(sub / "index.m3u8"), "w", format="hls", options=options)
        if self.title:
            container.metadata["title"] = self.title
        stream: Any = container.add_stream(r.av_codec, rate=self.rate, layout="stereo")
        stream.bit_rate = r.bitrate
        if r.av_codec == "libopus":
            stream.options = {"frame_duration": "20", "application": "audio"}
        return container, stream

    def _run_output(self) -> None:
        self._muxers = [self._open(r) for r in self.renditions]
        while True:
            block = self._next(timeout=1.0)
            if block is None:
                continue
            for container, stream in self._muxers:
                frame = audio_frame(block, self.rate, self._pts)
                for packet in stream.encode(frame):
                    container.mux(packet)
            self._pts += block.shape[1]
            self.delivered += block.shape[1]
            if not self._master_written:
                self._write_master()

    def _write_master(self) -> None:
        """master.m3u8, once every rendition's playlist lists a segment."""
        if not all((self.folder / r.name / "index.m3u8").exists() for r in self.renditions):
            return
        write_atomically(self.folder / "master.m3u8", master_playlist(self.renditions))
        self._master_written = True
        self._report(Level.INFO, f"writing {self.folder / 'master.m3u8'} ("
                     + ", ".join(r.name for r in self.renditions)
                     + f"; {self.segment_seconds:g} s segments)")

    def _finish(self) -> None:
        for container, stream in self._muxers:
            try:
                for packet in stream.encode(None):
                    container.mux(packet)
            finally:
                container.close()
        self._muxers = []
