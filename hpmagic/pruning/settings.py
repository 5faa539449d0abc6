"""The settings of a pruning rule: their types, ranges and defaults, checked in one place.

A rule lists its settings as :class:`Setting` records (``SETTINGS`` on the class); its
constructor passes the values through :func:`configure`, so a rule made from the magic
line (strings) and one made in Python (numbers) are checked by the same words.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .._format import fmt_value
from ..errors import OptionError

__all__ = ["Setting", "configure"]


@dataclass(frozen=True)
class Setting:
    """One setting of a rule: a whole number or a real number in a range, or ``auto``.

    ``low`` / ``high`` bound it (``None``: no bound), excluded when ``low_open`` /
    ``high_open``.  With ``auto`` set, ``"auto"`` (or ``None``) is allowed and means what
    ``auto`` says (for example "learned from the first complete trial").
    """

    name: str
    kind: type
    default: Any
    help: str
    low: float | None = None
    high: float | None = None
    low_open: bool = False
    high_open: bool = False
    auto: str = ""

    def rule(self) -> str:
        """What the setting takes, in words: ``a whole number of at least 2``."""
        what = "a whole number" if self.kind is int else "a number"
        if self.low is not None and self.high is not None:
            ends = " (both excluded)" if self.low_open and self.high_open else ""
            text = f"{what} between {fmt_value(self.low)} and {fmt_value(self.high)}{ends}"
        elif self.low is not None:
            text = f"{what} {'above' if self.low_open else 'of at least'} {fmt_value(self.low)}"
        else:
            text = what
        return f"{text}, or auto ({self.auto})" if self.auto else text

    def convert(self, value: Any, rule: str) -> Any:
        """``value`` (a string from the magic line, or a number) checked and typed; ``None`` for auto."""
        text = value.strip() if isinstance(value, str) else value
        if self.auto and (text is None or (isinstance(text, str) and text.lower() in ("auto", "none"))):
            return None
        number = _parse(text, self.kind)
        if number is None or not self._in_range(number):
            raise OptionError(f"--prune {rule}: {self.name} must be {self.rule()}, but got {value!r}")
        return number

    def _in_range(self, number: float) -> bool:
        if not math.isfinite(number):
            return False
        if self.low is not None and (number < self.low or (self.low_open and number == self.low)):
            return False
        return self.high is None or not (number > self.high or (self.high_open and number == self.high))


def _parse(value: Any, kind: type) -> float | None:
    """``value`` as an ``int`` or ``float`` (``kind``), or ``None`` when it is not one."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        try:
            value = float(value) if kind is float or not value.lstrip("+-").isdigit() else int(value)
        except ValueError:
            return None
    if not isinstance(value, (int, float)):
        return None
    if kind is int:
        if isinstance(value, float) and not value.is_integer():
            return None
        return int(value) if math.isfinite(value) else None
    return float(value)


def configure(target: Any, values: Mapping[str, Any]) -> None:
    """Set each of ``type(target).SETTINGS`` on ``target`` from ``values`` (checked), or raise OptionError."""
    for setting in type(target).SETTINGS:
        setattr(target, setting.name, setting.convert(values[setting.name], type(target).name))
