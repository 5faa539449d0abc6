"""``--study``: opening a study for a search, resuming it, and what the summary says about it.

:func:`begin_study` opens the study file (checked before anything is written), creates the
study or resumes it (a cell that no longer matches it is refused with
:class:`~hpmagic.errors.StudyMismatchError`), and returns what the search needs: the store,
the seeds, the notes for the summary, or, when the study already holds its ``-n`` trials,
the stored result.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .core import StopReason
from .storage.file import DEFAULT_STORAGE
from .storage.sqlite import SQLiteStore

if TYPE_CHECKING:
    from .options import TuneOptions
    from .result import TuneResult
    from .space import SearchSpace

__all__ = ["StudyStart", "begin_study"]


@dataclass(frozen=True)
class StudyStart:
    """A study opened for a search."""

    store: SQLiteStore
    seed: int  # the study's seed (shown in the summary)
    strategy_seed: int  # this run's sampling seed, derived from the study's
    baseline: bool  # whether the study runs the defaults as trial 0 (fixed when it was created)
    notes: tuple[str, ...] = ()
    complete: TuneResult | None = None  # the stored result, when nothing is left to run


def begin_study(opts: TuneOptions, space: SearchSpace, seed: int, budget: int, strategy: Any) -> StudyStart:
    """Create or resume study ``opts.study`` for a search of ``budget`` trials."""
    assert opts.study is not None
    store = SQLiteStore(opts.storage if opts.storage is not None else DEFAULT_STORAGE, opts.study)
    try:
        resume = store.begin(
            space=space,
            direction=opts.direction,
            metric=opts.metric or "objective",
            baseline=opts.baseline,
            seed=seed,
            budget=budget,
            strategy=strategy if isinstance(strategy, str) else getattr(strategy, "name", "custom"),
            overwrite=opts.overwrite,
            explicit_seed=opts.seed is not None,
        )
    except BaseException:
        store.close()
        raise
    study = resume.study
    study_seed = study.seed if study.seed is not None else seed
    if resume.complete:
        store.close()
        return StudyStart(store, study_seed, resume.strategy_seed, study.baseline,
                          complete=_complete(store, resume.counted, budget, opts.study))
    return StudyStart(store, study_seed, resume.strategy_seed, study.baseline, notes=_notes(store, resume, opts))


def _notes(store: SQLiteStore, resume: Any, opts: TuneOptions) -> tuple[str, ...]:
    where = f"study {opts.study!r} in {str(store.path)!r}"
    if resume.created:
        return (f"{where}: every trial is saved; run the cell again to resume it",)
    text = f"{where}: resumed with {resume.counted} stored trials"
    if resume.interrupted:
        text += f" ({resume.interrupted} left running by a crashed process were marked interrupted and run again)"
    text += f"; this is run {resume.session} of the study, its sampling seed derived from the study seed"
    notes = [text]
    if resume.study.baseline != opts.baseline:
        notes.append(f"the study was created {'with' if resume.study.baseline else 'without'} a baseline trial; that stays")
    return tuple(notes)


def _complete(store: SQLiteStore, counted: int, budget: int, name: str) -> TuneResult:
    """The study already holds its -n trials: its stored result, with a note saying how to go on."""
    from .studies import load_study

    result = load_study(name, store.path)
    message = (
        f"study {name!r} in {str(store.path)!r} is complete: it holds {counted} trials and "
        f"-n asks for {budget}, so nothing ran. To run more, raise -n (e.g. -n {counted + 20}) and run the "
        f"cell again, or start another study with a new --study name (or --overwrite to start this one afresh)."
    )
    return dataclasses.replace(result, stop_reason=StopReason.COMPLETE, notes=(message, *result.notes))
