"""``--executor``: trials on an engine the user already has.

One executor, :class:`EngineExecutor`, speaks hpmagic's executor protocol; a small adapter
per engine says how many trials fit, how the payload reaches the workers once, how one trial
is submitted, and how finished trials are collected:

- **Dask** (``dask.distributed.Client``): the payload is installed on every worker with
  ``client.run`` (on a worker that restarts or joins later, when it first asks for it); a
  trial names it by key and depends on no Dask data, so a worker that dies fails only the
  trial it ran (Dask retries it elsewhere and reports ``KilledWorker``).  Workers of a
  local cluster in the kernel's process group ignore SIGINT, so the stop button does not
  kill them (:func:`shield_workers`, first thing in set-up; the plugin, for workers that
  start later).  Finished trials are gathered in one batch.
- **ipyparallel** (a ``Client``, ``DirectView`` or ``LoadBalancedView``): the payload is
  pushed into every engine's namespace once; trials go through a load-balanced view and
  refer to it with ``ipyparallel.Reference``.
- **any** ``concurrent.futures.Executor``: a thread pool shares the kernel's memory, so
  nothing is pickled; for other pools (``ProcessPoolExecutor``, loky, mpi4py...) the first
  trials carry the payload, and a worker that does not hold it yet asks for it once.

What each engine needs is its adapter's (:mod:`.adapters`); this module is the executor over
them.  Each worker loads a payload once (:mod:`hpmagic.parallel.remote`).  With ``--prune``, a
thread pool's trials ask the search's pruning service directly; every other engine's
trials ask a report server in the kernel (:mod:`.reports`), which this executor starts
and closes: each report is one round trip, decided at once.  On a kernel
interrupt the trials still queued are cancelled; trials already running on a shared
engine cannot be stopped from outside and finish there in the background (their results
are discarded).

An engine with no workers is an :class:`~hpmagic.errors.ExecutorError`: at the start,
once :data:`START_GRACE` seconds passed without one (no 60 s wait); during the search,
once it has had none for :data:`LOST_GRACE` seconds while trials wait (every engine died),
which stops the search and keeps the finished trials.  An adaptive Dask cluster is
exempt: it starts workers when trials are queued.
"""

from __future__ import annotations

import time
from typing import Any

from ..cell.capture import uninstall_routers
from ..cell.globalstate import Streams
from ..cell.program import CellProgram
from ..cell.report import Channel
from ..core import Trial, TrialState
from ..errors import ExecutorError
from . import remote
from .adapters import LOST_GRACE, START_GRACE, Adapter, adapter_for, shield_workers
from .reports import RemoteChannel, ReportServer, start_server

__all__ = ["EngineExecutor", "engine_executor", "shield_workers", "START_GRACE", "LOST_GRACE"]

_DIED = ("KilledWorker", "EngineError", "BrokenProcessPool", "BrokenExecutor", "BrokenThreadPool")


def engine_executor(
    engine: Any,
    program: CellProgram,
    namespace: dict[str, Any],
    jobs: int | None = None,
    pruning: Channel | None = None,
) -> EngineExecutor:
    """An executor for ``engine``; ``jobs`` (if given) caps the trials kept in flight;
    ``pruning`` decides what the trials report (``--prune``)."""
    return EngineExecutor(adapter_for(engine), program, namespace, jobs, pruning)


class EngineExecutor:
    """Keeps up to ``capacity`` trials in flight on an engine (see the module docstring); a
    :class:`~hpmagic.protocols.TrialExecutor`.

    With ``pruning`` (``--prune``), trials in threads of this process report to it directly;
    trials elsewhere report to a :class:`~.reports.ReportServer` this executor starts (on
    the address :func:`~.reports.server_address` chooses for the engine's hosts) and
    closes with itself.
    """

    def __init__(
        self,
        adapter: Adapter,
        program: CellProgram,
        namespace: dict[str, Any],
        jobs: int | None = None,
        pruning: Channel | None = None,
    ):
        self.adapter = adapter
        self.capacity = max(1, jobs if jobs and jobs > 1 else adapter.capacity())
        self.payload = adapter.prepare(program, namespace)
        self.notes = self.payload.notes  # for the summary: what could not be isolated, or costs much
        self._futures: dict[Any, tuple[int, dict[str, Any], float]] = {}
        self._lost_since: float | None = None
        self._streams: Streams | None = None  # the kernel's, which trials in its threads reseed
        self.reports: ReportServer | None = None
        if pruning is not None:
            try:
                adapter.channel = pruning if adapter.in_process else self._serve_reports(pruning)
            except BaseException:
                adapter.release()
                raise

    def _serve_reports(self, pruning: Channel) -> RemoteChannel:
        self.reports = start_server(pruning, self.adapter.peers())
        return self.reports.remote()

    def submit(self, number: int, params: dict[str, Any]) -> None:
        """Send trial ``number`` to the engine (the kernel's random streams saved before the first)."""
        if self._streams is None:
            self._streams = Streams()
        self._submit(number, params, time.perf_counter(), with_payload=False)

    def _submit(self, number: int, params: dict[str, Any], submitted: float, with_payload: bool) -> None:
        future = self.adapter.submit(number, params, with_payload)
        self._futures[future] = (number, params, submitted)

    def wait(self) -> list[Trial]:
        """Wait until at least one trial in flight is back and return their records (a lost task: a failed trial)."""
        if not self._futures:
            raise RuntimeError("wait() called with no trial in flight")
        while True:
            # a short timeout keeps the kernel's interrupt (KeyboardInterrupt) responsive
            done = self.adapter.wait(list(self._futures), timeout=0.2)
            outcomes = []
            for future, result in self.adapter.results(done):
                number, params, submitted = self._futures.pop(future)
                outcome = self._outcome(result, number, params, submitted)
                if isinstance(outcome, str) and outcome == remote.NEED_PAYLOAD:  # a copy of it, from a worker
                    self._submit(number, params, submitted, with_payload=True)
                else:
                    outcomes.append(outcome)
            if outcomes:
                return outcomes
            if not done:
                self._watch_workers()

    def _watch_workers(self) -> None:
        """Stop with a clear error when the engine has had no workers for :data:`LOST_GRACE` s."""
        now = time.monotonic()  # checked every 0.2 s, so that a worker that restarts is seen while it lives
        if self.adapter.workers() != 0:
            self._lost_since = None
        elif self._lost_since is None:
            self._lost_since = now
        elif now - self._lost_since >= LOST_GRACE:
            raise ExecutorError(self.adapter.lost_text(len(self._futures)))

    def _outcome(self, result: Any, number: int, params: dict[str, Any], submitted: float) -> Any:
        if isinstance(result, BaseException):  # the engine failed this trial
            exc = result
            name = type(exc).__name__
            if any(marker in name for marker in _DIED):
                why = f"worker died: {name}: {exc}"
            else:
                why = f"the executor could not run this trial: {name}: {exc}"
            return Trial(
                number=number,
                params=params,
                state=TrialState.FAILED,
                duration=time.perf_counter() - submitted,
                error=why,
            )
        return result

    def cancel(self) -> list[int]:
        """Cancel every task in flight (a running one ends at its next report) and return their numbers."""
        numbers = [number for number, _, _ in self._futures.values()]
        self.adapter.cancel(list(self._futures))
        self._futures.clear()
        return numbers

    def close(self) -> None:
        """Cancel what is in flight, release the engine's payload, stop the report server and put the random streams
        back."""
        if self._futures:
            self.cancel()
        self.adapter.release()
        if self.reports is not None:
            self.reports.close()  # after the trials: one still running on an engine fails at its next report
            self.reports = None
        uninstall_routers()  # only if trials ran in threads of this very process
        streams, self._streams = self._streams, None
        if streams is not None:  # (a trial still running in a thread of the kernel may reseed them after this)
            streams.restore()
