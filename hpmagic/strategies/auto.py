"""``auto``: pick a strategy from the space, the budget and the parallelism.

The rules, in order; the first that applies wins, and the summary quotes it:

1. **grid** -- every parameter is discrete with at most ``--grid-points`` values, so the
   grid is the whole space, and it fits in the budget: each configuration is tried once.
   (A wider discrete parameter, say ``logint(1, 60)``, would only be sampled at five of
   its values; a model searches it better: on ``knn-cancer`` the 20-point grid scored 0
   where ``gp`` scored 100.)
2. **sobol** -- the budget is too small for a model (at most ``max(5, d + 1) + 2`` trials,
   ``d`` parameters): the trials are spent on an even quasi-random cover.
3. **gp** -- at most :data:`GP_MAX_DIMS` parameters, at most :data:`GP_MAX_TRIALS` trials
   and at most :data:`GP_MAX_JOBS` trials at once, whether or not some parameters are
   conditional: Bayesian optimisation makes the most of each trial, and a proposal
   costs a fraction of a second while the trials number in the hundreds.
4. **tpe** -- everything else (many parameters, thousands of trials, wide parallelism):
   tree-structured Parzen estimators cost little per trial at any scale and handle
   conditional spaces natively.
5. **evolution**, then **random** -- stand-ins when the hyperopt strategies are not
   available: CMA-ES for long runs, random search otherwise.

The thresholds come from ``benchmarks/quality.py`` (50-trial runs over synthetic and
scikit-learn problems, where ``gp`` had the best mean score, ahead of TPE and of Optuna's
default sampler) and from the cost of a GP proposal, which grows with the cube of the
number of trials.
"""

from __future__ import annotations

from . import STRATEGIES, _load
from .base import Strategy, StrategyContext
from .grid import GridSearch
from .random import RandomSearch

#: Largest number of parameters for which auto picks the GP.
GP_MAX_DIMS = 12
#: Largest budget (total trials) for which auto picks the GP.
GP_MAX_TRIALS = 300
#: Largest number of parallel trials for which auto picks the GP (beyond it, believed
#: pending points outnumber the real ones early in the search).
GP_MAX_JOBS = 8


def _n(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def choose(space, context: StrategyContext) -> Strategy:
    name, why = pick(space, context)
    strategy = GridSearch() if name == "grid" else RandomSearch() if name == "random" else _load(STRATEGIES[name])()
    strategy.reason = f"auto: {name}, because {why}"
    return strategy


def pick(space, context: StrategyContext) -> tuple[str, str]:
    """The name of the strategy auto runs for ``space`` and ``context``, and why."""
    d, budget, jobs = len(space), context.budget, max(1, context.jobs)
    if d == 0:
        return "grid", "there are no tuned parameters, so only the defaults run"
    if space.discrete and all(len(p.distribution.grid(context.grid_points)) >= p.distribution.cardinality() for p in space):
        size = space.grid_size(context.grid_points)
        if size <= budget - 1:
            return "grid", f"all {d} parameters are discrete and the {size}-point grid fits the budget"
    available = set(STRATEGIES)
    if budget <= max(5, d + 1) + 2 and "sobol" in available:
        return "sobol", f"{budget} trials are too few for a model to learn from {d} parameters"
    if d <= GP_MAX_DIMS and budget <= GP_MAX_TRIALS and jobs <= GP_MAX_JOBS:
        par = f", {jobs} at a time" if jobs > 1 else ""
        return "gp", f"{_n(d, 'parameter')} and {budget} trials{par} suit Bayesian optimisation"
    what = (
        f"{d} parameters are too many for a GP" if d > GP_MAX_DIMS
        else f"{budget} trials are too many for a GP" if budget > GP_MAX_TRIALS
        else f"{jobs} parallel trials are too many for a GP"
    )
    if "tpe" in available:
        return "tpe", f"{what}, and TPE costs little per trial at any scale"
    if budget > GP_MAX_TRIALS and not space.conditional:
        return "evolution", f"{what}, and CMA-ES thrives on long runs"
    return "random", what
