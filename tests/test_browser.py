"""End to end in a real browser: JupyterLab and Notebook 7 on loopback, Debian's Chromium
driven by Playwright.

A notebook of ``%%tune`` cells is opened and run as a person would (Shift+Enter), and the test
checks what a person would see: the panel's text moving on during a single long trial; "2
running" with ``--jobs 2``; the live bar advancing and the live plot, then the summary with
its images; an output 400 px wide in which the panel reflows without overflowing; the cell's
text rewritten in the editor by ``--write-back``; JupyterLab Dark, with the panel's colours
read from the page and their contrast measured; saved and reloaded, no "Error displaying
widget" anywhere; and a notebook saved while a search runs, closed, and opened again after
the search ended, showing the saved state, no widget error, read as frozen (a grey bar, no
"running" nor time left) with a note naming the ``Out[N]`` that holds the result, which, run,
shows it.  A second test runs a search of 3 s trials in the dark theme with its output 400 px
wide: the live plot shows each new best and each finished trial within 5 s of the status line,
sits on the theme's background (its pixels sampled) and stacks its two images.  Screenshots of
every step are kept in ``test-artifacts/`` (the test prints where).

Chromium comes from the system (``apt-get install chromium``), never from a tool's own
download.  Without it the test skips with the reason, except where ``HPMAGIC_REQUIRE_BROWSER=1``
(CI), where a missing browser is a failure.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests import browsers

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
TRIALS = 60


# The front ends: the command that serves them, where a notebook opens, and what says its
# kernel is ready (JupyterLab's status bar; Notebook 7 has none, but a toolbar indicator).
APPS = {
    "jupyterlab": (
        [
            "lab",
            "--expose-app-in-browser",
            "--LabApp.news_url=None",
            "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
        ],
        "lab/tree/tune.ipynb?token={token}&reset",
        "(document.querySelector('#jp-main-statusbar') || {innerText: ''}).innerText.includes('Idle')",
    ),
    "notebook": (
        ["notebook", "--expose-app-in-browser"],
        "notebooks/tune.ipynb?token={token}",
        "document.querySelector('.jp-Notebook-ExecutionIndicator[data-status=idle]') !== null",
    ),
}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _tune_cell(line: str, sleep: float) -> str:
    return (
        f"%%tune {line} --seed 0 --strategy random\nimport time\n"
        "x = 0.5     # tune: uniform(0, 1)\n"
        "lr = 0.01   # tune: loguniform(1e-4, 1)\n"
        f"time.sleep({sleep})\n"
        "(x - 0.3) ** 2 + 0.01 * abs(lr - 0.1)"
    )


#: The notebook's cells, by what each shows.
LOAD, LONG, JOBS, FAST, WRITE, SAVED, RESULT = range(7)
CELLS = {
    LOAD: "%load_ext hpmagic",
    LONG: _tune_cell("-n 2", 3),  # one long trial after another
    JOBS: _tune_cell("-n 4 -j 2", 2.5),
    FAST: _tune_cell(f"-n {TRIALS}", 0.05),  # long enough for the live plot
    WRITE: _tune_cell("-n 4 -w", 0),
    SAVED: _tune_cell("-n 8", 1.5),  # saved while it runs (longer than the panel's STALE_AFTER)
    RESULT: "",  # where the reopened notebook shows that search's result
}


def _notebook() -> dict:
    def cell(source: str) -> dict:
        return {"cell_type": "code", "metadata": {}, "source": source, "outputs": [], "execution_count": None}

    return {
        "cells": [cell(CELLS[i]) for i in sorted(CELLS)],
        "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }


@dataclasses.dataclass
class Frontend:
    """A running front end: its name, the notebook's address, the server's and its token."""

    app: str
    url: str
    base: str
    token: str
    root: Path

    def kernels_idle(self) -> bool:
        with urllib.request.urlopen(f"{self.base}/api/kernels?token={self.token}", timeout=5) as r:
            kernels = json.load(r)
        return bool(kernels) and all(k["execution_state"] == "idle" for k in kernels)

    def saved(self) -> list[dict]:
        return json.loads((self.root / "tune.ipynb").read_text())["cells"]


@pytest.fixture(params=sorted(APPS))
def frontend(request, tmp_path):
    """A JupyterLab or Notebook 7 server on 127.0.0.1 with its own config and data dirs, and
    the address of the test notebook in it; the server is stopped afterwards."""
    app = request.param
    browsers.require(app)
    command, path, _ = APPS[app]
    root = tmp_path / "root"
    root.mkdir()
    (root / "tune.ipynb").write_text(json.dumps(_notebook()))
    token, port = secrets.token_hex(16), _free_port()
    env = dict(os.environ)
    for name in ("JUPYTER_CONFIG_DIR", "JUPYTER_RUNTIME_DIR"):
        env[name] = str(tmp_path / name.lower())
    env["JUPYTERLAB_WORKSPACES_DIR"] = str(tmp_path / "workspaces")
    env["JUPYTERLAB_SETTINGS_DIR"] = str(tmp_path / "settings")
    # The kernel must run this interpreter (the venv with hpmagic), whatever is on PATH.
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    log = open(tmp_path / "server.log", "w")  # noqa: SIM115 - closed in the finally below
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "jupyter",
            command[0],
            "--no-browser",
            f"--IdentityProvider.token={token}",
            f"--port={port}",
            "--port-retries=0",
            "--ip=127.0.0.1",
            f"--ServerApp.root_dir={root}",
            *command[1:],
            *(["--allow-root"] if hasattr(os, "geteuid") and os.geteuid() == 0 else []),
        ],
        cwd=root,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 40
        while True:
            try:
                with urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=2):
                    break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(
                        f"{app} did not start:\n" + (tmp_path / "server.log").read_text()[-3000:]
                    ) from None
                time.sleep(0.3)
        yield Frontend(app, f"{base}/{path.format(token=token)}", base, token, root)
    finally:
        try:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=15)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            try:
                os.killpg(server.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        log.close()


RAN_FIRST_CELL = (
    """() => /\\[\\d+\\]/.test(document.querySelector('.jp-Notebook .jp-Cell .jp-InputPrompt').innerText)"""
)
WIDGET_ERROR = "Error displaying widget"


def _contrast(fg: tuple[float, ...], bg: tuple[float, ...]) -> float:
    """WCAG's contrast ratio of two sRGB colours (0-255 channels)."""

    def lum(c):
        lin = [x / 255 / 12.92 if x / 255 <= 0.03928 else ((x / 255 + 0.055) / 1.055) ** 2.4 for x in c[:3]]
        return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]

    high, low = sorted((lum(fg), lum(bg)), reverse=True)
    return (high + 0.05) / (low + 0.05)


# The colours an element is drawn in: its text colour blended over the first opaque
# background among its ancestors, and that background.
COLOURS = """(el) => {
    const parse = (s) => (s.match(/[\\d.]+/g) || []).map(Number);
    let node = el, bg = null;
    while (node && node.nodeType === 1) {
        const c = parse(getComputedStyle(node).backgroundColor);
        if (c.length >= 3 && (c.length === 3 || c[3] > 0.5)) { bg = c.slice(0, 3); break; }
        node = node.parentElement;
    }
    bg = bg || [255, 255, 255];
    const fg = parse(getComputedStyle(el).color), a = fg.length > 3 ? fg[3] : 1;
    return {fg: fg.slice(0, 3).map((v, i) => a * v + (1 - a) * bg[i]), bg: bg};
}"""

# How the panel sits in its output: overflow, and where the line is against the bar.
LAYOUT = """(status) => {
    const bar = status.querySelector('[role=progressbar]').getBoundingClientRect();
    const line = status.querySelector('.hpmagic-line').getBoundingClientRect();
    return {scroll: status.scrollWidth, client: status.clientWidth, right: status.getBoundingClientRect().right,
            outer: status.parentElement.getBoundingClientRect().right, lineTop: line.top, barBottom: bar.bottom,
            barWidth: bar.width};
}"""


# How a status bar looks: its fill's colour and what is painted over it, and the line as shown.
LOOK = """(status) => {
    const fill = getComputedStyle(status.querySelector('.hpmagic-fill')), bar = status.querySelector('[role=progressbar]');
    return {colour: fill.backgroundColor, image: fill.backgroundImage, state: bar.dataset.state,
            value: parseInt(bar.getAttribute('aria-valuenow')), line: status.querySelector('.hpmagic-line').innerText};
}"""


class Notebook:
    """One notebook page: its cells, by number, and what they show."""

    def __init__(self, page, frontend: Frontend, shots: Path):
        self.page, self.fe, self.shots = page, frontend, shots

    def open(self) -> None:
        self.page.goto(self.fe.url, timeout=60_000)
        self.page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=60_000)
        self.page.wait_for_function(APPS[self.fe.app][2], timeout=60_000)
        self.page.wait_for_timeout(500)

    def cell(self, i: int):
        return self.page.locator(".jp-Notebook .jp-Cell").nth(i)

    def run(self, i: int) -> None:
        self.cell(i).locator(".jp-InputArea-editor").click()
        self.page.keyboard.press("Shift+Enter")

    def run_first(self) -> None:
        """Run the first cell and wait for its execution count: a key pressed while the front
        end is still connecting to the kernel can be lost, so press again."""
        from playwright.sync_api import TimeoutError as PlaywrightTimeout

        for _ in range(4):
            self.run(LOAD)
            try:
                self.page.wait_for_function(RAN_FIRST_CELL, timeout=15_000)
                return
            except PlaywrightTimeout:
                continue
        raise AssertionError("the first cell never ran")

    def status(self, i: int):
        return self.cell(i).locator(".hpmagic-status")

    def line(self, i: int) -> tuple[int, str]:
        """The panel's bar value and status line in cell ``i`` (-1 and "" before it shows)."""
        return self.page.evaluate(
            """(i) => {
            const s = document.querySelectorAll('.jp-Notebook .jp-Cell')[i].querySelector('.hpmagic-status');
            return s ? [parseInt(s.querySelector('[role=progressbar]').getAttribute('aria-valuenow')),
                        s.querySelector('.hpmagic-line').innerText] : [-1, ''];
        }""",
            i,
        )

    def done(self, i: int, timeout: float = 90_000) -> None:
        self.cell(i).locator(".hpmagic-status [data-state=done]").wait_for(timeout=timeout)
        self.page.wait_for_function(APPS[self.fe.app][2], timeout=60_000)

    def watch(self, i: int, seconds: float, until=None) -> list[tuple[int, str]]:
        """What cell ``i``'s panel shows, every 0.1 s for ``seconds`` or until ``until(seen)``."""
        seen: list[tuple[int, str]] = []
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            value = tuple(self.line(i))
            if value[0] >= 0 and (not seen or seen[-1] != value):
                seen.append(value)
            if seen and until is not None and until(seen):
                break
            time.sleep(0.1)
        return seen

    def shot(self, name: str, i: int | None = None) -> None:
        path = self.shots / f"{self.fe.app}-{name}.png"
        if i is None:
            self.page.screenshot(path=str(path), full_page=True)
        else:
            self.cell(i).scroll_into_view_if_needed()
            self.cell(i).screenshot(path=str(path))

    def save(self, until) -> list[dict]:
        """Save (Ctrl+S) and return the saved cells once ``until(cells)`` holds of the file."""
        self.page.keyboard.press("Control+s")
        deadline, cells = time.monotonic() + 30, []
        while time.monotonic() < deadline:
            try:
                cells = self.fe.saved()
            except json.JSONDecodeError:  # read while the server was writing it: read again
                time.sleep(0.3)
                continue
            if until(cells):
                return cells
            time.sleep(0.3)
        raise AssertionError(f"the notebook was not saved as expected: {json.dumps(cells)[:2000]}")


def _html(output: dict) -> str:
    html = output.get("data", {}).get("text/html", "")
    return "".join(html) if isinstance(html, list) else html


def _check_long_trial_and_narrow_output(nb: Notebook) -> None:
    """During a single long trial the panel's text moves on and says what runs; in an output
    400 px wide the panel reflows (the line below the bar) and nothing overflows."""
    nb.run(LONG)
    nb.status(LONG).wait_for(timeout=60_000)
    during_first = nb.watch(LONG, 12, until=lambda seen: seen[-1][0] > 0 or len({t for _, t in seen}) >= 3)
    first_trial = [text for value, text in during_first if value == 0]
    assert len(set(first_trial)) >= 2, f"the panel stood still during the first trial: {during_first}"
    assert any("trial 0 (the defaults) running for" in text for text in first_trial), first_trial
    output = nb.cell(LONG).locator(".jp-OutputArea-output").first
    output.evaluate("(o) => { o.style.width = '400px'; o.style.maxWidth = '400px'; o.style.flex = 'none'; }")
    nb.page.wait_for_timeout(300)
    layout = nb.status(LONG).evaluate(LAYOUT)
    nb.shot("narrow", LONG)
    assert layout["scroll"] <= layout["client"] + 1 and layout["right"] <= layout["outer"] + 1, layout
    assert layout["lineTop"] >= layout["barBottom"] - 1, f"the status line did not go below the bar: {layout}"
    nb.done(LONG)


def _check_jobs(nb: Notebook) -> None:
    nb.run(JOBS)
    seen = nb.watch(JOBS, 60, until=lambda s: "2 running" in s[-1][1] or "done" in s[-1][1])
    nb.shot("jobs", JOBS)
    assert any("2 running (trial" in text for _, text in seen), f"never 2 running: {seen}"
    nb.done(JOBS)


def _check_fast_search(nb: Notebook) -> None:
    """The bar advances, the live plot shows, then the summary with its images replaces both."""
    nb.run(FAST)
    nb.status(FAST).wait_for(timeout=60_000)
    plot = nb.cell(FAST).locator("img.hpmagic-live-plot")
    plot_seen, values, deadline = False, [], time.monotonic() + 60
    while time.monotonic() < deadline and not nb.cell(FAST).locator(".hpmagic-result").count():
        values.append(nb.line(FAST)[0])
        if not plot_seen and plot.count() and plot.first.evaluate("(i) => i.complete && i.naturalWidth > 100"):
            plot_seen = True
            nb.shot("live", FAST)
        time.sleep(0.1)
    assert len(set(values)) >= 2 and max(values) > min(values), f"the bar did not advance: {values}"
    assert plot_seen, "the live convergence plot never showed"
    nb.cell(FAST).locator(".hpmagic-result img.hpmagic-plot").first.wait_for(timeout=60_000)
    nb.done(FAST)
    images = nb.cell(FAST).locator(".hpmagic-result img.hpmagic-plot")
    assert images.count() >= 3
    assert images.evaluate_all("(ims) => ims.every(i => i.complete && i.naturalWidth > 100)")
    assert nb.cell(FAST).locator("img.hpmagic-live-plot").count() == 0 and nb.status(FAST).count() == 1
    text = nb.cell(FAST).inner_text()
    assert f"{TRIALS}/{TRIALS} trials" in text and "best objective" in text
    nb.shot("summary", FAST)


def _check_write_back(nb: Notebook) -> None:
    nb.run(WRITE)
    nb.done(WRITE)
    editor = nb.cell(WRITE).locator(".jp-InputArea-editor .cm-content")
    deadline = time.monotonic() + 20
    while not editor.inner_text().startswith("# %%tune") and time.monotonic() < deadline:
        time.sleep(0.2)
    text = editor.inner_text()
    nb.shot("write-back", WRITE)
    assert text.startswith("# %%tune -n 4 -w --seed 0 --strategy random\n"), text
    assert "# tune: uniform(0, 1)" in text and "x = 0.5 " not in text  # a new default, the annotation kept


def _check_dark_theme(nb: Notebook) -> None:
    nb.page.evaluate("window.jupyterapp.commands.execute('apputils:change-theme', {theme: 'JupyterLab Dark'})")
    nb.page.wait_for_function("document.body.dataset.jpThemeLight === 'false'", timeout=30_000)
    nb.page.wait_for_timeout(1000)
    colours = nb.status(LONG).locator(".hpmagic-line").evaluate(COLOURS)
    assert sum(colours["bg"]) < 3 * 80, f"not a dark background: {colours}"
    assert _contrast(colours["fg"], colours["bg"]) >= 4.5, colours
    fill = nb.status(LONG).locator(".hpmagic-fill").evaluate("(e) => getComputedStyle(e).backgroundColor")
    assert fill == "rgb(76, 175, 80)", fill  # the dark theme's green (palette.THEME['bar-done'].dark)
    nb.shot("dark")


def _check_saved_and_reloaded(nb: Notebook) -> None:
    cells = nb.save(lambda cells: bool(cells[FAST]["outputs"]) and bool(cells[WRITE]["outputs"]))
    widget = "application/vnd.jupyter.widget-view+json"
    assert all(widget not in o.get("data", {}) for c in cells for o in c.get("outputs", []))
    nb.page.reload()
    nb.page.wait_for_selector(".hpmagic-result img.hpmagic-plot", timeout=60_000)
    nb.page.wait_for_timeout(1000)
    assert WIDGET_ERROR not in nb.page.content()
    assert nb.page.locator(".hpmagic-status [data-state=done]").count() == 4


def _shown_text(cell, needle: str = "best", timeout: float = 20) -> str:
    """The cell's text once it shows ``needle``.  JupyterLab lays out only the cells in view
    (the rest have no text), and a cell scrolled into view is drawn a moment later."""
    deadline = time.monotonic() + timeout
    while True:
        cell.scroll_into_view_if_needed()
        text = cell.inner_text()
        if needle in text or time.monotonic() > deadline:
            return text
        time.sleep(0.2)


def _check_saved_mid_run(nb: Notebook, browser) -> Notebook:
    """Saved while a search runs, the tab closed, the search ends, the notebook opened again:
    the saved state of the panel shows, no widget error, and once the saved panel has not
    been redrawn for STALE_AFTER seconds its note says where the result is; run there, it
    shows the result.  While live, the same note stays hidden (each redraw hides it again)."""
    from hpmagic.display.html import STALE_AFTER

    nb.page.wait_for_function(APPS[nb.fe.app][2], timeout=60_000)
    started = time.monotonic()
    nb.run(SAVED)
    nb.watch(SAVED, 30, until=lambda seen: seen[-1][0] >= 1)

    def saved_running(cells):
        return any("data-state='running'" in _html(o) for o in cells[SAVED]["outputs"])

    cells = nb.save(saved_running)
    assert "best" in "".join(_html(o) for o in cells[SAVED]["outputs"])
    note = nb.status(SAVED).locator(".hpmagic-stale")
    while time.monotonic() - started < STALE_AFTER + 1.5:
        time.sleep(0.2)
    assert nb.line(SAVED)[0] < 8, "the search ended before the live panel's note could be checked"
    for _ in range(20):  # read between two redraws: a note being replaced has no computed style yet ('')
        visibility = note.evaluate("(e) => getComputedStyle(e).visibility")
        if visibility:
            break
        time.sleep(0.1)
    assert visibility == "hidden", "the note showed on a live panel"
    live = nb.status(SAVED).evaluate(LOOK)
    for _ in range(10):  # read between two redraws: a panel being replaced has no computed style yet
        if live["image"]:
            break
        time.sleep(0.2)
        live = nb.status(SAVED).evaluate(LOOK)
    assert live["image"].startswith("linear-gradient(rgb(100, 181, 246)"), live  # the dark theme's running blue
    assert " left" in live["line"] or " running" in live["line"], live
    nb.page.close()
    deadline = time.monotonic() + 60
    while not nb.fe.kernels_idle():
        assert time.monotonic() < deadline, "the search never ended"
        time.sleep(0.5)
    again = Notebook(browser.new_page(viewport={"width": 1400, "height": 1800}), nb.fe, nb.shots)
    again.open()
    again.status(SAVED).wait_for(timeout=30_000)
    again.page.wait_for_timeout(2000)  # time for a widget manager to give up on a model
    assert WIDGET_ERROR not in again.page.content()
    assert again.cell(SAVED).locator("[role=progressbar]").count() == 1 and "best" in _shown_text(again.cell(SAVED))
    stale = again.status(SAVED).locator(".hpmagic-stale")
    again.page.wait_for_function(
        "(e) => getComputedStyle(e).visibility === 'visible'",
        arg=stale.element_handle(),
        timeout=(STALE_AFTER + 10) * 1000,
    )
    again.shot("reopened", SAVED)
    text = stale.inner_text()
    name = text.split("run ", 1)[1].split(" in a cell", 1)[0]
    assert name.startswith("Out[") and name.endswith("]"), text
    # Both cases: the search has ended, or the kernel was restarted; never "the search goes on".
    assert text == (
        "This panel stopped updating when the notebook was saved or the page reloaded while the search ran "
        f"(or the kernel has been too busy to redraw it). If the search has ended, run {name} in a cell for "
        "its result; if the kernel was restarted, only a --study keeps a search."
    ), text
    # The saved bar reads as frozen: grey, not the running blue, and no "running" or time left.
    frozen = again.status(SAVED).evaluate(LOOK)
    assert frozen["state"] == "running" and frozen["image"] == "none", frozen
    assert frozen["colour"] == "rgb(158, 158, 158)", frozen  # palette.THEME['bar-frozen'].dark
    assert " left" not in frozen["line"] and "running" not in frozen["line"], frozen
    assert frozen["line"].startswith(f"{frozen['value']}/8 trials") and "best " in frozen["line"], frozen
    again.cell(RESULT).locator(".jp-InputArea-editor").click()
    again.page.keyboard.type(name)
    again.page.keyboard.press("Shift+Enter")
    again.cell(RESULT).locator(".hpmagic-result").wait_for(timeout=30_000)
    shown = _shown_text(again.cell(RESULT), "8 trials")
    assert "best objective" in shown and "8 trials" in shown, shown
    again.shot("result-after-reopen", RESULT)
    assert WIDGET_ERROR not in again.page.content()
    return again


@contextlib.contextmanager
def chromium_notebook(frontend: Frontend, name: str, height: int):
    """The system's Chromium with a page open on ``frontend``'s notebook: yields the browser
    and the page's :class:`Notebook`.  If the block fails, the last open page is kept as the
    screenshot ``<app>-<name>-failure.png``; the browser is closed in any case."""
    shots = ARTIFACTS / "browser"
    shots.mkdir(parents=True, exist_ok=True)
    print(f"screenshots: {shots}")
    with browsers.chromium() as browser:
        try:
            yield browser, Notebook(browser.new_page(viewport={"width": 1400, "height": height}), frontend, shots)
        except Exception:
            pages = [page for context in browser.contexts for page in context.pages if not page.is_closed()]
            if pages:
                pages[-1].screenshot(path=str(shots / f"{frontend.app}-{name}-failure.png"), full_page=True)
            raise


def test_the_panel_in_the_browser(frontend):
    with chromium_notebook(frontend, "panel", 1800) as (browser, nb):
        errors: list[str] = []
        nb.page.on("console", lambda m: m.type == "error" and errors.append(m.text))
        nb.open()
        nb.run_first()
        _check_long_trial_and_narrow_output(nb)
        _check_jobs(nb)
        _check_fast_search(nb)
        _check_write_back(nb)
        _check_dark_theme(nb)
        # No error in the console from the panel's coming and going (a widget view once
        # raised "removeChild" when a panel with a plot closed).
        assert not [e for e in errors if "removeChild" in e or "hpmagic" in e], errors
        _check_saved_and_reloaded(nb)
        _check_saved_mid_run(nb, browser)


# -- the live plot: redrawn within seconds of a new best, in a dark theme, 400 px wide ----------

LIVE_TRIALS = 8
#: Trials of 3 s, each reporting a point a second (so the learning curves join the plot). With
#: seed 0 the best improves at trials 0, 3 and 4 (0.04, 0.015, 0.002), in the middle of the search.
LIVE_CELL = (
    f"%%tune -n {LIVE_TRIALS} --seed 0 --strategy random\nimport time, hpmagic\n"
    "x = 0.5     # tune: uniform(0, 1)\n"
    "for step in (1, 2, 3):\n"
    "    time.sleep(1)\n"
    "    hpmagic.report((x - 0.3) ** 2 + 0.1 / step, step)\n"
    "(x - 0.3) ** 2"
)
#: How soon the plot must show what the status line shows.
PLOT_LAG = 5.0
NARROW_CSS = ".jp-OutputArea-output {width: 400px !important; max-width: 400px !important; flex: none !important}"

# What cell i shows: the status line, and what the live plots say they show.
LIVE_STATE = """(i) => {
    const c = document.querySelectorAll('.jp-Notebook .jp-Cell')[i];
    const line = c.querySelector('.hpmagic-status .hpmagic-line'), plots = c.querySelector('.hpmagic-live-plots');
    return {line: line ? line.innerText : '', trials: plots ? parseInt(plots.dataset.trials) : -1,
            best: plots ? plots.dataset.best : null, images: plots ? plots.querySelectorAll('img').length : 0,
            done: c.querySelector('.hpmagic-result') !== null};
}"""

# Where the live plots sit in their output, each image's size, and the background behind them.
PLOTS_LAYOUT = """(plots) => {
    const imgs = Array.from(plots.querySelectorAll('img')).map((i) => {
        const r = i.getBoundingClientRect();
        return {top: r.top, bottom: r.bottom, left: r.left, width: r.width, natural: i.naturalWidth,
                filter: getComputedStyle(i).filter, background: getComputedStyle(i).backgroundColor};
    });
    const out = plots.closest('.jp-OutputArea-output').getBoundingClientRect();
    return {imgs: imgs, scroll: plots.scrollWidth, client: plots.clientWidth, outRight: out.right,
            outWidth: out.width};
}"""


@dataclasses.dataclass
class Seen:
    """One look at the live cell: when, the status line's count and best, the plot's."""

    at: float
    count: int
    best: str | None
    plot_trials: int
    plot_best: str | None


def _seen(state: dict, at: float) -> Seen:
    import re

    count = re.match(r"(\d+)/\d+ trials", state["line"])
    best = re.search(r" · best (\S+) \(", state["line"])
    return Seen(
        at, int(count.group(1)) if count else -1, best.group(1) if best else None, state["trials"], state["best"]
    )


def _lags(seen: list[Seen], ended: float) -> tuple[list[tuple[str, float]], list[tuple[int, float]]]:
    """How long after the status line showed each new best (each new count) the plot showed it;
    what the status showed less than PLOT_LAG before the search ended is left out (the summary
    takes the plot's place), anything else never shown counts as forever."""
    bests: list[tuple[str, float]] = []
    counts: list[tuple[int, float]] = []
    for i, s in enumerate(seen):
        if s.at > ended - PLOT_LAG:
            break
        if s.best is not None and (i == 0 or seen[i - 1].best != s.best):
            shown = next((t.at for t in seen[i:] if t.plot_best == s.best), float("inf"))
            bests.append((s.best, shown - s.at))
        if s.count > 0 and (i == 0 or seen[i - 1].count != s.count):
            shown = next((t.at for t in seen[i:] if t.plot_trials >= s.count), float("inf"))
            counts.append((s.count, shown - s.at))
    return bests, counts


def _check_dark_plot(nb: Notebook, plots, name: str) -> None:
    """The plot's pixels: its background is the theme's (not a white block) and its ink reads on it."""
    import io

    import numpy as np
    from PIL import Image

    img = plots.locator("img").first
    behind = img.evaluate(COLOURS)["bg"]  # the first opaque background behind the image
    assert sum(behind) < 3 * 80, f"not a dark theme behind the plot: {behind}"
    shot = img.screenshot()
    (nb.shots / f"{nb.fe.app}-{name}.png").write_bytes(shot)
    pixels = np.asarray(Image.open(io.BytesIO(shot)).convert("RGB"), dtype=float).reshape(-1, 3)
    near = (np.abs(pixels - behind).max(axis=1) <= 12).mean()
    white = (pixels.min(axis=1) >= 230).mean()
    assert near > 0.8, f"the plot's background is not the theme's {behind}: {near:.0%} of its pixels are"
    assert white < 0.05, f"a white block: {white:.0%} of the plot's pixels are white"
    lightest = pixels[pixels.sum(axis=1).argmax()]
    assert _contrast(tuple(lightest), behind) >= 7, f"the plot's ink {lightest} does not stand out from {behind}"


def _check_narrow_plots(plots) -> None:
    """At 400 px the two plots stack, each nearly at its own size, nothing wider than the output."""
    layout = plots.evaluate(PLOTS_LAYOUT)
    first, second = layout["imgs"]
    assert layout["outWidth"] <= 401, layout
    assert second["top"] >= first["bottom"] - 1, f"the plots did not stack: {layout}"
    assert all(i["width"] >= 0.9 * i["natural"] for i in layout["imgs"]), f"a plot shrank: {layout}"
    assert layout["scroll"] <= layout["client"] + 1 and all(
        i["left"] + i["width"] <= layout["outRight"] + 1 for i in layout["imgs"]
    ), layout
    assert all(
        i["filter"] == "invert(1) hue-rotate(180deg)" and i["background"] == "rgba(0, 0, 0, 0)" for i in layout["imgs"]
    ), layout


def test_the_live_plot_keeps_up_in_a_dark_theme_at_400_px(frontend):
    """A search of 3 s trials in the dark theme, its output 400 px wide: the plot shows each new
    best (and each finished trial) within PLOT_LAG seconds of the status line; it sits on the
    theme's background, not a white block; the convergence plot and the learning curves stack."""
    cells = [CELLS[LOAD], LIVE_CELL]
    nbjson = dict(
        _notebook(),
        cells=[
            {"cell_type": "code", "metadata": {}, "source": c, "outputs": [], "execution_count": None} for c in cells
        ],
    )
    (frontend.root / "live.ipynb").write_text(json.dumps(nbjson))
    live = dataclasses.replace(frontend, url=frontend.url.replace("tune.ipynb", "live.ipynb"))
    with chromium_notebook(live, "live-plot", 1400) as (_, nb):
        nb.open()
        nb.page.evaluate("window.jupyterapp.commands.execute('apputils:change-theme', {theme: 'JupyterLab Dark'})")
        nb.page.wait_for_function("document.body.dataset.jpThemeLight === 'false'", timeout=30_000)
        nb.page.add_style_tag(content=NARROW_CSS)
        nb.run_first()
        nb.run(1)
        seen: list[Seen] = []
        plots, checked, deadline = nb.cell(1).locator(".hpmagic-live-plots"), False, time.monotonic() + 120
        while time.monotonic() < deadline:
            state = nb.page.evaluate(LIVE_STATE, 1)
            if state["done"]:
                break
            seen.append(_seen(state, time.monotonic()))
            if (
                not checked
                and state["images"] == 2
                and plots.locator("img").evaluate_all("(ims) => ims.every(i => i.complete && i.naturalWidth > 100)")
            ):
                nb.shot("live-dark-narrow", 1)
                _check_narrow_plots(plots)
                _check_dark_plot(nb, plots, "live-dark-plot")
                checked = True
            time.sleep(0.1)
        ended = time.monotonic()
        assert checked, "the two live plots never showed"
        bests, counts = _lags(seen, ended)
        print("new bests, seconds until the plot showed them:", bests, "\nfinished trials:", counts)
        assert len(bests) >= 3 and bests[0][0] == "0.04", bests  # the defaults' value, then two improvements
        assert all(lag <= PLOT_LAG for _, lag in bests), f"the plot lagged behind the status line: {bests}"
        assert len(counts) >= 4 and all(lag <= PLOT_LAG for _, lag in counts), counts
        nb.done(1)
