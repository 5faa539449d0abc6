"""What a search optimises: one objective or several, each with a direction, and constraints.

A :class:`Goal` is the value type every layer reads instead of a bare direction.  A search of
one objective has ``Goal.single(direction)``: one unnamed :class:`Objective` (the cell's value,
or ``--metric``) and no constraints, and behaves exactly as before goals existed.  With several
objectives (``--maximize accuracy --minimize fit_time``) each objective is named: a key of the
dict the cell returns, or a variable the cell sets.  A :class:`Constraint` (``--constraint
"latency <= 20"``) is a limit on a returned metric or a variable, for one objective or several.

What a trial produced is read from its record (:class:`hpmagic.core.Trial`): ``values`` holds
the objectives' values in the goal's order (``(value,)`` for one objective), ``constraints`` the
constrained quantities in the goal's order.  :meth:`Goal.losses` turns the values so that lower
is always better, :meth:`Goal.violations` says by how much each limit is broken (0 when it
holds), :meth:`Goal.feasible` whether every limit holds.  This module imports only the leaves.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any, Literal

from .core import Direction, Trial, TrialState
from .errors import OptionError

__all__ = ["Objective", "Constraint", "Goal"]

_CONSTRAINT = re.compile(r"^\s*([A-Za-z_][A-Za-z_0-9.\-]*)\s*(<=|>=)\s*(\S+)\s*$")


@dataclass(frozen=True)
class Objective:
    """One objective: ``name`` (``None`` for the cell's value) and its ``direction``."""

    name: str | None
    direction: Direction = Direction.MINIMIZE

    def __post_init__(self) -> None:
        if not isinstance(self.direction, Direction):
            object.__setattr__(self, "direction", Direction(self.direction))

    @property
    def label(self) -> str:
        """The name the summary shows (``"value"`` for the cell's value)."""
        return self.name or "value"


@dataclass(frozen=True)
class Constraint:
    """A limit on a metric or a variable: ``name op bound``, with ``op`` one of ``<=`` and ``>=``."""

    name: str
    op: Literal["<=", ">="]
    bound: float

    @classmethod
    def parse(cls, text: object) -> Constraint:
        """``"latency <= 20"`` as a constraint, or :class:`~hpmagic.errors.OptionError` saying why not."""
        example = 'for example --constraint "latency <= 20" or --constraint "accuracy >= 0.9"'
        if not isinstance(text, str):
            raise OptionError(f"a constraint is a text such as 'latency <= 20', but got {text!r}; {example}")
        match = _CONSTRAINT.match(text)
        if match is None:
            raise OptionError(
                f"cannot read the constraint {text!r}: write NAME <= NUMBER or NAME >= NUMBER "
                f"(NAME a returned metric or a variable the cell sets); {example}"
            )
        name, op, bound_text = match.groups()
        try:
            bound = float(bound_text)
        except ValueError:
            raise OptionError(
                f"the limit of the constraint {text!r} must be a number, but got {bound_text!r}; {example}"
            ) from None
        if not math.isfinite(bound):
            raise OptionError(f"the limit of the constraint {text!r} must be a finite number; {example}")
        return cls(name, op, bound)  # type: ignore[arg-type]

    def violation(self, value: float | None) -> float:
        """How far ``value`` breaks the limit: 0 when it holds, ``inf`` when it is missing or not a number."""
        if value is None or not math.isfinite(value):
            return math.inf
        excess = value - self.bound if self.op == "<=" else self.bound - value
        return max(0.0, excess)

    def __str__(self) -> str:
        return f"{self.name} {self.op} {self.bound:g}"


@dataclass(frozen=True)
class Goal:
    """What a search optimises: ``objectives`` (one or more) and ``constraints`` (any number)."""

    objectives: tuple[Objective, ...]
    constraints: tuple[Constraint, ...] = ()

    def __post_init__(self) -> None:
        if not self.objectives:
            raise OptionError("a search needs at least one objective")
        names = [o.name for o in self.objectives]
        if len(self.objectives) > 1 and any(n is None for n in names):
            raise OptionError("with several objectives each must be named: --maximize NAME / --minimize NAME")
        duplicates = sorted({n for n in names if n is not None and names.count(n) > 1})
        if duplicates:
            raise OptionError(f"the objective {duplicates[0]!r} is given twice; name each objective once")

    @classmethod
    def single(cls, direction: Direction | str = Direction.MINIMIZE, constraints: tuple[Constraint, ...] = ()) -> Goal:
        """The goal of a one-objective search: the cell's value, in ``direction``."""
        return cls((Objective(None, Direction(direction)),), tuple(constraints))

    @property
    def multi(self) -> bool:
        """True with several objectives."""
        return len(self.objectives) > 1

    @property
    def direction(self) -> Direction:
        """The first objective's direction (the only one of a one-objective search)."""
        return self.objectives[0].direction

    @property
    def directions(self) -> tuple[Direction, ...]:
        """Each objective's direction, in order."""
        return tuple(o.direction for o in self.objectives)

    @property
    def names(self) -> tuple[str, ...]:
        """Each objective's label (``"value"`` for the cell's value), in order."""
        return tuple(o.label for o in self.objectives)

    def values(self, trial: Trial) -> tuple[float, ...] | None:
        """The objectives' values of a complete trial, in order; ``None`` otherwise."""
        if trial.state is not TrialState.COMPLETE:
            return None
        if trial.values:
            return tuple(trial.values)
        return None if trial.value is None else (trial.value,)

    def losses(self, trial: Trial) -> tuple[float, ...] | None:
        """:meth:`values` turned so that lower is always better; ``None`` unless the trial completed."""
        values = self.values(trial)
        if values is None:
            return None
        return tuple(d.loss(v) for d, v in zip(self.directions, values, strict=True))

    def violations(self, trial: Trial) -> tuple[float, ...]:
        """By how much the trial breaks each constraint (0 where it holds), in order."""
        got = trial.constraints
        return tuple(c.violation(got[i] if i < len(got) else None) for i, c in enumerate(self.constraints))

    def feasible(self, trial: Trial) -> bool:
        """True when the trial completed and holds every constraint."""
        return trial.state is TrialState.COMPLETE and all(v == 0.0 for v in self.violations(trial))

    @property
    def plain(self) -> bool:
        """True for one objective without constraints (a search as it was before goals existed)."""
        return not self.multi and not self.constraints

    def to_json(self) -> dict[str, Any]:
        """The goal as JSON data (a study stores it): :meth:`from_json` reads it back."""
        return {
            "objectives": [{"name": o.name, "direction": o.direction.value} for o in self.objectives],
            "constraints": [{"name": c.name, "op": c.op, "bound": c.bound} for c in self.constraints],
        }

    @classmethod
    def from_json(cls, data: Any) -> Goal:
        """The goal :meth:`to_json` wrote; ``ValueError`` (or ``KeyError``, ``TypeError``) for other data."""
        objectives = tuple(Objective(o["name"], Direction(o["direction"])) for o in data["objectives"])
        constraints = []
        for c in data["constraints"]:
            if c["op"] not in ("<=", ">="):
                raise ValueError(f"unknown constraint operator {c['op']!r}")
            constraints.append(Constraint(str(c["name"]), c["op"], float(c["bound"])))
        return cls(objectives, tuple(constraints))

    def describe(self) -> str:
        """One line for the summary: ``"maximize accuracy, minimize fit_time; subject to latency <= 20"``."""
        text = ", ".join(f"{o.direction} {o.label}" for o in self.objectives)
        if self.constraints:
            text += "; subject to " + ", ".join(str(c) for c in self.constraints)
        return text
