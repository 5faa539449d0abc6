"""Stored studies read back: :func:`load_study` and :func:`list_studies`.

A study is the trials of one search stored under a name (in an SQLite file by default: see
:mod:`hpmagic.storage`).  This module is a thin facade over the study store's read API
(:meth:`~hpmagic.protocols.StudyStore.read_study` and
:meth:`~hpmagic.protocols.StudyStore.summaries`, on whatever store
:func:`~hpmagic.storage.open_storage` opens): it turns what the store read into a
:class:`~hpmagic.TuneResult` or a DataFrame.  Reading never writes: the file is opened
read-only, and a trial that a crashed process left "running" shows as interrupted (it is
marked so in the file when the study next resumes).
"""

from __future__ import annotations

import difflib
import os
from typing import TYPE_CHECKING

from .core import TrialState
from .errors import StorageError
from .result import TuneResult
from .storage import DEFAULT_STORAGE, open_storage

if TYPE_CHECKING:
    import pandas as pd

    from .storage.records import StoredStudy

__all__ = ["load_study", "list_studies", "result_of"]


def load_study(name: str, storage: str | os.PathLike = DEFAULT_STORAGE) -> TuneResult:
    """Read a study back from its file, as the result ``%%tune`` returned.

    The file is opened read-only and never changed; its contents are JSON and text, so
    loading a file from someone else cannot run code.

    Parameters
    ----------
    name
        The study's name, as given to ``--study`` (or an archive's, ``svm@2026-12-01T20:15:03``).
    storage
        Where the studies are, as ``--storage`` named it: an SQLite file's path (``hpmagic.sqlite``
        in the working directory by default) or a URL (``sqlite:///studies.sqlite``,
        ``postgresql://user:password@host/db``).

    Returns
    -------
    TuneResult
        The study's trials, shown and plotted like the result of a search.

    Raises
    ------
    StorageError
        The file or the study cannot be read; the message says why and what to do.
    """
    store = open_storage(storage, name, readonly=True)
    try:
        stored = store.read_study()
        if stored is None:
            raise StorageError(_unknown_study(name, store.study_names(), store.location))
    finally:
        store.close()
    return result_of(stored)


def result_of(stored: StoredStudy) -> TuneResult:
    """A study read back (:meth:`~hpmagic.protocols.StudyStore.read_study`) as a result."""
    record = stored.record
    return TuneResult(
        trials=stored.trials,
        space=record.space,
        direction=record.direction,
        metric=record.metric,
        strategy=record.strategy,
        strategy_reason=record.strategy_reason,
        seed=record.seed,
        elapsed=stored.elapsed,
        stop_reason=stored.stop_reason,
        budget=record.budget,
        notes=record.notes,
        study=record.name,
        has_baseline=record.baseline,
        goal=record.goal,
        code=next((s.code for s in reversed(stored.sessions) if s.code), ""),  # the last run's, for a saved report
    )


def _unknown_study(name: str, names: list[str], where: str) -> str:
    if not names:
        return f"there is no study {name!r} in {where!r}: the file holds no studies yet"
    lowered = {n.lower(): n for n in names}
    close = difflib.get_close_matches(name.lower(), list(lowered), n=1)
    hint = f" (did you mean {lowered[close[0]]!r}?)" if close else ""
    return f"there is no study {name!r} in {where!r}{hint}; it holds: {', '.join(names)}"


def list_studies(storage: str | os.PathLike = DEFAULT_STORAGE) -> pd.DataFrame:
    """List the studies in a file, one row per study (oldest first).

    Parameters
    ----------
    storage
        Where the studies are, as ``--storage`` named it: an SQLite file's path (``hpmagic.sqlite``
        in the working directory by default) or a URL (``sqlite:///studies.sqlite``,
        ``postgresql://user:password@host/db``).

    Returns
    -------
    pandas.DataFrame
        Per study: trial counts by state, the budget (``-n``), the best value, the direction,
        metric and strategy, and when it was created and last updated (UTC, to the second).

    Raises
    ------
    StorageError
        The file cannot be read as a study file.
    """
    import pandas as pd

    store = open_storage(storage, None, readonly=True)
    try:
        summaries = store.summaries()
    finally:
        store.close()
    rows = [
        {
            "study": s.name,
            "trials": s.trials,
            **{state.value: s.counts.get(state.value, 0) for state in TrialState},
            "budget": s.budget,
            "best": s.best,
            "direction": s.direction.value,
            "metric": s.metric,
            "strategy": s.strategy,
            "created": pd.Timestamp(s.created, unit="s").round("s"),  # to the second: no nanosecond noise
            "updated": pd.Timestamp(s.updated, unit="s").round("s"),
        }
        for s in summaries
    ]
    columns = [
        "study",
        "trials",
        *(s.value for s in TrialState),
        "budget",
        "best",
        "direction",
        "metric",
        "strategy",
        "created",
        "updated",
    ]
    return pd.DataFrame(rows, columns=columns).set_index("study")
