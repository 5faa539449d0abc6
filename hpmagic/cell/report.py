"""``report(value, step)``: a point of the trial's learning curve, from inside the cell.

While a trial runs, :func:`hpmagic.cell.trial.run_trial` opens a :class:`TrialReports`
for it (a context variable, so each thread of an engine sees its own trial).  Each
:func:`report` is checked (:func:`check_point`), added to the trial's curve and, with
``--prune``, sent through the trial's channel to the search's pruning rule, which answers
at once: go on, or stop.  To stop, ``report`` raises :class:`TrialPruned`, a
``BaseException`` like ``KeyboardInterrupt``, so a cell's own ``try/except Exception``
does not swallow it; a trial that swallows it anyway (a bare ``except:``) is recorded as
pruned all the same.  Outside a tuned run ``report`` does nothing, so the cell still runs
on its own.

The channel depends on where the trial runs: a call in the same process (the kernel, a
thread pool), one round trip over the worker's own connection (``--jobs``), or over a
small socket to the kernel (Dask, ipyparallel, process pools: :mod:`hpmagic.parallel.reports`);
see :mod:`hpmagic.pruning.service`.  A channel that cannot be reached fails the trial (an
:class:`~hpmagic.errors.ExecutionEnvironmentError`), even if the cell catches it.

This module imports nothing of hpmagic but :mod:`hpmagic.errors` and :mod:`hpmagic._format`.
"""

from __future__ import annotations

import math
import numbers
from contextvars import ContextVar
from typing import Any, Protocol

from .._format import fmt_short, fmt_value
from ..errors import ExecutionEnvironmentError, ReportError

__all__ = ["report", "report_point", "check_point", "TrialPruned", "TrialReports", "Channel", "current"]

#: The kind of points :func:`hpmagic.cross_val_score` reports (one per fold).
FOLD = "fold"
CURVE = "curve"


class TrialPruned(BaseException):
    """Raised by :func:`report` to end a trial the pruning rule stopped.

    A ``BaseException``, so that ``except Exception`` in the cell lets it through.
    """


class Channel(Protocol):
    """Where a trial's reports are decided: ``decide`` answers ``(prune, reason, rung)``."""

    def decide(self, number: int, step: float, value: float, kind: str) -> tuple[bool, str, float | None]: ...


def _number(value: Any) -> float | None:
    """``value`` as a float when it is a real number (a numpy scalar or 0-d array too), else None."""
    if isinstance(value, (bool, str, bytes)) or getattr(getattr(value, "dtype", None), "kind", "") == "b":
        return None
    if isinstance(value, numbers.Real):
        return float(value)
    if getattr(value, "ndim", 0) == 0 and callable(getattr(value, "__float__", None)):
        try:
            return float(value)
        except (TypeError, ValueError):
            return None
    return None


def check_point(value: Any, step: Any, previous_step: float | None = None) -> tuple[float, float]:
    """``(step, value)`` as floats, or :class:`~hpmagic.errors.ReportError` naming the problem.

    ``value`` must be a finite real number (an int, a float, a numpy scalar or 0-d array;
    not a bool, a string or a longer array).  ``step`` must be a finite number of at least
    0, larger than ``previous_step`` (the trial's last reported step, ``None`` for its first
    report).
    """
    number = _number(value)
    if number is None:
        raise ReportError(
            f"report(value, step): the value must be a real number, but got {fmt_short(value)}; "
            "report the score as a float, e.g. report(float(score), epoch)"
        )
    where = _number(step)
    if where is None or not math.isfinite(where) or where < 0:
        got = fmt_short(step) if where is None else fmt_value(where)
        raise ReportError(
            f"report(value, step): the step must be a finite number of at least 0 (an epoch, an iteration, "
            f"a fold index), but got {got}"
        )
    if not math.isfinite(number):
        raise ReportError(
            f"report(value, step): the value at step {fmt_value(where)} is {number}, not a finite number; "
            "a NaN or infinite score usually means the trial diverged (the trial fails here)"
        )
    if previous_step is not None and where <= previous_step:
        problem = "was already reported" if where == previous_step else f"comes after step {fmt_value(previous_step)}"
        raise ReportError(
            f"report(value, step): step {fmt_value(where)} {problem}; each report of a trial needs a larger step "
            "than the one before (e.g. the epoch number)"
        )
    return where, number


class TrialReports:
    """The reports of one running trial: its curve, the rungs it reached, and why it was stopped."""

    def __init__(self, number: int, channel: Channel | None = None):
        self.number = number
        self.channel = channel
        self.curve: list[tuple[float, float]] = []
        self.rungs: list[list[Any]] = []
        self.kind: str | None = None
        self.pruned = ""  # the reason, once the rule stopped the trial
        self.failure: ExecutionEnvironmentError | None = None  # the channel failed: the trial fails
        self.open = True

    def add(self, value: Any, step: Any, kind: str) -> None:
        if not self.open:
            raise ReportError(
                f"report(value, step) was called after trial {self.number} had ended (from a thread the cell "
                "started?); report from the cell's own code, before its last line"
            )
        if self.pruned:
            raise TrialPruned(self.pruned)
        if self.failure is not None:  # the channel failed before: fail again at once, without asking it
            raise ExecutionEnvironmentError(str(self.failure))
        if self.kind is not None and kind != self.kind:
            raise ReportError(
                "report(value, step): this trial reports both the folds of hpmagic.cross_val_score and a learning "
                "curve of its own; a trial's points must be one or the other"
            )
        last = self.curve[-1][0] if self.curve else None
        if step is None:
            step = 1 if last is None else math.floor(last) + 1
        point = check_point(value, step, last)
        self.kind = kind
        self.curve.append(point)
        if self.channel is None:
            return  # no --prune: the curve is only recorded
        try:
            prune, reason, rung = self.channel.decide(self.number, point[0], point[1], kind)
        except ExecutionEnvironmentError as exc:  # the rule could not be asked (a report server out of reach)
            self.failure = exc  # the trial fails even if the cell catches this
            raise
        if rung is not None:
            self.rungs.append([rung, "pruned" if prune else "promoted"])
        if prune:
            self.pruned = reason or f"pruned at step {fmt_value(point[0])}"
            raise TrialPruned(self.pruned)

    def record(self) -> dict[str, Any]:
        """What the trial record keeps of early stopping (``Trial.pruning``)."""
        out: dict[str, Any] = {}
        if self.kind is not None:
            out["kind"] = self.kind
        if self.rungs:
            out["rungs"] = self.rungs
        return out


current: ContextVar[TrialReports | None] = ContextVar("hpmagic_trial_reports", default=None)


def report_point(value: Any, step: Any = None, kind: str = CURVE) -> None:
    """:func:`report`, with the kind of point (``"fold"`` for :func:`hpmagic.cross_val_score`)."""
    session = current.get()
    if session is not None:
        session.add(value, step, kind)


def report(value: float, step: float | None = None) -> None:
    """Record a point of this trial's learning curve; with ``--prune``, maybe stop the trial.

    With ``%%tune --prune``, the search's pruning rule decides at once whether the trial
    goes on; if not, ``report`` ends the trial there (it is recorded as pruned, with its
    curve).  Without ``--prune`` the curve is recorded and nothing stops.  Outside a tuned
    run ``report`` does nothing, so the cell still runs on its own.

    Parameters
    ----------
    value
        A score, in the search's direction (higher is better with ``--maximize``).
    step
        Where on the curve: an epoch, an iteration.  By default the next whole step, from 1.

    Raises
    ------
    hpmagic.errors.ReportError
        ``value`` is not a finite number, or ``step`` does not grow.  It fails the trial.
    """
    report_point(value, step, CURVE)


def reading(kind: str | None, objective: str, recorded: str | None = None) -> str:
    """Which way a trial's reported points are better, ``"maximize"`` or ``"minimize"``.

    ``recorded`` (a trial record's ``pruning["reading"]``) wins: the search read that
    trial's reports that way.  Else the folds of :func:`hpmagic.cross_val_score` are
    higher-is-better, whatever the objective (scikit-learn's scorers all are: its losses are
    negated, ``neg_mean_squared_error``), and a curve of :func:`report` is read in the
    ``objective``'s direction.
    """
    if recorded in ("maximize", "minimize"):
        return recorded
    return "maximize" if kind == FOLD else objective
