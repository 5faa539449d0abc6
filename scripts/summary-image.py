"""Draw the picture of the summary on the documentation's front page (``docs/images/summary.png``).

It runs the one-cell example of the front page (and of the README) for real: the SVM on
scikit-learn's digits, ``%%tune -n 40 --maximize``, through an IPython shell with hpmagic
loaded, and photographs the cell's output, the HTML summary, in a headless Chromium
(Playwright), as a notebook 880 px wide shows it.  The top of the summary is kept: the
headline, the best parameters against their defaults and the first plots, down to the first
row of slices.  The picture is then reduced to a palette of 128 colours, which keeps it
small (under 100 KB).

    .venv/bin/python scripts/summary-image.py [--out docs/images/summary.png] [--seed 0]

Needs the ``test`` extra (Playwright) and Chromium (``/usr/bin/chromium``, or
``HPMAGIC_CHROMIUM``).  The search takes about ten seconds on two cores; ``--seed`` makes it
the same search every time (the timings it shows are this machine's).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
CHROMIUM = os.environ.get("HPMAGIC_CHROMIUM", "/usr/bin/chromium")

SETUP = """\
from sklearn.datasets import load_digits
from sklearn.model_selection import cross_val_score
from sklearn.svm import SVC
X, y = load_digits(return_X_y=True)
"""

# The front page's cell, as written there (docs/index.md), with a seed, -q and -o added.
CELL = """\
%%tune -n 40 --maximize --seed {seed} -q -o result
C      = 1.0     # tune: loguniform(1e-2, 1e3)
kernel = "rbf"   # tune: choice("rbf", "poly", "sigmoid")
degree = 3       # tune: int(2, 5) if kernel == "poly"
gamma  = 0.01    # tune: loguniform(1e-5, 1e-1)
cross_val_score(SVC(C=C, kernel=kernel, degree=degree, gamma=gamma), X, y, cv=3)
"""

WIDTH = 880  # the notebook output's width: three slice plots side by side
KEEP = 5  # the picture ends below the fifth plot: convergence, importance and the first row of slices


def run_search(seed: int) -> str:
    """The example's cell run through a real IPython shell; its result's HTML summary."""
    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance()
    shell.run_line_magic("load_ext", "hpmagic")
    shell.run_cell(SETUP)
    started = time.perf_counter()
    res = shell.run_cell(CELL.format(seed=seed), silent=True)  # silent: the summary is not printed here
    if not res.success:
        raise SystemExit(f"the search failed: {res.error_in_exec!r}")
    result = shell.user_ns["result"]
    print(f"{len(result.trials)} trials in {time.perf_counter() - started:.1f} s; "
          f"best {result.best_value:.4f} vs defaults {result.baseline.value:.4f}")
    return result._repr_html_()


def photograph(html: str, out: Path) -> None:
    """The summary as a notebook output shows it, cut to its top, as a small PNG."""
    from PIL import Image
    from playwright.sync_api import sync_playwright

    page_html = (f"<html><body style='margin:0;padding:12px 16px;background:#fff;color:#1f1f1f;"
                 f"font-family:sans-serif'>{html}</body></html>")
    with tempfile.TemporaryDirectory() as tmp:
        path, shot = Path(tmp) / "summary.html", Path(tmp) / "shot.png"
        path.write_text(page_html, encoding="utf-8")
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True,
                                         args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"])
            page = browser.new_page(viewport={"width": WIDTH, "height": 800})
            page.goto(path.as_uri())
            bottom = page.evaluate(f"Math.max(...Array.from(document.querySelectorAll('img.hpmagic-plot'))"
                                   f".slice(0, {KEEP}).map(i => i.getBoundingClientRect().bottom))")
            height = int(bottom) + 12
            page.screenshot(path=str(shot), clip={"x": 0, "y": 0, "width": WIDTH, "height": height}, full_page=True)
            browser.close()
        image = Image.open(shot).convert("RGB").quantize(colors=128, method=Image.Quantize.MEDIANCUT)
        out.parent.mkdir(parents=True, exist_ok=True)
        image.save(out, optimize=True)
    print(f"wrote {out} ({out.stat().st_size // 1024} KB, {image.width}x{image.height})")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "images" / "summary.png")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    if not Path(CHROMIUM).exists():
        raise SystemExit(f"no Chromium at {CHROMIUM}: install it (apt-get install chromium) or set HPMAGIC_CHROMIUM")
    photograph(run_search(args.seed), args.out)


if __name__ == "__main__":
    sys.path.insert(0, str(REPO))  # this checkout's hpmagic
    main()
