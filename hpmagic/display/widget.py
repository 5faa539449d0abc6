"""The live panel in a notebook: a progress bar, a status line and a convergence plot.

The panel is built from ipywidgets (``HBox(HTML, IntProgress, HTML)`` over an ``Image``),
the layout tqdm's notebook bar made familiar.  Two rates bound what reaches the front end:

- the bar and the status line are pushed at most once every ``min_interval`` seconds;
- the convergence plot is rendered off screen (matplotlib's Agg canvas, to a PNG) at most
  once every ``plot_interval`` seconds, and never more often than keeps its rendering time
  under ``plot_budget`` of the wall time, so it cannot slow a search of fast trials.

``updates`` counts the widget state messages sent (a trait assignment that changes a value
is one message per widget) and ``plot_draws`` the renders; tests and the benchmark read them.

At the end the widgets are closed, so no dead widget is saved with the notebook, and the
panel's place in the output is taken by static HTML: the bar, green when the search ran to
its end and red when it stopped on errors or an interrupt, and the final status line.  The
full summary with its plots is the ``TuneResult`` the cell returns.
"""

from __future__ import annotations

import time
from typing import Any

from .text import status_text

__all__ = ["WidgetReporter"]

_PLOT_SIZE, _PLOT_DPI = (5.2, 2.6), 80
_STYLE = {"running": "info", "done": "success", "interrupted": "danger", "failed": "danger"}


class WidgetReporter:
    def __init__(
        self,
        min_interval: float = 0.25,
        plot_interval: float = 1.0,
        plot_budget: float = 0.05,
        clock=time.monotonic,
        show=None,
    ):
        self.min_interval = min_interval
        self.plot_interval = plot_interval
        self.plot_budget = plot_budget
        self.clock = clock
        self._show = show  # replaces IPython.display.display (tests)
        self.updates = 0
        self.plot_draws = 0
        self.panel = None
        self.handle = None
        self.final_html = ""

    # -- the reporter protocol ------------------------------------------------------------

    def start(self, runner) -> None:
        import ipywidgets as w

        self._runner = runner
        total = max(int(runner.context.budget), 1)
        self.bar = w.IntProgress(value=0, min=0, max=total, bar_style="info", layout=w.Layout(width="260px"))
        self.label = w.HTML(value="<b>hpmagic</b>")
        self.status = w.HTML(value="starting")
        # Shown at its own pixel size (a stretched PNG blurs); hidden until the first draw.
        self.plot = w.Image(format="png", layout=w.Layout(display="none", width=f"{int(_PLOT_SIZE[0] * _PLOT_DPI)}px"))
        self.panel = w.VBox([w.HBox([self.label, self.bar, self.status]), self.plot], _dom_classes=["hpmagic-live"])
        self._last = -float("inf")
        self._next_plot = self.clock() + self.plot_interval  # the first plot once there is something to see
        self._plotted_finished = -1
        self.handle = self._display(self.panel)

    def update(self, progress) -> None:
        now = self.clock()
        if now - self._last < self.min_interval:
            return
        self._last = now
        self._push(progress)
        if now >= self._next_plot and progress.finished != self._plotted_finished:
            self._draw_plot(progress)

    def close(self, progress, result) -> None:
        from .html import status_html

        self._push(progress)
        self.final_html = status_html(progress, status_text(progress))
        for widget in (self.panel, *self.panel.children, *self.panel.children[0].children):
            for part in (widget, getattr(widget, "layout", None), getattr(widget, "style", None)):
                if part is not None:
                    part.close()
        if self.handle is not None:
            self.handle.update({"text/html": self.final_html, "text/plain": status_text(progress)}, raw=True)

    # -- drawing ---------------------------------------------------------------------------

    def _display(self, panel):
        if self._show is not None:
            return self._show(panel)
        from IPython.display import display

        return display(panel, display_id=True)

    def _set(self, widget, name: str, value: Any) -> None:
        if getattr(widget, name) != value:
            setattr(widget, name, value)
            self.updates += 1

    def _push(self, progress) -> None:
        with self.bar.hold_sync():
            # One message for the bar, however many of its traits change.
            changed = self.bar.value != min(progress.finished, self.bar.max) or self.bar.bar_style != _STYLE.get(progress.status, "info")
            self.bar.value = min(progress.finished, self.bar.max)
            self.bar.bar_style = _STYLE.get(progress.status, "info")
        self.updates += int(changed)
        self._set(self.status, "value", status_text(progress))

    def _draw_plot(self, progress) -> None:
        from . import plots

        start = time.perf_counter()
        trials = self._runner.store.trials()
        done = [t for t in trials if t.ok]
        if len(done) < 2:
            return
        fig = plots.figure(*_PLOT_SIZE, dpi=_PLOT_DPI)
        plots.draw_live(fig.add_subplot(), trials, self._runner.context.direction, self._runner.metric)
        self.plot.value = plots.png(fig)
        self.updates += 1
        if self.plot.layout.display == "none":
            self.plot.layout.display = None
            self.updates += 1
        self.plot_draws += 1
        self._plotted_finished = progress.finished
        spent = time.perf_counter() - start
        # Keep rendering under plot_budget of the wall time, whatever the machine.
        self._next_plot = self.clock() + max(self.plot_interval, spent / self.plot_budget)
