"""``auto``: which strategy it picks for representative spaces, budgets, parallelism and
pruners, that the summary says what it picked and why, and, with a time budget, when it
hands over to a cheaper strategy (driven by a fake clock: no test depends on machine speed)."""

from __future__ import annotations

import pytest

import hpmagic
from hpmagic.cell.parser import parse_cell
from hpmagic.core import Trial, TrialState
from hpmagic.strategies import auto
from hpmagic.strategies.base import StrategyContext
from hpmagic.strategies.catalog import load
from hpmagic.strategies.de import DifferentialEvolution

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
    [(WIDE, 100, 1, "20 parameters"), (CONTINUOUS_2, 200, 16, "16 parallel")],  # many trials: tests/test_many_trials.py
)
def test_tpe_beyond_the_gp_limits(cell, budget, jobs, word):
    name, why = pick(cell, budget, jobs)
    assert name == "tpe" and word in why


def test_budgets_too_small_for_a_model_get_quasi_random_points():
    name, why = pick(CONTINUOUS_2, budget=6)
    assert name == "sobol" and "too few" in why


def test_the_summary_says_what_auto_picked_and_why():
    result = hpmagic.tune(
        CONTINUOUS_2.replace("C * g", "(C - 3) ** 2 + g"), {}, trials=12, seed=0, quiet=True, apply=False
    )
    assert result.strategy == "gp"
    assert result.strategy_reason.startswith("auto: gp, because 2 parameters and 12 trials")
    assert "strategy: gp (seed " in repr(result) and "picked by auto because 2 parameters" in repr(result)
    grid = hpmagic.tune(DISCRETE_SMALL, {}, trials=30, seed=0, quiet=True, apply=False)
    assert grid.strategy == "grid" and len(grid.trials) == 13  # defaults + the whole 12-point grid


# -- time budgets: the switching rule on a fake clock ------------------------------------

HARTMANN_LIKE = "\n".join(f"x{i} = 0.5  # tune: uniform(0, 1)" for i in range(6)) + "\nx0"


class FakeClock:
    """Each reading moves the clock on by ``tick`` seconds, so every ask appears to take ``tick``."""

    def __init__(self, tick: float):
        self.tick, self.now = tick, 0.0

    def __call__(self) -> float:
        self.now += self.tick
        return self.now


def timed_auto(tick, *, cell=HARTMANN_LIKE, budget=100_000, timeout=10.0, jobs=1, pruning=None):
    space = parse_cell(cell).space
    strategy = auto.Auto(clock=FakeClock(tick))
    strategy.setup(space, StrategyContext(budget=budget, seed=0, jobs=jobs, timeout=timeout, pruning=pruning))
    return strategy, space


def drive(strategy, space, trials, duration, pending=0):
    """Ask and tell ``trials`` trials lasting ``duration`` seconds, ``pending`` of them always in flight."""
    strategy.tell(Trial(number=0, params=space.defaults(), state=TrialState.COMPLETE, value=1.0, duration=duration))
    flight = []
    for number in range(1, trials + 1):
        flight.append((number, strategy.ask(number)))
        if len(flight) > pending:
            done, config = flight.pop(0)
            strategy.tell(
                Trial(
                    number=done,
                    params=config,
                    state=TrialState.COMPLETE,
                    value=sum((config[f"x{i}"] - 0.3) ** 2 for i in range(6)),
                    duration=duration,
                )
            )
    return strategy


def test_auto_hands_over_to_de_when_proposals_cost_more_than_trials():
    strategy, space = timed_auto(0.085)  # every ask "takes" 85 ms ...
    drive(strategy, space, 30, duration=0.015)  # ... and every trial 15 ms: over a fifth of the GP's floor
    assert strategy.name == "de" and [s[1:3] for s in strategy.switches] == [("gp", "de")]
    number = strategy.switches[0][0]
    assert number == auto.WINDOW + 1  # as soon as the window of the GP's own asks is full
    assert strategy.reason.startswith(
        "auto: gp, because 6 parameters suit Bayesian optimisation, and with a time budget"
    )
    assert f"; auto switched from gp to de at trial {number}: proposals took 85 ms, trials 15 ms" in strategy.reason
    # de was told every finished trial (the defaults and trials 1-10), then learned on
    assert strategy.current.name == "de" and len(strategy.current.losses) == 12
    assert strategy.ask(31) is not None


def test_trials_cheaper_than_any_gp_proposal_leave_the_gp_before_its_first_fit():
    strategy, space = timed_auto(0.085)
    drive(strategy, space, 30, duration=0.001)  # under a fifth of the GP's 10 ms floor
    assert [s[:3] for s in strategy.switches] == [(auto.EARLY, "gp", "de")]  # the defaults and trials 1-4 finished
    assert (
        f"; auto switched from gp to de at trial {auto.EARLY}: trials took 1 ms, and a gp proposal costs at least 10 ms"
    ) in strategy.reason


@pytest.mark.parametrize("duration", [0.5, 0.03])  # 30 ms: proposals under 5 times as long
def test_auto_keeps_the_gp_when_trials_are_not_much_cheaper_than_proposals(duration):
    strategy, space = timed_auto(0.085)
    drive(strategy, space, 30, duration=duration)
    assert strategy.name == "gp" and strategy.switches == []
    assert "switched" not in strategy.reason


def test_without_a_time_budget_auto_never_switches():
    strategy, space = timed_auto(0.085, budget=200, timeout=None)
    drive(strategy, space, 25, duration=0.001)
    assert strategy.name == "gp" and strategy.switches == []


def test_the_rule_counts_trials_per_worker_and_hands_pending_trials_over(monkeypatch):
    told = []

    class RecordingDE(DifferentialEvolution):
        def tell(self, trial):
            told.append(trial.number)
            super().tell(trial)

    monkeypatch.setattr(auto, "load", lambda name: RecordingDE if name == "de" else load(name))
    # 4 workers: trials of 60 ms finish every 15 ms on average, under a fifth of 85 ms proposals
    strategy, space = timed_auto(0.085, jobs=4)
    drive(strategy, space, 30, duration=0.06, pending=3)
    assert [s[1:3] for s in strategy.switches] == [("gp", "de")]
    assert "trials 60 ms (4 at a time)" in strategy.reason
    # de learned every finished trial once: those told before the switch (handed over), the
    # three pending at the switch and those after it; 28-30 are still in flight
    assert sorted(told) == list(range(28))
    slow, space = timed_auto(0.085, jobs=2)  # 2 workers: one trial per 30 ms, more than a fifth of a proposal
    drive(slow, space, 30, duration=0.06, pending=1)
    assert slow.switches == []


def test_de_is_the_bottom_of_the_ladder():
    strategy, space = timed_auto(0.085, budget=100_000, cell=HARTMANN_LIKE)
    drive(strategy, space, 60, duration=1e-4)
    assert len(strategy.switches) == 1 and strategy.name == "de"


def test_with_a_time_budget_a_large_n_starts_with_the_gp():
    space = parse_cell(CONTINUOUS_2).space
    name, why = auto.pick(space, StrategyContext(budget=100_000, timeout=10.0))
    assert name == "gp" and "moves to a cheaper strategy if proposals come to cost more than the trials" in why
    assert auto.pick(space, StrategyContext(budget=100_000))[0] == "de"  # no clock: -n decides
    assert auto.pick(space, StrategyContext(budget=100_000, timeout=10.0, jobs=16))[0] == "tpe"


def test_the_time_budget_reaches_auto_through_tune():
    cell = CONTINUOUS_2.replace("C * g", "(C - 3) ** 2 + g")
    result = hpmagic.tune(cell, {}, trials=100_000, timeout=0.5, seed=0, quiet=True, apply=False)
    assert result.stop_reason.name == "TIMEOUT"
    assert result.strategy_reason.startswith(
        "auto: gp, because 2 parameters suit Bayesian optimisation, and with a time budget"
    )


# -- pruning: the pick says how the model learns from pruned trials ----------------------


@pytest.mark.parametrize("rule", ["asha", "hyperband", "median", "folds"])
def test_with_pruning_auto_picks_tpe_where_it_would_pick_the_gp(rule):
    name, why = auto.pick(parse_cell(CONTINUOUS_2).space, StrategyContext(budget=60, pruning=rule))
    assert name == "tpe"
    assert "would suit Bayesian optimisation, but with pruning TPE's proposals let the rule stop more trials" in why
    assert f"with --prune {rule}, TPE ranks each pruned trial by the value it had reached" in why
    name, why = auto.pick(parse_cell(WIDE).space, StrategyContext(budget=60, pruning=rule))
    assert name == "tpe" and f"with --prune {rule}, TPE ranks each pruned trial by the value it had reached" in why
    # without pruning the same space gets the GP, and the reason does not mention pruning
    name, why = auto.pick(parse_cell(CONTINUOUS_2).space, StrategyContext(budget=60))
    assert name == "gp" and "prun" not in why
    # --prune with no rule: the default, named as the user wrote it
    assert (
        "; with --prune, TPE ranks"
        in auto.pick(parse_cell(CONTINUOUS_2).space, StrategyContext(budget=60, pruning="auto"))[1]
    )


def test_with_pruning_and_a_time_budget_auto_starts_at_tpe_and_stays():
    strategy, space = timed_auto(0.085, pruning="asha")
    drive(strategy, space, 60, duration=1e-4)
    # de ranks pruned trials as failures, so tpe has no cheaper successor with pruning
    assert strategy.switches == [] and strategy.name == "tpe"
    assert "with --prune asha" in strategy.reason
    strategy, space = timed_auto(0.085)
    drive(strategy, space, 60, duration=1e-4)
    assert strategy.switches and strategy.switches[0][1] == "gp"  # the same run without pruning leaves the GP


def test_the_sobol_reason_counts_one_parameter_in_the_singular():
    from hpmagic import tune

    result = tune("x = 0.5  # tune: uniform(0, 1)\n(x - 0.3) ** 2", {}, trials=3, seed=0, display="none")
    assert result.strategy_reason.endswith("3 trials are too few for a model to learn from 1 parameter")
