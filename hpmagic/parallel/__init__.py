"""Parallel trials: ``--jobs N`` (local worker processes) and ``--executor`` (Dask,
ipyparallel, any ``concurrent.futures.Executor``).

Every executor here speaks the protocol of :mod:`hpmagic.execution` and sends the cell and
the variables it reads to each worker once (:mod:`.payload` states which variables);
a trial then carries only its number and parameters.

With both ``--executor`` and ``--jobs N`` (N > 1), N caps the trials kept in flight on the
executor; otherwise the executor's own worker (or thread) count does.
"""

from __future__ import annotations

from typing import Any

from ..execution import CellProgram, InlineExecutor

__all__ = ["make_executor"]


def make_executor(program: CellProgram, namespace: dict[str, Any], jobs: int = 1, executor: Any = None):
    """The executor for a search: inline, local processes, or an engine from the namespace."""
    if executor is not None:
        from .engines import engine_executor

        return engine_executor(executor, program, namespace, jobs)
    if jobs > 1:
        from .processes import ProcessExecutor

        return ProcessExecutor(program, namespace, jobs)
    return InlineExecutor(program, namespace)
