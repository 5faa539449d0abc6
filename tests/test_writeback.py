"""--write-back: the cell's source with the best values as its defaults, every other byte kept."""

from __future__ import annotations

import ast
import re

import pytest

from hpmagic import Strategy
from hpmagic.api import TuneOptions, tune, tune_cell
from hpmagic.cell.writeback import (
    HINT,
    WriteBackError,
    literal_text,
    rewrite_defaults,
    write_back,
    written_cell,
    written_value,
)
from hpmagic.errors import OptionError
from hpmagic.space import Choice, Int, LogUniform, Normal, Uniform

from .shared import STOPS_ON_THE_SIXTH_TRIAL, SharedList

CELL = """\
import math
C = 1.0        # tune: loguniform(1e-3, 1e3)
kernel = "rbf" # tune: choice("rbf", "poly")
degree = 3     # tune: int(2, 5) if kernel == "poly"
lr = 1e-3      # tune: loguniform(1e-5, 1e-1)
shape = (64,)  # tune: [(64,), (32, 32)]
math.log(C) ** 2 + (kernel == "poly") * degree
"""


def test_only_the_defaults_change_byte_for_byte():
    new = rewrite_defaults(CELL, {"C": 0.123456789, "kernel": "poly", "degree": 4, "lr": 0.001, "shape": (32, 32)})
    assert new.splitlines() == [
        "import math",
        "C = 0.1235        # tune: loguniform(1e-3, 1e3)",  # rounded to 4 significant digits
        'kernel = "poly" # tune: choice("rbf", "poly")',  # in the quotes of the default it replaces
        'degree = 4     # tune: int(2, 5) if kernel == "poly"',
        "lr = 1e-3      # tune: loguniform(1e-5, 1e-1)",  # equal: spelled as written
        "shape = (32, 32)  # tune: [(64,), (32, 32)]",
        'math.log(C) ** 2 + (kernel == "poly") * degree',
    ]
    assert new.endswith("\n")
    exact = rewrite_defaults(CELL, {"C": 0.123456789}, digits=None)
    assert "C = 0.123456789        # tune" in exact


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
        tune_cell("x = 0.5  # tune: uniform(0, 1)\nx", {}, TuneOptions(strategy="manual", write_back=True))


def _payloads(ip, source):
    """Run a cell in the real IPython shell; return the set_next_input calls it made, as
    (text, replace) pairs (a terminal shell keeps no payloads; a kernel's reply carries them:
    see the real-kernel tests below)."""
    written = []
    ip.set_next_input = lambda text, replace=False: written.append((text, replace))
    try:
        ip.run_cell(source)
    finally:
        del ip.set_next_input
    return written


@pytest.fixture
def window(monkeypatch):
    """Set the edit window: 1e9 s (every search is short) or 0 s (every search is long), so
    that which one a test sees never depends on the machine's speed."""
    from hpmagic.cell import writeback

    return lambda seconds: monkeypatch.setattr(writeback, "EDIT_WINDOW", seconds)


BODY = "x = 0.5    # tune: uniform(0, 1)\n(x - 0.3) ** 2"
WROTE = (
    "into the cell, the best of 12 trials (rounded to 4 significant digits; res.best_params has the exact values); "
    "its %%tune line is now a comment, so it runs once with them: remove the '# ' to tune again"
)


def test_a_short_search_replaces_the_cell_and_the_note_says_what_was_written(ip, window):
    window(1e9)
    written = _payloads(ip, "%%tune -n 12 --seed 0 -q -w -o res\n" + BODY)
    res, best = ip.user_ns["res"], ip.user_ns["x"]
    assert best == res.best_params["x"] and f"{best:.4g}" != repr(best)  # the namespace keeps the exact value
    # (A terminal shell does not keep the cell as sent: IPython's copy of it ends in a newline.)
    assert written == [
        (f"# %%tune -n 12 --seed 0 -q -w -o res\nx = {best:.4g}    # tune: uniform(0, 1)\n(x - 0.3) ** 2\n", True)
    ]
    assert res.notes[-1] == f"wrote x={best:.4g} {WROTE}"
    # Without the option nothing is written, and the summary says how.
    assert _payloads(ip, "%%tune -n 12 --seed 0 -q -o res\n" + BODY) == []
    assert ip.user_ns["res"].notes[-1] == HINT


def test_a_long_search_inserts_the_tuned_cell_below_and_leaves_this_one(ip, window):
    window(0.0)
    written = _payloads(ip, "%%tune -n 12 --seed 0 -q -w -o res\n" + BODY)
    best = ip.user_ns["x"]
    assert written == [
        (f"# %%tune -n 12 --seed 0 -q -w -o res\nx = {best:.4g}    # tune: uniform(0, 1)\n(x - 0.3) ** 2\n", False)
    ]
    note = ip.user_ns["res"].notes[-1]
    assert note.startswith(f"wrote x={best:.4g} into a new cell below this one, the best of 12 trials (rounded")
    assert re.search(
        r"\. The search took (under 1 ms|\d+ ms|[\d.]+ s), so this cell may have been edited meanwhile: "
        r"the tuned cell was inserted below it, and this one was left as it is$",
        note,
    ), note


def test_in_a_real_kernel_the_reply_carries_the_cell_as_written_with_the_best_values(tmp_path):
    """The payloads JupyterLab and Notebook 7 apply: set_next_input, in the execute reply,
    replacing the cell after a short search and inserting a new one after a long search."""
    from tests.kernel import execute, running_kernel, stream_text

    cell = "%%tune  -n 8 --seed 0 -w\nx = 0.5  # tune: uniform(0, 1)\n(x - 0.3) ** 2"  # two spaces: kept
    with running_kernel(tmp_path) as (_, kc):
        execute(kc, "%load_ext hpmagic\nimport hpmagic.cell.writeback as wb\nwb.EDIT_WINDOW = 1e9")
        short, _ = execute(kc, cell)
        _, printed = execute(kc, "print(repr(x)); wb.EDIT_WINDOW = 0.0")
        _, note = execute(kc, "print(Out[2].notes[-1])")
        long, _ = execute(kc, cell)
    assert short["status"] == "ok" and long["status"] == "ok"
    [payload] = [p for p in short["payload"] if p["source"] == "set_next_input"]
    exact = float(stream_text(printed))
    assert payload == {
        "source": "set_next_input",
        "replace": True,
        "text": f"# %%tune  -n 8 --seed 0 -w\nx = {exact:.4g}  # tune: uniform(0, 1)\n(x - 0.3) ** 2",
    }
    assert exact != 0.5 and f"{exact:.4g}" != repr(exact)  # written rounded, bound exact
    assert stream_text(note).startswith(
        f"wrote x={exact:.4g} into the cell, the best of 8 trials (rounded to 4 "
        "significant digits; Out[2].best_params has the exact values); "
    )
    [inserted] = [p for p in long["payload"] if p["source"] == "set_next_input"]
    assert inserted == {**payload, "replace": False}


# -- a search that did not finish writes nothing -------------------------------------------


def test_a_stopped_search_writes_nothing_and_says_where_the_values_are(ip, window, tmp_path):
    window(1e9)
    ip.user_ns["calls"] = SharedList()
    cell = STOPS_ON_THE_SIXTH_TRIAL
    assert _payloads(ip, "%%tune -q -n 40 --seed 2 -w -o res\n" + cell) == []
    res = ip.user_ns["res"]
    assert res.interrupted and ip.user_ns["x"] == res.best_params["x"] != 0.0
    assert res.notes[-1] == (
        "the search was stopped after 5 of 40 trials: nothing was written back (-w), because the best of 5 finished "
        "trials is not the search's answer; the values are bound in the namespace; run it to the end to write them"
    )
    calls = ip.user_ns["calls"] = SharedList()
    ip.user_ns["x"] = "untouched"
    assert _payloads(ip, "%%tune -q -n 40 --seed 2 -w --no-apply -o res\n" + cell) == []
    assert len(calls) == 6 and ip.user_ns["x"] == "untouched"
    assert (
        "5 finished trials is not the search's answer; res.best_params holds them (--no-apply left the "
        "namespace as it was); run it to the end to write them" in ip.user_ns["res"].notes[-1]
    )
    ip.user_ns["calls"] = SharedList()
    assert (
        _payloads(ip, f"%%tune -q -n 40 --seed 2 -w -o res --study st --storage {tmp_path / 'st.sqlite'}\n" + cell)
        == []
    )
    assert (
        ip.user_ns["res"]
        .notes[-1]
        .endswith("the values are bound in the namespace; run the cell again to resume the study; its end writes them")
    )


def test_a_search_that_failed_writes_nothing_and_says_so(ip, window, capsys):
    window(1e9)

    class Breaks(Strategy):
        name = "breaks"

        def ask(self, number):
            if number == 3:
                raise RuntimeError("no more ideas")
            return self.space.sample(__import__("random").Random(number))

    ip.user_ns["breaks"] = Breaks()
    assert _payloads(ip, "%%tune -q -n 10 -s breaks -w\n" + BODY) == []
    out = capsys.readouterr()
    assert "UsageError: the search stopped after 3 completed trials: RuntimeError: no more ideas\n" in out.err + out.out
    assert (
        "the search failed after 3 of 10 trials: nothing was written back (-w), because the best of 3 finished "
        "trials is not the search's answer; the values are bound in the namespace; run it to the end to write them"
    ) in out.err + out.out
    ip.user_ns["breaks"] = Breaks()
    assert _payloads(ip, "%%tune -q -n 10 -s breaks -w --no-apply\n" + BODY) == []
    out = capsys.readouterr()
    assert (
        "is not the search's answer; --no-apply left them unbound (add -o NAME to keep the result of a failed "
        "search); run it to the end to write them"
    ) in out.err + out.out
    assert _payloads(ip, "%%tune -q -n 10 -w\nx = 0.5  # tune: uniform(0, 1)\n1 / 0") == []
    out = capsys.readouterr()
    assert (
        "hpmagic: nothing was written back (-w): no trial completed, so there are no best values to write" in out.err
    ) and "TrialsFailedError" in out.out + out.err


def test_a_timeout_is_a_normal_end_and_is_written(ip, window):
    window(1e9)
    # The first trial outlasts the time limit, so no other starts, on any machine.
    body = "import time\nx = 0.5  # tune: uniform(0, 1)\ntime.sleep(1.2)\n(x - 0.3) ** 2"
    written = _payloads(ip, "%%tune -q -n 40 -t 1 --seed 0 --no-baseline -w -o res\n" + body)
    res, best = ip.user_ns["res"], ip.user_ns["x"]
    assert res.stop_reason == "timeout" and len(res.trials) == 1
    assert [replace for _, replace in written] == [True] and f"x = {best:.4g}  # tune" in written[0][0]
    assert res.notes[-1].startswith(
        f"wrote x={best:.4g} into the cell, the best of 1 trial within the time limit (rounded"
    )


# -- hostile cells -------------------------------------------------------------------------


def test_an_inactive_conditional_parameter_keeps_its_default_through_the_magic(ip, window):
    window(1e9)
    body = (
        'kernel = "poly"  # tune: ["rbf", "poly"]\n'
        "degree = 3  # tune: int(2, 5) if kernel == 'poly'\n"
        '(kernel == "poly") * 10 + degree'
    )
    [(text, _)] = _payloads(ip, "%%tune -q -s grid -n 20 -w -o res\n" + body)
    assert (
        text == '# %%tune -q -s grid -n 20 -w -o res\nkernel = "rbf"  # tune: ["rbf", "poly"]\n'
        "degree = 3  # tune: int(2, 5) if kernel == 'poly'\n" + '(kernel == "poly") * 10 + degree\n'
    )
    assert ip.user_ns["res"].stop_reason == "exhausted"  # the grid's 5 points and the defaults: a finished search
    assert (
        ip.user_ns["res"]
        .notes[-1]
        .startswith(
            'wrote kernel="rbf" into the cell, the best of 6 trials, all the strategy had to try; its %%tune line'
        )
    )


def test_quotes_unicode_and_windows_line_ends_through_the_magic(ip, window):
    window(1e9)
    body = 'étiquette = "a"  # tune: ["a", "it\'s \\"x\\""]\r\nλ = 2  # tune: int(0, 3)\r\nlen(étiquette) - λ\r\n'
    [(text, _)] = _payloads(ip, "%%tune -q -s grid --maximize -w\r\n" + body)
    assert (
        text == '# %%tune -q -s grid --maximize -w\r\nétiquette = "it\'s \\"x\\""  # tune: ["a", "it\'s \\"x\\""]'
        "\r\nλ = 0  # tune: int(0, 3)\r\nlen(étiquette) - λ\r\n"
    )
    assert ip.user_ns["étiquette"] == 'it\'s "x"' and ip.user_ns["λ"] == 0


def test_write_back_with_no_apply_writes_the_cell_and_leaves_the_namespace(ip, window):
    window(1e9)
    ip.user_ns["x"] = "untouched"
    [(text, replace)] = _payloads(ip, "%%tune -n 12 --seed 0 -q -w --no-apply -o res\n" + BODY)
    best = ip.user_ns["res"].best_params["x"]
    assert replace and f"x = {best:.4g}    # tune" in text and ip.user_ns["x"] == "untouched"


def test_a_study_written_back_resumes_when_the_comment_is_removed(ip, window, tmp_path):
    """-w with --study, then remove the '# ' (twice): the study goes on, trial 0 runs once."""
    window(1e9)
    path = tmp_path / "wb.sqlite"
    body = "C = 1.0  # tune: loguniform(1e-3, 1e3)\nkind = 'a'  # tune: ['a', 'b']\n(math.log10(C) - 1.2) ** 2 + (kind == 'a')"
    ip.run_cell("import math")
    [(text, _)] = _payloads(ip, f"%%tune -n 8 --seed 0 -q -w -o res --study s --storage {path}\n" + body)
    assert text.startswith("# %%tune") and "C = 1.0 " not in text
    first = ip.user_ns["res"]
    # Remove the '# ': the study holds its 8 trials, so nothing runs, and there is nothing new to write.
    assert _payloads(ip, text[2:]) == []
    again = ip.user_ns["res"]
    assert len(again.trials) == 8 and again.best_params == first.best_params
    changed = [name for name, value in first.best_params.items() if value != {"C": 1.0, "kind": "a"}[name]]
    assert (
        f"the default{'s' * (len(changed) > 1)} of {', '.join(changed)} changed since study 's' began "
        "(written back with -w?)"
    ) in again.notes[0]
    assert (
        again.notes[-1]
        == "nothing was written back (-w): the cell's defaults already are the best values found, as written"
    )
    # Raise -n: the study resumes, trial 0 (the old defaults) is not run again.
    more = _payloads(ip, text[2:].replace("-n 8", "-n 14", 1))
    res = ip.user_ns["res"]
    assert [t.number for t in res.trials] == list(range(14)) and res.trials[0].params == {"C": 1.0, "kind": "a"}
    assert any(note.startswith(f"the default{'s' * (len(changed) > 1)} of ") for note in res.notes)
    assert not any("code changed" in note for note in res.notes)
    assert len(more) <= 1  # written again only if the 6 new trials found better values


# -- what is written: digits, quotes, line ends --------------------------------------------


@pytest.mark.parametrize(
    ("value", "distribution", "written"),
    [
        (12.3456789, LogUniform(1e-3, 1e3), 12.35),
        (1.23456789e-7, LogUniform(1e-9, 1.0), 1.235e-07),  # significant digits, never 0.0
        (123456.7, Uniform(0, 1e6), 123500.0),
        (0.123449, Uniform(0.123449, 1), 0.12345),  # 0.1234 would leave the range: one digit more
        (0.99996, Uniform(0, 0.99996), 0.99996),  # 1.0 would leave it: all the digits it needs
        (1.2345, Uniform(0, 10, step=0.0001), 1.2345),  # 1.234 or 1.235 is another point of the grid
        (0.30000000000000004, Uniform(0, 1, step=0.1), 0.3),  # the same point of the grid, without the noise
        (0.123456, Choice((0.123456, 0.5)), 0.123456),  # a choice is written as it is
        (-1.23456, Normal(0, 1), -1.235),
        (3, Int(0, 10), 3),
        ("rbf", Choice(("rbf", "poly")), "rbf"),
    ],
)
def test_floats_are_rounded_to_four_significant_digits_within_range_and_grid(value, distribution, written):
    result = written_value(value, distribution)
    assert result == written and type(result) is type(written)
    if isinstance(distribution, Uniform) and distribution.step:
        assert distribution.from_unit(distribution.to_unit(result)) == distribution.from_unit(
            distribution.to_unit(value)
        )


def test_the_note_knows_what_was_rounded_and_what_kept_more_digits():
    cell = "a = 0.5  # tune: uniform(0.123449, 1)\nb = 1.0  # tune: loguniform(1e-3, 1e3)\nn = 3  # tune: int(1, 9)\na + b\n"
    done = write_back("%%tune -w", cell, {"a": 0.123449, "b": 2.0, "n": 7})
    assert done.describe() == "a=0.12345, b=2.0, n=7"
    assert done.rounded == ("a",) and done.more_digits == ("a",)  # 2.0 was exact: not rounded
    assert done.text == (
        "# %%tune -w\na = 0.12345  # tune: uniform(0.123449, 1)\nb = 2.0  # tune: loguniform(1e-3, 1e3)\n"
        "n = 7  # tune: int(1, 9)\na + b\n"
    )


def test_a_value_equal_to_the_default_once_rounded_keeps_its_spelling():
    cell = "lr = 1.235e-3  # tune: loguniform(1e-5, 1e-1)\nlr\n"
    done = write_back("%%tune -w", cell, {"lr": 0.00123456789})
    assert done.written == () and done.text == "# %%tune -w\n" + cell


@pytest.mark.parametrize(
    ("default", "value", "written"),
    [
        ('"rbf"', "poly", '"poly"'),
        ("'rbf'", "poly", "'poly'"),
        ('"a"', 'it\'s "x"', '"it\'s \\"x\\""'),  # both quote kinds inside: the default's one escaped
        ("'a'", 'it\'s "x"', "'it\\'s \"x\"'"),
        ("'a'", "back\\slash'\n", "'back\\\\slash\\'\\n'"),
        ('r"a"', "b", '"b"'),  # a raw string's quote, not its prefix
        ('("a", 1)', ("b", 2), '("b", 2)'),  # strings in a tuple too
    ],
)
def test_a_string_keeps_the_quotes_of_the_default_it_replaces(default, value, written):
    options = ", ".join(repr(v) for v in (ast.literal_eval(default), value))
    cell = f"s = {default}  # tune: [{options}]\nlen(s)\n"
    new = rewrite_defaults(cell, {"s": value})
    assert new == f"s = {written}  # tune: [{options}]\nlen(s)\n"
    assert ast.literal_eval(written) == value


def test_windows_line_ends_are_kept_and_the_tune_line_gets_them_too():
    cell = "x = 0.5  # tune: uniform(0, 1)\r\ny = (\r\n    0.5)  # tune: uniform(0, 1)\r\nx + y\r\n"
    done = write_back("%%tune -w", cell, {"x": 0.25, "y": 0.123456})
    assert (
        done.text
        == "# %%tune -w\r\nx = 0.25  # tune: uniform(0, 1)\r\ny = (\r\n    0.1235)  # tune: uniform(0, 1)\r\nx + y\r\n"
    )


def test_unicode_identifiers_and_text_before_the_value():
    cell = 'α = 0.5  # tune: uniform(0, 1)\nnaïve = "é"; λ_2 = 1.0  # tune: loguniform(0.1, 10)\nα + λ_2\n'
    new = rewrite_defaults(cell, {"α": 0.7071067811865476, "λ_2": 3.141592653589793})
    assert new == 'α = 0.7071  # tune: uniform(0, 1)\nnaïve = "é"; λ_2 = 3.142  # tune: loguniform(0.1, 10)\nα + λ_2\n'
