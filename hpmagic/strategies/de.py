"""``de``: asynchronous differential evolution for mixed spaces.

Every configuration is a point of the unit cube, one coordinate per parameter
(``SearchSpace.from_unit``).  The population (:func:`population_size` members) starts as a
Latin hypercube (trials told before it fills, such as a resumed study's or those ``auto``
hands over, take their places, and the hypercube's points then challenge the worst
members); then each ``ask`` builds a trial vector for one member, the *target*, by
DE/current-to-pbest/1/bin: ``v = x + F (x_pbest - x) + F (x_r1 - x_r2)``, with ``x_pbest``
one of the best :data:`PBEST` of the population and ``F`` drawn from ``[0.5, 1]`` on each ask,
followed by binomial crossover with the target at rate :data:`CROSSOVER`.

There is no generation barrier: asks build vectors from the population as it is, however
many trials are pending, and a tell replaces the target when the trial did at least as
well.  Choices have no order, so differences mean nothing for them: the mutant takes the
option of ``x_pbest``, replaced by a random option with probability
:data:`CATEGORICAL_MUTATION`, and crossover takes the target's or the mutant's option.  An
inactive conditional parameter keeps its coordinate, which ``from_unit`` ignores.  No
configuration is proposed while the same one is pending or has been tried, as long as
:data:`RETRIES` attempts find a new one; from the second attempt on, the vector's numeric
coordinates are also moved at random by :data:`JITTER`, doubled on each attempt, so a
population that has converged to one point (every difference zero) still proposes new points
near it, at once, instead of rebuilding the same vector :data:`RETRIES` times.  When every
attempt repeats one, a small discrete space's first configuration not in flight is taken
(:class:`~hpmagic.strategies.inflight.InFlight`), so a repeat is never of a pending trial while
another configuration is free.  Details:
``docs/design/strategies.md``.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..core import Trial, TrialState
from ..space import SearchSpace
from .base import Strategy, StrategyContext, require_one_objective
from .inflight import InFlight

__all__ = [
    "DifferentialEvolution",
    "population_size",
    "PBEST",
    "CROSSOVER",
    "CATEGORICAL_MUTATION",
    "RETRIES",
    "JITTER",
]

#: Share of the population the "pbest" member is drawn from (JADE's p).
PBEST = 0.2
#: Binomial crossover rate: the chance each coordinate comes from the mutant.
CROSSOVER = 0.9
#: Chance that the mutant's option of a choice is redrawn at random.
CATEGORICAL_MUTATION = 0.15
#: Vectors built per ask before a configuration that is pending or already tried is accepted.
RETRIES = 30
#: Standard deviation (in the unit cube) of the random move of a vector's numeric coordinates on
#: the second attempt, doubled on each later one (1 by the 21st): a converged population's
#: vectors all equal its one point, and only a move makes them new.
JITTER = 1e-6


def population_size(dims: int) -> int:
    """Members of the population for ``dims`` parameters: ``2 * dims``, within 10 to 20."""
    return min(20, max(10, 2 * dims))


class DifferentialEvolution(Strategy):
    """DE/current-to-pbest/1/bin, asynchronous, over the unit cube (see the module docstring)."""

    name = "de"

    def setup(self, space: SearchSpace, context: StrategyContext) -> None:
        """Seed the random stream and size the population for the space's dimensions."""
        require_one_objective(self.name, context)
        super().setup(space, context)
        self.rng = np.random.default_rng(context.seed)
        params = list(space.parameters)
        self.dims = len(params)
        self.categorical = np.array([not p.distribution.numeric for p in params], dtype=bool)
        self.options = [len(getattr(p.distribution, "options", ())) for p in params]
        self.size = population_size(self.dims)
        self.X: list[np.ndarray] = []  # the population, as points of the unit cube
        self.losses: list[float] = []
        self._initial = self._latin_hypercube(self.size)
        self._pending: dict[int, tuple[int, np.ndarray]] = {}  # number -> (target slot or -1, vector)
        self._seen: set[str] = set()  # configurations tried or pending
        self._next_target = 0
        self.in_flight = InFlight(space)
        self.reason = self.reason or f"differential evolution (current-to-pbest/1/bin), {self.size} members"

    # -- ask / tell ----------------------------------------------------------------------

    def ask(self, number: int) -> dict[str, Any] | None:
        """A random member of the first population, then a mutant of a population member crossed with it (never one
        in flight)."""
        if self.dims == 0:
            return None  # nothing to tune: only the defaults run
        slot, vector, config = -1, np.zeros(self.dims), None
        for attempt in range(RETRIES):
            slot, vector = self._propose()
            if attempt:
                vector = self._jitter(vector, JITTER * 2.0 ** (attempt - 1))
            config = self.space.from_unit([float(v) for v in vector])
            if _key(config) not in self._seen:
                break
        assert config is not None
        if config in self.in_flight:  # every attempt was tried or pending: repeat one that is not in flight
            free = self.in_flight.free()
            if free is not None:
                slot, vector, config = -1, self._encode(free), free
        self.in_flight.add(number, config)
        self._seen.add(_key(config))
        self._pending[number] = (slot, vector)
        return config

    def tell(self, trial: Trial) -> None:
        """Fill the population, or replace the member a trial's mutant was made from when the mutant did better."""
        self.in_flight.discard(trial.number)
        self._seen.add(_key(trial.params))
        asked = self._pending.pop(trial.number, None)
        if trial.state in (TrialState.INTERRUPTED, TrialState.RUNNING):
            return  # says nothing about its configuration
        loss = self.context.loss(trial)
        loss = math.inf if loss is None or not math.isfinite(loss) else loss
        slot, vector = asked if asked is not None else (-1, self._encode(trial.params))
        if len(self.X) < self.size:
            self.X.append(vector)
            self.losses.append(loss)
            return
        if slot < 0:  # the defaults, a resumed trial or an initial point: it challenges the worst
            slot = int(np.argmax(self.losses))
            better = loss < self.losses[slot]
        else:  # a trial vector replaces its target when it does at least as well
            better = loss <= self.losses[slot]
        if better:
            self.X[slot] = vector
            self.losses[slot] = loss

    # -- the evolution -------------------------------------------------------------------

    def _propose(self) -> tuple[int, np.ndarray]:
        """A target slot (-1 for none) and a new vector: initial points first, then DE."""
        if self._initial:
            return -1, self._initial.pop()
        if len(self.X) < 4:  # the initial points are pending: too few members to mutate
            return -1, self.rng.random(self.dims)
        return self._trial_vector()

    def _trial_vector(self) -> tuple[int, np.ndarray]:
        n = len(self.X)
        target = self._next_target % n
        self._next_target += 1
        x = self.X[target]
        order = np.argsort(self.losses, kind="stable")
        pbest = self.X[int(order[self.rng.integers(max(1, round(PBEST * n)))])]
        others = [i for i in range(n) if i != target]
        r1, r2 = self.rng.choice(others, size=2, replace=False)
        f = self.rng.uniform(0.5, 1.0)
        mutant = x + f * (pbest - x) + f * (self.X[r1] - self.X[r2])
        low, high = mutant < 0, mutant > 1  # out of the cube: halfway between the target and the face
        mutant[low] = x[low] / 2
        mutant[high] = (x[high] + 1) / 2
        for j in np.flatnonzero(self.categorical):
            mutant[j] = self._random_option(int(j)) if self.rng.random() < CATEGORICAL_MUTATION else pbest[j]
        cross = self.rng.random(self.dims) < CROSSOVER
        cross[self.rng.integers(self.dims)] = True  # at least one coordinate from the mutant
        return target, np.where(cross, mutant, x)

    def _jitter(self, vector: np.ndarray, scale: float) -> np.ndarray:
        """``vector`` with its numeric coordinates moved by normal noise of ``scale``, kept in the cube."""
        moved = np.clip(vector + scale * self.rng.standard_normal(self.dims), 0.0, 1.0)
        return np.where(self.categorical, vector, moved)

    def _random_option(self, j: int) -> float:
        k = self.options[j]
        return (int(self.rng.integers(k)) + 0.5) / k

    def _latin_hypercube(self, n: int) -> list[np.ndarray]:
        """``n`` points, one in each of ``n`` strata of every coordinate (choices at option centres)."""
        if self.dims == 0:
            return []
        strata = np.stack([self.rng.permutation(n) for _ in range(self.dims)], axis=1)
        points = (strata + self.rng.random((n, self.dims))) / n
        for j in np.flatnonzero(self.categorical):
            k = self.options[j]
            points[:, j] = (np.minimum((points[:, j] * k).astype(int), k - 1) + 0.5) / k
        return list(points[::-1])

    def _encode(self, config: dict[str, Any]) -> np.ndarray:
        """A told configuration as a point of the cube; what has none (inactive, foreign) is drawn."""
        x = self.rng.random(self.dims)
        for j, p in enumerate(self.space.parameters):
            if p.name in config:
                try:
                    u = float(p.distribution.to_unit(config[p.name]))
                except (TypeError, ValueError, OverflowError):
                    continue
                if math.isfinite(u):
                    x[j] = min(max(u, 0.0), 1.0)
        return x


def _key(config: dict[str, Any]) -> str:
    """A configuration as a string that tells ``True``, ``1`` and ``1.0`` apart."""
    return repr([(name, type(value).__name__, value) for name, value in config.items()])
