"""Many cheap trials: ``%%tune -n 10000`` of a trivial cell, timed as a whole process.

Issue 21: with ``-n 10000`` and default options, ``auto`` picked hyperopt's TPE, whose cost per
proposal grows with the history, and the search did not finish in 9 minutes.  This benchmark
runs a trivial three-parameter cell as a user would, in a fresh Python process each time (start
the interpreter, start IPython, ``%load_ext hpmagic``, run the cell with ``%%tune -n N -q`` and
nothing else), and reports the median wall time of the whole process over ``--repeats`` runs.
The target is under 30 s on two cores.

Beside it, each in its own process too, on the same objective and trial count:

- Optuna's default sampler (``optuna.create_study().optimize``, ``TPESampler``), and
- hyperopt's ``fmin(algo=tpe.suggest)``.

Both grow slower with every trial (their TPE reads the whole history on every proposal), so they
run ``--cap`` trials (2,000 by default) when asked for more, and the table says so; hpmagic also
runs the capped count, for a like-for-like row.

    python -m benchmarks.many_trials                      # 10,000 trials (2,000 for the others), 3 repeats
    python -m benchmarks.many_trials --only hpmagic       # hpmagic alone
    python -m benchmarks.many_trials --trials 3000 --cap 3000 --repeats 1
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import textwrap
import time

CELL = """\
x = 0.5  # tune: uniform(0, 1)
y = 0.5  # tune: uniform(0, 1)
z = 0.5  # tune: uniform(0, 1)
(x - 0.3) ** 2 + (y - 0.7) ** 2 + (z - 0.5) ** 2
"""

HPMAGIC = """
from IPython.core.interactiveshell import InteractiveShell
shell = InteractiveShell.instance()
shell.run_line_magic("load_ext", "hpmagic")
outcome = shell.run_cell("%%tune -n {trials} -q -o result\\n" + {cell!r})
result = shell.user_ns["result"]
assert outcome.success and len(result.trials) == {trials}, outcome.error_in_exec
print(result.strategy, result.best_value)
"""

OPTUNA = """
import optuna
optuna.logging.set_verbosity(optuna.logging.WARNING)

def objective(trial):
    x, y, z = (trial.suggest_float(name, 0, 1) for name in "xyz")
    return (x - 0.3) ** 2 + (y - 0.7) ** 2 + (z - 0.5) ** 2

study = optuna.create_study()
study.optimize(objective, n_trials={trials})
print("TPESampler", study.best_value)
"""

HYPEROPT = """
import logging
from hyperopt import Trials, fmin, hp, tpe
logging.getLogger("hyperopt").setLevel(logging.ERROR)
space = {{name: hp.uniform(name, 0, 1) for name in "xyz"}}
trials = Trials()
fmin(lambda p: (p["x"] - 0.3) ** 2 + (p["y"] - 0.7) ** 2 + (p["z"] - 0.5) ** 2, space, algo=tpe.suggest,
     max_evals={trials}, trials=trials, show_progressbar=False)
print("tpe.suggest", min(trials.losses()))
"""

RUNNERS = {
    "hpmagic": ("hpmagic %%tune (defaults)", HPMAGIC),
    "optuna": ("Optuna create_study (TPE)", OPTUNA),
    "hyperopt": ("hyperopt fmin(tpe.suggest)", HYPEROPT),
}


def run_process(code: str) -> tuple[float, str]:
    """Wall time of a fresh interpreter running ``code``, and the last line it printed."""
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, env=env)
    seconds = time.perf_counter() - start
    if done.returncode:
        raise SystemExit(f"the run failed:\n{done.stderr[-2000:]}")
    return seconds, done.stdout.strip().splitlines()[-1]


def main() -> None:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.many_trials",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--trials", type=int, default=10_000)
    parser.add_argument("--cap", type=int, default=2_000, help="trials for Optuna and hyperopt when --trials is more")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--only", choices=sorted(RUNNERS), help="run one framework only")
    args = parser.parse_args()

    plan = [("hpmagic", args.trials)]
    if not args.only or args.only != "hpmagic":
        capped = min(args.trials, args.cap)
        if capped < args.trials:
            plan.append(("hpmagic", capped))
        plan += [("optuna", capped), ("hyperopt", capped)]
    if args.only:
        plan = [(name, n) for name, n in plan if name == args.only]
    times: dict[tuple[str, int], list[float]] = {key: [] for key in plan}
    said: dict[tuple[str, int], str] = {}
    for _ in range(args.repeats):
        for name, n in plan:  # interleaved, so drift in machine load hits everyone alike
            seconds, said[(name, n)] = run_process(RUNNERS[name][1].format(trials=n, cell=CELL))
            times[(name, n)].append(seconds)
            print(f"  {name} {n}: {seconds:.1f} s ({said[(name, n)]})", file=sys.stderr, flush=True)

    cores = os.cpu_count()
    print(
        f"\nA trivial 3-parameter cell, whole process (interpreter start to exit), median of {args.repeats} "
        f"repeats, {cores} cores, load average {os.getloadavg()[0]:.1f} at the end\n"
    )
    print(f"{'framework':<30}{'trials':>8}{'seconds':>10}{'ms/trial':>10}  last line printed")
    for name, n in plan:
        median = statistics.median(times[(name, n)])
        print(f"{RUNNERS[name][0]:<30}{n:>8}{median:>10.1f}{1e3 * median / n:>10.2f}  {said[(name, n)]}")
    if any(n < args.trials for _, n in plan):
        print(
            f"\nOptuna and hyperopt ran {min(args.trials, args.cap):,} trials, not {args.trials:,} "
            "(--cap): their time per trial grows with the trials before it, so theirs would take far longer."
        )
    ours = statistics.median(times[("hpmagic", args.trials)]) if ("hpmagic", args.trials) in times else None
    if ours is not None and args.trials == 10_000:
        print(f"\nhpmagic, -n 10000: {ours:.1f} s (target under 30 s): {'met' if ours < 30 else 'NOT met'}")


if __name__ == "__main__":
    main()
