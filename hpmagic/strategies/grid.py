"""Grid search over every combination, conditions respected.

Continuous parameters get ``grid_points`` values (log-spaced on log scales); integer and
quantised ones get all their values when there are at most ``grid_points`` of them.
When the budget cannot cover the whole grid, the trials that run are spread over the
space rather than taken from the first rows of it: a grid of manageable size is shuffled
with the seed; a huge one (more than :data:`MAX_LISTED` points, say 5 values of each of
11 parameters) is never listed, and distinct grid points are drawn at random instead.
"""

from __future__ import annotations

import random
from typing import Any

from ..core import Trial
from ..space import SearchSpace
from .base import Strategy, StrategyContext

#: Largest grid that is listed and shuffled; beyond it grid points are drawn at random.
MAX_LISTED = 100_000


class GridSearch(Strategy):
    """Every grid point once, shuffled or drawn at random when the budget cannot cover them."""

    name = "grid"

    def setup(self, space: SearchSpace, context: StrategyContext) -> None:
        """List the grid (or, when it is too large to list, draw from it) in a seeded order."""
        super().setup(space, context)
        self.rng = random.Random(context.seed)
        self.size = space.grid_size(context.grid_points, limit=MAX_LISTED)
        room = context.budget - 1  # trial 0 runs the defaults
        self.points: list[dict[str, Any]] | None = None
        self._asked: set[int] = set()
        self._done: set[str] = set()  # points a resumed or shared study already ran
        if self.size > MAX_LISTED:
            self.values = {p.name: p.distribution.grid(context.grid_points) for p in space}
            self.seen: set[str] = set()
            self.reason = self.reason or (
                f"a grid of more than {MAX_LISTED:,} points, far beyond the budget, so distinct grid points are drawn at random"
            )
            return
        self.points = list(space.grid(context.grid_points))
        if room < len(self.points):
            self.rng.shuffle(self.points)
            self.reason = self.reason or (
                f"{len(self.points)} grid points, more than the budget covers, so they run in a shuffled order"
            )
        else:
            self.reason = self.reason or f"{len(self.points)} grid points"
        self._next = 0

    def ask(self, number: int) -> dict[str, Any] | None:
        """The next grid point not yet run, or ``None`` when the grid is done."""
        self._asked.add(number)
        if self.points is None:
            return self._draw()
        while self._next < len(self.points):
            point = self.points[self._next]
            self._next += 1
            if repr(sorted(point.items())) not in self._done:
                return dict(point)
        return None

    def tell(self, trial: Trial) -> None:
        # Trials this grid did not propose (stored ones, or another process's) are not run again;
        # trial 0, the defaults, does not use up a grid point.
        """Note a point that a stored trial or another process already ran, so it is not run again."""
        if trial.number not in self._asked and trial.number != 0:
            key = repr(sorted(trial.params.items()))
            self._done.add(key)
            if self.points is None:
                self.seen.add(key)

    def _draw(self) -> dict[str, Any] | None:
        for _ in range(1000):
            point = self.space.build(lambda p: self.rng.choice(self.values[p.name]))
            key = repr(sorted(point.items()))
            if key not in self.seen:
                self.seen.add(key)
                return point
        return None
