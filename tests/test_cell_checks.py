"""No silently wrong search from the cell itself (issue 12): conditions checked against the
parameters they name, hpmagic's reserved name, top-level await/yield/return and a second
cell magic, each refused when the cell is parsed, before anything runs."""

from __future__ import annotations

import pytest

import hpmagic
from hpmagic.cell.parser import parse_cell
from hpmagic.errors import AnnotationError

from .shared import SharedList

HEAD = (
    "kernel = 'rbf'  # tune: ['rbf', 'poly']\n"
    "n = 2  # tune: int(1, 4)\n"
    "x = 0.5  # tune: uniform(0, 1)\n"
    "s = 0.5  # tune: uniform(0, 1, step=0.25)\n"
    "g = 0.0  # tune: normal(0, 1)\n"
    "depth = None  # tune: [None, 5, 10]\n"
)
LINE = HEAD.count("\n") + 1  # the line of the conditional parameter

# (condition, the literal the column must point at, words the message must contain)
CONDITIONS = [
    (
        "kernel == 'ploy'",
        "'ploy'",
        ["'ploy'", "not one of its options ('rbf', 'poly')", "never holds", "did you mean 'poly'?"],
    ),
    (
        "kernel != 'ploy'",
        "'ploy'",
        ["'ploy'", "not one of its options ('rbf', 'poly')", "always holds", "did you mean 'poly'?"],
    ),
    ("kernel in ('poly', 'ploy')", "'ploy'", ["'ploy'", "not one of its options", "did you mean 'poly'?"]),
    ("kernel not in ('Poly',)", "'Poly'", ["'Poly'", "not one of its options", "did you mean 'poly'?"]),
    ("kernel == 1", "1", ["kernel with 1", "not one of its options ('rbf', 'poly')"]),
    ("kernel > 5", "5", ["`kernel > 5` cannot be evaluated", "'rbf' or 'poly'", "a str against 5 (an int)"]),
    ("depth > 5", "5", ["`depth > 5` cannot be evaluated when depth is None", "depth in (None, 5)"]),
    ("kernel in ('rbf', 'poly')", "('rbf', 'poly')", ["always holds", "its options are 'rbf', 'poly'"]),
    ("kernel", "kernel", ["`if kernel` always holds", "its options are 'rbf', 'poly'"]),
    ("n == 7", "7", ["`n == 7` never holds", "7 is not a value of n (int(1, 4))", "outside [1, 4]"]),
    ("n != 7", "7", ["`n != 7` always holds", "outside [1, 4]"]),
    ("n == 2.5", "2.5", ["never holds", "not a whole number"]),
    ("n in (2, 9)", "9", ["9 is not a value of n", "outside [1, 4]"]),
    ("n == 'a'", "'a'", ["the number n (int(1, 4)) with 'a' (a str)", "never holds"]),
    ("n == True", "True", ["the number n (int(1, 4)) with True (a bool)", "never holds"]),
    ("n < 'a'", "'a'", ["`n < 'a'` compares the number n", "cannot be ordered"]),
    ("n > 10", "10", ["`n > 10` never holds for n (int(1, 4))", "from 1 to 4"]),
    ("n >= 1", "1", ["`n >= 1` always holds for n (int(1, 4))", "does nothing"]),
    ("2 > n", "2", []),  # a flipped comparison that can hold both ways: accepted (checked below)
    ("x == 0.5", "0.5", ["practically never holds", "continuous (uniform(0, 1))", "`<`, `<=`, `>` or `>=`"]),
    ("x != 0.5", "0.5", ["practically always holds", "continuous"]),
    ("x in (0.25, 0.5)", "0.25", ["practically never holds", "continuous"]),
    ("x", "x", ["`if x` means `x != 0`", "practically always holds"]),
    ("x > 2", "2", ["`x > 2` never holds for x (uniform(0, 1))", "between 0 and 1"]),
    ("x < 1", "1", ["`x < 1` always holds"]),
    ("s == 0.3", "0.3", ["0.3 is not a value of s (uniform(0, 1, step=0.25))", "steps of 0.25"]),
    ("g > 100", "100", ["never holds for g (normal(0, 1))", "mu ± 7.03 sigma"]),
    ("n in ()", "()", ["lists no values", "never holds"]),
    ("kernel == 'poly' and n == 9", "9", ["`n == 9` never holds"]),
    ("not (kernel == 'ploy')", "'ploy'", ["'ploy'", "did you mean 'poly'?"]),
    ("kernel == 'poly' or x > 7", "7", ["`x > 7` never holds"]),
]
REFUSED = [c for c in CONDITIONS if c[2]]


def cell_with(condition: str) -> str:
    return HEAD + f"y = 1  # tune: int(1, 3) if {condition}\ny\n"


@pytest.mark.parametrize("condition, at, words", REFUSED, ids=[c[0] for c in REFUSED])
def test_a_condition_that_cannot_be_right_names_the_literal_and_points_at_it(condition, at, words):
    source = cell_with(condition)
    with pytest.raises(AnnotationError) as info:
        parse_cell(source)
    (problem,) = info.value.problems
    line = source.splitlines()[LINE - 1]
    assert problem.line == LINE
    assert problem.column == line.index(at, line.index(" if ")) + 1, f"column {problem.column} of {line!r}"
    assert problem.fix
    text = str(info.value)
    for word in words:
        assert word in text, f"{word!r} missing from:\n{text}"


@pytest.mark.parametrize(
    "condition",
    [
        "kernel == 'poly'",
        "kernel != 'rbf'",
        "kernel in ('poly',)",
        "n == 3",
        "n in (2, 3)",
        "2 <= n < 4",
        "2 > n",
        "x > 0.5",
        "x <= 0.25 or n >= 3",
        "s == 0.5",
        "s != 0.75",
        "g > 1",
        "depth == 5",
        "depth != None",
        "depth in (None, 10)",
        "not kernel == 'rbf'",
    ],
)
def test_conditions_that_can_hold_either_way_are_accepted(condition):
    space = parse_cell(cell_with(condition)).space
    assert space["y"].condition is not None


def test_every_choice_option_type_is_compared_as_the_search_compares_it():
    # 1 and 1.0 are the same number for a condition; True is not 1.
    head = "k = 1  # tune: [1, 2.5, 'a']\n"
    assert parse_cell(head + "y = 1  # tune: int(1, 3) if k == 1.0\ny").space["y"].condition
    with pytest.raises(AnnotationError, match="not one of its options"):
        parse_cell(head + "y = 1  # tune: int(1, 3) if k == True\ny")
    with pytest.raises(AnnotationError, match=r"did you mean 'a'\?"):
        parse_cell("k = 1  # tune: [1, 'a', 'b']\ny = 1  # tune: int(1, 3) if k == 'A'\ny")
    with pytest.raises(AnnotationError, match=r"did you mean 1\?"):
        parse_cell("k = 1  # tune: [1, 2]\ny = 1  # tune: int(1, 3) if k == '1'\ny")


def test_a_condition_on_a_parameter_whose_own_annotation_is_wrong_reports_that_one_only():
    with pytest.raises(AnnotationError) as info:
        parse_cell("k = 'a'  # tune: logunifrom('a', 'b')\ny = 1  # tune: int(1, 3) if k == 'c'\ny")
    assert [p.line for p in info.value.problems] == [1]


@pytest.mark.parametrize(
    "condition, at, words", REFUSED[:6] + REFUSED[9:12], ids=[c[0] for c in REFUSED[:6] + REFUSED[9:12]]
)
def test_the_magic_refuses_the_condition_before_anything_runs(ip, capsys, condition, at, words):
    ip.user_ns["calls"] = SharedList()
    result = ip.run_cell("%%tune -q -n 5\ncalls.append(1)\n" + cell_with(condition))
    assert not result.success
    out = capsys.readouterr()
    text = out.out + out.err
    assert "UsageError" in text and "Traceback" not in text
    assert f"line {LINE + 2}," in text  # the editor's line: %%tune is line 1
    for word in words:
        assert word in text
    assert ip.user_ns["calls"] == [], "no trial may run"
    assert "y" not in ip.user_ns


def test_tune_raises_the_annotation_error_and_runs_nothing():
    ns: dict = {"calls": SharedList()}
    with pytest.raises(AnnotationError, match="'ploy'"):
        hpmagic.tune("calls.append(1)\n" + cell_with("kernel == 'ploy'"), ns, quiet=True, trials=3)
    assert ns == {"calls": []}


# -- hpmagic's reserved name ---------------------------------------------------------------

ANNOTATED = "x = 1.0  # tune: uniform(0, 2)\n"
RESERVED = [
    # (code from line 2 on, line, column, verb)
    ("__hpmagic_values__ = {}", 2, 1, "assigns"),
    ("__hpmagic_values__ += {}", 2, 1, "assigns"),
    ("__hpmagic_values__: dict = {}", 2, 1, "assigns"),
    ("del __hpmagic_values__", 2, 5, "deletes"),
    ("for __hpmagic_values__ in []: pass", 2, 5, "assigns"),
    ("with open('f') as __hpmagic_values__: pass", 2, 19, "assigns"),
    ("import os as __hpmagic_values__", 2, 8, "imports"),
    ("from os import path as __hpmagic_values__", 2, 16, "imports"),
    ("def f(__hpmagic_values__): pass", 2, 7, "names a parameter"),
    ("f = lambda __hpmagic_values__: 0", 2, 12, "names a parameter"),
    ("def f():\n    global __hpmagic_values__", 3, 5, "declares global"),
    ("(__hpmagic_values__ := 3)", 2, 2, "assigns"),
    ("[0 for __hpmagic_values__ in range(2)]", 2, 8, "assigns"),
    ("try:\n    pass\nexcept Exception as __hpmagic_values__:\n    pass", 4, 1, "binds an exception"),
    ("def __hpmagic_values__(): pass", 2, 1, "defines"),
    ("class __hpmagic_values__: pass", 2, 1, "defines"),
    ("match 1:\n    case __hpmagic_values__:\n        pass", 3, 10, "binds a match"),
    ("print(__hpmagic_values__)", 2, 7, "reads"),
]


@pytest.mark.parametrize("code, line, column, verb", RESERVED, ids=[r[0].splitlines()[-1] for r in RESERVED])
def test_the_reserved_name_is_refused_anywhere(code, line, column, verb):
    with pytest.raises(AnnotationError) as info:
        parse_cell(ANNOTATED + code + "\nx\n")
    (problem,) = info.value.problems
    assert (problem.line, problem.column) == (line, column)
    assert f"the cell {verb}" in problem.message and "`__hpmagic_values__`" in problem.message
    assert "other values than the ones it records" in problem.message
    assert problem.fix == "rename it: hpmagic reserves `__hpmagic_values__`"


def test_the_magic_refuses_a_cell_that_rebinds_the_reserved_name_and_runs_nothing(ip, capsys):
    ip.user_ns["calls"] = SharedList()
    result = ip.run_cell("%%tune -q -n 3\ncalls.append(1)\nx = 1.0  # tune: uniform(0, 2)\n__hpmagic_values__ = {}\nx")
    assert not result.success
    text = "".join(capsys.readouterr())
    assert "UsageError" in text and "line 4, column 1" in text and "__hpmagic_values__" in text
    assert ip.user_ns["calls"] == [] and "x" not in ip.user_ns


# -- await, yield and return at the top level ----------------------------------------------

FLOW = [
    ("import asyncio\nawait asyncio.sleep(0)\nx", 3, 1, ["`await` outside a function", "synchronous", "asyncio.run"]),
    ("async for i in y:\n    pass\nx", 2, 1, ["`async for` outside a function"]),
    ("async with y:\n    pass\nx", 2, 1, ["`async with` outside a function"]),
    ("[i async for i in y]\nx", 2, 14, ["`async for` comprehension"]),
    ("[await i for i in y]\nx", 2, 2, ["`await` outside a function"]),
    ("def f(a=await g()):\n    pass\nx", 2, 9, ["`await` outside a function"]),
    ("return x", 2, 1, ["`return` outside a function", "replace `return x` with `x`"]),
    ("if x > 1:\n    return x\nx", 3, 5, ["`return` outside a function", "end the cell with the expression"]),
    ("class A:\n    return 1\nx", 3, 5, ["`return` outside a function"]),
    ("yield x", 2, 1, ["`yield` outside a function", "end the cell with the expression"]),
    ("y = yield from z\nx", 2, 5, ["`yield from` outside a function"]),
    ("for i in []:\n    pass\nbreak\nx", 4, 1, ["not valid Python: 'break' outside loop"]),
]


@pytest.mark.parametrize(
    "code, line, column, words", FLOW, ids=[f[0].splitlines()[-2] if "\n" in f[0] else f[0] for f in FLOW]
)
def test_top_level_await_yield_and_return_are_refused_with_the_fix(code, line, column, words):
    with pytest.raises(AnnotationError) as info:
        parse_cell(ANNOTATED + code)
    (problem,) = info.value.problems
    assert (problem.line, problem.column) == (line, column)
    text = str(info.value)
    for word in words:
        assert word in text, f"{word!r} missing from:\n{text}"


def test_await_return_and_yield_inside_functions_are_fine():
    source = ANNOTATED + (
        "async def f():\n    await g()\n    async for i in h():\n        yield i\n"
        "def k():\n    yield 1\n    return 2\nlam = lambda: (yield)\nx\n"
    )
    assert parse_cell(source).space.names == ["x"]


@pytest.mark.parametrize("code", ["await asyncio.sleep(0)\nx", "return x", "yield x"])
def test_the_magic_refuses_top_level_flow_before_anything_runs(ip, capsys, code):
    ip.user_ns["calls"] = SharedList()
    result = ip.run_cell("%%tune -q -n 3\nimport asyncio\ncalls.append(1)\nx = 1.0  # tune: uniform(0, 2)\n" + code)
    assert not result.success
    text = "".join(capsys.readouterr())
    assert "UsageError" in text and "outside a function" in text
    assert "Traceback" not in text and "SyntaxError" not in text
    assert ip.user_ns["calls"] == []


def test_the_suggested_fix_for_await_runs_in_a_real_kernel(tmp_path):
    """In Jupyter, asyncio.run() alone fails (the kernel's loop runs); the fix the message gives works."""
    from tests.kernel import execute, running_kernel, stream_text

    with running_kernel(tmp_path) as (_km, kc):
        reply, messages = execute(
            kc,
            "%load_ext hpmagic\nimport asyncio, concurrent.futures\n"
            "async def score(x):\n    await asyncio.sleep(0)\n    return x * 2\n",
        )
        assert reply["status"] == "ok"
        reply, messages = execute(kc, "%%tune -q -n 2\nx = 1.0  # tune: uniform(0, 2)\nawait score(x)\n")
        assert reply["status"] == "error" and reply["ename"] == "UsageError"
        assert "`await` outside a function" in reply["evalue"]
        fix = "ThreadPoolExecutor(1).submit(asyncio.run, main()).result()"
        assert fix in reply["evalue"]
        cell = (
            "%%tune -q -n 3 -o res\nx = 1.0  # tune: uniform(0, 2)\n"
            "concurrent.futures.ThreadPoolExecutor(1).submit(asyncio.run, score(x)).result()\n"
        )
        reply, messages = execute(kc, cell)
        assert reply["status"] == "ok", reply
        reply, messages = execute(kc, "print([t.state.value for t in res.trials], res.trials[0].value)")
        assert stream_text(messages).split() == ["['complete',", "'complete',", "'complete']", "2.0"]


# -- a second cell magic -------------------------------------------------------------------


@pytest.mark.parametrize(
    "magic, words",
    [
        ("%%time", ["`%%time`, a second cell magic", "one cell magic", "every trial's duration", "`%time x = f()`"]),
        ("%%capture out", ["`%%capture`", "captures every trial's output"]),
        ("%%writefile f.py", ["`%%writefile`", "run %%writefile in a cell of its own"]),
    ],
)
def test_a_second_cell_magic_is_named_with_the_reason_and_the_fix(ip, capsys, tmp_path, monkeypatch, magic, words):
    monkeypatch.chdir(tmp_path)
    ip.user_ns["calls"] = SharedList()
    result = ip.run_cell(f"%%tune -q -n 3\n{magic}\ncalls.append(1)\nx = 1.0  # tune: uniform(0, 2)\nx")
    assert not result.success
    text = "".join(capsys.readouterr())
    assert "UsageError" in text and "line 1, column 1" in text
    assert "no `# tune:` annotations" not in text  # the confusing message of before
    for word in words:
        assert word in text, f"{word!r} missing from:\n{text}"
    assert ip.user_ns["calls"] == [] and not list(tmp_path.iterdir())


def test_tune_names_a_raw_cell_magic_too():
    ns: dict = {}
    with pytest.raises(AnnotationError, match="`%%time`, a second cell magic") as info:
        hpmagic.tune("%%time\nx = 1.0  # tune: uniform(0, 2)\nx", ns, quiet=True)
    assert info.value.problems[0].source_line == "%%time"
    assert ns == {}


def test_a_line_magic_in_the_cell_still_runs_inline(ip):
    result = ip.run_cell_magic("tune", "-q -n 3", "x = 1.0  # tune: uniform(0, 2)\n%time y = x * 2\ny")
    assert [t.state.value for t in result.trials] == ["complete"] * 3
    assert "Wall time" in result.trials[0].stdout


def test_a_numeric_choice_compared_beyond_its_options_never_holds():
    with pytest.raises(AnnotationError) as info:
        parse_cell("layers = 2  # tune: [1, 2, 3]\nwidth = 8  # tune: int(8, 64) if layers > 10\nwidth")
    assert "`layers > 10` never holds for layers (choice(1, 2, 3)): its options are 1, 2, 3" in str(info.value)
    assert parse_cell(
        "layers = 2  # tune: [1, 2, 3]\nwidth = 8  # tune: int(8, 64) if layers > 1\nwidth"
    ).space.conditional
