"""The annotation grammar (design.md section 2): what parses, and every mistake."""

from __future__ import annotations

import math

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hpmagic.cell.parser import parse_cell
from hpmagic.errors import AnnotationError
from hpmagic.space import Choice, Int, LogInt, LogNormal, LogUniform, Normal, Uniform

from .shared import SharedList


def space_of(source: str):
    return parse_cell(source).space


def test_every_distribution_parses_with_its_default():
    space = space_of(
        "a = 0.5    # tune: uniform(0, 1)\n"
        "b = 1e-3   # tune: loguniform(1e-5, 1e-1)\n"
        "c = 3      # tune: int(1, 10)\n"
        "d = 64     # tune: logint(8, 512)\n"
        "e = 'x'    # tune: choice('x', 'y', None, True, (1, 2))\n"
        "f = 2      # tune: [1, 2, 3]\n"
        "g = 0.0    # tune: normal(0, 1)\n"
        "h = 1.0    # tune: lognormal(0, 1)\n"
        "i = 0.5    # tune: uniform(0, 1, step=0.25)\n"
        "j = 10     # tune: int(0, 100, step=10)\n"
        "a + c\n"
    )
    kinds = [type(p.distribution) for p in space]
    assert kinds == [Uniform, LogUniform, Int, LogInt, Choice, Choice, Normal, LogNormal, Uniform, Int]
    assert space["e"].distribution.options == ("x", "y", None, True, (1, 2))
    assert space["i"].distribution.step == 0.25
    assert space.defaults()["d"] == 64


def test_constant_arithmetic_and_signs_are_folded_not_evaluated():
    space = space_of("x = 0  # tune: uniform(-2**3, 10 * 1.5)\nx\n")
    assert space["x"].distribution == Uniform(-8, 15.0)


def test_keyword_bounds_and_annotated_assignment():
    space = space_of("lr: float = 0.01  # tune: loguniform(low=1e-4, high=1.0)\nlr\n")
    assert space["lr"].distribution == LogUniform(1e-4, 1.0)


def test_conditions_are_parsed_into_trees_over_earlier_parameters():
    space = space_of(
        'kernel = "rbf"  # tune: ["rbf", "poly", "sigmoid"]\n'
        'degree = 3      # tune: int(2, 5) if kernel == "poly"\n'
        "coef0 = 0.0     # tune: uniform(0, 1) if kernel in ('poly', 'sigmoid') and degree >= 3\n"
        "degree\n"
    )
    degree, coef0 = space["degree"], space["coef0"]
    assert degree.condition.evaluate({"kernel": "poly"})
    assert not degree.condition.evaluate({"kernel": "rbf"})
    assert coef0.condition.evaluate({"kernel": "poly", "degree": 4})
    assert not coef0.condition.evaluate({"kernel": "poly", "degree": 2})
    # Inactive parents make their children inactive.
    assert space.defaults() == {"kernel": "rbf"}


def test_the_rewritten_code_reads_values_and_keeps_line_numbers():
    parsed = parse_cell("\n\nC = 1.0  # tune: uniform(0, 2)\nC * 2\n")
    assign = parsed.module.body[0]
    assert assign.lineno == 3
    assert parsed.has_expression


def test_hash_in_strings_and_ordinary_comments_are_not_annotations():
    space = space_of('s = "# tune: int(1, 2)"  # a note\nt = 1  # tuned later\nlen(s)\n')
    assert len(space) == 0


# -- every mistake of design.md section 2: line, column, problem, fix ------------------------

MISTAKES = [
    # (cell, line, words the message must contain)
    (
        "x = 1\nC = 1.0  # tune: logunifrom(1e-2, 1e3)\nC",
        2,
        ["unknown distribution", "logunifrom", "did you mean `loguniform`"],
    ),
    ("C = 1.0  # tune: uniform(1, 2, 3)\nC", 1, ["uniform takes 2 arguments", "got 3"]),
    ("C = 1.0  # tune: int(1)\nC", 1, ["int takes 2 arguments", "got 1"]),
    ("C = 1.0  # tune: uniform(2, 1)\nC", 1, ["`low < high` must hold", "low=2", "high=1"]),
    ("C = 1.0  # tune: int(5, 5)\nC", 1, ["`low < high` must hold"]),
    ("C = 1.0  # tune: loguniform(0, 1)\nC", 1, ["loguniform needs `0 < low`", "low=0"]),
    ("C = 1.0  # tune: loguniform(-1, 1)\nC", 1, ["loguniform needs `0 < low`"]),
    ("C = 1.0  # tune: uniform(low_bound, 1)\nC", 1, ["only literals are allowed", "low_bound"]),
    ("C = 1.0  # tune: uniform(__import__('os').getpid(), 1)\nC", 1, ["only literals are allowed"]),
    ("C = 1.0  # tune: choice(x, 2)\nC", 1, ["only literals are allowed", "`x`"]),
    ("C = 1.0  # tune: uniform(0, 1)\nC = 2.0  # tune: uniform(0, 1)\nC", 2, ["'C' is already tuned", "on line 1"]),
    ("a, b = 1, 2  # tune: int(1, 3)\na", 1, ["unpacking assignment", "NAME = DEFAULT"]),
    ("a = b = 1  # tune: int(1, 3)\na", 1, ["chained assignment"]),
    ("a = 1\na += 1  # tune: int(1, 3)\na", 2, ["augmented assignment"]),
    ("obj.a = 1  # tune: int(1, 3)\n1", 1, ["attribute"]),
    ("print(1)  # tune: int(1, 3)\n1", 1, ["an expression", "NAME = DEFAULT"]),
    ("for i in range(2):\n    a = 1  # tune: int(1, 3)\n1", 2, ["inside a `for` block", "top level"]),
    ("def f():\n    a = 1  # tune: int(1, 3)\n    return a\nf()", 2, ["inside a `def` block"]),
    ("# tune: int(1, 3)\na = 1\na", 1, ["must trail an assignment"]),
    (
        "a = 1  # tune: int(1, 3) if b == 2\nb = 2  # tune: int(1, 3)\na",
        1,
        ["names 'b', which is tuned later", "(line 2)"],
    ),
    ("b = 1\na = 1  # tune: int(1, 3) if b == 2\na", 2, ["names 'b', which is not a tuned parameter"]),
    ("a = 1  # tune: int(1, 3) if a == 2\na", 1, ["refers to 'a' itself"]),
    ("a = 1  # tune: choice()\na", 1, ["the choice is empty"]),
    ("a = 1  # tune: []\na", 1, ["the choice is empty"]),
    ("a = 1  # tune:\na", 1, ["the annotation is empty"]),
    ("a = 1  # tune: int(1, 3) if\na", 1, ["`if` is not followed by a condition"]),
    ("a = 1  # tune: uniform(0, 1\na", 1, ["cannot read the distribution"]),
    ("a = 1  # tune: loguniform(1e-3, 1, step=0.1)\na", 1, ["loguniform has no argument `step`"]),
    ("a = 1  # tune: uniform(0, 1, stp=0.1)\na", 1, ["uniform has no argument `stp`"]),
    ("a = 1  # tune: uniform('0', 1)\na", 1, ["`low` of uniform must be a number", "'0'"]),
    ("a = 1  # tune: int(1.5, 3)\na", 1, ["int needs whole numbers"]),
    ("a = 1  # tune: logint(0, 10)\na", 1, ["logint needs `1 <= low`"]),
    ("a = 1  # tune: normal(0, 0)\na", 1, ["`sigma > 0` must hold"]),
    ("a = 1  # tune: [1, 1]\na", 1, ["lists 1 more than once"]),
    ("a = 1  # tune: [[1, 2], 3]\na", 1, ["choice value cannot be a list"]),
    ("a = f(1)  # tune: int(1, 3)\na", 1, ["default of 'a' must be a literal"]),
    ("a = 1  # tune: uniform(0, 10**10**10)\na", 1, ["power is too large"]),
    ("a = 1  # tune: uniform(0, 1/0)\na", 1, ["cannot compute this constant"]),
    ("k = 'a'  # tune: ['a', 'b']\na = 1  # tune: int(1, 3) if k is 'a'\na", 2, ["`is` / `is not` are not allowed"]),
    ("k = 'a'  # tune: ['a', 'b']\na = 1  # tune: int(1, 3) if k == len('a')\na", 2, ["only literals are allowed"]),
    ("a = 1  # tune: uniform\na", 1, ["`uniform` is not a distribution call"]),
    ("def f(:\n  pass", 1, ["the cell is not valid Python"]),
]


@pytest.mark.parametrize("cell, line, words", MISTAKES, ids=[m[2][0][:40] for m in MISTAKES])
def test_each_mistake_names_line_problem_and_fix(cell, line, words):
    with pytest.raises(AnnotationError) as info:
        parse_cell(cell)
    problem = info.value.problems[0]
    assert problem.line == line
    assert problem.column >= 1
    assert problem.fix, "every problem carries a fix"
    text = str(info.value)
    assert f"line {line}, column {problem.column}" in text
    for word in words:
        assert word in text, f"{word!r} missing from:\n{text}"


def test_the_column_points_at_the_offending_argument():
    with pytest.raises(AnnotationError) as info:
        parse_cell("C = 1.0  # tune: uniform(0, high)\nC")
    problem = info.value.problems[0]
    assert problem.column == "C = 1.0  # tune: uniform(0, high)".index("high") + 1
    assert problem.source_line == "C = 1.0  # tune: uniform(0, high)"


def test_all_mistakes_are_reported_at_once():
    with pytest.raises(AnnotationError) as info:
        parse_cell("a = 1  # tune: int(3, 1)\nb = 1  # tune: nope(1)\nc = 1  # tune: int(1, 2)\na")
    assert [p.line for p in info.value.problems] == [1, 2]
    assert "2 problems" in str(info.value)


@pytest.mark.parametrize("cell, line, words", MISTAKES, ids=[m[2][0][:40] for m in MISTAKES])
def test_the_magic_reports_the_mistake_before_any_trial_runs(ip, cell, line, words, capsys):
    ip.user_ns["calls"] = SharedList()
    ip.user_ns["low_bound"] = 0.0
    ip.user_ns["x"] = 0
    result = ip.run_cell("%%tune -q -n 5\ncalls.append(1)\n" + "\n".join(cell.splitlines()))
    # The editor's line numbers: the %%tune line is line 1, then `calls.append(1)` shifts the cell by one.
    assert not result.success
    err = capsys.readouterr()
    text = err.out + err.err
    assert "UsageError" in text
    assert f"line {line + 2}," in text
    assert words[0] in text
    assert ip.user_ns["calls"] == [], "no trial may run when an annotation is wrong"
    assert "Traceback" not in text


# -- property: arbitrary text either parses or raises AnnotationError --------------------------

_fragments = st.sampled_from(
    [
        "x = 1",
        "  # tune: ",
        "uniform(",
        "loguniform(",
        "int(",
        "choice(",
        "[",
        "]",
        "(",
        ")",
        ",",
        " if ",
        " == ",
        " in ",
        "1",
        "-2",
        "1e-3",
        "'a'",
        "None",
        "True",
        "2**",
        "step=",
        "x",
        "\n",
        "    ",
        "#",
        "tune:",
        "=",
        "y = 2",
        "not ",
        " and ",
        "\\",
        '"',
        "0x",
        "lambda: 0",
        "**",
        "/",
        "0",
    ]
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(st.text(max_size=80), st.lists(_fragments, max_size=25).map("".join)))
def test_arbitrary_text_parses_or_raises_annotation_error(text):
    try:
        parsed = parse_cell(text)
    except AnnotationError as exc:
        assert exc.problems and all(p.line >= 1 and p.column >= 1 and p.message for p in exc.problems)
    else:
        for p in parsed.space:
            assert p.name.isidentifier()


@settings(max_examples=200, deadline=None)
@given(
    st.floats(-1e6, 1e6, allow_nan=False),
    st.floats(1e-6, 1e6, allow_nan=False),
    st.sampled_from(["uniform", "loguniform", "int", "logint", "normal"]),
)
def test_generated_annotations_round_trip_through_json(low, width, kind):
    from hpmagic.space import SearchSpace

    lo, hi = (abs(low) + 1, abs(low) + 1 + width) if kind.startswith("log") else (low, low + width)
    if kind in ("int", "logint"):
        lo, hi = math.floor(lo), math.floor(lo) + max(1, math.floor(width))
    try:
        space = space_of(f"v = 0  # tune: {kind}({lo!r}, {hi!r})\nv")
    except AnnotationError:
        return
    again = SearchSpace.from_json(space.to_json())
    assert again == space
