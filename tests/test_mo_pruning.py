"""Early stopping with several objectives end to end (issue 23): ``report({...}, step)`` in a real
shell, ``--prune asha`` / ``hyperband`` ranking the trials at each rung by non-dominated sorting,
inline and with ``--jobs 2``; the mistakes (a report missing an objective, a name that is not an
objective, a dict with one objective) as clear errors of the trial."""

from __future__ import annotations

import pickle

import pytest

from hpmagic.core import Direction, TrialState
from hpmagic.errors import ReportError, TrialsFailedError
from hpmagic.parallel import reports
from hpmagic.pruning.service import PruningService

# The accuracy climbs towards acc_max at each epoch; the size is the units, reported once at epoch 1.
CELL = """\
from hpmagic import report
units = 8    # tune: choice(4, 8, 16, 32, 64)
quality = 0.5  # tune: uniform(0, 1)
acc_max = 0.5 + 0.4 * quality * units / (units + 8)
accuracy = 0.0
for epoch in range(1, 10):
    accuracy += 0.5 * (acc_max - accuracy)
    report({'accuracy': accuracy, 'size': units} if epoch == 1 else accuracy, epoch)
{'accuracy': accuracy, 'size': units}
"""


def run(ip, line: str, cell: str = CELL):
    result = ip.run_cell(f"%%tune -n 24 --seed 0 -q -o res --maximize accuracy --minimize size {line}\n{cell}")
    return result, ip.user_ns.get("res")


@pytest.mark.parametrize("jobs", [1, 2])
def test_asha_prunes_by_fronts_with_two_objectives(ip, jobs):
    result, res = run(ip, f"--strategy random -j {jobs} --prune asha:max_resource=9")
    assert result.error_in_exec is None, result.error_in_exec
    pruned = [t for t in res.trials if t.state is TrialState.PRUNED]
    complete = [t for t in res.trials if t.state is TrialState.COMPLETE]
    assert pruned and complete and len(pruned) + len(complete) == 24
    for t in pruned:
        assert "by non-dominated sorting and crowding distance" in t.error, t.error
        assert t.pruning["others"] == [[float(t.params["units"])]] * len(t.curve)
    # the smallest model on the front is never lost to accuracy alone: some 4-unit trial completes
    assert any(t.params["units"] == 4 for t in complete)
    assert any(
        note.startswith("asha: rungs at steps 1, 3; the top 1/3 at each rung go on, ranked by non-dominated sorting")
        for note in res.notes
    ), res.notes


def test_hyperband_with_two_objectives_and_the_default_rule(ip):
    result, res = run(ip, "--strategy random --prune")
    assert result.error_in_exec is None, result.error_in_exec
    assert any(t.state is TrialState.PRUNED for t in res.trials)


@pytest.mark.parametrize(
    ("report", "words"),
    [
        (
            "report(accuracy, epoch)",
            "report(value, step): trial 0's first report must give every objective (accuracy, size), but 'size' is "
            "missing; report a dict, e.g. report({'accuracy': ..., 'size': ...}, epoch)",
        ),
        (
            "report({'accuracy': accuracy, 'units': units}, epoch)",
            "report(value, step): 'units' is not an objective of this search (accuracy, size); report a dict of the "
            "objectives, e.g. report({'accuracy': ..., 'size': ...}, epoch)",
        ),
        (
            "report({'accuracy': accuracy, 'size': 'big'}, epoch)",
            "report(value, step): the value of 'size' must be a finite real number, but got a str ('big')",
        ),
    ],
)
def test_a_wrong_report_fails_the_trial_and_names_the_problem(ip, report, words):
    cell = CELL.replace("report({'accuracy': accuracy, 'size': units} if epoch == 1 else accuracy, epoch)", report)
    result, _ = run(ip, "--strategy random -n 2 --prune asha", cell)
    assert isinstance(result.error_in_exec, TrialsFailedError)  # every trial failed: the search stops and says why
    assert words in str(result.error_in_exec), result.error_in_exec


def test_a_dict_report_with_one_objective_is_a_report_error(ip):
    cell = "from hpmagic import report\nx = 0.5  # tune: uniform(0, 1)\nreport({'a': x}, 1)\nx\n"
    result = ip.run_cell(f"%%tune -n 2 -q --prune asha\n{cell}")
    assert isinstance(result.error_in_exec, TrialsFailedError)
    assert (
        "report(value, step): a dict of values needs several objectives (--maximize NAME --minimize NAME), but "
        "this search has one and got a dict ({'a': 0.5})"
    ) in str(result.error_in_exec)


def test_a_point_of_several_objectives_crosses_the_report_server_of_the_engines():
    service = PruningService(
        "asha",
        {"max_resource": "9"},
        Direction.MAXIMIZE,
        10,
        objectives=(("accuracy", Direction.MAXIMIZE), ("size", Direction.MINIMIZE)),
    )
    server = reports.ReportServer(service)
    try:
        remote = pickle.loads(pickle.dumps(server.remote()))  # as a worker receives it
        points = [(0.9, 50), (0.8, 20), (0.7, 10), (0.6, 30)]
        answers = [remote.decide(n, 1.0, {"accuracy": a, "size": s}, "curve") for n, (a, s) in enumerate(points)]
        assert [prune for prune, _, _ in answers] == [False, False, False, True]
        assert answers[3][1].startswith("at rung 1 (step 1) its point (accuracy 0.6, size 30) ranked 4 of 4")
        with pytest.raises(ReportError, match=r"--prune with several objectives \(accuracy, size\) ranks learning"):
            remote.decide(5, 1.0, 0.5, "curve")  # a bare number reaching the kernel: the worker's check was skipped
    finally:
        server.close()


def test_a_resumed_study_keeps_the_other_objectives_of_each_curve(tmp_path):
    import hpmagic

    path = str(tmp_path / "mo.db")
    options = dict(
        objectives={"accuracy": "max", "size": "min"},
        prune="asha:max_resource=9",
        strategy="random",
        seed=0,
        quiet=True,
        study="mo",
        storage=path,
    )
    hpmagic.tune(CELL, {}, trials=10, **options)
    resumed = hpmagic.tune(CELL, {}, trials=20, **options)
    assert len(resumed.trials) == 20 and any(t.state is TrialState.PRUNED for t in resumed.trials)
    loaded = hpmagic.load_study("mo", storage=path)
    for t in loaded.trials:
        assert t.pruning["others"] == [[float(t.params["units"])]] * len(t.curve)
