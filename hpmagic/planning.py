"""The first step of a search: the options checked and turned, once, into a :class:`Plan`.

:func:`plan` checks the source, the namespace and every option, parses the cell, resolves
the strategy, looks up ``--executor``, parses ``--prune`` and settles the direction, the
seed and the budget.  Every mistake is an error here, before anything opens.  The
:class:`Plan` holds small typed pieces (the goal, the budget, :class:`Placement`,
:class:`~hpmagic.resume.StudyRequest`, the parsed ``--prune`` rule, :class:`Output`): nothing
below :mod:`hpmagic.api` sees :class:`~hpmagic.options.TuneOptions`.
"""

from __future__ import annotations

import builtins
import secrets
import types
from collections.abc import Mapping, MutableMapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .cell.direction import Settled, check_cross_validate, check_names, settle_goal
from .cell.parser import ParsedCell, parse_cell
from .cell.program import CellProgram
from .enqueue import Enqueued
from .enqueue import resolve as resolve_enqueued
from .errors import OptionError, StorageError
from .objectives import Constraint, Goal, Objective
from .options import DEFAULT_TRIALS, TuneOptions
from .resume import StudyRequest
from .strategies import resolve
from .warmstart import WarmStart, carry

if TYPE_CHECKING:
    from .integrations.mlflow import LogTarget

__all__ = ["plan", "Plan", "Placement", "Output"]


@dataclass(frozen=True)
class Placement:
    """Where the trials run: this process, ``jobs`` worker processes, or an executor (``--executor``,
    looked up in the namespace when it was given by name)."""

    jobs: int = 1
    engine: Any = None


@dataclass(frozen=True)
class Output:
    """What the notebook gets besides the result: the display, and what is bound in the namespace."""

    display: Any = "auto"  # "auto", "widget", "text", "none" (-q) or a reporter object
    apply: bool = True  # the best values bound to the tuned names (--no-apply: not)
    out: str | None = None  # -o NAME: the result bound to NAME
    quiet: bool = False  # -q: nothing printed


@dataclass(frozen=True)
class Plan:
    """A search as :func:`plan` settled it: the options checked and turned, once, into the small
    pieces each part needs (nothing below this module sees :class:`TuneOptions`)."""

    parsed: ParsedCell
    goal: Settled  # which way the search goes, and why (with several objectives: the first's)
    metric: str | None  # --metric (or the first named objective): the variable or dict key that is the objective
    strategy: Any  # --strategy resolved: a built-in name or a strategy object
    seed: int  # --seed, or one drawn now
    budget: int  # -n, or its default (30; a grid: the whole grid)
    timeout: float | None  # -t
    grid_points: int
    baseline: bool  # the defaults run as trial 0
    placement: Placement
    prune: tuple[str | None, dict[str, str]] | None  # --prune's rule and settings, parsed once (None: off)
    study: StudyRequest | None  # --study
    output: Output
    objectives: Goal = Goal.single()  # every objective and constraint (--maximize NAME, --constraint)
    pick: str | None = None  # --pick: the objective whose best front trial is bound (None: the knee)
    named: tuple[str, ...] = ()  # the objectives named by --maximize NAME / --minimize NAME, in order
    log: LogTarget | None = None  # --log mlflow[:URI]
    enqueued: Enqueued = Enqueued()  # --enqueue: the configurations to run first, whole and checked
    warm: WarmStart = WarmStart()  # --warm-start: an earlier study's trials, mapped onto the cell's space

    def program(self) -> CellProgram:
        """The compiled cell, reading the objectives and the constrained quantities."""
        constrained = tuple(c.name for c in self.objectives.constraints)  # one quantity per constraint, in order
        return self.parsed.program(self.metric, self.named, constrained)


def plan(source: str, namespace: Any, opts: TuneOptions) -> Plan:
    """Check the arguments and every option, parse the cell, and settle the search; every mistake is
    an error before anything runs."""
    if not isinstance(source, str):
        raise OptionError(f"the cell's source must be a string of Python code, but got {type(source).__name__}")
    if not isinstance(namespace, MutableMapping):
        raise OptionError(
            f"the namespace must be a dict the cell can run in (and receive the best values), "
            f"but got {type(namespace).__name__}; pass e.g. globals() or a dict"
        )
    prune = opts.validate()
    named, constraints = opts.named_objectives(), opts.constraint_list()
    metric = named[0].name if named else opts.metric
    parsed = _parse(source, namespace, opts, metric, named, constraints)
    spec = resolve(opts.strategy, namespace)
    study = (
        None
        if opts.study is None
        else StudyRequest(
            name=opts.study,
            storage=opts.storage,
            overwrite=opts.overwrite,
            baseline=opts.baseline,
            explicit_seed=opts.seed is not None,
            metric=metric or "objective",
            quiet=opts.quiet,
        )
    )
    way, goal = settle_goal(parsed.source, named, constraints, opts.maximize, opts.minimize, metric)
    enqueued = _enqueued(opts, namespace, parsed)
    return Plan(
        parsed=parsed,
        goal=way,
        metric=metric,
        objectives=goal,
        pick=opts.pick,
        named=tuple(o.label for o in named),
        strategy=spec,
        seed=opts.seed if opts.seed is not None else secrets.randbelow(2**31),
        budget=opts.trials
        if opts.trials is not None
        else _default_budget(spec, parsed, opts.grid_points, opts.baseline, len(enqueued.configs)),
        timeout=opts.timeout,
        grid_points=opts.grid_points,
        baseline=opts.baseline,
        placement=Placement(opts.jobs, _engine(opts.executor, namespace)),
        prune=prune,
        study=study,
        output=Output(
            display="none" if opts.quiet else (opts.display or "auto"), apply=opts.apply, out=opts.out, quiet=opts.quiet
        ),
        log=opts.log_target(),
        enqueued=enqueued,
        warm=_warm(opts, parsed, goal),
    )


def _enqueued(opts: TuneOptions, namespace: Any, parsed: ParsedCell) -> Enqueued:
    """``--enqueue``'s configurations, whole and checked against the cell's space (:mod:`hpmagic.enqueue`)."""
    if opts.enqueue is None:
        return Enqueued()
    if isinstance(opts.strategy, str) and opts.strategy == "manual":
        raise OptionError(
            "--enqueue runs configurations before the strategy proposes, but --strategy manual runs "
            "the one each click gives; drop --enqueue, and enter the values yourself"
        )
    return resolve_enqueued(opts.enqueue, namespace, parsed.space, opts.baseline)


def _warm(opts: TuneOptions, parsed: ParsedCell, goal: Goal) -> WarmStart:
    """``--warm-start``'s earlier trials, read (a study by name, from ``--storage``) and mapped onto the cell's space."""
    given = opts.warm_start
    if given is None:
        return WarmStart()
    if isinstance(opts.strategy, str) and opts.strategy == "manual":
        raise OptionError(
            "--warm-start starts a strategy from an earlier study, but --strategy manual has none; drop --warm-start"
        )
    if isinstance(given, str):
        from .storage import DEFAULT_STORAGE
        from .studies import load_study

        name = given.strip()
        try:
            earlier = load_study(name, opts.storage if opts.storage is not None else DEFAULT_STORAGE)
        except StorageError as exc:
            raise StorageError(f"--warm-start {name}: {exc}") from None
        return carry(f"study {name!r}", earlier, parsed.space, goal)
    label = f"study {given.study!r}" if getattr(given, "study", None) else "the given result"
    return carry(label, given, parsed.space, goal)


def _parse(
    source: str,
    namespace: Any,
    opts: TuneOptions,
    metric: str | None,
    named: list[Objective],
    constraints: tuple[Constraint, ...],
) -> ParsedCell:
    """The cell parsed, and checked against the options that read it (--metric, the named objectives, -o)."""
    parsed = parse_cell(source)
    if len(parsed.space) == 0:
        raise OptionError(
            "the cell has no `# tune:` annotations, so there is nothing to tune; "
            "annotate an assignment, e.g. `C = 1.0  # tune: loguniform(1e-3, 1e3)`"
        )
    if not parsed.has_expression and metric is None:
        raise OptionError(
            "the cell has no objective: end it with an expression whose value is the score "
            "(e.g. `cross_val_score(model, X, y)`), or name a variable with --metric NAME"
        )
    given = [(f"--{o.direction.value} {o.name}", o.name or "") for o in named] or (
        [(f"--metric {metric}", metric)] if metric else []
    )
    check_names(parsed.module, parsed.has_expression, given + [(f'--constraint "{c}"', c.name) for c in constraints])
    check_cross_validate(parsed.source, metric)
    if opts.out is not None:
        _check_out(opts.out, parsed, namespace)
    return parsed


def _engine(executor: Any, namespace: Mapping[str, Any]) -> Any:
    """``--executor``'s object: a name is looked up in the namespace."""
    if isinstance(executor, str):
        if executor not in namespace:
            raise OptionError(f"--executor {executor}: there is no variable {executor!r} in the namespace")
        return namespace[executor]
    return executor


def _default_budget(spec: Any, parsed: ParsedCell, grid_points: int, baseline: bool, enqueued: int = 0) -> int:
    """``-n`` when it is not given: 30 trials, or with ``-s grid`` the whole grid plus the defaults and the
    ``--enqueue`` configurations."""
    if not (isinstance(spec, str) and spec == "grid"):
        return DEFAULT_TRIALS
    limit = 10_000
    size = parsed.space.grid_size(grid_points, limit=limit)
    if size > limit:
        raise OptionError(
            f"the grid has more than {limit:,} points ({grid_points} per continuous parameter); "
            "give -n N to run N of them, drawn evenly at random, or lower --grid-points"
        )
    return size + int(baseline) + enqueued


def _check_out(name: str, parsed: ParsedCell, namespace: Mapping[str, Any]) -> None:
    """``-o NAME`` must not overwrite a tuned parameter, a built-in, a module, a class or a function."""
    if name in parsed.space.names:
        raise OptionError(
            f"-o {name}: {name!r} is a tuned parameter of the cell, which receives the best value; "
            "bind the result to another name, e.g. -o result"
        )
    if hasattr(builtins, name):
        raise OptionError(
            f"-o {name} would hide Python's built-in {name!r}; bind the result to another name, e.g. -o result"
        )
    current = namespace.get(name)
    kinds = (
        (types.ModuleType, "module"),
        (type, "class"),
        ((types.FunctionType, types.BuiltinFunctionType), "function"),
    )
    for kind, word in kinds:
        if isinstance(current, kind):
            raise OptionError(
                f"-o {name} would replace the {word} {name!r} of the notebook; bind the result to another name, "
                "e.g. -o result"
            )
