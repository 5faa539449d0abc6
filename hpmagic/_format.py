"""How hpmagic writes values, parameters and durations: one formatter each.

Every text a user reads (the summaries, the progress line, error messages, the
distributions' own descriptions) formats through these functions, so a value reads the
same everywhere.  This module imports nothing.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

__all__ = [
    "fmt_value",
    "fmt_column",
    "fmt_params",
    "fmt_seconds",
    "fmt_clock",
    "fmt_arg",
    "fmt_short",
    "plural",
    "MAX_DIGITS",
    "ROUNDING",
]

#: The most significant digits :func:`fmt_column` writes: 17 tell any two floats apart.
MAX_DIGITS = 17
#: Units in the last place within which :func:`fmt_column` takes two numbers for one, rounded
#: two ways: the means of fold scores that are equal as fractions differ by up to 2.
ROUNDING = 2


def fmt_value(value: Any) -> str:
    """An objective or parameter value: four significant decimals, no float noise."""
    if isinstance(value, float):
        return _digits(value, 4)
    return repr(value)


def fmt_column(values: Sequence[Any]) -> list[str]:
    """The values of one column of a table, each as :func:`fmt_value` writes it, unless that
    writes two different numbers alike (``1`` for both ``1.0`` and ``1 + 1e-15``): then every
    number of the column gets the fewest more digits that tell its values apart (up to
    :data:`MAX_DIGITS` significant digits), so a column never claims two trials tied when they
    were not.  Numbers within :data:`ROUNDING` units in the last place of each other are the
    same number rounded two ways (the means of fold scores that are equal as fractions differ so)
    and may read alike; equal values always do; what is not a finite float is written by
    :func:`fmt_value`.  ``fmt_column([1.0, 1 + 1e-15, 0.5])`` is
    ``['1', '1.000000000000001', '0.5']``.
    """
    numbers = sorted({v for v in values if _finite_float(v)})
    extra = 0
    # Up to 20 decimals, where a number in [0.001, 0.1) has its 17th significant digit.
    while extra < 16 and not _told_apart(numbers, 4 + extra):
        extra += 1
    return [_digits(v, 4 + extra) if _finite_float(v) else fmt_value(v) for v in values]


def _told_apart(numbers: list[float], digits: int) -> bool:
    """True when sorted ``numbers`` that read alike with ``digits`` are only rounding apart (equal
    readings are runs of the sorted numbers: the first and the last of each run decide)."""
    first = 0
    shown = [_digits(v, digits) for v in numbers]
    for i in range(1, len(numbers) + 1):
        if i == len(numbers) or shown[i] != shown[first]:
            low, high = numbers[first], numbers[i - 1]
            if high - low > ROUNDING * math.ulp(max(abs(low), abs(high))):
                return False
            first = i
    return True


def _finite_float(value: Any) -> bool:
    return isinstance(value, float) and value - value == 0  # inf - inf and nan - nan are nan


def _digits(value: float, digits: int) -> str:
    """``digits`` decimals for numbers from 0.001 to 1e5 (trailing zeros dropped), else
    ``digits`` significant digits (at most :data:`MAX_DIGITS`) in scientific notation."""
    if value != 0 and (abs(value) < 1e-3 or abs(value) >= 1e5):
        return f"{value:.{min(digits, MAX_DIGITS)}g}"
    return f"{value:.{digits}f}".rstrip("0").rstrip(".")


def fmt_params(params: dict[str, Any]) -> str:
    """``C=10, kernel='rbf'``; ``(no parameters)`` for an empty configuration."""
    return ", ".join(f"{k}={fmt_value(v)}" for k, v in params.items()) or "(no parameters)"


def fmt_seconds(seconds: float) -> str:
    """A duration for summaries: ``under 1 ms``, ``35 ms``, ``4.2 s``, ``3 min 07 s``, ``1 h 05 min``."""
    if seconds < 0.0005:
        return "under 1 ms"
    if seconds < 0.0995:
        return f"{seconds * 1000:.0f} ms"
    if seconds < 59.95:
        return f"{seconds:.1f} s"
    minutes, sec = divmod(int(round(seconds)), 60)
    if minutes < 60:
        return f"{minutes} min {sec:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


def fmt_clock(seconds: float) -> str:
    """A running clock for progress lines: ``0:07``, ``12:30``, ``1:02:03``."""
    minutes, sec = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{sec:02d}" if hours else f"{minutes}:{sec:02d}"


def fmt_arg(value: Any) -> str:
    """An argument of a distribution as the annotation would write it: ``1e-05``, ``'rbf'``."""
    if isinstance(value, float):
        return f"{value:g}"
    return repr(value)


def fmt_short(value: Any, limit: int = 60) -> str:
    """``a list ([1, 2, 3])``: a value and its type, cut to ``limit`` characters, for messages."""
    text = repr(value)
    if len(text) > limit:
        text = text[: limit - 3] + "..."
    name = type(value).__name__
    return f"{'an' if name[:1].lower() in 'aeiou' else 'a'} {name} ({text})"


def plural(count: int, word: str) -> str:
    """``1 trial``, ``3 trials``."""
    return f"{count} {word}{'' if count == 1 else 's'}"
