"""The progress panel of a running search as HTML: its bar and status line (:func:`status_html`).

The live panel (:mod:`.widget`) shows it while the search runs and the notebook keeps it once
the search has ended, so a saved copy looks like what was seen; a copy that stopped being
redrawn reads as frozen and says why (:func:`stale_note`).  :mod:`.html` re-exports these
names beside the result's summary.
"""

from __future__ import annotations

import re
from html import escape
from typing import TYPE_CHECKING

from .palette import THEME, theme_css
from .text import running_text

if TYPE_CHECKING:
    from ..protocols import Progress

__all__ = ["status_html", "stale_note", "STALE_AFTER"]

STALE_AFTER = 10  # seconds without a refresh before a running panel reads as frozen (see status_html)

# The bar's colours: plain ones inline (they survive an untrusted notebook's sanitizer, which
# drops <style> and var()), and the theme's from its CSS variables where the <style> applies.
_BAR_STATES = {"running": "bar-running", "done": "bar-done", "interrupted": "bar-interrupted", "failed": "bar-failed"}
# A live panel is redrawn every second, and each redraw starts these animations again: for
# STALE_AFTER seconds after a redraw the fill is painted the running blue over its frozen grey
# (an animation outranks the inline style), the live-only words show and the note hides.  A
# saved copy stops being redrawn, so once they have run it reads as frozen.
_LIVE_CSS = (
    f"\n.hpmagic-status [data-state=running] .hpmagic-fill.hpmagic-redrawn {{background-color: var(--hpmagic-bar-frozen) "
    f"!important; animation: hpmagic-fill-live {STALE_AFTER}s step-end}}"
    "\n@keyframes hpmagic-fill-live {from, to {background-image: linear-gradient(var(--hpmagic-bar-running), "
    "var(--hpmagic-bar-running))}}"
    f"\n.hpmagic-status .hpmagic-while-live {{animation: hpmagic-text-live {STALE_AFTER}s step-end}}"
    "\n@keyframes hpmagic-text-live {from, to {visibility: visible; font-size: 1em}}"
    "\n@keyframes hpmagic-live {from, to {visibility: hidden; font-size: 0; line-height: 0; margin: 0}}"
    f"\n.hpmagic-stale {{animation: hpmagic-live {STALE_AFTER}s step-end; color: var(--hpmagic-muted)}}"
)
_STATUS_CSS = (
    "<style>" + theme_css(".hpmagic-status") + "\n"
    ".hpmagic-status {color: var(--jp-ui-font-color1, inherit); font-family: var(--jp-ui-font-family, sans-serif)}\n"
    ".hpmagic-status .hpmagic-track {background: var(--hpmagic-track) !important}\n"
    + "\n".join(
        f".hpmagic-status [data-state={state}] .hpmagic-fill {{background-color: var(--hpmagic-{name}) !important}}"
        for state, name in _BAR_STATES.items()
    )
    + _LIVE_CSS
    + "</style>"
)


def stale_note(result_name: str, study: str | None) -> str:
    """What a running panel says once it has stopped updating: why, and where the result is,
    whether the search has ended or the kernel was restarted."""
    where = f"run {result_name} in a cell for its result" if result_name else "its result is the value tune() returned"
    restart = (
        f"the study {study!r} keeps every trial on disk (hpmagic.load_study)"
        if study
        else "only a --study keeps a search"
    )
    return (
        "This panel stopped updating when the notebook was saved or the page reloaded while the search ran "
        f"(or the kernel has been too busy to redraw it). If the search has ended, {where}; "
        f"if the kernel was restarted, {restart}."
    )


_TIME_LEFT = re.compile(r", ~\d[\d:]* left")
_HIDDEN = "<span class='hpmagic-while-live' style='visibility:hidden;font-size:0'>{}</span>"


def _line_html(progress: Progress, line: str, live: bool) -> str:
    """The status line; on a live panel, what holds only while it is redrawn (what runs and
    for how long, the time left) is hidden unless a redraw's animation shows it."""
    if not live:
        return escape(line)
    parts = [f" · {running_text(progress)}"] if progress.running else []
    parts += _TIME_LEFT.findall(line)
    html = escape(line)
    for part in parts:
        html = html.replace(escape(part), _HIDDEN.format(escape(part)), 1)
    return html


def status_html(progress: Progress, line: str, note: str = "") -> str:
    """A search's progress bar and status line as HTML.

    The live panel shows it while the search runs and the notebook keeps it once the search
    has ended: one markup for both, so what is saved looks like what was seen.  The bar is an
    ARIA progress bar (``role``, ``aria-valuenow``...) and ``data-state`` carries the status.
    The bar keeps 240 px while there is room and the line wraps beside it; in a narrow output
    the line goes below the bar (``flex-wrap``) and the bar shrinks with the output.  Colours
    follow the front end's theme (see :mod:`.palette`): green when done, red when the search
    stopped on errors, teal after an interrupt (a stop is not a failure).

    A running panel with a ``note`` is a live one, redrawn every second (see ``WidgetReporter``);
    its running look holds only for :data:`STALE_AFTER` seconds after a redraw.  Its inline
    styles are the frozen look (a grey bar, no "running" or time left, the note), and CSS
    animations, started again by each redraw, paint the running blue and show the live words
    and hide the note meanwhile.  So a saved copy reopened after the search ended or the kernel
    restarted reads as frozen, also where a sanitizer dropped the ``<style>``.
    """
    done = min(progress.finished, progress.total)
    frac = done / progress.total if progress.total else 1.0
    live = bool(note) and progress.status == "running"
    colour = THEME["bar-frozen" if live else _BAR_STATES.get(progress.status, "bar-running")].light
    return (
        f"{_STATUS_CSS}<div class='hpmagic-status' style='display:flex;flex-wrap:wrap;align-items:center;"
        "gap:4px 8px;font-size:13px;max-width:100%'>"
        "<b style='flex:none'>hpmagic</b>"
        f"<span class='hpmagic-track' role='progressbar' aria-valuemin='0' aria-valuemax='{progress.total}' "
        f"aria-valuenow='{done}' data-state='{escape(progress.status)}' "
        "style='display:inline-block;flex:0 1 240px;min-width:80px;height:12px;background:#e0e0e0;border-radius:2px'>"
        f"<span class='hpmagic-fill{' hpmagic-redrawn' if live else ''}' style='display:block;width:{100 * frac:.1f}%;"
        f"height:100%;background-color:{colour};border-radius:2px'></span>"
        "</span><span class='hpmagic-line' style='flex:1 1 18em;min-width:0;overflow-wrap:anywhere'>"
        f"{_line_html(progress, line, live)}</span>"
        + (f"<span class='hpmagic-stale' style='flex:1 1 100%;font-size:12px'>{escape(note)}</span>" if live else "")
        + "</div>"
    )
