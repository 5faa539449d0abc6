"""Strategies that learn from pruned trials: the fidelity rules, gp, tpe, evolution, and a real shell."""

from __future__ import annotations

import math

import numpy as np
import pytest

from hpmagic.core import Direction, Trial, TrialState
from hpmagic.space import Parameter, SearchSpace, Uniform
from hpmagic.strategies import fidelity
from hpmagic.strategies.base import StrategyContext
from hpmagic.strategies.evolution import Evolution
from hpmagic.strategies.gp import GPStrategy
from hpmagic.strategies.hyperopt import TPE

from .conftest import run_tune

MIN = Direction.MINIMIZE
SPACE = SearchSpace((Parameter("x", Uniform(0.0, 1.0), 0.5), Parameter("y", Uniform(0.0, 1.0), 0.5)))


def curve(*values, start=1):
    return tuple((float(start + i), float(v)) for i, v in enumerate(values))


def pruned(number, values, x=0.5, kind="curve"):
    return Trial(number, {"x": x, "y": 0.5}, TrialState.PRUNED, curve=curve(*values), pruning={"kind": kind})


def complete(number, value, values=(), x=0.5):
    return Trial(
        number,
        {"x": x, "y": 0.5},
        TrialState.COMPLETE,
        value=value,
        curve=curve(*values),
        pruning={"kind": "curve"} if values else {},
    )


def failed(number, x=0.5):
    return Trial(number, {"x": x, "y": 0.5}, TrialState.FAILED, error="boom")


# -- the fidelity rules ----------------------------------------------------------------------


def test_loss_at_is_the_best_so_far_up_to_the_first_point_at_or_past_the_step():
    t = pruned(1, [0.9, 0.5, 0.7, 0.6])  # steps 1..4
    assert fidelity.loss_at(t, 1, MIN) == 0.9
    assert fidelity.loss_at(t, 2.5, MIN) == 0.5  # the report at step 3 crossed 2.5: best of 0.9, 0.5, 0.7
    assert fidelity.loss_at(t, 4, MIN) == 0.5
    assert fidelity.loss_at(t, 5, MIN) is None  # stopped before
    assert fidelity.loss_at(t, math.inf, MIN) is None
    # maximising: losses are negated values, the best so far is the highest value
    assert fidelity.loss_at(t, 4, Direction.MAXIMIZE) == -0.9


def test_a_complete_trial_has_its_objective_at_and_past_its_last_step():
    t = complete(2, 0.3, [0.8, 0.4, 0.35])
    assert fidelity.loss_at(t, 2, MIN) == 0.4
    assert fidelity.loss_at(t, 3, MIN) == 0.3  # its end: the objective, not the curve
    assert fidelity.loss_at(t, math.inf, MIN) == 0.3
    assert fidelity.loss_at(complete(3, 0.2), 1, MIN) == 0.2  # no curve: the objective everywhere
    assert fidelity.loss_at(failed(4), 1, MIN) is None


def test_folds_are_averaged_not_taken_at_their_best():
    t = pruned(1, [0.2, 0.6], kind="fold")
    # fold scores are higher-is-better whatever the objective's direction: the loss is minus their mean
    assert fidelity.partial_loss(t, MIN) == pytest.approx(-0.4)
    assert fidelity.partial_loss(t, Direction.MAXIMIZE) == pytest.approx(-0.4)
    flipped = pruned(2, [0.2, 0.6], kind="fold")
    flipped = flipped.finish(pruning={**flipped.pruning, "reading": "minimize"})  # the search read them the other way
    assert fidelity.partial_loss(flipped, Direction.MAXIMIZE) == pytest.approx(0.4)
    assert fidelity.loss_at(t, 1, MIN) == pytest.approx(-0.2)
    assert fidelity.loss_at(t, 2, MIN) == pytest.approx(-0.4)


def test_rank_key_puts_further_first_then_lower_loss_failures_last():
    trials = [
        pruned(1, [0.1]),
        failed(2),
        complete(3, 0.9, [0.9] * 3),
        pruned(4, [0.8, 0.7, 0.6]),
        pruned(5, [0.5, 0.4, 0.3]),
        complete(6, 0.5, [0.5] * 3),
    ]
    order = [t.number for t in sorted(trials, key=lambda t: fidelity.rank_key(t, MIN))]
    assert order == [6, 3, 5, 4, 1, 2]


def _rungs_table():
    """10 trials pruned at step 1, 5 at step 3, 2 complete at step 9 (values: lower is better)."""
    trials = [pruned(i, [1.0 + i / 10], x=i / 20) for i in range(10)]
    trials += [pruned(10 + i, [0.9, 0.8 - i / 10, 0.7 - i / 10], x=0.5 + i / 20) for i in range(5)]
    trials += [
        complete(15, 0.2, [0.6, 0.4, 0.3, 0.3, 0.2, 0.2, 0.2, 0.2, 0.2], x=0.8),
        complete(16, 0.1, [0.5, 0.3, 0.2, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1], x=0.9),
    ]
    return trials


def test_training_set_takes_the_highest_step_enough_trials_reached():
    trials = _rungs_table()
    assert fidelity.levels(trials) == [1.0, 3.0, 9.0, math.inf]
    data = fidelity.training_set(trials, MIN, enough=4, below="ignore")
    assert data.level == 3.0 and data.reached == 7
    got = {r.number: r.loss for r in data.rows}
    assert got[10] == pytest.approx(0.7) and got[14] == pytest.approx(0.3)  # best so far at step 3
    assert got[15] == pytest.approx(0.3) and got[16] == pytest.approx(0.2)  # complete trials count there too
    assert set(got) == set(range(10, 17))
    assert fidelity.training_set(trials, MIN, enough=2).level == math.inf  # two complete trials are enough
    assert fidelity.training_set(trials, MIN, enough=8).level == 1.0  # none has 8: the lowest step
    assert fidelity.training_set(trials, MIN, enough=100).level == 1.0


def test_training_set_counts_trials_below_the_step_as_the_worst_there():
    trials = [*_rungs_table(), failed(17)]
    data = fidelity.training_set(trials, MIN, enough=4, below="worst")
    got = {r.number: r.loss for r in data.rows}
    assert data.reached == 7 and len(got) == 18
    assert all(got[i] == pytest.approx(0.7) for i in [*range(10), 17])  # the worst at step 3
    with pytest.raises(ValueError, match="'worst' or 'ignore'"):
        fidelity.training_set(trials, MIN, enough=4, below="drop")


# -- gp ----------------------------------------------------------------------------------------


def _gp(pruning="asha"):
    gp = GPStrategy()
    gp.setup(SPACE, StrategyContext(seed=0, budget=40, pruning=pruning))
    return gp


def test_gp_fits_at_the_rung_enough_trials_reached_and_moves_up():
    gp = _gp()
    for t in _rungs_table():
        gp.tell(t)
    X, y = gp._training_data()  # d = 2: four trials must reach a step
    assert len(y) == 17 and gp._level == 3.0
    at = dict(zip(np.round(X[:, 0], 6), y))
    assert at[0.5] == pytest.approx(0.7) and at[0.9] == pytest.approx(0.2)  # trials 10 and 16 at step 3
    assert at[0.0] == pytest.approx(0.7)  # pruned at step 1: the worst at step 3
    for n in (17, 18):
        gp.tell(complete(n, 0.05, [0.4] * 9, x=n / 20 - 0.5))
    X, y = gp._training_data()
    assert gp._level == math.inf and sorted(y)[:4] == pytest.approx([0.05, 0.05, 0.1, 0.2])
    config = gp.ask(19)  # the model proposes from the pruned trials' evidence
    assert set(config) == {"x", "y"}


def test_gp_models_pruned_trials_before_two_trials_complete():
    gp = _gp()
    for i in range(8):
        gp.tell(pruned(i, [1.0 - i / 10], x=i / 8))
    gp.tell(complete(8, 0.5, [0.6, 0.5], x=0.95))
    X, y = gp._training_data()
    assert len(y) == 9 and gp._level == 1.0
    assert y.min() == pytest.approx(0.3)  # trial 7's reported loss, not a failure


def test_gp_without_pruning_keeps_its_old_data():
    gp = _gp(pruning=None)
    for t in [complete(0, 0.5, [0.9, 0.5]), complete(1, 0.2, [0.7, 0.2]), failed(2)]:
        gp.tell(t)
    _, y = gp._training_data()
    assert list(y) == [0.5, 0.2, 0.5]  # objectives, a failure at the worst (not curve values)
    gp.tell(pruned(3, [0.9, 0.8]))  # a study pruned earlier, resumed without --prune: still learnt from
    _, y = gp._training_data()
    # at step 2 (the lowest: no step has d + 2 = 4 trials), where the complete trials ended
    assert gp._level == 2.0 and list(y) == [0.5, 0.2, 0.8, 0.8]  # the failure: the worst there


# -- tpe ---------------------------------------------------------------------------------------


def _tpe(pruning="asha"):
    tpe = TPE()
    tpe.setup(SPACE, StrategyContext(seed=0, budget=40, pruning=pruning))
    return tpe


def test_tpe_sees_pruned_trials_as_ok_ranked_at_one_fidelity():
    tpe = _tpe()
    for t in _rungs_table():
        tpe.tell(t)
    trials = tpe._trials  # hyperopt's own Trials database
    docs = {d["tid"]: d for d in trials.trials}
    assert set(docs) == set(range(17))
    assert all(d["result"]["status"] == "ok" for d in docs.values())
    assert docs[3]["result"]["pruned_at"] == 1.0 and docs[3]["result"]["reached"] == pytest.approx(1.3)
    losses = dict(zip((d["tid"] for d in trials.trials), trials.losses()))
    assert all(losses[n] == pytest.approx(v) for n, v in {10: 0.7, 14: 0.3, 16: 0.2}.items())  # at step 3
    # below step 3, in the order they reached (all after the worst at step 3)
    below = sorted(range(10), key=losses.get)
    assert below == list(range(10)) and losses[0] > 0.7
    assert docs[15]["result"]["level"] == 3.0


def test_tpe_puts_a_failure_after_every_pruned_trial_and_proposes():
    tpe = _tpe()
    for t in [*_rungs_table(), failed(17)]:
        tpe.tell(t)
    statuses = dict(zip((d["tid"] for d in tpe._trials.trials), tpe._trials.statuses()))
    assert statuses[17] == "fail" and statuses[3] == "ok"
    config = tpe.ask(18)  # past the random start: TPE's model, from the pruned trials
    assert 0.0 <= config["x"] <= 1.0


# -- evolution -----------------------------------------------------------------------------


def test_evolution_ranks_pruned_trials_by_how_far_they_got():
    evo = Evolution()
    evo.setup(SPACE, StrategyContext(seed=0, budget=40, pruning="asha"))
    assert evo.lam == 6
    asked = {n: evo.ask(n) for n in range(6)}
    xs = {n: evo._members[n][1].copy() for n in range(6)}  # each proposal's point in the unit cube
    # told in an order unrelated to the ranking: a failure, early and later prunes, completes
    states = {
        0: failed(0),
        1: pruned(1, [0.1]),
        2: pruned(2, [0.9, 0.8, 0.7]),
        3: complete(3, 0.9, [1.0] * 9),
        4: pruned(4, [0.5, 0.4, 0.3]),
        5: complete(5, 0.4, [1.0] * 9),
    }
    mean = evo.mean.copy()
    for n in range(6):
        evo.tell(states[n].finish(params=asked[n]))
    assert evo.generation == 1
    best = [5, 3, 4]  # complete by value, then the pruned trial that got furthest; mu = 3
    assert not np.allclose(evo.mean, mean)
    assert np.allclose(evo.mean, evo.weights @ np.vstack([xs[n] for n in best]))


# -- end to end in a real shell --------------------------------------------------------------

CELL = """
from hpmagic import report
x = 0.5  # tune: uniform(0, 1)
y = 0.5  # tune: uniform(0, 1)
loss = 0.0
for epoch in range(1, 10):
    loss = (x - 0.7) ** 2 + (y - 0.2) ** 2 + 1 / epoch
    report(loss, epoch)
loss
"""


class Recording(GPStrategy):
    """gp that keeps what it was told."""

    def setup(self, space, context):
        super().setup(space, context)
        self.told = []

    def tell(self, trial):
        super().tell(trial)
        self.told.append(trial)


@pytest.mark.parametrize("line, rule", [("--prune asha", "asha"), ("--prune", "auto"), ("", None)])
def test_tune_in_a_shell_gives_the_strategy_the_rule_and_the_pruned_curves(ip, line, rule):
    ip.user_ns["mine"] = mine = Recording()
    result = run_tune(ip, f"-n 24 -s mine --seed 1 -q {line} -o res", CELL)
    assert result.success, result.error_in_exec
    assert mine.context.pruning == rule
    assert len(mine.told) == 24
    stopped = [t for t in mine.told if t.state is TrialState.PRUNED]
    if rule is None:
        assert not stopped
        return
    assert stopped and all(t.curve and t.curve[-1][0] in (1.0, 3.0) for t in stopped)
    _, y = mine._training_data()
    assert mine._level in (1.0, 3.0, 9.0, math.inf) and len(y) == 24


def test_tpe_in_a_shell_learns_from_pruned_trials(ip):
    ip.user_ns["mine"] = mine = TPE(n_startup_jobs=5)
    result = run_tune(ip, "-n 20 -s mine --seed 2 -q --prune asha", CELL)
    assert result.success, result.error_in_exec
    assert mine.context.pruning == "asha"
    docs = [d for d in mine._trials.trials if "pruned_at" in d["result"]]
    assert docs and all(d["result"]["status"] == "ok" for d in docs)
