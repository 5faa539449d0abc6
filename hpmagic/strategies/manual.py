"""``--strategy manual``: configurations chosen by hand.

The strategy only proposes, once, the configuration it is handed in :attr:`ManualStrategy.pending`.
The controls, the Run button and the summary that hand it those configurations are
:class:`hpmagic.display.manual.ManualSession`; :func:`hpmagic.api.run` starts one instead of
a loop when the strategy is ``interactive``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .base import Strategy, StrategyContext

if TYPE_CHECKING:
    from ..space import SearchSpace

__all__ = ["ManualStrategy"]


class ManualStrategy(Strategy):
    """Proposes exactly the configuration the session hands it, once."""

    name = "manual"
    #: Tells :func:`hpmagic.api.run` to start a :class:`~hpmagic.display.manual.ManualSession` instead of a loop.
    interactive = True

    def __init__(self) -> None:
        super().__init__()
        self.pending: dict[str, Any] | None = None

    def setup(self, space: SearchSpace, context: StrategyContext) -> None:
        super().setup(space, context)
        self.reason = "configurations chosen by hand with the controls; each Run is one trial"

    def ask(self, number: int) -> dict[str, Any] | None:
        params, self.pending = self.pending, None
        return params
