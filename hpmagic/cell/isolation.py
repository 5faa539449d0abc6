"""Trial isolation: what a trial does to the notebook's objects stays in that trial.

A :class:`Snapshot` of the variables the cell reads (:func:`select_namespace`) is taken
once per search, pickled with protocol 5 and *out-of-band buffers*; every trial then
restores a fresh copy of it (:meth:`Snapshot.restore`).  So a cell that appends to a
notebook list, bumps a counter in a dict or fits a model made in an earlier cell changes
its own copy: neither the notebook nor any other trial sees it, inline, in ``--jobs``
workers and on Dask or ipyparallel alike (a worker restores the payload it holds for each
trial).  The rules:

- **Arrays are not copied.**  A NumPy array's memory travels as a buffer and comes back
  as a read-only view of it (arrays inside other objects too: a fitted model's
  coefficients, a frame's columns).  A trial that writes into one gets NumPy's
  "assignment destination is read-only", and the failed trial's record says why and what
  to do (:func:`read_only_hint`).  A non-contiguous array is made contiguous once, when
  the snapshot is taken.
- **Frames are copied on write.**  A pandas ``DataFrame`` or ``Series`` comes back as a
  shallow view of a read-only frame, so pandas copies a column the first time a trial
  writes to it (``df.loc[...] = ``, ``fillna(inplace=True)``, ``df["new"] = ``,
  ``drop(inplace=True)``); only a write into the NumPy array under a column
  (``df["a"].values[0] = 1``) meets the read-only memory.
- **Everything else is restored fresh for each trial**: lists, dicts, sets, estimators,
  notebook functions (cloudpickle pickles them by value, with the globals they use, so a
  helper that appends to a notebook list appends to the trial's copy).  Identity between
  the variables is kept (two names for one list are one list in the trial).
- **Shared, not isolated**: modules; in the kernel, classes (their methods see the
  notebook's globals); IPython's own objects (``get_ipython``, ``In``, ...); and, inline
  only, a variable that cannot be pickled (a lock, an open file, a connection): trials
  use the notebook's own object, and :attr:`Snapshot.notes` says so, naming it.  Sent to
  workers, such a variable is an error instead (:mod:`hpmagic.parallel.payload`).
- **The rest of the namespace** (names the cell does not mention, reached only through
  ``globals()``) is a shallow copy, as it always was.

Restoring costs time per trial, about 5 ms for a fitted 100-tree random forest and
nothing for a large array; :meth:`Snapshot.take` times one restore and, when it takes
more than :data:`SLOW_RESTORE` seconds, a note names the variable that costs most.

This module imports nothing of hpmagic but :mod:`.program`; cloudpickle is imported only
to take a snapshot, never to restore one.
"""

from __future__ import annotations

import ast
import io
import pickle
import struct
import time
import types
from collections.abc import Mapping, Sequence
from typing import Any

from .program import VALUES_NAME, CellProgram

__all__ = ["SLOW_RESTORE", "Snapshot", "cell_names", "select_namespace", "pack", "unpack", "read_only_hint"]

#: A note names the costliest variable when restoring the snapshot takes longer than this (seconds).
SLOW_RESTORE = 0.05
_ALIGN = 64  # buffers start on 64-byte boundaries in a packed blob, as NumPy likes them
_MAGIC = b"HPMS"
_COUNT = struct.Struct(">4sQ")
_LENGTH = struct.Struct(">Q")


def cell_names(program: CellProgram) -> set[str]:
    """Every name that appears in the cell's code: ``ast.Name`` nodes anywhere (function,
    lambda and comprehension bodies written in the cell included), ``global`` and
    ``nonlocal`` names, and the ``--metric`` name."""
    names: set[str] = set()
    for node in ast.walk(program.module):
        if isinstance(node, ast.Name):
            names.add(node.id)
        elif isinstance(node, (ast.Global, ast.Nonlocal)):
            names.update(node.names)
    if program.metric is not None:
        names.add(program.metric)
    names.discard(VALUES_NAME)
    return names


def select_namespace(program: CellProgram, namespace: Mapping[str, Any]) -> dict[str, Any]:
    """The part of ``namespace`` the cell reads, in the namespace's own order."""
    wanted = cell_names(program)
    return {name: value for name, value in namespace.items() if name in wanted}


class Snapshot:
    """The cell's variables, frozen once per search; :meth:`restore` gives each trial its own copy.

    ``meta`` is the pickle, ``buffers`` the read-only memory of its arrays, ``shared`` the
    objects pickled by reference (kernel only), ``base`` the namespace the restored values
    are laid over (the notebook's, inline; nothing on a worker).
    """

    def __init__(
        self,
        meta: bytes | memoryview,
        buffers: Sequence[memoryview],
        shared: Sequence[Any] = (),
        base: Mapping[str, Any] | None = None,
        names: Sequence[str] = (),
        notes: Sequence[str] = (),
    ):
        self.meta, self.buffers, self.shared = meta, list(buffers), list(shared)
        self.base = base if base is not None else {}
        self.names, self.notes = tuple(names), tuple(notes)
        self.restore_seconds = 0.0

    @classmethod
    def take(
        cls, values: Mapping[str, Any], base: Mapping[str, Any] | None = None, *, portable: bool = False
    ) -> Snapshot:
        """Snapshot ``values``.

        ``portable`` (for workers): everything by value but modules, and a value that
        cannot be pickled raises.  Otherwise (in the kernel): classes and IPython's objects
        are shared, and a value that cannot be pickled (or restored) is shared, with a note.
        """
        values = dict(values)
        if portable:
            return cls._take(values, base, portable=True, notes=[])
        kept: dict[str, Any] = {}
        try:
            snapshot = cls._take(values, base, portable=False, notes=[])
            snapshot.restore_seconds = _timed_restore(snapshot)
        except Exception:  # noqa: BLE001 - find the variables that cannot be copied and share them
            kept = {name: value for name, value in values.items() if not _copyable(value)}
            rest = {name: value for name, value in values.items() if name not in kept}
            notes = [_shared_note(kept)] if kept else []
            try:
                snapshot = cls._take(rest, base, portable=False, notes=notes)
                snapshot.restore_seconds = _timed_restore(snapshot)
            except Exception:  # noqa: BLE001 - together they still fail: share them all
                kept = values
                snapshot = cls._take({}, base, portable=False, notes=[_shared_note(values)])
        if snapshot.restore_seconds > SLOW_RESTORE:
            snapshot.notes += (_slow_note(snapshot.restore_seconds, values, kept),)
        return snapshot

    @classmethod
    def _take(
        cls, values: dict[str, Any], base: Mapping[str, Any] | None, *, portable: bool, notes: list[str]
    ) -> Snapshot:
        buffers: list[memoryview] = []
        shared: list[Any] = []
        meta = _dumps(values, buffers, None if portable else shared)
        return cls(meta, [b.toreadonly() for b in buffers], shared, base, names=tuple(values), notes=notes)

    def restore(self) -> dict[str, Any]:
        """A fresh namespace for one trial: the base (a shallow copy) with fresh copies of the values."""
        namespace = dict(self.base)
        namespace.update(_Unpickler(io.BytesIO(self.meta), self.shared, self.buffers).load())
        return namespace

    # -- the wire format: one blob, sliced without copying where it lands ---------------

    def parts(self) -> list[bytes | memoryview]:
        """The names, the pickle and the buffers, for :func:`pack` (a portable snapshot only)."""
        assert not self.shared, "a snapshot that shares objects with the kernel cannot be sent"
        return ["\0".join(self.names).encode(), self.meta, *self.buffers]

    @classmethod
    def from_parts(cls, parts: Sequence[memoryview]) -> Snapshot:
        """The snapshot :meth:`parts` made, rebuilt from those buffers (arrays stay read-only views of them)."""
        names = bytes(parts[0]).decode().split("\0") if parts[0].nbytes else []
        return cls(bytes(parts[1]), [p.toreadonly() for p in parts[2:]], names=names)


def pack(parts: Sequence[bytes | memoryview]) -> bytes:
    """Parts in one blob: a header of their lengths, then each part on a 64-byte boundary."""
    sizes = [memoryview(p).nbytes for p in parts]
    header = _COUNT.pack(_MAGIC, len(parts)) + b"".join(_LENGTH.pack(s) for s in sizes)
    chunks: list[bytes | memoryview] = [header]
    offset = len(header)
    for part, size in zip(parts, sizes):
        pad = -offset % _ALIGN
        chunks.append(b"\0" * pad)
        chunks.append(memoryview(part).cast("B") if isinstance(part, memoryview) else part)
        offset += pad + size
    return b"".join(chunks)


def unpack(blob: bytes | bytearray | memoryview) -> list[memoryview]:
    """The parts of a :func:`pack` blob, as views of it (nothing is copied)."""
    view = memoryview(blob).cast("B")
    magic, count = _COUNT.unpack_from(view, 0)
    if magic != _MAGIC:
        raise ValueError("not an hpmagic payload")
    sizes = [_LENGTH.unpack_from(view, _COUNT.size + i * _LENGTH.size)[0] for i in range(count)]
    offset, parts = _COUNT.size + count * _LENGTH.size, []
    for size in sizes:
        offset += -offset % _ALIGN
        parts.append(view[offset : offset + size])
        offset += size
    return parts


def read_only_hint(exc: BaseException, names: Sequence[str], cell_line: str = "") -> str:
    """What a trial that wrote into read-only memory records under its traceback ('' for other errors)."""
    if not isinstance(exc, ValueError) or "read-only" not in str(exc):
        return ""
    used = [name for name in names if name in _identifiers(cell_line)]
    name = used[0] if used else "X"
    return (
        "hpmagic: arrays from the notebook are read-only in trials, so that trials cannot change them "
        "or each other (pandas frames are copied on write, but not the NumPy arrays under them); "
        f"write to a copy instead, e.g. `{name} = {name}.copy()` at the top of the cell\n"
    )


# -- pickling -----------------------------------------------------------------------------------


def _dumps(values: dict[str, Any], buffers: list, shared: list | None) -> bytes:
    import cloudpickle

    class Pickler(cloudpickle.Pickler):
        def persistent_id(self, obj: Any) -> int | None:
            if shared is not None and (isinstance(obj, (type, types.ModuleType)) or _shell_object(obj)):
                shared.append(obj)
                return len(shared) - 1
            return None

        def reducer_override(self, obj: Any) -> Any:
            kind = type(obj)
            if kind.__name__ == "ndarray" and kind.__module__ == "numpy" and not obj.dtype.hasobject:
                if not (obj.flags.c_contiguous or obj.flags.f_contiguous):
                    import numpy

                    return numpy.ascontiguousarray(obj).__reduce_ex__(5)  # out of band, copied once
                return NotImplemented
            if kind.__module__.split(".")[0] == "pandas" and kind.__name__ in ("DataFrame", "Series"):
                func, args, state = obj.__reduce_ex__(5)[:3]
                return _copy_on_write_view, (func, args, state)
            return super().reducer_override(obj)

    def out_of_band(buffer: pickle.PickleBuffer) -> bool:
        buffers.append(buffer.raw())
        return False

    stream = io.BytesIO()
    Pickler(stream, protocol=5, buffer_callback=out_of_band).dump(values)
    return stream.getvalue()


class _Unpickler(pickle.Unpickler):
    def __init__(self, file: io.BytesIO, shared: list, buffers: list):
        super().__init__(file, buffers=buffers)
        self._shared = shared

    def persistent_load(self, pid: Any) -> Any:
        return self._shared[pid]


def _copy_on_write_view(func: Any, args: tuple, state: Any) -> Any:
    """A pandas object over read-only memory, as a shallow view of it: pandas (copy on write)
    copies a column before the first write instead of writing into the read-only memory."""
    frame = func(*args)
    frame.__setstate__(state)
    view = frame.copy(deep=False)
    object.__setattr__(view, "_hpmagic_source", frame)  # keep the source alive: it is what makes pandas copy
    return view


def _shell_object(obj: Any) -> bool:
    """IPython's own objects (the shell, its history, its bound methods): the kernel's, not the cell's."""
    owner = getattr(obj, "__self__", obj)
    return (type(owner).__module__ or "").startswith(("IPython.", "ipykernel."))


def _copyable(value: Any) -> bool:
    try:
        buffers: list = []
        shared: list = []
        _Unpickler(io.BytesIO(_dumps({"v": value}, buffers, shared)), shared, buffers).load()
    except Exception:  # noqa: BLE001
        return False
    return True


def _timed_restore(snapshot: Snapshot) -> float:
    start = time.perf_counter()
    snapshot.restore()
    return time.perf_counter() - start


def _shared_note(kept: Mapping[str, Any]) -> str:
    what = ", ".join(f"{name} ({_type_name(value)})" for name, value in kept.items())
    return (
        f"not isolated: {what} cannot be copied, so every trial used the notebook's own object and "
        "what a trial changed in it stays changed; create it inside the cell to give each trial its own"
    )


def _slow_note(seconds: float, values: Mapping[str, Any], kept: Mapping[str, Any]) -> str:
    costs = {}
    for name, value in values.items():
        if name not in kept:
            single = Snapshot._take({name: value}, None, portable=False, notes=[])
            costs[name] = _timed_restore(single)
    worst = max(costs, key=costs.__getitem__) if costs else "?"
    what = (
        f"{worst} ({_type_name(values[worst])}, {costs[worst] * 1e3:.0f} ms)"
        if worst in costs
        else "the cell's variables"
    )
    return (
        f"isolating the trials costs {seconds * 1e3:.0f} ms per trial, most of it restoring {what}: every trial "
        "gets a fresh copy of the notebook's objects it reads (arrays and frames are not copied); "
        "keep large data in NumPy arrays or DataFrames rather than lists or dicts of many objects"
    )


def _type_name(value: Any) -> str:
    kind = type(value)
    return (
        kind.__qualname__ if kind.__module__ in ("builtins", "__main__") else f"{kind.__module__}.{kind.__qualname__}"
    )


def _identifiers(line: str) -> set[str]:
    word, words = "", set()
    for char in line + " ":
        if char.isidentifier() or (word and char.isdigit()):
            word += char
        elif word:
            words.add(word)
            word = ""
    return words
