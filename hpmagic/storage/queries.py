"""The statements the SQL stores run, each a function of an open connection.

The stores (:class:`~hpmagic.storage.relational.RelationalStore`: SQLite, PostgreSQL) call
these from inside their one funnel to the database (their lock, their translation of the
driver's errors, their transactions); they assume that and translate nothing themselves.
The writing ones run inside a transaction.  Statements are written once, in the SQL both
databases speak, with ``?`` placeholders (the PostgreSQL store's connection rewrites them);
the first five functions (opening, creating and migrating a file) are SQLite's own.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import os
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Protocol

from ..core import TrialState
from ..errors import StorageError
from .file import APPLICATION_ID, MIGRATIONS, RELEASED, SCHEMA, SCHEMA_VERSION, describe
from .liveness import HOST, here, process_token
from .records import CRASHED, UNRECORDED, Archive, Liveness, StudySummary, direction_from

__all__ = [
    "Connection",
    "open_for_writing",
    "create_schema",
    "transaction",
    "count_counted",
    "next_seq",
    "NEXT_SEQ",
    "schema_of",
    "migrate",
    "study_name",
    "insert_study",
    "archive_study",
    "reclaim",
    "interrupt_running",
    "mark_dead",
    "code_hash",
    "open_session",
    "session_seed",
    "code_history",
    "outcomes",
    "summaries",
]


class Cursor(Protocol):
    """What a statement returns: its rows, and how many rows it changed."""

    @property
    def rowcount(self) -> int: ...

    def fetchone(self) -> Any: ...

    def fetchall(self) -> list[Any]: ...


class Connection(Protocol):
    """A connection as these functions use it: ``execute(sql, args)`` with ``?`` placeholders
    (:class:`sqlite3.Connection` is one)."""

    def execute(self, sql: str, parameters: tuple[Any, ...] = ..., /) -> Cursor:
        """Run ``sql`` with ``parameters`` (the DB-API call both SQLite and psycopg connections make)."""


_COUNTED = f"state NOT IN ('interrupted', '{RELEASED}')"  # the trials that count toward -n


def open_for_writing(conn: sqlite3.Connection, path: Path, create: bool, timeout: float = 60.0) -> None:
    """The schema if the file is new (in one transaction, so no other process ever sees a
    half-made file), then WAL mode.  Switching the journal mode can answer "database is
    locked" without waiting while another process creates or opens the same file, so
    these steps are retried until ``timeout``; the caller translates whatever is left."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            conn.execute("PRAGMA busy_timeout = 60000")
            if create:
                create_schema(conn, path)
            mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            if mode.lower() != "wal":
                raise StorageError(f"{describe(path)}: SQLite refused WAL mode (it reports {mode!r}); use a local disk")
            conn.execute("PRAGMA synchronous = NORMAL")
            conn.execute("PRAGMA foreign_keys = ON")
            return
        except sqlite3.OperationalError as exc:
            busy = getattr(exc, "sqlite_errorcode", None) in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)
            if not busy or time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def create_schema(conn: sqlite3.Connection, path: Path) -> None:
    """The tables of a new study file, in one transaction (nothing if another process made them)."""
    with transaction(conn):
        if conn.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID:
            return  # another process created it while this one waited
        if conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]:
            raise StorageError(f"{describe(path)} gained tables of another application; pass another --storage path")
        # executescript() would commit on its own: run the statements one by one in this transaction
        for statement in SCHEMA.split(";"):
            if statement.strip():
                conn.execute(statement)
        conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")


@contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[None]:
    """``BEGIN IMMEDIATE`` ... ``COMMIT``, rolled back when the block raises.  Taking the
    write lock at once is what keeps trial numbers unique across processes."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        if conn.in_transaction:  # SQLite may have rolled back already (a full disk, ...)
            conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def count_counted(conn: Connection, study_id: int) -> int:
    """How many of the study's trials count toward -n (every one but interrupted and released)."""
    return conn.execute(f"SELECT count(*) FROM trials WHERE study_id = ? AND {_COUNTED}", (study_id,)).fetchone()[0]


#: The next write's sequence number, as an SQL expression of one parameter (the study's id): a
#: statement that writes a row sets ``seq`` with it, saving a round trip to the database.
NEXT_SEQ = "(SELECT coalesce(max(seq), 0) + 1 FROM trials WHERE study_id = ?)"


def next_seq(conn: Connection, study_id: int) -> int:
    """The next write's sequence number: readers fetch the rows past the last one they saw."""
    return conn.execute("SELECT coalesce(max(seq), 0) + 1 FROM trials WHERE study_id = ?", (study_id,)).fetchone()[0]


def schema_of(conn: sqlite3.Connection) -> int:
    """The schema version of the open file (``PRAGMA user_version``)."""
    return conn.execute("PRAGMA user_version").fetchone()[0]


def migrate(conn: sqlite3.Connection) -> int:
    """Bring the file to :data:`SCHEMA_VERSION`, inside the caller's transaction (so another
    process never sees a half-migrated file, and only one of two migrates); returns the version."""
    version = schema_of(conn)
    while version < SCHEMA_VERSION:
        for statement in MIGRATIONS[version]:
            conn.execute(statement)
        version += 1
        conn.execute(f"PRAGMA user_version = {version}")
    return version


def study_name(conn: Connection, study_id: int) -> str | None:
    """The name study ``study_id`` goes by now (``None``: no such study any more)."""
    row = conn.execute("SELECT name FROM studies WHERE id = ?", (study_id,)).fetchone()
    return None if row is None else row[0]


def insert_study(
    conn: Connection,
    name: str,
    space: str,
    direction: str,
    metric: str,
    *,
    baseline: bool,
    seed: int,
    budget: int,
    strategy: str,
    now: float,
    goal: str = "",
) -> None:
    """Create study ``name`` (``space`` is its JSON text, ``goal`` its objectives and constraints as JSON
    text, '' for one objective without constraints), recording the installed hpmagic's version."""
    try:
        version = importlib.metadata.version("hpmagic")
    except importlib.metadata.PackageNotFoundError:
        version = ""
    conn.execute(
        "INSERT INTO studies (name, space, direction, metric, baseline, seed, budget, strategy, "
        "created, updated, version, goal) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (name, space, direction, metric, int(baseline), seed, budget, strategy, now, now, version, goal),
    )


def archive_study(conn: Connection, study_id: int, name: str, now: float) -> Archive:
    """Keep study ``study_id`` under a new name, ``NAME@<local time>`` (``-2``, ``-3``, ... when
    that is taken), with all its trials and sessions (``--overwrite``); nothing is deleted."""
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.localtime(now))
    archive, k = f"{name}@{stamp}", 1
    while conn.execute("SELECT 1 FROM studies WHERE name = ?", (archive,)).fetchone():
        k += 1
        archive = f"{name}@{stamp}-{k}"
    conn.execute("UPDATE studies SET name = ?, updated = ? WHERE id = ?", (archive, now, study_id))
    direction = conn.execute("SELECT direction FROM studies WHERE id = ?", (study_id,)).fetchone()[0]
    trials, low, high = conn.execute(
        "SELECT count(*), min(CASE WHEN state = ? THEN value END), max(CASE WHEN state = ? THEN value END) "
        "FROM trials WHERE study_id = ? AND state != ?",
        (TrialState.COMPLETE.value, TrialState.COMPLETE.value, study_id, RELEASED),
    ).fetchone()
    return Archive(name=archive, trials=trials, best=high if direction == "maximize" else low)


def reclaim(conn: Connection, study_id: int, number: int, session: int | None, now: float, limit: int | None) -> bool:
    """Take trial ``number`` back for this session when it is interrupted (and fewer than
    ``limit`` trials count), recording it as running again; False when it is not interrupted
    (another process took it first: the caller's transaction makes this atomic)."""
    if limit is not None and count_counted(conn, study_id) >= limit:
        return False
    cur = conn.execute(
        "UPDATE trials SET state = 'running', session_id = ?, params = '{}', value = NULL, metrics = '{}', "
        "duration = 0, stdout = '', stderr = '', warnings = '[]', error = '', started = ?, seq = ? "
        "WHERE study_id = ? AND number = ? AND state = 'interrupted'",
        (session, now, next_seq(conn, study_id), study_id, number),
    )
    return cur.rowcount == 1


def interrupt_running(conn: Connection, study_id: int, session: int, why: str) -> int:
    """Mark the trials ``session`` left running as interrupted, each with a new seq; returns how many."""
    numbers = conn.execute(
        "SELECT number FROM trials WHERE study_id = ? AND session_id = ? AND state = 'running'", (study_id, session)
    ).fetchall()
    for (number,) in numbers:
        conn.execute(
            "UPDATE trials SET state = 'interrupted', error = ?, seq = ? WHERE study_id = ? AND number = ?",
            (why, next_seq(conn, study_id), study_id, number),
        )
    return len(numbers)


def mark_dead(conn: Connection, study_id: int, now: float, live: Liveness) -> int:
    """Mark trials left running by a run that is over as interrupted, and end that run: as crashed
    when it is gone (``live``, the backend's decision, says it cannot still be running), as an
    error when it was this process's own search whose storage could not be written
    (:func:`.liveness.session_alive`); returns how many trials were marked."""
    over = [
        (sid, here(host, pid, token))
        for sid, host, pid, token in conn.execute(
            "SELECT DISTINCT s.id, s.host, s.pid, s.process FROM trials t JOIN sessions s ON s.id = t.session_id "
            "WHERE t.study_id = ? AND t.state = 'running'",
            (study_id,),
        ).fetchall()
        if not live(sid, host, pid, token)
    ]
    marked = 0
    for sid, ours in over:
        marked += interrupt_running(conn, study_id, sid, UNRECORDED if ours else CRASHED)
        conn.execute(
            "UPDATE sessions SET ended = coalesce(ended, ?), stop_reason = coalesce(stop_reason, ?) WHERE id = ?",
            (now, "error" if ours else "crashed", sid),
        )
    return marked


def code_hash(code: str | None) -> str | None:
    """The fingerprint a session stores of the cell's code."""
    return None if code is None else hashlib.sha256(code.encode()).hexdigest()


def open_session(
    conn: Connection,
    study_id: int,
    now: float,
    *,
    budget: int,
    strategy: str,
    seed: int | None,
    code: str | None = None,
) -> tuple[int, int]:
    """Record a run of this process and the cell's ``code``; returns its session id and its place
    among the study's runs (1 for the first).  ``budget`` and ``strategy`` become the study's; so
    does ``seed`` unless it is ``None`` (a seed given explicitly)."""
    conn.execute(
        "INSERT INTO sessions (study_id, host, pid, process, started, code, code_hash) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (study_id, HOST, os.getpid(), process_token(os.getpid()) or "", now, code, code_hash(code)),
    )
    # The newest session of the study is this one: sessions are opened only in begin's transaction,
    # which holds the write lock (SQLite) or the catalog lock (PostgreSQL).  (Not RETURNING: SQLite
    # before 3.35 lacks it.)
    session = conn.execute("SELECT max(id) FROM sessions WHERE study_id = ?", (study_id,)).fetchone()[0]
    conn.execute(
        "UPDATE studies SET budget = ?, strategy = ?, updated = ?"
        + (", seed = ?" if seed is not None else "")
        + " WHERE id = ?",
        (budget, strategy, now, *((seed,) if seed is not None else ()), study_id),
    )
    place = conn.execute(
        "SELECT count(*) FROM sessions WHERE study_id = ? AND id <= ?", (study_id, session)
    ).fetchone()[0]
    return session, place


def code_history(conn: Connection, study_id: int, code: str | None) -> tuple[str | None, int]:
    """The code of the last run that stored trials that count (``None`` when no run did, or an
    older hpmagic ran it), and how many counted trials runs of known, other code stored."""
    if code is None:
        return None, 0
    rows = conn.execute(
        f"SELECT s.code, s.code_hash, count(*) FROM trials t JOIN sessions s ON s.id = t.session_id "
        f"WHERE t.study_id = ? AND t.{_COUNTED} GROUP BY s.id ORDER BY s.id",
        (study_id,),
    ).fetchall()
    if not rows:
        return None, 0
    digest = code_hash(code)
    other = sum(n for _, h, n in rows if h is not None and h != digest)
    return rows[-1][0], other


def outcomes(conn: Connection, study_id: int) -> tuple[int, tuple[int, str] | None]:
    """How many of the study's trials completed, and the number and error of its first failed one."""
    completed = conn.execute(
        "SELECT count(*) FROM trials WHERE study_id = ? AND state = ?", (study_id, TrialState.COMPLETE.value)
    ).fetchone()[0]
    first = conn.execute(
        "SELECT number, error FROM trials WHERE study_id = ? AND state = ? ORDER BY number LIMIT 1",
        (study_id, TrialState.FAILED.value),
    ).fetchone()
    return completed, None if first is None else (first[0], first[1])


def summaries(conn: Connection, where: str) -> list[StudySummary]:
    """One summary per study of the storage (``where`` names it), oldest first; no parameter or
    note is decoded."""
    studies = conn.execute(
        "SELECT id, name, direction, metric, budget, strategy, created, updated FROM studies ORDER BY created"
    ).fetchall()
    counts: dict[int, dict[str, int]] = {}
    for sid, state, count in conn.execute(
        "SELECT study_id, state, count(*) FROM trials WHERE state != ? GROUP BY study_id, state", (RELEASED,)
    ).fetchall():
        counts.setdefault(sid, {})[state] = count
    ranges = {
        sid: (low, high)
        for sid, low, high in conn.execute(
            "SELECT study_id, min(value), max(value) FROM trials WHERE state = ? GROUP BY study_id",
            (TrialState.COMPLETE.value,),
        ).fetchall()
    }
    out = []
    for sid, name, direction, metric, budget, strategy, created, updated in studies:
        way = direction_from(direction, f"{where}, study {name!r}")
        low, high = ranges.get(sid, (None, None))
        out.append(
            StudySummary(
                name=name,
                counts=counts.get(sid, {}),
                budget=budget,
                best=high if way.maximize else low,
                direction=way,
                metric=metric,
                strategy=strategy,
                created=created,
                updated=updated,
            )
        )
    return out


def session_seed(seed: int, session: int) -> int:
    """The study's own seed on its first run; a different one, derived from it, on each later run,
    so that a resumed (or shared) study does not replay the configurations it already tried."""
    if session <= 1:
        return seed
    import numpy as np

    return int(np.random.SeedSequence([seed % 2**32, session]).generate_state(1)[0]) >> 1
