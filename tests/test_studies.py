"""Persistent studies: resume, completion, refusal of a changed cell, loading and listing, and
study files that are not what they should be (foreign, damaged, newer, read-only, crafted)."""

from __future__ import annotations

import hashlib
import os
import pickle
import sqlite3
import stat

import pytest

import hpmagic
from hpmagic import StorageError, Strategy, StudyMismatchError, TrialState
from hpmagic.storage.file import SCHEMA_VERSION
from hpmagic.storage.sqlite import SQLiteStore

from .shared import SharedList

CELL = """
x = 0.0    # tune: uniform(-2, 2)
kind = "a" # tune: ["a", "b"]
(x - 0.5) ** 2 + (kind == "b")
"""


class Recording(Strategy):
    """Random search that remembers what it was told."""

    name = "recording"

    def setup(self, space, context):
        super().setup(space, context)
        import random

        self.rng = random.Random(context.seed)
        self.told = []

    def ask(self, number):
        return self.space.sample(self.rng)

    def tell(self, trial):
        self.told.append(trial.number)


def tune(path, trials, **options):
    options.setdefault("quiet", True)
    options.setdefault("strategy", "random")
    return hpmagic.tune(CELL, options.pop("ns", {}), trials=trials, study="s", storage=str(path), **options)


def files_of(path):
    """The study file's bytes and its side files: what 'untouched' means."""
    side = sorted(p.name for p in path.parent.iterdir() if p.name.startswith(path.name) and p != path)
    return hashlib.sha256(path.read_bytes()).hexdigest(), side


# -- resume and completion ------------------------------------------------------------------


def test_rerun_resumes_to_the_total_and_tells_the_strategy_what_was_tried(tmp_path):
    path = tmp_path / "st.sqlite"
    first = tune(path, 6, seed=1)
    assert [t.number for t in first.trials] == list(range(6))
    strategy = Recording()
    second = tune(path, 10, strategy=strategy, seed=1)
    assert [t.number for t in second.trials] == list(range(10))
    assert all(t.state is TrialState.COMPLETE for t in second.trials)
    assert strategy.told[:6] == list(range(6))  # the stored trials first, then its own
    assert sorted(strategy.told) == list(range(10))
    # trial 0 (the defaults) ran once; the resumed run did not replay the first run's draws
    assert second.trials[0].params == {"x": 0.0, "kind": "a"}
    params = [tuple(sorted(t.params.items())) for t in second.trials]
    assert len(set(params)) == 10
    assert any("resumed with 6 stored trials" in n for n in second.notes)
    assert second.study == "s"


def test_a_complete_study_says_so_and_returns_the_stored_result(tmp_path, capsys):
    path = tmp_path / "st.sqlite"
    done = tune(path, 5, seed=0)
    ns = {}
    again = tune(path, 5, quiet=False, display="none", ns=ns)
    assert again.stop_reason == "complete"
    assert [t.number for t in again.trials] == [t.number for t in done.trials]
    assert again.best_value == done.best_value and ns["x"] == done.best_params["x"]
    out = capsys.readouterr().out
    assert "is complete" in out and "raise -n" in out and "--study" in out
    assert "raise -n" in repr(again)


def test_interrupted_trials_do_not_count_toward_the_budget(tmp_path):
    path = tmp_path / "st.sqlite"
    ns = {"calls": SharedList()}
    cell = (
        "import os, signal, time\n"
        "x = 0.0  # tune: uniform(-1, 1)\n"
        "calls.append(x)\n"
        "if len(calls) == 4:\n"
        "    os.kill(os.getpid(), signal.SIGINT)\n"
        "    time.sleep(5)\n"
        "x ** 2\n"
    )
    first = hpmagic.tune(cell, ns, trials=8, study="i", storage=str(path), quiet=True, seed=0)
    assert first.stop_reason == "interrupted"
    assert [t.state for t in first.trials][-1] is TrialState.INTERRUPTED and len(first.trials) == 4
    again = hpmagic.tune(cell, ns, trials=8, study="i", storage=str(path), quiet=True)
    states = [t.state for t in again.trials]
    assert states.count(TrialState.COMPLETE) == 8 and states.count(TrialState.INTERRUPTED) == 1
    assert [t.number for t in again.trials] == list(range(9))
    assert hpmagic.load_study("i", path).counts()["interrupted"] == 1


def test_through_the_magic_with_overwrite(tmp_path, ip):
    path = tmp_path / "m.sqlite"
    ip.run_cell_magic("tune", f"-q -n 4 --seed 0 --study m --storage {path}", CELL)
    result = ip.run_cell_magic("tune", f"-q -n 6 --study m --storage {path}", CELL)
    assert len(result.trials) == 6
    ip.run_cell_magic("tune", f"-q -n 3 --study m --storage {path} --overwrite", CELL)
    assert len(hpmagic.load_study("m", path).trials) == 3


# -- a changed cell is refused ------------------------------------------------------------


@pytest.mark.parametrize(
    ("cell", "options", "expected"),
    [
        (CELL.replace("uniform(-2, 2)", "uniform(-3, 2)"), {}, "x was uniform(-2, 2), now uniform(-3, 2)"),
        (CELL.replace('["a", "b"]', '["a", "b", "c"]'), {}, "kind was choice('a', 'b'), now choice('a', 'b', 'c')"),
        ("y = 1  # tune: int(0, 3)\n" + CELL, {}, "parameter 'y' (int(0, 3)) is new"),
        (CELL.replace('kind = "a" # tune: ["a", "b"]', 'kind = "a"'), {}, "parameter 'kind'"),
        (CELL, {"maximize": True}, "the direction was --minimize, the cell now asks to --maximize"),
        ("r = {'a': 1.0}\n" + CELL.replace("(x - 0.5)", "r = (x - 0.5)"), {"metric": "r"}, "the objective was"),
    ],
)
def test_a_changed_cell_is_refused_with_what_changed(tmp_path, cell, options, expected):
    path = tmp_path / "st.sqlite"
    tune(path, 3, seed=0)
    before = files_of(path)
    with pytest.raises(StudyMismatchError) as info:
        hpmagic.tune(cell, {}, trials=5, study="s", storage=str(path), quiet=True, **options)
    message = str(info.value)
    assert expected in message
    assert "--study s-2" in message and "--overwrite" in message
    assert files_of(path) == before
    assert len(hpmagic.load_study("s", path).trials) == 3


def test_the_magic_shows_the_refusal_as_a_usage_error(tmp_path, ip, capsys):
    path = tmp_path / "st.sqlite"
    ip.run_cell_magic("tune", f"-q -n 3 --study s --storage {path}", CELL)
    ip.run_cell(f"%%tune -q -n 5 --maximize --study s --storage {path}\n{CELL}")
    err = capsys.readouterr()
    text = err.out + err.err
    assert "UsageError" in text and "direction" in text and "Traceback" not in text


def test_moving_lines_and_comments_is_not_a_change(tmp_path):
    path = tmp_path / "st.sqlite"
    tune(path, 3, seed=0)
    moved = "# a comment\n\n" + CELL
    result = hpmagic.tune(moved, {}, trials=5, study="s", storage=str(path), quiet=True)
    assert len(result.trials) == 5


def test_a_changed_default_resumes_the_study_and_says_so(tmp_path):
    path = tmp_path / "st.sqlite"
    first = tune(path, 4, seed=0)
    assert first.trials[0].params == {"x": 0.0, "kind": "a"}
    edited = CELL.replace("x = 0.0 ", "x = 0.75").replace('kind = "a"', 'kind = "b"')
    result = hpmagic.tune(edited, {}, trials=6, study="s", storage=str(path), quiet=True, strategy="random")
    assert [t.number for t in result.trials] == list(range(6))
    assert result.trials[0].params == {"x": 0.0, "kind": "a"}  # trial 0 ran the old defaults, once
    assert sum(t.params == {"x": 0.75, "kind": "b"} for t in result.trials) == 0
    notes = " | ".join(result.notes)
    assert (
        "the defaults of x, kind changed since study 's' began (written back with -w?): a new default is not "
        "a new search space, so the study goes on with its trials"
    ) in notes
    assert "code changed" not in notes  # the defaults are not the code either
    # A third run with the same (new) defaults: still no note about code, still the same study.
    again = hpmagic.tune(edited, {}, trials=7, study="s", storage=str(path), quiet=True, strategy="random")
    assert len(again.trials) == 7 and not any("code changed" in note for note in again.notes)
    # Another change still counts as code: the defaults do not hide it.
    other = hpmagic.tune(edited.replace("** 2", "** 4"), {}, trials=8, study="s", storage=str(path), quiet=True)
    assert any("the cell's code changed" in note and "+ (x - 0.5) ** 4" in note for note in other.notes)


def test_a_changed_default_of_a_study_without_baseline_offers_no_trial_0(tmp_path):
    path = tmp_path / "st.sqlite"
    tune(path, 3, seed=0, baseline=False)
    result = hpmagic.tune(
        CELL.replace("x = 0.0 ", "x = 0.75"), {}, trials=4, study="s", storage=str(path), quiet=True, baseline=False
    )
    assert len(result.trials) == 4
    assert result.notes[-1] == (
        "the default of x changed since study 's' began (written back with -w?): a new default "
        "is not a new search space, so the study goes on with its trials"
    )


# -- reading back ---------------------------------------------------------------------------


def test_load_study_rebuilds_the_whole_result(tmp_path):
    path = tmp_path / "st.sqlite"
    ran = tune(path, 8, seed=3, maximize=True)
    loaded = hpmagic.load_study("s", storage=path)
    assert loaded.trials == ran.trials
    assert loaded.space == ran.space and loaded.direction == "maximize" and loaded.metric == "objective"
    assert loaded.strategy == "random" and loaded.seed == 3 and loaded.budget == 8 and loaded.study == "s"
    assert loaded.best_params == ran.best_params and loaded.baseline.number == 0
    assert loaded.to_dataframe().shape == ran.to_dataframe().shape
    assert "<img" in loaded._repr_html_()


def test_list_studies(tmp_path):
    path = tmp_path / "st.sqlite"
    tune(path, 4, seed=0)
    hpmagic.tune(CELL, {}, trials=3, study="other", storage=str(path), quiet=True, maximize=True)
    table = hpmagic.list_studies(path)
    assert list(table.index) == ["s", "other"]
    assert table.loc["s", "complete"] == 4 and table.loc["other", "trials"] == 3
    assert table.loc["other", "direction"] == "maximize"


def test_unknown_study_and_missing_file(tmp_path):
    path = tmp_path / "st.sqlite"
    tune(path, 2, seed=0)
    with pytest.raises(StorageError, match=r"no study 'S' .*did you mean 's'"):
        hpmagic.load_study("S", path)
    with pytest.raises(StorageError, match="there is no study file"):
        hpmagic.load_study("s", tmp_path / "nope.sqlite")
    assert not (tmp_path / "nope.sqlite").exists()


def test_two_stores_on_one_file_see_each_others_finished_trials(tmp_path):
    from hpmagic.result import Trial

    path = tmp_path / "st.sqlite"
    space = hpmagic.tune(CELL, {}, trials=1, study="s", storage=str(path), quiet=True).space
    a, b = SQLiteStore(path, "s"), SQLiteStore(path, "s")
    for store in (a, b):
        store.begin(
            space=space, direction="minimize", metric="objective", baseline=True, seed=0, budget=10, strategy="random"
        )
        store.trials()
    n, m = a.reserve(), b.reserve()
    assert (n, m) == (1, 2)
    a.put(Trial(number=n, params={"x": 0.1, "kind": "a"}, state=TrialState.COMPLETE, value=0.2))
    assert [t.number for t in b.poll()] == [n] and b.poll() == []
    assert a.poll() == []
    a.close()
    b.close()


# -- files that are not what they should be -------------------------------------------------


def _expect_refused(path, match):
    before = files_of(path)
    with pytest.raises(StorageError, match=match) as info:
        tune(path, 3)
    assert "untouched" in str(info.value) or "read-only" in str(info.value)
    assert files_of(path) == before
    return info


def test_a_file_that_is_not_sqlite(tmp_path):
    path = tmp_path / "data.csv"
    path.write_text("a,b\n1,2\n" * 50)
    _expect_refused(path, "is not an SQLite database")


def test_an_sqlite_file_of_another_application(tmp_path):
    path = tmp_path / "other.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE customers (name TEXT)")
    conn.commit()
    conn.close()
    _expect_refused(path, "another application")


def test_a_damaged_study_file(tmp_path):
    path = tmp_path / "st.sqlite"
    tune(path, 20, seed=0)
    data = bytearray(path.read_bytes())
    assert len(data) >= 3 * 4096
    data[4096 + 8 : 3 * 4096] = b"\xa5" * (2 * 4096 - 8)  # scribble over pages 2 and 3
    path.write_bytes(bytes(data))
    _expect_refused(path, "is damaged")
    with pytest.raises(StorageError, match="is damaged"):
        hpmagic.load_study("s", path)


def test_a_file_from_a_newer_schema(tmp_path):
    path = tmp_path / "st.sqlite"
    tune(path, 2, seed=0)
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode = DELETE")
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()
    info = _expect_refused(path, "newer hpmagic")
    assert "pip install -U hpmagic" in str(info.value)


def test_a_read_only_file_is_refused_for_writing_but_loads(tmp_path):
    path = tmp_path / "st.sqlite"
    tune(path, 3, seed=0)
    os.chmod(path, stat.S_IRUSR | stat.S_IRGRP)
    try:
        _expect_refused(path, "is read-only")
        before = files_of(path)
        assert len(hpmagic.load_study("s", path).trials) == 3
        assert files_of(path) == before
    finally:
        os.chmod(path, stat.S_IRUSR | stat.S_IWUSR)


class _Boom:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.mkdir, (self.marker,))


@pytest.mark.parametrize("column", ["params", "metrics", "warnings"])
def test_a_crafted_pickle_payload_is_never_unpickled(tmp_path, column):
    path = tmp_path / "st.sqlite"
    tune(path, 3, seed=0)
    marker = str(tmp_path / "pwned")
    payload = pickle.dumps(_Boom(marker))
    with pytest.raises(FileNotFoundError):  # the payload is live: unpickling it would create the marker
        os.stat(marker)
    conn = sqlite3.connect(path)
    conn.execute(f"UPDATE trials SET {column} = ? WHERE number = 1", (payload,))
    conn.execute("UPDATE studies SET notes = ?", (payload.decode("latin-1"),))  # as text, too
    conn.commit()
    conn.close()
    with pytest.raises(StorageError, match="never unpickles|not valid JSON") as info:
        hpmagic.load_study("s", path)
    assert "trial 1" in str(info.value) or "notes" in str(info.value)
    with pytest.raises(StorageError):
        tune(path, 5)
    assert hpmagic.list_studies(path).loc["s", "trials"] == 3  # listing decodes no payload at all
    assert not os.path.exists(marker)
    pickle.loads(payload)  # proof the payload was armed
    assert os.path.exists(marker)


def test_a_resumed_grid_does_not_run_its_points_again(tmp_path):
    path = tmp_path / "grid.sqlite"
    cell = "a = 1  # tune: int(1, 4)\nb = 'x'  # tune: ['x', 'y', 'z']\na + (b == 'y')\n"
    hpmagic.tune(cell, {}, trials=6, strategy="grid", study="g", storage=str(path), quiet=True, seed=0)
    result = hpmagic.tune(cell, {}, trials=13, strategy="grid", study="g", storage=str(path), quiet=True, seed=0)
    points = [tuple(sorted(t.params.items())) for t in result.trials[1:]]
    assert len(points) == 12 and len(set(points)) == 12  # the whole 4 x 3 grid, each point once


# -- the store's read API, and errors translated once ---------------------------------------


def test_studies_reads_through_the_stores_public_api_only():
    """studies.py is a thin facade: no connection, no SQL, no private name of another module."""
    import ast
    import inspect

    import hpmagic.studies

    tree = ast.parse(inspect.getsource(hpmagic.studies))
    private = sorted(
        node.attr
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute) and node.attr.startswith("_") and not node.attr.startswith("__")
    )
    assert private == []
    imported = [
        alias.name for node in ast.walk(tree) if isinstance(node, (ast.Import, ast.ImportFrom)) for alias in node.names
    ]
    assert "sqlite3" not in imported and not [name for name in imported if name.startswith("_")]


def test_the_read_api_gives_typed_records(tmp_path):
    from hpmagic.core import Direction, StopReason

    path = tmp_path / "st.sqlite"
    ran = tune(path, 5, seed=2, maximize=True)
    store = SQLiteStore(path, "s", readonly=True)
    try:
        stored = store.read_study()
        (summary,) = store.summaries()
        assert store.study_names() == ["s"]
    finally:
        store.close()
    assert stored.record.direction is Direction.MAXIMIZE and stored.record.budget == 5
    assert stored.trials == ran.trials and not stored.running
    assert stored.stop_reason is StopReason.BUDGET and len(stored.sessions) == 1
    assert stored.sessions[0].stop_reason == "budget" and stored.sessions[0].ended is not None
    assert summary.name == "s" and summary.direction is Direction.MAXIMIZE and summary.trials == 5
    assert summary.best == ran.best_value and summary.counts == {"complete": 5}


def test_list_studies_takes_the_best_value_by_each_studys_direction(tmp_path):
    path = tmp_path / "st.sqlite"
    low = tune(path, 6, seed=0)
    high = hpmagic.tune(CELL, {}, trials=6, study="up", storage=str(path), quiet=True, maximize=True, seed=0)
    table = hpmagic.list_studies(path)
    assert table.loc["s", "best"] == low.best_value == min(t.value for t in low.trials)
    assert table.loc["up", "best"] == high.best_value == max(t.value for t in high.trials)


def _dead_pid() -> int:
    import subprocess
    import sys

    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_a_running_trial_of_a_dead_writer_loads_as_interrupted_and_a_live_ones_as_running(tmp_path):
    from hpmagic.result import Trial

    path = tmp_path / "st.sqlite"
    space = tune(path, 2, seed=0).space
    store = SQLiteStore(path, "s")
    store.begin(
        space=space, direction="minimize", metric="objective", baseline=True, seed=0, budget=5, strategy="random"
    )
    n = store.reserve()
    store.put(Trial(number=n, params={"x": 0.1, "kind": "a"}, started=1.0))
    live = hpmagic.load_study("s", path)
    assert live.trials[n].state is TrialState.RUNNING and live.stop_reason == "running"
    with sqlite3.connect(path) as conn:  # the writer's process is now one that has exited
        conn.execute("UPDATE sessions SET pid = ?, process = '' WHERE ended IS NULL", (_dead_pid(),))
    dead = hpmagic.load_study("s", path)
    assert dead.trials[n].state is TrialState.INTERRUPTED and "marked interrupted on loading" in dead.trials[n].error
    assert dead.stop_reason == "interrupted"
    store.close()


@pytest.mark.parametrize(
    ("sql", "words"),
    [
        ("UPDATE trials SET state = 'exploded' WHERE number = 1", "trial 1: unknown state 'exploded'"),
        ("UPDATE trials SET value = 'high' WHERE number = 1", "trial 1: the value should be a number"),
        ("UPDATE trials SET stdout = x'00ff' WHERE number = 1", "trial 1: stdout should be text"),
        ("UPDATE trials SET params = '[1, 2]' WHERE number = 1", "should be a JSON dict"),
        ("UPDATE studies SET direction = 'sideways'", "unknown direction 'sideways'"),
        ("UPDATE studies SET space = '[{\"name\": 1}]'", "the stored search space cannot be read"),
    ],
)
def test_a_damaged_row_is_a_storage_error(tmp_path, sql, words):
    path = tmp_path / "st.sqlite"
    tune(path, 3, seed=0)
    with sqlite3.connect(path) as conn:
        conn.execute(sql)
    with pytest.raises(StorageError, match=words) as info:
        hpmagic.load_study("s", path)
    assert "study 's'" in str(info.value)


def test_a_database_error_during_a_search_is_a_storage_error(tmp_path):
    path = tmp_path / "st.sqlite"
    space = tune(path, 2, seed=0).space
    store = SQLiteStore(path, "s")
    store.begin(
        space=space, direction="minimize", metric="objective", baseline=True, seed=0, budget=5, strategy="random"
    )
    with sqlite3.connect(path) as conn:
        conn.execute("DROP TABLE trials")
    with pytest.raises(StorageError, match=r"study 's'.*no such table: trials"):
        store.reserve()
    with pytest.raises(StorageError, match="no such table"):
        store.trials()
    store.close()  # closing a broken study records what it can and never raises


def test_a_study_overwritten_by_another_process_is_reported_as_gone(tmp_path):
    path = tmp_path / "st.sqlite"
    space = tune(path, 2, seed=0).space
    store = SQLiteStore(path, "s")
    store.begin(
        space=space, direction="minimize", metric="objective", baseline=True, seed=0, budget=5, strategy="random"
    )
    tune(path, 2, seed=0, overwrite=True)
    with pytest.raises(StorageError, match="deleted or overwritten by another process"):
        store.reserve()
    store.close()
