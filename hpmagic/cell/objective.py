"""The objective: what the cell produced, turned into one number and its metrics.

Where it is read (:func:`read_objective`): the value of the cell's last expression; with
``--metric NAME``, the key ``NAME`` of the dict the last expression returned, else the
variable ``NAME`` after the cell ran (the dict's numbers are then still recorded), else an
error naming both places.

Accepted, and how (:func:`extract_objective`):

- **a real number**: ``int``, ``float``, a NumPy integer or float scalar, a 0-d array of
  one, ``fractions.Fraction``, ``decimal.Decimal``;
- **a flat sequence of real numbers**: a list, a tuple, a 1-d NumPy array or a pandas
  Series (the folds of ``cross_val_score``): the mean is the objective, and the standard
  deviation (``std``) and the count (``n``) are recorded.  In a masked array only the
  unmasked values count (``n`` is their number);
- **a dict of those** (any mapping): ``--metric`` or the first key drives the search, the
  other numeric entries are recorded as metrics (entries that are not numbers are left out).

Refused, each with what the cell returned and what is accepted: booleans (``True``,
``np.bool_``, boolean arrays: a pass/fail is not a score; ``float(ok)`` says it is meant
as one), strings and bytes, also inside a sequence (``["1", "2"]`` is not converted),
complex numbers, ``None``, nested sequences and arrays of two or more dimensions (a
DataFrame too, even of one row: pick a column or a row), empty sequences, fully masked
arrays, numbers too large for a float (``10**400``), and anything else.  NaN and infinity
fail the trial with that reason.  Every refusal is an
:class:`~hpmagic.errors.ObjectiveError`, which fails the trial (recorded as
``ObjectiveError: ...``), never the search.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping, Sequence
from typing import Any

from .._format import fmt_short
from ..errors import ObjectiveError

__all__ = ["read_objective", "read_objectives", "read_constraints", "extract_objective", "ACCEPTED"]

#: What an objective may be, for messages.
ACCEPTED = (
    "a number, a sequence of numbers (a flat list, tuple, array or Series, such as cross_val_score's folds, "
    "whose mean is used) or a dict of numbers (pick one with --metric NAME)"
)
_LARGE = 1e300  # beyond this, means and deviations are computed on scaled values (no overflow)
_SMALL = 1000  # up to this many values, the mean is computed in Python (faster than NumPy for a few folds)


def read_objective(
    raw: Any, has_expression: bool, metric: str | None, variables: Mapping[str, Any]
) -> tuple[float, dict[str, float]]:
    """The objective and metrics of one run of the cell.

    ``raw`` is the value of the last expression (when ``has_expression``), ``variables``
    the trial's namespace after the cell ran, ``metric`` the ``--metric`` name.
    """
    if metric is None:
        return extract_objective(raw, None)
    if has_expression and isinstance(raw, Mapping):
        if metric in raw or metric not in variables:
            if metric not in raw:
                raise ObjectiveError(
                    f"--metric {metric}: the returned dict has no key {metric!r} (its keys: {_keys(raw)}) and the cell "
                    f"set no variable {metric!r}; return a dict with the key {metric!r}, or set {metric} in the cell"
                )
            return extract_objective(raw, metric)
        value, extra = _as_number(variables[metric], f"variable {metric!r}")
        return _finite(value), {**_dict_metrics(raw), **extra}
    if metric not in variables:
        ended = f" (its last expression is {fmt_short(raw)}, not a dict with that key)" if has_expression else ""
        raise ObjectiveError(f"the cell did not set the variable {metric!r} named by --metric{ended}")
    return extract_objective(variables[metric], metric)


_MISSING = object()


def _lookup(
    raw: Any, has_expression: bool, name: str, variables: Mapping[str, Any], assigned: tuple[str, ...] = ()
) -> tuple[Any, str]:
    """What the cell produced under ``name`` (its returned dict's key, else its variable) and where
    (``_MISSING`` and why, when it produced nothing under that name)."""
    if has_expression and isinstance(raw, Mapping) and name in raw:
        return raw[name], f"key {name!r} of the returned dict"
    if name in variables:
        return variables[name], f"variable {name!r}"
    if has_expression and isinstance(raw, Mapping):
        had = f"the returned dict has no key {name!r} (its keys: {_keys(raw)})"
    elif has_expression:
        had = f"the cell returned {fmt_short(raw)}, not a dict with the key {name!r}"
    else:
        had = "the cell ends in no expression"
    return _MISSING, f"{had} and the cell set no variable {name!r}" + (
        f" (it sets: {', '.join(assigned)})" if assigned else ""
    )


def read_objectives(
    raw: Any, has_expression: bool, names: tuple[str, ...], variables: Mapping[str, Any], assigned: tuple[str, ...] = ()
) -> tuple[tuple[float, ...], dict[str, float]]:
    """Each named objective's value, in order, and the metrics (the returned dict's other numbers).

    ``variables`` holds the variables the cell set that may be read (those its code names),
    ``assigned`` the names the cell assigns (for the message when an objective is missing).  A
    missing objective, or one that is not a number, is an :class:`ObjectiveError` (the trial fails).
    """
    values, metrics = [], _dict_metrics(raw) if has_expression and isinstance(raw, Mapping) else {}
    for name in names:
        found, where = _lookup(raw, has_expression, name, variables, assigned)
        if found is _MISSING:
            raise ObjectiveError(
                f"the objective {name!r} is missing: {where}; return it as a key of a dict "
                f"(e.g. {{{name!r}: ...}}) or set {name} in the cell"
            )
        value, extra = _as_number(found, where)
        if math.isnan(value) or math.isinf(value):
            raise ObjectiveError(f"the objective {name!r} is {value}")
        values.append(value)
        metrics.pop(name, None)
        metrics.update({f"{name}_{k}": v for k, v in extra.items()})
    return tuple(values), metrics


def read_constraints(
    raw: Any, has_expression: bool, names: tuple[str, ...], variables: Mapping[str, Any]
) -> tuple[tuple[float, ...], tuple[str, ...]]:
    """Each constrained quantity, in order (NaN where it is missing or not a number: the trial is then
    infeasible), and a warning for each such."""
    values: list[float] = []
    warnings: list[str] = []
    for name in names:
        found, where = _lookup(raw, has_expression, name, variables)
        why = where if found is _MISSING else ""
        if not why:
            try:
                value, _ = _as_number(found, where)
            except ObjectiveError:
                why = f"{where} is {_show(found)}, not a number"
            else:
                why = f"{where} is NaN" if math.isnan(value) else ""
        if why:
            values.append(math.nan)
            warnings.append(f"the constraint on {name!r} cannot be checked, so this trial counts as infeasible: {why}")
        else:
            values.append(value)
    return tuple(values), tuple(warnings)


def extract_objective(raw: Any, metric: str | None) -> tuple[float, dict[str, float]]:
    """Turn what the cell produced into (objective, metrics); raise ObjectiveError otherwise."""
    if isinstance(raw, Mapping):
        return _from_dict(raw, metric)
    value, metrics = _as_number(raw, "the cell's last expression" if metric is None else f"variable {metric!r}")
    return _finite(value), metrics


def _keys(raw: Mapping) -> str:
    return ", ".join(map(repr, raw)) or "none"


def _dict_metrics(raw: Mapping) -> dict[str, float]:
    metrics: dict[str, float] = {}
    for key, value in raw.items():
        try:
            metrics[str(key)], extra = _as_number(value, f"key {key!r} of the returned dict")
        except ObjectiveError:
            continue  # non-numeric entries are allowed; only the objective must be a number
        metrics.update({f"{key}_{k}": v for k, v in extra.items()})
    return metrics


def _from_dict(raw: Mapping, metric: str | None) -> tuple[float, dict[str, float]]:
    if not raw:
        raise ObjectiveError("the cell returned an empty dict; return at least one number")
    key = metric if metric is not None else next(iter(raw))
    if key not in raw:
        raise ObjectiveError(
            f"the returned dict has no key {key!r} (keys: {_keys(raw)}); pass --metric with one of them"
        )
    value, _ = _as_number(raw[key], f"key {key!r} of the returned dict")
    metrics = _dict_metrics(raw)
    metrics.pop(str(key), None)
    return _finite(value), metrics


# -- one value ----------------------------------------------------------------------------

_FIX_BOOL = " (return float(...) of it if it is meant as a score)"
_TOO_LARGE = "too large for a float (at most about 1.8e308)"


def _as_number(value: Any, where: str) -> tuple[float, dict[str, float]]:
    """(number, metrics) of one value: a real number, or the mean of a flat sequence of them."""
    if isinstance(value, float):  # the common case first (np.float64 is a float too)
        return float(value), {}
    if _is_sequence(value):
        return _summary([_element(v, where, value) for v in value], where)
    if _is_scalar(value) or not hasattr(value, "__array__"):
        return _real(value, where, value), {}
    return _from_array(value, where)


def _is_sequence(value: Any) -> bool:
    return isinstance(value, Sequence) and not isinstance(value, (str, bytes, bytearray))


def _is_scalar(value: Any) -> bool:
    return isinstance(value, (numbers.Number, str, bytes)) or value is None


def _refuse(where: str, value: Any, why: str, hint: str = "") -> ObjectiveError:
    return ObjectiveError(f"{where} is {_show(value)}, {why}; the objective must be {ACCEPTED}{hint}")


def _show(value: Any) -> str:
    if value is None:
        return "None"
    if isinstance(value, int) and value.bit_length() > 256:  # (repr of a huge int is long, or refused)
        return f"an int of about {int(value.bit_length() * math.log10(2)) + 1} digits"
    try:
        text = fmt_short(value)
    except ValueError:  # a repr refused (an int beyond Python's digit limit inside a list)
        return f"a {type(value).__name__}"
    return f"a {type(value).__name__} of shape {value.shape}" if "\n" in text and hasattr(value, "shape") else text


def _real(x: Any, where: str, whole: Any) -> float:
    """One real number as a float; ``whole`` is what the cell returned, for the message."""
    inside = "" if x is whole else f"which holds {_show(x)}, "
    why = _not_real(x)
    if why:
        raise _refuse(where, whole, inside + why, _FIX_BOOL if why == "a boolean" else "")
    try:
        number = float(x)
    except OverflowError:
        raise _refuse(where, whole, inside + _TOO_LARGE) from None
    except (TypeError, ValueError):
        raise _refuse(where, whole, inside + "not a number") from None
    if math.isinf(number) and x != number:  # finite, beyond the float range: Decimal("1e400")
        raise _refuse(where, whole, inside + _TOO_LARGE)
    return number


def _not_real(x: Any) -> str:
    """Why ``x`` is not a real number ("" when it is one)."""
    if isinstance(x, bool):
        return "a boolean"
    if isinstance(x, (str, bytes)):
        return "a string (strings are not converted to numbers)"
    if isinstance(x, numbers.Complex) and not isinstance(x, numbers.Real):
        return "a complex number"
    if isinstance(x, numbers.Number):  # real numbers, and number types such as Decimal
        return ""
    return "not a number"


def _element(x: Any, where: str, whole: Any) -> float:
    """One element of a sequence the cell returned."""
    if isinstance(x, float):
        return float(x)
    if not _is_scalar(x) and hasattr(x, "__array__") and getattr(x, "ndim", None) == 0:
        x = x.item()  # a NumPy scalar or a 0-d array: np.bool_ becomes a bool, refused as one
    if _is_sequence(x) or (getattr(x, "ndim", None) or 0) > 0:
        raise _refuse(where, whole, "a nested sequence", "; return a flat sequence of numbers")
    return _real(x, where, whole)


def _summary(values: Any, where: str) -> tuple[float, dict[str, float]]:
    """The mean of the values (a list of floats, or a float array), with their standard deviation and count."""
    n = len(values)
    if n == 0:
        raise ObjectiveError(f"{where} is an empty sequence; the objective must be {ACCEPTED}")
    if n > _SMALL:
        return _summary_array(values)
    largest = max(map(abs, values))
    if not math.isfinite(largest):  # NaN or infinite values: the mean says so, and the trial fails on it
        return sum(values) / n, {"std": math.nan, "n": float(n)}
    scale = largest if largest > _LARGE else 1.0  # sums of huge values must not overflow
    scaled = [v / scale for v in values]
    mean = math.fsum(scaled) / n
    std = math.sqrt(math.fsum([(v - mean) ** 2 for v in scaled]) / (n - 1)) if n > 1 else 0.0
    return mean * scale, {"std": std * scale, "n": float(n)}


def _summary_array(values: Any) -> tuple[float, dict[str, float]]:
    import numpy as np

    array = np.asarray(values, dtype=float)
    largest = float(np.max(np.abs(array)))
    scale = largest if math.isfinite(largest) and largest > _LARGE else 1.0
    scaled = array / scale
    return float(scaled.mean()) * scale, {"std": float(scaled.std(ddof=1)) * scale, "n": float(array.size)}


_ARRAY_KINDS = {
    "b": "booleans",
    "c": "complex numbers",
    "U": "strings",
    "S": "bytes",
    "M": "dates",
    "m": "durations",
    "V": "records",
}


def _from_array(value: Any, where: str) -> tuple[float, dict[str, float]]:
    """A NumPy array or scalar (masked, 0-d or 1-d), a pandas Series, anything with ``__array__``."""
    import numpy as np

    masked = isinstance(value, np.ma.MaskedArray)
    try:
        array = np.asarray(value.compressed() if masked and value.ndim <= 1 else value)
    except (TypeError, ValueError):
        raise _refuse(where, value, "which cannot be read as numbers") from None
    kind = array.dtype.kind
    if kind in _ARRAY_KINDS:
        if kind == "b" and array.ndim == 0:
            raise _refuse(where, value, "a boolean", _FIX_BOOL)
        hint = " (return .astype(float) of it if it is meant as a score)" if kind == "b" else ""
        raise _refuse(where, value, f"which holds {_ARRAY_KINDS[kind]}", hint)
    if array.ndim > 1:
        frame = type(value).__name__ == "DataFrame"
        hint = (
            "; pick one column (df['score']) or one row as a dict (df.iloc[0].to_dict())"
            if frame
            else "; return a flat array of numbers (one row, one column, or .ravel())"
        )
        raise _refuse(where, value, f"of {array.ndim} dimensions (shape {array.shape})", hint)
    if masked and array.size == 0 and value.size > 0:
        raise _refuse(where, value, "whose values are all masked")
    if array.ndim == 0:
        return _real(array.item(), where, value), {}
    if kind in "iuf" and array.size:  # plain numbers: checked at once, not one by one
        with np.errstate(over="ignore"):
            floats = array.astype(float)
        if np.isinf(floats).any() and not np.isinf(array).any():
            raise _refuse(where, value, "which holds numbers " + _TOO_LARGE)
        return _summary(floats.tolist() if floats.size <= _SMALL else floats, where)
    return _summary([_element(v, where, value) for v in array.tolist()], where)


def _finite(value: float) -> float:
    if math.isnan(value):
        raise ObjectiveError("the objective is NaN")
    if math.isinf(value):
        raise ObjectiveError(f"the objective is {value}")
    return value
