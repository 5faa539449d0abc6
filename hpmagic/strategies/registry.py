"""Strategy lookup: what ``--strategy`` names, and the strategy set up for a search."""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from typing import Any

from ..errors import OptionError
from ..protocols import Strategy as StrategyProtocol
from ..space import SearchSpace
from .auto import choose
from .base import CheckedStrategy, StrategyContext, is_builtin
from .catalog import STRATEGIES, load

__all__ = ["names", "resolve", "make_strategy", "STRATEGIES", "MANUAL", "load"]

StrategySpec = str | StrategyProtocol

#: ``--strategy manual``: configurations chosen by hand, one trial per click.  Not a strategy
#: of the catalog (nothing proposes): :func:`hpmagic.api.tune_cell` starts a manual session for it.
MANUAL = "manual"


def names() -> list[str]:
    """Every name ``--strategy`` accepts for a built-in search: ``auto``, the catalog, then ``manual``."""
    return ["auto", *STRATEGIES, MANUAL]


def resolve(spec: Any, namespace: Mapping[str, Any] | None = None) -> StrategySpec:
    """What ``spec`` (a ``--strategy`` value) stands for: a built-in name (lower-cased), or a strategy object.

    A name that is not built in is looked up in ``namespace``.  Raises
    :class:`~hpmagic.errors.OptionError` for an unknown name (with the closest built-in
    one) and for a value, or a namespace variable, that is not a strategy.
    """
    if not isinstance(spec, str):
        _require_strategy(spec, "the strategy")
        return spec
    key = spec.strip().lower()
    if key in names():
        return key
    if namespace is not None and spec in namespace:
        value = namespace[spec]
        _require_strategy(value, f"--strategy {spec}: the variable {spec!r}")
        return value
    close = difflib.get_close_matches(key, names(), n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    raise OptionError(
        f"unknown strategy {spec!r}{hint}; use one of {', '.join(names())}, "
        "or the name of a Strategy object in the namespace"
    )


def make_strategy(spec: Any, space: SearchSpace, context: StrategyContext) -> StrategyProtocol:
    """The strategy ``spec`` names (see :func:`resolve`), set up for ``space`` and ``context``.

    A strategy that is not built in comes back wrapped in a
    :class:`~hpmagic.strategies.base.CheckedStrategy`, so a proposal that does not fit the
    space is a clear error; built-in ones come back as they are.
    """
    found = resolve(spec)
    if found == MANUAL:
        raise OptionError(
            "--strategy manual is not a strategy that proposes configurations: a person chooses them, "
            "so hpmagic.tune(strategy='manual') starts a manual session (controls and a Run button) instead"
        )
    if isinstance(found, str):
        strategy: StrategyProtocol = choose(space, context) if found == "auto" else load(found)()
    else:
        strategy = found
    setup = getattr(strategy, "setup", None)
    if callable(setup):
        setup(space, context)
    return strategy if is_builtin(strategy) else CheckedStrategy(strategy, space)


def _require_strategy(value: Any, what: str) -> None:
    """Raise OptionError unless ``value`` has callable ``ask`` and ``tell`` (a strategy object)."""
    needs = "a strategy is an object with ask(number) and tell(trial) methods, e.g. an instance of a hpmagic.Strategy subclass"
    if isinstance(value, type):
        raise OptionError(
            f"{what} is the class {value.__name__}, not a strategy object; create one, "
            f"e.g. mine = {value.__name__}(), and pass its name"
        )
    if not (callable(getattr(value, "ask", None)) and callable(getattr(value, "tell", None))):
        raise OptionError(f"{what} is of type {type(value).__name__}, not a strategy: {needs}")
