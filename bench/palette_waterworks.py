"""The water-and-weather family measured: speed, texture statistics and each model's
own figure against the real one (published, or water_02 / wind_02 in
../shared/reference-recordings when that folder exists).

Usage: python bench/palette_waterworks.py [--markdown] [--seeds N]

One row per recipe and notable setting: seconds to render 10 s at 48 kHz (median of
``--seeds`` renders, default 3) and the same for the brook bed in the same run
("x brook": the ratio, which a busy machine changes much less than the seconds);
spectral centroid (Hz), slope 200 Hz-6 kHz (dB/oct) and 50 ms modulation depth (dB)
of the mono mix (soundscape.procedural.stats); then the figure the model follows,
measured on the audio, beside the real figure.
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from soundscape.procedural import _dsp, render
from soundscape.procedural import stats as st

SR = 48000
REFS = Path(__file__).resolve().parents[2] / "shared" / "reference-recordings"


def _octaves(x: np.ndarray, sr: int) -> str:
    f, p = st.welch_psd(x, sr)
    levels = [10 * np.log10(np.sum(p[(f >= c / 2**0.5) & (f < c * 2**0.5)]) + 1e-30)
              for c in (250.0, 1000.0, 4000.0)]
    return "/".join(f"{v - levels[1]:+.0f}" for v in levels)


def falls(x: np.ndarray, sr: int) -> str:
    low = st.band_energy_fraction(x, sr, 20.0, 200.0)
    return f"oct 250/1k/4k {_octaves(x, sr)} dB, {100 * low:.0f} % < 200 Hz"


def rapids(x: np.ndarray, sr: int) -> str:
    m = np.mean(x.astype(np.float64) ** 2, axis=0)
    k = int(0.1 * sr)
    lv = 10 * np.log10(m[: len(m) // k * k].reshape(-1, k).mean(axis=1) + 1e-20)
    spec = np.abs(np.fft.rfft(lv - lv.mean()))
    f = np.fft.rfftfreq(len(lv), 0.1)
    band = (f >= 0.1) & (f <= 2.0)
    peak = f[band][np.argmax(spec[band])]
    return (f"surge {1 / peak:.1f} s, {100 * st.band_energy_fraction(x, sr, 300.0, 3000.0):.0f} %"
            " in 0.3-3 kHz")


def lapping(x: np.ndarray, sr: int) -> str:
    # below 1 kHz: the slaps, not the drips after them
    m = np.mean(_dsp.filt(x.astype(np.float64), "lowpass", 1000.0, sr) ** 2, axis=0)
    k = int(0.01 * sr)
    lv = 10 * np.log10(m[: len(m) // k * k].reshape(-1, k).mean(axis=1) + 1e-20)
    before = np.array([np.median(lv[max(0, i - 10):i]) if i else lv[0] for i in range(len(lv))])
    on: list[int] = []
    for i in np.flatnonzero(lv - before > 10.0):
        if not on or i - on[-1] > 80:
            on.append(int(i))
    gap = float(np.mean(np.diff(on))) * 0.01 if len(on) > 1 else float("nan")
    hull = st.band_energy_fraction(x, sr, 150.0, 400.0)
    return f"slap every {gap:.1f} s, {100 * hull:.0f} % in 150-400 Hz"


def underwater(x: np.ndarray, sr: int) -> str:
    high = 10 * np.log10(st.band_energy_fraction(x, sr, 4000.0, sr / 2) + 1e-30)
    low = 100 * st.band_energy_fraction(x, sr, 0.0, 500.0)
    return f"{low:.0f} % < 500 Hz, {high:.0f} dB > 4 kHz"


def snow(x: np.ndarray, sr: int) -> str:
    return f"{10 * np.log10(st.band_energy_fraction(x, sr, 2000.0, sr / 2)):.0f} dB > 2 kHz"


def hail(x: np.ndarray, sr: int) -> str:
    h = _dsp.filt(x.astype(np.float64), "highpass", 2000.0, sr)
    m = np.mean(h**2, axis=0)
    k = int(0.002 * sr)
    lv = 10 * np.log10(m[: len(m) // k * k].reshape(-1, k).mean(axis=1) + 1e-20)
    before = np.array([np.median(lv[max(0, i - 25):i]) if i else lv[0] for i in range(len(lv))])
    count, last = 0, -100
    for i in np.flatnonzero(lv - before > 10.0):
        if i - last > 10:
            count, last = count + 1, int(i)
    return f"{count / (x.shape[1] / sr):.1f} stones heard/s, hk {st.high_kurtosis(x, sr):.0f}"


ROWS: list[tuple[str, dict[str, object], Callable[[np.ndarray, int], str], str]] = [
    ("waterfall", {"height": 0.0}, falls, "flat octaves 250 Hz-4 kHz (Galbrun & Ali)"),
    ("waterfall", {"height": 0.5}, falls, "water_02 (a river loop): below"),
    ("waterfall", {"height": 1.0}, falls, "bigger falls: more low roar (Galbrun & Ali)"),
    ("rapids", {"flow": 0.5}, rapids, "standing-wave surges 1.8-4 s; water_02 below"),
    ("rapids", {"flow": 1.0}, rapids, "Minnaert 300 Hz-3 kHz for r = 1.1-11 mm"),
    ("lapping", {}, lapping, "small waves 1-4 s apart; hull 150-400 Hz"),
    ("underwater", {}, underwater, "most energy < 500 Hz, no hiss"),
    ("snow-wind", {"strength": 0.4}, snow, "snow absorbs > 500 Hz (Albert); wind_02 below"),
    ("snow-wind", {"strength": 1.0}, snow, "as above"),
    ("hail", {"intensity": 0.0, "surface": "roof"}, hail, "3 stones/s (+ bounces)"),
    ("hail", {"intensity": 1.0, "surface": "roof"}, hail, "60 stones/s (+ bounces)"),
    ("hail", {"intensity": 0.5, "surface": "ground"}, hail, "22 stones/s (+ bounces)"),
]


def _timed(name: str, params: dict[str, object], seed: int) -> tuple[float, np.ndarray]:
    t = time.perf_counter()
    x = render(name, params, seconds=10.0, sample_rate=SR, seed=seed)
    return time.perf_counter() - t, x


def references() -> list[str]:
    """The same figures on the reference recordings, when the folder is there."""
    out = []
    try:
        import soundfile
    except ImportError:
        return out
    for fname, fig in (("water_02.flac", falls), ("water_02.flac", rapids),
                       ("wind_02.flac", snow)):
        path = REFS / fname
        if path.exists():
            x, sr = soundfile.read(path, always_2d=True)
            x = x.T
            out.append(f"{fname}: centroid {st.spectral_centroid(x, sr):.0f} Hz, slope "
                       f"{st.spectral_slope(x, sr):+.1f}, mod {st.mod_depth_db(x, sr):.2f} dB, "
                       f"{fig(x, sr)}")
    return out


def main(argv: list[str]) -> int:
    markdown = "--markdown" in argv
    seeds = int(argv[argv.index("--seeds") + 1]) if "--seeds" in argv else 3
    head = ["recipe", "params", "s/10s", "x brook", "centroid Hz", "slope dB/oct", "mod dB",
            "model figure (measured)", "real figure"]
    rows = []
    for name, params, figure, real in [r for r in ROWS if r[0] in _registered()]:
        times, brook, xs = [], [], []
        for seed in range(1, seeds + 1):
            dt, x = _timed(name, params, seed)
            times.append(dt)
            xs.append(x)
            brook.append(_timed("brook", {}, seed)[0])
        x = xs[0]
        ratio = statistics.median(t / b for t, b in zip(times, brook, strict=True))
        label = " ".join(f"{k}={v}" for k, v in params.items()) or "-"
        rows.append([name, label, f"{statistics.median(times):.3f}", f"{ratio:.2f}",
                     f"{np.median([st.spectral_centroid(v, SR) for v in xs]):.0f}",
                     f"{np.median([st.spectral_slope(v, SR) for v in xs]):+.1f}",
                     f"{np.median([st.mod_depth_db(v, SR) for v in xs]):.2f}",
                     figure(x, SR), real])
    if markdown:
        print("| " + " | ".join(head) + " |")
        print("|" + "---|" * len(head))
        for r in rows:
            print("| " + " | ".join(r) + " |")
    else:
        for r in [head, *rows]:
            print("  ".join(r))
    for line in references():
        print(("- " if markdown else "") + line)
    return 0


def _registered() -> set[str]:
    from soundscape.procedural import RECIPES

    return set(RECIPES)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
