"""The picture of an analysis (``soundscape analyze --plot FILE.png``).

:func:`plot_analysis` draws an analysis dict (:func:`soundscape.analyze.analyze`) as
a matplotlib Figure with two axes sharing the time axis (minutes):

* top ("layers"): one labelled line per layer, its short-term loudness (3 s windows)
  as heard in the mix, plus the mix itself (black, thicker, labelled "mix"); a
  marker row at the bottom of the axes with one ``|`` per event, in its layer's
  colour (labelled "NAME events"); phase boundaries as dotted vertical lines named
  at the top;
* bottom ("mix"): the mix's short-term loudness, the scene's target (dashed) and
  the +-2 LU band around it, and the same phase boundaries.

The title is the scene's name. matplotlib is imported here only, when a plot is
asked for, and draws on an Agg canvas (no pyplot, no display). Pure apart from :func:`save_plot`.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import RenderError

if TYPE_CHECKING:
    from matplotlib.figure import Figure

FIGSIZE = (12.0, 7.0)  # inches
DPI = 100
TARGET_BAND_LU = 2.0


def _values(series: list[float | None]) -> list[float]:
    return [math.nan if v is None else v for v in series]


def plot_analysis(analysis: dict[str, Any]) -> Figure:
    """A Figure of ``analysis`` (see the module docstring); nothing is written."""
    # the Agg canvas directly: no pyplot, no global backend switch, no display needed
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    curves = analysis["curves"]
    minutes = [t / 60.0 for t in curves["times"]]
    fig = Figure(figsize=FIGSIZE, dpi=DPI)
    FigureCanvasAgg(fig)
    top, bottom = fig.subplots(2, 1, sharex=True, gridspec_kw={"height_ratios": [3, 1.4]})
    name = Path(analysis["scene"]).stem
    fig.suptitle(f"{name}: loudness over time ({analysis['seconds']:g} s, "
                 f"seed {analysis['seed']})")
    colours: dict[str, Any] = {}
    for layer, series in curves["layers"].items():
        (line,) = top.plot(minutes, _values(series), linewidth=1.2, label=layer)
        colours[layer] = line.get_color()
    # the mix under the layers, so a layer that carries the mix stays visible on it
    top.plot(minutes, _values(curves["mix"]), color="black", linewidth=2.5, label="mix",
             zorder=1.5)
    finite = [v for s in [curves["mix"], *curves["layers"].values()] for v in s
              if v is not None]
    high = max(finite, default=analysis["target_lufs"]) + 3
    low = max(min(finite, default=high - 60) - 3, high - 60)
    top.set_ylim(low, high)
    rug = low + 0.04 * (high - low)
    for layer, times in analysis["events"].items():
        if times:
            top.plot([t / 60.0 for t in times], [rug] * len(times), linestyle="none",
                     marker="|", markersize=14, markeredgewidth=1.5,
                     color=colours.get(layer, "grey"), label=f"{layer} events")
    top.set_ylabel("short-term loudness in the mix (LUFS)")
    top.set_title("layers (3 s windows); | marks an event")
    top.grid(True, alpha=0.3)
    top.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize="small",
               borderaxespad=0.0)

    target = analysis["target_lufs"]
    bottom.plot(minutes, _values(curves["mix"]), color="black", linewidth=1.2,
                label="mix short-term")
    bottom.axhline(target, color="tab:red", linestyle="--", linewidth=1.0,
                   label=f"target {target:g} LUFS")
    bottom.axhspan(target - TARGET_BAND_LU, target + TARGET_BAND_LU, color="tab:red",
                   alpha=0.08)
    bottom.set_ylabel("mix (LUFS)")
    bottom.set_xlabel("time (minutes)")
    bottom.grid(True, alpha=0.3)
    bottom.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize="small",
                  borderaxespad=0.0)
    for phase in analysis["phases"]:
        x = phase["time"] / 60.0
        for ax in (top, bottom):
            ax.axvline(x, color="grey", linestyle=":", linewidth=1.0)
        top.text(x, high, f" {phase['phase']}", rotation=0, va="top", ha="left",
                 fontsize="small", color="dimgrey")
    end = analysis["seconds"] / 60.0
    bottom.set_xlim(0, end)
    fig.tight_layout()
    return fig


def save_plot(analysis: dict[str, Any], path: Path) -> None:
    """Draw ``analysis`` and write it to ``path`` (the format from its extension);
    RenderError naming the file when it cannot be written."""
    fig = plot_analysis(analysis)
    try:
        fig.savefig(path)
    except OSError as exc:
        raise RenderError(f"--plot: cannot write {path}: "
                          f"{exc.strerror or exc}") from None
