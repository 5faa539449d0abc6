"""The GP on finite spaces of lists and choices (issue 26): every configuration scored; and the
two measured options that are off by default, local proposals around the best trials
(``gp.LOCAL_EVERY``) and one length scale per categorical choice (``model.fit_grouped``)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from scipy.optimize import approx_fprime

from hpmagic.core import Trial, TrialState
from hpmagic.space import Choice, Int, Parameter, SearchSpace, Uniform
from hpmagic.strategies import gp
from hpmagic.strategies._gp import model
from hpmagic.strategies._gp.encoding import Encoder
from hpmagic.strategies.base import StrategyContext
from hpmagic.strategies.gp import GPStrategy

LISTS = {"units": [16, 32, 64, 128], "lr": [0.001, 0.01, 0.1, 1.0], "act": ["relu", "tanh", "logistic"], "depth": [1, 2, 3]}


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


def test_every_second_model_proposal_changes_at_most_one_parameter_of_a_told_trial(monkeypatch):
    monkeypatch.setattr(gp, "LOCAL_EVERY", 2)
    space = _space()
    s = GPStrategy()
    s.setup(space, StrategyContext(budget=40, seed=3))
    told: list[dict] = []
    local = []
    for k in range(30):
        config = s.ask(k)
        if len(told) >= s.n_initial and len(told) % 2 == 0:
            local.append(min(sum(config[n] != t[n] for n in LISTS) for t in told))
        s.tell(Trial(k, config, TrialState.COMPLETE, value=_loss(config)))
        told.append(config)
    assert len(local) >= 8 and max(local) <= 1


def test_the_grouped_fit_shares_one_length_scale_per_choice_and_its_gradient_is_exact():
    space = _space()
    encoder = Encoder(space)
    groups = encoder.groups()
    assert [list(g) for g in groups] == [[0], [1], [2, 3, 4], [5]]  # the activation's three one-hot columns together
    rng = np.random.default_rng(0)
    configs = [space.sample(rng) for _ in range(25)]
    X = np.vstack([encoder.encode(c) for c in configs])
    y = model.transform_targets(np.array([_loss(c) for c in configs]))
    hp = model.fit_grouped(X, y, groups, rng)
    assert hp.length_scales[2] == hp.length_scales[3] == hp.length_scales[4]
    D = np.stack([model._squared_distances(X[:, g]) for g in groups])
    theta = np.log([1.3, 0.4, 0.7, 0.9, 0.5, 0.05])
    value, grad = model._negative_log_likelihood(theta, D, y)
    numeric = approx_fprime(theta, lambda t: model._negative_log_likelihood(t, D, y)[0], 1e-6)
    np.testing.assert_allclose(grad, numeric, rtol=1e-4, atol=1e-4)


def test_with_one_column_per_group_the_likelihood_is_scikit_learns():
    from sklearn.gaussian_process import GaussianProcessRegressor
    from sklearn.gaussian_process.kernels import ConstantKernel, Matern, WhiteKernel

    rng = np.random.default_rng(1)
    X, y = rng.random((20, 3)), rng.standard_normal(20)
    D = np.stack([model._squared_distances(X[:, [j]]) for j in range(3)])
    theta = np.log([1.3, 0.4, 0.7, 0.9, 0.05])
    kernel = ConstantKernel(1.3) * Matern([0.4, 0.7, 0.9], nu=2.5) + WhiteKernel(0.05)
    reference = GaussianProcessRegressor(kernel, alpha=1e-10, optimizer=None).fit(X, y)
    assert model._negative_log_likelihood(theta, D, y)[0] == pytest.approx(-reference.log_marginal_likelihood_value_, rel=1e-9)
