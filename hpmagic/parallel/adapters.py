"""How :class:`~hpmagic.parallel.engines.EngineExecutor` speaks to each kind of engine.

An :class:`Adapter` knows one engine: how many trials fit (:meth:`Adapter.capacity`, which
refuses an engine with no workers), how the payload reaches the workers once
(:meth:`Adapter.prepare`), how one trial is submitted, waited for and collected, how many
workers there are and on which hosts, and what to release at the end.  :func:`adapter_for`
picks one for ``--executor``'s object: Dask, ipyparallel, a thread pool, or any other
``concurrent.futures.Executor`` (see the module docstring of :mod:`.engines` for what each
does).  :func:`shield_workers` keeps the stop button from killing a local Dask cluster's
workers.
"""

from __future__ import annotations

import concurrent.futures as cf
import os
import socket
import time
from typing import Any
from urllib.parse import urlsplit

from ..cell.isolation import Snapshot
from ..cell.program import CellProgram
from ..errors import ExecutorError, OptionError, WorkerStartError
from . import remote
from .payload import Payload, make_payload, select_namespace

__all__ = ["Adapter", "adapter_for", "shield_workers", "START_GRACE", "LOST_GRACE"]

#: Seconds a client with no workers is given to get one before the search refuses to start.
START_GRACE = 3.0
#: Seconds an engine may have no workers during a search (a worker restarting) before the search stops.
LOST_GRACE = 10.0


def shield_workers(engine: Any) -> None:
    """Tell the workers of a Dask cluster in the kernel's process group to ignore the stop
    button's SIGINT (:func:`.remote.ignore_stops`), first thing in a search's set-up: Jupyter
    signals the whole group, and making and sending the payload can take seconds.  Best
    effort: a client that cannot run it is refused later, with its own message."""
    if (type(engine).__module__ or "").startswith("distributed") and hasattr(engine, "run"):
        try:
            engine.run(remote.ignore_stops, _kernel_group())
        except Exception:  # noqa: BLE001 - closed, or no scheduler: capacity() says so
            pass


def _kernel_group() -> tuple[str, int] | None:
    """This process's host and process group, which the stop button signals as a whole."""
    return (socket.gethostname(), os.getpgid(0)) if hasattr(os, "getpgid") else None


def adapter_for(engine: Any) -> Adapter:
    """The adapter that speaks to ``engine``; anything else is an OptionError naming what can be passed."""
    module = type(engine).__module__ or ""
    if module.startswith("distributed") and hasattr(engine, "scatter"):
        adapter: Adapter = _DaskAdapter(engine)
    elif module.startswith("ipyparallel"):
        adapter = _IpyparallelAdapter(engine)
    elif isinstance(engine, cf.ThreadPoolExecutor):
        adapter = _ThreadPoolAdapter(engine)
    elif isinstance(engine, cf.Executor):
        adapter = _FuturesAdapter(engine)
    else:
        raise OptionError(
            f"--executor: {type(engine).__module__}.{type(engine).__qualname__} is not an executor hpmagic can use; "
            "pass a dask.distributed.Client, an ipyparallel Client or View, or a concurrent.futures.Executor"
        )
    return adapter


class Adapter:
    """What :class:`~hpmagic.parallel.engines.EngineExecutor` asks of an engine; a subclass per kind of engine."""

    payload: Payload
    channel: Any = None  # how the trials' reports reach the search's pruning rule (None: no --prune)
    in_process = False  # trials run in threads of this process (they report to the rule directly)

    def capacity(self) -> int:
        """How many trials to keep in flight; an engine with no workers is an ExecutorError."""
        raise NotImplementedError

    def prepare(self, program: CellProgram, namespace: dict[str, Any]) -> Payload:
        """Make the payload (the cell and the variables it reads) and see that the workers can get it."""
        raise NotImplementedError

    def submit(self, number: int, params: dict[str, Any], with_payload: bool) -> cf.Future:
        """Submit trial ``number``, carrying the payload itself when ``with_payload`` (a worker asked for it)."""
        raise NotImplementedError

    def workers(self) -> int:
        """How many workers the engine has now; -1 when it cannot tell (or they come on demand)."""
        return -1

    def peers(self) -> list[str]:
        """The hosts (names or addresses) the workers run on; none: this machine (a process pool)."""
        return []

    def lost_text(self, waiting: int) -> str:
        """The error when every worker is gone and ``waiting`` trials wait for one."""
        return f"--executor: the engine has no workers left, and {waiting} trials were waiting for one"

    def wait(self, futures: list[Any], timeout: float) -> list[Any]:
        """The futures that are done, waiting at most ``timeout`` for the first."""
        done, _ = cf.wait(futures, timeout=timeout, return_when=cf.FIRST_COMPLETED)
        return list(done)

    def results(self, done: list[Any]) -> list[tuple[Any, Any]]:
        """``(future, result or the exception it raised)`` for each done future."""
        pairs = []
        for future in done:
            try:
                pairs.append((future, future.result()))
            except BaseException as exc:  # noqa: BLE001
                pairs.append((future, exc))
        return pairs

    def cancel(self, futures: list[Any]) -> None:
        """Cancel ``futures`` as far as the engine can (a running task may go on)."""
        for future in futures:
            future.cancel()

    def release(self) -> None:
        """Let go of what :meth:`prepare` installed on the workers (nothing by default)."""


class _DaskAdapter(Adapter):
    """Dask futures, waited on and gathered in batches (one round trip for all that ended)."""

    def __init__(self, client: Any):
        self.client = client
        self._plugin = ""

    def capacity(self) -> int:
        status = getattr(self.client, "status", "running")
        if status in ("closing", "closed"):
            raise ExecutorError(
                f"--executor: the Dask client is {status}, so it cannot run trials; "
                "make a new one, e.g. `client = Client(cluster)`, and run the cell again"
            )
        threads = self.client.nthreads()
        if not threads and self._adaptive() is not None:
            maximum = getattr(self._adaptive(), "maximum", 0)
            return int(maximum) if 0 < maximum < 1_000 else os.cpu_count() or 1  # workers come when trials queue
        if not threads:
            try:
                self.client.wait_for_workers(1, timeout=START_GRACE)
            except Exception:  # noqa: BLE001
                raise ExecutorError(
                    f"--executor: the Dask cluster has no workers (none connected within {START_GRACE:.0f} s), so no "
                    "trial can run; fix: start some, or for a LocalCluster whose workers a stop ended, make a new one "
                    "(`cluster.close(); cluster = LocalCluster(); client = Client(cluster)`), or use --jobs N"
                ) from None
            threads = self.client.nthreads()
        return sum(threads.values())

    def _adaptive(self) -> Any:
        return getattr(getattr(self.client, "cluster", None), "_adaptive", None)

    def workers(self) -> int:
        if self._adaptive() is not None:
            return -1
        try:
            return len(self.client.nthreads())
        except Exception:  # noqa: BLE001 - a client that lost its scheduler has no workers to offer
            return 0

    def peers(self) -> list[str]:
        try:
            info = self.client.scheduler_info()
        except Exception:  # noqa: BLE001 - no scheduler to ask: the scheduler's address below
            info = {}
        addresses = [*info.get("workers", {}), info.get("address") or getattr(self.client.scheduler, "address", "")]
        return [_host(a) for a in addresses if a and not str(a).startswith("inproc://")]

    def lost_text(self, waiting: int) -> str:
        return (
            f"--executor: the Dask cluster has had no workers for {LOST_GRACE:.0f} s (they died or were stopped), "
            f"and {waiting} trials were waiting for one; fix: start workers again (for a LocalCluster, make a "
            "new one) and run the cell again; with --study it resumes where it stopped"
        )

    def prepare(self, program: CellProgram, namespace: dict[str, Any]) -> Payload:
        from .daskplugin import PayloadPlugin

        self.payload = make_payload(program, namespace, "the Dask cluster")
        shield = _kernel_group()
        self._plugin = f"hpmagic-payload-{self.payload.key}-{time.monotonic_ns()}"  # one per search
        try:
            self.client.register_plugin(PayloadPlugin(self.payload.key, self.payload.blob, shield), name=self._plugin)
        except Exception as exc:  # noqa: BLE001 - a worker could not load it
            raise WorkerStartError(
                f"the Dask workers could not load the cell's variables: {type(exc).__name__}: {exc}\n"
                "  fix: a class or function a variable needs must be importable on the workers (or be defined in "
                "the notebook); or run without --executor"
            ) from None
        return self.payload

    def submit(self, number: int, params: dict[str, Any], with_payload: bool) -> Any:
        # Every worker holds the payload (the plugin loads it before a worker runs a task).
        return self.client.submit(
            remote.remote_trial,
            self.payload.key,
            self.payload.blob if with_payload else None,
            number,
            params,
            self.channel,
            pure=False,
            key=f"hpmagic-trial-{self.payload.key}-{number}-{time.monotonic_ns()}",
        )

    def wait(self, futures: list[Any], timeout: float) -> list[Any]:
        from distributed import wait

        try:
            wait(futures, timeout=timeout, return_when="FIRST_COMPLETED")
        except Exception:  # noqa: BLE001 - a timeout, or a future that ended badly: look at each below
            pass
        return [f for f in futures if f.done()]

    def results(self, done: list[Any]) -> list[tuple[Any, Any]]:
        finished = [f for f in done if f.status == "finished"]
        pairs: list[tuple[Any, Any]] = []
        if finished:
            try:
                pairs = list(zip(finished, self.client.gather(finished, errors="raise")))
            except Exception:  # noqa: BLE001 - one of them was lost since: gather them one by one
                pairs = [(f, self._one(f)) for f in finished]
        for future in done:
            if future.status != "finished":
                try:
                    exc = future.exception()
                except BaseException as cancelled:  # noqa: BLE001 - cancelled futures raise here
                    exc = cancelled
                pairs.append((future, exc if exc is not None else RuntimeError(f"task {future.status}")))
        return pairs

    def _one(self, future: Any) -> Any:
        try:
            return future.result()
        except BaseException as exc:  # noqa: BLE001
            return exc

    def cancel(self, futures: list[Any]) -> None:
        if futures:
            self.client.cancel(futures)

    def release(self) -> None:
        plugin, self._plugin = self._plugin, ""  # once: a second unregister makes the scheduler log an error
        if not plugin:
            return
        try:
            self.client.unregister_worker_plugin(plugin)  # its teardown frees the payload on each worker
        except Exception:  # noqa: BLE001 - the cluster may already be gone
            pass


class _IpyparallelAdapter(Adapter):
    def __init__(self, engine: Any):
        client = engine if hasattr(engine, "load_balanced_view") else engine.client
        targets = None if engine is client else getattr(engine, "targets", None)
        self.client = client
        self.dview = client.direct_view(targets if targets is not None else "all")
        self.lview = client.load_balanced_view(targets)
        self._name = ""

    def capacity(self) -> int:
        targets = self.dview.targets
        if targets == "all" or targets is None:
            count = len(self.client.ids)
        else:
            count = len(targets) if isinstance(targets, (list, tuple)) else 1
        if count == 0:
            raise ExecutorError("--executor: the ipyparallel cluster has no engines; start some (or use --jobs N)")
        return count

    def workers(self) -> int:
        try:
            alive = set(self.client.ids)
        except Exception:  # noqa: BLE001 - a client that lost its hub has no engines to offer
            return 0
        targets = self.dview.targets
        if targets == "all" or targets is None:
            return len(alive)
        return len(alive & set(targets if isinstance(targets, (list, tuple)) else [targets]))

    def peers(self) -> list[str]:
        try:  # the engines' own host names: one round trip, once per search that prunes
            return sorted(set(self.dview.apply_sync(socket.gethostname)))
        except Exception:  # noqa: BLE001 - engines that cannot answer run no trial either; take them as local
            return []

    def lost_text(self, waiting: int) -> str:
        return (
            f"--executor: every ipyparallel engine this search used has stopped (none for {LOST_GRACE:.0f} s), and "
            f"{waiting} trials were waiting for one; fix: start engines again (e.g. `cluster.start_engines_sync()`) "
            "and run the cell again"
        )

    def prepare(self, program: CellProgram, namespace: dict[str, Any]) -> Payload:
        self.payload = make_payload(program, namespace, "the ipyparallel engines")
        self._name = f"_hpmagic_payload_{self.payload.key}"
        self.dview.push({self._name: self.payload.blob}, block=True)
        return self.payload

    def submit(self, number: int, params: dict[str, Any], with_payload: bool) -> cf.Future:
        import ipyparallel

        blob = self.payload.blob if with_payload else ipyparallel.Reference(self._name)
        return self.lview.apply_async(remote.remote_trial, self.payload.key, blob, number, params, self.channel)

    def cancel(self, futures: list[cf.Future]) -> None:
        for future in futures:
            try:
                future.abort()  # type: ignore[attr-defined]
            except Exception:  # noqa: BLE001 - already running or done
                pass

    def release(self) -> None:
        if self._name:
            try:
                self.dview.execute(f"globals().pop({self._name!r}, None)", block=False)
            except Exception:  # noqa: BLE001
                pass


class _ThreadPoolAdapter(Adapter):
    """Threads share the kernel's memory: the payload stays in this process, unpickled."""

    in_process = True

    def __init__(self, pool: cf.ThreadPoolExecutor):
        self.pool = pool

    def capacity(self) -> int:
        return getattr(self.pool, "_max_workers", None) or (os.cpu_count() or 1)

    def prepare(self, program: CellProgram, namespace: dict[str, Any]) -> Payload:
        key = f"threads-{id(self)}-{time.monotonic_ns()}"
        # the kernel's form, as inline: classes shared, and a variable that cannot be copied is the notebook's own
        snapshot = Snapshot.take(select_namespace(program, namespace), base=namespace)
        remote.install_local(key, program, snapshot)
        self.payload = Payload(blob=b"", key=key, names=snapshot.names, notes=snapshot.notes)
        return self.payload

    def submit(self, number: int, params: dict[str, Any], with_payload: bool) -> cf.Future:
        # threads of this very process: the reports go straight to the pruning rule
        return self.pool.submit(remote.remote_trial, self.payload.key, None, number, params, self.channel)

    def release(self) -> None:
        remote.forget(self.payload.key)


class _FuturesAdapter(Adapter):
    """Any other executor: the first ``capacity`` trials carry the payload."""

    def __init__(self, pool: cf.Executor):
        self.pool = pool
        self._inline = 0

    def capacity(self) -> int:
        return getattr(self.pool, "_max_workers", None) or (os.cpu_count() or 1)

    def prepare(self, program: CellProgram, namespace: dict[str, Any]) -> Payload:
        self.payload = make_payload(program, namespace, f"the {type(self.pool).__name__}")
        self._inline = self.capacity()
        return self.payload

    def submit(self, number: int, params: dict[str, Any], with_payload: bool) -> cf.Future:
        if self._inline > 0:
            self._inline -= 1
            with_payload = True
        blob = self.payload.blob if with_payload else None
        return self.pool.submit(remote.remote_trial, self.payload.key, blob, number, params, self.channel)


def _host(address: str) -> str:
    """The host of a Dask address (``tcp://10.0.0.5:8786`` -> ``10.0.0.5``)."""
    return urlsplit(address if "://" in address else f"tcp://{address}").hostname or ""
