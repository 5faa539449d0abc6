"""One annotation: ``SPEC [if CONDITION]`` -> a distribution and a condition.

Nothing is ever evaluated: the spec is parsed with :mod:`ast`, and its arguments must be
literals (numbers, strings, ``None``, booleans, tuples, and constant arithmetic such as
``-1e-3`` or ``2**10``), which this module folds itself.  A mistake raises
:class:`SpecError` with the message, the fix and the column offset inside the spec; the
parser (:mod:`.parser`) turns it into a :class:`~hpmagic.errors.Problem` with the cell's
line and column.  A distribution's own rule (``low < high``, a range floats cannot hold)
comes from :mod:`hpmagic.distributions`, prefixed with the parameter's name; each
comparison of a condition is checked against the values of the parameter it names, by
the rules :mod:`.conditions` states (a choice compared with a value it cannot take, an
ordering Python cannot evaluate, ``==`` on a continuous parameter, a comparison that holds
for no value or for every value).
"""

from __future__ import annotations

import ast
import difflib
import io
import math
import tokenize
import warnings
from collections.abc import Mapping
from typing import Any

from ..space import DISTRIBUTIONS, Choice, Condition, Distribution, SpaceError
from .conditions import check_comparison

__all__ = ["SpecError", "parse_spec", "literal", "EXAMPLE"]

_ARGS = {
    "uniform": ("low", "high"),
    "loguniform": ("low", "high"),
    "int": ("low", "high"),
    "logint": ("low", "high"),
    "normal": ("mu", "sigma"),
    "lognormal": ("mu", "sigma"),
}
_STEP_OK = {"uniform", "int", "logint"}
#: An annotation to show in fixes.
EXAMPLE = "C = 1.0  # tune: loguniform(1e-3, 1e3)"
_MAX_INT = 2**63


class SpecError(Exception):
    """One problem found while reading an annotation (the parser adds the line and column)."""

    def __init__(self, message: str, fix: str = "", offset: int = 0):
        super().__init__(message)
        self.message, self.fix, self.offset = message, fix, offset


def _split_condition(spec: str) -> tuple[str, str | None, int]:
    """Split ``SPEC if CONDITION`` at the top-level ``if``; return (spec, condition, offset of condition)."""
    depth = 0
    try:
        for tok in tokenize.generate_tokens(io.StringIO(spec).readline):
            if tok.type == tokenize.OP and tok.string in "([{":
                depth += 1
            elif tok.type == tokenize.OP and tok.string in ")]}":
                depth -= 1
            elif tok.type == tokenize.NAME and tok.string == "if" and depth == 0 and tok.start[0] == 1:
                start, end = tok.start[1], tok.end[1]
                rest = spec[end:]
                lead = len(rest) - len(rest.lstrip())
                return spec[:start].rstrip(), rest.strip(), end + lead
    except (tokenize.TokenError, SyntaxError):
        pass  # the expression parser below reports the mistake with its position
    return spec, None, 0


def _parse_expr(text: str, offset: int, what: str) -> ast.expr:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", SyntaxWarning)
            return ast.parse(text, mode="eval").body
    except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
        col = (getattr(exc, "offset", None) or 1) - 1
        raise SpecError(
            f"cannot read the {what} `{text}`: {getattr(exc, 'msg', None) or exc}",
            'write a distribution such as `loguniform(1e-3, 1e3)` or `["a", "b"]`, optionally followed by `if CONDITION`',
            offset=offset + max(col, 0),
        ) from None


def parse_spec(
    spec: str, name: str, annotated: dict[str, int], line: int, known: Mapping[str, Distribution] | None = None
) -> tuple[Distribution, Condition | None]:
    """Read ``SPEC [if CONDITION]`` of parameter ``name`` (annotated on ``line``).

    ``annotated`` maps every annotated name of the cell to its line, so a condition can
    only name parameters tuned earlier; ``known`` maps the earlier parameters read so far
    to their distributions, so each comparison of the condition is checked against the
    values its parameter can take (:mod:`.conditions`).
    """
    left, cond_text, cond_offset = _split_condition(spec)
    if not left:
        raise SpecError(
            "the annotation has a condition but no distribution",
            'write `SPEC if CONDITION`, e.g. `int(2, 5) if kernel == "poly"`',
        )
    node = _parse_expr(left, 0, "distribution")
    dist = _distribution(node, name)
    condition = None
    if cond_text is not None:
        if not cond_text:
            raise SpecError(
                "`if` is not followed by a condition",
                'write a condition such as `kernel == "poly"`',
                offset=cond_offset,
            )
        cond_node = _parse_expr(cond_text, cond_offset, "condition")
        tree = _condition(cond_node, _Scope(name, annotated, line, cond_offset, known or {}))
        condition = Condition(tree, cond_text)
    return dist, condition


def _distribution(node: ast.expr, name: str):
    """The distribution an annotation writes: a list of choices, or a call of a known kind."""
    if isinstance(node, ast.List):
        return _make(Choice, "choice", [_choice_value(e) for e in node.elts], node, name)
    if isinstance(node, ast.Name):
        hint = f"`{node.id}(...)` with its arguments" if node.id in DISTRIBUTIONS else "a distribution call"
        raise SpecError(
            f"`{node.id}` is not a distribution call", f"write {hint}, e.g. `uniform(0, 1)`", offset=node.col_offset
        )
    if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Name):
        raise SpecError(
            "an annotation must be a distribution call or a list of choices",
            'write e.g. `loguniform(1e-3, 1e3)`, `int(1, 10)` or `["rbf", "poly"]`',
            offset=node.col_offset,
        )
    kind = node.func.id
    if kind not in DISTRIBUTIONS:
        close = difflib.get_close_matches(kind, DISTRIBUTIONS, n=1)
        hint = f" (did you mean `{close[0]}`?)" if close else ""
        raise SpecError(
            f"unknown distribution `{kind}`",
            "use one of " + ", ".join(DISTRIBUTIONS) + hint,
            offset=node.func.col_offset,
        )
    if kind == "choice":
        if node.keywords:
            raise SpecError(
                "choice takes no keyword arguments",
                'list the values: `choice("a", "b")`',
                offset=node.keywords[0].value.col_offset,
            )
        return _make(Choice, kind, [_choice_value(a) for a in node.args], node, name)
    return _make(DISTRIBUTIONS[kind], kind, _arguments(node, kind), node, name)


def _arguments(node: ast.Call, kind: str) -> dict[str, float | int]:
    """The numeric arguments of a ``kind(...)`` call by name, positional and ``key=value`` alike,
    each checked (a number, given once, an argument ``kind`` takes) and none missing."""
    names = _ARGS[kind]
    values: dict[str, float | int] = {}
    for arg in node.args:
        if isinstance(arg, ast.Starred):
            raise SpecError("`*` arguments are not allowed", "write the arguments out", offset=arg.col_offset)
    if len(node.args) > len(names):
        raise SpecError(
            f"{kind} takes {len(names)} arguments ({', '.join(names)}), but got {len(node.args)}",
            f"write `{kind}({', '.join(names)})`"
            + (", with `step=q` for quantised values" if kind in _STEP_OK else ""),
            offset=node.args[len(names)].col_offset,
        )
    for arg_name, arg in zip(names, node.args):
        values[arg_name] = _number(arg, kind, arg_name)
    for kw in node.keywords:
        allowed = names + (("step",) if kind in _STEP_OK else ())
        if kw.arg not in allowed:
            fix = "remove it" if kw.arg != "step" else f"`step` works with {', '.join(sorted(_STEP_OK))}"
            raise SpecError(
                f"{kind} has no argument `{kw.arg}`",
                fix + f"; {kind} takes {', '.join(allowed)}",
                offset=kw.value.col_offset,
            )
        if kw.arg in values:
            raise SpecError(f"`{kw.arg}` is given twice", "give each argument once", offset=kw.value.col_offset)
        values[kw.arg] = _number(kw.value, kind, kw.arg)
    missing = [n for n in names if n not in values]
    if missing:
        raise SpecError(
            f"{kind} takes {len(names)} arguments ({', '.join(names)}), but got {len(node.args) + len(node.keywords)}",
            f"write `{kind}({', '.join(names)})`, e.g. `{kind}{_example_args(kind)}`",
            offset=node.col_offset,
        )
    return values


def _example_args(kind: str) -> str:
    return {
        "loguniform": "(1e-3, 1e3)",
        "logint": "(1, 1024)",
        "int": "(1, 10)",
        "normal": "(0, 1)",
        "lognormal": "(0, 1)",
    }.get(kind, "(0, 1)")


def _make(cls, kind: str, args, node: ast.expr, name: str):
    if cls is Choice and not args:
        raise SpecError(
            "the choice is empty", 'list at least one value, e.g. `["rbf", "poly"]`', offset=node.col_offset
        )
    try:
        return Choice(tuple(args)) if cls is Choice else cls(**args)
    except SpaceError as exc:  # the distribution states its rule, and knows the fix
        raise SpecError(
            f"{name!r}: {exc}", getattr(exc, "fix", "") or "correct the arguments", offset=node.col_offset
        ) from None


def _number(node: ast.expr, kind: str, arg: str) -> float | int:
    value = literal(node)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise SpecError(
            f"`{arg}` of {kind} must be a number, but got {value!r}",
            "write a number such as 0.1, -5 or 1e-3",
            offset=node.col_offset,
        )
    return value


def _choice_value(node: ast.expr) -> Any:
    if isinstance(node, (ast.List, ast.Set, ast.Dict)):
        kind = type(node).__name__.lower()
        raise SpecError(
            f"a choice value cannot be a {kind}",
            "use a tuple, e.g. `(64, 64)`, or a plain literal",
            offset=node.col_offset,
        )
    return literal(node, allow_tuple=True)


_BINOPS = {
    ast.Add: lambda a, b: a + b,
    ast.Sub: lambda a, b: a - b,
    ast.Mult: lambda a, b: a * b,
    ast.Div: lambda a, b: a / b,
    ast.FloorDiv: lambda a, b: a // b,
    ast.Mod: lambda a, b: a % b,
    ast.Pow: lambda a, b: a**b,
}


def literal(node: ast.expr, allow_tuple: bool = False) -> Any:
    """Fold a literal: constants, signs, constant arithmetic and (optionally) tuples."""
    off = getattr(node, "col_offset", 0)
    if isinstance(node, ast.Constant):
        if isinstance(node.value, (complex, bytes)) or node.value is Ellipsis:
            raise SpecError(
                f"{node.value!r} is not allowed here", "use numbers, strings, bools, None or tuples", offset=off
            )
        return node.value
    if isinstance(node, ast.Tuple) and allow_tuple:
        return tuple(_choice_value(e) for e in node.elts)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        value = literal(node.operand)
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise SpecError("a sign can only go before a number", "remove the sign", offset=off)
        return -value if isinstance(node.op, ast.USub) else +value
    if isinstance(node, ast.BinOp) and type(node.op) in _BINOPS:
        a, b = literal(node.left), literal(node.right)
        for v in (a, b):
            if isinstance(v, bool) or not isinstance(v, (int, float)):
                raise SpecError("arithmetic is only allowed between numbers", "write the value out", offset=off)
        if isinstance(node.op, ast.Pow) and (abs(b) > 1024 or abs(a) > _MAX_INT):
            raise SpecError("the power is too large", "write a smaller constant", offset=off)
        try:
            value = _BINOPS[type(node.op)](a, b)
        except (ZeroDivisionError, OverflowError, ValueError) as exc:
            raise SpecError(f"cannot compute this constant: {exc}", "write the value out", offset=off) from None
        if isinstance(value, complex) or (isinstance(value, int) and abs(value) > _MAX_INT**2):
            raise SpecError("the constant is not a usable real number", "write the value out", offset=off)
        if isinstance(value, float) and not math.isfinite(value):
            raise SpecError("the constant is not finite", "write a finite number", offset=off)
        return value
    what = "a name" if isinstance(node, ast.Name) else f"a `{type(node).__name__}` expression"
    shown = f" (`{node.id}`)" if isinstance(node, ast.Name) else ""
    raise SpecError(
        f"only literals are allowed in annotations, but got {what}{shown}",
        "write the value itself (annotations are never evaluated, so they cannot refer to variables or call functions)",
        offset=off,
    )


_CMP_OPS = {
    ast.Eq: "==",
    ast.NotEq: "!=",
    ast.Lt: "<",
    ast.LtE: "<=",
    ast.Gt: ">",
    ast.GtE: ">=",
    ast.In: "in",
    ast.NotIn: "not in",
}
_FLIP = {"==": "==", "!=": "!=", "<": ">", "<=": ">=", ">": "<", ">=": "<="}


class _Scope:
    """What reading one condition needs: whose it is, the cell's tuned names, where it starts."""

    def __init__(self, owner: str, annotated: dict[str, int], line: int, base: int, known: Mapping[str, Distribution]):
        self.owner, self.annotated, self.line, self.base, self.known = owner, annotated, line, base, known


def _condition(node: ast.expr, scope: _Scope) -> tuple:
    base = scope.base
    off = base + getattr(node, "col_offset", 0)
    if isinstance(node, ast.BoolOp):
        op = "and" if isinstance(node.op, ast.And) else "or"
        return (op, *[_condition(v, scope) for v in node.values])
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        return ("not", _condition(node.operand, scope))
    if isinstance(node, ast.Name):
        return _comparison(_condition_name(node, scope), "truthy", None, node, scope)
    if isinstance(node, ast.Compare):
        parts = []
        left = node.left
        for op_node, right in zip(node.ops, node.comparators):
            if type(op_node) not in _CMP_OPS:
                raise SpecError(
                    "`is` / `is not` are not allowed in conditions",
                    "use `==` or `!=`",
                    offset=off,
                )
            op = _CMP_OPS[type(op_node)]
            if isinstance(left, ast.Name) and not isinstance(right, ast.Name):
                name, value = _condition_name(left, scope), _cond_literal(right, op, base)
                parts.append(_comparison(name, op, value, right, scope))
            elif isinstance(right, ast.Name) and not isinstance(left, ast.Name) and op in _FLIP:
                name, value = _condition_name(right, scope), _cond_literal(left, op, base)
                parts.append(_comparison(name, _FLIP[op], value, left, scope))
            else:
                raise SpecError(
                    "a condition compares one tuned parameter with a literal",
                    'write e.g. `kernel == "poly"` or `n_layers >= 2`',
                    offset=base + left.col_offset,
                )
            left = right
        return parts[0] if len(parts) == 1 else ("and", *parts)
    raise SpecError(
        "a condition may only compare tuned parameters with literals, joined by `and`, `or`, `not`",
        'write e.g. `kernel == "poly"` or `solver in ("saga", "liblinear")`',
        offset=off,
    )


def _comparison(name: str, op: str, value: Any, node: ast.expr, scope: _Scope) -> tuple:
    """The leaf ``("cmp", name, op, value)``, once checked against the values ``name`` can take."""
    dist = scope.known.get(name)
    found = check_comparison(name, dist, op, value) if dist is not None else None
    if found is not None:
        elements = getattr(node, "elts", None)
        at = elements[found.element] if elements is not None and found.element is not None else node
        raise SpecError(found.message, found.fix, offset=scope.base + at.col_offset)
    return ("cmp", name, op, value)


def _cond_literal(node: ast.expr, op: str, base: int) -> Any:
    if op in ("in", "not in"):
        if not isinstance(node, (ast.Tuple, ast.List, ast.Set)):
            raise SpecError(
                f"`{op}` needs a tuple of values",
                'write e.g. `kernel in ("poly", "rbf")`',
                offset=base + node.col_offset,
            )
        return tuple(_condition_value(e, base) for e in node.elts)
    return _condition_value(node, base)


def _condition_value(node: ast.expr, base: int) -> Any:
    try:
        return literal(node, allow_tuple=True)
    except SpecError as exc:
        raise SpecError(exc.message, exc.fix, offset=base + exc.offset) from None


def _condition_name(node: ast.Name, scope: _Scope) -> str:
    name, owner, annotated, line = node.id, scope.owner, scope.annotated, scope.line
    off = scope.base + node.col_offset
    if name == owner:
        raise SpecError(
            f"the condition of {owner!r} refers to {owner!r} itself",
            "a condition names other, earlier parameters",
            offset=off,
        )
    if name not in annotated:
        raise SpecError(
            f"the condition names {name!r}, which is not a tuned parameter",
            f"conditions compare parameters tuned earlier in the cell; add a `# tune:` annotation to {name!r} above this line",
            offset=off,
        )
    if annotated[name] > line:
        raise SpecError(
            f"the condition names {name!r}, which is tuned later (line {annotated[name]})",
            f"move the assignment of {name!r} above line {line}",
            offset=off,
        )
    return name
