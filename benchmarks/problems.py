"""What every quality benchmark shares: a problem as hpmagic, Optuna and hyperopt each run it, and
Branin (quality.py and quality_parallel.py both use them; neither imports the other's module for it)."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Problem:
    """One benchmark problem, written once for each library."""

    name: str
    cell: str  # hpmagic cell: annotated assignments, then `objective(dict(...))`
    objective: Callable[[dict[str, Any]], float]
    optuna: Callable[[Any], dict[str, Any]]  # trial -> params (define-by-run)
    hyperopt: Callable[[], Any]  # -> hyperopt space whose samples are params dicts
    optimum: float | None = None  # known optimum; None: the best any method found
    costly: bool = False
    calls: int = field(default=0)


def make_cell(lines: list[str], names: list[str]) -> str:
    """An hpmagic cell: the annotated assignments, then ``objective(dict(...))`` of the tuned names."""
    return "\n".join(lines) + "\nobjective(dict(" + ", ".join(f"{n}={n}" for n in names) + "))\n"


def branin_fn(p):
    """The Branin function at ``p["x1"], p["x2"]``."""
    x1, x2 = p["x1"], p["x2"]
    b, c, t = 5.1 / (4 * math.pi**2), 5 / math.pi, 1 / (8 * math.pi)
    return (x2 - b * x1**2 + c * x1 - 6) ** 2 + 10 * (1 - t) * math.cos(x1) + 10
