"""Plain data for the plots, computed from a result's trials (no matplotlib here).

Each function returns small dataclasses of lists/arrays, so the drawing code in
:mod:`hpmagic.display.plots` only draws, and tests can check the numbers directly.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from .._format import plural
from ..cell.report import FOLD
from ..core import Direction, Trial, TrialState
from ..errors import OptionError
from ..space import Choice, Int

if TYPE_CHECKING:
    from ..result import TuneResult
    from ..space import Parameter
    from .importance import Importance

__all__ = [
    "History",
    "Points",
    "Slice",
    "Parallel",
    "Curve",
    "Curves",
    "history",
    "ended",
    "best_so_far",
    "points",
    "reached",
    "slices",
    "importance",
    "parallel",
    "contour",
    "curves",
    "axis_kind",
    "axis_range",
    "category_label",
    "finite_range",
    "nice_ticks",
    "tick_label",
    "PARALLEL_INACTIVE",
    "HEAVY_PRUNING",
]

INACTIVE = "(inactive)"


@dataclass
class History:
    """Each completed trial's value and the best so far; the numbers of the trials that
    ended without a value, one array per state (failed, pruned, interrupted)."""

    numbers: np.ndarray  # trial numbers of completed trials, in order
    values: np.ndarray
    best: np.ndarray  # best value so far at each completed trial
    failed: np.ndarray  # trial numbers of failed trials
    baseline: float | None
    metric: str
    direction: Direction
    pruned: np.ndarray = field(default_factory=lambda: np.array([], dtype=int))
    interrupted: np.ndarray = field(default_factory=lambda: np.array([], dtype=int))

    def ended(self) -> dict[TrialState, np.ndarray]:
        """The trial numbers of each state without a value: failed, pruned, interrupted."""
        return {
            TrialState.FAILED: self.failed,
            TrialState.PRUNED: self.pruned,
            TrialState.INTERRUPTED: self.interrupted,
        }


def _ok(result: TuneResult) -> list[Trial]:
    return [t for t in result.trials if t.state is TrialState.COMPLETE and t.value is not None]


#: Pruned trials join the plots of the objective against the parameters (slices, parallel
#: coordinates, importance) when more than this share of the complete and pruned trials were pruned.
HEAVY_PRUNING = 0.5


@dataclass(frozen=True)
class Points:
    """The trials drawn against the parameters: the complete ones and, when most trials were
    pruned and what they reported is comparable with the objective, the pruned ones, each a
    copy whose ``value`` is the value it had reached (see :func:`points`).

    ``pruned`` counts those stand-ins; ``caption`` says what was drawn ("27 pruned trials shown
    at their last report") or why the pruned trials were left out; ``""`` when nothing is to say.
    """

    trials: list[Trial]
    pruned: int = 0
    caption: str = ""
    how: str = ""  # where a pruned trial is drawn: "at their last report", "at the mean of the folds they ran"


def reached(trial: Trial, folds: bool) -> float:
    """The value ``trial`` had reached by its last report: its last reported value, or the mean
    of the folds it ran when its reports are the folds of ``hpmagic.cross_val_score`` (whose
    objective is their mean)."""
    values = [v for _, v in trial.curve]
    return float(np.mean(values)) if folds else float(values[-1])


def _comparable(result: TuneResult) -> bool | None:
    """Whether the reports are the objective's own: every complete trial that reported ended on
    its objective (its last report, or the mean of its folds, equal to its value).  ``False``
    for a curve, ``True`` for the folds of ``hpmagic.cross_val_score``, ``None`` when they are
    not comparable (or no complete trial reported)."""
    reported = [t for t in result.trials if t.curve]
    kinds = {t.pruning.get("kind") for t in reported}
    folds = kinds == {FOLD}
    done = [t for t in _ok(result) if t.curve]
    if not done or (FOLD in kinds and not folds):
        return None
    same = all(math.isclose(reached(t, folds), float(t.value or 0.0), rel_tol=1e-6, abs_tol=1e-12) for t in done)
    return folds if same else None


def points(result: TuneResult) -> Points:
    """The trials the slices, parallel coordinates and importance draw (see :class:`Points`).

    The rule: when more than :data:`HEAVY_PRUNING` of the complete and pruned trials were
    pruned, the plots would show only the few that completed; so each pruned trial that
    reported is drawn at the value it had reached by its last report, provided the reports
    are the objective's own: every complete trial that reported ended on its objective (its
    last report equal to its value; for ``hpmagic.cross_val_score``, the mean of its folds).
    Otherwise (a cell that reports a loss and returns an accuracy, say) they are left out,
    and the caption says so.
    """
    done = _ok(result)
    pruned = [t for t in result.trials if t.state is TrialState.PRUNED]
    if not pruned or len(pruned) <= HEAVY_PRUNING * (len(done) + len(pruned)):
        return Points(done)
    folds = _comparable(result)
    if folds is None:
        return Points(
            done,
            caption=f"{plural(len(pruned), 'pruned trial')} left out: what the cell reported is not "
            f"the objective it returned, so the two cannot be compared",
        )
    stand = [dataclasses.replace(t, value=reached(t, folds)) for t in pruned if t.curve]
    stand = [t for t in stand if math.isfinite(float(t.value or 0.0))]
    how = "at the mean of the folds they ran" if folds else "at their last report"
    return Points(done + stand, len(stand), f"{plural(len(stand), 'pruned trial')} shown {how}" if stand else "", how)


def history(result: TuneResult) -> History:
    """Each completed trial's value and the best so far, in trial order."""
    done = sorted(_ok(result), key=lambda t: t.number)
    direction = Direction(result.direction)
    values = np.array([t.value for t in done], dtype=float)
    best = best_so_far(values, direction)
    others = ended(result.trials)
    base = result.baseline
    return History(
        numbers=np.array([t.number for t in done], dtype=int),
        values=values,
        best=best,
        failed=others[TrialState.FAILED],
        baseline=None if base is None else base.value,
        metric=result.metric,
        direction=direction,
        pruned=others[TrialState.PRUNED],
        interrupted=others[TrialState.INTERRUPTED],
    )


def ended(trials: Iterable[Trial]) -> dict[TrialState, np.ndarray]:
    """The numbers of the trials that ended without a value, by state (failed, pruned,
    interrupted), each in trial-number order; every one of the three states is a key."""
    out: dict[TrialState, list[int]] = {TrialState.FAILED: [], TrialState.PRUNED: [], TrialState.INTERRUPTED: []}
    for t in trials:
        if t.state in out:
            out[t.state].append(t.number)
    return {state: np.array(sorted(numbers), dtype=int) for state, numbers in out.items()}


def best_so_far(values: np.ndarray, direction: Direction) -> np.ndarray:
    """The best of ``values[:i + 1]`` at each ``i``."""
    if not len(values):
        return values
    return np.maximum.accumulate(values) if direction.maximize else np.minimum.accumulate(values)


def axis_kind(param: Parameter) -> str:
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
    pruned: np.ndarray = field(default_factory=lambda: np.array([], dtype=bool))  # per x: a pruned trial's stand-in
    inactive_pruned: np.ndarray = field(default_factory=lambda: np.array([], dtype=bool))  # per inactive_y
    bounds: tuple[float, float] | None = None  # numeric: the axis's range in data units (see axis_range)


def category_label(value: Any) -> str:
    """How a choice's option is labelled: strings bare, anything else as its literal."""
    return value if isinstance(value, str) else repr(value)


def slices(result: TuneResult, names: list[str] | None = None) -> list[Slice]:
    """One :class:`Slice` per parameter (all of them, or ``names`` in that order), over the
    trials of :func:`points` (the pruned ones among them marked in ``pruned``)."""
    done = points(result).trials
    params = [result.space[n] for n in names] if names else list(result.space)
    out = []
    for p in params:
        active = [t for t in done if p.name in t.params]
        inactive = [t for t in done if p.name not in t.params]
        x = [t.params[p.name] for t in active]
        s = _slice(
            p,
            x,
            np.array([t.value for t in active], dtype=float),
            inactive_y=np.array([t.value for t in inactive], dtype=float),
            conditional=p.condition is not None,
            integer=isinstance(p.distribution, Int),
            pruned=_is_pruned(active),
            inactive_pruned=_is_pruned(inactive),
        )
        if s.kind != "categorical":
            s.bounds = axis_range(p, x)
        out.append(s)
    return out


def _is_pruned(trials: list[Trial]) -> np.ndarray:
    return np.array([t.state is TrialState.PRUNED for t in trials], dtype=bool)


def axis_range(param: Parameter, values: Sequence[Any] = ()) -> tuple[float, float]:
    """A numeric parameter's axis in data units: its distribution's bounds (``low`` and
    ``high``), widened to any value outside them (a default may lie outside); the observed
    range where the distribution has no bounds (``normal``).  Never empty: one value gets
    a range around it (a factor of ten each way on a log axis)."""
    dist = param.distribution
    arr = np.array(values, dtype=float)
    low, high = getattr(dist, "low", None), getattr(dist, "high", None)
    lo, hi = (float(low), float(high)) if low is not None and high is not None else finite_range(arr)
    if len(arr) and np.isfinite(arr).all():
        lo, hi = min(lo, float(arr.min())), max(hi, float(arr.max()))
    if hi > lo:
        return lo, hi
    return (lo / 10, hi * 10) if dist.log and lo > 0 else (lo - 0.5, hi + 0.5)


def _slice(p: Parameter, x: list[Any], y: np.ndarray, **extra: Any) -> Slice:
    """A slice along ``p``, with its categories and each value's category index for a choice."""
    s = Slice(p.name, axis_kind(p), x, y, **extra)
    dist = p.distribution
    if isinstance(dist, Choice):
        s.categories = [category_label(o) for o in dist.options]
        s.codes = np.array([dist.index(v) for v in x], dtype=int)
    return s


def _encode(param: Parameter, values: list[Any]) -> np.ndarray:
    """Numbers on the parameter's natural axis: log10 for log scales, indices for choices."""
    dist = param.distribution
    if isinstance(dist, Choice):
        return np.array([dist.index(v) for v in values], dtype=float)
    arr = np.array(values, dtype=float)
    return np.log10(np.maximum(arr, 1e-300)) if dist.log else arr


def importance(result: TuneResult) -> Importance:
    """Each parameter's share of the objective's variance, with its spread: the functional
    ANOVA of :mod:`.importance` over the trials of :func:`points` (``reason`` says why it is
    empty, ``pruned`` how many pruned trials stood in)."""
    from .importance import cached as fanova  # one fit for the importance plot and the response plot

    return fanova(result.space, points(result).trials)


#: Where a parallel-coordinates line crosses the axis of a parameter that did not apply: below
#: the axis's range, next to an "inactive" tick, so the line goes on to the next parameter.
PARALLEL_INACTIVE = -0.2


@dataclass
class Parallel:
    """Every completed trial as a polyline over one axis per parameter, each scaled to [0, 1];
    where a conditional parameter was inactive the line passes at :data:`PARALLEL_INACTIVE`."""

    names: list[str]
    coords: np.ndarray  # (trials, parameters); PARALLEL_INACTIVE where a parameter was inactive
    values: np.ndarray
    ticks: list[tuple[list[float], list[str]]]  # per axis: positions and labels
    best_row: int | None
    inactive: list[bool] = field(default_factory=list)  # per axis: some trial passes at "inactive"
    pruned: np.ndarray = field(default_factory=lambda: np.array([], dtype=bool))  # per row: a pruned trial's stand-in


def _bounds(param: Parameter, values: list[Any]) -> tuple[float, float]:
    """An axis's range on the natural scale (log10 for log parameters): see :func:`axis_range`."""
    lo, hi = axis_range(param, values)
    return (float(np.log10(lo)), float(np.log10(hi))) if param.distribution.log else (lo, hi)


def nice_ticks(lo: float, hi: float, log: bool = False, integer: bool = False, most: int = 6) -> list[float]:
    """Round tick values between ``lo`` and ``hi`` (data units): multiples of 1, 2 or 5 times a
    power of ten, at most ``most`` of them; whole numbers only when ``integer``; on a log scale
    1-2-5 steps within each decade (1 only, when that is too many).  Never fewer than two, but
    on an integer axis narrower than one step, the whole numbers within it."""
    lo, hi = lo - abs(lo) * 1e-9, hi + abs(hi) * 1e-9  # bounds that went through log10 and back
    if log:
        k0, k1 = int(np.floor(np.log10(lo))), int(np.ceil(np.log10(hi)))
        for mantissas in (
            (1, 2, 5),
            (1,),
        ):
            ticks = [m * 10.0**k for k in range(k0, k1 + 1) for m in mantissas if lo <= m * 10.0**k <= hi]
            if integer:
                ticks = sorted({float(round(t)) for t in ticks if t >= 1})
            if 2 <= len(ticks) <= most:
                return ticks
        if len(ticks) > most:
            return ticks[:: -(-len(ticks) // most)]
        return sorted({float(round(v)) if integer else float(f"{v:.3g}") for v in (lo, hi)})
    span = hi - lo
    for step in sorted(
        m * 10.0**k
        for k in range(int(np.floor(np.log10(span / most))) - 1, int(np.ceil(np.log10(span))) + 1)
        for m in (1, 2, 5)
    ):
        if integer and step < 1:
            continue
        ticks = [float(v) for v in np.arange(np.ceil(lo / step) * step, hi + step * 1e-9, step)]
        if len(ticks) <= most:
            return [round(t, 12) for t in ticks] if len(ticks) >= 2 else _ends(lo, hi, integer)
    return _ends(lo, hi, integer)


def _ends(lo: float, hi: float, integer: bool) -> list[float]:
    """Ticks for a range too narrow for round steps: its ends, or the whole numbers in it (the
    middle one rounded when it holds none): never a fraction on an integer axis."""
    if not integer:
        return [lo, hi]
    return [float(v) for v in range(math.ceil(lo), math.floor(hi) + 1)] or [float(round((lo + hi) / 2))]


def tick_label(value: float, integer: bool = False) -> str:
    """A tick's label: ``20``, ``1000``, ``0.001``, ``2.5e+05``; at most four significant digits,
    written out between 1e-4 and 1e5."""
    if integer:
        return f"{int(round(value))}"
    return f"{value:.4g}" if value == 0 or 1e-4 <= abs(value) < 1e5 else f"{value:.3g}"


def parallel(result: TuneResult) -> Parallel:
    """The coordinates of the trials of :func:`points` on one [0, 1] axis per parameter (each
    numeric one spanning :func:`axis_range`), with tick labels."""
    done = points(result).trials
    params = list(result.space)
    coords = np.full((len(done), len(params)), PARALLEL_INACTIVE)
    ticks, inactive = [], []
    for j, p in enumerate(params):
        idx = [i for i, t in enumerate(done) if p.name in t.params]
        inactive.append(len(idx) < len(done))
        dist = p.distribution
        if isinstance(dist, Choice):
            n = len(dist.options)
            ticks.append(([(i + 0.5) / n for i in range(n)], [category_label(o) for o in dist.options]))
            for i in idx:
                coords[i, j] = (dist.index(done[i].params[p.name]) + 0.5) / n
            continue
        observed = [done[i].params[p.name] for i in idx]
        enc = _encode(p, observed) if idx else np.array([])
        lo, hi = _bounds(p, observed)
        coords[idx, j] = (enc - lo) / (hi - lo)
        integer = isinstance(dist, Int)
        natural = (
            nice_ticks(10**lo, 10**hi, log=True, integer=integer) if dist.log else nice_ticks(lo, hi, integer=integer)
        )
        pos = [((np.log10(v) if dist.log else v) - lo) / (hi - lo) for v in natural]
        ticks.append((pos, [tick_label(v, integer) for v in natural]))
    values = np.array([t.value for t in done], dtype=float)
    best = result.best_trial
    best_row = next((i for i, t in enumerate(done) if best is not None and t.number == best.number), None)
    return Parallel([p.name for p in params], coords, values, ticks, best_row, inactive, _is_pruned(done))


def contour(result: TuneResult, x: str, y: str) -> tuple[Slice, Slice, np.ndarray]:
    """The trials where both ``x`` and ``y`` were active: their slices along each, and values."""
    for name in (x, y):
        if name not in result.space.names:
            raise OptionError(f"{name!r} is not a tuned parameter; the parameters are {', '.join(result.space.names)}")
    done = [t for t in _ok(result) if x in t.params and y in t.params]
    values = np.array([t.value for t in done], dtype=float)
    sx, sy = (
        _slice(
            result.space[name],
            [t.params[name] for t in done],
            values,
            integer=isinstance(result.space[name].distribution, Int),
        )
        for name in (x, y)
    )
    return sx, sy, values


def finite_range(values: np.ndarray) -> tuple[float, float]:
    """The smallest and largest of ``values``; ``(0, 1)`` when empty or not finite."""
    if not len(values):
        return 0.0, 1.0
    lo, hi = float(np.min(values)), float(np.max(values))
    if not (math.isfinite(lo) and math.isfinite(hi)):
        return 0.0, 1.0
    return lo, hi


# -- learning curves -------------------------------------------------------------------------


@dataclass
class Curve:
    """One trial's learning curve: the steps and values it reported, and how it ended."""

    number: int
    state: TrialState
    steps: np.ndarray
    values: np.ndarray


@dataclass
class Curves:
    """Every learning curve of a search, and what the plot marks on them.

    ``kind`` is ``"fold"`` when the points are the folds of ``hpmagic.cross_val_score``
    (then the x axis is the fold), ``"curve"`` otherwise; ``rungs`` the steps at which the
    early-stopping rule decided (those any trial reached), empty when it had none; ``best``
    the number of the best trial, when it has a curve.  ``running`` holds the curves of the
    trials still running (the live panel), state ``running``.
    """

    lines: list[Curve]
    kind: str
    rungs: list[float]
    best: int | None
    running: list[Curve] = field(default_factory=list)


def _curve(number: int, state: TrialState, points: Sequence[tuple[float, float]]) -> Curve:
    return Curve(
        number, state, np.array([p[0] for p in points], dtype=float), np.array([p[1] for p in points], dtype=float)
    )


def curves(
    trials: Iterable[Trial],
    direction: Direction | str,
    running: Mapping[int, Sequence[tuple[float, float]]] | None = None,
) -> Curves:
    """The curves of every finished trial that reported points (in trial-number order), the
    rungs they reached, the kind of their points and the best trial (see :class:`Curves`).

    ``running`` maps the numbers of running trials to the points they reported so far.
    """
    done = sorted((t for t in trials if t.state.finished), key=lambda t: t.number)
    lines = [_curve(t.number, t.state, t.curve) for t in done if t.curve]
    kinds = {t.pruning.get("kind") for t in done if t.curve}
    rungs = sorted({float(r[0]) for t in done for r in t.pruning.get("rungs", ()) if r})
    best = Direction(direction).best(done)
    live = [_curve(n, TrialState.RUNNING, pts) for n, pts in sorted((running or {}).items()) if pts]
    return Curves(
        lines,
        FOLD if kinds == {FOLD} else "curve",
        rungs,
        best.number if best is not None and best.curve else None,
        live,
    )
