"""Random search: every parameter drawn independently from its distribution."""

from __future__ import annotations

import random

from .base import Strategy


class RandomSearch(Strategy):
    name = "random"

    def setup(self, space, context):
        super().setup(space, context)
        self.rng = random.Random(context.seed)
        self.reason = self.reason or "independent draws from each distribution"

    def ask(self, number):
        return self.space.sample(self.rng)
