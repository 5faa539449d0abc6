"""The ask/tell contract every strategy speaks.

The runner owns the loop; a strategy only proposes and learns:

1. ``setup(space, context)`` is called once, before anything else.  ``context`` says the
   direction, the trial budget, the seed and how many trials may run at once.
2. ``ask(number)`` returns the configuration for trial ``number`` -- a dict with a value for
   every *active* parameter (``space.build`` and ``space.sample`` make such dicts) -- or
   ``None`` when the strategy has nothing new to try (a finished grid).  ``ask`` may be
   called again before earlier trials are told: those are *pending*, and a strategy that
   runs in parallel should not propose the same point twice.
3. ``tell(trial)`` reports a finished trial (complete, failed, pruned or interrupted), a
   frozen :class:`~hpmagic.core.Trial`.  Trials the strategy never asked for are told
   too: the defaults (trial 0) and, when a study resumes, every stored trial.  Use
   ``context.loss(trial)`` to get a value where lower is always better.

A whole strategy can be this small::

    class Random(Strategy):
        name = "random"

        def setup(self, space, context):
            super().setup(space, context)
            self.rng = random.Random(context.seed)

        def ask(self, number):
            return self.space.sample(self.rng)

A strategy that is not built in is wrapped in a ``CheckedStrategy``, which checks each
of its proposals against the space.
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..core import Direction, Trial, TrialState
from ..errors import OptionError
from ..objectives import Goal
from ..space import SearchSpace

if TYPE_CHECKING:
    from ..protocols import Strategy as StrategyProtocol

__all__ = [
    "Strategy",
    "StrategyContext",
    "CheckedStrategy",
    "check_seed",
    "is_builtin",
    "require_one_objective",
    "SEED_LIMIT",
]

#: Seeds are whole numbers in ``[0, SEED_LIMIT)``: 32 bits, which every seeding interface the
#: built-in strategies use accepts (numpy's generators refuse negative seeds).
SEED_LIMIT = 2**32


def check_seed(seed: object) -> int:
    """``seed`` as an ``int``, or :class:`~hpmagic.errors.OptionError` if no strategy can use it.

    Accepts whole numbers (numpy's included, ``bool`` not) from 0 to ``2**32 - 1``.
    """
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or not 0 <= int(seed) < SEED_LIMIT:
        raise OptionError(
            f"the seed must be a whole number from 0 to 2**32 - 1 ({SEED_LIMIT - 1}), but got {seed!r}; "
            "for example --seed 0 (or seed=0)"
        )
    return int(seed)


@dataclass(frozen=True)
class StrategyContext:
    """What a strategy learns about the search in ``setup``.

    ``direction`` may be given as a string (``"maximize"``); it is stored as a
    :class:`~hpmagic.core.Direction`.  ``seed`` is checked by ``hpmagic.strategies.check_seed``.

    ``pruning`` is the early-stopping rule of the search (``--prune``): ``None`` without
    it, else the rule's name (``"asha"``, ``"hyperband"``, ``"median"``, ``"folds"``), or
    ``"auto"`` for ``--prune`` with no name (``asha`` for a learning curve, ``folds`` for
    ``hpmagic.cross_val_score``, chosen at the first report).  With a rule, trials can end
    *pruned*: they are told with their curves (``Trial.curve``), and the built-in
    strategies learn from them (``hpmagic.strategies.fidelity``).

    ``goal`` (:class:`~hpmagic.objectives.Goal`) says what the search optimises: one
    objective in ``direction`` when not given, else its objectives and constraints (then
    ``direction`` is the first objective's).  ``losses(trial)`` gives every objective with
    lower better, ``violations(trial)`` how far each constraint is broken (0 where it holds).
    A strategy that handles one objective only reads ``loss``; one that cannot handle
    ``goal.multi`` or ``goal.constraints`` must refuse in ``setup`` with an
    :class:`~hpmagic.errors.OptionError` naming a strategy that can.
    """

    direction: Direction = Direction.MINIMIZE
    budget: int = 30  # total trials of the search, the defaults included
    seed: int = 0
    timeout: float | None = None  # the time budget (-t) in seconds, if any
    jobs: int = 1  # trials that may run at once
    grid_points: int = 5  # points per continuous parameter, for grids
    pruning: str | None = None  # the --prune rule's name ("auto": chosen at the first report)
    goal: Goal | None = None  # the objectives and constraints; None: one objective in `direction`
    warm: int = 0  # --warm-start: the earlier trials told before the first ask (numbered -1, -2, ...)

    def __post_init__(self) -> None:
        if self.goal is not None:
            object.__setattr__(self, "direction", self.goal.direction)
        if not isinstance(self.direction, Direction):
            try:
                direction = Direction(self.direction)
            except ValueError:
                raise OptionError(
                    f"the direction must be 'minimize' or 'maximize', but got {self.direction!r}"
                ) from None
            object.__setattr__(self, "direction", direction)
        object.__setattr__(self, "seed", check_seed(self.seed))
        if self.goal is None:
            object.__setattr__(self, "goal", Goal.single(self.direction))

    def loss(self, trial: Trial) -> float | None:
        """The trial's value with lower always better; ``None`` unless it completed."""
        if trial.state is not TrialState.COMPLETE or trial.value is None:
            return None
        return self.direction.loss(trial.value)

    @property
    def objectives(self) -> Goal:
        """The search's :class:`~hpmagic.objectives.Goal` (one objective in ``direction`` unless given)."""
        assert self.goal is not None  # set in __post_init__
        return self.goal

    def losses(self, trial: Trial) -> tuple[float, ...] | None:
        """Each objective's value with lower always better; ``None`` unless the trial completed."""
        return self.objectives.losses(trial)

    def violations(self, trial: Trial) -> tuple[float, ...]:
        """By how much the trial breaks each constraint (0 where it holds; empty without constraints)."""
        return self.objectives.violations(trial)


class Strategy:
    """Base class of search strategies; see the module docstring for the contract."""

    #: Short name shown in the summary.
    name: str = "custom"
    #: The space being searched; set by ``setup``.
    space: SearchSpace

    def __init__(self) -> None:
        self.context = StrategyContext()
        #: Why this strategy was chosen or how it is set up; shown in the summary.
        self.reason: str = ""

    def setup(self, space: SearchSpace, context: StrategyContext) -> None:
        """Prepare for a search; called once, before the first ``ask`` or ``tell``.

        Parameters
        ----------
        space
            The parameters to search; ``space.sample(rng)`` draws a configuration.
        context
            The direction, the trial budget, the seed and how many trials may run at once.
        """
        self.space = space
        self.context = context

    def ask(self, number: int) -> dict[str, Any] | None:  # pragma: no cover - abstract
        """Propose the configuration for the next trial.

        Parameters
        ----------
        number
            The trial's number (trial 0 runs the defaults and is not asked for).

        Returns
        -------
        dict or None
            A value for every *active* parameter, or ``None`` when there is nothing new to try.
        """
        raise NotImplementedError

    def tell(self, trial: Trial) -> None:
        """Learn from a finished trial; strategies that do not learn ignore it.

        Parameters
        ----------
        trial
            The frozen record of a trial that completed, failed, was pruned or interrupted,
            also of trials the strategy never asked for (the defaults, a study's stored trials).
        """

    def __repr__(self) -> str:
        return f"<{type(self).__name__} strategy {self.name!r}>"


def require_one_objective(name: str, context: StrategyContext) -> None:
    """Raise :class:`~hpmagic.errors.OptionError` unless the search has one objective and no constraints.

    The one-line check of ``setup`` in a strategy that handles one objective only; the message
    names the strategies that handle several objectives and constraints.
    """
    goal = context.objectives
    if not goal.multi and not goal.constraints:
        return
    what = f"{len(goal.objectives)} objectives" if goal.multi else "a constraint"
    raise OptionError(
        f"the strategy {name!r} optimises one objective without constraints, but this search has {what} "
        f"({goal.describe()}); use --strategy gp (Bayesian optimisation) or --strategy evolution (NSGA-II), "
        "or leave --strategy out and auto picks one of them"
    )


def is_builtin(strategy: object) -> bool:
    """True for an instance of a class defined in :mod:`hpmagic.strategies` (configured or not)."""
    return type(strategy).__module__.startswith(f"{__package__}.")


class CheckedStrategy:
    """A strategy that is not built in, with each proposal checked against the space.

    A configuration that lacks an active parameter or has an extra one raises
    :class:`~hpmagic.errors.OptionError` naming the strategy, the configuration and the
    trial.  Built-in strategies are not wrapped: they are tested to fit the space, and the
    check would cost time on every trial.
    """

    def __init__(self, strategy: StrategyProtocol, space: SearchSpace):
        #: The strategy whose proposals are checked.
        self.wrapped = strategy
        self.space = space
        self.name: str = getattr(strategy, "name", type(strategy).__name__)

    @property
    def reason(self) -> str:
        """The wrapped strategy's reason, if it gives one."""
        return getattr(self.wrapped, "reason", "")

    def ask(self, number: int) -> dict[str, Any] | None:
        """The wrapped strategy's proposal, checked against the space: one that does not fit is an OptionError."""
        params = self.wrapped.ask(number)
        if params is not None:
            try:
                self.space.validate(params)
            except ValueError as exc:
                raise OptionError(f"strategy {self.name!r} proposed {params!r} for trial {number}: {exc}") from None
        return params

    def tell(self, trial: Trial) -> None:
        """Tell the wrapped strategy."""
        self.wrapped.tell(trial)

    def __repr__(self) -> str:
        return f"<CheckedStrategy of {self.wrapped!r}>"
