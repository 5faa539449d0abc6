"""Running one trial: the cell in a copy of the namespace, its output captured, its
objective read.  The one trial body of every executor (inline, ``--jobs`` workers, the
threads of a Dask worker or an ipyparallel engine).

:func:`run_trial` runs a :class:`~hpmagic.cell.program.CellProgram` once with the trial's
values bound, captures stdout, stderr and warnings (:mod:`.capture`), and returns the
finished :class:`~hpmagic.core.Trial`.  A failing cell fails the trial, never the search.
:class:`InlineExecutor` runs trials one at a time in the kernel's own process.
"""

from __future__ import annotations

import math
import numbers
import time
import traceback
from collections.abc import Mapping
from typing import Any

from .._format import fmt_short
from ..core import Trial, TrialState
from ..errors import ObjectiveError
from .capture import Capture, redirect
from .program import VALUES_NAME, CellProgram

__all__ = ["run_trial", "evaluate", "extract_objective", "describe_failure", "format_cell_exception", "InlineExecutor"]

_ACCEPTED = (
    "a number, a sequence of numbers (such as cross_val_score's folds, whose mean is used) "
    "or a dict of numbers (pick one with --metric NAME)"
)


def run_trial(
    program: CellProgram,
    namespace: dict[str, Any],
    number: int,
    params: dict[str, Any],
    *,
    capture: Capture = redirect,
    interrupt_stops_search: bool = True,
) -> Trial:
    """Run the cell once with ``params`` and return the finished trial record.

    ``capture`` is how output is captured (:func:`.capture.redirect` where one trial runs
    at a time, :func:`.capture.per_thread` where trials share a process).  A
    ``KeyboardInterrupt`` is the user stopping the search when ``interrupt_stops_search``
    (the kernel) and is raised on; elsewhere (a worker, which ignores the kernel's
    interrupts) it fails the trial like any other exception.
    """
    started, start = time.time(), time.perf_counter()
    state, error = TrialState.COMPLETE, ""
    value: float | None = None
    metrics: dict[str, float] = {}
    with capture() as output:
        try:
            value, metrics = evaluate(program, namespace, params)
        except KeyboardInterrupt as exc:
            if interrupt_stops_search:
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
    if program.metric is not None and (program.expr_code is None or not isinstance(raw, Mapping)):
        if program.metric not in ns:
            raise ObjectiveError(f"the cell did not set the variable {program.metric!r} named by --metric")
        raw = ns[program.metric]
    return extract_objective(raw, program.metric)


def describe_failure(exc: BaseException, program: CellProgram) -> str:
    """What a failed trial records: the objective's problem, or the cell's traceback."""
    if isinstance(exc, ObjectiveError):
        return f"ObjectiveError: {exc}"
    return format_cell_exception(exc, program.filename)


def format_cell_exception(exc: BaseException, filename: str) -> str:
    """Format a traceback from the cell's first frame on, dropping hpmagic's own frames."""
    tb = exc.__traceback__
    while tb is not None and tb.tb_frame.f_code.co_filename != filename:
        tb = tb.tb_next
    lines = traceback.format_exception(type(exc), exc, tb if tb is not None else exc.__traceback__)
    return "".join(lines)


# -- the objective ----------------------------------------------------------------------------


def extract_objective(raw: Any, metric: str | None) -> tuple[float, dict[str, float]]:
    """Turn what the cell produced into (objective, metrics); raise ObjectiveError otherwise."""
    if isinstance(raw, Mapping):
        return _from_dict(raw, metric)
    value, metrics = _as_number(raw, "the cell's last expression" if metric is None else f"variable {metric!r}")
    return _finite(value), metrics


def _from_dict(raw: Mapping, metric: str | None) -> tuple[float, dict[str, float]]:
    metrics: dict[str, float] = {}
    for key, value in raw.items():
        try:
            metrics[str(key)], extra = _as_number(value, f"key {key!r} of the returned dict")
        except ObjectiveError:
            continue  # non-numeric entries are allowed; only the objective must be a number
        metrics.update({f"{key}_{k}": v for k, v in extra.items()})
    if not raw:
        raise ObjectiveError("the cell returned an empty dict; return at least one number")
    key = metric if metric is not None else next(iter(raw))
    if key not in raw:
        raise ObjectiveError(
            f"the returned dict has no key {key!r} (keys: {', '.join(map(repr, raw))}); pass --metric with one of them"
        )
    value, _ = _as_number(raw[key], f"key {key!r} of the returned dict")
    metrics.pop(str(key), None)
    return _finite(value), metrics


def _as_number(value: Any, where: str) -> tuple[float, dict[str, float]]:
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        return float(value), {}
    if isinstance(value, (str, bytes, bool)) or value is None:
        raise ObjectiveError(f"{where} is {fmt_short(value)}; the objective must be {_ACCEPTED}")
    if hasattr(value, "__len__") or hasattr(value, "__array__"):
        import numpy as np

        try:
            array = np.asarray(value, dtype=float)
        except (TypeError, ValueError):
            raise ObjectiveError(
                f"{where} is {fmt_short(value)}, which is not all numbers; the objective must be {_ACCEPTED}"
            ) from None
        if array.ndim == 0:
            return float(array), {}
        array = array.ravel()
        if array.size == 0:
            raise ObjectiveError(f"{where} is an empty sequence; the objective must be {_ACCEPTED}")
        std = float(array.std(ddof=1)) if array.size > 1 else 0.0
        return float(array.mean()), {"std": std, "n": float(array.size)}
    raise ObjectiveError(f"{where} is {fmt_short(value)}; the objective must be {_ACCEPTED}")


def _finite(value: float) -> float:
    if math.isnan(value):
        raise ObjectiveError("the objective is NaN")
    if math.isinf(value):
        raise ObjectiveError(f"the objective is {value}")
    return value


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
