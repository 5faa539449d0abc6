"""The median rule: stop a trial that is behind the median of the earlier trials at its step."""

from __future__ import annotations

import math
import statistics
from typing import Any

from .._format import fmt_value, plural
from ..core import TrialState
from .base import Curve, Decision, Pruner
from .settings import Setting, configure

__all__ = ["MedianPruner"]


class MedianPruner(Pruner):
    """``median``: stop a trial whose best value so far is worse than the median of the
    earlier trials' best values at the same step.

    At a report at step ``s``, the trial's standing is its best value over its points at
    steps ``<= s``.  It is compared with every *finished* trial (whatever its end: complete,
    pruned, failed or interrupted, its points are real measurements) whose curve reaches
    ``s`` (a point at or before ``s`` and one at or after it); each of them stands at its
    best value over its points at steps ``<= s``, that is at the largest step ``<= s`` it
    reported.  Running trials are not compared.  The trial is
    pruned when it is strictly worse than the median of those (a tie goes on).

    Why "the largest step ``<= s``" rather than exactly ``s``: trials need not report at the
    same steps (every few epochs, a time or a sample count as the step, a float step), and
    a rule matching exact steps would silently never decide.  Trials that stopped before
    ``s`` are not compared at ``s``: their value from an earlier step would flatter the
    trial under test.

    Settings (defaults):

    - ``min_trials`` (5): decide at a step only when at least this many finished trials
      reach it (the warm-up).
    - ``min_step`` (0): no decision before this step.  The step's scale is the cell's
      (epochs, iterations, seconds, samples), so no larger default fits every cell; raise
      it when the first steps are too noisy to rank trials.
    - ``interval`` (1): decide at the first report at or after ``min_step``, then at each
      report at least ``interval`` steps after the last decision.

    No decision is made at a step at or beyond the last step of the longest complete
    trial: there, stopping saves nothing, and the trial would lose its objective.
    """

    name = "median"
    SETTINGS = (
        Setting("min_trials", int, 5, "finished trials that must reach a step before it decides", low=1),
        Setting("min_step", float, 0.0, "no decision before this step", low=0),
        Setting("interval", float, 1.0, "steps between two decisions of a trial", low=0, low_open=True),
    )

    min_trials: int
    min_step: float
    interval: float

    def __init__(self, min_trials: int = 5, min_step: float = 0.0, interval: float = 1.0) -> None:
        super().__init__()
        configure(self, {"min_trials": min_trials, "min_step": min_step, "interval": interval})
        self._done: dict[int, Curve] = {}  # finished trials, compared with
        self._ends: dict[int, float] = {}  # complete trial -> its last step
        self._checked: dict[int, float] = {}  # running trial -> the step of its last decision

    def describe(self) -> str:
        """The rule and its settings in a line for the summary."""
        return f"median: stop a trial worse than the median of earlier trials at its step ({self._setting_text()})"

    def _due(self, number: int, step: float) -> bool:
        if step < self.min_step:
            return False
        last = self._checked.get(number)
        if last is not None and step - last < self.interval:
            return False
        self._checked[number] = step
        return True

    def _decide(self, number: int, curve: Curve) -> Decision:
        step = curve.steps[-1]
        if not self._due(number, step) or step >= max(self._ends.values(), default=math.inf):
            return self._go_on(number, curve)
        others = [c.best_at(step) for c in self._done.values() if c.reaches(step)]
        if len(others) < self.min_trials:
            return self._go_on(number, curve)
        median = statistics.median(o for o in others if o is not None)
        if curve.best <= median:
            return self._go_on(number, curve)
        return self._stop(
            number,
            curve,
            f"at step {fmt_value(step)} its best value {self._shown(curve.best)} was worse than the median "
            f"{self._shown(median)} of {plural(len(others), 'earlier trial')} at that step",
        )

    def _forget(self, number: int) -> None:
        self._done.pop(number, None)
        self._checked.pop(number, None)
        self._ends.pop(number, None)

    def _record(self, number: int, state: TrialState, curve: Curve) -> None:
        if len(curve):
            self._done[number] = curve
        if state is TrialState.COMPLETE and len(curve):
            self._ends[number] = curve.steps[-1]

    def _snapshot(self) -> dict[str, Any]:
        return {
            "compared": {n: c.points() for n, c in sorted(self._done.items())},
            "ends": dict(sorted(self._ends.items())),
            "checked": dict(sorted(self._checked.items())),
        }
