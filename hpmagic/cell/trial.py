"""Running one trial: the cell in its own namespace, its output captured, its objective
read.  The one trial body of every executor (inline, ``--jobs`` workers, the threads of a
Dask worker or an ipyparallel engine).

:func:`run_trial` runs a :class:`~hpmagic.cell.program.CellProgram` once with the trial's
values bound, in a namespace restored from a :class:`~.isolation.Snapshot` (so what the
trial does to the notebook's objects stays in the trial), captures stdout, stderr and
warnings (:mod:`.capture`), reads the objective (:mod:`.objective`) and returns the
finished :class:`~hpmagic.core.Trial`.  A failing cell fails the trial, never the search.
:class:`InlineExecutor` runs trials one at a time in the kernel's own process.
"""

from __future__ import annotations

import os
import time
import traceback
from collections.abc import Mapping
from typing import Any

from ..core import Trial, TrialState
from ..errors import ObjectiveError
from ..interrupts import pressed
from .capture import Capture, redirect
from .globalstate import Streams, trial_process
from .isolation import Snapshot, read_only_hint, select_namespace
from .objective import read_objective
from .program import VALUES_NAME, CellProgram
from .report import Channel, TrialPruned, TrialReports

__all__ = ["run_trial", "evaluate", "describe_failure", "format_cell_exception", "InlineExecutor"]


def run_trial(
    program: CellProgram,
    namespace: Snapshot | Mapping[str, Any],
    number: int,
    params: dict[str, Any],
    *,
    capture: Capture = redirect,
    interrupt_stops_search: bool | None = None,
    channel: Channel | None = None,
) -> Trial:
    """Run the cell once with ``params`` and return the finished trial record.

    ``namespace`` is a :class:`~.isolation.Snapshot` (each trial restores its own copy of
    the notebook's objects), or a plain mapping that is shallow-copied.  ``capture`` is
    how output is captured (:func:`.capture.redirect` where one trial runs at a time,
    :func:`.capture.per_thread` where trials share a process).  ``channel`` decides the
    cell's ``report(value, step)`` calls (``--prune``; see :mod:`.report`): a trial it
    stops is recorded as pruned, with its curve.  A ``KeyboardInterrupt`` is raised on
    (the search stops) when it is the stop button: by default when
    :func:`hpmagic.interrupts.pressed` says the button was pressed, so a
    ``KeyboardInterrupt`` the cell raises itself fails only its trial; workers, which
    ignore the kernel's interrupts, pass ``interrupt_stops_search=False``.  What the trial
    changes in its process (the random streams, ``os.environ``, the working directory,
    ``sys.path``) is handled by :func:`.globalstate.trial_process`: the streams start from the
    trial's own seed, the rest is put back, with a warning line in the record for each change.
    """
    started, start = time.time(), time.perf_counter()
    state, error = TrialState.COMPLETE, ""
    value: float | None = None
    metrics: dict[str, float] = {}
    reports = TrialReports(number, channel, direction=program.direction)
    with capture() as output, trial_process(number, program.seed) as changed:
        reports.begin()
        try:
            value, metrics = evaluate(program, namespace, params)
        except TrialPruned:
            pass  # recorded below, from reports.pruned
        except KeyboardInterrupt as exc:
            if interrupt_stops_search or (interrupt_stops_search is None and pressed()):
                raise
            state, error = TrialState.FAILED, describe_failure(exc, program, _snapshot_names(namespace))
        except BaseException as exc:  # noqa: BLE001 - a trial's failure must never end the search
            state, error = TrialState.FAILED, describe_failure(exc, program, _snapshot_names(namespace))
        finally:
            reports.end()
    if reports.pruned:  # also when the cell caught TrialPruned itself: the rule's decision stands
        state, error, value, metrics = TrialState.PRUNED, reports.pruned, None, {}
    elif reports.failure is not None and state is TrialState.COMPLETE:  # the cell caught it: it still fails
        state, error, value, metrics = TrialState.FAILED, describe_failure(reports.failure, program), None, {}
    return Trial(
        number=number, params=params, state=state, value=value, metrics=metrics,
        duration=time.perf_counter() - start, started=started, error=error,
        stdout=output.stdout, stderr=output.stderr, warnings=(*output.warnings, *changed),
        curve=tuple(reports.curve), pruning=reports.record(),
    )


def evaluate(program: CellProgram, namespace: Snapshot | Mapping[str, Any], params: dict[str, Any]) -> tuple[float, dict[str, float]]:
    """Run the cell with ``params`` bound in a namespace of its own (restored from a
    snapshot, or a shallow copy); return (objective, metrics).  Raises what the cell
    raises, or :class:`ObjectiveError`."""
    ns = namespace.restore() if isinstance(namespace, Snapshot) else dict(namespace)
    ns[VALUES_NAME] = params
    exec(program.body_code, ns)
    raw = eval(program.expr_code, ns) if program.expr_code is not None else None
    # A --metric variable the cell's code never names would be the notebook's own, unchanged.
    variables = ns if program.names_metric else {}
    return read_objective(raw, program.expr_code is not None, program.metric, variables)


def describe_failure(exc: BaseException, program: CellProgram, snapshotted: tuple[str, ...] = ()) -> str:
    """What a failed trial records: the objective's problem, or the cell's traceback (and,
    for a write into a read-only array of the notebook, ``snapshotted``, why and what to do)."""
    if isinstance(exc, ObjectiveError):
        return f"ObjectiveError: {exc}"
    text = format_cell_exception(exc, program.filename)
    if isinstance(exc, KeyboardInterrupt):
        text += "(the cell raised KeyboardInterrupt itself, without the stop button: only this trial failed)\n"
    if snapshotted:
        text += read_only_hint(exc, snapshotted, _failing_line(exc, program))
    return text


def _snapshot_names(namespace: Any) -> tuple[str, ...]:
    return namespace.names if isinstance(namespace, Snapshot) and namespace.buffers else ()


def _failing_line(exc: BaseException, program: CellProgram) -> str:
    """The cell's line where ``exc`` was raised (its last frame in the cell)."""
    line, tb = 0, exc.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == program.filename:
            line = tb.tb_lineno
        tb = tb.tb_next
    lines = program.source.splitlines()
    return lines[line - 1] if 0 < line <= len(lines) else ""


def format_cell_exception(exc: BaseException, filename: str) -> str:
    """Format a traceback from the cell's first frame on, without hpmagic's own frames.

    The frames between the cell and where the exception was raised keep the libraries'
    (a scorer's exception shows scikit-learn's frames and the scorer's) and drop hpmagic's
    (``report``, ``hpmagic.cross_val_score``, a report channel), as in chained exceptions.
    An exception that never reached the cell's code keeps every frame (it is hpmagic's own).
    """
    tb = exc.__traceback__
    while tb is not None and tb.tb_frame.f_code.co_filename != filename:
        tb = tb.tb_next
    if tb is None:
        return "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    shown = traceback.TracebackException(type(exc), exc, tb)
    _drop_own_frames(shown, set())
    return "".join(shown.format())


_PACKAGE = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep


def _drop_own_frames(shown: traceback.TracebackException, seen: set[int]) -> None:
    """Remove hpmagic's frames from ``shown`` and the exceptions chained to it."""
    if id(shown) in seen:
        return
    seen.add(id(shown))
    frames = [frame for frame in shown.stack if not frame.filename.startswith(_PACKAGE)]
    shown.stack = traceback.StackSummary.from_list(frames)
    for other in (shown.__cause__, shown.__context__, *(getattr(shown, "exceptions", None) or ())):
        if other is not None:
            _drop_own_frames(other, seen)


# -- the inline executor ----------------------------------------------------------------------


class InlineExecutor:
    """Runs trials one at a time in this process (the default executor).

    The variables the cell reads are snapshotted once (:mod:`.isolation`); each trial runs
    in a shallow copy of ``namespace`` over which a fresh copy of them is restored.
    ``notes`` (for the summary) names what could not be isolated, or costs much to restore.
    The kernel's random streams are saved before the first trial and put back by
    :meth:`close` (after the search, or after each click of a manual session).
    """

    capacity = 1

    def __init__(self, program: CellProgram, namespace: Mapping[str, Any], channel: Channel | None = None):
        self.program = program
        self.channel = channel
        self.namespace = Snapshot.take(select_namespace(program, namespace), base=namespace)
        self.notes = self.namespace.notes
        self._queue: list[tuple[int, dict[str, Any]]] = []
        self._streams: Streams | None = None  # the kernel's, while trials run

    def submit(self, number: int, params: dict[str, Any]) -> None:
        self._queue.append((number, params))

    def wait(self) -> list[Trial]:
        number, params = self._queue.pop(0)
        if self._streams is None:
            self._streams = Streams()
        return [run_trial(self.program, self.namespace, number, params, channel=self.channel)]

    def cancel(self) -> list[int]:
        numbers = [n for n, _ in self._queue]
        self._queue.clear()
        return numbers

    def close(self) -> None:
        self._queue.clear()
        streams, self._streams = self._streams, None
        if streams is not None:
            streams.restore()
