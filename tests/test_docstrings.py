"""Every public name of hpmagic has a docstring: the API reference is generated from them.

Public means: each name of ``hpmagic.__all__`` and of the other modules the API reference
documents (:data:`DOCUMENTED`), and, for each public class, every method and property
whose name does not start with ``_`` and that the class itself defines (an inherited one
is checked where it is defined, if that class is public; an override of a documented method
of a base class keeps that contract and may go without).  Dunder methods, enum members
and dataclass fields are not functions and are not checked.

A docstring is read from the source, not from ``__doc__``: a dataclass without one gets a
made-up ``__doc__`` (its signature), and ``inspect.getdoc`` borrows a base class's.  The
checker is tested first on made-up modules, so the real check cannot pass for a wrong reason.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import sys
import textwrap
import types
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]

# The modules whose public names the API reference (docs/api/) shows.
DOCUMENTED = ["hpmagic", "hpmagic.errors", "hpmagic.strategies.hyperopt", "hpmagic.core", "hpmagic.cell.writeback"]


def has_own_docstring(obj: object) -> bool:
    """True when the class or function's own source has a docstring (see the module docstring)."""
    try:
        lines, _ = inspect.getsourcelines(obj)  # type: ignore[arg-type]
    except (OSError, TypeError):  # no source (a builtin, a C extension): trust __doc__
        return bool(getattr(obj, "__doc__", None))
    node = ast.parse(textwrap.dedent("".join(lines))).body[0]
    if not isinstance(node, (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
        return bool(getattr(obj, "__doc__", None))  # a lambda or other odd source: trust __doc__
    return bool(ast.get_docstring(node))


def _functions_of(cls: type) -> list[tuple[str, object]]:
    """The public methods and properties ``cls`` defines itself, as the functions to check."""
    found = []
    for name, value in vars(cls).items():
        if name.startswith("_"):
            continue
        if isinstance(value, (staticmethod, classmethod)):
            value = value.__func__
        elif isinstance(value, property):
            value = value.fget
        elif hasattr(value, "func") and type(value).__name__ == "cached_property":
            value = value.func
        if inspect.isfunction(value):
            found.append((name, value))
    return found


def _documented_in_a_base(cls: type, name: str) -> bool:
    """True when ``name`` overrides a base class's method that has a docstring (the contract it keeps).

    The reference shows that docstring for the override too (autodoc inherits docstrings).
    """
    return any(has_own_docstring(fn) for base in cls.__mro__[1:] for attr, fn in _functions_of(base) if attr == name)


def missing_docstrings(module: types.ModuleType) -> list[str]:
    """Every public class, function, method and property of ``module.__all__`` without a docstring."""
    missing = []
    for name in module.__all__:
        obj = getattr(module, name)
        if not (inspect.isclass(obj) or inspect.isfunction(obj)):
            continue  # constants and aliases document themselves in the module's docstring
        label = f"{module.__name__}.{name}"
        if not has_own_docstring(obj):
            missing.append(f"{label} ({_where(obj)})")
        if inspect.isclass(obj):
            missing += [
                f"{label}.{attr} ({_where(fn)})"
                for attr, fn in _functions_of(obj)
                if not has_own_docstring(fn) and not _documented_in_a_base(obj, attr)
            ]
    return missing


def _where(obj: object) -> str:
    try:
        path = Path(inspect.getsourcefile(obj) or "?")  # type: ignore[arg-type]
        line = inspect.getsourcelines(obj)[1]  # type: ignore[arg-type]
    except (OSError, TypeError):
        return "no source"
    return f"{path.relative_to(REPO) if path.is_relative_to(REPO) else path}:{line}"


# ---------------------------------------------------------------------------------------
# The checker, on made-up modules
# ---------------------------------------------------------------------------------------

@pytest.fixture
def made_up(tmp_path, monkeypatch):
    """Write ``source`` as a module in a temporary directory and import it."""
    monkeypatch.syspath_prepend(str(tmp_path))
    made = []

    def make(source: str) -> types.ModuleType:
        name = f"madeup_{len(made)}"
        (tmp_path / f"{name}.py").write_text(textwrap.dedent(source))
        made.append(name)
        return importlib.import_module(name)

    yield make
    for name in made:
        sys.modules.pop(name, None)


def test_the_checker_passes_a_documented_module(made_up):
    module = made_up('''
        from dataclasses import dataclass
        from enum import Enum
        from functools import cached_property
        __all__ = ["f", "C", "D", "E", "LIMIT"]
        LIMIT = 3
        def f():
            """Documented."""
        class C:
            """Documented."""
            def method(self):
                """Documented."""
            @property
            def prop(self):
                """Documented."""
            @cached_property
            def cached(self):
                """Documented."""
            @staticmethod
            def static():
                """Documented."""
            def _private(self):
                pass
            def __repr__(self):
                return "C()"
        @dataclass
        class D:
            """Documented."""
            x: int = 0
        class E(Enum):
            """Documented."""
            A = 1
    ''')
    assert missing_docstrings(module) == []


def test_the_checker_finds_every_kind_of_missing_docstring(made_up):
    module = made_up('''
        from dataclasses import dataclass
        from functools import cached_property
        __all__ = ["f", "C", "D", "Sub", "SubSub"]
        def f():
            return 1
        class C:
            """Documented."""
            def method(self):
                return 1
            @property
            def prop(self):
                return 1
            @cached_property
            def cached(self):
                return 1
            @classmethod
            def make(cls):
                return cls()
        @dataclass
        class D:
            x: int = 0
        class Sub(C):
            """Documented: inherits C's undocumented methods, which are reported under C only."""
            def method(self):
                return 2
            def done(self):
                """Documented."""
        class SubSub(Sub):
            """Documented."""
            def done(self):
                return 3
    ''')
    found = [entry.split(" (")[0] for entry in missing_docstrings(module)]
    prefix = module.__name__
    # SubSub.done overrides a documented method: it keeps that contract, and is not reported.
    assert found == [f"{prefix}.{name}" for name in ("f", "C.method", "C.prop", "C.cached", "C.make", "D", "Sub.method")]


def test_the_checker_names_the_file_and_line(made_up):
    module = made_up('''
        __all__ = ["g"]

        def g():
            pass
    ''')
    [entry] = missing_docstrings(module)
    assert entry.endswith(f"{module.__name__}.py:4)")


# ---------------------------------------------------------------------------------------
# The real check
# ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", DOCUMENTED)
def test_every_public_name_has_a_docstring(name):
    module = importlib.import_module(name)
    broken = []
    for attr in module.__all__:
        try:
            getattr(module, attr)
        except Exception as exc:  # report every name, not just the first that fails
            broken.append(f"{name}.{attr}: {type(exc).__name__}: {exc}")
    assert not broken, "public names that cannot be looked up:\n  " + "\n  ".join(broken)
    missing = missing_docstrings(module)
    assert not missing, f"public names of {name} without a docstring:\n  " + "\n  ".join(missing)
