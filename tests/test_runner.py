"""The runner's loop, driven by a fake strategy, a fake store and a fake executor.

No IPython, no cell, no worker: plain classes that speak the protocols of
:mod:`hpmagic.protocols` and write down every call, so each test pins one rule of the
loop (the failure window, the budget, exhaustion, the timeout, an interrupt, a failing
strategy, a resumed study) by what the runner asked of its parts.

Two helpers know the runner's API; everything else goes through them:

- :func:`make_runner` builds a runner from the fakes;
- :func:`finished` makes the record an executor's ``wait()`` returns for a finished trial.

When the runner's constructor or the executor's record changes, edit those two.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest

from hpmagic.core import StopReason, Trial, TrialState
from hpmagic.space import Int, Parameter, SearchSpace

SPACE = SearchSpace((Parameter("x", Int(0, 100), default=7),))


# ---------------------------------------------------------------------------------------
# The two helpers that know the runner's API
# ---------------------------------------------------------------------------------------


def make_runner(
    *,
    strategy: FakeStrategy,
    store: FakeStore,
    executor: FakeExecutor,
    budget: int,
    baseline: bool = False,
    timeout: float | None = None,
    maximize: bool = False,
    reporter: FakeReporter | None = None,
    clock: Callable[[], float] | None = None,
    monkeypatch: pytest.MonkeyPatch | None = None,
) -> Any:
    """A runner over the fakes; ``clock`` is the runner's clock (``time.perf_counter`` by default)."""
    from hpmagic.core import Direction
    from hpmagic.runner import Runner, SearchPlan

    plan = SearchPlan(space=SPACE, budget=budget, direction=Direction.of(maximize), baseline=baseline, timeout=timeout)
    return Runner(
        plan,
        strategy,
        store,
        executor,
        reporter if reporter is not None else FakeReporter(),
        clock=clock if clock is not None else time.perf_counter,
    )


def finished(
    number: int, params: dict[str, Any], state: TrialState, value: float | None = None, error: str = ""
) -> Any:
    """What an executor's ``wait()`` returns for a finished trial: a finished
    :class:`~hpmagic.core.Trial` (``started`` left for the runner to fill)."""
    return Trial(number=number, params=params, state=state, value=value, duration=1.0, error=error)


# ---------------------------------------------------------------------------------------
# The fakes (each writes its calls to a shared log)
# ---------------------------------------------------------------------------------------


class FakeStrategy:
    """Proposes ``{"x": number}``; ``None`` after ``exhaust_after`` asks; raises on ask
    number ``raise_on_ask`` (1-based) or on tell number ``raise_on_tell``."""

    name = "fake"
    reason = "for the tests"

    def __init__(
        self,
        log: list,
        exhaust_after: int | None = None,
        raise_on_ask: int | None = None,
        raise_on_tell: int | None = None,
        interrupt_on_ask: int | None = None,
    ):
        self.log = log
        self.exhaust_after = exhaust_after
        self.raise_on_ask = raise_on_ask
        self.raise_on_tell = raise_on_tell
        self.interrupt_on_ask = interrupt_on_ask
        self.asked: list[int] = []
        self.told: list[Trial] = []

    def ask(self, number: int) -> dict[str, Any] | None:
        self.asked.append(number)
        self.log.append(("ask", number))
        if self.raise_on_ask == len(self.asked):
            raise RuntimeError("the strategy broke")
        if self.interrupt_on_ask == len(self.asked):
            raise KeyboardInterrupt
        if self.exhaust_after is not None and len(self.asked) > self.exhaust_after:
            return None
        return {"x": number}

    def tell(self, trial: Trial) -> None:
        self.told.append(trial)
        self.log.append(("tell", trial.number, trial.state))
        if self.raise_on_tell == len(self.told):
            raise RuntimeError("the strategy could not learn")


class FakeStore:
    """The in-memory store's rules: numbers in order; ``reserve(limit)`` refuses once
    ``limit`` numbers are out that are neither released nor interrupted.  ``stored``
    trials are there before the search (a resumed study); ``refuse_after`` makes it
    refuse after that many reservations (other processes took the rest)."""

    def __init__(self, log: list, stored: tuple[Trial, ...] = (), refuse_after: int | None = None):
        self.log = log
        self.records: dict[int, Trial] = {t.number: t for t in stored}
        self.next = max(self.records, default=-1) + 1
        self.released: list[int] = []
        self.limits: list[int | None] = []
        self.reservations = 0
        self.refuse_after = refuse_after
        self.puts: list[Trial] = []

    def _counted(self) -> int:
        interrupted = sum(1 for t in self.records.values() if t.state is TrialState.INTERRUPTED)
        return self.next - interrupted

    def reserve(self, limit: int | None = None) -> int | None:
        self.limits.append(limit)
        self.log.append(("reserve", limit))
        if self.refuse_after is not None and self.reservations >= self.refuse_after:
            return None
        if limit is not None and self._counted() >= limit:
            return None
        self.reservations += 1
        number = self.next
        self.next += 1
        return number

    def reclaim(self, number: int, limit: int | None = None) -> bool:
        self.log.append(("reclaim", number, limit))
        held = self.records.get(number)
        if held is None or held.state is not TrialState.INTERRUPTED or (limit is not None and self._counted() >= limit):
            return False
        del self.records[number]  # the runner records it as running again
        return True

    def release(self, number: int) -> None:
        self.released.append(number)
        self.log.append(("release", number))
        if number == self.next - 1:
            self.next -= 1

    def put(self, trial: Trial) -> None:
        self.puts.append(trial)
        self.log.append(("put", trial.number, trial.state))
        self.records[trial.number] = trial

    def trials(self) -> list[Trial]:
        return [self.records[n] for n in sorted(self.records)]

    def poll(self) -> list[Trial]:
        return []

    def close(self, result: Any = None) -> None:
        self.log.append(("store close",))


class FakeExecutor:
    """Holds up to ``capacity`` trials; each ``wait()`` finishes one, the first in
    ``order`` (by default the lowest number).  ``failing`` trials fail, the others complete
    with ``value = x``.  ``interrupt_on_wait`` (1-based) raises KeyboardInterrupt there.
    ``clock`` advances by ``seconds_per_trial`` whenever a trial finishes."""

    def __init__(
        self,
        log: list,
        capacity: int = 1,
        failing: set[int] | frozenset[int] = frozenset(),
        order: list[int] | None = None,
        interrupt_on_wait: int | None = None,
        clock: FakeClock | None = None,
        seconds_per_trial: float = 10.0,
    ):
        self.log = log
        self.capacity = capacity
        self.failing = set(failing)
        self.order = order or []
        self.interrupt_on_wait = interrupt_on_wait
        self.clock = clock
        self.seconds_per_trial = seconds_per_trial
        self.pending: dict[int, dict[str, Any]] = {}
        self.submitted: list[int] = []
        self.waits = 0
        self.cancelled: list[int] = []
        self.closed = 0

    def submit(self, number: int, params: dict[str, Any]) -> None:
        assert len(self.pending) < self.capacity, (
            f"submit({number}) with {sorted(self.pending)} in flight (capacity {self.capacity})"
        )
        assert not self.closed, f"submit({number}) after close()"
        self.pending[number] = params
        self.submitted.append(number)
        self.log.append(("submit", number))

    def _next(self) -> int:
        for number in self.order:
            if number in self.pending:
                return number
        return min(self.pending)

    def wait(self) -> list[Any]:
        self.waits += 1
        self.log.append(("wait",))
        assert self.pending, "wait() with no trial in flight"
        if self.interrupt_on_wait == self.waits:
            raise KeyboardInterrupt
        number = self._next()
        params = self.pending.pop(number)
        if self.clock is not None:
            self.clock.now += self.seconds_per_trial
        if number in self.failing:
            return [finished(number, params, TrialState.FAILED, error=f"Traceback: trial {number} failed\n")]
        return [finished(number, params, TrialState.COMPLETE, value=float(params["x"]))]

    def cancel(self) -> list[int]:
        numbers = sorted(self.pending)
        self.cancelled.extend(numbers)
        self.pending.clear()
        self.log.append(("cancel", numbers))
        return numbers

    def close(self) -> None:
        self.closed += 1
        self.log.append(("close",))


class FakeReporter:
    def __init__(self) -> None:
        self.starts = 0
        self.info: Any = None
        self.updates: list[Any] = []
        self.closes: list[tuple[Any, Any]] = []

    def start(self, info: Any) -> None:
        self.starts += 1
        self.info = info

    def update(self, progress: Any) -> None:
        self.updates.append(progress)

    def close(self, progress: Any, result: Any) -> None:
        self.closes.append((progress, result))


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def states(store: FakeStore) -> dict[int, str]:
    """Trial number -> final state, as the store holds them."""
    return {t.number: str(t.state) for t in store.trials()}


def assert_states(store: FakeStore, expected: dict[int, str], why: str = "") -> None:
    got = states(store)
    assert got == expected, f"the store holds trials {got}, expected {expected}" + (f": {why}" if why else "")


def assert_closed_once(executor: FakeExecutor) -> None:
    assert executor.closed == 1, f"the executor was closed {executor.closed} times, not once"


def complete(number: int, value: float) -> Trial:
    return Trial(number=number, params={"x": number}, state=TrialState.COMPLETE, value=value, started=1.0)


def failed(number: int) -> Trial:
    return Trial(number=number, params={"x": number}, state=TrialState.FAILED, error="Traceback: old\n", started=1.0)


def interrupted(number: int) -> Trial:
    return Trial(number=number, params={"x": number}, state=TrialState.INTERRUPTED, error="interrupted", started=1.0)


# ---------------------------------------------------------------------------------------
# The failure window
# ---------------------------------------------------------------------------------------


def test_three_failures_first_stop_the_search_and_record_running_trials_interrupted():
    log: list = []
    store, strategy = FakeStore(log), FakeStrategy(log)
    executor = FakeExecutor(log, capacity=2, failing=set(range(10)))
    result = make_runner(strategy=strategy, store=store, executor=executor, budget=10).loop()
    assert result.stop_reason == StopReason.FAILURES
    # 0, 1, 2 failed; 3 was in flight when the third failure arrived.
    assert_states(store, {0: "failed", 1: "failed", 2: "failed", 3: "interrupted"})
    assert executor.cancelled == [3], f"the trials in flight were not cancelled: {executor.cancelled}"
    assert [t.number for t in strategy.told] == [0, 1, 2], "interrupted trials must not be told"
    assert store.records[3].error, "the interrupted trial's record should say why it stopped"
    assert_closed_once(executor)


def test_the_window_counts_the_first_trials_to_finish_not_the_lowest_numbers():
    log: list = []
    store, strategy = FakeStore(log), FakeStrategy(log)
    # Trial 0 (no baseline: a proposal like any other) would succeed but is slow: 1, 2 and 3 fail first
    # (4 and 5 start meanwhile).
    executor = FakeExecutor(log, capacity=4, failing={1, 2, 3}, order=[1, 2, 3, 0])
    result = make_runner(strategy=strategy, store=store, executor=executor, budget=10).loop()
    assert result.stop_reason == StopReason.FAILURES
    expected = {0: "interrupted", 1: "failed", 2: "failed", 3: "failed", 4: "interrupted", 5: "interrupted"}
    assert_states(store, expected)
    assert_closed_once(executor)


def test_failures_while_the_defaults_still_run_do_not_stop_the_search():
    """Trial 0 (the cell's own values) is slow and succeeds; 1, 2 and 3 fail first (with --jobs): the
    search waits for the defaults before it calls the cell broken, and goes on."""
    log: list = []
    store, strategy = FakeStore(log), FakeStrategy(log)
    executor = FakeExecutor(log, capacity=4, failing={1, 2, 3}, order=[1, 2, 3, 0])
    result = make_runner(strategy=strategy, store=store, executor=executor, budget=10, baseline=True).loop()
    assert result.stop_reason == StopReason.BUDGET
    assert states(store)[0] == "complete" and len(states(store)) == 10
    assert_closed_once(executor)


@pytest.mark.parametrize("success", [0, 1, 2])
def test_a_success_among_the_first_three_keeps_the_search_going(success):
    log: list = []
    store, strategy = FakeStore(log), FakeStrategy(log)
    executor = FakeExecutor(log, failing=set(range(10)) - {success})
    result = make_runner(strategy=strategy, store=store, executor=executor, budget=10).loop()
    assert result.stop_reason == StopReason.BUDGET, (
        f"trial {success} succeeded, yet the search stopped: {result.stop_reason}"
    )
    assert sorted(states(store)) == list(range(10))
    assert list(states(store).values()).count("complete") == 1
    assert_closed_once(executor)


def test_failures_after_a_success_never_stop_the_search():
    log: list = []
    store, strategy = FakeStore(log), FakeStrategy(log)
    executor = FakeExecutor(log, failing=set(range(1, 8)))
    result = make_runner(strategy=strategy, store=store, executor=executor, budget=8).loop()
    assert result.stop_reason == StopReason.BUDGET
    assert len(store.trials()) == 8


@pytest.mark.parametrize("budget", [1, 2])
def test_with_a_budget_under_three_the_window_is_the_budget(budget):
    log: list = []
    store, strategy = FakeStore(log), FakeStrategy(log)
    executor = FakeExecutor(log, failing=set(range(10)))
    result = make_runner(strategy=strategy, store=store, executor=executor, budget=budget).loop()
    assert result.stop_reason == StopReason.FAILURES, (
        f"all {budget} trials of a budget of {budget} failed, but the stop reason is {result.stop_reason!r}"
    )
    assert_states(store, dict.fromkeys(range(budget), "failed"))


# ---------------------------------------------------------------------------------------
# The budget
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("capacity", [1, 3])
def test_exactly_the_budget_is_run(capacity):
    log: list = []
    store, strategy = FakeStore(log), FakeStrategy(log)
    executor = FakeExecutor(log, capacity=capacity)
    result = make_runner(strategy=strategy, store=store, executor=executor, budget=5).loop()
    assert result.stop_reason == StopReason.BUDGET
    assert_states(store, dict.fromkeys(range(5), "complete"))
    assert strategy.asked == [0, 1, 2, 3, 4]
    assert executor.submitted == [0, 1, 2, 3, 4]
    assert set(store.limits) == {5}, f"the runner should reserve with the budget as the limit, not {set(store.limits)}"
    assert len(result.trials) == 5
    assert_closed_once(executor)


def test_the_defaults_are_trial_zero_with_a_baseline():
    log: list = []
    store, strategy = FakeStore(log), FakeStrategy(log)
    executor = FakeExecutor(log)
    result = make_runner(strategy=strategy, store=store, executor=executor, budget=3, baseline=True).loop()
    assert result.stop_reason == StopReason.BUDGET
    assert strategy.asked == [1, 2], "trial 0 runs the cell's defaults, so the strategy is not asked for it"
    assert store.records[0].params == {"x": 7}
    assert [t.number for t in strategy.told] == [0, 1, 2], "the strategy learns from the defaults' trial too"


def test_interrupted_trials_of_a_resumed_study_do_not_count():
    log: list = []
    store = FakeStore(log, stored=(complete(0, 5.0), interrupted(1)))
    strategy = FakeStrategy(log)
    executor = FakeExecutor(log)
    result = make_runner(strategy=strategy, store=store, executor=executor, budget=3).loop()
    assert result.stop_reason == StopReason.BUDGET
    # One stored trial counts, so two more run; the interrupted one is kept as it was.
    assert executor.submitted == [2, 3], f"expected trials 2 and 3 to run, got {executor.submitted}"
    assert_states(store, {0: "complete", 1: "interrupted", 2: "complete", 3: "complete"})
    assert [t.number for t in strategy.told] == [0, 2, 3], "an interrupted trial is not told"


def test_a_store_that_refuses_a_number_ends_the_search_on_the_budget():
    log: list = []
    store = FakeStore(log, refuse_after=2)  # another process took the rest of the budget
    strategy, executor = FakeStrategy(log), FakeExecutor(log, capacity=2)
    result = make_runner(strategy=strategy, store=store, executor=executor, budget=10).loop()
    assert result.stop_reason == StopReason.BUDGET
    assert_states(store, {0: "complete", 1: "complete"}, "the trials in flight finish normally")
    assert strategy.asked == [0, 1]
    assert_closed_once(executor)


# ---------------------------------------------------------------------------------------
# Exhaustion, timeout, interrupt, errors
# ---------------------------------------------------------------------------------------


def test_a_strategy_with_nothing_left_ends_the_search_and_gives_back_the_number():
    log: list = []
    store, strategy = FakeStore(log), FakeStrategy(log, exhaust_after=3)
    executor = FakeExecutor(log)
    result = make_runner(strategy=strategy, store=store, executor=executor, budget=10).loop()
    assert result.stop_reason == StopReason.EXHAUSTED
    assert_states(store, dict.fromkeys(range(3), "complete"))
    assert store.released == [3], f"the number reserved for the refused ask should be released: {store.released}"
    assert 3 not in store.records, "a released number never becomes a trial"
    assert_closed_once(executor)


def test_trials_in_flight_finish_normally_when_the_strategy_is_exhausted():
    log: list = []
    store, strategy = FakeStore(log), FakeStrategy(log, exhaust_after=3)
    executor = FakeExecutor(log, capacity=2)
    result = make_runner(strategy=strategy, store=store, executor=executor, budget=10).loop()
    assert result.stop_reason == StopReason.EXHAUSTED
    assert_states(store, dict.fromkeys(range(3), "complete"))
    assert not executor.cancelled
    assert all(n not in store.records for n in store.released), "a released number never becomes a trial"
    assert_closed_once(executor)


def test_the_timeout_starts_no_new_trial_and_lets_running_ones_finish(monkeypatch):
    log: list = []
    clock = FakeClock()
    store, strategy = FakeStore(log), FakeStrategy(log)
    executor = FakeExecutor(log, capacity=2, clock=clock, seconds_per_trial=10.0)
    runner = make_runner(
        strategy=strategy, store=store, executor=executor, budget=10, timeout=25.0, clock=clock, monkeypatch=monkeypatch
    )
    result = runner.loop()
    assert result.stop_reason == StopReason.TIMEOUT
    # Trials start at t=0 (0, 1), 10 (2) and 20 (3); at t=30 the limit has passed: none starts.
    assert executor.submitted == [0, 1, 2, 3], (
        f"expected trials 0-3 to start before the limit, got {executor.submitted}"
    )
    assert_states(store, dict.fromkeys(range(4), "complete"), "a trial running at the limit finishes normally")
    assert not executor.cancelled
    assert_closed_once(executor)


def test_a_zero_timeout_starts_nothing(monkeypatch):
    log: list = []
    clock = FakeClock()
    store, strategy = FakeStore(log), FakeStrategy(log)
    executor = FakeExecutor(log, clock=clock)
    result = make_runner(
        strategy=strategy, store=store, executor=executor, budget=10, timeout=0.0, clock=clock, monkeypatch=monkeypatch
    ).loop()
    assert result.stop_reason == StopReason.TIMEOUT
    assert executor.submitted == [] and store.trials() == []
    assert_closed_once(executor)


def test_an_interrupt_records_running_trials_interrupted_and_keeps_finished_ones():
    log: list = []
    store, strategy = FakeStore(log), FakeStrategy(log)
    reporter = FakeReporter()
    executor = FakeExecutor(log, capacity=2, interrupt_on_wait=2)
    result = make_runner(strategy=strategy, store=store, executor=executor, budget=10, reporter=reporter).loop()
    assert result.stop_reason == StopReason.INTERRUPTED
    # Wait 1 finished 0 (and 2 started); wait 2 was interrupted with 1 and 2 in flight.
    assert_states(store, {0: "complete", 1: "interrupted", 2: "interrupted"})
    assert executor.cancelled == [1, 2]
    assert [t.number for t in strategy.told] == [0]
    assert [t.number for t in result.trials] == [0, 1, 2], "the result holds every stored trial"
    assert len(reporter.closes) == 1 and reporter.closes[0][1] is result
    assert reporter.closes[0][0].status == StopReason.INTERRUPTED.progress_status
    assert_closed_once(executor)


def test_an_interrupt_in_the_strategy_is_an_interrupt_too():
    log: list = []
    store, strategy = FakeStore(log), FakeStrategy(log, interrupt_on_ask=3)
    executor = FakeExecutor(log)
    result = make_runner(strategy=strategy, store=store, executor=executor, budget=10).loop()
    assert result.stop_reason == StopReason.INTERRUPTED
    assert_states(store, {0: "complete", 1: "complete"})
    assert_closed_once(executor)


def test_a_strategy_that_raises_stops_the_search_with_its_error_and_keeps_finished_trials():
    log: list = []
    store, strategy = FakeStore(log), FakeStrategy(log, raise_on_ask=3)
    reporter = FakeReporter()
    executor = FakeExecutor(log, capacity=2)
    result = make_runner(strategy=strategy, store=store, executor=executor, budget=10, reporter=reporter).loop()
    assert result.stop_reason == StopReason.ERROR
    assert "RuntimeError" in result.error and "the strategy broke" in result.error, f"result.error is {result.error!r}"
    # Asks 1 and 2 started trials 0 and 1; 0 finished; ask 3 (for trial 2) raised with 1 in flight.
    assert_states(store, {0: "complete", 1: "interrupted"})
    assert "the strategy broke" in store.records[1].error
    assert reporter.closes[0][0].status == StopReason.ERROR.progress_status
    assert_closed_once(executor)


def test_a_strategy_that_cannot_learn_stops_the_search_with_its_error():
    log: list = []
    store, strategy = FakeStore(log), FakeStrategy(log, raise_on_tell=2)
    executor = FakeExecutor(log)
    result = make_runner(strategy=strategy, store=store, executor=executor, budget=10).loop()
    assert result.stop_reason == StopReason.ERROR
    assert "the strategy could not learn" in result.error, f"result.error is {result.error!r}"
    assert_states(store, {0: "complete", 1: "complete"}, "a trial that finished is kept, told or not")
    assert_closed_once(executor)


def test_a_store_that_fails_stops_the_search_and_closes_the_executor():
    class BrokenStore(FakeStore):
        def put(self, trial: Trial) -> None:
            if trial.number == 2 and trial.state is TrialState.COMPLETE:
                raise OSError("disk full")
            super().put(trial)

    log: list = []
    store, strategy = BrokenStore(log), FakeStrategy(log)
    executor = FakeExecutor(log)
    result = make_runner(strategy=strategy, store=store, executor=executor, budget=10).loop()
    assert result.stop_reason == StopReason.ERROR
    assert "disk full" in result.error
    assert states(store)[0] == "complete" and states(store)[1] == "complete"
    assert_closed_once(executor)


# ---------------------------------------------------------------------------------------
# A resumed study
# ---------------------------------------------------------------------------------------


def test_stored_trials_are_told_first_and_count_toward_the_budget():
    log: list = []
    store = FakeStore(log, stored=(complete(0, 3.0), failed(1)))
    strategy = FakeStrategy(log)
    executor = FakeExecutor(log)
    result = make_runner(strategy=strategy, store=store, executor=executor, budget=4, baseline=True).loop()
    assert result.stop_reason == StopReason.BUDGET
    first_ask = next(i for i, entry in enumerate(log) if entry[0] == "ask")
    told_before = [entry[1] for entry in log[:first_ask] if entry[0] == "tell"]
    assert told_before == [0, 1], f"the stored trials should be told before the first ask; the log is {log}"
    assert executor.submitted == [2, 3], f"two stored trials count, so two more run; ran {executor.submitted}"
    assert strategy.asked == [2, 3], "a resumed study does not run the defaults again"
    assert_states(store, {0: "complete", 1: "failed", 2: "complete", 3: "complete"})
    assert_closed_once(executor)


def test_an_interrupted_trial_zero_runs_the_defaults_again_as_trial_zero():
    log: list = []
    store = FakeStore(log, stored=(interrupted(0), complete(1, 3.0)))
    strategy = FakeStrategy(log)
    executor = FakeExecutor(log)
    result = make_runner(strategy=strategy, store=store, executor=executor, budget=3, baseline=True).loop()
    assert result.stop_reason == StopReason.BUDGET
    assert ("reclaim", 0, 3) in log, f"the runner should take trial 0 back first; the log is {log}"
    assert executor.submitted == [0, 2], f"trial 0 (the defaults) runs again, then one more; ran {executor.submitted}"
    assert store.records[0].params == {"x": 7} and store.records[0].state is TrialState.COMPLETE
    assert strategy.asked == [2], "the strategy is not asked for the defaults' trial"
    assert result.baseline is not None and result.baseline.value == 7.0
    assert_states(store, {0: "complete", 1: "complete", 2: "complete"})


@pytest.mark.parametrize("baseline", [True, False])
def test_trial_zero_is_not_taken_back_when_it_finished_or_without_a_baseline(baseline):
    log: list = []
    stored = (failed(0), complete(1, 3.0)) if baseline else (interrupted(0), complete(1, 3.0))
    store = FakeStore(log, stored=stored)
    executor = FakeExecutor(log)
    make_runner(strategy=FakeStrategy(log), store=store, executor=executor, budget=3, baseline=baseline).loop()
    assert not [entry for entry in log if entry[0] == "reclaim"], f"nothing to take back; the log is {log}"
    expected = [2] if baseline else [2, 3]
    assert executor.submitted == expected, f"expected {expected} to run, ran {executor.submitted}"


def test_the_best_trial_follows_the_direction():
    log: list = []
    store = FakeStore(log, stored=(complete(0, 50.0),))
    reporter = FakeReporter()
    executor = FakeExecutor(log)  # trial n completes with value n
    make_runner(
        strategy=FakeStrategy(log), store=store, executor=executor, budget=4, maximize=True, reporter=reporter
    ).loop()
    progress = reporter.closes[0][0]
    assert progress.best is not None and progress.best.number == 0, "50 (stored trial 0) is the highest value"
    store2, reporter2 = FakeStore(log, stored=(complete(0, 50.0),)), FakeReporter()
    make_runner(
        strategy=FakeStrategy(log), store=store2, executor=FakeExecutor(log), budget=4, reporter=reporter2
    ).loop()
    best = reporter2.closes[0][0].best
    assert best is not None and best.number == 1, "1 (trial 1) is the lowest value"


def test_the_reporter_sees_one_start_some_updates_and_one_close():
    log: list = []
    reporter = FakeReporter()
    result = make_runner(
        strategy=FakeStrategy(log), store=FakeStore(log), executor=FakeExecutor(log), budget=3, reporter=reporter
    ).loop()
    assert reporter.starts == 1
    assert reporter.updates, "the reporter was never updated"
    assert len(reporter.closes) == 1 and reporter.closes[0][1] is result
    progress = reporter.closes[0][0]
    assert progress.finished == 3 and progress.running == 0
    assert progress.status == StopReason.BUDGET.progress_status


# ---------------------------------------------------------------------------------------
# The typed contracts of issue 11 (they fail until the runner's rewrite lands)
# ---------------------------------------------------------------------------------------


def test_the_stop_reason_is_a_stop_reason():
    log: list = []
    result = make_runner(strategy=FakeStrategy(log), store=FakeStore(log), executor=FakeExecutor(log), budget=2).loop()
    assert isinstance(result.stop_reason, StopReason), (
        f"result.stop_reason is the {type(result.stop_reason).__name__} {result.stop_reason!r}, not a hpmagic.core.StopReason"
    )


def test_the_result_holds_the_shared_trial_records():
    from hpmagic.core import Trial as CoreTrial

    log: list = []
    result = make_runner(strategy=FakeStrategy(log), store=FakeStore(log), executor=FakeExecutor(log), budget=2).loop()
    kinds = {f"{type(t).__module__}.{type(t).__qualname__}" for t in result.trials}
    assert all(isinstance(t, CoreTrial) for t in result.trials), (
        f"the result's trials are {kinds}, not hpmagic.core.Trial"
    )


def test_the_reporter_starts_with_a_search_description_not_the_runner():
    from hpmagic.protocols import SearchInfo

    log: list = []
    reporter = FakeReporter()
    make_runner(
        strategy=FakeStrategy(log),
        store=FakeStore(log),
        executor=FakeExecutor(log),
        budget=3,
        maximize=True,
        reporter=reporter,
    ).loop()
    info = reporter.info
    assert isinstance(info, SearchInfo), (
        f"reporter.start() got a {type(info).__module__}.{type(info).__qualname__}, not a SearchInfo"
    )
    assert info.budget == 3 and info.direction == "maximize", f"reporter.start() got {info!r}"
