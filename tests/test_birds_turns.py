"""A dense birds chorus takes turns (birds.avoid_overlap); a sparse one is untouched."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as hst

from soundscape.procedural.birds import AT_ONCE, CROWD, avoid_overlap

Plan = tuple[list[list[object]], list[float], list[tuple[float, int]]]


def plans_of(singers: list[list[float]], length: float) -> list[Plan]:
    return [([[]], [length], [(t, 0) for t in sorted(times)]) for times in singers]


@settings(max_examples=100, deadline=None)
@given(hst.integers(CROWD + 1, 10), hst.floats(0.5, 3.0), hst.integers(0, 2**32 - 1))
def test_in_a_crowd_no_more_than_at_once_songs_sound_together(n, length, seed) -> None:
    rng = np.random.default_rng(seed)
    singers = [list(rng.uniform(0, 20, rng.integers(1, 8))) for _ in range(n)]
    plans = plans_of(singers, length)
    avoid_overlap(plans, 20.0, np.random.default_rng(seed))
    spans = sorted((t, t + length) for _, _, times in plans for t, _ in times)
    assert spans, "every song was left out"
    assert all(0 <= a < 20.0 for a, _ in spans)
    for a, _ in spans:  # how many other songs sound when each one starts
        assert sum(1 for b, e in spans if b < a < e) <= AT_ONCE - 1 + 1e-9
    for _, _, times in plans:  # a singer never overlaps itself
        starts = [t for t, _ in times]
        assert all(b - a >= length for a, b in zip(starts, starts[1:], strict=False))


def test_a_sparse_chorus_is_left_as_it_is() -> None:
    singers = [[0.0, 1.0], [0.5], [0.2, 5.0], [0.1], [0.3]]  # CROWD singers, overlapping
    plans = plans_of(singers, 2.0)
    before = [list(times) for _, _, times in plans]
    avoid_overlap(plans, 20.0, np.random.default_rng(1))
    assert [times for _, _, times in plans] == before
