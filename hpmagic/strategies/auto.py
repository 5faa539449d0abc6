"""``auto``: pick a strategy from the space, the budget and the parallelism.

The rules, in order (the summary says which one fired):

1. a space whose parameters are all discrete and whose grid fits in the budget is gridded,
   so every configuration is tried once;
2. otherwise random search.

Model-based strategies join these rules as they are added.
"""

from __future__ import annotations

from .base import Strategy, StrategyContext
from .grid import GridSearch
from .random import RandomSearch


def choose(space, context: StrategyContext) -> Strategy:
    if len(space) == 0:
        strategy: Strategy = GridSearch()
        strategy.reason = "auto: no tuned parameters, so only the defaults run"
        return strategy
    if space.discrete:
        size = space.grid_size(context.grid_points)
        if size <= context.budget - 1:
            strategy = GridSearch()
            strategy.reason = f"auto: all {len(space)} parameters are discrete and the {size}-point grid fits the budget"
            return strategy
    strategy = RandomSearch()
    strategy.reason = "auto: random search over a space that a grid cannot cover within the budget"
    return strategy
