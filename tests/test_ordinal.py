"""Lists of numbers are ordinal (issue 14): the rule, the GP encoding, every strategy, the summary."""

from __future__ import annotations

import math

import numpy as np
import pytest

import hpmagic
from hpmagic.cell.parser import parse_cell
from hpmagic.lists import is_ordinal, positions, scale
from hpmagic.space import Choice, Parameter, SearchSpace, treatment
from hpmagic.strategies._gp.encoding import Encoder
from hpmagic.strategies.registry import names

from .conftest import run_tune

LISTS = """\
n_units = 64  # tune: [16, 32, 64, 128, 256, 512]
lr = 1e-3  # tune: [5e-4, 1e-3, 5e-3, 1e-2]
batch = 32  # tune: choice(8, 16, 32, 64)
act = "relu"  # tune: ["relu", "tanh", "logistic"]
l2 = 0  # tune: [0, 0.01, 0.1, 1, 10]
"""
OBJECTIVE = (
    "abs(math.log2(n_units) - 7) + abs(math.log10(lr) + 2.5) + abs(math.log2(batch) - 4) + (act != 'tanh') + l2\n"
)


def _space(**lists) -> SearchSpace:
    return SearchSpace(tuple(Parameter(name, Choice(tuple(values)), values[0]) for name, values in lists.items()))


# -- the rule ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "values, expected",
    [
        ([16, 32, 64, 128, 256, 512], "log"),
        ([8, 16, 32, 64], "log"),
        ([5e-4, 1e-3, 5e-3, 1e-2], "log"),  # ratios 2, 5, 2: more even in log than in linear
        ([2, 5, 10, 20, 50], "log"),
        ([1e-4, 1e-2], "log"),  # two values a factor of 10 or more apart
        ([0.1, 0.5, 0.9], "linear"),
        ([10, 50, 100, 200], "linear"),
        ([1, 2], "linear"),
        ([-3, -1, 1, 3], "linear"),
        ([0, 0.01, 0.1, 1, 10], "rank"),  # a zero before a geometric list: neither scale is even
        ([64, 16, 256, 32], "log"),  # the order they are written in does not matter
    ],
)
def test_lists_of_numbers_are_ordinal_and_geometric_ones_log_scaled(values, expected):
    assert is_ordinal(values)
    assert scale(values) == expected
    assert Choice(tuple(values)).log is (expected == "log")


@pytest.mark.parametrize(
    "values",
    [
        ["rbf", "poly"],
        [1, "two", 3],
        [True, False],
        [0, 1, True],
        [None, 1, 2],
        [(1, 2), (3, 4)],
        [1, 1.0, 2],
        [1.0, math.inf],
        [0.5, math.nan],
    ],
)
def test_other_lists_stay_categorical(values):
    choice = Choice(tuple(values))
    assert not choice.ordered and choice.scale == "" and not choice.log
    assert choice.order == tuple(values)  # walked as written
    assert treatment(choice) == f"{len(values)} choices, categorical"


def test_positions_follow_the_scale():
    assert positions([16, 32, 64, 128], "log") == pytest.approx([0, 1 / 3, 2 / 3, 1])
    assert positions([5e-4, 1e-3, 5e-3, 1e-2], "log") == pytest.approx(
        [(math.log(v) - math.log(5e-4)) / (math.log(1e-2) - math.log(5e-4)) for v in (5e-4, 1e-3, 5e-3, 1e-2)]
    )
    assert positions([10, 50, 100, 200], "linear") == pytest.approx([0, 40 / 190, 90 / 190, 1])
    assert positions([0, 0.01, 0.1, 1, 10], "rank") == pytest.approx([0, 0.25, 0.5, 0.75, 1])


def test_an_unsorted_list_is_walked_in_sorted_order():
    choice = Choice((64, 16, 256, 32))
    assert choice.order == (16, 32, 64, 256)
    assert [choice.from_unit(u) for u in (0.1, 0.3, 0.6, 0.9)] == [16, 32, 64, 256]
    for value in choice.options:
        assert choice.from_unit(choice.to_unit(value)) == value
    assert choice.index(64) == 0 and choice.rank(64) == 2  # index: as written; rank: sorted


# -- the GP encoding --------------------------------------------------------------------------


def test_gp_encoding_gives_an_ordinal_list_one_column_and_every_value_round_trips():
    space = parse_cell(LISTS + "0\n").space
    enc = Encoder(space)
    assert enc.width == 5 + 2  # four ordered columns, three one-hot columns for act
    for name in ("n_units", "lr", "batch", "l2"):
        dist = space[name].distribution
        assert dist.ordered
        for value in dist.options:
            config = {**space.defaults(), name: value}
            back = enc.config_from_features(enc.encode(config))
            assert back[name] == value and type(back[name]) is type(value)
    n_units = space["n_units"].distribution
    column = [enc.encode({**space.defaults(), "n_units": v})[0] for v in n_units.options]
    assert column == pytest.approx([0, 0.2, 0.4, 0.6, 0.8, 1])  # log positions of a geometric list


def test_gp_reads_a_point_between_listed_values_as_the_nearest_one():
    space = _space(lr=[5e-4, 1e-3, 5e-3, 1e-2])
    enc = Encoder(space)
    pos = space["lr"].distribution.positions  # 0, 0.23, 0.77, 1
    for x, expected in ((0.1, 5e-4), (0.2, 1e-3), (0.45, 1e-3), (0.55, 5e-3), (0.95, 1e-2)):
        assert enc.config_from_features(np.array([x]))["lr"] == expected, (x, pos)
    rows = enc.features_from_latent(np.array([[0.05], [0.3], [0.6], [0.99]]))
    assert rows[:, 0] == pytest.approx(pos)


def test_gp_neighbours_of_a_listed_value_are_the_adjacent_values():
    space = _space(n_units=[16, 32, 64, 128, 256, 512], act=["relu", "tanh", "logistic"])
    enc = Encoder(space)
    for i, value in enumerate((16, 32, 64, 128, 256, 512)):
        x = enc.encode({"n_units": value, "act": "tanh"})
        moved = [enc.config_from_features(m) for m in enc.neighbours(x)]
        units = sorted(c["n_units"] for c in moved if c["act"] == "tanh")
        expected = [v for j, v in enumerate((16, 32, 64, 128, 256, 512)) if abs(j - i) == 1]
        assert units == expected
        assert sorted(c["act"] for c in moved if c["n_units"] == value) == [
            "logistic",
            "relu",
        ]  # categorical: every other option


# -- every strategy -------------------------------------------------------------------------------


@pytest.mark.parametrize("strategy", [name for name in names() if name != "manual"])  # each click is a trial
def test_every_strategy_proposes_only_listed_values(strategy):
    result = hpmagic.tune(
        LISTS + OBJECTIVE, {"math": math}, trials=30, strategy=strategy, seed=3, quiet=True, apply=False
    )
    space = result.space
    assert len(result.trials) == 30
    for trial in result.trials:
        for name, value in trial.params.items():
            dist = space[name].distribution
            assert dist.contains(value), (strategy, name, value)
            assert any(value == o and type(value) is type(o) for o in dist.options), (strategy, name, value)


def test_evolution_moves_an_ordinal_list_in_small_steps():
    from hpmagic.result import Trial, TrialState
    from hpmagic.strategies.base import StrategyContext
    from hpmagic.strategies.evolution import Evolution

    space = _space(n_units=[16, 32, 64, 128, 256, 512, 1024, 2048], act=["relu", "tanh"])
    evo = Evolution()
    evo.setup(space, StrategyContext(budget=100, seed=0))
    assert evo.numeric == [0] and list(evo.probs) == [1]  # the list evolves with CMA-ES, the choice by probabilities
    evo.mean[:] = space["n_units"].distribution.to_unit(128)
    evo.sigma = 0.05
    drawn = set()
    for k in range(40):  # each told as interrupted: nothing stays in flight, the distribution stays put
        config = evo.ask(k)
        drawn.add(config["n_units"])
        evo.tell(Trial(k, config, TrialState.INTERRUPTED))
    assert 128 in drawn and drawn <= {64, 128, 256}


def test_hyperopt_samples_an_ordinal_list_by_its_sorted_index():
    from hyperopt import hp
    from hyperopt.pyll import stochastic

    from hpmagic.strategies.hyperopt import _Codec

    codec = _Codec(Parameter("batch", Choice((32, 8, 64, 16)), 32))
    assert codec.ordinal
    node = codec.node(hp)
    assert "quniform" in str(node)
    rng = np.random.default_rng(0)
    raws = [stochastic.sample(node, rng=rng) for _ in range(400)]
    values = [codec.decode(r) for r in raws]
    assert set(values) == {8, 16, 32, 64} and all(type(v) is int for v in values)
    counts = [values.count(v) for v in (8, 16, 32, 64)]
    assert min(counts) > 60  # uniform over the listed values (100 each expected)
    for value in (8, 16, 32, 64):
        assert codec.decode(codec.encode(value)) == value
    assert [codec.encode(v) for v in (8, 16, 32, 64)] == [0.0, 1.0, 2.0, 3.0]
    assert codec.encode(12) is None  # not a listed value
    words = _Codec(Parameter("act", Choice(("relu", "tanh")), "relu"))
    assert not words.ordinal and "switch" in str(words.node(hp))  # hp.choice, as before


# -- the summary ----------------------------------------------------------------------------------


def test_treatment_in_words():
    cell = (
        LISTS + "x = 0.5  # tune: uniform(0, 1)\nC = 1.0  # tune: loguniform(1e-3, 1e3)\nk = 3  # tune: int(1, 9)\n0\n"
    )
    space = parse_cell(cell).space
    assert [p.treatment() for p in space] == [
        "6 values, ordinal, log scale",
        "4 values, ordinal, log scale",
        "4 values, ordinal, log scale",
        "3 choices, categorical",
        "5 values, ordinal, evenly spaced by rank",
        "continuous",
        "continuous, log scale",
        "integer",
    ]


def test_the_summary_of_a_tune_cell_says_how_each_parameter_was_treated(ip, capsys):
    ip.user_ns["math"] = math
    run_tune(ip, "-n 12 --seed 0 -s random -o res", LISTS + OBJECTIVE)
    out = capsys.readouterr().out
    line = next(line for line in out.splitlines() if "search space:" in line)
    assert line.strip() == (
        "search space: n_units: 6 values, ordinal, log scale; lr: 4 values, ordinal, log scale; "
        "batch: 4 values, ordinal, log scale; act: 3 choices, categorical; l2: 5 values, ordinal, evenly spaced by rank"
    )
    html = ip.user_ns["res"]._repr_html_()
    assert "search space, as the strategy treats it: n_units: 6 values, ordinal, log scale;" in html
    assert "act: 3 choices, categorical" in html


# -- when auto should prefer TPE ------------------------------------------------------------------


def test_prefers_tpe_counts_the_one_hot_columns_of_categorical_choices_only():
    from hpmagic.strategies._gp.encoding import GP_MAX_ONE_HOT, one_hot_columns, prefers_tpe

    words = ["a", "b", "c", "d", "e"]
    six = _space(**{f"op{i}": words for i in range(6)})
    assert one_hot_columns(six) == 30 and not prefers_tpe(six)
    many = _space(**{f"op{i}": words for i in range(GP_MAX_ONE_HOT // 5 + 1)})
    assert one_hot_columns(many) > GP_MAX_ONE_HOT and prefers_tpe(many)
    numbers = _space(**{f"n{i}": [1, 2, 4, 8, 16, 32, 64, 128, 256, 512] for i in range(12)})
    assert one_hot_columns(numbers) == 0 and not prefers_tpe(numbers)  # ordinal lists are one column each
    assert Encoder(numbers).width == 12
