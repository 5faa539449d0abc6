"""Early stopping with two objectives, end to end with hpmagic itself (issue 23, item 2).

``benchmarks/mo_pruning.py`` chose the rule on a replay of recorded curves with random sampling;
this runs the real searches: ``hpmagic.tune`` on the MLP on digits of
``benchmarks/pruning_workloads.py`` (27 epochs of ``partial_fit``), the validation accuracy
(maximised) and the hidden units (the model's size, minimised) reported each epoch as
``report({"accuracy": score, "size": hidden}, epoch)``, with the default strategy for two
objectives, once without early stopping and once with ``--prune asha:min_resource=3`` (rungs at
epochs 3 and 9, eta 3), each over the same seeds.  Printed per seed and on the mean and median:
the epochs trained (the resource) as a share of the unpruned search's, and the hypervolume of
the complete trials' final values (reference point fixed up front: error 1, 64 units) as a share
of the unpruned search's.

    nice -n 10 python -m benchmarks.mo_pruning_e2e              # 60 trials, seeds 0-9
    nice -n 10 python -m benchmarks.mo_pruning_e2e --seeds 5 --first 5 --trials 30   # seeds 5-9
"""

from __future__ import annotations

import argparse
import statistics
import time
import warnings

import hpmagic
from hpmagic.core import TrialState
from hpmagic.pareto import hypervolume

from .pruning_workloads import MLP_CELL, mlp_data

REFERENCE = (1.0, 64.0)  # (validation error, hidden units)
PRUNE = "asha:min_resource=3,max_resource=27"
CELL = MLP_CELL.replace(
    "report(model.score(X_val, y_val), epoch)\nmodel.score(X_val, y_val)",
    "report({'accuracy': model.score(X_val, y_val), 'size': hidden}, epoch)\n"
    "{'accuracy': model.score(X_val, y_val), 'size': hidden}",
)


def search(trials: int, seed: int, prune: str | None, data: dict) -> tuple[int, float, float]:
    """One search: (epochs trained, hypervolume of the complete trials, seconds)."""
    start = time.perf_counter()
    result = hpmagic.tune(
        "import warnings; warnings.simplefilter('ignore')\n" + CELL,
        dict(data),
        objectives={"accuracy": "max", "size": "min"},
        trials=trials,
        seed=seed,
        prune=prune,
        quiet=True,
        apply=False,
    )
    epochs = sum(len(t.curve) for t in result.trials)
    points = [(1 - t.values[0], t.values[1]) for t in result.trials if t.state is TrialState.COMPLETE]
    return epochs, hypervolume(points, REFERENCE) if points else 0.0, time.perf_counter() - start


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.mo_pruning_e2e",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--trials", type=int, default=60)
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--first", type=int, default=0, help="the first seed (to split the seeds over runs)")
    args = parser.parse_args(argv)
    warnings.simplefilter("ignore")
    data = mlp_data()
    assert "{'accuracy'" in CELL
    print(
        f"MLP on digits, accuracy (max) vs hidden units (min), {args.trials} trials, --prune {PRUNE}, ref {REFERENCE}"
    )
    print(f"{'seed':>4}{'epochs none':>13}{'epochs pruned':>15}{'share':>8}{'HV none':>9}{'HV pruned':>11}{'share':>8}")
    used, shares = [], []
    for seed in range(args.first, args.first + args.seeds):
        full = search(args.trials, seed, None, data)
        pruned = search(args.trials, seed, PRUNE, data)
        used.append(pruned[0] / full[0])
        shares.append(pruned[1] / full[1])
        print(
            f"{seed:>4}{full[0]:>13}{pruned[0]:>15}{used[-1]:>8.1%}{full[1]:>9.2f}{pruned[1]:>11.2f}{shares[-1]:>8.1%}"
            f"   ({full[2]:.0f} s, {pruned[2]:.0f} s)",
            flush=True,
        )
    print(
        f"mean: epochs {statistics.mean(used):.1%}, hypervolume {statistics.mean(shares):.1%}; "
        f"median: epochs {statistics.median(used):.1%}, hypervolume {statistics.median(shares):.1%}; "
        f"worst seed hypervolume {min(shares):.1%}"
    )


if __name__ == "__main__":
    main()
