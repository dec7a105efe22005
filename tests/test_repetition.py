"""The repetition ruler (soundscape.repetition): it must catch loops, copies at another
gain and the bed player's crossfaded replays, and stay silent on fresh noise."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.signal
from hypothesis import given, settings
from hypothesis import strategies as hs

from soundscape.repetition import (
    THRESHOLD,
    RepetitionScanner,
    decimation_factor,
    find_repeats,
    peaks,
)

RATE = 48000


def _noise(seconds: float, seed: int, rate: int = RATE, channels: int = 2) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return (rng.standard_normal((channels, int(seconds * rate))) * 0.1).astype(np.float32)


def test_an_exact_loop_repeats_at_its_period() -> None:
    base = _noise(10.0, 1)
    result = find_repeats(np.tile(base, (1, 6)), RATE)  # 60 s, 12 windows
    # windows 0 and 1 (0-10 s) are the first pass; the 10 after them all repeat
    assert result.windows == 12
    assert len(result.repeats) == 10
    assert result.share == pytest.approx(10 / 12)
    assert result.smallest_lag == pytest.approx(10.0, abs=1 / RATE)
    assert [r.time for r in result.repeats] == [5.0 * i for i in range(2, 12)]
    assert all(r.correlation > 0.999 for r in result.repeats)
    assert all(r.earlier == pytest.approx(r.time - 10.0, abs=1 / RATE) for r in result.repeats)


def test_fresh_noise_never_repeats() -> None:
    result = find_repeats(_noise(60.0, 2), RATE)
    assert result.windows == 12
    assert result.repeats == ()
    assert result.share == 0.0
    assert result.smallest_lag is None and result.median_lag is None


@settings(max_examples=5, deadline=None)
@given(seed=hs.integers(0, 2**32 - 1), gain=hs.floats(1e-3, 5.0), red=hs.booleans())
def test_fresh_noise_of_any_colour_and_level_never_repeats(seed: int, gain: float,
                                                           red: bool) -> None:
    audio = _noise(25.0, seed) * gain
    if red:  # a steep spectrum (-6 dB/octave above 80 Hz): more fingerprint candidates
        audio = scipy.signal.lfilter([0.01], [1.0, -0.99], audio, axis=1).astype(np.float32)
    result = find_repeats(audio, RATE)
    assert result.windows == 5
    assert result.repeats == ()
    assert result.best_correlation < 0.5


def test_a_copy_at_another_gain_and_an_odd_offset_is_found() -> None:
    audio = _noise(60.0, 3)
    src, dst = 5 * RATE + 3, int(31.0371 * RATE)  # lag 26.037021 s, off every grid
    audio[:, dst : dst + 20 * RATE] = 0.7 * audio[:, src : src + 20 * RATE]
    result = find_repeats(audio, RATE)
    # the windows wholly inside the copy: 35, 40, 45 s (50 s ends at 55 > 51.04)
    assert [r.time for r in result.repeats] == [35.0, 40.0, 45.0]
    for r in result.repeats:
        assert r.lag == pytest.approx((dst - src) / RATE, abs=1 / RATE)
        assert r.correlation > 0.99


@pytest.mark.parametrize(("difference", "repeats"), [(0.1, True), (0.5, False)])
def test_threshold_is_the_copy_s_dominance(difference: float, repeats: bool) -> None:
    # a copy plus unrelated noise of `difference` times its power scores
    # 1 / sqrt(1 + difference): 0.953 (repeats) and 0.816 (does not)
    audio = _noise(30.0, 4, channels=1)[0]
    extra = _noise(15.0, 5, channels=1)[0] * np.sqrt(difference)
    audio[15 * RATE :] = audio[: 15 * RATE] + extra
    result = find_repeats(audio, RATE)
    expected = 1 / np.sqrt(1 + difference)
    if repeats:
        assert len(result.repeats) == 3
        for r in result.repeats:
            assert r.correlation == pytest.approx(expected, abs=0.01)
            assert r.lag == pytest.approx(15.0, abs=1 / RATE)
    else:
        assert result.repeats == ()
    assert (expected >= THRESHOLD) == repeats


def _crossfaded_replays(segments: list[np.ndarray], fade: int, frames: int, seed: int
                        ) -> tuple[np.ndarray, list[tuple[int, int, int, int]]]:
    """What a looping bed player does (soundscape.graph.bed before issue 14): plays of
    a random segment from a random offset for a random length (half a segment to a
    whole one), joined by equal-power crossfades of ``fade`` frames. Returns the
    (2, frames) audio and every play as (start, variant, offset, length)."""
    rng = np.random.default_rng(seed)
    out = np.zeros((2, frames + segments[0].shape[1]), dtype=np.float32)
    rise = np.sin(0.5 * np.pi * (np.arange(fade) + 0.5) / fade).astype(np.float32)
    plays = []
    start = 0
    while start < frames:
        v = int(rng.integers(len(segments)))
        size = segments[v].shape[1]
        length = int(rng.integers(size // 2, size + 1))
        offset = int(rng.integers(0, size - length + 1))
        gain = np.ones(length, dtype=np.float32)
        gain[:fade] = rise
        gain[-fade:] = rise[::-1]
        out[:, start : start + length] += segments[v][:, offset : offset + length] * gain
        plays.append((start, v, offset, length))
        start += length - fade
    return out[:, :frames], plays


def test_crossfaded_replays_at_random_offsets_are_caught() -> None:
    # two 15 s segments, 1 s crossfades: every play is a verbatim stretch of 30 s
    # of material. Every window wholly inside one play's body whose stretch already
    # sounded, in a body, must be found at the right lag.
    segments = [_noise(15.0, 10 + k) for k in range(2)]
    fade, window = RATE, 5 * RATE
    audio, plays = _crossfaded_replays(segments, fade, 150 * RATE, seed=7)
    result = find_repeats(audio, RATE)
    found = {r.time: r for r in result.repeats}
    checked = 0
    for i in range(result.windows):
        a = i * window
        inside = [p for p in plays if p[0] + fade <= a and a + window <= p[0] + p[3] - fade]
        if not inside:
            continue
        start, variant, offset, _ = inside[0]
        s0 = offset + a - start  # the window's first frame in its segment
        earlier = [e for e in plays[: plays.index(inside[0])] if e[1] == variant
                   and e[2] <= s0 and s0 + window <= e[2] + e[3]]
        # an earlier copy wholly in a body must be found; one partly in a fade may be
        # the one reported (a fade's gain is near 1 for most of its length)
        if any(e[2] + fade <= s0 and s0 + window <= e[2] + e[3] - fade for e in earlier):
            checked += 1
            r = found[i * 5.0]
            assert r.correlation > 0.99
            lags = [(a - (e[0] + s0 - e[2])) / RATE for e in earlier]
            assert min(abs(r.lag - lag) for lag in lags) <= 1 / RATE
    assert checked >= 5  # the loop above checked real cases
    assert result.share >= 0.3


def test_silence_and_short_audio_are_not_repeats() -> None:
    silent = find_repeats(np.zeros((2, 30 * RATE), dtype=np.float32), RATE)
    assert silent.windows == 6 and silent.silent == 6 and silent.share == 0.0
    short = find_repeats(_noise(4.0, 6), RATE)
    assert short.windows == 0 and short.share == 0.0


def test_result_as_dict_is_json_ready() -> None:
    result = find_repeats(np.tile(_noise(10.0, 8), (1, 3)), RATE)
    d = result.as_dict(limit=1)
    assert d["windows"] == 6 and d["repeating"] == 4 and d["share"] == pytest.approx(0.6667)
    assert d["smallest_lag"] == pytest.approx(10.0, abs=1e-4)
    assert len(d["repeats"]) == 1
    assert set(d["repeats"][0]) == {"time", "earlier", "lag", "correlation"}


def test_peaks_are_separated_and_gated() -> None:
    s = np.array([0.1, 0.9, 0.95, 0.2, 0.1, 0.8, 0.3, 0.5])
    assert peaks(s, 3, 0.4, 1) == [2, 5, 7]
    assert peaks(s, 3, 0.85, 1) == [2]
    assert peaks(s, 1, 0.0, 1) == [2]


@settings(max_examples=6, deadline=None)
@given(period=hs.floats(2.0, 9.0), gain=hs.floats(0.2, 3.0),
       rate=hs.sampled_from([16000, 44100, 48000]), block=hs.integers(997, 30000))
def test_any_loop_is_found_at_its_period_whatever_the_blocks(
        period: float, gain: float, rate: int, block: int) -> None:
    frames = int(period * rate)
    base = _noise(period, 11, rate=rate)[:, :frames] * gain
    audio = np.tile(base, (1, int(np.ceil(30.0 / period))))[:, : 30 * rate]
    scan = RepetitionScanner(rate)
    for a in range(0, audio.shape[1], block):
        scan.feed(audio[:, a : a + block])
    result = scan.result()
    # every window starting one period or more in repeats, at the period
    first = int(np.ceil(period / 5.0))
    assert [r.time for r in result.repeats] == [5.0 * i for i in range(first, 6)]
    assert result.smallest_lag == pytest.approx(frames / rate, abs=1 / rate)
    assert decimation_factor(rate) == rate // 8000
