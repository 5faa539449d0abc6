"""--write-back: the cell's source with the best values as its defaults, every other byte kept."""

from __future__ import annotations

import ast

import pytest

from hpmagic.api import TuneOptions, run, tune
from hpmagic.cell.writeback import HINT, WriteBackError, literal_text, rewrite_defaults, written_cell
from hpmagic.errors import OptionError

CELL = '''\
import math
C = 1.0        # tune: loguniform(1e-3, 1e3)
kernel = "rbf" # tune: choice("rbf", "poly")
degree = 3     # tune: int(2, 5) if kernel == "poly"
lr = 1e-3      # tune: loguniform(1e-5, 1e-1)
shape = (64,)  # tune: [(64,), (32, 32)]
math.log(C) ** 2 + (kernel == "poly") * degree
'''


def test_only_the_defaults_change_byte_for_byte():
    new = rewrite_defaults(CELL, {"C": 0.123456789, "kernel": "poly", "degree": 4, "lr": 0.001, "shape": (32, 32)})
    assert new.splitlines() == [
        "import math",
        "C = 0.123456789        # tune: loguniform(1e-3, 1e3)",
        "kernel = 'poly' # tune: choice(\"rbf\", \"poly\")",
        "degree = 4     # tune: int(2, 5) if kernel == \"poly\"",
        "lr = 1e-3      # tune: loguniform(1e-5, 1e-1)",  # equal: spelled as written
        "shape = (32, 32)  # tune: [(64,), (32, 32)]",
        'math.log(C) ** 2 + (kernel == "poly") * degree',
    ]
    assert new.endswith("\n")


def test_floats_are_written_in_their_shortest_exact_form():
    for value in (0.1, 1e-05, 123456.789, 2.5e-10, 1 / 3, -0.0, 7.0):
        text = literal_text(value)
        assert ast.literal_eval(text) == value and type(ast.literal_eval(text)) is float and text == repr(value)
    assert literal_text(float("inf")) == 'float("inf")' and literal_text((1,)) == "(1,)"
    assert literal_text("it's") == '"it\'s"' and literal_text(None) == "None" and literal_text(True) == "True"
    import numpy as np

    assert literal_text(np.float64(0.25)) == "0.25" and literal_text(np.int64(3)) == "3"
    with pytest.raises(WriteBackError, match="cannot be written"):
        literal_text(object())


def test_an_inactive_conditional_parameter_keeps_its_default():
    # kernel is rbf in the best configuration: degree does not apply and keeps 3, as written.
    new = rewrite_defaults(CELL, {"C": 2.0, "kernel": "rbf", "degree": 3})
    assert "degree = 3     # tune" in new and "C = 2.0        # tune" in new and 'kernel = "rbf" # tune' in new


def test_the_tune_line_is_kept_as_a_comment_and_the_cell_runs_without_searching():
    magic = "%%tune -n 40  --seed 0 -w"
    cell = written_cell(magic, CELL, {"C": 2.0})
    first, _, body = cell.partition("\n")
    assert first == "# " + magic and body == CELL.replace("C = 1.0  ", "C = 2.0  ")
    ns: dict = {}
    exec(compile(cell, "<cell>", "exec"), ns)  # plain Python now: one run with the tuned values
    assert ns["C"] == 2.0 and ns["degree"] == 3


def test_multiline_values_unicode_and_annotated_assignments():
    src = 'name = "é"; x = 1  # tune: uniform(0, 5)\ny: float = (\n    0.5)  # tune: uniform(0, 1)\nx + y\n'
    new = rewrite_defaults(src, {"x": 2.5, "y": 0.25})
    assert new == 'name = "é"; x = 2.5  # tune: uniform(0, 5)\ny: float = (\n    0.25)  # tune: uniform(0, 1)\nx + y\n'


def test_a_line_that_is_not_plain_python_as_written_is_refused():
    raw = "x = 0.5  # tune: uniform(0, 1)\n%time x\n"
    python = "x = 0.5  # tune: uniform(0, 1)\nget_ipython().run_line_magic('time', 'x')\n"
    assert rewrite_defaults(raw, {"x": 0.25}, python).startswith("x = 0.25  # tune")  # the magic line is left alone
    with pytest.raises(WriteBackError, match="line 1 of the cell is not plain Python"):
        rewrite_defaults("x = 0.5  # tune: uniform(0, 1)\n", {"x": 0.25}, "x = (0.5)  # tune: uniform(0, 1)\n")


def test_tune_from_python_and_manual_mode_say_what_to_do_instead():
    with pytest.raises(OptionError, match="rewrite_defaults"):
        tune("x = 0.5  # tune: uniform(0, 1)\nx", {}, write_back=True)
    with pytest.raises(OptionError, match="manual search"):
        run("x = 0.5  # tune: uniform(0, 1)\nx", {}, TuneOptions(strategy="manual", write_back=True))


def _payloads(ip, source):
    """Run a cell in the real IPython shell; return the set_next_input payloads it wrote."""
    written = []
    ip.set_next_input = lambda text, replace=False: written.append((text, replace))
    try:
        assert ip.run_cell(source).success
    finally:
        del ip.set_next_input
    return written


def test_the_magic_hands_the_rewritten_cell_to_the_front_end(ip, capsys):
    ip.run_line_magic("load_ext", "hpmagic")
    body = "x = 0.5    # tune: uniform(0, 1)\n(x - 0.3) ** 2"
    written = _payloads(ip, "%%tune -n 12 --seed 0 -q -w -o res\n" + body)
    assert len(written) == 1 and written[0][1] is True
    text = written[0][0]
    best = ip.user_ns["x"]
    # (A terminal shell does not keep the cell as sent: IPython's copy of it ends in a newline.)
    assert text == f"# %%tune -n 12 --seed 0 -q -w -o res\nx = {best!r}    # tune: uniform(0, 1)\n(x - 0.3) ** 2\n"
    assert best != 0.5 and "the best values were written into the cell" in repr(ip.user_ns["res"])
    # Without the option nothing is written, and the summary says how.
    assert _payloads(ip, "%%tune -n 12 --seed 0 -q -o res\n" + body) == []
    assert HINT in repr(ip.user_ns["res"])


def test_in_a_real_kernel_the_reply_carries_the_cell_as_written_with_the_best_values(tmp_path):
    """The payload JupyterLab and Notebook 7 apply: set_next_input with replace, in the execute reply."""
    from tests.kernel import execute, running_kernel, stream_text

    with running_kernel(tmp_path) as (_, kc):
        execute(kc, "%load_ext hpmagic")
        cell = "%%tune  -n 8 --seed 0 -w\nx = 0.5  # tune: uniform(0, 1)\n(x - 0.3) ** 2"  # two spaces: kept
        reply, _ = execute(kc, cell)
        assert reply["status"] == "ok"
        _, printed = execute(kc, "print(repr(x))")
    [payload] = [p for p in reply["payload"] if p["source"] == "set_next_input"]
    assert payload["replace"] is True
    x = payload["text"].split("\n")[1].split(" ")[2]
    assert payload["text"] == f"# %%tune  -n 8 --seed 0 -w\nx = {x}  # tune: uniform(0, 1)\n(x - 0.3) ** 2"
    assert float(x) != 0.5 and stream_text(printed).strip() == x  # the value bound is the value written
