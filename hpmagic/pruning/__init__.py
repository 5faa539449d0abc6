"""Early stopping: the rules that decide, from a trial's reported points, whether it goes on.

Pure logic, with no knowledge of the cell, the runner or where trials run: the search
calls a :class:`Pruner` from one place (see :mod:`hpmagic.pruning.base` for the order of
the calls), so concurrent reports are decided one at a time.

- :class:`MedianPruner` (``median``): behind the median of earlier trials at the same step.
- :class:`ASHAPruner` (``asha``): asynchronous successive halving.
- :class:`HyperbandPruner` (``hyperband``, the default for learning curves): ASHA brackets
  sharing the trials.
- :class:`FoldPruner` (``folds``): a paired, fold-by-fold comparison with the best trial,
  for ``hpmagic.cross_val_score``.
- :func:`parse_prune_spec` and :func:`make_pruner`: ``--prune asha:eta=3`` to a rule.
- :func:`check_point`: the checks on one ``report(value, step)``.
"""

from __future__ import annotations

from .asha import ASHAPruner
from .base import Curve, Decision, Pruner, check_point
from .folds import FoldPruner
from .hyperband import HyperbandPruner
from .median import MedianPruner
from .settings import Setting
from .spec import DEFAULT, DEFAULT_FOR_FOLDS, PRUNERS, make_pruner, names, parse_prune_spec

__all__ = [
    "Pruner",
    "Decision",
    "Curve",
    "Setting",
    "check_point",
    "MedianPruner",
    "ASHAPruner",
    "HyperbandPruner",
    "FoldPruner",
    "PRUNERS",
    "DEFAULT",
    "DEFAULT_FOR_FOLDS",
    "names",
    "parse_prune_spec",
    "make_pruner",
]
