"""The frogs family measured: speed, texture statistics and each model's own figure
against the published one.

Usage: python bench/palette_frogs.py [--markdown] [--seeds N]

One row per recipe (and per notable setting): seconds to render 10 s of a bed (an
event: one event, whatever its natural length) at 48 kHz, median of ``--seeds``
renders (default 3), and the fire bed's in the same run ("x fire": the ratio, which a
busy machine changes much less than the seconds); spectral centroid (Hz), slope
(dB/oct) and 50 ms modulation depth (dB) of the mono mix
(soundscape.procedural.stats); then the figure the model follows, measured on the
audio, beside the published figure (sources in soundscape/procedural/frogs.py).

No frog or woodpecker recording is among ../shared/reference-recordings, so every
row quotes published figures only.
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable

import numpy as np
import scipy.signal

from soundscape.procedural import frogs as fr
from soundscape.procedural import render
from soundscape.procedural import stats as st

SR = 48000


def _psd(x: np.ndarray, nperseg: int = 16384) -> tuple[np.ndarray, np.ndarray]:
    return scipy.signal.welch(x.astype(np.float64).mean(axis=0), SR, nperseg=nperseg)


def _peak(f: np.ndarray, p: np.ndarray, lo: float, hi: float) -> float:
    sel = (f >= lo) & (f <= hi)
    return float(f[sel][int(np.argmax(p[sel]))])


def peepers_figure(x: np.ndarray) -> str:
    f, p = _psd(x)
    share = st.band_energy_fraction(x, SR, 2400.0, 3600.0)
    return f"spectral peak {_peak(f, p, 100.0, 10000.0):.0f} Hz, {100 * share:.0f} % in 2.4-3.6 kHz"


def lone_male_rate(temp: float) -> Callable[[np.ndarray], str]:
    """Calls per second of one male (its onsets counted over 30 s, 4 males)."""
    def figure(x: np.ndarray) -> str:
        rates = []
        for seed in range(4):
            y = fr._peeper_chorus(np.random.default_rng(seed), 30 * SR, SR, temp, 1)
            env = st.rms_envelope(y, SR, 0.01) > 1e-4
            rates.append(np.sum(np.diff(env.astype(int)) == 1) / 30.0)
        return f"{peepers_figure(x)}; one male {np.median(rates):.2f} calls/s"
    return figure


def bullfrog_figure(x: np.ndarray) -> str:
    f, p = _psd(x)
    mono = x.astype(np.float64).mean(axis=0)[:SR]
    ac = np.fft.irfft(np.abs(np.fft.rfft(mono, 2 * SR)) ** 2)[:SR]
    lo, hi = int(SR / 150.0), int(SR / 85.0)
    f0 = SR / (int(np.argmax(ac[lo:hi])) + lo)
    env = st.rms_envelope(x, SR, 0.05)
    loud = env > 0.2 * env.max()
    notes = int(np.sum(np.diff(loud.astype(int)) == 1) + loud[0])
    return (f"f0 {f0:.0f} Hz, peaks {_peak(f, p, 150.0, 400.0):.0f} and "
            f"{_peak(f, p, 850.0, 1700.0):.0f} Hz, {notes} notes in {x.shape[1] / SR:.1f} s")


def frogs_figure(x: np.ndarray) -> str:
    low = st.band_energy_fraction(x, SR, 80.0, 1000.0)
    high = st.band_energy_fraction(x, SR, 1900.0, 3500.0)
    rng = np.random.default_rng(1)
    rises = []
    for _ in range(8):
        c = fr.creak(rng, SR, 2500.0)
        env = st.rms_envelope(c[None, :], SR, 0.002)
        peaks, _ = scipy.signal.find_peaks(env, height=0.3 * env.max(), distance=10)
        g = np.diff(peaks)
        rises.append(g[: len(g) // 3].mean() / g[-len(g) // 3:].mean())
    return (f"{100 * low:.0f} % below 1 kHz (plunks), {100 * high:.0f} % in 1.9-3.5 kHz "
            f"(creaks); creak pulse rate x{np.median(rises):.2f} start to end")


def _onset_strength(x: np.ndarray) -> np.ndarray:
    hp = scipy.signal.sosfilt(scipy.signal.butter(4, (2000.0, 6000.0), "bandpass", fs=SR,
                                                  output="sos"), x.astype(np.float64).mean(axis=0))
    env = st.rms_envelope(hp[None, :], SR, 0.001)
    return np.maximum(np.diff(env), 0.0)


def woodpecker_figure(x: np.ndarray) -> str:
    on = _onset_strength(x)
    c = on - on.mean()
    ac = np.correlate(c, c, "full")[len(c) - 1:]
    lag = int(np.argmax(ac[35:111])) + 35
    clear = np.flatnonzero(on > 0.3 * on.max())
    band = st.band_energy_fraction(x, SR, 280.0, 2600.0)
    return (f"{1000.0 / lag:.1f} strikes/s, roll {(clear[-1] - clear[0]) / 1000.0:.2f} s, "
            f"{100 * band:.0f} % in 0.28-2.6 kHz")


ROWS: list[tuple[str, str, dict[str, object], Callable[[np.ndarray], str], str]] = [
    ("peepers density 0", "peepers", {"density": 0.0}, peepers_figure,
     "P. crucifer: 2.8-3.2 kHz (~2.9 kHz) upslurred whistle"),
    ("peepers density 0.5", "peepers", {"density": 0.5}, lone_male_rate(15.0),
     "~1 call/s per male (15 C)"),
    ("peepers density 1", "peepers", {"density": 1.0}, peepers_figure,
     "a deafening chorus: dozens of males"),
    ("peepers 5 C", "peepers", {"temperature_c": 5.0}, lone_male_rate(5.0),
     "slower when cold: Q10 ~2 -> 0.5 calls/s"),
    ("peepers 25 C", "peepers", {"temperature_c": 25.0}, lone_male_rate(25.0),
     "faster when warm: Q10 ~2 -> 2 calls/s"),
    ("bullfrog", "bullfrog", {}, bullfrog_figure,
     "f0 ~100 Hz, peaks 200-300 Hz and 1-1.5 kHz, 2-8 notes of 0.5-1 s (Capranica 1965)"),
    ("frogs density 0.5", "frogs", {"density": 0.5}, frogs_figure,
     "green frog gunk < 1 kHz; chorus frog creak 2-3.5 kHz, pulse rate rising"),
    ("frogs density 1", "frogs", {"density": 1.0}, frogs_figure, "as above, a busy pond"),
    ("woodpecker great-spotted", "woodpecker", {"species": "great-spotted"}, woodpecker_figure,
     "15-20 strikes/s, roll 0.4-0.8 s (Florentin et al. 2016)"),
    ("woodpecker black", "woodpecker", {"species": "black"}, woodpecker_figure,
     "~15-17 strikes/s, roll 1.7-3 s"),
    ("woodpecker lesser-spotted", "woodpecker", {"species": "lesser-spotted"},
     woodpecker_figure, "~12-15 strikes/s, roll 1-1.5 s"),
]


def _timed(name: str, params: dict[str, object], seeds: int) -> tuple[float, np.ndarray]:
    times = []
    x = np.zeros((2, 0), dtype=np.float32)
    for seed in range(1, seeds + 1):
        t = time.perf_counter()
        x = render(name, params, seconds=10.0, sample_rate=SR, seed=seed)
        times.append(time.perf_counter() - t)
    return statistics.median(times), x


def _stats(x: np.ndarray) -> list[str]:
    return [f"{st.spectral_centroid(x, SR):.0f}", f"{st.spectral_slope(x, SR):+.1f}",
            f"{st.mod_depth_db(x, SR):.2f}"]


def _line(cells: list[str], markdown: bool) -> str:
    if markdown:
        return "| " + " | ".join(cells) + " |"
    return "  ".join(cells)


def main(argv: list[str]) -> int:
    markdown = "--markdown" in argv
    seeds = 3
    if "--seeds" in argv:
        seeds = int(argv[argv.index("--seeds") + 1])
    render("fire", {}, seconds=1.0, sample_rate=SR, seed=0)  # warm the caches
    head = ["recipe", "s / 10 s", "x fire", "centroid Hz", "slope dB/oct", "mod dB",
            "measured", "real figure"]
    print(_line(head, markdown))
    if markdown:
        print("|" + "---|" * len(head))
    for label, name, params, figure, real in ROWS:
        render(name, params, seconds=1.0, sample_rate=SR, seed=0)
        fire_s, _ = _timed("fire", {}, seeds)
        secs, x = _timed(name, params, seeds)
        print(_line([label, f"{secs:.3f}", f"{secs / fire_s:.2f}", *_stats(x), figure(x), real],
                    markdown), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
