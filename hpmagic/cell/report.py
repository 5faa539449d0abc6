"""``report(value, step)``: a point of the trial's learning curve, from inside the cell.

While a trial runs, :func:`hpmagic.cell.trial.run_trial` opens a :class:`TrialReports`
for it (:meth:`TrialReports.begin`: a context variable, so each thread of an engine sees
its own trial).  Each :func:`report` is checked (:func:`check_point`), added to the
trial's curve and, with ``--prune``, sent through the trial's channel to the search's
pruning rule, which answers at once: go on, or stop.  To stop, ``report`` raises
:class:`TrialPruned`, a ``BaseException`` like ``KeyboardInterrupt``, so a cell's own
``try/except Exception`` does not swallow it; a trial that swallows it anyway (a bare
``except:``) is recorded as pruned all the same.  Outside a tuned run ``report`` does
nothing, so the cell still runs on its own.

Threads the cell starts do not inherit the context variable, so a report from a thread
without a trial of its own is placed by :func:`active`:

- if the thread started while a trial ran alone in this process and outlived it (it was
  alive at the trial's end, not at its start), the point belongs to that trial, which has
  ended: a :class:`~hpmagic.errors.ReportError` (join the cell's threads before its last
  line; a pool's thread that later trials reuse must run their work in
  ``contextvars.copy_context().run``, which gives it their context);
- else if exactly one trial is open in this process (the kernel's inline trials, a
  ``--jobs`` worker), the point is that trial's;
- else if several are open (the threads of a Dask worker, an ipyparallel engine, a thread
  pool), no one can tell which: a ``ReportError`` saying to report from the cell's own
  thread or to run the thread in ``contextvars.copy_context()``;
- else (no trial is open: a thread started outside any run) ``report`` does nothing.

A trial that runs while no other is open (its start and its end) marks the threads it
leaves behind; with trials overlapping (several threads of one process), who started a
thread is unknown, so none is marked.  The reports of one trial must come one after the
other, with growing steps, whichever threads they come from.  The thread that has the
context (the cell's own) pays nothing for this: one lookup of the context variable.

The channel depends on where the trial runs: a call in the same process (the kernel, a
thread pool), one round trip over the worker's own connection (``--jobs``), or over a
small socket to the kernel (Dask, ipyparallel, process pools: :mod:`hpmagic.parallel.reports`);
see :mod:`hpmagic.pruning.service`.  A channel that cannot be reached fails the trial (an
:class:`~hpmagic.errors.ExecutionEnvironmentError`), even if the cell catches it.

Several objectives (``--maximize accuracy --minimize size``): ``report`` takes a dict of the
objectives, ``report({"accuracy": acc, "size": units}, epoch)``.  The first report of a trial
gives every objective; a later one may give only those that change (the others keep their
last values: a size reported once), and a plain number is the first objective's value.  The
curve (``TrialReports.curve``) stays the first objective's; the others' values at each point
are kept beside it (``pruning["others"]`` in the trial record), and the channel is sent the
whole point as a dict of every objective.  A name that is not an objective, a dict in a
search of one objective, or a first report without every objective is a ``ReportError``.

This module imports nothing of hpmagic but :mod:`hpmagic.errors` and :mod:`hpmagic._format`.
"""

from __future__ import annotations

import math
import numbers
import threading
import weakref
from collections.abc import Mapping
from contextvars import ContextVar, Token
from typing import Any, Protocol

from .._format import fmt_short, fmt_value
from ..errors import ExecutionEnvironmentError, ReportError

__all__ = [
    "report",
    "report_point",
    "check_point",
    "active",
    "TrialPruned",
    "TrialReports",
    "Channel",
    "current",
    "MAX_STEP",
]

#: The kind of points :func:`hpmagic.cross_val_score` reports (one per fold).
FOLD = "fold"
CURVE = "curve"
#: The largest step: above 2**53 a float cannot tell a whole step from the next one.
MAX_STEP = 2.0**53


class TrialPruned(BaseException):
    """Raised by :func:`report` to end a trial the pruning rule stopped.

    A ``BaseException``, so that ``except Exception`` in the cell lets it through.
    """


class Channel(Protocol):
    """Where a trial's reports are decided: ``decide`` answers ``(prune, reason, rung)``."""

    def decide(self, number: int, step: float, value: Any, kind: str) -> tuple[bool, str, float | None]:
        """Whether trial ``number`` stops at this report, and why: (stop, the reason, the value the rule compared)."""


def _number(value: Any) -> float | None:
    """``value`` as a float when it is a real number (a numpy scalar or 0-d array too), else None.

    Raises ``OverflowError`` for a number too large for a float (an int of 309 digits)."""
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


def _size(value: Any) -> str:
    """A number too large for a float, for messages: ``an int of about 10**400``."""
    try:
        return f"{fmt_short(value).split(' (')[0]} of about 10**{math.floor(math.log10(abs(value)))}"
    except (TypeError, ValueError, OverflowError):
        return fmt_short(value)


def check_point(value: Any, step: Any, previous_step: float | None = None) -> tuple[float, float]:
    """``(step, value)`` as floats, or :class:`~hpmagic.errors.ReportError` naming the problem.

    ``value`` must be a finite real number (an int, a float, a numpy scalar or 0-d array;
    not a bool, a string or a longer array) that a float can hold.  ``step`` must be a
    number from 0 to :data:`MAX_STEP` (2**53: above it, a step and the next one are the
    same float), larger than ``previous_step`` (the trial's last reported step, ``None``
    for its first report).
    """
    try:
        number = _number(value)
    except OverflowError:
        raise ReportError(
            f"report(value, step): the value, {_size(value)}, is too large for a float (at most about 1.8e308); "
            "report the score itself, e.g. report(float(score), epoch)"
        ) from None
    if number is None:
        raise ReportError(
            f"report(value, step): the value must be a real number, but got {fmt_short(value)}; "
            "report the score as a float, e.g. report(float(score), epoch)"
        )
    try:
        where = _number(step)
    except OverflowError:  # an int (or a Fraction) beyond any float
        where = None
        if step > 0:
            raise _step_too_large(_size(step)) from None
    if where is None or not 0 <= where < 9007199254740992.0:  # MAX_STEP (a literal: every report runs this); NaN, inf
        where = _edge_step(step, where)
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


def _edge_step(step: Any, where: float | None) -> float:
    """A step outside ``[0, 2**53)``: 2**53 itself, or a :class:`ReportError` saying what is wrong.

    An int above 2**53 (``2**53 + 1``) rounds to a float that another step has, so it is
    refused even where the float alone would pass."""
    if where == MAX_STEP and step == MAX_STEP:
        return where
    if where is not None and MAX_STEP <= where < math.inf:
        raise _step_too_large(
            str(int(step)) if isinstance(step, numbers.Integral) and where < 1e40 else fmt_value(where)
        )
    got = fmt_short(step) if where is None else fmt_value(where)
    raise ReportError(
        f"report(value, step): the step must be a finite number of at least 0 (an epoch, an iteration, "
        f"a fold index), but got {got}"
    )


def _step_too_large(got: str) -> ReportError:
    return ReportError(
        f"report(value, step): the step, {got}, is above 2**53 (9007199254740992), where a step cannot be told "
        "apart from the next one (steps are kept as floats); number the steps from 1, e.g. the epoch"
    )


class TrialReports:
    """The reports of one running trial: its curve, the rungs it reached, and why it was stopped.

    :meth:`begin` makes it the trial of this thread (and of threads without one, see the
    module docstring) until :meth:`end`.  ``direction`` is the search's, for the framework
    callbacks of :mod:`hpmagic.integrations` (which check their metric's way against it)."""

    def __init__(
        self,
        number: int,
        channel: Channel | None = None,
        direction: str | None = None,
        objectives: tuple[str, ...] = (),
    ):
        self.number = number
        self.objectives = tuple(objectives) if len(objectives) > 1 else ()  # several: their names
        self.latest: dict[str, float] = {}  # with several objectives: each one's last reported value
        self.others: list[list[float]] = []  # with several: the other objectives' values at each point
        self.channel = channel
        self.direction = direction  # the search's ("maximize"/"minimize"; None: not known here)
        self.curve: list[tuple[float, float]] = []
        self.rungs: list[list[Any]] = []
        self.kind: str | None = None
        self.pruned = ""  # the reason, once the rule stopped the trial
        self.failure: ExecutionEnvironmentError | None = None  # the channel failed: the trial fails
        self.open = True
        self._token: Token[TrialReports | None] | None = None
        self._threads: set[threading.Thread] = set()  # alive when it began, if it ran alone so far
        self._opened = 0  # the trials opened in this process when it began

    # -- the trial's life --------------------------------------------------------------

    def begin(self) -> None:
        """The trial starts in this thread: reports here (and from its threads) are its own."""
        with _lock:
            _state["opened"] += 1
            self._opened = _state["opened"]
            alone = not _open
            _open.append(self)
        self._threads = set(threading.enumerate()) if alone else set()
        self._token = current.set(self)

    def end(self) -> None:
        """The trial ended (in the thread that began it): later reports to it are refused."""
        self.open = False
        if self._token is not None:
            current.reset(self._token)
            self._token = None
        with _lock:
            _open.remove(self)
            alone = bool(self._threads) and _state["opened"] == self._opened  # no trial began meanwhile
        if alone:  # the threads it started and left running: their later reports are late
            for thread in threading.enumerate():
                if thread not in self._threads:
                    _left[thread] = self.number
        self._threads = set()

    # -- the points --------------------------------------------------------------------

    def check_kind(self, kind: str) -> None:
        """A :class:`~hpmagic.errors.ReportError` if the trial reported points of the other kind."""
        if self.kind is not None and kind != self.kind:
            raise ReportError(
                "report(value, step): this trial reports both the folds of hpmagic.cross_val_score and a learning "
                "curve of its own; a trial's points must be one or the other"
            )

    def add(self, value: Any, step: Any, kind: str) -> None:
        """Record one ``report(value, step)`` of the running trial; a report after the trial ended is a ReportError."""
        if not self.open:
            raise ReportError(
                f"report(value, step) was called after trial {self.number} had ended (in a context the cell kept, "
                "from a thread it started?); join the cell's threads before its last line, so their reports come "
                "while the trial runs"
            )
        if self.pruned:
            raise TrialPruned(self.pruned)
        if self.failure is not None:  # the channel failed before: fail again at once, without asking it
            raise ExecutionEnvironmentError(str(self.failure))
        if kind != self.kind and self.kind is not None:
            self.check_kind(kind)
        last = self.curve[-1][0] if self.curve else None
        if step is None:
            step = 1 if last is None else math.floor(last) + 1
        vector = self._vector(value) if (self.objectives or isinstance(value, Mapping)) else None
        point = check_point(value if vector is None else vector[self.objectives[0]], step, last)
        self.kind = kind
        self.curve.append(point)
        sent: Any = point[1]
        if vector is not None:
            self.latest = vector
            self.others.append([vector[name] for name in self.objectives[1:]])
            sent = dict(vector)
        if self.channel is None:
            return  # no --prune: the curve is only recorded
        try:
            prune, reason, rung = self.channel.decide(self.number, point[0], sent, kind)
        except ExecutionEnvironmentError as exc:  # the rule could not be asked (a report server out of reach)
            self.failure = exc  # the trial fails even if the cell catches this
            raise
        if rung is not None:
            self.rungs.append([rung, "pruned" if prune else "promoted"])
        if prune:
            self.pruned = reason or f"pruned at step {fmt_value(point[0])}"
            raise TrialPruned(self.pruned)

    def _vector(self, value: Any) -> dict[str, float]:
        """The point of a search of several objectives: every objective's value (see the module docstring)."""
        if not self.objectives:
            raise ReportError(
                f"report(value, step): a dict of values needs several objectives (--maximize NAME --minimize "
                f"NAME), but this search has one and got {fmt_short(value)}; report its value as a number, "
                "e.g. report(float(score), epoch)"
            )
        example = "report({" + ", ".join(f"{name!r}: ..." for name in self.objectives) + "}, epoch)"
        given = dict(value) if isinstance(value, Mapping) else {self.objectives[0]: value}
        vector = dict(self.latest)
        for name, number in given.items():
            if name not in self.objectives:
                raise ReportError(
                    f"report(value, step): {name!r} is not an objective of this search "
                    f"({', '.join(self.objectives)}); report a dict of the objectives, e.g. {example}"
                )
            checked = _number(number)
            if checked is None or not math.isfinite(checked):
                raise ReportError(
                    f"report(value, step): the value of {name!r} must be a finite real number, but got "
                    f"{fmt_short(number)}; report each objective as a float, e.g. {example}"
                )
            vector[name] = checked
        missing = [name for name in self.objectives if name not in vector]
        if missing:
            raise ReportError(
                f"report(value, step): trial {self.number}'s first report must give every objective "
                f"({', '.join(self.objectives)}), but {', '.join(map(repr, missing))} is missing; report a dict, "
                f"e.g. {example} (later reports may give only the objectives that change)"
            )
        return {name: vector[name] for name in self.objectives}

    def record(self) -> dict[str, Any]:
        """What the trial record keeps of early stopping (``Trial.pruning``)."""
        out: dict[str, Any] = {}
        if self.kind is not None:
            out["kind"] = self.kind
        if self.rungs:
            out["rungs"] = self.rungs
        if self.others:
            out["others"] = self.others
        return out


current: ContextVar[TrialReports | None] = ContextVar("hpmagic_trial_reports", default=None)

_lock = threading.Lock()
_open: list[TrialReports] = []  # the trials open in this process, in the order they began
_state = {"opened": 0}  # how many trials have begun in this process
_left: weakref.WeakKeyDictionary[threading.Thread, int] = weakref.WeakKeyDictionary()  # thread -> its ended trial


def active() -> TrialReports | None:
    """The trial a report from this thread belongs to, ``None`` outside any tuned run.

    The trial of this thread's context; for a thread without one, see the module
    docstring (a :class:`~hpmagic.errors.ReportError` for a thread whose trial has ended,
    or when several trials are open and none is this thread's).
    """
    session = current.get()
    if session is not None:
        return session
    if not _open and not _left:
        return None
    thread = threading.current_thread()
    ended = _left.get(thread)
    if ended is not None:
        raise ReportError(
            f"report(value, step) was called after trial {ended} had ended, from thread {thread.name!r}, which "
            f"started while trial {ended} ran and outlived it; join the cell's threads before its last line, so "
            "their reports come while the trial runs (a pool's thread that later trials reuse must run their work "
            "in contextvars.copy_context().run, so each report goes to its own trial)"
        )
    with _lock:
        candidates = list(_open)
    if len(candidates) > 1:
        raise ReportError(
            f"report(value, step) was called from thread {thread.name!r}, which belongs to no trial, while "
            f"{len(candidates)} trials run in this process (the threads of a Dask worker, an ipyparallel engine "
            "or a thread pool), so which trial the point belongs to is unknown; report from the cell's own "
            "thread, or start the thread in the trial's context: "
            "threading.Thread(target=contextvars.copy_context().run, args=(work,))"
        )
    return candidates[0] if candidates else None


def report_point(value: Any, step: Any = None, kind: str = CURVE) -> None:
    """:func:`report`, with the kind of point (``"fold"`` for :func:`hpmagic.cross_val_score`)."""
    session = current.get()
    if session is None:  # a thread the cell started, or outside a tuned run
        session = active()
        if session is None:
            return
    session.add(value, step, kind)


def report(value: float, step: float | None = None) -> None:
    """Record a point of this trial's learning curve; with ``--prune``, maybe stop the trial.

    With ``%%tune --prune``, the search's pruning rule decides at once whether the trial
    goes on; if not, ``report`` ends the trial there (it is recorded as pruned, with its
    curve).  Without ``--prune`` the curve is recorded and nothing stops.  Outside a tuned
    run ``report`` does nothing, so the cell still runs on its own.  From a thread the cell
    started, the point goes to the trial that thread belongs to (see "Reports from threads" in
    the early-stopping guide).

    Parameters
    ----------
    value
        A score, in the search's direction (higher is better when the search maximizes); a
        search whose reports go against its objective says so, and ``--prune`` then reads
        them the other way.
    step
        Where on the curve: an epoch, an iteration.  By default the next whole step, from 1.
        At most 2**53 (above it, steps cannot be told apart).

    Raises
    ------
    hpmagic.errors.ReportError
        ``value`` is not a finite number, or ``step`` does not grow, or the report comes
        from a thread after its trial ended.  It fails the trial.
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
