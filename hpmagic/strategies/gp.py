"""``gp``: Bayesian optimisation with a Gaussian process (scikit-learn) and log expected improvement.

How a proposal is made (the mathematics lives in :mod:`hpmagic.strategies._gp`):

1. **Initial design.**  Until ``max(5, d + 1)`` trials are known (told or pending, the
   defaults of trial 0 included; ``d`` is the number of parameters), the points come from
   a scrambled Sobol sequence, which spreads them better than independent draws.
2. **Model.**  Every parameter is placed in the unit cube (log scales, integer cells and
   priors are handled by the distributions' ``to_unit``/``from_unit``), choices are
   one-hot, inactive conditional parameters sit at a fixed position with an "active" flag
   column.  A GP with a Matern 5/2 kernel (one length scale per feature), a signal
   amplitude and white noise is fitted by maximum likelihood to the transformed losses.
3. **Failures.**  A failed or pruned trial counts as the worst loss seen so far, so the
   model learns to avoid its region; interrupted trials are ignored.
4. **Pending trials** (asked, not told, as with ``--jobs``) are added to the model with
   the model's own prediction as their value (the *kriging believer*): the uncertainty
   around them collapses, so parallel asks land on distinct points.
5. **Acquisition.**  Log expected improvement is scored on 2,000 random points plus
   perturbations of the best trials, then L-BFGS-B climbs from the five best of them along
   the continuous coordinates, and a greedy pass tries discrete moves (other options,
   neighbouring integers).  A point already tried is never proposed again; if the model
   has nothing new to offer, a random point is tried instead.
"""

from __future__ import annotations

import numpy as np

from ..result import TrialState
from .base import Strategy

__all__ = ["GPStrategy"]

#: Random candidates scored before the gradient ascent, and restarts of the ascent.
CANDIDATES = 2000
RESTARTS = 5


class GPStrategy(Strategy):
    name = "gp"

    def setup(self, space, context):
        super().setup(space, context)
        from scipy.stats import qmc

        from ._gp.encoding import Encoder

        self.rng = np.random.default_rng(context.seed)
        self.encoder = Encoder(space)
        self.n_initial = max(5, len(space) + 1)
        self._sobol = qmc.Sobol(max(len(space), 1), scramble=True, seed=self.rng)
        self._told: dict[int, tuple[np.ndarray, float | None]] = {}  # number -> (features, loss or None)
        self._pending: dict[int, np.ndarray] = {}
        self._hyper = None
        self.reason = self.reason or (
            f"Gaussian-process Bayesian optimisation, {self.n_initial} quasi-random points first"
        )

    # -- ask/tell ------------------------------------------------------------------------

    def ask(self, number):
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

    def tell(self, trial):
        self._pending.pop(trial.number, None)
        if trial.state is TrialState.INTERRUPTED or trial.state is TrialState.RUNNING:
            return
        try:
            x = self.encoder.encode(trial.params)
        except (ValueError, KeyError, TypeError):  # e.g. a default that is not one of the choices
            return
        self._told[trial.number] = (x, self.context.loss(trial))

    # -- the model ---------------------------------------------------------------------

    def _propose(self):
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

    def _training_data(self):
        rows = list(self._told.values())
        X = np.vstack([x for x, _ in rows])
        losses = np.array([np.nan if loss is None else loss for _, loss in rows], dtype=float)
        ok = np.isfinite(losses)
        worst = losses[ok].max()
        losses[~ok] = worst  # failures count as the worst loss seen
        return X, losses

    def _candidates(self, X, y):
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
