"""A study file that cannot be written because the disk holding it is full.

SQLite reports a full disk as ``SQLITE_FULL`` ("database or disk is full"); a write the
file system refuses in another way comes back as an I/O error, told apart by the space
left on the file system (:func:`.file.is_full`).

Before a search writes anything (opening the file, beginning the study) the message is
:func:`.file.unwritable`: nothing was written, nothing is lost.  During a search the store ends
it with one :class:`~hpmagic.errors.StorageError` (:func:`stopped`) that names the file,
says the disk is full and what to do, and says what became of the trials: every trial that
finished before is in the file (each was committed when it ended); the trials this run left
running are marked interrupted (:func:`mark_unfinished`, one short transaction that grows
nothing, which often still fits); when even that cannot be written, the next run of the
study marks them (see :func:`hpmagic.storage.liveness.session_alive`), and ``load_study``
shows them interrupted meanwhile.  The message says which happened.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

from .._format import fmt_value
from ..core import Trial, TrialState
from . import queries
from .file import full_disk, is_full, unwritable

__all__ = ["FULL", "is_full", "unwritable", "running", "whys", "mark_unfinished", "stopped"]

#: What an interrupted trial of a search stopped by a full disk records.
FULL = "the search stopped: the disk holding the study file is full; it runs again when the study resumes"
_FIX = (
    "Fix: free space on that disk and run the cell again: the study resumes from the trials saved, and the "
    "interrupted ones run again; or move the file to a disk with space and pass --storage its new path."
)


def running(conn: sqlite3.Connection, study_id: int, session: int) -> list[int]:
    """The trials ``session`` holds as running in the file, in number order."""
    rows = conn.execute(
        "SELECT number FROM trials WHERE study_id = ? AND session_id = ? AND state = 'running' ORDER BY number",
        (study_id, session),
    ).fetchall()
    return [number for (number,) in rows]


def _ended(trial: Trial) -> str:
    value = f", {fmt_value(trial.value)}" if trial.value is not None else ""
    return f"{trial.state.value}{value}"


def whys(numbers: Sequence[int], unsaved: Trial | None) -> dict[int, str]:
    """What each of these interrupted trials records; the one whose end could not be saved says how it ended."""
    out = {number: FULL for number in numbers}
    if unsaved is not None and unsaved.state.finished and unsaved.number in out:
        out[unsaved.number] = (
            f"it ended ({_ended(unsaved)}) but could not be saved: the disk holding the study file is full; "
            "it runs again when the study resumes"
        )
    return out


def mark_unfinished(conn: sqlite3.Connection, study_id: int, marks: dict[int, str]) -> None:
    """Mark these trials interrupted, each with its reason, in one transaction (raises when it cannot)."""
    with queries.transaction(conn):
        for number, why in marks.items():
            conn.execute(
                "UPDATE trials SET state = ?, error = ?, seq = ? WHERE study_id = ? AND number = ? AND state = 'running'",
                (TrialState.INTERRUPTED.value, why, queries.next_seq(conn, study_id), study_id, number),
            )


def _numbers(numbers: Sequence[int]) -> str:
    if len(numbers) == 1:
        return f"trial {numbers[0]}"
    return "trials " + ", ".join(str(n) for n in numbers[:-1]) + f" and {numbers[-1]}"


def stopped(
    where: str, exc: sqlite3.Error, *, unsaved: Trial | None, finished: int, left: Sequence[int], marked: bool
) -> str:
    """The one message of a search a full disk stopped: the file, the disk, what became of the trials, the fix.

    ``unsaved``: the trial whose record could not be written (``None``: a new trial could not
    be reserved); ``finished``: the trials the file holds finished; ``left``: the trials this
    run left running; ``marked``: whether they could be marked interrupted in the file.
    """
    if unsaved is None:
        what = "a new trial could not be recorded"
    elif unsaved.state.finished:
        what = f"trial {unsaved.number} ended ({_ended(unsaved)}) but could not be saved"
    else:
        what = f"trial {unsaved.number} could not start"
    before = f"The {finished} trials finished before are" if finished != 1 else "The 1 trial finished before is"
    text = f"{full_disk(where, exc)}, so the search stopped: {what}. "
    text += f"{before} safe in the file" if finished else "No trial had finished yet"
    if left:
        verb = "was" if len(left) == 1 else "were"
        if marked:
            text += f"; {_numbers(left)} {verb} marked interrupted there"
        else:
            it = "it" if len(left) == 1 else "them"
            text += (
                f"; {_numbers(left)} could not be marked interrupted either (nothing more can be written): "
                f"the next run of the study marks {it}, and load_study shows {it} interrupted meanwhile"
            )
    return f"{text}. {_FIX}"
