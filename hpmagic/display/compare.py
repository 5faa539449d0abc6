"""Several searches side by side: :func:`compare` (``hpmagic.compare``).

``compare(a, b, ...)`` takes results (what ``%%tune`` returned, or a stored study read back
with :func:`hpmagic.load_study`) of the same objective and returns a :class:`Comparison`:
each search's best with its spread, what differed between them (strategy, seed, options,
search space, code) and whether the difference between the best searches is beyond noise.
It shows itself as HTML in a notebook (:mod:`.comparison`: both convergence plots on one
axis, by trial and by time) and as text elsewhere.

Whether a difference is beyond noise, two tests, each named in what the comparison says:

- Where two settings were each run with two or more seeds (searches that differ in nothing
  but the seed form one setting), an exact **permutation test** over the runs' best values:
  every way of splitting the pooled bests into groups of those sizes, the share whose mean
  difference is at least the one observed (two-sided).  The difference is beyond noise when
  that p-value is at most :data:`ALPHA`; the smallest p possible is 2 over the number of
  splits (1/3 with 2 runs a side, 1/10 with 3), so a verdict needs 4 seeds a side (the
  comparison says so when it has fewer).
- Otherwise (one run a setting) a **bootstrap of the best of n**: each search's complete trial
  values are drawn again with replacement (as many as it had), :data:`RESAMPLES` times, and
  the share of resamples in which one search's best beats the other's is reported; it is
  beyond noise when that share is at least ``1 - ALPHA``.  This treats the trials of a
  search as independent draws, which an adaptive strategy's are not: it says how much the
  best of so many trials moves with luck, not what a rerun with another seed would give.
  The resampling is seeded, so the verdict is the same on every run.
"""

from __future__ import annotations

import difflib
import itertools
import math
import statistics
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .._format import fmt_value, plural
from ..core import Direction, TrialState
from ..errors import OptionError

if TYPE_CHECKING:
    from ..result import TuneResult

__all__ = ["Entry", "Group", "Verdict", "Comparison", "compare", "ALPHA", "RESAMPLES"]

#: The significance level of both tests.
ALPHA = 0.05
#: Bootstrap resamples of each search's trial values.
RESAMPLES = 2000


@dataclass(frozen=True)
class Entry:
    """One search of the comparison."""

    label: str
    result: Any
    setting: int  # the index of its Group

    @property
    def best(self) -> float | None:
        """The search's best value (``None`` when no trial completed)."""
        return self.result.best_value

    def spread(self) -> str:
        """``± 0.012 over 5 folds`` for the best trial's fold spread, or ``""``."""
        best = self.result.best_trial
        found = None if best is None else self.result.spread(best)
        return "" if found is None else f"± {fmt_value(found[0])} over {plural(found[1], 'fold')}"


@dataclass(frozen=True)
class Group:
    """Searches that differ only in their seed: one setting, run ``len(labels)`` times."""

    name: str
    labels: tuple[str, ...]
    bests: tuple[float, ...]

    @property
    def text(self) -> str:
        """The setting's mean best and its spread over seeds, or ``""`` with one seed."""
        if len(self.bests) < 2:
            return ""
        sd = statistics.stdev(self.bests)
        return (
            f"{self.name}: best {fmt_value(statistics.fmean(self.bests))} ± {fmt_value(sd)} "
            f"(mean ± standard deviation over {len(self.bests)} seeds)"
        )


@dataclass(frozen=True)
class Verdict:
    """Whether ``better`` is better than ``other`` beyond noise, the test and its figure."""

    better: str
    other: str
    beyond_noise: bool
    test: str
    text: str


def _label(result: Any, i: int) -> str:
    if result.study:
        return str(result.study)
    seed = "" if result.seed is None else f", seed {result.seed}"
    return f"{result.strategy or 'search'}{seed}"


def _labels(results: list[Any], labels: list[str] | None) -> list[str]:
    if labels is not None:
        if len(labels) != len(results):
            raise OptionError(
                f"compare() got {len(labels)} labels for {len(results)} searches; give one label per search"
            )
        return [str(x) for x in labels]
    out = [_label(r, i) for i, r in enumerate(results)]
    for name in set(out):  # the same label twice: number them
        if out.count(name) > 1:
            k = 0
            for i, x in enumerate(out):
                if x == name:
                    k += 1
                    out[i] = f"{name} #{k}"
    return out


def _setting(result: Any) -> tuple:
    """What a search is, but its seed: runs with equal settings are repeats."""
    options = tuple((k, v) for k, v in (getattr(result, "options", ()) or ()) if k != "seed")
    space = tuple(p.describe() + p.name for p in result.space)
    return (result.strategy, options, space, getattr(result, "code", ""), result.metric, str(result.direction))


def _check(results: list[Any]) -> None:
    if len(results) < 2:
        raise OptionError(
            f"compare() needs two searches or more, but got {len(results)}; "
            "pass results, or stored studies read with hpmagic.load_study(name)"
        )
    for i, r in enumerate(results):
        if isinstance(r, (str, bytes)):
            raise OptionError(
                f"compare() argument {i + 1} is the string {r!r}, not a result; for a stored study "
                f"pass hpmagic.load_study({r!r}) (with its storage=)"
            )
        if not hasattr(r, "trials") or not hasattr(r, "direction"):
            raise OptionError(
                f"compare() argument {i + 1} is a {type(r).__name__}, not a result; pass what %%tune "
                "returned, or a stored study read with hpmagic.load_study(name)"
            )
    ways = {str(r.direction) for r in results}
    if len(ways) > 1:
        said = ", ".join(f"{_label(r, i)} {r.direction}s {r.metric}" for i, r in enumerate(results))
        raise OptionError(
            f"compare() needs searches that go the same way, but {said}; compare searches of one objective"
        )


def _differences(entries: list[Entry]) -> list[str]:
    """What differed from the first search, one phrase per difference."""
    first, out = entries[0], []
    for key, name in (("strategy", "strategy"), ("seed", "seed"), ("metric", "metric"), ("budget", "budget (-n)")):
        values = [getattr(e.result, key) for e in entries]
        if len(set(map(str, values))) > 1:
            out.append(f"{name}: " + ", ".join(f"{v} ({e.label})" for e, v in zip(entries, values)))
    options = [dict(getattr(e.result, "options", ()) or ()) for e in entries]
    for key in sorted({k for o in options for k in o} - {"seed", "strategy", "trials"}):
        values = [o.get(key, "default") for o in options]
        if len(set(values)) > 1:
            out.append(f"option {key}: " + ", ".join(f"{v} ({e.label})" for e, v in zip(entries, values)))
    for e in entries[1:]:
        out += [f"search space of {e.label}: {change}" for change in first.result.space.diff(e.result.space)]
        out += _code_change(first, e)
    return list(dict.fromkeys(out))  # repeats of one setting say the same once


def _code_change(first: Entry, other: Entry) -> list[str]:
    a, b = getattr(first.result, "code", ""), getattr(other.result, "code", "")
    if not a or not b or a == b:
        return []
    lines = [
        line
        for line in difflib.unified_diff(a.splitlines(), b.splitlines(), lineterm="", n=0)
        if line[:1] in "+-" and not line.startswith(("+++", "---"))
    ]
    shown = "; ".join(lines[:6]) + (f"; ... ({len(lines) - 6} more lines)" if len(lines) > 6 else "")
    return [f"code of {other.label} against {first.label}: {shown}"]


def _values(result: Any) -> list[float]:
    return [
        float(t.value)
        for t in result.trials
        if t.state is TrialState.COMPLETE and t.value is not None and math.isfinite(t.value)
    ]


def _permutation(a: tuple[float, ...], b: tuple[float, ...]) -> float:
    """The exact two-sided permutation p-value of the difference of means of ``a`` and ``b``."""
    pooled, observed = a + b, abs(statistics.fmean(a) - statistics.fmean(b))
    total = hits = 0
    for chosen in itertools.combinations(range(len(pooled)), len(a)):
        x = [pooled[i] for i in chosen]
        y = [pooled[i] for i in range(len(pooled)) if i not in chosen]
        total += 1
        hits += abs(statistics.fmean(x) - statistics.fmean(y)) >= observed - 1e-12
    return hits / total


def _bootstrap(a: list[float], b: list[float], way: Direction) -> float:
    """The share of resamples in which the best of ``a`` beats the best of ``b`` (ties count half)."""
    import numpy as np

    rng = np.random.default_rng(0)
    pick = np.max if way.maximize else np.min
    best_a = pick(rng.choice(np.asarray(a), size=(RESAMPLES, len(a))), axis=1)
    best_b = pick(rng.choice(np.asarray(b), size=(RESAMPLES, len(b))), axis=1)
    wins = (best_a > best_b) if way.maximize else (best_a < best_b)
    return float(np.mean(wins) + 0.5 * np.mean(best_a == best_b))


def _verdict(top: Entry, other: Entry, groups: list[Group], way: Direction) -> Verdict:
    ga, gb = groups[top.setting], groups[other.setting]
    if top.setting != other.setting and len(ga.bests) >= 2 and len(gb.bests) >= 2:
        if way.loss(statistics.fmean(ga.bests)) > way.loss(statistics.fmean(gb.bests)):
            ga, gb = gb, ga  # the better setting on average first
        p = _permutation(ga.bests, gb.bests)
        splits = math.comb(len(ga.bests) + len(gb.bests), len(ga.bests))
        test = (
            f"exact permutation test over the seeds' best values ({len(ga.bests)} against {len(gb.bests)} runs, "
            f"{splits} splits): p = {p:.3g}"
        )
        beyond = p <= ALPHA
        if not beyond and 2 / splits > ALPHA:
            test += f"; with so few seeds p cannot fall below {2 / splits:.2g}: run 4 or more seeds a side"
        return Verdict(ga.name, gb.name, beyond, test, _said(ga.name, gb.name, beyond))
    a, b = _values(top.result), _values(other.result)
    if not a or not b:
        return Verdict(top.label, other.label, False, "no test: a search has no complete trial", "cannot be told")
    share = _bootstrap(a, b, way)
    test = (
        f"bootstrap of the best of each search's trial values ({RESAMPLES} resamples): {top.label}'s best beats "
        f"{other.label}'s in {100 * share:.0f}% of them"
    )
    beyond = share >= 1 - ALPHA
    return Verdict(top.label, other.label, beyond, test, _said(top.label, other.label, beyond))


def _said(better: str, other: str, beyond: bool) -> str:
    return (
        f"{better} is better than {other}, beyond noise"
        if beyond
        else f"{better} and {other} cannot be told apart: the difference is within the noise"
    )


@dataclass(frozen=True)
class Comparison:
    """What :func:`compare` found; shows itself as HTML in a notebook and as text elsewhere."""

    entries: tuple[Entry, ...]
    groups: tuple[Group, ...]
    differences: tuple[str, ...]
    verdicts: tuple[Verdict, ...]
    direction: Direction
    metric: str

    def __repr__(self) -> str:
        from .comparison import comparison_text

        return comparison_text(self)

    def _repr_html_(self) -> str:
        from .comparison import comparison_html

        return comparison_html(self)

    def plot(self, by: str = "trial", ax: Any = None) -> Any:
        """Every search's best so far on one axis, ``by`` trial number or ``"time"`` (seconds
        since its first trial started); returns the Axes."""
        from .comparison import plot_convergence

        return plot_convergence(self, by=by, ax=ax)


def compare(*results: TuneResult, labels: list[str] | None = None) -> Comparison:
    """Compare searches of one objective side by side (see the module docstring).

    Parameters
    ----------
    *results
        Two or more results: what ``%%tune`` or :func:`hpmagic.tune` returned, or stored
        studies read back with :func:`hpmagic.load_study`.
    labels
        A name for each search; by default its study's name, or its strategy and seed.
    """
    found = list(results)
    _check(found)
    names = _labels(found, labels)
    given = [str(x) for x in labels] if labels is not None else [None] * len(found)
    settings: dict[tuple, int] = {}
    entries = [Entry(n, r, settings.setdefault(_setting(r), len(settings))) for n, r in zip(names, found)]
    way = Direction(found[0].direction)
    groups = []
    for index in range(len(settings)):
        members = [e for e in entries if e.setting == index and e.best is not None]
        same = [e for e in entries if e.setting == index]
        own = {given[entries.index(e)] for e in same}
        name = (
            same[0].label
            if len(same) == 1
            else (
                f"{own.pop()} ({len(same)} seeds)"
                if len(own) == 1 and None not in own
                else f"setting {index + 1}: {same[0].result.strategy}, {len(same)} seeds ({', '.join(e.label for e in same)})"
            )
        )
        groups.append(Group(name, tuple(e.label for e in same), tuple(float(e.best) for e in members)))  # type: ignore[arg-type]
    ranked = sorted((e for e in entries if e.best is not None), key=lambda e: way.loss(float(e.best)))  # type: ignore[arg-type]
    verdicts: list[Verdict] = []
    seen: set[tuple[str, str]] = set()
    if ranked:
        for other in ranked[1:]:
            if other.setting == ranked[0].setting:
                continue  # a repeat of the best's own setting with another seed: its spread is in the groups
            v = _verdict(ranked[0], other, groups, way)
            if (v.better, v.other) not in seen and v.better != v.other:
                seen.add((v.better, v.other))
                verdicts.append(v)
    return Comparison(
        tuple(entries), tuple(groups), tuple(_differences(entries)), tuple(verdicts), way, found[0].metric
    )
