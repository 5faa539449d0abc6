"""--enqueue: configurations run first, each once, after the defaults; partial ones completed from
the cell's defaults; bad ones refused before anything runs (hpmagic.enqueue)."""

from __future__ import annotations

import pytest

import hpmagic
from hpmagic import OptionError, Strategy

from .conftest import run_tune
from .shared import SharedList

CELL = """
x = 0.0      # tune: uniform(-2, 2)
kind = "a"   # tune: ["a", "b"]
calls.append((x, kind))
(x - 0.5) ** 2 + (kind == "b")
"""

CONDITIONAL = """
model = "linear"      # tune: ["linear", "rbf"]
gamma = 0.1           # tune: loguniform(1e-3, 1.0) if model == "rbf"
calls.append(model)
gamma if model == "rbf" else 1.0
"""


class Told(Strategy):
    """Random search that remembers the trials it was told."""

    name = "told"

    def setup(self, space, context):
        super().setup(space, context)
        import random

        self.rng = random.Random(context.seed)
        self.told = []

    def ask(self, number):
        return self.space.sample(self.rng)

    def tell(self, trial):
        self.told.append((trial.number, dict(trial.params)))


def tune(cell=CELL, **options):
    ns = options.pop("ns", {})
    ns.setdefault("calls", SharedList())
    options.setdefault("quiet", True)
    options.setdefault("strategy", "random")
    options.setdefault("seed", 0)
    return hpmagic.tune(cell, ns, **options), ns


def test_given_configurations_run_after_the_defaults_in_order_and_the_strategy_is_told_them():
    told = Told()
    tries = [{"x": 1.0, "kind": "b"}, {"x": -1.5, "kind": "a"}]
    result, ns = tune(trials=6, enqueue=tries, strategy=told)
    assert ns["calls"][:3] == [(0.0, "a"), (1.0, "b"), (-1.5, "a")]
    assert len(ns["calls"]) == 6
    assert [t.params for t in result.trials[1:3]] == tries
    assert [t.pruning.get("enqueued") for t in result.trials] == [None, 0, 1, None, None, None]
    assert (1, {"x": 1.0, "kind": "b"}) in told.told and (2, {"x": -1.5, "kind": "a"}) in told.told
    assert "trials 1-2 were enqueued (configurations given with --enqueue)" in result.notes
    assert "trials 1-2 were enqueued" in repr(result) and "trials 1-2 were enqueued" in result._repr_html_()


def test_the_magic_reads_the_list_from_the_notebook(ip):
    ip.user_ns["calls"] = SharedList()
    ip.user_ns["tries"] = [{"x": 1.25}, {"kind": "b"}, {"x": -2, "kind": "b"}]
    run_tune(ip, "-n 8 -q --seed 0 -s random --enqueue tries -o r", CELL).raise_error()
    calls = ip.user_ns["calls"]
    assert calls[:4] == [(0.0, "a"), (1.25, "a"), (0.0, "b"), (-2.0, "b")]
    assert len(calls) == 8
    assert "trials 1-3 were enqueued (configurations given with --enqueue)" in ip.user_ns["r"].notes


def test_a_partial_configuration_takes_the_defaults_and_only_active_conditional_parameters():
    tries = [{"model": "rbf"}, {"model": "rbf", "gamma": 0.5}, {"model": "linear"}]
    result, ns = tune(CONDITIONAL, trials=4, enqueue=tries)
    assert [t.params for t in result.trials[:3]] == [
        {"model": "linear"},
        {"model": "rbf", "gamma": 0.1},
        {"model": "rbf", "gamma": 0.5},
    ]
    assert ns["calls"] == ["linear", "rbf", "rbf", result.trials[3].params["model"]]
    assert "enqueue: configuration [2] is the cell's defaults, which ran as trial 0" in result.notes
    assert "trials 1-2 were enqueued (configurations given with --enqueue)" in result.notes


def test_a_value_for_an_inactive_parameter_is_refused():
    with pytest.raises(OptionError) as err:
        tune(CONDITIONAL, trials=4, enqueue=[{"gamma": 0.5}])
    assert str(err.value).startswith("enqueue: configuration [0] gives 'gamma', but its condition does not hold")


def test_duplicates_run_once_and_say_so():
    tries = [{"x": 1.0}, {"x": 1, "kind": "a"}, {"x": 1.5}]
    result, ns = tune(trials=5, enqueue=tries)
    assert ns["calls"][:3] == [(0.0, "a"), (1.0, "a"), (1.5, "a")]
    assert sum(1 for c in ns["calls"] if c == (1.0, "a")) == 1
    assert "enqueue: configuration [1] repeats [0], so it runs once" in result.notes


def test_a_name_not_in_the_space_is_one_error_before_anything_runs(ip):
    ip.user_ns["calls"] = SharedList()
    ip.user_ns["tries"] = [{"x": 1.0}, {"kidn": "b"}]
    run = run_tune(ip, "-n 4 --enqueue tries", CELL)
    assert ip.user_ns["calls"] == []
    assert type(run.error_in_exec).__name__ == "UsageError"
    assert str(run.error_in_exec) == (
        "--enqueue tries: configuration [1] names 'kidn', which is not a tuned parameter of the cell "
        "(did you mean 'kind'?); the parameters are x, kind"
    )


@pytest.mark.parametrize(
    "row, message",
    [
        (
            {"x": 3.0},
            "enqueue: configuration [0]: x = 3.0 lies outside the range of x, uniform(-2, 2); give a value "
            "inside it, or widen the annotation",
        ),
        (
            {"kind": "c"},
            "enqueue: configuration [0]: kind = 'c' is not one of the options of kind, choice('a', 'b'); "
            "give a value inside it, or widen the annotation",
        ),
        ({"x": "1"}, "enqueue: configuration [0]: x = '1' is not a number; x takes numbers in uniform(-2, 2)"),
    ],
)
def test_a_value_outside_the_space_says_the_range(row, message):
    ns = {"calls": SharedList()}
    with pytest.raises(OptionError) as err:
        tune(trials=4, enqueue=[row], ns=ns)
    assert str(err.value) == message
    assert ns["calls"] == []


@pytest.mark.parametrize(
    "value, message",
    [
        (
            0.55,
            "enqueue: configuration [0]: q = 0.55 is not a step of q, uniform(0, 1, step=0.1); the nearest are 0.5 and "
            "0.6",
        ),
        (7, "enqueue: configuration [0]: n = 7 is not a step of n, int(0, 20, step=5); the nearest are 5 and 10"),
    ],
)
def test_a_value_between_the_steps_of_a_stepped_range_is_refused(value, message):
    cell = "q = 0.5  # tune: uniform(0, 1, step=0.1)\nn = 5  # tune: int(0, 20, step=5)\nq + n\n"
    name = "q" if isinstance(value, float) else "n"
    with pytest.raises(OptionError) as err:
        hpmagic.tune(cell, {}, trials=3, quiet=True, enqueue=[{name: value}])
    assert str(err.value) == message
    result = hpmagic.tune(cell, {}, trials=3, quiet=True, enqueue=[{"q": 0.7, "n": 20}], strategy="random")
    assert result.trials[1].params == {"q": 0.7, "n": 20}


@pytest.mark.parametrize(
    "given, message",
    [
        (
            {"x": 1.0},
            "enqueue: takes a list of dicts (one a configuration), a pandas DataFrame, a TuneResult or a study "
            "read with hpmagic.load_study, but got dict; for one configuration, give a list of it: [config]",
        ),
        ([1.0], "enqueue: configuration [0] is a float, not a dict of parameter values, e.g. {'C': 10.0}"),
        ("nothere", "--enqueue nothere: there is no variable 'nothere' in the namespace"),
        (
            "tries:0",
            "--enqueue tries:0: after the colon comes how many configurations to take, a whole number of at "
            "least 1 (e.g. --enqueue tries:5), but got '0'",
        ),
    ],
)
def test_what_is_not_a_list_of_configurations_is_refused(given, message):
    with pytest.raises(OptionError) as err:
        tune(trials=4, enqueue=given, ns={"tries": [{"x": 1.0}]})
    assert str(err.value) == message


def test_a_dataframe_one_row_a_configuration_missing_values_not_given():
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame({"x": [1.0, None, -1.0], "kind": ["b", "b", None]})
    result, ns = tune(trials=5, enqueue=frame)
    assert ns["calls"][:4] == [(0.0, "a"), (1.0, "b"), (0.0, "b"), (-1.0, "a")]
    assert all(type(x) is float for x, _ in ns["calls"])


def test_a_whole_float_of_a_table_column_with_gaps_is_the_integer_option():
    pd = pytest.importorskip("pandas")
    cell = "n = 1  # tune: [1, 2, 4]\nx = 0.0  # tune: uniform(-1, 1)\nn + x\n"
    frame = pd.DataFrame({"n": [4, None], "x": [None, 0.5]})
    assert frame["n"].dtype == float
    result = hpmagic.tune(cell, {}, trials=3, quiet=True, enqueue=frame, strategy="random")
    assert [t.params for t in result.trials[1:3]] == [{"n": 4, "x": 0.0}, {"n": 1, "x": 0.5}]
    assert type(result.trials[1].params["n"]) is int


def test_a_result_gives_its_best_complete_trials_best_first_and_k_takes_the_first_k():
    earlier, _ = tune(trials=8, seed=3)
    best = [t.params for t in earlier.top(4)]
    assert best[1] == {"x": 0.0, "kind": "a"}  # the defaults are among the best: not run again
    result, ns = tune(trials=6, enqueue="earlier:4", ns={"earlier": earlier}, seed=4)
    assert [dict(zip(("x", "kind"), c)) for c in ns["calls"][1:4]] == [best[0], best[2], best[3]]
    assert "trials 1-3 were enqueued (configurations given with --enqueue)" in result.notes
    assert "--enqueue earlier: configuration [1] is the cell's defaults, which ran as trial 0" in result.notes
    # its table works too (param_ columns): trial 0's row is the defaults, which already ran
    again, ns = tune(trials=3, enqueue=earlier.to_dataframe())
    assert [dict(zip(("x", "kind"), c)) for c in ns["calls"][1:3]] == [t.params for t in earlier.trials[1:3]]
    assert "enqueue: configuration [0] is the cell's defaults, which ran as trial 0" in again.notes


def test_a_budget_smaller_than_the_list_runs_the_first_and_says_how_many_were_left():
    tries = [{"x": v} for v in (0.25, 0.5, 0.75, 1.0, 1.25)]
    result, ns = tune(trials=3, enqueue=tries)
    assert ns["calls"] == [(0.0, "a"), (0.25, "a"), (0.5, "a")]
    assert (
        "3 of the 5 enqueued configurations did not run: the search ended first (raise -n to run them)" in result.notes
    )
    assert "3 of the 5 enqueued configurations did not run" in repr(result)


def test_enqueue_with_the_manual_strategy_is_refused():
    with pytest.raises(OptionError, match="--enqueue runs configurations before the strategy proposes"):
        tune(trials=3, enqueue=[{"x": 1.0}], strategy="manual")


def test_with_grid_the_default_budget_covers_the_whole_grid_after_the_given_ones():
    result, ns = tune(trials=None, strategy="grid", grid_points=3, enqueue=[{"x": 1.5, "kind": "b"}])
    assert result.budget == 8  # 6 grid points, the defaults and the given one
    assert ns["calls"][1] == (1.5, "b")
    assert sorted(set(ns["calls"][2:]) | {(0.0, "a")}) == sorted((x, k) for x in (-2.0, 0.0, 2.0) for k in "ab")


def test_without_the_baseline_the_given_ones_come_first_and_the_defaults_may_be_among_them():
    result, ns = tune(trials=4, baseline=False, enqueue=[{"x": 0.0}, {"x": 1.0}])
    assert ns["calls"][:2] == [(0.0, "a"), (1.0, "a")]
    assert "trials 0-1 were enqueued (configurations given with --enqueue)" in result.notes


def test_a_stored_study_read_back_gives_its_best(tmp_path):
    path = tmp_path / "old.sqlite"
    tune(trials=6, study="old", storage=str(path), seed=5)
    old = hpmagic.load_study("old", path)
    given = [t.params for t in old.top(3) if t.number != 0]  # the defaults, if among them, ran as trial 0
    result, ns = tune(trials=5, enqueue="old:3", ns={"old": old}, seed=6)
    assert [dict(zip(("x", "kind"), c)) for c in ns["calls"][1 : 1 + len(given)]] == given
    assert (
        len(given) >= 2 and f"trials 1-{len(given)} were enqueued (configurations given with --enqueue)" in result.notes
    )
