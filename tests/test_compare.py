"""Comparing searches (issue 24): hpmagic.compare on real searches whose difference is known
(an objective shifted by 0.5) and on searches that differ by nothing that matters; the test
each verdict used, what differed, stored studies, and the errors."""

from __future__ import annotations

import pytest

import hpmagic
from hpmagic import OptionError

PLAIN = "x = 0.5  # tune: uniform(-1, 1)\n(x - 0.2) ** 2"
SHIFTED = "x = 0.5  # tune: uniform(-1, 1)\n(x - 0.2) ** 2 + 0.5"
SAME = "x = 0.5  # tune: uniform(-1, 1)\n(x - 0.2) ** 2 + 0.0"


def _runs(cell: str, seeds, strategy: str = "random", **options):
    return [hpmagic.tune(cell, {}, trials=20, seed=s, strategy=strategy, quiet=True, **options) for s in seeds]


def test_a_known_difference_over_four_seeds_a_side_is_beyond_noise_by_a_permutation_test():
    c = hpmagic.compare(*_runs(PLAIN, range(4)), *_runs(SHIFTED, range(4)), labels=["plain"] * 4 + ["shifted"] * 4)
    assert len(c.verdicts) == 1
    v = c.verdicts[0]
    assert v.beyond_noise and v.text == "plain (4 seeds) is better than shifted (4 seeds), beyond noise"
    assert v.test == "exact permutation test over the seeds' best values (4 against 4 runs, 70 splits): p = 0.0286"
    assert [g.name for g in c.groups] == ["plain (4 seeds)", "shifted (4 seeds)"]
    assert (
        c.groups[1].text.startswith("shifted (4 seeds): best 0.50")
        and "(mean ± standard deviation over 4 seeds)" in c.groups[1].text
    )
    assert "code of shifted against plain: -(x - 0.2) ** 2; +(x - 0.2) ** 2 + 0.5" in c.differences
    assert "plain (4 seeds) is better than shifted (4 seeds), beyond noise (exact permutation test" in repr(c)


def test_three_seeds_a_side_cannot_give_a_verdict_and_it_says_why():
    c = hpmagic.compare(*_runs(PLAIN, range(3)), *_runs(SHIFTED, range(3)), labels=["plain"] * 3 + ["shifted"] * 3)
    v = c.verdicts[0]
    assert (
        not v.beyond_noise
        and v.text == "plain (3 seeds) and shifted (3 seeds) cannot be told apart: the difference is within the noise"
    )
    assert v.test.endswith("p = 0.1; with so few seeds p cannot fall below 0.1: run 4 or more seeds a side")


def test_no_real_difference_over_seeds_is_within_noise():
    c = hpmagic.compare(*_runs(PLAIN, range(4)), *_runs(SAME, range(4)), labels=["plain"] * 4 + ["same"] * 4)
    v = c.verdicts[0]
    assert not v.beyond_noise and v.test.endswith("p = 1")


def test_single_searches_are_compared_by_a_bootstrap_of_their_trial_values():
    plain, shifted, same = _runs(PLAIN, [0])[0], _runs(SHIFTED, [0])[0], _runs(SAME, [1])[0]
    c = hpmagic.compare(shifted, plain, labels=["shifted", "plain"])
    v = c.verdicts[0]
    assert v.beyond_noise and v.text == "plain is better than shifted, beyond noise"
    assert v.test == (
        "bootstrap of the best of each search's trial values (2000 resamples): plain's best beats "
        "shifted's in 100% of them"
    )
    close = hpmagic.compare(plain, same, labels=["plain", "same"]).verdicts[0]
    assert not close.beyond_noise and "cannot be told apart" in close.text
    assert close == hpmagic.compare(plain, same, labels=["plain", "same"]).verdicts[0]  # seeded: the same every time


def test_what_differed_names_the_strategy_seed_options_and_space():
    a = hpmagic.tune(PLAIN, {}, trials=12, seed=0, strategy="random", quiet=True)
    b = hpmagic.tune(
        PLAIN.replace("uniform(-1, 1)", "uniform(-2, 2)"),
        {},
        trials=14,
        seed=3,
        strategy="tpe",
        quiet=True,
        baseline=False,
    )
    c = hpmagic.compare(a, b)
    assert [e.label for e in c.entries] == ["random, seed 0", "tpe, seed 3"]
    assert c.differences[:4] == (
        "strategy: random (random, seed 0), tpe (tpe, seed 3)",
        "seed: 0 (random, seed 0), 3 (tpe, seed 3)",
        "budget (-n): 12 (random, seed 0), 14 (tpe, seed 3)",
        "option baseline: default (random, seed 0), False (tpe, seed 3)",
    )
    assert c.differences[4:] == (
        "search space of tpe, seed 3: x was uniform(-1, 1), now uniform(-2, 2)",
        "code of tpe, seed 3 against random, seed 0: -x = 0.5  # tune: uniform(-1, 1); "
        "+x = 0.5  # tune: uniform(-2, 2)",
    )


def test_stored_studies_compare_and_the_html_has_both_convergence_plots(tmp_path):
    storage = tmp_path / "s.db"
    hpmagic.tune(PLAIN, {}, trials=10, seed=0, strategy="random", quiet=True, study="rand", storage=storage)
    hpmagic.tune(PLAIN, {}, trials=10, seed=0, strategy="tpe", quiet=True, study="tpe", storage=storage)
    c = hpmagic.compare(hpmagic.load_study("rand", storage=storage), hpmagic.load_study("tpe", storage=storage))
    assert [e.label for e in c.entries] == ["rand", "tpe"]
    html = c._repr_html_()
    assert "<h4>2 searches of objective compared</h4>" in html
    assert 'alt="best so far by trial"' in html and 'alt="best so far by time"' in html
    assert "strategy: random (rand), tpe (tpe)" in html
    from matplotlib.figure import Figure

    ax = c.plot(by="time", ax=Figure().add_subplot())
    assert ax.get_xlabel() == "seconds since the search started" and [
        t.get_text() for t in ax.get_legend().get_texts()
    ] == ["rand", "tpe"]
    with pytest.raises(OptionError, match=r"plot\(by='steps'\): by is 'trial' or 'time'"):
        c.plot(by="steps")


def test_bad_arguments_are_clear_errors():
    r = _runs(PLAIN, [0])[0]
    with pytest.raises(OptionError, match=r"compare\(\) needs two searches or more, but got 1"):
        hpmagic.compare(r)
    with pytest.raises(
        OptionError,
        match=r"compare\(\) argument 2 is the string 'tree', not a result; for a stored study "
        r"pass hpmagic.load_study\('tree'\)",
    ):
        hpmagic.compare(r, "tree")
    with pytest.raises(OptionError, match=r"compare\(\) got 1 labels for 2 searches"):
        hpmagic.compare(r, r, labels=["a"])
    up = hpmagic.tune(PLAIN, {}, trials=5, seed=0, strategy="random", quiet=True, maximize=True)
    with pytest.raises(OptionError, match="compare searches of one objective"):
        hpmagic.compare(r, up)
