"""Random scalarisations of several losses, constraint margins and the probability of feasibility.

ParEGO (Knowles 2006) turns a multi-objective search into a sequence of single-objective ones:
each proposal draws a weight vector ``w`` uniformly from the simplex and models the augmented
Chebyshev scalarisation ``max_i(w_i f_i) + RHO * sum_i(w_i f_i)`` of the losses, each normalised
to [0, 1] over the trials so far.  Over many proposals the weights sweep the whole front.

A constraint's *margin* is signed: ``value - bound`` for ``<=`` and ``bound - value`` for ``>=``,
so that it holds exactly where the margin is at most 0 (a missing value: ``inf``).
"""

from __future__ import annotations

import math

import numpy as np
from scipy.special import log_ndtr

from ...core import Trial
from ...objectives import Goal

__all__ = ["RHO", "weights", "chebyshev", "margins", "log_feasible"]

#: The augmentation of the Chebyshev scalarisation (Knowles's value).
RHO = 0.05


def weights(rng: np.random.Generator, m: int) -> np.ndarray:
    """A weight vector drawn uniformly from the ``m``-simplex."""
    return rng.dirichlet(np.ones(m))


def chebyshev(losses: np.ndarray, w: np.ndarray) -> np.ndarray:
    """The augmented Chebyshev scalarisation of each row of ``losses``, normalised to [0, 1] per column."""
    low, high = losses.min(axis=0), losses.max(axis=0)
    scaled = (losses - low) / np.where(high > low, high - low, 1.0)
    weighted = scaled * w
    return weighted.max(axis=1) + RHO * weighted.sum(axis=1)


def margins(goal: Goal, trial: Trial) -> tuple[float, ...]:
    """Each constraint's signed margin in ``trial`` (at most 0 where it holds; ``inf`` when missing)."""
    out = []
    got = trial.constraints
    for i, c in enumerate(goal.constraints):
        value = got[i] if i < len(got) else None
        if value is None or not math.isfinite(value):
            out.append(math.inf)
        else:
            out.append(value - c.bound if c.op == "<=" else c.bound - value)
    return tuple(out)


def standardise(margins_: np.ndarray) -> tuple[np.ndarray, float]:
    """Margins as GP targets (standardised; ``inf`` as the largest finite margin, or 1), and where 0 went."""
    m = np.asarray(margins_, dtype=float).copy()
    finite = np.isfinite(m)
    top = float(m[finite].max()) if finite.any() else 1.0
    m[~finite] = max(top, 0.0) + abs(top) + 1.0
    mean, std = float(m.mean()), float(m.std())
    std = std if std > 1e-12 else 1.0
    return (m - mean) / std, -mean / std


def log_feasible(mean: np.ndarray, var: np.ndarray, threshold: float) -> np.ndarray:
    """Log probability that a margin with posterior ``mean`` and ``var`` is at most ``threshold``."""
    return log_ndtr((threshold - mean) / np.sqrt(var))
