"""Search strategies behind one ask/tell interface (see :mod:`hpmagic.strategies.base`)."""

from __future__ import annotations

from typing import Any

from .base import Strategy, StrategyContext

__all__ = ["Strategy", "StrategyContext", "STRATEGIES", "make_strategy"]

#: Built-in strategies by name; each entry is "module:class", imported when first used.
STRATEGIES: dict[str, str] = {
    "random": "hpmagic.strategies.random:RandomSearch",
    "grid": "hpmagic.strategies.grid:GridSearch",
    "sobol": "hpmagic.strategies.sobol:SobolSearch",
    "tpe": "hpmagic.strategies.hyperopt:TPE",
    "anneal": "hpmagic.strategies.hyperopt:Anneal",
    "hyperopt-random": "hpmagic.strategies.hyperopt:HyperoptRandom",
    "gp": "hpmagic.strategies.gp:GPStrategy",
    "evolution": "hpmagic.strategies.evolution:Evolution",
    "manual": "hpmagic.strategies.manual:ManualStrategy",
}


def _load(path: str) -> type[Strategy]:
    import importlib

    module, _, cls = path.partition(":")
    return getattr(importlib.import_module(module), cls)


def names() -> list[str]:
    return ["auto", *STRATEGIES]


def make_strategy(spec: Any, space, context: StrategyContext) -> Strategy:
    """Turn a name or a ``Strategy`` object into a strategy that is set up for ``space``."""
    if isinstance(spec, str):
        key = spec.strip().lower()
        if key == "auto":
            from .auto import choose

            strategy = choose(space, context)
        elif key in STRATEGIES:
            strategy = _load(STRATEGIES[key])()
        else:
            import difflib

            close = difflib.get_close_matches(key, names(), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise ValueError(
                f"unknown strategy {spec!r}{hint}; use one of {', '.join(names())}, "
                "or the name of a Strategy object in the namespace"
            )
    elif callable(getattr(spec, "ask", None)) and callable(getattr(spec, "tell", None)):
        strategy = spec
    else:
        raise TypeError(
            f"a strategy must be a name or an object with ask() and tell() methods, but got {type(spec).__name__}"
        )
    setup = getattr(strategy, "setup", None)
    if callable(setup):
        setup(space, context)
    return strategy
