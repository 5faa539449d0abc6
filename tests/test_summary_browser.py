"""The HTML summary in a real Chromium (through Playwright), as a notebook output would hold
it: in a 400 px output nothing overflows sideways (the tables scroll in their own box), the
table of every trial sorts on a click, and under a dark theme (JupyterLab's
``data-jp-theme-light="false"``) the plot images are darkened and the text colours change.

Chromium comes from the system, launched by ``tests/browsers.py``; without it or Playwright the
test skips, saying which is missing.
"""

from __future__ import annotations

import pytest

from hpmagic.display.html import result_html
from tests import browsers
from tests.test_summary import folds, models


def _page(html: str, width: int, dark: bool) -> str:
    background, colour = ("#111111", "#d0d0d0") if dark else ("#ffffff", "#000000")
    return (
        f"<html><body data-jp-theme-light='{str(not dark).lower()}' style='margin:0;background:{background};"
        f"color:{colour}'><div id='out' style='width:{width}px'>{html}</div></body></html>"
    )


@pytest.fixture(scope="module")
def browser():
    with browsers.chromium() as b:
        yield b


def test_a_400px_output_does_not_overflow_and_the_trial_table_sorts(browser, tmp_path):
    r = models(30)
    path = tmp_path / "narrow.html"
    path.write_text(_page(result_html(r), 400, dark=False), encoding="utf-8")
    page = browser.new_page(viewport={"width": 400, "height": 800})
    page.goto(path.as_uri())
    assert page.evaluate("document.documentElement.scrollWidth") <= 400
    boxes = page.locator(".hpmagic-result .scroll")
    assert boxes.count() == 3  # parameters, top trials, all trials: each scrolls in its own box
    assert page.evaluate("getComputedStyle(document.querySelector('.hpmagic-result .scroll')).overflowX") == "auto"
    widths = page.evaluate(
        "Array.from(document.querySelectorAll('img.hpmagic-plot')).map(i => i.getBoundingClientRect().width)"
    )
    assert widths and max(widths) <= 400
    # What shows before any click: the headline, the counts, the parameters against their defaults
    # and the plots; the rest folded under plain titles.
    assert page.locator(".hpmagic-result > details").evaluate_all("ds => ds.map(d => d.open)") == [False] * 3
    assert page.locator(".hpmagic-result > details > summary").all_inner_texts() == [
        "Top 10 trials",
        "All 30 trials",
        "How the search ran",
    ]
    tables = page.locator(".hpmagic-result table:not(.kv)")
    assert tables.nth(0).is_visible() and not tables.nth(1).is_visible() and page.locator("h4").first.is_visible()
    first_plot = page.locator("img.hpmagic-plot").first.bounding_box()
    assert first_plot["y"] > page.locator("table").first.bounding_box()["y"]  # the plots come after the table
    page.click("summary:has-text('All 30 trials')")
    table = page.locator(".hpmagic-result table:not(.kv)").nth(2)
    header = table.locator("th", has_text="accuracy")
    header.click()
    values = [float(v) for v in table.locator("tbody tr td:nth-child(3)").all_inner_texts()]
    assert values == sorted(values)
    header.click()
    values = [float(v) for v in table.locator("tbody tr td:nth-child(3)").all_inner_texts()]
    assert values == sorted(values, reverse=True)
    align = (
        table.locator("tbody tr")
        .first.locator(":scope > td")
        .evaluate_all("(tds) => tds.map(td => getComputedStyle(td).textAlign)")
    )
    assert align[:3] == ["right", "left", "right"]  # trial number, state, value


def test_dark_theme_darkens_the_plots_and_switches_text_colours(browser, tmp_path):
    r = folds({0: (0.9, 0.01), 1: (0.95, 0.01), 2: (0.8, 0.01)})
    colours = {}
    for dark in (False, True):
        path = tmp_path / f"{dark}.html"
        path.write_text(_page(result_html(r), 800, dark), encoding="utf-8")
        page = browser.new_page(viewport={"width": 800, "height": 600})
        page.goto(path.as_uri())
        filters = page.evaluate("getComputedStyle(document.querySelector('img.hpmagic-plot')).filter")
        assert ("invert" in filters) is dark
        colours[dark] = page.evaluate("getComputedStyle(document.querySelector('.hpmagic-result .gain')).color")
    assert colours[False] != colours[True]
