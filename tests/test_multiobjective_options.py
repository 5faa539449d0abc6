"""Saying what to optimise (issue 23): ``--maximize NAME`` / ``--minimize NAME``, ``--constraint``,
``--pick``, ``tune(objectives=..., constraints=..., pick=...)``, and how a trial's values are read.

Every mistake is one clear error naming the option, before anything runs (the cell appends to
``calls`` on every trial, and it stays empty).  The values are read inline, in ``--jobs``
worker processes, from a returned dict and from variables the cell sets.
"""

from __future__ import annotations

import math

import pytest
from IPython.core.error import UsageError

import hpmagic
from hpmagic.core import Direction, TrialState
from hpmagic.errors import OptionError
from hpmagic.objectives import Constraint, Goal, Objective
from tests.clusters import dask_cluster

from .shared import SharedList

CELL = (
    "calls.append(1)\n"
    "x = 0.5  # tune: uniform(0, 1)\n"
    "y = 0.5  # tune: uniform(0, 1)\n"
    "fit_time = (1 - x) ** 2 + y\n"
    "{'accuracy': x - y, 'latency': 10 * x}"
)

# (the %%tune line, words the error must contain)
MAGIC_CASES = [
    ("--maximize --minimize fit_time", r"--maximize without a name \(the cell's value\) cannot be mixed with named"),
    ("--maximize accuracy --minimize accuracy", "'accuracy' is both maximized and minimized"),
    ("--maximize accuracy --maximize accuracy", "the objective 'accuracy' is given twice"),
    ("--maximize accuracy --pick accuracy", "--pick accuracy chooses a trial from the Pareto front of several"),
    ("--pick accuracy", "--pick accuracy chooses a trial from the Pareto front of several"),
    (
        "--maximize accuracy --minimize fit_time --pick latency",
        "--pick latency: 'latency' is not an objective of this search; pick one of 'accuracy', 'fit_time'",
    ),
    ("--maximize accuracy --metric accuracy", "--metric accuracy names the objective of a one-objective search"),
    (
        "--maximize accuracy --minimize fit_time --prune median",
        "--prune median stops trials by one value, but this search has 2 "
        r"objectives \(accuracy, fit_time\); with several objectives use --prune asha or --prune hyperband",
    ),
    (
        "--maximize accuracy --minimize fit_time --prune folds:min_folds=2",
        "--prune folds stops trials by one value, but this search has 2 objectives",
    ),
    (
        "--maximize accuracy --minimize size",
        "--minimize size: the cell returns a dict with the keys 'accuracy', 'latency' and sets no variable 'size'",
    ),
    ("--constraint 'latency < 3'", "cannot read the constraint 'latency < 3': write NAME <= NUMBER"),
    ("--constraint 'latency <= fast'", "the limit of the constraint 'latency <= fast' must be a number"),
    ("--constraint 'latency <= inf'", "must be a finite number"),
    ("--constraint 'memory <= 3'", '--constraint "memory <= 3": the cell returns a dict with the keys'),
    ("--constraint 'latency <= 3' --constraint 'latency <= 3'", "is given twice"),
]


@pytest.mark.parametrize(("line", "words"), MAGIC_CASES, ids=[c[0] for c in MAGIC_CASES])
def test_every_mistake_in_what_to_optimise_is_one_usage_error(ip, capsys, line, words):
    ip.user_ns.update(calls=SharedList())
    with pytest.raises(UsageError, match=words):
        ip.run_cell_magic("tune", f"-q -n 3 {line}", CELL)
    assert ip.user_ns["calls"] == []
    result = ip.run_cell(f"%%tune -q -n 3 {line}\n{CELL}")
    assert isinstance(result.error_in_exec, UsageError)
    assert "Traceback" not in capsys.readouterr().err


API_CASES = [
    ({"objectives": {"accuracy": "up"}}, r"the direction of an objective is 'max' \(or 'maximize'\) or 'min'"),
    ({"objectives": {}}, "objectives= is empty"),
    ({"objectives": 5}, "objectives= takes a dict such as"),
    ({"objectives": {"": "max"}}, "objectives= names a key of the dict the cell returns"),
    ({"objectives": {"accuracy": "max"}, "maximize": True}, "--maximize without a name"),
    ({"objectives": [("accuracy", "max"), ("accuracy", "min")]}, "both maximized and minimized"),
    ({"objectives": {"accuracy": "max", "fit_time": "min"}, "metric": "accuracy"}, "drop --metric"),
    ({"objectives": {"accuracy": "max", "fit_time": "min"}, "pick": "size"}, "'size' is not an objective"),
    ({"constraints": 5}, "constraints= takes a text such as 'latency <= 20'"),
    ({"constraints": ["latency <= 3", 7]}, "a constraint is a text such as 'latency <= 20', but got 7"),
]


@pytest.mark.parametrize(("kwargs", "words"), API_CASES, ids=[str(c[0]) for c in API_CASES])
def test_tune_refuses_every_mistake_in_what_to_optimise(kwargs, words):
    calls = SharedList()
    with pytest.raises(OptionError, match=words):
        hpmagic.tune(CELL, {"calls": calls}, trials=3, quiet=True, **kwargs)
    assert calls == []


def test_the_plan_settles_one_goal_in_the_order_given(ip):
    from hpmagic.api import plan
    from hpmagic.options import TuneOptions

    opts = TuneOptions(
        objectives=[("accuracy", "maximize"), ("fit_time", "min")], constraints=["latency <= 8"], pick="fit_time"
    )
    settled = plan(CELL, {"calls": []}, opts)
    assert settled.objectives == Goal(
        (Objective("accuracy", Direction.MAXIMIZE), Objective("fit_time")), (Constraint("latency", "<=", 8.0),)
    )
    assert settled.metric == "accuracy" and settled.pick == "fit_time"
    assert (
        settled.goal.why == "2 objectives: the Pareto front, one trial of it bound "
        "(--maximize accuracy --minimize fit_time)"
    )
    # one objective, a bare direction and a constraint: the cell's value, as always, with the limit
    single = plan("x = 0.5  # tune: uniform(0, 1)\nx", {}, TuneOptions(maximize=True, constraints="x <= 0.9"))
    assert single.objectives == Goal.single(Direction.MAXIMIZE, (Constraint("x", "<=", 0.9),))


@pytest.mark.parametrize("limit", ["latency <= 6", "latency<= 6", "latency <=6", "'latency <= 6'", "latency<=6"])
def test_a_limit_written_without_quotes_is_read_as_one(ip, limit):
    ip.user_ns.update(calls=SharedList())
    result = ip.run_cell_magic(
        "tune", f"-q -n 3 --seed 1 --maximize accuracy --constraint {limit} --minimize fit_time", CELL
    )
    assert result.goal.constraints == (Constraint("latency", "<=", 6.0),)
    assert result.goal.names == ("accuracy", "fit_time")


def test_an_unquoted_limit_with_a_wrong_comparison_says_how_to_write_one(ip):
    ip.user_ns.update(calls=SharedList())
    with pytest.raises(UsageError, match="cannot read the constraint 'latency < 6': write NAME <= NUMBER"):
        ip.run_cell_magic("tune", "-q -n 3 --constraint latency < 6", CELL)
    assert ip.user_ns["calls"] == []


def test_the_magic_keeps_the_order_of_the_named_objectives(ip):
    ip.user_ns.update(calls=SharedList())
    result = ip.run_cell_magic("tune", "-q -n 6 --seed 1 --minimize fit_time --maximize accuracy", CELL)
    assert result.goal.names == ("fit_time", "accuracy")
    assert result.goal.directions == (Direction.MINIMIZE, Direction.MAXIMIZE)
    for t in result.trials:  # each objective from where the cell put it: a variable, a key of the dict
        x, y = t.params["x"], t.params["y"]
        assert t.values == pytest.approx(((1 - x) ** 2 + y, x - y))
        assert t.value == t.values[0]
        assert "accuracy" not in t.metrics and t.metrics["latency"] == pytest.approx(10 * x)


@pytest.mark.parametrize("jobs", [1, 2])
def test_values_and_constraints_are_read_inline_and_in_worker_processes(jobs):
    ns: dict = {}
    result = hpmagic.tune(
        CELL.replace("calls.append(1)\n", ""),
        ns,
        trials=8,
        seed=5,
        quiet=True,
        jobs=jobs,
        objectives={"accuracy": "max", "fit_time": "min"},
        constraints=["latency <= 6"],
    )
    assert {t.state for t in result.trials} == {TrialState.COMPLETE}
    for t in result.trials:
        assert t.values == pytest.approx((t.params["x"] - t.params["y"], (1 - t.params["x"]) ** 2 + t.params["y"]))
        assert t.constraints == pytest.approx((10 * t.params["x"],))
    assert all(t.constraints[0] <= 6 for t in result.front)


def test_a_missing_objective_fails_the_trial_naming_what_the_cell_had():
    cell = "x = 0.5  # tune: uniform(0, 1)\nsize = 3\nif x > 0.5:\n    del size\n{'accuracy': x}"
    result = hpmagic.tune(cell, {}, trials=6, seed=2, quiet=True, objectives={"accuracy": "max", "size": "min"})
    failed = [t for t in result.trials if t.state is TrialState.FAILED]
    assert failed and all(t.params["x"] > 0.5 for t in failed)
    assert failed[0].error == (
        "ObjectiveError: the objective 'size' is missing: the returned dict has no key 'size' (its keys: 'accuracy') "
        "and the cell set no variable 'size' (it sets: size, x); return it as a key of a dict (e.g. {'size': ...}) or set size "
        "in the cell"
    )


def test_a_constrained_quantity_missing_or_not_a_number_makes_the_trial_infeasible():
    cell = (
        "x = 0.5  # tune: uniform(0, 1)\n"
        "out = {'loss': x}\n"
        "if x > 0.5:\n    out['latency'] = 'fast'\nelif x > 0.2:\n    out['latency'] = 1.0\n"
        "out"
    )
    result = hpmagic.tune(
        cell,
        {},
        trials=10,
        seed=4,
        quiet=True,
        minimize=True,
        metric="loss",
        constraints="latency <= 2",
        strategy="random",
    )
    goal = result.goal
    assert goal is not None
    for t in result.completed:
        x = t.params["x"]
        assert goal.feasible(t) is (0.2 < x <= 0.5)
        if x > 0.5:
            assert math.isnan(t.constraints[0])
            assert any(
                w.startswith(
                    "the constraint on 'latency' cannot be checked, so this trial counts as "
                    "infeasible: key 'latency' of the returned dict is a str ('fast'), not a number"
                )
                for w in t.warnings
            )
        if x <= 0.2:
            assert "the constraint on 'latency' cannot be checked" in " ".join(t.warnings)
            assert "the returned dict has no key 'latency' (its keys: 'loss')" in " ".join(t.warnings)
    best = result.best_trial
    assert best is not None and 0.2 < best.params["x"] <= 0.5


@pytest.mark.parametrize("strategy", ["tpe", "anneal", "de"])
def test_a_strategy_that_learns_from_one_value_refuses_several_objectives_and_constraints(strategy):
    calls = SharedList()
    with pytest.raises(
        OptionError,
        match=f"the strategy '{strategy}' optimises one objective without constraints, "
        r"but this search has 2 objectives \(maximize accuracy, minimize fit_time\); "
        "use --strategy gp",
    ):
        hpmagic.tune(
            CELL,
            {"calls": calls},
            trials=5,
            quiet=True,
            strategy=strategy,
            objectives={"accuracy": "max", "fit_time": "min"},
        )
    with pytest.raises(
        OptionError,
        match=rf"'{strategy}' optimises one objective without constraints, but this "
        r"search has a constraint \(maximize accuracy; subject to latency <= 3\)",
    ):
        hpmagic.tune(
            CELL,
            {"calls": calls},
            trials=5,
            quiet=True,
            strategy=strategy,
            metric="accuracy",
            constraints="latency <= 3",
        )
    assert calls == []


@pytest.mark.parametrize("strategy", ["random", "sobol", "grid", "hyperopt-random", "auto", "gp", "evolution"])
def test_the_strategies_with_nothing_to_learn_run_several_objectives_and_constraints(strategy):
    result = hpmagic.tune(
        CELL,
        {"calls": SharedList()},
        trials=6,
        quiet=True,
        strategy=strategy,
        seed=0,
        objectives={"accuracy": "max", "fit_time": "min"},
        constraints="latency <= 9",
    )
    assert len(result.trials) == 6 and result.front
    if strategy == "auto":  # too few trials to learn from: auto covers the space (see tests/test_mo_*.py)
        assert result.strategy_reason.startswith("auto: sobol")


@pytest.mark.parametrize("engine", ["threads", "dask"])
def test_values_and_constraints_are_read_on_engines(ip, engine):
    import concurrent.futures as cf

    cell = CELL.replace("calls.append(1)\n", "")
    line = "-q -n 8 --seed 3 --executor pool --maximize accuracy --minimize fit_time --constraint 'latency <= 6'"
    if engine == "threads":
        with cf.ThreadPoolExecutor(2) as pool:
            ip.user_ns["pool"] = pool
            result = ip.run_cell_magic("tune", line, cell)
    else:
        with dask_cluster(workers=1, threads=2) as client:
            ip.user_ns["pool"] = client
            result = ip.run_cell_magic("tune", line, cell)
    assert [t.state for t in result.trials] == [TrialState.COMPLETE] * 8
    for t in result.trials:
        x, y = t.params["x"], t.params["y"]
        assert t.values == pytest.approx((x - y, (1 - x) ** 2 + y)) and t.constraints == pytest.approx((10 * x,))
    assert result.best_trial in result.front and (ip.user_ns["x"], ip.user_ns["y"]) == (
        result.best_trial.params["x"],
        result.best_trial.params["y"],
    )
