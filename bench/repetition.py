"""How much of what the shipped scenes play repeats earlier output (issue 14).

Usage: python bench/repetition.py [--minutes N] [--markdown] [--only SCENE[/LAYER],...]
                                  [--threshold R] [--no-mix] [--no-events]
                                  [--references [DIR]]

For every bed layer of every shipped scene (``scenes/*.toml``), played alone the way
it plays in the scene (``build_graph(scene, only=[layer])``: the scene's seed,
filters, level automation, master gain and limiter), ``--minutes`` (default 60) are
pulled in 1 s blocks through :class:`soundscape.repetition.RepetitionScanner`
(5 s windows every 5 s; a window repeats when a stretch of earlier output at any
shift correlates >= 0.9 with it; ``--threshold 0.7`` counts looser replays too: a
window in which the replayed part is only as loud as the rest scores 0.7). Printed
per layer: windows, the share that repeat,
the median and the shortest lag, the best correlation, the share of "echoes" (windows
whose fingerprint matches earlier output, score >= 0.8, whether or not the waveform
does: the same sound heard again at this speed or within about 1 % of it), and the
scanner's speed
(audio seconds per second of scanning, graph pulls excluded). Then the same for
each scene's full mix (``--no-mix`` skips it).

Event layers (``--no-events`` skips them): the layer alone for the same span, with
the event player's history: how many events, how many distinct variants they used,
how many replay a variant already heard (the same audio, only gain / pan / distance
drawn anew) and how many are sample-identical to an earlier event up to gain (same
variant, pan and distance).

``--references [DIR]`` also scans the real recordings (default
``../shared/reference-recordings``), 5 s and 2 s windows: real sound never repeats,
so any repeat there is a false positive of the ruler.

``--only rainy-night,ocean-shore/surf`` limits the scenes or layers.
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from soundscape.graph.build import build_graph  # noqa: E402
from soundscape.repetition import (  # noqa: E402
    THRESHOLD,
    RepetitionResult,
    RepetitionScanner,
    find_repeats,
)
from soundscape.scene import Bed, Event, Scene, load_scene  # noqa: E402

SCENES = REPO / "scenes"


@dataclass
class Row:
    """One line of the table: a layer (or the mix) and its verdict."""

    scene: str
    layer: str
    result: RepetitionResult
    scan_seconds: float  # wall time spent in the scanner


def _arg(argv: list[str], flag: str, default: str | None) -> str | None:
    if flag in argv:
        i = argv.index(flag)
        if i + 1 < len(argv) and not argv[i + 1].startswith("--"):
            return argv[i + 1]
        return ""
    return default


def scan(scene: Scene, only: list[str] | None, minutes: float,
         threshold: float = THRESHOLD) -> tuple[RepetitionResult, float]:
    """Pull ``minutes`` of the scene (``only`` those layers) and scan it; returns the
    result and the seconds spent scanning."""
    graph = build_graph(scene, only=only)
    rate = scene.master.sample_rate
    scanner = RepetitionScanner(rate, threshold=threshold)
    spent = 0.0
    for _ in range(int(round(minutes * 60))):
        block = graph.pull(rate)
        t = time.perf_counter()
        scanner.feed(block)
        spent += time.perf_counter() - t
    t = time.perf_counter()
    result = scanner.result()
    return result, spent + time.perf_counter() - t


def event_counts(scene: Scene, layer: Event, minutes: float) -> dict[str, int]:
    """Events of ``layer`` alone over ``minutes``: total, distinct variants, replays of
    a variant already heard, and sample-identical up to gain (variant, pan, distance)."""
    graph = build_graph(scene, only=[layer.name])
    player = graph.strips[layer.name].source
    player.keep_history = True  # type: ignore[attr-defined]
    rate = scene.master.sample_rate
    for _ in range(int(round(minutes * 60))):
        graph.pull(rate)
    history = list(getattr(player, "history", []))
    seen_variants: set[int] = set()
    seen_exact: set[tuple[int, float, float]] = set()
    replays = identical = 0
    for ev in history:
        replays += ev.variant in seen_variants
        key = (ev.variant, round(ev.pan, 6), round(ev.distance, 6))
        identical += key in seen_exact
        seen_variants.add(ev.variant)
        seen_exact.add(key)
    return {"events": len(history), "variants": len(seen_variants),
            "replays": replays, "identical": identical}


def _lag(x: float | None) -> str:
    return "-" if x is None else f"{x:.1f} s"


def _line(cells: list[str], markdown: bool, widths: list[int]) -> str:
    if markdown:
        return "| " + " | ".join(cells) + " |"
    return " ".join(f"{c:{w}s}" for c, w in zip(cells, widths, strict=True))


def bed_table(rows: list[Row], minutes: float, markdown: bool) -> list[str]:
    """Lines of the bed / mix table."""
    head = ["scene", "layer", "windows", "repeating", "median lag", "shortest lag",
            "best corr", "echoes", "scan speed"]
    widths = [16, 14, 8, 10, 11, 13, 10, 8, 12]
    lines = [_line(head, markdown, widths)]
    if markdown:
        lines.append("|" + "---|" * len(head))
    for r in rows:
        res = r.result
        speed = res.seconds / r.scan_seconds if r.scan_seconds > 0 else float("inf")
        lines.append(_line([r.scene, r.layer, str(res.windows), f"{100 * res.share:.1f} %",
                            _lag(res.median_lag), _lag(res.smallest_lag),
                            f"{res.best_correlation:.3f}",
                            f"{100 * res.echoes / max(res.windows, 1):.1f} %", f"{speed:.0f}x"],
                           markdown, widths))
    return lines


def references(ref_dir: Path, markdown: bool) -> list[str]:
    """Lines of the real-recordings table (false positives of the ruler)."""
    import soundfile as sf

    head = ["recording", "seconds", "5 s windows", "repeating", "2 s / 1 s hop", "repeating",
            "best corr"]
    widths = [18, 8, 12, 10, 14, 10, 10]
    lines = [_line(head, markdown, widths)]
    if markdown:
        lines.append("|" + "---|" * len(head))
    for path in sorted(ref_dir.glob("*.flac")):
        x, sr = sf.read(str(path), always_2d=True, dtype="float32")
        five = find_repeats(x.T, sr)
        two = find_repeats(x.T, sr, window=2.0, hop=1.0)
        best = max(five.best_correlation, two.best_correlation)
        lines.append(_line([path.name, f"{x.shape[0] / sr:.1f}", str(five.windows),
                            str(len(five.repeats)), str(two.windows), str(len(two.repeats)),
                            f"{best:.3f}"], markdown, widths))
    return lines


def _wanted(only: list[str] | None, scene: str, layer: str | None) -> bool:
    if not only:
        return True
    return any(o == scene or (layer is not None and o == f"{scene}/{layer}") for o in only)


def main(argv: list[str]) -> int:
    minutes = float(_arg(argv, "--minutes", "60") or 60)
    markdown = "--markdown" in argv
    only_arg = _arg(argv, "--only", None)
    only = [o for o in only_arg.split(",") if o] if only_arg else None
    ref = _arg(argv, "--references", None)
    threshold = float(_arg(argv, "--threshold", None) or THRESHOLD)
    rows: list[Row] = []
    events: list[tuple[str, str, dict[str, int]]] = []
    for path in sorted(SCENES.glob("*.toml")):
        scene = load_scene(path)
        name = path.stem
        for layer in scene.layers:
            if not _wanted(only, name, layer.name):
                continue
            if isinstance(layer, Bed):
                result, spent = scan(scene, [layer.name], minutes, threshold)
                rows.append(Row(name, layer.name, result, spent))
                print(bed_table(rows[-1:], minutes, False)[-1], file=sys.stderr)
            elif isinstance(layer, Event) and "--no-events" not in argv:
                events.append((name, layer.name, event_counts(scene, layer, minutes)))
        if "--no-mix" not in argv and _wanted(only, name, None):
            result, spent = scan(scene, None, minutes, threshold)
            rows.append(Row(name, "(mix)", result, spent))
            print(bed_table(rows[-1:], minutes, False)[-1], file=sys.stderr)
    print(f"\nBeds alone and full mixes, {minutes:g} minutes each: share of 5 s windows "
          f"that repeat earlier output (waveform correlation >= {threshold:g} at any "
          "shift)\n")
    print("\n".join(bed_table(rows, minutes, markdown)))
    if events:
        print(f"\nEvent layers alone, {minutes:g} minutes each\n")
        head = ["scene", "layer", "events", "variants", "variant replayed",
                "identical up to gain"]
        widths = [16, 14, 7, 9, 17, 21]
        print(_line(head, markdown, widths))
        if markdown:
            print("|" + "---|" * len(head))
        for scene_name, layer_name, c in events:
            print(_line([scene_name, layer_name, str(c["events"]), str(c["variants"]),
                         str(c["replays"]), str(c["identical"])], markdown, widths))
    if ref is not None:
        ref_dir = Path(ref) if ref else REPO.parent / "shared" / "reference-recordings"
        print("\nReal recordings (any repeat here is a false positive)\n")
        print("\n".join(references(ref_dir, markdown)))
    shares = [r.result.share for r in rows if r.layer != "(mix)"]
    if shares:
        print(f"\nbeds: median share {100 * float(np.median(shares)):.1f} %, "
              f"max {100 * max(shares):.1f} %")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
