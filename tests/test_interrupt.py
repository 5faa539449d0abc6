"""A kernel interrupt stops the search, keeps finished trials and applies the best so far."""

from __future__ import annotations

import time

from hpmagic import TrialState

from .kernel import execute, running_kernel, stream_text, wait_reply
from .shared import STOPS_ON_THE_SIXTH_TRIAL, SharedList


def test_interrupt_in_the_shell_keeps_finished_trials(ip, capsys):
    # The cell interrupts its own process on the 6th trial, as the stop button would.
    ip.user_ns["calls"] = SharedList()
    cell = STOPS_ON_THE_SIXTH_TRIAL
    result = ip.run_cell_magic("tune", "-q -n 50 --seed 2 -o res", cell)
    assert result.interrupted and result.stop_reason == "interrupted"
    states = [t.state for t in result.trials]
    assert states[:5] == [TrialState.COMPLETE] * 5
    assert states[5] is TrialState.INTERRUPTED and len(states) == 6
    assert ip.user_ns["x"] == result.best_params["x"]
    assert ip.user_ns["res"] is result
    out = capsys.readouterr()
    assert "Traceback" not in out.out + out.err


def test_interrupting_a_real_kernel(tmp_path):
    with running_kernel(tmp_path) as (km, kc):
        reply, _ = execute(kc, "%load_ext hpmagic")
        assert reply["status"] == "ok"
        msg_id = kc.execute(
            "%%tune -q -n 200 --seed 0 -s random -o res\n"
            "import time\n"
            "x = 0.0  # tune: uniform(-1, 1)\n"
            "time.sleep(0.1)\n"
            "(x - 0.3) ** 2\n"
        )
        # Wait until the search is well under way, then press "stop".
        time.sleep(3.0)
        km.interrupt_kernel()
        content = wait_reply(kc, msg_id)
        assert content["status"] == "ok", content
        reply, messages = execute(
            kc,
            "print(res.stop_reason, len(res.trials), len(res.completed), "
            "[t.state.value for t in res.trials][-1], x == res.best_params['x'])",
        )
        assert reply["status"] == "ok"
        stop, total, done, last_state, applied = stream_text(messages).split()
        assert stop == "interrupted"
        assert 3 <= int(done) < 200
        assert int(total) == int(done) + 1 and last_state == "interrupted"
        assert applied == "True"


def test_interrupt_during_set_up_prints_no_traceback(ip, capsys):
    from hpmagic import Strategy

    class SlowSetup(Strategy):
        def setup(self, space, context):
            raise KeyboardInterrupt  # as if "stop" were pressed while a model is built

    ip.user_ns["slow"] = SlowSetup()
    ip.user_ns["x"] = "before"
    result = ip.run_cell("%%tune -q -n 5 -s slow\nx = 0.0  # tune: uniform(0, 1)\nx")
    out = capsys.readouterr()
    assert result.success
    assert "interrupted before the first trial started" in out.err
    assert "Traceback" not in out.out + out.err
    assert ip.user_ns["x"] == "before"


def _finished_lines(path) -> int:
    return len(path.read_text().splitlines()) if path.exists() else 0


def _press_twice(km, gap: float = 0.02) -> None:
    """A double click on the stop button: two interrupts ``gap`` seconds apart."""
    km.interrupt_kernel()
    time.sleep(gap)
    km.interrupt_kernel()


def test_a_double_click_on_stop_with_jobs_keeps_every_finished_trial(tmp_path):
    import psutil

    log = tmp_path / "finished.txt"
    with running_kernel(tmp_path) as (km, kc):
        reply, _ = execute(kc, "%load_ext hpmagic\nimport psutil")
        assert reply["status"] == "ok"
        msg_id = kc.execute(
            "%%tune -q -s random -n 60 --jobs 2 --seed 0 -o res\n"
            "import time\n"
            "x = 0.0  # tune: uniform(-1, 1)\n"
            "time.sleep(0.3)\n"
            f"open({str(log)!r}, 'a').write('done\\n')\n"
            "(x - 0.3) ** 2\n"
        )
        kernel = psutil.Process(km.provisioner.process.pid)
        deadline = time.monotonic() + 90
        while _finished_lines(log) < 4 and time.monotonic() < deadline:
            time.sleep(0.05)
        workers = kernel.children(recursive=True)
        assert workers, "the search had not started its workers"
        _press_twice(km)
        content = wait_reply(kc, msg_id)
        assert content["status"] == "ok", content  # no traceback, no "nothing ran"
        reply, messages = execute(
            kc,
            "print(res.stop_reason, len(res.completed), sum(t.state.value == 'interrupted' for t in res.trials), "
            "x == res.best_params['x'], len(psutil.Process().children(recursive=True)))",
        )
        assert reply["status"] == "ok", reply
        stop, done, interrupted, applied, children = stream_text(messages).split()
        assert stop == "interrupted"
        assert int(done) >= 4 and int(interrupted) >= 1
        assert applied == "True"  # the best values were applied
        assert children == "0"
        _, alive = psutil.wait_procs(workers, timeout=10)
        assert not alive, f"worker processes outlived the double click: {[p.pid for p in alive]}"
        reply, messages = execute(kc, "print(1 + 1)")  # the kernel is usable
        assert stream_text(messages).strip() == "2"


def test_a_double_click_on_stop_inline_keeps_every_finished_trial(tmp_path):
    log = tmp_path / "finished.txt"
    with running_kernel(tmp_path) as (km, kc):
        reply, _ = execute(kc, "%load_ext hpmagic")
        msg_id = kc.execute(
            "%%tune -q -s random -n 200 --seed 0 -o res\n"
            "import time\n"
            "x = 0.0  # tune: uniform(-1, 1)\n"
            "time.sleep(0.05)\n"
            f"open({str(log)!r}, 'a').write('done\\n')\n"
            "(x - 0.3) ** 2\n"
        )
        deadline = time.monotonic() + 60
        while _finished_lines(log) < 5 and time.monotonic() < deadline:
            time.sleep(0.02)
        _press_twice(km, gap=0.005)
        content = wait_reply(kc, msg_id)
        assert content["status"] == "ok", content
        reply, messages = execute(kc, "print(res.stop_reason, len(res.completed) >= 5, x == res.best_params['x'])")
        assert stream_text(messages).split() == ["interrupted", "True", "True"]


HEAVY_CELL = (
    "%%tune -q -s random -n 3 --seed 0 -o res\n"
    "import pandas, scipy.ndimage, scipy.stats\n"
    "from sklearn.svm import SVC\n"
    "C = 1.0  # tune: loguniform(1e-2, 1e2)\n"
    "float(SVC(C=C).C) + float(pandas.Series([1.0]).sum()) + float(scipy.ndimage.sum([1.0]))\n"
)


def test_stop_presses_during_the_first_search_of_a_kernel_leave_no_library_half_imported(tmp_path):
    """Presses while the first search imports heavy libraries (the cell's and hpmagic's own)."""
    for delay in (0.2, 0.6, 1.2):
        with running_kernel(tmp_path) as (km, kc):
            reply, _ = execute(kc, "%load_ext hpmagic")
            msg_id = kc.execute(HEAVY_CELL)
            time.sleep(delay)
            _press_twice(km)
            content = wait_reply(kc, msg_id)
            assert content["status"] == "ok", (delay, content)
            reply, messages = execute(kc, HEAVY_CELL.replace("-o res", "-o again"))
            assert reply["status"] == "ok", (delay, reply)
            reply, messages = execute(
                kc, "import pandas, scipy.ndimage\nprint(len(again.completed), pandas.DataFrame({'a': [1]}).shape)"
            )
            assert reply["status"] == "ok", (delay, reply)
            assert stream_text(messages).split()[0] == "3", (delay, stream_text(messages))


def test_a_keyboard_interrupt_the_cell_raises_itself_fails_only_its_trial(ip):
    cell = "x = 0.0  # tune: uniform(-1, 1)\nif x > 0.5:\n    raise KeyboardInterrupt('mine')\n(x - 0.3) ** 2"
    for line in ("-q -s random -n 20 --seed 1", "-q -s random -n 20 --seed 1 --jobs 2"):
        result = ip.run_cell_magic("tune", line, cell)
        failed = [t for t in result.trials if t.state is TrialState.FAILED]
        assert result.stop_reason == "budget" and len(result.trials) == 20, line
        assert failed and all("KeyboardInterrupt: mine" in t.error for t in failed), line
        assert all("without the stop button" in t.error for t in failed) or "--jobs" in line
