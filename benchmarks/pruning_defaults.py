"""Which default pruning combination meets the targets: a probe behind docs/design/pruning.md, "Defaults, measured".

Runs the cells of ``benchmarks/pruning_workloads.py`` through ``hpmagic.tune`` for each
``strategy|rule`` combination (``auto``/``tpe``/``gp``; ``none``, ``default`` for ``--prune``
alone, or a rule spec such as ``asha:eta=4``) and appends one JSON line per search to LOG
(resource run, trials pruned, true score of the answer as in ``benchmarks/pruning.py``).
``--summary LOG...`` prints each combination's share of the unpruned ``auto`` run's resource
on the same seeds and its mean true score against it.  ``--oracle`` prints, for the SVC
cross-validation, the share of folds an oracle would run (see the design notes).

    python -m benchmarks.pruning_defaults mlp,sgd 0,1,2 30 "auto|none;tpe|default;tpe|asha:eta=4" probe.jsonl
    python -m benchmarks.pruning_defaults --summary probe.jsonl
    python -m benchmarks.pruning_defaults --oracle
"""

from __future__ import annotations

import json
import statistics
import sys
import warnings
from collections import defaultdict
from pathlib import Path

import hpmagic  # noqa: E402
from hpmagic.core import TrialState  # noqa: E402

from . import pruning as bench
from .pruning_workloads import workloads


def search(key: str, strategy: str, spec: str, trials: int, seed: int) -> dict:
    """One search of workload ``key``, as a record."""
    w = workloads()[key] if key not in _CACHE else _CACHE[key]
    _CACHE[key] = w
    prune = None if spec == "none" else (True if spec == "default" else spec)
    extra = {} if strategy == "auto" else {"strategy": strategy}
    result = hpmagic.tune(
        w.cell,
        dict(w.namespace()),
        trials=trials,
        maximize=True,
        seed=seed,
        prune=prune,
        quiet=True,
        baseline=False,
        apply=False,
        **extra,
    )
    run = bench.Run(
        [
            (len(t.curve), t.value if t.state is TrialState.COMPLETE else None, dict(t.params))
            for t in sorted(result.trials, key=lambda t: t.number)
        ],
        0.0,
    )
    return {
        "w": key,
        "seed": seed,
        "trials": trials,
        "strategy": strategy,
        "spec": spec,
        "resource": run.resource,
        "pruned": run.pruned,
        "score": bench.score(w, bench.Run.best(run.trials)),
    }


_CACHE: dict = {}


def summary(paths: list[str]) -> None:
    """Each combination against the unpruned ``auto`` run on the same seeds."""
    records = [json.loads(line) for p in paths for line in Path(p).read_text().splitlines() if line.strip()]
    by, base = defaultdict(list), defaultdict(dict)
    for r in records:
        by[(r["w"], r["strategy"], r["spec"])].append(r)
        if r["strategy"] == "auto" and r["spec"] == "none":
            base[r["w"]][r["seed"]] = r
    for (w, strategy, spec), rs in sorted(by.items()):
        pairs = [(r, base[w][r["seed"]]) for r in rs if r["seed"] in base[w]]
        if not pairs:
            continue
        share = sum(r["resource"] for r, _ in pairs) / sum(b["resource"] for _, b in pairs)
        ours, theirs = (statistics.fmean(x["score"] for x in side) for side in zip(*pairs))
        print(
            f"{w:6} {strategy:5} {spec:26} n={len(pairs):2} share {100 * share:5.1f}%  true score {ours:.4f} "
            f"against {theirs:.4f} ({100 * (ours - theirs) / theirs:+.2f}%)"
        )


def oracle(seeds: int = 5, trials: int = 30) -> None:
    """Folds an oracle runs on the SVC CV: one for a trial whose final mean ends more than
    ``margin`` below the best complete trial so far, all five otherwise."""
    w = workloads()["svc"]
    for strategy in ("gp", "tpe"):
        shares: dict[float, list[float]] = {0.0: [], 0.01: [], 0.02: []}
        for seed in range(seeds):
            result = hpmagic.tune(
                w.cell,
                dict(w.namespace()),
                trials=trials,
                maximize=True,
                seed=seed,
                quiet=True,
                baseline=False,
                apply=False,
                strategy=strategy,
            )
            values = [t.value for t in sorted(result.trials, key=lambda t: t.number)]
            for margin, out in shares.items():
                best, cost = None, 0
                for v in values:
                    if best is not None and v < best - margin - 1e-12:
                        cost += 1
                    else:
                        cost, best = cost + 5, v if best is None else max(best, v)
                out.append(cost / (5 * len(values)))
        print(strategy, ", ".join(f"margin {m}: {100 * statistics.fmean(s):.1f}%" for m, s in shares.items()))


def main() -> None:
    warnings.filterwarnings("ignore")
    args = sys.argv[1:]
    if args and args[0] == "--summary":
        return summary(args[1:])
    if args and args[0] == "--oracle":
        return oracle()
    keys, seeds, trials, combos, log = args
    with open(log, "a") as f:
        for seed in (int(s) for s in seeds.split(",")):
            for key in keys.split(","):
                for combo in combos.split(";"):
                    strategy, spec = combo.split("|")
                    record = search(key, strategy, spec, int(trials), seed)
                    f.write(json.dumps(record) + "\n")
                    f.flush()
                    print(record, flush=True)


if __name__ == "__main__":
    main()
