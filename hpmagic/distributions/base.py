"""The contract of a distribution: what every kind of the annotation grammar answers.

:class:`Distribution` maps values to the unit interval and back (``from_unit``, ``to_unit``),
lists a finite ``grid``, says what it ``contains`` and how many values it has, and writes
itself as an annotation (``describe``) and as JSON (``to_json``; read back by
:func:`hpmagic.distributions.distribution_from_json`).  The kinds are in :mod:`.ranges`,
:mod:`.choice` and :mod:`.priors`.
"""

from __future__ import annotations

import math
import sys
from typing import Any

from .. import codec

__all__ = ["Distribution", "clip_unit", "TINY"]

TINY = sys.float_info.min  # the smallest normal positive float


def clip_unit(u: float) -> float:
    """``u`` as a float clipped into ``[0, 1]``."""
    return min(max(float(u), 0.0), 1.0)


class Distribution:
    """Base class of the distributions of the annotation grammar.

    Subclasses are frozen dataclasses.  ``kind`` is the name used in annotations and in
    JSON; ``log`` says whether the natural scale of the parameter is logarithmic (plots
    and model-based strategies use it).
    """

    kind: str = ""
    log: bool = False
    #: True when the set of values is finite (ints, quantised floats, choices).
    discrete: bool = False
    #: True when the values are numbers on an ordered axis (everything but choice).
    numeric: bool = True

    def from_unit(self, u: float) -> Any:  # pragma: no cover - abstract
        """The value at point ``u`` of the unit interval (clipped to ``[0, 1]``)."""
        raise NotImplementedError

    def to_unit(self, value: Any) -> float:  # pragma: no cover - abstract
        """The point of the unit interval where ``value`` lies (the inverse of :meth:`from_unit`)."""
        raise NotImplementedError

    def grid(self, points: int) -> list[Any]:  # pragma: no cover - abstract
        """About ``points`` values spread over the range (every value when there are fewer)."""
        raise NotImplementedError

    def contains(self, value: Any) -> bool:  # pragma: no cover - abstract
        """True when ``value`` is one this distribution can give."""
        raise NotImplementedError

    def cardinality(self) -> float:
        """Number of distinct values (``math.inf`` for continuous distributions)."""
        return math.inf

    def sample(self, rng: Any) -> Any:
        """Draw one value with a ``numpy.random.Generator`` (or anything with ``random()``)."""
        return self.from_unit(rng.random())

    def to_json(self) -> dict[str, Any]:
        """``{"kind": ..., <each field>: ...}``; choice options go through the JSON codec."""
        data: dict[str, Any] = {"kind": self.kind}
        for name in self.__dataclass_fields__:  # type: ignore[attr-defined]
            value = getattr(self, name)
            if name == "options":
                value = codec.encode(list(value))
            data[name] = value
        return data

    def __str__(self) -> str:
        return self.describe()

    def describe(self) -> str:  # pragma: no cover - abstract
        """The distribution as an annotation writes it: ``uniform(0, 1)``."""
        raise NotImplementedError
