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

from .base import Strategy

#: Largest grid that is listed and shuffled; beyond it grid points are drawn at random.
MAX_LISTED = 100_000


class GridSearch(Strategy):
    name = "grid"

    def setup(self, space, context):
        super().setup(space, context)
        self.rng = random.Random(context.seed)
        self.size = space.grid_size(context.grid_points, limit=MAX_LISTED)
        room = context.budget - 1  # trial 0 runs the defaults
        self.points: list[dict] | None = None
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

    def ask(self, number):
        if self.points is None:
            return self._draw()
        if self._next >= len(self.points):
            return None
        point = self.points[self._next]
        self._next += 1
        return dict(point)

    def _draw(self):
        for _ in range(1000):
            point = self.space.build(lambda p: self.rng.choice(self.values[p.name]))
            key = repr(sorted(point.items()))
            if key not in self.seen:
                self.seen.add(key)
                return point
        return None
