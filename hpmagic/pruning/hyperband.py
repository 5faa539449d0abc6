"""Hyperband: several ASHA brackets, each starting at a later rung, sharing the trials."""

from __future__ import annotations

import bisect
import math
from collections import Counter
from typing import Any

from .._format import fmt_value
from .asha import ASHAPruner
from .settings import Setting

__all__ = ["HyperbandPruner"]


class HyperbandPruner(ASHAPruner):
    """``hyperband``: ASHA brackets that hedge against a first rung that comes too early
    (Li et al., 2018; asynchronous brackets as in Li et al., 2020).

    With ``s_max`` the largest ``s`` such that ``min_resource * eta**s <= max_resource``,
    there are ``s_max + 1`` brackets.  Bracket ``b`` is an ASHA whose rungs start at
    ``min_resource * eta**b`` (bracket 0 is plain ASHA, the most aggressive; the last one
    has few or no rungs, it is close to running every trial in full).  A trial competes
    only with the trials of its own bracket, rung by rung, under ASHA's rules (see
    :class:`~hpmagic.pruning.asha.ASHAPruner`).

    Each trial is assigned to one bracket when it starts.  In the original Hyperband
    schedule, bracket ``b`` (``s = s_max - b`` halvings) starts
    ``ceil((s_max + 1) * eta**s / (s + 1))`` configurations: with eta 3 and four brackets,
    27, 12, 6 and 4 trials.  Each bracket gets that share of the trials: trial ``n`` goes
    to the bracket furthest behind its share, the one with the largest
    ``share * (trials assigned so far + 1) - trials it holds`` (the lowest bracket on a
    tie).  This depends only on how many trials each bracket holds, so the sequence is
    fixed by the order in which trials start (the order of their numbers), and a resumed
    study, whose ``finish`` calls restore the counts, continues it.

    Until ``max_resource`` is known (``auto``: learned from the first trial that
    completes), ``s_max`` is unknown: the trials that start before go to bracket 0, and the
    shares count them afterwards.  Settings and defaults are ASHA's: ``min_resource`` (1),
    ``eta`` (3), ``max_resource`` (auto), but ``smooth`` is 3: a rung records the mean of the
    trial's last three points, not its best value so far (a noisy curve's one lucky point
    does not carry it on, a curve that turned down is judged where it is).

    The summary says when early values misled (``describe()``): when the best complete
    trial (the best last point) is in a later bracket and bracket 0's rungs would have
    stopped it (its value at a rung, what the rung records for its first point at or past
    the rung, outside the top ``1/eta`` of the values recorded there), the curves cross or are noisy,
    and the later brackets, which prune less, are what kept it.
    """

    name = "hyperband"
    #: ASHA's settings; ``smooth`` is 3 here: a rung records the mean of a trial's last three points
    #: (docs/design/pruning.md, "The rung's measure": on noisy and turning curves the best
    #: value so far kept lucky and fading trials and stopped the eventual winners).
    SETTINGS = (
        *ASHAPruner.SETTINGS[:-1],
        Setting(
            "smooth", int, 3, "what a rung records: 0, the best value so far; k, the mean of the last k points", low=0
        ),
    )

    def s_max(self) -> int | None:
        """The last bracket's number (``None`` while ``max_resource`` is not known)."""
        if self._max is None:
            return None
        s = 0
        while self.resource(s + 1) <= self._max:
            s += 1
        return s

    def bracket_sizes(self) -> list[int]:
        """The trials each bracket starts in one round of the original schedule (``[1]`` while unknown)."""
        top = self.s_max()
        if top is None:
            return [1]
        return [math.ceil((top + 1) * self.eta ** (top - b) / (top - b + 1)) for b in range(top + 1)]

    def _choose_bracket(self, number: int) -> int:
        sizes = self.bracket_sizes()
        total, held = sum(sizes), Counter(self._brackets.values())
        after = len(self._brackets) + 1
        return max(range(len(sizes)), key=lambda b: (sizes[b] * after / total - held[b], -b))

    # -- what the evidence says ----------------------------------------------------------------

    def _leader(self) -> int | None:
        """The complete trial with the best last point (the lowest number on a tie)."""
        return min(self._complete, key=lambda n: (self._complete[n].losses[-1], n), default=None)

    def _lost_at(self, leader: int, bracket: int) -> tuple[float, int, int] | None:
        """The first rung of ``bracket`` that would have stopped ``leader``: (step, its rank, values), else None."""
        curve = self._complete[leader]
        for exponent, step in enumerate(self.rungs(bracket), start=self._first_exponent(bracket)):
            index = bisect.bisect_left(curve.steps, step)
            others = [v for n, v in self._rungs.get((bracket, exponent), {}).items() if n != leader]
            if index < len(curve) and others:
                rank, n, allowed = self._standing(others, self.measure(curve, index))
                if rank > allowed:
                    return step, rank, n
        return None

    def _evidence_text(self) -> str:
        """For the summary: that bracket 0 would have stopped the best complete trial, when it would have."""
        leader = None if self.names else self._leader()  # with several objectives no trial is "the best"
        if leader is None or not self._brackets.get(leader):
            return ""
        lost = self._lost_at(leader, 0)
        if lost is None:
            return ""
        step, rank, n = lost
        return (
            f"; early values misled here (curves that cross, or noise): the best complete trial, trial {leader} "
            f"of bracket {self._brackets[leader]}, ranked {rank} of {n} at step {fmt_value(step)} of bracket 0, "
            "which would have stopped it; the later brackets, which prune less, kept it"
        )

    def describe(self) -> str:
        """The rule and its settings in a line for the summary: its brackets, once the largest step is known."""
        settings = self._settings_text()
        if self._max is None:
            return f"hyperband: brackets set once max_resource is known; until then asha's {self._rung_text()} ({settings})"
        sizes = self.bracket_sizes()
        brackets = (
            "1 bracket" if len(sizes) == 1 else f"{len(sizes)} brackets sharing the trials {':'.join(map(str, sizes))}"
        )
        return (
            f"hyperband: {brackets}, {self._first_rungs_text(len(sizes))}; {self._promotion_text()} "
            f"({settings}){self._evidence_text()}"
        )

    def _first_rungs_text(self, count: int) -> str:
        """``their first rungs at steps 1, 3 and 9, the last bracket has none (its trials run in full)``.

        Only the last bracket can have no rung (its first rung would be ``max_resource``
        itself, when that is ``min_resource * eta**s_max``)."""
        firsts = [rungs[0] for rungs in map(self.rungs, range(count)) if rungs]
        if not firsts:
            return "no rung below max_resource, so nothing is pruned"
        steps = [fmt_value(float(step)) for step in firsts]
        listed = steps[0] if len(steps) == 1 else f"{', '.join(steps[:-1])} and {steps[-1]}"
        text = f"its first rung at step {listed}" if count == 1 else f"their first rungs at steps {listed}"
        if len(firsts) < count:
            empty = count - len(firsts)
            text += (
                ", the last bracket has no rung (its trials run in full)"
                if empty == 1
                else f", the last {empty} brackets have no rung (their trials run in full)"
            )
        return text

    def _snapshot(self) -> dict[str, Any]:
        return {**super()._snapshot(), "sizes": self.bracket_sizes()}
