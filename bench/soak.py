"""Soak test of ``soundscape serve`` (not a unit test; it stops by itself).

    python bench/soak.py [--duration 3600] [--listeners 200] [--personal 20]

Starts the server on loopback with two shipped scenes (rainy-night, thunderstorm) in a
temporary scenes folder, then for ``--duration`` seconds keeps:

* ``--listeners`` websocket listeners (half on each scene), each simulating playout
  with a 200 ms buffer and counting underruns and sequence gaps; ``--personal`` of
  them hold a personal mix and change a layer gain every 20-40 s;
* one scene edit (hot reload: a layer gain toggles) every ``--reload-every`` seconds;
* a fuzzing client that sends a malformed or hostile control message every 100 ms
  (reconnecting whenever the server closes it), whose own fate is not counted.

It samples the server's RSS and CPU every 10 s and prints JSON lines, then a summary:
RSS growth from the end of warm-up (four reloads in, at least 5 minutes) to the end,
gaps and underruns for healthy listeners, closes, and the server's CPU. Healthy means
every listener except the fuzzer: the goal is 0 gaps, 0 closes and RSS growth < 5 %.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing as mp
import os
import random
import re
import signal
import struct
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HEADER = struct.Struct(">BBHIQ")
FRAME_S = 0.02
BUFFER_S = 0.2
SCENES = ("rainy-night", "thunderstorm")


async def listener(url: str, seconds: float, layer: str | None, seed: int) -> dict:
    from websockets.asyncio.client import connect

    rng = random.Random(seed)
    out = {"ttfa": None, "underruns": 0, "gaps": 0, "audio_s": 0.0, "closed": None}
    start = time.monotonic()
    try:
        ws = await connect(url, max_size=2**22, open_timeout=60, compression=None)
    except Exception as exc:  # noqa: BLE001 - a benchmark reports, never raises
        out["closed"] = f"connect: {exc}"
        return out
    play_start, received, last_seq = None, 0.0, None
    next_gain = time.monotonic() + rng.uniform(5, 20)
    try:
        async with asyncio.timeout(seconds):
            async for msg in ws:
                now = time.monotonic()
                if isinstance(msg, str):
                    continue
                if layer is not None and now >= next_gain:
                    await ws.send(json.dumps({"type": "gain", "layer": layer,
                                              "db": round(rng.uniform(-12, 0), 1)}))
                    next_gain = now + rng.uniform(20, 40)
                _, count, _, seq, _ = HEADER.unpack_from(msg)
                if out["ttfa"] is None:
                    out["ttfa"] = now - start
                if last_seq is not None and seq != last_seq + 1:
                    out["gaps"] += 1
                last_seq = seq
                if play_start is not None and received - (now - play_start) < 0:
                    out["underruns"] += 1
                    play_start, received = None, 0.0
                received += count * FRAME_S
                out["audio_s"] += count * FRAME_S
                if play_start is None and received >= BUFFER_S:
                    play_start = now
    except TimeoutError:
        pass
    except Exception as exc:  # noqa: BLE001
        out["closed"] = repr(exc)[:200]
    finally:
        await ws.close()
    return out


HOSTILE = [
    "", "{", "[]", "null", "1e999", '{"type": "gain", "layer": "rain", "db": 1e308}',
    '{"type": "gain", "layer": "rain", "db": NaN}', '{"type": "volume", "value": -1}',
    '{"type": "sleep", "after": 99999999999999999999999, "fade": 1}',
    '{"type": "ping", "t": Infinity}', '{"type": "switch", "scene": "../../etc/passwd"}',
    '{"type": "mute", "layer": "' + "x" * 5000 + '"}', '{"type": "nonsense"}',
    '{"type": "gain", "layer": {"a": [1, 2]}, "db": "loud"}',
]


async def fuzzer(url: str, seconds: float, seed: int) -> dict:
    from websockets.asyncio.client import connect

    rng = random.Random(seed)
    sent = reconnects = 0
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            async with connect(url, max_size=2**22, open_timeout=30) as ws:
                while time.monotonic() < deadline:
                    text = rng.choice(HOSTILE)
                    if rng.random() < 0.3:
                        text = "".join(chr(rng.randrange(1, 0x2FF)) for _ in range(64))
                    await ws.send(text)
                    sent += 1
                    try:
                        while True:  # drain whatever came back, audio included
                            await asyncio.wait_for(ws.recv(), 0.1)
                    except TimeoutError:
                        pass
        except Exception:  # noqa: BLE001 - the server may close us: that is allowed
            reconnects += 1
            await asyncio.sleep(0.5)
    return {"fuzz_sent": sent, "fuzz_reconnects": reconnects}


def worker(jobs: list[tuple[str, str | None, int]], seconds: float, fuzz_url: str | None,
           results: mp.Queue) -> None:
    async def main() -> list[dict]:
        tasks = [listener(url, seconds, layer, seed) for url, layer, seed in jobs]
        if fuzz_url:
            tasks.append(fuzzer(fuzz_url, seconds, 99))
        return await asyncio.gather(*tasks)

    results.put(asyncio.run(main()))


def proc_stats(pid: int) -> tuple[float, int]:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    cpu = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return cpu, int(fields[21]) * os.sysconf("SC_PAGE_SIZE")


def toggle_gain(path: Path, flip: bool) -> None:
    text = path.read_text()
    new = re.sub(r"(?m)^gain_db = (-?[\d.]+)$",
                 lambda m: f"gain_db = {float(m.group(1)) + (-1.0 if flip else 1.0):g}",
                 text, count=1)
    path.write_text(new)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--duration", type=float, default=3600.0)
    p.add_argument("--listeners", type=int, default=200)
    p.add_argument("--personal", type=int, default=20)
    p.add_argument("--reload-every", type=float, default=120.0)
    p.add_argument("--procs", type=int, default=2)
    p.add_argument("--bank", type=Path, default=None)
    args = p.parse_args(argv)
    bank = args.bank or Path(tempfile.mkdtemp(prefix="soundscape-soak-bank-"))
    folder = Path(tempfile.mkdtemp(prefix="soundscape-soak-scenes-"))
    for name in SCENES:
        (folder / f"{name}.toml").write_text((ROOT / "scenes" / f"{name}.toml").read_text())
    env = dict(os.environ, SOUNDSCAPE_BANK=str(bank), PYTHONUNBUFFERED="1")
    server = subprocess.Popen(
        [sys.executable, str(ROOT / "server.py"), "--port", "0", "--scenes", str(folder),
         "--bank", str(bank), "--max-listeners", str(args.listeners + 20),
         "--max-personal", str(args.personal + 10), "--reload-interval", "1"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env, cwd=ROOT)
    log_tail: list[str] = []
    try:
        assert server.stdout is not None
        port = None
        while port is None:
            line = server.stdout.readline()
            if not line:
                raise SystemExit("server exited before serving")
            m = re.search(r"serving http://[\d.]+:(\d+)/", line)
            port = int(m.group(1)) if m else None

        def drain() -> None:
            assert server.stdout is not None
            for text in server.stdout:
                log_tail.append(text)
                del log_tail[:-50]

        threading.Thread(target=drain, daemon=True).start()
        import urllib.request

        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 600
        layers: dict[str, str] = {}
        while time.monotonic() < deadline and len(layers) < len(SCENES):
            with urllib.request.urlopen(base + "/api/scenes", timeout=10) as r:
                for s in json.loads(r.read()):
                    if s.get("ready"):
                        layers[s["name"]] = s["layers"][0]["name"]
            time.sleep(1)
        ws = f"ws://127.0.0.1:{port}/stream/"
        jobs = []
        for i in range(args.listeners):
            scene = SCENES[i % len(SCENES)]
            layer = layers[scene] if i < args.personal else None
            jobs.append((f"{ws}{scene}?codec=opus", layer, i))
        shares = [jobs[i::args.procs] for i in range(args.procs)]
        results: mp.Queue = mp.Queue()
        procs = [mp.Process(target=worker, args=(share, args.duration,
                                                  f"{ws}{SCENES[0]}?codec=pcm16" if k == 0
                                                  else None, results))
                 for k, share in enumerate(shares)]
        t0 = time.monotonic()
        cpu0, _ = proc_stats(server.pid)
        for w in procs:
            w.start()
        samples = []
        next_reload, flip = t0 + args.reload_every, False
        while any(w.is_alive() for w in procs) and results.qsize() < len(procs):
            time.sleep(10)
            now = time.monotonic()
            cpu, rss = proc_stats(server.pid)
            samples.append((now - t0, rss))
            print(json.dumps({"t": round(now - t0), "rss_mb": round(rss / 2**20, 1),
                              "cpu_pct": round(100 * (cpu - cpu0) / (now - t0), 1)}),
                  flush=True)
            if now >= next_reload:
                toggle_gain(folder / f"{SCENES[int(now) % 2]}.toml", flip)
                flip = not flip
                next_reload = now + args.reload_every
        clients = [c for _ in procs for c in results.get(timeout=300)]
        for w in procs:
            w.join(10)
        cpu1, _ = proc_stats(server.pid)
        wall = time.monotonic() - t0
        healthy = [c for c in clients if "ttfa" in c]
        fuzz = [c for c in clients if "fuzz_sent" in c]
        # warm-up: every scene reloaded at least twice (each stream keeps its last good
        # version as a fallback, so RSS steps up with the first reloads, then holds)
        warm_at = min(max(300.0, 4 * args.reload_every + 60), args.duration / 2)
        warm = [r for t, r in samples if t >= warm_at]
        growth = (warm[-1] - warm[0]) / warm[0] * 100 if len(warm) > 1 else 0.0
        summary = {
            "seconds": round(wall), "listeners": len(healthy), "personal": args.personal,
            "connected": sum(1 for c in healthy if c["ttfa"] is not None),
            "gaps": sum(c["gaps"] for c in healthy),
            "underruns": sum(c["underruns"] for c in healthy),
            "closed": [c["closed"] for c in healthy if c["closed"]][:5],
            "audio_hours": round(sum(c["audio_s"] for c in healthy) / 3600, 1),
            "rss_warm_mb": round(warm[0] / 2**20, 1) if warm else None,
            "rss_end_mb": round(warm[-1] / 2**20, 1) if warm else None,
            "rss_growth_pct": round(growth, 2),
            "server_cpu_pct": round(100 * (cpu1 - cpu0) / wall, 1),
            **(fuzz[0] if fuzz else {}),
            "server_alive": server.poll() is None,
        }
        print(json.dumps(summary), flush=True)
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(10)
        except subprocess.TimeoutExpired:
            server.kill()
        if server.returncode not in (0, -signal.SIGTERM):
            print("".join(log_tail[-20:]), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
