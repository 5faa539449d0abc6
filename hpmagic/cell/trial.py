"""Running one trial: the cell in a copy of the namespace, its output captured, its
objective read.  The one trial body of every executor (inline, ``--jobs`` workers, the
threads of a Dask worker or an ipyparallel engine).

:func:`run_trial` runs a :class:`~hpmagic.cell.program.CellProgram` once with the trial's
values bound, captures stdout, stderr and warnings (:mod:`.capture`), reads the objective
(:mod:`.objective`) and returns the finished :class:`~hpmagic.core.Trial`.  A failing cell fails the trial, never the search.
:class:`InlineExecutor` runs trials one at a time in the kernel's own process.
"""

from __future__ import annotations

import time
import traceback
from typing import Any

from ..core import Trial, TrialState
from ..errors import ObjectiveError
from ..interrupts import pressed
from .capture import Capture, redirect
from .objective import read_objective
from .program import VALUES_NAME, CellProgram

__all__ = ["run_trial", "evaluate", "describe_failure", "format_cell_exception", "InlineExecutor"]

def run_trial(
    program: CellProgram,
    namespace: dict[str, Any],
    number: int,
    params: dict[str, Any],
    *,
    capture: Capture = redirect,
    interrupt_stops_search: bool | None = None,
) -> Trial:
    """Run the cell once with ``params`` and return the finished trial record.

    ``capture`` is how output is captured (:func:`.capture.redirect` where one trial runs
    at a time, :func:`.capture.per_thread` where trials share a process).  A
    ``KeyboardInterrupt`` is raised on (the search stops) when it is the stop button:
    by default when :func:`hpmagic.interrupts.pressed` says the button was pressed, so a
    ``KeyboardInterrupt`` the cell raises itself fails only its trial; workers, which
    ignore the kernel's interrupts, pass ``interrupt_stops_search=False``.
    """
    started, start = time.time(), time.perf_counter()
    state, error = TrialState.COMPLETE, ""
    value: float | None = None
    metrics: dict[str, float] = {}
    with capture() as output:
        try:
            value, metrics = evaluate(program, namespace, params)
        except KeyboardInterrupt as exc:
            if interrupt_stops_search or (interrupt_stops_search is None and pressed()):
                raise
            state, error = TrialState.FAILED, describe_failure(exc, program)
        except BaseException as exc:  # noqa: BLE001 - a trial's failure must never end the search
            state, error = TrialState.FAILED, describe_failure(exc, program)
    return Trial(
        number=number,
        params=params,
        state=state,
        value=value,
        metrics=metrics,
        duration=time.perf_counter() - start,
        stdout=output.stdout,
        stderr=output.stderr,
        warnings=tuple(output.warnings),
        error=error,
        started=started,
    )


def evaluate(program: CellProgram, namespace: dict[str, Any], params: dict[str, Any]) -> tuple[float, dict[str, float]]:
    """Run the cell in a shallow copy of ``namespace`` with ``params`` bound; return
    (objective, metrics).  Raises what the cell raises, or :class:`ObjectiveError`."""
    ns = dict(namespace)
    ns[VALUES_NAME] = params
    exec(program.body_code, ns)
    raw = eval(program.expr_code, ns) if program.expr_code is not None else None
    # A --metric variable the cell's code never names would be the notebook's own, unchanged.
    variables = ns if program.names_metric else {}
    return read_objective(raw, program.expr_code is not None, program.metric, variables)


def describe_failure(exc: BaseException, program: CellProgram) -> str:
    """What a failed trial records: the objective's problem, or the cell's traceback."""
    if isinstance(exc, ObjectiveError):
        return f"ObjectiveError: {exc}"
    text = format_cell_exception(exc, program.filename)
    if isinstance(exc, KeyboardInterrupt):
        text += "(the cell raised KeyboardInterrupt itself, without the stop button: only this trial failed)\n"
    return text


def format_cell_exception(exc: BaseException, filename: str) -> str:
    """Format a traceback from the cell's first frame on, dropping hpmagic's own frames."""
    tb = exc.__traceback__
    while tb is not None and tb.tb_frame.f_code.co_filename != filename:
        tb = tb.tb_next
    lines = traceback.format_exception(type(exc), exc, tb if tb is not None else exc.__traceback__)
    return "".join(lines)


# -- the inline executor ----------------------------------------------------------------------


class InlineExecutor:
    """Runs trials one at a time in this process (the default executor)."""

    capacity = 1

    def __init__(self, program: CellProgram, namespace: dict[str, Any]):
        self.program = program
        self.namespace = namespace
        self._queue: list[tuple[int, dict[str, Any]]] = []

    def submit(self, number: int, params: dict[str, Any]) -> None:
        self._queue.append((number, params))

    def wait(self) -> list[Trial]:
        number, params = self._queue.pop(0)
        return [run_trial(self.program, self.namespace, number, params)]

    def cancel(self) -> list[int]:
        numbers = [n for n, _ in self._queue]
        self._queue.clear()
        return numbers

    def close(self) -> None:
        self._queue.clear()
