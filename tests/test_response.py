"""The response over the two most important parameters in the summary (issue 24)."""

from __future__ import annotations

from html import escape

import hpmagic
from hpmagic.display import data
from hpmagic.display.html import result_html
from hpmagic.display.response import MOST_POINTS, sample, top_two
from tests.test_summary import models

TWO = (
    "x = 0.5  # tune: uniform(-1, 1)\ny = 0.5  # tune: uniform(-1, 1)\nz = 0.0  # tune: uniform(-1, 1)\n"
    "(x - 0.2) ** 2 + 3 * (y + 0.3) ** 2 + 0.01 * z"
)


def test_the_summary_draws_the_response_over_the_two_most_important_parameters():
    r = hpmagic.tune(TWO, {}, trials=60, seed=0, strategy="random", quiet=True)
    assert top_two(r) == ("y", "x")  # y weighs three times x; z hardly matters
    imp = data.importance(r)
    assert data.importance(r) is imp  # one fit for the importance plot and the response
    html = result_html(r)
    assert f'alt="{escape("objective over y and x, the two most important parameters")}"' in html


def test_one_parameter_has_no_response_plot():
    r = hpmagic.tune("x = 0.5  # tune: uniform(0, 1)\nx", {}, trials=20, seed=0, strategy="random", quiet=True)
    assert top_two(r) is None and "the two most important" not in result_html(r)


def test_a_conditional_space_names_two_of_its_parameters():
    r = models(60)
    pair = top_two(r)
    shares = data.importance(r).shares
    assert pair == tuple(sorted(shares, key=lambda n: -shares[n])[:2])


def test_a_long_search_is_drawn_from_a_seeded_sample_with_the_best():
    r = hpmagic.tune(TWO, {}, trials=MOST_POINTS + 300, seed=1, strategy="random", quiet=True)
    drawn = sample(r)
    assert len(drawn.trials) == MOST_POINTS and r.best_trial in drawn.trials
    assert [t.number for t in sample(r).trials] == [t.number for t in drawn.trials]  # seeded: the same sample
    assert f"the two most important parameters (a sample of 2,000 of {MOST_POINTS + 300:,} trials)" in result_html(r)
