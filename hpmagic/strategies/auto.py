"""``auto``: pick a strategy from the space, the budget and the parallelism.

The rules, in order (the first that applies wins, and the summary quotes it): ``grid`` when
the grid is the whole space and fits the budget, ``sobol`` when the budget is too small for
a model, ``gp`` within :data:`GP_MAX_DIMS`, :data:`GP_MAX_TRIALS` and :data:`GP_MAX_JOBS`,
``tpe`` beyond them.  Where the thresholds come from: ``docs/design/strategies.md``.
"""

from __future__ import annotations

from .._format import plural
from ..space import SearchSpace
from .base import Strategy, StrategyContext
from .catalog import load

__all__ = ["choose", "pick", "GP_MAX_DIMS", "GP_MAX_TRIALS", "GP_MAX_JOBS"]

#: Largest number of parameters for which auto picks the GP.
GP_MAX_DIMS = 12
#: Largest budget (total trials) for which auto picks the GP.
GP_MAX_TRIALS = 300
#: Largest number of parallel trials for which auto picks the GP (beyond it, believed
#: pending points outnumber the real ones early in the search).
GP_MAX_JOBS = 8


def choose(space: SearchSpace, context: StrategyContext) -> Strategy:
    """The strategy auto runs for ``space`` and ``context`` (not yet set up), its reason filled in."""
    name, why = pick(space, context)
    strategy = load(name)()
    strategy.reason = f"auto: {name}, because {why}"
    return strategy


def pick(space: SearchSpace, context: StrategyContext) -> tuple[str, str]:
    """The name of the strategy auto runs for ``space`` and ``context``, and why."""
    d, budget, jobs = len(space), context.budget, max(1, context.jobs)
    if d == 0:
        return "grid", "there are no tuned parameters, so only the defaults run"
    if _grid_is_the_space(space, context.grid_points):
        size = space.grid_size(context.grid_points)
        if size <= budget - 1:  # trial 0 runs the defaults
            return "grid", f"all {d} parameters are discrete and the {size}-point grid fits the budget"
    if budget <= max(5, d + 1) + 2:
        return "sobol", f"{budget} trials are too few for a model to learn from {d} parameters"
    if d <= GP_MAX_DIMS and budget <= GP_MAX_TRIALS and jobs <= GP_MAX_JOBS:
        par = f", {jobs} at a time" if jobs > 1 else ""
        return "gp", f"{plural(d, 'parameter')} and {budget} trials{par} suit Bayesian optimisation"
    if d > GP_MAX_DIMS:
        what = f"{d} parameters are too many for a GP"
    elif budget > GP_MAX_TRIALS:
        what = f"{budget} trials are too many for a GP"
    else:
        what = f"{jobs} parallel trials are too many for a GP"
    return "tpe", f"{what}, and TPE costs little per trial at any scale"


def _grid_is_the_space(space: SearchSpace, points: int) -> bool:
    """True when every parameter is discrete and its grid lists all of its values."""
    return space.discrete and all(len(p.distribution.grid(points)) >= p.distribution.cardinality() for p in space)
