"""Stored studies: reading them back (``load_study``, ``list_studies``) and telling what changed.

A study is the trials of one search stored under a name in an SQLite file (see
:mod:`hpmagic.storage`).  Reading never writes: ``load_study`` opens the file read-only,
and a trial that a crashed process left "running" is shown as interrupted (it is marked so
in the file when the study next resumes).
"""

from __future__ import annotations

import difflib
import os
from typing import Any

from .result import Trial, TrialState, TuneResult
from .storage import (
    _CRASHED,
    _TOLD,
    DEFAULT_STORAGE,
    SQLiteStore,
    StorageError,
    StudyRecord,
    _alive,
)

__all__ = ["load_study", "list_studies", "describe_changes"]


def describe_changes(record: StudyRecord, *, space, direction: str, metric: str) -> list[str]:
    """What differs between a stored study and a cell, one phrase per change (empty: the same)."""
    changes = []
    if direction != record.direction:
        changes.append(f"the direction was --{record.direction}, the cell now asks to --{direction}")
    if metric != record.metric:
        changes.append(f"the objective was {record.metric!r}, the cell now uses {metric!r} (--metric)")
    old = {p.name: p for p in record.space}
    new = {p.name: p for p in space}
    for name in old:
        if name not in new:
            changes.append(f"parameter {name!r} ({old[name].describe()}) is no longer tuned")
    for name in new:
        if name not in old:
            changes.append(f"parameter {name!r} ({new[name].describe()}) is new")
            continue
        a, b = old[name], new[name]
        if a.distribution.to_json() != b.distribution.to_json():
            changes.append(f"{name} was {a.distribution.describe()}, now {b.distribution.describe()}")
        ca = a.condition.to_json()["tree"] if a.condition else None
        cb = b.condition.to_json()["tree"] if b.condition else None
        if ca != cb:
            was = f"if {a.condition.text}" if a.condition else "unconditional"
            now = f"if {b.condition.text}" if b.condition else "unconditional"
            changes.append(f"the condition of {name} was {was!r}, now {now!r}")
        if not _same_default(a.default, b.default):
            changes.append(f"the default of {name} was {a.default!r}, now {b.default!r} (trial 0 ran the old one)")
    return changes


def _same_default(a: Any, b: Any) -> bool:
    return type(a) is type(b) and a == b


def load_study(name: str, storage: str | os.PathLike = DEFAULT_STORAGE) -> TuneResult:
    """Read study ``name`` back from ``storage`` as a :class:`~hpmagic.TuneResult`.

    The result shows and plots like the one ``%%tune`` returned.  The file is opened
    read-only and never changed; its contents are JSON and text, so loading a file from
    someone else cannot run code.  Raises :class:`~hpmagic.storage.StorageError` when the
    file or the study cannot be read (the message says why and what to do).
    """
    store = SQLiteStore(storage, name, readonly=True)
    try:
        record = store.study()
        if record is None:
            raise StorageError(_unknown_study(name, store.study_names(), store.path))
        trials = store.trials()
        sessions = store.sessions()
    finally:
        store.close()
    by_id = {s["id"]: s for s in sessions}
    live_running = False
    shown: list[Trial] = []
    for t in trials:
        if t.state is TrialState.RUNNING:
            session = by_id.get(store.session_of(t.number))
            if session is not None and session["ended"] is None and _alive(session["host"], session["pid"], session["process"]):
                live_running = True
            else:
                t = t.finish(state=TrialState.INTERRUPTED, error=_CRASHED.replace("when the study resumed", "on loading"))
        shown.append(t)
    counted = sum(1 for t in shown if t.state in _TOLD or t.state is TrialState.RUNNING)
    if counted >= record.budget and not live_running:
        stop = "budget"
    elif live_running:
        stop = "running"
    else:
        last = sessions[-1]["stop_reason"] if sessions else None
        stop = "interrupted" if last in (None, "crashed", "budget") else last
    return TuneResult(
        trials=tuple(shown),
        space=record.space,
        direction=record.direction,
        metric=record.metric,
        strategy=record.strategy,
        strategy_reason=record.strategy_reason,
        seed=record.seed,
        elapsed=_elapsed(sessions, shown),
        stop_reason=stop,
        budget=record.budget,
        notes=record.notes,
        study=record.name,
        has_baseline=record.baseline,
    )


def _elapsed(sessions: list[dict[str, Any]], trials: list[Trial]) -> float:
    """Wall time of the study's runs: each session from its start to its end (or its last trial)."""
    ends = [t.started + t.duration for t in trials if t.started]
    total = 0.0
    for s in sessions:
        end = s["ended"] or max((e for e in ends if e >= s["started"]), default=s["started"])
        total += max(end - s["started"], 0.0)
    return total


def _unknown_study(name: str, names: list[str], path) -> str:
    if not names:
        return f"there is no study {name!r} in {str(path)!r}: the file holds no studies yet"
    lowered = {n.lower(): n for n in names}
    close = difflib.get_close_matches(name.lower(), list(lowered), n=1)
    hint = f" (did you mean {lowered[close[0]]!r}?)" if close else ""
    return f"there is no study {name!r} in {str(path)!r}{hint}; it holds: {', '.join(names)}"


def list_studies(storage: str | os.PathLike = DEFAULT_STORAGE):
    """The studies in ``storage`` as a pandas DataFrame, one row per study (oldest first):
    trial counts by state, the budget (``-n``), the best value, direction, metric, strategy,
    and when it was created and last updated."""
    import pandas as pd

    store = SQLiteStore(storage, "-", readonly=True)
    rows = []
    try:
        conn = store._conn
        studies = conn.execute(
            "SELECT id, name, direction, metric, budget, strategy, created, updated FROM studies ORDER BY created"
        ).fetchall()
        for sid, name, direction, metric, budget, strategy, created, updated in studies:
            counts = dict(
                conn.execute(
                    "SELECT state, count(*) FROM trials WHERE study_id = ? AND state != 'released' GROUP BY state", (sid,)
                ).fetchall()
            )
            agg = "max" if direction == "maximize" else "min"
            best = conn.execute(
                f"SELECT {agg}(value) FROM trials WHERE study_id = ? AND state = 'complete'", (sid,)
            ).fetchone()[0]
            rows.append({
                "study": name,
                "trials": sum(counts.values()),
                **{state.value: counts.get(state.value, 0) for state in TrialState},
                "budget": budget,
                "best": best,
                "direction": direction,
                "metric": metric,
                "strategy": strategy,
                "created": pd.Timestamp(created, unit="s"),
                "updated": pd.Timestamp(updated, unit="s"),
            })
    finally:
        store.close()
    columns = ["study", "trials", *(s.value for s in TrialState), "budget", "best", "direction", "metric",
               "strategy", "created", "updated"]
    return pd.DataFrame(rows, columns=columns).set_index("study")
