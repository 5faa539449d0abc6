"""--enqueue runs each given configuration exactly once with --jobs 4, on a Dask cluster and across
an interrupted and resumed study: each trial appends its values to a file, and the test counts
the lines of each configuration."""

from __future__ import annotations

from collections import Counter

import hpmagic
from hpmagic import TrialState

from . import clusters

CELL = """
x = 0.0   # tune: uniform(-2, 2)
with open(log, "a") as f:
    f.write(f"{x!r}\\n")
(x - 0.5) ** 2
"""

TRIES = [{"x": v} for v in (-1.75, -1.25, -0.75, -0.25, 0.25, 0.75, 1.25, 1.75)]


def runs(log):
    """How many times each x ran, from the lines the trials wrote."""
    return Counter(float(line) for line in log.read_text().splitlines())


def check_each_once(result, log, budget):
    counted = runs(log)
    assert sum(counted.values()) == budget
    assert all(counted[t["x"]] == 1 for t in TRIES), counted
    assert counted[0.0] == 1  # the defaults
    marks = sorted(t.pruning["enqueued"] for t in result.trials if "enqueued" in t.pruning)
    assert marks == list(range(len(TRIES)))
    assert {t.params["x"] for t in result.trials if "enqueued" in t.pruning} == {t["x"] for t in TRIES}


def test_each_runs_exactly_once_with_four_worker_processes(tmp_path):
    log = tmp_path / "runs.txt"
    result = hpmagic.tune(
        CELL, {"log": str(log)}, trials=12, jobs=4, enqueue=TRIES, strategy="random", seed=0, quiet=True
    )
    assert result.counts()["complete"] == 12
    check_each_once(result, log, 12)
    assert "trials 1-8 were enqueued (configurations given with --enqueue)" in result.notes


def test_each_runs_exactly_once_on_a_dask_cluster(tmp_path):
    log = tmp_path / "runs.txt"
    with clusters.dask_cluster(2) as client:
        result = hpmagic.tune(
            CELL, {"log": str(log)}, trials=11, executor=client, enqueue=TRIES, strategy="random", seed=0, quiet=True
        )
    assert result.counts()["complete"] == 11
    check_each_once(result, log, 11)


def test_each_runs_exactly_once_on_ipyparallel_engines(tmp_path):
    log = tmp_path / "runs.txt"
    with clusters.ipp_cluster(2) as client:
        result = hpmagic.tune(
            CELL, {"log": str(log)}, trials=10, executor=client, enqueue=TRIES, strategy="random", seed=0, quiet=True
        )
    assert result.counts()["complete"] == 10
    check_each_once(result, log, 10)


PRUNED = """
from hpmagic import report
x = 0.0   # tune: uniform(-2, 2)
with open(log, "a") as f:
    f.write(f"{x!r}\\n")
for step in range(1, 4):
    report((x - 0.5) ** 2 + 1 / step, step)
(x - 0.5) ** 2
"""


def test_with_prune_the_mark_sits_beside_the_bracket_and_each_runs_once(tmp_path):
    log = tmp_path / "runs.txt"
    result = hpmagic.tune(
        PRUNED, {"log": str(log)}, trials=12, jobs=2, prune="asha", enqueue=TRIES, strategy="random", seed=0, quiet=True
    )
    check_each_once(result, log, 12)
    given = [t for t in result.trials if "enqueued" in t.pruning]
    assert all("bracket" in t.pruning for t in given)
    assert {t.state for t in given} <= {TrialState.COMPLETE, TrialState.PRUNED}


STOPS = CELL.replace(
    "(x - 0.5) ** 2",
    """
if len(open(log).read().splitlines()) == 5 and stop:
    import os, signal, time
    os.kill(os.getpid(), signal.SIGINT)
    time.sleep(5)
(x - 0.5) ** 2""",
)


def test_an_interrupted_study_resumes_without_running_a_given_configuration_again(tmp_path):
    log, path = tmp_path / "runs.txt", tmp_path / "study.sqlite"
    first = hpmagic.tune(
        STOPS,
        {"log": str(log), "stop": True},
        trials=12,
        enqueue=TRIES,
        study="s",
        storage=str(path),
        strategy="random",
        seed=0,
        quiet=True,
    )
    assert first.stop_reason == "interrupted"
    assert [t.state for t in first.trials] == [TrialState.COMPLETE] * 4 + [TrialState.INTERRUPTED]
    assert first.trials[4].pruning == {"enqueued": 3}  # the fourth given one was stopped while it ran
    again = hpmagic.tune(
        STOPS,
        {"log": str(log), "stop": False},
        trials=12,
        enqueue=TRIES,
        study="s",
        storage=str(path),
        strategy="random",
        quiet=True,
    )
    counted = runs(log)
    assert counted[TRIES[3]["x"]] == 2  # the interrupted one ran again, once
    assert all(counted[t["x"]] == 1 for i, t in enumerate(TRIES) if i != 3), counted
    assert sum(counted.values()) == 13
    stored = hpmagic.load_study("s", path)
    done = [t for t in stored.trials if t.state is TrialState.COMPLETE]
    assert len(done) == 12
    assert sorted(t.pruning["enqueued"] for t in done if "enqueued" in t.pruning) == list(range(8))
    assert [t.pruning.get("enqueued") for t in stored.trials[:10]] == [None, 0, 1, 2, 3, 3, 4, 5, 6, 7]
    assert "trials 1-3, 5-9 were enqueued (configurations given with --enqueue)" in again.notes
    # a third run with a larger budget runs none of them again
    more = hpmagic.tune(
        STOPS,
        {"log": str(log), "stop": False},
        trials=14,
        enqueue=TRIES,
        study="s",
        storage=str(path),
        strategy="random",
        quiet=True,
    )
    assert sum(runs(log).values()) == 15
    assert all(runs(log)[t["x"]] == counted[t["x"]] for t in TRIES)
    assert not any("enqueued" in t.pruning for t in more.trials[-2:])
