"""hpmagic: tune hyperparameters from inside a Jupyter notebook.

``%load_ext hpmagic`` registers the ``%%tune`` cell magic; :func:`tune` runs the same
search from plain Python.  Importing this package is cheap: IPython, matplotlib,
ipywidgets and hyperopt are imported only when used.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

# Where each public name lives.  They are imported on first use (PEP 562), so importing a
# part of hpmagic loads only what that part needs: a Dask or ipyparallel worker running
# trials imports hpmagic.parallel.remote and the trial body (hpmagic.cell.trial and the
# few leaves it needs), not the parser, the search machinery, the strategies or the storage.
_PUBLIC = {
    "tune": "api",
    "report": "cell.report",
    "cross_val_score": "cv",
    "load_study": "studies",
    "compare": "display.compare",
    "list_studies": "studies",
    "TuneResult": "result",
    "Trial": "core",
    "TrialState": "core",
    "Direction": "core",
    "Strategy": "strategies.base",
    "StrategyContext": "strategies.base",
    "SearchSpace": "space",
    "HpmagicError": "errors",
    "AnnotationError": "errors",
    "OptionError": "errors",
    "TrialsFailedError": "errors",
    "SearchError": "errors",
    "StorageError": "errors",
    "StudyMismatchError": "errors",
    "ExecutionEnvironmentError": "errors",
}

if TYPE_CHECKING:  # for type checkers and editors: the same names, imported eagerly
    from .api import tune
    from .cell.report import report
    from .core import Direction, Trial, TrialState
    from .cv import cross_val_score
    from .display.compare import compare
    from .errors import (
        AnnotationError,
        ExecutionEnvironmentError,
        HpmagicError,
        OptionError,
        SearchError,
        StorageError,
        StudyMismatchError,
        TrialsFailedError,
    )
    from .result import TuneResult
    from .space import SearchSpace
    from .strategies.base import Strategy, StrategyContext
    from .studies import list_studies, load_study


def __getattr__(name: str) -> Any:
    if name == "__version__":
        return _version()
    module = _PUBLIC.get(name)
    if module is None:
        raise AttributeError(f"module 'hpmagic' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_PUBLIC))


__all__ = [
    "tune",
    "report",
    "cross_val_score",
    "load_study",
    "compare",
    "list_studies",
    "TuneResult",
    "Trial",
    "TrialState",
    "Direction",
    "Strategy",
    "StrategyContext",
    "SearchSpace",
    "HpmagicError",
    "AnnotationError",
    "OptionError",
    "TrialsFailedError",
    "SearchError",
    "StorageError",
    "StudyMismatchError",
    "ExecutionEnvironmentError",
    "load_ipython_extension",
    "unload_ipython_extension",
]


def _version() -> str:
    """The installed distribution's version: ``pyproject.toml`` is its one source."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("hpmagic")
    except PackageNotFoundError:  # imported from a source tree that was never installed
        return "0+unknown"


def load_ipython_extension(ipython: Any) -> None:
    """Register the ``%%tune`` cell magic; IPython calls it for ``%load_ext hpmagic``.

    Parameters
    ----------
    ipython
        The running IPython shell.
    """
    from .display.trialshow import register
    from .magic import TuneMagics

    ipython.register_magics(TuneMagics)
    register(ipython)  # result.trials[i] shows as its card


def unload_ipython_extension(ipython: Any) -> None:
    """Remove the ``%%tune`` cell magic; IPython calls it for ``%unload_ext hpmagic``.

    Parameters
    ----------
    ipython
        The running IPython shell.
    """
    cell_magics = ipython.magics_manager.magics["cell"]
    cell_magics.pop("tune", None)
    registry = ipython.magics_manager.registry
    registry.pop("TuneMagics", None)
