"""Distributions: the value ranges of the annotation grammar, validated, mapped to the unit
interval, listed on a grid and round-tripped through JSON.

A :class:`Distribution` is plain data: its bounds, ``from_unit`` (a point of ``[0, 1]`` to a
value, for random, quasi-random and model-based strategies), ``to_unit`` (back) and a finite
``grid``.  Arguments that break a rule raise :class:`~hpmagic.errors.SpaceError` with a ``fix``.
Every value given is a finite number inside the bounds: ranges floats cannot hold are refused
when made (a uniform wider than the largest float or of more than 2**53 steps, a loguniform
below the smallest normal float, int bounds beyond ±2**53, normal draws ``mu ± 7.03 sigma``
that overflow, lognormal draws whose ``exp`` overflows or underflows).  A :class:`Choice` of
numbers is ordinal (:mod:`hpmagic.lists`).  :mod:`hpmagic.space` re-exports every name.

The package is split by kind: :mod:`.base` (the contract), :mod:`.ranges` (the bounded
numbers), :mod:`.choice` (lists), :mod:`.priors` (normal and lognormal); this module lists
them by name (:data:`DISTRIBUTIONS`) and reads them back from JSON.
"""

from __future__ import annotations

from typing import Any

from .. import codec
from ..lists import same_value
from .base import Distribution
from .choice import Choice
from .priors import LogNormal, Normal
from .ranges import Int, LogInt, LogUniform, Uniform

__all__ = [
    "Distribution",
    "Uniform",
    "LogUniform",
    "Int",
    "LogInt",
    "Choice",
    "Normal",
    "LogNormal",
    "DISTRIBUTIONS",
    "distribution_from_json",
    "same_value",
]

#: Every kind by the name annotations and JSON use.
DISTRIBUTIONS: dict[str, type[Distribution]] = {
    cls.kind: cls for cls in (Uniform, LogUniform, Int, LogInt, Choice, Normal, LogNormal)
}


def distribution_from_json(data: dict[str, Any]) -> Distribution:
    """The distribution :meth:`Distribution.to_json` described."""
    data = dict(data)
    cls = DISTRIBUTIONS[data.pop("kind")]
    if cls is Choice:
        return Choice(tuple(codec.decode(data["options"])))
    return cls(**data)
