"""The edges of early stopping (issue 21): several cross-validations in a trial, a scorer that
raises, reports from threads, numbers out of a float's reach, shuffling splitters, the frames a
failed trial shows, and ``--prune`` values that mean "off"."""

from __future__ import annotations

import os
import re
import threading

import numpy as np
import pytest

import hpmagic
from hpmagic.cell.report import check_point
from hpmagic.core import TrialState
from hpmagic.errors import OptionError, ReportError

from .conftest import run_tune
from .shared import SharedList

PACKAGE = os.path.dirname(os.path.abspath(hpmagic.__file__)) + os.sep


def tune(cell, ns=None, **options):
    options = {"trials": 3, "seed": 0, "maximize": True, "quiet": True, "strategy": "random", **options}
    return hpmagic.tune(cell, {} if ns is None else ns, **options)


def failed(cell, ns=None, **options):
    """The trials of a search whose first trials all failed."""
    with pytest.raises(hpmagic.TrialsFailedError) as caught:
        tune(cell, ns, **options)
    trials = caught.value.result.trials
    assert trials and all(t.state is TrialState.FAILED for t in trials)
    return trials


def frames(error: str) -> list[str]:
    """The files of a stored traceback's frames, in order."""
    return re.findall(r'^  File "([^"]+)", line \d+', error, flags=re.MULTILINE)


@pytest.fixture(scope="module")
def digits():
    from sklearn.datasets import load_digits

    X, y = load_digits(return_X_y=True)
    return {"X": X[:300], "y": y[:300]}


# -- 1. several cross-validations in one trial -----------------------------------------------

TWICE = """
from hpmagic import cross_val_score
from sklearn.svm import SVC
C = 1.0  # tune: loguniform(1e-2, 1e2)
first = cross_val_score(SVC(C=C), X, y, cv=3)
second = cross_val_score(SVC(C=C, gamma="scale"), X[::-1], y[::-1], cv=3)
(first.mean() + second.mean()) / 2
"""


@pytest.mark.parametrize("prune", [None, "folds"])
def test_a_second_cross_val_score_continues_the_folds(digits, prune):
    from sklearn.model_selection import cross_val_score as sk_cross_val_score
    from sklearn.svm import SVC

    result = tune(TWICE, dict(digits), trials=6, prune=prune)
    X, y = digits["X"], digits["y"]
    assert all(t.state in (TrialState.COMPLETE, TrialState.PRUNED) for t in result.trials)
    for t in result.trials:
        expected = [
            *sk_cross_val_score(SVC(C=t.params["C"]), X, y, cv=3),
            *sk_cross_val_score(SVC(C=t.params["C"]), X[::-1], y[::-1], cv=3),
        ]
        assert [s for s, _ in t.curve] == [float(k) for k in range(1, len(t.curve) + 1)]
        assert [v for _, v in t.curve] == expected[: len(t.curve)]
        assert t.pruning["kind"] == "fold"
    assert all(len(t.curve) == 6 for t in result.completed)


def test_report_and_cross_val_score_in_one_trial_is_still_an_error_before_any_fold(digits):
    cell = TWICE.replace("first = cross_val_score(SVC(C=C), X, y, cv=3)", "hpmagic.report(0.5, 1)\nfirst = 0")
    trials = failed("import hpmagic\n" + cell, dict(digits))
    for t in trials:
        assert t.curve == ((1.0, 0.5),)
        assert t.error.rstrip().endswith(
            "hpmagic.errors.ReportError: report(value, step): this trial reports both the folds of "
            "hpmagic.cross_val_score and a learning curve of its own; a trial's points must be one or the other"
        )


# -- 2. a scorer or a fit that raises --------------------------------------------------------

RAISES = """
from hpmagic import cross_val_score
from sklearn.svm import SVC
C = 1.0  # tune: loguniform(1e-2, 1e2)
def broken(estimator, X, y):
    raise RuntimeError("the scorer broke on purpose")
cross_val_score(SVC(C=C), X, y, cv=3, scoring=broken).mean()
"""


def test_a_scorer_that_raises_fails_the_trial_with_its_own_exception(digits):
    for t in failed(RAISES, dict(digits), prune=True):
        assert t.error.rstrip().endswith("RuntimeError: the scorer broke on purpose")
        assert "nan" not in t.error and "diverged" not in t.error
        files = frames(t.error)
        assert files[0].startswith("<tuned cell") and files[-1].startswith("<tuned cell")  # the cell and the scorer
        assert any("sklearn" in f for f in files)  # the library's frames stay
        assert not [f for f in files if f.startswith(PACKAGE)]  # hpmagic's go
        assert t.curve == ()


BROKEN_FIT = """
from hpmagic import cross_val_score
from sklearn.base import BaseEstimator, ClassifierMixin
C = 1.0  # tune: loguniform(1e-2, 1e2)
class Broken(ClassifierMixin, BaseEstimator):
    def fit(self, X, y):
        raise ArithmeticError("the fit broke on purpose")
cross_val_score(Broken(), X, y, cv=3).mean()
"""


def test_a_fit_that_raises_fails_the_trial_with_its_own_exception(digits):
    for t in failed(BROKEN_FIT, dict(digits)):
        assert t.error.rstrip().endswith("ArithmeticError: the fit broke on purpose")
        files = frames(t.error)
        assert files[0].startswith("<tuned cell") and files[-1].startswith("<tuned cell")
        assert not [f for f in files if f.startswith(PACKAGE)]


def test_an_explicit_error_score_nan_keeps_nan_and_the_fold_fails_saying_how_to_see_why(digits):
    cell = RAISES.replace("scoring=broken)", "scoring=broken, error_score=np.nan)").replace(
        "from sklearn", "import numpy as np\nfrom sklearn", 1
    )
    for t in failed(cell, dict(digits)):
        assert t.error.rstrip().endswith(
            "hpmagic.errors.ReportError: hpmagic.cross_val_score: fold 1 scored nan, not a finite number: with "
            "error_score=nan scikit-learn scores a fold NaN when its fit or its scorer raised; pass "
            "error_score='raise' (or leave error_score out) to see the error"
        )
        assert any("the scorer broke on purpose" in w for w in t.warnings)  # scikit-learn's own warning, kept


def test_a_numeric_error_score_scores_a_failed_fit_as_scikit_learn_does(digits):
    cell = RAISES.replace(
        "cross_val_score(SVC(C=C), X, y, cv=3, scoring=broken)",
        "cross_val_score(SVC(C=C, kernel='bogus'), X, y, cv=3, error_score=0.25)",
    )
    result = tune(cell, dict(digits), trials=2)
    for t in result.trials:
        assert t.state is TrialState.COMPLETE and t.curve == ((1.0, 0.25), (2.0, 0.25), (3.0, 0.25))
        assert [w.split(":\n")[0] for w in t.warnings] == [
            f"FitFailedWarning: fold {k}: its fit failed, so it scores error_score=0.25" for k in (1, 2, 3)
        ]


def test_a_nan_fold_of_a_second_call_names_both_fold_numbers(digits):
    cell = TWICE.replace(
        'second = cross_val_score(SVC(C=C, gamma="scale"), X[::-1], y[::-1], cv=3)',
        "calls = []\n"
        "def flaky(estimator, X, y):\n"
        "    calls.append(1)\n"
        "    return float('nan') if len(calls) == 2 else 0.5\n"
        "second = cross_val_score(SVC(C=C), X, y, cv=3, scoring=flaky)",
    )
    for t in failed(cell, dict(digits)):
        assert [s for s, _ in t.curve] == [1.0, 2.0, 3.0, 4.0]
        assert t.error.rstrip().endswith(
            "ReportError: hpmagic.cross_val_score: fold 2 of this call (fold 5 of the trial) scored nan, not a "
            "finite number: the scorer returned it (the predictions may be NaN: a fit that diverged)"
        )


def test_outside_a_tuned_run_a_raising_scorer_is_scikit_learns_nan(digits):
    from sklearn.svm import SVC

    def broken(estimator, X, y):
        raise RuntimeError("the scorer broke on purpose")

    with pytest.warns(UserWarning, match="Scoring failed"):
        scores = hpmagic.cross_val_score(SVC(), digits["X"], digits["y"], cv=3, scoring=broken)
    assert np.isnan(scores).all() and len(scores) == 3


# -- 3. reports from threads the cell starts ---------------------------------------------------

THREADED = """
from hpmagic import report
import threading
lr = 0.05  # tune: loguniform(1e-3, 1)
def train():
    score = 0.0
    for epoch in range(1, 10):
        score += lr * (1 - score)
        report(score, epoch)
worker = threading.Thread(target=train)
worker.start()
worker.join()
lr
"""


# a stop ends the helper thread with TrialPruned, which Python reports as an exception in a thread
@pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")
@pytest.mark.parametrize(
    "options",
    [{}, {"prune": "median:min_trials=1"}, {"prune": "median:min_trials=1", "jobs": 2}],
    ids=["inline", "prune", "jobs"],
)
def test_reports_from_a_thread_the_cell_starts_reach_its_trial(options):
    result = tune(THREADED, trials=6, **options)
    for t in result.trials:
        assert t.state in (TrialState.COMPLETE, TrialState.PRUNED), t.error
        assert t.curve and [s for s, _ in t.curve] == [float(k) for k in range(1, len(t.curve) + 1)]
    assert all(len(t.curve) == 9 for t in result.completed)
    if options:
        assert any(t.state is TrialState.PRUNED for t in result.trials)  # the rule saw the thread's points
        assert "never called" not in " ".join(result.notes)


LATE = """
from hpmagic import report
import threading
x = 0.5  # tune: uniform(0, 1)
def late():
    go.wait(30)
    try:
        report(x, 1)
        seen.append("no error")
    except Exception as exc:
        seen.append(f"{type(exc).__name__}: {exc}")
threads.append(threading.Thread(target=late, name="late-reporter"))
threads[-1].start()
x
"""


def test_a_report_from_a_thread_after_its_trial_ended_is_a_report_error():
    go, seen, threads = threading.Event(), SharedList(), SharedList()
    result = tune(LATE, {"go": go, "seen": seen, "threads": threads}, trials=2)
    assert all(t.state is TrialState.COMPLETE and t.curve == () for t in result.trials)
    go.set()
    for thread in threads:
        thread.join(30)
    assert sorted(seen) == [
        f"ReportError: report(value, step) was called after trial {n} had ended, from thread 'late-reporter', "
        f"which started while trial {n} ran and outlived it; join the cell's threads before its last line, so their "
        "reports come while the trial runs (a pool's thread that later trials reuse must run their work in "
        "contextvars.copy_context().run, so each report goes to its own trial)"
        for n in (0, 1)
    ]


def test_a_thread_started_outside_any_run_reports_nothing():
    tune(LATE.replace("go.wait(30)", "pass"), {"go": None, "seen": SharedList(), "threads": SharedList()}, trials=1)
    outcome = []

    def later():
        outcome.append(hpmagic.report(0.5, 1))

    thread = threading.Thread(target=later)
    thread.start()
    thread.join()
    assert outcome == [None]


BOTH_OPEN = """
from hpmagic import report
import threading
from tests import test_report_edges as here
x = 0.5  # tune: uniform(0, 1)
here.BOTH.wait(30)  # both trials are open now
def helper():
    try:
        report(x, 1)
        here.SEEN.append("no error")
    except Exception as exc:
        here.SEEN.append(f"{type(exc).__name__}: {exc}")
thread = threading.Thread(target=helper, name="helper")
thread.start()
thread.join()
here.BOTH.wait(30)  # neither ends before the other's helper reported
x
"""
BOTH = threading.Barrier(2)
SEEN: list[str] = []


def test_a_thread_without_a_trial_while_several_are_open_is_a_report_error():
    from concurrent.futures import ThreadPoolExecutor

    SEEN.clear()
    BOTH.reset()
    with ThreadPoolExecutor(2) as pool:
        result = tune(BOTH_OPEN, trials=2, executor=pool, baseline=False)
    assert all(t.state is TrialState.COMPLETE for t in result.trials), [t.error for t in result.trials]
    assert (
        SEEN
        == [
            "ReportError: report(value, step) was called from thread 'helper', which belongs to no trial, while 2 trials "
            "run in this process (the threads of a Dask worker, an ipyparallel engine or a thread pool), so which trial "
            "the point belongs to is unknown; report from the cell's own thread, or start the thread in the trial's "
            "context: threading.Thread(target=contextvars.copy_context().run, args=(work,))"
        ]
        * 2
    )


def test_a_thread_started_in_the_trials_context_reports_to_it_with_several_open():
    from concurrent.futures import ThreadPoolExecutor

    SEEN.clear()
    BOTH.reset()
    cell = BOTH_OPEN.replace("import threading", "import threading, contextvars").replace(
        "target=helper,", "target=contextvars.copy_context().run, args=(helper,),"
    )
    with ThreadPoolExecutor(2) as pool:
        result = tune(cell, trials=2, executor=pool, baseline=False)
    assert SEEN == ["no error", "no error"]
    assert all(t.state is TrialState.COMPLETE and t.curve == ((1.0, t.params["x"]),) for t in result.trials)


# -- 4. numbers a float cannot hold --------------------------------------------------------------

POINT = """
from hpmagic import report
x = 0.5  # tune: uniform(0, 1)
report(VALUE, STEP)
x
"""
TOO_LARGE = (
    "report(value, step): the step, {}, is above 2**53 (9007199254740992), where a step cannot be told "
    "apart from the next one (steps are kept as floats); number the steps from 1, e.g. the epoch"
)


@pytest.mark.parametrize(
    ("value", "step", "message"),
    [
        ("1.0", "10**400", TOO_LARGE.format("an int of about 10**400")),
        (
            "10**400",
            "1",
            "report(value, step): the value, an int of about 10**400, is too large for a float (at most "
            "about 1.8e308); report the score itself, e.g. report(float(score), epoch)",
        ),
        ("1.0", "10**30", TOO_LARGE.format("1000000000000000000000000000000")),
        ("1.0", "10**30 + 1", TOO_LARGE.format("1000000000000000000000000000001")),
        ("1.0", "2**53 + 1", TOO_LARGE.format("9007199254740993")),
        ("1.0", "1e30", TOO_LARGE.format("1e+30")),
        (
            "1.0",
            "-10**400",
            "report(value, step): the step must be a finite number of at least 0 (an epoch, an "
            "iteration, a fold index), but got an int (-1000000000000000000000000000000000000000000"
            "0000000000000...)",
        ),
    ],
)
def test_numbers_a_float_cannot_hold_are_report_errors(value, step, message):
    for t in failed(POINT.replace("VALUE", value).replace("STEP", step)):
        assert t.error.rstrip().endswith(f"hpmagic.errors.ReportError: {message}")
        assert "OverflowError" not in t.error and "During handling" not in t.error


def test_the_largest_step_is_2_to_the_53():
    assert check_point(1.0, 2**53) == (2.0**53, 1.0)
    assert check_point(1.0, 2.0**53) == (2.0**53, 1.0)
    with pytest.raises(ReportError, match="above 2"):
        check_point(1.0, 2**53 + 1)  # rounds to 2**53 as a float, yet is another step
    result = tune(POINT.replace("VALUE", "1.0").replace("STEP", "2**53"), trials=1)
    assert result.trials[0].curve == ((2.0**53, 1.0),)


# -- 5. shuffling splitters ------------------------------------------------------------------------

SHUFFLED = """
from hpmagic import cross_val_score
from sklearn.svm import SVC
from sklearn.model_selection import KFold, ShuffleSplit, StratifiedShuffleSplit, RepeatedKFold
C = 1.0  # tune: loguniform(1e-2, 1e2)
cross_val_score(SVC(C=C), X, y, cv=SPLITTER).mean()
"""
SPLITTERS = {
    "KFold(3, shuffle=True)": "KFold(n_splits=3, random_state=None, shuffle=True)",
    "ShuffleSplit(3)": "ShuffleSplit(n_splits=3, random_state=None, test_size=None, train_size=None)",
    "StratifiedShuffleSplit(3)": "StratifiedShuffleSplit(n_splits=3, random_state=None, test_size=None, train_size=None)",
    "RepeatedKFold(n_splits=2, n_repeats=2)": "RepeatedKFold(n_repeats=2, n_splits=2, random_state=None)",
}


@pytest.mark.parametrize("splitter", list(SPLITTERS))
def test_a_shuffling_splitter_under_prune_fails_before_the_first_fold(digits, splitter):
    name = splitter.split("(")[0]
    for t in failed(SHUFFLED.replace("SPLITTER", splitter), dict(digits), prune=True):
        assert t.curve == ()
        assert t.error.rstrip().endswith(
            f"hpmagic.errors.ReportError: hpmagic.cross_val_score: {SPLITTERS[splitter]} gives each trial other "
            "folds (it shuffles without a random_state), so the folds rule of --prune cannot compare the trials fold "
            f"by fold; pass random_state=0 (any fixed number) to {name}, so every trial is scored on the same folds"
        )


def test_a_shuffling_splitter_without_prune_warns_with_the_trial(digits):
    result = tune(SHUFFLED.replace("SPLITTER", "KFold(3, shuffle=True)"), dict(digits), trials=2)
    for t in result.trials:
        assert t.state is TrialState.COMPLETE and len(t.curve) == 3
        assert t.warnings == (
            "UserWarning: hpmagic.cross_val_score: KFold(n_splits=3, random_state=None, shuffle=True) gives each "
            "trial other folds (it shuffles without a random_state), so the trials are scored on different splits "
            "and their scores differ by the split as well as by the parameters; pass random_state=0 (any fixed "
            "number) to KFold, so every trial is scored on the same folds",
        )


@pytest.mark.parametrize("splitter", ["KFold(3, shuffle=True, random_state=0)", "ShuffleSplit(3, random_state=1)", "3"])
def test_a_fixed_or_unshuffled_splitter_is_fine(digits, splitter):
    result = tune(SHUFFLED.replace("SPLITTER", splitter), dict(digits), trials=2, prune=True)
    assert all(t.state is TrialState.COMPLETE and not t.warnings and len(t.curve) == 3 for t in result.trials)


# -- 6. a failed trial shows the cell's frames, never hpmagic's ---------------------------------------


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_report_error_shows_only_the_cells_frames(jobs):
    cell = POINT.replace("report(VALUE, STEP)", "def step(v):\n    report(v, 1)\nstep('high')")
    for t in failed(cell, jobs=jobs):
        files = frames(t.error)
        assert files and all(f.startswith("<tuned cell") for f in files), t.error
        assert t.error.rstrip().endswith(
            "hpmagic.errors.ReportError: report(value, step): the value must be a real number, but got a str "
            "('high'); report the score as a float, e.g. report(float(score), epoch)"
        )
        assert t.error.count('File "<tuned cell') == 2  # the cell's line, then its helper's


# -- 8. --prune values that mean "off" ---------------------------------------------------------------

OFF_MESSAGE = (
    "--prune {}: pruning is already off when --prune is not given; drop the option to run every trial in "
    "full (from Python, prune=None)"
)


@pytest.mark.parametrize("value", ["false", "off", "no", "none", "0", "False", "OFF"])
def test_prune_false_says_pruning_is_off_without_the_option(ip, value, capsys):
    ip.user_ns["ran"] = SharedList()
    result = run_tune(ip, f"-n 2 --prune {value}", "x = 0.5  # tune: uniform(0, 1)\nran.append(x)\nx")
    assert type(result.error_in_exec).__name__ == "UsageError"
    assert str(result.error_in_exec) == OFF_MESSAGE.format(value)
    assert "did you mean" not in str(result.error_in_exec)
    assert ip.user_ns["ran"] == []
    with pytest.raises(OptionError) as caught:
        tune("x = 0.5  # tune: uniform(0, 1)\nx", prune=value)
    assert str(caught.value) == OFF_MESSAGE.format(value)
