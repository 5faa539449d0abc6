"""hpmagic: tune hyperparameters from inside a Jupyter notebook.

``%load_ext hpmagic`` registers the ``%%tune`` cell magic; :func:`tune` runs the same
search from plain Python.  Importing this package is cheap: IPython, matplotlib,
ipywidgets and hyperopt are imported only when used.
"""

from __future__ import annotations

from .annotations import AnnotationError
from .api import OptionError, tune
from .result import Trial, TrialState, TuneResult
from .runner import SearchError, TrialsFailedError
from .space import SearchSpace
from .storage import StorageError, StudyMismatchError
from .strategies.base import Strategy, StrategyContext
from .studies import list_studies, load_study

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
