"""Framework time per trial for a trivial objective: hpmagic vs Optuna vs hyperopt.

All three run the same four-parameter space (a uniform, a log-uniform, an integer and a
categorical) and the same arithmetic objective, with random sampling and no display, in
one process.  The objective itself costs well under a microsecond, so time per trial is the
framework's overhead.  Each framework is repeated and the median is reported.

    python -m benchmarks.overhead            # 1,000 trials, 5 repeats
    python -m benchmarks.overhead --trials 300 --repeats 3
    python -m benchmarks.overhead --only hpmagic   # hpmagic alone (an A/B of two versions)
"""

from __future__ import annotations

import argparse
import logging
import statistics
import time
import warnings

from .trivial_cell import CELL


def objective(x, lr, depth, kind):
    return (x - 1) ** 2 + (lr - 0.01) ** 2 + depth * 0.1 + (kind == "b")


def run_hpmagic(trials: int, seed: int) -> float:
    import hpmagic

    start = time.perf_counter()
    hpmagic.tune(CELL, {}, trials=trials, strategy="random", seed=seed, quiet=True, apply=False)
    return time.perf_counter() - start


def run_optuna(trials: int, seed: int) -> float:
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)

    def fn(trial):
        return objective(
            trial.suggest_float("x", -5, 5),
            trial.suggest_float("lr", 1e-5, 1, log=True),
            trial.suggest_int("depth", 1, 10),
            trial.suggest_categorical("kind", ["a", "b", "c"]),
        )

    start = time.perf_counter()
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=seed))
    study.optimize(fn, n_trials=trials)
    return time.perf_counter() - start


def run_hyperopt(trials: int, seed: int) -> float:
    import numpy as np
    from hyperopt import Trials, fmin, hp, rand

    space = {
        "x": hp.uniform("x", -5, 5),
        "lr": hp.loguniform("lr", np.log(1e-5), np.log(1)),
        "depth": hp.uniformint("depth", 1, 10),
        "kind": hp.choice("kind", ["a", "b", "c"]),
    }
    start = time.perf_counter()
    fmin(
        lambda p: objective(**p),
        space,
        algo=rand.suggest,
        max_evals=trials,
        trials=Trials(),
        rstate=np.random.default_rng(seed),
        show_progressbar=False,
    )
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.overhead", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--trials", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--only", choices=["hpmagic"], help="time hpmagic alone (to compare two of its versions)")
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    logging.getLogger("hyperopt").setLevel(logging.ERROR)

    runners = {
        "hpmagic (random)": run_hpmagic,
        "optuna (RandomSampler)": run_optuna,
        "hyperopt (rand.suggest)": run_hyperopt,
    }
    if args.only:
        runners = {"hpmagic (random)": run_hpmagic}
    for fn in runners.values():  # warm up imports and caches
        fn(20, 0)
    times: dict[str, list[float]] = {name: [] for name in runners}
    for rep in range(args.repeats):
        for name, fn in runners.items():  # interleaved, so drift hits everyone alike
            times[name].append(fn(args.trials, rep))

    per_trial = {name: statistics.median(ts) / args.trials * 1e6 for name, ts in times.items()}
    ours = per_trial["hpmagic (random)"]
    print(f"Per-trial framework overhead, {args.trials} trials, median of {args.repeats} repeats")
    print(f"{'framework':<26}{'us/trial':>10}{'vs hpmagic':>12}")
    for name, us in per_trial.items():
        print(f"{name:<26}{us:>10.1f}{us / ours:>11.1f}x")
    if args.only:
        return
    ratio = ours / per_trial["optuna (RandomSampler)"]
    print(f"\nhpmagic / optuna = {ratio:.2f} (target <= 0.50): {'met' if ratio <= 0.5 else 'NOT met'}")
    print(f"hpmagic / hyperopt = {ours / per_trial['hyperopt (rand.suggest)']:.2f}")


if __name__ == "__main__":
    main()
