"""The ``folds`` rule (cross-validation folds): its forecast and its decisions."""

from __future__ import annotations

import math
from collections.abc import Sequence

import pytest

from hpmagic.core import Direction
from hpmagic.pruning import FoldPruner

from .rulekit import MAX, MIN, finished, ready

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
    assert decision.reason.startswith(
        "after 1 fold of 5 it was behind trial 3 by 0.15 on average: a <1% chance of ending at least "
    )
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
