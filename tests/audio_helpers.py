"""Helpers shared by the tests (imported as a plain module)."""

from __future__ import annotations

import numpy as np

SMALL_SCENE = """
title = "Small"
description = "a small test scene"
[master]
seed = 3
fade_in = "1s"
segment_seconds = 4
[[layers]]
name = "hiss"
type = "bed"
recipe = "noise"
params = { color = "pink" }
variants = 3
crossfade = "1s"
breathing = { depth_db = 3, period = ["5s", "9s"] }
[[layers]]
name = "rumble"
type = "bed"
recipe = "noise"
params = { color = "brown" }
gain_db = -6
pan = -0.3
variants = 2
crossfade = "1.5s"
[[layers]]
name = "drops"
type = "event"
recipe = "drip"
rate_per_min = 40
min_gap = "0.5s"
gain_db = [-12, -3]
pan = [-1, 1]
distance = [0, 1]
variants = 3
"""



def pull_all(graph, total: int, block: int) -> np.ndarray:
    """Pull ``total`` frames in blocks of ``block`` (last block shorter)."""
    parts = []
    done = 0
    while done < total:
        n = min(block, total - done)
        part = graph.pull(n)
        assert part.shape == (2, n) and part.dtype == np.float32
        parts.append(part)
        done += n
    return np.concatenate(parts, axis=1)
