"""Manual mode in a real browser (JupyterLab and Notebook 7, as in ``tests/test_browser.py``).

Two clicks on Run, a save, a kernel restart and a reload leave the record of the trials in the
notebook as plain HTML, an output of its own beside the (dead) controls; the restart turns the
controls on the page into a static note, and once that is saved (as autosave does) a reload
shows no widget error at all.  Screenshots go to ``test-artifacts/browser/``."""

from __future__ import annotations

import json
import urllib.request

from tests import test_browser
from tests.test_browser import WIDGET_ERROR, Frontend, Notebook, _html, chromium_notebook

frontend = test_browser.frontend  # the same servers, started and stopped the same way

MANUAL = "%%tune --strategy manual\nx = 0.5  # tune: uniform(0, 1)\n(x - 0.3) ** 2"


def _write_notebook(fe: Frontend) -> None:
    def cell(source: str) -> dict:
        return {"cell_type": "code", "metadata": {}, "source": source, "outputs": [], "execution_count": None}

    (fe.root / "tune.ipynb").write_text(
        json.dumps(
            {
                "cells": [cell("%load_ext hpmagic"), cell(MANUAL)],
                "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}},
                "nbformat": 4,
                "nbformat_minor": 5,
            }
        )
    )


def _restart_kernel(fe: Frontend) -> None:
    with urllib.request.urlopen(f"{fe.base}/api/kernels?token={fe.token}", timeout=5) as r:
        (kernel,) = json.load(r)
    request = urllib.request.Request(
        f"{fe.base}/api/kernels/{kernel['id']}/restart",
        method="POST",
        data=b"",
        headers={"Authorization": f"token {fe.token}"},
    )
    with urllib.request.urlopen(request, timeout=60):
        pass


def _record(cells: list[dict]) -> str:
    return "".join(_html(o) for o in cells[1]["outputs"] if "hpmagic-manual-record" in _html(o))


def _run_and_click(nb: Notebook, clicks: int) -> None:
    """Run the manual cell (trial 0, the defaults) and click Run ``clicks`` times."""
    nb.run(1)
    record = nb.cell(1).locator(".hpmagic-manual-record")
    record.filter(has_text="1 trial so far").wait_for(timeout=60_000)
    for n in range(2, clicks + 2):
        nb.cell(1).locator("button:has-text('Run')").click()
        record.filter(has_text=f"{n} trials so far").wait_for(timeout=60_000)


def _reload(nb: Notebook) -> None:
    nb.page.reload()
    nb.cell(1).locator(".hpmagic-manual-record").wait_for(timeout=60_000)
    nb.page.wait_for_timeout(2000)  # time for the widget manager to give up on dead controls


def test_manual_mode_after_a_kernel_restart(frontend):
    _write_notebook(frontend)
    with chromium_notebook(frontend, "manual", 1600) as (_, nb):
        nb.page.on("dialog", lambda dialog: dialog.accept())  # "leave with unsaved changes?" on reload
        nb.open()
        nb.run_first()
        _run_and_click(nb, clicks=2)
        nb.shot("manual-clicked", 1)
        cells = nb.save(lambda cells: "3 trials so far" in _record(cells))
        assert "hpmagic-result" in _record(cells)
        _restart_kernel(frontend)
        # The kernel, shutting down, replaced its controls by a static note on the page.
        nb.cell(1).locator(".hpmagic-manual-finished").wait_for(timeout=30_000)
        # Reloaded without saving again: the file holds the controls as they were saved.
        _reload(nb)
        nb.shot("manual-restarted", 1)
        record = nb.cell(1).locator(".hpmagic-manual-record")
        text = record.inner_text()
        assert "3 trials so far" in text and "All 3 trials" in text and "best objective" in text
        # The record is an output of its own: whatever the dead controls show, the record
        # is not replaced by a widget error.
        outputs = nb.cell(1).locator(".jp-OutputArea-output")
        holder = [i for i in range(outputs.count()) if outputs.nth(i).locator(".hpmagic-manual-record").count()]
        assert len(holder) == 1 and WIDGET_ERROR not in outputs.nth(holder[0]).inner_text()
        # Saved after the restart (as autosave does): no widget is left in the notebook at all.
        nb.run_first()
        _run_and_click(nb, clicks=1)
        nb.save(lambda cells: "2 trials so far" in _record(cells))
        _restart_kernel(frontend)
        nb.cell(1).locator(".hpmagic-manual-finished").wait_for(timeout=30_000)
        widget = "application/vnd.jupyter.widget-view+json"
        nb.save(lambda cells: not any(widget in o.get("data", {}) for o in cells[1]["outputs"]))
        _reload(nb)
        nb.shot("manual-saved-after-restart", 1)
        assert WIDGET_ERROR not in nb.page.content()
        # The kernel, shutting down, finished the session: the record counts in the past tense.
        assert "2 trials run" in nb.cell(1).locator(".hpmagic-manual-record").inner_text()
