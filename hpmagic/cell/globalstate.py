"""What a trial changes in its process, and how it is undone: the global random streams,
``os.environ``, the working directory and ``sys.path``.

The namespace is isolated by :mod:`.isolation`; this is the rest of what a cell can
change for whatever runs after it.  Every executor's trial body runs the cell inside
:func:`trial_process`:

- **Random streams.**  Each trial starts ``random``'s and NumPy's global streams from its
  own seed, :func:`trial_seed` of the search's seed and the trial's number (NumPy is
  imported first if it is not yet, so a cell that imports it is seeded too).  So a trial
  that reseeds, or draws a lot, changes only itself, and ``--seed`` makes a cell that
  never seeds reproducible, trial by trial.  The kernel's own streams are saved before
  its first trial and put back exactly afterwards (:class:`Streams`, by the executors that
  run trials in the kernel's process), since saving costs about 0.1 ms and seeding 0.01.
- **os.environ, the working directory, sys.path** are saved when a trial starts and put
  back when it ends, if it changed them; the trial's record then gets a warning line,
  ``GlobalStateWarning: trial 3 changed os.environ['X'] (restored after the trial)``,
  which the summary counts with the other warnings.  Checking costs a few microseconds.
- **Trials that share a process** (threads of a Dask worker, an ipyparallel engine, a
  thread pool) share all of this: each still reseeds the streams when it starts (so
  trials running at once draw from one stream, and only a trial that ran alone is
  reproducible), and what they change is put back when the last of them ends, the
  warning naming the trials that ran together.

This module imports nothing of hpmagic.
"""

from __future__ import annotations

import hashlib
import os
import random
import sys
import threading
from collections.abc import Mapping, Sequence
from typing import Any

__all__ = ["STATE_WARNING", "trial_seed", "start_streams", "numpy_module", "Streams", "trial_process"]

#: The kind of the warning line a trial's record gets for what it changed and hpmagic undid.
STATE_WARNING = "GlobalStateWarning"


def trial_seed(seed: int | None, number: int) -> int:
    """The seed trial ``number`` of a search seeded with ``seed`` starts the global random streams
    from (a 32-bit number, as NumPy takes): the same for the same search seed and trial, and
    unrelated from one trial to the next."""
    text = f"{'' if seed is None else seed}/{number}".encode()
    return int.from_bytes(hashlib.blake2b(text, digest_size=4).digest(), "big")


def numpy_module() -> Any:
    """NumPy, imported if it is not yet (once per process), so that its global stream can be seeded
    before the cell runs, even when the cell imports it (or a library that uses it) itself."""
    numpy = sys.modules.get("numpy")
    if numpy is None:
        try:
            import numpy
        except ImportError:  # pragma: no cover - NumPy is one of hpmagic's requirements
            return None
    return numpy


def start_streams(seed: int | None, number: int) -> None:
    """Start ``random``'s and NumPy's global streams from the trial's own seed (:func:`trial_seed`)."""
    own = trial_seed(seed, number)
    random.seed(own)
    numpy = numpy_module()
    if numpy is not None:
        numpy.random.seed(own)


class Streams:
    """This process's global random streams (``random``'s and NumPy's), saved to be put back
    exactly: the kernel's, before its first trial, restored when the search (or a manual
    session's click) is over.  Saving costs about 0.1 ms, so it is done once, not per trial."""

    def __init__(self) -> None:
        numpy = sys.modules.get("numpy")
        self.random = random.getstate()
        self.numpy = numpy.random.get_state() if numpy is not None else None

    def restore(self) -> None:
        """Put ``random``'s and numpy's global random streams back as they were when saved."""
        random.setstate(self.random)
        numpy = sys.modules.get("numpy")
        if numpy is None:
            return
        if self.numpy is not None:
            numpy.random.set_state(self.numpy)
        else:  # imported by a trial: its stream starts afresh from the OS, as an import does
            numpy.random.seed()


class _Process:
    """What the trials running in this process may change, saved when the first of them starts
    and checked (and put back) when the last of them ends."""

    lock = threading.Lock()
    running: list[int] = []  # (a list: two searches in threads of one process may both run a trial 3)
    together: list[int] = []  # the trials that ran between the two
    environ: dict[Any, Any] = {}
    cwd = ""
    path: list[str] = []


def _environ_data() -> dict[Any, Any]:
    """``os.environ`` as it stands, cheaply (its encoded mapping, about 0.2 µs to copy)."""
    return dict(getattr(os.environ, "_data", os.environ))


def trial_process(number: int, seed: int | None) -> _TrialProcess:
    """A context manager to run trial ``number`` inside: its random streams start from its own
    seed; afterwards, ``os.environ``, the working directory and ``sys.path`` are put back as
    they were, and the list it gives receives a warning line for each that the trial changed.

    Trials that run at once in threads of one process share these: what they change is
    checked when the last of them ends, and the warning goes to that trial, naming the
    others that ran beside it.
    """
    return _TrialProcess(number, seed)


class _TrialProcess:
    __slots__ = ("number", "seed", "changed")

    def __init__(self, number: int, seed: int | None) -> None:
        self.number, self.seed = number, seed
        self.changed: list[str] = []

    def __enter__(self) -> list[str]:
        with _Process.lock:
            if not _Process.running:
                _Process.environ, _Process.cwd, _Process.path = _environ_data(), _cwd(), list(sys.path)
                _Process.together = []
            _Process.running.append(self.number)
            _Process.together.append(self.number)  # (on an engine kept busy: grows by one int per trial)
        start_streams(self.seed, self.number)
        return self.changed

    def __exit__(self, *exc_info: Any) -> None:
        with _Process.lock:
            _Process.running.remove(self.number)
            if not _Process.running:
                self.changed.extend(_put_back(self.number, _Process.together))


def _cwd() -> str:
    try:
        return os.getcwd()
    except OSError:  # the working directory was deleted
        return ""


def _who(number: int, together: Sequence[int]) -> str:
    """``trial 5``, or with trials that ran beside it, ``trial 5 (or trials 3, 4, which ran beside
    it in this process)``: the last three named, and how many more."""
    others = [n for n in together if n != number]
    if not others:
        return f"trial {number}"
    named = ", ".join(str(n) for n in others[-3:])
    more = f" and {len(others) - 3} more" if len(others) > 3 else ""
    which = f"trial {named}" if len(others) == 1 else f"trials {named}{more}"
    return f"trial {number} (or {which}, which ran beside it in this process)"


def _put_back(number: int, together: Sequence[int]) -> list[str]:
    """Restore what the trials changed; one warning line for each kind of change, for trial ``number``."""
    lines: list[str] = []
    environ, cwd = _environ_data(), _cwd()
    if environ == _Process.environ and cwd == _Process.cwd and sys.path == _Process.path:
        return lines  # (the usual case: checked in about 2 µs)
    who = _who(number, together)
    if environ != _Process.environ:
        lines.append(f"{who} changed {_restore_environ(_Process.environ, environ)} (restored after the trial)")
    if cwd != _Process.cwd and _Process.cwd:
        try:
            os.chdir(_Process.cwd)
            undone = f"restored to {_Process.cwd!r} after the trial"
        except OSError as exc:
            undone = f"it could not be restored to {_Process.cwd!r}: {exc.strerror or exc}"
        lines.append(f"{who} changed the working directory to {cwd or 'a deleted directory'!r} ({undone})")
    if sys.path != _Process.path:
        added = _listed("added", [p for p in sys.path if p not in _Process.path])
        removed = _listed("removed", [p for p in _Process.path if p not in sys.path])
        sys.path[:] = _Process.path
        lines.append(
            f"{who} changed sys.path ({'; '.join(filter(None, (added, removed))) or 'reordered it'}; "
            "restored after the trial)"
        )
    return [f"{STATE_WARNING}: {line}" for line in lines]


def _listed(verb: str, items: Sequence[str]) -> str:
    """``added '/a', '/b'``: the first three, and how many more ('' for none)."""
    if not items:
        return ""
    more = f" and {len(items) - 3} more" if len(items) > 3 else ""
    return f"{verb} {', '.join(map(repr, items[:3]))}{more}"


def _restore_environ(saved: Mapping[Any, Any], now: Mapping[Any, Any]) -> str:
    """Put ``os.environ`` back from ``now`` to ``saved`` (its encoded mappings); returns what changed, for the warning."""
    keys = sorted((k for k in {*saved, *now} if saved.get(k) != now.get(k)), key=str)
    environ: Any = os.environ
    decode_key = getattr(environ, "decodekey", lambda k: k)
    decode_value = getattr(environ, "decodevalue", lambda v: v)
    for key in keys:
        if key in saved:
            environ[decode_key(key)] = decode_value(saved[key])
        else:
            del environ[decode_key(key)]
    named = ", ".join(f"os.environ[{decode_key(k)!r}]" for k in keys[:3])
    return named + (f" and {len(keys) - 3} more variables" if len(keys) > 3 else "")
