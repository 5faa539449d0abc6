"""Several objectives: hpmagic's strategies beside Optuna's samplers, hypervolume over seeds.

For each problem every method gets the same number of evaluations, for ``--seeds`` seeds, and
the table reports the hypervolume of what it found (mean and median over the seeds), measured
against a reference point fixed up front, in losses (lower better).  With a constraint only
the feasible trials count.  A second table gives the proposal time per trial (the median over
the ten trials up to the 100th and the 200th, and the seeds): for hpmagic the time of
``ask``, for Optuna the time of ``study.ask`` and the ``suggest_*`` calls (where its samplers
do their work).

Methods:

- ``hpmagic:<name>`` -- the strategy driven through ask/tell with a
  :class:`hpmagic.objectives.Goal` (what ``%%tune`` does; no trial of the defaults);
  ``hpmagic:gp-parego`` and ``hpmagic:gp-ehvi`` are the GP with either acquisition;
- ``optuna:tpe`` -- ``TPESampler`` (Optuna's default for several objectives), ``optuna:nsga2``
  -- ``NSGAIISampler``, ``optuna:gp`` -- ``GPSampler`` (needs torch), ``optuna:random``; each
  seeded, with ``constraints_func`` where the problem has a constraint.

Problems (``benchmarks/mo_problems.py``): ``branincurrin`` (86 trials, reference [18, 6], the best
possible hypervolume 59.36), ``zdt1`` (30 parameters, 200 trials, [11, 11]), ``dtlz2`` (three
objectives, 100 trials, [1.1, 1.1, 1.1]), ``c2dtlz2`` (the same with C2's constraint),
``tree-digits`` (a scikit-learn decision tree on the digits: 3-fold accuracy against node count,
60 trials, reference accuracy 0 and 400 nodes; the tree is seeded, so it is not noisy).

    nice -n 10 python -m benchmarks.multiobjective --jobs 2
    python -m benchmarks.multiobjective --problems branincurrin --seeds 3 --methods hpmagic:gp,optuna:tpe
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
import warnings
from concurrent.futures import ProcessPoolExecutor
from typing import Any

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import numpy as np  # noqa: E402

from hpmagic.core import Trial, TrialState  # noqa: E402
from hpmagic.pareto import hypervolume  # noqa: E402

from .mo_problems import MOProblem, problems  # noqa: E402

HPMAGIC = ("hpmagic:auto", "hpmagic:gp", "hpmagic:gp-parego", "hpmagic:gp-ehvi", "hpmagic:evolution", "hpmagic:random")
#: What runs without --methods: auto is the GP on every problem, so the GP is not run twice.
DEFAULT = (
    "hpmagic:auto",
    "hpmagic:evolution",
    "hpmagic:random",
    "optuna:tpe",
    "optuna:nsga2",
    "optuna:gp",
    "optuna:random",
)
OPTUNA = ("optuna:tpe", "optuna:nsga2", "optuna:gp", "optuna:random")
TIMED_AT = (100, 200)


def run_hpmagic(problem: MOProblem, strategy: str, seed: int) -> tuple[list[tuple], list[float]]:
    """``(values, constraints)`` of each trial, and each ask's seconds."""
    from hpmagic.strategies import gp_multi, make_strategy
    from hpmagic.strategies.base import StrategyContext

    gp_multi.ACQUISITION = "auto"  # a worker process runs several jobs
    if strategy.startswith("gp-"):  # gp-parego, gp-ehvi: the GP with that acquisition
        strategy, gp_multi.ACQUISITION = "gp", strategy[3:]
    context = StrategyContext(budget=problem.trials, seed=seed, goal=problem.goal)
    s = make_strategy(strategy, problem.space, context)
    out, asks = [], []
    for number in range(1, problem.trials + 1):
        start = time.perf_counter()
        params = s.ask(number)
        asks.append(time.perf_counter() - start)
        assert params is not None
        values, constraints = problem.evaluate(params)
        out.append((values, constraints))
        s.tell(Trial(number, params, TrialState.COMPLETE, value=values[0], values=values, constraints=constraints))
    return out, asks


def _optuna_sampler(name: str, seed: int, constrained: bool) -> Any:
    import optuna

    kw: dict[str, Any] = {"seed": seed}
    if constrained and not hasattr(optuna.trial.Trial, "set_constraint"):  # Optuna 4
        kw["constraints_func"] = lambda t: t.user_attrs["c"]
    return {
        "tpe": lambda: optuna.samplers.TPESampler(**kw),
        "nsga2": lambda: optuna.samplers.NSGAIISampler(**kw),
        "gp": lambda: optuna.samplers.GPSampler(**kw),
        "random": lambda: optuna.samplers.RandomSampler(seed=seed),
    }[name]()


def run_optuna(problem: MOProblem, sampler_name: str, seed: int) -> tuple[list[tuple], list[float]]:
    import optuna

    optuna.logging.set_verbosity(optuna.logging.ERROR)
    constraints = problem.goal.constraints
    study = optuna.create_study(
        directions=[str(o.direction) for o in problem.goal.objectives],
        sampler=_optuna_sampler(sampler_name, seed, bool(constraints)),
    )
    out, asks = [], []
    for _ in range(problem.trials):
        start = time.perf_counter()
        trial = study.ask()
        params = problem.optuna(trial)
        asks.append(time.perf_counter() - start)
        values, got = problem.evaluate(params)
        # Optuna's constraints are feasible at <= 0: by how much each limit is broken (< 0: held).
        margins = [_margin(c, v) for c, v in zip(constraints, got)]
        if hasattr(trial, "set_constraint"):  # Optuna 5
            for c, margin in zip(constraints, margins):
                trial.set_constraint(c.name, margin)
        trial.set_user_attr("c", margins)
        study.tell(trial, list(values))
        out.append((values, got))
    return out, asks


def _margin(constraint: Any, value: float) -> float:
    """By how much a value breaks its limit (negative: how far inside it it is)."""
    return value - constraint.bound if constraint.op == "<=" else constraint.bound - value


def feasible_hypervolume(problem: MOProblem, results: list[tuple]) -> float:
    goal = problem.goal
    losses = []
    for values, got in results:
        if all(c.violation(got[i] if i < len(got) else None) == 0 for i, c in enumerate(goal.constraints)):
            losses.append([d.loss(v) for d, v in zip(goal.directions, values)])
    if not losses:
        return 0.0
    return hypervolume(np.array(losses), problem.reference)


def one_run(job: tuple[str, str, int]) -> tuple[str, str, int, float, list[float], float]:
    problem_name, method, seed = job
    problem = problems()[problem_name]
    kind, _, name = method.partition(":")
    warnings.simplefilter("ignore")
    start = time.perf_counter()
    results, asks = (run_hpmagic if kind == "hpmagic" else run_optuna)(problem, name, seed)
    return problem_name, method, seed, feasible_hypervolume(problem, results), asks, time.perf_counter() - start


def _ask_ms(asks: list[list[float]], at: int) -> str:
    window = [a for run in asks if len(run) >= at for a in run[at - 10 : at]]
    return f"{1e3 * statistics.median(window):8.1f}" if window else f"{'-':>8}"


def report(chosen: list[MOProblem], methods: list[str], rows: list[tuple], seeds: int) -> None:
    by = {(p, m): [] for p in [c.name for c in chosen] for m in methods}
    for problem_name, method, _, hv, asks, wall in rows:
        by[(problem_name, method)].append((hv, asks, wall))
    load = os.getloadavg()
    print(
        f"\nHypervolume of the feasible trials, {seeds} seeds (higher is better); load average "
        f"{load[0]:.1f} {load[1]:.1f} {load[2]:.1f}"
    )
    for problem in chosen:
        best = f", best possible {problem.best:.2f}" if problem.best else ""
        print(f"\n{problem.name}: {problem.about}; {problem.trials} trials, reference {list(problem.reference)}{best}")
        print(f"  {'method':<20} {'mean':>9} {'median':>9} {'min':>9} {'max':>9} {'s/run':>7}")
        for method in methods:
            got = by[(problem.name, method)]
            if not got:
                continue
            hvs = [g[0] for g in got]
            wall = statistics.mean(g[2] for g in got)
            print(
                f"  {method:<20} {statistics.mean(hvs):9.4g} {statistics.median(hvs):9.4g} {min(hvs):9.4g} "
                f"{max(hvs):9.4g} {wall:7.1f}"
            )
    print("\nProposal time per trial, ms (median of the 10 trials up to the 100th and the 200th, all seeds)")
    print(f"  {'problem':<14} {'method':<20} " + " ".join(f"{'@' + str(t):>8}" for t in TIMED_AT))
    for problem in chosen:
        if problem.trials < TIMED_AT[0]:
            continue
        for method in methods:
            asks = [g[1] for g in by[(problem.name, method)]]
            if asks:
                print(f"  {problem.name:<14} {method:<20} " + " ".join(_ask_ms(asks, t) for t in TIMED_AT))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.multiobjective",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--problems", default="all", help="comma-separated problems (default all): " + ", ".join(problems())
    )
    parser.add_argument("--seeds", type=int, default=10, help="seeds per method and problem (default 10)")
    parser.add_argument(
        "--methods",
        default="default",
        help="comma-separated methods, or all (default: "
        + ", ".join(DEFAULT)
        + "; all adds "
        + ", ".join(sorted(set(HPMAGIC) - set(DEFAULT)))
        + ")",
    )
    parser.add_argument("--first-seed", type=int, default=0, help="the first seed (default 0): to split a long run")
    parser.add_argument("--jobs", type=int, default=1, help="runs at once, in processes (default 1)")
    args = parser.parse_args(argv)
    every = problems()
    names = list(every) if args.problems == "all" else args.problems.split(",")
    methods = (
        list(DEFAULT)
        if args.methods == "default"
        else list(HPMAGIC + OPTUNA)
        if args.methods == "all"
        else args.methods.split(",")
    )
    unknown = [n for n in names if n not in every] + [m for m in methods if m not in HPMAGIC + OPTUNA]
    if unknown:
        parser.error(f"unknown problem or method: {', '.join(unknown)}")
    if "optuna:gp" in methods:
        try:
            import torch  # noqa: F401
        except ImportError:
            print("optuna:gp left out: Optuna's GPSampler needs torch, which is not installed", file=sys.stderr)
            methods.remove("optuna:gp")
    jobs = [(n, m, s) for n in names for m in methods for s in range(args.first_seed, args.first_seed + args.seeds)]
    rows = []
    with ProcessPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        for row in pool.map(one_run, jobs):
            rows.append(row)
            print(
                f"{row[0]:<14} {row[1]:<20} seed {row[2]:<3} hypervolume {row[3]:.4g} ({row[5]:.1f} s)",
                file=sys.stderr,
                flush=True,
            )
    report([every[n] for n in names], methods, rows, args.seeds)


if __name__ == "__main__":
    main()
