"""``auto``'s check of the GP's model (issue 26): after :data:`auto.CHANCE_AT` finished trials it
hands over to ``de`` when the GP's leave-one-out predictions rank the trials no better than chance,
tells ``de`` every trial so far, and says so in the reason; on a landscape the GP models it stays."""

from __future__ import annotations

import numpy as np
import pytest

import hpmagic
from hpmagic.cell.parser import parse_cell
from hpmagic.core import Trial, TrialState
from hpmagic.strategies import auto
from hpmagic.strategies._gp import model
from hpmagic.strategies.base import StrategyContext
from hpmagic.strategies.catalog import load
from hpmagic.strategies.de import DifferentialEvolution

CHOICES = "\n".join(f"c{i} = 'a'  # tune: ['a', 'b', 'c', 'd', 'e']" for i in range(6)) + "\n0"
BOWL = "x = 0.5  # tune: uniform(0, 1)\ny = 0.5  # tune: uniform(0, 1)\n(x - 0.3) ** 2 + (y - 0.7) ** 2"


def noise(params, number):
    """A loss that has nothing to do with the parameters."""
    return float(np.random.default_rng(1000 + number).random())


def bowl(params, number):
    return (params["x"] - 0.3) ** 2 + (params["y"] - 0.7) ** 2


def run(cell, loss, trials, **context):
    space = parse_cell(cell).space
    strategy = auto.choose(space, StrategyContext(budget=100, seed=0, **context))
    strategy.setup(space, StrategyContext(budget=100, seed=0, **context))
    for number in range(trials):
        params = strategy.ask(number)
        strategy.tell(Trial(number, params, TrialState.COMPLETE, value=loss(params, number)))
    return strategy


def test_leave_one_out_means_are_those_of_the_process_without_the_row():
    rng = np.random.default_rng(0)
    X, y = rng.random((12, 3)), rng.standard_normal(12)
    hp = model.Hyperparameters(1.3, np.array([0.4, 0.7, 2.0]), 0.05)
    loo = model.loo_means(X, y, hp)
    for i in range(len(X)):
        rest = np.arange(len(X)) != i
        mean, _ = model.Posterior(X[rest], y[rest], hp).predict(X[i:i + 1])
        assert loo[i] == pytest.approx(mean[0], rel=1e-6, abs=1e-9)


def test_a_model_no_better_than_chance_hands_over_to_de_with_every_trial(monkeypatch):
    told: list[int] = []

    class RecordingDE(DifferentialEvolution):
        def tell(self, trial):
            told.append(trial.number)
            super().tell(trial)

    monkeypatch.setattr(auto, "load", lambda name: RecordingDE if name == "de" else load(name))
    strategy = run(CHOICES, noise, auto.CHANCE_AT)
    gp = strategy.current
    assert strategy.name == "gp"
    rho = gp.predictive_rank()
    assert rho < auto.CHANCE_RHO  # the losses are noise: the model predicts them no better than chance
    strategy.ask(auto.CHANCE_AT)
    assert strategy.name == "de" and isinstance(strategy.current, RecordingDE)
    assert told == list(range(auto.CHANCE_AT))  # every finished trial, once
    assert strategy.switches == [(auto.CHANCE_AT, "gp", "de", 0.0, 0.0)]
    assert strategy.reason.endswith(
        f"; the GP predicted the first {auto.CHANCE_AT} trials no better than chance (rank correlation "
        f"{rho:.2f}), so differential evolution took over at trial {auto.CHANCE_AT}")


def test_a_model_that_predicts_the_trials_keeps_the_gp():
    strategy = run(BOWL, bowl, auto.CHANCE_AT + 10)
    assert strategy.name == "gp" and strategy.switches == []
    assert strategy.current.predictive_rank() > 0.8
    assert "chance" not in strategy.reason


def test_the_check_runs_once():
    strategy = run(CHOICES, noise, auto.CHANCE_AT)
    strategy.current.predictive_rank = lambda: 0.9  # a model that predicts well at the check
    strategy.ask(auto.CHANCE_AT)
    strategy.current.predictive_rank = lambda: -0.9  # and badly after it: too late, nothing changes
    for number in range(auto.CHANCE_AT, auto.CHANCE_AT + 5):
        strategy.tell(Trial(number, strategy.ask(number), TrialState.COMPLETE, value=noise({}, number)))
    assert strategy.name == "gp" and strategy.switches == []


@pytest.mark.parametrize("context", [{"pruning": "asha"}, {"jobs": 16}])
def test_no_check_where_auto_does_not_start_with_the_gp(context):
    strategy = run(CHOICES, noise, auto.CHANCE_AT + 2, **context)
    assert strategy.name == "tpe" and strategy.switches == []


def test_the_hand_over_is_in_the_summary_reason():
    # a loss that looks random, the same in every process (crc32, not the salted hash())
    cell = "import zlib\n" + CHOICES.replace("\n0", "\nzlib.crc32(repr((c0, c1, c2, c3, c4, c5)).encode()) % 1000 / 1000")
    result = hpmagic.tune(cell, {}, trials=auto.CHANCE_AT + 5, seed=0, quiet=True, apply=False, baseline=False)
    assert result.strategy == "de"
    assert result.strategy_reason.startswith("auto: gp, because 6 parameters and 25 trials suit Bayesian optimisation; "
                                             "the GP predicted the first 20 trials no better than chance (rank correlation ")
    assert result.strategy_reason.endswith("), so differential evolution took over at trial 20")
