"""The live panel in a notebook: a progress bar with its status line, and a convergence plot
(with the learning curves beside it once a trial reported points with ``hpmagic.report``).

The panel is two outputs of the cell with a display id each, updated in place
(``update_display_data``), not widgets: the status line is static HTML (the same markup the
notebook keeps at the end, :func:`.html.status_html`) and the plot a PNG in an ``<img>``,
joined when the first plot is drawn.  So a notebook saved while a search runs (JupyterLab
autosaves) and opened again after it ended, or after the kernel restarted, shows the last
state it saved, never "Error displaying widget: model not found": there is no widget model
to lose.  That saved state cannot turn into the result by itself (what the kernel sent while
the notebook was closed reached no page), so while the search runs the status line carries a
note, hidden as long as the panel is redrawn, that shows in a saved copy and names where the
result is (``Out[7]``; :func:`.html.stale_note`).  (A front end renders a widget view only
from its live model and shows that error when the model is gone, whatever other forms the
output carries.)  An update costs the
kernel one message, as a widget's state change would, and there is nothing to open or close
(nor the front end's "removeChild" error when a closed widget's view went away).

What reaches the front end is bounded by two rates:

- the status line is pushed at most once every ``min_interval`` seconds, and the latest state
  always within that time: a change that came too soon is pushed by a background timer once
  the interval has passed (a trailing update), so "2 running" shows even when the second
  trial started right after the first;
- the plot is rendered off screen (matplotlib's Agg canvas) at most once every
  ``plot_interval`` seconds, and never more often than keeps its rendering time under
  ``plot_budget`` of the wall time, so it cannot slow a search of fast trials.  Only the draw
  is timed: matplotlib is imported beforehand, by the timer once the search has run half a
  ``plot_interval``, so its first import (about half a second) does not delay later draws.

Between changes the timer refreshes the status line every ``tick`` seconds: elapsed time,
time left, and how long each running trial has run ("trial 0 (the defaults) running for
0:07"), so a search of slow trials never looks hung.  The timer is a daemon thread that
sleeps on an event; ``close`` stops it and waits for it, and a search shorter than
``min_interval`` sends no update at all.

``updates`` counts the update messages sent (status and plot; the first display and the
close are not counted) and ``plot_draws`` the renders; tests and the benchmark read them.

At the end the status output is replaced by the final bar, green when the search ran to its
end and red when it stopped on errors or an interrupt, with the final status line, and the
live plot is removed (the result's summary has the full plots).
"""

from __future__ import annotations

import base64
import contextvars
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .._format import fmt_clock
from ..protocols import Progress, SearchInfo
from .html import stale_note, status_html
from .text import advanced, status_text

if TYPE_CHECKING:
    from ..result import TuneResult

__all__ = ["WidgetReporter"]

_PLOT_SIZE, _PLOT_DPI = (5.2, 2.6), 80
_CURVES_SIZE = (10.0, 2.6)  # the convergence plot and the learning curves, side by side


def _status_bundle(progress: Progress, line: str, note: str = "") -> dict[str, str]:
    return {"text/html": status_html(progress, line, note), "text/plain": "hpmagic: " + line}


class WidgetReporter:
    """The live panel: a :class:`~hpmagic.protocols.Reporter` for notebooks (see the module's docstring).

    ``show(bundle)`` replaces IPython's ``display`` (tests): it is called with each output's
    first bundle and returns a handle whose ``update(bundle, raw=True)`` replaces it.
    ``tick=None`` turns the timer off (then a dropped update waits for the next change).
    ``result_name`` (``Out[7]``) is where the result will be, for the note a running panel
    shows once it has stopped updating (:func:`.html.stale_note`).
    """

    def __init__(
        self,
        min_interval: float = 0.25,
        plot_interval: float = 1.0,
        plot_budget: float = 0.05,
        clock: Callable[[], float] = time.monotonic,
        show: Callable[[dict], Any] | None = None,
        tick: float | None = 1.0,
        result_name: str = "",
    ):
        self.min_interval = min_interval
        self.plot_interval = plot_interval
        self.plot_budget = plot_budget
        self.tick = tick
        self.result_name = result_name
        self.note = ""
        self.clock = clock
        self._show = show
        self.updates = 0
        self.plot_draws = 0
        self.handle: Any = None
        self.plot_handle: Any = None
        self.status_value = ""  # the HTML the status output shows
        self.plot_png: bytes | None = None  # the PNG the plot output shows
        self.plot_width = 0  # its width in pixels
        self.final_html = ""
        self._timer: threading.Thread | None = None

    # -- the reporter protocol ------------------------------------------------------------

    def start(self, info: SearchInfo) -> None:
        self.info = info
        self.note = stale_note(self.result_name, info.study) if self.tick is not None else ""
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._progress: Progress | None = None  # the runner's live object, read under the lock
        self._seen = self._started = now = self.clock()
        self._last = now  # "starting" stands for min_interval: a search that ends sooner sends no update
        self._pending = False  # a change not pushed yet (it came too soon)
        self._next_plot = now + self.plot_interval  # the first plot once there is something to see
        self._plotted: tuple[int, int] | None = None
        bundle = self._starting("starting")
        self.status_value = bundle["text/html"]
        self.handle = self._display(bundle)
        if self.tick is not None:
            # The timer publishes with the cell's parent header: the context is copied.
            run = contextvars.copy_context().run
            self._timer = threading.Thread(target=run, args=(self._tick_loop,), name="hpmagic-panel", daemon=True)
            self._timer.start()

    def update(self, progress: Progress) -> None:
        now = self.clock()
        with self._lock:
            self._progress, self._seen = progress, now
            if now - self._last < self.min_interval:
                self._pending = True
                return
            self._refresh(progress, now)

    def close(self, progress: Progress, result: TuneResult | None) -> None:
        self._stop.set()
        if self._timer is not None:
            self._timer.join(timeout=10)
        with self._lock:  # the timer, if it is still drawing, finishes first
            line = status_text(progress)
            bundle = _status_bundle(progress, line)
            self.final_html = bundle["text/html"]
            if self.plot_handle is not None:
                self.plot_handle.update({"text/html": "", "text/plain": ""}, raw=True)
            if self.handle is not None:
                self.handle.update(bundle, raw=True)

    # -- the timer -------------------------------------------------------------------------

    def _tick_loop(self) -> None:
        """Push a change that came too soon once ``min_interval`` has passed, refresh the
        clocks every ``tick``, and import matplotlib before the first plot is due."""
        assert self.tick is not None
        imported = False
        while True:
            with self._lock:
                base = self._last + (self.min_interval if self._pending else max(self.tick, self.min_interval))
                wait = max(base - self.clock(), 0.01)
            if self._stop.wait(wait):
                return
            now = self.clock()
            if not imported and now - self._started >= self.plot_interval / 2:
                from . import plots  # noqa: F401 - the first import, off the search's thread

                imported = True
            with self._lock:
                if self._stop.is_set():
                    return
                now = self.clock()
                if now - self._last < self.min_interval:
                    continue
                if self._progress is None:  # workers starting, a cluster connecting: no trial yet
                    self._last = now
                    line = f"starting · {fmt_clock(now - self._started)}"
                    self._push(self._starting(line))
                else:
                    self._refresh(self._snapshot(now), now)

    def _snapshot(self, now: float) -> Progress:
        """The runner's progress as it is now, with its clock moved on to ``now``: a copy, since
        the runner goes on changing it on its own thread."""
        assert self._progress is not None
        return advanced(self._progress, now - self._seen)

    # -- drawing (under the lock) ----------------------------------------------------------

    def _refresh(self, progress: Progress, now: float) -> None:
        self._last, self._pending = now, False
        self._push(_status_bundle(progress, status_text(progress), self.note))
        key = (progress.finished, sum(len(points) for points in progress.running_curves.values()))
        if now >= self._next_plot and key != self._plotted:
            self._draw_plot(progress, key)

    def _starting(self, line: str) -> dict[str, str]:
        """The status before the runner's first update: an empty bar and ``line``."""
        return _status_bundle(Progress(total=max(int(self.info.budget), 1)), line, self.note)

    def _push(self, bundle: dict) -> None:
        """Replace the status output with ``bundle``, unless it shows that already."""
        if bundle["text/html"] != self.status_value:
            self.status_value = bundle["text/html"]
            if self.handle is not None:
                self.handle.update(bundle, raw=True)
            self.updates += 1

    def _display(self, bundle: dict):
        if self._show is not None:
            return self._show(bundle)
        from IPython.display import display

        return display(bundle, raw=True, display_id=True)

    def _draw_plot(self, progress: Progress, key: tuple[int, int]) -> None:
        from . import plots  # imported before the timing starts: only the draw is charged

        start = time.perf_counter()
        trials = progress.trials
        running = progress.running_curves  # with --prune: the points running trials reported so far
        curves = bool(running) or any(t.curve for t in trials)
        if not curves and sum(1 for t in trials if t.ok) < 2:
            return
        size = _CURVES_SIZE if curves else _PLOT_SIZE
        fig = plots.figure(*size, dpi=_PLOT_DPI)
        axes = fig.subplots(1, 2) if curves else [fig.add_subplot()]
        plots.draw_live(axes[0], trials, self.info.direction, self.info.metric)
        _tidy_trial_axis(axes[0])
        if curves:
            plots.draw_live_curves(axes[1], trials, self.info.direction, self.info.metric, running)
        self.plot_png = png = plots.png(fig)
        self.plot_width = int(size[0] * _PLOT_DPI)  # shown at its own pixel size: a stretched PNG blurs
        bundle = {"text/html": _plot_html(png, self.plot_width),
                  "text/plain": f"hpmagic: the convergence plot after {progress.finished} trials"}
        if self.plot_handle is None:
            self.plot_handle = self._display(bundle)
        else:
            self.plot_handle.update(bundle, raw=True)
            self.updates += 1
        self.plot_draws += 1
        self._plotted = key
        spent = time.perf_counter() - start
        # Keep rendering under plot_budget of the wall time, whatever the machine.
        self._next_plot = self.clock() + max(self.plot_interval, spent / self.plot_budget)


def _plot_html(png: bytes, width: int) -> str:
    """The live plot as an <img>: its own pixel size where there is room (a stretched PNG
    blurs), narrower with the output (``max-width``)."""
    data = base64.b64encode(png).decode("ascii")
    return (f"<img class='hpmagic-live-plot' alt='the convergence plot so far' width='{width}' "
            f"style='max-width:100%;height:auto' src='data:image/png;base64,{data}'/>")


def _tidy_trial_axis(ax: Any) -> None:
    """Whole trial numbers on the x axis (never 0.25), and room at the edges so that no point
    is cut in half by the frame."""
    from matplotlib.ticker import MaxNLocator

    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.margins(x=0.04, y=0.08)
    for artist in ax.lines:
        artist.set_clip_on(False)
