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

__all__ = ["log_h", "log_ei", "log_ei_with_gradient", "maximize", "LocalPenalty"]

_LOG_SQRT_2PI = 0.5 * np.log(2.0 * np.pi)
_SQRT_HALF_PI = np.sqrt(np.pi / 2.0)
_SQRT5 = np.sqrt(5.0)


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


class LocalPenalty:
    """Log penalties that carve the acquisition away from pending points (local penalisation).

    Around a pending point ``p`` the loss cannot fall below ``best`` within the distance
    ``(mu(p) - best) / L``, where ``L`` bounds how fast the posterior mean changes; the
    penalty is the probability that a point lies outside that ball,
    ``Phi((L * d(x, p) - mu(p) + best) / s(p))`` (Gonzalez et al., 2016, for minimisation).
    Distances are measured in length-scale units, so the balls follow the model's own
    sense of "close" along each feature, and ``L`` is the largest gradient of the mean in
    those units over ``probes``.
    """

    def __init__(self, post: Posterior, best: float, pending: np.ndarray, probes: np.ndarray):
        self.scales = post.hp.length_scales
        self.P = np.atleast_2d(pending)
        mean, var = post.predict(self.P)
        self.s = np.sqrt(var)
        self.gap = mean - best
        self.L = max(_mean_gradient_norm(post, np.vstack([probes, post.X])), 1e-6)

    def log(self, X: np.ndarray) -> np.ndarray:
        """Sum of log penalties at the rows of ``X``."""
        d = np.sqrt((((np.atleast_2d(X)[:, None, :] - self.P[None]) / self.scales) ** 2).sum(-1))
        return log_ndtr((self.L * d - self.gap) / self.s).sum(axis=1)

    def log_with_gradient(self, x: np.ndarray) -> tuple[float, np.ndarray]:
        """The same at one point, and its gradient with respect to ``x``."""
        diff = (x[None, :] - self.P) / self.scales
        d = np.maximum(np.sqrt((diff**2).sum(1)), 1e-12)
        z = (self.L * d - self.gap) / self.s
        lp = log_ndtr(z)
        ratio = np.exp(-0.5 * z * z - _LOG_SQRT_2PI - lp)  # phi(z) / Phi(z)
        grad = ((ratio * self.L / (self.s * d))[:, None] * diff / self.scales).sum(0)
        return float(lp.sum()), grad


def _mean_gradient_norm(post: Posterior, X: np.ndarray) -> float:
    """The largest norm of the posterior mean's gradient, in length-scale units, over the rows of ``X``."""
    hp = post.hp
    diff = X[:, None, :] - post.X[None]  # (m, n, d)
    r = np.sqrt(((diff / hp.length_scales) ** 2).sum(-1))
    w = -(5.0 / 3.0) * hp.amplitude * (1.0 + _SQRT5 * r) * np.exp(-_SQRT5 * r) * post.alpha[None, :]
    grad = np.einsum("mn,mnd->md", w, diff) / hp.length_scales**2
    return float(np.sqrt(((grad * hp.length_scales) ** 2).sum(1)).max())


def maximize(
    post: Posterior,
    best: float,
    candidates: np.ndarray,
    free_columns: Callable[[np.ndarray], np.ndarray],
    neighbours: Callable[[np.ndarray], list[np.ndarray]],
    restarts: int = 5,
    penalty: LocalPenalty | None = None,
) -> tuple[np.ndarray, float]:
    """Maximise log EI starting from feature-space ``candidates``.

    ``free_columns(x)`` lists the columns of ``x`` that may move continuously (continuous
    parameters that are active and that no condition reads); L-BFGS-B optimises those from
    the ``restarts`` best candidates.  ``neighbours(x)`` lists the points one discrete move
    away (another option of a choice, the next integer); a greedy pass over them follows.
    With a ``penalty``, log EI plus the penalty's logarithm is maximised instead.
    Returns the best point found and its value.
    """
    from scipy.optimize import minimize

    def score(X: np.ndarray) -> np.ndarray:
        values = log_ei(*post.predict(X), best)
        return values if penalty is None else values + penalty.log(X)

    scores = score(candidates)
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
                if penalty is not None:
                    pval, pgrad = penalty.log_with_gradient(base)
                    val, grad = val + pval, grad + pgrad
                return -val, -grad[cols]

            res = minimize(negative, x[cols], jac=True, method="L-BFGS-B", bounds=[(0.0, 1.0)] * len(cols),
                           options={"maxiter": 100})
            if np.all(np.isfinite(res.x)):
                x[cols] = np.clip(res.x, 0.0, 1.0)
        val = float(score(x[None, :])[0])
        x, val = _greedy_discrete(score, x, val, neighbours)
        if val > best_val:
            best_x, best_val = x, val
    return best_x, best_val


def _greedy_discrete(
    score: Callable[[np.ndarray], np.ndarray],
    x: np.ndarray,
    val: float,
    neighbours: Callable[[np.ndarray], list[np.ndarray]],
    rounds: int = 3,
) -> tuple[np.ndarray, float]:
    """Take the best single discrete move while it raises the ``score``, at most ``rounds`` times."""
    for _ in range(rounds):
        moves = neighbours(x)
        if not moves:
            break
        M = np.vstack(moves)
        vals = score(M)
        i = int(np.argmax(vals))
        if vals[i] <= val + 1e-12:
            break
        x, val = M[i].copy(), float(vals[i])
    return x, val
