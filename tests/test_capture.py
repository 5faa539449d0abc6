"""Captured output has a limit: the head and the tail of each stream, and the first warnings."""

from __future__ import annotations

import concurrent.futures as cf

import pytest

import hpmagic
from hpmagic.cell.capture import KEEP_CHARS, KEEP_WARNINGS, CappedText

LOUD = (
    "import sys, warnings\n"
    "x = 0.0  # tune: uniform(0, 1)\n"
    "for i in range(100_000):\n"
    "    print(f'line {i}')\n"
    "print('last words', file=sys.stderr)\n"
    "warnings.simplefilter('always')\n"
    "for i in range(1_000):\n"
    "    warnings.warn(f'careful {i}')\n"
    "x\n"
)


def test_capped_text_keeps_the_head_and_the_tail_and_says_what_it_cut():
    text = CappedText(keep=10)
    for chunk in ("0123456", "789abc", "\n", "defghijklmnop", "qrstuvwxyz"):
        text.write(chunk)
    value = text.getvalue()
    assert value.startswith("0123456789") and value.endswith("qrstuvwxyz")
    assert "cut 17 characters (1 lines)" in value
    small = CappedText(keep=10)
    small.write("short\n")
    assert small.getvalue() == "short\n"


@pytest.mark.parametrize("where", ["inline", "jobs", "threads"])
def test_a_loud_trial_keeps_the_head_and_tail_of_its_output(where):
    options = {"jobs": {"jobs": 2}, "threads": {"executor": cf.ThreadPoolExecutor(2)}}.get(where, {})
    result = hpmagic.tune(LOUD, {}, trials=3, seed=0, strategy="random", quiet=True, **options)
    for t in result.trials:
        assert t.stdout.startswith("line 0\nline 1\n") and t.stdout.endswith("line 99999\n")
        assert len(t.stdout) < 2 * KEEP_CHARS + 300
        assert "hpmagic cut" in t.stdout and "characters (" in t.stdout
        assert t.stderr == "last words\n"
        assert len(t.warnings) == KEEP_WARNINGS + 1
        assert t.warnings[0] == "UserWarning: careful 0"
        assert (
            t.warnings[-1]
            == f"... and {1_000 - KEEP_WARNINGS:,} more warnings (a trial keeps its first {KEEP_WARNINGS})"
        )


def test_a_study_stores_the_capped_output(tmp_path):
    path = tmp_path / "loud.sqlite"
    hpmagic.tune(LOUD, {}, trials=3, seed=0, strategy="random", quiet=True, study="loud", storage=str(path))
    assert path.stat().st_size < 1_000_000  # three trials of 100,000 lines each, capped
    stored = hpmagic.load_study("loud", storage=str(path))
    assert all("line 99999" in t.stdout and "hpmagic cut" in t.stdout for t in stored.trials)
