"""Studies that cannot be lost or silently mixed (issue 12): the cell's code compared between
runs, the defaults run again when trial 0 was cut short, ``--overwrite`` that archives instead
of deleting, a study whose trials all failed, damaged rows found before anything is written,
and files of the previous schema (read as they are, migrated when written)."""

from __future__ import annotations

import hashlib
import json
import re
import sqlite3
import subprocess
import sys
import textwrap
import time
from contextlib import closing

import pytest

import hpmagic
from hpmagic import StorageError, StudyMismatchError, TrialState
from hpmagic.cell.parser import parse_cell
from hpmagic.storage import queries
from hpmagic.storage.file import APPLICATION_ID, SCHEMA_VERSION
from hpmagic.storage.liveness import HOST

CELL = """
x = 0.0    # tune: uniform(-2, 2)
kind = "a" # tune: ["a", "b"]
(x - 0.5) ** 2 + (kind == "b")
"""
CHANGED = CELL.replace("(x - 0.5)", "(x - 0.7)")
ARCHIVE = r"s@\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(-\d+)?"


def tune(path, trials, cell=CELL, **options):
    options.setdefault("quiet", True)
    options.setdefault("strategy", "random")
    return hpmagic.tune(
        cell, options.pop("ns", {}), trials=trials, study=options.pop("study", "s"), storage=str(path), **options
    )


def files_of(path):
    """The study file's bytes and its side files: what 'untouched' means."""
    side = sorted(p.name for p in path.parent.iterdir() if p.name.startswith(path.name) and p != path)
    return hashlib.sha256(path.read_bytes()).hexdigest(), side


def rows(path, sql, *args):
    with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30)) as conn:
        return conn.execute(sql, args).fetchall()


def write(path, *statements):
    """Edit the file as another program would, and close it (so no side file is left)."""
    with closing(sqlite3.connect(path)) as conn:
        for sql in statements:
            conn.execute(sql)
        conn.commit()


def code_note(result):
    return [n for n in result.notes if "code changed" in n]


# -- 1. the cell's code, compared between runs ------------------------------------------------


def test_an_edited_objective_is_named_in_the_summary_with_the_way_to_start_afresh(tmp_path, ip):
    path = tmp_path / "st.sqlite"
    ip.run_cell_magic("tune", f"-q -n 3 --seed 0 --study s --storage {path}", CELL)
    result = ip.run_cell_magic("tune", f"-q -n 5 --study s --storage {path}", CHANGED)
    assert code_note(result) == [
        "the cell's code changed since the last run of study 's' (- (x - 0.5) ** 2 + (kind == 'b'); "
        "+ (x - 0.7) ** 2 + (kind == 'b')), so 3 stored trials ran other code than the cell's now (the search "
        "space is the same); if the change alters the objective, start afresh: a new --study name (e.g. "
        "--study s-2), or --overwrite (the stored trials are kept, archived under another name)"
    ]
    assert "note: the cell's code changed since the last run of study 's'" in repr(result)
    assert len(result.trials) == 5  # it is a note, not a refusal: the same space may be meant to go on
    codes = [c for (c,) in rows(path, "SELECT code FROM sessions ORDER BY id")]
    assert codes == [
        "x = 0.0\nkind = 'a'\n(x - 0.5) ** 2 + (kind == 'b')",
        "x = 0.0\nkind = 'a'\n(x - 0.7) ** 2 + (kind == 'b')",
    ]
    # the next run of the same (edited) cell has nothing new to say
    again = ip.run_cell_magic("tune", f"-q -n 6 --study s --storage {path}", CHANGED)
    assert code_note(again) == [] and len(again.trials) == 6


def test_moving_lines_and_editing_comments_is_not_a_code_change(tmp_path):
    path = tmp_path / "st.sqlite"
    tune(path, 3, seed=0)
    moved = (
        "# the objective, with comments\n\n\n"
        + CELL.replace('(x - 0.5) ** 2 + (kind == "b")', '(x - 0.5)**2 + (kind=="b")  # squared')
        + "\n\n"
    )
    result = tune(path, 5, cell=moved)
    assert code_note(result) == [] and len(result.trials) == 5


def test_a_long_change_shows_a_few_lines_and_how_many_more(tmp_path):
    path = tmp_path / "st.sqlite"
    tune(path, 2, seed=0)
    longer = CELL.replace("(x - 0.5)", "a = 1\nb = 2\nc = 3\nd = 4\n(x - 0.5 + a - b + c - d)")
    (note,) = code_note(tune(path, 3, cell=longer))
    assert "(- (x - 0.5) ** 2 + (kind == 'b'); + a = 1; + b = 2; + c = 3; ... (2 more))" in note


def test_the_note_is_kept_with_the_study_and_load_study_shows_it(tmp_path):
    path = tmp_path / "st.sqlite"
    tune(path, 2, seed=0)
    tune(path, 4, cell=CHANGED)
    assert code_note(hpmagic.load_study("s", path)) != []


# -- 2. a stop or crash during trial 0 ------------------------------------------------------

STOP_IN_TRIAL_0 = """
import os, signal, time
x = 0.0  # tune: uniform(-1, 1)
if not os.path.exists(FLAG):
    open(FLAG, "w").close()
    os.kill(os.getpid(), signal.SIGINT)
    time.sleep(5)
(x - 0.3) ** 2
"""


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_stop_during_trial_0_runs_the_defaults_again_as_trial_0(tmp_path, jobs):
    path, ns = tmp_path / "st.sqlite", {"FLAG": str(tmp_path / "stopped")}
    first = tune(path, 5, cell=STOP_IN_TRIAL_0, ns=ns, seed=0)
    assert first.stop_reason == "interrupted" and [t.state for t in first.trials] == [TrialState.INTERRUPTED]
    again = tune(path, 5, cell=STOP_IN_TRIAL_0, ns=ns, jobs=jobs)
    assert [t.number for t in again.trials] == [0, 1, 2, 3, 4]
    assert all(t.state is TrialState.COMPLETE for t in again.trials)
    assert again.baseline is not None and again.baseline.params == {"x": 0.0}
    assert again.baseline.value == pytest.approx(0.09) and again.gain() is not None
    assert "vs defaults 0.09" in repr(again)
    assert rows(path, "SELECT number, state FROM trials WHERE number = 0") == [(0, "complete")]


CRASH_IN_TRIAL_0 = textwrap.dedent(
    """
    import os, sys
    import hpmagic
    path, flag = sys.argv[1], sys.argv[2]
    cell = ("import os\\nx = 0.0  # tune: uniform(-1, 1)\\n"
            "if not os.path.exists(FLAG):\\n    open(FLAG, 'w').close()\\n    os._exit(3)\\n(x - 0.3) ** 2\\n")
    hpmagic.tune(cell, {"FLAG": flag}, trials=4, seed=0, study="s", storage=path, quiet=True)
    """
)


def test_a_crash_during_trial_0_runs_the_defaults_again_as_trial_0(tmp_path):
    path, flag = tmp_path / "st.sqlite", tmp_path / "crashed"
    proc = subprocess.run(
        [sys.executable, "-c", CRASH_IN_TRIAL_0, str(path), str(flag)], capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 3, proc.stderr
    assert rows(path, "SELECT number, state FROM trials") == [(0, "running")]  # the crash cut it short
    cell = (
        "import os\nx = 0.0  # tune: uniform(-1, 1)\n"
        "if not os.path.exists(FLAG):\n    open(FLAG, 'w').close()\n    os._exit(3)\n(x - 0.3) ** 2\n"
    )
    result = tune(path, 4, cell=cell, ns={"FLAG": str(flag)})
    assert [(t.number, t.state) for t in result.trials] == [(n, TrialState.COMPLETE) for n in range(4)]
    assert result.baseline.params == {"x": 0.0} and result.baseline.value == pytest.approx(0.09)
    assert any("1 left running by a crashed process were marked interrupted and run again" in n for n in result.notes)


RECLAIMER = textwrap.dedent(
    """
    import json, os, sys, time
    from hpmagic.cell.parser import parse_cell
    from hpmagic.storage.sqlite import SQLiteStore
    path, go, cell = sys.argv[1], sys.argv[2], sys.argv[3]
    store = SQLiteStore(path, "s")
    store.begin(space=parse_cell(cell).space, direction="minimize", metric="objective", baseline=True, seed=0,
                budget=5, strategy="random")
    print("ready", flush=True)
    while not os.path.exists(go):
        time.sleep(0.001)
    taken = store.reclaim(0, 5)
    print(json.dumps({"pid": os.getpid(), "taken": taken}), flush=True)
    sys.stdin.readline()  # closing marks this run's running trial interrupted: not before the other tried
    store.close()
    """
)


def test_two_processes_never_both_take_back_trial_0(tmp_path):
    path, go = tmp_path / "st.sqlite", tmp_path / "go"
    ns = {"FLAG": str(tmp_path / "stopped")}
    tune(path, 5, cell=STOP_IN_TRIAL_0, ns=ns, seed=0)
    assert rows(path, "SELECT number, state FROM trials") == [(0, "interrupted")]
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", RECLAIMER, str(path), str(go), STOP_IN_TRIAL_0],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    try:
        for proc in procs:
            assert proc.stdout.readline().strip() == "ready", proc.stderr.read()
        go.touch()
        reports = [json.loads(proc.stdout.readline()) for proc in procs]
        assert sorted(r["taken"] for r in reports) == [False, True]
        winner = next(r["pid"] for r in reports if r["taken"])
        assert rows(
            path, "SELECT t.state, s.pid FROM trials t JOIN sessions s ON s.id = t.session_id WHERE t.number = 0"
        ) == [("running", winner)]
        for proc in procs:
            proc.communicate("\n", timeout=120)
            assert proc.returncode == 0
    finally:
        for proc in procs:
            proc.kill()
            proc.wait()


RESUMER = textwrap.dedent(
    """
    import os, sys, time
    import hpmagic
    path, go, flag, cell = sys.argv[1:5]
    while not os.path.exists(go):
        time.sleep(0.001)
    hpmagic.tune(cell, {"FLAG": flag}, trials=8, study="s", storage=path, quiet=True, strategy="random")
    """
)


def test_two_processes_resuming_a_study_cut_short_in_trial_0_run_the_defaults_once(tmp_path):
    path, go, flag = tmp_path / "st.sqlite", tmp_path / "go", tmp_path / "stopped"
    tune(path, 8, cell=STOP_IN_TRIAL_0, ns={"FLAG": str(flag)}, seed=0)
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", RESUMER, str(path), str(go), str(flag), STOP_IN_TRIAL_0],
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    go.touch()
    for proc in procs:
        _, err = proc.communicate(timeout=240)
        assert proc.returncode == 0, err
    stored = rows(path, "SELECT number, state, params FROM trials ORDER BY number")
    assert [n for n, _, _ in stored] == list(range(8)) and {s for _, s, _ in stored} == {"complete"}
    assert [json.loads(p) for n, _, p in stored if json.loads(p) == {"x": 0.0}] == [{"x": 0.0}]  # once
    assert json.loads(stored[0][2]) == {"x": 0.0}


# -- 3. --overwrite archives; no note says "run the cell again" with it on the line -----------


def test_overwrite_left_on_the_line_archives_instead_of_deleting(tmp_path, ip, capsys):
    path, flag = tmp_path / "st.sqlite", tmp_path / "stopped"
    ip.user_ns["FLAG"] = str(flag)
    cell = STOP_IN_TRIAL_0.replace("not os.path.exists(FLAG)", "x != 0.0 and not os.path.exists(FLAG)")
    line = f"-q -n 6 -s random --seed 0 --study s --storage {path} --overwrite"
    stopped = ip.run_cell_magic("tune", line, cell)
    assert stopped.stop_reason == "interrupted" and len(stopped.trials) == 2
    assert not [n for n in stopped.notes if "run the cell again" in n]
    assert (
        f"study 's' in '{path}': every trial is saved; to resume this study later, remove --overwrite from the "
        "line first (run as it is, the cell archives the trials this run stores and starts afresh again)"
        in stopped.notes
    )
    capsys.readouterr()
    ip.run_cell_magic("tune", line.replace("-q ", ""), cell)  # the user runs the cell again as it is
    out = capsys.readouterr().out
    (archive,) = [name for name in hpmagic.list_studies(path).index if name != "s"]
    assert re.fullmatch(ARCHIVE, archive)
    best = f"{hpmagic.load_study(archive, path).best_value:.4g}"
    assert (
        f"hpmagic: study 's' in '{path}': --overwrite kept its 2 stored trials (best {best}) as study "
        f"{archive!r} (hpmagic.load_study({archive!r}, storage='{path}') reads them back) and started 's' "
        "afresh"
    ) in out
    kept = hpmagic.load_study(archive, path)
    assert [(t.number, t.state, t.params) for t in kept.trials] == [
        (t.number, t.state, t.params) for t in stopped.trials
    ]
    fresh = hpmagic.load_study("s", path)
    assert len(fresh.trials) == 6 and fresh.counts()["complete"] == 6


def test_two_archives_of_one_name_get_distinct_names(tmp_path):
    path = tmp_path / "st.sqlite"
    now = time.time()
    names = []
    for _ in range(2):
        tune(path, 2, seed=0)
        with closing(sqlite3.connect(path)) as conn, queries.transaction(conn):
            (sid,) = conn.execute("SELECT id FROM studies WHERE name = 's'").fetchone()
            names.append(queries.archive_study(conn, sid, "s", now).name)
    assert names[1] == names[0] + "-2" and re.fullmatch(ARCHIVE, names[0])
    assert list(hpmagic.list_studies(path).index) == names
    assert all(len(hpmagic.load_study(n, path).trials) == 2 for n in names)
    resumed = tune(path, 4, study=names[0])  # an archive is a study like any other
    assert len(resumed.trials) == 4 and resumed.study == names[0]


def test_the_refusal_of_a_changed_space_says_overwrite_keeps_the_trials(tmp_path):
    path = tmp_path / "st.sqlite"
    tune(path, 3, seed=0)
    with pytest.raises(StudyMismatchError, match=r"--overwrite \(its 3 trials are kept, archived under another name\)"):
        tune(path, 5, cell=CELL.replace("uniform(-2, 2)", "uniform(-3, 2)"))
    result = tune(path, 2, cell=CELL.replace("uniform(-2, 2)", "uniform(-3, 2)"), overwrite=True)
    assert len(result.trials) == 2
    (archive,) = [n for n in hpmagic.list_studies(path).index if n != "s"]
    assert len(hpmagic.load_study(archive, path).trials) == 3


def test_a_study_overwritten_while_another_process_runs_it_keeps_that_processs_trials(tmp_path):
    from hpmagic.result import Trial
    from hpmagic.storage.sqlite import SQLiteStore

    path = tmp_path / "st.sqlite"
    space = tune(path, 2, seed=0).space
    store = SQLiteStore(path, "s")
    store.begin(
        space=space, direction="minimize", metric="objective", baseline=True, seed=0, budget=5, strategy="random"
    )
    n = store.reserve()
    tune(path, 2, seed=0, overwrite=True)
    with pytest.raises(StorageError, match=f"deleted or overwritten by another process .*kept as study '{ARCHIVE}'"):
        store.reserve()
    store.put(Trial(number=n, params={"x": 0.1, "kind": "a"}, state=TrialState.COMPLETE, value=0.16, started=1.0))
    store.close()
    (archive,) = [name for name in hpmagic.list_studies(path).index if name != "s"]
    assert [t.number for t in hpmagic.load_study(archive, path).completed] == [0, 1, n]


# -- 4. a study whose trials all failed -----------------------------------------------------

BUGGY = "x = 0.0  # tune: uniform(-1, 1)\nbug + x\n"
FIXED = "x = 0.0  # tune: uniform(-1, 1)\n(x - 0.3) ** 2\n"


def test_a_complete_study_of_failures_shows_the_way_to_run_the_fixed_cell(tmp_path, ip, capsys):
    path = tmp_path / "st.sqlite"
    ip.run_cell(f"%%tune -q -n 3 --seed 0 --study f --storage {path}\n{BUGGY}")
    said = capsys.readouterr()
    assert "TrialsFailedError: the first 3 trials all failed" in said.out + said.err
    result = ip.run_cell_magic("tune", f"-n 3 --study f --storage {path}", FIXED)
    assert result.stop_reason == "complete"
    message = (
        f"study 'f' in '{path}' is complete: it holds 3 trials and -n asks for 3, so nothing ran. None of them "
        "completed (the first failure, trial 0: NameError: name 'bug' is not defined). If you have fixed the "
        "cell, start afresh: run it with --overwrite (the failed trials are kept, archived as f@<date and time>) "
        "or with a new --study name; or raise -n (e.g. -n 23) to run more trials in this study. Also, the cell's "
        "code changed since the last run of study 'f' (- bug + x; + (x - 0.3) ** 2), so 3 stored trials ran "
        "other code than the cell's now"
    )
    assert result.notes[0].startswith(message)
    assert f"hpmagic: {message}" in capsys.readouterr().out
    fresh = ip.run_cell_magic("tune", f"-q -n 3 --study f --storage {path} --overwrite", FIXED)
    assert [t.state for t in fresh.trials] == [TrialState.COMPLETE] * 3 and fresh.baseline.value == pytest.approx(0.09)
    (archive,) = [n for n in hpmagic.list_studies(path).index if n != "f"]
    assert hpmagic.load_study(archive, path).counts()["failed"] == 3


def test_resuming_a_study_of_failures_says_so(tmp_path, ip):
    path = tmp_path / "st.sqlite"
    ip.run_cell(f"%%tune -q -n 10 --seed 0 --study f --storage {path}\n{BUGGY}")
    result = ip.run_cell_magic("tune", f"-q -n 10 --study f --storage {path}", FIXED)
    assert (
        "none of the study's 3 stored trials completed (the first failure, trial 0: NameError: name 'bug' is not "
        "defined); this run adds to them. If you have fixed the cell, start afresh with --overwrite (the failed "
        "trials are kept, archived under another name) so that the defaults run again as trial 0"
    ) in result.notes
    assert result.counts()["failed"] == 3 and result.counts()["complete"] == 7


# -- 5. a damaged row, found before anything is written ---------------------------------------

FIX = "restore the file from a copy, or run the cell under another --study name"


@pytest.mark.parametrize(
    ("sql", "words"),
    [
        (
            "UPDATE trials SET params = '{\"x\": 0.1' WHERE number = 1",
            "trial 1: the parameters (column params) is not valid JSON",
        ),
        ("UPDATE trials SET state = 'exploded' WHERE number = 1", "trial 1: unknown state 'exploded' (column state)"),
        (
            "UPDATE trials SET value = 'high' WHERE number = 1",
            "trial 1: the value should be a number, but the file holds text 'high'",
        ),
        ("UPDATE trials SET value = 1e999 WHERE number = 1", "trial 1: the value should be a finite number"),
        (
            "UPDATE trials SET duration = 'slow' WHERE number = 1",
            "trial 1: the duration should be a number, but the file holds text 'slow'",
        ),
        (
            "UPDATE trials SET started = x'00' WHERE number = 1",
            "trial 1: the start time (column started) should be a number, but the file holds binary data",
        ),
        ("UPDATE trials SET seq = 'late' WHERE number = 1", "trial 1: the write order (column seq) should be a whole"),
        (
            'UPDATE trials SET params = \'{"x": "far", "kind": "a"}\' WHERE number = 1',
            "trial 1: the parameters (column params) hold x='far', but x (uniform(-2, 2)) takes a number",
        ),
        (
            "UPDATE trials SET params = '{\"y\": 1}' WHERE number = 1",
            "trial 1: the parameters (column params) hold 'y', which is not a parameter of the study",
        ),
        (
            "UPDATE trials SET metrics = '[1]' WHERE number = 2",
            "trial 2: the metrics (column metrics) should be a JSON",
        ),
    ],
)
def test_a_damaged_row_is_refused_before_anything_is_written(tmp_path, sql, words):
    path = tmp_path / "st.sqlite"
    tune(path, 4, seed=0)
    write(path, sql)
    before = files_of(path)
    assert before[1] == []
    with pytest.raises(StorageError) as info:
        tune(path, 8)
    message = str(info.value)
    assert f"study file '{path}', study 's', {words}" in message
    assert FIX in message and message.endswith("Nothing was written: the file was left untouched.")
    assert files_of(path) == before
    with pytest.raises(StorageError, match=re.escape(words)) as loaded:
        hpmagic.load_study("s", path)
    assert FIX in str(loaded.value)
    assert files_of(path) == before


def test_the_magic_shows_a_damaged_row_as_one_usage_error(tmp_path, ip, capsys):
    path = tmp_path / "st.sqlite"
    tune(path, 3, seed=0)
    write(path, "UPDATE trials SET duration = 'slow' WHERE number = 2")
    before = files_of(path)
    ip.run_cell(f"%%tune -q -n 5 --study s --storage {path}\n{CELL}")
    captured = capsys.readouterr()
    text = captured.out + captured.err
    assert "UsageError" in text and "trial 2: the duration should be a number" in text and "Traceback" not in text
    assert files_of(path) == before


def test_a_damaged_session_row_is_a_storage_error_on_loading(tmp_path):
    path = tmp_path / "st.sqlite"
    tune(path, 3, seed=0)
    write(path, "UPDATE sessions SET pid = 'me'")
    with pytest.raises(StorageError, match=r"study 's', session 1: the process id \(column pid\) should be a whole"):
        hpmagic.load_study("s", path)


def test_overwrite_archives_a_damaged_study_as_it_is(tmp_path):
    path = tmp_path / "st.sqlite"
    tune(path, 3, seed=0)
    write(path, "UPDATE trials SET state = 'exploded' WHERE number = 1")
    result = tune(path, 3, overwrite=True)
    assert [t.state for t in result.trials] == [TrialState.COMPLETE] * 3
    (archive,) = [n for n in hpmagic.list_studies(path).index if n != "s"]
    assert rows(
        path,
        "SELECT t.state FROM trials t JOIN studies s ON s.id = t.study_id WHERE s.name = ? ORDER BY number",
        archive,
    ) == [("complete",), ("exploded",), ("complete",)]


# -- the previous schema: read as it is, migrated in place when written ----------------------

SCHEMA_1 = """
CREATE TABLE studies (
    id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL UNIQUE, space TEXT NOT NULL, direction TEXT NOT NULL,
    metric TEXT NOT NULL, baseline INTEGER NOT NULL, seed INTEGER, budget INTEGER NOT NULL,
    strategy TEXT NOT NULL DEFAULT '', strategy_reason TEXT NOT NULL DEFAULT '', notes TEXT NOT NULL DEFAULT '[]',
    created REAL NOT NULL, updated REAL NOT NULL, version TEXT NOT NULL DEFAULT ''
);
CREATE TABLE sessions (
    id INTEGER PRIMARY KEY AUTOINCREMENT, study_id INTEGER NOT NULL REFERENCES studies(id) ON DELETE CASCADE,
    host TEXT NOT NULL, pid INTEGER NOT NULL, process TEXT NOT NULL DEFAULT '', started REAL NOT NULL, ended REAL,
    stop_reason TEXT
);
CREATE TABLE trials (
    study_id INTEGER NOT NULL REFERENCES studies(id) ON DELETE CASCADE, number INTEGER NOT NULL, session_id INTEGER,
    state TEXT NOT NULL, params TEXT NOT NULL DEFAULT '{}', value REAL, metrics TEXT NOT NULL DEFAULT '{}',
    duration REAL NOT NULL DEFAULT 0, stdout TEXT NOT NULL DEFAULT '', stderr TEXT NOT NULL DEFAULT '',
    warnings TEXT NOT NULL DEFAULT '[]', error TEXT NOT NULL DEFAULT '', started REAL NOT NULL DEFAULT 0,
    seq INTEGER NOT NULL, PRIMARY KEY (study_id, number)
);
CREATE INDEX trials_by_seq ON trials(study_id, seq);
CREATE INDEX trials_counted ON trials(study_id) WHERE state NOT IN ('interrupted', 'released');
"""


def old_file(path):
    """A study file as hpmagic 0.1 (schema 1) wrote it: study 's', one ended run, 4 complete trials."""
    space = json.dumps(parse_cell(CELL).space.to_json())
    with closing(sqlite3.connect(path)) as conn:
        conn.execute("PRAGMA journal_mode = WAL")
        conn.executescript(SCHEMA_1)
        conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
        conn.execute("PRAGMA user_version = 1")
        conn.execute(
            "INSERT INTO studies (name, space, direction, metric, baseline, seed, budget, strategy, created, "
            "updated, version) VALUES ('s', ?, 'minimize', 'objective', 1, 0, 4, 'random', 1.0e9, 1.0e9, "
            "'0.1.0')",
            (space,),
        )
        conn.execute(
            "INSERT INTO sessions (study_id, host, pid, process, started, ended, stop_reason) "
            "VALUES (1, ?, 1, 'gone', 1.0e9, 1.0e9 + 5, 'budget')",
            (HOST,),
        )
        for n, x in enumerate([0.0, 1.5, -1.0, 0.25]):
            conn.execute(
                "INSERT INTO trials (study_id, number, session_id, state, params, value, duration, started, "
                "seq) VALUES (1, ?, 1, 'complete', ?, ?, 0.01, 1.0e9 + ?, ?)",
                (n, json.dumps({"x": x, "kind": "a"}), (x - 0.5) ** 2, n, n + 1),
            )
        conn.commit()


def test_a_file_of_the_previous_schema_loads_read_only_and_unchanged(tmp_path):
    path = tmp_path / "old.sqlite"
    old_file(path)
    before = files_of(path)
    loaded = hpmagic.load_study("s", path)
    assert [(t.number, t.params["x"], t.state) for t in loaded.trials] == [
        (0, 0.0, TrialState.COMPLETE),
        (1, 1.5, TrialState.COMPLETE),
        (2, -1.0, TrialState.COMPLETE),
        (3, 0.25, TrialState.COMPLETE),
    ]
    assert loaded.best_value == 0.0625 and loaded.stop_reason == "budget"
    assert hpmagic.list_studies(path).loc["s", "complete"] == 4
    assert files_of(path) == before and rows(path, "PRAGMA user_version") == [(1,)]


def test_a_file_of_the_previous_schema_is_migrated_when_a_search_resumes_it(tmp_path):
    path = tmp_path / "old.sqlite"
    old_file(path)
    result = tune(path, 6)
    assert rows(path, "PRAGMA user_version") == [(SCHEMA_VERSION,)]  # migrated to the current schema
    assert [t.number for t in result.trials] == list(range(6)) and result.trials[1].params["x"] == 1.5
    assert code_note(result) == []  # the old run's code is not known: nothing to compare
    assert rows(path, "SELECT id, code IS NULL FROM sessions ORDER BY id") == [(1, 1), (2, 0)]
    # from now on the code is compared: 2 trials ran this code, 4 ran code nobody knows
    (note,) = code_note(tune(path, 7, cell=CHANGED))
    assert "so 2 stored trials ran other code" in note


def test_two_stores_migrating_one_old_file_do_it_once(tmp_path):
    from hpmagic.storage.sqlite import SQLiteStore

    path = tmp_path / "old.sqlite"
    old_file(path)
    space = parse_cell(CELL).space
    a, b = SQLiteStore(path, "s"), SQLiteStore(path, "s")  # both opened the file while it was schema 1
    for store in (a, b):
        store.begin(
            space=space,
            direction="minimize",
            metric="objective",
            baseline=True,
            seed=0,
            budget=8,
            strategy="random",
            code="x",
        )
    assert rows(path, "PRAGMA user_version") == [(SCHEMA_VERSION,)]
    assert [n for n, *_ in rows(path, "SELECT id, code FROM sessions ORDER BY id")] == [1, 2, 3]
    a.close()
    b.close()
