"""Sound integrity of every shipped scene: clicks, NaN, true peak, event timing.

Usage: python bench/integrity.py [--minutes 5] [--seeds 1201,7] [--scenes DIR] [--only-beds]

For each scene in scenes/ (and each seed: the scene's own, then the others given),
renders MINUTES through the same graph as `soundscape render` and reports:
clicks per minute in the master output (soundscape.guard.find_clicks), non-finite
samples, the true peak (4x oversampled) against the scene's ceiling, the integrated
loudness against the target, and per event layer the share of the most common gap
(gaps rounded to 10 ms). With --only-beds it also renders each bed layer alone
(like `render --only LAYER`) and counts its clicks. Prints one markdown table.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from soundscape.bank import SegmentBank
from soundscape.dsp.loudness import integrated_lufs, true_peak_db
from soundscape.graph import build_graph
from soundscape.graph.events import EventPlayer
from soundscape.guard import find_clicks
from soundscape.scene import load_scene


def render(scene, bank, seed, frames, only=None):  # type: ignore[no-untyped-def]
    graph = build_graph(scene, bank, seed=seed, only=only)
    players = {n: s.source for n, s in graph.strips.items() if isinstance(s.source, EventPlayer)}
    for p in players.values():
        p.keep_history = True
    rate = scene.master.sample_rate
    parts, starts = [], {n: [] for n in players}
    done = 0
    while done < frames:
        n = min(rate, frames - done)
        parts.append(graph.pull(n))
        for name, p in players.items():
            starts[name].extend(ev.start for ev in p.drain_history())
        done += n
    return np.concatenate(parts, axis=1), starts


def gap_share(starts: list[int], rate: int) -> tuple[int, float]:
    gaps = np.diff(sorted(starts)) / rate
    if len(gaps) == 0:
        return 0, 0.0
    top = Counter(np.round(gaps, 2)).most_common(1)[0][1]
    return len(gaps), top / len(gaps)


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--minutes", type=float, default=5.0)
    ap.add_argument("--seeds", default="")
    ap.add_argument("--scenes", type=Path, default=REPO / "scenes")
    ap.add_argument("--only-beds", action="store_true")
    ap.add_argument("--bank", type=Path, default=None)
    args = ap.parse_args(argv)
    bank = SegmentBank(args.bank) if args.bank else SegmentBank()
    extra = [int(s) for s in args.seeds.split(",") if s.strip()]
    print("| scene | seed | clicks/min | non-finite | true peak dBTP (ceiling) | LUFS (target) "
          "| events: layer gaps max-share |")
    print("|---|---|---|---|---|---|---|")
    worst = 0.0
    for path in sorted(args.scenes.glob("*.toml")):
        scene = load_scene(path)
        rate = scene.master.sample_rate
        frames = int(args.minutes * 60 * rate)
        for seed in [scene.master.seed, *extra]:
            audio, starts = render(scene, bank, seed, frames)
            clicks = find_clicks(audio, rate, limit=10**6)
            per_min = len(clicks) / args.minutes
            worst = max(worst, per_min)
            bad = int(audio.size - np.count_nonzero(np.isfinite(audio)))
            tp = true_peak_db(audio)
            lufs = integrated_lufs(audio, rate)
            shares = ", ".join(f"{n} {c} {100 * s:.0f}%" for n, (c, s) in
                               ((n, gap_share(v, rate)) for n, v in starts.items()))
            print(f"| {path.stem} | {seed} | {per_min:.2f} | {bad} | {tp:.2f} "
                  f"({scene.master.ceiling_dbtp:g}) | {lufs:.1f} ({scene.master.loudness_lufs:g}) "
                  f"| {shares or '-'} |")
            if clicks:
                print(f"|  | clicks at | {', '.join(f'{t:.3f}' for t in clicks[:8])} | | | | |")
        if args.only_beds:
            for layer in scene.layers:
                if layer.kind != "bed":
                    continue
                audio, _ = render(scene, bank, None, frames, only=[layer.name])
                clicks = find_clicks(audio, rate, limit=10**6)
                worst = max(worst, len(clicks) / args.minutes)
                print(f"| {path.stem} --only {layer.name} | - | "
                      f"{len(clicks) / args.minutes:.2f} | "
                      f"{int(audio.size - np.count_nonzero(np.isfinite(audio)))} | "
                      f"{true_peak_db(audio):.2f} | | |")
    print(f"\nworst clicks/min: {worst:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
