"""Trials are isolated: what a trial does to the notebook's objects is seen neither by the
notebook nor by another trial, inline, with --jobs, on Dask, ipyparallel and a thread pool.

Every search runs the same cell in a real IPython shell: it mutates a list, a dict, a
DataFrame and a model made in earlier cells, and calls a notebook helper that appends to a
notebook list; each trial records what it saw first, which must be the original every time.
"""

from __future__ import annotations

import os
import threading
from concurrent.futures import ThreadPoolExecutor

import psutil
import pytest

import hpmagic
from hpmagic import TrialState

from . import clusters

NOTEBOOK = """
import numpy as np, pandas as pd
from sklearn.linear_model import LogisticRegression
data = [1, 2, 3]
alias = data
counts = {"a": 0}
df = pd.DataFrame({"a": [1.0, 2.0, 3.0], "b": [4, 5, 6]})
X = np.arange(40.0).reshape(20, 2)
y = np.array([0, 1] * 10)
model = LogisticRegression()
seen = []

def helper(v):
    seen.append(v)
    return len(seen)
"""

CELL = """
import os
x = 0.0  # tune: uniform(0, 1)
n_data, n_counts, n_cols, fitted, n_seen = len(data), counts["a"], df.shape[1], hasattr(model, "coef_"), len(seen)
data.append(x)
counts["a"] += 1
df.drop(columns=["b"], inplace=True)
df.loc[0, "a"] = 99.0
df.fillna(0, inplace=True)
model.fit(X, y)
helper(x)
{"loss": x, "n_data": n_data, "n_counts": n_counts, "n_cols": n_cols, "fitted": float(fitted),
 "n_seen": n_seen, "alias": float(alias is data and len(alias) == n_data + 1), "pid": os.getpid()}
"""


def _check(ip, result, trials: int) -> None:
    assert len(result.trials) == trials
    assert all(t.state is TrialState.COMPLETE for t in result.trials), [t.error for t in result.trials if t.error][:1]
    for t in result.trials:  # every trial saw the notebook's objects as they were
        assert t.metrics["n_data"] == 3 and t.metrics["n_counts"] == 0 and t.metrics["n_cols"] == 2
        assert t.metrics["fitted"] == 0 and t.metrics["n_seen"] == 0 and t.metrics["alias"] == 1
    ns = ip.user_ns
    assert ns["data"] == [1, 2, 3] and ns["alias"] is ns["data"]
    assert ns["counts"] == {"a": 0} and ns["seen"] == []
    assert list(ns["df"].columns) == ["a", "b"] and ns["df"]["a"].tolist() == [1.0, 2.0, 3.0]
    assert not hasattr(ns["model"], "coef_"), "the notebook's model was fitted by a trial"
    assert ns["X"].flags.writeable, "the notebook's own array must stay writable"


def _tune(ip, line: str):
    assert ip.run_cell(NOTEBOOK).success
    return ip.run_cell_magic("tune", f"-q -s random --seed 1 --metric loss {line}", CELL)


def test_inline_trials_do_not_change_the_notebook_or_each_other(ip):
    _check(ip, _tune(ip, "-n 5"), 5)


def test_jobs_trials_are_isolated_even_in_one_worker(ip):
    result = _tune(ip, "-n 8 --jobs 2")
    _check(ip, result, 8)
    pids = [t.metrics["pid"] for t in result.trials]
    assert len(pids) > len(set(pids)), "some worker should run several trials, each from the original"


def test_thread_pool_trials_are_isolated(ip):
    with ThreadPoolExecutor(2) as pool:
        ip.user_ns["pool"] = pool
        _check(ip, _tune(ip, "-n 6 --executor pool"), 6)


def test_dask_trials_are_isolated(ip, caplog):
    import logging

    with clusters.dask_cluster(1, threads=2) as client:
        ip.user_ns["client"] = client
        with caplog.at_level(logging.ERROR, logger="distributed"):
            _check(ip, _tune(ip, "-n 6 --executor client"), 6)
            _check(ip, _tune(ip, "-n 3 --executor client"), 3)  # the same payload again, on the same workers
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], "the scheduler logged an error"


def test_ipyparallel_trials_are_isolated(ip):
    with clusters.ipp_cluster(1) as client:
        ip.user_ns["rc"] = client
        _check(ip, _tune(ip, "-n 5 --executor rc"), 5)


@pytest.mark.parametrize("line", ["-n 4", "-n 4 --jobs 2"])
def test_writing_into_a_notebook_array_fails_that_trial_with_the_reason(ip, line):
    import numpy as np

    ip.user_ns["arr"] = arr = np.zeros(1000)
    cell = "x = 0.0  # tune: uniform(0, 1)\nif x > 0:\n    arr[0] = x\nx\n"
    result = ip.run_cell_magic("tune", f"-q -s random --seed 0 {line}", cell)
    failed = [t for t in result.trials if t.state is TrialState.FAILED]
    assert len(failed) == 3 and result.trials[0].state is TrialState.COMPLETE
    for t in failed:
        assert "assignment destination is read-only" in t.error
        assert "arrays from the notebook are read-only in trials" in t.error and "`arr = arr.copy()`" in t.error
    assert arr[0] == 0 and arr.flags.writeable


def test_an_unpicklable_variable_inline_is_shared_and_the_summary_says_so(ip):
    ip.user_ns.update(lock=threading.Lock(), log=[])
    cell = "x = 0.0  # tune: uniform(0, 1)\nwith lock:\n    log.append(x)\nx\n"
    result = ip.run_cell_magic("tune", "-q -s random --seed 0 -n 4", cell)
    assert len(result.completed) == 4
    assert ip.user_ns["log"] == [], "the list is still isolated"
    notes = [n for n in result.notes if "not isolated" in n]
    assert len(notes) == 1 and "lock (_thread.lock)" in notes[0] and "log" not in notes[0]
    assert "not isolated: lock" in repr(result)


def test_the_best_values_are_bound_and_the_notebook_model_stays_unfitted(ip):
    """How to get the best model: run the cell again, without %%tune; the best values are bound."""
    assert ip.run_cell(NOTEBOOK).success
    cell = "C = 1.0  # tune: loguniform(0.01, 100)\nmodel.set_params(C=C)\nmodel.fit(X, y).score(X, y)\n"
    result = ip.run_cell_magic("tune", "-q -s random --seed 0 -n 4 --maximize", cell)
    assert not hasattr(ip.user_ns["model"], "coef_") and ip.user_ns["model"].C == 1.0
    assert ip.run_cell(cell).success
    assert ip.user_ns["model"].C == result.best_params["C"] and hasattr(ip.user_ns["model"], "coef_")


def test_a_class_of_the_notebook_is_left_as_it_was(ip):
    """Restoring a notebook class by value in the kernel would rebind its methods to copies of the globals."""
    assert ip.run_cell("offset = 1\nclass Shift:\n    def apply(self, v):\n        return v + offset\n").success
    method = ip.user_ns["Shift"].apply
    result = ip.run_cell_magic(
        "tune", "-q -s random --seed 0 -n 3", "x = 0.0  # tune: uniform(0, 1)\nShift().apply(x)\n"
    )
    assert len(result.completed) == 3
    assert ip.user_ns["Shift"].apply is method
    assert ip.run_cell("offset = 10\nresult = Shift().apply(0)").success and ip.user_ns["result"] == 10


def test_pandas_in_place_operations_work_on_notebook_frames(ip):
    """Frames are copied on write: pandas' own in-place operations work in trials."""
    import pandas as pd

    ip.user_ns["df"] = df = pd.DataFrame({"a": [1.0, None, 3.0], "b": [1, 2, 3]})
    cell = (
        "x = 0.0  # tune: uniform(0, 1)\n"
        "df.loc[0, 'a'] = x\n"
        "df.fillna(0, inplace=True)\n"
        "df['new'] = 1\n"
        "df.drop(columns=['b'], inplace=True)\n"
        "df.iloc[1, 0] = 5\n"
        "float(df['a'].sum())\n"
    )
    result = ip.run_cell_magic("tune", "-q -s random --seed 0 -n 3", cell)
    assert len(result.completed) == 3, [t.error for t in result.trials]
    assert list(df.columns) == ["a", "b"] and df["a"].isna().sum() == 1 and df.loc[0, "a"] == 1.0


def test_a_fitted_forest_and_a_pipeline_refit_in_trials(ip):
    assert ip.run_cell(
        "from sklearn.datasets import load_digits\n"
        "from sklearn.ensemble import RandomForestClassifier\n"
        "from sklearn.pipeline import make_pipeline\n"
        "from sklearn.preprocessing import StandardScaler\n"
        "from sklearn.linear_model import LogisticRegression\n"
        "Xd, yd = load_digits(return_X_y=True)\n"
        "forest = RandomForestClassifier(n_estimators=5, random_state=0).fit(Xd, yd)\n"
        "pipe = make_pipeline(StandardScaler(), LogisticRegression(max_iter=50)).fit(Xd, yd)\n"
        "before = forest.estimators_[0].tree_.node_count\n"
    ).success
    cell = (
        "depth = 2  # tune: int(2, 4)\n"
        "forest.set_params(max_depth=depth).fit(Xd, yd)\n"
        "pipe.fit(Xd[:500], yd[:500])\n"
        "forest.score(Xd, yd) + pipe.score(Xd, yd)\n"
    )
    result = ip.run_cell_magic("tune", "-q -s random --seed 0 -n 3 --maximize", cell)
    assert len(result.completed) == 3, [t.error for t in result.trials]
    assert ip.user_ns["forest"].max_depth is None
    assert ip.user_ns["forest"].estimators_[0].tree_.node_count == ip.user_ns["before"]


def test_globals_still_reach_the_rest_of_the_namespace_inline(ip):
    ip.user_ns.update(hidden=[1], vals=[])
    cell = "x = 0.0  # tune: uniform(0, 1)\nlen(globals()['hidden'])\n"
    result = ip.run_cell_magic("tune", "-q -s random --seed 0 -n 2", cell)
    assert [t.value for t in result.trials] == [1, 1]


def _worker_pids() -> set[int]:
    pids = set()
    for child in psutil.Process().children(recursive=True):
        try:
            if "hpmagic.parallel.worker" in " ".join(child.cmdline()):
                pids.add(child.pid)
        except psutil.NoSuchProcess:
            pass
    return pids


@pytest.mark.parametrize("mode", ["fork-server", "spawn"])
def test_jobs_never_starts_more_workers_than_trials_left(mode, monkeypatch):
    monkeypatch.setenv("HPMAGIC_WORKER_START", mode)
    seen: set[int] = set()
    stop = threading.Event()

    def watch():
        while not stop.is_set():
            seen.update(_worker_pids())
            stop.wait(0.02)

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        cell = "import time\nx = 0.0  # tune: uniform(0, 1)\ntime.sleep(0.3)\nx\n"
        result = hpmagic.tune(cell, {}, trials=3, jobs=64, seed=0, strategy="random", quiet=True)
    finally:
        stop.set()
        watcher.join()
    assert len(result.completed) == 3
    zygote = 1 if mode == "fork-server" else 0
    assert 1 <= len(seen) <= 3 + zygote, f"{len(seen)} worker processes for 3 trials"
    assert any("--jobs 64: only 3 trials left to run, so 3 worker processes started" in n for n in result.notes)
    assert not _worker_pids()


def test_jobs_beyond_the_core_count_is_noted():
    cores = len(os.sched_getaffinity(0))
    jobs = cores + 1
    result = hpmagic.tune("x = 0.0  # tune: uniform(0, 1)\nx", {}, trials=jobs, jobs=jobs, seed=0, quiet=True)
    assert f"--jobs {jobs} is more than the {cores} cores here: trials compete for them" in " ".join(result.notes)
    result = hpmagic.tune("x = 0.0  # tune: uniform(0, 1)\nx", {}, trials=4, jobs=min(cores, 2), seed=0, quiet=True)
    assert not any("cores here" in n for n in result.notes)


def test_a_costly_restore_is_noted_naming_the_variable(ip, monkeypatch):
    from hpmagic.cell import isolation

    monkeypatch.setattr(isolation, "SLOW_RESTORE", 0.0)  # the rule's threshold, so the test needs no slow machine
    ip.user_ns.update(small=[1], heavy=[{"k": i} for i in range(50_000)])
    result = ip.run_cell_magic(
        "tune", "-q -s random --seed 0 -n 2", "x = 0.0  # tune: uniform(0, 1)\nx + len(small) + len(heavy)\n"
    )
    notes = [n for n in result.notes if n.startswith("isolating the trials costs")]
    assert len(notes) == 1 and "most of it restoring heavy (list," in notes[0]


def test_a_resumed_study_starts_workers_only_for_the_trials_left(tmp_path):
    storage = str(tmp_path / "s.sqlite")
    cell = "x = 0.0  # tune: uniform(0, 1)\nx\n"
    hpmagic.tune(cell, {}, trials=4, seed=0, quiet=True, study="s", storage=storage)
    result = hpmagic.tune(cell, {}, trials=6, jobs=8, seed=0, quiet=True, study="s", storage=storage)
    assert len(result.completed) == 6
    assert any("--jobs 8: only 2 trials left to run, so 2 worker processes started" in n for n in result.notes)


# -- what a trial changes in its process: the random streams, os.environ, cwd, sys.path ------------

RANDOM_CELL = """
import os, random
import numpy as np
x = 0.0  # tune: uniform(0, 1)
a, b = random.random(), float(np.random.rand())
random.seed(0)  # a trial that reseeds (and draws on) changes only itself
np.random.seed(0)
[random.random() for _ in range(100)]
{"loss": x, "a": a, "b": b, "pid": os.getpid()}
"""


def _own_draws(seed: int, number: int) -> tuple[float, float]:
    """The first draws of trial ``number`` of a search seeded ``seed``, as the docs say to compute them."""
    import numpy as np

    from hpmagic.cell.globalstate import trial_seed

    own = trial_seed(seed, number)
    return __import__("random").Random(own).random(), float(np.random.RandomState(own).rand())


def _check_draws(result, seed: int) -> None:
    assert len(result.completed) == len(result.trials), [t.error for t in result.trials][:1]
    for t in result.trials:
        assert (t.metrics["a"], t.metrics["b"]) == _own_draws(seed, t.number), t.number
        assert t.warnings == ()


@pytest.mark.parametrize("line", ["-n 6", "-n 6 --jobs 2", "-n 6 --executor pool"], ids=["inline", "jobs", "threads"])
def test_each_trial_starts_the_random_streams_from_its_own_seed_and_the_notebook_keeps_its_own(ip, line):
    assert ip.run_cell("import random\nimport numpy as np\nrandom.seed(11)\nnp.random.seed(12)\n").success
    with ThreadPoolExecutor(1) as pool:
        ip.user_ns["pool"] = pool
        result = ip.run_cell_magic("tune", f"-q -s random --seed 7 --metric loss {line}", RANDOM_CELL)
    _check_draws(result, 7)
    if "--jobs" in line:
        pids = [t.metrics["pid"] for t in result.trials]
        assert len(pids) > len(set(pids)), "some worker should run several trials, each from its own seed"
    # the notebook's streams go on exactly as if no search had run
    import numpy as np

    assert ip.run_cell("after = (random.random(), float(np.random.rand()))").success
    assert ip.user_ns["after"] == (__import__("random").Random(11).random(), float(np.random.RandomState(12).rand()))


def test_seed_makes_a_cell_that_never_seeds_reproducible_and_another_seed_draws_otherwise(ip):
    first = ip.run_cell_magic("tune", "-q -s random --seed 3 --metric loss -n 4", RANDOM_CELL)
    again = ip.run_cell_magic("tune", "-q -s random --seed 3 --metric loss -n 4 --jobs 2", RANDOM_CELL)
    other = ip.run_cell_magic("tune", "-q -s random --seed 4 --metric loss -n 4", RANDOM_CELL)
    draws = [[(t.metrics["a"], t.metrics["b"]) for t in r.trials] for r in (first, again, other)]
    assert draws[0] == draws[1] and not set(draws[0]) & set(draws[2])


def test_a_dask_worker_running_one_trial_at_a_time_seeds_each_as_inline(ip):
    with clusters.dask_cluster(1) as client:
        ip.user_ns["client"] = client
        result = ip.run_cell_magic("tune", "-q -s random --seed 5 --metric loss -n 4 --executor client", RANDOM_CELL)
    _check_draws(result, 5)


STATE_CELL = """
import os, sys
x = 0.0  # tune: uniform(0, 1)
seen = (os.environ.get("HPMAGIC_TEST_X"), os.getcwd(), "/hpmagic/test/path" in sys.path)
if x > 0.5:
    os.environ["HPMAGIC_TEST_X"] = "1"
    os.environ.pop("HPMAGIC_TEST_GONE", None)
    os.chdir(elsewhere)
    sys.path.append("/hpmagic/test/path")
{"loss": x, "clean": float(seen == (None, home, False))}
"""


@pytest.mark.parametrize("line", ["-n 8", "-n 8 --jobs 2"], ids=["inline", "jobs"])
def test_environ_cwd_and_sys_path_are_restored_after_each_trial_with_a_warning(ip, tmp_path, monkeypatch, line):
    home, elsewhere = tmp_path / "home", tmp_path / "elsewhere"
    home.mkdir()
    elsewhere.mkdir()
    monkeypatch.chdir(home)
    monkeypatch.setenv("HPMAGIC_TEST_GONE", "kept")
    path_before = list(__import__("sys").path)
    ip.user_ns.update(home=str(home), elsewhere=str(elsewhere))
    result = ip.run_cell_magic("tune", f"-q -s random --seed 1 --metric loss {line}", STATE_CELL)
    changed = [t for t in result.trials if t.params["x"] > 0.5]
    assert changed and len(changed) < len(result.trials)
    assert all(t.metrics["clean"] == 1 for t in result.trials), "a trial saw what an earlier one changed"
    for t in result.trials:
        if t in changed:
            assert t.warnings == (
                f"GlobalStateWarning: trial {t.number} changed os.environ['HPMAGIC_TEST_GONE'], "
                "os.environ['HPMAGIC_TEST_X'] (restored after the trial)",
                f"GlobalStateWarning: trial {t.number} changed the working directory to '{elsewhere}' (restored to "
                f"'{home}' after the trial)",
                f"GlobalStateWarning: trial {t.number} changed sys.path (added '/hpmagic/test/path'; restored after "
                "the trial)",
            )
        else:
            assert t.warnings == ()
    assert f"warnings: {3 * len(changed)} warnings in {len(changed)} trial" in repr(result)
    assert "GlobalStateWarning " + str(3 * len(changed)) in repr(result)
    assert os.environ.get("HPMAGIC_TEST_X") is None and os.environ["HPMAGIC_TEST_GONE"] == "kept"
    assert os.getcwd() == str(home) and __import__("sys").path == path_before


def test_trials_running_together_in_threads_share_the_warning_and_the_restore(ip, tmp_path):
    ip.user_ns["meet"] = threading.Barrier(2, timeout=30)  # cannot be pickled: the trials share it
    cell = (
        "import os\n"
        "x = 0.0  # tune: uniform(0, 1)\n"
        "meet.wait()  # both trials run at once\n"
        "if x > 0:\n"
        "    os.environ['HPMAGIC_TEST_X'] = str(x)\n"
        "meet.wait()\n"
        "x\n"
    )
    with ThreadPoolExecutor(2) as pool:
        ip.user_ns["pool"] = pool
        result = ip.run_cell_magic("tune", "-q -s random --seed 0 -n 2 --executor pool", cell)
    assert len(result.completed) == 2
    warned = [t for t in result.trials if t.warnings]
    assert len(warned) == 1, [t.warnings for t in result.trials]
    (last,) = warned
    other = 1 - last.number
    assert last.warnings == (
        f"GlobalStateWarning: trial {last.number} (or trial {other}, which ran beside it in this process) changed "
        "os.environ['HPMAGIC_TEST_X'] (restored after the trial)",
    )
    assert "HPMAGIC_TEST_X" not in os.environ


def test_a_working_directory_a_trial_deleted_is_said_to_be_beyond_restoring(ip, tmp_path, monkeypatch):
    gone = tmp_path / "gone"
    gone.mkdir()
    monkeypatch.chdir(gone)
    ip.user_ns["gone"] = str(gone)
    cell = "import os\nx = 0.0  # tune: uniform(0, 1)\nos.chdir('/')\nos.rmdir(gone)\nx\n"
    result = ip.run_cell_magic("tune", "-q -s random --seed 0 -n 1", cell)
    assert result.trials[0].warnings == (
        f"GlobalStateWarning: trial 0 changed the working directory to '/' (it could not be restored to '{gone}': "
        "No such file or directory)",
    )


def test_two_searches_in_one_process_may_both_run_a_trial_of_one_number(monkeypatch):
    """Two searches started from threads of one process both have a trial 3: the first to end must
    not take the other for ended (the environment is put back only once both are over)."""
    from hpmagic.cell.globalstate import trial_process

    monkeypatch.delenv("HPMAGIC_TEST_X", raising=False)
    with trial_process(3, 0) as outer:
        with trial_process(3, 1) as inner:
            os.environ["HPMAGIC_TEST_X"] = "1"
        assert inner == [] and os.environ["HPMAGIC_TEST_X"] == "1"  # the other trial 3 still runs
    assert outer == ["GlobalStateWarning: trial 3 changed os.environ['HPMAGIC_TEST_X'] (restored after the trial)"]
    assert "HPMAGIC_TEST_X" not in os.environ
