"""Benchmark for the Icecast and HLS outputs (not a test; it stops by itself).

1. Listeners through Icecast: starts a real icecast2 on loopback (as in
   tests/test_icecast.py), one ``soundscape broadcast SCENE --icecast ...`` source
   (Ogg/Opus + MP3), then for each step N plain HTTP listeners on the Opus mount
   (one process, non-blocking sockets and ``selectors``) for ``--duration`` s. Prints
   the CPU of icecast2 and of our source process side by side (% of one core, from
   /proc), and what the listeners got (kbit/s each, the slowest one, disconnections).
2. Encoding cost per scene: CPU seconds per minute of audio for the mixer itself
   and for each output codec (HLS AAC and Opus in fMP4 with the hls muxer; Icecast
   Ogg/Opus and MP3), measured in-process on the same pre-rendered audio.

    python bench/outputs_load.py --listeners 10,100,500 --duration 20
    python bench/outputs_load.py --skip-icecast --scene scenes/thunderstorm.toml
"""

from __future__ import annotations

import argparse
import os
import selectors
import socket
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT))

TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """utime + stime of ``pid`` (and its reaped children) from /proc/PID/stat."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return sum(int(x) for x in fields[11:15]) / TICKS


def listen(port: int, mount: str, n: int, seconds: float) -> dict:
    """``n`` plain HTTP listeners on ``mount`` for ``seconds``: what each received per
    second over the second half (after the connect burst and any backlog), and how
    many connections were closed."""
    sel = selectors.DefaultSelector()
    got: dict[socket.socket, int] = {}
    closed = 0
    for _ in range(n):
        s = socket.create_connection(("127.0.0.1", port), timeout=10)
        s.sendall(f"GET {mount} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n".encode())
        s.setblocking(False)
        sel.register(s, selectors.EVENT_READ)
        got[s] = 0
    started = time.monotonic()
    half: dict[socket.socket, int] | None = None
    while time.monotonic() - started < seconds:
        if half is None and time.monotonic() - started >= seconds / 2:
            half, half_t = dict(got), time.monotonic()
        for key, _ in sel.select(timeout=0.5):
            sock = key.fileobj
            assert isinstance(sock, socket.socket)
            try:
                data = sock.recv(65536)
            except BlockingIOError:
                continue
            except OSError:
                data = b""
            if not data:
                sel.unregister(sock)
                sock.close()
                closed += 1
                continue
            got[sock] += len(data)
    if half is None:
        half, half_t = {s: 0 for s in got}, started
    elapsed = time.monotonic() - half_t
    for sock in list(got):
        try:
            sock.close()
        except OSError:
            pass
    rates = np.array([got[s] - half[s] for s in got]) * 8 / elapsed / 1000
    return {"kbps_median": float(np.median(rates)), "kbps_min": float(rates.min()),
            "closed": closed}


def icecast_bench(scene: Path, steps: list[int], seconds: float) -> None:
    from icecast_helpers import IcecastServer
    from stream_check import Broadcast

    server = IcecastServer(clients=max(steps) + 50)
    server.start()
    cast = Broadcast(str(scene), "--icecast", server.url("/bench"))
    try:
        cast.wait_for("streaming to http://127.0.0.1", 300)
        server.wait_mounts(["/bench.mp3", "/bench.opus"])
        assert server.proc is not None
        ice_pid, our_pid = server.proc.pid, cast.proc.pid
        time.sleep(3)
        print(f"\nIcecast 2.4 on loopback, one source ({scene.name}: Ogg/Opus 128 kbit/s + MP3 "
              f"128 kbit/s), listeners on the Opus mount, {seconds:g} s per step")
        print(f"{'listeners':>9}  {'icecast2 CPU':>12}  {'soundscape CPU':>14}  "
              f"{'kbit/s each':>11}  {'slowest':>8}  {'closed':>7}")
        for n in steps:
            ice0, our0, t0 = cpu_seconds(ice_pid), cpu_seconds(our_pid), time.monotonic()
            result = listen(server.port, "/bench.opus", n, seconds)
            dt = time.monotonic() - t0
            ice = (cpu_seconds(ice_pid) - ice0) / dt * 100
            our = (cpu_seconds(our_pid) - our0) / dt * 100
            print(f"{n:>9}  {ice:>11.1f}%  {our:>13.1f}%  {result['kbps_median']:>11.0f}  "
                  f"{result['kbps_min']:>8.0f}  {result['closed']:>7}", flush=True)
    finally:
        cast.stop()
        server.close()


def encode_bench(scene_path: Path, seconds: float) -> None:
    from soundscape.bank import SegmentBank
    from soundscape.graph import build_graph
    from soundscape.outputs.encode import CODECS, LiveEncoder
    from soundscape.outputs.hls import HlsOutput
    from soundscape.scene import load_scene

    scene = load_scene(scene_path)
    graph = build_graph(scene, SegmentBank())
    block = 4800
    frames = int(seconds * 48000)
    t = time.process_time()
    audio = np.concatenate([graph.pull(block) for _ in range(frames // block)], axis=1)
    per_min = 60 / seconds
    print(f"\nCPU seconds per minute of audio, {scene.name} ({seconds:g} s measured, "
          f"one core)")
    print(f"  mixer (scene graph)        {(time.process_time() - t) * per_min:6.2f}")
    for name in ("aac", "opus"):
        with tempfile.TemporaryDirectory() as tmp:
            out = HlsOutput(Path(tmp) / "x", renditions=(name,))
            t = time.process_time()
            out.start()
            for i in range(0, audio.shape[1], block):
                while not out.push(audio[:, i:i + block]):
                    time.sleep(0.001)
            out.close(120)
            cost = (time.process_time() - t) * per_min
            print(f"  HLS {name:<4} fMP4 segments    {cost:6.2f}")
    for name in ("opus", "mp3"):
        enc = LiveEncoder(CODECS[name], title="bench")
        t = time.process_time()
        size = 0
        for i in range(0, audio.shape[1], block):
            size += len(enc.write(audio[:, i:i + block]))
        size += len(enc.close())
        cost = (time.process_time() - t) * per_min
        print(f"  Icecast {name:<4} stream        {cost:6.2f}   "
              f"({size * 8 / seconds / 1000:.0f} kbit/s)")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--scene", type=Path, default=ROOT / "scenes" / "rainy-night.toml")
    p.add_argument("--listeners", default="10,100,500")
    p.add_argument("--duration", type=float, default=20.0, help="seconds per listener step")
    p.add_argument("--encode-seconds", type=float, default=60.0)
    p.add_argument("--skip-icecast", action="store_true")
    p.add_argument("--skip-encode", action="store_true")
    args = p.parse_args()
    if not args.skip_encode:
        encode_bench(args.scene, args.encode_seconds)
    if not args.skip_icecast:
        icecast_bench(args.scene, [int(n) for n in args.listeners.split(",")], args.duration)


if __name__ == "__main__":
    main()
