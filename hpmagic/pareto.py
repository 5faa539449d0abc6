"""Pareto fronts of loss vectors: which points no other beats, the volume they dominate, the knee.

Every function takes ``losses``, an ``(n, m)`` array of ``n`` points and ``m`` objectives with
lower always better (:meth:`hpmagic.objectives.Goal.losses` turns values so).  Point ``a``
*dominates* ``b`` when it is no worse on every objective and better on at least one.  This module
imports numpy only: strategies, results and benchmarks share it.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = ["nondominated", "ranks", "hypervolume", "knee"]


def _as_losses(losses: ArrayLike) -> NDArray[np.float64]:
    array = np.asarray(losses, dtype=float)
    if array.ndim != 2:
        raise ValueError(f"losses must be an (n, m) array, but have shape {array.shape}")
    return array


def nondominated(losses: ArrayLike) -> NDArray[np.bool_]:
    """A mask of the points that no other point dominates (equal points are all kept)."""
    points = _as_losses(losses)
    n = len(points)
    keep = np.ones(n, dtype=bool)
    order = np.lexsort(points.T[::-1])  # by the first objective, then the next, ...
    front: list[int] = []
    for i in order:
        p = points[i]
        for j in front:
            q = points[j]
            if np.all(q <= p) and np.any(q < p):
                keep[i] = False
                break
        else:
            front.append(int(i))
    return keep


def ranks(losses: ArrayLike) -> NDArray[np.int_]:
    """Each point's front by non-dominated sorting: 0 for the Pareto front, 1 for the next, ..."""
    points = _as_losses(losses)
    rank = np.full(len(points), -1, dtype=int)
    left = np.arange(len(points))
    level = 0
    while len(left):
        mask = nondominated(points[left])
        rank[left[mask]] = level
        left = left[~mask]
        level += 1
    return rank


def hypervolume(losses: ArrayLike, reference: ArrayLike) -> float:
    """The volume dominated by the points and bounded by ``reference`` (points beyond it count nothing).

    Exact: a sweep in two dimensions, slicing along the last objective above that (fine for
    the fronts of a notebook search: a few hundred points, up to four or five objectives).
    """
    points = _as_losses(losses)
    ref = np.asarray(reference, dtype=float)
    if ref.shape != (points.shape[1],):
        raise ValueError(f"the reference point has {ref.size} coordinates for {points.shape[1]} objectives")
    points = points[np.all(points < ref, axis=1)]
    if len(points) == 0:
        return 0.0
    return _volume(points[nondominated(points)], ref)


def _volume(points: NDArray[np.float64], ref: NDArray[np.float64]) -> float:
    if points.shape[1] == 1:
        return float(ref[0] - points[:, 0].min())
    if points.shape[1] == 2:
        order = np.argsort(points[:, 0], kind="stable")
        volume, best_y = 0.0, ref[1]
        for x, y in points[order]:
            if y < best_y:
                volume += (ref[0] - x) * (best_y - y)
                best_y = y
        return float(volume)
    # Slice along the last objective: between consecutive levels, the points at or below the
    # level dominate an (m-1)-dimensional volume of that thickness.
    order = np.argsort(points[:, -1], kind="stable")
    points = points[order]
    levels = np.append(points[:, -1], ref[-1])
    volume = 0.0
    for k in range(len(points)):
        thickness = levels[k + 1] - levels[k]
        if thickness > 0:
            slab = points[: k + 1, :-1]
            volume += thickness * _volume(slab[nondominated(slab)], ref[:-1])
    return float(volume)


def knee(losses: ArrayLike) -> int:
    """The index of the front's knee: the point that gives up least on any objective for the others.

    Each objective is scaled to [0, 1] over the points (the front's ideal to its worst); the knee
    is the point farthest below the hyperplane through the extreme points (in two dimensions,
    the line joining the two ends), and, where that plane is not defined (a front of one or two
    points, or extremes that coincide), the point nearest the ideal.  Ties go to the lower index.
    """
    points = _as_losses(losses)
    if len(points) == 0:
        raise ValueError("the front is empty")
    low, high = points.min(axis=0), points.max(axis=0)
    span = np.where(high > low, high - low, 1.0)
    scaled = (points - low) / span
    m = points.shape[1]
    extremes = scaled[np.argmin(points, axis=0)]  # row k: the point best on objective k
    if len(points) > 2 and np.linalg.matrix_rank(extremes - extremes[0]) == m - 1:
        # The normal of the hyperplane through the extremes, pointing away from the ideal.
        _, _, vt = np.linalg.svd(extremes - extremes.mean(axis=0))
        normal = vt[-1]
        if normal.sum() < 0:
            normal = -normal
        below = (extremes[0] - scaled) @ normal  # > 0: between the plane and the ideal
        return int(np.argmax(below))
    return int(np.argmin(np.linalg.norm(scaled, axis=1)))
