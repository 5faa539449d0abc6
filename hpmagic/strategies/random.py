"""Random search: every parameter drawn independently from its distribution."""

from __future__ import annotations

import random
from typing import Any

from ..space import SearchSpace
from .base import Strategy, StrategyContext


class RandomSearch(Strategy):
    """Independent draws from each parameter's distribution."""

    name = "random"

    def setup(self, space: SearchSpace, context: StrategyContext) -> None:
        super().setup(space, context)
        self.rng = random.Random(context.seed)
        self.reason = self.reason or "independent draws from each distribution"

    def ask(self, number: int) -> dict[str, Any] | None:
        return self.space.sample(self.rng)
