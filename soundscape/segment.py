"""The segment contract shared by every source, the bank and the mixer.

A segment is a piece of audio for one layer: ``audio`` is float32 shaped
(channels, frames) at ``sample_rate``; ``meta`` is a JSON-serialisable dict that
says how it was made (source, parameters, seed, scores, timings).

A source is anything with ``segment(layer, variant, seed) -> Segment`` and
``key(layer, variant, seed) -> dict``; the key holds everything that determines the
audio, so the bank can cache by its hash.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np


@dataclass
class Segment:
    """Audio plus how it was made. ``audio`` is float32 (channels, frames)."""

    audio: np.ndarray
    sample_rate: int
    meta: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.audio.ndim != 2:
            raise ValueError(f"segment audio must be (channels, frames), got {self.audio.shape}")
        if self.audio.dtype != np.float32:
            self.audio = self.audio.astype(np.float32)

    @property
    def frames(self) -> int:
        return int(self.audio.shape[1])

    @property
    def channels(self) -> int:
        return int(self.audio.shape[0])

    @property
    def seconds(self) -> float:
        return self.frames / self.sample_rate


class SegmentSource(Protocol):
    """What the mixer asks of any source of segments."""

    def key(self, layer: Any, variant: int, seed: int) -> dict[str, Any]:
        """Everything that determines the segment (JSON-serialisable)."""
        ...

    def segment(self, layer: Any, variant: int, seed: int) -> Segment:
        """Make the segment for this layer, variant index and seed."""
        ...


def digest(key: dict[str, Any]) -> str:
    """A stable hex digest of a JSON-serialisable key (sorted keys)."""
    blob = json.dumps(key, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:24]
