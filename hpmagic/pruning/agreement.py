"""Do a search's reports go the objective's way?

Early stopping compares what trials *report* (``report(value, step)``, the folds of
``hpmagic.cross_val_score``), while the search ranks them by their *objective*.  When the two
go opposite ways (``--maximize`` an accuracy while ``report()`` sends the loss), a pruning
rule stops the best trials and keeps the worst, and the search still ends "successfully".
:func:`check` finds it from the complete trials: each one's reports (the last point of a
curve, the mean of its folds) against its objective, as losses in the way each is read; when
their rank correlation is negative beyond chance (Spearman, one-sided, ``p < ALPHA``, at least
:data:`AT_LEAST` trials), the reports go against the objective.

The pruning service then reads the reports the other way (and says from which trial on), and
the summary says so, with or without ``--prune`` (:func:`note`).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

from .._format import fmt_value
from ..cell.report import FOLD, reading
from ..core import Direction, Trial, TrialState

__all__ = ["Disagreement", "check", "ALPHA", "AT_LEAST", "WINDOW"]

#: How unlikely the negative correlation must be by chance (one-sided).
ALPHA = 0.05
#: Complete trials with reports needed before anything is said.
AT_LEAST = 4
#: The latest complete trials the check looks at (it is made again as trials finish).
WINDOW = 200


@dataclass(frozen=True)
class Disagreement:
    """The reports went against the objective over ``trials`` complete trials, with rank
    correlation ``rho`` (of report losses and objective losses); ``read`` is the way the reports
    were read (``"maximize"``: higher reports counted as better), ``objective`` the search's direction."""

    trials: int
    rho: float
    read: str
    objective: str
    kind: str  # "fold" or "curve"

    def text(self) -> str:
        """One sentence for the summary."""
        higher = self.read == "maximize"
        what = "fold scores" if self.kind == FOLD else "reports (hpmagic.report)"
        best = "higher" if self.objective == "maximize" else "lower"
        return (
            f"the cell's {what} go against its objective: over {self.trials} complete trials, those that reported "
            f"{'higher' if higher else 'lower'} values ended with worse objectives (rank correlation "
            f"{fmt_value(round(self.rho, 2))}); early stopping reads reports the objective's way ({best} is better), "
            f"so report the value the cell returns (or its negative: report(-loss, step) with --maximize)"
        )


def _measure(trial: Trial) -> float:
    """What a complete trial reported, as one number: the mean of its folds, the last point of a curve."""
    values = [v for _, v in trial.curve]
    return math.fsum(values) / len(values) if trial.pruning.get("kind") == FOLD else values[-1]


def check(trials: Iterable[Trial], objective: Direction | str) -> Disagreement | None:
    """A :class:`Disagreement` when the complete ``trials``' reports go against ``objective``
    beyond chance (see the module docstring), else ``None``."""
    way = Direction(objective)
    done = [t for t in trials if t.state is TrialState.COMPLETE and t.value is not None and t.curve][-WINDOW:]
    if len(done) < AT_LEAST:
        return None
    kinds = {t.pruning.get("kind") or "curve" for t in done}
    reads = {reading(t.pruning.get("kind"), way.value, t.pruning.get("reading")) for t in done}
    if len(kinds) > 1 or len(reads) > 1:
        return None  # a mix: nothing to compare
    read = Direction(reads.pop())
    reports = [read.loss(_measure(t)) for t in done]
    values = [way.loss(t.value) for t in done]  # type: ignore[arg-type]
    from scipy import stats  # only here: hpmagic's import stays light

    if len(set(reports)) < 3 or len(set(values)) < 3:
        return None
    rho, p = stats.spearmanr(reports, values, alternative="less")
    if not math.isfinite(rho) or not p < ALPHA:
        return None
    return Disagreement(len(done), float(rho), read.value, way.value, kinds.pop())
