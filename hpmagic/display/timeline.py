"""The workers' timeline: where and when each trial of a parallel search ran.

A trial of ``--jobs`` or ``--executor`` records the worker that ran it (``Trial.worker``:
``"pid 4242"``, ``"host pid 4242"`` on an engine).  :func:`timeline` lays the trials out as
one row per worker (a worker running several trials at once, the threads of a Dask worker,
gets one row per trial it ran at the same time: ``host pid 4242 #2``), each trial a bar from
its start to its end; :func:`plot_timeline` draws it, each bar in its state's colour
(:mod:`.palette`).  :func:`busy_text` is the summary's sentence on how busy the workers
were: the share of the rows' time spent running trials, the idle time in all, and the
straggler, the trial that ran on alone at the end while the other workers waited.

A search in the kernel (no worker recorded) has no timeline, nor has a stored study
(stores do not keep the worker): :func:`timeline` returns ``None`` and the summary says nothing.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .._format import fmt_seconds, plural
from ..core import Trial, TrialState
from . import palette

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from ..result import TuneResult

__all__ = ["Bar", "Row", "Timeline", "timeline", "busy_text", "plot_timeline", "STRAGGLER_SHARE"]

#: A last trial that runs alone for at least this share of the search's span is named a straggler.
STRAGGLER_SHARE = 0.1


@dataclass(frozen=True)
class Bar:
    """One trial on the timeline: seconds since the first trial started."""

    number: int
    start: float
    end: float
    state: TrialState


@dataclass(frozen=True)
class Row:
    """One worker (or one of its concurrent slots) and its trials, in start order."""

    label: str
    bars: tuple[Bar, ...]

    @property
    def busy(self) -> float:
        """Seconds this worker spent running trials."""
        return sum(b.end - b.start for b in self.bars)


@dataclass(frozen=True)
class Timeline:
    """The rows, the span from the first start to the last end, and the straggler (or ``None``)."""

    rows: tuple[Row, ...]
    span: float
    straggler: Bar | None
    alone: float  # how long the straggler ran after every other row had finished

    @property
    def busy(self) -> float:
        """The share of the rows' time spent running trials (0 to 1)."""
        total = self.span * len(self.rows)
        return sum(r.busy for r in self.rows) / total if total > 0 else 1.0

    @property
    def idle(self) -> float:
        """Seconds the rows spent without a trial, in all."""
        return max(0.0, self.span * len(self.rows) - sum(r.busy for r in self.rows))


def _lanes(trials: list[Trial], t0: float) -> list[list[Bar]]:
    """The trials of one worker as lanes: a trial goes to the first lane free when it starts."""
    lanes: list[list[Bar]] = []
    for t in sorted(trials, key=lambda t: (t.started, t.number)):
        bar = Bar(t.number, t.started - t0, t.started - t0 + max(t.duration, 0.0), t.state)
        lane = next((lane for lane in lanes if lane[-1].end <= bar.start + 1e-6), None)
        if lane is None:
            lanes.append([bar])
        else:
            lane.append(bar)
    return lanes


def timeline(result: TuneResult) -> Timeline | None:
    """The workers' timeline of ``result``, or ``None`` when no trial recorded its worker."""
    placed = [t for t in result.trials if getattr(t, "worker", "") and t.started > 0 and t.state.finished]
    if not placed:
        return None
    t0 = min(t.started for t in placed)
    by: dict[str, list[Trial]] = {}
    for t in sorted(placed, key=lambda t: t.started):  # workers in the order they first ran a trial
        by.setdefault(t.worker, []).append(t)
    rows: list[Row] = []
    for i, (worker, trials) in enumerate(by.items(), start=1):
        lanes = _lanes(trials, t0)
        for j, lane in enumerate(lanes, start=1):
            suffix = f" #{j}" if len(lanes) > 1 else ""
            rows.append(Row(f"worker {i} ({worker}){suffix}", tuple(lane)))
    span = max(b.end for r in rows for b in r.bars)
    ends = sorted((r.bars[-1] for r in rows), key=lambda b: b.end)
    last, alone = ends[-1], 0.0
    if len(rows) > 1:
        alone = last.end - max(ends[-2].end, last.start)
    straggler = last if len(rows) > 1 and alone >= STRAGGLER_SHARE * span and alone > 0 else None
    return Timeline(tuple(rows), span, straggler, alone if straggler else 0.0)


def busy_text(result: TuneResult) -> str:
    """``2 workers busy 87% of 12.3 s (idle 3.2 s in all); straggler: trial 9 (4.1 s, 3.0x the
    median trial) ran 2.0 s alone at the end``; ``""`` without a timeline."""
    tl = timeline(result)
    if tl is None:
        return ""
    text = (
        f"{plural(len(tl.rows), 'worker')} busy {round(100 * tl.busy)}% of {fmt_seconds(tl.span)} "
        f"(idle {fmt_seconds(tl.idle)} in all)"
    )
    if tl.straggler is not None:
        s = tl.straggler
        durations = [b.end - b.start for r in tl.rows for b in r.bars]
        median = statistics.median(durations)
        times = f", {(s.end - s.start) / median:.1f}x the median trial" if median > 0 else ""
        text += (
            f"; straggler: trial {s.number} ({fmt_seconds(s.end - s.start)}{times}) ran "
            f"{fmt_seconds(tl.alone)} alone at the end"
        )
    return text


def plot_timeline(result: TuneResult, ax: Axes | None = None) -> Axes:
    """One row per worker, each trial a bar from its start to its end in its state's colour;
    the straggler outlined.  A result without workers (a search in the kernel, a stored
    study) gets an empty plot that says so."""
    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots(figsize=(6.0, 1.2 + 0.3 * _row_count(result)), layout="constrained")
    tl = timeline(result)
    if tl is None:
        ax.text(
            0.5,
            0.5,
            "no worker recorded: trials ran in the kernel, or came from a study",
            ha="center",
            va="center",
            transform=ax.transAxes,
            fontsize="small",
        )
        ax.set_axis_off()
        return ax
    rows = len(tl.rows)
    seen: set[TrialState] = set()
    for y, row in enumerate(tl.rows):
        for state in TrialState:
            spans = [(b.start, b.end - b.start) for b in row.bars if b.state is state]
            if spans:
                st = palette.style(state)
                ax.broken_barh(
                    spans,
                    (rows - 1 - y - 0.35, 0.7),
                    facecolors=st.colour,
                    edgecolor="white",
                    linewidth=0.5 if len(row.bars) < 200 else 0.0,
                    label=None if state in seen else st.label,
                )
                seen.add(state)
    if tl.straggler is not None:
        s = tl.straggler
        y = next(rows - 1 - i for i, r in enumerate(tl.rows) if s in r.bars)
        ax.broken_barh(
            [(s.start, s.end - s.start)],
            (y - 0.45, 0.9),
            facecolors="none",
            edgecolor=palette.BEST,
            linewidth=1.5,
            label="straggler",
        )
    ax.set_yticks(range(rows), [r.label for r in reversed(tl.rows)], fontsize="small")
    ax.set_ylim(-0.6, rows - 0.4)
    ax.set_xlim(0, tl.span * 1.01 if tl.span > 0 else 1)
    ax.set_xlabel("seconds since the first trial started")
    ax.set_title(f"workers busy {round(100 * tl.busy)}%", fontsize="small", loc="left")
    ax.legend(fontsize="x-small", loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False)
    return ax


def _row_count(result: TuneResult) -> int:
    tl = timeline(result)
    return 1 if tl is None else len(tl.rows)


def render(result: TuneResult, dpi: int = 80) -> bytes:
    """The timeline as PNG bytes, sized to its rows (for the HTML summary and the report)."""
    from .plots import figure, png

    rows = _row_count(result)
    fig = figure(6.4, 1.1 + 0.28 * min(rows, 40), dpi)
    plot_timeline(result, ax=fig.add_subplot())
    return png(fig)
