"""Trial records and the result of a search.

A :class:`Trial` is immutable: the runner makes a new record when a trial starts and
another when it ends.  :class:`TuneResult` is what ``%%tune`` returns; it shows itself as
text in a terminal and as HTML in a notebook, and ``to_dataframe()`` gives a table with
``param_<name>`` columns in the manner of scikit-learn's ``cv_results_``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .space import SearchSpace

__all__ = ["Trial", "TrialState", "TuneResult"]


from .core import Trial, TrialState  # noqa: E402  (re-exported; being reorganised)


def _fmt_value(value: Any) -> str:
    if isinstance(value, float):
        if value != 0 and (abs(value) < 1e-3 or abs(value) >= 1e5):
            return f"{value:.4g}"
        return f"{value:.4f}".rstrip("0").rstrip(".") if abs(value) < 1e5 else f"{value:.4g}"
    return repr(value)


def _fmt_params(params: dict[str, Any]) -> str:
    return ", ".join(f"{k}={_fmt_value(v)}" for k, v in params.items()) or "(no parameters)"


def _fmt_seconds(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, sec = divmod(int(round(seconds)), 60)
    if minutes < 60:
        return f"{minutes} min {sec:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


@dataclass(frozen=True)
class TuneResult:
    """The outcome of a search: every trial, the best one, and how the search went."""

    trials: tuple[Trial, ...]
    space: SearchSpace
    direction: str = "minimize"
    metric: str = "objective"
    strategy: str = ""
    strategy_reason: str = ""
    seed: int | None = None
    elapsed: float = 0.0
    stop_reason: str = "budget"
    budget: int = 0
    notes: tuple[str, ...] = ()
    study: str | None = None
    has_baseline: bool = True
    error: str = ""  # why the search stopped early, when stop_reason is "error"

    # -- the best trial ---------------------------------------------------------------

    @property
    def maximize(self) -> bool:
        return self.direction == "maximize"

    @property
    def completed(self) -> list[Trial]:
        return [t for t in self.trials if t.state is TrialState.COMPLETE]

    def _better(self, a: float, b: float) -> bool:
        return a > b if self.maximize else a < b

    @property
    def best_trial(self) -> Trial | None:
        best = None
        for t in self.completed:
            if best is None or self._better(t.value, best.value):  # type: ignore[arg-type]
                best = t
        return best

    @property
    def best_value(self) -> float | None:
        best = self.best_trial
        return None if best is None else best.value

    @property
    def best_params(self) -> dict[str, Any] | None:
        best = self.best_trial
        return None if best is None else dict(best.params)

    @property
    def baseline(self) -> Trial | None:
        """Trial 0, which ran the cell's own defaults (``None`` with ``--no-baseline``)."""
        if not self.has_baseline:
            return None
        return next((t for t in self.trials if t.number == 0), None)

    @property
    def interrupted(self) -> bool:
        return self.stop_reason == "interrupted"

    def counts(self) -> dict[str, int]:
        out = {state.value: 0 for state in TrialState}
        for t in self.trials:
            out[t.state.value] += 1
        return out

    def values_to_apply(self) -> dict[str, Any]:
        """Every tuned name with the value the best trial gave it (the default where inactive)."""
        best = self.best_trial
        if best is None:
            return {}
        return {p.name: best.params.get(p.name, p.default) for p in self.space}

    def gain(self) -> float | None:
        """How much the best value improves on the defaults (positive is better)."""
        base, best = self.baseline, self.best_trial
        if base is None or best is None or base.value is None or best.value is None:
            return None
        return best.value - base.value if self.maximize else base.value - best.value

    # -- tables -----------------------------------------------------------------------

    def to_dataframe(self):
        """One row per trial: ``number``, ``state``, ``value``, ``duration``, ``param_<name>``
        (missing where a conditional parameter was inactive), ``metric_<name>`` and ``error``."""
        import pandas as pd

        rows = []
        for t in self.trials:
            row: dict[str, Any] = {"number": t.number, "state": t.state.value, "value": t.value, "duration": t.duration}
            for p in self.space:
                row[f"param_{p.name}"] = t.params.get(p.name)
            for key, value in t.metrics.items():
                row[f"metric_{key}"] = value
            row["error"] = t.error.strip().splitlines()[-1] if t.error else ""
            rows.append(row)
        columns = ["number", "state", "value", "duration"] + [f"param_{p.name}" for p in self.space]
        frame = pd.DataFrame(rows, columns=columns + sorted({c for r in rows for c in r} - set(columns) - {"error"}) + ["error"])
        return frame.set_index("number")

    def top(self, k: int = 5) -> list[Trial]:
        return sorted(self.completed, key=lambda t: t.value, reverse=self.maximize)[:k]  # type: ignore[arg-type,return-value]

    # -- text -------------------------------------------------------------------------

    def headline(self) -> str:
        best = self.best_trial
        if best is None:
            return "no trial completed"
        text = f"best {self.metric} {_fmt_value(best.value)} (trial {best.number})"
        base = self.baseline
        if base is not None and base.value is not None:
            gain = self.gain()
            sign = "+" if gain >= 0 else "-"  # type: ignore[operator]
            text += f" vs defaults {_fmt_value(base.value)}: {sign}{_fmt_value(abs(gain))}"  # type: ignore[arg-type]
            text += " better" if gain > 0 else (" (the defaults were best)" if gain == 0 else "")  # type: ignore[operator]
        elif base is not None:
            text += f" (the defaults failed: trial 0 {base.state.value})"
        return text

    def summary_lines(self) -> list[str]:
        counts = self.counts()
        done = ", ".join(f"{n} {s}" for s, n in counts.items() if n) or "none"
        lines = [
            f"hpmagic: {self.direction} {self.metric} over {len(self.trials)} trials ({done}) in {_fmt_seconds(self.elapsed)}",
            "  " + self.headline(),
        ]
        if self.best_trial is not None:
            lines.append("  best parameters: " + _fmt_params(self.best_trial.params))
        strategy = f"  strategy: {self.strategy}"
        if self.seed is not None:
            strategy += f" (seed {self.seed})"
        if self.strategy_reason:
            strategy += f": {self.strategy_reason}"
        lines.append(strategy)
        stop = _STOP_TEXT.get(self.stop_reason, self.stop_reason)
        lines.append(f"  stopped: {stop}")
        if self.error:
            lines.append(f"  error: {self.error}")
        for note in self.notes:
            lines.append(f"  note: {note}")
        return lines

    def __repr__(self) -> str:
        lines = self.summary_lines()
        top = self.top(5)
        if top:
            lines.append("  top trials:")
            for t in top:
                lines.append(f"    #{t.number:<4} {_fmt_value(t.value):>10}  {_fmt_params(t.params)}")
        failed = [t for t in self.trials if t.state is TrialState.FAILED]
        if failed:
            last = failed[0].error.strip().splitlines()[-1] if failed[0].error else "unknown error"
            lines.append(f"  first failure (trial {failed[0].number}): {last}")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        from .display.html import result_html

        return result_html(self)

    # -- plots (matplotlib, imported when first used; see hpmagic.display.plots) -------------

    def plot_history(self, ax=None):
        """Each completed trial's value, the best so far and the defaults; returns the Axes."""
        from .display.plots import plot_history

        return plot_history(self, ax=ax)

    def plot_slices(self, params=None, *, ax=None, fig=None):
        """The objective against each parameter (or those named in ``params``); returns the Axes.

        ``ax`` is one Axes per parameter, ``fig`` a figure to fill; by default a new figure.
        """
        from .display.plots import plot_slices

        return plot_slices(self, params, ax=ax, fig=fig)

    def plot_importance(self, ax=None):
        """Each parameter's share of the objective's variance; returns the Axes."""
        from .display.plots import plot_importance

        return plot_importance(self, ax=ax)

    def plot_parallel(self, ax=None):
        """Every completed trial across one axis per parameter, coloured by value; returns the Axes."""
        from .display.plots import plot_parallel

        return plot_parallel(self, ax=ax)

    def plot_contour(self, x: str, y: str, ax=None):
        """The objective over parameters ``x`` and ``y``; returns the Axes."""
        from .display.plots import plot_contour

        return plot_contour(self, x, y, ax=ax)


_STOP_TEXT = {
    "budget": "the trial budget was spent",
    "exhausted": "the strategy had no new configuration to try",
    "timeout": "the time limit was reached",
    "interrupted": "interrupted by the user; finished trials were kept",
    "failures": "the first trials all failed (see the first traceback)",
    "error": "the search itself failed (see the error below); finished trials were kept",
    "complete": "the study already held its -n trials; raise -n or use a new --study name to run more",
    "running": "the study is still running in another process",
    "manual": "manual search: each Run adds a trial",
}

