"""A result as a pandas table: :meth:`TuneResult.to_dataframe <hpmagic.result.TuneResult.to_dataframe>`.

One row per trial, indexed by its number, with ``param_<name>`` columns in the manner of
scikit-learn's ``cv_results_``; the columns are listed in ``to_dataframe``'s docstring.  The
result is duck-typed, as everywhere in :mod:`hpmagic.display`; pandas is imported when a table
is made.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

    from ..core import Trial
    from ..result import TuneResult

__all__ = ["dataframe", "goal_columns"]


def dataframe(result: TuneResult) -> pd.DataFrame:
    """Every trial of ``result`` as a table, one row per trial, indexed by ``number`` (see
    :meth:`TuneResult.to_dataframe <hpmagic.result.TuneResult.to_dataframe>`)."""
    import pandas as pd

    rows = []
    for t in result.trials:
        last = t.curve[-1] if t.curve else (None, None)
        row: dict[str, Any] = {
            "number": t.number,
            "state": t.state.value,
            "value": t.value,
            "duration": t.duration,
            "last_step": last[0],
            "last_value": last[1],
            **goal_columns(result, t),
        }
        for p in result.space:
            row[f"param_{p.name}"] = t.params.get(p.name)
        for key, value in t.metrics.items():
            row[f"metric_{key}"] = value
        row["error"] = t.error.strip().splitlines()[-1] if t.error else ""
        rows.append(row)
    columns = (
        ["number", "state", "value", *goal_columns(result, None), "duration"]
        + [f"param_{p.name}" for p in result.space]
        + ["last_step", "last_value"]
    )
    frame = pd.DataFrame(
        rows, columns=columns + sorted({c for r in rows for c in r} - set(columns) - {"error"}) + ["error"]
    )
    frame = frame.astype({"value": float, "last_step": float, "last_value": float})  # None -> NaN, as pandas expects
    return frame.set_index("number")


def goal_columns(result: TuneResult, trial: Trial | None) -> dict[str, Any]:
    """The columns of several objectives and constraints for one trial (``None``: just their names)."""
    if result.plain:
        return {}
    goal, row = result.objectives, {}
    on_front = {t.number for t in result.front}
    if goal.multi:
        values = goal.values(trial) if trial is not None else None
        for i, name in enumerate(goal.names):
            row[f"value_{name}"] = None if values is None else values[i]
        row["front"] = trial is not None and trial.number in on_front
    names = [c.name for c in goal.constraints]
    got = trial.constraints if trial is not None else ()
    for name in dict.fromkeys(names):
        index = names.index(name)
        row[f"constraint_{name}"] = got[index] if index < len(got) else None
    if goal.constraints:
        row["feasible"] = trial is not None and goal.feasible(trial)
    return row
