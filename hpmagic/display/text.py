"""Text forms: the result's summary (``repr(result)``) and one progress line, redrawn in place
with a carriage return (terminals and plain Python)."""

from __future__ import annotations

import contextvars
import dataclasses
import sys
import threading
import time
from typing import IO, TYPE_CHECKING

from .._format import fmt_clock, fmt_params, fmt_value, plural
from ..core import TrialState
from .front import FrontSection
from .summary import Headline, Summary, TopRow, Verdict, summarize

if TYPE_CHECKING:
    from ..protocols import Progress, SearchInfo
    from ..result import TuneResult

__all__ = [
    "result_text",
    "summary_text",
    "headline_text",
    "progress_line",
    "status_text",
    "running_text",
    "advanced",
    "TextReporter",
]

_WIDTH = 20

#: How many of the best trials the text summary lists.
TEXT_TOP_TRIALS = 5

_VERDICT_TEXT = {
    Verdict.BETTER: " better",
    Verdict.NOISE: ", not clearly better",
    Verdict.TIED: "the defaults were best",
    Verdict.WORSE: "",
}

#: Marks a top trial that cannot be told apart from the best (its fold scores overlap).
CLOSE_MARK = "≈ best"


# -- the result -----------------------------------------------------------------------------


def result_text(result: TuneResult) -> str:
    """The summary of ``result`` as text: what ``repr(result)`` shows."""
    return summary_text(summarize(result))


def headline_text(headline: Headline) -> str:
    """``best objective 0.04 (trial 7) vs defaults 0.09: +0.05 better (0.09 -> 0.04, lower is better)``."""
    if headline.best is None:
        return "no trial completed"
    spread = f" ± {headline.spread}" if headline.spread else ""
    text = f"best {headline.metric} {headline.best}{spread} (trial {headline.trial})"
    if headline.verdict is Verdict.DEFAULTS_FAILED:
        text += f" (the defaults failed: trial 0 {headline.baseline_state})"
    elif headline.verdict is not None:
        text += f" vs defaults {headline.baseline}: " + f"{headline.gain}{_VERDICT_TEXT[headline.verdict]}".lstrip(" ,")
    said = "; ".join(part for part in (headline.noise, headline.said_change) if part)
    return text + (f" ({said})" if said else "")


def summary_text(s: Summary) -> str:
    """A :class:`~.summary.Summary` as indented lines, in the HTML summary's order: the
    headline, the counts, the best parameters against their defaults and the top trials
    first; then the details (the strategy and why, how the search stopped, early stopping,
    how each parameter was treated, the best estimate, notes, warnings, the first failure),
    shortened: the strategy's reason to its first clause (and auto's switches), the rule to
    its first clause, without its settings."""
    f = s.front
    lines = [f"hpmagic: {f.headline if f is not None and f.headline else headline_text(s.headline)}"]
    if s.headline.reason:  # which way is better and why, in place of the bare direction
        lines += [
            f"  {s.headline.reason}",
            f"  {s.metric} over {plural(s.trials, 'trial')} ({s.counts}) in {s.elapsed}",
        ]
    else:
        way = f"{s.direction} " if s.direction else ""
        lines.append(f"  {way}{s.metric} over {plural(s.trials, 'trial')} ({s.counts}) in {s.elapsed}")
    if s.counts_note:
        lines.append(f"  {s.counts_note}")
    if s.error:
        lines.append(f"  error: {s.error}")
    lines += front_lines(f) if f is not None else []
    lines += _param_lines(s)
    if s.top and s.metric_names:
        lines.append(
            "  best trial's other metrics: "
            + ", ".join(f"{name} {value}" for name, value in zip(s.metric_names, s.top[0].metrics) if value)
        )
    if s.top:
        lines.append("  top trials:")
        lines += [_top_line(s, t) for t in s.top[:TEXT_TOP_TRIALS]]
    return "\n".join(lines + _detail_lines(s))


def front_lines(f: FrontSection) -> list[str]:
    """The goal, the constraints' outcome, the rule of the bound trial, the front as a table, the hypervolume."""
    lines = [f"  goal: {f.goal}"]
    if f.warning:
        lines.append(f"  warning: {f.warning}")
    if f.feasibility:
        lines.append(f"  constraints: {f.feasibility}")
    if f.rule:
        lines.append(f"  bound: {f.rule}")
    if f.rows:
        rows = [("trial", *f.names)] + [(f"{r.number}{' *' if r.picked else ''}", *r.values) for r in f.rows]
        widths = [max(len(row[j]) for row in rows) for j in range(len(rows[0]))]
        more = f" (the first {len(f.rows)}; result.front has all)" if f.front_size > len(f.rows) else ""
        lines.append(f"  Pareto front, {plural(f.front_size, 'trial')}{more}; * the trial bound:")
        lines += ["    " + "  ".join(cell.rjust(w) for cell, w in zip(row, widths)) for row in rows]
    if f.hypervolume:
        lines.append(f"  {f.hypervolume}")
    return lines


def _param_lines(s: Summary) -> list[str]:
    """The best parameters against their defaults, as an aligned table."""
    if not s.param_rows:
        return []
    rows = [("parameter", "best", "default", "search space")] + [
        (r.name, r.best, r.default, r.space) for r in s.param_rows
    ]
    widths = [max(len(row[j]) for row in rows) for j in range(3)]
    return ["  " + "  ".join(cell.ljust(w) for cell, w in zip(row, widths)) + "  " + row[3] for row in rows]


def _detail_lines(s: Summary) -> list[str]:
    lines = [f"  strategy: {s.strategy}{_short_reason(s.strategy_detail)}", f"  stopped: {s.stopped}"]
    if s.workers:
        lines.append(f"  workers: {s.workers}")
    if s.pruning is not None:
        rule = f" ({_first_clause(s.rule.split(' (', 1)[0])})" if s.rule else ""
        lines.append(f"  pruned: {s.pruning.text}{rule}")
    elif s.rule:
        lines.append(f"  early stopping: {_first_clause(s.rule.split(' (', 1)[0])}")
    if s.param_rows:
        lines.append("  search space: " + "; ".join(f"{r.name}: {r.treatment}" for r in s.param_rows))
    if s.estimate:
        lines.append(f"  estimate: {s.estimate}")
    lines += [f"  note: {note}" for note in s.notes]
    if s.warnings:
        lines.append(f"  warnings: {s.warnings}")
    if s.failure is not None:
        lines.append(f"  first failure (trial {s.failure.number}): {s.failure.last_line}")
    return lines


def _first_clause(text: str) -> str:
    """``text`` up to its first ``"; "``: the reason itself, not what follows it."""
    return text.split("; ", 1)[0]


def _short_reason(detail: str) -> str:
    """The strategy's reason up to its first ``"; "``, with any switch auto made kept (a fact,
    not a detail): ``(seed 0), picked by auto because ...; auto switched from gp to de at trial 30: ...``."""
    first, *rest = detail.split("; ")
    return "; ".join([first, *(clause for clause in rest if clause.startswith("auto switched"))])


def _top_line(s: Summary, t: TopRow) -> str:
    value = f"{t.value} ± {t.spread}" if t.spread else t.value
    line = (
        f"    #{t.number:<4} {value:>18}  {t.params}"
        if any(r.spread for r in s.top)
        else f"    #{t.number:<4} {value:>10}  {t.params}"
    )
    if t.last_step:
        line += f"  (last {s.step_name} {t.last_step})"
    return line + (f"  ({CLOSE_MARK})" if t.close else "")


# -- progress -------------------------------------------------------------------------------


def progress_line(progress: Progress) -> str:
    """The status of a search in one line: bar, k/N, pruned, running, failed, best, time."""
    done = min(progress.finished, progress.total)
    filled = int(_WIDTH * done / progress.total) if progress.total else _WIDTH
    bar = "█" * filled + "░" * (_WIDTH - filled)
    return f"{bar} {status_text(progress)}"


def status_text(progress: Progress) -> str:
    """k/N, pruned, running, failed, interrupted, best value and parameters, elapsed and
    remaining time: ``12/40 trials · 5 pruned · 2 running · best 0.97 (...) · 0:31, ~1:12 left``."""
    done = min(progress.finished, progress.total)
    parts = [f"{done}/{progress.total} trials"]
    pruned, interrupted = _ended(progress)
    if pruned:
        parts.append(f"{pruned} pruned")
    if progress.running and progress.status == "running":
        parts.append(running_text(progress))
    if progress.failed:
        parts.append(f"{progress.failed} failed")
    if interrupted:
        parts.append(f"{interrupted} interrupted")
    if progress.best is not None:
        parts.append(f"best {fmt_value(progress.best.value)} ({fmt_params(progress.best.params)})")
    clock = fmt_clock(progress.elapsed)
    left = progress.remaining_seconds
    if progress.status == "running" and left is not None:
        clock += f", ~{fmt_clock(left)} left"
    parts.append(clock)
    if progress.status != "running":
        parts.append(progress.status)
    return " · ".join(parts)


#: How many running trials the status line names, with how long each has run.
_RUNNING_NAMED = 3


def running_text(progress: Progress) -> str:
    """What runs: ``trial 0 (the defaults) running for 0:07``, ``2 running (trial 4 for 0:12,
    trial 5 for 0:03)``; ``2 running`` when the start times are not known."""
    since = sorted(progress.running_since.items())
    if not since:
        return f"{progress.running} running"

    def name(number: int) -> str:
        return "trial 0 (the defaults)" if number == 0 and progress.baseline else f"trial {number}"

    def ran(started: float) -> str:
        return fmt_clock(max(progress.elapsed - started, 0.0))

    if len(since) == 1:
        number, started = since[0]
        return f"{name(number)} running for {ran(started)}"
    named = ", ".join(f"{name(n)} for {ran(t)}" for n, t in since[:_RUNNING_NAMED])
    more = ", …" if len(since) > _RUNNING_NAMED else ""
    return f"{len(since)} running ({named}{more})"


def _ended(progress: Progress) -> tuple[int, int]:
    """How many of the finished trials were pruned, and interrupted (``Progress`` counts only
    the failed ones)."""
    pruned = interrupted = 0
    for t in progress.trials:
        if t.state is TrialState.PRUNED:
            pruned += 1
        elif t.state is TrialState.INTERRUPTED:
            interrupted += 1
    return pruned, interrupted


def advanced(progress: Progress, seconds: float) -> Progress:
    """A copy of the runner's ``progress`` with its clock moved on by ``seconds`` (what a timer
    shows between the runner's updates; a copy, since the runner goes on changing its own)."""
    return dataclasses.replace(
        progress,
        elapsed=progress.elapsed + max(seconds, 0.0),
        trials=list(progress.trials),
        running_since=dict(progress.running_since),
        running_curves=dict(progress.running_curves),
    )


class TextReporter:
    """Writes the progress line at most ``1 / min_interval`` times a second.

    On a terminal (a stream whose ``isatty()`` is true) a daemon timer also redraws it every
    ``tick`` seconds between the runner's updates, so elapsed time, time left and how long the
    running trials have run move on during a slow trial, and a change that came too soon is
    drawn once ``min_interval`` has passed.  Into a file or a pipe (a log) the line is drawn on
    changes only: a timer would fill the log with the same line.  ``tick=None`` turns it off.
    """

    def __init__(
        self, stream: IO[str] | None = None, min_interval: float = 0.2, max_width: int = 160, tick: float | None = 1.0
    ):
        self._stream = stream
        self.stream: IO[str] = stream or sys.stdout
        self.min_interval = min_interval
        self.max_width = max_width
        self.tick = tick
        self._last = 0.0
        self._width = 0
        self.draws = 0
        self._timer: threading.Thread | None = None
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._progress: Progress | None = None
        self._seen = 0.0
        self._pending = False

    def start(self, info: SearchInfo) -> None:
        # sys.stdout is read now, not at construction: IPython and pytest swap it per cell.
        """Start the line for a search of ``info`` on the current ``sys.stdout``, and the timer that redraws it."""
        self.stream = self._stream or sys.stdout
        self._last = 0.0
        self._stop = threading.Event()
        self._progress, self._pending = None, False
        isatty = getattr(self.stream, "isatty", None)
        if self.tick is not None and callable(isatty) and isatty():
            run = contextvars.copy_context().run
            self._timer = threading.Thread(target=run, args=(self._tick_loop,), name="hpmagic-line", daemon=True)
            self._timer.start()

    def _draw(self, progress: Progress) -> None:
        line = progress_line(progress)
        if len(line) > self.max_width:
            line = line[: self.max_width - 1] + "…"
        pad = " " * max(self._width - len(line), 0)
        self._width = len(line)
        self.stream.write("\r" + line + pad)
        self.stream.flush()
        self.draws += 1

    def update(self, progress: Progress) -> None:
        """Redraw the line with ``progress`` (at most every ``min_interval`` seconds; the timer draws what waits)."""
        now = time.monotonic()
        with self._lock:
            self._progress, self._seen = progress, now
            if now - self._last >= self.min_interval:
                self._last, self._pending = now, False
                self._draw(progress)
            else:
                self._pending = True

    def _tick_loop(self) -> None:
        assert self.tick is not None
        while True:
            with self._lock:
                wait = (self.min_interval if self._pending else self.tick) - (time.monotonic() - self._last)
            if self._stop.wait(max(wait, 0.01)):
                return
            with self._lock:
                now = time.monotonic()
                if self._stop.is_set() or self._progress is None or now - self._last < self.min_interval:
                    continue
                self._last, self._pending = now, False
                self._draw(advanced(self._progress, now - self._seen))

    def close(self, progress: Progress, result: TuneResult | None) -> None:
        """Stop the timer and draw the final line."""
        self._stop.set()
        if self._timer is not None:
            self._timer.join(timeout=10)
        with self._lock:
            self._draw(progress)
            self.stream.write("\n")
            self.stream.flush()
