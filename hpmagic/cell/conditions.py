"""Checking a condition's comparisons against the parameters they name.

A condition (``degree = 3  # tune: int(2, 5) if kernel == "poly"``) compares earlier tuned
parameters with literals.  A comparison that no value of its parameter can make true, or
that every value makes true, is a mistake the search would hide (the parameter would
silently never, or always, be tuned), so :mod:`.spec` refuses it at parse time.  The
rules, each checked on one comparison of the condition:

- a **choice** compared with ``==``, ``!=``, ``in`` or ``not in`` to a literal that is not
  one of its options (``kernel == "ploy"``; also ``!=``, which then always holds): the
  message names the literal and the options, the fix offers the closest option;
- an **ordering** (``<``, ``<=``, ``>``, ``>=``) of values that Python cannot order (a
  string option with a number, a number with a string, ``None``, a tuple or a bool);
- a **number** parameter compared with something that is not a number (strings,
  ``None``, bools, tuples: they never equal a number);
- an ``int``/``logint`` (or a ``uniform`` with ``step``) compared with ``==``, ``!=``,
  ``in`` or ``not in`` to a value it cannot take (outside its range, not a whole number,
  off its steps);
- a **continuous** parameter (``uniform`` without ``step``, ``loguniform``, ``normal``,
  ``lognormal``) compared with ``==``, ``!=``, ``in`` or ``not in``, or used alone as a
  truth value: equality with one float practically never happens, use ``<`` or ``>``;
- any comparison that holds for **no value or for every value** of its parameter: an
  ordering against a literal beyond the range (``n_layers > 10`` for ``int(1, 4)``; for
  ``normal``/``lognormal`` the range is where draws fall, ``mu ± 7.03 sigma``), an ``in``
  that lists every option, a choice whose options are all true (or all false) used alone.

Each comparison is checked on its own: comparisons joined by ``and``/``or``/``not`` are not
solved together (``k == "a" and k == "b"`` is not reported).  A condition naming a
parameter whose own annotation is wrong is not checked (that annotation is reported).
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .._format import fmt_arg
from ..space import Choice, Condition, Distribution, Int

__all__ = ["Finding", "check_comparison"]

_ORDER = ("<", "<=", ">", ">=")
_EQUALITY = ("==", "!=", "in", "not in")
_ENUMERATE = 1000  # discrete parameters with at most this many values are checked value by value
_FIX_CONTINUOUS = "compare a continuous parameter with `<`, `<=`, `>` or `>=`, e.g. `{example}`, or make it discrete (`step=` or a choice)"


@dataclass(frozen=True)
class Finding:
    """A comparison that cannot be right: the message, the fix, and which element of an
    ``in`` tuple it is about (``None``: the literal as a whole)."""

    message: str
    fix: str
    element: int | None = None


def check_comparison(name: str, dist: Distribution, op: str, literal: Any) -> Finding | None:
    """What is wrong with ``name OP literal`` for a parameter of ``dist``; ``None`` when nothing is.

    ``op`` is one of ``==``, ``!=``, ``<``, ``<=``, ``>``, ``>=``, ``in``, ``not in`` (then
    ``literal`` is a tuple) or ``truthy`` (the bare name).
    """
    text = _text(name, op, literal)
    if op in ("in", "not in") and not literal:
        holds = "never holds" if op == "in" else "always holds"
        return Finding(
            f"`{text}` lists no values, so it {holds}", f"list the values, e.g. `{name} in ({_example(dist)},)`"
        )
    if isinstance(dist, Choice):
        found = _check_choice(name, dist, op, literal, text)
    else:
        found = _check_number(name, dist, op, literal, text)
    if found is not None:
        return found
    return _constant(name, dist, op, literal, text)


def _text(name: str, op: str, literal: Any) -> str:
    return f"if {name}" if op == "truthy" else f"{name} {op} {literal!r}"


def _items(op: str, literal: Any) -> tuple:
    return tuple(literal) if op in ("in", "not in") else (literal,)


def _holds(name: str, op: str, literal: Any) -> Callable[[Any], bool]:
    """The comparison as the search evaluates it, as a function of the parameter's value."""
    condition = Condition(("cmp", name, op, literal))
    return lambda value: condition.evaluate({name: value})


# -- choices -------------------------------------------------------------------------------


def _check_choice(name: str, dist: Choice, op: str, literal: Any, text: str) -> Finding | None:
    options = dist.options
    if op in _EQUALITY:
        for i, item in enumerate(_items(op, literal)):
            if not any(_holds(name, "==", item)(o) for o in options):
                return _not_an_option(name, dist, op, item, text, i if op in ("in", "not in") else None)
    elif op in _ORDER:
        bad = [o for o in options if not _orderable(o, literal)]
        if bad:
            shown = " or ".join(map(repr, bad))
            return Finding(
                f"`{text}` cannot be evaluated when {name} is {shown}: Python cannot order "
                f"{_kind(bad[0])} against {literal!r} ({_kind(literal)}), so the condition would silently be false",
                f"compare {name} with values of its options' type, or list the options for which the condition "
                f"holds, e.g. `{name} in ({', '.join(map(repr, options[:2]))})`",
            )
    return None


def _not_an_option(name: str, dist: Choice, op: str, item: Any, text: str, element: int | None) -> Finding:
    options = ", ".join(map(repr, dist.options))
    outcome = {"==": "never holds", "!=": "always holds"}.get(op)
    then = f": `{text}` {outcome}" if outcome else f", so listing it in `{text}` has no effect"
    return Finding(
        f"the condition compares {name} with {item!r}, which is not one of its options ({options}){then}",
        f"compare {name} with one of its options{_did_you_mean(item, dist.options)}",
        element,
    )


def _did_you_mean(item: Any, options: tuple) -> str:
    """The option ``item`` was probably meant to be: the same text ("1" for 1, "Poly" for "poly"), or a close one."""
    by_text = {str(o).lower(): o for o in reversed(options)}  # the first option wins a tie
    text = str(item).lower()
    close = [text] if text in by_text else difflib.get_close_matches(text, list(by_text), n=1)
    return f" (did you mean {by_text[close[0]]!r}?)" if close else ""


def _orderable(a: Any, b: Any) -> bool:
    try:
        a < b  # noqa: B015 - only whether Python can order them matters
    except TypeError:
        return False
    return True


def _kind(value: Any) -> str:
    if value is None:
        return "None"
    kind = type(value).__name__
    return f"{'an' if kind[0] in 'aeiou' else 'a'} {kind}"


# -- numbers -------------------------------------------------------------------------------


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _check_number(name: str, dist: Distribution, op: str, literal: Any, text: str) -> Finding | None:
    many = op in ("in", "not in")
    for i, item in enumerate(_items(op, literal)):
        element = i if many else None
        if op == "truthy":
            break
        if not _is_number(item):
            if op in _ORDER:
                return Finding(
                    f"`{text}` compares the number {name} ({dist}) with {item!r} ({_kind(item)}): "
                    "a number cannot be ordered against it, so the condition would silently be false",
                    f"compare {name} with a number, e.g. `{name} {op} {_example(dist)}`",
                )
            holds = "never holds" if op in ("==", "in") else "always holds"
            return Finding(
                f"the condition compares the number {name} ({dist}) with {item!r} ({_kind(item)}), "
                f"which it never equals: `{text}` {holds}"
                if not many
                else f"the condition lists {item!r} ({_kind(item)}) for the number {name} ({dist}), which it never equals",
                f"compare {name} with a number, e.g. `{name} == {_example(dist)}`"
                if dist.discrete
                else _FIX_CONTINUOUS.format(example=f"{name} > {_example(dist)}"),
                element,
            )
        if op in _EQUALITY and not dist.discrete:
            return _continuous_equality(name, dist, op, text, element)
        if op in _EQUALITY:
            why = _not_a_value(dist, item)
            if why:
                holds = {"==": "never holds", "!=": "always holds"}.get(op, "has no effect")
                return Finding(
                    f"`{text}` {holds}: {fmt_arg(item)} is not a value of {name} ({dist}): {why}",
                    f"compare {name} with one of its values, e.g. `{name} == {_example(dist)}`, or use `<` / `>`",
                    element,
                )
    if op == "truthy" and not dist.discrete:
        return Finding(
            f"`if {name}` means `{name} != 0`, which practically always holds for the continuous {name} ({dist})",
            _FIX_CONTINUOUS.format(example=f"{name} > {_example(dist)}"),
        )
    return None


def _continuous_equality(name: str, dist: Distribution, op: str, text: str, element: int | None) -> Finding:
    holds = "never" if op in ("==", "in") else "always"
    return Finding(
        f"`{text}` practically {holds} holds: {name} is continuous ({dist}), so it is almost never exactly that value",
        _FIX_CONTINUOUS.format(example=f"{name} > {_example(dist)}"),
        element,
    )


def _not_a_value(dist: Distribution, item: float) -> str:
    """Why ``item`` is not a value of the discrete numeric ``dist`` ("" when it is one)."""
    low, high, step = dist.low, dist.high, dist.step  # type: ignore[attr-defined]
    if not low <= item <= high:
        return f"it lies outside [{fmt_arg(low)}, {fmt_arg(high)}]"
    if isinstance(dist, Int):
        if not float(item).is_integer():
            return "it is not a whole number"
        if step is not None and (int(item) - low) % step:
            return f"its values go from {fmt_arg(low)} in steps of {fmt_arg(step)}"
        return ""
    k = round((item - low) / step)
    nearest = dist.step_value(min(max(k, 0), int(dist.cardinality()) - 1))  # type: ignore[attr-defined]
    if nearest == item:
        return ""
    return f"its values go from {fmt_arg(low)} in steps of {fmt_arg(step)} (the nearest is {nearest!r})"


def _example(dist: Distribution) -> str:
    return repr(dist.from_unit(0.5)) if isinstance(dist, Choice) else fmt_arg(dist.from_unit(0.5))


# -- comparisons that hold for no value or for every value ---------------------------------


def _constant(name: str, dist: Distribution, op: str, literal: Any, text: str) -> Finding | None:
    outcomes = _outcomes(dist, _holds(name, op, literal), op)
    if outcomes is None or len(outcomes) == 2:
        return None
    holds = "always holds" if outcomes == {True} else "never holds"
    if isinstance(dist, Choice):
        where = f"its options are {', '.join(map(repr, dist.options))}"
    elif dist.discrete:
        where = f"its values go from {fmt_arg(dist.from_unit(0.0))} to {fmt_arg(dist.from_unit(1.0))}"
    else:
        reach = " (draws fall within mu ± 7.03 sigma)" if not hasattr(dist, "low") else ""
        where = f"its values lie between {fmt_arg(dist.from_unit(0.0))} and {fmt_arg(dist.from_unit(1.0))}{reach}"
    if op in _ORDER:
        fix = "compare with a value inside the parameter's range, or drop the condition"
    elif op == "truthy":
        fix = f"compare {name} with one of its values, e.g. `{name} == {_example(dist)}`, or drop the condition"
    else:
        fix = f"list fewer of {name}'s values, or drop the condition"
    return Finding(
        f"`{text}` {holds} for {name} ({dist}): {where}" + (", so it does nothing" if outcomes == {True} else ""), fix
    )


def _outcomes(dist: Distribution, holds: Callable[[Any], bool], op: str) -> set[bool] | None:
    """Whether the comparison can be true and false over the parameter's values (``None``: not checked)."""
    if dist.discrete and dist.cardinality() <= _ENUMERATE:
        return {holds(v) for v in dist.grid(int(dist.cardinality()))}
    if op == "truthy":  # a discrete number: false only at 0 (a continuous one was refused already)
        return {True} | ({False} if not _not_a_value(dist, 0) else set())
    if op not in _ORDER:
        return None  # equality with one value of many is neither always nor never
    # An ordering is true on one side of the literal: over the range, it can be true (or
    # false) iff it is so at an end (just inside the ends, for a continuous range).
    lo, hi = dist.from_unit(0.0), dist.from_unit(1.0)
    if not dist.discrete:
        lo, hi = math.nextafter(lo, hi), math.nextafter(hi, lo)
    return {holds(lo), holds(hi)}
