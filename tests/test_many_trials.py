"""Many cheap trials (issue 21): without a time budget, ``auto`` starts a large budget with ``de``,
whose proposals cost the same at any number of trials, and ``de`` keeps proposing new points
once its population has converged to one.  How long ``-n 10000`` takes is a benchmark
(``benchmarks/many_trials.py``), not a test: no test here depends on the machine's speed."""

from __future__ import annotations

import pytest

import hpmagic
from hpmagic.cell.parser import parse_cell
from hpmagic.core import Trial, TrialState
from hpmagic.strategies import auto
from hpmagic.strategies.base import StrategyContext
from hpmagic.strategies.de import DifferentialEvolution

TRIVIAL = (
    "x = 0.5  # tune: uniform(0, 1)\ny = 0.5  # tune: uniform(0, 1)\nz = 0.5  # tune: uniform(0, 1)\n"
    "(x - 0.3) ** 2 + (y - 0.7) ** 2 + (z - 0.5) ** 2"
)
WIDE = "\n".join(f"x{i} = 0.0  # tune: uniform(0, 1)" for i in range(20)) + "\nx0"
DE_BECAUSE = (
    "de's proposals cost a fraction of a millisecond at any number of trials (TPE's grow with them), "
    "and with as many trials it found better points than TPE"
)


def pick(cell, **context):
    return auto.pick(parse_cell(cell).space, StrategyContext(**context))


@pytest.mark.parametrize("budget", [auto.GP_MAX_TRIALS + 1, 10_000])
def test_without_a_time_budget_a_large_budget_starts_with_de(budget):
    assert pick(TRIVIAL, budget=budget) == ("de", f"{budget} trials are too many for a GP or TPE: {DE_BECAUSE}")
    assert pick(WIDE, budget=budget) == (
        "de",
        f"20 parameters are too many for a GP, and {budget} trials too many for TPE: {DE_BECAUSE}",
    )
    assert pick(TRIVIAL, budget=budget, jobs=16)[0] == "de"  # de is asynchronous: it suits --jobs
    assert pick(TRIVIAL, budget=auto.GP_MAX_TRIALS)[0] == "gp"  # up to the limit, the GP


def test_tpe_stays_where_its_cost_is_bounded_or_pruned_trials_need_it():
    assert pick(WIDE, budget=100) == (
        "tpe",
        "20 parameters are too many for a GP, and TPE's proposals stay cheap with up to 300 trials",
    )
    name, why = pick(WIDE, budget=10_000, pruning="asha")
    assert name == "tpe"
    assert why.startswith(
        "20 parameters are too many for a GP, and TPE learns from pruned trials, where de, cheaper "
        "with many trials, does not; with --prune asha, TPE ranks"
    )
    assert pick(WIDE, budget=10_000, timeout=60.0) == (
        "tpe",
        "20 parameters are too many for a GP, and with a time budget auto moves to a cheaper strategy if "
        "proposals come to cost more than the trials",
    )
    # with pruning and a time budget tpe is the bottom of the ladder: the reason promises no switch
    name, why = pick(WIDE, budget=10_000, timeout=60.0, pruning="median")
    assert name == "tpe" and "cheaper strategy" not in why and "TPE learns from pruned trials" in why
    assert "costs little per trial at any scale" not in " ".join(
        pick(cell, budget=budget)[1] for cell in (WIDE, TRIVIAL) for budget in (100, 1000)
    )


def test_a_large_budget_runs_de_through_tune_and_every_configuration_is_new():
    result = hpmagic.tune(TRIVIAL, {}, trials=1000, seed=0, quiet=True, apply=False)
    assert result.strategy == "de" and len(result.trials) == 1000
    assert result.strategy_reason == f"auto: de, because 1000 trials are too many for a GP or TPE: {DE_BECAUSE}"
    assert "picked by auto because 1000 trials are too many for a GP or TPE" in repr(result)
    assert len({tuple(t.params.values()) for t in result.trials}) == 1000
    assert result.best_value < 1e-4


def test_de_keeps_proposing_new_points_near_a_population_that_converged_to_one():
    space = parse_cell(TRIVIAL).space
    de = DifferentialEvolution()
    de.setup(space, StrategyContext(budget=1000, seed=0))
    point = {"x": 0.3, "y": 0.7, "z": 0.5}
    for number in range(de.size):  # the whole population at one point: every difference is zero
        de.tell(Trial(number=number, params=point, state=TrialState.COMPLETE, value=0.0))
    seen = {tuple(point.values())}
    for number in range(de.size, de.size + 200):
        config = de.ask(number)
        assert tuple(config.values()) not in seen, f"trial {number} repeats {config}"
        seen.add(tuple(config.values()))
        if number >= 2 * de.size:  # past the initial Latin hypercube: moves from the point, small ones
            assert max(abs(config[k] - v) for k, v in point.items()) < 1e-3, config
        de.tell(Trial(number=number, params=config, state=TrialState.COMPLETE, value=1.0))  # worse: it stays
