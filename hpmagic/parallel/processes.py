"""``--jobs N``: N local worker processes for one search.

A trial sends only ``(number, params)``: the payload (the cell and the variables it reads)
reaches the workers before, once.  On Linux one fresh process (the fork server, see
:mod:`.worker`) loads the payload and forks the workers, so it crosses a process boundary
once per search and workers start in milliseconds; elsewhere, or with the environment
variable ``HPMAGIC_WORKER_START=spawn``, each worker is a fresh interpreter that receives
the payload once at start.

A worker that dies (killed, a segfault, ``os._exit``) fails the trial it was running with
"worker died" and a fresh worker takes its place for the next trial.  Trials start as soon
as one worker has loaded the payload (which shows that it loads).  :meth:`cancel` (a
kernel interrupt) kills the workers that run trials, and :meth:`close` ends them all, so
no process outlives the search.
"""

from __future__ import annotations

import os
import pickle
import queue
import signal
import socket
import subprocess
import sys
import threading
import time
import weakref
from collections.abc import Callable
from typing import Any

from ..cell.program import CellProgram
from ..cell.report import Channel
from ..core import Trial, TrialState
from ..errors import HpmagicError, WorkerStartError
from .frames import dumps, read_frame, recv_frame, send_frame, write_frame
from .payload import make_payload

__all__ = ["ProcessExecutor"]


def _exit_text(code: int | None) -> str:
    if code is None:
        return "it stopped answering"
    if code < 0:
        try:
            return f"killed by signal {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exit code {code}"


def _worker_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "hpmagic.parallel.worker", *args]


class _Worker:
    """One worker process and the thread that reads its messages into the events queue."""

    number: int | None = None  # the trial it runs
    params: dict[str, Any] = {}  # and that trial's parameters
    on_report: Channel | None = None  # --prune: decides what its trials report, answered at once
    submitted = 0.0
    ready = False
    sent = 0  # bytes sent to it
    pid: int

    # What each kind of worker implements:
    def send(self, frame: bytes) -> None:
        raise NotImplementedError

    def alive(self) -> bool:
        raise NotImplementedError

    def stop(self) -> None:
        """Close its channel: it exits after its current trial."""
        raise NotImplementedError

    def kill(self) -> None:
        raise NotImplementedError

    def join(self, timeout: float) -> bool:
        """Wait for it to exit; True when it did."""
        raise NotImplementedError

    def death_reason(self) -> str:
        raise NotImplementedError

    def _read_loop(self, events: queue.Queue, receive: Callable[[], bytes | bytearray | None]) -> None:
        try:
            while (frame := receive()) is not None:
                message = pickle.loads(frame)
                if message[0] == "report":  # decided here, in the reader thread: one round trip
                    self.send(dumps(self._decide(message)))
                else:
                    events.put((self, message))
        except Exception:  # noqa: BLE001 - a torn frame means the process died mid-write
            pass
        events.put((self, ("dead",)))

    def _decide(self, message: tuple) -> tuple:
        """``("decision", prune, reason, rung)`` for a trial's ``("report", number, step, value, kind)``."""
        if self.on_report is None:
            return ("decision", False, "", None)
        try:
            return ("decision", *self.on_report.decide(*message[1:]))
        except HpmagicError as exc:
            return ("report_error", str(exc))


class _SpawnedWorker(_Worker):
    """A fresh interpreter fed over its stdin by a writer thread (the payload can be large)."""

    def __init__(self, events: queue.Queue, init: bytes, blob: bytes):
        self.proc = subprocess.Popen(_worker_command(), stdin=subprocess.PIPE, stdout=subprocess.PIPE, cwd=os.getcwd())
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.stdin, self.stdout = self.proc.stdin, self.proc.stdout
        self.pid = self.proc.pid
        self._outbox: queue.Queue = queue.Queue()
        for frame in (init, blob):
            self.send(frame)
        threading.Thread(target=self._write, daemon=True).start()
        threading.Thread(target=self._read_loop, args=(events, lambda: read_frame(self.stdout)), daemon=True).start()

    def send(self, frame: bytes) -> None:
        self.sent += len(frame)
        self._outbox.put(frame)

    def _write(self) -> None:
        try:
            while (frame := self._outbox.get()) is not None:
                write_frame(self.stdin, frame)
            self.stdin.close()
        except (OSError, ValueError):
            pass  # the process is gone; the reader reports it

    def alive(self) -> bool:
        return self.proc.poll() is None

    def stop(self) -> None:
        self._outbox.put(None)

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self._outbox.put(None)

    def join(self, timeout: float) -> bool:
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return False
        if self.proc.stdout is not None:
            self.proc.stdout.close()
        return True

    def death_reason(self) -> str:
        try:
            return _exit_text(self.proc.wait(timeout=5))
        except subprocess.TimeoutExpired:
            return _exit_text(None)


class _Zygote:
    """The fork server: loads the payload once and forks a worker per socket it is sent."""

    def __init__(self, init: bytes, blob: bytes, events: queue.Queue):
        self.ctl, child_end = socket.socketpair()
        self.proc = subprocess.Popen(
            _worker_command("--zygote", str(child_end.fileno())), pass_fds=(child_end.fileno(),), cwd=os.getcwd()
        )
        child_end.close()
        self.exits: dict[int, int] = {}
        self.gone = False
        self._exited = threading.Condition()
        self._forked: queue.Queue = queue.Queue()
        self._events = events
        self._lock = threading.Lock()
        threading.Thread(target=self._read, daemon=True).start()
        with self._lock:
            send_frame(self.ctl, init)
            send_frame(self.ctl, blob)

    def _read(self) -> None:
        try:
            while (frame := recv_frame(self.ctl)) is not None:
                message = pickle.loads(frame)
                if message[0] == "forked":
                    self._forked.put(message[1])
                elif message[0] == "exited":
                    with self._exited:
                        self.exits[message[1]] = message[2]
                        self._exited.notify_all()
                else:  # loaded, load_error
                    self._events.put((self, message))
        except (OSError, EOFError, pickle.UnpicklingError):
            pass
        with self._exited:
            self.gone = True  # no more exit reports will come
            self._exited.notify_all()
        self._forked.put(None)
        self._events.put((self, ("dead",)))

    def fork(self, events: queue.Queue) -> _ForkedWorker:
        mine, theirs = socket.socketpair()
        try:
            with self._lock:
                socket.send_fds(self.ctl, [b"F"], [theirs.fileno()])
        finally:
            theirs.close()
        pid = self._forked.get(timeout=30)
        if pid is None:
            mine.close()
            raise OSError("the fork server is gone")
        return _ForkedWorker(self, pid, mine, events)

    def exit_code(self, pid: int, timeout: float) -> int | None:
        with self._exited:
            self._exited.wait_for(lambda: pid in self.exits or self.gone, timeout=timeout)
            return self.exits.get(pid)

    def alive(self) -> bool:
        return self.proc.poll() is None

    def close(self, timeout: float = 5.0) -> None:
        """Closing the control socket makes the zygote kill and reap its workers, then exit."""
        try:
            self.ctl.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.ctl.close()
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()  # its workers notice within half a second and exit
            self.proc.wait()


class _ForkedWorker(_Worker):
    def __init__(self, zygote: _Zygote, pid: int, sock: socket.socket, events: queue.Queue):
        self.zygote, self.pid, self.sock = zygote, pid, sock
        threading.Thread(target=self._read_loop, args=(events, lambda: recv_frame(sock)), daemon=True).start()

    def send(self, frame: bytes) -> None:
        self.sent += len(frame)
        try:
            send_frame(self.sock, frame)
        except OSError:
            pass  # the process is gone; the reader reports it

    def alive(self) -> bool:
        return self.pid not in self.zygote.exits

    def stop(self) -> None:
        try:
            self.sock.shutdown(socket.SHUT_WR)
        except OSError:
            pass

    def kill(self) -> None:
        if self.alive():
            try:
                os.kill(self.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass

    def join(self, timeout: float) -> bool:
        done = self.zygote.exit_code(self.pid, timeout) is not None or not self.zygote.alive()
        if done:
            self.sock.close()
        return done

    def death_reason(self) -> str:
        return _exit_text(self.zygote.exit_code(self.pid, 5))


def _use_fork_server() -> bool:
    choice = os.environ.get("HPMAGIC_WORKER_START", "").lower()
    if choice in ("spawn", "fork-server"):
        return choice == "fork-server"
    return sys.platform.startswith("linux") and hasattr(socket, "send_fds")


class ProcessExecutor:
    """Runs trials in ``jobs`` local worker processes (a :class:`~hpmagic.protocols.TrialExecutor`)."""

    def __init__(
        self,
        program: CellProgram,
        namespace: dict[str, Any],
        jobs: int,
        start_timeout: float = 120.0,
        pruning: Channel | None = None,
    ):
        self.capacity = jobs
        self.pruning = pruning
        self.payload = make_payload(program, namespace, f"--jobs {jobs}")
        self.notes = self.payload.notes  # for the summary: isolating the trials costs much
        self._init = dumps(("init", list(sys.path)))
        self._events: queue.Queue = queue.Queue()
        self._workers: list[_Worker] = []
        self._spawned = 0
        self._sent = 0  # bytes sent to workers that are gone, and to the fork server
        self._zygote: _Zygote | None = None
        self._finalizer = weakref.finalize(self, _kill_all, self._workers)
        try:
            if _use_fork_server():
                self._zygote = _Zygote(self._init, self.payload.blob, self._events)
                self._sent += len(self._init) + self.payload.size
                self._finalizer = weakref.finalize(self, _kill_all, self._workers, self._zygote)
                self._await_loaded(start_timeout)
            for _ in range(jobs):
                self._spawn()
            self._await_ready(start_timeout)
        except BaseException:
            self.close()
            raise

    # -- the executor protocol ---------------------------------------------------------

    def submit(self, number: int, params: dict[str, Any]) -> None:
        """Hand trial ``number`` to an idle worker (the longest started first), or start one."""
        idle = [w for w in self._workers if w.number is None and w.alive()]
        worker = max(idle, key=lambda w: w.ready) if idle else self._spawn()  # a started worker first
        worker.number, worker.params = number, params
        worker.submitted = time.perf_counter()
        worker.send(dumps(("trial", number, params, self.pruning is not None)))

    def wait(self) -> list[Trial]:
        """Wait until at least one worker is done and return the records of every trial that ended (a dead worker's:
        failed)."""
        outcomes: list[Trial] = []
        block = True
        while True:
            try:
                # a short timeout keeps the kernel's interrupt (KeyboardInterrupt) responsive
                worker, message = self._events.get(timeout=0.2) if block else self._events.get_nowait()
            except queue.Empty:
                if outcomes:
                    return outcomes
                continue
            outcome = self._handle(worker, message)
            if outcome is not None:
                outcomes.append(outcome)
                block = False

    def cancel(self) -> list[int]:
        """Kill the workers running a trial and return those trials' numbers."""
        numbers = []
        for worker in list(self._workers):
            if worker.number is not None:
                numbers.append(worker.number)
                worker.kill()
                self._retire(worker)
        return numbers

    def close(self) -> None:
        """Stop every worker (a busy one is killed) and wait for them to go."""
        workers = list(self._workers)
        for worker in workers:
            self._retire(worker)
            if worker.number is None:
                worker.stop()
            else:
                worker.kill()
        deadline = time.monotonic() + 3.0
        for worker in workers:
            if not worker.join(max(deadline - time.monotonic(), 0.01)):
                worker.kill()
                worker.join(5.0)
        if self._zygote is not None:
            self._zygote.close()

    # -- internals ---------------------------------------------------------------------

    @property
    def pids(self) -> list[int]:
        """The process ids of the workers alive now."""
        return [w.pid for w in self._workers]

    @property
    def stats(self) -> dict[str, int]:
        """Workers started so far and bytes sent to worker processes (for benchmarks and tests)."""
        return {"workers_started": self._spawned, "bytes_sent": self._sent + sum(w.sent for w in self._workers)}

    def _retire(self, worker: _Worker) -> None:
        self._workers.remove(worker)
        self._sent += worker.sent

    def _spawn(self) -> _Worker:
        worker: _Worker | None = None
        if self._zygote is not None and self._zygote.alive():
            try:
                worker = self._zygote.fork(self._events)
            except (OSError, queue.Empty):
                worker = None  # the fork server is gone: fall back to fresh interpreters
        if worker is None:
            worker = _SpawnedWorker(self._events, self._init, self.payload.blob)
        worker.on_report = self.pruning
        self._spawned += 1
        self._workers.append(worker)
        return worker

    def _next_event(self, deadline: float, timeout: float) -> tuple[Any, tuple] | None:
        try:
            return self._events.get(timeout=0.2)
        except queue.Empty:
            if time.monotonic() > deadline:
                raise WorkerStartError(
                    f"the {self.capacity} worker processes did not start within {timeout:.0f} s; "
                    "fix: use fewer --jobs, or check that `python -m hpmagic.parallel.worker` runs"
                ) from None
            return None

    def _await_loaded(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while True:
            event = self._next_event(deadline, timeout)
            if event is None:
                continue
            _, message = event
            if message[0] == "loaded":
                return
            if message[0] == "load_error":
                raise WorkerStartError(_load_error_text(message[1]))
            if message[0] == "dead":
                raise WorkerStartError(
                    f"the worker process died while loading the cell's variables ({self._zygote_exit()}); "
                    "fix: run without --jobs to see whether the cell's variables load in a fresh Python"
                )

    def _zygote_exit(self) -> str:
        return _exit_text(self._zygote.proc.wait() if self._zygote is not None else None)

    def _await_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while not any(w.ready for w in self._workers):
            event = self._next_event(deadline, timeout)
            if event is None:
                continue
            worker, message = event
            kind = message[0]
            if kind == "ready":
                worker.ready = True
            elif kind == "load_error":
                raise WorkerStartError(_load_error_text(message[1]))
            elif kind == "dead" and isinstance(worker, _Worker):
                raise WorkerStartError(
                    f"a worker process died while starting ({worker.death_reason()}); "
                    "fix: run without --jobs to see whether the cell's variables load in a fresh Python"
                )

    def _handle(self, worker: Any, message: tuple) -> Trial | None:
        if worker not in self._workers:
            return None  # a worker killed by cancel(), or the fork server, saying goodbye
        kind = message[0]
        if kind == "ready":
            worker.ready = True
        elif kind == "outcome":
            worker.number = None
            return message[1].finish(worker=f"pid {worker.pid}")  # where it ran: the workers' timeline
        elif kind in ("dead", "load_error"):
            self._retire(worker)
            if worker.number is not None:
                if kind == "load_error":
                    why = f"a fresh worker could not load the cell's variables: {message[1]}"
                else:
                    why = f"worker died: the worker process running this trial ended ({worker.death_reason()})"
                return Trial(
                    number=worker.number,
                    params=worker.params,
                    state=TrialState.FAILED,
                    duration=time.perf_counter() - worker.submitted,
                    started=time.time() - (time.perf_counter() - worker.submitted),
                    worker=f"pid {worker.pid}",
                    error=why + "; the search went on with a fresh worker",
                )
        return None


def _load_error_text(error: str) -> str:
    return (
        f"the worker processes could not load the cell's variables: {error}\n"
        "  fix: a class or function a variable needs must be importable in a fresh Python started in "
        "the same directory (or be defined in the notebook); or run without --jobs"
    )


def _kill_all(workers: list[_Worker], zygote: _Zygote | None = None) -> None:
    for worker in workers:
        try:
            worker.kill()
        except Exception:  # noqa: BLE001 - best effort at interpreter exit
            pass
    if zygote is not None and zygote.proc.poll() is None:
        zygote.proc.kill()
