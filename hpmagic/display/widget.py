"""The live panel in a notebook: a progress bar with its status line, and a convergence plot
(with the learning curves beside it once a trial reported points with ``hpmagic.report``).

The panel is as few widgets as it can be, because every widget costs the kernel a comm (and
one for its layout and style) to open and to close, and a fast search feels that: it is one
``ipywidgets.HTML`` showing the bar and the status line (the same markup the notebook keeps at
the end, :func:`.html.status_html`), joined by an ``Image`` for the convergence plot only
when the first plot is drawn.  Two rates bound what reaches the front end:

- the bar and the status line are pushed at most once every ``min_interval`` seconds;
- the convergence plot is rendered off screen (matplotlib's Agg canvas, to a PNG) at most
  once every ``plot_interval`` seconds, and never more often than keeps its rendering time
  under ``plot_budget`` of the wall time, so it cannot slow a search of fast trials.

``updates`` counts the widget state messages sent (one per changed value; opening and
closing a widget are not counted) and ``plot_draws`` the renders; tests and the benchmark read them.

At the end the widgets are closed, so no dead widget is saved with the notebook, and the
panel's place in the output is taken by static HTML: the bar, green when the search ran to
its end and red when it stopped on errors or an interrupt, and the final status line.  The
full summary with its plots is the ``TuneResult`` the cell returns.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ..protocols import Progress, SearchInfo
from .html import status_html
from .text import status_text

if TYPE_CHECKING:
    from ..result import TuneResult

__all__ = ["WidgetReporter"]

_PLOT_SIZE, _PLOT_DPI = (5.2, 2.6), 80
_CURVES_SIZE = (10.0, 2.6)  # the convergence plot and the learning curves, side by side


_shared: dict[str, Any] = {}


def _shared_layout_and_style():
    """One default ``Layout`` and ``HTMLStyle`` for every panel's status line.

    Each is a widget of its own (a comm to open and close), and the status line needs only
    the defaults: sharing them halves what a panel costs the kernel to show and to close.
    They are made again if something closed them (``Widget.close_all()``).
    """
    import ipywidgets as w
    from ipywidgets.widgets.widget_string import HTMLStyle

    for name, make in (("layout", w.Layout), ("style", HTMLStyle)):
        if _shared.get(name) is None or _shared[name].comm is None:
            _shared[name] = make()
    return _shared["layout"], _shared["style"]


def _bundle(widget, text: str) -> dict:
    """What ``display(widget)`` would send, with our own plain-text form, made directly: a
    raw bundle skips IPython's formatters, which a fast search would feel."""
    view = {"version_major": 2, "version_minor": 0, "model_id": widget.model_id}
    return {"application/vnd.jupyter.widget-view+json": view, "text/plain": text}


class WidgetReporter:
    """The live panel: a :class:`~hpmagic.protocols.Reporter` for notebooks (see the module's docstring)."""

    def __init__(
        self,
        min_interval: float = 0.25,
        plot_interval: float = 1.0,
        plot_budget: float = 0.05,
        clock: Callable[[], float] = time.monotonic,
        show: Callable[[dict], Any] | None = None,
    ):
        self.min_interval = min_interval
        self.plot_interval = plot_interval
        self.plot_budget = plot_budget
        self.clock = clock
        self._show = show  # called with the display bundle instead of IPython's display (tests)
        self.updates = 0
        self.plot_draws = 0
        self.panel = None
        self.handle = None
        self.final_html = ""

    # -- the reporter protocol ------------------------------------------------------------

    def start(self, info: SearchInfo) -> None:
        import ipywidgets as w

        self.info = info
        starting = Progress(total=max(int(info.budget), 1))
        layout, style = _shared_layout_and_style()
        self.status = w.HTML(value=status_html(starting, "starting"), layout=layout, style=style, _dom_classes=["hpmagic-live"])
        self.plot = None  # an Image, made at the first draw
        self.panel = self.status
        now = self.clock()
        self._last = now  # "starting" stands for min_interval: a search that ends sooner sends no update
        self._next_plot = now + self.plot_interval  # the first plot once there is something to see
        self._plotted_finished = -1
        self.handle = self._display(_bundle(self.panel, "hpmagic: starting"))

    def update(self, progress: Progress) -> None:
        now = self.clock()
        if now - self._last < self.min_interval:
            return
        self._last = now
        self._push(progress)
        if now >= self._next_plot and progress.finished != self._plotted_finished:
            self._draw_plot(progress)

    def close(self, progress: Progress, result: TuneResult | None) -> None:
        # The final state goes straight into the static output: a last push to widgets about
        # to close would be a message nobody sees.
        line = status_text(progress)
        self.final_html = status_html(progress, line)
        self.status.close()  # its layout and style are shared with later panels
        if self.plot is not None:
            for widget in (self.plot, self.panel):
                widget.layout.close()
                widget.close()
        if self.handle is not None:
            self.handle.update({"text/html": self.final_html, "text/plain": line}, raw=True)

    # -- drawing ---------------------------------------------------------------------------

    def _display(self, bundle: dict):
        if self._show is not None:
            return self._show(bundle)
        from IPython.display import display

        return display(bundle, raw=True, display_id=True)

    def _push(self, progress: Progress) -> None:
        value = status_html(progress, status_text(progress))
        if self.status.value != value:
            self.status.value = value
            self.updates += 1

    def _draw_plot(self, progress: Progress) -> None:
        from . import plots

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
        if curves:
            plots.draw_live_curves(axes[1], trials, self.info.direction, self.info.metric, running)
        png = plots.png(fig)
        width = f"{int(size[0] * _PLOT_DPI)}px"  # shown at its own pixel size: a stretched PNG blurs
        if self.plot is None:
            import ipywidgets as w

            self.plot = w.Image(value=png, format="png", layout=w.Layout(width=width), _dom_classes=["hpmagic-live-plot"])
            self.panel = w.VBox([self.status, self.plot])
            if self.handle is not None:
                self.handle.update(_bundle(self.panel, "hpmagic: " + status_text(progress)), raw=True)
        else:
            if self.plot.layout.width != width:  # the first curves came after the first plot
                self.plot.layout.width = width
                self.updates += 1
            self.plot.value = png
            self.updates += 1
        self.plot_draws += 1
        self._plotted_finished = progress.finished
        spent = time.perf_counter() - start
        # Keep rendering under plot_budget of the wall time, whatever the machine.
        self._next_plot = self.clock() + max(self.plot_interval, spent / self.plot_budget)
