"""Parallel trials: wall time with --jobs and Dask, and the cost of a large namespace.

Part 1 runs 64 trials of a cell that sleeps 0.25 s, sequentially (--jobs 1), with
--jobs 8 (eight local worker processes, started inside the timed run) and on a Dask
LocalCluster of 8 single-threaded worker processes (started before the timed run, as a
user's cluster would be), next to Optuna's ``n_jobs`` (threads) on the same objective.
The first run on the cluster includes each worker's first import of what runs a trial
(``hpmagic.parallel.remote``, which loads only a few of hpmagic's modules); a second run on
the same cluster shows the steady state.

Part 2 puts a 200 MB array in the namespace, which the cell reads, and runs a trivial
cell 20 and 100 times with --jobs 2.  It reports the start-up cost (pickling the payload
once and sending it), the marginal time per trial, and how many bytes went to worker
processes: the array must travel at most once per worker, however many trials run.  Both
ways of starting workers are measured: the fork server (one process loads the payload and
forks the workers) and fresh interpreters (each receives the payload).

    python -m benchmarks.parallel           # the full run (about a minute)
    python -m benchmarks.parallel --quick   # 16 trials in part 1, 20 and 40 in part 2
"""

from __future__ import annotations

import argparse
import logging
import os
import time
import warnings

SLEEP_CELL = """
import time
x = 0.0  # tune: uniform(-1, 1)
time.sleep(0.25)
(x - 0.3) ** 2
"""

BIG_CELL = """
x = 0.0  # tune: uniform(-1, 1)
(x - 0.3) ** 2 + float(big[0])
"""


def run_hpmagic(cell: str, namespace: dict, trials: int, **options) -> tuple[float, object]:
    """Wall time of one search, and the executor it used (captured for its statistics)."""
    import hpmagic
    import hpmagic.api as api

    captured = {}
    make = api.make_executor

    def capture(opts, program, ns, **kwargs):
        start = time.perf_counter()
        captured["executor"] = make(opts, program, ns, **kwargs)
        captured["executor"].startup_seconds = time.perf_counter() - start
        return captured["executor"]

    api.make_executor = capture
    try:
        start = time.perf_counter()
        result = hpmagic.tune(
            cell, namespace, trials=trials, strategy="random", seed=0, quiet=True, apply=False, **options
        )
        elapsed = time.perf_counter() - start
    finally:
        api.make_executor = make
    assert len(result.completed) == trials, [t.error for t in result.trials if t.error][:1]
    return elapsed, captured["executor"]


def run_optuna(objective, trials: int, n_jobs: int) -> float:
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))
    start = time.perf_counter()
    study.optimize(objective, n_trials=trials, n_jobs=n_jobs)
    return time.perf_counter() - start


def part_one(trials: int) -> None:
    from dask.distributed import Client, LocalCluster

    def sleepy(trial):
        x = trial.suggest_float("x", -1, 1)
        time.sleep(0.25)
        return (x - 0.3) ** 2

    print(f"\n{trials} trials of a cell that sleeps 0.25 s (ideal sequential time {trials * 0.25:.1f} s)")
    rows = []
    seq, _ = run_hpmagic(SLEEP_CELL, {}, trials)
    rows.append(("hpmagic --jobs 1", seq))
    rows.append(("hpmagic --jobs 8 (worker start-up included)", run_hpmagic(SLEEP_CELL, {}, trials, jobs=8)[0]))
    start = time.perf_counter()
    with LocalCluster(
        n_workers=8, threads_per_worker=1, processes=True, dashboard_address=None, silence_logs=logging.ERROR
    ) as cluster:
        with Client(cluster) as client:
            started = time.perf_counter() - start
            rows.append(
                (
                    "hpmagic --executor (Dask LocalCluster, 8 workers)",
                    run_hpmagic(SLEEP_CELL, {}, trials, executor=client)[0],
                )
            )
            rows.append(
                (
                    "  the same, run again (workers already import hpmagic)",
                    run_hpmagic(SLEEP_CELL, {}, trials, executor=client)[0],
                )
            )
    optuna_seq = run_optuna(sleepy, trials, 1)
    rows.append(("Optuna n_jobs=1", optuna_seq))
    rows.append(("Optuna n_jobs=8 (threads)", run_optuna(sleepy, trials, 8)))
    width = max(len(name) for name, _ in rows)
    for name, seconds in rows:
        base = optuna_seq if name.startswith("Optuna") else seq
        print(f"  {name:<{width}}  {seconds:6.2f} s   {base / seconds:4.1f}x")
    print(f"  (the Dask cluster took {started:.1f} s to start, outside the timed run)")
    if not _has_bytecode():
        print(
            "  (hpmagic has no cached bytecode here (PYTHONDONTWRITEBYTECODE is set, or nothing has written it):\n"
            "   each new Dask worker compiles the modules a trial needs on its first trial, part of the first run's\n"
            "   extra time; a pip install writes the bytecode when it installs)"
        )


def _has_bytecode() -> bool:
    import importlib.util

    import hpmagic.cell.trial

    return os.path.exists(importlib.util.cache_from_source(hpmagic.cell.trial.__file__))


def part_two(counts: tuple[int, int]) -> None:
    import numpy as np

    big = np.ones(25_000_000)  # 200 MB of float64
    mb = big.nbytes / 1e6
    print(f"\nA {mb:.0f} MB array in the namespace, read by a trivial cell, --jobs 2")
    b = counts[-1]
    for mode in ("fork-server", "spawn"):
        os.environ["HPMAGIC_WORKER_START"] = mode
        print(
            f"  workers started by {'the fork server (the Linux default)' if mode == 'fork-server' else 'spawning fresh interpreters'}:"
        )
        for n in counts:
            elapsed, executor = run_hpmagic(BIG_CELL, {"big": big}, n, jobs=2)
            stats = executor.stats
            startup = executor.startup_seconds
            print(
                f"    {n:4d} trials: {elapsed:5.2f} s in all = start-up {startup:4.2f} s (once) + "
                f"{elapsed - startup:4.2f} s for the trials ({(elapsed - startup) / n * 1e3:5.2f} ms each); "
                f"payload {executor.payload.size / 1e6:.0f} MB "
                f"pickled once, {stats['bytes_sent'] / 1e6:.0f} MB sent to {stats['workers_started']} worker processes in all"
            )
    os.environ.pop("HPMAGIC_WORKER_START", None)
    seq_elapsed, _ = run_hpmagic(BIG_CELL, {"big": big}, b)
    print(f"  for comparison, --jobs 1 (no sending at all), {b} trials: {seq_elapsed:.2f} s")

    def trivial(trial):
        x = trial.suggest_float("x", -1, 1)
        return (x - 0.3) ** 2 + float(big[0])

    print(f"  Optuna n_jobs=2 (threads share memory, nothing is sent), {b} trials: {run_optuna(trivial, b, 2):.2f} s")


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.parallel", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer trials, for a smoke test")
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    logging.getLogger("distributed").setLevel(logging.ERROR)
    part_one(16 if args.quick else 64)
    part_two((20, 40) if args.quick else (20, 100))


if __name__ == "__main__":
    main()
