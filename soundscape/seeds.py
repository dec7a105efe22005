"""The one seed derivation: every seed and random generator in soundscape comes from here.

* ``derive(**parts)``: a stable 32-bit seed from named parts (a scene seed, a layer
  name, a variant or take number...), independent of dict order and of the process.
  ``derive(seed=s, layer=n, variant=v)`` is a layer variant's seed,
  ``derive(arrange=s, layer=n)`` a layer's arrangement, ``derive(seed=s, layer=n,
  take=t)`` a model call's take.
* ``generator(seed, purpose, *more)``: the numpy generator a node or a recipe draws
  from. ``purpose`` names who draws (a node in ``SALTS``, or a recipe name, which
  is salted by its CRC-32), so two consumers given the same seed are independent.
"""

from __future__ import annotations

import zlib
from typing import Any

import numpy as np

from .segment import digest

# Salts of the graph's nodes (kept as they were so existing seeds give the same samples).
SALTS: dict[str, int] = {
    "bed": 0xBED,            # graph.bed: which segment, offset and speed plays next
    "events": 0xE7E,         # graph.events: event times, variants, pans
    "event-trigger": 0x7219,  # graph.events: a triggered event's variation
    "event-speed": 0x5BEED,  # graph.events: a finite event's playback speeds
    "breathing": 0xB4EA7,    # graph.automation: slow level movement
    "texture": 0x7E47,       # dsp.texture: resynthesised clip blocks
}


def derive(**parts: Any) -> int:
    """A stable 32-bit seed for the named ``parts`` (JSON-serialisable values)."""
    return int(digest(parts)[:8], 16)


def salt(purpose: str) -> int:
    """``purpose``'s salt: its entry in SALTS, else the CRC-32 of its name."""
    return SALTS.get(purpose, zlib.crc32(purpose.encode()))


def generator(seed: int, purpose: str, *more: int) -> np.random.Generator:
    """The generator ``purpose`` draws from for ``seed`` (and optional ``more``
    integers, e.g. a block index): ``default_rng([seed, *more, salt(purpose)])``."""
    return np.random.default_rng([int(seed) % 2**63, *(int(m) for m in more), salt(purpose)])
