"""The rule at a rung with several objectives (``hpmagic.pruning.fronts``): fronts first, then
crowding distance in the front that does not fit, ties sharing the better rank; with one
objective, exactly the one-objective rule of ``asha``."""

from __future__ import annotations

import math
import random

import numpy as np
import pytest

from hpmagic.core import Direction, Trial, TrialState
from hpmagic.errors import ReportError
from hpmagic.pruning.asha import ASHAPruner
from hpmagic.pruning.fronts import crowding, vector_standing

# (error, size) losses: A, B, C on the front; D behind B; E behind A and D.
RUNG = {"A": (0.1, 50.0), "B": (0.2, 20.0), "C": (0.3, 10.0), "D": (0.4, 30.0), "E": (0.5, 60.0)}


def standing(name: str, eta: int) -> tuple[int, int, int]:
    return vector_standing([v for k, v in RUNG.items() if k != name], RUNG[name], eta)


def test_the_ends_of_the_front_go_on_before_its_middle():
    # 5 vectors, eta 3: 2 go on.  The front {A, B, C} does not fit: A and C are its ends (inf),
    # B's crowding distance is (0.3 - 0.1) / 0.2 + (50 - 10) / 40 = 2, so two are ahead of it.
    assert {k: standing(k, 3) for k in RUNG} == {
        "A": (1, 5, 2),
        "B": (3, 5, 2),
        "C": (1, 5, 2),
        "D": (4, 5, 2),
        "E": (5, 5, 2),
    }


def test_a_whole_front_goes_on_when_it_fits():
    # eta 2: 3 go on, the whole front; D (second front) ranks 4 and stops.
    assert standing("B", 2) == (3, 5, 3) and standing("D", 2) == (4, 5, 3)


def test_equal_vectors_share_the_better_rank():
    others = [(0.1, 50.0), (0.3, 10.0), (0.2, 20.0), (0.2, 20.0)]
    # mine and two others equal to it: all three are the same distinct point of the front,
    # with one crowding distance, behind only the two ends.
    assert vector_standing(others, (0.2, 20.0), 2) == (3, 5, 3)
    assert list(crowding(np.asarray([(0.2, 20.0), (0.2, 20.0), (0.1, 50.0)]))) == [math.inf] * 3


def test_one_objective_is_the_one_objective_rule():
    rng = random.Random(7)
    for _ in range(200):
        values = [float(rng.randint(0, 5)) for _ in range(rng.randint(1, 9))]
        mine, others = values[0], values[1:]
        eta = rng.randint(2, 4)
        expected = (1 + sum(1 for v in others if v < mine), len(values), math.ceil(len(values) / eta))
        assert vector_standing([[v] for v in others], [mine], eta) == expected


def test_vectors_of_different_lengths_are_a_value_error():
    with pytest.raises(
        ValueError, match=r"the vectors at a rung must all have the same length of at least 1, but have \[1, 2\]"
    ):
        vector_standing([(0.1,)], (0.2, 3.0), 3)


def several_asha(**settings: float) -> ASHAPruner:
    pruner = ASHAPruner(min_resource=1, eta=3, max_resource=27, **settings)  # type: ignore[arg-type]
    pruner.setup(Direction.MAXIMIZE, 10)
    pruner.several([("accuracy", Direction.MAXIMIZE), ("size", Direction.MINIMIZE)])
    return pruner


POINTS = [(0.9, 50.0), (0.8, 20.0), (0.7, 10.0), (0.6, 30.0), (0.5, 60.0)]


def test_asha_ranks_the_vectors_at_a_rung():
    pruner = several_asha()
    decisions = [pruner.report(n, 1, a, [s]) for n, (a, s) in enumerate(POINTS)]
    assert [d.prune for d in decisions] == [False, False, False, True, True]
    assert decisions[3].reason == (
        "at rung 1 (step 1) its point (accuracy 0.6, size 30) ranked 4 of 4 by non-dominated sorting and "
        "crowding distance; only the top 2 go on (eta=3)"
    )
    assert pruner.describe() == (
        "asha: rungs at steps 1, 3, 9; the top 1/3 at each rung go on, ranked by non-dominated sorting of "
        "(its best accuracy, size), then crowding distance (min_resource=1, eta=3, max_resource=27)"
    )
    # The small model (0.7, 10) would be stopped by accuracy alone (3rd of 3); on the front, it goes on.
    assert not decisions[2].prune


def test_a_resumed_rule_rebuilds_the_same_rungs_from_the_stored_vectors():
    live = several_asha()
    for n, (a, s) in enumerate(POINTS):
        live.report(n, 1, a, [s])
    rebuilt = several_asha()
    for n, (a, s) in enumerate(POINTS):
        state = TrialState.PRUNED if n >= 3 else TrialState.RUNNING
        if state is TrialState.PRUNED:
            trial = Trial(number=n, params={}, state=state)
            live.finish(trial, [(1, a)], others=[[s]])
            rebuilt.finish(trial, [(1, a)], others=[[s]])
        else:
            rebuilt.report(n, 1, a, [s])
    assert rebuilt.snapshot() == live.snapshot()
    assert live.snapshot()["rungs"] == {
        0: {1.0: {0: (-0.9, 50.0), 1: (-0.8, 20.0), 2: (-0.7, 10.0), 3: (-0.6, 30.0), 4: (-0.5, 60.0)}}
    }


def test_a_report_or_a_stored_curve_without_every_objective_is_a_report_error():
    pruner = several_asha()
    with pytest.raises(ReportError, match=r"objectives accuracy, size carries 1 values; report every objective"):
        pruner.report(0, 1, 0.9)
    with pytest.raises(ReportError, match=r"trial 0's curve has 1 points but the values of size at 0"):
        pruner.finish(Trial(number=0, params={}, state=TrialState.COMPLETE), [(1, 0.9)])
