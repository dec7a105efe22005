"""The places family measured: speed, texture statistics and each model's own figure
against the published one (or a reference recording).

Usage: python bench/palette_places.py [REFERENCE_DIR] [--markdown] [--seeds N]

One row per recipe (and per notable setting): seconds to render 10 s of a bed (an
event: one event) at 48 kHz, median of ``--seeds`` renders (default 3), and the fire
bed's in the same run ("x fire": the ratio, which a busy machine changes much less
than the seconds); spectral centroid (Hz), slope (dB/oct) and 50 ms modulation depth
(dB) of the mono mix (soundscape.procedural.stats); then the figure the model
follows, measured on the audio (soundscape.procedural.placestats), beside the real
figure.

REFERENCE_DIR (default ../shared/reference-recordings) holds city_01.flac, which
despite its name is a restaurant (voices, cutlery, dishes: see its MANIFEST.tsv
row): it is measured as the cafe reference, beside a murmur + cutlery mix. No
reference recording of traffic, a train, a cabin or a room exists there; those rows
quote published figures only. The reference rows are skipped when the folder is
missing.
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from soundscape.procedural import placestats as ps
from soundscape.procedural import render
from soundscape.procedural import stats as st
from soundscape.procedural.places import SPEED_OF_SOUND, pass_by

SR = 48000
OCTAVES = np.array([63, 125, 250, 500, 1000, 2000, 4000, 8000], dtype=float)
A_WEIGHT = {125.0: -16.1, 250.0: -8.6, 500.0: -3.2, 1000.0: 0.0, 2000.0: 1.2, 4000.0: 1.0}


def _octave_db(x: np.ndarray) -> np.ndarray:
    thirds = ps.third_octave_db(x, SR, np.repeat(OCTAVES, 3)
                                * np.tile(2.0 ** (np.arange(-1, 2) / 3), len(OCTAVES)))
    return np.asarray(10 * np.log10(np.sum(10 ** (thirds.reshape(-1, 3) / 10), axis=1)))


def speech_figure(x: np.ndarray) -> str:
    c, m = ps.modulation_spectrum(x, SR)
    k = int(np.argmax(m))
    syl = ps.modulation_peak_hz(x, SR, low=1.5)
    lv = ps.third_octave_db(x, SR, np.array([500.0, 2000.0, 4000.0]))
    return (f"mod peak {c[k]:.1f} Hz (index {m[k]:.2f}), above 1.5 Hz {syl:.1f} Hz "
            f"({m[c == syl][0]:.2f}), 16 Hz {m[-1]:.2f}; "
            f"LTASS 2k {lv[1] - lv[0]:+.0f}, 4k {lv[2] - lv[0]:+.0f} dB re 500 Hz")


def cutlery_figure(x: np.ndarray) -> str:
    mono = x.astype(np.float64).mean(axis=0)
    peak = ps.peak_frequency(mono, SR, 200.0, 12000.0)
    env = np.abs(mono)
    over = np.flatnonzero(env > env.max() * 10 ** (-30 / 20))
    return f"strongest partial {peak:.0f} Hz, -30 dB length {(over[-1] - over[0]) / SR:.2f} s"


def rc_figure(x: np.ndarray) -> str:
    lv = _octave_db(x)
    slope = np.polyfit(np.log2(OCTAVES[1:7]), lv[1:7], 1)[0]
    return f"octave bands 125 Hz-4 kHz {slope:+.1f} dB/oct"


def hum_figure(x: np.ndarray) -> str:
    best = max((100.0, 120.0), key=lambda hz: ps.line_prominence_db(x, SR, hz))
    return f"{best:.0f} Hz line {ps.line_prominence_db(x, SR, best):+.0f} dB over the floor"


def traffic_figure(x: np.ndarray) -> str:
    centres = np.array(sorted(A_WEIGHT))
    lv = ps.third_octave_db(x, SR, centres) + np.array([A_WEIGHT[c] for c in centres])
    return f"A-weighted 1/3-oct peak {centres[int(np.argmax(lv))]:.0f} Hz"


def doppler_figure(kmh: float) -> str:
    rate, v, closest, firing = 3000.0, kmh / 3.6, 8.0, 40.0
    eng, _, _ = pass_by(np.random.default_rng(1), int(24 * rate), rate, 12.0, v, closest, firing)
    come = ps.peak_frequency(eng[int(2 * rate):int(6 * rate)], rate, 32.0, 48.0)
    go = ps.peak_frequency(eng[int(18 * rate):int(22 * rate)], rate, 32.0, 48.0)
    drop = 12 * np.log2(come / go)
    theory = 12 * np.log2((SPEED_OF_SOUND + v) / (SPEED_OF_SOUND - v))
    return f"pass-by at {kmh:.0f} km/h drops {drop:.2f} semitones (c+v)/(c-v): {theory:.2f}"


def train_figure(speed: float) -> Callable[[np.ndarray], str]:
    def figure(x: np.ndarray) -> str:
        return (f"rhythm {ps.rhythm_period(x, SR, 0.3, 2.5):.3f} s "
                f"(20 m / v = {20.0 / (speed / 3.6):.3f} s)")
    return figure


def octave_peak(x: np.ndarray) -> str:
    lv = _octave_db(x)
    return (f"octave peak {OCTAVES[int(np.argmax(lv))]:.0f} Hz, 4 kHz "
            f"{lv[6] - lv.max():+.0f} dB")


def third_peak(x: np.ndarray) -> str:
    centres = 2.0 ** (np.arange(-12, 15) / 3.0) * 1000.0
    lv = ps.third_octave_db(x, SR, centres)
    return f"1/3-oct peak {centres[int(np.argmax(lv))]:.0f} Hz"


ROWS: list[tuple[str, str, dict[str, object], Callable[[np.ndarray], str], str]] = [
    ("murmur crowd 0", "murmur", {"crowd": 0.0}, speech_figure,
     "speech: mod peak 3-5 Hz (Houtgast & Steeneken 1985); LTASS 2k ~-10, 4k ~-13 dB"),
    ("murmur crowd 1", "murmur", {"crowd": 1.0}, speech_figure,
     "babble of many talkers: 4 Hz peak flattens (index falls ~1/sqrt(N))"),
    ("cutlery", "cutlery", {}, cutlery_figure,
     "china/metal partials 1-8 kHz, decays 50-400 ms"),
    ("room-tone hum 0", "room-tone", {"hum": 0.0}, rc_figure,
     "RC neutral: -5 dB/oct (Blazier 1981)"),
    ("room-tone hum 1", "room-tone", {"hum": 1.0}, hum_figure,
     "mains hum: 100/120 Hz line well over the floor"),
    ("traffic 12/min", "traffic", {"density": 12.0}, traffic_figure,
     "EN 1793-3: A-weighted peak 1 kHz"),
    ("traffic 60/min", "traffic", {"density": 60.0}, traffic_figure,
     "EN 1793-3: A-weighted peak 1 kHz"),
    ("train 40 km/h", "train", {"speed": 40.0}, train_figure(40.0), "1.80 s"),
    ("train 100 km/h", "train", {"speed": 100.0}, train_figure(100.0),
     "0.6-1.1 s at 80-120 km/h (18-25 m rails)"),
    ("train 160 km/h", "train", {"speed": 160.0}, train_figure(160.0), "0.45 s"),
    ("cabin", "cabin", {}, octave_peak, "cabin spectra: hump 200-500 Hz"),
    ("tent-rain tent", "tent-rain", {"surface": "tent", "intensity": 0.5}, third_peak,
     "tent fly drum 100-400 Hz"),
    ("tent-rain car", "tent-rain", {"surface": "car", "intensity": 0.5}, third_peak,
     "steel roof panel 300-1500 Hz"),
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


def _cafe_mix(seed: int) -> np.ndarray:
    """30 s of murmur (crowd 0.5) with cutlery events (9 a minute, -18..-8 dB), the
    coffee-shop scene's two main layers, to set beside the restaurant recording."""
    bed = render("murmur", {"crowd": 0.5}, seconds=30.0, sample_rate=SR, seed=seed)
    out = bed.astype(np.float64)
    rng = np.random.default_rng(seed)
    for k in range(int(rng.poisson(9 * 0.5))):
        ev = render("cutlery", {}, seconds=2.0, sample_rate=SR, seed=seed * 100 + k)
        at = int(rng.integers(0, out.shape[1] - ev.shape[1]))
        out[:, at:at + ev.shape[1]] += ev * 10 ** (rng.uniform(-18.0, -8.0) / 20)
    return out


def main(argv: list[str]) -> int:
    markdown = "--markdown" in argv
    seeds = 3
    if "--seeds" in argv:
        seeds = int(argv[argv.index("--seeds") + 1])
    args = [a for a in argv if not a.startswith("--") and not a.isdigit()]
    ref_dir = Path(args[0]) if args else Path(__file__).resolve().parents[2] / "shared" / \
        "reference-recordings"
    render("fire", {}, seconds=1.0, sample_rate=SR, seed=0)  # warm the caches
    head = ["recipe", "s / 10 s", "x fire", "centroid Hz", "slope dB/oct", "mod dB",
            "measured", "real figure"]
    print(_line(head, markdown))
    if markdown:
        print("|" + "---|" * len(head))
    for label, name, params, figure, real in ROWS:
        render(name, params, seconds=1.0, sample_rate=SR, seed=0)  # build its banks
        fire_s, _ = _timed("fire", {}, seeds)
        secs, x = _timed(name, params, seeds)
        print(_line([label, f"{secs:.3f}", f"{secs / fire_s:.2f}", *_stats(x), figure(x), real],
                    markdown), flush=True)
    print(_line(["traffic pass-by", "-", "-", "-", "-", "-", doppler_figure(50.0),
                 "Doppler, c = 343 m/s"], markdown))
    mix = _cafe_mix(1)
    print(_line(["murmur + cutlery", "-", "-", *_stats(mix), speech_figure(mix),
                 "cafe mix, see city_01"], markdown))
    ref = ref_dir / "city_01.flac"
    if ref.exists():
        import soundfile

        audio, rate = soundfile.read(ref, always_2d=True)
        y = audio.T
        assert rate == SR
        print(_line(["city_01 (restaurant)", "-", "-", *_stats(y), speech_figure(y),
                     "reference recording"], markdown))
    else:
        print(f"(no {ref}: reference rows skipped)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
