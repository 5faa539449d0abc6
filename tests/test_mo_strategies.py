"""Every built-in strategy with several objectives and constraints (issue 23).

The strategies are driven as the runner drives them: ``setup`` with a
:class:`~hpmagic.objectives.Goal`, then ``ask``/``tell`` with frozen ``Trial`` records carrying
``values`` and ``constraints``.  Those that handle several objectives must propose valid,
distinct configurations (also with trials pending) and, where they learn, beat random search
by a margin no seed's luck explains; those that cannot must refuse in ``setup`` with words that
name one that can.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from hpmagic.cell.parser import parse_cell
from hpmagic.core import Trial, TrialState
from hpmagic.errors import OptionError
from hpmagic.objectives import Constraint, Goal, Objective
from hpmagic.pareto import hypervolume
from hpmagic.space import Choice, Int, Parameter, SearchSpace, Uniform
from hpmagic.strategies import make_strategy
from hpmagic.strategies.auto import pick
from hpmagic.strategies.base import StrategyContext

MIXED = parse_cell("""
lr     = 1e-3     # tune: loguniform(1e-5, 1e-1)
frac   = 0.5      # tune: uniform(0.0, 1.0)
layers = 2        # tune: int(1, 4)
kind   = "a"      # tune: ["a", "b", "c"]
degree = 3        # tune: int(2, 5) if kind == "a"
lr
""").space

TWO = Goal((Objective("accuracy", "maximize"), Objective("size", "minimize")))
CONSTRAINED = Goal(TWO.objectives, (Constraint("latency", "<=", 1.0),))
ONE_CONSTRAINED = Goal.single("minimize", (Constraint("latency", "<=", 1.0),))

#: Strategies that handle several objectives and constraints; those that refuse them.
HANDLE = ["auto", "random", "sobol", "grid", "gp", "evolution", "hyperopt-random"]
REFUSE = ["tpe", "anneal", "de"]


def make(name: str, goal: Goal, space: SearchSpace = MIXED, *, budget: int = 30, seed: int = 0, jobs: int = 1):
    return make_strategy(name, space, StrategyContext(budget=budget, seed=seed, jobs=jobs, grid_points=2, goal=goal))


def evaluate(params: dict) -> tuple[tuple[float, float], tuple[float]]:
    """(accuracy, size) and the latency of a configuration of MIXED."""
    accuracy = 1 - (math.log10(params["lr"]) + 3) ** 2 / 20 - (params["kind"] != "a") * 0.1
    size = params["layers"] * (1 + params["frac"])
    return (accuracy, size), (params["frac"] * 2,)


def told(number: int, params: dict, values: tuple[float, ...], constraints: tuple[float, ...] = ()) -> Trial:
    return Trial(number, params, TrialState.COMPLETE, value=values[0], values=values, constraints=constraints)


@pytest.mark.parametrize("name", HANDLE)
@pytest.mark.parametrize("goal", [TWO, CONSTRAINED, ONE_CONSTRAINED], ids=["two", "two+constraint", "one+constraint"])
def test_proposals_are_valid_and_told_back(name, goal):
    s = make(name, goal, budget=14)
    for number in range(1, 14):
        params = s.ask(number)
        if params is None:  # a finished grid
            break
        MIXED.validate(params)
        values, constraints = evaluate(params)
        values = values[: len(goal.objectives)]
        if number % 5 == 0:  # failures are told too
            s.tell(Trial(number, params, TrialState.FAILED, error="boom"))
        else:
            s.tell(told(number, params, values, constraints if goal.constraints else ()))


@pytest.mark.parametrize("name", ["random", "sobol", "gp", "evolution", "auto"])
def test_no_configuration_twice_in_flight(name):
    """After a few told trials, six asks with none told back are six different configurations,
    also in a discrete space of nine."""
    small = SearchSpace((Parameter("a", Int(1, 3), 1), Parameter("b", Choice(("x", "y", "z")), "x")))
    for space in (MIXED, small):
        s = make(name, CONSTRAINED, space, budget=40, jobs=6)
        rng = np.random.default_rng(1)
        number = 0
        for _ in range(8):
            number += 1
            params = s.ask(number)
            s.tell(told(number, params, (float(rng.random()), float(rng.random())), (float(rng.random()) * 2,)))
        pending = [s.ask(number + k) for k in range(1, 7)]
        keys = {tuple(sorted((k, repr(v)) for k, v in p.items())) for p in pending}
        assert len(keys) == 6, pending


# -- they learn -------------------------------------------------------------------------------


def zdt1(params: dict) -> tuple[float, float]:
    x = np.array([params[f"x{i}"] for i in range(len(params))])
    g = 1 + 9 * x[1:].sum() / (len(x) - 1)
    return float(x[0]), float(g * (1 - math.sqrt(x[0] / g)))


def _search(name: str, space: SearchSpace, goal: Goal, fn, budget: int, seed: int) -> list[Trial]:
    s = make(name, goal, space, budget=budget, seed=seed)
    trials = []
    for number in range(1, budget + 1):
        params = s.ask(number)
        values, constraints = fn(params)
        trials.append(told(number, params, values, constraints))
        s.tell(trials[-1])
    return trials


def _feasible_hv(goal: Goal, trials: list[Trial], reference) -> float:
    points = [goal.losses(t) for t in trials if goal.feasible(t)]
    return hypervolume(np.array(points), reference) if points else 0.0


@pytest.mark.parametrize("name, budget", [("gp", 30), ("evolution", 80)])
def test_beats_random_search_on_every_seed(name, budget):
    """On ZDT1 with four parameters, each of three seeds finds a larger hypervolume than random
    search with the same seed, and the mean by a margin (random's seeds spread far less)."""
    space = SearchSpace(tuple(Parameter(f"x{i}", Uniform(0.0, 1.0), 0.5) for i in range(4)))
    goal = Goal((Objective("f1"), Objective("f2")))
    fn = lambda p: (zdt1(p), ())  # noqa: E731
    ref = (1.1, 11.0)
    got = [_feasible_hv(goal, _search(name, space, goal, fn, budget, seed), ref) for seed in range(3)]
    base = [_feasible_hv(goal, _search("random", space, goal, fn, budget, seed), ref) for seed in range(3)]
    assert all(g > b for g, b in zip(got, base)), (got, base)
    assert np.mean(got) > np.mean(base) + 0.5, (got, base)


def test_gp_learns_where_the_constraint_holds():
    """Feasible only where x + y >= 1.5 (an eighth of the square): after its quasi-random start,
    the GP's proposals are feasible far more often than random search's, on every seed."""
    space = SearchSpace((Parameter("x", Uniform(0.0, 1.0), 0.5), Parameter("y", Uniform(0.0, 1.0), 0.5)))
    goal = Goal((Objective("f1"), Objective("f2")), (Constraint("s", ">=", 1.5),))

    def fn(p):
        return ((p["x"] - 1) ** 2 + p["y"] ** 2, p["x"] ** 2 + (p["y"] - 1) ** 2), (p["x"] + p["y"],)

    for seed in range(2):
        gp = _search("gp", space, goal, fn, 25, seed)[10:]
        rand = _search("random", space, goal, fn, 25, seed)[10:]
        assert sum(goal.feasible(t) for t in gp) >= 10, [t.params for t in gp]
        assert sum(goal.feasible(t) for t in rand) <= 6


# -- refusals and auto's choice ----------------------------------------------------------------


@pytest.mark.parametrize("name", REFUSE)
@pytest.mark.parametrize(
    "goal, what",
    [
        (TWO, "2 objectives (maximize accuracy, minimize size)"),
        (ONE_CONSTRAINED, "a constraint (minimize value; subject to latency <= 1)"),
    ],
)
def test_single_objective_strategies_refuse_in_setup(name, goal, what):
    with pytest.raises(OptionError) as info:
        make(name, goal)
    assert str(info.value) == (
        f"the strategy {name!r} optimises one objective without constraints, but this search has {what}; "
        "use --strategy gp (Bayesian optimisation) or --strategy evolution (NSGA-II), or leave --strategy out "
        "and auto picks one of them"
    )


def test_auto_picks_the_gp_and_says_why():
    name, why = pick(MIXED, StrategyContext(budget=80, goal=TWO))
    assert (name, why) == (
        "gp",
        "2 objectives, 5 parameters and 80 trials suit Bayesian optimisation (expected "
        "hypervolume improvement), which found larger hypervolumes than NSGA-II on the benchmarks",
    )
    name, why = pick(MIXED, StrategyContext(budget=80, jobs=2, goal=ONE_CONSTRAINED))
    assert (name, why) == (
        "gp",
        "a constraint, 5 parameters and 80 trials, 2 at a time suit Bayesian optimisation "
        "(random scalarisations and a model of feasibility), which found larger hypervolumes "
        "than NSGA-II on the benchmarks",
    )
    assert make("auto", CONSTRAINED, budget=80).reason.startswith("auto: gp, because 2 objectives, 5 parameters")
    assert make("gp", TWO).reason == (
        "Gaussian-process Bayesian optimisation, 6 quasi-random points first; "
        "expected hypervolume improvement over a GP per objective"
    )
    assert make("gp", CONSTRAINED).reason == (
        "Gaussian-process Bayesian optimisation, 6 quasi-random points first; "
        "random Chebyshev scalarisations (ParEGO), a GP per constraint for "
        "feasibility"
    )


def test_auto_picks_nsga2_beyond_the_gp():
    name, why = pick(MIXED, StrategyContext(budget=500, goal=TWO))
    assert (name, why) == (
        "evolution",
        "2 objectives, and 500 trials are too many for a GP: NSGA-II's proposals stay cheap",
    )
    name, why = pick(MIXED, StrategyContext(budget=80, jobs=16, goal=ONE_CONSTRAINED))
    assert (name, why) == (
        "evolution",
        "a constraint, and 16 parallel trials are too many for a GP: NSGA-II's proposals stay cheap",
    )
    wide = SearchSpace(tuple(Parameter(f"x{i}", Uniform(0.0, 1.0), 0.5) for i in range(31)))
    assert pick(wide, StrategyContext(budget=200, goal=TWO)) == (
        "evolution",
        "2 objectives, and 31 parameters are too many for a GP: NSGA-II's proposals stay cheap",
    )
    thirty = SearchSpace(wide.parameters[:30])
    assert pick(thirty, StrategyContext(budget=200, goal=TWO))[0] == "gp"
    s = make("evolution", TWO, budget=80)
    assert s.reason == (
        "NSGA-II for several objectives: a population of 16, constraint domination, crossover and mutation"
    )


def test_one_objective_without_constraints_is_unchanged():
    """The single-objective paths are not entered: tpe and de accept the search, and gp and
    evolution keep their reasons."""
    goal = Goal.single("minimize")
    assert make("gp", goal).reason == "Gaussian-process Bayesian optimisation, 6 quasi-random points first"
    assert make("evolution", goal).reason.startswith("CMA-ES")
    make("de", goal)
    assert pick(MIXED, StrategyContext(budget=80))[0] == "gp"
