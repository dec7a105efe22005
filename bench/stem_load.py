"""Server CPU for N personal mixes: stems mixed in the browser vs mixes on the server.

Issue 10 item 3: with stems (``/stems/<scene>``) the channel renders its graph once and
encodes each layer once per block for every stem listener, so N listeners with N
different mixes cost the server the same as one. A server-side personal mix is a fork
of the channel's graph with its own encoder per listener.

Both cases run the real hub and one mixer (``Engine.step`` on a fake clock, in this
thread), Opus, and drain every listener's queue each block (what the send loop does;
socket writes are left out: they are per listener in both cases). Printed: process
CPU seconds per second of audio, with 1, 10 and 50 listeners, and personal / stems.

    python bench/stem_load.py [--scene scenes/rainy-night.toml] [--seconds 10]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from soundscape.bank import SegmentBank
from soundscape.clock import AudioClock
from soundscape.graph import build_graph
from soundscape.scene import load_scene
from soundscape.server.codec import FRAME_SIZE
from soundscape.server.config import ServerConfig
from soundscape.server.engine import Engine
from soundscape.server.hub import Hub, Listener
from soundscape.server.protocol import Control
from soundscape.server.stream import fork_graph

ROOT = Path(__file__).resolve().parent.parent
COUNTS = (1, 10, 50)


class FakeClock:
    def __init__(self) -> None:
        self.t = 0.0

    def __call__(self) -> float:
        return self.t


def cost(scene, graph, mode: str, count: int, seconds: float) -> tuple[float, float]:
    """(CPU s per s of audio, bytes per listener per s) for ``count`` listeners."""
    fake = FakeClock()
    clock = AudioClock(48000, FRAME_SIZE * 5, now=fake)
    engines: list[Engine] = []
    config = ServerConfig(idle_pause_s=0, max_personal=count, max_personal_per_client=count)
    hub = Hub(config, clock, engines)
    engines.append(Engine("0", clock, hub.on_produced))
    hub.load["0"] = 0
    hub.add_channel(scene, fork_graph(graph))
    listeners: list[Listener] = []
    layer = scene.layers[0].name
    for i in range(count):
        listener = hub.new_listener("opus", lambda c, r: None, client="bench")
        if mode == "stems":
            hub.join_stems(listener, scene.name)
        else:
            hub.join(listener, scene.name)
            hub.handle(listener, Control("gain", layer=layer, db=-float(i % 12)))
        listeners.append(listener)
    sent = [0]

    def step() -> None:
        fake.t += 0.1
        engines[0].step(fake.t)
        for listener in listeners:
            while (item := listener.queue.pop()) is not None:
                sent[0] += len(item)

    for _ in range(count // 2 + 10):  # forks are started two per block; let all take over
        step()
    assert all(lst.mode == ("stems" if mode == "stems" else "personal") for lst in listeners)
    blocks = int(seconds / 0.1)
    sent[0] = 0
    start = time.process_time()
    for _ in range(blocks):
        step()
    audio = blocks * 0.1
    return (time.process_time() - start) / audio, sent[0] / count / audio


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scene", type=Path, default=ROOT / "scenes" / "rainy-night.toml")
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args()
    scene = load_scene(args.scene)
    graph = build_graph(scene, SegmentBank())
    cost(scene, graph, "stems", 1, 2.0)  # warm up caches
    print(f"{scene.name} ({len(scene.layers)} layers), Opus, {args.seconds:g} s of audio "
          "per case; CPU s per s of audio (one core = 1.0), kbit/s per listener")
    print(f"  {'listeners':>9s}  {'personal mixes':>16s}  {'stems':>16s}  personal/stems")
    for count in COUNTS:
        personal, pbytes = cost(scene, graph, "personal", count, args.seconds)
        stems, sbytes = cost(scene, graph, "stems", count, args.seconds)
        print(f"  {count:9d}  {personal:7.4f} {pbytes * 8 / 1000:4.0f} kb/s"
              f"  {stems:7.4f} {sbytes * 8 / 1000:4.0f} kb/s  {personal / stems:6.1f}x")


if __name__ == "__main__":
    main()
