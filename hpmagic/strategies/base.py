"""The ask/tell contract every strategy speaks.

The runner owns the loop; a strategy only proposes and learns:

1. ``setup(space, context)`` is called once, before anything else.  ``context`` says the
   direction, the trial budget, the seed and how many trials may run at once.
2. ``ask(number)`` returns the configuration for trial ``number`` -- a dict with a value for
   every *active* parameter (``space.build`` and ``space.sample`` make such dicts) -- or
   ``None`` when the strategy has nothing new to try (a finished grid).  ``ask`` may be
   called again before earlier trials are told: those are *pending*, and a strategy that
   runs in parallel should not propose the same point twice.
3. ``tell(trial)`` reports a finished trial (complete, failed, pruned or interrupted), a
   frozen :class:`~hpmagic.result.Trial`.  Trials the strategy never asked for are told
   too: the defaults (trial 0) and, when a study resumes, every stored trial.  Use
   ``context.loss(trial)`` to get a value where lower is always better.

A whole strategy can be this small::

    class Random(Strategy):
        name = "random"

        def setup(self, space, context):
            super().setup(space, context)
            self.rng = random.Random(context.seed)

        def ask(self, number):
            return self.space.sample(self.rng)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..result import Trial, TrialState
from ..space import SearchSpace

__all__ = ["Strategy", "StrategyContext"]


@dataclass(frozen=True)
class StrategyContext:
    direction: str = "minimize"  # or "maximize"
    budget: int = 30  # total trials of the search, the defaults included
    seed: int = 0
    jobs: int = 1  # trials that may run at once
    grid_points: int = 5  # points per continuous parameter, for grids

    def loss(self, trial: Trial) -> float | None:
        """The trial's value with lower always better; ``None`` unless it completed."""
        if trial.state is not TrialState.COMPLETE or trial.value is None:
            return None
        return -trial.value if self.direction == "maximize" else trial.value


class Strategy:
    """Base class of search strategies; see the module docstring for the contract."""

    #: Short name shown in the summary.
    name: str = "custom"

    def __init__(self) -> None:
        self.space: SearchSpace | None = None
        self.context = StrategyContext()
        #: Why this strategy was chosen or how it is set up; shown in the summary.
        self.reason: str = ""

    def setup(self, space: SearchSpace, context: StrategyContext) -> None:
        self.space = space
        self.context = context

    def ask(self, number: int) -> dict[str, Any] | None:  # pragma: no cover - abstract
        raise NotImplementedError

    def tell(self, trial: Trial) -> None:
        """Learn from a finished trial.  Strategies that do not learn ignore it."""

    def __repr__(self) -> str:
        return f"<{type(self).__name__} strategy {self.name!r}>"
