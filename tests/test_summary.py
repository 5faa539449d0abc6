"""The summary and its plots on hand-built trials: each state its own label, parameter
importance with conditional parameters, parallel coordinates and slices (inactive parameters,
one trial, log and integer ticks), the fold spread and what is within it, everything the user
computed, the wording, and the HTML's layout in narrow and dark outputs."""

from __future__ import annotations

import random
import re

import matplotlib
import numpy as np
import pytest
from matplotlib.figure import Figure

import hpmagic
from hpmagic.cell.parser import parse_cell
from hpmagic.core import Trial, TrialState
from hpmagic.display import data, palette, plots
from hpmagic.display.html import result_html
from hpmagic.display.importance import MIN_TRIALS, importance
from hpmagic.display.summary import Verdict, summarize
from hpmagic.result import TuneResult

matplotlib.use("Agg")

MODELS = """
model = "rf"   # tune: choice("rf", "gb")
n_trees = 100  # tune: logint(20, 200)
lr = 0.1       # tune: loguniform(1e-3, 1) if model == "gb"
depth = 3      # tune: int(1, 8) if model == "gb"
noise = 0.0    # tune: uniform(0, 1)
0
"""


def models(n: int = 60, seed: int = 0, states: dict[int, TrialState] | None = None) -> TuneResult:
    """Accuracy of two model types: every random forest beats every gradient boosting, where
    only ``lr`` and ``depth`` apply (and matter a little); ``n_trees`` and ``noise`` never matter."""
    space = parse_cell(MODELS).space
    rng = random.Random(seed)
    trials = []
    for i in range(n):
        params = space.defaults() if i == 0 else space.sample(rng)
        state = (states or {}).get(i, TrialState.COMPLETE)
        if params["model"] == "rf":
            value = 0.90 + 0.01 * rng.random()
        else:
            value = 0.80 + 0.05 * params["depth"] / 8 + 0.03 * (params["lr"] > 0.05) + 0.01 * rng.random()
        trials.append(Trial(i, params, state, value=value if state is TrialState.COMPLETE else None, duration=0.2))
    return TuneResult(
        tuple(trials), space, direction="maximize", metric="accuracy", strategy="random", seed=0, elapsed=3.0, budget=n
    )


# -- states --------------------------------------------------------------------------------


def test_interrupted_and_pruned_trials_have_their_own_label_and_colour():
    r = models(20, states={5: TrialState.FAILED, 9: TrialState.PRUNED, 19: TrialState.INTERRUPTED})
    ax = plots.plot_history(r, ax=Figure().add_subplot())
    by = {line.get_label(): line for line in ax.get_lines()}
    for state, number in ((TrialState.FAILED, 5), (TrialState.PRUNED, 9), (TrialState.INTERRUPTED, 19)):
        st = palette.style(state)
        assert st.label == state.value and list(by[st.label].get_xdata()) == [number]
        assert by[st.label].get_color() == st.colour
    colours = [palette.style(s).colour for s in TrialState]
    assert len(set(colours)) == len(colours)  # no two states share a colour
    html = result_html(r, with_plots=False)
    assert "1 interrupted</span>" in html and "1 failed</span>" in html and "1 pruned</span>" in html


# -- importance ----------------------------------------------------------------------------


def test_importance_ranks_the_model_type_above_parameters_inactive_where_the_best_trials_are():
    for seed in range(3):
        imp = importance(models(seed=seed).space, models(seed=seed).trials)
        ranking = list(imp.shares)
        assert ranking[0] == "model" and imp.shares["model"] > 0.6, imp.shares
        assert imp.shares["lr"] < imp.shares["model"] / 3 and imp.shares["depth"] < imp.shares["model"] / 3
        assert imp.shares["n_trees"] < 0.05 and imp.shares["noise"] < 0.05
        assert imp.spread["model"] > 0 and imp.interactions >= 0


def test_importance_is_the_same_run_to_run_and_says_why_it_is_empty():
    r = models()
    assert data.importance(r) == data.importance(r)
    few = data.importance(models(MIN_TRIALS - 1))
    assert not few and "too few completed trials" in few.reason
    one = parse_cell("x = 0.5  # tune: uniform(0, 1)\nx").space
    flat = [Trial(i, {"x": i / 10}, TrialState.COMPLETE, value=1.0) for i in range(10)]
    assert "only one parameter (x)" in importance(one, flat).reason
    two = parse_cell("x = 0.5  # tune: uniform(0, 1)\ny = 1.0  # tune: uniform(0, 2)\nx").space
    flat2 = [Trial(i, {"x": i / 10, "y": 1.0}, TrialState.COMPLETE, value=1.0) for i in range(10)]
    assert importance(two, flat2).reason == "every completed trial has the same value (1)"
    ax = plots.plot_importance(models(3), ax=Figure().add_subplot())
    assert any("too few completed trials" in t.get_text() for t in ax.texts)


def test_importance_chart_has_error_bars():
    ax = plots.plot_importance(models(), ax=Figure().add_subplot())
    from matplotlib.container import ErrorbarContainer

    assert any(isinstance(c, ErrorbarContainer) for c in ax.containers)  # the spread over the forest's trees
    assert [t.get_text() for t in ax.get_yticklabels()][-1] == "model"  # the most important on top


# -- parallel coordinates and slices ------------------------------------------------------


def test_parallel_lines_go_on_past_inactive_parameters_with_integer_and_log_ticks():
    r = models()
    p = data.parallel(r)
    best = p.coords[p.best_row]
    assert r.best_trial.params["model"] == "rf" and np.all(np.isfinite(best))
    assert best[p.names.index("lr")] == data.PARALLEL_INACTIVE and best[p.names.index("noise")] >= 0  # on to noise
    ticks = dict(zip(p.names, p.ticks))
    assert ticks["depth"][1] == ["2", "4", "6", "8"]  # whole numbers for an int
    assert ticks["n_trees"][1] == ["20", "50", "100", "200"]  # logint(20, 200): round, few, apart
    positions = ticks["n_trees"][0]
    assert min(np.diff(positions)) > 0.2  # labels cannot pile up


def test_parallel_plot_legend_above_the_axes_and_colours_that_read_on_white_and_dark():
    ax = plots.plot_parallel(models(), ax=Figure().add_subplot())
    legend = ax.get_legend()
    assert legend.get_bbox_to_anchor().transformed(ax.transAxes.inverted()).y0 >= 1.0  # over no tick label
    for colour in plots.VALUE_RAMP:
        for background in ("#ffffff", "#111111"):
            assert _contrast(colour, background) >= 3.0, (colour, background)
    assert "#e07020" not in plots.VALUE_RAMP and palette.BEST == "#e07020"  # the best line stands apart


def test_parallel_plot_of_one_trial_has_a_colour_bar_around_its_value():
    r = models(1)
    ax = plots.plot_parallel(r, ax=Figure().add_subplot())
    bar = next(a for a in ax.figure.axes if a is not ax)
    lo, hi = bar.get_ylim()
    assert lo < r.best_value < hi and abs((lo + hi) / 2 - r.best_value) < 1e-9 and hi - lo < 0.2


def test_slices_round_log_ticks_and_a_visible_inactive_strip():
    r = models()
    fig = Figure()
    axes = plots.plot_slices(r, ["n_trees", "depth"], ax=fig.subplots(1, 2))
    fig.canvas.draw()
    trees, depth = axes
    shown = [t.get_text() for t in trees.get_xticklabels()]
    assert len(shown) >= 2 and set(shown) <= {"20", "50", "100", "200"}  # round values on the log axis
    assert not [t for t in trees.get_xticklabels(minor=True) if t.get_text()]  # no minor labels piled up
    labels = [t.get_text() for t in depth.get_xticklabels()]
    assert labels[0] == "(inactive)" and labels[1:] == ["2", "4", "6", "8"]
    lo, hi = depth.get_xlim()
    strip = next(p for p in depth.patches)  # the shaded strip of trials where depth did not apply
    x0, x1 = strip.get_x(), strip.get_x() + strip.get_width()
    assert (x1 - x0) / (hi - lo) > 0.12


def test_the_summary_has_one_image_per_plot():
    from hpmagic.display.response import top_two

    r = models(30)
    html = result_html(r)
    alts = re.findall(r'<img class="hpmagic-plot" alt="([^"]+)"', html)
    x, y = top_two(r)
    assert alts == [
        "convergence",
        "parameter importance",
        *(f"accuracy against {n}" for n in models().space.names),
        "parallel coordinates",
        f"accuracy over {x} and {y}, the two most important parameters",
    ]


# -- the fold spread -------------------------------------------------------------------------


def folds(values: dict[int, tuple[float, float]], n: int = 5, metric: str = "objective") -> TuneResult:
    """Trials whose objective was ``n`` fold scores: number -> (mean, std)."""
    space = parse_cell("x = 0.5  # tune: uniform(0, 1)\nx").space
    trials = tuple(
        Trial(
            k,
            {"x": k / 10},
            TrialState.COMPLETE,
            value=m,
            metrics={"std": s, "n": float(n), "f1": m - 0.1},
            duration=0.5,
        )
        for k, (m, s) in values.items()
    )
    return TuneResult(trials, space, direction="maximize", metric=metric, strategy="random", seed=1, elapsed=2.0)


def test_a_gain_within_the_fold_spread_is_said_and_close_trials_flagged():
    r = folds({0: (0.9500, 0.012), 1: (0.9535, 0.012), 2: (0.9400, 0.012), 3: (0.80, 0.012)})
    s = summarize(r)
    assert s.headline.spread == "0.012" and s.headline.noise == "within the fold spread 0.012"
    assert (
        s.headline.verdict is Verdict.NOISE
    )  # one verdict: the table marks the defaults "≈ best", the headline agrees
    text = repr(r)
    assert (
        "best objective 0.9535 ± 0.012 (trial 1) vs defaults 0.95: +0.0035, not clearly better "
        "(within the fold spread 0.012; 0.95 -> 0.9535, higher is better)"
    ) in text
    html = result_html(r, with_plots=False)
    assert "<span class='muted'>+0.0035, not clearly better</span>" in html and "class='gain'" not in html
    close = {t.number: t.close for t in s.top}
    assert close == {1: False, 0: True, 2: True, 3: False}  # 0.80 is clearly worse
    assert "(≈ best)" in text and "≈ best" in result_html(r, with_plots=False)
    sure = summarize(folds({0: (0.90, 0.001), 1: (0.95, 0.001)}))
    assert sure.headline.noise == "" and not any(t.close for t in sure.top) and sure.headline.verdict is Verdict.BETTER
    # a gain beyond the best's spread, but with the defaults' folds overlapping the best's: not clearly better either
    overlap = summarize(folds({0: (0.90, 0.06), 1: (0.95, 0.01)}))
    assert (
        overlap.headline.verdict is Verdict.NOISE
        and overlap.headline.noise == "the defaults' folds and the best's overlap"
    )


def test_best_estimated_prefers_the_steady_trial_over_the_lucky_noisy_one():
    r = folds({0: (0.90, 0.01), 1: (0.93, 0.10), 2: (0.925, 0.005), 3: (0.85, 0.01), 4: (0.88, 0.01)})
    assert r.best_trial.number == 1 and r.best_estimated.number == 2
    est = r.estimates()
    assert est[1] < 0.93 and abs(est[2] - 0.925) < 0.002  # the noisy one shrunk most
    assert "estimate: trial 2 (x=0.2) is likely best once fold noise is taken into account: its estimate" in repr(r)
    assert "result.best_estimated has trial 2" in repr(r) and "shrunk" not in repr(r) + result_html(r, False)
    assert r.values_to_apply() == {"x": 0.1}  # the applied values stay the best observed trial's
    plain = models(10)
    assert plain.best_estimated == plain.best_trial and summarize(plain).estimate == ""


# -- everything the user computed ---------------------------------------------------------


def test_other_metrics_warnings_and_a_sortable_table_of_every_trial():
    r = folds({0: (0.9, 0.01), 1: (0.95, 0.01)})
    trials = list(r.trials) + [
        Trial(
            2,
            {"x": 0.7},
            TrialState.FAILED,
            error="Traceback\nValueError: <b>bad</b>",
            warnings=(
                "ConvergenceWarning: no",
                "ConvergenceWarning: again",
                "UserWarning: hm",
                "... and 7 more warnings (a trial keeps its first 50)",
            ),
        )
    ]
    r = TuneResult(tuple(trials), r.space, direction="maximize", strategy="random")
    s = summarize(r)
    assert s.metric_names == ("f1",) and s.top[0].metrics == ("0.85",)
    assert s.warnings == "10 warnings in 1 trial: other 7, ConvergenceWarning 2, UserWarning 1"
    assert "best trial's other metrics: f1 0.85" in repr(r) and "warnings: 10 warnings in 1 trial" in repr(r)
    html = result_html(r, with_plots=False)
    table = html[html.index("<summary>All 3 trials</summary>") :]
    assert table.count("<tr>") == 4 and "onclick=" in table and "ValueError: &lt;b&gt;bad&lt;/b&gt;" in table
    assert "<b>bad" not in html


# -- wording ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("strategy", "reason", "seed", "said"),
    [
        (
            "gp",
            "auto: gp, because 4 parameters suit it",
            0,
            "strategy: gp (seed 0), picked by auto because 4 parameters suit it",
        ),
        ("random", "", 3, "strategy: random (seed 3)"),
        ("manual", "", 0, "strategy: manual\n"),
    ],
)
def test_strategy_wording(strategy, reason, seed, said):
    r = TuneResult(models(3).trials, models(3).space, strategy=strategy, strategy_reason=reason, seed=seed)
    assert said in repr(r) + "\n"


def test_counts_durations_and_alignment():
    space = parse_cell("x = 0.5  # tune: uniform(0, 1)\nkind = 'a'  # tune: choice('a', 'b')\nx").space
    one = TuneResult(
        (Trial(0, {"x": 0.5, "kind": "a"}, TrialState.COMPLETE, value=0.5, duration=0.0004),), space, elapsed=0.03
    )
    text = repr(one)
    assert "over 1 trial (1 complete) in 30 ms" in text
    html = result_html(one, with_plots=False)
    assert "1 trial (" in html and "1 trials" not in html and "under 1 ms" in html
    assert "<td class='num' style='text-align:right'>0.5</td>" in html  # numbers right
    assert "<td>&#x27;a&#x27;</td>" in html and "<th style='text-align:left'>parameter</th>" in html  # strings left
    assert "<div class='scroll' style='overflow-x:auto;max-width:100%'><table>" in html  # scrolls sideways when narrow
    assert "white-space: nowrap" in html  # the search-space column is never cut


def test_a_tie_with_the_defaults_is_not_a_gain_of_zero():
    space = parse_cell("x = 0.5  # tune: uniform(0, 1)\nx").space
    r = TuneResult(
        (Trial(0, {"x": 0.5}, TrialState.COMPLETE, value=0.5), Trial(1, {"x": 0.2}, TrialState.COMPLETE, value=0.5)),
        space,
    )
    assert "vs defaults 0.5: the defaults were best" in repr(r) and "+0" not in repr(r)


def test_html_uses_theme_variables_and_darkens_its_plots_in_a_dark_theme():
    html = result_html(models(10), with_plots=False)
    assert "var(--hpmagic-gain" in html and "var(--hpmagic-muted" in html
    assert 'body[data-jp-theme-light="false"] .hpmagic-result img.hpmagic-plot' in html and "invert(" in html


def test_a_bug_in_the_cell_is_not_a_usage_error(ip, capsys):
    res = ip.run_cell("%%tune -q -n 5\nx = 1.0  # tune: uniform(0, 1)\n1 / 0 + x")
    assert not res.success and isinstance(res.error_in_exec, hpmagic.TrialsFailedError)
    out = capsys.readouterr()
    said = out.out + out.err
    assert "TrialsFailedError: the first 3 trials all failed" in said and "UsageError" not in said
    assert "ZeroDivisionError" in said and "hpmagic/runner.py" not in said


def test_tune_help_starts_with_the_usage_line():
    from hpmagic.magic import TuneMagics

    assert TuneMagics.tune.__doc__.startswith("%%tune [-n N]")


def test_list_studies_times_are_whole_seconds(tmp_path):
    path = tmp_path / "s.sqlite"
    hpmagic.tune("x = 0.5  # tune: uniform(0, 1)\nx", {}, trials=2, study="s", storage=str(path), quiet=True)
    row = hpmagic.list_studies(path).loc["s"]
    assert row["created"].nanosecond == 0 and row["created"].microsecond == 0 and row["updated"].microsecond == 0


def test_manual_sliders_start_exactly_at_the_written_defaults():
    from hpmagic.display import manual

    space = parse_cell(
        "a = 50  # tune: int(1, 100, step=5)\nb = 0.8  # tune: uniform(0.01, 1)\n"
        "c = 0.003  # tune: loguniform(1e-4, 1)\nd = 50  # tune: logint(10, 1000)\n0"
    ).space
    controls = {p.name: manual._control(p) for p in space}
    for name in ("a", "d"):
        assert controls[name][0].value == 50 and controls[name][1]() == 50
    b = controls["b"][0]
    assert b.value == 0.8 and abs((0.8 - b.min) / b.step - round((0.8 - b.min) / b.step)) < 1e-6  # on the slider's grid
    c = controls["c"][0]
    k = (np.log10(0.003) - c.min) / c.step
    assert abs(k - round(k)) < 1e-6 and controls["c"][1]() == 0.003


def _contrast(a: str, b: str) -> float:
    def lum(h: str) -> float:
        c = [int(h[i : i + 2], 16) / 255 for i in (1, 3, 5)]
        c = [x / 12.92 if x <= 0.03928 else ((x + 0.055) / 1.055) ** 2.4 for x in c]
        return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2]

    hi, lo = sorted((lum(a), lum(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def test_the_fold_spread_of_a_dict_objective_is_found_by_its_key():
    space = parse_cell("x = 0.5  # tune: uniform(0, 1)\nx").space
    t = Trial(
        0,
        {"x": 0.5},
        TrialState.COMPLETE,
        value=0.9,
        metrics={"acc_std": 0.02, "acc_n": 5.0, "f1": 0.8, "auc": 0.7, "auc_std": 0.1, "auc_n": 2.0},
    )
    r = TuneResult((t,), space, direction="maximize")  # the first key, acc, was the objective: it is not a metric
    assert r.fold_keys(t) == ("acc_std", "acc_n") and r.spread(t) == (0.02, 5)
    assert summarize(r).metric_names == ("f1", "auc", "auc_std", "auc_n")
    both = Trial(
        0,
        {"x": 0.5},
        TrialState.COMPLETE,
        value=0.9,
        metrics={"acc_std": 0.02, "acc_n": 5.0, "acc": 0.9, "auc_std": 0.1, "auc_n": 2.0},
    )
    named = TuneResult((both,), space, direction="maximize", metric="auc")
    assert named.spread(both) == (0.1, 2)  # --metric auc: its own spread


# -- the order a newcomer reads ------------------------------------------------------------

RULE = "asha: rungs at steps 1, 3; the top 1/3 at each rung go on (min_resource=1, eta=3, max_resource=9 learned from trial 0)"


def everything() -> TuneResult:
    """Fold scores (the best estimate another trial than the best observed), a failed trial with
    warnings, an interrupted one, the rule's note and two others, auto's reason as an older
    version stored it (with a repository path), a budget of 8 of which 6 counted."""
    r = folds({0: (0.90, 0.01), 1: (0.93, 0.10), 2: (0.925, 0.005), 3: (0.85, 0.01), 4: (0.88, 0.01)})
    failed = Trial(
        5,
        {"x": 0.7},
        TrialState.FAILED,
        error="Traceback\nValueError: boom",
        warnings=("ConvergenceWarning: no", "UserWarning: hm"),
    )
    stopped = Trial(6, {"x": 0.1}, TrialState.INTERRUPTED)
    reason = (
        "auto: tpe, because 1 parameter and 8 trials would suit Bayesian optimisation, but with pruning TPE's "
        "proposals let the rule stop more trials early for answers as good (measured: docs/design/pruning.md, "
        '"Defaults, measured"); with --prune, TPE ranks each pruned trial by the value it had reached'
    )
    return TuneResult(
        (*r.trials, failed, stopped),
        r.space,
        direction="maximize",
        strategy="tpe",
        strategy_reason=reason,
        seed=0,
        elapsed=2.0,
        budget=8,
        stop_reason="interrupted",
        notes=(
            RULE,
            "run the cell with --write-back (-w) to write these values into it as its defaults",
            "a second note",
        ),
    )


def test_html_reads_headline_parameters_plots_then_the_details_folded():
    html = result_html(everything())
    body = html[html.index("<div class='hpmagic-result'>") :]
    order = [
        body.index(mark)
        for mark in (
            "<h4>best objective",
            "class='hpmagic-facts",
            ">parameter</th>",
            "<div class='plots'>",
            "<details>",
        )
    ]
    assert order == sorted(order)
    assert re.findall(r"<details(?: open)?><summary>([^<]*)</summary>", body) == [
        "Top 5 trials",
        "All 7 trials",
        "How the search ran",
        "Notes (2)",
        "2 warnings in 1 trial",
        "First failure (trial 5, x=0.7)",
    ]
    assert "<details open>" not in body  # all folded: a trial completed
    folded = body[body.index("<details>") :]
    for detail in (
        "strategy: tpe (seed 0), picked by auto because",
        "stopped: interrupted by the user",
        f"early-stopping rule: {RULE}",
        "estimate: trial 2 (x=0.2) is likely best once fold noise",
        "search space, as the strategy treats it: x: continuous",
        "ConvergenceWarning 1, UserWarning 1",
    ):
        assert detail in folded and detail not in body[: body.index("<details>")], detail
    assert "<li>a second note</li>" in folded and f"<li>{RULE}</li>" not in folded  # the rule is not a note
    assert "treated as" not in body and "docs/design" not in body and ".md" not in body.replace("strategies.md'", "")
    assert "href='https://github.com/hpmagic/hpmagic/blob/main/docs/guide/strategies.md'" in body  # one docs link


def test_the_text_summary_has_the_same_order_and_short_details():
    lines = repr(everything()).splitlines()
    assert lines[0] == (
        "hpmagic: best objective 0.93 ± 0.1 (trial 1) vs defaults 0.9: +0.03, not clearly better "
        "(within the fold spread 0.1; 0.9 -> 0.93, higher is better)"
    )
    assert lines[1] == "  maximize objective over 7 trials (5 complete, 1 failed, 1 interrupted) in 2.0 s"
    assert lines[2].startswith("  only 6 of the 8 budgeted trials ran (interrupted by the user")
    assert lines[3:5] == ["  parameter  best  default  search space", "  x          0.1   0        uniform(0, 1)"]
    starts = [
        next(i for i, line in enumerate(lines) if line.startswith(p))
        for p in (
            "  top trials:",
            "  strategy: ",
            "  stopped: ",
            "  search space: ",
            "  estimate: ",
            "  note: ",
            "  warnings: ",
            "  first failure (trial 5): ValueError: boom",
        )
    ]
    assert starts == sorted(starts) and starts[0] > 4
    strategy = lines[starts[1]]  # shortened: the reason's first clause, no path, no pruning internals
    assert strategy == (
        "  strategy: tpe (seed 0), picked by auto because 1 parameter and 8 trials would suit Bayesian "
        "optimisation, but with pruning TPE's proposals let the rule stop more trials early for answers as good"
    )
    assert [line for line in lines if line.startswith("  note: ")] == [
        "  note: run the cell with --write-back (-w) to write these values into it as its defaults",
        "  note: a second note",
    ]


def test_the_rule_goes_with_the_pruning_line_and_every_rule_is_known():
    from hpmagic.display.summary import PRUNING_RULES
    from hpmagic.pruning import names

    assert set(names()) - {"auto"} <= set(PRUNING_RULES)  # auto names the rule it makes
    space = parse_cell("x = 0.5  # tune: uniform(0, 1)\nx").space
    trials = (
        Trial(0, {"x": 0.5}, TrialState.COMPLETE, value=0.9, curve=((1.0, 0.5), (9.0, 0.9)), pruning={"kind": "curve"}),
        Trial(1, {"x": 0.1}, TrialState.PRUNED, curve=((1.0, 0.2),), pruning={"kind": "curve", "bracket": 0}),
    )
    r = TuneResult(trials, space, direction="maximize", strategy="random", budget=2, notes=(RULE,))
    assert "  pruned: 1 of 2 trials stopped early; 44% of the steps were not run (asha: rungs at steps 1, 3)" in repr(r)
    never = "--prune asha: the cell never called hpmagic.report(value, step), so nothing could be pruned; report ..."
    s = summarize(TuneResult(trials[:1], space, notes=(never,)))
    assert s.rule == "" and s.notes == (never,)  # what asks for something stays a note


def test_the_short_strategy_line_keeps_the_switches_auto_made():
    reason = (
        "auto: gp, because 1 parameter and 40 trials suit Bayesian optimisation; auto switched from gp to de "
        "at trial 12: proposals took 120 ms, trials 5 ms"
    )
    r = TuneResult(models(3).trials, models(3).space, strategy="de", strategy_reason=reason, seed=0)
    assert (
        "  strategy: de (seed 0), picked by auto because 1 parameter and 40 trials suit Bayesian optimisation; "
        "auto switched from gp to de at trial 12: proposals took 120 ms, trials 5 ms\n"
    ) in repr(r)


@pytest.mark.parametrize(
    ("states", "budget", "stop", "said"),
    [
        ({}, 10, "budget", ""),
        (
            {8: TrialState.INTERRUPTED, 9: TrialState.INTERRUPTED},
            8,
            "budget",
            "the 2 interrupted trials do not count toward the budget of 8 (stopped before they ended, they have no result)",
        ),
        ({}, 12, "timeout", "only 10 of the 12 budgeted trials ran (the time limit was reached)"),
        (
            {9: TrialState.RUNNING},
            10,
            "running",
            "only 9 of the 10 budgeted trials ran (the study is still running in another process); "
            "1 trial was still running when this result was taken",
        ),
        ({}, 40, "manual", ""),
    ],
)
def test_counts_that_do_not_add_up_say_why(states, budget, stop, said):
    r = models(10, states=states)
    r = TuneResult(r.trials, r.space, direction="maximize", budget=budget, stop_reason=stop, strategy="random")
    assert summarize(r).counts_note == said
    if said:
        assert f"\n  {said}\n" in repr(r) and f"<span class='hpmagic-counts-note'>{said}</span>" in result_html(
            r, False
        )
    else:
        assert "hpmagic-counts-note" not in result_html(r, False)


def test_no_trial_completed_opens_the_first_failure():
    space = parse_cell("x = 0.5  # tune: uniform(0, 1)\nx").space
    r = TuneResult(
        (Trial(0, {"x": 0.5}, TrialState.FAILED, error="Traceback\nZeroDivisionError: boom"),), space, budget=1
    )
    html = result_html(r)
    assert (
        "<h4>no trial completed</h4>" in html
        and "<details open><summary>First failure (trial 0, x=0.5)</summary>" in html
    )
    assert "<img" not in html and "The one trial" in html
