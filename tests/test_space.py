"""Search spaces: quantised values, grids (large ones included), conditions, JSON."""

from __future__ import annotations

import pickle
import random
import time

import pytest

import hpmagic
import hpmagic.errors
from hpmagic.cell.parser import parse_cell
from hpmagic.space import Choice, Int, LogInt, LogUniform, Normal, SpaceError, Uniform
from hpmagic.strategies import make_strategy
from hpmagic.strategies.base import StrategyContext

from .shared import SharedList


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


# -- what changed between two spaces ---------------------------------------------------------

BASE = "x = 0.0  # tune: uniform(-2, 2)\nkind = 'a'  # tune: ['a', 'b']\nv = 1  # tune: int(1, 3) if kind == 'b'\nx\n"


@pytest.mark.parametrize(
    ("new", "expected"),
    [
        (BASE, []),
        ("# moved\n\n" + BASE, []),
        (BASE.replace("uniform(-2, 2)", "uniform(-3, 2)"), ["x was uniform(-2, 2), now uniform(-3, 2)"]),
        (BASE.replace("x = 0.0", "x = 1.0"), []),  # a new default is not a new space: changed_defaults
        (BASE.replace(" if kind == 'b'", ""), ["the condition of v was \"if kind == 'b'\", now 'unconditional'"]),
        ("y = 1  # tune: int(0, 3)\n" + BASE, ["parameter 'y' (int(0, 3)) is new"]),
        (
            BASE.replace("v = 1  # tune: int(1, 3) if kind == 'b'\n", ""),
            ["parameter 'v' (int(1, 3) if kind == 'b') is no longer tuned"],
        ),
    ],
)
def test_diff_says_each_change_in_one_phrase(new, expected):
    assert parse_cell(BASE).space.diff(parse_cell(new).space) == expected


def test_changed_defaults_names_them_in_the_cells_order_and_a_type_is_a_change():
    old = parse_cell("x = 1  # tune: [1, 1.0, True]\ny = 0.5  # tune: uniform(0, 1)\nz = 2  # tune: int(0, 3)\nx").space
    new = parse_cell(
        "z = 3  # tune: int(0, 3)\nx = True  # tune: [1, 1.0, True]\ny = 0.5  # tune: uniform(0, 1)\nx"
    ).space
    assert old.diff(new) == [] and old.changed_defaults(new) == ["z", "x"]
    assert old.changed_defaults(old) == []


# -- a distribution's rule, and its fix ------------------------------------------------------


@pytest.mark.parametrize(
    ("make", "words", "fix"),
    [
        (lambda: LogUniform(0, 1), "loguniform needs `0 < low`", "raise `low` above 0, or use uniform(...)"),
        (lambda: LogInt(0, 10), "logint needs `1 <= low`", "raise `low` to 1 or more, or use int(...)"),
        (lambda: Uniform(2, 1), "`low < high` must hold", "swap or correct the bounds so that low is below high"),
        (lambda: LogUniform(1, 1e-3), "`low < high` must hold", "swap or correct the bounds"),
        (lambda: Choice(("a", "a")), "more than once", "list each value once"),
        (lambda: Normal(0, -1), "`sigma > 0` must hold", "correct the arguments"),
        (lambda: Int(1.5, 3), "whole numbers", "correct the arguments"),
    ],
)
def test_a_broken_rule_is_a_space_error_that_knows_its_fix(make, words, fix):
    with pytest.raises(SpaceError, match=words) as info:
        make()
    assert info.value.fix.startswith(fix)
    assert isinstance(info.value, hpmagic.errors.HpmagicError) and isinstance(info.value, ValueError)


def test_a_space_error_keeps_its_fix_through_pickling():
    error = pickle.loads(pickle.dumps(SpaceError("bad", "do this")))
    assert (str(error), error.fix) == ("bad", "do this")


def test_the_distributions_module_and_space_name_the_same_classes():
    import hpmagic.distributions
    import hpmagic.space

    for name in ("Uniform", "LogUniform", "Int", "LogInt", "Choice", "Normal", "LogNormal", "Distribution"):
        assert getattr(hpmagic.space, name) is getattr(hpmagic.distributions, name)
    assert hpmagic.space.SpaceError is hpmagic.errors.SpaceError


# -- ranges that floats cannot hold (issue 12) ------------------------------------------------

OVERFLOWING = [
    # (annotation, words of the rule, words of the fix)
    ("uniform(-1e308, 1e308)", "wider than the largest float", "narrow the range"),
    ("uniform(-9e307, 9e307)", "wider than the largest float", "loguniform"),
    ("uniform(0, 1e308, step=1e-300)", "more than 2**53 steps", "use a larger `step`"),
    ("uniform(0, 1, step=1e-17)", "more than 2**53 steps", "drop `step=`"),
    ("int(0, 10**30)", "int needs bounds within ±2**53", "narrow the range"),
    ("int(-2**60, 0)", "int needs bounds within ±2**53", "loguniform(1, 1e30)"),
    ("int(0, 1e300)", "int needs bounds within ±2**53", "narrow the range"),
    ("logint(1, 10**30)", "logint needs bounds within ±2**53", "round it in the cell"),
    ("loguniform(1e-320, 1)", "at least 2.2e-308 (the smallest normal float)", "raise `low` to 1e-300"),
    ("normal(0, 1e308)", "mu ± 7.03 sigma, which overflows a float", "use a sigma below"),
    ("normal(1.7e308, 1e307)", "overflows a float", "use a sigma below"),
    ("lognormal(1000, 1)", "up to exp(1007), beyond the largest float", "write lognormal(6.91, ...)"),
    ("lognormal(0, 200)", "beyond the largest float", "mu and sigma are those of the value's logarithm"),
    ("lognormal(-1000, 1)", "below the smallest normal positive float", "keep mu ± 7.03 sigma within"),
]


@pytest.mark.parametrize("spec, rule, fix", OVERFLOWING, ids=[o[0] for o in OVERFLOWING])
def test_a_range_floats_cannot_hold_is_an_annotation_error_naming_the_parameter(spec, rule, fix):
    source = f"lr = 1.0  # tune: {spec}\nlr"
    with pytest.raises(hpmagic.AnnotationError) as info:
        parse_cell(source)
    (problem,) = info.value.problems
    assert problem.message.startswith("'lr': ") and rule in problem.message
    assert fix in problem.fix
    assert problem.column == source.index(spec) + 1


@pytest.mark.parametrize("spec", ["uniform(-1e308, 1e308)", "int(0, 10**30)", "lognormal(1000, 1)"])
def test_the_magic_refuses_an_overflowing_range_before_anything_runs(ip, capsys, spec):
    ip.user_ns["calls"] = SharedList()
    result = ip.run_cell(f"%%tune -q -n 5 -s grid\ncalls.append(1)\nlr = 1.0  # tune: {spec}\nlr")
    assert not result.success
    text = "".join(capsys.readouterr())
    assert "UsageError" in text and "line 3," in text and "'lr':" in text and "Traceback" not in text
    assert ip.user_ns["calls"] == [] and "lr" not in ip.user_ns


@pytest.mark.parametrize(
    "dist",
    [
        Uniform(-1e308, 0),
        Uniform(1e308, 1.7e308),
        Int(-(2**53), 2**53),
        Int(0, 2**53, step=3),
        LogInt(1, 2**53),
        LogUniform(2.3e-308, 1.7976931348623157e308),
        Normal(0, 2.5e307),
        hpmagic.space.LogNormal(700, 1.3),
        Uniform(0, 1, step=1e-15),
    ],
    ids=repr,
)
def test_the_widest_accepted_ranges_give_finite_values_inside_their_bounds(dist):
    import math

    for u in (0.0, 5e-324, 1e-12, 0.5, 1 - 1e-12, 1 - 2**-53, 1.0):
        value = dist.from_unit(u)
        assert math.isfinite(value) and dist.contains(value), f"{dist!r}.from_unit({u!r}) = {value!r}"
    for points in (1, 2, 3, 5, 7):
        values = dist.grid(points)
        assert all(math.isfinite(v) and dist.contains(v) for v in values), f"{dist!r}.grid({points}) = {values!r}"


def test_integer_grids_are_exact_up_to_2_to_the_53():
    # The float division of before gave 1000000000000000019884624838656 > high for int(0, 10**30).
    assert Int(0, 2**53).grid(3) == [0, 2**52, 2**53]
    assert Int(-(2**53), 2**53).grid(5)[-1] == 2**53
    assert Int(0, 10).grid(5) == [0, 2, 5, 8, 10]  # half to even, as before: 2.5 -> 2, 7.5 -> 8


def test_tune_refuses_an_overflowing_range_before_anything_runs():
    ns: dict = {"calls": SharedList()}
    with pytest.raises(hpmagic.AnnotationError, match="'lr': lognormal\\(1000, 1\\) draws"):
        hpmagic.tune("calls.append(1)\nlr = 1.0  # tune: lognormal(1000, 1)\nlr", ns, quiet=True, trials=3)
    assert ns == {"calls": []}


def test_tuple_choices_keep_bools_and_numbers_apart():
    from hpmagic.distributions import Choice

    choice = Choice(((False,), (0,), (1.0,)))
    assert [choice.index(v) for v in ((False,), (0,), (1.0,))] == [0, 1, 2]
    assert choice.grid(1) == [(False,), (0,), (1.0,)]
