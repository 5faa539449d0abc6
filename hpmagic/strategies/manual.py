"""``--strategy manual``: choose each configuration by hand with widgets.

The cell shows one control per parameter (a slider on the parameter's own scale, a
dropdown for choices) and a Run button.  Each click runs one trial of the same search --
the same :class:`~hpmagic.runner.Runner`, store and executor as any other strategy, with a
budget of one trial -- and the summary and plots below the controls are redrawn.  Clicks
are served after the cell has returned, while the kernel is idle, as with
``ipywidgets.interact``.

With the baseline on (the default) the cell itself runs trial 0 with the written defaults,
so the first summary already shows them.  After every run the best values are bound in the
namespace (unless ``--no-apply``) and ``-o NAME`` is rebound to the latest ``TuneResult``.
Sliders start at the written defaults (clipped into the range); a conditional parameter's
control is disabled while its condition does not hold.  ``ManualSession.run(**values)``
runs a trial from code, which is also how the tests drive it.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

from ..result import TrialState, TuneResult
from ..runner import NullReporter
from .base import Strategy

__all__ = ["ManualStrategy", "ManualSession", "start_session"]


class ManualStrategy(Strategy):
    """Proposes exactly the configuration the session hands it, once."""

    name = "manual"
    #: Tells :func:`hpmagic.api.run` to start a :class:`ManualSession` instead of a loop.
    interactive = True

    def __init__(self) -> None:
        super().__init__()
        self.pending: dict[str, Any] | None = None

    def setup(self, space, context):
        super().setup(space, context)
        self.reason = "configurations chosen by hand with the controls; each Run is one trial"

    def ask(self, number: int):
        params, self.pending = self.pending, None
        return params


def start_session(runner, strategy: ManualStrategy, namespace: dict[str, Any], opts) -> ManualSession:
    """Called by :func:`hpmagic.api.run` for ``--strategy manual``: show the controls, run trial 0."""
    return ManualSession(runner, strategy, namespace, opts).start()


# -- controls -----------------------------------------------------------------------------

def _clip(value: float, lo: float, hi: float) -> float:
    return min(max(value, lo), hi)


def _control(p):
    """A widget for parameter ``p`` and a function that reads a legal value from it."""
    import ipywidgets as w

    dist, kind = p.distribution, p.distribution.kind
    style = {"description_width": "initial"}
    layout = w.Layout(width="420px")

    def snap(value):  # the nearest value the distribution can produce (steps, integers)
        return dist.from_unit(dist.to_unit(value))

    if kind == "choice":
        options = [(o if isinstance(o, str) else repr(o), i) for i, o in enumerate(dist.options)]
        start = dist.index(p.default) if dist.contains(p.default) else 0
        ctl = w.Dropdown(options=options, value=start, description=p.name, style=style, layout=layout)
        return ctl, lambda: dist.options[ctl.value]
    if kind == "logint":
        import numpy as np

        values = sorted({int(round(v)) for v in np.geomspace(dist.low, dist.high, 80)} | {int(dist.low), int(dist.high)})
        values = sorted({snap(v) for v in values})
        start = min(values, key=lambda v: abs(math.log(v) - math.log(max(_clip(p.default, dist.low, dist.high), 1))))
        ctl = w.SelectionSlider(options=values, value=start, description=p.name, style=style, layout=layout)
        return ctl, lambda: ctl.value
    if kind == "int":
        ctl = w.IntSlider(min=int(dist.low), max=int(dist.high), step=int(dist.step or 1),
                          value=int(_clip(p.default, dist.low, dist.high)), description=p.name, style=style, layout=layout)
        return ctl, lambda: snap(ctl.value)
    if kind in ("uniform", "normal"):
        lo, hi = (dist.low, dist.high) if kind == "uniform" else (dist.mu - 3 * dist.sigma, dist.mu + 3 * dist.sigma)
        step = getattr(dist, "step", None) or (hi - lo) / 200
        ctl = w.FloatSlider(min=lo, max=hi, step=step, value=_clip(float(p.default), lo, hi),
                            readout_format=".4g", description=p.name, style=style, layout=layout)
        return ctl, lambda: snap(ctl.value) if getattr(dist, "step", None) else float(f"{ctl.value:.6g}")
    # loguniform, lognormal: a slider over the exponent
    if kind == "loguniform":
        lo, hi = math.log10(dist.low), math.log10(dist.high)
    else:
        lo, hi = (dist.mu - 3 * dist.sigma) / math.log(10), (dist.mu + 3 * dist.sigma) / math.log(10)
    default = 10 ** _clip(math.log10(p.default) if p.default and p.default > 0 else lo, lo, hi)
    ctl = w.FloatLogSlider(base=10, min=lo, max=hi, step=(hi - lo) / 200, value=default,
                           readout_format=".3g", description=p.name, style=style, layout=layout)
    # Four significant digits: the slider's resolution, without float noise such as 100.00000000000004.
    return ctl, lambda: (snap if getattr(dist, "step", None) else float)(float(f"{ctl.value:.4g}"))


# -- the session ------------------------------------------------------------------------------

class ManualSession:
    """The controls, the Run button and the summary of one manual search."""

    def __init__(self, runner, strategy: ManualStrategy, namespace: dict[str, Any], opts):
        self.runner = runner
        self.strategy = strategy
        self.namespace = namespace
        self.opts = opts
        self.result: TuneResult | None = None
        self._elapsed = 0.0
        self._first = True
        self.controls: dict[str, Any] = {}
        self._readers: dict[str, Any] = {}
        self.widget = None

    # -- running trials ----------------------------------------------------------------------

    def start(self) -> ManualSession:
        self._build()
        if self.runner.baseline:
            self.run(**self.runner.space.defaults())
        else:
            self._first = False
            self.summary.value = "<i>choose values and press Run</i>"
        return self

    def current(self) -> dict[str, Any]:
        """The configuration the controls show (inactive parameters left out)."""
        return self.runner.space.build(lambda p: self._readers[p.name]())

    def run(self, **values: Any) -> TuneResult:
        """Run one trial with ``values`` (default: what the controls show) and return the result."""
        space = self.runner.space
        params = space.build(lambda p: values[p.name] if p.name in values else self._readers[p.name]()) if values else self.current()
        space.validate(params)
        baseline = self._first and self.runner.baseline
        self._first = False
        self.strategy.pending = params
        # The runner's budget counts every stored trial (as when a study resumes): one more.
        done = sum(1 for t in self.runner.store.trials() if t.state is not TrialState.INTERRUPTED)
        one = dataclasses.replace(
            self.runner,
            context=dataclasses.replace(self.runner.context, budget=done + 1),
            baseline=baseline,
            reporter=NullReporter(),
        )
        self.status.value = "running…"
        try:
            result = one.run()
        finally:
            self.status.value = ""
        self._elapsed += result.elapsed
        stop = result.stop_reason if result.stop_reason in ("interrupted", "error") else "manual"
        self.result = dataclasses.replace(
            result, elapsed=self._elapsed, budget=len(result.trials), stop_reason=stop, has_baseline=self.runner.baseline
        )
        if self.opts.apply:
            self.namespace.update(self.result.values_to_apply())
        if self.opts.out:
            self.namespace[self.opts.out] = self.result
        self._show_result()
        return self.result

    # -- widgets -----------------------------------------------------------------------------

    def _build(self) -> None:
        import ipywidgets as w

        for p in self.runner.space:
            ctl, read = _control(p)
            self.controls[p.name] = ctl
            self._readers[p.name] = read
            ctl.observe(lambda _change: self._update_active(), names="value")
        self.button = w.Button(description="Run", button_style="primary", icon="play")
        self.button.on_click(lambda _b: self._clicked())
        self.status = w.HTML()
        self.summary = w.HTML()
        title = w.HTML(f"<b>hpmagic manual search</b> &middot; {self.runner.context.direction} {self.runner.metric}")
        self.widget = w.VBox([title, *self.controls.values(), w.HBox([self.button, self.status]), self.summary])
        self._update_active()

    def _update_active(self) -> None:
        active = set(self.current())
        for name, ctl in self.controls.items():
            ctl.disabled = name not in active

    def _clicked(self) -> None:
        self.button.disabled = True
        try:
            self.run()
        except Exception as exc:  # noqa: BLE001 - a click has no cell to raise into: show it
            from html import escape

            self.status.value = f"<span style='color:#b03030'>{escape(type(exc).__name__)}: {escape(str(exc))}</span>"
        finally:
            self.button.disabled = False

    def _show_result(self) -> None:
        from ..display.html import result_html

        self.summary.value = result_html(self.result)

    def _repr_mimebundle_(self, **kwargs):
        bundle = self.widget._repr_mimebundle_(**kwargs) or {}
        bundle["text/plain"] = repr(self)
        return bundle

    def __repr__(self) -> str:
        head = "hpmagic manual search (the controls show in a notebook; run trials with .run(**values))"
        return head if self.result is None else head + "\n" + repr(self.result)
