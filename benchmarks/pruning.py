"""Early stopping end to end: hpmagic's pruning rules next to Optuna's on real scikit-learn work.

Four iterative workloads (``benchmarks/pruning_workloads.py``), each a notebook cell with
a small mixed ``# tune:`` space: an ``MLPClassifier`` trained epoch by epoch with
``partial_fit`` on the digits, an ``SGDClassifier`` with ``partial_fit`` on 50,000 generated
rows, gradient boosting grown one stage at a time (warm start), each reporting its
validation accuracy after every epoch or stage (27 of them), and a 5-fold cross-validation
of an SVC through ``hpmagic.cross_val_score`` (the resource is folds).  Everything runs in
this one process, method after method, for each seed.

Methods, each with the same ``-n`` (``--trials``):

- ``hpmagic``: ``hpmagic.tune(cell, trials=n, maximize=True, seed=seed, prune=...)``, the
  default strategy (``auto``), ``baseline=False`` (no method is handed the cell's defaults),
  without pruning, with ``--prune`` alone (the default rule: ``hyperband`` for learning curves,
  ``folds`` for ``cross_val_score``) and with each other rule;
- ``optuna``: ``TPESampler(seed=seed)`` with ``MedianPruner()`` and with
  ``HyperbandPruner()`` (defaults), the same model code, ``trial.report`` after each step and
  ``trial.should_prune()`` (for the CV, the running mean of the folds, Optuna's recipe).

For each workload and method it prints, as the mean over the seeds: the resource run
(epochs, stages or folds summed over the search, and as a share of hpmagic's unpruned
run), the trials pruned, the wall time, and the **true score** of the reported best
configuration: trained again at full resource and scored on a test split the search never
saw (so a pruned search's answer is judged like an unpruned one's), with its spread (sd
over the seeds).

**Equal resource**: every method is then given, per seed, the resource hpmagic's default
pruning used (not the trial count): its trials are taken in order until their cumulative
resource reaches that budget (the trial that crosses it counts, as an Optuna callback that
stops the study after it would; for hpmagic's default the budget is its whole run).  The
searches are sequential and their proposals do not depend on ``-n``, so this is the search
that would have stopped there; a method whose ``-n`` run used less is run again for more
trials.  Its answer is the best complete trial among those.

Targets (PASS/FAIL lines at the end): with the same ``-n``, hpmagic's default pruning runs
at most 40% of the unpruned resource with a mean true score within 0.5% of the unpruned
run's; at equal resource, hpmagic's best pairing (strategy and rule) has a higher mean true
score than Optuna's best pairing, on every workload.

    python -m benchmarks.pruning                       # 10 seeds, 30 trials (about 3 minutes of CPU a seed)
    python -m benchmarks.pruning --quick               # 2 seeds, 15 trials
    python -m benchmarks.pruning --seeds 3 --trials 20 --workloads mlp,svc
    python -m benchmarks.pruning --log runs.jsonl          # each seed's figures saved as they come
    python -m benchmarks.pruning --tables runs.jsonl       # the tables of the seeds saved so far

Seeds can run in several processes (``--first-seed 5 --seeds 5 --log b.jsonl``); ``--tables``
on the logs put together (``cat a.jsonl b.jsonl``) prints the tables of all of them.
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
from dataclasses import dataclass
from pathlib import Path
from typing import Any

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")  # small matrices: one BLAS thread, as in a notebook on 2 cores

import hpmagic  # noqa: E402
from hpmagic.core import TrialState  # noqa: E402
from hpmagic.pruning import DEFAULT, DEFAULT_FOR_FOLDS, names  # noqa: E402

from .pruning_workloads import Workload, workloads  # noqa: E402

MAX_SHARE = 0.40  # target: the default rule runs at most this share of the unpruned resource
MAX_LOSS = 0.005  # target: ... with a mean true score at most this share below the unpruned run's


@dataclass
class Run:
    """One search: its trials in order as (resource, validation value or None, params), and its cost."""

    trials: list[tuple[int, float | None, dict[str, Any]]]
    seconds: float

    @property
    def resource(self) -> int:
        return sum(r for r, _, _ in self.trials)

    @property
    def pruned(self) -> int:
        return sum(v is None for _, v, _ in self.trials)

    def within(self, budget: int) -> list[tuple[int, float | None, dict[str, Any]]]:
        """The trials of the search stopped once its resource reached ``budget`` (that trial included)."""
        out, used = [], 0
        for t in self.trials:
            if used >= budget:
                break
            out.append(t)
            used += t[0]
        return out

    @staticmethod
    def best(trials: list[tuple[int, float | None, dict[str, Any]]]) -> dict[str, Any] | None:
        done = [(v, -i) for i, (_, v, _) in enumerate(trials) if v is not None]
        return trials[-max(done)[1]][2] if done else None  # ties: the earlier trial, as both tools do


# -- the methods ---------------------------------------------------------------------------


def run_hpmagic(w: Workload, spec: str | bool | None, trials: int, seed: int, **options: Any) -> Run:
    """``trials`` trials of hpmagic with ``prune=spec``; ``options`` go to ``hpmagic.tune`` (e.g. ``strategy``)."""
    start = time.perf_counter()
    result = hpmagic.tune(
        w.cell,
        dict(w.namespace()),
        trials=trials,
        maximize=True,
        seed=seed,
        prune=spec,
        quiet=True,
        baseline=False,
        apply=False,
        **options,
    )
    seconds = time.perf_counter() - start
    out = []
    for t in sorted(result.trials, key=lambda t: t.number):
        if t.state is TrialState.FAILED:
            raise RuntimeError(f"{w.name}: hpmagic trial {t.number} failed: {t.error}")
        out.append((len(t.curve), t.value if t.state is TrialState.COMPLETE else None, dict(t.params)))
    return Run(out, seconds)


def run_optuna(w: Workload, pruner: str, trials: int, seed: int, budget: int | None = None) -> Run:
    """``trials`` trials of Optuna's TPE with ``pruner`` (``median``, ``hyperband``, ``sha``: successive halving,
    ``none``); with ``budget``, on until that much resource ran."""
    import optuna

    def objective(trial: optuna.Trial) -> float:
        def step(value: float, k: int) -> None:
            trial.report(value, k)
            if trial.should_prune():
                raise optuna.TrialPruned()

        return w.train(w.suggest(trial), w.namespace(), step)

    def stop_at_budget(study: optuna.Study, _: Any) -> None:
        if budget is not None and sum(len(t.intermediate_values) for t in study.trials) >= budget:
            study.stop()

    make = {
        "median": optuna.pruners.MedianPruner,
        "hyperband": optuna.pruners.HyperbandPruner,
        "sha": optuna.pruners.SuccessiveHalvingPruner,
        "none": optuna.pruners.NopPruner,
    }[pruner]
    # HyperbandPruner assigns brackets by a hash of the study name: name it, so a seed is one search.
    study = optuna.create_study(
        study_name=f"pruning-{seed}", direction="maximize", sampler=optuna.samplers.TPESampler(seed=seed), pruner=make()
    )
    start = time.perf_counter()
    study.optimize(objective, n_trials=trials if budget is None else 20 * trials, callbacks=[stop_at_budget])
    seconds = time.perf_counter() - start
    out = [
        (len(t.intermediate_values), t.value if t.state == optuna.trial.TrialState.COMPLETE else None, t.params)
        for t in study.trials
    ]
    return Run(out, seconds)


def methods(w: Workload) -> dict[str, tuple[str, str | bool | None]]:
    """Label -> (tool, setting); hpmagic's default rule first after the unpruned run."""
    default = DEFAULT_FOR_FOLDS if w.folds else DEFAULT
    rules = [n for n in names() if n not in (default, "auto") and (w.folds or n != "folds")]
    out: dict[str, tuple[str, str | bool | None]] = {
        "hpmagic, no pruning": ("hpmagic", None),
        f"hpmagic --prune (= {default})": ("hpmagic", True),
    }
    out.update({f"hpmagic --prune {r}": ("hpmagic", r) for r in rules})
    out["optuna TPE + MedianPruner"] = ("optuna", "median")
    out["optuna TPE + HyperbandPruner"] = ("optuna", "hyperband")
    return out


# -- one seed of one workload ---------------------------------------------------------------


def bench_seed(w: Workload, seed: int, trials: int) -> dict[str, Any]:
    """Every method on ``w`` with ``seed``: one record (plain data, a line of the log)."""
    labels = methods(w)
    unpruned, default = list(labels)[:2]
    runs = {
        label: (
            run_hpmagic(w, setting, trials, seed) if tool == "hpmagic" else run_optuna(w, str(setting), trials, seed)
        )
        for label, (tool, setting) in labels.items()
    }
    check_consistency(w, runs[unpruned])
    budget = runs[default].resource
    out: dict[str, Any] = {
        "workload": w.name,
        "unit": w.unit,
        "steps": w.steps,
        "seed": seed,
        "trials": trials,
        "unpruned": unpruned,
        "default": default,
        "budget": budget,
        "methods": {},
    }
    for label, (tool, setting) in labels.items():
        run = runs[label]
        record = {
            "resource": run.resource,
            "pruned": run.pruned,
            "seconds": run.seconds,
            "score": score(w, Run.best(run.trials)),
        }
        if run.resource < budget:  # too thrifty for the budget: the same search, on for longer
            more = math.ceil(1.3 * trials * budget / max(run.resource, 1)) + 2
            run = (
                run_hpmagic(w, setting, more, seed)
                if tool == "hpmagic"
                else run_optuna(w, str(setting), trials, seed, budget=budget)
            )
        kept = run.within(budget)
        record["equal"] = {
            "trials": len(kept),
            "pruned": sum(v is None for _, v, _ in kept),
            "resource": sum(r for r, _, _ in kept),
            "score": score(w, Run.best(kept)),
        }
        out["methods"][label] = record
    return out


def score(w: Workload, params: dict[str, Any] | None) -> float:
    """The true score of a search's answer: retrained at full resource, on the test split."""
    return w.final(params)[1] if params is not None else float("nan")


def check_consistency(w: Workload, run: Run) -> None:
    """The cell (hpmagic) and ``train`` (Optuna, the retraining) must be the same model: compare the
    unpruned answer's validation score with the retrained one's."""
    done = [(v, p) for _, v, p in run.trials if v is not None]
    value, params = max(done, key=lambda d: d[0])
    if abs(w.final(params)[0] - value) > 1e-9:
        print(
            f"WARNING: {w.name}: the cell and the retraining disagree for {params}: "
            f"{value} against {w.final(params)[0]}",
            file=sys.stderr,
        )


# -- the tables ----------------------------------------------------------------------------


def mean_sd(xs: list[float]) -> tuple[float, float]:
    return statistics.fmean(xs), (statistics.stdev(xs) if len(xs) > 1 else 0.0)


def report_workload(records: list[dict[str, Any]]) -> dict[str, Any]:
    """Print one workload's two tables from its per-seed records; return the figures the targets need."""
    first = records[0]
    unit, labels = first["unit"], list(first["methods"])

    def of(label: str, key: str, sub: str | None = None) -> list[float]:
        return [(r["methods"][label][sub][key] if sub else r["methods"][label][key]) for r in records]

    base = statistics.fmean(of(first["unpruned"], "resource"))
    print(
        f"\n{first['workload']}: {len(records)} seeds, {first['trials']} trials, up to {first['steps']} {unit} each "
        "(mean over seeds; true score: the answer retrained in full, scored on the test split, +- sd)"
    )
    print(f"{'method':<34} {unit + ' run':>11} {'share':>6} {'pruned':>7} {'wall s':>7}  {'true score':>15}")
    same, equal = {}, {}
    for label in labels:
        same[label], sd = mean_sd(of(label, "score"))
        resource = statistics.fmean(of(label, "resource"))
        print(
            f"{label:<34} {resource:11.0f} {100 * resource / base:5.1f}% {statistics.fmean(of(label, 'pruned')):7.1f}"
            f" {statistics.fmean(of(label, 'seconds')):7.1f}  {same[label]:.4f} +- {sd:.4f}"
        )
    budget = statistics.fmean(r["budget"] for r in records)
    print(f"equal resource (each seed: what {first['default']!r} ran, mean {budget:.0f} {unit})")
    print(f"{'method':<34} {'trials':>11} {unit:>6} {'pruned':>7} {'':>7}  {'true score':>15}")
    for label in labels:
        equal[label], sd = mean_sd(of(label, "score", "equal"))
        print(
            f"{label:<34} {statistics.fmean(of(label, 'trials', 'equal')):11.1f} "
            f"{statistics.fmean(of(label, 'resource', 'equal')):6.0f} {statistics.fmean(of(label, 'pruned', 'equal')):7.1f}"
            f" {'':>7}  {equal[label]:.4f} +- {sd:.4f}"
        )
    share = statistics.fmean(of(first["default"], "resource")) / base
    seeds = {label: of(label, "score", "equal") for label in labels}
    return {
        "same": same,
        "equal": equal,
        "share": share,
        "unpruned": first["unpruned"],
        "default": first["default"],
        "seeds": seeds,
    }


def verdicts(results: dict[str, dict[str, Any]]) -> None:
    print()
    for name, r in results.items():
        unpruned, default = r["same"][r["unpruned"]], r["same"][r["default"]]
        ok = r["share"] <= MAX_SHARE and default >= unpruned * (1 - MAX_LOSS)
        print(
            f"{'PASS' if ok else 'FAIL'} {name}: same -n, {r['default']} ran {100 * r['share']:.1f}% of the unpruned "
            f"resource (target <= {100 * MAX_SHARE:.0f}%), true score {default:.4f} against {unpruned:.4f} "
            f"({100 * (default - unpruned) / unpruned:+.2f}%, target >= {-100 * MAX_LOSS:.1f}%)"
        )
    for name, r in results.items():
        ours = max((v, k) for k, v in r["equal"].items() if k.startswith("hpmagic"))
        theirs = max((v, k) for k, v in r["equal"].items() if k.startswith("optuna"))
        pairs = list(zip(r["seeds"][ours[1]], r["seeds"][theirs[1]]))
        wins, losses = sum(a > b for a, b in pairs), sum(a < b for a, b in pairs)
        print(
            f"{'PASS' if ours[0] > theirs[0] else 'FAIL'} {name}: equal resource, best hpmagic pairing "
            f"({ours[1]}) {ours[0]:.4f} against best Optuna pairing ({theirs[1]}) {theirs[0]:.4f}; "
            f"better on {wins}, worse on {losses} of {len(pairs)} seeds"
        )


def tables(records: list[dict[str, Any]]) -> None:
    """The tables and the verdicts of every workload in ``records`` (the log's lines)."""
    by: dict[str, list[dict[str, Any]]] = {}
    seen = set()
    for r in sorted(records, key=lambda r: r["seed"]):
        if (r["workload"], r["seed"], r["trials"]) not in seen:  # a seed logged twice counts once
            seen.add((r["workload"], r["seed"], r["trials"]))
            by.setdefault(r["workload"], []).append(r)
    verdicts({name: report_workload(rs) for name, rs in by.items()})


def main() -> None:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.pruning", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seeds", type=int, default=None, help="searches per method (default 10; --quick 2)")
    parser.add_argument("--first-seed", type=int, default=0, help="the first seed (to add seeds to a --log)")
    parser.add_argument("--trials", type=int, default=None, help="-n of every search (default 30; --quick 15)")
    parser.add_argument("--quick", action="store_true", help="2 seeds of 15 trials, to try the benchmark out")
    parser.add_argument("--workloads", default="mlp,sgd,boost,svc", help="comma-separated: mlp, sgd, boost, svc")
    parser.add_argument("--log", type=Path, help="append each seed's figures to this JSON-lines file as they come")
    parser.add_argument("--tables", type=Path, metavar="LOG", help="print the tables of a --log file and stop")
    args = parser.parse_args()
    if args.tables:
        tables([json.loads(line) for line in args.tables.read_text().splitlines() if line.strip()])
        return
    seeds = args.seeds or (2 if args.quick else 10)
    trials = args.trials or (15 if args.quick else 30)
    warnings.filterwarnings("ignore")  # the small MLPs' convergence warnings, in Optuna's trials
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    logging.getLogger("optuna").setLevel(logging.WARNING)
    every = workloads()
    chosen = [k.strip() for k in args.workloads.split(",") if k.strip()]
    unknown = [k for k in chosen if k not in every]
    if unknown:
        parser.error(f"unknown workload(s) {', '.join(unknown)}; choose from {', '.join(every)}")
    start, records = time.perf_counter(), []
    for seed in range(args.first_seed, args.first_seed + seeds):  # seed by seed: a stopped run keeps whole seeds
        for key in chosen:
            records.append(bench_seed(every[key], seed, trials))
            if args.log:
                with args.log.open("a") as f:
                    f.write(json.dumps(records[-1]) + "\n")
        print(f"seed {seed} done ({time.perf_counter() - start:.0f} s)", file=sys.stderr, flush=True)
    tables(records)
    print(
        f"\npython -m benchmarks.pruning {' '.join(sys.argv[1:])}: {time.perf_counter() - start:.0f} s, hpmagic {hpmagic.__version__}, "
        f"optuna {optuna.__version__}"
    )


if __name__ == "__main__":
    main()
