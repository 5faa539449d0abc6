"""Confirmation on workloads nobody tuned ``auto`` on: many trials (issue 21).

``auto`` now starts with ``de`` beyond 300 trials without ``-t`` or ``--prune``, where it used to
pick ``tpe``; the threshold was chosen on Branin, Hartmann6, Rosenbrock4, the mixed problem and a
20-parameter problem (docs/design/strategies.md).  This runs three other problems (Levy in 5-D,
Styblinski-Tang in 8-D, a mixed space of a choice, a log-integer, a log-float and a float) with
the strategies named, as ``hpmagic.tune(..., baseline=False)``, and prints the mean and median
best over the seeds and the median time of a run:

    python -m benchmarks.untuned_many_trials auto,tpe 400 5     # strategies, trials, seeds
"""

import math
import statistics
import sys
import time

from hpmagic import tune

LEVY = """
x1 = 1.0  # tune: uniform(-10, 10)
x2 = 1.0  # tune: uniform(-10, 10)
x3 = 1.0  # tune: uniform(-10, 10)
x4 = 1.0  # tune: uniform(-10, 10)
x5 = 1.0  # tune: uniform(-10, 10)
w = [1 + (v - 1) / 4 for v in (x1, x2, x3, x4, x5)]
math.sin(math.pi * w[0]) ** 2 + sum((wi - 1) ** 2 * (1 + 10 * math.sin(math.pi * wi + 1) ** 2) for wi in w[:-1]) + (w[-1] - 1) ** 2 * (1 + math.sin(2 * math.pi * w[-1]) ** 2)
"""
ST = (
    "\n".join(f"x{i} = 0.0  # tune: uniform(-5, 5)" for i in range(8))
    + "\n"
    + "sum(v**4 - 16*v**2 + 5*v for v in ("
    + ", ".join(f"x{i}" for i in range(8))
    + ")) / 2 + 39.16617 * 8\n"
)
MIXED = """
kind = "a"   # tune: ["a", "b", "c", "d"]
n = 8        # tune: int(1, 64)
lr = 0.01    # tune: loguniform(1e-5, 1)
d = 0.5      # tune: uniform(0, 1)
{"a": 0.3, "b": 0.0, "c": 0.5, "d": 0.8}[kind] + (math.log2(n) - 4.5) ** 2 / 10 + (math.log10(lr) + 2.5) ** 2 / 5 + (d - 0.2) ** 2
"""
problems = {"levy5": LEVY, "styblinski8": ST, "mixed-int-log": MIXED}
strategies = sys.argv[1].split(",")
trials, seeds = int(sys.argv[2]), int(sys.argv[3])
for name, cell in problems.items():
    for s in strategies:
        bests, secs = [], []
        for seed in range(seeds):
            t = time.perf_counter()
            r = tune(
                cell, {"math": math}, trials=trials, strategy=s, seed=seed, quiet=True, apply=False, baseline=False
            )
            secs.append(time.perf_counter() - t)
            bests.append(r.best_value)
        print(
            f"{name:14} {s:5} trials {trials} seeds {seeds}: mean best {statistics.mean(bests):.4f} median {statistics.median(bests):.4f}  time/run {statistics.median(secs):.1f} s  ({r.strategy})",
            flush=True,
        )
