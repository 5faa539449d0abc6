"""``evolution`` with several objectives or constraints: NSGA-II, steady state.

:class:`hpmagic.strategies.evolution.Evolution` hands over to :class:`NSGA2` when the goal has
several objectives or a constraint.  The first ``population`` proposals are quasi-random (a
scrambled Sobol sequence); after that each proposal is a child: two parents, each the better
of two trials drawn from the population (the ``population`` best told trials by
:func:`hpmagic.strategies._mo.nsga.survival_order`: constraint domination, fronts, crowding),
crossed and mutated in the unit cube of the space's coordinates.  The population is re-sorted
after every tell, so trials run in parallel never wait for a generation.  A child equal to a
configuration in flight is drawn again (:mod:`.inflight`).  Failed and pruned trials are
infeasible with an infinite violation.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..core import Trial, TrialState
from ..space import SearchSpace
from ._mo import nsga
from .base import Strategy, StrategyContext
from .inflight import InFlight

__all__ = ["NSGA2", "population_size"]


def population_size(budget: int) -> int:
    """The population: a fifth of the budget, from 10 to 50 trials."""
    return int(min(50, max(10, budget // 5)))


class NSGA2(Strategy):
    """Steady-state NSGA-II over the unit cube of the space (see the module docstring)."""

    name = "evolution"

    def setup(self, space: SearchSpace, context: StrategyContext) -> None:
        """Seed the random stream, size the population and start the quasi-random first generation."""
        super().setup(space, context)
        from scipy.stats import qmc

        from ._gp.encoding import Encoder

        self.rng = np.random.default_rng(context.seed)
        self.encoder = Encoder(space)
        self.population = population_size(context.budget)
        self._sobol = qmc.Sobol(max(len(space), 1), scramble=True, seed=self.rng)
        self._told: dict[int, tuple[np.ndarray, np.ndarray, float]] = {}  # number -> (unit point, losses, violation)
        self._order: np.ndarray = np.zeros(0, dtype=int)
        self._asked = 0
        self.in_flight = InFlight(space)
        self.reason = self.reason or (
            f"NSGA-II for several objectives: a population of {self.population}, constraint domination, "
            "crossover and mutation"
        )

    def ask(self, number: int) -> dict[str, Any] | None:
        """A quasi-random point for the first generation, then a child of two parents chosen by tournament."""
        if len(self.space) == 0:
            return {}
        self._asked += 1
        if len(self._told) < self.population or self._asked <= self.population:
            first = self._config(self._sobol.random(1)[0])
            return self.in_flight.propose(number, first, lambda _: self._config(self.rng.random(len(self.space))))
        return self.in_flight.propose(number, self._child(), lambda _: self._child())

    def tell(self, trial: Trial) -> None:
        """Add a finished trial to the pool the parents are ranked in (front, then crowding distance)."""
        self.in_flight.discard(trial.number)
        if trial.state in (TrialState.INTERRUPTED, TrialState.RUNNING) or len(self.space) == 0:
            return
        try:
            u = self.encoder.latent_from_features(self.encoder.encode(trial.params))
        except (ValueError, KeyError, TypeError):
            return
        goal = self.context.objectives
        losses = goal.losses(trial)
        if losses is None or not np.all(np.isfinite(losses)):
            point, violation = np.full(len(goal.objectives), np.inf), np.inf
        else:
            point, violation = np.array(losses, dtype=float), float(sum(goal.violations(trial)))
        self._told[trial.number] = (u, point, violation)
        self._survive()

    def _survive(self) -> None:
        rows = list(self._told.values())
        losses = np.vstack([r[1] for r in rows])
        violation = np.array([r[2] for r in rows])
        finite = np.isfinite(losses).all(axis=1)
        losses[~finite] = 0.0  # failures are infeasible (violation inf): their losses are not read
        violation[~finite] = np.inf
        self._order = nsga.survival_order(losses, violation)[: self.population]
        self._points = np.vstack([r[0] for r in rows])

    def _child(self) -> dict[str, Any]:
        a, b = self._parent(), self._parent()
        child = nsga.mutate(nsga.sbx(self._points[a], self._points[b], self.rng), self.rng)
        return self._config(child)

    def _parent(self) -> int:
        """A binary tournament: the better placed of two members of the population."""
        i, j = self.rng.integers(len(self._order), size=2)
        return int(self._order[min(i, j)])

    def _config(self, u: np.ndarray) -> dict[str, Any]:
        return self.space.from_unit([float(v) for v in u])
