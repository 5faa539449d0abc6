"""The in-memory trial store: the trials of one search without ``--study``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..core import Trial, TrialState

if TYPE_CHECKING:
    from ..result import TuneResult

__all__ = ["MemoryStore"]


class MemoryStore:
    """Keeps trials in a dict for the length of one search (the store protocol of
    :mod:`hpmagic.storage`; nothing outlives the search)."""

    def __init__(self) -> None:
        self._trials: dict[int, Trial] = {}
        self._next = 0
        self._interrupted: set[int] = set()

    def reserve(self, limit: int | None = None) -> int | None:
        """The next trial number, or ``None`` when ``limit`` trials that count are held."""
        if limit is not None and self._next - len(self._interrupted) >= limit:
            return None
        number = self._next
        self._next += 1
        return number

    def reclaim(self, number: int, limit: int | None = None) -> bool:
        """Take back interrupted trial ``number`` to run it again; False when it is not
        interrupted or ``limit`` trials that count are held."""
        if number not in self._interrupted or (limit is not None and self._next - len(self._interrupted) >= limit):
            return False
        self._interrupted.discard(number)
        return True

    def release(self, number: int) -> None:
        """Give back the number just reserved (an earlier one stays used)."""
        if number == self._next - 1:
            self._next -= 1

    def put(self, trial: Trial) -> None:
        """Record ``trial`` (its start, then its end)."""
        self._trials[trial.number] = trial
        if trial.state is TrialState.INTERRUPTED:
            self._interrupted.add(trial.number)
        else:
            self._interrupted.discard(trial.number)

    def trials(self) -> list[Trial]:
        """Every trial, in number order."""
        return [self._trials[n] for n in sorted(self._trials)]

    def poll(self) -> list[Trial]:
        """Nothing: no other process writes to this store."""
        return []

    def close(self, result: TuneResult | None = None) -> None:
        """Nothing to record."""
