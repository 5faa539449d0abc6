"""The rung rules that ``benchmarks/mo_pruning.py`` replays to choose early stopping for two
objectives (docs/design/pruning.md, "Several objectives"): by the first objective alone, or by
non-dominated sorting with crowding distance in the last front; and the replayed search's
accounting of epochs.  Synthetic curves: nothing is trained."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the repository root: benchmarks is a package there
mo_pruning = pytest.importorskip("benchmarks.mo_pruning")


def test_one_objective_keeps_the_most_accurate_and_drops_the_small_model_on_the_front():
    # (error, size): a small model (0.5, 8) is on the front, though the least accurate.
    points = [(0.1, 60.0), (0.5, 8.0), (0.2, 61.0), (0.3, 62.0)]
    assert mo_pruning.kept(points, 2, "first") == {0, 2}
    assert mo_pruning.kept(points, 2, "nds") == {0, 1}


def test_the_last_front_that_does_not_fit_is_split_by_crowding_distance():
    # One front of four: its two ends are infinitely crowded-apart, kept before the middle ones.
    front = [(0.1, 40.0), (0.2, 30.0), (0.25, 28.0), (0.4, 10.0)]
    assert mo_pruning.kept(front, 2, "nds") == {0, 3}
    # (0.25, 28) has more room around it: 0.2/0.3 + 20/30 against (0.2, 30)'s 0.15/0.3 + 12/30
    assert mo_pruning.kept(front, 3, "nds") == {0, 3, 2}
    distance = mo_pruning.crowding(np.asarray(front))
    assert np.isinf(distance[0]) and np.isinf(distance[3])
    assert distance[2] == pytest.approx(0.2 / 0.3 + 20 / 30) and distance[1] == pytest.approx(0.15 / 0.3 + 12 / 30)


def test_a_replayed_search_counts_the_epochs_each_trial_ran():
    epochs = mo_pruning.EPOCHS
    sizes = [60, 63, 62, 63]
    curves = [[0.9] * epochs, [0.5] * epochs, [0.85] * epochs, [0.88] * epochs]
    # Seed 0 draws the trials in the order 3, 2, 0, 1: the first two go on (fewer than ETA at a
    # rung), the third, (0.1, 60), dominates them; the last, (0.5, 63), is on the third front at
    # epoch 1 and is stopped there.
    assert [int(i) for i in np.random.default_rng(0).choice(4, 4, replace=False)] == [3, 2, 0, 1]
    used, hv = mo_pruning.search(sizes, curves, 4, 0, "none")
    assert used == 4 * epochs and hv == pytest.approx((1 - 0.1) * (64 - 60))
    for rule in ("nds", "first"):
        used, pruned_hv = mo_pruning.search(sizes, curves, 4, 0, rule, rungs=(1, 3, 9))
        assert used == 3 * epochs + 1 and pruned_hv == pytest.approx(hv), rule
