"""``gp``: Bayesian optimisation with a Gaussian process and log expected improvement.

This is the ask/tell adapter; the mathematics lives in :mod:`hpmagic.strategies._gp`.  How
a proposal is made (initial design, model, failures, pending trials, acquisition):
``docs/design/strategies.md``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from ..core import Trial, TrialState
from ..space import SearchSpace
from . import fidelity
from .base import Strategy, StrategyContext

if TYPE_CHECKING:
    from ._gp.model import Hyperparameters

__all__ = ["GPStrategy"]

#: Random candidates scored before the gradient ascent, and restarts of the ascent.
CANDIDATES = 2000
RESTARTS = 5


class GPStrategy(Strategy):
    """Gaussian-process Bayesian optimisation after a quasi-random start."""

    name = "gp"
    #: With ``--prune``, what trials stopped below the fitted step count as: "worst" (the
    #: worst loss at that step) or "ignore" (left out, as BOHB does).
    BELOW = "worst"

    def setup(self, space: SearchSpace, context: StrategyContext) -> None:
        super().setup(space, context)
        from scipy.stats import qmc

        from ._gp.encoding import Encoder

        self.rng = np.random.default_rng(context.seed)
        self.encoder = Encoder(space)
        self.n_initial = max(5, len(space) + 1)
        self._sobol = qmc.Sobol(max(len(space), 1), scramble=True, seed=self.rng)
        self._told: dict[int, tuple[np.ndarray, float | None]] = {}  # number -> (features, loss or None)
        self._evidence: dict[int, fidelity.Evidence] = {}  # the told trials, for the fit at one fidelity
        self._level: float | None = None  # the step the model was last fitted at (--prune)
        self._pending: dict[int, np.ndarray] = {}
        self._hyper: Hyperparameters | None = None
        self.reason = self.reason or (
            f"Gaussian-process Bayesian optimisation, {self.n_initial} quasi-random points first"
        )

    # -- ask/tell ------------------------------------------------------------------------

    def ask(self, number: int) -> dict[str, Any] | None:
        if len(self.space) == 0:
            return {}
        losses = [loss for _, loss in self._told.values() if loss is not None]
        if len(self._told) + len(self._pending) < self.n_initial or len(losses) < 2:
            config = self.encoder.config_from_latent(self._sobol.random(1)[0])
        else:
            from threadpoolctl import threadpool_limits

            # The matrices are small: one BLAS thread is faster than several fighting for cores.
            with threadpool_limits(1):
                config = self._propose()
        try:
            self._pending[number] = self.encoder.encode(config)
        except ValueError:
            pass
        return config

    def tell(self, trial: Trial) -> None:
        self._pending.pop(trial.number, None)
        if trial.state is TrialState.INTERRUPTED or trial.state is TrialState.RUNNING:
            return
        try:
            x = self.encoder.encode(trial.params)
        except (ValueError, KeyError, TypeError):  # e.g. a default that is not one of the choices
            return
        evidence = self._evidence[trial.number] = fidelity.Evidence.of(trial, self.context.direction)
        # A pruned trial's loss is the one it reached, so that it counts as data (see _training_data).
        self._told[trial.number] = (x, evidence.reached)

    # -- the model ---------------------------------------------------------------------

    def _propose(self) -> dict[str, Any]:
        from ._gp import acquisition, model

        X, y = self._training_data()
        y_t = model.transform_targets(y)
        # Random restarts of the likelihood fit now and then; in between, the previous fit
        # is a warm start that a single ascent refines (the data changed by one point).
        restarts = 2 if self._hyper is None else 1 if len(y) % (10 if len(y) < 60 else 25) == 0 else 0
        self._hyper = model.fit_hyperparameters(X, y_t, self.rng, previous=self._hyper, restarts=restarts)
        post = model.Posterior(X, y_t, self._hyper)
        best = float(y_t.min())
        if self._pending:
            P = np.vstack(list(self._pending.values()))
            believed, _ = post.predict(P)
            post = model.Posterior(np.vstack([X, P]), np.concatenate([y_t, believed]), self._hyper)

        candidates = self._candidates(X, y)
        x, _ = acquisition.maximize(
            post, best, candidates, self.encoder.free_columns, self.encoder.neighbours, restarts=RESTARTS
        )
        seen = np.vstack([X, *self._pending.values()]) if self._pending else X
        if np.min(np.abs(seen - x).max(axis=1)) < 1e-6:
            # The model's favourite is already tried: take the best unseen candidate instead.
            mean, var = post.predict(candidates)
            scores = acquisition.log_ei(mean, var, best)
            for i in np.argsort(-scores):
                if np.min(np.abs(seen - candidates[i]).max(axis=1)) >= 1e-6:
                    x = candidates[i]
                    break
            else:
                return self.space.sample(self.rng)
        return self.encoder.config_from_features(x)

    def _training_data(self) -> tuple[np.ndarray, np.ndarray]:
        if self.context.pruning or any(e.state is TrialState.PRUNED for e in self._evidence.values()):
            return self._data_at_one_fidelity()
        rows = list(self._told.values())
        X = np.vstack([x for x, _ in rows])
        losses = np.array([np.nan if loss is None else loss for _, loss in rows], dtype=float)
        ok = np.isfinite(losses)
        worst = losses[ok].max()
        losses[~ok] = worst  # failures count as the worst loss seen
        return X, losses

    def _data_at_one_fidelity(self) -> tuple[np.ndarray, np.ndarray]:
        """With ``--prune`` (or pruned trials from a study): the trials at the highest step that ``d + 2`` trials reached, as BOHB
        fits its model (:func:`hpmagic.strategies.fidelity.training_set`; ``BELOW`` says what
        the trials stopped before that step count as, ``docs/design/pruning.md`` why)."""
        data = fidelity.training_set(list(self._evidence.values()), self.context.direction,
                                     enough=len(self.space) + 2, below=self.BELOW)
        if data.level != self._level:  # another fidelity: the old fit is no warm start for it
            self._level, self._hyper = data.level, None
        X = np.vstack([self._told[row.number][0] for row in data.rows])
        return X, np.array([row.loss for row in data.rows], dtype=float)

    def _candidates(self, X: np.ndarray, y: np.ndarray) -> np.ndarray:
        P = len(self.space)
        U = self.rng.random((CANDIDATES, P))
        # Local candidates: the best few trials, perturbed in the latent cube.
        top = np.argsort(y)[: min(5, len(y))]
        local = []
        for i in top:
            u0 = self.encoder.latent_from_features(X[i])
            for scale in (0.02, 0.1):
                local.append(np.clip(u0 + scale * self.rng.standard_normal((20, P)), 0.0, 1.0))
        return self.encoder.features_from_latent(np.vstack([U, *local]))
