"""The ``asha`` rule's decisions on hand-built curves."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hpmagic.core import Direction, TrialState
from hpmagic.pruning import ASHAPruner

from .rulekit import MAX, MIN, curve, finished, ready, run_trial

# ---------------------------------------------------------------------------------------
# asha
# ---------------------------------------------------------------------------------------


def test_asha_the_first_trial_at_a_rung_goes_on_and_the_next_must_beat_it():
    pruner = ready(ASHAPruner(max_resource=10))  # rungs 1, 3, 9
    assert pruner.rungs() == [1.0, 3.0, 9.0]
    first = pruner.report(0, 1, 1.0)
    assert not first.prune and first.rung == 1.0 and first.reason == "promoted at rung 1"
    assert not pruner.report(1, 1, 0.9).prune  # best of 2
    decision = pruner.report(2, 1, 0.95)  # 2nd of 3: only ceil(3/3) = 1 goes on
    assert decision.prune and decision.rung == 1.0
    assert decision.reason == "at rung 1 (step 1) its best value 0.95 ranked 2 of 3; only the best goes on (eta=3)"
    assert not pruner.report(3, 1, 0.95).prune  # 4 values: ceil(4/3) = 2 go on, it ranks 2nd (0.9 < 0.95 = 0.95)


def test_asha_ranks_with_ceil_so_at_least_a_third_go_on():
    pruner = ready(ASHAPruner(max_resource=100))
    for n, value in enumerate([5.0, 4.0, 3.0, 2.0, 1.0, 0.5]):  # each one better: all go on
        assert not pruner.report(n, 1, value).prune
    assert pruner.report(6, 1, 2.5).prune  # 7 values, top ceil(7/3) = 3: it ranks 4th
    assert not pruner.report(7, 1, 1.5).prune  # 8 values, top 3: it ranks 3rd


def test_asha_ties_share_the_better_rank():
    pruner = ready(ASHAPruner(max_resource=100))
    for n in range(5):
        assert not pruner.report(n, 1, 0.5).prune  # all equal: every one ranks first


def test_asha_decides_only_at_rungs_and_records_the_best_so_far():
    pruner = ready(ASHAPruner(max_resource=100))
    pruner.report(0, 1, 1.0)
    pruner.report(0, 2, 0.1)
    assert pruner.report(0, 3, 0.7).rung == 3.0  # recorded at rung 3: its best so far, 0.1
    pruner.report(1, 1, 0.5)
    assert pruner.report(1, 2, 5.0).rung is None  # no rung at 2: no decision
    assert pruner.report(1, 3, 0.2).prune  # best 0.2 vs 0.1 at rung 3
    assert pruner.snapshot()["rungs"] == {0: {1.0: {0: 1.0, 1: 0.5}, 3.0: {0: 0.1, 1: 0.2}}}


def test_asha_a_report_that_jumps_over_rungs_is_recorded_and_judged_at_each():
    pruner = ready(ASHAPruner(max_resource=100))  # rungs 1, 3, 9, 27, 81
    for n, value in enumerate([0.5, 0.6]):
        run_trial(pruner, n, [(1, 1.0), (3, value), (9, value)])  # trials 0 and 1 at rungs 1, 3, 9
    decision = pruner.report(2, 1, 1.0)
    assert not decision.prune
    decision = pruner.report(2, 20, 0.55)  # reaches 3 and 9 at once: 2nd of 3 at each
    assert decision.prune and decision.rung == 3.0 and "at rung 3 (step 20)" in decision.reason
    assert pruner.snapshot()["rungs"][0][9.0][2] == 0.55  # recorded at 9 too
    ahead = pruner.report(3, 20, 0.1)  # first report at 20: reaches 1, 3 and 9, best at each
    assert not ahead.prune and ahead.rung == 9.0 and ahead.reason == "promoted at rung 9"


def test_asha_learns_max_resource_from_the_first_complete_trial():
    pruner = ready(ASHAPruner())
    assert "max_resource learned from the first complete trial" in pruner.describe()
    run_trial(pruner, 0, curve([1.0]), TrialState.FAILED)  # not complete: learns nothing
    pruner.finish(finished(1), [])  # complete with no curve: learns nothing
    assert pruner.snapshot()["max_resource"] is None
    pruner.report(2, 27, 5.0)  # rung 27 counts while the horizon is unknown
    assert 27.0 in pruner.snapshot()["rungs"][0]
    run_trial(pruner, 3, curve([1.0] * 20))  # complete at step 20: max_resource 20
    assert pruner.snapshot()["max_resource"] == 20.0 and pruner.rungs() == [1.0, 3.0, 9.0]
    assert 27.0 not in pruner.snapshot()["rungs"][0]  # rungs at or past it are dropped
    assert pruner.describe() == (
        "asha: rungs at steps 1, 3, 9; the top 1/3 at each rung go on (min_resource=1, eta=3, "
        "max_resource=20 learned from trial 3)"
    )
    run_trial(pruner, 4, curve([1.0] * 30))  # a later, longer trial changes nothing
    assert pruner.snapshot()["max_resource"] == 20.0
    for step in (1, 3, 9):
        assert not pruner.report(5, step, 0.0).prune
    assert pruner.report(5, 20, 9.0).rung is None  # 20 is no rung: nothing decided there
    assert pruner.report(6, 9, 9.0).prune


def test_asha_never_prunes_at_max_resource():
    pruner = ready(ASHAPruner(max_resource=9))
    run_trial(pruner, 0, curve([0.0] * 9))
    assert pruner.rungs() == [1.0, 3.0]
    pruner.report(1, 1, 0.0)
    pruner.report(1, 3, 0.0)
    assert pruner.report(1, 9, 99.0).rung is None


def test_asha_min_resource_and_eta():
    pruner = ready(ASHAPruner(min_resource=2, eta=2, max_resource=20))
    assert pruner.rungs() == [2.0, 4.0, 8.0, 16.0]
    assert not pruner.report(0, 1, 9.0).prune and pruner.report(0, 1.5, 9.0).rung is None
    assert pruner.report(0, 2, 9.0).rung == 2.0


@pytest.mark.parametrize("direction", [MIN, MAX])
def test_asha_decides_the_same_either_way_up(direction):
    sign = 1.0 if direction is MIN else -1.0
    pruner = ready(ASHAPruner(max_resource=10), direction)
    assert not pruner.report(0, 1, sign * 1.0).prune
    assert pruner.report(1, 1, sign * 2.0).prune
    assert not pruner.report(2, 1, sign * 0.5).prune


@settings(max_examples=60, deadline=None)
@given(
    curves=st.lists(
        st.lists(st.tuples(st.integers(1, 4), st.floats(-5, 5)), min_size=1, max_size=6), min_size=1, max_size=10
    ),
    order=st.randoms(use_true_random=False),
    maximize=st.booleans(),
)
def test_asha_never_prunes_the_best_trial_at_its_rung(curves, order, maximize):
    """Interleaved reports of several running trials, steps jumping by 1 to 4."""
    direction = Direction.of(maximize)
    pruner = ready(ASHAPruner(max_resource=50), direction)
    queues = {n: [(sum(g for g, _ in c[: i + 1]), v) for i, (_, v) in enumerate(c)] for n, c in enumerate(curves)}
    best: dict[int, float] = {}
    while queues:
        n = order.choice(sorted(queues))
        step, value = queues[n].pop(0)
        best[n] = min(best.get(n, math.inf), direction.loss(value))
        decision = pruner.report(n, step, value)
        if decision.rung is not None and decision.prune:
            rung_values = pruner.snapshot()["rungs"][0][decision.rung]
            assert best[n] > min(rung_values.values())  # never the best at the rung it was pruned at
        if decision.prune or not queues[n]:
            del queues[n]
