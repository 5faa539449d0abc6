"""The SQLite trial store: one study in a file that outlives the kernel, shared safely
between processes.

``SQLiteStore(path, study)`` checks the file (without changing it, :mod:`.file`);
:meth:`~.relational.RelationalStore.begin` creates or resumes the study; the runner then
uses the store protocol (:mod:`hpmagic.storage`); ``close`` records how the run ended.
The lifecycle itself is :class:`~.relational.RelationalStore`'s, shared with the
PostgreSQL store; this module says how to reach the file.  Liveness is by process: a
session's trials are its own while its process lives on this host.

Every database call runs inside :meth:`SQLiteStore._database`, under the store's lock; it
is the one place where ``sqlite3.Error`` becomes :class:`~hpmagic.errors.StorageError`.
A full disk becomes the messages of :mod:`.failures`: during a search, the store marks
the trials it left running interrupted (where that can still be written), keeps the error
as :attr:`SQLiteStore.failure` (the search raises it with its result) and writes no more.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager

from ..core import Trial, TrialState
from ..errors import StorageError
from . import failures, queries
from .file import describe, inspect_file, readonly_uri, schema_problem, warn_if_networked
from .liveness import closed, opened, session_alive
from .records import Liveness
from .relational import RelationalStore

__all__ = ["SQLiteStore"]


class SQLiteStore(RelationalStore):
    """Trials of one study in an SQLite file, shared safely between processes.

    ``study=None`` opens the file alone, read-only, for :meth:`study_names` and
    :meth:`summaries`.  ``readonly=True`` never writes to the file (``load_study``).
    """

    def __init__(self, path: str | os.PathLike, study: str | None, *, readonly: bool = False) -> None:
        self._setup(study, readonly)
        info = inspect_file(path, write=not readonly)
        self.path = info.path
        self.location = str(self.path)
        self.where = describe(self.path)
        if not readonly:
            warn_if_networked(self.path)
        if readonly and not info.exists:  # (an empty or directory-like path was refused by inspect_file)
            raise StorageError(
                f"there is no study file at {str(self.path)!r} (working directory {os.getcwd()!r}); "
                "pass storage= the path that --storage named when the study ran"
            )
        with self._sqlite_errors("cannot be opened" if readonly else "cannot be opened for writing"):
            if readonly:
                self._conn = sqlite3.connect(
                    readonly_uri(self.path), uri=True, isolation_level=None, check_same_thread=False
                )
                self._schema = queries.schema_of(self._conn)
                return
            self._conn = sqlite3.connect(self.path, timeout=60, isolation_level=None, check_same_thread=False)
            try:
                queries.open_for_writing(self._conn, self.path, create=not info.exists)
                self._schema = queries.schema_of(self._conn)  # an older file is migrated by begin()
            except BaseException:
                self._conn.close()
                raise

    # -- the one way to the database ------------------------------------------------------

    @contextmanager
    def _sqlite_errors(self, failing: str = "") -> Iterator[None]:
        """Translate SQLite's errors into StorageError: the only place this is done.

        ``failing`` words what could not be done (``"cannot be opened"``); without it the
        message names the study.  An integrity error means the study's row is gone (another
        process deleted or overwrote it), since every row this store writes refers to it.
        """
        try:
            yield
        except sqlite3.IntegrityError as exc:
            raise (self._gone() if self._study is not None else self._error(exc, failing)) from None
        except sqlite3.Error as exc:
            if failures.is_full(exc, self.path):
                raise self._full(exc) from None
            raise self._error(exc, failing) from None

    def _full(self, exc: sqlite3.Error) -> StorageError:
        """The disk holding the file is full.  Before the search wrote anything, a plain refusal;
        during it, the trials this run left running are marked interrupted where that can still be
        written, the store stops writing (:attr:`failure`), and the error says what became of them."""
        if self._session is None or self._study is None or self.failure is not None:
            return StorageError(failures.unwritable(describe(self.path), exc, write=not self.readonly))
        sid, unsaved = self._study.id, self._writing
        with self._lock:
            try:
                left = failures.running(self._conn, sid, self._session)
            except sqlite3.Error:  # not even readable: what this store knows it left running
                left = sorted(
                    n
                    for n, t in self._cache.items()
                    if t.state is TrialState.RUNNING and self._sessions.get(n) == self._session
                )
            marks = failures.whys(left, unsaved)
            try:
                failures.mark_unfinished(self._conn, sid, marks)
                marked = True
            except sqlite3.Error:
                marked = False  # the next open marks them (liveness.session_alive)
            for number, why in marks.items():
                record = unsaved if unsaved is not None and unsaved.number == number else self._cache.get(number)
                self._cache[number] = (record or Trial(number=number, params={})).finish(
                    state=TrialState.INTERRUPTED, error=why
                )
                self._sessions[number] = self._session
            self._sorted = None
            finished = sum(1 for t in self._cache.values() if t.state.counted)
        self.failure = StorageError(
            failures.stopped(describe(self.path), exc, unsaved=unsaved, finished=finished, left=left, marked=marked)
        )
        return self.failure

    @contextmanager
    def _database(self) -> Iterator[sqlite3.Connection]:
        """The connection, for one database call or a few: under the store's lock, errors translated."""
        with self._lock, self._sqlite_errors():
            yield self._conn

    def _transaction(self, conn: queries.Connection) -> AbstractContextManager[None]:
        """One write transaction, taken at once (``BEGIN IMMEDIATE``) so that numbers are unique."""
        assert isinstance(conn, sqlite3.Connection)
        return queries.transaction(conn)

    def _error(self, exc: sqlite3.Error, failing: str = "") -> StorageError:
        if failing:
            return StorageError(f"{describe(self.path)} {failing}: {exc}")
        study = f", study {self.study_name!r}" if self.study_name is not None else ""
        return StorageError(f"{describe(self.path)}{study}: {exc}")

    # -- the backend's part of the lifecycle (RelationalStore) ------------------------------

    def _prepare(self, conn: queries.Connection) -> None:
        """In begin's transaction: check the schema again, then migrate an older file."""
        assert isinstance(conn, sqlite3.Connection)
        problem = schema_problem(conn, self.path)  # checked on opening; again here, in the transaction
        if problem:
            raise StorageError(f"{describe(self.path)}: {problem}. Nothing was written.")
        self._schema = queries.migrate(conn)

    def _liveness(self, conn: queries.Connection, study_id: int) -> Liveness:
        """A session can still run while its process lives (on this host; on another one, it is
        taken to be alive), or, for this very process, while its store is open."""
        path = self.path
        return lambda sid, host, pid, token: session_alive(path, sid, host, pid, token)

    def _session_opened(self, session: int) -> None:
        opened(self.path, session)

    def _session_closed(self, session: int) -> None:
        closed(self.path, session)  # a "running" trial it left is over: the next open marks it

    def _connected(self) -> bool:
        return getattr(self, "_conn", None) is not None

    def _disconnect(self) -> None:
        self._conn.close()
        self._conn = None  # type: ignore[assignment]
