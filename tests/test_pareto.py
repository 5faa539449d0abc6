"""The Pareto helpers against brute force: the front, the sorting, the volume, the knee."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from hpmagic.pareto import hypervolume, knee, nondominated, ranks


def _dominates(a, b):
    return bool(np.all(a <= b) and np.any(a < b))


def _brute_front(points):
    return np.array([not any(_dominates(q, p) for q in points) for p in points])


@pytest.mark.parametrize("seed", range(20))
@pytest.mark.parametrize("m", [2, 3, 4])
def test_nondominated_is_the_set_no_point_dominates(seed, m):
    rng = np.random.default_rng(seed)
    points = rng.integers(0, 6, size=(40, m)).astype(float)  # small integers: ties and duplicates
    assert np.array_equal(nondominated(points), _brute_front(points))


def test_ranks_peel_fronts_in_order():
    rng = np.random.default_rng(3)
    points = rng.random((60, 3))
    rank = ranks(points)
    assert np.array_equal(rank == 0, nondominated(points))
    for level in range(1, rank.max() + 1):
        inner = points[rank >= level]
        assert np.array_equal(nondominated(inner), rank[rank >= level] == level)


def _grid_volume(points, ref, cells=60):
    """Count the cells of a regular grid (cell centres) dominated by some point."""
    low = points.min(axis=0)
    axes = [np.linspace(lo, r, cells, endpoint=False) + (r - lo) / (2 * cells) for lo, r in zip(low, ref)]
    inside = 0
    for centre in itertools.product(*axes):
        inside += bool(np.any(np.all(points <= np.array(centre), axis=1)))
    return inside * np.prod([(r - lo) / cells for lo, r in zip(low, ref)])


def test_hypervolume_of_known_fronts():
    assert hypervolume([[1.0, 1.0]], [3.0, 2.0]) == pytest.approx(2.0)
    assert hypervolume([[0.0, 2.0], [1.0, 1.0], [2.0, 0.0]], [3.0, 3.0]) == pytest.approx(6.0)
    assert hypervolume([[0.0, 0.0, 0.0]], [1.0, 2.0, 3.0]) == pytest.approx(6.0)
    assert hypervolume([[5.0, 5.0]], [3.0, 3.0]) == 0.0  # beyond the reference: nothing
    assert hypervolume(np.empty((0, 2)), [1.0, 1.0]) == 0.0


@pytest.mark.parametrize("m", [2, 3])
def test_hypervolume_matches_a_fine_grid(m):
    rng = np.random.default_rng(m)
    points = rng.random((8, m))
    ref = np.full(m, 1.2)
    assert hypervolume(points, ref) == pytest.approx(_grid_volume(points, ref, cells=120 if m == 2 else 40), rel=0.03)


def test_hypervolume_refuses_a_reference_of_the_wrong_size():
    with pytest.raises(ValueError, match="3 coordinates for 2 objectives"):
        hypervolume([[1.0, 2.0]], [1.0, 2.0, 3.0])


def test_knee_is_the_bend_of_a_convex_front():
    x = np.linspace(0, 1, 21)
    front = np.column_stack([x, (1 - np.sqrt(x)) ** 2])  # bends towards the ideal at x = 0.25
    assert front[knee(front), 0] == pytest.approx(0.25)
    # scaling an objective does not move the knee
    assert knee(front * [1000.0, 0.001]) == knee(front)


def test_knee_of_small_fronts_is_nearest_the_ideal():
    assert knee([[1.0, 5.0]]) == 0
    assert knee([[0.0, 1.0], [1.0, 0.0]]) == 0  # a tie goes to the lower index
    assert knee([[0.0, 1.0], [0.4, 0.3], [1.0, 0.0]]) == 1


def test_knee_in_three_objectives_picks_the_compromise():
    front = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0], [0.2, 0.2, 0.2], [0.5, 0.5, 0.0]])
    assert knee(front) == 3
