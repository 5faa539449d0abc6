"""Real clusters on loopback for the tests that run trials on engines: started, connected, and
always stopped.  Every test that starts one goes through these two helpers."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import pytest


@contextlib.contextmanager
def ipp_cluster(engines: int) -> Iterator[Any]:
    """A client of a local ipyparallel cluster of ``engines`` engines, stopped afterwards
    (the test skips without ipyparallel)."""
    ipp = pytest.importorskip("ipyparallel")
    cluster = ipp.Cluster(n=engines, log_level=40)
    client = cluster.start_and_connect_sync(activate=False)
    try:
        yield client
    finally:
        client.close()
        cluster.stop_cluster_sync()


@contextlib.contextmanager
def dask_cluster(workers: int, threads: int = 1, processes: bool = True) -> Iterator[Any]:
    """A client of a local Dask cluster of ``workers`` workers with ``threads`` threads each
    (worker processes, or threads of this process with ``processes=False``), closed
    afterwards (the test skips without distributed)."""
    distributed = pytest.importorskip("distributed")
    with (
        distributed.LocalCluster(
            n_workers=workers, threads_per_worker=threads, processes=processes, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        yield client
