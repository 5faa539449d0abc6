"""Trial stores: in memory for one search, or an SQLite file of studies that outlive the kernel.

A store hands out trial numbers and keeps every trial record.  The runner talks to it
through the :class:`~hpmagic.protocols.TrialStore` protocol, so the persistent store can
take the in-memory one's place:

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

- :mod:`.memory` -- :class:`~.memory.MemoryStore`, the store of a search without ``--study``;
- :mod:`.sqlite` -- :class:`~.sqlite.SQLiteStore`, one study in an SQLite file, with the
  read API that :func:`hpmagic.load_study` and :func:`hpmagic.list_studies` use;
- :mod:`.records` -- what a study file holds, as frozen records (the study, its sessions,
  a study read back, a summary row) and the decoding of its rows;
- :mod:`.codec` -- the one JSON codec of parameter values, defaults, choices and metrics
  (the search space uses it too);
- :mod:`.file` -- the file format (schema, version) and the checks of a file before
  SQLite opens it;
- :mod:`.liveness` -- is the process that wrote a "running" trial still alive?
- :mod:`.failures` -- a disk that fills up: telling it apart, marking the trials left
  running, and the one message that says what became of them.

The SQLite store keeps everything as JSON and text, never pickle, so opening a study
file received from someone else cannot run code.  The file is in WAL mode; each write is
one short transaction, and numbers are reserved under ``BEGIN IMMEDIATE``, so two
kernels can share a study.  ``synchronous=NORMAL`` makes every committed trial survive a
crash of the process (a kernel killed with SIGKILL); after a power failure the last few
trials may be missing, but the file stays consistent.

This file imports nothing, on purpose: :mod:`hpmagic.space` imports :mod:`.codec` (which
runs this file first) while :mod:`.sqlite` imports :mod:`hpmagic.space`, so importing the
SQLite store here would close an import cycle.  Import from the submodules:
``from hpmagic.storage.sqlite import SQLiteStore``.
"""
