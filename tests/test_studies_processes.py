"""Studies across processes: a kernel killed with SIGKILL mid-search, and two writers at once."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
from contextlib import closing

from .conftest import wait_for
from .kernel import execute, running_kernel, stream_text


def _rows(path, sql, *args):
    with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30)) as conn:
        return conn.execute(sql, args).fetchall()


def _complete(path) -> int:
    if not path.exists():
        return 0
    try:
        return _rows(path, "SELECT count(*) FROM trials WHERE state = 'complete'")[0][0]
    except sqlite3.OperationalError:  # the schema is being created
        return 0


def test_a_study_survives_sigkill_of_its_kernel(tmp_path):
    path = tmp_path / "killed.sqlite"
    cell = (
        f"%%tune -q -n 12 -s random --seed 0 --study k --storage {path} -o res\n"
        "import time\n"
        "x = 0.0  # tune: uniform(-1, 1)\n"
        "time.sleep(0.3)\n"
        "(x - 0.3) ** 2\n"
    )
    with running_kernel(tmp_path / "first") as (km, kc):
        reply, _ = execute(kc, "%load_ext hpmagic")
        assert reply["status"] == "ok"
        kc.execute(cell)
        wait_for(lambda: _complete(path) >= 4, what="4 stored trials")
        process = km.provisioner.process
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=30)
    before = _rows(path, "SELECT number, state, value, params FROM trials ORDER BY number")
    finished = {n: (v, p) for n, s, v, p in before if s == "complete"}
    running = [n for n, s, _, _ in before if s == "running"]
    assert len(finished) >= 4 and len(finished) < 12
    assert len(running) == 1  # the trial the kill cut short

    with running_kernel(tmp_path / "second") as (km, kc):
        reply, _ = execute(kc, "%load_ext hpmagic")
        assert reply["status"] == "ok"
        reply, _ = execute(kc, cell)
        assert reply["status"] == "ok", reply
        reply, messages = execute(
            kc, "import json; print(json.dumps([[t.number, t.state.value, t.value] for t in res.trials]))"
        )
        assert reply["status"] == "ok"
        trials = json.loads(stream_text(messages))
    after = _rows(path, "SELECT number, state, value, params FROM trials ORDER BY number")
    numbers = [n for n, *_ in after]
    assert numbers == list(range(len(after))) == [t[0] for t in trials]
    states = {n: s for n, s, _, _ in after}
    for n, (value, params) in finished.items():  # every trial finished before the kill is there, unchanged
        assert states[n] == "complete"
        assert next((v, p) for m, _, v, p in after if m == n) == (value, params)
    assert states[running[0]] == "interrupted"
    assert sum(s == "complete" for s in states.values()) == 12  # the budget was completed
    assert sum(s == "interrupted" for s in states.values()) == 1


WRITER = textwrap.dedent(
    """
    import json, os, random, sqlite3, sys, time
    from contextlib import closing
    import hpmagic

    path, go, wait_at, wait_for = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])

    def foreign_complete():
        sql = ("SELECT count(*) FROM trials t JOIN sessions s ON s.id = t.session_id "
               "WHERE t.state = 'complete' AND s.pid != ?")
        with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30)) as conn:
            return conn.execute(sql, (os.getpid(),)).fetchone()[0]

    class Watch(hpmagic.Strategy):
        name = "watch"

        def setup(self, space, context):
            super().setup(space, context)
            self.rng = random.Random(os.getpid())
            self.told, self.asked = [], []

        def ask(self, number):
            self.asked.append(number)
            if len(self.asked) == wait_at:  # make sure the other writer has finished some trials
                deadline = time.time() + 60
                while foreign_complete() < wait_for and time.time() < deadline:
                    time.sleep(0.02)
            return self.space.sample(self.rng)

        def tell(self, trial):
            self.told.append(trial.number)

    while not os.path.exists(go):
        time.sleep(0.005)
    cell = "import time\\nx = 0.0  # tune: uniform(-1, 1)\\ntime.sleep(0.02)\\nx ** 2\\n"
    strategy = Watch()
    result = hpmagic.tune(cell, {}, trials=24, strategy=strategy, study="shared", storage=path, quiet=True)
    print(json.dumps({"pid": os.getpid(), "told": strategy.told, "trials": len(result.trials)}))
    """
)


def test_two_processes_share_one_study(tmp_path):
    path, go = tmp_path / "shared.sqlite", tmp_path / "go"
    # The second writer waits at its 2nd ask for 3 of the first's trials; the first waits at its
    # 6th ask for 2 of the second's.  So both surely overlap, whatever the machine's speed.
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, str(path), str(go), *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for args in (("6", "2"), ("2", "3"))
    ]
    go.touch()
    reports = []
    for proc in procs:
        out, err = proc.communicate(timeout=240)
        assert proc.returncode == 0, err
        reports.append(json.loads(out.strip().splitlines()[-1]))
    rows = _rows(
        path, "SELECT t.number, t.state, s.pid FROM trials t JOIN sessions s ON s.id = t.session_id ORDER BY t.number"
    )
    assert [n for n, _, _ in rows] == list(range(24))  # unique, none missing, no more than -n
    assert all(state == "complete" for _, state, _ in rows)
    owner = {n: pid for n, _, pid in rows}
    for report in reports:
        own = {n for n, pid in owner.items() if pid == report["pid"]}
        assert own, "each writer ran trials"
        seen_foreign = set(report["told"]) - own
        assert len(seen_foreign) >= 2, report  # it learnt from the other's finished trials
        assert set(report["told"]) >= own  # and from its own
