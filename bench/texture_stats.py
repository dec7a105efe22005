"""Texture statistics of real recordings vs the procedural recipes vs plain noise.

Usage: python bench/texture_stats.py [REFERENCE_DIR] [--markdown]

REFERENCE_DIR defaults to ../shared/reference-recordings relative to the repo root.
For each reference recording that has a procedural counterpart, renders the recipe
(defaults, seed 1, as long as the recording, at least 10 s and at most 20 s, at
48 kHz) and prints one table per sound: statistic, reference, synthesized (seed 1),
the median over seeds 1-4 (sparse events make single renders vary), pink noise. The statistics are
those of soundscape.procedural.stats (McDermott & Simoncelli 2011, simplified).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import soundfile as sf

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from soundscape.procedural import render
from soundscape.procedural import stats as st

SR = 48000
# reference file -> (recipe, params)
PAIRS: dict[str, tuple[str, dict[str, object]]] = {
    "rain_04.flac": ("rain", {}),
    "wind_02.flac": ("wind", {}),
    "water_02.flac": ("brook", {}),
    "fire_02.flac": ("fire", {}),
    "crickets_02.flac": ("insects", {"kind": "cicada"}),
    "birds_02.flac": ("birds", {}),
    "forest_03.flac": ("birds", {"density": 0.3}),
    "thunder_02.flac": ("thunder", {"distance": 0.3}),
}
EXTRA = [("crickets", {}), ("surf", {}), ("noise", {"color": "white"})]
SEEDS = (1, 2, 3, 4)


def _load(path: Path) -> np.ndarray:
    x, sr = sf.read(str(path), always_2d=True, dtype="float64")
    if sr != SR:
        import soxr

        x = soxr.resample(x, sr, SR)
    return x.T


def _fmt(v: float) -> str:
    return f"{v:.3g}" if abs(v) < 1e4 else f"{v:.0f}"


def main(argv: list[str]) -> int:
    markdown = "--markdown" in argv
    args = [a for a in argv if not a.startswith("--")]
    ref_dir = Path(args[0]) if args else REPO.parent / "shared" / "reference-recordings"
    pink = render("noise", {"color": "pink"}, seconds=20.0, sample_rate=SR, seed=1)
    pink_stats = st.texture_stats(pink, SR).as_dict()
    rows: list[tuple[str, str, dict[str, float] | None, dict[str, float], dict[str, float]]] = []
    jobs: list[tuple[str, str, dict[str, object], dict[str, float] | None, float]] = []
    for fname, (recipe, params) in PAIRS.items():
        path = ref_dir / fname
        ref = st.texture_stats(_load(path), SR).as_dict() if path.exists() else None
        seconds = min(20.0, sf.info(str(path)).duration) if path.exists() else 10.0
        jobs.append((fname, recipe, params, ref, max(seconds, 10.0)))
    for recipe, params in EXTRA:
        jobs.append(("-", recipe, params, None, 10.0))
    for fname, recipe, params, ref, seconds in jobs:
        per_seed = [
            st.texture_stats(render(recipe, params, seconds=seconds, sample_rate=SR, seed=s),
                             SR).as_dict()
            for s in SEEDS
        ]
        median = {k: float(np.median([d[k] for d in per_seed])) for k in per_seed[0]}
        rows.append((fname, f"{recipe} {params or ''}".strip(), ref, per_seed[0], median))
    for fname, label, ref, syn, med in rows:
        if markdown:
            print(f"\n#### {fname} vs `{label}`\n")
            print("| statistic | reference | synthesized | seeds 1-4 median | pink noise |")
            print("|---|---|---|---|---|")
        else:
            print(f"\n{fname}  vs  {label}")
            print(f"  {'statistic':18s} {'reference':>10s} {'synth':>10s} {'median4':>10s}"
                  f" {'pink':>10s}")
        for key, value in syn.items():
            r = _fmt(ref[key]) if ref else "-"
            cells = (r, _fmt(value), _fmt(med[key]), _fmt(pink_stats[key]))
            if markdown:
                print("| " + key + " | " + " | ".join(cells) + " |")
            else:
                print(f"  {key:18s} " + " ".join(f"{c:>10s}" for c in cells))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
