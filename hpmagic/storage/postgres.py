"""The PostgreSQL trial store: a study that several machines share.

``--storage postgresql://user:password@host:port/db`` (or ``postgres://``,
``postgresql+psycopg://``) keeps studies in a PostgreSQL database, through psycopg 3 (the
optional extra ``hpmagic[postgresql]``).  The schema and the semantics are the SQLite
store's (:class:`~.relational.RelationalStore` holds the lifecycle both run): JSON and
text only, never pickle; ``--overwrite`` archives; a resumed study says what changed; a
changed cell is a :class:`~hpmagic.errors.StudyMismatchError`.

Several kernels on several machines may write one study at once.  Each write is one short
transaction that first takes a transaction-scoped advisory lock on the study (its id;
:meth:`~.relational.RelationalStore.begin` also takes the catalog's, 0, before it looks
the study up), so trial numbers are handed out one at a time, as SQLite's
``BEGIN IMMEDIATE`` does for a file, while studies of one database do not wait on each other.

Liveness is by heartbeat (:mod:`.heartbeat`): a session writes one every
``heartbeat`` seconds while its store is open; a running trial whose session has been
silent for ``grace`` seconds reads as interrupted and is marked so on the next ``begin``.

Connecting turns every failure into a :class:`~hpmagic.errors.StorageError` that names the
server and what to check (:mod:`.postgres_server`); a database of another program or of a
newer hpmagic is refused before anything is written.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from ..errors import StorageError
from . import heartbeat as heartbeats
from . import queries
from .file import MIGRATIONS, SCHEMA_VERSION
from .liveness import closed, opened
from .postgres_server import PgConnection, Server, check_schema, connect, create_schema, parse, scrub
from .records import Liveness
from .relational import RelationalStore
from .urls import redact

__all__ = ["PostgresStore"]


class PostgresStore(RelationalStore):
    """Trials of one study in a PostgreSQL database, shared by processes on several hosts.

    ``study=None`` opens the database alone, read-only, for :meth:`study_names` and
    :meth:`summaries`.  ``readonly=True`` never writes (``load_study``).  ``heartbeat`` and
    ``grace`` (seconds) default to :data:`.heartbeat.HEARTBEAT_SECONDS` and
    :data:`.heartbeat.GRACE_SECONDS` as they are when the store opens.
    """

    def __init__(
        self,
        url: str,
        study: str | None,
        *,
        readonly: bool = False,
        heartbeat: float | None = None,
        grace: float | None = None,
    ) -> None:
        self._setup(study, readonly)
        self._server: Server = parse(url, redact(url))
        self.location = self._server.shown  # without the password: notes and messages show it
        self.where = self._server.where
        self.heartbeat = heartbeat if heartbeat is not None else heartbeats.HEARTBEAT_SECONDS
        self.grace = grace if grace is not None else heartbeats.GRACE_SECONDS
        self._beat: heartbeats.Heartbeat | None = None
        self._conn: PgConnection | None = connect(self._server)
        try:
            with self._database() as conn:
                assert isinstance(conn, PgConnection)
                version = check_schema(conn, self._server)
                if version is None and readonly:
                    raise StorageError(
                        f"{self.where} holds no hpmagic studies (it has no hpmagic tables); pass storage= the URL "
                        "that --storage named when the study ran"
                    )
                self._schema = version if version is not None else create_schema(conn, self._server)
        except BaseException:
            self._disconnect()
            raise

    # -- the one way to the database ------------------------------------------------------

    @contextmanager
    def _database(self) -> Iterator[queries.Connection]:
        """The connection, for one database call or a few: under the store's lock, errors translated."""
        import psycopg

        with self._lock:
            if self._conn is None:
                raise StorageError(f"{self.where}: the store was closed")
            try:
                yield self._conn
            except psycopg.IntegrityError as exc:
                raise (self._gone() if self._study is not None else self._error(exc)) from None
            except psycopg.OperationalError as exc:
                raise StorageError(
                    f"{self.where}: the connection to the server failed ({self._said(exc)}); the trials recorded "
                    "before are safe in the database. Check that the server is running and reachable, then run "
                    "the cell again: the study resumes."
                ) from None
            except psycopg.Error as exc:
                raise self._error(exc) from None

    def _said(self, exc: BaseException) -> str:
        return scrub(exc, self._server.password)

    def _error(self, exc: BaseException) -> StorageError:
        study = f", study {self.study_name!r}" if self.study_name is not None else ""
        return StorageError(f"{self.where}{study}: {self._said(exc)}")

    @contextmanager
    def _transaction(self, conn: queries.Connection) -> Iterator[None]:
        """One transaction holding the study's advisory lock (the catalog's before begin has one)."""
        assert isinstance(conn, PgConnection)
        with conn.raw.transaction():
            conn.lock(self._study.id if self._study is not None else 0)
            yield

    def _kind(self) -> str:
        return "database"

    # -- the backend's part of the lifecycle (RelationalStore) ------------------------------

    def _prepare(self, conn: queries.Connection) -> None:
        """In begin's transaction (under the catalog lock): the schema is still one this version writes,
        and tables of an older schema are migrated (the same statements as a study file's)."""
        assert isinstance(conn, PgConnection)
        version = check_schema(conn, self._server)
        if version is None:  # dropped since the store opened
            raise StorageError(
                f"{self.where}: hpmagic's tables were dropped while the store was open; "
                "run the cell again to create them"
            )
        while version < SCHEMA_VERSION:
            for statement in MIGRATIONS[version]:
                conn.execute(statement, ())
            version += 1
            conn.execute("UPDATE hpmagic_meta SET value = ? WHERE key = 'schema'", (str(version),))
        self._schema = version

    def _lock_study(self, conn: queries.Connection, study_id: int) -> None:
        assert isinstance(conn, PgConnection)
        conn.lock(study_id)

    def _liveness(self, conn: queries.Connection, study_id: int) -> Liveness:
        """Alive while its heartbeat is recent (and, on this host, its process lives)."""
        return heartbeats.liveness(self.location, heartbeats.ages(conn, study_id), self.grace)

    def _session_opened(self, session: int) -> None:
        opened(self.location, session)
        self._beat = heartbeats.Heartbeat(lambda: connect(self._server), session, self.heartbeat)

    def _session_closed(self, session: int) -> None:
        closed(self.location, session)
        if self._beat is not None:
            self._beat.stop()
            self._beat = None

    def _connected(self) -> bool:
        return self._conn is not None

    def _disconnect(self) -> None:
        if self._beat is not None:
            self._beat.stop()
            self._beat = None
        if self._conn is not None:
            try:
                self._conn.close()
            finally:
                self._conn = None
