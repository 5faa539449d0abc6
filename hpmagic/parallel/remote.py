"""What runs on a worker of a shared engine (Dask, ipyparallel, a concurrent.futures pool).

A worker loads a payload once (:func:`load_payload`) and keeps it (the last few, by key),
so a trial sends only ``(key, number, params)``; each trial restores its own copy of the
cell's variables from it (:mod:`hpmagic.cell.isolation`).  Workers of those engines may run several trials at once
in threads of one process, so trials here capture their output per thread
(:func:`hpmagic.cell.capture.per_thread`); the trial body is the one every executor uses,
:func:`hpmagic.cell.trial.run_trial`.
"""

from __future__ import annotations

import os
import pickle
import signal
import socket
import threading
from collections import OrderedDict
from typing import Any

from ..cell.capture import per_thread
from ..cell.globalstate import numpy_module
from ..cell.isolation import Snapshot, unpack
from ..cell.program import CellProgram
from ..cell.trial import run_trial
from ..core import Trial

__all__ = [
    "NEED_PAYLOAD",
    "load_payload",
    "remote_trial",
    "install",
    "ignore_stops",
    "holds",
    "install_local",
    "forget",
]

#: Returned by :func:`remote_trial` when the worker does not hold the payload yet.
NEED_PAYLOAD = "hpmagic: need payload"
_KEEP = 4
_cache: OrderedDict[str, tuple[CellProgram, Snapshot]] = OrderedDict()
_cache_lock = threading.Lock()


def install(key: str, blob: bytes, shield: tuple[str, int] | None = None) -> int:
    """Load a payload on this worker (once) and keep it under ``key``; returns the pid.

    ``shield`` is the kernel's ``(host name, process group)``: see :func:`ignore_stops`.
    """
    ignore_stops(shield)
    _load(key, blob)
    return os.getpid()


def ignore_stops(kernel: tuple[str, int] | None) -> bool:
    """Ignore SIGINT from now on when this worker is in the kernel's process group (a local
    cluster the kernel started); returns whether it does.

    Jupyter's stop button signals the kernel's whole process group, so such a worker would
    receive the SIGINT the notebook means for the kernel alone, and die of it (Dask's worker
    processes run ``asyncio.run``, which turns it into ``KeyboardInterrupt``), printing its
    tracebacks into the notebook.  hpmagic's own ``--jobs`` workers ignore it the same way.
    """
    if kernel is None or kernel != (socket.gethostname(), os.getpgid(0)):
        return False
    if threading.current_thread() is not threading.main_thread():
        return signal.getsignal(signal.SIGINT) == signal.SIG_IGN
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    return True


def holds(key: str) -> bool:
    """Whether this worker holds the payload ``key`` already."""
    with _cache_lock:
        return key in _cache


def load_payload(blob: bytes | bytearray | memoryview) -> tuple[CellProgram, Snapshot]:
    """The cell (compiled here) and the snapshot of its variables, from a payload blob;
    the snapshot's arrays stay views of the blob's memory.

    The snapshot is restored once here: that imports what the variables need (in the fork
    server, before it forks the workers) and shows, before any trial, that they load.  NumPy
    is imported here too, once per process, since each trial seeds its global stream
    (:mod:`hpmagic.cell.globalstate`): the first trial of a fresh worker does not pay for it.
    """
    parts = unpack(blob)
    program = pickle.loads(parts[0])
    program.register_source()
    snapshot = Snapshot.from_parts(parts[1:])
    snapshot.restore()
    numpy_module()
    return program, snapshot


def install_local(key: str, program: CellProgram, snapshot: Snapshot) -> None:
    """Keep a payload that needs no pickling (thread pools in the kernel's own process)."""
    with _cache_lock:
        _cache[key] = (program, snapshot)
        _trim()


def forget(key: str) -> None:
    """Drop the cell and variables installed under ``key`` (a cluster's plugin going away)."""
    with _cache_lock:
        _cache.pop(key, None)


def _load(key: str, blob: bytes) -> tuple[CellProgram, Snapshot]:
    with _cache_lock:
        entry = _cache.get(key)
        if entry is None:
            entry = load_payload(blob)
            _cache[key] = entry
            _trim()
        else:
            _cache.move_to_end(key)
        return entry


def _trim() -> None:
    while len(_cache) > _KEEP:
        _cache.popitem(last=False)


def remote_trial(key: str, blob: bytes | None, number: int, params: dict[str, Any], channel: Any = None) -> Trial | str:
    """Run one trial of the payload ``key``; ``blob`` is the payload, or ``None`` if the
    worker should already hold it (then :data:`NEED_PAYLOAD` asks for it).  ``channel``
    decides the trial's reports (``--prune``): the search's own pruning service for threads
    of the kernel's process, a :class:`~.reports.RemoteChannel` to the kernel's report
    server elsewhere."""
    with _cache_lock:
        entry = _cache.get(key)
    if entry is None:
        if blob is None:
            return NEED_PAYLOAD
        entry = _load(key, blob)
    program, snapshot = entry
    # On an engine even KeyboardInterrupt fails only the trial: the kernel decides what a stop means.
    trial = run_trial(
        program, snapshot, number, params, capture=per_thread, interrupt_stops_search=False, channel=channel
    )
    return trial.finish(worker=f"{socket.gethostname()} pid {os.getpid()}")  # where it ran: the workers' timeline
