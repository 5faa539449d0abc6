"""The notebook checks can fail, and the Binder set-up points at real files.

The tutorials themselves run under nbval straight from ``notebooks/`` (pytest's testpaths),
and again in the Binder environment (``scripts/check-binder.sh``).  Here a tiny notebook is
run by nbval in a subprocess, with the repository's own pytest options (``--nbval-lax`` and the
sanitizer), to show that a changed checked output or a cell that raises fails the run, while
timings, addresses and drawn numbers in a checked output do not.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_notebook, new_output

ROOT = Path(__file__).resolve().parent.parent
CHECK = {"tags": ["nbval-check-output"]}


def _notebook(answer: str = "42", extra_cells: tuple = ()):
    """Two checked cells: one whose output varies from run to run only in what the sanitizer
    blanks out, one with a plain deterministic value whose stored output is ``answer``."""
    varying = new_code_cell(
        "import random\n"
        "print(f'search finished in {random.uniform(1, 60):.1f} s (0:{random.randrange(10, 60)}), '\n"
        "      f'object at 0x{random.getrandbits(48):x}, seed {random.randrange(2**31)}')",
        metadata=CHECK,
        execution_count=1,
        outputs=[
            new_output(
                "stream", name="stdout", text="search finished in 12.3 s (0:07), object at 0x7f00deadbeef, seed 1234\n"
            )
        ],
    )
    value = new_code_cell(
        "6 * 7",
        metadata=CHECK,
        execution_count=2,
        outputs=[new_output("execute_result", data={"text/plain": answer}, execution_count=2)],
    )
    nb = new_notebook(cells=[varying, value, *extra_cells])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return nb


def _run_nbval(tmp_path: Path, notebooks: dict) -> subprocess.CompletedProcess:
    for name, nb in notebooks.items():
        nbformat.write(nb, tmp_path / name)
    # The repository's pytest configuration (pyproject.toml), run from the repository root as CI does.
    cmd = [
        sys.executable,
        "-m",
        "pytest",
        "-c",
        str(ROOT / "pyproject.toml"),
        "--rootdir",
        str(tmp_path),
        "-q",
        "-rfE",
        *(str(tmp_path / name) for name in notebooks),
    ]
    return subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=300)


def test_nbval_passes_a_good_notebook_and_fails_a_broken_one(tmp_path):
    raising = new_code_cell("1 / 0", execution_count=3, outputs=[])
    proc = _run_nbval(
        tmp_path,
        {
            "good.ipynb": _notebook(),
            "changed.ipynb": _notebook(answer="41"),
            "raises.ipynb": _notebook(extra_cells=(raising,)),
        },
    )
    out = proc.stdout + proc.stderr
    assert proc.returncode == 1, out
    failed = re.findall(r"^FAILED \S*?(\w+)\.ipynb::Cell (\d+)", out, flags=re.MULTILINE)
    assert sorted(failed) == [("changed", "1"), ("raises", "2")], out
    # The sanitizer makes the varying checked cell pass in every notebook: 2 + 1 + 2 cells passed.
    assert re.search(r"\b2 failed, 5 passed\b", out), out
    # What nbval says about each failure.
    assert "41" in out and "42" in out, out
    assert "ZeroDivisionError" in out, out


def test_binder_environment_files():
    requirements = (ROOT / "binder" / "requirements.txt").read_text().splitlines()
    lines = [line.split("#", 1)[0].strip() for line in requirements]
    lines = [line for line in lines if line]
    assert "." in lines, "binder/requirements.txt must install hpmagic from the repository (a `.` line)"
    for line in lines:
        if line != ".":
            assert re.fullmatch(r"[A-Za-z0-9_.-]+(\[[\w,]+\])?==[\w.]+", line), f"not pinned exactly: {line!r}"
    names = {re.match(r"[A-Za-z0-9_-]+", line).group().lower().replace("_", "-") for line in lines if line != "."}
    for needed in (
        "jupyterlab",
        "ipywidgets",
        "ipykernel",
        "ipython",
        "matplotlib",
        "numpy",
        "scipy",
        "pandas",
        "scikit-learn",
        "hyperopt",
        "dask",
        "distributed",
    ):
        assert needed in names, f"binder/requirements.txt does not pin {needed}"
    assert re.fullmatch(r"python-3\.\d+\s*", (ROOT / "binder" / "runtime.txt").read_text())


def test_readme_binder_link_and_quickstart_open_the_same_notebook():
    readme = (ROOT / "README.md").read_text()
    links = re.findall(r"https://mybinder\.org/v2/gh/[^)\s]+", readme)
    assert links, "README has no Binder link"
    targets = {re.search(r"urlpath=lab/tree/([^&)\s]+)", link).group(1) for link in links}
    assert targets == {"notebooks/01-quickstart.ipynb"}, targets
    assert (ROOT / "notebooks" / "01-quickstart.ipynb").is_file()
    assert "--execute notebooks/01-quickstart.ipynb" in readme
