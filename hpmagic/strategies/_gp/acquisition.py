"""Log expected improvement, and its maximisation over a mixed unit cube.

Expected improvement (for minimisation) at a point with posterior mean ``mu`` and
standard deviation ``s`` over the best value ``best`` is ``s * h(z)`` with
``z = (best - mu) / s`` and ``h(z) = z * Phi(z) + phi(z)``.  Far from the data ``h``
underflows to zero and a gradient method sees a flat landscape; the logarithm computed
below stays finite and informative for any ``z`` (via the scaled complementary error
function), which is why it is the quantity maximised.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from scipy.special import erfcx, log_ndtr, ndtr

from .model import Posterior

__all__ = ["log_h", "log_ei", "log_ei_with_gradient", "maximize"]

_LOG_SQRT_2PI = 0.5 * np.log(2.0 * np.pi)
_SQRT_HALF_PI = np.sqrt(np.pi / 2.0)


def log_h(z: np.ndarray) -> np.ndarray:
    """``log(z * Phi(z) + phi(z))``, accurate for every real ``z``."""
    z = np.asarray(z, dtype=float)
    out = np.empty_like(z)
    big = z > -1.0
    zb = z[big]
    out[big] = np.log(zb * ndtr(zb) + np.exp(-0.5 * zb * zb - _LOG_SQRT_2PI))
    zs = np.maximum(z[~big], -1e8)
    # h(z) = phi(z) * (1 + z * Phi(z) / phi(z)), and Phi(z) / phi(z) = sqrt(pi/2) * erfcx(-z / sqrt2)
    out[~big] = -0.5 * zs * zs - _LOG_SQRT_2PI + np.log1p(zs * _SQRT_HALF_PI * erfcx(-zs / np.sqrt(2.0)))
    return out


def log_ei(mean: np.ndarray, var: np.ndarray, best: float) -> np.ndarray:
    """Log expected improvement over ``best`` at points with posterior ``mean`` and ``var``."""
    s = np.sqrt(var)
    return np.log(s) + log_h((best - mean) / s)


def log_ei_with_gradient(post: Posterior, x: np.ndarray, best: float) -> tuple[float, np.ndarray]:
    """Log expected improvement at one point ``x``, and its gradient with respect to ``x``."""
    mean, var, dmean, dvar = post.predict_with_gradient(x)
    s = np.sqrt(var)
    z = (best - mean) / s
    lh = float(log_h(np.array([z]))[0])
    ds = dvar / (2.0 * s)
    dz = (-dmean - z * ds) / s
    dlh = np.exp(log_ndtr(z) - lh)  # h'(z) = Phi(z)
    return float(np.log(s) + lh), ds / s + dlh * dz


def maximize(
    post: Posterior,
    best: float,
    candidates: np.ndarray,
    free_columns: Callable[[np.ndarray], np.ndarray],
    neighbours: Callable[[np.ndarray], list[np.ndarray]],
    restarts: int = 5,
) -> tuple[np.ndarray, float]:
    """Maximise log EI starting from feature-space ``candidates``.

    ``free_columns(x)`` lists the columns of ``x`` that may move continuously (continuous
    parameters that are active and that no condition reads); L-BFGS-B optimises those from
    the ``restarts`` best candidates.  ``neighbours(x)`` lists the points one discrete move
    away (another option of a choice, the next integer); a greedy pass over them follows.
    Returns the best point found and its log EI.
    """
    from scipy.optimize import minimize

    mean, var = post.predict(candidates)
    scores = log_ei(mean, var, best)
    order = np.argsort(-scores)
    starts = [candidates[i] for i in order[:restarts]]
    best_x, best_val = candidates[order[0]].copy(), float(scores[order[0]])

    for x0 in starts:
        x = x0.copy()
        cols = free_columns(x)
        if len(cols):
            base = x.copy()

            def negative(u: np.ndarray, base: np.ndarray = base, cols: np.ndarray = cols) -> tuple[float, np.ndarray]:
                base[cols] = u
                val, grad = log_ei_with_gradient(post, base, best)
                return -val, -grad[cols]

            res = minimize(
                negative,
                x[cols],
                jac=True,
                method="L-BFGS-B",
                bounds=[(0.0, 1.0)] * len(cols),
                options={"maxiter": 100},
            )
            if np.all(np.isfinite(res.x)):
                x[cols] = np.clip(res.x, 0.0, 1.0)
        val = float(log_ei(*post.predict(x[None, :]), best)[0])
        x, val = _greedy_discrete(post, best, x, val, neighbours)
        if val > best_val:
            best_x, best_val = x, val
    return best_x, best_val


def _greedy_discrete(
    post: Posterior,
    best: float,
    x: np.ndarray,
    val: float,
    neighbours: Callable[[np.ndarray], list[np.ndarray]],
    rounds: int = 3,
) -> tuple[np.ndarray, float]:
    """Take the best single discrete move while it raises log EI, at most ``rounds`` times."""
    for _ in range(rounds):
        moves = neighbours(x)
        if not moves:
            break
        M = np.vstack(moves)
        vals = log_ei(*post.predict(M), best)
        i = int(np.argmax(vals))
        if vals[i] <= val + 1e-12:
            break
        x, val = M[i].copy(), float(vals[i])
    return x, val
