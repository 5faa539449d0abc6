"""The search loop: ask -> run -> tell, with the budget, failures, a timeout and interrupts.

The loop is written for trials that run concurrently: it keeps up to
``executor.capacity`` trials in flight, asks the strategy while others are pending, and
tells results in the order they arrive.  Every trial is recorded in the store when it
starts and when it ends, so a persistent store loses nothing on a crash.  The parts it
drives are described in :mod:`hpmagic.protocols`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from . import enqueue, interrupts, warmstart
from .core import Direction, StopReason, Trial, TrialState
from .objectives import Goal
from .protocols import NullReporter, Progress, Reporter, SearchInfo, Strategy, TrialExecutor, TrialStore
from .result import TuneResult

if TYPE_CHECKING:
    from .pruning.service import PruningService
    from .space import SearchSpace

__all__ = ["SearchPlan", "Runner", "TrialPath", "search_result", "reports_note", "FAILURE_WINDOW"]

#: When this many trials have finished and every one failed, the search stops: the cell
#: most likely has a bug, and the remaining budget would only repeat the same traceback.
FAILURE_WINDOW = 3


@dataclass(frozen=True)
class SearchPlan:
    """What a search is: its space, budget and direction, and what its result reports."""

    space: SearchSpace
    budget: int
    direction: Direction = Direction.MINIMIZE
    metric: str = "objective"
    baseline: bool = True  # trial 0 runs the defaults
    timeout: float | None = None  # start no trial after this many seconds
    seed: int | None = None
    notes: tuple[str, ...] = ()
    study: str | None = None
    direction_reason: str = ""  # why this direction ("maximizing: the cell returns ...")
    goal: Goal | None = None  # several objectives, or constraints (None: one objective in `direction`)
    pick: str | None = None  # --pick: with several objectives, the one whose best front trial is bound
    enqueued: tuple[dict, ...] = ()  # --enqueue: whole configurations run after the defaults, each once
    warm: tuple[Trial, ...] = ()  # --warm-start: an earlier study's trials, told before the first ask (not run)


class TrialPath:
    """The way every trial goes through a search's parts, whoever decides what runs (the
    :class:`Runner`'s loop, or a click of ``--strategy manual``): recorded as running, handed to
    the executor, collected, recorded as finished; or, when the search ends first, recorded
    as interrupted.  ``running`` holds the trials in flight, by number."""

    def __init__(self, store: TrialStore, executor: TrialExecutor):
        self.store, self.executor = store, executor
        self.running: dict[int, Trial] = {}

    def start(self, number: int, params: dict, pruning: dict | None = None) -> Trial:
        """Record trial ``number`` as running with ``params`` and submit it to the executor."""
        trial = Trial(number=number, params=params, started=time.time(), pruning=pruning or {})
        self.store.put(trial)
        self.running[number] = trial
        self.executor.submit(number, params)
        return trial

    def collect(self) -> Iterator[Trial]:
        """Wait for trials to end and record each, completed from its running record (the start
        time of a record the executor made itself, the pruning bracket assigned at the start)."""
        for trial in self.executor.wait():
            running = self.running.pop(trial.number)
            if not trial.started:  # a record the executor made itself (a worker that died)
                trial = trial.finish(started=running.started)
            if running.pruning:  # the bracket assigned when it started
                trial = trial.finish(pruning={**running.pruning, **trial.pruning})
            self.store.put(trial)
            yield trial

    def abandon(self, why: str) -> None:
        """Cancel the executor's work and record every trial still in flight as interrupted."""
        self.executor.cancel()
        for trial in self.running.values():
            self.store.put(trial.finish(state=TrialState.INTERRUPTED, duration=time.time() - trial.started, error=why))
        self.running.clear()


def reports_note(trials: list[Trial], direction: Direction) -> tuple[str, ...]:
    """Without ``--prune``: whether the cell's reports went against its objective (see
    :mod:`hpmagic.pruning.agreement`)."""
    if not any(t.curve for t in trials):
        return ()
    from .pruning.agreement import check

    found = check(trials, direction)
    return () if found is None else (found.text(),)


def search_result(
    plan: SearchPlan,
    trials: list[Trial],
    *,
    strategy: str,
    reason: str,
    elapsed: float,
    stop: StopReason,
    notes: tuple[str, ...],
    budget: int | None = None,
    error: str = "",
) -> TuneResult:
    """The result of a search of ``plan`` that ran ``trials``: ``notes`` are added to the plan's,
    ``budget`` (default: the plan's) is what the summary counts against."""
    return TuneResult(
        trials=tuple(trials),
        space=plan.space,
        direction=plan.direction,
        direction_reason=plan.direction_reason,
        metric=plan.metric,
        strategy=strategy,
        strategy_reason=reason,
        seed=plan.seed,
        elapsed=elapsed,
        stop_reason=stop,
        budget=plan.budget if budget is None else budget,
        notes=plan.notes + notes,
        study=plan.study,
        has_baseline=plan.baseline,
        error=error,
        goal=plan.goal,
        pick_rule=plan.pick or "",
    )


@dataclass
class Runner:
    """Runs one search of ``plan`` with these parts; :meth:`loop` runs it and returns the result."""

    plan: SearchPlan
    strategy: Strategy
    store: TrialStore
    executor: TrialExecutor
    reporter: Reporter = field(default_factory=NullReporter)
    clock: Callable[[], float] = time.perf_counter
    pruning: PruningService | None = None  # --prune: the rule's decisions, told every finished trial

    def loop(self) -> TuneResult:
        """Run the search to its end; whatever happens, finished trials are in the result."""
        self._start = self.clock()
        self._progress = Progress(total=self.plan.budget, baseline=self.plan.baseline)
        self._path = TrialPath(self.store, self.executor)
        self._running = self._path.running
        self._stop: StopReason | None = None  # set once no new trial may start
        self._all_failed = True  # every trial finished so far has failed
        goal = self.plan.goal
        # only feasible trials may be the best so far; with several objectives there is none (no one
        # value says which is best: the live panel shows no "best", the summary the front)
        self._feasible = goal.feasible if goal is not None and goal.constraints else None
        self._multi = goal is not None and goal.multi
        self.reporter.start(self._info())
        error = ""
        try:
            for trial in self.plan.warm:  # not trials of this search: not counted, shown or stored
                self.strategy.tell(trial)
            stored = self.store.trials()
            for trial in stored:
                if trial.state.counted:
                    self._learn(trial)
            self._progress.resumed = self._progress.finished  # they took no time of this run
            if self.pruning is not None:
                self.pruning.resume(stored)  # brackets and rungs go on where the study left them
            # A stop or crash during a resumed study's trial 0: run the defaults again, as trial 0.
            self._rerun_baseline = self.plan.baseline and any(
                t.number == 0 and t.state is TrialState.INTERRUPTED for t in stored
            )
            self._queue = enqueue.pending(self.plan.enqueued, stored)  # those the study does not hold yet
            plan = self.plan  # then the earlier study's best (--warm-start), unless it ran or is one of those
            best = warmstart.first(plan.warm, plan.direction, plan.goal, [plan.space.defaults(), *plan.enqueued])
            self._queue += [(-1, c) for _, c in enqueue.pending(best, stored)]
            stop = self._loop()
        except KeyboardInterrupt:
            stop = StopReason.INTERRUPTED
            self._abandon("interrupted by the user")
        except Exception as exc:  # a strategy or the store failed: keep what finished, then report
            stop, error = StopReason.ERROR, f"{type(exc).__name__}: {exc}"
            self._abandon(f"the search stopped: {error}")
        finally:
            interrupts.shield()  # the search is over: a press now must not lose its result
            self.executor.close()
        return self._finish(stop, error)

    # -- the loop, in steps --------------------------------------------------------------

    def _loop(self) -> StopReason:
        while True:
            self._fill()
            if not self._running:
                return self._stop or StopReason.BUDGET
            self._collect()
            if self._failing():
                self._abandon("cancelled: the first trials all failed")
                return StopReason.FAILURES

    def _fill(self) -> None:
        """Start trials until the executor is full or no new trial may start."""
        while self._stop is None and len(self._running) < self.executor.capacity:
            if self.plan.timeout is not None and self.clock() - self._start >= self.plan.timeout:
                self._stop = StopReason.TIMEOUT
                return
            for trial in self.store.poll():  # trials another process sharing the study finished
                if self.pruning is not None:
                    self.pruning.finish(trial)
                self._learn(trial)
            # Interrupted trials do not count toward the budget, so a resumed study runs them again.
            number = self._reserve()
            if number is None:
                self._stop = StopReason.BUDGET
                return
            params, mark = self._params(number)
            if params is None:
                self.store.release(number)
                self._stop = StopReason.EXHAUSTED
                return
            pruning = {**(self.pruning.assign(number) if self.pruning is not None else {}), **mark}
            self._progress.running_since[number] = self.clock() - self._start
            self._path.start(number, params, pruning)
            self._report()

    def _reserve(self) -> int | None:
        if self._rerun_baseline:
            self._rerun_baseline = False
            if self.store.reclaim(0, self.plan.budget):  # False: another process sharing the study took it
                return 0
        return self.store.reserve(self.plan.budget)

    def _params(self, number: int) -> tuple[dict | None, dict]:
        """Trial ``number``'s configuration and its mark: the defaults (trial 0), then the enqueued
        configurations in order (marked with their index), then the strategy's proposals."""
        if self.plan.baseline and number == 0:
            return self.plan.space.defaults(), {}
        if self._queue:
            index, config = self._queue.pop(0)
            return dict(config), {enqueue.MARK: index} if index >= 0 else {warmstart.MARK: True}
        return self.strategy.ask(number), {}

    def _collect(self) -> None:
        """Wait for trials to end; record them and tell the strategy."""
        for trial in self._path.collect():
            self._progress.running_since.pop(trial.number, None)
            self._progress.last_finish = self.clock() - self._start
            self._progress.last = trial
            if self.pruning is not None:
                self.pruning.finish(trial)
            self._learn(trial)
        self._report()

    def _learn(self, trial: Trial) -> None:
        """Every finished trial, including those this run did not start (stored before it, or
        finished by another process sharing the study): the strategy learns from it, and it
        counts toward the budget."""
        progress = self._progress
        self.strategy.tell(trial)
        progress.finished += 1
        progress.trials.append(trial)
        if trial.state is TrialState.FAILED:
            progress.failed += 1
        elif trial.state is TrialState.COMPLETE:
            self._all_failed = False
            if self._multi or (self._feasible is not None and not self._feasible(trial)):
                return
            if progress.best is None or self.plan.direction.better(trial.value, progress.best.value):  # type: ignore[arg-type]
                progress.best = trial

    def _failing(self) -> bool:
        """True when the first trials all failed: a bug in the cell, not a bad region.  Never while
        the defaults (trial 0) still run: with ``--jobs``, other trials can fail before the cell's
        own values have had their chance."""
        window = min(FAILURE_WINDOW, self.plan.budget)
        if self.plan.baseline and 0 in self._running:
            return False
        return (
            self._all_failed and self._progress.finished >= window and self._progress.failed == self._progress.finished
        )

    def _abandon(self, why: str) -> None:
        """Record every trial still in flight as interrupted (the search is ending: no tell)."""
        self._path.abandon(why)
        self._progress.running_since.clear()

    def _report(self) -> None:
        if self.pruning is not None:
            self._progress.running_curves = self.pruning.running_curves()
        self._progress.running = len(self._running)
        self._progress.elapsed = self.clock() - self._start
        self.reporter.update(self._progress)

    # -- the result ----------------------------------------------------------------------

    def _info(self) -> SearchInfo:
        plan = self.plan
        return SearchInfo(
            budget=plan.budget,
            direction=plan.direction,
            metric=plan.metric,
            strategy=self._strategy_name(),
            study=plan.study,
        )

    def _strategy_name(self) -> str:
        return getattr(self.strategy, "name", "") or type(self.strategy).__name__

    def _finish(self, stop: StopReason, error: str) -> TuneResult:
        plan, progress = self.plan, self._progress
        progress.elapsed = self.clock() - self._start
        progress.running = 0
        progress.status = stop.progress_status
        trials = self.store.trials()
        notes = self.pruning.notes() if self.pruning is not None else reports_note(trials, plan.direction)
        notes += enqueue.notes(plan.enqueued, trials) + warmstart.notes(trials)
        result = search_result(
            plan,
            trials,
            strategy=self._strategy_name(),
            reason=getattr(self.strategy, "reason", ""),
            elapsed=progress.elapsed,
            stop=stop,
            notes=notes,
            error=error,
        )
        try:
            self.reporter.close(progress, result)
        except KeyboardInterrupt:
            pass  # without a guard (a search started from a thread): a press must not lose the result
        return result
