"""Length-prefixed pickle frames: how the kernel and its ``--jobs`` workers talk.

A frame is an 8-byte big-endian length and that many bytes.  Pipes (a spawned worker's
stdin and stdout) use :func:`read_frame`/:func:`write_frame`; Unix sockets (the fork
server and its workers) use :func:`recv_frame`/:func:`send_frame`, reading unbuffered so
that file descriptors sent alongside are not skipped.  This module imports nothing of
hpmagic: a worker loads it before anything else.
"""

from __future__ import annotations

import pickle
import socket
import struct
from typing import IO, Any

__all__ = ["dumps", "read_frame", "write_frame", "recv_exactly", "recv_frame", "send_frame"]

_HEADER = struct.Struct(">Q")


def dumps(message: Any) -> bytes:
    """A message as the bytes of one frame."""
    return pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)


def read_frame(stream: IO[bytes]) -> bytes | None:
    """One frame from a pipe, or None at the end of the stream."""
    header = _read_exactly(stream, _HEADER.size)
    if header is None:
        return None
    (size,) = _HEADER.unpack(header)
    return _read_exactly(stream, size)


def _read_exactly(stream: IO[bytes], size: int) -> bytes | None:
    chunks, left = [], size
    while left:
        chunk = stream.read(left)
        if not chunk:
            return None
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def write_frame(stream: IO[bytes], data: bytes) -> None:
    """Write ``data`` to ``stream`` as one frame: its length, then the bytes."""
    stream.write(_HEADER.pack(len(data)))
    stream.write(data)
    stream.flush()


def recv_exactly(sock: socket.socket, size: int) -> bytearray | None:
    """``size`` bytes from a socket, or None when it closed first."""
    buffer = bytearray(size)
    view, got = memoryview(buffer), 0
    while got < size:
        n = sock.recv_into(view[got:])
        if n == 0:
            return None
        got += n
    return buffer


def recv_frame(sock: socket.socket) -> bytearray | None:
    """Read one frame from ``sock``: its bytes, or ``None`` when the other side closed."""
    header = recv_exactly(sock, _HEADER.size)
    if header is None:
        return None
    return recv_exactly(sock, _HEADER.unpack(header)[0])


def send_frame(sock: socket.socket, data: bytes) -> None:
    """Send ``data`` on ``sock`` as one frame (a large payload is not copied to prepend its length)."""
    if len(data) > 1 << 16:  # do not copy a large payload just to prepend its length
        sock.sendall(_HEADER.pack(len(data)))
        sock.sendall(data)
    else:
        sock.sendall(_HEADER.pack(len(data)) + data)
