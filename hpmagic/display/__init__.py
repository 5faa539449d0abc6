"""What the user sees: progress while a search runs, and the result afterwards."""

from __future__ import annotations

from typing import Any

__all__ = ["make_reporter"]


def make_reporter(kind: Any = "auto"):
    """A progress reporter: ``"auto"``, ``"text"``, ``"none"``, or an object used as is."""
    if not isinstance(kind, str):
        return kind
    if kind == "none":
        from ..runner import NullReporter

        return NullReporter()
    if kind in ("auto", "text"):
        from .text import TextReporter

        return TextReporter()
    raise ValueError(f"unknown display {kind!r}; use 'auto', 'text' or 'none'")
