"""Tests of the procedural synthesizer: the render contract, validation messages and
texture statistics calibrated against real recordings (numbers in docs/procedural.md).
"""

from __future__ import annotations

import numpy as np
import pytest

from soundscape.procedural import RECIPES, render, validate_params
from soundscape.procedural import stats as st
from soundscape.procedural.references import REFERENCE_RANGES

BEDS = sorted(n for n, r in RECIPES.items() if r.kind == "bed")
EVENTS = sorted(n for n, r in RECIPES.items() if r.kind == "event")
SR = 48000


@pytest.fixture(scope="module")
def beds_10s() -> dict[str, np.ndarray]:
    """Every bed, defaults, 10 s at 48 kHz, seed 1 (rendered once for all tests)."""
    return {name: render(name, {}, seconds=10.0, sample_rate=SR, seed=1) for name in BEDS}


def test_expected_recipes_exist() -> None:
    assert {"rain", "wind", "surf", "brook", "fire", "crickets", "insects", "birds",
            "noise"} <= set(BEDS)
    assert {"thunder", "bird", "owl", "crackle", "gust", "wave", "drip", "gull"} <= set(EVENTS)
    for r in RECIPES.values():
        assert r.kind in ("bed", "event")
        for spec in r.params.values():
            assert spec.choices is not None or spec.low <= spec.default <= spec.high


@pytest.mark.parametrize("sr", [48000, 16000])
@pytest.mark.parametrize("name", BEDS)
def test_bed_contract(name: str, sr: int) -> None:
    x = render(name, {}, seconds=2.5, sample_rate=sr, seed=3)
    assert x.dtype == np.float32
    assert x.shape == (2, round(2.5 * sr))
    assert np.isfinite(x).all()
    assert np.max(np.abs(x)) <= 1.0
    assert -23.0 < st.rms_db(x) < -17.0
    # Decorrelated channels, and no fade at the edges.
    assert abs(np.corrcoef(x)[0, 1]) < 0.9
    edge = int(0.05 * sr)
    assert st.rms_db(x[:, :edge]) > st.rms_db(x) - 15.0
    assert st.rms_db(x[:, -edge:]) > st.rms_db(x) - 15.0


@pytest.mark.parametrize("frames", [1, 17, 4801])
def test_bed_exact_frames(frames: int) -> None:
    x = render("rain", {}, seconds=frames / SR, sample_rate=SR, seed=0)
    assert x.shape == (2, frames)


@pytest.mark.parametrize("sr", [48000, 16000])
@pytest.mark.parametrize("name", EVENTS)
def test_event_contract(name: str, sr: int) -> None:
    x = render(name, {}, seconds=20.0, sample_rate=sr, seed=5)
    assert x.dtype == np.float32 and x.ndim == 2 and x.shape[0] == 2
    assert 0.05 * sr < x.shape[1] <= 20 * sr
    assert np.isfinite(x).all()
    peak = np.max(np.abs(x))
    assert 0.6 < peak <= 1.0  # about -3 dBFS
    assert np.all(x[:, 0] == 0.0) and np.all(x[:, -1] == 0.0)
    # The last 5 ms fade to zero; the start is near zero.
    assert np.max(np.abs(x[:, -int(0.001 * sr):])) < 0.2 * peak
    assert np.max(np.abs(x[:, :3])) < 0.2 * peak


def test_event_respects_max_length() -> None:
    x = render("thunder", {"distance": 1.0}, seconds=3.0, sample_rate=SR, seed=1)
    assert x.shape[1] <= 3 * SR
    assert np.all(x[:, -1] == 0.0)


@pytest.mark.parametrize("name", ["rain", "birds", "thunder", "bird"])
def test_deterministic_by_seed(name: str) -> None:
    a = render(name, {}, seconds=2.0, sample_rate=SR, seed=11)
    b = render(name, {}, seconds=2.0, sample_rate=SR, seed=11)
    c = render(name, {}, seconds=2.0, sample_rate=SR, seed=12)
    assert np.array_equal(a, b)
    assert a.shape != c.shape or not np.allclose(a, c)


def test_all_recipes_differ_by_seed() -> None:
    for name in RECIPES:
        a = render(name, {}, seconds=1.0, sample_rate=16000, seed=1)
        b = render(name, {}, seconds=1.0, sample_rate=16000, seed=2)
        assert a.shape != b.shape or not np.array_equal(a, b), name


def test_validate_messages() -> None:
    assert validate_params("rain", {}) == []
    assert validate_params("rain", {"intensity": 1, "surface": "roof"}) == []
    (msg,) = validate_params("rian", {})
    assert "unknown recipe 'rian'" in msg and "rain" in msg and "crickets" in msg
    (msg,) = validate_params("rain", {"intensty": 0.3})
    assert "unknown param 'intensty'" in msg and "'rain'" in msg
    assert "intensity, surface" in msg
    (msg,) = validate_params("rain", {"intensity": 3.0})
    assert "'intensity'" in msg and "3.0" in msg and "0..1" in msg
    (msg,) = validate_params("rain", {"surface": "glass"})
    assert "'glass'" in msg and "window" in msg and "leaves" in msg and "roof" in msg
    assert len(validate_params("rain", {"intensity": "x", "surface": 2, "foo": 1})) == 3
    assert validate_params("rain", {"intensity": float("nan")})
    with pytest.raises(ValueError, match="intensity"):
        render("rain", {"intensity": -1}, seconds=1, sample_rate=SR, seed=0)


@pytest.mark.parametrize("name", BEDS)
def test_bed_level_stationary(name: str, beds_10s: dict[str, np.ndarray]) -> None:
    """A 10 s segment's first and last 1 s windows are within 3 dB of its middle, for
    several seeds, so crossfaded segments do not pump. Surf is exempt: a segment
    holds one or two waves at a random phase (its crash and lull are the texture,
    see test_surf_waves_swell_and_break)."""
    if name == "surf":
        return
    w = SR
    for seed in (1, 2, 3, 4):
        x = beds_10s[name] if seed == 1 else render(name, {}, seconds=10.0, sample_rate=SR,
                                                    seed=seed)
        mid = st.rms_db(x[:, w:-w])
        assert abs(st.rms_db(x[:, :w]) - mid) < 3.0, (name, seed)
        assert abs(st.rms_db(x[:, -w:]) - mid) < 3.0, (name, seed)


# --- texture statistics, calibrated against the reference recordings -------------
# Reference values (bench/texture_stats.py on /work/shared/reference-recordings):
#   rain_04: env_kurtosis 49.5 (quarters 30..62), env_cv 0.49, centroid 1760 Hz,
#            kurtosis per band 4-5 below 2.7 kHz, 131 and 242 in the top two bands
#   fire_02: env_kurtosis 12.1, centroid 361 Hz, low_frac 0.94, high_frac 0.032
#   birds_02: centroid 1590 Hz, env_kurtosis 36.8, mod_slow 1.17
#   pink noise: env_kurtosis 3.3, env_cv 0.37, mod_fast 0.19
# The recipes' numbers (defaults, 10 s, seed 1) are in the comments.


def test_plain_noise_is_not_impulsive(beds_10s: dict[str, np.ndarray]) -> None:
    s = st.texture_stats(beds_10s["noise"], SR)
    assert 2.8 < s.env_kurtosis < 4.0
    assert s.env_cv < 0.45


def test_rain_is_impulsive_like_real_rain(beds_10s: dict[str, np.ndarray]) -> None:
    s = st.texture_stats(beds_10s["rain"], SR)
    noise = st.texture_stats(beds_10s["noise"], SR)
    assert s.env_kurtosis > 4 * noise.env_kurtosis
    # v6: near drops carry the highs over a wash that stops below 2 kHz (high-band
    # kurtosis 35-80, real 206); their peaks are held by level, not squashed, so the
    # envelopes are less spiky than v5's (180)
    assert 20.0 < s.env_kurtosis < 300.0  # 30 (seeds 1-3: 27..35); real 49.5, 30..62 per 5 s
    assert 0.5 < s.env_cv < 0.85  # 0.80 (v5 0.64): drops over a quieter top band; real 0.49
    assert 1450.0 < s.centroid_hz < 2000.0  # 1630 Hz (seeds 1-4: 1630..1670); real 1760 Hz
    assert 0.28 < s.low_frac < 0.40  # 0.34; real 0.285
    # bed contract (-20 dBFS RMS, peak <= 1) caps the mono crest near 23 dB; real 32 dB
    assert s.crest_db > 21.0  # 22.9; noise 14 dB
    # Impulsive only in the top bands (drop clicks), Gaussian-like wash below 1.5 kHz.
    envs = st.band_envelopes(beds_10s["rain"], SR)
    kurt = [st._kurtosis(e) for e in envs]
    assert np.mean(kurt[:5]) < 8.0 and max(kurt[:5]) < 16.0  # 3.4..12; real 3.5..4.1
    assert min(kurt[6:]) > 20.0  # real 131, 242


def test_rain_intensity_raises_density() -> None:
    light = render("rain", {"intensity": 0.1}, seconds=4, sample_rate=SR, seed=2)
    heavy = render("rain", {"intensity": 1.0}, seconds=4, sample_rate=SR, seed=2)
    # Sparse light rain is more impulsive than a dense downpour (133 vs 43).
    assert st.high_kurtosis(light, SR) > st.high_kurtosis(heavy, SR)


def test_crickets_band_and_modulation(beds_10s: dict[str, np.ndarray]) -> None:
    x = beds_10s["crickets"]
    assert st.band_energy_fraction(x, SR, 1000.0, 8000.0) > 0.9  # 0.95
    s = st.texture_stats(x, SR)
    # A steady shimmer (v4: 4.3 dB pulsing, slope +17.8: a bare 4-5 kHz tone).
    assert 1.0 < s.mod_depth_db < 1.6  # 1.29; real crickets 1.1-1.35
    assert -1.4 < s.slope_db_oct < 6.6  # +4.2; real crickets -1.4..+6.6
    assert s.mod_fast > 0.2  # 0.24 chirp pulses; pink noise 0.19, real cicadas 0.32


def test_surf_waves_swell_and_break() -> None:
    """Every 10 s segment holds at least one crash and one lull (1 s levels 6-20 dB
    apart; seeds 1-6: 9-14 dB)."""
    for seed in (1, 2, 3):
        x = render("surf", {}, seconds=10.0, sample_rate=SR, seed=seed)
        levels = [st.rms_db(x[:, i * SR:(i + 1) * SR]) for i in range(10)]
        assert 6.0 < max(levels) - min(levels) < 20.0, seed
        assert 3.0 < st.mod_depth_db(x, SR) < 7.1, seed  # real surf 3.2-7.1 dB


def test_wind_is_dark_and_smooth(beds_10s: dict[str, np.ndarray]) -> None:
    s = st.texture_stats(beds_10s["wind"], SR)
    assert 250.0 < s.centroid_hz < 800.0  # real wind 426 Hz
    assert s.high_frac < 0.02  # real wind 0.004
    assert s.env_kurtosis < 10.0  # real wind 3.5: not impulsive


def test_fire_is_low_with_sparse_crackling(beds_10s: dict[str, np.ndarray]) -> None:
    s = st.texture_stats(beds_10s["fire"], SR)
    assert 0.9 < s.low_frac < 0.97  # 0.93; real fire 0.94
    assert 300.0 < s.centroid_hz < 500.0  # 392 Hz; real 361 Hz
    assert 0.015 < s.high_frac < 0.08  # 0.038; real 0.032 (was 0.004: too few crackles)
    assert s.env_kurtosis_max > 10.0  # real fire 23.9 (crackles)
    assert 5.0 < s.env_kurtosis < 40.0  # 25.8 (v4 15.8, dense crackling); real 12.1
    assert s.env_cv < 0.9  # 0.80; real 0.59
    assert 10.0 < s.high_kurtosis < 195.0  # 41 (v4 8: too dense); real fires 10-195


def test_birds_darker_and_livelier(beds_10s: dict[str, np.ndarray]) -> None:
    # The limits < 3200 Hz and kurtosis > 8 were fitted to the pre-species recipe. The
    # species songs sit higher (seeds 1-4: 2820-3790 Hz, kurtosis 7.1-8.2), and
    # real woods span 1590 Hz (birds_02) to 5399 Hz (forest_03), so the centroid is
    # held to the birds category range of the reference recordings, and the envelope
    # only has to stay well above noise's 3 (calls over quiet, not a wash).
    s = st.texture_stats(beds_10s["birds"], SR)
    low, high = REFERENCE_RANGES["birds"]["centroid_hz"]
    assert low <= s.centroid_hz <= high  # 3786 (seed 1); real 1590 .. 5399
    assert s.env_kurtosis > 6.0  # 7.6 (seed 1); real 36.8
    assert s.mod_slow > 0.33  # 0.36; real 1.17 (was 0.30)


def test_brook_is_mid_band_and_bubbly(beds_10s: dict[str, np.ndarray]) -> None:
    s = st.texture_stats(beds_10s["brook"], SR)
    assert s.mid_frac > 0.7  # real stream 0.83
    assert s.env_kurtosis > 5.0  # real stream 16.8, noise 3.3


def test_thunder_is_low() -> None:
    for d in (0.0, 1.0):
        x = render("thunder", {"distance": d}, seconds=20, sample_rate=SR, seed=4)
        assert st.spectral_centroid(x, SR) < 500.0  # real thunder 313 Hz (with rain)
        assert 4.0 < x.shape[1] / SR <= 16.0
    close = render("thunder", {"distance": 0.0}, seconds=20, sample_rate=SR, seed=4)
    far = render("thunder", {"distance": 1.0}, seconds=20, sample_rate=SR, seed=4)
    assert st.spectral_centroid(close, SR) > st.spectral_centroid(far, SR)
    # A close strike peaks in its first half second; a distant one builds up.
    onset = int(0.5 * SR)
    assert np.max(np.abs(close[:, :onset])) > 0.8 * np.max(np.abs(close))
    assert np.max(np.abs(far[:, :onset])) < 0.7 * np.max(np.abs(far))


def test_gull_is_a_harmonic_call() -> None:
    import scipy.signal

    for seed in range(6):
        x = render("gull", {}, seconds=20.0, sample_rate=SR, seed=seed)
        assert 1.0 <= x.shape[1] / SR <= 4.5  # natural length 1-4 s (+ a short tail)
        assert np.corrcoef(x)[0, 1] > 0.6  # near-mono
        assert 1200.0 < st.spectral_centroid(x, SR) < 3000.0  # harmonic-rich, not a whistle
        # Harmonic: the spectrum of the first note is peaky (flatness far below noise).
        m = st.to_mono(x)[: int(0.25 * SR)]
        f, p = scipy.signal.welch(m, fs=SR, nperseg=2048)
        band = p[(f > 400.0) & (f < 6000.0)]
        flatness = np.exp(np.mean(np.log(band + 1e-30))) / np.mean(band)
        assert flatness < 0.4  # 0.10..0.25; pink noise 0.73


def test_gull_pitch_moves() -> None:
    """The first "kyow" glides: its dominant frequency changes by > 10 % across the note."""
    import scipy.signal

    x = st.to_mono(render("gull", {}, seconds=20.0, sample_rate=SR, seed=3))
    f, t, z = scipy.signal.stft(x[: int(0.3 * SR)], fs=SR, nperseg=1024)
    power = np.abs(z) ** 2
    loud = power.sum(axis=0) > 0.1 * power.sum(axis=0).max()
    # spectral centroid of the harmonic stack follows the fundamental
    cent = (f[:, None] * power).sum(axis=0)[loud] / power.sum(axis=0)[loud]
    assert cent.max() > 1.1 * cent.min()


# --- integrity: what the segment guard would reject ------------------------------


def test_every_event_is_finite_over_many_seeds() -> None:
    """gust once took a fractional power of a negative number (NaN for ~4 seeds in 60)."""
    for name in EVENTS:
        for seed in range(100):
            x = render(name, {}, seconds=8.0, sample_rate=16000, seed=seed)
            assert np.isfinite(x).all(), (name, seed)
    for seed in range(100):
        x = render("gust", {"strength": 0.7}, seconds=8.0, sample_rate=16000, seed=seed)
        assert np.isfinite(x).all(), ("gust", seed)


@pytest.mark.parametrize("surface", ["window", "leaves", "roof"])
def test_rain_never_clips(surface: str) -> None:
    """The loudest drops are rounded off below full scale by design: no flat tops."""
    from soundscape.guard import check_segment

    for seed in range(3):
        x = render("rain", {"intensity": 1.0, "surface": surface}, seconds=4.0,
                   sample_rate=SR, seed=seed)
        assert np.max(np.abs(x)) < 0.97, (surface, seed)
        assert check_segment(x, SR, "bed", strict=True) == [], (surface, seed)


# The params of the shipped scenes' fire, rain, brook and wind layers.
SHIPPED_BEDS = [
    ("fire", {"intensity": 0.55}), ("fire", {"intensity": 0.15}),
    ("rain", {"intensity": 0.45, "surface": "window"}),
    ("rain", {"intensity": 0.55, "surface": "leaves"}),
    ("rain", {"intensity": 0.35, "surface": "roof"}),
    ("rain", {"intensity": 0.95, "surface": "roof"}),
    ("brook", {"flow": 0.35}), ("brook", {"flow": 0.85}),
    ("wind", {"strength": 0.15, "gustiness": 0.45}),
    ("wind", {"strength": 0.85, "gustiness": 0.85}),
]


@pytest.mark.parametrize(("name", "params"), SHIPPED_BEDS)
def test_shipped_beds_pass_the_strict_guard(name: str, params: dict[str, object]) -> None:
    """No clipping, clicks (guard's detector), DC or NaN, for several seeds."""
    from soundscape.guard import check_segment

    for seed in (0, 4, 7):
        x = render(name, params, seconds=5.0, sample_rate=SR, seed=seed)
        assert check_segment(x, SR, "bed", strict=True) == [], (name, params, seed)
