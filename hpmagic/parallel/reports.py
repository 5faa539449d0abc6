"""Reports from Dask workers, ipyparallel engines and process pools to the search's pruning rule.

With ``--prune``, a trial's ``report(value, step)`` must be decided by the search's one
:class:`~hpmagic.pruning.service.PruningService`, which lives in the kernel.  Threads of
the kernel call it directly and ``--jobs`` workers ask over their own pipe; a trial on a
shared engine asks a :class:`ReportServer`:

- **The server** (in the kernel, one per search, started by the engine executor and closed
  with it) is a listening TCP socket served by one thread: a ``selectors`` loop over the
  listener and every worker's connection.  Each request is one reported point, answered
  in that thread by the service (thread-safe, so reports are decided one at a time), so a
  report never waits for the runner's loop.  One thread is enough: the service decides
  one report at a time anyway, and a decision takes microseconds.
- **The protocol** is JSON lines, one request and one answer per report (at most one round
  trip): ``{"token", "id", "number", "step", "value", "kind"}`` and ``{"id", "prune",
  "reason", "rung"}`` or ``{"id", "error"}``.  Nothing is unpickled.  Each request carries
  the search's random token (the socket may be reachable from other machines); a request
  without it is dropped with its connection.
- **The worker side**, :class:`RemoteChannel`, is plain data (host, port, token) that
  travels with each trial; each worker thread opens one connection and keeps it for the
  next reports and trials.  A server that cannot be reached, or a connection lost, fails
  the trial with :class:`~hpmagic.errors.ExecutionEnvironmentError` ("the kernel's report
  server could not be reached at HOST:PORT: ...") and the search goes on; a
  :class:`~hpmagic.errors.ReportError` of the rule (a report after its trial ended) is
  raised in the cell, as inline.

**The address** (:func:`server_address`): ``127.0.0.1`` when every worker is on this
machine (a ``LocalCluster``, local ipyparallel engines, a process pool), and the server
listens on loopback only; otherwise the kernel's address on the interface that reaches the
workers (the local end of a UDP socket connected towards one of them: nothing is sent),
listening on that address only.  The environment variable ``HPMAGIC_REPORT_ADDRESS``
(``HOST:PORT``, ``HOST`` or ``:PORT``) sets both, e.g. to a port a firewall lets through.
"""

from __future__ import annotations

import hmac
import ipaddress
import json
import os
import secrets
import selectors
import socket
import threading
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from ..errors import ExecutionEnvironmentError, HpmagicError, ReportError

if TYPE_CHECKING:
    from ..cell.report import Channel

__all__ = ["ReportServer", "RemoteChannel", "server_address", "start_server", "ADDRESS_VARIABLE"]

#: The environment variable that sets the report server's address (``HOST:PORT``, ``HOST``, ``:PORT``).
ADDRESS_VARIABLE = "HPMAGIC_REPORT_ADDRESS"
#: Seconds a worker waits to connect, and for an answer (hang guards: an answer takes microseconds).
CONNECT_TIMEOUT = 10.0
ANSWER_TIMEOUT = 120.0
_LINE_LIMIT = 16_384  # a request is ~150 bytes; a longer line is not a worker of this search
_KINDS = ("curve", "fold")
_FIX = (
    "fix: the workers must reach the kernel at that address and port (a firewall between them?); "
    f"set {ADDRESS_VARIABLE}=HOST:PORT in the kernel's environment to an address of the kernel they can reach "
    "and a port open to them, or run the search without --prune"
)


# -- the kernel's side ------------------------------------------------------------------------


class ReportServer:
    """Answers the reports of one search's remote trials with ``channel`` (see the module docstring).

    Listens on ``host:port`` (port 0: any free one) at once, serves in a daemon thread, and
    :meth:`close` (idempotent) stops the thread and closes every socket.
    """

    def __init__(self, channel: Channel, host: str = "127.0.0.1", port: int = 0):
        self.channel = channel
        self.token = secrets.token_hex(16)
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self._listener = socket.create_server((host, port), family=family, backlog=64)
        self._listener.setblocking(False)
        self.host, self.port = host, self._listener.getsockname()[1]
        self._wake, self._waker = socket.socketpair()
        self._selector = selectors.DefaultSelector()
        self._selector.register(self._listener, selectors.EVENT_READ)
        self._selector.register(self._wake, selectors.EVENT_READ)
        self._thread = threading.Thread(target=self._serve, name=f"hpmagic-report-server-{self.port}", daemon=True)
        self._thread.start()

    @property
    def address(self) -> str:
        """``HOST:PORT`` as the workers connect to it."""
        return _where(self.host, self.port)

    def remote(self) -> RemoteChannel:
        """The channel a trial on a worker reports through."""
        return RemoteChannel(self.host, self.port, self.token)

    def close(self) -> None:
        """Stop serving: the thread ends and closes the listener and every connection."""
        if self._thread.is_alive():
            try:
                self._waker.send(b"x")
            except OSError:
                pass
            self._thread.join(timeout=10)
        self._waker.close()

    # -- the server thread -------------------------------------------------------------

    def _serve(self) -> None:
        try:
            while True:
                for key, _ in self._selector.select():
                    if key.fileobj is self._wake:
                        return
                    if key.fileobj is self._listener:
                        self._accept()
                    else:
                        self._receive(key.fileobj, key.data)  # type: ignore[arg-type]
        finally:
            for key in list(self._selector.get_map().values()):
                key.fileobj.close()  # type: ignore[union-attr]
            self._selector.close()

    def _accept(self) -> None:
        try:
            conn, _ = self._listener.accept()
        except OSError:
            return  # the peer gave up before we accepted
        conn.setblocking(False)
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._selector.register(conn, selectors.EVENT_READ, bytearray())

    def _drop(self, conn: socket.socket) -> None:
        self._selector.unregister(conn)
        conn.close()

    def _receive(self, conn: socket.socket, buffer: bytearray) -> None:
        try:
            chunk = conn.recv(65536)
        except BlockingIOError:
            return
        except OSError:
            chunk = b""
        if not chunk:
            self._drop(conn)  # the worker closed its end (it exited, or its thread is gone)
            return
        buffer += chunk
        while (end := buffer.find(b"\n")) >= 0:
            answer = self.answer(bytes(buffer[:end]))
            del buffer[: end + 1]
            try:
                if answer is None:
                    raise OSError("not a report of this search")
                conn.sendall(answer)  # small, and the worker waits for it: the buffer has room
            except OSError:
                self._drop(conn)
                return
        if len(buffer) > _LINE_LIMIT:
            self._drop(conn)

    def answer(self, line: bytes) -> bytes | None:
        """The answer line to one request line; ``None`` (drop the connection) when the
        request does not carry this search's token."""
        try:
            request = json.loads(line)
        except ValueError:
            return None
        if not isinstance(request, dict) or not hmac.compare_digest(str(request.get("token", "")), self.token):
            return None
        reply: dict[str, Any] = {"id": request.get("id")}
        point = _point(request)
        if point is None:
            reply["error"] = "the report server received a malformed report (a different version of hpmagic?)"
            return _line(reply)
        try:
            prune, reason, rung = self.channel.decide(*point)
            reply.update(prune=bool(prune), reason=str(reason or ""), rung=rung)
        except HpmagicError as exc:
            reply["error"] = str(exc)
        except Exception as exc:  # noqa: BLE001 - the worker's trial fails with it, the search goes on
            reply["error"] = f"the search's pruning rule failed on this report: {type(exc).__name__}: {exc}"
        return _line(reply)


def _point(request: dict[str, Any]) -> tuple[int, float, Any, str] | None:
    """The report a request carries; its value is a number, or with several objectives a dict of them."""
    number, step, value, kind = (request.get(k) for k in ("number", "step", "value", "kind"))
    if type(number) is not int or kind not in _KINDS:
        return None
    values = list(value.values()) if isinstance(value, dict) else [value]
    if not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in (step, *values)):
        return None
    if isinstance(value, dict):
        return number, float(step), {str(k): float(v) for k, v in value.items()}, str(kind)  # type: ignore[arg-type]
    return number, float(step), float(value), str(kind)  # type: ignore[arg-type]


def _line(message: dict[str, Any]) -> bytes:
    return (json.dumps(message) + "\n").encode()


def _where(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


# -- where the server listens -----------------------------------------------------------------


def server_address(peers: Iterable[str] = ()) -> tuple[str, int]:
    """``(host, port)`` for a search whose workers run on ``peers`` (host names or
    addresses; none: this machine).  See the module docstring; ``HPMAGIC_REPORT_ADDRESS``
    wins."""
    host, port = _configured()
    if host:
        return host, port
    remote = [p for p in peers if p and not _on_this_machine(p)]
    return (_outgoing_address(remote[0]) if remote else "127.0.0.1"), port


def _configured() -> tuple[str, int]:
    text = os.environ.get(ADDRESS_VARIABLE, "").strip()
    if not text:
        return "", 0
    host, port = text, ""
    if text.startswith("["):  # [::1]:8000
        host, _, rest = text[1:].partition("]")
        port = rest.removeprefix(":")
    elif text.count(":") == 1:
        host, port = text.split(":")
    if port and not (port.isdigit() and int(port) < 65536):
        raise ExecutionEnvironmentError(
            f"{ADDRESS_VARIABLE}={text!r}: the port must be a number from 0 to 65535; write HOST:PORT, HOST or :PORT"
        )
    return host, int(port or 0)


def _on_this_machine(host: str) -> bool:
    if host in ("localhost", socket.gethostname()):
        return True
    try:
        address = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        try:
            address = ipaddress.ip_address(socket.gethostbyname(host))
        except (OSError, ValueError):
            return False  # an unknown name: not this machine
    if address.is_loopback or address.is_unspecified:
        return True
    family = socket.AF_INET6 if address.version == 6 else socket.AF_INET
    with socket.socket(family, socket.SOCK_DGRAM) as probe:
        try:
            probe.bind((str(address), 0))  # only an address of this machine can be bound
        except OSError:
            return False
    return True


def _outgoing_address(host: str) -> str:
    """The kernel's address on the interface that reaches ``host`` (a UDP connect sends nothing)."""
    try:
        info = socket.getaddrinfo(host.strip("[]"), 9, type=socket.SOCK_DGRAM)[0]
        with socket.socket(info[0], socket.SOCK_DGRAM) as probe:
            probe.connect(info[4])
            return str(probe.getsockname()[0])
    except OSError as exc:
        raise ExecutionEnvironmentError(
            f"--prune: no address of the kernel reaches the workers' host {host} ({type(exc).__name__}: {exc}), so "
            f"their reports could not be decided; set {ADDRESS_VARIABLE}=HOST:PORT to an address of the kernel "
            "they can reach, or run without --prune"
        ) from None


def start_server(channel: Channel, peers: Iterable[str] = ()) -> ReportServer:
    """A :class:`ReportServer` for workers on ``peers``, or a clear error when it cannot listen."""
    host, port = server_address(peers)
    try:
        return ReportServer(channel, host, port)
    except OSError as exc:
        raise ExecutionEnvironmentError(
            f"--prune: the report server could not listen on {_where(host, port)}: {type(exc).__name__}: {exc}; "
            f"fix: set {ADDRESS_VARIABLE}=HOST:PORT to an address of this machine and a free port, "
            "or run without --prune"
        ) from None


# -- the worker's side ------------------------------------------------------------------------


class RemoteChannel:
    """A trial's reports, decided by the kernel's :class:`ReportServer` (a report channel).

    Plain data, so it pickles in a few bytes into each trial's arguments.  Each thread of a
    worker keeps one connection to the server (by address, token and process), opened at
    its first report.
    """

    def __init__(self, host: str, port: int, token: str):
        self.host, self.port, self.token = host, port, token

    def __repr__(self) -> str:
        return f"RemoteChannel({_where(self.host, self.port)})"  # never the token

    def __eq__(self, other: object) -> bool:
        return isinstance(other, RemoteChannel) and (self.host, self.port, self.token) == (
            other.host,
            other.port,
            other.token,
        )

    def __hash__(self) -> int:
        return hash((self.host, self.port, self.token))

    def decide(self, number: int, step: float, value: Any, kind: str) -> tuple[bool, str, float | None]:
        """One round trip: send the point, read the decision."""
        link = self._link()
        link.sent += 1
        request = {"token": self.token, "id": link.sent, "number": number, "step": step, "value": value, "kind": kind}
        try:
            link.sock.sendall(_line(request))
            raw = link.reader.readline(_LINE_LIMIT)
            if not raw.endswith(b"\n"):
                raise ConnectionError("the server closed it")
            answer = json.loads(raw)
            if not isinstance(answer, dict) or answer.get("id") != link.sent:
                raise ConnectionError("the server's answer does not belong to this report")
        except BaseException as exc:  # its state is unknown now: never reuse it
            _forget_link()
            if isinstance(exc, (OSError, ValueError)):
                raise self._unreachable(exc, lost=True) from None
            raise
        if "error" in answer:
            raise ReportError(str(answer["error"]))
        rung = answer.get("rung")
        return bool(answer.get("prune")), str(answer.get("reason") or ""), None if rung is None else float(rung)

    def _link(self) -> _Link:
        key = (self.host, self.port, self.token, os.getpid())
        link: _Link | None = getattr(_local, "link", None)
        if link is not None and link.key == key:
            return link
        _forget_link()  # another search's, or inherited through a fork
        try:
            sock = socket.create_connection((self.host, self.port), timeout=CONNECT_TIMEOUT)
        except OSError as exc:
            raise self._unreachable(exc) from None
        sock.settimeout(ANSWER_TIMEOUT)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        _local.link = link = _Link(key, sock)
        return link

    def _unreachable(self, exc: BaseException, lost: bool = False) -> ExecutionEnvironmentError:
        why = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        if lost:
            why = (
                f"the connection was lost ({why}): the search ended, or the network between this worker and the "
                "kernel failed"
            )
        return ExecutionEnvironmentError(
            f"the kernel's report server could not be reached at {_where(self.host, self.port)}: {why}\n  {_FIX}"
        )


class _Link:
    """One worker thread's connection to a report server."""

    def __init__(self, key: tuple[str, int, str, int], sock: socket.socket):
        self.key, self.sock = key, sock
        self.reader = sock.makefile("rb")
        self.sent = 0

    def close(self) -> None:
        for part in (self.reader, self.sock):
            try:
                part.close()
            except OSError:
                pass


_local = threading.local()


def _forget_link() -> None:
    link = getattr(_local, "link", None)
    _local.link = None
    if link is not None:
        link.close()
