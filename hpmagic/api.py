"""``hpmagic.tune``: the search on cell text, from plain Python.  ``%%tune`` is thin glue over it.

One run is three steps: **plan** (:func:`hpmagic.planning.plan`: parse the cell, check the
options, settle the seed, the budget and the strategy), **search** (:func:`open_search` makes every part, or closes what
it made and raises; the :class:`Search` it returns runs and then closes its store and
executor, whatever happens; a complete ``--study`` is a :class:`StoredSearch`, and
``--strategy manual`` a :class:`~hpmagic.manual.ManualSearch` whose session keeps the
parts), and **bind** (the best values and ``-o`` go into the namespace, also after an
interrupt or a failure, before the error is raised).
"""

from __future__ import annotations

import dataclasses
import os
import sys
from collections.abc import Mapping, MutableMapping
from contextlib import ExitStack
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from . import interrupts
from .cell.program import CellProgram
from .cell.trial import InlineExecutor
from .core import StopReason
from .errors import OptionError, SearchError, StudyMismatchError, StudyWriteError, TrialsFailedError
from .manual import ManualSearch
from .options import TuneOptions
from .planning import Output, Placement, Plan, plan
from .protocols import Reporter, Strategy, TrialExecutor, TrialStore
from .result import TuneResult
from .resume import StudyRequest, StudyStart
from .runner import Runner, SearchPlan
from .storage.memory import MemoryStore
from .strategies import make_strategy
from .strategies.base import StrategyContext
from .strategies.registry import MANUAL

if TYPE_CHECKING:
    from .pruning.service import PruningService

__all__ = [
    "tune",
    "tune_cell",
    "plan",
    "bind",
    "make_executor",
    "open_search",
    "Search",
    "StoredSearch",
    "Plan",
    "Placement",
    "Output",
    "TuneOptions",
]


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
        ``result.direction_reason`` says which and why.  Several objectives:
        ``objectives={"accuracy": "max", "fit_time": "min"}``; limits: ``constraints=["latency <= 20"]``;
        ``pick="fit_time"`` binds the front's best on it rather than the knee (the guide, "Several
        objectives and constraints").

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
    return tune_cell(source, namespace, TuneOptions.from_kwargs(options))


def tune_cell(
    source: str,
    namespace: MutableMapping[str, Any],
    opts: TuneOptions,
    reporter: Reporter | None = None,
    result_name: str = "",
) -> Any:
    """Plan, search and bind one search; the magic and :func:`tune` both end here.

    Returns the :class:`TuneResult`, or with ``--strategy manual`` the manual session.
    ``result_name`` says where the caller will keep the result (``Out[7]``): the live
    panel tells it to whoever reopens a notebook saved while the search ran.
    """
    with interrupts.guard():  # what the stop button means, phase by phase (see hpmagic.interrupts)
        settled = plan(source, namespace, opts)
        search = open_search(settled, namespace, reporter, result_name)
        if isinstance(search, ManualSearch):  # --strategy manual: the session owns the parts from now on
            return search.start(on_result=lambda result: bind(result, namespace, settled.output))
        result = dataclasses.replace(search.run_to_end(), code=source.strip("\n"), options=opts.record())
        bind(result, namespace, settled.output)
    if result.stop_reason == StopReason.FAILURES:
        raise TrialsFailedError(result)
    if result.stop_reason == StopReason.ERROR:
        failure = getattr(search.store, "failure", None)  # a study file that could not be written (a full disk)
        raise StudyWriteError(str(failure), result) if failure is not None else SearchError(result)
    return result


def bind(result: TuneResult, namespace: MutableMapping[str, Any], output: Output) -> None:
    """What a search leaves in the namespace: the best values (unless ``--no-apply``) and ``-o``.

    With constraints that no complete trial holds, nothing is bound and a warning says so; with
    several objectives, the picked trial's values are bound, and again after ``result.pick(...)``."""
    if output.apply:
        namespace.update(result.values_to_apply())
        object.__setattr__(result, "on_pick", lambda picked: namespace.update(picked.values_to_apply()))
        if result.goal is not None and result.goal.constraints and result.completed and result.best_trial is None:
            if not output.quiet:
                print(
                    f"hpmagic: none of the {len(result.completed)} complete trials holds every constraint "
                    f"({', '.join(map(str, result.goal.constraints))}), so no values were bound; "
                    "the notebook's variables are as they were",
                    file=sys.stderr,
                )
    if output.out:
        namespace[output.out] = result


@dataclass(frozen=True)
class Search:
    """A search with every part made, ready to run: :meth:`run_to_end` runs its trials and then closes the
    store and the executor, whatever happened."""

    plan: SearchPlan
    strategy: Strategy
    store: TrialStore
    executor: TrialExecutor
    reporter: Reporter
    pruning: PruningService | None = None  # --prune: the rule's decisions

    def run_to_end(self) -> TuneResult:
        """Run the whole search and return its result (finished trials are kept whatever stops it)."""
        result = None
        try:
            result = Runner(
                self.plan, self.strategy, self.store, self.executor, self.reporter, pruning=self.pruning
            ).loop()
            return result
        finally:
            self.executor.close()
            self.store.close(result)


@dataclass(frozen=True)
class StoredSearch:
    """A ``--study`` that already holds its whole budget: nothing runs, :meth:`run_to_end` shows what it holds."""

    store: TrialStore
    result: TuneResult
    quiet: bool = False

    def run_to_end(self) -> TuneResult:
        """Say that the study is complete (unless ``-q``), close its store and return its result."""
        try:
            if not self.quiet:
                print(f"hpmagic: {self.result.notes[0]}")
            return self.result
        finally:
            self.store.close(self.result)


def open_search(
    settled: Plan, namespace: MutableMapping[str, Any], reporter: Reporter | None = None, result_name: str = ""
) -> Search | StoredSearch | ManualSearch:
    """Make every part of the search ``settled`` plans: the store (and the ``--study`` created or
    resumed), the strategy, the executor and the progress display; with ``--strategy manual``
    a :class:`~hpmagic.manual.ManualSearch` instead (no strategy, no display: each click runs
    one trial).  A stop press meanwhile waits until all is made (nothing is left half-made);
    when a step fails, or the press then stops the search, what was made is closed."""
    with ExitStack() as undo:
        try:
            with interrupts.deferred():
                search = _make(settled, namespace, reporter, result_name, undo)
        except BaseException:
            interrupts.shield()  # closing what was made: a press now must not cut it short
            raise
        undo.pop_all()  # made: the search owns its parts now
        return search


def _make(
    settled: Plan, namespace: MutableMapping[str, Any], reporter: Reporter | None, result_name: str, undo: ExitStack
) -> Search | StoredSearch | ManualSearch:
    """The parts of :func:`open_search`, each registered in ``undo`` to be closed if a later one fails."""
    space, placement = settled.parsed.space, settled.placement
    log = None
    if settled.log is not None:  # first: a missing MLflow or a bad URI is said before any study opens
        from .integrations.mlflow import open_log

        log = open_log(settled.log)
    if placement.engine is not None:  # first: a stop during set-up must not kill a local cluster's workers
        from .parallel.adapters import shield_workers

        shield_workers(placement.engine)
    seed, strategy_seed, baseline = settled.seed, settled.seed, settled.baseline
    notes = _range_notes(space, settled.baseline) + ((settled.goal.doubt,) if settled.goal.doubt else ())
    notes += (log.note,) if log is not None else ()
    notes += settled.enqueued.notes + settled.warm.notes
    store: TrialStore = MemoryStore()
    if settled.study is not None:
        study = _begin_study(settled, settled.study)
        store = study.store
        undo.callback(store.close, study.complete)
        if study.complete is not None:
            complete = dataclasses.replace(study.complete, pick_rule=settled.pick or "")  # --pick on a finished study
            return StoredSearch(study.store, complete, quiet=settled.output.quiet)
        seed, strategy_seed, baseline = study.seed, study.strategy_seed, study.baseline
        notes += study.notes
    manual = settled.strategy == MANUAL
    if manual and log is not None:
        raise OptionError(
            "--log mlflow logs the trials of a search as it runs, but a manual search runs one trial "
            "per click after the cell ends; drop --log"
        )
    if manual and (placement.jobs > 1 or placement.engine is not None):
        raise OptionError("--strategy manual runs one trial per click in the kernel itself; drop --jobs and --executor")
    strategy = None if manual else make_strategy(settled.strategy, space, _context(settled, strategy_seed))
    executor, pruning, more = _open_executor(settled, store, seed, namespace, undo)
    notes += more
    search_plan = _search_plan(settled, seed, baseline, notes)
    if strategy is None:
        return ManualSearch(search_plan, store, executor)
    if reporter is None:
        from .display.reporter import make_reporter

        reporter = make_reporter(settled.output.display, result_name=result_name)
    if log is not None:  # --log: each trial to MLflow too, from the kernel
        reporter = log.wrap(reporter, store)
    return Search(search_plan, strategy, store, executor, reporter, pruning)


def _search_plan(settled: Plan, seed: int, baseline: bool, notes: tuple[str, ...]) -> SearchPlan:
    """What the loop is told of the search: the plan's settings, with the seed and baseline a
    resumed study keeps, and every note gathered while the parts were made."""
    return SearchPlan(
        space=settled.parsed.space,
        budget=settled.budget,
        direction=settled.goal.direction,
        metric=settled.metric or "objective",
        baseline=baseline,
        timeout=settled.timeout,
        seed=seed,
        notes=notes,
        study=None if settled.study is None else settled.study.name,
        direction_reason=settled.goal.why,
        goal=settled.objectives,
        pick=settled.pick,
        enqueued=settled.enqueued.configs,
        warm=settled.warm.trials,
    )


def _open_executor(
    settled: Plan, store: TrialStore, seed: int, namespace: MutableMapping[str, Any], undo: ExitStack
) -> tuple[TrialExecutor, PruningService | None, tuple[str, ...]]:
    """What runs the trials the budget has left (registered in ``undo``), the early-stopping
    service with ``--prune``, and the notes of where the trials run."""
    pruning = None
    if settled.prune is not None:
        from .pruning.service import PruningService

        goal = settled.objectives
        several = tuple((o.label, o.direction) for o in goal.objectives) if goal.multi else ()
        pruning = PruningService(
            *settled.prune, direction=settled.goal.direction, budget=settled.budget, objectives=several
        )
    left = settled.budget - sum(1 for t in store.trials() if t.state.counted)
    program = settled.program()
    program.seed = seed  # each trial's random streams start from a seed derived from it
    program.direction = settled.goal.direction.value  # the framework callbacks (hpmagic.integrations) check theirs
    executor = make_executor(settled.placement, program, namespace, trials=left, pruning=pruning)
    undo.callback(executor.close)
    return executor, pruning, tuple(getattr(executor, "notes", ())) + _jobs_notes(settled.placement, left)


def _context(settled: Plan, seed: int) -> StrategyContext:
    """What the strategy is told of the search; it learns from pruned trials knowing the rule ("auto": the default),
    and ``auto`` weighs the time of its proposals against the trials' within a timeout."""
    rule = settled.prune
    return StrategyContext(
        goal=settled.objectives,
        budget=settled.budget,
        seed=seed,
        jobs=settled.placement.jobs,
        grid_points=settled.grid_points,
        pruning=None if rule is None else rule[0] or "auto",
        timeout=settled.timeout,
        warm=len(settled.warm.trials),
    )


def _begin_study(settled: Plan, request: StudyRequest) -> StudyStart:
    """Create or resume ``--study``; a study run the other way than the inferred direction says how to resume it."""
    from .resume import begin_study

    goal = settled.goal
    try:
        return begin_study(
            request,
            settled.parsed.space,
            settled.seed,
            settled.budget,
            settled.strategy,
            source=settled.parsed.source,
            direction=goal.direction,
            goal=settled.objectives,
        )
    except StudyMismatchError as exc:
        if not goal.inferred or exc.stored_direction is None:
            raise
        raise StudyMismatchError(
            f"{exc}\nThis run's direction was not given but inferred: {goal.why}. To go on with the study "
            f"as it was run, pass --{exc.stored_direction}.",
            exc.stored_direction,
        ) from None


def make_executor(
    placement: Placement,
    program: CellProgram,
    namespace: Mapping[str, Any],
    trials: int | None = None,
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
        notes.append(
            f"--jobs {asked}: only {left} trial{'s' * (left != 1)} left to run, so {started} worker "
            f"process{'es' * (started != 1)} started"
        )
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    if started > cores:
        notes.append(
            f"--jobs {started} is more than the {cores} cores here: trials compete for them, "
            f"so trials that compute run no faster than with --jobs {cores}"
        )
    return tuple(notes)


def _range_notes(space: Any, baseline: bool) -> tuple[str, ...]:
    defaults = space.defaults()
    return tuple(
        f"the default of {p.name} ({p.default!r}) lies outside {p.distribution}; it still ran as trial 0"
        for p in space
        if baseline and p.name in defaults and not p.default_in_range
    )
