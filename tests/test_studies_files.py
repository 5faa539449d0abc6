"""Study files that cannot be used as they are (issue 21): a path that is no regular file, an
empty or foreign file given to ``load_study``, a file whose schema version disagrees with its
columns, and a disk that fills up while a study runs."""

from __future__ import annotations

import contextlib
import os
import re
import sqlite3
import subprocess
from contextlib import closing

import pytest

import hpmagic
from hpmagic import SearchError, StorageError, TrialState
from hpmagic._format import fmt_value
from hpmagic.errors import StudyWriteError
from hpmagic.storage import queries

from .shared import SharedList
from .test_studies_trust import files_of, old_file, rows

CELL = """
x = 0.0    # tune: uniform(-2, 2)
kind = "a" # tune: ["a", "b"]
(x - 0.5) ** 2 + (kind == "b")
"""


def tune(path, trials, cell=CELL, **options):
    options.setdefault("quiet", True)
    options.setdefault("strategy", "random")
    return hpmagic.tune(cell, options.pop("ns", {}), trials=trials, study="s", storage=str(path), **options)


def set_version(path, version):
    with closing(sqlite3.connect(path)) as conn:
        conn.execute(f"PRAGMA user_version = {version}")


# -- paths that are no study file -------------------------------------------------------------

READ_FIX = "pass storage= the path of the SQLite file that --storage named when the study ran"
WRITE_FIX = "pass --storage the path of a study file, or a new path (the file is created)"


def _fifo(tmp_path):
    path = tmp_path / "pipe"
    os.mkfifo(path)  # opening it would block until a writer came: it must never be opened
    return path


def _directory(tmp_path):
    (tmp_path / "runs.sqlite").write_bytes(b"")
    return tmp_path


@pytest.mark.parametrize(
    ("make", "words"),
    [
        (
            lambda tmp: "/dev/null",
            "study file '/dev/null' is a character device, not a study file: "
            "studies are kept in an SQLite file on disk; ",
        ),
        (_fifo, "is a named pipe (FIFO), not a study file: studies are kept in an SQLite file on disk; "),
        (_directory, "is a directory (it holds 'runs.sqlite'), not a study file; "),
    ],
    ids=["dev-null", "fifo", "directory"],
)
def test_a_path_that_is_no_regular_file_is_refused_saying_what_it_is(tmp_path, make, words):
    path = str(make(tmp_path))
    with pytest.raises(StorageError) as loading:
        hpmagic.load_study("s", path)
    assert words in str(loading.value) and READ_FIX in str(loading.value)
    assert "there is no study file" not in str(loading.value)
    with pytest.raises(StorageError) as listing:
        hpmagic.list_studies(path)
    assert str(listing.value) == str(loading.value)
    with pytest.raises(StorageError) as searching:
        tune(path, 2)
    if "directory" in words:  # a search is told to name a file in it, which it may create
        assert str(searching.value).endswith(
            "not a study file; pass --storage the path of a file (an existing study file, or a new one: it is "
            f"created), e.g. '{tmp_path / 'runs.sqlite'}'"
        )
    else:
        assert words in str(searching.value) and str(searching.value).endswith(WRITE_FIX)


def test_an_empty_file_loads_as_empty_and_a_search_makes_it_a_study_file(tmp_path):
    path = tmp_path / "new.sqlite"
    path.write_bytes(b"")
    with pytest.raises(StorageError) as info:
        hpmagic.load_study("s", path)
    assert str(info.value) == f"study file '{path}' is empty (0 bytes): no study was ever written to it; {READ_FIX}"
    assert path.read_bytes() == b""
    assert len(tune(path, 2, seed=0).trials) == 2
    assert len(hpmagic.load_study("s", path).trials) == 2


def test_load_study_of_a_file_that_is_not_sqlite_says_what_to_pass(tmp_path):
    path = tmp_path / "data.csv"
    path.write_text("a,b\n1,2\n" * 50)
    with pytest.raises(StorageError) as info:
        hpmagic.load_study("s", path)
    assert str(info.value) == (
        f"study file '{path}' is not an SQLite database (its first bytes are b'a,b\\n1,2\\na,b\\n1,2\\n'); hpmagic keeps "
        f"studies in SQLite files, so {READ_FIX}. The file was left untouched."
    )


# -- a schema version that disagrees with the columns -----------------------------------------


def test_a_lowered_schema_version_is_refused_before_a_migration_runs_again(tmp_path):
    path = tmp_path / "st.sqlite"
    tune(path, 3, seed=0)
    set_version(path, 2)  # schema 3's and 4's columns are there: migration 2 -> 3 would add them again
    before = files_of(path)
    expected = (
        f"study file '{path}': its schema version says 2 but it already has the columns of version 4: the file "
        "was changed by hand or by another program (hpmagic sets the version in the same transaction as the "
        "columns). If only the version number was changed, set it back (in Python: `import sqlite3; "
        f"sqlite3.connect('{path}').execute('PRAGMA user_version = 4')`); otherwise restore the file from a copy. "
        "The file was left untouched."
    )
    for attempt in (lambda: tune(path, 5), lambda: hpmagic.load_study("s", path), lambda: hpmagic.list_studies(path)):
        with pytest.raises(StorageError) as info:
            attempt()
        assert str(info.value) == expected
        assert "duplicate column" not in str(info.value)
    assert files_of(path) == before
    # the fix the message gives, as given
    snippet = re.search(r"`(import sqlite3; .*?)`", expected).group(1)
    exec(snippet, {})
    assert len(tune(path, 5).trials) == 5


def test_a_raised_schema_version_is_refused_naming_the_columns_it_lacks(tmp_path):
    path = tmp_path / "old.sqlite"
    old_file(path)  # schema 1
    set_version(path, 3)
    with pytest.raises(
        StorageError,
        match=r"its schema version says 3 but it has only the columns of version 1: "
        r"the file was changed by hand .*PRAGMA user_version = 1",
    ):
        hpmagic.load_study("s", path)
    set_version(path, 1)
    assert [t.state for t in tune(path, 5).trials] == [TrialState.COMPLETE] * 5  # migrated as usual


def test_columns_of_no_version_are_a_damaged_file(tmp_path):
    path = tmp_path / "st.sqlite"
    tune(path, 2, seed=0)
    with closing(sqlite3.connect(path)) as conn:
        conn.execute("ALTER TABLE trials DROP COLUMN pruning")
    with pytest.raises(StorageError) as info:
        hpmagic.load_study("s", path)
    assert str(info.value) == (
        f"study file '{path}': it has columns of study schema 4 but lacks trials.pruning, so it matches no version of "
        "the format: the file was changed by hand or by another program; restore it from a copy, or pass another "
        "--storage path. The file was left untouched."
    )


# -- a disk that fills up while a study runs --------------------------------------------------

#: Each trial adds a few pages to the study file (its captured output).
NOISY = "x = 0.0  # tune: uniform(0, 1)\nprint('y' * 3000)\nx\n"
FIX = (
    "Fix: free space on that disk and run the cell again: the study resumes from the trials saved, and the "
    "interrupted ones run again; or move the file to a disk with space and pass --storage its new path."
)


@pytest.fixture
def page_limit(monkeypatch):
    """``page_limit["extra"] = k``: a search may grow its study file by ``k`` pages from when it
    opens it; then SQLite answers SQLITE_FULL ("database or disk is full"), as on a full disk."""
    limit: dict[str, int] = {}
    original = queries.open_for_writing

    def opening(conn, path, create, timeout=60.0):
        original(conn, path, create, timeout)
        if "extra" in limit:
            pages = conn.execute("PRAGMA page_count").fetchone()[0]
            conn.execute(f"PRAGMA max_page_count = {pages + limit['extra']}")

    monkeypatch.setattr(queries, "open_for_writing", opening)
    return limit


def _head(path):
    return (
        f"the disk (or file system) holding study file '{path}' is full (SQLite: database or disk is full), "
        "so the search stopped: "
    )


def test_a_full_disk_ends_the_search_with_one_storage_error_and_loses_no_finished_trial(tmp_path, page_limit):
    path = tmp_path / "st.sqlite"
    page_limit["extra"] = 6
    ns = {}
    with pytest.raises(StorageError) as info:
        hpmagic.tune(
            NOISY, ns, trials=30, study="s", storage=str(path), quiet=True, seed=0, strategy="random", out="res"
        )
    error = info.value
    assert isinstance(error, StudyWriteError) and isinstance(error, SearchError)
    result = error.result
    *done, last = result.trials
    assert len(done) >= 2 and all(t.state is TrialState.COMPLETE for t in done)
    value = fmt_value(last.params["x"])  # the objective is x
    assert str(error) == (
        f"{_head(path)}trial {last.number} ended (complete, {value}) but could not be saved. The {len(done)} trials "
        f"finished before are safe in the file; trial {last.number} was marked interrupted there. {FIX}"
    )
    assert last.state is TrialState.INTERRUPTED and last.error == (
        f"it ended (complete, {value}) but could not be saved: the disk holding the study file is full; it runs "
        "again when the study resumes"
    )
    # the finished trials are bound and kept, as after any search error
    assert ns["res"] is result and ns["x"] == result.best_params["x"]
    # the file holds every finished trial, nothing is left running, and the run's end is recorded
    assert rows(path, "SELECT number, state FROM trials ORDER BY number") == [
        (t.number, t.state.value) for t in result.trials
    ]
    assert rows(path, "SELECT error FROM trials WHERE number = ?", last.number) == [(last.error,)]
    assert rows(path, "SELECT stop_reason, ended IS NOT NULL FROM sessions") == [("error", 1)]
    # with space again, the study resumes: the interrupted trial's place in the budget runs again
    page_limit.clear()
    resumed = tune(path, len(done) + 2, cell=NOISY)
    assert [t.state for t in resumed.trials] == (
        [TrialState.COMPLETE] * len(done) + [TrialState.INTERRUPTED] + [TrialState.COMPLETE] * 2
    )


def test_a_full_disk_with_jobs_marks_every_trial_left_running(tmp_path, page_limit):
    path = tmp_path / "st.sqlite"
    page_limit["extra"] = 8
    cell = "import time\n" + NOISY.replace("x\n", "time.sleep(0.05)\nx\n")
    with pytest.raises(StudyWriteError) as info:
        hpmagic.tune(cell, {}, trials=40, study="s", storage=str(path), quiet=True, seed=0, strategy="random", jobs=2)
    result = info.value.result
    left = [t.number for t in result.trials if t.state is TrialState.INTERRUPTED]
    finished = [t for t in result.trials if t.state is TrialState.COMPLETE]
    assert left and not [t for t in result.trials if t.state is TrialState.RUNNING]
    marked = f"trial {left[0]} was" if len(left) == 1 else f"trials {left[0]} and {left[1]} were"
    assert (
        f"The {len(finished)} trials finished before are safe in the file; {marked} marked interrupted there. "
        in str(info.value)
    )
    assert rows(path, "SELECT count(*) FROM trials WHERE state = 'running'") == [(0,)]
    assert rows(path, "SELECT number FROM trials WHERE state = 'complete' ORDER BY number") == [
        (t.number,) for t in finished
    ]


def test_the_magic_shows_a_full_disk_as_one_usage_error_and_binds_the_finished_trials(tmp_path, ip, capsys, page_limit):
    path = tmp_path / "st.sqlite"
    page_limit["extra"] = 6
    outcome = ip.run_cell(f"%%tune -q -s random --seed 0 -n 30 --study s --storage {path} -o res\n{NOISY}")
    said = capsys.readouterr()
    text = said.out + said.err
    assert not outcome.success
    assert f"UsageError: {_head(path)}trial " in text and FIX in text
    assert "Traceback" not in text and text.count("UsageError") == 1 and text.count(FIX) == 1
    result = ip.user_ns["res"]
    assert result.stop_reason == "error" and len(result.completed) >= 2
    assert ip.user_ns["x"] == result.best_params["x"]


@contextlib.contextmanager
def small_disk(where, size="1m"):
    """A real file system of ``size`` mounted at ``where`` (tmpfs; the test skips when it cannot mount)."""
    where.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)], capture_output=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here: {mounted.stderr.decode().strip()}")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], check=False)


def _fill(disk, leave):
    """Fill ``disk`` up to ``leave`` bytes with a file, returned (delete it to free the space)."""
    filler = disk / "filler"
    room = os.statvfs(disk).f_bavail * os.statvfs(disk).f_frsize
    filler.write_bytes(b"\0" * max(room - leave, 0))
    return filler


#: The third trial fills the disk to the last byte before it ends, as another program might.
FILLS_THE_DISK = """
import os
x = 0.0  # tune: uniform(0, 1)
print('y' * 3000)
ran.append(x)
if len(ran) == 3:
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT)
    try:
        while os.write(fd, bytes(1 << 16)):
            pass
    except OSError:
        pass
    os.close(fd)
x
"""


def test_a_really_full_disk_leaves_the_marking_to_the_next_run_and_says_so(tmp_path):
    with small_disk(tmp_path / "disk") as disk:
        path, filler = disk / "st.sqlite", disk / "filler"
        with pytest.raises(StudyWriteError) as info:
            hpmagic.tune(
                FILLS_THE_DISK,
                {"ran": SharedList(), "filler": str(filler)},
                trials=10,
                study="s",
                storage=str(path),
                quiet=True,
                seed=0,
                strategy="random",
            )
        result = info.value.result
        assert [(t.number, t.state) for t in result.trials] == [
            (0, TrialState.COMPLETE),
            (1, TrialState.COMPLETE),
            (2, TrialState.INTERRUPTED),
        ]
        value = fmt_value(result.trials[2].params["x"])
        assert str(info.value) == (
            f"{_head(path)}trial 2 ended (complete, {value}) but could not be saved. The 2 trials finished before are "
            "safe in the file; trial 2 could not be marked interrupted either (nothing more can be written): the next "
            f"run of the study marks it, and load_study shows it interrupted meanwhile. {FIX}"
        )
        assert rows(path, "SELECT number, state FROM trials ORDER BY number") == [
            (0, "complete"),
            (1, "complete"),
            (2, "running"),
        ]  # the file could not say more
        # this very kernel lives on, yet load_study knows that search is over
        loaded = hpmagic.load_study("s", path)
        assert [t.state for t in loaded.trials] == [TrialState.COMPLETE] * 2 + [TrialState.INTERRUPTED]
        assert loaded.trials[2].error == (
            "its search ended while the study file could not be written (a full disk?), so it was left running; "
            "marked interrupted on loading"
        )
        filler.unlink()  # space again: the next run marks the trial, then resumes
        resumed = tune(path, 4, cell=NOISY)
        assert [t.state for t in resumed.trials] == [TrialState.COMPLETE] * 2 + [TrialState.INTERRUPTED] + [
            TrialState.COMPLETE
        ] * 2
        assert rows(path, "SELECT state, error FROM trials WHERE number = 2") == [
            (
                "interrupted",
                "its search ended while the study file could not be written (a full disk?), so it was "
                "left running; marked interrupted when the study resumed",
            )
        ]
        assert rows(path, "SELECT id, stop_reason FROM sessions ORDER BY id") == [(1, "error"), (2, "budget")]


def test_a_disk_too_full_to_start_a_study_is_refused_before_anything_runs(tmp_path):
    with small_disk(tmp_path / "disk") as disk:
        _fill(disk, 0)
        path = disk / "st.sqlite"
        with pytest.raises(StorageError) as info:
            tune(path, 3)
        assert str(info.value) == (
            f"the disk (or file system) holding study file '{path}' is full (SQLite: database or disk is full), so "
            "the study could not be opened for writing; nothing was written. Fix: free space on that disk and run "
            "the cell again, or pass --storage a path on a disk with space."
        )


def test_resuming_a_study_on_a_disk_that_filled_up_since_says_the_disk_is_full(tmp_path):
    """Opening a WAL file needs room for its index: SQLite reports an I/O error there, not SQLITE_FULL."""
    with small_disk(tmp_path / "disk") as disk:
        path = disk / "st.sqlite"
        tune(path, 3, seed=0)
        filler = _fill(disk, 0)
        with pytest.raises(StorageError) as info:
            tune(path, 6)
        assert str(info.value) == (
            f"the disk (or file system) holding study file '{path}' is full (SQLite: disk I/O error), so the study "
            "could not be opened for writing; nothing was written. Fix: free space on that disk and run the cell "
            "again, or pass --storage a path on a disk with space."
        )
        with pytest.raises(StorageError) as info:  # never "damaged": it is the disk
            hpmagic.load_study("s", path)
        assert str(info.value) == (
            f"the disk (or file system) holding study file '{path}' is full (SQLite: disk I/O error), so the file "
            "cannot be read (SQLite needs a little room to read a file in WAL mode); nothing was changed. Fix: free "
            "space on that disk and try again."
        )
        filler.unlink()
        assert [t.state for t in hpmagic.load_study("s", path).trials] == [TrialState.COMPLETE] * 3
        assert len(tune(path, 6).completed) == 6
