"""A local worker process for ``--jobs``: ``python -m hpmagic.parallel.worker``.

It is started as a fresh interpreter (not forked, and not through multiprocessing, which
would re-import the notebook's or script's ``__main__``).  It talks to the kernel over its
stdin and stdout with length-prefixed pickled frames:

    kernel -> worker   ("init", sys_path), payload bytes, then ("trial", number, params)...
    worker -> kernel   ("ready", pid) or ("load_error", text), then one Outcome per trial

The protocol's stdout is moved to a private file descriptor first, so that a cell (or a C
library) writing to file descriptor 1 cannot corrupt it.  The worker ignores SIGINT (the
kernel decides what an interrupt means and kills workers itself), and exits when its
stdin closes or when the kernel process goes away.
"""

from __future__ import annotations

import os
import pickle
import signal
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


def _watch_parent(parent: int) -> None:
    """Exit when the kernel is gone, even in the middle of a trial (no orphans)."""
    while True:
        time.sleep(0.5)
        if os.getppid() != parent:
            os._exit(3)


def main() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    protocol_out = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    protocol_in = sys.stdin.buffer
    threading.Thread(target=_watch_parent, args=(os.getppid(),), daemon=True).start()

    def send(message) -> None:
        write_frame(protocol_out, pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL))

    init = read_frame(protocol_in)
    if init is None:
        return
    _, sys_path = pickle.loads(init)
    sys.path[:] = list(dict.fromkeys([*sys_path, *sys.path]))
    blob = read_frame(protocol_in)
    if blob is None:
        return
    try:
        import cloudpickle

        program, namespace = cloudpickle.loads(blob)
        program.register_source()
    except BaseException as exc:  # noqa: BLE001 - reported to the kernel as a clear error
        send(("load_error", "".join(traceback.format_exception_only(type(exc), exc)).strip()))
        return
    del blob
    from ..execution import run_trial

    send(("ready", os.getpid()))
    while True:
        frame = read_frame(protocol_in)
        if frame is None:
            return
        _, number, params = pickle.loads(frame)
        try:
            outcome = run_trial(program, namespace, number, params)
        except KeyboardInterrupt as exc:  # the cell raised it itself: fail this trial only
            from ..execution import Outcome, format_cell_exception
            from ..result import TrialState

            outcome = Outcome(number=number, state=TrialState.FAILED, error=format_cell_exception(exc, program.filename))
        send(("outcome", outcome))


if __name__ == "__main__":
    main()
