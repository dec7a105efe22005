"""The click guard tells a tonal burst (a bird's syllable, a cricket's pulse: narrowband,
lasting milliseconds) from a click (broadband, a sub-millisecond discontinuity), both
over the dark quiet floor of a creature bed where a loud syllable's second difference
stands hundreds of times above the floor's."""

from __future__ import annotations

import numpy as np
import pytest

from soundscape.guard import check_segment, find_clicks
from soundscape.procedural.birds import stereo_floor

RATE = 48000
AT = 1.0  # s, where the burst or click goes


def dark_floor(level: float = 0.003, seed: int = 3) -> np.ndarray:
    """2 s of a birds-bed floor (80-2500 Hz 1/f air and a faint 2.5-10 kHz hiss)."""
    rng = np.random.default_rng(seed)
    return stereo_floor(rng, 2 * RATE, RATE, ((80.0, 2500.0, 1.0, level * 0.999),
                                              (2500.0, 10000.0, 0.0, level * 0.05)))


def burst(x: np.ndarray, hz: float, ms: float, amp: float, window: str = "hann",
          phase: float = 0.0) -> np.ndarray:
    n = int(ms / 1000.0 * RATE)
    t = np.arange(n) / RATE
    w = np.hanning(n) if window == "hann" else np.ones(n)
    y = x.copy()
    y[:, int(AT * RATE):int(AT * RATE) + n] += amp * w * np.sin(2 * np.pi * hz * t + phase)
    return y


@pytest.mark.parametrize("hz", [2500.0, 4000.0, 7000.0])
@pytest.mark.parametrize("ms", [5.0, 30.0])
def test_a_tone_burst_is_not_a_click(hz: float, ms: float) -> None:
    x = dark_floor()
    assert find_clicks(x, RATE) == []
    assert find_clicks(burst(x, hz, ms, 0.3), RATE) == []
    assert check_segment(burst(x, hz, ms, 0.3), RATE, "bed", strict=True) == []


def test_a_swept_syllable_with_overtones_is_not_a_click() -> None:
    # a 40 ms chevron 3 -> 6 -> 3 kHz with two overtones (a chaffinch trill stroke)
    n = int(0.04 * RATE)
    u = np.arange(n) / n
    f = np.interp(u, [0.0, 0.5, 1.0], [3000.0, 6000.0, 3000.0])
    ph = 2 * np.pi * np.cumsum(f) / RATE
    tone = np.sin(ph) + 0.15 * np.sin(2 * ph) + 0.05 * np.sin(3 * ph)
    x = dark_floor()
    x[:, RATE:RATE + n] += 0.3 * np.hanning(n) * tone
    assert find_clicks(x, RATE) == []


def test_a_click_at_the_same_level_is_still_a_click() -> None:
    x = dark_floor()
    spike = x.copy()
    spike[:, RATE] += 0.3
    assert [round(t, 3) for t in find_clicks(spike, RATE)] == [AT]
    step = x.copy()
    step[:, RATE:RATE + 2400] += 0.3
    assert [round(t, 3) for t in find_clicks(step, RATE)] == [AT, AT + 0.05]
    # a 1 ms tick: a burst too short to be a tone
    assert find_clicks(burst(x, 4000.0, 0.2, 0.3), RATE)


def test_a_tone_switched_on_abruptly_is_a_click() -> None:
    x = dark_floor()
    cut = burst(x, 4000.0, 30.0, 0.3, window="rect", phase=np.pi / 2)  # starts at its crest
    clicks = find_clicks(cut, RATE)
    assert clicks and abs(clicks[0] - AT) < 0.001


def test_a_step_inside_a_loud_tone_is_a_click() -> None:
    x = burst(dark_floor(), 4000.0, 30.0, 0.3)
    x[:, RATE + 720:] += 0.12  # a step of 0.4 of the tone's amplitude in its middle
    clicks = find_clicks(x, RATE)
    assert clicks and abs(clicks[0] - (AT + 0.015)) < 0.003  # within the tone's hits
