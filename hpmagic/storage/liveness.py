"""Is the process that wrote a "running" trial still alive?

A study file records, for each session, the host, the pid and a token that tells a
process apart from a later one given the same pid (its start time on Linux).  A trial
left "running" by a process that is gone was cut short (a crash, SIGKILL, a kernel
restart) and is shown, or marked, as interrupted.
"""

from __future__ import annotations

import os
import socket

__all__ = ["HOST", "process_token", "alive"]

#: This machine's name, as sessions record it.
HOST = socket.gethostname()


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
