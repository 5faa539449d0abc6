"""What a study file holds, as frozen records, and the decoding of its rows.

:class:`~hpmagic.storage.sqlite.SQLiteStore` reads rows and hands out these records; the
decoders check every column, so a damaged or crafted row is a
:class:`~hpmagic.errors.StorageError` naming the study, the trial and the column, never a
crash further on (and never an unpickling: see :mod:`.codec`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..core import Direction, StopReason, Trial, TrialState
from ..errors import StorageError
from ..space import SearchSpace
from . import codec
from .file import describe
from .liveness import alive

__all__ = [
    "StudyRecord",
    "SessionRecord",
    "StoredStudy",
    "StudySummary",
    "Resume",
    "CRASHED",
    "STUDY_COLUMNS",
    "SESSION_COLUMNS",
    "TRIAL_COLUMNS",
    "direction_from",
    "study_from_row",
    "session_from_row",
    "trial_from_row",
]

#: The error of a trial whose process stopped while it ran, marked interrupted on resuming.
CRASHED = "its process stopped while it ran (a crash, SIGKILL or kernel restart); marked interrupted when the study resumed"
_CRASHED_ON_LOADING = CRASHED.replace("when the study resumed", "on loading")

#: The columns each decoder below reads, in its order.
STUDY_COLUMNS = "id, name, space, direction, metric, baseline, seed, budget, strategy, strategy_reason, notes, created, updated"
SESSION_COLUMNS = "id, host, pid, process, started, ended, stop_reason"
TRIAL_COLUMNS = "number, session_id, state, params, value, metrics, duration, stdout, stderr, warnings, error, started, seq"


@dataclass(frozen=True)
class StudyRecord:
    """A study's stored description (its row in the ``studies`` table)."""

    id: int
    name: str
    space: SearchSpace
    direction: Direction
    metric: str
    baseline: bool
    seed: int | None
    budget: int
    strategy: str
    strategy_reason: str
    notes: tuple[str, ...]
    created: float
    updated: float

    def diff(self, *, space: SearchSpace, direction: Direction, metric: str) -> list[str]:
        """What differs between this study and a cell, one phrase per change (empty: the same).

        The direction and the objective first, then the search space (:meth:`SearchSpace.diff`).
        """
        changes = []
        if direction != self.direction:
            changes.append(f"the direction was --{self.direction}, the cell now asks to --{direction}")
        if metric != self.metric:
            changes.append(f"the objective was {self.metric!r}, the cell now uses {metric!r} (--metric)")
        return changes + self.space.diff(space)


@dataclass(frozen=True)
class SessionRecord:
    """One run of a study (its row in the ``sessions`` table): who ran it, and how it ended."""

    id: int
    host: str
    pid: int
    process: str  # the process token of :func:`.liveness.process_token`
    started: float
    ended: float | None  # None while the run goes on (or when its process died)
    stop_reason: str | None  # a StopReason's value, or "crashed" (set when the study resumed)

    @property
    def live(self) -> bool:
        """True when the run has not ended and its process is still alive."""
        return self.ended is None and alive(self.host, self.pid, self.process)


@dataclass(frozen=True)
class StoredStudy:
    """A study read back as it stands: what :func:`hpmagic.load_study` shows.

    ``trials`` are in number order; a trial left running by a process that is gone shows
    as interrupted (the file still says running until the study resumes).  ``running``:
    some trial is still running in a live process.
    """

    record: StudyRecord
    trials: tuple[Trial, ...]
    sessions: tuple[SessionRecord, ...]
    running: bool

    @classmethod
    def assemble(
        cls,
        record: StudyRecord,
        trials: Sequence[Trial],
        sessions: Sequence[SessionRecord],
        session_of: Callable[[int], int | None],
    ) -> StoredStudy:
        """The study from its stored rows; ``session_of(number)`` is the session that wrote a trial."""
        by_id = {s.id: s for s in sessions}
        running = False
        shown = []
        for trial in trials:
            if trial.state is TrialState.RUNNING:
                writer = session_of(trial.number)
                session = by_id.get(writer) if writer is not None else None
                if session is not None and session.live:
                    running = True
                else:
                    trial = trial.finish(state=TrialState.INTERRUPTED, error=_CRASHED_ON_LOADING)
            shown.append(trial)
        return cls(record, tuple(shown), tuple(sessions), running)

    @property
    def stop_reason(self) -> StopReason:
        """Why the study stands where it is: still running, its budget spent, or how its last run ended."""
        if self.running:
            return StopReason.RUNNING
        counted = sum(1 for t in self.trials if t.state.counted)
        if counted >= self.record.budget:
            return StopReason.BUDGET
        last = self.sessions[-1].stop_reason if self.sessions else None
        if last in (None, "crashed", StopReason.BUDGET):
            return StopReason.INTERRUPTED  # the budget was raised since, or the process died
        try:
            return StopReason(last)
        except ValueError:
            return StopReason.INTERRUPTED  # a reason this version does not know

    @property
    def elapsed(self) -> float:
        """Wall time of the study's runs: each session from its start to its end (or its last trial)."""
        ends = [t.started + t.duration for t in self.trials if t.started]
        total = 0.0
        for s in self.sessions:
            end = s.ended or max((e for e in ends if e >= s.started), default=s.started)
            total += max(end - s.started, 0.0)
        return total


@dataclass(frozen=True)
class StudySummary:
    """One study in a file, as :func:`hpmagic.list_studies` lists it (no payload decoded)."""

    name: str
    counts: dict[str, int]  # trials by state (a TrialState's value)
    budget: int
    best: float | None  # the best complete value, by the study's direction
    direction: Direction
    metric: str
    strategy: str
    created: float
    updated: float

    @property
    def trials(self) -> int:
        """How many trials the study holds (released numbers are not trials)."""
        return sum(self.counts.values())


@dataclass(frozen=True)
class Resume:
    """What :meth:`SQLiteStore.begin` found and decided."""

    study: StudyRecord
    created: bool  # a new study (or one just overwritten)
    counted: int  # stored trials that count toward -n
    interrupted: int  # trials a crashed process left running, marked interrupted now
    session: int  # 1 for the study's first run, 2 for the next, ...
    strategy_seed: int  # the seed the strategy gets this run
    complete: bool  # the study already holds its -n trials: nothing to run


def direction_from(text: Any, what: str) -> Direction:
    """The stored direction, or a StorageError naming the row."""
    try:
        return Direction(text)
    except ValueError:
        raise StorageError(f"{what}: unknown direction {text!r}") from None


def study_from_row(row: Sequence[Any], path: Path) -> StudyRecord:
    """A row of :data:`STUDY_COLUMNS` as a record; a damaged column raises StorageError."""
    (sid, name, space, direction, metric, baseline, seed, budget, strategy, reason, notes, created, updated) = row
    what = f"{describe(path)}, study {name!r}"
    try:
        space_obj = SearchSpace.from_json(codec.loads(space, f"{what}: the search space", list))
    except StorageError:
        raise
    except Exception as exc:  # any shape the space cannot be rebuilt from means a damaged row
        raise StorageError(f"{what}: the stored search space cannot be read ({type(exc).__name__}: {exc})") from None
    note_list = codec.loads(notes, f"{what}: the notes", list)
    return StudyRecord(
        id=sid, name=name, space=space_obj, direction=direction_from(direction, what), metric=str(metric),
        baseline=bool(baseline), seed=seed if isinstance(seed, int) else None, budget=int(budget),
        strategy=str(strategy), strategy_reason=str(reason), notes=tuple(str(n) for n in note_list),
        created=float(created), updated=float(updated),
    )


def session_from_row(row: Sequence[Any]) -> SessionRecord:
    """A row of :data:`SESSION_COLUMNS` as a record."""
    sid, host, pid, process, started, ended, stop_reason = row
    return SessionRecord(
        id=int(sid), host=str(host), pid=int(pid), process=str(process or ""), started=float(started),
        ended=None if ended is None else float(ended), stop_reason=None if stop_reason is None else str(stop_reason),
    )


def trial_from_row(row: Sequence[Any], path: Path, study: str) -> Trial:
    """A row of :data:`TRIAL_COLUMNS` as a trial; a damaged column raises StorageError."""
    number, _session, state, params, value, metrics, duration, stdout, stderr, warnings, error, started, _seq = row
    what = f"{describe(path)}, study {study!r}, trial {number}"
    try:
        state = TrialState(state)
    except ValueError:
        raise StorageError(f"{what}: unknown state {state!r}") from None
    if value is not None and not isinstance(value, (int, float)):
        raise StorageError(f"{what}: the value should be a number, but the file holds {type(value).__name__}")
    for column, text in (("stdout", stdout), ("stderr", stderr), ("error", error)):
        if not isinstance(text, str):
            raise StorageError(f"{what}: {column} should be text, but the file holds {type(text).__name__}")
    return Trial(
        number=int(number),
        params=codec.loads(params, f"{what}: the parameters", dict),
        state=state,
        value=None if value is None else float(value),
        metrics=codec.loads(metrics, f"{what}: the metrics", dict),
        duration=float(duration or 0.0),
        stdout=stdout,
        stderr=stderr,
        warnings=tuple(str(w) for w in codec.loads(warnings, f"{what}: the warnings", list)),
        error=error,
        started=float(started or 0.0),
    )
