"""``--strategy manual``: a search whose configurations a person chooses, one trial per click.

Nothing proposes configurations here, so manual mode is not a strategy of the catalog: it
is a session of its own, which :func:`hpmagic.api.tune_cell` starts in place of the
:class:`~hpmagic.runner.Runner`'s loop.  :class:`ManualSearch` holds the parts of the search
(the store, where a ``--study`` keeps every click's trial; the executor, which runs in the
kernel) and runs each trial it is handed through the runner's
:class:`~hpmagic.runner.TrialPath`, the way the loop runs its own: recorded as running,
submitted, collected, recorded as finished, or as interrupted when the stop button is
pressed.  Each run returns the cumulative result of the search: every trial in the store,
the time of every run added up, stopped for the reason ``manual`` (or ``interrupted``,
``error`` when that run ended so).

The controls, the Run button and the record are :class:`hpmagic.display.manual.ManualSession`,
which :meth:`ManualSearch.start` builds and hands :meth:`ManualSearch.run_one`.  The session
owns its parts for as long as the kernel runs: clicks come after the cell returned.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from . import interrupts
from .core import StopReason, TrialState
from .runner import SearchPlan, TrialPath, reports_note, search_result

if TYPE_CHECKING:
    from collections.abc import Callable

    from .display.manual import ManualSession
    from .protocols import TrialExecutor, TrialStore
    from .result import TuneResult

__all__ = ["ManualSearch", "REASON"]

#: Why the summary says the configurations came from where they did.
REASON = "configurations chosen by hand with the controls; each Run is one trial"


class ManualSearch:
    """The parts of one manual search; :meth:`run_one` runs exactly one trial in them.

    ``plan`` is the search's (its ``budget`` is not used: a manual search runs as many
    trials as there are clicks); ``store`` and ``executor`` are made for it, and stay open
    for as long as the session lives.
    """

    def __init__(self, plan: SearchPlan, store: TrialStore, executor: TrialExecutor):
        self.plan, self.store, self.executor = plan, store, executor
        self.elapsed = 0.0  # every run's time, added up
        self.result: TuneResult | None = None  # after the latest run

    def run_one(self, params: dict[str, Any], baseline: bool) -> TuneResult:
        """Run one trial with ``params`` (trial 0, the defaults, when ``baseline``) and return the
        result of the whole search so far.  A stop press ends the trial as interrupted; a failing
        store ends it as ``error``; the trial's own exception is a failed trial, as in any search."""
        path, stop, error = TrialPath(self.store, self.executor), StopReason.MANUAL, ""
        start = time.perf_counter()
        with interrupts.guard():  # a click runs after the cell returned: outside tune_cell()'s guard
            try:
                path.start(self._number(baseline), params)
                for _ in path.collect():
                    pass
            except KeyboardInterrupt:
                stop = StopReason.INTERRUPTED
                path.abandon("interrupted by the user")
            except Exception as exc:  # the store failed: keep what finished, then report
                stop, error = StopReason.ERROR, f"{type(exc).__name__}: {exc}"
                path.abandon(f"the search stopped: {error}")
            finally:
                interrupts.shield()
                self.executor.close()  # the kernel's random streams back, until the next click
        self.elapsed += time.perf_counter() - start
        trials = self.store.trials()
        self.result = search_result(
            self.plan,
            trials,
            strategy="manual",
            reason=REASON,
            elapsed=self.elapsed,
            stop=stop,
            notes=reports_note(trials, self.plan.direction),
            budget=len(trials),
            error=error,
        )
        return self.result

    def _number(self, baseline: bool) -> int:
        """The trial's number: the next one, or 0 again for the defaults of a resumed study whose
        trial 0 was interrupted."""
        zero_interrupted = any(t.number == 0 and t.state is TrialState.INTERRUPTED for t in self.store.trials())
        if baseline and zero_interrupted and self.store.reclaim(0):
            return 0
        number = self.store.reserve()
        assert number is not None  # no limit: a manual search runs a trial per click
        return number

    def start(self, on_result: Callable[[TuneResult], None]) -> ManualSession:
        """The controls and the record of this search, with trial 0 run when the baseline is on;
        ``on_result`` receives the result after every run (to bind the best values and ``-o``)."""
        from .display.manual import ManualSession

        session = ManualSession(
            self.plan.space,
            direction=self.plan.direction,
            metric=self.plan.metric,
            baseline=self.plan.baseline,
            run_one=self.run_one,
            on_result=on_result,
        )
        return session.start()
