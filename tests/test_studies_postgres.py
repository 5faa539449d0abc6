"""Studies in PostgreSQL, against a real server the tests start (tests/pgserver.py): the public
API on a URL, every refusal of a database that cannot be used, two processes running one
study to its budget, and a killed process's running trial marked interrupted by the
heartbeat rule.  The lifecycle itself is test_storage_contract.py's (its postgresql entries)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap

import pytest

import hpmagic
from hpmagic.cell.parser import parse_cell
from hpmagic.errors import StorageError
from hpmagic.result import Trial, TrialState
from hpmagic.storage import heartbeat, open_storage
from hpmagic.storage.records import CRASHED

from . import pgserver
from .conftest import wait_for
from .pgserver import PASSWORD

postgres_server, postgres_url = pgserver.postgres_server, pgserver.postgres_url  # the server's fixtures

CELL = "x = 0.5  # tune: uniform(0, 1)\n(x - 0.25) ** 2\n"
SPACE = parse_cell(CELL).space


def _rows(url, sql, *args):
    import psycopg

    with psycopg.connect(url) as conn:
        return conn.execute(sql, args).fetchall()


def _running(url):
    import psycopg

    try:
        return _rows(url, "SELECT number FROM trials WHERE state = 'running'")
    except psycopg.errors.UndefinedTable:  # the tables are being created
        return []


def _begin(url, name="svm", **kwargs):
    store = open_storage(url, name)
    store.begin(
        space=SPACE,
        direction="minimize",
        metric="objective",
        baseline=True,
        seed=0,
        budget=10,
        strategy="random",
        **kwargs,
    )
    return store


# -- the public API on a URL ------------------------------------------------------------------


def test_tune_load_study_and_list_studies_work_on_a_url(postgres_url):
    first = hpmagic.tune(CELL, {}, trials=4, strategy="random", seed=0, study="svm", storage=postgres_url, quiet=True)
    again = hpmagic.tune(CELL, {}, trials=6, strategy="random", seed=0, study="svm", storage=postgres_url, quiet=True)
    assert [t.number for t in again.trials] == list(range(6)), "the second run resumed the first's 4 trials"
    loaded = hpmagic.load_study("svm", storage=postgres_url)
    assert [t.value for t in loaded.trials][:4] == [t.value for t in first.trials]
    assert loaded.best_value == min(t.value for t in again.trials)
    table = hpmagic.list_studies(storage=postgres_url)
    assert list(table.index) == ["svm"] and table.loc["svm", "trials"] == 6
    assert table.loc["svm", "best"] == loaded.best_value


def test_the_magic_runs_and_resumes_a_study_on_a_url(ip, postgres_url, capsys):
    from .conftest import run_tune

    first = run_tune(ip, f"-q -n 3 -s random --seed 0 --study m --storage {postgres_url} -o res", CELL)
    assert first.success, first.error_in_exec
    second = run_tune(ip, f"-n 5 -s random --seed 0 --study m --storage {postgres_url} -o res", CELL)
    assert second.success, second.error_in_exec
    assert [t.number for t in ip.user_ns["res"].trials] == list(range(5))
    shown = capsys.readouterr().out
    assert "study 'm' in 'postgresql://hp:***@" in shown and PASSWORD not in shown
    wrong = run_tune(ip, f"-q -n 3 --study m --storage {postgres_url.replace(PASSWORD, 'nope')}", CELL)
    assert not wrong.success and "refused user 'hp': wrong password" in str(wrong.error_in_exec)


@pytest.mark.parametrize("scheme", ["postgres", "postgresql+psycopg", "PostgreSQL"])
def test_every_spelling_of_the_scheme_opens_the_same_database(postgres_url, scheme):
    _begin(postgres_url).close()
    reader = open_storage(scheme + postgres_url[len("postgresql") :], None, readonly=True)
    try:
        assert reader.study_names() == ["svm"]
        assert PASSWORD not in reader.location and "***" in reader.location
    finally:
        reader.close()


def test_a_running_session_beats_and_its_trial_reads_running(postgres_url, monkeypatch):
    monkeypatch.setattr(heartbeat, "HEARTBEAT_SECONDS", 0.05)  # read when a store opens
    store = _begin(postgres_url)
    try:
        store.put(Trial(number=store.reserve(), params={"x": 0.5}, started=1.0))
        (beat,) = _rows(postgres_url, "SELECT heartbeat FROM sessions")[0]
        wait_for(lambda: _rows(postgres_url, "SELECT heartbeat FROM sessions")[0][0] > beat, 30, "a new heartbeat")
        reader = open_storage(postgres_url, "svm", readonly=True)
        try:
            stored = reader.read_study()
            assert stored is not None and stored.running and stored.trials[0].state is TrialState.RUNNING
        finally:
            reader.close()
    finally:
        store.close()
    assert _rows(postgres_url, "SELECT state, error FROM trials") == [
        ("interrupted", "the search ended before this trial finished")
    ]


def test_a_nul_in_a_trials_output_is_stored_as_a_replacement_character(postgres_url):
    store = _begin(postgres_url)
    try:
        n = store.reserve()
        store.put(Trial(number=n, params={"x": 0.5}, state=TrialState.COMPLETE, value=0.1, stdout="a\x00b"))
    finally:
        store.close()
    assert _rows(postgres_url, "SELECT stdout FROM trials") == [("a\ufffdb",)]


def test_a_connection_lost_during_a_search_is_a_storage_error(postgres_server, postgres_url):
    store = _begin(postgres_url)
    try:
        store.reserve()
        dbname = postgres_url.rsplit("/", 1)[1]
        postgres_server.admin(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{dbname}'")
        with pytest.raises(StorageError) as info:
            store.reserve()
    finally:
        store.close()
    assert str(info.value).startswith(f"PostgreSQL database 'postgresql://hp:***@127.0.0.1:{postgres_server.port}/")
    assert "the connection to the server failed (" in str(info.value)
    assert "the trials recorded before are safe in the database" in str(info.value)
    assert PASSWORD not in str(info.value) and info.value.__cause__ is None


# -- what cannot be used, said clearly ---------------------------------------------------------


def _refusal(url, name="svm", readonly=False):
    with pytest.raises(StorageError) as info:
        open_storage(url, name, readonly=readonly)
    text = str(info.value)
    assert "Traceback" not in text and info.value.__cause__ is None
    return text


def test_a_server_that_cannot_be_reached_is_named_with_what_to_check(postgres_server):
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # nothing listens there: bound, never listening
        text = _refusal(f"postgresql://hp:{PASSWORD}@127.0.0.1:{port}/db")
    assert text.startswith(f"cannot reach the PostgreSQL server at 127.0.0.1:{port} (")
    assert "check that the server is running, that host and port in --storage are right" in text
    assert PASSWORD not in text


def test_a_wrong_password_is_said_and_never_shown(postgres_server):
    text = _refusal(postgres_server.url("postgres", password="Wr0ng-Secret"))
    assert text.startswith(
        f"the PostgreSQL server at 127.0.0.1:{postgres_server.port} refused user 'hp': wrong password (or none given)"
    )
    assert "Wr0ng-Secret" not in text


def test_no_such_role_is_said_and_the_password_never_shown(postgres_server):
    # Password authentication hides whether a role exists (it says "password authentication failed"):
    # so does hpmagic; with trust authentication (the server's local socket) the role's absence is said.
    text = _refusal(postgres_server.url("postgres", user="nobody", password="N0body-Secret"))
    assert "refused user 'nobody'" in text and "N0body-Secret" not in text
    socket_url = f"postgresql://nobody@/postgres?host={postgres_server.socket_dir}&port={postgres_server.port}"
    text = _refusal(socket_url)
    assert "has no role (user) 'nobody'; name an existing user in --storage, or create it (createuser" in text


def test_no_such_database_is_said_with_how_to_create_it(postgres_server):
    text = _refusal(postgres_server.url("no_such_db"))
    assert text == (
        f"the PostgreSQL server at 127.0.0.1:{postgres_server.port} has no database 'no_such_db'; "
        f"create it (createdb -h 127.0.0.1 -p {postgres_server.port} -U hp no_such_db) or name an "
        "existing one in --storage"
    )


def test_a_database_of_another_program_is_refused_and_left_as_it_was(postgres_url):
    import psycopg

    with psycopg.connect(postgres_url, autocommit=True) as conn:  # Optuna's RDB storage has such tables
        conn.execute("CREATE TABLE studies (study_id SERIAL PRIMARY KEY, study_name TEXT)")
        conn.execute("CREATE TABLE trials (trial_id SERIAL PRIMARY KEY, number INTEGER)")
    text = _refusal(postgres_url)
    assert "holds tables named studies, trials that belong to another program (Optuna's RDB storage" in text
    assert text.endswith("Nothing was changed.")
    tables = {
        r[0]
        for r in _rows(postgres_url, "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'")
    }
    assert tables == {"studies", "trials"}


def test_a_user_who_may_not_create_tables_is_told_how_to_get_a_database(postgres_server):
    url = postgres_server.url(postgres_server.createdb(owner="postgres"))  # PostgreSQL 15: only owners create
    text = _refusal(url)
    assert text.startswith(f"PostgreSQL database 'postgresql://hp:***@127.0.0.1:{postgres_server.port}/")
    assert "user 'hp' may not create hpmagic's tables there (permission denied for schema public" in text
    assert f"(createdb -h 127.0.0.1 -p {postgres_server.port} -O hp hpmagic)" in text
    assert text.endswith("Nothing was changed.") and PASSWORD not in text


def test_a_schema_newer_than_this_hpmagic_is_refused(postgres_url):
    _begin(postgres_url).close()
    import psycopg

    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute("UPDATE hpmagic_meta SET value = '99' WHERE key = 'schema'")
    for readonly in (False, True):
        text = _refusal(postgres_url, readonly=readonly)
        assert "was written by a newer hpmagic (study schema 99; this version reads up to 4); upgrade hpmagic" in text


def test_reading_a_database_without_studies_says_so(postgres_url):
    text = _refusal(postgres_url, None, readonly=True)
    assert text.endswith(
        "holds no hpmagic studies (it has no hpmagic tables); pass storage= the URL that --storage "
        "named when the study ran"
    )
    assert PASSWORD not in text


def test_without_psycopg_the_message_says_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "psycopg", None)  # `import psycopg` raises ImportError
    with pytest.raises(StorageError) as info:
        open_storage("postgresql://me:pw@db.example/hp", "svm")
    assert str(info.value) == (
        "--storage 'postgresql://me:***@db.example/hp' keeps studies in PostgreSQL, which needs "
        'psycopg 3, and it is not installed; install it with: pip install "hpmagic[postgresql]"'
    )


# -- several processes ---------------------------------------------------------------------------

WRITER = textwrap.dedent(
    """
    import json, os, sys, time
    import psycopg
    import hpmagic

    url, go = sys.argv[1], sys.argv[2]

    def both_running():
        # Trials wait until both writers hold a trial: the two surely overlap and both run trials.
        deadline = time.time() + 60
        while time.time() < deadline:
            with psycopg.connect(url) as conn:
                if conn.execute("SELECT count(DISTINCT session_id) FROM trials").fetchone()[0] >= 2:
                    return
            time.sleep(0.02)

    while not os.path.exists(go):
        time.sleep(0.005)
    cell = "import time\\nx = 0.0  # tune: uniform(-1, 1)\\nboth_running()\\ntime.sleep(0.02)\\nx ** 2\\n"
    result = hpmagic.tune(cell, {"both_running": both_running}, trials=24, strategy="random", study="shared",
                          storage=url, quiet=True)
    print(json.dumps({"pid": os.getpid(), "trials": [t.number for t in result.trials]}))
    """
)


def test_two_processes_run_one_study_to_its_budget(postgres_url, tmp_path):
    go = tmp_path / "go"
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, postgres_url, str(go)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    go.touch()
    reports = []
    for proc in procs:
        out, err = proc.communicate(timeout=240)
        assert proc.returncode == 0, err
        reports.append(json.loads(out.strip().splitlines()[-1]))
    rows = _rows(
        postgres_url,
        "SELECT t.number, t.state, s.pid FROM trials t JOIN sessions s ON s.id = t.session_id ORDER BY t.number",
    )
    assert [n for n, _, _ in rows] == list(range(24)), "unique numbers, none missing, none beyond the budget"
    assert all(state == "complete" for _, state, _ in rows), "no trial lost"
    pids = {pid for _, _, pid in rows}
    assert pids == {r["pid"] for r in reports}, "each writer ran trials"
    for report in reports:
        assert report["trials"] == list(range(24)), "each result holds the study's trials, the other's included"


KILLED_CELL = "import time\nx = 0.5  # tune: uniform(0, 1)\ntime.sleep(600 if x != 0.5 else 0)\nx\n"
KILLED = textwrap.dedent(
    """
    import sys
    import hpmagic
    from hpmagic.storage import heartbeat
    heartbeat.HEARTBEAT_SECONDS = 0.2
    hpmagic.tune(sys.argv[2], {}, trials=5, strategy="random", seed=0, study="svm", storage=sys.argv[1], quiet=True)
    """
)


def test_a_killed_process_on_another_host_is_found_out_by_its_heartbeat(postgres_url, monkeypatch):
    """The killed writer runs under another host name (a UTS namespace of its own), so its process
    cannot be checked from here: only the heartbeat rule can tell that it is gone."""
    if os.geteuid() != 0 or shutil.which("unshare") is None:
        pytest.skip("a second host name needs root and unshare(1)")
    argv = [
        "unshare",
        "--uts",
        "sh",
        "-c",
        'hostname other-machine && exec "$@"',
        "sh",
        sys.executable,
        "-c",
        KILLED,
        postgres_url,
        KILLED_CELL,
    ]
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        wait_for(lambda: proc.poll() is not None or (1,) in _running(postgres_url), what="trial 1 running")
        assert proc.poll() is None, proc.communicate()
    finally:
        proc.send_signal(signal.SIGKILL)  # (unshare execs: the signal reaches the Python process)
        proc.communicate(timeout=60)
    assert _rows(postgres_url, "SELECT host FROM sessions") == [("other-machine",)]
    assert _running(postgres_url) == [(1,)]

    def read(grace):
        monkeypatch.setattr(heartbeat, "GRACE_SECONDS", grace)  # read when a store opens
        reader = open_storage(postgres_url, "svm", readonly=True)
        try:
            stored = reader.read_study()
            assert stored is not None
            return stored
        finally:
            reader.close()

    fresh = read(grace=60.0)
    assert fresh.running and fresh.trials[1].state is TrialState.RUNNING, "its last heartbeat is recent: alive"
    beat = "SELECT (extract(epoch FROM clock_timestamp()) - heartbeat) > 1 FROM sessions"
    wait_for(lambda: _rows(postgres_url, beat)[0][0], what="a heartbeat older than 1 s")
    stale = read(grace=1.0)
    assert not stale.running and stale.trials[1].state is TrialState.INTERRUPTED
    store = open_storage(postgres_url, "svm")  # (grace 1 s, as the last reader)
    try:
        resume = store.begin(
            space=parse_cell(KILLED_CELL).space,
            direction="minimize",
            metric="objective",
            baseline=True,
            seed=0,
            budget=5,
            strategy="random",
        )
    finally:
        store.close()
    assert resume.interrupted == 1
    assert _rows(postgres_url, "SELECT state, error FROM trials WHERE number = 1") == [("interrupted", CRASHED)]
    assert _rows(postgres_url, "SELECT stop_reason FROM sessions WHERE id = 1") == [("crashed",)]


def test_in_ci_a_missing_server_fails_the_tests_rather_than_skipping_them(monkeypatch):
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI needs a PostgreSQL server for these tests, but initdb is gone"):
        pgserver.unavailable("initdb is gone")
    monkeypatch.delenv("CI")
    with pytest.raises(pytest.skip.Exception, match="initdb is gone"):
        pgserver.unavailable("initdb is gone")
