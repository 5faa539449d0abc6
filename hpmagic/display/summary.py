"""The facts of a result's summary, computed once.

:func:`summarize` reads a :class:`~hpmagic.result.TuneResult` and returns a
:class:`Summary`: plain strings and numbers, already formatted.  The text summary
(:mod:`.text`, ``repr(result)``) and the HTML summary (:mod:`.html`, ``_repr_html_``)
both render it, so they can differ in layout but never in what they say.  Both put what a
newcomer needs first (the headline, the counts, the best parameters against the defaults) and
the reasoning after it (the strategy's reason, the early-stopping rule, which
:func:`summarize` takes out of the notes into :attr:`Summary.rule`, the best estimate); the
words are for users: no repository paths, no statistics without a plain sentence.

The result is duck-typed (anything with a ``TuneResult``'s fields and queries will do), so
this module does not import :mod:`hpmagic.result`, which imports the display lazily.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import TYPE_CHECKING

from .._format import fmt_column, fmt_params, fmt_seconds, fmt_value, plural
from ..cell.report import FOLD
from ..core import Direction, StopReason, Trial, TrialState
from .front import FrontSection, front_section
from .rows import (  # the tables' rows; re-exported here, where they were first
    ParamRow,
    TopRow,
    TrialRow,
    param_rows,
    spread_text,
    top_rows,
    trial_rows,
)
from .timeline import busy_text
from .trialcard import Card, cards_for

if TYPE_CHECKING:
    from ..result import TuneResult

__all__ = [
    "Verdict",
    "Headline",
    "ParamRow",
    "TopRow",
    "TrialRow",
    "Failure",
    "Pruning",
    "Summary",
    "summarize",
    "stop_text",
    "resource_saved",
    "strategy_detail",
    "warning_counts",
    "TOP_TRIALS",
    "ALL_TRIALS",
]

#: How many of the best trials the summary lists (the text summary shows the first five).
TOP_TRIALS = 10
#: How many trials the HTML summary's full table holds at most (``to_dataframe()`` has all).
ALL_TRIALS = 1000


class Verdict(StrEnum):
    """How the best trial compares with the defaults (trial 0)."""

    BETTER = "better"
    NOISE = "not clearly better"  # a gain within the fold noise: the one verdict the headline and the tables share
    TIED = "the defaults were best"
    WORSE = "worse"
    DEFAULTS_FAILED = "the defaults failed"


@dataclass(frozen=True)
class Headline:
    """``best accuracy 0.97 (trial 12) vs defaults 0.95: +0.02 better (0.95 -> 0.97, higher is
    better)``, as parts.

    ``best`` is ``None`` when no trial completed; ``verdict`` is ``None`` without a
    baseline.  ``baseline``, ``gain`` and ``change`` (``"0.95 -> 0.97"``) are set when the
    defaults produced a value, ``baseline_state`` (trial 0's state) when they did not.
    ``better`` says which way is better; ``reason`` why the search went that way
    (``"maximizing: the cell returns cross_val_score fold scores (higher is better); --minimize
    to override"``, empty for a result that does not say).  ``noise`` says why a gain is
    :attr:`Verdict.NOISE`.
    """

    metric: str
    best: str | None = None
    trial: int | None = None
    baseline: str | None = None
    gain: str = ""
    verdict: Verdict | None = None
    baseline_state: str = ""
    spread: str = ""  # the best trial's fold spread (standard deviation), "" without folds
    noise: str = ""  # "within the fold spread 0.012" when the gain is no larger than the spread
    change: str = ""  # "0.95 -> 0.97": the defaults' value, then the best
    better: str = ""  # "higher is better" or "lower is better"
    reason: str = ""  # why this direction

    @property
    def said_change(self) -> str:
        """``0.95 -> 0.97, higher is better``; only which way is better when the defaults were
        best or did not produce a value."""
        if self.change and self.verdict not in (Verdict.TIED, Verdict.DEFAULTS_FAILED, None):
            return f"{self.change}, {self.better}"
        return self.better


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
    metric_names: tuple[str, ...] = ()  # the other metrics the objective carried (a dict's other keys)
    warnings: str = ""  # "12 warnings in 5 trials: ConvergenceWarning 10, UserWarning 2", or ""
    estimate: str = ""  # what the best estimate (TuneResult.best_estimated) says, when it differs
    trial_rows: tuple[TrialRow, ...] = ()  # every trial, in trial order (at most ALL_TRIALS)
    counts_note: str = ""  # why the counts do not add up to the budget, "" when they do (see counts_note)
    rule: str = ""  # the early-stopping rule and its settings (taken out of the notes), "" without one
    front: FrontSection | None = None  # several objectives or constraints (display/front.py); None without
    workers: str = ""  # how busy the workers of a parallel search were (see .timeline.busy_text), "" otherwise
    cards: tuple[Card, ...] = ()  # each shown trial up close (the top trials, the table's first CARDS rows)


def stop_text(reason: str) -> str:
    """What a stop reason means to the user (an unknown reason is shown as it is)."""
    try:
        return StopReason(reason).text
    except ValueError:
        return str(reason)


# A repository path in parentheses, "(measured: docs/design/pruning.md, ...)": written by older
# versions into a strategy's reason (a study keeps it); the summary is for users, not the repository.
_REPO_PATH = re.compile(r"\s*\([^()]*\b[\w./-]+\.(?:md|py)\b[^()]*\)")


def strategy_detail(strategy: str, reason: str, seed: int | None) -> str:
    """What follows the strategy's name: `` (seed 3), picked by auto because ...``; no seed
    for ``manual`` (nothing is drawn), the reason said once, without repository paths."""
    detail = f" (seed {seed})" if seed is not None and strategy != "manual" else ""
    reason = _REPO_PATH.sub("", reason)
    picked = re.match(r"auto: \S+, because ", reason)  # the strategy auto started with (it may have switched since)
    if picked:
        return detail + ", picked by auto because " + reason[picked.end() :]
    return detail + (f": {reason}" if reason else "")


def summarize(result: TuneResult, top: int = TOP_TRIALS, all_trials: int = ALL_TRIALS) -> Summary:
    """The facts of ``result``'s summary, for :mod:`.text` and :mod:`.html` to render; the
    full table holds the first ``all_trials`` trials (a saved report holds them all)."""
    best = result.best_trial
    counts = tuple((state, n) for state, n in result.counts().items() if n)
    kinds = {t.pruning.get("kind") for t in result.trials if t.curve}
    folds = kinds == {FOLD}  # every reported point a fold of hpmagic.cross_val_score
    names = tuple(result.space.names)
    extra = _metric_names(result)
    rule, notes = _split_notes(result.notes)
    return Summary(
        headline=_headline(result, best),
        direction=str(Direction(result.direction)) if _one_objective(result) else "",  # several: in the goal
        metric=result.metric if _one_objective(result) else ", ".join(result.objectives.names),
        trials=len(result.trials),
        counts=", ".join(f"{n} {state}" for state, n in counts) or "none",
        elapsed=fmt_seconds(result.elapsed),
        strategy=result.strategy,
        strategy_detail=strategy_detail(result.strategy, result.strategy_reason, result.seed),
        stopped=stop_text(result.stop_reason),
        error=result.error,
        notes=notes,
        best_params=None if best is None else fmt_params(best.params),
        param_names=names,
        param_rows=param_rows(result, best),
        top=top_rows(result, result.top(top), extra) if _one_objective(result) else (),  # several: the front
        failure=_failure(result.trials),
        state_counts=counts,
        pruned=sum(1 for t in result.trials if t.state is TrialState.PRUNED),
        pruning=_pruning(result.trials, "folds" if folds else "steps"),
        step_name="fold" if folds else "step",
        metric_names=extra,
        warnings=warning_counts(result.trials),
        estimate=_estimate(result, best),
        trial_rows=trial_rows(result, sorted(result.trials, key=lambda t: t.number)[:all_trials], extra),
        counts_note=counts_note(result),
        rule=rule,
        front=front_section(result),
        workers=busy_text(result),
        cards=cards_for(result, top, all_trials),
    )


#: The early-stopping rules whose one-line description the pruning service adds to the notes
#: (``asha: rungs at steps 1, 3, 9; ...``); "pruning" when no rule was made.
#: ``tests/test_summary.py`` checks that it names every rule of :func:`hpmagic.pruning.names`.
PRUNING_RULES = ("asha", "hyperband", "median", "folds", "pruning")


def _split_notes(notes: Iterable[str]) -> tuple[str, tuple[str, ...]]:
    """The rule's description (for the details of how the search ran) and the other notes.
    A rule's note that asks for something (the cell never reported) stays a note."""
    rule, rest = "", []
    for note in notes:
        if not rule and note.split(":", 1)[0] in PRUNING_RULES and "never called" not in note:
            rule = note
        else:
            rest.append(note)
    return rule, tuple(rest)


def counts_note(result: TuneResult) -> str:
    """Why the trials do not add up to the budget, or ``""`` when they do: fewer ran (the stop
    reason says why), interrupted trials (they do not count toward it), trials still running
    (in another process sharing the study).  ``only 38 of the 40 budgeted trials ran (the time
    limit was reached); the 2 interrupted trials do not count toward the budget (...)``."""
    counted = sum(1 for t in result.trials if t.state.counted)
    interrupted = sum(1 for t in result.trials if t.state is TrialState.INTERRUPTED)
    running = sum(1 for t in result.trials if t.state is TrialState.RUNNING)
    budget = result.budget if StopReason(result.stop_reason) is not StopReason.MANUAL else 0
    parts = []
    if budget and counted < budget:
        parts.append(f"only {counted} of the {budget} budgeted trials ran ({stop_text(result.stop_reason)})")
    if interrupted:
        which = "the interrupted trial does" if interrupted == 1 else f"the {interrupted} interrupted trials do"
        of = f" of {budget}" if budget and counted >= budget else ""
        parts.append(f"{which} not count toward the budget{of} (stopped before they ended, they have no result)")
    if running:
        parts.append(
            f"{plural(running, 'trial')} {'was' if running == 1 else 'were'} still running when this result was taken"
        )
    return "; ".join(parts)


def _metric_names(result: TuneResult) -> tuple[str, ...]:
    """The other metrics the trials carried, in first-seen order, without the objective's own
    fold statistics (shown as its spread)."""
    own = {k for t in result.trials for k in (result.fold_keys(t) or ())}
    return tuple(dict.fromkeys(k for t in result.trials for k in t.metrics if k not in own))


def warning_counts(trials: Iterable[Trial]) -> str:
    """``12 warnings in 5 trials: ConvergenceWarning 10, UserWarning 2`` (the most frequent
    first), or ``""`` when no trial raised one."""
    by: dict[str, int] = {}
    hit = 0
    for t in trials:
        hit += bool(t.warnings)
        for w in t.warnings:
            more = re.match(r"\.\.\. and ([\d,]+) more warnings", w)
            if more:
                by["other"] = by.get("other", 0) + int(more.group(1).replace(",", ""))
                continue
            kind = w.split(":", 1)[0].strip() or "Warning"
            by[kind] = by.get(kind, 0) + 1
    if not by:
        return ""
    kinds = ", ".join(f"{k} {n}" for k, n in sorted(by.items(), key=lambda kv: (-kv[1], kv[0])))
    return f"{plural(sum(by.values()), 'warning')} in {plural(hit, 'trial')}: {kinds}"


def _one_objective(result: TuneResult) -> bool:
    goal = getattr(result, "goal", None)
    return goal is None or not goal.multi


def _estimate(result: TuneResult, best: Trial | None) -> str:
    """A line when the best estimate is another trial than the best observed one (one objective
    without constraints: the estimate knows neither fronts nor limits)."""
    if not getattr(result, "plain", True):
        return ""
    est = result.best_estimated
    if best is None or est is None or est.number == best.number:
        return ""
    value = result.estimates()[est.number]
    return (
        f"trial {est.number} ({fmt_params(est.params)}) is likely best once fold noise is taken into account: "
        f"its estimate {fmt_value(value)} beats trial {best.number}'s, whose better mean came with noisier folds; "
        f"trial {best.number}'s values, the best observed, were applied, and result.best_estimated has "
        f"trial {est.number}"
    )


def _headline(result: TuneResult, best: Trial | None) -> Headline:
    way = Direction(result.direction)
    better = "higher is better" if way.maximize else "lower is better"
    reason = getattr(result, "direction_reason", "")
    if best is None:
        return Headline(result.metric, better=better, reason=reason)
    found = Headline(
        result.metric,
        best=fmt_value(best.value),
        trial=best.number,
        spread=spread_text(result, best),
        better=better,
        reason=reason,
    )
    base, gain = result.baseline, result.gain()
    if base is None:
        return found
    if base.value is None or gain is None:
        return replace(found, verdict=Verdict.DEFAULTS_FAILED, baseline_state=str(base.state))
    noise = _noise(result, best, base, gain)
    verdict = Verdict.BETTER if gain > 0 else (Verdict.TIED if gain == 0 else Verdict.WORSE)
    if verdict is Verdict.BETTER and noise:
        verdict = Verdict.NOISE
    sign = "+" if gain >= 0 else "-"
    # the two values with the digits that tell them apart (1 and 1 + 1e-15 are not both "1"); a gain
    # beyond the float range (from -1e308 to 1e308) is said by the values alone
    shown_base, shown_best = fmt_column([float(base.value), float(best.value)])  # type: ignore[arg-type]
    said = "" if gain == 0 or not math.isfinite(gain) else f"{sign}{fmt_value(abs(gain))}"
    return replace(
        found,
        best=shown_best,
        baseline=shown_base,
        gain=said,
        verdict=verdict,
        noise=noise,
        change=f"{shown_base} -> {shown_best}",
    )


def _noise(result: TuneResult, best: Trial, base: Trial, gain: float) -> str:
    """Why a gain over the defaults is within the noise ("" when it is not, or cannot be told):
    no larger than the best trial's fold spread, or the two trials' folds overlap (the test the
    top-trials table marks "≈ best" with)."""
    spread = result.spread(best)
    if spread is not None and gain != 0 and abs(gain) <= spread[0]:
        return f"within the fold spread {fmt_value(spread[0])}"
    if gain != 0 and result.indistinguishable(base):
        return "the defaults' folds and the best's overlap"
    return ""


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
