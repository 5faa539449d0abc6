"""One contract suite over every built-in strategy (every name in STRATEGIES, plus auto).

A strategy added to ``hpmagic.strategies.catalog.STRATEGIES`` is covered here without touching
this file.  The strategies are driven the way the runner drives them (``setup``, then
``ask``/``tell`` with frozen ``Trial`` records), and once through ``hpmagic.tune``.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import hpmagic
from hpmagic.cell.parser import parse_cell
from hpmagic.core import Direction, Trial, TrialState
from hpmagic.errors import OptionError
from hpmagic.space import (
    Choice,
    Condition,
    Int,
    LogInt,
    LogNormal,
    LogUniform,
    Normal,
    Parameter,
    SearchSpace,
    Uniform,
)
from hpmagic.strategies import make_strategy, names, resolve
from hpmagic.strategies.base import SEED_LIMIT, CheckedStrategy, Strategy, StrategyContext, check_seed
from hpmagic.strategies.catalog import STRATEGIES
from hpmagic.strategies.hyperopt import TPE, Anneal

# Every strategy of the catalog proposes on its own and is covered here (``manual``, where a
# person picks, is a session of its own: tests/test_manual*.py).
NAMES = ["auto", *STRATEGIES]

# A mixed space: every distribution, steps, choice literals that compare equal across types
# (True / 1 / 1.0), tuples and None, and conditions over earlier parameters.
MIXED = """
lr     = 1e-3     # tune: loguniform(1e-5, 1e-1)
frac   = 0.5      # tune: uniform(0.0, 1.0)
drop   = 0.2      # tune: uniform(0.1, 0.9, step=0.2)
layers = 2        # tune: int(1, 4)
width  = 64       # tune: logint(8, 512, step=8)
batch  = 32       # tune: int(16, 128, step=16)
kind   = "a"      # tune: choice("a", None, True, 1, 1.0, (2, "b"))
shift  = 0.0      # tune: normal(0, 2)
scale  = 1.0      # tune: lognormal(0, 1)
degree = 3        # tune: int(2, 5) if kind == "a"
gamma  = 0.1      # tune: loguniform(1e-3, 1) if layers >= 3 and kind in ("a", None)
lr
"""
SPACE = parse_cell(MIXED).space


def objective(params: dict) -> float:
    """A deterministic loss over the mixed space (lower is better)."""
    value = (math.log10(params["lr"]) + 3) ** 2 + (params["frac"] - 0.3) ** 2 + params["layers"] * 0.1
    value += abs(params["shift"]) * 0.05 + (params["kind"] != "a") * 0.5 + params.get("degree", 0) * 0.01
    return value


def make(name: str, space: SearchSpace = SPACE, *, budget: int = 20, seed: int = 0, maximize: bool = False):
    # two grid points per continuous parameter keep the grid of the mixed space small
    context = StrategyContext(direction="maximize" if maximize else "minimize", budget=budget, seed=seed, grid_points=2)
    return make_strategy(name, space, context)


def complete(number: int, params: dict, value: float) -> Trial:
    return Trial(number=number, params=params, state=TrialState.COMPLETE, value=value)


def check_fits(space: SearchSpace, config: dict) -> None:
    """Every active parameter present with a value of the right type, in range and on its step."""
    space.validate(config)  # active ones present, inactive ones absent
    for name, value in config.items():
        dist = space[name].distribution
        assert dist.contains(value), (name, value, dist)
        if isinstance(dist, Choice):
            assert any(type(o) is type(value) and o == value for o in dist.options), (name, value)
            continue
        assert not isinstance(value, bool), (name, value)
        if isinstance(dist, Int):  # LogInt included
            assert type(value) is int, (name, value)
        else:
            assert type(value) is float and math.isfinite(value), (name, value)
        if isinstance(dist, LogNormal):
            assert value > 0
        step = getattr(dist, "step", None)
        if step is not None:
            k = (value - dist.low) / step
            assert abs(k - round(k)) < 1e-9, (name, value, step)


def drive(strategy, space: SearchSpace, asks: int, *, fail_every: int = 0, first: int = 1) -> list[dict]:
    """Ask and tell ``asks`` trials in turn; every ``fail_every``-th one fails."""
    configs = []
    for number in range(first, first + asks):
        config = strategy.ask(number)
        if config is None:
            break
        check_fits(space, config)
        configs.append(config)
        if fail_every and number % fail_every == 0:
            strategy.tell(Trial(number=number, params=config, state=TrialState.FAILED, error="boom"))
        else:
            strategy.tell(complete(number, config, objective(config) if space is SPACE else 0.0))
    return configs


def test_every_registered_strategy_loads():
    assert {"random", "grid", "sobol", "tpe", "anneal", "hyperopt-random", "de"} <= set(STRATEGIES)
    for name in NAMES:
        strategy = make(name)
        assert callable(strategy.ask) and callable(strategy.tell)
        assert isinstance(strategy.name, str) and strategy.name
        assert isinstance(strategy.reason, str) and strategy.reason


@pytest.mark.parametrize("name", NAMES)
def test_values_respect_types_bounds_steps_and_conditions(name):
    strategy = make(name, budget=25)
    strategy.tell(complete(0, SPACE.defaults(), objective(SPACE.defaults())))
    configs = drive(strategy, SPACE, 24)
    assert len(configs) == 24
    # the conditional parameters are active in some trials and inactive in others
    assert any("degree" in c for c in configs) and any("degree" not in c for c in configs)
    assert any("gamma" not in c for c in configs)


@pytest.mark.parametrize("name", NAMES)
def test_same_seed_same_sequence(name):
    runs = [drive(make(name, seed=7), SPACE, 14) for _ in range(2)]
    assert runs[0] == runs[1]
    assert [list(c) for c in runs[0]] == [list(c) for c in runs[1]]  # same keys in the same order


@pytest.mark.parametrize("name", [n for n in NAMES if n != "grid"])
def test_different_seeds_different_sequences(name):
    assert drive(make(name, seed=1), SPACE, 6) != drive(make(name, seed=2), SPACE, 6)


@pytest.mark.parametrize("name", NAMES)
def test_asking_again_before_telling_gives_distinct_configurations(name):
    strategy = make(name, budget=30)
    strategy.tell(complete(0, SPACE.defaults(), objective(SPACE.defaults())))
    pending = [strategy.ask(n) for n in (1, 2, 3)]  # three pending trials, before any tell
    drive(strategy, SPACE, 12, first=4)  # past any model's start-up phase
    pending += [strategy.ask(n) for n in (16, 17, 18)]
    for config in pending:
        check_fits(SPACE, config)
    assert all(a != b for i, a in enumerate(pending) for b in pending[i + 1 :])
    for n, config in zip((1, 2, 3, 16, 17, 18), pending):  # told late, in another order
        strategy.tell(complete(n, config, objective(config)))
    check_fits(SPACE, strategy.ask(19))


def same(config: dict) -> tuple:
    """A configuration's identity: ``True``, ``1`` and ``1.0`` are different options of a choice."""
    return tuple(sorted((k, type(v).__name__, repr(v)) for k, v in config.items()))


def assert_distinct(configs: list[dict]) -> None:
    keys = [same(c) for c in configs]
    repeats = [c for i, c in enumerate(configs) if keys[i] in keys[:i]]
    assert not repeats, f"configurations in flight twice: {repeats}"


# Twelve configurations (four choices, three integers): eight draws of random search repeat one
# with probability 1 - 12!/(4! 12**8) = 0.95, so a strategy that does not check what is in
# flight fails here.
SMALL_DISCRETE = parse_cell('a = "p"  # tune: ["p", "q", "r", True]\nb = 1  # tune: int(1, 3)\nb').space


@pytest.mark.parametrize("space", [SPACE, SMALL_DISCRETE], ids=["mixed", "12-configurations"])
@pytest.mark.parametrize("name", NAMES)
def test_no_two_configurations_in_flight_are_equal(name, space):
    """Eight asks with nothing told, then eight more after some tells: never one in flight twice."""
    strategy = make(name, space, budget=40, seed=3)
    strategy.tell(complete(0, space.defaults(), objective(space.defaults()) if space is SPACE else 1.0))
    first = [strategy.ask(n) for n in range(1, 9)]
    assert None not in first  # a grid of twelve points has eight to give
    assert_distinct(first)
    for n, config in list(enumerate(first, start=1))[:5]:  # five finish, three stay in flight
        value = objective(config) if space is SPACE else float(config["b"])
        strategy.tell(complete(n, config, value))
    in_flight = first[5:]
    for n in range(9, 14):  # five more asks: eight in flight again
        config = strategy.ask(n)
        if config is None:  # a grid that ran out
            assert strategy.name == "grid"
            break
        check_fits(space, config)
        in_flight.append(config)
    assert_distinct(in_flight)


@pytest.mark.parametrize("name", NAMES)
def test_more_trials_in_flight_than_configurations(name):
    """Six configurations, eight asks: the first six are the whole space; then a grid ends and the
    others repeat one (the documented rule: a repeat only when every configuration is in flight)."""
    space = parse_cell('a = "p"  # tune: ["p", "q", "r"]\nb = 1  # tune: int(1, 2)\nb').space
    strategy = make(name, space, budget=20, seed=5)
    configs = [strategy.ask(n) for n in range(1, 9)]
    assert sorted(same(c) for c in configs[:6]) == sorted(same(c) for c in space.grid(3))
    if strategy.name == "grid":  # auto picks the grid here too
        assert configs[6:] == [None, None]
    else:
        for config in configs[6:]:
            check_fits(space, config)
    # once some finish, their configurations are free again and are proposed before any repeat
    strategy.tell(complete(2, configs[1], 1.0))
    if strategy.name != "grid":
        for n in (3, 4, 5, 6):  # four more finish: four configurations free
            strategy.tell(complete(n, configs[n - 1], 1.0))
        flying = {same(c) for c in (configs[0], *configs[6:])}
        fresh = [strategy.ask(n) for n in (9, 10)]
        assert_distinct(fresh)
        assert not flying & {same(c) for c in fresh}


@pytest.mark.parametrize("seed", [0, 2, 3])
def test_gp_batch_points_are_apart_not_just_unequal(seed):
    """Thirty trials in, six asks in flight do not crowd the optimum's spot.

    Believed at the mean (noisy, the incumbent kept), a pending point that the model expects to
    improve keeps its expected improvement, and the next ask lands on top of it (0.0002 and 0.0
    apart on these seeds before the fix): a wasted worker, however unequal the floats.
    """
    space = parse_cell("\n".join(f"x{i} = 0.5  # tune: uniform(0, 1)" for i in range(3)) + "\nx0").space

    def wavy(c: dict) -> float:
        x = np.array([c[f"x{i}"] for i in range(3)])
        return float(np.sum((x - 0.3) ** 2) + 0.3 * np.sin(7 * x).sum())

    strategy = make("gp", space, budget=40, seed=seed)
    for n in range(1, 31):
        config = strategy.ask(n)
        strategy.tell(complete(n, config, wavy(config)))
    batch = [strategy.ask(n) for n in range(31, 37)]
    X = np.array([[c[f"x{i}"] for i in range(3)] for c in batch])
    gaps = [np.abs(X[i] - X[j]).max() for i in range(len(X)) for j in range(i)]
    assert min(gaps) > 5e-4, gaps


@pytest.mark.parametrize("name", NAMES)
def test_failed_pruned_interrupted_and_unasked_trials_are_tolerated(name):
    strategy = make(name, budget=30, maximize=True)
    # told but never asked: the defaults, and trials of a resumed study (numbers out of order)
    strategy.tell(complete(0, SPACE.defaults(), 1.0))
    strategy.tell(Trial(number=5, params=SPACE.defaults(), state=TrialState.FAILED, error="boom"))
    strategy.tell(Trial(number=3, params=SPACE.sample(_Rng()), state=TrialState.INTERRUPTED))
    strategy.tell(Trial(number=4, params=SPACE.sample(_Rng()), state=TrialState.PRUNED))
    # every asked trial fails: the strategy must keep proposing valid configurations
    numbers = [n for n in range(1, 40) if n not in (3, 4, 5)][:16]
    for number in numbers:
        config = strategy.ask(number)
        if config is None:
            break
        check_fits(SPACE, config)
        state = (TrialState.FAILED, TrialState.PRUNED, TrialState.INTERRUPTED)[number % 3]
        strategy.tell(Trial(number=number, params=config, state=state))
    for number in range(40, 46):
        config = strategy.ask(number)
        if config is None:
            break
        check_fits(SPACE, config)
        strategy.tell(complete(number, config, -objective(config)))


class _Rng:
    """A tiny deterministic stand-in for random.Random (only ``random()`` is needed)."""

    def __init__(self):
        self.x = 0.1234

    def random(self):
        self.x = (self.x * 7.123 + 0.31) % 1.0
        return self.x


def test_out_of_range_and_foreign_defaults_are_tolerated():
    """A default outside its range (allowed by the grammar) is trial 0 and told to every strategy."""
    space = parse_cell(
        'a = 50.0  # tune: uniform(0, 1)\nb = "zzz"  # tune: choice("x", "y")\nc = 0  # tune: logint(2, 64)\n'
        'd = -1.0  # tune: lognormal(0, 1)\ne = "none"  # tune: normal(0, 1)\na'
    ).space
    for name in NAMES:
        strategy = make(name, space, budget=12)
        strategy.tell(complete(0, space.defaults(), 0.0))
        drive(strategy, space, 11)


@pytest.mark.parametrize("name", NAMES)
def test_small_discrete_space(name):
    """Six configurations: a strategy that runs out must have tried each once; others go on."""
    space = parse_cell('a = "p"  # tune: ["p", "q", "r"]\nb = 1  # tune: int(1, 2)\nb').space
    strategy = make(name, space, budget=10)
    strategy.tell(complete(0, space.defaults(), 1.0))
    configs = drive(strategy, space, 9)
    if len(configs) < 9:  # the strategy ran out (a grid)
        assert sorted((c["a"], c["b"]) for c in configs) == [(a, b) for a in "pqr" for b in (1, 2)]
        assert strategy.ask(20) is None


def test_grid_exhaustion_ends_the_search_through_the_runner():
    cell = 'a = 1  # tune: int(1, 3)\nb = "x"  # tune: ["x", "y"]\na + (b == "y")'
    result = hpmagic.tune(cell, {}, trials=50, strategy="grid", seed=0, quiet=True, apply=False)
    assert result.stop_reason == "exhausted"
    assert len(result.trials) == 1 + 6  # the defaults, then the whole grid once
    assert sorted((t.params["a"], t.params["b"]) for t in result.trials[1:]) == [
        (a, b) for a in (1, 2, 3) for b in ("x", "y")
    ]


TUNE_CELL = """
x = 0.5      # tune: uniform(-2, 2)
k = "lin"    # tune: ["lin", "sq", None]
p = 2        # tune: int(1, 4) if k == "sq"
lr = 1e-2    # tune: loguniform(1e-4, 1)
(x - 1) ** 2 + (p if k == "sq" else 1) * 0.1 + abs(lr - 0.1)
"""


@pytest.mark.parametrize("name", NAMES)
def test_tune_runs_to_completion(name):
    namespace: dict = {}
    result = hpmagic.tune(TUNE_CELL, namespace, trials=12, strategy=name, seed=3, quiet=True)
    assert len(result.trials) <= 12 and result.stop_reason in ("budget", "exhausted")
    assert len(result.trials) == 12 or result.stop_reason == "exhausted"
    assert all(t.state is TrialState.COMPLETE for t in result.trials)
    space = parse_cell(TUNE_CELL).space
    for trial in result.trials:
        check_fits(space, trial.params)
    assert namespace["x"] == result.best_params["x"]
    again = hpmagic.tune(TUNE_CELL, {}, trials=12, strategy=name, seed=3, quiet=True)
    assert [t.params for t in again.trials] == [t.params for t in result.trials]


# -- property-based: random spaces -----------------------------------------------------


@st.composite
def spaces(draw) -> SearchSpace:
    params: list[Parameter] = []
    for i in range(draw(st.integers(1, 5))):
        kind = draw(
            st.sampled_from(["uniform", "quniform", "loguniform", "int", "logint", "choice", "normal", "lognormal"])
        )
        low = draw(st.integers(-50, 50))
        span = draw(st.integers(1, 200))
        if kind == "uniform":
            dist = Uniform(low / 4, (low + span) / 4)
        elif kind == "quniform":
            dist = Uniform(float(low), float(low + span), step=draw(st.sampled_from([0.5, 1.0, 3.0, span])))
        elif kind == "loguniform":
            dist = LogUniform(10.0 ** (low / 10), 10.0 ** (low / 10) * (1 + span))
        elif kind == "int":
            dist = Int(low, low + span, step=draw(st.sampled_from([None, 1, 2, 7, span])))
        elif kind == "logint":
            dist = LogInt(abs(low) + 1, abs(low) + 1 + span, step=draw(st.sampled_from([None, 2, 5])))
        elif kind == "choice":
            literals = st.one_of(
                st.none(),
                st.booleans(),
                st.integers(-3, 3),
                st.text(max_size=3),
                st.tuples(st.integers(0, 2), st.text(max_size=1)),
            )
            options = draw(st.lists(literals, min_size=1, max_size=5, unique_by=lambda v: (type(v), v)))
            dist = Choice(tuple(options))
        elif kind == "normal":
            dist = Normal(float(low), span / 10)
        else:
            dist = LogNormal(low / 20, span / 50)
        condition = None
        if params and draw(st.booleans()):
            target = draw(st.sampled_from(params))
            literal = target.distribution.from_unit(draw(st.floats(0, 1)))
            op = "==" if isinstance(target.distribution, Choice) else draw(st.sampled_from(["<", ">=", "!="]))
            condition = Condition(("cmp", target.name, op, literal), f"{target.name} {op} {literal!r}")
        params.append(Parameter(f"p{i}", dist, dist.from_unit(0.5), condition))
    return SearchSpace(tuple(params))


@pytest.mark.parametrize("name", NAMES)
@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(space=spaces(), seed=st.integers(0, 2**31 - 1))
def test_random_spaces(name, space, seed):
    strategy = make(name, space, budget=8, seed=seed)
    strategy.tell(complete(0, space.defaults(), 0.0))
    drive(strategy, space, 7)


# -- strategy-specific checks -----------------------------------------------------------


def test_sobol_is_balanced_and_quiet():
    """The first 2**k points put one point in each of 2**k strata of every axis, with no warning."""
    space = SearchSpace(tuple(Parameter(f"u{i}", Uniform(0.0, 1.0), 0.5) for i in range(3)))
    strategy = make("sobol", space, budget=17, seed=4)  # 16 points after the defaults
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        configs = [strategy.ask(n) for n in range(1, 41)]  # past the first block: more blocks
    for name in space.names:
        for size in (16, 32):
            strata = sorted(int(c[name] * size) for c in configs[:size])
            assert strata == list(range(size)), (name, size)
    assert len({tuple(c.values()) for c in configs}) == 40


def test_sobol_sequence_does_not_depend_on_the_budget():
    a = drive(make("sobol", budget=5, seed=9), SPACE, 20)
    b = drive(make("sobol", budget=100, seed=9), SPACE, 20)
    assert a == b


# -- lookup, seeds and the check of custom strategies -------------------------------------

SMALL = parse_cell(
    'x = 0.5  # tune: uniform(0, 1)\nn = 2  # tune: int(1, 6)\nk = "a"  # tune: ["a", "b", None]\n'
    'lr = 0.1  # tune: loguniform(1e-3, 1) if k == "a"\nx'
).space
CELL = "x = 0.5  # tune: uniform(0, 1)\n(x - 0.2) ** 2"


def test_the_names_are_auto_and_the_catalog():
    assert names() == ["auto", *STRATEGIES, "manual"]
    assert resolve(" TPE ") == "tpe" and resolve("auto") == "auto"


def test_an_unknown_name_is_an_option_error_with_the_closest_name():
    with pytest.raises(
        OptionError, match=r"unknown strategy 'rnadom' \(did you mean 'random'\?\); use one of auto, random"
    ):
        make("rnadom")
    with pytest.raises(OptionError, match="unknown strategy 'nope'; use one of .*Strategy object in the namespace"):
        resolve("nope", {"other": TPE()})
    with pytest.raises(OptionError, match="unknown strategy 'nope'"):
        hpmagic.tune(CELL, {}, strategy="nope", trials=3, quiet=True)


def test_a_value_that_is_not_a_strategy_is_an_option_error_naming_its_type():
    needs = r"not a strategy: a strategy is an object with ask\(number\) and tell\(trial\) methods"
    with pytest.raises(OptionError, match=f"the strategy is of type int, {needs}"):
        make_strategy(3, SPACE, StrategyContext())
    with pytest.raises(OptionError, match=f"--strategy mine: the variable 'mine' is of type list, {needs}"):
        resolve("mine", {"mine": [1, 2]})
    with pytest.raises(
        OptionError, match=r"the variable 'mine' is the class TPE, not a strategy object; .*mine = TPE\(\)"
    ):
        resolve("mine", {"mine": TPE})
    with pytest.raises(OptionError, match="of type dict, not a strategy"):
        hpmagic.tune(CELL, {"mine": {}}, strategy="mine", trials=3, quiet=True)
    # a built-in name wins over a namespace variable of that name
    assert resolve("gp", {"gp": 3}) == "gp"


def test_bad_options_of_a_strategy_in_the_namespace_are_an_option_error():
    with pytest.raises(OptionError, match=r"TPE\(\) got unknown option\(s\) 'bogus' for hyperopt.tpe.suggest"):
        hpmagic.tune(CELL, {"mine": TPE(bogus=1)}, strategy="mine", trials=3, quiet=True)
    with pytest.raises(OptionError, match="got unknown option"):
        make_strategy(Anneal(bogus=1), SPACE, StrategyContext())


@pytest.mark.parametrize("seed", [-1, SEED_LIMIT, 2**64, 1.5, 3.0, "3", True, False, None, np.float64(2)])
def test_a_seed_no_strategy_can_use_is_an_option_error(seed):
    with pytest.raises(
        OptionError, match=r"the seed must be a whole number from 0 to 2\*\*32 - 1 \(4294967295\), but got"
    ):
        check_seed(seed)
    with pytest.raises(OptionError, match="the seed must be a whole number"):
        StrategyContext(seed=seed)


def test_good_seeds_come_back_as_ints():
    for seed in (0, 7, SEED_LIMIT - 1, np.int64(5), np.uint32(2**32 - 1)):
        assert check_seed(seed) == int(seed) and type(check_seed(seed)) is int
    assert type(StrategyContext(seed=np.int64(5)).seed) is int


@pytest.mark.parametrize("seed", [0, SEED_LIMIT - 1])
@pytest.mark.parametrize("name", NAMES)
def test_every_builtin_strategy_takes_the_smallest_and_largest_seed(name, seed):
    strategy = make(name, SMALL, budget=12, seed=seed)
    assert strategy.context.seed == seed
    strategy.tell(complete(0, SMALL.defaults(), 0.5))
    assert len(drive(strategy, SMALL, 8)) == 8


def test_the_direction_may_be_given_as_a_string():
    context = StrategyContext(direction="maximize")
    assert context.direction is Direction.MAXIMIZE
    assert context.loss(complete(1, {}, 2.0)) == -2.0
    assert StrategyContext().loss(complete(1, {}, 2.0)) == 2.0
    assert StrategyContext().loss(Trial(number=1, params={}, state=TrialState.FAILED)) is None
    with pytest.raises(OptionError, match="the direction must be 'minimize' or 'maximize', but got 'up'"):
        StrategyContext(direction="up")


class _Fixed:
    """A custom strategy (not a Strategy subclass) that proposes a bad configuration from trial 3 on."""

    name = "fixed"
    reason = "always the same"

    def __init__(self):
        self.told = []

    def ask(self, number):
        return {"x": 0.25} if number < 3 else {"y": 1}

    def tell(self, trial):
        self.told.append(trial.number)


def test_custom_strategies_are_checked_and_builtin_ones_are_not():
    space = parse_cell(CELL).space
    custom = make_strategy(_Fixed(), space, StrategyContext())
    assert isinstance(custom, CheckedStrategy) and custom.name == "fixed" and custom.reason == "always the same"
    assert custom.ask(1) == {"x": 0.25}
    custom.tell(complete(1, {"x": 0.25}, 0.0))
    assert custom.wrapped.told == [1]
    with pytest.raises(OptionError, match=r"strategy 'fixed' proposed \{'y': 1\} for trial 3: "):
        custom.ask(3)
    assert not isinstance(make("random", space), CheckedStrategy)
    annealer = Anneal(shrink_coef=0.3)
    assert make_strategy(annealer, space, StrategyContext()) is annealer  # a built-in class, configured


def test_a_strategy_subclass_outside_hpmagic_is_checked():
    class Mine(Strategy):
        name = "mine"

        def ask(self, number):
            return {}

    space = parse_cell(CELL).space
    strategy = make_strategy(Mine(), space, StrategyContext(seed=4))
    assert isinstance(strategy, CheckedStrategy) and strategy.wrapped.context.seed == 4  # set up before wrapping
    with pytest.raises(OptionError, match="strategy 'mine' proposed {} for trial 1: .*lacks active parameter 'x'"):
        strategy.ask(1)
