"""The stop button (SIGINT) while a search runs: one press stops it, no press loses anything.

The kernel's interrupt raises ``KeyboardInterrupt`` wherever the main thread happens to
be.  Left alone, that can land in the worst places: between killing a worker and reaping
it, while the summary is written, in the middle of ``import scipy`` (a library whose
``__init__`` catches the interrupt with a bare ``except`` stays half-initialised until the
kernel restarts).  While a search runs, :func:`guard` installs a SIGINT handler that
decides what a press means, by phase:

- **running** (the loop): the first press raises ``KeyboardInterrupt``, as Python's own
  handler does, so the runner stops the search and keeps what finished; a press during an
  import is held back until the import has finished (it is re-sent every 50 ms);
- **deferred** (set-up): a press is remembered and raised when set-up is complete, so
  nothing is left half-made;
- **shielded** (after the first press, and once the loop is over: cleaning up, writing
  the summary, binding the best values): presses are remembered and ignored, but one
  that comes :data:`ESCAPE_AFTER` seconds later gets through, in case stopping hangs;
- and for :data:`GRACE` seconds after the search, while IPython shows the result, presses
  are ignored too (the second click of a double click must not hide the summary).

:func:`pressed` tells a trial whether a real press happened, so a ``KeyboardInterrupt``
the cell raises itself fails only its trial, inline as on workers.  Signals only reach
the main thread: elsewhere (a search started from a thread) the guard does nothing.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any

__all__ = ["guard", "pressed", "deferred", "shielded", "shield", "ESCAPE_AFTER", "GRACE"]

_RUNNING, _DEFERRED, _SHIELDED = "running", "deferred", "shielded"
_IMPORT_FILES = ("<frozen importlib._bootstrap>", "<frozen importlib._bootstrap_external>")
_RESEND_AFTER = 0.05  # seconds
#: Once a search is stopping, presses are ignored; one this many seconds later gets through.
ESCAPE_AFTER = 10.0
#: For this long after a search inside IPython, while the result is shown, presses are ignored.
GRACE = 1.0


class _Guard:
    def __init__(self) -> None:
        self.phase = _RUNNING
        self.presses = 0  # real presses during this search
        self.held = False  # a press during a deferred block, raised when it ends
        self.shielded_at = 0.0

    def handle(self, signum: int, frame: FrameType | None) -> None:
        if self.phase == _RUNNING and _importing(frame):
            threading.Timer(_RESEND_AFTER, _resend, (self,)).start()  # counted when it lands
            return
        self.presses += 1
        if self.phase == _DEFERRED:
            self.held = True
        elif self.phase == _RUNNING:
            self.shield()  # the search is stopping: a second press must not interrupt that
            raise KeyboardInterrupt
        elif time.monotonic() - self.shielded_at > ESCAPE_AFTER:
            raise KeyboardInterrupt  # stopping has taken far too long: let the user out

    def shield(self) -> None:
        if self.phase != _SHIELDED:
            self.phase, self.shielded_at = _SHIELDED, time.monotonic()


def _resend(current: _Guard) -> None:
    if _state["guard"] is current:  # the search still runs; otherwise the press is moot
        os.kill(os.getpid(), signal.SIGINT)


_state: dict[str, Any] = {"guard": None}


def _importing(frame: FrameType | None) -> bool:
    """True when the interrupted code runs inside an import."""
    while frame is not None:
        if frame.f_code.co_filename in _IMPORT_FILES:
            return True
        frame = frame.f_back
    return False


@contextmanager
def guard() -> Iterator[None]:
    """Decide what the stop button means while a search runs (main thread only; nests)."""
    if _state["guard"] is not None or threading.current_thread() is not threading.main_thread():
        yield
        return
    current = _Guard()
    try:
        previous = signal.signal(signal.SIGINT, current.handle)
    except (ValueError, OSError):  # no signals here (an embedded interpreter)
        yield
        return
    _state["guard"] = current
    try:
        yield
    finally:
        _state["guard"] = None
        _restore(previous)


def _restore(previous: Any) -> None:
    """Put the previous handler back, after a grace period when IPython is about to show the result.

    The magic returns the result, and IPython then displays it, outside the search: the
    second press of a double click on stop would land there, and print a traceback in
    place of the summary.  So for :data:`GRACE` seconds after the search a press is
    ignored, and the previous handler comes back when the cell is done (IPython's
    ``post_run_cell`` event; ipykernel also puts its own handler back after each cell).
    """
    shell = _ipython()
    if shell is None:
        signal.signal(signal.SIGINT, previous)
        return
    ended = time.monotonic()

    def grace(signum: int, frame: FrameType | None) -> None:
        if time.monotonic() - ended < GRACE:
            return
        if callable(previous):
            previous(signum, frame)
        elif previous != signal.SIG_IGN:
            raise KeyboardInterrupt

    def put_back(*_: Any) -> None:
        shell.events.unregister("post_run_cell", put_back)
        if signal.getsignal(signal.SIGINT) is grace:
            signal.signal(signal.SIGINT, previous)

    signal.signal(signal.SIGINT, grace)
    shell.events.register("post_run_cell", put_back)


def _ipython() -> Any:
    import sys

    if "IPython" not in sys.modules:
        return None
    from IPython import get_ipython

    return get_ipython()


def pressed() -> bool:
    """True when the stop button was pressed during the current search."""
    current = _state["guard"]
    return current is not None and current.presses > 0


@contextmanager
def deferred() -> Iterator[None]:
    """A press in this block is raised as ``KeyboardInterrupt`` when the block is done."""
    current = _state["guard"]
    if current is None or current.phase != _RUNNING:
        yield
        return
    current.phase = _DEFERRED
    try:
        yield
    finally:
        current.phase = _RUNNING
    if current.held:
        current.held = False
        raise KeyboardInterrupt


def shield() -> None:
    """From now until the search ends, presses are ignored (it is stopping or done)."""
    current = _state["guard"]
    if current is not None:
        current.shield()


@contextmanager
def shielded() -> Iterator[None]:
    """Presses in this block are ignored (and the search stays shielded afterwards)."""
    shield()
    yield
