"""One trial up close (issue 24): a row of the summary's tables opens to the trial's parameters,
value, curve, captured output, warnings and error, with no script; ``result.trials[i]`` shows
the same card in IPython.  From real searches."""

from __future__ import annotations

import re
from html import escape

import pytest

import hpmagic
from hpmagic import TrialState
from hpmagic.core import Trial
from hpmagic.display.html import result_html
from hpmagic.display.summary import summarize
from hpmagic.display.trialcard import CARDS, CURVE_POINTS, OUTPUT_CHARS, card, card_text
from tests.browsers import chromium

CELL = """
import warnings
x = 0.5   # tune: uniform(0, 1)
for step in range(1, 31):
    hpmagic.report(x * step / 30, step)
print("ran with", x)
warnings.warn("careful <here>")
if x > 0.7:
    raise ValueError("x too big")
x
"""


@pytest.fixture(scope="module")
def result():
    return hpmagic.tune(CELL, {"hpmagic": hpmagic}, trials=16, seed=4, strategy="random", quiet=True, maximize=True)


def _failed(result) -> Trial:
    return next(t for t in result.trials if t.state is TrialState.FAILED)


def test_a_card_holds_the_parameters_value_curve_output_warnings_and_error(result):
    best = result.best_trial
    c = card(best, result)
    assert (
        c.title == f"trial {best.number} · complete · objective {hpmagic._format.fmt_value(best.value)} · "
        f"{hpmagic._format.fmt_seconds(best.duration)}"
    )
    assert c.params == (("x", hpmagic._format.fmt_value(best.params["x"])),)
    assert c.stdout == f"ran with {best.params['x']}\n" and c.warnings == ("UserWarning: careful <here>",)
    assert c.curve_text.startswith("30 steps reported: first ") and c.curve_text.endswith(" (step 30)")
    failed = card(_failed(result), result)
    assert failed.state == "failed" and failed.error.endswith("ValueError: x too big")
    assert "line 9" in failed.error


def test_each_row_of_the_tables_opens_to_its_card(result):
    html = result_html(result, with_plots=False)
    table = html[html.index("<summary>All 16 trials</summary>") :]
    for t in result.trials:
        opener = (
            f"<details class='hpmagic-open' style='margin:0'><summary style='font-weight:normal'>{t.number}</summary>"
            f"<div class='hpmagic-trial' data-trial='{t.number}'"
        )
        assert opener in table
    failed = _failed(result)
    own = table[table.index(f"data-trial='{failed.number}'") :]
    own = own[: own.index("</details>")]
    assert "<pre class='loss'" in own and "ValueError: x too big" in own
    assert escape("UserWarning: careful <here>") in own and escape(f"ran with {failed.params['x']}") in own
    svg = re.search(r"<svg class='hpmagic-curve'.*?</svg>", own).group(0)
    assert svg.count("<circle") == 30 and "<title>step 30: " in svg
    top = html[html.index("Top 10 trials") : html.index("<summary>All 16 trials")]
    assert top.count("<details class='hpmagic-open'") == 10  # the top trials open too
    assert "<script" not in own  # no script: it opens in a saved notebook, on GitHub, in nbviewer


def test_long_output_and_curves_are_capped_in_the_card_and_kept_in_the_trial():
    curve = tuple((float(i), 1.0 / (i + 1) + (2.0 if i == 377 else 0.0)) for i in range(500))
    trial = Trial(
        3,
        {"x": 0.1},
        TrialState.PRUNED,
        stdout="a" * 5000,
        curve=curve,
        error="pruned at step 499 by asha",
        warnings=tuple(f"UserWarning: w{i}" for i in range(14)),
    )
    c = card(trial)
    assert len(c.curve) <= CURVE_POINTS and (377.0, 1.0 / 378 + 2.0) in c.curve  # the highest point kept
    assert c.curve[0] == curve[0] and c.curve[-1] == curve[-1]
    assert (
        c.stdout
        == f"... ({5000 - OUTPUT_CHARS:,} earlier characters cut; result.trials[i] has them all)\n" + "a" * OUTPUT_CHARS
    )
    assert c.warnings[-1] == "... and 4 more" and len(c.warnings) == 11
    assert "  why it was stopped:\n    pruned at step 499 by asha" in card_text(c)
    assert len(trial.stdout) == 5000


def test_only_the_shown_rows_get_cards_on_a_large_search():
    many = hpmagic.tune("x = 0.5  # tune: uniform(0, 1)\nx", {}, trials=1200, seed=1, strategy="random", quiet=True)
    s = summarize(many)
    top = {t.number for t in many.top(10)}
    assert {c.number for c in s.cards} == set(range(CARDS)) | top
    html = many._repr_html_()
    assert html.count("<details class='hpmagic-open'") == CARDS + 10


def test_a_trial_shows_as_its_card_in_ipython(ip):
    ip.user_ns["hpmagic"] = hpmagic
    result = ip.run_cell_magic("tune", "-q -s random -n 6 --seed 4 --maximize", CELL)
    trial = result.trials[2]
    shown, _ = ip.display_formatter.format(trial)
    assert shown["text/plain"] == card_text(card(trial))
    assert "<div class='hpmagic-trial' data-trial='2'" in shown["text/html"] and "--hpmagic-muted" in shown["text/html"]
    assert repr(trial).startswith("Trial(number=2, ")  # repr() stays the dataclass's


def test_a_card_opens_in_chromium_at_400px_light_and_dark(result, tmp_path):
    failed = _failed(result)
    with chromium() as browser:
        for dark in (False, True):
            path = tmp_path / f"{dark}.html"
            background = "#111111" if dark else "#ffffff"
            path.write_text(
                f"<html><body data-jp-theme-light='{str(not dark).lower()}' style='margin:0;"
                f"background:{background}'><div style='width:400px'>{result_html(result)}</div></body></html>"
            )
            page = browser.new_page(viewport={"width": 400, "height": 900})
            page.goto(path.as_uri())
            page.click("summary:has-text('All 16 trials')")
            card_box = page.locator(f"summary:text-is('{failed.number}')").last
            card_box.click()
            shown = page.locator(f".hpmagic-trial[data-trial='{failed.number}']").last
            assert shown.is_visible() and "ValueError: x too big" in shown.inner_text()
            assert page.evaluate("document.documentElement.scrollWidth") <= 400
            colour = shown.locator(".muted").first.evaluate("e => getComputedStyle(e).color")
            assert colour == ("rgb(160, 160, 160)" if dark else "rgb(97, 97, 97)")
            page.close()
