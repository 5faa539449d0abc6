"""Asynchronous successive halving (ASHA): rungs at ``min_resource * eta**k``, the top 1/eta go on."""

from __future__ import annotations

import math
from typing import Any

from .._format import fmt_value
from ..core import TrialState
from ..errors import OptionError
from .base import Curve, Decision, Pruner
from .fronts import vector_standing
from .settings import Setting, configure

__all__ = ["ASHAPruner"]

_AUTO = "learned from the first complete trial's last step"


class ASHAPruner(Pruner):
    """``asha``: asynchronous successive halving (Li et al., 2020).

    Rungs stand at the steps ``min_resource * eta**k`` (k = 0, 1, ...) below
    ``max_resource``.  A report *reaches* a rung when its step is at or past the rung and
    the trial's previous step was before it.  The trial's value there (its best value so
    far; with ``smooth=k``, the mean of its last ``k`` points) is recorded at the rung; it
    goes on when its rank among every value recorded at that rung so far (its own
    included; running, pruned and finished trials alike) is within the top
    ``ceil(n / eta)`` of the ``n`` values, and is pruned otherwise.

    - The first trials at a rung: with ``n`` values recorded, ``ceil(n / eta)`` may go on,
      which is at least one, so the first trial at a rung always goes on, and the next
      ``eta - 1`` go on only if they are the best at the rung so far.  The expected share
      that goes on is never below 1/eta (``floor`` would prune more than intended).
    - Ties: the rank counts the values strictly better, so tied trials share the better
      rank (and both go on when one would).
    - A report that jumps over rungs (steps 1 then 20 with rungs at 3 and 9) reaches
      each rung it passed: its value is recorded at each, and it goes on only if it is
      within the top at every one (it is judged against each rung in turn, lowest first).
    - No rung is at or beyond ``max_resource``: a trial that got there is done, and
      stopping it would save nothing and lose its objective.

    Settings (defaults): ``min_resource`` (1), the step of the first rung; ``eta`` (3),
    the factor between rungs (a whole number of at least 2); ``max_resource`` (auto), the
    last step of a full trial, or ``auto``: learned from the last step of the first trial
    that completes (in the order trials finish); until then, every rung counts;
    ``smooth`` (0), what a rung records: 0, the best value so far (a trial that once led
    keeps its lead); ``k >= 1``, the mean of the last ``k`` points up to the rung (fewer
    when the curve has fewer), which follows a curve that turns down and does not reward
    one lucky point of a noisy curve (``hyperband``'s default is 3: docs/design/pruning.md).

    Several objectives (``Pruner.several``): a rung records a vector, the first objective's
    measure (as above) and the other objectives' latest values, and ranks the vectors by
    non-dominated sorting, then crowding distance (``hpmagic.pruning.fronts``, MOASHA's rule);
    the top ``ceil(n / eta)`` go on as with one value.
    """

    name = "asha"
    SETTINGS = (
        Setting("min_resource", float, 1.0, "the step of the first rung", low=0, low_open=True),
        Setting("eta", int, 3, "the factor between rungs; the top 1/eta go on", low=2),
        Setting("max_resource", float, None, "the last step of a full trial", low=0, low_open=True, auto=_AUTO),
        Setting(
            "smooth", int, 0, "what a rung records: 0, the best value so far; k, the mean of the last k points", low=0
        ),
    )

    min_resource: float
    eta: int
    max_resource: float | None
    smooth: int

    def __init__(
        self, min_resource: float = 1.0, eta: int = 3, max_resource: float | None = None, smooth: int | None = None
    ) -> None:
        super().__init__()
        smooth = next(s.default for s in self.SETTINGS if s.name == "smooth") if smooth is None else smooth
        configure(self, {"min_resource": min_resource, "eta": eta, "max_resource": max_resource, "smooth": smooth})
        if self.max_resource is not None and self.max_resource <= self.min_resource:
            raise OptionError(
                f"--prune {self.name}: max_resource ({fmt_value(self.max_resource)}) must be larger than "
                f"min_resource ({fmt_value(self.min_resource)}), or no rung would be left to decide at"
            )
        self._max = self.max_resource  # the horizon: given, or learned
        self._learned_from: int | None = None
        self._rungs: dict[
            tuple[int, int], dict[int, Any]
        ] = {}  # a float, or a tuple with several objectives  # (bracket, exponent) -> trial -> value
        self._complete: dict[int, Curve] = {}  # the complete trials' curves (Hyperband reads the best one)

    # -- rungs ---------------------------------------------------------------------------

    def resource(self, exponent: int) -> float:
        """The step of rung ``exponent``: ``min_resource * eta**exponent``."""
        return self.min_resource * self.eta**exponent

    def rungs(self, bracket: int = 0) -> list[float]:
        """The rung steps of ``bracket`` below ``max_resource`` (its first four while that is unknown)."""
        out: list[float] = []
        exponent = self._first_exponent(bracket)
        while self._open(self.resource(exponent)) and (self._max is not None or len(out) < 4):
            out.append(self.resource(exponent))
            exponent += 1
        return out

    def _first_exponent(self, bracket: int) -> int:
        return bracket

    def _open(self, resource: float) -> bool:
        return self._max is None or resource < self._max

    def _crossed(self, bracket: int, previous: float | None, step: float) -> list[int]:
        """The rungs of ``bracket`` a report at ``step`` reaches, after one at ``previous``."""
        found: list[int] = []
        exponent = self._first_exponent(bracket)
        while self.resource(exponent) <= step and self._open(self.resource(exponent)):
            if previous is None or self.resource(exponent) > previous:
                found.append(exponent)
            exponent += 1
        return found

    # -- decisions -----------------------------------------------------------------------

    def measure(self, curve: Curve, index: int) -> Any:
        """What a rung records for ``curve``'s point ``index``: the best loss up to it, or with
        ``smooth=k`` the mean loss of the last ``k`` points up to it; with several objectives, a
        tuple of that and the other objectives' losses at the point."""
        if not self.smooth:
            first = curve.bests[index]
        else:
            window = curve.losses[max(0, index + 1 - self.smooth) : index + 1]
            first = sum(window) / len(window)
        return (first, *curve.others[index]) if curve.others else first

    def _measure_words(self) -> str:
        if not self.smooth:
            return "its best value"
        return "its value" if self.smooth == 1 else f"the mean of its last {self.smooth} points"

    def _enter(self, number: int, bracket: int, previous: float | None, step: float, value: Any) -> list[int]:
        crossed = self._crossed(bracket, previous, step)
        for exponent in crossed:
            self._rungs.setdefault((bracket, exponent), {})[number] = value
        return crossed

    def _decide(self, number: int, curve: Curve) -> Decision:
        bracket = self._brackets.get(number, 0)
        previous = curve.steps[-2] if len(curve) > 1 else None
        crossed = self._enter(number, bracket, previous, curve.steps[-1], self.measure(curve, len(curve) - 1))
        if not crossed:
            return self._go_on(number, curve)
        for exponent in crossed:
            reason = self._verdict(number, bracket, exponent, curve.steps[-1])
            if reason:
                return self._stop(number, curve, reason, self.resource(exponent))
        top = self.resource(crossed[-1])
        return self._go_on(number, curve, f"promoted at rung {fmt_value(top)}", top)

    def _verdict(self, number: int, bracket: int, exponent: int, step: float) -> str:
        """Why trial ``number`` stops at this rung, or ``""`` when it goes on."""
        values = self._rungs[(bracket, exponent)]
        mine = values[number]
        rank, n, allowed = self._standing([v for k, v in values.items() if k != number], mine)
        if rank <= allowed:
            return ""
        where = f"at rung {fmt_value(self.resource(exponent))} (step {fmt_value(step)})"
        if bracket:
            where = f"in bracket {bracket}, {where}"
        top = "only the best goes on" if allowed == 1 else f"only the top {allowed} go on"
        if isinstance(mine, tuple):
            shown = ", ".join(f"{name} {self._shown_as(i, v)}" for i, (name, v) in enumerate(zip(self.names, mine)))
            return (
                f"{where} its point ({shown}) ranked {rank} of {n} by non-dominated sorting and crowding "
                f"distance; {top} (eta={self.eta})"
            )
        return f"{where} {self._measure_words()} {self._shown(mine)} ranked {rank} of {n}; {top} (eta={self.eta})"

    def _shown_as(self, index: int, loss: float) -> str:
        direction = self.direction if index == 0 else self._other_directions[index - 1]
        return fmt_value(direction.loss(loss))

    def _standing(self, others: list[Any], mine: Any) -> tuple[int, int, int]:
        """The rule at a rung: ``mine``'s rank among ``others`` and itself (ties share the better
        rank), how many values there are, and how many of them go on (``ceil(n / eta)``); vectors
        (several objectives) by ``hpmagic.pruning.fronts.vector_standing``."""
        if isinstance(mine, tuple):
            return vector_standing(others, mine, self.eta)
        n = len(others) + 1
        return 1 + sum(1 for v in others if v < mine), n, math.ceil(n / self.eta)

    # -- finished trials -----------------------------------------------------------------

    def _forget(self, number: int) -> None:
        for values in self._rungs.values():
            values.pop(number, None)
        self._complete.pop(number, None)

    def _record(self, number: int, state: TrialState, curve: Curve) -> None:
        bracket, previous = self._brackets.get(number, 0), None
        for index, step in enumerate(curve.steps):
            self._enter(number, bracket, previous, step, self.measure(curve, index))
            previous = step
        if state is TrialState.COMPLETE and len(curve):
            self._complete[number] = curve
            if self._max is None:
                self._learn(number, curve.steps[-1])

    def _learn(self, number: int, last_step: float) -> None:
        """``max_resource`` is now ``last_step``; rungs at or past it are dropped."""
        self._max, self._learned_from = last_step, number
        for key in [k for k in self._rungs if not self._open(self.resource(k[1]))]:
            del self._rungs[key]

    # -- what it says ----------------------------------------------------------------------

    def _horizon_text(self) -> str:
        if self.max_resource is not None:
            return f"max_resource={fmt_value(self.max_resource)}"
        if self._max is None:
            return "max_resource learned from the first complete trial"
        return f"max_resource={fmt_value(self._max)} learned from trial {self._learned_from}"

    def _rung_text(self, bracket: int = 0) -> str:
        steps = self.rungs(bracket)
        if not steps:
            return "no rung below max_resource, so nothing is pruned"
        more = ", ..." if self._max is None else ""
        return "rungs at steps " + ", ".join(fmt_value(float(s)) for s in steps) + more

    def _settings_text(self) -> str:
        smooth = f", smooth={self.smooth}" if self.smooth else ""
        return f"min_resource={fmt_value(self.min_resource)}, eta={self.eta}{smooth}, {self._horizon_text()}"

    def _promotion_text(self) -> str:
        """``the top 1/3 at each rung go on`` (``, by the mean of their last 3 points`` with ``smooth``)."""
        by = {0: "", 1: ", by their value there"}.get(self.smooth, f", by the mean of their last {self.smooth} points")
        if self.names:
            first = {0: "its best", 1: "its"}.get(self.smooth, f"the mean of the last {self.smooth} points of")
            return (
                f"the top 1/{self.eta} at each rung go on, ranked by non-dominated sorting of ({first} "
                f"{self.names[0]}, {', '.join(self.names[1:])}), then crowding distance"
            )
        return f"the top 1/{self.eta} at each rung go on{by}"

    def describe(self) -> str:
        """The rule and its settings in a line for the summary: the rungs and the share that goes on at each."""
        return f"asha: {self._rung_text()}; {self._promotion_text()} ({self._settings_text()})"

    def _snapshot(self) -> dict[str, Any]:
        rungs: dict[int, dict[float, dict[int, Any]]] = {}
        for (bracket, exponent), values in sorted(self._rungs.items()):
            if values:
                rungs.setdefault(bracket, {})[self.resource(exponent)] = dict(sorted(values.items()))
        return {"rungs": rungs, "max_resource": self._max, "learned_from": self._learned_from}
