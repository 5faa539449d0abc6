"""The fold rule: stop a cross-validation trial that is unlikely to end ahead of the best one."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from .._format import fmt_value, plural
from ..core import TrialState
from .base import Curve, Decision, Pruner
from .settings import Setting, configure

__all__ = ["FoldPruner", "Evidence"]


@dataclass(frozen=True)
class Evidence:
    """A trial against the reference after ``folds`` matched folds (of the reference's
    ``total``): how much worse it is on average (``mean``, in loss: above 0 is worse), the
    spread of one paired fold difference (``spread``) on ``df`` degrees of freedom, the lead
    it must end with (``margin``, in loss) and its chance of ending with that lead
    (``chance``)."""

    reference: int
    folds: int
    total: int
    mean: float
    spread: float
    df: int
    margin: float
    chance: float


class FoldPruner(Pruner):
    """``folds``: for ``hpmagic.cross_val_score``, which reports one point per fold
    (step = the fold's index, value = its score).

    Fold scores are not a learning curve: they do not improve from one step to the next,
    they vary from fold to fold, and the same fold is hard or easy for every
    configuration.  So the trial is compared, fold for fold, with the *reference*: the
    complete trial with the best mean over its ``K`` folds (the earliest on a tie).  After
    ``m`` folds, ``d_i`` is how much worse the trial is than the reference on fold ``i``
    (the fold effect the two share cancels in ``d_i``), and the rule asks what a finished
    trial is for: *would it end ahead of the reference?*  It is pruned when its chance of
    ending at least ``margin`` standard errors ahead is below ``chance``.

    The chance is the predictive probability of the normal model with the spread ``s`` of
    one paired fold difference: given the mean ``mean(d)`` of the folds so far (a flat
    prior on the trial's true difference), the mean difference over all ``K`` folds is
    centred on ``mean(d)`` with standard deviation ``s * sqrt((K - m) / (K * m))``
    (what the remaining folds may still change), and must end below ``-margin * s /
    sqrt(K)`` (``s / sqrt(K)``: the standard error of the difference of two ``K``-fold
    means).  Student's t with the degrees of freedom of ``s`` stands for the normal, so
    the rule is cautious while ``s`` rests on few trials.  ``s`` pools the residuals of the
    two-way table (trials x folds) of the complete trials with the reference's folds,
    ``(C - 1)(K - 1)`` degrees of freedom (a paired difference has twice their variance),
    with the spread of the trial's own ``d_i`` (``m - 1`` more), so the rule can decide
    after one fold.  With no spread at all (identical residuals), a trial is pruned only
    when it is behind.

    What the defaults mean, with five folds: a trial more than ``0.25 * s`` behind the
    reference on its first fold is stopped there; a trial level with it has a 40%, 34%,
    then 27% chance after one, two, three folds, so it runs three; one ahead runs on.  Trials whose gain, run in full, would
    stay within about half a standard error (the noise of the comparison) may be stopped:
    a cross-validation cannot tell them from the reference.  ``chance=0.01, margin=0``
    makes the rule conservative (it then stops only trials clearly worse).

    No decision before ``min_folds`` folds, before the pooled table or the trial's own folds
    give a degree of freedom (two complete trials with the same folds, or two folds), nor
    once the trial has as many folds as the reference (stopping at its last fold saves
    nothing).  Folds are matched by step; a fold the reference does not have is left out.

    Settings (defaults): ``min_folds`` (1), the folds a trial runs before any decision;
    ``chance`` (0.3), between 0 and 1 (both excluded); ``margin`` (0.5), at least 0.  The
    figures behind them are in ``docs/design/pruning.md`` ("The fold rule").
    """

    name = "folds"
    SETTINGS = (
        Setting("min_folds", int, 1, "folds a trial runs before any decision", low=1),
        Setting(
            "chance",
            float,
            0.3,
            "the chance of ending ahead of the best trial below which a trial stops",
            low=0.0,
            high=1.0,
            low_open=True,
            high_open=True,
        ),
        Setting("margin", float, 0.5, "the lead that counts as ahead, in standard errors of the difference", low=0.0),
    )

    min_folds: int
    chance: float
    margin: float

    def __init__(self, min_folds: int = 1, chance: float = 0.3, margin: float = 0.5) -> None:
        super().__init__()
        configure(self, {"min_folds": min_folds, "chance": chance, "margin": margin})
        self._complete: dict[int, Curve] = {}

    def describe(self) -> str:
        """The rule and its settings in a line for the summary."""
        return (
            "folds: stop a trial unlikely to end ahead of the best trial on the same folds "
            f"(min_folds={self.min_folds}, chance={fmt_value(self.chance)}, margin={fmt_value(self.margin)})"
        )

    def reference(self) -> int | None:
        """The number of the complete trial with the best mean fold loss (the earliest on a tie)."""
        means = {n: sum(c.losses) / len(c) for n, c in self._complete.items() if len(c)}
        return min(means, key=lambda n: (means[n], n)) if means else None

    def _pooled(self, steps: list[float]) -> tuple[float, int]:
        """The variance of one (trial, fold) score around the two-way fit, and its degrees of freedom."""
        rows = [c.losses for c in self._complete.values() if c.steps == steps]
        trials, folds = len(rows), len(steps)
        if trials < 2 or folds < 2:
            return 0.0, 0
        row_means = [sum(r) / folds for r in rows]
        col_means = [sum(r[k] for r in rows) / trials for k in range(folds)]
        grand = sum(row_means) / trials
        total = sum((r[k] - row_means[i] - col_means[k] + grand) ** 2 for i, r in enumerate(rows) for k in range(folds))
        df = (trials - 1) * (folds - 1)
        return total / df, df

    def evidence(self, curve: Curve) -> Evidence | None:
        """The paired comparison of ``curve`` with the reference, or ``None`` when it cannot decide yet."""
        best = self.reference()
        if len(curve) < self.min_folds or best is None or len(curve) >= len(self._complete[best]):
            return None
        ref = self._complete[best]
        on = dict(zip(ref.steps, ref.losses))
        diffs = [loss - on[step] for step, loss in zip(curve.steps, curve.losses) if step in on]
        m, total = len(diffs), len(ref)
        var_pool, df_pool = self._pooled(ref.steps)
        df = df_pool + m - 1
        if m < self.min_folds or df < 1:
            return None
        mean = sum(diffs) / m
        own = sum((d - mean) ** 2 for d in diffs)  # (m - 1) times the trial's own variance
        spread = math.sqrt((df_pool * 2 * var_pool + own) / df)
        margin = self.margin * spread / math.sqrt(total)
        return Evidence(best, m, total, mean, spread, df, margin, self.chance_ahead(mean, spread, df, m, total))

    def chance_ahead(self, mean: float, spread: float, df: int, folds: int, total: int) -> float:
        """The chance that a trial ``mean`` worse after ``folds`` of ``total`` folds ends at least
        ``margin`` standard errors ahead (see the class docstring)."""
        if spread <= 0.0:
            return 0.0 if mean > 0 else 1.0
        sd = spread * math.sqrt((total - folds) / (total * folds))
        return _t_cdf(-(mean + self.margin * spread / math.sqrt(total)) / sd, df)

    def prunes(self, evidence: Evidence) -> bool:
        """Its chance of ending ahead is below ``chance``."""
        return evidence.chance < self.chance

    def _decide(self, number: int, curve: Curve) -> Decision:
        found = self.evidence(curve)
        if found is None or not self.prunes(found):
            return self._go_on(number, curve)
        if found.mean == 0:
            where = f"level with trial {found.reference}"
        else:
            side = "behind" if found.mean > 0 else "ahead of"
            where = f"{side} trial {found.reference} by {fmt_value(abs(found.mean))} on average"
        return self._stop(
            number,
            curve,
            f"after {plural(found.folds, 'fold')} of {found.total} it was {where}: a {_percent(found.chance)} chance "
            f"of ending at least {fmt_value(found.margin)} ahead of it (below {_percent(self.chance)})",
        )

    def _forget(self, number: int) -> None:
        self._complete.pop(number, None)

    def _record(self, number: int, state: TrialState, curve: Curve) -> None:
        if state is TrialState.COMPLETE and len(curve):
            self._complete[number] = curve

    def _snapshot(self) -> dict[str, Any]:
        return {"complete": {n: c.points() for n, c in sorted(self._complete.items())}}


def _percent(p: float) -> str:
    return f"{100 * p:.0f}%" if p >= 0.01 else "<1%"


def _t_cdf(x: float, df: int) -> float:
    """Student's t distribution function (scipy, imported on the first decision)."""
    from scipy.special import stdtr

    return float(stdtr(df, x))
