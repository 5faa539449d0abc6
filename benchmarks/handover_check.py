"""How well the GP's model predicts a search's first trials: the measurement behind issue 26's
third round (a hand-over from the GP to ``de`` when its model is no better than chance, measured
and not kept: ``docs/design/strategies.md``, "Handing over when the model is no better than chance").

For each problem and seed it runs the GP (what ``auto`` picks on all of these) for ``--at``
trials through ask and tell, then computes the leave-one-out predictive mean of every trial with
the last fitted hyperparameters (closed form: ``y_i - [K^-1 y]_i / [K^-1]_ii``, Rasmussen and
Williams 5.4.2) and its rank correlation (Spearman) with the trials' targets as the GP sees them
(capped at the median and standardised).  It prints the correlation per seed and how often it is
below ``--below`` (the hand-over would have fired).  Problems: the recorded tables of
``benchmarks/tables.py`` and any problem of ``benchmarks/quality.py`` (its cross-validated ones
computed here, without its cache file):

    python -m benchmarks.handover_check --seeds 10 --jobs 2
    python -m benchmarks.handover_check --problems pipe-wine,svc-digits,rf-wine --seeds 5
"""

from __future__ import annotations

import argparse
import os
import statistics
import warnings
from pathlib import Path

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import numpy as np  # noqa: E402

from . import quality, tables  # noqa: E402

SYNTHETIC = ("branin", "hartmann6", "rosenbrock4", "mixed")
AT, BELOW = 20, 0.2


def _problem(name: str, seed: int) -> quality.Problem:
    """A recorded table (one noisy repeat per evaluation, drawn by ``seed``), or a problem of
    ``benchmarks/quality.py``."""
    if name in tables.SETS["all"]:
        prob, lookup = tables.problem(tables.load(name))
        lookup.reset(seed)
        return prob
    if name in quality.LISTS:
        kwargs = quality.quality_lists.problems(Path(quality.__file__).with_name(".cache"), [name])[name]
        return quality.Problem(name, **kwargs)
    problems = {**quality.synthetic_problems(), **quality.sklearn_problems(quality.CVCache(None))}
    return problems[name]


def loo_rank(strategy) -> float | None:
    """The rank correlation of the GP's leave-one-out means with its targets (``None`` when flat)."""
    from scipy.linalg import cho_solve
    from scipy.stats import spearmanr

    post = strategy.posterior()
    if float(np.ptp(post.y)) == 0.0:
        return None
    inverse = cho_solve((post.L, True), np.eye(len(post.y)))
    rho = spearmanr(post.y - post.alpha / np.diag(inverse), post.y)[0]
    return float(rho) if np.isfinite(rho) else 0.0


def run_one(task: tuple[str, int, int]) -> tuple[str, int, float | None]:
    from hpmagic.cell.parser import parse_cell
    from hpmagic.core import Trial, TrialState
    from hpmagic.strategies.base import StrategyContext
    from hpmagic.strategies.gp import GPStrategy

    name, seed, at = task
    prob = _problem(name, seed)
    space = parse_cell(prob.cell).space
    strategy = GPStrategy()
    strategy.setup(space, StrategyContext(budget=at + 1, seed=seed))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for number in range(at):
            params = strategy.ask(number)
            strategy.tell(Trial(number, params, TrialState.COMPLETE, value=prob.objective(params)))
        return name, seed, loo_rank(strategy)


def main() -> None:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.handover_check",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--problems", default=",".join(tables.SETS["dev"] + SYNTHETIC))
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--at", type=int, default=AT, help=f"trials before the check (default {AT})")
    parser.add_argument("--below", type=float, default=BELOW, help=f"the hand-over's threshold (default {BELOW})")
    parser.add_argument("--jobs", type=int, default=1)
    args = parser.parse_args()
    names = args.problems.split(",")
    tasks = [(n, s, args.at) for n in names for s in range(args.seeds)]
    if args.jobs > 1:
        import multiprocessing

        results = multiprocessing.get_context("fork").Pool(args.jobs).map(run_one, tasks)
    else:
        results = list(map(run_one, tasks))
    print(f"the GP's leave-one-out rank correlation after {args.at} trials, {args.seeds} seeds")
    print(f"{'problem':<16}{'mean':>7}{'min':>7}{'max':>7}  fires (< {args.below})  per seed")
    for name in names:
        rhos = [r for n, _, r in results if n == name and r is not None]
        fires = sum(r < args.below for r in rhos)
        print(
            f"{name:<16}{statistics.mean(rhos):7.2f}{min(rhos):7.2f}{max(rhos):7.2f}  {fires:>2}/{len(rhos)}"
            f"            " + " ".join(f"{r:.2f}" for r in rhos)
        )
    print(f"load average {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
