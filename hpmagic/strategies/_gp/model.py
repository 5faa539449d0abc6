"""A Gaussian process on the unit cube with closed-form gradients.

The kernel is ``amplitude * Matern52(ARD) + noise``.  scikit-learn's
``GaussianProcessRegressor`` fits the hyperparameters by maximising the log marginal
likelihood (L-BFGS-B, warm-started from the previous fit, plus random restarts);
:class:`Posterior` then conditions on any set of points with those hyperparameters, which
is also how pending points are "believed" (kriging believer) without a refit.

Targets are transformed before fitting (:func:`transform_targets`): scaled into ``(-1, 1)`` by a
power of two (exact, and safe from overflow for losses up to the largest float), capped at their
median, then standardised, so that the model spends its capacity near the good values.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy.linalg import cho_solve, cholesky, solve_triangular

__all__ = [
    "Hyperparameters",
    "Posterior",
    "fit_hyperparameters",
    "transform_targets",
    "log_if_spread",
    "unit_scale",
    "matern52",
]

_SQRT5 = np.sqrt(5.0)

#: Bounds of the hyperparameters, on standardised targets and unit-cube features.
AMPLITUDE_BOUNDS = (0.05, 20.0)
LENGTH_SCALE_BOUNDS = (0.05, 20.0)  # shorter scales overfit a few dozen points (measured)
NOISE_BOUNDS = (1e-6, 0.25)


@dataclass(frozen=True)
class Hyperparameters:
    """The fitted kernel: signal amplitude, one length scale per feature, white-noise level."""

    amplitude: float
    length_scales: np.ndarray
    noise: float


def matern52(A: np.ndarray, B: np.ndarray, hp: Hyperparameters) -> np.ndarray:
    """The kernel matrix ``amplitude * Matern52(A, B)`` without the noise term."""
    a = A / hp.length_scales
    b = B / hp.length_scales
    sq = np.maximum((a * a).sum(1)[:, None] + (b * b).sum(1)[None, :] - 2.0 * a @ b.T, 0.0)
    r = np.sqrt(sq)
    return hp.amplitude * (1.0 + _SQRT5 * r + (5.0 / 3.0) * sq) * np.exp(-_SQRT5 * r)


def transform_targets(y: np.ndarray) -> np.ndarray:
    """Cap losses at their median, then standardise.

    The transform is monotone, so the best point stays the best.  Every loss worse than the
    median counts as the median: the model then spends its capacity telling good points
    from very good ones, instead of fitting how bad the failures, the diverged runs and the
    far corners are (a few enormous values, as on Rosenbrock or a pipeline that cannot be
    fitted, would otherwise set the scale).  Before the cap, losses whose better half itself
    spans orders of magnitude are put on a log scale (:func:`log_if_spread`), so that the cap
    does not flatten the differences that matter there.  Measured: ``docs/design/strategies.md``.

    The losses are first divided by the power of two just above their largest magnitude
    (:func:`unit_scale`), so that no sum, difference or square below overflows, however
    close to the largest float they are (``±1.7e308``).  The division is exact and
    standardising does not depend on the scale, so ordinary losses give the same targets,
    bit for bit.  Losses whose spread is below ``1e-12`` of their largest magnitude (all
    equal, up to rounding) become all zero: a flat model, whose proposals are still made.
    """
    y = unit_scale(np.asarray(y, dtype=float))
    if y.size >= 4:
        y = log_if_spread(y)
        y = np.minimum(y, np.median(y))
    std = y.std()
    return (y - y.mean()) / std if std > 1e-12 else np.zeros_like(y)


#: The better half of the losses "spans orders of magnitude" when its median distance from the
#: best loss is more than SPREAD times the 10% quantile of the positive distances.
SPREAD = 100.0


def log_if_spread(y: np.ndarray) -> np.ndarray:
    """``log(y - min + d)`` when the better half of the losses spans orders of magnitude, else ``y``.

    ``d`` is the 10% quantile of the positive distances from the best loss, so the best point
    maps to a finite value near the next ones.  Monotone, so the best point stays the best.
    Rosenbrock's losses span 1 to 1e5 with the better half over three orders of magnitude: the
    median cap alone left those differences to a sliver of the target's range (86.8 against
    95.4 with this rule, 10 seeds); errors and accuracies, whose better half spans less than
    a factor of 100, are left as they are (``docs/design/strategies.md``, "Capped losses").
    """
    distance = y - y.min()
    positive = distance[distance > 0]
    if positive.size < 3:
        return y
    low = float(np.quantile(positive, 0.1))
    if float(np.median(distance)) > SPREAD * low:
        return np.log(distance + low)
    return y


def unit_scale(y: np.ndarray) -> np.ndarray:
    """``y`` divided by the power of two just above its largest finite magnitude (``y`` itself
    when that is zero): every value then lies in ``(-1, 1)``, and nothing is rounded."""
    finite = np.abs(y[np.isfinite(y)])
    big = float(finite.max()) if finite.size else 0.0
    if big == 0.0:
        return y
    return np.ldexp(y, -np.frexp(big)[1])


def fit_hyperparameters(
    X: np.ndarray, y: np.ndarray, rng: np.random.Generator, previous: Hyperparameters | None = None, restarts: int = 2
) -> Hyperparameters:
    """Fit kernel hyperparameters to ``(X, y)`` (``y`` already transformed) by maximum likelihood."""
    from scipy.optimize import minimize
    from sklearn.gaussian_process import GaussianProcessRegressor
    from sklearn.gaussian_process.kernels import ConstantKernel, Matern, WhiteKernel

    d = X.shape[1]
    start = previous or Hyperparameters(1.0, np.full(d, 0.5), 1e-3)
    if start.length_scales.shape != (d,):
        start = Hyperparameters(1.0, np.full(d, 0.5), 1e-3)
    kernel = ConstantKernel(np.clip(start.amplitude, *AMPLITUDE_BOUNDS), AMPLITUDE_BOUNDS) * Matern(
        np.clip(start.length_scales, *LENGTH_SCALE_BOUNDS), LENGTH_SCALE_BOUNDS, nu=2.5
    ) + WhiteKernel(np.clip(start.noise, *NOISE_BOUNDS), NOISE_BOUNDS)

    def optimizer(
        obj_func: Callable[..., tuple[float, np.ndarray]], initial_theta: np.ndarray, bounds: np.ndarray
    ) -> tuple[np.ndarray, float]:
        res = minimize(obj_func, initial_theta, jac=True, method="L-BFGS-B", bounds=bounds, options={"maxiter": 80})
        return res.x, res.fun

    gpr = GaussianProcessRegressor(
        kernel,
        alpha=1e-10,
        optimizer=optimizer,
        n_restarts_optimizer=restarts,
        normalize_y=False,
        random_state=int(rng.integers(2**31)),
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # convergence chatter at the bounds is expected
        gpr.fit(X, y)
    fitted = gpr.kernel_
    return Hyperparameters(
        amplitude=float(fitted.k1.k1.constant_value),
        length_scales=np.atleast_1d(np.asarray(fitted.k1.k2.length_scale, dtype=float)).copy(),
        noise=float(fitted.k2.noise_level),
    )


class Posterior:
    """The GP conditioned on ``(X, y)`` with fixed hyperparameters.

    The last ``exact`` rows are taken as noise-free values of the latent function (the
    believed values of pending trials): the posterior variance collapses at them however
    noisy the real observations are.
    """

    def __init__(self, X: np.ndarray, y: np.ndarray, hp: Hyperparameters, exact: int = 0):
        self.X = np.asarray(X, dtype=float)
        self.y = np.asarray(y, dtype=float)
        self.hp = hp
        K = matern52(self.X, self.X, hp)
        noise = np.full(len(K), hp.noise + 1e-9)
        if exact:
            noise[len(K) - exact :] = 1e-6
        K[np.diag_indices_from(K)] += noise
        jitter = 0.0
        for _ in range(6):
            try:
                self.L = cholesky(K + jitter * np.eye(len(K)), lower=True)
                break
            except np.linalg.LinAlgError:
                jitter = max(jitter * 10, 1e-8)
        else:  # pragma: no cover - K is positive definite with any noise >= 1e-6
            raise np.linalg.LinAlgError("the kernel matrix is not positive definite")
        self.alpha = cho_solve((self.L, True), self.y)

    def predict(self, Xq: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Posterior mean and variance of the latent function at the rows of ``Xq``."""
        Ks = matern52(np.atleast_2d(Xq), self.X, self.hp)
        mean = Ks @ self.alpha
        v = solve_triangular(self.L, Ks.T, lower=True)
        var = np.maximum(self.hp.amplitude - (v * v).sum(0), 1e-12)
        return mean, var

    def predict_with_gradient(self, x: np.ndarray) -> tuple[float, float, np.ndarray, np.ndarray]:
        """Mean, variance and their gradients with respect to ``x`` at one point."""
        hp = self.hp
        diff = x[None, :] - self.X  # (n, d)
        scaled = diff / hp.length_scales
        sq = (scaled * scaled).sum(1)
        r = np.sqrt(sq)
        e = np.exp(-_SQRT5 * r)
        k = hp.amplitude * (1.0 + _SQRT5 * r + (5.0 / 3.0) * sq) * e
        # d k / d x_j = -amplitude * 5/3 * (1 + sqrt5 r) e^{-sqrt5 r} * diff_j / l_j^2
        J = (-(5.0 / 3.0) * hp.amplitude * (1.0 + _SQRT5 * r) * e)[:, None] * diff / hp.length_scales**2
        mean = float(k @ self.alpha)
        dmean = J.T @ self.alpha
        w = cho_solve((self.L, True), k)
        var = float(hp.amplitude - k @ w)
        dvar = -2.0 * (J.T @ w)
        if var < 1e-12:
            return mean, 1e-12, dmean, np.zeros_like(dvar)
        return mean, var, dmean, dvar
