"""``hpmagic.cross_val_score``: scikit-learn's, reporting each fold, so a CV search can be pruned.

Change one import (``from hpmagic import cross_val_score``) and a cell tuned with
``--prune`` stops a configuration once its folds show it is unlikely to end ahead of the best one:
each fold's score is reported with :func:`hpmagic.report`, and the ``folds`` rule (the
default for fold scores) compares the same folds of the best trial, pair by pair (see
:class:`hpmagic.pruning.FoldPruner`).

Outside a tuned run this *is* ``sklearn.model_selection.cross_val_score``: the call is
passed on unchanged.  Inside one:

- The folds run one after the other (each is scored by scikit-learn's own
  ``cross_val_score`` on that one split, so the scores are the same), because a fold can
  only stop the trial once the folds before it are known: ``n_jobs`` is then not used.
- Several calls in one trial continue the steps: a second 5-fold call reports folds 6 to
  10, so the trial's folds are recorded and paired across trials like one longer
  cross-validation (every trial makes the same calls in the same order).  A trial that
  also calls ``report()`` itself is a :class:`~hpmagic.errors.ReportError`: its points
  must be folds or a learning curve, not both.
- A fit or a scorer that raises fails the trial with its own exception and traceback
  (scikit-learn's ``error_score="raise"``) when ``error_score`` is left at its default,
  rather than a NaN fold that would only say the trial diverged.  The default is told
  apart by identity (:data:`ERROR_SCORE_DEFAULT`), so an explicit ``error_score=np.nan``
  keeps scikit-learn's behaviour; a NaN fold then fails the trial with a message naming
  the fold (``error_score='raise'`` shows why).
- The splits are those of ``check_cv(cv, y)``: deterministic for the default ``cv``
  (KFold / StratifiedKFold without shuffling), so every trial sees the same folds.  A
  splitter that shuffles without a ``random_state`` (``KFold(5, shuffle=True)``,
  ``ShuffleSplit()``, ``RepeatedKFold()``) gives each trial other folds: with ``--prune``
  that is a ``ReportError`` before the first fold (the rule compares trials fold by fold);
  without it a ``UserWarning``, kept with the trial (the trials' scores then differ by
  their splits as well as by their parameters).
"""

from __future__ import annotations

import math
import warnings
from typing import Any

from .cell.report import FOLD, TrialReports, active
from .errors import ReportError

__all__ = ["cross_val_score", "ERROR_SCORE_DEFAULT"]

#: ``error_score``'s default: scikit-learn's NaN, and in a tuned run "raise" (see the module docstring).
ERROR_SCORE_DEFAULT = float("nan")


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
    error_score: Any = ERROR_SCORE_DEFAULT,
) -> Any:
    """Evaluate a score by cross-validation, reporting each fold's score to the search.

    The signature and the fold scores are those of ``sklearn.model_selection.cross_val_score``.
    Outside a tuned run it is that function.  Inside one the folds run one after the other,
    each reported with :func:`hpmagic.report`, so ``--prune`` (the ``folds`` rule by default)
    can stop a configuration once its folds show it is unlikely to end ahead of the best
    one; ``n_jobs`` and ``pre_dispatch`` are then not used.  A second call in the same
    trial continues the fold numbers (folds 6 to 10 after a 5-fold call).

    Parameters
    ----------
    estimator, X, y, groups, scoring, cv, n_jobs, verbose, params, pre_dispatch
        As for scikit-learn's ``cross_val_score``.  The default ``cv`` does not shuffle, so
        every trial is scored on the same folds; a shuffling splitter needs a fixed
        ``random_state``.
    error_score
        As for scikit-learn, except that, left at its default in a tuned run, a fit or a
        scorer that raises fails the trial with its own exception (``"raise"``).

    Returns
    -------
    numpy.ndarray
        The score of each fold.  A trial the rule stops ends at the fold where it was stopped
        (the cell's later lines do not run).

    Raises
    ------
    hpmagic.errors.ReportError
        In a tuned run: a fold scored NaN (or infinity), a splitter that shuffles without a
        ``random_state`` under ``--prune``, or a trial that also reports a curve of its own.
    """
    from sklearn import model_selection

    options: dict[str, Any] = {"groups": groups, "scoring": scoring, "verbose": verbose, "error_score": error_score}
    if params is not None:
        options["params"] = params  # scikit-learn >= 1.4
    session = active()
    if session is None:
        return model_selection.cross_val_score(
            estimator, X, y, cv=cv, n_jobs=n_jobs, pre_dispatch=pre_dispatch, **options
        )
    if error_score is ERROR_SCORE_DEFAULT:
        options["error_score"] = "raise"
    return _tuned(session, estimator, X, y, groups, cv, options)


def _tuned(session: TrialReports, estimator: Any, X: Any, y: Any, groups: Any, cv: Any, options: dict[str, Any]) -> Any:
    """The folds one by one, each reported to ``session`` after the trial's earlier folds."""
    import numpy as np
    from sklearn.base import is_classifier
    from sklearn.model_selection import check_cv

    session.check_kind(FOLD)
    splitter = check_cv(cv, y, classifier=is_classifier(estimator))
    _check_splitter(splitter, session)
    before = int(session.curve[-1][0]) if session.curve else 0  # the folds of this trial's earlier calls
    scores = []
    for fold, split in enumerate(splitter.split(X, y, groups), start=1):
        score = _score_fold(estimator, X, y, split, options, f"fold {fold}")
        if not math.isfinite(score):
            _not_finite(score, fold, before, options["error_score"] == "raise")
        scores.append(score)
        session.add(score, before + fold, FOLD)
    return np.asarray(scores)


def _score_fold(estimator: Any, X: Any, y: Any, split: Any, options: dict[str, Any], where: str) -> float:
    """One fold's score, by scikit-learn's ``cross_val_score`` on that one split.

    With a numeric ``error_score``, a fit that fails scores it, with scikit-learn's
    ``FitFailedWarning``, as in a call over every fold (on its own, one split whose fit
    failed is "All the 1 fits failed", a ``ValueError``).
    """
    from sklearn import model_selection

    try:
        (score,) = model_selection.cross_val_score(estimator, X, y, cv=[split], **options)
    except ValueError as exc:
        if isinstance(options["error_score"], str) or "fits failed" not in str(exc):
            raise
        from sklearn.exceptions import FitFailedWarning

        detail = str(exc).split("Below are more details about the failures:", 1)[-1].strip("\n-")
        warnings.warn(
            f"{where}: its fit failed, so it scores error_score={options['error_score']}:\n{detail}",
            FitFailedWarning,
            stacklevel=4,
        )
        return float(options["error_score"])
    return float(score)


def _shuffles(splitter: Any) -> bool:
    """Whether each ``split()`` call draws other folds: shuffling (or random) with ``random_state=None``.

    scikit-learn's random splitters have a ``random_state``; those that may also not
    shuffle (``KFold``, ``StratifiedKFold``, ``GroupKFold``, ``StratifiedGroupKFold``) say
    so in ``shuffle``; ``ShuffleSplit`` and the ``Repeated*`` splitters always draw.
    """
    if not hasattr(splitter, "random_state") or splitter.random_state is not None:
        return False
    return bool(getattr(splitter, "shuffle", True))


def _check_splitter(splitter: Any, session: TrialReports) -> None:
    if not _shuffles(splitter):
        return
    name = " ".join(repr(splitter).split())
    problem = f"hpmagic.cross_val_score: {name} gives each trial other folds (it shuffles without a random_state)"
    fix = f"pass random_state=0 (any fixed number) to {type(splitter).__name__}, so every trial is scored on the same folds"
    if session.channel is not None:
        raise ReportError(f"{problem}, so the folds rule of --prune cannot compare the trials fold by fold; {fix}")
    warnings.warn(
        f"{problem}, so the trials are scored on different splits and their scores differ by the split "
        f"as well as by the parameters; {fix}",
        UserWarning,
        stacklevel=4,
    )


def _not_finite(score: float, fold: int, before: int, raised: bool) -> None:
    where = f"fold {fold}" if not before else f"fold {fold} of this call (fold {before + fold} of the trial)"
    if raised:  # error_score="raise": nothing raised, the scorer itself gave it
        why = "the scorer returned it (the predictions may be NaN: a fit that diverged)"
    else:
        why = (
            "with error_score=nan scikit-learn scores a fold NaN when its fit or its scorer raised; pass "
            "error_score='raise' (or leave error_score out) to see the error"
        )
    raise ReportError(f"hpmagic.cross_val_score: {where} scored {score}, not a finite number: {why}")
