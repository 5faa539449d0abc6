"""XGBoostCallback and LightGBMCallback with the real frameworks: inline, --jobs 2 and Dask.

Each cell trains one small booster with the callback and prints how many rounds it trained, so
a pruned trial shows that the framework stopped the training at the round the rule stopped it
(its curve's last step), and a complete one that its curve is the framework's own evaluation
results, round by round.
"""

from __future__ import annotations

import threading

import numpy as np
import pytest

import hpmagic
from hpmagic.core import TrialState
from hpmagic.errors import ReportError, TrialsFailedError

from .conftest import run_tune

ROUNDS = 30

XGBOOST = """
import xgboost
from hpmagic.integrations import XGBoostCallback
lr = 0.3  # tune: loguniform(0.001, 0.5)
model = xgboost.XGBClassifier(n_estimators={rounds}, learning_rate=lr, max_depth=3, eval_metric={metrics}, n_jobs=1,
                              callbacks=[XGBoostCallback({metric!r}{options})])
model.fit(X, y, eval_set=[(Xv, yv)], verbose=False)
print("rounds", model.get_booster().num_boosted_rounds())
curve = model.evals_result()["validation_0"]
{objective}
"""

LIGHTGBM = """
import lightgbm
from hpmagic.integrations import LightGBMCallback
lr = 0.3  # tune: loguniform(0.001, 0.5)
model = lightgbm.LGBMClassifier(n_estimators={rounds}, learning_rate=lr, num_leaves=7, metric={metrics}, n_jobs=1,
                                verbose=-1)
model.fit(X, y, eval_set=[(Xv, yv)], callbacks=[LightGBMCallback({metric!r}{options})])
print("rounds", model.booster_.current_iteration())
curve = model.evals_result_["valid_0"]
{objective}
"""

# per framework: the cell, its loss metric's name, the loss's and an AUC's key in the evaluation results
FRAMEWORKS = {
    "xgboost": (XGBOOST, "validation_0-logloss", "logloss", "auc"),
    "lightgbm": (LIGHTGBM, "valid_0-binary_logloss", "binary_logloss", "auc"),
}


def cell(framework, *, metric=None, options="", objective=None, rounds=ROUNDS, metrics=None):
    pytest.importorskip(framework)
    text, loss_name, loss, _ = FRAMEWORKS[framework]
    return text.format(
        rounds=rounds,
        metric=metric or loss_name,
        options=options,
        objective=objective or f"curve[{loss!r}][-1]",
        metrics=metrics or repr([loss, "auc"]),
    )


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(500, 8))
    y = (X[:, 0] + 0.5 * X[:, 1] + rng.normal(scale=0.8, size=500) > 0).astype(int)
    return {"X": X[:350], "y": y[:350], "Xv": X[350:], "yv": y[350:]}


def rounds_trained(trial):
    return int(trial.stdout.split("rounds ")[1].split()[0])


def check_trials(result, curve_is_objective=True):
    """Pruned trials stopped where the rule stopped them; complete ones ran every round (and
    reported the objective's own metric last, when ``curve_is_objective``)."""
    states = {t.state for t in result.trials}
    assert TrialState.PRUNED in states and TrialState.COMPLETE in states, [t.error for t in result.trials]
    for t in result.trials:
        assert [step for step, _ in t.curve] == list(range(1, len(t.curve) + 1))
        assert rounds_trained(t) == len(t.curve)  # the framework stopped at the pruned round, not later
        if t.state is TrialState.COMPLETE:
            assert len(t.curve) == ROUNDS
            assert t.curve[-1][1] == pytest.approx(t.value) or not curve_is_objective
        else:
            assert t.state is TrialState.PRUNED and len(t.curve) < ROUNDS
            assert t.error.startswith(f"at rung {len(t.curve)} (step {len(t.curve)})")


@pytest.mark.parametrize("framework", list(FRAMEWORKS))
def test_a_pruned_search_inline_stops_boosting_where_the_rule_says(ip, framework, data):
    ip.user_ns.update(data)
    threads = set(threading.enumerate())
    run_tune(ip, "-n 12 --seed 0 --prune asha --minimize -q -o result", cell(framework))
    result = ip.user_ns["result"]
    check_trials(result)
    assert set(threading.enumerate()) == threads  # nothing left running


@pytest.mark.parametrize("framework", list(FRAMEWORKS))
def test_a_pruned_search_with_two_worker_processes(framework, data):
    result = hpmagic.tune(
        cell(framework), dict(data), trials=12, seed=0, prune="asha", minimize=True, quiet=True, jobs=2
    )
    check_trials(result)


@pytest.fixture(scope="module")
def dask_client():
    for framework in FRAMEWORKS:  # (before a cluster starts for nothing)
        pytest.importorskip(framework)
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        with distributed.Client(cluster) as client:
            yield client


@pytest.mark.parametrize("framework", list(FRAMEWORKS))
def test_a_pruned_search_on_a_dask_cluster(framework, data, dask_client):
    result = hpmagic.tune(
        cell(framework), dict(data), trials=12, seed=0, prune="asha", minimize=True, quiet=True, executor=dask_client
    )
    check_trials(result)


@pytest.mark.parametrize("framework", list(FRAMEWORKS))
def test_without_prune_every_round_is_recorded_and_nothing_stops(framework, data):
    result = hpmagic.tune(cell(framework), dict(data), trials=3, seed=0, minimize=True, quiet=True)
    assert [t.state for t in result.trials] == [TrialState.COMPLETE] * 3
    assert all(len(t.curve) == ROUNDS == rounds_trained(t) for t in result.trials)


@pytest.mark.parametrize("framework", list(FRAMEWORKS))
def test_outside_tune_the_callback_reports_nothing_and_the_cell_runs(framework, data):
    namespace = dict(data)
    exec(cell(framework).replace("# tune:", "#"), namespace)
    assert len(namespace["curve"][FRAMEWORKS[framework][2]]) == ROUNDS


@pytest.mark.parametrize("framework", list(FRAMEWORKS))
def test_a_metric_not_among_the_evaluation_results_names_those_that_are(framework, data):
    _, loss_name, loss, _ = FRAMEWORKS[framework]
    wrong = loss_name.replace(loss, "los")
    expected = (
        f"there is no evaluation result named {wrong!r}; this training's are "
        f"{loss_name!r}, {loss_name.replace(loss, 'auc')!r} (the data set's name, a dash, the metric's name)"
    )
    with pytest.raises(ReportError) as outside:  # alone, the cell fails at its first round
        exec(cell(framework, metric=wrong), dict(data))
    assert expected in str(outside.value)
    with pytest.raises(TrialsFailedError) as tuned:
        hpmagic.tune(cell(framework, metric=wrong), dict(data), trials=3, seed=0, minimize=True, quiet=True)
    assert expected in tuned.value.result.trials[0].error


@pytest.mark.parametrize("framework", list(FRAMEWORKS))
def test_a_loss_watched_while_the_search_maximizes_is_an_error_with_prune(framework, data):
    _, loss_name, loss, _ = FRAMEWORKS[framework]
    auc = loss_name.replace(loss, "auc")
    source = cell(framework, objective="curve['auc'][-1]")
    with pytest.raises(TrialsFailedError) as failed:
        hpmagic.tune(source, dict(data), trials=3, seed=0, maximize=True, prune="asha", quiet=True)
    owner = f"{'XGBoost' if framework == 'xgboost' else 'LightGBM'}Callback({loss_name!r})"
    rule = "XGBoost" if framework == "xgboost" else "LightGBM"
    assert (
        f"{owner}: {loss_name!r} is lower is better (by {rule}'s rule), but this search maximizes its objective, "
        f"so --prune would stop the trials whose {loss_name!r} is best and keep the worst. Make the cell's objective "
        f"this metric (its last value, with --minimize), watch a metric that goes that way ({auc!r}), or pass "
        "negate=True to report its negative"
    ) in failed.value.result.trials[0].error
    # negate=True: the loss is reported as -loss, higher is better, and pruning goes the right way
    negated = hpmagic.tune(
        cell(framework, options=", negate=True", objective="curve['auc'][-1]"),
        dict(data),
        trials=12,
        seed=0,
        maximize=True,
        prune="asha",
        quiet=True,
    )
    check_trials(negated, curve_is_objective=False)
    done = next(t for t in negated.trials if t.state is TrialState.COMPLETE)
    assert all(value < 0 for _, value in done.curve)
    # without --prune nothing is read the wrong way: the curve is recorded as it is
    plain = hpmagic.tune(source, dict(data), trials=2, seed=0, maximize=True, quiet=True)
    assert [t.state for t in plain.trials] == [TrialState.COMPLETE] * 2


@pytest.mark.parametrize("framework", list(FRAMEWORKS))
def test_an_auc_watched_while_the_search_maximizes_it_prunes(framework, data):
    _, loss_name, loss, _ = FRAMEWORKS[framework]
    result = hpmagic.tune(
        cell(framework, metric=loss_name.replace(loss, "auc"), objective="curve['auc'][-1]"),
        dict(data),
        trials=12,
        seed=0,
        maximize=True,
        prune="asha",
        quiet=True,
    )
    check_trials(result)


def test_a_training_without_evaluation_data_says_how_to_give_it(data):
    source = cell("xgboost").replace("eval_set=[(Xv, yv)], ", "")
    with pytest.raises(
        ReportError,
        match=r"XGBoostCallback\('validation_0-logloss'\): the training has no evaluation "
        r"results to watch; give it evaluation data: fit\(\.\.\., eval_set=",
    ):
        exec(source.replace("# tune:", "#"), dict(data))


def test_an_xgboost_custom_metric_needs_its_direction_with_prune(data):
    source = "def half(y, p):\n    return 0.5\n" + cell("xgboost", metric="validation_0-half", metrics="half")
    with pytest.raises(TrialsFailedError) as failed:
        hpmagic.tune(source, dict(data), trials=3, seed=0, minimize=True, prune="asha", quiet=True)
    assert (
        "XGBoostCallback('validation_0-half'): XGBoost does not say which way 'validation_0-half' is better "
        "(a custom metric?), and --prune needs to know; pass maximize=True (higher is better) or maximize=False"
    ) in failed.value.result.trials[0].error
    told = source.replace("'validation_0-half'", "'validation_0-half', maximize=False")
    result = hpmagic.tune(told, dict(data), trials=2, seed=0, minimize=True, prune="asha", quiet=True)
    assert [t.state for t in result.trials] == [TrialState.COMPLETE] * 2


def test_two_trainings_in_one_trial_say_that_a_curve_is_one_training(data):
    source = cell("xgboost").replace(
        'print("rounds"', 'model.fit(X, y, eval_set=[(Xv, yv)], verbose=False)\nprint("rounds"'
    )
    with pytest.raises(TrialsFailedError) as failed:
        hpmagic.tune(source, dict(data), trials=3, seed=0, minimize=True, quiet=True)
    error = failed.value.result.trials[0].error
    assert (
        "XGBoostCallback('validation_0-logloss') at round 1: report(value, step): step 1 comes after step 30" in error
    )
    assert "(the trial's curve is already at step 30: a trial's curve is one training" in error


def test_xgboost_reads_its_metrics_directions_by_its_own_rule():
    pytest.importorskip("xgboost")
    from hpmagic.integrations.xgboost import higher_is_better

    assert [
        higher_is_better(m) for m in ("auc", "aucpr", "ndcg@5", "map@3-", "pre@2", "interval-regression-accuracy")
    ] == [True] * 6
    assert [
        higher_is_better(m) for m in ("logloss", "error@0.7", "mape", "rmse", "tweedie-nloglik@1.5", "mlogloss")
    ] == [False] * 6
    assert higher_is_better("my_metric") is None


def test_bad_arguments_are_clear_errors():
    pytest.importorskip("xgboost")
    from hpmagic.integrations import XGBoostCallback

    with pytest.raises(
        ReportError,
        match=r"the metric is named as in the evaluation results, e.g. "
        r"'validation_0-logloss', but got 3",
    ):
        XGBoostCallback(3)
    with pytest.raises(ReportError, match=r"maximize= is True, False or None \(the framework's rule\), but got 'yes'"):
        XGBoostCallback("valid-auc", maximize="yes")
