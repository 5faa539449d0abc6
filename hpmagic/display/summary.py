"""The facts of a result's summary, computed once.

:func:`summarize` reads a :class:`~hpmagic.result.TuneResult` and returns a
:class:`Summary`: plain strings and numbers, already formatted.  The text summary
(:mod:`.text`, ``repr(result)``) and the HTML summary (:mod:`.html`, ``_repr_html_``)
both render it, so they can differ in layout but never in what they say.

The result is duck-typed (anything with a ``TuneResult``'s fields and queries will do), so
this module does not import :mod:`hpmagic.result`, which imports the display lazily.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import TYPE_CHECKING

from .._format import fmt_params, fmt_seconds, fmt_value, plural
from ..cell.report import FOLD
from ..core import Direction, StopReason, Trial, TrialState

if TYPE_CHECKING:
    from ..result import TuneResult

__all__ = ["Verdict", "Headline", "ParamRow", "TopRow", "Failure", "Pruning", "Summary", "summarize", "stop_text",
           "resource_saved", "TOP_TRIALS"]

#: How many of the best trials the summary lists (the text summary shows the first five).
TOP_TRIALS = 10

#: Where a conditional parameter did not apply: the best-parameters table, and a top trial's cell.
INACTIVE_VALUE = "(inactive)"
INACTIVE_CELL = "–"


class Verdict(StrEnum):
    """How the best trial compares with the defaults (trial 0)."""

    BETTER = "better"
    TIED = "the defaults were best"
    WORSE = "worse"
    DEFAULTS_FAILED = "the defaults failed"


@dataclass(frozen=True)
class Headline:
    """``best accuracy 0.97 (trial 12) vs defaults 0.95: +0.02 better``, as parts.

    ``best`` is ``None`` when no trial completed; ``verdict`` is ``None`` without a
    baseline.  ``baseline`` and ``gain`` are set when the defaults produced a value,
    ``baseline_state`` (trial 0's state) when they did not.
    """

    metric: str
    best: str | None = None
    trial: int | None = None
    baseline: str | None = None
    gain: str = ""
    verdict: Verdict | None = None
    baseline_state: str = ""


@dataclass(frozen=True)
class ParamRow:
    """One tuned parameter: its best value, its default, its search space and how strategies
    treat it (``treatment``: ``6 values, ordinal, log scale``, ``5 choices, categorical``)."""

    name: str
    best: str
    default: str
    space: str
    treatment: str = ""


@dataclass(frozen=True)
class TopRow:
    """One of the best trials: ``cells`` holds each parameter's value, in the space's order;
    ``last_step`` the last step (or fold) it reported with ``hpmagic.report``, ``""`` if none."""

    number: int
    value: str
    duration: str
    params: str
    cells: tuple[str, ...]
    last_step: str = ""


@dataclass(frozen=True)
class Pruning:
    """What early stopping did: ``stopped`` of the ``trials`` that count (complete, failed,
    pruned) were pruned, and ``saved`` (``"51%"``, or ``""`` when it cannot be told) of the
    ``unit`` (``"steps"``, or ``"folds"`` for ``hpmagic.cross_val_score``) were not run.
    ``text`` says it in one line."""

    stopped: int
    trials: int
    unit: str
    saved: str
    text: str


@dataclass(frozen=True)
class Failure:
    """The first failed trial: its full traceback and the traceback's last line."""

    number: int
    params: str
    error: str
    last_line: str


@dataclass(frozen=True)
class Summary:
    """Everything a summary says about a search, formatted once."""

    headline: Headline
    direction: str
    metric: str
    trials: int
    counts: str  # "24 complete, 1 failed", or "none"
    elapsed: str
    strategy: str  # the name, "" when unknown
    strategy_detail: str  # " (seed 3): why it was picked", or ""
    stopped: str
    error: str
    notes: tuple[str, ...]
    best_params: str | None  # ``C=10, kernel='rbf'``; None when no trial completed
    param_names: tuple[str, ...]
    param_rows: tuple[ParamRow, ...]  # empty when no trial completed
    top: tuple[TopRow, ...]
    failure: Failure | None
    state_counts: tuple[tuple[str, int], ...] = ()  # (state, count) of each state that occurred, in TrialState's order
    pruned: int = 0  # how many trials early stopping stopped
    pruning: Pruning | None = None  # with --prune and a cell that reported; None otherwise
    step_name: str = "step"  # what a curve's x is: "step", or "fold" for hpmagic.cross_val_score


def stop_text(reason: str) -> str:
    """What a stop reason means to the user (an unknown reason is shown as it is)."""
    try:
        return StopReason(reason).text
    except ValueError:
        return str(reason)


def summarize(result: TuneResult, top: int = TOP_TRIALS) -> Summary:
    """The facts of ``result``'s summary, for :mod:`.text` and :mod:`.html` to render."""
    best = result.best_trial
    detail = f" (seed {result.seed})" if result.seed is not None else ""
    if result.strategy_reason:
        detail += f": {result.strategy_reason}"
    counts = tuple((state, n) for state, n in result.counts().items() if n)
    kinds = {t.pruning.get("kind") for t in result.trials if t.curve}
    folds = kinds == {FOLD}  # every reported point a fold of hpmagic.cross_val_score
    return Summary(
        headline=_headline(result, best),
        direction=str(Direction(result.direction)),
        metric=result.metric,
        trials=len(result.trials),
        counts=", ".join(f"{n} {state}" for state, n in counts) or "none",
        elapsed=fmt_seconds(result.elapsed),
        strategy=result.strategy,
        strategy_detail=detail,
        stopped=stop_text(result.stop_reason),
        error=result.error,
        notes=tuple(result.notes),
        best_params=None if best is None else fmt_params(best.params),
        param_names=tuple(result.space.names),
        param_rows=_param_rows(result, best),
        top=tuple(_top_row(t, result.space.names) for t in result.top(top)),
        failure=_failure(result.trials),
        state_counts=counts,
        pruned=sum(1 for t in result.trials if t.state is TrialState.PRUNED),
        pruning=_pruning(result.trials, "folds" if folds else "steps"),
        step_name="fold" if folds else "step",
    )


def _headline(result: TuneResult, best: Trial | None) -> Headline:
    if best is None:
        return Headline(result.metric)
    found = Headline(result.metric, best=fmt_value(best.value), trial=best.number)
    base, gain = result.baseline, result.gain()
    if base is None:
        return found
    if base.value is None or gain is None:
        return replace(found, verdict=Verdict.DEFAULTS_FAILED, baseline_state=str(base.state))
    verdict = Verdict.BETTER if gain > 0 else (Verdict.TIED if gain == 0 else Verdict.WORSE)
    sign = "+" if gain >= 0 else "-"
    return replace(found, baseline=fmt_value(base.value), gain=f"{sign}{fmt_value(abs(gain))}", verdict=verdict)


def _param_rows(result: TuneResult, best: Trial | None) -> tuple[ParamRow, ...]:
    if best is None:
        return ()
    base = result.baseline
    rows = []
    for p in result.space:
        value = fmt_value(best.params[p.name]) if p.name in best.params else INACTIVE_VALUE
        default = base.params[p.name] if base is not None and p.name in base.params else p.default
        rows.append(ParamRow(p.name, value, fmt_value(default), p.describe(), p.treatment()))
    return tuple(rows)


def _top_row(trial: Trial, names: list[str]) -> TopRow:
    cells = tuple(fmt_value(trial.params[n]) if n in trial.params else INACTIVE_CELL for n in names)
    last = fmt_value(_whole(trial.curve[-1][0])) if trial.curve else ""
    return TopRow(trial.number, fmt_value(trial.value), fmt_seconds(trial.duration), fmt_params(trial.params), cells, last)


def _whole(step: float) -> float | int:
    """A step as it was most likely written: ``27`` rather than ``27.0``."""
    return int(step) if float(step).is_integer() else step


def resource_saved(trials: Iterable[Trial]) -> float | None:
    """The share of the resource (steps, folds) early stopping saved over ``trials``: each
    trial's last step against the full one, the largest last step of a trial that was not
    pruned (a trial without a curve counts as a full one); ``None`` without such a trial.
    """
    trials = list(trials)
    full = max((t.curve[-1][0] for t in trials if t.curve and t.state is not TrialState.PRUNED), default=None)
    if not full or not trials:
        return None
    used = sum(min(t.curve[-1][0], full) if t.curve else full for t in trials)
    return max(0.0, 1.0 - used / (full * len(trials)))


def _pruning(trials: tuple[Trial, ...], unit: str) -> Pruning | None:
    """What early stopping did, when it was on (a trial was pruned, or has a bracket or rungs)
    and the cell reported points; ``None`` otherwise (the pruning note then says why)."""
    on = any(t.state is TrialState.PRUNED or "bracket" in t.pruning or "rungs" in t.pruning for t in trials)
    if not on or not any(t.curve for t in trials):
        return None
    counted = [t for t in trials if t.state.counted]
    stopped = sum(1 for t in counted if t.state is TrialState.PRUNED)
    share = resource_saved(counted)
    saved = "" if share is None else f"{round(100 * share)}%"
    text = f"{stopped} of {plural(len(counted), 'trial')} stopped early"
    if saved:
        text += f"; {saved} of the {unit} were not run"
    return Pruning(stopped, len(counted), unit, saved, text)


def _failure(trials: tuple[Trial, ...]) -> Failure | None:
    first = next((t for t in trials if t.state is TrialState.FAILED), None)
    if first is None:
        return None
    last = first.error.strip().splitlines()[-1] if first.error.strip() else "unknown error"
    return Failure(first.number, fmt_params(first.params), first.error, last)
