"""Manual mode in a real browser (JupyterLab and Notebook 7, as in ``tests/test_browser.py``):
two clicks on Run, a save, a kernel restart and a reload leave the record of the trials in
the notebook as plain HTML, a separate output from the (dead) controls."""

from __future__ import annotations

import json
import urllib.request

from tests import test_browser
from tests.test_browser import ARTIFACTS, CHROMIUM, WIDGET_ERROR, Frontend, Notebook, _html

frontend = test_browser.frontend  # the same servers, started and stopped the same way

MANUAL = "%%tune --strategy manual\nx = 0.5  # tune: uniform(0, 1)\n(x - 0.3) ** 2"


def _write_notebook(fe: Frontend) -> None:
    def cell(source: str) -> dict:
        return {"cell_type": "code", "metadata": {}, "source": source, "outputs": [], "execution_count": None}

    (fe.root / "tune.ipynb").write_text(json.dumps({
        "cells": [cell("%load_ext hpmagic"), cell(MANUAL)],
        "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}},
        "nbformat": 4, "nbformat_minor": 5,
    }))


def _restart_kernel(fe: Frontend) -> None:
    with urllib.request.urlopen(f"{fe.base}/api/kernels?token={fe.token}", timeout=5) as r:
        (kernel,) = json.load(r)
    request = urllib.request.Request(f"{fe.base}/api/kernels/{kernel['id']}/restart", method="POST", data=b"",
                                     headers={"Authorization": f"token {fe.token}"})
    with urllib.request.urlopen(request, timeout=60):
        pass


def _record(cells: list[dict]) -> str:
    return "".join(_html(o) for o in cells[1]["outputs"] if "hpmagic-manual-record" in _html(o))


def test_manual_mode_after_a_kernel_restart(frontend):
    from playwright.sync_api import sync_playwright

    _write_notebook(frontend)
    shots = ARTIFACTS / "browser"
    shots.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=CHROMIUM, headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-dev-shm-usage"],
        )
        nb = Notebook(browser.new_page(viewport={"width": 1400, "height": 1600}), frontend, shots)
        try:
            nb.open()
            nb.run_first()
            nb.run(1)
            record = nb.cell(1).locator(".hpmagic-manual-record")
            record.filter(has_text="1 trial so far").wait_for(timeout=60_000)
            run = nb.cell(1).locator("button:has-text('Run')")
            for n in (2, 3):  # trial 0 ran the defaults; each click runs one more
                run.click()
                record.filter(has_text=f"{n} trials so far").wait_for(timeout=60_000)
            nb.shot("manual-clicked", 1)
            cells = nb.save(lambda cells: "3 trials so far" in _record(cells))
            assert "hpmagic-result" in _record(cells)
            _restart_kernel(frontend)
            nb.page.reload()
            nb.page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=60_000)
            record.filter(has_text="3 trials so far").wait_for(timeout=60_000)
            nb.page.wait_for_timeout(2000)  # time for the widget manager to give up on the dead controls
            nb.shot("manual-restarted", 1)
            text = record.inner_text()
            assert "all 3 trials" in text and "best objective" in text and WIDGET_ERROR not in text
            # The record is an output of its own, not the widget's: whatever the dead controls
            # show, it does not stand in place of the record.
            outputs = nb.cell(1).locator(".jp-OutputArea-output")
            holder = [i for i in range(outputs.count()) if outputs.nth(i).locator(".hpmagic-manual-record").count()]
            assert len(holder) == 1 and WIDGET_ERROR not in outputs.nth(holder[0]).inner_text()
            print(frontend.app, "controls after restart:", [outputs.nth(i).inner_text()[:80] for i in range(outputs.count())
                                                        if i not in holder])
        except Exception:
            if not nb.page.is_closed():
                nb.page.screenshot(path=str(shots / f"{frontend.app}-manual-failure.png"), full_page=True)
            raise
        finally:
            browser.close()
