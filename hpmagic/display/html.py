"""The result as static HTML with embedded PNG plots.

Static output survives saving the notebook and shows on GitHub and nbviewer, where widget
state does not.  The plots are drawn on bare Agg figures (see :mod:`.plots`), so they do not
depend on the notebook's matplotlib backend.  If drawing fails for any reason the summary is
still shown, with a note instead of the plots: a display problem must never hide a result.

The summary (:func:`result_html`) is laid out for someone reading it for the first time: the
headline, one line of counts (and why they do not add up to the budget), the best parameters
against their defaults, the plots; then, folded in ``<details>`` under plain titles, the top
trials, every trial, how the search ran (the strategy and why, early stopping and its rule,
how each parameter was treated, the best estimate), the notes, the warnings and the first
failure (open when no trial completed).  No widget: it needs no kernel to show.
"""

from __future__ import annotations

import base64
import re
from html import escape
from typing import TYPE_CHECKING

from .._format import plural
from .front import FrontSection
from .palette import DARK_SELECTORS, STATE_STYLES, css_var, theme_css
from .status import STALE_AFTER, stale_note, status_html
from .summary import ALL_TRIALS, Headline, Summary, Verdict, summarize
from .trialcard import openers

if TYPE_CHECKING:
    from ..result import TuneResult

# The progress panel (.status) is re-exported here, where it was first.
__all__ = ["result_html", "plots_html", "front_html", "status_html", "stale_note", "STALE_AFTER", "CARD_CSS"]

_CSS_TEMPLATE = """<style>
{theme}
.hpmagic-result {font-family: var(--jp-ui-font-family, sans-serif); font-size: 13px; line-height: 1.4; max-width: 100%}
.hpmagic-result h4 {margin: 0.2em 0 0.4em 0}
.hpmagic-result .scroll {overflow-x: auto; max-width: 100%}
.hpmagic-result table {border-collapse: collapse; margin: 0.3em 0 0.6em 0}
.hpmagic-result th, .hpmagic-result td {padding: 2px 8px; text-align: left; border-bottom: 1px solid {rule};
  white-space: nowrap}
.hpmagic-result th.num, .hpmagic-result td.num {text-align: right; font-variant-numeric: tabular-nums}
.hpmagic-result th {font-weight: 600}
.hpmagic-result th[data-sort] {cursor: pointer}
.hpmagic-result .gain {color: {gain}; font-weight: 600}
.hpmagic-result .loss {color: {loss}; font-weight: 600}
.hpmagic-result .muted {color: {muted}}
.hpmagic-result .plots {display: flex; flex-wrap: wrap; gap: 8px; align-items: flex-start}
.hpmagic-result .hpmagic-facts {margin: 0 0 0.4em 0}
.hpmagic-result details {margin: 0.25em 0}
.hpmagic-result summary {cursor: pointer; font-weight: 600}
.hpmagic-result img {max-width: 100%; height: auto}
{dark_plots}
{states}
</style>"""

# In a dark theme the PNG plots (drawn on white) are shown inverted, hue kept: dark, with light text.
_DARK_PLOTS = (
    ", ".join(f"{sel} .hpmagic-result img.hpmagic-plot" for sel in DARK_SELECTORS)
    + " {filter: invert(0.88) hue-rotate(180deg)}"
)

# Each state's count carries a dot of the colour its trials have in the plots (a legend).
_CSS = (
    _CSS_TEMPLATE.replace("{theme}", theme_css())
    .replace("{rule}", css_var("rule"))
    .replace("{gain}", css_var("gain"))
    .replace("{loss}", css_var("loss"))
    .replace("{muted}", css_var("muted"))
    .replace("{dark_plots}", _DARK_PLOTS)
    .replace(
        "{states}",
        "\n".join(
            f".hpmagic-result .state-{state.value}::before {{content: '\\25CF\\00A0'; color: {st.colour}}}"
            for state, st in STATE_STYLES.items()
        ),
    )
)

#: What a trial's card needs shown on its own (``result.trials[i]``): the theme and the table's look.
CARD_CSS = _CSS

_NUMBER = re.compile(r"^[-+]?(\d[\d,]*\.?\d*|\.\d+)([eE][-+]?\d+)?( ± \S+)?( (ms|s|min|h)( \d+ (s|min))?)?$")


def _is_number(text: str) -> bool:
    """A cell that reads as a number (``0.97``, ``1e-05``, ``0.9 ± 0.01``, ``4.2 s``): right-aligned."""
    return bool(_NUMBER.match(text)) or text in ("nan", "inf", "-inf")


# Alignment and the sideways scroll are inline styles too: an untrusted notebook's sanitizer
# drops the <style> element but keeps these.
_RIGHT = " class='num' style='text-align:right'"
_LEFT = " style='text-align:left'"


def _cell(tag: str, text: str, numeric: bool | None = None) -> str:
    numeric = _is_number(text) if numeric is None else numeric
    return f"<{tag}{_RIGHT if numeric else _LEFT if tag == 'th' else ''}>{escape(text)}</{tag}>"


# A header cell's click sorts its table's body by that column (numbers as numbers), again to reverse.
_SORT = (
    "(function(h){var t=h.closest('table'),b=t.tBodies[0],i=h.cellIndex,d=h.dataset.dir==='a'?'d':'a',"
    "r=Array.from(b.rows),v=function(x){var s=x.cells[i].textContent,n=parseFloat(s.replace(/,/g,''));"
    "return isNaN(n)?s:n};r.sort(function(x,y){var p=v(x),q=v(y),c=(typeof p===typeof q)?(p<q?-1:p>q?1:0):"
    "(typeof p==='number'?-1:1);return d==='a'?c:-c});h.dataset.dir=d;r.forEach(function(x){b.appendChild(x)})})(this)"
)


def _table(header: list[str], rows: list[list[str]], sortable: bool = False, first: list[str] | None = None) -> str:
    """A table in a sideways-scrolling box: strings left-aligned, numbers right-aligned (a
    column is numeric when all its non-empty cells are); with ``sortable`` a click on a
    header sorts by it (where the notebook runs the output's scripts; plain order elsewhere).
    ``first`` holds each row's first cell as HTML (a trial's number that opens to its card)."""
    numeric = [
        all(_is_number(r[j]) for r in rows if r[j] not in ("", "–")) and any(r[j] for r in rows)
        for j in range(len(header))
    ]
    sort = f' data-sort="1" title="sort by this column" onclick="{escape(_SORT)}"' if sortable else ""
    head = "".join(f"<th{_RIGHT if numeric[j] else _LEFT}{sort}>{escape(h)}</th>" for j, h in enumerate(header))
    body = "".join(
        "<tr>"
        + "".join(
            f"<td{_RIGHT}>{first[i]}</td>"
            if first is not None and j == 0 and first[i]
            else _cell("td", c, numeric[j] and c not in ("", "–"))
            for j, c in enumerate(row)
        )
        + "</tr>"
        for i, row in enumerate(rows)
    )
    return (
        f"<div class='scroll' style='overflow-x:auto;max-width:100%'><table><thead><tr>{head}</tr></thead>"
        f"<tbody>{body}</tbody></table></div>"
    )


_VERDICT_CLASS = {Verdict.BETTER: "gain", Verdict.NOISE: "muted", Verdict.TIED: "muted", Verdict.WORSE: "loss"}


def _headline(h: Headline) -> str:
    if h.best is None:
        return "<h4>no trial completed</h4>"
    spread = f" <span class='muted'>± {escape(h.spread)}</span>" if h.spread else ""
    text = f"best {escape(h.metric)} <b>{escape(h.best)}</b>{spread} (trial {h.trial})"
    if h.verdict is Verdict.DEFAULTS_FAILED:
        text += f" <span class='muted'>(the defaults failed: trial 0 {escape(h.baseline_state)})</span>"
    elif h.verdict is not None:
        joined = ", " if h.verdict is Verdict.NOISE else " "
        said = joined.join(part for part in (h.gain, str(h.verdict) if h.verdict is not Verdict.WORSE else "") if part)
        text += (
            f" vs defaults {escape(h.baseline or '')}: <span class='{_VERDICT_CLASS[h.verdict]}'>{escape(said)}</span>"
        )
    said = "; ".join(part for part in (h.noise, h.said_change) if part)
    if said:
        text += f"<span class='muted'> ({escape(said)})</span>"
    reason = f"<div class='muted hpmagic-direction'>{escape(h.reason)}</div>" if h.reason else ""
    return f"<h4>{text}</h4>{reason}"


def _top(s: Summary) -> str:
    """The headline: with several objectives, the trial picked from the front and its values."""
    f = s.front
    if f is None or not f.headline:
        return _headline(s.headline)
    reason = f"<div class='muted hpmagic-direction'>{escape(s.headline.reason)}</div>" if s.headline.reason else ""
    return f"<h4>{escape(f.headline)}</h4>{reason}"


def front_html(f: FrontSection | None, result: TuneResult, with_plots: bool = True) -> str:
    """The goal, the constraints' outcome, the bound trial's rule, the Pareto plot, the front as a
    table and the hypervolume (nothing for one objective without constraints)."""
    if f is None:
        return ""
    items = [f"goal: {escape(f.goal)}"]
    if f.feasibility:
        items.append(f"constraints: {escape(f.feasibility)}")
    if f.rule:
        items.append(f"bound: {escape(f.rule)}")
    warning = f"<p class='loss'>{escape(f.warning)}</p>" if f.warning else ""
    body = f"<ul class='hpmagic-goal'>{''.join(f'<li>{i}</li>' for i in items)}</ul>{warning}"
    if with_plots and f.multi and result.completed:
        try:
            from .front import render_front

            body += "<div class='plots'>" + "".join(_img(p, "Pareto front") for p in render_front(result)) + "</div>"
        except Exception as exc:  # noqa: BLE001 - never let a plot hide the result
            body += f"<p class='muted'>(the Pareto plot could not be drawn: {escape(type(exc).__name__)}: {escape(str(exc))})</p>"
    if f.rows:
        rows = [[f"{r.number}{' (bound)' if r.picked else ''}", *r.values, r.params] for r in f.rows]
        more = f"; the first {len(f.rows)} (result.front has all)" if f.front_size > len(f.rows) else ""
        body += _details(
            f"Pareto front ({plural(f.front_size, 'trial')}{more})",
            _table(["trial", *f.names, "parameters"], rows),
            open_=True,
        )
    if f.hypervolume:
        body += f"<p class='muted hpmagic-hypervolume'>{escape(f.hypervolume)}</p>"
    return body


def _counts(s: Summary) -> str:
    """``24 complete, 5 pruned``, each state with a dot of its plots' colour."""
    if not s.state_counts:
        return escape(s.counts)
    return ", ".join(
        f"<span class='hpmagic-state state-{escape(state)}' data-state='{escape(state)}'>{n} {escape(state)}</span>"
        for state, n in s.state_counts
    )


def _facts(s: Summary) -> str:
    """Under the headline: the direction, the trials by state and the time; why the counts do
    not add up to the budget, when they do not; the search's own error."""
    way = "" if s.headline.reason or not s.direction else f"{escape(s.direction)} "  # said already
    line = f"{way}{escape(s.metric)} · {escape(plural(s.trials, 'trial'))} ({_counts(s)}) in {escape(s.elapsed)}"
    if s.counts_note:
        line += f"<br><span class='hpmagic-counts-note'>{escape(s.counts_note)}</span>"
    error = f"<p class='loss'>error: {escape(s.error)}</p>" if s.error else ""
    return f"<p class='hpmagic-facts muted'>{line}</p>{error}"


def _params_table(s: Summary) -> str:
    """The best parameters against their defaults, and each one's search space."""
    if not s.param_rows:
        return ""
    rows = [[r.name, r.best, r.default, r.space] for r in s.param_rows]
    return _table(["parameter", "best", "default", "search space"], rows)


def _details(title: str, body: str, open_: bool = False) -> str:
    return f"<details{' open' if open_ else ''}><summary>{escape(title)}</summary>{body}</details>"


#: Where the strategies and how ``auto`` picks one are explained (the one link in the summary).
STRATEGIES_GUIDE = "https://github.com/hpmagic/hpmagic/blob/main/docs/guide/strategies.md"


def _how_it_ran(s: Summary) -> str:
    """The reasoning, one click away: the strategy and why, how the search stopped, early
    stopping and its rule, how each parameter was treated, the best estimate."""
    items = [f"strategy: {escape((s.strategy or '?') + s.strategy_detail)}"]
    if "picked by auto" in s.strategy_detail:
        items[0] += f" <span class='muted'>(<a href='{STRATEGIES_GUIDE}' target='_blank'>how auto picks</a>)</span>"
    items.append(f"stopped: {escape(s.stopped)}")
    if s.workers:
        items.append(f"workers: {escape(s.workers)}")
    if s.pruning is not None:
        items.append(f"<span class='state-pruned'>pruned</span>: {escape(s.pruning.text)}")
    if s.rule:
        items.append(f"early-stopping rule: {escape(s.rule)}")
    if s.param_rows:
        items.append(
            "search space, as the strategy treats it: "
            + "; ".join(f"{escape(r.name)}: {escape(r.treatment)}" for r in s.param_rows)
        )
    if s.estimate:
        items.append(f"estimate: {escape(s.estimate)}")
    return _details("How the search ran", "<ul>" + "".join(f"<li>{i}</li>" for i in items) + "</ul>")


def _notes(s: Summary) -> str:
    if not s.notes:
        return ""
    return _details(f"Notes ({len(s.notes)})", "<ul>" + "".join(f"<li>{escape(n)}</li>" for n in s.notes) + "</ul>")


def _warnings(s: Summary) -> str:
    """``12 warnings in 5 trials`` as the title, the count by category inside."""
    if not s.warnings:
        return ""
    title, _, kinds = s.warnings.partition(": ")
    return _details(
        title[0].upper() + title[1:],
        f"<p>{escape(kinds)} <span class='muted'>(each trial's in result.trials[i].warnings)</span></p>",
    )


def _top_table(s: Summary) -> str:
    if not s.top:
        return ""
    steps = any(t.last_step for t in s.top)  # a column for the last step when the trials reported
    spread = any(t.spread for t in s.top)  # the fold spread, and which trials are as good as the best
    rows = [
        [
            str(t.number),
            t.value,
            *([t.spread, "≈ best" if t.close else ""] if spread else []),
            t.duration,
            *([t.last_step] if steps else []),
            *t.cells,
            *t.metrics,
        ]
        for t in s.top
    ]
    header = [
        "trial",
        s.metric,
        *(["±", "vs best"] if spread else []),
        "time",
        *([f"last {s.step_name}"] if steps else []),
        *s.param_names,
        *s.metric_names,
    ]
    note = (
        (
            "<p class='muted'>≈ best: its mean fold score is within twice the standard error of the "
            "difference from the best's; the two cannot be told apart.</p>"
        )
        if any(t.close for t in s.top)
        else ""
    )
    first = openers(s.cards, [t.number for t in s.top])
    return _details(
        f"Top {plural(len(s.top), 'trial')}" if len(s.top) > 1 else "Top trial",
        _table(header, rows, first=first) + note,
    )


def _all_trials(s: Summary) -> str:
    """Every trial in a table one click away (sortable where scripts run)."""
    if not s.trial_rows:
        return ""
    spread = any(r.spread for r in s.trial_rows)
    rows = [
        [
            str(r.number),
            r.state,
            r.value,
            *([r.spread] if spread else []),
            r.duration,
            *r.cells,
            *r.metrics,
            str(r.warnings) if r.warnings else "",
            r.error,
        ]
        for r in s.trial_rows
    ]
    header = [
        "trial",
        "state",
        s.metric,
        *(["±"] if spread else []),
        "time",
        *s.param_names,
        *s.metric_names,
        "warnings",
        "error",
    ]
    cut = f" (the first {len(rows)}; result.to_dataframe() has all {s.trials})" if len(rows) < s.trials else ""
    title = f"All {plural(s.trials, 'trial')}" if s.trials > 1 else "The one trial"
    return _details(
        title + cut, _table(header, rows, sortable=True, first=openers(s.cards, [r.number for r in s.trial_rows]))
    )


def _failure(s: Summary) -> str:
    """The first failure's traceback; open when no trial completed (then it is the news)."""
    f = s.failure
    if f is None:
        return ""
    return _details(
        f"First failure (trial {f.number}, {f.params})", f"<pre>{escape(f.error)}</pre>", open_=s.headline.best is None
    )


def _img(png: bytes, alt: str) -> str:
    uri = base64.b64encode(png).decode("ascii")
    return f'<img class="hpmagic-plot" alt="{escape(alt)}" src="data:image/png;base64,{uri}"/>'


def plots_html(result: TuneResult) -> str:
    """The summary's plots as <img> tags with PNG data; empty when nothing completed.  The
    learning curves come second, when any trial reported points with ``hpmagic.report``."""
    from . import plots, response

    if not result.completed:
        return ""
    n = len(result.space)
    imgs = [
        _img(plots.render("history", result, width=5.6, height=3.2), "convergence"),
        _img(plots.render("importance", result, width=4.2, height=0.9 + 0.3 * max(n, 2)), "parameter importance"),
        # One image per parameter, so that they wrap in a narrow output instead of shrinking.
        *(
            _img(plots.render("slice", result, name, width=3.4, height=2.6), f"{result.metric} against {name}")
            for name in result.space.names
        ),
    ]
    if any(t.curve for t in result.trials):
        imgs.insert(1, _img(plots.render("curves", result, width=5.6, height=3.2), "learning curves"))
    if n >= 2:
        imgs.append(
            _img(plots.render("parallel", result, width=max(5.0, 1.5 * n + 1.5), height=3.2), "parallel coordinates")
        )
    imgs += [_img(png, alt) for png, alt in response.more_plots(result)]  # the response, the workers' timeline
    return "<div class='plots'>" + "".join(imgs) + "</div>" + _plots_caption(result)


def _plots_caption(result: TuneResult) -> str:
    """What the plots of the objective against the parameters drew, when most trials were
    pruned: ``27 pruned trials shown at their last report (▼) in ...`` (or why they were left out)."""
    from . import data

    points = data.points(result)
    if not points.caption:
        return ""
    where = (
        " (▼) in parameter importance, the slices and parallel coordinates (dashed): most trials were pruned, "
        "and the complete ones alone would say little"
        if points.pruned
        else ""
    )
    return f"<p class='muted hpmagic-caption'>{escape(points.caption + where)}.</p>"


def result_html(result: TuneResult, with_plots: bool = True, all_trials: int = ALL_TRIALS) -> str:
    """The whole summary of ``result`` as HTML, with its plots unless ``with_plots`` is false;
    its table of every trial holds the first ``all_trials`` (a saved report: all of them)."""
    s = summarize(result, all_trials=all_trials)
    plots = ""
    if with_plots:
        try:
            plots = plots_html(result)
        except Exception as exc:  # noqa: BLE001 - never let a plot hide the result
            plots = (
                f"<p class='muted'>(the plots could not be drawn: {escape(type(exc).__name__)}: {escape(str(exc))})</p>"
            )
    # A newcomer's order: the headline, the best parameters against the defaults, the plots;
    # the tables and the reasoning folded into <details> below them.
    return (
        f"{_CSS}<div class='hpmagic-result'>{_top(s)}{_facts(s)}{front_html(s.front, result, with_plots)}"
        f"{_params_table(s)}{plots}"
        f"{_top_table(s)}{_all_trials(s)}{_how_it_ran(s)}{_notes(s)}{_warnings(s)}{_failure(s)}</div>"
    )
