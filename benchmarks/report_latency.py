"""The round trip of one ``report(value, step)`` with ``--prune``, wherever the trial runs.

A cell reports 200 points and times each ``report`` call inside the trial (so the figure is
what the cell waits for: checking the point, the trip to the kernel's pruning rule, the
decision and the way back).  Six trials run with two at a time (except inline), so the
kernel answers two workers at once, as in a real search:

- inline without ``--prune`` (the point is only recorded) and with it (the rule is a call),
- ``--jobs 2`` (over the worker's own pipe to the kernel's reader thread),
- a ``ThreadPoolExecutor(2)`` (threads of the kernel: a call),
- a ``ProcessPoolExecutor(2)``, a Dask ``LocalCluster`` of two worker processes and an
  ipyparallel cluster of two engines (each over a TCP connection to the kernel's report
  server on loopback),

next to Optuna 5's ``trial.report`` + ``trial.should_prune()`` with its in-memory storage
and with the SQLite storage its process-parallel and multi-machine setups share.  The rule
(``median:min_trials=1000``, Optuna's ``MedianPruner(n_startup_trials=1000)``) never prunes,
so every report makes the trip.  hyperopt has no intermediate reports to compare.

    python -m benchmarks.report_latency            # 6 trials x 200 reports per setup
    python -m benchmarks.report_latency --quick    # 4 trials x 50 reports

Each figure is the median over all the reports of a setup (trials x reports), in
microseconds, with the median of the trials' own medians beside it.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import statistics
import tempfile
import time
import warnings
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from typing import Any

CELL = """
from hpmagic import report
import time
x = 0.5  # tune: uniform(0, 1)
times = []
for step in range(1, REPORTS + 1):
    start = time.perf_counter()
    report(x, step)
    times.append(time.perf_counter() - start)
print(" ".join(repr(t) for t in times))
x
"""
RULE = "median:min_trials=1000"


def hpmagic_times(trials: int, reports: int, **options: Any) -> list[list[float]]:
    """Each trial's report times (seconds)."""
    import hpmagic

    cell = CELL.replace("REPORTS", str(reports))
    result = hpmagic.tune(cell, {}, trials=trials, seed=0, quiet=True, strategy="random", **options)
    bad = [t.error for t in result.trials if t.state.value != "complete"]
    assert not bad, bad[0]
    return [[float(v) for v in t.stdout.split()] for t in result.trials]


def optuna_times(trials: int, reports: int, storage: Any) -> list[list[float]]:
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(storage=storage, pruner=optuna.pruners.MedianPruner(n_startup_trials=1000))
    out: list[list[float]] = []

    def objective(trial: Any) -> float:
        x = trial.suggest_float("x", 0, 1)
        times = []
        for step in range(1, reports + 1):
            start = time.perf_counter()
            trial.report(x, step)
            if trial.should_prune():
                raise optuna.TrialPruned()
            times.append(time.perf_counter() - start)
        out.append(times)
        return x

    study.optimize(objective, n_trials=trials)
    return out


@contextlib.contextmanager
def dask_client() -> Iterator[Any]:
    import distributed

    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        with distributed.Client(cluster) as client:
            client.run(lambda: __import__("hpmagic.parallel.remote"))  # imports done before the timed run
            yield client


@contextlib.contextmanager
def ipyparallel_client() -> Iterator[Any]:
    import ipyparallel

    cluster = ipyparallel.Cluster(n=2, log_level=40)
    client = cluster.start_and_connect_sync(activate=False)
    try:
        client[:].apply_sync(lambda: __import__("hpmagic.parallel.remote") and None)
        yield client
    finally:
        client.close()
        cluster.stop_cluster_sync()


def setups(trials: int, reports: int) -> Iterator[tuple[str, list[list[float]]]]:
    yield "hpmagic inline, no --prune", hpmagic_times(trials, reports)
    yield "hpmagic inline", hpmagic_times(trials, reports, prune=RULE)
    yield "hpmagic --jobs 2", hpmagic_times(trials, reports, prune=RULE, jobs=2)
    with ThreadPoolExecutor(2) as threads:
        yield "hpmagic ThreadPoolExecutor(2)", hpmagic_times(trials, reports, prune=RULE, executor=threads)
    with ProcessPoolExecutor(2) as processes:
        hpmagic_times(2, 1, prune=RULE, executor=processes)  # start the processes first, as a user's pool is
        yield "hpmagic ProcessPoolExecutor(2)", hpmagic_times(trials, reports, prune=RULE, executor=processes)
    with dask_client() as client:
        yield "hpmagic Dask LocalCluster(2)", hpmagic_times(trials, reports, prune=RULE, executor=client)
    with ipyparallel_client() as client:
        yield "hpmagic ipyparallel (2 engines)", hpmagic_times(trials, reports, prune=RULE, executor=client)
    yield "Optuna in-memory storage", optuna_times(trials, reports, None)
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{os.path.join(folder, 'optuna.sqlite')}"
        yield "Optuna SQLite storage", optuna_times(trials, reports, url)


def main() -> None:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.report_latency",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--quick", action="store_true", help="4 trials x 50 reports per setup")
    args = parser.parse_args()
    trials, reports = (4, 50) if args.quick else (6, 200)
    logging.getLogger("distributed").setLevel(logging.ERROR)
    warnings.simplefilter("ignore")
    print(f"one report's round trip, {trials} trials x {reports} reports per setup (microseconds)")
    print(f"{'setup':34s} {'median':>9s} {'trials':>9s} {'p90':>9s}")
    for name, times in setups(trials, reports):
        every = sorted(t for trial in times for t in trial)
        p90 = every[int(0.9 * (len(every) - 1))]
        per_trial = statistics.median(statistics.median(trial) for trial in times)
        print(f"{name:34s} {1e6 * statistics.median(every):9.1f} {1e6 * per_trial:9.1f} {1e6 * p90:9.1f}", flush=True)


if __name__ == "__main__":
    main()
