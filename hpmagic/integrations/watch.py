"""What the framework callbacks share: the watched metric, which way it is better, and its report.

A callback (:class:`~hpmagic.integrations.xgboost.XGBoostCallback`,
:class:`~hpmagic.integrations.lightgbm.LightGBMCallback`) turns the framework's evaluation
results after each round into a mapping ``name -> (value, higher is better)`` and hands it to
:meth:`Watch.round`, which:

1. finds the watched metric by its exact name, or raises a
   :class:`~hpmagic.errors.ReportError` listing the names there are (also outside a tuned run,
   so a typo shows when the cell runs on its own);
2. outside ``%%tune``/``tune()`` does nothing more (as :func:`hpmagic.report`), so the cell
   still trains on its own;
3. with ``--prune``, checks the metric's way (the framework's rule, or the callback's
   ``maximize=``) against the search's direction: reports read the wrong way would stop the
   best trials, so a mismatch is a ``ReportError`` that says the ways out (``negate=True``
   reports the metric's negative); without ``--prune`` the curve is only recorded, and the
   summary says if it goes against the objective (:mod:`hpmagic.pruning.agreement`);
4. reports the value at step ``round`` (1 for the first boosting round) and answers whether
   the pruning rule stopped the trial: the callback then ends the training the framework's
   way (XGBoost: ``after_iteration`` returns True; LightGBM: ``EarlyStopException``), and the
   trial is recorded as pruned whatever the rest of the cell does (a later report ends it at once).
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from types import ModuleType

from .._format import fmt_value
from ..cell.report import TrialPruned, active, report_point
from ..errors import MissingExtraError, ReportError

__all__ = ["Watch", "require"]


def require(module: str, extra: str, what: str) -> ModuleType:
    """Import ``module``, or a :class:`MissingExtraError` saying how to install it."""
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as exc:
        if exc.name is not None and exc.name != module and not module.startswith(exc.name + "."):
            problem = f"which cannot be imported here ({type(exc).__name__}: {exc})"  # one of its own dependencies
        else:
            problem = "which is not installed here"
    except (ImportError, OSError) as exc:  # installed but broken (LightGBM without libgomp: an OSError)
        problem = f"which cannot be imported here ({type(exc).__name__}: {exc})"
    raise MissingExtraError(
        f"{what} needs {module}, {problem}; install it with pip install 'hpmagic[{extra}]' (or pip install {module})"
    )


def _way(maximize: bool) -> str:
    return "higher is better" if maximize else "lower is better"


class Watch:
    """One callback's watched metric (see the module docstring).

    ``owner`` names the callback in messages (``"XGBoostCallback('validation_0-logloss')"``),
    ``framework`` the library whose rule gave the direction, ``maximize`` overrides that rule
    (``None``: the rule's), ``negate`` reports the metric's negative.
    """

    def __init__(self, owner: str, framework: str, metric: str, maximize: bool | None, negate: bool):
        if not isinstance(metric, str) or not metric:
            raise ReportError(
                f"{owner}: the metric is named as in the evaluation results, e.g. 'validation_0-logloss', "
                f"but got {metric!r}"
            )
        if maximize is not None and not isinstance(maximize, bool):
            raise ReportError(f"{owner}: maximize= is True, False or None (the framework's rule), but got {maximize!r}")
        if not isinstance(negate, bool):
            raise ReportError(f"{owner}: negate= is True or False, but got {negate!r}")
        self.owner, self.framework, self.metric = owner, framework, metric
        self.maximize, self.negate = maximize, negate

    def round(self, results: Mapping[str, tuple[float, bool | None]], step: int, fix: str) -> bool:
        """Report the metric of this round at ``step``; True when the pruning rule stopped the trial.

        ``results`` maps each evaluation result's name to its value and whether higher is
        better by the framework's rule (``None``: the rule does not say); ``fix`` tells how to
        give the training evaluation data, for the message when it has none.
        """
        if self.metric not in results:
            raise ReportError(self._missing(results, fix))
        value, higher = results[self.metric]
        session = active()
        if session is None:
            return False  # outside a tuned run: the cell trains on its own
        if session.channel is not None and session.direction is not None:
            self._check_way(higher, session.direction, results)
        try:
            report_point(-value if self.negate else value, step)
        except TrialPruned:
            return True
        except ReportError as exc:
            raise ReportError(f"{self.owner} at round {step}: {exc}{self._again_hint(session.curve, step)}") from None
        return False

    def _missing(self, results: Mapping[str, tuple[float, bool | None]], fix: str) -> str:
        if not results:
            return f"{self.owner}: the training has no evaluation results to watch; {fix}"
        names = ", ".join(repr(name) for name in results)
        return (
            f"{self.owner}: there is no evaluation result named {self.metric!r}; this training's are {names} "
            "(the data set's name, a dash, the metric's name)"
        )

    def _check_way(self, higher: bool | None, direction: str, results: Mapping[str, tuple[float, bool | None]]) -> None:
        """With ``--prune``: the reported values must go the search's way (see the module docstring)."""
        metric_max = self.maximize if self.maximize is not None else higher
        if metric_max is None:
            raise ReportError(
                f"{self.owner}: {self.framework} does not say which way {self.metric!r} is better (a custom metric?), "
                "and --prune needs to know; pass maximize=True (higher is better) or maximize=False"
            )
        reported_max = metric_max != self.negate
        search_max = direction == "maximize"
        if reported_max == search_max:
            return
        rule = "as given by maximize=" if self.maximize is not None else f"by {self.framework}'s rule"
        said = f"{self.metric!r} is {_way(metric_max)} ({rule})"
        if self.negate:
            said += ", so with negate=True its reports are " + _way(reported_max)
        others = [name for name, (_, up) in results.items() if up is not None and (up != self.negate) == search_max]
        watch = f"watch a metric that goes that way ({', '.join(map(repr, others))}), " if others else ""
        negate = "drop negate=True" if self.negate else "pass negate=True to report its negative"
        raise ReportError(
            f"{self.owner}: {said}, but this search {direction}s its objective, so --prune would stop the "
            f"trials whose {self.metric!r} is best and keep the worst. Make the cell's objective this metric "
            f"(its last value, with --{'maximize' if metric_max else 'minimize'}), {watch}or {negate}"
        )

    def _again_hint(self, curve: list[tuple[float, float]], step: int) -> str:
        if curve and curve[-1][0] >= step:
            return (
                f" (the trial's curve is already at step {fmt_value(curve[-1][0])}: a trial's curve is one "
                "training; train one model per trial with this callback, or give the others no callback)"
            )
        return ""
