"""Soak test of the real server (not a unit test; it stops by itself).

    python bench/soak.py [--seconds 3600] [--broadcast 12] [--stems 4] [--personal 8]

Starts ``python server.py`` on loopback with copies of two shipped scenes
(rainy-night, thunderstorm) in a temporary scenes folder and, once both are ready,
keeps for ``--seconds``:

* healthy listeners, spread over the two scenes: ``--broadcast`` on ``/stream/``
  (Opus), ``--stems`` on ``/stems/`` (Opus stems) and ``--personal`` on ``/stream/``
  that send a ``gain`` or ``mute`` message every 10-30 s (a personal mix each). Each
  counts sequence gaps (``seq`` not one more than the last), drops (the server closed
  it, or it could not reconnect) and stalls (no audio for ``STALL_S``); a dropped
  listener reconnects and goes on counting;
* a hot reload of one scene file every ``--reload-every`` seconds, alternating the
  scenes; every third one writes invalid TOML, which the server must refuse (its
  status shows a ``reload_error`` and the reload count holds) while audio goes on;
  the next reload of that file writes a valid edit, which must be applied;
* ``--hostile`` clients (1) that send junk every 50 ms: random bytes, random JSON
  values, known message types with bad values, oversized text; each reconnects
  whenever the server closes it, and their fate is not counted.

Every minute it prints one line: gaps, drops and stalls of healthy listeners in that
minute, tracebacks in the server's log, the server's RSS (the median of a reading
every 2 s, and the least and most of them), the least audio any
healthy listener received; what the server's status says happened in that minute
(blocks mixed late, messages skipped for slow listeners, listeners dropped as too
slow) and its CPU; the worst lateness of the soak's own event loop (a late client
makes gaps the server is not to blame for) and the load average; reloads and junk
sent so far. At the end it prints the totals and the RSS at minute ``--warm-minute``
(5; half the run if shorter) and at the end (minute medians), the minutes after it
whose median strays more than ``--max-growth`` % from it, and exits 1 if any healthy listener saw
a gap, a drop or a stall, the log holds a traceback, RSS grew more than
``--max-growth`` % (5) from the warm minute to the end, a reload was mishandled, or
the server died or did not exit 0 on SIGTERM; 0 otherwise.
``--json PATH`` also writes the per-minute rows and the summary.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import signal
import statistics
import struct
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
HEADER = struct.Struct(">BBHIQ")  # version, frames, reserved (stems), seq, position
FRAME_S = 0.02  # one Opus frame
RSS_TICK_S = 2.0  # the server's RSS is read this often (RssWatch)
SCENES = ("rainy-night", "thunderstorm")
STALL_S = 5.0  # no audio for this long on an open connection: a stall
RELOAD_WAIT_S = 120.0  # a reload not applied (or refused) by then is mishandled
LAG_TICK_S = 0.1  # the soak's own event loop is sampled this often
INVALID = "title = 'soak: broken on purpose\n[[layers]]\nname = \n"  # not TOML


# -- the server ----------------------------------------------------------------------
class Server:
    """``python server.py`` as a child; its log drained by a thread, tracebacks counted."""

    def __init__(self, scenes: Path, bank: Path, extra: list[str], log: Path | None = None):
        env = dict(os.environ, SOUNDSCAPE_BANK=str(bank), PYTHONUNBUFFERED="1")
        self.proc = subprocess.Popen(
            [sys.executable, str(ROOT / "server.py"), "--host", "127.0.0.1", "--port", "0",
             "--scenes", str(scenes), "--bank", str(bank), "--reload-interval", "1", *extra],
            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self.tail: list[str] = []
        self.tracebacks: list[str] = []  # the first lines of each
        self.errors: list[str] = []  # log lines at ERROR level
        self._lock = threading.Lock()
        self._log = log.open("w") if log is not None else None  # every line, as it comes
        assert self.proc.stdout is not None
        self.port = 0
        while not self.port:
            line = self.proc.stdout.readline()
            if not line:
                raise SystemExit("soak: the server exited before serving:\n"
                                 + "".join(self.tail))
            self._keep(line)
            m = re.search(r"serving http://[\d.]+:(\d+)/", line)
            self.port = int(m.group(1)) if m else 0
        self.http = f"http://127.0.0.1:{self.port}"
        threading.Thread(target=self._drain, daemon=True).start()

    def _keep(self, line: str) -> None:
        if self._log is not None:
            self._log.write(line)
            self._log.flush()
        with self._lock:
            self.tail.append(line)
            del self.tail[:-400]
            if line.startswith("Traceback (most recent call last)"):
                self.tracebacks.append(line)
            elif self.tracebacks and len(self.tracebacks[-1].splitlines()) < 30 and (
                    line.startswith((" ", "\t")) or re.match(r"\w+(\.\w+)*(Error|Exception)",
                                                             line)):
                self.tracebacks[-1] += line
            if " ERROR " in line:
                self.errors.append(line.rstrip()[:300])

    def _drain(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self._keep(line)

    def get(self, path: str) -> Any:
        with urllib.request.urlopen(self.http + path, timeout=20) as r:
            return json.loads(r.read())

    def rss_mb(self) -> float:
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        return 0.0

    def cpu_s(self) -> float:
        """CPU seconds (user + system) the server has used."""
        fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode


# -- healthy listeners ---------------------------------------------------------------
@dataclass
class Tally:
    """One healthy listener's counts (only its own coroutine writes them)."""

    kind: str
    scene: str
    gaps: int = 0
    drops: int = 0
    stalls: int = 0
    audio_s: float = 0.0
    controls: int = 0
    closes: list[str] = field(default_factory=list)


async def listener(tally: Tally, url: str, layers: list[str], stop: asyncio.Event,
                   seed: int) -> None:
    """Listen until ``stop``; a personal listener changes its mix every 10-30 s."""
    from websockets.asyncio.client import connect
    from websockets.exceptions import ConnectionClosed

    rng = random.Random(seed)
    personal = tally.kind == "personal"
    while not stop.is_set():
        try:
            ws = await connect(url, max_size=2**22, open_timeout=30, compression=None)
        except Exception as exc:  # noqa: BLE001 - a soak reports, never raises
            tally.drops += 1
            tally.closes.append(f"connect: {exc!r}"[:200])
            await asyncio.sleep(1.0)
            continue
        last_seq = None
        next_control = time.monotonic() + rng.uniform(10, 30)
        try:
            while not stop.is_set():
                try:
                    msg = await asyncio.wait_for(ws.recv(), STALL_S)
                except TimeoutError:
                    if not stop.is_set():
                        tally.stalls += 1
                    continue
                if isinstance(msg, str):
                    continue
                _, count, nstems, seq, _ = HEADER.unpack_from(msg)
                if last_seq is not None and seq != (last_seq + 1) & 0xFFFFFFFF:
                    tally.gaps += 1
                last_seq = seq
                tally.audio_s += count * FRAME_S
                if personal and time.monotonic() >= next_control:
                    layer = rng.choice(layers)
                    if rng.random() < 0.3:
                        control = {"type": "mute", "layer": layer, "muted": rng.random() < 0.5}
                    else:
                        control = {"type": "gain", "layer": layer,
                                   "db": round(rng.uniform(-20, 0), 1)}
                    await ws.send(json.dumps(control))
                    tally.controls += 1
                    next_control = time.monotonic() + rng.uniform(10, 30)
        except ConnectionClosed as exc:
            if not stop.is_set():
                tally.drops += 1
                rcvd = exc.rcvd
                tally.closes.append(f"closed {rcvd.code} {rcvd.reason}" if rcvd else
                                    "closed without a close frame")
                await asyncio.sleep(1.0)
        finally:
            await ws.close()


# -- the hostile client --------------------------------------------------------------
def _junk_value(rng: random.Random, depth: int = 0) -> Any:
    kind = rng.randrange(7 if depth < 3 else 4)
    if kind == 0:
        return rng.choice([None, True, False])
    if kind == 1:
        return rng.choice([0, -1, 2**63, -(2**70), 1e308, -1e-308, rng.uniform(-1e6, 1e6)])
    if kind == 2:
        return "".join(chr(rng.randrange(1, 0x2FFF)) for _ in range(rng.randrange(40)))
    if kind == 3:
        return rng.choice(["gain", "mute", "sleep", "switch", "ping", "volume", "stats",
                           "rain", "downpour", "../../etc/passwd", "", "x" * 300])
    if kind == 4:
        return [_junk_value(rng, depth + 1) for _ in range(rng.randrange(5))]
    keys = ["type", "layer", "db", "muted", "after", "fade", "scene", "value", "id",
            "underruns"]
    return {rng.choice(keys): _junk_value(rng, depth + 1) for _ in range(rng.randrange(6))}


def junk_message(rng: random.Random) -> str | bytes:
    """One hostile message: bytes, any JSON, a known type with bad values, or too big."""
    pick = rng.random()
    if pick < 0.2:
        return rng.randbytes(rng.randrange(0, 3000))
    if pick < 0.45:
        return json.dumps(_junk_value(rng))
    if pick < 0.8:
        message = {k: _junk_value(rng) for k in rng.sample(
            ["layer", "db", "muted", "after", "fade", "scene", "value", "id", "underruns"],
            rng.randrange(1, 4))}
        message["type"] = rng.choice(["gain", "mute", "sleep", "switch", "ping", "volume",
                                      "stats", "nonsense"])
        return json.dumps(message)
    if pick < 0.9:
        return "".join(chr(rng.randrange(1, 0x2FF)) for _ in range(rng.randrange(1, 200)))
    return json.dumps({"type": "ping", "pad": "x" * rng.randrange(5000, 200_000)})


@dataclass
class JunkTally:
    sent: int = 0
    errors_back: int = 0
    reconnects: int = 0


async def hostile(tally: JunkTally, urls: list[str], stop: asyncio.Event, seed: int) -> None:
    from websockets.asyncio.client import connect

    rng = random.Random(seed)
    while not stop.is_set():
        try:
            async with connect(rng.choice(urls), max_size=2**22, open_timeout=30) as ws:

                async def drain() -> None:
                    try:
                        async for msg in ws:
                            if isinstance(msg, str) and '"type":"error"' in msg:
                                tally.errors_back += 1
                    except Exception:  # noqa: BLE001, S110 - closed: the sender reconnects
                        pass

                reader = asyncio.create_task(drain())
                try:
                    while not stop.is_set() and not reader.done():
                        await ws.send(junk_message(rng))
                        tally.sent += 1
                        await asyncio.sleep(0.05)
                finally:
                    reader.cancel()
        except Exception:  # noqa: BLE001 - the server may close a hostile client
            pass
        if not stop.is_set():
            tally.reconnects += 1
            await asyncio.sleep(0.5)


# -- hot reloads ---------------------------------------------------------------------
@dataclass
class Reloads:
    valid: int = 0
    applied: int = 0
    invalid: int = 0
    refused: int = 0
    slowest_s: float = 0.0  # from the write to the status that shows the outcome
    mishandled: list[str] = field(default_factory=list)


def write_scene(path: Path, text: str) -> None:
    """Replace the file at once (the server never reads half of it)."""
    tmp = path.with_name(f".{path.name}.soak")
    tmp.write_text(text)
    os.replace(tmp, path)


def edited(text: str, turn: int) -> str:
    """``text`` with its first plain ``gain_db`` lowered by 0.1 dB per turn: each valid
    edit differs from the last good version, so the server must apply it."""
    return re.sub(r"(?m)^gain_db = (-?[\d.]+)\s*$",
                  lambda m: f"gain_db = {float(m.group(1)) - 0.1 * turn:.1f}", text, count=1)


async def reloader(server: Server, folder: Path, every: float, stop: asyncio.Event,
                   out: Reloads) -> None:
    """Every ``every`` s rewrite one scene file (alternating scenes); every third
    write is invalid TOML and must be refused, the next one of that file applied,
    each within RELOAD_WAIT_S (a reload builds the scene's graph first)."""
    loop = asyncio.get_running_loop()
    originals = {name: (folder / f"{name}.toml").read_text() for name in SCENES}
    turn = 0

    def channel(name: str) -> dict:
        status = server.get("/api/status")
        return next(c for c in status["channels"] if c["scene"] == name)

    while True:
        try:
            await asyncio.wait_for(stop.wait(), every)
            return
        except TimeoutError:
            pass
        turn += 1
        name = SCENES[turn % len(SCENES)]
        path = folder / f"{name}.toml"
        before = await loop.run_in_executor(None, channel, name)
        invalid = turn % 3 == 0
        if invalid:
            out.invalid += 1
            write_scene(path, INVALID)
        else:
            out.valid += 1
            write_scene(path, edited(originals[name], turn))
        written = time.monotonic()
        while time.monotonic() < written + RELOAD_WAIT_S:
            await asyncio.sleep(0.5)
            now = await loop.run_in_executor(None, channel, name)
            if invalid and now["reload_error"] and now["reloads"] == before["reloads"]:
                out.refused += 1
            elif not invalid and now["reloads"] > before["reloads"] and not now["reload_error"]:
                out.applied += 1
            else:
                continue
            out.slowest_s = round(max(out.slowest_s, time.monotonic() - written), 1)
            break
        else:
            out.mishandled.append(f"turn {turn}: {'invalid' if invalid else 'valid'} edit of "
                                  f"{name}: status {now['reloads']} reloads, error "
                                  f"{now['reload_error']!r}")


# -- the run -------------------------------------------------------------------------
class RssWatch:
    """The server's RSS sampled every RSS_TICK_S: a minute's row gives the median of its
    samples (the level the growth rule reads), its least and its most. One reading at
    the minute's end mostly sees the level, but now and then a fresh segment being
    synthesised (its temporaries are 3-14x the 7.7 MB it makes) or a hot reload's
    build: the median is the level that a leak would raise."""

    def __init__(self, server: Server) -> None:
        self.server = server
        self.samples: list[float] = []

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            if self.server.proc.poll() is None:
                self.samples.append(self.server.rss_mb())
            await asyncio.sleep(RSS_TICK_S)

    def take(self) -> dict[str, float]:
        now = self.server.rss_mb()
        got, self.samples = self.samples or [now], []
        return {"rss_mb": round(statistics.median(got), 1), "rss_least_mb": round(min(got), 1),
                "rss_most_mb": round(max(got), 1), "rss_at_end_mb": round(now, 1)}


class LoopLag:
    """The worst lateness of this process's event loop: a soak client that is late
    reading makes gaps the server is not to blame for, so the minute rows show it."""

    def __init__(self) -> None:
        self.worst = 0.0

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            due = time.monotonic() + LAG_TICK_S
            await asyncio.sleep(LAG_TICK_S)
            self.worst = max(self.worst, time.monotonic() - due)

    def take(self) -> float:
        worst, self.worst = self.worst, 0.0
        return worst


def server_counts(status: dict[str, Any]) -> dict[str, int]:
    """Running totals from /api/status: blocks mixed late, messages skipped for slow
    listeners, listeners dropped as too slow."""
    return {"late_blocks": status["underruns"]["server"],
            "skipped": sum(c["skipped_messages"] for c in status["channels"]),
            "dropped_slow": status["dropped_slow"]}


def totals(tallies: list[Tally]) -> dict[str, float]:
    return {"gaps": sum(t.gaps for t in tallies), "drops": sum(t.drops for t in tallies),
            "stalls": sum(t.stalls for t in tallies)}


async def soak(args: argparse.Namespace, server: Server, folder: Path) -> dict[str, Any]:
    loop = asyncio.get_running_loop()
    deadline = time.monotonic() + args.ready_timeout
    layers: dict[str, list[str]] = {}
    while len(layers) < len(SCENES):
        if time.monotonic() > deadline:
            raise SystemExit("soak: scenes not ready:\n" + "".join(server.tail[-30:]))
        for s in await loop.run_in_executor(None, server.get, "/api/scenes"):
            if s.get("ready"):
                layers[s["name"]] = [layer["name"] for layer in s["layers"]]
        await asyncio.sleep(1)
    print(f"soak: scenes ready after {args.ready_timeout - (deadline - time.monotonic()):.0f}"
          f" s; soaking for {args.seconds:.0f} s", flush=True)

    ws = f"ws://127.0.0.1:{server.port}"
    stop = asyncio.Event()
    tallies: list[Tally] = []
    tasks = []
    plan = ([("broadcast", "stream")] * args.broadcast + [("stems", "stems")] * args.stems
            + [("personal", "stream")] * args.personal)
    for i, (kind, route) in enumerate(plan):
        scene = SCENES[i % len(SCENES)]
        tally = Tally(kind, scene)
        tallies.append(tally)
        tasks.append(asyncio.create_task(listener(
            tally, f"{ws}/{route}/{scene}?codec=opus", layers[scene], stop, i)))
    junk = JunkTally()
    reloads = Reloads()
    for k in range(args.hostile):
        tasks.append(asyncio.create_task(hostile(
            junk, [f"{ws}/stream/{SCENES[0]}?codec=pcm16",
                   f"{ws}/stems/{SCENES[1]}?codec=opus"], stop, 99 + k)))
    if args.reload_every > 0:
        tasks.append(asyncio.create_task(reloader(server, folder, args.reload_every, stop,
                                                  reloads)))
    lag = LoopLag()
    tasks.append(asyncio.create_task(lag.run(stop)))
    rss = RssWatch(server)
    tasks.append(asyncio.create_task(rss.run(stop)))

    t0 = time.monotonic()
    minutes: list[dict[str, Any]] = []
    last = totals(tallies)
    last_audio = [0.0] * len(tallies)
    last_tracebacks = 0
    last_server = server_counts(await loop.run_in_executor(None, server.get, "/api/status"))
    last_cpu, last_t = server.cpu_s(), time.monotonic()
    minute = 0
    while minute * 60 < args.seconds:
        minute += 1
        end = t0 + min(minute * 60, args.seconds)
        await asyncio.sleep(max(0.0, end - time.monotonic()))
        now = totals(tallies)
        audio = [t.audio_s for t in tallies]
        if server.proc.poll() is not None:
            print(f"soak: the server died (exit {server.proc.returncode})", flush=True)
            break
        counts = server_counts(await loop.run_in_executor(None, server.get, "/api/status"))
        cpu, t = server.cpu_s(), time.monotonic()
        row = {
            "minute": minute, **{k: now[k] - last[k] for k in now},
            "tracebacks": len(server.tracebacks) - last_tracebacks,
            **rss.take(),
            "least_audio_s": round(min(a - b for a, b in zip(audio, last_audio)), 1),
            **{k: counts[k] - last_server[k] for k in counts},
            "server_cpu_pct": round(100 * (cpu - last_cpu) / (t - last_t)),
            "client_lag_s": round(lag.take(), 2), "load": os.getloadavg()[0],
            "reloads": f"{reloads.applied}/{reloads.valid} applied, "
                       f"{reloads.refused}/{reloads.invalid} refused", "junk_sent": junk.sent,
        }
        last, last_audio, last_tracebacks = now, audio, len(server.tracebacks)
        last_server, last_cpu, last_t = counts, cpu, t
        minutes.append(row)
        print(f"min {minute:3d}: gaps {row['gaps']} drops {row['drops']} stalls "
              f"{row['stalls']} tracebacks {row['tracebacks']}  rss {row['rss_mb']:.1f} MB "
              f"({row['rss_least_mb']:.0f}-{row['rss_most_mb']:.0f})  "
              f"least audio {row['least_audio_s']:.1f} s | server: late blocks "
              f"{row['late_blocks']} skipped {row['skipped']} dropped {row['dropped_slow']} "
              f"cpu {row['server_cpu_pct']} % | client lag {row['client_lag_s']:.2f} s  "
              f"load {row['load']:.1f} | reloads {row['reloads']}  junk {row['junk_sent']}",
              flush=True)
    stop.set()
    await asyncio.wait(tasks, timeout=30)
    for task in tasks:
        task.cancel()

    warm = min(args.warm_minute, max(1, len(minutes) // 2))
    rss_warm = minutes[warm - 1]["rss_mb"] if minutes else 0.0
    rss_end = minutes[-1]["rss_mb"] if minutes else 0.0
    growth = 100 * (rss_end - rss_warm) / rss_warm if rss_warm else 0.0
    # minutes from the warm one on whose level strays more than --max-growth from it
    outside = [r["minute"] for r in minutes[warm - 1:]
               if rss_warm and abs(r["rss_mb"] - rss_warm) > args.max_growth / 100 * rss_warm]
    end = totals(tallies)
    return {
        "seconds": round(time.monotonic() - t0), "minutes": minutes,
        "listeners": {kind: sum(1 for t in tallies if t.kind == kind)
                      for kind in ("broadcast", "stems", "personal")},
        **end, "tracebacks": len(server.tracebacks), "log_errors": len(server.errors),
        "error_lines": server.errors[:5],
        "audio_hours": round(sum(t.audio_s for t in tallies) / 3600, 2),
        "personal_controls": sum(t.controls for t in tallies),
        "rss_warm_minute": warm, "rss_warm_mb": rss_warm, "rss_end_mb": rss_end,
        "rss_growth_pct": round(growth, 2), "rss_minutes_outside": outside,
        "rss_most_mb": max((r["rss_most_mb"] for r in minutes), default=0.0),
        **{f"server_{k}": sum(row[k] for row in minutes)
           for k in ("late_blocks", "skipped", "dropped_slow")},
        "server_cpu_pct_mean": round(sum(r["server_cpu_pct"] for r in minutes)
                                     / max(1, len(minutes))),
        "client_lag_worst_s": max((r["client_lag_s"] for r in minutes), default=0.0),
        "load_range": [min((r["load"] for r in minutes), default=0.0),
                       max((r["load"] for r in minutes), default=0.0)],
        "reloads": asdict(reloads), "junk": asdict(junk),
        "closes": [c for t in tallies for c in t.closes][:10],
        "traceback_text": server.tracebacks[:3],
        "server_alive": server.proc.poll() is None,
    }


def failures(summary: dict[str, Any], max_growth: float) -> list[str]:
    out = [f"{summary[k]} {k}" for k in ("gaps", "drops", "stalls", "tracebacks")
           if summary[k]]
    if summary["rss_growth_pct"] > max_growth:
        out.append(f"RSS grew {summary['rss_growth_pct']:.1f} % from minute "
                   f"{summary['rss_warm_minute']} (over {max_growth:g} %)")
    out.extend(summary["reloads"]["mishandled"])
    if not summary["server_alive"]:
        out.append("the server died")
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    p.add_argument("--seconds", type=float, default=3600.0, help="soak length (3600)")
    p.add_argument("--broadcast", type=int, default=12, help="Opus broadcast listeners (12)")
    p.add_argument("--stems", type=int, default=4, help="stem listeners (4)")
    p.add_argument("--personal", type=int, default=8, help="personal-mix listeners (8)")
    p.add_argument("--hostile", type=int, default=1, help="clients sending junk (1)")
    p.add_argument("--reload-every", type=float, default=150.0,
                   help="seconds between scene file rewrites (150; 0: none)")
    p.add_argument("--warm-minute", type=int, default=5,
                   help="RSS growth is measured from the end of this minute (5)")
    p.add_argument("--max-growth", type=float, default=5.0, help="RSS growth allowed, %% (5)")
    p.add_argument("--ready-timeout", type=float, default=1200.0,
                   help="seconds to wait for the scenes to build (1200)")
    p.add_argument("--bank", type=Path, default=None, help="segment bank (a fresh one)")
    p.add_argument("--json", type=Path, default=None, help="also write the results here")
    p.add_argument("--server-log", type=Path, default=None,
                   help="write the server's whole log here (warnings included)")
    args = p.parse_args(argv)
    bank = args.bank or Path(tempfile.mkdtemp(prefix="soundscape-soak-bank-"))
    folder = Path(tempfile.mkdtemp(prefix="soundscape-soak-scenes-"))
    for name in SCENES:
        (folder / f"{name}.toml").write_text((ROOT / "scenes" / f"{name}.toml").read_text())
    healthy = args.broadcast + args.stems + args.personal
    server = Server(folder, bank, ["--max-listeners", str(healthy + 20),
                                   "--max-personal", str(args.personal + 16),
                                   "--max-personal-per-client", str(args.personal + 16)],
                    args.server_log)
    try:
        summary = asyncio.run(soak(args, server, folder))
    finally:
        code = server.stop()
    summary["server_exit"] = code
    problems = failures(summary, args.max_growth)
    if code != 0:
        problems.append(f"the server exited {code} on SIGTERM")
    summary["failures"] = problems
    shown = {k: v for k, v in summary.items() if k not in ("minutes", "traceback_text")}
    print(json.dumps(shown, indent=1), flush=True)
    for text in summary["traceback_text"]:
        print(text, file=sys.stderr)
    if args.json:
        args.json.write_text(json.dumps(summary, indent=1))
    print(f"soak: {summary['gaps']} gaps, {summary['drops']} drops, {summary['stalls']} stalls, "
          f"{summary['tracebacks']} tracebacks; RSS {summary['rss_warm_mb']:.1f} MB at minute "
          f"{summary['rss_warm_minute']} -> {summary['rss_end_mb']:.1f} MB at the end "
          f"({summary['rss_growth_pct']:+.2f} %): " + ("; ".join(problems) or "pass"),
          flush=True)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
