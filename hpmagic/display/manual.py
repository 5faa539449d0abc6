"""``--strategy manual``: the controls, the Run button and the summary of a search by hand.

The session shows one control per parameter (a slider on the parameter's own scale, a
dropdown for choices) and a Run button.  Each click runs one trial through the
``run_one`` callable it was given (the caller runs it as a trial of the same search, with
the same store and executor) and redraws the record below the controls.  Clicks are served
after the cell has returned, while the kernel is idle, as with ``ipywidgets.interact``.

The session shows as two outputs, each with a display id (see docs/design/manual.md): the
controls, a widget that lives only as long as its kernel, and the *record*, plain HTML (the
summary of every trial so far, its table of all trials and its plots) that each run replaces
in place with ``update_display``.  A front end applies such an update from a click's callback
too and saves it, so the record survives saving, a kernel restart and a reload.  **Finish**
replaces the controls' output by a static note, so that a notebook saved afterwards holds no
widget at all.

With the baseline on, :meth:`ManualSession.start` runs trial 0 with the written defaults,
so the first summary already shows them.  After every run ``on_result`` receives the
cumulative result (the caller binds the best values and ``-o NAME``).  Sliders start at the
written defaults (clipped into the range); a conditional parameter's control is disabled
while its condition does not hold.  :meth:`ManualSession.run_trial` runs a trial from code, which
is also how the tests drive it.

The session knows nothing of the runner or of :func:`hpmagic.tune`: it receives callables.
"""

from __future__ import annotations

import atexit
import math
import weakref
from collections.abc import Callable
from html import escape
from typing import TYPE_CHECKING, Any

from .._format import plural
from ..core import Direction
from ..space import Choice, Distribution, Int, LogInt, LogNormal, LogUniform, Normal, Uniform
from .data import category_label

if TYPE_CHECKING:
    from ..result import TuneResult
    from ..space import Parameter, SearchSpace

__all__ = ["ManualSession"]

# -- controls -----------------------------------------------------------------------------

#: A control and the function that reads a legal value of its parameter from it.
Control = tuple[Any, Callable[[], Any]]


def _clip(value: float, lo: float, hi: float) -> float:
    return min(max(value, lo), hi)


def _fine_step(offset: float, span: float) -> float:
    """A slider step near ``span / 200`` that ``offset`` (the default's distance from the
    minimum) is a whole number of: a power of ten, finer where the default needs it."""
    step = 10.0 ** math.floor(math.log10(span / 200))
    for _ in range(6):
        if abs(offset / step - round(offset / step)) < 1e-6:
            return step
        step /= 10
    return span / 200


def _control(p: Parameter) -> Control:
    """A widget for parameter ``p`` and a function that reads a legal value from it."""
    import ipywidgets as w

    dist = p.distribution
    look = {"description": p.name, "style": {"description_width": "initial"}, "layout": w.Layout(width="420px")}
    if isinstance(dist, Choice):
        return _dropdown(p, dist, look)
    if isinstance(dist, LogInt):
        return _logint_slider(p, dist, look)
    if isinstance(dist, Int):
        return _int_slider(p, dist, look)
    if isinstance(dist, Uniform):
        return _float_slider(p, dist, dist.low, dist.high, look)
    if isinstance(dist, LogUniform):  # a slider over the exponent
        return _log_slider(p, dist, math.log10(dist.low), math.log10(dist.high), look)
    if isinstance(dist, LogNormal):
        lo, hi = dist.mu - 3 * dist.sigma, dist.mu + 3 * dist.sigma
        return _log_slider(p, dist, lo / math.log(10), hi / math.log(10), look)
    if isinstance(dist, Normal):
        return _float_slider(p, dist, dist.mu - 3 * dist.sigma, dist.mu + 3 * dist.sigma, look)
    raise TypeError(f"no control for a {type(dist).__name__} distribution")  # every kind of the grammar is above


def _snap(dist: Distribution, value: Any) -> Any:
    """The nearest value the distribution can produce (steps, integers)."""
    return dist.from_unit(dist.to_unit(value))


def _dropdown(p: Parameter, dist: Choice, look: dict[str, Any]) -> Control:
    import ipywidgets as w

    options = [(category_label(o), i) for i, o in enumerate(dist.options)]
    start = dist.index(p.default) if dist.contains(p.default) else 0
    ctl = w.Dropdown(options=options, value=start, **look)
    return ctl, lambda: dist.options[ctl.value]


def _logint_slider(p: Parameter, dist: LogInt, look: dict[str, Any]) -> Control:
    import ipywidgets as w
    import numpy as np

    values = sorted({int(round(v)) for v in np.geomspace(dist.low, dist.high, 80)} | {int(dist.low), int(dist.high)})
    values = sorted({_snap(dist, v) for v in values} | ({int(p.default)} if dist.contains(p.default) else set()))
    target = math.log(max(_clip(p.default, dist.low, dist.high), 1))
    start = min(values, key=lambda v: abs(math.log(v) - target))
    ctl = w.SelectionSlider(options=values, value=start, **look)
    return ctl, lambda: ctl.value


def _int_slider(p: Parameter, dist: Int, look: dict[str, Any]) -> Control:
    import ipywidgets as w

    step, default = int(dist.step or 1), int(_clip(p.default, dist.low, dist.high))
    if (default - int(dist.low)) % step and (dist.high - dist.low) / step < 1000:
        # A default off the step grid is shown as written (a slider over the grid would move it).
        values = sorted(set(range(int(dist.low), int(dist.high) + 1, step)) | {default})
        choice = w.SelectionSlider(options=values, value=default, **look)
        return choice, lambda: choice.value
    ctl = w.IntSlider(min=int(dist.low), max=int(dist.high), step=step, value=default, **look)
    return ctl, lambda: _snap(dist, ctl.value)


def _float_slider(p: Parameter, dist: Distribution, lo: float, hi: float, look: dict[str, Any]) -> Control:
    import ipywidgets as w

    step = getattr(dist, "step", None)
    default = _clip(float(p.default), lo, hi)
    ctl = w.FloatSlider(
        min=lo, max=hi, step=step or _fine_step(default - lo, hi - lo), value=default, readout_format=".4g", **look
    )
    return ctl, lambda: _snap(dist, ctl.value) if step else float(f"{ctl.value:.6g}")


def _log_slider(p: Parameter, dist: Distribution, lo: float, hi: float, look: dict[str, Any]) -> Control:
    """A slider over the exponent (base 10) from ``lo`` to ``hi``."""
    import ipywidgets as w

    exponent = _clip(math.log10(p.default) if p.default and p.default > 0 else lo, lo, hi)
    # The exponent's step divides the way from lo to the default: the slider starts on it exactly.
    fine = (exponent - lo) / max(1, round((exponent - lo) / ((hi - lo) / 200))) if exponent > lo else (hi - lo) / 200
    inside = bool(p.default) and p.default > 0 and lo <= math.log10(p.default) <= hi
    ctl = w.FloatLogSlider(
        base=10,
        min=lo,
        max=hi,
        step=fine,
        value=float(p.default) if inside else 10**exponent,
        readout_format=".4g",
        **look,
    )
    step = getattr(dist, "step", None)

    def read() -> float:
        # Four significant digits: the slider's resolution, without float noise such as 100.00000000000004.
        value = float(f"{ctl.value:.4g}")
        return _snap(dist, value) if step else value

    return ctl, read


def _finish_at_exit(ref: weakref.ref[ManualSession]) -> None:
    """When the kernel shuts down (a restart too), a session still open is finished: a front
    end still connected replaces its controls by the static note."""
    from IPython import get_ipython

    session = ref()
    if session is not None and not session.finished and getattr(get_ipython(), "kernel", None) is not None:
        try:
            session.finish()
        except Exception:  # noqa: BLE001, S110 - the kernel is going away: nothing to report to
            pass


# -- the session ------------------------------------------------------------------------------


class ManualSession:
    """The controls, the Run button and the summary of one manual search.

    ``run_one(params, baseline)`` runs exactly one trial with ``params`` (as trial 0, the
    defaults, when ``baseline`` is true) and returns the cumulative result of the search;
    ``on_result(result)`` is called after every run (to bind the best values and ``-o``).
    """

    def __init__(
        self,
        space: SearchSpace,
        *,
        direction: Direction,
        metric: str,
        baseline: bool,
        run_one: Callable[[dict[str, Any], bool], TuneResult],
        on_result: Callable[[TuneResult], None],
    ):
        self.space = space
        self.direction = Direction(direction)
        self.metric = metric
        self.baseline = baseline
        self.run_one = run_one
        self.on_result = on_result
        self.result: TuneResult | None = None
        self._first = True
        self.controls: dict[str, Any] = {}
        self._readers: dict[str, Callable[[], Any]] = {}
        self.widget: Any = None
        #: The display ids of the controls' output and of the record's (set once displayed).
        self.display_ids: tuple[str, str] | None = None
        self.finished = False

    # -- running trials ----------------------------------------------------------------------

    def start(self) -> ManualSession:
        """Build the widgets and, with the baseline on, run the defaults as trial 0."""
        self._build()
        if self.baseline:
            self.run_trial(**self.space.defaults())
        else:
            self._first = False
        return self

    def current(self) -> dict[str, Any]:
        """The configuration the controls show (inactive parameters left out)."""
        return self.space.build(lambda p: self._readers[p.name]())

    def run_trial(self, **values: Any) -> TuneResult:
        """Run one trial with ``values`` (default: what the controls show) and return the result."""
        if values:
            params = self.space.build(lambda p: values[p.name] if p.name in values else self._readers[p.name]())
        else:
            params = self.current()
        self.space.validate(params)
        baseline = self._first and self.baseline
        self._first = False
        self.status.value = "running…"
        try:
            result = self.run_one(params, baseline)
        finally:
            self.status.value = ""
        self.result = result
        self.on_result(result)
        self._show_result()
        return result

    # -- widgets -----------------------------------------------------------------------------

    def _build(self) -> None:
        import ipywidgets as w

        for p in self.space:
            ctl, read = _control(p)
            self.controls[p.name] = ctl
            self._readers[p.name] = read
            ctl.observe(lambda _change: self._update_active(), names="value")
        self.button = w.Button(description="Run", button_style="primary", icon="play")
        self.button.on_click(lambda _b: self._clicked())
        self.finish_button = w.Button(
            description="Finish", icon="stop", tooltip="replace the controls by a static note; the record stays"
        )
        self.finish_button.on_click(lambda _b: self.finish())
        self.status = w.HTML()
        title = w.HTML(f"<b>hpmagic manual search</b> &middot; {self.direction} {escape(self.metric)}")
        self.widget = w.VBox([title, *self.controls.values(), w.HBox([self.button, self.finish_button, self.status])])
        self._update_active()

    def _update_active(self) -> None:
        active = set(self.current())
        for name, ctl in self.controls.items():
            ctl.disabled = name not in active

    def _clicked(self) -> None:
        self.button.disabled = True
        try:
            self.run_trial()
        except Exception as exc:  # noqa: BLE001 - a click has no cell to raise into: show it
            self.status.value = f"<span style='color:#b03030'>{escape(type(exc).__name__)}: {escape(str(exc))}</span>"
        finally:
            self.button.disabled = False

    # -- the record -----------------------------------------------------------------------------

    def record_html(self) -> str:
        """The static record of every trial so far: the summary (headline, top trials, the
        table of all trials, plots) as plain HTML, which stays in a saved notebook.  Its head
        counts the trials "so far" while the controls are live, and in the past tense ("4
        trials run") once the session is finished."""
        from .html import result_html

        n = 0 if self.result is None else len(self.result.trials)
        count = f"{plural(n, 'trial')} run" if self.finished else f"{plural(n, 'trial')} so far"
        head = (
            f"<p class='hpmagic-manual-head'><b>hpmagic manual search</b> &middot; {self.direction} "
            f"{escape(self.metric)} &middot; {escape(count)}</p>"
        )
        idle = "no trial was run" if self.finished else "<i>choose values and press Run</i>"
        body = f"<p>{idle}</p>" if self.result is None else result_html(self.result)
        return f"<div class='hpmagic-manual-record'>{head}{body}</div>"

    def _show_result(self) -> None:
        if self.display_ids is not None:
            from IPython.display import update_display

            update_display(self._record_bundle(), raw=True, display_id=self.display_ids[1])

    def _record_bundle(self) -> dict[str, str]:
        return {"text/html": self.record_html(), "text/plain": repr(self)}

    def finish(self) -> None:
        """End the session's controls: their output becomes a static note (a notebook saved
        afterwards holds no widget at all) and the widgets are closed.  The record stays, its
        head now saying how many trials were run; :meth:`run_trial` still runs trials from code (and
        the record counts them)."""
        if self.finished:
            return
        self.finished = True
        if self.display_ids is not None:
            from IPython.display import update_display

            n = 0 if self.result is None else len(self.result.trials)
            note = (
                f"<p class='hpmagic-manual-finished'>hpmagic manual search finished after "
                f"{escape(plural(n, 'trial'))}; the record of every trial is below.</p>"
            )
            update_display(
                {"text/html": note, "text/plain": "hpmagic manual search finished"},
                raw=True,
                display_id=self.display_ids[0],
            )
            self._show_result()  # the record's head: the final count, in the past tense
        self._close_widgets()

    def _close_widgets(self) -> None:
        for child in (*self.controls.values(), self.button, self.finish_button, self.status):
            child.close()
        self.widget.close()

    # -- display ----------------------------------------------------------------------------------

    def _ipython_display_(self) -> None:
        """Two outputs, each with a display id: the controls (a widget, with an HTML note for
        front ends without widgets) and the static record, which every run updates in place."""
        import uuid

        from IPython.display import display

        if self.display_ids is None:
            self.display_ids = (f"hpmagic-manual-{uuid.uuid4().hex}", f"hpmagic-manual-record-{uuid.uuid4().hex}")
            atexit.register(_finish_at_exit, weakref.ref(self))
        controls = self.widget._repr_mimebundle_() or {}
        controls["text/plain"] = repr(self)
        controls["text/html"] = (
            "<p class='hpmagic-manual-controls'>(the controls of an hpmagic manual search: "
            "live only while the kernel that drew them runs; the record below keeps every "
            "trial)</p>"
        )
        display(controls, raw=True, display_id=self.display_ids[0])
        display(self._record_bundle(), raw=True, display_id=self.display_ids[1])

    def __repr__(self) -> str:
        head = "hpmagic manual search (the controls show in a notebook; run trials with .run_trial(**values))"
        return head if self.result is None else head + "\n" + repr(self.result)
