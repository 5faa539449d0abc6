"""``gp``: Bayesian optimisation with a Gaussian process and log expected improvement.

This is the ask/tell adapter; the mathematics lives in :mod:`hpmagic.strategies._gp`.  How
a proposal is made (initial design, model, failures, pending trials, acquisition):
``docs/design/strategies.md``.  With several objectives or constraints the proposals come from
:mod:`.gp_multi` (expected hypervolume improvement, or ParEGO with a model of feasibility).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from ..core import Trial, TrialState
from ..space import SearchSpace
from . import fidelity
from .base import Strategy, StrategyContext
from .gp_multi import MultiObjective
from .inflight import InFlight

if TYPE_CHECKING:
    from ._gp.model import Hyperparameters, Posterior

__all__ = ["GPStrategy"]

#: Random candidates scored before the gradient ascent, and restarts of the ascent.
CANDIDATES = 2000
RESTARTS = 5


def _key(row: np.ndarray) -> bytes:
    """A feature row as a dictionary key (rounded, so that encodings of one configuration agree)."""
    return np.round(row, 9).tobytes()


class GPStrategy(MultiObjective, Strategy):
    """Gaussian-process Bayesian optimisation after a quasi-random start."""

    name = "gp"
    #: With ``--prune``, what trials stopped below the fitted step count as: "worst" (the
    #: worst loss at that step) or "ignore" (left out, as BOHB does).
    BELOW = "worst"
    #: How the trials told by ``--warm-start`` (numbered below 0) enter the fit: their losses shifted
    #: by the offset measured where both searches ran (``"shift"``), left out once the search has
    #: ``warm.DROP_AFTER`` trials of its own per parameter (``"drop"``), both, or as told
    #: (``"none"``).  Measured: ``docs/design/strategies.md``, "Warm start".
    WARM = "shift+drop"

    def setup(self, space: SearchSpace, context: StrategyContext) -> None:
        """Seed the random stream, the encoder of the space and the quasi-random start."""
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
        self.in_flight = InFlight(space)
        self._hyper: Hyperparameters | None = None
        # A finite space small enough is scored whole (FINITE_MAX configurations at most).
        self._finite = self.encoder.finite()
        self._row_of: dict[bytes, int] = {}
        if self._finite is not None:
            self._row_of = {_key(row): i for i, row in enumerate(self._finite[0])}
        self.reason = self.reason or (
            f"Gaussian-process Bayesian optimisation, {self.n_initial} quasi-random points first"
        )
        if self._setup_multi():  # several objectives or constraints: gp_multi.py
            self.reason += (
                "; expected hypervolume improvement over a GP per objective"
                if self._acquisition() == "ehvi"
                else "; random Chebyshev scalarisations (ParEGO), a GP per constraint for feasibility"
            )

    # -- ask/tell ------------------------------------------------------------------------

    def ask(self, number: int) -> dict[str, Any] | None:
        """A quasi-random point until enough trials are in, then the best expected improvement of the fitted process."""
        if len(self.space) == 0:
            return {}
        losses = [loss for _, loss in self._told.values() if loss is not None]
        if (
            len(self._told) + len(self._pending) < self.n_initial
            or len(losses) < 2
            or (self._multi and not self._multi_ready())
        ):
            config = self.in_flight.propose(number, self._quasi_random(), lambda _: self._quasi_random())
        else:
            from threadpoolctl import threadpool_limits

            # The matrices are small: one BLAS thread is faster than several fighting for cores.
            with threadpool_limits(1):
                config = self._propose()
            # the model never proposes a point in flight; in a discrete space the random fallback might
            config = self.in_flight.propose(number, config, lambda _: self.space.sample(self.rng))
        try:
            self._pending[number] = self.encoder.encode(config)
        except ValueError:
            pass
        return config

    def _quasi_random(self) -> dict[str, Any]:
        return self.encoder.config_from_latent(self._sobol.random(1)[0])

    def tell(self, trial: Trial) -> None:
        """Add a finished trial to the evidence the process is fitted on (an interrupted one says nothing)."""
        self._pending.pop(trial.number, None)
        self.in_flight.discard(trial.number)
        if trial.state is TrialState.INTERRUPTED or trial.state is TrialState.RUNNING:
            return
        try:
            x = self.encoder.encode(trial.params)
        except (ValueError, KeyError, TypeError):  # e.g. a default that is not one of the choices
            return
        evidence = self._evidence[trial.number] = fidelity.Evidence.of(trial, self.context.direction)
        # A pruned trial's loss is the one it reached, so that it counts as data (see _training_data).
        self._told[trial.number] = (x, evidence.reached)
        if self._multi:
            self._tell_multi(trial, x)

    # -- the model ---------------------------------------------------------------------

    def _propose(self) -> dict[str, Any]:
        from ._gp import acquisition, model

        if self._multi:
            return self._propose_multi()
        X, y = self._training_data()
        y_t = model.transform_targets(y)
        # Random restarts of the likelihood fit now and then; in between, the previous fit
        # is a warm start that a single ascent refines (the data changed by one point).
        restarts = 2 if self._hyper is None else 1 if len(y) % (10 if len(y) < 60 else 25) == 0 else 0
        self._hyper = model.fit_hyperparameters(X, y_t, self.rng, previous=self._hyper, restarts=restarts)
        post = model.Posterior(X, y_t, self._hyper)
        best = float(y_t.min())
        candidates = self._candidates(X, y)
        P = np.vstack(list(self._pending.values())) if self._pending else None
        if P is not None:
            post, best = self._believe(post, X, y_t, P, best)
        if self._finite is not None:
            return self._best_of_all(post, best, X, P)
        # With trials pending, the best candidate is taken as it is: an ascent on the believed
        # model climbs to the faces of the cube, where its variance is largest (measured:
        # docs/design/strategies.md, "Parallel proposals").
        x, _ = acquisition.maximize(
            post,
            best,
            candidates,
            self.encoder.free_columns,
            self.encoder.neighbours,
            restarts=RESTARTS if P is None else 0,
        )
        if self._taken(x, X, P):
            # The model's favourite is tried, pending or indistinguishable from a pending point:
            # take the best candidate that is none of these.
            mean, var = post.predict(candidates)
            scores = acquisition.log_ei(mean, var, best)
            for i in np.argsort(-scores):
                if not self._taken(candidates[i], X, P):
                    x = candidates[i]
                    break
            else:
                return self.space.sample(self.rng)
        return self.encoder.config_from_features(x)

    def _best_of_all(self, post: Any, best: float, X: np.ndarray, P: np.ndarray | None) -> dict[str, Any]:
        """The configuration of highest log EI among those of the finite space neither tried nor
        pending (a random configuration when every one is taken)."""
        from ._gp import acquisition

        assert self._finite is not None
        F, _ = self._finite
        mean, var = post.predict(F)
        scores = acquisition.log_ei(mean, var, best)
        seen = X if P is None else np.vstack([X, P])
        taken = [self._row_of[k] for k in map(_key, seen) if k in self._row_of]
        scores[taken] = -np.inf
        for i in np.argsort(-scores):
            if not np.isfinite(scores[i]):
                break
            if not self._taken(F[i], X, P):
                return self.encoder.config_from_features(F[i])
        return self.space.sample(self.rng)

    def _believe(self, post: Any, X: np.ndarray, y_t: np.ndarray, P: np.ndarray, best: float) -> tuple[Any, float]:
        """The kriging believer: pending points ``P`` join the data at the model's prediction.

        They are believed noise-free, so the variance collapses at them however noisy the
        fit, and the incumbent moves to the best believed value, so that a point predicted
        to improve leaves no improvement behind it for the next ask to chase.
        """
        from ._gp import model

        assert self._hyper is not None
        believed, _ = post.predict(P)
        post = model.Posterior(np.vstack([X, P]), np.concatenate([y_t, believed]), self._hyper, exact=len(P))
        return post, min(best, float(believed.min()))

    def _taken(self, x: np.ndarray, X: np.ndarray, P: np.ndarray | None) -> bool:
        """Tried or pending already, or within the model's noise of a pending point.

        Two points are within the noise when the prior variance of the difference of their
        values, ``2 * (amplitude - k(x, p))``, is below the fitted noise variance.
        """
        seen = X if P is None else np.vstack([X, P])
        if np.min(np.abs(seen - x).max(axis=1)) < 1e-6:
            return True
        if P is None:
            return False
        from ._gp import model

        hp = self._hyper
        assert hp is not None
        return bool(np.any(2.0 * (hp.amplitude - model.matern52(x[None, :], P, hp)[0]) < hp.noise))

    def posterior(self) -> Posterior:
        """The model the next proposal starts from, for diagnostics (``benchmarks/handover_check.py``):
        a ``Posterior`` of the trials told so far (their targets as the GP sees them: capped at the
        median and standardised) with the last fitted hyperparameters, or hyperparameters fitted
        now with a fixed seed when none are yet.  It changes nothing: the next proposal is the same
        whether it was called or not."""
        from ._gp import model

        X, y = self._training_data()
        y_t = model.transform_targets(y)
        hp = self._hyper or model.fit_hyperparameters(X, y_t, np.random.default_rng(0))
        return model.Posterior(X, y_t, hp)

    def _training_data(self) -> tuple[np.ndarray, np.ndarray]:
        if self.context.pruning or any(e.state is TrialState.PRUNED for e in self._evidence.values()):
            return self._data_at_one_fidelity()
        rows = self._warm_rows()
        X = np.vstack([x for x, _ in rows])
        losses = np.array([np.nan if loss is None else loss for _, loss in rows], dtype=float)
        ok = np.isfinite(losses)
        worst = losses[ok].max()
        losses[~ok] = worst  # failures count as the worst loss seen
        return X, losses

    def _warm_rows(self) -> list[tuple[np.ndarray, float | None]]:
        """The told rows, those of ``--warm-start`` (numbered below 0) as ``WARM`` says: shifted by
        :func:`hpmagic.strategies.warm.offset`, and left out once this search's own are enough."""
        from . import warm

        own = [row for n, row in self._told.items() if n >= 0]
        earlier = [row for n, row in self._told.items() if n < 0]
        if not earlier:
            return own
        done = sum(loss is not None for _, loss in own)
        if "drop" in self.WARM and done >= max(self.n_initial, warm.DROP_AFTER * len(self.space)):
            return own
        if "shift" in self.WARM:
            told = {_key(x): loss for x, loss in earlier if loss is not None}
            shift = warm.offset(told, [(_key(x), loss) for x, loss in own if loss is not None])
            if shift is not None:
                earlier = [(x, None if loss is None else loss + shift) for x, loss in earlier]
        return earlier + own

    def _data_at_one_fidelity(self) -> tuple[np.ndarray, np.ndarray]:
        """With ``--prune`` (or pruned trials from a study): the trials at the highest step that ``d + 2`` trials reached, as BOHB
        fits its model (:func:`hpmagic.strategies.fidelity.training_set`; ``BELOW`` says what
        the trials stopped before that step count as, ``docs/design/pruning.md`` why)."""
        data = fidelity.training_set(
            list(self._evidence.values()), self.context.direction, enough=len(self.space) + 2, below=self.BELOW
        )
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
