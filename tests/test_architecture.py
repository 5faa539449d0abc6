"""The rules of hpmagic's structure, checked on the source with :mod:`ast`.

- no import cycle among hpmagic's modules, lazy imports inside functions included;
- no module imports a name starting with ``_`` from another hpmagic module;
- no module over 500 lines, no function over 60 lines;
- every public name has a docstring: ``tests/test_docstrings.py`` (``__all__`` and public methods);
- ``hpmagic/cell/program.py``, all a worker needs, imports nothing of hpmagic.

The import graph is built by reading the files, never by importing them, so a module that
fails to import still shows its edges.  The first tests below check the graph builder
itself on small made-up packages: a cycle test over a builder that misses edges would
pass for the wrong reason.
"""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
import textwrap
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PACKAGE = REPO / "hpmagic"
ROOT = "hpmagic"

MAX_MODULE_LINES = 500
MAX_FUNCTION_LINES = 60

# A string naming an entry point as "hpmagic.a.b:Name" (the strategy registry loads its
# strategies from such strings with importlib): a real, if dynamic, import.
_ENTRY_POINT = re.compile(r"^(hpmagic(?:\.\w+)+):\w+$")


# ---------------------------------------------------------------------------------------
# Reading the package
# ---------------------------------------------------------------------------------------


def discover(package_dir: Path) -> dict[str, Path]:
    """Every module of the package by dotted name (a package is named by its ``__init__``)."""
    modules: dict[str, Path] = {}
    for path in sorted(package_dir.rglob("*.py")):
        parts = list(path.relative_to(package_dir.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        modules[".".join(parts)] = path
    return modules


def is_package(modules: dict[str, Path], name: str) -> bool:
    return name in modules and modules[name].name == "__init__.py"


def ancestors(name: str) -> list[str]:
    """``a.b.c`` -> ``["a", "a.b"]``: the packages whose ``__init__`` runs before ``a.b.c``."""
    parts = name.split(".")
    return [".".join(parts[:i]) for i in range(1, len(parts))]


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


@dataclass(frozen=True)
class FoundImport:
    node: ast.Import | ast.ImportFrom
    lazy: bool  # inside a function: runs when the function is called
    type_checking: bool  # under `if TYPE_CHECKING:`: never runs


class _ImportFinder(ast.NodeVisitor):
    """Collects every import statement at any depth, and the dynamic imports it can read:
    ``importlib.import_module("literal")`` and ``"hpmagic.a.b:Name"`` entry-point strings."""

    def __init__(self) -> None:
        self.imports: list[FoundImport] = []
        self.dynamic: list[tuple[str, int, bool]] = []  # (absolute or relative module, line, lazy)
        self._depth = 0
        self._type_checking = 0

    def visit_If(self, node: ast.If) -> None:
        if _is_type_checking(node.test):
            self._type_checking += 1
            for child in node.body:
                self.visit(child)
            self._type_checking -= 1
            for child in node.orelse:  # the `else:` of TYPE_CHECKING is what runs
                self.visit(child)
            return
        self.generic_visit(node)

    def _visit_function(self, node: ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda) -> None:
        self._depth += 1
        self.generic_visit(node)
        self._depth -= 1

    visit_FunctionDef = visit_AsyncFunctionDef = visit_Lambda = _visit_function

    def _visit_import(self, node: ast.Import | ast.ImportFrom) -> None:
        self.imports.append(FoundImport(node, self._depth > 0, self._type_checking > 0))

    visit_Import = visit_ImportFrom = _visit_import

    def visit_Call(self, node: ast.Call) -> None:
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
        if name == "import_module" and node.args and isinstance(node.args[0], ast.Constant):
            if isinstance(node.args[0].value, str) and not self._type_checking:
                self.dynamic.append((node.args[0].value, node.lineno, self._depth > 0))
        self.generic_visit(node)

    def visit_Constant(self, node: ast.Constant) -> None:
        if isinstance(node.value, str) and not self._type_checking:
            match = _ENTRY_POINT.match(node.value)
            if match:
                # Registry data: the import runs when the entry is loaded, later.
                self.dynamic.append((match.group(1), node.lineno, True))


def find_imports(path: Path) -> _ImportFinder:
    finder = _ImportFinder()
    finder.visit(ast.parse(path.read_text(encoding="utf-8"), filename=str(path)))
    return finder


def from_base(modules: dict[str, Path], importer: str, level: int, module: str | None) -> str | None:
    """The module a ``from`` import reads from: ``from ..x import y`` in ``p.q.r`` is ``p.x``."""
    if level == 0:
        return module
    # The package the importer lives in (a package's __init__ lives in the package itself).
    package = importer if is_package(modules, importer) else importer.rpartition(".")[0]
    parts = package.split(".")
    if level - 1 >= len(parts):
        return None  # beyond the top-level package: an ImportError at run time
    base = ".".join(parts[: len(parts) - (level - 1)])
    return f"{base}.{module}" if module else base


def _existing(modules: dict[str, Path], name: str) -> str | None:
    """``name`` or its longest prefix that is a module of the package."""
    while name:
        if name in modules:
            return name
        name = name.rpartition(".")[0]
    return None


def lazy_table(modules: dict[str, Path], root: str) -> dict[str, str]:
    """The root package's PEP 562 table: public name -> the module ``__getattr__`` imports.

    Read from any module-level dict literal of ``root/__init__.py`` whose values all name
    modules of the package (``"api"``, ``".api"`` or ``"hpmagic.api"``).
    """
    tree = ast.parse(modules[root].read_text(encoding="utf-8"))
    table: dict[str, str] = {}
    for node in tree.body:
        value = node.value if isinstance(node, (ast.Assign, ast.AnnAssign)) else None
        if not isinstance(value, ast.Dict) or not value.keys:
            continue
        entries: dict[str, str] = {}
        for key, target in zip(value.keys, value.values):
            if not (isinstance(key, ast.Constant) and isinstance(target, ast.Constant)):
                break
            if not isinstance(target.value, str):
                break
            text = target.value.lstrip(".")
            text = text if text.startswith(f"{root}.") else f"{root}.{text}"
            if text not in modules:
                break
            entries[str(key.value)] = text
        else:
            table.update(entries)
    return table


@dataclass(frozen=True)
class Edge:
    source: str
    target: str
    file: str  # the importer's file, relative to the directory holding the package
    line: int
    how: str  # why the edge exists, for the failure message
    lazy: bool  # runs only when a function is called (or a registry entry is loaded)

    def where(self) -> str:
        return f"{self.file}:{self.line}"


def build_graph(package_dir: Path) -> tuple[dict[str, Path], list[Edge]]:
    """Every module of the package and every import edge between two of them.

    What counts as "module A imports module B" (B is run, or must already have run):

    - ``import p.b``, ``from p.b import x``, ``from . import b`` (``b`` a module), at any
      depth: imports inside functions run when the function is called, and a cycle closed
      by a lazy import is still a cycle (it only moves the failure to the first call);
    - imports under ``if TYPE_CHECKING:`` do NOT count: they never run;
    - ``from .m import name`` is an edge to ``m``; ``from . import name`` where ``name`` is
      not a module is an edge to the package itself (its ``__init__``);
    - importing ``p.a.b`` also runs ``p/a/__init__.py``: an edge to every package on the
      way, except the packages that contain the importer: those were initialised before
      the importer's first line ran, so they are not a dependency of it (this rule is
      why no edge goes to the root package implicitly: ``hpmagic/__init__.py`` runs before
      any hpmagic module, and an edge from every module to it would make every lazy
      import of the root a cycle through the whole package);
    - an explicit import of the root package (``from hpmagic import tune``, ``from . import
      __version__`` in a top-level module) IS an edge to it: the importer needs the facade,
      and whatever the root imports (in ``load_ipython_extension``, say) follows.  A name
      the root serves lazily (PEP 562) also adds an edge to the module that
      ``__getattr__`` imports for it; a plain ``import hpmagic`` may reach any of them;
    - dynamic imports written as literals count too: ``importlib.import_module("...")``
      and the ``"hpmagic.a.b:Name"`` strings of a registry.
    """
    modules = discover(package_dir)
    root = package_dir.name
    table = lazy_table(modules, root) if root in modules else {}
    edges: list[Edge] = []

    for importer, path in modules.items():
        finder = find_imports(path)

        file = path.relative_to(package_dir.parent).as_posix()

        def add(target: str | None, line: int, how: str, lazy: bool, _importer: str = importer, _file: str = file) -> None:
            target = _existing(modules, target) if target else None
            if target is None or target == _importer:
                return
            edges.append(Edge(_importer, target, _file, line, how, lazy))
            inside = {_importer, *ancestors(_importer)}
            for package in ancestors(target):
                if package not in inside:
                    edges.append(Edge(_importer, package, _file, line, f"{how}: package __init__ of {target}", lazy))

        for found in finder.imports:
            if found.type_checking:
                continue
            node, kind = found.node, "lazy import" if found.lazy else "import"
            if isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.name == root or alias.name.startswith(f"{root}."):
                        add(alias.name, node.lineno, kind, found.lazy)
                        if alias.name == root:
                            for module in sorted(set(table.values())):
                                add(module, node.lineno, f"{kind} of the root, which may load it lazily", True)
                continue
            base = from_base(modules, importer, node.level, node.module)
            if base is None or not (base == root or base.startswith(f"{root}.")):
                continue
            for alias in node.names:
                if f"{base}.{alias.name}" in modules:
                    add(f"{base}.{alias.name}", node.lineno, kind, found.lazy)
                else:
                    add(base, node.lineno, kind, found.lazy)
                    if base == root and alias.name in table:
                        how = f"{kind} of {root}.{alias.name} (PEP 562 table)"
                        add(table[alias.name], node.lineno, how, found.lazy)
        for name, line, lazy in finder.dynamic:
            if name.startswith("."):
                level = len(name) - len(name.lstrip("."))
                name = from_base(modules, importer, level, name.lstrip(".") or None) or ""
            if name == root or name.startswith(f"{root}."):
                add(name, line, "dynamic import", lazy)
    return modules, edges


# ---------------------------------------------------------------------------------------
# Cycles
# ---------------------------------------------------------------------------------------


def strongly_connected(nodes: list[str], succ: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's algorithm: the groups of modules that can all reach each other."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(succ.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                group.append(w)
                if w == v:
                    break
            groups.append(sorted(group))

    for v in sorted(nodes):
        if v not in index:
            visit(v)
    return groups


def shortest_cycle(start: str, succ: dict[str, set[str]], within: set[str]) -> list[str]:
    """The shortest path ``start -> ... -> start`` inside one strongly connected group."""
    parent: dict[str, str] = {}
    queue = deque([start])
    seen = {start}
    while queue:
        v = queue.popleft()
        for w in sorted(succ.get(v, ())):
            if w not in within:
                continue
            if w == start:
                path = [v]
                while path[-1] != start:
                    path.append(parent[path[-1]])
                return [start, *reversed(path[:-1]), start] if v != start else [start, start]
            if w not in seen:
                seen.add(w)
                parent[w] = v
                queue.append(w)
    return []


def _successors(edges: list[Edge]) -> dict[str, set[str]]:
    succ: dict[str, set[str]] = {}
    for e in edges:
        succ.setdefault(e.source, set()).add(e.target)
    return succ


def cycle_groups(modules: dict[str, Path], edges: list[Edge]) -> list[list[str]]:
    """The groups of two or more modules that all reach each other through imports."""
    return [g for g in strongly_connected(list(modules), _successors(edges)) if len(g) > 1]


def find_cycles(modules: dict[str, Path], edges: list[Edge]) -> list[list[str]]:
    """One shortest cycle through each module that is on a cycle, without repeats."""
    succ = _successors(edges)
    cycles: list[list[str]] = []
    seen: set[tuple[str, ...]] = set()
    for group in cycle_groups(modules, edges):
        for start in group:
            cycle = shortest_cycle(start, succ, set(group))
            # The same cycle read from another of its modules is the same cycle.
            ring = cycle[:-1]
            key = min(tuple(ring[i:] + ring[:i]) for i in range(len(ring)))
            if key not in seen:
                seen.add(key)
                cycles.append(cycle)
    return cycles


def describe_cycles(modules: dict[str, Path], edges: list[Edge], per_group: int = 10) -> str:
    """Each group of modules on cycles, its shortest cycles, and where each import is."""
    by_pair: dict[tuple[str, str], list[str]] = {}
    for e in edges:
        where = f"{e.where()} ({e.how})"
        if where not in by_pair.setdefault((e.source, e.target), []):
            by_pair[(e.source, e.target)].append(where)
    groups = cycle_groups(modules, edges)
    cycles = find_cycles(modules, edges)
    lines = [
        f"{len(cycles)} import cycle(s) in {len(groups)} group(s) of hpmagic's modules "
        "(lazy imports count; TYPE_CHECKING ones do not):"
    ]
    for number, group in enumerate(groups, 1):
        members = set(group)
        mine = sorted((c for c in cycles if c[0] in members), key=len)  # the shortest are the clearest
        lines.append(f"group {number}: {len(group)} modules that all import each other: {', '.join(group)}")
        for cycle in mine[:per_group]:
            lines.append("  " + " -> ".join(cycle))
            for a, b in zip(cycle, cycle[1:]):
                lines.append(f"      {a} -> {b}: {'; '.join(by_pair[(a, b)][:3])}")
        if len(mine) > per_group:
            lines.append(f"  ... and {len(mine) - per_group} more cycle(s) through this group")
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------
# The graph builder, checked on made-up packages
# ---------------------------------------------------------------------------------------


def make_package(tmp_path: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
    return tmp_path / "hpmagic"


def edge_set(package_dir: Path) -> set[tuple[str, str]]:
    return {(e.source, e.target) for e in build_graph(package_dir)[1]}


def test_builder_resolves_relative_imports(tmp_path):
    pkg = make_package(
        tmp_path,
        {
            "hpmagic/__init__.py": "",
            "hpmagic/a.py": "from . import b\nfrom .c import thing\n",
            "hpmagic/b.py": "",
            "hpmagic/c.py": "thing = 1\n",
            "hpmagic/sub/__init__.py": "from . import inner\nVALUE = 1\n",
            "hpmagic/sub/inner.py": "from .. import a\nfrom ..c import thing\nfrom . import VALUE\n",
            "hpmagic/sub/deep/__init__.py": "",
            "hpmagic/sub/deep/x.py": "from ...b import y\nfrom .. import inner\n",
        },
    )
    edges = edge_set(pkg)
    assert ("hpmagic.a", "hpmagic.b") in edges  # from . import <module>
    assert ("hpmagic.a", "hpmagic.c") in edges  # from .m import <name> is an edge to m
    assert ("hpmagic.sub", "hpmagic.sub.inner") in edges  # a package's __init__ lives in the package
    assert ("hpmagic.sub.inner", "hpmagic.a") in edges
    assert ("hpmagic.sub.inner", "hpmagic.c") in edges
    assert ("hpmagic.sub.inner", "hpmagic.sub") in edges  # from . import <name>: the package itself
    assert ("hpmagic.sub.deep.x", "hpmagic.b") in edges
    assert ("hpmagic.sub.deep.x", "hpmagic.sub.inner") in edges


def test_builder_counts_lazy_imports_and_skips_type_checking(tmp_path):
    pkg = make_package(
        tmp_path,
        {
            "hpmagic/__init__.py": "",
            "hpmagic/a.py": """\
                from typing import TYPE_CHECKING
                import typing
                if TYPE_CHECKING:
                    from .b import B
                else:
                    from .e import E
                if typing.TYPE_CHECKING:
                    import hpmagic.f
                def f():
                    from .c import C
                    class K:
                        def m(self):
                            import hpmagic.d
                """,
            "hpmagic/b.py": "",
            "hpmagic/c.py": "",
            "hpmagic/d.py": "",
            "hpmagic/e.py": "",
            "hpmagic/f.py": "",
        },
    )
    edges = edge_set(pkg)
    assert ("hpmagic.a", "hpmagic.c") in edges
    assert ("hpmagic.a", "hpmagic.d") in edges
    assert ("hpmagic.a", "hpmagic.e") in edges
    assert ("hpmagic.a", "hpmagic.b") not in edges
    assert ("hpmagic.a", "hpmagic.f") not in edges


def test_builder_adds_parent_packages_but_not_the_importers_own(tmp_path):
    pkg = make_package(
        tmp_path,
        {
            "hpmagic/__init__.py": "",
            "hpmagic/low.py": "from .sub.mod import x\n",
            "hpmagic/other.py": "import hpmagic.sub.mod\n",
            "hpmagic/sub/__init__.py": "from .mod import x\n",
            "hpmagic/sub/mod.py": "from .sibling import y\nx = 1\n",
            "hpmagic/sub/sibling.py": "y = 1\n",
        },
    )
    edges = edge_set(pkg)
    assert ("hpmagic.low", "hpmagic.sub") in edges  # importing sub.mod runs sub/__init__.py
    assert ("hpmagic.other", "hpmagic.sub") in edges
    assert ("hpmagic.sub.mod", "hpmagic.sub") not in edges  # sub/__init__ ran before mod
    assert not any(target == "hpmagic" for _, target in edges)  # no implicit edge to the root
    assert find_cycles(*build_graph(pkg)) == []


def test_builder_finds_a_cycle_through_a_package_init_and_prints_it(tmp_path):
    pkg = make_package(
        tmp_path,
        {
            "hpmagic/__init__.py": "",
            "hpmagic/api.py": "from .strategies.base import S\n",
            "hpmagic/strategies/__init__.py": "from .grid import G\n",
            "hpmagic/strategies/base.py": "S = 1\n",
            "hpmagic/strategies/grid.py": "def f():\n    from ..api import run\n",
        },
    )
    modules, edges = build_graph(pkg)
    cycles = find_cycles(modules, edges)
    assert cycles == [["hpmagic.api", "hpmagic.strategies", "hpmagic.strategies.grid", "hpmagic.api"]]
    text = describe_cycles(modules, edges)
    assert "hpmagic.api -> hpmagic.strategies -> hpmagic.strategies.grid -> hpmagic.api" in text
    assert "hpmagic/strategies/grid.py:2 (lazy import)" in text


def test_builder_treats_explicit_imports_of_the_root_as_edges(tmp_path):
    pkg = make_package(
        tmp_path,
        {
            "hpmagic/__init__.py": """\
                _PUBLIC = {"tune": "api", "Store": "storage.sqlite"}
                __version__ = "1"
                def load_ipython_extension(ip):
                    from .magic import M
                """,
            "hpmagic/magic.py": "from .api import tune\n",
            "hpmagic/api.py": "from .storage.sqlite import Store\n",
            "hpmagic/storage/__init__.py": "",
            "hpmagic/storage/sqlite.py": "def version():\n    from .. import __version__\n",
            "hpmagic/low.py": "from hpmagic import Store\n",
            "hpmagic/dyn.py": "import importlib\nimportlib.import_module('hpmagic.magic')\nR = 'hpmagic.api:tune'\n",
        },
    )
    modules, edges = build_graph(pkg)
    pairs = {(e.source, e.target) for e in edges}
    assert ("hpmagic.storage.sqlite", "hpmagic") in pairs
    assert ("hpmagic", "hpmagic.magic") in pairs
    assert ("hpmagic.low", "hpmagic") in pairs
    assert ("hpmagic.low", "hpmagic.storage.sqlite") in pairs  # through the PEP 562 table
    assert ("hpmagic.low", "hpmagic.storage") in pairs
    assert ("hpmagic.dyn", "hpmagic.magic") in pairs
    assert ("hpmagic.dyn", "hpmagic.api") in pairs
    cycles = find_cycles(modules, edges)
    assert ["hpmagic", "hpmagic.magic", "hpmagic.api", "hpmagic.storage.sqlite", "hpmagic"] in cycles


# ---------------------------------------------------------------------------------------
# The rules, on hpmagic itself
# ---------------------------------------------------------------------------------------


def test_the_graph_of_hpmagic_is_not_empty():
    """Guards the cycle test below against a builder that silently sees nothing."""
    modules, edges = build_graph(PACKAGE)
    assert len(modules) > 20, f"found only {len(modules)} modules under {PACKAGE}"
    assert len(edges) > 40, f"found only {len(edges)} import edges under {PACKAGE}"


def test_no_import_cycles():
    modules, edges = build_graph(PACKAGE)
    cycles = find_cycles(modules, edges)
    assert not cycles, describe_cycles(modules, edges)


def _private_imports(package_dir: Path) -> Iterator[str]:
    # The rule is about names crossing module boundaries, so imports under TYPE_CHECKING
    # count here (a type checker still reaches into the other module's privates).
    #
    # A *module* whose file name starts with "_" (hpmagic/_format.py, strategies/_gp/)
    # may be imported from: `from ._format import fmt_value` and `import hpmagic._format`
    # are fine, the "_" marks the module as internal to the package, not to itself.
    # A *name* starting with "_" may not be: `from .x import _helper`, and also
    # `from . import _gp` (it binds a private name of the package).  Dunder names such as
    # `__version__` are public by convention.
    modules = discover(package_dir)
    root = package_dir.name
    for importer, path in modules.items():
        for found in find_imports(path).imports:
            node = found.node
            if not isinstance(node, ast.ImportFrom):
                continue
            base = from_base(modules, importer, node.level, node.module)
            if base is None or not (base == root or base.startswith(f"{root}.")):
                continue
            for alias in node.names:
                name = alias.name
                if name.startswith("_") and not (name.startswith("__") and name.endswith("__")):
                    yield f"{importer}: imports {name} from {base} ({path.relative_to(package_dir.parent).as_posix()}:{node.lineno})"


def test_builder_finds_private_imports(tmp_path):
    pkg = make_package(
        tmp_path,
        {
            "hpmagic/__init__.py": "__version__ = '1'\n",
            "hpmagic/_format.py": "def fmt(): ...\n_x = 1\n",
            "hpmagic/a.py": "from ._format import fmt\nfrom . import __version__\nimport hpmagic._format\n",
            "hpmagic/b.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from ._format import _x\n",
            "hpmagic/s/__init__.py": "",
            "hpmagic/s/_gp/__init__.py": "",
            "hpmagic/s/_gp/model.py": "GP = 1\n",
            "hpmagic/s/gp.py": "from ._gp.model import GP\ndef f():\n    from . import _gp\n",
        },
    )
    found = [line.split(" (")[0] for line in _private_imports(pkg)]
    assert found == ["hpmagic.b: imports _x from hpmagic._format", "hpmagic.s.gp: imports _gp from hpmagic.s"]


def test_no_private_names_cross_modules():
    offences = list(_private_imports(PACKAGE))
    assert not offences, (
        f"{len(offences)} import(s) of a name starting with '_' from another hpmagic module "
        "(make the name public, or move the code that needs it):\n  " + "\n  ".join(offences)
    )


def test_no_module_over_500_lines():
    long = []
    for name, path in discover(PACKAGE).items():
        count = len(path.read_text(encoding="utf-8").splitlines())
        if count > MAX_MODULE_LINES:
            long.append(f"{path.relative_to(REPO)}: {count} lines ({name})")
    assert not long, f"{len(long)} module(s) over {MAX_MODULE_LINES} lines:\n  " + "\n  ".join(long)


def _functions(tree: ast.AST, prefix: str = "") -> Iterator[tuple[str, ast.FunctionDef | ast.AsyncFunctionDef]]:
    """Every def and async def with its qualified name, methods and nested functions included."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            yield f"{prefix}{node.name}", node
            yield from _functions(node, f"{prefix}{node.name}.<locals>.")
        elif isinstance(node, ast.ClassDef):
            yield from _functions(node, f"{prefix}{node.name}.")
        else:
            yield from _functions(node, prefix)


def test_builder_measures_functions_without_decorators():
    tree = ast.parse("@dec\n@dec2\ndef f():\n    def g():\n        pass\n    return 1\nclass C:\n    async def m(self):\n        pass\n")
    sizes = {name: node.end_lineno - node.lineno + 1 for name, node in _functions(tree)}
    assert sizes == {"f": 4, "f.<locals>.g": 2, "C.m": 2}


def test_no_function_over_60_lines():
    long = []
    for path in discover(PACKAGE).values():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for name, node in _functions(tree):
            # lineno is the `def` line (decorators excluded), end_lineno its last line.
            size = node.end_lineno - node.lineno + 1  # type: ignore[operator]
            if size > MAX_FUNCTION_LINES:
                long.append(f"{path.relative_to(REPO)}:{node.lineno}: {name} is {size} lines")
    assert not long, f"{len(long)} function(s) over {MAX_FUNCTION_LINES} lines:\n  " + "\n  ".join(long)


# ---------------------------------------------------------------------------------------
# The cell program: a leaf a worker can import alone
# ---------------------------------------------------------------------------------------

PROGRAM = PACKAGE / "cell" / "program.py"


def test_cell_program_imports_nothing_of_hpmagic():
    assert PROGRAM.exists(), f"hpmagic/cell/program.py does not exist yet (looked for {PROGRAM})"
    # What a worker loads is what runs: TYPE_CHECKING imports are left out, lazy ones count.
    modules, edges = build_graph(PACKAGE)
    found = [f"{e.where()}: {e.how} of {e.target}" for e in edges if e.source == "hpmagic.cell.program"]
    assert not found, "hpmagic/cell/program.py must import nothing of hpmagic, but:\n  " + "\n  ".join(found)


def test_importing_the_cell_program_loads_only_its_packages():
    """``hpmagic/__init__.py`` and ``hpmagic/cell/__init__.py`` run first: they must not
    pull the rest of hpmagic in behind the leaf."""
    assert PROGRAM.exists(), f"hpmagic/cell/program.py does not exist yet (looked for {PROGRAM})"
    code = "import sys, hpmagic.cell.program\nprint(sorted(m for m in sys.modules if m.split('.')[0] == 'hpmagic'))"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=REPO, timeout=60)
    assert out.returncode == 0, f"`import hpmagic.cell.program` failed:\n{out.stderr}"
    loaded = set(ast.literal_eval(out.stdout.strip()))
    extra = sorted(loaded - {"hpmagic", "hpmagic.cell", "hpmagic.cell.program"})
    assert not extra, f"`import hpmagic.cell.program` also loads {', '.join(extra)}"


@pytest.mark.parametrize("name", ["hpmagic", "hpmagic.cell"])
def test_packages_on_the_way_to_the_cell_program_import_nothing_eagerly(name):
    assert PROGRAM.exists(), f"hpmagic/cell/program.py does not exist yet (looked for {PROGRAM})"
    modules, edges = build_graph(PACKAGE)
    eager = [
        f"{e.where()}: {e.how} of {e.target}"
        for e in edges
        if e.source == name and not e.lazy
    ]
    assert not eager, f"{name} runs before hpmagic.cell.program but imports at its top level:\n  " + "\n  ".join(eager)
