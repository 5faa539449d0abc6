"""``XGBoostCallback(metric)``: report an XGBoost validation metric each boosting round.

Importing this module imports XGBoost (a :class:`~hpmagic.errors.MissingExtraError` with the
install command when it is missing); ``hpmagic.integrations.XGBoostCallback`` imports it on
first use.  What the callback checks and when it reports: :mod:`hpmagic.integrations.watch`.
"""

from __future__ import annotations

from typing import Any

from .watch import Watch, require

_xgb = require("xgboost", "xgboost", "hpmagic.integrations.XGBoostCallback")
TrainingCallback: Any = _xgb.callback.TrainingCallback

__all__ = ["XGBoostCallback", "higher_is_better"]

#: XGBoost's metrics where higher is better, by the prefix of their name (as XGBoost's own
#: ``EarlyStopping`` reads them: ``auc``, ``aucpr``, ``pre@n``, ``map@n``, ``ndcg@n``), and
#: ``interval-regression-accuracy``, an accuracy.
HIGHER = ("auc", "aucpr", "pre", "map", "ndcg", "interval-regression-accuracy")
#: XGBoost's built-in metrics where lower is better (losses, errors, negative log-likelihoods).
LOWER = (
    "rmse",
    "rmsle",
    "mae",
    "mape",
    "mphe",
    "logloss",
    "error",
    "merror",
    "mlogloss",
    "poisson-nloglik",
    "gamma-nloglik",
    "cox-nloglik",
    "gamma-deviance",
    "tweedie-nloglik",
    "aft-nloglik",
    "quantile",
    "expectile",
)


def higher_is_better(metric: str) -> bool | None:
    """Whether higher is better for XGBoost metric ``metric`` (``"auc"``, ``"ndcg@5"``,
    ``"logloss"``); ``None`` for a name that is not one of XGBoost's (a custom metric)."""
    base = metric.split("@")[0].rstrip("-")
    if base in LOWER or metric in LOWER:
        return False
    if base in HIGHER or metric in HIGHER:
        return True
    return None


class XGBoostCallback(TrainingCallback):  # XGBoost's base class, imported above
    """Report XGBoost's validation metric ``metric`` after each boosting round.

    ``metric`` is named as in ``evals_result()``: the evaluation data set's name, a dash, the
    metric's name (``'validation_0-logloss'`` with ``XGBClassifier.fit(eval_set=...)``;
    ``'valid-auc'`` with ``xgboost.train(evals=[(dvalid, 'valid')])``; with ``xgboost.cv``, the
    mean of the folds' ``'test-logloss'``).  Step 1 is the first round.  With ``%%tune --prune``
    a trial the rule stops ends XGBoost's way (as its early stopping: ``after_iteration`` returns
    True, every callback's ``after_training`` runs) and is recorded as pruned.

    Which way the metric is better follows XGBoost's rule (``auc``, ``aucpr``, ``map``, ``ndcg``
    and ``pre``: higher; its losses and errors: lower); ``maximize=`` says it for a custom
    metric (``--prune`` refuses one without it).  With ``--prune``, a metric that goes against
    the search's direction is an error (``negate=True`` reports its negative instead).
    Outside ``%%tune`` the callback checks the name and reports nothing.

    Example::

        model = xgboost.XGBClassifier(n_estimators=200, eval_metric="logloss",
                                      callbacks=[XGBoostCallback("validation_0-logloss")])
        model.fit(X_train, y_train, eval_set=[(X_valid, y_valid)], verbose=False)
    """

    def __init__(self, metric: str, *, maximize: bool | None = None, negate: bool = False):
        super().__init__()
        self.watch = Watch(f"XGBoostCallback({metric!r})", "XGBoost", metric, maximize, negate)

    @property
    def metric(self) -> str:
        """The watched metric's name, as the callback was given it."""
        return self.watch.metric

    def after_iteration(self, model: Any, epoch: int, evals_log: dict[str, dict[str, list[Any]]]) -> bool:
        """Report this round's value; True (stop training) when the pruning rule stopped the trial."""
        results: dict[str, tuple[float, bool | None]] = {}
        for data, metrics in evals_log.items():
            for name, values in metrics.items():
                last = values[-1]
                value = last[0] if isinstance(last, tuple) else last  # xgboost.cv: (mean, std)
                results[f"{data}-{name}"] = (float(value), higher_is_better(name))
        fix = (
            "give it evaluation data: fit(..., eval_set=[(X_valid, y_valid)]), or "
            "xgboost.train(..., evals=[(dvalid, 'valid')])"
        )
        return self.watch.round(results, epoch + 1, fix)

    def __repr__(self) -> str:
        return self.watch.owner
