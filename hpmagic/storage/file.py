"""The study file: its format, and the checks made before SQLite opens it.

:func:`inspect_file` tells whether a path is (or can become) an hpmagic study file
without changing it: the header is read as plain bytes first, so a foreign file is
refused before SQLite opens it; then an existing file is checked through a read-only
connection that creates no side files.  Every refusal is a
:class:`~hpmagic.errors.StorageError` naming the file, the problem and the fix.
"""

from __future__ import annotations

import os
import re
import sqlite3
import stat
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from ..errors import StorageError, StorageWarning

__all__ = [
    "DEFAULT_STORAGE",
    "SCHEMA_VERSION",
    "APPLICATION_ID",
    "RELEASED",
    "SCHEMA",
    "MIGRATIONS",
    "FileInfo",
    "describe",
    "inspect_file",
    "schema_problem",
    "is_full",
    "full_disk",
    "unwritable",
    "readonly_uri",
    "closing_connection",
]

#: The study file of ``--study`` when ``--storage`` names none.
#: Schema of the study files this version writes; files from a newer schema are refused.
#: 1: hpmagic 0.1.  2: each session records the cell's code (``code``, ``code_hash``).
#: 3: each trial records its learning curve and what early stopping decided (``curve``, ``pruning``).
#: 4: several objectives and constraints: each study records its goal (``goal``, JSON; '' for one objective
#: without constraints), each trial its objectives' values and constrained quantities (``objective_values``,
#: ``constraint_values``, JSON lists).
DEFAULT_STORAGE = "hpmagic.sqlite"  # where studies are kept when --storage is not given
SCHEMA_VERSION = 4
#: SQLite's ``PRAGMA application_id`` of hpmagic study files ("hpMG").
APPLICATION_ID = 0x68704D47
#: The state of a trial number handed out and given back; never shown as a trial.
RELEASED = "released"

#: The tables and indexes of a new study file (``PRAGMA user_version`` is SCHEMA_VERSION).
SCHEMA = f"""
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
    version TEXT NOT NULL DEFAULT '',
    goal TEXT NOT NULL DEFAULT ''
);
CREATE TABLE sessions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    study_id INTEGER NOT NULL REFERENCES studies(id) ON DELETE CASCADE,
    host TEXT NOT NULL,
    pid INTEGER NOT NULL,
    process TEXT NOT NULL DEFAULT '',
    started REAL NOT NULL,
    ended REAL,
    stop_reason TEXT,
    code TEXT,
    code_hash TEXT
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
    curve TEXT NOT NULL DEFAULT '[]',
    pruning TEXT NOT NULL DEFAULT '{{}}',
    objective_values TEXT NOT NULL DEFAULT '[]',
    constraint_values TEXT NOT NULL DEFAULT '[]',
    PRIMARY KEY (study_id, number)
);
CREATE INDEX trials_by_seq ON trials(study_id, seq);
CREATE INDEX trials_counted ON trials(study_id) WHERE state NOT IN ('interrupted', '{RELEASED}');
"""
#: The statements that bring a file of schema ``v`` to ``v + 1``, run in one transaction when a
#: file is opened for writing (files of an older schema are read as they are).
MIGRATIONS: dict[int, tuple[str, ...]] = {
    1: (
        "ALTER TABLE sessions ADD COLUMN code TEXT",  # NULL: the run's code is not known
        "ALTER TABLE sessions ADD COLUMN code_hash TEXT",
    ),
    2: (
        "ALTER TABLE trials ADD COLUMN curve TEXT NOT NULL DEFAULT '[]'",
        "ALTER TABLE trials ADD COLUMN pruning TEXT NOT NULL DEFAULT '{}'",
    ),
    3: (
        "ALTER TABLE studies ADD COLUMN goal TEXT NOT NULL DEFAULT ''",  # '': one objective, as every study was
        "ALTER TABLE trials ADD COLUMN objective_values TEXT NOT NULL DEFAULT '[]'",
        "ALTER TABLE trials ADD COLUMN constraint_values TEXT NOT NULL DEFAULT '[]'",
    ),
}
_TABLES = {"studies", "sessions", "trials"}
#: The columns each schema version added, ``{version: ((table, column), ...)}``, read from MIGRATIONS.
_ADDED = {
    version + 1: tuple(re.findall(r"ALTER TABLE (\w+) ADD COLUMN (\w+)", " ".join(statements)))
    for version, statements in MIGRATIONS.items()
}
#: An I/O error with less free space than this on the file system holding the file is a full disk.
_NEARLY_FULL = 1 << 20
_KINDS = (
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISFIFO, "a named pipe (FIFO)"),
    (stat.S_ISSOCK, "a socket"),
)
_SQLITE_MAGIC = b"SQLite format 3\x00"


@dataclass(frozen=True)
class FileInfo:
    """What :func:`inspect_file` found at a path."""

    path: Path  # absolute, ``~`` expanded
    exists: bool  # False: no file yet, or an empty one (SQLite treats both as a new database)
    wal: bool = False  # the file is in WAL mode


def describe(path: Path) -> str:
    """``study file '/path/x.sqlite'``: how messages name a study file."""
    return f"study file {str(path)!r}"


def inspect_file(path: str | os.PathLike, *, write: bool) -> FileInfo:
    """Check that ``path`` is (or can become) an hpmagic study file, without changing it.

    ``write``: the file is to be written (a search), not only read (``load_study``).
    Raises :class:`~hpmagic.errors.StorageError` naming the problem and the fix: a
    directory, a device, a pipe or a socket is never opened (a pipe would block), and an
    empty file read by ``load_study`` is said to be empty (a search makes it a study file).
    """
    path = Path(os.path.expanduser(os.fspath(path))).absolute()
    where = describe(path)
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        mode = None
    except OSError as exc:  # a path through a file, a loop of links, no permission to look
        raise StorageError(f"{where} cannot be looked at ({exc.strerror or exc}); {_fix(write)}") from None
    if mode is None:
        if write and not path.parent.is_dir():
            raise StorageError(
                f"{where} cannot be created: directory {str(path.parent)!r} does not exist; "
                "create it first, or pass another --storage path"
            )
        if write and not os.access(path.parent, os.W_OK):
            raise StorageError(
                f"{where} cannot be created: directory {str(path.parent)!r} is not writable; pass another --storage path"
            )
        return FileInfo(path, exists=False)
    if not stat.S_ISREG(mode):
        raise StorageError(_not_a_file(path, where, mode, write))
    if write:
        _check_writable(path, where)
    with open(path, "rb") as handle:
        header = handle.read(100)
    if not header:
        if not write:
            raise StorageError(f"{where} is empty (0 bytes): no study was ever written to it; {_fix(write)}")
        return FileInfo(path, exists=False)
    app_id, wal = _check_header(header, where, write)
    if not _check_tables(path, where, app_id, write):
        return FileInfo(path, exists=False)
    return FileInfo(path, exists=True, wal=wal)


#: File systems on which SQLite's file locking cannot be trusted: several hosts (or several
#: kernels) writing one study file there may corrupt it (SQLite's FAQ, "How To Corrupt").
NETWORK_FILE_SYSTEMS = frozenset(
    {
        "nfs",
        "nfs4",
        "cifs",
        "smb3",
        "smbfs",
        "afs",
        "9p",
        "ceph",
        "glusterfs",
        "lustre",
        "gpfs",
        "beegfs",
        "fuse.sshfs",
        "fuse.s3fs",
        "fuse.gcsfuse",
        "fuse.rclone",
        "fuse.glusterfs",
        "fuse.cephfs",
        "davfs",
    }
)
MOUNTS = "/proc/mounts"


def network_file_system(path: Path, mounts: str | None = None) -> str | None:
    """The type of network file system that holds ``path`` (``"nfs4"``), or ``None``.

    Read from the mount table (Linux, :data:`MOUNTS` unless ``mounts`` names another file): the
    mount with the longest mount point above ``path`` decides.  ``None`` where the table cannot
    be read (another system) or says nothing.
    """
    try:
        with open(MOUNTS if mounts is None else mounts, encoding="utf-8", errors="replace") as handle:
            table = [line.split() for line in handle]
    except OSError:
        return None
    where = os.path.realpath(path.parent)
    best, kind = "", None
    for fields in table:
        if len(fields) < 3:
            continue
        point = fields[1].replace("\\040", " ")
        inside = where == point or where.startswith(point.rstrip("/") + "/")
        if inside and len(point) >= len(best):
            best, kind = point, fields[2]
    return kind if kind in NETWORK_FILE_SYSTEMS else None


def network_warning(path: Path, kind: str) -> str:
    """The warning for a study file on a network file system."""
    return (
        f"{describe(path)} is on a network file system ({kind}), where SQLite's file locking is not reliable: "
        "two kernels (or two machines) writing this study at once may corrupt it. Keep study files on a local "
        "disk (--storage /local/path/studies.sqlite), and share a study between machines through a database "
        "server rather than a shared file"
    )


_warned: set[Path] = set()  # study files on a network file system warned about in this process


def warn_if_networked(path: Path) -> None:
    """Warn (:class:`~hpmagic.errors.StorageWarning`, once per file and process) when the study
    file ``path`` lies on a network file system."""
    kind = network_file_system(path) if path not in _warned else None
    if kind is not None:
        _warned.add(path)
        warnings.warn(network_warning(path, kind), StorageWarning, stacklevel=3)


def _fix(write: bool) -> str:
    """What a refusal says to do: where a search or ``load_study`` should point instead."""
    if write:
        return "pass --storage the path of a study file, or a new path (the file is created)"
    return "pass storage= the path of the SQLite file that --storage named when the study ran"


def _not_a_file(path: Path, where: str, mode: int, write: bool) -> str:
    """The refusal of a path that exists but is no regular file: a directory, a device, a pipe."""
    if stat.S_ISDIR(mode):
        try:
            inside = sorted(p.name for p in path.glob("*.sqlite"))
        except OSError:
            inside = []
        held = f" (it holds {', '.join(repr(n) for n in inside[:5])})" if inside else ""
        example = str(path / (inside[0] if inside else DEFAULT_STORAGE))
        fix = (
            "pass --storage the path of a file (an existing study file, or a new one: it is created)"
            if write
            else _fix(write)
        )
        return f"{where} is a directory{held}, not a study file; {fix}, e.g. {example!r}"
    kind = next((word for test, word in _KINDS if test(mode)), "not a regular file")
    return f"{where} is {kind}, not a study file: studies are kept in an SQLite file on disk; {_fix(write)}"


def _check_writable(path: Path, where: str) -> None:
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


def _foreign(where: str, write: bool) -> StorageError:
    fix = "pass another --storage path (a new file is created)" if write else _fix(write)
    return StorageError(
        f"{where} is an SQLite database of another application, not an hpmagic study file; {fix}. "
        "The file was left untouched."
    )


def _check_header(header: bytes, where: str, write: bool) -> tuple[int, bool]:
    """The application id and WAL flag of an SQLite header, or a refusal of a foreign or newer file."""
    if len(header) < 100 or not header.startswith(_SQLITE_MAGIC):
        fix = (
            "pass a new path with --storage (it is created) or an existing hpmagic study file" if write else _fix(write)
        )
        raise StorageError(
            f"{where} is not an SQLite database (its first bytes are {header[:16]!r}); hpmagic keeps studies in "
            f"SQLite files, so {fix}. The file was left untouched."
        )
    app_id = int.from_bytes(header[68:72], "big")
    schema = int.from_bytes(header[60:64], "big")
    wal = header[18] == 2
    if app_id not in (0, APPLICATION_ID) or (app_id == 0 and wal):
        raise _foreign(where, write)
    if app_id == APPLICATION_ID and schema > SCHEMA_VERSION:
        raise StorageError(
            f"{where} was written by a newer hpmagic (study schema {schema}; this version reads up to "
            f"{SCHEMA_VERSION}); upgrade hpmagic (pip install -U hpmagic) to use it. The file was left untouched."
        )
    return app_id, wal


def _check_tables(path: Path, where: str, app_id: int, write: bool) -> bool:
    """True for a sound study file; False for an empty SQLite database (it becomes one).

    The file's own translation of SQLite errors: whatever SQLite reports while checking
    means the file is damaged.
    """
    try:
        with closing_connection(readonly_uri(path)) as conn:
            tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            if app_id == 0:
                if tables:
                    raise _foreign(where, write)
                return False
            check = conn.execute("PRAGMA quick_check").fetchone()[0]
            if check != "ok":
                raise sqlite3.DatabaseError(check)
            if not _TABLES <= tables:
                raise sqlite3.DatabaseError(f"tables {', '.join(sorted(_TABLES - tables))} are missing")
            problem = schema_problem(conn, path)
            if problem:
                raise StorageError(f"{where}: {problem}. The file was left untouched.")
    except sqlite3.Error as exc:
        if is_full(exc, path):
            raise StorageError(unwritable(where, exc, write=False)) from None
        raise StorageError(
            f"{where} is damaged ({exc}); it cannot be read as an hpmagic study file. The file was left untouched: "
            "keep it for inspection, restore a copy, or pass another --storage path."
        ) from None
    return True


def schema_problem(conn: sqlite3.Connection, path: Path) -> str:
    """Why the file's schema version (``PRAGMA user_version``) and its columns disagree, with the
    fix; ``""`` when they agree.

    A version number lowered by hand would make a search re-run a migration that was made
    already ("duplicate column name"); a raised one would make reading ask for columns that
    are not there.  Neither is ever written by hpmagic.
    """
    stated = conn.execute("PRAGMA user_version").fetchone()[0]
    columns: dict[str, set[str]] = {}
    for table in _TABLES:
        columns[table] = {row[1] for row in conn.execute(f"PRAGMA table_info({table})")}
    have = [version for version in sorted(_ADDED) if any(c in columns[t] for t, c in _ADDED[version])]
    actual = max(have, default=1)
    lacking = [f"{t}.{c}" for version in range(2, actual + 1) for t, c in _ADDED[version] if c not in columns[t]]
    if lacking:
        return (
            f"it has columns of study schema {actual} but lacks {', '.join(lacking)}, so it matches no "
            "version of the format: the file was changed by hand or by another program; restore it from a "
            "copy, or pass another --storage path"
        )
    if stated == actual or stated > SCHEMA_VERSION:
        return ""
    said = (
        f"already has the columns of version {actual}"
        if stated < actual
        else f"has only the columns of version {actual}"
    )
    return (
        f"its schema version says {stated} but it {said}: the file was changed by hand or by another program "
        f"(hpmagic sets the version in the same transaction as the columns). If only the version number was "
        f"changed, set it back (in Python: `import sqlite3; sqlite3.connect({str(path)!r}).execute("
        f"'PRAGMA user_version = {actual}')`); otherwise restore the file from a copy"
    )


def is_full(exc: sqlite3.Error, path: Path) -> bool:
    """True when ``exc`` means that the disk (or file system) holding ``path`` is full (SQLite says
    "database or disk is full", or an I/O error while there is no room left)."""
    code = getattr(exc, "sqlite_errorcode", None)
    if code is None:
        return "database or disk is full" in str(exc)
    if code & 0xFF == sqlite3.SQLITE_FULL:
        return True
    if code & 0xFF != sqlite3.SQLITE_IOERR:
        return False
    try:
        disk = os.statvfs(path.parent)
    except OSError:
        return False
    return disk.f_bavail * disk.f_frsize < _NEARLY_FULL


def full_disk(where: str, exc: sqlite3.Error) -> str:
    """``the disk (or file system) holding study file '...' is full (SQLite: ...)``."""
    return f"the disk (or file system) holding {where} is full (SQLite: {exc})"


def unwritable(where: str, exc: sqlite3.Error, *, write: bool = True) -> str:
    """The message of a full disk met before a search wrote anything (or while reading)."""
    if not write:
        return (
            f"{full_disk(where, exc)}, so the file cannot be read (SQLite needs a little room to read a file "
            "in WAL mode); nothing was changed. Fix: free space on that disk and try again."
        )
    return (
        f"{full_disk(where, exc)}, so the study could not be opened for writing; nothing was written. Fix: free space "
        "on that disk and run the cell again, or pass --storage a path on a disk with space."
    )


def readonly_uri(path: Path) -> str:
    """The URI that opens ``path`` read-only, creating no side files where it can."""
    # Without a -wal file every committed page is in the main file, and `immutable` reads it
    # without creating -wal/-shm side files; with one, a plain read-only open sees the WAL too.
    wal_file = path.with_name(path.name + "-wal")
    return path.as_uri() + ("?mode=ro" if wal_file.exists() else "?mode=ro&immutable=1")


@contextmanager
def closing_connection(uri: str) -> Iterator[sqlite3.Connection]:
    """A connection to ``uri``, closed on leaving the block."""
    conn = sqlite3.connect(uri, uri=True, isolation_level=None)
    try:
        yield conn
    finally:
        conn.close()
