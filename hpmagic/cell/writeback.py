"""``--write-back``: the cell's source with the best values written in as its defaults.

Only the default of each tuned assignment changes, at the parser's positions of its value
(``x = 0.5  # tune: uniform(0, 1)`` becomes ``x = 0.3142  # tune: uniform(0, 1)``);
everything else, the annotations, comments, spacing, line ends (``\\r\\n`` too) and other
lines, stays byte for byte.  What is written:

- **Floats are rounded** to :data:`DIGITS` (4) significant digits, as a reader of the summary
  sees them, never to decimals (``1.235e-07``, not ``0.0``).  More digits are kept where
  fewer would move the value out of its parameter's range or, for a ``step=`` parameter, onto
  another point of its grid; values drawn from a ``choice`` are written exactly.  The
  namespace keeps the exact values, and ``result.best_params`` holds them.
- **Ints, strings, booleans, ``None`` and tuples are written exactly**, as Python literals; a
  string keeps the quote style of the default it replaces (``"rbf"`` becomes ``"poly"``,
  ``'rbf'`` becomes ``'poly'``), escaped where needed.
- **A value equal to the default keeps its spelling** (``1e-3`` stays ``1e-3``), also when
  it is equal once rounded; a conditional parameter inactive in the best configuration is
  not among the values, so it keeps its default.

The ``%%tune`` line becomes a comment (``# %%tune -n 40 -w``): the cell then runs once with
the tuned values, so after a kernel restart "Run all" reproduces the tuned notebook without
searching again, and removing the ``# `` tunes it again, from the tuned values (with
``--study``, the study resumes: a changed default is not a changed search space).

Where the text goes: the kernel cannot see the editor's current text, only the text the cell
had when it ran, and IPython's ``set_next_input(text, replace=True)`` replaces the cell in
the editor (JupyterLab, Notebook 7, VS Code) with whatever the kernel sends.  A search
shorter than :data:`EDIT_WINDOW` (10 s) leaves no time to edit the running cell, so it is
replaced; after a longer one the written cell is inserted as a new cell below instead
(``replace=False``), and the running cell is left as the user may have edited it.  The magic
(``hpmagic.magic``) decides that, and also that only a finished search (its budget spent, its
strategy exhausted, its time limit reached) is written back: the best of a stopped or failed
search is not the search's answer.
"""

from __future__ import annotations

import ast
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..distributions import Choice, Distribution
from .parser import parse_cell

__all__ = [
    "rewrite_defaults",
    "write_back",
    "written_cell",
    "written_value",
    "literal_text",
    "same_value",
    "WrittenCell",
    "WriteBackError",
    "HINT",
    "DIGITS",
    "EDIT_WINDOW",
]

#: What the summary says when a search found values that differ from the defaults.
HINT = "run the cell with --write-back (-w) to write these values into it as its defaults"

#: Significant digits a float is written with (more where fewer would leave its range or grid point).
DIGITS = 4

#: Seconds of search after which the cell may have been edited meanwhile: the written cell
#: is then inserted below the one that ran instead of replacing it.
EDIT_WINDOW = 10.0


class WriteBackError(ValueError):
    """The values cannot be written into this cell (the message says why)."""


@dataclass(frozen=True)
class WrittenCell:
    """The cell after a write-back, and what changed in it.

    ``written`` holds each default that changed, in the cell's order, as ``(name, literal)``;
    ``rounded`` the names whose float was rounded, and ``more_digits`` those of them that
    kept more than :data:`DIGITS` digits to stay in their range or on their step grid.
    """

    text: str
    written: tuple[tuple[str, str], ...] = ()
    rounded: tuple[str, ...] = ()
    more_digits: tuple[str, ...] = ()

    def describe(self) -> str:
        """``C=12.35, kernel="poly"``: each default written, as the cell now reads."""
        return ", ".join(f"{name}={text}" for name, text in self.written)


def written_value(value: Any, distribution: Distribution, digits: int = DIGITS) -> Any:
    """The float to write for ``value``: rounded to ``digits`` significant digits, or to as
    few more as keep it in ``distribution``'s range and on its step grid; any other value,
    and a float drawn from a ``choice``, as it is."""
    value = _plain(value)
    if type(value) is not float or not math.isfinite(value) or isinstance(distribution, Choice):
        return value
    for kept in range(digits, 18):
        rounded = float(f"{value:.{kept}g}")
        if rounded == value or _keeps(rounded, value, distribution):
            return rounded
    return value


def _keeps(rounded: float, value: float, distribution: Distribution) -> bool:
    """True when writing ``rounded`` for ``value`` keeps it in the range and on the same grid point."""
    low, high = getattr(distribution, "low", None), getattr(distribution, "high", None)
    if low is not None and high is not None and low <= value <= high:
        if not low <= rounded <= high:
            return False
        step = getattr(distribution, "step", None)
        if step and round((rounded - low) / step) != round((value - low) / step):
            return False
    try:
        return bool(distribution.contains(rounded)) or not distribution.contains(value)
    except Exception:  # noqa: BLE001 - a custom distribution's check: keep the exact value
        return False


def literal_text(value: Any, quote: str | None = None) -> str:
    """``value`` as a Python literal that evaluates back to it; strings (also inside tuples)
    in ``quote`` (``'`` or ``"``) when given, else as ``repr`` writes them."""
    value = _plain(value)
    if isinstance(value, float) and not math.isfinite(value):
        return f'float("{value}")'
    if isinstance(value, tuple):
        inner = ", ".join(literal_text(v, quote) for v in value)
        return f"({inner},)" if len(value) == 1 else f"({inner})"
    text = _quoted(value, quote) if isinstance(value, str) and quote else repr(value)
    try:
        same = ast.literal_eval(text) == value
    except (ValueError, SyntaxError):
        same = False
    if not same:
        raise WriteBackError(f"{text} cannot be written as a Python literal")
    return text


def _plain(value: Any) -> Any:
    """A NumPy scalar as the Python value it holds; anything else as it is."""
    if hasattr(value, "item") and not isinstance(value, (str, bytes, tuple)):
        return value.item()
    return value


def _quoted(text: str, quote: str) -> str:
    """``text`` as a string literal between ``quote`` characters, escaped as ``repr`` escapes."""
    shown = repr(text)
    if shown[0] == quote:
        return shown
    inner, out, i = shown[1:-1], [], 0
    while i < len(inner):
        ch = inner[i]
        if ch == "\\":
            pair = inner[i : i + 2]
            out.append(pair[1] if pair[1:] == shown[0] else pair)  # \' needs no escape inside "..."
            i += 2
            continue
        out.append("\\" + ch if ch == quote else ch)
        i += 1
    return quote + "".join(out) + quote


def same_value(a: Any, b: Any) -> bool:
    """True when ``a`` is ``b`` for writing purposes: equal and of the same type (``1`` is not ``1.0``)."""
    return type(a) is type(b) and a == b


def rewrite_defaults(
    source: str, values: Mapping[str, Any], parsed_source: str | None = None, digits: int | None = DIGITS
) -> str:
    """``source`` with each tuned assignment's default replaced by ``values[name]``.

    ``parsed_source`` is the same cell as Python (IPython's transformed text, when the cell
    holds line magics), with the same lines: positions are read from it, the text changed
    in ``source``.  A name missing from ``values``, or whose value equals the default, is
    left as written.  Floats are rounded to ``digits`` significant digits as the module's
    docstring says (``digits=None``: written exactly, in their shortest exact form).
    """
    return _rewrite(source, values, parsed_source, digits).text


def write_back(
    magic_line: str, body: str, values: Mapping[str, Any], parsed_body: str | None = None, digits: int | None = DIGITS
) -> WrittenCell:
    """The whole cell after ``--write-back``: the ``%%tune`` line as a comment, then ``body``
    with the best values as its defaults (see the module's docstring), and what changed."""
    done = _rewrite(body, values, parsed_body, digits)
    crlf = magic_line.endswith(("\r", "\r\n")) or body.partition("\n")[0].endswith("\r")
    head = "# " + magic_line.rstrip("\r\n") + ("\r\n" if crlf else "\n")  # the body's line ends
    return WrittenCell(head + done.text, done.written, done.rounded, done.more_digits)


def written_cell(magic_line: str, body: str, values: Mapping[str, Any], parsed_body: str | None = None) -> str:
    """The text of :func:`write_back`'s cell."""
    return write_back(magic_line, body, values, parsed_body).text


def _rewrite(source: str, values: Mapping[str, Any], parsed_source: str | None, digits: int | None) -> WrittenCell:
    code = source if parsed_source is None else parsed_source
    space = parse_cell(code).space
    statements = {stmt.end_lineno: stmt for stmt in ast.parse(code).body}
    lines = source.splitlines(keepends=True)
    code_lines = code.splitlines(keepends=True)
    edits, written, rounded, more = [], [], [], []
    for p in space:
        if p.name not in values:
            continue
        exact = _plain(values[p.name])
        value = exact if digits is None else written_value(exact, p.distribution, digits)
        if same_value(value, p.default):
            continue
        stmt = statements[p.line]
        assert isinstance(stmt, (ast.Assign, ast.AnnAssign)) and stmt.value is not None  # the parser checked
        node = stmt.value
        first, last = node.lineno - 1, (node.end_lineno or node.lineno) - 1
        if [x.rstrip("\r\n") for x in code_lines[first : last + 1]] != [
            x.rstrip("\r\n") for x in lines[first : last + 1]
        ]:
            raise WriteBackError(
                f"line {node.lineno} of the cell is not plain Python as written, so {p.name} cannot be rewritten"
            )
        old = _segment(lines, first, node.col_offset, last, node.end_col_offset or 0)
        text = literal_text(value, next((ch for ch in old if ch in "'\""), None))
        edits.append((first, node.col_offset, last, node.end_col_offset or 0, text))
        written.append((p.name, text))
        if value != exact:
            rounded.append(p.name)
            if digits is not None and float(f"{value:.{digits}g}") != value:
                more.append(p.name)
    for first, start, last, end, text in sorted(edits, reverse=True):  # from the end: earlier positions hold
        head = lines[first].encode()[:start].decode()  # ast's columns count UTF-8 bytes
        tail = lines[last].encode()[end:].decode()
        lines[first : last + 1] = [head + text + tail]
    return WrittenCell("".join(lines), tuple(written), tuple(rounded), tuple(more))


def _segment(lines: list[str], first: int, start: int, last: int, end: int) -> str:
    """The text of the value as written, from ast's positions (columns in UTF-8 bytes)."""
    if first == last:
        return lines[first].encode()[start:end].decode()
    middle = "".join(lines[first + 1 : last])
    return lines[first].encode()[start:].decode() + middle + lines[last].encode()[:end].decode()
