"""--log mlflow: every trial as an MLflow run nested under the search's, read back with MLflow's client.

Each test logs to a ``file:`` store in its own temporary folder (MLflow 3 refuses that store
unless ``MLFLOW_ALLOW_FILE_STORE`` is set, as the tests do; a database URI works the same way).
"""

from __future__ import annotations

import pytest

import hpmagic
from hpmagic.core import TrialState
from hpmagic.errors import OptionError

from .conftest import run_tune

CELL = """
from hpmagic import report
mode = "a"  # tune: choice("a", "b", "c")
x = 2.0     # tune: uniform(1, 3)
if mode == "c":
    raise ValueError("mode c does not work")
for step in range(1, 4):
    report(x * step, step)
print("trained", mode)
x if mode == "a" else x + 10
"""


@pytest.fixture
def store(tmp_path, monkeypatch):
    pytest.importorskip("mlflow")
    monkeypatch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")
    monkeypatch.delenv("MLFLOW_EXPERIMENT_NAME", raising=False)
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    return f"file://{tmp_path / 'mlruns'}"


def runs(uri):
    """The search runs and the trial runs of experiment 'hpmagic', as MLflow reads them back."""
    from mlflow.tracking import MlflowClient

    client = MlflowClient(uri)
    experiment = client.get_experiment_by_name("hpmagic")
    every = client.search_runs([experiment.experiment_id], max_results=1000)
    searches = [r for r in every if r.data.tags.get("hpmagic.kind") == "search"]
    trials = [r for r in every if "mlflow.parentRunId" in r.data.tags]
    return client, searches, sorted(trials, key=lambda r: int(r.data.tags["hpmagic.trial"]))


def test_each_trial_is_a_nested_run_with_params_metrics_curve_state_and_output(store):
    result = hpmagic.tune(
        CELL, {}, strategy="grid", grid_points=2, seed=0, minimize=True, quiet=True, log=f"mlflow:{store}"
    )
    assert f"--log mlflow: each trial is logged as an MLflow run at {store}, experiment 'hpmagic'" in result.notes
    client, searches, trials = runs(store)
    assert len(searches) == 1 and len(trials) == len(result.trials) == 7  # the defaults, then 3 modes x 2 values
    parent = searches[0]
    assert parent.info.run_name == "hpmagic search" and parent.info.status == "FINISHED"
    assert parent.data.tags["hpmagic.direction"] == "minimize" and parent.data.tags["hpmagic.metric"] == "objective"
    assert parent.data.tags["hpmagic.best_trial"] == str(result.best_trial.number)
    assert parent.data.metrics["best_objective"] == result.best_value
    for run, trial in zip(trials, result.trials, strict=True):
        assert run.data.tags["mlflow.parentRunId"] == parent.info.run_id
        assert run.info.run_name == f"trial {trial.number}"
        assert run.data.params == {name: (v if isinstance(v, str) else repr(v)) for name, v in trial.params.items()}
        assert run.data.tags["hpmagic.state"] == trial.state.value
        assert run.info.start_time == round(trial.started * 1000)
        assert run.data.metrics["duration"] == trial.duration
        artifacts = {a.path for a in client.list_artifacts(run.info.run_id)}
        if trial.state is TrialState.COMPLETE:
            assert run.info.status == "FINISHED" and run.data.metrics["objective"] == trial.value
            history = client.get_metric_history(run.info.run_id, "report")
            assert [(m.step, m.value) for m in sorted(history, key=lambda m: m.step)] == [
                (int(step), value) for step, value in trial.curve
            ]
            assert artifacts == {"stdout.txt"}
            stdout = client.download_artifacts(run.info.run_id, "stdout.txt")
            assert open(stdout).read() == trial.stdout == f"trained {trial.params['mode']}\n"
        else:
            assert trial.state is TrialState.FAILED and run.info.status == "FAILED"
            assert "objective" not in run.data.metrics and artifacts == {"error.txt"}
            assert (
                "ValueError: mode c does not work"
                in open(client.download_artifacts(run.info.run_id, "error.txt")).read()
            )


def test_a_resumed_study_adds_only_its_new_trials_under_the_same_search_run(store, tmp_path):
    options = dict(
        seed=0, minimize=True, quiet=True, study="s", storage=str(tmp_path / "studies.sqlite"), log=f"mlflow:{store}"
    )
    cell = CELL.replace('mode == "c"', "False")
    hpmagic.tune(cell, {}, trials=3, **options)
    hpmagic.tune(cell, {}, trials=3, **options)  # complete already: nothing runs, nothing is logged
    result = hpmagic.tune(cell, {}, trials=5, **options)
    _, searches, trials = runs(store)
    assert len(searches) == 1 and searches[0].data.tags["hpmagic.study"] == "s"
    assert [int(r.data.tags["hpmagic.trial"]) for r in trials] == [t.number for t in result.trials] == [0, 1, 2, 3, 4]
    assert {r.data.tags["mlflow.parentRunId"] for r in trials} == {searches[0].info.run_id}
    assert searches[0].data.tags["hpmagic.trials"] == "5" and searches[0].info.status == "FINISHED"
    # --overwrite starts the study afresh, and so a new search run
    hpmagic.tune(cell, {}, trials=2, overwrite=True, **options)
    _, searches, trials = runs(store)
    assert len(searches) == 2 and len(trials) == 7


def test_trials_on_worker_processes_are_logged_from_the_kernel(store):
    cell = CELL.replace('mode == "c"', "False")
    result = hpmagic.tune(
        cell, {}, trials=6, seed=1, minimize=True, quiet=True, jobs=2, prune="median", log=f"mlflow:{store}"
    )
    _, searches, trials = runs(store)
    assert sorted(int(r.data.tags["hpmagic.trial"]) for r in trials) == list(range(6))
    assert {r.data.tags["hpmagic.state"] for r in trials} == {t.state.value for t in result.trials}


def test_the_magic_takes_log_and_the_summary_says_where(ip, store):
    run_tune(ip, f"-n 2 --seed 0 --minimize -q --log mlflow:{store} -o result", CELL.replace('mode == "c"', "False"))
    result = ip.user_ns["result"]
    assert f"--log mlflow: each trial is logged as an MLflow run at {store}, experiment 'hpmagic'" in result.notes
    assert len(runs(store)[2]) == 2


def test_an_interrupted_trial_logged_earlier_is_replaced_when_it_finishes(store):
    from hpmagic.integrations.mlflow import LogTarget, open_log
    from hpmagic.protocols import NullReporter, Progress, SearchInfo
    from hpmagic.storage.memory import MemoryStore

    class Study(MemoryStore):  # a store of one study: what resume gives the logger
        location = "memory"

        def study(self):
            return type("Record", (), {"name": "s", "created": 1.0})()

    def session(state):
        reporter = open_log(LogTarget(store)).wrap(NullReporter(), Study())
        reporter.start(SearchInfo(budget=1))
        trial = hpmagic.Trial(
            number=0,
            params={"x": 1.0},
            state=state,
            started=1e9,
            duration=1.0,
            value=1.0 if state is TrialState.COMPLETE else None,
        )
        result = type("Result", (), {"trials": (trial,), "stop_reason": "budget"})()
        reporter.close(Progress(total=1), result)

    session(TrialState.INTERRUPTED)
    assert [r.data.tags["hpmagic.state"] for r in runs(store)[2]] == ["interrupted"]
    session(TrialState.COMPLETE)
    session(TrialState.COMPLETE)
    assert [(r.data.tags["hpmagic.state"], r.info.status) for r in runs(store)[2]] == [("complete", "FINISHED")]


def test_a_tracking_server_failing_mid_search_stops_the_logging_not_the_search(store, monkeypatch, capsys):
    from mlflow.tracking import MlflowClient

    calls = []
    real = MlflowClient.create_run

    def failing(self, *args, **kwargs):  # the server going away after the search run and two trials
        calls.append(1)
        if len(calls) > 3:
            raise ConnectionError("the tracking server went away")
        return real(self, *args, **kwargs)

    monkeypatch.setattr(MlflowClient, "create_run", failing)
    result = hpmagic.tune(
        CELL.replace('mode == "c"', "False"), {}, trials=4, seed=0, minimize=True, quiet=True, log=f"mlflow:{store}"
    )
    assert len(result.trials) == 4 and all(t.state is TrialState.COMPLETE for t in result.trials)
    assert capsys.readouterr().err == (
        "hpmagic: --log mlflow stopped logging: ConnectionError: the tracking server went away; the search went "
        "on, and every trial is in its result (and its --study)\n"
    )
    assert len(runs(store)[2]) == 2


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("wandb", "--log wandb: hpmagic logs trials to MLflow; use --log mlflow (MLflow's own tracking URI"),
        ("mlflow:", "--log mlflow:: the tracking URI after 'mlflow:' is empty; use --log mlflow"),
        (3, "log= takes 'mlflow' or 'mlflow:URI', but got 3; use --log mlflow"),
    ],
)
def test_a_bad_log_value_is_an_option_error_before_anything_runs(value, message):
    with pytest.raises(OptionError) as error:
        hpmagic.tune(CELL, {}, trials=2, log=value)
    assert str(error.value).startswith(message)


def test_a_tracking_uri_mlflow_cannot_open_is_an_option_error(tmp_path, monkeypatch):
    pytest.importorskip("mlflow")
    monkeypatch.delenv("MLFLOW_ALLOW_FILE_STORE", raising=False)
    namespace = {}
    with pytest.raises(OptionError, match=r"--log mlflow: MLflow cannot log to file://.*: MlflowException: "):
        hpmagic.tune(CELL, namespace, trials=2, log=f"mlflow:file://{tmp_path}/runs")
    assert namespace == {}  # nothing ran


def test_a_plain_path_is_a_file_store_there(tmp_path):
    from hpmagic.integrations.mlflow import LogTarget, parse_log

    assert parse_log(f"mlflow:{tmp_path}/runs") == LogTarget(f"file:{tmp_path}/runs")
    assert parse_log("mlflow") == LogTarget(None) and parse_log(None) is None


def test_without_a_uri_the_trials_go_to_mlflows_own_default(tmp_path, monkeypatch):
    mlflow = pytest.importorskip("mlflow")

    monkeypatch.chdir(tmp_path)
    for name in ("MLFLOW_TRACKING_URI", "MLFLOW_EXPERIMENT_NAME", "MLFLOW_ALLOW_FILE_STORE"):
        monkeypatch.delenv(name, raising=False)
    default = mlflow.get_tracking_uri()  # MLflow 3: sqlite:///mlflow.db in the working directory
    result = hpmagic.tune(
        CELL.replace('mode == "c"', "False"), {}, trials=2, seed=0, minimize=True, quiet=True, log="mlflow"
    )
    assert f"--log mlflow: each trial is logged as an MLflow run at {default}, experiment 'hpmagic'" in result.notes
    assert len(runs(default)[2]) == 2
    if default.startswith("sqlite:///mlflow.db"):
        assert (tmp_path / "mlflow.db").exists()
