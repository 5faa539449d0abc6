"""A Dask worker plugin that puts a search's payload on every worker, present and future.

Registered with the scheduler when a search starts on a Dask client, it loads the
payload on each worker before the worker runs a task, also on a worker that the nanny
restarts after a trial killed it or that joins later.  So a trial depends on no Dask
data (a scattered payload is lost when a worker holding it dies, which cancelled every
trial in flight), and a restarted worker never has to ask for the payload, which would
reset Dask's count of the workers a deadly trial has killed.  Imported only where
``distributed`` is (the kernel and Dask workers).
"""

from __future__ import annotations

from typing import Any

from distributed.diagnostics.plugin import WorkerPlugin

from . import remote

__all__ = ["PayloadPlugin"]


class PayloadPlugin(WorkerPlugin):
    """Loads payload ``key`` on each worker (``shield``: see :func:`remote.install`)."""

    def __init__(self, key: str, blob: bytes, shield: tuple[str, int] | None):
        self.key, self.blob, self.shield = key, blob, shield

    def setup(self, worker: Any) -> None:
        """On each worker as it joins: install the cell and its variables under the payload's key."""
        remote.install(self.key, self.blob, self.shield)

    def teardown(self, worker: Any) -> None:
        """On each worker when the plugin goes: drop the payload it installed."""
        remote.forget(self.key)
