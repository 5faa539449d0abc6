"""The rows of a summary's tables, formatted once: the best parameters against their defaults
(:class:`ParamRow`), the best trials (:class:`TopRow`) and every trial (:class:`TrialRow`).

:func:`.summary.summarize` builds them with :func:`param_rows`, :func:`top_rows` and
:func:`trial_rows`; :mod:`.text` and :mod:`.html` lay them out.  A table's column of values has
enough digits to tell its values apart; a conditional parameter that did not apply reads
:data:`INACTIVE_VALUE` or :data:`INACTIVE_CELL`.  The result is duck-typed, as in :mod:`.summary`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .._format import fmt_column, fmt_params, fmt_seconds, fmt_value

if TYPE_CHECKING:
    from ..core import Trial
    from ..result import TuneResult

__all__ = [
    "ParamRow",
    "TopRow",
    "TrialRow",
    "param_rows",
    "top_rows",
    "trial_rows",
    "spread_text",
    "INACTIVE_VALUE",
    "INACTIVE_CELL",
]

#: Where a conditional parameter did not apply: the best-parameters table, and a top trial's cell.
INACTIVE_VALUE = "(inactive)"
INACTIVE_CELL = "–"


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
    spread: str = ""  # the fold spread of its value, "" without folds
    close: bool = False  # statistically indistinguishable from the best (see TuneResult.indistinguishable)
    metrics: tuple[str, ...] = ()  # its other metrics, in Summary.metric_names' order ("" where missing)


@dataclass(frozen=True)
class TrialRow:
    """One trial of the full table: its number, state, value and spread, duration, each
    parameter's value, its other metrics, its warning count and the last line of its error."""

    number: int
    state: str
    value: str
    spread: str
    duration: str
    cells: tuple[str, ...]
    metrics: tuple[str, ...]
    warnings: int
    error: str


def spread_text(result: TuneResult, trial: Trial) -> str:
    """The fold spread of ``trial``'s value (its standard deviation), ``""`` without folds."""
    found = result.spread(trial)
    return "" if found is None else fmt_value(found[0])


def param_rows(result: TuneResult, best: Trial | None) -> tuple[ParamRow, ...]:
    """Each parameter's best value against its default (empty when no trial completed)."""
    if best is None:
        return ()
    base = result.baseline
    rows = []
    for p in result.space:
        value = fmt_value(best.params[p.name]) if p.name in best.params else INACTIVE_VALUE
        default = base.params[p.name] if base is not None and p.name in base.params else p.default
        rows.append(ParamRow(p.name, value, fmt_value(default), p.describe(), p.treatment()))
    return tuple(rows)


def _cells(trial: Trial, names: list[str]) -> tuple[str, ...]:
    return tuple(fmt_value(trial.params[n]) if n in trial.params else INACTIVE_CELL for n in names)


def _metrics(trial: Trial, names: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(fmt_value(trial.metrics[n]) if n in trial.metrics else "" for n in names)


def _values(trials: Iterable[Trial]) -> list[str]:
    """The objective's column of a table: enough digits to tell its different values apart
    (:func:`~hpmagic._format.fmt_column`), ``""`` where a trial has no value."""
    trials = list(trials)
    texts = iter(fmt_column([t.value for t in trials if t.value is not None]))
    return [next(texts) if t.value is not None else "" for t in trials]


def top_rows(result: TuneResult, trials: Iterable[Trial], extra: tuple[str, ...]) -> tuple[TopRow, ...]:
    """The rows of the best ``trials``, with the other metrics ``extra``."""
    trials = list(trials)
    return tuple(_top_row(result, t, extra, value) for t, value in zip(trials, _values(trials)))


def _top_row(result: TuneResult, trial: Trial, extra: tuple[str, ...], value: str | None = None) -> TopRow:
    """One of the best trials; ``value`` is its value as its column writes it (:func:`_values`)."""
    last = fmt_value(_whole(trial.curve[-1][0])) if trial.curve else ""
    return TopRow(
        trial.number,
        fmt_value(trial.value) if value is None else value,
        fmt_seconds(trial.duration),
        fmt_params(trial.params),
        _cells(trial, result.space.names),
        last,
        spread=spread_text(result, trial),
        close=result.indistinguishable(trial),
        metrics=_metrics(trial, extra),
    )


def trial_rows(result: TuneResult, trials: Iterable[Trial], extra: tuple[str, ...]) -> tuple[TrialRow, ...]:
    """The rows of the full table for ``trials``, with the other metrics ``extra``."""
    trials = list(trials)
    return tuple(_trial_row(result, t, extra, value) for t, value in zip(trials, _values(trials)))


def _trial_row(result: TuneResult, trial: Trial, extra: tuple[str, ...], value: str | None = None) -> TrialRow:
    """One trial of the full table; ``value`` is its value as its column writes it (:func:`_values`)."""
    error = trial.error.strip().splitlines()[-1] if trial.error.strip() else ""
    if value is None:
        value = "" if trial.value is None else fmt_value(trial.value)
    return TrialRow(
        trial.number,
        trial.state.value,
        value,
        spread_text(result, trial),
        fmt_seconds(trial.duration),
        _cells(trial, result.space.names),
        _metrics(trial, extra),
        len(trial.warnings),
        error,
    )


def _whole(step: float) -> float | int:
    """A step as it was most likely written: ``27`` rather than ``27.0``."""
    return int(step) if float(step).is_integer() else step
