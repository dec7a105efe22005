"""The things family (soundscape/procedural/things.py): the render contract over many
seeds and every parameter corner, the segment guard, and one measured property per
recipe that shows its model (a clock's beat, a typist's rate, a chime's bar modes,
a bowl's beating, a fan's blade-pass tone, a purr's pulse rate).
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.signal

from soundscape.guard import check_segment, find_clicks
from soundscape.procedural import RECIPES, render, things
from soundscape.procedural import stats as st

SR = 48000
SEEDS = range(8)
BEDS = ("clock", "typing", "hum", "purr")
EVENTS = ("pages", "chimes", "bowl")
# every numeric param at both ends and every choice
CORNERS: dict[str, list[dict[str, object]]] = {
    "clock": [{"rate": r, "size": s} for r in (1.0, 5.0) for s in (0.0, 1.0)],
    "typing": [{"speed": 20.0}, {"speed": 90.0}],
    "hum": [{"kind": k, "speed": v} for k in ("fan", "aircon") for v in (0.0, 1.0)],
    "purr": [{"rate": 20.0}, {"rate": 30.0}],
    "pages": [{}],
    "chimes": [{"size": 0.0}, {"size": 1.0}],
    "bowl": [{"pitch": 150.0}, {"pitch": 600.0}],
}
CASES = [(name, params) for name, corners in CORNERS.items() for params in corners]


def _ids(cases: list[tuple[str, dict[str, object]]]) -> list[str]:
    return [" ".join([n, *(f"{k}={v}" for k, v in p.items())]) for n, p in cases]


def test_registered() -> None:
    for name in BEDS:
        assert RECIPES[name].kind == "bed"
    for name in EVENTS:
        assert RECIPES[name].kind == "event"
    assert set(CORNERS) == {r.name for r in things.RECIPES}
    for r in things.RECIPES:
        assert r.doc
        for spec in r.params.values():
            assert spec.doc


@pytest.mark.parametrize(("name", "params"), CASES, ids=_ids(CASES))
def test_contract_over_seeds(name: str, params: dict[str, object]) -> None:
    kind = RECIPES[name].kind
    seconds = 4.0 if kind == "bed" else 20.0
    first = None
    for seed in SEEDS:
        x = render(name, params, seconds=seconds, sample_rate=SR, seed=seed)
        assert x.dtype == np.float32 and x.shape[0] == 2
        assert np.isfinite(x).all()
        peak = float(np.max(np.abs(x)))
        if kind == "bed":
            assert x.shape[1] == round(seconds * SR)
            assert -20.5 < st.rms_db(x) < -19.5
            assert peak < 0.95, f"{name} {params} seed {seed}: peak {peak:.3f}"
            # stationary, no fade: the first and last 50 ms are no quieter than the
            # quietest 50 ms inside (a clock at one beat a second is quiet between beats)
            edge = int(0.05 * SR)
            inner = min(st.rms_db(x[:, i:i + edge]) for i in range(edge, x.shape[1] - 2 * edge,
                                                                  edge))
            assert st.rms_db(x[:, :edge]) > inner - 1.0
            assert st.rms_db(x[:, -edge:]) > inner - 1.0
        else:
            assert 0 < x.shape[1] <= 20 * SR
            assert 20 * np.log10(peak) == pytest.approx(-3.0, abs=0.05)
            assert np.all(x[:, 0] == 0.0) and np.all(x[:, -1] == 0.0)
        assert check_segment(x, SR, kind, strict=True) == [], (name, params, seed)
        assert st.flat_tops(x, sample_rate=SR) == 0, (name, params, seed)
        if first is None:
            first = x
        elif seed == 1:
            n = min(first.shape[1], x.shape[1])
            assert not np.allclose(first[:, :n], x[:, :n]), "seeds 0 and 1 are the same"
    again = render(name, params, seconds=seconds, sample_rate=SR, seed=SEEDS[-1])
    assert np.array_equal(again, x)


@pytest.mark.parametrize("sr", [16000, 96000])
@pytest.mark.parametrize("name", BEDS + EVENTS)
def test_other_rates(name: str, sr: int) -> None:
    kind = RECIPES[name].kind
    for params in CORNERS[name]:
        x = render(name, params, seconds=3.0, sample_rate=sr, seed=11)
        assert np.isfinite(x).all() and np.max(np.abs(x)) <= 1.0
        assert check_segment(x, sr, kind, strict=True) == [], (name, params, sr)
        assert st.flat_tops(x, sample_rate=sr) == 0


@pytest.mark.parametrize("name", BEDS)
def test_beds_pass_the_click_guard_long(name: str) -> None:
    """20 s at the defaults and the sparsest corner: the strikes are real transients,
    not clicks (guard.find_clicks)."""
    for params in [{}, CORNERS[name][0]]:
        for seed in (21, 22):
            x = render(name, params, seconds=20.0, sample_rate=SR, seed=seed)
            assert find_clicks(x, SR) == [], (name, params, seed)


def test_short_event_and_bed_lengths() -> None:
    for name in EVENTS:
        x = render(name, {}, seconds=0.05, sample_rate=SR, seed=2)
        assert 0 < x.shape[1] <= round(0.05 * SR)
    for name in BEDS:
        assert render(name, {}, seconds=17 / SR, sample_rate=SR, seed=2).shape == (2, 17)


# --- measured properties -----------------------------------------------------------

def _onsets(x: np.ndarray, sr: int, min_gap_s: float, rel_db: float) -> np.ndarray:
    """Times (s) of strikes: peaks of the 1 ms high-band (> 1 kHz) envelope at least
    ``min_gap_s`` apart and within ``rel_db`` of the loudest."""
    mono = x.astype(np.float64).mean(axis=0)
    hp = scipy.signal.sosfilt(scipy.signal.butter(4, 1000.0, "highpass", fs=sr,
                                                  output="sos"), mono)
    win = int(0.001 * sr)
    env = np.sqrt(np.convolve(hp**2, np.ones(win) / win, mode="same"))
    height = np.max(env) * 10 ** (rel_db / 20.0)
    peaks, _ = scipy.signal.find_peaks(env, height=height, distance=int(min_gap_s * sr))
    return peaks / sr


@pytest.mark.parametrize("rate", [1.0, 2.0, 5.0])
def test_clock_beat(rate: float) -> None:
    """The beats come ``rate`` a second, within 3 % (the clock's own unevenness), and
    tick and tock alternate two voices: the centroids of odd and even beats differ."""
    x = render("clock", {"rate": rate, "size": 0.3}, seconds=12.0, sample_rate=SR, seed=4)
    t = _onsets(x, SR, 0.6 / rate, -12.0)
    gaps = np.diff(t)
    assert len(t) >= 12 * rate - 3
    assert np.mean(gaps) == pytest.approx(1.0 / rate, rel=0.005)
    assert np.all(np.abs(gaps * rate - 1.0) < 0.03), gaps * rate
    win = int(0.004 * SR)
    cents = np.array([st.spectral_centroid(x[:, int(a * SR):int(a * SR) + win], SR)
                      for a in t[:-1]])
    odd, even = cents[1::2], cents[::2]
    assert abs(np.median(odd) - np.median(even)) > 50.0


def test_clock_size_lowers_the_tick() -> None:
    small = render("clock", {"size": 0.0}, seconds=6.0, sample_rate=SR, seed=5)
    big = render("clock", {"size": 1.0}, seconds=6.0, sample_rate=SR, seed=5)
    assert st.spectral_centroid(big, SR) < 0.8 * st.spectral_centroid(small, SR)


def _strikes_per_s(x: np.ndarray, sr: int) -> float:
    """Strikes a second: peaks of the 1 ms high-band (> 1 kHz) level at least 30 ms
    apart that stand 10 dB above the level around them (a release is 6-10 dB below
    its press, the room floor about 30 dB)."""
    mono = x.astype(np.float64).mean(axis=0)
    hp = scipy.signal.sosfilt(scipy.signal.butter(4, 1000.0, "highpass", fs=sr,
                                                  output="sos"), mono)
    win = int(0.001 * sr)
    db = 10 * np.log10(np.convolve(hp**2, np.ones(win) / win, mode="same") + 1e-18)
    peaks, _ = scipy.signal.find_peaks(db, distance=int(0.03 * sr), prominence=10.0)
    return len(peaks) / (x.shape[1] / sr)


@pytest.mark.parametrize("wpm", [20.0, 30.0, 50.0])
def test_typing_rate(wpm: float) -> None:
    """Keystrokes come at the typist's rate, 5 wpm / 60 characters a second in the long
    run, pauses included: over 60 s, half the strikes (press and release) within
    15 %. Faster, a release and the next press fall within 30 ms of each other and
    are heard as one, so 80 wpm is only checked to be faster than 50."""
    x = render("typing", {"speed": wpm}, seconds=60.0, sample_rate=SR, seed=6)
    assert _strikes_per_s(x, SR) / 2 == pytest.approx(5.0 * wpm / 60.0, rel=0.15)


def test_typing_faster() -> None:
    fast = render("typing", {"speed": 80.0}, seconds=30.0, sample_rate=SR, seed=7)
    mid = render("typing", {"speed": 50.0}, seconds=30.0, sample_rate=SR, seed=7)
    assert _strikes_per_s(fast, SR) > 1.1 * _strikes_per_s(mid, SR)


def test_pages_model() -> None:
    """0.4-1.2 s; the swish is a paper rustle (most energy at 1-8 kHz); the flap
    at the end carries low energy (< 300 Hz) that the start has not."""
    for seed in SEEDS:
        x = render("pages", {}, seconds=5.0, sample_rate=SR, seed=seed).astype(np.float64)
        assert 0.4 <= x.shape[1] / SR <= 1.35
        f, p = scipy.signal.welch(x.mean(axis=0), SR, nperseg=1024)
        assert p[(f >= 1000) & (f <= 8000)].sum() / p.sum() > 0.6
        m = x.shape[1]
        lp = scipy.signal.sosfilt(scipy.signal.butter(4, 300.0, fs=SR, output="sos"),
                                  x.mean(axis=0))
        assert np.mean(lp[int(0.8 * m):] ** 2) > 4 * np.mean(lp[: int(0.5 * m)] ** 2)


def _peaks(x: np.ndarray, sr: int, count: int, lo: float = 100.0) -> np.ndarray:
    """The ``count`` strongest spectral peaks (Hz) above ``lo`` of the mono mix."""
    mono = x.astype(np.float64).mean(axis=0)
    spec = np.abs(np.fft.rfft(mono * np.hanning(len(mono))))
    f = np.fft.rfftfreq(len(mono), 1.0 / sr)
    idx, _ = scipy.signal.find_peaks(spec, distance=max(1, int(5.0 / (f[1]))))
    idx = idx[f[idx] > lo]
    return np.sort(f[idx[np.argsort(spec[idx])[-count:]]])


@pytest.mark.parametrize("size", [0.0, 1.0])
def test_chimes_are_free_free_bars_tuned_pentatonic(size: float) -> None:
    """Every strong spectral peak is a bar mode (1, 2.756, 5.404, 8.933 x) of a tube
    tuned to the pentatonic set on the size's root, within 0.5 %."""
    root = things.CHIME_ROOT_HZ[0] * (things.CHIME_ROOT_HZ[1] / things.CHIME_ROOT_HZ[0]) ** size
    modes = (root * 2.0 ** (things.PENTATONIC[:, None] / 12.0) * things.CHIME_RATIOS).ravel()
    for seed in (1, 2, 3):
        x = render("chimes", {"size": size}, seconds=20.0, sample_rate=SR, seed=seed)
        for f in _peaks(x, SR, 6):
            assert np.min(np.abs(modes / f - 1.0)) < 0.005, (seed, f)


def test_chimes_size_sets_the_decay() -> None:
    short = [render("chimes", {"size": 0.0}, seconds=20.0, sample_rate=SR, seed=s).shape[1]
             for s in SEEDS]
    long = [render("chimes", {"size": 1.0}, seconds=20.0, sample_rate=SR, seed=s).shape[1]
            for s in SEEDS]
    # T60 2 s vs 8 s: the big chimes ring (to -70 dB) about four times as long
    assert np.median(long) > 2.5 * np.median(short)


@pytest.mark.parametrize("pitch", [150.0, 330.0, 600.0])
def test_bowl_partials_and_beating(pitch: float) -> None:
    """The fundamental sits at ``pitch``, the next shell mode near 2.83 x (Rayleigh's
    n(n**2 - 1) / sqrt(n**2 + 1), +-3 %); the fundamental's level beats at 0.5-3 Hz
    and it rings 10-20 s (T60)."""
    x = render("bowl", {"pitch": pitch}, seconds=20.0, sample_rate=SR, seed=7)
    assert x.shape[1] / SR > 8.0
    peaks = _peaks(x, SR, 2, lo=0.5 * pitch)
    assert peaks[0] == pytest.approx(pitch, rel=0.01)
    assert peaks[1] / peaks[0] == pytest.approx(2.83, rel=0.03)
    band = scipy.signal.sosfiltfilt(scipy.signal.butter(2, (0.9 * pitch, 1.1 * pitch),
                                                        "bandpass", fs=SR, output="sos"),
                                    x[0].astype(np.float64))
    env = np.abs(scipy.signal.hilbert(band))[::480]  # 100 Hz
    db = 20 * np.log10(env + 1e-9)
    t = np.arange(len(db)) / 100.0
    use = (t > 0.5) & (t < 8.0)
    slope = np.polyfit(t[use], db[use], 1)[0]  # dB per second
    assert 60.0 / -slope == pytest.approx(15.0, abs=7.0)  # T60 within 8-22 s
    resid = db[use] - np.polyval(np.polyfit(t[use], db[use], 1), t[use])
    f, p = scipy.signal.periodogram(resid, 100.0)
    beat = f[np.argmax(p[1:]) + 1]
    assert 0.4 <= beat <= 3.5, beat


@pytest.mark.parametrize(("kind", "blades", "lo", "hi"), [
    ("fan", 5, 700.0, 1600.0), ("aircon", 34, 600.0, 1100.0)])
@pytest.mark.parametrize("speed", [0.0, 0.5, 1.0])
def test_hum_blade_pass_tone(kind: str, blades: int, lo: float, hi: float,
                             speed: float) -> None:
    """The strongest tone is the blade-passing frequency blades x rpm / 60."""
    x = render("hum", {"kind": kind, "speed": speed}, seconds=8.0, sample_rate=SR, seed=8)
    bpf = blades * (lo + (hi - lo) * speed) / 60.0
    f, p = scipy.signal.welch(x.astype(np.float64).mean(axis=0), SR, nperseg=SR)
    band = (f > 0.8 * bpf) & (f < 1.2 * bpf)
    assert f[band][np.argmax(p[band])] == pytest.approx(bpf, rel=0.02)
    # a tone: well above the broadband floor around it
    assert np.max(p[band]) > 10 * np.median(p[band])


def test_hum_aircon_compressor_hum() -> None:
    x = render("hum", {"kind": "aircon"}, seconds=8.0, sample_rate=SR, seed=9)
    f, p = scipy.signal.welch(x.astype(np.float64).mean(axis=0), SR, nperseg=SR)
    near = (f > 90) & (f < 110)
    assert f[near][np.argmax(p[near])] == pytest.approx(100.0, abs=1.0)


@pytest.mark.parametrize("rate", [20.0, 26.0, 30.0])
def test_purr_pulse_rate(rate: float) -> None:
    """The envelope's strongest periodicity is the laryngeal pulse rate (exhaled
    ``rate``, inhaled 0.93 x): 25-30 Hz for a domestic cat, within 8 %."""
    x = render("purr", {"rate": rate}, seconds=12.0, sample_rate=SR, seed=10)
    mono = x.astype(np.float64).mean(axis=0)
    env = np.abs(scipy.signal.hilbert(mono))[::48]  # 1 kHz
    f, p = scipy.signal.periodogram(env - env.mean(), 1000.0)
    band = (f > 10.0) & (f < 60.0)
    peak = f[band][np.argmax(p[band])]
    assert 0.92 * rate <= peak <= 1.02 * rate, peak
    # most of the energy below 1 kHz (the body's low-passed resonance)
    fw, pw = scipy.signal.welch(mono, SR, nperseg=4096)
    assert pw[fw < 1000].sum() / pw.sum() > 0.8
