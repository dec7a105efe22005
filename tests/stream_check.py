"""Helpers for the output tests: decode a stream, render the reference, align them.

(No tests here.) Continuity is checked against an offline render of the same scene
and seed: the decoded stream must match the reference at ONE constant lag over its
whole length, window by window, so a dropped, repeated or reordered block (which
shifts the lag) or a gap (which breaks the match) fails.
"""

from __future__ import annotations

import io
import os
import re
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from child_process import Child

RATE = 48000


def decode(data: bytes, fmt: str | None = None) -> np.ndarray:
    """Every sample of a complete or cut-off stream in ``data`` as float32 (2, n)."""
    import av

    container = av.open(io.BytesIO(data), "r", format=fmt)
    resampler = av.AudioResampler(format="fltp", layout="stereo", rate=RATE)
    parts = []
    try:
        stream = container.streams.audio[0]
        assert stream.codec_context.sample_rate == RATE, stream.codec_context.sample_rate
        try:
            for frame in container.decode(stream):
                for out in resampler.resample(frame):
                    parts.append(out.to_ndarray())
        except av.error.InvalidDataError:
            pass  # a cut-off last page or frame
    finally:
        container.close()
    return np.concatenate(parts, axis=1).astype(np.float32) if parts else np.zeros((2, 0),
                                                                                   np.float32)


def reference(scene_path: Path, seconds: float, seed: int | None = None) -> np.ndarray:
    """The scene rendered offline, as the station plays it (Fallback chain)."""
    from soundscape.bank import SegmentBank
    from soundscape.graph import build_graph
    from soundscape.graph.switch import Fallback, PinkBed
    from soundscape.scene import load_scene

    scene = load_scene(scene_path)
    graph = build_graph(scene, SegmentBank(os.environ["SOUNDSCAPE_BANK"]), seed=seed)
    chain = Fallback(graph, [PinkBed(graph.seed)])
    return chain.pull(int(seconds * RATE))


def find_lag(decoded: np.ndarray, ref: np.ndarray, probe_s: float = 1.0,
             skip_s: float = 0.2) -> int:
    """Frame in ``ref`` where ``decoded[:, 0]`` belongs (best normalised correlation
    of a ``probe_s`` piece of decoded audio)."""
    from scipy.signal import fftconvolve

    start = int(skip_s * RATE)
    probe = decoded.mean(axis=0)[start:start + int(probe_s * RATE)]
    mono = ref.mean(axis=0)
    corr = fftconvolve(mono, probe[::-1], mode="valid")
    return int(np.argmax(corr)) - start


def window_correlations(decoded: np.ndarray, ref: np.ndarray, lag: int,
                        window_s: float = 0.25) -> np.ndarray:
    """Normalised correlation of each ``window_s`` window of ``decoded`` with ``ref``
    at the constant ``lag``."""
    w = int(window_s * RATE)
    out = []
    for i in range(0, decoded.shape[1] - w + 1, w):
        if lag + i < 0 or lag + i + w > ref.shape[1]:
            break
        a = decoded[:, i:i + w].ravel()
        b = ref[:, lag + i:lag + i + w].ravel()
        out.append(float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b) + 1e-12)))
    return np.array(out)


def longest_silence(audio: np.ndarray, threshold: float = 1e-5) -> int:
    """Longest run of frames where every channel is below ``threshold``."""
    quiet = np.all(np.abs(audio) < threshold, axis=0)
    best = run = 0
    for q in quiet:
        run = run + 1 if q else 0
        best = max(best, run)
    return best


def loudness(audio: np.ndarray) -> float:
    import pyloudnorm

    return float(pyloudnorm.Meter(RATE).integrated_loudness(audio.T.astype(np.float64)))


def wait_until(condition: Callable[[], bool], timeout: float,
               what: str = "condition not met in time") -> None:
    """Poll ``condition`` every 0.1 s; TimeoutError(``what``) after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(what)
        time.sleep(0.1)


def read_http(url: str, seconds: float) -> bytes:
    """What a plain HTTP listener gets from ``url`` in ``seconds`` of wall time."""
    import urllib.request

    chunks = []
    deadline = time.monotonic() + seconds
    with urllib.request.urlopen(url, timeout=15) as r:
        assert r.status == 200
        while time.monotonic() < deadline:
            chunk = r.read1(65536)
            if not chunk:
                break
            chunks.append(chunk)
    return b"".join(chunks)


class Broadcast(Child):
    """``soundscape broadcast --quiet ARGS`` as a subprocess; its stderr in ``log``."""

    def __init__(self, *args: str):
        super().__init__([sys.executable, "-m", "soundscape.cli", "broadcast", "--quiet", *args],
                         merge=False, what="broadcast")

    def wait_for(self, needle: str, timeout: float = 60) -> None:
        """Until a line of the broadcast's messages holds ``needle``."""
        self.wait_for_line(re.escape(needle), timeout)

    @staticmethod
    def wait_until(condition: Callable[[], bool], timeout: float) -> None:
        wait_until(condition, timeout)

    def stop(self, timeout: float = 20) -> int:
        return super().stop(timeout)


class StaticServer:
    """A plain static web server for ``folder`` on loopback (what a CDN origin is)."""

    def __init__(self, folder: Path):
        import functools
        from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

        class Quiet(SimpleHTTPRequestHandler):
            def log_message(self, format: str, *args: object) -> None:
                pass

            def end_headers(self) -> None:
                self.send_header("Cache-Control", "no-cache")
                super().end_headers()

        handler = functools.partial(Quiet, directory=str(folder))
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def get(self, path: str) -> bytes:
        import urllib.request

        with urllib.request.urlopen(self.url + path, timeout=10) as r:
            return bytes(r.read())

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def parse_media_playlist(text: str) -> dict:
    """{'target': s, 'sequence': n, 'map': uri, 'segments': [(seq, seconds, uri)],
    'ended': bool} of an HLS media playlist."""
    out: dict = {"target": None, "sequence": 0, "map": None, "segments": [], "ended": False}
    seconds = None
    for line in text.splitlines():
        if line.startswith("#EXT-X-TARGETDURATION:"):
            out["target"] = int(line.split(":", 1)[1])
        elif line.startswith("#EXT-X-MEDIA-SEQUENCE:"):
            out["sequence"] = int(line.split(":", 1)[1])
        elif line.startswith("#EXT-X-MAP:"):
            out["map"] = line.split('URI="', 1)[1].split('"', 1)[0]
        elif line.startswith("#EXTINF:"):
            seconds = float(line.split(":", 1)[1].split(",", 1)[0])
        elif line.startswith("#EXT-X-ENDLIST"):
            out["ended"] = True
        elif line and not line.startswith("#"):
            out["segments"].append((out["sequence"] + len(out["segments"]), seconds, line))
    return out
