"""``tpe``, ``anneal`` and ``hyperopt-random``: hyperopt's algorithms behind hpmagic's ask/tell.

This is the only module of hpmagic that imports hyperopt, and it does so in ``setup``, so
``import hpmagic`` (and importing this module) stays light.  hyperopt's algorithms are
functions ``suggest(new_ids, domain, trials, seed)`` that read a ``Trials`` database of
untyped dict documents and return documents for new trials.  hpmagic's runner owns the
loop, so ``fmin`` is never called: the adapter keeps its own ``Trials`` and

- on ``ask(number)`` calls the algorithm's ``suggest([number], ...)``, turns the proposed
  raw values into a configuration of hpmagic's types, and inserts the document into
  ``Trials`` in state ``JOB_STATE_RUNNING`` (a *pending* trial; hyperopt counts pending
  trials as infinitely bad, which steers a second ask away from the first);
- on ``tell(trial)`` fills in that document's result (``status: ok`` with the loss, where
  lower is always better), or makes a new document for a trial it never asked (trial 0,
  the defaults; every stored trial of a resumed study), so the model learns from them too.

Translation of the search space (hyperopt's trial ids are hpmagic's trial numbers):

===================  ===================================================================
hpmagic              hyperopt label (raw value) and the way back
===================  ===================================================================
uniform              ``hp.uniform``; clipped into ``[low, high]``
uniform, step=q      ``hp.quniform`` over the step index ``k`` in ``[-0.5, n + 0.5]``;
                     value ``low + k*q`` (``quniform(low, high, q)`` itself would round to
                     multiples of ``q``, not to ``low + k*q``)
int, step=q          ``hp.quniform`` over the index, padded by half a step on both sides so
                     the end values are as likely as the others (``hp.uniformint`` gives
                     them half the weight); returned as ``int``
loguniform           ``hp.loguniform(log low, log high)``; clipped
logint               ``hp.qloguniform(log(low - 0.5), log(high + 0.5), 1)``; clipped,
                     quantised to the step, returned as ``int``
choice               ``hp.choice`` over the option indices; the exact literal comes back
                     (tuples, ``None`` and bools included; ``True`` is never ``1``)
normal, lognormal    ``hp.normal``, ``hp.lognormal``
===================  ===================================================================

Conditions.  hyperopt expresses conditionality by nesting parameters inside the branches
of an ``hp.choice``; that cannot express hpmagic's conditions, which compare earlier
parameters in arbitrary ways (``lr < 0.01 and depth in (3, 4)``).  So the hyperopt space is
flat: every parameter is sampled on every ask, the configuration is built in order by the
search space itself (``SearchSpace.build``, which evaluates each condition on the values
before it), and the document's ``misc.idxs``/``misc.vals`` then keep only the *active*
parameters.  That is exactly what hyperopt records for a parameter in an unchosen branch,
so TPE models each parameter from the trials in which it was active and anneal perturbs
only trials that used it.  TPE's density of a parameter is independent of the others in
hyperopt anyway, so sampling an inactive one and dropping it biases nothing.

Trial states.  Complete: ``status: ok`` with the loss.  Failed and pruned: ``status: fail``
(no loss; hyperopt treats them as infinitely bad, as ``fmin`` does for failed trials).
Interrupted (or a trial told while still running): the document is cancelled and drops
out of the model, since an interrupted trial says nothing about its configuration.

Seeds.  Each ask derives its seed from the search seed and the trial number, so the same
seed, the same trial numbers and the same results reproduce the same proposals.

``tpe`` starts with ``min(20, max(5, budget // 3))`` random trials (hyperopt's own default,
20, would spend two thirds of hpmagic's default budget of 30 on random search) and then
proposes points by tree-structured Parzen estimators; ``TPE(n_startup_jobs=20, gamma=...)``
passes keyword arguments through to ``hyperopt.tpe.suggest``.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from typing import Any

from ..result import Trial, TrialState
from ..space import Parameter
from .base import Strategy

__all__ = ["HyperoptStrategy", "TPE", "Anneal", "HyperoptRandom"]


def _import_hyperopt():
    try:
        import hyperopt
        from hyperopt import anneal, base, hp, rand, tpe
    except ImportError as exc:  # pragma: no cover - hyperopt is a dependency of hpmagic
        raise ImportError(
            f"the tpe, anneal and hyperopt-random strategies need hyperopt, which could not be imported ({exc}); "
            "install it with `pip install hyperopt`, or choose another strategy"
        ) from None
    return hyperopt, base, hp, {"tpe": tpe, "anneal": anneal, "rand": rand}


class _Codec:
    """One parameter's hyperopt node, and its raw values to and from hpmagic's values."""

    def __init__(self, param: Parameter):
        self.param = param
        self.dist = d = param.distribution
        self.kind = d.kind
        #: stepped uniforms and ints are sampled by the index k of ``low + k*step``
        self.indexed = (self.kind == "uniform" and d.step is not None) or self.kind == "int"
        if self.indexed:
            self.step = d.step or 1
            self.last = int(d.cardinality()) - 1  # index of the last value

    def node(self, hp):
        d, label = self.dist, self.param.name
        if self.indexed:
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
            return d.index(value) if d.contains(value) else None
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
    """Runs one of hyperopt's ``suggest`` functions; see the module docstring."""

    name = "hyperopt"
    #: the hyperopt module whose ``suggest`` proposes points: "tpe", "anneal" or "rand"
    algorithm = "rand"
    description = ""

    def __init__(self, **options: Any) -> None:
        super().__init__()
        #: keyword arguments for the ``suggest`` function (e.g. ``gamma`` for TPE)
        self.options = options

    def setup(self, space, context):
        super().setup(space, context)
        self._hyperopt, base, hp, algorithms = _import_hyperopt()
        self._base = base
        self._codecs = {p.name: _Codec(p) for p in space}
        self._check_options(algorithms[self.algorithm])
        self._suggest = self._make_suggest(algorithms[self.algorithm])
        self._trials = self._hyperopt.Trials()
        self._docs: dict[int, dict[str, Any]] = {}
        self._domain = None
        if len(space):
            expr = {name: codec.node(hp) for name, codec in self._codecs.items()}
            self._domain = base.Domain(_never_called, expr)
        self.reason = self.reason or self.description

    def _make_suggest(self, module) -> Callable:
        return functools.partial(module.suggest, **self.options) if self.options else module.suggest

    def _option_names(self, module) -> set[str]:
        return _keywords(module.suggest)

    def _check_options(self, module) -> None:
        extra = self._option_names(module)
        unknown = sorted(set(self.options) - extra)
        if unknown:
            known = ", ".join(sorted(extra)) or "none"
            raise TypeError(
                f"{type(self).__name__}() got unknown option(s) {', '.join(map(repr, unknown))} for "
                f"{module.__name__}.suggest; its options are: {known}"
            )

    # -- ask ------------------------------------------------------------------------------

    def ask(self, number):
        if self._domain is None:
            return None  # nothing to tune: only the defaults run
        (doc,) = self._suggest([number], self._domain, self._trials, self._seed(number))
        raw = {label: vals[0] for label, vals in doc["misc"]["vals"].items() if len(vals)}
        config = self.space.build(lambda p: self._codecs[p.name].decode(raw[p.name]))
        self._insert(number, config, state=self._base.JOB_STATE_RUNNING, result={"status": "running"}, doc=doc)
        return config

    def _seed(self, number: int) -> int:
        import numpy as np

        state = np.random.SeedSequence([self.context.seed % 2**32, number]).generate_state(1)[0]
        return int(state) >> 1  # hyperopt adds trial ids to the seed: keep it in 31 bits

    # -- tell -----------------------------------------------------------------------------

    def tell(self, trial: Trial) -> None:
        base = self._base
        if self._domain is None:
            return
        loss = self.context.loss(trial)
        if trial.state is TrialState.COMPLETE and loss is not None and math.isfinite(loss):
            state, result = base.JOB_STATE_DONE, {"status": base.STATUS_OK, "loss": float(loss)}
        elif trial.state in (TrialState.COMPLETE, TrialState.FAILED, TrialState.PRUNED):
            state, result = base.JOB_STATE_DONE, {"status": base.STATUS_FAIL}
        else:  # interrupted, or still running: no evidence about the configuration
            state, result = base.JOB_STATE_CANCEL, {"status": base.STATUS_FAIL}
        doc = self._docs.get(trial.number)
        if doc is None:
            self._insert(trial.number, trial.params, state=state, result=result)
        else:
            doc["state"], doc["result"] = state, result
            self._trials.refresh()

    # -- the Trials database --------------------------------------------------------------

    def _insert(self, number: int, config: dict[str, Any], *, state: int, result: dict, doc: dict | None = None) -> None:
        """Record ``config`` as hyperopt trial ``number``, with only its active parameters."""
        if doc is None:
            (doc,) = self._trials.new_trial_docs([number], [None], [result], [{"tid": number, "cmd": None, "workdir": None}])
        idxs, vals = {}, {}
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


def _keywords(function) -> set[str]:
    import inspect

    params = inspect.signature(function).parameters.values()
    fixed = {"self", "new_ids", "domain", "trials", "seed"}
    kinds = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
    return {p.name for p in params if p.name not in fixed and p.kind in kinds}


def _never_called(_config):  # pragma: no cover - the runner evaluates trials, not hyperopt
    raise RuntimeError("hpmagic runs trials itself; hyperopt's objective is never called")


class TPE(HyperoptStrategy):
    """hyperopt's Tree-structured Parzen Estimator (``hyperopt.tpe.suggest``)."""

    name = "tpe"
    algorithm = "tpe"

    def setup(self, space, context):
        self.startup = self.options.get("n_startup_jobs", min(20, max(5, context.budget // 3)))
        self.description = (
            f"hyperopt's TPE: {self.startup} random trials, then tree-structured Parzen estimators"
        )
        super().setup(space, context)

    def _make_suggest(self, module) -> Callable:
        options = {"n_startup_jobs": self.startup, "verbose": False, **self.options}
        return functools.partial(module.suggest, **options)


class Anneal(HyperoptStrategy):
    """hyperopt's simulated annealing around the best trials (``hyperopt.anneal.suggest``)."""

    name = "anneal"
    algorithm = "anneal"
    description = "hyperopt's annealing: samples near the best trials, in a neighbourhood that shrinks"

    def _option_names(self, module) -> set[str]:
        return _keywords(module.AnnealingAlgo.__init__)  # suggest passes its keywords on to it


class HyperoptRandom(HyperoptStrategy):
    """hyperopt's random search (``hyperopt.rand.suggest``): independent draws from each prior."""

    name = "hyperopt-random"
    algorithm = "rand"
    description = "hyperopt's random search: independent draws from each distribution"
