"""The ``median`` rule's decisions on hand-built curves."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hpmagic.core import Direction, TrialState
from hpmagic.pruning import MedianPruner

from .rulekit import MAX, MIN, curve, finished, ready, run_trial

# ---------------------------------------------------------------------------------------
# median
# ---------------------------------------------------------------------------------------

GOOD = [1.0, 0.8, 0.6, 0.5, 0.4]


def median_with(trials: int, **settings) -> MedianPruner:
    pruner = ready(MedianPruner(**settings))
    for n in range(trials):  # finished trials, their values at each step spread around GOOD
        run_trial(pruner, n, curve([v + 0.1 * n for v in GOOD]))
    return pruner


def test_median_waits_for_min_trials_finished_trials_at_the_step():
    pruner = median_with(4)
    assert not pruner.report(10, 1, 9.0).prune  # far worse, but only 4 trials reach step 1
    pruner = median_with(5)
    decision = pruner.report(10, 1, 9.0)
    assert decision.prune and decision.step == 1.0 and decision.rung is None
    assert (
        decision.reason == "at step 1 its best value 9 was worse than the median 1.2 of 5 earlier trials at that step"
    )


def test_median_a_single_trial_is_never_pruned():
    pruner = ready(MedianPruner(min_trials=1))
    assert not run_trial(pruner, 0, curve([5.0, 6.0, 7.0])).prune


def test_median_goes_on_when_better_than_the_median_and_on_a_tie():
    pruner = median_with(5)  # medians per step: GOOD + 0.2
    assert not pruner.report(10, 1, 1.1).prune
    assert not pruner.report(11, 1, 1.2).prune  # equal to the median: goes on
    assert pruner.report(12, 1, 1.2000001).prune


def test_median_compares_best_so_far_values():
    pruner = median_with(5)
    assert not pruner.report(10, 1, 0.5).prune
    assert not pruner.report(10, 2, 3.0).prune  # worse now, but its best (0.5) beats the median (1.0)
    assert pruner.report(11, 1, 1.5).prune


def test_median_compares_at_the_largest_step_each_trial_reported():
    pruner = ready(MedianPruner(min_trials=3))
    for n in range(3):  # steps 0, 2, 4, 6: at step 3 each stands at its best of steps 0 and 2
        run_trial(pruner, n, [(0, 2.0 + n), (2, 1.0 + n), (4, 0.5 + n), (6, 0.2 + n)])
    pruner.report(10, 0, 5.0)  # worse than the median 3 at step 0, but...
    assert pruner.snapshot()["stopped"] == [10]
    assert not pruner.report(11, 3, 1.9).prune  # median at step 3: best of steps <= 3 = 1, 2, 3 -> 2
    assert pruner.report(12, 3, 2.1).prune


def test_median_compares_finished_trials_that_reached_the_step_whatever_their_end():
    pruner = ready(MedianPruner(min_trials=2))
    run_trial(pruner, 0, curve([1.0, 0.9, 0.8, 0.7]))
    run_trial(pruner, 1, curve([1.1, 1.0, 0.9, 0.8]))
    run_trial(pruner, 2, curve([3.0]), TrialState.PRUNED)  # stopped at step 1: not compared at step 2
    run_trial(pruner, 3, curve([2.0, 2.0, 2.0]), TrialState.FAILED)  # failed after step 3: compared up to it
    pruner.report(4, 1, 0.0)  # running: never compared
    assert pruner.report(10, 1, 1.6).prune  # step 1: trials 0, 1, 2, 3 -> median (1.1 + 2) / 2 = 1.55
    assert not pruner.report(11, 1, 1.05).prune
    assert pruner.report(11, 2, 1.01).prune  # step 2: trials 0, 1, 3 -> median 1.0
    assert not pruner.report(12, 1, 1.5).prune  # below the median 1.55 of trials 0 to 3
    pruner.finish(finished(4, TrialState.INTERRUPTED), [(1, 0.0), (2, 0.0)])  # now compared
    assert pruner.report(13, 1, 1.5).prune  # step 1: trials 0 to 4 -> median 1.1


def test_median_min_step_and_interval():
    pruner = median_with(5, min_step=2, interval=2)
    assert not pruner.report(10, 1, 9.0).prune  # before min_step
    assert pruner.report(10, 2, 9.0).prune
    pruner.report(11, 2, 0.0)  # decided at 2 (goes on)
    assert not pruner.report(11, 3, 9.0).prune  # best so far 0: fine anyway
    pruner.report(12, 2, 1.0)  # the median at 2 is 1.0: goes on
    assert not pruner.report(12, 3, 9.0).prune  # step 3: not due (interval 2 after step 2)
    assert pruner.report(12, 4, 9.0).prune  # due at 4: best 1.0 > median 0.8


def test_median_does_not_decide_at_the_last_step_of_the_longest_complete_trial():
    pruner = median_with(5)
    pruner.report(10, 1, 0.0)
    assert not pruner.report(10, 5, 0.1).prune  # step 5: the end of every complete trial
    pruner.report(11, 1, 0.0)
    assert pruner.report(11, 4, 9.0).prune is False  # best 0.0: still fine
    assert pruner.report(12, 4.5, 9.0).prune  # between the steps: compared at 4


@pytest.mark.parametrize("direction", [MIN, MAX])
def test_median_decides_the_same_either_way_up(direction):
    sign = 1.0 if direction is MIN else -1.0
    pruner = ready(MedianPruner(), direction)
    for n in range(5):
        run_trial(pruner, n, curve([sign * (v + 0.1 * n) for v in GOOD]))
    assert pruner.report(10, 1, sign * 1.3).prune
    assert not pruner.report(11, 1, sign * 1.1).prune
    reason = pruner.report(12, 1, sign * 9.0).reason
    assert f"best value {'9' if sign > 0 else '-9'}" in reason and f"median {'1.2' if sign > 0 else '-1.2'}" in reason


@settings(max_examples=60, deadline=None)
@given(
    others=st.lists(st.lists(st.floats(-10, 10), min_size=4, max_size=4), min_size=1, max_size=8),
    mine=st.lists(st.floats(-10, 10), min_size=1, max_size=4),
    maximize=st.booleans(),
)
def test_median_never_prunes_a_trial_at_least_as_good_as_every_other_so_far(others, mine, maximize):
    direction = Direction.of(maximize)
    pruner = ready(MedianPruner(min_trials=1), direction)
    for n, values in enumerate(others):
        run_trial(pruner, n, curve(values), TrialState.PRUNED)  # pruned: no horizon
    for i, value in enumerate(mine):
        step = float(i + 1)
        loss_best = min(direction.loss(v) for v in mine[: i + 1])
        theirs = [min(direction.loss(v) for v in o[: i + 1]) for o in others]
        decision = pruner.report(99, step, value)
        if loss_best <= min(theirs):
            assert not decision.prune
        if decision.prune:
            break
