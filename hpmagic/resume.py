"""``--study``: opening a study for a search, resuming it, and what the summary says about it.

:func:`begin_study` opens the study file (checked before anything is written, every stored
trial of the study included), creates the study or resumes it (a cell whose search space no
longer matches it is refused with :class:`~hpmagic.errors.StudyMismatchError`), and returns
what the search needs: the store, the seeds, the notes for the summary, or, when the study
already holds its ``-n`` trials, the stored result.

What the notes promise:

- **The cell's code is compared between runs.**  Each run records the cell's code as
  :func:`cell_code` writes it (its syntax tree written back: positions, blank lines and
  comments do not count).  When it differs from the code of the last run that stored
  trials, the summary says so, with the changed lines, and how to start afresh.
- **A changed default is not a changed cell.**  The defaults of the tuned parameters are
  part of the search space but not of what is searched: a cell whose defaults changed since
  the study began (``--write-back`` wrote the best values in, then the ``# `` was removed)
  resumes the study, its code compared as if the defaults were the study's own (so no note
  about changed code), and a note names the parameters.  Trial 0 is not run again: it ran
  the defaults the study began with (a trial 0 cut short by a stop runs the new ones).
- **Nothing is deleted.**  ``--overwrite`` keeps the stored study under an archive name
  (``NAME@<local date and time>``), says so on the output and in a note, and starts the study
  afresh; and while ``--overwrite`` is on the line no note says "run the cell again", which
  would archive what this run stores.
- **A study that holds no complete trial says so**, with the first error, and how to run
  a fixed cell (``--overwrite`` or a new name, or a larger ``-n``).
"""

from __future__ import annotations

import ast
import dataclasses
import difflib
import os
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ._format import fmt_value, plural
from .core import Direction, StopReason
from .errors import StorageError
from .objectives import Goal
from .storage import open_storage
from .storage.records import Resume

if TYPE_CHECKING:
    from .protocols import StudyStore
    from .result import TuneResult
    from .space import SearchSpace

__all__ = ["StudyRequest", "StudyStart", "begin_study", "cell_code", "code_changes"]

#: How many changed lines a note about changed code shows.
CHANGED_LINES = 4


@dataclass(frozen=True)
class StudyRequest:
    """What ``--study`` asks of a search (``api.plan`` makes it from the options, once)."""

    name: str  # --study
    storage: str | os.PathLike | None = None  # --storage: a path or a URL (None: the default file)
    overwrite: bool = False  # --overwrite: archive the stored study and start afresh
    baseline: bool = True  # run the defaults as trial 0 (fixed when the study is created)
    explicit_seed: bool = False  # --seed was given (it then seeds this run, not the study's seed)
    metric: str = "objective"  # --metric, or "objective"
    quiet: bool = False  # -q: print nothing (an archive is otherwise said on the output)


@dataclass(frozen=True)
class StudyStart:
    """A study opened for a search."""

    store: StudyStore
    seed: int  # the study's seed (shown in the summary)
    strategy_seed: int  # this run's sampling seed, derived from the study's
    baseline: bool  # whether the study runs the defaults as trial 0 (fixed when it was created)
    notes: tuple[str, ...] = ()
    complete: TuneResult | None = None  # the stored result, when nothing is left to run


def cell_code(
    source: str | None, space: SearchSpace | None = None, defaults: Mapping[str, Any] | None = None
) -> str | None:
    """The cell's code as a study compares it between runs: its syntax tree written back as
    text, so that moving lines, blank lines and comments (annotations included: the search
    space is compared on its own) make no difference.  ``None`` when there is no source.

    ``defaults`` maps tuned parameters of ``space`` (the cell's) to the defaults the study
    began with: their assignments are written with those, so that a default changed since
    (written back by ``-w``) is no change of the code either.
    """
    if source is None:
        return None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", SyntaxWarning)
            tree = ast.parse(source)
            if space is not None and defaults:
                _restore_defaults(tree, space, defaults)
            return ast.unparse(tree)
    except (SyntaxError, ValueError, RecursionError):
        return None  # the parser has refused such a cell already


def _restore_defaults(tree: ast.Module, space: SearchSpace, defaults: Mapping[str, Any]) -> None:
    """Write ``defaults`` back into the tuned assignments of ``tree`` (found as the parser finds
    them: the last top-level statement ending on the annotation's line)."""
    statements = {stmt.end_lineno: stmt for stmt in tree.body}
    for p in space:
        stmt = statements.get(p.line)
        if p.name in defaults and isinstance(stmt, (ast.Assign, ast.AnnAssign)) and stmt.value is not None:
            stmt.value = ast.Constant(defaults[p.name])


def code_changes(old: str, new: str, limit: int = CHANGED_LINES) -> list[str]:
    """The lines that differ between two versions of a cell's code, ``- old`` and ``+ new``, at
    most ``limit`` of them (then how many more)."""
    lines = [
        f"{line[0]} {line[1:].strip()}"
        for line in difflib.unified_diff(old.splitlines(), new.splitlines(), lineterm="", n=0)
        if line[:1] in "+-" and not line.startswith(("---", "+++"))
    ]
    shown = [line if len(line) <= 80 else line[:77] + "..." for line in lines[:limit]]
    if len(lines) > limit:
        shown.append(f"... ({len(lines) - limit} more)")
    return shown


def begin_study(
    request: StudyRequest,
    space: SearchSpace,
    seed: int,
    budget: int,
    strategy: Any,
    source: str | None = None,
    direction: Direction = Direction.MINIMIZE,
    goal: Goal | None = None,
) -> StudyStart:
    """Create or resume study ``request.name`` for a search of ``budget`` trials of the cell
    ``source`` (its text, compared with the code of the study's earlier runs), in ``direction``
    (``goal``: its objectives and constraints; a study run for another goal is refused)."""
    store = open_storage(request.storage, request.name)
    began = None if request.overwrite else _stored_space(store)
    changed = began.changed_defaults(space) if began is not None else []
    code = cell_code(source, space, {name: began[name].default for name in changed} if began is not None else None)
    try:
        resume = store.begin(
            space=space,
            direction=direction,
            metric=request.metric,
            baseline=request.baseline,
            seed=seed,
            budget=budget,
            strategy=strategy if isinstance(strategy, str) else getattr(strategy, "name", "custom"),
            overwrite=request.overwrite,
            explicit_seed=request.explicit_seed,
            code=code,
            goal=goal,
        )
    except BaseException:
        store.close()
        raise
    study = resume.study
    study_seed = study.seed if study.seed is not None else seed
    notes_on_edits = (_code_note(resume, code, request.name), _defaults_note(changed, request.name, study.baseline))
    edited = tuple(note for note in notes_on_edits if note)
    if resume.complete:
        try:
            complete = _complete(store, resume, budget, request.name, edited)
        finally:
            store.close()
        return StudyStart(store, study_seed, resume.strategy_seed, study.baseline, complete=complete)
    notes = _notes(store, resume, request)
    if resume.archive is not None and not request.quiet:
        print(f"hpmagic: {notes[0]}")
    return StudyStart(store, study_seed, resume.strategy_seed, study.baseline, notes=notes + edited)


def _stored_space(store: StudyStore) -> SearchSpace | None:
    """The search space of the stored study (``None``: there is none yet, or it cannot be read,
    which :meth:`StudyStore.begin <hpmagic.protocols.StudyStore.begin>` then reports with the fix)."""
    try:
        record = store.study()
    except StorageError:
        return None
    return None if record is None else record.space


def _defaults_note(changed: list[str], name: str, baseline: bool) -> str:
    """The note saying that tuned defaults changed since the study began, or ''."""
    if not changed:
        return ""
    afresh = (
        "; to run the new defaults as trial 0, start afresh with a new --study name or --overwrite" if baseline else ""
    )
    return (
        f"the {'defaults' if len(changed) > 1 else 'default'} of {', '.join(changed)} changed since study {name!r} "
        f"began (written back with -w?): a new default is not a new search space, so the study goes on with its "
        f"trials{afresh}"
    )


def _notes(store: StudyStore, resume: Resume, request: StudyRequest) -> tuple[str, ...]:
    where = f"study {request.name!r} in {store.location!r}"
    if resume.created:
        notes = [_archived(resume, where, store)] if resume.archive is not None else []
        if request.overwrite:
            notes.append(
                f"{where}: every trial is saved; to resume this study later, remove --overwrite from the line "
                "first (run as it is, the cell archives the trials this run stores and starts afresh again)"
            )
        else:
            notes.append(f"{where}: every trial is saved; run the cell again to resume it")
        return tuple(notes)
    text = f"{where}: resumed with {resume.counted} stored trials"
    if resume.interrupted:
        text += f" ({resume.interrupted} left running by a crashed process were marked interrupted and run again)"
    text += f"; this is run {resume.session} of the study, its sampling seed derived from the study seed"
    notes = [text]
    if resume.study.baseline != request.baseline:
        notes.append(
            f"the study was created {'with' if resume.study.baseline else 'without'} a baseline trial; that stays"
        )
    if resume.counted and not resume.completed:
        notes.append(
            f"none of the study's {plural(resume.counted, 'stored trial')} completed{_first_failure(resume)}; "
            "this run adds to them. If you have fixed the cell, start afresh with --overwrite (the failed trials "
            "are kept, archived under another name)"
            + (" so that the defaults run again as trial 0" if resume.study.baseline else "")
        )
    return tuple(notes)


def _archived(resume: Resume, where: str, store: StudyStore) -> str:
    archive = resume.archive
    assert archive is not None
    best = f"best {fmt_value(archive.best)}" if archive.best is not None else "none of them complete"
    return (
        f"{where}: --overwrite kept its {plural(archive.trials, 'stored trial')} ({best}) as study "
        f"{archive.name!r} (hpmagic.load_study({archive.name!r}, storage={store.location!r}) reads them back) "
        f"and started {resume.study.name!r} afresh"
    )


def _first_failure(resume: Resume) -> str:
    if resume.first_failure is None:
        return ""
    number, error = resume.first_failure
    lines = error.strip().splitlines()
    return f" (the first failure, trial {number}: {lines[-1] if lines else 'no error recorded'})"


def _code_note(resume: Resume, code: str | None, name: str) -> str:
    """The note saying the cell's code changed since the study's last run that stored trials, or ''."""
    old = resume.previous_code
    if code is None or old is None or old == code:
        return ""
    return (
        f"the cell's code changed since the last run of study {name!r} ({'; '.join(code_changes(old, code))}), "
        f"so {plural(resume.other_code, 'stored trial')} ran other code than the cell's now (the search "
        f"space is the same); if the change alters the objective, start afresh: a new --study name (e.g. --study {name}-2), or "
        "--overwrite (the stored trials are kept, archived under another name)"
    )


def _complete(store: StudyStore, resume: Resume, budget: int, name: str, edited: tuple[str, ...]) -> TuneResult:
    """The study already holds its -n trials: its stored result, with a note saying how to go on."""
    from .studies import result_of

    stored = store.read_study()
    assert stored is not None  # begin() has just found it
    result = result_of(stored)
    counted = resume.counted
    message = (
        f"study {name!r} in {store.location!r} is complete: it holds {counted} trials and "
        f"-n asks for {budget}, so nothing ran."
    )
    if resume.completed:
        message += (
            f" To run more, raise -n (e.g. -n {counted + 20}) and run the cell again, or start another study with a "
            "new --study name (or --overwrite to start this one afresh: its trials are kept, archived under "
            "another name)."
        )
    else:
        message += (
            f" None of them completed{_first_failure(resume)}. If you have fixed the cell, start afresh: run it "
            f"with --overwrite (the failed trials are kept, archived as {name}@<date and time>) or with a new "
            f"--study name; or raise -n (e.g. -n {counted + 20}) to run more trials in this study."
        )
    for note in edited:
        message += f" Also, {note}."
    return dataclasses.replace(result, stop_reason=StopReason.COMPLETE, notes=(message, *result.notes))
