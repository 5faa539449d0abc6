"""Early stopping of gradient boosting through the framework callbacks: hpmagic next to Optuna.

One XGBoost workload: an ``XGBClassifier`` of up to ROUNDS boosting rounds on 6,000 generated
rows (20 features, 8 of them informative, 5% of the labels flipped), validation log-loss
watched every round, a four-parameter space (learning rate, depth, row subsampling, minimum
child weight).  Every method runs the same model code in this process, one seed after another:

- ``hpmagic``: ``hpmagic.tune(cell, trials=n, minimize=True, seed=seed, baseline=False)``, the
  cell's model given ``hpmagic.integrations.XGBoostCallback("validation_0-logloss")``: without
  ``--prune``, with ``--prune`` (the default rule) and with ``--prune asha``;
- ``optuna``: ``TPESampler(seed=seed)`` with ``MedianPruner()`` and with ``HyperbandPruner()``,
  the model given Optuna's own ``optuna_integration.XGBoostPruningCallback(trial,
  "validation_0-logloss")`` (so each library prunes through its own callback).

For each method it prints, as the mean over the seeds: the **resource** (boosting rounds
trained, summed over the search, and as a share of hpmagic's unpruned run), the trials pruned,
the wall time, and the **true score** of the reported best configuration: trained again with
all ROUNDS rounds on the training rows and scored (log-loss, lower is better) on a test split
the search never saw, with its spread (sd over the seeds).

    nice -n 10 python -m benchmarks.pruning_boosting              # 5 seeds, 30 trials
    nice -n 10 python -m benchmarks.pruning_boosting --seeds 2 --trials 12
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import time
import warnings

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import numpy as np  # noqa: E402

import hpmagic  # noqa: E402
from hpmagic.core import TrialState  # noqa: E402

ROUNDS = 81

CELL = """
import xgboost
from hpmagic.integrations import XGBoostCallback
learning_rate = 0.3    # tune: loguniform(0.005, 0.5)
max_depth = 6          # tune: int(2, 10)
subsample = 1.0        # tune: uniform(0.5, 1.0)
min_child_weight = 1.0 # tune: loguniform(0.1, 20)
model = xgboost.XGBClassifier(n_estimators=ROUNDS, learning_rate=learning_rate, max_depth=max_depth,
                              subsample=subsample, min_child_weight=min_child_weight, eval_metric="logloss",
                              n_jobs=1, random_state=0, callbacks=[XGBoostCallback("validation_0-logloss")])
model.fit(X_train, y_train, eval_set=[(X_valid, y_valid)], verbose=False)
model.evals_result()["validation_0"]["logloss"][-1]
"""

PARAMS = ("learning_rate", "max_depth", "subsample", "min_child_weight")


def make_data(seed: int = 0) -> dict:
    from sklearn.datasets import make_classification
    from sklearn.model_selection import train_test_split

    X, y = make_classification(n_samples=6000, n_features=20, n_informative=8, flip_y=0.05, random_state=seed)
    X_rest, X_test, y_rest, y_test = train_test_split(X, y, test_size=2000, random_state=seed)
    X_train, X_valid, y_train, y_valid = train_test_split(X_rest, y_rest, test_size=1000, random_state=seed)
    return {
        "X_train": X_train,
        "y_train": y_train,
        "X_valid": X_valid,
        "y_valid": y_valid,
        "X_test": X_test,
        "y_test": y_test,
        "ROUNDS": ROUNDS,
    }


def true_score(params: dict, data: dict) -> float:
    """The configuration trained with every round on the training rows, its log-loss on the test rows."""
    import xgboost
    from sklearn.metrics import log_loss

    model = xgboost.XGBClassifier(n_estimators=ROUNDS, eval_metric="logloss", n_jobs=1, random_state=0, **params)
    model.fit(data["X_train"], data["y_train"], verbose=False)
    return float(log_loss(data["y_test"], model.predict_proba(data["X_test"])[:, 1]))


def run_hpmagic(data: dict, trials: int, seed: int, prune: str | None) -> dict:
    namespace = {k: v for k, v in data.items() if not k.endswith("_test")}
    start = time.perf_counter()
    result = hpmagic.tune(
        CELL, namespace, trials=trials, seed=seed, minimize=True, quiet=True, baseline=False, prune=prune, apply=False
    )
    took = time.perf_counter() - start
    return {
        "resource": sum(len(t.curve) for t in result.trials),
        "took": took,
        "pruned": sum(t.state is TrialState.PRUNED for t in result.trials),
        "true": true_score(result.best_params, data),
    }


def run_optuna(data: dict, trials: int, seed: int, pruner_name: str) -> dict:
    import optuna
    import xgboost
    from optuna_integration import XGBoostPruningCallback

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    pruner = optuna.pruners.MedianPruner() if pruner_name == "median" else optuna.pruners.HyperbandPruner()
    rounds = [0]

    class Count(xgboost.callback.TrainingCallback):  # the rounds trained, pruned trials' included
        def after_iteration(self, model, epoch, evals_log):
            rounds[0] += 1
            return False

    def objective(trial):
        params = {
            "learning_rate": trial.suggest_float("learning_rate", 0.005, 0.5, log=True),
            "max_depth": trial.suggest_int("max_depth", 2, 10),
            "subsample": trial.suggest_float("subsample", 0.5, 1.0),
            "min_child_weight": trial.suggest_float("min_child_weight", 0.1, 20, log=True),
        }
        callbacks = [Count(), XGBoostPruningCallback(trial, "validation_0-logloss")]
        model = xgboost.XGBClassifier(
            n_estimators=ROUNDS, eval_metric="logloss", n_jobs=1, random_state=0, callbacks=callbacks, **params
        )
        model.fit(data["X_train"], data["y_train"], eval_set=[(data["X_valid"], data["y_valid"])], verbose=False)
        return model.evals_result()["validation_0"]["logloss"][-1]

    study = optuna.create_study(direction="minimize", sampler=optuna.samplers.TPESampler(seed=seed), pruner=pruner)
    start = time.perf_counter()
    study.optimize(objective, n_trials=trials)
    took = time.perf_counter() - start
    return {
        "resource": rounds[0],
        "took": took,
        "pruned": sum(t.state is optuna.trial.TrialState.PRUNED for t in study.trials),
        "true": true_score(study.best_params, data),
    }


METHODS = {
    "hpmagic, no pruning": lambda d, n, s: run_hpmagic(d, n, s, None),
    "hpmagic --prune (default)": lambda d, n, s: run_hpmagic(d, n, s, "auto"),
    "hpmagic --prune asha": lambda d, n, s: run_hpmagic(d, n, s, "asha"),
    "optuna TPE + median": lambda d, n, s: run_optuna(d, n, s, "median"),
    "optuna TPE + hyperband": lambda d, n, s: run_optuna(d, n, s, "hyperband"),
}


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.pruning_boosting", description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--trials", type=int, default=30)
    args = parser.parse_args()
    logging.getLogger("optuna").setLevel(logging.WARNING)
    warnings.filterwarnings("ignore")
    data = make_data()
    runs: dict[str, list[dict]] = {name: [] for name in METHODS}
    for seed in range(args.seeds):
        for name, method in METHODS.items():
            runs[name].append(method(data, args.trials, seed))
        print(f"seed {seed} done", flush=True)
    base = statistics.fmean(r["resource"] for r in runs["hpmagic, no pruning"])
    print(f"\nXGBoost, {ROUNDS} rounds at most, {args.trials} trials, {args.seeds} seeds (means over the seeds)")
    print(f"{'method':28} {'rounds':>8} {'share':>6} {'pruned':>7} {'seconds':>8} {'true log-loss':>14} {'sd':>7}")
    for name, results in runs.items():
        resource = statistics.fmean(r["resource"] for r in results)
        true = [r["true"] for r in results]
        sd = statistics.stdev(true) if len(true) > 1 else float("nan")
        print(
            f"{name:28} {resource:8.0f} {resource / base:6.0%} {statistics.fmean(r['pruned'] for r in results):7.1f} "
            f"{statistics.fmean(r['took'] for r in results):8.1f} {np.mean(true):14.4f} {sd:7.4f}"
        )


if __name__ == "__main__":
    main()
