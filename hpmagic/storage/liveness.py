"""Is the process that wrote a "running" trial still alive?

A study file records, for each session, the host, the pid and a token that tells a
process apart from a later one given the same pid (its start time on Linux).  A trial
left "running" by a process that is gone was cut short (a crash, SIGKILL, a kernel
restart) and is shown, or marked, as interrupted.

A session of this very process is alive while its store is open (:func:`opened`,
:func:`closed`): a search whose store closed without recording its end (the file could
not be written: a full disk) left its "running" trials behind in a process that lives on,
and the next open of the study marks them (:func:`session_alive`).

This is the SQLite store's whole rule; a store shared by several hosts adds a heartbeat
(:mod:`.heartbeat`), since a process on another machine cannot be asked.
"""

from __future__ import annotations

import os
import socket
from pathlib import Path

__all__ = ["HOST", "process_token", "alive", "opened", "closed", "here", "session_alive"]

#: This machine's name, as sessions record it.
HOST = socket.gethostname()
_open: set[tuple[str, int]] = set()  # (study file or location, session id) of the sessions this process has open


def process_token(pid: int) -> str | None:
    """The start time of process ``pid`` (Linux), so a reused pid is not taken for the old
    process; ``"dead"`` for a zombie or no process; ``None`` when it cannot be told."""
    try:
        with open(f"/proc/{pid}/stat") as handle:
            fields = handle.read().rsplit(")", 1)[1].split()
    except FileNotFoundError:
        return "dead"
    except OSError:
        return None
    if fields[0] in ("Z", "X"):
        return "dead"
    return fields[19]


def alive(host: str, pid: int, token: str) -> bool:
    """False when process ``pid`` of ``host``, started as ``token`` says, is surely gone.

    A process on another machine cannot be checked, so it counts as alive: its trials are
    left as they are.
    """
    if host != HOST:
        return True
    now = process_token(pid)
    if now == "dead":
        return False
    if now is not None:
        return not token or now == token
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True
    return True


def opened(path: Path | str, session: int) -> None:
    """This process opened ``session`` of the study file ``path`` (or of the storage at that location)."""
    _open.add((str(path), session))


def closed(path: Path | str, session: int) -> None:
    """This process closed ``session`` of the study file ``path`` (whether or not its end was recorded)."""
    _open.discard((str(path), session))


def here(host: str, pid: int, token: str) -> bool:
    """True when the session's process is this very process (not an older one that had its pid)."""
    return host == HOST and pid == os.getpid() and (not token or token == process_token(pid))


def session_alive(path: Path | str | None, session: int, host: str, pid: int, token: str) -> bool:
    """Whether the run ``session`` of the study file ``path`` can still be running: in this
    process, while its store is open; elsewhere, while its process is alive (:func:`alive`)."""
    if path is not None and here(host, pid, token):
        return (str(path), session) in _open
    return alive(host, pid, token)
