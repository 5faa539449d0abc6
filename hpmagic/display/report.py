"""A report to keep: one HTML file a colleague opens in any browser, and a short Markdown text.

:func:`report_html` is a whole HTML document: the summary (:func:`.html.result_html`) with
every plot inlined as a ``data:`` URI and the table of every trial (not only the first
:data:`~.summary.ALL_TRIALS`), then what it takes to run the search again: the cell's code,
the options it ran with, the seed, the versions of hpmagic, Python and the main libraries,
and the machine (its operating system, processor, CPU count and host name).  It loads
nothing from the network: no font, no script, no stylesheet from elsewhere.

:func:`save` writes it, checking the path first (a folder, a missing folder, a file that may
not be written: :class:`~hpmagic.errors.SaveError`, and nothing is written); it writes a
temporary file next to the target and renames it over the target, so a failure halfway
never leaves half a report, nor destroys the one already there.

:func:`markdown` is the short text for a lab notebook or a pull request: the headline, the
best parameters against their defaults, how the search ran, the seed and the versions.
"""

from __future__ import annotations

import os
import platform
import tempfile
import time
from html import escape
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import TYPE_CHECKING

from .._format import plural
from ..errors import SaveError
from .html import result_html
from .summary import summarize
from .text import headline_text

if TYPE_CHECKING:
    from ..result import TuneResult

__all__ = ["LIBRARIES", "environment", "report_html", "save", "markdown"]

#: The libraries whose versions a report names, when installed.
LIBRARIES = ("hpmagic", "numpy", "scipy", "pandas", "scikit-learn", "matplotlib", "ipython", "hyperopt", "distributed")


def _version(name: str) -> str | None:
    try:
        return version(name)
    except PackageNotFoundError:
        return None


def environment() -> list[tuple[str, str]]:
    """What a report says about where it was made: versions and the machine, as (name, value)."""
    rows = [("python", platform.python_version())]
    rows += [(name, v) for name in LIBRARIES if (v := _version(name)) is not None]
    rows += [
        (
            "machine",
            f"{platform.system()} {platform.release()} on {platform.machine()}, {plural(os.cpu_count() or 1, 'CPU')}",
        ),
        ("host", platform.node()),
        ("written", time.strftime("%Y-%m-%d %H:%M:%S %Z")),
    ]
    return rows


def _kv_table(rows: list[tuple[str, str]]) -> str:
    body = "".join(f"<tr><th style='text-align:left'>{escape(k)}</th><td>{escape(v)}</td></tr>" for k, v in rows)
    return f"<div class='scroll' style='overflow-x:auto;max-width:100%'><table><tbody>{body}</tbody></table></div>"


def _run_section(result: TuneResult) -> str:
    """The cell's code, the options and the seed: what it takes to run the search again."""
    code = getattr(result, "code", "") or ""
    options = list(getattr(result, "options", ()) or ())
    said = (
        f"<pre class='hpmagic-code'>{escape(code)}</pre>"
        if code
        else "<p class='muted'>(the cell's code was not recorded with this result)</p>"
    )
    rows = [
        ("seed", "none (not reproducible)" if result.seed is None else str(result.seed)),
        ("strategy", result.strategy or "?"),
        *options,
    ]
    if result.study:
        rows.insert(0, ("study", result.study))
    return f"<h4>The cell</h4>{said}<h4>Options</h4>{_kv_table(rows)}"


_PAGE_CSS = """<style>
body {margin: 1.5em auto; max-width: 72em; padding: 0 1em; background: #ffffff; color: #1f1f1f}
.hpmagic-code {background: #f5f5f5; padding: 0.6em; overflow-x: auto; font-size: 12px}
@media (prefers-color-scheme: dark) {
  body {background: #111111; color: #e6e6e6}
  .hpmagic-code {background: #212121}
}
</style>"""


def report_html(result: TuneResult) -> str:
    """``result`` as a whole, self-contained HTML document (see the module docstring)."""
    title = f"hpmagic: {result.study or result.metric} ({plural(len(result.trials), 'trial')})"
    summary = result_html(result, all_trials=len(result.trials))
    # A browser in dark mode gets the summary's dark colours: the body takes the class VS Code's dark themes use.
    dark = "<script>if(matchMedia('(prefers-color-scheme: dark)').matches)document.body.classList.add('vscode-dark')</script>"
    return (
        f"<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
        f"<meta name='viewport' content='width=device-width, initial-scale=1'><title>{escape(title)}</title>"
        f"{_PAGE_CSS}</head><body>{dark}<div class='hpmagic-result'><h3>{escape(title)}</h3></div>{summary}"
        f"<div class='hpmagic-result'>{_run_section(result)}<h4>Versions and machine</h4>"
        f"{_kv_table(environment())}</div></body></html>\n"
    )


def _check_path(path: str | os.PathLike[str]) -> Path:
    """The path to write, or a SaveError that says what is wrong with it and what to do."""
    target = Path(os.fspath(path)).expanduser()
    if target.is_dir():
        raise SaveError(
            f"cannot save the report to {str(target)!r}: it is a folder; "
            f"give a file name, such as {str(target / 'report.html')!r}"
        )
    folder = target.parent
    if not folder.is_dir():
        raise SaveError(
            f"cannot save the report to {str(target)!r}: the folder {str(folder)!r} does not exist; "
            "create it first, or choose another path"
        )
    if not os.access(folder, os.W_OK) or (target.exists() and not os.access(target, os.W_OK)):
        where = target if target.exists() else folder
        raise SaveError(
            f"cannot save the report to {str(target)!r}: no permission to write {str(where)!r}; "
            "choose a folder you may write to (nothing was written)"
        )
    return target


def save(result: TuneResult, path: str | os.PathLike[str]) -> Path:
    """Write :func:`report_html` of ``result`` to ``path`` and return the path written."""
    try:
        target = _check_path(path)
    except SaveError:
        raise
    except OSError as exc:  # a name too long, a loop of links: what looking at the path itself says
        raise SaveError(
            f"cannot save the report to {os.fspath(path)!r}: {exc.strerror or exc}; "
            "nothing was written (a file already there is unchanged)"
        ) from None
    page = report_html(result)  # rendered before anything is written: a failure here writes nothing
    temporary: str | None = None
    try:
        fd, temporary = tempfile.mkstemp(prefix=f".{target.name[:40]}.", suffix=".tmp", dir=target.parent)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(page)
        os.chmod(temporary, 0o644)
        os.replace(temporary, target)
    except OSError as exc:
        if temporary is not None:
            Path(temporary).unlink(missing_ok=True)
        raise SaveError(
            f"cannot save the report to {str(target)!r}: {exc.strerror or exc}; "
            "nothing was written (a file already there is unchanged)"
        ) from None
    return target


def markdown(result: TuneResult) -> str:
    """A short Markdown text of ``result``: for a lab notebook or a pull request."""
    s = summarize(result, top=3, all_trials=0)
    lines = [
        f"**hpmagic**: {headline_text(s.headline)}",
        "",
        f"{s.direction} {s.metric} over {plural(s.trials, 'trial')} ({s.counts}) in {s.elapsed}; "
        f"strategy {s.strategy or '?'}{s.strategy_detail.split(':', 1)[0]}; stopped: {s.stopped}.",
    ]
    if s.workers:
        lines[-1] += f" Workers: {s.workers}."
    if s.param_rows:
        lines += ["", "| parameter | best | default | search space |", "| --- | --- | --- | --- |"]
        lines += [
            f"| {_cell(r.name)} | {_cell(r.best)} | {_cell(r.default)} | {_cell(r.space)} |" for r in s.param_rows
        ]
    if s.top:
        lines += ["", "Top trials: " + "; ".join(f"#{t.number} {t.value} ({t.params})" for t in s.top) + "."]
    options = " ".join(f"{k}={v}" for k, v in getattr(result, "options", ()) or ())
    if options:
        lines += ["", f"Options: `{options}`."]
    versions = ", ".join(f"{k} {v}" for k, v in environment() if k in ("python", "hpmagic", "numpy", "scikit-learn"))
    lines += ["", f"Versions: {versions}."]
    return "\n".join(lines) + "\n"


def _cell(text: str) -> str:
    """A Markdown table cell: a ``|`` would end it."""
    return text.replace("|", "\\|")
