"""The live panel on real ipywidgets models, the text fallback and the static summary."""

from __future__ import annotations

import base64
import dataclasses
import io
import re
import subprocess
import sys
import time

import comm
import pytest

from hpmagic.api import TuneOptions, tune_cell
from hpmagic.display.reporter import make_reporter
from hpmagic.display.text import TextReporter
from hpmagic.display.widget import WidgetReporter
from hpmagic.errors import OptionError, TrialsFailedError
from tests.kernel import execute, running_kernel

from .shared import SharedList

CELL = """
x = 0.5    # tune: uniform(0, 1)
lr = 0.01  # tune: loguniform(1e-4, 1)
kind = "a" # tune: choice("a", "b")
(x - 0.3) ** 2 + (kind == "b") * 0.1
"""


class RecordingComm(comm.DummyComm):
    """A comm that keeps every message a widget sends to the front end."""

    sent: list[tuple[str, str, dict]] = []

    def publish_msg(self, msg_type, data=None, metadata=None, buffers=None, **keys):
        RecordingComm.sent.append((self.comm_id, msg_type, data or {}))


@pytest.fixture
def recorded(monkeypatch):
    RecordingComm.sent = []
    monkeypatch.setattr(comm, "create_comm", lambda *a, **k: RecordingComm(*a, **k))
    return RecordingComm.sent


class FakeClock:
    """Advances 1 ms per reading: the reporter sees a long search whatever the machine's speed."""

    def __init__(self):
        self.now = 0.0

    def __call__(self):
        self.now += 0.001
        return self.now


class Handle:
    """A display the panel made (``show``): its first bundle and every update, in order."""

    def __init__(self, panel):
        self.panel = panel
        self.updates = []

    def update(self, data, raw=False):
        self.updates.append(data)


def _run_widget(trials: int, **kwargs):
    handles = []
    reporter = WidgetReporter(
        clock=FakeClock(), show=lambda panel: handles.append(Handle(panel)) or handles[-1], **kwargs
    )
    result = tune_cell(CELL, {}, TuneOptions(trials=trials, seed=0, strategy="random"), reporter=reporter)
    return reporter, result, handles[0]


def _bar(html: str) -> tuple[int, int, str]:
    """The progress bar's value, maximum and state, read from the panel's HTML."""
    m = re.search(r"role='progressbar'[^>]*aria-valuemax='(\d+)' aria-valuenow='(\d+)' data-state='(\w+)'", html)
    assert m, html
    return int(m.group(2)), int(m.group(1)), m.group(3)


def test_panel_state_advances_and_ends_as_static_html(recorded):
    handles = []
    reporter = WidgetReporter(
        clock=FakeClock(), plot_interval=0.2, tick=None, show=lambda panel: handles.append(Handle(panel)) or handles[-1]
    )
    tune_cell(CELL, {}, TuneOptions(trials=400, seed=0, strategy="random"), reporter=reporter)
    status, plot = handles
    # The status output: static HTML from its first form on; the bar only grows while the
    # search runs; the final state (the total, done) replaces it at the end.
    assert set(status.panel) == {"text/html", "text/plain"} and status.panel["text/plain"] == "hpmagic: starting"
    states = [_bar(u["text/html"]) for u in status.updates[:-1]]
    values = [value for value, _, _ in states]
    assert len(values) >= 3
    assert values == sorted(values) and values[-1] > values[0] and {total for _, total, _ in states} == {400}
    assert {state for _, _, state in states} == {"running"}
    # The convergence plot joined the panel as a PNG output of its own at its first draw, and
    # is emptied at the end (the summary has the plots).
    assert reporter.plot_draws >= 1 and reporter.plot_png[:8] == b"\x89PNG\r\n\x1a\n"
    assert _pngs(plot.panel["text/html"].replace("'", '"'))[0][:8] == b"\x89PNG\r\n\x1a\n"
    assert "class='hpmagic-live-plot'" in plot.panel["text/html"] and plot.updates[-1] == {
        "text/html": "",
        "text/plain": "",
    }
    # No widget was ever opened: nothing can be left dead in a saved notebook.
    assert recorded == []
    assert all("application/vnd.jupyter.widget-view+json" not in b for h in handles for b in [h.panel, *h.updates])
    final = status.updates[-1]
    assert "400/400 trials" in final["text/plain"] and "data-state='done'" in final["text/html"]
    assert _bar(final["text/html"]) == (400, 400, "done") and reporter.final_html == final["text/html"]


def test_redraws_stay_under_a_fixed_rate(recorded):
    reporter, result, handle = _run_widget(3000)
    fake_seconds = reporter.clock.now
    # At most one status push per min_interval, plus one per plot drawn.
    assert reporter.updates <= (fake_seconds / reporter.min_interval + 1) + reporter.plot_draws
    assert reporter.plot_draws <= fake_seconds / reporter.plot_interval + 1
    assert len(handle.updates) == reporter.updates - max(reporter.plot_draws - 1, 0) + 1  # + the final state
    assert reporter.updates < 3000 / 20  # far fewer messages than trials


class SetClock:
    """A clock the test sets: the panel's timer sees time pass only when the test says so."""

    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


def _wait_for(condition, what: str):
    """Wait (for at most 30 s, however slow the machine) until ``condition()``."""
    import time

    deadline = time.monotonic() + 30
    while not condition():
        assert time.monotonic() < deadline, what
        time.sleep(0.01)


def test_a_change_dropped_by_the_rate_limit_is_shown_once_the_interval_has_passed(recorded):
    from hpmagic.protocols import Progress, SearchInfo

    clock, handles = SetClock(), []
    reporter = WidgetReporter(clock=clock, show=lambda p: handles.append(Handle(p)) or handles[-1], tick=1.0)
    reporter.start(SearchInfo(budget=10))
    try:
        clock.now = 1.0
        reporter.update(Progress(total=10, running=1, running_since={0: 0.0}, elapsed=1.0))
        assert handles[0].updates[-1]["text/plain"] == "hpmagic: 0/10 trials · trial 0 running for 0:01 · 0:01"
        clock.now = 1.1  # the second worker's trial starts too soon after: not pushed now
        reporter.update(Progress(total=10, running=2, running_since={0: 0.0, 1: 1.0}, elapsed=1.1))
        assert len(handles[0].updates) == 1
        clock.now = 1.4  # the interval has passed: the timer pushes the latest state
        _wait_for(lambda: "2 running" in handles[0].updates[-1]["text/plain"], "the trailing update never came")
        assert "2 running (trial 0 for 0:01, trial 1 for 0:00)" in handles[0].updates[-1]["text/plain"]
    finally:
        reporter.close(Progress(total=10, finished=10, status="done"), None)
    assert reporter._threads
    _wait_for(lambda: not any(thread.is_alive() for thread in reporter._threads), "a thread outlived the search")


def test_the_timer_moves_the_clocks_on_during_a_long_trial(recorded):
    from hpmagic.protocols import Progress, SearchInfo

    clock, handles = SetClock(), []
    reporter = WidgetReporter(clock=clock, show=lambda p: handles.append(Handle(p)) or handles[-1], tick=1.0)
    reporter.start(SearchInfo(budget=5))
    progress = Progress(total=5, running=1, running_since={0: 0.0}, baseline=True)
    try:
        clock.now = 0.3
        reporter.update(progress)
        assert handles[0].updates[-1]["text/plain"].endswith("trial 0 (the defaults) running for 0:00 · 0:00")
        clock.now = 7.5  # no change from the runner for 7 s: the panel still counts
        _wait_for(lambda: "running for 0:07" in handles[0].updates[-1]["text/plain"], "the clock stood still")
        assert (
            handles[0].updates[-1]["text/plain"]
            == "hpmagic: 0/5 trials · trial 0 (the defaults) running for 0:07 · 0:07"
        )
        assert progress.elapsed == 0.0  # the runner's object is read, never changed
    finally:
        reporter.close(Progress(total=5, finished=5, status="done"), None)


def test_time_left_counts_only_the_trials_this_run_finished():
    from hpmagic.protocols import Progress

    # A resumed study: 13 stored trials, then 2 of this run in 10 s; 5 to go at 5 s each.
    resumed = Progress(total=20, finished=15, resumed=13, elapsed=10.0, last_finish=10.0)
    assert resumed.remaining_seconds == pytest.approx(25.0)
    # 3 s into the next trial, 3 s less; a trial that overruns leaves the others' time.
    assert dataclasses.replace(resumed, elapsed=13.0, running=1).remaining_seconds == pytest.approx(22.0)
    assert dataclasses.replace(resumed, elapsed=60.0, running=1).remaining_seconds == pytest.approx(20.0)
    assert Progress(total=20, finished=13, resumed=13, elapsed=4.0).remaining_seconds is None


def test_a_resumed_study_does_not_count_its_stored_trials_as_instant(tmp_path):
    from hpmagic.protocols import Progress

    seen: list[Progress] = []

    class Recorder:
        def start(self, info): ...

        def update(self, progress):
            seen.append(dataclasses.replace(progress))

        def close(self, progress, result): ...

    opts = {"seed": 0, "strategy": "random", "study": "s", "storage": str(tmp_path / "s.sqlite")}
    tune_cell(CELL, {}, TuneOptions(trials=6, quiet=True, **opts))
    tune_cell(CELL, {}, TuneOptions(trials=9, display=Recorder(), **opts))
    assert {p.resumed for p in seen} == {6} and seen[-1].finished == 9
    assert all(p.remaining_seconds is None for p in seen if p.finished == 6)


def _fill(html: str) -> tuple[str, str]:
    """The bar's fill: its classes and its inline colour."""
    m = re.search(r"<span class='(hpmagic-fill[^']*)' style='[^']*background-color:(#[0-9a-f]{6})", html)
    assert m, html
    return m.group(1), m.group(2)


def test_bar_turns_red_when_the_first_trials_fail(recorded):
    from hpmagic.display.palette import THEME

    handles = []
    reporter = WidgetReporter(clock=FakeClock(), show=lambda p: handles.append(Handle(p)) or handles[-1])
    with pytest.raises(TrialsFailedError, match="all failed"):
        tune_cell(
            "x = 1.0  # tune: uniform(0, 1)\n1 / 0",
            {},
            TuneOptions(trials=10, seed=0, strategy="random"),
            reporter=reporter,
        )
    assert _bar(reporter.final_html)[2] == "failed"
    assert "data-state='failed'" in handles[0].updates[-1]["text/html"]
    assert _fill(reporter.final_html)[1] == THEME["bar-failed"].light == "#c62828"


def test_an_interrupt_ends_the_bar_in_the_stop_colour_not_the_failure_red(recorded):
    from hpmagic.core import TrialState
    from hpmagic.display.palette import STATE_STYLES, THEME

    handles = []
    reporter = WidgetReporter(clock=FakeClock(), show=lambda p: handles.append(Handle(p)) or handles[-1])
    ns = {"calls": SharedList()}
    cell = (  # the 4th trial presses the stop button (a KeyboardInterrupt the cell raises itself only fails its trial)
        "import os, signal, time\ncalls.append(1)\n"
        "if len(calls) == 4:\n    os.kill(os.getpid(), signal.SIGINT)\n    time.sleep(5)\n"
        "x = 1.0  # tune: uniform(0, 1)\nx"
    )
    result = tune_cell(cell, ns, TuneOptions(trials=10, seed=0), reporter=reporter)
    assert result.interrupted and _bar(reporter.final_html)[2] == "interrupted"
    assert "data-state='interrupted'" in handles[0].updates[-1]["text/html"]
    assert "interrupted" in handles[0].updates[-1]["text/plain"]
    # Teal, the interrupted trials' colour in the plots, in both themes; never the failure red.
    stop, failure = THEME["bar-interrupted"], THEME["bar-failed"]
    assert _fill(reporter.final_html)[1] == stop.light == STATE_STYLES[TrialState.INTERRUPTED].colour == "#2a9d8f"
    assert (
        ".hpmagic-status [data-state=interrupted] .hpmagic-fill {background-color: var(--hpmagic-bar-interrupted) "
        "!important}" in reporter.final_html
    )
    assert "--hpmagic-bar-interrupted: #4db6ac" in reporter.final_html  # the dark theme's
    assert {stop.light, stop.dark}.isdisjoint({failure.light, failure.dark})


def _pngs(html: str) -> list[bytes]:
    return [base64.b64decode(m) for m in re.findall(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"', html)]


def test_result_html_holds_the_png_plots():
    result = tune_cell(CELL, {}, TuneOptions(trials=25, seed=1, strategy="random", quiet=True))
    html = result._repr_html_()
    pngs = _pngs(html)
    # convergence, importance, one slice per parameter, parallel coordinates, the response over the top two
    assert len(pngs) == 4 + len(result.space)
    assert all(p.startswith(b"\x89PNG") and len(p) > 2000 for p in pngs)
    for text in (
        "vs defaults",
        "best",
        "default",
        "search space",
        "Top 10 trials",
        "strategy: random",
        "25 complete",
        'alt="convergence"',
        'alt="parameter importance"',
        'alt="parallel coordinates"',
    ):
        assert text in html, text


def test_result_html_without_completed_trials_has_no_plots():
    with pytest.raises(TrialsFailedError) as info:
        tune_cell("x = 1.0  # tune: uniform(0, 1)\n1 / 0", {}, TuneOptions(trials=5, quiet=True))
    html = info.value.result._repr_html_()
    assert "no trial completed" in html and "<img" not in html and "ZeroDivisionError" in html


def test_text_reporter_one_line_updated_in_place():
    stream = io.StringIO()
    reporter = TextReporter(stream=stream)
    result = tune_cell(CELL, {}, TuneOptions(trials=20, seed=0), reporter=reporter)
    out = stream.getvalue()
    assert out.count("\n") == 1 and out.endswith("\n")  # one line, redrawn with \r
    assert out.rstrip().split("\r")[-1].startswith("████") and "20/20 trials" in out and "done" in out
    assert "best objective" in repr(result)


def test_auto_is_text_outside_a_kernel():
    assert isinstance(make_reporter("auto"), TextReporter)
    assert isinstance(make_reporter("widget"), WidgetReporter)
    with pytest.raises(OptionError, match="unknown display"):
        make_reporter("fancy")


def test_import_hpmagic_stays_light():
    code = "import sys, hpmagic; print(sorted(m for m in ('matplotlib', 'ipywidgets') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_in_a_real_kernel_the_panel_is_replaced_by_the_summary(tmp_path):
    """Through a real ipykernel: the panel's outputs show, advance in place, and give way to
    static output; no widget is opened."""
    with running_kernel(tmp_path) as (_, kc):
        reply, _ = execute(kc, "%load_ext hpmagic")
        assert reply["status"] == "ok"
        # 60 trials of 30 ms: long enough for the convergence plot (first drawn after 1 s).
        reply, msgs = execute(
            kc, "%%tune -n 60 --seed 0\nimport time\nx = 0.5  # tune: uniform(0, 1)\ntime.sleep(0.03)\n(x - 0.2) ** 2"
        )
        assert reply["status"] == "ok"
    kinds = [m["msg_type"] for m in msgs]
    assert not {"comm_open", "comm_msg", "comm_close"} & set(kinds)
    shown = [m for m in msgs if m["msg_type"] == "display_data"]
    status_id, plot_id = (m["content"]["transient"]["display_id"] for m in shown)
    assert "hpmagic-status" in shown[0]["content"]["data"]["text/html"]
    assert "hpmagic-live-plot" in shown[1]["content"]["data"]["text/html"]
    updates = [m["content"] for m in msgs if m["msg_type"] == "update_display_data"]
    # Every message of the timer thread too belongs to the cell (its parent is the execute request).
    assert {m["parent_header"]["msg_id"] for m in msgs if "display" in m["msg_type"]} == {
        msgs[0]["parent_header"]["msg_id"]
    }
    values = [_bar(u["data"]["text/html"]) for u in updates if u["transient"]["display_id"] == status_id]
    numbers = [value for value, _, _ in values]  # (60, 60, "running") may come before the final (60, 60, "done")
    assert values[:-1] and numbers == sorted(numbers) and {state for _, _, state in values[:-1]} == {"running"}
    assert values[-1] == (60, 60, "done")
    final = [u for u in updates if u["transient"]["display_id"] == status_id][-1]
    assert "60/60 trials" in final["data"]["text/plain"]
    assert [u for u in updates if u["transient"]["display_id"] == plot_id][-1]["data"]["text/html"] == ""
    result = next(m for m in msgs if m["msg_type"] == "execute_result")
    assert len(_pngs(result["content"]["data"]["text/html"])) == 3  # one parameter: no parallel coordinates
    assert kinds.index("execute_result") > kinds.index("update_display_data")
    # While it runs, the panel carries the note a saved copy shows once it has stopped
    # updating, naming the Out[N] the result is stored under; the final bar does not.
    out = f"Out[{result['content']['execution_count']}]"
    assert f"run {out} in a cell for its result" in shown[0]["content"]["data"]["text/html"]
    assert "class='hpmagic-stale'" in updates[0]["data"]["text/html"]
    assert "class='hpmagic-stale'" not in final["data"]["text/html"]


def test_terminal_ipython_shows_a_progress_line_then_the_text_summary(ip, capsys):
    """In a shell without a widget front end: one line redrawn with \\r, then the result's text."""
    res = ip.run_cell("%%tune -n 15 --seed 0\nx = 0.5  # tune: uniform(0, 1)\n(x - 0.2) ** 2")
    assert res.success
    out = capsys.readouterr().out
    progress, _, rest = out.partition("\n")
    assert progress.startswith("\r") and "15/15 trials" in progress.split("\r")[-1] and "done" in progress
    assert "widget" not in out.lower()
    ip.displayhook(res.result)  # what the terminal prints as the cell's output
    shown = capsys.readouterr().out
    assert "hpmagic: best objective" in shown and "\n  objective over 15 trials" in shown
    assert (
        "\n  minimizing (the default: nothing in the cell says which way is better; --maximize if higher is better)\n"
        in shown
    )
    assert re.search(r"\n  x +\S+ +0\.5 +uniform\(0, 1\)\n", shown)  # the best value against the default


def test_a_running_panel_says_where_the_result_will_be_once_it_stops_updating():
    from hpmagic.display.html import STALE_AFTER, stale_note, status_html
    from hpmagic.display.widget import WidgetReporter
    from hpmagic.protocols import Progress, SearchInfo

    running, done = Progress(total=10, finished=3), Progress(total=10, finished=10, status="done")
    note = stale_note("Out[7]", None)
    # Both cases: the search has ended (the result is in Out[7]), the kernel was restarted.
    assert note == (
        "This panel stopped updating when the notebook was saved or the page reloaded while the search "
        "ran (or the kernel has been too busy to redraw it). If the search has ended, run Out[7] in a "
        "cell for its result; if the kernel was restarted, only a --study keeps a search."
    )
    assert stale_note("res", "svc").endswith(
        "If the search has ended, run res in a cell for its result; if the kernel "
        "was restarted, the study 'svc' keeps every trial on disk (hpmagic.load_study)."
    )
    assert "goes on" not in note and "goes on" not in stale_note("", "svc")
    html = status_html(running, "3/10 trials", note)
    # Hidden by an animation for STALE_AFTER seconds, started again by every redraw.
    assert "class='hpmagic-stale'" in html and f"hpmagic-live {STALE_AFTER}s step-end" in html
    assert "hpmagic-stale'" not in status_html(done, "10/10 trials", note)
    shown: list[dict] = []

    class Handle:
        def update(self, bundle, raw=True):
            shown.append(bundle)

    def show(bundle):
        shown.append(bundle)
        return Handle()

    panel = WidgetReporter(show=show, result_name="Out[7]", tick=None)
    panel.start(SearchInfo(budget=10))
    assert "hpmagic-stale'" not in shown[0]["text/html"]  # no timer, no redraws: the note would lie
    panel.close(done, None)
    timed = WidgetReporter(show=show, result_name="Out[7]", tick=60)
    timed.start(SearchInfo(budget=10, study="svc"))
    timed.close(done, None)
    assert "run Out[7] in a cell" in shown[2]["text/html"] and "study &#x27;svc&#x27;" in shown[2]["text/html"]
    assert "hpmagic-stale'" not in shown[-1]["text/html"]


def test_a_live_panel_looks_running_only_while_it_is_redrawn():
    """A live panel's inline look is the frozen one (a grey bar; no "running", no time left):
    what a saved copy shows, also where a sanitizer dropped the <style>.  The running look (the
    blue, the live words) is painted by animations that each redraw starts again, for
    STALE_AFTER seconds."""
    from hpmagic.display.html import STALE_AFTER, stale_note, status_html
    from hpmagic.display.palette import THEME
    from hpmagic.display.text import status_text
    from hpmagic.protocols import Progress

    progress = Progress(
        total=8, finished=3, running=1, running_since={3: 11.0}, elapsed=12.0, last_finish=11.0, best=_progress(4).best
    )
    line = status_text(progress)
    assert line == "3/8 trials · trial 3 running for 0:01 · best 1 (x=0.3) · 0:12, ~0:17 left"
    html = status_html(progress, line, stale_note("Out[6]", None))
    assert _fill(html) == ("hpmagic-fill hpmagic-redrawn", THEME["bar-frozen"].light)
    hidden = "<span class='hpmagic-while-live' style='visibility:hidden;font-size:0'>"
    assert (
        f"3/8 trials{hidden} · trial 3 running for 0:01</span> · best 1 (x=0.3) · 0:12{hidden}, ~0:17 left</span>"
        in html
    )
    assert (
        ".hpmagic-status [data-state=running] .hpmagic-fill.hpmagic-redrawn {background-color: "
        f"var(--hpmagic-bar-frozen) !important; animation: hpmagic-fill-live {STALE_AFTER}s step-end}}"
    ) in html
    assert (
        "@keyframes hpmagic-fill-live {from, to {background-image: linear-gradient(var(--hpmagic-bar-running), "
        "var(--hpmagic-bar-running))}}"
    ) in html
    assert (
        f".hpmagic-status .hpmagic-while-live {{animation: hpmagic-text-live {STALE_AFTER}s step-end}}" in html
        and "@keyframes hpmagic-text-live {from, to {visibility: visible; font-size: 1em}}" in html
    )
    # Without a note (no timer: nothing redraws it) and at the end, the bar is what it says.
    quiet = status_html(progress, line)
    assert _fill(quiet) == ("hpmagic-fill", THEME["bar-running"].light) and "hpmagic-while-live'" not in quiet
    assert f"<span class='hpmagic-line' style='flex:1 1 18em;min-width:0;overflow-wrap:anywhere'>{line}</span>" in quiet
    final = status_html(Progress(total=8, finished=8, status="done"), "8/8 trials · 0:30 · done")
    assert _fill(final) == ("hpmagic-fill", THEME["bar-done"].light) and "hpmagic-stale'" not in final


# -- the summary's view-model, and the reporters driven without a runner ----------------------


def _result(values: dict[int, float | None], **fields):
    """A result over one parameter; ``None`` values are failed trials."""
    from hpmagic.cell.parser import parse_cell
    from hpmagic.core import Trial, TrialState
    from hpmagic.result import TuneResult

    space = parse_cell("x = 0.5  # tune: uniform(0, 1)\nx").space
    trials = tuple(
        Trial(n, {"x": 0.5 if n == 0 else n / 10}, TrialState.COMPLETE, value=v)
        if v is not None
        else Trial(n, {"x": n / 10}, TrialState.FAILED, error="Traceback\nZeroDivisionError: boom")
        for n, v in values.items()
    )
    return TuneResult(trials=trials, space=space, strategy="random", elapsed=2.0, **fields)


@pytest.mark.parametrize(
    ("values", "direction", "verdict", "text", "html"),
    [
        ({0: 0.5, 1: 0.2}, "minimize", "better", "vs defaults 0.5: +0.3 better", "+0.3 better</span>"),
        (
            {0: 0.2, 1: 0.2},
            "minimize",
            "the defaults were best",
            "vs defaults 0.2: the defaults were best",
            "vs defaults 0.2: <span class='muted'>the defaults were best</span>",
        ),
        ({0: 0.2, 1: 0.5}, "maximize", "better", "vs defaults 0.2: +0.3 better", "class='gain'"),
        (
            {0: None, 1: 0.2},
            "minimize",
            "the defaults failed",
            "(the defaults failed: trial 0 failed)",
            "(the defaults failed: trial 0 failed)",
        ),
    ],
)
def test_summary_computes_the_verdict_once_and_both_forms_say_it(values, direction, verdict, text, html):
    from hpmagic.display.html import result_html
    from hpmagic.display.summary import summarize

    result = _result(values, direction=direction, seed=4, strategy_reason="why")
    s = summarize(result)
    assert s.headline.verdict == verdict and s.direction == direction and s.strategy_detail == " (seed 4): why"
    assert text in repr(result) and html in result_html(result, with_plots=False)
    for shown in (repr(result), result_html(result, with_plots=False)):
        assert "strategy: random (seed 4): why" in shown and "stopped: the trial budget was spent" in shown


def test_summary_rows_counts_and_first_failure():
    from hpmagic.display.summary import summarize

    result = _result({0: 0.3, 1: 0.1, 2: None, 3: 0.2}, stop_reason="interrupted", notes=("a note",))
    s = summarize(result)
    assert (s.headline.best, s.headline.trial, s.headline.baseline, s.headline.gain) == ("0.1", 1, "0.3", "+0.2")
    assert s.counts == "3 complete, 1 failed" and s.trials == 4 and s.elapsed == "2.0 s"
    assert [(r.name, r.best, r.default, r.space) for r in s.param_rows] == [("x", "0.1", "0.5", "uniform(0, 1)")]
    assert [t.number for t in s.top] == [1, 3, 0] and s.top[1].cells == ("0.3",) and s.best_params == "x=0.1"
    assert s.failure is not None and s.failure.number == 2 and s.failure.last_line == "ZeroDivisionError: boom"
    assert s.stopped.startswith("interrupted by the user") and s.notes == ("a note",)
    text = repr(result)
    assert "vs defaults 0.3: +0.2 better" in text and "first failure (trial 2): ZeroDivisionError: boom" in text
    assert "note: a note" in text and "#3           0.2  x=0.3" in text
    empty = summarize(_result({0: None}, has_baseline=False))
    assert empty.headline.best is None and empty.param_rows == () and empty.best_params is None
    assert "no trial completed" in repr(_result({0: None}))


def _progress(done: int, total: int = 10, status: str = "running"):
    from hpmagic.core import Trial, TrialState
    from hpmagic.protocols import Progress

    trials = [Trial(n, {"x": n / 10}, TrialState.COMPLETE, value=(n - 4) ** 2) for n in range(done)]
    best = min(trials, key=lambda t: t.value) if trials else None
    return Progress(total=total, finished=done, best=best, elapsed=float(done), status=status, trials=trials)


def test_text_reporter_driven_with_search_info_and_progress():
    from hpmagic.protocols import SearchInfo

    stream = io.StringIO()
    reporter = TextReporter(stream=stream, min_interval=0)
    reporter.start(SearchInfo(budget=10))
    for done in range(1, 11):
        reporter.update(_progress(done))
    reporter.close(_progress(10, status="done"), None)
    out = stream.getvalue()
    assert out.count("\n") == 1 and reporter.draws == 11
    assert out.rstrip().split("\r")[-1].startswith("█" * 20) and "10/10 trials" in out and "done" in out
    assert "best 0 (x=0.4)" in out


def test_before_the_first_trial_starts_the_panel_says_starting_with_its_clock():
    """Workers starting or a cluster connecting take time before any trial: the timer redraws
    "starting" with the time it has taken, so the panel is seen to be alive (and the note of a
    stopped panel stays hidden)."""
    from hpmagic.protocols import Progress, SearchInfo

    handles: list[Handle] = []
    panel = WidgetReporter(
        show=lambda bundle: handles.append(Handle(bundle)) or handles[-1],
        tick=0.05,
        min_interval=0.01,
        result_name="Out[3]",
    )
    panel.start(SearchInfo(budget=5))
    deadline = time.monotonic() + 20
    while not handles[0].updates and time.monotonic() < deadline:
        time.sleep(0.02)
    panel.close(Progress(total=5, finished=5, status="done"), None)
    first = handles[0].updates[0]["text/plain"]
    assert first.startswith("hpmagic: starting · 0:0"), first
    assert "class='hpmagic-stale'" in handles[0].updates[0]["text/html"]


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_text_reporter_on_a_terminal_moves_the_clock_on_during_a_slow_trial():
    """On a terminal the line is redrawn on a timer between updates (elapsed time and how long
    the running trial has run move on); into a file or pipe only on changes."""
    from hpmagic.protocols import Progress, SearchInfo

    running = Progress(total=4, running=1, running_since={0: 0.0}, baseline=True)
    for stream, ticking in ((_Terminal(), True), (io.StringIO(), False)):
        reporter = TextReporter(stream=stream, tick=0.05, min_interval=0.01)
        reporter.start(SearchInfo(budget=4))
        reporter.update(running)
        deadline = time.monotonic() + 20
        while ticking and "running for 0:01" not in stream.getvalue() and time.monotonic() < deadline:
            time.sleep(0.05)
        if not ticking:
            time.sleep(0.3)
        reporter.close(dataclasses.replace(running, finished=4, running=0, running_since={}, status="done"), None)
        out = stream.getvalue()
        assert ("trial 0 (the defaults) running for 0:01" in out) is ticking, out
        assert (reporter.draws > 3) is ticking and out.count("\n") == 1
        draws = reporter.draws
        time.sleep(0.2)
        assert reporter.draws == draws  # the timer stopped with the search


def test_widget_reporter_draws_the_live_plot_from_progress_trials(recorded):
    from hpmagic.core import Direction
    from hpmagic.protocols import SearchInfo

    handles = []
    reporter = WidgetReporter(
        clock=FakeClock(),
        min_interval=0,
        plot_interval=0,
        tick=None,
        show=lambda panel: handles.append(Handle(panel)) or handles[-1],
    )
    reporter.start(SearchInfo(budget=10, direction=Direction.MAXIMIZE, metric="accuracy"))
    reporter.update(_progress(1))  # one completed trial: nothing to plot yet
    assert reporter.plot_png is None and len(handles) == 1
    reporter.update(_progress(5))
    assert reporter.plot_draws == 1 and reporter.plot_png[:8] == b"\x89PNG\r\n\x1a\n" and len(handles) == 2
    reporter.close(_progress(10, status="done"), None)
    assert _bar(reporter.final_html) == (10, 10, "done") and "10/10 trials" in handles[0].updates[-1]["text/plain"]


def test_none_is_the_null_reporter():
    from hpmagic.protocols import NullReporter

    assert isinstance(make_reporter("none"), NullReporter)
    reporter = object()
    assert make_reporter(reporter) is reporter


def test_display_imports_neither_result_nor_runner_nor_api():
    """The result imports the display (lazily); the display reads results by duck typing."""
    import ast
    from pathlib import Path

    import hpmagic.display

    forbidden = {"hpmagic.result", "hpmagic.runner", "hpmagic.api", "hpmagic.magic"}
    found = []
    for path in Path(hpmagic.display.__file__).parent.glob("*.py"):
        tree = ast.parse(path.read_text())
        typing_only = {
            id(n)
            for node in ast.walk(tree)
            if isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING"
            for n in ast.walk(node)
        }
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and id(node) not in typing_only:
                base = "hpmagic.display" if node.level == 1 else "hpmagic" if node.level == 2 else ""
                module = ".".join(filter(None, [base, node.module or ""])) if node.level else node.module
                if module in forbidden or any(f"{module}.{a.name}" in forbidden for a in node.names):
                    found.append(f"{path.name}:{node.lineno} {module}")
            elif isinstance(node, ast.Import) and id(node) not in typing_only:
                found += [f"{path.name}:{node.lineno} {a.name}" for a in node.names if a.name in forbidden]
    assert found == []


def _luminance(colour: str) -> float:
    channels = [int(colour.lstrip("#")[i : i + 2], 16) / 255 for i in (0, 2, 4)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def _contrast(a: str, b: str) -> float:
    high, low = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_theme_colours_reach_the_contrast_minimum_on_light_and_dark_backgrounds():
    from hpmagic.display.palette import DARK_BACKGROUNDS, LIGHT_BACKGROUNDS, THEME, theme_css

    assert _contrast("#000000", "#ffffff") == pytest.approx(21)  # the formula is WCAG's
    low = [
        (name, theme, bg, round(_contrast(colour, bg), 2))
        for name, c in THEME.items()
        for theme, colour, backgrounds in (("light", c.light, LIGHT_BACKGROUNDS), ("dark", c.dark, DARK_BACKGROUNDS))
        for bg in backgrounds
        if _contrast(colour, bg) < c.minimum_contrast
    ]
    assert low == []
    css = theme_css(".a, .b")
    assert css.startswith(".a, .b {--hpmagic-gain: #1a7f37;") and 'body[data-jp-theme-light="false"] .b,' in css
    assert css.count(THEME["loss"].dark) == 1


def test_the_live_plot_has_whole_trial_numbers_and_no_point_cut_by_the_frame(recorded, monkeypatch):
    from hpmagic.core import Direction
    from hpmagic.display import plots
    from hpmagic.protocols import SearchInfo

    figures, render = [], plots.png
    monkeypatch.setattr(plots, "png", lambda fig, **kw: figures.append(fig) or render(fig, **kw))
    reporter = WidgetReporter(clock=FakeClock(), min_interval=0, plot_interval=0, tick=None, show=Handle)
    reporter.start(SearchInfo(budget=10, direction=Direction.MINIMIZE))
    reporter.update(_progress(3))  # three trials: matplotlib alone would tick 0, 0.25, 0.5, ...
    [ax] = [fig for fig in figures if fig.get_figwidth() > 2][0].axes  # not the warm-up's
    ticks = [t for t in ax.get_xticks() if ax.get_xlim()[0] <= t <= ax.get_xlim()[1]]
    assert ticks and all(float(t).is_integer() for t in ticks)
    assert ax.get_xlim()[0] < 0 and ax.get_xlim()[1] > 2  # room for the first and the last point
    assert ax.lines and not any(line.get_clip_on() for line in ax.lines)
    reporter.close(_progress(3, status="done"), None)


# -- the live plot: when it is drawn, and how -------------------------------------------------


def test_the_draw_budget_forgives_the_cold_first_draw_and_follows_the_median():
    from hpmagic.display.widget import DrawBudget

    budget = DrawBudget(start=0.0, interval=1.0, share=0.05, window=5)
    assert budget.due() == 1.0  # the first plot: one interval after the start
    budget.record(1.5, 2.5)  # the cold first draw, 1.5 s: not charged (it once meant 30 s to the next)
    assert budget.due() == 3.5 and budget.due(new_best=True) == 3.5
    budget.record(0.1, 3.6)  # 0.1 s: 5% of the wall time is one draw every 2 s
    assert budget.gap() == pytest.approx(2.0) and budget.gap(new_best=True) == pytest.approx(1.0)
    for seconds in (0.1, 0.1, 3.0, 0.1):  # one slow draw among fast ones does not starve the next
        budget.record(seconds, 10.0 + seconds)
    assert list(budget.times) == pytest.approx([0.1, 0.1, 0.1, 3.0, 0.1])
    assert budget.gap() == pytest.approx(2.0) and budget.due() == pytest.approx(12.1)
    for _ in range(3):  # slow draws for a while: the budget follows them
        budget.record(0.4, 20.4)
    assert budget.gap() == pytest.approx(8.0) and budget.gap(new_best=True) == pytest.approx(4.0)
    for end in (30.0, 40.0, 50.0):  # fast again: the slow ones leave the window
        budget.record(0.01, end)
    assert budget.gap() == pytest.approx(1.0)


def test_a_slow_first_draw_does_not_hold_the_plot_back(recorded, monkeypatch):
    """The first draw took 1.5 s of the injected clock: the plot is drawn again one interval
    later, as soon as a trial finished, not 30 s later."""
    from hpmagic.display import plots
    from hpmagic.protocols import SearchInfo

    clock, render = SetClock(), plots.png

    def png(fig, **kwargs):
        if reporter.plot_draws == 0 and fig.get_figwidth() > 2:  # the first real draw, not the warm-up
            clock.now += 1.5
        return render(fig, **kwargs)

    monkeypatch.setattr(plots, "png", png)
    reporter = WidgetReporter(clock=clock, cost_clock=clock, min_interval=0, tick=None, show=Handle)
    reporter.start(SearchInfo(budget=40))
    clock.now = 1.0
    reporter.update(_progress(2))
    assert reporter.plot_draws == 1 and clock.now == 2.5
    clock.now = 3.0
    reporter.update(_progress(3))  # within one interval of the last draw's end: not yet
    assert reporter.plot_draws == 1
    clock.now = 3.6
    reporter.update(_progress(4))
    assert reporter.plot_draws == 2
    reporter.close(_progress(4, status="done"), None)


def test_a_draw_is_charged_its_cpu_time_not_the_wall_time(recorded, monkeypatch):
    """On a loaded machine a draw waits for a core: that wait costs the search nothing and is
    not charged (here a draw that sleeps 1 s)."""
    from hpmagic.display import plots
    from hpmagic.protocols import SearchInfo

    render = plots.png

    def png(fig, **kwargs):
        if fig.get_figwidth() > 2:
            time.sleep(0.5)
        return render(fig, **kwargs)

    monkeypatch.setattr(plots, "png", png)
    reporter = WidgetReporter(min_interval=0, plot_interval=0, tick=None, show=Handle)
    reporter.start(SearchInfo(budget=40))
    reporter.update(_progress(2))  # the first draw: never charged
    start = time.monotonic()
    reporter.update(_progress(3))
    wall = time.monotonic() - start
    assert reporter.plot_draws == 2 and len(reporter.budget.times) == 1
    assert wall - reporter.budget.times[0] >= 0.45  # the sleep is not in the cost
    reporter.close(_progress(3, status="done"), None)


def _clocks(handle: Handle) -> list[int]:
    """The elapsed time (seconds) of each status line the handle was sent."""
    found = [re.search(r" · (\d+):(\d\d)(?:, ~[\d:]+ left)?$", u["text/plain"]) for u in handle.updates]
    return [int(m.group(1)) * 60 + int(m.group(2)) for m in found if m]


def test_the_clock_shown_never_goes_back(recorded):
    """An update the runner made before the timer's last refresh (its elapsed time is older)
    does not move the clock back."""
    from hpmagic.protocols import Progress, SearchInfo

    clock, handles = SetClock(), []
    reporter = WidgetReporter(
        clock=clock, show=lambda p: handles.append(Handle(p)) or handles[-1], tick=0.05, min_interval=0.01
    )
    reporter.start(SearchInfo(budget=10))
    try:
        clock.now = 1.0
        reporter.update(Progress(total=10, running=1, running_since={0: 0.0}, elapsed=1.0))
        clock.now = 12.5  # the timer moves the clock on: 0:12
        _wait_for(lambda: handles[0].updates[-1]["text/plain"].endswith("· 0:12"), "the timer never refreshed")
        clock.now = 12.6  # the runner's update, computed at 11.9 and delivered late
        reporter.update(
            Progress(total=10, finished=1, running=1, running_since={1: 11.9}, elapsed=11.9, last_finish=11.9)
        )
        assert handles[0].updates[-1]["text/plain"].startswith("hpmagic: 1/10 trials")
        assert _clocks(handles[0]) == sorted(_clocks(handles[0])) and _clocks(handles[0])[-1] == 12
    finally:
        reporter.close(Progress(total=10, finished=10, status="done"), None)


def test_the_status_line_never_waits_for_a_draw(recorded, monkeypatch):
    """While the plotter is stuck in a draw, the runner's updates are shown at once and the
    timer goes on moving the clock."""
    import threading

    from hpmagic.display import plots
    from hpmagic.protocols import SearchInfo

    drawing, release, render = threading.Event(), threading.Event(), plots.png

    def png(fig, **kwargs):
        if fig.get_figwidth() > 2:  # a real draw, not the warm-up
            drawing.set()
            release.wait(60)
        return render(fig, **kwargs)

    monkeypatch.setattr(plots, "png", png)
    handles: list[Handle] = []
    reporter = WidgetReporter(
        show=lambda p: handles.append(Handle(p)) or handles[-1], tick=0.05, min_interval=0.01, plot_interval=0.05
    )
    reporter.start(SearchInfo(budget=10))
    try:
        reporter.update(_progress(3))
        _wait_for(drawing.is_set, "the plotter never drew")
        updated = threading.Thread(target=reporter.update, args=(_progress(4),), daemon=True)
        updated.start()
        updated.join(30)
        assert not updated.is_alive() and not release.is_set()
        _wait_for(lambda: "4/10 trials" in handles[0].updates[-1]["text/plain"], "the update waited for the draw")
        _wait_for(lambda: _clocks(handles[0])[-1] >= 5, "the clock stood still during the draw")
        assert reporter.plot_draws == 0 and len(handles) == 1  # the draw is still stuck
    finally:
        release.set()
        reporter.close(_progress(4, status="done"), None)


def test_the_live_plots_are_transparent_and_wrap_one_image_each(recorded):
    """Ink on nothing (the theme's background shows through; a dark theme turns the ink light),
    on white where no <style> applies; one image per plot, in a row that wraps."""
    import matplotlib.image

    from hpmagic.display.palette import DARK_SELECTORS
    from hpmagic.protocols import SearchInfo

    handles: list[Handle] = []
    reporter = WidgetReporter(
        clock=FakeClock(),
        min_interval=0,
        plot_interval=0,
        tick=None,
        show=lambda p: handles.append(Handle(p)) or handles[-1],
    )
    reporter.start(SearchInfo(budget=10))
    reporter.update(_progress(3))
    html = handles[1].panel["text/html"]
    assert html.count("<img ") == 1 and "data-trials='3' data-best='4'" in html  # what the plot shows
    curved = [dataclasses.replace(t, curve=((1.0, t.value + 1), (2.0, t.value))) for t in _progress(4).trials]
    reporter.update(dataclasses.replace(_progress(4), trials=curved))
    html = handles[1].updates[-1]["text/html"]
    assert html.count("<img ") == 2 and "alt='the learning curves so far'" in html
    assert "<div class='hpmagic-live-plots' data-trials='4' data-best='1' style='display:flex;flex-wrap:wrap;" in html
    assert html.count("style='max-width:100%;height:auto;background:#ffffff'") == 2 and html.count("width='416'") == 2
    assert ".hpmagic-live-plots img.hpmagic-live-plot {background: transparent !important}" in html
    assert all(f"{theme} .hpmagic-live-plots img.hpmagic-live-plot" in html for theme in DARK_SELECTORS)
    assert "img.hpmagic-live-plot {filter: invert(1) hue-rotate(180deg)}" in html
    for png in _pngs(html.replace("'", '"')):
        pixels = matplotlib.image.imread(io.BytesIO(png))
        assert pixels.shape == (208, 416, 4)
        assert pixels[0, 0, 3] == 0 and pixels[100, 200, 3] == 0  # a corner, the plot area: nothing
        assert (pixels[..., 3] > 0.9).mean() > 0.005  # and ink
    reporter.close(_progress(4, status="done"), None)


def test_a_single_trial_stands_at_its_number_on_the_live_plot(recorded, monkeypatch):
    """The learning curves bring the plot before a second trial finished: the convergence
    plot's trial axis then shows that trial's number, not ticks of -0.045 to 0.045."""
    from hpmagic.display import plots
    from hpmagic.protocols import SearchInfo

    figures, render = [], plots.png
    monkeypatch.setattr(plots, "png", lambda fig, **kw: figures.append(fig) or render(fig, **kw))
    reporter = WidgetReporter(clock=FakeClock(), min_interval=0, plot_interval=0, tick=None, show=Handle)
    reporter.start(SearchInfo(budget=10))
    first = _progress(1)
    reporter.update(dataclasses.replace(first, trials=[dataclasses.replace(first.trials[0], curve=((1.0, 3.0),))]))
    ax = figures[-2].axes[0]  # the convergence plot, then the curves
    assert len(figures[-1].axes) == 1 and figures[-1].axes[0].get_xlabel() == "step"
    ticks = [t for t in ax.get_xticks() if ax.get_xlim()[0] <= t <= ax.get_xlim()[1]]
    assert ticks == [0] and ax.get_xlim() == (-0.5, 0.5)
    reporter.close(_progress(1, status="done"), None)


def test_a_live_plot_that_cannot_be_drawn_says_so_and_the_search_goes_on(recorded, monkeypatch):
    from hpmagic.display import plots

    def broken(*args, **kwargs):
        raise ValueError("no room on the axis")

    monkeypatch.setattr(plots, "draw_live", broken)
    handles: list[Handle] = []
    reporter = WidgetReporter(
        clock=FakeClock(),
        min_interval=0,
        plot_interval=0,
        tick=None,
        show=lambda p: handles.append(Handle(p)) or handles[-1],
    )
    result = tune_cell(CELL, {}, TuneOptions(trials=20, seed=0, strategy="random"), reporter=reporter)
    assert len(result.trials) == 20 and reporter.plot_error == "ValueError: no room on the axis"
    status, plot = handles
    assert plot.panel["text/html"] == (
        "<p class='hpmagic-live-plots' style='font-size:12px'>(the live plot could not "
        "be drawn: ValueError: no room on the axis; the search goes on)</p>"
    )
    assert plot.panel["text/plain"] == "hpmagic: the live plot could not be drawn" and reporter.plot_draws == 0
    assert plot.updates == [{"text/html": "", "text/plain": ""}]  # tried once, removed at the end
    assert "20/20 trials" in status.updates[-1]["text/plain"]
