"""What the cell returns, as an objective (issue 12, "objectives coerced wrongly"): every
accepted form and its number, every refused form with what was returned and what is
accepted, and --metric when the returned dict lacks the key."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import numpy as np
import pandas as pd
import pytest

import hpmagic
from hpmagic.cell.objective import ACCEPTED, extract_objective, read_objective
from hpmagic.core import TrialState
from hpmagic.errors import ObjectiveError, TrialsFailedError

from .shared import SharedList

ACCEPTED_FORMS = [
    # (what the cell returned, objective, metrics)
    (0.25, 0.25, {}),
    (3, 3.0, {}),
    (np.float32(0.5), 0.5, {}),
    (np.int64(7), 7.0, {}),
    (np.array(0.5), 0.5, {}),
    (Fraction(1, 4), 0.25, {}),
    (Decimal("0.5"), 0.5, {}),
    ([1.0, 2.0, 3.0], 2.0, {"std": 1.0, "n": 3.0}),
    ((1, 3), 2.0, {"std": pytest.approx(2**0.5), "n": 2.0}),
    (np.array([1.0, 3.0]), 2.0, {"std": pytest.approx(2**0.5), "n": 2.0}),
    ([np.float64(1.0), np.int32(3)], 2.0, {"std": pytest.approx(2**0.5), "n": 2.0}),
    ([Decimal("1"), Fraction(3)], 2.0, {"std": pytest.approx(2**0.5), "n": 2.0}),
    (pd.Series([1.0, 3.0]), 2.0, {"std": pytest.approx(2**0.5), "n": 2.0}),
    # a masked array: only the unmasked values count, and n is their number
    (np.ma.array([1.0, 100.0, 3.0], mask=[False, True, False]), 2.0, {"std": pytest.approx(2**0.5), "n": 2.0}),
    # huge but finite values: the mean and deviation do not overflow
    ([1e308, 1e308], 1e308, {"std": 0.0, "n": 2.0}),
    (
        {"acc": 0.5, "f1": [1.0, 3.0], "note": "text", "ok": True},
        0.5,
        {"f1": 2.0, "f1_std": pytest.approx(2**0.5), "f1_n": 2.0},
    ),
]


@pytest.mark.parametrize(
    "raw, value, metrics", ACCEPTED_FORMS, ids=[type(f[0]).__name__ + str(i) for i, f in enumerate(ACCEPTED_FORMS)]
)
def test_accepted_forms_and_their_number(raw, value, metrics):
    got, got_metrics = extract_objective(raw, None)
    assert got == pytest.approx(value) and type(got) is float
    assert got_metrics == metrics


REFUSED_FORMS = [
    # (what the cell returned, words that say what it is and why)
    (True, ["is a bool (True), a boolean", "float(...)"]),
    (np.bool_(True), ["a boolean", "float(...)"]),
    (np.array([True, False]), ["which holds booleans", ".astype(float)"]),
    (pd.Series([True, False]), ["a Series", "which holds booleans"]),
    ([1.0, True], ["which holds a bool (True), a boolean"]),
    ([np.bool_(False), 1.0], ["a boolean"]),
    ("0.5", ["is a str ('0.5'), a string (strings are not converted to numbers)"]),
    (["1", "2"], ["is a list (['1', '2']), which holds a str ('1'), a string"]),
    (np.array(["1", "2"]), ["which holds strings"]),
    (pd.Series(["a", "b"]), ["which holds a str ('a')"]),
    (b"1", ["a string"]),
    (1 + 2j, ["a complex number"]),
    (np.complex128(1), ["a complex number"]),
    (np.array([1 + 0j]), ["which holds complex numbers"]),
    (None, ["is None, not a number"]),
    ({1, 2}, ["is a set ({1, 2}), not a number"]),
    ([[1, 2], [3, 4]], ["a nested sequence", "flat sequence"]),
    ([(1, 2)], ["a nested sequence"]),
    (np.array([[1.0, 2.0], [3.0, 4.0]]), ["of 2 dimensions (shape (2, 2))", ".ravel()"]),
    (
        pd.DataFrame({"a": [1.0], "b": [2.0]}),
        ["a DataFrame of shape (1, 2)", "of 2 dimensions", "df['score']", "df.iloc[0].to_dict()"],
    ),
    ([], ["is an empty sequence"]),
    (np.array([]), ["is an empty sequence"]),
    (np.ma.array([1.0, 2.0], mask=[True, True]), ["whose values are all masked"]),
    (np.ma.masked, ["whose values are all masked"]),
    (10**400, ["an int of about 401 digits, too large for a float"]),
    ([10**400, 1], ["which holds an int of about 401 digits, too large for a float"]),
    (Fraction(10**400), ["too large for a float"]),
    (Decimal("1e400"), ["Decimal('1E+400')", "too large for a float"]),
    (np.longdouble("1e400"), ["too large for a float"]),
    (np.array([np.longdouble("1e400")]), ["which holds numbers too large for a float"]),
    (Decimal("sNaN"), ["not a number"]),
    (np.datetime64("2020-01-01"), ["which holds dates"]),
    ((v for v in [1.0]), ["a generator", "not a number"]),
    (10**5000, ["an int of about 5001 digits"]),
    ([10**5000], ["a list", "too large for a float"]),
]


@pytest.mark.parametrize(
    "raw, words", REFUSED_FORMS, ids=[type(f[0]).__name__ + str(i) for i, f in enumerate(REFUSED_FORMS)]
)
def test_refused_forms_say_what_was_returned_and_what_is_accepted(raw, words):
    with pytest.raises(ObjectiveError) as info:
        extract_objective(raw, None)
    text = str(info.value)
    assert text.startswith("the cell's last expression is ")
    assert ACCEPTED in text
    for word in words:
        assert word in text, f"{word!r} missing from: {text}"


@pytest.mark.parametrize(
    "raw, words",
    [
        (float("nan"), "the objective is NaN"),
        ([1.0, float("nan")], "the objective is NaN"),
        (float("inf"), "the objective is inf"),
        (Decimal("Infinity"), "the objective is inf"),
        (np.float64("-inf"), "the objective is -inf"),
    ],
)
def test_nan_and_infinity_fail_with_that_reason(raw, words):
    with pytest.raises(ObjectiveError, match=words):
        extract_objective(raw, None)


def test_a_refused_objective_fails_the_trial_with_the_message_and_stops_only_as_a_bug(ip):
    """Through the magic: the trial records "ObjectiveError: ...", and three in a row are a bug in the cell."""
    ip.user_ns["np"] = np
    ip.user_ns["calls"] = SharedList()
    result = ip.run_cell("%%tune -q -n 10 -o res\ncalls.append(1)\nx = 1.0  # tune: uniform(0, 2)\nnp.bool_(x > 0)")
    assert not result.success
    assert len(ip.user_ns["calls"]) == 3  # the first trials all failed: the search stopped
    res = ip.user_ns["res"]
    assert [t.state for t in res.trials] == [TrialState.FAILED] * 3
    assert res.trials[0].error.startswith("ObjectiveError: the cell's last expression is a bool (np.True_), a boolean")
    assert res.trials[0].value is None


def test_an_objective_too_large_for_a_float_is_an_objective_error_not_a_traceback():
    ns: dict = {}
    with pytest.raises(TrialsFailedError) as info:
        hpmagic.tune("x = 1  # tune: int(1, 3)\n10**400 * x", ns, quiet=True, trials=5, seed=0)
    first = info.value.result.trials[0]
    assert first.error.startswith("ObjectiveError: the cell's last expression is an int of about 401 digits")
    assert "Traceback" not in first.error


def test_a_masked_objective_through_tune_records_the_unmasked_count():
    ns = {"np": np}
    result = hpmagic.tune(
        "x = 1.0  # tune: uniform(0, 2)\nnp.ma.array([x, 1e9, x], mask=[0, 1, 0])", ns, quiet=True, trials=3, seed=0
    )
    assert all(t.metrics["n"] == 2.0 for t in result.trials)
    assert result.trials[0].value == 1.0


# -- --metric when the returned dict lacks the key -----------------------------------------


def test_metric_prefers_the_key_of_the_returned_dict():
    assert read_objective({"m": 1.0, "a": 2.0}, True, "m", {"m": 5.0}) == (1.0, {"a": 2.0})


def test_metric_falls_back_to_the_variable_when_the_dict_lacks_the_key():
    value, metrics = read_objective({"acc": 0.5, "f1": 0.25}, True, "m", {"m": [1.0, 3.0]})
    assert value == 2.0
    assert metrics == {"acc": 0.5, "f1": 0.25, "std": pytest.approx(2**0.5), "n": 2.0}


def test_metric_without_key_or_variable_names_both_places():
    with pytest.raises(ObjectiveError) as info:
        read_objective({"acc": 0.5}, True, "m", {"x": 1.0})
    text = str(info.value)
    assert "--metric m: the returned dict has no key 'm' (its keys: 'acc')" in text
    assert "the cell set no variable 'm'" in text


def test_metric_variable_missing_says_what_the_cell_ended_with():
    with pytest.raises(
        ObjectiveError, match=r"did not set the variable 'm' named by --metric \(its last expression is a float"
    ):
        read_objective(0.5, True, "m", {})
    with pytest.raises(ObjectiveError, match=r"did not set the variable 'm' named by --metric$"):
        read_objective(None, False, "m", {})


def test_metric_fallback_through_the_magic(ip):
    cell = "x = 1.0  # tune: uniform(0, 2)\nm = 3 * x\n{'acc': x, 'other': 2 * x}"
    result = ip.run_cell_magic("tune", "-q -n 3 --seed 0 --metric m", cell)
    first = result.trials[0]
    assert first.state is TrialState.COMPLETE and first.value == 3.0
    assert first.metrics == {"acc": 1.0, "other": 2.0}
    bad = ip.run_cell("%%tune -q -n 5 --seed 0 --metric m -o bad\nx = 1.0  # tune: uniform(0, 2)\n{'acc': x}")
    assert not bad.success
    error = ip.user_ns["bad"].trials[0].error
    assert error.startswith("ObjectiveError: --metric m: the returned dict has no key 'm'")
    assert "the cell set no variable 'm'" in error
