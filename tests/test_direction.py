"""Which way is better: inferred from the cell when no option says it, said in the headline, and
reports that go against the objective found and no longer pruned on the wrong side (issue 21)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from hpmagic import TrialState, cross_val_score, report, tune
from hpmagic._format import fmt_value
from hpmagic.cell.direction import direction_of_name, infer, settle
from hpmagic.core import Direction, Trial
from hpmagic.display.html import result_html
from hpmagic.errors import OptionError, StudyMismatchError
from hpmagic.pruning import agreement
from hpmagic.pruning.service import PruningService

MAX, MIN = Direction.MAXIMIZE, Direction.MINIMIZE


@pytest.mark.parametrize(
    "name, way",
    [
        ("accuracy", MAX),
        ("val_accuracy", MAX),
        ("test_score", MAX),
        ("roc_auc", MAX),
        ("f1_macro", MAX),
        ("r2", MAX),
        ("neg_mean_squared_error", MAX),
        ("test_neg_log_loss", MAX),
        ("best_score_", MAX),
        ("matthews_corrcoef", MAX),
        ("loss", MIN),
        ("val_loss", MIN),
        ("fit_time", MIN),
        ("mean_squared_error", MIN),
        ("brier_score_loss", MIN),
        ("error_rate", MIN),
        ("rmse", MIN),
        ("davies_bouldin_score", MIN),
        ("latency_ms", MIN),
        ("objective", None),
        ("x", None),
        ("value", None),
    ],
)
def test_a_metric_name_says_its_direction(name, way):
    assert direction_of_name(name) == way


@pytest.mark.parametrize(
    "source, metric, way, what",
    [
        ("cross_val_score(SVC(C=C), X, y, cv=3)", None, MAX, "the cell returns cross_val_score fold scores"),
        (
            "-cross_val_score(m, X, y, scoring='neg_mean_squared_error').mean()",
            None,
            MIN,
            "the cell returns minus cross_val_score fold scores",
        ),
        ("np.mean(cross_val_score(m, X, y))", None, MAX, "the cell returns cross_val_score fold scores"),
        (
            "scores = cross_val_score(m, X, y)\nscores.mean()",
            None,
            MAX,
            "the cell returns scores, from cross_val_score fold scores",
        ),
        ("model.fit(X, y)\nmodel.score(Xt, yt)", None, MAX, "the cell returns model.score(...)"),
        ("mean_squared_error(yt, model.predict(Xt))", None, MIN, "the cell returns mean_squared_error(...)"),
        ("1 - accuracy_score(y, p)", None, MIN, "the cell returns 1 minus accuracy_score(...)"),
        ("log_loss(y, p) * -1", None, MAX, "the cell returns minus log_loss(...)"),
        (
            '{"accuracy": acc, "fit_time": t}',
            None,
            MAX,
            "the cell returns a dict whose first key is 'accuracy', a name for a score",
        ),
        ('{"m": f1_score(y, p)}', None, MAX, "the cell returns a dict whose 'm' is f1_score(...)"),
        (
            '{"score": mean_squared_error(y, p)}',
            None,
            MIN,
            "the cell returns a dict whose 'score' is mean_squared_error(...)",
        ),
        (
            'min(history.history["val_loss"])',
            None,
            MIN,
            "the cell returns the entry 'val_loss', a name for a loss or a cost",
        ),
        ("search.best_score_", None, MAX, "the cell returns search.best_score_, a name for a score"),
        ("acc - 0.01 * n_features", None, MAX, "the cell returns acc, a name for a score"),
        ("cross_validate(m, X, y)", "test_score", MAX, "--metric test_score, a name for a score"),
        ('acc = accuracy_score(y, p)\n{"loss": 1 - acc}', "acc", MAX, "--metric acc is accuracy_score(...)"),
        ("(x - 0.3) ** 2", None, None, ""),
        ("model.evaluate(X, y)", None, None, ""),
        ("objective(x)", None, None, ""),
    ],
)
def test_the_objective_says_its_direction_where_it_is_known(source, metric, way, what):
    found = infer(source, metric)
    assert (found.direction, found.what) == (way, what) if way is not None else found is None


def test_the_direction_is_settled_and_said():
    cv = infer("cross_val_score(m, X, y)")
    assert settle(False, False, cv).why == (
        "maximizing: the cell returns cross_val_score fold scores (higher is better); --minimize to override"
    )
    assert settle(False, False, None).why == (
        "minimizing (the default: nothing in the cell says which way is better; --maximize if higher is better)"
    )
    given = settle(False, True, cv)
    assert given.direction is MIN and given.why == "minimizing (--minimize)" and not given.inferred
    assert given.doubt == (
        "--minimize was given, but the cell returns cross_val_score fold scores, for which higher is "
        "better: check the direction (this search ranked its trials by --minimize)"
    )
    assert settle(True, False, cv).doubt == ""


README_CELL = """
C      = 1.0     # tune: loguniform(1e-2, 1e3)
kernel = "rbf"   # tune: choice("rbf", "poly", "sigmoid")
degree = 3       # tune: int(2, 5) if kernel == "poly"
gamma  = 1e-3    # tune: loguniform(1e-5, 1e-1)
cross_val_score(SVC(C=C, kernel=kernel, degree=degree, gamma=gamma), X, y, cv=3)
"""


@pytest.fixture
def digits(ip):
    from sklearn.datasets import load_digits
    from sklearn.model_selection import cross_val_score as sk_cross_val_score
    from sklearn.svm import SVC

    X, y = load_digits(return_X_y=True)
    ip.user_ns.update(X=X[:500], y=y[:500], SVC=SVC, cross_val_score=sk_cross_val_score)
    return ip


def test_the_readme_cell_without_maximize_maximizes_and_says_why(digits):
    result = digits.run_cell_magic("tune", "-q -n 12 --seed 0 -o res", README_CELL)
    assert result.direction is MAX
    assert result.best_value == max(t.value for t in result.completed) > 0.9  # never the chance-level model
    assert digits.user_ns["C"] == result.best_params["C"]
    text = repr(result)
    assert (
        "\n  maximizing: the cell returns cross_val_score fold scores (higher is better); --minimize to override\n"
        in text
    )
    change = f"{fmt_value(result.baseline.value)} -> {fmt_value(result.best_value)}, higher is better)"
    assert text.splitlines()[0].endswith(change)
    html = result_html(result, with_plots=False)
    assert (
        "<div class='muted hpmagic-direction'>maximizing: the cell returns cross_val_score fold scores "
        "(higher is better); --minimize to override</div>"
    ) in html


def test_an_explicit_direction_against_the_objective_is_noted(digits):
    result = digits.run_cell_magic("tune", "-q -n 3 --seed 0 --minimize", README_CELL)
    assert result.direction is MIN
    assert (
        "--minimize was given, but the cell returns cross_val_score fold scores, for which higher is better: "
        "check the direction (this search ranked its trials by --minimize)"
    ) in result.notes
    assert "minimizing (--minimize)" in repr(result)


def test_cross_validate_without_metric_is_an_error_before_anything_runs(ip):
    from sklearn.datasets import load_iris
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import cross_validate

    X, y = load_iris(return_X_y=True)
    ns = {"X": X, "y": y, "LogisticRegression": LogisticRegression, "cross_validate": cross_validate}
    cell = "C = 1.0  # tune: loguniform(1e-2, 1e2)\ncross_validate(LogisticRegression(C=C, max_iter=500), X, y, cv=3)\n"
    with pytest.raises(
        OptionError,
        match=r"cross_validate\(...\)'s dict, whose first key, fit_time, would be the "
        r"objective; name the score with --metric test_score",
    ):
        tune(cell, ns, trials=3, display="none")
    result = tune(cell, ns, trials=3, seed=0, metric="test_score", display="none")
    assert result.direction is MAX and result.direction_reason.startswith("maximizing: --metric test_score, a name for")


def test_minus_a_negated_scorer_is_minimized_and_its_folds_pruned_the_right_way():
    """-cross_val_score(..., scoring='neg_mean_squared_error') with --prune: the folds are
    higher-is-better whatever the objective, so the good alphas are not the ones pruned."""
    from sklearn.datasets import load_diabetes
    from sklearn.linear_model import Ridge

    X, y = load_diabetes(return_X_y=True)
    cell = (
        "alpha = 1.0   # tune: loguniform(1e-4, 1e2)\n"
        "-cross_val_score(Ridge(alpha=alpha), X, y, cv=5, scoring='neg_mean_squared_error').mean()\n"
    )
    ns = {"X": X, "y": y, "Ridge": Ridge, "cross_val_score": cross_val_score}
    result = tune(cell, ns, trials=20, seed=0, prune=True, display="none")
    assert result.direction is MIN and result.baseline.value == pytest.approx(3420.3, abs=0.5)
    assert result.best_value < 3000  # the defaults (alpha=1) are far from the best alphas (MSE ~2993)
    pruned = [t for t in result.trials if t.state is TrialState.PRUNED]
    assert pruned and all(t.curve[-1][1] < -2995 for t in pruned)  # only worse-than-best folds were stopped
    assert not any("go against" in n for n in result.notes)


# -- reports that go against the objective ----------------------------------------------------

MLP_CELL = """
lr = 1e-3     # tune: loguniform(1e-5, 1e-1)
width = 32    # tune: logint(4, 128)
m = MLPClassifier((width,), learning_rate_init=lr, random_state=0)
for epoch in range(1, 16):
    m.partial_fit(Xa, ya, classes=np.arange(10))
    report(SIGN log_loss(yb, m.predict_proba(Xb), labels=np.arange(10)), epoch)
m.score(Xb, yb)
"""


@pytest.fixture(scope="module")
def mlp_namespace():
    from sklearn.datasets import load_digits
    from sklearn.metrics import log_loss
    from sklearn.model_selection import train_test_split
    from sklearn.neural_network import MLPClassifier

    X, y = load_digits(return_X_y=True)
    Xa, Xb, ya, yb = train_test_split(X / 16, y, random_state=0)
    return dict(Xa=Xa, Xb=Xb, ya=ya, yb=yb, MLPClassifier=MLPClassifier, report=report, log_loss=log_loss, np=np)


def _mlp(namespace, sign: str, **options):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return tune(
            MLP_CELL.replace("SIGN", sign), dict(namespace), trials=24, maximize=True, display="none", **options
        )


def test_reports_against_a_maximized_objective_are_found_and_read_the_other_way(mlp_namespace):
    result = _mlp(mlp_namespace, "", seed=1, prune=True)
    (note,) = [n for n in result.notes if "go against" in n]
    assert note.startswith("the cell's reports (hpmagic.report) go against its objective: over ")
    assert (
        "early stopping reads reports the objective's way (higher is better), so report the value the cell returns "
        "(or its negative: report(-loss, step) with --maximize); from trial "
    ) in note
    assert "early stopping read them the other way (lower reports counted as better)" in note
    first = int(note.split("from trial ")[1].split(" ")[0])
    later = [t for t in result.trials if t.number >= first]
    assert later and all(t.pruning.get("reading") == "minimize" for t in later)
    assert not any("reading" in t.pruning for t in result.trials if t.number < first)
    # read the right way from then on: the search finds a far better model than the defaults (0.8133)
    assert result.best_value > 0.95


def test_reports_that_go_the_objectives_way_say_nothing(mlp_namespace):
    result = _mlp(mlp_namespace, "-", seed=1, prune=True)
    assert not any("go against" in n for n in result.notes) and result.best_value > 0.95
    assert not any("reading" in t.pruning for t in result.trials)


def test_without_prune_reports_against_the_objective_are_still_said(mlp_namespace):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cell = MLP_CELL.replace("SIGN", "").replace("range(1, 16)", "range(1, 4)")
        result = tune(cell, dict(mlp_namespace), trials=6, seed=0, strategy="random", maximize=True, display="none")
    (note,) = [n for n in result.notes if "go against" in n]
    assert "over 6 complete trials, those that reported higher values ended with worse objectives" in note
    assert "from trial" not in note  # nothing was pruned


def _trial(number: int, report_value: float, value: float | None, kind: str = "curve", state=TrialState.COMPLETE):
    pruning = {"kind": kind} if kind == "fold" else {}
    return Trial(number, {"x": float(number)}, state, value=value, curve=((1.0, report_value),), pruning=pruning)


def test_the_check_needs_enough_complete_trials_and_a_clear_negative_correlation():
    against = [_trial(i, loss, 1 - loss) for i, loss in enumerate([0.9, 0.5, 0.3, 0.2])]
    found = agreement.check(against, MAX)
    assert found is not None and found.trials == 4 and found.rho == pytest.approx(-1.0) and found.read == "maximize"
    assert agreement.check(against[:3], MAX) is None  # too few
    assert agreement.check(against, MIN) is not None  # minimizing an accuracy, reporting a loss: against too
    losses = [_trial(i, loss, loss + 0.01) for i, loss in enumerate([0.9, 0.5, 0.3, 0.2])]
    assert agreement.check(losses, MIN) is None  # a loss reported for a loss: they agree
    mixed = [_trial(i, r, v) for i, (r, v) in enumerate([(0.9, 0.1), (0.5, 0.6), (0.3, 0.2), (0.2, 0.7), (0.1, 0.3)])]
    assert agreement.check(mixed, MAX) is None  # no clear relation
    pruned_only = against + [_trial(9, 0.1, None, state=TrialState.PRUNED)]
    assert agreement.check(pruned_only, MAX).trials == 4
    # fold scores are higher-is-better: minimizing minus their mean agrees with them
    folds = [_trial(i, s, -s, kind="fold") for i, s in enumerate([0.5, 0.6, 0.7, 0.8])]
    assert agreement.check(folds, MIN) is None and agreement.check(folds, MAX) is not None


def test_the_service_reads_folds_higher_is_better_whatever_the_objective():
    service = PruningService("folds", {}, direction=MIN, budget=10)
    for number, (mean, wobble) in enumerate([(0.90, 0.01), (0.85, -0.01), (0.80, 0.02)]):
        folds = tuple((float(k), mean + wobble * (-1) ** k) for k in range(1, 6))
        service.finish(Trial(number, {}, TrialState.COMPLETE, value=-mean, curve=folds, pruning={"kind": "fold"}))
    assert service.decide(3, 1.0, 0.95, "fold")[0] is False  # a higher fold score is better: it goes on
    assert service.decide(4, 1.0, 0.20, "fold")[0] is True  # far below the best trial's fold 1


def test_a_study_run_the_other_way_says_how_to_resume_it(tmp_path):
    ns = {"cross_val_score": lambda *a, **k: np.array([0.5, 0.6])}
    cell = "x = 0.5  # tune: uniform(0, 1)\ncross_val_score(x)\n"
    path = tmp_path / "s.sqlite"
    tune(cell, ns, trials=2, seed=0, study="old", storage=str(path), minimize=True, display="none")
    with pytest.raises(StudyMismatchError) as caught:
        tune(cell, ns, trials=3, seed=0, study="old", storage=str(path), display="none")
    message = str(caught.value)
    assert caught.value.stored_direction == "minimize"
    assert "the direction was --minimize, the cell now asks to --maximize" in message
    assert message.endswith(
        "This run's direction was not given but inferred: maximizing: the cell returns "
        "cross_val_score fold scores (higher is better); --minimize to override. To go on with "
        "the study as it was run, pass --minimize."
    )
    again = tune(cell, ns, trials=3, seed=0, study="old", storage=str(path), minimize=True, display="none")
    assert len(again.trials) == 3


def test_the_headline_tells_close_values_apart_and_survives_a_gain_beyond_the_float_range():
    tiny = tune("x = 0.0  # tune: uniform(0, 1)\n1 + 1e-15 * x", {}, trials=8, seed=0, display="none", maximize=True)
    assert tiny.best_value - tiny.baseline.value > 2 * 2.0**-52  # more than rounding apart
    line = repr(tiny).splitlines()[0]
    assert " vs defaults 1: +" in line and "(1 -> 1.000000000000001, higher is better)" in line
    assert "best objective 1.000000000000001 (trial" in line
    huge = tune(
        "x = 0.5  # tune: uniform(0, 1)\n-1.7e308 if x < 0.6 else 1.7e308",
        {},
        trials=8,
        seed=0,
        display="none",
        maximize=True,
    )
    line = repr(huge).splitlines()[0]
    assert (
        line.endswith("vs defaults -1.7e+308: better (-1.7e+308 -> 1.7e+308, higher is better)") and "inf" not in line
    )


def test_a_rule_read_the_other_way_keeps_every_running_trials_bracket():
    """Rebuilt after reports went against the objective, the rule keeps the brackets it gave the
    trials still running, also those that have not reported yet."""
    service = PruningService("hyperband", {"max_resource": "9"}, direction=MAX, budget=40)
    given = {n: service.assign(n)["bracket"] for n in range(8)}
    assert len(set(given.values())) > 1  # hyperband spreads them over its brackets
    service.decide(6, 1.0, 0.5, "curve")  # trial 6 reported once; trial 7 not yet
    for n, loss in enumerate([0.9, 0.7, 0.5, 0.3, 0.2]):  # the loss reported, the accuracy returned
        service.finish(
            Trial(
                n,
                {},
                TrialState.COMPLETE,
                value=1 - loss,
                curve=((9.0, loss),),
                pruning={"kind": "curve", "bracket": given[n]},
            )
        )
    (_, note) = service.notes()
    assert "from trial 8 on, early stopping read them the other way" in note
    brackets = service._pruner.snapshot()["brackets"]
    assert {n: brackets[n] for n in given} == given
    answer = service.assign(8)
    assert answer == {"bracket": service._pruner.snapshot()["brackets"][8], "reading": "minimize"}
