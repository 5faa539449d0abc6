"""The compiled cell: all a worker needs to run trials.

:class:`CellProgram` is the cell rewritten by :mod:`hpmagic.cell.parser` (each tuned
assignment reads its value from :data:`VALUES_NAME`), compiled once and run many times.
It pickles as its rewritten source and syntax tree, and compiles again where it lands, so
a worker process imports this module and :mod:`hpmagic.cell.trial`, nothing of the
parser, the search space or the strategies.

This module imports nothing of hpmagic.
"""

from __future__ import annotations

import ast
import hashlib
import linecache
from typing import Any

__all__ = ["VALUES_NAME", "CellProgram"]

#: The name under which a trial's parameter values are bound while the rewritten cell
#: runs; a tuned assignment ``C = 1.0`` becomes ``C = __hpmagic_values__.get("C", 1.0)``.
VALUES_NAME = "__hpmagic_values__"


class CellProgram:
    """A rewritten cell compiled once, run many times.

    ``body_code`` runs every statement but a final expression; ``expr_code`` evaluates the
    final expression (the objective), or is ``None`` when the cell ends in a statement.
    The cell is compiled under a file name of its own, registered in :mod:`linecache`, so
    tracebacks quote the cell's lines with the cell's own line numbers.  ``seed`` is the
    search's seed: each trial starts the global random streams from one derived from it and
    the trial's number (:mod:`hpmagic.cell.globalstate`).  ``direction`` is the search's
    (``"maximize"`` or ``"minimize"``): a framework callback of :mod:`hpmagic.integrations` checks
    its metric's direction against it.

    ``objectives`` names the objectives of a search of named ones (``--maximize accuracy
    --minimize fit_time``; empty: the cell's value, or ``metric``), ``constrained`` the quantities
    that ``--constraint`` limits; each is a key of the returned dict or a variable the cell sets.
    """

    def __init__(
        self,
        source: str,
        module: ast.Module,
        has_expression: bool,
        metric: str | None = None,
        seed: int | None = None,
        objectives: tuple[str, ...] = (),
        constrained: tuple[str, ...] = (),
        direction: str | None = None,
    ):
        self.source, self.module, self.has_expression, self.metric = source, module, has_expression, metric
        self.seed, self.direction = seed, direction
        self.objectives, self.constrained = tuple(objectives), tuple(constrained)
        digest = hashlib.sha1(source.encode("utf-8", "surrogatepass")).hexdigest()[:8]
        self.filename = f"<tuned cell {digest}>"
        self.register_source()
        body = list(module.body)
        last = body.pop() if has_expression else None
        self.body_code = compile(ast.Module(body=body, type_ignores=[]), self.filename, "exec")
        self.expr_code = None
        if isinstance(last, ast.Expr):
            self.expr_code = compile(ast.Expression(body=last.value), self.filename, "eval")
        #: The cell's code names the ``--metric`` variable (so reading it after a trial is not
        #: reading the notebook's own, unchanged variable).
        used = (
            {node.id for node in ast.walk(module) if isinstance(node, ast.Name)}
            if (metric is not None or self.objectives or self.constrained)
            else set()
        )
        self.names_metric = metric is not None and metric in used
        #: The objectives' and constrained quantities' names the cell's code uses as variables.
        self.named = frozenset(n for n in (*self.objectives, *self.constrained) if n in used)
        #: The variables the cell assigns (named in a message when an objective is missing).
        self.assigned = (
            tuple(
                sorted(
                    {
                        node.id
                        for node in ast.walk(module)
                        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store)
                    }
                )
            )
            if self.named or self.objectives
            else ()
        )

    def register_source(self) -> None:
        """Make the cell's text available to tracebacks (also called in worker processes)."""
        linecache.cache[self.filename] = (len(self.source), None, self.source.splitlines(True), self.filename)

    def __getstate__(self) -> dict[str, Any]:
        # Code objects do not pickle: a worker compiles the rewritten module again.
        return {
            "source": self.source,
            "module": self.module,
            "has_expression": self.has_expression,
            "metric": self.metric,
            "seed": self.seed,
            "objectives": self.objectives,
            "constrained": self.constrained,
            "direction": self.direction,
        }

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(**state)  # type: ignore[misc]
