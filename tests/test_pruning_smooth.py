"""What a rung records: the best value so far (``smooth=0``, asha's default) or the mean of the
last ``k`` points (``smooth=k``; hyperband's default, and so ``--prune``'s, is 3: issue 26,
figures in docs/design/pruning.md, "The rung's measure")."""

from __future__ import annotations

import pytest

import hpmagic
from hpmagic.core import TrialState
from hpmagic.errors import OptionError
from hpmagic.pruning import ASHAPruner, HyperbandPruner, make_pruner

from .rulekit import MAX, curve, finished, ready, run_trial


def test_the_default_rule_records_the_mean_of_the_last_three_points_and_asha_the_best_so_far():
    assert make_pruner(None).smooth == 3 and make_pruner("hyperband").smooth == 3
    assert make_pruner("asha").smooth == 0 and make_pruner("hyperband", {"smooth": "0"}).smooth == 0
    assert make_pruner("asha", {"smooth": "1"}).smooth == 1


@pytest.mark.parametrize("value", ["-1", "1.5", "three"])
def test_smooth_must_be_a_whole_number_of_at_least_0(value):
    with pytest.raises(OptionError) as caught:
        make_pruner("hyperband", {"smooth": value})
    assert str(caught.value) == f"--prune hyperband: smooth must be a whole number of at least 0, but got {value!r}"


def test_a_rung_records_the_mean_of_the_last_points_up_to_it():
    pruner = ready(ASHAPruner(max_resource=27, smooth=3))
    run_trial(pruner, 0, curve([0.9, 0.6, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.2]))
    assert pruner.snapshot()["rungs"][0] == {
        1.0: {0: 0.9},
        3.0: {0: pytest.approx(0.6)},
        9.0: {0: pytest.approx((0.3 + 0.3 + 0.2) / 3)},
    }


FALLS = [0.8, 0.6, 0.4] + [0.4] * 24  # leads at step 1, then turns down (a rate that diverges)
CLIMBS = [0.5, 0.7, 0.75] + [0.8] * 24  # starts behind and climbs


@pytest.mark.parametrize(
    ("smooth", "reference", "judged", "reason"),
    [
        (0, FALLS, CLIMBS, "at rung 3 (step 3) its best value 0.75 ranked 2 of 2; only the best goes on (eta=2)"),
        (0, CLIMBS, FALLS, ""),  # its best, 0.8 at step 1, still leads
        (3, FALLS, CLIMBS, ""),  # 0.65 against 0.6
        (
            3,
            CLIMBS,
            FALLS,
            "at rung 3 (step 3) the mean of its last 3 points 0.6 ranked 2 of 2; only the best goes on (eta=2)",
        ),
    ],
)
def test_a_curve_that_turns_down_is_judged_where_it_is_with_smooth_and_where_it_was_without(
    smooth, reference, judged, reason
):
    pruner = ready(ASHAPruner(min_resource=3, eta=2, max_resource=27, smooth=smooth), MAX)
    assert not run_trial(pruner, 0, curve(reference)).prune
    decision = run_trial(pruner, 1, curve(judged))
    assert (decision.prune, decision.reason if decision.prune else "") == (bool(reason), reason)


def test_one_lucky_point_of_a_noisy_curve_does_not_carry_a_trial_past_a_rung():
    pruner = ready(HyperbandPruner(min_resource=3, max_resource=27), MAX)  # smooth=3, hyperband's default
    run_trial(pruner, 0, curve([0.70] * 27))  # steady, complete (bracket 0)
    assert pruner.assign(1) == 1 and pruner.assign(2) == 0
    decision = run_trial(pruner, 2, curve([0.60, 0.60, 0.78] + [0.60] * 24))  # one lucky point, at rung 3
    assert decision.prune and decision.step == 3.0
    assert decision.reason == (
        "at rung 3 (step 3) the mean of its last 3 points 0.66 ranked 2 of 2; only the best goes on (eta=3)"
    )
    with_best = ready(HyperbandPruner(min_resource=3, max_resource=27, smooth=0), MAX)
    run_trial(with_best, 0, curve([0.70] * 27))
    with_best.assign(1)
    assert not run_trial(with_best, 2, curve([0.60, 0.60, 0.78] + [0.60] * 24)).prune  # its best, 0.78, leads


def test_a_smoothed_state_rebuilt_from_the_finished_trials_is_the_live_one():
    curves = [
        curve([0.5, 0.4, 0.35, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.29]),
        curve([0.6, 0.7, 0.2, 0.9]),
        curve([0.4, 0.3, 0.3, 0.1, 0.2, 0.2, 0.2, 0.2, 0.5, 0.5, 0.5]),
    ]
    live = ready(HyperbandPruner(max_resource=27))
    ended = [run_trial(live, n, points) for n, points in enumerate(curves)]
    rebuilt = ready(HyperbandPruner(max_resource=27))
    for n, (points, decision) in enumerate(zip(curves, ended)):
        done = [p for p in points if decision.step is None or p[0] <= decision.step]
        state = TrialState.PRUNED if decision.prune else TrialState.COMPLETE
        rebuilt.finish(finished(n, state), done, bracket=live.snapshot()["brackets"][n])
    assert rebuilt.snapshot() == live.snapshot()


NOISY = """
import random
from hpmagic import report
lr = 0.1  # tune: loguniform(0.01, 1)
rng = random.Random(round(lr, 6))
score = 0.0
for epoch in range(1, 28):
    score += lr * ((1 - lr) - score)
    report(score + rng.gauss(0, 0.02), epoch)
score
"""


def test_a_search_with_prune_alone_says_its_rungs_record_the_mean_of_the_last_three_points():
    result = hpmagic.tune(NOISY, {}, trials=20, seed=0, maximize=True, quiet=True, strategy="random", prune=True)
    (rule,) = [n for n in result.notes if n.startswith("hyperband:")]
    assert (
        "; the top 1/3 at each rung go on, by the mean of their last 3 points (min_resource=1, eta=3, smooth=3, "
        "max_resource=27 learned from trial 0)"
    ) in rule
    reasons = [t.error for t in result.trials if t.state is TrialState.PRUNED]
    assert reasons and all(" the mean of its last 3 points " in r for r in reasons)
