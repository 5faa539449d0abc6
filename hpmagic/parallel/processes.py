"""``--jobs N``: N local worker processes, each started once per search.

Each worker receives the payload (the cell and the variables it reads) once, at start;
a trial then sends only ``(number, params)``.  A worker that dies (killed, a segfault,
``os._exit``) fails the trial it was running with "worker died" and a fresh worker takes
its place for the next trial.  Trials start as soon as one worker has loaded the payload
(which shows that it loads); the others take trials as they finish starting.  :meth:`ProcessExecutor.cancel` (a kernel interrupt) kills
the workers that run trials, and :meth:`~ProcessExecutor.close` ends them all, so no
process outlives the search.
"""

from __future__ import annotations

import os
import pickle
import queue
import signal
import subprocess
import sys
import threading
import time
import weakref
from typing import Any

from ..execution import CellProgram, Outcome
from ..result import TrialState
from .payload import make_payload
from .worker import read_frame, write_frame

__all__ = ["ProcessExecutor", "WorkerStartError"]

from ..api import OptionError


class WorkerStartError(OptionError):
    """The worker processes could not start or could not load the cell's variables."""


class _Worker:
    """One worker process, with a thread that writes to it and one that reads from it."""

    def __init__(self, index: int, events: queue.Queue, init: bytes, blob: bytes):
        self.index = index
        self.number: int | None = None  # the trial it runs
        self.submitted = 0.0
        self.ready = False
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "hpmagic.parallel.worker"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            cwd=os.getcwd(),
        )
        self._outbox: queue.Queue = queue.Queue()
        self.sent = 0  # bytes sent to this worker (the payload once, then small trial frames)
        for frame in (init, blob):
            self.send(frame)
        self._events = events
        threading.Thread(target=self._write, daemon=True, name=f"hpmagic-worker-{index}-writer").start()
        threading.Thread(target=self._read, daemon=True, name=f"hpmagic-worker-{index}-reader").start()

    def send(self, frame: bytes) -> None:
        self.sent += len(frame)
        self._outbox.put(frame)

    def _write(self) -> None:
        stdin = self.proc.stdin
        try:
            while (frame := self._outbox.get()) is not None:
                write_frame(stdin, frame)
            stdin.close()
        except (OSError, ValueError):
            pass  # the process is gone; the reader reports it

    def _read(self) -> None:
        try:
            while (frame := read_frame(self.proc.stdout)) is not None:
                self._events.put((self, pickle.loads(frame)))
        except Exception:  # noqa: BLE001 - a torn frame means the process died mid-write
            pass
        self._events.put((self, ("dead",)))

    def stop(self) -> None:
        """Ask an idle worker to finish (closes its stdin)."""
        self._outbox.put(None)

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self._outbox.put(None)

    def death_reason(self) -> str:
        try:
            code = self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            return "it stopped answering"
        if code < 0:
            try:
                return f"killed by signal {signal.Signals(-code).name}"
            except ValueError:
                return f"killed by signal {-code}"
        return f"exit code {code}"


class ProcessExecutor:
    """Runs trials in ``jobs`` local worker processes (the executor protocol of
    :mod:`hpmagic.execution`)."""

    def __init__(self, program: CellProgram, namespace: dict[str, Any], jobs: int, start_timeout: float = 120.0):
        self.capacity = jobs
        self.payload = make_payload(program, namespace, f"--jobs {jobs}")
        self._init = pickle.dumps(("init", list(sys.path)))
        self._events: queue.Queue = queue.Queue()
        self._workers: list[_Worker] = []
        self._spawned = 0
        self._sent = 0  # bytes sent to workers that are gone
        self._finalizer = weakref.finalize(self, _kill_all, self._workers)
        try:
            for _ in range(jobs):
                self._spawn()
            self._await_ready(start_timeout)
        except BaseException:
            self.close()
            raise

    # -- the executor protocol ---------------------------------------------------------

    def submit(self, number: int, params: dict[str, Any]) -> None:
        idle = [w for w in self._workers if w.number is None and w.proc.poll() is None]
        worker = max(idle, key=lambda w: w.ready) if idle else self._spawn()  # a started worker first
        worker.number = number
        worker.submitted = time.perf_counter()
        worker.send(pickle.dumps(("trial", number, params), protocol=pickle.HIGHEST_PROTOCOL))

    def wait(self) -> list[Outcome]:
        outcomes: list[Outcome] = []
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
        numbers = []
        for worker in list(self._workers):
            if worker.number is not None:
                numbers.append(worker.number)
                worker.kill()
                self._retire(worker)
        return numbers

    def close(self) -> None:
        workers = list(self._workers)
        for worker in workers:
            self._retire(worker)
        for worker in workers:
            if worker.number is None:
                worker.stop()
            else:
                worker.kill()
        deadline = time.monotonic() + 3.0
        for worker in workers:
            try:
                worker.proc.wait(timeout=max(deadline - time.monotonic(), 0.01))
            except subprocess.TimeoutExpired:
                worker.kill()
                worker.proc.wait()
        for worker in workers:
            for stream in (worker.proc.stdout,):
                try:
                    stream.close()
                except OSError:
                    pass

    # -- internals ---------------------------------------------------------------------

    @property
    def pids(self) -> list[int]:
        return [w.proc.pid for w in self._workers]

    @property
    def stats(self) -> dict[str, int]:
        """Workers started so far and bytes sent to all of them (for benchmarks and tests)."""
        return {"workers_started": self._spawned, "bytes_sent": self._sent + sum(w.sent for w in self._workers)}

    def _retire(self, worker: _Worker) -> None:
        self._workers.remove(worker)
        self._sent += worker.sent

    def _spawn(self) -> _Worker:
        worker = _Worker(self._spawned, self._events, self._init, self.payload.blob)
        self._spawned += 1
        self._workers.append(worker)
        return worker

    def _await_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while not any(w.ready for w in self._workers):
            try:
                worker, message = self._events.get(timeout=0.2)
            except queue.Empty:
                if time.monotonic() > deadline:
                    raise WorkerStartError(
                        f"the {self.capacity} worker processes did not start within {timeout:.0f} s; "
                        "fix: use fewer --jobs, or check that `python -m hpmagic.parallel.worker` runs"
                    ) from None
                continue
            kind = message[0]
            if kind == "ready":
                worker.ready = True
            elif kind == "load_error":
                raise WorkerStartError(_load_error_text(message[1]))
            elif kind == "dead":
                raise WorkerStartError(
                    f"a worker process died while starting ({worker.death_reason()}); "
                    "fix: run without --jobs to see whether the cell's variables load in a fresh Python"
                )

    def _handle(self, worker: _Worker, message: tuple) -> Outcome | None:
        if worker not in self._workers:
            return None  # a worker killed by cancel() saying goodbye
        kind = message[0]
        if kind == "ready":
            worker.ready = True
        elif kind == "outcome":
            worker.number = None
            return message[1]
        elif kind in ("dead", "load_error"):
            self._retire(worker)
            if worker.number is not None:
                if kind == "load_error":
                    why = f"a fresh worker could not load the cell's variables: {message[1]}"
                else:
                    why = f"worker died: the worker process running this trial ended ({worker.death_reason()})"
                return Outcome(
                    number=worker.number,
                    state=TrialState.FAILED,
                    duration=time.perf_counter() - worker.submitted,
                    error=why + "; the search went on with a fresh worker",
                )
        return None


def _load_error_text(error: str) -> str:
    return (
        f"the worker processes could not load the cell's variables: {error}\n"
        "  fix: a class or function a variable needs must be importable in a fresh Python started in "
        "the same directory (or be defined in the notebook); or run without --jobs"
    )


def _kill_all(workers: list[_Worker]) -> None:
    for worker in workers:
        try:
            worker.kill()
        except Exception:  # noqa: BLE001 - best effort at interpreter exit
            pass
