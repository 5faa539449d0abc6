"""Per-trial cost of persisting a study: hpmagic's SQLite store vs its in-memory one vs Optuna's
SQLite (RDB) storage, measured in one run.

Two measurements, both over the same number of trials (1,000 by default):

1. whole searches with a trivial objective and random sampling, so the time per trial is
   the framework plus its storage: hpmagic in memory, hpmagic with ``--study`` (SQLite),
   Optuna in memory, Optuna with ``storage="sqlite:///..."``;
2. the store alone: hpmagic's ``reserve`` + ``put`` (start) + ``put`` (end) per trial, in
   memory and in SQLite.

Every SQLite file is fresh, in a temporary directory on the same disk.

    python benchmarks/storage.py              # 1,000 trials
    python benchmarks/storage.py --trials 300
"""

from __future__ import annotations

import argparse
import logging
import tempfile
import time
import warnings
from pathlib import Path

from _common import CELL  # benchmarks/ is on sys.path when run as a script


def hpmagic_search(trials: int, storage: Path | None) -> float:
    import hpmagic

    options = {"study": "bench", "storage": str(storage)} if storage else {}
    start = time.perf_counter()
    hpmagic.tune(CELL, {}, trials=trials, strategy="random", seed=0, quiet=True, apply=False, **options)
    return time.perf_counter() - start


def optuna_search(trials: int, storage: Path | None) -> float:
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)

    def objective(trial):
        x = trial.suggest_float("x", -5, 5)
        lr = trial.suggest_float("lr", 1e-5, 1, log=True)
        depth = trial.suggest_int("depth", 1, 10)
        kind = trial.suggest_categorical("kind", ["a", "b", "c"])
        return (x - 1) ** 2 + (lr - 0.01) ** 2 + depth * 0.1 + (kind == "b")

    start = time.perf_counter()
    study = optuna.create_study(
        storage=f"sqlite:///{storage}" if storage else None,
        study_name="bench",
        sampler=optuna.samplers.RandomSampler(seed=0),
    )
    study.optimize(objective, n_trials=trials)
    return time.perf_counter() - start


def store_only(trials: int, storage: Path | None) -> float:
    from hpmagic.cell.parser import parse_cell
    from hpmagic.result import Trial, TrialState
    from hpmagic.storage.memory import MemoryStore
    from hpmagic.storage.sqlite import SQLiteStore

    space = parse_cell(CELL).space
    if storage is None:
        store = MemoryStore()
    else:
        store = SQLiteStore(storage, "bench")
        store.begin(space=space, direction="minimize", metric="objective", baseline=True, seed=0, budget=trials,
                    strategy="random")
    params = space.defaults()
    start = time.perf_counter()
    for _ in range(trials):
        number = store.reserve(trials)
        trial = Trial(number=number, params=params, started=time.time())
        store.put(trial)
        store.put(trial.finish(state=TrialState.COMPLETE, value=1.0, duration=0.001))
    elapsed = time.perf_counter() - start
    store.close()
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--trials", type=int, default=1000)
    args = parser.parse_args()
    logging.getLogger("optuna").setLevel(logging.WARNING)
    warnings.filterwarnings("ignore")
    n = args.trials

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        rows = [
            ("hpmagic, in memory", hpmagic_search(n, None)),
            ("hpmagic, SQLite study", hpmagic_search(n, tmp / "hpmagic.sqlite")),
            ("optuna, in memory", optuna_search(n, None)),
            ("optuna, SQLite (RDB) storage", optuna_search(n, tmp / "optuna.sqlite")),
            ("hpmagic store alone, in memory", store_only(n, None)),
            ("hpmagic store alone, SQLite", store_only(n, tmp / "store.sqlite")),
        ]
    per = {name: seconds / n * 1e3 for name, seconds in rows}
    print(f"{n} trials; milliseconds per trial (trivial objective, random sampling)")
    for name, ms in per.items():
        print(f"  {name:<34} {ms:8.3f} ms")
    ours = per["hpmagic, SQLite study"] - per["hpmagic, in memory"]
    theirs = per["optuna, SQLite (RDB) storage"] - per["optuna, in memory"]
    print(f"cost of persistence per trial: hpmagic {ours:.3f} ms, optuna {theirs:.3f} ms")
    verdict = "below" if per["hpmagic, SQLite study"] < per["optuna, SQLite (RDB) storage"] else "NOT below"
    print(f"hpmagic with a SQLite study is {verdict} Optuna's SQLite storage per trial "
          f"({per['hpmagic, SQLite study']:.3f} vs {per['optuna, SQLite (RDB) storage']:.3f} ms)")


if __name__ == "__main__":
    main()
