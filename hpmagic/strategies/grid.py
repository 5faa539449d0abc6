"""Grid search over every combination, conditions respected.

Continuous parameters get ``grid_points`` values (log-spaced on log scales); integer and
quantised ones get all their values when there are at most ``grid_points`` of them.
When the budget cannot cover the whole grid, the grid is shuffled with the seed, so the
trials that run are spread over the space rather than the first rows of it.
"""

from __future__ import annotations

import random

from .base import Strategy


class GridSearch(Strategy):
    name = "grid"

    def setup(self, space, context):
        super().setup(space, context)
        self.points = list(space.grid(context.grid_points))
        room = context.budget - 1  # trial 0 runs the defaults
        if room < len(self.points):
            random.Random(context.seed).shuffle(self.points)
            self.reason = (
                f"{len(self.points)} grid points, more than the budget covers, "
                f"so they run in a shuffled order"
            )
        else:
            self.reason = self.reason or f"{len(self.points)} grid points"
        self._next = 0
        self._asked: set[int] = set()
        self._done: set[tuple] = set()  # points that a resumed or shared study already ran

    def ask(self, number):
        while self._next < len(self.points):
            point = self.points[self._next]
            self._next += 1
            if _key(point) not in self._done:
                self._asked.add(number)
                return dict(point)
        return None

    def tell(self, trial):
        # Trials this grid did not propose (stored ones, or another process's) are not run again;
        # trial 0, the defaults, does not use up a grid point.
        if trial.number not in self._asked and trial.number != 0:
            self._done.add(_key(trial.params))


def _key(config) -> tuple:
    return tuple((name, type(value).__name__, value) for name, value in sorted(config.items()))
