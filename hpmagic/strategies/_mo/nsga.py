"""NSGA-II (Deb et al. 2002): survival by constraint domination, fronts and crowding; variation.

Survival orders trials best first: feasible ones before infeasible ones; feasible ones by their
non-dominated front, then by crowding distance (larger first: the ends of a front and its
sparse stretches are kept); infeasible ones by their total violation (smaller first).  This is
Deb's constraint domination.  Variation works in the unit cube of the space's coordinates:
simulated binary crossover and polynomial mutation.
"""

from __future__ import annotations

import numpy as np

from ...pareto import ranks

__all__ = ["crowding", "survival_order", "sbx", "mutate"]


def crowding(losses: np.ndarray) -> np.ndarray:
    """The crowding distance of each point of one front (``inf`` at the ends of every objective)."""
    n, m = losses.shape
    distance = np.zeros(n)
    if n <= 2:
        return np.full(n, np.inf)
    for k in range(m):
        order = np.argsort(losses[:, k], kind="stable")
        column = losses[order, k]
        span = column[-1] - column[0]
        distance[order[0]] = distance[order[-1]] = np.inf
        if span > 0:
            distance[order[1:-1]] += (column[2:] - column[:-2]) / span
    return distance


def survival_order(losses: np.ndarray, violation: np.ndarray) -> np.ndarray:
    """Indices of the rows best first (see the module docstring); ``violation`` 0 where feasible."""
    n = len(losses)
    feasible = np.flatnonzero(violation <= 0)
    infeasible = np.flatnonzero(violation > 0)
    key_rank = np.zeros(n)
    key_crowd = np.zeros(n)
    if len(feasible):
        level = ranks(losses[feasible])
        key_rank[feasible] = level
        for r in np.unique(level):
            members = feasible[level == r]
            key_crowd[members] = -crowding(losses[members])
    ordered_feasible = feasible[np.lexsort((key_crowd[feasible], key_rank[feasible]))]
    ordered_infeasible = infeasible[np.argsort(violation[infeasible], kind="stable")]
    return np.concatenate([ordered_feasible, ordered_infeasible]).astype(int)


def sbx(a: np.ndarray, b: np.ndarray, rng: np.random.Generator, eta: float = 15.0, rate: float = 0.9) -> np.ndarray:
    """One child of ``a`` and ``b`` by simulated binary crossover (each coordinate with probability 0.5)."""
    if rng.random() > rate:
        return a.copy()
    u = rng.random(len(a))
    beta = np.where(u <= 0.5, (2 * u) ** (1 / (eta + 1)), (1 / (2 * (1 - u))) ** (1 / (eta + 1)))
    child = 0.5 * ((1 + beta) * a + (1 - beta) * b)
    if rng.random() < 0.5:
        child = 0.5 * ((1 - beta) * a + (1 + beta) * b)
    swap = rng.random(len(a)) < 0.5
    return np.clip(np.where(swap, child, a), 0.0, 1.0)


def mutate(x: np.ndarray, rng: np.random.Generator, eta: float = 20.0, rate: float | None = None) -> np.ndarray:
    """Polynomial mutation in [0, 1], each coordinate with probability ``rate`` (1 / dimensions)."""
    rate = 1.0 / max(len(x), 1) if rate is None else rate
    out = x.copy()
    for i in np.flatnonzero(rng.random(len(x)) < rate):
        u = rng.random()
        if u < 0.5:
            delta = (2 * u + (1 - 2 * u) * (1 - out[i]) ** (eta + 1)) ** (1 / (eta + 1)) - 1
        else:
            delta = 1 - (2 * (1 - u) + 2 * (u - 0.5) * out[i] ** (eta + 1)) ** (1 / (eta + 1))
        out[i] = out[i] + delta
    return np.clip(out, 0.0, 1.0)
