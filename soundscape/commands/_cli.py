"""What several commands share: duration and seed flags, the "preparing" progress line."""

from __future__ import annotations

import sys

from tqdm import tqdm

from ..errors import UsageError
from ..units import parse_duration

SEED_MAX = 2**32 - 1


def duration(text: str, flag: str) -> float:
    """``text`` (90s, 10m, 1h30m) in seconds; UsageError naming ``flag`` otherwise."""
    try:
        return parse_duration(text)
    except ValueError as exc:
        raise UsageError(f"{flag}: {exc}") from None


def check_seed(seed: int | None, flag: str = "--seed") -> None:
    """UsageError unless ``seed`` is None or a 32-bit unsigned integer."""
    if seed is not None and not 0 <= seed <= SEED_MAX:
        raise UsageError(f"{flag}: {seed} is out of range 0..{SEED_MAX}")


class Preparing:
    """The "preparing N layers" progress line (stderr; nothing when ``quiet``).

    ``step(name)`` is the ``progress`` callback of ``build_graph``: it names the
    layer being prepared and counts one, never past ``layers``. ``close()`` removes
    the line (idempotent).
    """

    def __init__(self, layers: int, quiet: bool = False):
        self.total = layers
        self.done = 0
        self._bar: tqdm | None = None if quiet else tqdm(
            total=layers, desc="preparing", unit="layer", file=sys.stderr, leave=False)

    def step(self, name: str) -> None:
        if self._bar is None:
            return
        self._bar.set_postfix_str(name)
        if self.done < self.total:  # the first call names the first layer: count it
            self.done += 1
            self._bar.update(1)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None
