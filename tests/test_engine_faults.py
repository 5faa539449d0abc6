"""Remote engines that die or hang: Dask workers that die in a trial, a client without
workers, ipyparallel engines that all die, and the stop button on a local Dask cluster
in a real kernel."""

from __future__ import annotations

import os
import signal
import threading
import time

import pytest

import hpmagic
from hpmagic import TrialState
from hpmagic.errors import ExecutorError, SearchError

from . import clusters
from .kernel import execute, iopub, running_kernel, stream_text, wait_reply

distributed = pytest.importorskip("distributed")


def test_a_dask_worker_that_dies_fails_only_its_trial_and_the_search_goes_on():
    import dask

    cell = "import os, time\nx = 0.0  # tune: uniform(0, 1)\ntime.sleep(0.2)\nif x > 0.8:\n    os._exit(1)\nx\n"
    with dask.config.set({"distributed.scheduler.allowed-failures": 1}):  # Dask retries a dead worker's task once
        with clusters.dask_cluster(2) as client:
            result = hpmagic.tune(cell, {}, trials=10, executor=client, seed=0, strategy="random", quiet=True)
    assert result.stop_reason == "budget" and len(result.trials) == 10
    deadly = {t.number for t in result.trials if t.params["x"] > 0.8}
    assert deadly, "the seed should draw at least one deadly trial"
    for t in result.trials:
        if t.number in deadly:
            assert t.state is TrialState.FAILED and "worker died" in t.error and "KilledWorker" in t.error
        else:  # the trials that ran beside it were not touched
            assert t.state is TrialState.COMPLETE, t.error


def test_a_dask_client_without_workers_is_a_clear_error_at_once():
    with clusters.dask_cluster(0, processes=False) as client:
        start = time.monotonic()
        with pytest.raises(ExecutorError, match="the Dask cluster has no workers") as caught:
            hpmagic.tune("x = 0.0  # tune: uniform(0, 1)\nx", {}, trials=3, executor=client, quiet=True)
        assert time.monotonic() - start < 30, "it waited for workers instead of saying so"
        assert "make a new one" in str(caught.value)


def test_when_every_ipyparallel_engine_dies_the_search_stops_and_keeps_finished_trials(tmp_path):
    finished = tmp_path / "finished"
    finished.mkdir()
    with clusters.ipp_cluster(2) as client:
        engines = client[:].apply_sync(os.getpid)

        def kill_all_engines():
            # Kill once the search has *stored* three complete trials (read back from the study
            # file, as another process would): a trial that has only written its file may still
            # be on its way back when its engine dies, and then it is rightly not complete.
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                try:
                    if storage.exists() and len(hpmagic.load_study("dies", storage=str(storage)).completed) >= 3:
                        break
                except hpmagic.StorageError:  # the file or the study is still being created
                    pass
                time.sleep(0.05)
            for pid in engines:
                os.kill(pid, signal.SIGKILL)

        storage = tmp_path / "s.sqlite"
        killer = threading.Thread(target=kill_all_engines)
        killer.start()
        cell = (
            "import os, time\n"
            "x = 0.0  # tune: uniform(0, 1)\n"
            "time.sleep(0.3)\n"
            "open(os.path.join(finished, str(time.monotonic_ns())), 'w').close()\n"
            "x\n"
        )
        with pytest.raises(SearchError, match="every ipyparallel engine this search used has stopped") as caught:
            hpmagic.tune(
                cell,
                {"finished": str(finished)},
                trials=40,
                executor=client,
                seed=0,
                strategy="random",
                quiet=True,
                study="dies",
                storage=str(storage),
            )
        killer.join()
    result = caught.value.result
    assert len(result.completed) >= 3 and len(result.trials) < 40
    assert {t.number for t in hpmagic.load_study("dies", storage=str(storage)).completed} == {
        t.number for t in result.completed
    }


def _shown(messages):
    """Everything a cell showed: its streams, and the text of its errors."""
    text = stream_text(messages, "stdout") + stream_text(messages, "stderr")
    return text + "".join("\n".join(m["content"]["traceback"]) for m in messages if m["msg_type"] == "error")


FRESH_CLUSTER = (
    "%load_ext hpmagic\n"
    "import os, signal\n"
    "from dask.distributed import LocalCluster, Client\n"
    "cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None)\n"
    "client = Client(cluster)\n"
    "before = sorted(client.run(os.getpid).values())\n"
    "from hpmagic import Strategy\n"
    "class Slow(Strategy):  # a strategy that takes its time to set up: a stop lands in set-up\n"
    "    def setup(self, space, context):\n"
    "        super().setup(space, context)\n"
    "        __import__('time').sleep(3)\n"
    "        self.rng = __import__('random').Random(context.seed)\n"
    "    def ask(self, number):\n"
    "        return self.space.sample(self.rng)\n"
    "slow = Slow()\n"
)
MARKED = (
    "import os, time\n"
    "x = 0.0  # tune: uniform(-1, 1)\n"
    "open(os.path.join(marks, f'start-{time.monotonic_ns()}'), 'w').close()\n"
    "time.sleep(0.5)\n"
    "open(os.path.join(marks, f'end-{time.monotonic_ns()}'), 'w').close()\n"
    "(x - 0.3) ** 2\n"
)


def _count(marks, kind):
    return sum(1 for name in os.listdir(marks) if name.startswith(kind))


def _until(condition, what, timeout=120):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)


#: Evaluated on each worker: does it ignore SIGINT?  (A handler itself need not pickle: asyncio's does not.)
_IGNORES = "__import__('signal').getsignal(__import__('signal').SIGINT) is __import__('signal').SIG_IGN"


def _shielded(address):
    """True once every worker of the cluster at ``address`` ignores SIGINT (asked from this process)."""
    with distributed.Client(address, timeout=30) as probe:
        return all(probe.run(eval, _IGNORES).values())


@pytest.mark.parametrize("moment", ["set-up", "first trial", "first trial ended", "well into the search"])
def test_a_stop_during_the_first_search_on_a_fresh_local_cluster_keeps_its_workers(tmp_path, moment):
    """The stop button signals the kernel's whole process group, so a local cluster's workers
    receive it too: they must outlive it at every moment of the first search, print nothing
    into the notebook, and the search must end as any stop does (``-o`` bound)."""
    marks = tmp_path / "marks"
    marks.mkdir()
    with running_kernel(tmp_path) as (km, kc):
        reply, _ = execute(
            kc, FRESH_CLUSTER + f"marks = {str(marks)!r}\naddress = cluster.scheduler_address\n", timeout=180
        )
        assert reply["status"] == "ok", reply
        _, messages = execute(kc, "print(address)")
        address = stream_text(messages).strip()
        strategy = "slow" if moment == "set-up" else "random"
        msg_id = kc.execute(f"%%tune -q -s {strategy} -n 200 --executor client --seed 0 -o first\n{MARKED}")
        if moment == "set-up":  # the slow strategy is still setting up (for 3 s): no trial started yet
            began = time.monotonic()
            while time.monotonic() - began < 2.0 and not _shielded(address):
                time.sleep(0.05)
            assert _count(marks, "start") == 0
        elif moment == "first trial":
            _until(lambda: _count(marks, "start") >= 1, "the first trial to start")
        elif moment == "first trial ended":
            _until(lambda: _count(marks, "end") >= 1, "the first trial to end")
        else:
            _until(lambda: _count(marks, "end") >= 6, "six trials to end")
        ended = _count(marks, "end")
        km.interrupt_kernel()
        said = _shown(iopub(kc, msg_id))
        content = wait_reply(kc, msg_id, timeout=120)
        assert content["status"] == "ok", content
        reply, messages = execute(
            kc,
            "after = sorted(client.run(os.getpid).values())\n"
            "print(after == before, 'first' in globals() and first.stop_reason, "
            "'first' in globals() and len(first.trials), 'first' in globals() and len(first.completed))\n"
            f"second = __import__('hpmagic').tune({MARKED!r}, {{'marks': marks}}, trials=3, executor=client, seed=1, "
            "strategy='random', quiet=True)\n"
            "print(len(second.completed))\n",
            timeout=120,
        )
        assert reply["status"] == "ok", reply
        same, stop, total, done, again = stream_text(messages).split()
        shown = said + _shown(messages)
        execute(kc, "client.close(); cluster.close()")
    assert same == "True", f"the workers died at the stop:\n{shown}"
    assert "Traceback" not in shown and "KeyboardInterrupt" not in shown and "died" not in shown, shown
    assert again == "3"
    if moment == "set-up":  # nothing ran: nothing is bound, and the notebook is told so
        assert (stop, total, done) == ("False", "False", "False")
        assert said.strip() == "hpmagic: interrupted before the first trial started; nothing ran and nothing changed."
    else:
        # every trial that ended on a worker is in the result; those the kernel had not collected yet
        # when the stop came (at most the two in flight) are recorded as interrupted, as a running trial is
        assert stop == "interrupted" and int(total) >= ended and int(done) >= ended - 2


def test_the_stop_button_leaves_a_local_dask_cluster_usable(tmp_path):
    """The interrupt reaches the kernel's whole process group; the cluster's workers must survive it."""
    with running_kernel(tmp_path) as (km, kc):
        reply, _ = execute(
            kc,
            "%load_ext hpmagic\n"
            "from dask.distributed import LocalCluster, Client\n"
            "cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None)\n"
            "client = Client(cluster)\n"
            "before = sorted(client.run(__import__('os').getpid).values())\n",
            timeout=180,
        )
        assert reply["status"] == "ok", reply
        cell = "import time\nx = 0.0  # tune: uniform(-1, 1)\ntime.sleep(0.3)\n(x - 0.3) ** 2\n"
        msg_id = kc.execute(f"%%tune -q -s random -n 200 --executor client --seed 0 -o first\n{cell}")
        time.sleep(6.0)  # well into the search
        km.interrupt_kernel()
        content = wait_reply(kc, msg_id, timeout=120)
        assert content["status"] == "ok", content
        reply, messages = execute(
            kc,
            f"second = hpmagic_second = __import__('hpmagic').tune({cell!r}, trials=4, executor=client, seed=1, "
            "strategy='random', quiet=True)\n"
            "after = sorted(client.run(__import__('os').getpid).values())\n"
            "print(first.stop_reason, len(second.completed), after == before)\n",
            timeout=120,
        )
        assert reply["status"] == "ok", reply
        stop, done, same = stream_text(messages).split()
        assert stop == "interrupted" and done == "4" and same == "True"
        execute(kc, "client.close(); cluster.close()")
