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
from .kernel import execute, running_kernel, stream_text, wait_reply

distributed = pytest.importorskip("distributed")


def test_a_dask_worker_that_dies_fails_only_its_trial_and_the_search_goes_on():
    import dask

    cell = (
        "import os, time\n"
        "x = 0.0  # tune: uniform(0, 1)\n"
        "time.sleep(0.2)\n"
        "if x > 0.8:\n"
        "    os._exit(1)\n"
        "x\n"
    )
    with dask.config.set({"distributed.scheduler.allowed-failures": 1}):  # Dask retries a dead worker's task once
        with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
            with distributed.Client(cluster) as client:
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
    with distributed.LocalCluster(n_workers=0, processes=False, dashboard_address=None) as cluster:
        with distributed.Client(cluster) as client:
            start = time.monotonic()
            with pytest.raises(ExecutorError, match="the Dask cluster has no workers") as caught:
                hpmagic.tune("x = 0.0  # tune: uniform(0, 1)\nx", {}, trials=3, executor=client, quiet=True)
            assert time.monotonic() - start < 30, "it waited for workers instead of saying so"
            assert "make a new one" in str(caught.value)


def test_when_every_ipyparallel_engine_dies_the_search_stops_and_keeps_finished_trials(tmp_path):
    finished = tmp_path / "finished"
    finished.mkdir()
    with clusters.ipp_client(2) as client:
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
            hpmagic.tune(cell, {"finished": str(finished)}, trials=40, executor=client, seed=0, strategy="random",
                         quiet=True, study="dies", storage=str(storage))
        killer.join()
    result = caught.value.result
    assert len(result.completed) >= 3 and len(result.trials) < 40
    assert {t.number for t in hpmagic.load_study("dies", storage=str(storage)).completed} == {t.number for t in result.completed}


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
