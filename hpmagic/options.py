"""The options of ``%%tune`` and ``tune()``, checked before anything runs.

:class:`TuneOptions` holds them by their long names; :meth:`TuneOptions.validate` raises
an :class:`~hpmagic.errors.OptionError` naming the option, the value and what it takes,
so a bad option never reaches the search (and never ends in a traceback from inside it).
"""

from __future__ import annotations

import difflib
import keyword
import math
import os
from dataclasses import dataclass, fields
from typing import Any

from .core import Direction
from .errors import OptionError
from .strategies.base import check_seed

__all__ = ["TuneOptions", "DEFAULT_TRIALS", "DISPLAYS"]

DEFAULT_TRIALS = 30
DISPLAYS = ("auto", "widget", "text", "none")


@dataclass
class TuneOptions:
    """The options of ``%%tune`` by their long names (see ``%%tune?``); ``tune()`` takes
    the same names as keyword arguments."""

    trials: int | None = None
    strategy: Any = "auto"
    maximize: bool = False
    minimize: bool = False
    metric: str | None = None
    timeout: float | None = None
    jobs: int = 1
    executor: Any = None
    seed: int | None = None
    study: str | None = None
    storage: str | os.PathLike | None = None
    overwrite: bool = False
    prune: str | bool | None = None  # a rule spec ("asha:eta=3"); True or "auto": the default rule
    grid_points: int = 5
    baseline: bool = True
    apply: bool = True
    quiet: bool = False
    out: str | None = None
    write_back: bool = False  # %%tune only: the best values written into the cell (hpmagic.cell.writeback)
    display: Any = None  # "auto", "text", "widget", "none" or a reporter object
    log: str | None = None  # --log mlflow[:URI]: each trial logged to MLflow (hpmagic.integrations.mlflow)

    @classmethod
    def from_kwargs(cls, options: dict[str, Any]) -> TuneOptions:
        """The options ``tune(**options)`` was given; an unknown name is an OptionError."""
        known = sorted(f.name for f in fields(cls))
        for key in options:
            if key not in known:
                close = difflib.get_close_matches(key, known, n=1)
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                raise OptionError(f"tune() got an unknown option {key!r}{hint}; options: {', '.join(known)}")
        return cls(**options)

    @property
    def direction(self) -> Direction:
        return Direction.of(self.maximize)

    def validate(self) -> tuple[str | None, dict[str, str]] | None:
        """Raise :class:`OptionError` for the first option whose value cannot be used; return
        ``--prune``'s rule, parsed (the one place it is: see :meth:`prune_rule`)."""
        for name in ("maximize", "minimize", "overwrite", "baseline", "apply", "quiet", "write_back"):
            _check_flag(name, getattr(self, name))
        if self.maximize and self.minimize:
            raise OptionError("--maximize and --minimize cannot both be given; choose one direction")
        if self.write_back and isinstance(self.strategy, str) and self.strategy == "manual":
            raise OptionError("--write-back writes a search's best values when the cell ends, but a manual search runs "
                              "its trials after that; drop --write-back, and copy the values from the summary")
        if self.trials is not None:
            _check_count("the number of trials (-n)", self.trials)
        _check_count("--jobs", self.jobs)
        _check_count("--grid-points", self.grid_points)
        _check_timeout(self.timeout)
        if self.seed is not None:
            check_seed(self.seed)
        self._check_names()
        self._check_study()
        self.log_target()
        if isinstance(self.display, str) and self.display not in DISPLAYS:
            raise OptionError(f"display={self.display!r} is not a display; use one of {', '.join(map(repr, DISPLAYS))}")
        return self.prune_rule()

    def prune_rule(self) -> tuple[str | None, dict[str, str]] | None:
        """``--prune``'s rule and settings (``(None, {})``: the default rule), or ``None`` without
        it; an unknown rule or a bad setting is an :class:`OptionError`."""
        if self.prune is None or self.prune is False:
            return None
        if self.prune is True:
            return None, {}
        if not isinstance(self.prune, str):
            raise OptionError(f"prune= takes a rule such as 'asha' or 'median:min_trials=5', or True, but got {self.prune!r}")
        from .pruning import make_pruner, parse_prune_spec

        name, settings = parse_prune_spec(self.prune)
        make_pruner(name, settings)  # checks the name and the settings now, before anything runs
        return name, settings

    def log_target(self) -> Any:
        """``--log``'s target (``None``: no logging); a bad value is an :class:`OptionError`."""
        from .integrations.mlflow import parse_log

        return parse_log(self.log)

    def _check_names(self) -> None:
        if self.metric is not None and (not isinstance(self.metric, str) or not self.metric.strip()):
            raise OptionError(f"--metric needs a name (a variable of the cell or a key of its dict), but got {self.metric!r}")
        if self.out is not None and (not isinstance(self.out, str) or not self.out.isidentifier() or keyword.iskeyword(self.out)):
            raise OptionError(
                f"-o/--out names the variable the result is bound to, but {self.out!r} is not a Python name; "
                "use e.g. -o result"
            )

    def _check_study(self) -> None:
        if self.study is not None and (not isinstance(self.study, str) or not self.study.strip()):
            raise OptionError(f"--study needs a name, e.g. --study svm, but got {self.study!r}")
        if self.storage is not None and not isinstance(self.storage, (str, os.PathLike)):
            raise OptionError(f"--storage is the path of an SQLite file or a URL, but got {self.storage!r}")
        if isinstance(self.storage, str) and not self.storage.strip():
            raise OptionError(f"--storage {self.storage!r} is empty: give the path of a study file (e.g. hpmagic.sqlite) "
                              "or a URL, or leave --storage out for hpmagic.sqlite in the working directory")
        if self.study is None and (self.storage is not None or self.overwrite):
            given = "--storage" if self.storage is not None else "--overwrite"
            raise OptionError(f"{given} applies to a persistent study: name it with --study NAME")


def _check_flag(name: str, value: Any) -> None:
    if not isinstance(value, bool):
        raise OptionError(f"{name} is a switch: pass True or False, but got {value!r}")


def _check_count(what: str, value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise OptionError(f"{what} must be a whole number of at least 1, but got {value!r}")


def _check_timeout(value: Any) -> None:
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, (int, float)) or math.isnan(value) or value <= 0:
        raise OptionError(f"the timeout (-t) must be a positive number of seconds, but got {value!r}")

