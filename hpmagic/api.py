"""``hpmagic.tune``: the search on cell text, from plain Python.  ``%%tune`` is thin glue over it."""

from __future__ import annotations

import difflib
import secrets
import sys
from dataclasses import dataclass, fields
from typing import Any

from .annotations import parse_cell
from .execution import CellProgram, InlineExecutor
from .runner import Runner, SearchError, TrialsFailedError
from .storage import DEFAULT_STORAGE, MemoryStore, SQLiteStore
from .strategies import make_strategy
from .strategies.base import StrategyContext

__all__ = ["tune", "TuneOptions", "OptionError"]

DEFAULT_TRIALS = 30


class OptionError(ValueError):
    """An option of ``%%tune`` / ``tune()`` has a value that cannot be used."""


@dataclass
class TuneOptions:
    """The options of ``%%tune``, by their long names (see ``%%tune?``)."""

    trials: int | None = None
    strategy: Any = "auto"
    maximize: bool = False
    minimize: bool = False
    metric: str | None = None
    timeout: float | None = None
    jobs: int = 1
    executor: Any = None
    seed: int | None = None
    study: str | None = None
    storage: str | None = None
    overwrite: bool = False
    prune: str | None = None
    grid_points: int = 5
    baseline: bool = True
    apply: bool = True
    quiet: bool = False
    out: str | None = None
    display: Any = None  # "auto", "text", "widget", "none" or a reporter object

    @classmethod
    def from_kwargs(cls, options: dict[str, Any]) -> TuneOptions:
        known = {f.name for f in fields(cls)}
        for key in options:
            if key not in known:
                close = difflib.get_close_matches(key, known, n=1)
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                raise TypeError(f"tune() got an unknown option {key!r}{hint}; options: {', '.join(sorted(known))}")
        return cls(**options)

    def validate(self) -> None:
        if self.maximize and self.minimize:
            raise OptionError("--maximize and --minimize cannot both be given; choose one direction")
        if self.trials is not None and (isinstance(self.trials, bool) or not isinstance(self.trials, int) or self.trials < 1):
            raise OptionError(f"the number of trials must be a whole number of at least 1, but got {self.trials!r}")
        if self.timeout is not None and not self.timeout > 0:
            raise OptionError(f"the timeout must be a positive number of seconds, but got {self.timeout!r}")
        if not isinstance(self.grid_points, int) or self.grid_points < 1:
            raise OptionError(f"--grid-points must be a whole number of at least 1, but got {self.grid_points!r}")
        if isinstance(self.jobs, bool) or not isinstance(self.jobs, int) or self.jobs < 1:
            raise OptionError(f"--jobs must be a whole number of at least 1, but got {self.jobs!r}")
        if self.study is not None and (not isinstance(self.study, str) or not self.study.strip()):
            raise OptionError(f"--study needs a name, e.g. --study svm, but got {self.study!r}")
        if self.study is None and (self.storage is not None or self.overwrite):
            given = "--storage" if self.storage is not None else "--overwrite"
            raise OptionError(f"{given} applies to a persistent study: name it with --study NAME")
        if self.prune is not None:
            raise OptionError("early stopping (--prune) is not available in this version yet; run without it")

    @property
    def direction(self) -> str:
        return "maximize" if self.maximize else "minimize"


def tune(source: str, namespace: dict[str, Any] | None = None, **options: Any):
    """Tune the ``# tune:`` annotated parameters of ``source`` and return a ``TuneResult``.

    ``namespace`` is the dict the cell runs in (a shallow copy per trial); by default, the
    caller's globals, as ``timeit`` does.  Keyword options are ``%%tune``'s long option
    names with underscores: ``trials=40``, ``strategy="random"``, ``maximize=True``,
    ``metric="f1"``, ``timeout=60``, ``seed=0``, ``grid_points=5``, ``baseline=False``,
    ``apply=False``, ``quiet=True``, ``out="result"``.

    The best values are bound in ``namespace`` afterwards (unless ``apply=False``).
    Raises :class:`~hpmagic.annotations.AnnotationError` for a mistake in the annotations
    (before any trial runs), :class:`OptionError` for a bad option and
    :class:`~hpmagic.runner.TrialsFailedError` when the first trials all fail.
    """
    if namespace is None:
        namespace = sys._getframe(1).f_globals
    opts = TuneOptions.from_kwargs(options)
    return run(source, namespace, opts)


def run(source: str, namespace: dict[str, Any], opts: TuneOptions, reporter: Any = None):
    """Parse, set up and run one search; the magic and :func:`tune` both end here."""
    opts.validate()
    parsed = parse_cell(source)
    space = parsed.space
    if len(space) == 0:
        raise OptionError(
            "the cell has no `# tune:` annotations, so there is nothing to tune; "
            "annotate an assignment, e.g. `C = 1.0  # tune: loguniform(1e-3, 1e3)`"
        )
    if not parsed.has_expression and opts.metric is None:
        raise OptionError(
            "the cell has no objective: end it with an expression whose value is the score "
            "(e.g. `cross_val_score(model, X, y)`), or name a variable with --metric NAME"
        )
    seed = opts.seed if opts.seed is not None else secrets.randbelow(2**31)
    strategy_spec = _strategy_spec(opts.strategy, namespace)
    trials = opts.trials
    if trials is None:
        is_grid = isinstance(strategy_spec, str) and strategy_spec == "grid"
        trials = _whole_grid(space, opts) if is_grid else DEFAULT_TRIALS
    store = _make_store(opts, space)
    executor = None
    try:  # until the runner owns them, a failed set-up must not leave a study open or workers running
        strategy_seed, baseline, notes = seed, opts.baseline, _notes(space, opts)
        if opts.study is not None:
            resume = _begin_study(store, opts, space, seed, trials, strategy_spec)
            if resume.complete:
                return _complete_study(store, resume, opts, namespace, trials)
            seed, strategy_seed, baseline = resume.study.seed, resume.strategy_seed, resume.study.baseline
            notes += _study_notes(store, resume, opts)
        context = StrategyContext(
            direction=opts.direction, budget=trials, seed=strategy_seed, jobs=opts.jobs, grid_points=opts.grid_points
        )
        strategy = make_strategy(strategy_spec, space, context)
        interactive = getattr(strategy, "interactive", False)  # --strategy manual: one trial per click of Run
        if interactive and (opts.jobs > 1 or opts.executor is not None):
            raise OptionError("--strategy manual runs one trial per click in the kernel itself; drop --jobs and --executor")
        executor = _make_executor(opts, CellProgram(parsed, opts.metric), namespace)
        runner = Runner(
            space=space,
            strategy=_Checked(strategy, space),
            context=context,
            store=store,
            executor=executor,
            reporter=reporter if reporter is not None else _make_reporter(opts),
            baseline=baseline,
            timeout=opts.timeout,
            metric=opts.metric or "objective",
            strategy_name=getattr(strategy, "name", type(strategy).__name__),
            seed=seed,
            notes=notes,
            study=opts.study,
        )
    except BaseException:
        if executor is not None:
            executor.close()
        store.close(None)
        raise
    if interactive:
        from .strategies.manual import start_session

        return start_session(runner, strategy, namespace, opts)
    result = None
    try:
        result = runner.run()
    finally:
        store.close(result)
    # Whatever happened, what finished is kept: apply and bind it before reporting a stop.
    if opts.apply:
        namespace.update(result.values_to_apply())
    if opts.out:
        namespace[opts.out] = result
    if result.stop_reason == "failures":
        raise TrialsFailedError(result)
    if result.stop_reason == "error":
        raise SearchError(result)
    return result


def _whole_grid(space, opts: TuneOptions) -> int:
    """The budget of ``-s grid`` without ``-n``: every grid point, plus the defaults."""
    limit = 10_000
    size = space.grid_size(opts.grid_points, limit=limit)
    if size > limit:
        raise OptionError(
            f"the grid has more than {limit:,} points ({opts.grid_points} per continuous parameter); "
            "give -n N to run N of them, drawn evenly at random, or lower --grid-points"
        )
    return size + int(opts.baseline)


def _strategy_spec(spec: Any, namespace: dict[str, Any]) -> Any:
    """A strategy name, or the object a non-built-in name refers to in the namespace."""
    if isinstance(spec, str) and not _is_builtin(spec) and spec in namespace:
        return namespace[spec]
    return spec


def _make_store(opts: TuneOptions, space):
    """Where trials are recorded: in memory, or with --study in an SQLite file (checked, not yet changed)."""
    if opts.study is None:
        return MemoryStore()
    return SQLiteStore(opts.storage if opts.storage is not None else DEFAULT_STORAGE, opts.study)


def _begin_study(store, opts: TuneOptions, space, seed: int, trials: int, strategy_spec: Any):
    """Create or resume the study; a cell that no longer matches it is refused (StudyMismatchError)."""
    try:
        return store.begin(
            space=space,
            direction=opts.direction,
            metric=opts.metric or "objective",
            baseline=opts.baseline,
            seed=seed,
            budget=trials,
            strategy=strategy_spec if isinstance(strategy_spec, str) else getattr(strategy_spec, "name", "custom"),
            overwrite=opts.overwrite,
            explicit_seed=opts.seed is not None,
        )
    except BaseException:
        store.close()
        raise


def _study_notes(store, resume, opts: TuneOptions) -> tuple[str, ...]:
    where = f"study {opts.study!r} in {str(store.path)!r}"
    if resume.created:
        return (f"{where}: every trial is saved; run the cell again to resume it",)
    text = f"{where}: resumed with {resume.counted} stored trials"
    if resume.interrupted:
        text += f" ({resume.interrupted} left running by a crashed process were marked interrupted and run again)"
    text += f"; this is run {resume.session} of the study, its sampling seed derived from the study seed"
    notes = [text]
    if resume.study.baseline != opts.baseline:
        notes.append(f"the study was created {'with' if resume.study.baseline else 'without'} a baseline trial; that stays")
    return tuple(notes)


def _complete_study(store, resume, opts: TuneOptions, namespace: dict[str, Any], trials: int):
    """The study already holds its -n trials: say so, and return (and apply) the stored result."""
    import dataclasses

    from .studies import load_study

    store.close()
    result = load_study(opts.study, store.path)
    message = (
        f"study {opts.study!r} in {str(store.path)!r} is complete: it holds {resume.counted} trials and "
        f"-n asks for {trials}, so nothing ran. To run more, raise -n (e.g. -n {resume.counted + 20}) and run the "
        f"cell again, or start another study with a new --study name (or --overwrite to start this one afresh)."
    )
    result = dataclasses.replace(result, stop_reason="complete", notes=(message, *result.notes))
    if not opts.quiet:
        print(f"hpmagic: {message}")
    if opts.apply:
        namespace.update(result.values_to_apply())
    if opts.out:
        namespace[opts.out] = result
    return result


def _make_executor(opts: TuneOptions, program: CellProgram, namespace: dict[str, Any]):
    """What runs the trials: this process, --jobs worker processes, or an --executor."""
    if opts.jobs == 1 and opts.executor is None:
        return InlineExecutor(program, namespace)
    from .parallel import make_executor

    executor = opts.executor
    if isinstance(executor, str):
        if executor not in namespace:
            raise OptionError(f"--executor {executor}: there is no variable {executor!r} in the namespace")
        executor = namespace[executor]
    return make_executor(program, namespace, jobs=opts.jobs, executor=executor)


def _make_reporter(opts: TuneOptions):
    from .display.reporter import make_reporter

    return make_reporter("none" if opts.quiet else (opts.display or "auto"))


def _notes(space, opts: TuneOptions) -> tuple[str, ...]:
    defaults = space.defaults()
    return tuple(
        f"the default of {p.name} ({p.default!r}) lies outside {p.distribution}; it still ran as trial 0"
        for p in space
        if opts.baseline and p.name in defaults and not p.default_in_range
    )


def _is_builtin(name: str) -> bool:
    from .strategies import names

    return name.lower() in names()


class _Checked:
    """Wraps a strategy so that a configuration that does not fit the space is a clear error."""

    def __init__(self, strategy: Any, space):
        self._strategy = strategy
        self._space = space
        self.name = getattr(strategy, "name", type(strategy).__name__)
        self._check = not type(strategy).__module__.startswith("hpmagic.")

    @property
    def reason(self) -> str:
        return getattr(self._strategy, "reason", "")

    def ask(self, number: int):
        params = self._strategy.ask(number)
        if params is not None and self._check:
            try:
                self._space.validate(params)
            except ValueError as exc:
                raise OptionError(f"strategy {self.name!r} proposed {params!r} for trial {number}: {exc}") from None
        return params

    def tell(self, trial) -> None:
        self._strategy.tell(trial)
