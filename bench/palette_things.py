"""The things family measured: speed, texture statistics and each model's own figure
against the published one.

Usage: python bench/palette_things.py [--markdown] [--seeds N]

One row per recipe (and per notable setting): seconds to render 10 s of a bed (an
event: one event) at 48 kHz, median of ``--seeds`` renders (default 3), and the same
for the fire bed in the same run ("x fire": the ratio, which a busy machine changes
much less than the seconds); spectral centroid (Hz), slope 200 Hz-6 kHz (dB/oct) and
50 ms modulation depth (dB) of the mono mix (soundscape.procedural.stats); then the
figure the model follows, measured on the audio, beside the published figure.
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable

import numpy as np
import scipy.signal

from soundscape.procedural import render, things
from soundscape.procedural import stats as st

SR = 48000


def _mono(x: np.ndarray) -> np.ndarray:
    return x.astype(np.float64).mean(axis=0)


def _hp_level_db(x: np.ndarray, sr: int) -> np.ndarray:
    hp = scipy.signal.sosfilt(scipy.signal.butter(4, 1000.0, "highpass", fs=sr, output="sos"),
                              _mono(x))
    win = int(0.001 * sr)
    return 10 * np.log10(np.convolve(hp**2, np.ones(win) / win, mode="same") + 1e-18)


def clock_beat(x: np.ndarray, sr: int) -> str:
    db = _hp_level_db(x, sr)
    peaks, _ = scipy.signal.find_peaks(db, distance=int(0.3 * sr), prominence=15.0)
    gaps = np.diff(peaks) / sr
    uneven = np.max(np.abs(gaps / gaps.mean() - 1.0)) * 100
    return f"beat {gaps.mean():.3f} s, unevenness {uneven:.1f} %"


def typing_rate(x: np.ndarray, sr: int) -> str:
    db = _hp_level_db(x, sr)
    peaks, _ = scipy.signal.find_peaks(db, distance=int(0.03 * sr), prominence=10.0)
    keys = len(peaks) / 2 / (x.shape[1] / sr)
    return f"{keys:.2f} keys/s = {keys * 12:.0f} wpm"


def pages_figure(x: np.ndarray, sr: int) -> str:
    f, p = scipy.signal.welch(_mono(x), sr, nperseg=1024)
    share = p[(f >= 1000) & (f <= 8000)].sum() / p.sum()
    return f"{x.shape[1] / sr:.2f} s, {100 * share:.0f} % in 1-8 kHz"


def _peaks(x: np.ndarray, sr: int, count: int, lo: float) -> np.ndarray:
    mono = _mono(x)
    spec = np.abs(np.fft.rfft(mono * np.hanning(len(mono))))
    f = np.fft.rfftfreq(len(mono), 1.0 / sr)
    idx, _ = scipy.signal.find_peaks(spec, distance=max(1, int(5.0 / f[1])))
    idx = idx[f[idx] > lo]
    return np.sort(f[idx[np.argsort(spec[idx])[-count:]]])


def chimes_figure(size: float) -> Callable[[np.ndarray, int], str]:
    def measure(x: np.ndarray, sr: int) -> str:
        root = (things.CHIME_ROOT_HZ[0]
                * (things.CHIME_ROOT_HZ[1] / things.CHIME_ROOT_HZ[0]) ** size)
        modes = (root * 2.0 ** (things.PENTATONIC[:, None] / 12.0)
                 * things.CHIME_RATIOS).ravel()
        err = max(np.min(np.abs(modes / f - 1.0)) for f in _peaks(x, sr, 6, 100.0))
        return f"6 peaks on bar modes within {100 * err:.2f} %, rings {x.shape[1] / sr:.1f} s"
    return measure


def bowl_figure(pitch: float) -> Callable[[np.ndarray, int], str]:
    def measure(x: np.ndarray, sr: int) -> str:
        p = _peaks(x, sr, 2, 0.5 * pitch)
        band = scipy.signal.sosfiltfilt(scipy.signal.butter(
            2, (0.9 * pitch, 1.1 * pitch), "bandpass", fs=sr, output="sos"), x[0].astype(float))
        db = 20 * np.log10(np.abs(scipy.signal.hilbert(band))[::480] + 1e-9)
        t = np.arange(len(db)) / 100.0
        use = (t > 0.5) & (t < 8.0)
        fit = np.polyfit(t[use], db[use], 1)
        f, pw = scipy.signal.periodogram(db[use] - np.polyval(fit, t[use]), 100.0)
        beat = f[np.argmax(pw[1:]) + 1]
        return (f"f1 {p[0]:.0f} Hz, f2/f1 {p[1] / p[0]:.2f}, beat {beat:.1f} Hz, "
                f"T60 {60 / -fit[0]:.0f} s")
    return measure


def hum_figure(bpf: float) -> Callable[[np.ndarray, int], str]:
    def measure(x: np.ndarray, sr: int) -> str:
        f, p = scipy.signal.welch(_mono(x), sr, nperseg=sr)
        band = (f > 0.8 * bpf) & (f < 1.2 * bpf)
        tone = f[band][np.argmax(p[band])]
        above = 10 * np.log10(np.max(p[band]) / np.median(p[band]))
        low = (f > 40) & (f < 1000)
        return (f"tone {tone:.0f} Hz, {above:.0f} dB over the band; strongest below 1 kHz "
                f"{f[low][np.argmax(p[low])]:.0f} Hz")
    return measure


def purr_figure(x: np.ndarray, sr: int) -> str:
    env = np.abs(scipy.signal.hilbert(_mono(x)))[::48]
    f, p = scipy.signal.periodogram(env - env.mean(), 1000.0)
    band = (f > 10) & (f < 60)
    fw, pw = scipy.signal.welch(_mono(x), sr, nperseg=4096)
    low = pw[fw < 1000].sum() / pw.sum()
    return f"pulses {f[band][np.argmax(p[band])]:.1f} Hz, {100 * low:.0f} % below 1 kHz"


# (label, recipe, params, measure, published figure)
ROWS: list[tuple[str, str, dict[str, object], Callable[[np.ndarray, int], str], str]] = [
    ("clock", "clock", {}, clock_beat,
     "0.5 s (2 beats/s, quarter-metre pendulum); out of beat < 3 %"),
    ("clock longcase", "clock", {"rate": 1.0, "size": 0.8}, clock_beat,
     "1.0 s (seconds pendulum, 0.994 m)"),
    ("typing 50 wpm", "typing", {"speed": 50.0}, typing_rate,
     "4.17 keys/s (Dhakal et al. 2018: 52 wpm, 239 ms)"),
    ("typing 20 wpm", "typing", {"speed": 20.0}, typing_rate, "1.67 keys/s"),
    ("pages", "pages", {}, pages_figure, "0.4-1.2 s; rustle 1-8 kHz"),
    ("chimes small", "chimes", {"size": 0.0}, chimes_figure(0.0),
     "modes 1 : 2.756 : 5.404 : 8.933 (Fletcher & Rossing); T60 2 s"),
    ("chimes big", "chimes", {"size": 1.0}, chimes_figure(1.0), "same; T60 8 s"),
    ("bowl 220 Hz", "bowl", {"pitch": 220.0}, bowl_figure(220.0),
     "f2/f1 2.83 (Rayleigh), 2.7-2.9 measured; beat 0.5-3 Hz; T60 10-20 s"),
    ("hum fan", "hum", {"kind": "fan", "speed": 0.5}, hum_figure(5 * 1150 / 60),
     "BPF 5 x 1150 rpm / 60 = 96 Hz"),
    ("hum aircon", "hum", {"kind": "aircon", "speed": 0.4}, hum_figure(34 * 800 / 60),
     "BPF 34 x 800 rpm / 60 = 453 Hz; 100 Hz compressor"),
    ("purr", "purr", {}, purr_figure,
     "25-30 Hz pulses (Remmers & Gautier 1972; Peters 2002)"),
]


def _timed(recipe: str, params: dict[str, object], seeds: int) -> tuple[float, np.ndarray]:
    times = []
    x = np.zeros((2, 0), dtype=np.float32)
    for seed in range(seeds):
        t0 = time.perf_counter()
        x = render(recipe, params, seconds=10.0 if recipe not in ("chimes", "bowl", "pages")
                   else 20.0, sample_rate=SR, seed=100 + seed)
        times.append(time.perf_counter() - t0)
    return statistics.median(times), x


def main(argv: list[str]) -> int:
    markdown = "--markdown" in argv
    seeds = int(argv[argv.index("--seeds") + 1]) if "--seeds" in argv else 3
    head = ["recipe", "s / 10 s (event: s)", "x fire", "centroid Hz", "slope dB/oct",
            "mod dB", "model figure (measured)", "real figure"]
    rows = []
    for label, recipe, params, measure, real in ROWS:
        fire_s, _ = _timed("fire", {}, seeds)
        secs, x = _timed(recipe, params, seeds)
        if recipe in ("clock", "typing"):  # long enough to count beats and keys
            x = render(recipe, params, seconds=60.0, sample_rate=SR, seed=7)
        rows.append([label, f"{secs:.3f}", f"{secs / fire_s:.2f}",
                     f"{st.spectral_centroid(x, SR):.0f}", f"{st.spectral_slope(x, SR):+.1f}",
                     f"{st.mod_depth_db(x, SR):.1f}", measure(x, SR), real])
    if markdown:
        print("| " + " | ".join(head) + " |")
        print("|" + "---|" * len(head))
        for r in rows:
            print("| " + " | ".join(r) + " |")
    else:
        widths = [max(len(r[i]) for r in [head, *rows]) for i in range(len(head))]
        for r in [head, *rows]:
            print("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
