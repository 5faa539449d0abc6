"""``LightGBMCallback(metric)``: report a LightGBM validation metric each boosting round.

Importing this module imports LightGBM (a :class:`~hpmagic.errors.MissingExtraError` with the
install command when it is missing); ``hpmagic.integrations.LightGBMCallback`` imports it on
first use.  What the callback checks and when it reports: :mod:`hpmagic.integrations.watch`.
"""

from __future__ import annotations

from typing import Any

from .watch import Watch, require

_lgb = require("lightgbm", "lightgbm", "hpmagic.integrations.LightGBMCallback")

__all__ = ["LightGBMCallback"]


class LightGBMCallback:
    """Report LightGBM's validation metric ``metric`` after each boosting round.

    ``metric`` is the evaluation data set's name, a dash, and the metric's name, as LightGBM
    prints them (``"valid_0's binary_logloss"``): ``'valid_0-binary_logloss'`` with
    ``LGBMClassifier.fit(eval_set=...)`` (or the ``eval_names`` given), ``'valid-auc'`` with
    ``lightgbm.train(valid_sets=[dvalid], valid_names=['valid'])``; with ``lightgbm.cv``,
    ``'cv_agg-valid binary_logloss'`` (the mean of the folds).  Step 1 is the first round.
    With ``%%tune --prune`` a trial the rule stops ends LightGBM's way (the
    ``EarlyStopException`` its own early stopping raises: ``train`` returns the booster) and
    is recorded as pruned.

    Which way the metric is better is LightGBM's own (``is_higher_better`` of each evaluation
    result, also for a custom ``feval``); ``maximize=`` overrides it.  With ``--prune``, a
    metric that goes against the search's direction is an error (``negate=True`` reports its
    negative instead).  Outside ``%%tune`` the callback checks the name and reports nothing.

    Example::

        model = lightgbm.LGBMClassifier(n_estimators=200, verbose=-1)
        model.fit(X_train, y_train, eval_set=[(X_valid, y_valid)],
                  callbacks=[LightGBMCallback("valid_0-binary_logloss")])
    """

    def __init__(self, metric: str, *, maximize: bool | None = None, negate: bool = False):
        self.watch = Watch(f"LightGBMCallback({metric!r})", "LightGBM", metric, maximize, negate)

    @property
    def metric(self) -> str:
        """The watched metric's name, as the callback was given it."""
        return self.watch.metric

    def __call__(self, env: Any) -> None:
        """Report this round's value; end the training when the pruning rule stopped the trial."""
        results: dict[str, tuple[float, bool | None]] = {}
        for item in env.evaluation_result_list or ():
            data, name, value, higher = item[0], item[1], item[2], item[3]  # (lightgbm.cv adds the spread)
            results[f"{data}-{name}"] = (float(value), bool(higher))
        fix = (
            "give it evaluation data: fit(..., eval_set=[(X_valid, y_valid)]), or "
            "lightgbm.train(..., valid_sets=[dvalid])"
        )
        if self.watch.round(results, env.iteration + 1, fix):
            raise _lgb.callback.EarlyStopException(env.iteration, env.evaluation_result_list)

    def __repr__(self) -> str:
        return self.watch.owner
