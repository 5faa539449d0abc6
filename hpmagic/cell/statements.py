"""Checks of the cell's code that its annotations do not cover, made when it is parsed.

Each finding is a :class:`~hpmagic.errors.Problem` with the line, the column and the fix,
reported by :func:`~hpmagic.cell.parser.parse_cell` with the annotations' own problems,
before any trial runs:

- :func:`cell_magic`: the cell is a second cell magic (``%%time`` as its first line:
  IPython gives the whole rest of the cell to that magic as text, so there is no Python
  code left to tune), seen as IPython's transformed code or as the raw ``%%`` line;
- :func:`code_problems`: the cell uses hpmagic's reserved name (``__hpmagic_values__``:
  a cell that binds it would run other values than the trial records), or has ``await``,
  ``async for``/``async with``, ``yield`` or ``return`` outside a function (IPython runs
  top-level ``await``; a trial runs the cell as plain synchronous code), or anything else
  Python's compiler refuses (``break`` outside a loop, ...).  A reserved name reached only
  through strings (``globals()["__hpmagic_values__"]``) is not seen.
"""

from __future__ import annotations

import ast
import warnings
from collections.abc import Callable, Iterator
from typing import Any

from ..errors import Problem
from .program import VALUES_NAME

__all__ = ["cell_magic", "code_problems"]

#: Problem(line, column, message, fix) with the cell's source line filled in.
MakeProblem = Callable[..., Problem]

_FIX_AWAIT = (
    "make the calls synchronous, or put the asynchronous code in an `async def main(): ...` and run it to the end "
    "in a thread of its own: `concurrent.futures.ThreadPoolExecutor(1).submit(asyncio.run, main()).result()` "
    "(in Jupyter, `asyncio.run(main())` alone fails: the kernel's event loop is running)"
)


# -- a second cell magic -------------------------------------------------------------------


def cell_magic(source: str, module: ast.Module | None) -> Problem | None:
    """The problem of a cell that is another cell magic (``%%time``), or ``None``."""
    found = _transformed_magic(module) if module is not None else None
    if found is None:
        first = next((line.strip() for line in source.splitlines() if line.strip()), "")
        if not first.startswith("%%"):
            return None
        name, _, args = first[2:].partition(" ")
        found = (name, args.strip())
    name, args = found
    fixes = {
        "time": "hpmagic records every trial's duration, see `result.to_dataframe()`",
        "timeit": "hpmagic records every trial's duration, see `result.to_dataframe()`",
        "capture": "hpmagic captures every trial's output and keeps it with the trial",
    }
    why = fixes.get(name, f"or run %%{name} in a cell of its own")
    return Problem(
        1,
        1,
        f"the cell starts with `%%{name}`, a second cell magic: a cell has one cell magic (its first line, "
        f"%%tune), so IPython passed the rest of the cell to %%{name} as text and no Python code or "
        "`# tune:` annotation is left",
        f"remove the `%%{name}` line ({why}); a line magic on one line, such as `%time x = f()`, works in trials that run in the kernel (without --jobs)",
        f"%%{name} {args}".rstrip(),
    )


def _transformed_magic(module: ast.Module) -> tuple[str, str] | None:
    """``get_ipython().run_cell_magic('time', '', ...)`` as the whole cell: (name, arguments)."""
    if len(module.body) != 1 or not isinstance(module.body[0], ast.Expr):
        return None
    call = module.body[0].value
    if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute) and call.func.attr == "run_cell_magic"):
        return None
    owner = call.func.value
    if not (isinstance(owner, ast.Call) and isinstance(owner.func, ast.Name) and owner.func.id == "get_ipython"):
        return None
    args = [a.value if isinstance(a, ast.Constant) and isinstance(a.value, str) else "" for a in call.args[:2]]
    return (args[0], args[1]) if len(args) == 2 and args[0] else None


# -- the code itself -----------------------------------------------------------------------


def code_problems(module: ast.Module, problem: MakeProblem) -> list[Problem]:
    """hpmagic's reserved name, top-level ``await``/``yield``/``return``, and what does not compile."""
    found = [problem(n.lineno, n.col_offset + 1, message, fix) for n, message, fix in _reserved(module)]
    found += [problem(n.lineno, n.col_offset + 1, message, fix) for n, message, fix in _outside_functions(module)]
    if found:
        return found
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", SyntaxWarning)  # they show when the cell runs, not twice
            compile(module, "<cell>", "exec", dont_inherit=True)
    except SyntaxError as exc:
        fix = "correct it; the cell must run on its own"
        return [problem(exc.lineno or 1, exc.offset or 1, f"the cell is not valid Python: {exc.msg}", fix)]
    except (RecursionError, MemoryError) as exc:
        message = f"the cell is nested too deeply for Python's compiler ({exc})"
        return [problem(1, 1, message, "split the longest expression into several statements")]
    return []


def _reserved(module: ast.Module) -> Iterator[tuple[Any, str, str]]:
    fix = f"rename it: hpmagic reserves `{VALUES_NAME}`"
    for node in ast.walk(module):
        for what in _uses_of_reserved_name(node):
            yield (
                node,
                f"the cell {what} `{VALUES_NAME}`, the name under which hpmagic passes each trial's values to "
                "the cell: the trial would run with other values than the ones it records",
                fix,
            )


def _uses_of_reserved_name(node: ast.AST) -> Iterator[str]:
    if isinstance(node, ast.Name) and node.id == VALUES_NAME:
        yield {ast.Store: "assigns", ast.Del: "deletes"}.get(type(node.ctx), "reads")
    elif isinstance(node, ast.arg) and node.arg == VALUES_NAME:
        yield "names a parameter"
    elif isinstance(node, ast.alias) and (node.asname or node.name.split(".")[0]) == VALUES_NAME:
        yield "imports a module or name as"
    elif isinstance(node, (ast.Global, ast.Nonlocal)) and VALUES_NAME in node.names:
        yield "declares global"
    elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and node.name == VALUES_NAME:
        yield "defines"
    elif isinstance(node, ast.ExceptHandler) and node.name == VALUES_NAME:
        yield "binds an exception to"
    elif isinstance(node, (ast.MatchAs, ast.MatchStar)) and node.name == VALUES_NAME:
        yield "binds a match to"
    elif isinstance(node, ast.MatchMapping) and node.rest == VALUES_NAME:
        yield "binds a match to"


def _outside_functions(module: ast.Module) -> Iterator[tuple[Any, str, str]]:
    """``await``, ``async for``/``with``, ``yield`` and ``return`` not inside a function."""
    last = module.body[-1] if module.body else None
    for node in _outside_function_nodes(module):
        if isinstance(node, (ast.Await, ast.AsyncFor, ast.AsyncWith, ast.comprehension)):
            what = {ast.Await: "`await`", ast.AsyncFor: "`async for`", ast.AsyncWith: "`async with`"}.get(
                type(node), "an `async for` comprehension"
            )
            yield (
                node.target if isinstance(node, ast.comprehension) else node,
                f"the cell uses {what} outside a function, which IPython allows but a trial cannot run: "
                "hpmagic runs the cell as plain, synchronous code",
                _FIX_AWAIT,
            )
        elif isinstance(node, ast.Return):
            value = ast.unparse(node.value) if node.value is not None else ""
            hint = (
                f"replace `return {value}` with `{value}`"
                if value and node is last
                else ("end the cell with the expression whose value is the objective, e.g. `score`")
            )
            yield (
                node,
                "the cell has a `return` outside a function: the objective is the value of the cell's last expression",
                hint,
            )
        else:
            yield (
                node,
                f"the cell has a `{'yield from' if isinstance(node, ast.YieldFrom) else 'yield'}` outside a function: "
                "Python allows it only in a function, and the objective is the value of the cell's last expression",
                "end the cell with the expression whose value is the objective, e.g. `score`",
            )


def _outside_function_nodes(module: ast.Module) -> Iterator[ast.AST]:
    flow = (ast.Await, ast.AsyncFor, ast.AsyncWith, ast.Return, ast.Yield, ast.YieldFrom)
    stack: list[ast.AST] = [module]  # iterative: a long expression makes a deep tree
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            # Only what runs where the function is defined: decorators, defaults, annotations.
            stack.append(node.args)
            if not isinstance(node, ast.Lambda):
                stack += [*node.decorator_list, *([node.returns] if node.returns else [])]
            continue
        if isinstance(node, flow) or (isinstance(node, ast.comprehension) and node.is_async):
            yield node
        stack.extend(reversed(list(ast.iter_child_nodes(node))))
