"""Cell text -> search space + rewritten code.

A tuned parameter is a top-level assignment with a trailing ``# tune: SPEC`` comment::

    C = 1.0        # tune: loguniform(1e-2, 1e3)
    degree = 3     # tune: int(2, 5) if kernel == "poly"

The cell is parsed with :mod:`ast` and its comments are read with :mod:`tokenize`; each
annotation is read by :mod:`.spec`, and nothing in it is ever evaluated.  Every mistake
is collected and raised at once as an :class:`~hpmagic.errors.AnnotationError` naming the
line, the column, the problem and the fix, before any trial runs, together with what
:mod:`.statements` finds in the code itself (hpmagic's reserved name, top-level ``await``,
``yield`` or ``return``, a second cell magic such as ``%%time``).

The code is rewritten so that each tuned assignment reads its value from the trial::

    C = __hpmagic_values__.get("C", 1.0)

which keeps the cell's own line numbers for tracebacks.
"""

from __future__ import annotations

import ast
import io
import re
import tokenize
import warnings
from dataclasses import dataclass

from ..errors import AnnotationError, Problem
from ..space import Distribution, Parameter, SearchSpace
from .program import VALUES_NAME, CellProgram
from .spec import EXAMPLE, SpecError, literal, parse_spec
from .statements import cell_magic, code_problems

__all__ = ["ParsedCell", "parse_cell"]

_TUNE_COMMENT = re.compile(r"#\s*tune\s*:(?P<spec>.*)$", re.IGNORECASE)


@dataclass(frozen=True)
class _Comment:
    line: int
    column: int  # 1-based column of the spec text
    spec: str
    has_code: bool  # code precedes the comment on its line


@dataclass(frozen=True)
class ParsedCell:
    """What a search needs of a cell: the space, the rewritten module, and whether it ends in an expression."""

    source: str
    space: SearchSpace
    module: ast.Module
    has_expression: bool

    def program(
        self, metric: str | None = None, objectives: tuple[str, ...] = (), constrained: tuple[str, ...] = ()
    ) -> CellProgram:
        """The rewritten cell, compiled, with ``metric`` naming the objective (``--metric``), or
        ``objectives`` naming each objective, and ``constrained`` what ``--constraint`` limits."""
        return CellProgram(
            self.source, self.module, self.has_expression, metric, objectives=objectives, constrained=constrained
        )


def parse_cell(source: str) -> ParsedCell:
    """Parse a cell's text; raise :class:`~hpmagic.errors.AnnotationError` listing every mistake."""
    lines = source.splitlines()

    def problem(line: int, column: int, message: str, fix: str = "") -> Problem:
        return Problem(line, column, message, fix, lines[line - 1] if 0 < line <= len(lines) else "")

    magic = cell_magic(source, None)
    if magic is not None:  # raw IPython text given to tune(): say so rather than "invalid syntax"
        raise AnnotationError([magic])
    module, comments = _read(source, problem)
    magic = cell_magic(source, module)
    if magic is not None:
        raise AnnotationError([magic])
    problems = code_problems(module, problem)
    top_level = {stmt.end_lineno: stmt for stmt in module.body}  # last statement wins per line
    nested = _nested_statement_ends(module)
    annotated: dict[str, int] = {}
    for c in comments:
        name = _simple_target(top_level.get(c.line))
        if name and c.has_code:
            annotated.setdefault(name, c.line)

    params: list[Parameter] = []
    for c in comments:
        try:
            known = {p.name: p.distribution for p in params}
            params.append(_parameter(c, top_level.get(c.line), nested.get(c.line), annotated, known))
        except SpecError as exc:
            problems.append(problem(c.line, max(c.column + exc.offset, 1), exc.message, exc.fix))
    if problems:
        raise AnnotationError(sorted(problems, key=lambda p: (p.line, p.column)))
    has_expression = bool(module.body) and isinstance(module.body[-1], ast.Expr)
    _rewrite(module, {p.line: p.name for p in params})
    return ParsedCell(source, SearchSpace(tuple(params)), module, has_expression)


def _read(source: str, problem) -> tuple[ast.Module, list[_Comment]]:
    try:
        with warnings.catch_warnings():
            # The cell's own SyntaxWarnings show when it is compiled to run, not twice.
            warnings.simplefilter("ignore", SyntaxWarning)
            return ast.parse(source), _tune_comments(source)
    except (SyntaxError, ValueError, tokenize.TokenError, RecursionError, MemoryError) as exc:
        line = getattr(exc, "lineno", None) or 1
        col = getattr(exc, "offset", None) or 1
        msg = getattr(exc, "msg", None) or str(exc) or type(exc).__name__
        raise AnnotationError(
            [
                problem(
                    line,
                    col,
                    f"the cell is not valid Python: {msg}",
                    "correct the syntax; the cell must run on its own",
                )
            ]
        ) from None


def _parameter(
    c: _Comment, stmt: ast.stmt | None, block: str | None, annotated: dict[str, int], known: dict[str, Distribution]
) -> Parameter:
    """The parameter one annotation declares; raises :class:`SpecError` for a mistake."""
    if not c.has_code:
        raise SpecError(
            "a `# tune:` annotation must trail an assignment on the same line",
            f"put it after the assignment it tunes, e.g. `{EXAMPLE}`",
        )
    if stmt is None or (block and hasattr(stmt, "body")):
        if block:
            raise SpecError(
                f"the annotation trails an assignment inside a `{block}` block; only top-level assignments can be tuned",
                "move the assignment to the top level of the cell (no indentation)",
            )
        raise SpecError(
            "the annotation is inside a statement that continues on the next line",
            "put the annotation after the last line of the assignment",
        )
    name = _simple_target(stmt)
    if name is None:
        raise SpecError(
            f"the annotation trails {_describe_stmt(stmt)}, not a simple assignment `NAME = DEFAULT`",
            f"write one name on the left and its default on the right, e.g. `{EXAMPLE}`",
        )
    if annotated[name] != c.line:
        raise SpecError(
            f"{name!r} is already tuned on line {annotated[name]}",
            "annotate each name once; remove one of the annotations",
        )
    if not c.spec.strip():
        raise SpecError("the annotation is empty", f"give a distribution after `tune:`, e.g. `{EXAMPLE}`")
    assert isinstance(stmt, (ast.Assign, ast.AnnAssign)) and stmt.value is not None  # _simple_target checked it
    value_node = stmt.value
    try:
        default = literal(value_node, allow_tuple=True)
    except SpecError as exc:
        raise SpecError(
            f"the default of {name!r} must be a literal, because it is trial 0's value: {exc.message}",
            f"write the default as a number, string, bool, None or tuple, e.g. `{name} = 1.0`",
            offset=-(c.column - value_node.col_offset - 1),
        ) from None
    dist, condition = parse_spec(c.spec, name, annotated, c.line, known)
    return Parameter(name, dist, default, condition, c.line)


# -- reading the cell ---------------------------------------------------------------------------


def _tune_comments(source: str) -> list[_Comment]:
    """Every ``# tune:`` comment of the cell, with where its spec starts."""
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
                found.append(_Comment(line, col + match.start("spec") + lead + 1, spec.strip(), line in code_on_line))
    return found


def _nested_statement_ends(module: ast.Module) -> dict[int, str]:
    """Lines where a statement inside a block ends, with the kind of block (for messages)."""
    out: dict[int, str] = {}
    names = {
        ast.If: "if",
        ast.For: "for",
        ast.While: "while",
        ast.With: "with",
        ast.Try: "try",
        ast.FunctionDef: "def",
        ast.AsyncFunctionDef: "async def",
        ast.ClassDef: "class",
        ast.AsyncFor: "async for",
        ast.AsyncWith: "async with",
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


# -- rewriting -----------------------------------------------------------------------------------


def _rewrite(module: ast.Module, tuned: dict[int, str]) -> None:
    """Make each tuned assignment read ``__hpmagic_values__.get(NAME, <default>)``."""
    for stmt in module.body:
        if not isinstance(stmt, (ast.Assign, ast.AnnAssign)) or stmt.value is None or stmt.end_lineno is None:
            continue
        name = tuned.get(stmt.end_lineno)
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
