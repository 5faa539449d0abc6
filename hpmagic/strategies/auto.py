"""``auto``: pick a strategy from the space, the budget, the parallelism and the pruner, and,
with a time budget, hand over to a cheaper one when proposals cost more than the trials.

The first pick (:func:`pick`) applies these rules in order (the first that applies wins, and
the summary quotes it): ``grid`` when the grid is the whole space and fits the budget,
``sobol`` when the budget is too small for a model, ``gp`` within :data:`GP_MAX_DIMS`,
:data:`GP_MAX_TRIALS` (not applied with a time budget: the clock bounds the trials, and the
switching rule below watches the GP's cost) and :data:`GP_MAX_JOBS`; beyond them, ``de`` for a
budget over :data:`GP_MAX_TRIALS` without a time budget or pruning, else ``tpe``.  ``de`` because
many trials is where a strategy's cost per proposal adds up: ``de``'s is a fraction of a
millisecond however many trials came before, while hyperopt's TPE reads the whole history on
every ask (about 10-20 ms per proposal up to 1,000 trials, 100 ms from 2,000, so ``-n 10000`` of
a trivial cell took minutes), and ``de`` also found better points than TPE with the same number
of trials (301, 350 and 1,000 measured on five problems: ``docs/design/strategies.md``, "Many
trials").  With ``--prune``, ``tpe`` stays: ``de`` ranks pruned trials as failures.
With ``--prune`` (any rule), ``tpe`` where the rules would pick ``gp``: the GP's proposals are
good enough that most of them survive the rungs (each new one tends to beat most earlier
trials at a rung), so pruning saved little; with TPE the rule then the default (ASHA) ran about
half the resource it ran with the GP, for answers as good (``docs/design/pruning.md``, "Defaults,
measured"; since issue 26 the default for curves is Hyperband, measured with TPE too).  The reason says how the model learns from pruned trials.

With ``--warm-start`` (``context.warm``: the earlier trials told before the first ask) the
rules count those trials with the budget (a model learns from them, and the GP fits on them),
and never pick ``grid``, which would not learn from them; the reason says so.

The switching rule (:class:`Auto`), only with a time budget (``-t``; without one, the budget
bounds what the GP costs, and large budgets start with ``de``): before each ask, once
the current strategy has made :data:`WINDOW` asks, auto compares the median time of its
last :data:`WINDOW` asks with the median duration of the last :data:`WINDOW` finished
trials divided by the trials that run at once.  Before that, as soon as :data:`EARLY`
trials have finished, the strategy's :data:`ASK_FLOOR` (the least its proposals cost)
stands in for the measured time, so very cheap trials leave the GP before its first fit.
When the proposals cost more than :data:`SWITCH_RATIO` times the trials, auto hands over to the
next strategy of :data:`CHEAPER`
(``gp`` or ``tpe`` -> ``de``, whose proposals cost a fraction of a millisecond; with
``--prune``, ``gp`` -> ``tpe``, which learns from pruned trials where ``de`` does not).  The new strategy is set up with the same context and
told every finished trial; the trials still pending are told to it when they finish.  The
ladder only goes down and each strategy is judged on a full window of its own asks, so
auto never switches back and forth.  Where the figures come from: ``docs/design/strategies.md``.
"""

from __future__ import annotations

import statistics
import time
from collections import deque
from collections.abc import Callable
from typing import Any

from .._format import plural
from ..core import Trial, TrialState
from ..space import SearchSpace
from .base import Strategy, StrategyContext
from .catalog import load

__all__ = [
    "Auto",
    "choose",
    "pick",
    "GP_MAX_DIMS",
    "GP_MAX_TRIALS",
    "GP_MAX_JOBS",
    "SWITCH_RATIO",
    "WINDOW",
    "CHEAPER",
    "CHEAPER_PRUNED",
    "CHEAPER_MULTI",
    "GP_MAX_DIMS_MULTI",
    "ASK_FLOOR",
    "EARLY",
]

#: Largest number of parameters for which auto picks the GP.
GP_MAX_DIMS = 12
#: Largest budget (total trials) for which auto picks the GP, without a time budget.
GP_MAX_TRIALS = 300
#: Largest number of parallel trials for which auto picks the GP (beyond it, believed
#: pending points outnumber the real ones early in the search).
GP_MAX_JOBS = 8
#: With a time budget, auto moves on when the median proposal takes more than this many
#: times the median trial's duration per worker (duration / trials at once).  Measured on
#: Hartmann6 in 10 s: with proposals 2-3 times as long as the trials the GP still did better
#: than ``de`` (-3.318 against -3.292), at about 10 times they tied, at 20-30 times ``de`` won.
SWITCH_RATIO = 5.0
#: Asks (of the current strategy) and finished trials whose medians the switching rule compares.
WINDOW = 10
#: The least a proposal costs, by strategy, for the early decision: with a time budget, once
#: :data:`EARLY` trials have finished, this stands for the proposals' cost until a window of
#: them is measured, so trials under a fifth of it leave before the first model proposal.  The GP's proposals took 22-430 ms from 6
#: to 25 trials on two loaded cores; 10 ms is a floor for a faster machine, not an estimate.
ASK_FLOOR = {"gp": 0.010}
#: Finished trials the early decision needs.
EARLY = 5
#: The cheaper strategy auto hands over to, by strategy.
CHEAPER = {"gp": "de", "tpe": "de"}
#: The same with ``--prune``: ``de`` ranks pruned trials as failures, so the ladder ends at ``tpe`` (where auto
#: starts with pruning, so it does not switch).
CHEAPER_PRUNED = {"gp": "tpe"}


def choose(space: SearchSpace, context: StrategyContext, clock: Callable[[], float] = time.perf_counter) -> Auto:
    """The ``auto`` strategy, not yet set up; ``setup`` picks what it runs (see :func:`pick`)."""
    return Auto(clock=clock)


def pick(space: SearchSpace, context: StrategyContext) -> tuple[str, str]:
    """The name of the strategy auto starts with for ``space`` and ``context``, and why."""
    goal = context.objectives
    if goal.multi or goal.constraints:
        return _pick_multi(space, context)
    name, why = _pick(space, context)
    rule = context.pruning
    if rule and name in ("gp", "tpe"):
        why += _PRUNED[name].format(prune="--prune" if rule == "auto" else f"--prune {rule}")
    return name, why


_PRUNED = {
    "gp": "; with {prune}, the GP is fitted at one fidelity, the highest step or rung that enough "
    "trials reached (as BOHB does), so pruned trials inform it",
    "tpe": "; with {prune}, TPE ranks each pruned trial by the value it had reached",
}


def _pick(space: SearchSpace, context: StrategyContext) -> tuple[str, str]:
    name, why = _rules(space, context)
    if context.warm and name in ("gp", "tpe", "de"):
        why += f" (counting the {plural(context.warm, 'trial')} told by --warm-start)"
    return name, why


def _rules(space: SearchSpace, context: StrategyContext) -> tuple[str, str]:
    # --warm-start's trials count as trials a model learns from (and a GP fits on), and a grid would not learn from them
    d, budget, jobs = len(space), context.budget + context.warm, max(1, context.jobs)
    timed = context.timeout is not None
    if d == 0:
        return "grid", "there are no tuned parameters, so only the defaults run"
    if _grid_is_the_space(space, context.grid_points) and not context.warm:
        size = space.grid_size(context.grid_points)
        if size <= budget - 1:  # trial 0 runs the defaults
            return "grid", f"all {d} parameters are discrete and the {size}-point grid fits the budget"
    if budget <= max(5, d + 1) + 2:
        return "sobol", f"{budget} trials are too few for a model to learn from {plural(d, 'parameter')}"
    if d <= GP_MAX_DIMS and (timed or budget <= GP_MAX_TRIALS) and jobs <= GP_MAX_JOBS:
        par = f", {jobs} at a time" if jobs > 1 else ""
        if context.pruning:
            return "tpe", (
                f"{plural(d, 'parameter')} and {budget} trials{par} would suit Bayesian optimisation, but "
                "with pruning TPE's proposals let the rule stop more trials early for answers as good"
            )
        if timed and budget > GP_MAX_TRIALS:
            return "gp", (
                f"{plural(d, 'parameter')}{par} suit Bayesian optimisation, and with a time budget "
                "auto moves to a cheaper strategy if proposals come to cost more than the trials"
            )
        return "gp", f"{plural(d, 'parameter')} and {budget} trials{par} suit Bayesian optimisation"
    what = _beyond_the_gp(d, budget, jobs)
    if budget > GP_MAX_TRIALS and not timed and not context.pruning:
        many = (
            f"{budget} trials are too many for a GP or TPE"
            if d <= GP_MAX_DIMS and jobs <= GP_MAX_JOBS
            else f"{what}, and {budget} trials too many for TPE"
        )
        return "de", (
            f"{many}: de's proposals cost a fraction of a millisecond at any number of trials (TPE's grow "
            "with them), and with as many trials it found better points than TPE"
        )
    if timed and not context.pruning:  # with pruning nothing is below tpe on the ladder
        return "tpe", (
            f"{what}, and with a time budget auto moves to a cheaper strategy if proposals come to cost "
            "more than the trials"
        )
    if budget > GP_MAX_TRIALS:  # with --prune: de would rank pruned trials as failures
        return "tpe", f"{what}, and TPE learns from pruned trials, where de, cheaper with many trials, does not"
    return "tpe", f"{what}, and TPE's proposals stay cheap with up to {GP_MAX_TRIALS} trials"


#: The cheaper strategy auto hands over to with several objectives or constraints (a time budget).
CHEAPER_MULTI = {"gp": "evolution"}
#: Largest number of parameters for which auto picks the GP with several objectives or constraints:
#: on ZDT1 with 30 parameters the GP (EHVI) found hypervolumes near the best possible where NSGA-II
#: and Optuna's TPE fell short by a fifth (``docs/design/strategies.md``); more were not measured.
GP_MAX_DIMS_MULTI = 30


def _pick_multi(space: SearchSpace, context: StrategyContext) -> tuple[str, str]:
    """:func:`pick` with several objectives or constraints: the GP where it fits, else NSGA-II.

    The GP's limits are :data:`GP_MAX_DIMS_MULTI` parameters and, as with one objective,
    :data:`GP_MAX_TRIALS` and :data:`GP_MAX_JOBS`; measured: ``docs/design/strategies.md``,
    "Several objectives".
    """
    name, why = _pick(space, context)
    if name in ("grid", "sobol"):  # no parameters, a grid that is the space, or too few trials to learn
        return name, why
    goal = context.objectives
    what = f"{len(goal.objectives)} objectives" if goal.multi else "a constraint"
    d, budget, jobs = len(space), context.budget, max(1, context.jobs)
    if d <= GP_MAX_DIMS_MULTI and (context.timeout is not None or budget <= GP_MAX_TRIALS) and jobs <= GP_MAX_JOBS:
        par = f", {jobs} at a time" if jobs > 1 else ""
        how = (
            "random scalarisations and a model of feasibility"
            if goal.constraints
            else "expected hypervolume improvement"
        )
        return "gp", (
            f"{what}, {plural(d, 'parameter')} and {budget} trials{par} suit Bayesian optimisation "
            f"({how}), which found larger hypervolumes than NSGA-II on the benchmarks"
        )
    beyond = f"{d} parameters are too many for a GP" if d > GP_MAX_DIMS_MULTI else _beyond_the_gp(d, budget, jobs)
    return "evolution", f"{what}, and {beyond}: NSGA-II's proposals stay cheap"


def _beyond_the_gp(d: int, budget: int, jobs: int) -> str:
    """Which of the GP's limits the search is beyond, as the reason says it."""
    if d > GP_MAX_DIMS:
        return f"{d} parameters are too many for a GP"
    if budget > GP_MAX_TRIALS:
        return f"{budget} trials are too many for a GP"
    return f"{jobs} parallel trials are too many for a GP"


def _grid_is_the_space(space: SearchSpace, points: int) -> bool:
    """True when every parameter is discrete and its grid lists all of its values."""
    return space.discrete and all(len(p.distribution.grid(points)) >= p.distribution.cardinality() for p in space)


class Auto(Strategy):
    """The strategy :func:`pick` names, handed over to a cheaper one by the switching rule.

    ``clock`` (seconds, monotonic) times the asks; a test passes a fake one.  ``name`` is
    the strategy running now; ``reason`` says what auto picked, why, and every switch.
    ``switches`` lists them as ``(trial number, from, to, ask seconds, trial seconds)``.
    """

    def __init__(self, clock: Callable[[], float] = time.perf_counter):
        super().__init__()
        self.clock = clock
        self.current: Strategy | None = None
        self.switches: list[tuple[int, str, str, float, float]] = []

    def setup(self, space: SearchSpace, context: StrategyContext) -> None:
        """Pick the strategy for this space and context (and why), and set it up."""
        super().setup(space, context)
        name, why = pick(space, context)
        self.current = self._start(name)
        self.reason = f"auto: {name}, because {why}"
        self._told: list[Trial] = []
        self._asks: deque[float] = deque(maxlen=WINDOW)
        self._durations: deque[float] = deque(maxlen=WINDOW)
        ladder = CHEAPER_PRUNED if context.pruning else CHEAPER
        if context.objectives.multi or context.objectives.constraints:
            ladder = CHEAPER_MULTI
        self._ladder = ladder if context.timeout is not None else {}

    def ask(self, number: int) -> dict[str, Any] | None:
        """The current strategy's proposal, after handing over to a cheaper one when asking costs too much against
        the trials."""
        assert self.current is not None, "Auto.setup must be called first"
        if self._expensive():
            self._switch(number)
        start = self.clock()
        params = self.current.ask(number)
        self._asks.append(self.clock() - start)
        return params

    def tell(self, trial: Trial) -> None:
        """Tell the current strategy, and keep the trial (and its time) for a strategy auto may hand over to."""
        assert self.current is not None, "Auto.setup must be called first"
        self._told.append(trial)  # for a strategy auto hands over to
        if trial.duration > 0 and trial.state is not TrialState.INTERRUPTED:
            self._durations.append(trial.duration)
        self.current.tell(trial)

    def __getattr__(self, attr: str) -> Any:
        """Anything else (a strategy's own attributes) is the current strategy's."""
        current = self.__dict__.get("current")
        if current is None:
            raise AttributeError(attr)
        return getattr(current, attr)

    # -- the switching rule --------------------------------------------------------------

    def _proposal_cost(self) -> tuple[float, bool] | None:
        """What a proposal of the current strategy costs, and whether that was measured (else it
        is the strategy's :data:`ASK_FLOOR`); ``None`` while neither is known."""
        if len(self._asks) >= WINDOW:
            return statistics.median(self._asks), True
        if self.name in ASK_FLOOR:
            return ASK_FLOOR[self.name], False
        return None

    def _expensive(self) -> bool:
        """True when the current strategy has a cheaper successor and its proposals cost more than the trials."""
        cost = self._proposal_cost()
        if self.name not in self._ladder or cost is None:
            return False
        if len(self._durations) < (WINDOW if cost[1] else EARLY):
            return False
        per_worker = statistics.median(self._durations) / max(1, self.context.jobs)
        return cost[0] > SWITCH_RATIO * per_worker

    def _switch(self, number: int) -> None:
        old, new = self.name, self._ladder[self.name]
        (ask, measured), trial = self._proposal_cost() or (0.0, False), statistics.median(self._durations)
        self.switches.append((number, old, new, ask, trial))
        self.current = self._start(new)
        for told in self._told:
            self.current.tell(told)
        self._asks.clear()
        jobs = "" if self.context.jobs <= 1 else f" ({self.context.jobs} at a time)"
        why = (
            f"proposals took {_ms(ask)}, trials {_ms(trial)}{jobs}"
            if measured
            else f"trials took {_ms(trial)}{jobs}, and a {old} proposal costs at least {_ms(ask)}"
        )
        self.reason += f"; auto switched from {old} to {new} at trial {number}: {why}"

    def _start(self, name: str) -> Strategy:
        strategy = load(name)()
        strategy.setup(self.space, self.context)
        self.name = strategy.name
        return strategy


def _ms(seconds: float) -> str:
    """``85 ms``, ``0.4 ms``, ``2.1 s``."""
    if seconds >= 1:
        return f"{seconds:.1f} s"
    ms = seconds * 1e3
    return f"{ms:.0f} ms" if ms >= 10 else f"{ms:.2g} ms"
