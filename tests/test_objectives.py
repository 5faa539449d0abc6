"""The goal of a search: objectives, constraints and what a trial produced, read with them."""

from __future__ import annotations

import math

import pytest

from hpmagic.core import Direction, Trial, TrialState
from hpmagic.errors import OptionError
from hpmagic.objectives import Constraint, Goal, Objective
from hpmagic.strategies.base import StrategyContext


def test_a_single_goal_reads_value_as_before():
    goal = Goal.single("maximize")
    trial = Trial(1, {}, TrialState.COMPLETE, value=0.9)
    assert not goal.multi and goal.direction is Direction.MAXIMIZE
    assert goal.values(trial) == (0.9,) and goal.losses(trial) == (-0.9,)
    assert goal.feasible(trial) and goal.violations(trial) == ()
    assert goal.losses(Trial(2, {}, TrialState.FAILED)) is None


def test_several_objectives_turn_each_value_by_its_direction():
    goal = Goal((Objective("accuracy", Direction.MAXIMIZE), Objective("fit_time", "minimize")))
    trial = Trial(1, {}, TrialState.COMPLETE, value=0.9, values=(0.9, 2.5))
    assert goal.multi and goal.names == ("accuracy", "fit_time")
    assert goal.losses(trial) == (-0.9, 2.5)
    assert goal.describe() == "maximize accuracy, minimize fit_time"


@pytest.mark.parametrize(
    ("text", "name", "op", "bound"),
    [
        ("latency <= 20", "latency", "<=", 20.0),
        ("accuracy>=0.9", "accuracy", ">=", 0.9),
        (" size<=1e6 ", "size", "<=", 1e6),
    ],
)
def test_constraints_parse(text, name, op, bound):
    assert Constraint.parse(text) == Constraint(name, op, bound)


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("latency < 20", "write NAME <= NUMBER or NAME >= NUMBER"),
        ("latency <= fast", "must be a number, but got 'fast'"),
        ("<= 3", "cannot read the constraint"),
        ("x <= inf", "finite number"),
        (20, "is a text such as"),
    ],
)
def test_bad_constraints_say_how_to_write_one(text, words):
    with pytest.raises(OptionError, match="--constraint") as info:
        Constraint.parse(text)
    assert words in str(info.value)


def test_violations_and_feasibility():
    goal = Goal.single("maximize", (Constraint("latency", "<=", 20.0), Constraint("accuracy", ">=", 0.8)))
    ok = Trial(1, {}, TrialState.COMPLETE, value=1.0, constraints=(19.0, 0.85))
    bad = Trial(2, {}, TrialState.COMPLETE, value=1.0, constraints=(25.0, 0.7))
    missing = Trial(3, {}, TrialState.COMPLETE, value=1.0, constraints=(19.0,))
    assert goal.violations(ok) == (0.0, 0.0) and goal.feasible(ok)
    assert goal.violations(bad) == pytest.approx((5.0, 0.1)) and not goal.feasible(bad)
    assert goal.violations(missing)[1] == math.inf and not goal.feasible(missing)
    assert goal.describe() == "maximize value; subject to latency <= 20, accuracy >= 0.8"


def test_goals_refuse_unnamed_or_repeated_objectives():
    with pytest.raises(OptionError, match="each must be named"):
        Goal((Objective(None), Objective("b")))
    with pytest.raises(OptionError, match="'a' is given twice"):
        Goal((Objective("a"), Objective("a", Direction.MAXIMIZE)))
    with pytest.raises(OptionError, match="at least one objective"):
        Goal(())


def test_the_strategy_context_carries_the_goal():
    plain = StrategyContext(direction="maximize")
    assert plain.objectives == Goal.single("maximize")
    goal = Goal((Objective("a", Direction.MAXIMIZE), Objective("b")))
    context = StrategyContext(goal=goal)
    assert context.direction is Direction.MAXIMIZE
    trial = Trial(1, {}, TrialState.COMPLETE, value=2.0, values=(2.0, 3.0))
    assert context.losses(trial) == (-2.0, 3.0) and context.violations(trial) == ()
