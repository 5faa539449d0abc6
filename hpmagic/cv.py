"""``hpmagic.cross_val_score``: scikit-learn's, reporting each fold, so a CV search can be pruned.

Change one import (``from hpmagic import cross_val_score``) and a cell tuned with
``--prune`` stops a configuration once its folds show it is unlikely to end ahead of the best one:
each fold's score is reported with :func:`hpmagic.report`, and the ``folds`` rule (the
default for fold scores) compares the same folds of the best trial, pair by pair (see
:class:`hpmagic.pruning.FoldPruner`).

Outside a tuned run this *is* ``sklearn.model_selection.cross_val_score``: the call is
passed on unchanged.  Inside one the folds run one after the other (each is scored by
scikit-learn's own ``cross_val_score`` on that one split, so the scores are the same),
because a fold can only stop the trial once the folds before it are known: ``n_jobs`` is
then not used.  The splits are those of ``check_cv(cv, y)``: deterministic for the
default ``cv`` (KFold / StratifiedKFold without shuffling), so every trial sees the same
folds; a shuffling splitter needs a fixed ``random_state`` for the folds to pair up.
"""

from __future__ import annotations

from typing import Any

from .cell.report import FOLD, current, report_point

__all__ = ["cross_val_score"]


def cross_val_score(
    estimator: Any,
    X: Any,
    y: Any = None,
    *,
    groups: Any = None,
    scoring: Any = None,
    cv: Any = None,
    n_jobs: int | None = None,
    verbose: int = 0,
    params: dict[str, Any] | None = None,
    pre_dispatch: str | int = "2*n_jobs",
    error_score: Any = float("nan"),
) -> Any:
    """Evaluate a score by cross-validation, reporting each fold's score to the search.

    The signature and the fold scores are those of ``sklearn.model_selection.cross_val_score``.
    Outside a tuned run it is that function.  Inside one the folds run one after the other,
    each reported with :func:`hpmagic.report`, so ``--prune`` (the ``folds`` rule by default)
    can stop a configuration once its folds show it is unlikely to end ahead of the best
    one; ``n_jobs`` and
    ``pre_dispatch`` are then not used.

    Parameters
    ----------
    estimator, X, y, groups, scoring, cv, n_jobs, verbose, params, pre_dispatch, error_score
        As for scikit-learn's ``cross_val_score``.  The default ``cv`` does not shuffle, so
        every trial is scored on the same folds.

    Returns
    -------
    numpy.ndarray
        The score of each fold.  A trial the rule stops ends at the fold where it was stopped
        (the cell's later lines do not run).
    """
    from sklearn import model_selection

    options: dict[str, Any] = {"groups": groups, "scoring": scoring, "verbose": verbose, "error_score": error_score}
    if params is not None:
        options["params"] = params  # scikit-learn >= 1.4
    if current.get() is None:
        return model_selection.cross_val_score(estimator, X, y, cv=cv, n_jobs=n_jobs, pre_dispatch=pre_dispatch,
                                               **options)
    import numpy as np
    from sklearn.base import is_classifier

    splitter = model_selection.check_cv(cv, y, classifier=is_classifier(estimator))
    scores = []
    for fold, split in enumerate(splitter.split(X, y, groups), start=1):
        (score,) = model_selection.cross_val_score(estimator, X, y, cv=[split], **options)
        scores.append(score)
        report_point(score, fold, FOLD)
    return np.asarray(scores)
