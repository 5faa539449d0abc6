"""Search quality: hpmagic's strategies side by side with Optuna and hyperopt, in one table.

Every method gets the same budget of evaluations (50 by default) on every problem, for
several seeds, and the table reports the best loss each found (mean and median over the
seeds) and a normalised score:

    score = 100 * (R - best) / (R - O)

where ``R`` is the expected best of plain random search with the same budget and ``O`` is
the optimum (synthetic problems) or the best loss any method found (scikit-learn problems).
0 is "as good as random search", 100 is "found the optimum".  ``R`` is estimated by Monte
Carlo (2,000 random runs) on the synthetic problems and by the mean of the two random-search
methods' runs (hpmagic and Optuna) on the scikit-learn ones, whose evaluations are costly.

Methods:

- ``hpmagic:<name>`` -- ``hpmagic.tune()`` on the problem's cell source, ``strategy=<name>``,
  ``quiet=True``, ``baseline=False`` (every method proposes all its points itself: none is
  handed a known-good configuration), ``apply=False``;
- ``optuna:default`` -- ``optuna.create_study()``'s default sampler (``TPESampler``), seeded;
- ``optuna:random`` -- ``optuna.samplers.RandomSampler``;
- ``hyperopt:tpe`` -- ``hyperopt.fmin(algo=tpe.suggest)``.

Problems (all minimised):

- ``branin`` (2 floats, optimum 0.397887), ``hartmann6`` (6 floats, -3.322368),
  ``rosenbrock4`` (4 floats on [-5, 10], 0);
- ``mixed``: a 3-way choice, two floats, a log-scaled float active for one choice and an
  integer active for two of them (optimum 0);
- ``svc-digits``, ``rf-wine``, ``knn-cancer``, ``logreg-digits`` (standardised, then PCA to
  ``n_components``, then logistic regression): 1 - mean 5-fold
  cross-validated accuracy of scikit-learn models on bundled data sets.  To keep a full run
  within hours on two cores, ``svc-digits`` and ``logreg-digits`` use the first 600 digits, the forest has at most
  60 trees, and floats are rounded to 3 significant digits before the cross-validation, so
  a configuration tried again is read from a cache (``--cache``, a JSON file kept between
  runs; the rounding is the same for every method, so the comparison stays fair).

Overhead per trial is the wall time of a run minus the time spent in the objective,
divided by the number of trials: it covers the whole framework (asking, telling,
bookkeeping), not only the strategy.  The GP's proposal time is measured apart, as the
median time of ``ask`` with 100 finished trials on Hartmann6.

    python -m benchmarks.quality --quick                 # 3 seeds, 30 trials, synthetic only
    python -m benchmarks.quality --problems synthetic    # 10 seeds, 50 trials
    python -m benchmarks.quality                         # everything (long: hours on 2 cores)
    python -m benchmarks.quality --problems svc-digits,knn-cancer --seeds 5
    python -m benchmarks.quality --problems lists         # the list-valued and many-categorical tables

The list-valued (``mlp-digits``, ``hgb-wine``) and many-categorical (``pipe-wine``) problems are
tables of real scikit-learn models: ``benchmarks/quality_lists.py`` says how they are built and cached.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import os
import statistics
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from . import quality_lists
from .problems import Problem, branin_fn, make_cell  # shared with quality_parallel.py
from .quality_parallel import PARALLEL_STRATEGIES, parallel_problems, parallel_table

# Small matrices everywhere: one BLAS thread avoids cores fighting over them.
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

HPMAGIC_STRATEGIES = ("auto", "gp", "tpe", "evolution", "random")
EXTERNAL = ("optuna:default", "optuna:random", "hyperopt:tpe")
SYNTHETIC = ("branin", "hartmann6", "rosenbrock4", "mixed")
SKLEARN = ("svc-digits", "rf-wine", "knn-cancer", "logreg-digits")
LISTS = quality_lists.LIST_VALUED + quality_lists.MANY_CATEGORICAL  # tables of real models (issue 14)


# ---------------------------------------------------------------------------------------
# Problems
# ---------------------------------------------------------------------------------------


_H_A = np.array(
    [[10, 3, 17, 3.5, 1.7, 8], [0.05, 10, 17, 0.1, 8, 14], [3, 3.5, 1.7, 10, 17, 8], [17, 8, 0.05, 10, 0.1, 14]]
)
_H_P = 1e-4 * np.array(
    [
        [1312, 1696, 5569, 124, 8283, 5886],
        [2329, 4135, 8307, 3736, 1004, 9991],
        [2348, 1451, 3522, 2883, 3047, 6650],
        [4047, 8828, 8732, 5743, 1091, 381],
    ]
)
_H_ALPHA = np.array([1.0, 1.2, 3.0, 3.2])


def hartmann6_fn(p):
    x = np.array([p[f"x{i}"] for i in range(6)])
    return float(-np.sum(_H_ALPHA * np.exp(-np.sum(_H_A * (x - _H_P) ** 2, axis=1))))


def rosenbrock4_fn(p):
    x = np.array([p[f"x{i}"] for i in range(4)])
    return float(np.sum(100 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2))


def mixed_fn(p):
    base = (p["x"] - 1.5) ** 2 + 0.5 * (p["y"] + 0.5) ** 2
    if p["kind"] == "a":
        return base + 1.0
    if p["kind"] == "b":
        return base + 0.5 * (math.log10(p["lr"]) + 2) ** 2 + 0.1 * (p["depth"] - 7) ** 2
    return base + 0.5 + 0.05 * abs(p["depth"] - 2)


def _floats(names, low, high):
    return lambda trial: {n: trial.suggest_float(n, low, high) for n in names}


def _hp_floats(names, low, high):
    def space():
        from hyperopt import hp

        return {n: hp.uniform(n, low, high) for n in names}

    return space


def synthetic_problems() -> dict[str, Problem]:
    h6 = [f"x{i}" for i in range(6)]
    r4 = [f"x{i}" for i in range(4)]

    def mixed_optuna(trial):
        p = {
            "kind": trial.suggest_categorical("kind", ["a", "b", "c"]),
            "x": trial.suggest_float("x", -5, 5),
            "y": trial.suggest_float("y", -5, 5),
        }
        p["lr"] = trial.suggest_float("lr", 1e-4, 1.0, log=True) if p["kind"] == "b" else 0.1
        p["depth"] = trial.suggest_int("depth", 1, 10) if p["kind"] != "a" else 3
        return p

    def mixed_hyperopt():
        from hyperopt import hp

        return {
            "x": hp.uniform("x", -5, 5),
            "y": hp.uniform("y", -5, 5),
            "branch": hp.choice(
                "kind",
                [
                    {"kind": "a", "lr": 0.1, "depth": 3},
                    {
                        "kind": "b",
                        "lr": hp.loguniform("lr", math.log(1e-4), 0.0),
                        "depth": hp.uniformint("depth_b", 1, 10),
                    },
                    {"kind": "c", "lr": 0.1, "depth": hp.uniformint("depth_c", 1, 10)},
                ],
            ),
        }

    return {
        "branin": Problem(
            "branin",
            make_cell(["x1 = 2.5  # tune: uniform(-5, 10)", "x2 = 7.5  # tune: uniform(0, 15)"], ["x1", "x2"]),
            branin_fn,
            lambda t: {"x1": t.suggest_float("x1", -5, 10), "x2": t.suggest_float("x2", 0, 15)},
            lambda: {**_hp_floats(["x1"], -5, 10)(), **_hp_floats(["x2"], 0, 15)()},
            optimum=0.397887,
        ),
        "hartmann6": Problem(
            "hartmann6",
            make_cell([f"{n} = 0.5  # tune: uniform(0, 1)" for n in h6], h6),
            hartmann6_fn,
            _floats(h6, 0, 1),
            _hp_floats(h6, 0, 1),
            optimum=-3.322368,
        ),
        "rosenbrock4": Problem(
            "rosenbrock4",
            make_cell([f"{n} = 2.5  # tune: uniform(-5, 10)" for n in r4], r4),
            rosenbrock4_fn,
            _floats(r4, -5, 10),
            _hp_floats(r4, -5, 10),
            optimum=0.0,
        ),
        "mixed": Problem(
            "mixed",
            make_cell(
                [
                    'kind = "a"  # tune: ["a", "b", "c"]',
                    "x = 0.0  # tune: uniform(-5, 5)",
                    "y = 0.0  # tune: uniform(-5, 5)",
                    'lr = 0.1  # tune: loguniform(1e-4, 1.0) if kind == "b"',
                    'depth = 3  # tune: int(1, 10) if kind != "a"',
                ],
                ["kind", "x", "y", "lr", "depth"],
            ),
            mixed_fn,
            mixed_optuna,
            mixed_hyperopt,
            optimum=0.0,
        ),
    }


# -- scikit-learn problems -------------------------------------------------------------


class CVCache:
    """Cross-validation results by problem and rounded configuration, kept in a JSON file."""

    def __init__(self, path: Path | None):
        self.path = path
        self.data: dict[str, float] = {}
        self.new = 0
        if path is not None and path.exists():
            self.data = json.loads(path.read_text())

    def get(self, key: str, compute: Callable[[], float]) -> float:
        if key not in self.data:
            self.data[key] = compute()
            self.new += 1
            if self.new % 50 == 0:
                self.save()
        return self.data[key]

    def save(self) -> None:
        if self.path is not None and self.new:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.path.with_suffix(".tmp")
            tmp.write_text(json.dumps(self.data))
            tmp.replace(self.path)


def _round(value: Any) -> Any:
    if isinstance(value, float):
        return float(f"{value:.3g}")
    return value


def _cv_objective(name: str, cache: CVCache, build: Callable[[dict[str, Any]], Any], data: Callable[[], tuple]):
    loaded: dict[str, Any] = {}

    def objective(params: dict[str, Any]) -> float:
        params = {k: _round(v) for k, v in params.items()}
        key = name + ":" + json.dumps(params, sort_keys=True, default=repr)

        def compute() -> float:
            from sklearn.model_selection import cross_val_score

            if "xy" not in loaded:
                loaded["xy"] = data()
            X, y = loaded["xy"]
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                return 1.0 - float(cross_val_score(build(params), X, y, cv=5).mean())

        return cache.get(key, compute)

    return objective


def sklearn_problems(cache: CVCache) -> dict[str, Problem]:
    from sklearn import datasets

    def svc(p):
        from sklearn.svm import SVC

        return SVC(C=p["C"], gamma=p["gamma"])

    def rf(p):
        from sklearn.ensemble import RandomForestClassifier

        return RandomForestClassifier(
            n_estimators=int(p["n_estimators"]),
            max_depth=int(p["max_depth"]),
            max_features=p["max_features"],
            min_samples_leaf=int(p["min_samples_leaf"]),
            random_state=0,
            n_jobs=1,
        )

    def knn(p):
        from sklearn.neighbors import KNeighborsClassifier
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import StandardScaler

        return make_pipeline(
            StandardScaler(),
            KNeighborsClassifier(n_neighbors=int(p["n_neighbors"]), weights=p["weights"], p=int(p["p"])),
        )

    def logreg(p):
        from sklearn.decomposition import PCA
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import StandardScaler

        return make_pipeline(
            StandardScaler(),
            PCA(n_components=int(p["n_components"]), random_state=0),
            LogisticRegression(C=p["C"], max_iter=2000),
        )

    def digits():
        X, y = datasets.load_digits(return_X_y=True)
        return X[:600], y[:600]

    def hp_space(build):
        def space():
            from hyperopt import hp

            return build(hp)

        return space

    L = math.log
    return {
        "svc-digits": Problem(
            "svc-digits",
            make_cell(
                ["C = 1.0  # tune: loguniform(1e-2, 1e3)", "gamma = 1e-3  # tune: loguniform(1e-5, 1e-1)"],
                ["C", "gamma"],
            ),
            _cv_objective("svc-digits", cache, svc, digits),
            lambda t: {
                "C": t.suggest_float("C", 1e-2, 1e3, log=True),
                "gamma": t.suggest_float("gamma", 1e-5, 1e-1, log=True),
            },
            hp_space(
                lambda hp: {"C": hp.loguniform("C", L(1e-2), L(1e3)), "gamma": hp.loguniform("gamma", L(1e-5), L(1e-1))}
            ),
            costly=True,
        ),
        "rf-wine": Problem(
            "rf-wine",
            make_cell(
                [
                    "n_estimators = 20  # tune: logint(5, 60)",
                    "max_depth = 5  # tune: int(1, 10)",
                    "max_features = 0.5  # tune: uniform(0.1, 1.0)",
                    "min_samples_leaf = 1  # tune: logint(1, 16)",
                ],
                ["n_estimators", "max_depth", "max_features", "min_samples_leaf"],
            ),
            _cv_objective("rf-wine", cache, rf, lambda: datasets.load_wine(return_X_y=True)),
            lambda t: {
                "n_estimators": t.suggest_int("n_estimators", 5, 60, log=True),
                "max_depth": t.suggest_int("max_depth", 1, 10),
                "max_features": t.suggest_float("max_features", 0.1, 1.0),
                "min_samples_leaf": t.suggest_int("min_samples_leaf", 1, 16, log=True),
            },
            hp_space(
                lambda hp: {
                    "n_estimators": hp.qloguniform("n_estimators", L(5), L(60), 1),
                    "max_depth": hp.uniformint("max_depth", 1, 10),
                    "max_features": hp.uniform("max_features", 0.1, 1.0),
                    "min_samples_leaf": hp.qloguniform("min_samples_leaf", L(1), L(16), 1),
                }
            ),
            costly=True,
        ),
        "knn-cancer": Problem(
            "knn-cancer",
            make_cell(
                [
                    "n_neighbors = 5  # tune: logint(1, 60)",
                    'weights = "uniform"  # tune: ["uniform", "distance"]',
                    "p = 2  # tune: [1, 2]",
                ],
                ["n_neighbors", "weights", "p"],
            ),
            _cv_objective("knn-cancer", cache, knn, lambda: datasets.load_breast_cancer(return_X_y=True)),
            lambda t: {
                "n_neighbors": t.suggest_int("n_neighbors", 1, 60, log=True),
                "weights": t.suggest_categorical("weights", ["uniform", "distance"]),
                "p": t.suggest_categorical("p", [1, 2]),
            },
            hp_space(
                lambda hp: {
                    "n_neighbors": hp.qloguniform("n_neighbors", L(1), L(60), 1),
                    "weights": hp.choice("weights", ["uniform", "distance"]),
                    "p": hp.choice("p", [1, 2]),
                }
            ),
            costly=True,
        ),
        "logreg-digits": Problem(
            "logreg-digits",
            make_cell(
                ["n_components = 20  # tune: logint(2, 64)", "C = 1.0  # tune: loguniform(1e-4, 1e2)"],
                ["n_components", "C"],
            ),
            _cv_objective("logreg-digits", cache, logreg, digits),
            lambda t: {
                "n_components": t.suggest_int("n_components", 2, 64, log=True),
                "C": t.suggest_float("C", 1e-4, 1e2, log=True),
            },
            hp_space(
                lambda hp: {
                    "n_components": hp.qloguniform("n_components", L(2), L(64), 1),
                    "C": hp.loguniform("C", L(1e-4), L(1e2)),
                }
            ),
            costly=True,
        ),
    }


# ---------------------------------------------------------------------------------------
# Methods: each runs one search and returns (losses in trial order, wall time, objective time)
# ---------------------------------------------------------------------------------------


class Timed:
    def __init__(self, fn: Callable[[dict[str, Any]], float]):
        self.fn = fn
        self.seconds = 0.0
        self.losses: list[float] = []

    def __call__(self, params: dict[str, Any]) -> float:
        start = time.perf_counter()
        value = float(self.fn(params))
        self.seconds += time.perf_counter() - start
        self.losses.append(value)
        return value


def run_hpmagic(strategy: str, problem: Problem, seed: int, trials: int) -> tuple[list[float], float, float, str]:
    import hpmagic

    obj = Timed(problem.objective)
    # Trials run on a copy of what the cell reads, but a class is shared (hpmagic.cell.isolation):
    # calling this one calls `obj` itself, so its timing, its losses and the caches stay here.
    shared = type("objective", (), {"__new__": staticmethod(lambda cls, params: obj(params))})
    start = time.perf_counter()
    result = hpmagic.tune(
        problem.cell,
        {"objective": shared},
        trials=trials,
        strategy=strategy,
        seed=seed,
        quiet=True,
        baseline=False,
        apply=False,
    )
    return obj.losses, time.perf_counter() - start, obj.seconds, result.strategy


def run_optuna(kind: str, problem: Problem, seed: int, trials: int) -> tuple[list[float], float, float, str]:
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    sampler = optuna.samplers.TPESampler(seed=seed) if kind == "default" else optuna.samplers.RandomSampler(seed=seed)
    obj = Timed(problem.objective)
    start = time.perf_counter()
    study = optuna.create_study(sampler=sampler)
    study.optimize(lambda t: obj(problem.optuna(t)), n_trials=trials)
    return obj.losses, time.perf_counter() - start, obj.seconds, ""


def _flatten(sample: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in sample.items():
        if isinstance(value, dict):
            out.update(_flatten(value))
        elif isinstance(value, float) and key in (
            "n_estimators",
            "min_samples_leaf",
            "n_neighbors",
            "max_depth",
            "depth",
        ):
            out[key] = int(round(value))
        else:
            out[key] = value
    return out


def run_hyperopt(problem: Problem, seed: int, trials: int) -> tuple[list[float], float, float, str]:
    from hyperopt import Trials, fmin, tpe

    obj = Timed(problem.objective)
    start = time.perf_counter()
    fmin(
        lambda s: obj(_flatten(s)),
        problem.hyperopt(),
        algo=tpe.suggest,
        max_evals=trials,
        trials=Trials(),
        rstate=np.random.default_rng(seed),
        show_progressbar=False,
    )
    return obj.losses, time.perf_counter() - start, obj.seconds, ""


def run_method(method: str, problem: Problem, seed: int, trials: int):
    family, _, name = method.partition(":")
    if family == "hpmagic":
        return run_hpmagic(name, problem, seed, trials)
    if family == "optuna":
        return run_optuna(name, problem, seed, trials)
    return run_hyperopt(problem, seed, trials)


# ---------------------------------------------------------------------------------------
# Reference values and the table
# ---------------------------------------------------------------------------------------


def random_expected_best(problem: Problem, trials: int, runs: int = 2000) -> float:
    """Monte Carlo estimate of random search's expected best after ``trials`` evaluations."""
    from hpmagic.cell.parser import parse_cell

    space = parse_cell(problem.cell).space
    rng = np.random.default_rng(12345)
    bests = [min(problem.objective(space.sample(rng)) for _ in range(trials)) for _ in range(runs)]
    return float(np.mean(bests))


def gp_proposal_seconds(finished: int = 100, repeats: int = 10) -> float:
    """Median time of the GP's ``ask`` with ``finished`` trials told, on Hartmann6."""
    from hpmagic.cell.parser import parse_cell
    from hpmagic.result import Trial, TrialState
    from hpmagic.strategies.base import StrategyContext
    from hpmagic.strategies.gp import GPStrategy

    problem = synthetic_problems()["hartmann6"]
    space = parse_cell(problem.cell).space
    rng = np.random.default_rng(0)
    strategy = GPStrategy()
    strategy.setup(space, StrategyContext(budget=finished + repeats + 1, seed=0))
    for k in range(finished):
        config = space.sample(rng)
        strategy.tell(Trial(k, config, TrialState.COMPLETE, value=problem.objective(config)))
    times = []
    for k in range(finished, finished + repeats):
        start = time.perf_counter()
        config = strategy.ask(k)
        times.append(time.perf_counter() - start)
        strategy.tell(Trial(k, config, TrialState.COMPLETE, value=problem.objective(config)))
    return statistics.median(times)


# ---------------------------------------------------------------------------------------
# Time-budget table: best value reached in a fixed wall time on a cheap problem (issue 14)
# ---------------------------------------------------------------------------------------

TIME_BUDGET_METHODS = ("auto", "gp", "tpe", "de", "evolution", "sobol", "random", "optuna:default")
TIME_BUDGET_PROBLEMS = ("hartmann6", "mixed")
#: Seconds each trial of the time-budget problems sleeps: a cheap cell, as a quick model fit.
TIME_BUDGET_TRIAL = 0.003


def slowed(fn: Callable[[dict[str, Any]], float]) -> Callable[[dict[str, Any]], float]:
    """``fn`` taking ``TIME_BUDGET_TRIAL`` more seconds per evaluation (a sleep, so it costs the
    same on a loaded machine)."""

    def objective(params: dict[str, Any]) -> float:
        time.sleep(TIME_BUDGET_TRIAL)
        return fn(params)

    return objective


def run_timed(method: str, problem: Problem, seconds: float, seed: int) -> tuple[float, int, str]:
    """One search of ``method`` for ``seconds`` of wall time: (best loss, trials run, strategy reason)."""
    obj = Timed(slowed(problem.objective))
    if method == "optuna:default":
        import optuna

        optuna.logging.set_verbosity(optuna.logging.WARNING)
        study = optuna.create_study(sampler=optuna.samplers.TPESampler(seed=seed))
        study.optimize(lambda t: obj(problem.optuna(t)), timeout=seconds)
        return min(obj.losses), len(obj.losses), ""
    import hpmagic

    result = hpmagic.tune(
        problem.cell,
        {"objective": obj},
        trials=10**7,
        timeout=seconds,
        strategy=method,
        seed=seed,
        quiet=True,
        baseline=False,
        apply=False,
    )
    values = [t.value for t in result.trials if t.value is not None]  # trials run isolated: obj's copy counted them
    return min(values), len(values), result.strategy_reason


def time_budget_table(
    seconds: float = 10.0,
    seeds: int = 5,
    methods: tuple[str, ...] = TIME_BUDGET_METHODS,
    problems: tuple[str, ...] = TIME_BUDGET_PROBLEMS,
) -> None:
    """Print the time-budget tables: per problem and method, the median best, regret, trials and score.

    score = 100 * (R - best) / (R - O) with ``R`` the median best of hpmagic's ``random`` in
    the same time and ``O`` the optimum, per seed, then the median over ``seeds``; "within
    10%" of the best strategy means a score of at least 0.9 times the best score of
    hpmagic's strategies.
    """
    for pname in problems:
        problem = synthetic_problems()[pname]
        runs: dict[str, list[tuple[float, int, str]]] = {m: [] for m in methods}
        for method in methods:  # imports (scikit-learn, hyperopt, optuna) are not part of the race
            run_timed(method, problem, 0.5, 0)
        for seed in range(seeds):
            for method in methods:  # interleaved, so drift in machine load hits everyone alike
                runs[method].append(run_timed(method, problem, seconds, seed))
        _print_time_budget(problem, runs, seconds, seeds)


def _print_time_budget(
    problem: Problem, runs: dict[str, list[tuple[float, int, str]]], seconds: float, seeds: int
) -> None:
    optimum = problem.optimum
    assert optimum is not None
    rnd = statistics.median(b for b, _, _ in runs["random"]) if "random" in runs else 0.0
    print(
        f"\nTime budget: {problem.name} with {1e3 * TIME_BUDGET_TRIAL:.0f} ms per trial, {seconds:g} s per search, "
        f"{seeds} seeds (medians; score 0 = random search in the same time, 100 = optimum {optimum})\n"
    )
    print(f"{'method':<18}{'best':>10}{'regret':>11}{'trials':>9}{'score':>8}")
    scores = {}
    for method, results in runs.items():
        bests = [b for b, _, _ in results]
        scores[method] = statistics.median(100.0 * (rnd - b) / (rnd - optimum) for b in bests)
        print(
            f"{method:<18}{statistics.median(bests):>10.4f}{statistics.median(bests) - optimum:>11.2e}"
            f"{statistics.median(n for _, n, _ in results):>9.0f}{scores[method]:>8.1f}"
        )
    if "auto" in runs:
        top = max(v for m, v in scores.items() if m != "auto" and not m.startswith("optuna"))
        verdict = "within" if scores["auto"] >= 0.9 * top else "NOT within"
        print(f"auto: score {scores['auto']:.1f}, {verdict} 10% of the best hpmagic strategy ({top:.1f})")
        for reason in sorted({r.partition("; ")[2] for _, _, r in runs["auto"]})[:3]:
            print(f"  e.g. {reason}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.quality", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seeds", type=int, default=10, help="seeds per method and problem (default 10)")
    parser.add_argument("--trials", type=int, default=50, help="evaluations per search (default 50)")
    parser.add_argument(
        "--problems", default="all", help="comma-separated problem names, or 'synthetic', 'sklearn', 'all' (default)"
    )
    parser.add_argument("--methods", default="all", help="comma-separated methods (default all)")
    parser.add_argument("--quick", action="store_true", help="3 seeds, 30 trials, synthetic problems only")
    parser.add_argument(
        "--time-budget",
        type=float,
        default=10.0,
        metavar="SECONDS",
        help="seconds per search of the time-budget table, 5 seeds (default 10; 0: no table)",
    )
    parser.add_argument("--time-budget-only", action="store_true", help="print only the time-budget table")
    parser.add_argument(
        "--cache",
        default=str(Path(__file__).with_name(".cache") / "quality-cv.json"),
        help="JSON file caching cross-validation results ('' for none)",
    )
    parser.add_argument(
        "--table",
        choices=("quality", "parallel"),
        default="quality",
        help="'parallel': 1, 4 and 8 trials in flight (benchmarks/quality_parallel.py)",
    )
    parser.add_argument("--parallel-trials", type=int, default=64, help="trials per search in the parallel table")
    args = parser.parse_args(argv)
    if args.table == "parallel":
        return parallel_main(args)
    if args.quick:
        args.seeds, args.trials, args.problems = 3, 30, "synthetic"
    warnings.simplefilter("ignore")
    logging.getLogger("hyperopt").setLevel(logging.ERROR)
    if args.time_budget_only:
        return time_budget_table(args.time_budget or 10.0)

    from hpmagic.strategies import STRATEGIES

    cache = CVCache(Path(args.cache) if args.cache else None)
    problems = {**synthetic_problems(), **sklearn_problems(cache)}
    groups = {
        "synthetic": list(SYNTHETIC),
        "sklearn": list(SKLEARN),
        "lists": list(LISTS),
        "all": list(SYNTHETIC + SKLEARN + LISTS),
    }
    chosen = [p for part in args.problems.split(",") for p in groups.get(part.strip(), [part.strip()])]
    if set(chosen) & set(LISTS):  # their tables are built (once) or read here
        tables = quality_lists.problems(Path(__file__).with_name(".cache"), [n for n in LISTS if n in chosen])
        problems.update((n, Problem(n, **kw)) for n, kw in tables.items())
    unknown = [p for p in chosen if p not in problems]
    if unknown:
        parser.error(
            f"unknown problem(s) {', '.join(unknown)}; choose from {', '.join(problems)}, synthetic, sklearn, all"
        )
    methods = [f"hpmagic:{s}" for s in HPMAGIC_STRATEGIES if s == "auto" or s in STRATEGIES] + list(EXTERNAL)
    if args.methods != "all":
        methods = [m for m in args.methods.split(",") if m]
    missing = [s for s in HPMAGIC_STRATEGIES if s != "auto" and s not in STRATEGIES]
    if missing:
        print(f"note: not registered in this version, so not run: {', '.join(missing)}")

    bests: dict[tuple[str, str], list[float]] = {}
    overhead: dict[str, list[float]] = {m: [] for m in methods}
    picked: dict[str, set[str]] = {}
    began = time.perf_counter()
    for pname in chosen:
        problem = problems[pname]
        for seed in range(args.seeds):
            for method in methods:  # interleaved, so drift in machine load hits everyone alike
                losses, wall, in_objective, strategy = run_method(method, problem, seed, args.trials)
                bests.setdefault((pname, method), []).append(min(losses))
                overhead[method].append((wall - in_objective) / max(len(losses), 1))
                if method == "hpmagic:auto":
                    picked.setdefault(pname, set()).add(strategy)
        cache.save()
        print(f"[{time.perf_counter() - began:7.0f} s] {pname} done", file=sys.stderr, flush=True)

    # Reference values rnd (random's expected best) and opt (optimum or best found).
    refs: dict[str, tuple[float, float]] = {}
    for pname in chosen:
        problem = problems[pname]
        if problem.costly:
            pool = bests.get((pname, "hpmagic:random"), []) + bests.get((pname, "optuna:random"), [])
            rnd = (
                float(np.mean(pool))
                if pool
                else float(np.mean([v for (p, _), vs in bests.items() if p == pname for v in vs]))
            )
            opt = min(v for (p, _), vs in bests.items() if p == pname for v in vs)
        else:
            rnd, opt = random_expected_best(problem, args.trials), problem.optimum
        refs[pname] = (rnd, opt)

    # Where random search already finds the best, a problem tells no method apart: not scored.
    unscored = [p for p in chosen if refs[p][0] - refs[p][1] <= 1e-12]

    def score(pname: str, value: float) -> float:
        rnd, opt = refs[pname]
        return math.nan if pname in unscored else 100.0 * (rnd - value) / (rnd - opt)

    print(
        f"\nSearch quality: {args.trials} trials, {args.seeds} seeds; best loss mean / median and normalised score "
        f"(0 = random search's expected best, 100 = optimum or best found)\n"
    )
    col = 26
    header = f"{'problem':<13}{'R':>9}{'O':>10}  " + "".join(f"{m:>{col}}" for m in methods)
    print(header)
    print("-" * len(header))
    totals: dict[str, list[float]] = {m: [] for m in methods}
    for pname in chosen:
        rnd, opt = refs[pname]
        cells = []
        for m in methods:
            vals = bests[(pname, m)]
            s = statistics.mean(score(pname, v) for v in vals)
            if not math.isnan(s):
                totals[m].append(s)
            cells.append(
                f"{statistics.mean(vals):.4g}/{statistics.median(vals):.4g} [{'n/a' if math.isnan(s) else f'{s:5.1f}':>5}]"
            )
        print(f"{pname:<13}{rnd:>9.4g}{opt:>10.4g}  " + "".join(f"{c:>{col}}" for c in cells))
    print("-" * len(header))
    if unscored:
        print(f"not scored (random search's expected best is already the best found): {', '.join(unscored)}")
    print(f"{'mean score':<34}" + "".join(f"{statistics.mean(totals[m]):>{col}.1f}" for m in methods))
    listed = [p for p in chosen if p in quality_lists.LIST_VALUED and p not in unscored]
    if listed:
        print(
            f"{'mean score, list-valued':<34}"
            + "".join(
                f"{statistics.mean(statistics.mean(score(p, v) for v in bests[(p, m)]) for p in listed):>{col}.1f}"
                for m in methods
            )
        )
    print(f"{'overhead ms/trial':<34}" + "".join(f"{1e3 * statistics.median(overhead[m]):>{col}.1f}" for m in methods))
    if picked:
        print("\nauto picked: " + "; ".join(f"{p}: {', '.join(sorted(s))}" for p, s in picked.items()))
    print(f"gp proposal time with 100 finished trials (Hartmann6, median of 10 asks): {gp_proposal_seconds():.3f} s")
    print(f"total time {time.perf_counter() - began:.0f} s")
    if args.time_budget and not args.quick:
        time_budget_table(args.time_budget)


def parallel_main(args: argparse.Namespace) -> None:
    """``--table parallel``: Hartmann6, Branin and Branin on integers by default, every strategy that proposes on its own."""
    warnings.simplefilter("ignore")
    logging.getLogger("hyperopt").setLevel(logging.ERROR)
    from hpmagic.strategies import STRATEGIES

    problems = {**synthetic_problems(), **parallel_problems()}
    chosen = ["hartmann6", "branin", "branin-int"] if args.problems == "all" else args.problems.split(",")
    strategies = [s for s in PARALLEL_STRATEGIES if s == "auto" or s in STRATEGIES]
    if args.methods != "all":
        strategies = [m.partition(":")[2] or m for m in args.methods.split(",") if m and not m.startswith("optuna")]
    ok = parallel_table(problems, chosen, strategies, args.seeds, args.parallel_trials)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
