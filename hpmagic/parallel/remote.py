"""What runs on a worker of a shared engine (Dask, ipyparallel, a concurrent.futures pool).

Workers of those engines may run several trials at once in threads of one process, so
trials here capture their output per *thread* instead of swapping ``sys.stdout``
(``contextlib.redirect_stdout`` is process-wide, and two threads swapping it would steal
each other's output and could leave it pointing at a dead buffer).  While a trial runs,
``sys.stdout``, ``sys.stderr`` and ``warnings.showwarning`` are routers that send what the
trial writes to that trial's buffers and everything else to where it always went.

A worker unpickles a payload once and keeps it (the last few, by key), so a trial sends
only ``(key, number, params)``.
"""

from __future__ import annotations

import io
import sys
import threading
import time
import warnings
from collections import OrderedDict
from typing import Any

from ..execution import CellProgram, Outcome, describe_failure, evaluate
from ..result import TrialState

__all__ = ["NEED_PAYLOAD", "remote_trial", "install", "install_local", "run_trial_threadsafe"]

#: Returned by :func:`remote_trial` when the worker does not hold the payload yet.
NEED_PAYLOAD = "hpmagic: need payload"
_KEEP = 4
_cache: OrderedDict[str, tuple[CellProgram, dict[str, Any]]] = OrderedDict()
_cache_lock = threading.Lock()


def install(key: str, blob: bytes) -> int:
    """Unpickle a payload on this worker (once) and keep it under ``key``; returns the pid."""
    import os

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


def remote_trial(key: str, blob: bytes | None, number: int, params: dict[str, Any]) -> Outcome | str:
    """Run one trial of the payload ``key``; ``blob`` is the payload, or ``None`` if the
    worker should already hold it (then :data:`NEED_PAYLOAD` asks for it)."""
    with _cache_lock:
        entry = _cache.get(key)
    if entry is None:
        if blob is None:
            return NEED_PAYLOAD
        entry = _load(key, blob)
    program, namespace = entry
    return run_trial_threadsafe(program, namespace, number, params)


# ---------------------------------------------------------------------------------------
# Per-thread capture
# ---------------------------------------------------------------------------------------

_local = threading.local()
_install_lock = threading.Lock()


class _Router(io.TextIOBase):
    """Writes go to the current thread's trial buffer, or to the stream it replaced."""

    def __init__(self, attr: str, fallback: Any):
        self._attr = attr
        self.fallback = fallback

    def _target(self) -> Any:
        return getattr(_local, self._attr, None) or self.fallback

    def write(self, text: str) -> int:  # type: ignore[override]
        return self._target().write(text)

    def flush(self) -> None:
        target = self._target()
        if hasattr(target, "flush"):
            target.flush()

    def writable(self) -> bool:
        return True

    def __getattr__(self, name: str) -> Any:  # encoding, fileno, isatty, ...
        return getattr(self.fallback, name)


def _route_showwarning(message, category, filename, lineno, file=None, line=None):  # noqa: ANN001
    caught = getattr(_local, "warnings", None)
    if caught is not None:
        caught.append(f"{category.__name__}: {message}")
    else:
        _original_showwarning(message, category, filename, lineno, file, line)


_original_showwarning = warnings.showwarning


def _install_routers() -> None:
    global _original_showwarning
    with _install_lock:
        if not isinstance(sys.stdout, _Router):
            sys.stdout = _Router("stdout", sys.stdout)
        if not isinstance(sys.stderr, _Router):
            sys.stderr = _Router("stderr", sys.stderr)
        if warnings.showwarning is not _route_showwarning:
            _original_showwarning = warnings.showwarning
            warnings.showwarning = _route_showwarning


def uninstall_routers() -> None:
    """Put back the streams the routers replaced (when no trial of this process runs)."""
    with _install_lock:
        if isinstance(sys.stdout, _Router):
            sys.stdout = sys.stdout.fallback
        if isinstance(sys.stderr, _Router):
            sys.stderr = sys.stderr.fallback
        if warnings.showwarning is _route_showwarning:
            warnings.showwarning = _original_showwarning


def run_trial_threadsafe(program: CellProgram, namespace: dict[str, Any], number: int, params: dict[str, Any]) -> Outcome:
    """:func:`hpmagic.execution.run_trial`, safe to call from several threads at once."""
    _install_routers()
    mutated = getattr(warnings, "_filters_mutated", None)
    if mutated is not None:
        mutated()  # forget "already shown" warnings, as catch_warnings does for a sequential trial
    out, err, caught = io.StringIO(), io.StringIO(), []
    _local.stdout, _local.stderr, _local.warnings = out, err, caught
    start = time.perf_counter()
    state, value, metrics, error = TrialState.COMPLETE, None, {}, ""
    try:
        value, metrics = evaluate(program, namespace, params)
    except BaseException as exc:  # noqa: BLE001 - on a worker even KeyboardInterrupt fails only the trial
        state, error = TrialState.FAILED, describe_failure(exc, program)
    finally:
        _local.stdout = _local.stderr = _local.warnings = None
    return Outcome(
        number=number,
        state=state,
        value=value,
        metrics=metrics,
        duration=time.perf_counter() - start,
        stdout=out.getvalue(),
        stderr=err.getvalue(),
        warnings=tuple(caught),
        error=error,
    )
