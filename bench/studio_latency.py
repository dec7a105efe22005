"""How soon a studio edit is heard, on every shipped scene (issue 17).

For each scenes/*.toml the studio server runs in this process (``StreamServer`` in
studio mode, as ``soundscape studio`` starts it, on a free loopback port) and a
websocket client edits the scene the way the page does (``set`` messages):

* a bed's gain_db, a bed's pan, an event layer's rate (rate_per_min or interval):
  the live path (the running graph glides; nothing is built);
* the same gain edits again with the live path switched off in this process (every
  edit rebuilt and crossfaded, as before issue 17): the old path, measured in the
  same run on the same machine.

Latency: from sending the ``set`` to receiving the studio's ``heard`` for that
version (the first block made with the change), on the client's clock. The bank
is the usual one ($SOUNDSCAPE_BANK or the user cache): a cold scene is prepared
once before its edits are timed.

    python bench/studio_latency.py [--edits 6] [--scenes rainy-night,brook]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from soundscape.commands.studio import config_from_args  # noqa: E402
from soundscape.scene import Bed, Event, scene_from_text  # noqa: E402
from soundscape.server import studio_session  # noqa: E402
from soundscape.server.app import StreamServer  # noqa: E402


class Client:
    def __init__(self, ws: Any):
        self.ws = ws
        self.messages: list[dict[str, Any]] = []

    async def until(self, kind: str, timeout: float, **fields: Any) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        seen = 0
        while True:
            for m in self.messages[seen:]:
                if m["type"] == kind and all(m.get(k) == v for k, v in fields.items()):
                    self.messages.remove(m)
                    return m
                if m["type"] == "problems":
                    raise RuntimeError(f"the edit has problems: {m['problems']}")
            seen = len(self.messages)
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"no {kind} {fields}")
            raw = await asyncio.wait_for(self.ws.recv(), left)
            if isinstance(raw, str):
                self.messages.append(json.loads(raw))


def edits_for(path: Path, n: int) -> dict[str, list[tuple[str, Any]]]:
    """(TOML path, value) edits of each kind the scene allows: n of each."""
    scene = scene_from_text(path.read_text(), path)
    beds = [i for i, la in enumerate(scene.layers) if isinstance(la, Bed)]
    events = [(i, la) for i, la in enumerate(scene.layers) if isinstance(la, Event)]
    out: dict[str, list[tuple[str, Any]]] = {}
    if beds:
        i = beds[0]
        bed = scene.layers[i]
        assert isinstance(bed, Bed)
        out["gain"] = [(f"layers[{i}].gain_db", round(bed.gain_db - 1.0 - k % 3, 1))
                       for k in range(n)]
        if bed.width != 0 and abs(bed.pan) < 1:
            out["pan"] = [(f"layers[{i}].pan", round(0.1 + 0.1 * (k % 5), 2)) for k in range(n)]
    if events:
        i, ev = events[0]
        if ev.interval is not None:
            lo, hi = ev.interval
            out["rate"] = [(f"layers[{i}].interval", [f"{lo * (1 + 0.1 * (k % 3 + 1)):g}s",
                                                      f"{hi * (1 + 0.1 * (k % 3 + 1)):g}s"])
                           for k in range(n)]
        else:
            base = ev.rate_per_min or 1.0
            out["rate"] = [(f"layers[{i}].rate_per_min", round(base * (1.1 + 0.1 * (k % 3)), 3))
                           for k in range(n)]
    return out


async def measure(folder: Path, bank: Path | None, name: str, n: int) -> dict[str, list[float]]:
    args = argparse.Namespace(port=0, scene=folder / name, from_words=None, token=None,
                              bank=bank)
    from websockets.asyncio.client import connect

    server = StreamServer(config_from_args(args))
    await server.start()
    times: dict[str, list[float]] = {}
    try:
        url = f"ws://127.0.0.1:{server.port}/studio/ws?scene={name}"
        async with connect(url, max_size=None) as ws:
            c = Client(ws)
            await c.until("applied", 1800, version=1)
            await c.until("heard", 120, version=1)
            version = 1
            plan = edits_for(folder / name, n)
            old = studio_session.is_live
            for kind in (*plan, "rebuild"):
                if kind == "rebuild":
                    studio_session.is_live = lambda built, new: False  # type: ignore[assignment]
                    edits = plan.get("gain") or next(iter(plan.values()))
                else:
                    edits = plan[kind]
                try:
                    for path, value in edits:
                        version += 1
                        sent = time.perf_counter()
                        await ws.send(json.dumps({"type": "set", "path": path, "value": value}))
                        await c.until("heard", 60, version=version)
                        times.setdefault(kind, []).append((time.perf_counter() - sent) * 1000)
                        await asyncio.sleep(0.15)  # an author's pace, not a flood
                finally:
                    studio_session.is_live = old
    finally:
        await server.stop()
    return times


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--edits", type=int, default=6, help="edits of each kind per scene")
    p.add_argument("--scenes", default="", help="comma-separated scene names (default: all)")
    p.add_argument("--bank", type=Path, default=None)
    a = p.parse_args()
    chosen = [s for s in a.scenes.split(",") if s]
    names = sorted(q.name for q in (ROOT / "scenes").glob("*.toml")
                   if not chosen or q.stem in chosen)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for f in (ROOT / "scenes").iterdir():  # a copy: the studio may write
            if f.is_file():
                shutil.copy(f, folder / f.name)
        print(f"{'scene':<22}{'gain med/max':>14}{'pan med/max':>14}{'rate med/max':>14}"
              f"{'rebuild med':>13}{'ratio':>7}")
        for name in names:
            t = asyncio.run(measure(folder, a.bank, name, a.edits))
            live = [x for k in ("gain", "pan", "rate") for x in t.get(k, [])]

            def cell(k: str, t: dict[str, list[float]] = t) -> str:
                v = t.get(k)
                return f"{statistics.median(v):6.0f}/{max(v):<6.0f}" if v else f"{'-':>13}"

            old = statistics.median(t["rebuild"])
            ratio = old / statistics.median(live)
            rows.append((name, t, live, old, ratio))
            print(f"{name[:-5]:<22}{cell('gain'):>14}{cell('pan'):>14}{cell('rate'):>14}"
                  f"{old:>10.0f} ms{ratio:>6.1f}x", flush=True)
    every = [x for _, _, live, _, _ in rows for x in live]
    print(f"all live edits: n={len(every)} median {statistics.median(every):.0f} ms, "
          f"max {max(every):.0f} ms; within 250 ms: "
          f"{sum(x <= 250 for x in every)}/{len(every)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
