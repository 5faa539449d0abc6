"""Manual mode as a session of its own: each click is one trial of one search, in one study."""

from __future__ import annotations

import sqlite3

import pytest

import hpmagic
from hpmagic.cell.parser import parse_cell
from hpmagic.core import StopReason, TrialState
from hpmagic.errors import OptionError
from hpmagic.strategies import make_strategy, names
from hpmagic.strategies.base import StrategyContext
from hpmagic.strategies.catalog import STRATEGIES
from tests.conftest import run_tune

CELL = "x = 1.0  # tune: uniform(0, 2)\n(x - 1.5) ** 2"


@pytest.mark.parametrize("clicks", [1, 4])
def test_n_clicks_are_n_trials_of_one_study_numbered_in_order(ip, tmp_path, clicks):
    path = tmp_path / "manual.sqlite"
    res = run_tune(ip, f"--strategy manual --no-baseline --study hand --storage {path} -o best", CELL)
    assert res.success
    session = res.result
    picks = [0.25 * (k + 1) for k in range(clicks)]
    for value in picks:
        session.controls["x"].value = value
        session.button.click()
    result = session.result
    assert [t.number for t in result.trials] == list(range(clicks))
    assert [t.params for t in result.trials] == [{"x": v} for v in picks]
    assert [t.value for t in result.trials] == pytest.approx([(v - 1.5) ** 2 for v in picks])
    assert all(t.state is TrialState.COMPLETE for t in result.trials)
    assert result.stop_reason is StopReason.MANUAL and result.budget == clicks and result.study == "hand"
    assert result.strategy == "manual" and ip.user_ns["best"] is result and ip.user_ns["x"] == picks[-1]
    # The study file holds the same trials, in one study, written by one run (session) of it.
    stored = hpmagic.load_study("hand", storage=str(path))
    assert [(t.number, t.params, t.state) for t in stored.trials] == [
        (t.number, t.params, t.state) for t in result.trials
    ]
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT COUNT(*) FROM studies").fetchone() == (1,)
        assert conn.execute("SELECT COUNT(*) FROM sessions").fetchone() == (1,)


def test_the_baseline_is_trial_zero_and_clicks_follow_it(ip):
    session = run_tune(ip, "--strategy manual", CELL).result
    for value in (0.5, 1.5):
        session.run_trial(x=value)
    assert [(t.number, t.params["x"]) for t in session.result.trials] == [(0, 1.0), (1, 0.5), (2, 1.5)]
    assert session.result.baseline.number == 0 and session.result.best_value == 0.0


def test_manual_is_listed_but_is_no_strategy_of_the_catalog():
    assert "manual" in names() and "manual" not in STRATEGIES and names()[-1] == "manual"
    with pytest.raises(OptionError, match="--strategy manual is not a strategy that proposes configurations"):
        make_strategy("manual", parse_cell(CELL).space, StrategyContext())
