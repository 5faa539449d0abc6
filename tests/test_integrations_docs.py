"""The integrations guide's examples run as written: every ```python block of
docs/guide/integrations.md, in order, in one real IPython shell (in a temporary working
directory, where --log mlflow's default store goes)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

PAGE = Path(__file__).resolve().parent.parent / "docs" / "guide" / "integrations.md"


def blocks():
    return re.findall(r"```python\n(.*?)```", PAGE.read_text(), flags=re.S)


def test_every_example_of_the_integrations_guide_runs(ip, tmp_path, monkeypatch, capsys):
    """MLflow's tracking URI is set the way a user sets it, MLFLOW_TRACKING_URI (a file store: MLflow
    3's default SQLite store takes long to create; the default itself is tested by the MLflow test)."""
    for module in ("xgboost", "lightgbm", "mlflow"):
        pytest.importorskip(module)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"file://{tmp_path}/mlruns")
    monkeypatch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")
    monkeypatch.delenv("MLFLOW_EXPERIMENT_NAME", raising=False)
    examples = blocks()
    assert len(examples) == 5
    for code in examples:
        outcome = ip.run_cell(code)
        assert outcome.error_before_exec is None and outcome.error_in_exec is None, (code, outcome)
    result = ip.user_ns["result"]
    assert len(result.trials) == 10
    assert "10 trials logged; {'x': " in capsys.readouterr().out
    assert len(ip.user_ns["trials"]) == 10
    assert ip.user_ns["trials"][0].data.params.keys() == {"x"}
