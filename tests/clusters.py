"""A real ipyparallel cluster on loopback for tests: started, connected, and always stopped."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import pytest


@contextlib.contextmanager
def ipp_client(engines: int) -> Iterator[Any]:
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
