"""Capturing what a trial prints and warns, so it is stored with the trial and not printed
over the notebook.

Two ways, one per kind of place a trial runs:

- :func:`redirect` swaps ``sys.stdout`` and ``sys.stderr`` and records warnings with
  ``warnings.catch_warnings``: right where one trial runs at a time (the kernel, a
  ``--jobs`` worker process);
- :func:`per_thread` routes by thread: while any trial runs, ``sys.stdout``,
  ``sys.stderr`` and ``warnings.showwarning`` are routers that send what a trial's thread
  writes to that trial's buffers and everything else where it always went.  Engines that
  run several trials at once in threads of one process (Dask workers, ipyparallel
  engines, a thread pool) need it: swapping ``sys.stdout`` is process-wide, and two
  threads swapping it would steal each other's output.  Python's warning *filters* stay
  process-wide (``warnings.catch_warnings`` is not thread-safe), so a filter a trial
  sets is seen by the others.

This module imports nothing of hpmagic.
"""

from __future__ import annotations

import io
import sys
import threading
import warnings
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Output", "Capture", "redirect", "per_thread", "uninstall_routers"]


@dataclass
class Output:
    """What one trial wrote: its stdout, stderr and the warnings it raised."""

    out: io.StringIO = field(default_factory=io.StringIO)
    err: io.StringIO = field(default_factory=io.StringIO)
    warnings: list[str] = field(default_factory=list)

    @property
    def stdout(self) -> str:
        return self.out.getvalue()

    @property
    def stderr(self) -> str:
        return self.err.getvalue()


#: A capture: a context manager factory that yields the :class:`Output` it fills.
Capture = Callable[[], AbstractContextManager[Output]]


def _warning_text(category: type[Warning], message: Warning | str) -> str:
    return f"{category.__name__}: {message}"


class redirect:
    """Capture by swapping the process's streams (one trial at a time).

    A class rather than a generator: it runs once per trial, and a fast search feels it.
    """

    def __enter__(self) -> Output:
        self._output = output = Output()
        self._catcher = warnings.catch_warnings(record=True)
        self._caught = self._catcher.__enter__()
        self._streams = sys.stdout, sys.stderr
        sys.stdout, sys.stderr = output.out, output.err
        return output

    def __exit__(self, *exc_info: object) -> None:
        sys.stdout, sys.stderr = self._streams
        self._output.warnings.extend(_warning_text(w.category, w.message) for w in self._caught or ())
        self._catcher.__exit__(None, None, None)


# -- per-thread routing -----------------------------------------------------------------------

_local = threading.local()
_install_lock = threading.Lock()


class _Router(io.TextIOBase):
    """Writes go to the current thread's trial buffer, or to the stream it replaced."""

    def __init__(self, attr: str, fallback: Any):
        self._attr = attr
        self.fallback = fallback

    def _target(self) -> Any:
        return getattr(_local, self._attr, None) or self.fallback

    def write(self, text: str) -> int:
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
        caught.append(_warning_text(category, message))
    else:
        _original["showwarning"](message, category, filename, lineno, file, line)


_original: dict[str, Any] = {"showwarning": warnings.showwarning}


def _install_routers() -> None:
    with _install_lock:
        if not isinstance(sys.stdout, _Router):
            sys.stdout = _Router("stdout", sys.stdout)
        if not isinstance(sys.stderr, _Router):
            sys.stderr = _Router("stderr", sys.stderr)
        if warnings.showwarning is not _route_showwarning:
            _original["showwarning"] = warnings.showwarning
            warnings.showwarning = _route_showwarning


def uninstall_routers() -> None:
    """Put back the streams the routers replaced (when no trial of this process runs)."""
    with _install_lock:
        if isinstance(sys.stdout, _Router):
            sys.stdout = sys.stdout.fallback
        if isinstance(sys.stderr, _Router):
            sys.stderr = sys.stderr.fallback
        if warnings.showwarning is _route_showwarning:
            warnings.showwarning = _original["showwarning"]


@contextmanager
def per_thread() -> Iterator[Output]:
    """Capture what this thread writes, while other threads run trials of their own."""
    _install_routers()
    mutated = getattr(warnings, "_filters_mutated", None)
    if mutated is not None:
        mutated()  # forget "already shown" warnings, as catch_warnings does for a sequential trial
    output = Output()
    _local.stdout, _local.stderr, _local.warnings = output.out, output.err, output.warnings
    try:
        yield output
    finally:
        _local.stdout = _local.stderr = _local.warnings = None
