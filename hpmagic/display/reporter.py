"""Which progress display a search gets: the live panel in a notebook, the text line elsewhere."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..protocols import Reporter

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


def make_reporter(kind: Any = "auto", result_name: str = "") -> Reporter:
    """A progress reporter: ``"auto"``, ``"widget"``, ``"text"``, ``"none"``, or an object used as is.

    ``"auto"`` is the live panel inside a Jupyter kernel and the text line elsewhere.
    ``result_name`` (``Out[7]``, the name of ``-o``) is where the result will be: the live
    panel says so in the note it shows once it stops updating (see ``WidgetReporter``).
    """
    if not isinstance(kind, str):
        return kind
    if kind == "none":
        from ..protocols import NullReporter

        return NullReporter()
    if kind == "auto":
        kind = "widget" if widget_frontend() else "text"
    if kind == "widget":
        from .widget import WidgetReporter

        return WidgetReporter(result_name=result_name)
    if kind == "text":
        from .text import TextReporter

        return TextReporter()
    from ..errors import OptionError

    raise OptionError(f"unknown display {kind!r}; use 'auto', 'widget', 'text' or 'none', or pass a reporter object")
