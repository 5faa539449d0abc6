"""A list that trials share with the notebook, for tests that count or record trials.

Trials are isolated (:mod:`hpmagic.cell.isolation`): a notebook list a cell appends to is
the trial's own copy, so a test can no longer watch trials through one.  This list refuses
to be pickled, so inline searches share it with the notebook (and note that it was not
isolated), as every variable that cannot be copied is shared.
"""

from __future__ import annotations

from typing import Any


class SharedList(list):
    """A list that cannot be pickled: trials in the kernel append to this very list."""

    def __reduce_ex__(self, protocol: Any) -> Any:
        raise TypeError("a SharedList is shared with the trials on purpose")
