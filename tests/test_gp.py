"""The ``gp`` strategy: its mathematics, its search quality on toys, and the ask/tell details."""

from __future__ import annotations

import math

import numpy as np
import pytest

import hpmagic
from hpmagic.core import Trial, TrialState
from hpmagic.space import Choice, Int, LogUniform, Parameter, SearchSpace, Uniform
from hpmagic.strategies._gp import acquisition, model
from hpmagic.strategies._gp.encoding import Encoder
from hpmagic.strategies.base import StrategyContext
from hpmagic.strategies.gp import GPStrategy

# -- mathematics ---------------------------------------------------------------------------


def test_log_h_matches_the_closed_form_and_stays_finite_far_out():
    from scipy.stats import norm

    z = np.linspace(-8, 5, 400)
    direct = np.log(z * norm.cdf(z) + norm.pdf(z))
    assert np.allclose(acquisition.log_h(z), direct, rtol=1e-7, atol=1e-9)
    # Far below, h(z) ~ phi(z) / z^2: the log is finite and follows the asymptote.
    far = np.array([-40.0, -200.0, -1e4])
    asymptote = -0.5 * far**2 - 0.5 * np.log(2 * np.pi) - 2 * np.log(-far)
    got = acquisition.log_h(far)
    assert np.all(np.isfinite(got))
    assert np.allclose(got, asymptote, rtol=1e-3)
    # Increasing everywhere (h' = Phi > 0), including across the two branches.
    zz = np.linspace(-30, 3, 2000)
    assert np.all(np.diff(acquisition.log_h(zz)) > 0)


def _toy_posterior(seed=0, n=15, d=3):
    rng = np.random.default_rng(seed)
    X = rng.random((n, d))
    y = np.sin(3 * X[:, 0]) + X[:, 1] ** 2 - X[:, 2]
    y_t = model.transform_targets(y)
    hp = model.fit_hyperparameters(X, y_t, rng)
    return model.Posterior(X, y_t, hp), X, y_t, hp


def test_posterior_agrees_with_scikit_learn_for_the_same_kernel():
    from sklearn.gaussian_process import GaussianProcessRegressor
    from sklearn.gaussian_process.kernels import ConstantKernel, Matern, WhiteKernel

    post, X, y, hp = _toy_posterior()
    kernel = ConstantKernel(hp.amplitude, "fixed") * Matern(hp.length_scales, "fixed", nu=2.5) + WhiteKernel(
        hp.noise, "fixed"
    )
    ref = GaussianProcessRegressor(kernel, alpha=1e-9, optimizer=None).fit(X, y)
    Q = np.random.default_rng(1).random((50, X.shape[1]))
    mean, var = post.predict(Q)
    ref_mean, ref_std = ref.predict(Q, return_std=True)
    assert np.allclose(mean, ref_mean, atol=1e-6)
    # scikit-learn's std includes the white noise; ours is the latent function's.
    assert np.allclose(var + hp.noise, ref_std**2, atol=1e-6)


def test_gradients_of_mean_variance_and_log_ei_match_finite_differences():
    post, X, y, _ = _toy_posterior(seed=3)
    best = float(y.min())
    rng = np.random.default_rng(7)
    for _ in range(5):
        x = rng.random(X.shape[1])
        mean, var, dmean, dvar = post.predict_with_gradient(x)
        val, grad = acquisition.log_ei_with_gradient(post, x, best)
        m2, v2 = post.predict(x[None, :])
        assert mean == pytest.approx(m2[0], abs=1e-9) and var == pytest.approx(v2[0], abs=1e-9)
        h = 1e-6
        for j in range(len(x)):
            e = np.zeros_like(x)
            e[j] = h
            mp, vp = post.predict((x + e)[None, :])
            mm, vm = post.predict((x - e)[None, :])
            assert dmean[j] == pytest.approx((mp[0] - mm[0]) / (2 * h), rel=1e-4, abs=1e-6)
            assert dvar[j] == pytest.approx((vp[0] - vm[0]) / (2 * h), rel=1e-4, abs=1e-6)
            lp = acquisition.log_ei(mp, vp, best)[0]
            lm = acquisition.log_ei(mm, vm, best)[0]
            assert grad[j] == pytest.approx((lp - lm) / (2 * h), rel=1e-3, abs=1e-5)


def test_losses_whose_better_half_spans_orders_of_magnitude_go_on_a_log_scale():
    # Rosenbrock-like: the better half spans 0.01 to 50 above the best; the cap alone squeezes
    # 0.01 vs 0.1 vs 1 into a sliver of the range, the log spreads them evenly.
    y = np.array([0.0, 0.01, 0.1, 1.0, 10.0, 50.0, 3e3, 4e4, 9e4, 1e5])
    logged = model.log_if_spread(y)
    assert np.all(np.diff(logged) > 0), "monotone: the best point stays the best"
    d = np.quantile(y[1:], 0.1)  # the 10% quantile of the positive distances from the best
    assert logged == pytest.approx(np.log(y - y.min() + d))
    t = model.transform_targets(y)
    assert (t[3] - t[2]) / (t[5] - t[0]) > 0.15, "the better half keeps its differences after the cap"
    # Errors whose better half spans a factor of a few are left exactly as they were.
    errors = np.array([0.0527, 0.0540, 0.0552, 0.0565, 0.0590, 0.0640, 0.0900, 0.2000])
    assert model.log_if_spread(errors) is errors
    assert np.array_equal(model.log_if_spread(np.array([1.0, 1.0, 1.0, 2.0])), [1.0, 1.0, 1.0, 2.0])


def test_target_transform_is_monotone_and_tames_huge_losses():
    y = np.array([0.5, 1.0, 2.0, 3.0, 1e5, 2e6, 0.7])
    t = model.transform_targets(y)
    order = np.argsort(y)
    assert np.all(np.diff(t[order]) >= 0)  # monotone: the best point stays the best
    assert t.std() == pytest.approx(1.0)
    assert np.all(np.diff(t[order][:4]) > 0)  # the better half keeps its order
    assert t[3] == t[4] == t[5]  # everything worse than the median counts as the median
    assert t[2] - t[0] > 0.5  # the good values are not squashed together by the outliers


def test_encoding_round_trips_and_flags_inactive_parameters():
    space = SearchSpace(
        (
            Parameter("kind", Choice(("a", "b", "c")), "a"),
            Parameter("lr", LogUniform(1e-4, 1.0), 0.1),
            Parameter("depth", Int(1, 10), 3, condition=_cond("kind", "==", "b")),
        )
    )
    enc = Encoder(space)
    assert enc.width == 3 + 1 + 1 + 1  # one-hot kind, lr, depth, depth's flag
    for config in ({"kind": "b", "lr": 0.01, "depth": 7}, {"kind": "a", "lr": 0.5}):
        x = enc.encode(config)
        back = enc.config_from_features(x)
        assert back.keys() == config.keys() and back["kind"] == config["kind"]
        assert back["lr"] == pytest.approx(config["lr"], rel=1e-9)
        if "depth" in config:
            assert back["depth"] == 7 and x[-1] == 1.0
        else:
            assert x[-1] == 0.0 and x[enc.blocks[2].start] == 0.5
    # Integers sit at the centre of their cell, whatever latent point produced them.
    X = enc.features_from_latent(np.array([[0.5, 0.3, 0.61], [0.5, 0.3, 0.69]]))
    assert np.array_equal(X[0], X[1])


def _cond(name, op, value):
    from hpmagic.space import Condition

    return Condition(("cmp", name, op, value), f"{name} {op} {value!r}")


# -- search quality on toys (seeded; quality asserted with margins, never speed) ----------


def _run(space, f, trials, seed):
    s = GPStrategy()
    s.setup(space, StrategyContext(budget=trials, seed=seed))
    best = math.inf
    for k in range(trials):
        config = s.ask(k)
        value = f(config)
        best = min(best, value)
        s.tell(Trial(k, config, TrialState.COMPLETE, value=value))
    return best


def test_finds_the_minimum_of_a_1d_function_quickly():
    space = SearchSpace((Parameter("x", Uniform(-3, 3), 0.0),))
    f = lambda c: (c["x"] - 1.234) ** 2 + 0.3 * math.sin(5 * c["x"])  # noqa: E731
    xs = np.linspace(-3, 3, 200001)
    f_min = float(np.min((xs - 1.234) ** 2 + 0.3 * np.sin(5 * xs)))
    for seed in (0, 1, 2):
        assert _run(space, f, 15, seed) - f_min < 1e-3


def test_branin_in_thirty_trials():
    space = SearchSpace((Parameter("x1", Uniform(-5, 10), 2.5), Parameter("x2", Uniform(0, 15), 7.5)))

    def branin(c):
        x1, x2 = c["x1"], c["x2"]
        return (
            (x2 - 5.1 / (4 * math.pi**2) * x1**2 + 5 / math.pi * x1 - 6) ** 2
            + 10 * (1 - 1 / (8 * math.pi)) * math.cos(x1)
            + 10
        )

    # Random search's expected best after 30 draws is about 3.5; the optimum is 0.397887.
    bests = [_run(space, branin, 30, seed) for seed in (0, 1)]
    assert max(bests) < 0.5


# -- the ask/tell contract details ----------------------------------------------------------


def test_pending_asks_are_distinct_and_avoid_told_points():
    space = SearchSpace((Parameter("x", Uniform(0, 1), 0.5), Parameter("y", Uniform(0, 1), 0.5)))
    s = GPStrategy()
    s.setup(space, StrategyContext(budget=30, seed=4, jobs=4))
    f = lambda c: (c["x"] - 0.3) ** 2 + (c["y"] - 0.7) ** 2  # noqa: E731
    for k in range(8):
        c = s.ask(k)
        s.tell(Trial(k, c, TrialState.COMPLETE, value=f(c)))
    told = [t for t, _ in s._told.values()]
    batch = [s.ask(k) for k in range(8, 12)]  # four at once, none told yet
    points = np.array([[c["x"], c["y"]] for c in batch])
    for i in range(len(points)):
        for j in range(i):
            assert np.abs(points[i] - points[j]).max() > 1e-3
        assert min(np.abs(points[i] - t).max() for t in told) > 1e-6
    assert len(s._pending) == 4


def test_mixed_conditional_space_through_tune():
    cell = "\n".join(
        [
            'kind = "a"   # tune: ["a", "b", "c"]',
            "x = 0.0      # tune: uniform(-2, 2, step=0.5)",
            'lr = 0.1     # tune: loguniform(1e-4, 1.0) if kind == "b"',
            'depth = 3    # tune: logint(1, 64) if kind != "a"',
            "units = 8    # tune: int(1, 16)",
            "loss = (x - 1) ** 2 + abs(units - 12) * 0.1",
            'loss += 1.0 if kind == "a" else (abs(math.log10(lr) + 2) if kind == "b" else 0.5) + abs(math.log2(depth) - 3) * 0.1',
            "loss",
        ]
    )
    result = hpmagic.tune(cell, {"math": math}, trials=30, strategy="gp", seed=0, quiet=True, apply=False)
    space = result.space
    assert result.strategy == "gp" and len(result.trials) == 30
    for t in result.trials:
        space.validate(t.params)  # every active parameter present, no inactive one
        assert isinstance(t.params["units"], int) and 1 <= t.params["units"] <= 16
        assert t.params["x"] in {-2.0, -1.5, -1.0, -0.5, 0.0, 0.5, 1.0, 1.5, 2.0}
        if "depth" in t.params:
            assert isinstance(t.params["depth"], int) and 1 <= t.params["depth"] <= 64
    # The best branch ("c": 0.5 plus small terms) beats the defaults' branch ("a", >= 1).
    assert result.best_value < 0.8


def test_failed_trials_are_tolerated_and_their_region_avoided():
    cell = "x = 0.5  # tune: uniform(0, 1)\nif x > 0.6:\n    raise ValueError('diverged')\n(x - 0.55) ** 2"
    result = hpmagic.tune(cell, {}, trials=20, strategy="gp", seed=1, quiet=True, apply=False)
    counts = result.counts()
    assert counts["complete"] >= 10 and counts["failed"] >= 1
    assert result.best_value < 1e-3
    late = [t for t in result.trials if t.number >= 10]
    assert sum(t.state is TrialState.FAILED for t in late) <= 3  # it learnt where the failures are


def test_small_discrete_space_never_repeats_until_exhausted():
    space = SearchSpace((Parameter("k", Choice(("a", "b", "c")), "a"), Parameter("n", Int(1, 3), 1)))
    s = GPStrategy()
    s.setup(space, StrategyContext(budget=20, seed=0))
    seen = []
    for k in range(9):
        c = s.ask(k)
        seen.append((c["k"], c["n"]))
        s.tell(Trial(k, c, TrialState.COMPLETE, value=("abc".index(c["k"]) - 1) ** 2 + c["n"]))
    # Sobol points may coincide in the first few; after that the model never re-proposes.
    assert len(set(seen[5:])) == len(seen[5:]) and not set(seen[5:]) & set(seen[:5])


def test_told_defaults_count_towards_the_initial_design():
    space = SearchSpace((Parameter("x", Uniform(0, 1), 0.5),))
    s = GPStrategy()
    s.setup(space, StrategyContext(budget=10, seed=0))
    s.tell(Trial(0, {"x": 0.5}, TrialState.COMPLETE, value=1.0))
    s.tell(Trial(1, {"x": 7.0}, TrialState.COMPLETE, value=2.0))  # outside the range: clipped, still used
    s.tell(Trial(2, {"x": 0.1}, TrialState.INTERRUPTED))  # ignored
    assert len(s._told) == 2
    assert s.n_initial == 5


# -- values near the largest float (issue 21) ----------------------------------------------

HUGE = {
    # objectives of both signs up to 1.7e308: their differences overflow unless scaled first
    "both signs": "x = 0.5  # tune: uniform(0, 1)\ny = 0.5  # tune: uniform(0, 1)\n1.7e308 * (x - y)",
    "all negative": "x = 0.5  # tune: uniform(0, 1)\ny = 0.5  # tune: uniform(0, 1)\n-1.7e308 * ((x + y) / 2)",
    # every loss equal: a flat model, which still proposes
    "all equal": "x = 0.5  # tune: uniform(0, 1)\ny = 0.5  # tune: uniform(0, 1)\n1.7e308",
    # numeric choices near the largest float: the list's positions must not overflow
    "choice values": (
        "c = 1.0  # tune: [-1.7e308, -1e300, 1.0, 1e300, 1.7e308]\nx = 0.5  # tune: uniform(0, 1)\n"
        "abs(c) / 1e308 + (x - 0.3) ** 2"
    ),
}


@pytest.mark.parametrize("name", HUGE)
@pytest.mark.filterwarnings("error")  # as -W error: any warning would stop the search
def test_losses_and_choices_near_the_largest_float_do_not_stop_the_gp(name):
    result = hpmagic.tune(HUGE[name], {}, trials=16, strategy="gp", seed=0, quiet=True, apply=False)
    assert result.error == "" and result.stop_reason == "budget"
    assert result.counts()["complete"] == 16 and result.strategy == "gp"
    # past the 5 quasi-random points the model proposed, each configuration new
    assert len({tuple(t.params.values()) for t in result.trials[5:]}) == 11


def test_objectives_that_overflow_in_part_of_the_space_fail_there_and_no_numpy_warning_is_shown(recwarn):
    # beyond x = 0.4 the objective overflows to inf: those trials fail (the cell's own doing),
    # the others are near 1.8e308, and the GP goes on with the failures as the worst loss
    cell = "x = 0.1  # tune: uniform(0, 1)\n1e308 * (1 + 2 * x)"
    result = hpmagic.tune(cell, {}, trials=16, strategy="gp", seed=0, quiet=True, apply=False)
    assert result.error == "" and result.stop_reason == "budget" and len(result.trials) == 16
    assert result.counts()["failed"] >= 1 and result.best_trial.params["x"] < 0.4
    assert {t.error.strip().splitlines()[-1] for t in result.trials if t.error} == {
        "ObjectiveError: the objective is inf"
    }
    assert [str(w.message) for w in recwarn if issubclass(w.category, RuntimeWarning)] == []


def test_target_scaling_is_exact_for_ordinary_losses_and_finite_for_huge_ones():
    rng = np.random.default_rng(0)
    y = np.concatenate([rng.normal(3.0, 2.0, 30), [1e5, -7.25]])

    def unscaled(v):  # the transform as it was before the scaling: the same targets, bit for bit
        v = np.minimum(v, np.median(v))
        return (v - v.mean()) / v.std()

    assert np.array_equal(model.transform_targets(y), unscaled(y))
    huge = np.array([1.7e308, -1.7e308, 1e308, 0.0, -1e-300])
    with np.errstate(over="raise", invalid="raise", divide="raise"):  # no overflow at all, not a silenced one
        t = model.transform_targets(huge)
    assert np.all(np.isfinite(t)) and np.argmin(t) == 1 and t.std() == pytest.approx(1.0)
    assert np.array_equal(model.transform_targets(np.full(6, 1.7e308)), np.zeros(6))
    assert np.array_equal(
        model.unit_scale(np.array([3.0, -1.7e308])), np.array([3.0 * 2.0**-1024, -1.7e308 * 2.0**-1024])
    )


def test_a_list_of_numbers_near_the_largest_float_encodes_inside_the_cube():
    space = SearchSpace((Parameter("c", Choice((-1.7e308, 1.0, 1.7e308)), 1.0),))
    dist = space.parameters[0].distribution
    assert dist.scale == "linear" and dist.positions == (0.0, 0.5, 1.0)
    enc = Encoder(space)
    assert [float(enc.encode({"c": v})[0]) for v in (-1.7e308, 1.0, 1.7e308)] == [0.0, 0.5, 1.0]
    assert [enc.config_from_features(np.array([u]))["c"] for u in (0.1, 0.45, 0.9)] == [-1.7e308, 1.0, 1.7e308]
    # the same scaling keeps a list's scale from overflowing when the cell is parsed, for every strategy
    assert Choice((1.0, 2.0, 1e300)).scale == "rank" and Choice((1.0, 2.0, 1e300)).positions == (0.0, 0.5, 1.0)


def _told(trials, seed=3):
    space = SearchSpace((Parameter("x", Uniform(-3, 3), 0.0), Parameter("y", Uniform(-3, 3), 0.0)))
    s = GPStrategy()
    s.setup(space, StrategyContext(budget=trials + 1, seed=seed))
    values = []
    for k in range(trials):
        config = s.ask(k)
        values.append(config["x"] ** 2 + config["y"])
        s.tell(Trial(k, config, TrialState.COMPLETE, value=values[-1]))
    return s, values


def test_posterior_is_the_model_of_the_told_trials_and_changes_no_proposal():
    (s, values), (twin, _) = _told(12), _told(12)
    post = s.posterior()
    assert isinstance(post, model.Posterior)
    assert post.X.shape == (12, 2)
    np.testing.assert_allclose(post.y, model.transform_targets(np.array(values)))
    assert post.hp is s._hyper  # the last fit, not a new one
    assert s.ask(12) == twin.ask(12)
