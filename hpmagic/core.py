"""The records and the words every layer shares: trials, their states, the direction of a
search and why it stopped.

A :class:`Trial` is immutable: the runner makes one when a trial starts, a trial body
(:func:`hpmagic.cell.trial.run_trial`) makes the finished one, and nobody changes either
afterwards.  This module imports nothing of hpmagic, so a worker process can load it
with the trial body alone.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any

__all__ = ["TrialState", "Trial", "Direction", "StopReason"]


class TrialState(StrEnum):
    """Where a trial is: running, or how it ended (complete, failed, pruned, interrupted)."""

    RUNNING = "running"
    COMPLETE = "complete"
    FAILED = "failed"
    PRUNED = "pruned"
    INTERRUPTED = "interrupted"

    @property
    def finished(self) -> bool:
        """True once the trial has ended, in any state but ``RUNNING``."""
        return self is not TrialState.RUNNING

    @property
    def counted(self) -> bool:
        """True for the states that count toward the budget (``-n``) and that strategies learn from."""
        return self in (TrialState.COMPLETE, TrialState.FAILED, TrialState.PRUNED)


@dataclass(frozen=True)
class Trial:
    """One evaluation of the cell.

    ``value`` is the objective (``None`` unless the trial completed); ``metrics`` holds what
    else the objective carried (fold statistics, the other keys of a returned dict).
    ``params`` holds the active parameters only.  ``started`` is ``time.time()`` when the
    trial started.  ``curve`` holds the points the cell reported with
    :func:`hpmagic.report`, as ``(step, value)`` pairs in step order, and ``pruning`` what
    early stopping recorded about the trial (``bracket``, the ``rungs`` it reached, the
    ``kind`` of its reports; empty without ``--prune``; and ``enqueued``, the index of the
    configuration it ran when it was given with ``--enqueue``).  A pruned trial has no ``value``;
    ``error`` says why it was stopped.  ``worker`` names where a parallel trial ran
    (``"pid 4242"`` for a ``--jobs`` worker, ``"host pid 4242"`` on an engine; ``""`` in the
    kernel): the summary's workers' timeline groups the trials by it.  Stores do not keep it.

    With several objectives (:class:`hpmagic.objectives.Goal`), ``values`` holds each
    objective's value in the goal's order and ``value`` the first of them; ``constraints``
    holds the constrained quantities in the goal's order.  A search of one objective without
    constraints leaves both empty (``Goal.values`` reads ``value`` then).
    """

    number: int
    params: dict[str, Any]
    state: TrialState = TrialState.RUNNING
    value: float | None = None
    metrics: dict[str, float] = field(default_factory=dict)
    duration: float = 0.0
    stdout: str = ""
    stderr: str = ""
    warnings: tuple[str, ...] = ()
    error: str = ""
    started: float = 0.0
    curve: tuple[tuple[float, float], ...] = ()
    pruning: dict[str, Any] = field(default_factory=dict)
    values: tuple[float, ...] = ()
    constraints: tuple[float, ...] = ()
    worker: str = ""

    def finish(self, **changes: Any) -> Trial:
        """A copy with ``changes`` (the finished record of a running trial)."""
        return replace(self, **changes)

    @property
    def ok(self) -> bool:
        """True when the trial completed with a value."""
        return self.state is TrialState.COMPLETE


class Direction(StrEnum):
    """Which way is better.  A ``StrEnum``, so ``Direction.MAXIMIZE == "maximize"``."""

    MINIMIZE = "minimize"
    MAXIMIZE = "maximize"

    @classmethod
    def of(cls, maximize: bool) -> Direction:
        """``MAXIMIZE`` when ``maximize`` is true, else ``MINIMIZE``."""
        return cls.MAXIMIZE if maximize else cls.MINIMIZE

    @property
    def maximize(self) -> bool:
        """True when higher values are better."""
        return self is Direction.MAXIMIZE

    def better(self, a: float, b: float) -> bool:
        """True when value ``a`` is strictly better than ``b``."""
        return a > b if self.maximize else a < b

    def loss(self, value: float) -> float:
        """``value`` turned so that lower is always better."""
        return -value if self.maximize else value

    def best(self, trials: Iterable[Trial]) -> Trial | None:
        """The first of the complete trials with the best value, or ``None``."""
        best: Trial | None = None
        for t in trials:
            if t.state is TrialState.COMPLETE and t.value is not None:
                if best is None or self.better(t.value, best.value):  # type: ignore[arg-type]
                    best = t
        return best


class StopReason(StrEnum):
    """Why a search ended; :attr:`text` says it to the user."""

    BUDGET = "budget"
    EXHAUSTED = "exhausted"
    TIMEOUT = "timeout"
    INTERRUPTED = "interrupted"
    FAILURES = "failures"
    ERROR = "error"
    COMPLETE = "complete"
    RUNNING = "running"
    MANUAL = "manual"

    @property
    def text(self) -> str:
        """What the summary says about this ending, as a phrase ("the time limit was reached", ...)."""
        return _STOP_TEXT[self]

    @property
    def progress_status(self) -> str:
        """The word a progress display ends on (done, interrupted or failed)."""
        if self is StopReason.INTERRUPTED:
            return "interrupted"
        if self in (StopReason.FAILURES, StopReason.ERROR):
            return "failed"
        return "done"


_STOP_TEXT = {
    StopReason.BUDGET: "the trial budget was spent",
    StopReason.EXHAUSTED: "the strategy had no new configuration to try",
    StopReason.TIMEOUT: "the time limit was reached",
    StopReason.INTERRUPTED: "interrupted by the user; finished trials were kept",
    StopReason.FAILURES: "the first trials all failed (see the first traceback)",
    StopReason.ERROR: "the search itself failed (see the error below); finished trials were kept",
    StopReason.COMPLETE: "the study already held its -n trials; raise -n or use a new --study name to run more",
    StopReason.RUNNING: "the study is still running in another process",
    StopReason.MANUAL: "manual search: each Run adds a trial",
}
