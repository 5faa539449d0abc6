"""The pruning rules as pure logic: each rule's decisions on hand-built curves, the checks on a
reported point, the ``--prune`` spec, and a state rebuilt from ``finish`` calls (a resumed
study) equal to the live one.

The rules are driven the way the search will drive them: ``setup``, then per trial
``assign``, ``report`` point by point (stopping at the first prune), and ``finish`` with the
points the trial reported, in the order the trials end.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hpmagic.core import Direction, Trial, TrialState
from hpmagic.errors import HpmagicError, OptionError, ReportError
from hpmagic.pruning import (
    DEFAULT,
    PRUNERS,
    ASHAPruner,
    Decision,
    FoldPruner,
    HyperbandPruner,
    MedianPruner,
    Pruner,
    check_point,
    make_pruner,
    parse_prune_spec,
)

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


# ---------------------------------------------------------------------------------------
# The checks on one point
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf, np.float64("nan"), np.float32("inf")])
def test_a_value_that_is_not_finite_is_refused(value):
    with pytest.raises(ReportError, match="not a finite number") as caught:
        check_point(value, 3)
    assert "step 3" in str(caught.value) and "diverged" in str(caught.value)


@pytest.mark.parametrize("value", ["0.5", True, np.bool_(True), None, [0.5], np.array([0.5, 0.6]), 1 + 2j, b"1"])
def test_a_value_that_is_not_a_real_number_is_refused(value):
    with pytest.raises(ReportError, match="the value must be a real number, but got a"):
        check_point(value, 0)


@pytest.mark.parametrize("value", [1, 0.5, np.float32(0.25), np.int64(2), np.array(0.75)])
def test_real_numbers_of_any_kind_are_accepted_as_floats(value):
    step, number = check_point(value, np.int64(4))
    assert (step, number) == (4.0, float(value)) and type(step) is float and type(number) is float


@pytest.mark.parametrize("step", [-1, -0.5, math.nan, math.inf, "1", None, True])
def test_a_step_that_is_negative_not_finite_or_not_a_number_is_refused(step):
    with pytest.raises(ReportError, match="the step must be a finite number of at least 0"):
        check_point(0.5, step)


def test_a_step_that_repeats_or_goes_backwards_is_refused():
    with pytest.raises(ReportError, match="step 5 was already reported"):
        check_point(0.5, 5, previous_step=5.0)
    with pytest.raises(ReportError, match="step 2 comes after step 5; each report of a trial needs a larger step"):
        check_point(0.5, 2, previous_step=5.0)
    assert check_point(0.5, 5.5, previous_step=5.0) == (5.5, 0.5)


def test_report_error_is_an_hpmagic_error_and_a_value_error():
    assert issubclass(ReportError, HpmagicError) and issubclass(ReportError, ValueError)


@pytest.mark.parametrize("name", sorted(PRUNERS))
@pytest.mark.parametrize(
    "step, value, words",
    [(2, math.nan, "not a finite number"), (2, math.inf, "not a finite number"), (1, 0.5, "already reported"),
     (0.5, 0.5, "comes after step 1"), (-1, 0.5, "at least 0")],
)
def test_every_rule_refuses_a_bad_point_before_deciding_and_records_nothing(name, step, value, words):
    pruner = ready(PRUNERS[name]())
    pruner.assign(0)
    pruner.report(0, 1, 0.5)
    before = pruner.snapshot()
    with pytest.raises(ReportError, match=words):
        pruner.report(0, step, value)
    assert pruner.snapshot() == before
    assert not pruner.report(0, 2, 0.4).prune  # the trial goes on after a refused point


@pytest.mark.parametrize("name", sorted(PRUNERS))
def test_a_report_after_the_trial_ended_is_refused(name):
    pruner = ready(PRUNERS[name]())
    run_trial(pruner, 0, curve([1.0, 0.9]))
    with pytest.raises(ReportError, match="trial 0 has already ended"):
        pruner.report(0, 3, 0.8)


def test_a_pruned_trial_gets_the_same_decision_again_and_records_nothing():
    pruner = ready(ASHAPruner())
    run_trial(pruner, 0, curve([1.0, 0.5, 0.2]))
    first = pruner.report(1, 1, 5.0)
    assert first.prune
    before = pruner.snapshot()
    assert pruner.report(1, 2, 0.0) == first and pruner.report(1, 3, math.nan) == first
    assert pruner.snapshot() == before


def test_a_stored_curve_with_a_bad_point_is_refused_by_finish():
    pruner = ready(MedianPruner())
    with pytest.raises(ReportError, match="comes after step 3"):
        pruner.finish(finished(0), [(3, 1.0), (2, 0.5)])


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
    assert decision.reason == "at step 1 its best value 9 was worse than the median 1.2 of 5 earlier trials at that step"


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


# ---------------------------------------------------------------------------------------
# hyperband
# ---------------------------------------------------------------------------------------


def test_hyperband_brackets_follow_the_original_schedule():
    pruner = ready(HyperbandPruner(max_resource=27))
    assert pruner.s_max() == 3 and pruner.bracket_sizes() == [27, 12, 6, 4]
    assert [pruner.rungs(b) for b in range(4)] == [[1.0, 3.0, 9.0], [3.0, 9.0], [9.0], []]
    assert ready(HyperbandPruner(max_resource=81)).bracket_sizes() == [81, 34, 15, 8, 5]
    assert ready(HyperbandPruner(max_resource=30)).bracket_sizes() == [27, 12, 6, 4]  # 27 <= 30 < 81
    assert ready(HyperbandPruner(max_resource=2)).bracket_sizes() == [1]  # one bracket: plain asha
    assert pruner.describe() == (
        "hyperband: 4 brackets sharing the trials 27:12:6:4, their first rungs at steps 1, 3 and 9, the last "
        "bracket has no rung (its trials run in full); the top 1/3 at each rung go on (min_resource=1, eta=3, "
        "max_resource=27)"
    )


@pytest.mark.parametrize(
    ("max_resource", "text"),
    [
        (30, "hyperband: 4 brackets sharing the trials 27:12:6:4, their first rungs at steps 1, 3, 9 and 27; the top "
             "1/3 at each rung go on (min_resource=1, eta=3, max_resource=30)"),
        (9, "hyperband: 3 brackets sharing the trials 9:5:3, their first rungs at steps 1 and 3, the last bracket "
            "has no rung (its trials run in full); the top 1/3 at each rung go on (min_resource=1, eta=3, "
            "max_resource=9)"),
        (2, "hyperband: 1 bracket, its first rung at step 1; the top 1/3 at each rung go on (min_resource=1, eta=3, "
            "max_resource=2)"),
    ],
)
def test_hyperband_says_each_brackets_first_rung_in_words(max_resource, text):
    assert ready(HyperbandPruner(max_resource=max_resource)).describe() == text


def test_hyperband_learned_to_be_one_step_long_says_nothing_is_pruned():
    pruner = ready(HyperbandPruner())
    run_trial(pruner, 0, [(1.0, 0.5)])  # max_resource learned: 1, no rung below it
    assert pruner.describe() == (
        "hyperband: 1 bracket, no rung below max_resource, so nothing is pruned; the top 1/3 at each rung go on "
        "(min_resource=1, eta=3, max_resource=1 learned from trial 0)"
    )


def test_hyperband_assigns_each_bracket_its_share_deterministically():
    pruner = ready(HyperbandPruner(max_resource=27))
    brackets = [pruner.assign(n) for n in range(49)]
    assert Counter(brackets) == {0: 27, 1: 12, 2: 6, 3: 4}  # one round: exactly the schedule
    assert brackets[:8] == [0, 1, 0, 2, 0, 3, 0, 1]  # interleaved, not in blocks
    assert [pruner.assign(n) for n in range(49)] == brackets  # asked again: the same answers
    again = ready(HyperbandPruner(max_resource=27))
    assert [again.assign(n) for n in range(49)] == brackets
    more = [pruner.assign(n) for n in range(49, 49 * 3)]
    assert Counter(brackets + more) == {0: 81, 1: 36, 2: 18, 3: 12}


def test_hyperband_trials_before_max_resource_is_learned_go_to_bracket_0():
    pruner = ready(HyperbandPruner())
    assert pruner.s_max() is None and pruner.assign(0) == 0 and pruner.assign(1) == 0
    assert pruner.describe().startswith("hyperband: brackets set once max_resource is known; until then asha's rungs at")
    run_trial(pruner, 0, curve([1.0] * 27))
    assert pruner.s_max() == 3
    brackets = [pruner.assign(n) for n in range(2, 49)]
    assert Counter([0, 0, *brackets]) == {0: 27, 1: 12, 2: 6, 3: 4}  # the early ones count in the shares


def test_hyperband_trials_compete_only_within_their_bracket():
    pruner = ready(HyperbandPruner(max_resource=27))
    assert [pruner.assign(n) for n in range(4)] == [0, 1, 0, 2]
    pruner.report(0, 3, 0.1)  # bracket 0: recorded at rungs 1 and 3
    one = pruner.report(1, 1, 9.0)  # bracket 1: its first rung is 3, nothing at 1
    assert not one.prune and one.rung is None and one.bracket == 1
    assert not pruner.report(1, 3, 5.0).prune  # the first of bracket 1 at rung 3: 0.1 in bracket 0 is not its rival
    decision = pruner.report(2, 3, 0.2)  # bracket 0: behind trial 0 at rung 3
    assert decision.prune and decision.bracket == 0
    assert not pruner.report(3, 9, 8.0).prune  # bracket 2 starts at 9, alone there
    four = pruner.report(4, 3, 6.0)  # trial 4: bracket 0 (assigned on its first report)
    assert four.bracket == pruner.assign(4) == 0 and four.prune
    rungs = pruner.snapshot()["rungs"]
    assert rungs[1] == {3.0: {1: 5.0}} and rungs[2] == {9.0: {3: 8.0}}
    assert [pruner.assign(n) for n in (5, 6, 7)] == [3, 0, 1]  # in the order trials start
    assert "in bracket 1, at rung 3" in pruner.report(7, 3, 7.0).reason  # behind trial 1 in bracket 1


# ---------------------------------------------------------------------------------------
# folds
# ---------------------------------------------------------------------------------------

FOLD_EFFECT = [0.02, -0.03, 0.01, 0.0, -0.01]
NOISE = [
    [0.004, -0.003, 0.001, -0.002, 0.0],
    [-0.002, 0.003, 0.0, 0.001, -0.002],
    [0.001, 0.0, -0.004, 0.002, 0.001],
    [0.0, -0.001, 0.002, -0.003, 0.002],
]


def folds_of(mean: float, noise: Sequence[float] = (0.0,) * 5) -> list[tuple[float, float]]:
    return [(float(k), mean + FOLD_EFFECT[k] + noise[k]) for k in range(5)]


def fold_pruner(direction: Direction = MAX, **settings) -> FoldPruner:
    """Four complete trials of accuracy around 0.90 to 0.93 (trial 3 the best), noise sd ~0.002."""
    pruner = ready(FoldPruner(**settings), direction)
    sign = 1.0 if direction is MAX else -1.0
    for n, mean in enumerate([0.90, 0.91, 0.92, 0.93]):
        pruner.finish(finished(n), [(s, sign * v) for s, v in folds_of(mean, NOISE[n])])
    return pruner


def test_folds_prunes_a_clearly_worse_trial_after_one_fold():
    pruner = fold_pruner()
    assert pruner.reference() == 3
    decision = pruner.report(10, 0, 0.80)  # 0.13 below the best on fold 0
    assert decision.prune and decision.step == 0.0
    assert decision.reason.startswith("after 1 fold of 5 it was behind trial 3 by 0.15 on average: a <1% chance of "
                                      "ending at least ")
    assert decision.reason.endswith(" ahead of it (below 30%)")


def test_folds_goes_on_for_a_trial_ahead_of_the_best():
    pruner = fold_pruner()
    points = folds_of(0.94, [0.001, -0.002, 0.002, 0.0, -0.001])
    for step, value in points[:4]:
        assert not pruner.report(10, step, value).prune
    pruner.finish(finished(10), points)
    assert pruner.reference() == 10


def test_folds_stops_a_trial_level_with_the_best_after_three_of_five_folds():
    """Level all the way, its chance of ending half a standard error ahead falls with each
    fold: 40%, 34%, then 27% (below 30%) after the third."""
    pruner = fold_pruner()
    points = folds_of(0.93, NOISE[3])  # trial 3's own scores, fold for fold
    decisions = [pruner.report(10, step, value) for step, value in points[:3]]
    assert [d.prune for d in decisions] == [False, False, True]
    assert decisions[-1].reason.startswith("after 3 folds of 5 it was level with trial 3: a 2")
    assert pruner.evidence(pruner_curve(points[:3])).mean == 0.0


def pruner_curve(points):
    from hpmagic.pruning.base import Curve

    return Curve.of(points, MAX)


def test_folds_one_good_fold_outweighs_a_small_deficit():
    pruner = fold_pruner()
    points = folds_of(0.93, NOISE[3])
    assert not pruner.report(10, 0, points[0][1] + 0.01).prune  # ahead of trial 3 on fold 0
    assert not pruner.report(10, 1, points[1][1] - 0.004).prune  # behind on fold 1, still ahead on average
    assert pruner.report(11, 0, points[0][1] - 0.01).prune  # the same deficit on its first fold: stopped


def test_folds_does_not_decide_at_the_last_fold_or_before_min_folds():
    pruner = fold_pruner()
    worse = folds_of(0.85)
    for step, value in worse[:4]:
        pruner.report(10, step, value + 0.2 * (step < 4))  # better at first: goes on
    assert not pruner.report(10, 4, worse[4][1]).prune  # its last fold: nothing left to save
    late = fold_pruner(min_folds=2)
    assert not late.report(10, 0, 0.5).prune and late.report(10, 1, 0.5).prune


def test_folds_waits_for_a_reference_and_a_noise_estimate():
    pruner = ready(FoldPruner(), MAX)
    assert pruner.reference() is None and not pruner.report(0, 0, 0.1).prune  # no complete trial
    pruner = ready(FoldPruner(), MAX)
    pruner.finish(finished(0), folds_of(0.95))
    reference = folds_of(0.95)
    assert not pruner.report(1, 0, 0.1).prune  # one complete trial: no degree of freedom after one fold
    # Its own two folds give one (Student's t with one degree of freedom: heavy tails):
    assert not pruner.report(2, 0, reference[0][1] - 0.02).prune
    assert not pruner.report(2, 1, reference[1][1] + 0.02).prune  # level on average: it goes on
    assert pruner.report(3, 0, reference[0][1] - 0.5).prune is False
    assert pruner.report(3, 1, reference[1][1] - 0.5).prune  # exactly 0.5 worse on both: no noise at all


def test_folds_chance_is_the_predictive_probability_of_ending_ahead():
    from scipy import stats

    pruner = fold_pruner()
    points = folds_of(0.93, NOISE[3])
    curve = pruner_curve([(0.0, points[0][1] - 0.003), (1.0, points[1][1] - 0.001)])
    found = pruner.evidence(curve)
    assert found is not None and (found.folds, found.total) == (2, 5) and found.mean == pytest.approx(0.002)
    sd = found.spread * math.sqrt(3 / 10)  # what the three folds left may still change
    margin = 0.5 * found.spread / math.sqrt(5)
    assert found.margin == pytest.approx(margin)
    assert found.chance == pytest.approx(stats.t.cdf(-(0.002 + margin) / sd, found.df))
    assert FoldPruner(margin=1.0).chance_ahead(0.002, found.spread, found.df, 2, 5) < found.chance


def test_folds_chance_and_margin_set_how_far_behind_is_too_far():
    points = folds_of(0.93)
    value = points[0][1] - 0.003  # 0.003 behind on fold 0; a fold difference's spread is ~0.003
    assert fold_pruner().report(10, 0, value).prune
    assert not fold_pruner(chance=0.01, margin=0).report(10, 0, value).prune
    assert not fold_pruner(chance=0.3, margin=0).report(10, 0, points[0][1]).prune  # level: a 50% chance
    assert fold_pruner(chance=0.3, margin=3).report(10, 0, points[0][1]).prune  # level, but 3 errors to gain


@pytest.mark.parametrize("direction", [MIN, MAX])
def test_folds_decides_the_same_either_way_up(direction):
    sign = 1.0 if direction is MAX else -1.0
    assert fold_pruner(direction).report(10, 0, sign * 0.80).prune
    assert not fold_pruner(direction).report(10, 0, sign * 0.96).prune


def test_folds_matches_folds_by_step_and_leaves_out_others():
    pruner = fold_pruner()
    assert not pruner.report(10, 7, 0.1).prune  # a fold the reference does not have
    assert pruner.report(11, 0, 0.80).prune


# ---------------------------------------------------------------------------------------
# A resumed study: the state rebuilt from finish calls is the live state
# ---------------------------------------------------------------------------------------


def live_search(pruner: Pruner, curves: dict[int, Points], jobs: int = 3) -> list[tuple[Trial, list, int]]:
    """Run ``curves`` ``jobs`` at a time, reports interleaved round-robin; the finish calls, in order."""
    ended: list[tuple[Trial, list, int]] = []
    waiting = sorted(curves)
    running: dict[int, list] = {}
    while waiting or running:
        while waiting and len(running) < jobs:
            number = waiting.pop(0)
            pruner.assign(number)
            running[number] = []
        for number in list(running):
            done = running[number]
            step, value = curves[number][len(done)]
            done.append((step, value))
            decision = pruner.report(number, step, value)
            if decision.prune or len(done) == len(curves[number]):
                state = TrialState.PRUNED if decision.prune else TrialState.COMPLETE
                if number % 7 == 5:
                    state = TrialState.FAILED
                trial = Trial(number, {}, state)
                pruner.finish(trial, done)
                ended.append((trial, done, pruner.assign(number)))
                del running[number]
    return ended


def learning_curves(seed: int, trials: int = 30, steps: int = 27) -> dict[int, Points]:
    rng = np.random.default_rng(seed)
    out = {}
    for n in range(trials):
        final, speed = rng.uniform(0.1, 1.0), rng.uniform(0.05, 0.5)
        t = np.arange(1, steps + 1)
        out[n] = [(float(s), float(final + np.exp(-speed * s) + rng.normal(0, 0.02))) for s in t]
    return out


def fold_curves(seed: int, trials: int = 30) -> dict[int, Points]:
    rng = np.random.default_rng(seed)
    effect = rng.normal(0, 0.02, 5)
    return {n: [(float(k), float(m + effect[k] + rng.normal(0, 0.01))) for k in range(5)]
            for n, m in enumerate(rng.uniform(0.6, 0.95, trials))}


RULES = [
    ("median", lambda: MedianPruner(min_trials=3), learning_curves),
    ("asha", lambda: ASHAPruner(), learning_curves),
    ("asha given max", lambda: ASHAPruner(max_resource=27, eta=2), learning_curves),
    ("hyperband", lambda: HyperbandPruner(), learning_curves),
    ("hyperband given max", lambda: HyperbandPruner(max_resource=27), learning_curves),
    ("folds", lambda: FoldPruner(), fold_curves),
]


@pytest.mark.parametrize("name, make, curves", RULES, ids=[r[0] for r in RULES])
@pytest.mark.parametrize("direction", [MIN, MAX])
def test_a_state_rebuilt_from_finish_calls_equals_the_live_state(name, make, curves, direction):
    data = curves(1)
    sign = 1.0 if direction is MIN else -1.0
    data = {n: [(s, sign * v) for s, v in c] for n, c in data.items()}
    first, rest = dict(list(data.items())[:20]), dict(list(data.items())[20:])
    live = ready(make(), direction)
    ended = live_search(live, first)
    assert any(t.state is TrialState.PRUNED for t, _, _ in ended), "the test needs pruned trials"
    rebuilt = ready(make(), direction)
    for trial, points, bracket in ended:
        rebuilt.finish(trial, points, bracket)
    assert rebuilt.snapshot() == live.snapshot()
    assert rebuilt.describe() == live.describe()
    # ...and both go on the same way: the same brackets, the same decisions
    assert live_search(live, rest) == live_search(rebuilt, rest)
    assert rebuilt.snapshot() == live.snapshot()


def test_a_resumed_hyperband_continues_its_brackets_without_the_stored_brackets_too():
    live = ready(HyperbandPruner(max_resource=27))
    ended = live_search(live, learning_curves(2, trials=20))
    rebuilt = ready(HyperbandPruner(max_resource=27))
    for trial, points, _ in sorted(ended, key=lambda e: e[0].number):  # replayed by number, no brackets
        rebuilt.finish(trial, points)
    assert rebuilt.snapshot() == live.snapshot()
    assert [rebuilt.assign(n) for n in range(20, 40)] == [live.assign(n) for n in range(20, 40)]


def test_finish_replaces_what_the_live_reports_recorded():
    pruner = ready(ASHAPruner(max_resource=100))
    pruner.report(0, 1, 5.0)
    pruner.report(0, 3, 4.0)
    pruner.finish(finished(0, TrialState.INTERRUPTED), [(1, 5.0)])  # the store kept one point
    assert pruner.snapshot()["rungs"] == {0: {1.0: {0: 5.0}}} and pruner.snapshot()["running"] == {}


# ---------------------------------------------------------------------------------------
# --prune RULE:SETTING=VALUE,...
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, expected",
    [
        (None, (None, {})),
        ("", (None, {})),
        ("  ", (None, {})),
        ("auto", (None, {})),
        ("asha", ("asha", {})),
        ("ASHA", ("asha", {})),
        ("asha:", ("asha", {})),
        ("asha:eta=3,min_resource=2", ("asha", {"eta": "3", "min_resource": "2"})),
        (" hyperband : eta = 2 , max_resource = 81 ,", ("hyperband", {"eta": "2", "max_resource": "81"})),
        ("auto:eta=2", (None, {"eta": "2"})),
    ],
)
def test_parse_prune_spec(text, expected):
    assert parse_prune_spec(text) == expected


@pytest.mark.parametrize(
    "text, words",
    [
        ("asha:eta", "'eta' is not a setting; write each as NAME=VALUE, separated by commas"),
        ("asha:eta=", "'eta=' is not a setting"),
        ("asha:=3", "'=3' is not a setting"),
        (":eta=3", "name the rule before its settings, e.g. --prune asha:eta=3"),
        ("asha:eta=3,eta=4", "eta is given twice"),
    ],
)
def test_parse_prune_spec_refuses_what_it_cannot_read(text, words):
    with pytest.raises(OptionError, match=words):
        parse_prune_spec(text)


def test_make_pruner_defaults():
    assert DEFAULT == "hyperband"
    assert type(make_pruner(None, {})) is HyperbandPruner and type(make_pruner("auto")) is HyperbandPruner
    assert type(make_pruner(None, {}, folds=True)) is FoldPruner
    assert type(make_pruner(" Median ")) is MedianPruner
    asha = make_pruner(*parse_prune_spec("asha:eta=2,min_resource=0.5,max_resource=auto"))
    assert isinstance(asha, ASHAPruner) and (asha.eta, asha.min_resource, asha.max_resource) == (2, 0.5, None)
    assert make_pruner("hyperband", {"max_resource": 81, "eta": 3.0}).bracket_sizes() == [81, 34, 15, 8, 5]
    median = make_pruner("median", {"min_trials": "3", "min_step": "2.5", "interval": "1e1"})
    assert (median.min_trials, median.min_step, median.interval) == (3, 2.5, 10.0)


@pytest.mark.parametrize(
    "name, words",
    [("medain", "unknown rule 'medain' (did you mean 'median'?); use one of auto, median, asha, hyperband, folds"),
     ("hyper", "(did you mean 'hyperband'?)"),
     ("xyz", "unknown rule 'xyz'; use one of auto, median, asha, hyperband, folds")],
)
def test_make_pruner_refuses_an_unknown_rule(name, words):
    with pytest.raises(OptionError) as caught:
        make_pruner(name, {})
    assert words in str(caught.value)


def test_make_pruner_refuses_an_unknown_setting_with_the_closest_one_and_the_list():
    with pytest.raises(OptionError) as caught:
        make_pruner("asha", {"etta": "3"})
    assert str(caught.value) == (
        "--prune asha has no setting 'etta' (did you mean 'eta'?); its settings: min_resource (a number above 0; "
        "default 1), eta (a whole number of at least 2; default 3), max_resource (a number above 0, or auto "
        "(learned from the first complete trial's last step); default auto)"
    )


@pytest.mark.parametrize(
    "name, setting, value, words",
    [
        ("asha", "eta", "1", "--prune asha: eta must be a whole number of at least 2, but got '1'"),
        ("asha", "eta", "2.5", "eta must be a whole number of at least 2, but got '2.5'"),
        ("asha", "eta", "three", "eta must be a whole number"),
        ("asha", "eta", True, "eta must be a whole number"),
        ("asha", "min_resource", "0", "min_resource must be a number above 0, but got '0'"),
        ("asha", "min_resource", "nan", "min_resource must be a number above 0"),
        ("hyperband", "max_resource", "-3", "--prune hyperband: max_resource must be a number above 0, or auto"),
        ("hyperband", "max_resource", "inf", "max_resource must be a number above 0"),
        ("median", "min_trials", "0", "min_trials must be a whole number of at least 1"),
        ("median", "min_step", "-1", "min_step must be a number of at least 0"),
        ("median", "interval", "0", "interval must be a number above 0"),
        ("folds", "chance", "1", "chance must be a number between 0 and 1 (both excluded), but got '1'"),
        ("folds", "chance", "0", "chance must be a number between 0 and 1 (both excluded)"),
        ("folds", "margin", "-0.5", "margin must be a number of at least 0, but got '-0.5'"),
        ("folds", "min_folds", "0", "min_folds must be a whole number of at least 1"),
    ],
)
def test_make_pruner_refuses_a_value_out_of_range_with_the_range(name, setting, value, words):
    with pytest.raises(OptionError) as caught:
        make_pruner(name, {setting: value})
    assert words in str(caught.value)


def test_asha_refuses_max_resource_not_above_min_resource():
    with pytest.raises(OptionError, match=r"max_resource \(2\) must be larger than min_resource \(3\)"):
        make_pruner("hyperband", {"min_resource": "3", "max_resource": "2"})
    with pytest.raises(OptionError, match="eta must be a whole number of at least 2"):
        ASHAPruner(eta=1)  # the same checks from Python


@pytest.mark.parametrize(
    "name, text",
    [
        ("median", "median: stop a trial worse than the median of earlier trials at its step "
                   "(min_trials=5, min_step=0, interval=1)"),
        ("asha", "asha: rungs at steps 1, 3, 9, 27, ...; the top 1/3 at each rung go on "
                 "(min_resource=1, eta=3, max_resource learned from the first complete trial)"),
        ("folds", "folds: stop a trial unlikely to end ahead of the best trial on the same folds "
                  "(min_folds=1, chance=0.3, margin=0.5)"),
    ],
)
def test_describe_says_the_rule_and_its_settings(name, text):
    assert make_pruner(name).describe() == text
