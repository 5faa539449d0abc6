"""Random search: every parameter drawn independently from its distribution.

A draw equal to a configuration still in flight is drawn again (:mod:`.inflight`).
"""

from __future__ import annotations

import random
from typing import Any

from ..core import Trial
from ..space import SearchSpace
from .base import Strategy, StrategyContext
from .inflight import InFlight


class RandomSearch(Strategy):
    """Independent draws from each parameter's distribution."""

    name = "random"

    def setup(self, space: SearchSpace, context: StrategyContext) -> None:
        """Seed the random stream."""
        super().setup(space, context)
        self.rng = random.Random(context.seed)
        self.in_flight = InFlight(space)
        self.reason = self.reason or "independent draws from each distribution"

    def ask(self, number: int) -> dict[str, Any] | None:
        """An independent draw from each parameter's distribution (drawn again when it equals one in flight)."""
        return self.in_flight.propose(number, self.space.sample(self.rng), lambda _: self.space.sample(self.rng))

    def tell(self, trial: Trial) -> None:
        """Forget the trial among those in flight: random draws learn nothing else."""
        self.in_flight.discard(trial.number)
