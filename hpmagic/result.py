"""The result of a search.

:class:`TuneResult` is what ``%%tune`` returns: its data, the queries on it (the best trial,
the baseline, the gain, the counts) and ``to_dataframe()``, a table with ``param_<name>``
columns in the manner of scikit-learn's ``cv_results_``.  How it shows itself (text in a
terminal, HTML in a notebook) and its plots live in :mod:`hpmagic.display`, imported when
first used.  :class:`Trial` and :class:`TrialState` are defined in :mod:`hpmagic.core` and
re-exported here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .core import Direction, StopReason, Trial, TrialState

if TYPE_CHECKING:
    from collections.abc import Sequence

    import pandas as pd
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from .space import SearchSpace

__all__ = ["Trial", "TrialState", "TuneResult"]


@dataclass(frozen=True)
class TuneResult:
    """The outcome of a search: every trial, the best one, and how the search went."""

    trials: tuple[Trial, ...]
    space: SearchSpace
    direction: Direction = Direction.MINIMIZE
    metric: str = "objective"
    strategy: str = ""
    strategy_reason: str = ""
    seed: int | None = None
    elapsed: float = 0.0
    stop_reason: StopReason = StopReason.BUDGET
    budget: int = 0
    notes: tuple[str, ...] = ()
    study: str | None = None
    has_baseline: bool = True
    error: str = ""  # why the search stopped early, when stop_reason is ERROR

    def __post_init__(self) -> None:
        # Strings are accepted ("maximize", "budget"), and kept as the enums they name.
        object.__setattr__(self, "direction", Direction(self.direction))
        object.__setattr__(self, "stop_reason", StopReason(self.stop_reason))

    # -- the best trial ---------------------------------------------------------------

    @property
    def maximize(self) -> bool:
        """True when the search maximized its objective."""
        return self.direction.maximize

    @property
    def completed(self) -> list[Trial]:
        """The complete trials, in trial order."""
        return [t for t in self.trials if t.state is TrialState.COMPLETE]

    @property
    def best_trial(self) -> Trial | None:
        """The first complete trial with the best value (``None`` when none completed)."""
        return self.direction.best(self.trials)

    @property
    def best_value(self) -> float | None:
        """The best trial's objective value (``None`` when none completed)."""
        best = self.best_trial
        return None if best is None else best.value

    @property
    def best_params(self) -> dict[str, Any] | None:
        """A copy of the best trial's parameters, the active ones only (``None`` when none completed)."""
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
        """True when the stop button ended the search."""
        return self.stop_reason is StopReason.INTERRUPTED

    def counts(self) -> dict[str, int]:
        """How many trials ended in each state, every state listed (``{"complete": 24, ...}``)."""
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
        return self.direction.loss(base.value) - self.direction.loss(best.value)

    # -- tables -----------------------------------------------------------------------

    def to_dataframe(self) -> pd.DataFrame:
        """Every trial as a table, one row per trial, indexed by ``number``.

        The columns, in this order: ``state``
        (``complete``, ``failed``, ``pruned``, ``interrupted``, ``running``), ``value`` (missing
        unless complete), ``duration``, ``param_<name>`` (missing where a conditional
        parameter was inactive), ``last_step`` and ``last_value`` (the last point the trial
        reported with ``hpmagic.report``: where a pruned trial was stopped and its value
        there; missing when it reported none), ``metric_<name>`` and ``error`` (the last line
        of the traceback, or why a pruned trial was stopped)."""
        import pandas as pd

        rows = []
        for t in self.trials:
            last = t.curve[-1] if t.curve else (None, None)
            row: dict[str, Any] = {"number": t.number, "state": t.state.value, "value": t.value, "duration": t.duration,
                                   "last_step": last[0], "last_value": last[1]}
            for p in self.space:
                row[f"param_{p.name}"] = t.params.get(p.name)
            for key, value in t.metrics.items():
                row[f"metric_{key}"] = value
            row["error"] = t.error.strip().splitlines()[-1] if t.error else ""
            rows.append(row)
        columns = ["number", "state", "value", "duration"] + [f"param_{p.name}" for p in self.space] + ["last_step", "last_value"]
        frame = pd.DataFrame(rows, columns=columns + sorted({c for r in rows for c in r} - set(columns) - {"error"}) + ["error"])
        frame = frame.astype({"value": float, "last_step": float, "last_value": float})  # None -> NaN, as pandas expects
        return frame.set_index("number")

    def top(self, k: int = 5) -> list[Trial]:
        """The ``k`` best complete trials, best first."""
        return sorted(self.completed, key=lambda t: t.value, reverse=self.maximize)[:k]  # type: ignore[arg-type,return-value]

    # -- display (hpmagic.display, imported when first used) --------------------------------

    def __repr__(self) -> str:
        from .display.text import result_text

        return result_text(self)

    def _repr_html_(self) -> str:
        from .display.html import result_html

        return result_html(self)

    # -- plots (matplotlib, imported when first used; see hpmagic.display.plots) -------------

    def plot_history(self, ax: Axes | None = None) -> Axes:
        """Each completed trial's value, the best so far and the defaults; returns the Axes."""
        from .display.plots import plot_history

        return plot_history(self, ax=ax)

    def plot_slices(self, params: list[str] | None = None, *, ax: Axes | Sequence[Axes] | None = None,
                    fig: Figure | None = None) -> list[Axes]:
        """The objective against each parameter (or those named in ``params``).

        Parameters
        ----------
        params
            The parameters to plot, by name; by default all of them.
        ax
            One Axes per parameter to draw in.
        fig
            A figure to fill instead; by default a new figure.

        Returns
        -------
        list of matplotlib.axes.Axes
            One Axes per parameter.
        """
        from .display.plots import plot_slices

        return plot_slices(self, params, ax=ax, fig=fig)

    def plot_importance(self, ax: Axes | None = None) -> Axes:
        """Each parameter's share of the objective's variance; returns the Axes."""
        from .display.plots import plot_importance

        return plot_importance(self, ax=ax)

    def plot_parallel(self, ax: Axes | None = None) -> Axes:
        """Every completed trial across one axis per parameter, coloured by value; returns the Axes."""
        from .display.plots import plot_parallel

        return plot_parallel(self, ax=ax)

    def plot_curves(self, ax: Axes | None = None) -> Axes:
        """Every trial's learning curve, what it reported with :func:`hpmagic.report`.

        Complete trials in blue, pruned ones faded with a mark where they were stopped, the
        best trial highlighted, the rule's rungs as light vertical lines; folds on the x axis
        for :func:`hpmagic.cross_val_score`.  Returns the Axes (``ax``, or a new one).
        """
        from .display.plots import plot_curves

        return plot_curves(self, ax=ax)

    def plot_contour(self, x: str, y: str, ax: Axes | None = None) -> Axes:
        """The objective over parameters ``x`` and ``y``; returns the Axes."""
        from .display.plots import plot_contour

        return plot_contour(self, x, y, ax=ax)

