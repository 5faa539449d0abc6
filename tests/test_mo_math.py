"""The mathematics of several objectives (``hpmagic.strategies._mo``), against brute force."""

from __future__ import annotations

import math

import numpy as np
import pytest

from hpmagic.core import Trial, TrialState
from hpmagic.objectives import Constraint, Goal, Objective
from hpmagic.pareto import hypervolume, ranks
from hpmagic.strategies._mo import ehvi, nsga, scalarize


@pytest.mark.parametrize("m", [2, 3, 4])
def test_box_decomposition_gives_the_exact_hypervolume_improvement(m):
    rng = np.random.default_rng(m)
    for _ in range(25):
        front = rng.random((int(rng.integers(0, 10)), m))
        reference = np.full(m, 1.1)
        lower, upper = ehvi.boxes(front, reference)
        points = rng.random((6, m)) * 1.3 - 0.1
        want = [
            hypervolume(np.vstack([front, p]), reference) - (hypervolume(front, reference) if len(front) else 0.0)
            for p in points
        ]
        assert np.allclose(ehvi.improvement(points, lower, upper), want)


def test_expected_improvement_without_uncertainty_is_the_improvement():
    front = np.array([[0.2, 0.8], [0.5, 0.4], [0.9, 0.1]])
    lower, upper = ehvi.boxes(front, np.array([1.0, 1.0]))
    mean = np.array([[0.3, 0.3], [0.95, 0.95]])
    draws = np.random.default_rng(0).standard_normal((256, 2))
    got = ehvi.expected_improvement(mean, np.zeros_like(mean), lower, upper, draws)
    assert got == pytest.approx([0.2 * 0.5 + 0.4 * 0.1, 0.0])
    # uncertainty can only add to a point that improves nothing for sure
    assert ehvi.expected_improvement(mean[1:], np.full((1, 2), 0.3), lower, upper, draws)[0] > 0


def test_crowding_distance_keeps_the_ends_and_the_sparse_stretches():
    front = np.array([[0.0, 1.0], [0.1, 0.9], [0.2, 0.8], [0.6, 0.4], [1.0, 0.0]])
    d = nsga.crowding(front)
    assert math.isinf(d[0]) and math.isinf(d[4])
    assert d[1] == pytest.approx(0.4)  # (0.2 - 0.0) / 1 + (1.0 - 0.8) / 1
    assert d[3] > d[2] > d[1]


def test_survival_order_is_constraint_domination():
    losses = np.array([[1.0, 1.0], [0.0, 0.0], [0.5, 2.0], [2.0, 0.5], [3.0, 3.0], [0.1, 0.1]])
    violation = np.array([0.0, 0.5, 0.0, 0.0, 0.0, 0.1])
    order = list(nsga.survival_order(losses, violation))
    # feasible first, by front: (1,1), (0.5,2), (2,0.5) are all on the first front, (3,3) next;
    # the ends of the front (infinite crowding) before its middle; then the infeasible by violation
    assert order[:3] == [2, 3, 0] and order[3] == 4
    assert order[4:] == [5, 1]
    feasible = losses[[0, 2, 3, 4]]
    assert list(ranks(feasible)) == [0, 0, 0, 1]


def test_variation_stays_in_the_unit_cube():
    rng = np.random.default_rng(0)
    for _ in range(200):
        a, b = rng.random(5), rng.random(5)
        child = nsga.mutate(nsga.sbx(a, b, rng), rng, rate=1.0)
        assert child.shape == (5,) and np.all((child >= 0) & (child <= 1))


def test_chebyshev_normalises_each_objective():
    losses = np.array([[0.0, 100.0], [1.0, 0.0], [0.5, 50.0]])
    got = scalarize.chebyshev(losses, np.array([0.5, 0.5]))
    assert got == pytest.approx([0.5 + 0.05 * 0.5, 0.5 + 0.05 * 0.5, 0.25 + 0.05 * 0.5])
    assert scalarize.weights(np.random.default_rng(0), 3).sum() == pytest.approx(1.0)


def test_margins_are_signed_and_missing_values_are_infinite():
    goal = Goal((Objective("a"), Objective("b")), (Constraint("lat", "<=", 20), Constraint("acc", ">=", 0.9)))
    trial = Trial(1, {}, TrialState.COMPLETE, value=1.0, values=(1.0, 2.0), constraints=(25.0, 0.95))
    assert scalarize.margins(goal, trial) == pytest.approx((5.0, -0.05))
    assert scalarize.margins(
        goal, Trial(2, {}, TrialState.COMPLETE, value=1.0, values=(1.0, 2.0), constraints=(1.0,))
    ) == (-19.0, math.inf)
    targets, zero = scalarize.standardise(np.array([-1.0, 1.0, math.inf]))
    assert np.all(np.isfinite(targets)) and targets[0] < zero < targets[1] < targets[2]
