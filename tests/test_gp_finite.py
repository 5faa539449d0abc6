"""The GP on finite spaces of lists and choices (issue 26): every configuration scored."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from hpmagic.core import Trial, TrialState
from hpmagic.space import Choice, Int, Parameter, SearchSpace, Uniform
from hpmagic.strategies._gp.encoding import Encoder
from hpmagic.strategies.base import StrategyContext
from hpmagic.strategies.gp import GPStrategy

LISTS = {
    "units": [16, 32, 64, 128],
    "lr": [0.001, 0.01, 0.1, 1.0],
    "act": ["relu", "tanh", "logistic"],
    "depth": [1, 2, 3],
}


def _space(lists: dict = LISTS) -> SearchSpace:
    return SearchSpace(tuple(Parameter(name, Choice(tuple(values)), values[0]) for name, values in lists.items()))


def _loss(c: dict) -> float:
    """A table-like loss: an optimum at (64, 0.1, "tanh", 2), an interaction of lr and the activation."""
    units = abs(np.log2(c["units"]) - 6)
    lr = abs(np.log10(c["lr"]) + 1)
    act = {"relu": 0.3, "tanh": 0.0, "logistic": 0.8}[c["act"]] * (1.0 + lr)
    return float(units + 2 * lr + act + 0.5 * abs(c["depth"] - 2))


def test_a_finite_space_is_enumerated_whole_with_the_features_of_each_configuration():
    space = _space()
    encoder = Encoder(space)
    found = encoder.finite()
    assert found is not None
    features, index = found
    assert features.shape == (4 * 4 * 3 * 3, encoder.width) and index.shape == (144, 4)
    configs = [encoder.config_from_features(row) for row in features]
    keys = {tuple(c[n] for n in LISTS) for c in configs}
    assert keys == set(itertools.product(*LISTS.values()))  # each configuration once
    for row, config, idx in zip(features, configs, index):
        np.testing.assert_array_equal(row, encoder.encode(config))
        assert [space[n].distribution.rank(config[n]) for n in LISTS] == list(idx)


def test_integers_count_as_finite_but_continuous_conditional_or_too_large_spaces_do_not():
    with_int = SearchSpace((Parameter("k", Choice(("a", "b")), "a"), Parameter("n", Int(1, 4), 1)))
    found = Encoder(with_int).finite()
    assert found is not None and len(found[0]) == 8
    assert Encoder(SearchSpace((Parameter("x", Uniform(0, 1), 0.5),))).finite() is None
    assert Encoder(_space()).finite(limit=143) is None
    from hpmagic.cell.parser import parse_cell

    conditional = parse_cell('k = "a"  # tune: ["a", "b"]\nn = 1  # tune: [1, 2] if k == "a"\nk, n\n').space
    assert Encoder(conditional).finite() is None


def _search(space: SearchSpace, f, trials: int, seed: int) -> list[dict]:
    s = GPStrategy()
    s.setup(space, StrategyContext(budget=trials, seed=seed))
    asked = []
    for k in range(trials):
        config = s.ask(k)
        asked.append(config)
        s.tell(Trial(k, config, TrialState.COMPLETE, value=f(config)))
    return asked


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_the_discrete_acquisition_proposes_the_optimum_of_a_small_table(seed):
    asked = _search(_space(), _loss, 30, seed)
    best = min(itertools.product(*LISTS.values()), key=lambda v: _loss(dict(zip(LISTS, v))))
    assert best == (64, 0.1, "tanh", 2)
    assert dict(zip(LISTS, best)) in asked  # 144 configurations; random search finds it in 30 draws one time in five
    keys = [tuple(c[n] for n in LISTS) for c in asked[5:]]
    assert len(set(keys)) == len(keys)  # never proposed twice once the model proposes
