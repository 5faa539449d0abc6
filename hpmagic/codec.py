"""The one JSON codec of hpmagic's stored values: parameter values, defaults, choice options
and metrics.

JSON has no tuple and knows nothing of NumPy, so :func:`encode` tags a tuple as
``{"tuple": [...]}`` (a choice of shapes stays a tuple when read back), unwraps NumPy
scalars into Python numbers, and keeps any other value JSON cannot hold as its ``repr``
text.  :func:`decode` undoes the tagging.  Study files written since the first version
use exactly this form, so they keep reading.

Nothing here unpickles or evaluates: :func:`loads` accepts JSON text and nothing else, so
a study file from someone else cannot run code.  This module imports nothing of hpmagic
but its errors (the search space and the stores both build on it).
"""

from __future__ import annotations

import json
from typing import Any

from .errors import StorageError

__all__ = ["encode", "decode", "dumps", "loads"]

_TUPLE = "tuple"


def encode(value: Any) -> Any:
    """The JSON-ready form of ``value``: tuples tagged, NumPy scalars unwrapped, keys made text."""
    if isinstance(value, tuple):
        return {_TUPLE: [encode(v) for v in value]}
    if isinstance(value, list):
        return [encode(v) for v in value]
    if isinstance(value, dict):
        return {str(k): encode(v) for k, v in value.items()}
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    item = getattr(value, "item", None)  # a NumPy scalar (or 0-d array) knows its Python value
    if callable(item) and not isinstance(value, bytes):
        try:
            return encode(item())
        except (TypeError, ValueError):
            pass
    return repr(value)  # a value JSON cannot hold is kept as its text


def decode(data: Any) -> Any:
    """The value :func:`encode` made ``data`` from (tuples come back as tuples)."""
    if isinstance(data, dict):
        if set(data) == {_TUPLE} and isinstance(data[_TUPLE], list):
            return tuple(decode(v) for v in data[_TUPLE])
        return {k: decode(v) for k, v in data.items()}
    if isinstance(data, list):
        return [decode(v) for v in data]
    return data


def dumps(value: Any) -> str:
    """Compact JSON text of ``value`` (through :func:`encode`)."""
    return json.dumps(encode(value), separators=(",", ":"))


def loads(text: Any, what: str, expect: type) -> Any:
    """Decode one stored JSON column that should hold a JSON ``expect`` (``dict`` or ``list``).

    ``what`` names the column for the message.  Anything but JSON text of that shape (bytes,
    a pickle, broken text) raises :class:`~hpmagic.errors.StorageError`.
    """
    if not isinstance(text, str):
        kind = "binary data" if isinstance(text, (bytes, bytearray, memoryview)) else type(text).__name__
        raise StorageError(
            f"{what} holds {kind}, not JSON text: hpmagic stores JSON only and never unpickles, so the file "
            "was damaged or written by something else"
        )
    try:
        value = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise StorageError(
            f"{what} is not valid JSON ({exc}); the file was damaged or written by something else"
        ) from None
    if not isinstance(value, expect):
        raise StorageError(f"{what} should be a JSON {expect.__name__}, but holds {type(value).__name__}")
    return decode(value)
