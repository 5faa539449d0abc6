"""Choosing one trial (issue 23): ``result.front`` is exactly the feasible non-dominated complete
trials; ``best_trial`` is the picked one (the knee by default, ``--pick NAME``, ``result.pick(...)``,
which binds its values again); with one objective and constraints, the best feasible trial (and
when none is feasible, nothing new is bound, with a warning); one objective without constraints
exactly as before."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import hpmagic
from hpmagic import pareto
from hpmagic.cell.parser import parse_cell
from hpmagic.core import Direction, Trial, TrialState
from hpmagic.errors import OptionError
from hpmagic.objectives import Constraint, Goal, Objective
from hpmagic.result import TuneResult

SPACE = parse_cell("x = 0.5  # tune: uniform(0, 1)\nx").space
CELL = (
    "x = 0.5  # tune: uniform(0, 1)\n"
    "y = 0.5  # tune: uniform(0, 1)\n"
    "{'accuracy': x - y, 'fit_time': x ** 2 + (1 - y) ** 2, 'latency': 10 * x}"
)
TWO = {"accuracy": "max", "fit_time": "min"}

states = st.sampled_from([TrialState.COMPLETE] * 4 + [TrialState.FAILED, TrialState.PRUNED])
small = st.integers(0, 6).map(float)  # few distinct values: ties and duplicates are common


@st.composite
def results(draw):
    m = draw(st.integers(2, 3))
    directions = draw(st.lists(st.sampled_from(list(Direction)), min_size=m, max_size=m))
    limits = draw(st.lists(st.tuples(st.sampled_from(["<=", ">="]), small), max_size=2))
    goal = Goal(
        tuple(Objective(f"f{i}", d) for i, d in enumerate(directions)),
        tuple(Constraint(f"c{i}", op, bound) for i, (op, bound) in enumerate(limits)),
    )
    trials = []
    for n in range(draw(st.integers(0, 25))):
        state = draw(states)
        values = tuple(draw(small) for _ in range(m)) if state is TrialState.COMPLETE else ()
        quantities = tuple(draw(st.one_of(small, st.just(math.nan))) for _ in limits)
        trials.append(
            Trial(
                number=n,
                params={"x": 0.5},
                state=state,
                value=values[0] if values else None,
                values=values,
                constraints=quantities,
            )
        )
    rule = draw(st.sampled_from(["", "knee", *goal.names]))
    return TuneResult(trials=tuple(trials), space=SPACE, direction=goal.direction, goal=goal, pick_rule=rule)


def _dominates(goal, a, b):
    la, lb = goal.losses(a), goal.losses(b)
    return all(x <= y for x, y in zip(la, lb)) and any(x < y for x, y in zip(la, lb))


@settings(max_examples=300, deadline=None)
@given(results())
def test_the_front_is_exactly_the_feasible_nondominated_set_and_the_pick_is_on_it(result):
    goal = result.goal
    feasible = [
        t
        for t in result.trials
        if t.state is TrialState.COMPLETE and all(c.violation(q) == 0 for c, q in zip(goal.constraints, t.constraints))
    ]
    expected = [t.number for t in feasible if not any(_dominates(goal, o, t) for o in feasible)]
    assert [t.number for t in result.front] == expected
    best = result.best_trial
    if not expected:
        assert best is None and result.values_to_apply() == {}
        return
    assert best.number in expected
    rule = result.pick_rule or "knee"
    front = result.front
    if rule == "knee":
        assert best is front[pareto.knee([goal.losses(t) for t in front])]
    else:
        k = goal.names.index(rule)
        assert goal.losses(best)[k] == min(goal.losses(t)[k] for t in front)


def test_the_knee_is_bound_by_default_and_pick_binds_another_trial():
    ns: dict = {}
    result = hpmagic.tune(CELL, ns, trials=25, seed=3, quiet=True, objectives=TWO, out="res")
    front = result.front
    assert len(front) >= 3
    knee = front[pareto.knee([result.objectives.losses(t) for t in front])]
    assert result.best_trial is knee and result.best_params == knee.params and result.best_value == knee.value
    assert (ns["x"], ns["y"]) == (knee.params["x"], knee.params["y"])
    assert (
        result.pick_text == "the knee of the Pareto front (the trial that gives up least on any objective for "
        "the others)"
    )
    fastest = result.pick("fit_time")
    assert fastest is result.best_trial and fastest.values[1] == min(t.values[1] for t in front)
    assert (ns["x"], ns["y"]) == (fastest.params["x"], fastest.params["y"])  # bound again
    assert result.pick_text == "the front's lowest fit_time" and ns["res"] is result
    assert result.pick() is knee and ns["x"] == knee.params["x"]
    with pytest.raises(
        OptionError,
        match=r"pick\('latency'\): pick 'knee' or one of the objectives 'accuracy', "
        r"'fit_time'",
    ):
        result.pick("latency")
    assert result.best_trial is knee  # a refused pick changes nothing


def test_pick_names_the_objective_on_the_line_and_apply_false_binds_nothing():
    ns: dict = {}
    result = hpmagic.tune(CELL, ns, trials=20, seed=4, quiet=True, objectives=TWO, pick="accuracy", apply=False)
    best = result.best_trial
    assert best.values[0] == max(t.values[0] for t in result.front)
    assert result.pick_text == "the front's highest accuracy"
    result.pick("fit_time")
    assert "x" not in ns


def test_one_objective_with_constraints_binds_the_best_feasible_trial():
    ns: dict = {}
    result = hpmagic.tune(
        CELL, ns, trials=20, seed=5, quiet=True, maximize=True, metric="accuracy", constraints="latency <= 5"
    )
    best = result.best_trial
    feasible = [t for t in result.completed if t.metrics["latency"] <= 5]
    assert best is max(feasible, key=lambda t: t.value)
    assert max(t.value for t in result.completed) > best.value  # the unconstrained best broke the limit
    assert ns["x"] == best.params["x"] and result.pick_text == "the best of the trials that hold every constraint"
    with pytest.raises(OptionError, match="pick\\(\\) chooses among the Pareto front of several objectives"):
        result.pick("accuracy")


def test_when_no_trial_is_feasible_nothing_new_is_bound_and_a_warning_says_so(capsys):
    ns = {"x": "mine", "y": "mine too"}
    result = hpmagic.tune(
        CELL, ns, trials=6, seed=6, maximize=True, metric="accuracy", constraints="latency >= 20", display="none"
    )
    assert result.best_trial is None and len(result.completed) == 6  # nothing lost
    assert ns["x"] == "mine" and ns["y"] == "mine too"
    assert capsys.readouterr().err == (
        "hpmagic: none of the 6 complete trials holds every constraint (latency >= 20), so no values were bound; "
        "the notebook's variables are as they were\n"
    )
    hpmagic.tune(CELL, ns, trials=6, seed=6, maximize=True, metric="accuracy", constraints="latency >= 20", quiet=True)
    assert capsys.readouterr().err == ""  # -q: nothing printed


def test_one_objective_without_constraints_is_exactly_as_before():
    result = hpmagic.tune(CELL, {}, trials=8, seed=7, quiet=True, maximize=True, metric="accuracy")
    assert result.plain and result.pick_text == ""
    assert result.best_trial is Direction.MAXIMIZE.best(result.trials)
    assert all(t.values == () and t.constraints == () for t in result.trials)
    assert list(result.to_dataframe().columns[:3]) == ["state", "value", "duration"]


def test_the_table_has_every_objective_and_constraint():
    result = hpmagic.tune(CELL, {}, trials=6, seed=8, quiet=True, objectives=TWO, constraints=["latency <= 6"])
    frame = result.to_dataframe()
    assert list(frame.columns[:7]) == [
        "state",
        "value",
        "value_accuracy",
        "value_fit_time",
        "front",
        "constraint_latency",
        "feasible",
    ]
    for t in result.trials:
        row = frame.loc[t.number]
        assert (row.value_accuracy, row.value_fit_time, row.constraint_latency) == (*t.values, t.constraints[0])
        assert row.front == (t in result.front) and row.feasible == (t.constraints[0] <= 6)


def test_hypervolume_against_the_default_and_a_given_reference():
    result = hpmagic.tune(CELL, {}, trials=15, seed=9, quiet=True, objectives=TWO)
    goal, done = result.objectives, result.completed
    worst = [min(t.values[0] for t in done), max(t.values[1] for t in done)]
    assert result.reference() == [-worst[0], worst[1]]
    losses = [goal.losses(t) for t in result.front]
    assert result.hypervolume() == pytest.approx(pareto.hypervolume(losses, [-worst[0], worst[1]]))
    assert result.hypervolume([-2.0, 3.0]) == pytest.approx(pareto.hypervolume(losses, [2.0, 3.0]))


def test_write_back_writes_the_picked_trials_values(ip, monkeypatch):
    from hpmagic.cell import writeback

    monkeypatch.setattr(writeback, "EDIT_WINDOW", 1e9)
    written = []
    ip.set_next_input = lambda text, replace=False: written.append(text)
    try:
        ip.run_cell(
            "%%tune -n 15 --seed 2 -q -w -o res --maximize accuracy --minimize fit_time --pick fit_time\n" + CELL
        )
    finally:
        del ip.set_next_input
    res = ip.user_ns["res"]
    picked = res.best_trial
    assert picked.values[1] == min(t.values[1] for t in res.front)
    (text,) = written
    assert f"x = {picked.params['x']:.4g}  # tune" in text and f"y = {picked.params['y']:.4g}  # tune" in text
    assert res.notes[-1].startswith(
        f"wrote x={picked.params['x']:.4g}, y={picked.params['y']:.4g} into the cell, "
        "the front's lowest fit_time, of 15 trials"
    )


def test_the_live_progress_shows_a_best_only_where_one_value_says_it(capsys):
    import re

    hpmagic.tune(CELL, {}, trials=5, seed=1, objectives=TWO, display="text")
    err = capsys.readouterr()
    final = (err.out + err.err).replace("\r", "\n").strip().splitlines()[-1]
    assert final.startswith("█") and "5/5 trials" in final and "best" not in final
    hpmagic.tune(
        CELL, {}, trials=6, seed=1, maximize=True, metric="accuracy", constraints="latency <= 3", display="text"
    )
    err = capsys.readouterr()
    final = (err.out + err.err).replace("\r", "\n").strip().splitlines()[-1]
    shown = re.search(r" · best \S+ \(x=([\d.]+), y=[\d.]+\)", final)
    assert shown and 10 * float(shown.group(1)) <= 3  # the best of the trials that hold the limit
