"""Render benchmark: x realtime and peak memory, against ffmpeg doing a comparable job.

    python bench/render.py [--hour 3600] [--short 600]

Renders the six-layer scene (3 beds, 3 event layers) from a warm bank for one hour
and for ten minutes, each in a fresh process so peak RSS is measured per run, then
times ffmpeg mixing the same bank files (each bed looped with -stream_loop -1, mixed
with amix, written to FLAC) for the same hour. Prints one table; ratios compare
runs made in this same process tree on this same machine.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCENE = ROOT / "bench" / "six-layers.toml"

CHILD = """
import resource, sys, time
from soundscape.cli import main
t = time.perf_counter()
rc = main(sys.argv[1:])
wall = time.perf_counter() - t
print(f"RESULT {rc} {wall:.3f} {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}")
"""


def run_ours(seconds: int, out: Path, env: dict[str, str]) -> tuple[float, float]:
    """(wall seconds, peak RSS MB) of one `soundscape render` in a fresh process."""
    cmd = [sys.executable, "-c", CHILD, "render", str(SCENE), "-d", f"{seconds}s",
           "-o", str(out), "--force", "-q"]
    res = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=ROOT)
    line = [x for x in res.stdout.splitlines() if x.startswith("RESULT")]
    if res.returncode != 0 or not line:
        sys.exit(f"render failed:\n{res.stderr}")
    _, rc, wall, rss_kb = line[0].split()
    return float(wall), int(rss_kb) / 1024


def run_ffmpeg(seconds: int, beds: list[Path], out: Path) -> float:
    cmd = ["ffmpeg", "-v", "error", "-y"]
    for bed in beds:
        cmd += ["-stream_loop", "-1", "-i", str(bed)]
    cmd += ["-filter_complex", f"amix=inputs={len(beds)}:normalize=0", "-t", str(seconds),
            "-ar", "48000", "-ac", "2", "-sample_fmt", "s16", "-c:a", "flac", str(out)]
    start = time.perf_counter()
    subprocess.run(cmd, check=True)
    return time.perf_counter() - start


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--hour", type=int, default=3600, help="long render, seconds")
    ap.add_argument("--short", type=int, default=600, help="short render, seconds")
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="soundscape-bench-"))
    env = dict(os.environ, SOUNDSCAPE_BANK=str(work / "bank"))
    try:
        # warm the bank (synthesis and calibration are not what we time)
        run_ours(5, work / "warm.flac", env)
        rows = []
        for seconds in (args.short, args.hour):
            wall, rss = run_ours(seconds, work / f"ours-{seconds}.flac", env)
            rows.append((seconds, wall, rss))
        from soundscape.bank import SegmentBank
        from soundscape.scene import load_scene
        from soundscape.segment import digest
        from soundscape.sources import ProceduralSource, layer_seed

        scene = load_scene(SCENE)
        bank = SegmentBank(work / "bank")
        src = ProceduralSource(scene.master.sample_rate, scene.master.segment_seconds)
        beds = []
        for layer in scene.beds:
            key = src.key(layer, 0, layer_seed(scene.master.seed, layer, 0))
            beds.append(bank._paths(digest(key))[0])
        ff = run_ffmpeg(args.hour, beds, work / "ffmpeg.flac") if shutil.which("ffmpeg") else None
        print(f"scene: {SCENE.name} (3 beds, 3 event layers), output FLAC 16-bit 48 kHz stereo")
        print(f"cpu: {os.cpu_count()} cores; python {sys.version.split()[0]}")
        print(f"{'render':>10} {'wall s':>8} {'x realtime':>11} {'peak RSS MB':>12}")
        for seconds, wall, rss in rows:
            print(f"{seconds:>9}s {wall:>8.2f} {seconds / wall:>11.0f} {rss:>12.0f}")
        if ff is not None:
            hour_wall = rows[-1][1]
            print(f"ffmpeg amix of the 3 beds, {args.hour}s to FLAC: {ff:.2f} s "
                  f"({args.hour / ff:.0f}x realtime)")
            print(f"ours / ffmpeg time: {hour_wall / ff:.2f} (below 1.0 means faster)")
        _, rss_small = rows[0][1], rows[0][2]
        print(f"RSS growth {args.short}s -> {args.hour}s: {rows[-1][2] - rss_small:+.0f} MB")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
