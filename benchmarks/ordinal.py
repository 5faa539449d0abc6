"""Ordinal lists against one-hot columns for the GP: a smooth loss of four list-valued parameters.

Each parameter is ``[1, 2, 4, ..., 128]`` (eight geometric values); the loss is a smooth bowl in
their logarithms with one interaction and a ripple, so neighbouring values have close losses, as
layer sizes and learning rates usually do.  Counts the seeds (of 10, 30 trials each) in which a
strategy finds the exact optimum of the 4,096 configurations, and the mean best loss.  Run it with
``PYTHONPATH`` pointing at two versions of hpmagic to compare their encodings (issue 14):

    PYTHONPATH=. python -m benchmarks.ordinal gp,tpe
"""

import itertools
import math
import statistics
import sys

import hpmagic

VALUES = [1, 2, 4, 8, 16, 32, 64, 128]
NAMES = [f"n{i}" for i in range(4)]


def loss(p):
    x = [math.log2(p[n]) for n in NAMES]
    return (
        (x[0] - 5.2) ** 2
        + 0.5 * (x[1] - 1.7) ** 2
        + 0.3 * (x[2] - x[3]) ** 2
        + 0.2 * (x[3] - 4) ** 2
        + 0.5 * math.sin(x[0])
    )


def main(strategies: list[str], seeds: int = 10, trials: int = 30) -> None:
    cell = (
        "\n".join(f"{n} = 8  # tune: {VALUES!r}" for n in NAMES)
        + "\nobjective(dict("
        + ", ".join(f"{n}={n}" for n in NAMES)
        + "))\n"
    )
    shared = type(
        "objective", (), {"__new__": staticmethod(lambda cls, params: loss(params))}
    )  # shared with trials, not copied
    opt = min(loss(dict(zip(NAMES, c))) for c in itertools.product(VALUES, repeat=4))
    for s in strategies:
        bests = [
            min(
                t.value
                for t in hpmagic.tune(
                    cell,
                    {"objective": shared},
                    trials=trials,
                    strategy=s,
                    seed=seed,
                    quiet=True,
                    baseline=False,
                    apply=False,
                ).trials
            )
            for seed in range(seeds)
        ]
        found = sum(abs(b - opt) < 1e-9 for b in bests)
        print(
            f"{hpmagic.__file__}: {s}: optimum found in {found}/{seeds} seeds, mean best {statistics.mean(bests):.4f} (optimum {opt:.4f})"
        )


if __name__ == "__main__":
    main(sys.argv[1].split(",") if len(sys.argv) > 1 else ["gp", "tpe"])
