"""Distributions: the value ranges of the annotation grammar, validated, mapped to the unit
interval, listed on a grid and round-tripped through JSON.

Everything here is plain data.  A :class:`Distribution` knows its bounds, how to turn a
point of the unit interval into a value (``from_unit``, used by random and quasi-random
sampling and by model-based strategies), how to turn a value back (``to_unit``) and how
to list a finite grid of values.  Arguments that break a distribution's rule raise
:class:`~hpmagic.errors.SpaceError`, whose ``fix`` says how to correct them.

:mod:`hpmagic.space` builds parameters, conditions and search spaces on these, and
re-exports every name, so ``from hpmagic.space import Uniform`` keeps working.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from statistics import NormalDist
from typing import Any

from ._format import fmt_arg
from .errors import SpaceError
from .storage import codec

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

_EPS = 1e-12
_STD_NORMAL = NormalDist()

# The fixes of the rules more than one distribution shares.
_FIX_BOUNDS = "swap or correct the bounds so that low is below high"
_FIX_ONCE = "list each value once"


def _clip_unit(u: float) -> float:
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


@dataclass(frozen=True)
class _Bounded(Distribution):
    low: float
    high: float
    step: float | None = None

    def __post_init__(self) -> None:
        if not (math.isfinite(self.low) and math.isfinite(self.high)):
            raise SpaceError(f"bounds must be finite numbers, but got low={self.low!r}, high={self.high!r}")
        if not self.low < self.high:
            raise SpaceError(f"`low < high` must hold, but got low={fmt_arg(self.low)}, high={fmt_arg(self.high)}", _FIX_BOUNDS)
        if self.step is not None and not (math.isfinite(self.step) and self.step > 0):
            raise SpaceError(f"`step` must be a positive number, but got step={fmt_arg(self.step)}")

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
        (``uniform(0.1, 1, step=0.3)`` gives 1.0, not 0.9999999999999999)."""
        value = self.low + k * (self.step or 1)
        if isinstance(value, int) or float(f"{self.low:.12g}") != self.low:
            return value  # a low of more than 12 significant digits: rounding would move the values
        return float(f"{value:.12g}")

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

    @property
    def discrete(self) -> bool:  # type: ignore[override]
        return self.step is not None

    def from_unit(self, u: float) -> float:
        x = self.low + _clip_unit(u) * (self.high - self.low)
        if self.step is not None:
            x = self._quantise(x)
        return float(x)

    def to_unit(self, value: Any) -> float:
        return _clip_unit((float(value) - self.low) / (self.high - self.low))

    def grid(self, points: int) -> list[float]:
        if self.step is not None and self.cardinality() <= points:
            return [float(self.step_value(k)) for k in range(self._n_steps() + 1)]
        return _dedup([self.from_unit(i / (points - 1)) if points > 1 else self.from_unit(0.5) for i in range(points)])


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

    def from_unit(self, u: float) -> float:
        lo, hi = math.log(self.low), math.log(self.high)
        return float(min(max(math.exp(lo + _clip_unit(u) * (hi - lo)), self.low), self.high))

    def to_unit(self, value: Any) -> float:
        lo, hi = math.log(self.low), math.log(self.high)
        return _clip_unit((math.log(max(float(value), 1e-300)) - lo) / (hi - lo))

    def grid(self, points: int) -> list[float]:
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
            if value is not None and (isinstance(value, bool) or not float(value).is_integer()):
                raise SpaceError(f"{self.kind} needs whole numbers, but got {name}={fmt_arg(value)}")
            if value is not None:
                object.__setattr__(self, name, int(value))
        super().__post_init__()

    def _values_count(self) -> int:
        return self._n_steps() + 1 if self.step is not None else int(self.high - self.low) + 1

    def cardinality(self) -> float:
        return self._values_count()

    def from_unit(self, u: float) -> int:
        step = self.step or 1
        n = self._values_count()
        k = min(int(_clip_unit(u) * n), n - 1)
        return int(self.low + k * step)

    def to_unit(self, value: Any) -> float:
        step = self.step or 1
        n = self._values_count()
        k = (float(value) - self.low) / step
        return _clip_unit((k + 0.5) / n)

    def contains(self, value: Any) -> bool:
        return super().contains(value) and float(value).is_integer()

    def grid(self, points: int) -> list[int]:
        step = self.step or 1
        n = self._values_count()
        if n <= points:
            return [int(self.low + k * step) for k in range(n)]
        if points == 1:
            return [self.from_unit(0.5)]
        return _dedup([int(self.low + round(i * (n - 1) / (points - 1)) * step) for i in range(points)])


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
        lo, hi = math.log(self.low - 0.5 + 1e-9), math.log(self.high + 0.5)
        x = math.exp(lo + _clip_unit(u) * (hi - lo))
        x = min(max(round(x), self.low), self.high)
        if self.step is not None:
            x = int(self._quantise(x))
        return int(x)

    def to_unit(self, value: Any) -> float:
        lo, hi = math.log(self.low - 0.5 + 1e-9), math.log(self.high + 0.5)
        return _clip_unit((math.log(max(float(value), 1e-9)) - lo) / (hi - lo))

    def grid(self, points: int) -> list[int]:
        if self._values_count() <= points or points == 1:
            return super().grid(points)
        lo, hi = math.log(self.low), math.log(self.high)
        values = [round(math.exp(lo + i * (hi - lo) / (points - 1))) for i in range(points)]
        if self.step is not None:
            values = [int(self._quantise(v)) for v in values]
        return _dedup(values)


@dataclass(frozen=True)
class Choice(Distribution):
    """``choice(a, b, ...)`` or ``[a, b, ...]``: one of a list of literal values."""

    options: tuple = ()
    kind = "choice"
    discrete = True
    numeric = False

    def __post_init__(self) -> None:
        if len(self.options) == 0:
            raise SpaceError("choice needs at least one value, but got none")
        seen: list[Any] = []
        for value in self.options:
            if any(same_value(value, other) for other in seen):
                raise SpaceError(f"choice lists {value!r} more than once", _FIX_ONCE)
            seen.append(value)

    def cardinality(self) -> float:
        return len(self.options)

    def from_unit(self, u: float) -> Any:
        n = len(self.options)
        return self.options[min(int(_clip_unit(u) * n), n - 1)]

    def index(self, value: Any) -> int:
        """The position of ``value`` among the options (``ValueError`` when it is none of them)."""
        for i, option in enumerate(self.options):
            if same_value(option, value):
                return i
        raise ValueError(f"{value!r} is not one of {self.describe()}")

    def to_unit(self, value: Any) -> float:
        return (self.index(value) + 0.5) / len(self.options)

    def contains(self, value: Any) -> bool:
        return any(same_value(option, value) for option in self.options)

    def grid(self, points: int) -> list[Any]:
        return list(self.options)

    def describe(self) -> str:
        return "choice(" + ", ".join(repr(v) for v in self.options) + ")"


@dataclass(frozen=True)
class Normal(Distribution):
    """``normal(mu, sigma)``: an unbounded float with a Gaussian prior."""

    mu: float
    sigma: float
    kind = "normal"

    def __post_init__(self) -> None:
        if not (math.isfinite(self.mu) and math.isfinite(self.sigma)):
            raise SpaceError(f"mu and sigma must be finite, but got mu={self.mu!r}, sigma={self.sigma!r}")
        if not self.sigma > 0:
            raise SpaceError(f"`sigma > 0` must hold, but got sigma={fmt_arg(self.sigma)}")

    def from_unit(self, u: float) -> float:
        u = min(max(float(u), _EPS), 1 - _EPS)
        return float(self.mu + self.sigma * _STD_NORMAL.inv_cdf(u))

    def to_unit(self, value: Any) -> float:
        return _STD_NORMAL.cdf((float(value) - self.mu) / self.sigma)

    def contains(self, value: Any) -> bool:
        return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)

    def grid(self, points: int) -> list[float]:
        # Evenly spaced quantiles of the prior, away from the infinite tails.
        return [self.from_unit((i + 0.5) / points) for i in range(points)]

    def describe(self) -> str:
        return f"{self.kind}({fmt_arg(self.mu)}, {fmt_arg(self.sigma)})"


@dataclass(frozen=True)
class LogNormal(Normal):
    """``lognormal(mu, sigma)``: a positive float whose logarithm is ``normal(mu, sigma)``."""

    kind = "lognormal"
    log = True

    def from_unit(self, u: float) -> float:
        return float(math.exp(super().from_unit(u)))

    def to_unit(self, value: Any) -> float:
        return super().to_unit(math.log(max(float(value), 1e-300)))

    def contains(self, value: Any) -> bool:
        return super().contains(value) and value > 0


DISTRIBUTIONS: dict[str, type[Distribution]] = {
    cls.kind: cls for cls in (Uniform, LogUniform, Int, LogInt, Choice, Normal, LogNormal)
}


def same_value(a: Any, b: Any) -> bool:
    """Equality of two literal values that keeps ``True``, ``1`` and ``1.0`` apart (they are different choices)."""
    return type(a) is type(b) and a == b


def _dedup(values: list[Any]) -> list[Any]:
    out: list[Any] = []
    for v in values:
        if not any(same_value(v, o) for o in out):
            out.append(v)
    return out


def distribution_from_json(data: dict[str, Any]) -> Distribution:
    """The distribution :meth:`Distribution.to_json` described."""
    data = dict(data)
    cls = DISTRIBUTIONS[data.pop("kind")]
    if cls is Choice:
        return Choice(tuple(codec.decode(data["options"])))
    return cls(**data)
