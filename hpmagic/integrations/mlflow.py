"""``--log mlflow[:URI]``: every trial of a search logged to MLflow, nested under one run per search.

:func:`parse_log` reads the option (no MLflow import); :func:`open_log` connects before
anything runs (a :class:`~hpmagic.errors.MissingExtraError` without MLflow, an
:class:`~hpmagic.errors.OptionError` for a tracking URI MLflow cannot open); :meth:`MLflowLog.wrap`
puts a :class:`LoggingReporter` around the search's display.  It is a
:class:`~hpmagic.protocols.Reporter`: the runner hands it every finished trial, in the kernel,
so trials on ``--jobs`` workers or a Dask cluster are logged without any set-up there.

What is logged:

- the **search run** (experiment ``hpmagic``, or ``MLFLOW_EXPERIMENT_NAME``): tags
  ``hpmagic.*`` (the study, the direction, the objective's name, the strategy, then the best
  trial, its parameters and why the search stopped), and the metric ``best_<objective>``;
- one **trial run** per trial, nested under it (the ``mlflow.parentRunId`` tag), named
  ``trial N``: its parameters, its objective (under the objective's name: ``objective`` or
  ``--metric``'s), its other metrics, ``duration`` (seconds), the reported curve as the step
  metric ``report`` (``fold`` for :func:`hpmagic.cross_val_score`'s folds), its state as the
  tag ``hpmagic.state`` and the run's status (complete: FINISHED; failed: FAILED; pruned and
  interrupted: KILLED), its start and end, and its captured output as the artifacts
  ``stdout.txt``, ``stderr.txt``, ``warnings.txt`` and ``error.txt`` (those not empty).

A ``--study`` has one search run for all its sessions (found again by the tag
``hpmagic.study_key``: the storage, the study's name and when it was created, so an
``--overwrite`` starts a new one); a resumed study logs only the trials not logged yet, and a
trial logged as interrupted that later finished (a resumed trial 0) replaces its run.

If MLflow fails during the search (a server gone), logging stops there, the search goes on,
and a line on stderr says so: the trials are all in the result and the study.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
import sys
from dataclasses import dataclass
from typing import Any

from ..core import Trial, TrialState
from ..errors import OptionError
from ..protocols import Progress, Reporter, SearchInfo
from .watch import require

__all__ = ["LogTarget", "parse_log", "open_log", "MLflowLog", "LoggingReporter", "EXPERIMENT"]

#: The experiment searches are logged to, unless ``MLFLOW_EXPERIMENT_NAME`` names another.
EXPERIMENT = "hpmagic"
_STATUS = {
    TrialState.COMPLETE: "FINISHED",
    TrialState.FAILED: "FAILED",
    TrialState.PRUNED: "KILLED",
    TrialState.INTERRUPTED: "KILLED",
}
_USAGE = (
    "--log mlflow (MLflow's own tracking URI: MLFLOW_TRACKING_URI, else its default) or --log mlflow:URI "
    "(e.g. mlflow:sqlite:///mlflow.db, mlflow:http://localhost:5000)"
)


@dataclass(frozen=True)
class LogTarget:
    """Where ``--log`` sends the trials: MLflow at ``uri`` (``None``: MLflow's own choice)."""

    uri: str | None = None


def parse_log(spec: Any) -> LogTarget | None:
    """``--log``'s value as a :class:`LogTarget` (``None``: no logging); a bad one is an OptionError."""
    if spec is None or spec is False:
        return None
    if not isinstance(spec, str):
        raise OptionError(f"log= takes 'mlflow' or 'mlflow:URI', but got {spec!r}; use {_USAGE}")
    backend, colon, uri = spec.strip().partition(":")
    if backend != "mlflow":
        raise OptionError(f"--log {spec}: hpmagic logs trials to MLflow; use {_USAGE}")
    if colon and not uri.strip():
        raise OptionError(f"--log {spec}: the tracking URI after 'mlflow:' is empty; use {_USAGE}")
    uri = uri.strip()
    if uri and "://" not in uri and not uri.startswith("file:"):  # a plain path: MLflow's file store there
        uri = "file:" + os.path.abspath(os.path.expanduser(uri))
    return LogTarget(uri or None)


def open_log(target: LogTarget) -> MLflowLog:
    """Connect to MLflow and find (or create) the experiment, before any trial runs."""
    mlflow = require("mlflow", "mlflow", "--log mlflow")
    from mlflow.tracking import MlflowClient

    name = os.environ.get("MLFLOW_EXPERIMENT_NAME") or EXPERIMENT
    try:
        client = MlflowClient(tracking_uri=target.uri)
        uri = target.uri or mlflow.get_tracking_uri()
        experiment = client.get_experiment_by_name(name)
        experiment_id = experiment.experiment_id if experiment is not None else client.create_experiment(name)
    except Exception as exc:  # noqa: BLE001 - MLflow's errors have no common base worth naming
        where = target.uri or "MLflow's default tracking URI"
        raise OptionError(f"--log mlflow: MLflow cannot log to {where}: {type(exc).__name__}: {exc}") from None
    return MLflowLog(client, experiment_id, name, uri)


def _ms(seconds: float) -> int:
    return int(round(seconds * 1000))


def _key(name: str) -> str:
    """A metric's name as MLflow takes it (letters, digits, ``_ - . : /`` and spaces)."""
    return re.sub(r"[^\w\-. :/]", "_", str(name))[:250] or "_"


def _text(value: Any, limit: int = 6000) -> str:
    text = (
        value if isinstance(value, str) else json.dumps(value) if isinstance(value, (bool, type(None))) else repr(value)
    )
    return text if len(text) <= limit else text[: limit - 3] + "..."


class MLflowLog:
    """An MLflow client and the experiment a search logs to (see the module docstring)."""

    def __init__(self, client: Any, experiment_id: str, experiment: str, uri: str):
        self.client, self.experiment_id, self.experiment, self.uri = client, experiment_id, experiment, uri

    @property
    def note(self) -> str:
        """Where the trials go, for the summary."""
        return f"--log mlflow: each trial is logged as an MLflow run at {self.uri}, experiment {self.experiment!r}"

    def wrap(self, inner: Reporter, store: Any) -> LoggingReporter:
        """A reporter that shows through ``inner`` and logs every trial; ``store`` names the study."""
        study = store.study() if hasattr(store, "study") else None
        key = None
        if study is not None:
            where = getattr(store, "location", "")
            key = hashlib.sha1(f"{where}\n{study.name}\n{study.created!r}".encode()).hexdigest()[:20]
        return LoggingReporter(self, inner, None if study is None else study.name, key)


class LoggingReporter:
    """Shows the search through ``inner`` and logs its trials to MLflow (a Reporter)."""

    def __init__(self, log: MLflowLog, inner: Reporter, study: str | None, key: str | None):
        self.log, self.inner, self.study, self.key = log, inner, study, key
        self.parent: str | None = None
        self.logged: dict[int, tuple[str, str]] = {}  # trial number -> (run id, state logged)
        self.failure = ""  # what stopped the logging
        self.info = SearchInfo(budget=0)
        self._seen = 0  # progress.trials logged so far

    # -- the Reporter protocol -----------------------------------------------------------

    def start(self, info: SearchInfo) -> None:
        """Open the search's run in MLflow (or find the study's), then show the display."""
        self.info = info
        self._guarded(self._begin)
        self.inner.start(info)

    def update(self, progress: Progress) -> None:
        """Show the progress, then log the trials that finished since the last update."""
        self.inner.update(progress)
        fresh, self._seen = progress.trials[self._seen :], len(progress.trials)
        self._guarded(lambda: self._log_all(fresh))

    def close(self, progress: Progress, result: Any) -> None:
        """Log what is left and end the search's run, then show the summary."""
        trials = list(result.trials) if result is not None else list(progress.trials)
        self._guarded(lambda: self._log_all(trials))
        self._guarded(lambda: self._end(result))
        if self.failure:
            print(
                f"hpmagic: --log mlflow stopped logging: {self.failure}; the search went on, and every trial is in "
                "its result (and its --study)",
                file=sys.stderr,
            )
        self.inner.close(progress, result)

    # -- the search run ------------------------------------------------------------------

    def _guarded(self, step: Any) -> None:
        if self.failure:
            return
        try:
            step()
        except Exception as exc:  # noqa: BLE001 - a tracking server's trouble must never stop the search
            self.failure = f"{type(exc).__name__}: {exc}"

    def _begin(self) -> None:
        client, info = self.log.client, self.info
        if self.key is not None:
            found = client.search_runs(
                [self.log.experiment_id], f"tags.`hpmagic.study_key` = '{self.key}'", max_results=1
            )
            if found:
                self.parent = found[0].info.run_id
                client.update_run(self.parent, status="RUNNING")
                self._read_children()
                return
        tags = {
            "hpmagic.kind": "search",
            "hpmagic.direction": str(info.direction),
            "hpmagic.metric": info.metric,
            "hpmagic.strategy": info.strategy,
        }
        if self.key is not None:
            tags.update({"hpmagic.study": self.study or "", "hpmagic.study_key": self.key})
        run = client.create_run(self.log.experiment_id, tags=tags, run_name=self.study or "hpmagic search")
        self.parent = run.info.run_id

    def _read_children(self) -> None:
        """The trials a resumed study's search run already holds."""
        token = None
        while True:
            page = self.log.client.search_runs(
                [self.log.experiment_id],
                f"tags.mlflow.parentRunId = '{self.parent}'",
                max_results=1000,
                page_token=token,
            )
            for run in page:
                tags = run.data.tags
                if tags.get("hpmagic.trial", "").isdigit():
                    self.logged[int(tags["hpmagic.trial"])] = (run.info.run_id, tags.get("hpmagic.state", ""))
            token = page.token
            if not token:
                return

    def _end(self, result: Any) -> None:
        if self.parent is None or result is None:
            return
        client, direction = self.log.client, self.info.direction
        best = direction.best(result.trials)
        tags = {"hpmagic.stop_reason": str(result.stop_reason), "hpmagic.trials": str(len(result.trials))}
        if best is not None:
            tags.update({"hpmagic.best_trial": str(best.number), "hpmagic.best_params": _text(best.params)})
            client.log_metric(
                self.parent,
                _key(f"best_{self.info.metric}"),
                float(best.value),  # type: ignore[arg-type]
                step=len(result.trials),
            )
        for name, value in tags.items():
            client.set_tag(self.parent, name, value)
        failed = str(result.stop_reason) in ("failures", "error")
        stopped = str(result.stop_reason) == "interrupted"
        client.set_terminated(self.parent, "FAILED" if failed else "KILLED" if stopped else "FINISHED")

    # -- the trials ----------------------------------------------------------------------

    def _log_all(self, trials: list[Trial]) -> None:
        for trial in trials:
            if self.parent is None or not trial.state.finished:
                continue
            held = self.logged.get(trial.number)
            if held is not None and held[1] == trial.state.value:
                continue
            if held is not None:  # logged as interrupted (or half-logged), finished since: its run is replaced
                self.log.client.delete_run(held[0])
            self._log_trial(trial)

    def _log_trial(self, trial: Trial) -> None:
        client, number = self.log.client, trial.number
        tags = {"mlflow.parentRunId": self.parent, "hpmagic.trial": str(number), "hpmagic.state": "running"}
        if self.study is not None:
            tags["hpmagic.study"] = self.study
        run = client.create_run(
            self.log.experiment_id, start_time=_ms(trial.started), tags=tags, run_name=f"trial {number}"
        )
        run_id = run.info.run_id
        self.logged[number] = (run_id, "running")  # a half-logged run is replaced, never doubled
        from mlflow.entities import Param

        params = [Param(str(name), _text(value)) for name, value in trial.params.items()]
        metrics = self._metrics(trial)
        for start in range(0, max(len(metrics), 1), 1000):  # MLflow takes at most 1000 metrics per batch
            client.log_batch(run_id, metrics=metrics[start : start + 1000], params=params if start == 0 else [])
        for name, text in (
            ("stdout.txt", trial.stdout),
            ("stderr.txt", trial.stderr),
            ("warnings.txt", "\n".join(trial.warnings)),
            ("error.txt", trial.error),
        ):
            if text:
                client.log_text(run_id, text, name)
        client.set_tag(run_id, "hpmagic.state", trial.state.value)
        client.set_terminated(
            run_id, _STATUS.get(trial.state, "FINISHED"), end_time=_ms(trial.started + trial.duration)
        )
        self.logged[number] = (run_id, trial.state.value)

    def _metrics(self, trial: Trial) -> list[Any]:
        from mlflow.entities import Metric

        at = _ms(trial.started + trial.duration)
        values: dict[str, float] = {}
        if trial.value is not None:
            values[_key(self.info.metric)] = trial.value
        for name, value in trial.metrics.items():
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                values.setdefault(_key(name), float(value))
        values["duration"] = trial.duration
        metrics = [Metric(name, value, at, 0) for name, value in values.items() if math.isfinite(value)]
        curve = "fold" if trial.pruning.get("kind") == "fold" else "report"
        whole = all(float(step).is_integer() for step, _ in trial.curve)
        for index, (step, value) in enumerate(trial.curve):
            metrics.append(Metric(curve, value, at, int(step) if whole else index))
        return metrics
