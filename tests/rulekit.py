"""Driving a pruning rule by hand in tests, the way a search drives it: ``setup``, then per
trial ``assign``, ``report`` point by point (stopping at the first prune), and ``finish`` with
the points the trial reported, in the order the trials end.  The rules' tests are split by
rule: ``test_pruning_points.py`` (the checks on one reported point), ``test_pruning_median.py``,
``test_pruning_asha.py``, ``test_pruning_hyperband.py``, ``test_pruning_folds.py``,
``test_pruning_resume_state.py`` (a state rebuilt from ``finish`` calls equals the live one) and
``test_pruning_spec.py`` (``--prune RULE:SETTING=VALUE``).
"""

from __future__ import annotations

from collections.abc import Sequence

from hpmagic.core import Direction, Trial, TrialState
from hpmagic.pruning import Decision, Pruner

__all__ = ["MIN", "MAX", "Points", "ready", "run_trial", "curve", "finished"]

MIN, MAX = Direction.MINIMIZE, Direction.MAXIMIZE
Points = Sequence[tuple[float, float]]


def ready(pruner: Pruner, direction: Direction = MIN, budget: int = 100) -> Pruner:
    pruner.setup(direction, budget)
    return pruner


def run_trial(pruner: Pruner, number: int, points: Points, state: TrialState | None = None) -> Decision:
    """Report ``points`` until a prune, then finish the trial with what it reported."""
    pruner.assign(number)
    done: list[tuple[float, float]] = []
    decision = Decision(False)
    for step, value in points:
        done.append((step, value))
        decision = pruner.report(number, step, value)
        if decision.prune:
            break
    ended = state or (TrialState.PRUNED if decision.prune else TrialState.COMPLETE)
    pruner.finish(Trial(number, {}, ended), done)
    return decision


def curve(values: Sequence[float], start: int = 1) -> list[tuple[float, float]]:
    return [(float(start + i), float(v)) for i, v in enumerate(values)]


def finished(number: int, state: TrialState = TrialState.COMPLETE) -> Trial:
    return Trial(number, {}, state)
