"""Reports from workers to the pruning rule: Dask, ipyparallel, process and thread pools, --jobs.

Each search runs a cell whose curve depends only on its parameter, on a real engine, while a
spy in the kernel logs every call the search's :class:`PruningService` answers, in the order
it answered them.  The trial records must match that log exactly (every report reached the
rule, each trial's rungs are its own answers), and replaying the log through a fresh
service must give the same decisions (consistent, as a sequential run of those events).
"""

from __future__ import annotations

import collections
import contextlib
import os
import pickle
import socket
import threading
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor

import psutil
import pytest

import hpmagic
from hpmagic.core import TrialState
from hpmagic.errors import ExecutionEnvironmentError, ReportError
from hpmagic.parallel import reports
from hpmagic.pruning.service import PruningService

from . import clusters

CELL = """
from hpmagic import report
import os, threading, time
lr = 0.05  # tune: loguniform(1e-3, 1)
print("worker", os.getpid(), threading.get_ident())
meet = globals().get("MEET")  # a folder: the first two trials wait for each other there, so they overlap
if meet:
    open(os.path.join(meet, f"{os.getpid()}-{threading.get_ident()}-{lr}"), "w").close()
    deadline = time.monotonic() + 120
    while len(os.listdir(meet)) < 2 and time.monotonic() < deadline:
        time.sleep(0.005)
score = 0.0
for epoch in range(1, 28):
    score += lr * (1 - score)
    time.sleep(0.002)
    report(score, epoch)
    print("epoch", epoch)
score
"""

TRIALS = 16


def tune(executor=None, meet=None, **options):
    options = {
        "trials": TRIALS,
        "seed": 0,
        "maximize": True,
        "quiet": True,
        "strategy": "random",
        "prune": "asha",
        **options,
    }
    namespace = {} if meet is None else {"MEET": str(meet)}
    return hpmagic.tune(options.pop("cell", CELL), namespace, executor=executor, **options)


class Spy:
    """Every call a PruningService answered, in order: ("assign"|"decide"|"finish", args, answer)."""

    def __init__(self):
        self.events: list[tuple] = []
        self.services: list[PruningService] = []
        self.servers_seen: list[tuple[list[str], set]] = []  # threads and listening ports at the first report
        self.lock = threading.Lock()

    def reports_of(self, number):
        return [(args, answer) for kind, args, answer in self.events if kind == "decide" and args[0] == number]


@pytest.fixture
def spy(monkeypatch):
    watch = Spy()
    real = {name: getattr(PruningService, name) for name in ("__init__", "assign", "decide", "finish")}

    def init(self, *args, **kwargs):
        real["__init__"](self, *args, **kwargs)
        watch.services.append(self)

    def logged(name):
        def call(self, *args):
            with watch.lock:  # held around the real call: the log's order is the order of the decisions
                if name == "decide" and not watch.servers_seen:
                    watch.servers_seen.append((_report_threads(), _listening()))
                answer = real[name](self, *args)
                watch.events.append((name, args, answer))
                return answer

        return call

    monkeypatch.setattr(PruningService, "__init__", init)
    for name in ("assign", "decide", "finish"):
        monkeypatch.setattr(PruningService, name, logged(name))
    return watch


def _report_threads():
    return [t.name for t in threading.enumerate() if t.name.startswith("hpmagic-report-server")]


def _listening():
    return {c.laddr for c in psutil.Process().net_connections(kind="inet") if c.status == psutil.CONN_LISTEN}


# -- the engines -------------------------------------------------------------------------------


@contextlib.contextmanager
def dask_cluster():
    with clusters.dask_cluster(2, threads=2) as client:
        yield {"executor": client}


@contextlib.contextmanager
def ipyparallel_cluster():
    with clusters.ipp_cluster(2) as client:
        yield {"executor": client}


@contextlib.contextmanager
def process_pool():
    with ProcessPoolExecutor(2) as pool:
        yield {"executor": pool}


@contextlib.contextmanager
def loky_pool():
    loky = pytest.importorskip("joblib.externals.loky")
    pool = loky.get_reusable_executor(max_workers=2)
    try:
        yield {"executor": pool}
    finally:
        pool.shutdown(wait=True)


@contextlib.contextmanager
def thread_pool():
    with ThreadPoolExecutor(3) as pool:
        yield {"executor": pool}


@contextlib.contextmanager
def jobs():
    yield {"jobs": 2}


ENGINES = {
    "dask": dask_cluster,
    "ipyparallel": ipyparallel_cluster,
    "process-pool": process_pool,
    "loky": loky_pool,
    "thread-pool": thread_pool,
    "jobs": jobs,
}
SERVED = {"dask", "ipyparallel", "process-pool", "loky"}  # the engines whose trials report through a server


@pytest.mark.parametrize("engine", list(ENGINES))
def test_a_pruned_search_on_each_engine_is_decided_in_the_kernel(engine, spy, tmp_path):
    with ENGINES[engine]() as where:
        before = _listening()
        result = tune(**where, meet=tmp_path)  # the first two trials start together, however loaded the machine
        after = _listening()
    trials = result.trials
    pruned = [t for t in trials if t.state is TrialState.PRUNED]
    assert len(trials) == TRIALS and pruned and result.completed
    assert all(t.state in (TrialState.PRUNED, TrialState.COMPLETE) for t in trials), [t.error for t in trials]
    assert all(t.curve and t.pruning["rungs"] for t in pruned)
    _check_every_report_reached_the_rule(trials, spy)
    _check_trials_ran_concurrently(spy)
    _check_the_decisions_replay(spy)
    _check_pruned_trials_stop_at_once_and_free_their_worker(trials)
    # the report server lived for the search only: its thread and listening socket are gone
    threads, listening = spy.servers_seen[0]
    assert len(threads) == (1 if engine in SERVED else 0)
    assert (listening - before) if engine in SERVED else not (listening - before)
    assert not _report_threads() and after == before


def _check_every_report_reached_the_rule(trials, spy):
    for t in trials:
        seen = spy.reports_of(t.number)
        assert [(args[1], args[2]) for args, _ in seen] == list(t.curve)  # each point, once, in order
        answers = [answer for _, answer in seen]
        rungs = [[rung, "pruned" if prune else "promoted"] for prune, _, rung in answers if rung is not None]
        assert t.pruning["rungs"] == rungs  # its own answers, none of another trial's
        assert answers[-1][0] is (t.state is TrialState.PRUNED)
        assert not any(prune for prune, _, _ in answers[:-1])
        if t.state is TrialState.PRUNED:
            assert t.error == answers[-1][1]


def _check_the_decisions_replay(spy):
    (live,) = spy.services
    events = list(spy.events)
    fresh = PruningService(live.name, live.settings, live.direction, live.budget)  # logs into spy.events too
    for kind, args, answer in events:
        assert getattr(fresh, kind)(*args) == answer, (kind, args)


def _check_trials_ran_concurrently(spy):
    """Some trial reported between two reports of another: the rule saw them at once."""
    order = [args[0] for kind, args, _ in spy.events if kind == "decide"]
    first = {n: order.index(n) for n in set(order)}
    last = {n: len(order) - 1 - order[::-1].index(n) for n in set(order)}
    assert any(first[a] < first[b] < last[a] for a in first for b in first if a != b)


def _check_pruned_trials_stop_at_once_and_free_their_worker(trials):
    by_worker = collections.defaultdict(list)
    for t in sorted(trials, key=lambda t: t.number):
        lines = t.stdout.splitlines()
        by_worker[lines[0]].append(t)
        done = [line for line in lines if line.startswith("epoch ")]
        # a pruned trial stopped inside the report that pruned it: nothing after it ran
        assert len(done) == (len(t.curve) - 1 if t.state is TrialState.PRUNED else 27)
    # the worker (thread) of a pruned trial ran another trial afterwards
    assert any(
        t.state is TrialState.PRUNED and i + 1 < len(runs) for runs in by_worker.values() for i, t in enumerate(runs)
    )


def test_the_report_server_listens_on_loopback_for_a_local_cluster(spy):
    with dask_cluster() as where:
        before = _listening()
        tune(**where, trials=4)
    ((_, listening),) = spy.servers_seen
    (address,) = listening - before
    assert address.ip == "127.0.0.1"


# -- what goes wrong ---------------------------------------------------------------------------

CUT = CELL.replace(
    "    report(score, epoch)\n",
    """\
    if lr < 0.02 and epoch == 2:  # the network between this worker and the kernel fails
        reports._local.link.sock.shutdown(socket.SHUT_RDWR)
    try:
        report(score, epoch)
    except Exception as exc:  # the cell's own handler: the trial must fail all the same
        print("caught", type(exc).__name__)
""",
).replace("import os,", "import socket\nfrom hpmagic.parallel import reports\nimport os,")
NEVER_PRUNES = "median:min_trials=1000"


def test_a_lost_connection_fails_its_trial_even_if_the_cell_catches_it_and_the_search_goes_on(spy):
    with ProcessPoolExecutor(2) as pool:
        result = tune(pool, cell=CUT, trials=12, prune=NEVER_PRUNES)
    cut = [t for t in result.trials if t.params["lr"] < 0.02]
    assert cut and len(cut) < 12
    assert all(t.state is TrialState.COMPLETE for t in result.trials if t not in cut)
    for t in cut:
        assert t.state is TrialState.FAILED and t.value is None
        assert "ExecutionEnvironmentError: the kernel's report server could not be reached at 127.0.0.1:" in t.error
        assert (
            "the connection was lost" in t.error
            and t.error.count("Traceback") == 1
            and "HPMAGIC_REPORT_ADDRESS" in t.error
        )
        # the cell caught the first failure and went on; later reports failed at once, without the rule
        assert t.stdout.count("caught ExecutionEnvironmentError") == 26
        assert [args[1] for args, _ in spy.reports_of(t.number)] == [1.0]
    # the worker of a cut trial connected again for its next trial
    workers = {t.stdout.split("\n")[0] for t in cut}
    assert any(t.stdout.split("\n")[0] in workers for t in result.completed if t.number > min(c.number for c in cut))
    assert not _report_threads()


def _closed_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_a_worker_that_cannot_reach_the_report_server_fails_its_trials_clearly(monkeypatch):
    port = _closed_port()  # nothing listens there: as behind a firewall that refuses the port
    monkeypatch.setattr(reports.ReportServer, "remote", lambda self: reports.RemoteChannel("127.0.0.1", port, "x"))
    with ProcessPoolExecutor(2) as pool, pytest.raises(hpmagic.TrialsFailedError) as caught:
        tune(pool, trials=4)
    failed = [t for t in caught.value.result.trials if t.state is TrialState.FAILED]
    assert len(failed) >= 3  # the first trials all failed: the search stopped, saying why
    assert f"could not be reached at 127.0.0.1:{port}" in str(caught.value)
    for t in failed:
        assert f"the kernel's report server could not be reached at 127.0.0.1:{port}: ConnectionRefusedError" in t.error
        assert "a firewall between them?" in t.error and "HPMAGIC_REPORT_ADDRESS=HOST:PORT" in t.error
    assert not _report_threads()


# -- the protocol, on real sockets -------------------------------------------------------------


class Echo:
    """A channel whose answer names the report it answers."""

    def decide(self, number, step, value, kind):
        return step == 5, f"{number}:{step}:{value}:{kind}", step * 10


@contextlib.contextmanager
def serving(channel):
    server = reports.ReportServer(channel)
    try:
        yield server
    finally:
        server.close()


def test_concurrent_reports_through_one_server_are_each_answered_with_their_own_decision():
    answers = collections.defaultdict(list)
    with serving(Echo()) as server:
        remote = pickle.loads(pickle.dumps(server.remote()))  # as a worker receives it

        def trial(number):
            for step in range(1, 301):
                answers[number].append((step, remote.decide(number, float(step), number / 10, "curve")))

        threads = [threading.Thread(target=trial, args=(n,)) for n in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
        assert len(_report_threads()) == 1  # one thread serves every connection
        port = server.port
    for number in range(4):
        assert answers[number] == [
            (step, (step == 5, f"{number}:{float(step)}:{number / 10}:curve", step * 10.0)) for step in range(1, 301)
        ]
    assert not _report_threads()
    assert not any(c.laddr.port == port for c in psutil.Process().net_connections(kind="inet"))
    with pytest.raises(ExecutionEnvironmentError, match=f"could not be reached at 127.0.0.1:{port}"):
        remote.decide(0, 301.0, 0.0, "curve")  # the server is gone: a clear error, not a hang


def test_the_rules_report_error_is_raised_in_the_worker():
    service = PruningService("asha", {}, hpmagic.Direction.MAXIMIZE, 10)
    with serving(service) as server:
        remote = server.remote()
        assert remote.decide(3, 1.0, 0.5, "curve")[0] is False
        service.finish(hpmagic.Trial(number=3, params={}, state=TrialState.COMPLETE, curve=((1.0, 0.5),)))
        with pytest.raises(ReportError, match="trial 3 has already ended"):
            remote.decide(3, 2.0, 0.6, "curve")
        assert remote.decide(4, 1.0, 0.7, "curve")[0] is False  # the connection goes on


class Trap:
    """Unpickling this creates a file: a server that unpickled anything would show it."""

    def __init__(self, path):
        self.path = path

    def __reduce__(self):
        return (open, (self.path, "w"))


def _exchange(server, data):
    with socket.create_connection(("127.0.0.1", server.port), timeout=30) as conn:
        try:
            conn.sendall(data)
            return conn.recv(4096)
        except ConnectionResetError:  # closed with our bytes unread
            return b""


def test_requests_without_the_token_are_dropped_and_nothing_is_unpickled(tmp_path):
    trap = tmp_path / "unpickled"
    with serving(Echo()) as server:
        good = server.remote()
        request = {"id": 1, "number": 0, "step": 1.0, "value": 0.5, "kind": "curve"}
        assert _exchange(server, pickle.dumps(Trap(str(trap))) + b"\n") == b""
        assert _exchange(server, (reports.json.dumps({**request, "token": "guess"}) + "\n").encode()) == b""
        assert _exchange(server, (reports.json.dumps(request) + "\n").encode()) == b""
        assert _exchange(server, b"x" * 100_000) == b""  # no line end: not a report
        malformed = {**request, "token": server.token, "number": "0"}
        assert b"malformed report" in _exchange(server, (reports.json.dumps(malformed) + "\n").encode())
        assert good.decide(0, 1.0, 0.5, "curve") == (False, "0:1.0:0.5:curve", 10.0)  # still serving
    assert not trap.exists()


def test_a_channel_is_small_plain_data_and_never_shows_its_token():
    with serving(Echo()) as server:
        remote = server.remote()
        remote.decide(0, 1.0, 0.5, "curve")  # opens this thread's connection
        data = pickle.dumps(remote)
        assert len(data) < 200 and pickle.loads(data) == remote
        assert server.token not in repr(remote) and repr(remote) == f"RemoteChannel(127.0.0.1:{server.port})"


@pytest.mark.parametrize(
    ("setting", "address"),
    [
        ("", ("127.0.0.1", 0)),
        ("127.0.0.1:8123", ("127.0.0.1", 8123)),
        (":8123", ("127.0.0.1", 8123)),
        ("10.1.2.3", ("10.1.2.3", 0)),
        ("[::1]:8123", ("::1", 8123)),
    ],
)
def test_the_report_address_is_loopback_for_local_workers_or_the_one_configured(monkeypatch, setting, address):
    monkeypatch.setenv(reports.ADDRESS_VARIABLE, setting)
    assert reports.server_address(["127.0.0.1", "localhost", socket.gethostname()]) == address


def test_a_report_address_that_cannot_be_used_is_a_clear_error(monkeypatch):
    monkeypatch.setenv(reports.ADDRESS_VARIABLE, "127.0.0.1:http")
    with pytest.raises(ExecutionEnvironmentError, match="the port must be a number"):
        reports.server_address()
    with socket.create_server(("127.0.0.1", 0)) as busy:
        monkeypatch.setenv(reports.ADDRESS_VARIABLE, f"127.0.0.1:{busy.getsockname()[1]}")
        with pytest.raises(ExecutionEnvironmentError, match="could not listen on 127.0.0.1:.*Address already in use"):
            reports.start_server(Echo())
    assert not _report_threads()


STOPPED = """
from hpmagic import report
import os, time
lr = 0.05  # tune: loguniform(1e-3, 1)
try:
    for epoch in range(1, 101):
        time.sleep(0.05)
        open(os.path.join(marks, f"epoch-{epoch}"), "w").close()
        report(lr, epoch)
except BaseException as exc:
    open(os.path.join(marks, "stopped-by-" + type(exc).__name__), "w").close()
    raise
lr
"""


@pytest.fixture(params=["dask", "ipyparallel"])
def one_worker(request):
    """An engine of one worker that cannot stop a running trial from outside."""
    if request.param == "dask":
        with clusters.dask_cluster(1) as client:
            yield client
    else:
        with clusters.ipp_cluster(1) as client:
            yield client


def test_a_trial_that_a_stop_leaves_running_on_an_engine_ends_at_its_next_report(one_worker, monkeypatch, tmp_path):
    """Dask and ipyparallel cannot stop a running task; once the search is over, its next report ends it."""
    import signal
    import time

    decide = PruningService.decide

    def press_stop_at_step_3(self, number, step, value, kind):
        if step == 3:
            os.kill(os.getpid(), signal.SIGINT)
        return decide(self, number, step, value, kind)

    monkeypatch.setattr(PruningService, "decide", press_stop_at_step_3)
    result = hpmagic.tune(
        STOPPED, {"marks": str(tmp_path)}, trials=1, quiet=True, prune=NEVER_PRUNES, executor=one_worker
    )
    assert [t.state for t in result.trials] == [TrialState.INTERRUPTED]
    deadline = time.monotonic() + 60  # a hang guard: the trial would run 5 s to its end
    while not list(tmp_path.glob("stopped-by-*")) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert [p.name for p in tmp_path.glob("stopped-by-*")] == ["stopped-by-ExecutionEnvironmentError"]
    assert len(list(tmp_path.glob("epoch-*"))) < 100
