"""``evolution``: a CMA evolution strategy for mixed spaces.

Numeric parameters, ordinal lists among them (``[16, 32, 64]``: their unit coordinate walks the
sorted list, so a small mutation moves to a neighbouring value), evolve together in the unit cube
by CMA-ES; each categorical choice has a learned probability per option.  Generations are filled
and ranked asynchronously; a draw equal to a configuration still in flight is drawn again
(:mod:`.inflight`).  The details
(sampling, ranking, the categorical floor, which trials are used): ``docs/design/strategies.md``.

With several objectives or a constraint (``StrategyContext.goal``) it runs NSGA-II instead
(:mod:`.nsga2`).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..core import Trial, TrialState
from ..space import Choice, SearchSpace
from . import fidelity
from .base import Strategy, StrategyContext
from .inflight import InFlight
from .nsga2 import NSGA2

__all__ = ["Evolution"]

#: Smallest probability of any option of a choice (times 1 / number of options).
CATEGORICAL_FLOOR = 0.2


class Evolution(Strategy):
    """CMA-ES over the numeric parameters, learned option probabilities for the choices."""

    name = "evolution"

    def setup(self, space: SearchSpace, context: StrategyContext) -> None:
        """Seed the random stream and start the search distribution: CMA-ES over the numbers, option weights for the
        choices."""
        super().setup(space, context)
        self.nsga2: NSGA2 | None = None
        if context.objectives.multi or context.objectives.constraints:
            self.nsga2 = NSGA2()
            self.nsga2.setup(space, context)
            self.reason = self.reason or self.nsga2.reason
            return
        self.rng = np.random.default_rng(context.seed)
        params = list(space.parameters)
        categorical = {
            i for i, p in enumerate(params) if isinstance(p.distribution, Choice) and not p.distribution.ordered
        }
        self.numeric = [i for i in range(len(params)) if i not in categorical]
        sizes = {i: int(params[i].distribution.cardinality()) for i in sorted(categorical)}
        self.probs = {i: np.full(k, 1.0 / k) for i, k in sizes.items()}
        n = len(self.numeric)
        self.lam = max(6, 4 + int(3 * math.log(max(len(params), 1))))
        self.mu = self.lam // 2
        w = math.log(self.mu + 0.5) - np.log(np.arange(1, self.mu + 1))
        self.weights = w / w.sum()
        self.mueff = 1.0 / np.sum(self.weights**2)
        self.mean = np.full(n, 0.5)
        self.sigma = 0.3
        self.C = np.eye(n)
        self.pc = np.zeros(n)
        self.ps = np.zeros(n)
        if n:
            mueff = self.mueff
            self.cs = (mueff + 2) / (n + mueff + 5)
            self.ds = 1 + 2 * max(0.0, math.sqrt((mueff - 1) / (n + 1)) - 1) + self.cs
            self.cc = (4 + mueff / n) / (n + 4 + 2 * mueff / n)
            self.c1 = 2 / ((n + 1.3) ** 2 + mueff)
            self.cmu = min(1 - self.c1, 2 * (mueff - 2 + 1 / mueff) / ((n + 2) ** 2 + mueff))
            self.chi = math.sqrt(n) * (1 - 1 / (4 * n) + 1 / (21 * n * n))
        self.generation = 0
        self._members: dict[int, tuple[int, np.ndarray, dict[int, int]]] = {}  # number -> (generation, x, choices)
        self._results: list[tuple[tuple[float, float], np.ndarray, dict[int, int]]] = []  # (rank key, x, choices)
        self.in_flight = InFlight(space)
        self.reason = self.reason or f"CMA-ES, {self.lam} trials per generation"

    def ask(self, number: int) -> dict[str, Any] | None:
        """A draw from the current generation's distribution (drawn again, wider, when it equals one in flight)."""
        if self.nsga2 is not None:
            return self.nsga2.ask(number)
        drawn: list[tuple[np.ndarray, dict[int, int], dict[str, Any]]] = []

        def draw(attempt: int) -> dict[str, Any]:
            # a draw that equals a configuration in flight is drawn again, wider each time
            # (the step size doubles, and from the third attempt the options are uniform)
            x = self._sample_numeric(self.sigma * 2.0 ** (attempt + 1))
            probs = self.probs if attempt < 2 else {i: np.full(len(p), 1 / len(p)) for i, p in self.probs.items()}
            picks = {i: int(self.rng.choice(len(p), p=p)) for i, p in probs.items()}
            drawn.append((x, picks, self._config(x, picks)))
            return drawn[-1][2]

        x = self._sample_numeric(self.sigma)
        picks = {i: int(self.rng.choice(len(p), p=p)) for i, p in self.probs.items()}
        drawn.append((x, picks, self._config(x, picks)))
        config = self.in_flight.propose(number, drawn[0][2], draw, tries=16)
        x, picks, last = drawn[-1]
        if config is last:  # not when every draw collided and a free configuration was listed instead
            self._members[number] = (self.generation, x, picks)
        return config

    def _config(self, x: np.ndarray, picks: dict[int, int]) -> dict[str, Any]:
        u = np.empty(len(self.space))
        u[self.numeric] = x
        for i, k in picks.items():
            u[i] = (k + 0.5) / len(self.probs[i])
        return self.space.from_unit([float(v) for v in u])

    def tell(self, trial: Trial) -> None:
        """Rank a member of the current generation; a full generation updates the distribution."""
        if self.nsga2 is not None:
            return self.nsga2.tell(trial)
        self.in_flight.discard(trial.number)
        member = self._members.pop(trial.number, None)
        if (
            member is None
            or member[0] != self.generation
            or trial.state in (TrialState.INTERRUPTED, TrialState.RUNNING)
        ):
            return
        # Pruned trials rank below every trial that got further, by the value they reached.
        self._results.append((fidelity.rank_key(trial, self.context.direction), member[1], member[2]))
        if len(self._results) >= self.lam:
            self._update()

    # -- the evolution strategy ----------------------------------------------------------

    def _sample_numeric(self, sigma: float) -> np.ndarray:
        n = len(self.numeric)
        if n == 0:
            return np.zeros(0)
        vals, vecs = np.linalg.eigh(self.C)
        z = self.rng.standard_normal(n)
        x = self.mean + min(sigma, 1.0) * (vecs @ (np.sqrt(np.maximum(vals, 1e-20)) * z))
        x = np.abs(x)  # mirror at 0 ...
        x = 1 - np.abs(1 - np.mod(x, 2))  # ... and at 1, as often as needed
        return np.clip(x, 0.0, 1.0)

    def _update(self) -> None:
        ranked = sorted(self._results, key=lambda r: r[0])
        self._results = []
        self.generation += 1
        best = ranked[: self.mu]
        for i, p in self.probs.items():
            freq = np.zeros_like(p)
            for w, (_, _, picks) in zip(self.weights, best):
                freq[picks[i]] += w
            floor = CATEGORICAL_FLOOR / len(p)
            p = 0.5 * p + 0.5 * freq
            p = np.maximum(p, floor)
            self.probs[i] = p / p.sum()
        n = len(self.numeric)
        if n == 0:
            return
        X = np.vstack([x for _, x, _ in best])
        old = self.mean
        self.mean = self.weights @ X
        Y = (X - old) / self.sigma
        y_w = self.weights @ Y
        vals, vecs = np.linalg.eigh(self.C)
        inv_sqrt = vecs @ np.diag(1 / np.sqrt(np.maximum(vals, 1e-20))) @ vecs.T
        self.ps = (1 - self.cs) * self.ps + math.sqrt(self.cs * (2 - self.cs) * self.mueff) * (inv_sqrt @ y_w)
        hsig = (
            np.linalg.norm(self.ps) / math.sqrt(1 - (1 - self.cs) ** (2 * self.generation))
            < (1.4 + 2 / (n + 1)) * self.chi
        )
        self.pc = (1 - self.cc) * self.pc + hsig * math.sqrt(self.cc * (2 - self.cc) * self.mueff) * y_w
        rank_mu = (Y.T * self.weights) @ Y
        self.C = (
            (1 - self.c1 - self.cmu) * self.C
            + self.c1 * (np.outer(self.pc, self.pc) + (1 - hsig) * self.cc * (2 - self.cc) * self.C)
            + self.cmu * rank_mu
        )
        self.C = (self.C + self.C.T) / 2
        self.sigma *= math.exp((self.cs / self.ds) * (np.linalg.norm(self.ps) / self.chi - 1))
        self.sigma = float(min(max(self.sigma, 1e-8), 1.0))
