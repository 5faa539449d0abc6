"""Expected hypervolume improvement by Monte Carlo over independent posteriors, one per objective.

The region that the front ``F`` (losses, lower better) does not dominate, within the reference
point ``r``, is cut into boxes (:func:`boxes`): along each of the first ``m - 1`` objectives at
every coordinate of the front, and along the last one at the lowest front point that dominates
the cell.  The hypervolume a point ``y`` adds is then the volume of the part of the boxes above
``y``: ``sum_b prod_k max(0, upper_bk - max(lower_bk, y_k))``.  Its expectation is the mean over
fixed normal draws (common random numbers, so that candidates compare without sampling noise).
"""

from __future__ import annotations

import itertools

import numpy as np

__all__ = ["boxes", "improvement", "expected_improvement"]


def boxes(front: np.ndarray, reference: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(lower, upper)``, each ``(B, m)``: boxes that tile the region ``front`` leaves undominated below ``reference``."""
    front = front[np.all(front < reference, axis=1)]
    m = len(reference)
    if len(front) == 0:
        return np.full((1, m), -np.inf), reference[None, :].copy()
    axes = [np.concatenate([[-np.inf], np.unique(front[:, k])]) for k in range(m - 1)]
    ends = [np.append(a[1:], reference[k]) for k, a in enumerate(axes)]
    index = np.array(list(itertools.product(*[range(len(a)) for a in axes])), dtype=int).reshape(-1, m - 1)
    lower = np.column_stack([axes[k][index[:, k]] for k in range(m - 1)]) if m > 1 else np.zeros((1, 0))
    upper = np.column_stack([ends[k][index[:, k]] for k in range(m - 1)]) if m > 1 else np.zeros((1, 0))
    # The last objective: the cell is undominated below the least last loss among the front
    # points that are no worse than the cell's lower corner on the other objectives.
    covers = np.all(front[None, :, : m - 1] <= lower[:, None, :], axis=2)
    top = np.where(covers, front[None, :, m - 1], reference[m - 1]).min(axis=1)
    keep = (top > -np.inf) & np.all(upper > lower, axis=1)
    lower = np.column_stack([lower[keep], np.full(keep.sum(), -np.inf)])
    upper = np.column_stack([upper[keep], top[keep]])
    return lower, upper


def improvement(points: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> np.ndarray:
    """The hypervolume each row of ``points`` adds to the front that left the boxes ``(lower, upper)``."""
    sides = upper[None, :, :] - np.maximum(lower[None, :, :], points[:, None, :])
    return np.clip(sides, 0.0, None).prod(axis=2).sum(axis=1)


def expected_improvement(
    mean: np.ndarray, std: np.ndarray, lower: np.ndarray, upper: np.ndarray, draws: np.ndarray
) -> np.ndarray:
    """The mean improvement over ``draws`` (``(S, m)`` standard normals) at points with independent
    normal objectives of ``mean`` and ``std`` (each ``(n, m)``)."""
    n, m = mean.shape
    samples = mean[None, :, :] + std[None, :, :] * draws[:, None, :]  # (S, n, m)
    out = np.zeros(n)
    chunk = max(1, 2_000_000 // max(1, len(lower) * m * len(draws)))
    for start in range(0, n, chunk):
        part = samples[:, start : start + chunk].reshape(-1, m)
        out[start : start + chunk] = improvement(part, lower, upper).reshape(len(draws), -1).mean(axis=0)
    return out
