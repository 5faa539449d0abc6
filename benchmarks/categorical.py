"""Many categorical parameters: how the GP (one-hot columns) does against TPE, evolution and random.

The problem: ``k`` operations of five options each (``op0 = 'a'  # tune: ['a', 'b', 'c', 'd', 'e']``),
as in architecture search; the loss is an effect per option plus an interaction between each pair
of neighbouring operations, both drawn from seeded normal tables, so the optimum is exact (dynamic
programming along the chain).  Each strategy runs 50 trials per seed; the score is normalised as
in ``quality.py`` (0 = random search's expected best with 50 trials, by Monte Carlo; 100 = optimum).
The figures behind ``hpmagic.strategies._gp.encoding.GP_MAX_ONE_HOT`` (issue 14).

    python -m benchmarks.categorical 10 3,6,9,12 gp,tpe,evolution,random   # seeds, k's, strategies
"""

import statistics
import sys

import numpy as np

import hpmagic

OPTS = ["a", "b", "c", "d", "e"]


def problem(k: int):
    """The loss of a configuration of ``k`` operations, its optimum, and random search's expected best."""
    rng = np.random.default_rng(100 + k)
    effect, inter = rng.normal(size=(k, 5)), rng.normal(size=(k - 1, 5, 5)) * 0.7

    def loss(p):
        idx = [OPTS.index(p[f"op{i}"]) for i in range(k)]
        return float(
            sum(effect[i, c] for i, c in enumerate(idx)) + sum(inter[i, idx[i], idx[i + 1]] for i in range(k - 1))
        )

    best = effect[0].copy()  # dynamic programming along the chain
    for i in range(1, k):
        best = np.min(best[:, None] + inter[i - 1], axis=0) + effect[i]
    mc = np.random.default_rng(0)
    rnd = float(
        np.mean([min(loss({f"op{i}": OPTS[mc.integers(5)] for i in range(k)}) for _ in range(50)) for _ in range(500)])
    )
    return loss, float(best.min()), rnd


def main(seeds: int, ks: list[int], strategies: list[str]) -> None:
    for k in ks:
        loss, opt, rnd = problem(k)
        cell = (
            "\n".join(f"op{i} = 'a'  # tune: {OPTS!r}" for i in range(k))
            + "\nobjective(dict("
            + ", ".join(f"op{i}=op{i}" for i in range(k))
            + "))\n"
        )
        # a class reaches the trials shared, not copied (hpmagic.cell.isolation)
        shared = type("objective", (), {"__new__": staticmethod(lambda cls, params, loss=loss: loss(params))})
        res: dict[str, list[float]] = {s: [] for s in strategies}
        for seed in range(seeds):
            for s in strategies:
                r = hpmagic.tune(
                    cell,
                    {"objective": shared},
                    trials=50,
                    strategy=s,
                    seed=seed,
                    quiet=True,
                    baseline=False,
                    apply=False,
                )
                res[s].append(min(t.value for t in r.trials if t.value is not None))
        score = {s: round(statistics.mean(100 * (rnd - v) / (rnd - opt) for v in vals), 1) for s, vals in res.items()}
        mean = {s: round(statistics.mean(v), 3) for s, v in res.items()}
        print(
            f"k={k} ({5 * k} one-hot columns), 50 trials, {seeds} seeds: optimum {opt:.3f}, random's expected best "
            f"{rnd:.3f}; mean best {mean}; score {score}",
            flush=True,
        )


if __name__ == "__main__":
    main(
        int(sys.argv[1]) if len(sys.argv) > 1 else 10,
        [int(k) for k in sys.argv[2].split(",")] if len(sys.argv) > 2 else [3, 6, 9, 12],
        sys.argv[3].split(",") if len(sys.argv) > 3 else ["gp", "tpe", "evolution", "random"],
    )
