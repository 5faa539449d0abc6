"""One trial up close: its parameters, value, folds, curve, captured output, warnings and error.

:func:`card` turns a :class:`~hpmagic.core.Trial` into a :class:`Card`, plain strings already
formatted (the same facts for both forms); :func:`card_html` renders it as HTML and
:func:`card_text` as indented lines.  The HTML summary folds a card into the trial number's
cell of each row of its tables (a ``<details>``: no script, so it opens in a saved notebook,
on GitHub, nbviewer and in a saved report alike); ``result.trials[i]`` shows the same card in
a notebook (:func:`.trialshow.register` adds the formatters to IPython, for ``%load_ext hpmagic`` and for
the first result shown).

What a card holds is capped, so that a summary of 1,000 rows stays small: the last
:data:`OUTPUT_CHARS` characters of stdout and of stderr, the first :data:`WARNINGS` warnings,
the last :data:`ERROR_CHARS` characters of a traceback, and a curve of at most
:data:`CURVE_POINTS` points (evenly thinned; the first, the last and the best always kept),
drawn as an inline SVG line with its numbers also said in words (a front end that drops SVG
from an untrusted output still shows them).  ``result.trials[i]`` itself keeps everything.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from html import escape
from typing import TYPE_CHECKING

from .._format import fmt_seconds, fmt_value, plural
from ..cell.report import FOLD
from ..core import Trial, TrialState
from . import palette

if TYPE_CHECKING:
    from ..result import TuneResult

__all__ = [
    "Card",
    "card",
    "cards_for",
    "openers",
    "card_html",
    "card_text",
    "curve_svg",
    "CARDS",
    "OUTPUT_CHARS",
    "WARNINGS",
    "ERROR_CHARS",
    "CURVE_POINTS",
]

OUTPUT_CHARS = 1500
WARNINGS = 10
ERROR_CHARS = 3000
CURVE_POINTS = 60
#: How many rows of the table of every trial open to their trial up close (each adds about a kilobyte).
CARDS = 1000


@dataclass(frozen=True)
class Card:
    """A trial's facts, formatted: ``title`` is ``trial 12 · complete · 0.934 · 4.2 s``."""

    number: int
    state: str
    title: str
    params: tuple[tuple[str, str], ...]
    metrics: tuple[tuple[str, str], ...]
    curve: tuple[tuple[float, float], ...]  # thinned to CURVE_POINTS
    curve_text: str  # "27 steps reported: first 0.52 (step 1), best ..., last ..." or "fold scores: ..."
    stdout: str
    stderr: str
    warnings: tuple[str, ...]
    error: str
    where: str  # "ran on pid 4242, started 14:03:12", or ""


def _tail(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    return f"... ({len(text) - limit:,} earlier characters cut; result.trials[i] has them all)\n" + text[-limit:]


def _thin(curve: tuple[tuple[float, float], ...]) -> tuple[tuple[float, float], ...]:
    """At most CURVE_POINTS points, evenly spaced, keeping the first, the last, the lowest and the highest."""
    if len(curve) <= CURVE_POINTS:
        return curve
    ends = {min(range(len(curve)), key=lambda i: curve[i][1]), max(range(len(curve)), key=lambda i: curve[i][1])}
    keep = {round(i * (len(curve) - 1) / (CURVE_POINTS - 3)) for i in range(CURVE_POINTS - 2)} | ends
    return tuple(curve[i] for i in sorted(keep))


def _step(x: float) -> str:
    return fmt_value(int(x) if float(x).is_integer() else x)


def _curve_text(trial: Trial, maximize: bool | None) -> str:
    """What the curve says in words; ``maximize`` is ``None`` when the direction is unknown
    (a trial shown on its own): then its lowest and highest points rather than its best."""
    curve = trial.curve
    if not curve:
        return ""
    if trial.pruning.get("kind") == FOLD:
        return "fold scores: " + ", ".join(fmt_value(v) for _, v in curve)

    def point(p: tuple[float, float]) -> str:
        return f"{fmt_value(p[1])} (step {_step(p[0])})"

    low, high = min(curve, key=lambda p: p[1]), max(curve, key=lambda p: p[1])
    extremes = (
        f"lowest {point(low)}, highest {point(high)}"
        if maximize is None
        else f"best {point(high if maximize else low)}"
    )
    return f"{plural(len(curve), 'step')} reported: first {point(curve[0])}, {extremes}, last {point(curve[-1])}"


def card(trial: Trial, result: TuneResult | None = None) -> Card:
    """The facts of ``trial`` (with ``result``: all the space's parameters, inactive ones said,
    its direction for the best point and its metric's name)."""
    maximize = None if result is None else bool(result.maximize)
    metric = result.metric if result is not None else "value"
    if result is not None:
        params = tuple(
            (p.name, fmt_value(trial.params[p.name]) if p.name in trial.params else "(inactive)") for p in result.space
        )
    else:
        params = tuple((k, fmt_value(v)) for k, v in trial.params.items())
    value = "" if trial.value is None else f" · {metric} {fmt_value(trial.value)}"
    title = f"trial {trial.number} · {trial.state.value}{value} · {fmt_seconds(trial.duration)}"
    where = []
    if getattr(trial, "worker", ""):
        where.append(f"ran on {trial.worker}")
    if trial.started:
        import time

        where.append("started " + time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(trial.started)))
    metrics = dict(trial.metrics)
    found = None if result is None else result.spread(trial)
    if found is not None:  # the fold spread as the summary reads it: rounding left in it shows as 0
        metrics[result.fold_keys(trial)[0]] = found[0]  # type: ignore[union-attr, index]
    return Card(
        trial.number,
        trial.state.value,
        title,
        params,
        tuple((k, fmt_value(v)) for k, v in metrics.items()),
        _thin(trial.curve),
        _curve_text(trial, maximize),
        _tail(trial.stdout, OUTPUT_CHARS),
        _tail(trial.stderr, OUTPUT_CHARS),
        tuple(trial.warnings[:WARNINGS])
        + ((f"... and {len(trial.warnings) - WARNINGS} more",) if len(trial.warnings) > WARNINGS else ()),
        _tail(trial.error.rstrip(), ERROR_CHARS),
        ", ".join(where),
    )


def cards_for(result: TuneResult, top: int, all_trials: int) -> tuple[Card, ...]:
    """The cards of the trials a summary's tables show: its ``top`` best, the first rows of every trial."""
    shown = {t.number: t for t in sorted(result.trials, key=lambda t: t.number)[: min(all_trials, CARDS)]}
    shown.update((t.number, t) for t in result.top(top))
    return tuple(card(t, result) for t in shown.values())


def openers(cards: tuple[Card, ...], numbers: list[int]) -> list[str]:
    """Each row's trial number as a ``<details>`` that opens to its card ("" without a card)."""
    by = {c.number: c for c in cards}
    return [
        f"<details class='hpmagic-open' style='margin:0'><summary style='font-weight:normal'>{n}</summary>"
        f"{card_html(by[n])}</details>"
        if n in by
        else ""
        for n in numbers
    ]


def curve_svg(points: tuple[tuple[float, float], ...], state: str, width: int = 220, height: int = 56) -> str:
    """A small line of ``points`` as inline SVG, in the colour of ``state``; each point's
    ``<title>`` says its step and value (a tooltip where the SVG is shown)."""
    finite = [(x, y) for x, y in points if math.isfinite(x) and math.isfinite(y)]
    if len(finite) < 2:
        return ""
    xs, ys = [p[0] for p in finite], [p[1] for p in finite]
    x0, x1, y0, y1 = min(xs), max(xs), min(ys), max(ys)
    pad = 4

    def at(x: float, y: float) -> tuple[float, float]:
        px = pad + (x - x0) / ((x1 - x0) or 1) * (width - 2 * pad)
        py = height - pad - (y - y0) / ((y1 - y0) or 1) * (height - 2 * pad)
        return round(px, 1), round(py, 1)

    colour = palette.style(state).colour
    line = " ".join(f"{px},{py}" for px, py in (at(x, y) for x, y in finite))
    dots = "".join(
        f"<circle cx='{px}' cy='{py}' r='2' fill='{colour}'><title>step {_step(x)}: {escape(fmt_value(y))}"
        f"</title></circle>"
        for (x, y), (px, py) in ((p, at(*p)) for p in finite)
    )
    return (
        f"<svg class='hpmagic-curve' width='{width}' height='{height}' viewBox='0 0 {width} {height}' role='img' "
        f"aria-label='learning curve'><polyline points='{line}' fill='none' stroke='{colour}' stroke-width='1.5'/>"
        f"{dots}</svg>"
    )


def _pairs(rows: tuple[tuple[str, str], ...]) -> str:
    return "".join(
        f"<tr class='kv'><th style='text-align:left'>{escape(k)}</th><td style='text-align:right'>{escape(v)}</td></tr>"
        for k, v in rows
    )


def _pre(label: str, text: str, cls: str = "") -> str:
    if not text:
        return ""
    return (
        f"<div class='muted'>{escape(label)}</div><pre class='{cls}' style='white-space:pre-wrap;font-size:12px;"
        f"overflow-wrap:anywhere;max-height:16em;overflow-y:auto;margin:0.2em 0'>{escape(text)}</pre>"
    )


def card_html(c: Card) -> str:
    """The card as HTML: a box that wraps in a narrow output (no fixed width)."""
    parts = [f"<div class='hpmagic-trial-title'><b>{escape(c.title)}</b></div>"]
    if c.where:
        parts.append(f"<div class='muted'>{escape(c.where)}</div>")
    parts.append(f"<table class='kv' style='margin:0.2em 0'>{_pairs(c.params)}{_pairs(c.metrics)}</table>")
    if c.curve_text:
        parts.append(curve_svg(c.curve, c.state) + f"<div class='muted'>{escape(c.curve_text)}</div>")
    parts.append(_pre("stdout", c.stdout))
    parts.append(_pre("stderr", c.stderr))
    if c.warnings:
        parts.append(
            "<div class='muted'>warnings</div><ul>" + "".join(f"<li>{escape(w)}</li>" for w in c.warnings) + "</ul>"
        )
    label = "why it was stopped" if c.state == TrialState.PRUNED.value else "error"
    parts.append(_pre(label, c.error, "loss" if c.state == TrialState.FAILED.value else ""))
    return (
        f"<div class='hpmagic-trial' data-trial='{c.number}' style='white-space:normal;width:30em;"
        f"max-width:85vw;text-align:left;padding:0.3em 0'>{''.join(parts)}</div>"
    )


def card_text(c: Card) -> str:
    """The card as indented lines (a terminal, ``print``)."""
    lines = [c.title] + ([f"  {c.where}"] if c.where else [])
    lines += [f"  {k} = {v}" for k, v in c.params]
    lines += [f"  {k}: {v}" for k, v in c.metrics]
    if c.curve_text:
        lines.append(f"  {c.curve_text}")
    for label, text in (("stdout", c.stdout), ("stderr", c.stderr)):
        if text:
            lines.append(f"  {label}:")
            lines += [f"    {line}" for line in text.rstrip().splitlines()]
    lines += [f"  warning: {w}" for w in c.warnings]
    if c.error:
        lines.append("  why it was stopped:" if c.state == TrialState.PRUNED.value else "  error:")
        lines += [f"    {line}" for line in c.error.splitlines()]
    return "\n".join(lines)
