"""The response over the two most important parameters, in the summary.

:func:`top_two` names the two parameters with the largest shares of the objective's variance
(:mod:`.importance`, the fit the importance plot made: :func:`.data.importance` keeps it), or
``None`` when the space has fewer than two parameters or importance cannot be told; then the
summary shows no response plot.  :func:`render` draws :func:`.plots.plot_contour` over them:
the trials as points coloured by value, the surface interpolated between them where they span
both axes, the best trial a star; a search of more than :data:`MOST_POINTS` complete trials
is drawn from a seeded sample of them (the alt text says so).  ``result.plot_contour(x, y)`` draws any other pair.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from . import data

if TYPE_CHECKING:
    from ..result import TuneResult

__all__ = ["top_two", "render", "sample", "more_plots", "MOST_POINTS"]


def top_two(result: TuneResult) -> tuple[str, str] | None:
    """The two most important parameters, most important first; ``None`` when not two."""
    if len(result.space) < 2:
        return None
    imp = data.importance(result)
    if not imp or len(imp.shares) < 2:
        return None
    first, second = sorted(imp.shares, key=lambda n: -imp.shares[n])[:2]
    return first, second


#: The most points the summary's response plot draws: a longer search is drawn from a seeded
#: sample of its complete trials (the best always among them), which keeps it under a second.
MOST_POINTS = 2000


def sample(result: TuneResult) -> TuneResult:
    """``result`` with at most :data:`MOST_POINTS` of its complete trials (the best kept)."""
    done = [t for t in result.trials if t.value is not None]
    if len(done) <= MOST_POINTS:
        return result
    import dataclasses
    import random

    best = result.best_trial
    chosen = random.Random(0).sample([t for t in done if t is not best], MOST_POINTS - 1)
    kept = sorted([*chosen, *([best] if best is not None else [])], key=lambda t: t.number)
    return dataclasses.replace(result, trials=tuple(kept))


def render(result: TuneResult, pair: tuple[str, str]) -> bytes:
    """The response over ``pair`` as PNG bytes, for the summary (from :func:`sample`)."""
    from .plots import figure, plot_contour, png

    # Fixed margins (in inches): constrained layout would cost more than the drawing itself.
    fig = figure(4.8, 3.7, layout=None)
    plot_contour(sample(result), *pair, ax=fig.add_subplot())
    fig.subplots_adjust(left=0.8 / 4.8, right=1 - 0.1 / 4.8, bottom=0.5 / 3.7, top=1 - 0.3 / 3.7)
    return png(fig)


def more_plots(result: TuneResult) -> list[tuple[bytes, str]]:
    """The plots the summary adds after its own, as (PNG, alt text): the response over the two
    most important parameters, and the workers' timeline of a parallel search."""
    from . import timeline

    out = []
    pair = top_two(result)
    if pair is not None:
        done = sum(1 for t in result.trials if t.value is not None)
        drawn = f" (a sample of {MOST_POINTS:,} of {done:,} trials)" if done > MOST_POINTS else ""
        out.append(
            (
                render(result, pair),
                f"{result.metric} over {pair[0]} and {pair[1]}, the two most important parameters{drawn}",
            )
        )
    if timeline.timeline(result) is not None:
        out.append((timeline.render(result), "the workers' timeline: " + timeline.busy_text(result)))
    return out
