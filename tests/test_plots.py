"""Plot data extracted from trials, and the TuneResult.plot_* methods drawing it."""

from __future__ import annotations

import random

import matplotlib
import numpy as np
import pytest
from matplotlib.figure import Figure

from hpmagic.cell.parser import parse_cell
from hpmagic.core import Trial, TrialState
from hpmagic.display import data, palette
from hpmagic.errors import OptionError
from hpmagic.result import TuneResult

matplotlib.use("Agg")

CELL = """
x = 0.5       # tune: uniform(0, 1)
lr = 0.01     # tune: loguniform(1e-4, 1)
kind = "a"    # tune: choice("a", "b", "c")
depth = 3     # tune: int(1, 8) if kind == "b"
noise = 0.0   # tune: uniform(0, 1)
x
"""


def make_result(n: int = 120, maximize: bool = False) -> TuneResult:
    """A result whose objective depends strongly on x, a little on kind, not at all on noise."""
    space = parse_cell(CELL).space
    rng = random.Random(0)
    trials = []
    for i in range(n):
        params = space.defaults() if i == 0 else space.sample(rng)
        if i % 17 == 5:
            trials.append(Trial(i, params, TrialState.FAILED, error="ValueError: boom"))
            continue
        value = 10 * (params["x"] - 0.3) ** 2 + {"a": 0.0, "b": 1.0, "c": 2.0}[params["kind"]] + 0.01 * rng.random()
        trials.append(Trial(i, params, TrialState.COMPLETE, value=-value if maximize else value, duration=0.01))
    return TuneResult(
        trials=tuple(trials),
        space=space,
        direction="maximize" if maximize else "minimize",
        strategy="random",
        elapsed=1.0,
        budget=n,
    )


def test_history_best_so_far_and_failures():
    r = make_result()
    h = data.history(r)
    assert len(h.values) == len(r.completed) and np.all(np.diff(h.best) <= 0)
    assert h.best[-1] == r.best_value and h.baseline == r.baseline.value
    assert set(h.failed) == {t.number for t in r.trials if t.state is TrialState.FAILED}
    hm = data.history(make_result(maximize=True))
    assert np.all(np.diff(hm.best) >= 0)


def test_slices_scale_categories_and_inactive_values():
    r = make_result()
    by = {s.name: s for s in data.slices(r)}
    assert by["lr"].kind == "log" and by["x"].kind == "linear" and by["kind"].kind == "categorical"
    assert by["kind"].categories == ["a", "b", "c"] and set(by["kind"].codes) == {0, 1, 2}
    depth = by["depth"]
    assert depth.conditional
    n_b = sum(1 for t in r.completed if t.params["kind"] == "b")
    assert len(depth.x) == n_b and len(depth.inactive_y) == len(r.completed) - n_b


def test_importance_ranks_the_parameter_that_matters():
    imp = data.importance(make_result())
    shares = imp.shares
    assert 0 < sum(shares.values()) <= 1 + 1e-9 and imp.interactions == pytest.approx(max(0, 1 - sum(shares.values())))
    assert list(shares)[0] == "x" and shares["x"] > 0.5
    assert shares["noise"] < 0.05 and shares["lr"] < 0.05
    assert shares["kind"] > shares["noise"]
    assert all(imp.spread[name] >= 0 for name in shares) and imp.spread["x"] > 0
    assert data.importance(make_result()) == imp  # seeded: the same trials, the same estimate
    few = data.importance(make_result(5))
    assert not few and few.reason == "too few completed trials: 5, at least 8 are needed"


def test_parallel_coordinates_scaled_with_gaps_for_inactive():
    r = make_result()
    p = data.parallel(r)
    assert p.names == r.space.names and p.coords.shape == (len(r.completed), len(r.space))
    active = p.coords[p.coords != data.PARALLEL_INACTIVE]
    assert active.min() >= 0 and active.max() <= 1
    j = p.names.index("depth")
    inactive = [i for i, t in enumerate(r.completed) if "depth" not in t.params]
    assert np.all(p.coords[inactive, j] == data.PARALLEL_INACTIVE)  # the line goes on, at "inactive"
    assert np.all(np.isfinite(p.coords)) and p.inactive == [name == "depth" for name in p.names]
    assert r.completed[p.best_row].number == r.best_trial.number


@pytest.mark.parametrize("method", ["plot_history", "plot_importance", "plot_parallel"])
def test_single_axes_plots_draw_on_the_given_axes(method):
    r = make_result()
    fig = Figure()
    ax = fig.add_subplot()
    assert getattr(r, method)(ax=ax) is ax
    assert ax.get_title() or ax.get_title(loc="left")
    fig.savefig(__import__("io").BytesIO(), format="png")


def test_plot_history_content():
    r = make_result()
    ax = r.plot_history(ax=Figure().add_subplot())
    labels = [line.get_label() for line in ax.get_lines()]
    assert {"complete", "best so far", "defaults", "failed"} <= set(labels)  # each state labelled by its name
    best_line = next(line for line in ax.get_lines() if line.get_label() == "best so far")
    assert best_line.get_ydata()[-1] == r.best_value


def test_plot_slices_axes_scales_and_labels():
    r = make_result()
    fig = Figure()
    axes = r.plot_slices(fig=fig)
    assert len(axes) == len(r.space)
    by = {a.get_xlabel().split()[0]: a for a in axes}
    assert by["lr"].get_xscale() == "log" and by["x"].get_xscale() == "linear"
    assert [t.get_text() for t in by["kind"].get_xticklabels()] == ["a", "b", "c"]
    assert [t.get_text() for t in by["depth"].get_xticklabels()][0] == "(inactive)"  # the inactive strip, set apart
    two = Figure().subplots(1, 2)
    assert r.plot_slices(["x", "kind"], ax=two) == list(two)
    with pytest.raises(OptionError, match="one Axes per parameter"):
        r.plot_slices(ax=two)


def test_plot_contour_and_its_errors():
    r = make_result()
    ax = r.plot_contour("x", "lr", ax=Figure().add_subplot())
    assert ax.get_yscale() == "log" and ax.get_xlabel() == "x" and ax.collections
    ax = r.plot_contour("kind", "x", ax=Figure().add_subplot())
    assert [t.get_text() for t in ax.get_xticklabels()] == ["a", "b", "c"]
    with pytest.raises(OptionError, match="'C' is not a tuned parameter; the parameters are x, lr"):
        r.plot_contour("C", "x")


def test_default_axes_come_from_pyplot():
    import matplotlib.pyplot as plt

    r = make_result()
    ax = r.plot_history()
    assert ax.figure in [plt.figure(n) for n in plt.get_fignums()]
    axes = r.plot_slices()
    assert len(axes) == len(r.space)
    plt.close("all")


def test_plots_of_a_result_without_completed_trials():
    r = make_result()
    empty = TuneResult(trials=tuple(t for t in r.trials if not t.ok), space=r.space)
    for method in ("plot_history", "plot_importance", "plot_parallel"):
        getattr(empty, method)(ax=Figure().add_subplot())
    empty.plot_slices(fig=Figure())
    assert "<img" not in empty._repr_html_()


# -- conditional ranges and whole-number ticks -------------------------------------------------

RANGES = """
kind = "a"    # tune: choice("a", "b")
units = 3     # tune: int(1, 8) if kind == "b"
lr = 0.01     # tune: loguniform(1e-4, 1) if kind == "b"
layers = 2    # tune: int(1, 3)
width = 64    # tune: logint(16, 512)
0
"""


def ranges_result(active: int = 1) -> TuneResult:
    """20 trials; ``units`` and ``lr`` (conditional) applied in the first ``active`` of them only."""
    space = parse_cell(RANGES).space
    trials = []
    for i in range(20):
        params = {"kind": "a", "layers": 1 + i % 2, "width": 16 * 2 ** (i % 5)}
        if i < active:
            params.update(kind="b", units=5, lr=0.03)
        trials.append(Trial(i, params, TrialState.COMPLETE, value=float(i % 7)))
    return TuneResult(tuple(trials), space, direction="maximize", strategy="random", budget=20)


def _shown(axis, lim) -> list[float]:
    return [t for t in axis.get_majorticklocs() if lim[0] <= t <= lim[1]]


def test_a_conditional_slice_spans_its_range_not_its_one_point():
    fig = Figure()
    units, lr = ranges_result().plot_slices(["units", "lr"], ax=fig.subplots(1, 2))
    fig.canvas.draw()
    lo, hi = units.get_xlim()
    assert lo < 1 and 8 < hi < 8.5  # int(1, 8): the whole range, with a little room
    labels = [t.get_text() for t in units.get_xticklabels()]
    assert labels[0] == "(inactive)" and labels[1:] == ["2", "4", "6", "8"]
    assert lr.get_xscale() == "log"
    lo, hi = lr.get_xlim()
    assert lo < 1e-4 and 1 < hi < 1.8  # loguniform(1e-4, 1), on its log scale
    point = next(line for line in lr.get_lines() if line.get_marker() == "o" and line.get_color() != palette.DEFAULTS)
    assert list(point.get_xdata()) == [0.03]


def test_integer_parameters_get_whole_number_ticks_in_slices_parallel_and_contour():
    r = ranges_result(active=5)
    fig = Figure()
    layers, width = r.plot_slices(["layers", "width"], ax=fig.subplots(1, 2))
    fig.canvas.draw()
    for ax in (layers, width):
        ticks = [t for t, label in zip(ax.get_xticks(), ax.get_xticklabels()) if label.get_text() != "(inactive)"]
        assert len(ticks) >= 2 and all(float(t).is_integer() for t in ticks), ticks
    assert [t.get_text() for t in layers.get_xticklabels()] == ["1", "2", "3"]  # int(1, 3): never 1.5
    assert data.nice_ticks(2.5, 3.5, integer=True) == [3.0]  # too narrow for two whole numbers: one, not 2.5
    p = data.parallel(r)
    for name in ("units", "layers", "width"):
        labels = p.ticks[p.names.index(name)][1]
        assert labels and all(label.isdigit() for label in labels), (name, labels)
    for x, y in (("layers", "units"), ("width", "layers")):
        fig = Figure()
        ax = r.plot_contour(x, y, ax=fig.add_subplot())
        fig.canvas.draw()
        for axis, lim in ((ax.xaxis, ax.get_xlim()), (ax.yaxis, ax.get_ylim())):
            shown = _shown(axis, lim)
            assert shown and all(float(t).is_integer() for t in shown), (x, y, shown)
    assert ax.get_xscale() == "log" and [t.get_text() for t in ax.get_xticklabels()] == ["20", "50", "100", "200"]
