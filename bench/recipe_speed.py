"""Seconds to synthesise a 10 s segment of every recipe, against white noise.

Usage: python bench/recipe_speed.py [--repeat 3]

The timing goal (a 10 s bed in under 0.5 s on a 2-core machine, so a cold bank of
a six-layer scene is ready in seconds) lives here, not in the unit tests: each row
prints the best of --repeat runs and its ratio to the `noise` recipe measured in the
same process, which is what to compare across machines.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from soundscape.procedural import RECIPES, render


def best(name: str, repeat: int) -> float:
    times = []
    for seed in range(repeat):
        t = time.perf_counter()
        render(name, {}, seconds=10.0, sample_rate=48000, seed=seed)
        times.append(time.perf_counter() - t)
    return min(times)


def main(argv: list[str]) -> int:
    repeat = int(argv[argv.index("--repeat") + 1]) if "--repeat" in argv else 3
    base = best("noise", repeat)
    print(f"{'recipe':10s} {'kind':6s} {'s / 10 s':>9s} {'x noise':>8s} goal")
    for name, recipe in sorted(RECIPES.items()):
        t = best(name, repeat)
        goal = "ok" if recipe.kind == "event" or t < 0.5 else "SLOW (goal < 0.5 s)"
        print(f"{name:10s} {recipe.kind:6s} {t:9.3f} {t / base:8.1f} {goal}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
