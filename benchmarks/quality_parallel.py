"""The parallel table of ``benchmarks/quality.py`` (``--table parallel``).

Each strategy runs 64 trials with 1, 4 and 8 trials in flight, through ``hpmagic.tune`` with
``executor=ThreadPoolExecutor(k)`` and ``jobs=k`` (so ``auto`` knows how many run at once),
beside Optuna's default TPE with ``study.optimize(n_jobs=k)`` (threads too).  The objective
is instant, so each proposal is made while up to ``k - 1`` others are still pending: the
hardest case for a batch rule, and the one ``--jobs`` users with fast cells meet.

For every run the table counts *duplicate in-flight configurations*: at each ask, a
configuration equal to one still in flight (asked and not yet told).  hpmagic's asks are
observed by wrapping the strategy the search builds (``hpmagic.api.make_strategy``); Optuna's
are observed in the objective, where its define-by-run parameters are drawn.  A trial whose
configuration duplicates one in flight is a wasted worker.

Thread timing decides which trials are pending at each ask, so runs with ``k > 1`` are not
exactly reproducible; means over 10 seeds are.

    python -m benchmarks.quality --table parallel                   # 10 seeds, 64 trials
    python -m benchmarks.quality --table parallel --seeds 2 --trials 32 --problems hartmann6
"""

from __future__ import annotations

import statistics
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from .problems import Problem, branin_fn, make_cell

#: hpmagic's strategies in the table (those not registered in this version are skipped).
PARALLEL_STRATEGIES = ("auto", "gp", "tpe", "anneal", "evolution", "random", "sobol", "de")
#: Trials in flight compared, and the targets the table checks.
JOBS = (1, 4, 8)
TARGET_PROBLEM, TARGET_JOBS, TARGET_BEST = "hartmann6", 8, -3.20


def parallel_problems() -> dict[str, Any]:
    """``branin-int``: Branin on its 16 x 16 integer grid (256 configurations), where searches
    converge onto a few points and configurations in flight can collide."""
    grid = [branin_fn({"x1": a, "x2": b}) for a in range(-5, 11) for b in range(16)]
    return {
        "branin-int": Problem(
            "branin-int",
            make_cell(["x1 = 2  # tune: int(-5, 10)", "x2 = 7  # tune: int(0, 15)"], ["x1", "x2"]),
            branin_fn,
            lambda t: {"x1": t.suggest_int("x1", -5, 10), "x2": t.suggest_int("x2", 0, 15)},
            lambda: None,
            optimum=min(grid),
        )
    }


def _key(config: dict[str, Any]) -> tuple:
    return tuple(sorted((k, repr(v)) for k, v in config.items()))


class InFlight:
    """Counts configurations asked while an equal one is still in flight (thread-safe)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.pending: dict[Any, tuple] = {}
        self.duplicates = 0

    def start(self, ident: Any, config: dict[str, Any]) -> None:
        key = _key(config)
        with self.lock:
            if key in self.pending.values():
                self.duplicates += 1
            self.pending[ident] = key

    def end(self, ident: Any) -> None:
        with self.lock:
            self.pending.pop(ident, None)


class _Observed:
    """A strategy whose asks and tells go through an :class:`InFlight` counter."""

    def __init__(self, strategy: Any, counter: InFlight):
        self._strategy, self._counter = strategy, counter

    def __getattr__(self, name: str) -> Any:
        return getattr(self._strategy, name)

    def ask(self, number: int) -> dict[str, Any] | None:
        config = self._strategy.ask(number)
        if config is not None:
            self._counter.start(number, config)
        return config

    def tell(self, trial: Any) -> None:
        self._counter.end(trial.number)
        self._strategy.tell(trial)


def run_hpmagic_parallel(strategy: str, problem: Any, seed: int, trials: int, jobs: int) -> tuple[float, int, str]:
    """Best loss, duplicate in-flight asks and the strategy used, for one parallel search."""
    import hpmagic
    import hpmagic.api as api

    counter = InFlight()
    make = api.make_strategy

    def observed(*args: Any, **kwargs: Any) -> Any:
        return _Observed(make(*args, **kwargs), counter)

    api.make_strategy = observed  # type: ignore[assignment]
    try:
        options: dict[str, Any] = {}
        if jobs > 1:
            options = {"executor": ThreadPoolExecutor(jobs), "jobs": jobs}
        result = hpmagic.tune(
            problem.cell,
            {"objective": problem.objective},
            trials=trials,
            strategy=strategy,
            seed=seed,
            quiet=True,
            baseline=False,
            apply=False,
            **options,
        )
        if "executor" in options:
            options["executor"].shutdown()
    finally:
        api.make_strategy = make  # type: ignore[assignment]
    values = [t.value for t in result.trials if t.value is not None]
    return min(values), counter.duplicates, result.strategy


def run_optuna_parallel(problem: Any, seed: int, trials: int, jobs: int) -> tuple[float, int, str]:
    """The same for Optuna's default sampler (TPE) with ``n_jobs`` threads."""
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    counter = InFlight()

    def objective(trial: Any) -> float:
        params = problem.optuna(trial)
        counter.start(trial.number, params)
        try:
            return float(problem.objective(params))
        finally:
            counter.end(trial.number)

    study = optuna.create_study(sampler=optuna.samplers.TPESampler(seed=seed))
    study.optimize(objective, n_trials=trials, n_jobs=jobs)
    return study.best_value, counter.duplicates, ""


def parallel_table(
    problems: dict[str, Any],
    chosen: list[str],
    strategies: list[str],
    seeds: int,
    trials: int,
    log: Callable[[str], None] = print,
) -> bool:
    """Run and print the parallel table; True when every target is met."""
    methods = [f"hpmagic:{s}" for s in strategies] + ["optuna:default"]
    rows: dict[tuple[str, str, int], list[tuple[float, int]]] = {}
    picked: set[str] = set()
    began = time.perf_counter()
    for pname in chosen:
        for seed in range(seeds):
            for jobs in JOBS:
                for method in methods:  # interleaved, so drift in machine load hits everyone alike
                    family, _, name = method.partition(":")
                    if family == "optuna":
                        best, dups, used = run_optuna_parallel(problems[pname], seed, trials, jobs)
                    else:
                        best, dups, used = run_hpmagic_parallel(name, problems[pname], seed, trials, jobs)
                        if name == "auto":
                            picked.add(f"{used} ({jobs} in flight)")
                    rows.setdefault((pname, method, jobs), []).append((best, dups))
        print(f"[{time.perf_counter() - began:7.0f} s] {pname} done", file=sys.stderr, flush=True)

    log(
        f"\nParallel trials: {trials} trials, {seeds} seeds, k trials in flight (a thread pool); "
        "mean best loss [duplicate in-flight configurations, summed over the seeds]\n"
    )
    col = 18
    header = f"{'problem':<11}{'method':<22}" + "".join(f"{f'k={k}':>{col}}" for k in JOBS)
    log(header)
    log("-" * len(header))
    total_dups = 0
    for pname in chosen:
        for method in methods:
            cells = []
            for k in JOBS:
                vals = rows[(pname, method, k)]
                dups = sum(d for _, d in vals)
                total_dups += dups
                cells.append(f"{statistics.mean(b for b, _ in vals):.4g} [{dups}]")
            log(f"{pname:<11}{method:<22}" + "".join(f"{c:>{col}}" for c in cells))
    log("-" * len(header))
    if picked:
        log("auto picked: " + ", ".join(sorted(picked)))
    ok = True
    key = (TARGET_PROBLEM, "hpmagic:auto", TARGET_JOBS)
    if key in rows:
        mean = statistics.mean(b for b, _ in rows[key])
        met = mean <= TARGET_BEST
        ok &= met
        log(
            f"{'PASS' if met else 'FAIL'}: {TARGET_PROBLEM}, auto with {TARGET_JOBS} in flight: mean best {mean:.3f} "
            f"(target <= {TARGET_BEST})"
        )
    hp_dups = sum(d for (_, m, _), vals in rows.items() if m != "optuna:default" for _, d in vals)
    ok &= hp_dups == 0
    log(
        f"{'PASS' if hp_dups == 0 else 'FAIL'}: duplicate in-flight configurations in hpmagic's runs: {hp_dups} "
        f"(Optuna's: {total_dups - hp_dups})"
    )
    return ok
