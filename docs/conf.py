"""Sphinx configuration of hpmagic's documentation site.

Build it from the repository root with ``make -C docs html`` (or the command in
``docs/Makefile``): warnings are errors and every cross-reference must resolve (nitpicky).
Nothing here reaches the network: there is no intersphinx, the tutorials are rendered from
the outputs stored in ``notebooks/`` (never executed), and the theme ships its assets.
"""

from __future__ import annotations

import shutil
import sys
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

DOCS = Path(__file__).resolve().parent
REPO = DOCS.parent
sys.path.insert(0, str(REPO))  # the checkout's hpmagic, also when it is not installed

project = "hpmagic"
author = "the hpmagic authors"
copyright = "2026, the hpmagic authors"
try:
    release = version("hpmagic")  # pyproject.toml is the one source of the version
except PackageNotFoundError:
    import tomllib

    release = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["version"]
version = ".".join(release.split(".")[:2])

extensions = [
    "myst_nb",
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.napoleon",
    "sphinx.ext.viewcode",
]
exclude_patterns = ["_build", "Thumbs.db", ".DS_Store", "**.ipynb_checkpoints", "**/*.out.ipynb"]
templates_path = ["_templates"]

# --- MyST and the notebooks --------------------------------------------------------------
myst_enable_extensions = ["colon_fence", "deflist"]
myst_heading_anchors = 3  # [text](page.md#a-section) links to sections, as on GitHub
nb_execution_mode = "off"  # the tutorials show the outputs stored in notebooks/, never re-run
nb_merge_streams = True
suppress_warnings = ["mystnb.unknown_mime_type"]  # widget views: their state is not stored


def _copy_tutorials() -> None:
    """Copy ``notebooks/*.ipynb`` to ``docs/tutorials/`` (ignored by git), where Sphinx reads them.

    The notebooks stay where users and nbval find them; the copy is refreshed on every build.
    """
    target = DOCS / "tutorials"
    for notebook in sorted((REPO / "notebooks").glob("*.ipynb")):
        if notebook.name.endswith(".out.ipynb"):
            continue
        copy = target / notebook.name
        if not copy.exists() or copy.read_bytes() != notebook.read_bytes():
            shutil.copyfile(notebook, copy)


_copy_tutorials()

# --- the API reference ---------------------------------------------------------------------
# Docstrings follow the numpydoc convention (a summary line, prose, then Parameters, Returns,
# Raises sections where a function takes arguments), read by napoleon.
napoleon_google_docstring = False
napoleon_numpy_docstring = True
napoleon_use_rtype = True
autosummary_generate = True
autodoc_default_options = {"members": True, "show-inheritance": True}
autodoc_member_order = "bysource"
autodoc_typehints = "description"
autodoc_typehints_description_target = "documented"
autodoc_preserve_defaults = True

# Every cross-reference must resolve.  Without a network there is no intersphinx, so names of
# the standard library and of third-party packages cannot resolve: those, and only those,
# are ignored here (hpmagic's own names must all resolve).
nitpicky = True
nitpick_ignore_regex = [
    (r"py:.*", r"(collections\.abc|typing|types|pathlib|concurrent\.futures|datetime|decimal|fractions|os|random|numbers|enum)\..*"),
    (r"py:.*", r"(numpy|np|pandas|pd|matplotlib|IPython|ipywidgets|scipy|sklearn|hyperopt|dask|distributed|ipyparallel)\..*"),
    (r"py:class", r"(Any|Callable|Iterable|Iterator|Mapping|MutableMapping|Sequence|Path|Executor|DataFrame|Series|Figure|Axes|ndarray|ArrayLike)"),
]

# --- HTML -----------------------------------------------------------------------------------
html_theme = "furo"
html_title = f"hpmagic {release}"
html_static_path: list[str] = []
