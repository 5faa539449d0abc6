"""The per-trial cost of isolating trials from the notebook's objects.

A namespace holds a 200 MB NumPy array and a fitted scikit-learn RandomForestClassifier
(100 trees, on the digits data); a trivial cell reads both.  Each trial of hpmagic
restores its own copy of them (:mod:`hpmagic.cell.isolation`): the array comes back as a
read-only view of the same memory (nothing copied), the forest's Python objects are
rebuilt (its arrays, again, are views).  This measures the time per trial of that search
against the same cell with no variables, inline and with --jobs 2, and against Optuna and
hyperopt running the same trivial objective closing over the same objects (they do not
isolate trials, so their cost is about nothing).

Per-trial time is the wall time of a search minus its start-up, divided by its trials;
hpmagic's start-up (taking the snapshot, starting the workers, sending the payload: the
time ``make_executor`` takes) is reported apart.  The time the trial bodies took (their
recorded ``duration``, which includes restoring the variables) is shown too.  Each figure
is the median of ``--repeats`` repeats (default 5), the runs of one repeat interleaved.

    python -m benchmarks.isolation             # 5 repeats of 100 trials
    python -m benchmarks.isolation --quick     # 3 repeats of 30 trials
"""

from __future__ import annotations

import argparse
import logging
import statistics
import time
import warnings

WITH_VARS = """
x = 0.0  # tune: uniform(-1, 1)
(x - 0.3) ** 2 + float(big[0]) + 0 * len(model.estimators_)
"""

NO_VARS = """
x = 0.0  # tune: uniform(-1, 1)
(x - 0.3) ** 2
"""


def make_namespace() -> dict:
    import numpy as np
    from sklearn.datasets import load_digits
    from sklearn.ensemble import RandomForestClassifier

    X, y = load_digits(return_X_y=True)
    return {"big": np.ones(25_000_000), "model": RandomForestClassifier(n_estimators=100, random_state=0).fit(X, y)}


def hpmagic_search(cell: str, namespace: dict, trials: int, jobs: int) -> tuple[float, float, float]:
    """(wall time per trial without start-up, start-up, median trial duration) of one search."""
    import hpmagic
    import hpmagic.api as api

    make, spent = api.make_executor, []

    def timed(*args, **kwargs):
        start = time.perf_counter()
        executor = make(*args, **kwargs)
        spent.append(time.perf_counter() - start)
        return executor

    api.make_executor = timed
    try:
        start = time.perf_counter()
        result = hpmagic.tune(
            cell, dict(namespace), trials=trials, jobs=jobs, strategy="random", seed=0, quiet=True, apply=False
        )
        elapsed = time.perf_counter() - start
    finally:
        api.make_executor = make
    assert len(result.completed) == trials, [t.error for t in result.trials if t.error][:1]
    durations = statistics.median(t.duration for t in result.trials)
    return (elapsed - spent[0]) / trials, spent[0], durations


def optuna_search(namespace: dict, trials: int) -> float:
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    big, model = namespace["big"], namespace["model"]

    def objective(trial):
        x = trial.suggest_float("x", -1, 1)
        return (x - 0.3) ** 2 + float(big[0]) + 0 * len(model.estimators_)

    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))
    start = time.perf_counter()
    study.optimize(objective, n_trials=trials)
    return time.perf_counter() - start


def hyperopt_search(namespace: dict, trials: int) -> float:
    import numpy as np
    from hyperopt import Trials, fmin, hp, rand

    big, model = namespace["big"], namespace["model"]

    def objective(x):
        return (x - 0.3) ** 2 + float(big[0]) + 0 * len(model.estimators_)

    start = time.perf_counter()
    fmin(
        objective,
        hp.uniform("x", -1, 1),
        algo=rand.suggest,
        max_evals=trials,
        trials=Trials(),
        rstate=np.random.default_rng(0),
        show_progressbar=False,
    )
    return time.perf_counter() - start


def restore_seconds(namespace: dict) -> tuple[float, float]:
    """(taking the kernel's snapshot once, restoring it once): medians of 20."""
    from hpmagic.cell.isolation import Snapshot

    takes, restores = [], []
    for _ in range(20):
        start = time.perf_counter()
        snapshot = Snapshot.take(namespace)
        takes.append(time.perf_counter() - start)
        start = time.perf_counter()
        snapshot.restore()
        restores.append(time.perf_counter() - start)
    return statistics.median(takes), statistics.median(restores)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.isolation", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer trials and repeats, for a smoke test")
    parser.add_argument("--repeats", type=int, default=None)
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    logging.getLogger("hyperopt").setLevel(logging.ERROR)
    trials = 30 if args.quick else 100
    repeats = args.repeats or (3 if args.quick else 5)
    namespace = make_namespace()
    take, restore = restore_seconds(namespace)
    print(f"namespace: a {namespace['big'].nbytes / 1e6:.0f} MB array and a fitted 100-tree RandomForestClassifier")
    print(
        f"hpmagic's snapshot: taken in {take * 1e3:.1f} ms once per search, restored in {restore * 1e3:.2f} ms per trial "
        "(medians of 20)\n"
    )
    runs = {
        "hpmagic inline, no variables": lambda: hpmagic_search(NO_VARS, {}, trials, 1),
        "hpmagic inline, array + forest": lambda: hpmagic_search(WITH_VARS, namespace, trials, 1),
        "hpmagic --jobs 2, no variables": lambda: hpmagic_search(NO_VARS, {}, trials, 2),
        "hpmagic --jobs 2, array + forest": lambda: hpmagic_search(WITH_VARS, namespace, trials, 2),
        "Optuna, array + forest (not isolated)": lambda: (optuna_search(namespace, trials) / trials, 0.0, float("nan")),
        "hyperopt, array + forest (not isolated)": lambda: (
            hyperopt_search(namespace, trials) / trials,
            0.0,
            float("nan"),
        ),
    }
    figures: dict[str, list[tuple[float, float, float]]] = {name: [] for name in runs}
    for _ in range(repeats):
        for name, run in runs.items():
            figures[name].append(run())
    med = {name: tuple(statistics.median(f[i] for f in values) for i in range(3)) for name, values in figures.items()}
    width = max(len(name) for name in runs)
    print(f"{trials} trials, medians of {repeats} repeats:")
    print(f"  {'':<{width}}  {'per trial':>10}  {'trial body':>10}  {'start-up':>8}")
    for name in runs:
        per, up, body = med[name]
        body_text = f"{body * 1e3:7.2f} ms" if body == body else "          "
        print(f"  {name:<{width}}  {per * 1e3:7.2f} ms  {body_text}  {up:6.2f} s")
    print()
    for mode in ("inline", "--jobs 2"):
        with_vars, without = med[f"hpmagic {mode}, array + forest"], med[f"hpmagic {mode}, no variables"]
        print(
            f"  {mode}: isolating the array and the forest adds {(with_vars[0] - without[0]) * 1e3:.2f} ms per trial "
            f"({with_vars[0] / without[0]:.1f}x the trial without variables), {with_vars[1] - without[1]:.2f} s at start-up"
        )
    inline = med["hpmagic inline, array + forest"][0]
    print(
        f"  hpmagic inline vs Optuna: {inline / med['Optuna, array + forest (not isolated)'][0]:.1f}x; "
        f"vs hyperopt: {inline / med['hyperopt, array + forest (not isolated)'][0]:.1f}x (per trial, same objects)"
    )


if __name__ == "__main__":
    main()
