"""Trial stores.

A store hands out trial numbers and keeps every trial record.  The runner talks to it
through four calls, so a persistent store can take the in-memory one's place:

- ``reserve()`` -- the next trial number (unique, even across processes for a shared store);
- ``release(number)`` -- give back a reserved number that was not used;
- ``put(trial)`` -- record a trial when it starts and again when it ends;
- ``trials()`` -- every trial, in number order.
"""

from __future__ import annotations

from .result import Trial

__all__ = ["MemoryStore"]


class MemoryStore:
    """Keeps trials in a dict for the length of one search."""

    def __init__(self) -> None:
        self._trials: dict[int, Trial] = {}
        self._next = 0

    def reserve(self) -> int:
        number = self._next
        self._next += 1
        return number

    def release(self, number: int) -> None:
        if number == self._next - 1:
            self._next -= 1

    def put(self, trial: Trial) -> None:
        self._trials[trial.number] = trial

    def trials(self) -> list[Trial]:
        return [self._trials[n] for n in sorted(self._trials)]
