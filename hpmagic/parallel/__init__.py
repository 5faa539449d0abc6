"""Parallel trials: ``--jobs N`` (local worker processes) and ``--executor`` (Dask,
ipyparallel, any ``concurrent.futures.Executor``).

Every executor here is a :class:`~hpmagic.protocols.TrialExecutor` and sends the cell and
the variables it reads to each worker once (:mod:`.payload` states which variables); a
trial then carries only its number and parameters, and runs in
:func:`hpmagic.cell.trial.run_trial` wherever it lands.

With both ``--executor`` and ``--jobs N`` (N > 1), N caps the trials kept in flight on the
executor; otherwise the executor's own worker (or thread) count does.

This package's ``__init__`` imports nothing eagerly: a worker process runs it before
:mod:`.worker` or :mod:`.remote`, and should load only what runs trials.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..cell.program import CellProgram
    from ..cell.report import Channel
    from ..protocols import TrialExecutor

__all__ = ["parallel_executor"]


def parallel_executor(
    program: CellProgram,
    namespace: dict[str, Any],
    jobs: int = 1,
    engine: Any = None,
    pruning: Channel | None = None,
) -> TrialExecutor:
    """The executor for a search that runs trials elsewhere: an ``engine`` from the namespace, or
    ``jobs`` processes; ``pruning`` decides the cell's reports (``--prune``)."""
    if engine is not None:
        from .engines import engine_executor

        return engine_executor(engine, program, namespace, jobs, pruning=pruning)
    from .processes import ProcessExecutor

    return ProcessExecutor(program, namespace, jobs, pruning=pruning)
