"""Parameter importance: a functional ANOVA over a random forest fitted to the trials.

:func:`importance` fits a :class:`sklearn.ensemble.RandomForestRegressor` to the completed
trials (and, when most trials were pruned, to the pruned ones at the value they had reached:
see :func:`hpmagic.display.data.points`), each parameter on its unit scale (log parameters on
their log axis, choices by their index; ``-1`` where a conditional parameter was inactive, a
value of its own that a tree can split off), and decomposes each tree's predictions the way functional ANOVA does: the
*main effect* of a parameter is how much the tree's prediction, averaged over the observed
configurations, varies when that parameter alone is set to each of its observed values.  Its
share is that variance over the variance of the tree's predictions on the trials.

Conditional parameters are varied where they apply only, and a parameter other parameters
depend on is varied consistently: setting ``model`` to ``"rf"`` makes the gradient-boosting
parameters inactive, setting it to ``"gb"`` gives them values seen in the trials.  So a
conditional parameter is never credited with the effect of the choice it depends on, and a
parameter that only matters where it is inactive in the best region ranks low.  Interactions
are not credited to any one parameter: the shares of the main effects sum to at most one
(a tree's are scaled to one when, averaged over the observed configurations rather than an
independent product of the parameters' values, they add to a little more), and the rest
(``interactions``) is what the parameters do together.

The forest and the subsample of configurations are seeded, so the same trials give the same
shares run to run; the spread of each share over the trees is its uncertainty (shown as an
error bar).  When nothing can be said, :attr:`Importance.reason` says why.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from .._format import plural
from ..core import Trial, TrialState

if TYPE_CHECKING:
    from ..space import Parameter, SearchSpace

__all__ = ["Importance", "importance", "cached", "describe", "MIN_TRIALS"]

#: The fewest completed trials importance is estimated from.
MIN_TRIALS = 8
#: The forest: enough trees for a stable mean and a spread, few enough to stay cheap.
TREES = 32
#: How many observed configurations each parameter's effect is averaged over, and at most
#: how many values of a numeric parameter it is set to.
ROWS = 96
VALUES = 8
#: The most trials the forest is fitted to (a seeded sample of them beyond), so that the summary
#: of a long search stays quick; ``Importance.trials`` says how many were used.
MAX_TRIALS = 2000
INACTIVE = -1.0
#: The states of the trials the forest is fitted to (pruned ones only with a value: see :func:`importance`).
_USED = (TrialState.COMPLETE, TrialState.PRUNED)


@dataclass(frozen=True)
class Importance:
    """Each parameter's share of the objective's variance (main effect), most important
    first, with its spread over the forest's trees; ``reason`` says why ``shares`` is empty."""

    shares: dict[str, float] = field(default_factory=dict)
    spread: dict[str, float] = field(default_factory=dict)
    interactions: float = 0.0
    trials: int = 0
    reason: str = ""
    pruned: int = 0  # how many of ``trials`` were pruned ones, at the value they had reached

    def __bool__(self) -> bool:
        return bool(self.shares)


def _why_not(space: SearchSpace, done: list[Trial]) -> str:
    y = np.array([t.value for t in done], dtype=float)
    what = "trial" if any(t.state is TrialState.PRUNED for t in done) else "completed trial"
    if len(space) == 0:
        return "no tuned parameters"
    if len(space) == 1:
        return f"only one parameter ({space.names[0]}): nothing to rank it against"
    if len(done) < MIN_TRIALS:
        return f"too few {what}s: {len(done)}, at least {MIN_TRIALS} are needed"
    if not np.ptp(y) > 0:
        return f"every {what} has the same value ({y[0]:.4g})"
    if not any(len({repr(t.params.get(p.name)) for t in done}) > 1 for p in space):
        return f"every {what} has the same parameters"
    return ""


_LAST: list[Any] = []  # the last call of cached(): its key, a weak reference to its space, its result


def cached(space: SearchSpace, trials: Iterable[Trial], seed: int = 0) -> Importance:
    """:func:`importance`, kept for the last space and trials it was asked about: a summary asks
    twice (the importance plot, then the response over the two most important parameters)."""
    trials = list(trials)
    key = (id(space), seed, tuple((t.number, t.state, t.value) for t in trials))
    if _LAST and _LAST[0] == key and _LAST[1]() is space:
        return _LAST[2]
    found = importance(space, trials, seed)
    _LAST[:] = [key, weakref.ref(space), found]
    return found


def importance(space: SearchSpace, trials: Iterable[Trial], seed: int = 0) -> Importance:
    """The functional-ANOVA importance of each parameter of ``space`` over ``trials`` (see the
    module's docstring); seeded with ``seed``, so the same trials give the same shares.

    The complete trials count, and pruned ones that carry a value: the stand-ins of
    :func:`hpmagic.display.data.points`, at the value they had reached (a pruned trial as
    recorded has none); :attr:`Importance.pruned` says how many of those were used.
    """
    done = sorted(
        (t for t in trials if t.state in _USED and t.value is not None and np.isfinite(t.value)), key=lambda t: t.number
    )
    reason = _why_not(space, done)
    if reason:
        return Importance(trials=len(done), reason=reason)
    pruned = sum(1 for t in done if t.state is TrialState.PRUNED)
    from sklearn.ensemble import RandomForestRegressor

    rng = np.random.default_rng(seed)
    if len(done) > MAX_TRIALS:
        done = [done[i] for i in sorted(rng.choice(len(done), size=MAX_TRIALS, replace=False).tolist())]
    configs = [dict(t.params) for t in done]
    x = _encode(space, configs)
    y = np.array([t.value for t in done], dtype=float)
    forest = RandomForestRegressor(n_estimators=TREES, min_samples_leaf=2, random_state=seed, n_jobs=1)
    forest.fit(x, y)
    rows = sorted(rng.choice(len(configs), size=min(ROWS, len(configs)), replace=False).tolist())
    blocks, matrix = _variations(space, configs, [configs[i] for i in rows], rng)
    shares = np.zeros((TREES, len(space)))
    for k, tree in enumerate(forest.estimators_):
        total = float(np.var(tree.predict(x)))
        if total <= 0:
            continue
        pred = tree.predict(matrix) if len(matrix) else np.array([])
        for j, (weight, spans, weights) in blocks.items():
            means = np.array([pred[a:b].mean() for a, b in spans])
            centre = float(np.average(means, weights=weights))
            shares[k, j] = weight * float(np.average((means - centre) ** 2, weights=weights)) / total
    # Over the observed configurations (not an independent product of the parameters' values)
    # main effects can add to a little more than the whole: a tree's are then scaled to one.
    shares = shares / np.maximum(1.0, shares.sum(axis=1, keepdims=True))
    mean, std = shares.mean(axis=0), shares.std(axis=0)
    order = np.argsort(-mean, kind="stable")
    names = space.names
    return Importance(
        {names[j]: float(mean[j]) for j in order},
        {names[j]: float(std[j]) for j in order},
        interactions=float(max(0.0, 1.0 - mean.sum())),
        trials=len(done),
        pruned=pruned,
    )


def _encode(space: SearchSpace, configs: list[dict[str, Any]]) -> np.ndarray:
    """One row per configuration: each parameter on its unit scale, ``-1`` where inactive."""
    x = np.full((len(configs), len(space)), INACTIVE)
    for j, p in enumerate(space):
        for i, c in enumerate(configs):
            if p.name in c:
                x[i, j] = p.distribution.to_unit(c[p.name])
    return x


def _values(p: Parameter, observed: list[Any]) -> tuple[list[Any], np.ndarray]:
    """The values ``p`` is set to (each observed option, or up to :data:`VALUES` quantiles of
    a numeric parameter) and their weights (how often each option was seen; equal for numbers)."""
    dist = p.distribution
    if not dist.numeric:
        keys = [repr(v) for v in observed]
        unique = list(dict.fromkeys(keys))
        first = {k: observed[keys.index(k)] for k in unique}
        return [first[k] for k in unique], np.array([keys.count(k) for k in unique], dtype=float)
    units = np.array([dist.to_unit(v) for v in observed])
    picks = np.unique(np.quantile(units, np.linspace(0, 1, VALUES)))
    values = [observed[int(np.argmin(np.abs(units - u)))] for u in picks]
    values = list({repr(v): v for v in values}.values())
    return values, np.ones(len(values))


def _variations(
    space: SearchSpace, configs: list[dict[str, Any]], rows: list[dict[str, Any]], rng: np.random.Generator
) -> tuple[dict[int, tuple[float, list[tuple[int, int]], np.ndarray]], np.ndarray]:
    """Every configuration the main effects are averaged over, stacked: for each parameter
    ``j`` and each of its values, the ``rows`` where ``j`` applies with ``j`` set to it (and the
    parameters depending on ``j`` made consistent).  Returns, per parameter that varied, its
    share of applicable rows, the span of each value's block in the matrix and the values'
    weights, and the matrix."""
    donors = {p.name: [c[p.name] for c in configs if p.name in c] for p in space}
    dependents = {p.name for q in space if q.condition is not None for p in space if p.name in q.condition.names()}
    blocks: dict[int, tuple[float, list[tuple[int, int]], np.ndarray]] = {}
    parts: list[np.ndarray] = []
    start = 0
    for j, p in enumerate(space):
        applies = [r for r in rows if p.name in r]
        if not applies or len({repr(v) for v in donors[p.name]}) < 2:
            continue
        values, weights = _values(p, donors[p.name])
        spans = []
        for v in values:
            if p.name in dependents:
                block = _encode(space, [_rebuild(space, r, p.name, v, donors, rng) for r in applies])
            else:
                block = _encode(space, applies)
                block[:, j] = p.distribution.to_unit(v)
            parts.append(block)
            spans.append((start, start + len(block)))
            start += len(block)
        blocks[j] = (len(applies) / len(rows), spans, weights)
    return blocks, (np.vstack(parts) if parts else np.empty((0, len(space))))


def _rebuild(
    space: SearchSpace,
    config: dict[str, Any],
    name: str,
    value: Any,
    donors: dict[str, list[Any]],
    rng: np.random.Generator,
) -> dict[str, Any]:
    """``config`` with ``name`` set to ``value``: parameters that no longer apply dropped, and
    those that now apply given a value seen in the trials (drawn with ``rng``)."""
    out: dict[str, Any] = {}
    for p in space:
        if not space.is_active(p, out):
            continue
        if p.name == name:
            out[p.name] = value
        elif p.name in config:
            out[p.name] = config[p.name]
        elif donors[p.name]:
            out[p.name] = donors[p.name][int(rng.integers(len(donors[p.name])))]
    return out


def describe(result: Importance) -> str:
    """One line: ``x 0.62 ± 0.04, kind 0.21 ± 0.03 (main effects over 24 trials)``, with ``, 20
    of them pruned, at the value they had reached`` when pruned trials stood in."""
    if not result:
        return result.reason
    parts = [f"{name} {share:.2f} ± {result.spread[name]:.2f}" for name, share in result.shares.items()]
    pruned = f", {result.pruned} of them pruned, at the value they had reached" if result.pruned else ""
    return ", ".join(parts) + f" (main effects over {plural(result.trials, 'trial')}{pruned})"
