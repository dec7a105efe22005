"""The audio clock: blocks are due on an absolute schedule, never by accumulated sleeps.

Block ``k`` covers audio frames ``[k * block, (k + 1) * block)`` and is due at
``epoch + k * block / rate`` seconds on a monotonic clock. A producer that wakes
late simply finds more blocks due; nothing drifts over hours.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class AudioClock:
    """``block`` frames per block at ``rate`` Hz, counted from ``epoch`` (monotonic s)."""

    rate: int
    block: int
    now: Callable[[], float] = time.monotonic
    epoch: float = field(default=-1.0)
    epoch_unix: float = field(default=0.0)

    def __post_init__(self) -> None:
        if self.epoch < 0:
            self.epoch = self.now()
            self.epoch_unix = time.time()

    @property
    def block_seconds(self) -> float:
        return self.block / self.rate

    def due(self, now: float | None = None) -> int:
        """Index of the newest block due at ``now`` (blocks 0..due are due)."""
        t = self.now() if now is None else now
        return int(((t - self.epoch) * self.rate + 1e-6) // self.block)

    def time_of(self, index: int) -> float:
        """Monotonic time at which block ``index`` is due."""
        return self.epoch + index * self.block_seconds

    def position(self, index: int) -> int:
        """Audio frame (at ``rate``) where block ``index`` starts."""
        return index * self.block
