"""The search loop: ask -> run -> tell, with the budget, failures and interrupts.

The loop is written for trials that run concurrently: it keeps up to
``executor.capacity`` trials in flight, asks the strategy while others are pending, and
tells results in the order they arrive.  Every trial is recorded in the store when it
starts and when it ends, so a persistent store loses nothing on a crash.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from .execution import Outcome
from .result import Trial, TrialState, TuneResult
from .space import SearchSpace
from .strategies.base import StrategyContext

__all__ = ["Progress", "Runner", "SearchError", "TrialsFailedError", "FAILURE_WINDOW"]

#: When this many trials have finished and every one failed, the search stops: the cell
#: most likely has a bug, and the remaining budget would only repeat the same traceback.
FAILURE_WINDOW = 3


class TrialsFailedError(RuntimeError):
    """The first trials all failed; ``result`` holds them and ``first_error`` the first traceback."""

    def __init__(self, result: TuneResult):
        self.result = result
        first = next(t for t in result.trials if t.state is TrialState.FAILED)
        self.first_error = first.error
        what = "the defaults" if first.number == 0 and result.has_baseline else "its parameters"
        n = sum(1 for t in result.trials if t.state is TrialState.FAILED)
        super().__init__(
            f"the first {n} trials all failed, so the search stopped: this looks like a bug in the cell "
            f"rather than a bad region of the search space. Fix the cell (it should run on its own "
            f"with its defaults) and run it again.\n\nFirst failure, trial {first.number} ({what}: "
            f"{_params_text(first.params)}):\n{first.error.rstrip()}"
        )


class SearchError(RuntimeError):
    """The search could not go on (for example, the strategy raised); ``result`` keeps what finished."""

    def __init__(self, result: TuneResult):
        self.result = result
        super().__init__(f"the search stopped after {len(result.completed)} completed trials: {result.error}")


def _params_text(params: dict[str, Any]) -> str:
    return ", ".join(f"{k}={v!r}" for k, v in params.items()) or "no parameters"


@dataclass
class Progress:
    """A snapshot for displays, made after every change."""

    total: int
    finished: int = 0
    running: int = 0
    failed: int = 0
    best: Trial | None = None
    elapsed: float = 0.0
    last: Trial | None = None
    status: str = "running"  # running, done, interrupted, failed

    @property
    def remaining_seconds(self) -> float | None:
        if self.finished == 0:
            return None
        return self.elapsed / self.finished * max(self.total - self.finished, 0)


class NullReporter:
    def start(self, runner: Runner) -> None: ...
    def update(self, progress: Progress) -> None: ...
    def close(self, progress: Progress, result: TuneResult | None) -> None: ...


@dataclass
class Runner:
    space: SearchSpace
    strategy: Any
    context: StrategyContext
    store: Any
    executor: Any
    reporter: Any = field(default_factory=NullReporter)
    baseline: bool = True
    timeout: float | None = None
    metric: str = "objective"
    strategy_name: str = ""
    seed: int | None = None
    notes: tuple[str, ...] = ()
    study: str | None = None

    def run(self) -> TuneResult:
        start = time.perf_counter()
        budget = self.context.budget
        better = (lambda a, b: a > b) if self.context.direction == "maximize" else (lambda a, b: a < b)
        progress = Progress(total=budget)
        running: dict[int, Trial] = {}
        stop_reason, error = "budget", ""
        failed_streak_open = True  # True while every finished trial so far has failed

        def learn(trial: Trial) -> None:
            # Every finished trial, including those this run did not start: stored before it
            # (a resumed study) or finished by another process sharing the study.  The
            # strategy learns from it, and it counts toward -n.
            nonlocal failed_streak_open
            self.strategy.tell(trial)
            progress.finished += 1
            if trial.state is TrialState.FAILED:
                progress.failed += 1
            elif trial.state is TrialState.COMPLETE:
                failed_streak_open = False
                if progress.best is None or better(trial.value, progress.best.value):
                    progress.best = trial

        def finish(trial: Trial) -> None:
            self.store.put(trial)
            progress.last = trial
            learn(trial)

        self.reporter.start(self)
        spent = False  # the store holds the whole budget (this run's trials and any stored ones)
        try:
            for trial in self.store.trials():
                if trial.state in (TrialState.COMPLETE, TrialState.FAILED, TrialState.PRUNED):
                    learn(trial)
            while True:
                while len(running) < self.executor.capacity and not spent:
                    if self.timeout is not None and time.perf_counter() - start >= self.timeout:
                        stop_reason = "timeout"
                        break
                    for trial in self.store.poll():
                        learn(trial)
                    # Interrupted trials do not count toward the budget, so a resumed study runs them again.
                    number = self.store.reserve(budget)
                    if number is None:
                        spent = True
                        break
                    if self.baseline and number == 0:
                        params = self.space.defaults()
                    else:
                        params = self.strategy.ask(number)
                        if params is None:
                            self.store.release(number)
                            stop_reason = "exhausted"
                            break
                    trial = Trial(number=number, params=params, started=time.time())
                    self.store.put(trial)
                    running[number] = trial
                    self.executor.submit(number, params)
                    progress.running = len(running)
                    progress.elapsed = time.perf_counter() - start
                    self.reporter.update(progress)
                if not running:
                    break
                for outcome in self.executor.wait():
                    finish(_record(running.pop(outcome.number), outcome))
                progress.running = len(running)
                progress.elapsed = time.perf_counter() - start
                self.reporter.update(progress)
                if failed_streak_open and progress.finished >= min(FAILURE_WINDOW, budget) and progress.failed == progress.finished:
                    stop_reason = "failures"
                    self._abandon(running, "cancelled: the first trials all failed")
                    break
        except KeyboardInterrupt:
            stop_reason = "interrupted"
            self._abandon(running, "interrupted by the user")
        except Exception as exc:  # a strategy or store failed: keep what finished, then report
            stop_reason, error = "error", f"{type(exc).__name__}: {exc}"
            self._abandon(running, f"the search stopped: {error}")
        finally:
            self.executor.close()

        progress.elapsed = time.perf_counter() - start
        progress.running = 0
        progress.status = {"interrupted": "interrupted", "failures": "failed", "error": "failed"}.get(stop_reason, "done")
        result = TuneResult(
            trials=tuple(self.store.trials()),
            space=self.space,
            direction=self.context.direction,
            metric=self.metric,
            strategy=self.strategy_name or getattr(self.strategy, "name", type(self.strategy).__name__),
            strategy_reason=getattr(self.strategy, "reason", ""),
            seed=self.seed,
            elapsed=progress.elapsed,
            stop_reason=stop_reason,
            budget=budget,
            notes=self.notes,
            study=self.study,
            has_baseline=self.baseline,
            error=error,
        )
        try:
            self.reporter.close(progress, result)
        except KeyboardInterrupt:
            pass  # a second press of "stop" while the summary draws must not lose the result
        return result

    def _abandon(self, running: dict[int, Trial], why: str) -> None:
        """Record every trial still in flight as interrupted (the search is ending: no tell)."""
        self.executor.cancel()
        for trial in running.values():
            self.store.put(trial.finish(state=TrialState.INTERRUPTED, duration=time.time() - trial.started, error=why))
        running.clear()


def _record(trial: Trial, outcome: Outcome) -> Trial:
    return trial.finish(
        state=outcome.state,
        value=outcome.value,
        metrics=outcome.metrics,
        duration=outcome.duration,
        stdout=outcome.stdout,
        stderr=outcome.stderr,
        warnings=outcome.warnings,
        error=outcome.error,
    )
