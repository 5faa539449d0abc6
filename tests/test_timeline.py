"""The workers' timeline (issue 24): which worker ran each trial of a parallel search, and how
busy the workers were, from real --jobs and Dask searches; the arithmetic on fixed records."""

from __future__ import annotations

import os
import re
from html import escape

import pytest

from hpmagic import TrialState
from hpmagic.cell.parser import parse_cell
from hpmagic.core import Trial
from hpmagic.display.html import result_html
from hpmagic.display.timeline import busy_text, plot_timeline, timeline
from hpmagic.result import TuneResult

CELL = """
import os, time
x = 0.0  # tune: uniform(-3, 3)
time.sleep(0.05)
{"loss": (x - 1) ** 2, "pid": os.getpid()}
"""

BUSY = re.compile(r"^2 workers busy \d+% of [\d.]+ (ms|s) \(idle ([\d.]+ (ms|s)|under 1 ms) in all\)")


def _check_rows(result, pids: set[int]) -> None:
    tl = timeline(result)
    assert tl is not None
    by_worker = {int(t.metrics["pid"]): t.worker for t in result.trials}
    assert set(by_worker.values()) == {t.worker for t in result.trials}  # one name per process
    assert len(tl.rows) == 2 and {r.label.split(" (")[0] for r in tl.rows} == {"worker 1", "worker 2"}
    for row in tl.rows:
        pid = next(p for p, w in by_worker.items() if f"({w})" in row.label)
        assert pid in pids
        ran_there = {t.number for t in result.trials if int(t.metrics["pid"]) == pid}
        assert {b.number for b in row.bars} == ran_there  # each trial on the row of the process it ran in
        assert all(a.end <= b.start + 1e-6 for a, b in zip(row.bars, row.bars[1:]))  # one at a time, in order
    assert sorted(b.number for r in tl.rows for b in r.bars) == [t.number for t in result.trials]


def test_a_jobs_2_search_has_one_row_per_worker_process(ip):
    result = ip.run_cell_magic("tune", "-q -s random -n 8 --jobs 2 --seed 1 --metric loss", CELL)
    pids = {int(t.metrics["pid"]) for t in result.trials}
    assert all(t.worker == f"pid {int(t.metrics['pid'])}" for t in result.trials)
    _check_rows(result, pids)
    assert BUSY.match(busy_text(result)), busy_text(result)
    assert f"workers: {busy_text(result)}" in repr(result)
    html = result_html(result)
    alt = escape("the workers' timeline: " + busy_text(result))
    assert f'alt="{alt}"' in html
    assert f"workers: {escape(busy_text(result))}" in html
    ax = result.plot_timeline()
    assert [t.get_text() for t in ax.get_yticklabels()] == [r.label for r in reversed(timeline(result).rows)]
    assert ax.get_title(loc="left").startswith("workers busy ")


def test_a_dask_search_names_the_host_and_process_of_each_trial(ip):
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None, host="127.0.0.1"
    ) as cluster:
        with distributed.Client(cluster) as client:
            ip.user_ns["client"] = client
            result = ip.run_cell_magic("tune", "-q -s random -n 8 --executor client --seed 1 --metric loss", CELL)
            worker_pids = set(client.run(os.getpid).values())
    host = os.uname().nodename
    assert all(t.worker == f"{host} pid {int(t.metrics['pid'])}" for t in result.trials)
    _check_rows(result, worker_pids)
    assert BUSY.match(busy_text(result)), busy_text(result)


def test_a_search_in_the_kernel_has_no_timeline(ip):
    result = ip.run_cell_magic("tune", "-q -s random -n 3 --seed 1 --metric loss", CELL)
    assert all(t.worker == "" for t in result.trials)
    assert timeline(result) is None and busy_text(result) == "" and "workers:" not in repr(result)
    assert "timeline" not in result_html(result)
    ax = result.plot_timeline()
    assert ax.texts[0].get_text() == "no worker recorded: trials ran in the kernel, or came from a study"


def _trial(number: int, worker: str, start: float, duration: float, state=TrialState.COMPLETE) -> Trial:
    return Trial(
        number,
        {"x": 0.0},
        state=state,
        value=1.0 if state is TrialState.COMPLETE else None,
        started=1000.0 + start,
        duration=duration,
        worker=worker,
    )


def _result(*trials: Trial) -> TuneResult:
    return TuneResult(tuple(trials), parse_cell("x = 0.5  # tune: uniform(0, 1)\nx").space)


def test_busy_share_idle_time_and_the_straggler_on_fixed_records():
    # worker a: 0-1, 1-2, 2-10 (the straggler: alone from 3 to 10); worker b: 0-1.5, 1.5-3
    result = _result(
        _trial(0, "pid 1", 0, 1),
        _trial(1, "pid 2", 0, 1.5),
        _trial(2, "pid 1", 1, 1),
        _trial(3, "pid 2", 1.5, 1.5, TrialState.FAILED),
        _trial(4, "pid 1", 2, 8),
    )
    tl = timeline(result)
    assert [r.label for r in tl.rows] == ["worker 1 (pid 1)", "worker 2 (pid 2)"]
    assert [[b.number for b in r.bars] for r in tl.rows] == [[0, 2, 4], [1, 3]]
    assert tl.rows[1].bars[1].state is TrialState.FAILED
    assert tl.span == 10 and tl.busy == pytest.approx(13 / 20) and tl.idle == pytest.approx(7)
    assert tl.straggler.number == 4 and tl.alone == pytest.approx(7)
    assert busy_text(result) == (
        "2 workers busy 65% of 10.0 s (idle 7.0 s in all); straggler: trial 4 "
        "(8.0 s, 5.3x the median trial) ran 7.0 s alone at the end"
    )


def test_trials_at_once_on_one_worker_get_a_row_each_and_no_straggler_when_they_end_together():
    result = _result(_trial(0, "h pid 7", 0, 2), _trial(1, "h pid 7", 0.5, 2), _trial(2, "h pid 7", 2, 0.5))
    tl = timeline(result)
    assert [r.label for r in tl.rows] == ["worker 1 (h pid 7) #1", "worker 1 (h pid 7) #2"]
    assert [[b.number for b in r.bars] for r in tl.rows] == [[0, 2], [1]]
    assert tl.straggler is None and busy_text(result) == "2 workers busy 90% of 2.5 s (idle 0.5 s in all)"


def test_ten_thousand_trials_draw_on_one_axes_per_state(tmp_path):
    trials = [
        _trial(i, f"pid {i % 8}", (i // 8) * 0.01, 0.01, TrialState.FAILED if i % 97 == 0 else TrialState.COMPLETE)
        for i in range(10_000)
    ]
    result = _result(*trials)
    from matplotlib.figure import Figure

    ax = plot_timeline(result, ax=Figure().add_subplot())
    assert len(ax.collections) == 8 * 2  # one bar collection per worker and state, not one per trial
