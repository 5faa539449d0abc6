"""The contracts between the runner and its parts, and the data it hands the displays.

The runner (:mod:`hpmagic.runner`) owns the loop; four kinds of part plug into it, each
described here as a :class:`typing.Protocol`, so any object with these methods will do:

- a :class:`Strategy` proposes configurations and learns from finished trials;
- a :class:`TrialStore` hands out trial numbers and keeps every record; a
  :class:`StudyStore` is one that also keeps named studies that outlive the kernel;
- a :class:`TrialExecutor` runs trials (inline, in worker processes, on a cluster);
- a :class:`Reporter` shows progress.

Reporters see a :class:`SearchInfo` when the search starts and a :class:`Progress` after
every change, never the runner itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from .core import Direction, Trial

if TYPE_CHECKING:
    from .objectives import Goal
    from .result import TuneResult
    from .space import SearchSpace
    from .storage.records import Resume, SessionRecord, StoredStudy, StudyRecord, StudySummary

__all__ = [
    "Strategy",
    "TrialStore",
    "StudyStore",
    "TrialExecutor",
    "Reporter",
    "SearchInfo",
    "Progress",
    "NullReporter",
]


@runtime_checkable
class Strategy(Protocol):
    """Proposes configurations (``ask``) and learns from finished trials (``tell``).

    :class:`hpmagic.Strategy` is a base class implementing it; its docstring is the full
    contract.  ``setup`` is optional; ``name`` and ``reason`` are shown in the summary.
    """

    def ask(self, number: int) -> dict[str, Any] | None:
        """The configuration of trial ``number``, or ``None`` when the strategy has nothing left to propose."""

    def tell(self, trial: Trial) -> None:
        """Learn from a finished trial (any state, any order; also trials the strategy did not propose)."""


class TrialStore(Protocol):
    """Trial numbers and records (:mod:`hpmagic.storage` has the two implementations).

    - ``reserve(limit)``: the next trial number, or ``None`` when the store already holds
      ``limit`` trials that count toward the budget (every state but interrupted);
    - ``reclaim(number, limit)``: take back trial ``number`` if it was interrupted, to run it
      again under its number (True), unless ``limit`` trials that count are held; atomic
      for a shared store (of two writers, one gets it).  The runner runs the defaults
      again as trial 0 this way when a resumed study's trial 0 was interrupted;
    - ``release(number)``: give back a reserved number that was not used;
    - ``put(trial)``: record a trial when it starts and again when it ends;
    - ``trials()``: every trial, in number order;
    - ``poll()``: trials that *other* writers finished since the last call (a shared study);
    - ``close(result)``: the search is over (``result`` is ``None`` when it never ran).
    """

    def reserve(self, limit: int | None = None) -> int | None:
        """The next trial number, or ``None`` when ``limit`` trials that count are held."""

    def reclaim(self, number: int, limit: int | None = None) -> bool:
        """Take back interrupted trial ``number`` to run it again; false when it is not or the limit is reached."""

    def release(self, number: int) -> None:
        """Give back the number just reserved, unused."""

    def put(self, trial: Trial) -> None:
        """Record ``trial``: when it starts (running) and again when it ends."""

    def trials(self) -> list[Trial]:
        """Every trial recorded, in number order."""

    def poll(self) -> list[Trial]:
        """Trials other processes sharing the study finished since the last call."""

    def close(self, result: TuneResult | None = None) -> None:
        """Record how the run ended (``result``, or ``None`` after an error) and let go of the storage."""


class StudyStore(TrialStore, Protocol):
    """A :class:`TrialStore` of named studies that outlive the kernel: the whole lifecycle of a
    study, whatever keeps it.  :func:`hpmagic.storage.open_storage` is the one place that turns
    ``--storage`` into one; :mod:`hpmagic.resume` and :mod:`hpmagic.studies` see only this.

    - ``location``: where the studies are, as messages name it (a file's path; a URL without
      its password) and as ``load_study(..., storage=location)`` opens it again;
    - ``begin(...)``: create the study, or check that the cell still matches it and resume it
      (:class:`~hpmagic.storage.records.Resume` says what was found and decided), marking
      the trials of sessions that are gone as interrupted;
    - ``study()``: the stored description of the store's study (``None``: none yet);
    - ``study_names()``, ``summaries()``: every study the storage holds, oldest first;
    - ``sessions()``: the runs of the store's study; ``session_of(number)``: which one last
      wrote a trial;
    - ``read_study()``: the study as it stands, trials and sessions (``None``: no such study).

    **Liveness is the backend's decision**: which "running" trials were left by a session
    that is gone (the SQLite store asks whether the writing process still lives, on this
    host; a store shared by several hosts needs a heartbeat).  ``read_study`` shows such
    trials as interrupted, and ``begin`` marks them so.
    """

    location: str

    def begin(
        self,
        *,
        space: SearchSpace,
        direction: Direction | str,
        metric: str,
        baseline: bool,
        seed: int,
        budget: int,
        strategy: str,
        overwrite: bool = False,
        explicit_seed: bool = False,
        code: str | None = None,
        goal: Goal | None = None,
    ) -> Resume:
        """Create the study, or resume it with what changed; raise StudyMismatchError for a cell that no longer fits
        it."""

    def study(self) -> StudyRecord | None:
        """The study's record (``None`` before :meth:`begin` or when it does not exist)."""

    def study_names(self) -> list[str]:
        """The name of every study the storage holds, oldest first."""

    def sessions(self) -> list[SessionRecord]:
        """Every run of the study, oldest first, with who ran it and how it ended."""

    def session_of(self, number: int) -> int | None:
        """The run that started trial ``number`` (``None`` when unknown)."""

    def read_study(self) -> StoredStudy | None:
        """The study and its trials as stored, for ``load_study`` (``None`` when it does not exist)."""

    def summaries(self) -> list[StudySummary]:
        """A short summary of every study the storage holds, for ``list_studies``."""


class TrialExecutor(Protocol):
    """Runs trials for the runner; the seam where parallelism plugs in.

    - ``capacity``: how many trials it can hold in flight;
    - ``submit(number, params)``: start a trial;
    - ``wait()``: block until at least one submitted trial ends, and return the finished
      records (:class:`~hpmagic.core.Trial`; ``started`` may be left at 0 for the runner
      to fill) of those that ended;
    - ``cancel()``: stop what is running (on an interrupt) and return the trial numbers;
    - ``close()``: release the workers.
    """

    capacity: int

    def submit(self, number: int, params: dict[str, Any]) -> None:
        """Start trial ``number`` with ``params``; it ends in a later :meth:`wait`."""

    def wait(self) -> list[Trial]:
        """Block until at least one trial in flight ends and return the finished records."""

    def cancel(self) -> list[int]:
        """Stop the trials in flight as far as the executor can and return their numbers."""

    def close(self) -> None:
        """Release the workers and whatever else the executor holds; it is not used again."""


@dataclass(frozen=True)
class SearchInfo:
    """What a display needs to know about a search before its first trial."""

    budget: int
    direction: Direction = Direction.MINIMIZE
    metric: str = "objective"
    strategy: str = ""
    study: str | None = None


@dataclass
class Progress:
    """A snapshot for displays, updated after every change.

    ``trials`` lists the finished trials in the order they finished (the runner appends to
    it; displays only read it).
    """

    total: int
    finished: int = 0
    running: int = 0
    failed: int = 0
    best: Trial | None = None
    elapsed: float = 0.0
    last: Trial | None = None
    status: str = "running"  # running, done, interrupted, failed
    trials: list[Trial] = field(default_factory=list)
    #: with ``--prune``: the points each running trial reported so far, by trial number
    running_curves: dict[int, list[tuple[float, float]]] = field(default_factory=dict)
    #: when each running trial started, in seconds of ``elapsed``, by trial number
    running_since: dict[int, float] = field(default_factory=dict)
    #: finished trials that were stored before this run (a resumed study): counted in
    #: ``finished``, but not in the time estimate, which they took no time of
    resumed: int = 0
    #: ``elapsed`` when the latest trial of this run finished
    last_finish: float = 0.0
    #: trial 0 runs the defaults
    baseline: bool = False

    @property
    def remaining_seconds(self) -> float | None:
        """The time left: the trials to finish at this run's pace so far (seconds per trial it
        finished), less the time since the last one finished, and never less than what the
        trials not yet started will take; ``None`` before this run finished a trial."""
        done = self.finished - self.resumed
        if done <= 0:
            return None
        left = max(self.total - self.finished, 0)
        pace = (self.last_finish or self.elapsed) / done
        since = max(self.elapsed - (self.last_finish or self.elapsed), 0.0)
        return max(pace * left - since, pace * max(left - self.running, 0), 0.0)


class Reporter(Protocol):
    """Shows a search's progress: ``start`` once, ``update`` after changes, ``close`` at the end."""

    def start(self, info: SearchInfo) -> None:
        """The search begins: what it is (``info``)."""

    def update(self, progress: Progress) -> None:
        """The search moved on: a trial started or ended (``progress``)."""

    def close(self, progress: Progress, result: TuneResult | None) -> None:
        """The search ended: the last ``progress``, and the result (``None`` after an error)."""


class NullReporter:
    """Shows nothing (``--quiet``)."""

    def start(self, info: SearchInfo) -> None:
        """Show nothing."""

    def update(self, progress: Progress) -> None:
        """Show nothing."""

    def close(self, progress: Progress, result: TuneResult | None) -> None:
        """Show nothing."""
