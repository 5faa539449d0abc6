"""How a :class:`~.compare.Comparison` shows itself: HTML (both convergence plots as PNG, by
trial and by time, the table of the searches, the verdicts and the differences) and text.

The plots are drawn like the summary's (bare Agg figures, inverted in a dark theme); each
search is one line of the best so far, in its own colour and line style (told apart without
colour too); repeats of one setting with other seeds share a colour.
"""

from __future__ import annotations

from html import escape
from typing import TYPE_CHECKING, Any

import numpy as np

from .._format import fmt_value
from ..core import TrialState
from .html import CARD_CSS

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from .compare import Comparison

__all__ = ["comparison_html", "comparison_text", "plot_convergence", "best_so_far"]

# Colours with 3:1 contrast on white and on near-black (as the palette's), then line styles.
_COLOURS = ("#3b7dd8", "#e07020", "#a066c8", "#2a9d8f", "#e0443c", "#8a8a8a")
_STYLES = ("-", "--", ":", "-.")


def best_so_far(result: Any, by: str) -> tuple[np.ndarray, np.ndarray]:
    """The best value so far after each complete trial: x is the trial number, or (``by="time"``)
    seconds from the search's first start to the trial's end."""
    done = [t for t in result.trials if t.state is TrialState.COMPLETE and t.value is not None]
    if not done:
        return np.array([]), np.array([])
    if by == "time":
        starts = [t.started for t in result.trials if t.started]
        t0 = min(starts) if starts else 0.0
        ends = [t.started + t.duration - t0 if t.started else t.duration for t in done]
        order = np.argsort(ends, kind="stable")
        xs = np.asarray(ends, dtype=float)[order]
    else:
        order = np.argsort([t.number for t in done], kind="stable")
        xs = np.asarray([t.number for t in done], dtype=float)[order]
    values = np.asarray([float(t.value) for t in done])[order]
    best = np.maximum.accumulate(values) if result.maximize else np.minimum.accumulate(values)
    return xs, best


def plot_convergence(c: Comparison, by: str = "trial", ax: Axes | None = None) -> Axes:
    """Each search's best so far on one axis, ``by`` trial or ``"time"``."""
    if by not in ("trial", "time"):
        from ..errors import OptionError

        raise OptionError(f"plot(by={by!r}): by is 'trial' or 'time'")
    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots(figsize=(6.0, 3.5), layout="constrained")
    named: set[str] = set()
    for i, e in enumerate(c.entries):
        xs, best = best_so_far(e.result, by)
        if len(xs):
            label = "_" if e.label in named else e.label  # repeats of one label: one legend entry
            named.add(e.label)
            ax.step(
                xs,
                best,
                where="post",
                color=_COLOURS[e.setting % len(_COLOURS)],
                ls=_STYLES[i % len(_STYLES)],
                lw=1.8,
                label=label,
            )
    ax.set_xlabel("trial" if by == "trial" else "seconds since the search started")
    better = "higher is better" if c.direction.maximize else "lower is better"
    ax.set_ylabel(f"best {c.metric} so far ({better})", fontsize="small")
    ax.legend(fontsize="x-small")
    return ax


def _plots(c: Comparison) -> str:
    import base64

    from .plots import figure, png

    out = []
    for by, alt in (("trial", "best so far by trial"), ("time", "best so far by time")):
        fig = figure(5.2, 3.2)
        plot_convergence(c, by=by, ax=fig.add_subplot())
        data = base64.b64encode(png(fig)).decode("ascii")
        out.append(f'<img class="hpmagic-plot" alt="{escape(alt)}" src="data:image/png;base64,{data}"/>')
    return "<div class='plots'>" + "".join(out) + "</div>"


def _rows(c: Comparison) -> list[list[str]]:
    rows = []
    for e in c.entries:
        r = e.result
        best = r.best_trial
        counts = ", ".join(f"{n} {s}" for s, n in r.counts().items() if n)
        rows.append(
            [
                e.label,
                r.strategy or "?",
                "" if r.seed is None else str(r.seed),
                f"{len(r.trials)} ({counts})",
                "" if best is None else fmt_value(best.value),
                e.spread(),
                "" if best is None else str(best.number),
            ]
        )
    return rows


_HEADER = ["search", "strategy", "seed", "trials", "best", "spread of the best", "best trial"]


def comparison_html(c: Comparison) -> str:
    """The comparison as HTML (see the module docstring)."""
    try:
        plots = _plots(c)
    except Exception as exc:  # noqa: BLE001 - never let a plot hide the comparison
        plots = f"<p class='muted'>(the plots could not be drawn: {escape(type(exc).__name__)}: {escape(str(exc))})</p>"
    head = "".join(f"<th style='text-align:left'>{escape(h)}</th>" for h in _HEADER)
    body = "".join("<tr>" + "".join(f"<td>{escape(x)}</td>" for x in row) + "</tr>" for row in _rows(c))
    table = (
        f"<div class='scroll' style='overflow-x:auto;max-width:100%'><table><thead><tr>{head}</tr></thead>"
        f"<tbody>{body}</tbody></table></div>"
    )
    verdicts = "".join(
        f"<li><b class='{'gain' if v.beyond_noise else 'muted'}'>{escape(v.text)}</b> "
        f"<span class='muted'>({escape(v.test)})</span></li>"
        for v in c.verdicts
    )
    groups = "".join(f"<li>{escape(g.text)}</li>" for g in c.groups if g.text)
    diffs = "".join(f"<li>{escape(d)}</li>" for d in c.differences) or "<li>nothing but the runs themselves</li>"
    title = f"{len(c.entries)} searches of {c.metric} compared"
    return (
        f"{CARD_CSS}<div class='hpmagic-result hpmagic-compare'><h4>{escape(title)}</h4>"
        f"<ul class='hpmagic-verdicts'>{verdicts}{groups}</ul>{table}{plots}"
        f"<details open><summary>What differed</summary><ul>{diffs}</ul></details></div>"
    )


def comparison_text(c: Comparison) -> str:
    """The comparison as indented lines."""
    lines = [f"hpmagic: {len(c.entries)} searches of {c.metric} compared"]
    lines += [f"  {v.text} ({v.test})" for v in c.verdicts]
    lines += [f"  {g.text}" for g in c.groups if g.text]
    rows = [_HEADER] + _rows(c)
    widths = [max(len(r[j]) for r in rows) for j in range(len(_HEADER))]
    lines += ["  " + "  ".join(x.ljust(w) for x, w in zip(r, widths)).rstrip() for r in rows]
    lines += ["  what differed:"] + [f"    {d}" for d in c.differences or ["nothing but the runs themselves"]]
    return "\n".join(lines)
