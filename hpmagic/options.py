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
from collections.abc import Mapping
from dataclasses import MISSING, dataclass, fields
from typing import Any

from .core import Direction
from .errors import OptionError
from .objectives import Constraint, Objective
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
    maximize: bool = False  # the cell's value (or --metric): higher is better
    minimize: bool = False
    metric: str | None = None
    objectives: Any = None  # {"accuracy": "max", "fit_time": "min"}, or (name, direction) pairs in order
    constraints: Any = None  # "latency <= 20", or a list of such
    pick: str | None = None  # with several objectives: the front's trial bound is the best on this one
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
    enqueue: Any = None  # configurations to run first: a name ("tries", "result:5") or the object (hpmagic.enqueue)
    warm_start: Any = None  # an earlier study's name (in --storage), a loaded study or a TuneResult (hpmagic.warmstart)

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
        """Which way the search goes as the options say it: maximize with ``--maximize``, else minimize."""
        return Direction.of(self.maximize)

    def record(self) -> tuple[tuple[str, str], ...]:
        """The options that differ from their defaults, as ``(name, text)`` pairs for a report:
        values as Python writes them, an executor object by its type's name.  How the search was
        shown (``display``, ``quiet``) is left out: it is not what the search did."""
        out = []
        for f in fields(self):
            value = getattr(self, f.name)
            default = f.default if f.default is not MISSING else None
            simple = value is None or isinstance(value, (str, int, float, bool, os.PathLike))
            # an object (an executor, a DataFrame to enqueue) is compared by identity: == may not give a bool
            if f.name in ("display", "quiet") or (value == default if simple else value is default):
                continue
            out.append(
                (
                    f.name,
                    repr(os.fspath(value) if isinstance(value, os.PathLike) else value)
                    if simple
                    else f"<{type(value).__module__}.{type(value).__name__}>",
                )
            )
        return tuple(out)

    def validate(self) -> tuple[str | None, dict[str, str]] | None:
        """Raise :class:`OptionError` for the first option whose value cannot be used; return
        ``--prune``'s rule, parsed (the one place it is: see :meth:`prune_rule`)."""
        for name in ("maximize", "minimize", "overwrite", "baseline", "apply", "quiet", "write_back"):
            _check_flag(name, getattr(self, name))
        named = self.named_objectives()
        if self.maximize and self.minimize:
            raise OptionError("--maximize and --minimize cannot both be given; choose one direction")
        self.constraint_list()
        _check_goal(self, named)
        if self.write_back and isinstance(self.strategy, str) and self.strategy == "manual":
            raise OptionError(
                "--write-back writes a search's best values when the cell ends, but a manual search runs "
                "its trials after that; drop --write-back, and copy the values from the summary"
            )
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
            raise OptionError(
                f"prune= takes a rule such as 'asha' or 'median:min_trials=5', or True, but got {self.prune!r}"
            )
        from .pruning import make_pruner, parse_prune_spec

        name, settings = parse_prune_spec(self.prune)
        make_pruner(name, settings)  # checks the name and the settings now, before anything runs
        return name, settings

    def named_objectives(self) -> list[Objective]:
        """The named objectives (``objectives=``; ``--maximize NAME`` / ``--minimize NAME``), in the
        order given; empty for a search of the cell's value.  A name given two directions, or twice,
        is an :class:`OptionError`."""
        found: list[Objective] = []
        for name, direction in _pairs(self.objectives):
            same = next((o for o in found if o.name == name), None)
            if same is not None and same.direction is not direction:
                raise OptionError(
                    f"{name!r} is both maximized and minimized; give it one direction "
                    f"(--maximize {name} or --minimize {name})"
                )
            if same is not None:
                raise OptionError(f"the objective {name!r} is given twice (--{direction.value} {name}); name it once")
            found.append(Objective(name, direction))
        return found

    def constraint_list(self) -> tuple[Constraint, ...]:
        """``--constraint``, parsed: each a :class:`~hpmagic.objectives.Constraint`."""
        given = self.constraints
        if given is None:
            return ()
        texts = [given] if isinstance(given, str) else given
        if not isinstance(texts, (list, tuple)):
            raise OptionError(f"constraints= takes a text such as 'latency <= 20' or a list of them, but got {given!r}")
        parsed = tuple(c if isinstance(c, Constraint) else Constraint.parse(c) for c in texts)
        seen = [str(c) for c in parsed]
        twice = next((c for c in seen if seen.count(c) > 1), None)
        if twice is not None:
            raise OptionError(f"--constraint {twice!r} is given twice; give each limit once")
        return parsed

    def log_target(self) -> Any:
        """``--log``'s target (``None``: no logging); a bad value is an :class:`OptionError`."""
        from .integrations.mlflow import parse_log

        return parse_log(self.log)

    def _check_names(self) -> None:
        if self.metric is not None and (not isinstance(self.metric, str) or not self.metric.strip()):
            raise OptionError(
                f"--metric needs a name (a variable of the cell or a key of its dict), but got {self.metric!r}"
            )
        if self.out is not None and (
            not isinstance(self.out, str) or not self.out.isidentifier() or keyword.iskeyword(self.out)
        ):
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
            raise OptionError(
                f"--storage {self.storage!r} is empty: give the path of a study file (e.g. hpmagic.sqlite) "
                "or a URL, or leave --storage out for hpmagic.sqlite in the working directory"
            )
        if self.study is None and (self.storage is not None and self.warm_start is None or self.overwrite):
            given = "--overwrite" if self.overwrite else "--storage"
            raise OptionError(f"{given} applies to a persistent study: name it with --study NAME")
        if isinstance(self.warm_start, str) and not self.warm_start.strip():
            raise OptionError("--warm-start needs the name of an earlier study, e.g. --warm-start svm")
        if isinstance(self.warm_start, str) and self.study is not None and self.warm_start.strip() == self.study:
            raise OptionError(
                f"--warm-start {self.warm_start} names the study this search stores in (--study "
                f"{self.study}); to go on with it, drop --warm-start, or store in a new study"
            )


# -- what to optimise -----------------------------------------------------------------------

_WORDS = {
    "max": Direction.MAXIMIZE,
    "maximize": Direction.MAXIMIZE,
    "min": Direction.MINIMIZE,
    "minimize": Direction.MINIMIZE,
}


def _direction_word(name: str, word: Any) -> Direction:
    if isinstance(word, str) and word.strip().lower() in _WORDS:
        return _WORDS[word.strip().lower()]
    raise OptionError(
        f"objectives={{{name!r}: {word!r}}}: the direction of an objective is 'max' (or 'maximize') "
        "or 'min' (or 'minimize')"
    )


def _check_name(option: str, name: Any) -> str:
    if not isinstance(name, str) or not name.strip() or name.strip().startswith("-"):
        raise OptionError(
            f"{option} names a key of the dict the cell returns or a variable the cell sets, "
            f"but got {name!r}; e.g. {option} accuracy"
        )
    return name.strip()


def _pairs(objectives: Any) -> list[tuple[str, Direction]]:
    """``objectives=``: a dict ``{name: "max"|"min"}`` or ``(name, direction)`` pairs, in order."""
    if objectives is None:
        return []
    items = list(objectives.items()) if isinstance(objectives, Mapping) else objectives
    try:
        pairs = [(name, word) for name, word in items]
    except (TypeError, ValueError):
        raise OptionError(
            f"objectives= takes a dict such as {{'accuracy': 'max', 'fit_time': 'min'}}, but got {objectives!r}"
        ) from None
    if not pairs:
        raise OptionError("objectives= is empty: name at least one, e.g. objectives={'accuracy': 'max'}")
    return [(_check_name("objectives=", name), _direction_word(name, word)) for name, word in pairs]


def _check_goal(opts: TuneOptions, named: list[Objective]) -> None:
    """The mistakes of what to optimise that each option alone cannot see."""
    bare = next((f"--{o}" for o in ("maximize", "minimize") if getattr(opts, o)), None)
    if named and bare:
        first = named[0]
        raise OptionError(
            f"{bare} without a name (the cell's value) cannot be mixed with named objectives "
            f"(--{first.direction.value} {first.name}); name every objective, e.g. "
            "--maximize accuracy --minimize fit_time"
        )
    if named and opts.metric is not None:
        raise OptionError(
            f"--metric {opts.metric} names the objective of a one-objective search, but the objectives "
            f"are already named ({', '.join(o.label for o in named)}); drop --metric"
        )
    if len(named) > 1 and opts.prune not in (None, False):
        rule = opts.prune_rule()
        if rule is not None and rule[0] not in (None, "asha", "hyperband"):
            raise OptionError(
                f"--prune {rule[0]} stops trials by one value, but this search has {len(named)} objectives "
                f"({', '.join(o.label for o in named)}); with several objectives use --prune asha or "
                "--prune hyperband (they rank the trials at each rung by non-dominated sorting), or tune one "
                "objective with the others as --constraint limits"
            )
    if opts.pick is not None:
        pick = _check_name("--pick", opts.pick)
        if len(named) < 2:
            raise OptionError(
                f"--pick {pick} chooses a trial from the Pareto front of several objectives, but this "
                "search has one objective (its best trial is bound); drop --pick"
            )
        if pick not in [o.name for o in named]:
            raise OptionError(
                f"--pick {pick}: {pick!r} is not an objective of this search; pick one of "
                f"{', '.join(repr(o.name) for o in named)}"
            )


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
