"""How ``gp`` fits the trials told by --warm-start: shifted by the offset measured where both searches
ran, and left out once the search has enough of its own (hpmagic.strategies.warm, GPStrategy.WARM)."""

from __future__ import annotations

import numpy as np
import pytest

from hpmagic.core import Trial, TrialState
from hpmagic.space import Parameter, SearchSpace, Uniform
from hpmagic.strategies import make_strategy
from hpmagic.strategies import warm as told_fit
from hpmagic.strategies.base import StrategyContext
from hpmagic.strategies.gp import GPStrategy

SPACE = SearchSpace((Parameter("x", Uniform(0.0, 1.0), 0.5), Parameter("y", Uniform(0.0, 1.0), 0.5)))
EARLIER = [({"x": 0.1, "y": 0.2}, 3.0), ({"x": 0.4, "y": 0.8}, 1.0), ({"x": 0.9, "y": 0.5}, 2.0)]


def gp(warm: str = "shift+drop") -> GPStrategy:
    strategy = make_strategy("gp", SPACE, StrategyContext(budget=20, seed=0, warm=len(EARLIER)))
    assert isinstance(strategy, GPStrategy)
    strategy.WARM = warm
    for i, (params, value) in enumerate(EARLIER):
        strategy.tell(Trial(number=-(i + 1), params=params, state=TrialState.COMPLETE, value=value))
    return strategy


def run(strategy: GPStrategy, number: int, params: dict, value: float) -> None:
    strategy.tell(Trial(number=number, params=params, state=TrialState.COMPLETE, value=value))


def fitted(strategy: GPStrategy) -> list[tuple[tuple[float, ...], float]]:
    X, y = strategy._training_data()
    return sorted((tuple(np.round(strategy.encoder.latent_from_features(x), 6)), float(v)) for x, v in zip(X, y))


def test_the_offset_is_the_median_difference_where_both_ran():
    told = {b"a": 1.0, b"b": 2.0, b"c": 3.0}
    assert told_fit.offset(told, [(b"a", 1.5)]) == 0.5
    assert told_fit.offset(told, [(b"a", 1.5), (b"b", 3.0), (b"c", 3.0), (b"z", 9.0)]) == 0.5
    assert told_fit.offset(told, [(b"a", 1.5), (b"b", 3.0)]) == 0.75
    assert told_fit.offset(told, [(b"z", 1.5)]) is None


def test_told_losses_are_fitted_as_told_until_a_configuration_both_ran_is_known():
    strategy = gp()
    run(strategy, 0, {"x": 0.5, "y": 0.5}, 7.0)  # the defaults: not one the earlier search ran
    assert [v for _, v in fitted(strategy)] == [3.0, 1.0, 7.0, 2.0]


def test_once_the_earlier_best_ran_again_every_told_loss_moves_by_the_offset():
    strategy = gp()
    run(strategy, 0, {"x": 0.5, "y": 0.5}, 7.0)
    run(strategy, 1, {"x": 0.4, "y": 0.8}, 1.25)  # the earlier best, run again: 0.25 worse here
    assert fitted(strategy) == [
        ((0.1, 0.2), 3.25),
        ((0.4, 0.8), 1.25),
        ((0.4, 0.8), 1.25),
        ((0.5, 0.5), 7.0),
        ((0.9, 0.5), 2.25),
    ]


@pytest.mark.parametrize("warm", ["none", "drop"])
def test_without_shift_the_told_losses_are_fitted_as_told(warm):
    strategy = gp(warm)
    run(strategy, 0, {"x": 0.4, "y": 0.8}, 1.25)
    assert [v for _, v in fitted(strategy)] == [3.0, 1.0, 1.25, 2.0]


@pytest.mark.parametrize(("warm", "kept"), [("shift+drop", 0), ("drop", 0), ("shift", 3), ("none", 3)])
def test_the_told_trials_leave_the_fit_once_the_search_has_twice_its_dimension_of_its_own(warm, kept):
    strategy = gp(warm)
    enough = max(strategy.n_initial, told_fit.DROP_AFTER * len(SPACE))
    for n in range(enough - 1):
        run(strategy, n, {"x": 0.05 + 0.1 * n, "y": 0.3}, 5.0 + n)
    assert len(fitted(strategy)) == len(EARLIER) + enough - 1  # one short: all still in
    run(strategy, enough - 1, {"x": 0.95, "y": 0.3}, 9.0)
    assert len(fitted(strategy)) == kept + enough
