"""The summary of several objectives and constraints (issue 23), text and HTML: the goal, the
trial bound and the rule, the front as a table, the constraints' outcome, the hypervolume against
its stated reference point, and the Pareto plot (two objectives: one scatter; three: the pairs);
and ``%%tune -n 20 --maximize accuracy --minimize fit_time`` end to end in a real IPython shell
on a small scikit-learn model."""

from __future__ import annotations

import base64
import io
import re

import pytest

import hpmagic
from hpmagic.cell.parser import parse_cell
from hpmagic.core import Direction, Trial, TrialState
from hpmagic.display.front import FRONT_ROWS, front_section, plot_front, render_front
from hpmagic.display.text import result_text
from hpmagic.objectives import Constraint, Goal, Objective
from hpmagic.result import TuneResult

CELL = (
    "x = 0.5  # tune: uniform(0, 1)\n"
    "y = 0.5  # tune: uniform(0, 1)\n"
    "{'accuracy': x - y, 'fit_time': x ** 2 + (1 - y) ** 2, 'latency': 10 * x}"
)
SPACE = parse_cell("x = 0.5  # tune: uniform(0, 1)\nx").space
GOAL = Goal((Objective("accuracy", Direction.MAXIMIZE), Objective("fit_time")), (Constraint("latency", "<=", 5.0),))
#: (accuracy, fit_time, latency) of trials 0..5: 0, 1, 3 on the front, 2 dominated by 1, 4 infeasible, 5 failed
POINTS = [(0.5, 2.0, 1.0), (0.75, 3.0, 2.0), (0.7, 3.5, 2.0), (0.9, 6.0, 4.0), (1.0, 1.0, 9.0), None]


def made_result(pick=""):
    trials = []
    for n, p in enumerate(POINTS):
        if p is None:
            trials.append(Trial(number=n, params={"x": 0.1}, state=TrialState.FAILED, error="ValueError: no"))
        else:
            trials.append(
                Trial(
                    number=n,
                    params={"x": n / 10},
                    state=TrialState.COMPLETE,
                    value=p[0],
                    values=p[:2],
                    constraints=(p[2],),
                )
            )
    return TuneResult(
        trials=tuple(trials),
        space=SPACE,
        direction="maximize",
        metric="accuracy",
        goal=GOAL,
        strategy="random",
        pick_rule=pick,
        budget=6,
    )


def test_the_section_states_the_goal_the_rule_the_front_and_the_hypervolume():
    result = made_result()
    assert [t.number for t in result.front] == [0, 1, 3]
    knee = result.best_trial
    f = front_section(result)
    assert f.goal == "maximize accuracy, minimize fit_time; subject to latency <= 5"
    assert f.names == ("accuracy ↑", "fit_time ↓")
    assert [(r.number, r.values, r.picked) for r in f.rows] == [
        (3, ("0.9", "6"), knee.number == 3),
        (1, ("0.75", "3"), knee.number == 1),
        (0, ("0.5", "2"), knee.number == 0),
    ]
    assert f.feasibility == "4 of 5 complete trials hold every constraint; latency <= 5 was broken by 1"
    # the reference point: the worst of each objective among the complete trials (the infeasible one too)
    assert f.hypervolume.startswith(
        f"hypervolume {result.hypervolume():.5g}, against the reference point "
        "(accuracy 0.5, fit_time 6): the worst value of each objective"
    )
    assert result.hypervolume() == pytest.approx((0.75 - 0.5) * (6 - 3) + (0.9 - 0.75) * 0.0 + 0.0)
    assert f.headline == f"trial {knee.number} picked from the Pareto front of 3 trials: " + ", ".join(
        f"{n} {v:g}" for n, v in zip(("accuracy", "fit_time"), knee.values)
    )
    assert f.rule.startswith("the knee of the Pareto front")


def test_the_text_summary_shows_the_front_and_marks_the_bound_trial():
    text = result_text(made_result(pick="fit_time"))
    lines = text.splitlines()
    assert lines[0] == "hpmagic: trial 0 picked from the Pareto front of 3 trials: accuracy 0.5, fit_time 2"
    assert lines[1].startswith("  accuracy, fit_time over 6 trials (5 complete, 1 failed) in ")
    assert "  goal: maximize accuracy, minimize fit_time; subject to latency <= 5" in lines
    assert "  bound: the front's lowest fit_time" in lines
    start = lines.index("  Pareto front, 3 trials; * the trial bound:")
    assert lines[start + 1 : start + 5] == [
        "    trial  accuracy ↑  fit_time ↓",
        "        3         0.9           6",
        "        1        0.75           3",
        "      0 *         0.5           2",
    ]
    assert "top trials:" not in text  # ranked by the first objective alone, they would mislead


def test_a_long_front_is_cut_in_the_table_and_says_so():
    trials = tuple(
        Trial(number=n, params={"x": 0.5}, state=TrialState.COMPLETE, value=n / 40, values=(n / 40, n))
        for n in range(40)
    )
    goal = Goal((Objective("a", Direction.MAXIMIZE), Objective("b")))
    result = TuneResult(trials=trials, space=SPACE, direction="maximize", goal=goal)
    f = front_section(result)
    assert f.front_size == 40 and len(f.rows) == FRONT_ROWS
    assert (
        f"  Pareto front, 40 trials (the first {FRONT_ROWS}; result.front has all); * the trial bound:"
        in result_text(result).splitlines()
    )


def test_one_objective_with_constraints_says_which_were_kept_and_when_none_held():
    ns: dict = {}
    result = hpmagic.tune(
        CELL, ns, trials=8, seed=1, quiet=True, maximize=True, metric="accuracy", constraints="latency <= 3"
    )
    lines = result_text(result).splitlines()
    assert lines[0].startswith("hpmagic: best accuracy ")
    assert "  bound: the best of the trials that hold every constraint" in lines
    feasible = sum(1 for t in result.completed if t.metrics["latency"] <= 3)
    assert (
        f"  constraints: {feasible} of 8 complete trials hold every constraint; latency <= 3 was broken by "
        f"{8 - feasible}" in lines
    )
    none = hpmagic.tune(
        CELL, {}, trials=4, seed=1, quiet=True, maximize=True, metric="accuracy", constraints="latency >= 50"
    )
    lines = result_text(none).splitlines()
    assert lines[0] == "hpmagic: no trial holds every constraint (4 of 4 trials completed)"
    assert (
        "  warning: none of the 4 complete trials holds every constraint (latency >= 50), so no values were "
        "bound; loosen a limit or widen the search" in lines
    )
    html = none._repr_html_()
    assert "<h4>no trial holds every constraint (4 of 4 trials completed)</h4>" in html
    assert "so no values were bound" in html


def test_one_objective_without_constraints_has_no_section():
    result = hpmagic.tune(CELL, {}, trials=4, seed=1, quiet=True, maximize=True, metric="accuracy")
    assert front_section(result) is None
    assert "goal:" not in result_text(result) and "Pareto" not in result._repr_html_()


def _pngs(html):
    return [
        (alt, base64.b64decode(data))
        for alt, data in re.findall(r'alt="([^"]*)" src="data:image/png;base64,([^"]+)"', html)
    ]


def test_the_html_summary_has_the_pareto_plot_the_table_and_the_hypervolume():
    html = made_result()._repr_html_()
    images = _pngs(html)
    assert images[0][0] == "Pareto front" and [a for a, _ in images].count("Pareto front") == 1
    assert "<li>goal: maximize accuracy, minimize fit_time; subject to latency &lt;= 5</li>" in html
    assert "<summary>Pareto front (3 trials)</summary>" in html
    assert "class='muted hpmagic-hypervolume'>hypervolume" in html
    assert html.index("Pareto front") < html.index('alt="convergence"')  # the front comes before the other plots
    from PIL import Image

    width, _ = Image.open(io.BytesIO(images[0][1])).size
    convergence = next(png for alt, png in images if alt == "convergence")
    assert width == Image.open(io.BytesIO(convergence)).size[0]  # as wide as the other plots: the same at 400 px


def test_three_objectives_are_plotted_pair_by_pair():
    result = hpmagic.tune(
        CELL, {}, trials=12, seed=2, quiet=True, objectives={"accuracy": "max", "fit_time": "min", "latency": "min"}
    )
    assert len(render_front(result)) == 3
    assert [a for a, _ in _pngs(result._repr_html_())].count("Pareto front") == 3
    import matplotlib

    matplotlib.use("Agg")
    axes = result.plot_front()
    assert [(a.get_xlabel(), a.get_ylabel()) for a in axes] == [
        ("accuracy (higher is better)", "fit_time (lower is better)"),
        ("accuracy (higher is better)", "latency (lower is better)"),
        ("fit_time (lower is better)", "latency (lower is better)"),
    ]


def test_the_two_objective_plot_marks_the_front_the_infeasible_and_the_pick():
    import matplotlib

    matplotlib.use("Agg")
    result = made_result()
    (ax,) = plot_front(result)
    lines = {line.get_label(): line for line in ax.get_lines() if not line.get_label().startswith("_")}
    assert sorted(lines) == sorted(
        ["dominated", "infeasible", "Pareto front", f"picked (trial {result.best_trial.number})"]
    )
    assert len(ax.get_lines()) == 5  # and the front's step line, unlabelled
    assert list(lines["infeasible"].get_xdata()) == [1.0] and list(lines["dominated"].get_xdata()) == [0.7]
    assert sorted(lines["Pareto front"].get_xdata()) == [0.5, 0.75, 0.9]
    with pytest.raises(ValueError, match="the Pareto plot needs several objectives"):
        plot_front(hpmagic.tune(CELL, {}, trials=3, quiet=True, metric="accuracy", constraints="latency <= 3"))


@pytest.mark.parametrize("jobs", [1, 2])
def test_tune_with_two_objectives_end_to_end_on_a_scikit_learn_model(ip, jobs):
    ip.run_cell(
        "from sklearn.datasets import load_digits\n"
        "from sklearn.linear_model import LogisticRegression\n"
        "from sklearn.model_selection import cross_validate\n"
        "X, y = load_digits(return_X_y=True)\nX, y = X[:300] / 16, y[:300]"
    )
    cell = (
        "C = 1.0         # tune: loguniform(1e-3, 1e2)\n"
        "max_iter = 100  # tune: int(10, 200)\n"
        "cv = cross_validate(LogisticRegression(C=C, max_iter=max_iter), X, y, cv=3)\n"
        "accuracy = cv['test_score'].mean()\n"
        "fit_time = float(cv['fit_time'].sum())\n"
        "{'accuracy': accuracy, 'fit_time': fit_time}\n"
    )
    result = ip.run_cell(
        f"%%tune -n 20 --seed 0 -q -j {jobs} -o res --maximize accuracy --minimize fit_time\n"
        f"import warnings; warnings.simplefilter('ignore')\n{cell}"
    )
    assert result.error_in_exec is None, result.error_in_exec
    res = ip.user_ns["res"]
    assert isinstance(res, TuneResult) and len(res.trials) == 20
    assert res.goal.names == ("accuracy", "fit_time")
    assert all(len(t.values) == 2 and 0 < t.values[0] <= 1 and t.values[1] > 0 for t in res.completed)
    picked = res.best_trial
    assert picked in res.front
    assert ip.user_ns["C"] == picked.params["C"] and ip.user_ns["max_iter"] == picked.params["max_iter"]
    assert result_text(res).splitlines()[0].startswith(f"hpmagic: trial {picked.number} picked from the Pareto front")
    assert "Pareto front" in res._repr_html_()
