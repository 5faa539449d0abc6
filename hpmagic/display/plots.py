"""Matplotlib drawings of a result; the numbers come from :mod:`hpmagic.display.data`.

Every function takes ``ax=`` (an Axes to draw on; a new pyplot figure when ``None``, so a
notebook shows it inline) and returns the Axes it drew on.  :func:`png` renders any of them
off screen on a bare :class:`matplotlib.figure.Figure` (the Agg canvas), which is what the
static summary embeds: it does not depend on the notebook's matplotlib backend.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from .._format import plural
from ..core import Direction, TrialState
from . import data, palette
from .paramplots import VALUE_RAMP, axes_for, plot_contour, plot_parallel, value_cmap, value_norm
from .slices import plot_slices

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from ..core import Trial
    from ..result import TuneResult

__all__ = [
    "plot_history",
    "plot_slices",
    "plot_importance",
    "plot_parallel",
    "plot_contour",
    "plot_curves",
    "draw_live",
    "draw_live_curves",
    "figure",
    "png",
    "render",
    "value_cmap",
    "value_norm",
    "VALUE_RAMP",
]

POINT = palette.STATE_STYLES[TrialState.COMPLETE].colour
BEST = palette.BEST
GREY = palette.DEFAULTS


def _maximize(result: TuneResult) -> bool:
    return Direction(result.direction).maximize


def _ylabel(result: TuneResult) -> str:
    arrow = "higher is better" if _maximize(result) else "lower is better"
    return f"{result.metric} ({arrow})"


def _draw_ended(ax: Axes, ended: dict[TrialState, np.ndarray], ms: float = 5.0) -> bool:
    """The trials that ended without a value, as marks along the bottom of the trial axis, a
    colour and marker per state (see :mod:`.palette`); True when there was any."""
    any_drawn = False
    for state, numbers in ended.items():
        if len(numbers):
            st = palette.style(state)
            ax.plot(
                numbers,
                np.full(len(numbers), 0.02),
                st.marker,
                ms=ms,
                color=st.colour,
                label=st.label,
                transform=ax.get_xaxis_transform(),
                clip_on=False,
            )
            any_drawn = True
    return any_drawn


def plot_history(result: TuneResult, ax: Axes | None = None) -> Axes:
    """Each completed trial's value (dots), the best so far (line), the defaults (dashed), and
    the failed, pruned and interrupted trials as marks of their own along the trial axis."""
    ax = axes_for(ax)
    h = data.history(result)
    done = palette.style(TrialState.COMPLETE)
    if len(h.values):
        ax.plot(h.numbers, h.values, done.marker, ms=3.5, color=done.colour, alpha=0.6, label=done.label)
        ax.step(h.numbers, h.best, where="post", color=BEST, lw=2, label="best so far")
    if h.baseline is not None:
        ax.axhline(h.baseline, color=GREY, ls="--", lw=1, label="defaults")
    marked = _draw_ended(ax, h.ended())
    ax.set_xlabel("trial")
    ax.set_ylabel(_ylabel(result))
    ax.set_title("convergence")
    if len(h.values) or h.baseline is not None or marked:
        ax.legend(loc="best", fontsize="small", frameon=False)
    return ax


def plot_importance(result: TuneResult, ax: Axes | None = None) -> Axes:
    """Each parameter's share of the objective's variance (its main effect, see
    :mod:`.importance`), with the spread over the forest's trees as error bars; when nothing
    can be said (too few trials, one parameter, all values equal) the Axes says why."""
    ax = axes_for(ax, (5.0, 0.6 + 0.35 * max(len(result.space), 2)))
    imp = data.importance(result)
    if not imp:
        ax.text(
            0.5,
            0.5,
            f"no importance: {imp.reason}",
            ha="center",
            va="center",
            transform=ax.transAxes,
            fontsize="small",
            wrap=True,
        )
        ax.set_axis_off()
    else:
        names = list(imp.shares)[::-1]
        ax.barh(
            names,
            [imp.shares[n] for n in names],
            xerr=[imp.spread[n] for n in names],
            color=POINT,
            error_kw={"ecolor": GREY, "capsize": 2, "lw": 1},
        )
        ax.set_xlim(0, 1)
        ax.set_xlabel(f"share of variance (main effect); interactions {imp.interactions:.2f}", fontsize="small")
    if not imp:
        ax.set_title("parameter importance")
    elif imp.pruned:  # which points it used: the pruned trials' stand-ins among them
        ax.set_title(
            f"parameter importance ({plural(imp.trials, 'trial')}:\n{imp.pruned} pruned, {data.points(result).how})",
            fontsize="medium",
        )
    else:
        ax.set_title(f"parameter importance ({plural(imp.trials, 'trial')})")
    return ax


def draw_live(ax: Axes, trials: list[Trial], direction: Direction | str, metric: str) -> None:
    """The live panel's convergence plot, straight from trial records (cheap: a few lines).

    ``trials`` may come in any order (they finish out of order in parallel): drawn in
    trial-number order, as the final convergence plot is.  Failed, pruned and interrupted
    trials are marked along the trial axis in their own colours, with a legend.
    """
    done = sorted((t for t in trials if t.ok), key=lambda t: t.number)
    x = np.array([t.number for t in done])
    y = np.array([t.value for t in done], dtype=float)
    best = data.best_so_far(y, Direction(direction))
    ax.plot(x, y, "o", ms=2.5, color=POINT, alpha=0.5, label="complete")
    ax.step(x, best, where="post", color=BEST, lw=1.8, label="best so far")
    if _draw_ended(ax, data.ended(trials), ms=4.0):
        ax.legend(loc="best", fontsize="x-small", frameon=False)
    ax.set_xlabel("trial", fontsize="small")
    ax.set_ylabel(metric, fontsize="small")
    ax.tick_params(labelsize="small")


# -- learning curves -----------------------------------------------------------------------

#: How each state's curves are drawn: (opacity, line width, layer).  Pruned curves are short and
#: sit under the complete ones' start: drawn above them, opaque enough for a 3:1 contrast on white
#: (their colour blended at 0.85), so that where the rule stopped each trial stays visible.
_CURVE_LOOK = {
    TrialState.COMPLETE: (0.5, 1.0, 2),
    TrialState.PRUNED: (0.85, 1.2, 2.5),
    TrialState.FAILED: (0.45, 0.8, 1),
    TrialState.INTERRUPTED: (0.45, 0.8, 1),
    TrialState.RUNNING: (0.95, 1.8, 4),
}

NO_CURVES = "no learning curves: the cell never called\nhpmagic.report(value, step)"


def _curve_group(ax: Axes, lines: list[data.Curve], state: TrialState, dots: bool) -> Any:
    """One state's curves as one LineCollection, each ending in the state's marker where the
    trial stopped (complete ones end at their last step: no marker, unless ``dots``)."""
    from matplotlib.collections import LineCollection
    from matplotlib.lines import Line2D

    st = palette.style(state)
    alpha, lw, z = _CURVE_LOOK[state]
    segments = [np.column_stack([c.steps, c.values]) for c in lines]
    ax.add_collection(LineCollection(segments, colors=st.colour, alpha=alpha, linewidths=lw, zorder=z))
    ends = state not in (TrialState.COMPLETE, TrialState.RUNNING)
    if ends or dots:
        pts = np.concatenate(segments) if dots and not ends else np.array([seg[-1] for seg in segments])
        # Where a trial stopped is drawn above the other curves, so no curve hides it.
        ax.plot(
            pts[:, 0],
            pts[:, 1],
            st.marker if ends else "o",
            ls="none",
            ms=5 if ends else 2.5,
            color=st.colour,
            alpha=min(1.0, alpha + 0.4),
            zorder=3.5 if ends else z,
        )
    return Line2D(
        [],
        [],
        color=st.colour,
        alpha=min(1.0, alpha + 0.2),
        lw=max(lw, 1.2),
        marker=st.marker if ends else None,
        label=f"{st.label} ({len(lines)})",
    )


def _draw_curves(ax: Axes, c: data.Curves, ylabel: str, maximize: bool, fontsize: str = "small") -> None:
    """Every curve of ``c`` on ``ax``: by state, the best trial highlighted, rungs, a legend."""
    from matplotlib.lines import Line2D
    from matplotlib.ticker import MaxNLocator

    if not c.lines and not c.running:
        ax.text(0.5, 0.5, NO_CURVES, ha="center", va="center", transform=ax.transAxes, fontsize=fontsize)
        ax.set_axis_off()
        return
    longest = max(len(line.steps) for line in c.lines + c.running)
    handles = []
    for state in (
        TrialState.PRUNED,
        TrialState.FAILED,
        TrialState.INTERRUPTED,
        TrialState.COMPLETE,
        TrialState.RUNNING,
    ):
        group = [line for line in (c.running if state is TrialState.RUNNING else c.lines) if line.state is state]
        if group:
            handles.append(_curve_group(ax, group, state, dots=longest <= 12))
    best = next((line for line in c.lines if line.number == c.best), None)
    if best is not None:
        handles += ax.plot(
            best.steps,
            best.values,
            "-o" if longest <= 12 else "-",
            ms=3.5,
            lw=2.2,
            color=BEST,
            zorder=3,
            label=f"best (trial {best.number})",
        )
    for rung in c.rungs:
        ax.axvline(rung, color=palette.RUNG, lw=0.8, alpha=0.4, zorder=0)
    if c.rungs:
        handles.append(Line2D([], [], color=palette.RUNG, lw=0.8, alpha=0.6, label="rungs"))
    ax.autoscale_view()
    fold = c.kind == data.FOLD
    if fold or longest <= 12:
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("fold" if fold else "step", fontsize=fontsize)
    ax.set_ylabel(ylabel, fontsize=fontsize)
    # Curves rise to the upper right when higher is better: the lower right is free (and the
    # other way round); a fixed corner is also far cheaper than "best" over many curves.
    ax.legend(handles=handles, loc="lower right" if maximize else "upper right", fontsize="x-small", frameon=False)


def plot_curves(result: TuneResult, ax: Axes | None = None) -> Axes:
    """Every trial's learning curve (the points it reported with ``hpmagic.report``).

    Complete trials in blue, pruned ones faded purple ending in ``v`` where the rule stopped
    them (failed and interrupted ones in their own colours, see :mod:`.palette`), the best
    trial in orange, the rule's rungs as light vertical lines.  Fold scores of
    ``hpmagic.cross_val_score`` are drawn against the fold.  Without any curve the Axes says
    that the cell never called ``hpmagic.report``.  Returns the Axes.
    """
    ax = axes_for(ax)
    c = data.curves(result.trials, result.direction)
    _draw_curves(ax, c, _ylabel(result), _maximize(result))
    ax.set_title("learning curves" if c.kind != data.FOLD else "fold scores")
    return ax


def draw_live_curves(
    ax: Axes,
    trials: list[Trial],
    direction: Direction | str,
    metric: str,
    running: dict[int, list[tuple[float, float]]] | None = None,
) -> None:
    """The live panel's learning curves: every finished trial's, and ``running`` (trial number
    -> the points reported so far) highlighted, when the search provides them."""
    direction = Direction(direction)
    _draw_curves(ax, data.curves(trials, direction, running), metric, direction.maximize, fontsize="small")
    ax.tick_params(labelsize="small")


# -- off-screen rendering ----------------------------------------------------------------


def figure(width: float, height: float, dpi: int = 80, layout: Literal["constrained"] | None = "constrained") -> Figure:
    """A bare Agg figure, independent of pyplot and of the notebook's backend."""
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), dpi=dpi, layout=layout)


def _margins(
    fig: Figure,
    left: float = 0.8,
    right: float = 0.3,
    bottom: float = 0.55,
    top: float = 0.35,
    wspace: float = 0.0,
    hspace: float = 0.0,
) -> None:
    """Fixed margins in inches: constrained layout costs as much as the drawing itself."""
    w, h = fig.get_size_inches()
    fig.subplots_adjust(
        left=left / w, right=1 - right / w, bottom=bottom / h, top=1 - top / h, wspace=wspace, hspace=hspace
    )


def png(fig: Figure, transparent: bool = False) -> bytes:
    """``fig`` rendered as PNG bytes; with ``transparent``, the figure's and the axes'
    backgrounds left out (ink on nothing: the live panel's plots, see :mod:`.widget`)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", transparent=transparent)
    return buf.getvalue()


def render(kind: str, result: TuneResult, *args: Any, width: float = 6.0, height: float = 3.4, dpi: int = 80) -> bytes:
    """One plot of ``result`` as PNG bytes (``kind``: history, slices, slice (one parameter,
    named in ``args``), importance, parallel, contour, curves)."""
    if kind == "slice":  # fixed margins: constrained layout costs as much as the drawing itself
        fig = figure(width, height, dpi, layout=None)
        ax = plot_slices(result, list(args), ax=fig.add_subplot())[0]
        ax.set_ylabel(result.metric)
        rotated = data.axis_kind(result.space[args[0]]) == "categorical" and len(ax.get_xticklabels()) > 4
        _margins(fig, left=0.75, right=0.15, bottom=0.85 if rotated else 0.5, top=0.12)
        return png(fig)
    if kind == "slices":  # many axes: fixed margins, for speed
        fig = figure(width, height, dpi, layout=None)
        axes = plot_slices(result, *args, fig=fig)
        rotated = any(
            len(a.get_xticklabels()) > 4 and data.axis_kind(result.space[s.name]) == "categorical"
            for a, s in zip(axes, data.slices(result, *args))
        )
        _margins(fig, left=0.7, right=0.45, bottom=0.75 if rotated else 0.55, top=0.15, wspace=0.28, hspace=0.55)
        return png(fig)
    fig = figure(width, height, dpi)
    draw: dict[str, Callable[..., Axes]] = {
        "history": plot_history,
        "importance": plot_importance,
        "parallel": plot_parallel,
        "contour": plot_contour,
        "curves": plot_curves,
    }
    draw[kind](result, *args, ax=fig.add_subplot())
    return png(fig)
