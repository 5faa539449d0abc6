"""``sobol``: scrambled Sobol' points, a quasi-random sequence that fills the space evenly.

Points of the unit cube come from ``scipy.stats.qmc.Sobol`` (Owen-scrambled, seeded) and
are mapped to configurations by ``SearchSpace.from_unit``, one coordinate per parameter;
an inactive conditional parameter's coordinate is simply unused.  Sobol' points are most
even in prefixes whose length is a power of two, and scipy warns about other lengths, so
points are drawn in power-of-two blocks (the first covers the budget, up to 2**16 points, each later one
doubles the total) and handed out one by one.  The sequence depends only on the seed, not
on how it is cut into blocks.  Results do not steer it: ``tell`` ignores them.  In a
discrete space a point can map to a configuration still in flight; it is then handed out
later and the next point instead (:mod:`.inflight`).
"""

from __future__ import annotations

from typing import Any

from ..core import Trial
from ..space import SearchSpace
from .base import Strategy, StrategyContext
from .inflight import InFlight

#: Most points drawn in the first block (later blocks double the total as the search goes on).
FIRST_BLOCK_MAX = 2**16


class SobolSearch(Strategy):
    """Scrambled Sobol' points, handed out in order (see the module docstring)."""

    name = "sobol"

    def setup(self, space: SearchSpace, context: StrategyContext) -> None:
        """Start a scrambled Sobol sequence of the space's dimension, seeded."""
        super().setup(space, context)
        self._engine: Any = None
        self._points: list[Any] = []
        self._drawn = 0
        self._taken: Any = None
        self.in_flight = InFlight(space)
        if len(space):
            from scipy.stats import qmc

            # scipy >= 1.15 calls this argument `rng`; `seed` still works and keeps 1.10 supported
            self._engine = qmc.Sobol(d=len(space), scramble=True, seed=context.seed)
        # trial 0 runs the defaults; a huge -n (with -t) starts with 2**16 points, not all of them at once
        self._first_block = min(max(context.budget - 1, 1), FIRST_BLOCK_MAX)
        self.reason = self.reason or "scrambled Sobol' points (scipy.stats.qmc), an even cover of the space"

    def ask(self, number: int) -> dict[str, Any] | None:
        """The next point of the sequence not equal to one in flight (a skipped point is used later)."""
        if self._engine is None:
            return None  # nothing to tune: only the defaults run
        skipped: list[Any] = []

        def later(_attempt: int) -> dict[str, Any]:
            skipped.append(self._taken)
            return self._next()

        config = self.in_flight.propose(number, self._next(), later)
        self._points.extend(reversed(skipped))  # points that collided come next, in their order
        return config

    def tell(self, trial: Trial) -> None:
        """Forget the trial among those in flight: the sequence learns nothing else."""
        self.in_flight.discard(trial.number)

    def _next(self) -> dict[str, Any]:
        if not self._points:
            # next block: enough for the budget at first, then double what was drawn so far
            m = max(self._first_block - 1, self._drawn - 1, 0).bit_length()
            block = self._engine.random_base2(m)
            self._drawn += len(block)
            self._points = list(block[::-1])
        self._taken = self._points.pop()
        return self.space.from_unit(self._taken)
