"""The rule at a rung with several objectives: non-dominated sorting, then crowding distance.

This is MOASHA's rule (Schmucker et al., 2021), measured first on a replay of real curves
(``benchmarks/mo_pruning.py``, docs/design/pruning.md, "Several objectives"): of the ``n``
vectors recorded at a rung (one per trial, losses: lower is better on every objective), the
best ``ceil(n / eta)`` go on.  "Best" is NSGA-II's order:

1. by non-dominated front (the Pareto front of the rung first, then the front once it is
   removed, ...); whole fronts go on while they fit;
2. the front that does not fit is split by crowding distance, larger first (the ends of the
   front on every objective are infinitely far, so the extremes of each objective always
   go on before its crowded middle).

Ties share the better rank, as in the one-objective rule (``asha._standing``): identical
vectors are in the same front and get the same crowding distance (it is computed on the
distinct vectors), so tied trials both go on when one would.  With a single objective this
is exactly the one-objective rule: a front is a set of equal values, and it goes on whole
when its better rank is within the top.

The rank of one vector is ``1 +`` the number of vectors in better fronts ``+`` the number
in its own front with a strictly larger crowding distance; it goes on when the rank is at
most ``ceil(n / eta)``.  Numpy and :mod:`hpmagic.pareto` only.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

from ..pareto import ranks

__all__ = ["crowding", "vector_standing"]


def crowding(points: NDArray[np.float64]) -> NDArray[np.float64]:
    """The crowding distance of each row of one front (``inf`` at the ends of every objective).

    Computed on the distinct rows, so equal rows get equal distances; a front of one or two
    distinct rows is all ends (``inf``).
    """
    distinct, back = np.unique(points, axis=0, return_inverse=True)
    back = np.asarray(back).reshape(-1)
    n, m = distinct.shape
    distance = np.zeros(n)
    if n <= 2:
        return np.full(len(points), np.inf)
    for k in range(m):
        order = np.argsort(distinct[:, k], kind="stable")
        column = distinct[order, k]
        distance[order[0]] = distance[order[-1]] = np.inf
        span = column[-1] - column[0]
        if span > 0:
            distance[order[1:-1]] += (column[2:] - column[:-2]) / span
    return distance[back]


def vector_standing(others: Sequence[Sequence[float]], mine: Sequence[float], eta: int) -> tuple[int, int, int]:
    """The rule at a rung for loss vectors: ``mine``'s rank among ``others`` and itself (see the
    module docstring), how many vectors there are, and how many of them go on (``ceil(n / eta)``).

    Every vector has the same length (the number of objectives, at least one); a
    :class:`ValueError` says which one does not.
    """
    lengths = sorted({len(o) for o in [mine, *others]})
    if len(lengths) != 1 or lengths[0] == 0:
        raise ValueError(f"the vectors at a rung must all have the same length of at least 1, but have {lengths}")
    points = np.asarray([list(mine), *(list(o) for o in others)], dtype=float)
    n = len(points)
    level = ranks(points)
    in_front = np.flatnonzero(level == level[0])
    distance = crowding(points[in_front])
    mine_distance = distance[0]  # row 0 is mine, and the first of its front
    rank = 1 + int(np.sum(level < level[0])) + int(np.sum(distance > mine_distance))
    return rank, n, math.ceil(n / eta)
