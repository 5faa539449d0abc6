"""Warm start against a cold start (issue 25): the trials a search needs to reach the best a cold
search found in 50 trials, when it starts from a study of 50 trials on a related problem.

Four pairs of related problems (the earlier study's, then the new one):

- ``dataset``: an RBF SVM (``C``, ``gamma``) on 500 digits, then on another 500 (the same model
  on a related dataset), 3-fold accuracy maximised;
- ``synthetic``: the same SVM on two draws of ``make_classification`` (400 samples, 20 features,
  6 informative; ``random_state`` 0, then 1);
- ``widened``: a smooth four-parameter bowl with a ripple searched in ``[0, 1]`` each, then the
  same problem with ``x`` and ``y`` widened to ``[-1, 2]``;
- ``changed``: a rippled bowl over ``x, y, depth`` (``depth`` an integer; the function reads ``lr``
  fixed at 1e-2), then the same function with ``depth`` removed (fixed at 4, its best) and ``lr``
  tuned, log-uniform (the told trials take its default, 1e-2, the value they ran with).

For each of ``--seeds`` seeds: the earlier study (50 trials, ``auto``), the cold search (50 trials,
``auto``), and the warm search (``--warm-start``, at most 25 trials: the target is half).  A warm
search that does not reach the cold best in 25 trials counts as 50 (the worst case).  Prints,
per pair, the median and mean of the warm trials needed, their ratio to 50, how many seeds
reached the cold best within 25, and the mean best value after 5, 10 and 25 trials, cold and warm.

    nice -n 10 .venv/bin/python -m benchmarks.warm_start [--seeds 10] [--pairs dataset,widened,changed,synthetic]
        [--told none|shift|drop|shift+drop]

``--told`` says how ``gp`` fits the told trials (``GPStrategy.WARM``); the default is the library's.
"""

from __future__ import annotations

import argparse
import math
import os
import statistics
import tempfile
import time

import hpmagic
from hpmagic.strategies.gp import GPStrategy

COLD = 50
WARM_CAP = 25

SVM = """
C = 1.0         # tune: loguniform(1e-2, 1e3)
gamma = 1e-3    # tune: loguniform(1e-5, 1e-1)
score(C, gamma, part)
"""

WIDE_BEFORE = """
x = 0.5   # tune: uniform(0, 1)
y = 0.5   # tune: uniform(0, 1)
u = 0.5   # tune: uniform(0, 1)
v = 0.5   # tune: uniform(0, 1)
bowl(x, y, u, v)
"""
WIDE_AFTER = """
x = 0.5   # tune: uniform(-1, 2)
y = 0.5   # tune: uniform(-1, 2)
u = 0.5   # tune: uniform(0, 1)
v = 0.5   # tune: uniform(0, 1)
bowl(x, y, u, v)
"""

CHANGED_BEFORE = """
x = 0.0    # tune: uniform(-3, 3)
y = 0.0    # tune: uniform(-3, 3)
depth = 3  # tune: int(1, 8)
changed(x, y, depth=depth)
"""
CHANGED_AFTER = """
x = 0.0    # tune: uniform(-3, 3)
y = 0.0    # tune: uniform(-3, 3)
lr = 1e-2  # tune: loguniform(1e-4, 1)
changed(x, y, lr=lr)
"""


def bowl(x, y, u, v):
    return (x - 0.8) ** 2 + 2 * (y - 0.35) ** 2 + (u - 0.6) ** 2 + 0.5 * (v - 0.2) ** 2 + 0.05 * math.sin(9 * x)


def changed(x, y, depth=4, lr=1e-2):
    lr_term = 0.2 * (math.log10(lr) + 2.5) ** 2
    return (
        (x - 1.3) ** 2
        + 0.7 * (y + 0.9) ** 2
        + 0.3 * (x - 1.3) * (y + 0.9)
        + 0.05 * (depth - 4) ** 2
        + lr_term
        + 0.1 * math.cos(3 * x)
    )


def _digits():
    from sklearn.datasets import load_digits

    X, y = load_digits(return_X_y=True)
    return (X[:500] / 16, y[:500]), (X[500:1000] / 16, y[500:1000])


def _classification():
    from sklearn.datasets import make_classification

    def one(seed):
        return make_classification(400, 20, n_informative=6, flip_y=0.05, class_sep=0.8, random_state=seed)

    return one(0), one(1)


def _svm_score(parts):
    from sklearn.model_selection import cross_val_score
    from sklearn.svm import SVC

    def score(C, gamma, part):
        X, y = parts[part]
        return float(cross_val_score(SVC(C=C, gamma=gamma), X, y, cv=3).mean())

    return score


def pairs() -> dict[str, tuple[str, dict, str, dict, bool]]:
    """name -> (earlier cell, its namespace, new cell, its namespace, maximize)."""
    score, synthetic = _svm_score(_digits()), _svm_score(_classification())
    return {
        "dataset": (SVM, {"score": score, "part": 0}, SVM, {"score": score, "part": 1}, True),
        "synthetic": (SVM, {"score": synthetic, "part": 0}, SVM, {"score": synthetic, "part": 1}, True),
        "widened": (WIDE_BEFORE, {"bowl": bowl}, WIDE_AFTER, {"bowl": bowl}, False),
        "changed": (CHANGED_BEFORE, {"changed": changed}, CHANGED_AFTER, {"changed": changed}, False),
    }


def one(name: str, pair: tuple, seed: int, storage: str) -> tuple[int, list[float], list[float]]:
    """Warm trials needed to reach the cold best (``COLD`` when not within ``WARM_CAP``), and the best so
    far after each trial, cold then warm."""
    before, ns_before, after, ns_after, maximize = pair
    way = {"maximize": True} if maximize else {"minimize": True}
    study = f"{name}-{seed}"
    common = dict(quiet=True, apply=False, **way)
    hpmagic.tune(before, dict(ns_before), trials=COLD, seed=1000 + seed, study=study, storage=storage, **common)
    cold = hpmagic.tune(after, dict(ns_after), trials=COLD, seed=seed, **common)
    warm = hpmagic.tune(after, dict(ns_after), trials=WARM_CAP, seed=seed, warm_start=study, storage=storage, **common)
    target = cold.best_value
    better = (lambda v: v >= target - 1e-12) if maximize else (lambda v: v <= target + 1e-12)
    needed = next((i + 1 for i, t in enumerate(warm.trials) if t.ok and better(t.value)), COLD)
    return needed, _so_far(cold, maximize), _so_far(warm, maximize)


def _so_far(result, maximize: bool) -> list[float]:
    best, out = None, []
    for t in result.trials:
        if t.ok and (best is None or (t.value > best if maximize else t.value < best)):
            best = t.value
        out.append(best)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.warm_start", description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--pairs", default="dataset,widened,changed,synthetic")
    parser.add_argument(
        "--told",
        default=GPStrategy.WARM,
        choices=["none", "shift", "drop", "shift+drop"],
        help="how gp fits the told trials (GPStrategy.WARM; default: the library's)",
    )
    args = parser.parse_args()
    GPStrategy.WARM = args.told
    every = pairs()
    storage = os.path.join(tempfile.mkdtemp(), "warm.sqlite")
    print(f"told trials in gp: {args.told}")
    print(f"cold: {COLD} trials (auto); warm: at most {WARM_CAP} trials from a study of {COLD}; {args.seeds} seeds")
    for name in args.pairs.split(","):
        start = time.perf_counter()
        runs = [one(name, every[name], seed, storage) for seed in range(args.seeds)]
        needed = [r[0] for r in runs]
        within = sum(n <= WARM_CAP for n in needed)
        print(
            f"{name}: warm trials to reach the cold best: median {statistics.median(needed):g}, mean "
            f"{statistics.mean(needed):.1f} ({statistics.median(needed) / COLD:.0%} of {COLD}); within {WARM_CAP}: "
            f"{within}/{args.seeds} seeds; per seed {needed} ({time.perf_counter() - start:.0f} s)",
            flush=True,
        )
        for k in (5, 10, WARM_CAP):
            cold, warm = (statistics.mean(r[i][k - 1] for r in runs) for i in (1, 2))
            print(f"  mean best after {k} trials: cold {cold:.4f}, warm {warm:.4f}", flush=True)
        print(f"  mean best after {COLD} trials: cold {statistics.mean(r[1][-1] for r in runs):.4f}", flush=True)


if __name__ == "__main__":
    main()
