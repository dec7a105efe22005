"""The frogs family (soundscape/procedural/frogs.py): every recipe keeps the
procedural contract over many seeds and parameter corners, and shows its model in
measured properties (the peepers' 2.8-3.2 kHz upslurred whistles, one male's
temperature-set call rate and neighbours alternating; the bullfrog's ~100 Hz
harmonic croaks with peaks near 200-300 Hz and 1-1.5 kHz, 2-8 notes of 0.5-1 s; the
pond chorus's low plunks and 2-3.3 kHz creaks with a rising pulse rate; the
woodpecker's strike count and rate, its knocks' band and smooth sub-millisecond
rise)."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.signal

from soundscape.guard import check_segment, find_clicks
from soundscape.procedural import RECIPES, render
from soundscape.procedural import frogs as fr
from soundscape.procedural import stats as st

SR = 48000
SEEDS = range(1, 9)

BED_CORNERS: dict[str, list[dict[str, object]]] = {
    "peepers": [{"density": 0.0, "temperature_c": 4.0}, {"density": 1.0, "temperature_c": 26.0},
                {"density": 0.0, "temperature_c": 26.0}, {"density": 1.0, "temperature_c": 4.0}],
    "frogs": [{"density": 0.0}, {"density": 1.0}],
}
EVENT_CORNERS: dict[str, list[dict[str, object]]] = {
    "bullfrog": [{}],
    "woodpecker": [{"species": s} for s in fr.WOODPECKER_CHOICES],
}


def _psd(x: np.ndarray, nperseg: int = 8192) -> tuple[np.ndarray, np.ndarray]:
    f, p = scipy.signal.welch(x.astype(np.float64).mean(axis=0), SR, nperseg=nperseg)
    return f, p


def _band_peak(f: np.ndarray, p: np.ndarray, lo: float, hi: float) -> tuple[float, float]:
    sel = (f >= lo) & (f <= hi)
    k = int(np.argmax(p[sel]))
    return float(f[sel][k]), float(p[sel][k])


def test_family_registered():
    assert {"peepers", "bullfrog", "frogs", "woodpecker"} <= set(RECIPES)
    assert RECIPES["peepers"].kind == "bed" and RECIPES["frogs"].kind == "bed"
    assert RECIPES["bullfrog"].kind == "event" and RECIPES["woodpecker"].kind == "event"


@pytest.mark.parametrize("name,params", [(n, p) for n, ps_ in BED_CORNERS.items() for p in ps_])
def test_bed_contract(name, params):
    """Finite, exact length, -20 dBFS RMS, peak < 0.95, no clicks, no flat tops, not
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


@pytest.mark.parametrize("name", sorted(BED_CORNERS))
def test_bed_determinism_seeds_and_rates(name):
    a = render(name, {}, seconds=2.0, sample_rate=SR, seed=7)
    b = render(name, {}, seconds=2.0, sample_rate=SR, seed=7)
    c = render(name, {}, seconds=2.0, sample_rate=SR, seed=8)
    assert np.array_equal(a, b)
    assert abs(np.corrcoef(a[0], c[0])[0, 1]) < 0.5  # another seed is other material
    for rate in (16000, 96000):
        x = render(name, {}, seconds=1.5, sample_rate=rate, seed=3)
        assert x.shape == (2, round(1.5 * rate)) and np.isfinite(x).all()
        assert check_segment(x, rate, "bed", strict=True) == []


@pytest.mark.parametrize("name,params", [(n, p) for n, ps_ in EVENT_CORNERS.items() for p in ps_])
def test_event_contract(name, params):
    """Starts and ends at exactly zero, peaks at -3 dBFS, at most 20 s, no flat tops,
    and no clicks even by the bed detector (the attacks are smooth); deterministic;
    a short limit cuts the event and still ends at zero."""
    for seed in SEEDS:
        x = render(name, params, seconds=20.0, sample_rate=SR, seed=seed)
        assert x.dtype == np.float32 and np.isfinite(x).all()
        assert 0 < x.shape[1] <= 20 * SR
        assert np.all(x[:, 0] == 0.0) and np.all(x[:, -1] == 0.0)
        assert abs(20 * np.log10(np.abs(x).max()) + 3.0) < 0.1
        assert check_segment(x, SR, "event", strict=True) == []
        assert find_clicks(x, SR) == [], seed
        assert st.flat_tops(x, sample_rate=SR) == 0
    a = render(name, params, seconds=20.0, sample_rate=SR, seed=4)
    assert np.array_equal(a, render(name, params, seconds=20.0, sample_rate=SR, seed=4))
    short = render(name, params, seconds=0.3, sample_rate=SR, seed=4)
    assert 0 < short.shape[1] <= int(0.3 * SR) and np.all(short[:, -1] == 0.0)
    for rate in (16000, 96000):
        y = render(name, params, seconds=20.0, sample_rate=rate, seed=2)
        assert np.isfinite(y).all() and check_segment(y, rate, "event", strict=True) == []


# --- peepers ---------------------------------------------------------------------------

def test_peep_is_a_rising_whistle_at_2_8_to_3_2_khz():
    """Each call an upslurred whistle: its frequency rises (first quarter lower than
    the last), its end frequency in 2.8-3.2 kHz and 0.1-0.2 s long."""
    rng = np.random.default_rng(1)
    for _ in range(8):
        top = float(rng.uniform(*fr.PEEP_HZ))
        dur = float(rng.uniform(*fr.PEEP_S))
        x = fr.peep(rng, SR, top, dur)
        assert 0.1 <= len(x) / SR <= 0.2
        q = len(x) // 4
        zc = [np.sum(np.diff(np.signbit(seg)) != 0) / (2 * len(seg) / SR)
              for seg in (x[:q], x[-q:])]
        assert zc[0] < zc[1] * 0.97, zc
        assert 2750.0 <= zc[1] <= 3250.0, zc


def test_peepers_spectrum_peaks_at_2_8_to_3_2_khz():
    for params in ({"density": 0.0}, {"density": 1.0}):
        x = render("peepers", params, seconds=6.0, sample_rate=SR, seed=3)
        f, p = _psd(x)
        peak, _ = _band_peak(f, p, 100.0, 10000.0)
        assert 2700.0 <= peak <= 3300.0, peak
        assert st.band_energy_fraction(x, SR, 2400.0, 3600.0) > 0.75


def test_peeper_call_rate_follows_temperature_and_neighbours_alternate():
    """One male calls about once a second at 15 C, twice as often 10 C warmer (Q10 = 2);
    counted from the onsets of a lone male's rendered calls. A neighbour answers in
    his silences: every answer falls 40-60 % of the way between the lead's calls."""
    assert fr.peeper_calls_per_s(15.0) == pytest.approx(1.0)
    assert fr.peeper_calls_per_s(25.0) == pytest.approx(2.0)
    seconds = 30.0
    for temp in (5.0, 15.0, 25.0):
        rates = []
        for seed in range(4):
            x = fr._peeper_chorus(np.random.default_rng(seed), int(seconds * SR), SR, temp, 1)
            env = st.rms_envelope(x, SR, 0.01) > 1e-4
            onsets = np.flatnonzero(np.diff(env.astype(int)) == 1)
            rates.append(len(onsets) / seconds)
        assert np.median(rates) == pytest.approx(fr.peeper_calls_per_s(temp), rel=0.25), (temp, rates)
    rng = np.random.default_rng(5)
    lead = fr._alternating(rng, 30.0, 1.0, None)
    answer = fr._alternating(rng, 30.0, 1.0, lead)
    k = np.searchsorted(lead, answer) - 1
    share = (answer - lead[k]) / (lead[k + 1] - lead[k])
    assert len(answer) > 20 and np.all((share >= 0.4) & (share <= 0.6))


def test_peepers_density_adds_callers():
    """A denser chorus: more calls overlap, so its 10 ms level swings less (the
    deafening chorus is a wall of whistles)."""
    sparse = render("peepers", {"density": 0.0}, seconds=6.0, sample_rate=SR, seed=2)
    dense = render("peepers", {"density": 1.0}, seconds=6.0, sample_rate=SR, seed=2)
    assert st.mod_depth_db(dense, SR) < st.mod_depth_db(sparse, SR) - 1.0


# --- bullfrog ---------------------------------------------------------------------------

def test_bullfrog_croaks_have_published_spectrum():
    """Harmonic croaks at a ~100 Hz fundamental (95-145 Hz) with energy peaks near
    200-300 Hz and 1-1.5 kHz (Capranica 1965): one of the two is the spectrum's
    strongest peak, and both stand over the 500-800 Hz valley between them."""
    for seed in range(1, 13):
        x = render("bullfrog", {}, seconds=20.0, sample_rate=SR, seed=seed)
        f, p = _psd(x, 16384)
        low_f, low_p = _band_peak(f, p, 150.0, 400.0)
        high_f, high_p = _band_peak(f, p, 850.0, 1700.0)
        valley = np.median(p[(f >= 500.0) & (f <= 800.0)])
        # the peaks are the strongest harmonics by the resonances (harmonics ~100 Hz
        # apart), so the 200-300 Hz and 1-1.5 kHz resonances show as peaks at
        # 180-400 Hz and 900-1650 Hz
        assert 180.0 <= low_f <= 400.0 and 900.0 <= high_f <= 1650.0, (low_f, high_f)
        assert max(low_p, high_p) == pytest.approx(p[f >= 50].max()), seed
        assert min(low_p, high_p) > 3.0 * valley, (low_p, high_p, valley)
        # fundamental: the autocorrelation of the mono croak peaks at one period
        mono = x.mean(axis=0).astype(np.float64)[: SR]
        spec = np.abs(np.fft.rfft(mono, 2 * SR)) ** 2
        ac = np.fft.irfft(spec)[:SR]
        lag = int(np.argmax(ac[int(SR / 150.0):int(SR / 85.0)])) + int(SR / 150.0)
        assert 90.0 <= SR / lag <= 150.0, SR / lag


def test_bullfrog_call_is_2_to_8_notes_of_half_to_one_second():
    counts = []
    for seed in range(1, 13):
        croaks, which, offsets, _ = fr.croak_call(np.random.default_rng(seed), SR, 20 * SR)
        counts.append(len(which))
        lengths = np.array([len(croaks[w]) for w in which]) / SR
        assert np.all((lengths >= 0.5) & (lengths <= 1.0))
        gaps = (offsets[1:] - offsets[:-1]) / SR - lengths[:-1]
        assert np.all((gaps >= 0.5) & (gaps <= 1.0))
    assert min(counts) >= 2 and max(counts) <= 8 and len(set(counts)) >= 3
    # the rendered call: notes separated by clear dips in level
    x = render("bullfrog", {}, seconds=20.0, sample_rate=SR, seed=3)
    env = st.rms_envelope(x, SR, 0.05)
    loud = env > 0.2 * env.max()
    notes = int(np.sum(np.diff(loud.astype(int)) == 1) + loud[0])
    assert 2 <= notes <= 8


# --- pond chorus ------------------------------------------------------------------------

def test_frogs_low_plunks_and_high_creaks():
    """Both voices are there: green frogs' plunks (most energy below 1 kHz) and the
    chorus frogs' creaks (2-3.3 kHz) each carry a real share of the energy."""
    for seed in (1, 2, 3):
        x = render("frogs", {}, seconds=8.0, sample_rate=SR, seed=seed)
        assert st.band_energy_fraction(x, SR, 80.0, 1000.0) > 0.15
        assert st.band_energy_fraction(x, SR, 1900.0, 3500.0) > 0.2


def test_creak_pulse_rate_rises_and_gunk_dies_away():
    rng = np.random.default_rng(2)
    for _ in range(6):
        x = fr.creak(rng, SR, 2500.0)
        assert 0.4 <= len(x) / SR <= 1.05
        env = st.rms_envelope(x[None, :], SR, 0.002)
        peaks, _ = scipy.signal.find_peaks(env, height=0.3 * env.max(), distance=10)
        assert fr.CREAK_PULSES[0] - 1 <= len(peaks) <= fr.CREAK_PULSES[1]
        gaps = np.diff(peaks)
        assert gaps[: len(gaps) // 3].mean() > 1.3 * gaps[-len(gaps) // 3:].mean()
        g = fr.gunk(rng, SR, 150.0)
        half = len(g) // 2
        assert np.sqrt(np.mean(g[half:] ** 2)) < 0.5 * np.sqrt(np.mean(g[:half] ** 2))


# --- woodpecker ---------------------------------------------------------------------------

def _onset_strength(x: np.ndarray) -> np.ndarray:
    """Rises of the 1 ms RMS envelope of the 2-6 kHz band (the bill's contact tick):
    one value per ms."""
    hp = scipy.signal.sosfilt(scipy.signal.butter(4, (2000.0, 6000.0), "bandpass", fs=SR,
                                                  output="sos"), x.astype(np.float64).mean(axis=0))
    env = st.rms_envelope(hp[None, :], SR, 0.001)
    return np.maximum(np.diff(env), 0.0)


def _strike_rate(x: np.ndarray) -> float:
    """Strikes per second: the lag (35-110 ms) where the onset strength's
    autocorrelation peaks."""
    on = _onset_strength(x)
    on = on - on.mean()
    ac = np.correlate(on, on, "full")[len(on) - 1:]
    lag = int(np.argmax(ac[35:111])) + 35
    return 1000.0 / lag


@pytest.mark.parametrize("species", fr.WOODPECKER_CHOICES)
def test_woodpecker_strike_count_and_rate(species):
    """Each species' roll: its published strike count (drum_times) and rate, the rate
    measured in the rendered roll from its rhythm; a great spotted's roll lasts
    0.4-0.85 s from the first strike to the last clear one."""
    (lo, hi), (r_lo, r_hi), _ = fr.WOODPECKERS[species]
    for seed in range(1, 7):
        t = fr.drum_times(np.random.default_rng(seed), lo + seed % (hi - lo + 1), r_lo)
        assert len(t) - 1 == pytest.approx(r_lo * t[-1])  # mean rate kept
        assert np.diff(t)[0] > np.diff(t)[len(t) // 2]  # gets up to speed
        x = render("woodpecker", {"species": species}, seconds=20.0, sample_rate=SR, seed=seed)
        rate = _strike_rate(x)
        assert r_lo * 0.9 <= rate <= r_hi * 1.1, (seed, rate)
        if species == "great-spotted":
            on = _onset_strength(x)
            clear = np.flatnonzero(on > 0.3 * on.max())
            assert 0.35 <= (clear[-1] - clear[0]) / 1000.0 <= 0.85, seed


def test_woodpecker_knock_band_and_smooth_rise():
    """The knocks ring in the branch's 300 Hz-2.5 kHz modes; each strike rises from
    silence over about CONTACT_S (0.5-1 ms), not in a sample."""
    for seed in range(1, 5):
        x = render("woodpecker", {}, seconds=20.0, sample_rate=SR, seed=seed)
        assert st.band_energy_fraction(x, SR, 280.0, 2600.0) > 0.85
    rng = np.random.default_rng(3)
    ir = fr.branch_ir(rng, SR, 500.0)
    c = int(fr.CONTACT_S * SR)
    hit = np.convolve(np.sin(np.pi * (np.arange(c) + 0.5) / c), ir)
    env = np.maximum.accumulate(np.abs(hit))
    rise = (np.argmax(env >= 0.9 * env.max()) - np.argmax(env >= 0.1 * env.max())) / SR
    assert 0.0003 <= rise <= 0.002, rise
    assert np.abs(hit[0]) < 0.05 * np.abs(hit).max()
