"""Trial stores: in memory for one search, or an SQLite file of studies that outlive the kernel.

A store hands out trial numbers and keeps every trial record.  The runner talks to it
through the :class:`~hpmagic.protocols.TrialStore` protocol, so the persistent store can
take the in-memory one's place (a store of studies, :class:`~hpmagic.protocols.StudyStore`,
adds the study's lifecycle: :func:`open_storage` opens one):

- ``reserve(limit=None)`` -- the next trial number (unique, even across processes for a
  shared store), or ``None`` when the store already holds ``limit`` trials that count
  toward the budget (every trial but the interrupted ones);
- ``reclaim(number, limit=None)`` -- take back an interrupted trial's number to run it
  again (trial 0, the defaults, of a resumed study), atomically for a shared store;
- ``release(number)`` -- give back a reserved number that was not used;
- ``put(trial)`` -- record a trial when it starts and again when it ends;
- ``trials()`` -- every trial, in number order;
- ``poll()`` -- trials that *other* writers finished since the last call (a shared study);
- ``close(result)`` -- the search is over.

The package, one module per job:

- :func:`open_storage` (here) -- the one place that turns ``--storage`` (a path, or a URL)
  into a study store, by the URL's scheme (:data:`BACKENDS`);
- :mod:`.memory` -- :class:`~.memory.MemoryStore`, the store of a search without ``--study``;
- :mod:`.relational` -- :class:`~.relational.RelationalStore`, the lifecycle the SQL stores share;
- :mod:`.sqlite` -- :class:`~.sqlite.SQLiteStore`, one study in an SQLite file;
- :mod:`.postgres` -- :class:`~.postgres.PostgresStore`, a study in PostgreSQL that several
  machines share (``postgresql://``; :mod:`.postgres_server` reaches the server, and
  :mod:`.heartbeat` tells which of its sessions are gone);
- :mod:`.records` -- what a study holds, as frozen records (the study, its sessions,
  a study read back, a summary row) and the decoding of its rows;
- :mod:`.file` -- the file format (schema, version), the checks of a file before SQLite
  opens it, and the warning for a file on a network file system;
- :mod:`.liveness` -- is the process that wrote a "running" trial still alive?
- :mod:`.failures` -- a disk that fills up: telling it apart, marking the trials left
  running, and the one message that says what became of them.

Values are stored through :mod:`hpmagic.codec` (a leaf: the search space uses it too).
The SQLite store keeps everything as JSON and text, never pickle, so opening a study
file received from someone else cannot run code.  The file is in WAL mode; each write is
one short transaction, and numbers are reserved under ``BEGIN IMMEDIATE``, so two
kernels can share a study.  ``synchronous=NORMAL`` makes every committed trial survive a
crash of the process (a kernel killed with SIGKILL); after a power failure the last few
trials may be missing, but the file stays consistent.  SQLite's locking is not safe on a
network file system: opening a study file there for writing warns
(:class:`~hpmagic.errors.StorageWarning`).

This module imports the backends only when :func:`open_storage` needs one, so that
``import hpmagic`` stays light.
"""

from __future__ import annotations

import importlib
import os
import re
from typing import TYPE_CHECKING

from ..errors import StorageError
from .file import DEFAULT_STORAGE
from .urls import redact

if TYPE_CHECKING:
    from ..protocols import StudyStore

__all__ = ["BACKENDS", "DEFAULT_STORAGE", "open_storage", "redact"]

#: ``--storage`` URL schemes -> ``"module:Class"`` of the store that keeps studies there,
#: imported on first use.  A path without a scheme is an SQLite file.
BACKENDS = {
    "sqlite": "hpmagic.storage.sqlite:SQLiteStore",
    "postgresql": "hpmagic.storage.postgres:PostgresStore",  # also postgresql+psycopg://
    "postgres": "hpmagic.storage.postgres:PostgresStore",
}

_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)://(.*)$", re.DOTALL)


def open_storage(
    target: str | os.PathLike | None = None, study: str | None = None, *, readonly: bool = False
) -> StudyStore:
    """Open the studies at ``target`` (``--storage``): study ``study`` for a search, or, with
    ``readonly=True``, for reading only (``study=None``: the storage alone, to list it).

    ``target`` is the path of an SQLite file (``None``: :data:`DEFAULT_STORAGE`), or a URL
    whose scheme names the backend: ``sqlite:///relative/path.sqlite`` and
    ``sqlite:////absolute/path.sqlite`` (three slashes and a relative path, four and an
    absolute one, as SQLAlchemy and Optuna write them) are SQLite files too.  An unknown
    scheme raises :class:`~hpmagic.errors.StorageError` naming the ones that work.
    """
    if target is None:
        target = DEFAULT_STORAGE
    text = os.fspath(target)
    if not isinstance(text, str):
        raise StorageError(f"--storage is a path or a URL, but got {target!r}")
    if not text.strip():
        raise StorageError(
            f"--storage {text!r} is empty: give the path of a study file (e.g. hpmagic.sqlite) or a URL "
            "(sqlite:///studies.sqlite, postgresql://user@host/db)"
        )
    match = _SCHEME.match(text)
    if match is None:
        return _backend("sqlite")(text, study, readonly=readonly)
    scheme, rest = match.group(1).lower(), match.group(2)
    if scheme == "sqlite":
        if not rest.startswith("/") or rest == "/":
            raise StorageError(
                f"--storage {redact(text)!r} names no file: write sqlite:///relative/path.sqlite or "
                "sqlite:////absolute/path.sqlite (or just the path)"
            )
        return _backend("sqlite")(rest[1:], study, readonly=readonly)
    backend = scheme.split("+")[0]  # postgresql+psycopg:// names the driver too
    if backend in BACKENDS:
        return _backend(backend)(text, study, readonly=readonly)
    known = ", ".join(f"{name}://" for name in BACKENDS)
    raise StorageError(
        f"--storage {redact(text)!r}: hpmagic cannot keep studies at a {scheme}:// URL; it knows {known} and plain "
        "file paths (an SQLite file, e.g. --storage studies.sqlite)"
    )


def _backend(scheme: str) -> type:
    module, _, name = BACKENDS[scheme].partition(":")
    return getattr(importlib.import_module(module), name)
