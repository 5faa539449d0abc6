"""The objective: what the cell produced, turned into one number and its metrics.

Accepted (design section 3): a real number (Python or NumPy scalar); a sequence or array of
numbers (the folds of ``cross_val_score``), whose mean is the objective and whose standard
deviation and size are recorded; a dict of numbers (``--metric`` or the first key drives
the search, the others are recorded).  Anything else raises
:class:`~hpmagic.errors.ObjectiveError`, which fails the trial with a message saying what
the cell returned and what is accepted.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping
from typing import Any

from .._format import fmt_short
from ..errors import ObjectiveError

__all__ = ["extract_objective", "ACCEPTED"]

#: What an objective may be, for messages.
ACCEPTED = (
    "a number, a sequence of numbers (such as cross_val_score's folds, whose mean is used) "
    "or a dict of numbers (pick one with --metric NAME)"
)


def extract_objective(raw: Any, metric: str | None) -> tuple[float, dict[str, float]]:
    """Turn what the cell produced into (objective, metrics); raise ObjectiveError otherwise."""
    if isinstance(raw, Mapping):
        return _from_dict(raw, metric)
    value, metrics = _as_number(raw, "the cell's last expression" if metric is None else f"variable {metric!r}")
    return _finite(value), metrics


def _from_dict(raw: Mapping, metric: str | None) -> tuple[float, dict[str, float]]:
    metrics: dict[str, float] = {}
    for key, value in raw.items():
        try:
            metrics[str(key)], extra = _as_number(value, f"key {key!r} of the returned dict")
        except ObjectiveError:
            continue  # non-numeric entries are allowed; only the objective must be a number
        metrics.update({f"{key}_{k}": v for k, v in extra.items()})
    if not raw:
        raise ObjectiveError("the cell returned an empty dict; return at least one number")
    key = metric if metric is not None else next(iter(raw))
    if key not in raw:
        raise ObjectiveError(
            f"the returned dict has no key {key!r} (keys: {', '.join(map(repr, raw))}); pass --metric with one of them"
        )
    value, _ = _as_number(raw[key], f"key {key!r} of the returned dict")
    metrics.pop(str(key), None)
    return _finite(value), metrics


def _as_number(value: Any, where: str) -> tuple[float, dict[str, float]]:
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        return float(value), {}
    if isinstance(value, (str, bytes, bool)) or value is None:
        raise ObjectiveError(f"{where} is {fmt_short(value)}; the objective must be {ACCEPTED}")
    if hasattr(value, "__len__") or hasattr(value, "__array__"):
        import numpy as np

        try:
            array = np.asarray(value, dtype=float)
        except (TypeError, ValueError):
            raise ObjectiveError(
                f"{where} is {fmt_short(value)}, which is not all numbers; the objective must be {ACCEPTED}"
            ) from None
        if array.ndim == 0:
            return float(array), {}
        array = array.ravel()
        if array.size == 0:
            raise ObjectiveError(f"{where} is an empty sequence; the objective must be {ACCEPTED}")
        std = float(array.std(ddof=1)) if array.size > 1 else 0.0
        return float(array.mean()), {"std": std, "n": float(array.size)}
    raise ObjectiveError(f"{where} is {fmt_short(value)}; the objective must be {ACCEPTED}")


def _finite(value: float) -> float:
    if math.isnan(value):
        raise ObjectiveError("the objective is NaN")
    if math.isinf(value):
        raise ObjectiveError(f"the objective is {value}")
    return value
