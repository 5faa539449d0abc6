"""A kernel interrupt stops the search, keeps finished trials and applies the best so far."""

from __future__ import annotations

import time

from hpmagic import TrialState

from .kernel import execute, running_kernel, stream_text, wait_reply
from .shared import SharedList


def test_interrupt_in_the_shell_keeps_finished_trials(ip, capsys):
    # The cell interrupts its own process on the 6th trial, as the stop button would.
    ip.user_ns["calls"] = SharedList()
    cell = (
        "import os, signal, time\n"
        "x = 0.0  # tune: uniform(-1, 1)\n"
        "calls.append(x)\n"
        "if len(calls) == 6:\n"
        "    os.kill(os.getpid(), signal.SIGINT)\n"
        "    time.sleep(5)\n"
        "(x - 0.3) ** 2\n"
    )
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
