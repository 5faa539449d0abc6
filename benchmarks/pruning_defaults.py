"""Probe: share of unpruned resource and true score for (strategy, prune) combinations."""
import json, sys, os, statistics, warnings
sys.path.insert(0, "/work/wt-prunetarget/benchmarks")
warnings.filterwarnings("ignore")
import pruning as B
from _pruning_workloads import workloads
import hpmagic
from hpmagic.core import TrialState
import time

def run(w, strategy, spec, trials, seed):
    start = time.perf_counter()
    kw = {} if strategy == "auto" else {"strategy": strategy}
    r = hpmagic.tune(w.cell, dict(w.namespace()), trials=trials, maximize=True, seed=seed, prune=spec,
                     quiet=True, baseline=False, apply=False, **kw)
    out = [(len(t.curve), t.value if t.state is TrialState.COMPLETE else None, dict(t.params))
           for t in sorted(r.trials, key=lambda t: t.number)]
    return B.Run(out, time.perf_counter() - start)

wl = sys.argv[1].split(","); seeds = [int(s) for s in sys.argv[2].split(",")]; trials = int(sys.argv[3])
combos = [c.split("|") for c in sys.argv[4].split(";")]  # strategy|spec
log = open(sys.argv[5], "a")
every = workloads()
for seed in seeds:
    for k in wl:
        w = every[k]
        for strat, spec in combos:
            sp = None if spec == "none" else (True if spec == "default" else spec)
            r = run(w, strat, sp, trials, seed)
            rec = {"w": k, "seed": seed, "trials": trials, "strategy": strat, "spec": spec, "resource": r.resource,
                   "pruned": r.pruned, "score": B.score(w, B.Run.best(r.trials)), "s": r.seconds}
            log.write(json.dumps(rec) + "\n"); log.flush()
            print(rec, flush=True)
