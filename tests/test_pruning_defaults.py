"""``--prune`` alone on learning curves: Hyperband (issue 26), and what its summary line says
when early values misled (the best complete trial would have been stopped by bracket 0).

The figures behind the choice are in docs/design/pruning.md ("Defaults, measured") and come
from ``benchmarks/curves.py``; these tests hold the behaviour and the exact words.
"""

from __future__ import annotations

import hpmagic
from hpmagic.core import Direction, Trial, TrialState
from hpmagic.pruning import DEFAULT, DEFAULT_FOR_FOLDS, FoldPruner, HyperbandPruner, make_pruner

MIN = Direction.MINIMIZE
RULE = (
    "hyperband: 3 brackets sharing the trials 9:5:3, their first rungs at steps 1 and 3, the last bracket has "
    "no rung (its trials run in full); the top 1/3 at each rung go on, by the mean of their last 3 points "
    "(min_resource=1, eta=3, smooth=3, max_resource=9)"
)


def run(pruner: HyperbandPruner, number: int, bracket: int, points: list[tuple[float, float]]) -> None:
    """Trial ``number`` in ``bracket``: report ``points`` until pruned, then finish it."""
    pruner.assign(number, bracket)
    done, pruned = [], False
    for step, value in points:
        done.append((step, value))
        if pruner.report(number, step, value).prune:
            pruned = True
            break
    pruner.finish(Trial(number, {}, TrialState.PRUNED if pruned else TrialState.COMPLETE), done)


def crossing(pruner: HyperbandPruner, late: float) -> HyperbandPruner:
    """Three fast starters in bracket 0 (losses 0.1, 0.2, 0.3 at step 1, stopped there or at 3),
    then a trial of bracket 2 that runs in full: 0.9 at step 1, ``late`` at steps 3 and 9."""
    pruner.setup(MIN, 100)
    for number, first in enumerate([0.1, 0.2, 0.3]):
        pruner.assign(number, 0)
        pruner.report(number, 1, first)
        pruner.finish(Trial(number, {}, TrialState.PRUNED), [(1, first)])
    run(pruner, 3, 2, [(1, 0.9), (3, late), (9, late)])
    return pruner


def test_the_default_rule_is_hyperband_for_curves_and_folds_for_cross_validation():
    assert (DEFAULT, DEFAULT_FOR_FOLDS) == ("hyperband", "folds")
    assert type(make_pruner(None)) is HyperbandPruner and type(make_pruner("auto", {"eta": "4"})) is HyperbandPruner
    assert type(make_pruner(None, folds=True)) is FoldPruner


def test_hyperband_says_when_bracket_0_would_have_stopped_the_best_complete_trial():
    pruner = crossing(HyperbandPruner(max_resource=9), late=0.05)
    assert pruner.describe() == RULE + (
        "; early values misled here (curves that cross, or noise): the best complete trial, trial 3 of bracket 2, "
        "ranked 4 of 4 at step 1 of bracket 0, which would have stopped it; the later brackets, which prune less, "
        "kept it"
    )


def test_hyperband_says_nothing_more_when_bracket_0_would_have_kept_the_best_trial():
    pruner = HyperbandPruner(max_resource=9)
    pruner.setup(MIN, 100)
    for number, first in enumerate([0.1, 0.2, 0.3]):
        pruner.assign(number, 0)
        pruner.report(number, 1, first)
        pruner.finish(Trial(number, {}, TrialState.PRUNED), [(1, first)])
    run(pruner, 3, 2, [(1, 0.05), (3, 0.04), (9, 0.01)])  # best at step 1 too: early values rank as the end does
    assert pruner.describe() == RULE


def test_hyperband_says_nothing_more_when_the_best_trial_is_in_bracket_0():
    pruner = crossing(HyperbandPruner(max_resource=9), late=0.5)  # the bracket-2 trial ends worse than...
    run(pruner, 4, 0, [(1, 0.05), (3, 0.04), (9, 0.01)])  # ...a bracket-0 trial that led from the start
    assert pruner.describe() == RULE


def test_the_note_is_the_same_for_a_pruner_rebuilt_from_the_finished_trials():
    live = crossing(HyperbandPruner(max_resource=9), late=0.05)
    rebuilt = HyperbandPruner(max_resource=9)
    rebuilt.setup(MIN, 100)
    for number, first in enumerate([0.1, 0.2, 0.3]):
        rebuilt.finish(Trial(number, {}, TrialState.PRUNED), [(1, first)], bracket=0)
    rebuilt.finish(Trial(3, {}, TrialState.COMPLETE), [(1, 0.9), (3, 0.05), (9, 0.05)], bracket=2)
    assert rebuilt.describe() == live.describe() and rebuilt.snapshot() == live.snapshot()


# Slow starters win: a small lr climbs slowly to a high plateau, a large one fast to a low one.
CROSSING = """
from hpmagic import report
lr = 0.1  # tune: loguniform(0.01, 1)
score = 0.0
for epoch in range(1, 28):
    score += lr * ((1 - lr) - score)
    report(score, epoch)
score
"""


def test_a_search_on_crossing_curves_says_the_early_values_misled():
    result = hpmagic.tune(CROSSING, {}, trials=30, seed=0, maximize=True, quiet=True, strategy="random", prune=True)
    (rule,) = [n for n in result.notes if n.startswith("hyperband:")]
    assert rule.startswith("hyperband: 4 brackets sharing the trials 27:12:6:4")
    assert "; early values misled here (curves that cross, or noise): the best complete trial, trial " in rule
    assert rule.endswith("which would have stopped it; the later brackets, which prune less, kept it")
