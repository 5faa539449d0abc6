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
# trials imports hpmagic.parallel.remote, hpmagic.execution and hpmagic.result, not the
# parser, the search machinery, the strategies or the storage.
_PUBLIC = {
    "tune": "api",
    "OptionError": "api",
    "load_study": "studies",
    "list_studies": "studies",
    "TuneResult": "result",
    "Trial": "result",
    "TrialState": "result",
    "Strategy": "strategies.base",
    "StrategyContext": "strategies.base",
    "SearchSpace": "space",
    "AnnotationError": "annotations",
    "TrialsFailedError": "runner",
    "SearchError": "runner",
    "StorageError": "errors",
    "StudyMismatchError": "errors",
}

if TYPE_CHECKING:  # for type checkers and editors: the same names, imported eagerly
    from .annotations import AnnotationError
    from .api import OptionError, tune
    from .errors import StorageError, StudyMismatchError
    from .result import Trial, TrialState, TuneResult
    from .runner import SearchError, TrialsFailedError
    from .space import SearchSpace
    from .strategies.base import Strategy, StrategyContext
    from .studies import list_studies, load_study


def __getattr__(name: str) -> Any:
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
    "load_study",
    "list_studies",
    "TuneResult",
    "Trial",
    "TrialState",
    "Strategy",
    "StrategyContext",
    "SearchSpace",
    "AnnotationError",
    "OptionError",
    "TrialsFailedError",
    "SearchError",
    "StorageError",
    "StudyMismatchError",
    "load_ipython_extension",
    "unload_ipython_extension",
]

__version__ = "0.1.0"


def load_ipython_extension(ipython) -> None:
    """Called by ``%load_ext hpmagic``."""
    from .magic import TuneMagics

    ipython.register_magics(TuneMagics)


def unload_ipython_extension(ipython) -> None:
    """Called by ``%unload_ext hpmagic``: removes ``%%tune``."""
    cell_magics = ipython.magics_manager.magics["cell"]
    cell_magics.pop("tune", None)
    registry = ipython.magics_manager.registry
    registry.pop("TuneMagics", None)
