"""The places family (soundscape/procedural/places.py): every recipe keeps the
procedural contract over many seeds and parameter corners, and shows its model in
one measured property (the murmur's syllable-rate modulation and speech spectrum,
the cutlery's partials and decay, the room tone's -5 dB/oct, the Doppler shift of a
passing car, the train's wheel-rail period, the cabin's 250-500 Hz hump, the tent's
and car roof's resonance bands)."""

from __future__ import annotations

import numpy as np
import pytest

from soundscape.guard import check_segment, find_clicks
from soundscape.procedural import RECIPES, render
from soundscape.procedural import placestats as ps
from soundscape.procedural import stats as st
from soundscape.procedural.places import SPEED_OF_SOUND, pass_by

SR = 48000
SEEDS = range(1, 9)
OCTAVES = np.array([63, 125, 250, 500, 1000, 2000, 4000, 8000], dtype=float)

CORNERS: dict[str, list[dict[str, object]]] = {
    "murmur": [{"crowd": 0.0}, {"crowd": 1.0}],
    "room-tone": [{"hum": 0.0}, {"hum": 1.0}],
    "traffic": [{"density": 1.0}, {"density": 60.0}],
    "train": [{"speed": 40.0}, {"speed": 160.0}],
    "cabin": [{}],
    "tent-rain": [{"intensity": 0.0, "surface": "tent"}, {"intensity": 1.0, "surface": "tent"},
                  {"intensity": 0.0, "surface": "car"}, {"intensity": 1.0, "surface": "car"}],
}


def _octave_db(x: np.ndarray) -> np.ndarray:
    """Octave band levels (dB) at OCTAVES: three 1/3-octave bands summed."""
    thirds = ps.third_octave_db(x, SR, np.repeat(OCTAVES, 3) * np.tile(2.0 ** (np.arange(-1, 2) / 3), 8))
    return 10 * np.log10(np.sum(10 ** (thirds.reshape(8, 3) / 10), axis=1))


def test_family_registered():
    names = {"murmur", "cutlery", "room-tone", "traffic", "train", "cabin", "tent-rain"}
    assert names <= set(RECIPES)
    assert RECIPES["cutlery"].kind == "event"
    assert all(RECIPES[n].kind == "bed" for n in names - {"cutlery"})


@pytest.mark.parametrize("name,params", [(n, p) for n, ps_ in CORNERS.items() for p in ps_])
def test_bed_contract(name, params):
    """Finite, exact length, -20 dBFS RMS, peak < 1, no clicks, no flat tops, not
    silent, over 8 seeds at each parameter corner."""
    seconds = 3.0
    for seed in SEEDS:
        x = render(name, params, seconds=seconds, sample_rate=SR, seed=seed)
        assert x.shape == (2, round(seconds * SR)) and x.dtype == np.float32
        assert np.isfinite(x).all()
        rms = 20 * np.log10(np.sqrt(np.mean(x.astype(np.float64) ** 2)))
        assert abs(rms + 20.0) < 0.5, (seed, rms)
        assert np.abs(x).max() < 0.95, (seed, np.abs(x).max())
        assert check_segment(x, SR, "bed", strict=True) == [], seed
        assert find_clicks(x, SR) == [], seed
        assert st.flat_tops(x, sample_rate=SR) == 0, seed


@pytest.mark.parametrize("name", sorted(CORNERS))
def test_bed_determinism_and_rates(name):
    a = render(name, {}, seconds=2.0, sample_rate=SR, seed=7)
    b = render(name, {}, seconds=2.0, sample_rate=SR, seed=7)
    c = render(name, {}, seconds=2.0, sample_rate=SR, seed=8)
    assert np.array_equal(a, b)
    assert np.corrcoef(a[0], c[0])[0, 1] < 0.5  # another seed is other material
    for rate in (16000, 96000):
        x = render(name, {}, seconds=1.5, sample_rate=rate, seed=3)
        assert x.shape == (2, round(1.5 * rate)) and np.isfinite(x).all()
        assert check_segment(x, rate, "bed", strict=True) == []


def test_cutlery_event_contract():
    lengths = []
    for seed in range(1, 21):
        x = render("cutlery", {}, seconds=20.0, sample_rate=SR, seed=seed)
        assert x.dtype == np.float32 and np.isfinite(x).all()
        assert 0 < x.shape[1] <= 20 * SR
        assert np.all(x[:, 0] == 0.0) and np.all(x[:, -1] == 0.0)
        peak = 20 * np.log10(np.abs(x).max())
        assert abs(peak + 3.0) < 0.1, peak
        assert check_segment(x, SR, "event", strict=True) == []
        assert st.flat_tops(x, sample_rate=SR) == 0
        lengths.append(x.shape[1] / SR)
    # china and metal ring for 50-400 ms (-20 dB): with up to three contacts and the
    # slowest partial's -50 dB tail the events last 0.15-2 s
    assert 0.15 <= min(lengths) and max(lengths) <= 2.0, (min(lengths), max(lengths))
    a = render("cutlery", {}, seconds=5.0, sample_rate=SR, seed=4)
    assert np.array_equal(a, render("cutlery", {}, seconds=5.0, sample_rate=SR, seed=4))
    short = render("cutlery", {}, seconds=0.05, sample_rate=SR, seed=4)
    assert short.shape[1] <= int(0.05 * SR) and short[0, -1] == 0.0


def test_cutlery_partials_in_china_and_metal_band():
    """Modal partials of cups and spoons lie at 1-8 kHz: the spectrum's strongest peak
    is there and most of the energy is above 900 Hz."""
    for seed in range(1, 9):
        x = render("cutlery", {}, seconds=5.0, sample_rate=SR, seed=seed)
        mono = x.mean(axis=0).astype(np.float64)
        assert 1000.0 <= ps.peak_frequency(mono, SR, 200.0, 12000.0) <= 8500.0
        assert st.band_energy_fraction(x, SR, 900.0, 9000.0) > 0.8


def test_murmur_syllable_rate_modulation():
    """A few talkers: the speech envelope's modulation spectrum peaks at the syllable
    rate (above the 0.5-1 Hz of turns; 4-5 Hz here; running speech 2.5-6 Hz, Houtgast & Steeneken 1985; Ding et
    al. 2017: 4-5 Hz across languages) and stands well above the 12-16 Hz bands."""
    peaks = []
    for seed in range(1, 5):
        x = render("murmur", {"crowd": 0.0}, seconds=12.0, sample_rate=SR, seed=seed)
        c, m = ps.modulation_spectrum(x, SR)
        # above the turn-taking (talk, listen: 0.5-1 Hz), the syllables' peak
        peaks.append(ps.modulation_peak_hz(x, SR, low=1.5))
        syllable = m[(c >= 3.0) & (c <= 6.5)].mean()
        assert syllable > 1.25 * m[c >= 12.0].mean(), (seed, np.round(m, 2))
    assert all(2.5 <= p <= 6.5 for p in peaks), peaks


def test_murmur_long_term_spectrum_is_speech_shaped():
    """The LTASS (Byrne et al. 1994): 1/3-octave levels peak at 250-500 Hz and fall
    about 10 dB to 2 kHz and 10-18 dB to 4 kHz; little below 100 Hz."""
    centres = np.array([125.0, 250.0, 500.0, 2000.0, 4000.0])
    for crowd in (0.0, 1.0):
        x = render("murmur", {"crowd": crowd}, seconds=10.0, sample_rate=SR, seed=2)
        lv = ps.third_octave_db(x, SR, centres)
        rel = lv - lv[2]
        assert max(lv[1], lv[2]) == lv.max()
        assert -16.0 <= rel[3] <= -6.0, rel
        assert -20.0 <= rel[4] <= -8.0, rel
        assert rel[0] < -4.0, rel


def test_room_tone_falls_5_db_per_octave():
    """RC 'neutral' spectrum: octave band levels fall 5 dB/oct (125 Hz-4 kHz)."""
    x = render("room-tone", {"hum": 0.0}, seconds=8.0, sample_rate=SR, seed=1)
    lv = _octave_db(x)
    slope = np.polyfit(np.log2(OCTAVES[1:7]), lv[1:7], 1)[0]
    assert -6.0 <= slope <= -4.0, slope
    # very low level variation
    assert st.mod_depth_db(x, SR) < 2.5


def test_room_tone_hum_adds_mains_harmonics():
    """At hum 1 the 100 or 120 Hz mains line (twice 50 or 60 Hz) stands 15 dB or more
    over the noise around it; at hum 0 it is faint."""
    for seed in (1, 2, 3):
        loud = render("room-tone", {"hum": 1.0}, seconds=8.0, sample_rate=SR, seed=seed)
        quiet = render("room-tone", {"hum": 0.0}, seconds=8.0, sample_rate=SR, seed=seed)
        best = max(ps.line_prominence_db(loud, SR, hz) for hz in (100.0, 120.0))
        assert best > 15.0, (seed, best)
        faint = max(ps.line_prominence_db(quiet, SR, hz) for hz in (100.0, 120.0))
        assert faint < best - 10.0, (seed, faint, best)


def test_pass_by_doppler_shift():
    """A car's engine harmonic while it comes and while it goes: the ratio is the
    Doppler factor (c + v cos) / (c - v cos) of the geometry (within 1 %): 1.4
    semitones at 50 km/h."""
    rate = 3000.0
    for kmh, closest in ((30.0, 6.0), (50.0, 8.0), (60.0, 15.0)):
        v = kmh / 3.6
        n, t0, firing = int(24 * rate), 12.0, 40.0
        eng, gain, x = pass_by(np.random.default_rng(1), n, rate, t0, v, closest, firing)
        come = ps.peak_frequency(eng[int(2 * rate):int(6 * rate)], rate, 32.0, 48.0)
        go = ps.peak_frequency(eng[int(18 * rate):int(22 * rate)], rate, 32.0, 48.0)
        xa = v * 8.0  # the car is ~8 s from its closest point in the windows
        cos = xa / np.hypot(closest, xa)
        expect = (SPEED_OF_SOUND + v * cos) / (SPEED_OF_SOUND - v * cos)
        assert abs(come / go / expect - 1.0) < 0.01, (kmh, come, go, expect)
        # 1/r: loudest when closest, moving across the image; 10 dB down at +-3 d
        assert abs(np.argmax(gain) / rate - t0) < 0.2
        assert x[0] < -0.9 and x[-1] > 0.9
        loud = np.flatnonzero(gain >= gain.max() / np.sqrt(10.0))
        span = (loud[-1] - loud[0]) / rate
        assert abs(span / (6.0 * closest / v) - 1.0) < 0.03, (kmh, span)


def test_traffic_spectrum_and_density():
    """The bed keeps the traffic spectrum (A-weighted 1/3-octave peak at 0.5-2 kHz as
    in EN 1793-3) and more cars move the level more."""
    a_w = {500.0: -3.2, 1000.0: 0.0, 2000.0: 1.2, 125.0: -16.1, 250.0: -8.6, 4000.0: 1.0}
    centres = np.array(sorted(a_w))
    for density in (12.0, 60.0):
        x = render("traffic", {"density": density}, seconds=10.0, sample_rate=SR, seed=1)
        lv = ps.third_octave_db(x, SR, centres) + np.array([a_w[c] for c in centres])
        assert 500.0 <= centres[int(np.argmax(lv))] <= 2000.0, lv


def test_train_rhythm_follows_speed():
    """The clickety-clack's period from the envelope's autocorrelation is one rail
    length (20 m) per speed: 1.8 s at 40 km/h, 0.72 s at 100, 0.45 s at 160."""
    for speed in (40.0, 100.0, 160.0):
        expect = 20.0 / (speed / 3.6)
        for seed in (1, 2):
            x = render("train", {"speed": speed}, seconds=12.0, sample_rate=SR, seed=seed)
            got = ps.rhythm_period(x, SR, 0.3, 2.5)
            assert abs(got / expect - 1.0) < 0.03, (speed, seed, got, expect)


def test_cabin_hump():
    """Airliner cabin spectra: a broad hump at 200-500 Hz, well down at 4 kHz."""
    x = render("cabin", {}, seconds=8.0, sample_rate=SR, seed=1)
    lv = _octave_db(x)
    assert OCTAVES[int(np.argmax(lv))] in (250.0, 500.0)
    assert lv[6] < lv.max() - 8.0
    assert st.mod_depth_db(x, SR) < 2.0


def test_tent_rain_resonance_bands():
    """A tent fly drums at 100-400 Hz, a car roof rings at 300-1500 Hz; a downpour has
    more drops than a drizzle (the level moves less)."""
    centres = 2.0 ** (np.arange(-12, 15) / 3.0) * 1000.0
    for surface, lo, hi in (("tent", 100.0, 500.0), ("car", 300.0, 1600.0)):
        mods = []
        for intensity in (0.0, 1.0):
            x = render("tent-rain", {"surface": surface, "intensity": intensity},
                       seconds=6.0, sample_rate=SR, seed=1)
            lv = ps.third_octave_db(x, SR, centres)
            assert lo <= centres[int(np.argmax(lv))] <= hi, (surface, intensity)
            mods.append(st.mod_depth_db(x, SR))
        assert mods[0] > mods[1] + 1.0, mods
