"""--strategy manual: controls on the parameters' scales, a Run button, one trial per click."""

from __future__ import annotations

import ipywidgets as w
import pytest

from hpmagic.display.summary import Verdict, summarize
from hpmagic.display.text import headline_text
from tests.conftest import run_tune
from tests.kernel import execute, running_kernel

from .shared import SharedList

CELL = """\
C = 1.0        # tune: loguniform(1e-3, 1e3)
kernel = "rbf" # tune: choice("rbf", "poly")
degree = 3     # tune: int(2, 5) if kernel == "poly"
n = 10         # tune: logint(1, 1000)
frac = 0.5     # tune: uniform(0, 1, step=0.1)
calls.append(dict(C=C, kernel=kernel, n=n, frac=frac))
C + degree * (kernel == "poly") + frac
"""


def test_controls_run_button_and_trials(ip):
    ip.user_ns["calls"] = SharedList()
    res = run_tune(ip, "--strategy manual --maximize -o best", CELL)
    assert res.success
    session = res.result
    # Trial 0 ran the defaults when the cell ran.
    assert ip.user_ns["calls"] == [dict(C=1.0, kernel="rbf", n=10, frac=0.5)]
    assert len(session.result.trials) == 1 and ip.user_ns["best"] is session.result
    c = session.controls
    assert isinstance(c["C"], w.FloatLogSlider) and c["C"].min == pytest.approx(-3) and c["C"].max == pytest.approx(3)
    assert isinstance(c["kernel"], w.Dropdown) and isinstance(c["degree"], w.IntSlider)
    assert isinstance(c["n"], w.SelectionSlider) and isinstance(c["frac"], w.FloatSlider)
    assert c["degree"].disabled  # kernel == "rbf": degree does not apply
    c["kernel"].value = 1  # "poly"
    assert not c["degree"].disabled
    c["C"].value = 100.0
    c["degree"].value = 4
    c["frac"].value = 0.73  # snapped to the step
    session.button.click()
    assert ip.user_ns["calls"][-1] == dict(C=100.0, kernel="poly", n=10, frac=pytest.approx(0.7))
    result = session.result
    assert [t.number for t in result.trials] == [0, 1]
    assert result.best_trial.number == 1 and result.best_value == pytest.approx(104.7)
    headline = summarize(result).headline
    assert (
        result.baseline.number == 0 and headline.verdict is Verdict.BETTER and "vs defaults" in headline_text(headline)
    )
    # The namespace holds the best values and -o is rebound to the latest result.
    assert ip.user_ns["C"] == 100.0 and ip.user_ns["degree"] == 4 and ip.user_ns["best"] is result
    assert session.record_html().count("<img") >= 3 and "2 trials so far" in session.record_html()
    assert "manual search" in repr(session)


def test_a_failing_click_is_shown_not_raised(ip):
    ip.user_ns["calls"] = SharedList()
    session = run_tune(ip, "--strategy manual", "x = 1.0  # tune: uniform(0, 2)\n1 / (x - 0.5)").result
    session.controls["x"].value = 0.5
    session.button.click()
    assert session.result.trials[-1].state == "failed"
    assert "ZeroDivisionError" in session.record_html()
    assert not session.button.disabled


def test_manual_with_jobs_is_a_clear_error(ip):
    res = run_tune(ip, "--strategy manual --jobs 2", "x = 1.0  # tune: uniform(0, 2)\nx")
    assert not res.success
    assert "--strategy manual runs one trial per click" in str(res.error_in_exec)
    # refused before any worker process was started (none is left behind)
    import psutil

    assert not [
        p for p in psutil.Process().children(recursive=True) if "hpmagic.parallel.worker" in " ".join(p.cmdline())
    ]


def test_run_from_code_and_no_baseline(ip):
    session = run_tune(ip, "--strategy manual --no-baseline", "x = 1.0  # tune: uniform(0, 2)\nx").result
    assert session.result is None
    r = session.run_trial(x=0.25)
    assert [t.params for t in r.trials] == [{"x": 0.25}] and r.baseline is None


def test_clicks_are_served_by_an_idle_kernel(tmp_path):
    """After the cell returned, a front end's click (a comm message) runs a trial."""
    with running_kernel(tmp_path) as (_, kc):
        execute(kc, "%load_ext hpmagic")
        reply, msgs = execute(kc, "%%tune --strategy manual -o res\nx = 1.0  # tune: uniform(0, 2)\n(x - 1.5) ** 2")
        assert reply["status"] == "ok"
        models = {
            m["content"]["data"]["state"]["_model_name"] + m["content"]["data"]["state"].get("description", ""): m[
                "content"
            ]["comm_id"]
            for m in msgs
            if m["msg_type"] == "comm_open"
        }
        # Two outputs with display ids: the controls (a widget with an HTML note) and the record.
        shown = [m["content"] for m in msgs if m["msg_type"] == "display_data"]
        assert not [m for m in msgs if m["msg_type"] == "execute_result"] and len(shown) == 2
        controls, record = shown
        assert "application/vnd.jupyter.widget-view+json" in controls["data"] and "text/html" in controls["data"]
        assert "application/vnd.jupyter.widget-view+json" not in record["data"]
        assert "1 trial so far" in record["data"]["text/html"] and "hpmagic-result" in record["data"]["text/html"]
        ids = controls["transient"]["display_id"], record["transient"]["display_id"]
        assert ids[0] != ids[1]

        def comm_msg(comm_id, data):
            msg = kc.session.msg("comm_msg", {"comm_id": comm_id, "data": data})
            kc.shell_channel.send(msg)
            return msg["header"]["msg_id"]

        def iopub_of(msg_id):
            seen = []
            while not seen or seen[-1]["msg_type"] != "status" or seen[-1]["content"]["execution_state"] != "idle":
                msg = kc.get_iopub_msg(timeout=60)
                if msg["parent_header"].get("msg_id") == msg_id:
                    seen.append(msg)
            return seen

        comm_msg(models["FloatSliderModelx"], {"method": "update", "state": {"value": 1.5}, "buffer_paths": []})
        click = iopub_of(comm_msg(models["ButtonModelRun"], {"method": "custom", "content": {"event": "click"}}))
        updates = [m["content"] for m in click if m["msg_type"] == "update_display_data"]
        # The click replaced the record in place (its display id), with both trials.
        assert [u["transient"]["display_id"] for u in updates] == [ids[1]]
        assert "2 trials so far" in updates[0]["data"]["text/html"]
        reply, msgs = execute(kc, "print(len(res.trials), res.best_params, x)")
        assert reply["status"] == "ok"
        out = "".join(m["content"]["text"] for m in msgs if m["msg_type"] == "stream")
        assert out.strip() == "2 {'x': 1.5} 1.5"
        # Finish: the controls' output becomes a static note; the record keeps every trial and
        # counts them in the past tense.
        finish = iopub_of(comm_msg(models["ButtonModelFinish"], {"method": "custom", "content": {"event": "click"}}))
        updates = [m["content"] for m in finish if m["msg_type"] == "update_display_data"]
        assert [u["transient"]["display_id"] for u in updates] == [ids[0], ids[1]]
        assert set(updates[0]["data"]) == {"text/html", "text/plain"} and "2 trials" in updates[0]["data"]["text/html"]
        head = updates[1]["data"]["text/html"].split("</p>", 1)[0]
        assert head.endswith("&middot; 2 trials run") and "so far" not in updates[1]["data"]["text/html"]
        assert "hpmagic-result" in updates[1]["data"]["text/html"]
        assert any(m["msg_type"] == "comm_close" for m in finish)  # the widgets are closed


def test_session_runs_through_the_callables_it_is_given():
    """The session alone, without the magic: each run is one call of run_one, then on_result."""
    from hpmagic.cell.parser import parse_cell
    from hpmagic.core import Direction, Trial, TrialState
    from hpmagic.display.manual import ManualSession
    from hpmagic.result import TuneResult

    space = parse_cell(CELL.replace("calls.append(dict(C=C, kernel=kernel, n=n, frac=frac))\n", "")).space
    calls, seen, trials = [], [], []

    def run_one(params, baseline):
        calls.append((params, baseline))
        value = params["C"] + params["frac"]
        trials.append(Trial(len(trials), params, TrialState.COMPLETE, value=value))
        return TuneResult(
            trials=tuple(trials),
            space=space,
            direction="maximize",
            stop_reason="manual",
            budget=len(trials),
            strategy="manual",
        )

    session = ManualSession(
        space, direction=Direction.MAXIMIZE, metric="score", baseline=True, run_one=run_one, on_result=seen.append
    ).start()
    assert calls == [(space.defaults(), True)] and seen == [session.result]
    assert "maximize score" in session.widget.children[0].value
    record = session.record_html()
    assert "1 trial so far" in record and "<table" in record and "The one trial" in record
    session.controls["C"].value = 10.0
    session.button.click()
    assert calls[-1] == (dict(C=10.0, kernel="rbf", n=10, frac=0.5), False) and len(seen) == 2
    assert session.result.best_trial.number == 1 and "vs defaults" in session.record_html()
    r = session.run_trial(C=0.01, kernel="poly", degree=5)
    assert calls[-1][0] == dict(C=0.01, kernel="poly", degree=5, n=10, frac=0.5) and seen[-1] is r
    session.run_one = lambda params, baseline: 1 / 0  # a run that fails: raised from run_trial(), nothing bound
    with pytest.raises(ZeroDivisionError):
        session.run_trial(C=2.0)
    assert len(seen) == 3 and session.result is r and session.status.value == ""
    assert "3 trials so far" in session.record_html()
    session.finish()  # after Finish the count is final: in the past tense
    assert "&middot; 3 trials run</p>" in session.record_html() and "so far" not in session.record_html()


def test_session_without_baseline_waits_for_a_run():
    from hpmagic.cell.parser import parse_cell
    from hpmagic.core import Direction
    from hpmagic.display.manual import ManualSession

    space = parse_cell("x = 1.0  # tune: uniform(0, 2)\nx").space
    session = ManualSession(
        space,
        direction=Direction.MINIMIZE,
        metric="objective",
        baseline=False,
        run_one=lambda params, baseline: pytest.fail("nothing runs before a click"),
        on_result=lambda result: None,
    ).start()
    assert session.result is None and "press Run" in session.record_html()
    assert "0 trials so far" in session.record_html() and "application" not in session.record_html()
    session.finish()  # never displayed: nothing to update, the widgets closed
    assert session.finished and session.button.comm is None
    assert "0 trials run" in session.record_html() and "no trial was run" in session.record_html()
    assert "so far" not in session.record_html() and "press Run" not in session.record_html()
    assert repr(session).startswith("hpmagic manual search")


def test_a_kernel_shutting_down_finishes_its_sessions(tmp_path):
    """A restart (a shutdown request) replaces the controls' output by the static note before
    the kernel goes, so a front end still connected keeps no widget in the notebook."""
    import queue

    with running_kernel(tmp_path) as (_, kc):
        execute(kc, "%load_ext hpmagic")
        reply, msgs = execute(kc, "%%tune --strategy manual\nx = 1.0  # tune: uniform(0, 2)\n(x - 1.5) ** 2")
        assert reply["status"] == "ok"
        controls = next(m["content"] for m in msgs if m["msg_type"] == "display_data")["transient"]["display_id"]
        kc.shutdown(restart=True)
        try:
            msg = kc.get_iopub_msg(timeout=60)
            while msg["msg_type"] != "update_display_data":
                msg = kc.get_iopub_msg(timeout=60)
        except queue.Empty:
            pytest.fail("the kernel went without updating the controls' output")
        update = msg["content"]
        assert update["transient"]["display_id"] == controls and "finished after 1 trial" in update["data"]["text/html"]
        assert "application/vnd.jupyter.widget-view+json" not in update["data"]
