"""Texture statistics of real recordings vs the procedural recipes vs plain noise.

Usage: python bench/texture_stats.py [REFERENCE_DIR] [--markdown] [--ranges] [--scenes]

``--scenes`` prints only the as-played table: every bed layer of every shipped scene
(``scenes/*.toml``) measured the way it plays, i.e. its first AS_PLAYED_VARIANTS
segments (the scene's seed, as ``soundscape.sources`` makes them) after the layer's
static processing (lowcut / highcut filters, width, pan:
``soundscape.graph.build.prepare_material``), the median of each statistic next to
its category's REFERENCE_RANGES with in / OUT marks, and how many layers are wholly
inside (the same check as tests/test_realism.py). A scene's filters can move a
recipe out of its range (a lowcut above a recipe's floor steepens its slope), so
this, not the recipe alone, is what a listener hears.

Otherwise, first (skipped with ``--ranges``: only the second part), the per-recording tables
described below. Then the reference-range table: every case of
``soundscape.procedural.references.CASES`` (each bed recipe at the params of the
shipped scenes and at its defaults), rendered 10 s at 48 kHz with seeds 1-3, the
median of mod_depth_db, centroid_hz, slope_db_oct and high_kurtosis next to the
category's REFERENCE_RANGES and the reference recordings of that category, with
"in" / "OUT" marks (the same check as tests/test_realism.py).

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

from soundscape.graph.build import prepare_material
from soundscape.procedural import render
from soundscape.procedural import stats as st
from soundscape.procedural.references import CASES, REFERENCE_RANGES, case_for, inside
from soundscape.scene import Bed, Scene, load_scene
from soundscape.sources import LayerMaterial, ProceduralSource, layer_seed

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
EXTRA: list[tuple[str, dict[str, object]]] = [
    ("crickets", {}), ("surf", {}), ("noise", {"color": "white"})]
SEEDS = (1, 2, 3, 4)
# bed category -> its reference recordings
CATEGORY_FILES: dict[str, tuple[str, ...]] = {
    "rain": ("rain_04.flac",),
    "wind": ("wind_02.flac",),
    "stream": ("water_02.flac",),
    "fire": ("fire_02.flac",),
    "crickets": ("crickets_02.flac",),
    "insects": ("crickets_02.flac",),
    "birds": ("birds_02.flac", "forest_03.flac"),
    "surf": (),
}
RANGE_SEEDS = (1, 2, 3)
AS_PLAYED_VARIANTS = 3  # the first variants of each layer (tests/test_realism.py too)
SCENES = REPO / "scenes"
RANGE_METRICS = {
    "mod_depth_db": st.mod_depth_db,
    "centroid_hz": st.spectral_centroid,
    "slope_db_oct": st.spectral_slope,
    "high_kurtosis": st.high_kurtosis,
}


def _load(path: Path) -> np.ndarray:
    x, sr = sf.read(str(path), always_2d=True, dtype="float64")
    if sr != SR:
        import soxr

        x = soxr.resample(x, sr, SR)
    return x.T


def _fmt(v: float) -> str:
    return f"{v:.3g}" if abs(v) < 1000 else f"{v:.0f}"


def _range(rng: tuple[float, float] | None) -> str:
    if rng is None:
        return "-"
    lo, hi = rng
    return f">= {_fmt(lo)}" if hi == float("inf") else f"{_fmt(lo)}..{_fmt(hi)}"


def _row(cells: list[str], markdown: bool, widths: list[int]) -> str:
    if markdown:
        return "| " + " | ".join(cells) + " |"
    return " ".join(f"{c:{w}s}" for c, w in zip(cells, widths, strict=True))


def ranges_table(ref_dir: Path, markdown: bool) -> list[str]:
    """Lines of the two reference-range tables: each category's ranges with its
    recordings' figures, then each case's medians with in/OUT marks."""
    metrics = list(RANGE_METRICS)
    refs: dict[str, dict[str, float]] = {}
    for files in CATEGORY_FILES.values():
        for fname in files:
            path = ref_dir / fname
            if fname not in refs and path.exists():
                x = _load(path)
                refs[fname] = {k: f(x, SR) for k, f in RANGE_METRICS.items()}
    widths = [26, 18, 18, 18, 18]
    lines = [_row(["category / recording", *metrics], markdown, widths)]
    if markdown:
        lines.append("|" + "---|" * (1 + len(metrics)))
    for cat, ranges in REFERENCE_RANGES.items():
        lines.append(_row([f"**{cat}**" if markdown else cat,
                           *[_range(ranges.get(m)) for m in metrics]], markdown, widths))
        for fname in CATEGORY_FILES.get(cat, ()):
            if fname in refs:
                lines.append(_row([f"  {fname}", *[_fmt(refs[fname][m]) for m in metrics]],
                                  markdown, widths))
    lines.append("")
    widths = [38, 9, 14, 14, 14, 14]
    lines.append(_row(["case (median of seeds 1-3)", "category", *metrics], markdown, widths))
    if markdown:
        lines.append("|" + "---|" * (2 + len(metrics)))
    for c in CASES:
        if c.category is None:
            continue
        ranges = REFERENCE_RANGES[c.category]
        xs = [render(c.recipe, c.params, seconds=10.0, sample_rate=SR, seed=s)
              for s in RANGE_SEEDS]
        cells = [c.label, c.category]
        for metric, f in RANGE_METRICS.items():
            value = float(np.median([f(x, SR) for x in xs]))
            rng = ranges.get(metric)
            mark = "" if rng is None else (" in" if inside(value, rng) else " OUT")
            cells.append(_fmt(value) + mark)
        lines.append(_row(cells, markdown, widths))
    return lines


def category_of(recipe: str, params: dict[str, object]) -> str | None:
    """The bed category a recipe at ``params`` is measured against: its CASES entry's,
    else that of any case of the same recipe (None: no real counterpart)."""
    case = case_for(recipe, params)
    if case is not None:
        return case.category
    return next((c.category for c in CASES if c.recipe == recipe), None)


def shipped_beds(scenes: Path = SCENES) -> list[tuple[Scene, Bed, str | None]]:
    """Every recipe bed of every scene file in ``scenes``, with its category."""
    out = []
    for path in sorted(scenes.glob("*.toml")):
        scene = load_scene(path)
        for layer in scene.layers:
            if isinstance(layer, Bed) and layer.recipe is not None and not layer.files:
                out.append((scene, layer, category_of(layer.recipe, layer.params)))
    return out


def as_played(scene: Scene, layer: Bed, variants: int = AS_PLAYED_VARIANTS
              ) -> list[np.ndarray]:
    """The layer's first ``variants`` segments as the scene plays them: synthesised
    with the scene's seeds (first attempt; no bank), then filtered, widened and
    panned by ``prepare_material``. Each (2, frames) float32 at the scene's rate."""
    rate = scene.master.sample_rate
    src = ProceduralSource(rate, scene.master.segment_seconds)
    segs = [src.segment(layer, v, layer_seed(scene.master.seed, layer, v))
            for v in range(min(variants, layer.variants))]
    return prepare_material(scene, layer, LayerMaterial(segs, "procedural", layer.recipe or ""))


def scenes_table(markdown: bool) -> list[str]:
    """Lines of the as-played table (see the module docstring) and its count."""
    metrics = list(RANGE_METRICS)
    widths = [34, 9, 14, 14, 14, 14]
    lines = [_row(["scene / layer (median of variants 0-2)", "category", *metrics],
                  markdown, widths)]
    if markdown:
        lines.append("|" + "---|" * (2 + len(metrics)))
    measured = good = 0
    for scene, layer, category in shipped_beds():
        label = f"{scene.path.stem} / {layer.name}" if scene.path else layer.name
        if category is None:
            lines.append(_row([label, "-", *["-"] * len(metrics)], markdown, widths))
            continue
        ranges = REFERENCE_RANGES[category]
        xs = as_played(scene, layer)
        rate = scene.master.sample_rate
        cells, ok = [label, category], True
        for metric, f in RANGE_METRICS.items():
            value = float(np.median([f(x, rate) for x in xs]))
            rng = ranges.get(metric)
            mark = "" if rng is None else (" in" if inside(value, rng) else " OUT")
            ok = ok and mark != " OUT"
            cells.append(_fmt(value) + mark)
        measured += 1
        good += ok
        lines.append(_row(cells, markdown, widths))
    lines.append("")
    lines.append(f"{good} of {measured} shipped bed layers inside every range of their "
                 "category, as played")
    return lines


def main(argv: list[str]) -> int:
    markdown = "--markdown" in argv
    args = [a for a in argv if not a.startswith("--")]
    ref_dir = Path(args[0]) if args else REPO.parent / "shared" / "reference-recordings"
    print("\nShipped bed layers as played (scene filters, width and pan applied)\n")
    print("\n".join(scenes_table(markdown)))
    if "--scenes" in argv:
        return 0
    if "--ranges" not in argv:
        per_recording(ref_dir, markdown)
    print("\nReference ranges (soundscape/procedural/references.py)\n")
    print("\n".join(ranges_table(ref_dir, markdown)))
    return 0


def per_recording(ref_dir: Path, markdown: bool) -> None:
    """Print one table per reference recording and recipe (see the module docstring)."""
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


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
