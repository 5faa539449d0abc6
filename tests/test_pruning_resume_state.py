"""A resumed study: each rule's state rebuilt from ``finish`` calls equals the live one."""

from __future__ import annotations

import numpy as np
import pytest

from hpmagic.core import Trial, TrialState
from hpmagic.pruning import ASHAPruner, FoldPruner, HyperbandPruner, MedianPruner, Pruner

from .rulekit import MAX, MIN, Points, finished, ready

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
    return {
        n: [(float(k), float(m + effect[k] + rng.normal(0, 0.01))) for k in range(5)]
        for n, m in enumerate(rng.uniform(0.6, 0.95, trials))
    }


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
