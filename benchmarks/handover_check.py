"""The GP's leave-one-out rank correlation at auto's check (issue 26, third round), per problem.

Runs ``auto`` for :data:`hpmagic.strategies.auto.CHANCE_AT` + 1 trials on each problem and seed and
prints the rank correlation the check saw (``GPStrategy.predictive_rank``) and how often it is below
:data:`~hpmagic.strategies.auto.CHANCE_RHO` (the hand-over would fire).  The recorded tables of
``benchmarks/tables.py`` and the synthetic problems of ``benchmarks/quality.py`` by default, or any
problem of either (``--problems``):

    python benchmarks/handover_check.py --seeds 10 --jobs 2
    python benchmarks/handover_check.py --problems pipe-wine,svc-digits,rf-wine --seeds 5
"""

from __future__ import annotations

import argparse
import os
import statistics
import warnings
from pathlib import Path

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import quality  # noqa: E402
import tables  # noqa: E402

from hpmagic.strategies import auto, gp  # noqa: E402

SYNTHETIC = ("branin", "hartmann6", "rosenbrock4", "mixed")
_SEEN: list[float] = []
_rank = gp.GPStrategy.predictive_rank


def _recorded(self: gp.GPStrategy) -> float | None:
    rho = _rank(self)
    if rho is not None:
        _SEEN.append(rho)
    return rho


def _problem(name: str, seed: int) -> quality.Problem:
    """A recorded table (one noisy repeat per evaluation, drawn by ``seed``), or a problem of
    ``benchmarks/quality.py`` (its cross-validated ones computed here, without its cache file)."""
    if name in tables.SETS["all"]:
        prob, lookup = tables.problem(tables.load(name))
        lookup.reset(seed)
        return prob
    if name in quality.LISTS:
        kwargs = quality.quality_lists.problems(Path(quality.__file__).with_name(".cache"), [name])[name]
        return quality.Problem(name, **kwargs)
    problems = {**quality.synthetic_problems(), **quality.sklearn_problems(quality.CVCache(None))}
    return problems[name]


def run_one(task: tuple[str, int]) -> tuple[str, int, float | None]:
    name, seed = task
    gp.GPStrategy.predictive_rank = _recorded  # type: ignore[method-assign]
    auto.CHANCE_RHO = -2.0  # never hand over: only look
    prob = _problem(name, seed)
    _SEEN.clear()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        quality.run_method("hpmagic:auto", prob, seed, auto.CHANCE_AT + 1)
    return name, seed, (_SEEN[0] if _SEEN else None)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--problems", default=",".join(tables.SETS["dev"] + SYNTHETIC))
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--jobs", type=int, default=1)
    args = parser.parse_args()
    threshold = auto.CHANCE_RHO
    tasks = [(n, s) for n in args.problems.split(",") for s in range(args.seeds)]
    if args.jobs > 1:
        import multiprocessing

        results = multiprocessing.get_context("fork").Pool(args.jobs).map(run_one, tasks)
    else:
        results = list(map(run_one, tasks))
    print(f"auto's check after {auto.CHANCE_AT} trials, {args.seeds} seeds: the GP's leave-one-out rank correlation")
    print(f"{'problem':<16}{'mean':>7}{'min':>7}{'max':>7}  fires (< {threshold})  per seed")
    for name in args.problems.split(","):
        rhos = [r for n, _, r in results if n == name and r is not None]
        fires = sum(r < threshold for r in rhos)
        print(f"{name:<16}{statistics.mean(rhos):7.2f}{min(rhos):7.2f}{max(rhos):7.2f}  {fires:>2}/{len(rhos)}"
              f"            " + " ".join(f"{r:.2f}" for r in rhos))
    print(f"load average {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
