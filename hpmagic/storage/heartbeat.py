"""Liveness by heartbeat, for a study that several machines share (the PostgreSQL store).

A process on another host cannot be asked whether it lives, so each session that writes a
study sends a heartbeat: while its store is open, a background thread (:class:`Heartbeat`)
sets its session's ``heartbeat`` column to the server's clock every
:data:`HEARTBEAT_SECONDS`.  A session that has not ended and whose last heartbeat is older
than :data:`GRACE_SECONDS` is gone: its "running" trials read as interrupted, and the next
``begin`` of the study marks them so (:func:`liveness`).

Both the beat and the comparison use the *server's* clock (``clock_timestamp()``), so the
clocks of the hosts never need to agree.  On this host the process check of
:mod:`.liveness` still applies as well: a session whose process is surely gone is dead at
once, without waiting for the grace period.

Why a 60-second grace for a 10-second beat: declaring a live session dead is the costly
mistake (another kernel marks its running trial interrupted, and may run trial 0 again),
while declaring a dead one dead a minute late only delays a resumed study's accounting.
Six missed beats tolerate a busy machine, a long pause of the interpreter, a brief network
outage or a restart of the server; a trial that holds the interpreter's lock for longer
than that without releasing it (rare: numeric libraries release it) would be taken for dead.
Both numbers are module attributes, read when a store opens, so tests can shorten them.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from .liveness import here, session_alive
from .queries import Connection
from .records import Liveness

__all__ = ["HEARTBEAT_SECONDS", "GRACE_SECONDS", "SERVER_NOW", "Heartbeat", "ages", "liveness"]

#: How often a session's heartbeat is written, in seconds.
HEARTBEAT_SECONDS = 10.0
#: How old a heartbeat may be before its session is taken to be gone, in seconds.
GRACE_SECONDS = 60.0
#: The server's clock, in seconds since the epoch, as SQL.
SERVER_NOW = "CAST(extract(epoch FROM clock_timestamp()) AS double precision)"


class Heartbeat:
    """A daemon thread that writes session ``session``'s heartbeat every ``every`` seconds,
    through its own connection (``connect()`` opens one), until :meth:`stop`.

    A beat that fails (the server unreachable for a while) is tried again at the next one:
    the thread never raises, and a session whose beats stop for :data:`GRACE_SECONDS` is
    taken for gone by the others, as it should be.
    """

    def __init__(self, connect: Callable[[], Connection], session: int, every: float) -> None:
        self._connect = connect
        self._session = session
        self._every = every
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"hpmagic-heartbeat-{session}", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        conn: Connection | None = None
        while not self._stop.wait(self._every):
            try:
                if conn is None:
                    conn = self._connect()
                conn.execute(f"UPDATE sessions SET heartbeat = {SERVER_NOW} WHERE id = ?", (self._session,))
            except Exception:  # noqa: BLE001 - the next beat tries again, on a new connection
                _close(conn)
                conn = None
        _close(conn)

    def stop(self) -> None:
        """Stop beating (the session ended, or its store closed) and wait for the thread."""
        self._stop.set()
        self._thread.join(timeout=5 * self._every + 5)


def _close(conn: Connection | None) -> None:
    close = getattr(conn, "close", None)
    if close is not None:
        try:
            close()
        except Exception:  # noqa: BLE001 - a broken connection may fail to close; it is dropped either way
            pass
    return None


def ages(conn: Connection, study_id: int) -> dict[int, float | None]:
    """The age of each open session's last heartbeat in seconds, by the server's clock
    (``None``: it never beat)."""
    rows = conn.execute(
        f"SELECT id, {SERVER_NOW} - heartbeat FROM sessions WHERE study_id = ? AND ended IS NULL", (study_id,)
    ).fetchall()
    return {sid: age for sid, age in rows}


def liveness(location: str, heard: dict[int, float | None], grace: float) -> Liveness:
    """The rule: a session can still be running when its process is not surely gone (this
    host's check, :func:`.liveness.session_alive`) and, unless it is this very process's,
    its last heartbeat (``heard``, from :func:`ages`) is at most ``grace`` seconds old."""

    def live(sid: int, host: str, pid: int, token: str) -> bool:
        if not session_alive(location, sid, host, pid, token):
            return False
        if here(host, pid, token):
            return True
        age = heard.get(sid)
        return age is not None and age <= grace

    return live
