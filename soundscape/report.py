"""The render report: what a render played, how loud, and what went wrong.

``build_report`` turns a finished render's meters into one JSON-serialisable dict:

    {"scene", "output", "seconds", "seed", "sample_rate",
     "target_lufs", "integrated_lufs", "sample_peak_dbfs", "ceiling_dbtp",
     "metered_seconds" (loudness is measured on evenly spread blocks of long renders),
     "limited_blocks", "nonfinite_replaced", "silent", "ok",
     "layers": [{"name", "kind", "source", "detail", "lufs_in_mix", "below_mix_lu",
                 "events", "warnings", "notes"}],
     "warnings": [...]}

``warnings`` holds everything the user should hear about, each line naming the layer
or the file: rejected segments (layer, source, reason), a layer inaudible in the
mix (more than INAUDIBLE_LU below it, or an event layer that played nothing), a
silent output, a target loudness missed by more than TARGET_TOLERANCE_LU, samples
that were not finite. ``ok`` is False when the output is silent. Pure: no I/O.
"""

from __future__ import annotations

import math
from typing import Any

from .graph.build import SceneGraph
from .graph.meter import OutputMeter
from .thresholds import INAUDIBLE_LU, SILENT_LUFS

TARGET_TOLERANCE_LU = 2.0
TARGET_MIN_SECONDS = 60.0  # shorter renders are dominated by the fade-in


def _num(x: float) -> float | None:
    return round(x, 2) if math.isfinite(x) else None


def build_report(graph: SceneGraph, out: OutputMeter, output: str, seconds: float,
                 only: list[str] | None = None,
                 events: dict[str, int] | None = None) -> dict[str, Any]:
    """The report of a finished render (see the module docstring)."""
    scene = graph.scene
    mix = out.lufs()
    # every block's peak is known; loudness may come from sampled blocks only
    silent = out.peak < 10 ** (SILENT_LUFS / 20) or (
        out.stride == 1 and (not math.isfinite(mix) or mix < SILENT_LUFS))
    warnings: list[str] = []
    layers = []
    for layer in scene.layers:
        material = graph.materials.get(layer.name)
        meter = graph.meters.get(layer.name)
        lufs = meter.lufs() if meter is not None else float("nan")
        entry: dict[str, Any] = {
            "name": layer.name,
            "kind": layer.kind,
            "source": material.source if material else None,
            "detail": material.detail if material else None,
            "lufs_in_mix": _num(lufs),
            "below_mix_lu": _num(mix - lufs) if not silent else None,
            "events": None if events is None or layer.kind != "event"
            else events.get(layer.name, 0),
            "warnings": list(material.warnings) if material else [],
            "notes": list(material.notes) if material else [],
        }
        warnings.extend(entry["warnings"])
        if meter is not None and entry["events"] == 0:
            warnings.append(f"layer {layer.name!r} played no events in these "
                            f"{seconds:g} s (its rate or phases keep it quiet)")
        elif meter is not None and not silent:
            if not math.isfinite(lufs):
                warnings.append(f"layer {layer.name!r} is silent in the mix")
            elif mix - lufs > INAUDIBLE_LU:
                warnings.append(f"layer {layer.name!r} is inaudible: {lufs:.1f} LUFS in the "
                                f"mix, {mix - lufs:.1f} LU below it (raise its gain_db)")
        layers.append(entry)
    if silent:
        warnings.append(f"the output is silent ({_fmt(mix)} LUFS)")
    elif only is None and seconds >= TARGET_MIN_SECONDS and math.isfinite(mix):
        target = scene.master.loudness_lufs
        if abs(mix - target) > TARGET_TOLERANCE_LU:
            warnings.append(f"the output measures {mix:.1f} LUFS, {mix - target:+.1f} LU "
                            f"from the scene's target of {target:g} LUFS")
    nonfinite = graph.limiter.nonfinite + out.nonfinite
    if nonfinite:
        warnings.append(f"{nonfinite} non-finite samples reached the master and were "
                        "replaced by silence")
    peak_db = 20 * math.log10(out.peak) if out.peak > 0 else float("-inf")
    return {
        "scene": str(scene.path),
        "output": output,
        "seconds": seconds,
        "seed": graph.seed,
        "sample_rate": scene.master.sample_rate,
        "target_lufs": scene.master.loudness_lufs,
        "integrated_lufs": _num(mix),
        "sample_peak_dbfs": _num(peak_db),
        "ceiling_dbtp": scene.master.ceiling_dbtp,
        "metered_seconds": round(out.metered / scene.master.sample_rate, 3),
        "limited_blocks": graph.limiter.reductions,
        "nonfinite_replaced": nonfinite,
        "silent": silent,
        "ok": not silent,
        "layers": layers,
        "warnings": warnings,
    }


def _fmt(x: float | None) -> str:
    return "-inf" if x is None or not math.isfinite(x) else f"{x:.1f}"


def format_report(report: dict[str, Any]) -> str:
    """The report as a few lines for the terminal: one per layer, then warnings."""
    lines = [f"{report['output']}: {_fmt(report['integrated_lufs'])} LUFS "
             f"(target {report['target_lufs']:g}), peak {_fmt(report['sample_peak_dbfs'])} dBFS"]
    width = max((len(e["name"]) for e in report["layers"]), default=4)
    for e in report["layers"]:
        level = e["lufs_in_mix"]
        loud = f"{_fmt(level):>6} LUFS" if level is not None else "  silent   "
        extra = f", {e['events']} events" if e["events"] is not None else ""
        lines.append(f"  {e['name']:<{width}}  {loud}  {e['source']}: {e['detail']}{extra}")
    for w in report["warnings"]:
        lines.append(f"warning: {w}")
    return "\n".join(lines)
