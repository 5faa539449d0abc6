"""%%tune through a real IPython shell: the namespace, options, results and errors."""

from __future__ import annotations

import subprocess
import sys

import pytest

from hpmagic import TrialState, TuneResult

from .shared import SharedList

QUADRATIC = """
x = 0.0   # tune: uniform(-2, 2)
n = 3     # tune: int(0, 5)
(x - 0.5) ** 2 + (n - 4) ** 2
"""


def test_load_ext_registers_and_unload_removes_the_magic(ip):
    assert "tune" in ip.magics_manager.magics["cell"]
    ip.run_line_magic("unload_ext", "hpmagic")
    assert "tune" not in ip.magics_manager.magics["cell"]
    ip.run_line_magic("load_ext", "hpmagic")
    assert "tune" in ip.magics_manager.magics["cell"]


def test_help_documents_every_option(ip):
    doc = ip.magics_manager.magics["cell"]["tune"].__doc__
    for option in [
        "--trials",
        "--strategy",
        "--minimize",
        "--maximize",
        "--metric",
        "--timeout",
        "--jobs",
        "--executor",
        "--seed",
        "--study",
        "--storage",
        "--prune",
        "--grid-points",
        "--no-baseline",
        "--no-apply",
        "--quiet",
        "--out",
    ]:
        assert option in doc, option


def test_import_is_cheap():
    code = (
        "import sys, hpmagic; heavy = [m for m in ('hyperopt', 'matplotlib', 'ipywidgets', 'IPython', 'pandas', "
        "'sklearn', 'scipy') if m in sys.modules]; print(heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_search_binds_best_values_and_returns_the_result(ip):
    ip.user_ns["x"] = "untouched"
    result = ip.run_cell_magic("tune", "-q -n 40 --seed 1 -s random -o res", QUADRATIC)
    assert isinstance(result, TuneResult)
    assert len(result.trials) == 40
    assert ip.user_ns["res"] is result
    assert ip.user_ns["x"] == result.best_params["x"]
    assert ip.user_ns["n"] == result.best_params["n"]
    assert result.best_value == min(t.value for t in result.trials)
    assert result.baseline.params == {"x": 0.0, "n": 3}
    assert result.baseline.value == pytest.approx(1.25)
    assert result.best_value < result.baseline.value
    assert "vs defaults 1.25" in repr(result)


def test_trials_never_leak_variables_into_the_namespace(ip):
    ip.user_ns.pop("leak", None)
    ip.run_cell_magic("tune", "-q -n 5 --seed 0", "leak = 1\nx = 0.0  # tune: uniform(0, 1)\nx")
    assert "leak" not in ip.user_ns
    assert "__hpmagic_values__" not in ip.user_ns


def test_each_trial_sees_a_fresh_namespace(ip):
    ip.user_ns["seen"] = SharedList()
    ip.run_cell_magic(
        "tune",
        "-q -n 6 --seed 0",
        "seen.append('mine' in dir())\nmine = 1\nx = 0.0  # tune: uniform(0, 1)\nx",
    )
    assert ip.user_ns["seen"] == [False] * 6


def test_no_apply_leaves_the_namespace_alone(ip):
    ip.user_ns["x"] = "before"
    ip.run_cell_magic("tune", "-q -n 5 --seed 0 --no-apply", QUADRATIC)
    assert ip.user_ns["x"] == "before"


def test_maximize_and_seed_reproduce(ip):
    a = ip.run_cell_magic("tune", "-q -n 15 --seed 7 -s random --maximize", QUADRATIC)
    b = ip.run_cell_magic("tune", "-q -n 15 --seed 7 -s random --maximize", QUADRATIC)
    assert [t.params for t in a.trials] == [t.params for t in b.trials]
    assert a.best_value == max(t.value for t in a.trials)
    assert a.direction == "maximize"


def test_no_baseline_skips_the_defaults(ip):
    result = ip.run_cell_magic("tune", "-q -n 5 --seed 3 --no-baseline", QUADRATIC)
    assert result.baseline is None
    assert all(t.params != {"x": 0.0, "n": 3} for t in result.trials)


def test_grid_defaults_to_the_whole_grid(ip):
    result = ip.run_cell_magic(
        "tune", "-q -s grid", "k = 'a'  # tune: ['a', 'b', 'c']\nm = 1  # tune: int(1, 2)\nlen(k) * m"
    )
    assert len(result.trials) == 1 + 6
    assert result.strategy == "grid"
    assert result.stop_reason in ("budget", "exhausted")


def test_auto_says_what_it_picked(ip):
    grid = ip.run_cell_magic("tune", "-q -n 20", "k = 'a'  # tune: ['a', 'b']\nlen(k)")
    assert grid.strategy == "grid" and "auto" in grid.strategy_reason
    assert "strategy: grid" in repr(grid)


def test_objective_forms(ip):
    folds = ip.run_cell_magic("tune", "-q -n 3 --seed 0", "x = 1.0  # tune: uniform(0, 1)\n[x, x + 1, x + 2]")
    t = folds.trials[0]
    assert t.value == pytest.approx(2.0)
    assert t.metrics["n"] == 3 and t.metrics["std"] == pytest.approx(1.0)
    d = ip.run_cell_magic(
        "tune", "-q -n 3 --seed 0 --metric f1", "x = 1.0  # tune: uniform(0, 1)\n{'acc': x, 'f1': 2 * x}"
    )
    assert d.trials[0].value == pytest.approx(2.0) and d.trials[0].metrics == {"acc": 1.0}
    v = ip.run_cell_magic("tune", "-q -n 3 --seed 0 --metric score", "x = 1.0  # tune: uniform(0, 1)\nscore = 3 * x")
    assert v.trials[0].value == pytest.approx(3.0)
    import numpy as np

    ip.user_ns["np"] = np
    n = ip.run_cell_magic("tune", "-q -n 3 --seed 0", "x = 1.0  # tune: uniform(0, 1)\nnp.float32(x)")
    assert n.trials[0].value == pytest.approx(1.0)


def test_output_and_warnings_are_captured_per_trial(ip, capsys):
    result = ip.run_cell_magic(
        "tune",
        "-q -n 3 --seed 0",
        "import sys, warnings\nx = 1.0  # tune: uniform(0, 1)\nprint('value', x)\nprint('oops', file=sys.stderr)\n"
        "warnings.warn('careful', UserWarning)\nx",
    )
    out = capsys.readouterr()
    assert "value" not in out.out and "oops" not in out.err
    first = result.trials[0]
    assert first.stdout == "value 1.0\n"
    assert first.stderr == "oops\n"
    assert first.warnings == ("UserWarning: careful",)


def test_failed_trials_keep_tracebacks_with_the_cells_line_numbers(ip):
    cell = "x = 0.5  # tune: uniform(0, 1)\n\nif x > 0.6:\n    raise ValueError(f'too big: {x}')\nx"
    result = ip.run_cell_magic("tune", "-q -n 30 --seed 0 -s random", cell)
    failed = [t for t in result.trials if t.state is TrialState.FAILED]
    assert failed and len(failed) < 30
    error = failed[0].error
    assert "line 5" in error and "raise ValueError(f'too big: {x}')" in error  # the editor's line: %%tune is line 1
    assert "ValueError: too big" in error
    assert "hpmagic" not in error.split("Traceback (most recent call last):")[1].split("ValueError")[0]
    assert result.best_value is not None and result.best_value <= 0.6


def test_first_trials_all_failing_stop_and_show_the_traceback(ip, capsys):
    ip.user_ns["calls"] = SharedList()
    res = ip.run_cell("%%tune -q -n 30 --seed 0\ncalls.append(1)\nx = 1.0  # tune: uniform(0, 1)\n1 / 0 + x")
    assert not res.success
    out = capsys.readouterr()
    text = out.out + out.err
    assert len(ip.user_ns["calls"]) == 3
    assert "first 3 trials all failed" in text
    assert "ZeroDivisionError" in text and "line 4" in text


def test_non_numeric_objective_is_a_clear_failure(ip, capsys):
    res = ip.run_cell("%%tune -q -n 10\nx = 1.0  # tune: uniform(0, 1)\n'not a number'")
    assert not res.success
    out = capsys.readouterr()
    text = out.out + out.err
    assert "the cell's last expression is a str ('not a number')" in text
    assert "a number, a sequence of numbers" in text


def test_nan_objective_fails_that_trial(ip):
    result = ip.run_cell_magic(
        "tune", "-q -n 20 --seed 0", "x = 0.5  # tune: uniform(0, 1)\nfloat('nan') if x < 0.3 else x"
    )
    nan = [t for t in result.trials if t.state is TrialState.FAILED]
    assert nan and all("NaN" in t.error for t in nan)


def _said(capsys) -> str:
    out = capsys.readouterr()
    return out.out + out.err


def test_usage_errors(ip, capsys):
    from IPython.core.error import UsageError

    cell = "x = 1.0  # tune: uniform(0, 1)\nx"
    for line, message in [
        ("-n 0", "at least 1"),
        ("--maximize --minimize", "cannot both be given"),
        ("-s nope", "unknown strategy 'nope'"),
        ("--bogus", "unrecognized arguments"),
    ]:
        with pytest.raises(UsageError, match=message):
            ip.run_cell_magic("tune", f"-q {line}", cell)
    with pytest.raises(UsageError, match="no `# tune:` annotations"):
        ip.run_cell_magic("tune", "-q", "x = 1.0\nx")
    with pytest.raises(UsageError, match="has no objective"):
        ip.run_cell_magic("tune", "-q", "x = 1.0  # tune: uniform(0, 1)\ny = x")
    # shown as one line, no traceback from hpmagic's internals
    res = ip.run_cell("%%tune -q -s nope\n" + cell)
    assert not res.success
    text = _said(capsys)
    assert "UsageError: unknown strategy 'nope'" in text and "Traceback" not in text


def test_every_public_name_is_importable_and_listed():
    """``__all__`` is written out for static tools; the lazy lookup table must name the same things."""
    import hpmagic

    assert set(hpmagic.__all__) == set(hpmagic._PUBLIC) | {"load_ipython_extension", "unload_ipython_extension"}
    assert all(getattr(hpmagic, name) is not None for name in hpmagic.__all__)


def test_help_names_the_cell_magic(ip):
    usage = ip.find_cell_magic("tune").__doc__
    assert "%%tune [-n N]" in usage and "\n  %tune" not in usage


def test_a_strategy_object_from_the_namespace(ip):
    from hpmagic import Strategy

    class Always(Strategy):
        name = "always"

        def ask(self, number):
            return {"x": 0.25, "n": 4}

    ip.user_ns["mine"] = Always()
    result = ip.run_cell_magic("tune", "-q -n 4 -s mine", QUADRATIC)
    assert result.strategy == "always"
    assert result.best_params == {"x": 0.25, "n": 4}


def test_a_strategy_proposing_a_bad_configuration_keeps_finished_trials(ip, capsys):
    from hpmagic import Strategy

    class Bad(Strategy):
        def ask(self, number):
            return {"x": 0.25} if number < 3 else {"y": 1}

    ip.user_ns["bad"] = Bad()
    res = ip.run_cell("%%tune -q -n 10 -s bad -o partial\nx = 0.0  # tune: uniform(0, 1)\nx")
    assert not res.success
    assert "proposed {'y': 1} for trial 3" in _said(capsys)
    assert len(ip.user_ns["partial"].completed) == 3
    assert ip.user_ns["x"] == 0.0  # the best of what finished was applied


def test_magics_inside_the_cell_still_work(ip):
    result = ip.run_cell_magic("tune", "-q -n 3 --seed 0", "x = 1.0  # tune: uniform(0, 1)\ny = %time x\ny")
    assert len(result.completed) == 3


def test_timeout_starts_no_new_trial(ip):
    result = ip.run_cell_magic(
        "tune", "-q -n 1000 -t 0.3 --seed 0", "import time\nx = 1.0  # tune: uniform(0, 1)\ntime.sleep(0.05)\nx"
    )
    assert result.stop_reason == "timeout"
    assert 1 <= len(result.trials) < 1000


def test_html_and_dataframe(ip):
    result = ip.run_cell_magic(
        "tune",
        "-q -n 12 --seed 0 -s random",
        "k = 'a'  # tune: ['a', 'b']\nv = 1  # tune: int(1, 5) if k == 'b'\nlen(k) + v",
    )
    frame = result.to_dataframe()
    assert list(frame.columns[:5]) == ["state", "value", "duration", "param_k", "param_v"]
    assert frame["param_v"].isna().sum() == sum(1 for t in result.trials if "v" not in t.params)
    html = result._repr_html_()
    assert "hpmagic" in html and "<table" in html


def test_the_python_api_defaults_to_the_callers_globals():
    import hpmagic

    glb = {"hpmagic": hpmagic}
    exec("r = hpmagic.tune('x = 0.0  # tune: uniform(0, 1)\\nx', trials=4, seed=0, quiet=True)", glb)
    assert glb["x"] == glb["r"].best_params["x"]
    with pytest.raises(hpmagic.OptionError, match="did you mean 'trials'"):
        hpmagic.tune("x = 0.0  # tune: uniform(0, 1)\nx", {}, trails=3)


def test_the_panel_is_told_where_the_result_will_be(ip):
    """The live panel's note for a notebook saved mid-run names the Out[N] the cell's result
    is stored under (the display hook's own count, read while the cell runs), or the -o name."""
    from hpmagic.options import TuneOptions

    probe = ip.run_cell(
        "from hpmagic.magic import _result_name\nfrom hpmagic.options import TuneOptions\n"
        "name = _result_name(get_ipython(), TuneOptions())\nname",
        store_history=True,
    )
    assert probe.success and ip.user_ns["name"] == f"Out[{probe.execution_count}]"
    assert ip.user_ns["Out"][probe.execution_count] == ip.user_ns["name"]
    res = ip.run_cell("%%tune -n 2 -q --seed 0\nx = 0.5  # tune: uniform(0, 1)\nx", store_history=True)
    assert res.success and ip.user_ns["Out"][res.execution_count] is res.result
    assert ip.user_ns["_result_name"](ip, TuneOptions(out="res")) == "res"
