"""What the SQL study stores share: the whole study lifecycle over one schema.

:class:`RelationalStore` holds everything a study store does that does not depend on the
database: creating or resuming a study (:meth:`~RelationalStore.begin`), the trial-store
protocol (reserve, reclaim, release, put, trials, poll, close) and the read API (study,
sessions, read_study, summaries).  It runs the statements of :mod:`.queries`, written once.

A backend (:class:`~.sqlite.SQLiteStore`, :class:`~.postgres.PostgresStore`) says how to
reach its database; its ``__init__`` sets :attr:`~RelationalStore.location` and
:attr:`~RelationalStore.where` and calls :meth:`~RelationalStore._setup`, then it provides:

- ``_database()``: the connection for one call or a few, under the store's lock, with the
  driver's errors translated into :class:`~hpmagic.errors.StorageError` (the only place
  each backend does this);
- ``_transaction()``: one write transaction, holding the lock that keeps trial numbers
  unique across processes (SQLite: ``BEGIN IMMEDIATE``; PostgreSQL: an advisory lock);
- ``_prepare(conn)``: in :meth:`begin`'s transaction, check (and migrate) the schema;
- ``_lock_study(conn, id)``: in :meth:`begin`'s transaction, lock the study found;
- ``_liveness(conn, study_id)``: which sessions of the study can still be running (the backend's decision: PID
  on one host, a heartbeat across hosts);
- ``_session_opened(id)``, ``_session_closed(id)``: this process's run starts and ends;
- ``_disconnect()``: close the connection.
"""

from __future__ import annotations

import json
import math
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import TYPE_CHECKING, Any

from .. import codec
from ..core import Direction, Trial, TrialState
from ..errors import StorageError, StudyMismatchError
from ..objectives import Goal
from ..space import SearchSpace
from . import queries
from .file import RELEASED, SCHEMA_VERSION
from .records import (
    Archive,
    Liveness,
    Resume,
    SessionRecord,
    StoredStudy,
    StudyRecord,
    StudySummary,
    session_columns,
    session_from_row,
    study_columns,
    study_from_row,
    trial_columns,
    trial_from_row,
)

if TYPE_CHECKING:
    from ..result import TuneResult

__all__ = ["RelationalStore", "ENDED_EARLY"]

#: What a trial a search left running records when its store closes.
ENDED_EARLY = "the search ended before this trial finished"


class RelationalStore:
    """The trials of one study in an SQL database: the lifecycle every SQL backend shares."""

    #: Where the studies are, as messages name it and ``load_study(storage=...)`` opens it again.
    location: str
    #: How messages name the storage: ``study file '/x.sqlite'``, ``PostgreSQL database '...'``.
    where: str

    def _setup(self, study: str | None, readonly: bool) -> None:
        """Check the study name and set the state every backend starts with."""
        if study is None and not readonly:
            raise StorageError("a study name is needed to write trials; pass --study NAME")
        if study is not None and (not isinstance(study, str) or not study.strip()):
            raise StorageError(f"a study name must be a non-empty string, but got {study!r}")
        self.study_name = study
        self.readonly = readonly
        self._lock = threading.RLock()
        self._study: StudyRecord | None = None
        self._session: int | None = None
        self._cache: dict[int, Trial] = {}
        self._sessions: dict[int, int | None] = {}  # trial number -> session that wrote it
        self._seq = 0
        self._loaded = False
        self._foreign: list[Trial] = []
        self._sorted: list[Trial] | None = None
        self._schema = SCHEMA_VERSION
        #: The error that stopped this store's search (a full disk; the search raises it, with its result).
        self.failure: StorageError | None = None
        self._writing: Trial | None = None  # the record put() is writing, for the message of a full disk

    # -- what each backend provides ---------------------------------------------------------

    def _database(self) -> AbstractContextManager[queries.Connection]:
        raise NotImplementedError

    def _transaction(self, conn: queries.Connection) -> AbstractContextManager[None]:
        raise NotImplementedError

    def _prepare(self, conn: queries.Connection) -> None:
        raise NotImplementedError

    def _lock_study(self, conn: queries.Connection, study_id: int) -> None:
        """Lock the study found by :meth:`begin` for the rest of its transaction (by default, nothing)."""

    def _liveness(self, conn: queries.Connection, study_id: int) -> Liveness:
        raise NotImplementedError

    def _session_opened(self, session: int) -> None:
        raise NotImplementedError

    def _session_closed(self, session: int) -> None:
        raise NotImplementedError

    def _connected(self) -> bool:
        raise NotImplementedError

    def _disconnect(self) -> None:
        raise NotImplementedError

    # -- shared plumbing ----------------------------------------------------------------------

    @contextmanager
    def _write(self) -> Iterator[queries.Connection]:
        """One write transaction, holding the lock that keeps trial numbers unique."""
        if self.readonly:
            raise StorageError(f"{self.where} was opened read-only")
        with self._database() as conn, self._transaction(conn):
            yield conn

    def _gone(self, now_named: str | None = None) -> StorageError:
        kept = f" (its trials are kept as study {now_named!r})" if now_named else ""
        return StorageError(
            f"study {self.study_name!r} in {self.location!r} was deleted or overwritten by another process "
            f"while this search ran{kept}; trials from now on cannot be recorded"
        )

    def _check_ours(self, conn: queries.Connection, study_id: int) -> None:
        """Raise when another process archived (``--overwrite``) or deleted this study meanwhile."""
        name = queries.study_name(conn, study_id)
        if name != self.study_name:
            raise self._gone(name)

    # -- creating or resuming the study -----------------------------------------------------

    def begin(
        self,
        *,
        space: SearchSpace,
        direction: Direction | str,
        metric: str,
        baseline: bool,
        seed: int,
        budget: int,
        strategy: str,
        overwrite: bool = False,
        explicit_seed: bool = False,
        code: str | None = None,
        goal: Goal | None = None,
    ) -> Resume:
        """Create the study, or check that the cell still matches it and resume it.

        Before anything is written, the stored study and all its trials are read and checked
        (a damaged row raises StorageError naming it; the storage is left untouched).  Then, in
        one transaction: an older schema is migrated; ``overwrite`` archives the stored study
        under another name (``Resume.archive``; nothing is deleted, nor read first); a changed
        space, direction or metric raises :class:`StudyMismatchError`; trials of sessions that
        are gone are marked interrupted; and unless the study already holds ``budget`` trials
        (``Resume.complete``) a session is opened, recording ``code``, the cell's code.  ``goal``: the
        objectives and constraints (``None``, or a plain goal: one objective in ``direction``); a
        changed goal is refused as a changed space is."""
        direction = Direction(direction)
        goal = None if goal is None or goal.plain else goal
        checked = None if overwrite else self._check_stored()
        now = time.time()
        with self._write() as conn:
            record, archive = self._stored_study(conn, overwrite, checked, now)
            created = record is None
            if record is None:
                queries.insert_study(
                    conn, str(self.study_name), json.dumps(space.to_json()), direction.value, metric,
                    baseline=baseline, seed=seed, budget=budget, strategy=strategy, now=now,
                    goal="" if goal is None else json.dumps(goal.to_json()),
                )  # fmt: skip
                record = self.study()
                assert record is not None
            else:
                self._refuse_changes(conn, record, space, direction, metric, goal)
            stock = self._take_stock(conn, record.id, now, code)
            complete = stock["counted"] >= budget
            session = 0
            if not complete:
                self._session, session = queries.open_session(
                    conn, record.id, now, budget=budget, strategy=strategy, seed=seed if explicit_seed else None,
                    code=code,
                )  # fmt: skip
        if self._session is not None:
            self._session_opened(self._session)
        self._study = self.study()
        study_seed = seed if created or explicit_seed or record.seed is None else record.seed
        return Resume(
            study=self._study or record, created=created, session=session, complete=complete, archive=archive,
            strategy_seed=queries.session_seed(study_seed, session), **stock,
        )  # fmt: skip

    def _take_stock(self, conn: queries.Connection, study_id: int, now: float, code: str | None) -> dict[str, Any]:
        """In begin's transaction: mark the trials of sessions that are gone interrupted, then what the
        study holds, as :class:`~.records.Resume`'s fields of the same names."""
        interrupted = queries.mark_dead(conn, study_id, now, self._liveness(conn, study_id))
        previous_code, other_code = queries.code_history(conn, study_id, code)
        completed, first_failure = queries.outcomes(conn, study_id)
        return {
            "interrupted": interrupted, "counted": queries.count_counted(conn, study_id),
            "previous_code": previous_code, "other_code": other_code,
            "completed": completed, "first_failure": first_failure,
        }  # fmt: skip

    def _stored_study(
        self, conn: queries.Connection, overwrite: bool, checked: int | None, now: float
    ) -> tuple[StudyRecord | None, Archive | None]:
        """In begin's transaction: migrate an older schema, then the stored study to resume (``None``:
        there is none, or ``overwrite`` archived it, which the second item describes)."""
        self._prepare(conn)
        stored = conn.execute("SELECT id FROM studies WHERE name = ?", (self.study_name,)).fetchone()
        archive = None
        if stored is not None:
            self._lock_study(conn, stored[0])
            if overwrite:
                archive = queries.archive_study(conn, stored[0], str(self.study_name), now)
        record = None if stored is None or archive is not None else self.study()
        if record is None or record.id != checked:
            self._forget()  # what was read before belongs to another study now
        return record, archive

    def _check_stored(self) -> int | None:
        """Read and check the stored study and all its trials before anything is written;
        returns its id (``None``: no such study yet).  What was read is kept for the search."""
        try:
            record = self.study()
            if record is not None:
                self._refresh()
        except StorageError as exc:
            raise StorageError(f"{exc}. Nothing was written: the {self._kind()} was left untouched.") from None
        # The search's first look at the trials (``trials()`` in the runner) is still to come:
        # trials others finish until then are stored ones to it, not news for ``poll()``.
        self._loaded = False
        return None if record is None else record.id

    def _kind(self) -> str:
        """What the storage is, in a message: ``file`` or ``database``."""
        return "file"

    def _forget(self) -> None:
        with self._lock:
            self._cache.clear()
            self._sessions.clear()
            self._seq, self._loaded, self._foreign, self._sorted = 0, False, [], None

    def _refuse_changes(
        self,
        conn: queries.Connection,
        record: StudyRecord,
        space: SearchSpace,
        direction: Direction,
        metric: str,
        goal: Goal | None = None,
    ) -> None:
        changes = record.diff(space=space, direction=direction, metric=metric, goal=goal)
        if changes:
            raise StudyMismatchError(
                f"study {self.study_name!r} in {self.location!r} was run with a different cell, so its "
                f"trials cannot be mixed with this one's:\n  - " + "\n  - ".join(changes) + "\n"
                f"Run the cell as a new study (--study {self.study_name}-2), or start this one afresh "
                f"with --overwrite (its {queries.count_counted(conn, record.id)} trials are kept, archived under "
                f"another name).",
                stored_direction=None if record.direction == direction else record.direction.value,
            )

    # -- the store protocol -----------------------------------------------------------------

    def _study_id(self) -> int:
        if self._study is None:
            raise StorageError(f"study {self.study_name!r}: begin() must be called before trials are written")
        return self._study.id

    def reserve(self, limit: int | None = None) -> int | None:
        """The next trial number, recorded as running; ``None`` when ``limit`` trials that count are held."""
        sid = self._study_id()
        with self._write() as conn:
            self._check_ours(conn, sid)
            if limit is not None and queries.count_counted(conn, sid) >= limit:
                return None
            number = conn.execute(
                "SELECT coalesce(max(number), -1) + 1 FROM trials WHERE study_id = ?", (sid,)
            ).fetchone()[0]
            conn.execute(
                "INSERT INTO trials (study_id, number, session_id, state, started, seq) "
                f"VALUES (?, ?, ?, 'running', ?, {queries.NEXT_SEQ})",
                (sid, number, self._session, time.time(), sid),
            )
        return number

    def reclaim(self, number: int, limit: int | None = None) -> bool:
        """Take back trial ``number`` if it was interrupted, recorded as running again in this
        run (to run the defaults again as trial 0); False when it is not interrupted, or
        ``limit`` trials that count are held.  Of two processes sharing the study, one gets it."""
        sid = self._study_id()
        with self._write() as conn:
            self._check_ours(conn, sid)
            return queries.reclaim(conn, sid, number, self._session, time.time(), limit)

    def release(self, number: int) -> None:
        """Give back a reserved number that was not used (it never shows as a trial)."""
        sid = self._study_id()
        with self._write() as conn:
            conn.execute(
                f"UPDATE trials SET state = ?, seq = {queries.NEXT_SEQ} WHERE study_id = ? AND number = ?",
                (RELEASED, sid, sid, number),
            )
        with self._lock:
            self._cache.pop(number, None)
            self._sorted = None

    def put(self, trial: Trial) -> None:
        """Record ``trial`` (its start, then its end) in its reserved row.

        After a full disk stopped the search (:attr:`failure`), nothing more is written: the
        store has marked its running trials interrupted already, or the next run will."""
        sid = self._study_id()
        if self.failure is not None:
            return
        value = trial.value if trial.value is None or math.isfinite(trial.value) else None
        row = (
            trial.state.value,
            codec.dumps(trial.params),
            value,
            codec.dumps(trial.metrics),
            float(trial.duration),
            trial.stdout,
            trial.stderr,
            codec.dumps(list(trial.warnings)),
            trial.error,
            float(trial.started),
            codec.dumps([list(point) for point in trial.curve]),
            codec.dumps(trial.pruning),
            codec.dumps(list(trial.values)),
            codec.dumps([None if math.isnan(c) else c for c in trial.constraints]),
        )
        self._writing = trial
        try:
            with self._write() as conn:
                cur = conn.execute(
                    "UPDATE trials SET state = ?, params = ?, value = ?, metrics = ?, duration = ?, stdout = ?, "
                    "stderr = ?, warnings = ?, error = ?, started = ?, curve = ?, pruning = ?, objective_values = ?, "
                    "constraint_values = ?, "
                    f"seq = {queries.NEXT_SEQ}, session_id = ? WHERE study_id = ? AND number = ?",
                    (*row, sid, self._session, sid, trial.number),
                )
                if cur.rowcount != 1:
                    raise self._gone()
        finally:
            self._writing = None
        with self._lock:
            self._cache[trial.number] = trial
            self._sessions[trial.number] = self._session
            self._sorted = None

    def _refresh(self) -> None:
        """Read every trial written since the last look (by anyone)."""
        record = self._study or self.study()
        if record is None:
            return
        with self._database() as conn:
            rows = conn.execute(
                f"SELECT {trial_columns(self._schema)} FROM trials WHERE study_id = ? AND seq > ? ORDER BY seq",
                (record.id, self._seq),
            ).fetchall()
            first = not self._loaded
            self._loaded = True
            for row in rows:
                number, session, state, seq = row[0], row[1], row[2], row[12]  # see TRIAL_COLUMNS
                trial = None if state == RELEASED else trial_from_row(row, self.where, record.name, record.space)
                self._seq = max(self._seq, seq) if isinstance(seq, int) else self._seq
                self._sorted = None
                if trial is None:
                    self._cache.pop(number, None)
                    continue
                if self.failure is not None and session == self._session and trial.state is TrialState.RUNNING:
                    continue  # left running by this search, which a full disk stopped: interrupted (_full)
                self._cache[number] = trial
                self._sessions[number] = session
                if not first and session != self._session and trial.state.counted:
                    self._foreign.append(trial)

    def trials(self) -> list[Trial]:
        """Every trial of the study, in number order (as stored: running ones included)."""
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

    def close(self, result: TuneResult | None = None) -> None:
        """Record how this run ended, mark its own unfinished trials interrupted, and disconnect."""
        if not self._connected():
            return
        try:
            if self._session is not None and self._study is not None:
                self._record_end(self._study.id, self._session, result)
        except StorageError:
            pass  # the study may have been overwritten meanwhile; nothing more to record
        finally:
            if self._session is not None:
                self._session_closed(self._session)  # a "running" trial it left is over: the next open marks it
            self._session = None
            self._disconnect()

    def _record_end(self, study_id: int, session: int, result: TuneResult | None) -> None:
        now = time.time()
        stop = str(result.stop_reason) if result is not None and result.stop_reason else "error"
        with self._write() as conn:
            queries.interrupt_running(conn, study_id, session, ENDED_EARLY)
            conn.execute("UPDATE sessions SET ended = ?, stop_reason = ? WHERE id = ?", (now, stop, session))
            if result is not None:
                conn.execute(
                    "UPDATE studies SET strategy = ?, strategy_reason = ?, notes = ?, updated = ? WHERE id = ?",
                    (result.strategy, result.strategy_reason, json.dumps(self._lasting(result.notes)), now, study_id),
                )

    def _lasting(self, notes: Iterable[str]) -> list[str]:
        """The notes worth keeping with the study (not this run's own "study ... resumed" lines)."""
        return [n for n in notes if not n.startswith(f"study {self.study_name!r} in ")]

    # -- the read API -----------------------------------------------------------------------

    def study(self) -> StudyRecord | None:
        """The stored description of this store's study, or ``None`` when there is none yet."""
        if self.study_name is None:
            return None
        with self._database() as conn:
            row = conn.execute(
                f"SELECT {study_columns(self._schema)} FROM studies WHERE name = ?", (self.study_name,)
            ).fetchone()
        return None if row is None else study_from_row(row, self.where)

    def study_names(self) -> list[str]:
        """The names of the storage's studies, oldest first."""
        with self._database() as conn:
            return [r[0] for r in conn.execute("SELECT name FROM studies ORDER BY created", ()).fetchall()]

    def sessions(self) -> list[SessionRecord]:
        """The runs of this store's study, in the order they started."""
        record = self._study or self.study()
        if record is None:
            return []
        with self._database() as conn:
            rows = conn.execute(
                f"SELECT {session_columns(self._schema)} FROM sessions WHERE study_id = ? ORDER BY id", (record.id,)
            ).fetchall()
            live = self._liveness(conn, record.id)
        return [session_from_row(r, self.where, record.name, live) for r in rows]

    def session_of(self, number: int) -> int | None:
        """The id of the session that last wrote trial ``number`` (as :meth:`trials` read it)."""
        return self._sessions.get(number)

    def read_study(self) -> StoredStudy | None:
        """This store's study as it stands, or ``None`` when the storage holds no such study.

        A trial left running by a session that is gone shows as interrupted (the storage is
        not changed: it is marked so when the study next resumes).
        """
        record = self.study()
        if record is None:
            return None
        return StoredStudy.assemble(record, self.trials(), self.sessions(), self.session_of)

    def summaries(self) -> list[StudySummary]:
        """One summary per study of the storage, oldest first; no parameter or note is decoded."""
        with self._database() as conn:
            return queries.summaries(conn, self.where)
