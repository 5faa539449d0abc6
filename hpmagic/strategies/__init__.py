"""Search strategies behind one ask/tell interface (see :mod:`hpmagic.strategies.base`).

:mod:`.registry` turns a ``--strategy`` value into a strategy; :mod:`.catalog` lists the
built-in ones; :mod:`.auto` picks one.  The design notes: ``docs/design/strategies.md``.
"""

from __future__ import annotations

from .base import CheckedStrategy, Strategy, StrategyContext, check_seed
from .catalog import STRATEGIES
from .registry import make_strategy, names, resolve

__all__ = [
    "Strategy",
    "StrategyContext",
    "CheckedStrategy",
    "check_seed",
    "make_strategy",
    "names",
    "resolve",
    "STRATEGIES",
]
