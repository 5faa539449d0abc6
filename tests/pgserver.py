"""A real PostgreSQL server for the tests, started by the tests themselves.

``postgres_server`` (session-scoped) runs Debian's ``initdb`` in a temporary directory and
``pg_ctl start`` on a free port of 127.0.0.1, with password authentication over TCP; it is
stopped, and its directory removed, at the end of the session.  As root, the server runs as
the ``postgres`` user (PostgreSQL refuses to run as root), in a directory that user owns.
``postgres_url`` makes a fresh database per test and returns its URL.

Where the binaries (``/usr/lib/postgresql/*/bin``) or psycopg are missing, the tests skip
with the reason; in CI (``CI=true``) they fail instead, as the browser test does.
"""

from __future__ import annotations

import contextlib
import glob
import itertools
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

#: The role the tests connect as, and its password (password authentication over TCP).
USER, PASSWORD = "hp", "s3cret-pw"
_ADMIN_PASSWORD = "admin-pw"
_count = itertools.count()


@dataclass(frozen=True)
class PgServer:
    """A running server: where it listens, and how to reach it as the superuser."""

    host: str
    port: int
    bindir: Path
    socket_dir: Path  # where its Unix socket is (trust authentication there, for the superuser's tasks)

    def url(self, dbname: str, user: str = USER, password: str = PASSWORD) -> str:
        """The URL of database ``dbname`` as ``user``."""
        return f"postgresql://{user}:{password}@{self.host}:{self.port}/{dbname}"

    def admin(self, sql: str) -> None:
        """Run ``sql`` as the superuser, outside a transaction (CREATE DATABASE)."""
        import psycopg

        with psycopg.connect(self.url("postgres", "postgres", _ADMIN_PASSWORD), autocommit=True) as conn:
            conn.execute(sql)

    def createdb(self, owner: str = USER) -> str:
        """A new, empty database owned by ``owner``; returns its name."""
        name = f"t{os.getpid()}_{next(_count)}"
        self.admin(f'CREATE DATABASE "{name}" OWNER "{owner}"')
        return name


class Unavailable(Exception):
    """No PostgreSQL server can be started here (the reason is the message)."""


def unavailable(reason: str) -> None:
    """Skip the test for ``reason``; in CI (``CI=true``), fail it instead."""
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"CI needs a PostgreSQL server for these tests, but {reason}")
    pytest.skip(reason)


def _bindir() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[-3]))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).resolve().parent if initdb else None


def _free_port() -> int:
    with contextlib.closing(socket.socket()) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _as_server_user(argv: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *argv] if os.geteuid() == 0 else argv


def _start(bindir: Path, root: Path) -> PgServer:
    data, pwfile = root / "data", root / "pw"
    pwfile.write_text(_ADMIN_PASSWORD + "\n")
    if os.geteuid() == 0:
        shutil.chown(root, "postgres", "postgres")
        shutil.chown(pwfile, "postgres", "postgres")
    subprocess.run(
        _as_server_user(
            [
                str(bindir / "initdb"),
                "-D",
                str(data),
                "-U",
                "postgres",
                f"--pwfile={pwfile}",
                "--auth-local=trust",
                "--auth-host=scram-sha-256",
                "-E",
                "UTF8",
                "--no-sync",
            ]
        ),
        check=True,
        capture_output=True,
        timeout=180,
    )
    for _ in range(5):  # another process may take the free port between finding and binding it
        port = _free_port()
        options = f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off"
        done = subprocess.run(
            _as_server_user(
                [
                    str(bindir / "pg_ctl"),
                    "-D",
                    str(data),
                    "-o",
                    options,
                    "-l",
                    str(root / "log"),
                    "-w",
                    "-t",
                    "120",
                    "start",
                ]
            ),
            capture_output=True,
            text=True,
            timeout=180,
        )
        if done.returncode == 0:
            server = PgServer("127.0.0.1", port, bindir, root)
            server.admin(f"CREATE ROLE \"{USER}\" LOGIN PASSWORD '{PASSWORD}' CREATEDB")
            return server
    raise RuntimeError(f"pg_ctl start failed: {done.stdout}{done.stderr}{(root / 'log').read_text()}")


@contextlib.contextmanager
def temporary_server() -> Iterator[PgServer]:
    """A PostgreSQL server on a free port of 127.0.0.1, stopped and removed on leaving the block.

    Raises :class:`Unavailable` when psycopg or PostgreSQL's binaries are missing, or the
    server does not start (``benchmarks/storage.py`` uses this too)."""
    try:
        import psycopg  # noqa: F401
    except ImportError:
        raise Unavailable('psycopg is not installed (pip install -e ".[test]")') from None
    bindir = _bindir()
    if bindir is None:
        raise Unavailable("PostgreSQL's initdb was not found (Debian: apt-get install postgresql)")
    root = Path(tempfile.mkdtemp(prefix="hpmagic-pg-"))
    try:
        try:
            server = _start(bindir, root)
        except (OSError, RuntimeError, subprocess.SubprocessError) as exc:
            raise Unavailable(f"a PostgreSQL server could not be started: {exc}") from None
        yield server
    finally:
        if (root / "data" / "postmaster.pid").exists():
            subprocess.run(
                _as_server_user([str(bindir / "pg_ctl"), "-D", str(root / "data"), "-m", "immediate", "stop"]),
                capture_output=True,
                timeout=120,
            )
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres_server():
    """A PostgreSQL server on a free port, for the whole test session."""
    with contextlib.ExitStack() as stack:
        try:
            server = stack.enter_context(temporary_server())
        except Unavailable as exc:
            unavailable(str(exc))
        yield server


@pytest.fixture
def postgres_url(postgres_server):
    """The URL of a fresh, empty database of the test server."""
    return postgres_server.url(postgres_server.createdb())
