"""``hpmagic.tune``: the search on cell text, from plain Python.  ``%%tune`` is thin glue over it.

One run is three steps: **plan** (parse the cell, check the options, settle the seed, the
budget and the strategy), **search** (a :class:`Search` context manager owns the store and
the executor, so whatever happens they are closed), and **bind** (the best values and
``-o`` go into the namespace, also after an interrupt or a failure, before the error is
raised).
"""

from __future__ import annotations

import builtins
import dataclasses
import os
import secrets
import sys
import types
from collections.abc import Mapping, MutableMapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from . import interrupts
from .cell.direction import Settled, check_cross_validate, infer, settle
from .cell.parser import ParsedCell, parse_cell
from .cell.program import CellProgram
from .cell.trial import InlineExecutor
from .core import StopReason, TrialState
from .errors import OptionError, SearchError, StudyMismatchError, StudyWriteError, TrialsFailedError
from .options import DEFAULT_TRIALS, TuneOptions
from .protocols import NullReporter, Reporter, TrialExecutor, TrialStore
from .result import TuneResult
from .resume import StudyRequest
from .runner import Runner, SearchPlan
from .storage.memory import MemoryStore
from .strategies import make_strategy, resolve
from .strategies.base import StrategyContext

if TYPE_CHECKING:
    from .display.manual import ManualSession
    from .integrations.mlflow import LogTarget
    from .pruning.service import PruningService

__all__ = ["tune", "run", "plan", "bind", "make_executor", "Search", "Plan", "Placement", "Output", "TuneOptions"]


def tune(source: str, namespace: MutableMapping[str, Any] | None = None, **options: Any) -> TuneResult:
    """Tune the ``# tune:`` annotated parameters of ``source`` and return a ``TuneResult``.

    The same search as ``%%tune``, from plain Python.  The best values are bound in
    ``namespace`` afterwards (unless ``apply=False``), also after an interrupt.

    Parameters
    ----------
    source
        The cell's text, without the ``%%tune`` line: assignments with ``# tune:``
        annotations, ending with the expression whose value is the objective.
    namespace
        The dict the cell runs in; each trial runs in its own copy of the variables the cell
        reads.  By default, the caller's globals, as ``timeit`` does.
    **options
        ``%%tune``'s long option names with underscores: ``trials=40``,
        ``strategy="random"``, ``maximize=True``, ``metric="f1"``, ``timeout=60``,
        ``seed=0``, ``jobs=4``, ``executor=client``, ``study="svm"``, ``storage="runs.sqlite"``,
        ``overwrite=True``, ``prune="asha"``, ``grid_points=5``, ``baseline=False``,
        ``apply=False``, ``quiet=True``, ``out="result"``, ``log="mlflow"`` (or ``"mlflow:URI"``: each
        trial logged to MLflow: the Integrations guide), and ``display="text"``.
        With neither ``maximize=True`` nor ``minimize=True`` the direction is read from what
        the cell returns (``cross_val_score`` and ``*_score``: maximize; ``*_error``,
        ``*_loss``: minimize; the options guide, "Which way is better"), else minimize, and
        ``result.direction_reason`` says which and why.

    Returns
    -------
    TuneResult
        Every trial and the queries on them (``best_params``, ``best_value``,
        ``to_dataframe()``, the plots).  With ``strategy="manual"``, the manual session.

    Raises
    ------
    AnnotationError
        A mistake in the annotations or the cell's code, before any trial runs.
    OptionError
        A bad option or argument, before any trial runs.
    StorageError
        A study file that cannot be used (:class:`~hpmagic.StudyMismatchError` when the
        cell no longer matches its ``study``).
    TrialsFailedError
        The first trials all failed; ``.result`` keeps them.
    SearchError
        The search itself failed; ``.result`` keeps what finished.
    ExecutionEnvironmentError
        The trials cannot run where they were sent.
    """
    if namespace is None:
        namespace = sys._getframe(1).f_globals
    if options.get("write_back"):
        raise OptionError(
            "write_back= rewrites a %%tune cell in the notebook, which tune() has not; from Python, "
            "hpmagic.cell.writeback.rewrite_defaults(source, result.values_to_apply()) returns the rewritten source"
        )
    return run(source, namespace, TuneOptions.from_kwargs(options))


def run(source: str, namespace: MutableMapping[str, Any], opts: TuneOptions, reporter: Reporter | None = None,
        result_name: str = "") -> Any:
    """Plan, search and bind one search; the magic and :func:`tune` both end here.

    Returns the :class:`TuneResult`, or with ``--strategy manual`` the manual session.
    ``result_name`` says where the caller will keep the result (``Out[7]``): the live
    panel tells it to whoever reopens a notebook saved while the search ran.
    """
    with interrupts.guard():  # what the stop button means, phase by phase (see hpmagic.interrupts)
        settled = plan(source, namespace, opts)
        with Search(settled, namespace, reporter, result_name) as search:
            if search.interactive:
                return search.start_manual()
            result = search.run()
        bind(result, namespace, settled.output)
    if result.stop_reason == StopReason.FAILURES:
        raise TrialsFailedError(result)
    if result.stop_reason == StopReason.ERROR:
        failure = getattr(search.store, "failure", None)  # a study file that could not be written (a full disk)
        raise StudyWriteError(str(failure), result) if failure is not None else SearchError(result)
    return result


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
    goal: Settled  # which way the search goes, and why
    metric: str | None  # --metric: the variable or dict key that is the objective
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
    log: LogTarget | None = None  # --log mlflow[:URI]


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
    parsed = _parse(source, namespace, opts)
    spec = resolve(opts.strategy, namespace)
    study = None if opts.study is None else StudyRequest(
        name=opts.study, storage=opts.storage, overwrite=opts.overwrite, baseline=opts.baseline,
        explicit_seed=opts.seed is not None, metric=opts.metric or "objective", quiet=opts.quiet,
    )
    return Plan(
        parsed=parsed, goal=settle(opts.maximize, opts.minimize, infer(parsed.source, opts.metric)), metric=opts.metric,
        strategy=spec, seed=opts.seed if opts.seed is not None else secrets.randbelow(2**31),
        budget=opts.trials if opts.trials is not None else _default_budget(spec, parsed, opts.grid_points, opts.baseline),
        timeout=opts.timeout, grid_points=opts.grid_points, baseline=opts.baseline,
        placement=Placement(opts.jobs, _engine(opts.executor, namespace)), prune=prune, study=study,
        output=Output(display="none" if opts.quiet else (opts.display or "auto"), apply=opts.apply, out=opts.out,
                      quiet=opts.quiet), log=opts.log_target(),
    )


def _parse(source: str, namespace: Any, opts: TuneOptions) -> ParsedCell:
    """The cell parsed, and checked against the options that read it (--metric, -o)."""
    parsed = parse_cell(source)
    if len(parsed.space) == 0:
        raise OptionError(
            "the cell has no `# tune:` annotations, so there is nothing to tune; "
            "annotate an assignment, e.g. `C = 1.0  # tune: loguniform(1e-3, 1e3)`"
        )
    if not parsed.has_expression and opts.metric is None:
        raise OptionError(
            "the cell has no objective: end it with an expression whose value is the score "
            "(e.g. `cross_val_score(model, X, y)`), or name a variable with --metric NAME"
        )
    if opts.metric is not None and not parsed.has_expression and not parsed.program(opts.metric).names_metric:
        raise OptionError(
            f"--metric {opts.metric}: the cell never uses a variable {opts.metric!r} and ends in no expression, "
            f"so every trial would read the notebook's {opts.metric!r} unchanged; set it in the cell "
            f"(e.g. `{opts.metric} = score`) or end the cell with the objective"
        )
    check_cross_validate(parsed.source, opts.metric)
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


def _default_budget(spec: Any, parsed: ParsedCell, grid_points: int, baseline: bool) -> int:
    """``-n`` when it is not given: 30 trials, or with ``-s grid`` the whole grid plus the defaults."""
    if not (isinstance(spec, str) and spec == "grid"):
        return DEFAULT_TRIALS
    limit = 10_000
    size = parsed.space.grid_size(grid_points, limit=limit)
    if size > limit:
        raise OptionError(
            f"the grid has more than {limit:,} points ({grid_points} per continuous parameter); "
            "give -n N to run N of them, drawn evenly at random, or lower --grid-points"
        )
    return size + int(baseline)


def _check_out(name: str, parsed: ParsedCell, namespace: Mapping[str, Any]) -> None:
    """``-o NAME`` must not overwrite a tuned parameter, a built-in, a module, a class or a function."""
    if name in parsed.space.names:
        raise OptionError(
            f"-o {name}: {name!r} is a tuned parameter of the cell, which receives the best value; "
            "bind the result to another name, e.g. -o result"
        )
    if hasattr(builtins, name):
        raise OptionError(f"-o {name} would hide Python's built-in {name!r}; bind the result to another name, e.g. -o result")
    current = namespace.get(name)
    kinds = ((types.ModuleType, "module"), (type, "class"), ((types.FunctionType, types.BuiltinFunctionType), "function"))
    for kind, word in kinds:
        if isinstance(current, kind):
            raise OptionError(
                f"-o {name} would replace the {word} {name!r} of the notebook; bind the result to another name, "
                "e.g. -o result"
            )


def bind(result: TuneResult, namespace: MutableMapping[str, Any], output: Output) -> None:
    """What a search leaves in the namespace: the best values (unless ``--no-apply``) and ``-o``."""
    if output.apply:
        namespace.update(result.values_to_apply())
    if output.out:
        namespace[output.out] = result


class Search:
    """One search being set up and run; a context manager that owns its store and executor.

    Entering it opens the store (and creates or resumes a ``--study``), makes the strategy,
    starts the executor and shows the progress display, with the stop button deferred
    until all that is done (so nothing is left half-made); leaving it closes the store and
    the executor, whatever happened, unless a manual session took them over.
    """

    def __init__(self, plan: Plan, namespace: MutableMapping[str, Any], reporter: Reporter | None = None,
                 result_name: str = ""):
        self.settled, self.namespace = plan, namespace
        self.reporter, self.result_name = reporter, result_name
        self.seed = plan.seed
        self.store: TrialStore = MemoryStore()
        self.executor: TrialExecutor | None = None
        self.result: TuneResult | None = None
        self.complete: TuneResult | None = None  # a --study that already holds its trials
        self.interactive = False  # --strategy manual: one trial per click of Run
        self.pruning: PruningService | None = None
        self.log: Any = None  # --log: an open hpmagic.integrations.mlflow.MLflowLog
        self._owned = True

    def __enter__(self) -> Search:
        try:
            with interrupts.deferred():
                self._set_up()
                if self.reporter is None and not self.interactive:
                    from .display.reporter import make_reporter

                    self.reporter = make_reporter(self.settled.output.display, result_name=self.result_name)
                if self.log is not None and self.reporter is not None and self.complete is None:  # --log: to MLflow too
                    self.reporter = self.log.wrap(self.reporter, self.store)
        except BaseException:
            with interrupts.shielded():
                self.close()
            raise
        return self

    def __exit__(self, *exc_info: Any) -> None:
        if self._owned:
            self.close()

    def close(self) -> None:
        if self.executor is not None:
            self.executor.close()
        self.store.close(self.result)

    # -- set-up ------------------------------------------------------------------------

    def _set_up(self) -> None:
        settled = self.settled
        space, way, placement = settled.parsed.space, settled.goal.direction, settled.placement
        if settled.log is not None:  # first: a missing MLflow or a bad URI is said before any study opens
            from .integrations.mlflow import open_log

            self.log = open_log(settled.log)
        if placement.engine is not None:  # first: a stop during set-up must not kill a local cluster's workers
            from .parallel.engines import shield_workers

            shield_workers(placement.engine)
        strategy_seed, baseline, notes = self.seed, settled.baseline, _range_notes(space, settled.baseline)
        if settled.goal.doubt:
            notes += (settled.goal.doubt,)
        if self.log is not None:
            notes += (self.log.note,)
        if settled.study is not None:
            study = self._begin_study(settled.study)
            self.store = study.store
            if study.complete is not None:
                self.complete = study.complete
                return
            self.seed, strategy_seed, baseline = study.seed, study.strategy_seed, study.baseline
            notes += study.notes
        rule = settled.prune  # the strategy learns from pruned trials knowing the rule ("auto": the default)
        context = StrategyContext(direction=way, budget=settled.budget, seed=strategy_seed, jobs=placement.jobs,
                                  grid_points=settled.grid_points, pruning=None if rule is None else rule[0] or "auto",
                                  timeout=settled.timeout)  # auto weighs proposals against trials
        self.strategy = make_strategy(settled.strategy, space, context)
        self.interactive = bool(getattr(self.strategy, "interactive", False))
        if self.interactive and self.log is not None:
            raise OptionError("--log mlflow logs the trials of a search as it runs, but a manual search runs one trial "
                              "per click after the cell ends; drop --log")
        if self.interactive and (placement.jobs > 1 or placement.engine is not None):
            raise OptionError("--strategy manual runs one trial per click in the kernel itself; drop --jobs and --executor")
        left = settled.budget - sum(1 for t in self.store.trials() if t.state.counted)
        if rule is not None:
            from .pruning.service import PruningService

            self.pruning = PruningService(*rule, direction=way, budget=settled.budget)
        program = settled.parsed.program(settled.metric)
        program.seed = self.seed  # each trial's random streams start from a seed derived from it
        program.direction = way.value  # the framework callbacks (hpmagic.integrations) check their metric against it
        self.executor = make_executor(placement, program, self.namespace, trials=left, pruning=self.pruning)
        notes += tuple(getattr(self.executor, "notes", ())) + _jobs_notes(placement, left)
        self.plan = SearchPlan(space=space, budget=settled.budget, direction=way, metric=settled.metric or "objective",
                               baseline=baseline, timeout=settled.timeout, seed=self.seed, notes=notes,
                               study=None if settled.study is None else settled.study.name,
                               direction_reason=settled.goal.why)

    def _begin_study(self, request: StudyRequest) -> Any:
        """Create or resume ``--study``; a study run the other way than the inferred direction says how to resume it."""
        from .resume import begin_study

        goal = self.settled.goal
        try:
            return begin_study(request, self.settled.parsed.space, self.seed, self.settled.budget,
                               self.settled.strategy, source=self.settled.parsed.source, direction=goal.direction)
        except StudyMismatchError as exc:
            if not goal.inferred or exc.stored_direction is None:
                raise
            raise StudyMismatchError(
                f"{exc}\nThis run's direction was not given but inferred: {goal.why}. To go on with the study "
                f"as it was run, pass --{exc.stored_direction}.",
                exc.stored_direction,
            ) from None

    # -- running -----------------------------------------------------------------------

    def run(self) -> TuneResult:
        """Run the whole search (or, for a complete study, show what it holds)."""
        if self.complete is not None:
            self.result = self.complete
            if not self.settled.output.quiet:
                print(f"hpmagic: {self.complete.notes[0]}")
            return self.result
        assert self.executor is not None
        assert self.reporter is not None
        runner = Runner(self.plan, self.strategy, self.store, self.executor, self.reporter, pruning=self.pruning)
        self.result = runner.run()
        return self.result

    def start_manual(self) -> ManualSession:
        """Hand the store and the executor to a manual session: each click runs one trial."""
        from .display.manual import ManualSession
        from .strategies.manual import ManualStrategy

        strategy = self.strategy
        assert isinstance(strategy, ManualStrategy)
        self._owned = False
        elapsed = [0.0]

        def run_one(params: dict[str, Any], baseline: bool) -> TuneResult:
            assert self.executor is not None
            strategy.pending = params
            done = sum(1 for t in self.store.trials() if t.state is not TrialState.INTERRUPTED)
            one = dataclasses.replace(self.plan, budget=done + 1, baseline=baseline)
            with interrupts.guard():  # a click runs outside run()'s guard
                result = Runner(one, strategy, self.store, self.executor, NullReporter()).run()
            elapsed[0] += result.elapsed
            stop = result.stop_reason if result.stop_reason in (StopReason.INTERRUPTED, StopReason.ERROR) else StopReason.MANUAL
            self.result = dataclasses.replace(result, elapsed=elapsed[0], budget=len(result.trials),
                                              stop_reason=stop, has_baseline=self.plan.baseline)
            return self.result

        session = ManualSession(self.plan.space, direction=self.plan.direction, metric=self.plan.metric,
                                baseline=self.plan.baseline, run_one=run_one,
                                on_result=lambda result: bind(result, self.namespace, self.settled.output))
        return session.start()


def make_executor(
    placement: Placement, program: CellProgram, namespace: Mapping[str, Any], trials: int | None = None,
    pruning: PruningService | None = None,
) -> TrialExecutor:
    """What runs the trials: this process, ``--jobs`` worker processes, or an ``--executor``.

    ``trials`` (the trials left to run) caps ``--jobs``: no more workers start than trials can use.
    ``pruning`` decides the cell's reports (``--prune``), wherever the trials run.
    """
    if placement.jobs == 1 and placement.engine is None:
        return InlineExecutor(program, namespace, channel=pruning)
    from .parallel import parallel_executor

    jobs = placement.jobs if trials is None else max(1, min(placement.jobs, trials))
    return parallel_executor(program, dict(namespace), jobs=jobs, engine=placement.engine, pruning=pruning)


def _jobs_notes(placement: Placement, left: int) -> tuple[str, ...]:
    """What the summary says about ``--jobs``: workers it did not start, and more workers than cores."""
    if placement.jobs == 1 or placement.engine is not None:
        return ()
    asked = placement.jobs
    started, notes = max(1, min(asked, left)), []
    if started < asked:
        notes.append(f"--jobs {asked}: only {left} trial{'s' * (left != 1)} left to run, so {started} worker "
                     f"process{'es' * (started != 1)} started")
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    if started > cores:
        notes.append(f"--jobs {started} is more than the {cores} cores here: trials compete for them, "
                     f"so trials that compute run no faster than with --jobs {cores}")
    return tuple(notes)


def _range_notes(space: Any, baseline: bool) -> tuple[str, ...]:
    defaults = space.defaults()
    return tuple(
        f"the default of {p.name} ({p.default!r}) lies outside {p.distribution}; it still ran as trial 0"
        for p in space
        if baseline and p.name in defaults and not p.default_in_range
    )
