"""One contract for every trial store: the in-memory one and the SQLite study file; and, for
every study store that :func:`hpmagic.storage.open_storage` opens, the whole study lifecycle
(create, resume with what changed, read, list, sessions, liveness, archive), run through the
:class:`~hpmagic.protocols.StudyStore` protocol alone."""

from __future__ import annotations

import json
import subprocess
import sys
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hpmagic import codec
from hpmagic.cell.parser import parse_cell
from hpmagic.errors import StorageError, StorageWarning, StudyMismatchError
from hpmagic.result import Trial, TrialState
from hpmagic.space import SearchSpace
from hpmagic.storage import file as study_file
from hpmagic.storage import open_storage, redact
from hpmagic.storage.memory import MemoryStore
from hpmagic.storage.sqlite import SQLiteStore

from . import pgserver

postgres_server, postgres_url = pgserver.postgres_server, pgserver.postgres_url  # for the postgresql entries

SPACE = parse_cell(
    "x = 0.5  # tune: uniform(0, 1)\nshape = (1, 2)  # tune: choice((1, 2), (3, 4), None, True)\nx\n"
).space


def _memory(tmp_path):
    return MemoryStore()


def _sqlite(tmp_path):
    store = SQLiteStore(tmp_path / "contract.sqlite", "contract")
    store.begin(
        space=SPACE, direction="minimize", metric="objective", baseline=True, seed=0, budget=100, strategy="random"
    )
    return store


def _postgresql(url):
    store = open_storage(url, "contract")
    store.begin(
        space=SPACE, direction="minimize", metric="objective", baseline=True, seed=0, budget=100, strategy="random"
    )
    return store


@pytest.fixture(params=[_memory, _sqlite, _postgresql], ids=["memory", "sqlite", "postgresql"])
def store(request, tmp_path):
    where = request.getfixturevalue("postgres_url") if request.param is _postgresql else tmp_path
    s = request.param(where)
    yield s
    s.close()


def test_numbers_are_consecutive_and_unique(store):
    assert [store.reserve() for _ in range(5)] == [0, 1, 2, 3, 4]


def test_reserve_stops_at_the_limit_and_interrupted_trials_do_not_count(store):
    numbers = [store.reserve(3) for _ in range(3)]
    assert numbers == [0, 1, 2]
    assert store.reserve(3) is None
    store.put(Trial(number=1, params={"x": 0.1}, state=TrialState.INTERRUPTED))
    assert store.reserve(3) == 3
    assert store.reserve(3) is None


def test_an_interrupted_number_can_be_taken_back_once(store):
    for _ in range(3):
        store.reserve()
    store.put(Trial(number=0, params={"x": 0.5}, state=TrialState.INTERRUPTED, error="stopped"))
    store.put(Trial(number=1, params={"x": 0.1}, state=TrialState.COMPLETE, value=0.1))
    assert store.reclaim(1) is False, "a complete trial is never taken back"
    assert store.reclaim(0) is True
    assert store.reclaim(0) is False, "taken back already"
    store.put(Trial(number=0, params={"x": 0.5}, started=1.0))
    assert [t.state for t in store.trials()][:2] == [TrialState.RUNNING, TrialState.COMPLETE]
    assert store.reserve(3) is None, "the trial taken back counts toward the limit again"


def test_taking_back_respects_the_limit(store):
    store.reserve()
    store.reserve()
    store.put(Trial(number=0, params={"x": 0.5}, state=TrialState.INTERRUPTED))
    store.put(Trial(number=1, params={"x": 0.1}, state=TrialState.COMPLETE, value=0.1))
    assert store.reclaim(0, limit=1) is False, "one trial that counts is held: the limit"
    assert store.reclaim(0, limit=2) is True


def test_a_released_number_is_not_a_trial(store):
    n = store.reserve()
    store.release(n)
    assert store.trials() == []


def test_put_on_start_and_end_round_trips_every_field(store):
    n = store.reserve()
    params = {"x": np.float64(0.25), "shape": (3, 4)}
    start = Trial(number=n, params=params, started=123.5)
    store.put(start)
    assert [t.state for t in store.trials()] == [TrialState.RUNNING]
    end = start.finish(
        state=TrialState.COMPLETE,
        value=0.25,
        metrics={"std": np.float32(0.5), "n": np.int64(3)},
        duration=1.5,
        stdout="out\n",
        stderr="err\n",
        warnings=("ConvergenceWarning: no",),
        error="",
    )
    store.put(end)
    (got,) = store.trials()
    assert got.number == n and got.state is TrialState.COMPLETE and got.value == 0.25
    assert got.params == {"x": 0.25, "shape": (3, 4)} and isinstance(got.params["shape"], tuple)
    assert got.metrics == {"std": 0.5, "n": 3}
    assert (got.duration, got.stdout, got.stderr, got.warnings, got.started) == (
        1.5,
        "out\n",
        "err\n",
        ("ConvergenceWarning: no",),
        123.5,
    )


def test_a_pruned_trial_keeps_its_curve_and_rungs(store):
    n = store.reserve()
    start = Trial(number=n, params={"x": 0.5}, started=1.0)
    store.put(start)
    pruning = {"bracket": 1, "kind": "curve", "rungs": [[3.0, "promoted"], [9.0, "pruned"]]}
    store.put(
        start.finish(
            state=TrialState.PRUNED,
            curve=((1.0, 0.5), (2.0, 0.75), (9.0, 0.8)),
            pruning=pruning,
            error="pruned at rung 9",
        )
    )
    (got,) = store.trials()
    assert got.state is TrialState.PRUNED and got.value is None
    assert got.curve == ((1.0, 0.5), (2.0, 0.75), (9.0, 0.8)) and all(isinstance(p, tuple) for p in got.curve)
    assert got.pruning == pruning and got.error == "pruned at rung 9"


def test_choices_keep_their_types(store):
    for value in [None, True, (1, 2)]:
        n = store.reserve()
        store.put(Trial(number=n, params={"x": 0.5, "shape": value}, state=TrialState.COMPLETE, value=1.0))
    assert [t.params["shape"] for t in store.trials()] == [None, True, (1, 2)]
    assert type(store.trials()[1].params["shape"]) is bool


def test_failed_trial_keeps_its_traceback_and_trials_come_in_number_order(store):
    a, b = store.reserve(), store.reserve()
    store.put(Trial(number=b, params={"x": 0.2}, state=TrialState.FAILED, error="Traceback ...\nValueError: bad"))
    store.put(Trial(number=a, params={"x": 0.1}, state=TrialState.COMPLETE, value=0.1))
    trials = store.trials()
    assert [t.number for t in trials] == [a, b]
    assert trials[1].error.endswith("ValueError: bad") and trials[1].value is None


def test_poll_never_returns_the_stores_own_trials(store):
    n = store.reserve()
    store.put(Trial(number=n, params={"x": 0.1}, state=TrialState.COMPLETE, value=0.1))
    assert store.poll() == []


# -- the one JSON codec ---------------------------------------------------------------------

_SCALARS = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8)
_VALUES = st.recursive(
    _SCALARS,
    lambda inner: (
        st.tuples(inner, inner)
        | st.lists(inner, max_size=3)
        | st.dictionaries(st.text(max_size=5).filter(lambda k: k != "tuple"), inner, max_size=3)
    ),
    max_leaves=12,
)


def _typed(value):
    """A value with every type spelled out, so that 1 == 1.0 == True and (1,) == [1] do not pass."""
    if isinstance(value, (tuple, list)):
        return (type(value).__name__, [_typed(v) for v in value])
    if isinstance(value, dict):
        return ("dict", {k: _typed(v) for k, v in value.items()})
    return (type(value).__name__, value)


@settings(max_examples=200, deadline=None)
@given(_VALUES)
def test_the_codec_round_trips_values_with_their_types(value):
    assert _typed(codec.loads(codec.dumps(value), "value", object)) == _typed(value)


def test_the_codec_unwraps_numpy_scalars_and_keeps_other_objects_as_text():
    assert codec.encode({"a": np.float32(0.5), "b": np.int64(3), "c": np.bool_(True)}) == {"a": 0.5, "b": 3, "c": True}
    assert codec.encode(object).startswith("<class")


def test_a_space_keeps_the_json_form_of_the_files_written_so_far():
    """The exact text hpmagic 0.1 wrote for this space: study files written before keep reading."""
    cell = (
        "kernel = 'rbf'  # tune: ['rbf', 'poly', None, True, (1, 2)]\n"
        "C = 1.0  # tune: loguniform(1e-3, 1e3)\n"
        "degree = 3  # tune: int(2, 5) if kernel in ('poly', (1, 2))\n"
        "shape = (1, 2)  # tune: choice((1, 2), (3, (4, 5)))\n"
        "step = 0.5  # tune: uniform(0, 1, step=0.25) if not kernel == 'rbf'\n"
        "C\n"
    )
    stored = (
        '[{"name": "kernel", "distribution": {"kind": "choice", "options": ["rbf", "poly", null, true, {"tuple": [1, 2]}]}, '
        '"default": "rbf", "condition": null, "line": 1}, {"name": "C", "distribution": {"kind": "loguniform", "low": '
        '0.001, "high": 1000.0, "step": null}, "default": 1.0, "condition": null, "line": 2}, {"name": "degree", '
        '"distribution": {"kind": "int", "low": 2, "high": 5, "step": null}, "default": 3, "condition": {"tree": ["cmp", '
        '"kernel", "in", {"tuple": ["poly", {"tuple": [1, 2]}]}], "text": "kernel in (\'poly\', (1, 2))"}, "line": 3}, '
        '{"name": "shape", "distribution": {"kind": "choice", "options": [{"tuple": [1, 2]}, {"tuple": [3, {"tuple": [4, '
        '5]}]}]}, "default": {"tuple": [1, 2]}, "condition": null, "line": 4}, {"name": "step", "distribution": {"kind": '
        '"uniform", "low": 0, "high": 1, "step": 0.25}, "default": 0.5, "condition": {"tree": ["not", ["cmp", "kernel", '
        '"==", "rbf"]], "text": "not kernel == \'rbf\'"}, "line": 5}]'
    )
    space = parse_cell(cell).space
    assert json.dumps(space.to_json()) == stored
    assert SearchSpace.from_json(json.loads(stored)) == space


# -- the study lifecycle, for every backend open_storage knows -----------------------------
# Each backend is a way of writing --storage for a fresh, empty storage; a new backend adds
# its own (a server it starts, a URL to it) and must pass every test below unchanged.


def _sqlite_path(tmp_path):
    return str(tmp_path / "studies.sqlite")


def _sqlite_url(tmp_path):
    return f"sqlite:///{tmp_path / 'studies.sqlite'}"  # sqlite:/// + an absolute path: four slashes


def _postgresql_url(request):
    return request.getfixturevalue("postgres_url")  # a fresh database of the server the tests start


@pytest.fixture(params=[_sqlite_path, _sqlite_url, _postgresql_url], ids=["sqlite-path", "sqlite-url", "postgresql"])
def storage(request, tmp_path):
    return _postgresql_url(request) if request.param is _postgresql_url else request.param(tmp_path)


def _begin(target, name="svm", *, space=SPACE, direction="minimize", budget=10, overwrite=False, code="x"):
    store = open_storage(target, name)
    resume = store.begin(
        space=space,
        direction=direction,
        metric="objective",
        baseline=True,
        seed=7,
        budget=budget,
        strategy="random",
        overwrite=overwrite,
        code=code,
    )
    return store, resume


def _run(store, values):
    for value in values:
        n = store.reserve()
        start = Trial(number=n, params={"x": 0.5, "shape": (1, 2)}, started=1.0)
        store.put(start)
        store.put(start.finish(state=TrialState.COMPLETE, value=value, duration=0.1))


def test_a_study_is_created_read_and_listed(storage):
    store, resume = _begin(storage)
    assert (resume.created, resume.session, resume.counted, resume.complete) == (True, 1, 0, False)
    _run(store, [0.3, 0.1])
    store.close()
    reader = open_storage(storage, "svm", readonly=True)
    try:
        stored = reader.read_study()
        assert stored is not None and stored.record.name == "svm" and stored.record.space == SPACE
        assert stored.record.direction.value == "minimize" and stored.record.seed == 7
        assert [t.value for t in stored.trials] == [0.3, 0.1]
        assert [s.id for s in reader.sessions()] == [1] and not reader.sessions()[0].live
        assert reader.study_names() == ["svm"]
        (summary,) = reader.summaries()
        assert (summary.name, summary.trials, summary.best) == ("svm", 2, 0.1)
    finally:
        reader.close()


def test_a_study_resumes_with_its_trials_and_a_new_session(storage):
    store, _ = _begin(storage)
    _run(store, [0.3])
    store.close()
    store, resume = _begin(storage, code="y")
    try:
        assert (resume.created, resume.session, resume.counted, resume.completed) == (False, 2, 1, 1)
        assert resume.previous_code == "x" and resume.other_code == 1, "the code of the earlier run is compared"
        assert [s.id for s in store.sessions()] == [1, 2]
        assert store.session_of(0) == 1
    finally:
        store.close()


def test_a_study_with_its_budget_reached_is_complete(storage):
    store, _ = _begin(storage, budget=2)
    _run(store, [0.3, 0.2])
    store.close()
    store, resume = _begin(storage, budget=2)
    store.close()
    assert resume.complete and resume.counted == 2


def test_a_changed_cell_is_refused_and_says_which_direction_was_stored(storage):
    store, _ = _begin(storage)
    store.close()
    other = parse_cell("x = 0.5  # tune: uniform(0, 2)\nx\n").space
    with pytest.raises(StudyMismatchError, match="was run with a different cell") as info:
        _begin(storage, space=other)
    assert info.value.stored_direction is None
    with pytest.raises(StudyMismatchError) as info:
        _begin(storage, direction="maximize")
    assert info.value.stored_direction == "minimize"


def test_overwrite_archives_the_study_and_starts_afresh(storage):
    store, _ = _begin(storage)
    _run(store, [0.3])
    store.close()
    store, resume = _begin(storage, overwrite=True)
    store.close()
    assert resume.created and resume.archive is not None and resume.archive.trials == 1
    reader = open_storage(storage, None, readonly=True)
    try:
        names = reader.study_names()
    finally:
        reader.close()
    assert names[0].startswith("svm@") and names[1:] == ["svm"]


_CRASH = """
import os, sys
from hpmagic.cell.parser import parse_cell
from hpmagic.result import Trial
from hpmagic.storage import open_storage
space = parse_cell("x = 0.5  # tune: uniform(0, 1)\\nshape = (1, 2)  # tune: choice((1, 2), (3, 4), None, True)\\nx\\n").space
store = open_storage(sys.argv[1], "svm")
store.begin(space=space, direction="minimize", metric="objective", baseline=True, seed=7, budget=10, strategy="random")
store.put(Trial(number=store.reserve(), params={"x": 0.5, "shape": (1, 2)}, started=1.0))
os._exit(0)  # the process dies with its trial running: no close, no end recorded
"""


def test_a_trial_left_running_by_a_dead_process_reads_interrupted_and_is_marked_on_resuming(storage):
    subprocess.run([sys.executable, "-c", _CRASH, storage], check=True, timeout=120)
    reader = open_storage(storage, "svm", readonly=True)
    try:
        stored = reader.read_study()
        assert stored is not None and [t.state for t in stored.trials] == [TrialState.INTERRUPTED]
        assert not reader.sessions()[0].live, "the backend decided that the dead session is not live"
    finally:
        reader.close()
    store, resume = _begin(storage)
    store.close()
    assert resume.interrupted == 1


def test_a_session_of_this_process_is_live_while_its_store_is_open(storage):
    store, _ = _begin(storage)
    try:
        (session,) = store.sessions()
        assert session.live and session.here
    finally:
        store.close()


# -- open_storage: what --storage may say ----------------------------------------------------


def test_open_storage_reads_paths_and_sqlite_urls_alike(tmp_path):
    store, _ = _begin(str(tmp_path / "a.sqlite"))
    store.close()
    for target in (tmp_path / "a.sqlite", f"sqlite:///{tmp_path / 'a.sqlite'}", f"SQLite:///{tmp_path / 'a.sqlite'}"):
        reader = open_storage(target, None, readonly=True)
        try:
            assert reader.study_names() == ["svm"] and reader.location == str(tmp_path / "a.sqlite")
        finally:
            reader.close()


def test_a_relative_sqlite_url_is_relative_to_the_working_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    store, _ = _begin("sqlite:///rel.sqlite")
    store.close()
    assert (tmp_path / "rel.sqlite").is_file()


@pytest.mark.parametrize(
    "target, words",
    [
        ("mysql://me:secret@db.example/hp", "cannot keep studies at a mysql:// URL; it knows sqlite://"),
        ("", "is empty: give the path of a study file"),
        ("   ", "is empty: give the path of a study file"),
        ("sqlite://", "names no file: write sqlite:///relative/path.sqlite"),
        ("sqlite:///", "names no file"),
    ],
)
def test_a_storage_url_that_cannot_be_opened_says_why_and_never_shows_a_password(target, words):
    with pytest.raises(StorageError) as info:
        open_storage(target, "svm")
    assert words in str(info.value)
    assert "secret" not in str(info.value)


def test_redact_hides_only_the_password():
    assert redact("postgresql://me:s3:cr@t@db:5432/hp") == "postgresql://me:***@db:5432/hp"
    assert redact("postgresql://me@db/hp") == "postgresql://me@db/hp"
    assert redact("/tmp/a:b@c.sqlite") == "/tmp/a:b@c.sqlite"


# -- a study file on a network file system ---------------------------------------------------
# No NFS server runs here: the mount table is a file the test writes, in /proc/mounts' format.


def _mounts(tmp_path, kind):
    table = tmp_path / "mounts"
    table.write_text(f"/dev/sda1 / ext4 rw 0 0\nserver:/export {tmp_path} {kind} rw,relatime 0 0\n")
    return str(table)


def test_the_mount_table_decides_which_file_system_holds_a_path(tmp_path):
    table = _mounts(tmp_path, "nfs4")
    assert study_file.network_file_system(tmp_path / "s.sqlite", table) == "nfs4"
    assert study_file.network_file_system(tmp_path / "deeper" / "s.sqlite", table) == "nfs4"
    assert study_file.network_file_system(tmp_path.parent / "s.sqlite", table) is None, (
        "the longest mount point decides"
    )
    assert study_file.network_file_system(tmp_path / "s.sqlite", _mounts(tmp_path, "ext4")) is None
    assert study_file.network_file_system(tmp_path / "s.sqlite", str(tmp_path / "missing")) is None


def test_a_study_file_on_a_network_file_system_warns_once_and_still_works(tmp_path, monkeypatch):
    monkeypatch.setattr(study_file, "MOUNTS", _mounts(tmp_path, "nfs"))
    with pytest.warns(
        StorageWarning,
        match=r"is on a network file system \(nfs\), where SQLite's file locking is "
        r"not reliable.*Keep study files on a local disk",
    ):
        store, _ = _begin(str(tmp_path / "s.sqlite"))
    _run(store, [0.5])
    store.close()
    with warnings.catch_warnings():
        warnings.simplefilter("error", StorageWarning)
        store, resume = _begin(str(tmp_path / "s.sqlite"))  # warned once per file and process
        store.close()
    assert resume.counted == 1
