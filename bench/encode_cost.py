"""What a broadcast channel costs with and without encoding (issue 10, item 4).

A channel encodes a codec only while a broadcast listener takes it (server/hub.py
``_sync_codecs``). This prints the mixer thread's CPU per second of audio for one
channel of a shipped scene with no encoder (nobody listening, or Icecast/HLS only:
they take the raw blocks), PCM16 only, Opus only and both, and each as a ratio of
the no-encoder baseline measured in the same process.

    python bench/encode_cost.py [--scene scenes/rainy-night.toml] [--seconds 60]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from soundscape.bank import SegmentBank
from soundscape.clock import AudioClock
from soundscape.graph import build_graph
from soundscape.scene import load_scene
from soundscape.server.codec import FRAME_SIZE, make_encoder
from soundscape.server.stream import Stream, fork_graph

ROOT = Path(__file__).resolve().parent.parent


def cost(graph, codecs: tuple[str, ...], seconds: float) -> float:
    """CPU seconds per second of audio for one channel stream encoding ``codecs``."""
    clock = AudioClock(48000, FRAME_SIZE * 5)
    stream = Stream("channel:bench", fork_graph(graph),
                    {c: make_encoder(c, 96000) for c in codecs}, clock, 0, 5)
    blocks = int(seconds / 0.1)
    start = time.process_time()
    for _ in range(blocks):
        stream.produce()
    return (time.process_time() - start) / (blocks * 0.1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scene", type=Path, default=ROOT / "scenes" / "rainy-night.toml")
    parser.add_argument("--seconds", type=float, default=60.0)
    args = parser.parse_args()
    scene = load_scene(args.scene)
    graph = build_graph(scene, SegmentBank())
    cost(graph, (), 2.0)  # warm up caches
    base = cost(graph, (), args.seconds)
    print(f"{scene.name}: {args.seconds:g} s of audio per case, CPU s per s of audio")
    print(f"  {'no encoder (nobody listens)':30s} {base:.4f}  1.00x")
    for codecs in (("pcm16",), ("opus",), ("opus", "pcm16")):
        figure = cost(graph, codecs, args.seconds)
        print(f"  {' + '.join(codecs):30s} {figure:.4f}  {figure / base:.2f}x")


if __name__ == "__main__":
    main()
