"""The ``gp`` strategy with several objectives or constraints (``StrategyContext.goal``).

A mixin of :class:`hpmagic.strategies.gp.GPStrategy`: the one-objective search never enters it.
Each proposal after the quasi-random start models the objectives one of two ways
(:data:`ACQUISITION`; failed and pruned trials count as the worst loss seen on every objective):

- without constraints, a GP per objective (standardised losses) and the expected hypervolume
  improvement over the feasible front (Monte Carlo, :mod:`._mo.ehvi`), its reference point the
  front's nadir plus a tenth of its extent; scored on random and local candidates (around five
  front points drawn anew each time), then refined by two rounds of small steps around the best;
- with constraints, one GP on a fresh random augmented-Chebyshev scalarisation of the
  normalised losses (ParEGO, :mod:`._mo.scalarize`), maximising log expected improvement over
  the best feasible scalarised trial;
- the constraints: one GP per constraint on its signed margin; the acquisition is log EI plus
  the log probability that every margin holds, and with no feasible trial yet the probability
  of feasibility alone;
- pending trials: the kriging believer on the scalarised model (ParEGO), or pending points
  believed on the front at their predicted means (EHVI); no configuration tried or in flight is
  proposed (as with one objective).

The kernels are refitted at every proposal up to :data:`REFIT_ALWAYS` trials and every
:data:`REFIT_EVERY`-th after.  Why this split: ``docs/design/strategies.md``, "Several objectives".
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..core import Trial, TrialState
from ._mo import scalarize

__all__ = ["MultiObjective", "ACQUISITION", "DRAWS", "SCREEN", "REFIT_ALWAYS", "REFIT_EVERY"]

#: How several objectives are searched: "ehvi" (a GP per objective, expected hypervolume
#: improvement by Monte Carlo), "parego" (random Chebyshev scalarisations, one GP), or "auto":
#: EHVI without constraints, ParEGO with them (measured: docs/design/strategies.md).
ACQUISITION = "auto"
#: Normal draws of the Monte Carlo EHVI, and how many candidates it scores (the best by the
#: improvement of their optimistic point, one standard deviation below the mean).
DRAWS = 64
SCREEN = 100
#: The kernel is fitted for every proposal up to REFIT_ALWAYS trials, then every REFIT_EVERY-th.
REFIT_ALWAYS = 40
REFIT_EVERY = 5


class MultiObjective:
    """The several-objective branch of the GP strategy (see the module docstring)."""

    # Provided by GPStrategy.
    context: Any
    encoder: Any
    rng: np.random.Generator
    space: Any
    _pending: dict[int, np.ndarray]
    _hyper: Any
    _finite: Any

    def _acquisition(self) -> str:
        """``"ehvi"`` or ``"parego"``, as :data:`ACQUISITION` says for this goal."""
        if ACQUISITION != "auto":
            return ACQUISITION
        return "parego" if self.context.objectives.constraints else "ehvi"

    def _setup_multi(self) -> bool:
        """True (and the state made) when the goal has several objectives or constraints."""
        goal = self.context.objectives
        self._multi = goal.multi or bool(goal.constraints)
        self._mo_told: dict[int, tuple[np.ndarray, tuple[float, ...] | None, tuple[float, ...]]] = {}
        self._constraint_hyper: list[Any] = [None] * len(goal.constraints)
        return self._multi

    def _tell_multi(self, trial: Trial, x: np.ndarray) -> None:
        goal = self.context.objectives
        losses = goal.losses(trial) if trial.state is TrialState.COMPLETE else None
        if losses is not None and not all(np.isfinite(losses)):
            losses = None
        margins = (
            scalarize.margins(goal, trial) if trial.state is TrialState.COMPLETE else (np.inf,) * len(goal.constraints)
        )
        self._mo_told[trial.number] = (x, losses, margins)

    def _multi_ready(self) -> bool:
        return sum(1 for _, losses, _ in self._mo_told.values() if losses is not None) >= 2

    def _multi_data(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Features, losses (failures at the worst seen on each objective), margins."""
        rows = list(self._mo_told.values())
        X = np.vstack([x for x, _, _ in rows])
        m = len(self.context.objectives.objectives)
        L = np.array([losses if losses is not None else (np.nan,) * m for _, losses, _ in rows], dtype=float)
        ok = np.isfinite(L).all(axis=1)
        L[~ok] = L[ok].max(axis=0)
        M = np.array([margins for _, _, margins in rows], dtype=float).reshape(len(rows), -1)
        return X, L, M

    def _propose_multi(self) -> dict[str, Any]:
        from ._gp import acquisition, model

        X, L, M = self._multi_data()
        if self._acquisition() == "ehvi":
            return self._propose_ehvi(X, L, M)
        y = scalarize.chebyshev(L, scalarize.weights(self.rng, L.shape[1]))
        y_t = model.transform_targets(y)
        restarts = 2 if self._hyper is None else 1 if len(y) % (10 if len(y) < 60 else 25) == 0 else 0
        self._hyper = self._fit(X, y_t, self._hyper, restarts)
        post = model.Posterior(X, y_t, self._hyper)
        feasible = (M <= 0).all(axis=1)
        best = float(y_t[feasible].min()) if feasible.any() else None
        P = np.vstack(list(self._pending.values())) if self._pending else None
        if P is not None:
            post, believed_best = self._believe(post, X, y_t, P, np.inf if best is None else best)  # type: ignore[attr-defined]
            best = None if best is None else believed_best
        candidates = self._finite[0] if self._finite is not None else self._candidates(X, y)  # type: ignore[attr-defined]
        scores = np.zeros(len(candidates)) if best is None else acquisition.log_ei(*post.predict(candidates), best)
        scores = scores + self._log_feasible(X, M, candidates, restarts)
        if best is not None and not M.size and self._finite is None:
            x, _ = acquisition.maximize(
                post,
                best,
                candidates,
                self.encoder.free_columns,
                self.encoder.neighbours,
                restarts=3 if P is None else 0,
            )
            if not self._taken(x, X, P):  # type: ignore[attr-defined]
                return dict(self.encoder.config_from_features(x))
        for i in np.argsort(-scores):
            if not self._taken(candidates[i], X, P):  # type: ignore[attr-defined]
                return dict(self.encoder.config_from_features(candidates[i]))
        return dict(self.space.sample(self.rng))

    def _propose_ehvi(self, X: np.ndarray, L: np.ndarray, M: np.ndarray) -> dict[str, Any]:
        from ..pareto import nondominated, ranks
        from ._gp import model
        from ._mo import ehvi

        n, m = L.shape
        T = (L - L.mean(axis=0)) / np.where(L.std(axis=0) > 1e-12, L.std(axis=0), 1.0)
        restarts = 1 if n % (10 if n < 60 else 25) == 0 else 0
        if not hasattr(self, "_objective_hyper"):
            self._objective_hyper: list[Any] = [None] * m
            self._draws = self.rng.standard_normal((DRAWS, m))
        posts = []
        for k in range(m):
            hyper = self._objective_hyper[k] = self._fit(X, T[:, k], self._objective_hyper[k], restarts)
            posts.append(model.Posterior(X, T[:, k], hyper))
        self._hyper = self._objective_hyper[0]  # what _taken reads the noise from
        feasible = (M <= 0).all(axis=1)
        P = np.vstack(list(self._pending.values())) if self._pending else None
        front = T[feasible]
        reference = self._reference(front, T)
        if P is not None and feasible.any():  # believe the pending trials land at their means
            front = np.vstack([front, np.column_stack([post.predict(P)[0] for post in posts])])
        front = front[nondominated(front)] if len(front) else front
        lower, upper = ehvi.boxes(front, reference)
        # the local candidates perturb five front points, drawn anew each time
        level = np.where(feasible, 0, 1) * (n + 1) + ranks(T) + 0.5 * self.rng.random(n)
        candidates = self._finite[0] if self._finite is not None else self._candidates(X, level)  # type: ignore[attr-defined]
        score = self._ehvi_scorer(posts, X, M, restarts, (lower, upper) if feasible.any() else None)
        scores = score(candidates)
        if self._finite is None and feasible.any():  # refine: small steps around the best few
            for scale in (0.03, 0.01):
                best = candidates[np.argsort(-scores)[:5]]
                U = np.vstack([self.encoder.latent_from_features(b) for b in best])
                U = np.clip(np.repeat(U, 40, axis=0) + scale * self.rng.standard_normal((200, U.shape[1])), 0.0, 1.0)
                near = self.encoder.features_from_latent(U)
                candidates, scores = np.vstack([candidates, near]), np.concatenate([scores, score(near)])
        for i in np.argsort(-scores):
            if not self._taken(candidates[i], X, P):  # type: ignore[attr-defined]
                return dict(self.encoder.config_from_features(candidates[i]))
        return dict(self.space.sample(self.rng))

    def _ehvi_scorer(self, posts: list[Any], X: np.ndarray, M: np.ndarray, restarts: int, cells: Any) -> Any:
        """``score(candidates)``: log EHVI plus the log probability of feasibility (that alone while
        ``cells``, the boxes of the undominated region, is ``None``: no feasible trial yet)."""
        from ._mo import ehvi

        fitted: list[Any] = []

        def score(candidates: np.ndarray) -> np.ndarray:
            scores = self._log_feasible(X, M, candidates, restarts if not fitted else -1)
            fitted.append(True)
            if cells is None:
                return scores
            predicted = [post.predict(candidates) for post in posts]
            mean = np.column_stack([p[0] for p in predicted])
            std = np.sqrt(np.column_stack([p[1] for p in predicted]))
            # Screened by the improvement of the optimistic point (one deviation below the mean),
            # ties (no improvement) by that point's summed losses; the best SCREEN by EHVI.
            lower, upper = cells
            optimistic = mean - std
            screen = ehvi.improvement(optimistic, lower, upper) - 1e-9 * optimistic.sum(axis=1)
            top = np.argsort(-(screen * np.exp(scores)))[:SCREEN]
            full = np.full(len(candidates), 1e-300)
            full[top] = ehvi.expected_improvement(mean[top], std[top], lower, upper, self._draws) + 1e-300
            return scores + np.log(full)

        return score

    def _fit(self, X: np.ndarray, y: np.ndarray, previous: Any, restarts: int) -> Any:
        """Kernel hyperparameters for ``(X, y)``: fitted afresh at first, refined from ``previous``
        while there are under :data:`REFIT_ALWAYS` trials and every :data:`REFIT_EVERY`-th trial
        after that, else ``previous`` as it is (with many trials the fit costs most of a proposal)."""
        from ._gp import model

        n = len(y)
        if previous is not None and n >= REFIT_ALWAYS and n % REFIT_EVERY:
            return previous
        return model.fit_hyperparameters(
            X, y, self.rng, previous=previous, restarts=2 if previous is None else restarts
        )

    @staticmethod
    def _reference(front: np.ndarray, T: np.ndarray) -> np.ndarray:
        """The acquisition's reference point: the front's nadir plus a tenth of its extent (of
        every trial's extent where the front is flat on an objective)."""
        spread = T.max(axis=0) - T.min(axis=0)
        if not len(front):
            return T.max(axis=0) + 0.1 * spread + 1e-9
        extent = front.max(axis=0) - front.min(axis=0)
        return front.max(axis=0) + 0.1 * np.where(extent > 1e-12, extent, spread) + 1e-9

    def _log_feasible(self, X: np.ndarray, M: np.ndarray, candidates: np.ndarray, restarts: int) -> np.ndarray:
        """The log probability that every constraint holds at each candidate (0 without constraints)."""
        from ._gp import model

        total = np.zeros(len(candidates))
        for j in range(M.shape[1]):
            targets, threshold = scalarize.standardise(M[:, j])
            hyper = self._constraint_hyper[j]
            if restarts >= 0 or hyper is None:  # -1: the same data as the last call, keep the fit
                hyper = self._constraint_hyper[j] = self._fit(X, targets, hyper, max(restarts, 0))
            mean, var = model.Posterior(X, targets, hyper).predict(candidates)
            total += scalarize.log_feasible(mean, var, threshold)
        return total
