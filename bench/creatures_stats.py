"""Creature figures as synthesised against the published figures they were built from.

Usage: python bench/creatures_stats.py [--seeds 10]

Per bird species: syllable rate, song length and band (5th-95th percentile of the
power spectrum) of dry songs, measured with ``birds.song_stats`` over --seeds songs,
as min..max, beside the published range (``birds.SPECIES[...].published``). Then
the insect rhythms against Dolbear's law (the strongest 0.4-4 Hz rate of the 2-8
kHz envelope of a tree-cricket bed), and the seconds each creature recipe takes
(best of 3) with its ratio to the `noise` recipe measured in the same process.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from soundscape.procedural import birds, insects, render  # noqa: E402
from soundscape.procedural.stats import beat_hz  # noqa: E402

SR = 48000


def _range(values: list[float], fmt: str = "{:.1f}") -> str:
    return f"{fmt.format(min(values))}..{fmt.format(max(values))}"


def species_table(seeds: int) -> None:
    print(f"{'species':15s} {'syll/s':>11s} {'(pub.)':>8s} {'song s':>10s} {'(pub.)':>8s} "
          f"{'band Hz':>10s} {'(pub.)':>10s}")
    for sp in birds.SPECIES.values():
        rows = [birds.song_stats(birds.render_song(birds.sing(sp, np.random.default_rng(s)),
                                                   SR), SR) for s in range(seeds)]
        pub = sp.published
        band = f"{min(r['band_lo_hz'] for r in rows):.0f}-{max(r['band_hi_hz'] for r in rows):.0f}"
        rate = f"{pub.syllable_rate_hz[0]:g}-{pub.syllable_rate_hz[1]:g}"
        song = f"{pub.song_s[0]:g}-{pub.song_s[1]:g}"
        pband = f"{pub.band_hz[0]:.0f}-{pub.band_hz[1]:.0f}"
        print(f"{sp.name:15s} {_range([r['syllable_rate_hz'] for r in rows]):>11s} {rate:>8s} "
              f"{_range([r['song_s'] for r in rows]):>10s} {song:>8s} {band:>10s} {pband:>10s}")


def dolbear_table() -> None:
    print("\nsnowy tree crickets (species=tree): chirps/s measured vs Dolbear 1897")
    for temp in (12.0, 18.0, 22.0, 26.0, 32.0):
        x = render("crickets", {"species": "tree", "temperature_c": temp}, seconds=20.0,
                   sample_rate=SR, seed=1)
        print(f"  {temp:4.0f} C  measured {beat_hz(x, SR, 0.4, 4.0):.2f}  "
              f"Dolbear {insects.dolbear_tree_chirps_per_s(temp):.2f}  "
              f"(field crickets {insects.field_chirps_per_s(temp):.2f}, "
              f"trill {insects.trill_pulses_per_s(temp):.0f} pulses/s)")


def best(name: str, params: dict[str, object], seconds: float, repeat: int = 3) -> float:
    times = []
    for seed in range(repeat):
        t = time.perf_counter()
        render(name, params, seconds=seconds, sample_rate=SR, seed=seed)
        times.append(time.perf_counter() - t)
    return min(times)


def speed_table() -> None:
    base = best("noise", {}, 10.0)
    print(f"\nspeed, best of 3 (noise recipe {base:.3f} s per 10 s)")
    cases: list[tuple[str, dict[str, object], float]] = [
        ("birds", {}, 10.0), ("birds", {"density": 0.9}, 10.0),
        ("crickets", {}, 10.0), ("crickets", {"density": 0.95}, 10.0),
        ("insects", {}, 10.0), ("insects", {"kind": "night"}, 10.0),
        ("insects", {"kind": "katydid"}, 10.0),
        ("bird", {}, 20.0), ("bird", {"species": "cuckoo"}, 20.0),
        ("bird", {"species": "wood-pigeon"}, 20.0), ("gull", {}, 20.0), ("owl", {}, 20.0),
    ]
    for name, params, seconds in cases:
        t = best(name, params, seconds)
        label = " ".join([name, *(f"{k}={v}" for k, v in params.items())])
        print(f"  {label:28s} {t:6.3f} s  x{t / base:4.1f} noise")


def main(argv: list[str]) -> int:
    seeds = int(argv[argv.index("--seeds") + 1]) if "--seeds" in argv else 10
    species_table(seeds)
    dolbear_table()
    speed_table()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
