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

Each stream keeps the first and the last :data:`KEEP_CHARS` characters a trial writes,
and each trial its first :data:`KEEP_WARNINGS` warnings; what is cut is said in place (a
trial printing 100,000 lines costs the kernel and the study file about 40 KB, not 13 MB).

This module imports nothing of hpmagic.
"""

from __future__ import annotations

import io
import sys
import threading
import warnings
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "Output",
    "CappedText",
    "Capture",
    "redirect",
    "per_thread",
    "uninstall_routers",
    "KEEP_CHARS",
    "KEEP_WARNINGS",
]


#: Each captured stream of a trial keeps its first and its last this many characters.
KEEP_CHARS = 20_000
#: A trial keeps its first this many warnings, and how many more there were.
KEEP_WARNINGS = 100


class CappedText(io.TextIOBase):
    """A text stream that keeps the first and last ``keep`` characters written to it.

    A trial that prints 100,000 lines must not grow the kernel (or the study file) by
    megabytes: what lies between the head and the tail is dropped, and
    :meth:`getvalue` says where and how much.
    """

    def __init__(self, keep: int = KEEP_CHARS):
        self.keep = keep
        self._head: list[str] = []
        self._head_len = 0
        self._tail: deque[str] = deque()
        self._tail_len = 0
        self.cut_chars = 0
        self.cut_lines = 0

    def write(self, text: str) -> int:
        """Keep ``text`` within the cap (the head, then a rolling tail) and return its full length, as a stream does."""
        written = len(text)
        if self._head_len < self.keep:
            room = self.keep - self._head_len
            self._head.append(text[:room])
            self._head_len += min(written, room)
            text = text[room:]
            if not text:
                return written
        self._tail.append(text)
        self._tail_len += len(text)
        while self._tail_len > self.keep:
            first, excess = self._tail[0], self._tail_len - self.keep
            dropped = first if len(first) <= excess else first[:excess]
            if dropped is first:
                self._tail.popleft()
            else:
                self._tail[0] = first[excess:]
            self._tail_len -= len(dropped)
            self.cut_chars += len(dropped)
            self.cut_lines += dropped.count("\n")
        return written

    def writable(self) -> bool:
        """Always true: the cell's ``print`` and its libraries may write here."""
        return True

    def getvalue(self) -> str:
        """The text kept: the head and the tail, with a note of what was cut between them."""
        text = "".join(self._head)
        if self.cut_chars:
            text += (
                f"\n[... hpmagic cut {self.cut_chars:,} characters ({self.cut_lines:,} lines) here: a trial keeps "
                f"the first and the last {self.keep:,} characters of its output ...]\n"
            )
        return text + "".join(self._tail)


@dataclass
class Output:
    """What one trial wrote: its stdout, stderr and the warnings it raised (each capped)."""

    out: CappedText = field(default_factory=CappedText)
    err: CappedText = field(default_factory=CappedText)
    caught: list[str] = field(default_factory=list)
    more_warnings: int = 0

    @property
    def stdout(self) -> str:
        """What the trial printed to ``sys.stdout``, capped."""
        return self.out.getvalue()

    @property
    def stderr(self) -> str:
        """What the trial wrote to ``sys.stderr``, capped."""
        return self.err.getvalue()

    @property
    def warnings(self) -> list[str]:
        """The trial's warnings as text, the first ones kept and the rest counted."""
        if not self.more_warnings:
            return self.caught
        return [*self.caught, f"... and {self.more_warnings:,} more warnings (a trial keeps its first {KEEP_WARNINGS})"]

    def warn(self, message: Warning | str, category: type[Warning], *_: Any, **__: Any) -> None:
        """Record a warning; a ``warnings.showwarning`` replacement."""
        if len(self.caught) < KEEP_WARNINGS:
            self.caught.append(f"{category.__name__}: {message}")
        else:
            self.more_warnings += 1


#: A capture: a context manager factory that yields the :class:`Output` it fills.
Capture = Callable[[], AbstractContextManager[Output]]


class redirect:
    """Capture by swapping the process's streams (one trial at a time).

    A class rather than a generator: it runs once per trial, and a fast search feels it.
    """

    def __enter__(self) -> Output:
        self._output = output = Output()
        self._catcher = warnings.catch_warnings()  # restores showwarning and the filters afterwards
        self._catcher.__enter__()
        warnings.showwarning = output.warn
        self._streams = sys.stdout, sys.stderr
        sys.stdout, sys.stderr = output.out, output.err
        return output

    def __exit__(self, *exc_info: object) -> None:
        sys.stdout, sys.stderr = self._streams
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
    output = getattr(_local, "output", None)
    if output is not None:
        output.warn(message, category)
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
    _local.stdout, _local.stderr, _local.output = output.out, output.err, output
    try:
        yield output
    finally:
        _local.stdout = _local.stderr = _local.output = None
