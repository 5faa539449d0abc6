"""The ``hyperband`` rule: brackets, their shares and their decisions."""

from __future__ import annotations

from collections import Counter

import pytest

from hpmagic.pruning import HyperbandPruner

from .rulekit import curve, ready, run_trial

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
        "bracket has no rung (its trials run in full); the top 1/3 at each rung go on, by the mean of their last 3 "
        "points (min_resource=1, eta=3, smooth=3, max_resource=27)"
    )


@pytest.mark.parametrize(
    ("max_resource", "text"),
    [
        (
            30,
            "hyperband: 4 brackets sharing the trials 27:12:6:4, their first rungs at steps 1, 3, 9 and 27; the top "
            "1/3 at each rung go on, by the mean of their last 3 points (min_resource=1, eta=3, smooth=3, "
            "max_resource=30)",
        ),
        (
            9,
            "hyperband: 3 brackets sharing the trials 9:5:3, their first rungs at steps 1 and 3, the last bracket "
            "has no rung (its trials run in full); the top 1/3 at each rung go on, by the mean of their last 3 "
            "points (min_resource=1, eta=3, smooth=3, max_resource=9)",
        ),
        (
            2,
            "hyperband: 1 bracket, its first rung at step 1; the top 1/3 at each rung go on, by the mean of their last 3 "
            "points (min_resource=1, eta=3, smooth=3, max_resource=2)",
        ),
    ],
)
def test_hyperband_says_each_brackets_first_rung_in_words(max_resource, text):
    assert ready(HyperbandPruner(max_resource=max_resource)).describe() == text


def test_hyperband_learned_to_be_one_step_long_says_nothing_is_pruned():
    pruner = ready(HyperbandPruner())
    run_trial(pruner, 0, [(1.0, 0.5)])  # max_resource learned: 1, no rung below it
    assert pruner.describe() == (
        "hyperband: 1 bracket, no rung below max_resource, so nothing is pruned; the top 1/3 at each rung go on, "
        "by the mean of their last 3 points (min_resource=1, eta=3, smooth=3, max_resource=1 learned from trial 0)"
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
    assert pruner.describe().startswith(
        "hyperband: brackets set once max_resource is known; until then asha's rungs at"
    )
    run_trial(pruner, 0, curve([1.0] * 27))
    assert pruner.s_max() == 3
    brackets = [pruner.assign(n) for n in range(2, 49)]
    assert Counter([0, 0, *brackets]) == {0: 27, 1: 12, 2: 6, 3: 4}  # the early ones count in the shares


def test_hyperband_trials_compete_only_within_their_bracket():
    pruner = ready(HyperbandPruner(max_resource=27, smooth=0))  # each rung records the best value so far
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
