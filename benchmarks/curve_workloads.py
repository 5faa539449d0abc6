"""The recorded learning curves of ``benchmarks/record_curves.py`` as workloads that replay them.

Each workload is a :class:`pruning_workloads.Workload`, so ``benchmarks/pruning.py``'s
``run_hpmagic`` and ``run_optuna`` run it unchanged:

- ``cell``: a notebook cell with a continuous ``# tune:`` space (``loguniform``, ``logint``,
  lists) whose loop walks the recorded curve of its configuration and calls ``report(v)``
  each epoch, so hpmagic's own pruning machinery decides (``hpmagic.tune(..., prune=...)``);
- ``suggest`` and ``train``: the same space for Optuna and the same walk, with
  ``trial.report`` / ``trial.should_prune`` after each epoch;
- ``final(params)``: the **true score** of a configuration, the mean over the recorded
  repeats of its test score after full training.

**Snapping.** Continuous parameters were recorded on a grid (8 to 11 log-spaced values for a
learning rate, a few for a width): a proposed value is replayed as the nearest recorded one
on a log scale (a list value as itself). So two proposals between the same grid points are
the same configuration, and the search space the strategies see is still continuous.

**Repeats.** Each configuration was trained with two or more training seeds. A trial replays
one of them, drawn from the search's seed and the configuration (the same within a search,
so a configuration proposed twice replays the same curve), so different seeds of the
benchmark see different noise and both tools see the same curves for the same seed.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .pruning_workloads import Step, Workload

DATA = Path(__file__).resolve().parent / "data"


@dataclass
class Table:
    """One recording: the grid, the validation curves (configuration x repeat x epoch) and test scores."""

    name: str
    space: dict[str, tuple[str, float, float, list[Any]]]
    val: np.ndarray
    test: np.ndarray

    @classmethod
    def load(cls, name: str) -> Table:
        with np.load(DATA / f"curves_{name}.npz") as f:
            meta = json.loads(str(f["meta"]))
            return cls(name, {k: tuple(v) for k, v in meta["space"].items()}, f["val"], f["test"])  # type: ignore[misc]

    @property
    def epochs(self) -> int:
        return int(self.val.shape[2])

    def index(self, params: dict[str, Any]) -> int:
        """The configuration ``params`` snaps to: its row in the tables."""
        out = 0
        for key, (kind, _, _, values) in self.space.items():
            out = out * len(values) + _nearest(kind, values, params[key])
        return out

    def curve(self, params: dict[str, Any], seed: int) -> list[float]:
        """The recorded validation curve ``params`` replays in the search of ``seed``."""
        row = self.index(params)
        repeat = int(np.random.default_rng([seed, row]).integers(self.val.shape[1]))
        return [float(v) for v in self.val[row, repeat]]

    def true_score(self, params: dict[str, Any]) -> float:
        """The mean over the repeats of the test score after full training."""
        return float(self.test[self.index(params)].mean())


def _nearest(kind: str, values: list[Any], value: Any) -> int:
    if kind == "list":
        return values.index(value)
    return min(range(len(values)), key=lambda i: abs(math.log(values[i]) - math.log(value)))


def _annotation(kind: str, low: float, high: float, values: list[Any]) -> str:
    if kind == "list":
        return "[" + ", ".join(repr(v) for v in values) + "]"
    if kind == "logint":
        return f"logint({int(low)}, {int(high)})"
    return f"loguniform({low!r}, {high!r})"


def cell(table: Table) -> str:
    """The notebook cell that replays ``table``: its ``# tune:`` lines, then the epoch loop."""
    lines = ["from hpmagic import report"]
    for key, (kind, low, high, values) in table.space.items():
        lines.append(f"{key} = {values[len(values) // 2]!r}  # tune: {_annotation(kind, low, high, values)}")
    args = ", ".join(f"{k}={k}" for k in table.space)
    lines += [f"for epoch, value in enumerate(CURVE({args}), start=1):", "    report(value, epoch)", "value", ""]
    return "\n".join(lines)


def suggest(table: Table) -> Callable[[Any], dict[str, Any]]:
    def run(trial: Any) -> dict[str, Any]:
        out = {}
        for key, (kind, low, high, values) in table.space.items():
            if kind == "list":
                out[key] = trial.suggest_categorical(key, values)
            elif kind == "logint":
                out[key] = trial.suggest_int(key, int(low), int(high), log=True)
            else:
                out[key] = trial.suggest_float(key, low, high, log=True)
        return out

    return run


def workload(name: str, seed: int, cache: dict[tuple[Any, ...], tuple[float, float]]) -> Workload:
    """Recording ``name`` as the workload of the search of ``seed`` (``cache``: true scores, shared by seeds)."""
    table = _TABLES.get(name) or _TABLES.setdefault(name, Table.load(name))

    def data() -> dict[str, Any]:
        return {"CURVE": lambda **params: table.curve(params, seed)}

    def train(p: dict[str, Any], d: dict[str, Any], step: Step) -> float:
        curve = d["CURVE"](**p)
        for epoch, value in enumerate(curve, start=1):
            step(value, epoch)
        return curve[-1]

    def test(p: dict[str, Any], d: dict[str, Any]) -> tuple[float, float]:
        return float("nan"), table.true_score(p)

    return Workload(name, "epochs", table.epochs, cell(table), data, suggest(table), train, test, cache=cache)


_TABLES: dict[str, Table] = {}
