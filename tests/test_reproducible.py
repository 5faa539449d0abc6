"""A seeded search is reproducible: the same trials, parameters and values bit for bit, run
again in a fresh Python process (another hash seed, so no set or dict order of strings can
leak in), for every built-in strategy that draws, ``auto`` included."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from hpmagic.strategies.registry import names

SCRIPT = r'''
import json, sys
import hpmagic
CELL = """
x = 0.5        # tune: uniform(-2, 2)
lr = 0.01      # tune: loguniform(1e-4, 1)
kind = "a"     # tune: choice("a", "b", "c")
depth = 3      # tune: int(1, 8) if kind == "b"
[(x - 0.3) ** 2 + {"a": 0.0, "b": 0.1 * depth, "c": 1.0}[kind] + abs(lr - 0.1) + f for f in (0.0, 0.01, 0.02)]
"""
out = {}
for name in sys.argv[1:]:
    r = hpmagic.tune(CELL, {}, trials=16, strategy=name, seed=3, quiet=True, apply=False)
    out[name] = {"strategy": r.strategy, "trials": [[t.number, t.state.value, t.params, t.value, t.metrics] for t in r.trials],
                 "summary": [line for line in repr(r).split("\n")[:7] if " trials (" not in line]}  # not the time
print(json.dumps(out))
'''

# Every built-in name --strategy accepts but manual (each of its trials is a click).
STRATEGIES = [name for name in names() if name != "manual"]


def _run(hash_seed: str) -> dict:
    root = Path(__file__).resolve().parents[1]
    env = {**os.environ, "PYTHONHASHSEED": hash_seed, "PYTHONPATH": str(root)}
    proc = subprocess.run(
        [sys.executable, "-c", SCRIPT, *STRATEGIES], env=env, capture_output=True, text=True, timeout=600, check=False
    )
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_two_fresh_processes_give_the_same_trials_for_every_strategy():
    first, second = _run("1"), _run("2")
    for name in STRATEGIES:
        assert first[name]["trials"] == second[name]["trials"], f"{name} is not reproducible with its seed"
        assert first[name]["summary"] == second[name]["summary"]
        assert len(first[name]["trials"]) == 16 and all(t[1] == "complete" for t in first[name]["trials"])
    assert first["auto"]["strategy"] == second["auto"]["strategy"]
