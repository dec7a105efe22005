"""Load benchmark for ``soundscape serve`` on loopback (not a test; it stops by itself).

Starts the server as a subprocess, then for each requested step opens N websocket
clients from separate client processes, simulates each client's playout with a
200 ms buffer (no decoding: the message header says how much audio it carries), and
reports underruns, time to first audio (p50/p95/max), skips and the server's CPU
(% of one core) and RSS. ``--listeners`` steps use one broadcast channel;
``--personal`` steps make every client a personal mix (one gain message each).
A step "passes" with zero underruns, zero gaps and zero disconnections.

    python bench/stream_load.py --listeners 1000,1500 --personal 50,75 --duration 60
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing as mp
import os
import re
import signal
import statistics
import struct
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HEADER = struct.Struct(">BBHIQ")
FRAME_S = 0.02
BUFFER_S = 0.2


async def _client(url: str, seconds: float, personal: bool, layer: str | None,
                  gate: asyncio.Semaphore) -> dict:
    from websockets.asyncio.client import connect

    out = {"ttfa": None, "underruns": 0, "gaps": 0, "audio_s": 0.0, "closed": None}
    async with gate:
        start = time.monotonic()
        try:
            ws = await connect(url, max_size=2**22, open_timeout=30, compression=None)
        except Exception as exc:  # noqa: BLE001 - a benchmark reports, never raises
            out["closed"] = f"connect: {exc}"
            return out
    play_start = None
    received = 0.0
    last_seq = None
    try:
        # one timer for the whole run (a wait_for per message costs more than the audio)
        async with asyncio.timeout(seconds):
            async for msg in ws:
                now = time.monotonic()
                if isinstance(msg, str):
                    data = json.loads(msg)
                    if data["type"] == "hello" and personal and layer:
                        await ws.send(json.dumps({"type": "gain", "layer": layer, "db": -3}))
                    continue
                _, count, _, seq, _ = HEADER.unpack_from(msg)
                if out["ttfa"] is None:
                    out["ttfa"] = now - start
                if last_seq is not None and seq != last_seq + 1:
                    out["gaps"] += 1
                last_seq = seq
                if play_start is not None and received - (now - play_start) < 0:
                    out["underruns"] += 1  # the 200 ms buffer ran dry: rebuffer
                    play_start, received = None, 0.0
                received += count * FRAME_S
                out["audio_s"] += count * FRAME_S
                if play_start is None and received >= BUFFER_S:
                    play_start = now
    except TimeoutError:
        if play_start is not None and received - (time.monotonic() - play_start) < -0.05:
            out["underruns"] += 1
    except Exception as exc:  # noqa: BLE001
        out["closed"] = repr(exc)[:200]
    finally:
        await ws.close()
    return out


def _worker(url: str, n: int, seconds: float, personal: bool, layer: str | None,
            results: mp.Queue) -> None:
    async def main() -> list[dict]:
        gate = asyncio.Semaphore(64)  # connections opened at once
        return await asyncio.gather(*(_client(url, seconds, personal, layer, gate)
                                      for _ in range(n)))

    results.put(asyncio.run(main()))


def _proc_stats(pid: int) -> tuple[float, int]:
    """(CPU seconds used, RSS bytes) of process ``pid``."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    cpu = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    rss = int(fields[21]) * os.sysconf("SC_PAGE_SIZE")
    return cpu, rss


def run_step(base: str, ws_base: str, pid: int, scene: str, layer: str | None, n: int,
             seconds: float, personal: bool, procs: int) -> dict:
    url = f"{ws_base}/stream/{scene}?codec=opus"
    results: mp.Queue = mp.Queue()
    shares = [n // procs + (1 if i < n % procs else 0) for i in range(procs)]
    cpu0, _ = _proc_stats(pid)
    t0 = time.monotonic()
    workers = [mp.Process(target=_worker, args=(url, k, seconds, personal, layer, results))
               for k in shares if k]
    for w in workers:
        w.start()
    peak_rss = 0
    status = None
    while any(w.is_alive() for w in workers) and results.qsize() < len(workers):
        time.sleep(1.0)
        peak_rss = max(peak_rss, _proc_stats(pid)[1])
        if status is None and time.monotonic() - t0 > seconds * 0.8:
            with urllib.request.urlopen(base + "/api/status", timeout=10) as r:
                status = json.loads(r.read())
    clients = [c for _ in workers for c in results.get(timeout=seconds + 120)]
    for w in workers:
        w.join(10)
    cpu1, rss = _proc_stats(pid)
    wall = time.monotonic() - t0
    ttfa = sorted(c["ttfa"] for c in clients if c["ttfa"] is not None)
    closed = [c["closed"] for c in clients if c["closed"]]
    row = {
        "mode": "personal" if personal else "broadcast", "clients": n,
        "seconds": seconds,
        "connected": len(ttfa),
        "underruns": sum(c["underruns"] for c in clients),
        "clients_with_underruns": sum(1 for c in clients if c["underruns"]),
        "gaps": sum(c["gaps"] for c in clients),
        "closed": len(closed),
        "ttfa_p50_ms": round(1000 * statistics.median(ttfa), 1) if ttfa else None,
        "ttfa_p95_ms": round(1000 * ttfa[int(0.95 * (len(ttfa) - 1))], 1) if ttfa else None,
        "ttfa_max_ms": round(1000 * ttfa[-1], 1) if ttfa else None,
        "server_cpu_pct": round(100 * (cpu1 - cpu0) / wall, 1),
        "server_rss_mb": round(max(peak_rss, rss) / 2**20, 1),
        "server_personal": status["personal_mixes"] if status else None,
        "server_late_blocks": status["underruns"]["server"] if status else None,
    }
    row["pass"] = (row["underruns"] == 0 and row["gaps"] == 0 and row["closed"] == 0
                   and row["connected"] == n)
    if closed:
        row["first_close"] = closed[0]
    return row


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--scenes", type=Path, default=ROOT / "scenes")
    p.add_argument("--scene", default="rainy-night")
    p.add_argument("--listeners", default="1000", help="broadcast steps, e.g. 500,1000,1500")
    p.add_argument("--personal", default="50", help="personal-mix steps, e.g. 25,50,75")
    p.add_argument("--duration", type=float, default=60.0, help="seconds per step (<= 120)")
    p.add_argument("--procs", type=int, default=2, help="client processes")
    p.add_argument("--bank", type=Path, default=None, help="segment bank (default: temporary)")
    p.add_argument("--stop-on-fail", action="store_true",
                   help="stop a series at its first failing step")
    p.add_argument("--server-arg", action="append", default=[],
                   help="extra flag for the server, e.g. --server-arg=--mixers=1")
    args = p.parse_args(argv)
    duration = min(args.duration, 120.0)
    steps = ([("broadcast", int(n)) for n in args.listeners.split(",") if n]
             + [("personal", int(n)) for n in args.personal.split(",") if n])
    bank = args.bank or Path(tempfile.mkdtemp(prefix="soundscape-bench-bank-"))
    env = dict(os.environ, SOUNDSCAPE_BANK=str(bank), PYTHONUNBUFFERED="1")
    only = Path(tempfile.mkdtemp(prefix="soundscape-bench-scenes-"))  # one channel only
    source = args.scenes / f"{args.scene}.toml"
    (only / source.name).write_text(source.read_text())
    top = max([n for _, n in steps] + [1])
    server = subprocess.Popen(
        [sys.executable, str(ROOT / "server.py"), "--port", "0", "--scenes", str(only),
         "--bank", str(bank), "--max-listeners", str(top + 10),
         "--max-personal", str(top + 10), "--reload-interval", "0", *args.server_arg],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env, cwd=ROOT)
    rows = []
    try:
        assert server.stdout is not None
        port = None
        while port is None:
            line = server.stdout.readline()
            if not line:
                raise SystemExit("server exited before serving")
            m = re.search(r"serving http://[\d.]+:(\d+)/", line)
            port = int(m.group(1)) if m else None
        # keep the pipe drained so the server never blocks on logging
        import threading

        threading.Thread(target=lambda: [None for _ in server.stdout], daemon=True).start()
        base, ws_base = f"http://127.0.0.1:{port}", f"ws://127.0.0.1:{port}"
        deadline = time.monotonic() + 300
        layer = None
        while time.monotonic() < deadline:
            with urllib.request.urlopen(base + "/api/scenes", timeout=10) as r:
                scenes = {s["name"]: s for s in json.loads(r.read())}
            if scenes.get(args.scene, {}).get("ready"):
                layer = scenes[args.scene]["layers"][0]["name"]
                break
            time.sleep(0.5)
        else:
            raise SystemExit(f"scene {args.scene!r} never became ready")
        time.sleep(2)  # let the channel settle
        idle0, _ = _proc_stats(server.pid)
        time.sleep(3)
        idle_cpu = round(100 * (_proc_stats(server.pid)[0] - idle0) / 3, 1)
        print(json.dumps({"idle_server_cpu_pct": idle_cpu, "scene": args.scene,
                          "cpus": os.cpu_count()}), flush=True)
        failed: set[str] = set()
        for mode, n in steps:
            if args.stop_on_fail and mode in failed:
                continue
            row = run_step(base, ws_base, server.pid, args.scene, layer, n, duration,
                           mode == "personal", args.procs)
            rows.append(row)
            print(json.dumps(row), flush=True)
            if not row["pass"]:
                failed.add(mode)
            time.sleep(2)
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(5)
        except subprocess.TimeoutExpired:
            server.kill()
    best = {mode: max([r["clients"] for r in rows if r["mode"] == mode and r["pass"]],
                      default=0) for mode in ("broadcast", "personal")}
    print(json.dumps({"max_passing": best}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
