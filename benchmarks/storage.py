"""Per-trial cost of persisting a study: hpmagic's SQLite and PostgreSQL stores vs its in-memory
one vs Optuna's RDB storage on SQLite and on the same PostgreSQL server, measured in one run.

Two measurements, both over the same number of trials (1,000 by default), each the median of
``--repeats`` runs (3 by default), every run on a fresh SQLite file or a fresh database:

1. whole searches with a trivial objective and random sampling, so the time per trial is
   the framework plus its storage: hpmagic in memory, with ``--study`` in SQLite and in
   PostgreSQL; Optuna in memory, with ``storage="sqlite:///..."`` and with
   ``storage="postgresql+psycopg://..."`` (SQLAlchemy, on the same server);
2. the store alone: hpmagic's ``reserve`` + ``put`` (start) + ``put`` (end) per trial, in
   memory, in SQLite and in PostgreSQL.

PostgreSQL: ``--postgres URL`` names a server (its user must be allowed to create
databases: each run gets one, dropped at the end); without it the benchmark starts a
throwaway server of its own (Debian's ``postgresql`` package, as the tests do:
``tests/pgserver.py``).  Where no server can be had, or Optuna cannot reach it, the output
says so and the other rows are still measured.

    python -m benchmarks.storage                        # 1,000 trials, 3 repeats
    python -m benchmarks.storage --trials 300 --repeats 5
    python -m benchmarks.storage --postgres postgresql://me:pw@db:5432/postgres
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import logging
import statistics
import tempfile
import time
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path

from .trivial_cell import CELL

_ids = itertools.count()


def hpmagic_search(trials: int, storage: str | None) -> float:
    import hpmagic

    options = {"study": "bench", "storage": storage} if storage else {}
    start = time.perf_counter()
    hpmagic.tune(CELL, {}, trials=trials, strategy="random", seed=0, quiet=True, apply=False, **options)
    return time.perf_counter() - start


def optuna_search(trials: int, storage: str | None) -> float:
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)

    def objective(trial):
        x = trial.suggest_float("x", -5, 5)
        lr = trial.suggest_float("lr", 1e-5, 1, log=True)
        depth = trial.suggest_int("depth", 1, 10)
        kind = trial.suggest_categorical("kind", ["a", "b", "c"])
        return (x - 1) ** 2 + (lr - 0.01) ** 2 + depth * 0.1 + (kind == "b")

    start = time.perf_counter()
    study = optuna.create_study(storage=storage, study_name="bench", sampler=optuna.samplers.RandomSampler(seed=0))
    study.optimize(objective, n_trials=trials)
    return time.perf_counter() - start


def store_only(trials: int, storage: str | None) -> float:
    from hpmagic.cell.parser import parse_cell
    from hpmagic.result import Trial, TrialState
    from hpmagic.storage import open_storage
    from hpmagic.storage.memory import MemoryStore

    space = parse_cell(CELL).space
    if storage is None:
        store = MemoryStore()
    else:
        store = open_storage(storage, "bench")
        store.begin(
            space=space,
            direction="minimize",
            metric="objective",
            baseline=True,
            seed=0,
            budget=trials,
            strategy="random",
        )
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


class Postgres:
    """Fresh databases on one server: ``fresh(scheme)`` makes one and returns its URL."""

    def __init__(self, url: str) -> None:
        import psycopg.conninfo

        self.parts = psycopg.conninfo.conninfo_to_dict(url)
        self.url = url
        self.made: list[str] = []

    def fresh(self, scheme: str = "postgresql") -> str:
        import psycopg

        name = f"bench_{next(_ids)}_{int(time.time())}"
        with psycopg.connect(self.url, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        self.made.append(name)
        p = self.parts
        auth = f"{p.get('user', '')}:{p['password']}@" if p.get("password") else f"{p.get('user', '')}@"
        return f"{scheme}://{auth}{p.get('host', 'localhost')}:{p.get('port', 5432)}/{name}"

    def drop(self) -> None:
        import psycopg

        with psycopg.connect(self.url, autocommit=True) as conn:
            for name in self.made:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextlib.contextmanager
def postgres(url: str | None) -> Iterator[Postgres | str]:
    """The server to measure on, or the reason there is none."""
    if url is not None:
        server = Postgres(url)
        try:
            yield server
        finally:
            server.drop()
        return
    from tests.pgserver import Unavailable, temporary_server

    try:
        with temporary_server() as started:
            yield Postgres(started.url("postgres"))
    except Unavailable as exc:
        yield f"no PostgreSQL server ({exc}); pass --postgres URL"


def median(repeats: int, run: Callable[[], float]) -> float | str:
    """The median of ``repeats`` runs, or why the runs failed."""
    try:
        return statistics.median(run() for _ in range(repeats))
    except Exception as exc:  # noqa: BLE001 - a backend that cannot be reached is reported, not fatal
        return f"failed: {type(exc).__name__}: {' '.join(str(exc).split())[:160]}"


def measure(n: int, repeats: int, tmp: Path, pg: Postgres | str) -> dict[str, float | str]:
    """Every row: its median seconds for ``n`` trials, or why it could not be measured."""

    def sqlite() -> str:
        return str(tmp / f"s{next(_ids)}.sqlite")

    def on_pg(run: Callable[[int, str | None], float], scheme: str = "postgresql") -> Callable[[], float]:
        assert isinstance(pg, Postgres)
        return lambda: run(n, pg.fresh(scheme))

    rows: dict[str, Callable[[], float] | None] = {
        "hpmagic, in memory": lambda: hpmagic_search(n, None),
        "hpmagic, SQLite study": lambda: hpmagic_search(n, sqlite()),
        "hpmagic, PostgreSQL study": on_pg(hpmagic_search) if isinstance(pg, Postgres) else None,
        "optuna, in memory": lambda: optuna_search(n, None),
        "optuna, SQLite (RDB) storage": lambda: optuna_search(n, f"sqlite:///{sqlite()}"),
        "optuna, PostgreSQL (RDB) storage": (
            on_pg(optuna_search, "postgresql+psycopg") if isinstance(pg, Postgres) else None
        ),
        "hpmagic store alone, in memory": lambda: store_only(n, None),
        "hpmagic store alone, SQLite": lambda: store_only(n, sqlite()),
        "hpmagic store alone, PostgreSQL": on_pg(store_only) if isinstance(pg, Postgres) else None,
    }
    return {name: median(repeats, run) if run is not None else str(pg) for name, run in rows.items()}


def main() -> None:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.storage", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--trials", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--postgres", metavar="URL", help="a server to measure on (default: start a throwaway one)")
    args = parser.parse_args()
    logging.getLogger("optuna").setLevel(logging.WARNING)
    warnings.filterwarnings("ignore")
    n = args.trials

    hpmagic_search(5, None), optuna_search(5, None)  # imports and first calls are not the storage's cost
    with tempfile.TemporaryDirectory() as tmp, postgres(args.postgres) as pg:
        seconds = measure(n, args.repeats, Path(tmp), pg)
    per = {name: s / n * 1e3 if isinstance(s, float) else s for name, s in seconds.items()}
    print(f"{n} trials; milliseconds per trial, median of {args.repeats} runs (trivial objective, random sampling)")
    for name, ms in per.items():
        print(f"  {name:<34} {ms:8.3f} ms" if isinstance(ms, float) else f"  {name:<34} {ms}")
    for backend in ("SQLite", "PostgreSQL"):
        ours, theirs = per[f"hpmagic, {backend} study"], per[f"optuna, {backend} (RDB) storage"]
        if not (isinstance(ours, float) and isinstance(theirs, float)):
            print(f"{backend}: not compared (a row above could not be measured)")
            continue
        base_ours, base_theirs = per["hpmagic, in memory"], per["optuna, in memory"]
        assert isinstance(base_ours, float) and isinstance(base_theirs, float)
        verdict = "below" if ours < theirs else "NOT below"
        print(
            f"{backend}: cost of persistence per trial hpmagic {ours - base_ours:.3f} ms, optuna "
            f"{theirs - base_theirs:.3f} ms; hpmagic is {verdict} Optuna per trial ({ours:.3f} vs {theirs:.3f} ms)"
        )


if __name__ == "__main__":
    main()
