"""A list that trials share with the notebook, for tests that count or record trials, and a cell
that stops its own search.

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


#: A cell that presses "stop" on its own sixth trial, as the stop button would (its trials count
#: themselves in ``calls``, a :class:`SharedList` the test puts in the namespace).
STOPS_ON_THE_SIXTH_TRIAL = (
    "import os, signal, time\n"
    "x = 0.0  # tune: uniform(-1, 1)\n"
    "calls.append(x)\n"
    "if len(calls) == 6:\n"
    "    os.kill(os.getpid(), signal.SIGINT)\n"
    "    time.sleep(5)\n"
    "(x - 0.3) ** 2\n"
)
