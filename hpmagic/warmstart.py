"""Warm start from an earlier study (``--warm-start STUDY``, ``tune(warm_start=...)``).

:func:`carry` maps the complete trials of an earlier search (a stored study read back with
:func:`hpmagic.load_study`, or a :class:`~hpmagic.result.TuneResult`) onto the cell's space, before
anything runs.  The space may have changed since: a parameter of both keeps its value, a new
one takes the cell's default, a removed one is dropped; a trial whose value now lies outside
its parameter's range (or off its steps, or not among its options) is left out whole, as are
the earlier study's failed, pruned and interrupted trials.  One note says all of it in the
summary.  Each value is checked as ``--enqueue`` checks a configuration
(:func:`hpmagic.enqueue.resolve`), so the two agree on what lies in the space.

The earlier search must have gone the same way (one objective in the same direction, or the
same objectives, each in its direction, and the same constraints): else its numbers would teach
the strategy the opposite.  That, and an earlier study with no complete trial, is one
:class:`~hpmagic.errors.OptionError` before anything runs.

The runner (:mod:`hpmagic.runner`) tells the strategy the mapped trials before its first ask, and
runs the best of them (:func:`first`) right after the defaults and ``--enqueue``'s configurations,
as a trial of this search marked ``trial.pruning["warm_start"]`` (said in the summary): the
earlier study's values are from the earlier problem, and a model that believes them would not
try its best again on this one.  It is not run when it is the defaults or one of the given
configurations, with several objectives or constraints (no one value ranks them), or when a
resumed study already holds it.
They are not trials of this search: they are numbered ``-1, -2, ...`` (so no strategy takes one
for a trial of its own, which are numbered from 0), do not count toward ``-n``, are not in the
result's trials and are not stored in this search's ``--study``; on resuming such a study the
strategy is told them again.  ``gp`` and ``tpe`` count them toward their random start, so with
enough of them (``gp``: ``max(5, parameters + 1)``, ``tpe``: its ``n_startup_jobs``) the first
proposal is the model's (``gp`` fits them shifted to this problem's level and, later, leaves them
out: :mod:`hpmagic.strategies.warm`); ``de`` fills its population with them; ``auto`` counts them with the
budget when it picks (:func:`hpmagic.strategies.auto.pick`) and hands them to the strategy it
picks.  ``evolution`` (CMA-ES) learns only from its own generations' draws, ``random`` and
``sobol`` ignore them, and ``grid`` does not run again a point the earlier study ran.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from .core import Direction, Trial, TrialState
from .enqueue import resolve
from .errors import OptionError
from .lists import same_value
from .objectives import Goal
from .space import SearchSpace

__all__ = ["WarmStart", "carry", "first", "notes", "MARK"]

#: The key of ``Trial.pruning`` that marks the trial that ran the earlier study's best configuration.
MARK = "warm_start"


@dataclass(frozen=True)
class WarmStart:
    """The earlier trials mapped onto the cell's space (numbered -1, -2, ...), and the summary's note."""

    trials: tuple[Trial, ...] = ()
    notes: tuple[str, ...] = ()


def carry(label: str, earlier: Any, space: SearchSpace, goal: Goal) -> WarmStart:
    """The complete trials of ``earlier`` (a result or a loaded study) as trials of ``space``;
    ``label`` names it in messages (``"study 'svm'"``)."""
    if not (hasattr(earlier, "trials") and hasattr(earlier, "space") and hasattr(earlier, "direction")):
        raise OptionError(
            f"warm_start= takes a study's name, a study read with hpmagic.load_study or a TuneResult, "
            f"but got {type(earlier).__name__}"
        )
    _check_goal(label, earlier, goal)
    complete = [t for t in earlier.trials if t.state is TrialState.COMPLETE and t.value is not None]
    if not complete:
        raise OptionError(
            f"--warm-start: {label} has no complete trial to start from ({len(earlier.trials)} trials, "
            "none completed); warm start from a study with results, or drop --warm-start"
        )
    names = set(space.names)
    used: list[Trial] = []
    for trial in complete:
        config = _mapped(trial.params, space)
        if config is not None:
            used.append(
                Trial(
                    number=-(len(used) + 1),
                    params=config,
                    state=TrialState.COMPLETE,
                    value=trial.value,
                    values=trial.values,
                    constraints=trial.constraints,
                    duration=trial.duration,
                )
            )
    if not used:
        raise OptionError(
            f"--warm-start: none of the {len(complete)} complete trials of {label} lies in the cell's "
            "space now (each has a value outside its new range); widen the annotations, or drop "
            "--warm-start"
        )
    old = list(earlier.space.names)
    said = [f"warm start from {label} ({len(complete)} trial{'s' * (len(complete) != 1)}): {len(used)} used"]
    said += [f"parameter {n} is new (its default used)" for n in space.names if n not in old]
    said += [f"{n} was removed" for n in old if n not in names]
    left = len(complete) - len(used)
    if left:
        said.append(f"{left} trial{'s' * (left != 1)} out of the new range left out")
    return WarmStart(tuple(used), ("; ".join(said),))


def first(
    told: Sequence[Trial], direction: Direction, goal: Goal | None, skip: Sequence[dict[str, Any]]
) -> list[dict[str, Any]]:
    """The configuration the search runs right after the defaults (and ``--enqueue``'s): the best of the told
    trials, unless it is one of ``skip``; none with several objectives or constraints (no one value ranks them)."""
    if not told or (goal is not None and (goal.multi or goal.constraints)):
        return []
    best = direction.best(told)
    if best is None or any(_same(best.params, c) for c in skip):
        return []
    return [dict(best.params)]


def notes(trials: Sequence[Trial]) -> tuple[str, ...]:
    """What the summary says of the trial that ran the earlier study's best configuration."""
    ran = [t.number for t in trials if MARK in t.pruning and t.state is not TrialState.INTERRUPTED]
    return tuple(f"trial {n} ran the earlier study's best configuration (--warm-start)" for n in ran)


def _same(a: dict[str, Any], b: dict[str, Any]) -> bool:
    return a.keys() == b.keys() and all(same_value(a[k], b[k]) for k in a)


def _mapped(params: dict[str, Any], space: SearchSpace) -> dict[str, Any] | None:
    """``params`` as a configuration of ``space`` (new parameters at their defaults, removed ones
    dropped), or ``None`` when a value lies outside the space."""
    config = space.build(lambda p: params[p.name] if p.name in params else p.default)
    try:
        (whole,) = resolve([config], {}, space, baseline=False).configs
    except OptionError:
        return None
    return whole


def _check_goal(label: str, earlier: Any, goal: Goal) -> None:
    """The earlier search must have gone this search's way: the same objectives, directions and constraints."""
    theirs = earlier.goal if getattr(earlier, "goal", None) is not None else Goal.single(earlier.direction)
    if theirs.multi or goal.multi:
        if _objectives(theirs) != _objectives(goal):
            raise OptionError(
                f"--warm-start: {label} optimised {_describe(theirs)}, but this search optimises "
                f"{_describe(goal)}; warm start from a study of the same objectives"
            )
    elif theirs.direction is not goal.direction:
        raise OptionError(
            f"--warm-start: {label} was run to {theirs.direction.value}, but this search runs to "
            f"{goal.direction.value}; pass --{theirs.direction.value} if the cell returns the same "
            "score, or warm start from a study of the same objective"
        )
    if _constraints(theirs) != _constraints(goal):
        have = ", ".join(map(str, _constraints(theirs))) or "no constraints"
        want = ", ".join(map(str, _constraints(goal))) or "no constraints"
        raise OptionError(
            f"--warm-start: {label} had {have}, but this search has {want}; warm start from a study "
            "with the same constraints"
        )


def _objectives(goal: Goal) -> list[tuple[str | None, str]]:
    return [(o.name, o.direction.value) for o in goal.objectives]


def _constraints(goal: Goal) -> Sequence[str]:
    return [f"{c.name} {c.op} {c.bound:g}" for c in goal.constraints]


def _describe(goal: Goal) -> str:
    return ", ".join(f"{o.direction.value} {o.label}" for o in goal.objectives)
