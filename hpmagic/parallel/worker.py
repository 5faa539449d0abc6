"""Local worker processes for ``--jobs``: ``python -m hpmagic.parallel.worker [--zygote FD]``.

Workers start from a fresh interpreter (never a fork of the kernel, and not through
multiprocessing, which would re-import the notebook's or script's ``__main__``).  Two ways:

- **fork server** (Linux): one fresh process, the *zygote*, receives the payload over a
  Unix socket, loads it once, and forks a worker whenever the kernel sends it a socket for
  one.  Workers start in milliseconds and share the loaded variables copy-on-write; the
  payload crosses a process boundary once per search.  The zygote reports each worker's
  exit status, and kills its workers when the kernel closes the control socket.
- **spawn** (elsewhere, or ``HPMAGIC_WORKER_START=spawn``): each worker is its own fresh
  interpreter and receives the payload over its stdin.

Frames are length-prefixed pickles (:mod:`.frames`):

    kernel -> worker   [("init", sys_path), payload bytes, spawn only], ("trial", number, params)...
    worker -> kernel   ("ready", pid) or ("load_error", text), then ("outcome", Trial) per trial

Each trial runs in :func:`hpmagic.cell.trial.run_trial`, the same body as in the kernel.

A cell (or a C library) writing to file descriptor 1 cannot corrupt the protocol: fd 1 is
pointed at stderr first.  Workers ignore SIGINT (the kernel decides what an interrupt
means and kills workers itself) and exit when their channel closes or their parent dies.
"""

from __future__ import annotations

import os
import pickle
import signal
import socket
import sys
import threading
import time
import traceback
from collections.abc import Callable
from typing import Any

from .frames import dumps, read_frame, recv_frame, send_frame, write_frame

Send = Callable[[Any], None]


def _watch_parent(parent: int) -> None:
    """Exit when the parent is gone, even in the middle of a trial (no orphans)."""
    while True:
        time.sleep(0.5)
        if os.getppid() != parent:
            os._exit(3)


def _detach_stdout() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    os.dup2(2, 1)
    sys.stdout = sys.stderr


def _receive_payload(receive: Callable[[], bytes | bytearray | None], send: Send) -> tuple[Any, Any] | None:
    """The kernel sends ``("init", sys_path)`` and then the payload: load it once.

    Returns ``(program, snapshot)`` (each trial restores its own copy of the variables from
    the snapshot, :mod:`hpmagic.cell.isolation`), or None when the channel closed first or the payload
    could not be loaded (then the kernel has been told why, as ``("load_error", text)``).
    """
    init = receive()
    blob = receive() if init is not None else None
    if blob is None:
        return None
    sys.path[:] = list(dict.fromkeys([*pickle.loads(init)[1], *sys.path]))  # type: ignore[arg-type]
    try:
        from .remote import load_payload

        program, snapshot = load_payload(blob)
    except BaseException as exc:  # noqa: BLE001 - reported to the kernel as a clear error
        send(("load_error", "".join(traceback.format_exception_only(type(exc), exc)).strip()))
        return None
    return program, snapshot


def serve(receive: Callable[[], bytes | bytearray | None], send: Send, program: Any, snapshot: Any) -> None:
    """Announce readiness, then run trials until the channel closes."""
    from ..cell.trial import run_trial

    send(("ready", os.getpid()))
    while (frame := receive()) is not None:
        _, number, params, prune = pickle.loads(frame)
        channel = _KernelChannel(send, receive) if prune else None
        # The kernel decides what an interrupt means; a KeyboardInterrupt the cell raises fails its trial.
        trial = run_trial(program, snapshot, number, params, interrupt_stops_search=False, channel=channel)
        send(("outcome", trial))


class _KernelChannel:
    """A trial's reports, decided by the kernel over the worker's own connection (one round trip)."""

    def __init__(self, send: Send, receive: Callable[[], bytes | bytearray | None]):
        self.send, self.receive = send, receive

    def decide(self, number: int, step: float, value: Any, kind: str) -> tuple[bool, str, float | None]:
        self.send(("report", number, step, value, kind))
        frame = self.receive()
        if frame is None:
            os._exit(0)  # the kernel closed the search while the trial waited for its answer
        answer = pickle.loads(frame)
        if answer[0] == "report_error":
            from ..errors import ReportError

            raise ReportError(answer[1])
        _, prune, reason, rung = answer
        return prune, reason, rung


def main_spawned() -> None:
    """A worker started on its own: trials come on stdin, results go back on a copy of stdout."""
    protocol_out = os.fdopen(os.dup(1), "wb")
    _detach_stdout()
    protocol_in = sys.stdin.buffer
    threading.Thread(target=_watch_parent, args=(os.getppid(),), daemon=True).start()

    def send(message: Any) -> None:
        write_frame(protocol_out, dumps(message))

    loaded = _receive_payload(lambda: read_frame(protocol_in), send)
    if loaded is not None:
        serve(lambda: read_frame(protocol_in), send, *loaded)


def main_zygote(fd: int) -> None:
    """The zygote: forks a worker per request on the control socket ``fd``, each already past the imports."""
    _detach_stdout()
    ctl = socket.socket(fileno=fd)
    lock = threading.Lock()
    children: set[int] = set()
    threading.Thread(target=_watch_parent, args=(os.getppid(),), daemon=True).start()

    def tell(message: Any) -> None:
        with lock:
            send_frame(ctl, dumps(message))

    loaded = _receive_payload(lambda: recv_frame(ctl), tell)
    if loaded is None:
        return
    import gc

    gc.collect()
    gc.freeze()  # keep the loaded variables' pages shared with the forked workers
    tell(("loaded",))
    threading.Thread(target=_reap, args=(children, tell), daemon=True).start()
    _fork_workers(ctl, children, tell, *loaded)
    for pid in list(children):
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    deadline = time.monotonic() + 5
    while children and time.monotonic() < deadline:
        time.sleep(0.01)


def _reap(children: set[int], tell: Send) -> None:
    """Collect exited workers and report each exit status to the kernel."""
    while True:
        try:
            pid, status = os.waitpid(-1, 0)
        except ChildProcessError:
            time.sleep(0.05)
            continue
        children.discard(pid)
        try:
            tell(("exited", pid, os.waitstatus_to_exitcode(status)))
        except OSError:
            pass  # the kernel is gone or done; keep reaping


def _fork_workers(ctl: socket.socket, children: set[int], tell: Send, program: Any, snapshot: Any) -> None:
    """Fork a worker for each socket the kernel sends, until the kernel closes the control socket."""
    me = os.getpid()
    while True:
        try:
            message, fds, _, _ = socket.recv_fds(ctl, 16, 1)
        except OSError:
            return
        if not message:
            return  # the kernel closed the search
        if not fds:
            continue
        pid = os.fork()
        if pid == 0:
            ctl.close()
            _forked_worker(fds[0], me, program, snapshot)  # never returns
        os.close(fds[0])
        children.add(pid)
        tell(("forked", pid))


def _forked_worker(fd: int, zygote: int, program: Any, snapshot: Any) -> None:
    """A worker forked by the fork server: serve trials on socket ``fd``, then exit."""
    code = 0
    try:
        sock = socket.socket(fileno=fd)
        threading.Thread(target=_watch_parent, args=(zygote,), daemon=True).start()
        serve(lambda: recv_frame(sock), lambda message: send_frame(sock, dumps(message)), program, snapshot)
    except BaseException:  # noqa: BLE001
        code = 1
    finally:
        os._exit(code)


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--zygote":
        main_zygote(int(sys.argv[2]))
    else:
        main_spawned()
