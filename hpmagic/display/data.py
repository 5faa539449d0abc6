"""Plain data for the plots, computed from a result's trials (no matplotlib here).

Each function returns small dataclasses of lists/arrays, so the drawing code in
:mod:`hpmagic.display.plots` only draws, and tests can check the numbers directly.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..result import TrialState

__all__ = ["History", "Slice", "Parallel", "history", "slices", "importance", "parallel", "contour", "axis_kind"]

INACTIVE = "(inactive)"


@dataclass
class History:
    numbers: np.ndarray  # trial numbers of completed trials, in order
    values: np.ndarray
    best: np.ndarray  # best value so far at each completed trial
    failed: np.ndarray  # trial numbers of failed, pruned or interrupted trials
    baseline: float | None
    metric: str
    direction: str


def _ok(result) -> list:
    return [t for t in result.trials if t.state is TrialState.COMPLETE and t.value is not None]


def history(result) -> History:
    """Each completed trial's value and the best so far, in trial order."""
    done = sorted(_ok(result), key=lambda t: t.number)
    values = np.array([t.value for t in done], dtype=float)
    if len(values):
        best = np.maximum.accumulate(values) if result.maximize else np.minimum.accumulate(values)
    else:
        best = values
    failed = np.array([t.number for t in result.trials if t.state.finished and t.state is not TrialState.COMPLETE], dtype=int)
    base = result.baseline
    return History(
        numbers=np.array([t.number for t in done], dtype=int),
        values=values,
        best=best,
        failed=failed,
        baseline=None if base is None else base.value,
        metric=result.metric,
        direction=result.direction,
    )


def axis_kind(param) -> str:
    """How a parameter is drawn: ``"log"``, ``"linear"`` or ``"categorical"``."""
    dist = param.distribution
    if not dist.numeric:
        return "categorical"
    return "log" if dist.log else "linear"


@dataclass
class Slice:
    """The objective against one parameter."""

    name: str
    kind: str  # log, linear, categorical
    x: list[Any]  # the parameter's value in trials where it was active
    y: np.ndarray
    categories: list[str] = field(default_factory=list)  # labels, for categorical
    codes: np.ndarray | None = None  # category index of each x, for categorical
    inactive_y: np.ndarray = field(default_factory=lambda: np.array([]))  # trials where it was inactive
    conditional: bool = False
    integer: bool = False  # int and logint parameters: whole-number ticks


def _label(value: Any) -> str:
    return value if isinstance(value, str) else repr(value)


def slices(result, names: list[str] | None = None) -> list[Slice]:
    """One :class:`Slice` per parameter (all of them, or ``names`` in that order)."""
    done = _ok(result)
    params = [result.space[n] for n in names] if names else list(result.space)
    out = []
    for p in params:
        active = [t for t in done if p.name in t.params]
        inactive = np.array([t.value for t in done if p.name not in t.params], dtype=float)
        x = [t.params[p.name] for t in active]
        y = np.array([t.value for t in active], dtype=float)
        s = Slice(p.name, axis_kind(p), x, y, inactive_y=inactive, conditional=p.condition is not None,
                  integer=p.distribution.kind in ("int", "logint"))
        if s.kind == "categorical":
            options = list(p.distribution.options)
            s.categories = [_label(o) for o in options]
            s.codes = np.array([p.distribution.index(v) for v in x], dtype=int)
        out.append(s)
    return out


def _encode(param, values: list[Any]) -> np.ndarray:
    """Numbers on the parameter's natural axis: log10 for log scales, indices for choices."""
    kind = axis_kind(param)
    if kind == "categorical":
        return np.array([param.distribution.index(v) for v in values], dtype=float)
    arr = np.array(values, dtype=float)
    return np.log10(np.maximum(arr, 1e-300)) if kind == "log" else arr


def _groups(param, trials: list, bins: int) -> np.ndarray:
    """A group label per trial: the category, a quantile bin, or -1 where the parameter was inactive."""
    labels = np.full(len(trials), -1, dtype=int)
    idx = [i for i, t in enumerate(trials) if param.name in t.params]
    if not idx:
        return labels
    enc = _encode(param, [trials[i].params[param.name] for i in idx])
    if axis_kind(param) == "categorical" or len(np.unique(enc)) <= bins:
        _, codes = np.unique(enc, return_inverse=True)
    else:
        edges = np.unique(np.quantile(enc, np.linspace(0, 1, bins + 1)[1:-1]))
        codes = np.searchsorted(edges, enc, side="right")
    labels[idx] = codes
    return labels


def importance(result) -> dict[str, float]:
    """How much of the objective's variance each parameter explains on its own.

    Each parameter's values are grouped (a group per category, up to ten quantile bins for
    numbers, and one group for the trials where a conditional parameter was inactive) and the
    share of the objective's variance between the groups is measured with the
    epsilon-squared estimate, which corrects for the variance that groups of a few random
    trials would explain by chance.  The shares are normalised to sum to one.  This is a
    main-effect measure in the spirit of fANOVA: interactions are not credited.  Returns
    ``{}`` when fewer than 4 trials completed or the objective never varied.
    """
    done = _ok(result)
    y = np.array([t.value for t in done], dtype=float)
    if len(y) < 4 or not np.ptp(y) > 0:
        return {}
    total = float(((y - y.mean()) ** 2).sum())
    bins = int(min(10, max(2, len(y) // 5)))
    raw: dict[str, float] = {}
    for p in result.space:
        groups = _groups(p, done, bins)
        labels = np.unique(groups)
        k, n = len(labels), len(y)
        if k < 2:
            raw[p.name] = 0.0
            continue
        between = sum(((y[groups == g].mean() - y.mean()) ** 2) * (groups == g).sum() for g in labels)
        within = total - between
        ms_within = within / (n - k) if n > k else 0.0
        raw[p.name] = max(0.0, (between - (k - 1) * ms_within) / (total + ms_within))
    s = sum(raw.values())
    if s <= 0:
        return {name: 0.0 for name in raw}
    return {name: float(v / s) for name, v in sorted(raw.items(), key=lambda kv: -kv[1])}


@dataclass
class Parallel:
    """Every completed trial as a polyline over one axis per parameter, each scaled to [0, 1]."""

    names: list[str]
    coords: np.ndarray  # (trials, parameters); NaN where a parameter was inactive
    values: np.ndarray
    ticks: list[tuple[list[float], list[str]]]  # per axis: positions and labels
    best_row: int | None


def _fmt_tick(value: float) -> str:
    return f"{value:.3g}"


def parallel(result) -> Parallel:
    done = _ok(result)
    params = list(result.space)
    coords = np.full((len(done), len(params)), np.nan)
    ticks = []
    for j, p in enumerate(params):
        idx = [i for i, t in enumerate(done) if p.name in t.params]
        kind = axis_kind(p)
        if kind == "categorical":
            n = len(p.distribution.options)
            pos = [(i + 0.5) / n for i in range(n)]
            ticks.append((pos, [_label(o) for o in p.distribution.options]))
            for i in idx:
                coords[i, j] = (p.distribution.index(done[i].params[p.name]) + 0.5) / n
            continue
        enc = _encode(p, [done[i].params[p.name] for i in idx]) if idx else np.array([])
        lo, hi = (float(enc.min()), float(enc.max())) if len(enc) else (0.0, 1.0)
        span = hi - lo if hi > lo else 1.0
        coords[idx, j] = (enc - lo) / span if len(enc) else []
        tick_enc = [lo, lo + span / 2, lo + span] if hi > lo else [lo]
        labels = [_fmt_tick(10**v if kind == "log" else v) for v in tick_enc]
        ticks.append(([(v - lo) / span for v in tick_enc], labels))
    values = np.array([t.value for t in done], dtype=float)
    best = result.best_trial
    best_row = next((i for i, t in enumerate(done) if best is not None and t.number == best.number), None)
    return Parallel([p.name for p in params], coords, values, ticks, best_row)


def contour(result, x: str, y: str) -> tuple[Slice, Slice, np.ndarray]:
    """The trials where both ``x`` and ``y`` were active: their slices along each, and values."""
    for name in (x, y):
        if name not in result.space.names:
            raise ValueError(f"{name!r} is not a tuned parameter; the parameters are {', '.join(result.space.names)}")
    done = [t for t in _ok(result) if x in t.params and y in t.params]
    values = np.array([t.value for t in done], dtype=float)
    out = []
    for name in (x, y):
        p = result.space[name]
        s = Slice(name, axis_kind(p), [t.params[name] for t in done], values)
        if s.kind == "categorical":
            s.categories = [_label(o) for o in p.distribution.options]
            s.codes = np.array([p.distribution.index(v) for v in s.x], dtype=int)
        out.append(s)
    return out[0], out[1], values


def finite_range(values: np.ndarray) -> tuple[float, float]:
    if not len(values):
        return 0.0, 1.0
    lo, hi = float(np.min(values)), float(np.max(values))
    if not (math.isfinite(lo) and math.isfinite(hi)):
        return 0.0, 1.0
    return lo, hi
