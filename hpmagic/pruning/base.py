"""The contract of a pruning rule, the checks on each reported point, and a trial's curve.

A :class:`Pruner` lives in the kernel, next to the runner, and sees every trial of one
search through four calls, made one at a time (reports from concurrent workers are
serialised before they reach it, so its decisions never race):

1. :meth:`Pruner.setup` once, before anything else: the direction and the trial budget.
2. :meth:`Pruner.finish` for every stored trial of a resumed study, in the order they
   finished, before any new trial starts: the brackets and rungs continue from there.
3. For each new trial, :meth:`Pruner.assign` when it starts (its bracket: 0 unless
   Hyperband), then :meth:`Pruner.report` for each point of its curve, in the order the
   cell reported them, each answered by a :class:`Decision` (go on, or stop here).
4. :meth:`Pruner.finish` when it ends, whatever the end (complete, failed, pruned,
   interrupted), with its whole curve.

A pruner's state is a function of the finished trials' curves (and the points of the
running ones): :meth:`Pruner.finish` throws away what the live reports of that trial left
and replays the curve it is given, so the state rebuilt by a resumed study's ``finish``
calls is the state the live search had (:meth:`Pruner.snapshot` shows it as plain data).

Values are compared as losses, ``direction.loss(value)``: lower is better.  Every point is
checked by :func:`check_point` before a rule sees it, so no rule ever sees a NaN, an
infinity or a step that goes backwards.

Several objectives (:meth:`Pruner.several`): each point carries, beside the first objective's
value, the other objectives' values (``others``, in their own directions, made losses here), and
:class:`Curve` keeps them (``Curve.others``); the rules that can rank vectors (``asha``,
``hyperband``: :mod:`hpmagic.pruning.fronts`) read them, the others are refused by the options.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

from .._format import fmt_value
from ..cell.report import check_point
from ..core import Direction, Trial, TrialState
from ..errors import ReportError

__all__ = ["Decision", "Pruner", "Curve", "check_point"]


@dataclass(frozen=True)
class Decision:
    """What a pruner decided on one reported point.

    ``prune``: stop the trial at this point.  ``reason``: for a pruned trial, one sentence
    for its record (why it was stopped); for a trial that reached a rung and goes on, a
    short note ("promoted at rung 3"); else empty.  ``step``: the step decided on.
    ``rung`` (ASHA, Hyperband; always ``None`` for the other rules): the resource (step) of
    the rung the trial was pruned at, or of the highest rung this report reached and was
    promoted at; ``None`` when the report reached no rung.  ``bracket``: the trial's
    bracket (0 unless Hyperband).
    """

    prune: bool
    reason: str = ""
    step: float = 0.0
    rung: float | None = None
    bracket: int = 0


@dataclass
class Curve:
    """One trial's points as losses (lower is better), with the best loss up to each step."""

    steps: list[float] = field(default_factory=list)
    losses: list[float] = field(default_factory=list)
    bests: list[float] = field(default_factory=list)  # bests[i] = min(losses[: i + 1])
    others: list[tuple[float, ...]] = field(default_factory=list)  # the other objectives' losses (several)

    @classmethod
    def of(
        cls,
        points: Iterable[tuple[float, float]],
        direction: Direction,
        others: Sequence[tuple[float, ...]] | None = None,
    ) -> Curve:
        """A curve from ``(step, value)`` points in the user's direction, each checked; ``others``:
        the other objectives' losses at each point (several objectives)."""
        curve = cls()
        for index, (step, value) in enumerate(points):
            where, number = check_point(value, step, curve.last_step)
            curve.add(where, direction.loss(number), tuple(others[index]) if others else ())
        return curve

    def add(self, step: float, loss: float, other: tuple[float, ...] = ()) -> None:
        """Append a point (``step``, ``loss``) and the best loss so far (``other``: the other
        objectives' losses there, with several objectives)."""
        self.steps.append(step)
        self.losses.append(loss)
        self.bests.append(loss if not self.bests else min(loss, self.bests[-1]))
        if other:
            self.others.append(other)

    def __len__(self) -> int:
        return len(self.steps)

    @property
    def last_step(self) -> float | None:
        """The step of the latest report (``None`` for an empty curve)."""
        return self.steps[-1] if self.steps else None

    @property
    def best(self) -> float:
        """The best loss so far (``inf`` for an empty curve)."""
        return self.bests[-1] if self.bests else math.inf

    def best_at(self, step: float) -> float | None:
        """The best loss over the points at steps ``<= step``, ``None`` before the first point."""
        index = bisect.bisect_right(self.steps, step)
        return self.bests[index - 1] if index else None

    def reaches(self, step: float) -> bool:
        """True when the curve has a point at or before ``step`` and one at or after it."""
        return bool(self.steps) and self.steps[0] <= step <= self.steps[-1]

    def points(self) -> list[tuple[float, float]]:
        """The curve as (step, loss) pairs, in the order reported."""
        return list(zip(self.steps, self.losses))


class Pruner:
    """The base class of the pruning rules: the calls a search makes, in this order.

    - ``setup(direction, budget)``: once, first (``budget`` is ``-n``, the trial budget).
    - ``finish(trial, curve)`` for each stored trial of a resumed study, in the order the
      trials finished, before any new report.
    - ``assign(number)`` when trial ``number`` starts: its bracket (0 unless Hyperband).
    - ``report(number, step, value)`` for each point the trial reports, in order: a
      :class:`Decision`.  The point is checked with :func:`check_point` (a
      :class:`~hpmagic.errors.ReportError` for a bad one, recording nothing); once a trial
      was pruned, its later reports get the same decision again and record nothing; a
      report of a trial that finished is a ``ReportError``.
    - ``finish(trial, curve)`` when the trial ends, in any state, with its whole curve as
      ``(step, value)`` points: what its live reports recorded is replaced by ``curve``.
    - ``describe()``: one line for the summary, the rule and its settings.

    Subclasses fill in :meth:`_decide` (one report) and :meth:`_record` / :meth:`_forget`
    (a finished trial), and list their settings in ``SETTINGS``
    (:class:`hpmagic.pruning.settings.Setting`).
    """

    name: ClassVar[str] = ""
    SETTINGS: ClassVar[tuple[Any, ...]] = ()

    def __init__(self) -> None:
        self.direction = Direction.MINIMIZE
        self.budget = 0
        self._live: dict[int, Curve] = {}
        self._stopped: dict[int, Decision] = {}
        self._finished: dict[int, TrialState] = {}
        self._brackets: dict[int, int] = {}
        self.names: tuple[str, ...] = ()  # every objective's name, with several
        self._other_directions: tuple[Direction, ...] = ()

    # -- the calls ---------------------------------------------------------------------

    def setup(self, direction: Direction, budget: int) -> None:
        """Called once, before any other call: which way is better, and ``-n``."""
        self.direction = Direction(direction)
        self.budget = budget

    def several(self, objectives: Sequence[tuple[str, Direction]]) -> None:
        """The search has several objectives (``(name, direction)``, the first one's direction is
        :meth:`setup`'s): every report then carries the others' values too."""
        self.names = tuple(name for name, _ in objectives)
        self._other_directions = tuple(Direction(d) for _, d in objectives[1:])

    def _other_losses(self, others: Sequence[float]) -> tuple[float, ...]:
        if len(others) != len(self._other_directions):
            raise ReportError(
                f"a report of a search with the objectives {', '.join(self.names) or 'value'} carries "
                f"{len(others) + 1} values; report every objective"
            )
        return tuple(d.loss(float(v)) for d, v in zip(self._other_directions, others))

    def assign(self, number: int, bracket: int | None = None) -> int:
        """The bracket of trial ``number`` (0 unless Hyperband); the same answer if asked again.
        ``bracket``: the one an earlier pruner of the same search gave it (kept)."""
        if bracket is not None:
            self._brackets[number] = bracket
        if number not in self._brackets:
            self._brackets[number] = self._choose_bracket(number)
        return self._brackets[number]

    def report(self, number: int, step: float, value: float, others: Sequence[float] = ()) -> Decision:
        """One point of trial ``number``'s curve: go on, or prune (see the class docstring)."""
        if number in self._finished:
            raise ReportError(
                f"report(value, step): trial {number} has already ended ({self._finished[number]}); "
                "report only while the trial runs, before the cell's last line"
            )
        if number in self._stopped:
            return self._stopped[number]
        known = self._live.get(number)
        where, number_value = check_point(value, step, known.last_step if known else None)
        other = self._other_losses(others)
        self.assign(number)
        curve = self._live.setdefault(number, Curve())
        curve.add(where, self.direction.loss(number_value), other)
        decision = self._decide(number, curve)
        if decision.prune:
            self._stopped[number] = decision
        return decision

    def finish(
        self,
        trial: Trial,
        curve: Sequence[tuple[float, float]],
        bracket: int | None = None,
        others: Sequence[Sequence[float]] | None = None,
    ) -> None:
        """Trial ``trial`` ended with ``curve`` (its ``(step, value)`` points, in order; ``others``:
        with several objectives, the other objectives' values at each point).

        ``bracket`` is the one :meth:`assign` gave it (stored with the trial); ``None``
        keeps the one assigned live, or assigns one now for a trial this pruner never saw.
        A stored curve is checked as reports are (a ``ReportError`` for a bad point).
        """
        number = trial.number
        if self.names and len(others or ()) != len(curve):
            raise ReportError(
                f"trial {number}'s curve has {len(curve)} points but the values of "
                f"{', '.join(self.names[1:])} at {len(others or ())}; a search with several objectives "
                "needs every objective at each point"
            )
        points = Curve.of(curve, self.direction, [self._other_losses(o) for o in others or ()])
        if bracket is not None:
            self._brackets[number] = bracket
        self.assign(number)
        self._live.pop(number, None)
        self._stopped.pop(number, None)
        self._forget(number)
        self._finished[number] = trial.state
        self._record(number, trial.state, points)

    def describe(self) -> str:
        """One line for the summary: the rule and its settings."""
        raise NotImplementedError

    def snapshot(self) -> dict[str, Any]:
        """The whole state as plain data: equal for a live search and one rebuilt by ``finish`` calls."""
        return {
            "rule": self.name,
            "running": {n: c.points() for n, c in sorted(self._live.items())},
            "stopped": sorted(self._stopped),
            "finished": dict(sorted(self._finished.items())),
            "brackets": dict(sorted(self._brackets.items())),
            **self._snapshot(),
        }

    # -- what a rule fills in ----------------------------------------------------------

    def _choose_bracket(self, number: int) -> int:
        return 0

    def _decide(self, number: int, curve: Curve) -> Decision:
        """The decision for ``curve``'s last point (already checked and recorded)."""
        raise NotImplementedError

    def _forget(self, number: int) -> None:
        """Drop whatever the rule recorded for trial ``number`` (before its curve is replayed)."""

    def _record(self, number: int, state: TrialState, curve: Curve) -> None:
        """Trial ``number`` finished in ``state`` with ``curve``."""

    def _snapshot(self) -> dict[str, Any]:
        return {}

    # -- helpers for the rules -----------------------------------------------------------

    def _shown(self, loss: float) -> str:
        """A loss as the user reads it: the value in the search's direction."""
        return fmt_value(self.direction.loss(loss))

    def _go_on(self, number: int, curve: Curve, note: str = "", rung: float | None = None) -> Decision:
        return Decision(False, note, curve.steps[-1], rung, self._brackets.get(number, 0))

    def _stop(self, number: int, curve: Curve, reason: str, rung: float | None = None) -> Decision:
        return Decision(True, reason, curve.steps[-1], rung, self._brackets.get(number, 0))

    def _setting_text(self) -> str:
        return ", ".join(f"{s.name}={_text(getattr(self, s.name))}" for s in self.SETTINGS)


def _text(value: Any) -> str:
    if value is None:
        return "auto"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return fmt_value(value)
