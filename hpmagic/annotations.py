"""Cell text -> search space + rewritten code.

A tuned parameter is a top-level assignment with a trailing ``# tune: SPEC`` comment::

    C = 1.0        # tune: loguniform(1e-2, 1e3)
    degree = 3     # tune: int(2, 5) if kernel == "poly"

The cell is parsed with :mod:`ast` and its comments are read with :mod:`tokenize`.
Nothing in an annotation is ever evaluated: arguments must be literals (numbers, strings,
``None``, booleans, tuples, and constant arithmetic such as ``-1e-3`` or ``2**10``), which
this module folds itself.  Every mistake is collected and raised at once as an
:class:`AnnotationError` naming the line, the column, the problem and the fix, before any
trial runs.

The code is rewritten so that each tuned assignment reads its value from the trial::

    C = __hpmagic_values__.get("C", 1.0)

which keeps the cell's own line numbers for tracebacks.
"""

from __future__ import annotations

import ast
import difflib
import io
import math
import re
import tokenize
import warnings
from dataclasses import dataclass
from typing import Any

from .execution import VALUES_NAME
from .space import (
    DISTRIBUTIONS,
    Choice,
    Condition,
    Parameter,
    SearchSpace,
    SpaceError,
)

__all__ = ["AnnotationError", "Problem", "ParsedCell", "parse_cell", "VALUES_NAME"]

_TUNE_COMMENT = re.compile(r"#\s*tune\s*:(?P<spec>.*)$", re.IGNORECASE)
_ARGS = {
    "uniform": ("low", "high"),
    "loguniform": ("low", "high"),
    "int": ("low", "high"),
    "logint": ("low", "high"),
    "normal": ("mu", "sigma"),
    "lognormal": ("mu", "sigma"),
}
_STEP_OK = {"uniform", "int", "logint"}
_EXAMPLE = "C = 1.0  # tune: loguniform(1e-3, 1e3)"
_MAX_INT = 2**63


@dataclass(frozen=True)
class Problem:
    """One mistake in a cell: where it is (1-based line and column), what, and the fix."""

    line: int
    column: int
    message: str
    fix: str
    source_line: str = ""

    def format(self) -> str:
        text = f"line {self.line}, column {self.column}: {self.message}"
        if self.source_line:
            text += f"\n    {self.source_line}\n    {' ' * max(self.column - 1, 0)}^"
        if self.fix:
            text += f"\n  fix: {self.fix}"
        return text


class AnnotationError(ValueError):
    """The cell's ``# tune:`` annotations (or the cell itself) cannot be used.

    ``problems`` lists every mistake found; ``str(error)`` shows each with its line.
    """

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        count = len(self.problems)
        head = "the cell's annotations have a problem" if count == 1 else f"the cell's annotations have {count} problems"
        super().__init__(head + ":\n" + "\n".join(p.format() for p in self.problems))

    @property
    def line(self) -> int:
        return self.problems[0].line


@dataclass(frozen=True)
class ParsedCell:
    """What the runner needs: the space, the rewritten module, and whether it ends in an expression."""

    source: str
    space: SearchSpace
    module: ast.Module
    has_expression: bool


class _Fail(Exception):
    """Internal: one problem found while reading an annotation."""

    def __init__(self, message: str, fix: str = "", offset: int = 0):
        super().__init__(message)
        self.message, self.fix, self.offset = message, fix, offset


# ---------------------------------------------------------------------------------------
# Entry point
# ---------------------------------------------------------------------------------------


def parse_cell(source: str) -> ParsedCell:
    """Parse a cell's text; raise :class:`AnnotationError` listing every mistake."""
    lines = source.splitlines()

    def problem(line: int, column: int, message: str, fix: str = "") -> Problem:
        text = lines[line - 1] if 0 < line <= len(lines) else ""
        return Problem(line, column, message, fix, text)

    try:
        with warnings.catch_warnings():
            # The cell's own SyntaxWarnings show when it is compiled to run, not twice.
            warnings.simplefilter("ignore", SyntaxWarning)
            module = ast.parse(source)
            comments = _tune_comments(source)
    except (SyntaxError, ValueError, tokenize.TokenError, RecursionError, MemoryError) as exc:
        line = getattr(exc, "lineno", None) or 1
        col = getattr(exc, "offset", None) or 1
        msg = getattr(exc, "msg", None) or str(exc) or type(exc).__name__
        raise AnnotationError(
            [problem(line, col, f"the cell is not valid Python: {msg}", "correct the syntax; the cell must run on its own")]
        ) from None

    top_level = {stmt.end_lineno: stmt for stmt in module.body}  # last statement wins per line
    nested = _nested_statement_ends(module)
    annotated_names = {}
    for line, _, _, has_code in comments:
        stmt = top_level.get(line)
        name = _simple_target(stmt) if stmt is not None else None
        if name and has_code:
            annotated_names.setdefault(name, line)

    problems: list[Problem] = []
    params: list[Parameter] = []
    tuned_stmts: dict[int, str] = {}
    for line, col, spec, has_code in comments:
        spec_col = col  # 1-based column of the spec text
        try:
            if not has_code:
                raise _Fail(
                    "a `# tune:` annotation must trail an assignment on the same line",
                    f"put it after the assignment it tunes, e.g. `{_EXAMPLE}`",
                )
            stmt = top_level.get(line)
            where = nested.get(line)
            if stmt is None or (where and hasattr(stmt, "body")):
                if where:
                    raise _Fail(
                        f"the annotation trails an assignment inside a `{where}` block; only top-level assignments can be tuned",
                        "move the assignment to the top level of the cell (no indentation)",
                    )
                raise _Fail(
                    "the annotation is inside a statement that continues on the next line",
                    "put the annotation after the last line of the assignment",
                )
            name = _simple_target(stmt)
            if name is None:
                raise _Fail(
                    f"the annotation trails {_describe_stmt(stmt)}, not a simple assignment `NAME = DEFAULT`",
                    f"write one name on the left and its default on the right, e.g. `{_EXAMPLE}`",
                )
            if annotated_names[name] != line:
                raise _Fail(
                    f"{name!r} is already tuned on line {annotated_names[name]}",
                    "annotate each name once; remove one of the annotations",
                )
            if not spec.strip():
                raise _Fail("the annotation is empty", f"give a distribution after `tune:`, e.g. `{_EXAMPLE}`")
            value_node = stmt.value
            try:
                default = _literal(value_node, allow_tuple=True)
            except _Fail as exc:
                raise _Fail(
                    f"the default of {name!r} must be a literal, because it is trial 0's value: {exc.message}",
                    f"write the default as a number, string, bool, None or tuple, e.g. `{name} = 1.0`",
                    offset=-(col - value_node.col_offset - 1),
                ) from None
            dist, condition = _parse_spec(spec, name, annotated_names, line)
            params.append(Parameter(name, dist, default, condition, line))
            tuned_stmts[line] = name
        except _Fail as exc:
            problems.append(problem(line, max(spec_col + exc.offset, 1), exc.message, exc.fix))

    if problems:
        raise AnnotationError(problems)
    space = SearchSpace(tuple(params))
    has_expression = bool(module.body) and isinstance(module.body[-1], ast.Expr)
    _rewrite(module, tuned_stmts)
    return ParsedCell(source, space, module, has_expression)


# ---------------------------------------------------------------------------------------
# Reading the cell
# ---------------------------------------------------------------------------------------


def _tune_comments(source: str) -> list[tuple[int, int, str, bool]]:
    """(line, 1-based column of the spec, spec text, code before it on the line) for each tune comment."""
    found = []
    code_on_line: set[int] = set()
    skip = {tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT, tokenize.ENCODING}
    for tok in tokenize.generate_tokens(io.StringIO(source).readline):
        if tok.type not in skip and tok.type != tokenize.ENDMARKER:
            for ln in range(tok.start[0], tok.end[0] + 1):
                code_on_line.add(ln)
        if tok.type == tokenize.COMMENT:
            match = _TUNE_COMMENT.match(tok.string)
            if match:
                line, col = tok.start
                spec = match.group("spec")
                lead = len(spec) - len(spec.lstrip())
                found.append((line, col + match.start("spec") + lead + 1, spec.strip(), line in code_on_line))
    return found


def _nested_statement_ends(module: ast.Module) -> dict[int, str]:
    """Lines where a statement inside a block ends, with the kind of block (for messages)."""
    out: dict[int, str] = {}
    names = {
        ast.If: "if", ast.For: "for", ast.While: "while", ast.With: "with", ast.Try: "try",
        ast.FunctionDef: "def", ast.AsyncFunctionDef: "async def", ast.ClassDef: "class",
        ast.AsyncFor: "async for", ast.AsyncWith: "async with",
    }
    for top in module.body:
        kind = names.get(type(top), type(top).__name__.lower())
        for node in ast.walk(top):
            if isinstance(node, ast.stmt) and node is not top and node.end_lineno is not None:
                out.setdefault(node.end_lineno, kind)
    return out


def _simple_target(stmt: ast.stmt | None) -> str | None:
    if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name):
        return stmt.targets[0].id
    if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name) and stmt.value is not None:
        return stmt.target.id
    return None


def _describe_stmt(stmt: ast.stmt) -> str:
    if isinstance(stmt, ast.Assign):
        if len(stmt.targets) > 1:
            return "a chained assignment (`a = b = ...`)"
        target = stmt.targets[0]
        if isinstance(target, (ast.Tuple, ast.List)):
            return "an unpacking assignment (`a, b = ...`)"
        if isinstance(target, ast.Attribute):
            return "an assignment to an attribute"
        if isinstance(target, ast.Subscript):
            return "an assignment to an item"
    if isinstance(stmt, ast.AugAssign):
        return "an augmented assignment (`+=` and the like)"
    if isinstance(stmt, ast.AnnAssign):
        return "an annotation without a value"
    if isinstance(stmt, ast.Expr):
        return "an expression"
    return f"a `{type(stmt).__name__}` statement"


# ---------------------------------------------------------------------------------------
# Reading one annotation
# ---------------------------------------------------------------------------------------


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
        raise _Fail(
            f"cannot read the {what} `{text}`: {getattr(exc, 'msg', None) or exc}",
            "write a distribution such as `loguniform(1e-3, 1e3)` or `[\"a\", \"b\"]`, optionally followed by `if CONDITION`",
            offset=offset + max(col, 0),
        ) from None


def _parse_spec(spec: str, name: str, annotated: dict[str, int], line: int):
    left, cond_text, cond_offset = _split_condition(spec)
    if not left:
        raise _Fail("the annotation has a condition but no distribution", "write `SPEC if CONDITION`, e.g. `int(2, 5) if kernel == \"poly\"`")
    node = _parse_expr(left, 0, "distribution")
    dist = _distribution(node)
    condition = None
    if cond_text is not None:
        if not cond_text:
            raise _Fail("`if` is not followed by a condition", "write a condition such as `kernel == \"poly\"`", offset=cond_offset)
        cond_node = _parse_expr(cond_text, cond_offset, "condition")
        tree = _condition(cond_node, name, annotated, line, cond_offset)
        condition = Condition(tree, cond_text)
    return dist, condition


def _distribution(node: ast.expr):
    if isinstance(node, ast.List):
        return _make(Choice, "choice", [_choice_value(e) for e in node.elts], node)
    if isinstance(node, ast.Name):
        hint = f"`{node.id}(...)` with its arguments" if node.id in DISTRIBUTIONS else "a distribution call"
        raise _Fail(f"`{node.id}` is not a distribution call", f"write {hint}, e.g. `uniform(0, 1)`", offset=node.col_offset)
    if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Name):
        raise _Fail(
            "an annotation must be a distribution call or a list of choices",
            "write e.g. `loguniform(1e-3, 1e3)`, `int(1, 10)` or `[\"rbf\", \"poly\"]`",
            offset=node.col_offset,
        )
    kind = node.func.id
    if kind not in DISTRIBUTIONS:
        close = difflib.get_close_matches(kind, DISTRIBUTIONS, n=1)
        hint = f" (did you mean `{close[0]}`?)" if close else ""
        raise _Fail(
            f"unknown distribution `{kind}`",
            "use one of " + ", ".join(DISTRIBUTIONS) + hint,
            offset=node.func.col_offset,
        )
    if kind == "choice":
        if node.keywords:
            raise _Fail("choice takes no keyword arguments", "list the values: `choice(\"a\", \"b\")`", offset=node.keywords[0].value.col_offset)
        return _make(Choice, kind, [_choice_value(a) for a in node.args], node)

    names = _ARGS[kind]
    values: dict[str, Any] = {}
    for arg in node.args:
        if isinstance(arg, ast.Starred):
            raise _Fail("`*` arguments are not allowed", "write the arguments out", offset=arg.col_offset)
    if len(node.args) > len(names):
        raise _Fail(
            f"{kind} takes {len(names)} arguments ({', '.join(names)}), but got {len(node.args)}",
            f"write `{kind}({', '.join(names)})`" + (", with `step=q` for quantised values" if kind in _STEP_OK else ""),
            offset=node.args[len(names)].col_offset,
        )
    for arg_name, arg in zip(names, node.args):
        values[arg_name] = (_number(arg, kind, arg_name), arg)
    for kw in node.keywords:
        allowed = names + (("step",) if kind in _STEP_OK else ())
        if kw.arg not in allowed:
            fix = "remove it" if kw.arg != "step" else f"`step` works with {', '.join(sorted(_STEP_OK))}"
            raise _Fail(f"{kind} has no argument `{kw.arg}`", fix + f"; {kind} takes {', '.join(allowed)}", offset=kw.value.col_offset)
        if kw.arg in values:
            raise _Fail(f"`{kw.arg}` is given twice", "give each argument once", offset=kw.value.col_offset)
        values[kw.arg] = (_number(kw.value, kind, kw.arg), kw.value)
    missing = [n for n in names if n not in values]
    if missing:
        raise _Fail(
            f"{kind} takes {len(names)} arguments ({', '.join(names)}), but got {len(node.args) + len(node.keywords)}",
            f"write `{kind}({', '.join(names)})`, e.g. `{kind}{_example_args(kind)}`",
            offset=node.col_offset,
        )
    return _make(DISTRIBUTIONS[kind], kind, {k: v for k, (v, _) in values.items()}, node)


def _example_args(kind: str) -> str:
    return {"loguniform": "(1e-3, 1e3)", "logint": "(1, 1024)", "int": "(1, 10)", "normal": "(0, 1)", "lognormal": "(0, 1)"}.get(kind, "(0, 1)")


def _make(cls, kind: str, args, node: ast.expr):
    try:
        if cls is Choice:
            if not args:
                raise _Fail("the choice is empty", "list at least one value, e.g. `[\"rbf\", \"poly\"]`", offset=node.col_offset)
            return Choice(tuple(args))
        return cls(**args)
    except SpaceError as exc:
        message = str(exc)
        fix = {
            "loguniform": "raise `low` above 0, or use uniform(...) for a range that includes 0 or negative values",
            "logint": "raise `low` to 1 or more, or use int(...) for a range that includes 0",
        }.get(kind, "") if "low" in message and "high" not in message else ""
        if "low < high" in message:
            fix = "swap or correct the bounds so that low is below high"
        elif "more than once" in message:
            fix = "list each value once"
        elif not fix:
            fix = "correct the arguments"
        raise _Fail(message, fix, offset=node.col_offset) from None


def _number(node: ast.expr, kind: str, arg: str) -> float | int:
    value = _literal(node)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise _Fail(
            f"`{arg}` of {kind} must be a number, but got {value!r}",
            "write a number such as 0.1, -5 or 1e-3",
            offset=node.col_offset,
        )
    return value


def _choice_value(node: ast.expr) -> Any:
    if isinstance(node, (ast.List, ast.Set, ast.Dict)):
        kind = type(node).__name__.lower()
        raise _Fail(f"a choice value cannot be a {kind}", "use a tuple, e.g. `(64, 64)`, or a plain literal", offset=node.col_offset)
    return _literal(node, allow_tuple=True)


_BINOPS = {
    ast.Add: lambda a, b: a + b,
    ast.Sub: lambda a, b: a - b,
    ast.Mult: lambda a, b: a * b,
    ast.Div: lambda a, b: a / b,
    ast.FloorDiv: lambda a, b: a // b,
    ast.Mod: lambda a, b: a % b,
    ast.Pow: lambda a, b: a**b,
}


def _literal(node: ast.expr, allow_tuple: bool = False) -> Any:
    """Fold a literal: constants, signs, constant arithmetic and (optionally) tuples."""
    off = getattr(node, "col_offset", 0)
    if isinstance(node, ast.Constant):
        if isinstance(node.value, (complex, bytes)) or node.value is Ellipsis:
            raise _Fail(f"{node.value!r} is not allowed here", "use numbers, strings, bools, None or tuples", offset=off)
        return node.value
    if isinstance(node, ast.Tuple) and allow_tuple:
        return tuple(_choice_value(e) for e in node.elts)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        value = _literal(node.operand)
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise _Fail("a sign can only go before a number", "remove the sign", offset=off)
        return -value if isinstance(node.op, ast.USub) else +value
    if isinstance(node, ast.BinOp) and type(node.op) in _BINOPS:
        a, b = _literal(node.left), _literal(node.right)
        for v in (a, b):
            if isinstance(v, bool) or not isinstance(v, (int, float)):
                raise _Fail("arithmetic is only allowed between numbers", "write the value out", offset=off)
        if isinstance(node.op, ast.Pow) and (abs(b) > 1024 or abs(a) > _MAX_INT):
            raise _Fail("the power is too large", "write a smaller constant", offset=off)
        try:
            value = _BINOPS[type(node.op)](a, b)
        except (ZeroDivisionError, OverflowError, ValueError) as exc:
            raise _Fail(f"cannot compute this constant: {exc}", "write the value out", offset=off) from None
        if isinstance(value, complex) or (isinstance(value, int) and abs(value) > _MAX_INT**2):
            raise _Fail("the constant is not a usable real number", "write the value out", offset=off)
        if isinstance(value, float) and not math.isfinite(value):
            raise _Fail("the constant is not finite", "write a finite number", offset=off)
        return value
    what = "a name" if isinstance(node, ast.Name) else f"a `{type(node).__name__}` expression"
    shown = f" (`{node.id}`)" if isinstance(node, ast.Name) else ""
    raise _Fail(
        f"only literals are allowed in annotations, but got {what}{shown}",
        "write the value itself (annotations are never evaluated, so they cannot refer to variables or call functions)",
        offset=off,
    )


_CMP_OPS = {
    ast.Eq: "==", ast.NotEq: "!=", ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">=",
    ast.In: "in", ast.NotIn: "not in",
}
_FLIP = {"==": "==", "!=": "!=", "<": ">", "<=": ">=", ">": "<", ">=": "<="}


def _condition(node: ast.expr, owner: str, annotated: dict[str, int], line: int, base: int) -> tuple:
    off = base + getattr(node, "col_offset", 0)
    if isinstance(node, ast.BoolOp):
        op = "and" if isinstance(node.op, ast.And) else "or"
        return (op, *[_condition(v, owner, annotated, line, base) for v in node.values])
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        return ("not", _condition(node.operand, owner, annotated, line, base))
    if isinstance(node, ast.Name):
        return ("cmp", _condition_name(node, owner, annotated, line, base), "truthy", None)
    if isinstance(node, ast.Compare):
        parts = []
        left = node.left
        for op_node, right in zip(node.ops, node.comparators):
            op = _CMP_OPS[type(op_node)] if type(op_node) in _CMP_OPS else None
            if op is None:
                raise _Fail(
                    "`is` / `is not` are not allowed in conditions",
                    "use `==` or `!=`",
                    offset=off,
                )
            if isinstance(left, ast.Name) and not isinstance(right, ast.Name):
                parts.append(("cmp", _condition_name(left, owner, annotated, line, base), op, _cond_literal(right, op, base)))
            elif isinstance(right, ast.Name) and not isinstance(left, ast.Name) and op in _FLIP:
                parts.append(("cmp", _condition_name(right, owner, annotated, line, base), _FLIP[op], _cond_literal(left, op, base)))
            else:
                raise _Fail(
                    "a condition compares one tuned parameter with a literal",
                    "write e.g. `kernel == \"poly\"` or `n_layers >= 2`",
                    offset=base + left.col_offset,
                )
            left = right
        return parts[0] if len(parts) == 1 else ("and", *parts)
    raise _Fail(
        "a condition may only compare tuned parameters with literals, joined by `and`, `or`, `not`",
        "write e.g. `kernel == \"poly\"` or `solver in (\"saga\", \"liblinear\")`",
        offset=off,
    )


def _cond_literal(node: ast.expr, op: str, base: int) -> Any:
    if op in ("in", "not in"):
        if not isinstance(node, (ast.Tuple, ast.List, ast.Set)):
            raise _Fail(f"`{op}` needs a tuple of values", "write e.g. `kernel in (\"poly\", \"rbf\")`", offset=base + node.col_offset)
        return tuple(_condition_value(e, base) for e in node.elts)
    return _condition_value(node, base)


def _condition_value(node: ast.expr, base: int) -> Any:
    try:
        return _literal(node, allow_tuple=True)
    except _Fail as exc:
        raise _Fail(exc.message, exc.fix, offset=base + exc.offset) from None


def _condition_name(node: ast.Name, owner: str, annotated: dict[str, int], line: int, base: int) -> str:
    name = node.id
    off = base + node.col_offset
    if name == owner:
        raise _Fail(f"the condition of {owner!r} refers to {owner!r} itself", "a condition names other, earlier parameters", offset=off)
    if name not in annotated:
        raise _Fail(
            f"the condition names {name!r}, which is not a tuned parameter",
            f"conditions compare parameters tuned earlier in the cell; add a `# tune:` annotation to {name!r} above this line",
            offset=off,
        )
    if annotated[name] > line:
        raise _Fail(
            f"the condition names {name!r}, which is tuned later (line {annotated[name]})",
            f"move the assignment of {name!r} above line {line}",
            offset=off,
        )
    return name


# ---------------------------------------------------------------------------------------
# Rewriting
# ---------------------------------------------------------------------------------------


def _rewrite(module: ast.Module, tuned: dict[int, str]) -> None:
    """Make each tuned assignment read ``__hpmagic_values__.get(NAME, <default>)``."""
    for stmt in module.body:
        name = tuned.get(stmt.end_lineno) if isinstance(stmt, (ast.Assign, ast.AnnAssign)) else None
        if name is None or _simple_target(stmt) != name:
            continue
        original = stmt.value
        call = ast.Call(
            func=ast.Attribute(value=ast.Name(VALUES_NAME, ast.Load()), attr="get", ctx=ast.Load()),
            args=[ast.Constant(name), original],
            keywords=[],
        )
        stmt.value = ast.copy_location(call, original)
        ast.fix_missing_locations(stmt)
