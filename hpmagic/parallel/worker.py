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

Frames are length-prefixed pickles:

    kernel -> worker   [("init", sys_path), payload bytes, spawn only], ("trial", number, params)...
    worker -> kernel   ("ready", pid) or ("load_error", text), then ("outcome", Outcome) per trial

A cell (or a C library) writing to file descriptor 1 cannot corrupt the protocol: fd 1 is
pointed at stderr first.  Workers ignore SIGINT (the kernel decides what an interrupt
means and kills workers itself) and exit when their channel closes or their parent dies.
"""

from __future__ import annotations

import os
import pickle
import signal
import socket
import struct
import sys
import threading
import time
import traceback

_HEADER = struct.Struct(">Q")


def read_frame(stream) -> bytes | None:
    """One frame, or None at the end of the stream."""
    header = _read_exactly(stream, _HEADER.size)
    if header is None:
        return None
    (size,) = _HEADER.unpack(header)
    return _read_exactly(stream, size)


def _read_exactly(stream, size: int) -> bytes | None:
    chunks, left = [], size
    while left:
        chunk = stream.read(left)
        if not chunk:
            return None
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def write_frame(stream, data: bytes) -> None:
    stream.write(_HEADER.pack(len(data)))
    stream.write(data)
    stream.flush()


def recv_exactly(sock: socket.socket, size: int) -> bytearray | None:
    """``size`` bytes from a socket (unbuffered, so fds sent alongside are not skipped)."""
    buffer = bytearray(size)
    view, got = memoryview(buffer), 0
    while got < size:
        n = sock.recv_into(view[got:])
        if n == 0:
            return None
        got += n
    return buffer


def recv_frame(sock: socket.socket) -> bytearray | None:
    header = recv_exactly(sock, _HEADER.size)
    if header is None:
        return None
    return recv_exactly(sock, _HEADER.unpack(header)[0])


def send_frame(sock: socket.socket, data: bytes) -> None:
    if len(data) > 1 << 16:  # do not copy a large payload just to prepend its length
        sock.sendall(_HEADER.pack(len(data)))
        sock.sendall(data)
    else:
        sock.sendall(_HEADER.pack(len(data)) + data)


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


def _load(blob: bytes):
    import cloudpickle

    program, namespace = cloudpickle.loads(blob)
    program.register_source()
    return program, namespace


def _load_error(exc: BaseException) -> tuple[str, str]:
    return ("load_error", "".join(traceback.format_exception_only(type(exc), exc)).strip())


def serve(receive, send, program, namespace) -> None:
    """Announce readiness, then run trials until the channel closes."""
    from ..execution import Outcome, format_cell_exception, run_trial
    from ..result import TrialState

    send(("ready", os.getpid()))
    while (frame := receive()) is not None:
        _, number, params = pickle.loads(frame)
        try:
            outcome = run_trial(program, namespace, number, params)
        except KeyboardInterrupt as exc:  # the cell raised it itself: fail this trial only
            outcome = Outcome(number=number, state=TrialState.FAILED, error=format_cell_exception(exc, program.filename))
        send(("outcome", outcome))


def _dumps(message) -> bytes:
    return pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)


def main_spawned() -> None:
    protocol_out = os.fdopen(os.dup(1), "wb")
    _detach_stdout()
    protocol_in = sys.stdin.buffer
    threading.Thread(target=_watch_parent, args=(os.getppid(),), daemon=True).start()

    def send(message) -> None:
        write_frame(protocol_out, _dumps(message))

    init = read_frame(protocol_in)
    blob = read_frame(protocol_in) if init is not None else None
    if blob is None:
        return
    sys.path[:] = list(dict.fromkeys([*pickle.loads(init)[1], *sys.path]))
    try:
        program, namespace = _load(blob)
    except BaseException as exc:  # noqa: BLE001 - reported to the kernel as a clear error
        send(_load_error(exc))
        return
    del blob
    serve(lambda: read_frame(protocol_in), send, program, namespace)


def main_zygote(fd: int) -> None:
    _detach_stdout()
    ctl = socket.socket(fileno=fd)
    lock = threading.Lock()
    children: set[int] = set()
    me = os.getpid()
    threading.Thread(target=_watch_parent, args=(os.getppid(),), daemon=True).start()

    def tell(message) -> None:
        with lock:
            send_frame(ctl, _dumps(message))

    def reap() -> None:
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

    init = recv_frame(ctl)
    blob = recv_frame(ctl) if init is not None else None
    if blob is None:
        return
    sys.path[:] = list(dict.fromkeys([*pickle.loads(init)[1], *sys.path]))
    try:
        program, namespace = _load(blob)
    except BaseException as exc:  # noqa: BLE001
        tell(_load_error(exc))
        return
    del blob
    import gc

    gc.collect()
    gc.freeze()  # keep the loaded variables' pages shared with the forked workers
    tell(("loaded",))
    threading.Thread(target=reap, daemon=True).start()
    while True:
        try:
            message, fds, _, _ = socket.recv_fds(ctl, 16, 1)
        except OSError:
            break
        if not message:
            break  # the kernel closed the search
        if not fds:
            continue
        pid = os.fork()
        if pid == 0:  # the worker
            code = 0
            try:
                ctl.close()
                sock = socket.socket(fileno=fds[0])
                threading.Thread(target=_watch_parent, args=(me,), daemon=True).start()

                def send(message, sock=sock) -> None:
                    send_frame(sock, _dumps(message))

                serve(lambda sock=sock: recv_frame(sock), send, program, namespace)
            except BaseException:  # noqa: BLE001
                code = 1
            finally:
                os._exit(code)
        os.close(fds[0])
        children.add(pid)
        tell(("forked", pid))
    for pid in list(children):
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    deadline = time.monotonic() + 5
    while children and time.monotonic() < deadline:
        time.sleep(0.01)


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--zygote":
        main_zygote(int(sys.argv[2]))
    else:
        main_spawned()
