"""The colours and markers of hpmagic's plots and HTML, one place for all of them.

Each way a trial can end has its own colour, marker and label, the same in every plot (the
convergence plot, the learning curves, the live panel) and in the HTML summary's counts:

- complete: blue, ``o``; its value, and its curve in full;
- failed: red, ``x``; a mark on the trial axis, its curve up to the error;
- pruned: purple, ``v``; a mark on the trial axis, its curve faded and ending in ``v``
  where the rule stopped it;
- interrupted: teal, ``s``; a mark on the trial axis, its curve up to the interrupt.

Every colour here has a contrast ratio of at least 3:1 (WCAG's mark for graphics) both
against white and against a near-black background (``#111111``), so a plot reads the same
in a light and in a dark theme; ``tests/test_prune_display.py`` checks it.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..core import TrialState

__all__ = ["StateStyle", "STATE_STYLES", "ENDED", "style", "BEST", "DEFAULTS", "RUNNING", "RUNG"]


@dataclass(frozen=True)
class StateStyle:
    """How trials in one state are drawn: a colour, a matplotlib marker and a legend label."""

    colour: str
    marker: str
    label: str


STATE_STYLES: dict[TrialState, StateStyle] = {
    TrialState.COMPLETE: StateStyle("#3b7dd8", "o", "complete"),
    TrialState.FAILED: StateStyle("#e0443c", "x", "failed"),
    TrialState.PRUNED: StateStyle("#a066c8", "v", "pruned"),
    TrialState.INTERRUPTED: StateStyle("#2a9d8f", "s", "interrupted"),
    TrialState.RUNNING: StateStyle("#2f9e44", "o", "running"),
}

#: The states a finished trial without a value can be in, in the order legends list them.
ENDED = (TrialState.FAILED, TrialState.PRUNED, TrialState.INTERRUPTED)

#: The best trial and the best so far.
BEST = "#e07020"
#: The defaults' value (trial 0), and inactive parameters.
DEFAULTS = "#8a8a8a"
#: A trial still running (the live panel's curves).
RUNNING = STATE_STYLES[TrialState.RUNNING].colour
#: The rungs of an early-stopping rule: light vertical lines.
RUNG = "#8a8a8a"


def style(state: TrialState | str) -> StateStyle:
    """The style of ``state`` (a :class:`~hpmagic.core.TrialState` or its value)."""
    return STATE_STYLES[TrialState(state)]
