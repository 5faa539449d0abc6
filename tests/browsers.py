"""The one way the tests launch a browser: Debian's Chromium (``apt-get install chromium``,
or ``HPMAGIC_CHROMIUM``), headless, driven by Playwright, never a browser a tool downloads.

Without Chromium or Playwright a test skips, saying which is missing, except where
``HPMAGIC_REQUIRE_BROWSER=1`` (CI): there a missing browser is a failure."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = os.environ.get("HPMAGIC_CHROMIUM", "/usr/bin/chromium")

#: Headless in a container, fetching nothing: no sandbox (no user namespaces here), no GPU, no
#: background requests, and no /dev/shm (small in containers) for the renderer's memory.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-dev-shm-usage"]


def require(*modules: str) -> None:
    """Skip (or, with ``HPMAGIC_REQUIRE_BROWSER=1``, fail) unless Chromium and the Python
    packages ``modules`` (Playwright, and a front end's) are there, naming what is missing."""
    missing = [] if Path(CHROMIUM).exists() else [f"Chromium at {CHROMIUM} (apt-get install chromium)"]
    for module in ("playwright", *modules):
        try:
            __import__(module)
        except ImportError:
            missing.append(f"the Python package {module} (pip install -e '.[test]')")
    if missing:
        reason = "the browser test needs " + " and ".join(missing)
        if os.environ.get("HPMAGIC_REQUIRE_BROWSER") == "1":
            pytest.fail(reason + "; HPMAGIC_REQUIRE_BROWSER=1 makes this a failure")
        pytest.skip(reason)


@contextlib.contextmanager
def chromium() -> Iterator[Any]:
    """A headless Chromium (a Playwright ``Browser``), closed afterwards whatever happens."""
    require()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()
