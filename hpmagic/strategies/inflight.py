"""Configurations in flight, so that parallel asks never propose one twice.

A configuration is *in flight* from the ask that proposed it until its trial is told.  Every
built-in strategy that proposes on its own keeps an :class:`InFlight` and passes each
proposal through :meth:`InFlight.propose`: a proposal equal to one in flight is drawn again
(the strategy says how, ``redraw(attempt)``) up to ``tries`` times; if every draw collides
and the space is discrete and small enough to list, the first configuration of the space
that is not in flight is taken.  Only when every configuration of the space is in flight
(more trials at once than the space has configurations) does a proposal repeat one in
flight: a search that stopped there would end with workers idle, and a repeat is the
lesser harm.  With nothing in flight a proposal is never redrawn, so a sequential search
sees the same sequence as before.

Two configurations are the same when they have the same active parameters with equal values
of the same type (``True``, ``1`` and ``1.0`` are three different options of a choice).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from ..space import SearchSpace

__all__ = ["InFlight", "config_key", "LISTED"]

#: Largest discrete space that is listed to find a configuration not in flight.
LISTED = 4096


def config_key(config: dict[str, Any]) -> tuple:
    """A hashable identity of a configuration: names, value types and values."""
    return tuple(sorted((name, type(value).__qualname__, repr(value)) for name, value in config.items()))


class InFlight:
    """The configurations a strategy proposed and has not been told about, by trial number."""

    def __init__(self, space: SearchSpace):
        self.space = space
        self._keys: dict[int, tuple] = {}
        self._counts: dict[tuple, int] = {}

    def __len__(self) -> int:
        return len(self._keys)

    def __contains__(self, config: object) -> bool:
        return isinstance(config, dict) and config_key(config) in self._counts

    def add(self, number: int, config: dict[str, Any]) -> None:
        """Record ``config`` as trial ``number``'s (replacing what that number had)."""
        self.discard(number)
        key = config_key(config)
        self._keys[number] = key
        self._counts[key] = self._counts.get(key, 0) + 1

    def discard(self, number: int) -> None:
        """Trial ``number`` is no longer in flight (told, or never asked by this strategy)."""
        key = self._keys.pop(number, None)
        if key is not None:
            left = self._counts[key] - 1
            if left:
                self._counts[key] = left
            else:
                del self._counts[key]

    def propose(
        self, number: int, config: dict[str, Any], redraw: Callable[[int], dict[str, Any]], tries: int = 32
    ) -> dict[str, Any]:
        """``config``, or another one not in flight (see the module docstring); recorded as ``number``'s."""
        attempt = 0
        while config in self and attempt < tries:
            config = redraw(attempt)
            attempt += 1
        if config in self:
            config = self.free() or config
        self.add(number, config)
        return config

    def free(self) -> dict[str, Any] | None:
        """The first configuration of a small discrete space that is not in flight, else ``None``."""
        sizes = [p.distribution.cardinality() for p in self.space]
        if math.prod(sizes) > LISTED:  # continuous parameters count as infinitely many values
            return None
        points = int(max(sizes, default=1))  # a grid that many points wide lists every value
        return next((c for c in self.space.grid(points) if c not in self), None)
