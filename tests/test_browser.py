"""End to end in a real browser: JupyterLab and Notebook 7 on loopback, Debian's Chromium
driven by Playwright.

A notebook with a ``%%tune`` cell is opened and run as a person would (Shift+Enter); the
test watches the live progress bar appear and advance, then the final summary with its
images, and checks that no "Error displaying widget" shows anywhere, also after the
notebook is saved and opened again.  Screenshots are kept in ``test-artifacts/``.

Chromium comes from the system (``apt-get install chromium``), never from a tool's own
download.  Without it the test skips with the reason, except where ``HPMAGIC_REQUIRE_BROWSER=1``
(CI), where a missing browser is a failure.
"""

from __future__ import annotations

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

CHROMIUM = os.environ.get("HPMAGIC_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
TRIALS = 60


# The front ends: the command that serves them, where a notebook opens, and what says its
# kernel is ready (JupyterLab's status bar; Notebook 7 has none, but a toolbar indicator).
APPS = {
    "jupyterlab": (["lab", "--LabApp.news_url=None", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"],
                   "lab/tree/tune.ipynb?token={token}&reset",
                   "(document.querySelector('#jp-main-statusbar') || {innerText: ''}).innerText.includes('Idle')"),
    "notebook": (["notebook"], "notebooks/tune.ipynb?token={token}",
                 "document.querySelector('.jp-Notebook-ExecutionIndicator[data-status=idle]') !== null"),
}


def _require_browser(app: str):
    missing = []
    if not Path(CHROMIUM).exists():
        missing.append(f"Chromium at {CHROMIUM} (apt-get install chromium)")
    for module in ("playwright", app):
        try:
            __import__(module)
        except ImportError:
            missing.append(f"the Python package {module} (pip install -e '.[test]')")
    if missing:
        reason = "the browser test needs " + " and ".join(missing)
        if os.environ.get("HPMAGIC_REQUIRE_BROWSER") == "1":
            pytest.fail(reason + "; HPMAGIC_REQUIRE_BROWSER=1 makes this a failure")
        pytest.skip(reason)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _notebook() -> dict:
    def cell(source: str) -> dict:
        return {"cell_type": "code", "metadata": {}, "source": source, "outputs": [], "execution_count": None}

    tune = (
        f"%%tune -n {TRIALS} --seed 0 --strategy random\n"
        "import time\n"
        "x = 0.5     # tune: uniform(0, 1)\n"
        "lr = 0.01   # tune: loguniform(1e-4, 1)\n"
        "time.sleep(0.05)\n"
        "(x - 0.3) ** 2 + 0.01 * abs(lr - 0.1)"
    )
    return {
        "cells": [cell("%load_ext hpmagic"), cell(tune)],
        "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }


@pytest.fixture(params=sorted(APPS))
def frontend(request, tmp_path):
    """A JupyterLab or Notebook 7 server on 127.0.0.1 with its own config and data dirs, and
    the address of the test notebook in it; the server is stopped afterwards."""
    app = request.param
    _require_browser(app)
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
        [sys.executable, "-m", "jupyter", command[0], "--no-browser", f"--IdentityProvider.token={token}",
         f"--port={port}", "--port-retries=0", "--ip=127.0.0.1", f"--ServerApp.root_dir={root}", *command[1:],
         *(["--allow-root"] if hasattr(os, "geteuid") and os.geteuid() == 0 else [])],
        cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
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
                    raise RuntimeError(f"{app} did not start:\n" + (tmp_path / "server.log").read_text()[-3000:]) from None
                time.sleep(0.3)
        yield app, f"{base}/{path.format(token=token)}#root={root}"
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


def notebook_dir(url: str) -> Path:
    return Path(url.rpartition("#root=")[2])


RAN_FIRST_CELL = """() => /\\[\\d+\\]/.test(document.querySelector('.jp-Notebook .jp-Cell .jp-InputPrompt').innerText)"""
LIVE_BAR = ".hpmagic-live [role=progressbar]"
BAR_VALUES = f"""() => Array.from(document.querySelectorAll('{LIVE_BAR}'))
                       .map(e => parseInt(e.getAttribute('aria-valuenow')))"""
PLOT_SHOWN = """() => Array.from(document.querySelectorAll('img.hpmagic-live-plot'))
                       .some(i => i.complete && i.naturalWidth > 100 && i.offsetParent !== null)"""


def test_tune_cell_in_the_browser(frontend):
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
    from playwright.sync_api import sync_playwright

    app, url = frontend
    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / f"browser-tune-{app}.png"
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=CHROMIUM, headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-dev-shm-usage"],
        )
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1800})
            page.goto(url, timeout=60_000)
            page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=60_000)
            page.wait_for_function(
                APPS[app][2],
                timeout=60_000)
            # Run the first cell (%load_ext) and wait for its execution count: a key pressed
            # while the front end is still connecting to the kernel can be lost, so press again.
            cells = page.locator(".jp-Notebook .jp-Cell")
            for _ in range(4):
                cells.nth(0).locator(".jp-InputArea-editor").click()
                page.keyboard.press("Shift+Enter")
                try:
                    page.wait_for_function(RAN_FIRST_CELL, timeout=15_000)
                    break
                except PlaywrightTimeout:
                    continue
            else:
                raise AssertionError("the first cell never ran")
            cells.nth(1).locator(".jp-InputArea-editor").click()
            page.keyboard.press("Shift+Enter")

            # The live bar appears and advances.
            page.wait_for_selector(LIVE_BAR, timeout=60_000)
            seen: list[int] = []
            plot_seen = False
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                values = page.evaluate(BAR_VALUES)
                if not values:
                    break  # the panel has been replaced by the result
                seen.append(values[0])
                plot_seen = plot_seen or page.evaluate(PLOT_SHOWN)
                if len(seen) == 5 or (plot_seen and len(seen) % 10 == 0):
                    page.screenshot(path=str(ARTIFACTS / f"browser-tune-{app}-live.png"))
                if page.locator(".hpmagic-result").count():
                    break
                time.sleep(0.1)
            assert len(set(seen)) >= 2 and max(seen) > min(seen), f"the bar did not advance: {seen}"
            assert plot_seen, "the live convergence plot never showed"

            # The final summary with its images, and the panel gone.
            page.wait_for_selector(".hpmagic-result img.hpmagic-plot", timeout=60_000)
            page.wait_for_function("document.querySelectorAll('.hpmagic-live').length == 0", timeout=20_000)
            images = page.locator(".hpmagic-result img.hpmagic-plot")
            assert images.count() >= 3
            loaded = page.evaluate("""() => Array.from(document.querySelectorAll('.hpmagic-result img.hpmagic-plot'))
                                         .every(i => i.complete && i.naturalWidth > 100)""")
            assert loaded, "a summary image did not load"
            assert page.locator(".hpmagic-status").count() == 1
            text = page.inner_text(".jp-Notebook")
            assert f"{TRIALS}/{TRIALS} trials" in text and "best objective" in text
            assert "Error displaying widget" not in page.content()
            page.locator(".hpmagic-result").first.scroll_into_view_if_needed()
            page.screenshot(path=str(shot), full_page=True)

            # Saved and opened again, the notebook still shows the summary and no widget error:
            # nothing in it refers to a widget that no longer exists.
            page.keyboard.press("Control+s")
            deadline, outputs = time.monotonic() + 20, []
            while not outputs and time.monotonic() < deadline:
                time.sleep(0.3)
                outputs = json.loads((notebook_dir(url) / "tune.ipynb").read_text())["cells"][1]["outputs"]
            assert outputs and all("application/vnd.jupyter.widget-view+json" not in o.get("data", {}) for o in outputs)
            page.reload()
            page.wait_for_selector(".hpmagic-result img.hpmagic-plot", timeout=60_000)
            page.wait_for_timeout(1000)
            assert "Error displaying widget" not in page.content()
            assert page.locator(".hpmagic-status").count() == 1
        except Exception:
            page.screenshot(path=str(ARTIFACTS / f"browser-failure-{app}.png"), full_page=True)
            raise
        finally:
            browser.close()
    assert shot.stat().st_size > 10_000
