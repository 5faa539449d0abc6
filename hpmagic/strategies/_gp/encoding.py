"""Configurations <-> feature vectors for the Gaussian process.

Every parameter has a *latent* coordinate ``u`` in ``[0, 1]`` (its distribution's
``from_unit``/``to_unit`` position, so log scales and priors are already accounted for).
The GP sees *features*:

- a numeric parameter is one column holding ``u``; integers and quantised floats are
  snapped to the centre of their cell (``to_unit(from_unit(u))``), so every value has
  exactly one position and the model never sees two positions for one configuration;
- an ordinal choice (a list of numbers, :mod:`hpmagic.lists`) is one column holding the
  value's position on the list's scale (log for ``[16, 32, 64, 128]``), and a point between
  listed values is read as the nearest one; its discrete moves go to the neighbouring values;
- a categorical choice of ``k`` options is ``k`` one-hot columns (no false order among options);
- an inactive conditional parameter sits at a fixed position (0.5, or all-zero one-hot),
  and every conditional parameter has one more column that flags it active (1) or not (0),
  so "inactive" is never confused with "active at the middle of the range".
"""

from __future__ import annotations

from typing import Any, TypeGuard

import numpy as np

from ...space import Choice, SearchSpace

__all__ = ["Encoder", "one_hot", "one_hot_columns", "prefers_tpe", "GP_MAX_ONE_HOT", "FINITE_MAX"]


def one_hot(dist: Any) -> TypeGuard[Choice]:
    """True for a distribution the GP sees as one-hot columns: a categorical choice."""
    return isinstance(dist, Choice) and not dist.ordered


#: Most one-hot columns (options of categorical choices, summed) for which the GP is the model to
#: use; beyond them :func:`prefers_tpe` says TPE.  Measured (``docs/design/strategies.md``): with
#: 50 trials the GP led TPE at 15, 30, 45 and 60 columns (3, 6, 9 and 12 choices of 5 options).
GP_MAX_ONE_HOT = 60


def one_hot_columns(space: SearchSpace) -> int:
    """How many one-hot columns the GP gives the categorical choices of ``space`` (ordinal lists give none)."""
    return sum(int(p.distribution.cardinality()) for p in space if one_hot(p.distribution))


def prefers_tpe(space: SearchSpace) -> bool:
    """True when ``space`` has more categorical options than the GP models well
    (:data:`GP_MAX_ONE_HOT` one-hot columns), so that ``auto`` should run TPE instead."""
    return one_hot_columns(space) > GP_MAX_ONE_HOT


#: Largest finite space (configurations) whose every point the acquisition scores, instead of
#: sampling candidates and climbing from them (``docs/design/strategies.md``, "Recorded tables").
FINITE_MAX = 20_000


class Encoder:
    """Maps the configurations of one search space to GP features and back (see the module docstring)."""

    def __init__(self, space: SearchSpace):
        self.space = space
        self.params = list(space.parameters)
        read_by_conditions: set[str] = set()
        for p in self.params:
            if p.condition is not None:
                read_by_conditions |= p.condition.names()
        self.blocks: list[slice] = []  # feature columns of each parameter's value
        self.flags: list[int | None] = []  # flag column of each conditional parameter
        col = 0
        for p in self.params:
            width = len(p.distribution.options) if one_hot(p.distribution) else 1
            self.blocks.append(slice(col, col + width))
            col += width
        for p in self.params:
            if p.condition is not None:
                self.flags.append(col)
                col += 1
            else:
                self.flags.append(None)
        self.width = col
        #: Indices of parameters whose value may move continuously under L-BFGS-B.
        self.continuous = [
            i for i, p in enumerate(self.params) if not p.distribution.discrete and p.name not in read_by_conditions
        ]
        self.conditional = space.conditional

    # -- one configuration -------------------------------------------------------------

    def encode(self, config: dict[str, Any]) -> np.ndarray:
        """Feature vector of a configuration (inactive parameters are those it lacks)."""
        x = np.zeros(self.width)
        for p, block, flag in zip(self.params, self.blocks, self.flags):
            active = p.name in config
            if flag is not None:
                x[flag] = 1.0 if active else 0.0
            dist = p.distribution
            if one_hot(dist):
                if active:
                    x[block.start + dist.index(config[p.name])] = 1.0
            elif isinstance(dist, Choice):
                x[block.start] = dist.positions[dist.rank(config[p.name])] if active else 0.5
            else:
                x[block.start] = dist.to_unit(config[p.name]) if active else 0.5
        return x

    def config_from_latent(self, u: np.ndarray) -> dict[str, Any]:
        return self.space.from_unit([float(v) for v in u])

    def latent_from_features(self, x: np.ndarray) -> np.ndarray:
        u = np.full(len(self.params), 0.5)
        for i, (p, block) in enumerate(zip(self.params, self.blocks)):
            dist = p.distribution
            if one_hot(dist):
                onehot = x[block]
                if onehot.max() > 0.5:
                    u[i] = (int(np.argmax(onehot)) + 0.5) / len(dist.options)
            elif isinstance(dist, Choice):  # the nearest listed value
                u[i] = (int(np.argmin(np.abs(np.array(dist.positions) - x[block.start]))) + 0.5) / len(dist.options)
            else:
                u[i] = x[block.start]
        return u

    def config_from_features(self, x: np.ndarray) -> dict[str, Any]:
        return self.config_from_latent(self.latent_from_features(x))

    # -- many at once ------------------------------------------------------------------

    def features_from_latent(self, U: np.ndarray) -> np.ndarray:
        """Feature rows for rows of latent coordinates (conditions and snapping applied)."""
        U = np.atleast_2d(U)
        if self.conditional:
            return np.vstack([self.encode(self.config_from_latent(u)) for u in U])
        X = np.zeros((len(U), self.width))
        for i, (p, block) in enumerate(zip(self.params, self.blocks)):
            dist, u = p.distribution, np.clip(U[:, i], 0.0, 1.0)
            if isinstance(dist, Choice):
                k = len(dist.options)
                index = np.minimum((u * k).astype(int), k - 1)
                if one_hot(dist):
                    X[np.arange(len(U)), block.start + index] = 1.0
                else:
                    X[:, block.start] = np.array(dist.positions)[index]
            elif dist.discrete:
                X[:, block.start] = [dist.to_unit(dist.from_unit(t)) for t in u]
            else:
                X[:, block.start] = (
                    [dist.to_unit(dist.from_unit(t)) for t in u] if dist.kind in ("normal", "lognormal") else u
                )
        return X

    def finite(self, limit: int = FINITE_MAX) -> tuple[np.ndarray, np.ndarray] | None:
        """Every configuration of a finite space: (feature rows, the option index of each parameter
        per row), or None when the space is conditional, has a continuous parameter or more than
        ``limit`` configurations."""
        if self.conditional or not self.params or not all(p.distribution.discrete for p in self.params):
            return None
        axes = []
        size = 1
        for p in self.params:
            dist = p.distribution
            values = dist.grid(int(dist.cardinality())) if dist.cardinality() <= limit else []
            if len(values) < dist.cardinality():  # e.g. a logint's grid skips values
                return None
            size *= len(values)
            if size > limit:
                return None
            axes.append(
                np.array([(i + 0.5) / len(values) for i in range(len(values))])
                if isinstance(dist, Choice)
                else np.array([dist.to_unit(v) for v in values])
            )
        index = np.stack(np.meshgrid(*[np.arange(len(a)) for a in axes], indexing="ij"), axis=-1).reshape(size, -1)
        latent = np.column_stack([a[index[:, i]] for i, a in enumerate(axes)])
        return self.features_from_latent(latent), index

    # -- moves for the acquisition optimiser ---------------------------------------------

    def free_columns(self, x: np.ndarray) -> np.ndarray:
        """Columns that L-BFGS-B may move: active continuous parameters no condition reads."""
        cols = []
        for i in self.continuous:
            flag = self.flags[i]
            if flag is None or x[flag] > 0.5:
                cols.append(self.blocks[i].start)
        return np.array(cols, dtype=int)

    def neighbours(self, x: np.ndarray) -> list[np.ndarray]:
        """Points one discrete move away: another option of a choice, the next integer step."""
        u = self.latent_from_features(x)
        config = self.config_from_latent(u)
        out = []
        for i, p in enumerate(self.params):
            if p.name not in config or not p.distribution.discrete:
                continue
            dist = p.distribution
            if one_hot(dist):
                targets = [(j + 0.5) / len(dist.options) for j in range(len(dist.options))]
            elif isinstance(dist, Choice):  # the neighbouring values
                k, n = dist.rank(config[p.name]), len(dist.options)
                targets = [(j + 0.5) / n for j in (k - 1, k + 1) if 0 <= j < n]
            else:
                step = getattr(dist, "step", None) or 1
                here = config[p.name]
                targets = [dist.to_unit(v) for v in (here - step, here + step) if dist.contains(v)]
            for t in targets:
                if abs(t - u[i]) > 1e-9:
                    v = u.copy()
                    v[i] = t
                    out.append(self.encode(self.config_from_latent(v)))
        return out
