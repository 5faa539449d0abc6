"""Running one trial: a namespace copy, captured output, and the objective.

:class:`CellProgram` is the compiled cell.  :func:`run_trial` runs it once in a shallow
copy of a namespace with the trial's values bound, captures stdout, stderr and warnings,
and turns the last expression (or ``--metric``) into an :class:`Outcome`.

An *executor* runs trials for the runner.  It is the seam where parallelism plugs in:

- ``capacity`` -- how many trials it can hold in flight;
- ``submit(number, params)`` -- start a trial;
- ``wait()`` -- block until at least one submitted trial ends and return the outcomes of
  those that ended;
- ``cancel()`` -- stop what is running (on an interrupt) and return the trial numbers;
- ``close()``.

:class:`InlineExecutor` runs trials one at a time in the kernel's own process.
"""

from __future__ import annotations

import ast
import hashlib
import io
import linecache
import math
import numbers
import time
import traceback
import warnings
from collections.abc import Mapping
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .result import TrialState

if TYPE_CHECKING:
    from .annotations import ParsedCell

#: The name under which a trial's parameter values are bound while the rewritten cell runs
#: (:mod:`.annotations` rewrites each tuned assignment to read from it).
VALUES_NAME = "__hpmagic_values__"

__all__ = ["CellProgram", "Outcome", "ObjectiveError", "evaluate", "run_trial", "extract_objective", "InlineExecutor"]


class ObjectiveError(ValueError):
    """The cell produced something that is not an objective."""


@dataclass
class Outcome:
    """What one trial produced; the runner turns it into a :class:`~hpmagic.result.Trial`."""

    number: int
    state: TrialState
    value: float | None = None
    metrics: dict[str, float] = field(default_factory=dict)
    duration: float = 0.0
    stdout: str = ""
    stderr: str = ""
    warnings: tuple[str, ...] = ()
    error: str = ""


class CellProgram:
    """A parsed cell compiled once, run many times.

    The cell is compiled under a file name of its own, registered in :mod:`linecache`, so
    tracebacks quote the cell's lines with the cell's own line numbers.
    """

    def __init__(self, parsed: ParsedCell, metric: str | None = None):
        self._compile(parsed.source, parsed.module, parsed.has_expression, metric)

    def _compile(self, source: str, module: ast.Module, has_expression: bool, metric: str | None) -> None:
        self.source, self.module, self.has_expression, self.metric = source, module, has_expression, metric
        digest = hashlib.sha1(source.encode("utf-8", "surrogatepass")).hexdigest()[:8]
        self.filename = f"<tuned cell {digest}>"
        self.register_source()
        body = list(module.body)
        last = body.pop() if has_expression else None
        self.body_code = compile(ast.Module(body=body, type_ignores=[]), self.filename, "exec")
        self.expr_code = (
            compile(ast.Expression(body=last.value), self.filename, "eval") if last is not None else None  # type: ignore[union-attr]
        )

    def register_source(self) -> None:
        """Make the cell's text available to tracebacks (also called in worker processes)."""
        linecache.cache[self.filename] = (len(self.source), None, self.source.splitlines(True), self.filename)

    def __getstate__(self) -> dict[str, Any]:
        # Code objects do not pickle: a worker compiles the rewritten module again.  Only what
        # runs a trial travels (not the search space), so a worker imports none of the parser.
        return {"source": self.source, "module": self.module, "has_expression": self.has_expression, "metric": self.metric}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self._compile(**state)


def extract_objective(raw: Any, metric: str | None) -> tuple[float, dict[str, float]]:
    """Turn what the cell produced into (objective, metrics); raise ObjectiveError otherwise."""
    metrics: dict[str, float] = {}
    if isinstance(raw, Mapping):
        for key, value in raw.items():
            try:
                metrics[str(key)], extra = _as_number(value, f"key {key!r} of the returned dict")
            except ObjectiveError:
                continue  # non-numeric entries are allowed; only the objective must be a number
            metrics.update({f"{key}_{k}": v for k, v in extra.items()})
        if not raw:
            raise ObjectiveError("the cell returned an empty dict; return at least one number")
        key = metric if metric is not None else next(iter(raw))
        if key not in raw:
            raise ObjectiveError(
                f"the returned dict has no key {key!r} (keys: {', '.join(map(repr, raw))}); "
                "pass --metric with one of them"
            )
        value, _ = _as_number(raw[key], f"key {key!r} of the returned dict")
        metrics.pop(str(key), None)
        return _finite(value), metrics
    value, metrics = _as_number(raw, "the cell's last expression" if metric is None else f"variable {metric!r}")
    return _finite(value), metrics


_ACCEPTED = (
    "a number, a sequence of numbers (such as cross_val_score's folds, whose mean is used) "
    "or a dict of numbers (pick one with --metric NAME)"
)


def _as_number(value: Any, where: str) -> tuple[float, dict[str, float]]:
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        return float(value), {}
    if isinstance(value, (str, bytes, bool)) or value is None:
        raise ObjectiveError(f"{where} is {_short(value)}; the objective must be {_ACCEPTED}")
    if hasattr(value, "__len__") or hasattr(value, "__array__"):
        import numpy as np

        try:
            array = np.asarray(value, dtype=float)
        except (TypeError, ValueError):
            raise ObjectiveError(f"{where} is {_short(value)}, which is not all numbers; the objective must be {_ACCEPTED}") from None
        if array.ndim == 0:
            return float(array), {}
        array = array.ravel()
        if array.size == 0:
            raise ObjectiveError(f"{where} is an empty sequence; the objective must be {_ACCEPTED}")
        std = float(array.std(ddof=1)) if array.size > 1 else 0.0
        return float(array.mean()), {"std": std, "n": float(array.size)}
    raise ObjectiveError(f"{where} is {_short(value)}; the objective must be {_ACCEPTED}")


def _finite(value: float) -> float:
    if math.isnan(value):
        raise ObjectiveError("the objective is NaN")
    if math.isinf(value):
        raise ObjectiveError(f"the objective is {value}")
    return value


def _short(value: Any) -> str:
    text = repr(value)
    if len(text) > 60:
        text = text[:57] + "..."
    return f"a {type(value).__name__} ({text})"


def evaluate(program: CellProgram, namespace: dict[str, Any], params: dict[str, Any]) -> tuple[float, dict[str, float]]:
    """Run the cell in a shallow copy of ``namespace`` with ``params`` bound; return
    (objective, metrics).  Raises what the cell raises, or :class:`ObjectiveError`."""
    ns = dict(namespace)
    ns[VALUES_NAME] = params
    exec(program.body_code, ns)
    raw = eval(program.expr_code, ns) if program.expr_code is not None else None
    if program.metric is not None and (program.expr_code is None or not isinstance(raw, Mapping)):
        if program.metric not in ns:
            raise ObjectiveError(f"the cell did not set the variable {program.metric!r} named by --metric")
        raw = ns[program.metric]
    return extract_objective(raw, program.metric)


def describe_failure(exc: BaseException, program: CellProgram) -> str:
    """What a failed trial records: the objective's problem, or the cell's traceback."""
    if isinstance(exc, ObjectiveError):
        return f"ObjectiveError: {exc}"
    return format_cell_exception(exc, program.filename)


def run_trial(program: CellProgram, namespace: dict[str, Any], number: int, params: dict[str, Any]) -> Outcome:
    """Run the cell once with ``params``, capturing its output; never raises except on KeyboardInterrupt."""
    out, err = io.StringIO(), io.StringIO()
    start = time.perf_counter()
    state, value, metrics, error = TrialState.COMPLETE, None, {}, ""
    with warnings.catch_warnings(record=True) as caught:
        try:
            with redirect_stdout(out), redirect_stderr(err):
                value, metrics = evaluate(program, namespace, params)
        except KeyboardInterrupt:
            raise
        except BaseException as exc:  # noqa: BLE001 - a trial's failure must never end the search
            state, error = TrialState.FAILED, describe_failure(exc, program)
    duration = time.perf_counter() - start
    return Outcome(
        number=number,
        state=state,
        value=value,
        metrics=metrics,
        duration=duration,
        stdout=out.getvalue(),
        stderr=err.getvalue(),
        warnings=tuple(f"{w.category.__name__}: {w.message}" for w in caught),
        error=error,
    )


def format_cell_exception(exc: BaseException, filename: str) -> str:
    """Format a traceback from the cell's first frame on, dropping hpmagic's own frames."""
    tb = exc.__traceback__
    while tb is not None and tb.tb_frame.f_code.co_filename != filename:
        tb = tb.tb_next
    lines = traceback.format_exception(type(exc), exc, tb if tb is not None else exc.__traceback__)
    return "".join(lines)


class InlineExecutor:
    """Runs trials one at a time in this process (the default)."""

    capacity = 1

    def __init__(self, program: CellProgram, namespace: dict[str, Any]):
        self.program = program
        self.namespace = namespace
        self._queue: list[tuple[int, dict[str, Any]]] = []

    def submit(self, number: int, params: dict[str, Any]) -> None:
        self._queue.append((number, params))

    def wait(self) -> list[Outcome]:
        number, params = self._queue.pop(0)
        return [run_trial(self.program, self.namespace, number, params)]

    def cancel(self) -> list[int]:
        numbers = [n for n, _ in self._queue]
        self._queue.clear()
        return numbers

    def close(self) -> None:
        self._queue.clear()


