"""The checks every rule makes on a reported point before deciding (issue 22 split of the rules' tests)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from hpmagic.errors import HpmagicError, ReportError
from hpmagic.pruning import PRUNERS, ASHAPruner, MedianPruner, check_point

from .rulekit import curve, finished, ready, run_trial

# ---------------------------------------------------------------------------------------
# The checks on one point
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf, np.float64("nan"), np.float32("inf")])
def test_a_value_that_is_not_finite_is_refused(value):
    with pytest.raises(ReportError, match="not a finite number") as caught:
        check_point(value, 3)
    assert "step 3" in str(caught.value) and "diverged" in str(caught.value)


@pytest.mark.parametrize("value", ["0.5", True, np.bool_(True), None, [0.5], np.array([0.5, 0.6]), 1 + 2j, b"1"])
def test_a_value_that_is_not_a_real_number_is_refused(value):
    with pytest.raises(ReportError, match="the value must be a real number, but got a"):
        check_point(value, 0)


@pytest.mark.parametrize("value", [1, 0.5, np.float32(0.25), np.int64(2), np.array(0.75)])
def test_real_numbers_of_any_kind_are_accepted_as_floats(value):
    step, number = check_point(value, np.int64(4))
    assert (step, number) == (4.0, float(value)) and type(step) is float and type(number) is float


@pytest.mark.parametrize("step", [-1, -0.5, math.nan, math.inf, "1", None, True])
def test_a_step_that_is_negative_not_finite_or_not_a_number_is_refused(step):
    with pytest.raises(ReportError, match="the step must be a finite number of at least 0"):
        check_point(0.5, step)


def test_a_step_that_repeats_or_goes_backwards_is_refused():
    with pytest.raises(ReportError, match="step 5 was already reported"):
        check_point(0.5, 5, previous_step=5.0)
    with pytest.raises(ReportError, match="step 2 comes after step 5; each report of a trial needs a larger step"):
        check_point(0.5, 2, previous_step=5.0)
    assert check_point(0.5, 5.5, previous_step=5.0) == (5.5, 0.5)


def test_report_error_is_an_hpmagic_error_and_a_value_error():
    assert issubclass(ReportError, HpmagicError) and issubclass(ReportError, ValueError)


@pytest.mark.parametrize("name", sorted(PRUNERS))
@pytest.mark.parametrize(
    "step, value, words",
    [
        (2, math.nan, "not a finite number"),
        (2, math.inf, "not a finite number"),
        (1, 0.5, "already reported"),
        (0.5, 0.5, "comes after step 1"),
        (-1, 0.5, "at least 0"),
    ],
)
def test_every_rule_refuses_a_bad_point_before_deciding_and_records_nothing(name, step, value, words):
    pruner = ready(PRUNERS[name]())
    pruner.assign(0)
    pruner.report(0, 1, 0.5)
    before = pruner.snapshot()
    with pytest.raises(ReportError, match=words):
        pruner.report(0, step, value)
    assert pruner.snapshot() == before
    assert not pruner.report(0, 2, 0.4).prune  # the trial goes on after a refused point


@pytest.mark.parametrize("name", sorted(PRUNERS))
def test_a_report_after_the_trial_ended_is_refused(name):
    pruner = ready(PRUNERS[name]())
    run_trial(pruner, 0, curve([1.0, 0.9]))
    with pytest.raises(ReportError, match="trial 0 has already ended"):
        pruner.report(0, 3, 0.8)


def test_a_pruned_trial_gets_the_same_decision_again_and_records_nothing():
    pruner = ready(ASHAPruner())
    run_trial(pruner, 0, curve([1.0, 0.5, 0.2]))
    first = pruner.report(1, 1, 5.0)
    assert first.prune
    before = pruner.snapshot()
    assert pruner.report(1, 2, 0.0) == first and pruner.report(1, 3, math.nan) == first
    assert pruner.snapshot() == before


def test_a_stored_curve_with_a_bad_point_is_refused_by_finish():
    pruner = ready(MedianPruner())
    with pytest.raises(ReportError, match="comes after step 3"):
        pruner.finish(finished(0), [(3, 1.0), (2, 0.5)])
