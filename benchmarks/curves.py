"""Pruning on recorded real training curves: hpmagic's ``--prune`` beside Optuna's pruners (issue 26).

The curves were recorded once from real scikit-learn training by
``benchmarks/record_curves.py`` (``benchmarks/data/curves_*.npz``); every search here
replays them (``benchmarks/curve_workloads.py``: the cell walks the recorded curve of its
configuration and calls ``report(v)`` each epoch; Optuna's objective does ``trial.report`` /
``should_prune`` on the same values).  So hpmagic's real pruning machinery and Optuna's
decide on the same curves, and 10 seeds of a dozen methods take minutes, not days.

Workloads, in two sets (tune defaults on ``dev``; run ``confirm`` only before and after a change):

=========  =========  =========================================================  ======
set        name       curves                                                     trials
=========  =========  =========================================================  ======
dev        mlp        the issue's MLP (adam, ``partial_fit``, 30 epochs)           40
dev        boost      gradient boosting stage by stage: curves that cross          30
dev        warmup     momentum SGD with a warm-up: large rates diverge late        100
dev        noisy      an MLP scored on 120 validation rows: noisy curves           50
dev        sgd        constant-rate SGD: small rates start slowly                  100
confirm    stepdecay  momentum SGD on real digits, rate / 10 after epoch 20:       50
                      large rates cross late
confirm    longwarm   adam warmed up over 20 epochs on other data: large rates     30
                      lead, then fall back as the rate grows
=========  =========  =========================================================  ======

``noisy`` and ``sgd`` were the first confirmation set; once they had been looked at they
joined the development set, and ``stepdecay`` and ``longwarm`` (recorded later, on other
data) became the confirmation set.

Methods, each with the same ``-n`` and seed: hpmagic (``hpmagic.tune``, ``baseline=False``)
``auto`` without pruning, with ``--prune`` (the default rule), ``--prune median``,
``--prune asha``, ``--prune hyperband``; Optuna's default ``TPESampler(seed=seed)`` without
pruning and with ``MedianPruner``, ``SuccessiveHalvingPruner``, ``HyperbandPruner``
(defaults).  For each: the **true score** of the answer (the best complete trial's
configuration: the mean over the recorded repeats of its test score after full training),
mean and sd over the seeds, and the resource (epochs run) as a share of hpmagic's unpruned
search on the same seeds.

Targets (PASS/FAIL, per workload and budget): ``--prune``'s mean true score within 0.5% of
the unpruned hpmagic search's; and its resource at most that of Optuna's best pruner (the
one with the highest mean true score) with a true score no lower than that pruner's.

    python -m benchmarks.curves                          # the dev set, each workload's budget, 10 seeds
    python -m benchmarks.curves --set confirm
    python -m benchmarks.curves --set all --trials 30,50,100 --seeds 10
    python -m benchmarks.curves --log runs.jsonl         # each seed's figures appended as they come
    python -m benchmarks.curves --tables runs.jsonl      # the tables of a log (several: cat them)
    python -m benchmarks.curves --methods "hpmagic --prune;hpmagic --prune asha:min_resource=3"  # a probe
"""

from __future__ import annotations

import argparse
import json
import logging
import statistics
import sys
import time
import warnings
from pathlib import Path
from typing import Any

import hpmagic  # noqa: E402

from . import pruning as bench  # (sets one BLAS thread)
from .curve_workloads import workload

SETS = {
    "dev": {"mlp": 40, "boost": 30, "warmup": 100, "noisy": 50, "sgd": 100},
    "confirm": {"stepdecay": 50, "longwarm": 30},
}
MAX_LOSS = 0.005  # --prune's true score at most this share below the unpruned search's
UNPRUNED, DEFAULT = "hpmagic auto", "hpmagic --prune"
METHODS: dict[str, tuple[str, str | bool | None]] = {
    UNPRUNED: ("hpmagic", None),
    DEFAULT: ("hpmagic", True),
    "hpmagic --prune median": ("hpmagic", "median"),
    "hpmagic --prune asha": ("hpmagic", "asha"),
    "hpmagic --prune hyperband": ("hpmagic", "hyperband"),
    "optuna TPE": ("optuna", "none"),
    "optuna TPE + Median": ("optuna", "median"),
    "optuna TPE + SuccessiveHalving": ("optuna", "sha"),
    "optuna TPE + Hyperband": ("optuna", "hyperband"),
}
_CACHES: dict[str, dict[tuple[Any, ...], tuple[float, float]]] = {}


def method(label: str) -> tuple[str, str | bool | None, dict[str, Any]]:
    """A label's (tool, setting, options): one of :data:`METHODS`, or for a probe ``hpmagic [STRATEGY]
    [--prune [SPEC]]`` (e.g. ``hpmagic tpe``, ``hpmagic gp --prune``, ``hpmagic --prune asha:eta=4``)."""
    if label in METHODS:
        return (*METHODS[label], {})
    words = label.split(maxsplit=3)
    if words and words[0] == "hpmagic":
        options = {"strategy": words.pop(1)} if len(words) > 1 and not words[1].startswith("--") else {}
        if len(words) == 1:
            return "hpmagic", None, options
        if words[1] == "--prune":
            return "hpmagic", (" ".join(words[2:]) or True), options
    raise SystemExit(
        f"unknown method {label!r}: use one of {', '.join(METHODS)}, or 'hpmagic [STRATEGY] [--prune [SPEC]]'"
    )


def bench_seed(name: str, seed: int, trials: int, labels: list[str]) -> dict[str, Any]:
    """Every method of ``labels`` on workload ``name`` with ``seed``: one record (a line of the log)."""
    w = workload(name, seed, _CACHES.setdefault(name, {}))
    out: dict[str, Any] = {"workload": name, "seed": seed, "trials": trials, "steps": w.steps, "methods": {}}
    for label in labels:
        tool, setting, options = method(label)
        run = (
            bench.run_hpmagic(w, setting, trials, seed, **options)
            if tool == "hpmagic"
            else bench.run_optuna(w, str(setting), trials, seed)
        )
        out["methods"][label] = {
            "resource": run.resource,
            "pruned": run.pruned,
            "seconds": run.seconds,
            "score": bench.score(w, bench.Run.best(run.trials)),
        }
    return out


# -- the tables ----------------------------------------------------------------------------


def report(records: list[dict[str, Any]]) -> list[str]:
    """Print one workload-and-budget table; return its verdict lines."""
    first = records[0]
    labels = list(dict.fromkeys(m for r in records for m in r["methods"]))

    def of(label: str, key: str, among: str | None = None) -> list[float]:
        """``key`` of ``label`` on each seed that ran it (and ``among``, when given)."""
        return [
            r["methods"][label][key]
            for r in records
            if label in r["methods"] and (among is None or among in r["methods"])
        ]

    print(
        f"\n{first['workload']}: {len(records)} seeds (from {records[0]['seed']}), {first['trials']} trials, "
        f"{first['steps']} epochs a trial (true score: mean over repeats of the answer's test score after full "
        "training; mean +- sd over seeds; epochs as a share of the unpruned hpmagic search's on the same seeds)"
    )
    print(f"{'method':<44} {'n':>3} {'epochs':>7} {'share':>7} {'pruned':>7} {'wall s':>7}  {'true score':>16}")
    score, share = {}, {}
    for label in labels:
        score[label], sd = bench.mean_sd(of(label, "score"))
        base = sum(of(UNPRUNED, "resource", among=label)) or float("nan")
        share[label] = sum(of(label, "resource", among=UNPRUNED)) / base
        print(
            f"{label:<44} {len(of(label, 'score')):3} {statistics.fmean(of(label, 'resource')):7.0f} "
            f"{100 * share[label]:6.1f}% {statistics.fmean(of(label, 'pruned')):7.1f} "
            f"{statistics.fmean(of(label, 'seconds')):7.1f}  {score[label]:.4f} +- {sd:.4f}"
        )
    return verdicts(f"{first['workload']} n={first['trials']}", score, share)


def verdicts(where: str, score: dict[str, float], share: dict[str, float]) -> list[str]:
    if DEFAULT not in score or UNPRUNED not in score:
        return []
    ours, unpruned = score[DEFAULT], score[UNPRUNED]
    gap = (ours - unpruned) / unpruned
    lines = [
        f"{'PASS' if gap >= -MAX_LOSS else 'FAIL'} {where}: --prune true score {ours:.4f} against "
        f"{unpruned:.4f} unpruned ({100 * gap:+.2f}%, target >= {-100 * MAX_LOSS:.1f}%), "
        f"{100 * share[DEFAULT]:.1f}% of the epochs"
    ]
    pruners = [label for label in score if label.startswith("optuna TPE + ")]
    if pruners:
        best = max(pruners, key=lambda label: (score[label], -share[label]))
        ok = share[DEFAULT] <= share[best] and ours >= score[best]
        lines.append(
            f"{'PASS' if ok else 'FAIL'} {where}: --prune ran {100 * share[DEFAULT]:.1f}% for {ours:.4f}; "
            f"Optuna's best pruner ({best.removeprefix('optuna TPE + ')}) {100 * share[best]:.1f}% for "
            f"{score[best]:.4f} (target: no more epochs, no lower true score)"
        )
    return lines


def tables(records: list[dict[str, Any]]) -> None:
    """The tables and verdicts of every workload and budget in ``records`` (a seed logged twice counts once)."""
    by: dict[tuple[str, int], dict[int, dict[str, Any]]] = {}
    for r in records:
        kept = by.setdefault((r["workload"], r["trials"]), {}).setdefault(r["seed"], {**r, "methods": {}})
        kept["methods"].update(r["methods"])  # a probe's methods join the seed's record
    lines: list[str] = []
    for _, seeds in sorted(by.items(), key=lambda kv: (_order(kv[0][0]), kv[0][1])):
        lines += report([seeds[s] for s in sorted(seeds)])
    print()
    print("\n".join(lines))


def _order(name: str) -> int:
    names = [n for s in SETS.values() for n in s]
    return names.index(name) if name in names else len(names)


def main() -> None:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.curves", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--set", choices=["dev", "confirm", "all"], default="dev", help="which workloads (default dev)")
    parser.add_argument("--workloads", help="comma-separated workload names instead of a set")
    parser.add_argument("--trials", help="comma-separated budgets for every workload (default: each workload's own)")
    parser.add_argument("--seeds", type=int, default=10, help="searches per method (default 10)")
    parser.add_argument("--first-seed", type=int, default=0, help="the first seed (to add seeds to a --log)")
    parser.add_argument("--methods", help="';'-separated method labels (default: all of them)")
    parser.add_argument("--log", type=Path, help="append each seed's figures to this JSON-lines file as they come")
    parser.add_argument("--tables", type=Path, nargs="+", metavar="LOG", help="print the tables of logs and stop")
    args = parser.parse_args()
    if args.tables:
        tables([json.loads(line) for p in args.tables for line in p.read_text().splitlines() if line.strip()])
        return
    every = {k: v for s in SETS.values() for k, v in s.items()}
    chosen = (
        args.workloads.split(",")
        if args.workloads
        else [k for s, ws in SETS.items() if args.set in (s, "all") for k in ws]
    )
    unknown = [k for k in chosen if k not in every]
    if unknown:
        parser.error(f"unknown workload(s) {', '.join(unknown)}; choose from {', '.join(every)}")
    labels = args.methods.split(";") if args.methods else list(METHODS)
    for label in labels:
        method(label)
    warnings.filterwarnings("ignore")
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    logging.getLogger("optuna").setLevel(logging.WARNING)
    start, records = time.perf_counter(), []
    for key in chosen:
        budgets = [int(t) for t in args.trials.split(",")] if args.trials else [every[key]]
        for trials in budgets:
            for seed in range(args.first_seed, args.first_seed + args.seeds):
                records.append(bench_seed(key, seed, trials, labels))
                if args.log:
                    with args.log.open("a") as f:
                        f.write(json.dumps(records[-1]) + "\n")
                print(
                    f"{key} n={trials} seed {seed} done ({time.perf_counter() - start:.0f} s)",
                    file=sys.stderr,
                    flush=True,
                )
    tables(records)
    print(
        f"\npython -m benchmarks.curves {' '.join(sys.argv[1:])}: {time.perf_counter() - start:.0f} s, "
        f"hpmagic {hpmagic.__version__}, optuna {optuna.__version__}"
    )


if __name__ == "__main__":
    main()
