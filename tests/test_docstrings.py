"""What ruff's docstring rules (``D1`` in ``pyproject.toml``) cannot see of the API reference.

Ruff checks that every public module, class, method and function of ``hpmagic/`` has a
docstring, where it is defined; a name is public there when it does not start with ``_``
and, in a module with ``__all__``, is listed in it.  The API reference (``docs/api/``) shows
the names of :data:`DOCUMENTED` modules' ``__all__``, many of them re-exported (``hpmagic``
loads its names lazily).  So two things are checked here: every such name can be looked up,
and each class or function is public in the module that defines it, where ruff checks it.
"""

from __future__ import annotations

import importlib
import inspect

import pytest

# The modules whose public names the API reference (docs/api/) shows.
DOCUMENTED = ["hpmagic", "hpmagic.errors", "hpmagic.strategies.hyperopt", "hpmagic.core", "hpmagic.cell.writeback"]


def not_checked_by_ruff(obj: object) -> str | None:
    """Why ruff's D1 rules would not check ``obj``'s docstring where it is defined, or ``None``."""
    home = importlib.import_module(obj.__module__)
    name = obj.__qualname__
    if any(part.startswith("_") for part in obj.__module__.split(".")):
        return f"it is defined in the private module {obj.__module__}"
    if name.startswith("_") or "." in name:
        return f"its name there is {name!r}, not a public top-level name"
    if hasattr(home, "__all__") and name not in home.__all__:
        return f"{obj.__module__}.__all__ does not list it"
    return None


@pytest.mark.parametrize("name", DOCUMENTED)
def test_every_documented_name_is_looked_up_and_public_where_it_is_defined(name):
    module = importlib.import_module(name)
    problems = []
    for attr in module.__all__:
        try:
            obj = getattr(module, attr)
        except Exception as exc:  # report every name, not just the first that fails
            problems.append(f"{name}.{attr} cannot be looked up: {type(exc).__name__}: {exc}")
            continue
        if inspect.isclass(obj) or inspect.isfunction(obj):
            why = not_checked_by_ruff(obj)
            if why is not None:
                problems.append(f"{name}.{attr}: ruff does not check its docstring: {why}")
    assert not problems, "\n  ".join(["the API reference's names:", *problems])


def test_the_check_sees_a_name_ruff_would_skip():
    from hpmagic.strategies import _gp

    hidden = type("Hidden", (), {"__module__": _gp.__name__, "__qualname__": "Hidden"})
    assert not_checked_by_ruff(hidden) == "it is defined in the private module hpmagic.strategies._gp"
    unlisted = type("Unlisted", (), {"__module__": "hpmagic.core", "__qualname__": "Unlisted"})
    assert not_checked_by_ruff(unlisted) == "hpmagic.core.__all__ does not list it"
    assert not_checked_by_ruff(importlib.import_module("hpmagic.core").Trial) is None
