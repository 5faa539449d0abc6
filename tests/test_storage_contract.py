"""One contract for every trial store: the in-memory one and the SQLite study file."""

from __future__ import annotations

import numpy as np
import pytest

from hpmagic.annotations import parse_cell
from hpmagic.result import Trial, TrialState
from hpmagic.storage.memory import MemoryStore
from hpmagic.storage.sqlite import SQLiteStore

SPACE = parse_cell(
    "x = 0.5  # tune: uniform(0, 1)\n"
    "shape = (1, 2)  # tune: choice((1, 2), (3, 4), None, True)\n"
    "x\n"
).space


def _memory(tmp_path):
    return MemoryStore()


def _sqlite(tmp_path):
    store = SQLiteStore(tmp_path / "contract.sqlite", "contract")
    store.begin(space=SPACE, direction="minimize", metric="objective", baseline=True, seed=0, budget=100,
                strategy="random")
    return store


@pytest.fixture(params=[_memory, _sqlite], ids=["memory", "sqlite"])
def store(request, tmp_path):
    s = request.param(tmp_path)
    yield s
    s.close()


def test_numbers_are_consecutive_and_unique(store):
    assert [store.reserve() for _ in range(5)] == [0, 1, 2, 3, 4]


def test_reserve_stops_at_the_limit_and_interrupted_trials_do_not_count(store):
    numbers = [store.reserve(3) for _ in range(3)]
    assert numbers == [0, 1, 2]
    assert store.reserve(3) is None
    store.put(Trial(number=1, params={"x": 0.1}, state=TrialState.INTERRUPTED))
    assert store.reserve(3) == 3
    assert store.reserve(3) is None


def test_a_released_number_is_not_a_trial(store):
    n = store.reserve()
    store.release(n)
    assert store.trials() == []


def test_put_on_start_and_end_round_trips_every_field(store):
    n = store.reserve()
    params = {"x": np.float64(0.25), "shape": (3, 4)}
    start = Trial(number=n, params=params, started=123.5)
    store.put(start)
    assert [t.state for t in store.trials()] == [TrialState.RUNNING]
    end = start.finish(
        state=TrialState.COMPLETE, value=0.25, metrics={"std": np.float32(0.5), "n": np.int64(3)}, duration=1.5,
        stdout="out\n", stderr="err\n", warnings=("ConvergenceWarning: no",), error="",
    )
    store.put(end)
    (got,) = store.trials()
    assert got.number == n and got.state is TrialState.COMPLETE and got.value == 0.25
    assert got.params == {"x": 0.25, "shape": (3, 4)} and isinstance(got.params["shape"], tuple)
    assert got.metrics == {"std": 0.5, "n": 3}
    assert (got.duration, got.stdout, got.stderr, got.warnings, got.started) == (1.5, "out\n", "err\n",
                                                                                 ("ConvergenceWarning: no",), 123.5)


def test_choices_keep_their_types(store):
    for value in [None, True, (1, 2)]:
        n = store.reserve()
        store.put(Trial(number=n, params={"x": 0.5, "shape": value}, state=TrialState.COMPLETE, value=1.0))
    assert [t.params["shape"] for t in store.trials()] == [None, True, (1, 2)]
    assert type(store.trials()[1].params["shape"]) is bool


def test_failed_trial_keeps_its_traceback_and_trials_come_in_number_order(store):
    a, b = store.reserve(), store.reserve()
    store.put(Trial(number=b, params={"x": 0.2}, state=TrialState.FAILED, error="Traceback ...\nValueError: bad"))
    store.put(Trial(number=a, params={"x": 0.1}, state=TrialState.COMPLETE, value=0.1))
    trials = store.trials()
    assert [t.number for t in trials] == [a, b]
    assert trials[1].error.endswith("ValueError: bad") and trials[1].value is None


def test_poll_never_returns_the_stores_own_trials(store):
    n = store.reserve()
    store.put(Trial(number=n, params={"x": 0.1}, state=TrialState.COMPLETE, value=0.1))
    assert store.poll() == []
