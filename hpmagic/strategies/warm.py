"""How a model fits the trials told by ``--warm-start`` (:mod:`hpmagic.warmstart`), numbered below 0.

The earlier study's values are the earlier problem's: on a related dataset the same configuration
scores a little differently, and a model that takes them for this problem's believes the new
search can do no better than the earlier one did.  So ``gp`` (:class:`hpmagic.strategies.gp.GPStrategy`,
its ``WARM``) moves every told loss by :func:`offset`, how much worse (or better) this problem is
where both searches ran (the earlier best runs again as trial 1, so it is known from then on), and
leaves the told trials out of its fit once the search has :data:`DROP_AFTER` complete trials of
its own per parameter (at least its random start): from then on its own trials say more about this
problem than the earlier ones, and they would keep it from the last digits.  Why these two and not
a larger noise on the told trials: ``docs/design/strategies.md``, "Warm start".
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

__all__ = ["DROP_AFTER", "offset"]

#: The told trials leave the fit once the search has this many complete trials of its own per parameter.
DROP_AFTER = 2


def offset(told: Mapping[bytes, float], current: Sequence[tuple[bytes, float]]) -> float | None:
    """How much this problem's loss exceeds the earlier one's: the median of ``loss - told[key]`` over
    the ``(key, loss)`` of ``current`` (this search's trials) whose configuration the earlier search
    ran too (``told``: a configuration's key -> its told loss); ``None`` when they share none."""
    diffs = sorted(loss - told[key] for key, loss in current if key in told)
    if not diffs:
        return None
    mid = len(diffs) // 2
    return diffs[mid] if len(diffs) % 2 else (diffs[mid - 1] + diffs[mid]) / 2
