"""Outputs that feed existing streaming engines: Icecast mounts and HLS folders.

One mixer per scene, any number of listeners: the scene's master blocks go to
outputs that each own a thread fed by a bounded queue (``push`` never blocks; an
output that falls behind drops and reports). ``soundscape broadcast`` drives them
with a :class:`Station`; the server attaches them to a broadcast channel with
:class:`ChannelOutputs`::

    outputs = ChannelOutputs()
    outputs.add("rain", make_outputs(scene, icecast=[target], hls=Path("hls")))
    outputs.push("rain", block)      # every float32 (2, n) master block, mixer thread
    outputs.close()                  # on shutdown
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np

from ..scene import Scene
from .base import Level, OutputEvent, ThreadedOutput, drain_events
from .hls import HlsOutput
from .icecast import IcecastOutput, IcecastTarget, parse_icecast_url
from .station import Station

__all__ = ["ChannelOutputs", "HlsOutput", "IcecastOutput", "IcecastTarget", "Level",
           "OutputEvent", "Station", "ThreadedOutput", "make_outputs", "parse_icecast_url"]

ICECAST_FORMATS = ("opus", "mp3")


def make_outputs(scene: Scene, icecast: Iterable[IcecastTarget] = (),
                 icecast_formats: Sequence[str] = ICECAST_FORMATS, hls: Path | None = None,
                 hls_segment_seconds: float = 4.0, bitrate: int | None = None,
                 ) -> list[ThreadedOutput]:
    """The outputs of one scene (not started): one per Icecast target and format,
    and one HLS folder ``hls/SCENE-NAME``. RenderError if the HLS folder cannot be
    written."""
    outputs: list[ThreadedOutput] = []
    rate = scene.master.sample_rate
    title = scene.title or scene.name
    for target in icecast:
        for fmt in icecast_formats:
            outputs.append(IcecastOutput(target.for_scene(scene.name), fmt, title,
                                         scene.description, rate, bitrate))
    if hls is not None:
        outputs.append(HlsOutput(Path(hls) / scene.name, segment_seconds=hls_segment_seconds,
                                 rate=rate, title=title))
    return outputs


class ChannelOutputs:
    """The outputs of every broadcast channel, for the server (thread-safe ``add``/
    ``remove``; ``push`` from the channel's mixer thread)."""

    def __init__(self) -> None:
        self._channels: dict[str, list[ThreadedOutput]] = {}
        self._lock = threading.Lock()

    def add(self, channel: str, outputs: Sequence[ThreadedOutput]) -> None:
        """Start ``outputs`` and feed them ``channel``'s blocks from now on."""
        for output in outputs:
            output.start()
        with self._lock:
            self._channels[channel] = [*self._channels.get(channel, []), *outputs]

    def remove(self, channel: str) -> None:
        with self._lock:
            outputs = self._channels.pop(channel, [])
        for output in outputs:
            output.close()

    def push(self, channel: str, block: np.ndarray) -> None:
        """Hand one float32 (2, n) master block of ``channel`` to its outputs (never
        blocks; a channel without outputs is ignored)."""
        for output in self._channels.get(channel, ()):
            output.push(block)

    def events(self) -> list[OutputEvent]:
        """What the outputs reported since the last call."""
        with self._lock:
            outputs = [o for group in self._channels.values() for o in group]
        return drain_events(outputs)

    def close(self, timeout: float = 10.0) -> None:
        """Stop every output, waiting up to ``timeout`` s for each to finish."""
        with self._lock:
            channels, self._channels = self._channels, {}
        for outputs in channels.values():
            for output in outputs:
                output.close(timeout)
