"""Study files that cannot be used as they are (issue 21): a path that is no regular file, an
empty or foreign file given to ``load_study``, a file whose schema version disagrees with its
columns, and a disk that fills up while a study runs."""

from __future__ import annotations

import hashlib
import os
import re
import sqlite3
from contextlib import closing

import pytest

import hpmagic
from hpmagic import StorageError, TrialState

from .test_studies_trust import old_file

CELL = """
x = 0.0    # tune: uniform(-2, 2)
kind = "a" # tune: ["a", "b"]
(x - 0.5) ** 2 + (kind == "b")
"""


def tune(path, trials, cell=CELL, **options):
    options.setdefault("quiet", True)
    options.setdefault("strategy", "random")
    return hpmagic.tune(cell, options.pop("ns", {}), trials=trials, study="s", storage=str(path), **options)


def files_of(path):
    """The study file's bytes and its side files: what 'untouched' means."""
    side = sorted(p.name for p in path.parent.iterdir() if p.name.startswith(path.name) and p != path)
    return hashlib.sha256(path.read_bytes()).hexdigest(), side


def rows(path, sql, *args):
    with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30)) as conn:
        return conn.execute(sql, args).fetchall()


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


@pytest.mark.parametrize(("make", "words"), [
    (lambda tmp: "/dev/null", "study file '/dev/null' is a character device, not a study file: "
                              "studies are kept in an SQLite file on disk; "),
    (_fifo, "is a named pipe (FIFO), not a study file: studies are kept in an SQLite file on disk; "),
    (_directory, "is a directory (it holds 'runs.sqlite'), not a study file; "),
], ids=["dev-null", "fifo", "directory"])
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
            f"created), e.g. '{tmp_path / 'runs.sqlite'}'")
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
    set_version(path, 2)  # schema 3's columns are there: migration 2 -> 3 would add them again
    before = files_of(path)
    expected = (
        f"study file '{path}': its schema version says 2 but it already has the columns of version 3: the file "
        "was changed by hand or by another program (hpmagic sets the version in the same transaction as the "
        "columns). If only the version number was changed, set it back (in Python: `import sqlite3; "
        f"sqlite3.connect('{path}').execute('PRAGMA user_version = 3')`); otherwise restore the file from a copy. "
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
    with pytest.raises(StorageError, match=r"its schema version says 3 but it has only the columns of version 1: "
                                           r"the file was changed by hand .*PRAGMA user_version = 1"):
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
        f"study file '{path}': it has columns of study schema 3 but lacks trials.pruning, so it matches no version of "
        "the format: the file was changed by hand or by another program; restore it from a copy, or pass another "
        "--storage path. The file was left untouched."
    )
