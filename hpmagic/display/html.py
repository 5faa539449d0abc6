"""The result as static HTML with embedded PNG plots.

Static output survives saving the notebook and shows on GitHub and nbviewer, where widget
state does not.  The plots are drawn on bare Agg figures (see :mod:`.plots`), so they do not
depend on the notebook's matplotlib backend.  If drawing fails for any reason the summary is
still shown, with a note instead of the plots: a display problem must never hide a result.
"""

from __future__ import annotations

import base64
from html import escape

from ..result import TrialState, _fmt_params, _fmt_seconds, _fmt_value

__all__ = ["result_html", "status_html"]

_CSS = """<style>
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
</style>"""

TOP_TRIALS = 10


def _table(header: list[str], rows: list[list[str]]) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{escape(c)}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _headline(result) -> str:
    best = result.best_trial
    if best is None:
        return "<h4>no trial completed</h4>"
    text = f"best {escape(result.metric)} <b>{escape(_fmt_value(best.value))}</b> (trial {best.number})"
    base, gain = result.baseline, result.gain()
    if base is not None and base.value is not None and gain is not None:
        cls = "gain" if gain > 0 else ("muted" if gain == 0 else "loss")
        verdict = "better" if gain > 0 else ("the defaults were best" if gain == 0 else "worse")
        sign = "+" if gain >= 0 else "-"
        text += (f" vs defaults {escape(_fmt_value(base.value))}: "
                 f"<span class='{cls}'>{sign}{escape(_fmt_value(abs(gain)))} {verdict}</span>")
    elif base is not None:
        text += f" <span class='muted'>(the defaults failed: trial 0 {base.state.value})</span>"
    return f"<h4>{text}</h4>"


def _facts(result) -> str:
    counts = result.counts()
    done = ", ".join(f"{n} {s}" for s, n in counts.items() if n) or "none"
    strategy = escape(result.strategy or "?")
    if result.seed is not None:
        strategy += f" (seed {result.seed})"
    if result.strategy_reason:
        strategy += ": " + escape(result.strategy_reason)
    from ..result import _STOP_TEXT

    items = [
        f"{escape(result.direction)} {escape(result.metric)}",
        f"{len(result.trials)} trials ({escape(done)}) in {escape(_fmt_seconds(result.elapsed))}",
        f"strategy: {strategy}",
        f"stopped: {escape(_STOP_TEXT.get(result.stop_reason, result.stop_reason))}",
    ]
    if result.error:
        items.append(f"error: {escape(result.error)}")
    items += [f"note: {escape(n)}" for n in result.notes]
    return "<ul>" + "".join(f"<li>{i}</li>" for i in items) + "</ul>"


def _params_table(result) -> str:
    best = result.best_trial
    if best is None:
        return ""
    base = result.baseline
    rows = []
    for p in result.space:
        b = _fmt_value(best.params[p.name]) if p.name in best.params else "(inactive)"
        d = _fmt_value(base.params[p.name]) if base is not None and p.name in base.params else _fmt_value(p.default)
        rows.append([p.name, b, d, p.distribution.describe() + (f" if {p.condition.text}" if p.condition else "")])
    return _table(["parameter", "best", "default", "search space"], rows)


def _top_table(result) -> str:
    names = result.space.names
    rows = [
        [str(t.number), _fmt_value(t.value), _fmt_seconds(t.duration)] + [
            _fmt_value(t.params[n]) if n in t.params else "–" for n in names]
        for t in result.top(TOP_TRIALS)
    ]
    if not rows:
        return ""
    return "<details open><summary>top trials</summary>" + _table(["trial", result.metric, "time", *names], rows) + "</details>"


def _failure(result) -> str:
    failed = [t for t in result.trials if t.state is TrialState.FAILED]
    if not failed:
        return ""
    return (f"<details><summary>first failure (trial {failed[0].number}, "
            f"{escape(_fmt_params(failed[0].params))})</summary><pre>{escape(failed[0].error)}</pre></details>")


def _img(png: bytes, alt: str) -> str:
    uri = base64.b64encode(png).decode("ascii")
    return f'<img class="hpmagic-plot" alt="{escape(alt)}" src="data:image/png;base64,{uri}"/>'


def plots_html(result) -> str:
    """The summary's plots as <img> tags with PNG data; empty when nothing completed."""
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
    if n >= 2:
        imgs.append(_img(plots.render("parallel", result, width=max(5.0, 1.5 * n + 1.5), height=3.2), "parallel coordinates"))
    return "<div class='plots'>" + "".join(imgs) + "</div>"


def result_html(result, with_plots: bool = True) -> str:
    plots = ""
    if with_plots:
        try:
            plots = plots_html(result)
        except Exception as exc:  # noqa: BLE001 - never let a plot hide the result
            plots = f"<p class='muted'>(the plots could not be drawn: {escape(type(exc).__name__)}: {escape(str(exc))})</p>"
    return (
        f"{_CSS}<div class='hpmagic-result'>{_headline(result)}"
        f"{_facts(result)}{_params_table(result)}{_top_table(result)}{_failure(result)}{plots}</div>"
    )


_BAR_COLOURS = {"running": "#2196f3", "done": "#4caf50", "interrupted": "#e53935", "failed": "#e53935"}


def status_html(progress, line: str) -> str:
    """A search's progress bar and status line as HTML.

    The live panel shows it while the search runs and the notebook keeps it once the search
    has ended: one markup for both, so what is saved looks like what was seen.  The bar is an
    ARIA progress bar (``role``, ``aria-valuenow``...) and ``data-state`` carries the status.
    """
    done = min(progress.finished, progress.total)
    frac = done / progress.total if progress.total else 1.0
    colour = _BAR_COLOURS.get(progress.status, "#2196f3")
    return (
        "<div class='hpmagic-status' style='display:flex;align-items:center;gap:8px;font-size:13px'>"
        "<b>hpmagic</b>"
        f"<span role='progressbar' aria-valuemin='0' aria-valuemax='{progress.total}' aria-valuenow='{done}' "
        f"data-state='{escape(progress.status)}' "
        "style='display:inline-block;flex:none;width:240px;height:12px;background:#e0e0e0;border-radius:2px'>"
        f"<span style='display:block;width:{100 * frac:.1f}%;height:100%;background:{colour};border-radius:2px'></span>"
        f"</span><span>{escape(line)}</span></div>"
    )
