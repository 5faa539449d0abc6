"""The display modules split for size (issue 22) keep every public name where it was: each old
import path gives the very object the new module defines."""

from __future__ import annotations

import pytest

from hpmagic.display import frame, html, paramplots, plots, rows, status, summary


@pytest.mark.parametrize(
    ("old", "new", "names"),
    [
        (html, status, ["status_html", "stale_note", "STALE_AFTER"]),
        (summary, rows, ["ParamRow", "TopRow", "TrialRow"]),
        (plots, paramplots, ["plot_parallel", "plot_contour", "value_cmap", "value_norm", "VALUE_RAMP"]),
    ],
)
def test_moved_names_are_still_importable_where_they_were(old, new, names):
    for name in names:
        assert getattr(old, name) is getattr(new, name), name
        assert name in old.__all__ and name in new.__all__, name


def test_to_dataframe_is_the_frame_modules_table():
    from tests.test_summary import models

    result = models(12, seed=2)
    assert result.to_dataframe().equals(frame.dataframe(result))
    assert list(result.to_dataframe().columns[:3]) == ["state", "value", "duration"]
