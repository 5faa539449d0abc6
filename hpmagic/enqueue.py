"""Configurations to try first (``--enqueue NAME``, ``tune(enqueue=...)``).

:func:`resolve` turns what the user gave into whole configurations of the cell's space, before
anything runs: a list of dicts, a pandas DataFrame (one row a configuration; columns named as
the parameters, or ``param_<name>`` as :meth:`TuneResult.to_dataframe` writes them; a missing
value is not given), or a :class:`~hpmagic.result.TuneResult` (also a stored study read back
with :func:`hpmagic.load_study`): its complete trials, best first.  ``--enqueue NAME:K`` takes
the first ``K`` (of a result: its ``K`` best complete trials; without ``K``, all of them).

A partial configuration takes the cell's defaults for the rest (of a conditional parameter,
only when it is active).  A name not in the space, a value outside it, or a value given for a
parameter its condition leaves inactive, is one :class:`~hpmagic.errors.OptionError` naming the
configuration (its index) and the parameter.  A configuration given twice runs once, and one
that is the cell's defaults is not run again after trial 0; both are said in the summary.

The runner (:mod:`hpmagic.runner`) runs them after the defaults and before the strategy
proposes anything, each once: it hands them out itself, so with ``--jobs`` or on an engine each
goes to one worker, and on resuming a study it skips those the study already holds (by their
parameters; an interrupted trial does not count).  Each trial that ran one is marked in its
record, ``trial.pruning["enqueued"]`` = the configuration's index, stored with the study.
They count toward the budget (``-n``); those the search ends before are said in the summary.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .core import Trial, TrialState
from .distributions import Int, LogUniform, Uniform
from .errors import OptionError
from .lists import same_value
from .space import Parameter, SearchSpace

__all__ = ["Enqueued", "resolve", "pending", "MARK", "notes"]

#: The key of ``Trial.pruning`` that marks a trial that ran a given configuration (its index).
MARK = "enqueued"

_FLOATS = ("uniform", "loguniform", "normal", "lognormal")
_INTS = ("int", "logint")


@dataclass(frozen=True)
class Enqueued:
    """The configurations to run first, whole and each once, in the order given; ``notes`` say what
    was left out (repeats, the defaults)."""

    configs: tuple[dict[str, Any], ...] = ()
    notes: tuple[str, ...] = ()


def resolve(value: Any, namespace: Mapping[str, Any], space: SearchSpace, baseline: bool = True) -> Enqueued:
    """``--enqueue``'s value (a name, ``NAME:K``, or the object itself) as whole configurations of ``space``;
    every mistake is an :class:`OptionError`."""
    if value is None:
        return Enqueued()
    label, given, k = _lookup(value, namespace)
    rows = _rows(label, given)
    if k is not None:
        rows = rows[:k]
    configs: list[tuple[int, dict[str, Any]]] = []
    said: list[str] = []
    defaults = space.defaults()
    for index, row in enumerate(rows):
        config = _complete(label, index, row, space)
        seen = next((i for i, c in configs if _same(c, config)), None)
        if seen is not None:
            said.append(f"{label}: configuration [{index}] repeats [{seen}], so it runs once")
        elif baseline and _same(config, defaults):
            said.append(f"{label}: configuration [{index}] is the cell's defaults, which ran as trial 0")
        else:
            configs.append((index, config))
    return Enqueued(tuple(c for _, c in configs), tuple(said))


def pending(configs: Sequence[dict[str, Any]], stored: Iterable[Trial]) -> list[tuple[int, dict[str, Any]]]:
    """The configurations (with their index) that no stored trial ran: an interrupted one does not count."""
    done = [t.params for t in stored if t.state is not TrialState.INTERRUPTED]
    return [(i, c) for i, c in enumerate(configs) if not any(_same(c, p) for p in done)]


def notes(configs: Sequence[dict[str, Any]], trials: Sequence[Trial]) -> tuple[str, ...]:
    """What the summary says: which trials ran given configurations, and how many did not run."""
    if not configs:
        return ()
    ran = sorted(t.number for t in trials if MARK in t.pruning and t.state is not TrialState.INTERRUPTED)
    said = []
    if ran:
        which = _numbers(ran)
        said.append(
            f"trial{'s' * (len(ran) > 1)} {which} {'were' if len(ran) > 1 else 'was'} enqueued "
            "(configurations given with --enqueue)"
        )
    left = len(pending(configs, trials))
    if left:
        said.append(
            f"{left} of the {len(configs)} enqueued configurations did not run: the search ended first "
            "(raise -n to run them)"
        )
    return tuple(said)


# -- reading what was given -------------------------------------------------------------------


def _lookup(value: Any, namespace: Mapping[str, Any]) -> tuple[str, Any, int | None]:
    """``(label, object, K)``: a string is ``NAME`` or ``NAME:K``, looked up in the namespace."""
    if not isinstance(value, str):
        return "enqueue", value, None
    name, _, count = value.strip().partition(":")
    name = name.strip()
    label = f"--enqueue {value.strip()}"
    if not name.isidentifier():
        raise OptionError(
            f"{label}: give the name of a variable holding the configurations, e.g. --enqueue tries "
            "or --enqueue result:5"
        )
    k = None
    if count:
        try:
            k = int(count)
        except ValueError:
            k = 0
        if k < 1:
            raise OptionError(
                f"{label}: after the colon comes how many configurations to take, a whole number of "
                f"at least 1 (e.g. --enqueue {name}:5), but got {count!r}"
            )
    if name not in namespace:
        raise OptionError(f"{label}: there is no variable {name!r} in the namespace")
    return f"--enqueue {name}", namespace[name], k


def _rows(label: str, given: Any) -> list[Mapping[str, Any]]:
    """The configurations of a list of dicts, a DataFrame or a result, as dicts of what each gives."""
    if hasattr(given, "top") and hasattr(given, "trials") and hasattr(given, "space"):  # a TuneResult
        return [dict(t.params) for t in given.top(len(given.trials))]
    if hasattr(given, "to_dict") and hasattr(given, "columns"):  # a pandas DataFrame
        records = given.to_dict("records")
        prefixed = [c for c in given.columns if isinstance(c, str) and c.startswith("param_")]
        if prefixed:  # as TuneResult.to_dataframe() writes them
            records = [{c[len("param_") :]: r[c] for c in prefixed} for r in records]
        return [{k: v for k, v in r.items() if not _missing(v)} for r in records]
    if isinstance(given, Mapping) or isinstance(given, (str, bytes)) or not isinstance(given, Iterable):
        raise OptionError(
            f"{label}: takes a list of dicts (one a configuration), a pandas DataFrame, a TuneResult "
            f"or a study read with hpmagic.load_study, but got {type(given).__name__}"
            + ("; for one configuration, give a list of it: [config]" if isinstance(given, Mapping) else "")
        )
    rows = list(given)
    for index, row in enumerate(rows):
        if not isinstance(row, Mapping):
            raise OptionError(
                f"{label}: configuration [{index}] is a {type(row).__name__}, not a dict of "
                "parameter values, e.g. {'C': 10.0}"
            )
    return rows


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _complete(label: str, index: int, row: Mapping[str, Any], space: SearchSpace) -> dict[str, Any]:
    """The configuration ``row`` gives, its other active parameters at the cell's defaults; checked."""
    where = f"{label}: configuration [{index}]"
    names = space.names
    for name in row:
        if name not in names:
            close = difflib.get_close_matches(str(name), names, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise OptionError(
                f"{where} names {name!r}, which is not a tuned parameter of the cell{hint}; "
                f"the parameters are {', '.join(names)}"
            )
    values = {name: _checked(where, space[name], _plain(v)) for name, v in row.items()}
    config = space.build(lambda p: values[p.name] if p.name in values else p.default)
    inactive = [n for n in values if n not in config]
    if inactive:
        p = space[inactive[0]]
        raise OptionError(
            f"{where} gives {p.name!r}, but its condition does not hold in this configuration, "
            f"so the cell does not read it; drop {p.name!r} from it, or give the values that make it active"
        )
    return config


def _plain(value: Any) -> Any:
    """A numpy scalar as the Python number it holds."""
    if hasattr(value, "item") and not isinstance(value, (str, bytes, tuple, list)):
        try:
            return value.item()
        except (TypeError, ValueError):
            return value
    return value


def _checked(where: str, p: Parameter, value: Any) -> Any:
    """``value`` of ``p`` as the space holds it (a whole float of an int range as an int, an int of a
    float range as a float); a value outside the space is an :class:`OptionError` saying the range."""
    dist = p.distribution
    if dist.kind in _FLOATS + _INTS:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise OptionError(f"{where}: {p.name} = {value!r} is not a number; {p.name} takes numbers in {dist}")
        if dist.kind in _INTS and isinstance(value, float):
            if not value.is_integer():
                raise OptionError(
                    f"{where}: {p.name} = {value!r} is not a whole number; {p.name} takes whole numbers in {dist}"
                )
            value = int(value)
        elif dist.kind in _FLOATS:
            value = float(value)
    if (
        dist.kind == "choice"
        and isinstance(value, float)
        and value.is_integer()
        and not dist.contains(value)
        and dist.contains(int(value))
    ):
        value = int(value)  # a whole option read back from a table column with gaps, where pandas made it a float
    if not dist.contains(value):
        what = "is not one of the options of" if dist.kind == "choice" else "lies outside the range of"
        raise OptionError(
            f"{where}: {p.name} = {value!r} {what} {p.name}, {dist}; give a value inside it, or widen the annotation"
        )
    if isinstance(dist, (Uniform, LogUniform, Int)) and dist.step is not None:  # only its steps are values
        k = math.floor((value - dist.low) / dist.step + 1e-9)
        below, above = dist.step_value(k), dist.step_value(k + 1)
        if not any(math.isclose(value, v, rel_tol=1e-9, abs_tol=1e-12) for v in (below, above)):
            raise OptionError(
                f"{where}: {p.name} = {value!r} is not a step of {p.name}, {dist}; the nearest are "
                f"{below!r} and {above!r}"
            )
    return value


def _same(a: Mapping[str, Any], b: Mapping[str, Any]) -> bool:
    return a.keys() == b.keys() and all(same_value(a[k], b[k]) for k in a)


def _numbers(numbers: list[int]) -> str:
    """``[1, 2, 3, 7]`` as ``"1-3, 7"``."""
    spans: list[list[int]] = []
    for n in numbers:
        if spans and n == spans[-1][1] + 1:
            spans[-1][1] = n
        else:
            spans.append([n, n])
    return ", ".join(str(a) if a == b else f"{a}-{b}" for a, b in spans)
