"""Shared fixtures: a real IPython shell with hpmagic loaded."""

from __future__ import annotations

import pytest


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
