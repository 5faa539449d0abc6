"""The Pareto plot of a two-objective search in a real browser (issue 23, item 3).

A notebook runs ``%%tune --minimize a --minimize b --constraint ...`` in JupyterLab and in
Notebook 7 (the servers and Debian's Chromium as :mod:`tests.test_browser` starts them), and the
test checks what a person would see in the summary: the Pareto plot is there, drawn (its PNG
loaded), on a light background in the light theme; in JupyterLab Dark inverted like the other
summary plots (``invert(0.88) hue-rotate(180deg)``), its pixels dark with light ink that reads;
and with the output 400 px wide, the plot shrinks with it and nothing overflows sideways.
Screenshots go to ``test-artifacts/browser/`` (``<app>-pareto-*.png``).
"""

from __future__ import annotations

import dataclasses
import io
import json

from tests.test_browser import (
    CELLS,
    LOAD,
    NARROW_CSS,
    _contrast,
    _notebook,
    chromium_notebook,
    frontend,  # noqa: F401 - the JupyterLab / Notebook 7 server fixture
)

#: Two objectives that trade off along x (a = x, b = (1 - x)^2), and a constraint that some
#: trials break (a <= 0.8): the plot has a front, dominated points and infeasible ones.
TRIALS = 16
MO_CELL = (
    f"%%tune -n {TRIALS} --seed 0 --strategy random --minimize a --minimize b --constraint 'a <= 0.8'\n"
    "x = 0.5     # tune: uniform(0, 1)\n"
    "y = 0.5     # tune: uniform(0, 1)\n"
    "a = x + 0.2 * y\n"
    "b = (1 - x) ** 2 + 0.2 * y"
)

PLOT = ".hpmagic-result img.hpmagic-plot[alt='Pareto front']"

# Where the Pareto plot sits: its box, its pixel size, its filter, and the result's overflow.
PLOT_LAYOUT = """(img) => {
    const r = img.getBoundingClientRect(), result = img.closest('.hpmagic-result');
    const out = img.closest('.jp-OutputArea-output').getBoundingClientRect();
    return {left: r.left, right: r.right, width: r.width, natural: img.naturalWidth, complete: img.complete,
            filter: getComputedStyle(img).filter, outRight: out.right, outWidth: out.width,
            scroll: result.scrollWidth, client: result.clientWidth,
            outScroll: img.closest('.jp-OutputArea-output').scrollWidth,
            outClient: img.closest('.jp-OutputArea-output').clientWidth};
}"""

DARK_FILTER = "invert(0.88) hue-rotate(180deg)"


def _pixels(shot: bytes):
    import numpy as np
    from PIL import Image

    return np.asarray(Image.open(io.BytesIO(shot)).convert("RGB"), dtype=float).reshape(-1, 3)


def _look(pixels) -> dict:
    """The plot's background (its median pixel), how much of it is white, and its ink's contrast
    (the pixel farthest from the background in luminance, against the background)."""
    import numpy as np

    bg = np.median(pixels, axis=0)
    sums = pixels.sum(axis=1)
    ink = pixels[sums.argmin()] if bg.sum() > 3 * 128 else pixels[sums.argmax()]
    return {
        "bg": tuple(bg),
        "white": float((pixels.min(axis=1) >= 230).mean()),
        "contrast": _contrast(tuple(ink), tuple(bg)),
    }


def _mo_notebook(frontend):  # noqa: F811 - the fixture's value, passed on
    cells = [CELLS[LOAD], MO_CELL]
    nbjson = dict(
        _notebook(),
        cells=[
            {"cell_type": "code", "metadata": {}, "source": c, "outputs": [], "execution_count": None} for c in cells
        ],
    )
    (frontend.root / "pareto.ipynb").write_text(json.dumps(nbjson))
    return dataclasses.replace(frontend, url=frontend.url.replace("tune.ipynb", "pareto.ipynb"))


def _check_light(nb) -> None:
    plot = nb.cell(1).locator(PLOT)
    layout = plot.evaluate(PLOT_LAYOUT)
    assert layout["complete"] and layout["natural"] > 100, f"the Pareto plot did not load: {layout}"
    assert layout["filter"] == "none", layout
    look = _look(_pixels(plot.screenshot()))
    (nb.shots / f"{nb.fe.app}-pareto-light.png").write_bytes(plot.screenshot())
    assert sum(look["bg"]) > 3 * 220, f"not a light plot in the light theme: {look}"
    assert look["contrast"] >= 7, f"the plot's ink does not stand out: {look}"
    text = nb.cell(1).inner_text()
    assert f"{TRIALS}/{TRIALS} trials" in text and "Pareto front" in text, text


def _check_dark(nb) -> None:
    nb.page.evaluate("window.jupyterapp.commands.execute('apputils:change-theme', {theme: 'JupyterLab Dark'})")
    nb.page.wait_for_function("document.body.dataset.jpThemeLight === 'false'", timeout=30_000)
    nb.page.wait_for_timeout(1000)
    plot = nb.cell(1).locator(PLOT)
    plot.scroll_into_view_if_needed()
    assert plot.evaluate(PLOT_LAYOUT)["filter"] == DARK_FILTER  # as the summary's other plots
    shot = plot.screenshot()
    (nb.shots / f"{nb.fe.app}-pareto-dark.png").write_bytes(shot)
    look = _look(_pixels(shot))
    assert sum(look["bg"]) < 3 * 80, f"the Pareto plot is not dark in the dark theme: {look}"
    assert look["white"] < 0.05, f"a white block: {look}"
    assert look["contrast"] >= 7, f"the plot's ink does not stand out in the dark theme: {look}"


def _check_narrow(nb) -> None:
    nb.page.add_style_tag(content=NARROW_CSS)
    nb.page.wait_for_timeout(500)
    plot = nb.cell(1).locator(PLOT)
    plot.scroll_into_view_if_needed()
    layout = plot.evaluate(PLOT_LAYOUT)
    nb.shot("pareto-narrow", 1)
    assert layout["outWidth"] <= 401, layout
    assert layout["width"] <= layout["outWidth"] + 1 and layout["right"] <= layout["outRight"] + 1, (
        f"the Pareto plot overflows its 400 px output: {layout}"
    )
    assert layout["scroll"] <= layout["client"] + 1 and layout["outScroll"] <= layout["outClient"] + 1, (
        f"the summary scrolls sideways at 400 px: {layout}"
    )
    assert layout["width"] >= 0.5 * min(layout["natural"], 400), f"the plot shrank to nothing: {layout}"


def test_the_pareto_plot_in_light_and_dark_themes_at_400_px(frontend):  # noqa: F811 - the fixture
    with chromium_notebook(_mo_notebook(frontend), "pareto", 1600) as (_, nb):
        nb.open()
        nb.run_first()
        nb.run(1)
        nb.cell(1).locator(PLOT).wait_for(timeout=90_000)
        nb.done(1)
        _check_light(nb)
        _check_dark(nb)
        _check_narrow(nb)
        nb.shot("pareto-dark-narrow")
