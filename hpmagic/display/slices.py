"""The objective against each parameter: the slice plots (:func:`plot_slices`).

One Axes per parameter: log axes for log parameters, strips for choices, the trials where a
conditional parameter was inactive set apart in grey, and, when most trials were pruned,
the pruned ones among them (see :func:`hpmagic.display.data.points`) in the pruned mark and
colour, counted in a legend.  :mod:`.plots` re-exports :func:`plot_slices` with the others.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from ..core import TrialState
from ..errors import OptionError
from . import data, palette

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from ..result import TuneResult

__all__ = ["plot_slices", "STRIP"]

POINT = palette.STATE_STYLES[TrialState.COMPLETE].colour
BEST = palette.BEST
GREY = palette.DEFAULTS


def _draw_slice(ax: Axes, s: data.Slice, result: TuneResult, rng: np.random.Generator) -> None:
    if s.kind == "categorical":
        n = len(s.categories)
        labels = list(s.categories)
        if s.codes is not None and len(s.codes):
            _points(ax, s.codes + rng.uniform(-0.18, 0.18, len(s.codes)), s.y, s.pruned)
        if s.conditional:
            labels.append(data.INACTIVE)
            ax.axvspan(n - 0.45, n + 0.45, color=GREY, alpha=0.15, lw=0)
            if len(s.inactive_y):
                _points(ax, n + rng.uniform(-0.18, 0.18, len(s.inactive_y)), s.inactive_y, s.inactive_pruned, GREY)
        ax.set_xticks(
            range(len(labels)),
            labels,
            rotation=30 if len(labels) > 4 else 0,
            ha="right" if len(labels) > 4 else "center",
        )
        ax.set_xlim(-0.6, len(labels) - 0.4)
    else:
        _draw_numeric_slice(ax, s, rng)
    best = result.best_trial
    if best is not None and best.value is not None and s.name in best.params:
        v = best.params[s.name]
        x = s.categories.index(data.category_label(v)) if s.kind == "categorical" else v
        ax.plot([x], [best.value], "*", ms=11, color=BEST)
    ax.set_xlabel(s.name + (" (log)" if s.kind == "log" else ""))


#: The share of a numeric slice's width kept on its left for the trials where the parameter
#: was inactive (a shaded strip with an "inactive" tick).
STRIP = 0.2


def _points(ax: Axes, x: np.ndarray, y: np.ndarray, pruned: np.ndarray, colour: str = POINT) -> None:
    """Trials as points: complete ones as dots of ``colour``, the stand-ins of pruned ones (see
    :func:`.data.points`) as the pruned mark, in the pruned colour (grey ones stay grey)."""
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    cut = np.asarray(pruned, dtype=bool) if len(pruned) == len(y) else np.zeros(len(y), dtype=bool)
    if (~cut).any():
        ax.plot(x[~cut], y[~cut], "o", ms=3.5, color=colour, alpha=0.6, label="complete" if colour == POINT else "_")
    if cut.any():
        st = palette.style(TrialState.PRUNED)
        ax.plot(
            x[cut],
            y[cut],
            st.marker,
            ms=4.5,
            color=st.colour if colour == POINT else colour,
            alpha=0.8,
            label=st.label if colour == POINT else "_",
        )


def _draw_numeric_slice(ax: Axes, s: data.Slice, rng: np.random.Generator) -> None:
    """The trials along a numeric parameter, over its whole range (:func:`.data.axis_range`:
    a conditional parameter's too, however few trials it applied in), with round ticks (whole
    numbers for integers, 1-2-5 steps on log axes, no minor labels) and, left of them, a strip
    for the trials where it was inactive."""
    from matplotlib.ticker import NullFormatter

    x = np.asarray(s.x, dtype=float)
    log = s.kind == "log"
    lo, hi = s.bounds or data.finite_range(x)
    lo, hi = (float(np.log10(lo)), float(np.log10(hi))) if log else (lo, hi)
    if not hi > lo:
        lo, hi = lo - 0.5, hi + 0.5
    if len(s.y):
        _points(ax, x, s.y, s.pruned)
    if log:
        ax.set_xscale("log")
        ax.xaxis.set_minor_formatter(NullFormatter())
    ticks = data.nice_ticks(10**lo if log else lo, 10**hi if log else hi, log=log, integer=s.integer, most=5)
    labels = [data.tick_label(t, s.integer) for t in ticks]
    pad = 0.06 * (hi - lo)
    left = lo - pad
    if s.conditional and len(s.inactive_y):
        width = (hi - left + pad) * STRIP / (1 - STRIP)
        a, b, mid = left - width, left - 0.15 * width, left - 0.575 * width
        ax.axvspan(10**a if log else a, 10**b if log else b, color=GREY, alpha=0.15, lw=0)
        jitter = mid + rng.uniform(-0.25, 0.25, len(s.inactive_y)) * width
        _points(ax, 10**jitter if log else jitter, s.inactive_y, s.inactive_pruned, GREY)
        ticks, labels, left = [10**mid if log else mid, *ticks], [data.INACTIVE, *labels], a - 0.02 * width
    ax.set_xticks(ticks, labels)
    ax.set_xlim(10**left if log else left, 10 ** (hi + pad) if log else hi + pad)


def plot_slices(
    result: TuneResult,
    params: list[str] | None = None,
    *,
    ax: Axes | Sequence[Axes] | None = None,
    fig: Figure | None = None,
) -> list[Axes]:
    """The objective against each parameter: log axes for log parameters, strips for choices,
    and the trials where a conditional parameter was inactive set apart in grey.

    ``ax`` is one Axes per parameter (a sequence, or a single Axes for one parameter);
    ``fig`` a figure to fill with a grid of them.  Returns the list of Axes.
    """
    s_list = data.slices(result, params)
    n = len(s_list)
    if ax is not None:
        axes: list[Axes] = list(np.asarray(ax, dtype=object).ravel())
        if len(axes) != n:
            raise OptionError(f"plot_slices needs one Axes per parameter ({n}), but got {len(axes)}")
    else:
        cols = min(n, 3)
        rows = -(-n // cols)
        if fig is None:
            import matplotlib.pyplot as plt

            fig = plt.figure(figsize=(4.2 * cols, 3.0 * rows), layout="constrained")
        axes = list(np.atleast_1d(fig.subplots(rows, cols, sharey=True, squeeze=False)).ravel())
        for extra in axes[n:]:
            extra.set_visible(False)
        axes = axes[:n]
    rng = np.random.default_rng(0)
    how = data.points(result).how
    for i, (a, s) in enumerate(zip(axes, s_list)):
        _draw_slice(a, s, result, rng)
        if i == 0 or ax is not None:
            a.set_ylabel(result.metric)
        if s.pruned.any() or s.inactive_pruned.any():
            _legend_counts(a, int(s.pruned.sum() + s.inactive_pruned.sum()), how)
    return axes


def _legend_counts(ax: Axes, pruned: int, how: str) -> None:
    """A legend that names the pruned trials drawn among the complete ones, and where they are drawn."""
    labels = {"complete": "complete", "pruned": f"pruned ({pruned}), {how}"}
    handles = {h.get_label(): h for h in ax.get_lines() if h.get_label() in labels}
    ax.legend(
        [handles[k] for k in labels if k in handles],
        [labels[k] for k in labels if k in handles],
        loc="best",
        fontsize="x-small",
        frameon=False,
        handletextpad=0.2,
        borderaxespad=0.2,
    )
