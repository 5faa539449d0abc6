"""The problems of ``benchmarks/multiobjective.py``: several objectives, some with a constraint.

Each :class:`MOProblem` evaluates a configuration to its objectives' values (in the problem's
directions) and its constrained quantities, and fixes its reference point up front, in losses
(lower better: a maximised objective's loss is minus its value).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np

from hpmagic.objectives import Constraint, Goal, Objective
from hpmagic.space import Choice, Int, LogInt, LogUniform, Parameter, SearchSpace, Uniform


@dataclass
class MOProblem:
    name: str
    space: SearchSpace
    goal: Goal
    evaluate: Callable[[dict[str, Any]], tuple[tuple[float, ...], tuple[float, ...]]]  # -> (values, constraints)
    optuna: Callable[[Any], dict[str, Any]]  # optuna trial -> params (define-by-run)
    reference: tuple[float, ...]  # in losses
    trials: int
    best: float | None = None  # the best possible hypervolume, when known
    about: str = ""


def _floats(names: list[str], low: float = 0.0, high: float = 1.0) -> SearchSpace:
    return SearchSpace(tuple(Parameter(n, Uniform(low, high), (low + high) / 2) for n in names))


def _optuna_floats(names: list[str], low: float = 0.0, high: float = 1.0) -> Callable[[Any], dict[str, Any]]:
    return lambda trial: {n: trial.suggest_float(n, low, high) for n in names}


def _minimize(*names: str) -> tuple[Objective, ...]:
    return tuple(Objective(n, "minimize") for n in names)


# -- BraninCurrin (as BoTorch defines it: both minimised, x in [0, 1]^2) ---------------------


def branin_currin(p: dict[str, Any]) -> tuple[tuple[float, ...], tuple[float, ...]]:
    x0, x1 = p["x0"], p["x1"]
    u, v = 15 * x0 - 5, 15 * x1
    branin = (
        (v - 5.1 / (4 * math.pi**2) * u**2 + 5 / math.pi * u - 6) ** 2 + 10 * (1 - 1 / (8 * math.pi)) * math.cos(u) + 10
    )
    factor = 1.0 if x1 == 0 else 1 - math.exp(-1 / (2 * x1))
    currin = factor * (2300 * x0**3 + 1900 * x0**2 + 2092 * x0 + 60) / (100 * x0**3 + 500 * x0**2 + 4 * x0 + 20)
    return (branin, currin), ()


# -- ZDT1 with 30 parameters ------------------------------------------------------------------

ZDT1_NAMES = [f"x{i}" for i in range(30)]


def zdt1(p: dict[str, Any]) -> tuple[tuple[float, ...], tuple[float, ...]]:
    x = np.array([p[n] for n in ZDT1_NAMES])
    g = 1 + 9 * x[1:].sum() / (len(x) - 1)
    f1 = float(x[0])
    return (f1, float(g * (1 - math.sqrt(f1 / g)))), ()


# -- DTLZ2 and C2-DTLZ2 (three objectives, six parameters) ---------------------------------------

DTLZ_NAMES = [f"x{i}" for i in range(6)]
C2_RADIUS = 0.4  # Jain and Deb's radius for three objectives


def _dtlz2_values(p: dict[str, Any], m: int = 3) -> np.ndarray:
    x = np.array([p[n] for n in DTLZ_NAMES])
    g = float(((x[m - 1 :] - 0.5) ** 2).sum())
    angles = x[: m - 1] * math.pi / 2
    f = np.full(m, 1 + g)
    for i in range(m):
        f[i] *= np.prod(np.cos(angles[: m - 1 - i]))
        if i > 0:
            f[i] *= math.sin(angles[m - 1 - i])
    return f


def dtlz2(p: dict[str, Any]) -> tuple[tuple[float, ...], tuple[float, ...]]:
    return tuple(float(v) for v in _dtlz2_values(p)), ()


def c2_dtlz2(p: dict[str, Any]) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """DTLZ2 with C2's constraint: ``slack >= 0`` near a corner of the front or near its centre."""
    f = _dtlz2_values(p)
    m, r2 = len(f), C2_RADIUS**2
    total = float((f**2).sum())
    corners = max(r2 - ((f[i] - 1) ** 2 + total - f[i] ** 2) for i in range(m))
    centre = r2 - float(((f - 1 / math.sqrt(m)) ** 2).sum())
    return tuple(float(v) for v in f), (max(corners, centre),)


# -- a real scikit-learn workload: a decision tree on the digits, accuracy against size ---------

TREE_SPACE = SearchSpace(
    (
        Parameter("max_depth", Int(1, 20), 5),
        Parameter("min_samples_leaf", LogInt(1, 64), 1),
        Parameter("max_features", Uniform(0.05, 1.0), 1.0),
        Parameter("ccp_alpha", LogUniform(1e-5, 0.1), 1e-3),
        Parameter("criterion", Choice(("gini", "entropy")), "gini"),
    )
)


@cache
def _digits() -> tuple[Any, Any]:
    from sklearn.datasets import load_digits

    return load_digits(return_X_y=True)


def tree_digits(p: dict[str, Any]) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """3-fold cross-validated accuracy (maximised) and the mean number of tree nodes (minimised);
    the tree's seed is fixed, so a configuration always gives the same two numbers."""
    from sklearn.model_selection import KFold, cross_validate
    from sklearn.tree import DecisionTreeClassifier

    X, y = _digits()
    model = DecisionTreeClassifier(random_state=0, **p)
    out = cross_validate(model, X, y, cv=KFold(3, shuffle=True, random_state=0), return_estimator=True)
    nodes = float(np.mean([e.tree_.node_count for e in out["estimator"]]))
    return (float(np.mean(out["test_score"])), nodes), ()


def _tree_optuna(trial: Any) -> dict[str, Any]:
    return {
        "max_depth": trial.suggest_int("max_depth", 1, 20),
        "min_samples_leaf": trial.suggest_int("min_samples_leaf", 1, 64, log=True),
        "max_features": trial.suggest_float("max_features", 0.05, 1.0),
        "ccp_alpha": trial.suggest_float("ccp_alpha", 1e-5, 0.1, log=True),
        "criterion": trial.suggest_categorical("criterion", ["gini", "entropy"]),
    }


def problems() -> dict[str, MOProblem]:
    return {
        "branincurrin": MOProblem(
            "branincurrin",
            _floats(["x0", "x1"]),
            Goal(_minimize("branin", "currin")),
            branin_currin,
            _optuna_floats(["x0", "x1"]),
            (18.0, 6.0),
            86,
            best=59.36,
            about="2 parameters, no noise",
        ),
        "zdt1": MOProblem(
            "zdt1",
            _floats(ZDT1_NAMES),
            Goal(_minimize("f1", "f2")),
            zdt1,
            _optuna_floats(ZDT1_NAMES),
            (11.0, 11.0),
            200,
            best=121 - 1 / 3,
            about="30 parameters",
        ),
        "dtlz2": MOProblem(
            "dtlz2",
            _floats(DTLZ_NAMES),
            Goal(_minimize("f1", "f2", "f3")),
            dtlz2,
            _optuna_floats(DTLZ_NAMES),
            (1.1, 1.1, 1.1),
            100,
            best=1.1**3 - math.pi / 6,
            about="3 objectives, 6 parameters",
        ),
        "c2dtlz2": MOProblem(
            "c2dtlz2",
            _floats(DTLZ_NAMES),
            Goal(_minimize("f1", "f2", "f3"), (Constraint("slack", ">=", 0.0),)),
            c2_dtlz2,
            _optuna_floats(DTLZ_NAMES),
            (1.1, 1.1, 1.1),
            100,
            about=f"3 objectives, 6 parameters, feasible near the corners and the centre (r={C2_RADIUS})",
        ),
        "tree-digits": MOProblem(
            "tree-digits",
            TREE_SPACE,
            Goal((Objective("accuracy", "maximize"), Objective("nodes", "minimize"))),
            tree_digits,
            _tree_optuna,
            (0.0, 400.0),
            60,
            about="decision tree on the digits: 3-fold accuracy against node count, 5 parameters",
        ),
    }
