"""The result as static HTML with embedded PNG plots.

Static output survives saving the notebook and shows on GitHub and nbviewer, where widget
state does not.  The plots are drawn on bare Agg figures (see :mod:`.plots`), so they do not
depend on the notebook's matplotlib backend.  If drawing fails for any reason the summary is
still shown, with a note instead of the plots: a display problem must never hide a result.
"""

from __future__ import annotations

import base64
from html import escape
from typing import TYPE_CHECKING

from .palette import STATE_STYLES, THEME, theme_css
from .summary import Headline, Summary, Verdict, summarize

if TYPE_CHECKING:
    from ..protocols import Progress
    from ..result import TuneResult

__all__ = ["result_html", "plots_html", "status_html"]

_CSS_TEMPLATE = """<style>
.hpmagic-result {font-family: var(--jp-ui-font-family, sans-serif); font-size: 13px; line-height: 1.4}
.hpmagic-result h4 {margin: 0.2em 0 0.4em 0}
.hpmagic-result table {border-collapse: collapse; margin: 0.3em 0 0.6em 0}
.hpmagic-result th, .hpmagic-result td {padding: 2px 8px; text-align: right; border-bottom: 1px solid #ddd}
.hpmagic-result th {font-weight: 600}
.hpmagic-result .gain {color: #2a7d2a; font-weight: 600}
.hpmagic-result .loss {color: #b03030; font-weight: 600}
.hpmagic-result .muted {color: #777}
.hpmagic-result .plots {display: flex; flex-wrap: wrap; gap: 8px; align-items: flex-start}
.hpmagic-result img {max-width: 100%}
{states}
</style>"""


# Each state's count carries a dot of the colour its trials have in the plots (a legend).
_CSS = _CSS_TEMPLATE.replace("{states}", "\n".join(
    f".hpmagic-result .state-{state.value}::before {{content: '\\25CF\\00A0'; color: {st.colour}}}"
    for state, st in STATE_STYLES.items()))


def _table(header: list[str], rows: list[list[str]]) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{escape(c)}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


_VERDICT_CLASS = {Verdict.BETTER: "gain", Verdict.TIED: "muted", Verdict.WORSE: "loss"}


def _headline(h: Headline) -> str:
    if h.best is None:
        return "<h4>no trial completed</h4>"
    text = f"best {escape(h.metric)} <b>{escape(h.best)}</b> (trial {h.trial})"
    if h.verdict is Verdict.DEFAULTS_FAILED:
        text += f" <span class='muted'>(the defaults failed: trial 0 {escape(h.baseline_state)})</span>"
    elif h.verdict is not None:
        text += (f" vs defaults {escape(h.baseline or '')}: "
                 f"<span class='{_VERDICT_CLASS[h.verdict]}'>{escape(h.gain)} {escape(h.verdict)}</span>")
    return f"<h4>{text}</h4>"


def _counts(s: Summary) -> str:
    """``24 complete, 5 pruned``, each state with a dot of its plots' colour."""
    if not s.state_counts:
        return escape(s.counts)
    return ", ".join(f"<span class='hpmagic-state state-{escape(state)}' data-state='{escape(state)}'>{n} {escape(state)}</span>"
                     for state, n in s.state_counts)


def _facts(s: Summary) -> str:
    items = [
        f"{escape(s.direction)} {escape(s.metric)}",
        f"{s.trials} trials ({_counts(s)}) in {escape(s.elapsed)}",
        f"strategy: {escape((s.strategy or '?') + s.strategy_detail)}",
        f"stopped: {escape(s.stopped)}",
    ]
    if s.pruning is not None:
        items.append(f"<span class='state-pruned'>pruned</span>: {escape(s.pruning.text)}")
    if s.error:
        items.append(f"error: {escape(s.error)}")
    items += [f"note: {escape(n)}" for n in s.notes]
    return "<ul>" + "".join(f"<li>{i}</li>" for i in items) + "</ul>"


def _params_table(s: Summary) -> str:
    if not s.param_rows:
        return ""
    rows = [[r.name, r.best, r.default, r.space] for r in s.param_rows]
    return _table(["parameter", "best", "default", "search space"], rows)


def _top_table(s: Summary) -> str:
    if not s.top:
        return ""
    steps = any(t.last_step for t in s.top)  # a column for the last step when the trials reported
    rows = [[str(t.number), t.value, t.duration, *([t.last_step] if steps else []), *t.cells] for t in s.top]
    header = ["trial", s.metric, "time", *([f"last {s.step_name}"] if steps else []), *s.param_names]
    return "<details open><summary>top trials</summary>" + _table(header, rows) + "</details>"


def _failure(s: Summary) -> str:
    f = s.failure
    if f is None:
        return ""
    return (f"<details><summary>first failure (trial {f.number}, "
            f"{escape(f.params)})</summary><pre>{escape(f.error)}</pre></details>")


def _img(png: bytes, alt: str) -> str:
    uri = base64.b64encode(png).decode("ascii")
    return f'<img class="hpmagic-plot" alt="{escape(alt)}" src="data:image/png;base64,{uri}"/>'


def plots_html(result: TuneResult) -> str:
    """The summary's plots as <img> tags with PNG data; empty when nothing completed.  The
    learning curves come second, when any trial reported points with ``hpmagic.report``."""
    from . import plots

    if not result.completed:
        return ""
    n = len(result.space)
    cols = min(n, 3)
    rows = -(-n // cols)
    imgs = [
        _img(plots.render("history", result, width=5.6, height=3.2), "convergence"),
        _img(plots.render("importance", result, width=4.2, height=0.9 + 0.3 * max(n, 2)), "parameter importance"),
        _img(plots.render("slices", result, width=3.3 * cols + 0.4, height=2.5 * rows), "objective against each parameter"),
    ]
    if any(t.curve for t in result.trials):
        imgs.insert(1, _img(plots.render("curves", result, width=5.6, height=3.2), "learning curves"))
    if n >= 2:
        imgs.append(_img(plots.render("parallel", result, width=max(5.0, 1.5 * n + 1.5), height=3.2), "parallel coordinates"))
    return "<div class='plots'>" + "".join(imgs) + "</div>"


def result_html(result: TuneResult, with_plots: bool = True) -> str:
    """The whole summary of ``result`` as HTML, with its plots unless ``with_plots`` is false."""
    s = summarize(result)
    plots = ""
    if with_plots:
        try:
            plots = plots_html(result)
        except Exception as exc:  # noqa: BLE001 - never let a plot hide the result
            plots = f"<p class='muted'>(the plots could not be drawn: {escape(type(exc).__name__)}: {escape(str(exc))})</p>"
    return (
        f"{_CSS}<div class='hpmagic-result'>{_headline(s.headline)}"
        f"{_facts(s)}{_params_table(s)}{_top_table(s)}{_failure(s)}{plots}</div>"
    )


# The bar's colours: plain ones inline (they survive an untrusted notebook's sanitizer, which
# drops <style> and var()), and the theme's from its CSS variables where the <style> applies.
_BAR_STATES = {"running": "bar-running", "done": "bar-done", "interrupted": "bar-stopped", "failed": "bar-stopped"}
_STATUS_CSS = (
    "<style>" + theme_css(".hpmagic-status") + "\n"
    ".hpmagic-status {color: var(--jp-ui-font-color1, inherit); font-family: var(--jp-ui-font-family, sans-serif)}\n"
    ".hpmagic-status .hpmagic-track {background: var(--hpmagic-track) !important}\n"
    + "\n".join(f".hpmagic-status [data-state={state}] .hpmagic-fill {{background: var(--hpmagic-{name}) !important}}"
                for state, name in _BAR_STATES.items())
    + "</style>"
)


def status_html(progress: Progress, line: str) -> str:
    """A search's progress bar and status line as HTML.

    The live panel shows it while the search runs and the notebook keeps it once the search
    has ended: one markup for both, so what is saved looks like what was seen.  The bar is an
    ARIA progress bar (``role``, ``aria-valuenow``...) and ``data-state`` carries the status.
    The bar keeps 240 px while there is room and the line wraps beside it; in a narrow output
    the line goes below the bar (``flex-wrap``) and the bar shrinks with the output.  Colours
    follow the front end's theme (see :mod:`.palette`).
    """
    done = min(progress.finished, progress.total)
    frac = done / progress.total if progress.total else 1.0
    light = THEME[_BAR_STATES.get(progress.status, "bar-running")].light
    return (
        f"{_STATUS_CSS}<div class='hpmagic-status' style='display:flex;flex-wrap:wrap;align-items:center;"
        "gap:4px 8px;font-size:13px;max-width:100%'>"
        "<b style='flex:none'>hpmagic</b>"
        f"<span class='hpmagic-track' role='progressbar' aria-valuemin='0' aria-valuemax='{progress.total}' "
        f"aria-valuenow='{done}' data-state='{escape(progress.status)}' "
        "style='display:inline-block;flex:0 1 240px;min-width:80px;height:12px;background:#e0e0e0;border-radius:2px'>"
        f"<span class='hpmagic-fill' style='display:block;width:{100 * frac:.1f}%;height:100%;background:{light};"
        "border-radius:2px'></span>"
        f"</span><span class='hpmagic-line' style='flex:1 1 18em;min-width:0;overflow-wrap:anywhere'>{escape(line)}</span></div>"
    )
