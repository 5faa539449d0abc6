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
from .objective import read_constraints, read_objective, read_objectives
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
    reports = TrialReports(number, channel, direction=program.direction, objectives=program.objectives)
    with capture() as output, trial_process(number, program.seed) as changed:
        reports.begin()
        try:
            state, error, got = _attempt(program, namespace, params, interrupt_stops_search)
        finally:
            reports.end()
    value, metrics, values, limits, notes = got if got is not None else (None, {}, (), (), ())
    if reports.pruned:  # also when the cell caught TrialPruned itself: the rule's decision stands
        state, error, value, metrics, values = TrialState.PRUNED, reports.pruned, None, {}, ()
    elif reports.failure is not None and state is TrialState.COMPLETE:  # the cell caught it: it still fails
        state, error, value, metrics = TrialState.FAILED, describe_failure(reports.failure, program), None, {}
        values = ()
    return Trial(
        number=number,
        params=params,
        state=state,
        value=value,
        metrics=metrics,
        duration=time.perf_counter() - start,
        started=started,
        error=error,
        stdout=output.stdout,
        stderr=output.stderr,
        warnings=(*output.warnings, *changed, *notes),
        curve=tuple(reports.curve),
        pruning=reports.record(),
        values=values,
        constraints=limits,
    )


Evaluation = tuple[float, dict[str, float], tuple[float, ...], tuple[float, ...], tuple[str, ...]]


def _attempt(
    program: CellProgram,
    namespace: Snapshot | Mapping[str, Any],
    params: dict[str, Any],
    interrupt_stops_search: bool | None,
) -> tuple[TrialState, str, Evaluation | None]:
    """Run the cell once: (state, error, what :func:`evaluate` read), complete, or failed with
    what the cell raised described (and nothing read); a ``KeyboardInterrupt`` that is the stop
    button (see :func:`run_trial`) is raised on.  A stop by the pruning rule is complete here:
    :func:`run_trial` reads it from the trial's reports."""
    try:
        return TrialState.COMPLETE, "", evaluate(program, namespace, params)
    except TrialPruned:
        return TrialState.COMPLETE, "", None  # recorded by run_trial, from reports.pruned
    except KeyboardInterrupt as exc:
        if interrupt_stops_search or (interrupt_stops_search is None and pressed()):
            raise
        return TrialState.FAILED, describe_failure(exc, program, _snapshot_names(namespace)), None
    except BaseException as exc:  # noqa: BLE001 - a trial's failure must never end the search
        return TrialState.FAILED, describe_failure(exc, program, _snapshot_names(namespace)), None


def evaluate(program: CellProgram, namespace: Snapshot | Mapping[str, Any], params: dict[str, Any]) -> Evaluation:
    """Run the cell with ``params`` bound in a namespace of its own (restored from a
    snapshot, or a shallow copy); return (objective, metrics, the objectives' values with
    several, the constrained quantities, warnings about those).  Raises what the cell
    raises, or :class:`ObjectiveError`."""
    ns = namespace.restore() if isinstance(namespace, Snapshot) else dict(namespace)
    ns[VALUES_NAME] = params
    exec(program.body_code, ns)
    raw = eval(program.expr_code, ns) if program.expr_code is not None else None
    has_expression = program.expr_code is not None
    if not program.objectives and not program.constrained:
        # A --metric variable the cell's code never names would be the notebook's own, unchanged.
        variables = ns if program.names_metric else {}
        return (*read_objective(raw, has_expression, program.metric, variables), (), (), ())
    named = {n: ns[n] for n in program.named if n in ns}  # variables the cell's code names, not the notebook's
    if program.objectives:
        values, metrics = read_objectives(raw, has_expression, program.objectives, named, program.assigned)
        value = values[0]
        values = values if len(values) > 1 else ()
    else:
        value, metrics = read_objective(raw, has_expression, program.metric, ns if program.names_metric else {})
        values = ()
    limits, notes = read_constraints(raw, has_expression, program.constrained, named)
    return value, metrics, values, limits, notes


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
        """Queue trial ``number``: it runs when :meth:`wait` is called."""
        self._queue.append((number, params))

    def wait(self) -> list[Trial]:
        """Run the oldest queued trial here, now, and return its record."""
        number, params = self._queue.pop(0)
        if self._streams is None:
            self._streams = Streams()
        return [run_trial(self.program, self.namespace, number, params, channel=self.channel)]

    def cancel(self) -> list[int]:
        """Drop the queued trials and return their numbers (none runs: nothing is in flight here)."""
        numbers = [n for n, _ in self._queue]
        self._queue.clear()
        return numbers

    def close(self) -> None:
        """Drop what is queued and put the kernel's random streams back as they were before the first trial."""
        self._queue.clear()
        streams, self._streams = self._streams, None
        if streams is not None:
            streams.restore()
