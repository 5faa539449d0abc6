"""What the user sees: progress while a search runs, and the result afterwards.

- :mod:`.widget` -- the live ipywidgets panel (notebooks: JupyterLab, Notebook 7, VS Code);
- :mod:`.text` -- one progress line redrawn in place (terminal IPython, plain Python);
- :mod:`.html` -- the static summary with embedded PNG plots (``TuneResult._repr_html_``);
- :mod:`.data` and :mod:`.plots` -- numbers extracted from trials, then drawn with matplotlib.

Nothing here is imported by ``import hpmagic``; matplotlib and ipywidgets load when first used.
"""

from __future__ import annotations

import sys
from typing import Any

__all__ = ["make_reporter", "widget_frontend"]


def widget_frontend() -> bool:
    """True inside a Jupyter kernel (ipykernel), whose front ends render widgets.

    Like ``tqdm.autonotebook``, this cannot tell a widget-less kernel client (jupyter
    console) from a notebook; there the panel's text form is shown instead.
    """
    if "ipykernel" not in sys.modules or "IPython" not in sys.modules:
        return False
    from IPython import get_ipython

    shell = get_ipython()
    if shell is None or type(shell).__name__ != "ZMQInteractiveShell":
        return False
    try:
        import ipywidgets  # noqa: F401
    except ImportError:
        return False
    return True


def make_reporter(kind: Any = "auto"):
    """A progress reporter: ``"auto"``, ``"widget"``, ``"text"``, ``"none"``, or an object used as is.

    ``"auto"`` is the widget panel inside a Jupyter kernel and the text line elsewhere.
    """
    if not isinstance(kind, str):
        return kind
    if kind == "none":
        from ..runner import NullReporter

        return NullReporter()
    if kind == "auto":
        kind = "widget" if widget_frontend() else "text"
    if kind == "widget":
        from .widget import WidgetReporter

        return WidgetReporter()
    if kind == "text":
        from .text import TextReporter

        return TextReporter()
    raise ValueError(f"unknown display {kind!r}; use 'auto', 'widget', 'text' or 'none'")
