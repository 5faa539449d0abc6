"""What runs on a worker of a shared engine (Dask, ipyparallel, a concurrent.futures pool).

A worker unpickles a payload once and keeps it (the last few, by key), so a trial sends
only ``(key, number, params)``.  Workers of those engines may run several trials at once
in threads of one process, so trials here capture their output per thread
(:func:`hpmagic.cell.capture.per_thread`); the trial body is the one every executor uses,
:func:`hpmagic.cell.trial.run_trial`.
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from typing import Any

from ..cell.capture import per_thread
from ..cell.program import CellProgram
from ..cell.trial import run_trial
from ..core import Trial

__all__ = ["NEED_PAYLOAD", "remote_trial", "install", "install_local", "forget"]

#: Returned by :func:`remote_trial` when the worker does not hold the payload yet.
NEED_PAYLOAD = "hpmagic: need payload"
_KEEP = 4
_cache: OrderedDict[str, tuple[CellProgram, dict[str, Any]]] = OrderedDict()
_cache_lock = threading.Lock()


def install(key: str, blob: bytes) -> int:
    """Unpickle a payload on this worker (once) and keep it under ``key``; returns the pid."""
    _load(key, blob)
    return os.getpid()


def install_local(key: str, program: CellProgram, namespace: dict[str, Any]) -> None:
    """Keep a payload that needs no pickling (thread pools in the kernel's own process)."""
    with _cache_lock:
        _cache[key] = (program, namespace)
        _trim()


def forget(key: str) -> None:
    with _cache_lock:
        _cache.pop(key, None)


def _load(key: str, blob: bytes) -> tuple[CellProgram, dict[str, Any]]:
    with _cache_lock:
        entry = _cache.get(key)
        if entry is None:
            import cloudpickle

            entry = cloudpickle.loads(blob)
            entry[0].register_source()
            _cache[key] = entry
            _trim()
        else:
            _cache.move_to_end(key)
        return entry


def _trim() -> None:
    while len(_cache) > _KEEP:
        _cache.popitem(last=False)


def remote_trial(key: str, blob: bytes | None, number: int, params: dict[str, Any]) -> Trial | str:
    """Run one trial of the payload ``key``; ``blob`` is the payload, or ``None`` if the
    worker should already hold it (then :data:`NEED_PAYLOAD` asks for it)."""
    with _cache_lock:
        entry = _cache.get(key)
    if entry is None:
        if blob is None:
            return NEED_PAYLOAD
        entry = _load(key, blob)
    program, namespace = entry
    # On an engine even KeyboardInterrupt fails only the trial: the kernel decides what a stop means.
    return run_trial(program, namespace, number, params, capture=per_thread, interrupt_stops_search=False)
