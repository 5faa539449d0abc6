"""Integrations: callbacks for the frameworks people train with, and logging trials to MLflow.

- :class:`XGBoostCallback` (``hpmagic.integrations.xgboost``) and :class:`LightGBMCallback`
  (``hpmagic.integrations.lightgbm``) report a named validation metric after each boosting
  round through :func:`hpmagic.report`, so that ``%%tune --prune`` stops unpromising trials
  early (the framework ends the training its own way; see :mod:`.watch`);
- ``%%tune --log mlflow[:URI]`` / ``tune(log="mlflow:URI")`` logs every trial as an MLflow
  run nested under one run per search (:mod:`.mlflow`).

Each is an optional extra (``pip install 'hpmagic[xgboost]'``, ``[lightgbm]``, ``[mlflow]``).
Nothing here imports a framework until its name is used: ``import hpmagic`` and
``import hpmagic.integrations`` import no XGBoost, LightGBM or MLflow, and a missing library
is a :class:`~hpmagic.errors.MissingExtraError` with the command that installs it.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__all__ = ["XGBoostCallback", "LightGBMCallback"]

_PUBLIC = {"XGBoostCallback": "xgboost", "LightGBMCallback": "lightgbm"}

if TYPE_CHECKING:
    from .lightgbm import LightGBMCallback
    from .xgboost import XGBoostCallback


def __getattr__(name: str) -> Any:
    module = _PUBLIC.get(name)
    if module is None:
        raise AttributeError(f"module 'hpmagic.integrations' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_PUBLIC))
