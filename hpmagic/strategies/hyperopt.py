"""``tpe``, ``anneal`` and ``hyperopt-random``: hyperopt's algorithms behind hpmagic's ask/tell.

The only module of hpmagic that imports hyperopt (in ``setup``, so that importing it stays
light).  hpmagic's runner owns the loop, so ``fmin`` is never called: the adapter keeps its
own ``Trials`` database, calls the algorithm's ``suggest`` on each ask and records every
told trial in it.  How parameters, conditions, trial states and seeds translate:
``docs/design/strategies.md``.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from typing import Any

from ..core import Trial, TrialState
from ..errors import OptionError
from ..space import Parameter, SearchSpace
from . import fidelity
from .base import Strategy, StrategyContext, require_one_objective
from .inflight import InFlight

__all__ = ["HyperoptStrategy", "TPE", "Anneal", "HyperoptRandom", "RESUGGEST"]

#: Times ``suggest`` is called again when its proposal equals a configuration in flight.
RESUGGEST = 4


def _import_hyperopt() -> tuple[Any, Any, Any, dict[str, Any]]:
    # Imported on first use, not at the top: `import hpmagic` must not load hyperopt.
    import hyperopt
    from hyperopt import anneal, base, hp, rand, tpe

    return hyperopt, base, hp, {"tpe": tpe, "anneal": anneal, "rand": rand}


class _Codec:
    """One parameter's hyperopt node, and its raw values to and from hpmagic's values."""

    def __init__(self, param: Parameter):
        self.param = param
        # Any: which attributes exist (step, low, options, ...) depends on ``kind``
        d: Any = param.distribution
        self.dist = d
        self.kind = d.kind
        #: stepped uniforms and ints are sampled by the index k of ``low + k*step``
        self.indexed = (self.kind == "uniform" and d.step is not None) or self.kind == "int"
        if self.indexed:
            self.step = d.step or 1
        #: an ordinal choice (a list of numbers) is sampled by its sorted index, so TPE sees the order
        self.ordinal = self.kind == "choice" and d.ordered
        if self.indexed or self.ordinal:
            self.last = int(d.cardinality()) - 1  # index of the last value

    def node(self, hp: Any) -> Any:
        d, label = self.dist, self.param.name
        if self.indexed or self.ordinal:
            return hp.quniform(label, -0.5, self.last + 0.5, 1)
        if self.kind == "uniform":
            return hp.uniform(label, d.low, d.high)
        if self.kind == "loguniform":
            return hp.loguniform(label, math.log(d.low), math.log(d.high))
        if self.kind == "logint":
            return hp.qloguniform(label, math.log(d.low - 0.5), math.log(d.high + 0.5), 1)
        if self.kind == "choice":
            return hp.choice(label, list(range(len(d.options))))
        if self.kind == "normal":
            return hp.normal(label, d.mu, d.sigma)
        if self.kind == "lognormal":
            return hp.lognormal(label, d.mu, d.sigma)
        raise TypeError(f"hyperopt strategies cannot sample a {self.kind!r} parameter ({self.param.name})")

    def decode(self, raw: Any) -> Any:
        """hyperopt's raw value -> the parameter's value, of the right type and in range."""
        d = self.dist
        if self.indexed:
            k = min(max(int(round(float(raw))), 0), self.last)
            return int(d.step_value(k)) if self.kind == "int" else float(d.step_value(k))
        if self.ordinal:
            return d.order[min(max(int(round(float(raw))), 0), self.last)]
        if self.kind == "choice":
            return d.options[min(max(int(raw), 0), len(d.options) - 1)]
        if self.kind == "logint":
            x = min(max(int(round(float(raw))), d.low), d.high)
            if d.step is not None:
                k = min(round((x - d.low) / d.step), (d.high - d.low) // d.step)
                x = d.low + k * d.step
            return int(x)
        if self.kind in ("uniform", "loguniform"):
            return float(min(max(float(raw), d.low), d.high))
        return float(raw)

    def encode(self, value: Any) -> float | int | None:
        """A value (a default, a stored trial's) -> hyperopt's raw value; ``None`` if it has none."""
        d = self.dist
        if self.kind == "choice":
            if not d.contains(value):
                return None
            return float(d.rank(value)) if self.ordinal else d.index(value)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            return None
        if self.indexed:
            return float(min(max(round((value - d.low) / self.step), 0), self.last))
        if self.kind in ("uniform", "loguniform", "logint"):
            return float(min(max(value, d.low), d.high))
        if self.kind == "lognormal" and value <= 0:
            return None
        return float(value)


class HyperoptStrategy(Strategy):
    """Runs one of hyperopt's ``suggest`` functions (see ``docs/design/strategies.md``)."""

    name = "hyperopt"
    #: the hyperopt module whose ``suggest`` proposes points: "tpe", "anneal" or "rand"
    algorithm = "rand"
    #: with pruned trials, rank every trial at one fidelity (``_rescore``), not by the loss each reached
    ONE_FIDELITY = True
    description = ""

    def __init__(self, **options: Any) -> None:
        super().__init__()
        #: keyword arguments for the ``suggest`` function (e.g. ``gamma`` for TPE)
        self.options = options

    def setup(self, space: SearchSpace, context: StrategyContext) -> None:
        """Import hyperopt, translate the space into its own and check the options given for its algorithm."""
        if self.algorithm != "rand":  # random draws need no objective; TPE and annealing read one
            require_one_objective(self.name, context)
        super().setup(space, context)
        self._hyperopt, base, hp, algorithms = _import_hyperopt()
        self._base = base
        self._codecs = {p.name: _Codec(p) for p in space}
        self._check_options(algorithms[self.algorithm])
        self._suggest = self._make_suggest(algorithms[self.algorithm])
        self._trials = self._hyperopt.Trials()
        self._docs: dict[int, dict[str, Any]] = {}
        self._scored: dict[int, fidelity.Evidence] = {}  # the trials recorded with a loss (complete or pruned)
        self._pruned = False  # told a pruned trial: rank at one fidelity from now on
        self._domain: Any = None
        self._fallback: Any = None
        self.in_flight = InFlight(space)
        if len(space):
            expr = {name: codec.node(hp) for name, codec in self._codecs.items()}
            self._domain = base.Domain(_never_called, expr)
        self.reason = self.reason or self.description

    def _make_suggest(self, module: Any) -> Callable[..., Any]:
        return functools.partial(module.suggest, **self.options) if self.options else module.suggest

    def _option_names(self, module: Any) -> set[str]:
        return _keywords(module.suggest)

    def _check_options(self, module: Any) -> None:
        extra = self._option_names(module)
        unknown = sorted(set(self.options) - extra)
        if unknown:
            known = ", ".join(sorted(extra)) or "none"
            raise OptionError(
                f"{type(self).__name__}() got unknown option(s) {', '.join(map(repr, unknown))} for "
                f"{module.__name__}.suggest; its options are: {known}"
            )

    # -- ask ------------------------------------------------------------------------------

    def ask(self, number: int) -> dict[str, Any] | None:
        """hyperopt's suggestion for trial ``number`` (asked again, then drawn at random, when it equals one in
        flight)."""
        if self._domain is None:
            return None  # nothing to tune: only the defaults run
        docs: list[dict[str, Any]] = []

        def suggest(attempt: int) -> dict[str, Any]:
            # A proposal equal to a configuration in flight is asked for again with another seed
            # (RESUGGEST times: each call costs a model fit), then drawn at random from the space.
            if attempt >= RESUGGEST:
                return self.space.sample(self._rng(number))
            (doc,) = self._suggest([number], self._domain, self._trials, self._seed(number, attempt))
            docs.append(doc)
            raw = {label: vals[0] for label, vals in doc["misc"]["vals"].items() if len(vals)}
            return self.space.build(lambda p: self._codecs[p.name].decode(raw[p.name]))

        config = self.in_flight.propose(number, suggest(-1), suggest)
        # the document of the first suggestion carries hyperopt's bookkeeping; its values become config's
        self._insert(number, config, state=self._base.JOB_STATE_RUNNING, result={"status": "running"}, doc=docs[0])
        return config

    def _seed(self, number: int, attempt: int = -1) -> int:
        import numpy as np

        key = [self.context.seed, number] if attempt < 0 else [self.context.seed, number, attempt]
        state = np.random.SeedSequence(key).generate_state(1)[0]
        return int(state) >> 1  # hyperopt adds trial ids to the seed: keep it in 31 bits

    def _rng(self, number: int) -> Any:
        import numpy as np

        if self._fallback is None:
            self._fallback = np.random.default_rng([self.context.seed, number])
        return self._fallback

    # -- tell -----------------------------------------------------------------------------

    def tell(self, trial: Trial) -> None:
        """Record ``trial`` in the ``Trials`` database as hyperopt's algorithms can read it.

        hyperopt has no pruned state: a pruned trial is ``STATUS_OK`` with the loss it had
        reached (``reached``: its best value so far at its last step, the one the rule
        judged; the mean of its folds for ``cross_val_score``) and ``pruned_at`` (that
        step).  Rated as a failure (``STATUS_FAIL``, which TPE and annealing score as an
        infinite loss), it would only ever be "bad", tied with every other.  Once a pruned
        trial is told, every trial's ``loss`` is its rank at one fidelity (``_rescore``),
        so a trial that was going well can be among the good ones while few trials have
        completed.  ``benchmarks/pruned_strategies.py`` measures the difference.
        """
        base = self._base
        if self._domain is None:
            return
        evidence = fidelity.Evidence.of(trial, self.context.direction)
        loss = evidence.reached
        if loss is not None and math.isfinite(loss):
            result = {"status": base.STATUS_OK, "loss": float(loss)}
            if trial.state is TrialState.PRUNED:
                result["pruned_at"], result["reached"] = trial.curve[-1][0], float(loss)
            state = base.JOB_STATE_DONE
        elif trial.state in (TrialState.COMPLETE, TrialState.FAILED, TrialState.PRUNED):
            state, result = base.JOB_STATE_DONE, {"status": base.STATUS_FAIL}
        else:  # interrupted, or still running: no evidence about the configuration
            state, result = base.JOB_STATE_CANCEL, {"status": base.STATUS_FAIL}
        self.in_flight.discard(trial.number)
        doc = self._docs.get(trial.number)
        if doc is None:
            self._insert(trial.number, trial.params, state=state, result=result)
        else:
            doc["state"], doc["result"] = state, result
        if "loss" in result:
            self._scored[trial.number] = evidence
            self._pruned = self._pruned or trial.state is TrialState.PRUNED
        if self.ONE_FIDELITY and self._pruned:
            self._rescore()
        self._trials.refresh()

    def _rescore(self) -> None:
        """Every scored trial's loss, as one order at one fidelity (BOHB's rule, as for ``gp``).

        The trials at the highest step that ``d + 2`` of them reached rank by their loss
        there (:func:`hpmagic.strategies.fidelity.training_set`); the trials stopped before
        it rank after them, those that got further first (:func:`~hpmagic.strategies.fidelity.rank_key`).
        TPE and annealing use only the order of the losses, so the losses below that step are
        placeholders that keep the order: above the worst at the step, evenly spaced.
        """
        trials = list(self._scored.values())
        data = fidelity.training_set(trials, self.context.direction, enough=len(self.space) + 2, below="ignore")
        scores = {row.number: row.loss for row in data.rows}
        worst, best = max(scores.values()), min(scores.values())
        gap = (worst - best) / len(scores) if worst > best else 1.0
        below = sorted((e for e in trials if e.number not in scores), key=lambda e: e.key)
        scores.update((e.number, worst + gap * (i + 1)) for i, e in enumerate(below))
        for number, loss in scores.items():
            result = self._docs[number]["result"]
            result["loss"] = float(loss)
            result["level"] = data.level

    # -- the Trials database --------------------------------------------------------------

    def _insert(
        self,
        number: int,
        config: dict[str, Any],
        *,
        state: int,
        result: dict[str, Any],
        doc: dict[str, Any] | None = None,
    ) -> None:
        """Record ``config`` as hyperopt trial ``number``, with only its active parameters."""
        if doc is None:
            (doc,) = self._trials.new_trial_docs(
                [number], [None], [result], [{"tid": number, "cmd": None, "workdir": None}]
            )
        idxs: dict[str, list[int]] = {}
        vals: dict[str, list[float | int]] = {}
        for name, codec in self._codecs.items():
            raw = codec.encode(config[name]) if name in config else None
            idxs[name] = [number] if raw is not None else []
            vals[name] = [raw] if raw is not None else []
        doc["misc"]["idxs"], doc["misc"]["vals"] = idxs, vals
        doc["state"], doc["result"] = state, result
        old = self._docs.pop(number, None)
        if old is not None:  # asked again under the same number: the new proposal replaces it
            self._trials._dynamic_trials.remove(old)
        self._docs[number] = doc
        self._trials._insert_trial_docs([doc])
        self._trials.refresh()


def _keywords(function: Callable[..., Any]) -> set[str]:
    import inspect

    params = inspect.signature(function).parameters.values()
    fixed = {"self", "new_ids", "domain", "trials", "seed"}
    kinds = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
    return {p.name for p in params if p.name not in fixed and p.kind in kinds}


def _never_called(_config: Any) -> None:  # pragma: no cover - the runner evaluates trials, not hyperopt
    raise RuntimeError("hpmagic runs trials itself; hyperopt's objective is never called")


class TPE(HyperoptStrategy):
    """hyperopt's Tree-structured Parzen Estimator (``hyperopt.tpe.suggest``).

    Keyword arguments go to ``suggest`` (``TPE(gamma=0.2)``); ``n_startup_jobs``, the random
    trials before the model, defaults to ``min(20, max(5, budget // 3))``.
    """

    name = "tpe"
    algorithm = "tpe"

    def setup(self, space: SearchSpace, context: StrategyContext) -> None:
        """Settle the random trials TPE starts with (a third of the budget, 5 to 20, unless given), then set up."""
        self.startup = self.options.get("n_startup_jobs", min(20, max(5, context.budget // 3)))
        self.description = f"hyperopt's TPE: {self.startup} random trials, then tree-structured Parzen estimators"
        super().setup(space, context)

    def _make_suggest(self, module: Any) -> Callable[..., Any]:
        options = {"n_startup_jobs": self.startup, "verbose": False, **self.options}
        return functools.partial(module.suggest, **options)


class Anneal(HyperoptStrategy):
    """hyperopt's simulated annealing around the best trials (``hyperopt.anneal.suggest``)."""

    name = "anneal"
    algorithm = "anneal"
    description = "hyperopt's annealing: samples near the best trials, in a neighbourhood that shrinks"

    def _option_names(self, module: Any) -> set[str]:
        return _keywords(module.AnnealingAlgo.__init__)  # suggest passes its keywords on to it


class HyperoptRandom(HyperoptStrategy):
    """hyperopt's random search (``hyperopt.rand.suggest``): independent draws from each prior."""

    name = "hyperopt-random"
    algorithm = "rand"
    description = "hyperopt's random search: independent draws from each distribution"
