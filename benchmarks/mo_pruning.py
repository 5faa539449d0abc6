"""Which early-stopping rule for two objectives: a replay of real ``partial_fit`` curves (issue 23, item 2).

This measures the choice before it is built (``--prune`` is still refused with several
objectives).  The workload is ``benchmarks/pruning_workloads.py``'s MLP on digits, 27 epochs of
``partial_fit``, with two objectives: the validation accuracy (maximised) and the hidden units,
the model's size (minimised).  A pool of configurations drawn at random is trained once, every
epoch's accuracy kept; each search then draws its trials from the pool (random sampling, seeded)
and the rules are replayed on the recorded curves, so every rule sees the same trials:

- ``none``: no early stopping, every trial trained for 27 epochs;
- ``first``: asynchronous successive halving (eta 3, rungs at epochs 1, 3 and 9) ranking each
  rung by the first objective alone (the accuracy so far), the other read at the end;
- ``nds``: the same rungs ranked by non-dominated sorting of (accuracy so far, size), the last
  front that does not fit split by crowding distance (MOASHA's rule, NSGA-II's order).

At a rung a trial goes on when it is among the top ceil(n / eta) of the n trials that reached
that rung so far (judged once at least eta have).  Printed: the epochs used as a share of the
unpruned search's, and the hypervolume of the complete trials (reference point fixed up front:
error 1, 64 hidden units) as a share of the unpruned search's, mean and median over the seeds.

    python -m benchmarks.mo_pruning                 # a pool of 200, 60 trials, 10 seeds
    python -m benchmarks.mo_pruning --pool 100 --seeds 3
    python -m benchmarks.mo_pruning --rungs 3,9     # a first rung at epoch 3
"""

from __future__ import annotations

import argparse
import math
import statistics
import warnings
from typing import Any

import numpy as np

from hpmagic.pareto import hypervolume, ranks

from .pruning_workloads import workloads

RUNGS = (1, 3, 9)
ETA = 3
EPOCHS = 27
REFERENCE = (1.0, 64.0)  # (validation error, hidden units)
RULES = ("none", "first", "nds")


def record(pool: int, seed: int) -> tuple[list[int], list[list[float]]]:
    """``pool`` configurations drawn at random: each one's hidden units and its accuracy curve."""
    mlp = workloads()["mlp"]
    data, rng = mlp.namespace(), np.random.default_rng(seed)
    sizes, curves = [], []
    for _ in range(pool):
        p = {
            "hidden": round(math.exp(rng.uniform(math.log(8), math.log(64)))),
            "lr": math.exp(rng.uniform(math.log(1e-4), math.log(3e-1))),
            "alpha": math.exp(rng.uniform(math.log(1e-6), math.log(1e-1))),
            "batch_size": int(rng.choice([32, 64, 128])),
        }
        curve: list[float] = []
        mlp.train(p, data, lambda value, step, curve=curve: curve.append(value))
        sizes.append(p["hidden"])
        curves.append(curve)
    return sizes, curves


def crowding(points: np.ndarray) -> np.ndarray:
    """NSGA-II's crowding distance of each point of one front (the ends infinitely far)."""
    distance = np.zeros(len(points))
    for m in range(points.shape[1]):
        order = np.argsort(points[:, m])
        distance[order[0]] = distance[order[-1]] = np.inf
        span = (points[order[-1], m] - points[order[0], m]) or 1.0
        distance[order[1:-1]] += (points[order[2:], m] - points[order[:-2], m]) / span
    return distance


def kept(points: list[tuple[float, float]], k: int, rule: str) -> set[int]:
    """The indices of the ``k`` points (losses) a rung keeps under ``rule``."""
    if rule == "first":
        return set(sorted(range(len(points)), key=lambda i: points[i][0])[:k])
    front_of, chosen = ranks(points), []
    for front in range(int(front_of.max()) + 1):
        members = [i for i in range(len(points)) if front_of[i] == front]
        if len(chosen) + len(members) > k:
            order = np.argsort(-crowding(np.asarray([points[i] for i in members])), kind="stable")
            chosen += [members[i] for i in order[: k - len(chosen)]]
            break
        chosen += members
    return set(chosen)


def search(
    sizes: list[int], curves: list[list[float]], trials: int, seed: int, rule: str, rungs: tuple[int, ...] = RUNGS
) -> tuple[int, float]:
    """One search of ``trials`` drawn from the pool, replayed under ``rule``: (epochs used, hypervolume)."""
    picks = np.random.default_rng(seed).choice(len(sizes), trials, replace=False)
    at_rung: dict[int, list[tuple[float, float]]] = {r: [] for r in rungs}
    used, complete = 0, []
    for i in picks:
        stopped_at = None
        for rung in rungs:
            at_rung[rung].append((1 - curves[i][rung - 1], float(sizes[i])))
            seen = at_rung[rung]
            if (
                rule != "none"
                and len(seen) >= ETA
                and len(seen) - 1 not in kept(seen, math.ceil(len(seen) / ETA), rule)
            ):
                stopped_at = rung
                break
        if stopped_at is None:
            used += EPOCHS
            complete.append((1 - curves[i][-1], float(sizes[i])))
        else:
            used += stopped_at
    return used, hypervolume(complete, REFERENCE)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.mo_pruning",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--pool", type=int, default=200, help="configurations trained once (default 200)")
    parser.add_argument("--trials", type=int, default=60)
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--rungs", default="1,3,9", help="the epochs of the rungs (default 1,3,9: eta 3 below 27)")
    args = parser.parse_args(argv)
    warnings.simplefilter("ignore")
    rungs = tuple(int(r) for r in args.rungs.split(","))
    sizes, curves = record(args.pool, seed=123)
    results: dict[str, Any] = {}
    for rule in RULES:
        results[rule] = [search(sizes, curves, args.trials, seed, rule, rungs) for seed in range(args.seeds)]
    base_used = [u for u, _ in results["none"]]
    base_hv = [h for _, h in results["none"]]
    print(
        f"MLP on digits, accuracy (max) vs hidden units (min), {args.trials} trials from a pool of {args.pool}, "
        f"{args.seeds} seeds, rungs at epochs {args.rungs}, reference point {REFERENCE}"
    )
    print(f"{'rule':<8}{'epochs (share)':>18}{'HV mean':>10}{'HV median':>11}{'HV share mean':>15}{'worst seed':>12}")
    for rule in RULES:
        used = [u / b for (u, _), b in zip(results[rule], base_used)]
        hv = [h for _, h in results[rule]]
        share = [h / b for h, b in zip(hv, base_hv)]
        print(
            f"{rule:<8}{statistics.mean(used):>18.1%}{statistics.mean(hv):>10.2f}{statistics.median(hv):>11.2f}"
            f"{statistics.mean(share):>15.1%}{min(share):>12.1%}"
        )


if __name__ == "__main__":
    main()
