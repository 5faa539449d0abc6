"""Every public error of hpmagic, under one base class.

``%%tune`` turns any :class:`HpmagicError` into IPython's ``UsageError`` (a message, no
traceback); :func:`hpmagic.tune` raises them as they are.  Each message names the
problem, where it is and how to fix it.  The hierarchy::

    HpmagicError
    ├── AnnotationError        the cell's ``# tune:`` annotations (or the cell) cannot be used
    ├── SpaceError             a distribution's arguments break one of its rules (``.fix`` says how to correct them)
    ├── OptionError            an option of ``%%tune`` / ``tune()`` has a bad value
    ├── ReportError            a ``report(value, step)`` of the cell cannot be used (this fails the trial)
    ├── StorageError           a study file or a study cannot be used
    │   ├── StudyMismatchError the cell no longer matches its stored study
    │   └── StudyWriteError    (also a SearchError) the study file could not be written during the search
    ├── SearchStopped          the search ran but stopped early; ``.result`` keeps what finished
    │   ├── TrialsFailedError  the first trials all failed (a bug in the cell)
    │   └── SearchError        the search itself failed (a strategy or a store raised)
    └── ExecutionEnvironmentError  the trials cannot run where they were sent
        ├── UnsendableError    a variable the cell reads cannot be sent to the workers
        ├── WorkerStartError   worker processes could not start or load the cell's variables
        └── ExecutorError      an ``--executor`` cannot run trials (closed client, no workers)

:class:`StorageWarning` (a ``UserWarning``, not an error) says a study file lies where SQLite's
locking is not safe: a network file system.

:class:`ObjectiveError` is what a trial records when the cell produced something that is
not an objective; it fails that trial, never the search.

This module imports only ``hpmagic._format`` and ``hpmagic.core``, two leaves, so
every layer can raise from here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ._format import fmt_params
from .core import TrialState

if TYPE_CHECKING:
    from .result import TuneResult

__all__ = [
    "HpmagicError",
    "AnnotationError",
    "Problem",
    "SpaceError",
    "OptionError",
    "ReportError",
    "StorageError",
    "StorageWarning",
    "StudyMismatchError",
    "SearchStopped",
    "TrialsFailedError",
    "SearchError",
    "StudyWriteError",
    "ExecutionEnvironmentError",
    "UnsendableError",
    "WorkerStartError",
    "ExecutorError",
    "ObjectiveError",
    "SaveError",
    "MissingExtraError",
]


class HpmagicError(Exception):
    """Base class of every error hpmagic raises on purpose."""


# -- the cell -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    """One mistake in a cell: where it is (1-based line and column), what, and the fix."""

    line: int
    column: int
    message: str
    fix: str
    source_line: str = ""

    def format(self) -> str:
        """The problem as the error shows it: the place, the message, the quoted line with a caret, the fix."""
        text = f"line {self.line}, column {self.column}: {self.message}"
        if self.source_line:
            text += f"\n    {self.source_line}\n    {' ' * max(self.column - 1, 0)}^"
        if self.fix:
            text += f"\n  fix: {self.fix}"
        return text


class AnnotationError(HpmagicError, ValueError):
    """The cell's ``# tune:`` annotations, or the cell's own code, cannot be tuned as they are.

    ``problems`` lists every mistake found; ``str(error)`` shows each with its line.
    """

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        count = len(self.problems)
        head = "the cell has a problem" if count == 1 else f"the cell has {count} problems"
        head += " to fix before it can be tuned"
        super().__init__(head + ":\n" + "\n".join(p.format() for p in self.problems))

    @property
    def line(self) -> int:
        """The line of the first problem (1-based, as the editor numbers the cell)."""
        return self.problems[0].line


class SpaceError(HpmagicError, ValueError):
    """A distribution's (or a search space's) arguments break one of its rules (``low < high``, ...).

    ``fix`` says how to correct them: the distribution knows the fix for its own rule, and
    the annotation parser shows it under the message.  Also a ``ValueError``, as it was
    before the hierarchy existed.
    """

    def __init__(self, message: str, fix: str = "correct the arguments") -> None:
        super().__init__(message)
        self.fix = fix

    def __reduce__(self) -> tuple[Any, ...]:
        # the default pickling would call SpaceError(message) and lose the fix
        return (type(self), (str(self), self.fix))


class ObjectiveError(HpmagicError, ValueError):
    """The cell produced something that is not an objective (this fails the trial)."""


# -- options and storage --------------------------------------------------------------------


class OptionError(HpmagicError, ValueError):
    """An option of ``%%tune`` / ``tune()`` has a value that cannot be used."""


class ReportError(HpmagicError, ValueError):
    """A point of a trial's learning curve (``report(value, step)``) cannot be used: a value
    that is not a finite number, a step that is negative, not finite, above 2**53, repeated
    or goes backwards; a report from a thread whose trial has ended, or that belongs to no
    one trial; folds of ``hpmagic.cross_val_score`` that cannot be compared (a NaN fold, a
    shuffling splitter under ``--prune``).  Raised inside the cell, so it fails that trial
    (never the search)."""


class SaveError(HpmagicError, OSError):
    """A report cannot be written where it was asked to be (``result.save(path)``): the path
    is a folder, its folder does not exist, or it may not be written.  Nothing was written,
    and a file already at the path is left as it was."""


class StorageError(HpmagicError):
    """A study file or a study cannot be used: the message names the file, the problem and the fix."""


class StorageWarning(UserWarning):
    """A study file where it may not stay safe: on a network file system, whose locking SQLite
    cannot rely on (two kernels writing at once may corrupt it)."""


class StudyMismatchError(StorageError):
    """The cell's search space, direction or metric differs from the stored study's.

    ``stored_direction`` is the study's direction (``"maximize"``, ``"minimize"``) when it is one
    of the differences, else ``None``."""

    def __init__(self, message: str, stored_direction: str | None = None):
        super().__init__(message)
        self.stored_direction = stored_direction


# -- a search that stopped early ------------------------------------------------------------


class SearchStopped(HpmagicError):
    """The search ran and stopped early; ``result`` keeps every trial that finished."""

    def __init__(self, message: str, result: TuneResult):
        self.result = result
        super().__init__(message)


class TrialsFailedError(SearchStopped):
    """The first trials all failed; ``result`` holds them and ``first_error`` the first traceback."""

    def __init__(self, result: TuneResult):
        failed = [t for t in result.trials if t.state is TrialState.FAILED]
        first = failed[0]
        self.first_error = first.error
        what = "the defaults" if first.number == 0 and result.has_baseline else "its parameters"
        super().__init__(
            f"the first {len(failed)} trials all failed, so the search stopped: this looks like a bug in the cell "
            f"rather than a bad region of the search space. Fix the cell (it should run on its own "
            f"with its defaults) and run it again.\n\nFirst failure, trial {first.number} ({what}: "
            f"{fmt_params(first.params)}):\n{first.error.rstrip()}",
            result,
        )

    def _render_traceback_(self) -> list[str]:
        # IPython shows this instead of a traceback: the cell's own error under its own name,
        # not a UsageError (the %%tune line was fine) and no frames of hpmagic.
        return f"{type(self).__name__}: {self}".splitlines()


class SearchError(SearchStopped):
    """The search could not go on (for example, the strategy raised); ``result`` keeps what finished."""

    def __init__(self, result: TuneResult):
        super().__init__(f"the search stopped after {len(result.completed)} completed trials: {result.error}", result)


class StudyWriteError(SearchError, StorageError):
    """The study file could not be written during the search (the disk holding it is full):
    the search stopped, ``result`` keeps what finished, and the message (the store's) says
    what the file holds and how to go on.  Both a :class:`SearchError` and a :class:`StorageError`."""

    def __init__(self, message: str, result: TuneResult):
        SearchStopped.__init__(self, message, result)


# -- where trials run -----------------------------------------------------------------------


class ExecutionEnvironmentError(HpmagicError):
    """The trials cannot run where they were sent (workers, a cluster, an executor)."""


class UnsendableError(ExecutionEnvironmentError):
    """A variable the cell reads cannot be sent to the workers."""


class WorkerStartError(ExecutionEnvironmentError):
    """The worker processes could not start or could not load the cell's variables."""


class ExecutorError(ExecutionEnvironmentError):
    """An ``--executor`` cannot run trials: a closed client, a cluster without workers, ..."""


class MissingExtraError(HpmagicError, ImportError):
    """An integration's library (XGBoost, LightGBM, MLflow) is not installed; the message gives the
    command that installs it (``pip install 'hpmagic[xgboost]'``)."""


def describe_type(value: Any) -> str:
    """``a numpy.ndarray``, ``a list``: a value's type for messages."""
    kind = type(value)
    module = kind.__module__
    qual = kind.__qualname__ if module in ("builtins", "__main__") else f"{module}.{kind.__qualname__}"
    return f"a {qual}"
