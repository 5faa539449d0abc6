"""The built-in strategies by name, each imported only when first used.

``auto`` is not listed: it is not a strategy class but a choice among these
(:mod:`hpmagic.strategies.auto`).  Neither is ``manual``: it proposes nothing, a person does,
so it is a session of its own (:mod:`hpmagic.manual`) that ``--strategy manual`` starts.  Both ``auto`` and the registry read this table, and it
imports no strategy module at import time, so ``import hpmagic`` stays light.
"""

from __future__ import annotations

import importlib

from .base import Strategy

__all__ = ["STRATEGIES", "load"]

#: Built-in strategies by name; each entry is "module:class".
STRATEGIES: dict[str, str] = {
    "random": "hpmagic.strategies.random:RandomSearch",
    "grid": "hpmagic.strategies.grid:GridSearch",
    "sobol": "hpmagic.strategies.sobol:SobolSearch",
    "tpe": "hpmagic.strategies.hyperopt:TPE",
    "anneal": "hpmagic.strategies.hyperopt:Anneal",
    "hyperopt-random": "hpmagic.strategies.hyperopt:HyperoptRandom",
    "gp": "hpmagic.strategies.gp:GPStrategy",
    "evolution": "hpmagic.strategies.evolution:Evolution",
    "de": "hpmagic.strategies.de:DifferentialEvolution",
}


def load(name: str) -> type[Strategy]:
    """The class of the built-in strategy ``name`` (a key of :data:`STRATEGIES`)."""
    module, _, cls = STRATEGIES[name].partition(":")
    strategy: type[Strategy] = getattr(importlib.import_module(module), cls)
    return strategy
