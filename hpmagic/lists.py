"""Lists of literal values: equality that keeps ``True``, ``1`` and ``1.0`` apart, and the
rule that makes a list of numbers *ordinal* and tells its scale.

A list annotation (``[16, 32, 64, 128]``, or ``choice(16, 32, 64, 128)``) is a choice.  When
every option is a finite number (an ``int`` or a ``float``, never a ``bool``) and no two are
equal, the options lie on an ordered axis: the choice is **ordinal**, and strategies that can
use order see it as one ordered dimension instead of unrelated labels.  Any other list (strings,
``None``, bools, tuples, a mix of numbers and strings, a non-finite number, two equal numbers
such as ``1`` and ``1.0``) stays **categorical**.

The **scale** of an ordinal list is where its values lie between 0 (the smallest) and 1 (the
largest), taken from how evenly its sorted values are spread (the coefficient of variation of
the gaps between neighbours, 0 for perfectly even gaps):

- ``"log"`` when every value is positive and the gaps are at least as even in log as in linear
  terms, and even enough (:data:`EVEN`): ``[16, 32, ..., 512]``, ``[5e-4, 1e-3, 5e-3, 1e-2]``,
  ``[2, 5, 10, 20, 50]``.  Two positive values are on a log scale when they span a factor of
  :data:`LOG_RATIO` or more;
- ``"linear"`` when the gaps are more even in linear terms, and even enough: ``[0.1, 0.5, 0.9]``,
  ``[10, 50, 100, 200]``;
- ``"rank"`` when neither spreads the values evenly: ``[0, 0.01, 0.1, 1, 10]`` (a zero in front
  of a geometric list), whose linear positions would crowd four values near 0; the values are
  then evenly spaced by rank.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

__all__ = ["same_value", "dedup", "is_whole", "is_ordinal", "scale", "positions", "EVEN", "LOG_RATIO"]

#: Largest coefficient of variation of the gaps for which a scale counts as even.
EVEN = 0.5
#: Smallest ratio of two positive values that puts them on a log scale.
LOG_RATIO = 10.0


def same_value(a: Any, b: Any) -> bool:
    """Equality of two literal values that keeps ``True``, ``1`` and ``1.0`` apart (they are
    different choices), inside tuples too: ``(False,)`` is not ``(0,)``."""
    if isinstance(a, tuple) and isinstance(b, tuple):
        return len(a) == len(b) and all(same_value(x, y) for x, y in zip(a, b))
    return type(a) is type(b) and a == b


def dedup(values: list[Any]) -> list[Any]:
    """``values`` without repeats (by :func:`same_value`), first occurrences kept in order."""
    out: list[Any] = []
    for v in values:
        if not any(same_value(v, o) for o in out):
            out.append(v)
    return out


def is_whole(value: Any) -> bool:
    """True for an int, or a finite number with no fractional part (``3.0``)."""
    if isinstance(value, int):
        return True
    try:
        number = float(value)
    except (TypeError, ValueError, OverflowError):
        return False
    return math.isfinite(number) and number.is_integer()


def is_ordinal(options: Sequence[Any]) -> bool:
    """True when every option is a finite int or float (no bool) and no two are equal."""
    if not all(type(v) in (int, float) for v in options):
        return False
    try:
        numbers = [float(v) for v in options]
    except OverflowError:  # an int beyond the floats
        return False
    return all(math.isfinite(x) for x in numbers) and len(set(numbers)) == len(numbers)


def _scaled(values: list[float]) -> list[float]:
    """``values`` divided by the power of two just above their largest magnitude, so that no
    difference of two of them overflows (``[-1.7e308, 1.7e308]``).  Dividing by a power of
    two is exact, so ratios of differences, all that the scale and positions read, are unchanged."""
    big = max((abs(v) for v in values), default=0.0)
    if big == 0 or not math.isfinite(big):
        return values
    exponent = math.frexp(big)[1]
    return [math.ldexp(v, -exponent) for v in values]


def _unevenness(gaps: list[float]) -> float:
    mean = sum(gaps) / len(gaps)
    return math.sqrt(sum((g - mean) ** 2 for g in gaps) / len(gaps)) / mean


def scale(options: Sequence[Any]) -> str:
    """``"log"``, ``"linear"`` or ``"rank"`` for an ordinal list (module docstring); ``""`` otherwise."""
    if not is_ordinal(options):
        return ""
    values = sorted(float(v) for v in options)
    if len(values) < 2:
        return "linear"
    positive = values[0] > 0
    if len(values) == 2:
        return "log" if positive and values[1] / values[0] >= LOG_RATIO else "linear"
    even = _scaled(values)
    linear = _unevenness([b - a for a, b in zip(even, even[1:])])
    log = _unevenness([math.log(b / a) for a, b in zip(values, values[1:])]) if positive else math.inf
    if min(linear, log) > EVEN:
        return "rank"
    return "log" if log <= linear else "linear"


def positions(values: Sequence[Any], kind: str) -> tuple[float, ...]:
    """Where each of the sorted ``values`` lies in ``[0, 1]`` on scale ``kind`` (:func:`scale`)."""
    n = len(values)
    if n < 2:
        return (0.5,) * n
    if kind == "rank":
        return tuple(i / (n - 1) for i in range(n))
    xs = _scaled([math.log(float(v)) if kind == "log" else float(v) for v in values])
    lo, hi = xs[0], xs[-1]
    return tuple((x - lo) / (hi - lo) for x in xs)
