"""The plots of the objective over the parameters: parallel coordinates (:func:`plot_parallel`)
and the contour of two parameters (:func:`plot_contour`), coloured by value on one scale
(:data:`VALUE_RAMP`, :func:`value_cmap`, :func:`value_norm`).

The numbers come from :mod:`.data`; :mod:`.plots` re-exports these names with the other plots
(the history, the learning curves, parameter importance) and renders any of them as PNG.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from ..core import Direction, TrialState
from . import data, palette

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from ..result import TuneResult

__all__ = ["plot_parallel", "plot_contour", "value_cmap", "value_norm", "VALUE_RAMP", "axes_for"]

BEST = palette.BEST
GREY = palette.DEFAULTS


def axes_for(ax: Axes | None, figsize: tuple[float, float] = (6.0, 3.5)) -> Axes:
    """``ax``, or the Axes of a new pyplot figure of ``figsize`` (a notebook shows it inline)."""
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    _, ax = plt.subplots(figsize=figsize, layout="constrained")
    return ax


#: Parallel coordinates' colours, from the worst value to the best: grey, blue, magenta; each
#: with a contrast of at least 3:1 on white and on a near-black background (no yellow end).
VALUE_RAMP = ("#8a8a8a", "#3b7dd8", "#c04fa0")


def value_cmap(maximize: bool = True) -> Any:
    """The colour map of values, from the worst to the best (see :data:`VALUE_RAMP`): low to
    high values when higher is better, reversed when lower is better."""
    from matplotlib.colors import LinearSegmentedColormap

    cmap = LinearSegmentedColormap.from_list("hpmagic-values", VALUE_RAMP)
    return cmap if maximize else cmap.reversed()


def value_norm(values: np.ndarray) -> Any:
    """A colour scale over ``values``; one value (or all equal) sits in the middle of a
    narrow scale around it rather than at the end of an arbitrary one."""
    from matplotlib.colors import Normalize

    lo, hi = data.finite_range(values)
    if not hi > lo:
        pad = abs(lo) * 0.05 or 0.5
        lo, hi = lo - pad, hi + pad
    return Normalize(lo, hi)


#: How a pruned trial's line is drawn in parallel coordinates: coloured by the value it had
#: reached like the others, dashed and thinner, below the complete ones.
_PRUNED_LINE: dict[str, Any] = {"linestyles": (0, (3, 2)), "lw": 0.9, "alpha": 0.6, "zorder": 1.5}


def plot_parallel(result: TuneResult, ax: Axes | None = None) -> Axes:
    """Every completed trial as a line across one axis per parameter, coloured by its value
    (grey for the worst to magenta for the best), the best trial in orange on top; a line
    crosses a parameter that did not apply at the axis's "inactive" mark and goes on.  When
    most trials were pruned, the pruned ones (see :func:`.data.points`) are drawn too, dashed
    and below, at the value they had reached, and the legend counts them."""
    ax = axes_for(ax, (max(4.0, 1.6 * len(result.space)), 3.5))
    p = data.parallel(result)
    k = len(p.names)
    xs = np.arange(k, dtype=float)
    if len(p.values):
        _parallel_lines(ax, result, p, xs)
    _parallel_ticks(ax, p)
    ax.set_xlim(-0.2, max(k - 1, 0) + 0.5)
    ax.set_ylim(data.PARALLEL_INACTIVE - 0.08 if any(p.inactive) else -0.05, 1.05)
    ax.set_xticks(xs, p.names)
    ax.set_yticks([])
    ax.set_title("parallel coordinates", loc="left")
    return ax


def _parallel_lines(ax: Axes, result: TuneResult, p: data.Parallel, xs: np.ndarray) -> None:
    """Parallel coordinates' lines (the pruned ones dashed, below), the best on top, the legend
    and the colour bar of values."""
    from matplotlib.cm import ScalarMappable
    from matplotlib.collections import LineCollection

    maximize = Direction(result.direction).maximize
    cut = p.pruned if len(p.pruned) == len(p.values) else np.zeros(len(p.values), dtype=bool)
    norm, cmap = value_norm(p.values), value_cmap(maximize)
    segments = [np.column_stack([xs, row]) for row in p.coords]
    order = np.argsort(p.values if maximize else -p.values)  # best drawn last, on top
    for group, look in ((order[cut[order]], _PRUNED_LINE), (order[~cut[order]], {"lw": 1.2, "alpha": 0.75})):
        if len(group):
            ax.add_collection(LineCollection([segments[i] for i in group], colors=cmap(norm(p.values[group])), **look))
    if cut.any():  # the legend's handle: the pruned mark on the pruned lines' dashes
        st = palette.style(TrialState.PRUNED)
        ax.plot(
            [],
            [],
            color=st.colour,
            ls=_PRUNED_LINE["linestyles"],
            marker=st.marker,
            ms=4,
            lw=1,
            label=f"pruned ({int(cut.sum())}), {data.points(result).how}",
        )
    if p.best_row is not None:
        ax.plot(xs, p.coords[p.best_row], color=BEST, lw=2.5, label="best", zorder=3)
    if p.best_row is not None or cut.any():
        # Above the axes, right of the title: never over a tick label.
        ax.legend(
            loc="lower right", bbox_to_anchor=(1.0, 1.0), fontsize="small", frameon=False, borderaxespad=0.1, ncols=2
        )
    bar = ax.figure.colorbar(ScalarMappable(norm=norm, cmap=cmap), ax=ax, pad=0.02)
    bar.set_label(result.metric + (" (higher is better)" if maximize else " (lower is better)"), fontsize="small")


def _parallel_ticks(ax: Axes, p: data.Parallel) -> None:
    """One vertical axis per parameter with its tick labels, and its "inactive" mark where it
    did not apply to every trial."""
    box = {"facecolor": "white", "edgecolor": "none", "alpha": 0.75, "pad": 0.6}  # labels readable over the lines
    for j, (pos, labels) in enumerate(p.ticks):
        ax.axvline(j, color=GREY, lw=0.8)
        for y, label in zip(pos, labels):
            ax.text(j + 0.04, y, label, fontsize="x-small", va="center", bbox=box, zorder=5)
        if p.inactive[j]:
            ax.text(
                j + 0.04,
                data.PARALLEL_INACTIVE,
                data.INACTIVE,
                fontsize="x-small",
                va="center",
                color=GREY,
                style="italic",
                bbox=box,
                zorder=5,
            )


def plot_contour(result: TuneResult, x: str, y: str, ax: Axes | None = None) -> Axes:
    """The objective over two parameters: the trials as points, interpolated where possible."""
    ax = axes_for(ax, (5.0, 4.0))
    sx, sy, values = data.contour(result, x, y)
    cmap = value_cmap(Direction(result.direction).maximize)

    def coord(s):
        return s.codes.astype(float) if s.kind == "categorical" else np.asarray(s.x, dtype=float)

    cx, cy = coord(sx), coord(sy)
    if len(values) >= 4 and len(np.unique(cx)) > 1 and len(np.unique(cy)) > 1:
        try:
            tx = np.log10(cx) if sx.kind == "log" else cx
            ty = np.log10(cy) if sy.kind == "log" else cy
            from matplotlib.tri import Triangulation

            # Triangles chosen on the natural (log) scale, normalised, so log axes are not skewed.
            shape = Triangulation((tx - tx.min()) / np.ptp(tx), (ty - ty.min()) / np.ptp(ty))
            ax.tricontourf(Triangulation(cx, cy, shape.triangles), values, levels=12, cmap=cmap, alpha=0.55)
        except (ValueError, RuntimeError):  # collinear or degenerate points: the scatter alone says it
            pass
    points = ax.scatter(cx, cy, c=values, cmap=cmap, norm=value_norm(values), s=18, edgecolors="white", linewidths=0.5)
    if len(values):
        ax.figure.colorbar(points, ax=ax, label=result.metric)
    best = result.best_trial
    if best is not None and x in best.params and y in best.params:
        bx = sx.categories.index(data.category_label(best.params[x])) if sx.kind == "categorical" else best.params[x]
        by = sy.categories.index(data.category_label(best.params[y])) if sy.kind == "categorical" else best.params[y]
        ax.plot([bx], [by], "*", ms=14, color=BEST)
    for which, s in (("x", sx), ("y", sy)):
        _contour_axis(ax, which, s)
    ax.set_xlabel(x)
    ax.set_ylabel(y)
    ax.set_title(f"{result.metric} over {x} and {y}")
    return ax


def _contour_axis(ax: Axes, which: str, s: data.Slice) -> None:
    """One axis (``"x"`` or ``"y"``) of the contour plot: the categories; round 1-2-5 ticks on
    a log scale (whole numbers for an integer parameter); whole-number ticks on a linear
    integer one (:class:`~matplotlib.ticker.MaxNLocator`)."""
    from matplotlib.ticker import MaxNLocator, NullFormatter

    axis = ax.xaxis if which == "x" else ax.yaxis
    if s.kind == "categorical":
        axis.set_ticks(range(len(s.categories)), s.categories)
    elif s.kind == "log":
        (ax.set_xscale if which == "x" else ax.set_yscale)("log")
        axis.set_minor_formatter(NullFormatter())
        if len(s.x):
            lo, hi = data.finite_range(np.asarray(s.x, dtype=float))
            ticks = data.nice_ticks(lo, hi, log=True, integer=s.integer, most=5)
            axis.set_ticks(ticks, [data.tick_label(t, s.integer) for t in ticks])
    elif s.integer:
        axis.set_major_locator(MaxNLocator(integer=True, min_n_ticks=1))  # whole numbers, even in a narrow view
