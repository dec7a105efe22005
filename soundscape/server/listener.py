"""A listener's bounded outgoing queue. Pure: the I/O side drains it.

A full queue never blocks the producer: the oldest audio is dropped (the listener
skips ahead, which it sees as a ``seq`` gap). A listener that keeps overflowing
(``max_skips`` within ``window_s``) is to be disconnected. Text messages (control
replies) are never dropped by skipping.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from enum import Enum


class Offer(Enum):
    OK = "ok"
    SKIPPED = "skipped"
    DROP_LISTENER = "drop"


class ListenerQueue:
    """At most ``capacity`` audio messages; ``wake()`` is called when one is added."""

    def __init__(self, capacity: int, max_skips: int, window_s: float,
                 clock: Callable[[], float] = time.monotonic):
        self.capacity = max(1, capacity)
        self.max_skips = max_skips
        self.window_s = window_s
        self.items: deque[bytes | str] = deque()
        self.audio = 0
        self.skipped = 0
        self.last_popped: bytes | None = None  # the last audio message handed to the socket
        self._skip_times: deque[float] = deque()
        self._clock = clock
        self.wake: Callable[[], None] = lambda: None

    def __len__(self) -> int:
        return len(self.items)

    def offer_text(self, text: str) -> None:
        self.items.append(text)
        self.wake()

    def offer(self, message: bytes) -> Offer:
        """Queue one audio message, skipping the oldest audio when full."""
        result = Offer.OK
        if self.audio >= self.capacity:
            for i, item in enumerate(self.items):
                if isinstance(item, bytes):
                    del self.items[i]
                    break
            self.audio -= 1
            self.skipped += 1
            now = self._clock()
            self._skip_times.append(now)
            while self._skip_times and self._skip_times[0] < now - self.window_s:
                self._skip_times.popleft()
            too_many = len(self._skip_times) > self.max_skips
            result = Offer.DROP_LISTENER if too_many else Offer.SKIPPED
        self.items.append(message)
        self.audio += 1
        self.wake()
        return result

    def discard_audio(self, keep: Callable[[bytes], bool]) -> None:
        """Drop queued audio messages for which ``keep`` is false."""
        kept: deque[bytes | str] = deque()
        for item in self.items:
            if isinstance(item, bytes) and not keep(item):
                self.audio -= 1
                continue
            kept.append(item)
        self.items = kept

    def pop(self) -> bytes | str | None:
        if not self.items:
            return None
        item = self.items.popleft()
        if isinstance(item, bytes):
            self.audio -= 1
            self.last_popped = item
        return item
