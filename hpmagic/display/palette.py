"""The colours and markers of hpmagic's plots and HTML, one place for all of them.

Each way a trial can end has its own colour, marker and label, the same in every plot (the
convergence plot, the learning curves, the live panel) and in the HTML summary's counts:

- complete: blue, ``o``; its value, and its curve in full;
- failed: red, ``x``; a mark on the trial axis, its curve up to the error;
- pruned: purple, ``v``; a mark on the trial axis, its curve faded and ending in ``v``
  where the rule stopped it;
- interrupted: teal, ``s``; a mark on the trial axis, its curve up to the interrupt.

A stop is not a failure: the live panel's bar ends teal after an interrupt (``bar-interrupted``,
the interrupted trials' colour) and red only when the search stopped on errors (``bar-failed``);
a running bar that is no longer redrawn (a saved panel) turns grey (``bar-frozen``).

Every colour here has a contrast ratio of at least 3:1 (WCAG's mark for graphics) both
against white and against a near-black background (``#111111``), so a plot reads the same
in a light and in a dark theme; ``tests/test_prune_display.py`` checks it.

Text cannot do that: no colour has a 4.5:1 contrast (WCAG's minimum for text) against both
white and near-black.  So the HTML (the live panel, the summary) takes its text colours from
CSS variables with a value per theme, :data:`THEME`: :func:`theme_css` defines them, light by
default and dark under JupyterLab's and Notebook 7's dark themes (``body[data-jp-theme-light=
false]``) and VS Code's (``body.vscode-dark``).  Each text colour has 4.5:1 against its theme's
backgrounds (white and ``#f5f5f5``; JupyterLab Dark's ``#111111`` and ``#212121``) and each
graphic colour (the bar) 3:1; ``tests/test_display.py`` checks it.  Use them as
``var(--hpmagic-gain, #1a7f37)``: :func:`css_var` writes that.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..core import TrialState

__all__ = [
    "StateStyle",
    "STATE_STYLES",
    "ENDED",
    "style",
    "BEST",
    "DEFAULTS",
    "RUNNING",
    "RUNG",
    "ThemeColour",
    "THEME",
    "LIGHT_BACKGROUNDS",
    "DARK_BACKGROUNDS",
    "DARK_SELECTORS",
    "theme_css",
    "css_var",
]


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


# -- theme-aware colours of the HTML -------------------------------------------------------------


@dataclass(frozen=True)
class ThemeColour:
    """A colour of the HTML with one value for light themes and one for dark themes; ``text``
    colours need 4.5:1 against the theme's backgrounds, the others (graphics) 3:1."""

    light: str
    dark: str
    text: bool = True

    @property
    def minimum_contrast(self) -> float:
        """WCAG's minimum: 4.5:1 for text, 3:1 for graphics."""
        return 4.5 if self.text else 3.0


#: The HTML's colours by name: ``--hpmagic-NAME`` in CSS.
THEME: dict[str, ThemeColour] = {
    "gain": ThemeColour("#1a7f37", "#3fb950"),  # better than the defaults
    "loss": ThemeColour("#c62828", "#ff7b72"),  # worse, an error
    "muted": ThemeColour("#616161", "#a0a0a0"),  # secondary text
    "bar-running": ThemeColour("#1976d2", "#64b5f6", text=False),
    "bar-done": ThemeColour("#2e7d32", "#4caf50", text=False),
    "bar-failed": ThemeColour("#c62828", "#ef5350", text=False),  # stopped on errors: the failure red
    # Stopped by the user: not a failure.  The teal of interrupted trials (STATE_STYLES), neutral.
    "bar-interrupted": ThemeColour(STATE_STYLES[TrialState.INTERRUPTED].colour, "#4db6ac", text=False),
    # A running bar that is no longer redrawn (a saved panel, reopened): grey, frozen.
    "bar-frozen": ThemeColour("#8a8a8a", "#9e9e9e", text=False),
}
#: Colours that only separate things (the bar's empty track, table rules): no contrast minimum.
_SURFACES = {"track": ("#e0e0e0", "#424242"), "rule": ("#dddddd", "#424242")}

#: The backgrounds an output sits on in light and in dark themes (JupyterLab's layout colours).
LIGHT_BACKGROUNDS = ("#ffffff", "#f5f5f5")
DARK_BACKGROUNDS = ("#111111", "#212121")

#: What marks a dark theme: JupyterLab and Notebook 7 (``data-jp-theme-light``), VS Code.
DARK_SELECTORS = ('body[data-jp-theme-light="false"]', "body.vscode-dark", "body.vscode-high-contrast")


def _values(dark: bool) -> str:
    pairs = [(name, c.dark if dark else c.light) for name, c in THEME.items()]
    pairs += [(name, d if dark else light) for name, (light, d) in _SURFACES.items()]
    return "; ".join(f"--hpmagic-{name}: {value}" for name, value in pairs)


def theme_css(scope: str = ".hpmagic-status, .hpmagic-result") -> str:
    """CSS rules (no ``<style>`` tag) defining every ``--hpmagic-*`` variable on the elements
    that ``scope`` selects: the light values, and the dark ones under a dark theme."""
    parts = [part.strip() for part in scope.split(",")]
    dark = ", ".join(f"{theme} {part}" for theme in DARK_SELECTORS for part in parts)
    return f"{', '.join(parts)} {{{_values(False)}}}\n{dark} {{{_values(True)}}}"


def css_var(name: str) -> str:
    """``var(--hpmagic-NAME, LIGHT)``: the colour ``name`` of :data:`THEME` (or a surface),
    with its light value where the variables are not defined."""
    light = THEME[name].light if name in THEME else _SURFACES[name][0]
    return f"var(--hpmagic-{name}, {light})"
