"""Early stopping end to end: report() in the cell, --prune, pruned trials, studies, cross-validation."""

from __future__ import annotations

import numpy as np
import pytest

import hpmagic
from hpmagic.core import TrialState
from hpmagic.errors import ReportError

from .shared import SharedList

# The score climbs towards 1 at a rate set by lr: a higher lr is better at every epoch.
CURVES = """
from hpmagic import report
lr = 0.05  # tune: loguniform(1e-3, 1)
score = 0.0
for epoch in range(1, 28):
    score += lr * (1 - score)
    report(score, epoch)
score
"""


def tune(cell=CURVES, **options):
    options = {"trials": 30, "seed": 0, "maximize": True, "quiet": True, "strategy": "random", **options}
    return hpmagic.tune(cell, options.pop("ns", {}), **options)


def test_the_default_rule_prunes_bad_curves_and_keeps_every_curve():
    result = tune(prune=True)
    pruned = [t for t in result.trials if t.state is TrialState.PRUNED]
    complete = result.completed
    assert pruned and complete
    assert all(t.value is None and t.curve and t.error for t in pruned)
    assert all(len(t.curve) == 27 for t in complete)
    assert all([s for s, _ in t.curve] == list(range(1, len(t.curve) + 1)) for t in result.trials)
    assert all(t.pruning["rungs"][-1][1] == "pruned" for t in pruned)
    # a pruned trial was stopped because it was worse, at its rung, than the ones that went on
    best = result.best_trial
    assert best.state is TrialState.COMPLETE and best.params["lr"] >= max(t.params["lr"] for t in pruned)
    assert any(
        n.startswith("hyperband: 4 brackets sharing the trials 27:12:6:4, their first rungs at steps 1, 3 and 9")
        for n in result.notes
    )
    assert f"pruned: {len(pruned)} of 30 trials stopped early; " in repr(result)
    assert "% of the steps were not run" in repr(result)


def test_without_prune_curves_are_recorded_and_nothing_stops():
    result = tune(trials=6)
    assert all(t.state is TrialState.COMPLETE and len(t.curve) == 27 for t in result.trials)
    assert all(t.pruning == {"kind": "curve"} for t in result.trials)


def test_a_cell_that_never_reports_says_so():
    result = tune("x = 0.5  # tune: uniform(0, 1)\nx", trials=5, prune="median")
    assert any(n.startswith("--prune median: the cell never called hpmagic.report(value, step)") for n in result.notes)
    assert "note: --prune median: the cell never called" in repr(result)  # a note: it asks for something
    assert all(t.state is TrialState.COMPLETE for t in result.trials)


def test_the_cell_runs_on_its_own_without_the_magic():
    ns: dict = {}
    exec(CURVES.replace("\nscore\n", "\nresult = score\n"), ns)
    assert 0 < ns["result"] < 1


def test_a_cells_own_except_exception_does_not_swallow_the_stop():
    cell = CURVES.replace(
        "    report(score, epoch)",
        "    try:\n        report(score, epoch)\n    except Exception:\n        pass  # must not catch the stop",
    )
    result = tune(cell, prune=True)
    assert any(t.state is TrialState.PRUNED and len(t.curve) < 27 for t in result.trials)


def test_a_bare_except_that_swallows_the_stop_still_records_a_pruned_trial():
    cell = CURVES.replace(
        "    report(score, epoch)", "    try:\n        report(score, epoch)\n    except:  # noqa\n        break"
    )
    result = tune(cell, prune=True)
    pruned = [t for t in result.trials if t.state is TrialState.PRUNED]
    assert pruned and all(t.value is None for t in pruned)


@pytest.mark.parametrize(
    ("line", "words"),
    [
        ("report(float('nan'), epoch)", "is nan, not a finite number"),
        ("report('0.5', epoch)", "the value must be a real number"),
        ("report(score, 3)", "step 3 was already reported"),
        ("report(score, 10 - epoch)", "comes after step"),
        ("report(score, -1)", "at least 0"),
    ],
)
def test_bad_reports_fail_their_trial_with_the_reason(line, words):
    cell = CURVES.replace("report(score, epoch)", line)
    with pytest.raises(hpmagic.TrialsFailedError) as caught:
        tune(cell, trials=3)  # no --prune: points are checked all the same
    assert all(t.state is TrialState.FAILED for t in caught.value.result.trials)
    assert all("ReportError" in t.error and words in t.error for t in caught.value.result.trials)


def test_a_report_after_the_trial_ended_is_refused():
    later = SharedList()
    cell = CURVES.replace("\nscore\n", "\nlater.append(contextvars.copy_context())\nscore\n")
    tune("import contextvars\n" + cell, trials=2, prune=True, ns={"later": later})
    with pytest.raises(ReportError, match="after trial 1 had ended"):
        later[-1].run(hpmagic.report, 0.5, 99)


def test_pruning_with_jobs_decides_every_report_in_the_kernel():
    sequential = tune(prune="median", trials=16)
    parallel = tune(prune="median", trials=16, jobs=2)
    for result in (sequential, parallel):
        assert any(t.state is TrialState.PRUNED for t in result.trials)
        assert all(t.curve for t in result.trials)
    assert len(parallel.completed) + sum(t.state is TrialState.PRUNED for t in parallel.trials) == 16


def test_a_study_keeps_every_curve_and_rung_and_resumes_its_brackets(tmp_path):
    path = str(tmp_path / "prune.sqlite")
    first = tune(trials=12, prune="hyperband:max_resource=27", study="hb", storage=path)
    resumed = tune(trials=24, prune="hyperband:max_resource=27", study="hb", storage=path)
    brackets = [t.pruning.get("bracket") for t in resumed.trials]
    fresh = tune(trials=24, prune="hyperband:max_resource=27")
    assert brackets == [t.pruning.get("bracket") for t in fresh.trials]  # as if it had never stopped
    loaded = hpmagic.load_study("hb", storage=path)
    assert [t.curve for t in loaded.trials[:12]] == [t.curve for t in first.trials]
    assert [t.pruning for t in loaded.trials] == [t.pruning for t in resumed.trials]


CV = """
from hpmagic import cross_val_score
from sklearn.svm import SVC
C = 1.0  # tune: loguniform(1e-3, 1e3)
cross_val_score(SVC(C=C), X, y, cv=5)
"""


@pytest.fixture(scope="module")
def digits():
    from sklearn.datasets import load_digits

    X, y = load_digits(return_X_y=True)
    return X[:400], y[:400]


def test_cross_val_score_gives_scikit_learns_fold_scores(digits):
    from sklearn.model_selection import cross_val_score as sk_cross_val_score
    from sklearn.svm import SVC

    X, y = digits
    assert np.array_equal(hpmagic.cross_val_score(SVC(C=3.0), X, y, cv=5), sk_cross_val_score(SVC(C=3.0), X, y, cv=5))
    result = tune(CV, trials=4, ns={"X": X, "y": y})  # in a tuned run, without --prune
    for t in result.trials:
        expected = sk_cross_val_score(SVC(C=t.params["C"]), X, y, cv=5)
        assert [v for _, v in t.curve] == list(expected)
        assert t.value == pytest.approx(expected.mean())


def test_a_pruned_cross_validation_stops_bad_configurations_early(digits):
    X, y = digits
    result = tune(CV, trials=16, prune=True, ns={"X": X, "y": y})
    pruned = [t for t in result.trials if t.state is TrialState.PRUNED]
    assert pruned and all(len(t.curve) < 5 and t.pruning["kind"] == "fold" for t in pruned)
    assert any(n.startswith("folds") for n in result.notes) and "of the folds were not run" in repr(result)
    assert result.best_trial.state is TrialState.COMPLETE


def test_the_live_display_sees_the_points_of_running_trials():
    seen = []

    class Recorder:
        def start(self, info):
            pass

        def update(self, progress):
            seen.append({n: len(points) for n, points in progress.running_curves.items()})

        def close(self, progress, result):
            seen.append(dict(progress.running_curves))

    # Slow trials (lr < 0.03: about half of them) pause after their first report, so a fast trial
    # ends, and the display is updated, while a slow one is running with one point: the test does
    # not depend on how fast the machine runs the trials.
    cell = CURVES.replace(
        "    report(score, epoch)\n",
        "    report(score, epoch)\n    if epoch == 1 and lr < 0.03:\n        time.sleep(1.0)\n",
    )
    tune("import time\n" + cell, prune="median", trials=8, jobs=2, display=Recorder(), quiet=False)
    assert any(counts and max(counts.values()) > 0 for counts in seen[:-1])  # partial curves while trials ran
    assert seen[-1] == {}  # and none once every trial has ended
