"""The one place where a search's pruning decisions are made.

A :class:`PruningService` wraps the search's rule (:class:`~hpmagic.pruning.base.Pruner`)
behind a lock, so reports that arrive at once from several workers (each worker's reader
thread in the kernel, the report server's threads, the kernel's own trials) are decided
one at a time and consistently.  It is itself a report channel
(:class:`hpmagic.cell.report.Channel`): the kernel's own trials call :meth:`decide`
directly; other channels forward their reports to it.

``--prune`` with no rule name waits for the first report to choose: the ``folds`` rule for
the folds of :func:`hpmagic.cross_val_score`, ``asha`` for a learning curve.

The rule compares reports in the way they are better (:func:`hpmagic.cell.report.reading`):
fold scores higher-is-better, whatever the objective (``-cross_val_score(...).mean()``
minimised still prunes the low fold scores), a curve of ``report()`` the objective's way.  When
the complete trials show the reports going against the objective
(:mod:`hpmagic.pruning.agreement`: ``--maximize`` an accuracy while reporting the loss), the
rule is rebuilt reading them the other way, from the trials' curves, and trials that start
from then on carry ``pruning["reading"]`` so that strategies read their curves that way too.  At the end
:meth:`notes` names the rule and its settings, or says that the cell never reported
anything (how many trials were stopped, and what that saved, the summary computes from the
trials themselves: :func:`hpmagic.display.summary.resource_saved`).

With several objectives (``objectives``: each one's name and direction), a report's value is a
dict of every objective (:mod:`hpmagic.cell.report`), and the rule, ``asha`` or ``hyperband``
(the options refuse the others), ranks the vectors at each rung (:mod:`hpmagic.pruning.fronts`);
the reports are read in each objective's direction, and the check that reports go against the
objective is not made (it compares one value).
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from typing import Any

from ..cell.report import FOLD, reading
from ..core import Direction, Trial, TrialState
from ..errors import ReportError
from .agreement import WINDOW, Disagreement, check
from .base import Pruner
from .spec import make_pruner

__all__ = ["PruningService"]


class PruningService:
    """Thread-safe decisions of one search's pruning rule (see the module docstring)."""

    def __init__(
        self,
        name: str | None,
        settings: dict[str, str],
        direction: Direction,
        budget: int,
        objectives: tuple[tuple[str, Direction], ...] = (),
    ):
        self.name, self.settings = name, dict(settings)
        self.objectives = tuple(objectives) if len(objectives) > 1 else ()
        self.direction, self.budget = direction, budget
        self._lock = threading.Lock()
        self._pruner: Pruner | None = None
        self._deferred: list[Trial] = []  # finished before the rule was chosen (auto, no report yet)
        self._trials: dict[int, Trial] = {}
        self._running: dict[int, list[tuple[float, float]]] = {}  # what running trials reported so far
        self._complete: list[Trial] = []  # the complete trials with reports, in the order they finished
        self._read: Direction | None = None  # which way reports are better, once a report or a curve said its kind
        # (the first trial started after the rule was rebuilt, trials pruned before it, the evidence)
        self._flipped: tuple[int, int, Disagreement] | None = None
        if name is not None:
            self._make(folds=False)

    @property
    def rule(self) -> str:
        """The rule's name (``auto`` until a report chose it)."""
        return self._pruner.name if self._pruner is not None else "auto"

    def _make(self, folds: bool) -> Pruner:
        pruner = make_pruner(self.name, self.settings, folds=folds)
        pruner.setup(self._read or self.direction, self.budget)
        if self.objectives:
            pruner.several(self.objectives)
        self._pruner = pruner
        for trial in self._deferred:
            self._finish(trial)
        self._deferred.clear()
        return pruner

    def _settle_reading(self, kind: str | None) -> None:
        """The first report or stored curve says what the points are: read them their way from then on."""
        if self._read is not None:
            return
        self._read = Direction(reading(kind, self.direction.value))
        if self._pruner is not None and self._pruner.direction is not self._read:
            self._pruner.setup(self._read, self.budget)  # nothing was compared yet: only brackets were assigned

    # -- the calls of a search -----------------------------------------------------------

    def assign(self, number: int) -> dict[str, Any]:
        """When trial ``number`` starts: what its record keeps of early stopping (its bracket)."""
        with self._lock:
            if self._pruner is None:
                return {}
            bracket = self._pruner.assign(number)
            if self._flipped is not None and self._read is not None:
                return {"bracket": bracket, "reading": self._read.value}
            return {"bracket": bracket}

    def decide(self, number: int, step: float, value: Any, kind: str) -> tuple[bool, str, float | None]:
        """One reported point of trial ``number``: ``(prune, reason, rung)``; with several
        objectives ``value`` is a dict of every objective's value."""
        with self._lock:
            self._settle_reading(kind)
            value, others = self._split(value, kind)
            pruner = self._pruner or self._make(folds=kind == FOLD)
            decision = pruner.report(number, step, value, others)
            self._running.setdefault(number, []).append((step, value))
            return decision.prune, decision.reason, decision.rung

    def _split(self, value: Any, kind: str) -> tuple[float, list[float]]:
        """A reported point as (the first objective's value, the others' values)."""
        if not self.objectives:
            return value, []
        names = [name for name, _ in self.objectives]
        if kind == FOLD or not isinstance(value, dict) or sorted(value) != sorted(names):
            what = "the folds of hpmagic.cross_val_score" if kind == FOLD else f"the point {value!r}"
            raise ReportError(
                f"--prune with several objectives ({', '.join(names)}) ranks learning curves that report every "
                f"objective, but got {what}; report a dict of the objectives, e.g. "
                "report({" + ", ".join(f"{n!r}: ..." for n in names) + "}, epoch)"
            )
        return value[names[0]], [value[n] for n in names[1:]]

    def running_curves(self) -> dict[int, list[tuple[float, float]]]:
        """The points each running trial has reported so far (a copy, for the live panel)."""
        with self._lock:
            return {number: list(points) for number, points in self._running.items()}

    def finish(self, trial: Trial) -> None:
        """Trial ``trial`` ended (or was stored by an earlier run of the study)."""
        with self._lock:
            self._trials[trial.number] = trial
            self._running.pop(trial.number, None)
            if trial.curve:
                self._settle_reading(trial.pruning.get("kind"))
            if self._pruner is None and trial.curve and self.name is None:
                self._make(folds=trial.pruning.get("kind") == FOLD)
            if self._pruner is None:
                self._deferred.append(trial)
                return
            self._finish(trial)
            if self._flipped is None and trial.state is TrialState.COMPLETE and trial.curve and not self.objectives:
                self._complete.append(trial)
                found = check(self._complete[-WINDOW:], self.direction)  # (not every trial: a finish stays cheap)
                if found is not None:
                    self._flip(found)

    def resume(self, trials: Iterable[Trial]) -> None:
        """A resumed study's stored trials, in the order they finished (brackets and rungs go on)."""
        for trial in sorted(trials, key=lambda t: (t.started + t.duration, t.number)):
            if trial.state.finished:
                self.finish(trial)

    def _finish(self, trial: Trial) -> None:
        assert self._pruner is not None
        if trial.state is TrialState.RUNNING:
            return
        others = trial.pruning.get("others") if self.objectives else None
        self._pruner.finish(trial, trial.curve, trial.pruning.get("bracket"), others)

    def _flip(self, found: Disagreement) -> None:
        """The reports go against the objective: rebuild the rule reading them the other way,
        from the finished trials' curves and what the running ones reported so far."""
        assert self._pruner is not None and self._read is not None
        old = self._pruner
        brackets: dict[int, int] = old.snapshot()["brackets"]  # every trial it assigned, finished or running
        first = 1 + max([*brackets, *self._trials, *self._running], default=-1)
        pruned = sum(1 for t in self._trials.values() if t.state is TrialState.PRUNED)
        self._flipped = (first, pruned, found)
        self._read = Direction.MINIMIZE if self._read.maximize else Direction.MAXIMIZE
        self._make(folds=old.name == "folds")
        assert self._pruner is not None
        for trial in self._trials.values():  # in the order they finished
            self._finish(trial)
        for number, bracket in brackets.items():  # running trials keep their brackets, reported or not yet
            if number not in self._trials:
                self._pruner.assign(number, bracket)
        for number, points in self._running.items():
            for step, value in points:
                self._pruner.report(number, step, value)  # a trial now judged worse is stopped at its next report

    # -- what the summary says -------------------------------------------------------------

    def notes(self) -> tuple[str, ...]:
        """For the summary: the rule and its settings, or that the cell never reported anything
        (what pruning stopped and saved is the summary's own line, computed from the trials)."""
        trials = [t for t in self._trials.values() if t.state.counted]
        rule = self._pruner.describe() if self._pruner is not None else "pruning"
        if not any(t.curve for t in trials):  # what to do first; the rule's settings would only be noise
            name = f"--prune {self._pruner.name}" if self._pruner is not None else "--prune"
            return (
                f"{name}: the cell never called hpmagic.report(value, step), so nothing could be pruned; report "
                "the score after each epoch (or use hpmagic.cross_val_score) to stop unpromising trials early",
            )
        if self._flipped is None:
            return (rule,)
        first, before, found = self._flipped
        return (
            rule,
            found.text()
            + (
                f"; from trial {first} on, early stopping read them the other way "
                f"({'lower' if found.read == 'maximize' else 'higher'} reports counted as better); the "
                f"{before} trial{'s' * (before != 1)} it stopped before that were judged the wrong way"
            ),
        )
