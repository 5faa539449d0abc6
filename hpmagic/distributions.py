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
"""

from __future__ import annotations

import math
import sys
from dataclasses import dataclass
from functools import cached_property
from statistics import NormalDist
from typing import Any

from . import codec, lists
from ._format import fmt_arg
from .errors import SpaceError
from .lists import dedup as _dedup
from .lists import is_whole as _is_whole
from .lists import same_value

__all__ = [
    "Distribution", "Uniform", "LogUniform", "Int", "LogInt", "Choice", "Normal", "LogNormal",
    "DISTRIBUTIONS", "distribution_from_json", "same_value",
]

_EPS = 1e-12
_STD_NORMAL = NormalDist()
_Z_MAX = _STD_NORMAL.inv_cdf(1 - _EPS)  # how far normal draws reach, in sigmas (u is clipped to [_EPS, 1 - _EPS])
_MAX_EXACT_INT = 2**53  # integers a float holds exactly (every strategy draws through floats)
_TINY = sys.float_info.min  # the smallest normal positive float
_LOG_TINY, _LOG_HUGE = math.log(sys.float_info.min), math.log(sys.float_info.max)

# The fixes of the rules more than one distribution shares.
_FIX_BOUNDS = "swap or correct the bounds so that low is below high"
_FIX_ONCE = "list each value once"


def _clip_unit(u: float) -> float:
    return min(max(float(u), 0.0), 1.0)


def _half_even(numerator: int, denominator: int) -> int:
    """``round(numerator / denominator)`` in exact integer arithmetic (half to even, as round)."""
    q, r = divmod(numerator, denominator)
    if 2 * r > denominator or (2 * r == denominator and q % 2 == 1):
        q += 1
    return q


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
        x = self.low + _clip_unit(u) * (self.high - self.low)
        if self.step is not None:
            x = self._quantise(x)
        return float(min(max(x, self.low), self.high))

    def to_unit(self, value: Any) -> float:
        """Where ``value`` lies from ``low`` (0) to ``high`` (1)."""
        return _clip_unit((float(value) - self.low) / (self.high - self.low))

    def grid(self, points: int) -> list[float]:
        """Every step when they fit in ``points``, else ``points`` values evenly from ``low`` to ``high``."""
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
        if self.low < _TINY:
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
            x = math.exp(lo + _clip_unit(u) * (hi - lo))
        except OverflowError:  # exp(log(high)) may round past the largest float
            x = self.high
        return float(min(max(x, self.low), self.high))

    def to_unit(self, value: Any) -> float:
        """Where ``value`` lies from ``low`` (0) to ``high`` (1), on a log scale."""
        lo, hi = math.log(self.low), math.log(self.high)
        return _clip_unit((math.log(max(float(value), self.low)) - lo) / (hi - lo))

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
            if isinstance(value, bool) or not _is_whole(value):
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
        k = min(int(_clip_unit(u) * n), n - 1)
        return int(self.low + k * step)

    def to_unit(self, value: Any) -> float:
        """The middle of ``value``'s share of the unit interval."""
        step = self.step or 1
        n = self._values_count()
        k = (float(value) - self.low) / step
        return _clip_unit((k + 0.5) / n)

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
        return _dedup([int(self.low + _half_even(i * (n - 1), points - 1) * step) for i in range(points)])


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
        x = math.exp(lo + _clip_unit(u) * (hi - lo))
        x = min(max(round(x), self.low), self.high)
        if self.step is not None:
            x = int(self._quantise(x))
        return int(x)

    def to_unit(self, value: Any) -> float:
        """Where ``value`` lies on the log scale :meth:`from_unit` reads."""
        lo, hi = math.log(self.low - 0.5 + 1e-9), math.log(self.high + 0.5)
        return _clip_unit((math.log(max(float(value), 1e-9)) - lo) / (hi - lo))

    def grid(self, points: int) -> list[int]:
        """``points`` integers evenly spaced on a log scale (every integer when they fit)."""
        if self._values_count() <= points or points == 1:
            return super().grid(points)
        lo, hi = math.log(self.low), math.log(self.high)
        values = [min(max(round(math.exp(lo + i * (hi - lo) / (points - 1))), self.low), self.high) for i in range(points)]
        if self.step is not None:
            values = [int(self._quantise(v)) for v in values]
        return _dedup(values)


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
        return self.order[min(int(_clip_unit(u) * n), n - 1)]

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
        if not (math.isfinite(self.mu - _Z_MAX * self.sigma) and math.isfinite(self.mu + _Z_MAX * self.sigma)):
            limit = (sys.float_info.max - abs(self.mu)) / _Z_MAX
            raise SpaceError(
                f"{self.describe()} draws values out to mu ± {_Z_MAX:.2f} sigma, which overflows a float",
                f"use a sigma below {limit:.3g}",
            )

    def from_unit(self, u: float) -> float:
        """The prior's quantile at ``u`` (kept off 0 and 1, whose quantiles are infinite)."""
        u = min(max(float(u), _EPS), 1 - _EPS)
        return float(self.mu + self.sigma * _STD_NORMAL.inv_cdf(u))

    def to_unit(self, value: Any) -> float:
        """The prior's cumulative probability at ``value``."""
        return _STD_NORMAL.cdf((float(value) - self.mu) / self.sigma)

    def contains(self, value: Any) -> bool:
        """True for any finite real number (a normal prior has no bounds)."""
        return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)

    def grid(self, points: int) -> list[float]:
        # Evenly spaced quantiles of the prior, away from the infinite tails.
        """``points`` evenly spaced quantiles of the prior, away from its infinite tails."""
        return [self.from_unit((i + 0.5) / points) for i in range(points)]

    def describe(self) -> str:
        """The annotation that writes this distribution, e.g. ``normal(0, 1)``."""
        return f"{self.kind}({fmt_arg(self.mu)}, {fmt_arg(self.sigma)})"


@dataclass(frozen=True)
class LogNormal(Normal):
    """``lognormal(mu, sigma)``: a positive float whose logarithm is ``normal(mu, sigma)``."""

    kind = "lognormal"
    log = True

    def __post_init__(self) -> None:
        super().__post_init__()
        low, high = self.mu - _Z_MAX * self.sigma, self.mu + _Z_MAX * self.sigma
        if _LOG_TINY <= low and high <= _LOG_HUGE:
            return
        beyond = f"up to exp({high:.4g}), beyond the largest float" if high > _LOG_HUGE else (
            f"down to exp({low:.4g}), below the smallest normal positive float")
        hint = f"for values around {fmt_arg(self.mu)}, write lognormal({math.log(self.mu):.3g}, ...); " if self.mu > 1 else ""
        raise SpaceError(
            f"{self.describe()} draws exp(normal({fmt_arg(self.mu)}, {fmt_arg(self.sigma)})), {beyond}",
            f"mu and sigma are those of the value's logarithm: {hint}keep mu ± {_Z_MAX:.2f} sigma within "
            f"[{_LOG_TINY:.1f}, {_LOG_HUGE:.1f}]",
        )

    def from_unit(self, u: float) -> float:
        """``exp`` of the normal quantile at ``u``."""
        return float(math.exp(super().from_unit(u)))

    def to_unit(self, value: Any) -> float:
        """The normal cumulative probability of ``log(value)``."""
        return super().to_unit(math.log(max(float(value), _TINY)))

    def contains(self, value: Any) -> bool:
        """True for a finite positive number."""
        return super().contains(value) and value > 0


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
