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
The namespace a worker runs each trial in is a shallow copy of the variables it received,
as in a sequential run.
"""

from __future__ import annotations

import ast
import hashlib
import pickle
import types
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from ..cell.program import VALUES_NAME, CellProgram
from ..errors import UnsendableError, describe_type

__all__ = ["Payload", "cell_names", "select_namespace", "make_payload"]


@dataclass
class Payload:
    """The pickled ``(program, namespace)`` and a key that names it on the workers."""

    blob: bytes
    key: str
    names: tuple[str, ...]

    @property
    def size(self) -> int:
        return len(self.blob)


def cell_names(program: CellProgram) -> set[str]:
    """Every name that appears in the cell's code (rule 1 above)."""
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


def select_namespace(program: CellProgram, namespace: dict[str, Any]) -> dict[str, Any]:
    """The part of ``namespace`` the cell reads, in the namespace's own order."""
    wanted = cell_names(program)
    return {name: value for name, value in namespace.items() if name in wanted}


def make_payload(program: CellProgram, namespace: dict[str, Any], where: str) -> Payload:
    """Pickle the cell and the variables it reads, once.

    ``where`` names the destination for messages (``"--jobs 4"``, ``"the Dask cluster"``).
    A variable that cannot be pickled is an :class:`UnsendableError` naming it, its type
    and the fix, raised before any trial runs.
    """
    import cloudpickle

    selected = select_namespace(program, namespace)
    try:
        blob = cloudpickle.dumps((program, selected), protocol=pickle.HIGHEST_PROTOCOL)
    except Exception as exc:  # noqa: BLE001 - find the culprit and say so
        raise _explain(selected, where, exc) from None
    key = hashlib.sha1(blob).hexdigest()[:16]
    return Payload(blob=blob, key=key, names=tuple(selected))


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
