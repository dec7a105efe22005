"""What endless material costs: a 1 h render against ffmpeg, and a live channel's CPU.

    python bench/endless.py [--scene scenes/rainy-night.toml] [--seconds 3600]
                            [--live-seconds 600] [--runs 2]

1. **Render.** ``soundscape render SCENE -d 1h -o X.flac`` in a fresh process (warm
   bank: one short render first), timed wall-clock, against ffmpeg generating and
   encoding the same length of stereo pink noise to 16-bit FLAC (two independent
   ``anoisesrc`` channels merged), both in this run, alternated ``--runs`` times.
   The goal (issue 14): ours / ffmpeg <= 2.5 with beds that renew their material.
2. **Live channel.** The scene's graph pulled in 20 ms blocks as the server does and
   each block Opus-encoded, for ``--live-seconds`` of audio as fast as it goes; the
   process CPU time (every thread: the synthesis workers too) over the audio time is
   the share of one core a live channel costs. Goal: <= 5 %.

Prints one table; compare ratios, not seconds, across machines.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def render(scene: Path, seconds: int, out: Path) -> float:
    """Wall seconds of one `soundscape render` in a fresh process."""
    cmd = [sys.executable, "-m", "soundscape.cli", "render", str(scene), "-d", f"{seconds}s",
           "-o", str(out), "--force", "-q"]
    t = time.perf_counter()
    res = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    wall = time.perf_counter() - t
    if res.returncode != 0:
        sys.exit(f"render failed:\n{res.stderr}")
    return wall


def pink_noise(seconds: int, out: Path) -> float:
    """Wall seconds of ffmpeg making ``seconds`` of stereo pink noise into FLAC."""
    src = "anoisesrc=color=pink:sample_rate=48000:duration={}:seed={}"
    cmd = ["ffmpeg", "-v", "error", "-y",
           "-f", "lavfi", "-i", src.format(seconds, 1),
           "-f", "lavfi", "-i", src.format(seconds, 2),
           "-filter_complex", "[0][1]amerge=inputs=2", "-sample_fmt", "s16", str(out)]
    t = time.perf_counter()
    subprocess.run(cmd, check=True)
    return time.perf_counter() - t


def live_share(scene_path: Path, seconds: int) -> tuple[float, float]:
    """(share of one core, x realtime) of a live channel: graph + Opus, 20 ms blocks."""
    from soundscape.graph.build import build_graph
    from soundscape.render import lossy_headroom
    from soundscape.scene import load_scene
    from soundscape.server.codec import make_encoder

    scene = lossy_headroom(load_scene(scene_path))
    graph = build_graph(scene)
    encoder = make_encoder("opus")
    block = scene.master.sample_rate // 50
    graph.pull(block)  # the first block builds lazily made state
    cpu, wall = time.process_time(), time.perf_counter()
    for _ in range(seconds * 50):
        encoder.encode(graph.pull(block))
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    return cpu / seconds, seconds / wall


FINITE_SCENE = """
[master]
seed = 14
segment_seconds = 10

[[layers]]
name = "recorded"
type = "bed"
files = {files}
crossfade = "3s"

[[layers]]
name = "generated"
type = "bed"
prompt = "steady rain on a window"
variants = 6
crossfade = "3s"
"""


def finite_beds(minutes: int, folder: Path) -> list[str]:
    """Rows for the two finite beds played alone: a file bed cut from real recordings
    (``../shared/reference-recordings``) and a "generated" bed of six 10 s segments
    (procedural rain stored in the bank as a model's output: the player treats it as
    finite material, which is what is measured)."""
    from soundscape.bank import SegmentBank
    from soundscape.graph.build import build_graph
    from soundscape.procedural import render as synth
    from soundscape.repetition import RepetitionScanner
    from soundscape.scene import load_scene
    from soundscape.segment import Segment
    from soundscape.sources import prompt_group

    recordings = ROOT.parent / "shared" / "reference-recordings"
    files = [str(recordings / name) for name in ("city_01.flac", "forest_03.flac",
                                                 "water_02.flac")]
    path = folder / "finite.toml"
    path.write_text(FINITE_SCENE.replace("{files}", repr(files).replace("'", '"')))
    scene = load_scene(path)
    bank = SegmentBank(folder / "bank")
    for i in range(6):
        audio = synth("rain", {"intensity": 0.5}, seconds=10.0, sample_rate=48000, seed=i)
        bank.put({"finite-bench": i}, Segment(audio, 48000, {"model": "stand-in", "variant": i}),
                 group=prompt_group(scene.layers[1]))
    rows = []
    for layer in scene.layers:
        graph = build_graph(scene, bank, only=[layer.name])
        scanner = RepetitionScanner(48000)
        for _ in range(minutes * 60):
            scanner.feed(graph.pull(48000))
        r = scanner.result()
        material = graph.materials[layer.name]
        best = r.best_correlation
        rows.append(f"| {layer.name} ({material.detail}, "
                    f"{len(graph.strips[layer.name].source.segments)} segments) | "
                    f"{minutes} min | {r.windows} | {100 * r.share:.1f} % | {best:.3f} |")
    return rows


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scene", type=Path, default=ROOT / "scenes" / "rainy-night.toml")
    ap.add_argument("--seconds", type=int, default=3600)
    ap.add_argument("--live-seconds", type=int, default=600)
    ap.add_argument("--runs", type=int, default=2)
    ap.add_argument("--finite", type=int, metavar="MINUTES", default=0,
                    help="only play a file bed and a generated bed of six segments alone "
                         "for MINUTES and report their repetition")
    args = ap.parse_args(argv)
    if args.finite:
        with tempfile.TemporaryDirectory() as tmp:
            print("| finite bed | played | 5 s windows | repeating | best correlation |")
            print("| --- | --- | --- | --- | --- |")
            for row in finite_beds(args.finite, Path(tmp)):
                print(row)
        return 0
    if shutil.which("ffmpeg") is None:
        sys.exit("ffmpeg is not installed")
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        render(args.scene, 30, out / "warm.flac")  # fill the bank
        ours, theirs = [], []
        for _ in range(args.runs):
            ours.append(render(args.scene, args.seconds, out / "ours.flac"))
            theirs.append(pink_noise(args.seconds, out / "pink.flac"))
    share, speed = live_share(args.scene, args.live_seconds)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"scene {args.scene.name}, {args.seconds} s, {os.cpu_count()} cores")
    print("| measure | ours | ffmpeg pink noise | ratio | goal |")
    print("| --- | --- | --- | --- | --- |")
    best_ours, best_theirs = min(ours), min(theirs)
    print(f"| {args.seconds} s render to FLAC (best of {args.runs}) | {best_ours:.2f} s | "
          f"{best_theirs:.2f} s | {best_ours / best_theirs:.2f}x | <= 2.5x |")
    print(f"| live channel, {args.live_seconds} s, graph + Opus, 20 ms blocks | "
          f"{100 * share:.2f} % of a core ({speed:.0f}x realtime), {rss:.0f} MB | - | - | "
          "<= 5 % |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
