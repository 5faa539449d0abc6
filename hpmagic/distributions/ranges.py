"""The bounded numeric kinds: ``uniform``, ``loguniform``, ``int`` and ``logint``, optionally on a ``step`` grid.

Their bounds are finite, ``low < high``, and within what floats hold exactly: a uniform of
more than 2**53 steps, a loguniform below the smallest normal float and int bounds beyond
±2**53 are refused when made, with a ``fix``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from .._format import fmt_arg
from ..errors import SpaceError
from ..lists import dedup, is_whole
from .base import TINY, Distribution, clip_unit

__all__ = ["Uniform", "LogUniform", "Int", "LogInt"]

_MAX_EXACT_INT = 2**53  # integers a float holds exactly (every strategy draws through floats)
_FIX_BOUNDS = "swap or correct the bounds so that low is below high"


def _half_even(numerator: int, denominator: int) -> int:
    """``round(numerator / denominator)`` in exact integer arithmetic (half to even, as round)."""
    q, r = divmod(numerator, denominator)
    if 2 * r > denominator or (2 * r == denominator and q % 2 == 1):
        q += 1
    return q


@dataclass(frozen=True)
class _Bounded(Distribution):
    low: float
    high: float
    step: float | None = None

    def __post_init__(self) -> None:
        if not (math.isfinite(self.low) and math.isfinite(self.high)):
            raise SpaceError(f"bounds must be finite numbers, but got low={self.low!r}, high={self.high!r}")
        if not self.low < self.high:
            raise SpaceError(
                f"`low < high` must hold, but got low={fmt_arg(self.low)}, high={fmt_arg(self.high)}", _FIX_BOUNDS
            )
        if self.step is not None and not (math.isfinite(self.step) and self.step > 0):
            raise SpaceError(f"`step` must be a positive number, but got step={fmt_arg(self.step)}")
        if self.step is not None and not (self.high - self.low) / self.step <= _MAX_EXACT_INT:
            raise SpaceError(
                f"{self.describe()} has more than 2**53 steps ({(self.high - self.low) / self.step:.3g}): "
                "floats cannot tell steps that fine apart",
                "use a larger `step`, or drop `step=` for a continuous range",
            )

    def describe(self) -> str:
        step = f", step={fmt_arg(self.step)}" if self.step is not None else ""
        return f"{self.kind}({fmt_arg(self.low)}, {fmt_arg(self.high)}{step})"

    # Quantised values: low, low + step, ... up to high (inclusive where it lands).
    def _n_steps(self) -> int:
        assert self.step is not None
        return int(math.floor((self.high - self.low) / self.step + 1e-9))

    def _quantise(self, value: float) -> float:
        assert self.step is not None
        k = round((value - self.low) / self.step)
        return self.step_value(min(max(k, 0), self._n_steps()))

    def step_value(self, k: int) -> float:
        """The k-th quantised value, ``low + k * step``, without binary rounding noise
        (``uniform(0.1, 1, step=0.3)`` gives 1.0, not 0.9999999999999999), never past ``high``."""
        value = self.low + k * (self.step or 1)
        if not isinstance(value, int) and float(f"{self.low:.12g}") == self.low:
            value = float(f"{value:.12g}")  # (a low of more digits: rounding would move the values)
        return min(max(value, self.low), self.high)

    def contains(self, value: Any) -> bool:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            try:
                value = float(value)
            except (TypeError, ValueError):
                return False
        return self.low - 1e-12 <= value <= self.high + 1e-12

    def cardinality(self) -> float:
        return self._n_steps() + 1 if self.step is not None else math.inf


@dataclass(frozen=True)
class Uniform(_Bounded):
    """``uniform(low, high[, step=q])``: a float drawn uniformly from ``[low, high]``."""

    kind = "uniform"

    def __post_init__(self) -> None:
        super().__post_init__()
        if not math.isfinite(self.high - self.low):
            raise SpaceError(
                f"{self.describe()} is wider than the largest float: high - low overflows, so draws would be infinite",
                "narrow the range (less than about 1.8e308 wide), or use loguniform(...) for positive values "
                "spanning many orders of magnitude",
            )

    @property
    def discrete(self) -> bool:  # type: ignore[override]
        """True when ``step`` makes the values a finite grid."""
        return self.step is not None

    def from_unit(self, u: float) -> float:
        """The value at ``u`` of the way from ``low`` to ``high`` (on the step grid when there is one)."""
        x = self.low + clip_unit(u) * (self.high - self.low)
        if self.step is not None:
            x = self._quantise(x)
        return float(min(max(x, self.low), self.high))

    def to_unit(self, value: Any) -> float:
        """Where ``value`` lies from ``low`` (0) to ``high`` (1)."""
        return clip_unit((float(value) - self.low) / (self.high - self.low))

    def grid(self, points: int) -> list[float]:
        """Every step when they fit in ``points``, else ``points`` values evenly from ``low`` to ``high``."""
        if self.step is not None and self.cardinality() <= points:
            return [float(self.step_value(k)) for k in range(self._n_steps() + 1)]
        return dedup([self.from_unit(i / (points - 1)) if points > 1 else self.from_unit(0.5) for i in range(points)])


@dataclass(frozen=True)
class LogUniform(_Bounded):
    """``loguniform(low, high)``: a float whose logarithm is uniform; ``0 < low``."""

    kind = "loguniform"
    log = True

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.low <= 0:
            raise SpaceError(
                f"loguniform needs `0 < low`, but got low={fmt_arg(self.low)}",
                "raise `low` above 0, or use uniform(...) for a range that includes 0 or negative values",
            )
        if self.step is not None:
            raise SpaceError("loguniform takes no `step`; use logint(...) for integers on a log scale")
        if self.low < TINY:
            raise SpaceError(
                f"loguniform needs `low` of at least 2.2e-308 (the smallest normal float), but got low={fmt_arg(self.low)}: "
                "below it floats lose their precision",
                "raise `low` to 1e-300 or more",
            )

    def from_unit(self, u: float) -> float:
        """The value at ``u`` of the way from ``low`` to ``high`` on a log scale (on the step grid when there is
        one)."""
        lo, hi = math.log(self.low), math.log(self.high)
        try:
            x = math.exp(lo + clip_unit(u) * (hi - lo))
        except OverflowError:  # exp(log(high)) may round past the largest float
            x = self.high
        return float(min(max(x, self.low), self.high))

    def to_unit(self, value: Any) -> float:
        """Where ``value`` lies from ``low`` (0) to ``high`` (1), on a log scale."""
        lo, hi = math.log(self.low), math.log(self.high)
        return clip_unit((math.log(max(float(value), self.low)) - lo) / (hi - lo))

    def grid(self, points: int) -> list[float]:
        """``points`` values evenly spaced on a log scale from ``low`` to ``high``."""
        if points == 1:
            return [self.from_unit(0.5)]
        return [self.from_unit(i / (points - 1)) for i in range(points)]


@dataclass(frozen=True)
class Int(_Bounded):
    """``int(low, high[, step=q])``: an integer in ``[low, high]``, both ends included."""

    kind = "int"
    discrete = True

    def __post_init__(self) -> None:
        for name in ("low", "high", "step"):
            value = getattr(self, name)
            if value is None:
                continue
            if isinstance(value, bool) or not is_whole(value):
                raise SpaceError(f"{self.kind} needs whole numbers, but got {name}={fmt_arg(value)}")
            value = int(value)
            if name != "step" and abs(value) > _MAX_EXACT_INT:
                raise SpaceError(
                    f"{self.kind} needs bounds within ±2**53 (9007199254740992), the whole numbers a float holds "
                    f"exactly, but got {name}={fmt_arg(float(value)) if value.bit_length() < 1000 else f'a {len(str(value))}-digit number'}",
                    "narrow the range; for larger numbers tune a float on a log scale, e.g. "
                    "`loguniform(1, 1e30)`, and round it in the cell",
                )
            object.__setattr__(self, name, value)
        super().__post_init__()

    def _n_steps(self) -> int:
        assert self.step is not None
        return int(self.high - self.low) // int(self.step)  # exact: the bounds are whole numbers

    def _values_count(self) -> int:
        return self._n_steps() + 1 if self.step is not None else int(self.high - self.low) + 1

    def cardinality(self) -> float:
        """How many integers (on the step grid) lie from ``low`` to ``high``."""
        return self._values_count()

    def from_unit(self, u: float) -> int:
        """The integer whose equal share of the unit interval holds ``u``."""
        step = self.step or 1
        n = self._values_count()
        k = min(int(clip_unit(u) * n), n - 1)
        return int(self.low + k * step)

    def to_unit(self, value: Any) -> float:
        """The middle of ``value``'s share of the unit interval."""
        step = self.step or 1
        n = self._values_count()
        k = (float(value) - self.low) / step
        return clip_unit((k + 0.5) / n)

    def contains(self, value: Any) -> bool:
        """True for a whole number within the range."""
        return super().contains(value) and float(value).is_integer()

    def grid(self, points: int) -> list[int]:
        """Every integer when they fit in ``points``, else ``points`` of them evenly from ``low`` to ``high``."""
        step = self.step or 1
        n = self._values_count()
        if n <= points:
            return [int(self.low + k * step) for k in range(n)]
        if points == 1:
            return [self.from_unit(0.5)]
        return dedup([int(self.low + _half_even(i * (n - 1), points - 1) * step) for i in range(points)])


@dataclass(frozen=True)
class LogInt(Int):
    """``logint(low, high[, step=q])``: an integer whose logarithm is uniform; ``1 <= low``."""

    kind = "logint"
    log = True

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.low < 1:
            raise SpaceError(
                f"logint needs `1 <= low`, but got low={fmt_arg(self.low)}",
                "raise `low` to 1 or more, or use int(...) for a range that includes 0",
            )

    def from_unit(self, u: float) -> int:
        """The integer at ``u`` of the way on a log scale, each integer's share as wide as its half-unit
        neighbourhood."""
        lo, hi = math.log(self.low - 0.5 + 1e-9), math.log(self.high + 0.5)
        x = math.exp(lo + clip_unit(u) * (hi - lo))
        x = min(max(round(x), self.low), self.high)
        if self.step is not None:
            x = int(self._quantise(x))
        return int(x)

    def to_unit(self, value: Any) -> float:
        """Where ``value`` lies on the log scale :meth:`from_unit` reads."""
        lo, hi = math.log(self.low - 0.5 + 1e-9), math.log(self.high + 0.5)
        return clip_unit((math.log(max(float(value), 1e-9)) - lo) / (hi - lo))

    def grid(self, points: int) -> list[int]:
        """``points`` integers evenly spaced on a log scale (every integer when they fit)."""
        if self._values_count() <= points or points == 1:
            return super().grid(points)
        lo, hi = math.log(self.low), math.log(self.high)
        values = [
            min(max(round(math.exp(lo + i * (hi - lo) / (points - 1))), self.low), self.high) for i in range(points)
        ]
        if self.step is not None:
            values = [int(self._quantise(v)) for v in values]
        return dedup(values)
