"""URLs of storage as messages may show them: without their password."""

from __future__ import annotations

import os
import re

__all__ = ["redact"]

_PASSWORD = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*://[^/:@]*):[^/]*@")  # up to the netloc's last @


def redact(target: str | os.PathLike) -> str:
    """``target`` as messages may show it: a URL's password replaced by ``***``."""
    return _PASSWORD.sub(r"\1:***@", os.fspath(target))
