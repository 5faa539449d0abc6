"""``choice(a, b, ...)`` and ``[a, b, ...]``: one of a list of literal values.

A list of distinct finite numbers is ordinal, walked in sorted order on its scale; any other
list is categorical (the rules are :mod:`hpmagic.lists`).  Options go through the JSON codec.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any

from .. import lists
from ..errors import SpaceError
from ..lists import same_value
from .base import Distribution, clip_unit

__all__ = ["Choice"]

_FIX_ONCE = "list each value once"


@dataclass(frozen=True)
class Choice(Distribution):
    """``choice(a, b, ...)`` or ``[a, b, ...]``: one of a list of literal values.

    A list of distinct finite numbers is *ordinal* (:attr:`ordered`): strategies walk it in
    sorted order, on its :attr:`scale`; any other list is categorical (:mod:`hpmagic.lists`).
    """

    options: tuple = ()
    kind = "choice"
    discrete = True
    numeric = False

    def __post_init__(self) -> None:
        if len(self.options) == 0:
            raise SpaceError("choice needs at least one value, but got none")
        for i, value in enumerate(self.options):
            if any(same_value(value, other) for other in self.options[:i]):
                raise SpaceError(f"choice lists {value!r} more than once", _FIX_ONCE)

    @cached_property
    def ordered(self) -> bool:
        """True when the options are distinct finite numbers: an ordinal list."""
        return lists.is_ordinal(self.options)

    @cached_property
    def scale(self) -> str:
        """``"log"``, ``"linear"`` or ``"rank"`` for an ordinal list, ``""`` for a categorical one."""
        return lists.scale(self.options)

    @property
    def log(self) -> bool:  # type: ignore[override]
        """True for an ordinal list on a log scale (``[16, 32, 64]``)."""
        return self.scale == "log"

    @cached_property
    def order(self) -> tuple:
        """The options in the order strategies walk them: sorted when ordinal, as written otherwise."""
        return tuple(sorted(self.options)) if self.ordered else self.options

    @cached_property
    def positions(self) -> tuple[float, ...]:
        """Where each option of :attr:`order` lies in ``[0, 1]`` on the list's :attr:`scale`."""
        return lists.positions(self.order, self.scale or "rank")

    def cardinality(self) -> float:
        """How many options there are."""
        return len(self.options)

    def from_unit(self, u: float) -> Any:
        """The option (in the scale's order) whose equal share of the unit interval holds ``u``."""
        n = len(self.options)
        return self.order[min(int(clip_unit(u) * n), n - 1)]

    def index(self, value: Any) -> int:
        """The position of ``value`` among the options (``ValueError`` when it is none of them)."""
        for i, option in enumerate(self.options):
            if same_value(option, value):
                return i
        raise ValueError(f"{value!r} is not one of {self.describe()}")

    def rank(self, value: Any) -> int:
        """The position of ``value`` in :attr:`order` (``ValueError`` when it is none of the options)."""
        i = self.index(value)
        return self.order.index(self.options[i]) if self.ordered else i  # ordinal options are distinct numbers

    def to_unit(self, value: Any) -> float:
        """The middle of ``value``'s share of the unit interval, by its rank on the scale."""
        return (self.rank(value) + 0.5) / len(self.options)

    def contains(self, value: Any) -> bool:
        """True when ``value`` is one of the options (``True``, ``1`` and ``1.0`` kept apart)."""
        return any(same_value(option, value) for option in self.options)

    def grid(self, points: int) -> list[Any]:
        """Every option, whatever ``points`` is."""
        return list(self.options)

    def describe(self) -> str:
        """The annotation that writes this distribution: ``choice(...)`` with each option's repr."""
        return "choice(" + ", ".join(repr(v) for v in self.options) + ")"
