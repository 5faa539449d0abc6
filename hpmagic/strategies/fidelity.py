"""What a strategy learns from pruned trials: how far each trial got and the value it had there.

With ``--prune`` most trials end early, as *pruned*, with a learning curve (the points the
cell reported) and no objective.  A pruned trial is evidence, weaker than a complete one:
its configuration was judged at the last step it reached.  This module turns trials into
that evidence, the same way for every strategy:

- :func:`reach`: how far a trial got (``inf`` for a complete trial, the last reported step
  for a pruned one, ``-inf`` for one that failed).
- :func:`loss_at`: a trial's loss (lower is better) at a step, with the rules' own measure:
  the best value so far up to the first point at or past the step (what ASHA records at a
  rung and the median rule compares), or the mean of the folds so far for the folds of
  ``hpmagic.cross_val_score`` (folds are not a curve: the best fold says nothing).  A
  trial that ran in full has its objective at and past its last step.
- :func:`partial_loss`: the loss at the furthest point a trial reached (its objective if
  it completed), :func:`rank_key`: the order "further is better, then lower loss".
- :func:`training_set`: BOHB's rule for a model (Falkner et al., 2018): the trials at the
  highest step that enough trials reached, each with its loss there, not a mix of
  fidelities.

Pure functions of :class:`~hpmagic.core.Trial` records; no strategy state, no numpy.
"""

from __future__ import annotations

import bisect
import math
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from ..cell.report import FOLD
from ..core import Direction, Trial, TrialState

__all__ = ["reach", "loss_at", "partial_loss", "rank_key", "levels", "TrialLoss", "TrainingSet", "training_set"]

def reach(trial: Trial) -> float:
    """How far ``trial`` got: ``inf`` if complete, its last reported step if it has a curve, else ``-inf``."""
    if trial.state is TrialState.COMPLETE:
        return math.inf
    if trial.state is TrialState.PRUNED and trial.curve:
        return float(trial.curve[-1][0])
    return -math.inf


def _aggregate(trial: Trial, losses: Sequence[float]) -> float:
    return statistics.fmean(losses) if trial.pruning.get("kind") == FOLD else min(losses)


def loss_at(trial: Trial, step: float, direction: Direction) -> float | None:
    """``trial``'s loss at ``step``, or ``None`` when it did not get that far (see the module docstring).

    A complete trial whose curve ends at or before ``step`` (or has no curve) has its
    objective there: it ran in full.  Otherwise the value is the best loss over its points
    up to the first one at or past ``step`` (the mean loss over them for folds).
    """
    curve = trial.curve
    if trial.state is TrialState.COMPLETE and trial.value is not None and (not curve or curve[-1][0] <= step):
        return direction.loss(trial.value)
    if not curve or curve[-1][0] < step or trial.state not in (TrialState.COMPLETE, TrialState.PRUNED):
        return None
    index = bisect.bisect_left([s for s, _ in curve], step)
    return _aggregate(trial, [direction.loss(v) for _, v in curve[: index + 1]])


def partial_loss(trial: Trial, direction: Direction) -> float | None:
    """The loss at the furthest point ``trial`` reached: its objective if complete, its curve's
    value at its last step if pruned (best so far; mean of the folds), else ``None``."""
    if trial.state is TrialState.COMPLETE:
        return None if trial.value is None else direction.loss(trial.value)
    if trial.state is TrialState.PRUNED and trial.curve:
        return _aggregate(trial, [direction.loss(v) for _, v in trial.curve])
    return None


def rank_key(trial: Trial, direction: Direction) -> tuple[float, float]:
    """Sort key, best first: complete trials by loss, then pruned trials, those that got
    further first, each by its :func:`partial_loss`; failed trials last."""
    loss = partial_loss(trial, direction)
    if loss is None or not math.isfinite(loss):
        return (math.inf, math.inf)
    return (-reach(trial), loss)


def levels(trials: Iterable[Trial]) -> list[float]:
    """The steps a model may be fitted at, lowest first: the last step of each curve of a
    complete or pruned trial, and ``inf`` (the objective) once a trial completed.

    With ASHA or Hyperband these are the rungs (a pruned trial's last step is the rung it
    was stopped at) and the full resource; with the median rule, the steps trials stopped at.
    """
    found: set[float] = set()
    for t in trials:
        if t.state is TrialState.COMPLETE:
            found.add(math.inf)
        if t.state in (TrialState.COMPLETE, TrialState.PRUNED) and t.curve:
            found.add(float(t.curve[-1][0]))
    return sorted(found)


@dataclass(frozen=True)
class TrialLoss:
    """One row of a :class:`TrainingSet`: a trial's number and its loss at the set's level."""

    number: int
    loss: float


@dataclass(frozen=True)
class TrainingSet:
    """The trials a model learns from, at one ``level`` (a step, or ``inf``: the objective).

    ``rows`` hold the trials that reached the level, each with :func:`loss_at` there; then,
    with ``below="worst"``, the trials that did not (pruned earlier, or failed) with the
    worst loss of those rows.  ``reached`` counts the first kind.
    """

    level: float
    rows: tuple[TrialLoss, ...]
    reached: int


def training_set(trials: Sequence[Trial], direction: Direction, enough: int, below: str = "worst") -> TrainingSet:
    """BOHB's rule: the highest level that at least ``enough`` trials reached (the lowest level
    before any has that many), each trial with its loss there.

    Trials below the level: ``below="worst"`` gives them the worst loss at the level (they
    were stopped, or failed, before it: no better than the worst that got there), ``"ignore"``
    leaves them out (BOHB), and failed trials are dropped too.  Interrupted and running
    trials are never used.
    """
    if below not in ("worst", "ignore"):
        raise ValueError(f"below must be 'worst' or 'ignore', not {below!r}")
    used = [t for t in trials if t.state.counted]
    steps = levels(used) or [math.inf]
    table = {level: _at(used, level, direction) for level in steps}
    level = next((s for s in reversed(steps) if len(table[s]) >= enough), steps[0])
    rows = table[level]
    reached = len(rows)
    if below == "worst" and rows:
        worst = max(r.loss for r in rows)
        got = {r.number for r in rows}
        rows = rows + [TrialLoss(t.number, worst) for t in used if t.number not in got]
    return TrainingSet(level, tuple(rows), reached)


def _at(trials: Sequence[Trial], level: float, direction: Direction) -> list[TrialLoss]:
    rows = []
    for t in trials:
        loss = loss_at(t, level, direction)
        if loss is not None and math.isfinite(loss):
            rows.append(TrialLoss(t.number, loss))
    return rows
