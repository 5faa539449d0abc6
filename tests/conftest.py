"""Shared fixtures: a real IPython shell with hpmagic loaded."""

from __future__ import annotations

import signal
import time

import pytest


@pytest.fixture(autouse=True)
def interruptible():
    """Ctrl-C raises KeyboardInterrupt, as in a kernel or a terminal.

    A shell that starts a command in the background (``cmd &`` in a script) starts it with
    SIGINT ignored, and Python then never installs its KeyboardInterrupt handler: tests that
    press "stop" by sending SIGINT to their own process would see nothing happen.
    """
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, previous)


@pytest.fixture
def ip():
    """A real IPython InteractiveShell with the extension loaded and a clean namespace."""
    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance()
    shell.run_line_magic("load_ext", "hpmagic")
    saved = dict(shell.user_ns)
    yield shell
    shell.user_ns.clear()
    shell.user_ns.update(saved)
    shell.run_line_magic("unload_ext", "hpmagic")


def run_tune(ip, line: str, cell: str):
    """Run ``%%tune line`` with ``cell`` through the shell; return the ExecutionResult."""
    return ip.run_cell(f"%%tune {line}\n{cell}")


def wait_for(predicate, timeout=120.0, what="condition"):
    """Poll ``predicate`` every 50 ms until it holds; fail the test after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")
