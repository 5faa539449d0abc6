"""The pruning rules replayed on real learning curves, next to Optuna's pruners on the same curves.

A rule-level benchmark (no notebook, no runner): for each workload, a pool of random
configurations is trained once, recording the validation score after every epoch (or
boosting stage) and the final score on a held-out test split.  Each search then draws
``-n`` configurations from the pool in a random order and feeds their curves, one trial
after another, to a rule: ``report`` each point until the rule prunes, ``finish``.  The
best complete trial (by its last validation score) is the search's answer.  Every rule
sees the same draws, so the figures differ only by the rule.

For each workload and rule it prints the resource run (epochs or stages, as a share of
the unpruned search's), the mean test score of the answer, and its mean shortfall against
the unpruned search on the same draw (in points of accuracy), with the number of draws.

    python -m benchmarks.pruning_replay                  # pools of 60, 200 draws of 30
    python -m benchmarks.pruning_replay --pool 40 --draws 50 --trials 20
"""

from __future__ import annotations

import argparse
import logging
import time
import warnings
from collections.abc import Callable

import numpy as np

from hpmagic.core import Direction, Trial, TrialState
from hpmagic.pruning import make_pruner, parse_prune_spec

Curves = tuple[np.ndarray, np.ndarray]  # (configs, steps) validation scores, (configs,) test scores


def loguniform(rng: np.random.Generator, low: float, high: float) -> float:
    return float(np.exp(rng.uniform(np.log(low), np.log(high))))


def mlp_digits(pool: int, epochs: int, rng: np.random.Generator) -> Curves:
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split
    from sklearn.neural_network import MLPClassifier
    from sklearn.preprocessing import StandardScaler

    x, y = load_digits(return_X_y=True)
    x = StandardScaler().fit_transform(x)
    x_fit, x_test, y_fit, y_test = train_test_split(x, y, test_size=0.3, random_state=0, stratify=y)
    x_train, x_val, y_train, y_val = train_test_split(x_fit, y_fit, test_size=0.3, random_state=1, stratify=y_fit)
    val, test = np.zeros((pool, epochs)), np.zeros(pool)
    for c in range(pool):
        model = MLPClassifier(
            hidden_layer_sizes=(int(loguniform(rng, 8, 256)),),
            alpha=loguniform(rng, 1e-6, 1e-1),
            learning_rate_init=loguniform(rng, 1e-4, 3e-1),
            batch_size=int(rng.choice([16, 64, 256])),
            random_state=c,
        )
        for e in range(epochs):
            model.partial_fit(x_train, y_train, classes=np.arange(10))
            val[c, e] = model.score(x_val, y_val)
        test[c] = model.score(x_test, y_test)
    return val, test


def sgd_large(pool: int, epochs: int, rng: np.random.Generator) -> Curves:
    from sklearn.datasets import make_classification
    from sklearn.linear_model import SGDClassifier
    from sklearn.model_selection import train_test_split
    from sklearn.preprocessing import StandardScaler

    x, y = make_classification(50_000, 20, n_informative=10, n_redundant=4, flip_y=0.05, random_state=0)
    x_fit, x_test, y_fit, y_test = train_test_split(x, y, test_size=0.2, random_state=0)
    x_train, x_val, y_train, y_val = train_test_split(x_fit, y_fit, test_size=0.25, random_state=1)
    scaler = StandardScaler().fit(x_train)
    x_train, x_val, x_test = scaler.transform(x_train), scaler.transform(x_val), scaler.transform(x_test)
    val, test = np.zeros((pool, epochs)), np.zeros(pool)
    for c in range(pool):
        model = SGDClassifier(
            loss=str(rng.choice(["hinge", "log_loss", "modified_huber"])),
            alpha=loguniform(rng, 1e-7, 1e-1),
            learning_rate=str(rng.choice(["constant", "invscaling", "adaptive"])),
            eta0=loguniform(rng, 1e-5, 1.0),
            random_state=c,
        )
        for e in range(epochs):
            model.partial_fit(x_train, y_train, classes=[0, 1])
            val[c, e] = model.score(x_val, y_val)
        test[c] = model.score(x_test, y_test)
    return val, test


def boosting(pool: int, stages: int, rng: np.random.Generator) -> Curves:
    from sklearn.datasets import make_classification
    from sklearn.ensemble import GradientBoostingClassifier
    from sklearn.model_selection import train_test_split

    x, y = make_classification(4_000, 20, n_informative=8, flip_y=0.05, random_state=2)
    x_fit, x_test, y_fit, y_test = train_test_split(x, y, test_size=0.25, random_state=0)
    x_train, x_val, y_train, y_val = train_test_split(x_fit, y_fit, test_size=0.3, random_state=1)
    val, test = np.zeros((pool, stages)), np.zeros(pool)
    for c in range(pool):
        model = GradientBoostingClassifier(
            n_estimators=stages,
            learning_rate=loguniform(rng, 0.005, 0.5),
            max_depth=int(rng.integers(1, 6)),
            subsample=float(rng.uniform(0.5, 1.0)),
            random_state=c,
        ).fit(x_train, y_train)
        val[c] = [np.mean(p == y_val) for p in model.staged_predict(x_val)]
        test[c] = model.score(x_test, y_test)
    return val, test


WORKLOADS: dict[str, tuple[Callable[[int, int, np.random.Generator], Curves], int, str]] = {
    "MLP on digits (partial_fit)": (mlp_digits, 30, "epochs"),
    "SGD on 50,000 rows (partial_fit)": (sgd_large, 30, "epochs"),
    "gradient boosting (staged)": (boosting, 100, "stages"),
}


def replay_hpmagic(spec: str | None, val: np.ndarray, order: np.ndarray) -> tuple[int, int]:
    """(resource run, the answer's configuration) for hpmagic's rule ``spec`` (None: no pruning)."""
    pruner = make_pruner(*parse_prune_spec(spec)) if spec else None
    if pruner:
        pruner.setup(Direction.MAXIMIZE, len(order))
    used, best, best_value = 0, -1, -np.inf
    for n, c in enumerate(order):
        points, pruned = [], False
        for e, v in enumerate(val[c], 1):
            points.append((float(e), float(v)))
            if pruner and pruner.report(n, e, float(v)).prune:
                pruned = True
                break
        used += len(points)
        if pruner:
            pruner.finish(Trial(n, {}, TrialState.PRUNED if pruned else TrialState.COMPLETE), points)
        if not pruned and val[c, -1] > best_value:
            best, best_value = int(c), val[c, -1]
    return used, best


def replay_optuna(make: Callable[[], object], val: np.ndarray, order: np.ndarray) -> tuple[int, int]:
    import optuna

    study = optuna.create_study(direction="maximize", pruner=make(), sampler=optuna.samplers.RandomSampler(0))
    used, best, best_value = 0, -1, -np.inf
    for c in order:
        trial = study.ask()
        pruned = False
        for e, v in enumerate(val[c], 1):
            used += 1
            trial.report(float(v), e)
            if trial.should_prune():
                pruned = True
                break
        study.tell(trial, state=optuna.trial.TrialState.PRUNED) if pruned else study.tell(trial, float(val[c, -1]))
        if not pruned and val[c, -1] > best_value:
            best, best_value = int(c), val[c, -1]
    return used, best


def methods() -> dict[str, Callable[[np.ndarray, np.ndarray], tuple[int, int]]]:
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    out: dict[str, Callable[[np.ndarray, np.ndarray], tuple[int, int]]] = {}
    for spec in (None, "asha", "median", "hyperband", "asha:min_resource=3", "median:min_step=3"):
        out[f"hpmagic {spec or 'no pruning'}"] = lambda v, o, s=spec: replay_hpmagic(s, v, o)
    out["optuna MedianPruner"] = lambda v, o: replay_optuna(optuna.pruners.MedianPruner, v, o)
    out["optuna SuccessiveHalvingPruner"] = lambda v, o: replay_optuna(optuna.pruners.SuccessiveHalvingPruner, v, o)
    out["optuna HyperbandPruner"] = lambda v, o: replay_optuna(optuna.pruners.HyperbandPruner, v, o)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.pruning_replay",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--pool", type=int, default=60)
    parser.add_argument("--draws", type=int, default=200)
    parser.add_argument("--trials", type=int, default=30)
    args = parser.parse_args()
    warnings.filterwarnings("ignore")  # convergence warnings of the small MLPs
    logging.getLogger("optuna").setLevel(logging.WARNING)
    for name, (make, steps, unit) in WORKLOADS.items():
        start = time.perf_counter()
        val, test = make(args.pool, steps, np.random.default_rng(0))
        print(
            f"\n{name}: pool of {args.pool} configurations, {steps} {unit} each "
            f"(trained in {time.perf_counter() - start:.0f} s); {args.draws} draws of {args.trials} trials"
        )
        print(f"{'rule':<32} {unit + ' run':>12}  {'test score':>10}  {'shortfall':>9}")
        rng = np.random.default_rng(1)
        orders = [rng.choice(args.pool, size=args.trials, replace=False) for _ in range(args.draws)]
        baseline = [replay_hpmagic(None, val, o) for o in orders]
        for label, method in methods().items():
            runs = [method(val, o) for o in orders]
            used = sum(u for u, _ in runs) / sum(u for u, _ in baseline)
            score = float(np.mean([test[b] for _, b in runs]))
            short = float(np.mean([test[b0] - test[b] for (_, b), (_, b0) in zip(runs, baseline)]))
            print(f"{label:<32} {100 * used:11.1f}%  {score:10.4f}  {100 * short:+9.2f}")


if __name__ == "__main__":
    main()
