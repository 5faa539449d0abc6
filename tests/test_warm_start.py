"""--warm-start: a new search whose strategy starts from an earlier study's complete trials, mapped
onto a space that may have changed; they are not trials of the search (hpmagic.warmstart)."""

from __future__ import annotations

import sqlite3
import statistics

import pytest

import hpmagic
from hpmagic import OptionError, StorageError, Strategy

from .conftest import run_tune

EARLIER = """
x = 0.5    # tune: uniform(0, 1)
deg = 2    # tune: int(1, 5)
(x - 0.3) ** 2 + 0.01 * deg
"""

# x narrowed to [0, 0.6], deg removed, g added
LATER = """
x = 0.5    # tune: uniform(0, 0.6)
g = 1.0    # tune: loguniform(0.1, 10)
(x - 0.3) ** 2 + abs(g - 1)
"""

TRIES = [{"x": 0.1, "deg": 1}, {"x": 0.3, "deg": 3}, {"x": 0.55, "deg": 5}, {"x": 0.7, "deg": 2}, {"x": 0.95, "deg": 4}]


class Told(Strategy):
    """Random search that remembers what it was told, and when (before or after its first ask)."""

    name = "told"

    def setup(self, space, context):
        super().setup(space, context)
        import random

        self.rng = random.Random(context.seed)
        self.told, self.asked = [], []

    def ask(self, number):
        self.asked.append(len(self.told))
        return self.space.sample(self.rng)

    def tell(self, trial):
        self.told.append(trial)


@pytest.fixture
def db(tmp_path):
    """A study file holding 'first': the defaults and the five TRIES of EARLIER (six complete trials)."""
    path = str(tmp_path / "studies.sqlite")
    hpmagic.tune(
        EARLIER, {}, trials=6, enqueue=TRIES, study="first", storage=path, strategy="random", seed=0, quiet=True
    )
    return path


def test_matching_parameters_carry_over_new_ones_take_defaults_and_out_of_range_trials_are_left_out(db):
    told = Told()
    result = hpmagic.tune(LATER, {}, trials=3, warm_start="first", storage=db, strategy=told, seed=1, quiet=True)
    warm = [t for t in told.told if t.number < 0]
    assert [t.number for t in warm] == [-1, -2, -3, -4]
    assert [t.params for t in warm] == [
        {"x": 0.5, "g": 1.0},
        {"x": 0.1, "g": 1.0},
        {"x": 0.3, "g": 1.0},
        {"x": 0.55, "g": 1.0},
    ]
    assert [t.value for t in warm] == pytest.approx([0.06, 0.05, 0.03, 0.1125])
    assert [t.number for t in told.told[:6]] == [-1, -2, -3, -4, 0, 1]  # told first, then trials 0 and 1
    assert told.asked[0] == 6  # the first ask comes after them
    # trial 1 runs the earlier study's best configuration, mapped
    assert [t.params for t in result.trials[:2]] == [{"x": 0.5, "g": 1.0}, {"x": 0.3, "g": 1.0}]
    assert result.trials[1].pruning == {"warm_start": True}
    assert "trial 1 ran the earlier study's best configuration (--warm-start)" in result.notes
    assert (
        "warm start from study 'first' (6 trials): 4 used; parameter g is new (its default used); "
        "deg was removed; 2 trials out of the new range left out"
    ) in result.notes
    assert [t.number for t in result.trials] == [0, 1, 2]  # not trials of this search


def test_an_unchanged_space_uses_every_complete_trial(db):
    told = Told()
    result = hpmagic.tune(EARLIER, {}, trials=2, warm_start="first", storage=db, strategy=told, quiet=True)
    assert len([t for t in told.told if t.number < 0]) == 6
    assert "warm start from study 'first' (6 trials): 6 used" in result.notes


def test_a_result_or_a_loaded_study_can_be_given_to_tune(db):
    loaded = hpmagic.load_study("first", db)
    for given in (loaded, hpmagic.tune(EARLIER, {}, trials=3, seed=3, quiet=True, strategy="random")):
        told = Told()
        result = hpmagic.tune(LATER, {}, trials=3, warm_start=given, strategy=told, quiet=True)
        assert any(n.startswith("warm start from ") for n in result.notes)
        assert told.asked[0] >= 1
    assert [n for n in result.notes if n.startswith("warm start from ")][0].startswith(
        "warm start from the given result"
    )


@pytest.mark.parametrize("strategy", ["gp", "tpe", "evolution", "de", "random", "sobol", "grid", "auto"])
def test_every_built_in_strategy_accepts_the_told_trials(db, strategy):
    result = hpmagic.tune(LATER, {}, trials=5, warm_start="first", storage=db, strategy=strategy, seed=2, quiet=True)
    assert [t.number for t in result.trials] == [0, 1, 2, 3, 4]
    assert all(t.ok for t in result.trials)
    for t in result.trials:
        assert 0 <= t.params["x"] <= 0.6 and 0.1 <= t.params["g"] <= 10


@pytest.mark.parametrize("strategy", ["gp", "tpe", "auto"])
def test_gp_tpe_and_auto_count_the_told_trials_toward_their_random_start(tmp_path, strategy):
    db = str(tmp_path / "s.sqlite")
    hpmagic.tune(EARLIER, {}, trials=25, study="big", storage=db, strategy="random", seed=0, quiet=True)
    warm = hpmagic.tune(EARLIER, {}, trials=11, warm_start="big", storage=db, strategy=strategy, seed=5, quiet=True)
    cold = hpmagic.tune(EARLIER, {}, trials=11, strategy=strategy, seed=5, quiet=True)

    # gp fits the told trials until the search has 5 of its own (hpmagic.strategies.warm.DROP_AFTER): trials 1-4
    end = 11 if strategy == "tpe" else 5

    def spread(result):  # how far the proposals up to `end` are from the best x, 0.3, in the median
        return statistics.median(abs(t.params["x"] - 0.3) for t in result.trials[1:end])

    # told 25 trials, the model proposes from the first ask, near the best; cold, the first proposals are random
    assert spread(warm) < 0.6 * spread(cold)
    if strategy != "tpe":  # TPE's Parzen draws spread wider than the GP's
        assert spread(warm) < 0.1
    if strategy == "auto":
        assert warm.strategy_reason.endswith("(counting the 25 trials told by --warm-start)")


def test_auto_counts_the_told_trials_when_it_picks(tmp_path):
    db = str(tmp_path / "s.sqlite")
    hpmagic.tune(EARLIER, {}, trials=25, study="big", storage=db, strategy="random", seed=0, quiet=True)
    few = hpmagic.tune(EARLIER, {}, trials=4, warm_start="big", storage=db, seed=5, quiet=True)
    assert hpmagic.tune(EARLIER, {}, trials=4, seed=5, quiet=True).strategy == "sobol"  # cold: too few for a model
    assert few.strategy == "gp"
    assert few.strategy_reason == (
        "auto: gp, because 2 parameters and 29 trials suit Bayesian optimisation (counting the 25 trials told "
        "by --warm-start)"
    )
    small = "deg = 2  # tune: int(1, 5)\n(deg - 3) ** 2"
    assert hpmagic.tune(small, {}, trials=8, seed=5, quiet=True).strategy == "grid"
    assert hpmagic.tune(small, {}, trials=8, warm_start="big", storage=db, seed=5, quiet=True).strategy != "grid"


def test_with_study_the_new_study_stores_only_its_own_trials(db):
    result = hpmagic.tune(LATER, {}, trials=3, warm_start="first", study="second", storage=db, seed=1, quiet=True)
    assert len(result.trials) == 3
    assert len(hpmagic.load_study("second", db).trials) == 3
    assert len(hpmagic.load_study("first", db).trials) == 6
    with sqlite3.connect(db) as con:
        assert con.execute("select count(*) from trials").fetchone()[0] == 9
    resumed = hpmagic.tune(LATER, {}, trials=5, warm_start="first", study="second", storage=db, seed=1, quiet=True)
    assert [t.number for t in resumed.trials] == [0, 1, 2, 3, 4]
    assert [t.number for t in resumed.trials if t.params == {"x": 0.3, "g": 1.0}] == [1]  # the best ran once


def test_with_enqueue_the_given_configurations_run_and_the_warm_trials_are_only_told(db):
    told = Told()
    result = hpmagic.tune(
        LATER, {}, trials=3, warm_start="first", storage=db, enqueue=[{"x": 0.2, "g": 2.0}], strategy=told, quiet=True
    )
    # the defaults, the given configuration, then the earlier study's best
    assert [t.params for t in result.trials] == [{"x": 0.5, "g": 1.0}, {"x": 0.2, "g": 2.0}, {"x": 0.3, "g": 1.0}]
    assert [t.number for t in told.told[:4]] == [-1, -2, -3, -4]
    assert told.asked == []
    assert "trial 1 was enqueued (configurations given with --enqueue)" in result.notes
    assert "trial 2 ran the earlier study's best configuration (--warm-start)" in result.notes
    given_best = hpmagic.tune(
        LATER, {}, trials=3, warm_start="first", storage=db, enqueue=[{"x": 0.3}], strategy="random", quiet=True
    )
    assert [t.params for t in given_best.trials[:2]] == [{"x": 0.5, "g": 1.0}, {"x": 0.3, "g": 1.0}]
    assert given_best.trials[2].params != {"x": 0.3, "g": 1.0}  # not run twice
    assert not any("--warm-start)" in n for n in given_best.notes)


def test_the_magic_in_a_real_shell(ip, db):
    run_tune(ip, f"-n 3 -q --seed 0 -s random --warm-start first --storage {db} -o r", LATER).raise_error()
    result = ip.user_ns["r"]
    assert len(result.trials) == 3
    assert any(n.startswith("warm start from study 'first' (6 trials): 4 used;") for n in result.notes)
    assert "warm start from study 'first'" in repr(result)


def test_a_missing_study_is_one_clear_error_before_anything_runs(ip, db):
    ip.user_ns["calls"] = []
    run = run_tune(ip, f"-n 3 -q --warm-start frist --storage {db}", "calls.append(1)\n" + LATER)
    assert type(run.error_in_exec).__name__ == "UsageError"
    assert str(run.error_in_exec).startswith("--warm-start frist: there is no study 'frist' in ")
    assert "(did you mean 'first'?)" in str(run.error_in_exec)
    assert ip.user_ns["calls"] == []


def test_a_wrong_storage_is_a_storage_error(tmp_path):
    with pytest.raises(StorageError, match=r"^--warm-start first: "):
        hpmagic.tune(LATER, {}, trials=2, warm_start="first", storage=str(tmp_path / "none.sqlite"), quiet=True)


def test_a_study_with_no_complete_trial_is_refused(tmp_path):
    db = str(tmp_path / "s.sqlite")
    with pytest.raises(hpmagic.TrialsFailedError):
        hpmagic.tune("x = 0.5  # tune: uniform(0, 1)\n1 / 0", {}, trials=3, study="broken", storage=db, quiet=True)
    with pytest.raises(OptionError) as info:
        hpmagic.tune(LATER, {}, trials=2, warm_start="broken", storage=db, quiet=True)
    assert str(info.value) == (
        "--warm-start: study 'broken' has no complete trial to start from (3 trials, none "
        "completed); warm start from a study with results, or drop --warm-start"
    )


def test_no_trial_in_the_new_space_is_refused(db):
    narrow = "x = 0.25  # tune: uniform(0.2, 0.25)\n(x - 0.3) ** 2"
    with pytest.raises(OptionError, match="none of the 6 complete trials of study 'first' lies in the cell's space"):
        hpmagic.tune(narrow, {}, trials=2, warm_start="first", storage=db, quiet=True)


def test_the_direction_and_the_objectives_must_match(db):
    with pytest.raises(OptionError) as info:
        hpmagic.tune(LATER, {}, trials=2, warm_start="first", storage=db, maximize=True, quiet=True)
    assert str(info.value) == (
        "--warm-start: study 'first' was run to minimize, but this search runs to maximize; "
        "pass --minimize if the cell returns the same score, or warm start from a study of "
        "the same objective"
    )
    two = "x = 0.5  # tune: uniform(0, 1)\na = x\nb = 1 - x\n{'a': a, 'b': b}"
    with pytest.raises(OptionError, match="optimised minimize value, but this search optimises minimize a, minimize b"):
        hpmagic.tune(two, {}, trials=2, warm_start="first", storage=db, objectives={"a": "min", "b": "min"}, quiet=True)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"warm_start": " "}, "--warm-start needs the name of an earlier study, e.g. --warm-start svm"),
        ({"warm_start": "first", "study": "first"}, "--warm-start first names the study this search stores in"),
        (
            {"warm_start": 3},
            "warm_start= takes a study's name, a study read with hpmagic.load_study or a TuneResult, but got int",
        ),
        (
            {"warm_start": "first", "strategy": "manual"},
            "--warm-start starts a strategy from an earlier study, but --strategy manual has none",
        ),
    ],
)
def test_bad_values_are_refused(db, options, message):
    with pytest.raises(OptionError) as info:
        hpmagic.tune(LATER, {}, trials=2, storage=db, quiet=True, **options)
    assert str(info.value).startswith(message)
