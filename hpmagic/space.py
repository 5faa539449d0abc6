"""Search spaces: parameters, their conditions, sampling, grids, JSON and what changed.

A :class:`SearchSpace` is an ordered tuple of parameters (:class:`Parameter`), each a name, a
distribution (:mod:`hpmagic.distributions`), the cell's default and an optional
:class:`Condition`: a small expression tree over earlier parameters, evaluated by this
module, never Python code.  :meth:`SearchSpace.diff` says what changed between two spaces
(a stored study's and the cell's).

The distributions are re-exported here, so ``from hpmagic.space import Uniform, Choice``
keeps working.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from . import codec
from .distributions import (
    DISTRIBUTIONS,
    Choice,
    Distribution,
    Int,
    LogInt,
    LogNormal,
    LogUniform,
    Normal,
    Uniform,
    distribution_from_json,
    same_value,
)
from .errors import SpaceError

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
    "Condition",
    "Parameter",
    "SearchSpace",
    "SpaceError",
    "treatment",
]

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
        return same_value(a, b)
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return a == b
    return same_value(a, b)


@dataclass(frozen=True)
class Condition:
    """A condition tree: ``("cmp", name, op, literal)``, ``("and", a, b, ...)``,
    ``("or", a, b, ...)`` or ``("not", a)``.  ``text`` keeps the annotation's wording."""

    tree: tuple
    text: str = ""

    def names(self) -> set[str]:
        """The parameters the condition reads."""
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
        """``{"tree": [...], "text": ...}``, literals through the JSON codec."""

        def enc(node: tuple) -> list:
            if node[0] == "cmp":
                return ["cmp", node[1], node[2], codec.encode(node[3])]
            return [node[0], *[enc(c) for c in node[1:]]]

        return {"tree": enc(self.tree), "text": self.text}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Condition:
        """The condition :meth:`to_json` described."""

        def dec(node: list) -> tuple:
            if node[0] == "cmp":
                return ("cmp", node[1], node[2], codec.decode(node[3]))
            return (node[0], *[dec(c) for c in node[1:]])

        return cls(dec(data["tree"]), data.get("text", ""))


# ---------------------------------------------------------------------------------------
# Parameters and spaces
# ---------------------------------------------------------------------------------------


_SCALES = {"log": "log scale", "linear": "linear scale", "rank": "evenly spaced by rank"}


def treatment(dist: Distribution) -> str:
    """How strategies treat ``dist``, in words: ``6 values, ordinal, log scale``,
    ``5 choices, categorical``, ``continuous, log scale``, ``integer``, ``11 steps``."""
    if isinstance(dist, Choice):
        n = len(dist.options)
        if dist.ordered:
            return f"{n} values, ordinal, {_SCALES[dist.scale]}"
        return f"{n} choice{'s' if n != 1 else ''}, categorical"
    log = ", log scale" if dist.log else ""
    if isinstance(dist, Int):
        return "integer" + log
    if isinstance(dist, Uniform) and dist.step is not None:
        return f"{int(dist.cardinality())} steps"
    if isinstance(dist, Normal):
        return f"continuous, {dist.kind} prior"
    return "continuous" + log


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
        """True when the cell's default is a value of the distribution."""
        try:
            return bool(self.distribution.contains(self.default))
        except Exception:
            return False

    def describe(self) -> str:
        """``uniform(0, 1) if kernel == 'rbf'``: the annotation's right-hand side."""
        text = self.distribution.describe()
        if self.condition is not None:
            text += f" if {self.condition.text}"
        return text

    def treatment(self) -> str:
        """How strategies treat the parameter, for the summary: ``6 values, ordinal, log scale``."""
        return treatment(self.distribution)

    def to_json(self) -> dict[str, Any]:
        """The parameter as JSON: its default and its condition's literals through the JSON codec."""
        return {
            "name": self.name,
            "distribution": self.distribution.to_json(),
            "default": codec.encode(self.default),
            "condition": self.condition.to_json() if self.condition else None,
            "line": self.line,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Parameter:
        """The parameter :meth:`to_json` described."""
        return cls(
            name=data["name"],
            distribution=distribution_from_json(data["distribution"]),
            default=codec.decode(data["default"]),
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
        """The parameters' names, in order."""
        return [p.name for p in self.parameters]

    @property
    def conditional(self) -> bool:
        """True when some parameter has a condition."""
        return any(p.condition is not None for p in self.parameters)

    @property
    def discrete(self) -> bool:
        """True when every parameter has finitely many values."""
        return all(p.distribution.discrete for p in self.parameters)

    def is_active(self, param: Parameter, config: dict[str, Any]) -> bool:
        """True when ``param`` applies, given the earlier values of ``config``."""
        return param.condition is None or param.condition.evaluate(config)

    def build(self, value_of: Callable[[Parameter], Any]) -> dict[str, Any]:
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

    def sample(self, rng: Any) -> dict[str, Any]:
        """A random configuration, drawn with ``rng`` (anything with ``random()``)."""
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
        """The space as JSON: one object per parameter (what a study file stores)."""
        return [p.to_json() for p in self.parameters]

    @classmethod
    def from_json(cls, data: list[dict[str, Any]]) -> SearchSpace:
        """The space :meth:`to_json` described."""
        return cls(tuple(Parameter.from_json(d) for d in data))

    def diff(self, other: SearchSpace) -> list[str]:
        """What changed from this space to ``other``, one phrase per change; empty when
        nothing that matters did (lines and comments may move).

        ``self`` is the earlier space (a stored study's), ``other`` the later one (the
        cell's): a parameter added or removed, a new distribution or condition.  A new
        default is not a new space (the values searched are the same: ``--write-back``
        writes the best values in as defaults, and the study goes on);
        :meth:`changed_defaults` names them.
        """
        old = {p.name: p for p in self.parameters}
        new = {p.name: p for p in other.parameters}
        changes = [
            f"parameter {name!r} ({p.describe()}) is no longer tuned" for name, p in old.items() if name not in new
        ]
        for name, p in new.items():
            if name in old:
                changes.extend(_parameter_changes(old[name], p))
            else:
                changes.append(f"parameter {name!r} ({p.describe()}) is new")
        return changes

    def changed_defaults(self, other: SearchSpace) -> list[str]:
        """The parameters of both spaces whose default differs in ``other``, in its order
        (``1`` and ``1.0`` differ: the type of a value is part of it)."""
        old = {p.name: p for p in self.parameters}
        return [p.name for p in other.parameters if p.name in old and not same_value(old[p.name].default, p.default)]


def _parameter_changes(a: Parameter, b: Parameter) -> list[str]:
    """What changed in one parameter kept under the same name."""
    name = a.name
    changes = []
    if a.distribution.to_json() != b.distribution.to_json():
        changes.append(f"{name} was {a.distribution.describe()}, now {b.distribution.describe()}")
    tree_a = a.condition.to_json()["tree"] if a.condition else None
    tree_b = b.condition.to_json()["tree"] if b.condition else None
    if tree_a != tree_b:
        was = f"if {a.condition.text}" if a.condition else "unconditional"
        now = f"if {b.condition.text}" if b.condition else "unconditional"
        changes.append(f"the condition of {name} was {was!r}, now {now!r}")
    return changes
