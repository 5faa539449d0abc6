"""The result of a search.

:class:`TuneResult` is what ``%%tune`` returns: its data, the queries on it (the best trial,
the baseline, the gain, the counts) and ``to_dataframe()``, a table with ``param_<name>``
columns in the manner of scikit-learn's ``cv_results_``.  How it shows itself (text in a
terminal, HTML in a notebook), its table and its plots live in :mod:`hpmagic.display`, imported when
first used.  :class:`Trial` and :class:`TrialState` are defined in :mod:`hpmagic.core` and
re-exported here.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

from . import pareto
from .core import Direction, StopReason, Trial, TrialState
from .errors import OptionError
from .objectives import Goal

if TYPE_CHECKING:
    from collections.abc import Sequence
    from pathlib import Path

    import pandas as pd
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from .space import SearchSpace

__all__ = ["Trial", "TrialState", "TuneResult", "ROUNDING"]

#: A fold spread below this share of the mean's magnitude is rounding, not spread (:meth:`TuneResult.spread`).
ROUNDING = 1e-12


@dataclass(frozen=True)
class TuneResult:
    """The outcome of a search: every trial, the best one, and how the search went."""

    trials: tuple[Trial, ...]
    space: SearchSpace
    direction: Direction = Direction.MINIMIZE
    metric: str = "objective"
    direction_reason: str = ""  # why this direction, for the headline ("maximizing: the cell returns ...")
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
    goal: Goal | None = None  # the objectives and constraints (None: one objective in `direction`)
    pick_rule: str = ""  # with several objectives: "knee" (also ""), or the objective whose best front trial is bound
    #: Called with the result after :meth:`pick` chose another trial (``api.bind`` sets it: it binds the values).
    on_pick: Callable[[TuneResult], None] | None = field(default=None, compare=False, repr=False)
    code: str = ""  # the cell's code (a saved report shows it); "" when not recorded
    options: tuple[
        tuple[str, str], ...
    ] = ()  # the options it ran with that differ from the defaults (TuneOptions.record)

    def __post_init__(self) -> None:
        # Strings are accepted ("maximize", "budget"), and kept as the enums they name.
        object.__setattr__(self, "direction", Direction(self.direction))
        object.__setattr__(self, "stop_reason", StopReason(self.stop_reason))

    # -- several objectives, constraints ------------------------------------------------

    @property
    def objectives(self) -> Goal:
        """The :class:`~hpmagic.objectives.Goal` the search optimised (one objective in ``direction`` when
        the result has none)."""
        return self.goal if self.goal is not None else Goal.single(self.direction)

    @property
    def plain(self) -> bool:
        """True for one objective without constraints (the best trial is the one with the best value)."""
        return self.goal is None or not (self.goal.multi or self.goal.constraints)

    @property
    def feasible(self) -> list[Trial]:
        """The complete trials that hold every constraint, in trial order."""
        goal = self.objectives
        return [t for t in self.trials if goal.feasible(t)]

    @cached_property
    def front(self) -> list[Trial]:
        """The feasible complete trials that no other feasible trial dominates (better or equal on
        every objective, better on one), in trial order: the Pareto front."""
        done = self.feasible
        if not done:
            return []
        keep = pareto.nondominated(self.losses(done))
        return [t for t, kept in zip(done, keep) if kept]

    @property
    def pareto_front(self) -> list[Trial]:
        """The same as :attr:`front`."""
        return self.front

    def hypervolume(self, reference: Sequence[float] | None = None) -> float:
        """The volume the front dominates up to ``reference`` (one value per objective, in its own
        units and direction); by default the worst value of each objective among the complete trials."""
        goal, front = self.objectives, self.front
        if not front:
            return 0.0
        ref = (
            self.reference()
            if reference is None
            else [d.loss(float(v)) for d, v in zip(goal.directions, reference, strict=True)]
        )
        return pareto.hypervolume(self.losses(front), ref)

    def losses(self, trials: Sequence[Trial]) -> list[tuple[float, ...]]:
        """Each complete trial's objectives with lower better (:meth:`~hpmagic.objectives.Goal.losses`)."""
        goal = self.objectives
        return [x for x in map(goal.losses, trials) if x is not None]

    def reference(self) -> list[float]:
        """The default reference point of :meth:`hypervolume`, as losses: each objective's worst among
        the complete trials (in values: ``[d.loss(x) for x in reference]`` turns it back)."""
        return [max(column) for column in zip(*self.losses(self.completed))]

    def pick(self, rule: str = "knee") -> Trial | None:
        """Choose the trial of the front that is bound: ``"knee"`` (the default: the point that gives
        up least on any objective for the others) or an objective's name (the front's best on it).

        The values of the chosen trial become :attr:`best_params` and :attr:`best_trial`, and, after
        a search that bound its values (``%%tune``, ``tune()`` without ``apply=False``), are bound
        in the namespace again.  Returns the chosen trial (``None`` when the front is empty)."""
        goal = self.objectives
        if not goal.multi:
            raise OptionError(
                "pick() chooses among the Pareto front of several objectives, but this search had one "
                "objective: its best trial is best_trial"
            )
        if rule != "knee" and rule not in goal.names:
            raise OptionError(
                f"pick({rule!r}): pick 'knee' or one of the objectives {', '.join(repr(n) for n in goal.names)}"
            )
        object.__setattr__(self, "pick_rule", rule)
        if self.on_pick is not None and self.front:
            self.on_pick(self)
        return self.best_trial

    def _picked(self) -> Trial | None:
        goal, front = self.objectives, self.front
        if not front:
            return None
        losses = self.losses(front)
        rule = self.pick_rule or "knee"
        if rule == "knee":
            return front[pareto.knee(losses)]
        k = goal.names.index(rule)
        return front[min(range(len(front)), key=lambda i: (losses[i][k], sum(losses[i]), front[i].number))]

    @property
    def pick_text(self) -> str:
        """How the bound trial was chosen, as a phrase ("the knee of the Pareto front", ...; "" for
        one objective without constraints)."""
        goal = self.objectives
        if self.plain:
            return ""
        if not goal.multi:
            return "the best of the trials that hold every constraint"
        rule = self.pick_rule or "knee"
        if rule == "knee":
            return "the knee of the Pareto front (the trial that gives up least on any objective for the others)"
        direction = goal.directions[goal.names.index(rule)]
        return f"the front's {'highest' if direction.maximize else 'lowest'} {rule}"

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
        """The first complete trial with the best value (``None`` when none completed).

        With constraints, the best of those that hold them (``None`` when none does); with several
        objectives, the trial of the front chosen by ``pick_rule`` (see :meth:`pick`)."""
        if self.plain:
            return self.direction.best(self.trials)
        if not self.objectives.multi:
            return self.direction.best(self.feasible)
        return self._picked()

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

    # -- noise: the fold spread (see docs/guide/python-api.md) ----------------------------------

    def spread(self, trial: Trial) -> tuple[float, int] | None:
        """The standard deviation of ``trial``'s fold scores and their count, when its
        objective was a sequence of scores (cross-validation folds); ``None`` otherwise.

        A standard deviation below ``ROUNDING`` (1e-12) times the mean's magnitude is ``0.0``:
        equal folds leave rounding in it (``[0.7, 0.7, 0.7]`` gives ``1.36e-16``), which is no
        spread, and the summary then shows ``± 0``.  ``trial.metrics`` keeps what was computed.
        """
        keys = self.fold_keys(trial)
        if keys is None or not math.isfinite(trial.metrics[keys[0]]):
            return None
        std = float(trial.metrics[keys[0]])
        if trial.value is not None and math.isfinite(trial.value) and std < ROUNDING * abs(trial.value):
            std = 0.0
        return std, int(trial.metrics.get(keys[1], 1) or 1)

    def fold_keys(self, trial: Trial) -> tuple[str, str] | None:
        """The keys of ``trial.metrics`` that hold its objective's fold spread and count:
        ``("std", "n")`` for a sequence of scores, ``("acc_std", "acc_n")`` when the key
        ``acc`` of a returned dict was (the objective's own key is the one not among the
        metrics); ``None`` when the objective had no folds."""
        m = trial.metrics
        if "std" in m:
            return "std", "n"
        bases = [k[:-4] for k in m if k.endswith("_std") and k[:-4] not in m]
        base = self.metric if self.metric in bases else (bases[0] if len(bases) == 1 else None)
        return None if base is None else (f"{base}_std", f"{base}_n")

    def _stderr(self, trial: Trial) -> float:
        found = self.spread(trial)
        return 0.0 if found is None else found[0] / math.sqrt(max(found[1], 1))

    def indistinguishable(self, trial: Trial) -> bool:
        """True when ``trial``'s mean fold score cannot be told apart from the best trial's:
        the difference is within twice its standard error (that of two independent means,
        ``sqrt(se_best**2 + se**2)`` with ``se = std / sqrt(folds)``; folds shared by both
        trials make it a cautious test).  False without fold spreads, and for the best itself."""
        best = self.best_trial
        if best is None or trial.value is None or best.value is None or trial.number == best.number:
            return False
        if self.spread(best) is None or self.spread(trial) is None:
            return False
        return abs(best.value - trial.value) <= 2 * math.hypot(self._stderr(best), self._stderr(trial))

    def estimates(self) -> dict[int, float]:
        """Each complete trial's value as the search estimates it: its mean fold score shrunk
        toward the mean of all trials, the more the noisier it is (an empirical-Bayes
        normal-normal estimate: prior variance = the variance of the means less their mean
        squared standard error).  Trials without a fold spread keep their observed value."""
        done = [t for t in self.completed if t.value is not None]
        noisy = [t for t in done if self.spread(t) is not None]
        out = {t.number: float(t.value) for t in done}  # type: ignore[arg-type]
        if len(noisy) < 3:
            return out
        values = [float(t.value) for t in noisy]  # type: ignore[arg-type]
        mean = math.fsum(values) / len(values)
        se2 = [self._stderr(t) ** 2 for t in noisy]
        prior = max(0.0, math.fsum((v - mean) ** 2 for v in values) / (len(values) - 1) - math.fsum(se2) / len(se2))
        for t, v, e in zip(noisy, values, se2):
            out[t.number] = mean + (prior / (prior + e) if prior + e > 0 else 1.0) * (v - mean)
        return out

    @property
    def best_estimated(self) -> Trial | None:
        """The complete trial with the best :meth:`estimates` value: the best configuration
        by the estimate rather than by the luckiest observation (:attr:`best_trial`, which is
        what is applied to the notebook).  The same trial as :attr:`best_trial` unless fold
        spreads differ; ``None`` when no trial completed."""
        est = self.estimates()
        if not est:
            return None
        sign = 1.0 if self.maximize else -1.0
        done = {t.number: t for t in self.completed}
        number = max(est, key=lambda n: (sign * est[n], sign * float(done[n].value), -n))  # type: ignore[arg-type]
        return done[number]

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
        of the traceback, or why a pruned trial was stopped).

        With several objectives, ``value_<name>`` holds each objective's value and ``front`` whether
        the trial is on the Pareto front; with constraints, ``constraint_<name>`` holds each
        constrained quantity and ``feasible`` whether the trial held every limit (these columns follow
        ``value``)."""
        from .display.frame import dataframe

        return dataframe(self)

    def top(self, k: int = 5) -> list[Trial]:
        """The ``k`` best complete trials, best first (with constraints, of those that hold them; with
        several objectives, by the first)."""
        done = self.completed if self.plain else self.feasible
        return sorted(done, key=lambda t: t.value, reverse=self.maximize)[:k]  # type: ignore[arg-type,return-value]

    # -- display (hpmagic.display, imported when first used) --------------------------------

    def __repr__(self) -> str:
        from .display.text import result_text

        return result_text(self)

    def _repr_html_(self) -> str:
        from .display.html import result_html
        from .display.trialshow import register

        register()  # in a notebook, result.trials[i] shows as its card (also without %load_ext hpmagic)
        return result_html(self)

    # -- a report to keep (hpmagic.display.report) ------------------------------------------

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write this result as one self-contained HTML file (no network: the plots are inlined)
        and return its path: the summary, every plot, the table of every trial, the cell's code,
        the options, the seed, the versions of hpmagic and the main libraries, and the machine.

        Raises :class:`~hpmagic.errors.SaveError` when ``path`` is a folder, its folder does not
        exist or may not be written; nothing is written then, and a file already at ``path``
        is kept as it was.
        """
        from .display.report import save

        return save(self, path)

    def to_markdown(self) -> str:
        """A short Markdown text of this result, for a lab notebook or a pull request: the
        headline, the best parameters against their defaults, the top trials, the options,
        the seed and the versions."""
        from .display.report import markdown

        return markdown(self)

    # -- plots (matplotlib, imported when first used; see hpmagic.display.plots) -------------

    def plot_history(self, ax: Axes | None = None) -> Axes:
        """Each completed trial's value, the best so far and the defaults; returns the Axes."""
        from .display.plots import plot_history

        return plot_history(self, ax=ax)

    def plot_slices(
        self, params: list[str] | None = None, *, ax: Axes | Sequence[Axes] | None = None, fig: Figure | None = None
    ) -> list[Axes]:
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

    def plot_front(self, ax: Axes | None = None, fig: Figure | None = None) -> list[Axes]:
        """The trials in objective space: the Pareto front (joined by a step line with two
        objectives), dominated trials faded, infeasible ones as grey crosses, the bound trial
        ringed; three or more objectives as one Axes per pair.  Returns the Axes."""
        from .display.front import plot_front

        return plot_front(self, ax=ax, fig=fig)

    def plot_timeline(self, ax: Axes | None = None) -> Axes:
        """The workers' timeline of a ``--jobs`` or ``--executor`` search: one row per worker,
        each trial a bar from its start to its end in its state's colour, the straggler outlined;
        returns the Axes.  A search in the kernel, or a stored study, has no workers to show."""
        from .display.timeline import plot_timeline

        return plot_timeline(self, ax=ax)

    def plot_contour(self, x: str, y: str, ax: Axes | None = None) -> Axes:
        """The objective over parameters ``x`` and ``y``; returns the Axes."""
        from .display.plots import plot_contour

        return plot_contour(self, x, y, ax=ax)
