"""The rules of hpmagic's structure (docs/architecture.md, "Rules the tests hold").

The import rules are import-linter contracts in ``pyproject.toml`` (``[tool.importlinter]``):
the layers, the leaves, ``cell/program.py`` importing nothing of hpmagic, ``display`` never
importing ``result``, ``runner`` or ``api``, and no cycle between sibling modules. ``.ci/run``
runs ``lint-imports``; the first test below runs it too, so ``pytest`` alone holds them, and
the next ones show that each contract breaks on an import that breaks its rule.

What no configured tool checks stays here, as small tests on the source:

- no module imports a name starting with ``_`` from another hpmagic module;
- no module over 500 lines, no function over 60 lines;
- ``import hpmagic.cell.program`` loads only that module and the packages on its way, and
  ``import hpmagic`` loads nothing heavy (``tests/test_magic.py``).
"""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PACKAGE = REPO / "hpmagic"
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"

MAX_MODULE_LINES = 500
MAX_FUNCTION_LINES = 60


# ---------------------------------------------------------------------------------------
# The import contracts of pyproject.toml, run by import-linter
# ---------------------------------------------------------------------------------------


def lint_imports(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """``lint-imports`` from this environment, run in ``cwd`` with ``cwd`` first on the path.

    ``args`` may name a configuration file (import-linter's positional argument, which
    replaced its deprecated ``--config``); without one, it reads ``cwd/pyproject.toml``."""
    assert LINT_IMPORTS.exists(), f"no {LINT_IMPORTS}: install the test extra (pip install -e '.[test]')"
    env = {**os.environ, "PYTHONPATH": str(cwd), "COLUMNS": "400", "NO_COLOR": "1"}
    command = [str(LINT_IMPORTS), "--no-cache", *args]
    return subprocess.run(command, capture_output=True, text=True, cwd=cwd, env=env, timeout=120)


def test_the_import_contracts_hold():
    contracts = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["importlinter"][
        "contracts"
    ]
    assert {c["id"] for c in contracts} == set(BREAKS), "each contract needs its breaking import in BREAKS below"
    out = lint_imports(REPO)
    assert out.returncode == 0, f"lint-imports found broken contracts:\n{out.stdout}{out.stderr}"
    assert f"{len(contracts)} kept, 0 broken" in out.stdout, out.stdout


# One import per contract that breaks it (and only that import is added): (contract name,
# file under hpmagic/, the lines appended to it, what the report must say of it).
BREAKS = {
    "layers": (
        "The layers of docs/architecture.md: each imports only the layers below it",
        "strategies/grid.py",
        "def _break():\n    from ..runner import Runner\n",
        "hpmagic.strategies.grid -> hpmagic.runner",
    ),
    "leaves": (
        "The leaves (core, _format, errors, protocols, interrupts, codec) import nothing above them",
        "core.py",
        "def _break():\n    from .space import SearchSpace\n",
        "hpmagic.core -> hpmagic.space",
    ),
    "cell-program": (
        "hpmagic.cell.program, all a worker needs, imports nothing of hpmagic",
        "cell/program.py",
        "def _break():\n    from . import capture\n",
        "hpmagic.cell.program -> hpmagic.cell.capture",
    ),
    "display": (
        "display reads results duck-typed: it never imports result, runner or api",
        "display/text.py",
        "def _break():\n    from ..result import TuneResult\n",
        "hpmagic.display.text -> hpmagic.result",
    ),
    # A cycle inside one layer: the layers contract keeps it, only the cycle rule sees it.
    "acyclic": (
        "No import cycle between the siblings of hpmagic or of any of its subpackages",
        "pruning/median.py",
        "def _break():\n    from .spec import make_pruner\n",
        "No cycles are allowed in hpmagic.pruning.",
    ),
}


def broken_copy(tmp_path: Path, file: str, lines: str) -> Path:
    """A copy of hpmagic and pyproject.toml in ``tmp_path`` with ``lines`` appended to ``file``."""
    shutil.copytree(PACKAGE, tmp_path / "hpmagic", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(REPO / "pyproject.toml", tmp_path / "pyproject.toml")
    path = tmp_path / "hpmagic" / file
    path.write_text(path.read_text(encoding="utf-8") + "\n\n" + lines, encoding="utf-8")
    return tmp_path


@pytest.mark.parametrize("contract", sorted(BREAKS))
def test_each_contract_breaks_on_an_import_against_its_rule(tmp_path, contract):
    name, file, lines, says = BREAKS[contract]
    root = broken_copy(tmp_path, file, lines)
    out = lint_imports(root, str(root / "pyproject.toml"))
    report = out.stdout + out.stderr
    assert out.returncode == 1, report
    assert f"{name} BROKEN" in report
    assert says in report
    if contract == "acyclic":  # within one layer: only the cycle rule sees it
        assert "4 kept, 1 broken" in report


def test_imports_under_type_checking_break_no_contract(tmp_path):
    """Such imports never run; the annotations of display may name a result's type."""
    lines = "from typing import TYPE_CHECKING\n\nif TYPE_CHECKING:\n    from ..result import TuneResult\n"
    root = broken_copy(tmp_path, "display/text.py", lines)
    out = lint_imports(root, str(root / "pyproject.toml"))
    assert out.returncode == 0, out.stdout + out.stderr


def test_a_module_outside_every_layer_breaks_the_layers_contract(tmp_path):
    """The layers contract is exhaustive: a new module of hpmagic/ must be given its layer."""
    root = broken_copy(tmp_path, "core.py", "")
    (root / "hpmagic" / "newmodule.py").write_text('"""A module nobody placed."""\n', encoding="utf-8")
    out = lint_imports(root, str(root / "pyproject.toml"))
    assert out.returncode != 0, out.stdout
    assert "hpmagic.newmodule" in out.stdout + out.stderr


# ---------------------------------------------------------------------------------------
# No private names across modules
# ---------------------------------------------------------------------------------------


def _modules(package_dir: Path) -> Iterator[tuple[str, Path]]:
    """Every module of the package by dotted name (a package is named by its ``__init__``)."""
    for path in sorted(package_dir.rglob("*.py")):
        parts = list(path.relative_to(package_dir.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        yield ".".join(parts), path


def _from_base(importer: str, is_package: bool, node: ast.ImportFrom) -> str:
    """The module a ``from`` import reads from: ``from ..x import y`` in ``p.q.r`` is ``p.x``."""
    if node.level == 0:
        return node.module or ""
    package = importer if is_package else importer.rpartition(".")[0]
    parts = package.split(".")
    base = ".".join(parts[: max(len(parts) - (node.level - 1), 0)])
    return f"{base}.{node.module}" if node.module else base


def _private_imports(package_dir: Path) -> Iterator[str]:
    # Every `from` import at any depth, TYPE_CHECKING ones included (a type checker still
    # reaches into the other module's privates). A *module* whose name starts with "_"
    # (_format.py, strategies/_gp/) may be imported from: the "_" marks it internal to the
    # package. A *name* starting with "_" may not: `from .x import _helper`, and also
    # `from . import _gp` (it binds a private name of the package). Dunders are public.
    root = package_dir.name
    for importer, path in _modules(package_dir):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
            if not isinstance(node, ast.ImportFrom):
                continue
            base = _from_base(importer, path.name == "__init__.py", node)
            if not (base == root or base.startswith(f"{root}.")):
                continue
            for alias in node.names:
                name = alias.name
                if name.startswith("_") and not (name.startswith("__") and name.endswith("__")):
                    where = f"{path.relative_to(package_dir.parent).as_posix()}:{node.lineno}"
                    yield f"{importer}: imports {name} from {base} ({where})"


def test_the_private_import_scan_on_a_made_up_package(tmp_path):
    files = {
        "hpmagic/__init__.py": "__version__ = '1'\n",
        "hpmagic/_format.py": "def fmt(): ...\n_x = 1\n",
        "hpmagic/a.py": "from ._format import fmt\nfrom . import __version__\nimport hpmagic._format\n",
        "hpmagic/b.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from ._format import _x\n",
        "hpmagic/s/__init__.py": "",
        "hpmagic/s/_gp/__init__.py": "",
        "hpmagic/s/_gp/model.py": "GP = 1\n",
        "hpmagic/s/gp.py": "from ._gp.model import GP\nfrom os import _exit\ndef f():\n    from . import _gp\n",
    }
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text, encoding="utf-8")
    found = [line.split(" (")[0] for line in _private_imports(tmp_path / "hpmagic")]
    assert found == ["hpmagic.b: imports _x from hpmagic._format", "hpmagic.s.gp: imports _gp from hpmagic.s"]


def test_no_private_names_cross_modules():
    offences = list(_private_imports(PACKAGE))
    assert not offences, (
        f"{len(offences)} import(s) of a name starting with '_' from another hpmagic module "
        "(make the name public, or move the code that needs it):\n  " + "\n  ".join(offences)
    )


# ---------------------------------------------------------------------------------------
# Sizes
# ---------------------------------------------------------------------------------------


def test_no_module_over_500_lines():
    long = []
    for name, path in _modules(PACKAGE):
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


def test_functions_are_measured_without_decorators():
    tree = ast.parse(
        "@dec\n@dec2\ndef f():\n    def g():\n        pass\n    return 1\nclass C:\n    async def m(self):\n        pass\n"
    )
    sizes = {name: node.end_lineno - node.lineno + 1 for name, node in _functions(tree)}
    assert sizes == {"f": 4, "f.<locals>.g": 2, "C.m": 2}


def test_no_function_over_60_lines():
    long = []
    for _, path in _modules(PACKAGE):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for name, node in _functions(tree):
            # lineno is the `def` line (decorators excluded), end_lineno its last line.
            size = node.end_lineno - node.lineno + 1  # type: ignore[operator]
            if size > MAX_FUNCTION_LINES:
                long.append(f"{path.relative_to(REPO)}:{node.lineno}: {name} is {size} lines")
    assert not long, f"{len(long)} function(s) over {MAX_FUNCTION_LINES} lines:\n  " + "\n  ".join(long)


# ---------------------------------------------------------------------------------------
# The cell program at run time: a leaf a worker can import alone
# ---------------------------------------------------------------------------------------


def test_importing_the_cell_program_loads_only_its_packages():
    """``hpmagic/__init__.py`` and ``hpmagic/cell/__init__.py`` run first: they must not pull
    the rest of hpmagic, or a heavy library, in behind the leaf (the contracts see only
    imports written in hpmagic, not what a package's ``__init__`` loads by other means)."""
    code = (
        "import sys, hpmagic.cell.program\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'hpmagic'))\n"
        "heavy = ('IPython', 'matplotlib', 'ipywidgets', 'hyperopt', 'pandas', 'sklearn', 'scipy', 'numpy')\n"
        "print(sorted(m for m in heavy if m in sys.modules))"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=REPO, timeout=60)
    assert out.returncode == 0, f"`import hpmagic.cell.program` failed:\n{out.stderr}"
    ours, heavy = (ast.literal_eval(line) for line in out.stdout.strip().splitlines())
    extra = sorted(set(ours) - {"hpmagic", "hpmagic.cell", "hpmagic.cell.program"})
    assert not extra, f"`import hpmagic.cell.program` also loads {', '.join(extra)}"
    assert not heavy, f"`import hpmagic.cell.program` also loads {', '.join(heavy)}"
