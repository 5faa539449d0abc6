"""Trial stores: in memory for one search, or an SQLite file of studies that outlive the kernel.

A store hands out trial numbers and keeps every trial record.  The runner talks to it
through a few calls, so the persistent store can take the in-memory one's place:

- ``reserve(limit=None)`` -- the next trial number (unique, even across processes for a
  shared store), or ``None`` when the store already holds ``limit`` trials that count
  toward the budget (every trial but the interrupted ones);
- ``release(number)`` -- give back a reserved number that was not used;
- ``put(trial)`` -- record a trial when it starts and again when it ends;
- ``trials()`` -- every trial, in number order;
- ``poll()`` -- trials that *other* writers finished since the last call (a shared study);
- ``close()`` -- the search is over.

The SQLite store keeps everything as JSON and text, never pickle, so opening a study
file received from someone else cannot run code.  The file is in WAL mode; each write is
one short transaction, and numbers are reserved under ``BEGIN IMMEDIATE``, so two
kernels can share a study.  ``synchronous=NORMAL`` makes every committed trial survive a
crash of the process (a kernel killed with SIGKILL); after a power failure the last few
trials may be missing, but the file stays consistent.
"""

from __future__ import annotations

import json
import math
import os
import socket
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .result import Trial, TrialState

__all__ = [
    "MemoryStore",
    "SQLiteStore",
    "StorageError",
    "StudyMismatchError",
    "DEFAULT_STORAGE",
    "SCHEMA_VERSION",
]

DEFAULT_STORAGE = "hpmagic.sqlite"
#: Schema of the study files this version writes; files from a newer schema are refused.
SCHEMA_VERSION = 1
#: SQLite's ``PRAGMA application_id`` of hpmagic study files ("hpMG").
APPLICATION_ID = 0x68704D47

#: States of trials that count toward a study's ``-n`` total (interrupted ones do not:
#: their budget is spent again when the study resumes).
_TOLD = (TrialState.COMPLETE, TrialState.FAILED, TrialState.PRUNED)
_RELEASED = "released"  # a number handed out and given back; never shown as a trial


class StorageError(ValueError):
    """A study file or a study cannot be used: the message names the file, the problem and the fix."""


class StudyMismatchError(StorageError):
    """The cell's search space, direction or metric differs from the stored study's."""


# ---------------------------------------------------------------------------------------
# In memory
# ---------------------------------------------------------------------------------------


class MemoryStore:
    """Keeps trials in a dict for the length of one search."""

    def __init__(self) -> None:
        self._trials: dict[int, Trial] = {}
        self._next = 0
        self._interrupted: set[int] = set()

    def reserve(self, limit: int | None = None) -> int | None:
        if limit is not None and self._next - len(self._interrupted) >= limit:
            return None
        number = self._next
        self._next += 1
        return number

    def release(self, number: int) -> None:
        if number == self._next - 1:
            self._next -= 1

    def put(self, trial: Trial) -> None:
        self._trials[trial.number] = trial
        if trial.state is TrialState.INTERRUPTED:
            self._interrupted.add(trial.number)
        else:
            self._interrupted.discard(trial.number)

    def trials(self) -> list[Trial]:
        return [self._trials[n] for n in sorted(self._trials)]

    def poll(self) -> list[Trial]:
        return []

    def close(self, result: Any = None) -> None:
        pass


# ---------------------------------------------------------------------------------------
# JSON, never pickle
# ---------------------------------------------------------------------------------------


def _plain(value: Any) -> Any:
    """JSON-ready form of a parameter value or metric: tuples are tagged, NumPy scalars unwrapped."""
    if isinstance(value, tuple):
        return {"tuple": [_plain(v) for v in value]}
    if isinstance(value, (list,)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    item = getattr(value, "item", None)
    if callable(item) and not isinstance(value, (str, bytes, int, float, bool)):
        try:
            return _plain(item())
        except (TypeError, ValueError):
            pass
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return repr(value)  # a value JSON cannot hold is kept as its text


def _unplain(value: Any) -> Any:
    if isinstance(value, dict):
        if set(value) == {"tuple"} and isinstance(value["tuple"], list):
            return tuple(_unplain(v) for v in value["tuple"])
        return {k: _unplain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_unplain(v) for v in value]
    return value


def _dumps(value: Any) -> str:
    return json.dumps(_plain(value), separators=(",", ":"))


def _loads(text: Any, what: str, expect: type) -> Any:
    """Decode one stored JSON column; anything else (bytes, a pickle, broken text) is an error."""
    if not isinstance(text, str):
        kind = "binary data" if isinstance(text, (bytes, bytearray, memoryview)) else type(text).__name__
        raise StorageError(
            f"{what} holds {kind}, not JSON text: hpmagic stores JSON only and never unpickles, so the file "
            "was damaged or written by something else"
        )
    try:
        value = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise StorageError(f"{what} is not valid JSON ({exc}); the file was damaged or written by something else") from None
    if not isinstance(value, expect):
        raise StorageError(f"{what} should be a JSON {expect.__name__}, but holds {type(value).__name__}")
    return _unplain(value)


# ---------------------------------------------------------------------------------------
# The file: checked before anything is written to it
# ---------------------------------------------------------------------------------------

_SCHEMA = f"""
CREATE TABLE studies (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL UNIQUE,
    space TEXT NOT NULL,
    direction TEXT NOT NULL,
    metric TEXT NOT NULL,
    baseline INTEGER NOT NULL,
    seed INTEGER,
    budget INTEGER NOT NULL,
    strategy TEXT NOT NULL DEFAULT '',
    strategy_reason TEXT NOT NULL DEFAULT '',
    notes TEXT NOT NULL DEFAULT '[]',
    created REAL NOT NULL,
    updated REAL NOT NULL,
    version TEXT NOT NULL DEFAULT ''
);
CREATE TABLE sessions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    study_id INTEGER NOT NULL REFERENCES studies(id) ON DELETE CASCADE,
    host TEXT NOT NULL,
    pid INTEGER NOT NULL,
    process TEXT NOT NULL DEFAULT '',
    started REAL NOT NULL,
    ended REAL,
    stop_reason TEXT
);
CREATE TABLE trials (
    study_id INTEGER NOT NULL REFERENCES studies(id) ON DELETE CASCADE,
    number INTEGER NOT NULL,
    session_id INTEGER,
    state TEXT NOT NULL,
    params TEXT NOT NULL DEFAULT '{{}}',
    value REAL,
    metrics TEXT NOT NULL DEFAULT '{{}}',
    duration REAL NOT NULL DEFAULT 0,
    stdout TEXT NOT NULL DEFAULT '',
    stderr TEXT NOT NULL DEFAULT '',
    warnings TEXT NOT NULL DEFAULT '[]',
    error TEXT NOT NULL DEFAULT '',
    started REAL NOT NULL DEFAULT 0,
    seq INTEGER NOT NULL,
    PRIMARY KEY (study_id, number)
);
CREATE INDEX trials_by_seq ON trials(study_id, seq);
CREATE INDEX trials_counted ON trials(study_id) WHERE state NOT IN ('interrupted', '{_RELEASED}');
"""
_TABLES = {"studies", "sessions", "trials"}


@dataclass(frozen=True)
class _FileInfo:
    path: Path
    exists: bool  # False: no file yet, or an empty one (SQLite treats both as a new database)
    wal: bool = False


def _describe(path: Path) -> str:
    return f"study file {str(path)!r}"


def inspect_file(path: str | os.PathLike, *, write: bool) -> _FileInfo:
    """Check that ``path`` is (or can become) an hpmagic study file, without changing it.

    The header is read as plain bytes first, so a foreign file is refused before SQLite
    opens it; then an existing file is checked by a read-only connection that creates no
    side files.  Raises :class:`StorageError` naming the problem and the fix.
    """
    path = Path(os.path.expanduser(os.fspath(path))).absolute()
    where = _describe(path)
    if path.is_dir():
        raise StorageError(f"{where} is a directory; pass the path of a file, e.g. {str(path / DEFAULT_STORAGE)!r}")
    if not path.exists():
        if write and not os.access(path.parent, os.W_OK):
            raise StorageError(f"{where} cannot be created: directory {str(path.parent)!r} is not writable; pass another --storage path")
        if write and not path.parent.exists():
            raise StorageError(f"{where} cannot be created: directory {str(path.parent)!r} does not exist")
        return _FileInfo(path, exists=False)
    if write:
        mode = path.stat().st_mode
        if not os.access(path, os.W_OK) or not mode & 0o222:
            raise StorageError(
                f"{where} is read-only, and running a study writes every trial to it; make it writable "
                f"(chmod u+w), copy it, or pass another --storage path (hpmagic.load_study can still read it)"
            )
        if not os.access(path.parent, os.W_OK):
            raise StorageError(
                f"{where} lives in a read-only directory, and SQLite needs to write its journal next to it; "
                "move the file or pass another --storage path"
            )
    with open(path, "rb") as handle:
        header = handle.read(100)
    if not header:
        return _FileInfo(path, exists=False)
    if len(header) < 100 or not header.startswith(b"SQLite format 3\x00"):
        raise StorageError(
            f"{where} is not an SQLite database (its first bytes are {header[:16]!r}); hpmagic keeps studies in "
            f"SQLite files, so pass a new path with --storage (it is created) or an existing hpmagic study file. "
            "The file was left untouched."
        )
    app_id = int.from_bytes(header[68:72], "big")
    schema = int.from_bytes(header[60:64], "big")
    wal = header[18] == 2
    foreign = (
        f"{where} is an SQLite database of another application, not an hpmagic study file; pass another "
        "--storage path (a new file is created). The file was left untouched."
    )
    if app_id not in (0, APPLICATION_ID) or (app_id == 0 and wal):
        raise StorageError(foreign)
    if app_id == APPLICATION_ID and schema > SCHEMA_VERSION:
        raise StorageError(
            f"{where} was written by a newer hpmagic (study schema {schema}; this version reads up to "
            f"{SCHEMA_VERSION}); upgrade hpmagic (pip install -U hpmagic) to use it. The file was left untouched."
        )
    try:
        with closing_connection(_readonly_uri(path)) as conn:
            tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            if app_id == 0:
                if tables:
                    raise StorageError(foreign)
                return _FileInfo(path, exists=False)
            check = conn.execute("PRAGMA quick_check").fetchone()[0]
            if check != "ok":
                raise sqlite3.DatabaseError(check)
            if not _TABLES <= tables:
                raise sqlite3.DatabaseError(f"tables {', '.join(sorted(_TABLES - tables))} are missing")
    except sqlite3.Error as exc:
        raise StorageError(
            f"{where} is damaged ({exc}); it cannot be read as an hpmagic study file. The file was left untouched: "
            "keep it for inspection, restore a copy, or pass another --storage path."
        ) from None
    return _FileInfo(path, exists=True, wal=wal)


def _readonly_uri(path: Path) -> str:
    # Without a -wal file every committed page is in the main file, and `immutable` reads it
    # without creating -wal/-shm side files; with one, a plain read-only open sees the WAL too.
    wal_file = path.with_name(path.name + "-wal")
    return path.as_uri() + ("?mode=ro" if wal_file.exists() else "?mode=ro&immutable=1")


@contextmanager
def closing_connection(uri: str) -> Iterator[sqlite3.Connection]:
    conn = sqlite3.connect(uri, uri=True, isolation_level=None)
    try:
        yield conn
    finally:
        conn.close()


# ---------------------------------------------------------------------------------------
# Processes: is the writer of a "running" trial still alive?
# ---------------------------------------------------------------------------------------

_HOST = socket.gethostname()


def _process_token(pid: int) -> str | None:
    """The start time of process ``pid`` (Linux), so a reused pid is not taken for the old
    process; ``"dead"`` for a zombie or no process; ``None`` when it cannot be told."""
    try:
        with open(f"/proc/{pid}/stat") as handle:
            fields = handle.read().rsplit(")", 1)[1].split()
    except FileNotFoundError:
        return "dead"
    except OSError:
        return None
    if fields[0] in ("Z", "X"):
        return "dead"
    return fields[19]


def _alive(host: str, pid: int, token: str) -> bool:
    if host != _HOST:
        return True  # another machine: it cannot be checked, so its trials are left as they are
    now = _process_token(pid)
    if now == "dead":
        return False
    if now is not None:
        return not token or now == token
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True
    return True


# ---------------------------------------------------------------------------------------
# The SQLite store
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StudyRecord:
    """A study's stored description (its row in the ``studies`` table)."""

    id: int
    name: str
    space: Any  # SearchSpace
    direction: str
    metric: str
    baseline: bool
    seed: int | None
    budget: int
    strategy: str
    strategy_reason: str
    notes: tuple[str, ...]
    created: float
    updated: float


@dataclass(frozen=True)
class Resume:
    """What :meth:`SQLiteStore.begin` found and decided."""

    study: StudyRecord
    created: bool  # a new study (or one just overwritten)
    counted: int  # stored trials that count toward -n
    interrupted: int  # trials a crashed process left running, marked interrupted now
    session: int  # 1 for the study's first run, 2 for the next, ...
    strategy_seed: int  # the seed the strategy gets this run
    complete: bool  # the study already holds its -n trials: nothing to run


_TRIAL_COLUMNS = "number, session_id, state, params, value, metrics, duration, stdout, stderr, warnings, error, started, seq"


class SQLiteStore:
    """Trials of one study in an SQLite file, shared safely between processes.

    ``SQLiteStore(path, study)`` checks the file (without changing it); :meth:`begin`
    creates or resumes the study; then the runner uses the store protocol of the module
    docstring; :meth:`close` records how the run ended.
    """

    def __init__(self, path: str | os.PathLike, study: str, *, readonly: bool = False) -> None:
        if not isinstance(study, str) or not study.strip():
            raise StorageError(f"a study name must be a non-empty string, but got {study!r}")
        self.study_name = study
        self.readonly = readonly
        info = inspect_file(path, write=not readonly)
        self.path = info.path
        self._lock = threading.RLock()
        self._study: StudyRecord | None = None
        self._session: int | None = None
        self._cache: dict[int, Trial] = {}
        self._sessions: dict[int, int | None] = {}  # trial number -> session that wrote it
        self._seq = 0
        self._loaded = False
        self._foreign: list[Trial] = []
        self._sorted: list[Trial] | None = None
        if readonly:
            if not info.exists:
                raise StorageError(
                    f"there is no study file at {str(self.path)!r} (working directory {os.getcwd()!r}); "
                    "pass storage= the path that --storage named when the study ran"
                )
            self._conn = sqlite3.connect(_readonly_uri(self.path), uri=True, isolation_level=None, check_same_thread=False)
        else:
            self._conn = sqlite3.connect(self.path, timeout=60, isolation_level=None, check_same_thread=False)
            try:
                self._open_for_writing(create=not info.exists)
            except sqlite3.Error as exc:
                self._conn.close()
                raise StorageError(f"{_describe(self.path)} cannot be opened for writing: {exc}") from None

    def _open_for_writing(self, create: bool, timeout: float = 60.0) -> None:
        """The schema if the file is new (in one transaction, so no other process ever sees a
        half-made file), then WAL mode.  Switching the journal mode can answer "database is
        locked" without waiting while another process creates or opens the same file, so
        these steps are retried until ``timeout``."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                self._conn.execute("PRAGMA busy_timeout = 60000")
                if create:
                    self._create_schema()
                mode = self._conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
                if mode.lower() != "wal":
                    raise StorageError(f"{_describe(self.path)}: SQLite refused WAL mode (it reports {mode!r}); use a local disk")
                self._conn.execute("PRAGMA synchronous = NORMAL")
                self._conn.execute("PRAGMA foreign_keys = ON")
                return
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) or time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    # -- the file ---------------------------------------------------------------------

    def _create_schema(self) -> None:
        with self._write():
            app_id = self._conn.execute("PRAGMA application_id").fetchone()[0]
            if app_id == APPLICATION_ID:
                return  # another process created it while this one waited
            if self._conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]:
                raise StorageError(f"{_describe(self.path)} gained tables of another application; pass another --storage path")
            # executescript() would commit on its own: run the statements one by one in this transaction
            for statement in _SCHEMA.split(";"):
                if statement.strip():
                    self._conn.execute(statement)
            self._conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
            self._conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction, taken at once (``BEGIN IMMEDIATE``) so that numbers are unique."""
        if self.readonly:
            raise StorageError(f"{_describe(self.path)} was opened read-only")
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            else:
                self._conn.execute("COMMIT")

    def _error(self, exc: sqlite3.Error) -> StorageError:
        return StorageError(f"{_describe(self.path)}, study {self.study_name!r}: {exc}")

    # -- studies ----------------------------------------------------------------------

    def study(self) -> StudyRecord | None:
        """The stored description of this store's study, or ``None`` when there is none yet."""
        row = self._conn.execute(
            "SELECT id, name, space, direction, metric, baseline, seed, budget, strategy, strategy_reason, notes, "
            "created, updated FROM studies WHERE name = ?",
            (self.study_name,),
        ).fetchone()
        return None if row is None else _study_record(row, self.path)

    def study_names(self) -> list[str]:
        return [r[0] for r in self._conn.execute("SELECT name FROM studies ORDER BY created")]

    def begin(
        self,
        *,
        space,
        direction: str,
        metric: str,
        baseline: bool,
        seed: int,
        budget: int,
        strategy: str,
        overwrite: bool = False,
        explicit_seed: bool = False,
    ) -> Resume:
        """Create the study, or check that the cell still matches it and resume it.

        In one transaction: an ``overwrite`` deletes the old study; a stored study whose
        space, direction or metric differs raises :class:`StudyMismatchError`; trials that a
        dead process left running are marked interrupted; and a session is opened, unless
        the study already holds ``budget`` trials (``Resume.complete``).
        """
        from .studies import describe_changes

        now = time.time()
        try:
            with self._write() as conn:
                record = self.study()
                if record is not None and overwrite:
                    conn.execute("DELETE FROM trials WHERE study_id = ?", (record.id,))
                    conn.execute("DELETE FROM sessions WHERE study_id = ?", (record.id,))
                    conn.execute("DELETE FROM studies WHERE id = ?", (record.id,))
                    record = None
                created = record is None
                if record is None:
                    conn.execute(
                        "INSERT INTO studies (name, space, direction, metric, baseline, seed, budget, strategy, "
                        "created, updated, version) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        (self.study_name, json.dumps(space.to_json()), direction, metric, int(baseline), seed,
                         budget, strategy, now, now, _version()),
                    )
                    record = self.study()
                    assert record is not None
                else:
                    changes = describe_changes(record, space=space, direction=direction, metric=metric)
                    if changes:
                        raise StudyMismatchError(
                            f"study {self.study_name!r} in {str(self.path)!r} was run with a different cell, so its "
                            f"trials cannot be mixed with this one's:\n  - " + "\n  - ".join(changes) + "\n"
                            f"Run the cell as a new study (--study {self.study_name}-2), or replace the old one "
                            f"with --overwrite (its {self._count(record.id)} trials are deleted)."
                        )
                interrupted = self._mark_dead(record.id, now)
                counted = self._count(record.id)
                complete = counted >= budget
                session = 0
                if not complete:
                    conn.execute(
                        "INSERT INTO sessions (study_id, host, pid, process, started) VALUES (?, ?, ?, ?, ?)",
                        (record.id, _HOST, os.getpid(), _process_token(os.getpid()) or "", now),
                    )
                    self._session = conn.execute("SELECT last_insert_rowid()").fetchone()[0]
                    session = conn.execute(
                        "SELECT count(*) FROM sessions WHERE study_id = ? AND id <= ?", (record.id, self._session)
                    ).fetchone()[0]
                    conn.execute(
                        "UPDATE studies SET budget = ?, strategy = ?, updated = ?"
                        + (", seed = ?" if explicit_seed else "") + " WHERE id = ?",
                        (budget, strategy, now, *((seed,) if explicit_seed else ()), record.id),
                    )
        except sqlite3.Error as exc:
            raise self._error(exc) from None
        self._study = self.study()
        study_seed = seed if created or explicit_seed or record.seed is None else record.seed
        return Resume(
            study=self._study or record,
            created=created,
            counted=counted,
            interrupted=interrupted,
            session=session,
            strategy_seed=_session_seed(study_seed, session),
            complete=complete,
        )

    def _count(self, study_id: int) -> int:
        return self._conn.execute(
            f"SELECT count(*) FROM trials WHERE study_id = ? AND state NOT IN ('interrupted', '{_RELEASED}')",
            (study_id,),
        ).fetchone()[0]

    def _next_seq(self, study_id: int) -> int:
        return self._conn.execute("SELECT coalesce(max(seq), 0) + 1 FROM trials WHERE study_id = ?", (study_id,)).fetchone()[0]

    def _mark_dead(self, study_id: int, now: float) -> int:
        """Mark trials left running by a process that is gone as interrupted; returns how many."""
        dead = [
            sid
            for sid, host, pid, token in self._conn.execute(
                "SELECT DISTINCT s.id, s.host, s.pid, s.process FROM trials t JOIN sessions s ON s.id = t.session_id "
                "WHERE t.study_id = ? AND t.state = 'running'",
                (study_id,),
            )
            if not _alive(host, pid, token)
        ]
        marked = 0
        for sid in dead:
            for (number,) in self._conn.execute(
                "SELECT number FROM trials WHERE study_id = ? AND session_id = ? AND state = 'running'", (study_id, sid)
            ).fetchall():
                self._conn.execute(
                    "UPDATE trials SET state = 'interrupted', error = ?, seq = ? WHERE study_id = ? AND number = ?",
                    (_CRASHED, self._next_seq(study_id), study_id, number),
                )
                marked += 1
            self._conn.execute(
                "UPDATE sessions SET ended = coalesce(ended, ?), stop_reason = coalesce(stop_reason, 'crashed') WHERE id = ?",
                (now, sid),
            )
        return marked

    # -- the store protocol -----------------------------------------------------------

    def _study_id(self) -> int:
        if self._study is None:
            raise StorageError(f"study {self.study_name!r}: begin() must be called before trials are written")
        return self._study.id

    def reserve(self, limit: int | None = None) -> int | None:
        sid = self._study_id()
        try:
            with self._write() as conn:
                if limit is not None and self._count(sid) >= limit:
                    return None
                number = conn.execute(
                    "SELECT coalesce(max(number), -1) + 1 FROM trials WHERE study_id = ?", (sid,)
                ).fetchone()[0]
                conn.execute(
                    "INSERT INTO trials (study_id, number, session_id, state, started, seq) VALUES (?, ?, ?, 'running', ?, ?)",
                    (sid, number, self._session, time.time(), self._next_seq(sid)),
                )
        except sqlite3.IntegrityError:
            raise self._gone() from None
        except sqlite3.Error as exc:
            raise self._error(exc) from None
        return number

    def release(self, number: int) -> None:
        sid = self._study_id()
        try:
            with self._write() as conn:
                conn.execute(
                    f"UPDATE trials SET state = '{_RELEASED}', seq = ? WHERE study_id = ? AND number = ?",
                    (self._next_seq(sid), sid, number),
                )
        except sqlite3.Error as exc:
            raise self._error(exc) from None
        with self._lock:
            self._cache.pop(number, None)
            self._sorted = None

    def put(self, trial: Trial) -> None:
        sid = self._study_id()
        value = trial.value if trial.value is None or math.isfinite(trial.value) else None
        row = (
            trial.state.value, _dumps(trial.params), value, _dumps(trial.metrics), float(trial.duration),
            trial.stdout, trial.stderr, _dumps(list(trial.warnings)), trial.error, float(trial.started),
        )
        try:
            with self._write() as conn:
                cur = conn.execute(
                    "UPDATE trials SET state = ?, params = ?, value = ?, metrics = ?, duration = ?, stdout = ?, "
                    "stderr = ?, warnings = ?, error = ?, started = ?, seq = ?, session_id = ? "
                    "WHERE study_id = ? AND number = ?",
                    (*row, self._next_seq(sid), self._session, sid, trial.number),
                )
                if cur.rowcount != 1:
                    raise self._gone()
        except sqlite3.Error as exc:
            raise self._error(exc) from None
        with self._lock:
            self._cache[trial.number] = trial
            self._sessions[trial.number] = self._session
            self._sorted = None

    def _gone(self) -> StorageError:
        return StorageError(
            f"study {self.study_name!r} in {str(self.path)!r} was deleted or overwritten by another process "
            "while this search ran; trials from now on cannot be recorded"
        )

    def _refresh(self) -> None:
        """Read every trial written since the last look (by anyone)."""
        sid = self._study.id if self._study is not None else None
        if sid is None:
            record = self.study()
            if record is None:
                return
            sid = record.id
        with self._lock:
            try:
                rows = self._conn.execute(
                    f"SELECT {_TRIAL_COLUMNS} FROM trials WHERE study_id = ? AND seq > ? ORDER BY seq",
                    (sid, self._seq),
                ).fetchall()
            except sqlite3.Error as exc:
                raise self._error(exc) from None
            first = not self._loaded
            self._loaded = True
            for row in rows:
                number, session, state, seq = row[0], row[1], row[2], row[-1]
                self._seq = max(self._seq, seq)
                self._sorted = None
                if state == _RELEASED:
                    self._cache.pop(number, None)
                    continue
                trial = _trial(row, self.path, self.study_name)
                self._cache[number] = trial
                self._sessions[number] = session
                if not first and session != self._session and trial.state in _TOLD:
                    self._foreign.append(trial)

    def trials(self) -> list[Trial]:
        self._refresh()
        with self._lock:
            if self._sorted is None:
                self._sorted = [self._cache[n] for n in sorted(self._cache)]
            return list(self._sorted)

    def poll(self) -> list[Trial]:
        """Trials other processes finished since the last call (not those read at the start)."""
        self._refresh()
        with self._lock:
            out, self._foreign = self._foreign, []
        return out

    def close(self, result: Any = None) -> None:
        """Record how this run ended, mark its own unfinished trials interrupted, and close the file."""
        if getattr(self, "_conn", None) is None:
            return
        try:
            if self._session is not None and self._study is not None:
                now = time.time()
                stop = getattr(result, "stop_reason", None) or "error"
                with self._write() as conn:
                    for (number,) in conn.execute(
                        "SELECT number FROM trials WHERE study_id = ? AND session_id = ? AND state = 'running'",
                        (self._study.id, self._session),
                    ).fetchall():
                        conn.execute(
                            "UPDATE trials SET state = 'interrupted', error = ?, seq = ? WHERE study_id = ? AND number = ?",
                            ("the search ended before this trial finished", self._next_seq(self._study.id),
                             self._study.id, number),
                        )
                    conn.execute("UPDATE sessions SET ended = ?, stop_reason = ? WHERE id = ?", (now, stop, self._session))
                    if result is not None:
                        conn.execute(
                            "UPDATE studies SET strategy = ?, strategy_reason = ?, notes = ?, updated = ? WHERE id = ?",
                            (result.strategy, result.strategy_reason, json.dumps(self._lasting(result.notes)), now,
                             self._study.id),
                        )
        except (sqlite3.Error, StorageError):
            pass  # the study may have been overwritten meanwhile; nothing more to record
        finally:
            self._session = None
            self._conn.close()
            self._conn = None  # type: ignore[assignment]

    def _lasting(self, notes) -> list[str]:
        """The notes worth keeping with the study (not this run's own "study ... resumed" lines)."""
        return [n for n in notes if not n.startswith(f"study {self.study_name!r} in ")]

    # -- reading a study back ---------------------------------------------------------

    def sessions(self) -> list[dict[str, Any]]:
        record = self._study or self.study()
        if record is None:
            return []
        rows = self._conn.execute(
            "SELECT id, host, pid, process, started, ended, stop_reason FROM sessions WHERE study_id = ? ORDER BY id",
            (record.id,),
        ).fetchall()
        keys = ("id", "host", "pid", "process", "started", "ended", "stop_reason")
        return [dict(zip(keys, r)) for r in rows]

    def session_of(self, number: int) -> int | None:
        return self._sessions.get(number)


_CRASHED = "its process stopped while it ran (a crash, SIGKILL or kernel restart); marked interrupted when the study resumed"


def _session_seed(seed: int, session: int) -> int:
    """The study's own seed on its first run; a different one, derived from it, on each later run,
    so that a resumed (or shared) study does not replay the configurations it already tried."""
    if session <= 1:
        return seed
    import numpy as np

    return int(np.random.SeedSequence([seed % 2**32, session]).generate_state(1)[0]) >> 1


def _version() -> str:
    from . import __version__

    return __version__


def _study_record(row: tuple, path: Path) -> StudyRecord:
    from .space import SearchSpace

    (sid, name, space, direction, metric, baseline, seed, budget, strategy, reason, notes, created, updated) = row
    what = f"{_describe(path)}, study {name!r}"
    try:
        space_obj = SearchSpace.from_json(_loads(space, f"{what}: the search space", list))
    except StorageError:
        raise
    except Exception as exc:
        raise StorageError(f"{what}: the stored search space cannot be read ({type(exc).__name__}: {exc})") from None
    if direction not in ("minimize", "maximize"):
        raise StorageError(f"{what}: unknown direction {direction!r}")
    note_list = _loads(notes, f"{what}: the notes", list)
    return StudyRecord(
        id=sid, name=name, space=space_obj, direction=direction, metric=str(metric), baseline=bool(baseline),
        seed=seed if isinstance(seed, int) else None, budget=int(budget), strategy=str(strategy),
        strategy_reason=str(reason), notes=tuple(str(n) for n in note_list), created=float(created),
        updated=float(updated),
    )


def _trial(row: tuple, path: Path, study: str) -> Trial:
    number, _session, state, params, value, metrics, duration, stdout, stderr, warnings, error, started, _seq = row
    what = f"{_describe(path)}, study {study!r}, trial {number}"
    try:
        state = TrialState(state)
    except ValueError:
        raise StorageError(f"{what}: unknown state {state!r}") from None
    if value is not None and not isinstance(value, (int, float)):
        raise StorageError(f"{what}: the value should be a number, but the file holds {type(value).__name__}")
    for column, text in (("stdout", stdout), ("stderr", stderr), ("error", error)):
        if not isinstance(text, str):
            raise StorageError(f"{what}: {column} should be text, but the file holds {type(text).__name__}")
    return Trial(
        number=int(number),
        params=_loads(params, f"{what}: the parameters", dict),
        state=state,
        value=None if value is None else float(value),
        metrics=_loads(metrics, f"{what}: the metrics", dict),
        duration=float(duration or 0.0),
        stdout=stdout,
        stderr=stderr,
        warnings=tuple(str(w) for w in _loads(warnings, f"{what}: the warnings", list)),
        error=error,
        started=float(started or 0.0),
    )
