"""Early stopping in everything the user sees: each state's colour and label in the plots,
the learning curves, the live panel, the summary's pruned counts and to_dataframe's columns.

Most tests build their trials by hand, so each case (a pruned trial, a rung, folds, a trial
without a curve) is exactly the one named; the last one runs a real ``%%tune --prune``
search through an IPython shell.
"""

from __future__ import annotations

import base64
import io
import math
import re

import comm
import matplotlib
import numpy as np
import pytest
from matplotlib.collections import LineCollection
from matplotlib.colors import to_hex, to_rgba
from matplotlib.figure import Figure

from hpmagic.cell.parser import parse_cell
from hpmagic.core import Direction, Trial, TrialState
from hpmagic.display import data, palette, plots
from hpmagic.display.html import result_html
from hpmagic.display.summary import resource_saved, summarize
from hpmagic.display.text import status_text
from hpmagic.display.widget import WidgetReporter
from hpmagic.protocols import Progress, SearchInfo
from hpmagic.result import TuneResult

from .conftest import run_tune
from .test_display import FakeClock, Handle, RecordingComm

matplotlib.use("Agg")

SPACE = parse_cell("x = 0.5  # tune: uniform(0, 1)\nx").space


def curve(*values: float, start: int = 1) -> tuple[tuple[float, float], ...]:
    return tuple((float(start + i), float(v)) for i, v in enumerate(values))


def asha(*rungs: tuple[float, str], kind: str = "curve") -> dict:
    return {"bracket": 0, "kind": kind, "rungs": [list(r) for r in rungs]}


def trials_of_every_state() -> tuple[Trial, ...]:
    """Trial 0 and 1 complete (1 the best), 2 pruned at step 1, 3 failed, 4 pruned at step 3,
    5 interrupted; the complete ones ran to step 9, past the rungs at 1 and 3."""
    full = asha((1, "promoted"), (3, "promoted"))
    return (
        Trial(
            0,
            {"x": 0.5},
            TrialState.COMPLETE,
            value=0.80,
            curve=curve(0.5, 0.7, 0.75, 0.78, 0.79, 0.8, 0.8, 0.8, 0.8),
            pruning={"kind": "curve", "rungs": [[1, "promoted"], [3, "promoted"]]},
        ),
        Trial(
            1,
            {"x": 0.3},
            TrialState.COMPLETE,
            value=0.95,
            curve=curve(0.6, 0.8, 0.9, 0.92, 0.93, 0.94, 0.95, 0.95, 0.95),
            pruning=full,
        ),
        Trial(
            2,
            {"x": 0.9},
            TrialState.PRUNED,
            curve=curve(0.1),
            pruning=asha((1, "pruned")),
            error="at rung 1 (step 1) its best value 0.1 ranked 3 of 3",
        ),
        Trial(
            3,
            {"x": 0.2},
            TrialState.FAILED,
            curve=curve(0.4, 0.5),
            pruning={"bracket": 0, "kind": "curve"},
            error="Traceback\nValueError: boom",
        ),
        Trial(
            4,
            {"x": 0.7},
            TrialState.PRUNED,
            curve=curve(0.3, 0.5, 0.6),
            pruning=asha((1, "promoted"), (3, "pruned")),
            error="at rung 3 (step 3) its best value 0.6 ranked 2 of 2",
        ),
        Trial(5, {"x": 0.4}, TrialState.INTERRUPTED, curve=curve(0.5, 0.6), pruning={"bracket": 0, "kind": "curve"}),
    )


def result_of(trials, **fields) -> TuneResult:
    fields.setdefault("direction", "maximize")
    return TuneResult(trials=tuple(trials), space=SPACE, strategy="random", elapsed=1.0, budget=len(trials), **fields)


# -- colours and labels -----------------------------------------------------------------------


def _contrast(colour: str, background: str) -> float:
    def luminance(c: str) -> float:
        rgb = [x / 12.92 if x <= 0.03928 else ((x + 0.055) / 1.055) ** 2.4 for x in to_rgba(c)[:3]]
        return 0.2126 * rgb[0] + 0.7152 * rgb[1] + 0.0722 * rgb[2]

    a, b = sorted((luminance(colour), luminance(background)), reverse=True)
    return (a + 0.05) / (b + 0.05)


def _blend(rgba, alpha: float) -> str:
    """A colour drawn at ``alpha`` over white, as the eye sees it."""
    return to_hex([alpha * c + (1 - alpha) for c in to_rgba(rgba)[:3]])


def test_each_state_has_its_own_colour_marker_and_label_readable_on_light_and_dark():
    styles = palette.STATE_STYLES
    assert set(styles) == set(TrialState)
    assert [styles[s].label for s in TrialState] == [s.value for s in TrialState]
    assert len({st.colour for st in styles.values()}) == len(styles)
    ended = [styles[s] for s in (TrialState.COMPLETE, *palette.ENDED)]
    assert len({st.marker for st in ended}) == len(ended)
    for colour in [st.colour for st in styles.values()] + [palette.BEST, palette.DEFAULTS]:
        # WCAG's 3:1 for graphics, on a white page and on a dark theme's background.
        assert _contrast(colour, "#ffffff") >= 3.0, colour
        assert _contrast(colour, "#111111") >= 3.0, colour
    assert palette.BEST not in {st.colour for st in styles.values()}


def _by_label(ax) -> dict:
    return {line.get_label(): line for line in ax.get_lines()}


def _assert_state_marks(ax, trials) -> None:
    """Failed, pruned and interrupted trials each as their own marks, colour and label."""
    lines = _by_label(ax)
    for state in palette.ENDED:
        st = palette.style(state)
        line = lines[st.label]
        assert to_hex(line.get_color()) == st.colour and line.get_marker() == st.marker
        assert list(line.get_xdata()) == [t.number for t in trials if t.state is state]
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert {"complete", "failed", "pruned", "interrupted"} <= set(legend)


def test_history_keeps_failed_pruned_and_interrupted_apart():
    r = result_of(trials_of_every_state())
    h = data.history(r)
    assert list(h.numbers) == [0, 1] and list(h.failed) == [3] and list(h.pruned) == [2, 4]
    assert list(h.interrupted) == [5]
    assert {s: list(v) for s, v in h.ended().items()} == {
        TrialState.FAILED: [3],
        TrialState.PRUNED: [2, 4],
        TrialState.INTERRUPTED: [5],
    }
    ax = r.plot_history(ax=Figure().add_subplot())
    _assert_state_marks(ax, r.trials)
    complete = _by_label(ax)["complete"]
    assert to_hex(complete.get_color()) == palette.style("complete").colour


def test_live_convergence_plot_marks_each_state():
    trials = list(trials_of_every_state())[::-1]  # finished out of order
    ax = Figure().add_subplot()
    plots.draw_live(ax, trials, Direction.MAXIMIZE, "accuracy")
    _assert_state_marks(ax, sorted(trials, key=lambda t: t.number))
    assert list(_by_label(ax)["complete"].get_xdata()) == [0, 1]


def test_live_convergence_plot_without_ended_trials_has_no_legend():
    ax = Figure().add_subplot()
    plots.draw_live(ax, [t for t in trials_of_every_state() if t.ok], "maximize", "accuracy")
    assert ax.get_legend() is None and set(_by_label(ax)) == {"complete", "best so far"}


# -- learning curves ----------------------------------------------------------------------------


def _collections(ax) -> dict[str, LineCollection]:
    """Each state's LineCollection, by the colour of its state."""
    by_colour = {st.colour: st.label for st in palette.STATE_STYLES.values()}
    return {by_colour[to_hex(c.get_edgecolor()[0])]: c for c in ax.collections if isinstance(c, LineCollection)}


def _legend(ax) -> list[str]:
    return [t.get_text() for t in ax.get_legend().get_texts()]


def test_plot_curves_complete_pruned_best_and_rungs():
    r = result_of(trials_of_every_state())
    fig = Figure()
    ax = r.plot_curves(ax=fig.add_subplot())
    assert ax.get_xlabel() == "step" and ax.get_title() == "learning curves"
    assert ax.get_ylabel() == "objective (higher is better)"
    groups = _collections(ax)
    assert set(groups) == {"complete", "pruned", "failed", "interrupted"}
    assert len(groups["complete"].get_segments()) == 2 and len(groups["pruned"].get_segments()) == 2
    pruned, complete = groups["pruned"], groups["complete"]
    # Pruned curves stay visible: above the complete ones, at least as wide, and their colour as
    # blended on white keeps WCAG's 3:1 for graphics.
    assert pruned.get_zorder() > complete.get_zorder() and pruned.get_linewidth()[0] >= complete.get_linewidth()[0]
    assert _contrast(_blend(pruned.get_edgecolor()[0], pruned.get_alpha()), "#ffffff") >= 3.0
    ends = [line for line in ax.get_lines() if line.get_marker() == "v"]
    assert len(ends) == 1 and to_hex(ends[0].get_color()) == palette.style("pruned").colour
    assert list(zip(ends[0].get_xdata(), ends[0].get_ydata())) == [(1.0, 0.1), (3.0, 0.6)]  # where they stopped
    best = _by_label(ax)["best (trial 1)"]
    assert to_hex(best.get_color()) == palette.BEST and list(best.get_ydata()) == [v for _, v in r.trials[1].curve]
    rungs = [
        line for line in ax.get_lines() if to_hex(line.get_color()) == palette.RUNG and len(set(line.get_xdata())) == 1
    ]
    assert sorted(line.get_xdata()[0] for line in rungs) == [1.0, 3.0]
    assert _legend(ax) == ["pruned (2)", "failed (1)", "interrupted (1)", "complete (2)", "best (trial 1)", "rungs"]
    fig.savefig(io.BytesIO(), format="png")


def test_plot_curves_without_rungs_draws_no_rung_lines():
    trials = [
        Trial(
            n, {"x": n / 10}, TrialState.COMPLETE, value=float(n), curve=curve(0, n / 2, n), pruning={"kind": "curve"}
        )
        for n in range(3)
    ]
    ax = result_of(trials).plot_curves(ax=Figure().add_subplot())
    assert "rungs" not in _legend(ax) and _legend(ax) == ["complete (3)", "best (trial 2)"]
    assert all(len(set(line.get_xdata())) > 1 for line in ax.get_lines() if line.get_linestyle() == "-")


def test_plot_curves_of_folds_says_fold():
    folds = [0.9, 0.95, 0.92, 0.97, 0.93]
    trials = [
        Trial(
            0,
            {"x": 0.5},
            TrialState.COMPLETE,
            value=float(np.mean(folds)),
            curve=curve(*folds),
            pruning={"kind": "fold"},
        ),
        Trial(1, {"x": 0.1}, TrialState.PRUNED, curve=curve(0.6, 0.7), pruning={"bracket": 0, "kind": "fold"}),
    ]
    r = result_of(trials)
    assert data.curves(r.trials, r.direction).kind == "fold"
    fig = Figure()
    ax = r.plot_curves(ax=fig.add_subplot())
    assert ax.get_xlabel() == "fold" and ax.get_title() == "fold scores"
    fig.savefig(io.BytesIO(), format="png")
    ticks = [t for t in ax.get_xticks() if ax.get_xlim()[0] <= t <= ax.get_xlim()[1]]
    assert all(float(t).is_integer() for t in ticks)
    assert _legend(ax) == ["pruned (1)", "complete (1)", "best (trial 0)"]


def test_plot_curves_without_any_curve_says_the_cell_never_reported():
    r = result_of([Trial(0, {"x": 0.5}, TrialState.COMPLETE, value=1.0), Trial(1, {"x": 0.2}, TrialState.FAILED)])
    ax = r.plot_curves(ax=Figure().add_subplot())
    texts = " ".join(t.get_text() for t in ax.texts)
    assert "never called" in texts and "hpmagic.report(value, step)" in texts
    assert not ax.axison and not ax.collections
    empty = result_of([])
    assert "never called" in " ".join(t.get_text() for t in empty.plot_curves(ax=Figure().add_subplot()).texts)


@pytest.mark.parametrize("points", [curve(0.7), curve(0.5, 0.6, 0.7)])
def test_plot_curves_of_one_trial(points):
    r = result_of([Trial(0, {"x": 0.5}, TrialState.COMPLETE, value=0.7, curve=points, pruning={"kind": "curve"})])
    fig = Figure()
    ax = r.plot_curves(ax=fig.add_subplot())
    best = _by_label(ax)["best (trial 0)"]
    assert best.get_marker() == "o" and list(best.get_xdata()) == [p[0] for p in points]  # one point still shows
    lo, hi = ax.get_xlim()
    assert lo <= points[0][0] <= hi and lo < hi
    fig.savefig(io.BytesIO(), format="png")


def test_plot_curves_uses_pyplot_without_an_axes():
    import matplotlib.pyplot as plt

    ax = result_of(trials_of_every_state()).plot_curves()
    assert ax.figure in [plt.figure(n) for n in plt.get_fignums()]
    plt.close("all")


def test_live_curves_highlight_running_trials():
    ax = Figure().add_subplot()
    plots.draw_live_curves(
        ax, list(trials_of_every_state()), "maximize", "accuracy", running={7: [(1.0, 0.5), (2.0, 0.7)]}
    )
    groups = _collections(ax)
    assert len(groups["running"].get_segments()) == 1
    assert groups["running"].get_linewidth()[0] > groups["complete"].get_linewidth()[0]
    assert "running (1)" in _legend(ax) and ax.get_ylabel() == "accuracy"


# -- the summary ---------------------------------------------------------------------------------


def test_summary_counts_pruned_trials_and_the_steps_they_saved():
    r = result_of(trials_of_every_state())
    s = summarize(r)
    assert s.pruned == 2 and s.state_counts == (("complete", 2), ("failed", 1), ("pruned", 2), ("interrupted", 1))
    # Counted: 2 complete (9 steps), 1 failed (2), 2 pruned (1 and 3) -> 24 of 45 steps run.
    assert s.pruning is not None and (s.pruning.stopped, s.pruning.trials, s.pruning.unit) == (2, 5, "steps")
    assert resource_saved(t for t in r.trials if t.state.counted) == pytest.approx(1 - 24 / 45)
    assert s.pruning.saved == "47%" and s.pruning.text == "2 of 5 trials stopped early; 47% of the steps were not run"
    assert [(t.number, t.last_step) for t in s.top] == [(1, "9"), (0, "9")] and s.step_name == "step"
    text = repr(r)
    assert "(2 complete, 1 failed, 2 pruned, 1 interrupted)" in text
    assert "  pruned: 2 of 5 trials stopped early; 47% of the steps were not run" in text
    assert "#1          0.95  x=0.3  (last step 9)" in text
    html = result_html(r, with_plots=False)
    assert "<span class='hpmagic-state state-pruned' data-state='pruned'>2 pruned</span>" in html
    assert "pruned</span>: 2 of 5 trials stopped early; 47% of the steps were not run" in html
    assert re.search(r"<th[^>]*>last step</th>", html) and re.search(r"<td[^>]*>9</td>", html)
    for state in ("complete", "failed", "pruned", "interrupted"):  # each count's dot has its state's colour
        assert f".state-{state}::before {{content: '\\25CF\\00A0'; color: {palette.style(state).colour}}}" in html


def test_summary_of_folds_speaks_of_folds():
    trials = [
        Trial(0, {"x": 0.5}, TrialState.COMPLETE, value=0.9, curve=curve(0.9, 0.9, 0.9, 0.9), pruning={"kind": "fold"}),
        Trial(1, {"x": 0.1}, TrialState.PRUNED, curve=curve(0.5), pruning={"bracket": 0, "kind": "fold"}),
    ]
    s = summarize(result_of(trials))
    assert s.pruning.text == "1 of 2 trials stopped early; 38% of the folds were not run" and s.step_name == "fold"
    assert "(last fold 4)" in repr(result_of(trials)) and re.search(
        r"<th[^>]*>last fold</th>", result_html(result_of(trials), False)
    )


def test_summary_without_pruning_says_nothing_of_it_but_shows_last_steps():
    trials = [
        Trial(n, {"x": n / 10}, TrialState.COMPLETE, value=float(n), curve=curve(0, n), pruning={"kind": "curve"})
        for n in range(3)
    ]
    s = summarize(result_of(trials))
    assert s.pruned == 0 and s.pruning is None and s.top[0].last_step == "2"
    assert "pruned:" not in repr(result_of(trials))
    # --prune on a cell that never reported: the pruning service's note says so, not a count.
    plain = [Trial(n, {"x": n / 10}, TrialState.COMPLETE, value=float(n), pruning={"bracket": 0}) for n in range(3)]
    s = summarize(result_of(plain))
    assert s.pruning is None and s.top[0].last_step == ""
    assert "last step" not in result_html(result_of(plain), False) and "(last step" not in repr(result_of(plain))


def test_html_summary_holds_the_curves_plot_only_when_there_are_curves():
    with_curves = result_html(result_of(trials_of_every_state()))
    assert 'alt="learning curves"' in with_curves
    alts = re.findall(r'alt="([^"]+)"', with_curves)
    assert alts[:2] == ["convergence", "learning curves"]
    plain = [Trial(n, {"x": n / 10}, TrialState.COMPLETE, value=float(n)) for n in range(5)]
    assert 'alt="learning curves"' not in result_html(result_of(plain)) and 'alt="convergence"' in result_html(
        result_of(plain)
    )


# -- to_dataframe -------------------------------------------------------------------------------


def test_to_dataframe_has_the_last_step_and_value_and_says_pruned():
    r = result_of(
        trials_of_every_state() + (Trial(6, {"x": 0.1}, TrialState.COMPLETE, value=0.5, metrics={"std": 0.1}),)
    )
    df = r.to_dataframe()
    assert list(df.columns) == [
        "state",
        "value",
        "duration",
        "param_x",
        "last_step",
        "last_value",
        "metric_std",
        "error",
    ]
    assert df.loc[2, "state"] == "pruned" and df.loc[4, "state"] == "pruned" and df.loc[5, "state"] == "interrupted"
    assert (df.loc[2, "last_step"], df.loc[2, "last_value"]) == (1.0, 0.1)
    assert (df.loc[4, "last_step"], df.loc[4, "last_value"]) == (3.0, 0.6)
    assert (df.loc[1, "last_step"], df.loc[1, "last_value"]) == (9.0, 0.95)
    assert math.isnan(df.loc[6, "last_step"]) and math.isnan(df.loc[6, "last_value"])  # it never reported
    assert math.isnan(df.loc[2, "value"]) and df.loc[2, "error"].startswith("at rung 1")
    assert df["last_step"].dtype == float and df["value"].dtype == float


# -- the live panel ----------------------------------------------------------------------------


def _progress(trials, total=40, running=0, status="running") -> Progress:
    done = [t for t in trials if t.ok]
    best = max(done, key=lambda t: t.value) if done else None
    return Progress(
        total=total,
        finished=len(trials),
        running=running,
        elapsed=31.0,
        status=status,
        trials=list(trials),
        failed=sum(1 for t in trials if t.state is TrialState.FAILED),
        best=best,
    )


def test_status_line_counts_pruned_and_interrupted_trials():
    trials = trials_of_every_state()
    line = status_text(_progress(trials, running=2))
    assert line.startswith("6/40 trials · 2 pruned · 2 running · 1 failed · 1 interrupted · best 0.95 (x=0.3) · 0:31")
    plain = status_text(_progress([t for t in trials if t.ok]))
    assert "pruned" not in plain and "interrupted" not in plain


def _png_size(png: bytes) -> tuple[int, int]:
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    return int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")


def test_live_panel_draws_the_curves_beside_the_convergence_plot(recorded):
    handles = []
    reporter = WidgetReporter(
        clock=FakeClock(),
        min_interval=0,
        plot_interval=0,
        plot_budget=1e9,
        tick=None,
        show=lambda panel: handles.append(Handle(panel)) or handles[-1],
    )
    reporter.start(SearchInfo(budget=40, direction=Direction.MAXIMIZE, metric="accuracy"))
    plain = [Trial(n, {"x": n / 10}, TrialState.COMPLETE, value=float(n)) for n in range(3)]
    reporter.update(_progress(plain))
    assert _png_size(reporter.plot_png) == (416, 208) and reporter.plot_width == 416
    reporter.update(_progress(trials_of_every_state()))  # the first curves: a second plot beside the first
    assert reporter.plot_draws == 2 and [_png_size(p) for p in reporter.plot_pngs] == [(416, 208)] * 2
    assert "2 pruned" in reporter.status_value
    reporter.close(_progress(trials_of_every_state(), status="done"), None)
    assert "6/40 trials · 2 pruned" in handles[0].updates[-1]["text/plain"]


def test_live_panel_draws_curves_before_two_trials_completed(recorded):
    reporter = WidgetReporter(
        clock=FakeClock(), min_interval=0, plot_interval=0, plot_budget=1e9, tick=None, show=lambda panel: Handle(panel)
    )
    reporter.start(SearchInfo(budget=40, direction=Direction.MAXIMIZE))
    reporter.update(_progress(trials_of_every_state()[2:3]))  # one pruned trial: a curve to see already
    assert len(reporter.plot_pngs) == 2  # the convergence plot and the curves


@pytest.fixture
def recorded(monkeypatch):
    RecordingComm.sent = []
    monkeypatch.setattr(comm, "create_comm", lambda *a, **k: RecordingComm(*a, **k))
    return RecordingComm.sent


# -- a real search ------------------------------------------------------------------------------

PRUNED_CELL = """
from hpmagic import report
x = 0.5  # tune: uniform(0, 1)
for epoch in range(1, 28):
    score = 1 - (x - 0.3) ** 2 - 1 / epoch
    report(score, epoch)
score
"""


def test_a_real_pruned_search_through_the_shell_shows_its_curves(ip):
    res = run_tune(ip, "-n 20 --maximize --prune --seed 0 -q -o found", PRUNED_CELL)
    assert res.success, res.error_in_exec
    result = ip.user_ns["found"]
    counts = result.counts()
    assert counts["pruned"] > 0 and counts["complete"] > 0 and counts["failed"] == 0
    assert {t.state for t in result.trials if t.state is not TrialState.COMPLETE} == {TrialState.PRUNED}
    html = result._repr_html_()
    images = dict(re.findall(r'alt="([^"]+)" src="data:image/png;base64,([A-Za-z0-9+/=]+)"', html))
    png = base64.b64decode(images["learning curves"])
    assert png.startswith(b"\x89PNG") and len(png) > 2000
    assert (
        f"{counts['pruned']} pruned</span>" in html
        and f"pruned</span>: {counts['pruned']} of 20 trials stopped early" in html
    )
    assert re.search(r"<th[^>]*>last step</th>", html)
    df = result.to_dataframe()
    assert (df["state"] == "pruned").sum() == counts["pruned"]
    assert (df.loc[df["state"] == "pruned", "last_step"] < 27).all() and (
        df.loc[df["state"] == "complete", "last_step"] == 27
    ).all()
    assert f"{counts['pruned']} of 20 trials stopped early" in repr(result)


# -- heavy pruning: the pruned trials in importance, slices and parallel coordinates -------------

HEAVY = parse_cell(
    "x = 0.5  # tune: uniform(0, 1)\nkind = 'a'  # tune: choice('a', 'b')\n"
    "width = 4  # tune: int(2, 6) if kind == 'b'\nx"
).space


def heavily_pruned(n: int = 30, complete: int = 3, comparable: bool = True, folds: bool = False) -> TuneResult:
    """``n`` trials of which the first ``complete`` completed at step 9 and the rest were pruned
    at step 1 to 3; each reported ``score(step)``, which the complete ones returned at the end
    (or, not ``comparable``, returned one minus it: an accuracy for a reported loss).  With
    ``folds``, the reports are 5 folds whose mean is the objective."""
    import random

    rng = random.Random(3)
    trials = []
    for i in range(n):
        params = HEAVY.defaults() if i == 0 else HEAVY.sample(rng)
        top = 9 if i < complete else 1 + i % 3
        score = [round(params["x"] * s / (s + 1), 6) for s in range(1, top + 1)]
        kind = "fold" if folds else "curve"
        points = tuple((float(s), v) for s, v in zip(range(1, top + 1), score))
        if i < complete:
            value = float(np.mean(score)) if folds else score[-1]
            trials.append(
                Trial(
                    i,
                    params,
                    TrialState.COMPLETE,
                    value=value if comparable else 1 - value,
                    curve=points,
                    pruning={"kind": kind},
                )
            )
        else:
            trials.append(Trial(i, params, TrialState.PRUNED, curve=points, pruning={"kind": kind, "bracket": 0}))
    return TuneResult(tuple(trials), HEAVY, direction="maximize", strategy="random", budget=n)


def _marks(ax) -> dict[str, list]:
    """The points of each kind a slice drew: complete dots and pruned marks, by colour and marker."""
    pruned = palette.style("pruned")
    out: dict[str, list] = {"complete": [], "pruned": [], "inactive pruned": []}
    for line in ax.get_lines():
        colour, marker = to_hex(line.get_color()), line.get_marker()
        if marker == "o" and colour == palette.style("complete").colour:
            out["complete"] += list(zip(line.get_xdata(), line.get_ydata()))
        elif marker == pruned.marker:
            key = "pruned" if colour == pruned.colour else "inactive pruned"
            out[key] += list(zip(line.get_xdata(), line.get_ydata()))
    return out


def test_with_most_trials_pruned_the_slices_show_them_at_their_last_report():
    r = heavily_pruned()
    pts = data.points(r)
    assert (pts.pruned, pts.caption) == (27, "27 pruned trials shown at their last report")
    fig = Figure()
    x_ax, width_ax = r.plot_slices(["x", "width"], ax=fig.subplots(1, 2))
    marks = _marks(x_ax)
    assert len(marks["complete"]) == 3 and len(marks["pruned"]) == 27
    last = {(t.params["x"], t.curve[-1][1]) for t in r.trials if t.state is TrialState.PRUNED}
    assert set(marks["pruned"]) == last  # each at the value of its last report
    legend = [t.get_text() for t in x_ax.get_legend().get_texts()]
    assert legend == ["complete", "pruned (27), at their last report"]
    w = _marks(width_ax)  # width applies only where kind == 'b': the others sit in the grey strip, still marked
    pruned_b = sum(1 for t in r.trials if t.state is TrialState.PRUNED and "width" in t.params)
    assert len(w["pruned"]) == pruned_b and len(w["inactive pruned"]) == 27 - pruned_b
    fig.savefig(io.BytesIO(), format="png")


def test_with_most_trials_pruned_importance_and_parallel_coordinates_use_them():
    r = heavily_pruned()
    imp = data.importance(r)
    assert (imp.trials, imp.pruned) == (30, 27) and list(imp.shares)[0] == "x"
    ax = plots.plot_importance(r, ax=Figure().add_subplot())
    assert ax.get_title() == "parameter importance (30 trials:\n27 pruned, at their last report)"
    p = data.parallel(r)
    assert len(p.values) == 30 and int(p.pruned.sum()) == 27
    fig = Figure()
    ax = plots.plot_parallel(r, ax=fig.add_subplot())
    dashed = [c for c in ax.collections if isinstance(c, LineCollection) and c.get_linestyle()[0][1] is not None]
    assert len(dashed) == 1 and len(dashed[0].get_segments()) == 27
    assert "pruned (27), at their last report" in [t.get_text() for t in ax.get_legend().get_texts()]
    html = result_html(r)
    assert (
        "<p class='muted hpmagic-caption'>27 pruned trials shown at their last report (▼) in parameter importance, "
        "the slices and parallel coordinates (dashed)"
    ) in html


def test_pruned_trials_stay_out_when_few_or_when_their_reports_are_not_the_objective():
    few = heavily_pruned(complete=16)  # 14 of 30 pruned: the complete ones say enough
    assert data.points(few) == data.Points(few.completed) and "hpmagic-caption" not in result_html(few, False)
    assert len(_marks(few.plot_slices(["x"], ax=Figure().add_subplot())[0])["pruned"]) == 0
    other = heavily_pruned(comparable=False)  # a loss reported, an accuracy returned
    pts = data.points(other)
    assert pts.pruned == 0 and pts.caption == (
        "27 pruned trials left out: what the cell reported is not the objective "
        "it returned, so the two cannot be compared"
    )
    assert data.importance(other).reason == "too few completed trials: 3, at least 8 are needed"
    assert "27 pruned trials left out" in result_html(other)


def test_pruned_folds_stand_in_at_the_mean_of_the_folds_they_ran():
    r = heavily_pruned(folds=True)
    pts = data.points(r)
    assert pts.caption == "27 pruned trials shown at the mean of the folds they ran"
    by = {t.number: t.value for t in pts.trials}
    pruned = next(t for t in r.trials if t.state is TrialState.PRUNED and len(t.curve) == 3)
    assert by[pruned.number] == pytest.approx(np.mean([v for _, v in pruned.curve]))


def test_a_real_heavily_pruned_search_shows_its_pruned_trials(ip):
    cell = PRUNED_CELL.replace(
        "x = 0.5  # tune: uniform(0, 1)\n", "x = 0.5  # tune: uniform(0, 1)\nlr = 0.01  # tune: loguniform(1e-4, 1)\n"
    )
    res = run_tune(ip, "-n 30 --maximize --prune asha -s random --seed 1 -q -o found", cell)
    assert res.success, res.error_in_exec
    found = ip.user_ns["found"]
    counts = found.counts()
    assert counts["pruned"] > counts["complete"] > 0, counts
    n = counts["pruned"]
    imp = data.importance(found)
    assert imp.pruned == n and imp.trials == len(found.trials)
    assert f"{n} pruned trials shown at their last report (▼)" in found._repr_html_()
