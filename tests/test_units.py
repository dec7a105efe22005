import pytest

from soundscape.units import format_duration, parse_duration


@pytest.mark.parametrize(
    "text, seconds",
    [("90s", 90), ("10m", 600), ("1h30m", 5400), ("2h", 7200), ("2.5s", 2.5),
     ("500ms", 0.5), ("1h2m3s", 3723), (45, 45), ("12", 12), (" 1h 5m ", 3900)],
)
def test_parse_duration(text, seconds):
    assert parse_duration(text) == pytest.approx(seconds)


@pytest.mark.parametrize("bad", ["", "abc", "10x", "1h1h", "-5s", "m10", True, None, "10s5"])
def test_parse_duration_rejects(bad):
    with pytest.raises(ValueError, match="duration|repeats"):
        parse_duration(bad)


def test_format_duration():
    assert format_duration(3725) == "1h02m05s"
    assert format_duration(75) == "1m15s"
    assert format_duration(2.25) == "2.2s"
