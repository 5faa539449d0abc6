"""The statements the SQLite store runs, each a function of an open connection.

:class:`~hpmagic.storage.sqlite.SQLiteStore` calls these from inside its one funnel to the
database (its lock, its translation of SQLite's errors, its transactions); they assume
that and translate nothing themselves.  The writing ones run inside a transaction.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ..core import TrialState
from .file import RELEASED, describe
from .liveness import HOST, alive, process_token
from .records import CRASHED, StudySummary, direction_from

__all__ = [
    "transaction",
    "count_counted",
    "next_seq",
    "delete_study",
    "interrupt_running",
    "mark_dead",
    "open_session",
    "summaries",
]

_COUNTED = f"state NOT IN ('interrupted', '{RELEASED}')"  # the trials that count toward -n


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


def count_counted(conn: sqlite3.Connection, study_id: int) -> int:
    """How many of the study's trials count toward -n (every one but interrupted and released)."""
    return conn.execute(f"SELECT count(*) FROM trials WHERE study_id = ? AND {_COUNTED}", (study_id,)).fetchone()[0]


def next_seq(conn: sqlite3.Connection, study_id: int) -> int:
    """The next write's sequence number: readers fetch the rows past the last one they saw."""
    return conn.execute("SELECT coalesce(max(seq), 0) + 1 FROM trials WHERE study_id = ?", (study_id,)).fetchone()[0]


def delete_study(conn: sqlite3.Connection, study_id: int) -> None:
    """Delete a study with its trials and sessions (``--overwrite``)."""
    for table, key in (("trials", "study_id"), ("sessions", "study_id"), ("studies", "id")):
        conn.execute(f"DELETE FROM {table} WHERE {key} = ?", (study_id,))


def interrupt_running(conn: sqlite3.Connection, study_id: int, session: int, why: str) -> int:
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


def mark_dead(conn: sqlite3.Connection, study_id: int, now: float) -> int:
    """Mark trials left running by a process that is gone as interrupted, and end its session
    as crashed; returns how many trials were marked."""
    dead = [
        sid
        for sid, host, pid, token in conn.execute(
            "SELECT DISTINCT s.id, s.host, s.pid, s.process FROM trials t JOIN sessions s ON s.id = t.session_id "
            "WHERE t.study_id = ? AND t.state = 'running'",
            (study_id,),
        ).fetchall()
        if not alive(host, pid, token)
    ]
    marked = 0
    for sid in dead:
        marked += interrupt_running(conn, study_id, sid, CRASHED)
        conn.execute(
            "UPDATE sessions SET ended = coalesce(ended, ?), stop_reason = coalesce(stop_reason, 'crashed') WHERE id = ?",
            (now, sid),
        )
    return marked


def open_session(
    conn: sqlite3.Connection, study_id: int, now: float, *, budget: int, strategy: str, seed: int | None
) -> tuple[int, int]:
    """Record a run of this process; returns its session id and its place among the study's
    runs (1 for the first).  ``budget`` and ``strategy`` become the study's; so does ``seed``
    unless it is ``None`` (a seed given explicitly)."""
    conn.execute(
        "INSERT INTO sessions (study_id, host, pid, process, started) VALUES (?, ?, ?, ?, ?)",
        (study_id, HOST, os.getpid(), process_token(os.getpid()) or "", now),
    )
    session = conn.execute("SELECT last_insert_rowid()").fetchone()[0]
    conn.execute(
        "UPDATE studies SET budget = ?, strategy = ?, updated = ?" + (", seed = ?" if seed is not None else "")
        + " WHERE id = ?",
        (budget, strategy, now, *((seed,) if seed is not None else ()), study_id),
    )
    place = conn.execute("SELECT count(*) FROM sessions WHERE study_id = ? AND id <= ?", (study_id, session)).fetchone()[0]
    return session, place


def summaries(conn: sqlite3.Connection, path: Path) -> list[StudySummary]:
    """One summary per study of the file, oldest first; no parameter or note is decoded."""
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
        way = direction_from(direction, f"{describe(path)}, study {name!r}")
        low, high = ranges.get(sid, (None, None))
        out.append(StudySummary(
            name=name, counts=counts.get(sid, {}), budget=budget, best=high if way.maximize else low,
            direction=way, metric=metric, strategy=strategy, created=created, updated=updated,
        ))
    return out
