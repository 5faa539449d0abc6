"""``api.open_search``: every part of a search made, or what was made closed and the error raised."""

from __future__ import annotations

import dataclasses
import sqlite3

import pytest

import hpmagic
from hpmagic import api
from hpmagic.errors import OptionError
from hpmagic.manual import ManualSearch
from hpmagic.options import TuneOptions

CELL = "x = 1.0  # tune: uniform(0, 2)\n(x - 1.5) ** 2"


class _Refuses(hpmagic.Strategy):
    """A strategy whose set-up fails, after the study was opened."""

    def setup(self, space, context):
        raise OptionError("this strategy refuses every space")

    def ask(self, number):
        return {"x": 0.5}


def test_the_parts_come_finished_in_a_frozen_search():
    settled = api.plan(CELL, {}, TuneOptions(trials=3, quiet=True))
    search = api.open_search(settled, {})
    assert isinstance(search, api.Search) and search.plan.budget == 3 and search.reporter is not None
    with pytest.raises(dataclasses.FrozenInstanceError):
        search.store = None  # type: ignore[misc]
    assert [t.number for t in search.run_to_end().trials] == [0, 1, 2]


def test_a_failing_step_closes_the_study_it_opened(tmp_path):
    path = tmp_path / "s.sqlite"
    namespace = {"mine": _Refuses()}
    settled = api.plan(CELL, namespace, TuneOptions(strategy="mine", study="s", storage=str(path), quiet=True))
    with pytest.raises(OptionError, match="this strategy refuses every space"):
        api.open_search(settled, namespace)
    with sqlite3.connect(path) as conn:  # the run that opened the study is recorded as ended
        assert conn.execute("SELECT stop_reason FROM sessions").fetchall() == [("error",)]
        assert conn.execute("SELECT COUNT(*) FROM sessions WHERE ended IS NULL").fetchone() == (0,)


def test_a_complete_study_is_a_stored_search_and_manual_a_manual_search(tmp_path, capsys):
    path = str(tmp_path / "s.sqlite")
    hpmagic.tune(CELL, {}, trials=2, study="s", storage=path, quiet=True)
    again = api.open_search(api.plan(CELL, {}, TuneOptions(trials=2, study="s", storage=path)), {})
    assert isinstance(again, api.StoredSearch) and len(again.run_to_end().trials) == 2
    assert capsys.readouterr().out.startswith("hpmagic: ")
    manual = api.open_search(api.plan(CELL, {}, TuneOptions(strategy="manual", quiet=True)), {})
    assert isinstance(manual, ManualSearch)
    assert [t.number for t in manual.run_one({"x": 0.2}, baseline=False).trials] == [0]
