"""``result.trials[i]`` in a notebook: a :class:`~hpmagic.core.Trial` shown as its card
(:mod:`.trialcard`), in HTML with the summary's look, and as text in a terminal IPython.

The formatters are IPython's (``for_type``): :class:`~hpmagic.core.Trial` is a leaf record that
imports nothing of the display, and ``repr(trial)`` stays the dataclass's (for debugging and
tests).  :func:`register` is called by ``%load_ext hpmagic`` and when a result is first shown.
"""

from __future__ import annotations

import sys
from typing import Any

from ..core import Trial
from .html import CARD_CSS
from .trialcard import card, card_html, card_text

__all__ = ["register", "trial_html"]


def trial_html(trial: Trial) -> str:
    """``trial``'s card as a notebook shows it."""
    return f"{CARD_CSS}<div class='hpmagic-result'>{card_html(card(trial))}</div>"


def _pretty(trial: Trial, p: Any, cycle: bool) -> None:
    p.text(card_text(card(trial)))


def register(ipython: Any = None) -> None:
    """Show a :class:`~hpmagic.core.Trial` as its card in IPython (``ipython``, or the running
    shell; nothing outside one)."""
    if ipython is None:
        if "IPython" not in sys.modules:
            return
        from IPython import get_ipython

        ipython = get_ipython()
        if ipython is None:
            return
    formatters = ipython.display_formatter.formatters
    formatters["text/html"].for_type(Trial, trial_html)
    formatters["text/plain"].for_type(Trial, _pretty)
