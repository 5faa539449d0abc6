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
import itertools
import math
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from ..cell.report import FOLD, reading
from ..core import Direction, Trial, TrialState

__all__ = [
    "Evidence",
    "reach",
    "loss_at",
    "partial_loss",
    "rank_key",
    "levels",
    "TrialLoss",
    "TrainingSet",
    "training_set",
]


@dataclass(frozen=True)
class Evidence:
    """What one finished trial says, in losses (lower is better), computed once per trial.

    ``losses[i]`` is the trial's measure after its point at ``steps[i]`` (the best loss so
    far; the mean of the folds so far for folds); ``objective`` the loss of a complete
    trial (``None`` otherwise).  Strategies keep one per told trial, so that re-ranking
    every trial after each tell stays cheap.
    """

    number: int
    state: TrialState
    steps: tuple[float, ...]
    losses: tuple[float, ...]
    objective: float | None
    #: ``inf`` if complete, the last reported step if pruned with a curve, else ``-inf``.
    reach: float = -math.inf
    #: the loss at the furthest point reached (see :func:`partial_loss`).
    reached: float | None = None
    #: the sort key of :func:`rank_key`.
    key: tuple[float, float] = (math.inf, math.inf)

    @classmethod
    def of(cls, trial: Trial, direction: Direction) -> Evidence:
        """The evidence of ``trial`` in ``direction`` (its reports read their own way: :func:`hpmagic.cell.report.reading`)."""
        kind = trial.pruning.get("kind")
        way = Direction(reading(kind, Direction(direction).value, trial.pruning.get("reading")))
        raw = [way.loss(v) for _, v in trial.curve]
        if kind == FOLD:
            so_far = [statistics.fmean(raw[: i + 1]) for i in range(len(raw))]
        else:
            so_far = list(itertools.accumulate(raw, min))
        steps = tuple(float(s) for s, _ in trial.curve)
        objective = (
            direction.loss(trial.value) if trial.state is TrialState.COMPLETE and trial.value is not None else None
        )
        reach, reached = -math.inf, None
        if objective is not None:
            reach, reached = math.inf, objective
        elif trial.state is TrialState.PRUNED and steps:
            reach, reached = steps[-1], so_far[-1]
        key = (-reach, reached) if reached is not None and math.isfinite(reached) else (math.inf, math.inf)
        return cls(trial.number, trial.state, steps, tuple(so_far), objective, reach, reached, key)

    def loss_at(self, step: float) -> float | None:
        """The loss at ``step``, or ``None`` when the trial did not get that far (see :func:`loss_at`)."""
        if self.objective is not None and (not self.steps or self.steps[-1] <= step):
            return self.objective
        if not self.steps or self.steps[-1] < step or self.state not in (TrialState.COMPLETE, TrialState.PRUNED):
            return None
        return self.losses[bisect.bisect_left(self.steps, step)]


def _evidence(trial: Trial | Evidence, direction: Direction) -> Evidence:
    return trial if isinstance(trial, Evidence) else Evidence.of(trial, direction)


def reach(trial: Trial) -> float:
    """How far ``trial`` got: ``inf`` if complete, its last reported step if pruned with a curve, else ``-inf``."""
    return Evidence.of(trial, Direction.MINIMIZE).reach


def loss_at(trial: Trial, step: float, direction: Direction) -> float | None:
    """``trial``'s loss at ``step``, or ``None`` when it did not get that far (see the module docstring).

    A complete trial whose curve ends at or before ``step`` (or has no curve) has its
    objective there: it ran in full.  Otherwise the value is the best loss over its points
    up to the first one at or past ``step`` (the mean loss over them for folds).
    """
    return Evidence.of(trial, direction).loss_at(step)


def partial_loss(trial: Trial, direction: Direction) -> float | None:
    """The loss at the furthest point ``trial`` reached: its objective if complete, its curve's
    value at its last step if pruned (best so far; mean of the folds), else ``None``."""
    return Evidence.of(trial, direction).reached


def rank_key(trial: Trial, direction: Direction) -> tuple[float, float]:
    """Sort key, best first: complete trials by loss, then pruned trials, those that got
    further first, each by its :func:`partial_loss`; failed trials last."""
    return Evidence.of(trial, direction).key


def levels(trials: Iterable[Trial | Evidence]) -> list[float]:
    """The steps a model may be fitted at, lowest first: the last step of each curve of a
    complete or pruned trial, and ``inf`` (the objective) once a trial completed.

    With ASHA or Hyperband these are the rungs (a pruned trial's last step is the rung it
    was stopped at) and the full resource; with the median rule, the steps trials stopped at.
    """
    found: set[float] = set()
    for t in trials:
        e = _evidence(t, Direction.MINIMIZE)
        if e.objective is not None:
            found.add(math.inf)
        if e.state in (TrialState.COMPLETE, TrialState.PRUNED) and e.steps:
            found.add(e.steps[-1])
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


def training_set(
    trials: Sequence[Trial | Evidence], direction: Direction, enough: int, below: str = "worst"
) -> TrainingSet:
    """BOHB's rule: the highest level that at least ``enough`` trials reached (the lowest level
    before any has that many), each trial with its loss there.

    ``trials`` are trials or their :class:`Evidence` (in ``direction``).  Trials below the
    level: ``below="worst"`` gives them the worst loss at the level (they were stopped, or
    failed, before it: no better than the worst that got there), ``"ignore"`` leaves them
    out (BOHB), and failed trials are dropped too.  Interrupted and running trials are
    never used.
    """
    if below not in ("worst", "ignore"):
        raise ValueError(f"below must be 'worst' or 'ignore', not {below!r}")
    used = [e for e in (_evidence(t, direction) for t in trials) if e.state.counted]
    level = _level(used, enough)
    rows = [TrialLoss(e.number, loss) for e in used if (loss := e.loss_at(level)) is not None and math.isfinite(loss)]
    reached = len(rows)
    if below == "worst" and rows:
        worst = max(r.loss for r in rows)
        got = {r.number for r in rows}
        rows += [TrialLoss(e.number, worst) for e in used if e.number not in got]
    return TrainingSet(level, tuple(rows), reached)


def _level(used: Sequence[Evidence], enough: int) -> float:
    """The highest of :func:`levels` with ``enough`` trials, counted without computing a loss:
    a complete trial has one at every level, a pruned one up to its last step."""
    complete = sum(1 for e in used if e.objective is not None)
    pruned = sorted(e.steps[-1] for e in used if e.objective is None and e.state is TrialState.PRUNED and e.steps)
    ends = {e.steps[-1] for e in used if e.objective is not None and e.steps}
    steps = sorted(ends.union(pruned)) + ([math.inf] if complete else [])
    for step in reversed(steps):
        if complete + len(pruned) - bisect.bisect_left(pruned, step) >= enough:
            return step
    return steps[0] if steps else math.inf
