"""Search spaces: quantised values, grids (large ones included), conditions, JSON."""

from __future__ import annotations

import random
import time

import pytest

import hpmagic
from hpmagic.annotations import parse_cell
from hpmagic.space import Int, LogInt, Uniform
from hpmagic.strategies import make_strategy
from hpmagic.strategies.base import StrategyContext


def test_quantised_floats_carry_no_rounding_noise():
    d = Uniform(0.1, 1.0, step=0.3)
    assert d.grid(10) == [0.1, 0.4, 0.7, 1.0]
    assert {d.from_unit(u / 100) for u in range(101)} == {0.1, 0.4, 0.7, 1.0}


def test_integer_grids_and_log_grids():
    assert Int(1, 3).grid(5) == [1, 2, 3]
    assert Int(0, 100, step=10).grid(3) == [0, 50, 100]
    assert LogInt(1, 1000).grid(4) == [1, 10, 100, 1000]


def _big_space(n: int = 11):
    cell = "\n".join(f"p{i} = 1  # tune: int(1, 5)" for i in range(n)) + "\np0"
    return parse_cell(cell).space


def test_grid_size_of_a_huge_grid_is_capped_not_enumerated():
    space = _big_space()
    start = time.process_time()
    assert space.grid_size(5, limit=1000) == 1001
    assert time.process_time() - start < 5  # 5**11 points are never listed


def test_a_huge_grid_is_sampled_at_random_without_repeats():
    space = _big_space()
    strategy = make_strategy("grid", space, StrategyContext(budget=50, seed=3))
    points = [strategy.ask(i) for i in range(1, 50)]
    assert len({repr(sorted(p.items())) for p in points}) == 49
    assert all(set(p.values()) <= {1, 2, 3, 4, 5} for p in points)
    assert "drawn at random" in strategy.reason


def test_conditional_grid_size_counts_only_active_combinations():
    space = parse_cell("k = 'a'  # tune: ['a', 'b']\nv = 1  # tune: int(1, 3) if k == 'b'\nk").space
    assert space.grid_size(5) == 1 + 3
    assert list(space.grid(5))[0] == {"k": "a"}


def test_grid_without_n_on_a_huge_space_asks_for_a_budget():
    cell = "\n".join(f"p{i} = 1  # tune: int(1, 5)" for i in range(8)) + "\np0"
    with pytest.raises(hpmagic.OptionError, match="give -n N"):
        hpmagic.tune(cell, {}, strategy="grid", quiet=True)


def test_sampling_respects_every_distribution():
    space = parse_cell(
        "a = 0.5  # tune: uniform(0, 1, step=0.25)\n"
        "b = 1e-3  # tune: loguniform(1e-5, 1e-1)\n"
        "c = 8  # tune: logint(1, 1024, step=2)\n"
        "d = 0.0  # tune: normal(0, 1)\n"
        "a"
    ).space
    rng = random.Random(0)
    for _ in range(500):
        cfg = space.sample(rng)
        assert cfg["a"] in (0.0, 0.25, 0.5, 0.75, 1.0)
        assert 1e-5 <= cfg["b"] <= 1e-1
        assert isinstance(cfg["c"], int) and 1 <= cfg["c"] <= 1024 and (cfg["c"] - 1) % 2 == 0
        assert isinstance(cfg["d"], float)
