"""The water-and-weather family (soundscape/procedural/waterworks.py): every recipe
keeps the bed contract over many seeds and parameter corners, and shows its model in
a measured property (the waterfall's flat octave bands and its low roar growing with
height, the rapids' standing-wave surge period and low bubbles, the lapping slaps'
1-4 s spacing and hull band, underwater's energy below 500 Hz, the snow's missing
highs, the hailstones' rate, size and clean attacks)."""

from __future__ import annotations

import numpy as np
import pytest

from soundscape.guard import check_segment, find_clicks
from soundscape.procedural import RECIPES, _dsp, render, waterworks
from soundscape.procedural import stats as st

SR = 48000
SEEDS = range(1, 9)

CORNERS: dict[str, list[dict[str, object]]] = {
    "waterfall": [{"height": 0.0}, {"height": 1.0}],
    "rapids": [{"flow": 0.0}, {"flow": 1.0}],
    "lapping": [{}],
    "underwater": [{}],
    "snow-wind": [{"strength": 0.0}, {"strength": 1.0}],
    "hail": [{"intensity": 0.0, "surface": "roof"}, {"intensity": 1.0, "surface": "roof"},
             {"intensity": 0.0, "surface": "ground"}, {"intensity": 1.0, "surface": "ground"}],
}


def _band_share(x: np.ndarray, low: float, high: float) -> float:
    return st.band_energy_fraction(x, SR, low, high)


def _octaves_db(x: np.ndarray, centres: list[float]) -> np.ndarray:
    f, p = st.welch_psd(x, SR)
    return np.array([10 * np.log10(np.sum(p[(f >= c / np.sqrt(2)) & (f < c * np.sqrt(2))]))
                     for c in centres])


def _level_db(x: np.ndarray, frame_s: float) -> np.ndarray:
    m = np.mean(x.astype(np.float64) ** 2, axis=0)
    k = int(frame_s * SR)
    frames = m[: len(m) // k * k].reshape(-1, k).mean(axis=1)
    return 10 * np.log10(frames + 1e-20)


def _onsets(x: np.ndarray, rise_db: float, gap_s: float) -> np.ndarray:
    """Times (s) where the 10 ms level jumps ``rise_db`` above the 100 ms before it,
    at least ``gap_s`` apart."""
    lv = _level_db(x, 0.01)
    before = np.array([np.median(lv[max(0, i - 10):i]) if i else lv[0] for i in range(len(lv))])
    hits = np.flatnonzero(lv - before > rise_db)
    out: list[int] = []
    for i in hits:
        if not out or i - out[-1] > gap_s / 0.01:
            out.append(int(i))
    return np.array(out) * 0.01


def test_family_registered() -> None:
    names = {"waterfall", "rapids", "lapping", "underwater", "snow-wind", "hail"}
    assert names <= set(RECIPES)
    assert all(RECIPES[n].kind == "bed" for n in names)
    assert {r.name for r in waterworks.RECIPES} == names


@pytest.mark.parametrize("name,params", [(n, p) for n, ps in CORNERS.items() for p in ps])
def test_bed_contract(name: str, params: dict[str, object]) -> None:
    """Finite, exact length, -20 dBFS RMS, peak < 0.95, guard-clean (no clicks, no
    clipping), no flat tops, not silent, over 8 seeds at each parameter corner."""
    seconds = 3.0
    for seed in SEEDS:
        x = render(name, params, seconds=seconds, sample_rate=SR, seed=seed)
        assert x.shape == (2, round(seconds * SR)) and x.dtype == np.float32
        assert np.isfinite(x).all()
        assert abs(st.rms_db(x) + 20.0) < 0.5, (seed, st.rms_db(x))
        assert np.abs(x).max() < 0.95, (seed, np.abs(x).max())
        assert check_segment(x, SR, "bed", strict=True) == [], seed
        assert find_clicks(x, SR) == [], seed
        assert st.flat_tops(x, sample_rate=SR) == 0, seed


@pytest.mark.parametrize("name", sorted(CORNERS))
def test_determinism_seeds_and_rates(name: str) -> None:
    a = render(name, {}, seconds=2.0, sample_rate=SR, seed=7)
    b = render(name, {}, seconds=2.0, sample_rate=SR, seed=7)
    c = render(name, {}, seconds=2.0, sample_rate=SR, seed=8)
    assert np.array_equal(a, b)
    assert abs(np.corrcoef(a[0], c[0])[0, 1]) < 0.5  # another seed is other material
    for rate in (16000, 96000):
        x = render(name, {}, seconds=1.5, sample_rate=rate, seed=3)
        assert x.shape == (2, round(1.5 * rate)) and np.isfinite(x).all()
        assert check_segment(x, rate, "bed", strict=True) == []


def test_waterfall_flat_roar_and_low_thunder_grows_with_height() -> None:
    """Octave bands 250 Hz-4 kHz within 6 dB of each other (a broadband roar, flat to
    slightly falling); a big fall has at least 6 dB more below 200 Hz (share) than a
    small cascade, and a lower centroid; very steady (50 ms level std < 2.5 dB)."""
    for seed in (1, 2, 3):
        small = render("waterfall", {"height": 0.0}, seconds=6.0, sample_rate=SR, seed=seed)
        big = render("waterfall", {"height": 1.0}, seconds=6.0, sample_rate=SR, seed=seed)
        for x in (small, big):
            bands = _octaves_db(x, [250.0, 500.0, 1000.0, 2000.0, 4000.0])
            assert bands.max() - bands.min() < 6.0, bands
            assert st.mod_depth_db(x, SR) < 2.5
        low_small, low_big = _band_share(small, 20.0, 200.0), _band_share(big, 20.0, 200.0)
        assert 10 * np.log10(low_big / low_small) > 6.0, (low_small, low_big)
        assert st.spectral_centroid(big, SR) < 0.5 * st.spectral_centroid(small, SR)


def test_rapids_surge_period_and_low_bubbles() -> None:
    """The 100 ms level's strongest slow modulation (0.1-2 Hz) lies at the standing
    waves' period, 1.8-4 s (0.25-0.56 Hz), for most seeds; most energy lies in the
    bubbles' 300 Hz-3 kHz; lower than a brook at the same flow."""
    hits = 0
    for seed in range(1, 7):
        x = render("rapids", {"flow": 0.5}, seconds=24.0, sample_rate=SR, seed=seed)
        lv = _level_db(x, 0.1)
        spec = np.abs(np.fft.rfft(lv - lv.mean()))
        f = np.fft.rfftfreq(len(lv), 0.1)
        band = (f >= 0.1) & (f <= 2.0)
        peak = f[band][np.argmax(spec[band])]
        hits += 0.22 <= peak <= 0.6
        if seed <= 2:
            assert _band_share(x, 300.0, 3000.0) > 0.6
            brook = render("brook", {"flow": 0.5}, seconds=6.0, sample_rate=SR, seed=seed)
            assert st.spectral_centroid(x, SR) < st.spectral_centroid(brook, SR)
    assert hits >= 5, hits


def test_lapping_slaps_every_one_to_four_seconds_with_hull_band() -> None:
    """Slaps (10 ms level below 1 kHz 10 dB over the 100 ms before) come 1-4 s apart,
    and the hull band (150-400 Hz) holds more energy than the octave above it."""
    for seed in (1, 2, 3, 4):
        x = render("lapping", {}, seconds=20.0, sample_rate=SR, seed=seed)
        # below 1 kHz: the slaps, not the drips after them
        on = _onsets(_dsp.filt(x.astype(np.float64), "lowpass", 1000.0, SR), 10.0, 0.8)
        assert 5 <= len(on) <= 16, (seed, on)
        assert 1.2 <= float(np.mean(np.diff(on))) <= 4.0, (seed, on)
        assert _band_share(x, 150.0, 400.0) > _band_share(x, 400.0, 800.0) * 0.8


def test_underwater_is_muffled() -> None:
    """Most energy below 500 Hz, nothing of note above 4 kHz (no hiss), slow swells."""
    for seed in (1, 2, 3):
        x = render("underwater", {}, seconds=10.0, sample_rate=SR, seed=seed)
        assert _band_share(x, 0.0, 500.0) > 0.7
        assert _band_share(x, 4000.0, SR / 2) < 1e-4
        assert np.std(_level_db(x, 0.1)) > 1.2  # pressure swells (~2 dB) and bubble streams


def test_snow_wind_dark_with_gentle_gusts() -> None:
    """Little above 2 kHz (< 1 % of the energy, -20 dB; plain wind has several times more);
    darker than the plain wind; the 50 ms level moves gently (< 3 dB)."""
    for seed in (1, 2):
        for s in (0.0, 0.5, 1.0):
            x = render("snow-wind", {"strength": s}, seconds=6.0, sample_rate=SR, seed=seed)
            plain = render("wind", {"strength": s}, seconds=6.0, sample_rate=SR, seed=seed)
            assert _band_share(x, 2000.0, SR / 2) < 0.01
            assert _band_share(plain, 2000.0, SR / 2) > 2 * _band_share(x, 2000.0, SR / 2)
            assert st.spectral_centroid(x, SR) < st.spectral_centroid(plain, SR)
            assert st.mod_depth_db(x, SR) < 3.0


def _hail_onsets(x: np.ndarray) -> int:
    """Stones heard one by one: 2 ms frames of the > 2 kHz band 10 dB over the median
    of the 50 ms before, at least 20 ms apart."""
    h = _dsp.filt(x.astype(np.float64), "highpass", 2000.0, SR)
    m = np.mean(h**2, axis=0)
    k = int(0.002 * SR)
    lv = 10 * np.log10(m[: len(m) // k * k].reshape(-1, k).mean(axis=1) + 1e-20)
    before = np.array([np.median(lv[max(0, i - 25):i]) if i else lv[0] for i in range(len(lv))])
    count, last = 0, -100
    for i in np.flatnonzero(lv - before > 10.0):
        if i - last > 10:
            count, last = count + 1, int(i)
    return count


def test_hail_rate_size_and_clean_attacks() -> None:
    """More stones heard at higher intensity (3 vs 60 a second, with bounces); a
    bigger stone's impact is lower (centroid); the impact grains start from silence
    and rise (10-90 %) over 0.5-1 ms (median; each 0.2-3 ms, the ground's knock
    can peak after the crack), no step; a roof rings longer than the ground."""
    for surface in ("roof", "ground"):
        for seed in (1, 2):
            light = render("hail", {"intensity": 0.0, "surface": surface}, seconds=10.0,
                           sample_rate=SR, seed=seed)
            heavy = render("hail", {"intensity": 1.0, "surface": surface}, seconds=10.0,
                           sample_rate=SR, seed=seed)
            n_light, n_heavy = _hail_onsets(light), _hail_onsets(heavy)
            assert 20 <= n_light <= 120, (surface, seed, n_light)
            assert n_heavy > 1.8 * n_light, (surface, seed, n_light, n_heavy)
    rng = np.random.default_rng(0)
    tails = {}
    for roof in (True, False):
        cents, rises = [], []
        for d in np.linspace(5.0, 50.0, 40):
            g = waterworks._hail_grain(rng, float(d), SR, roof)
            env = np.maximum.accumulate(np.abs(g))
            rises.append((np.argmax(env >= 0.9) - np.argmax(env >= 0.1)) / SR)
            assert abs(g[0]) < 1e-3  # starts from silence
        assert 0.0002 <= min(rises) and max(rises) <= 0.003, (roof, min(rises), max(rises))
        assert 0.0005 <= float(np.median(rises)) <= 0.001, (roof, np.median(rises))
        for d in (5.0, 15.0, 50.0):
            # the impact itself (first 3 ms, without the roof's ring), median of 9
            cents.append(float(np.median([st.spectral_centroid(np.stack(
                [waterworks._hail_grain(rng, d, SR, roof)[: int(0.003 * SR)]] * 2), SR)
                for _ in range(9)])))
        assert cents[0] > cents[1] > cents[2], (roof, cents)
        g = waterworks._hail_grain(rng, 10.0, SR, roof)
        tails[roof] = float(np.sum(g[int(0.03 * SR):] ** 2) / np.sum(g**2))
    assert tails[True] > 3 * tails[False]
