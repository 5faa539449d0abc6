"""The summary's section for several objectives and constraints: the goal, the Pareto front as a
table, the trial bound and by which rule, the hypervolume, and the Pareto plot.

:func:`front_section` reads a result (duck-typed, as the rest of :mod:`hpmagic.display`) and
returns a :class:`FrontSection` of formatted facts, or ``None`` for a search of one objective
without constraints (its summary is as it always was).  :mod:`.text` and :mod:`.html` render it.

:func:`plot_front` draws the trials in objective space: with two objectives one scatter (the
dominated trials faded, the infeasible ones as grey crosses, the front joined by a step line, the
picked trial ringed in the "best" colour); with three or more, one such scatter per pair of
objectives (the front's step line only makes sense for two, so the pairs show the points alone).
With one objective and constraints there is nothing to plot: the convergence plot marks the best
feasible trial already.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations
from typing import TYPE_CHECKING, Any

from .._format import fmt_column, fmt_params, fmt_value, plural
from ..core import TrialState
from . import palette

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from ..result import TuneResult

__all__ = ["FrontRow", "FrontSection", "front_section", "plot_front", "render_front", "FRONT_ROWS"]

#: How many trials of the front the summary's table lists (``result.front`` has them all).
FRONT_ROWS = 20

INFEASIBLE = palette.DEFAULTS  # grey: kept and shown, never picked
DOMINATED_ALPHA = 0.35


@dataclass(frozen=True)
class FrontRow:
    """One trial of the front: its number, each objective's value (formatted, in the goal's
    order), its parameters, and whether it is the trial bound."""

    number: int
    values: tuple[str, ...]
    params: str
    picked: bool = False


@dataclass(frozen=True)
class FrontSection:
    """What the summary says about several objectives or constraints, formatted once.

    ``goal``: ``maximize accuracy, minimize fit_time; subject to latency <= 20``; ``headline``:
    the first line of a search of several objectives (``trial 12 picked from the Pareto front
    of 6 trials: accuracy 0.93, fit_time 0.41``), or of one whose trials all broke a constraint,
    ``""`` otherwise (the usual headline);
    ``rule``: how the bound trial was chosen; ``feasibility``: how many complete trials held
    the constraints and which limit was broken how often; ``hypervolume``: the volume the front
    dominates and its reference point, said; ``warning``: when no complete trial holds every
    constraint (then nothing was bound)."""

    goal: str
    multi: bool
    names: tuple[str, ...]  # each objective's label with its way: "accuracy ↑", "fit_time ↓"
    rows: tuple[FrontRow, ...]
    front_size: int
    headline: str = ""
    rule: str = ""
    feasibility: str = ""
    hypervolume: str = ""
    warning: str = ""


def front_section(result: TuneResult) -> FrontSection | None:
    """The section of ``result``'s summary for its objectives and constraints; ``None`` for one
    objective without constraints."""
    if result.goal is None or result.goal.plain:
        return None
    goal = result.objectives
    front, best = result.front, result.best_trial
    order = sorted(front, key=lambda t: (goal.losses(t), t.number))[:FRONT_ROWS] if goal.multi else []
    columns = [fmt_column([_values(goal, t)[i] for t in order]) for i in range(len(goal.objectives))]
    rows = tuple(
        FrontRow(
            t.number,
            tuple(col[k] for col in columns),
            fmt_params(t.params),
            best is not None and t.number == best.number,
        )
        for k, t in enumerate(order)
    )
    names = tuple(f"{o.label} {'↑' if o.direction.maximize else '↓'}" for o in goal.objectives)
    return FrontSection(
        goal=goal.describe(),
        multi=goal.multi,
        names=names,
        rows=rows,
        front_size=len(front),
        headline=_headline(result) if goal.multi else _none_feasible(result),
        rule=result.pick_text if best else "",
        feasibility=_feasibility(result),
        hypervolume=_hypervolume(result) if goal.multi else "",
        warning=_warning(result),
    )


def _values(goal: Any, trial: Any) -> tuple[float, ...]:
    """The objectives' values of a complete trial."""
    values = goal.values(trial)
    assert values is not None  # complete trials only
    return values


def _headline(result: TuneResult) -> str:
    goal, best = result.objectives, result.best_trial
    if best is None:
        return "no trial on the Pareto front" if result.completed else "no trial completed"
    values = ", ".join(f"{name} {fmt_value(v)}" for name, v in zip(goal.names, _values(goal, best)))
    size = plural(len(result.front), "trial")
    return f"trial {best.number} picked from the Pareto front of {size}: {values}"


def _none_feasible(result: TuneResult) -> str:
    """One objective with constraints that no complete trial holds: the headline says so."""
    done = result.completed
    if not done or result.feasible:
        return ""
    return f"no trial holds every constraint ({len(done)} of {plural(len(result.trials), 'trial')} completed)"


def _feasibility(result: TuneResult) -> str:
    """``18 of 25 complete trials hold every constraint; latency <= 20 was broken by 7`` ("" without constraints)."""
    goal = result.objectives
    if not goal.constraints:
        return ""
    done = result.completed
    text = f"{len(result.feasible)} of {plural(len(done), 'complete trial')} hold every constraint"
    broken = []
    for i, c in enumerate(goal.constraints):
        n = sum(goal.violations(t)[i] > 0 for t in done)
        if n:
            broken.append(f"{c} was broken by {n}")
    return text + ("; " + ", ".join(broken) if broken else "")


def _hypervolume(result: TuneResult) -> str:
    """The front's hypervolume, and the reference point it is measured from."""
    goal = result.objectives
    if not result.front:
        return ""
    reference = [d.loss(x) for d, x in zip(goal.directions, result.reference())]  # back to values
    point = ", ".join(f"{name} {fmt_value(v)}" for name, v in zip(goal.names, reference))
    return (
        f"hypervolume {fmt_value(result.hypervolume())}, against the reference point ({point}): the worst value "
        "of each objective among the complete trials (result.hypervolume(reference) takes another)"
    )


def _warning(result: TuneResult) -> str:
    goal = result.objectives
    if not goal.constraints or not result.completed or result.feasible:
        return ""
    return (
        f"none of the {plural(len(result.completed), 'complete trial')} holds every constraint "
        f"({', '.join(map(str, goal.constraints))}), so no values were bound; loosen a limit or widen the search"
    )


# -- the Pareto plot ----------------------------------------------------------------------------


def _label(goal: Any, i: int) -> str:
    objective = goal.objectives[i]
    return f"{objective.label} ({'higher' if objective.direction.maximize else 'lower'} is better)"


def _scatter(ax: Axes, result: TuneResult, i: int, j: int, step: bool) -> None:
    """Objectives ``i`` (x) and ``j`` (y) of every complete trial, marked by what it is."""
    goal, best = result.objectives, result.best_trial
    on_front = {t.number for t in result.front}
    feasible = {t.number for t in result.feasible}
    done = palette.style(TrialState.COMPLETE)
    groups: dict[str, list[tuple[float, float]]] = {"front": [], "dominated": [], "infeasible": []}
    for t in result.completed:
        v = _values(goal, t)
        kind = "front" if t.number in on_front else "dominated" if t.number in feasible else "infeasible"
        groups[kind].append((v[i], v[j]))
    if groups["dominated"]:
        ax.plot(
            *zip(*groups["dominated"]), done.marker, ms=4, color=done.colour, alpha=DOMINATED_ALPHA, label="dominated"
        )
    if groups["infeasible"]:
        ax.plot(*zip(*groups["infeasible"]), "x", ms=5, color=INFEASIBLE, label="infeasible")
    if groups["front"]:
        points = sorted(groups["front"], key=lambda p: p[0] if not goal.directions[i].maximize else -p[0])
        if step and len(points) > 1:
            ax.step(*zip(*points), where="post", color=done.colour, lw=1.2, alpha=0.8)
        ax.plot(*zip(*points), done.marker, ms=5.5, color=done.colour, label="Pareto front")
    if best is not None:
        v = _values(goal, best)
        ax.plot(
            [v[i]], [v[j]], "o", ms=12, mfc="none", mew=2, color=palette.BEST, label=f"picked (trial {best.number})"
        )
    ax.set_xlabel(_label(goal, i), fontsize="small")
    ax.set_ylabel(_label(goal, j), fontsize="small")
    ax.tick_params(labelsize="small")


def plot_front(result: TuneResult, ax: Axes | None = None, fig: Figure | None = None) -> list[Axes]:
    """The trials in objective space: two objectives in one Axes (``ax``), three or more as one
    Axes per pair (in ``fig``, or a new figure).  Returns the Axes."""
    goal = result.objectives
    if goal is None or not goal.multi:
        raise ValueError("the Pareto plot needs several objectives (--maximize NAME --minimize NAME ...)")
    pairs = list(combinations(range(len(goal.objectives)), 2))
    if len(pairs) == 1:
        if ax is None:
            import matplotlib.pyplot as plt

            _, ax = plt.subplots(figsize=(5.6, 3.6), layout="constrained")
        _scatter(ax, result, 0, 1, step=True)
        ax.set_title("Pareto front", fontsize="medium")
        ax.legend(loc="best", fontsize="small", frameon=False)
        return [ax]
    if fig is None:
        import matplotlib.pyplot as plt

        fig = plt.figure(figsize=(3.4 * min(3, len(pairs)), 3.0 * -(-len(pairs) // 3)), layout="constrained")
    axes = [fig.add_subplot(-(-len(pairs) // 3), min(3, len(pairs)), k + 1) for k in range(len(pairs))]
    for a, (i, j) in zip(axes, pairs):
        _scatter(a, result, i, j, step=False)
    axes[0].legend(loc="best", fontsize="x-small", frameon=False)
    return axes


def render_front(result: TuneResult, dpi: int = 80) -> list[bytes]:
    """The Pareto plot as PNG images: one for two objectives, one per pair for three or more (so
    that they wrap in a narrow output, as the slices do)."""
    from .plots import figure, png

    goal = result.objectives
    pairs = list(combinations(range(len(goal.objectives)), 2))
    if len(pairs) == 1:
        fig = figure(5.6, 3.6, dpi)
        plot_front(result, ax=fig.add_subplot())
        return [png(fig)]
    images: list[bytes] = []
    for i, j in pairs:
        fig = figure(3.6, 3.0, dpi)
        ax = fig.add_subplot()
        _scatter(ax, result, i, j, step=False)
        if not images:
            ax.legend(loc="best", fontsize="x-small", frameon=False)
        images.append(png(fig))
    return images
