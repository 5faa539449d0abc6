"""The live panel in a notebook: a progress bar with its status line, and a convergence plot
(with the learning curves beside it once a trial reported points with ``hpmagic.report``).

The panel is two outputs of the cell with a display id each, updated in place
(``update_display_data``), not widgets: the status line is static HTML (the same markup the
notebook keeps at the end, :func:`.html.status_html`) and the plots PNGs in ``<img>`` tags,
joined when the first plot is drawn.  So a notebook saved while a search runs (JupyterLab
autosaves) and opened again after it ended, or after the kernel restarted, shows the last
state it saved, never "Error displaying widget: model not found": there is no widget model
to lose.  That saved state cannot turn into the result by itself (what the kernel sent while
the notebook was closed reached no page), so it must read as frozen: the running look (a blue
bar, what runs, the time left) holds only while redraws keep coming, and once they stop the
bar turns grey and a note says why and where the result is (``Out[7]``; :func:`.html.stale_note`).
(A front end renders a widget view only from its live model and shows that error when the
model is gone, whatever other forms the output carries.)  An update costs the kernel one
message, as a widget's state change would, and there is nothing to open or close (nor the
front end's "removeChild" error when a closed widget's view went away).

Three threads show the search, none waiting for another:

- the runner's, in :meth:`WidgetReporter.update`, pushes the status line, at most once every
  ``min_interval`` seconds;
- the *timer* (``hpmagic-panel``) pushes a change that came too soon once the interval has
  passed (a trailing update, so "2 running" shows even when the second trial started right
  after the first), and between changes refreshes the line every ``tick`` seconds: elapsed
  time, time left, how long each running trial has run ("trial 0 (the defaults) running for
  0:07"), so a search of slow trials never looks hung;
- the *plotter* (``hpmagic-plot``, started by the timer once the search has run half a
  ``plot_interval``) draws the plots off screen (matplotlib's Agg canvas) and pushes them.  Drawing holds no lock, so the line's clock never stalls on a draw; and the
  elapsed time shown never goes backwards (a runner's update computed before a timer's
  refresh is shown no earlier than it).

When the plots are drawn is :class:`DrawBudget`'s: at most once every ``plot_interval``
seconds, and never more often than keeps drawing under ``plot_budget`` of the wall time,
judged by the median cost of the last few draws (one slow draw does not starve the next ones);
a new best value may use twice that share, so the plot shows it within a few seconds.  A
draw's cost is the CPU time of the thread that drew (``cost_clock``): what the draw takes from
the kernel (the GIL) whatever else the machine runs, not the wall time, which on a loaded
machine counts waiting for a core and would hold the plot back when it is least needed.  The
first draw is never charged: matplotlib's first draw loads its fonts and caches (0.3 to 1.5
s), so the plotter imports matplotlib and warms it up with a tiny draw, off the clock, once
the search has run half a ``plot_interval`` (a shorter search pays for none of it).  The
plots are transparent PNGs of ink on nothing: in a dark theme a CSS filter turns the ink light
(hues kept), so the plot sits on the theme's background instead of being a white block; where
a sanitizer dropped the ``<style>`` it shows on white as before.  Each plot is an image of its
own in a wrapping row, so in a narrow output the learning curves go below the convergence plot
instead of both shrinking to half.

``close`` stops both threads and shows the final state at once (a thread pushes only under the
panel's lock and never once stopped); it waits only for a plotter that has begun to draw, since
the summary draws next.  A search shorter than ``min_interval`` sends no update at all.  ``tick=None`` runs no thread: the status and the plots are drawn in
``update`` (tests).  ``updates`` counts the update messages sent (status and plot; the first
display and the close are not counted) and ``plot_draws`` the renders; tests and the
benchmark read them.

At the end the status output is replaced by the final bar, green when the search ran to its
end, teal after an interrupt and red when it stopped on errors, with the final status line,
and the live plot is removed (the result's summary has the full plots).
"""

from __future__ import annotations

import base64
import contextvars
import statistics
import threading
import time
from collections import deque
from collections.abc import Callable
from html import escape
from typing import TYPE_CHECKING, Any

from .._format import fmt_clock, fmt_value
from ..protocols import Progress, SearchInfo
from .html import stale_note, status_html
from .palette import DARK_SELECTORS
from .text import advanced, status_text

if TYPE_CHECKING:
    from ..result import TuneResult

__all__ = ["WidgetReporter", "DrawBudget"]

_PLOT_SIZE, _PLOT_DPI = (5.2, 2.6), 80  # each plot: 416 x 208 pixels


class DrawBudget:
    """When the live plot may be drawn next, from how long the last draws took.

    Times are the reporter's clock (seconds).  After a draw the next one waits at least
    ``interval``, and long enough to keep drawing under ``share`` of the wall time, judged by
    the median cost of the last ``window`` draws: one slow draw does not starve the next ones.
    A new best value may use twice ``share``.  The first draw is never charged (matplotlib's
    first draw is cold).  Before any draw, the first is due ``interval`` after ``start``.
    """

    def __init__(self, start: float, interval: float = 1.0, share: float = 0.05, window: int = 5):
        self.interval = interval
        self.share = share
        self.times: deque[float] = deque(maxlen=window)
        self.draws = 0
        self.last_end = start

    def record(self, cost: float, end: float) -> None:
        """A draw that cost ``cost`` seconds ended at ``end``."""
        self.draws += 1
        if self.draws > 1:
            self.times.append(max(cost, 0.0))
        self.last_end = end

    def gap(self, new_best: bool = False) -> float:
        """The least time from the end of one draw to the start of the next."""
        if not self.times:
            return self.interval
        share = self.share * (2 if new_best else 1)
        return max(self.interval, statistics.median(self.times) / share) if share > 0 else float("inf")

    def due(self, new_best: bool = False) -> float:
        """When the next draw may start."""
        return self.last_end + self.gap(new_best)


def _status_bundle(progress: Progress, line: str, note: str = "") -> dict[str, str]:
    return {"text/html": status_html(progress, line, note), "text/plain": "hpmagic: " + line}


class WidgetReporter:
    """The live panel: a :class:`~hpmagic.protocols.Reporter` for notebooks (see the module's docstring).

    ``show(bundle)`` replaces IPython's ``display`` (tests): it is called with each output's
    first bundle and returns a handle whose ``update(bundle, raw=True)`` replaces it.
    ``tick=None`` runs no thread (then a dropped update waits for the next change, and the
    plots are drawn in ``update``).  ``cost_clock`` measures what a draw costs the kernel: the
    drawing thread's CPU time (``time.thread_time``), not the wall time, which on a loaded
    machine counts the time spent waiting for a core.  ``result_name`` (``Out[7]``) is where the result will be,
    for the note a running panel shows once it has stopped updating (:func:`.html.stale_note`).
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
        cost_clock: Callable[[], float] = time.thread_time,
    ):
        self.min_interval = min_interval
        self.plot_interval = plot_interval
        self.plot_budget = plot_budget
        self.tick = tick
        self.result_name = result_name
        self.note = ""
        self.clock = clock
        self.cost_clock = cost_clock
        self._show = show
        self.updates = 0
        self.plot_draws = 0
        self.handle: Any = None
        self.plot_handle: Any = None
        self.status_value = ""  # the HTML the status output shows
        self.plot_pngs: list[bytes] = []  # the PNGs the plot output shows: convergence, then curves
        self.plot_width = int(_PLOT_SIZE[0] * _PLOT_DPI)  # each one's width in pixels
        self.final_html = ""
        self.plot_error = ""  # why the live plot could not be drawn (then it is not tried again)
        self._threads: list[threading.Thread] = []

    @property
    def plot_png(self) -> bytes | None:
        """The convergence plot the panel shows (``None`` before the first draw)."""
        return self.plot_pngs[0] if self.plot_pngs else None

    # -- the reporter protocol ------------------------------------------------------------

    def start(self, info: SearchInfo) -> None:
        """Show the panel for a search of ``info`` and start the threads that keep its clock and plot up to date."""
        self.info = info
        self.note = stale_note(self.result_name, info.study) if self.tick is not None else ""
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._wake = threading.Event()  # something new for the plotter
        self._progress: Progress | None = None  # the runner's live object, read under the lock
        self._seen = self._started = now = self.clock()
        self._shown_elapsed = 0.0  # the clock the line shows never goes back
        self._last = now  # "starting" stands for min_interval: a search that ends sooner sends no update
        self._pending = False  # a change not pushed yet (it came too soon)
        self.budget = DrawBudget(now, self.plot_interval, self.plot_budget)
        self._plotted: tuple[int, int] | None = None
        self._plotted_best: Any = None  # the best trial's number when the plot was drawn
        self._drawing = False  # the plotter has begun to use matplotlib
        bundle = self._starting("starting")
        self.status_value = bundle["text/html"]
        self.handle = self._display(bundle)
        if self.tick is not None:
            self._start_thread(self._tick_loop, "hpmagic-panel")  # it starts the plotter in time

    def update(self, progress: Progress) -> None:
        """Push ``progress`` to the panel, at most every ``min_interval`` seconds (what waits is pushed by the
        clock)."""
        now = self.clock()
        with self._lock:
            self._progress, self._seen = progress, now
            if now - self._last < self.min_interval:
                self._pending = True
            else:
                self._refresh(self._snapshot(now), now)
        if self.tick is None:
            self._plot_if_due()
        elif not self._wake.is_set():  # a read: setting it takes a lock, thousands of times a second
            self._wake.set()

    def close(self, progress: Progress, result: TuneResult | None) -> None:
        """Stop the threads and push the final state: the panel stops updating, with a note on where the result is."""
        self._stop.set()
        self._wake.set()
        # The threads push only under the lock and never once stopped: the final state comes
        # last without waiting for them to end (on a busy machine a thread takes milliseconds
        # to be woken, as long as a short search).
        with self._lock:
            line = status_text(progress)
            bundle = _status_bundle(progress, line)
            self.final_html = bundle["text/html"]
            if self.plot_handle is not None:
                self.plot_handle.update({"text/html": "", "text/plain": ""}, raw=True)
            if self.handle is not None:
                self.handle.update(bundle, raw=True)
            drawing = self._drawing
        if drawing:  # the summary draws next: never matplotlib on two threads at once
            self._threads[-1].join(timeout=10)

    def _start_thread(self, target: Callable[[], None], name: str) -> None:
        """A daemon thread that publishes with the cell's parent header (the context is copied)."""
        thread = threading.Thread(target=contextvars.copy_context().run, args=(target,), name=name, daemon=True)
        self._threads.append(thread)
        thread.start()

    # -- the timer: the status line ------------------------------------------------------------

    def _tick_loop(self) -> None:
        """Push a change that came too soon once ``min_interval`` has passed, refresh the
        clocks every ``tick``, and start the plotter once the search has run half a
        ``plot_interval`` (a shorter search starts no second thread)."""
        assert self.tick is not None
        plotter_at: float | None = self._started + self.plot_interval / 2
        while True:
            with self._lock:
                base = self._last + (self.min_interval if self._pending else max(self.tick, self.min_interval))
                wait = max(min(base, plotter_at if plotter_at is not None else base) - self.clock(), 0.01)
            if self._stop.wait(wait):
                return
            if plotter_at is not None and self.clock() >= plotter_at:
                plotter_at = None
                self._start_thread(self._plot_loop, "hpmagic-plot")
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
        """The runner's progress as it is now, with its clock moved on to ``now`` and never
        behind what the line showed last: a copy, since the runner goes on changing it on its
        own thread."""
        assert self._progress is not None
        moved = now - self._seen
        snapshot = advanced(self._progress, max(moved, self._shown_elapsed - self._progress.elapsed))
        self._shown_elapsed = snapshot.elapsed
        return snapshot

    def _refresh(self, progress: Progress, now: float) -> None:
        self._last, self._pending = now, False
        self._push(_status_bundle(progress, status_text(progress), self.note))

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

    # -- the plotter: the plots ----------------------------------------------------------------

    def _plot_loop(self) -> None:
        """Warm matplotlib up, then draw whenever a draw is due and there is something new to
        show."""
        with self._lock:
            if self._stop.is_set():
                return
            self._drawing = True  # from now on close waits for this thread
        warm_up()
        while not self._stop.is_set():
            self._wake.clear()
            wait = self._plot_if_due()
            if wait is None or wait > 0:
                self._wake.wait(wait)

    def _plot_if_due(self) -> float | None:
        """Draw the plots if a draw is due: 0 when one was drawn, else the seconds until one
        is due, ``None`` when there is nothing new to draw."""
        with self._lock:
            if self._progress is None or self._stop.is_set() or self.plot_error:
                return None
            progress = self._progress
            key = (progress.finished, sum(len(points) for points in progress.running_curves.values()))
            best = progress.best.number if progress.best is not None else None
            if key == self._plotted or not _has_plot(progress):
                return None
            now = self.clock()
            due = self.budget.due(new_best=best != self._plotted_best)
            if now < due:
                return due - now
            snapshot = self._snapshot(now)
        try:
            warm_up()  # without the plotter (tick=None) the first draw warms up, off the clock
            start = self.cost_clock()
            pngs = render_live(snapshot, self.info)
        except Exception as exc:  # noqa: BLE001 - a plot must never stop a search nor show a traceback
            with self._lock:
                self.plot_error = f"{type(exc).__name__}: {exc}"
                if not self._stop.is_set():
                    self._show_plots(
                        [],
                        f"<p class='hpmagic-live-plots' style='font-size:12px'>(the live plot could "
                        f"not be drawn: {escape(self.plot_error)}; the search goes on)</p>",
                        0,
                    )
            return None
        html = _plot_html(pngs, self.plot_width, snapshot)
        with self._lock:
            if self._stop.is_set():
                return None
            self._show_plots(pngs, html, snapshot.finished)
            self._plotted, self._plotted_best = key, best
            self.budget.record(self.cost_clock() - start, self.clock())
        return 0

    def _show_plots(self, pngs: list[bytes], html: str, finished: int) -> None:
        plain = f"the convergence plot after {finished} trials" if pngs else "the live plot could not be drawn"
        bundle = {"text/html": html, "text/plain": f"hpmagic: {plain}"}
        if self.plot_handle is None:
            self.plot_handle = self._display(bundle)
        else:
            self.plot_handle.update(bundle, raw=True)
            self.updates += 1
        self.plot_pngs = pngs
        self.plot_draws += bool(pngs)


# -- drawing ---------------------------------------------------------------------------------

_warmed = threading.Event()


def warm_up() -> None:
    """Import matplotlib and make one tiny draw, so that the first real draw is not the cold
    one (fonts, caches: 0.3 to 1.5 s); once per process."""
    if _warmed.is_set():
        return
    from . import plots

    fig = plots.figure(1.0, 1.0, dpi=20)
    ax = fig.add_subplot()
    ax.plot([0, 1], [0, 1], "o-", label="a")
    ax.set_xlabel("x", fontsize="small")
    ax.legend(fontsize="x-small", frameon=False)
    plots.png(fig, transparent=True)
    _warmed.set()


def _has_plot(progress: Progress) -> bool:
    """Whether there is anything to plot: a learning curve, or two completed trials."""
    if progress.running_curves or any(t.curve for t in progress.trials):
        return True
    return sum(1 for t in progress.trials if t.ok) >= 2


def render_live(progress: Progress, info: SearchInfo) -> list[bytes]:
    """The live plots as transparent PNGs: the convergence plot, and the learning curves once
    any trial reported a point (each its own image, so that they wrap in a narrow output)."""
    from . import plots

    trials, running = progress.trials, progress.running_curves  # running: with --prune, the points so far
    fig = plots.figure(*_PLOT_SIZE, dpi=_PLOT_DPI)
    ax = fig.add_subplot()
    plots.draw_live(ax, trials, info.direction, info.metric)
    _tidy_trial_axis(ax, {t.number for t in trials})
    pngs = [plots.png(fig, transparent=True)]
    if running or any(t.curve for t in trials):
        fig = plots.figure(*_PLOT_SIZE, dpi=_PLOT_DPI)
        plots.draw_live_curves(fig.add_subplot(), trials, info.direction, info.metric, running)
        pngs.append(plots.png(fig, transparent=True))
    return pngs


# The plots are ink on nothing.  On white where no <style> applies (a sanitizer dropped it);
# where it does, on the output's own background, and in a dark theme the ink turned light with
# its hues kept (the palette's colours keep 3:1 on both backgrounds; docs/design/live-panel.md).
_PLOT_CSS = (
    "<style>.hpmagic-live-plots img.hpmagic-live-plot {background: transparent !important}\n"
    + ", ".join(f"{theme} .hpmagic-live-plots img.hpmagic-live-plot" for theme in DARK_SELECTORS)
    + " {filter: invert(1) hue-rotate(180deg)}</style>"
)
_ALT = ("the convergence plot so far", "the learning curves so far")


def _plot_html(pngs: list[bytes], width: int, progress: Progress) -> str:
    """The live plots as <img> tags in a row that wraps: each at its own pixel size where there
    is room (a stretched PNG blurs), narrower with the output (``max-width``).  ``data-trials``
    and ``data-best`` say what they show (the status line's count and best value)."""
    best = fmt_value(progress.best.value) if progress.best is not None else ""
    imgs = "".join(
        f"<img class='hpmagic-live-plot' alt='{alt}' width='{width}' style='max-width:100%;height:auto;"
        f"background:#ffffff' src='data:image/png;base64,{base64.b64encode(png).decode('ascii')}'/>"
        for alt, png in zip(_ALT, pngs)
    )
    return (
        f"{_PLOT_CSS}<div class='hpmagic-live-plots' data-trials='{progress.finished}' data-best='{escape(best)}' "
        f"style='display:flex;flex-wrap:wrap;gap:4px 12px;align-items:flex-start;max-width:100%'>{imgs}</div>"
    )


def _tidy_trial_axis(ax: Any, numbers: set[int]) -> None:
    """Whole trial numbers on the x axis (never 0.25), and room at the edges so that no point
    is cut in half by the frame; one trial alone (the curves came first) stands at its number,
    not amid ticks of -0.045 to 0.045."""
    from matplotlib.ticker import MaxNLocator

    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.margins(x=0.04, y=0.08)
    if len(numbers) == 1:
        (only,) = numbers
        ax.set_xlim(only - 0.5, only + 0.5)
        ax.set_xticks([only])
    for artist in ax.lines:
        artist.set_clip_on(False)
