"""Parallel trials on real engines: local worker processes, Dask, ipyparallel, futures pools.

Every search here runs a notebook-style cell that calls a function and a class defined in
the (real IPython) shell, so they have to travel to the workers by value.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor

import psutil
import pytest

import hpmagic
from hpmagic import OptionError, TrialState

from . import clusters
from .kernel import execute, running_kernel, stream_text, wait_reply

NOTEBOOK_DEFS = """
import os
offset = 0.25

def loss(x):
    return (x - 1) ** 2 + offset

class Scaler:
    def __init__(self, k):
        self.k = k
    def __call__(self, v):
        return self.k * v
"""

CELL = """
x = 0.0  # tune: uniform(-3, 3)
print("trial sees", x)
import warnings
warnings.warn("a per-trial warning")
{"loss": Scaler(1.0)(loss(x)), "pid": os.getpid()}
"""


def _workers_alive() -> list[psutil.Process]:
    """hpmagic's --jobs worker processes still running under this process."""
    alive = []
    for child in psutil.Process().children(recursive=True):
        try:
            if "hpmagic.parallel.worker" in " ".join(child.cmdline()):
                alive.append(child)
        except psutil.NoSuchProcess:
            pass
    return alive


@pytest.fixture(params=["fork-server", "spawn"])
def start_mode(request, monkeypatch):
    """--jobs starts workers through a fork server (Linux) or as fresh interpreters."""
    monkeypatch.setenv("HPMAGIC_WORKER_START", request.param)
    return request.param


def _define(ip) -> None:
    assert ip.run_cell(NOTEBOOK_DEFS).success


def _check_parallel_result(result, trials: int, here: int = os.getpid()) -> set[int]:
    assert len(result.trials) == trials
    assert all(t.state is TrialState.COMPLETE for t in result.trials), [t.error for t in result.trials]
    for t in result.trials:
        assert t.value == pytest.approx((t.params["x"] - 1) ** 2 + 0.25)
        assert f"trial sees {t.params['x']}" in t.stdout
        assert t.warnings == ("UserWarning: a per-trial warning",)
    pids = {int(t.metrics["pid"]) for t in result.trials}
    assert here not in pids, "trials ran in the kernel's own process"
    return pids


def test_jobs_runs_notebook_functions_in_worker_processes(ip, start_mode):
    _define(ip)
    result = ip.run_cell_magic("tune", "-q -s random -n 10 --jobs 2 --seed 1 --metric loss", CELL)
    pids = _check_parallel_result(result, 10)
    assert len(pids) == 2
    assert ip.user_ns["x"] == result.best_params["x"]
    assert not _workers_alive(), "worker processes outlived the search"


def test_failures_and_tracebacks_in_workers_are_kept(ip):
    _define(ip)
    cell = "x = 0.0  # tune: uniform(-3, 3)\nif x > 0:\n    raise ValueError('positive')\nloss(x)\n"
    result = ip.run_cell_magic("tune", "-q -s random -n 12 --jobs 2 --seed 3", cell)
    failed = [t for t in result.trials if t.state is TrialState.FAILED]
    assert failed and len(failed) < 12
    assert all(
        "ValueError: positive" in t.error and "line 4" in t.error and "raise ValueError" in t.error for t in failed
    )


def test_dask_local_cluster_with_worker_processes(ip):
    _define(ip)
    with clusters.dask_cluster(2, threads=2) as client:
        ip.user_ns["client"] = client
        result = ip.run_cell_magic("tune", "-q -s random -n 12 --executor client --seed 1 --metric loss", CELL)
        worker_pids = set(client.run(os.getpid).values())
    pids = _check_parallel_result(result, 12)
    assert pids <= worker_pids


def test_a_closed_dask_client_is_a_clear_error(ip):
    from IPython.core.error import UsageError

    _define(ip)
    with clusters.dask_cluster(1, processes=False) as client:
        client.close()
        ip.user_ns["client"] = client
        with pytest.raises(UsageError, match="the Dask client is closed"):
            ip.run_cell_magic("tune", "-q -s random -n 4 --executor client --metric loss", CELL)
        with pytest.raises(hpmagic.errors.ExecutorError, match="make a new one"):
            hpmagic.tune(CELL, ip.user_ns, trials=4, executor=client, metric="loss", quiet=True)


@pytest.fixture(scope="module")
def ipp_client():
    """One ipyparallel cluster of two engines for this module's tests."""
    with clusters.ipp_cluster(2) as client:
        yield client


def test_ipyparallel_cluster(ip, ipp_client):
    _define(ip)
    ip.user_ns["rc"] = ipp_client
    result = ip.run_cell_magic("tune", "-q -s random -n 10 --executor rc --seed 2 --metric loss", CELL)
    pids = _check_parallel_result(result, 10)
    assert pids <= set(ipp_client[:].apply_sync(os.getpid))
    # a view works too, and only its engines are used
    ip.user_ns["view"] = ipp_client[ipp_client.ids[0]]
    result = ip.run_cell_magic("tune", "-q -s random -n 4 --executor view --seed 2 --metric loss", CELL)
    assert len(_check_parallel_result(result, 4)) == 1


def test_concurrent_futures_pools(ip):
    _define(ip)
    with ThreadPoolExecutor(3) as pool:
        ip.user_ns["pool"] = pool
        result = ip.run_cell_magic("tune", "-q -s random -n 9 --executor pool --seed 1 --metric loss", CELL)
    # threads run in this process; their output must still be captured per trial
    for t in result.trials:
        assert t.state is TrialState.COMPLETE and t.stdout == f"trial sees {t.params['x']}\n"
    import sys

    assert type(sys.stdout).__name__ != "_Router"
    with ProcessPoolExecutor(2) as pool:
        ip.user_ns["pool"] = pool
        result = ip.run_cell_magic("tune", "-q -s random -n 8 --executor pool --seed 1 --metric loss", CELL)
    _check_parallel_result(result, 8)


class _Counted:
    """Records in a file every time it is unpickled (once per worker, if the payload is sent once)."""

    def __init__(self, path: str):
        self.path = path

    def __reduce__(self):
        return (_Counted._revive, (self.path,))

    @staticmethod
    def _revive(path: str):
        with open(path, "a") as f:
            f.write(f"{os.getpid()}\n")
        return _Counted(path)


def test_the_payload_goes_to_each_worker_once_and_only_what_the_cell_reads(ip, tmp_path, start_mode, monkeypatch):
    import numpy as np

    import hpmagic.api as api

    log = tmp_path / "unpickled.txt"
    big = np.ones(1_000_000)  # 8 MB: sent once per worker process at most, however many trials run
    ip.user_ns.update(counted=_Counted(str(log)), unused_lock=threading.Lock(), big=big)
    executors = []
    make = api.make_executor
    monkeypatch.setattr(api, "make_executor", lambda *a, **k: executors.append(make(*a, **k)) or executors[-1])
    cell = "x = 0.0  # tune: uniform(-1, 1)\ncounted\nx ** 2 + big[0]\n"
    result = ip.run_cell_magic("tune", "-q -s random -n 20 --jobs 2 --seed 0", cell)
    assert len(result.completed) == 20
    stats, payload = executors[0].stats, executors[0].payload
    assert payload.names == ("counted", "big")  # not the lock the cell does not read
    copies = 1 if start_mode == "fork-server" else stats["workers_started"]  # the fork server loads it once
    assert big.nbytes < payload.size and stats["bytes_sent"] < copies * payload.size + 100_000
    # each trial restores its own copy (isolation) in its worker, each process that loads the payload
    # restores it once at load, and the kernel restored it once to time it
    pids = log.read_text().split()
    assert pids.count(str(os.getpid())) == 1
    assert len(pids) == 1 + copies + 20


def test_a_fresh_worker_runs_a_trial_without_importing_the_search_machinery(tmp_path):
    """What a new Dask or ipyparallel worker imports on its first trial: the trial runner,
    not the parser, the search space, the strategies or the storage."""
    import subprocess
    import sys

    from hpmagic.cell.parser import parse_cell
    from hpmagic.parallel.payload import make_payload

    program = parse_cell("x = 0.5  # tune: uniform(0, 1)\n(x - offset) ** 2").program()
    (tmp_path / "payload.bin").write_bytes(make_payload(program, {"offset": 0.25}, "a test worker").blob)
    code = (
        "import pickle, sys\n"
        "from hpmagic.parallel import remote\n"
        f"blob = open({str(tmp_path / 'payload.bin')!r}, 'rb').read()\n"
        "outcome = remote.remote_trial('k', blob, 1, {'x': 0.75})\n"
        "print(outcome.state.value, outcome.value)\n"
        "print(sorted(m for m in sys.modules if m.startswith('hpmagic.')))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.splitlines()
    assert out[0] == "complete 0.25"
    assert eval(out[1]) == [
        "hpmagic._format",
        "hpmagic.cell",
        "hpmagic.cell.capture",
        "hpmagic.cell.globalstate",
        "hpmagic.cell.isolation",
        "hpmagic.cell.objective",
        "hpmagic.cell.program",
        "hpmagic.cell.report",
        "hpmagic.cell.trial",
        "hpmagic.core",
        "hpmagic.errors",
        "hpmagic.interrupts",
        "hpmagic.parallel",
        "hpmagic.parallel.remote",
    ]


def test_a_variable_that_cannot_be_sent_is_a_clear_error(ip, capsys):
    ip.user_ns["lock"] = threading.Lock()
    res = ip.run_cell("%%tune -q -s random -n 4 --jobs 2\nx = 0.0  # tune: uniform(-1, 1)\nwith lock:\n    y = x\ny")
    said = capsys.readouterr()
    text = said.out + said.err
    assert not res.success
    assert "variable 'lock'" in text and "_thread.lock" in text and "fix:" in text
    assert "Traceback" not in text
    # through a notebook function's globals, both names are given
    assert ip.run_cell("def guarded(v):\n    with lock:\n        return v\n").success
    res = ip.run_cell("%%tune -q -s random -n 4 --jobs 2\nx = 0.0  # tune: uniform(-1, 1)\nguarded(x)")
    said = capsys.readouterr()
    text = said.out + said.err
    assert "variable 'guarded'" in text and "global 'lock'" in text
    # magics need the kernel: said so, instead of failing to pickle the shell
    res = ip.run_cell("%%tune -q -s random -n 4 --jobs 2\nx = 0.0  # tune: uniform(-1, 1)\n%time y = x\ny")
    said = capsys.readouterr()
    assert "uses IPython magics" in said.out + said.err and not res.success
    assert not _workers_alive()


def test_jobs_must_be_positive():
    with pytest.raises(OptionError, match="--jobs must be a whole number of at least 1"):
        hpmagic.tune("x = 0.0  # tune: uniform(0, 1)\nx", {}, jobs=0, quiet=True)
    with pytest.raises(OptionError, match="not an executor"):
        hpmagic.tune("x = 0.0  # tune: uniform(0, 1)\nx", {}, executor=object(), quiet=True)


def test_a_worker_killed_mid_trial_fails_only_that_trial(tmp_path, start_mode):
    started = tmp_path / "started"
    started.mkdir()
    cell = (
        "import os, time\n"
        "x = 0.0  # tune: uniform(-1, 1)\n"
        "open(os.path.join(started, str(os.getpid()) + '-' + str(time.monotonic_ns())), 'w').close()\n"
        "time.sleep(0.3)\n"
        "x ** 2\n"
    )
    killed: list[int] = []

    def killer():
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            entries = sorted(os.listdir(started), key=lambda name: int(name.split("-")[1]))
            if len(entries) >= 3:  # a few trials in, kill the worker that started a trial last
                pid = int(entries[-1].split("-")[0])
                os.kill(pid, signal.SIGKILL)
                killed.append(pid)
                return
            time.sleep(0.02)

    thread = threading.Thread(target=killer)
    thread.start()
    result = hpmagic.tune(cell, {"started": str(started)}, trials=10, jobs=2, seed=0, strategy="random", quiet=True)
    thread.join()
    assert killed
    failed = [t for t in result.trials if t.state is TrialState.FAILED]
    assert len(failed) == 1 and "worker died" in failed[0].error and "SIGKILL" in failed[0].error
    assert len(result.completed) == 9 and result.stop_reason == "budget"
    assert not _workers_alive()


def test_a_worker_that_exits_or_crashes_is_replaced(tmp_path, start_mode):
    marker = tmp_path / "crashed"
    cell = (
        "import os\n"
        "x = 0.0  # tune: uniform(-1, 1)\n"
        "if x > 0.2:\n"
        "    try:  # O_EXCL: exactly one worker wins the marker and crashes, even when two race\n"
        "        os.close(os.open(marker, os.O_CREAT | os.O_EXCL))\n"
        "        os._exit(7)\n"
        "    except FileExistsError:\n"
        "        pass\n"
        "x ** 2\n"
    )
    result = hpmagic.tune(cell, {"marker": str(marker)}, trials=12, jobs=2, seed=0, strategy="random", quiet=True)
    failed = [t for t in result.trials if t.state is TrialState.FAILED]
    assert len(failed) == 1 and "worker died" in failed[0].error and "exit code 7" in failed[0].error
    assert len(result.completed) == 11


def test_interrupting_a_real_kernel_kills_the_workers(tmp_path):
    with running_kernel(tmp_path) as (km, kc):
        reply, _ = execute(kc, "%load_ext hpmagic\nimport os, psutil\nkernel_pid = os.getpid()")
        assert reply["status"] == "ok"
        msg_id = kc.execute(
            "%%tune -q -s random -n 40 --jobs 2 --seed 0 -o res\n"
            "import time\n"
            "x = 0.0  # tune: uniform(-1, 1)\n"
            "time.sleep(0.4 if x < 0.5 else 60)\n"
            "(x - 0.3) ** 2\n"
        )
        kernel = psutil.Process(km.provisioner.process.pid)
        deadline = time.monotonic() + 60
        while len(kernel.children(recursive=True)) < 3 and time.monotonic() < deadline:
            time.sleep(0.1)
        workers = kernel.children(recursive=True)  # the fork server and its two workers
        assert len(workers) == 3
        time.sleep(2.0)
        km.interrupt_kernel()
        content = wait_reply(kc, msg_id)
        assert content["status"] == "ok", content
        reply, messages = execute(
            kc,
            "print(res.stop_reason, sum(t.state.value == 'interrupted' for t in res.trials), len(res.completed), "
            "len(psutil.Process().children(recursive=True)))",
        )
        assert reply["status"] == "ok", reply
        stop, interrupted, done, children = stream_text(messages).split()
        assert stop == "interrupted" and int(interrupted) >= 1 and int(done) >= 1
        assert children == "0"
        gone, alive = psutil.wait_procs(workers, timeout=10)
        assert not alive, "worker processes outlived the interrupt"


def test_the_progress_display_sees_trials_running_at_once():
    class Recorder:
        def __init__(self):
            self.running = []

        def start(self, runner):
            pass

        def update(self, progress):
            self.running.append(progress.running)

        def close(self, progress, result):
            pass

    recorder = Recorder()
    cell = "import time\nx = 0.0  # tune: uniform(-1, 1)\ntime.sleep(0.1)\nx ** 2\n"
    result = hpmagic.tune(cell, {}, trials=9, jobs=3, seed=0, strategy="random", display=recorder)
    assert len(result.completed) == 9
    assert max(recorder.running) == 3
