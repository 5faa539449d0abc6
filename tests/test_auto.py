"""``auto``: which strategy it picks for representative spaces, budgets and parallelism, and
that the summary says what it picked and why."""

from __future__ import annotations

import pytest

import hpmagic
from hpmagic.cell.parser import parse_cell
from hpmagic.strategies import auto
from hpmagic.strategies.base import StrategyContext

CONTINUOUS_2 = "C = 1.0  # tune: loguniform(1e-3, 1e3)\ng = 0.1  # tune: loguniform(1e-4, 1)\nC * g"
DISCRETE_SMALL = "k = 'a'  # tune: ['a', 'b', 'c']\nn = 2  # tune: int(1, 4)\nlen(k) * n"
CONDITIONAL = (
    "kind = 'rbf'  # tune: ['rbf', 'poly']\nC = 1.0  # tune: loguniform(1e-2, 1e2)\n"
    "degree = 3  # tune: int(2, 5) if kind == 'poly'\nC"
)
WIDE = "\n".join(f"x{i} = 0.0  # tune: uniform(0, 1)" for i in range(20)) + "\nx0"


def pick(cell, budget=50, jobs=1):
    return auto.pick(parse_cell(cell).space, StrategyContext(budget=budget, jobs=jobs))


def test_small_discrete_space_whose_grid_fits_is_gridded():
    name, why = pick(DISCRETE_SMALL, budget=30)
    assert name == "grid" and "12-point grid fits" in why
    # The same space with a budget smaller than its grid is searched instead.
    assert pick(DISCRETE_SMALL, budget=10)[0] != "grid"


def test_discrete_space_that_a_grid_only_samples_is_searched_by_a_model():
    # logint(1, 60) has 60 values; a 5-point grid would try only 1, 3, 8, 22 and 60.
    cell = "n = 5  # tune: logint(1, 60)\nw = 'uniform'  # tune: ['uniform', 'distance']\nn"
    assert pick(cell, budget=50)[0] == "gp"


@pytest.mark.parametrize(
    "cell, budget, jobs",
    [(CONTINUOUS_2, 50, 1), (CONTINUOUS_2, 200, 4), (CONDITIONAL, 40, 1), (DISCRETE_SMALL, 10, 1)],
)
def test_gp_for_moderate_spaces_and_budgets(cell, budget, jobs):
    name, why = pick(cell, budget, jobs)
    assert name == "gp", why
    assert "Bayesian optimisation" in why


@pytest.mark.parametrize(
    "cell, budget, jobs, word",
    [(WIDE, 100, 1, "20 parameters"), (CONTINUOUS_2, 1000, 1, "1000 trials"), (CONTINUOUS_2, 200, 16, "16 parallel")],
)
def test_tpe_beyond_the_gp_limits(cell, budget, jobs, word):
    name, why = pick(cell, budget, jobs)
    assert name == "tpe" and word in why


def test_budgets_too_small_for_a_model_get_quasi_random_points():
    name, why = pick(CONTINUOUS_2, budget=6)
    assert name == "sobol" and "too few" in why


def test_the_summary_says_what_auto_picked_and_why():
    result = hpmagic.tune(CONTINUOUS_2.replace("C * g", "(C - 3) ** 2 + g"), {}, trials=12, seed=0, quiet=True, apply=False)
    assert result.strategy == "gp"
    assert result.strategy_reason.startswith("auto: gp, because 2 parameters and 12 trials")
    assert "strategy: gp (seed " in repr(result) and "picked by auto because 2 parameters" in repr(result)
    grid = hpmagic.tune(DISCRETE_SMALL, {}, trials=30, seed=0, quiet=True, apply=False)
    assert grid.strategy == "grid" and len(grid.trials) == 13  # defaults + the whole 12-point grid
