"""The ``evolution`` strategy (CMA-ES with categorical distributions): seeding, pending asks,
mixed and conditional spaces, and search quality against random search (seeded, with margins)."""

from __future__ import annotations

import math
import random

import numpy as np

import hpmagic
from hpmagic.core import Trial, TrialState
from hpmagic.space import Choice, Parameter, SearchSpace, Uniform
from hpmagic.strategies.base import StrategyContext
from hpmagic.strategies.evolution import Evolution
from hpmagic.strategies.random import RandomSearch

SPHERE = SearchSpace(tuple(Parameter(f"x{i}", Uniform(-5, 5), 0.0) for i in range(4)))


def sphere(c):
    return sum((c[f"x{i}"] - 1.0 - 0.3 * i) ** 2 for i in range(4))


def _run(strategy, space, f, trials, seed, batch=1):
    strategy.setup(space, StrategyContext(budget=trials, seed=seed, jobs=batch))
    best, k = math.inf, 0
    while k < trials:
        asked = [(k + j, strategy.ask(k + j)) for j in range(min(batch, trials - k))]
        for number, config in reversed(asked):  # told out of order, as parallel trials finish
            value = f(config)
            best = min(best, value)
            strategy.tell(Trial(number, config, TrialState.COMPLETE, value=value))
        k += len(asked)
    return best


def test_same_seed_same_search_other_seed_other_search():
    def proposals(seed):
        s = Evolution()
        s.setup(SPHERE, StrategyContext(budget=30, seed=seed))
        out = []
        for k in range(30):
            c = s.ask(k)
            out.append(tuple(c.values()))
            s.tell(Trial(k, c, TrialState.COMPLETE, value=sphere(c)))
        return out

    assert proposals(3) == proposals(3)
    assert proposals(3) != proposals(4)


def test_beats_random_search_on_a_shifted_sphere():
    evo = [_run(Evolution(), SPHERE, sphere, 150, seed) for seed in range(4)]
    rnd = [_run(RandomSearch(), SPHERE, sphere, 150, seed) for seed in range(4)]
    # Random search's best stays around 1 here; CMA-ES closes in on 0.
    assert np.mean(evo) < 0.2 * np.mean(rnd)
    assert max(evo) < 0.3


def test_pending_asks_are_distinct_and_late_results_are_used():
    s = Evolution()
    s.setup(SPHERE, StrategyContext(budget=100, seed=0, jobs=20))
    batch = [s.ask(k) for k in range(20)]  # more than a generation, none told yet
    assert len({tuple(c.values()) for c in batch}) == 20
    generation = s.generation
    for k in reversed(range(20)):
        s.tell(Trial(k, batch[k], TrialState.COMPLETE, value=sphere(batch[k])))
    assert s.generation == generation + 1  # a generation was ranked once lambda results arrived
    # Parallel runs still converge.
    assert _run(Evolution(), SPHERE, sphere, 160, seed=1, batch=8) < 0.5


def test_mixed_conditional_space_and_categorical_learning():
    space = SearchSpace(
        (
            Parameter("kind", Choice(("a", "b", "c", "d")), "a"),
            Parameter("x", Uniform(0, 1), 0.5),
            Parameter("depth", hpmagic.space.Int(1, 8), 3, condition=_cond("kind", "==", "b")),
        )
    )

    def f(c):
        return (c["kind"] != "b") * 1.0 + (c["x"] - 0.7) ** 2 + (abs(c["depth"] - 6) * 0.1 if "depth" in c else 0)

    s = Evolution()
    s.setup(space, StrategyContext(budget=120, seed=2))
    picks = []
    for k in range(120):
        c = s.ask(k)
        space.validate(c)
        if "depth" in c:
            assert isinstance(c["depth"], int) and 1 <= c["depth"] <= 8
        picks.append(c["kind"])
        s.tell(Trial(k, c, TrialState.COMPLETE, value=f(c)))
    # The choice that wins is drawn far more often at the end than at the start (1 in 4).
    assert picks[-30:].count("b") >= 18
    # The categorical floor keeps every option alive.
    assert min(s.probs[0]) > 0


def test_failures_rank_last_and_the_search_goes_on_through_tune():
    cell = "x = 0.0  # tune: uniform(-3, 3)\ny = 0.0  # tune: uniform(-3, 3)\nif x < -1:\n    raise ValueError('bad')\n(x - 1) ** 2 + (y + 1) ** 2"
    result = hpmagic.tune(cell, {}, trials=80, strategy="evolution", seed=5, quiet=True, apply=False)
    assert result.strategy == "evolution" and "CMA-ES" in result.strategy_reason
    assert result.counts()["failed"] >= 1
    assert result.best_value < 0.05
    late = [t for t in result.trials if t.number >= 50]
    assert sum(t.state is TrialState.FAILED for t in late) <= 3


def _cond(name, op, value):
    from hpmagic.space import Condition

    return Condition(("cmp", name, op, value), f"{name} {op} {value!r}")


def test_choice_only_space_works():
    space = SearchSpace((Parameter("k", Choice(tuple("abcdef")), "a"),))
    best = _run(Evolution(), space, lambda c: "abcdef".index(c["k"]), 30, seed=random.Random(0).randrange(100))
    assert best == 0
