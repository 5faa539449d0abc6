"""What a worker needs to run trials: the compiled cell and the variables it reads.

The *payload* is built once per search, pickled once with cloudpickle, and sent to each
worker once; after that a trial is only ``(number, params)``.

Which variables are sent (the rule):

1. every name that appears anywhere in the cell's code (``ast.Name`` nodes, including the
   bodies of functions, lambdas and comprehensions written in the cell, and the
   ``--metric`` name) and is bound in the namespace;
2. functions and classes defined in the notebook (module ``__main__``) are pickled *by
   value*, together with the globals their code uses (cloudpickle does this), so a helper
   defined in an earlier cell that calls another helper works on the workers;
3. modules, and functions and classes of importable modules, are sent *by reference* (the
   worker imports them), so the workers need the same packages installed.

Names that are only reached dynamically (``globals()["x"]``, ``eval("x")``) are not sent.
Each trial on a worker restores its own copy of those variables from the payload
(:mod:`hpmagic.cell.isolation`): what a trial changes in them is seen by no other trial.

The blob is :func:`~hpmagic.cell.isolation.pack` of the pickled cell, the snapshot's
pickle and its buffers (the arrays' memory, not copied again): a worker slices it into
views without copying, and the fork server's workers share its pages.
"""

from __future__ import annotations

import hashlib
import pickle
import types
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from ..cell.isolation import Snapshot, cell_names, pack, select_namespace
from ..cell.program import CellProgram
from ..errors import UnsendableError, describe_type

__all__ = ["Payload", "cell_names", "select_namespace", "make_payload"]


@dataclass
class Payload:
    """The packed ``(program, snapshot)``, a key that names it on the workers, and the
    summary's notes about isolating the trials (:class:`~hpmagic.cell.isolation.Snapshot`)."""

    blob: bytes
    key: str
    names: tuple[str, ...]
    notes: tuple[str, ...] = ()

    @property
    def size(self) -> int:
        """The pickled payload's size in bytes."""
        return len(self.blob)


def make_payload(program: CellProgram, namespace: dict[str, Any], where: str) -> Payload:
    """Pickle the cell and the variables it reads, once.

    ``where`` names the destination for messages (``"--jobs 4"``, ``"the Dask cluster"``).
    A variable that cannot be pickled is an :class:`UnsendableError` naming it, its type
    and the fix, raised before any trial runs.
    """
    selected = select_namespace(program, namespace)
    try:
        snapshot = Snapshot.take(selected, portable=True)
    except Exception as exc:  # noqa: BLE001 - find the culprit and say so
        raise _explain(selected, where, exc) from None
    blob = pack([pickle.dumps(program, protocol=5), *snapshot.parts()])
    # Timed in the kernel form (restoring the portable one here would redefine the notebook's classes).
    notes = Snapshot.take(selected).notes
    return Payload(blob=blob, key=hashlib.sha1(blob).hexdigest()[:16], names=tuple(selected), notes=notes)


def _explain(selected: dict[str, Any], where: str, first: Exception) -> UnsendableError:
    import cloudpickle

    if "get_ipython" in selected:
        return UnsendableError(
            f"the cell uses IPython magics or shell commands (%..., !...), which need the kernel, so it cannot "
            f"run on the workers of {where}.\n  fix: take the magics out of the tuned cell, or run this search "
            "without --jobs/--executor"
        )
    for name, value in selected.items():
        try:
            cloudpickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
        except Exception as exc:  # noqa: BLE001
            inner = _unsendable_global(value)
            via = f", through the global {inner[0]!r} ({describe_type(inner[1])}) that it uses," if inner else ""
            return UnsendableError(
                f"the cell reads the variable {name!r} ({describe_type(value)}){via} which cannot be sent to "
                f"the workers of {where}: {type(exc).__name__}: {exc}.\n"
                f"  fix: create it inside the cell (each worker then makes its own), or make it picklable, "
                f"or run this search without --jobs/--executor"
            )
    return UnsendableError(
        f"the cell and its variables cannot be sent to the workers of {where}: {type(first).__name__}: {first}.\n"
        "  fix: run this search without --jobs/--executor"
    )


def _unsendable_global(value: Any) -> tuple[str, Any] | None:
    """For a notebook function (or class), the first global it uses that cannot be pickled."""
    import cloudpickle

    functions: Iterable[Any]
    if isinstance(value, types.FunctionType):
        functions = [value]
    elif isinstance(value, type):
        functions = [v for v in vars(value).values() if isinstance(v, types.FunctionType)]
    else:
        return None
    for fn in functions:
        for gname in _code_names(fn.__code__):
            if gname in fn.__globals__:
                try:
                    cloudpickle.dumps(fn.__globals__[gname])
                except Exception:  # noqa: BLE001
                    return gname, fn.__globals__[gname]
    return None


def _code_names(code: types.CodeType) -> list[str]:
    names = list(code.co_names)
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            names.extend(_code_names(const))
    return names
