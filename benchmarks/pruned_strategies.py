"""Do strategies gain from learning from pruned trials?  gp and tpe under ``--prune``, against
the same strategies that treat pruned trials as failures (the behaviour before they learned).

A cheap synthetic learning-curve problem, run end to end through ``hpmagic.tune`` (the
cell, the runner, the pruning rule and the strategy are the real ones): six parameters
``x1..x6`` in [0, 1]; the loss after epoch ``t`` (1 to 27) is

    hartmann6(x) + (base + slope * x4) * t ** -0.8 + noise (sd 0.05)

so the curve converges to the Hartmann-6 function of the configuration (minimum -3.322),
and how fast it gets there depends on ``x4``, so early losses rank configurations
imperfectly, as real learning curves do.  Two problems: ``steady`` (base 0.5, slope 0.3:
the early epochs rank configurations much as the last does) and ``slow-starters`` (base
0.4, slope 1.6: after one epoch the speed term, 0.4 to 2, outweighs most of Hartmann's
range, so the first rung misleads).  The cell reports the loss after each epoch and ends on the
last one.  For each method and seed it records the *true* final loss of the reported best
configuration (the noise-free curve at epoch 27) and the epochs run; it prints the means
over the seeds, with the standard error of the mean best.

Methods: ``<strategy> full`` (no pruning), ``<strategy> asha`` (learns from pruned trials),
``<strategy> asha, old`` (pruned trials told as failures, the previous behaviour), and for gp
``gp asha, ignore below`` (trials pruned below the fitted step left out, as BOHB does,
instead of counted as the worst at that step).  ``random asha`` learns nothing: the floor.

    python -m benchmarks.pruned_strategies                 # 10 seeds, 50 trials
    python -m benchmarks.pruned_strategies --seeds 3 --trials 30 --methods "gp asha" "gp asha, old"
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
import math
import statistics
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from hpmagic import report, tune
from hpmagic.core import Trial, TrialState
from hpmagic.strategies.base import Strategy, StrategyContext
from hpmagic.strategies.evolution import Evolution
from hpmagic.strategies.gp import GPStrategy
from hpmagic.strategies.hyperopt import TPE
from hpmagic.strategies.random import RandomSearch

EPOCHS = 27
NOISE = 0.05

_A = np.array(
    [[10, 3, 17, 3.5, 1.7, 8], [0.05, 10, 17, 0.1, 8, 14], [3, 3.5, 1.7, 10, 17, 8], [17, 8, 0.05, 10, 0.1, 14]]
)
_P = 1e-4 * np.array(
    [
        [1312, 1696, 5569, 124, 8283, 5886],
        [2329, 4135, 8307, 3736, 1004, 9991],
        [2348, 1451, 3522, 2883, 3047, 6650],
        [4047, 8828, 8732, 5743, 1091, 381],
    ]
)
_ALPHA = np.array([1.0, 1.2, 3.0, 3.2])


def hartmann6(x: np.ndarray) -> float:
    return float(-np.sum(_ALPHA * np.exp(-np.sum(_A * (x - _P) ** 2, axis=1))))


#: How much the learning speed depends on ``x4``: (base, slope) of the ``t ** -0.8`` term.
PROBLEMS = {"steady": (0.5, 0.3), "slow-starters": (0.4, 1.6)}


def true_loss(x: np.ndarray, epoch: float, problem: str) -> float:
    """The noise-free loss after ``epoch`` epochs."""
    base, slope = PROBLEMS[problem]
    return hartmann6(x) + (base + slope * x[3]) * epoch**-0.8


class Curves:
    """The cell's training loop: a noisy loss per epoch, the noise a function of (search seed,
    configuration, epoch), since each trial runs on a fresh copy of the cell's variables."""

    def __init__(self, seed: int, problem: str):
        self.seed, self.problem = seed, problem

    def __call__(self, x: list[float], epoch: int) -> float:
        key = hash(tuple(round(v, 12) for v in x)) & 0xFFFF_FFFF
        noise = np.random.default_rng([self.seed, key, epoch]).standard_normal()
        return true_loss(np.asarray(x), epoch, self.problem) + NOISE * float(noise)


CELL = (
    "\n".join(f"x{i} = 0.5  # tune: uniform(0, 1)" for i in range(1, 7))
    + f"""
for epoch in range(1, {EPOCHS + 1}):
    loss = curve([x1, x2, x3, x4, x5, x6], epoch)
    report(loss, epoch)
loss
"""
)


def old(cls: type[Strategy]) -> type[Strategy]:
    """``cls`` as it was before strategies learned from pruned trials: they are told as failures."""

    class Old(cls):  # type: ignore[misc, valid-type]
        def setup(self, space: Any, context: StrategyContext) -> None:
            super().setup(space, dataclasses.replace(context, pruning=None))

        def tell(self, trial: Trial) -> None:
            if trial.state is TrialState.PRUNED:
                trial = trial.finish(state=TrialState.FAILED, curve=())
            super().tell(trial)

    Old.__name__ = f"Old{cls.__name__}"
    return Old


class TPEAsReached(TPE):
    """tpe with each pruned trial's loss the one it reached, not ranked at one fidelity."""

    ONE_FIDELITY = False


class GPIgnoreBelow(GPStrategy):
    """gp with trials pruned below the fitted step left out (BOHB)."""

    BELOW = "ignore"


STRATEGIES: dict[str, Callable[[], Strategy]] = {
    "gp": GPStrategy,
    "tpe": TPE,
    "evolution": Evolution,
    "random": RandomSearch,
    "gp-old": old(GPStrategy),
    "tpe-old": old(TPE),
    "evolution-old": old(Evolution),
    "gp-ignore": GPIgnoreBelow,
    "tpe-reached": TPEAsReached,
}

METHODS: dict[str, tuple[str, str | None]] = {  # name -> (strategy, --prune)
    "gp full": ("gp", None),
    "gp asha": ("gp", "asha"),
    "gp asha, ignore below": ("gp-ignore", "asha"),
    "gp asha, old": ("gp-old", "asha"),
    "tpe full": ("tpe", None),
    "tpe asha": ("tpe", "asha"),
    "tpe asha, as reached": ("tpe-reached", "asha"),
    "tpe asha, old": ("tpe-old", "asha"),
    "evolution asha": ("evolution", "asha"),
    "evolution asha, old": ("evolution-old", "asha"),
    "random asha": ("random", "asha"),
    "gp hyperband": ("gp", "hyperband"),
    "gp hyperband, old": ("gp-old", "hyperband"),
    "tpe hyperband": ("tpe", "hyperband"),
    "tpe hyperband, old": ("tpe-old", "hyperband"),
}
DEFAULT_METHODS = [
    "gp full",
    "gp asha",
    "gp asha, ignore below",
    "gp asha, old",
    "tpe full",
    "tpe asha",
    "tpe asha, as reached",
    "tpe asha, old",
    "random asha",
]


def run(method: str, seed: int, trials: int, problem: str) -> tuple[float, int, float]:
    """One search: (true final loss of the answer, epochs run, seconds)."""
    strategy, prune = METHODS[method]
    namespace: dict[str, Any] = {
        "curve": Curves(10_000 + seed, problem),
        "report": report,
        "chosen": STRATEGIES[strategy](),
    }
    started = time.perf_counter()
    result = tune(
        CELL,
        namespace,
        trials=trials,
        strategy="chosen",
        seed=seed,
        prune=prune,
        baseline=False,
        quiet=True,
        apply=False,
    )
    seconds = time.perf_counter() - started
    epochs = sum(int(t.curve[-1][0]) for t in result.trials if t.curve)
    best = result.best_params
    answer = math.inf if best is None else true_loss(np.array([best[f"x{i}"] for i in range(1, 7)]), EPOCHS, problem)
    return answer, epochs, seconds


def main() -> None:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.pruned_strategies",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--trials", type=int, default=50)
    parser.add_argument("--methods", nargs="+", default=DEFAULT_METHODS, choices=list(METHODS))
    parser.add_argument("--problems", nargs="+", default=list(PROBLEMS), choices=list(PROBLEMS))
    args = parser.parse_args()
    logging.getLogger("hyperopt").setLevel(logging.WARNING)
    for problem in args.problems:
        table(problem, args)


def table(problem: str, args: argparse.Namespace) -> None:
    rows: dict[str, list[tuple[float, int, float]]] = {m: [] for m in args.methods}
    for seed in range(args.seeds):  # methods alternate within each seed
        for method in args.methods:
            rows[method].append(run(method, seed, args.trials, problem))
    base, slope = PROBLEMS[problem]
    print(
        f"\n{problem} (speed term ({base} + {slope} * x4) * t ** -0.8): {args.trials} trials, {args.seeds} seeds; "
        f"Hartmann-6 minimum -3.322; full resource {args.trials * EPOCHS} epochs"
    )
    print(
        "| method | true final loss of the answer: mean (sem) | minus the old behaviour, paired: mean (sem), "
        "seeds better, worse | epochs run | share | seconds |"
    )
    print("| --- | --- | --- | --- | --- | --- |")
    for method, runs in rows.items():
        best = [r[0] for r in runs]
        epochs = statistics.fmean(r[1] for r in runs)
        old_runs = None if method.endswith(", old") else rows.get(method.split(",")[0] + ", old")
        paired = "-"
        if old_runs:
            diff = [a - b[0] for a, b in zip(best, old_runs)]
            paired = (
                f"{statistics.fmean(diff):+.3f} ({_sem(diff):.3f}), {sum(d < 0 for d in diff)} better, "
                f"{sum(d > 0 for d in diff)} worse"
            )
        print(
            f"| {method} | {statistics.fmean(best):.3f} ({_sem(best):.3f}) | {paired} | {epochs:.0f} | "
            f"{epochs / (args.trials * EPOCHS):.0%} | {statistics.fmean(r[2] for r in runs):.1f} |"
        )


def _sem(values: list[float]) -> float:
    return statistics.stdev(values) / math.sqrt(len(values)) if len(values) > 1 else 0.0


if __name__ == "__main__":
    main()
