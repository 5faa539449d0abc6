"""Numbers in the summary's tables (issue 21): a column of values that differ only beyond four
digits gets the fewest digits that tell them apart, equal values read alike, and a fold spread
that is only rounding reads ``0``."""

from __future__ import annotations

import pytest

import hpmagic
from hpmagic._format import fmt_column, fmt_value
from hpmagic.display.html import result_html
from hpmagic.display.summary import summarize


@pytest.mark.parametrize(
    "values, expected",
    [
        # four decimals tell them apart: as fmt_value writes each
        ([0.97, 0.97, 0.9512, 1e-05, None], ["0.97", "0.97", "0.9512", "1e-05", "None"]),
        # only the 16th digit differs, by more than rounding: the fewest decimals that tell those apart
        # (15), 1.0 still "1", and what is only rounding apart from it may read alike
        ([1.0, 1 + 2**-52, 1 + 2**-50, 1 + 2**-52], ["1", "1", "1.000000000000001", "1"]),
        # within 2 units in the last place: one number rounded two ways (equal fold means), read alike
        ([0.9880952380952381, 0.9880952380952382, 0.9911], ["0.9881", "0.9881", "0.9911"]),
        ([1.0, 1 + 2**-52, 1 + 2**-51], ["1", "1", "1"]),
        # the fewest more digits, not the most: 5 decimals tell these apart
        ([0.123451, 0.123459, 0.5], ["0.12345", "0.12346", "0.5"]),
        # scientific notation gets significant digits
        ([123456.1, 123456.2, 2e-7], ["123456.1", "123456.2", "2e-07"]),
        ([2.5e-7, 2.5000001e-7], ["2.5e-07", "2.5000001e-07"]),
        # floats 4 units apart near 0.001 need 16 significant digits (19 decimals)
        ([0.0012345678901234567, 0.0012345678901234576], ["0.001234567890123457", "0.001234567890123458"]),
        # what is not a finite float is left to fmt_value
        ([float("nan"), float("inf"), 3, True, "a"], ["nan", "inf", "3", "True", "'a'"]),
    ],
)
def test_a_column_gets_the_fewest_digits_that_tell_its_values_apart(values, expected):
    assert fmt_column(values) == expected
    assert [fmt_value(v) for v in (1 + 2**-52, 0.5)] == ["1", "0.5"]  # a single value keeps its four digits


TINY_DIFFERENCES = "x = 0.5  # tune: uniform(0, 1)\n1 + 2.0 ** -52 * round(x * 8)"
#: what each value 1 + k * 2**-52 reads as in a column of them (k from 0 to 8: more than rounding apart)
READS = {k: f"{1 + 2.0**-52 * k:.16f}".rstrip("0").rstrip(".") for k in range(9)}


def test_top_trials_that_differ_beyond_four_digits_are_told_apart_and_ties_read_alike():
    result = hpmagic.tune(TINY_DIFFERENCES, {}, trials=12, strategy="random", seed=0, quiet=True, apply=False)
    k = {t.number: round(t.params["x"] * 8) for t in result.trials}
    assert (
        len(set(k.values())) >= 3 and max(k.values()) - min(k.values()) > 2
    )  # several distinct values, and ties among twelve trials
    summary = summarize(result)
    assert [(r.number, r.value) for r in summary.top] == [(t.number, READS[k[t.number]]) for t in result.top(10)]
    assert [(r.number, r.value) for r in summary.trial_rows] == [(t.number, READS[k[t.number]]) for t in result.trials]
    best = summary.top[0]
    assert f"    #{best.number:<4} {best.value:>10}  x=" in repr(result)  # before: every top trial read "1"
    html = result_html(result, with_plots=False)
    assert all(f">{READS[v]}</td>" in html for v in set(k.values()))


def test_a_table_of_ordinary_values_keeps_four_digits():
    result = hpmagic.tune(
        "x = 0.5  # tune: uniform(0, 1)\n(x - 0.3) ** 2",
        {},
        trials=8,
        strategy="random",
        seed=0,
        quiet=True,
        apply=False,
    )
    summary = summarize(result)
    assert [r.value for r in summary.top] == [fmt_value(t.value) for t in result.top(10)]
    assert [r.value for r in summary.trial_rows] == [fmt_value(t.value) for t in result.trials]


def test_a_fold_spread_that_is_only_rounding_reads_zero():
    # [0.7, 0.7, 0.7] has a computed standard deviation of 1.36e-16; 0.1 + 0.2 is not 0.3, but
    # the two differ by rounding; 0 folds of 0 give an exact 0
    cell = (
        "x = 0.5  # tune: uniform(0, 1)\n"
        "[0.7, 0.7, 0.7] if x >= 0.5 else [0.1 + 0.2, 0.3, 0.3] if x >= 0.2 else [0.0, 0.0, 0.0]"
    )
    result = hpmagic.tune(cell, {}, trials=12, strategy="random", seed=0, quiet=True, apply=False)
    raw = {t.number: t.metrics["std"] for t in result.trials}
    assert 0 < max(raw.values()) < 1e-15  # what was computed is kept in the metrics
    assert {result.spread(t) for t in result.trials} == {(0.0, 3)}
    summary = summarize(result)
    assert {r.spread for r in summary.top} == {"0"} and {r.spread for r in summary.trial_rows} == {"0"}
    assert summary.headline.spread == "0"
    text = repr(result)
    assert "e-16" not in text and "e-17" not in text and "± 0 " in text
    assert "e-16" not in result_html(result, with_plots=False)


def test_a_real_fold_spread_is_kept_however_small_next_to_the_mean():
    cell = "x = 0.5  # tune: uniform(0, 1)\n[1.0, 1.0 + 1e-9, 1.0 - 1e-9]"
    result = hpmagic.tune(cell, {}, trials=2, strategy="random", seed=0, quiet=True, apply=False)
    ((std, n),) = {result.spread(t) for t in result.trials}
    assert std == pytest.approx(1e-9) and n == 3
    assert summarize(result).top[0].spread == "1e-09"
