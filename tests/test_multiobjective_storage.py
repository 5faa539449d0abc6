"""Several objectives and constraints in studies (issue 23): each trial's values and constrained
quantities and the study's goal are stored (schema 4); a file of schema 3, built here with that
schema's own SQL, loads read-only as it is and is migrated when a search resumes it; PostgreSQL
the same; a study resumed with another goal is refused, saying what changed."""

from __future__ import annotations

import json
import math
import sqlite3
from contextlib import closing

import pytest

import hpmagic
from hpmagic.cell.parser import parse_cell
from hpmagic.core import Direction, TrialState
from hpmagic.errors import StorageError, StudyMismatchError
from hpmagic.objectives import Constraint, Goal, Objective
from hpmagic.storage.file import APPLICATION_ID, SCHEMA_VERSION

from . import pgserver

postgres_server, postgres_url = pgserver.postgres_server, pgserver.postgres_url  # the server's fixtures

CELL = (
    "x = 0.5  # tune: uniform(0, 1)\n"
    "y = 0.5  # tune: uniform(0, 1)\n"
    "{'accuracy': x - y, 'fit_time': (1 - x) ** 2 + y, 'latency': 10 * x}"
)
GOAL = {"objectives": {"accuracy": "max", "fit_time": "min"}, "constraints": ["latency <= 7"]}
SINGLE = "x = 0.5  # tune: uniform(0, 1)\ny = 0.5  # tune: uniform(0, 1)\n(x - 0.25) ** 2 + y"

#: Schema 3 as hpmagic wrote it before several objectives (hpmagic/storage/file.py at that version).
SCHEMA_3 = """
CREATE TABLE studies (
    id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL UNIQUE, space TEXT NOT NULL, direction TEXT NOT NULL,
    metric TEXT NOT NULL, baseline INTEGER NOT NULL, seed INTEGER, budget INTEGER NOT NULL,
    strategy TEXT NOT NULL DEFAULT '', strategy_reason TEXT NOT NULL DEFAULT '', notes TEXT NOT NULL DEFAULT '[]',
    created REAL NOT NULL, updated REAL NOT NULL, version TEXT NOT NULL DEFAULT ''
);
CREATE TABLE sessions (
    id INTEGER PRIMARY KEY AUTOINCREMENT, study_id INTEGER NOT NULL REFERENCES studies(id) ON DELETE CASCADE,
    host TEXT NOT NULL, pid INTEGER NOT NULL, process TEXT NOT NULL DEFAULT '', started REAL NOT NULL, ended REAL,
    stop_reason TEXT, code TEXT, code_hash TEXT
);
CREATE TABLE trials (
    study_id INTEGER NOT NULL REFERENCES studies(id) ON DELETE CASCADE, number INTEGER NOT NULL, session_id INTEGER,
    state TEXT NOT NULL, params TEXT NOT NULL DEFAULT '{}', value REAL, metrics TEXT NOT NULL DEFAULT '{}',
    duration REAL NOT NULL DEFAULT 0, stdout TEXT NOT NULL DEFAULT '', stderr TEXT NOT NULL DEFAULT '',
    warnings TEXT NOT NULL DEFAULT '[]', error TEXT NOT NULL DEFAULT '', started REAL NOT NULL DEFAULT 0,
    seq INTEGER NOT NULL, curve TEXT NOT NULL DEFAULT '[]', pruning TEXT NOT NULL DEFAULT '{}',
    PRIMARY KEY (study_id, number)
);
CREATE INDEX trials_by_seq ON trials(study_id, seq);
CREATE INDEX trials_counted ON trials(study_id) WHERE state NOT IN ('interrupted', 'released');
"""
POINTS = [(0.5, 0.5), (0.25, 0.0), (0.9, 0.1), (0.3, 0.6)]


def schema_3_file(path):
    """A study file as the previous hpmagic wrote it: study 's' of SINGLE, one ended run, 4 complete trials."""
    space = json.dumps(parse_cell(SINGLE).space.to_json())
    with closing(sqlite3.connect(path)) as conn:
        conn.executescript(SCHEMA_3)
        conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
        conn.execute("PRAGMA user_version = 3")
        conn.execute(
            "INSERT INTO studies (name, space, direction, metric, baseline, seed, budget, strategy, created, "
            "updated, version) VALUES ('s', ?, 'minimize', 'objective', 1, 0, 4, 'random', 1.0e9, 1.0e9, "
            "'0.3.0')",
            (space,),
        )
        conn.execute(
            "INSERT INTO sessions (study_id, host, pid, process, started, ended, stop_reason) "
            "VALUES (1, 'elsewhere', 1, 'gone', 1.0e9, 1.0e9 + 5, 'budget')"
        )
        for n, (x, y) in enumerate(POINTS):
            conn.execute(
                "INSERT INTO trials (study_id, number, session_id, state, params, value, duration, started, "
                "seq) VALUES (1, ?, 1, 'complete', ?, ?, 0.01, 1.0e9 + ?, ?)",
                (n, json.dumps({"x": x, "y": y}), (x - 0.25) ** 2 + y, n, n + 1),
            )
        conn.commit()


def rows(path, sql):
    with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as conn:
        return conn.execute(sql).fetchall()


def test_each_trial_stores_its_values_and_constraints_and_the_study_its_goal(tmp_path):
    path = tmp_path / "st.sqlite"
    ran = hpmagic.tune(CELL, {}, trials=6, seed=0, quiet=True, study="s", storage=str(path), **GOAL)
    assert rows(path, "PRAGMA user_version") == [(SCHEMA_VERSION,)] == [(4,)]
    (goal,) = rows(path, "SELECT goal FROM studies")
    assert json.loads(goal[0]) == {
        "objectives": [{"name": "accuracy", "direction": "maximize"}, {"name": "fit_time", "direction": "minimize"}],
        "constraints": [{"name": "latency", "op": "<=", "bound": 7.0}],
    }
    stored = rows(path, "SELECT number, objective_values, constraint_values FROM trials ORDER BY number")
    assert [(n, json.loads(v), json.loads(c)) for n, v, c in stored] == [
        (t.number, list(t.values), list(t.constraints)) for t in ran.trials
    ]
    loaded = hpmagic.load_study("s", path)
    assert loaded.goal == Goal(
        (Objective("accuracy", Direction.MAXIMIZE), Objective("fit_time")), (Constraint("latency", "<=", 7.0),)
    )
    assert [t.values for t in loaded.trials] == [t.values for t in ran.trials]
    assert [t.number for t in loaded.front] == [t.number for t in ran.front]
    assert loaded.best_trial.number == ran.best_trial.number
    # a single-objective study stores no goal: '' means one objective, as every older study
    hpmagic.tune(SINGLE, {}, trials=3, seed=0, quiet=True, study="one", storage=str(path))
    assert rows(path, "SELECT name, goal FROM studies ORDER BY id") == [("s", goal[0]), ("one", "")]
    assert rows(path, "SELECT DISTINCT objective_values, constraint_values FROM trials WHERE study_id = 2") == [
        ("[]", "[]")
    ]


def test_a_constrained_quantity_that_could_not_be_read_is_stored_as_null_and_read_back_as_nan(tmp_path):
    path = tmp_path / "st.sqlite"
    cell = "x = 0.5  # tune: uniform(0, 1)\nout = {'loss': x}\nif x < 0.5:\n    out['latency'] = x\nout"
    ran = hpmagic.tune(
        cell,
        {},
        trials=6,
        seed=1,
        quiet=True,
        study="s",
        storage=str(path),
        metric="loss",
        constraints="latency <= 0.4",
        strategy="random",
    )
    missing = [t.number for t in ran.trials if math.isnan(t.constraints[0])]
    assert missing
    assert {n: c for n, c in rows(path, "SELECT number, constraint_values FROM trials")}[missing[0]] == "[null]"
    loaded = hpmagic.load_study("s", path)
    assert all(math.isnan(loaded.trials[n].constraints[0]) for n in missing)
    assert [t.number for t in loaded.feasible] == [t.number for t in ran.feasible]


def test_a_schema_3_file_loads_read_only_and_unchanged(tmp_path):
    path = tmp_path / "old.sqlite"
    schema_3_file(path)
    before = path.read_bytes()
    loaded = hpmagic.load_study("s", path)
    assert [t.params["x"] for t in loaded.trials] == [p[0] for p in POINTS]
    assert loaded.goal is None and all(t.values == () and t.constraints == () for t in loaded.trials)
    assert loaded.best_value == pytest.approx(0.0) and loaded.best_trial.number == 1
    assert path.read_bytes() == before and rows(path, "PRAGMA user_version") == [(3,)]


def test_a_schema_3_file_is_migrated_when_a_search_resumes_it(tmp_path):
    path = tmp_path / "old.sqlite"
    schema_3_file(path)
    result = hpmagic.tune(SINGLE, {}, trials=7, quiet=True, study="s", storage=str(path), strategy="random")
    assert rows(path, "PRAGMA user_version") == [(4,)]
    assert [t.number for t in result.trials] == list(range(7))
    assert [t.state for t in result.trials] == [TrialState.COMPLETE] * 7
    assert result.trials[2].params == {"x": 0.9, "y": 0.1}  # the old trials, kept
    assert rows(path, "SELECT goal FROM studies") == [("",)]
    # and the migrated study refuses another goal, as a changed space is refused
    with pytest.raises(StudyMismatchError) as info:
        hpmagic.tune(SINGLE, {}, trials=9, quiet=True, study="s", storage=str(path), constraints="x <= 0.5")
    assert (
        "  - it optimised: minimize objective; the cell now asks to minimize value; subject to x <= 0.5 "
        "(--maximize/--minimize NAME, --constraint)" in str(info.value)
    )


@pytest.mark.parametrize(
    ("change", "words"),
    [
        (
            {"objectives": {"accuracy": "max", "fit_time": "max"}, "constraints": ["latency <= 7"]},
            "it optimised: maximize accuracy, minimize fit_time; subject to latency <= 7; the cell now asks to "
            "maximize accuracy, maximize fit_time; subject to latency <= 7",
        ),
        (
            {"objectives": {"accuracy": "max", "fit_time": "min"}},
            "the cell now asks to maximize accuracy, minimize fit_time (--maximize",
        ),
        (
            {"objectives": {"accuracy": "max", "fit_time": "min"}, "constraints": "latency <= 8"},
            "the cell now asks to maximize accuracy, minimize fit_time; subject to latency <= 8",
        ),
        ({"maximize": True, "metric": "accuracy"}, "the cell now asks to maximize accuracy (--maximize"),
    ],
)
def test_resuming_with_another_goal_is_refused_saying_what_changed(tmp_path, change, words):
    path = tmp_path / "st.sqlite"
    hpmagic.tune(CELL, {}, trials=4, seed=0, quiet=True, study="s", storage=str(path), **GOAL)
    before = rows(path, "SELECT number, state FROM trials")
    with pytest.raises(StudyMismatchError, match="was run with a different cell") as info:
        hpmagic.tune(CELL, {}, trials=8, quiet=True, study="s", storage=str(path), **change)
    assert words in str(info.value)
    assert rows(path, "SELECT number, state FROM trials") == before
    again = hpmagic.tune(CELL, {}, trials=6, quiet=True, study="s", storage=str(path), **GOAL)  # the same goal: resumes
    assert len(again.trials) == 6 and all(len(t.values) == 2 for t in again.completed)


def test_a_damaged_goal_is_a_storage_error_naming_the_column(tmp_path):
    path = tmp_path / "st.sqlite"
    hpmagic.tune(CELL, {}, trials=3, seed=0, quiet=True, study="s", storage=str(path), **GOAL)
    with closing(sqlite3.connect(path)) as conn:
        conn.execute("""UPDATE studies SET goal = '{"objectives": [{"name": "a", "direction": "up"}]}'""")
        conn.execute("UPDATE trials SET objective_values = '[\"high\"]' WHERE number = 1")
        conn.commit()
    with pytest.raises(StorageError, match=r"the objectives and constraints \(column goal\) cannot be read"):
        hpmagic.load_study("s", path)
    with closing(sqlite3.connect(path)) as conn:
        conn.execute("UPDATE studies SET goal = ''")
        conn.commit()
    with pytest.raises(
        StorageError,
        match=r"trial 1: the objectives' values \(column objective_values\) should "
        r"be a number",
    ):
        hpmagic.load_study("s", path)


def test_postgresql_stores_the_goal_and_migrates_schema_3_tables(postgres_url):
    import psycopg

    ran = hpmagic.tune(CELL, {}, trials=5, seed=0, quiet=True, study="mo", storage=postgres_url, **GOAL)
    loaded = hpmagic.load_study("mo", postgres_url)
    assert loaded.goal == ran.goal and [t.values for t in loaded.trials] == [t.values for t in ran.trials]
    assert [t.constraints for t in loaded.trials] == [t.constraints for t in ran.trials]
    hpmagic.tune(SINGLE, {}, trials=3, seed=0, quiet=True, study="one", storage=postgres_url)
    # the tables as schema 3 made them: without the goal and the values
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute("DELETE FROM studies WHERE name = 'mo'")
        conn.execute("ALTER TABLE studies DROP COLUMN goal")
        conn.execute("ALTER TABLE trials DROP COLUMN objective_values")
        conn.execute("ALTER TABLE trials DROP COLUMN constraint_values")
        conn.execute("UPDATE hpmagic_meta SET value = '3' WHERE key = 'schema'")
    old = hpmagic.load_study("one", postgres_url)  # read as it is
    assert len(old.trials) == 3 and old.goal is None
    resumed = hpmagic.tune(SINGLE, {}, trials=5, quiet=True, study="one", storage=postgres_url)
    assert [t.number for t in resumed.trials] == list(range(5))
    with psycopg.connect(postgres_url) as conn:
        assert conn.execute("SELECT value FROM hpmagic_meta WHERE key = 'schema'").fetchone() == ("4",)
        assert conn.execute("SELECT DISTINCT goal FROM studies").fetchall() == [("",)]
    with pytest.raises(StudyMismatchError, match="it optimised: minimize objective; the cell now asks to maximize"):
        hpmagic.tune(
            SINGLE, {}, trials=6, quiet=True, study="one", storage=postgres_url, maximize=True, constraints="y <= 0.5"
        )
