"""One progress line, redrawn in place with a carriage return (terminals and plain Python)."""

from __future__ import annotations

import sys
import time

from ..result import _fmt_params, _fmt_value

_WIDTH = 20


def _clock(seconds: float) -> str:
    minutes, sec = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{sec:02d}" if hours else f"{minutes}:{sec:02d}"


def progress_line(progress) -> str:
    """The status of a search in one line: bar, k/N, running, failed, best, time."""
    done = min(progress.finished, progress.total)
    filled = int(_WIDTH * done / progress.total) if progress.total else _WIDTH
    bar = "█" * filled + "░" * (_WIDTH - filled)
    return f"{bar} {status_text(progress)}"


def status_text(progress) -> str:
    """k/N, running, failed, best value and parameters, elapsed and remaining time."""
    done = min(progress.finished, progress.total)
    parts = [f"{done}/{progress.total} trials"]
    if progress.running and progress.status == "running":
        parts.append(f"{progress.running} running")
    if progress.failed:
        parts.append(f"{progress.failed} failed")
    if progress.best is not None:
        parts.append(f"best {_fmt_value(progress.best.value)} ({_fmt_params(progress.best.params)})")
    clock = _clock(progress.elapsed)
    left = progress.remaining_seconds
    if progress.status == "running" and left is not None:
        clock += f", ~{_clock(left)} left"
    parts.append(clock)
    if progress.status != "running":
        parts.append(progress.status)
    return " · ".join(parts)


class TextReporter:
    """Writes the progress line at most ``1 / min_interval`` times a second."""

    def __init__(self, stream=None, min_interval: float = 0.2, max_width: int = 160):
        self._stream = stream
        self.min_interval = min_interval
        self.max_width = max_width
        self._last = 0.0
        self._width = 0
        self.draws = 0

    def start(self, runner) -> None:
        self.stream = self._stream or sys.stdout
        self._last = 0.0

    def _draw(self, progress) -> None:
        line = progress_line(progress)
        if len(line) > self.max_width:
            line = line[: self.max_width - 1] + "…"
        pad = " " * max(self._width - len(line), 0)
        self._width = len(line)
        self.stream.write("\r" + line + pad)
        self.stream.flush()
        self.draws += 1

    def update(self, progress) -> None:
        now = time.monotonic()
        if now - self._last >= self.min_interval:
            self._last = now
            self._draw(progress)

    def close(self, progress, result) -> None:
        self._draw(progress)
        self.stream.write("\n")
        self.stream.flush()
