"""``--write-back``: the cell's source with the best values written in as its defaults.

Only the default of each tuned assignment changes, at the parser's positions of its value
(``x = 0.5  # tune: uniform(0, 1)`` becomes ``x = 0.3141  # tune: uniform(0, 1)``);
everything else, the annotations, comments, spacing and other lines, stays byte for byte.
A value equal to the written default keeps its spelling (``1e-3`` stays ``1e-3``), so a
conditional parameter inactive in the best configuration keeps its default.  Values are
written as Python literals: ``repr`` for numbers, strings, booleans, ``None`` and tuples
(floats in their shortest exact form), ``float("inf")`` and ``float("nan")`` where ``repr``
is no literal.

The ``%%tune`` line becomes a comment (``# %%tune -n 40 -w``): the cell then runs once with
the tuned values, so after a kernel restart "Run all" reproduces the tuned notebook without
searching again, and removing the ``# `` tunes it again, from the tuned values.  The magic
hands the new text to the front end with IPython's ``set_next_input(text, replace=True)``,
which JupyterLab, Notebook 7 and VS Code apply to the cell that ran.
"""

from __future__ import annotations

import ast
import math
from collections.abc import Mapping
from typing import Any

from .parser import parse_cell

__all__ = ["rewrite_defaults", "written_cell", "literal_text", "same_value", "WriteBackError", "HINT"]

#: What the summary says when a search found values that differ from the defaults.
HINT = "run the cell with --write-back (-w) to write these values into it as its defaults"


class WriteBackError(ValueError):
    """The values cannot be written into this cell (the message says why)."""


def literal_text(value: Any) -> str:
    """``value`` as a Python literal that evaluates back to it."""
    if hasattr(value, "item") and not isinstance(value, (str, bytes, tuple)):
        value = value.item()  # a NumPy scalar
    if isinstance(value, float) and not math.isfinite(value):
        return f'float("{value}")'
    if isinstance(value, tuple):
        inner = ", ".join(literal_text(v) for v in value)
        return f"({inner},)" if len(value) == 1 else f"({inner})"
    text = repr(value)
    try:
        same = ast.literal_eval(text) == value
    except (ValueError, SyntaxError):
        same = False
    if not same:
        raise WriteBackError(f"{text} cannot be written as a Python literal")
    return text


def same_value(a: Any, b: Any) -> bool:
    """True when ``a`` is ``b`` for writing purposes: equal and of the same type (``1`` is not ``1.0``)."""
    return type(a) is type(b) and a == b


def rewrite_defaults(source: str, values: Mapping[str, Any], parsed_source: str | None = None) -> str:
    """``source`` with each tuned assignment's default replaced by ``values[name]``.

    ``parsed_source`` is the same cell as Python (IPython's transformed text, when the cell
    holds line magics), with the same lines: positions are read from it, the text changed
    in ``source``.  A name missing from ``values``, or whose value equals the default, is
    left as written.
    """
    code = source if parsed_source is None else parsed_source
    space = parse_cell(code).space
    statements = {stmt.end_lineno: stmt for stmt in ast.parse(code).body}
    lines = source.splitlines(keepends=True)
    code_lines = code.splitlines(keepends=True)
    edits = []
    for p in space:
        if p.name not in values or same_value(values[p.name], p.default):
            continue
        stmt = statements[p.line]
        assert isinstance(stmt, (ast.Assign, ast.AnnAssign)) and stmt.value is not None  # the parser checked
        node = stmt.value
        first, last = node.lineno - 1, (node.end_lineno or node.lineno) - 1
        if [x.rstrip("\r\n") for x in code_lines[first:last + 1]] != [x.rstrip("\r\n") for x in lines[first:last + 1]]:
            raise WriteBackError(f"line {node.lineno} of the cell is not plain Python as written, so {p.name} cannot be rewritten")
        edits.append((first, node.col_offset, last, node.end_col_offset or 0, literal_text(values[p.name])))
    for first, start, last, end, text in sorted(edits, reverse=True):  # from the end: earlier positions hold
        head = lines[first].encode()[:start].decode()  # ast's columns count UTF-8 bytes
        tail = lines[last].encode()[end:].decode()
        lines[first:last + 1] = [head + text + tail]
    return "".join(lines)


def written_cell(magic_line: str, body: str, values: Mapping[str, Any], parsed_body: str | None = None) -> str:
    """The whole cell after ``--write-back``: the ``%%tune`` line as a comment, then ``body``
    with the best values as its defaults (see the module's docstring)."""
    return "# " + magic_line.rstrip("\n") + "\n" + rewrite_defaults(body, values, parsed_body)
