"""Every option of ``%%tune`` and ``tune()`` with a bad value ends in one clean error.

From the magic: an IPython ``UsageError`` (shown as one line, no traceback); from
``tune()``: the specific subclass of ``HpmagicError``, with words that name the problem.
Nothing runs: the cell appends to ``calls`` on every trial, and it stays empty.
"""

from __future__ import annotations

import math
import types

import pytest
from IPython.core.error import UsageError

import hpmagic
from hpmagic.errors import HpmagicError, OptionError, StorageError

from .shared import SharedList

CELL = "calls.append(1)\nx = 0.5  # tune: uniform(0, 1)\nk = 'a'  # tune: ['a', 'b']\nx"


@pytest.fixture
def workdir(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "adir").mkdir()
    (tmp_path / "notes.txt").write_text("not a database\n" * 20)
    return tmp_path


# (line, words the error must contain)
MAGIC_CASES = [
    ("-n 0", "at least 1"),
    ("-n -3", "at least 1"),
    ("-n abc", "invalid int value"),
    ("-n 1.5", "invalid int value"),
    ("-s nope", "unknown strategy 'nope'"),
    ("-s gpp", "did you mean 'gp'"),
    ("-s number", "not a strategy"),
    ("--maximize --minimize", "cannot both be given"),
    ("-t 0", "positive number of seconds"),
    ("-t -1", "positive number of seconds"),
    ("-t nan", "positive number of seconds"),
    ("-t soon", "invalid float value"),
    ("-j 0", "--jobs must be a whole number of at least 1"),
    ("-j two", "invalid int value"),
    ("--executor nothere", "no variable 'nothere'"),
    ("--executor number", "not an executor"),
    ("--seed -1", "the seed must be a whole number from 0"),
    ("--seed 4294967296", "the seed must be a whole number from 0"),
    ("--seed x", "invalid int value"),
    ("--storage f.sqlite", "--storage applies to a persistent study"),
    ("--overwrite", "--overwrite applies to a persistent study"),
    ("--study s --storage adir", "is a directory"),
    ("--study s --storage notes.txt", "is not an SQLite database"),
    ("--study s --storage missing/dir/f.sqlite", "does not exist"),
    ('--study s --storage "  "', "is empty: give the path of a study file"),
    ("--prune meadian", "unknown rule 'meadian' \\(did you mean 'median'\\?\\)"),
    ("--prune asha:eta=1", "eta must be a whole number of at least 2"),
    ("--prune asha:bogus=3", "has no setting 'bogus'"),
    ("--grid-points 0", "--grid-points must be a whole number of at least 1"),
    ("-s grid --grid-points 200 -n 5", None),  # fine: -n caps a big grid (a control case)
    ("-o 1bad", "is not a Python name"),
    ("-o class", "is not a Python name"),
    ("-o x", "is a tuned parameter"),
    ("-o print", "would hide Python's built-in 'print'"),
    ("-o np", "would replace the module 'np'"),
    ("-o helper", "would replace the function 'helper'"),
    ("--study 'unclosed", "unclosed ' quote"),
    ("--study ''", "--study needs a name"),
    ("--bogus", "unrecognized arguments"),
    ("-s manual -j 2", "drop --jobs"),
    ("--enqueue nothere", "--enqueue nothere: there is no variable 'nothere'"),
    ("--enqueue number", "but got int"),
    ("--enqueue number:x", "a whole number of at least 1"),
    ("--warm-start nothere", "--warm-start nothere: "),
    ("--warm-start svm --study svm", "--warm-start svm names the study this search stores in"),
]


@pytest.mark.parametrize(("line", "words"), MAGIC_CASES, ids=[c[0] for c in MAGIC_CASES])
def test_the_magic_turns_every_bad_option_into_a_usage_error(ip, workdir, capsys, line, words):
    import numpy

    ip.user_ns.update(calls=SharedList(), number=42, np=numpy, helper=lambda: None)
    if words is None:
        ip.run_cell_magic("tune", f"-q {line}", CELL)
        assert len(ip.user_ns["calls"]) == 5
        return
    with pytest.raises(UsageError, match=words):
        ip.run_cell_magic("tune", f"-q {line}", CELL)
    assert ip.user_ns["calls"] == []
    # through the shell, as a notebook shows it: one line, no traceback
    result = ip.run_cell(f"%%tune -q {line}\n{CELL}")
    out = capsys.readouterr()
    assert isinstance(result.error_in_exec, UsageError)
    assert "Traceback" not in out.out + out.err
    assert ip.user_ns["calls"] == []
    assert list(workdir.glob("*.sqlite")) == []  # nothing was created


# (keyword arguments, error type, words)
API_CASES = [
    ({"trials": 0}, OptionError, "at least 1"),
    ({"trials": "10"}, OptionError, "at least 1"),
    ({"trials": 2.5}, OptionError, "at least 1"),
    ({"trials": True}, OptionError, "at least 1"),
    ({"strategy": "nope"}, OptionError, "unknown strategy"),
    ({"strategy": 42}, OptionError, "not a strategy"),
    ({"strategy": object()}, OptionError, "not a strategy"),
    ({"maximize": "yes"}, OptionError, "switch"),
    ({"maximize": True, "minimize": True}, OptionError, "cannot both be given"),
    ({"metric": 5}, OptionError, "--metric needs a name"),
    ({"metric": "  "}, OptionError, "--metric needs a name"),
    ({"metric": "number"}, OptionError, "the cell never uses a variable 'number'"),
    ({"timeout": "5"}, OptionError, "positive number of seconds"),
    ({"timeout": 0}, OptionError, "positive number of seconds"),
    ({"timeout": math.nan}, OptionError, "positive number of seconds"),
    ({"timeout": True}, OptionError, "positive number of seconds"),
    ({"jobs": 0}, OptionError, "--jobs"),
    ({"jobs": 2.5}, OptionError, "--jobs"),
    ({"jobs": "2"}, OptionError, "--jobs"),
    ({"executor": "nothere"}, OptionError, "no variable 'nothere'"),
    ({"executor": object()}, OptionError, "not an executor"),
    ({"seed": -1}, OptionError, "the seed must be"),
    ({"seed": 1.5}, OptionError, "the seed must be"),
    ({"seed": "abc"}, OptionError, "the seed must be"),
    ({"seed": 2**32}, OptionError, "the seed must be"),
    ({"seed": True}, OptionError, "the seed must be"),
    ({"study": ""}, OptionError, "--study needs a name"),
    ({"study": 5}, OptionError, "--study needs a name"),
    ({"study": "s", "storage": 5}, OptionError, "--storage is the path"),
    ({"study": "s", "storage": "  "}, OptionError, "--storage '  ' is empty: give the path of a study file"),
    ({"storage": "f.sqlite"}, OptionError, "persistent study"),
    ({"study": "s", "storage": "adir"}, StorageError, "is a directory"),
    ({"study": "s", "storage": "notes.txt"}, StorageError, "not an SQLite database"),
    ({"overwrite": 1}, OptionError, "switch"),
    ({"prune": "meadian"}, OptionError, "did you mean 'median'"),
    ({"prune": "asha:eta=x"}, OptionError, "eta must be a whole number"),
    ({"prune": 5}, OptionError, "prune= takes a rule"),
    ({"grid_points": 0}, OptionError, "--grid-points"),
    ({"baseline": "no"}, OptionError, "switch"),
    ({"apply": None}, OptionError, "switch"),
    ({"quiet": 1}, OptionError, "switch"),
    ({"out": "1bad"}, OptionError, "not a Python name"),
    ({"out": 5}, OptionError, "not a Python name"),
    ({"out": "k"}, OptionError, "is a tuned parameter"),
    ({"display": "fancy"}, OptionError, "not a display"),
    ({"trails": 3}, OptionError, "did you mean 'trials'"),
    ({"enqueue": [{"x": 2.0}]}, OptionError, "x = 2.0 lies outside the range of x"),
    ({"enqueue": [{"y": 0.5}]}, OptionError, "names 'y', which is not a tuned parameter"),
    ({"enqueue": 5}, OptionError, "takes a list of dicts"),
    ({"warm_start": 5}, OptionError, "warm_start= takes a study's name"),
    ({"warm_start": ""}, OptionError, "--warm-start needs the name of an earlier study"),
]


@pytest.mark.parametrize(("options", "kind", "words"), API_CASES, ids=[repr(c[0]) for c in API_CASES])
def test_tune_raises_a_specific_hpmagic_error_for_every_bad_option(workdir, options, kind, words):
    ns = {"calls": SharedList(), "number": 0.5}
    cell = CELL.rsplit("\n", 1)[0] if "metric" in options else CELL  # without its objective line
    with pytest.raises(kind, match=words) as caught:
        hpmagic.tune(cell, ns, **{"trials": 5, "quiet": True, **options})
    assert isinstance(caught.value, HpmagicError)
    assert ns["calls"] == []
    assert "x" not in ns  # nothing was applied


@pytest.mark.parametrize("source", [b"x = 1  # tune: uniform(0, 1)\nx", None, ["x = 1"], 42])
def test_tune_checks_the_source(source):
    with pytest.raises(OptionError, match="source must be a string"):
        hpmagic.tune(source, {}, quiet=True)


@pytest.mark.parametrize("namespace", [[], (), "globals", types.MappingProxyType({"calls": []})])
def test_tune_checks_the_namespace_before_any_trial(namespace):
    with pytest.raises(OptionError, match="namespace must be a dict"):
        hpmagic.tune(CELL, namespace, trials=3, quiet=True)


def test_the_line_is_split_as_a_shell_would_and_variables_are_expanded(ip, workdir):
    import hpmagic

    ip.user_ns.update(calls=SharedList(), name="my study", n=4)
    ip.run_cell_magic("tune", '-q -n $n --study "$name" --storage "dir with spaces.sqlite"', CELL)
    ip.run_cell_magic("tune", "-q -n {n + 1} --study $name --storage 'dir with spaces.sqlite'", CELL)
    ip.run_cell_magic("tune", "-q -n 3 --study 'étude' --storage 'dir with spaces.sqlite'", CELL)
    studies = hpmagic.list_studies(str(workdir / "dir with spaces.sqlite"))
    assert sorted(studies.index) == ["my study", "étude"]
    assert studies.loc["my study", "trials"] == 5  # resumed from 4 to 5: one study, no quotes in its name
    ip.user_ns["res"] = "an old result"
    ip.run_cell_magic("tune", "-q -n 3 -o res", CELL)  # rebinding an ordinary variable is fine
    assert ip.user_ns["res"].budget == 3


def test_a_metric_variable_the_cell_never_names_is_not_read_from_the_notebook():
    from hpmagic.errors import TrialsFailedError

    cell = "x = 0.5  # tune: uniform(0, 1)\n{'acc': x}"
    with pytest.raises(TrialsFailedError, match="has no key 'score'"):
        hpmagic.tune(cell, {"score": 0.25}, trials=3, metric="score", quiet=True)
    result = hpmagic.tune(cell + "\nscore = 2 * x\n{'acc': x}", {"score": 0.25}, trials=3, metric="score", quiet=True)
    assert result.trials[0].value == 1.0  # the cell's own score, not the notebook's
