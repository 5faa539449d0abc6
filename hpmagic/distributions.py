"""Search spaces: validated distributions, conditions, sampling and JSON round-trips.

Everything here is plain data.  A :class:`Distribution` knows its bounds, how to turn a
point of the unit interval into a value (``from_unit``, used by random and quasi-random
sampling and by model-based strategies), how to turn a value back (``to_unit``) and how
to list a finite grid of values.  A :class:`Condition` is a small expression tree over
earlier parameters, evaluated by this module: it is never Python code.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from statistics import NormalDist
from typing import Any

__all__ = [
    "Distribution",
    "Uniform",
    "LogUniform",
    "Int",
    "LogInt",
    "Choice",
    "Normal",
    "LogNormal",
    "Condition",
    "Parameter",
    "SearchSpace",
    "SpaceError",
]

_EPS = 1e-12
_STD_NORMAL = NormalDist()


class SpaceError(ValueError):
    """A distribution's arguments break one of its rules (``low < high``, ...)."""


def _clip_unit(u: float) -> float:
    return min(max(float(u), 0.0), 1.0)


# ---------------------------------------------------------------------------------------
# Distributions
# ---------------------------------------------------------------------------------------


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
        raise NotImplementedError

    def to_unit(self, value: Any) -> float:  # pragma: no cover - abstract
        raise NotImplementedError

    def grid(self, points: int) -> list[Any]:  # pragma: no cover - abstract
        raise NotImplementedError

    def contains(self, value: Any) -> bool:  # pragma: no cover - abstract
        raise NotImplementedError

    def cardinality(self) -> float:
        """Number of distinct values (``math.inf`` for continuous distributions)."""
        return math.inf

    def sample(self, rng) -> Any:
        """Draw one value with a ``numpy.random.Generator`` (or anything with ``random()``)."""
        return self.from_unit(rng.random())

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"kind": self.kind}
        for name in self.__dataclass_fields__:  # type: ignore[attr-defined]
            value = getattr(self, name)
            if name == "options":
                value = [_literal_to_json(v) for v in value]
            data[name] = value
        return data

    def __str__(self) -> str:
        return self.describe()

    def describe(self) -> str:  # pragma: no cover - abstract
        raise NotImplementedError


def _fmt(x: Any) -> str:
    if isinstance(x, float):
        return f"{x:g}"
    return repr(x)


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
                f"`low < high` must hold, but got low={_fmt(self.low)}, high={_fmt(self.high)}"
            )
        if self.step is not None and not (math.isfinite(self.step) and self.step > 0):
            raise SpaceError(f"`step` must be a positive number, but got step={_fmt(self.step)}")

    def describe(self) -> str:
        step = f", step={_fmt(self.step)}" if self.step is not None else ""
        return f"{self.kind}({_fmt(self.low)}, {_fmt(self.high)}{step})"

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
        return value if isinstance(value, int) else float(f"{value:.12g}")

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
                f"loguniform needs `0 < low`, but got low={_fmt(self.low)}"
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
                raise SpaceError(f"{self.kind} needs whole numbers, but got {name}={_fmt(value)}")
            if value is not None:
                object.__setattr__(self, name, int(value))
        super().__post_init__()

    def _values_count(self) -> int:
        return self._n_steps() + 1 if self.step is not None else self.high - self.low + 1

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
            return [self.low + k * step for k in range(n)]
        return _dedup([self.low + round(i * (n - 1) / (points - 1)) * step for i in range(points)])


@dataclass(frozen=True)
class LogInt(Int):
    """``logint(low, high[, step=q])``: an integer whose logarithm is uniform; ``1 <= low``."""

    kind = "logint"
    log = True

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.low < 1:
            raise SpaceError(
                f"logint needs `1 <= low`, but got low={_fmt(self.low)}"
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
        if self._values_count() <= points:
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
            if any(_same(value, other) for other in seen):
                raise SpaceError(f"choice lists {value!r} more than once")
            seen.append(value)

    def cardinality(self) -> float:
        return len(self.options)

    def from_unit(self, u: float) -> Any:
        n = len(self.options)
        return self.options[min(int(_clip_unit(u) * n), n - 1)]

    def index(self, value: Any) -> int:
        for i, option in enumerate(self.options):
            if _same(option, value):
                return i
        raise ValueError(f"{value!r} is not one of {self.describe()}")

    def to_unit(self, value: Any) -> float:
        return (self.index(value) + 0.5) / len(self.options)

    def contains(self, value: Any) -> bool:
        return any(_same(option, value) for option in self.options)

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
            raise SpaceError(f"`sigma > 0` must hold, but got sigma={_fmt(self.sigma)}")

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
        return f"{self.kind}({_fmt(self.mu)}, {_fmt(self.sigma)})"


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


def _same(a: Any, b: Any) -> bool:
    """Equality that keeps ``True``, ``1`` and ``1.0`` apart (they are different choices)."""
    return type(a) is type(b) and a == b


def _dedup(values: list[Any]) -> list[Any]:
    out: list[Any] = []
    for v in values:
        if not any(_same(v, o) for o in out):
            out.append(v)
    return out


def _literal_to_json(value: Any) -> Any:
    if isinstance(value, tuple):
        return {"tuple": [_literal_to_json(v) for v in value]}
    return value


def _literal_from_json(value: Any) -> Any:
    if isinstance(value, dict) and set(value) == {"tuple"}:
        return tuple(_literal_from_json(v) for v in value["tuple"])
    return value


def distribution_from_json(data: dict[str, Any]) -> Distribution:
    data = dict(data)
    cls = DISTRIBUTIONS[data.pop("kind")]
    if cls is Choice:
        return Choice(tuple(_literal_from_json(v) for v in data["options"]))
    return cls(**data)


# ---------------------------------------------------------------------------------------
# Conditions
# ---------------------------------------------------------------------------------------

_COMPARE = {
    "==": lambda a, b: _same_or_numeric_eq(a, b),
    "!=": lambda a, b: not _same_or_numeric_eq(a, b),
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
    "in": lambda a, b: any(_same_or_numeric_eq(a, x) for x in b),
    "not in": lambda a, b: not any(_same_or_numeric_eq(a, x) for x in b),
    "truthy": lambda a, _: bool(a),
}


def _same_or_numeric_eq(a: Any, b: Any) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return _same(a, b)
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return a == b
    return _same(a, b)


@dataclass(frozen=True)
class Condition:
    """A condition tree: ``("cmp", name, op, literal)``, ``("and", a, b, ...)``,
    ``("or", a, b, ...)`` or ``("not", a)``.  ``text`` keeps the annotation's wording."""

    tree: tuple
    text: str = ""

    def names(self) -> set[str]:
        out: set[str] = set()

        def walk(node: tuple) -> None:
            if node[0] == "cmp":
                out.add(node[1])
            else:
                for child in node[1:]:
                    walk(child)

        walk(self.tree)
        return out

    def evaluate(self, config: dict[str, Any]) -> bool:
        """True when the condition holds; False when it fails or names an inactive parameter."""

        def ev(node: tuple) -> bool:
            op = node[0]
            if op == "cmp":
                _, name, cmp, literal = node
                if name not in config:
                    return False
                try:
                    return bool(_COMPARE[cmp](config[name], literal))
                except TypeError:  # e.g. "rbf" < 3: a comparison that cannot hold
                    return False
            if op == "and":
                return all(ev(c) for c in node[1:])
            if op == "or":
                return any(ev(c) for c in node[1:])
            if op == "not":
                return not ev(node[1])
            raise ValueError(f"unknown condition node {op!r}")

        return ev(self.tree)

    def to_json(self) -> dict[str, Any]:
        def enc(node: tuple) -> list:
            if node[0] == "cmp":
                return ["cmp", node[1], node[2], _literal_to_json(node[3])]
            return [node[0], *[enc(c) for c in node[1:]]]

        return {"tree": enc(self.tree), "text": self.text}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Condition:
        def dec(node: list) -> tuple:
            if node[0] == "cmp":
                return ("cmp", node[1], node[2], _literal_from_json(node[3]))
            return (node[0], *[dec(c) for c in node[1:]])

        return cls(dec(data["tree"]), data.get("text", ""))


# ---------------------------------------------------------------------------------------
# Parameters and spaces
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Parameter:
    """One tuned name: its distribution, the cell's default and an optional condition."""

    name: str
    distribution: Distribution
    default: Any
    condition: Condition | None = None
    line: int = 0  # line of the annotation in the cell (1-based), 0 when built in code

    @property
    def default_in_range(self) -> bool:
        try:
            return bool(self.distribution.contains(self.default))
        except Exception:
            return False

    def describe(self) -> str:
        text = self.distribution.describe()
        if self.condition is not None:
            text += f" if {self.condition.text}"
        return text

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "distribution": self.distribution.to_json(),
            "default": _literal_to_json(self.default),
            "condition": self.condition.to_json() if self.condition else None,
            "line": self.line,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Parameter:
        return cls(
            name=data["name"],
            distribution=distribution_from_json(data["distribution"]),
            default=_literal_from_json(data["default"]),
            condition=Condition.from_json(data["condition"]) if data.get("condition") else None,
            line=data.get("line", 0),
        )


@dataclass(frozen=True)
class SearchSpace:
    """An ordered collection of parameters; conditions only name earlier parameters."""

    parameters: tuple[Parameter, ...] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        seen: set[str] = set()
        for p in self.parameters:
            if p.name in seen:
                raise SpaceError(f"parameter {p.name!r} is defined twice")
            if p.condition is not None:
                unknown = p.condition.names() - seen
                if unknown:
                    raise SpaceError(
                        f"the condition of {p.name!r} names {', '.join(sorted(unknown))}, "
                        "which must be tuned parameters defined before it"
                    )
            seen.add(p.name)

    def __iter__(self) -> Iterator[Parameter]:
        return iter(self.parameters)

    def __len__(self) -> int:
        return len(self.parameters)

    def __getitem__(self, name: str) -> Parameter:
        for p in self.parameters:
            if p.name == name:
                return p
        raise KeyError(name)

    @property
    def names(self) -> list[str]:
        return [p.name for p in self.parameters]

    @property
    def conditional(self) -> bool:
        return any(p.condition is not None for p in self.parameters)

    @property
    def discrete(self) -> bool:
        return all(p.distribution.discrete for p in self.parameters)

    def is_active(self, param: Parameter, config: dict[str, Any]) -> bool:
        return param.condition is None or param.condition.evaluate(config)

    def build(self, value_of) -> dict[str, Any]:
        """Make a configuration by asking ``value_of(param)`` for each active parameter, in order."""
        config: dict[str, Any] = {}
        for p in self.parameters:
            if self.is_active(p, config):
                config[p.name] = value_of(p)
        return config

    def defaults(self) -> dict[str, Any]:
        """The cell's own configuration: every active parameter at its written default."""
        return self.build(lambda p: p.default)

    def from_unit(self, point: Sequence[float]) -> dict[str, Any]:
        """Map a point of the unit cube (one coordinate per parameter) to a configuration."""
        coords = dict(zip(self.names, point))
        return self.build(lambda p: p.distribution.from_unit(coords[p.name]))

    def sample(self, rng) -> dict[str, Any]:
        return self.build(lambda p: p.distribution.sample(rng))

    def grid_size(self, points: int, limit: int = 10**6) -> int:
        """Number of grid configurations; counting stops past ``limit`` (then ``limit + 1``)."""
        if not self.conditional:
            return min(math.prod(len(p.distribution.grid(points)) for p in self.parameters), limit + 1)
        count = 0
        for _ in self.grid(points):
            count += 1
            if count > limit:
                break
        return count

    def grid(self, points: int) -> Iterator[dict[str, Any]]:
        """Every configuration of the grid, conditions respected (inactive names left out)."""
        values = {p.name: p.distribution.grid(points) for p in self.parameters}

        def extend(i: int, config: dict[str, Any]) -> Iterator[dict[str, Any]]:
            if i == len(self.parameters):
                yield dict(config)
                return
            p = self.parameters[i]
            if not self.is_active(p, config):
                yield from extend(i + 1, config)
                return
            for v in values[p.name]:
                config[p.name] = v
                yield from extend(i + 1, config)
            del config[p.name]

        return extend(0, {})

    def validate(self, config: dict[str, Any]) -> None:
        """Raise ``SpaceError`` when ``config`` does not fit the space (for custom strategies)."""
        expected = set()
        partial: dict[str, Any] = {}
        for p in self.parameters:
            if self.is_active(p, partial):
                expected.add(p.name)
                if p.name not in config:
                    raise SpaceError(f"configuration lacks active parameter {p.name!r}")
                partial[p.name] = config[p.name]
        extra = set(config) - expected
        if extra:
            raise SpaceError(f"configuration has parameters that are not active or not tuned: {sorted(extra)}")

    def to_json(self) -> list[dict[str, Any]]:
        return [p.to_json() for p in self.parameters]

    @classmethod
    def from_json(cls, data: list[dict[str, Any]]) -> SearchSpace:
        return cls(tuple(Parameter.from_json(d) for d in data))
