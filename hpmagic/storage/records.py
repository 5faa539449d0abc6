"""What a study holds, as frozen records, and the decoding of its rows.

The SQL stores (:class:`~hpmagic.storage.relational.RelationalStore`: an SQLite file, a
PostgreSQL database) read rows and hand out these records; the decoders check every
column, so a damaged or crafted row is a :class:`~hpmagic.errors.StorageError` naming the study, the trial and the column, never a
crash further on (and never an unpickling: see :mod:`hpmagic.codec`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from .. import codec
from ..core import Direction, StopReason, Trial, TrialState
from ..distributions import same_value
from ..errors import StorageError
from ..objectives import Goal
from ..space import SearchSpace
from .liveness import here

__all__ = [
    "StudyRecord",
    "SessionRecord",
    "StoredStudy",
    "StudySummary",
    "Resume",
    "Archive",
    "CRASHED",
    "UNRECORDED",
    "DAMAGED_FIX",
    "Liveness",
    "STUDY_COLUMNS",
    "SESSION_COLUMNS",
    "TRIAL_COLUMNS",
    "session_columns",
    "study_columns",
    "direction_from",
    "study_from_row",
    "session_from_row",
    "trial_from_row",
    "trial_columns",
]

#: The error of a trial whose process stopped while it ran, marked interrupted on resuming.
CRASHED = (
    "its process stopped while it ran (a crash, SIGKILL or kernel restart); marked interrupted when the study resumed"
)
_CRASHED_ON_LOADING = CRASHED.replace("when the study resumed", "on loading")
#: The error of a trial left running by a search of a process that lives on, whose study file
#: could not be written when it ended (a full disk); marked interrupted on resuming.
UNRECORDED = (
    "its search ended while the study file could not be written (a full disk?), so it was left running; "
    "marked interrupted when the study resumed"
)
_UNRECORDED_ON_LOADING = UNRECORDED.replace("when the study resumed", "on loading")

#: What a message about a damaged row says to do.
DAMAGED_FIX = (
    "restore the file from a copy, or run the cell under another --study name "
    "(--overwrite also works: it keeps the damaged study under an archive name)"
)

#: The columns each decoder below reads, in its order.
STUDY_COLUMNS = "id, name, space, direction, metric, baseline, seed, budget, strategy, strategy_reason, notes, created, updated, goal"
SESSION_COLUMNS = "id, host, pid, process, started, ended, stop_reason, code"
TRIAL_COLUMNS = (
    "number, session_id, state, params, value, metrics, duration, stdout, stderr, warnings, error, started, seq, "
    "curve, pruning, objective_values, constraint_values"
)


def trial_columns(schema: int) -> str:
    """:data:`TRIAL_COLUMNS` as a file of ``schema`` can give them (before 3, no curves; before 4, one objective)."""
    columns = (
        TRIAL_COLUMNS if schema >= 4 else TRIAL_COLUMNS.replace("objective_values, constraint_values", "'[]', '[]'")
    )
    return columns if schema >= 3 else columns.replace("curve, pruning", "'[]', '{}'")


def study_columns(schema: int) -> str:
    """:data:`STUDY_COLUMNS` as a file of ``schema`` can give them (before 4, no goal: one objective)."""
    return STUDY_COLUMNS if schema >= 4 else STUDY_COLUMNS.replace(", goal", ", ''")


def session_columns(schema: int) -> str:
    """:data:`SESSION_COLUMNS` as a file of ``schema`` can give them (schema 1 kept no code)."""
    return SESSION_COLUMNS if schema >= 2 else SESSION_COLUMNS.replace(", code", ", NULL")


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
    goal: Goal | None = None  # several objectives or constraints (None: one objective in `direction`)

    def diff(self, *, space: SearchSpace, direction: Direction, metric: str, goal: Goal | None = None) -> list[str]:
        """What differs between this study and a cell, one phrase per change (empty: the same).

        What the search optimises first (the direction and the objective; or the objectives and
        the constraints), then the search space (:meth:`SearchSpace.diff`).
        """
        changes = []
        goal = None if goal is None or goal.plain else goal
        if goal != self.goal:
            was = self.goal.describe() if self.goal is not None else f"{self.direction} {self.metric}"
            now = goal.describe() if goal is not None else f"{direction} {metric}"
            changes.append(
                f"it optimised: {was}; the cell now asks to {now} (--maximize/--minimize NAME, --constraint)"
            )
        elif direction != self.direction:
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
    code: str | None = None  # the cell's code as the run compared it (None: an older hpmagic ran it)
    #: The run has not ended and can still be running: the backend that read the record decides
    #: (the SQLite store: its process lives, :func:`.liveness.session_alive`; the PostgreSQL
    #: store: its heartbeat is recent too, :mod:`.heartbeat`).
    live: bool = False
    #: The run is (or was) this very process's.
    here: bool = False


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
                    why = _UNRECORDED_ON_LOADING if session is not None and session.here else _CRASHED_ON_LOADING
                    trial = trial.finish(state=TrialState.INTERRUPTED, error=why)
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
class Archive:
    """A study that ``--overwrite`` kept under another name before starting it afresh."""

    name: str  # the archive's name, e.g. ``svm@2026-12-01T20:15:03``
    trials: int  # the trials it holds (every state)
    best: float | None  # its best complete value, by its direction


@dataclass(frozen=True)
class Resume:
    """What :meth:`StudyStore.begin <hpmagic.protocols.StudyStore.begin>` found and decided."""

    study: StudyRecord
    created: bool  # a new study (or one just overwritten)
    counted: int  # stored trials that count toward -n
    interrupted: int  # trials a crashed process left running, marked interrupted now
    session: int  # 1 for the study's first run, 2 for the next, ...
    strategy_seed: int  # the seed the strategy gets this run
    complete: bool  # the study already holds its -n trials: nothing to run
    archive: Archive | None = None  # what --overwrite archived
    previous_code: str | None = None  # the code of the last run that stored trials, when known
    other_code: int = 0  # stored trials (that count) whose run's code is known and differs from this run's
    completed: int = 0  # stored trials that completed
    first_failure: tuple[int, str] | None = None  # the first failed trial's number and traceback


def direction_from(text: Any, what: str) -> Direction:
    """The stored direction, or a StorageError naming the row."""
    try:
        return Direction(text)
    except ValueError:
        raise StorageError(f"{what}: unknown direction {text!r}") from None


def _held(value: Any) -> str:
    """What a column holds, as a message says it."""
    if value is None:
        return "NULL"
    if isinstance(value, (bytes, bytearray, memoryview)):
        return "binary data"
    if isinstance(value, str):
        return f"text {value[:40]!r}"
    return f"{type(value).__name__} {value!r}"


def _damaged(what: str, problem: str) -> StorageError:
    return StorageError(f"{what}: {problem}; {DAMAGED_FIX}")


def _number(value: Any, what: str, label: str) -> float:
    """A stored real number; anything else (text, binary, NULL, an infinity) is a damaged row."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise _damaged(what, f"the {label} should be a number, but the file holds {_held(value)}")
    if not math.isfinite(value):
        raise _damaged(what, f"the {label} should be a finite number, but the file holds {value!r}")
    return float(value)


def _whole(value: Any, what: str, label: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise _damaged(what, f"the {label} should be a whole number, but the file holds {_held(value)}")
    return value


def _json(text: Any, what: str, column: str, label: str, expect: type) -> Any:
    try:
        return codec.loads(text, f"{what}: {label} (column {column})", expect)
    except StorageError as exc:
        raise StorageError(f"{exc}; {DAMAGED_FIX}") from None


#: Whether a session can still be running, from its row's ``id, host, pid, process``: the
#: backend's decision (:attr:`SessionRecord.live`).
Liveness = Callable[[int, str, int, str], bool]


def study_from_row(row: Sequence[Any], where: str) -> StudyRecord:
    """A row of :data:`STUDY_COLUMNS` as a record; a damaged column raises StorageError.

    ``where`` names the storage in messages (``study file '/x.sqlite'``)."""
    (sid, name, space, direction, metric, baseline, seed, budget, strategy, reason, notes, created, updated, goal) = row
    what = f"{where}, study {name!r}"
    try:
        space_obj = SearchSpace.from_json(_json(space, what, "space", "the search space", list))
    except StorageError:
        raise
    except Exception as exc:  # any shape the space cannot be rebuilt from means a damaged row
        raise _damaged(what, f"the stored search space cannot be read ({type(exc).__name__}: {exc})") from None
    note_list = _json(notes, what, "notes", "the notes", list)
    return StudyRecord(
        id=sid,
        name=name,
        space=space_obj,
        direction=direction_from(direction, what),
        metric=str(metric),
        baseline=bool(baseline),
        seed=seed if isinstance(seed, int) else None,
        budget=_whole(budget, what, "budget"),
        strategy=str(strategy),
        strategy_reason=str(reason),
        notes=tuple(str(n) for n in note_list),
        created=_number(created, what, "creation time (column created)"),
        updated=_number(updated, what, "update time (column updated)"),
        goal=_goal(goal, what),
    )


def _goal(text: Any, what: str) -> Goal | None:
    """The study's goal (column goal: '' for one objective without constraints)."""
    if text == "":
        return None
    data = _json(text, what, "goal", "the objectives and constraints", dict)
    try:
        return Goal.from_json(data)
    except Exception as exc:  # any other shape means a damaged row
        raise _damaged(
            what, f"the objectives and constraints (column goal) cannot be read ({type(exc).__name__}: {exc})"
        ) from None


def session_from_row(row: Sequence[Any], where: str, study: str, live: Liveness) -> SessionRecord:
    """A row of :func:`session_columns` as a record; a damaged column raises StorageError.
    ``live`` decides whether a session that has not ended can still be running."""
    sid, host, pid, process, started, ended, stop_reason, code = row
    what = f"{where}, study {study!r}, session {sid}"
    sid, pid = _whole(sid, what, "id"), _whole(pid, what, "process id (column pid)")
    host, process = str(host), str(process or "")
    return SessionRecord(
        id=sid,
        host=host,
        pid=pid,
        process=process,
        started=_number(started, what, "start time (column started)"),
        ended=None if ended is None else _number(ended, what, "end time (column ended)"),
        stop_reason=None if stop_reason is None else str(stop_reason),
        code=code if isinstance(code, str) else None,
        live=ended is None and live(sid, host, pid, process),
        here=here(host, pid, process),
    )


def trial_from_row(row: Sequence[Any], where: str, study: str, space: SearchSpace | None = None) -> Trial:
    """A row of :data:`TRIAL_COLUMNS` as a trial; a damaged column raises StorageError naming the
    trial and the column.  With ``space``, each parameter is checked against the study's space."""
    number, session, state, params, value, metrics, duration, stdout, stderr, warnings, error, started, seq, *more = row
    curve, pruning, objective_values, constraint_values = more if more else ("[]", "{}", "[]", "[]")
    what = f"{where}, study {study!r}, trial {number}"
    _whole(number, what, "trial number (column number)")
    _whole(seq, what, "write order (column seq)")
    if session is not None:
        _whole(session, what, "session (column session_id)")
    try:
        state = TrialState(state)
    except ValueError:
        raise _damaged(what, f"unknown state {state!r} (column state)") from None
    if value is not None:
        value = _number(value, what, "value")
    for column, text in (("stdout", stdout), ("stderr", stderr), ("error", error)):
        if not isinstance(text, str):
            raise _damaged(what, f"{column} should be text, but the file holds {_held(text)}")
    values = _json(params, what, "params", "the parameters", dict)
    if space is not None:
        _check_params(values, space, what)
    return Trial(
        number=number,
        params=values,
        state=state,
        value=value,
        metrics=_json(metrics, what, "metrics", "the metrics", dict),
        duration=_number(duration, what, "duration"),
        stdout=stdout,
        stderr=stderr,
        warnings=tuple(str(w) for w in _json(warnings, what, "warnings", "the warnings", list)),
        error=error,
        started=_number(started, what, "start time (column started)"),
        curve=_curve(curve, what),
        pruning=_json(pruning, what, "pruning", "what early stopping recorded", dict),
        values=_numbers(objective_values, what, "objective_values", "the objectives' values", nan=False),
        constraints=_numbers(constraint_values, what, "constraint_values", "the constrained quantities", nan=True),
    )


def _numbers(text: Any, what: str, column: str, label: str, nan: bool) -> tuple[float, ...]:
    """A JSON list of numbers (with ``nan``, ``null`` for a quantity that could not be read)."""
    numbers = []
    for x in _json(text, what, column, label, list):
        if x is None and nan:
            numbers.append(math.nan)
        else:
            numbers.append(_number(x, what, f"{label.removeprefix('the ')} (column {column})"))
    return tuple(numbers)


def _curve(text: Any, what: str) -> tuple[tuple[float, float], ...]:
    points = _json(text, what, "curve", "the learning curve", list)
    if not all(isinstance(p, list) and len(p) == 2 for p in points):
        raise _damaged(what, "the learning curve (column curve) should be a list of [step, value] pairs")
    return tuple((_number(s, what, "a curve step"), _number(v, what, "a curve value")) for s, v in points)


def _check_params(values: dict[str, Any], space: SearchSpace, what: str) -> None:
    """Every stored parameter is one of the space's, and a number where its distribution takes one
    (or the cell's default, which trial 0 runs whatever it is)."""
    names = set(space.names)
    for name, value in values.items():
        if name not in names:
            raise _damaged(what, f"the parameters (column params) hold {name!r}, which is not a parameter of the study")
        param = space[name]
        if param.distribution.kind == "choice" or same_value(value, param.default):
            continue
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise _damaged(
                what,
                f"the parameters (column params) hold {name}={value!r}, but {name} ({param.describe()}) takes a number",
            )
